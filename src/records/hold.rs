//! Holds (legal or administrative): a hold on a document or a case blocks its disposal
//! until released.
//!
//! The audit log is the record of holds: `hold-added` carries the whole hold and
//! `hold-released` its release, so the holds in force are replayed from the log.
//! `ROOT/holds.toml` (open format) is their rendering, rewritten after every change and
//! checked against the log: a deleted or edited file is detected, refused at draft and
//! execution, and rebuilt by [`rebuild`]. Changes take turns under a lock
//! (`ROOT/.holds.lock`) so numbers are never issued twice and no hold is lost; the
//! record is written before the rendering (docs/INTEGRITY.md §4).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Invalid, NotFound, Refused};
use crate::store::archive::Archive;
use crate::store::audit::{self, Actor, AuditLog, AuditRecord, Event};
use crate::store::document::CaseKey;
use crate::store::lock::FileLock;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hold {
    pub number: u32,
    /// A document id (SHA-256) or a case key (`02-03/2019/ПК-2019-017`).
    pub target: String,
    pub target_kind: TargetKind,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Document,
    Case,
}

impl Hold {
    pub fn active(&self) -> bool {
        self.released_at.is_none()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Holds {
    #[serde(default, rename = "hold")]
    pub holds: Vec<Hold>,
}

/// The audit actions that make up the record of every hold.
pub const HOLD_ACTIONS: [&str; 2] = ["hold-added", "hold-released"];

/// `ROOT/holds.toml`, the rendering.
pub fn path(root: &Path) -> PathBuf {
    root.join("holds.toml")
}

fn lock_path(root: &Path) -> PathBuf {
    root.join(".holds.lock")
}

/// Takes the holds' turn (changes, and destruction checking them, run one at a time).
pub fn lock(root: &Path) -> Result<FileLock> {
    Ok(FileLock::acquire(
        &lock_path(root),
        "holds",
        Duration::from_secs(60),
    )?)
}

impl Holds {
    /// The holds in force at the archive `root` (replayed from its audit log).
    pub fn load(root: &Path) -> Result<Holds> {
        let journal = Archive::open(root, None)
            .map(|a| a.journal)
            .unwrap_or_else(|_| root.join("journal"));
        Holds::from_log(&journal)
    }

    /// `holds.toml` as it is on disk (`None` when absent).
    pub fn read_file(root: &Path) -> Result<Option<Holds>> {
        let p = path(root);
        match std::fs::read_to_string(&p) {
            Ok(t) => toml::from_str(&t).map(Some).with_context(|| {
                format!("{} is not valid; run `archivist hold rebuild`", p.display())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
        }
    }

    /// Replays the holds from the audit log: the record of every hold.
    pub fn from_log(journal: &Path) -> Result<Holds> {
        let records = audit::records_of(journal, &HOLD_ACTIONS)
            .with_context(|| format!("cannot read the audit log in {}", journal.display()))?;
        Ok(Holds::replay(&records))
    }

    /// The holds the records of [`HOLD_ACTIONS`] describe, replayed in order.
    pub fn replay(records: &[AuditRecord]) -> Holds {
        let mut holds: Vec<Hold> = Vec::new();
        for r in records {
            match r.action.as_str() {
                "hold-added" => {
                    if let Some(h) = hold_of(r) {
                        holds.retain(|x| x.number != h.number);
                        holds.push(h);
                    }
                }
                _ => {
                    let n = r.details.get("hold").and_then(|v| v.as_u64());
                    if let Some(h) = holds
                        .iter_mut()
                        .find(|h| Some(h.number as u64) == n && h.active())
                    {
                        h.released_at = Some(
                            str_of(r, "released_at")
                                .and_then(|s| s.parse().ok())
                                .unwrap_or(r.time),
                        );
                        h.released_by =
                            Some(str_of(r, "released_by").unwrap_or(&r.actor).to_string());
                        h.release_reason = Some(str_of(r, "reason").unwrap_or("").to_string());
                    }
                }
            }
        }
        holds.sort_by_key(|h| h.number);
        Holds { holds }
    }

    /// Writes the rendering `holds.toml`.
    pub fn save(&self, root: &Path) -> Result<()> {
        let text = format!(
            "# Holds on documents and cases: while a hold is active, nothing it covers is destroyed.\n# Managed by `archivist hold`. The audit log is the record of every hold; this file is\n# its rendering, checked against it (`archivist hold rebuild` rewrites it from the log).\n\n{}",
            toml::to_string_pretty(self)?
        );
        crate::store::fsutil::write_atomic(&path(root), text.as_bytes(), true)
            .with_context(|| format!("cannot write {}", path(root).display()))
    }

    pub fn active(&self) -> impl Iterator<Item = &Hold> {
        self.holds.iter().filter(|h| h.active())
    }

    fn next_number(&self) -> u32 {
        self.holds.iter().map(|h| h.number).max().unwrap_or(0) + 1
    }

    /// Adds a hold to this value (the caller holds [`lock`], records and saves it).
    pub fn add(
        &mut self,
        target: String,
        target_kind: TargetKind,
        reason: String,
        by: String,
    ) -> Hold {
        let h = Hold {
            number: self.next_number(),
            target,
            target_kind,
            reason,
            created_at: Utc::now(),
            created_by: by,
            released_at: None,
            released_by: None,
            release_reason: None,
        };
        self.holds.push(h.clone());
        h
    }

    /// Releases the active holds matching a hold number or a target (the caller holds
    /// [`lock`], records and saves it).
    pub fn release(&mut self, what: &str, reason: String, by: String) -> Vec<Hold> {
        let n: Option<u32> = what.trim().trim_start_matches('#').parse().ok();
        let mut out = Vec::new();
        for h in self.holds.iter_mut().filter(|h| h.active()) {
            if Some(h.number) == n || h.target == what.trim() {
                h.released_at = Some(Utc::now());
                h.released_by = Some(by.clone());
                h.release_reason = Some(reason.clone());
                out.push(h.clone());
            }
        }
        out
    }

    /// Case key → numbers of the active holds covering it. `case_of` maps a document id
    /// to its case (from the index).
    pub fn by_case(&self, case_of: impl Fn(&str) -> Option<CaseKey>) -> BTreeMap<String, Vec<u32>> {
        let mut m: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for h in self.active() {
            let key = match h.target_kind {
                TargetKind::Case => Some(h.target.clone()),
                TargetKind::Document => case_of(&h.target).map(|k| k.to_string()),
            };
            if let Some(k) = key {
                m.entry(k).or_default().push(h.number);
            }
        }
        m
    }

    /// Active holds that cover a document of a case.
    pub fn covering(&self, case: &str, doc: &str) -> Vec<&Hold> {
        self.active()
            .filter(|h| h.target == case || h.target == doc)
            .collect()
    }

    /// How `other` (the file) differs from these holds (the log), one line each. Times
    /// are not compared (the file and the record are written a moment apart).
    pub fn differences(&self, other: &Holds) -> Vec<String> {
        let key = |h: &Hold| {
            (
                h.target.clone(),
                h.target_kind,
                h.reason.clone(),
                h.active(),
            )
        };
        let mut out = Vec::new();
        for h in &self.holds {
            match other.holds.iter().find(|o| o.number == h.number) {
                None if h.active() => out.push(format!(
                    "hold #{} on {} («{}») is in force but not in holds.toml",
                    h.number, h.target, h.reason
                )),
                None => out.push(format!(
                    "released hold #{} on {} is not in holds.toml",
                    h.number, h.target
                )),
                Some(o) if key(o) != key(h) => out.push(format!(
                    "hold #{} differs in holds.toml: the audit log has {} «{}» ({}), the file {} «{}» ({})",
                    h.number,
                    h.target,
                    h.reason,
                    if h.active() { "active" } else { "released" },
                    o.target,
                    o.reason,
                    if o.active() { "active" } else { "released" },
                )),
                Some(_) => {}
            }
        }
        for o in &other.holds {
            if !self.holds.iter().any(|h| h.number == o.number) {
                out.push(format!(
                    "holds.toml has hold #{} on {} that the audit log never recorded",
                    o.number, o.target
                ));
            }
        }
        out
    }
}

fn str_of<'a>(r: &'a AuditRecord, key: &str) -> Option<&'a str> {
    r.details.get(key).and_then(|v| v.as_str())
}

/// A hold from its `hold-added` record (records written before holds carried everything
/// take the record's time and actor).
fn hold_of(r: &AuditRecord) -> Option<Hold> {
    let number = r.details.get("hold")?.as_u64()? as u32;
    let target = str_of(r, "target")?.to_string();
    let target_kind = match str_of(r, "target_kind") {
        Some("case") => TargetKind::Case,
        Some("document") => TargetKind::Document,
        _ if target.contains('/') => TargetKind::Case,
        _ => TargetKind::Document,
    };
    Some(Hold {
        number,
        target,
        target_kind,
        reason: str_of(r, "reason").unwrap_or("").to_string(),
        created_at: str_of(r, "created_at")
            .and_then(|s| s.parse().ok())
            .unwrap_or(r.time),
        created_by: str_of(r, "created_by").unwrap_or(&r.actor).to_string(),
        released_at: None,
        released_by: None,
        release_reason: None,
    })
}

/// Checks a hold's target: a document in the archive (its id or an unambiguous prefix
/// of at least 6 characters), or a case `INDEX/YEAR[/GROUP]` whose index is in the
/// nomenclature.
pub fn resolve_target(a: &Archive, target: &str) -> Result<(String, TargetKind)> {
    let target = target.trim();
    if target.contains('/') {
        let k: CaseKey = target.parse().map_err(Invalid)?;
        if !a.nomenclature.kinds.iter().any(|x| x.case_index == k.index) {
            return Err(Invalid(format!(
                "no case index {} in the nomenclature (see nomenclature.toml); write INDEX/YEAR[/GROUP], e.g. 02-03/2019/ПК-2019-017",
                k.index
            ))
            .into());
        }
        if !(1900..=2200).contains(&k.year) {
            return Err(Invalid(format!("{target}: the year {} is out of range", k.year)).into());
        }
        if k.group
            .as_deref()
            .is_some_and(|g| g.is_empty() || g.chars().any(char::is_control))
        {
            return Err(Invalid(format!(
                "{target:?}: the group is empty or has control characters"
            ))
            .into());
        }
        return Ok((k.to_string(), TargetKind::Case));
    }
    match a.find(target)? {
        Some((id, _)) => Ok((id, TargetKind::Document)),
        None => Err(NotFound(format!(
            "no document {target} in the archive (ids are the scan's SHA-256, at least 6 characters), and not a case INDEX/YEAR[/GROUP]"
        ))
        .into()),
    }
}

/// Places a hold, recorded in the audit log, then rendered into `holds.toml`.
pub fn add(a: &Archive, target: &str, reason: &str, actor: &Actor) -> Result<Hold> {
    if reason.trim().is_empty() {
        return Err(Invalid("give the reason for the hold (--reason TEXT)".into()).into());
    }
    let (target, kind) = resolve_target(a, target)?;
    let _turn = lock(&a.root)?;
    let mut holds = Holds::from_log(&a.journal)?;
    let h = holds.add(target, kind, reason.trim().to_string(), actor.to_string());
    let mut ev = Event::new("hold-added").details(json!({
        "hold": h.number, "target": h.target, "target_kind": h.target_kind, "reason": h.reason,
        "created_at": h.created_at, "created_by": h.created_by,
    }));
    if kind == TargetKind::Document {
        ev = ev.id(&h.target);
    }
    AuditLog::open_archive(a, actor)?
        .append_one(ev)
        .context("the hold was NOT placed")?;
    holds.save(&a.root).with_context(|| {
        format!(
            "hold #{} is in force (it is in the audit log), but its rendering could not be written: run `archivist hold rebuild`",
            h.number
        )
    })?;
    Ok(h)
}

/// Releases the active holds matching a number (`3`, `#3`) or a target.
pub fn release(a: &Archive, what: &str, reason: &str, actor: &Actor) -> Result<Vec<Hold>> {
    let _turn = lock(&a.root)?;
    let mut holds = Holds::from_log(&a.journal)?;
    let released = holds.release(what, reason.trim().to_string(), actor.to_string());
    if released.is_empty() {
        return Err(NotFound(format!(
            "no active hold matches {what} (see `archivist hold list`)"
        ))
        .into());
    }
    let events = released
        .iter()
        .map(|h| {
            let ev = Event::new("hold-released").details(json!({
                "hold": h.number, "target": h.target, "reason": reason.trim(),
                "released_at": h.released_at, "released_by": h.released_by,
            }));
            // Like the placing record: a document's own history shows its hold lifted.
            if h.target_kind == TargetKind::Document {
                ev.id(&h.target)
            } else {
                ev
            }
        })
        .collect();
    AuditLog::open_archive(a, actor)?
        .append(events)
        .context("the hold was NOT released")?;
    holds.save(&a.root).with_context(|| {
        "the release is recorded in the audit log, but holds.toml could not be written: run `archivist hold rebuild`"
    })?;
    Ok(released)
}

/// The holds (active ones, or all with `all`), from the audit log.
pub fn list(a: &Archive, all: bool) -> Result<Vec<Hold>> {
    Ok(Holds::from_log(&a.journal)?
        .holds
        .into_iter()
        .filter(|h| all || h.active())
        .collect())
}

/// How `holds.toml` disagrees with the audit log (empty when it agrees).
pub fn check(a: &Archive) -> Result<Vec<String>> {
    let log = Holds::from_log(&a.journal)?;
    match Holds::read_file(&a.root) {
        Ok(Some(file)) => Ok(log.differences(&file)),
        Ok(None) if log.holds.is_empty() => Ok(Vec::new()),
        Ok(None) => Ok(vec![format!(
            "holds.toml is missing, but the audit log records {} hold(s), {} in force: run `archivist hold rebuild`",
            log.holds.len(),
            log.active().count()
        )]),
        Err(e) => Ok(vec![format!("{e:#}")]),
    }
}

/// The holds in force, refusing when `holds.toml` disagrees with the log (something
/// changed the holds outside archivist): used before anything is destroyed.
pub fn in_force(a: &Archive) -> Result<Holds> {
    let problems = check(a)?;
    if !problems.is_empty() {
        return Err(Refused(format!(
            "holds.toml does not match the holds recorded in the audit log ({}); nothing was destroyed. Check who changed it, then run `archivist hold rebuild`",
            problems.join("; ")
        ))
        .into());
    }
    Holds::from_log(&a.journal)
}

/// What [`rebuild`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Rebuilt {
    pub holds: usize,
    pub active: usize,
    /// How the file differed from the log before.
    pub differences: Vec<String>,
}

/// Rewrites `holds.toml` from the audit log, and records that it did.
pub fn rebuild(a: &Archive, actor: &Actor) -> Result<Rebuilt> {
    let _turn = lock(&a.root)?;
    let differences = check(a)?;
    let holds = Holds::from_log(&a.journal)?;
    let out = Rebuilt {
        holds: holds.holds.len(),
        active: holds.active().count(),
        differences,
    };
    AuditLog::open_archive(a, actor)?.append_one(Event::new("holds-rebuilt").details(json!({
        "holds": out.holds, "active": out.active, "differences": out.differences,
    })))?;
    holds.save(&a.root)?;
    Ok(out)
}
