//! Carrying out an approved act, in named steps (docs/INTEGRITY.md §3): the approval is
//! found in a verified audit chain and its seal matches the act; every path is confined
//! to the archive; eligibility and holds are re-checked; then, box by box, tombstones
//! replace sidecars, scans go, the box is rewritten and the destruction audited.
//! Resumable: documents the log records as destroyed by the act are done, and a
//! document whose tombstone a crash left unrecorded is finished, never checked again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use serde_json::json;

use super::{Act, ActDocument, ActLog, State, changes_except, load, render, save, seal};
use crate::error::Refused;
use crate::records::hold::{self, Holds};
use crate::records::retention;
use crate::search::index::IndexSink;
use crate::store::archive::{self, Archive};
use crate::store::audit::{self, Actor, Anchor, AuditLog, Event};
use crate::store::boxes::{self, ArchiveBox};
use crate::store::document::{DocumentMeta, Status};
use crate::store::fsutil;

/// One listed document with its paths resolved inside the archive.
pub(super) struct Target {
    /// The case key it is listed under.
    case: String,
    doc: ActDocument,
    box_rel: String,
    dir: PathBuf,
    scan: PathBuf,
    sidecar: PathBuf,
    text: PathBuf,
    /// Its sidecar as it is now.
    meta: DocumentMeta,
    /// A crash left its tombstone written but its destruction not yet recorded.
    in_progress: bool,
}

/// Carries out an approved act (the caller holds the writer lock). Refuses, before
/// anything is destroyed, an act whose content is not what its approval sealed, a path
/// outside the archive, a case no longer eligible, a hold.
pub fn execute(a: &Archive, n: u32, actor: &Actor) -> Result<Act> {
    recover(a);
    let act = load(a, n)?;
    let logged = ActLog::read(a, n)?;
    if logged.executed || act.state == State::Executed {
        return already_executed(a, act, &logged);
    }
    check_approval(a, &act, &logged)?;
    let targets = confine_all(a, &act, &logged.destroyed)?;
    let mut done = logged.destroyed.clone();
    done.extend(
        targets
            .iter()
            .filter(|t| t.in_progress)
            .map(|t| t.doc.id.clone()),
    );
    check_eligible(a, &act, &targets, &done)?;
    run(a, act, targets, &logged, actor)
}

/// Removes temporary files a crash left in the boxes (a half-written tombstone makes a
/// bag invalid): every writer does this when it starts.
fn recover(a: &Archive) {
    let n = fsutil::clean_temp_files(&a.boxes);
    if n > 0 {
        tracing::warn!("removed {n} temporary file(s) left in the boxes by an interrupted run");
    }
}

/// An act the log records as executed is done (act.toml is brought up to date if a crash
/// came between the record and the file); one marked executed without that record was
/// edited by hand.
fn already_executed(a: &Archive, mut act: Act, logged: &ActLog) -> Result<Act> {
    if !logged.executed {
        return Err(Refused(format!(
            "act № {} is marked executed in act.toml, but the audit log has no record of its execution: the file was edited. Nothing was destroyed",
            act.number
        ))
        .into());
    }
    if act.state != State::Executed {
        act.state = State::Executed;
        act.executed_at = Some(Utc::now());
        save(a, &act)?;
        render(a, &act)?;
    }
    Ok(act)
}

fn refuse(n: u32, why: impl std::fmt::Display) -> anyhow::Error {
    Refused(format!(
        "act № {n} cannot be executed: {why}. Nothing was destroyed"
    ))
    .into()
}

/// The act was approved by `disposal approve` (its record is in a verified chain) and
/// its content is what that record sealed.
fn check_approval(a: &Archive, act: &Act, logged: &ActLog) -> Result<()> {
    let n = act.number;
    if act.state != State::Approved {
        return Err(Refused(format!(
            "act № {n} is not approved: the expert commission must approve it first (`archivist disposal approve {n} --protocol … --approved-by …`)"
        ))
        .into());
    }
    let chain = audit::verify(&a.journal)?;
    if !chain.ok {
        return Err(refuse(
            n,
            format!(
                "the audit log does not verify ({}), so its approval cannot be trusted; see `archivist audit verify`",
                chain.problems.join("; ")
            ),
        ));
    }
    let Some(recorded) = logged.sealed() else {
        return Err(refuse(
            n,
            if logged.approval.is_some() {
                "it was approved before acts were sealed; draft and approve a new act".to_string()
            } else {
                "the audit log has no approval of it (an [approval] in act.toml that `disposal approve` did not record is not an approval)".to_string()
            },
        ));
    };
    let now = seal(act);
    if now != recorded {
        return Err(refuse(
            n,
            format!(
                "act.toml is not what the commission approved (its seal is {}, the approval sealed {}): documents, paths or hashes were changed after approval",
                &now[..12],
                &recorded[..12.min(recorded.len())]
            ),
        ));
    }
    Ok(())
}

/// Every listed document's paths, confined to the archive's boxes: relative, no `..`,
/// `.` or root, under `boxes/<year>/<group>/data/<kind>/`, no symlink leading out, the
/// scan listed in its manifest with the act's SHA-256 and its sidecar naming the same id
/// (or already a tombstone of this act, when a crash interrupted it). Documents in
/// `destroyed` are done and skipped.
pub(super) fn confine_all(
    a: &Archive,
    act: &Act,
    destroyed: &HashSet<String>,
) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut manifests: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let boxes_real = fs::canonicalize(&a.boxes)
        .with_context(|| format!("cannot resolve {}", a.boxes.display()))?;
    for c in &act.cases {
        for d in &c.documents {
            if destroyed.contains(&d.id) {
                continue;
            }
            match confine(a, &boxes_real, act, &c.key, d, &mut manifests) {
                Ok(t) => out.push(t),
                Err(e) => problems.push(format!("{e:#}")),
            }
        }
    }
    if !problems.is_empty() {
        return Err(refuse(act.number, problems.join("; ")));
    }
    Ok(out)
}

/// A path from act.toml, relative to the root, with normal components only.
fn plain_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.contains('\\')
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

fn confine(
    a: &Archive,
    boxes_real: &Path,
    act: &Act,
    case: &str,
    d: &ActDocument,
    manifests: &mut HashMap<String, BTreeMap<String, String>>,
) -> Result<Target> {
    let what = format!(
        "document {} ({}/{})",
        &d.id[..12.min(d.id.len())],
        d.box_path,
        d.file
    );
    anyhow::ensure!(
        plain_relative(&d.box_path) && plain_relative(&d.file),
        "{what}: its path is not a plain relative path inside the archive"
    );
    let dir = a.root.join(&d.box_path);
    let in_boxes = dir
        .strip_prefix(&a.boxes)
        .map(|r| r.components().count() == 2)
        .unwrap_or(false);
    let file_parts: Vec<&str> = d.file.split('/').collect();
    anyhow::ensure!(
        in_boxes
            && file_parts.len() == 3
            && file_parts[0] == "data"
            && d.file.to_ascii_lowercase().ends_with(".pdf"),
        "{what}: not a scan inside a box (boxes/<year>/<group>/data/<kind>/<name>.pdf)"
    );
    // Symlinks: the folders must resolve inside the boxes, the files must not be links.
    let kind_dir = dir.join("data").join(file_parts[1]);
    let real = fs::canonicalize(&kind_dir)
        .with_context(|| format!("{what}: its folder cannot be resolved"))?;
    anyhow::ensure!(
        real.starts_with(boxes_real)
            && real
                .strip_prefix(boxes_real)
                .map(|r| r.components().count() == 4)
                .unwrap_or(false),
        "{what}: its folder leads outside the boxes (a symbolic link)"
    );
    let scan = dir.join(&d.file);
    let sidecar = dir.join(archive::sidecar_of(&d.file));
    let text = dir.join(archive::text_of(&d.file));
    for p in [&scan, &sidecar, &text] {
        if let Ok(m) = fs::symlink_metadata(p) {
            anyhow::ensure!(m.is_file(), "{}: not a regular file", p.display());
        }
    }
    anyhow::ensure!(d.id == d.sha256, "{what}: its id is not its scan's SHA-256");
    let meta = DocumentMeta::from_toml(
        &fs::read_to_string(&sidecar)
            .with_context(|| format!("cannot read {}", sidecar.display()))?,
    )
    .with_context(|| format!("{} is not a valid sidecar", sidecar.display()))?;
    anyhow::ensure!(
        meta.id == d.id,
        "{} names document {} but the act lists {}",
        sidecar.display(),
        meta.id,
        d.id
    );
    if !manifests.contains_key(&d.box_path) {
        manifests.insert(d.box_path.clone(), boxes::read_manifest(&dir)?);
    }
    let listed = manifests
        .get(&d.box_path)
        .and_then(|m| m.get(&d.file))
        .is_some_and(|sha| *sha == d.sha256);
    let in_progress = meta.status == Status::Destroyed
        && meta.status_note.as_deref() == Some(act.destruction_note().as_str());
    anyhow::ensure!(
        (listed && meta.status == Status::Active) || in_progress,
        "{what}: not in its box manifest with the act's SHA-256 (or not an active document)"
    );
    Ok(Target {
        case: case.to_string(),
        doc: d.clone(),
        box_rel: d.box_path.clone(),
        dir,
        scan,
        sidecar,
        text,
        meta,
        in_progress,
    })
}

/// Each case is still eligible, judged from the sidecars and the current nomenclature
/// as of the earlier of the act's date and today (never before a period ends), and
/// nothing changed in the archive since approval (documents added to a case, fixity,
/// holds: [`changes_except`]).
fn check_eligible(
    a: &Archive,
    act: &Act,
    targets: &[Target],
    done: &HashSet<String>,
) -> Result<()> {
    let today = chrono::Local::now().date_naive();
    let when = act.date.min(today);
    let mut problems = Vec::new();
    for c in &act.cases {
        let docs: Vec<&Target> = targets
            .iter()
            .filter(|t| t.case == c.key && !t.in_progress)
            .collect();
        if docs.is_empty() {
            continue;
        }
        let Some(kind) = a.nomenclature.kind(&c.kind) else {
            problems.push(format!(
                "case {}: kind {} is no longer in the nomenclature",
                c.key, c.kind
            ));
            continue;
        };
        if kind.case_index != c.index {
            problems.push(format!(
                "case {}: the nomenclature now files {} under {}",
                c.key, c.kind, kind.case_index
            ));
        }
        if kind.epk {
            problems.push(format!(
                "case {} is marked ЭПК: it goes to expert review, not to destruction",
                c.key
            ));
        }
        for t in &docs {
            let m = &t.meta;
            if m.kind != c.kind || m.year != c.year || (c.group.is_some() && m.group != c.group) {
                problems.push(format!(
                    "document {} is a {} of {} ({}), not of case {}",
                    &m.id[..12.min(m.id.len())],
                    m.kind,
                    m.year,
                    m.group.as_deref().unwrap_or("—"),
                    c.key
                ));
            }
        }
        let closing = docs.iter().map(|t| t.meta.year).max().unwrap_or(c.year);
        let event = match &kind.period {
            crate::config::nomenclature::Period::YearsAfterEvent { event, .. } => {
                let dates: Vec<Option<NaiveDate>> = docs
                    .iter()
                    .map(|t| t.meta.events.get(event).copied())
                    .collect();
                if dates.iter().all(Option::is_some) {
                    dates.into_iter().flatten().max()
                } else {
                    None
                }
            }
            _ => None,
        };
        let lapse = retention::lapse(&kind.period, closing, event);
        if !retention::eligible_in_act_of(&lapse, when) {
            problems.push(format!(
                "case {} is not eligible for destruction as of {} (its period: {}; lapse {:?})",
                c.key, when, kind.period, lapse
            ));
        }
    }
    if problems.is_empty() {
        problems = changes_except(a, act, done, &hold::in_force(a)?)?;
    }
    if !problems.is_empty() {
        return Err(refuse(act.number, problems.join("; ")));
    }
    Ok(())
}

/// No active hold covers a document about to be destroyed (holds from the audit log;
/// `holds.toml` must agree with it). Called under the holds' lock, just before a box's
/// documents go.
fn check_no_holds(a: &Archive, act: &Act, targets: &[&Target]) -> Result<()> {
    let holds: Holds = hold::in_force(a)?;
    let blocking: Vec<String> = targets
        .iter()
        .filter(|t| !t.in_progress)
        .flat_map(|t| {
            holds
                .covering(&t.case, &t.doc.id)
                .into_iter()
                .map(move |h| {
                    format!(
                        "hold #{} («{}») on {} in case {}",
                        h.number,
                        h.reason,
                        &t.doc.id[..12],
                        t.case
                    )
                })
        })
        .collect();
    if !blocking.is_empty() {
        return Err(refuse(
            act.number,
            format!("{}; release them or draft a new act", blocking.join(", ")),
        ));
    }
    Ok(())
}

/// Destroys box by box, each under the holds' lock, then finishes the act.
fn run(
    a: &Archive,
    mut act: Act,
    targets: Vec<Target>,
    logged: &ActLog,
    actor: &Actor,
) -> Result<Act> {
    let n = act.number;
    let mut log = AuditLog::open_archive(a, actor)?;
    if !logged.started && logged.destroyed.is_empty() {
        log.append_one(Event::new("act-execution-started").details(json!({"act": n})))?;
    }
    let mut by_box: BTreeMap<String, Vec<&Target>> = BTreeMap::new();
    for t in &targets {
        by_box.entry(t.box_rel.clone()).or_default().push(t);
    }
    let mut sink = crate::search::sink_for(a)?;
    let mut count = act.destroyed.len();
    for (box_rel, ts) in by_box {
        let _turn = hold::lock(&a.root)?;
        check_no_holds(a, &act, &ts)?;
        let tombstones = destroy(&act, &ts, &mut count)?;
        finish_box(a, &ts[0].dir, log.head())?;
        let events = ts
            .iter()
            .filter(|t| !logged.destroyed.contains(&t.doc.id))
            .map(|t| {
                Event::new("destroyed")
                    .id(&t.doc.id)
                    .path(format!("{box_rel}/{}", t.doc.file))
                    .details(
                        json!({"act": n, "sha256": t.doc.sha256, "note": act.destruction_note()}),
                    )
            })
            .collect();
        log.append(events)?;
        for t in &tombstones {
            if !act.destroyed.contains(&t.id) {
                act.destroyed.push(t.id.clone());
            }
            sink.add(t, "")?;
        }
        save(a, &act)?;
    }
    sink.commit()?;
    finish(a, act, &mut log, logged)
}

/// For each document: the tombstone first (after a crash it tells what was being
/// destroyed), then the scan and its text go.
fn destroy(act: &Act, targets: &[&Target], count: &mut usize) -> Result<Vec<DocumentMeta>> {
    let note = act.destruction_note();
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let mut meta = t.meta.clone();
        if meta.status != Status::Destroyed {
            meta.status = Status::Destroyed;
            meta.status_note = Some(note.clone());
            meta.events
                .insert("destroyed".into(), Utc::now().date_naive());
            meta.text_file = None;
            fsutil::write_atomic(&t.sidecar, meta.to_toml()?.as_bytes(), true)
                .with_context(|| format!("cannot write the tombstone {}", t.sidecar.display()))?;
        }
        for p in [&t.scan, &t.text] {
            match fs::remove_file(p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove {}", p.display())),
            }
        }
        out.push(meta);
        *count += 1;
        crash_point(*count);
    }
    if let Some(t) = targets.first()
        && let Some(data) = t.scan.parent()
    {
        fsutil::fsync_dir(data).ok();
    }
    Ok(out)
}

/// Rewrites a box's manifest from the files present (entries whose file is gone are
/// dropped, sidecars re-hashed) and its tag files, with the audit log's head as anchor.
/// Only used after destruction, where every change is one this module made.
fn finish_box(a: &Archive, dir: &Path, anchor: Anchor) -> Result<()> {
    let rel = a.rel(dir);
    let parts: Vec<&str> = rel.rsplitn(3, '/').collect();
    let (group, year) = (
        parts.first().copied().unwrap_or(""),
        parts.get(1).and_then(|y| y.parse().ok()).unwrap_or(0),
    );
    let mut b = ArchiveBox::open(&a.boxes, &a.root, year, group)?;
    let paths: Vec<String> = b.manifest.keys().cloned().collect();
    for p in paths {
        let abs = dir.join(&p);
        if !abs.exists() {
            b.manifest.remove(&p);
        } else if p.ends_with(".toml") {
            let (sha, size) = fsutil::sha256_file(&abs)?;
            b.manifest.insert(p, boxes::Entry { sha256: sha, size });
        }
    }
    b.anchor = Some(anchor);
    b.write_tag_files(&a.nomenclature.organisation, true)
        .with_context(|| format!("cannot rewrite the manifests of {rel}"))
}

/// Records the execution, then marks the act executed.
fn finish(a: &Archive, mut act: Act, log: &mut AuditLog, logged: &ActLog) -> Result<Act> {
    if !logged.executed {
        log.append_one(
            Event::new("act-executed")
                .details(json!({"act": act.number, "documents": act.destroyed.len()})),
        )?;
    }
    act.state = State::Executed;
    act.executed_at = Some(Utc::now());
    save(a, &act)?;
    render(a, &act)?;
    Ok(act)
}

/// Test hook: `ARCHIVIST_CRASH_AFTER_DESTROYED=N` aborts the process after the N-th
/// document, to prove that execution resumes after a crash. Compiled only into debug
/// builds (the tests) and with the `fault-injection` feature, never into a release build.
#[cfg(any(debug_assertions, feature = "fault-injection"))]
fn crash_point(destroyed: usize) {
    let at: Option<usize> = std::env::var("ARCHIVIST_CRASH_AFTER_DESTROYED")
        .ok()
        .and_then(|v| v.parse().ok());
    if at == Some(destroyed) {
        std::process::abort();
    }
}

#[cfg(not(any(debug_assertions, feature = "fault-injection")))]
fn crash_point(_destroyed: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_pass() {
        assert!(plain_relative("boxes/2019/ПК-2019-017"));
        assert!(plain_relative("data/journal/x.pdf"));
        for bad in [
            "",
            "/etc",
            "../x",
            "boxes/../../x",
            "./boxes",
            "boxes//x/..",
            "a\\b",
        ] {
            assert!(!plain_relative(bad), "{bad}");
        }
    }
}
