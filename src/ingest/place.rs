//! Stage 2, placing: for each prepared input, decide what happens (a known document, a
//! duplicate, a new document with its box and name, review, refusal) and log the intent;
//! then the batch's scans are written in parallel ([`Plan::write`]) and recorded in their
//! boxes' manifests. Names are unique within a folder without regard to case, so a box
//! copied to an SMB share or a Windows disk keeps every file.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Utc;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::nomenclature::Kind;
use crate::formats::naming;
use crate::formats::pdf::TextLayer;
use crate::ingest::classify::Classified;
use crate::ingest::input::Input;
use crate::ingest::ocr::OcrJob;
use crate::ingest::pipeline::{Batch, Ingestor, Removal, WaitingOcr};
use crate::ingest::prepare::{Prepared, Ready};
use crate::ingest::receipt::Subject;
use crate::ingest::recover::Intent;
use crate::ingest::sidecar::Dropped;
use crate::ingest::source;
use crate::store::archive::{self, DocLoc};
use crate::store::audit::Event;
use crate::store::boxes::Entry;
use crate::store::document::{DocumentMeta, Filing, OcrState, TextSource};
use crate::store::fsutil;
use crate::store::receipts::{Outcome, Receipt};

/// Where a new document goes.
struct Place {
    year: i32,
    group: String,
    kind: Kind,
    box_rel: String,
    box_dir: PathBuf,
    file_rel: String,
}

/// Where one ready scan goes and what is written for it (see `plan_ready`).
pub(crate) struct Plan {
    box_dir: PathBuf,
    box_rel: String,
    file_rel: String,
    side_text: String,
    has_text: bool,
    meta: DocumentMeta,
}

/// A file going to review or the quarantine (moved from the inbox, or copied for
/// `ingest`), with its receipt and audit event, recorded once it has been carried out.
pub(crate) struct Transfer {
    pub input_no: usize,
    pub subject: Subject,
    pub dest: PathBuf,
    /// Extra files written beside the destination (reason, template).
    pub notes: Vec<(PathBuf, String)>,
    /// The staff's sidecar, travelling with the file.
    pub sidecar: Option<(Dropped, PathBuf)>,
    pub receipt: Receipt,
    pub event: Event,
}

impl Ingestor<'_> {
    pub(crate) fn place(&mut self, p: Prepared, batch: &mut Batch) {
        match p {
            Prepared::Ready(r) => match self.plan_ready(&r, batch) {
                Ok(Some(plan)) => batch.planned.push((batch.cur, r, plan)),
                Ok(None) => {}
                Err(e) => defer_ready(&r, &e, batch),
            },
            Prepared::Review {
                subject,
                reasons,
                found,
                pages,
                sidecar,
                text,
            } => self.plan_review(
                subject,
                &reasons,
                &found,
                pages,
                sidecar.map(|s| *s),
                &text,
                batch,
            ),
            Prepared::NeedsOcr { ready, pdf, pages } => {
                // A copy of an archived scan needs no OCR to be recognised.
                if !self.plan_known(&ready, batch) {
                    self.wait_for_ocr(*ready, pdf, pages, batch);
                }
            }
            Prepared::Refuse {
                subject,
                code,
                reason,
                leave,
            } => self.plan_refuse(subject, code, &reason, leave, batch),
            Prepared::Defer { subject, reason } => {
                batch.push_receipt(Receipt::new(&subject, Outcome::Deferred, reason));
            }
            Prepared::Busy { subject, reason } => {
                if subject.input.consume || subject.input.base == self.archive.inbox {
                    batch.busy.push(batch.cur);
                } else {
                    batch.push_receipt(Receipt::new(
                        &subject,
                        Outcome::Deferred,
                        format!("not complete: {reason}; run ingest again once it is written"),
                    ));
                }
            }
            Prepared::Vanished { subject } => {
                batch.push_receipt(Receipt::new(
                    &subject,
                    Outcome::Vanished,
                    "the file disappeared before it could be read",
                ));
            }
        }
    }

    /// Decides where a ready scan goes (or that it is already archived) and logs the
    /// intent; writes nothing into the box. `None`: fully handled here.
    fn plan_ready(&mut self, r: &Ready, batch: &mut Batch) -> Result<Option<Plan>> {
        if self.plan_known(r, batch) {
            return Ok(None);
        }
        let place = self.place_for(r, batch)?;
        self.intent(&Intent {
            id: r.sha.clone(),
            box_rel: place.box_rel.clone(),
            year: place.year,
            group: place.group.clone(),
            file: place.file_rel.clone(),
        })?;
        let mut meta = DocumentMeta::archived(self.filing(r, &place));
        if let (Some(results), Some(info)) = (&r.ocr, meta.ocr.as_mut()) {
            // Read before filing: the pages' text is in, OCR does not run again.
            crate::ingest::ocr::merge_info(info, results);
        }
        let side_text = meta.to_toml().context("cannot serialise the sidecar")?;
        // Reserved now, so a copy of the same scan later in this batch is a duplicate.
        self.catalogue.insert(
            &r.sha,
            DocLoc {
                box_rel: place.box_rel.clone(),
                file: place.file_rel.clone(),
            },
        );
        Ok(Some(Plan {
            box_dir: place.box_dir,
            box_rel: place.box_rel,
            file_rel: place.file_rel,
            side_text,
            has_text: !r.text.trim().is_empty(),
            meta,
        }))
    }

    /// A scan already in the archive: archived by a run interrupted before it removed the
    /// source (same source path), or a duplicate (to the quarantine's duplicates).
    fn plan_known(&mut self, r: &Ready, batch: &mut Batch) -> bool {
        let Some(loc) = self.catalogue.get(&r.sha) else {
            return false;
        };
        let a = self.archive;
        let dest = format!("{}/{}", loc.box_rel, loc.file);
        let same_source = a.read_meta(&loc).ok().is_some_and(|m| {
            m.source_path == r.input().display && m.source_name == r.input().name()
        });
        if same_source {
            batch.push_receipt(
                Receipt::new(
                    &r.subject,
                    Outcome::Archived,
                    "already archived by a run that was interrupted before it removed the source",
                )
                .to(dest)
                .id(&r.sha),
            );
            remove_sources(r, batch);
            return true;
        }
        let reason = format!("duplicate of document {} archived at {dest}", &r.sha[..12]);
        let dir = a.quarantine.join("duplicates");
        self.plan_transfer(
            r.subject.clone(),
            Outcome::Duplicate,
            "duplicate",
            &reason,
            dir,
            None,
            r.sidecar.clone(),
            None,
            batch,
        );
        true
    }

    /// The box, kind folder and file name of a new document.
    fn place_for(&mut self, r: &Ready, batch: &mut Batch) -> Result<Place> {
        let a = self.archive;
        let (Some(year), Some(kind)) = (r.found.year, r.found.kind.as_deref()) else {
            anyhow::bail!("classification incomplete");
        };
        let kind = a
            .nomenclature
            .kind(kind)
            .with_context(|| format!("kind {kind} is not in the nomenclature"))?
            .clone();
        let max = a.config.boxes.max_name_bytes;
        let group = r
            .found
            .group
            .clone()
            .unwrap_or_else(|| a.config.boxes.default_group.clone());
        let group = naming::sanitize_component(&group, max);
        let box_rel = a.rel(&a.boxes.join(year.to_string()).join(&group));
        let b = self.box_for(year, &group)?;
        let kind_dir = b.ensure_dirs(&kind.id).with_context(|| {
            format!("cannot create the folder for {} in box {box_rel}", kind.id)
        })?;
        let box_dir = b.dir.clone();
        let file_name = choose_name(
            &kind_dir,
            &pdf_name(&r.input().name()),
            r.found.date,
            r.found.number.as_deref(),
            &r.sha,
            max,
            batch,
        );
        batch.reserve(&kind_dir.join(&file_name));
        Ok(Place {
            file_rel: format!("data/{}/{file_name}", kind.id),
            year,
            group,
            kind,
            box_rel,
            box_dir,
        })
    }

    fn filing<'r>(&self, r: &'r Ready, place: &'r Place) -> Filing<'r> {
        let f = &r.found;
        Filing {
            id: &r.sha,
            size: r.size,
            info: &r.info,
            kind: &place.kind,
            source_of_acquisition: self.archive.nomenclature.organisation.source_of_acquisition,
            year: place.year,
            group: f.group.as_ref().map(|_| place.group.clone()),
            date: f.date,
            number: f.number.clone(),
            title: f.title.clone(),
            programme: f.programme.clone(),
            learners: f.learners.clone(),
            events: f.events.clone(),
            provenance: f.provenance.clone(),
            provenance_detail: f.provenance_detail.clone(),
            results: r.read_results(&self.archive.config.classify.staff_markers),
            box_path: place.box_rel.clone(),
            file: place.file_rel.clone(),
            has_text: !r.text.trim().is_empty(),
            source_name: r.input().name(),
            source_path: r.input().display.clone(),
            original: r.converted.as_ref().map(|(_, o)| o.clone()),
        }
    }

    /// Records a placement whose files were written, or undoes its plan if they were not.
    pub(crate) fn finish(
        &mut self,
        r: Box<Ready>,
        plan: Plan,
        written: Result<()>,
        batch: &mut Batch,
    ) {
        match written {
            Ok(()) => self.record(&r, plan, batch),
            Err(e) => {
                self.catalogue.remove(&r.sha);
                if e.is::<SourceGone>() {
                    batch.push_receipt(Receipt::new(
                        &r.subject,
                        Outcome::Vanished,
                        "the file disappeared while it was being archived; nothing was kept",
                    ));
                } else {
                    defer_ready(&r, &e, batch);
                }
            }
        }
    }

    /// Enters a placement whose files are written into its box's manifest and label and
    /// the batch's audit events, receipts and index updates.
    fn record(&mut self, r: &Ready, plan: Plan, batch: &mut Batch) {
        let Plan {
            box_rel,
            file_rel,
            side_text,
            has_text,
            meta,
            ..
        } = plan;
        let side_rel = archive::sidecar_of(&file_rel);
        let Some(b) = self.boxes.get_mut(&box_rel) else {
            // Boxes stay cached within a batch; this would be a bug.
            tracing::error!("box {box_rel} left the cache during its batch");
            return;
        };
        b.manifest.insert(
            file_rel.clone(),
            Entry {
                sha256: r.sha.clone(),
                size: r.size,
            },
        );
        b.manifest
            .insert(side_rel.clone(), Entry::of(side_text.as_bytes()));
        if has_text {
            b.manifest
                .insert(archive::text_of(&file_rel), Entry::of(r.text.as_bytes()));
        }
        b.label.add(&meta);
        batch.touched.insert(box_rel.clone());
        let dest_rel = format!("{box_rel}/{file_rel}");
        batch.events.push(Event::new("archived").id(&r.sha).path(dest_rel.clone()).details(json!({
            "source": r.input().display, "kind": meta.kind, "year": meta.year, "group": meta.group, "case_index": meta.case.index,
            "pages": meta.pages, "size": meta.size, "text_layer": meta.pdf.text_layer, "repaired": meta.pdf.repaired,
        })));
        batch.push_receipt(
            Receipt::new(&r.subject, Outcome::Archived, archived_reason(r))
                .to(dest_rel)
                .id(&r.sha),
        );
        if let Some(o) = meta.ocr.as_ref().filter(|o| o.state == OcrState::Pending) {
            self.ocr_jobs.push(OcrJob {
                id: meta.id.clone(),
                box_rel: box_rel.clone(),
                file: file_rel.clone(),
                pages: o
                    .pages
                    .iter()
                    .filter(|p| p.source == TextSource::None)
                    .map(|p| p.page)
                    .collect(),
                before_filing: false,
            });
        }
        if r.ocr.is_some() {
            batch.ocr_cached.push(r.sha.clone());
        }
        batch.indexed.push((meta, r.text.clone()));
        remove_sources(r, batch);
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_review(
        &mut self,
        subject: Subject,
        reasons: &[String],
        found: &Classified,
        pages: u32,
        sidecar: Option<Dropped>,
        text: &str,
        batch: &mut Batch,
    ) {
        let reason = reasons.join("; ");
        let template = review_template(
            &subject.input,
            found,
            reasons,
            &self.archive.nomenclature.kind_ids(),
            pages,
            sidecar.as_ref(),
        );
        let review = self.archive.review.clone();
        self.plan_transfer(
            subject,
            Outcome::Review,
            "review",
            &reason,
            review,
            Some(template),
            sidecar,
            Some(text).filter(|t| !t.trim().is_empty()),
            batch,
        );
    }

    /// A scan that needs OCR before it can be classified stays where it is, with no
    /// receipt yet; the caller OCRs it (see [`Ingestor::take_waiting_ocr`]) and feeds it
    /// again, when the cached result makes it ready.
    fn wait_for_ocr(
        &mut self,
        ready: Ready,
        pdf: Arc<Vec<u8>>,
        pages: Vec<u32>,
        batch: &mut Batch,
    ) {
        tracing::debug!(
            "{}: no text layer; OCR of {} page(s) before it is classified",
            ready.input().display,
            pages.len()
        );
        batch.waiting_ocr.push(batch.cur);
        self.waiting_ocr.push(WaitingOcr {
            input: ready.subject.input,
            sha: ready.sha,
            pdf,
            pages,
        });
    }

    fn plan_refuse(
        &mut self,
        subject: Subject,
        code: &str,
        reason: &str,
        leave: bool,
        batch: &mut Batch,
    ) {
        if leave {
            // Links, devices and temporary names under `ingest` are never copied, and an
            // unreadable path cannot be: the receipt is the record.
            batch.push_receipt(Receipt::new(&subject, Outcome::Refused, reason));
            batch.events.push(
                Event::new("refused")
                    .path(subject.input.display.clone())
                    .details(json!({"code": code, "reason": reason})),
            );
            return;
        }
        let dir = self
            .archive
            .quarantine
            .join(Utc::now().format("%Y-%m-%d").to_string());
        let sidecar = crate::ingest::sidecar::read(&subject.input);
        self.plan_transfer(
            subject,
            Outcome::Refused,
            code,
            reason,
            dir,
            None,
            sidecar,
            None,
            batch,
        );
    }

    /// Decides where a refused, duplicate or review file goes; it is moved (or copied,
    /// for `ingest` without `--move`) at commit, and its receipt written after that.
    #[allow(clippy::too_many_arguments)]
    fn plan_transfer(
        &mut self,
        subject: Subject,
        outcome: Outcome,
        code: &str,
        reason: &str,
        dir: PathBuf,
        template: Option<String>,
        sidecar: Option<Dropped>,
        text: Option<&str>,
        batch: &mut Batch,
    ) {
        let max = self.archive.config.boxes.max_name_bytes;
        let name = naming::sanitize_file_name(&subject.input.name(), max);
        let dest = unique_dest(&dir, &name, batch);
        batch.reserve(&dest);
        let dest_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kept = sidecar
            .as_ref()
            .map(|_| dir.join(format!("{dest_name}.dropped.toml")));
        let mut notes = vec![(
            dir.join(format!("{dest_name}.reason.txt")),
            reason_note(&subject, outcome, reason, kept.as_deref()),
        )];
        if let Some(t) = template {
            notes.push((dir.join(format!("{dest_name}.toml")), t));
        }
        if let Some(t) = text {
            // The review queue and its search read exactly this name.
            notes.push((dir.join(format!("{dest_name}.ocr.txt")), t.to_string()));
        }
        for (p, _) in &notes {
            batch.reserve(p);
        }
        let dest_rel = self.archive.rel(&dest);
        let action = match outcome {
            Outcome::Review => "moved-to-review",
            Outcome::Duplicate => "duplicate",
            _ => "quarantined",
        };
        let mut event = Event::new(action)
            .path(subject.input.display.clone())
            .details(json!({"code": code, "reason": reason, "destination": dest_rel}));
        if let Some(s) = &subject.sha {
            event = event.id(s);
        }
        batch.transfers.push(Transfer {
            input_no: batch.cur,
            receipt: Receipt::new(&subject, outcome, reason).to(dest_rel),
            subject,
            dest,
            notes,
            sidecar: sidecar.zip(kept),
            event,
        });
    }
}

/// The receipt's reason for an archived scan, with what is worth knowing about it.
fn archived_reason(r: &Ready) -> String {
    let mut notes: Vec<&str> = Vec::new();
    match (r.info.text_layer, r.ocr.is_some()) {
        (TextLayer::Present, false) => {}
        (TextLayer::None, false) => notes.push("image-only: no text layer, needs OCR"),
        (TextLayer::Garbage, false) => notes.push("text layer unusable: needs OCR"),
        (_, true) => notes.push("no usable text layer: classified from its OCR text"),
    }
    if r.info.repaired {
        notes.push("opened only after cross-reference repair; archived byte for byte");
    }
    if r.info.active_content {
        notes.push("contains active content (JavaScript/actions), flagged and never run");
    }
    if r.info.encrypted {
        notes.push("encrypted with an empty password");
    }
    if r.converted.is_some() {
        notes.push("image converted to PDF, original bytes embedded");
    }
    if notes.is_empty() {
        "archived".to_string()
    } else {
        format!("archived ({})", notes.join("; "))
    }
}

/// The source and its dropped sidecar leave the inbox once the batch is durable (each
/// only if it is still the file that was read).
fn remove_sources(r: &Ready, batch: &mut Batch) {
    let input = r.input();
    if !input.consume {
        return;
    }
    if let Some(seen) = r.subject.seen {
        batch.remove.push(Removal {
            base: input.base.clone(),
            rel: input.rel(),
            seen,
            display: input.display.clone(),
        });
    }
    if let Some(d) = &r.sidecar {
        batch.remove.push(Removal {
            base: input.base.clone(),
            rel: d.rel.clone(),
            seen: d.seen,
            display: format!("{}.toml", input.display),
        });
    }
}

fn reason_note(subject: &Subject, outcome: Outcome, reason: &str, kept: Option<&Path>) -> String {
    let kept = kept
        .and_then(|k| k.file_name())
        .map(|k| {
            format!(
                "the sidecar dropped with it is kept beside it as {}\n",
                k.to_string_lossy()
            )
        })
        .unwrap_or_default();
    format!(
        "file: {}\nsha256: {}\nsize: {}\noutcome: {}\nreason: {reason}\ntime: {}\n{kept}{}",
        subject.input.display,
        subject.sha.as_deref().unwrap_or("-"),
        subject
            .size
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into()),
        outcome.as_str(),
        Utc::now().to_rfc3339(),
        match outcome {
            Outcome::Review =>
                "what to do: fill in the template beside this file and drop both files back into the inbox.\n",
            Outcome::Duplicate =>
                "what to do: nothing; the document is already archived. Delete this copy when you are satisfied.\n",
            _ =>
                "what to do: fix the scan (re-scan, remove the password, save as PDF) and drop it into the inbox again.\n",
        }
    )
}

/// A ready scan that could not be placed stays where it is, to be tried again.
fn defer_ready(r: &Ready, e: &anyhow::Error, batch: &mut Batch) {
    let reason = format!("could not be archived: {e:#}; it stays in place and will be retried");
    tracing::warn!("{}: {reason}", r.input().display);
    batch.push_receipt(Receipt::new(&r.subject, Outcome::Deferred, reason));
}

/// The source disappeared before it could be copied into its box.
#[derive(Debug, thiserror::Error)]
#[error("the file disappeared while it was being archived")]
pub(crate) struct SourceGone;

impl Plan {
    /// Writes the scan, its text and its sidecar (the sidecar last). Safe to run for many
    /// plans at once: each writes only its own new files.
    pub fn write(&self, r: &Ready) -> Result<()> {
        let dest = self.box_dir.join(&self.file_rel);
        let mut written = Written(Vec::new());
        match &r.converted {
            Some((pdf, _)) => fsutil::write_new_atomic(&dest, pdf, false).with_context(|| {
                format!(
                    "writing the PDF made from {} into {}",
                    r.input().display,
                    dest.display()
                )
            })?,
            None => match &r.kept {
                Some(bytes) => write_kept(r, bytes, &dest)?,
                None => copy_verified(r.input(), &dest, &r.sha)?,
            },
        }
        written.0.push(dest);
        if self.has_text {
            let rel = archive::text_of(&self.file_rel);
            let p = self.box_dir.join(&rel);
            fsutil::write_new_atomic(&p, r.text.as_bytes(), false)
                .with_context(|| format!("cannot write the text {rel}"))?;
            written.0.push(p);
        }
        let rel = archive::sidecar_of(&self.file_rel);
        let p = self.box_dir.join(&rel);
        fsutil::write_new_atomic(&p, self.side_text.as_bytes(), false)
            .with_context(|| format!("cannot write the sidecar {rel}"))?;
        written.keep();
        Ok(())
    }
}

/// Streams the source (through its no-follow path) into a temp file in the box while
/// hashing it, checks the hash against the one the file was validated with, and renames
/// it into place (made durable by the batch's syncfs).
fn copy_verified(input: &Input, dest: &Path, sha: &str) -> Result<()> {
    let mut src = match source::Parent::open(&input.base, &input.rel()).and_then(|p| p.open_file())
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SourceGone.into()),
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", input.display)),
    };
    let context = || format!("copying {} into {}", input.display, dest.display());
    // Not fsynced one by one: the batch's syncfs makes every copy (and its folder entry)
    // durable before any manifest names it and before any source is removed.
    let mut out = fsutil::temp_beside(dest).with_context(context)?;
    let mut h = Sha256::new();
    // Sized to the file (most scans are far below 1 MiB): zeroing a 1 MiB buffer per
    // scan showed up in profiles.
    let len = src.metadata().map(|m| m.len()).unwrap_or(0);
    let mut buf = vec![0u8; (len as usize).saturating_add(1).clamp(4096, 1 << 20)];
    loop {
        let n = src.read(&mut buf).with_context(context)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        out.write_all(&buf[..n]).with_context(context)?;
    }
    if hex::encode(h.finalize()) != sha {
        anyhow::bail!(
            "{}: the file changed while it was being archived",
            input.display
        );
    }
    out.persist_noclobber(dest)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(())
}

/// Writes the bytes that were read and hashed (so the copy is the document its id names)
/// into a temp file in the box and renames it into place (made durable by the batch's
/// syncfs), if the source is still the file that was read: one deleted or replaced since
/// is not archived, as with [`copy_verified`].
fn write_kept(r: &Ready, bytes: &[u8], dest: &Path) -> Result<()> {
    let input = r.input();
    match source::lstat_identity(&input.base, &input.rel()) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SourceGone.into()),
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", input.display)),
        Ok(now) => {
            if let Some(why) = r.subject.seen.and_then(|seen| seen.differs(&now)) {
                anyhow::bail!(
                    "{}: the file changed while it was being archived ({why})",
                    input.display
                );
            }
        }
    }
    fsutil::write_new_atomic(dest, bytes, false)
        .with_context(|| format!("copying {} into {}", input.display, dest.display()))
}

/// The files one placement has written so far: removed again if it fails part-way, so
/// a box never keeps a file that no manifest will name.
struct Written(Vec<PathBuf>);

impl Written {
    fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = fs::remove_file(p);
        }
    }
}

/// `scan.jpg` → `scan.pdf` (the archived file is always a PDF).
fn pdf_name(source: &str) -> String {
    match source.rsplit_once('.') {
        Some((stem, ext)) if !ext.eq_ignore_ascii_case("pdf") => format!("{stem}.pdf"),
        _ => source.to_string(),
    }
}

/// `2024-03-15_45-у_scan_0001.pdf`; a name taken (in any case, by the scan, its text or
/// its sidecar) gets the id's first 8 characters.
fn choose_name(
    dir: &Path,
    source: &str,
    date: Option<chrono::NaiveDate>,
    number: Option<&str>,
    sha: &str,
    max: usize,
    batch: &mut Batch,
) -> String {
    let stem = source.rsplit_once('.').map(|(s, _)| s).unwrap_or(source);
    let mut base = String::new();
    if let Some(d) = date {
        base.push_str(&d.format("%Y-%m-%d_").to_string());
    }
    if let Some(n) = number {
        base.push_str(n);
        base.push('_');
    }
    base.push_str(stem);
    let base = naming::sanitize_component(&base, max.saturating_sub(14));
    let names = batch.names_in(dir);
    let taken = |stem: &str| {
        ["pdf", "toml", "txt"]
            .iter()
            .any(|ext| names.contains(&format!("{stem}.{ext}").to_lowercase()))
    };
    if !taken(&base) {
        return format!("{base}.pdf");
    }
    let with_id = format!("{base}-{}", &sha[..8]);
    if !taken(&with_id) {
        return format!("{with_id}.pdf");
    }
    format!("{base}-{}.pdf", &sha[..16])
}

/// `dir/name`, or `dir/stem (2).ext`, …: the first name free in any case, on disk and in
/// this batch.
fn unique_dest(dir: &Path, name: &str, batch: &mut Batch) -> PathBuf {
    let names = batch.names_in(dir);
    let free = |n: &str| {
        let n = n.to_lowercase();
        !names.contains(&n)
            && !names.contains(&format!("{n}.reason.txt"))
            && !names.contains(&format!("{n}.toml"))
            && !names.contains(&format!("{n}.ocr.txt"))
    };
    if free(name) {
        return dir.join(name);
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (2..)
        .map(|n| format!("{stem} ({n}){ext}"))
        .find(|n| free(n))
        .map(|n| dir.join(n))
        .unwrap_or_else(|| dir.join(name))
}

/// A sidecar template for a scan in review: what was found is filled in, what is missing
/// is marked, and the allowed kinds are listed.
fn review_template(
    input: &Input,
    f: &Classified,
    reasons: &[String],
    kinds: &[&str],
    pages: u32,
    dropped: Option<&Dropped>,
) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut t = String::new();
    t.push_str(&format!(
        "# Metadata for {} ({pages} page(s)).\n",
        input.name()
    ));
    t.push_str("# It needs a person because:\n");
    for r in reasons {
        t.push_str(&format!("#   - {r}\n"));
    }
    if dropped.is_some_and(|d| d.parsed.is_err()) {
        t.push_str("# What could be read of the sidecar dropped with it is filled in below; the\n");
        t.push_str("# original is kept beside the scan as <scan>.dropped.toml.\n");
    }
    t.push_str("# Fill in what is missing, then drop the scan and this file (named <scan>.toml,\n");
    t.push_str("# e.g. scan.pdf.toml) together into the inbox.\n\n");
    t.push_str(&format!("# one of: {}\n", kinds.join(", ")));
    match &f.kind {
        Some(k) => t.push_str(&format!("kind = {}\n", q(k))),
        None => t.push_str("kind = \"\"            # REQUIRED\n"),
    }
    match f.date {
        Some(d) => t.push_str(&format!("date = {}\n", d.format("%Y-%m-%d"))),
        None => t.push_str("# date = 2024-03-15   # REQUIRED unless year is given\n"),
    }
    match (f.year, f.date) {
        (Some(y), None) => t.push_str(&format!("year = {y}\n")),
        (None, None) => t.push_str("# year = 2024\n"),
        _ => {}
    }
    match &f.group {
        Some(g) => t.push_str(&format!("group = {}\n", q(g))),
        None => t.push_str("# group = \"ПК-2024-017\"\n"),
    }
    match &f.number {
        Some(n) => t.push_str(&format!("number = {}\n", q(n))),
        None => t.push_str("# number = \"45-у\"\n"),
    }
    if let Some(p) = &f.programme {
        t.push_str(&format!("programme = {}\n", q(p)));
    }
    if let Some(ti) = &f.title {
        t.push_str(&format!("title = {}\n", q(ti)));
    }
    let learners: Vec<String> = f.learners.iter().map(|l| q(l)).collect();
    t.push_str(&format!("learners = [{}]\n", learners.join(", ")));
    t.push_str(&f.candidates.template_comment());
    if !f.events.is_empty() {
        t.push_str("\n[events]\n");
        for (k, d) in &f.events {
            t.push_str(&format!("{} = {}\n", q(k), d.format("%Y-%m-%d")));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differing_only_in_case_are_not_chosen_side_by_side() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("Scan.pdf"), b"x").unwrap();
        let mut batch = Batch::default();
        let sha = "0123456789abcdef0123456789abcdef";
        let n = choose_name(tmp.path(), "SCAN.pdf", None, None, sha, 120, &mut batch);
        assert_eq!(n, "SCAN-01234567.pdf");
        batch.reserve(&tmp.path().join("other.PDF"));
        let n = choose_name(tmp.path(), "Other.pdf", None, None, sha, 120, &mut batch);
        assert_eq!(n, "Other-01234567.pdf");
        let d = unique_dest(tmp.path(), "scan.PDF", &mut batch);
        assert_eq!(d.file_name().unwrap(), "scan (2).PDF");
    }
}
