//! The pipeline for a batch of files: prepare each (read, hash, validate, extract text,
//! classify: in parallel, overlapping the previous batch's writes), place each (duplicate
//! check, copy into its box under its final name: sequential), then commit the batch once
//! (one syncfs, manifests, audit, receipts, index) and only then remove the sources. An
//! intent log (`journal/pending.jsonl`) names every file a batch writes, so a restarted
//! process removes what an interrupted batch left and ingests its sources again.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Utc;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::formats::pdf::{self, PdfInfo, PdfLimits, TextLayer};
use crate::ingest::classify::{Classified, Classifier, Evidence};
use crate::search::index::IndexSink;
use crate::store::archive::{self, Archive, DocLoc};
use crate::store::audit::{Actor, AuditLog, Event};
use crate::store::boxes::{ArchiveBox, Entry};
use crate::store::document::{
    CaseRef, DocumentMeta, DropSidecar, OcrInfo, OcrState, OriginalImage, PageSource, PdfFacts,
    Status, TextSource,
};
use crate::store::fsutil;
use crate::store::naming;
use crate::store::receipts::{Outcome, Receipt, ReceiptLog};

/// Boxes kept open (manifest and label in memory) between batches.
const BOX_CACHE_MAX: usize = 256;

/// One file to ingest.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// How receipts name it: inbox-relative for the watcher, as given for `ingest`.
    pub display: String,
    /// Folders between the inbox (or the folder given to `ingest`) and the file.
    pub folders: Vec<String>,
    /// Remove (inbox, `ingest --move`) or keep (`ingest`) the source once its outcome is durable.
    pub consume: bool,
}

impl Input {
    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into())
    }
    fn dropped_sidecar(&self) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(".toml");
        PathBuf::from(s)
    }
}

enum Prepared {
    Ready(Box<Ready>),
    Review {
        input: Input,
        sha: String,
        size: u64,
        reasons: Vec<String>,
        found: Box<Classified>,
        pages: u32,
    },
    Refuse {
        input: Input,
        sha: Option<String>,
        size: Option<u64>,
        code: &'static str,
        reason: String,
        special: bool,
    },
    Defer {
        input: Input,
        reason: String,
    },
    Vanished {
        input: Input,
    },
}

struct Ready {
    input: Input,
    sha: String,
    size: u64,
    info: PdfInfo,
    found: Classified,
    text: String,
    /// For an image input: the PDF made from it (archived instead of the source bytes).
    converted: Option<(Vec<u8>, OriginalImage)>,
}

/// One intent line: what a placement is about to create.
#[derive(Debug, Serialize, Deserialize)]
struct Intent {
    id: String,
    box_rel: String,
    year: i32,
    group: String,
    file: String,
}

/// Work decided for a batch and carried out at commit.
#[derive(Default)]
struct Batch {
    touched: BTreeSet<String>,
    events: Vec<Event>,
    /// (input number, receipt): placements finish out of input order; sorted at commit.
    receipts: Vec<(usize, Receipt)>,
    /// The input being handled.
    cur: usize,
    /// Ready scans with their place decided, to be written together (input number).
    planned: Vec<(usize, Box<Ready>, Plan)>,
    indexed: Vec<(DocumentMeta, String)>,
    /// Sources to remove once the batch is durable.
    remove: Vec<PathBuf>,
    /// (source, destination, move?) for review and quarantine, carried out after commit.
    transfers: Vec<Transfer>,
    reserved: HashSet<PathBuf>,
}

impl Batch {
    fn push_receipt(&mut self, r: Receipt) {
        self.receipts.push((self.cur, r));
    }
}

struct Transfer {
    src: PathBuf,
    dest: PathBuf,
    consume: bool,
    /// Extra files written beside the destination (reason, template).
    notes: Vec<(PathBuf, String)>,
    /// A dropped sidecar travelling with the file.
    sidecar: Option<(PathBuf, PathBuf)>,
}

/// Counts by outcome, for summaries.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub archived: usize,
    pub duplicate: usize,
    pub review: usize,
    pub refused: usize,
    pub deferred: usize,
    pub vanished: usize,
}

impl Summary {
    pub fn add(&mut self, r: &Receipt) {
        match r.outcome {
            Outcome::Archived => self.archived += 1,
            Outcome::Duplicate => self.duplicate += 1,
            Outcome::Review => self.review += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::Deferred => self.deferred += 1,
            Outcome::Vanished => self.vanished += 1,
        }
    }
    pub fn total(&self) -> usize {
        self.archived + self.duplicate + self.review + self.refused + self.deferred + self.vanished
    }
}

pub struct Ingestor<'a> {
    pub archive: &'a Archive,
    pub actor: Actor,
    catalogue: HashMap<String, DocLoc>,
    boxes: HashMap<String, ArchiveBox>,
    audit: AuditLog,
    receipts: ReceiptLog,
    classifier: Arc<Classifier>,
    limits: PdfLimits,
    index: Box<dyn IndexSink + 'a>,
    pending_path: PathBuf,
    pending: Option<File>,
    /// Documents archived by this process whose pages wait for OCR.
    ocr_jobs: Vec<OcrJob>,
}

/// Pages of one archived document to OCR.
#[derive(Debug, Clone)]
pub struct OcrJob {
    pub id: String,
    pub box_rel: String,
    pub file: String,
    pub pages: Vec<u32>,
}

/// OCRs a job's pages (no archive writes: safe on any thread).
pub fn run_ocr(
    root: &Path,
    cfg: &crate::formats::ocr::OcrConfig,
    job: &OcrJob,
) -> Result<Vec<crate::formats::ocr::PageText>> {
    let scan = root.join(&job.box_rel).join(&job.file);
    let bytes = fs::read(&scan).with_context(|| format!("cannot read {}", scan.display()))?;
    Ok(crate::formats::ocr::ocr_pdf(&bytes, &job.pages, cfg))
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
        let audit = AuditLog::open(&archive.journal, actor).with_context(|| {
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
            catalogue: HashMap::new(),
            boxes: HashMap::new(),
            audit,
            receipts,
            classifier,
            limits: archive.config.limits_pdf(),
            index,
            pending_path: archive.journal.join("pending.jsonl"),
            pending: None,
            ocr_jobs: Vec::new(),
        };
        ing.recover()?;
        ing.catalogue = archive.catalogue()?;
        Ok(ing)
    }

    /// Commits what the index holds uncommitted (call when idle and before exiting).
    pub fn flush_index(&mut self) {
        if let Err(e) = self.index.commit() {
            tracing::error!(
                "the search index could not be committed ({e:#}); run `archivist reindex`"
            );
        }
    }

    pub fn catalogue_len(&self) -> usize {
        self.catalogue.len()
    }

    /// OCR work created by the batches committed since the last call.
    pub fn take_ocr_jobs(&mut self) -> Vec<OcrJob> {
        std::mem::take(&mut self.ocr_jobs)
    }

    /// Every archived document still waiting for OCR (reads the sidecars).
    pub fn pending_ocr(&self, only: Option<&[String]>) -> Result<Vec<OcrJob>> {
        let mut out = Vec::new();
        for (id, loc) in &self.catalogue {
            if only.is_some_and(|o| !o.iter().any(|x| x == id)) {
                continue;
            }
            let meta = self.archive.read_meta(loc)?;
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
                    id: id.clone(),
                    box_rel: loc.box_rel.clone(),
                    file: loc.file.clone(),
                    pages,
                });
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Records OCR results: the text file and sidecar are rewritten (the scan never is),
    /// the manifest follows, learners found in the new text are added, the index updated.
    pub fn apply_ocr(
        &mut self,
        job: &OcrJob,
        results: Vec<crate::formats::ocr::PageText>,
    ) -> Result<()> {
        let a = self.archive;
        let loc = DocLoc {
            box_rel: job.box_rel.clone(),
            file: job.file.clone(),
        };
        let mut meta = a.read_meta(&loc)?;
        let dir = a.root.join(&job.box_rel);
        let txt_rel = archive::text_of(&job.file);
        let old = fs::read_to_string(dir.join(&txt_rel)).unwrap_or_default();
        let mut pages: Vec<String> = old.split("\n\u{c}\n").map(str::to_string).collect();
        pages.resize(meta.pages.max(1) as usize, String::new());
        let mut info = meta.ocr.clone().unwrap_or(OcrInfo {
            state: OcrState::Pending,
            at: None,
            message: None,
            pages: Vec::new(),
        });
        let mut failures = Vec::new();
        for r in &results {
            let i = r.page.saturating_sub(1) as usize;
            if let Some(e) = &r.error {
                failures.push(format!("page {}: {e}", r.page));
                continue;
            }
            if i < pages.len() {
                pages[i] = r.text.clone();
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
        let text = pages.join("\n\u{c}\n");
        if meta.provenance.get("learners").map(String::as_str) != Some("sidecar") {
            for n in crate::ru::names::find_names(&text, &a.config.classify.staff_markers) {
                if !meta.learners.contains(&n.text) {
                    meta.learners.push(n.text);
                }
            }
        }
        meta.ocr = Some(info);
        let has_text = !text.trim().is_empty();
        meta.text_file = has_text.then(|| txt_rel.clone());
        let side_rel = archive::sidecar_of(&job.file);
        let side_text = meta.to_toml()?;
        if has_text {
            fsutil::write_atomic(&dir.join(&txt_rel), text.as_bytes(), true)?;
        }
        fsutil::write_atomic(&dir.join(&side_rel), side_text.as_bytes(), true)?;
        let b = self.box_for(
            meta.year,
            meta.group
                .as_deref()
                .unwrap_or(&a.config.boxes.default_group),
        )?;
        if b.dir != dir {
            anyhow::bail!("document {} is not in the box its sidecar names", job.id);
        }
        b.manifest.insert(side_rel, Entry::of(side_text.as_bytes()));
        if has_text {
            b.manifest.insert(txt_rel, Entry::of(text.as_bytes()));
        }
        let key = b.rel.clone();
        self.write_boxes(&BTreeSet::from([key]))?;
        let state = meta
            .ocr
            .as_ref()
            .map(|o| o.state.as_str())
            .unwrap_or_default();
        self.audit.append_one(
            Event::new("ocr-completed")
                .id(&job.id)
                .path(format!("{}/{}", job.box_rel, job.file))
                .details(json!({"pages": job.pages, "state": state, "failures": failures})),
        )?;
        if let Err(e) = self
            .index
            .add(&meta, &text)
            .and_then(|_| self.index.commit())
        {
            tracing::error!(
                "the search index could not be updated ({e:#}); run `archivist reindex`"
            );
        }
        Ok(())
    }

    /// Finishes placements a crash interrupted: a scan whose copy and sidecar are whole is
    /// committed; anything partial is removed (its source is still where it was, because
    /// sources are only removed after a commit). Also removes leftover temp files.
    fn recover(&mut self) -> Result<()> {
        let a = self.archive;
        let mut cleaned = 0;
        for d in [&a.boxes, &a.review, &a.quarantine, &a.journal] {
            cleaned += fsutil::clean_temp_files(d);
        }
        if cleaned > 0 {
            tracing::warn!("removed {cleaned} temporary file(s) left by an interrupted run");
        }
        let intents = read_intents(&self.pending_path)?;
        if intents.is_empty() {
            return Ok(());
        }
        tracing::warn!(
            "completing {} placement(s) interrupted by a crash",
            intents.len()
        );
        let audited = archived_ids(&a.journal)?;
        let mut events = Vec::new();
        let mut touched = BTreeSet::new();
        for it in intents {
            let b = self.box_for(it.year, &it.group)?;
            let dir = b.dir.clone();
            let scan = dir.join(&it.file);
            let side = dir.join(archive::sidecar_of(&it.file));
            let txt = dir.join(archive::text_of(&it.file));
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
            for p in [&scan, &side, &txt] {
                let _ = fs::remove_file(p);
            }
            events.push(Event::new("placement-rolled-back").id(&it.id).path(format!("{}/{}", it.box_rel, it.file)).details(
                json!({"reason": "interrupted before its batch was committed; the source was not removed and will be ingested again"}),
            ));
        }
        self.write_boxes(&touched)?;
        self.audit.append(events)?;
        self.clear_intents()?;
        Ok(())
    }

    fn box_for(&mut self, year: i32, group: &str) -> Result<&mut ArchiveBox> {
        let a = self.archive;
        let key = a.rel(&a.boxes.join(year.to_string()).join(group));
        if !self.boxes.contains_key(&key) {
            let b = ArchiveBox::open(&a.boxes, &a.root, year, group)
                .with_context(|| format!("cannot open box {key}"))?;
            self.boxes.insert(key.clone(), b);
        }
        self.boxes.get_mut(&key).context("box cache")
    }

    fn write_boxes(&mut self, touched: &BTreeSet<String>) -> Result<()> {
        if touched.is_empty() {
            return Ok(());
        }
        // Group commit: one syncfs makes the batch's scans, sidecars and folder entries
        // durable before the manifests that name them, and one more the manifests.
        fsutil::syncfs(&self.archive.boxes).context("cannot flush the archive to disk")?;
        for key in touched {
            if let Some(b) = self.boxes.get(key) {
                b.write_tag_files(&self.archive.nomenclature.organisation, false)
                    .with_context(|| format!("cannot write the manifests of box {key}"))?;
            }
        }
        fsutil::syncfs(&self.archive.boxes).context("cannot flush the archive to disk")?;
        Ok(())
    }

    fn intent(&mut self, it: &Intent) -> Result<()> {
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
        Ok(())
    }

    fn clear_intents(&mut self) -> Result<()> {
        self.pending = None;
        match fs::remove_file(&self.pending_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => {
                Err(e).with_context(|| format!("cannot remove {}", self.pending_path.display()))
            }
        }
    }

    /// Runs batches through the pipeline in order, preparing the next batch (reading,
    /// hashing, parsing, classifying: CPU work on the rayon pool) while the current one
    /// is placed and committed (mostly waiting on the file system), so the two overlap.
    /// `on_batch` gets each batch's number and outcome, in order; it returns `false` to
    /// stop (a batch already being prepared is dropped: nothing of it was written).
    pub fn process_batches<I>(
        &mut self,
        batches: I,
        mut on_batch: impl FnMut(usize, Result<Vec<Receipt>>) -> bool,
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
                if !on_batch(i, self.place_and_commit(prepared)) {
                    break;
                }
            }
        });
    }

    fn preparer(&self) -> Preparer<'a> {
        Preparer {
            classifier: self.classifier.clone(),
            limits: self.limits.clone(),
            archive: self.archive,
        }
    }

    fn place_and_commit(&mut self, prepared: Vec<Prepared>) -> Result<Vec<Receipt>> {
        let (n, t0) = (prepared.len(), std::time::Instant::now());
        let mut batch = Batch::default();
        // Decisions (duplicates, boxes, names, intents) one by one; the file writes of
        // the batch in parallel; then the records, in input order.
        for (i, p) in prepared.into_iter().enumerate() {
            batch.cur = i;
            self.place(p, &mut batch);
        }
        let planned = std::mem::take(&mut batch.planned);
        let written: Vec<Result<()>> = planned
            .par_iter()
            .map(|(_, r, plan)| plan.write(r))
            .collect();
        for ((i, r, plan), w) in planned.into_iter().zip(written) {
            batch.cur = i;
            self.finish(r, plan, w, &mut batch);
        }
        let (t1, touched) = (std::time::Instant::now(), batch.touched.len());
        let r = self.commit(batch);
        tracing::debug!(
            "batch of {n}: placed in {:?}, committed in {:?} ({touched} box(es))",
            t1 - t0,
            t1.elapsed()
        );
        r
    }

    /// Records a placement whose files were written, or undoes its plan if they were not.
    fn finish(&mut self, r: Box<Ready>, plan: Plan, written: Result<()>, batch: &mut Batch) {
        match written {
            Ok(()) => self.record(&r, plan, batch),
            Err(e) => {
                self.catalogue.remove(&r.sha);
                defer_ready(&r, &e, batch);
            }
        }
    }

    fn place(&mut self, p: Prepared, batch: &mut Batch) {
        match p {
            Prepared::Ready(r) => match self.plan_ready(&r, batch) {
                Ok(Some(plan)) => batch.planned.push((batch.cur, r, plan)),
                Ok(None) => {}
                Err(e) => defer_ready(&r, &e, batch),
            },
            Prepared::Review {
                input,
                sha,
                size,
                reasons,
                found,
                pages,
            } => self.plan_review(input, sha, size, reasons, *found, pages, batch),
            Prepared::Refuse {
                input,
                sha,
                size,
                code,
                reason,
                special,
            } => self.plan_refuse(input, sha, size, code, &reason, special, batch),
            Prepared::Defer { input, reason } => {
                batch.push_receipt(receipt(
                    &input,
                    None,
                    None,
                    Outcome::Deferred,
                    &reason,
                    None,
                    None,
                ));
            }
            Prepared::Vanished { input } => {
                batch.push_receipt(receipt(
                    &input,
                    None,
                    None,
                    Outcome::Vanished,
                    "the file disappeared before it could be read",
                    None,
                    None,
                ));
            }
        }
    }

    /// Decides where a ready scan goes (or that it is a duplicate) and logs the intent;
    /// writes nothing into the box. `None`: fully handled here (a duplicate).
    fn plan_ready(&mut self, r: &Ready, batch: &mut Batch) -> Result<Option<Plan>> {
        let a = self.archive;
        if let Some(loc) = self.catalogue.get(&r.sha).cloned() {
            let existing = a.read_meta(&loc).ok();
            let dest = format!("{}/{}", loc.box_rel, loc.file);
            let same_source = existing.as_ref().is_some_and(|m| {
                m.source_path == r.input.display && m.source_name == r.input.name()
            });
            if same_source {
                // A restart after a crash between commit and removing the source.
                batch.push_receipt(receipt(
                    &r.input,
                    Some(r.size),
                    Some(&r.sha),
                    Outcome::Archived,
                    "already archived by a run that was interrupted before it removed the source",
                    Some(dest),
                    Some(&r.sha),
                ));
                if r.input.consume {
                    batch.remove.push(r.input.path.clone());
                    batch.remove.push(r.input.dropped_sidecar());
                }
                return Ok(None);
            }
            let reason = format!("duplicate of document {} archived at {dest}", &r.sha[..12]);
            self.plan_transfer(
                &r.input,
                Some(r.size),
                Some(&r.sha),
                Outcome::Duplicate,
                "duplicate",
                &reason,
                a.quarantine.join("duplicates"),
                batch,
                None,
            );
            return Ok(None);
        }
        let (year, group, kind) = match (r.found.year, r.found.kind.as_deref()) {
            (Some(y), Some(k)) => (
                y,
                r.found
                    .group
                    .clone()
                    .unwrap_or_else(|| a.config.boxes.default_group.clone()),
                k.to_string(),
            ),
            _ => anyhow::bail!("classification incomplete"),
        };
        let kind_def = a
            .nomenclature
            .kind(&kind)
            .with_context(|| format!("kind {kind} is not in the nomenclature"))?
            .clone();
        let max = a.config.boxes.max_name_bytes;
        let group = naming::sanitize_component(&group, max);
        let box_rel = a.rel(&a.boxes.join(year.to_string()).join(&group));
        let b = self.box_for(year, &group)?;
        let kind_dir = b
            .ensure_dirs(&kind)
            .with_context(|| format!("cannot create the folder for {kind} in box {box_rel}"))?;
        let box_dir = b.dir.clone();
        let file_name = choose_name(
            &kind_dir,
            &pdf_name(&r.input.name()),
            r.found.date,
            r.found.number.as_deref(),
            &r.sha,
            max,
            &batch.reserved,
        );
        batch.reserved.insert(kind_dir.join(&file_name));
        let file_rel = format!("data/{kind}/{file_name}");
        self.intent(&Intent {
            id: r.sha.clone(),
            box_rel: box_rel.clone(),
            year,
            group: group.clone(),
            file: file_rel.clone(),
        })?;

        let org_source = a.nomenclature.organisation.source_of_acquisition;
        let pdf_facts = PdfFacts {
            version: r.info.version.clone(),
            producer: r.info.info.get("Producer").cloned(),
            creator: r.info.info.get("Creator").cloned(),
            text_layer: r.info.text_layer,
            repaired: r.info.repaired,
            encrypted: r.info.encrypted,
            active_content: r.info.active_content,
            warnings: r.info.warnings.clone(),
        };
        let has_text = !r.text.trim().is_empty();
        let meta = DocumentMeta {
            id: r.sha.clone(),
            kind: kind.clone(),
            kind_name: kind_def.name.clone(),
            year,
            group: r.found.group.as_ref().map(|_| group.clone()),
            date: r.found.date,
            number: r.found.number.clone(),
            title: r.found.title.clone().or_else(|| {
                Some(default_title(
                    &kind_def.name,
                    r.found.number.as_deref(),
                    r.found.date,
                ))
            }),
            programme: r.found.programme.clone(),
            learners: r.found.learners.clone(),
            pages: r.info.pages,
            size: r.size,
            box_path: box_rel.clone(),
            file: file_rel.clone(),
            text_file: has_text.then(|| archive::text_of(&file_rel)),
            source_name: r.input.name(),
            source_path: r.input.display.clone(),
            ingested_at: Utc::now(),
            case: CaseRef {
                index: kind_def.case_index.clone(),
                title: kind_def.case_title.clone(),
                period: kind_def.period.russian(org_source),
                basis: kind_def.basis.clone(),
                epk: kind_def.epk,
            },
            pdf: pdf_facts,
            provenance: r.found.provenance.clone(),
            provenance_detail: r.found.provenance_detail.clone(),
            events: r.found.events.clone(),
            status: Status::Active,
            status_note: None,
            original: r.converted.as_ref().map(|(_, o)| o.clone()),
            ocr: needs_ocr(&r.info),
        };
        let side_text = meta.to_toml().context("cannot serialise the sidecar")?;
        // Reserved now, so a copy of the same scan later in this batch is a duplicate.
        self.catalogue.insert(
            r.sha.clone(),
            DocLoc {
                box_rel: box_rel.clone(),
                file: file_rel.clone(),
            },
        );
        Ok(Some(Plan {
            box_dir,
            box_rel,
            file_rel,
            side_text,
            has_text,
            meta,
        }))
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
        let (kind, year) = (meta.kind.clone(), meta.year);
        let side_rel = archive::sidecar_of(&file_rel);
        let txt_rel = archive::text_of(&file_rel);
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
            b.manifest.insert(txt_rel, Entry::of(r.text.as_bytes()));
        }
        b.label.add(&meta);
        batch.touched.insert(box_rel.clone());
        let dest_rel = format!("{box_rel}/{file_rel}");
        batch.events.push(Event::new("archived").id(&r.sha).path(dest_rel.clone()).details(json!({
            "source": r.input.display, "kind": kind, "year": year, "group": meta.group, "case_index": meta.case.index,
            "pages": meta.pages, "size": meta.size, "text_layer": meta.pdf.text_layer, "repaired": meta.pdf.repaired,
        })));
        let mut notes: Vec<&str> = Vec::new();
        match r.info.text_layer {
            TextLayer::Present => {}
            TextLayer::None => notes.push("image-only: no text layer, needs OCR"),
            TextLayer::Garbage => notes.push("text layer unusable: needs OCR"),
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
        let reason = if notes.is_empty() {
            "archived".to_string()
        } else {
            format!("archived ({})", notes.join("; "))
        };
        batch.push_receipt(receipt(
            &r.input,
            Some(r.size),
            Some(&r.sha),
            Outcome::Archived,
            &reason,
            Some(dest_rel),
            Some(&r.sha),
        ));
        if let Some(o) = &meta.ocr {
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
            });
        }
        batch.indexed.push((meta, r.text.clone()));
        if r.input.consume {
            batch.remove.push(r.input.path.clone());
            batch.remove.push(r.input.dropped_sidecar());
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_review(
        &mut self,
        input: Input,
        sha: String,
        size: u64,
        reasons: Vec<String>,
        found: Classified,
        pages: u32,
        batch: &mut Batch,
    ) {
        let reason = reasons.join("; ");
        let template = review_template(
            &input,
            &found,
            &reasons,
            &self.archive.nomenclature.kind_ids(),
            pages,
        );
        let review = self.archive.review.clone();
        self.plan_transfer(
            &input,
            Some(size),
            Some(&sha),
            Outcome::Review,
            "review",
            &reason,
            review,
            batch,
            Some(template),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_refuse(
        &mut self,
        input: Input,
        sha: Option<String>,
        size: Option<u64>,
        code: &str,
        reason: &str,
        special: bool,
        batch: &mut Batch,
    ) {
        let dir = self
            .archive
            .quarantine
            .join(Utc::now().format("%Y-%m-%d").to_string());
        if special && !input.consume {
            // `ingest` never copies links or devices: the receipt is the record.
            batch.push_receipt(receipt(
                &input,
                size,
                sha.as_deref(),
                Outcome::Refused,
                reason,
                None,
                None,
            ));
            batch.events.push(
                Event::new("refused")
                    .path(input.display.clone())
                    .details(json!({"code": code, "reason": reason})),
            );
            return;
        }
        self.plan_transfer(
            &input,
            size,
            sha.as_deref(),
            Outcome::Refused,
            code,
            reason,
            dir,
            batch,
            None,
        );
    }

    /// Decides where a refused, duplicate or review file goes; it is moved (or copied, for
    /// `ingest` without `--move`) after the receipts are durable.
    #[allow(clippy::too_many_arguments)]
    fn plan_transfer(
        &mut self,
        input: &Input,
        size: Option<u64>,
        sha: Option<&str>,
        outcome: Outcome,
        code: &str,
        reason: &str,
        dir: PathBuf,
        batch: &mut Batch,
        template: Option<String>,
    ) {
        let max = self.archive.config.boxes.max_name_bytes;
        let name = naming::sanitize_file_name(&input.name(), max);
        let mut dest = fsutil::unique_path(&dir, &name);
        let mut n = 2;
        while batch.reserved.contains(&dest) {
            dest = fsutil::unique_path(&dir, &format!("{n}-{name}"));
            n += 1;
        }
        batch.reserved.insert(dest.clone());
        let dest_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut notes = vec![(
            dir.join(format!("{dest_name}.reason.txt")),
            format!(
                "file: {}\nsha256: {}\nsize: {}\noutcome: {}\nreason: {reason}\ntime: {}\n{}",
                input.display,
                sha.unwrap_or("-"),
                size.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
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
            ),
        )];
        if let Some(t) = template {
            notes.push((dir.join(format!("{dest_name}.toml")), t));
        }
        let side = input.dropped_sidecar();
        let sidecar = (fs::symlink_metadata(&side)
            .map(|m| m.is_file())
            .unwrap_or(false)
            && outcome != Outcome::Review)
            .then(|| (side, dir.join(format!("{dest_name}.dropped.toml"))));
        let dest_rel = self.archive.rel(&dest);
        let action = match outcome {
            Outcome::Review => "moved-to-review",
            Outcome::Duplicate => "duplicate",
            _ => "quarantined",
        };
        let mut ev = Event::new(action)
            .path(input.display.clone())
            .details(json!({"code": code, "reason": reason, "destination": dest_rel}));
        if let Some(s) = sha {
            ev = ev.id(s);
        }
        batch.events.push(ev);
        batch.push_receipt(receipt(
            input,
            size,
            sha,
            outcome,
            reason,
            Some(dest_rel),
            None,
        ));
        if outcome == Outcome::Review && input.consume {
            batch.remove.push(input.dropped_sidecar());
        }
        batch.transfers.push(Transfer {
            src: input.path.clone(),
            dest,
            consume: input.consume,
            notes,
            sidecar,
        });
    }

    fn commit(&mut self, mut batch: Batch) -> Result<Vec<Receipt>> {
        batch.receipts.sort_by_key(|(i, _)| *i);
        let receipts: Vec<Receipt> = std::mem::take(&mut batch.receipts)
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        self.write_boxes(&batch.touched)?;
        if self.boxes.len() > BOX_CACHE_MAX {
            // Each cached box holds its whole manifest: keep only the latest batch's, so
            // a long-running watcher does not end up with the whole archive in memory.
            self.boxes.retain(|k, _| batch.touched.contains(k));
        }
        self.audit
            .append(batch.events)
            .context("cannot append to the audit log")?;
        self.receipts
            .append(&receipts)
            .context("cannot append to the receipts")?;
        self.clear_intents()?;
        if !batch.indexed.is_empty() {
            let res = batch
                .indexed
                .iter()
                .try_for_each(|(m, t)| self.index.add(m, t))
                .and_then(|_| self.index.commit_soon());
            if let Err(e) = res {
                // The index is derived: `archivist reindex` rebuilds it from the boxes.
                tracing::error!(
                    "the search index could not be updated ({e:#}); run `archivist reindex`"
                );
            }
        }
        for t in &batch.transfers {
            if let Err(e) = carry_out(t) {
                tracing::error!(
                    "{}: could not be moved to {}: {e}; it stays where it is",
                    t.src.display(),
                    t.dest.display()
                );
            }
        }
        let mut dirs = BTreeSet::new();
        for p in &batch.remove {
            match fs::remove_file(p) {
                Ok(()) => {
                    if let Some(d) = p.parent() {
                        dirs.insert(d.to_path_buf());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(
                    "{}: archived, but the source could not be removed: {e}",
                    p.display()
                ),
            }
        }
        for d in dirs {
            let _ = fsutil::fsync_dir(&d);
        }
        Ok(receipts)
    }
}

fn carry_out(t: &Transfer) -> io::Result<()> {
    if let Some(parent) = t.dest.parent() {
        fs::create_dir_all(parent)?;
    }
    for (p, text) in &t.notes {
        fsutil::write_atomic(p, text.as_bytes(), true)?;
    }
    if t.consume {
        fsutil::move_file(&t.src, &t.dest)?;
        if let Some((s, d)) = &t.sidecar {
            fsutil::move_file(s, d)?;
        }
    } else {
        let meta = fs::symlink_metadata(&t.src)?;
        if meta.is_file() {
            let bytes = fs::read(&t.src)?;
            fsutil::write_new_atomic(&t.dest, &bytes, true)?;
        }
    }
    Ok(())
}

fn receipt(
    input: &Input,
    size: Option<u64>,
    sha: Option<&str>,
    outcome: Outcome,
    reason: &str,
    dest: Option<String>,
    id: Option<&str>,
) -> Receipt {
    Receipt {
        time: Utc::now(),
        path: input.display.clone(),
        size,
        sha256: sha.map(str::to_string),
        outcome,
        reason: reason.to_string(),
        destination: dest,
        id: id.map(str::to_string),
    }
}

fn refuse(
    input: Input,
    sha: Option<String>,
    size: Option<u64>,
    code: &'static str,
    reason: String,
) -> Prepared {
    Prepared::Refuse {
        input,
        sha,
        size,
        code,
        reason,
        special: false,
    }
}

/// The stage of the pipeline that writes nothing: it can run on another thread while
/// the previous batch is placed.
#[derive(Clone)]
struct Preparer<'a> {
    classifier: Arc<Classifier>,
    limits: PdfLimits,
    archive: &'a Archive,
}

impl Preparer<'_> {
    fn prepare_all(&self, inputs: Vec<Input>) -> Vec<Prepared> {
        let t0 = std::time::Instant::now();
        let n = inputs.len();
        let prepared = inputs
            .into_par_iter()
            .map(|i| prepare(i, &self.classifier, &self.limits, self.archive))
            .collect();
        tracing::debug!("batch of {n}: prepared in {:?}", t0.elapsed());
        prepared
    }
}

/// Everything that can be done without touching the archive: runs in parallel.
fn prepare(
    input: Input,
    classifier: &Classifier,
    limits: &PdfLimits,
    archive: &Archive,
) -> Prepared {
    let meta = match fs::symlink_metadata(&input.path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Prepared::Vanished { input },
        Err(e) => {
            return Prepared::Defer {
                input,
                reason: format!("cannot read the file's attributes: {e}"),
            };
        }
    };
    let ft = meta.file_type();
    if !ft.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_symlink() {
            "a symbolic link (links are never followed)"
        } else if ft.is_fifo() {
            "a named pipe (FIFO)"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_block_device() || ft.is_char_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Prepared::Refuse {
            input,
            sha: None,
            size: None,
            code: "not-a-file",
            reason: format!("not a regular file: {what}"),
            special: true,
        };
    }
    let size = meta.len();
    if size == 0 {
        return refuse(input, None, Some(0), "empty", "empty file (0 bytes)".into());
    }
    if size > limits.max_bytes {
        return refuse(
            input,
            None,
            Some(size),
            "over-limit",
            format!(
                "over the size limit ({size} bytes > {} bytes; see limits.max_file_mb)",
                limits.max_bytes
            ),
        );
    }
    let bytes = match read_regular(&input.path, limits.max_bytes) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Prepared::Vanished { input },
        Err(e) => {
            return Prepared::Defer {
                input,
                reason: format!("cannot read the file: {e}"),
            };
        }
    };
    let size = bytes.len() as u64;
    let sha = fsutil::sha256_hex(&bytes);
    // Images from the scanner become PDFs (original bytes embedded where the format allows).
    let mut converted = None;
    let mut bytes = bytes;
    if let Some(fmt) = crate::formats::scanimage::sniff(&bytes) {
        let il = crate::formats::scanimage::ImageLimits {
            max_pixels: limits.max_image_pixels,
            max_pages: limits.max_pages,
        };
        match crate::formats::scanimage::image_to_pdf(&bytes, &il) {
            Ok(c) => {
                let original = OriginalImage {
                    name: input.name(),
                    sha256: sha.clone(),
                    size,
                    format: format!("{fmt:?}").to_uppercase(),
                    embedding: c.embedding.clone(),
                };
                bytes = c.pdf.clone();
                converted = Some((c.pdf, original));
            }
            Err(e) => return refuse(input, Some(sha), Some(size), "image", e.to_string()),
        }
    } else if let Some(name) = crate::formats::scanimage::sniff_unsupported(&bytes) {
        return refuse(
            input,
            Some(sha),
            Some(size),
            "unsupported-format",
            format!("unsupported image format: {name} (save scans as PDF, JPEG, PNG or TIFF)"),
        );
    } else if let Some(kind) = sniff_other_format(&bytes) {
        return refuse(
            input,
            Some(sha),
            Some(size),
            "not-pdf",
            format!("not a PDF: {kind}"),
        );
    }
    let (sha, size) = match &converted {
        Some((pdf, _)) => (fsutil::sha256_hex(pdf), pdf.len() as u64),
        None => (sha, size),
    };
    let info = match pdf::inspect(&bytes, limits) {
        Ok(i) => i,
        Err(r) => {
            let code = r.code();
            return refuse(input, Some(sha), Some(size), code, r.to_string());
        }
    };
    drop(bytes);

    // A dropped sidecar (scan.pdf.toml) says what the scan is.
    let side_path = input.dropped_sidecar();
    let sidecar = match fs::symlink_metadata(&side_path) {
        Ok(m) if m.is_file() => match fs::read_to_string(&side_path)
            .map_err(|e| e.to_string())
            .and_then(|t| DropSidecar::parse(&t))
        {
            Ok(s) => Some(s),
            Err(e) => {
                let found = Classified::default();
                let reasons = vec![format!(
                    "its sidecar {} could not be read: {e}",
                    side_path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                )];
                return Prepared::Review {
                    input,
                    sha,
                    size,
                    reasons,
                    found: Box::new(found),
                    pages: info.pages,
                };
            }
        },
        _ => None,
    };
    let max = archive.config.boxes.max_name_bytes;
    if let Some(s) = &sidecar
        && let Some(g) = &s.group
        && !naming::is_safe_component(g, max)
    {
        return refuse(
            input,
            Some(sha),
            Some(size),
            "bad-sidecar",
            format!(
                "the sidecar's group \"{}\" is not a plain folder name (it contains '/', '\\', '..' or control characters)",
                g.escape_debug()
            ),
        );
    }
    let text = match info.text_layer {
        TextLayer::Garbage => String::new(),
        _ => info.page_text.join("\n\u{c}\n"),
    };
    let name = input.name();
    let found = classifier.classify(&Evidence {
        sidecar: sidecar.as_ref(),
        folders: &input.folders,
        file_name: &name,
        info: &info.info,
        text: &text,
    });
    let mut reasons = found.review_reasons();
    if let Some(k) = &found.kind
        && !classifier.is_kind(k)
    {
        reasons.push(format!(
            "kind \"{k}\" is not in the nomenclature (allowed: {})",
            archive.nomenclature.kind_ids().join(", ")
        ));
    }
    if let Some(g) = &found.group
        && !naming::is_safe_component(g, max)
    {
        reasons.push(format!(
            "the group \"{}\" is not a plain folder name",
            g.escape_debug()
        ));
    }
    if !reasons.is_empty() {
        return Prepared::Review {
            input,
            sha,
            size,
            reasons,
            found: Box::new(found),
            pages: info.pages,
        };
    }
    let text = info.page_text.join("\n\u{c}\n");
    Prepared::Ready(Box::new(Ready {
        input,
        sha,
        size,
        info,
        found,
        text,
        converted,
    }))
}

/// `scan.jpg` → `scan.pdf` (the archived file is always a PDF).
fn pdf_name(source: &str) -> String {
    match source.rsplit_once('.') {
        Some((stem, ext)) if !ext.eq_ignore_ascii_case("pdf") => format!("{stem}.pdf"),
        _ => source.to_string(),
    }
}

/// Pages without a usable text layer wait for OCR.
fn needs_ocr(info: &PdfInfo) -> Option<OcrInfo> {
    let pages: Vec<PageSource> = info
        .page_text
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let usable = !t.trim().is_empty() && info.text_layer != TextLayer::Garbage;
            PageSource {
                page: i as u32 + 1,
                source: if usable {
                    TextSource::Layer
                } else {
                    TextSource::None
                },
                confidence: None,
                rotation: None,
            }
        })
        .collect();
    pages
        .iter()
        .any(|p| p.source == TextSource::None)
        .then_some(OcrInfo {
            state: OcrState::Pending,
            at: None,
            message: None,
            pages,
        })
}

/// Reads a regular file without following links and without blocking on a FIFO swapped
/// in after the type check.
fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(io::Error::other(
            "the file grew past the size limit while being read",
        ));
    }
    Ok(buf)
}

/// Names common non-PDF formats, for a clearer refusal.
fn sniff_other_format(b: &[u8]) -> Option<&'static str> {
    let head = &b[..b.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return None;
    }
    Some(if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "JPEG image"
    } else if b.starts_with(b"\x89PNG") {
        "PNG image"
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        "TIFF image"
    } else if b.starts_with(b"BM") {
        "BMP image (unsupported format)"
    } else if b.starts_with(b"PK\x03\x04") {
        "a ZIP container (e.g. DOCX/XLSX)"
    } else if b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "an old Microsoft Office document"
    } else {
        "no %PDF- header in the first 1024 bytes"
    })
}

/// Streams the source into a temp file in the box while hashing it, checks the hash
/// against the one the file was validated with, and renames it into place (made durable
/// by the batch's syncfs).
fn copy_verified(src: &Path, dest: &Path, sha: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut input = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(src)?;
    // Not fsynced one by one: the batch's syncfs makes every copy (and its folder entry)
    // durable before any manifest names it and before any source is removed.
    let mut out = fsutil::temp_beside(dest)?;
    let mut h = Sha256::new();
    // Sized to the file (most scans are far below 1 MiB): zeroing a 1 MiB buffer per
    // scan showed up in profiles.
    let len = input.metadata().map(|m| m.len()).unwrap_or(0);
    let mut buf = vec![0u8; (len as usize).saturating_add(1).clamp(4096, 1 << 20)];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    if hex::encode(h.finalize()) != sha {
        anyhow::bail!("the file changed while it was being archived");
    }
    out.persist_noclobber(dest).map_err(|e| e.error)?;
    Ok(())
}

/// Where one ready scan goes and what is written for it (see `plan_ready`).
struct Plan {
    box_dir: PathBuf,
    box_rel: String,
    file_rel: String,
    side_text: String,
    has_text: bool,
    meta: DocumentMeta,
}

impl Plan {
    /// Writes the scan, its text and its sidecar (the sidecar last). Safe to run for many
    /// plans at once: each writes only its own new files.
    fn write(&self, r: &Ready) -> Result<()> {
        let dest = self.box_dir.join(&self.file_rel);
        let mut written = Written(Vec::new());
        match &r.converted {
            Some((pdf, _)) => fsutil::write_new_atomic(&dest, pdf, false).with_context(|| {
                format!(
                    "writing the PDF made from {} into {}",
                    r.input.display,
                    dest.display()
                )
            })?,
            None => copy_verified(&r.input.path, &dest, &r.sha)
                .with_context(|| format!("copying {} into {}", r.input.display, dest.display()))?,
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

/// A ready scan that could not be placed stays where it is, to be tried again.
fn defer_ready(r: &Ready, e: &anyhow::Error, batch: &mut Batch) {
    let reason = format!("could not be archived: {e:#}; it stays in place and will be retried");
    tracing::warn!("{}: {reason}", r.input.display);
    batch.push_receipt(receipt(
        &r.input,
        Some(r.size),
        Some(&r.sha),
        Outcome::Deferred,
        &reason,
        None,
        None,
    ));
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

/// `2024-03-15_45-у_scan_0001.pdf`; a taken name gets the id's first 8 characters.
fn choose_name(
    dir: &Path,
    source: &str,
    date: Option<chrono::NaiveDate>,
    number: Option<&str>,
    sha: &str,
    max: usize,
    reserved: &HashSet<PathBuf>,
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
    let first = format!("{base}.pdf");
    let taken = |n: &str| {
        let p = dir.join(n);
        reserved.contains(&p)
            || fs::symlink_metadata(&p).is_ok()
            || fs::symlink_metadata(dir.join(archive::sidecar_of(n))).is_ok()
    };
    if !taken(&first) {
        return first;
    }
    format!("{base}-{}.pdf", &sha[..8])
}

fn default_title(kind_name: &str, number: Option<&str>, date: Option<chrono::NaiveDate>) -> String {
    let mut t = kind_name.to_string();
    if let Some(n) = number {
        t.push_str(&format!(" № {n}"));
    }
    if let Some(d) = date {
        t.push_str(&format!(" от {}", d.format("%d.%m.%Y")));
    }
    t
}

/// A sidecar template for a scan in review: what was found is filled in, what is missing
/// is marked, and the allowed kinds are listed.
fn review_template(
    input: &Input,
    f: &Classified,
    reasons: &[String],
    kinds: &[&str],
    pages: u32,
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
    t
}

fn read_intents(path: &Path) -> Result<Vec<Intent>> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // A line cut by the crash is ignored: its placement had not started.
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
