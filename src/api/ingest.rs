//! Use cases of the inbox: ingest files or folders, watch the inbox, OCR pages without
//! text. Each takes the archive's writer lock for its duration and reports through a
//! callback as it goes (for a progress bar or a log), then returns what it did.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::api::{Actor, Archivist};
use crate::error::{Invalid, NotFound, Refused, Result};
use crate::ingest::indexing::IndexRepair;
use crate::ingest::input::Input;
use crate::ingest::input::{Filter, inputs_from_paths};
use crate::ingest::ocr::{OcrPool, workers};
use crate::ingest::pipeline::{self, Ingestor, WaitingOcr};
use crate::ingest::prepare::OcrFirst;
use crate::ingest::receipt::Summary;
use crate::ingest::watch::{self, WatchEvent, WatchOptions};
use crate::store::receipts::Receipt;

/// What `ingest` did: one receipt per file, in input order.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub summary: Summary,
    pub receipts: Vec<Receipt>,
    /// The index had to be repaired after an error during the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_repaired: Option<IndexRepair>,
}

impl IngestReport {
    /// Some file was refused, sent to review or deferred: a person should look.
    pub fn has_findings(&self) -> bool {
        self.summary.refused + self.summary.review + self.summary.deferred > 0
    }
}

/// Progress of `ingest`: files done out of all, and the latest receipt; or, while scans
/// with no text are OCRed before they can be classified, the pages read so far.
pub struct IngestProgress<'a> {
    pub done: usize,
    pub total: usize,
    /// `None` for OCR progress.
    pub receipt: Option<&'a Receipt>,
    /// OCR before classification: (pages read, pages to read).
    pub ocr: Option<(usize, usize)>,
}

/// Which documents `ocr` reads.
#[derive(Debug, Clone)]
pub enum OcrTarget {
    /// Every document whose OCR is pending.
    Pending,
    /// These documents (ids or unambiguous prefixes), every page without a text layer.
    Ids(Vec<String>),
}

#[derive(Debug, Clone, Serialize)]
pub struct OcrReport {
    pub documents: usize,
    pub pages: usize,
    pub results: Vec<OcrDocument>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OcrDocument {
    pub id: String,
    pub file: String,
    pub pages: Vec<u32>,
    pub failed_pages: usize,
}

impl Archivist {
    /// Ingests files and folders (folders walked, links never followed) through the
    /// pipeline. Sources are copied, or moved with `move_sources`. Every file gets a
    /// receipt, including temporary names and paths that cannot be read.
    pub fn ingest(
        &self,
        paths: &[PathBuf],
        move_sources: bool,
        actor: &Actor,
        progress: &mut dyn FnMut(IngestProgress),
    ) -> Result<IngestReport> {
        refuse_sources_in_archive(&self.archive, paths)?;
        let _writing = self.writing("archivist ingest")?;
        self.ingest_in_turn(paths, move_sources, actor, progress)
    }

    /// [`Archivist::ingest`] for a caller that holds the writer's turn already (a
    /// resolved review scan is filed inside the turn that handed it to the inbox).
    pub(crate) fn ingest_in_turn(
        &self,
        paths: &[PathBuf],
        move_sources: bool,
        actor: &Actor,
        progress: &mut dyn FnMut(IngestProgress),
    ) -> Result<IngestReport> {
        let a = &self.archive;
        let filter = Filter::new(&a.config.watch.ignore)?;
        let inputs = inputs_from_paths(paths, &filter, move_sources)?;
        let mut ing = open_ingestor(a, actor)?;
        // Tesseract is asked about only once a scan waits for it: asking costs a third of
        // a second, and most scans have text.
        ing.set_ocr_first(if a.config.ocr.enabled {
            OcrFirst::Queue
        } else {
            OcrFirst::Off
        });
        let total = inputs.len();
        let batch_max = a.config.watch.batch_max.max(1);
        let mut got = Collected::default();
        ing.process_batches(pipeline::batches(&inputs, batch_max), |_, r| {
            got.batch(r, total, progress)
        });
        // Scans that need OCR to be classified: read now (results cached), then once
        // more through the pipeline.
        let waiting = ing.take_waiting_ocr();
        if !waiting.is_empty() && got.failure.is_none() {
            let done = got.receipts.len();
            // What still has no OCR result goes to review, not round again.
            let no_result = match crate::formats::ocr::check_tesseract(&a.config.ocr_config()) {
                Ok(_) => {
                    ocr_before_filing(a, &ing, &waiting, &mut |read, all| {
                        progress(IngestProgress {
                            done,
                            total,
                            receipt: None,
                            ocr: Some((read, all)),
                        })
                    });
                    "Tesseract gave no result for this scan".into()
                }
                Err(why) => why,
            };
            ing.set_ocr_first(OcrFirst::Unavailable(no_result));
            let again: Vec<Input> = waiting.into_iter().map(|w| w.input).collect();
            ing.process_batches(pipeline::batches(&again, batch_max), |_, r| {
                got.batch(r, total, progress)
            });
        }
        let Collected {
            summary,
            receipts,
            failure,
        } = got;
        let index_repaired = ing
            .index_needs_repair()
            .then(|| ing.recover_index())
            .transpose()?;
        ing.flush_index();
        // Earlier batches are committed; the failed one left its sources in place.
        if let Some(e) = failure {
            return Err(e.into());
        }
        Ok(IngestReport {
            summary,
            receipts,
            index_repaired,
        })
    }

    /// The watcher's options from the archive's configuration.
    pub fn watch_options(&self) -> WatchOptions {
        WatchOptions::from_config(&self.archive)
    }

    /// Watches the inbox and ingests until `stop` is set (the batch in flight is
    /// finished first). `on_event` sees the start, every receipt, OCR results, fixity
    /// runs, index repairs and problems the watcher survives.
    pub fn watch(
        &self,
        options: &WatchOptions,
        stop: Arc<AtomicBool>,
        actor: &Actor,
        on_event: &mut dyn FnMut(WatchEvent),
    ) -> Result<Summary> {
        let a = &self.archive;
        let _pin = self.pin_writer("archivist watch")?;
        let mut ing = open_ingestor(a, actor)?;
        Ok(watch::run(&mut ing, options, stop, on_event)?)
    }

    /// OCRs pages without a usable text layer, pages of many documents at once (one
    /// worker per core, or `ocr.jobs`); `progress(pages done, pages in all)`.
    pub fn ocr(
        &self,
        target: &OcrTarget,
        actor: &Actor,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<OcrReport> {
        let a = &self.archive;
        let cfg = a.config.ocr_config();
        crate::formats::ocr::check_tesseract(&cfg)
            .map_err(|why| Refused(format!("OCR is not available: {why}")))?;
        let _writing = self.writing("archivist ocr")?;
        let only = match target {
            OcrTarget::Pending => None,
            OcrTarget::Ids(ids) if ids.is_empty() => {
                return Err(
                    Invalid("say which documents: pending, or one or more ids".into()).into(),
                );
            }
            OcrTarget::Ids(ids) => Some(
                ids.iter()
                    .map(|id| match a.find(id)? {
                        Some((full, _)) => Ok(full),
                        None => Err(NotFound(format!("no document {id}")).into()),
                    })
                    .collect::<anyhow::Result<Vec<String>>>()?,
            ),
        };
        let mut ing = open_ingestor(a, actor)?;
        let jobs = ing.pending_ocr(only.as_deref())?;
        let total: usize = jobs.iter().map(|j| j.pages.len()).sum();
        let mut pool = OcrPool::start(&cfg, workers(a.config.ocr.jobs));
        for job in jobs {
            pool.submit(&a.root, job);
        }
        let (mut done, mut results) = (0, Vec::new());
        while let Some((job, res)) = pool.next_result() {
            let pages = res?;
            let failed_pages = pages.iter().filter(|r| r.error.is_some()).count();
            ing.apply_ocr(&job, pages)?;
            done += job.pages.len();
            progress(done, total);
            results.push(OcrDocument {
                id: job.id,
                file: format!("{}/{}", job.box_rel, job.file),
                pages: job.pages,
                failed_pages,
            });
        }
        results.sort_by(|x, y| x.id.cmp(&y.id));
        ing.flush_index();
        Ok(OcrReport {
            documents: results.len(),
            pages: total,
            results,
        })
    }
}

/// What `ingest`'s batches produced so far.
#[derive(Default)]
struct Collected {
    summary: Summary,
    receipts: Vec<Receipt>,
    failure: Option<anyhow::Error>,
}

impl Collected {
    /// Takes one batch's receipts; `false` (stop) when the batch failed.
    fn batch(
        &mut self,
        r: anyhow::Result<Vec<Receipt>>,
        total: usize,
        progress: &mut dyn FnMut(IngestProgress),
    ) -> bool {
        match r {
            Ok(batch) => {
                for r in batch {
                    self.summary.add(&r);
                    self.receipts.push(r);
                    progress(IngestProgress {
                        done: self.receipts.len(),
                        total,
                        receipt: self.receipts.last(),
                        ocr: None,
                    });
                }
                true
            }
            Err(e) => {
                self.failure = Some(e);
                false
            }
        }
    }
}

/// OCRs scans waiting to be classified on the OCR pool (each content once), the results
/// kept in the OCR cache; `progress(pages read, pages in all)`.
fn ocr_before_filing(
    a: &crate::store::archive::Archive,
    ing: &Ingestor,
    waiting: &[WaitingOcr],
    progress: &mut dyn FnMut(usize, usize),
) {
    let mut pool = OcrPool::start(&a.config.ocr_config(), workers(a.config.ocr.jobs));
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    for w in waiting.iter().filter(|w| seen.insert(w.sha.clone())) {
        total += w.pages.len();
        pool.submit_before_filing(w, ing.ocr_cache());
    }
    let mut read = 0;
    progress(read, total);
    while let Some((job, _)) = pool.next_result() {
        read += job.pages.len();
        progress(read, total);
    }
}

/// The pipeline on an archive whose lock is held (a damaged index is rebuilt).
pub(super) fn open_ingestor<'a>(
    a: &'a crate::store::archive::Archive,
    actor: &Actor,
) -> anyhow::Result<Ingestor<'a>> {
    Ingestor::open(a, Box::new(crate::search::sink_for(a)?), actor)
}

/// Files already in the archive (other than its inbox) are never inputs: moving them
/// would take them out of their boxes.
fn refuse_sources_in_archive(a: &crate::store::archive::Archive, paths: &[PathBuf]) -> Result<()> {
    let root = std::fs::canonicalize(&a.root).unwrap_or_else(|_| a.root.clone());
    let inbox = std::fs::canonicalize(&a.inbox).unwrap_or_else(|_| a.inbox.clone());
    for p in paths {
        let Ok(full) = std::fs::canonicalize(p) else {
            continue;
        };
        if full.starts_with(&root) && !full.starts_with(&inbox) || root.starts_with(&full) {
            return Err(Invalid(format!(
                "{} is inside the archive at {}: only files from outside it (or from its inbox) can be ingested",
                p.display(),
                a.root.display()
            ))
            .into());
        }
    }
    Ok(())
}
