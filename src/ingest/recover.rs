//! The intent log (`journal/pending.jsonl`) and recovery from it. Before a batch writes
//! into a box it names each placement; before it moves a file to review or the
//! quarantine it names the move with the receipt it will write. A restarted process
//! finishes what is whole (a scan in its manifest gets its audit record; a moved file
//! gets its receipt) and removes what is not (its source is still in the inbox and is
//! ingested again).

use std::collections::{BTreeSet, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ingest::amend::AmendLine;
use crate::ingest::pipeline::Ingestor;
use crate::store::archive;
use crate::store::audit::Event;
use crate::store::fsutil;
use crate::store::receipts::Receipt;

/// One placement a batch is about to write.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Intent {
    pub id: String,
    pub box_rel: String,
    pub year: i32,
    pub group: String,
    pub file: String,
}

/// A move (or copy) to review or the quarantine, with the records written once done.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TransferIntent {
    pub dest: PathBuf,
    pub notes: Vec<PathBuf>,
    pub receipt: Receipt,
    pub action: String,
    pub id: Option<String>,
    pub path: String,
    pub details: serde_json::Value,
}

/// A box rewritten outside a batch (OCR results): its temporary files are cleaned.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Touch {
    pub touch: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Moving {
    transfer: TransferIntent,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Line {
    Placement(Intent),
    Transfer(Moving),
    Touch(Touch),
    Amend(AmendLine),
}

impl<'a> Ingestor<'a> {
    pub(crate) fn intent(&mut self, it: &Intent) -> Result<()> {
        self.intent_line(it, false)
    }

    pub(crate) fn intend_transfer(&mut self, t: TransferIntent) -> Result<()> {
        self.intent_line(&Moving { transfer: t }, false)
    }

    pub(crate) fn intend_touch(&mut self, box_rel: &str) -> Result<()> {
        self.intent_line(
            &Touch {
                touch: box_rel.to_string(),
            },
            true,
        )
    }

    /// Appends one intent line and makes it durable before anything it names is done.
    pub(crate) fn intent_line_synced<T: Serialize>(&mut self, it: &T) -> Result<()> {
        self.intent_line(it, true)
    }

    /// Makes the intent lines so far durable (before the moves they name).
    pub(crate) fn sync_intents(&mut self) -> Result<()> {
        if let Some(f) = &self.pending {
            f.sync_data()
                .with_context(|| format!("cannot write {}", self.pending_path.display()))?;
        }
        Ok(())
    }

    fn intent_line<T: Serialize>(&mut self, it: &T, sync: bool) -> Result<()> {
        if self.pending.is_none() {
            self.pending = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.pending_path)
                    .with_context(|| format!("cannot open {}", self.pending_path.display()))?,
            );
        }
        let mut line = serde_json::to_vec(it)?;
        line.push(b'\n');
        if let Some(f) = self.pending.as_mut() {
            f.write_all(&line)
                .with_context(|| format!("cannot write {}", self.pending_path.display()))?;
        }
        if sync {
            self.sync_intents()?;
        }
        Ok(())
    }

    pub(crate) fn clear_intents(&mut self) -> Result<()> {
        self.pending = None;
        match fs::remove_file(&self.pending_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => {
                Err(e).with_context(|| format!("cannot remove {}", self.pending_path.display()))
            }
        }
    }

    /// Finishes placements and moves a crash interrupted: a scan whose copy and sidecar
    /// are in its manifest is recorded; anything partial is removed (its source is still
    /// where it was, because sources are only removed after a commit). Also removes
    /// leftover temporary files where an interrupted run wrote, and (in the background)
    /// old ones anywhere in the boxes.
    pub(crate) fn recover(&mut self) -> Result<()> {
        let a = self.archive;
        let lines = read_intents(&self.pending_path)?;
        let mut boxes: BTreeSet<String> = BTreeSet::new();
        for l in &lines {
            match l {
                Line::Placement(it) => boxes.insert(it.box_rel.clone()),
                Line::Touch(t) => boxes.insert(t.touch.clone()),
                Line::Transfer(_) => false,
                Line::Amend(m) => boxes.insert(
                    a.rel(
                        &a.boxes
                            .join(m.amend.to_year.to_string())
                            .join(&m.amend.to_group),
                    ),
                ),
            };
        }
        let mut cleaned = 0;
        for d in [&a.review, &a.quarantine, &a.journal] {
            cleaned += fsutil::clean_temp_files(d);
        }
        for b in &boxes {
            cleaned += fsutil::clean_temp_files(&a.root.join(b));
        }
        if cleaned > 0 {
            tracing::warn!("removed {cleaned} temporary file(s) left by an interrupted run");
        }
        sweep_old_temp_files(a.boxes.clone());
        if lines.is_empty() {
            return Ok(());
        }
        tracing::warn!(
            "completing {} placement(s) and move(s) interrupted by a crash",
            lines.len()
        );
        let mut events = Vec::new();
        let mut receipts = Vec::new();
        let mut touched = BTreeSet::new();
        let (mut placements, mut transfers, mut amends) = (Vec::new(), Vec::new(), Vec::new());
        for l in lines {
            match l {
                Line::Placement(it) => placements.push(it),
                Line::Transfer(m) => transfers.push(m.transfer),
                // A box rewritten outside a batch (OCR) exists already, or is gone
                // (destroyed since): only existing ones get their tag files rewritten.
                Line::Touch(t) if a.root.join(&t.touch).join("bagit.txt").is_file() => {
                    touched.insert(t.touch);
                }
                Line::Touch(_) => {}
                Line::Amend(m) => amends.push(m.amend),
            }
        }
        if !placements.is_empty() {
            self.recover_placements(placements, &mut events, &mut touched)?;
        }
        if !transfers.is_empty() {
            recover_transfers(a, transfers, &mut events, &mut receipts)?;
        }
        // An amend named in the log is finished (its old files stay until the new box
        // lists the copies, so finishing is always possible).
        for mv in &amends {
            self.complete_amend(mv).with_context(|| {
                format!(
                    "cannot finish moving document {} to {}/{} after a crash",
                    mv.id, mv.to_year, mv.to_group
                )
            })?;
        }
        for key in &touched {
            let rel = Path::new(key);
            let (Some(year), Some(group)) = (
                rel.parent()
                    .and_then(|p| p.file_name())
                    .and_then(|y| y.to_str()?.parse().ok()),
                rel.file_name().and_then(|g| g.to_str()),
            ) else {
                continue;
            };
            self.box_for(year, group)?;
        }
        self.write_boxes(&touched)?;
        self.audit.append(events)?;
        self.receipts.append(&receipts)?;
        self.clear_intents()?;
        Ok(())
    }

    fn recover_placements(
        &mut self,
        intents: Vec<Intent>,
        events: &mut Vec<Event>,
        touched: &mut BTreeSet<String>,
    ) -> Result<()> {
        let audited = archived_ids(&self.archive.journal)?;
        for it in intents {
            let b = self.box_for(it.year, &it.group)?;
            let dir = b.dir.clone();
            // The crash may have come between a box's manifest and its tag manifest:
            // every box the interrupted batch touched gets its tag files rewritten.
            touched.insert(it.box_rel.clone());
            if b.manifest.contains_key(&it.file) {
                if !audited.contains(&it.id) {
                    events.push(
                        Event::new("archived")
                            .id(&it.id)
                            .path(format!("{}/{}", it.box_rel, it.file))
                            .details(json!({"recovered": true})),
                    );
                }
                continue;
            }
            // Not in the manifest: the batch never committed, so its source is still in
            // place. Whatever was written (possibly cut short) is removed and the source
            // is ingested again.
            for p in [
                dir.join(&it.file),
                dir.join(archive::sidecar_of(&it.file)),
                dir.join(archive::text_of(&it.file)),
            ] {
                let _ = fs::remove_file(p);
            }
            events.push(Event::new("placement-rolled-back").id(&it.id).path(format!("{}/{}", it.box_rel, it.file)).details(
                json!({"reason": "interrupted before its batch was committed; the source was not removed and will be ingested again"}),
            ));
        }
        Ok(())
    }
}

/// Moves to review or the quarantine: one that happened gets the records it was meant to
/// have (once); one that did not leaves no notes behind (the file is still in the inbox).
fn recover_transfers(
    a: &archive::Archive,
    transfers: Vec<TransferIntent>,
    events: &mut Vec<Event>,
    receipts: &mut Vec<Receipt>,
) -> Result<()> {
    let recorded: HashSet<(String, Option<String>)> = crate::store::receipts::read_all(&a.journal)?
        .into_iter()
        .map(|r| (r.path, r.destination))
        .collect();
    for t in transfers {
        if fs::symlink_metadata(&t.dest).is_ok() {
            if !recorded.contains(&(t.receipt.path.clone(), t.receipt.destination.clone())) {
                let mut e = Event::new(&t.action).path(t.path).details(t.details);
                if let Some(id) = &t.id {
                    e = e.id(id);
                }
                events.push(e);
                receipts.push(t.receipt);
            }
        } else {
            for n in &t.notes {
                let _ = fs::remove_file(n);
            }
        }
    }
    Ok(())
}

fn read_intents(path: &Path) -> Result<Vec<Line>> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // A line cut by the crash is ignored: what it announced had not started.
    Ok(BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect())
}

fn archived_ids(journal: &Path) -> Result<HashSet<String>> {
    Ok(crate::store::audit::history_all(journal)?
        .into_iter()
        .filter(|r| r.action == "archived")
        .filter_map(|r| r.id)
        .collect())
}

/// How much older than this process's start a temporary file must be for the background
/// sweep to remove it. File times come from the kernel's coarse clock (a few ms behind
/// `SystemTime::now()`), and on a network share from the server's clock: without a margin
/// the sweep removed temporary files this process had just created, before their rename.
/// A younger leftover is removed at a later start, or at once if an intent names its box.
const SWEEP_MARGIN: Duration = Duration::from_secs(10 * 60);

/// Temporary files older than this process (by [`SWEEP_MARGIN`]), anywhere in the boxes,
/// are removed on a background thread: walking a large archive must not delay start-up,
/// and files this process writes are newer than its start, so they are never touched.
fn sweep_old_temp_files(boxes: PathBuf) {
    let Some(cutoff) = SystemTime::now().checked_sub(SWEEP_MARGIN) else {
        return;
    };
    std::thread::spawn(move || {
        let n = remove_temp_files_older_than(&boxes, cutoff);
        if n > 0 {
            tracing::warn!("removed {n} old temporary file(s) from the boxes");
        }
    });
}

fn remove_temp_files_older_than(boxes: &Path, cutoff: SystemTime) -> usize {
    let mut n = 0;
    for e in walkdir::WalkDir::new(boxes)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        let old = e
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .is_some_and(|t| t < cutoff);
        if e.file_type().is_file()
            && old
            && e.file_name()
                .to_string_lossy()
                .starts_with(fsutil::TMP_PREFIX)
            && fs::remove_file(e.path()).is_ok()
        {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    /// The sweep must spare a temporary file created a moment ago (by this process, on
    /// its way to being renamed into place) and remove one left long ago.
    #[test]
    fn the_sweep_spares_fresh_temporary_files_and_removes_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("2019/ПК-1/data/order");
        fs::create_dir_all(&data).unwrap();
        let fresh = data.join(format!("{}fresh", fsutil::TMP_PREFIX));
        let old = data.join(format!("{}old", fsutil::TMP_PREFIX));
        let kept = data.join("scan.pdf");
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        for p in [&fresh, &old, &kept] {
            fs::write(p, b"x").unwrap();
        }
        for p in [&old, &kept] {
            File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(hour_ago)
                .unwrap();
        }
        // The cutoff as the sweep computes it: a file made just after the process started
        // may carry a time slightly before it, which the margin absorbs.
        let cutoff = SystemTime::now().checked_sub(SWEEP_MARGIN).unwrap();
        assert_eq!(remove_temp_files_older_than(dir.path(), cutoff), 1);
        assert!(fresh.exists(), "a fresh temporary file is spared");
        assert!(!old.exists(), "an old leftover is removed");
        assert!(kept.exists(), "only temporary files are removed");
    }
}
