//! What the audit log says the archive holds. Replaying `archived` and `destroyed`
//! records gives every document's last known state and place; comparing that with the
//! boxes finds what was removed (a box, a year, a document with its manifest lines) and
//! what appeared without a record. `verify` and `audit verify` both use it.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use crate::store::archive::{self, Archive};
use crate::store::audit::{self, Anchor, AuditRecord, Event};
use crate::store::boxes;
use crate::store::document::DocumentMeta;

/// A document as the log last left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Box folder relative to the root, e.g. `boxes/2024/ПК-2024-017`.
    pub box_rel: String,
    /// The scan relative to its box.
    pub file: String,
    /// The record that put it there (or destroyed it).
    pub seq: u64,
    pub destroyed: bool,
}

#[derive(Debug, Default)]
pub struct Ledger {
    pub docs: HashMap<String, Known>,
    pub records: u64,
    pub archived_records: u64,
    pub fixity_checked: u64,
}

/// `boxes/2024/G/data/kind/name.pdf` → (`boxes/2024/G`, `data/kind/name.pdf`): the file
/// inside a box is always `data/<kind>/<name>`.
pub fn split_path(path: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = path.rsplitn(4, '/').collect();
    if parts.len() != 4 || parts[2] != "data" {
        return None;
    }
    Some((
        parts[3].to_string(),
        format!("data/{}/{}", parts[1], parts[0]),
    ))
}

impl Ledger {
    pub fn feed(&mut self, r: &AuditRecord) {
        self.records += 1;
        let destroyed = match r.action.as_str() {
            "archived" => {
                self.archived_records += 1;
                false
            }
            "destroyed" => true,
            // A document moved by `amend` lives at the record's path from then on.
            "amended" => false,
            "fixity-checked" => {
                self.fixity_checked += 1;
                return;
            }
            _ => return,
        };
        let (Some(id), Some(path)) = (&r.id, &r.path) else {
            return;
        };
        if let Some((box_rel, file)) = split_path(path) {
            self.docs.insert(
                id.clone(),
                Known {
                    box_rel,
                    file,
                    seq: r.seq,
                    destroyed,
                },
            );
        }
    }

    /// Replays the whole log (records that do not verify are still read: the chain's own
    /// check reports them).
    pub fn from_log(journal: &Path) -> Result<Ledger> {
        let mut l = Ledger::default();
        audit::scan_matching(
            journal,
            &[
                "\"action\":\"archived\"",
                "\"action\":\"destroyed\"",
                "\"action\":\"amended\"",
                "\"action\":\"fixity-checked\"",
            ],
            |r| l.feed(&r),
        )
        .with_context(|| format!("cannot read the audit log in {}", journal.display()))?;
        Ok(l)
    }

    /// Documents the log expects, by box: (file, id, destroyed).
    pub fn by_box(&self) -> BTreeMap<String, Vec<(String, String, bool)>> {
        let mut m: BTreeMap<String, Vec<(String, String, bool)>> = BTreeMap::new();
        for (id, k) in &self.docs {
            m.entry(k.box_rel.clone())
                .or_default()
                .push((k.file.clone(), id.clone(), k.destroyed));
        }
        for v in m.values_mut() {
            v.sort();
        }
        m
    }

    /// The log against the boxes, as problem lines (at most a few of each kind, then a
    /// count).
    pub fn compare(&self, a: &Archive) -> Result<Vec<String>> {
        let found = Holdings::scan(a)?;
        let mut out = Problems::default();
        if self.records == 0 && !found.active.is_empty() {
            out.push(
                "summary",
                format!(
                    "the archive holds {} document(s) but the audit log has no records: the log was deleted or replaced",
                    found.active.len()
                ),
            );
        }
        let mut ids: Vec<&String> = self.docs.keys().collect();
        ids.sort();
        for id in ids {
            let k = &self.docs[id];
            let path = format!("{}/{}", k.box_rel, k.file);
            if k.destroyed {
                if !found.tombstones.contains_key(id) {
                    out.push(
                        "tombstone",
                        format!(
                            "document {} ({path}) was destroyed (record {}) but its tombstone sidecar is not in the box",
                            short(id),
                            k.seq
                        ),
                    );
                }
                continue;
            }
            match found.active.get(id) {
                Some((b, f)) if *b == k.box_rel && *f == k.file => {}
                Some((b, f)) => out.push(
                    "moved",
                    format!(
                        "document {} is in {b}/{f} but the log archived it at {path} (record {})",
                        short(id),
                        k.seq
                    ),
                ),
                None => out.push(
                    "missing",
                    format!(
                        "document {} ({path}) was archived (record {}) but is not in the archive: its scan, box or manifest entry was removed",
                        short(id),
                        k.seq
                    ),
                ),
            }
        }
        let mut extra: Vec<(&String, &(String, String))> = found
            .active
            .iter()
            .filter(|(id, _)| self.docs.get(*id).is_none_or(|k| k.destroyed))
            .collect();
        extra.sort();
        for (id, (b, f)) in extra {
            out.push(
                "unrecorded",
                format!(
                    "document {} in {b}/{f} has no `archived` record in the audit log (added outside archivist, or the log lost records)",
                    short(id)
                ),
            );
        }
        let mut forged: Vec<(&String, &(String, String))> = found
            .tombstones
            .iter()
            .filter(|(id, _)| !self.docs.get(*id).is_some_and(|k| k.destroyed))
            .collect();
        forged.sort();
        for (id, (b, f)) in forged {
            out.push(
                "forged",
                format!(
                    "document {} is marked destroyed in {b}/{f} but has no `destroyed` record in the audit log",
                    short(id)
                ),
            );
        }
        Ok(out.finish())
    }

    /// The journals the log implies: receipts once anything was archived, and at least
    /// as many fixity runs as `fixity-checked` records.
    pub fn journals(&self, a: &Archive) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let receipts = a.journal.join("receipts.jsonl");
        if self.archived_records > 0 && !receipts.exists() {
            out.push(format!(
                "{} is missing although {} document(s) were archived: the receipts were deleted",
                a.rel(&receipts),
                self.archived_records
            ));
        }
        for name in ["receipts.jsonl", "fixity.jsonl"] {
            let p = a.journal.join(name);
            let c: crate::store::jsonl::Contents<serde::de::IgnoredAny> =
                crate::store::jsonl::read(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
            if c.torn > 0 {
                out.push(format!(
                    "{}: a torn last line ({} bytes); `archivist audit repair` moves it out and keeps it",
                    a.rel(&p),
                    c.torn
                ));
            }
            if let Some(d) = c.damaged.first() {
                out.push(format!(
                    "{}: {} damaged line(s), the first at line {} ({}); `archivist audit repair` moves them out and keeps them",
                    a.rel(&p),
                    c.damaged.len(),
                    d.line,
                    d.reason
                ));
            }
            if name == "fixity.jsonl" && (c.items.len() as u64) < self.fixity_checked {
                out.push(format!(
                    "{} holds {} run(s) but the audit log records {} fixity check(s): runs were deleted",
                    a.rel(&p),
                    c.items.len(),
                    self.fixity_checked
                ));
            }
        }
        Ok(out)
    }
}

/// `archived`/`destroyed` records for documents found in the boxes without one, marked
/// adopted: used only when a loss of audit records is accepted.
pub fn adoptions(a: &Archive, journal: &Path) -> Result<Vec<Event>> {
    let led = Ledger::from_log(journal)?;
    let found = Holdings::scan(a)?;
    let mut events = Vec::new();
    let mut active: Vec<_> = found.active.iter().collect();
    active.sort();
    for (id, (b, f)) in active {
        if led.docs.get(id).is_none_or(|k| k.destroyed) {
            events.push(
                Event::new("archived")
                    .id(id)
                    .path(format!("{b}/{f}"))
                    .details(json!({"adopted": true, "reason": "found in its box when a loss of audit records was accepted"})),
            );
        }
    }
    let mut tombs: Vec<_> = found.tombstones.iter().collect();
    tombs.sort();
    for (id, (b, side)) in tombs {
        if !led.docs.get(id).is_some_and(|k| k.destroyed) {
            let scan = side.strip_suffix(".toml").unwrap_or(side).to_string() + ".pdf";
            events.push(
                Event::new("destroyed")
                    .id(id)
                    .path(format!("{b}/{scan}"))
                    .details(json!({"adopted": true, "reason": "tombstone found in its box when a loss of audit records was accepted"})),
            );
        }
    }
    Ok(events)
}

/// What the boxes hold: active documents (scan listed in the manifest) and tombstones
/// (a sidecar listed without its scan), each id → (box, file).
#[derive(Debug, Default)]
pub struct Holdings {
    pub active: HashMap<String, (String, String)>,
    pub tombstones: HashMap<String, (String, String)>,
}

impl Holdings {
    pub fn scan(a: &Archive) -> Result<Holdings> {
        let mut h = Holdings::default();
        for dir in all_box_dirs(&a.boxes) {
            let box_rel = a.rel(&dir);
            let manifest = boxes::read_manifest(&dir)
                .with_context(|| format!("cannot read the manifest of {box_rel}"))?;
            let scans: std::collections::HashSet<String> = manifest
                .keys()
                .filter(|p| p.starts_with("data/") && p.to_ascii_lowercase().ends_with(".pdf"))
                .map(|p| archive::sidecar_of(p))
                .collect();
            for (path, sha) in &manifest {
                if !path.starts_with("data/") {
                    continue;
                }
                if path.to_ascii_lowercase().ends_with(".pdf") {
                    h.active
                        .insert(sha.clone(), (box_rel.clone(), path.clone()));
                } else if path.ends_with(".toml") && !scans.contains(path) {
                    let id = fs::read_to_string(dir.join(path))
                        .ok()
                        .and_then(|t| DocumentMeta::from_toml(&t).ok())
                        .map(|m| m.id);
                    if let Some(id) = id {
                        h.tombstones.insert(id, (box_rel.clone(), path.clone()));
                    }
                }
            }
        }
        Ok(h)
    }
}

/// Every folder at box depth (`boxes/<year>/<group>/`), with or without `bagit.txt` (a
/// box whose `bagit.txt` was deleted is still a box that lost a file).
pub fn all_box_dirs(boxes_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(years) = fs::read_dir(boxes_dir) else {
        return out;
    };
    for y in years.flatten() {
        if !y.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(groups) = fs::read_dir(y.path()) else {
            continue;
        };
        for g in groups.flatten() {
            if g.file_type().is_ok_and(|t| t.is_dir()) {
                out.push(g.path());
            }
        }
    }
    out.sort();
    out
}

/// Each box's anchor (`Audit-Head` in its bag-info.txt), where it has one.
pub fn box_anchors(a: &Archive) -> Result<Vec<(String, Anchor)>> {
    let mut out = Vec::new();
    for dir in all_box_dirs(&a.boxes) {
        if let Some(an) = boxes::read_anchor(&dir)
            .with_context(|| format!("cannot read {}", dir.join(boxes::BAG_INFO).display()))?
        {
            out.push((a.rel(&dir), an));
        }
    }
    Ok(out)
}

/// Problem lines grouped by kind, at most `LIMIT` of each listed.
#[derive(Default)]
struct Problems {
    kinds: BTreeMap<&'static str, Vec<String>>,
    order: Vec<&'static str>,
}

const LIMIT: usize = 20;

impl Problems {
    fn push(&mut self, kind: &'static str, line: String) {
        if !self.kinds.contains_key(kind) {
            self.order.push(kind);
        }
        self.kinds.entry(kind).or_default().push(line);
    }

    fn finish(mut self) -> Vec<String> {
        let mut out = Vec::new();
        for k in &self.order {
            let v = self.kinds.remove(k).unwrap_or_default();
            let n = v.len();
            out.extend(v.into_iter().take(LIMIT));
            if n > LIMIT {
                out.push(format!("… and {} more like the above", n - LIMIT));
            }
        }
        out
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_paths_split_into_box_and_file() {
        assert_eq!(
            split_path("boxes/2024/ПК-2024-017/data/journal/x.pdf"),
            Some(("boxes/2024/ПК-2024-017".into(), "data/journal/x.pdf".into()))
        );
        // A group named like the payload folder still splits right.
        assert_eq!(
            split_path("boxes/2024/data/data/test/y.pdf"),
            Some(("boxes/2024/data".into(), "data/test/y.pdf".into()))
        );
        assert_eq!(split_path("quarantine/x.pdf"), None);
    }
}
