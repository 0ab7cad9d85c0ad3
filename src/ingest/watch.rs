//! The watcher: notices files in the inbox, waits until each is complete, feeds complete
//! ones to the pipeline in batches, and does its chores between batches (index repair,
//! OCR results, hourly fixity) until it is told to stop.
//!
//! Events only say where to look: only those that can mean a new or changed file count
//! (created, written and closed, moved in, modified, removed), never opens or reads (the
//! watcher's own listing of folders would otherwise wake it forever). Completeness is
//! decided by polling ([`PendingSet`]): size and mtime unchanged for `watch.stable_secs`,
//! no program holding the file open for writing, and its sidecar, if one is being
//! written, complete too. Every file ends with a receipt: temporary and hidden names once
//! abandoned, a sidecar whose scan never comes, a file that vanishes after a deferral.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};
use serde::Serialize;

use crate::ingest::indexing::IndexRepair;
use crate::ingest::input::{self, Filter, Found, Input, Role, input_for, is_toml_name};
use crate::ingest::ocr::{OcrPool, OcrResult};
use crate::ingest::pipeline::Ingestor;
use crate::ingest::prepare::{OcrFirst, looks_like_scan};
use crate::ingest::receipt::{Subject, Summary};
use crate::ingest::source;
use crate::search::consistency::{self, CheckReport};
use crate::search::index::SearchIndex;
use crate::store::archive::Archive;
use crate::store::receipts::{Outcome, Receipt};

pub struct WatchOptions {
    pub stable: Duration,
    pub poll: Duration,
    pub rescan: Duration,
    pub batch_max: usize,
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// How long a complete scan waits for its sidecar while the sidecar is being written.
    pub sidecar_wait: Duration,
    /// How long a sidecar with no scan beside it waits for its scan.
    pub orphan_after: Duration,
    /// How long a file under a temporary or hidden name may stay unchanged before it is
    /// taken for abandoned.
    pub abandoned_after: Duration,
}

impl WatchOptions {
    pub fn from_config(a: &Archive) -> WatchOptions {
        let w = &a.config.watch;
        WatchOptions {
            stable: Duration::from_secs_f64(w.stable_secs),
            poll: Duration::from_millis(w.poll_ms.max(10)),
            rescan: Duration::from_secs(w.rescan_secs.max(1)),
            batch_max: w.batch_max.max(1),
            retry_min: Duration::from_secs(w.retry_min_secs.max(1)),
            retry_max: Duration::from_secs(w.retry_max_secs.max(1)),
            sidecar_wait: Duration::from_secs_f64(w.sidecar_wait_secs.max(0.0)),
            orphan_after: Duration::from_secs_f64(w.orphan_sidecar_secs.max(0.0)),
            abandoned_after: Duration::from_secs_f64(w.abandoned_secs.max(0.0)),
        }
    }
}

/// What the watcher reports as it goes, for a front end to render.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum WatchEvent {
    /// Ready: the inbox is watched.
    Watching {
        inbox: PathBuf,
        /// Documents in the search index (the catalogue is still being read).
        indexed: u64,
        waiting: usize,
    },
    /// A file's outcome.
    Receipt(Receipt),
    /// A scan with no usable text whose kind or year needs one: it stays in the inbox
    /// while OCR reads it, then it is classified (no receipt until then).
    WaitingForOcr {
        path: String,
        id: String,
        pages: usize,
    },
    OcrDone {
        id: String,
        file: String,
        pages: Vec<u32>,
    },
    OcrFailed {
        id: String,
        file: String,
        error: String,
    },
    Fixity {
        scope: String,
        files: u64,
        changed: u64,
        missing: u64,
        untracked: u64,
    },
    IndexRepaired(IndexRepair),
    /// Something went wrong that the watcher survives (logged too).
    Problem {
        message: String,
    },
}

/// What the watcher knows of a file it has seen and not yet finished.
struct Pending {
    size: u64,
    mtime: Option<SystemTime>,
    /// When (size, mtime) last changed, as observed by us (not the file's clock, which
    /// may be skewed on a network share).
    changed: Instant,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// A link, FIFO, socket or device: refused at once, never opened.
    special: bool,
    role: Role,
    /// Its last receipt was "deferred": it still owes a final outcome.
    deferred: bool,
    /// When a complete scan started waiting for its sidecar.
    waiting_for_sidecar: Option<Instant>,
    /// Being read by OCR before it can be classified: not fed to the pipeline meanwhile.
    waiting_for_ocr: bool,
}

/// Files in the inbox not yet finished, and when each is ready.
pub struct PendingSet {
    inbox: PathBuf,
    filter: Filter,
    files: HashMap<PathBuf, Pending>,
    opts: WatchOptionsCopy,
    /// The latest outcome of files handled in this run, for the receipts of late sidecars.
    recent: HashMap<PathBuf, Receipt>,
}

#[derive(Clone, Copy)]
struct WatchOptionsCopy {
    stable: Duration,
    retry_min: Duration,
    retry_max: Duration,
    sidecar_wait: Duration,
    orphan_after: Duration,
    abandoned_after: Duration,
}

/// What is ready to go through the pipeline, and files that vanished owing an outcome.
#[derive(Default)]
pub struct Ready {
    pub inputs: Vec<Input>,
    pub vanished: Vec<Input>,
}

impl PendingSet {
    pub fn new(inbox: &Path, filter: Filter, opts: &WatchOptions) -> PendingSet {
        PendingSet {
            inbox: inbox.to_path_buf(),
            filter,
            files: HashMap::new(),
            opts: WatchOptionsCopy {
                stable: opts.stable,
                retry_min: opts.retry_min,
                retry_max: opts.retry_max,
                sidecar_wait: opts.sidecar_wait,
                orphan_after: opts.orphan_after,
                abandoned_after: opts.abandoned_after,
            },
            recent: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Starts tracking a path (a file, link or special file; folders are listed instead).
    /// A path seen through a link to a folder is tracked as that link.
    pub fn note(&mut self, path: &Path) {
        let path =
            source::first_link_below(&self.inbox, path).unwrap_or_else(|| path.to_path_buf());
        if self.files.contains_key(&path) {
            return;
        }
        let Ok(m) = std::fs::symlink_metadata(&path) else {
            return;
        };
        if m.is_dir() || !path.starts_with(&self.inbox) {
            return;
        }
        let role = self.filter.role(&self.inbox, &path);
        let special = !m.is_file();
        self.files.insert(
            path,
            Pending {
                size: m.len(),
                mtime: m.modified().ok(),
                changed: Instant::now(),
                retry_at: None,
                backoff: self.opts.retry_min,
                special,
                role,
                deferred: false,
                waiting_for_sidecar: None,
                waiting_for_ocr: false,
            },
        );
    }

    /// Lists a folder (the inbox at start and on each rescan, or one moved in whole).
    pub fn note_all(&mut self, dir: &Path) {
        for f in input::walk(dir) {
            match f {
                Found::File(p) => self.note(&p),
                Found::Unreadable(p, why) => {
                    tracing::warn!(
                        "{}: cannot be read ({why}); it will be tried again",
                        p.display()
                    )
                }
            }
        }
    }

    /// A deferred file is tried again after a back-off that doubles each time.
    pub fn back_off(&mut self, path: &Path) {
        if let Some(st) = self.files.get_mut(path) {
            st.retry_at = Some(Instant::now() + st.backoff);
            st.backoff = (st.backoff * 2).min(self.opts.retry_max);
            st.deferred = true;
        }
    }

    /// A file still being written: it waits another stability period, with no receipt.
    pub fn wait_again(&mut self, path: &Path) {
        if let Some(st) = self.files.get_mut(path) {
            st.changed = Instant::now();
        }
    }

    /// A scan being read by OCR: it waits for [`PendingSet::ocr_done`], with no receipt
    /// yet (one follows if it vanishes meanwhile).
    pub fn wait_for_ocr(&mut self, path: &Path) {
        if let Some(st) = self.files.get_mut(path) {
            st.waiting_for_ocr = true;
            st.deferred = true;
        }
    }

    /// OCR has read the scan (its result is cached): it is ready again at once.
    pub fn ocr_done(&mut self, path: &Path) {
        if let Some(st) = self.files.get_mut(path) {
            st.waiting_for_ocr = false;
            st.retry_at = None;
        }
    }

    /// A file with a final outcome.
    pub fn forget(&mut self, path: &Path, receipt: &Receipt) {
        self.files.remove(path);
        if self.recent.len() > 10_000 {
            self.recent.clear();
        }
        self.recent.insert(path.to_path_buf(), receipt.clone());
    }

    /// Files ready now; files that vanished owing an outcome are dropped and returned.
    pub fn ready(&mut self, now: Instant) -> Ready {
        let mut out = Ready::default();
        let mut gone = Vec::new();
        let paths: Vec<PathBuf> = self.files.keys().cloned().collect();
        for p in paths {
            match std::fs::symlink_metadata(&p) {
                Ok(m) => {
                    if let Some(input) = self.check(&p, &m, now) {
                        out.inputs.push(input);
                    }
                }
                Err(_) => gone.push(p),
            }
        }
        for p in gone {
            if self.files.remove(&p).is_some_and(|st| st.deferred) {
                out.vanished.push(input_for(&self.inbox, &p, true));
            }
        }
        out.inputs.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Whether one tracked file is ready, and as what input.
    fn check(&mut self, p: &Path, m: &std::fs::Metadata, now: Instant) -> Option<Input> {
        let opts = self.opts;
        // A sidecar's role changes when its scan comes or goes.
        let role = if is_toml_name(&p.file_name()?.to_string_lossy()) {
            self.filter.role(&self.inbox, p)
        } else {
            self.files.get(p)?.role.clone()
        };
        let st = self.files.get_mut(p)?;
        st.role = role.clone();
        let (size, mtime) = (m.len(), m.modified().ok());
        if size != st.size || mtime != st.mtime {
            (st.size, st.mtime, st.changed) = (size, mtime, now);
            return None;
        }
        if st.waiting_for_ocr || st.retry_at.is_some_and(|t| now < t) {
            return None;
        }
        let input = input_for(&self.inbox, p, true);
        if st.special {
            return Some(input);
        }
        let quiet = now.duration_since(st.changed);
        match role {
            Role::Sidecar => None,
            Role::Temporary(pattern) => (quiet >= opts.abandoned_after).then(|| {
                input.refused(
                    "abandoned",
                    format!(
                        "left unchanged for {} under a temporary or hidden name (watch.ignore \"{pattern}\"); moved out of the inbox so it is not lost: rename it and drop it again if it is a scan",
                        human(quiet)
                    ),
                    false,
                )
            }),
            Role::Scan if quiet < opts.stable => None,
            Role::Scan if is_toml_name(&input.name()) && !head_looks_like_scan(&input) => {
                (quiet >= opts.orphan_after).then(|| self.orphan(input, quiet))
            }
            Role::Scan => self.complete_scan(p, input, now),
        }
    }

    /// A stable scan is ready unless a program still writes it or its sidecar is still
    /// being written (waited for up to `watch.sidecar_wait_secs`).
    fn complete_scan(&mut self, p: &Path, mut input: Input, now: Instant) -> Option<Input> {
        if writer_holds(&input.base, &input.rel()) {
            self.wait_again(p);
            return None;
        }
        let side = input.dropped_sidecar();
        let side_busy = match std::fs::symlink_metadata(&side) {
            Err(_) => false,
            Ok(m) => {
                self.note(&side);
                let stable = self.files.get(&side).is_some_and(|s| {
                    s.size == m.len()
                        && s.mtime == m.modified().ok()
                        && now.duration_since(s.changed) >= self.opts.stable
                });
                !stable || writer_holds(&input.base, &input.sidecar_rel())
            }
        };
        let st = self.files.get_mut(p)?;
        if !side_busy {
            st.waiting_for_sidecar = None;
            return Some(input);
        }
        let since = *st.waiting_for_sidecar.get_or_insert(now);
        if now.duration_since(since) < self.opts.sidecar_wait {
            return None;
        }
        input.sidecar_unusable = Some(format!(
            "its sidecar {} was still being written after {}; it was not used and stays in the inbox",
            side.file_name().unwrap_or_default().to_string_lossy(),
            human(self.opts.sidecar_wait)
        ));
        Some(input)
    }

    /// A sidecar whose scan never came (or was handled before the sidecar was complete).
    fn orphan(&self, input: Input, quiet: Duration) -> Input {
        let name = input.name();
        let scan = input.path.with_file_name(&name[..name.len() - 5]);
        let scan_name = scan
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let what = match self.recent.get(&scan) {
            Some(r) => format!(
                "its scan {scan_name} had already been handled ({}{}) when this sidecar was complete; its metadata was not applied",
                r.outcome.as_str(),
                r.destination
                    .as_deref()
                    .map(|d| format!(" → {d}"))
                    .unwrap_or_default()
            ),
            None => format!("no scan {scan_name} came beside it in {}", human(quiet)),
        };
        input.refused(
            "orphan-sidecar",
            format!(
                "a metadata sidecar with no scan: {what}; drop the scan and this file together"
            ),
            false,
        )
    }
}

fn writer_holds(base: &Path, rel: &Path) -> bool {
    source::Parent::open(base, rel)
        .and_then(|p| p.open_file())
        .is_ok_and(|f| source::held_open_for_writing(&f))
}

/// Reads the first bytes of a `.toml`: a real PDF or image under that name is a scan.
fn head_looks_like_scan(input: &Input) -> bool {
    use std::io::Read;
    let Ok(f) = source::Parent::open(&input.base, &input.rel()).and_then(|p| p.open_file()) else {
        return false;
    };
    let mut head = Vec::with_capacity(1024);
    let _ = f.take(1024).read_to_end(&mut head);
    looks_like_scan(&head)
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

/// Events that can mean a file appeared or changed: created, written and closed, moved
/// in, modified or removed. Opens, reads and closes without writing (our own listing of
/// folders among them) never do.
fn can_mean_new_file(kind: &notify::EventKind) -> bool {
    use notify::EventKind as K;
    use notify::event::{AccessKind, AccessMode};
    match kind {
        K::Create(_) | K::Modify(_) | K::Remove(_) => true,
        K::Access(AccessKind::Close(AccessMode::Write)) => true,
        K::Access(_) | K::Any | K::Other => false,
    }
}

/// A folder that appeared (created or moved in whole): it may bring files with no events
/// of their own, so it is listed once.
fn is_folder_arrival(kind: &notify::EventKind) -> bool {
    use notify::EventKind as K;
    use notify::event::{ModifyKind, RenameMode};
    matches!(
        kind,
        K::Create(_)
            | K::Modify(ModifyKind::Name(
                RenameMode::To | RenameMode::Both | RenameMode::Any
            ))
    )
}

/// The inbox's events: filtered at the source, drained a queue's worth at a time.
struct Events {
    rx: crossbeam_channel::Receiver<notify::Result<notify::Event>>,
    _watcher: notify::RecommendedWatcher,
    last_rescan: Instant,
    rescan: Duration,
}

impl Events {
    fn start(inbox: &Path, rescan: Duration) -> Result<Events> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut watcher = notify::RecommendedWatcher::new(
            move |res: notify::Result<notify::Event>| {
                if res.as_ref().is_ok_and(|ev| !can_mean_new_file(&ev.kind)) {
                    return;
                }
                let _ = tx.send(res);
            },
            // A link in the inbox is refused, never followed (not even to watch it).
            notify::Config::default().with_follow_symlinks(false),
        )
        .context("cannot start the file watcher")?;
        watcher
            .watch(inbox, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", inbox.display()))?;
        Ok(Events {
            rx,
            _watcher: watcher,
            last_rescan: Instant::now(),
            rescan,
        })
    }

    /// Waits up to `poll` for events and notes the paths they name; lists the whole inbox
    /// every `rescan` (a network share may not deliver events).
    fn collect(&mut self, pending: &mut PendingSet, poll: Duration) -> Result<()> {
        match self.rx.recv_timeout(poll) {
            Ok(first) => {
                // What is queued now, not what keeps arriving: the loop must come back to
                // check `stop` and the pending files.
                let queued = self.rx.len();
                for res in std::iter::once(first).chain(self.rx.try_iter().take(queued)) {
                    match res {
                        Ok(ev) => {
                            let arrival = is_folder_arrival(&ev.kind);
                            for p in ev.paths {
                                if arrival
                                    && std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir())
                                {
                                    pending.note_all(&p);
                                } else {
                                    pending.note(&p);
                                }
                            }
                        }
                        Err(e) => tracing::warn!("watcher error: {e}; a rescan will catch up"),
                    }
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                anyhow::bail!("the file watcher stopped")
            }
        }
        if self.last_rescan.elapsed() >= self.rescan {
            let inbox = pending.inbox.clone();
            pending.note_all(&inbox);
            self.last_rescan = Instant::now();
        }
        Ok(())
    }
}

/// Work between batches: the index check started at start-up and repairs after errors,
/// OCR in the background, the hourly fixity slice, and committing the index when idle.
struct Chores {
    ocr: Option<OcrPool>,
    /// Scans in the OCR pool before filing, by content (the same scan dropped twice is
    /// read once), with their paths in the inbox.
    before_filing: HashMap<String, Vec<PathBuf>>,
    check: Option<crossbeam_channel::Receiver<Result<CheckReport>>>,
    /// Lets the comparison of index and archive start (once the catalogue is read: the
    /// two would only slow each other down).
    compare_go: Option<crossbeam_channel::Sender<()>>,
    /// Whether the catalogue has been read and the work waiting for it started.
    catalogue_read: bool,
    last_fixity: Option<Instant>,
    /// Set after a batch; once the inbox has been quiet a moment the index is committed.
    idle_since: Option<Instant>,
}

impl Chores {
    fn run_due(
        &mut self,
        ing: &mut Ingestor,
        pending: &mut PendingSet,
        emit: &mut dyn FnMut(WatchEvent),
    ) {
        if !self.catalogue_read && ing.catalogue_is_read() {
            self.catalogue_read = true;
            self.catalogue_arrived(ing, emit);
        }
        self.index(ing, emit);
        self.ocr(ing, pending, emit);
        if pending.is_empty()
            && self
                .last_fixity
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(3600))
        {
            self.last_fixity = Some(Instant::now());
            fixity(ing, emit);
        }
    }

    /// Starts what waited for the catalogue: the comparison of index and archive, and
    /// OCR of archived documents still pending.
    fn catalogue_arrived(&mut self, ing: &mut Ingestor, emit: &mut dyn FnMut(WatchEvent)) {
        if let Err(e) = ing.catalogue_ready() {
            problem(emit, format!("{e:#}"));
        }
        if let Some(go) = self.compare_go.take() {
            let _ = go.send(());
        }
        if let Some(pool) = self.ocr.as_mut() {
            match ing.pending_ocr(None) {
                Ok(jobs) => {
                    for job in jobs {
                        pool.submit(&ing.archive.root, job);
                    }
                }
                Err(e) => tracing::warn!("pending OCR could not be listed: {e:#}"),
            }
        }
    }

    fn index(&mut self, ing: &mut Ingestor, emit: &mut dyn FnMut(WatchEvent)) {
        if let Some(rx) = &self.check
            && let Ok(report) = rx.try_recv()
        {
            self.check = None;
            match report {
                Ok(report) => {
                    let repair = ing.repair_index(&report);
                    if !repair.is_empty() {
                        emit(WatchEvent::IndexRepaired(repair));
                    }
                }
                Err(e) => problem(
                    emit,
                    format!("the index could not be compared with the archive: {e:#}"),
                ),
            }
        }
        if ing.index_needs_repair() {
            match ing.recover_index() {
                Ok(repair) => emit(WatchEvent::IndexRepaired(repair)),
                Err(e) => problem(emit, format!("{e:#}")),
            }
        }
    }

    fn ocr(
        &mut self,
        ing: &mut Ingestor,
        pending: &mut PendingSet,
        emit: &mut dyn FnMut(WatchEvent),
    ) {
        let Some(pool) = self.ocr.as_mut() else {
            ing.take_ocr_jobs();
            for w in ing.take_waiting_ocr() {
                pending.ocr_done(&w.input.path);
            }
            return;
        };
        for result in pool.ready() {
            if result.0.before_filing {
                let sha = result.0.id.clone();
                let kept = ing
                    .ocr_cache()
                    .get(&sha, &ing.archive.config.ocr.languages)
                    .is_some();
                for p in self.before_filing.remove(&sha).unwrap_or_default() {
                    pending.ocr_done(&p);
                    if !kept {
                        // Tesseract failed as a whole (it vanished): not at once again.
                        pending.back_off(&p);
                    }
                }
                continue;
            }
            record_ocr(ing, result, emit);
        }
        for w in ing.take_waiting_ocr() {
            pending.wait_for_ocr(&w.input.path);
            emit(WatchEvent::WaitingForOcr {
                path: w.input.display.clone(),
                id: w.sha.clone(),
                pages: w.pages.len(),
            });
            match self.before_filing.get_mut(&w.sha) {
                Some(paths) => paths.push(w.input.path.clone()),
                None => {
                    pool.submit_before_filing(&w, ing.ocr_cache());
                    self.before_filing
                        .insert(w.sha.clone(), vec![w.input.path.clone()]);
                }
            }
        }
        for job in ing.take_ocr_jobs() {
            pool.submit(&ing.archive.root, job);
        }
    }

    fn idle(&mut self, ing: &mut Ingestor) {
        if self
            .idle_since
            .is_some_and(|t| t.elapsed() >= Duration::from_millis(500))
        {
            ing.flush_index();
            self.idle_since = None;
        }
    }
}

pub(crate) fn record_ocr(
    ing: &mut Ingestor,
    (job, res): OcrResult,
    emit: &mut dyn FnMut(WatchEvent),
) {
    let file = format!("{}/{}", job.box_rel, job.file);
    match res.and_then(|r| ing.apply_ocr(&job, r)) {
        Ok(()) => {
            tracing::info!("OCR done for {file}");
            emit(WatchEvent::OcrDone {
                id: job.id,
                file,
                pages: job.pages,
            });
        }
        Err(e) => {
            tracing::error!("OCR of {file} could not be recorded: {e:#}; it stays pending");
            emit(WatchEvent::OcrFailed {
                id: job.id,
                file,
                error: format!("{e:#}"),
            });
        }
    }
}

fn problem(emit: &mut dyn FnMut(WatchEvent), message: String) {
    tracing::error!("{message}");
    emit(WatchEvent::Problem { message });
}

fn fixity(ing: &mut Ingestor, emit: &mut dyn FnMut(WatchEvent)) {
    match crate::store::fixity::scheduled(ing.archive, &ing.actor) {
        Ok(Some(run)) => {
            if run.ok() {
                tracing::info!("fixity: {} ({} files) intact", run.scope, run.files);
            } else {
                tracing::error!(
                    "fixity: {}: {} changed, {} missing, {} untracked; see `archivist verify --history`",
                    run.scope,
                    run.changed,
                    run.missing,
                    run.untracked
                );
            }
            emit(WatchEvent::Fixity {
                scope: run.scope.clone(),
                files: run.files,
                changed: run.changed,
                missing: run.missing,
                untracked: run.untracked,
            });
        }
        Ok(None) => {}
        Err(e) => problem(emit, format!("scheduled fixity check failed: {e}")),
    }
}

/// Starts the OCR workers when OCR is enabled and Tesseract is installed, and has scans
/// that need text to be classified OCRed first; otherwise scans stay "OCR pending" (and
/// `archivist ocr --pending` catches up later) and those that need text go to review.
/// Archived documents still pending are given to the pool once the catalogue is read.
fn start_ocr(ing: &mut Ingestor) -> Option<OcrPool> {
    let cfg = &ing.archive.config;
    if !cfg.ocr.enabled {
        return None;
    }
    let ocr_cfg = cfg.ocr_config();
    if let Err(why) = crate::formats::ocr::check_tesseract(&ocr_cfg) {
        tracing::warn!("OCR is off: {why}; image-only scans are archived and marked OCR pending");
        ing.set_ocr_first(OcrFirst::Unavailable(why));
        return None;
    }
    ing.set_ocr_first(OcrFirst::Queue);
    Some(OcrPool::start(
        &ocr_cfg,
        crate::ingest::ocr::workers(cfg.ocr.jobs),
    ))
}

/// Watches the inbox and ingests complete files until `stop` is set; the batch in flight
/// is finished first. `emit` sees every receipt and chore result.
pub fn run(
    ing: &mut Ingestor,
    opts: &WatchOptions,
    stop: Arc<AtomicBool>,
    emit: &mut dyn FnMut(WatchEvent),
) -> Result<Summary> {
    let inbox = ing.archive.inbox.clone();
    let mut events = Events::start(&inbox, opts.rescan)?;
    let mut pending = PendingSet::new(&inbox, Filter::new(&ing.archive.config.watch.ignore)?, opts);
    pending.note_all(&inbox);
    let archive = ing.archive;
    std::thread::scope(|s| {
        // The index is compared with the archive in the background (reading every
        // manifest takes a while on a large archive); the repair is applied here.
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(1);
        s.spawn(move || {
            if go_rx.recv().is_err() {
                return; // the watcher stopped before the catalogue was read
            }
            let r =
                SearchIndex::open(&archive.index).and_then(|ix| consistency::compare(archive, &ix));
            let _ = tx.send(r);
        });
        let mut chores = Chores {
            ocr: start_ocr(ing),
            before_filing: HashMap::new(),
            check: Some(rx),
            compare_go: Some(go_tx),
            catalogue_read: false,
            last_fixity: None,
            idle_since: None,
        };
        tracing::info!(
            "watching {} ({} file(s) waiting)",
            inbox.display(),
            pending.len()
        );
        emit(WatchEvent::Watching {
            inbox: inbox.clone(),
            indexed: SearchIndex::open(&archive.index).map_or(0, |ix| ix.num_docs()),
            waiting: pending.len(),
        });
        let mut summary = Summary::default();
        while !stop.load(Ordering::SeqCst) {
            chores.run_due(ing, &mut pending, emit);
            events.collect(&mut pending, opts.poll)?;
            let ready = pending.ready(Instant::now());
            record_vanished(ing, &ready.vanished, &mut summary, emit);
            if ready.inputs.is_empty() {
                chores.idle(ing);
                continue;
            }
            chores.idle_since = Some(Instant::now());
            ingest_ready(
                ing,
                &mut pending,
                ready.inputs,
                opts,
                &mut summary,
                emit,
                &stop,
            );
            // Scans that wait for OCR go to the pool at once.
            chores.ocr(ing, &mut pending, emit);
        }
        ing.flush_index();
        Ok(summary)
    })
}

/// Files that vanished after a deferral get their final receipt.
fn record_vanished(
    ing: &mut Ingestor,
    gone: &[Input],
    summary: &mut Summary,
    emit: &mut dyn FnMut(WatchEvent),
) {
    if gone.is_empty() {
        return;
    }
    let receipts: Vec<Receipt> = gone
        .iter()
        .map(|i| {
            Receipt::new(
                &Subject::new(i.clone()),
                Outcome::Vanished,
                "the file was removed from the inbox before it could be archived; nothing was kept",
            )
        })
        .collect();
    if let Err(e) = ing.record_receipts(&receipts) {
        problem(emit, format!("cannot append to the receipts: {e:#}"));
        return;
    }
    for r in receipts {
        summary.add(&r);
        emit(WatchEvent::Receipt(r));
    }
}

fn ingest_ready(
    ing: &mut Ingestor,
    pending: &mut PendingSet,
    ready: Vec<Input>,
    opts: &WatchOptions,
    summary: &mut Summary,
    emit: &mut dyn FnMut(WatchEvent),
    stop: &AtomicBool,
) {
    let by_display: HashMap<String, PathBuf> = ready
        .iter()
        .map(|i| (i.display.clone(), i.path.clone()))
        .collect();
    let batches = crate::ingest::pipeline::batches(&ready, opts.batch_max);
    let paths: Vec<Vec<PathBuf>> = batches
        .iter()
        .map(|b| b.iter().map(|i| i.path.clone()).collect())
        .collect();
    ing.process(batches, |i, result| {
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                // The whole batch failed to commit (e.g. disk full): nothing left the
                // inbox; try again later.
                problem(
                    emit,
                    format!(
                        "a batch of {} file(s) could not be committed: {e:#}; retrying later",
                        paths[i].len()
                    ),
                );
                for p in &paths[i] {
                    pending.back_off(p);
                }
                return !stop.load(Ordering::SeqCst);
            }
        };
        for &b in &result.busy {
            if let Some(p) = paths[i].get(b) {
                pending.wait_again(p);
            }
        }
        for &b in &result.waiting_ocr {
            if let Some(p) = paths[i].get(b) {
                pending.wait_for_ocr(p);
            }
        }
        for r in result.receipts {
            summary.add(&r);
            if let Some(p) = by_display.get(&r.path) {
                if r.outcome == Outcome::Deferred {
                    pending.back_off(p);
                } else {
                    pending.forget(p, &r);
                }
            }
            emit(WatchEvent::Receipt(r));
        }
        !stop.load(Ordering::SeqCst)
    });
}
