//! Fixity: re-hash every payload and tag file of the boxes against their manifests, in
//! parallel across files, streaming (memory does not grow with file size). Each run is
//! recorded in `journal/fixity.jsonl`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::archive::Archive;
use crate::store::boxes;

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

/// Verifies the boxes in scope. `progress` receives bytes hashed so far.
pub fn verify(a: &Archive, scope: &Scope, on_bytes: &(dyn Fn(u64) + Sync)) -> io::Result<Run> {
    let start = Utc::now();
    let mut dirs = a.box_dirs();
    if let Some(b) = &scope.box_filter {
        let want = a.boxes.join(b);
        dirs.retain(|d| *d == want);
        if dirs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no box {b} under {}", a.boxes.display()),
            ));
        }
    }
    let since = scope
        .since
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    let mut reports: Vec<BoxReport> = Vec::new();
    let mut jobs = Vec::new();
    let mut findings = Vec::new();
    let mut rng = fastrand::Rng::new();
    for (i, dir) in dirs.iter().enumerate() {
        let box_rel = a.rel(dir);
        reports.push(BoxReport {
            path: box_rel.clone(),
            ..Default::default()
        });
        let manifest = boxes::read_manifest(dir)?;
        let tags = read_tag_manifest(dir)?;
        let mut listed: BTreeSet<String> = manifest.keys().cloned().collect();
        listed.extend(tags.keys().cloned());
        // Untracked: on disk under data/ but absent from the manifest.
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
            if !listed.contains(&rel) {
                reports[i].untracked += 1;
                findings.push(Finding {
                    class: Class::Untracked,
                    path: format!("{box_rel}/{rel}"),
                    expected: None,
                    actual: None,
                });
            }
        }
        for (rel, expected) in manifest.into_iter().chain(tags) {
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
            jobs.push(Job {
                box_idx: i,
                rel,
                abs,
                expected,
            });
        }
    }
    let hashed = AtomicU64::new(0);
    let results: Vec<(usize, Option<Finding>)> = jobs
        .par_iter()
        .map(|j| {
            let box_rel = &reports[j.box_idx].path;
            let path = format!("{box_rel}/{}", j.rel);
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
            None => reports[i].intact += 1,
            Some(f) if f.class == Class::Missing => reports[i].missing += 1,
            Some(_) => reports[i].changed += 1,
        }
        findings.extend(f);
    }
    findings.sort_by(|a, b| (a.class, &a.path).cmp(&(b.class, &b.path)));
    let sum = |f: fn(&BoxReport) -> u64| reports.iter().map(f).sum();
    Ok(Run {
        start,
        end: Utc::now(),
        scope: scope.describe(),
        files: jobs.len() as u64,
        bytes: hashed.load(Ordering::Relaxed),
        intact: sum(|r| r.intact),
        changed: sum(|r| r.changed),
        missing: sum(|r| r.missing),
        untracked: sum(|r| r.untracked),
        boxes: reports,
        findings,
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

pub fn record(a: &Archive, run: &Run) -> io::Result<()> {
    fs::create_dir_all(&a.journal)?;
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(history_path(a))?;
    let mut line = serde_json::to_vec(run).map_err(io::Error::other)?;
    line.push(b'\n');
    f.write_all(&line)?;
    f.sync_data()
}

pub fn history(a: &Archive) -> io::Result<Vec<Run>> {
    let f = match File::open(history_path(a)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect())
}

/// Today's rolling verification, if the config asks for one and it has not run today:
/// the slice of boxes for today's day number, recorded in the history and the audit log.
pub fn scheduled(a: &Archive, actor: &crate::store::audit::Actor) -> io::Result<Option<Run>> {
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
    record(a, &run)?;
    let mut log = crate::store::audit::AuditLog::open(&a.journal, actor)?;
    let findings: Vec<_> = run.findings.iter().take(1000).collect();
    log.append_one(
        crate::store::audit::Event::new("fixity-checked").details(serde_json::json!({
            "scope": run.scope, "files": run.files, "intact": run.intact, "changed": run.changed,
            "missing": run.missing, "untracked": run.untracked, "findings": findings,
        })),
    )?;
    Ok(Some(run))
}
