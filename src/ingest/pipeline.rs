//! The pipeline for a batch of files: prepare each (read, hash, validate, extract text,
//! classify: in parallel, overlapping the previous batch's writes; `prepare`), place each
//! (duplicate check, name, copy into its box: `place`), then commit the batch once (one
//! syncfs, manifests, transfers to review and quarantine, audit, receipts, index; `commit`)
//! and only then remove the sources, each checked once more at the last moment. An intent
//! log (`journal/pending.jsonl`, `recover`) names every file a batch writes and moves, so a
//! restarted process finishes or undoes what an interrupted batch left.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::formats::pdf::PdfLimits;
use crate::ingest::classify::Classifier;
use crate::ingest::indexing::Indexer;
use crate::ingest::ocrcache::OcrCache;
use crate::ingest::place::{Plan, Transfer};
use crate::ingest::prepare::{OcrFirst, Prepared, Preparer, Ready};
use crate::ingest::source::Identity;
use crate::search::index::IndexSink;
use crate::store::archive::Archive;
use crate::store::audit::{Actor, AuditLog, Event};
use crate::store::boxes::ArchiveBox;
use crate::store::catalogue::Catalogue;
use crate::store::document::DocumentMeta;
use crate::store::receipts::{Receipt, ReceiptLog};

pub use crate::ingest::input::Input;
pub use crate::ingest::ocr::{OcrJob, run_ocr};
pub use crate::ingest::receipt::Summary;

/// Boxes kept open (manifest and label in memory) between batches.
pub(crate) const BOX_CACHE_MAX: usize = 256;

/// Work decided for a batch and carried out at commit.
#[derive(Default)]
pub(crate) struct Batch {
    pub touched: BTreeSet<String>,
    pub events: Vec<Event>,
    /// (input number, receipt): placements finish out of input order; sorted at commit.
    pub receipts: Vec<(usize, Receipt)>,
    /// The input being handled.
    pub cur: usize,
    /// Ready scans with their place decided, to be written together (input number).
    pub planned: Vec<(usize, Box<Ready>, Plan)>,
    pub indexed: Vec<(DocumentMeta, String)>,
    /// Sources to remove once the batch is durable (each re-checked first).
    pub remove: Vec<Removal>,
    /// Moves and copies to review and quarantine, carried out at commit.
    pub transfers: Vec<Transfer>,
    /// Names taken per folder, case-folded: listed once per batch and folder, with this
    /// batch's own names added as they are decided (its files are written in parallel).
    pub names: HashMap<PathBuf, HashSet<String>>,
    /// Inputs still being written: the watcher waits for them again, without a receipt.
    pub busy: Vec<usize>,
    /// Inputs that wait for OCR before they can be classified (no receipt yet).
    pub waiting_ocr: Vec<usize>,
    /// Documents archived with OCR read before filing: their cache entries go once the
    /// batch is durable.
    pub ocr_cached: Vec<String>,
}

impl Batch {
    pub fn push_receipt(&mut self, r: Receipt) {
        self.receipts.push((self.cur, r));
    }

    /// The names taken in `dir`, case-folded (names on SMB shares and Windows copies are
    /// compared without case).
    pub fn names_in(&mut self, dir: &std::path::Path) -> &mut HashSet<String> {
        self.names.entry(dir.to_path_buf()).or_insert_with(|| {
            fs::read_dir(dir)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().to_lowercase())
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    pub fn reserve(&mut self, p: &std::path::Path) {
        if let (Some(dir), Some(name)) = (p.parent(), p.file_name()) {
            let name = name.to_string_lossy().to_lowercase();
            self.names_in(dir).insert(name);
        }
    }
}

/// A source to remove after commit, if it is still the file that was read.
pub(crate) struct Removal {
    pub base: PathBuf,
    pub rel: PathBuf,
    pub seen: Identity,
    pub display: String,
}

/// What one batch produced, for the caller.
#[derive(Debug, Default)]
pub struct BatchResult {
    pub receipts: Vec<Receipt>,
    /// Inputs (by position in the batch) that were still being written: no receipt, to
    /// be tried again.
    pub busy: Vec<usize>,
    /// Inputs (by position in the batch) that wait for OCR before they can be classified:
    /// no receipt yet; see [`Ingestor::take_waiting_ocr`].
    pub waiting_ocr: Vec<usize>,
}

/// A scan that stays in the inbox until OCR has read it (see [`OcrFirst::Queue`]).
pub struct WaitingOcr {
    pub input: Input,
    /// The SHA-256 of `pdf`: the document's id, and the OCR cache's key.
    pub sha: String,
    pub pdf: Arc<Vec<u8>>,
    /// Pages without a usable text layer (1-based).
    pub pages: Vec<u32>,
}

pub struct Ingestor<'a> {
    pub archive: &'a Archive,
    pub actor: Actor,
    /// Read from the manifests on a thread of its own, so a watcher on a large archive
    /// is watching at once; [`Ingestor::catalogue_ready`] waits for it, and every entry
    /// point that decides with it calls that first.
    pub(crate) catalogue: Catalogue,
    catalogue_loading: Option<std::thread::JoinHandle<Result<Catalogue>>>,
    /// `catalogue` is not (yet) what the manifests say.
    catalogue_stale: bool,
    pub(crate) boxes: HashMap<String, ArchiveBox>,
    pub(crate) audit: AuditLog,
    pub(crate) receipts: ReceiptLog,
    pub(crate) classifier: Arc<Classifier>,
    pub(crate) limits: PdfLimits,
    pub(crate) index: Indexer<'a>,
    pub(crate) pending_path: PathBuf,
    pub(crate) pending: Option<File>,
    /// Documents archived by this process whose pages wait for OCR.
    pub(crate) ocr_jobs: Vec<OcrJob>,
    /// Busy inputs of the last batch (see [`BatchResult::busy`]).
    last_busy: Vec<usize>,
    /// Inputs of the last batch waiting for OCR (see [`BatchResult::waiting_ocr`]).
    last_waiting: Vec<usize>,
    /// Scans waiting for OCR before classification, since the last `take_waiting_ocr`.
    pub(crate) waiting_ocr: Vec<WaitingOcr>,
    pub(crate) ocr_first: OcrFirst,
    pub(crate) ocr_cache: OcrCache,
}

impl<'a> Ingestor<'a> {
    /// Opens the pipeline on an archive whose writer lock the caller holds, and recovers
    /// whatever a crash left half done.
    pub fn open(
        archive: &'a Archive,
        index: Box<dyn IndexSink + 'a>,
        actor: &Actor,
    ) -> Result<Ingestor<'a>> {
        for d in [
            &archive.inbox,
            &archive.boxes,
            &archive.review,
            &archive.quarantine,
            &archive.journal,
        ] {
            fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let audit = AuditLog::open_archive(archive, actor).with_context(|| {
            format!("cannot open the audit log in {}", archive.journal.display())
        })?;
        let receipts = ReceiptLog::open(&archive.journal).with_context(|| {
            format!("cannot open the receipts in {}", archive.journal.display())
        })?;
        let classifier = Arc::new(
            Classifier::new(&archive.config.classify, &archive.nomenclature)
                .context("a classification regex in the config is invalid")?,
        );
        let mut ing = Ingestor {
            archive,
            actor: actor.clone(),
            catalogue: Catalogue::default(),
            catalogue_loading: None,
            catalogue_stale: true,
            boxes: HashMap::new(),
            audit,
            receipts,
            classifier,
            limits: archive.config.limits_pdf(),
            index: Indexer::new(
                index,
                Box::new(move || Ok(Box::new(crate::search::sink_for(archive)?) as _)),
            ),
            pending_path: archive.journal.join("pending.jsonl"),
            pending: None,
            ocr_jobs: Vec::new(),
            last_busy: Vec::new(),
            last_waiting: Vec::new(),
            waiting_ocr: Vec::new(),
            ocr_first: OcrFirst::Off,
            ocr_cache: OcrCache::new(&archive.journal),
        };
        ing.recover()?;
        let swept = ing.ocr_cache.sweep();
        if swept > 0 {
            tracing::info!("{swept} stale OCR cache entries removed");
        }
        let (root, dirs) = (archive.root.clone(), archive.box_dirs());
        ing.catalogue_loading = Some(
            std::thread::Builder::new()
                .name("catalogue".into())
                .spawn(move || Catalogue::read_boxes(&root, &dirs))
                .context("cannot start a thread to read the catalogue")?,
        );
        Ok(ing)
    }

    /// The catalogue, once read from the manifests (waits for the reading thread; reads
    /// again here if that failed).
    pub(crate) fn catalogue_ready(&mut self) -> Result<&mut Catalogue> {
        if let Some(loading) = self.catalogue_loading.take() {
            match loading.join() {
                Ok(Ok(cat)) => {
                    // Moves made while it was read (recovery) are in the manifests too.
                    self.catalogue = cat;
                    self.catalogue_stale = false;
                }
                Ok(Err(e)) => {
                    tracing::warn!("the catalogue could not be read: {e:#}; reading it again")
                }
                Err(_) => {
                    tracing::warn!("the thread reading the catalogue failed; reading it again")
                }
            }
        }
        if self.catalogue_stale {
            self.catalogue = self.archive.catalogue()?;
            self.catalogue_stale = false;
        }
        Ok(&mut self.catalogue)
    }

    /// How to open the index again after an error (by default `sink_for` on the archive):
    /// the broken writer is dropped, a new one opened, and the gaps repaired.
    pub fn reopen_index_with(
        &mut self,
        reopen: impl FnMut() -> Result<Box<dyn IndexSink + 'a>> + 'a,
    ) {
        self.index.set_reopen(Box::new(reopen));
    }

    /// Commits what the index holds uncommitted (call when idle and before exiting).
    pub fn flush_index(&mut self) {
        self.index.commit();
    }

    /// Whether the catalogue has been read (a call to [`Ingestor::catalogue_ready`] will
    /// not wait).
    pub fn catalogue_is_read(&self) -> bool {
        self.catalogue_loading
            .as_ref()
            .is_none_or(|h| h.is_finished())
    }

    /// How many documents the archive holds (waits for the catalogue).
    pub fn catalogue_len(&mut self) -> Result<usize> {
        Ok(self.catalogue_ready()?.len())
    }

    /// Appends receipts written outside a batch (a deferred file that vanished).
    pub fn record_receipts(&mut self, receipts: &[Receipt]) -> Result<()> {
        self.receipts
            .append(receipts)
            .context("cannot append to the receipts")
    }

    /// OCR work created by the batches committed since the last call.
    pub fn take_ocr_jobs(&mut self) -> Vec<OcrJob> {
        std::mem::take(&mut self.ocr_jobs)
    }

    /// Whether scans that need text for their kind or year are OCRed before they are
    /// classified. Off by default: a caller that sets [`OcrFirst::Queue`] OCRs what
    /// [`Ingestor::take_waiting_ocr`] returns (results into [`Ingestor::ocr_cache`]) and
    /// feeds those inputs again.
    pub fn set_ocr_first(&mut self, mode: OcrFirst) {
        self.ocr_first = mode;
    }

    /// Scans that wait for OCR before classification, from the batches since the last call.
    pub fn take_waiting_ocr(&mut self) -> Vec<WaitingOcr> {
        std::mem::take(&mut self.waiting_ocr)
    }

    /// Where OCR read before filing is kept.
    pub fn ocr_cache(&self) -> &OcrCache {
        &self.ocr_cache
    }

    pub(crate) fn box_for(&mut self, year: i32, group: &str) -> Result<&mut ArchiveBox> {
        let a = self.archive;
        let key = a.rel(&a.boxes.join(year.to_string()).join(group));
        if !self.boxes.contains_key(&key) {
            let b = ArchiveBox::open(&a.boxes, &a.root, year, group)
                .with_context(|| format!("cannot open box {key}"))?;
            self.boxes.insert(key.clone(), b);
        }
        self.boxes.get_mut(&key).context("box cache")
    }

    pub(crate) fn write_boxes(&mut self, touched: &BTreeSet<String>) -> Result<()> {
        if touched.is_empty() {
            return Ok(());
        }
        // Group commit: one syncfs makes the batch's scans, sidecars and folder entries
        // durable before the manifests that name them, and one more the manifests.
        crate::store::fsutil::syncfs(&self.archive.boxes)
            .context("cannot flush the archive to disk")?;
        let anchor = self.audit.head();
        for key in touched {
            if let Some(b) = self.boxes.get_mut(key) {
                b.anchor = Some(anchor.clone());
                b.write_tag_files(&self.archive.nomenclature.organisation, false)
                    .with_context(|| format!("cannot write the manifests of box {key}"))?;
            }
        }
        crate::store::fsutil::syncfs(&self.archive.boxes)
            .context("cannot flush the archive to disk")?;
        Ok(())
    }

    /// Runs batches through the pipeline in order, preparing the next batch (reading,
    /// hashing, parsing, classifying: CPU work on the rayon pool) while the current one
    /// is placed and committed (mostly waiting on the file system), so the two overlap.
    /// `on_batch` gets each batch's number and receipts, in order; it returns `false` to
    /// stop (a batch already being prepared is dropped: nothing of it was written).
    /// Inputs still being written get no receipt: see [`Ingestor::process`].
    pub fn process_batches<I>(
        &mut self,
        batches: I,
        mut on_batch: impl FnMut(usize, Result<Vec<Receipt>>) -> bool,
    ) where
        I: IntoIterator<Item = Vec<Input>>,
        I::IntoIter: Send,
    {
        self.process(batches, |i, r| on_batch(i, r.map(|b| b.receipts)));
    }

    /// Like [`Ingestor::process_batches`], with the inputs still being written (busy)
    /// reported apart so the caller may wait for them.
    pub fn process<I>(
        &mut self,
        batches: I,
        mut on_batch: impl FnMut(usize, Result<BatchResult>) -> bool,
    ) where
        I: IntoIterator<Item = Vec<Input>>,
        I::IntoIter: Send,
    {
        let preparer = self.preparer();
        let batches = batches.into_iter();
        std::thread::scope(|s| {
            // Rendezvous channel: at most one prepared batch waits while one is placed.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(0);
            s.spawn(move || {
                for inputs in batches {
                    if tx.send(preparer.prepare_all(inputs)).is_err() {
                        break;
                    }
                }
            });
            for (i, prepared) in rx.into_iter().enumerate() {
                let r = self.place_and_commit(prepared).map(|receipts| BatchResult {
                    receipts,
                    busy: std::mem::take(&mut self.last_busy),
                    waiting_ocr: std::mem::take(&mut self.last_waiting),
                });
                if !on_batch(i, r) {
                    break;
                }
            }
        });
    }

    pub(crate) fn preparer(&self) -> Preparer<'a> {
        Preparer {
            classifier: self.classifier.clone(),
            limits: self.limits.clone(),
            archive: self.archive,
            ocr_first: self.ocr_first.clone(),
            cache: self.ocr_cache.clone(),
        }
    }

    pub(crate) fn place_and_commit(&mut self, prepared: Vec<Prepared>) -> Result<Vec<Receipt>> {
        let (n, t0) = (prepared.len(), std::time::Instant::now());
        self.catalogue_ready()?;
        let mut batch = Batch::default();
        // Decisions (duplicates, boxes, names, intents) one by one; the file writes of
        // the batch in parallel; then the records, in input order.
        for (i, p) in prepared.into_iter().enumerate() {
            batch.cur = i;
            self.place(p, &mut batch);
        }
        let planned = std::mem::take(&mut batch.planned);
        let write_all = || -> Vec<Result<()>> {
            planned
                .par_iter()
                .map(|(_, r, plan)| plan.write(r))
                .collect()
        };
        let written = match writers() {
            Some(pool) => pool.install(write_all),
            None => write_all(),
        };
        for ((i, r, plan), w) in planned.into_iter().zip(written) {
            batch.cur = i;
            self.finish(r, plan, w, &mut batch);
        }
        let (t1, touched) = (std::time::Instant::now(), batch.touched.len());
        self.last_busy = batch.busy.clone();
        self.last_waiting = batch.waiting_ocr.clone();
        let r = self.commit(batch);
        tracing::debug!(
            "batch of {n}: placed in {:?}, committed in {:?} ({touched} box(es))",
            t1 - t0,
            t1.elapsed()
        );
        r
    }
}

/// The threads that write a batch's files: their own pool, not rayon's global one, where
/// the next batch is being prepared. A write job queued behind that batch's preparation
/// waited for nearly all of it, and the writes are the pipeline's critical path.
fn writers() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("write-{i}"))
            .build()
            .inspect_err(|e| tracing::warn!("no thread pool for writing ({e}); sharing rayon's"))
            .ok()
    })
    .as_ref()
}

/// The first and the last batch's size, at most: nothing overlaps the reading of the
/// first batch or the writing of the last, so both are small.
const EDGE_BATCH: usize = 32;

/// `inputs` in the pipeline's batches, in order: sizes double from 32 up to `max` and
/// halve again towards the end (32, 64, 128, 276, 276, 128, 64, 32 for 1,000 files). The
/// small first batch starts the writes while the rest is read, the small last one leaves
/// little to write after the reading is done, and the large ones between keep what each
/// batch costs once (a syncfs, a rewrite of every box it touches) rare.
pub fn batches<T: Clone>(inputs: &[T], max: usize) -> Vec<Vec<T>> {
    let max = max.max(1);
    let (mut front, mut back) = (Vec::new(), Vec::new());
    let (mut size, mut left) = (EDGE_BATCH.min(max), inputs.len());
    while left >= 3 * size {
        front.push(size);
        back.push(size);
        left -= 2 * size;
        size = size.saturating_mul(2).min(max);
    }
    // The middle, in as few equal parts of at most `max` as it takes.
    let parts = left.div_ceil(max);
    front.extend((0..parts).map(|i| left / parts + usize::from(i < left % parts)));
    front.extend(back.into_iter().rev());
    let mut rest = inputs;
    front
        .into_iter()
        .map(|n| {
            let (batch, after) = rest.split_at(n);
            rest = after;
            batch.to_vec()
        })
        .collect()
}

#[cfg(test)]
mod batch_tests {
    use super::batches;

    #[test]
    fn batches_keep_the_order_and_are_small_at_both_ends() {
        let sizes = |n: usize, max: usize| -> Vec<usize> {
            let items: Vec<usize> = (0..n).collect();
            let b = batches(&items, max);
            assert_eq!(b.concat(), items, "order kept, nothing lost or repeated");
            let sizes: Vec<usize> = b.iter().map(Vec::len).collect();
            assert!(
                sizes.iter().all(|&s| s >= 1 && s <= max.max(1)),
                "{sizes:?}"
            );
            sizes
        };
        assert_eq!(sizes(1000, 512), [32, 64, 128, 276, 276, 128, 64, 32]);
        assert_eq!(sizes(5000, 512).len(), 16);
        assert_eq!(sizes(10, 512), [10]);
        assert_eq!(sizes(100, 512), [32, 36, 32]);
        assert_eq!(sizes(7, 2), [2, 2, 1, 2]);
        assert_eq!(sizes(0, 512), Vec::<usize>::new());
        assert_eq!(sizes(3, 0), [1, 1, 1]);
    }
}
