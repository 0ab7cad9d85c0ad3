//! Destruction acts (акт о выделении к уничтожению документов, не подлежащих хранению):
//! drafted from the eligible cases, approved by the expert commission, then executed.
//! Each act lives in `ROOT/acts/<N>/` as `act.toml` (the working record), a printable
//! `act.pdf`, `act.csv`, `appendix.csv` and `act.md`.
//!
//! An approved act is **sealed**: the `act-approved` audit record carries the SHA-256 of
//! the act's content ([`seal`]), and execution ([`execute`]) destroys only what that
//! record sealed, re-checking paths, eligibility and holds (docs/INTEGRITY.md §3).

mod execute;
mod render;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use execute::execute;
pub use render::{ACT_COLUMNS, APPENDIX_COLUMNS, ActColumn, AppendixColumn, csv_safe, render};

use crate::records::hold::{self, Holds};
use crate::records::retention::{self, CaseKey};
use crate::search::index::SearchIndex;
use crate::store::archive::{self, Archive};
use crate::store::audit::{self, Actor, AuditLog, AuditRecord, Event};
use crate::store::boxes;
use crate::store::document::{DocumentMeta, Status};
use crate::store::fsutil;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Draft,
    Approved,
    Executed,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActDocument {
    pub id: String,
    pub box_path: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub pages: u32,
    pub size: u64,
    /// The scan's SHA-256 as the box manifest lists it.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActCase {
    pub key: String,
    pub index: String,
    pub title: String,
    pub kind: String,
    pub year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub period: String,
    pub basis: String,
    pub lapsed_on: NaiveDate,
    pub documents: Vec<ActDocument>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Approval {
    pub protocol: String,
    pub approved_by: String,
    pub approved_at: DateTime<Utc>,
    /// The act's seal ([`seal`]) as the approval's audit record carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
    /// The approval's audit record, `SEQ HASH`: printed on the act, it anchors the log
    /// outside the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Act {
    pub number: u32,
    pub date: NaiveDate,
    pub state: State,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed_at: Option<DateTime<Utc>>,
    /// Ids of the documents destroyed so far (execution is resumable).
    #[serde(default)]
    pub destroyed: Vec<String>,
    #[serde(rename = "case")]
    pub cases: Vec<ActCase>,
}

impl Act {
    pub fn document_count(&self) -> usize {
        self.cases.iter().map(|c| c.documents.len()).sum()
    }

    pub fn years(&self) -> String {
        let ys: BTreeSet<i32> = self.cases.iter().map(|c| c.year).collect();
        match (ys.first(), ys.last()) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => String::new(),
        }
    }

    /// The note that tombstones and searches show.
    pub fn destruction_note(&self) -> String {
        format!(
            "уничтожен по акту № {} от {}",
            self.number,
            self.date.format("%d.%m.%Y")
        )
    }
}

pub fn acts_dir(a: &Archive) -> PathBuf {
    a.root.join("acts")
}

pub fn act_dir(a: &Archive, n: u32) -> PathBuf {
    acts_dir(a).join(n.to_string())
}

pub fn load(a: &Archive, n: u32) -> Result<Act> {
    let p = act_dir(a, n).join("act.toml");
    let text = fs::read_to_string(&p).with_context(|| {
        format!(
            "there is no act № {n} ({} cannot be read); see `archivist disposal list`",
            p.display()
        )
    })?;
    toml::from_str(&text).with_context(|| format!("{} is not a valid act record", p.display()))
}

pub fn list(a: &Archive) -> Result<Vec<Act>> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(acts_dir(a)) else {
        return Ok(out);
    };
    for e in rd.flatten() {
        if let Some(n) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) {
            out.push(load(a, n)?);
        }
    }
    out.sort_by_key(|x| x.number);
    Ok(out)
}

fn save(a: &Archive, act: &Act) -> Result<()> {
    let dir = act_dir(a, act.number);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let text = format!(
        "# Акт № {} о выделении к уничтожению документов, не подлежащих хранению.\n# The record of the act; act.pdf, act.csv and act.md are renderings of it.\n\n{}",
        act.number,
        toml::to_string_pretty(act)?
    );
    fsutil::write_atomic(&dir.join("act.toml"), text.as_bytes(), true)
        .with_context(|| format!("cannot write the act in {}", dir.display()))
}

/// Current documents of a case, read from the archive (sidecars and manifests), using the
/// index only to find them.
fn case_documents(a: &Archive, ix: &SearchIndex, key: &CaseKey) -> Result<Vec<ActDocument>> {
    let mut out = Vec::new();
    let mut manifests: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for h in ix.case_documents(key)? {
        if h.status != Status::Active {
            continue;
        }
        let dir = a.root.join(&h.box_path);
        let side = dir.join(archive::sidecar_of(&h.file));
        let meta = DocumentMeta::from_toml(
            &fs::read_to_string(&side)
                .with_context(|| format!("cannot read {}", side.display()))?,
        )
        .with_context(|| format!("{} is not a valid sidecar", side.display()))?;
        if meta.status != Status::Active {
            continue;
        }
        let manifest = match manifests.get(&h.box_path) {
            Some(m) => m,
            None => {
                let m = boxes::read_manifest(&dir)?;
                manifests.entry(h.box_path.clone()).or_insert(m)
            }
        };
        let sha = manifest.get(&meta.file).cloned().with_context(|| {
            format!(
                "{}/{} is not in its box manifest; run `archivist verify`",
                h.box_path, meta.file
            )
        })?;
        out.push(ActDocument {
            id: meta.id,
            box_path: h.box_path.clone(),
            file: meta.file,
            date: meta.date,
            number: meta.number,
            pages: meta.pages,
            size: meta.size,
            sha256: sha,
        });
    }
    out.sort_by(|x, y| (x.date, &x.id).cmp(&(y.date, &y.id)));
    Ok(out)
}

fn holds_by_case(a: &Archive, ix: &SearchIndex, holds: &Holds) -> BTreeMap<String, Vec<u32>> {
    holds.by_case(|id| ix.case_of(id, &a.nomenclature))
}

/// Creates act № N (the next number) as a draft listing every eligible case: lapsed by
/// 1 January of the act's year, not ЭПК, not held.
pub fn draft(a: &Archive, as_of: NaiveDate, actor: &Actor) -> Result<Act> {
    let ix = SearchIndex::open(&a.index)?;
    let holds = hold::in_force(a)?;
    let cases = retention::cases(&ix, &a.nomenclature)?;
    let report = retention::report(cases, &holds_by_case(a, &ix, &holds), as_of);
    if report.eligible.is_empty() {
        bail!(
            "no case is eligible for destruction as of {as_of} (see `archivist retention --as-of {as_of}`); no act was drafted"
        );
    }
    fs::create_dir_all(acts_dir(a))?;
    // Numbers are allocated under a lock so that two drafts never share one.
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(acts_dir(a).join(".number.lock"))?;
    lock.lock()?;
    let number = next_number(a)?;
    let mut act_cases = Vec::new();
    for c in &report.eligible {
        let retention::Lapse::On(lapsed_on) = c.lapse else {
            continue;
        };
        let docs = case_documents(a, &ix, &c.case_key)?;
        if docs.is_empty() {
            continue;
        }
        act_cases.push(ActCase {
            key: c.key.clone(),
            index: c.case_key.index.clone(),
            title: c.title.clone(),
            kind: c.kind.clone(),
            year: c.case_key.year,
            group: c.case_key.group.clone(),
            period: c.period_ru.clone(),
            basis: c.basis.clone(),
            lapsed_on,
            documents: docs,
        });
    }
    let act = Act {
        number,
        date: as_of,
        state: State::Draft,
        created_at: Utc::now(),
        created_by: actor.to_string(),
        approval: None,
        executed_at: None,
        destroyed: Vec::new(),
        cases: act_cases,
    };
    let mut log = AuditLog::open_archive(a, actor)?;
    log.append_one(Event::new("act-drafted").details(json!({
        "act": number, "date": as_of, "cases": act.cases.iter().map(|c| &c.key).collect::<Vec<_>>(), "documents": act.document_count(),
        "seal": seal(&act),
    })))?;
    save(a, &act)?;
    render(a, &act)?;
    let _ = lock.unlock();
    Ok(act)
}

/// Everything that changed in an act's cases since it was drafted: new or removed
/// documents, holds, failed fixity, and cases no longer eligible.
pub fn changes(a: &Archive, act: &Act) -> Result<Vec<String>> {
    let done: HashSet<String> = act.destroyed.iter().cloned().collect();
    changes_except(a, act, &done, &hold::in_force(a)?)
}

/// [`changes`], skipping documents in `done` (destroyed by this act, or being destroyed).
fn changes_except(
    a: &Archive,
    act: &Act,
    done: &HashSet<String>,
    holds: &Holds,
) -> Result<Vec<String>> {
    let ix = SearchIndex::open(&a.index)?;
    let mut problems = Vec::new();
    let cases = retention::cases(&ix, &a.nomenclature)?;
    for c in &act.cases {
        let key: CaseKey = c.key.parse().map_err(anyhow::Error::msg)?;
        let listed: BTreeSet<&str> = c.documents.iter().map(|d| d.id.as_str()).collect();
        let now = case_documents(a, &ix, &key)?;
        let now_ids: BTreeSet<&str> = now.iter().map(|d| d.id.as_str()).collect();
        for id in now_ids.difference(&listed) {
            problems.push(format!(
                "case {}: document {} was added after the draft",
                c.key,
                &id[..12.min(id.len())]
            ));
        }
        for d in &c.documents {
            if !now_ids.contains(d.id.as_str()) && !done.contains(&d.id) {
                problems.push(format!(
                    "case {}: document {} ({}) is no longer in the case",
                    c.key,
                    &d.id[..12],
                    d.file
                ));
            }
            if done.contains(&d.id) {
                continue;
            }
            for h in holds.covering(&c.key, &d.id) {
                problems.push(format!(
                    "hold #{} («{}») covers {} in case {}",
                    h.number,
                    h.reason,
                    if h.target == c.key {
                        "the whole case".to_string()
                    } else {
                        format!("document {}", &d.id[..12])
                    },
                    c.key
                ));
            }
            let scan = a.root.join(&d.box_path).join(&d.file);
            match fsutil::sha256_file(&scan) {
                Ok((h, _)) if h == d.sha256 => {}
                Ok((h, _)) => problems.push(format!(
                    "fixity check failed for {}/{}: SHA-256 {} ≠ {} recorded",
                    d.box_path,
                    d.file,
                    &h[..12],
                    &d.sha256[..12]
                )),
                Err(e) => problems.push(format!(
                    "fixity check failed for {}/{}: {e}",
                    d.box_path, d.file
                )),
            }
        }
        match cases.iter().find(|x| x.key == c.key) {
            Some(cur) if cur.epk => problems.push(format!(
                "case {} is now marked ЭПК: it goes to expert review, not to destruction",
                c.key
            )),
            Some(cur) if !retention::eligible_in_act_of(&cur.lapse, act.date) => {
                problems.push(format!(
                    "case {} is no longer eligible as of {} (its period lapses {:?})",
                    c.key, act.date, cur.lapse
                ))
            }
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    Ok(problems)
}

/// The act's seal: SHA-256 of its canonical content (what the commission approves):
/// number, date, and each case with its documents' paths and SHA-256, cases sorted by
/// key and documents by id. State, approval and progress are not part of it.
pub fn seal(act: &Act) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        id: &'a str,
        box_path: &'a str,
        file: &'a str,
        sha256: &'a str,
    }
    #[derive(Serialize)]
    struct Case<'a> {
        key: &'a str,
        index: &'a str,
        kind: &'a str,
        year: i32,
        group: Option<&'a str>,
        lapsed_on: NaiveDate,
        documents: Vec<Doc<'a>>,
    }
    #[derive(Serialize)]
    struct Content<'a> {
        v: u32,
        act: u32,
        date: NaiveDate,
        cases: Vec<Case<'a>>,
    }
    let mut cases: Vec<Case> = act
        .cases
        .iter()
        .map(|c| {
            let mut documents: Vec<Doc> = c
                .documents
                .iter()
                .map(|d| Doc {
                    id: &d.id,
                    box_path: &d.box_path,
                    file: &d.file,
                    sha256: &d.sha256,
                })
                .collect();
            documents.sort_by(|x, y| (x.id, x.box_path, x.file).cmp(&(y.id, y.box_path, y.file)));
            Case {
                key: &c.key,
                index: &c.index,
                kind: &c.kind,
                year: c.year,
                group: c.group.as_deref(),
                lapsed_on: c.lapsed_on,
                documents,
            }
        })
        .collect();
    cases.sort_by(|x, y| x.key.cmp(y.key));
    let content = Content {
        v: 1,
        act: act.number,
        date: act.date,
        cases,
    };
    fsutil::sha256_hex(&serde_json::to_vec(&content).unwrap_or_default())
}

/// The next act number: one above any act in `acts/` and any act the audit log names
/// (a deleted act folder never frees its number).
fn next_number(a: &Archive) -> Result<u32> {
    let on_disk = fs::read_dir(acts_dir(a))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .max()
        .unwrap_or(0);
    let in_log = audit::records_of(&a.journal, &["act-drafted"])?
        .iter()
        .filter_map(act_of)
        .max()
        .unwrap_or(0);
    Ok(on_disk.max(in_log) + 1)
}

fn act_of(r: &AuditRecord) -> Option<u32> {
    r.details
        .get("act")
        .and_then(|v| v.as_u64())
        .and_then(|n| u32::try_from(n).ok())
}

/// What the audit log says about one act: its approval (after its latest draft), which
/// documents it destroyed, whether its execution started and ended.
#[derive(Debug, Default)]
pub struct ActLog {
    pub drafted: bool,
    pub approval: Option<AuditRecord>,
    pub started: bool,
    pub destroyed: HashSet<String>,
    pub executed: bool,
}

impl ActLog {
    pub fn read(a: &Archive, n: u32) -> Result<ActLog> {
        Ok(ActLog::read_all(a)?.remove(&n).unwrap_or_default())
    }

    /// Every act the log names, in one pass over it.
    pub fn read_all(a: &Archive) -> Result<BTreeMap<u32, ActLog>> {
        let mut all: BTreeMap<u32, ActLog> = BTreeMap::new();
        let records = audit::records_of(
            &a.journal,
            &[
                "act-drafted",
                "act-approved",
                "act-execution-started",
                "destroyed",
                "act-executed",
            ],
        )?;
        for r in records {
            let Some(n) = act_of(&r) else { continue };
            let l = all.entry(n).or_default();
            match r.action.as_str() {
                "act-drafted" => {
                    l.drafted = true;
                    l.approval = None;
                }
                "act-approved" => l.approval = Some(r),
                "act-execution-started" => l.started = true,
                "destroyed" => l.destroyed.extend(r.id),
                "act-executed" => l.executed = true,
                _ => {}
            }
        }
        Ok(all)
    }

    /// The seal the approval record carries.
    pub fn sealed(&self) -> Option<&str> {
        self.approval
            .as_ref()
            .and_then(|r| r.details.get("seal"))
            .and_then(|v| v.as_str())
    }
}

/// Records the commission's approval, refusing when anything in the act changed. The
/// approval's audit record carries the act's seal; `act.toml` is then saved approved.
pub fn approve(
    a: &Archive,
    n: u32,
    protocol: &str,
    approved_by: &str,
    actor: &Actor,
) -> Result<std::result::Result<Act, Vec<String>>> {
    let mut act = load(a, n)?;
    let logged = ActLog::read(a, n)?;
    match act.state {
        State::Draft => {}
        State::Approved => bail!(
            "act № {n} is already approved ({})",
            act.approval
                .as_ref()
                .map(|x| x.protocol.as_str())
                .unwrap_or("")
        ),
        State::Executed => bail!(
            "act № {n} was executed on {}",
            act.executed_at.map(|t| t.to_rfc3339()).unwrap_or_default()
        ),
    }
    if protocol.trim().is_empty() || approved_by.trim().is_empty() {
        return Err(crate::error::Invalid(
            "give the commission's protocol (--protocol \"№ 3 от 12.12.2026\") and who approved (--approved-by NAME)".into(),
        )
        .into());
    }
    let sealed = seal(&act);
    // A crash between the approval record and act.toml: finish writing what was approved.
    if let Some(r) = &logged.approval
        && logged.sealed() == Some(sealed.as_str())
    {
        return Ok(Ok(save_approved(a, act, r)?));
    }
    let mut problems = execute::confine_all(a, &act, &HashSet::new())
        .err()
        .map(|e| vec![format!("{e:#}")])
        .unwrap_or_default();
    if problems.is_empty() {
        problems = changes(a, &act)?;
    }
    let mut log = AuditLog::open_archive(a, actor)?;
    if !problems.is_empty() {
        log.append_one(
            Event::new("act-approval-refused").details(json!({"act": n, "problems": problems})),
        )?;
        return Ok(Err(problems));
    }
    let record = log.append_one(Event::new("act-approved").details(json!({
        "act": n, "protocol": protocol.trim(), "approved_by": approved_by.trim(),
        "seal": sealed, "documents": act.document_count(),
        "cases": act.cases.iter().map(|c| &c.key).collect::<Vec<_>>(),
    })))?;
    act = save_approved(a, act, &record)?;
    Ok(Ok(act))
}

/// Saves `act.toml` and its renderings as approved by `record`.
fn save_approved(a: &Archive, mut act: Act, record: &AuditRecord) -> Result<Act> {
    let d = &record.details;
    let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    act.state = State::Approved;
    act.approval = Some(Approval {
        protocol: text("protocol"),
        approved_by: text("approved_by"),
        approved_at: record.time,
        seal: Some(text("seal")),
        record: Some(format!("{} {}", record.seq, record.hash)),
    });
    save(a, &act)?;
    render(a, &act)?;
    Ok(act)
}

/// Every act against the audit log, as problem lines: an approved or executed act whose
/// content is not what its approval sealed (or that has no approval), an act marked
/// executed without its record, an act folder that is gone.
pub fn check_all(a: &Archive) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut numbers: BTreeSet<u32> = fs::read_dir(acts_dir(a))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .collect();
    let mut logs = ActLog::read_all(a)?;
    numbers.extend(logs.keys().copied());
    for n in numbers {
        let logged = logs.remove(&n).unwrap_or_default();
        let act = match load(a, n) {
            Ok(act) => act,
            Err(_) if !act_dir(a, n).exists() => {
                out.push(format!(
                    "act № {n} is in the audit log but {} is gone (acts are kept permanently)",
                    a.rel(&act_dir(a, n))
                ));
                continue;
            }
            Err(e) => {
                out.push(format!("act № {n}: {e:#}"));
                continue;
            }
        };
        if !logged.drafted {
            out.push(format!(
                "act № {n} has no `act-drafted` record in the audit log"
            ));
        }
        if act.state == State::Draft {
            continue;
        }
        match logged.sealed() {
            None => out.push(format!(
                "act № {n} is marked {:?} but the audit log holds no sealed approval for it (the approval was forged, or predates sealing)",
                act.state
            )),
            Some(s) if s != seal(&act) => out.push(format!(
                "act № {n}: act.toml differs from what the commission approved (seal {} ≠ {} recorded)",
                &seal(&act)[..12],
                &s[..12.min(s.len())]
            )),
            Some(_) => {}
        }
        if act.state == State::Executed && !logged.executed {
            out.push(format!(
                "act № {n} is marked executed but the audit log has no `act-executed` record"
            ));
        }
    }
    Ok(out)
}
