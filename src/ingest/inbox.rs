//! The inbox: which files in it are candidates, when a file is complete, and the watcher
//! that feeds complete files to the pipeline until it is told to stop.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use notify::{RecursiveMode, Watcher};

use crate::ingest::pipeline::{Ingestor, Input, Summary};
use crate::store::archive::Archive;
use crate::store::receipts::{Outcome, Receipt};

/// Names never ingested: temporary and system files, and sidecars (which travel with
/// their scan).
pub struct Filter {
    ignore: GlobSet,
}

impl Filter {
    pub fn new(patterns: &[String]) -> Result<Filter> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(Glob::new(p).with_context(|| format!("bad ignore pattern {p}"))?);
        }
        Ok(Filter { ignore: b.build()? })
    }

    /// True when `path` (a file, not a folder) should go through the pipeline.
    pub fn is_candidate(&self, path: &Path) -> bool {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
            return false;
        };
        if self.ignore.is_match(name.as_ref()) || name.starts_with(crate::store::fsutil::TMP_PREFIX)
        {
            return false;
        }
        // `scan.pdf.toml` is the sidecar of `scan.pdf`.
        !name.to_ascii_lowercase().ends_with(".toml")
    }
}

/// Candidate files under `dir` (not following links; links and special files are listed,
/// so that they are refused with a receipt rather than ignored).
pub fn scan_dir(dir: &Path, filter: &Filter) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            // Hidden folders (e.g. .Trash, .sync) are not part of the inbox.
            e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
        });
    for e in walker.flatten() {
        if e.depth() == 0 || e.file_type().is_dir() {
            continue;
        }
        if filter.is_candidate(e.path()) {
            out.push(e.into_path());
        }
    }
    out
}

/// The pipeline input for a file found under `base` (the inbox or a folder given to ingest).
pub fn input_for(base: &Path, path: &Path, consume: bool) -> Input {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let folders: Vec<String> = rel
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    Input {
        path: path.to_path_buf(),
        display: rel.to_string_lossy().replace('\\', "/"),
        folders,
        consume,
    }
}

type OcrResult = (
    crate::ingest::pipeline::OcrJob,
    Result<Vec<crate::formats::ocr::PageText>>,
);

/// Starts the OCR workers when OCR is enabled and Tesseract is installed; otherwise scans
/// stay "OCR pending" (and `archivist ocr --pending` catches up later).
fn start_ocr_workers(
    ing: &Ingestor,
) -> (
    Option<crossbeam_channel::Sender<crate::ingest::pipeline::OcrJob>>,
    crossbeam_channel::Receiver<OcrResult>,
) {
    let (res_tx, res_rx) = crossbeam_channel::unbounded::<OcrResult>();
    let cfg = &ing.archive.config;
    if !cfg.ocr.enabled {
        return (None, res_rx);
    }
    let ocr_cfg = cfg.ocr_config();
    if let Err(why) = crate::formats::ocr::check_tesseract(&ocr_cfg) {
        tracing::warn!("OCR is off: {why}; image-only scans are archived and marked OCR pending");
        return (None, res_rx);
    }
    let (job_tx, job_rx) = crossbeam_channel::unbounded::<crate::ingest::pipeline::OcrJob>();
    for _ in 0..cfg.ocr.jobs.max(1) {
        let (rx, tx, root, c) = (
            job_rx.clone(),
            res_tx.clone(),
            ing.archive.root.clone(),
            ocr_cfg.clone(),
        );
        std::thread::spawn(move || {
            for job in rx {
                let r = crate::ingest::pipeline::run_ocr(&root, &c, &job);
                if tx.send((job, r)).is_err() {
                    break;
                }
            }
        });
    }
    (Some(job_tx), res_rx)
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
    special: bool,
}

pub struct WatchOptions {
    pub stable: Duration,
    pub poll: Duration,
    pub rescan: Duration,
    pub batch_max: usize,
    pub retry_min: Duration,
    pub retry_max: Duration,
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
        }
    }
}

/// Watches the inbox and ingests complete files until `stop` is set; the batch in flight
/// is finished first. `on_receipt` sees every receipt (for printing).
pub fn watch(
    ing: &mut Ingestor,
    opts: &WatchOptions,
    stop: Arc<AtomicBool>,
    mut on_receipt: impl FnMut(&Receipt),
) -> Result<Summary> {
    let inbox = ing.archive.inbox.clone();
    let filter = Filter::new(&ing.archive.config.watch.ignore)?;
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut watcher = notify::RecommendedWatcher::new(
        move |res: notify::Result<notify::Event>| {
            // Only events that can mean a new or changed file are passed on: inotify also
            // reports our own reads (IN_OPEN of every folder we list), and reacting to
            // those made the watcher rescan itself into a livelock.
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
        .watch(&inbox, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", inbox.display()))?;

    let mut pending: HashMap<PathBuf, Pending> = HashMap::new();
    let mut summary = Summary::default();
    let note = |p: &Path, pending: &mut HashMap<PathBuf, Pending>| {
        if pending.contains_key(p) || !filter.is_candidate(p) {
            return;
        }
        if let Ok(m) = fs::symlink_metadata(p) {
            if m.is_dir() {
                return;
            }
            pending.insert(
                p.to_path_buf(),
                Pending {
                    size: m.len(),
                    mtime: m.modified().ok(),
                    changed: Instant::now(),
                    retry_at: None,
                    backoff: opts.retry_min,
                    special: !m.is_file(),
                },
            );
        }
    };
    for p in scan_dir(&inbox, &filter) {
        note(&p, &mut pending);
    }
    let mut last_rescan = Instant::now();
    tracing::info!(
        "watching {} ({} file(s) waiting)",
        inbox.display(),
        pending.len()
    );

    // OCR runs on background workers so that a long scan never stalls the inbox; results
    // are recorded here, between batches, by the archive's single writer.
    let (ocr_tx, ocr_results) = start_ocr_workers(ing);
    if let Some(tx) = &ocr_tx {
        for job in ing.pending_ocr(None).unwrap_or_default() {
            let _ = tx.send(job);
        }
    }

    let mut last_fixity: Option<Instant> = None;
    // Set after a batch; once the inbox has been quiet a moment the index is committed.
    let mut idle_since: Option<Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        if last_fixity.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600))
            && pending.is_empty()
        {
            last_fixity = Some(Instant::now());
            match crate::store::fixity::scheduled(ing.archive, &ing.actor) {
                Ok(Some(run)) if run.ok() => {
                    tracing::info!("fixity: {} ({} files) intact", run.scope, run.files)
                }
                Ok(Some(run)) => tracing::error!(
                    "fixity: {}: {} changed, {} missing, {} untracked; see `archivist verify --history`",
                    run.scope,
                    run.changed,
                    run.missing,
                    run.untracked
                ),
                Ok(None) => {}
                Err(e) => tracing::error!("scheduled fixity check failed: {e}"),
            }
        }
        for (job, res) in ocr_results.try_iter() {
            match res.and_then(|r| ing.apply_ocr(&job, r)) {
                Ok(()) => tracing::info!("OCR done for {}/{}", job.box_rel, job.file),
                Err(e) => tracing::error!(
                    "OCR of {}/{} could not be recorded: {e:#}; it stays pending",
                    job.box_rel,
                    job.file
                ),
            }
        }
        if let Some(tx) = &ocr_tx {
            for job in ing.take_ocr_jobs() {
                let _ = tx.send(job);
            }
        }
        // Events only tell us where to look; completeness is decided by polling.
        match rx.recv_timeout(opts.poll) {
            Ok(first) => {
                // What is queued now, not what keeps arriving: the loop must come back to
                // check `stop` and the pending files.
                let queued = rx.len();
                for res in std::iter::once(first).chain(rx.try_iter().take(queued)) {
                    match res {
                        Ok(ev) => {
                            let folder_event = is_folder_arrival(&ev.kind);
                            for p in ev.paths {
                                if folder_event
                                    && fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir())
                                {
                                    // A folder moved in whole brings files with no events of their own.
                                    for f in scan_dir(&p, &filter) {
                                        note(&f, &mut pending);
                                    }
                                } else {
                                    note(&p, &mut pending);
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
        if last_rescan.elapsed() >= opts.rescan {
            for p in scan_dir(&inbox, &filter) {
                note(&p, &mut pending);
            }
            last_rescan = Instant::now();
        }

        let now = Instant::now();
        let mut ready = Vec::new();
        let mut gone = Vec::new();
        for (p, st) in pending.iter_mut() {
            match fs::symlink_metadata(p) {
                Ok(m) => {
                    let (size, mtime) = (m.len(), m.modified().ok());
                    if size != st.size || mtime != st.mtime {
                        st.size = size;
                        st.mtime = mtime;
                        st.changed = now;
                        continue;
                    }
                    let due = st.retry_at.is_none_or(|t| now >= t);
                    if due && (st.special || now.duration_since(st.changed) >= opts.stable) {
                        ready.push(p.clone());
                    }
                }
                Err(_) => gone.push(p.clone()),
            }
        }
        for p in gone {
            pending.remove(&p);
        }
        if ready.is_empty() {
            if idle_since.is_some_and(|t: Instant| t.elapsed() >= Duration::from_millis(500)) {
                ing.flush_index();
                idle_since = None;
            }
            continue;
        }
        idle_since = Some(Instant::now());
        ready.sort();
        let chunks: Vec<&[PathBuf]> = ready.chunks(opts.batch_max).collect();
        let batches: Vec<Vec<Input>> = chunks
            .iter()
            .map(|chunk| chunk.iter().map(|p| input_for(&inbox, p, true)).collect())
            .collect();
        ing.process_batches(batches, |i, receipts| {
            let chunk = chunks[i];
            let receipts = match receipts {
                Ok(r) => r,
                Err(e) => {
                    // The whole batch failed to commit (e.g. disk full): nothing left the
                    // inbox; try again later.
                    tracing::error!(
                        "a batch of {} file(s) could not be committed: {e:#}; retrying later",
                        chunk.len()
                    );
                    for p in chunk {
                        if let Some(st) = pending.get_mut(p) {
                            st.retry_at = Some(Instant::now() + st.backoff);
                            st.backoff = (st.backoff * 2).min(opts.retry_max);
                        }
                    }
                    return !stop.load(Ordering::SeqCst);
                }
            };
            for (p, r) in chunk.iter().zip(&receipts) {
                summary.add(r);
                on_receipt(r);
                if r.outcome == Outcome::Deferred {
                    if let Some(st) = pending.get_mut(p) {
                        st.retry_at = Some(Instant::now() + st.backoff);
                        st.backoff = (st.backoff * 2).min(opts.retry_max);
                    }
                } else {
                    pending.remove(p);
                }
            }
            !stop.load(Ordering::SeqCst)
        });
    }
    drop(watcher);
    ing.flush_index();
    Ok(summary)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_and_hidden_names_are_ignored() {
        let f = Filter::new(&crate::config::Config::default().watch.ignore).unwrap();
        for n in [
            "a.part",
            "~$doc.pdf",
            ".~lock.x#",
            ".DS_Store",
            "Thumbs.db",
            "scan.pdf.toml",
            "x.crdownload",
            ".hidden.pdf",
        ] {
            assert!(!f.is_candidate(Path::new(n)), "{n}");
        }
        assert!(f.is_candidate(Path::new("scan.pdf")));
        assert!(f.is_candidate(Path::new("photo.jpg")));
    }
}
