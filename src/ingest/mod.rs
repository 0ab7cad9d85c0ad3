//! Inbox → box. The steps, in the order a file meets them:
//!
//! - [`input`]: what each name in the inbox (or a folder given to `ingest`) is;
//! - [`watch`]: when a file is complete (the watcher and its [`watch::PendingSet`]);
//! - [`pipeline`]: the batch, through [`prepare`] (read, validate, classify with
//!   [`classify`] and the dropped [`sidecar`]), [`place`] (box and name), [`commit`]
//!   (durable, moves, records, sources removed), with [`recover`] for crashes;
//! - [`ocr`] of pages without text, and [`indexing`] (the index kept in line);
//! - [`source`]: every read, move and removal of a source, without following links;
//! - [`receipt`]: the record every file gets.

pub mod amend;
pub mod classify;
pub mod commit;
pub mod indexing;
pub mod input;
pub mod ocr;
pub mod ocrcache;
pub mod pipeline;
pub mod place;
pub mod prepare;
pub mod receipt;
pub mod recover;
pub mod sidecar;
pub mod source;
pub mod watch;

pub use input::{Input, inputs_from_paths};
pub use pipeline::{Ingestor, WaitingOcr};
pub use prepare::OcrFirst;
pub use receipt::{Subject, Summary};

#[cfg(test)]
mod tests;
