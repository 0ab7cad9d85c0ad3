//! Use cases of the search index: search with facets, reindex, and the comparison of the
//! archive with the index.

use serde::Serialize;

use super::Archivist;
use crate::error::Result;
use crate::search::{SearchIndex, SearchRequest, SearchResults};

/// What `reindex` did.
#[derive(Debug, Clone, Serialize)]
pub struct Reindexed {
    pub documents: u64,
    pub seconds: f64,
    pub index: std::path::PathBuf,
}

/// The archive against the index.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    /// Documents in the archive (tombstones included).
    pub archive: usize,
    pub index: usize,
    pub missing_from_index: Vec<String>,
    pub index_without_document: Vec<String>,
}

impl Archivist {
    /// The search index, opened for reading.
    pub fn index(&self) -> Result<SearchIndex> {
        Ok(SearchIndex::open(&self.archive().index)?)
    }

    /// One page of hits for a learner's name or a query, with the total and facet counts.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        Ok(self.index()?.search(req)?)
    }

    /// Rebuilds the index from the boxes alone; `progress(done, total)` as it goes.
    pub fn reindex(&self, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Reindexed> {
        let _w = self.writing("archivist reindex")?;
        let start = std::time::Instant::now();
        let documents = crate::search::rebuild(self.archive(), progress)?;
        Ok(Reindexed {
            documents,
            seconds: start.elapsed().as_secs_f64(),
            index: self.archive().index.clone(),
        })
    }

    /// Compares the documents the boxes hold (tombstones and scans waiting in review
    /// included) with the index: [`crate::search::consistency::compare`], the same
    /// comparison the watcher repairs the index from.
    pub fn check(&self) -> Result<CheckReport> {
        let r = crate::search::consistency::compare(self.archive(), &self.index()?)?;
        Ok(CheckReport {
            ok: r.ok(),
            archive: r.archive,
            index: r.index,
            missing_from_index: r.missing_from_index,
            index_without_document: r.index_without_document,
        })
    }
}
