//! Fixity: re-hash every payload and tag file of the boxes against their manifests, in
//! parallel across files, streaming (memory does not grow with file size), and compare
//! the boxes with what the audit log says they hold ([`ledger`]): a deleted box, year,
//! tag file or document (even with its manifest lines) is a `missing` finding. Each run
//! is recorded in `journal/fixity.jsonl` and, with its findings, in the audit log.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::NotFound;
use crate::store::archive::Archive;
use crate::store::audit::{Actor, AuditLog, Event};
use crate::store::boxes;
use crate::store::jsonl;
use crate::store::ledger::{self, Ledger};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Changed,
    Missing,
    Untracked,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    pub class: Class,
    /// Relative to the archive root.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BoxReport {
    pub path: String,
    pub intact: u64,
    pub changed: u64,
    pub missing: u64,
    pub untracked: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub scope: String,
    pub files: u64,
    pub bytes: u64,
    pub intact: u64,
    pub changed: u64,
    pub missing: u64,
    pub untracked: u64,
    pub boxes: Vec<BoxReport>,
    pub findings: Vec<Finding>,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `YEAR/GROUP` of one box.
    pub box_filter: Option<String>,
    /// Only files modified on or after this date.
    pub since: Option<NaiveDate>,
    /// Percentage of files to check (1–100), chosen at random.
    pub sample: Option<f64>,
    /// Slice k of n: the boxes whose position modulo n is k (rolling verification).
    pub slice: Option<(u64, u64)>,
}

impl Scope {
    pub fn describe(&self) -> String {
        let mut s = Vec::new();
        s.push(
            self.box_filter
                .clone()
                .map(|b| format!("box {b}"))
                .unwrap_or_else(|| "all boxes".into()),
        );
        if let Some(d) = self.since {
            s.push(format!("since {d}"));
        }
        if let Some(p) = self.sample {
            s.push(format!("sample {p}%"));
        }
        if let Some((k, n)) = self.slice {
            s.push(format!("rolling slice {}/{n}", k + 1));
        }
        s.join(", ")
    }
}

/// Streaming SHA-256 with a fixed buffer.
pub fn hash_file(path: &Path, counter: &AtomicU64) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
    Ok(hex::encode(h.finalize()))
}

struct Job {
    box_idx: usize,
    rel: String,
    abs: PathBuf,
    expected: String,
}

/// What one run collects before hashing.
#[derive(Default)]
struct Plan {
    reports: Vec<BoxReport>,
    jobs: Vec<Job>,
    findings: Vec<Finding>,
}

impl Plan {
    fn find(&mut self, box_idx: usize, class: Class, path: String, expected: Option<String>) {
        let r = &mut self.reports[box_idx];
        match class {
            Class::Missing => r.missing += 1,
            Class::Changed => r.changed += 1,
            Class::Untracked => r.untracked += 1,
        }
        self.findings.push(Finding {
            class,
            path,
            expected,
            actual: None,
        });
    }
}

/// Verifies the boxes in scope. `on_bytes` receives the bytes hashed so far.
pub fn verify(a: &Archive, scope: &Scope, on_bytes: &(dyn Fn(u64) + Sync)) -> Result<Run> {
    let start = Utc::now();
    let led = Ledger::from_log(&a.journal)?;
    let expected = led.by_box();
    let dirs = boxes_in_scope(a, scope, &expected)?;
    let mut plan = Plan::default();
    let mut rng = fastrand::Rng::new();
    for (i, dir) in dirs.iter().enumerate() {
        let box_rel = a.rel(dir);
        plan.reports.push(BoxReport {
            path: box_rel.clone(),
            ..Default::default()
        });
        if !dir.is_dir() {
            // The whole box (or its year) is gone: every document the log put there.
            for (file, id, destroyed) in expected.get(&box_rel).into_iter().flatten() {
                let f = if *destroyed {
                    crate::store::archive::sidecar_of(file)
                } else {
                    file.clone()
                };
                plan.find(
                    i,
                    Class::Missing,
                    format!("{box_rel}/{f}"),
                    Some(id.clone()),
                );
            }
            continue;
        }
        let manifest = boxes::read_manifest(dir)
            .with_context(|| format!("cannot read the manifest of {box_rel}"))?;
        let tags = read_tag_manifest(dir)
            .with_context(|| format!("cannot read the tag manifest of {box_rel}"))?;
        check_tag_files(&mut plan, i, dir, &box_rel);
        check_history(&mut plan, i, &box_rel, &manifest, expected.get(&box_rel));
        find_untracked(&mut plan, i, dir, &box_rel, &manifest, &tags);
        plan_hashing(
            &mut plan,
            i,
            dir,
            scope,
            &mut rng,
            manifest.into_iter().chain(tags),
        );
    }
    if scope.box_filter.is_none() {
        check_journals(&mut plan, a, &led);
    }
    hash_all(plan, on_bytes, start, scope)
}

/// The box folders to verify: every folder at box depth (with or without bagit.txt) and
/// every box the log says exists, narrowed by the scope.
fn boxes_in_scope(
    a: &Archive,
    scope: &Scope,
    expected: &BTreeMap<String, Vec<(String, String, bool)>>,
) -> Result<Vec<PathBuf>> {
    let mut dirs: BTreeSet<PathBuf> = ledger::all_box_dirs(&a.boxes).into_iter().collect();
    dirs.extend(expected.keys().map(|b| a.root.join(b)));
    let mut dirs: Vec<PathBuf> = dirs.into_iter().collect();
    if let Some(b) = &scope.box_filter {
        let want = a.boxes.join(b);
        dirs.retain(|d| *d == want);
        if dirs.is_empty() {
            return Err(NotFound(format!(
                "no box {b} under {} (write YEAR/GROUP, e.g. 2024/ПК-2024-017)",
                a.boxes.display()
            ))
            .into());
        }
    }
    if let Some((k, n)) = scope.slice {
        let n = n.max(1);
        dirs = dirs
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i as u64 % n == k % n)
            .map(|(_, d)| d)
            .collect();
    }
    Ok(dirs)
}

/// A box must keep its four tag files; a box without `bagit.txt` is not even seen as a
/// bag by other tools.
fn check_tag_files(plan: &mut Plan, i: usize, dir: &Path, box_rel: &str) {
    for name in [
        "bagit.txt",
        boxes::MANIFEST,
        boxes::BAG_INFO,
        boxes::TAGMANIFEST,
    ] {
        if !dir.join(name).is_file() {
            plan.find(i, Class::Missing, format!("{box_rel}/{name}"), None);
        }
    }
}

/// Documents the log put in this box must still be listed in its manifest (a scan
/// removed together with its manifest lines is otherwise invisible); a destroyed one
/// keeps its tombstone sidecar.
fn check_history(
    plan: &mut Plan,
    i: usize,
    box_rel: &str,
    manifest: &BTreeMap<String, String>,
    expected: Option<&Vec<(String, String, bool)>>,
) {
    for (file, id, destroyed) in expected.into_iter().flatten() {
        let want = if *destroyed {
            crate::store::archive::sidecar_of(file)
        } else {
            file.clone()
        };
        if !manifest.contains_key(&want) {
            plan.find(
                i,
                Class::Missing,
                format!("{box_rel}/{want}"),
                Some(id.clone()),
            );
        }
    }
}

/// Files under data/ that the manifests do not list.
fn find_untracked(
    plan: &mut Plan,
    i: usize,
    dir: &Path,
    box_rel: &str,
    manifest: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) {
    for e in walkdir::WalkDir::new(dir.join("data"))
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        if e.file_type().is_dir() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(dir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if !manifest.contains_key(&rel) && !tags.contains_key(&rel) {
            plan.find(i, Class::Untracked, format!("{box_rel}/{rel}"), None);
        }
    }
}

fn plan_hashing(
    plan: &mut Plan,
    i: usize,
    dir: &Path,
    scope: &Scope,
    rng: &mut fastrand::Rng,
    listed: impl Iterator<Item = (String, String)>,
) {
    let since = scope
        .since
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    for (rel, expected) in listed {
        let abs = dir.join(&rel);
        if let Some(since) = since {
            let recent = fs::metadata(&abs)
                .and_then(|m| m.modified())
                .map(|t| DateTime::<Utc>::from(t) >= since)
                .unwrap_or(true);
            if !recent {
                continue;
            }
        }
        if let Some(p) = scope.sample
            && rng.f64() * 100.0 >= p
        {
            continue;
        }
        plan.jobs.push(Job {
            box_idx: i,
            rel,
            abs,
            expected,
        });
    }
}

/// The journals the log implies: receipts once anything was archived, and the fixity
/// history holding every run the log records.
fn check_journals(plan: &mut Plan, a: &Archive, led: &Ledger) {
    let receipts = a.journal.join("receipts.jsonl");
    if led.archived_records > 0 && !receipts.exists() {
        plan.findings.push(Finding {
            class: Class::Missing,
            path: a.rel(&receipts),
            expected: Some(format!(
                "receipts of {} archived document(s)",
                led.archived_records
            )),
            actual: None,
        });
    }
    if led.records == 0 && !ledger::all_box_dirs(&a.boxes).is_empty() {
        let log = crate::store::audit::log_path(&a.journal);
        plan.findings.push(Finding {
            class: Class::Missing,
            path: a.rel(&log),
            expected: Some("the records of the documents in the boxes".into()),
            actual: Some("no records".into()),
        });
    }
    let runs = history(a).map(|h| h.len() as u64).unwrap_or(0);
    if runs < led.fixity_checked {
        plan.findings.push(Finding {
            class: Class::Missing,
            path: a.rel(&history_path(a)),
            expected: Some(format!(
                "{} run(s) recorded in the audit log",
                led.fixity_checked
            )),
            actual: Some(format!("{runs} run(s)")),
        });
    }
}

/// Hashes the planned files in parallel and totals the run.
fn hash_all(
    mut plan: Plan,
    on_bytes: &(dyn Fn(u64) + Sync),
    start: DateTime<Utc>,
    scope: &Scope,
) -> Result<Run> {
    let hashed = AtomicU64::new(0);
    let reports = &plan.reports;
    let results: Vec<(usize, Option<Finding>)> = plan
        .jobs
        .par_iter()
        .map(|j| {
            let path = format!("{}/{}", reports[j.box_idx].path, j.rel);
            let r = match hash_file(&j.abs, &hashed) {
                Ok(actual) if actual == j.expected => None,
                Ok(actual) => Some(Finding {
                    class: Class::Changed,
                    path,
                    expected: Some(j.expected.clone()),
                    actual: Some(actual),
                }),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Some(Finding {
                    class: Class::Missing,
                    path,
                    expected: Some(j.expected.clone()),
                    actual: None,
                }),
                Err(e) => Some(Finding {
                    class: Class::Changed,
                    path,
                    expected: Some(j.expected.clone()),
                    actual: Some(format!("unreadable: {e}")),
                }),
            };
            on_bytes(hashed.load(Ordering::Relaxed));
            (j.box_idx, r)
        })
        .collect();
    for (i, f) in results {
        match &f {
            None => plan.reports[i].intact += 1,
            Some(f) if f.class == Class::Missing => plan.reports[i].missing += 1,
            Some(_) => plan.reports[i].changed += 1,
        }
        plan.findings.extend(f);
    }
    plan.findings
        .sort_by(|a, b| (a.class, &a.path).cmp(&(b.class, &b.path)));
    let reports = plan.reports;
    let count = |c: Class| plan.findings.iter().filter(|f| f.class == c).count() as u64;
    Ok(Run {
        start,
        end: Utc::now(),
        scope: scope.describe(),
        files: plan.jobs.len() as u64,
        bytes: hashed.load(Ordering::Relaxed),
        intact: reports.iter().map(|r| r.intact).sum(),
        changed: count(Class::Changed),
        missing: count(Class::Missing),
        untracked: count(Class::Untracked),
        boxes: reports,
        findings: plan.findings,
    })
}

fn read_tag_manifest(dir: &Path) -> io::Result<BTreeMap<String, String>> {
    let text = match fs::read_to_string(dir.join(boxes::TAGMANIFEST)) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(s, p)| (p.trim_start().to_string(), s.to_ascii_lowercase()))
        .collect())
}

pub fn history_path(a: &Archive) -> PathBuf {
    a.journal.join("fixity.jsonl")
}

/// Appends the run to the fixity history (durably, all or nothing, under the file's
/// lock: the watcher's scheduled runs and `verify` may append at once).
pub fn record(a: &Archive, run: &Run) -> Result<()> {
    fs::create_dir_all(&a.journal)
        .with_context(|| format!("cannot create {}", a.journal.display()))?;
    let p = history_path(a);
    if let Some(ev) = jsonl::cut_torn_tail(&p, &crate::store::audit::torn_dir(&a.journal))? {
        tracing::warn!(
            "{} ended in a torn line; moved to {}",
            p.display(),
            ev.saved_to
        );
    }
    let mut out =
        jsonl::Appender::open(&p).with_context(|| format!("cannot open {}", p.display()))?;
    out.file().lock()?;
    let res = out.append(std::slice::from_ref(run));
    let _ = out.file().unlock();
    res.with_context(|| format!("cannot record the run in {}", p.display()))
}

/// Records a run in the fixity history and, with its findings (the first 1,000), in the
/// audit log.
pub fn record_findings(a: &Archive, run: &Run, actor: &Actor) -> Result<()> {
    record(a, run)?;
    let mut log = AuditLog::open_archive(a, actor)?;
    let findings: Vec<_> = run.findings.iter().take(1000).collect();
    log.append_one(Event::new("fixity-checked").details(serde_json::json!({
        "scope": run.scope, "files": run.files, "intact": run.intact, "changed": run.changed,
        "missing": run.missing, "untracked": run.untracked, "findings": findings,
    })))?;
    Ok(())
}

/// Every recorded run, oldest first.
pub fn history(a: &Archive) -> io::Result<Vec<Run>> {
    Ok(jsonl::read(&history_path(a))?.items)
}

/// Today's rolling verification, if the config asks for one and it has not run today:
/// the slice of boxes for today's day number, recorded in the history and the audit log.
pub fn scheduled(a: &Archive, actor: &Actor) -> Result<Option<Run>> {
    let n = a.config.fixity.cycle_days;
    if n == 0 {
        return Ok(None);
    }
    let today = Utc::now().date_naive();
    if history(a)?
        .iter()
        .any(|r| r.start.date_naive() == today && r.scope.contains("rolling slice"))
    {
        return Ok(None);
    }
    let day = today
        .signed_duration_since(NaiveDate::default())
        .num_days()
        .max(0) as u64;
    let scope = Scope {
        slice: Some((day % n, n)),
        ..Default::default()
    };
    let run = verify(a, &scope, &|_| {})?;
    record_findings(a, &run, actor)?;
    Ok(Some(run))
}
