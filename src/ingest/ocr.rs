//! OCR of archived pages without a usable text layer. Which documents wait is read from
//! the index (one term query on the OCR state), not from every sidecar. [`OcrPool`] runs
//! pages of many documents at once on a fixed number of workers (one per core by
//! default), so one-page scans use every core; results are recorded by the archive's
//! single writer: the text file and sidecar rewritten (the scan never is), the manifest
//! following, learners found in the new text added, the index updated.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result};
use chrono::Utc;
use serde_json::json;
use tantivy::TantivyDocument;
use tantivy::collector::DocSetCollector;
use tantivy::schema::Value;

use crate::formats::ocr::{OcrConfig, PageText};
use crate::ingest::ocrcache::{CachedOcr, OcrCache};
use crate::ingest::pipeline::{Ingestor, WaitingOcr};
use crate::search::index::SearchIndex;
use crate::store::archive::{self, DocLoc};
use crate::store::audit::Event;
use crate::store::boxes::Entry;
use crate::store::document::{DocumentMeta, OcrInfo, OcrState, PageSource, TextSource};
use crate::store::fsutil;

/// Pages of one archived document to OCR; or, `before_filing`, of a scan in the inbox
/// that needs its text to be classified (then `box_rel` is empty and `file` is the
/// scan's path as shown, and the results go to the OCR cache).
#[derive(Debug, Clone)]
pub struct OcrJob {
    pub id: String,
    pub box_rel: String,
    pub file: String,
    pub pages: Vec<u32>,
    pub before_filing: bool,
}

/// OCRs a job's pages (no archive writes: safe on any thread).
pub fn run_ocr(root: &Path, cfg: &OcrConfig, job: &OcrJob) -> Result<Vec<PageText>> {
    let scan = root.join(&job.box_rel).join(&job.file);
    let bytes = std::fs::read(&scan).with_context(|| format!("cannot read {}", scan.display()))?;
    Ok(crate::formats::ocr::ocr_pdf(&bytes, &job.pages, cfg))
}

/// Pages between documents are separated by a form feed on a line of its own.
const PAGE_BREAK: &str = "\n\u{c}\n";

/// The document's text with the OCR'd pages put in (pure).
pub fn merge_pages(old: &str, pages: u32, results: &[PageText]) -> String {
    let mut text: Vec<String> = old.split(PAGE_BREAK).map(str::to_string).collect();
    text.resize(pages.max(1) as usize, String::new());
    for r in results.iter().filter(|r| r.error.is_none()) {
        if let Some(p) = text.get_mut(r.page.saturating_sub(1) as usize) {
            *p = r.text.clone();
        }
    }
    text.join(PAGE_BREAK)
}

/// Records each page's source, confidence and turn; the state becomes done, or failed
/// with the pages that failed (pure). Returns the failures.
pub fn merge_info(info: &mut OcrInfo, results: &[PageText]) -> Vec<String> {
    let mut failures = Vec::new();
    for r in results {
        if let Some(e) = &r.error {
            failures.push(format!("page {}: {e}", r.page));
            continue;
        }
        let src = PageSource {
            page: r.page,
            source: if r.text.trim().is_empty() {
                TextSource::None
            } else {
                TextSource::Ocr
            },
            confidence: r.confidence,
            rotation: Some(r.rotation),
        };
        match info.pages.iter_mut().find(|p| p.page == r.page) {
            Some(p) => *p = src,
            None => info.pages.push(src),
        }
    }
    info.pages.sort_by_key(|p| p.page);
    info.state = if failures.is_empty() {
        OcrState::Done
    } else {
        OcrState::Failed
    };
    info.message = (!failures.is_empty()).then(|| failures.join("; "));
    info.at = Some(Utc::now());
    failures
}

impl Ingestor<'_> {
    /// Archived documents waiting for OCR, or (with `only`) the given documents, every
    /// page without a text layer.
    pub fn pending_ocr(&mut self, only: Option<&[String]>) -> Result<Vec<OcrJob>> {
        self.catalogue_ready()?;
        let ids: Vec<String> = match only {
            Some(o) => o.to_vec(),
            None => match pending_in_index(&self.archive.index) {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!("{e:#}; reading every sidecar to find pending OCR instead");
                    self.catalogue.keys().collect()
                }
            },
        };
        let mut out = Vec::new();
        for id in ids {
            let Some(loc) = self.catalogue.get(&id) else {
                continue;
            };
            let meta = self.archive.read_meta(&loc)?;
            let pages: Vec<u32> = match (&meta.ocr, only.is_some()) {
                (Some(o), forced) if o.state == OcrState::Pending || forced => o
                    .pages
                    .iter()
                    .filter(|p| p.source != TextSource::Layer)
                    .map(|p| p.page)
                    .collect(),
                (None, true) => (1..=meta.pages).collect(),
                _ => continue,
            };
            if !pages.is_empty() {
                out.push(OcrJob {
                    id,
                    box_rel: loc.box_rel,
                    file: loc.file,
                    pages,
                    before_filing: false,
                });
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Records OCR results: the text file and sidecar are rewritten (the scan never is),
    /// the manifest follows, learners found in the new text are added, the index updated.
    pub fn apply_ocr(&mut self, job: &OcrJob, results: Vec<PageText>) -> Result<()> {
        let a = self.archive;
        let loc = DocLoc {
            box_rel: job.box_rel.clone(),
            file: job.file.clone(),
        };
        let mut meta = a.read_meta(&loc)?;
        let dir = a.root.join(&job.box_rel);
        let txt_rel = archive::text_of(&job.file);
        let old = std::fs::read_to_string(dir.join(&txt_rel)).unwrap_or_default();
        let text = merge_pages(&old, meta.pages, &results);
        let info = meta.ocr.get_or_insert(OcrInfo {
            state: OcrState::Pending,
            at: None,
            message: None,
            pages: Vec::new(),
        });
        let failures = merge_info(info, &results);
        let state = info.state;
        if meta.provenance.get("learners").map(String::as_str) != Some("sidecar") {
            add_learners(&mut meta, &text, &a.config.classify.staff_markers);
        }
        meta.results =
            crate::ru::results::extract(&meta.kind, &text, &a.config.classify.staff_markers)
                .or(meta.results.take());
        meta.text_file = (!text.trim().is_empty()).then(|| txt_rel.clone());
        self.write_ocr(job, &meta, &text, &dir)?;
        self.audit.append_one(
            Event::new("ocr-completed")
                .id(&job.id)
                .path(format!("{}/{}", job.box_rel, job.file))
                .details(
                    json!({"pages": job.pages, "state": state.as_str(), "failures": failures}),
                ),
        )?;
        self.index.put(&meta, &text);
        Ok(())
    }

    /// Rewrites the document's text and sidecar and its box's manifests.
    fn write_ocr(
        &mut self,
        job: &OcrJob,
        meta: &DocumentMeta,
        text: &str,
        dir: &Path,
    ) -> Result<()> {
        let side_rel = archive::sidecar_of(&job.file);
        let txt_rel = archive::text_of(&job.file);
        let side_text = meta.to_toml()?;
        // Named first, so a crash in the middle leaves no temporary file behind.
        self.intend_touch(&job.box_rel)?;
        if meta.text_file.is_some() {
            fsutil::write_atomic(&dir.join(&txt_rel), text.as_bytes(), true)?;
        }
        fsutil::write_atomic(&dir.join(&side_rel), side_text.as_bytes(), true)?;
        let default_group = self.archive.config.boxes.default_group.clone();
        let b = self.box_for(meta.year, meta.group.as_deref().unwrap_or(&default_group))?;
        if b.dir != dir {
            anyhow::bail!("document {} is not in the box its sidecar names", job.id);
        }
        b.manifest.insert(side_rel, Entry::of(side_text.as_bytes()));
        if meta.text_file.is_some() {
            b.manifest.insert(txt_rel, Entry::of(text.as_bytes()));
        }
        let key = b.rel.clone();
        self.write_boxes(&BTreeSet::from([key]))?;
        self.clear_intents()
    }
}

/// Learners named in the new text, added to those already known.
fn add_learners(meta: &mut DocumentMeta, text: &str, staff_markers: &[String]) {
    for n in crate::ru::names::find_names(text, staff_markers) {
        if !meta.learners.contains(&n.text) {
            meta.learners.push(n.text);
        }
    }
}

/// Ids of the documents whose OCR is pending, from the index.
pub fn pending_in_index(index_dir: &Path) -> Result<Vec<String>> {
    let ix = SearchIndex::open(index_dir)?;
    let searcher = ix.searcher();
    let mut ids = Vec::new();
    for addr in searcher.search(&ix.ocr_pending_query(), &DocSetCollector)? {
        let d: TantivyDocument = searcher.doc(addr)?;
        if let Some(id) = d.get_first(ix.fields.id).and_then(|v| v.as_str()) {
            ids.push(id.to_string());
        }
    }
    Ok(ids)
}

/// How many OCR workers: `ocr.jobs`, or one per core when 0.
pub fn workers(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

pub type OcrResult = (OcrJob, Result<Vec<PageText>>);

type PageWork = (Arc<DocWork>, u32);

/// One document's pages spread over the pool.
struct DocWork {
    job: OcrJob,
    scan: PathBuf,
    bytes: OnceLock<std::result::Result<Arc<Vec<u8>>, String>>,
    results: Mutex<Vec<PageText>>,
    remaining: AtomicUsize,
    /// For a scan not yet filed: where its results are kept, with the languages read.
    cache: Option<(OcrCache, String)>,
    started: std::time::Instant,
}

/// OCR workers taking pages (of any document) from two queues: scans waiting in the
/// inbox to be classified first (nothing else can happen to them meanwhile), then pages
/// of archived documents. A document's results are sent when its last page is done.
pub struct OcrPool {
    pages: Option<crossbeam_channel::Sender<PageWork>>,
    first: Option<crossbeam_channel::Sender<PageWork>>,
    pub results: crossbeam_channel::Receiver<OcrResult>,
    queued: usize,
    languages: String,
}

impl OcrPool {
    pub fn start(cfg: &OcrConfig, workers: usize) -> OcrPool {
        let (page_tx, page_rx) = crossbeam_channel::unbounded::<PageWork>();
        let (first_tx, first_rx) = crossbeam_channel::unbounded::<PageWork>();
        let (res_tx, res_rx) = crossbeam_channel::unbounded::<OcrResult>();
        for _ in 0..workers.max(1) {
            let (rx, first, tx, cfg) = (
                page_rx.clone(),
                first_rx.clone(),
                res_tx.clone(),
                cfg.clone(),
            );
            std::thread::spawn(move || {
                while let Some((doc, page)) = next_page(&first, &rx) {
                    ocr_one_page(&doc, page, &cfg);
                    if doc.remaining.fetch_sub(1, Ordering::SeqCst) == 1
                        && tx.send(finish(&doc)).is_err()
                    {
                        break;
                    }
                }
            });
        }
        OcrPool {
            pages: Some(page_tx),
            first: Some(first_tx),
            results: res_rx,
            queued: 0,
            languages: cfg.languages.clone(),
        }
    }

    pub fn submit(&mut self, root: &Path, job: OcrJob) {
        if job.pages.is_empty() {
            return;
        }
        let doc = Arc::new(DocWork {
            scan: root.join(&job.box_rel).join(&job.file),
            remaining: AtomicUsize::new(job.pages.len()),
            results: Mutex::new(Vec::new()),
            bytes: OnceLock::new(),
            job,
            cache: None,
            started: std::time::Instant::now(),
        });
        if let Some(tx) = &self.pages {
            for &p in &doc.job.pages {
                let _ = tx.send((doc.clone(), p));
            }
            self.queued += 1;
        }
    }

    /// OCRs a scan waiting in the inbox, ahead of archived documents; its result is
    /// written to `cache` by the worker that reads its last page (so a result survives
    /// the watcher being stopped), then sent through `results` as a `before_filing` job.
    pub fn submit_before_filing(&mut self, w: &WaitingOcr, cache: &OcrCache) {
        if w.pages.is_empty() {
            return;
        }
        let bytes = OnceLock::new();
        let _ = bytes.set(Ok(w.pdf.clone()));
        let doc = Arc::new(DocWork {
            scan: w.input.path.clone(),
            remaining: AtomicUsize::new(w.pages.len()),
            results: Mutex::new(Vec::new()),
            bytes,
            job: OcrJob {
                id: w.sha.clone(),
                box_rel: String::new(),
                file: w.input.display.clone(),
                pages: w.pages.clone(),
                before_filing: true,
            },
            cache: Some((cache.clone(), self.languages.clone())),
            started: std::time::Instant::now(),
        });
        if let Some(tx) = &self.first {
            for &p in &doc.job.pages {
                let _ = tx.send((doc.clone(), p));
            }
            self.queued += 1;
        }
    }

    /// Documents submitted and not yet returned through `results`.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Waits for the next document's results.
    pub fn next_result(&mut self) -> Option<OcrResult> {
        if self.queued == 0 {
            return None;
        }
        let r = self.results.recv().ok()?;
        self.queued -= 1;
        Some(r)
    }

    /// Results ready now, without waiting.
    pub fn ready(&mut self) -> Vec<OcrResult> {
        let v: Vec<OcrResult> = self.results.try_iter().collect();
        self.queued = self.queued.saturating_sub(v.len());
        v
    }
}

impl Drop for OcrPool {
    fn drop(&mut self) {
        // Closing the queues ends the workers once the pages they hold are done.
        self.pages = None;
        self.first = None;
    }
}

/// The next page to read: a waiting scan's if there is one, else whichever comes first.
/// `None` once both queues are closed and empty.
fn next_page(
    first: &crossbeam_channel::Receiver<PageWork>,
    rest: &crossbeam_channel::Receiver<PageWork>,
) -> Option<PageWork> {
    if let Ok(w) = first.try_recv() {
        return Some(w);
    }
    crossbeam_channel::select! {
        recv(first) -> m => m.ok().or_else(|| rest.recv().ok()),
        recv(rest) -> m => m.ok().or_else(|| first.recv().ok()),
    }
}

fn ocr_one_page(doc: &DocWork, page: u32, cfg: &OcrConfig) {
    let bytes = doc.bytes.get_or_init(|| {
        std::fs::read(&doc.scan)
            .map(Arc::new)
            .map_err(|e| format!("cannot read {}: {e}", doc.scan.display()))
    });
    if let Ok(b) = bytes {
        let r = crate::formats::ocr::ocr_pdf(b, &[page], cfg);
        if let Ok(mut all) = doc.results.lock() {
            all.extend(r);
        }
    }
}

fn finish(doc: &DocWork) -> OcrResult {
    let job = doc.job.clone();
    match doc.bytes.get() {
        Some(Err(e)) => (job, Err(anyhow::anyhow!("{e}"))),
        _ => {
            let mut pages = doc.results.lock().map(|r| r.clone()).unwrap_or_default();
            pages.sort_by_key(|p| p.page);
            if let Some((cache, languages)) = &doc.cache {
                return (
                    job.clone(),
                    keep(cache, languages, &job, pages, doc.started),
                );
            }
            (job, Ok(pages))
        }
    }
}

/// Writes the result of OCR before filing to the cache. A result Tesseract could not
/// produce at all (it vanished) is not kept: it would send the scan to review for good.
fn keep(
    cache: &OcrCache,
    languages: &str,
    job: &OcrJob,
    pages: Vec<PageText>,
    started: std::time::Instant,
) -> Result<Vec<PageText>> {
    let unavailable = pages.iter().any(|p| {
        p.error
            .as_deref()
            .is_some_and(|e| e.starts_with("tesseract is not available"))
    });
    if unavailable {
        return Ok(pages);
    }
    let entry = CachedOcr {
        sha256: job.id.clone(),
        languages: languages.to_string(),
        at: Utc::now(),
        pages,
    };
    match cache.put(&entry) {
        // Logged once durable: tests count these lines (a scan read is never read again).
        Ok(()) => tracing::info!(
            "OCR before filing done: {} ({}), {} page(s) in {:?}",
            job.file,
            job.id,
            job.pages.len(),
            started.elapsed()
        ),
        Err(e) => tracing::warn!(
            "{}: the OCR result could not be kept in {} ({e}); kept in memory for this run",
            job.file,
            cache.dir().display()
        ),
    }
    Ok(entry.pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: u32, text: &str, error: Option<&str>) -> PageText {
        PageText {
            page: n,
            source: TextSource::Ocr,
            text: text.into(),
            confidence: Some(90.0),
            rotation: 0,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn ocr_results_merge_into_text_and_state() {
        let results = [page(2, "вторая", None), page(3, "", Some("timeout"))];
        let text = merge_pages("первая", 3, &results);
        assert_eq!(text, "первая\n\u{c}\nвторая\n\u{c}\n");
        let mut info = OcrInfo {
            state: OcrState::Pending,
            at: None,
            message: None,
            pages: vec![PageSource {
                page: 1,
                source: TextSource::Layer,
                confidence: None,
                rotation: None,
            }],
        };
        let failures = merge_info(&mut info, &results);
        assert_eq!(failures, vec!["page 3: timeout".to_string()]);
        assert_eq!(info.state, OcrState::Failed);
        assert_eq!(info.pages.len(), 2);
        assert_eq!(info.pages[1].source, TextSource::Ocr);
    }
}
