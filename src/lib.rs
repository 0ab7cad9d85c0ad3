//! archivist: an archive manager for scanned paper records.
//!
//! Data flows one way: inbox → [`ingest`] → boxes ([`store`]) → [`search`] index.
//! Reports ([`records`]: retention, holds, destruction acts) read from the archive and
//! the index. [`formats`] and [`ru`] are leaf modules (bytes and Russian text in, facts
//! out) that know nothing of the archive. Front ends (the CLI in `src/cli/`, the web
//! interface) call the use cases in [`api`] and only parse and render.

pub mod api;
pub mod config;
pub mod error;
pub mod formats;
pub mod ingest;
pub mod records;
pub mod ru;
pub mod search;
pub mod store;
pub mod web;
