//! `watch`, `ingest` and `ocr`: the inbox use cases, with receipts logged as they come
//! (or printed as JSON lines) and a summary at the end.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

use super::render::{Render, emit, emit_line, outln, visible};
use super::{Ctx, exit};
use archivist::api::{Archivist, IngestReport, OcrReport, OcrTarget};
use archivist::error::Result;
use archivist::ingest::receipt::Summary;
use archivist::ingest::watch::WatchEvent;
use archivist::store::receipts::{Outcome, Receipt};

/// `archivist watch`: creates the archive if needed, then files what arrives in the
/// inbox until Ctrl-C (the batch in flight is finished first).
pub fn watch(ctx: &Ctx) -> Result<i32> {
    // First thing: Ctrl-C during start-up must also end cleanly.
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ctrlc::set_handler(move || s.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")?;
    let (ar, _) = Archivist::init(&ctx.root, ctx.config.as_deref())?;
    let options = ar.watch_options();
    let a = ar.archive();
    let summary = ar.watch(&options, stop, &ctx.actor(), &mut |e| {
        if ctx.json {
            emit_line(&e);
            return;
        }
        match e {
            WatchEvent::Watching {
                inbox, indexed, ..
            } => {
                let abs = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or(p.to_path_buf());
                outln!("archivist is watching {}", abs(&inbox).display());
                outln!(
                    "  drop scans there (PDF, JPEG, PNG or TIFF; sub-folders <group>/<kind>/ allowed); they are filed under {}",
                    abs(&a.boxes).display()
                );
                outln!(
                    "  archive root {}, config: {}; {indexed} document(s) in the search index",
                    a.root.display(),
                    a.config_origin
                );
                outln!("  press Ctrl-C to stop");
            }
            WatchEvent::Receipt(r) => log_receipt(&r),
            WatchEvent::WaitingForOcr { path, pages, .. } => tracing::info!(
                "{}: no text layer; OCR of {pages} page(s) before it is classified",
                visible(&path)
            ),
            WatchEvent::OcrDone { file, pages, .. } => {
                tracing::info!("{}: OCR of {} page(s) done", visible(&file), pages.len())
            }
            WatchEvent::OcrFailed { file, error, .. } => {
                tracing::warn!("{}: OCR failed: {}", visible(&file), visible(&error))
            }
            WatchEvent::Fixity {
                scope,
                files,
                changed,
                missing,
                untracked,
            } => tracing::info!(
                "fixity ({scope}): {files} file(s), {changed} changed, {missing} missing, {untracked} untracked"
            ),
            WatchEvent::IndexRepaired(r) => tracing::warn!(
                "the index was repaired: {} added, {} removed, {} unreadable",
                r.added.len(),
                r.removed.len(),
                r.unreadable.len()
            ),
            WatchEvent::Problem { message } => tracing::warn!("{}", visible(&message)),
        }
    })?;
    if ctx.json {
        emit_line(&serde_json::json!({"event": "stopped", "summary": summary}));
    } else {
        outln!("stopped: {}", summary_line(&summary));
    }
    Ok(exit::OK)
}

/// A receipt in the log: archived ones as information, the rest as warnings.
fn log_receipt(r: &Receipt) {
    let dest = r
        .destination
        .as_deref()
        .map(|d| format!(" → {}", visible(d)))
        .unwrap_or_default();
    let (path, reason) = (visible(&r.path), visible(&r.reason));
    match r.outcome {
        Outcome::Archived => tracing::info!("{path}: {reason}{dest}"),
        _ => tracing::warn!("{path}: {}: {reason}{dest}", r.outcome.as_str()),
    }
}

fn summary_line(s: &Summary) -> String {
    format!(
        "{} archived, {} duplicate, {} to review, {} refused, {} deferred, {} vanished",
        s.archived, s.duplicate, s.review, s.refused, s.deferred, s.vanished
    )
}

/// `archivist ingest PATH…`: files and folders through the pipeline, once.
pub fn ingest(ctx: &Ctx, paths: &[PathBuf], move_sources: bool) -> Result<i32> {
    let (ar, _) = Archivist::init(&ctx.root, ctx.config.as_deref())?;
    let bar = ctx.progress(0);
    let report = ar.ingest(paths, move_sources, &ctx.actor(), &mut |p| {
        if let Some((read, all)) = p.ocr {
            // Scans with no text are read before they can be classified.
            bar.set_length(all as u64);
            bar.set_position(read as u64);
            bar.set_message("OCR before classification (pages)");
            return;
        }
        bar.set_message("");
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        if let Some(r) = p.receipt
            && !ctx.json
            && r.outcome != Outcome::Archived
        {
            bar.suspend(|| log_receipt(r));
        }
    })?;
    bar.finish_and_clear();
    Ok(emit(ctx, &report))
}

impl Render for IngestReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "{} file(s): {}",
            self.summary.total(),
            summary_line(&self.summary)
        )?;
        if let Some(r) = &self.index_repaired {
            writeln!(
                w,
                "the index was repaired: {} added, {} removed",
                r.added.len(),
                r.removed.len()
            )?;
        }
        Ok(())
    }
    fn code(&self) -> i32 {
        if self.has_findings() {
            exit::FINDINGS
        } else {
            exit::OK
        }
    }
}

/// `archivist ocr --pending | ID…`.
pub fn ocr(ctx: &Ctx, pending: bool, ids: &[String]) -> Result<i32> {
    let target = if pending && ids.is_empty() {
        OcrTarget::Pending
    } else {
        OcrTarget::Ids(ids.to_vec())
    };
    let bar = ctx.progress(0);
    let report = ctx.open()?.ocr(&target, &ctx.actor(), &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    Ok(emit(ctx, &report))
}

impl Render for OcrReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "OCR: {} document(s), {} page(s)",
            self.documents, self.pages
        )?;
        for d in self.results.iter().filter(|d| d.failed_pages > 0) {
            writeln!(w, "  {}: {} page(s) failed", d.file, d.failed_pages)?;
        }
        Ok(())
    }
}
