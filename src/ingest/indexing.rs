//! The pipeline's hold on the search index, which is derived and may fall behind (a kill
//! between a batch's commit and the index's, a full disk): an error marks it broken
//! instead of being forgotten; the writer is then opened again and the index compared
//! with the archive ([`crate::search::consistency`]), what is missing added and what has
//! no document removed, and the repair logged. The watcher does this at start-up too. (An
//! index that cannot be opened at all is moved aside and rebuilt by `sink_for`.)

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use crate::ingest::ocr::OcrJob;
use crate::ingest::pipeline::Ingestor;
use crate::search::consistency::{self, CheckReport};
use crate::search::index::{IndexSink, SearchIndex};
use crate::store::document::{DocumentMeta, OcrState, TextSource};

type Reopen<'a> = Box<dyn FnMut() -> Result<Box<dyn IndexSink + 'a>> + 'a>;

pub(crate) struct Indexer<'a> {
    sink: Option<Box<dyn IndexSink + 'a>>,
    reopen: Option<Reopen<'a>>,
    /// An add or commit failed since the last repair: the index may lack documents.
    pub broken: bool,
    /// When to try a broken index again (a full disk may take a while to clear).
    pub retry_at: Option<Instant>,
}

impl<'a> Indexer<'a> {
    pub fn new(sink: Box<dyn IndexSink + 'a>, reopen: Reopen<'a>) -> Indexer<'a> {
        Indexer {
            sink: Some(sink),
            reopen: Some(reopen),
            broken: false,
            retry_at: None,
        }
    }

    pub fn set_reopen(&mut self, f: Reopen<'a>) {
        self.reopen = Some(f);
    }

    fn fail(&mut self, e: anyhow::Error) {
        if !self.broken {
            tracing::error!(
                "the search index could not be updated ({e:#}); it will be opened again and repaired from the boxes"
            );
        }
        self.broken = true;
    }

    /// Adds a batch's documents (skipped while broken: the repair adds them).
    pub fn add_all(&mut self, docs: &[(DocumentMeta, String)]) {
        if self.broken || docs.is_empty() {
            return;
        }
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        let r = docs
            .iter()
            .try_for_each(|(m, t)| sink.add(m, t))
            .and_then(|_| sink.commit_soon());
        if let Err(e) = r {
            self.fail(e);
        }
    }

    /// A scan resolved from review and filed by this batch leaves its `review:<name>`
    /// entry behind (when it was filed by a watcher after `review resolve` handed it to
    /// the inbox); an entry whose scan is no longer in review is dropped.
    pub fn forget_review(&mut self, docs: &[(DocumentMeta, String)], review: &std::path::Path) {
        if self.broken {
            return;
        }
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        let mut any = false;
        for (m, _) in docs {
            if m.status == crate::store::document::Status::Review
                || m.source_name.is_empty()
                || review.join(&m.source_name).exists()
            {
                continue;
            }
            if let Err(e) = sink.remove(&crate::store::review::id_of(&m.source_name)) {
                self.fail(e);
                return;
            }
            any = true;
        }
        if any && let Err(e) = sink.commit_soon() {
            self.fail(e);
        }
    }

    /// Adds or replaces one document and commits.
    pub fn put(&mut self, meta: &DocumentMeta, text: &str) {
        if self.broken {
            return;
        }
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        if let Err(e) = sink.add(meta, text).and_then(|_| sink.commit()) {
            self.fail(e);
        }
    }

    pub fn commit(&mut self) {
        if self.broken {
            return;
        }
        if let Some(Err(e)) = self.sink.as_mut().map(|s| s.commit()) {
            self.fail(e);
        }
    }

    /// Drops the writer (releasing its lock) and opens a new one.
    fn reopen(&mut self) -> Result<()> {
        let Some(f) = self.reopen.as_mut() else {
            anyhow::bail!("the index cannot be opened again from here");
        };
        self.sink = None;
        self.sink = Some(f()?);
        Ok(())
    }
}

/// What a repair of the index did (ids).
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexRepair {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Documents whose sidecar could not be read (see `archivist verify`).
    pub unreadable: Vec<String>,
}

impl IndexRepair {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.unreadable.is_empty()
    }
}

impl Ingestor<'_> {
    /// True when an index error is waiting to be repaired and it is time to try.
    pub fn index_needs_repair(&self) -> bool {
        self.index.broken && self.index.retry_at.is_none_or(|t| Instant::now() >= t)
    }

    /// After an index error: opens the writer again, compares and repairs. On failure
    /// (the disk still full) it is tried again later.
    pub fn recover_index(&mut self) -> Result<IndexRepair> {
        let r = self.index.reopen().and_then(|_| {
            let ix = SearchIndex::open(&self.archive.index)?;
            let report = consistency::compare(self.archive, &ix)?;
            self.index.broken = false;
            Ok(self.repair_index(&report))
        });
        match r {
            Ok(repair) => {
                self.index.retry_at = None;
                Ok(repair)
            }
            Err(e) => {
                // A full disk may take a while to clear: tried again after the watcher's
                // retry delay.
                let wait = Duration::from_secs(self.archive.config.watch.retry_min_secs.max(1));
                self.index.broken = true;
                self.index.retry_at = Some(Instant::now() + wait);
                Err(e.context(format!(
                    "the search index could not be opened again; retrying in {} s",
                    wait.as_secs()
                )))
            }
        }
    }

    /// Brings the index in line with a comparison: missing documents are added from
    /// their sidecars and text (and queued for OCR if pending), entries with no document
    /// removed, and the result committed and logged.
    pub fn repair_index(&mut self, report: &CheckReport) -> IndexRepair {
        let mut out = IndexRepair::default();
        // Without the catalogue no entry can be shown to have no document: none removed.
        let catalogue_read = match self.catalogue_ready() {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!("{e:#}; index entries without a document are kept for now");
                false
            }
        };
        for id in &report.missing_from_index {
            if let Some(name) = id.strip_prefix(crate::store::review::ID_PREFIX) {
                let item = crate::store::review::read(self.archive, name);
                let (meta, text) = crate::store::review::index_entry(self.archive, &item);
                self.index.put_uncommitted(&meta, &text);
                out.added.push(id.clone());
                continue;
            }
            let Some(loc) = report.locations.get(id) else {
                continue;
            };
            let dir = self.archive.root.join(&loc.box_rel);
            let meta = std::fs::read_to_string(dir.join(&loc.sidecar))
                .map_err(anyhow::Error::from)
                .and_then(|t| Ok(DocumentMeta::from_toml(&t)?));
            let Ok(meta) = meta else {
                out.unreadable.push(id.clone());
                continue;
            };
            let text = meta
                .text_file
                .as_ref()
                .and_then(|t| std::fs::read_to_string(dir.join(t)).ok())
                .unwrap_or_default();
            self.index.put_uncommitted(&meta, &text);
            if let Some(job) = pending_job(&meta) {
                self.ocr_jobs.push(job);
            }
            out.added.push(id.clone());
        }
        for id in &report.index_without_document {
            // A document archived since the comparison is not an orphan (nor a scan
            // that entered review since).
            let in_review = id
                .strip_prefix(crate::store::review::ID_PREFIX)
                .is_some_and(|n| self.archive.review.join(n).is_file());
            if catalogue_read && !self.catalogue.contains_key(id) && !in_review {
                self.index.remove(id);
                out.removed.push(id.clone());
            }
        }
        self.index.commit();
        if !out.is_empty() {
            tracing::warn!(
                "search index repaired from the boxes: {} document(s) added, {} entr(y/ies) without a document removed{}",
                out.added.len(),
                out.removed.len(),
                if out.unreadable.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} sidecar(s) could not be read (run `archivist verify`)",
                        out.unreadable.len()
                    )
                }
            );
        }
        out
    }
}

impl Indexer<'_> {
    fn put_uncommitted(&mut self, meta: &DocumentMeta, text: &str) {
        if let Some(Err(e)) = self.sink.as_mut().map(|s| s.add(meta, text)) {
            self.fail(e);
        }
    }

    fn remove(&mut self, id: &str) {
        if let Some(Err(e)) = self.sink.as_mut().map(|s| s.remove(id)) {
            self.fail(e);
        }
    }
}

/// The OCR work a document's sidecar says is pending.
pub(crate) fn pending_job(meta: &DocumentMeta) -> Option<OcrJob> {
    let o = meta.ocr.as_ref().filter(|o| o.state == OcrState::Pending)?;
    let pages: Vec<u32> = o
        .pages
        .iter()
        .filter(|p| p.source != TextSource::Layer)
        .map(|p| p.page)
        .collect();
    let box_rel = meta.box_path.clone();
    (!pages.is_empty()).then(|| OcrJob {
        id: meta.id.clone(),
        box_rel,
        file: meta.file.clone(),
        pages,
        before_filing: false,
    })
}
