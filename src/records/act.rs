//! Destruction acts (акт о выделении к уничтожению документов, не подлежащих хранению):
//! drafted from the eligible cases, approved by the expert commission, then executed.
//! Each act lives in `ROOT/acts/<N>/` as `act.toml` (the record), a printable `act.pdf`,
//! `act.csv`, `appendix.csv` and `act.md`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::records::actpdf::{self, ActPrint, ActRow, AppendixRow, Approval as PrintApproval};
use crate::records::hold::Holds;
use crate::records::retention::{self, CaseKey};
use crate::search::index::{IndexSink, SearchIndex};
use crate::store::archive::{self, Archive};
use crate::store::audit::{Actor, AuditLog, Event};
use crate::store::boxes::{self, ArchiveBox};
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
    let holds = Holds::load(&a.root)?;
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
    let number = list(a)?.iter().map(|x| x.number).max().unwrap_or(0) + 1;
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
    save(a, &act)?;
    render(a, &act)?;
    let mut log = AuditLog::open(&a.journal, actor)?;
    log.append_one(Event::new("act-drafted").details(json!({
        "act": number, "date": as_of, "cases": act.cases.iter().map(|c| &c.key).collect::<Vec<_>>(), "documents": act.document_count(),
    })))?;
    let _ = lock.unlock();
    Ok(act)
}

/// Everything that changed in an act's cases since it was drafted: new or removed
/// documents, holds, failed fixity, and cases no longer eligible.
pub fn changes(a: &Archive, act: &Act) -> Result<Vec<String>> {
    let ix = SearchIndex::open(&a.index)?;
    let holds = Holds::load(&a.root)?;
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
            if !now_ids.contains(d.id.as_str()) && !act.destroyed.contains(&d.id) {
                problems.push(format!(
                    "case {}: document {} ({}) is no longer in the case",
                    c.key,
                    &d.id[..12],
                    d.file
                ));
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
            if act.destroyed.contains(&d.id) {
                continue;
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

/// Records the commission's approval, refusing when anything in the act changed.
pub fn approve(
    a: &Archive,
    n: u32,
    protocol: &str,
    approved_by: &str,
    actor: &Actor,
) -> Result<std::result::Result<Act, Vec<String>>> {
    let mut act = load(a, n)?;
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
        bail!(
            "give the commission's protocol (--protocol \"№ 3 от 12.12.2026\") and who approved (--approved-by NAME)"
        );
    }
    let problems = changes(a, &act)?;
    if !problems.is_empty() {
        let mut log = AuditLog::open(&a.journal, actor)?;
        log.append_one(
            Event::new("act-approval-refused").details(json!({"act": n, "problems": problems})),
        )?;
        return Ok(Err(problems));
    }
    act.state = State::Approved;
    act.approval = Some(Approval {
        protocol: protocol.trim().to_string(),
        approved_by: approved_by.trim().to_string(),
        approved_at: Utc::now(),
    });
    save(a, &act)?;
    render(a, &act)?;
    let mut log = AuditLog::open(&a.journal, actor)?;
    log.append_one(
        Event::new("act-approved")
            .details(json!({"act": n, "protocol": protocol, "approved_by": approved_by})),
    )?;
    Ok(Ok(act))
}

/// Test hook: abort the process after this many documents have been destroyed, to prove
/// that execution resumes after a crash.
fn crash_after() -> Option<usize> {
    std::env::var("ARCHIVIST_CRASH_AFTER_DESTROYED")
        .ok()
        .and_then(|v| v.parse().ok())
}

/// Carries out an approved act: for each listed document, a tombstone replaces its
/// sidecar, the scan and its text are removed, the box manifest is rewritten, and the
/// destruction is audited. Resumable: a re-run after a crash finishes the act and touches
/// nothing else. The caller holds the writer lock.
pub fn execute(a: &Archive, n: u32, actor: &Actor) -> Result<Act> {
    let mut act = load(a, n)?;
    match act.state {
        State::Approved => {}
        State::Draft => bail!(
            "act № {n} is not approved: the expert commission must approve it first (`archivist disposal approve {n} --protocol … --approved-by …`)"
        ),
        State::Executed => return Ok(act),
    }
    // A hold placed after approval still blocks destruction.
    let holds = Holds::load(&a.root)?;
    let blocking: Vec<String> = act
        .cases
        .iter()
        .flat_map(|c| c.documents.iter().map(move |d| (c, d)))
        .filter(|(c, d)| {
            !act.destroyed.contains(&d.id) && !holds.covering(&c.key, &d.id).is_empty()
        })
        .map(|(c, d)| format!("{} in case {}", &d.id[..12], c.key))
        .collect();
    if !blocking.is_empty() {
        bail!(
            "act № {n} cannot be executed: holds cover {}; release them or draft a new act",
            blocking.join(", ")
        );
    }
    let note = act.destruction_note();
    let mut log = AuditLog::open(&a.journal, actor)?;
    let already: HashSet<String> = crate::store::audit::history_all(&a.journal)?
        .into_iter()
        .filter(|r| {
            r.action == "destroyed"
                && r.details.get("act").and_then(|v| v.as_u64()) == Some(n as u64)
        })
        .filter_map(|r| r.id)
        .collect();
    if act.destroyed.is_empty() && already.is_empty() {
        log.append_one(Event::new("act-execution-started").details(json!({"act": n})))?;
    }
    let mut by_box: BTreeMap<String, Vec<ActDocument>> = BTreeMap::new();
    for c in &act.cases {
        for d in &c.documents {
            by_box
                .entry(d.box_path.clone())
                .or_default()
                .push(d.clone());
        }
    }
    let mut sink = crate::search::sink_for(a)?;
    let mut count = act.destroyed.len();
    for (box_rel, docs) in by_box {
        let dir = a.root.join(&box_rel);
        let mut events = Vec::new();
        let mut tombstones = Vec::new();
        for d in &docs {
            let side = dir.join(archive::sidecar_of(&d.file));
            let mut meta = DocumentMeta::from_toml(
                &fs::read_to_string(&side)
                    .with_context(|| format!("cannot read {}", side.display()))?,
            )
            .with_context(|| format!("{} is not a valid sidecar", side.display()))?;
            if meta.id != d.id {
                bail!(
                    "{} names document {} but the act lists {}; stopping",
                    side.display(),
                    meta.id,
                    d.id
                );
            }
            // 1. The tombstone first: after a crash it tells what was being destroyed.
            if meta.status != Status::Destroyed {
                meta.status = Status::Destroyed;
                meta.status_note = Some(note.clone());
                meta.events
                    .insert("destroyed".into(), Utc::now().date_naive());
                meta.text_file = None;
                fsutil::write_atomic(&side, meta.to_toml()?.as_bytes(), true)
                    .with_context(|| format!("cannot write the tombstone {}", side.display()))?;
            }
            // 2. The scan and its text go.
            for p in [dir.join(&d.file), dir.join(archive::text_of(&d.file))] {
                match fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot remove {}", p.display()));
                    }
                }
            }
            if !already.contains(&d.id) {
                events.push(
                    Event::new("destroyed")
                        .id(&d.id)
                        .path(format!("{box_rel}/{}", d.file))
                        .details(json!({"act": n, "sha256": d.sha256, "note": note})),
                );
            }
            tombstones.push(meta);
            count += 1;
            if crash_after() == Some(count) {
                std::process::abort();
            }
        }
        fsutil::fsync_dir(&dir.join("data")).ok();
        // 3. The manifest follows what is on disk.
        rewrite_box(a, &dir)?;
        // 4. Audit and progress.
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
    act.state = State::Executed;
    act.executed_at = Some(Utc::now());
    save(a, &act)?;
    render(a, &act)?;
    log.append_one(
        Event::new("act-executed").details(json!({"act": n, "documents": act.destroyed.len()})),
    )?;
    Ok(act)
}

/// Rewrites a box's manifest from the files present: entries whose file is gone are
/// dropped, sidecars are re-hashed. Only used after destruction, where every change is
/// one this module made.
fn rewrite_box(a: &Archive, dir: &Path) -> Result<()> {
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
    b.write_tag_files(&a.nomenclature.organisation, true)
        .with_context(|| format!("cannot rewrite the manifests of {rel}"))
}

fn print_form(a: &Archive, act: &Act) -> ActPrint {
    let org = &a.nomenclature.organisation;
    let dates = |c: &ActCase| {
        let ds: Vec<NaiveDate> = c.documents.iter().filter_map(|d| d.date).collect();
        match (ds.iter().min(), ds.iter().max()) {
            (Some(x), Some(y)) if x == y => x.format("%d.%m.%Y").to_string(),
            (Some(x), Some(y)) => format!("{}–{}", x.format("%d.%m.%Y"), y.format("%d.%m.%Y")),
            _ => c.year.to_string(),
        }
    };
    ActPrint {
        org_name: org.name.clone(),
        number: act.number,
        date: act.date,
        place: org.place.clone(),
        head_position: org.head_position.clone(),
        head_name: org.head_name.clone(),
        basis: org.periods_basis.clone(),
        fund_number: org.fund_number.clone(),
        fund_name: org.fund_name.clone(),
        rows: act
            .cases
            .iter()
            .map(|c| ActRow {
                title: match &c.group {
                    Some(g) => format!("{} (группа {g})", c.title),
                    None => c.title.clone(),
                },
                dates: dates(c),
                inventory: format!("номенклатура дел за {} г.", c.year),
                case_index: c.index.clone(),
                cases: 1,
                period: format!("{}, {}", c.period, c.basis),
                note: format!(
                    "{} док.; срок истек {}",
                    c.documents.len(),
                    c.lapsed_on.format("%d.%m.%Y")
                ),
            })
            .collect(),
        years: act.years(),
        approval: act.approval.as_ref().map(|x| PrintApproval {
            protocol: x.protocol.clone(),
            approved_by: x.approved_by.clone(),
            approved_at: x.approved_at.date_naive(),
        }),
        appendix: act
            .cases
            .iter()
            .flat_map(|c| {
                c.documents.iter().map(|d| AppendixRow {
                    case_index: c.index.clone(),
                    id: d.sha256.clone(),
                    file: format!("{}/{}", d.box_path, d.file),
                    date: d
                        .date
                        .map(|x| x.format("%d.%m.%Y").to_string())
                        .unwrap_or_default(),
                    number: d.number.clone().unwrap_or_default(),
                    pages: d.pages,
                })
            })
            .collect(),
    }
}

/// A spreadsheet cell that cannot be read as a formula (CSV injection).
pub fn csv_safe(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Writes act.pdf, act.csv, appendix.csv and act.md from the record.
pub fn render(a: &Archive, act: &Act) -> Result<()> {
    let dir = act_dir(a, act.number);
    let form = print_form(a, act);
    let pdf = actpdf::render_pdf(&form).context("cannot render the act as PDF")?;
    fsutil::write_atomic(&dir.join("act.pdf"), &pdf, true)?;

    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "№ п/п",
        "Заголовок дела или групповой заголовок дел",
        "Дата дела или крайние даты дел",
        "Номера описей (номенклатур) за годы",
        "Индекс дела (тома, части) по номенклатуре или № дела по описи",
        "Количество дел (томов, частей)",
        "Сроки хранения дела (тома, части) и номера статей по перечню",
        "Примечание",
    ])?;
    for (i, r) in form.rows.iter().enumerate() {
        w.write_record([
            (i + 1).to_string(),
            csv_safe(&r.title),
            csv_safe(&r.dates),
            csv_safe(&r.inventory),
            csv_safe(&r.case_index),
            r.cases.to_string(),
            csv_safe(&r.period),
            csv_safe(&r.note),
        ])?;
    }
    fsutil::write_atomic(
        &dir.join("act.csv"),
        &w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
        true,
    )?;

    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "№ п/п",
        "Индекс дела",
        "Дата",
        "Номер",
        "Файл",
        "Листов",
        "SHA-256",
    ])?;
    for (i, r) in form.appendix.iter().enumerate() {
        w.write_record([
            (i + 1).to_string(),
            csv_safe(&r.case_index),
            csv_safe(&r.date),
            csv_safe(&r.number),
            csv_safe(&r.file),
            r.pages.to_string(),
            r.id.clone(),
        ])?;
    }
    fsutil::write_atomic(
        &dir.join("appendix.csv"),
        &w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
        true,
    )?;

    let total: u32 = form.rows.iter().map(|r| r.cases).sum();
    let mut md = String::new();
    md.push_str(&format!(
        "# АКТ № {} от {}\n\n**о выделении к уничтожению документов, не подлежащих хранению**\n\n",
        act.number,
        act.date.format("%d.%m.%Y")
    ));
    md.push_str(&format!(
        "{}\n\nСостояние: **{}**{}\n\n",
        form.org_name,
        match act.state {
            State::Draft => "проект",
            State::Approved => "утвержден",
            State::Executed => "исполнен",
        },
        act.approval
            .as_ref()
            .map(|x| format!(
                " (согласовано: протокол ЭК {}, {})",
                x.protocol, x.approved_by
            ))
            .unwrap_or_default()
    ));
    md.push_str(&format!("На основании {} отобраны к уничтожению как не имеющие научно-исторической ценности и утратившие практическое значение документы фонда № {} {}.\n\n", form.basis, form.fund_number, form.fund_name));
    md.push_str("| № п/п | Заголовок дела | Крайние даты | Номенклатура | Индекс | Кол-во дел | Срок хранения, статья | Примечание |\n|---|---|---|---|---|---|---|---|\n");
    for (i, r) in form.rows.iter().enumerate() {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            i + 1,
            r.title,
            r.dates,
            r.inventory,
            r.case_index,
            r.cases,
            r.period,
            r.note
        ));
    }
    md.push_str(&format!("\n{}\n\n## Приложение: перечень документов\n\n| № | Индекс | Дата | Номер | Файл | Листов | SHA-256 |\n|---|---|---|---|---|---|---|\n", actpdf::total_line(total, &form.years)));
    for (i, r) in form.appendix.iter().enumerate() {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | `{}` |\n",
            i + 1,
            r.case_index,
            r.date,
            r.number,
            r.file,
            r.pages,
            r.id
        ));
    }
    fsutil::write_atomic(&dir.join("act.md"), md.as_bytes(), true)?;
    Ok(())
}
