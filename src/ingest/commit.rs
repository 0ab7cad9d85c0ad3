//! Stage 3, committing a batch, in this order: the boxes made durable (one syncfs, the
//! manifests, one more syncfs); the moves to review and the quarantine (each named in the
//! intent log first, then carried out, so its receipt says what really happened); the
//! audit events; the receipts; and only then the sources leave the inbox, each checked at
//! the last moment to be the file that was read and not being written. Last, the index.

use std::collections::BTreeSet;
use std::fs;
use std::io;

use anyhow::{Context, Result};
use serde_json::json;

use crate::ingest::pipeline::{BOX_CACHE_MAX, Batch, Ingestor, Removal};
use crate::ingest::place::Transfer;
use crate::ingest::recover::TransferIntent;
use crate::ingest::source::{self, Claim};
use crate::store::audit::Event;
use crate::store::fsutil;
use crate::store::receipts::{Outcome, Receipt};

impl Ingestor<'_> {
    pub(crate) fn commit(&mut self, mut batch: Batch) -> Result<Vec<Receipt>> {
        self.write_boxes(&batch.touched)?;
        if self.boxes.len() > BOX_CACHE_MAX {
            // Each cached box holds its whole manifest: keep only the latest batch's, so
            // a long-running watcher does not end up with the whole archive in memory.
            self.boxes.retain(|k, _| batch.touched.contains(k));
        }
        self.transfer(&mut batch)?;
        self.audit
            .append(std::mem::take(&mut batch.events))
            .context("cannot append to the audit log")?;
        batch.receipts.sort_by_key(|(i, _)| *i);
        let receipts: Vec<Receipt> = std::mem::take(&mut batch.receipts)
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        self.receipts
            .append(&receipts)
            .context("cannot append to the receipts")?;
        self.clear_intents()?;
        self.remove_sources(&batch.remove);
        // Their text is in the boxes now.
        for sha in &batch.ocr_cached {
            self.ocr_cache.remove(sha);
        }
        self.index.add_all(&batch.indexed);
        self.index
            .forget_review(&batch.indexed, &self.archive.review);
        Ok(receipts)
    }

    /// Carries out the batch's moves and copies; each gets the receipt and audit event of
    /// what happened (moved; or gone, or changed since it was read, and left in place).
    fn transfer(&mut self, batch: &mut Batch) -> Result<()> {
        let transfers = std::mem::take(&mut batch.transfers);
        if transfers.is_empty() {
            return Ok(());
        }
        for t in &transfers {
            self.intend_transfer(TransferIntent {
                dest: t.dest.clone(),
                notes: t.notes.iter().map(|(p, _)| p.clone()).collect(),
                receipt: t.receipt.clone(),
                action: t.event.action.clone(),
                id: t.event.id.clone(),
                path: t.subject.input.display.clone(),
                details: t.event.details.clone(),
            })?;
        }
        self.sync_intents()?;
        for t in transfers {
            let outcome = carry_out(&t);
            let dest = self.archive.rel(&t.dest);
            let receipt = match outcome {
                Ok(Claim::Done) => {
                    batch.events.push(t.event);
                    // A scan sent to review is findable at once (status "in review"),
                    // from the notes now beside it.
                    if t.receipt.outcome == Outcome::Review
                        && let Some(name) = t.dest.file_name().and_then(|n| n.to_str())
                    {
                        let item = crate::store::review::read(self.archive, name);
                        batch
                            .indexed
                            .push(crate::store::review::index_entry(self.archive, &item));
                    }
                    t.receipt
                }
                Ok(Claim::Gone) => {
                    remove_notes(&t);
                    Receipt::new(
                        &t.subject,
                        Outcome::Vanished,
                        format!(
                            "the file disappeared before it could be moved to {dest}; nothing was kept"
                        ),
                    )
                }
                Ok(Claim::Changed(why)) => {
                    remove_notes(&t);
                    Receipt::new(
                        &t.subject,
                        Outcome::Deferred,
                        format!(
                            "{why} after it was read; it stays where it is and will be read again"
                        ),
                    )
                }
                Err(e) => {
                    remove_notes(&t);
                    tracing::error!(
                        "{}: could not be moved to {dest}: {e}",
                        t.subject.input.display
                    );
                    Receipt::new(
                        &t.subject,
                        Outcome::Deferred,
                        format!(
                            "could not be moved to {dest} ({e}); it stays where it is and will be retried"
                        ),
                    )
                }
            };
            batch.receipts.push((t.input_no, receipt));
        }
        Ok(())
    }

    /// Removes archived sources (and their sidecars) from the inbox, each only if it is
    /// still the file that was read and no program is writing it; one that changed stays,
    /// and its new content is archived too.
    fn remove_sources(&mut self, remove: &[Removal]) {
        let mut dirs = BTreeSet::new();
        let mut kept = Vec::new();
        for r in remove {
            match source::remove_if_unchanged(&r.base, &r.rel, &r.seen) {
                Ok(Claim::Done) => {
                    if let Some(d) = r.base.join(&r.rel).parent() {
                        dirs.insert(d.to_path_buf());
                    }
                }
                Ok(Claim::Gone) => {}
                Ok(Claim::Changed(why)) => {
                    tracing::warn!(
                        "{}: archived as it was read, but {why}: it stays where it is and its new content will be archived too",
                        r.display
                    );
                    kept.push(
                        Event::new("source-kept")
                            .path(r.display.clone())
                            .details(json!({"reason": why})),
                    );
                }
                Err(e) => tracing::warn!(
                    "{}: archived, but the source could not be removed: {e}",
                    r.display
                ),
            }
        }
        for d in dirs {
            let _ = fsutil::fsync_dir(&d);
        }
        if let Err(e) = self.audit.append(kept) {
            tracing::error!("cannot append to the audit log: {e}");
        }
    }
}

fn remove_notes(t: &Transfer) {
    for (p, _) in &t.notes {
        let _ = fs::remove_file(p);
    }
}

/// Writes the notes beside the destination, then moves the source there (or copies it,
/// streamed, for `ingest` without `--move`), with its sidecar.
fn carry_out(t: &Transfer) -> io::Result<Claim> {
    if let Some(parent) = t.dest.parent() {
        fs::create_dir_all(parent)?;
    }
    for (p, text) in &t.notes {
        fsutil::write_atomic(p, text.as_bytes(), true)?;
    }
    let input = &t.subject.input;
    let claim = if input.consume {
        source::move_if_unchanged(&input.base, &input.rel(), t.subject.seen.as_ref(), &t.dest)?
    } else {
        match source::copy_source(&input.base, &input.rel(), &t.dest) {
            Ok(_) => Claim::Done,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Claim::Gone,
            Err(e) => return Err(e),
        }
    };
    if claim == Claim::Done
        && let Some((d, dest)) = &t.sidecar
    {
        let r = if input.consume {
            source::move_if_unchanged(&input.base, &d.rel, Some(&d.seen), dest).map(|_| ())
        } else {
            source::copy_source(&input.base, &d.rel, dest).map(|_| ())
        };
        if let Err(e) = r {
            tracing::warn!(
                "{}: its sidecar could not be kept beside it: {e}",
                input.display
            );
        }
    }
    Ok(claim)
}
