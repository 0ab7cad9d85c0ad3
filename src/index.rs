//! The search index is derived from the archive. The pipeline hands each archived
//! document to an [`IndexSink`] after its batch is durable.

use crate::document::DocumentMeta;

pub trait IndexSink: Send {
    fn add(&mut self, meta: &DocumentMeta, text: &str) -> anyhow::Result<()>;
    /// Makes the documents added so far visible to searches.
    fn commit(&mut self) -> anyhow::Result<()>;
}

/// Used where no index is wanted.
pub struct NoIndex;

impl IndexSink for NoIndex {
    fn add(&mut self, _: &DocumentMeta, _: &str) -> anyhow::Result<()> {
        Ok(())
    }
    fn commit(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}
