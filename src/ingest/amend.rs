//! Moving a filed document to another place (`amend`): its scan, sidecar and text go to
//! the right box, and both boxes' manifests and tag files are rewritten, in one
//! crash-safe step.
//!
//! The move is named in the intent log (`journal/pending.jsonl`) with everything needed
//! to finish it (the new sidecar included) before anything is written, and then carried
//! out by [`Ingestor::complete_amend`], which is idempotent: each step looks at what is
//! already done. Recovery after a crash calls the same function, so a killed amend is
//! always finished at the next start (old files stay in place until the new box's
//! manifest lists the copies), never lost and never left in two boxes.

use std::collections::BTreeSet;
use std::fs;
use std::io;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::ingest::pipeline::Ingestor;
use crate::store::archive::{self, DocLoc};
use crate::store::audit::{self, Event};
use crate::store::boxes::{ArchiveBox, Entry, Label};
use crate::store::document::{DocumentMeta, Status};
use crate::store::fsutil;

/// A move of one document, as the intent log keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AmendMove {
    pub id: String,
    pub from_year: i32,
    pub from_group: String,
    /// The scan relative to its old box (`data/<kind>/<name>.pdf`).
    pub from_file: String,
    pub to_year: i32,
    pub to_group: String,
    pub to_file: String,
    /// The new sidecar, complete (with the history entry of this move).
    pub sidecar: String,
    /// The audit event's details (old and new place, fields changed).
    pub details: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AmendLine {
    pub amend: AmendMove,
}

/// Test hook: `ARCHIVIST_CRASH_AMEND_AT=<step>` aborts the process at that step of an
/// amend, to prove that recovery finishes it. Compiled only into debug builds (the
/// tests) and with the `fault-injection` feature, never into a release build.
#[cfg(any(debug_assertions, feature = "fault-injection"))]
fn crash_point(step: &str) {
    if std::env::var("ARCHIVIST_CRASH_AMEND_AT").is_ok_and(|v| v == step) {
        std::process::abort();
    }
}

#[cfg(not(any(debug_assertions, feature = "fault-injection")))]
fn crash_point(_step: &str) {}

/// The steps of an amend, in order, where the crash hook can stop it.
pub const AMEND_STEPS: [&str; 6] = [
    "intent",
    "copied",
    "sidecar",
    "manifests",
    "removed",
    "audited",
];

impl Ingestor<'_> {
    /// Moves a document as `mv` says: named in the intent log first (durably), then
    /// carried out; the intent is cleared once done.
    pub(crate) fn amend(&mut self, mv: AmendMove) -> Result<DocumentMeta> {
        self.catalogue_ready()?;
        self.intent_line_synced(&AmendLine { amend: mv.clone() })?;
        crash_point("intent");
        let meta = self.complete_amend(&mv)?;
        self.clear_intents()?;
        Ok(meta)
    }

    /// Carries out (or finishes) a move. Idempotent: every step checks what is done.
    pub(crate) fn complete_amend(&mut self, mv: &AmendMove) -> Result<DocumentMeta> {
        let a = self.archive;
        let meta = DocumentMeta::from_toml(&mv.sidecar)
            .context("the new sidecar in the intent log is not valid")?;
        let from_dir = a.boxes.join(mv.from_year.to_string()).join(&mv.from_group);
        let to_box = self.box_for(mv.to_year, &mv.to_group)?;
        let to_dir = to_box.dir.clone();
        let to_box_rel = to_box.rel.clone();
        let same_place = from_dir == to_dir && mv.from_file == mv.to_file;
        let scan_to = to_dir.join(&mv.to_file);
        let scan_from = from_dir.join(&mv.from_file);
        let text_from = from_dir.join(archive::text_of(&mv.from_file));
        let text_to = to_dir.join(archive::text_of(&mv.to_file));
        let listed_new = to_box.manifest.contains_key(&mv.to_file);
        if !same_place && !listed_new {
            if let Some(parent) = scan_to.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            // Copies (not renames): the old files stay whole until no manifest needs them.
            copy_verified(&scan_from, &scan_to, Some(&mv.id))?;
            if fs::symlink_metadata(&text_from).is_ok_and(|m| m.is_file()) {
                copy_verified(&text_from, &text_to, None)?;
            }
            crash_point("copied");
        }
        let side_to = to_dir.join(archive::sidecar_of(&mv.to_file));
        fsutil::write_atomic(&side_to, mv.sidecar.as_bytes(), false)
            .with_context(|| format!("cannot write the sidecar {}", side_to.display()))?;
        crash_point("sidecar");
        // The new box lists the copies; the old box no longer lists the originals.
        let mut touched = BTreeSet::new();
        {
            let b = self.box_for(mv.to_year, &mv.to_group)?;
            let mut put = |rel: String| -> Result<()> {
                let p = b.dir.join(&rel);
                let (sha256, size) = fsutil::sha256_file(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                b.manifest.insert(rel, Entry { sha256, size });
                Ok(())
            };
            put(mv.to_file.clone())?;
            put(archive::sidecar_of(&mv.to_file))?;
            if text_to.is_file() {
                put(archive::text_of(&mv.to_file))?;
            }
            relabel(b);
            touched.insert(b.rel.clone());
        }
        if !same_place {
            let b = self.box_for(mv.from_year, &mv.from_group)?;
            for rel in [
                mv.from_file.clone(),
                archive::sidecar_of(&mv.from_file),
                archive::text_of(&mv.from_file),
            ] {
                b.manifest.remove(&rel);
            }
            relabel(b);
            touched.insert(b.rel.clone());
        }
        self.write_boxes(&touched)?;
        crash_point("manifests");
        if !same_place {
            for p in [
                scan_from.clone(),
                from_dir.join(archive::sidecar_of(&mv.from_file)),
                text_from.clone(),
            ] {
                match fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e).with_context(|| {
                            format!(
                                "{} was moved, but its old copy {} could not be removed; remove it by hand",
                                mv.id,
                                p.display()
                            )
                        });
                    }
                }
            }
            let _ = fsutil::fsync_dir(
                &from_dir.join(
                    std::path::Path::new(&mv.from_file)
                        .parent()
                        .unwrap_or(std::path::Path::new("")),
                ),
            );
        }
        crash_point("removed");
        let to_path = format!("{to_box_rel}/{}", mv.to_file);
        let recorded = audit::history(&a.journal, &mv.id)?
            .last()
            .is_some_and(|r| r.action == "amended" && r.path.as_deref() == Some(&to_path));
        if !recorded {
            self.audit
                .append(vec![
                    Event::new("amended")
                        .id(&mv.id)
                        .path(to_path)
                        .details(mv.details.clone()),
                ])
                .context("cannot append to the audit log")?;
        }
        crash_point("audited");
        self.catalogue.insert(
            &mv.id,
            DocLoc {
                box_rel: to_box_rel,
                file: mv.to_file.clone(),
            },
        );
        let text = fs::read_to_string(&text_to).unwrap_or_default();
        self.index.put(&meta, &text);
        Ok(meta)
    }
}

/// Copies `src` to `dest` through a temporary name (fsynced, then renamed), unless `dest`
/// already holds the same bytes; with `sha`, the copy must hash to it.
fn copy_verified(src: &std::path::Path, dest: &std::path::Path, sha: Option<&str>) -> Result<()> {
    let (src_sha, _) = fsutil::sha256_file(src)
        .with_context(|| format!("cannot read {} to move it", src.display()))?;
    if let Some(want) = sha
        && src_sha != want
    {
        anyhow::bail!(
            "{} does not hash to its id {want}; run `archivist verify` before moving it",
            src.display()
        );
    }
    if fsutil::sha256_file(dest).is_ok_and(|(d, _)| d == src_sha) {
        return Ok(());
    }
    let mut tmp = fsutil::temp_beside(dest)
        .with_context(|| format!("cannot create a temporary file beside {}", dest.display()))?;
    let mut from = fs::File::open(src).with_context(|| format!("cannot open {}", src.display()))?;
    io::copy(&mut from, tmp.as_file_mut())
        .with_context(|| format!("cannot copy {} to {}", src.display(), dest.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot flush {}", dest.display()))?;
    tmp.persist(dest)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot put {} in place", dest.display()))?;
    Ok(())
}

/// Recounts a box's label from the sidecars its manifest lists (active documents only).
fn relabel(b: &mut ArchiveBox) {
    let mut label = Label::default();
    for rel in b.manifest.keys().filter(|k| k.ends_with(".toml")) {
        if let Ok(m) = fs::read_to_string(b.dir.join(rel))
            .map_err(anyhow::Error::from)
            .and_then(|t| Ok(DocumentMeta::from_toml(&t)?))
            && m.status == Status::Active
        {
            label.add(&m);
        }
    }
    b.label = label;
}
