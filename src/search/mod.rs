//! The derived search index (tantivy): documents, learner names and cases. Always
//! rebuildable from the boxes.

pub mod analyzer;
pub mod cases;
pub mod certificate;
pub mod consistency;
pub mod dossier;
pub mod index;
pub mod person;
pub mod query;
pub mod schema;
pub mod writer;

pub use certificate::{CertificateAnswer, IssuedCertificate, certificate};
pub use dossier::{Detail, LIFE_CYCLE, PersonRecord, ResultRow, ResultSource, Scope, dossier};
pub use index::{IndexSink, SearchIndex};
pub use query::{
    FacetCount, Facets, Filters, Hit, MARK_END, MARK_START, SearchRequest, SearchResults,
};
pub use writer::{Sink, rebuild, sink_for};
