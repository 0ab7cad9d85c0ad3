//! Use cases of the search index: search with facets, reindex, and the comparison of the
//! archive with the index.

use std::collections::BTreeSet;

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

    /// Compares the documents the boxes hold (tombstones included) with the index.
    pub fn check(&self) -> Result<CheckReport> {
        let a = self.archive();
        let mut in_archive: BTreeSet<String> = a.catalogue()?.into_keys().collect();
        in_archive.extend(crate::store::archive::tombstone_ids(a)?);
        // Scans waiting in review are indexed too (`review:<name>`).
        in_archive.extend(
            crate::store::review::names(a)
                .iter()
                .map(|n| crate::store::review::id_of(n)),
        );
        let in_index: BTreeSet<String> = self.index()?.all_ids()?.into_iter().collect();
        let missing: Vec<String> = in_archive.difference(&in_index).cloned().collect();
        let orphans: Vec<String> = in_index.difference(&in_archive).cloned().collect();
        Ok(CheckReport {
            ok: missing.is_empty() && orphans.is_empty(),
            archive: in_archive.len(),
            index: in_index.len(),
            missing_from_index: missing,
            index_without_document: orphans,
        })
    }
}
