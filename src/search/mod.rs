//! The derived search index (tantivy): documents, learner names and cases. Always
//! rebuildable from the boxes.

pub mod cases;
pub mod consistency;
pub mod index;
