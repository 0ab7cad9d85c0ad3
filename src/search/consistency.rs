//! Archive against index: which documents the boxes hold (live ones in the manifests,
//! destroyed ones as tombstone sidecars) that the index lacks, and which index entries
//! have no document. Used by `check`, and by the watcher to repair the index at start-up
//! and after an index error. Neither side is loaded whole: the index's ids are read from
//! its term dictionary, the archive's from the box manifests.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde::Serialize;
use tantivy::DocSet;
use tantivy::schema::IndexRecordOption;

use crate::search::index::SearchIndex;
use crate::store::archive::{self, Archive};
use crate::store::boxes;
use crate::store::document::DocumentMeta;

/// Where a document's sidecar is (live or tombstone): enough to index it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRef {
    /// Box folder relative to the root.
    pub box_rel: String,
    /// Sidecar relative to the box.
    pub sidecar: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Documents in the archive (live and destroyed).
    pub archive: usize,
    /// Documents in the index.
    pub index: usize,
    pub missing_from_index: Vec<String>,
    pub index_without_document: Vec<String>,
    /// Where each missing document's sidecar is.
    #[serde(skip)]
    pub locations: BTreeMap<String, DocRef>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.missing_from_index.is_empty() && self.index_without_document.is_empty()
    }
}

/// Compares the archive's documents with the index's. The index is read first: a
/// document committed to the index is in its manifest already, so one archived while
/// this runs is never taken for an orphan.
pub fn compare(a: &Archive, ix: &SearchIndex) -> Result<CheckReport> {
    let in_index = index_ids(ix)?;
    let in_archive = archive_ids(a)?;
    let missing: Vec<String> = in_archive
        .keys()
        .filter(|id| !in_index.contains(*id))
        .cloned()
        .collect();
    let orphans: Vec<String> = in_index
        .iter()
        .filter(|id| !in_archive.contains_key(*id))
        .cloned()
        .collect();
    let locations = missing
        .iter()
        .filter_map(|id| Some((id.clone(), in_archive.get(id)?.clone())))
        .collect();
    Ok(CheckReport {
        archive: in_archive.len(),
        index: in_index.len(),
        missing_from_index: missing,
        index_without_document: orphans,
        locations,
    })
}

/// Every document id with a live entry in the index (from the `id` term dictionary of
/// each segment; a term whose documents are all deleted does not count).
pub fn index_ids(ix: &SearchIndex) -> Result<BTreeSet<String>> {
    let searcher = ix.searcher();
    let mut ids = BTreeSet::new();
    for seg in searcher.segment_readers() {
        let inverted = seg
            .inverted_index(ix.fields.id)
            .context("cannot read the index's ids")?;
        let alive = seg.alive_bitset();
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let live = match alive {
                None => true,
                Some(bits) => {
                    let mut postings = inverted
                        .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
                    let mut any = false;
                    while postings.doc() != tantivy::TERMINATED {
                        if bits.is_alive(postings.doc()) {
                            any = true;
                            break;
                        }
                        postings.advance();
                    }
                    any
                }
            };
            if live && let Ok(id) = std::str::from_utf8(terms.key()) {
                ids.insert(id.to_string());
            }
        }
    }
    Ok(ids)
}

/// Every document the boxes hold: scans named in the manifests, and destroyed documents
/// whose tombstone sidecar is listed without a scan (one manifest read per box; only
/// tombstones are opened, for their id); and every scan waiting in review.
pub fn archive_ids(a: &Archive) -> Result<BTreeMap<String, DocRef>> {
    let mut out = BTreeMap::new();
    for dir in a.box_dirs() {
        let box_rel = a.rel(&dir);
        let manifest = boxes::read_manifest(&dir)
            .with_context(|| format!("cannot read the manifest of box {}", dir.display()))?;
        let mut sidecars_of_scans = BTreeSet::new();
        for (path, sha) in &manifest {
            if path.starts_with("data/") && path.to_ascii_lowercase().ends_with(".pdf") {
                let sidecar = archive::sidecar_of(path);
                sidecars_of_scans.insert(sidecar.clone());
                out.insert(
                    sha.clone(),
                    DocRef {
                        box_rel: box_rel.clone(),
                        sidecar,
                    },
                );
            }
        }
        for path in manifest.keys() {
            if path.starts_with("data/")
                && path.ends_with(".toml")
                && !sidecars_of_scans.contains(path)
                && let Ok(m) = std::fs::read_to_string(dir.join(path))
                    .map_err(anyhow::Error::from)
                    .and_then(|t| Ok(DocumentMeta::from_toml(&t)?))
            {
                out.insert(
                    m.id,
                    DocRef {
                        box_rel: box_rel.clone(),
                        sidecar: path.clone(),
                    },
                );
            }
        }
    }
    // Scans waiting in review are indexed too (`review:<name>`); their notes are in the
    // review folder, which `DocRef` names with an empty sidecar.
    for name in crate::store::review::names(a) {
        out.insert(
            crate::store::review::id_of(&name),
            DocRef {
                box_rel: a.rel(&a.review),
                sidecar: String::new(),
            },
        );
    }
    Ok(out)
}
