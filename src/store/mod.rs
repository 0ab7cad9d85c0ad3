//! The archive on disk, readable without archivist: the root and its folders, BagIt
//! boxes, document sidecars, durable writes, the writer lock, and the journals (audit
//! log, receipts, fixity history).

pub mod archive;
pub mod audit;
pub mod boxes;
pub mod catalogue;
pub mod document;
pub mod fixity;
pub mod fsutil;
pub mod jsonl;
pub mod ledger;
pub mod lock;
pub mod receipts;
pub mod review;
