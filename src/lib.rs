//! archivist: an archive manager for scanned paper records.
//!
//! Data flows one way: inbox → pipeline → archive (boxes) → index. Reports read from the
//! archive and the index.

pub mod act;
pub mod actpdf;
pub mod archive;
pub mod audit;
pub mod boxes;
pub mod classify;
pub mod commands;
pub mod config;
pub mod document;
pub mod error;
pub mod fixity;
pub mod fixturegen;
pub mod fsutil;
pub mod hold;
pub mod inbox;
pub mod index;
pub mod lock;
pub mod names;
pub mod naming;
pub mod nomenclature;
pub mod ocr;
pub mod pdf;
pub mod person;
pub mod pipeline;
pub mod receipts;
pub mod retention;
pub mod scanimage;
