//! PENDING — use cases the web interface needs that have not landed in the library yet.
//!
//! Each method is written against the signature the web pages need and implemented with
//! the existing domain functions; each is to be replaced by the real use case when it
//! lands (`git merge main`), and then deleted from here. Nothing in this file is final:
//! see the web engineer's report for the list and what each waits for.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::{Actor, Archivist};
use crate::error::{ActChanged, Invalid, NotFound, Refused, Result};
use crate::records::act::{self, Act};
use crate::records::hold::{Hold, Holds, TargetKind};
use crate::records::retention;
use crate::search::person::within_one_edit;
use crate::search::{Hit, LIFE_CYCLE, PersonRecord, SearchIndex};
use crate::store::archive::{self, Archive};
use crate::store::audit::{self, AuditLog, AuditRecord, Event};
use crate::store::document::{CaseKey, DocumentMeta, DropSidecar, Status};
use crate::store::fixity;

// ---------------------------------------------------------------------------------------
// The index, opened once per process (PENDING: the lead's Archivist keeps its own).

fn index_cache() -> &'static Mutex<HashMap<PathBuf, Arc<SearchIndex>>> {
    static C: std::sync::OnceLock<Mutex<HashMap<PathBuf, Arc<SearchIndex>>>> =
        std::sync::OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Archivist {
    /// PENDING: the index, opened once (the reader follows commits by itself).
    pub fn pending_index(&self) -> Result<Arc<SearchIndex>> {
        let dir = self.archive().index.clone();
        let mut c = index_cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ix) = c.get(&dir) {
            return Ok(ix.clone());
        }
        let ix = Arc::new(SearchIndex::open(&dir)?);
        c.insert(dir, ix.clone());
        Ok(ix)
    }
}

// ---------------------------------------------------------------------------------------
// Dashboard (PENDING: the lead's api)

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// Files in the inbox not yet taken.
    pub inbox_waiting: usize,
    /// Of those, the ones whose last attempt was deferred (retried later).
    pub deferred: usize,
    pub in_review: usize,
    pub refused_today: usize,
    pub ocr_pending: usize,
    pub documents: u64,
    pub last_fixity: Option<FixitySummary>,
    pub lapsing_soon: Vec<retention::Case>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FixitySummary {
    pub start: DateTime<Utc>,
    pub scope: String,
    pub files: u64,
    pub problems: u64,
}

fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter(|e| keep(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect()
}

fn is_note(name: &str) -> bool {
    name.ends_with(".reason.txt") || name.ends_with(".toml") || name.starts_with('.')
}

impl Archivist {
    /// PENDING: the dashboard's figures.
    pub fn dashboard(&self, today: NaiveDate) -> Result<Dashboard> {
        let a = self.archive();
        let filter = crate::ingest::inbox::Filter::new(&a.config.watch.ignore)?;
        let waiting = crate::ingest::inbox::scan_dir(&a.inbox, &filter);
        let deferred = deferred_now(a, &waiting);
        let in_review = files_in(&a.review, |n| !is_note(n)).len();
        let refused_today = files_in(
            &a.quarantine.join(today.format("%Y-%m-%d").to_string()),
            |n| !is_note(n),
        )
        .len();
        let ix = self.pending_index().ok();
        let documents = ix.as_ref().map(|i| i.num_docs()).unwrap_or(0);
        let last_fixity = fixity::history(a)?.pop().map(|r| FixitySummary {
            start: r.start,
            scope: r.scope,
            files: r.files,
            problems: r.changed + r.missing + r.untracked,
        });
        let lapsing_soon = match &ix {
            Some(ix) => {
                let holds = Holds::load(&a.root)?;
                let cases = retention::cases(ix, &a.nomenclature)?;
                let by_case = holds.by_case(|id| ix.case_of(id, &a.nomenclature));
                retention::report(cases, &by_case, today).lapsing_soon
            }
            None => Vec::new(),
        };
        Ok(Dashboard {
            inbox_waiting: waiting.len(),
            deferred,
            in_review,
            refused_today,
            ocr_pending: ocr_pending(a),
            documents,
            last_fixity,
            lapsing_soon,
        })
    }
}

/// Inbox files whose latest receipt says "deferred" (reads the tail of the receipts).
fn deferred_now(a: &Archive, waiting: &[PathBuf]) -> usize {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(a.journal.join("receipts.jsonl")) else {
        return 0;
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(4 << 20)));
    let mut s = String::new();
    let _ = f.read_to_string(&mut s);
    let mut last: HashMap<String, bool> = HashMap::new();
    for l in s.lines() {
        if let Ok(r) = serde_json::from_str::<crate::store::receipts::Receipt>(l) {
            last.insert(
                r.path.clone(),
                r.outcome == crate::store::receipts::Outcome::Deferred,
            );
        }
    }
    waiting
        .iter()
        .filter(|p| {
            let rel = p
                .strip_prefix(&a.inbox)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/");
            last.get(&rel).copied().unwrap_or(false)
        })
        .count()
}

/// Documents whose sidecar says OCR pending (reads every sidecar: PENDING a cheaper
/// count from the library).
fn ocr_pending(a: &Archive) -> usize {
    let Ok(cat) = a.catalogue() else { return 0 };
    cat.values()
        .filter(|loc| {
            a.read_meta(loc).ok().is_some_and(|m| {
                m.ocr
                    .is_some_and(|o| o.state == crate::store::document::OcrState::Pending)
            })
        })
        .count()
}

// ---------------------------------------------------------------------------------------
// Hits read from the index (PENDING: the search module's own hit reader is private)

fn hit_of(ix: &SearchIndex, doc: &TantivyDocument, score: f32) -> Hit {
    let f = &ix.fields;
    let s = |fld| {
        doc.get_first(fld)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Hit {
        score,
        id: s(f.id).unwrap_or_default(),
        kind: s(f.kind).unwrap_or_default(),
        year: doc.get_first(f.year).and_then(|v| v.as_i64()).unwrap_or(0),
        group: s(f.group),
        date: s(f.date),
        number: s(f.number),
        title: s(f.title),
        box_path: s(f.box_path).unwrap_or_default(),
        file: s(f.file).unwrap_or_default(),
        status: Status::parse(&s(f.status).unwrap_or_default()),
        note: s(f.note),
        learners: doc
            .get_all(f.learners)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        snippet: String::new(),
        matched: String::new(),
        person_tokens: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// One document (PENDING: the lead's `show`)

#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub meta: DocumentMeta,
    pub case_key: Option<CaseKey>,
    pub scan_present: bool,
    pub history: Vec<AuditRecord>,
    pub holds: Vec<Hold>,
    pub fixity: Vec<FixityEntry>,
}

/// One verification run as it concerns one document.
#[derive(Debug, Clone, Serialize)]
pub struct FixityEntry {
    pub start: DateTime<Utc>,
    pub scope: String,
    /// "intact", "changed" or "missing" for this document's scan.
    pub outcome: String,
}

/// A relative path from an index or sidecar that stays inside its base.
fn inside(rel: &str, prefix: &str) -> bool {
    rel.starts_with(prefix)
        && !rel.contains('\\')
        && !rel.contains('\0')
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

impl Archivist {
    /// The location of a document from the index, checked to stay inside the archive.
    fn pending_locate(&self, id: &str) -> Result<(String, archive::DocLoc)> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < 6 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NotFound(format!(
                "{id:?} is not a document id (the SHA-256 of the scan, at least 6 hex digits)"
            ))
            .into());
        }
        let hit = if id.len() == 64 {
            self.pending_index()?.by_id(&id)?
        } else {
            None
        };
        let (id, loc) = match hit {
            Some(h) => (
                h.id,
                archive::DocLoc {
                    box_rel: h.box_path,
                    file: h.file,
                },
            ),
            None => match self.archive().find(&id)? {
                Some(x) => x,
                None => {
                    return Err(
                        NotFound(format!("there is no document {id} in the archive")).into(),
                    );
                }
            },
        };
        if !inside(&loc.box_rel, "boxes/") || !inside(&loc.file, "data/") {
            return Err(Refused(format!(
                "the index places document {id} outside the archive ({}/{}); run `archivist reindex`",
                loc.box_rel, loc.file
            ))
            .into());
        }
        Ok((id, loc))
    }

    /// PENDING: a document with its history, holds and fixity.
    pub fn document(&self, id: &str) -> Result<DocumentView> {
        let a = self.archive();
        let (id, loc) = self.pending_locate(id)?;
        let meta = a.read_meta(&loc)?;
        let ix = self.pending_index().ok();
        let case_key = ix.as_ref().and_then(|ix| ix.case_of(&id, &a.nomenclature));
        let holds = Holds::load(&a.root)?;
        let case_s = case_key.as_ref().map(|k| k.to_string()).unwrap_or_default();
        let holds: Vec<Hold> = holds
            .holds
            .into_iter()
            .filter(|h| h.target == id || (!case_s.is_empty() && h.target == case_s))
            .collect();
        let scan_rel = format!("{}/{}", loc.box_rel, loc.file);
        let fixity = fixity::history(a)?
            .into_iter()
            .filter(|r| r.boxes.iter().any(|b| b.path == loc.box_rel))
            .map(|r| {
                let outcome = r
                    .findings
                    .iter()
                    .find(|f| f.path == scan_rel)
                    .map(|f| format!("{:?}", f.class).to_lowercase())
                    .unwrap_or_else(|| "intact".into());
                FixityEntry {
                    start: r.start,
                    scope: r.scope,
                    outcome,
                }
            })
            .collect();
        Ok(DocumentView {
            scan_present: a.root.join(&loc.box_rel).join(&loc.file).is_file(),
            history: history_of(&a.journal, &id)?,
            meta,
            case_key,
            holds,
            fixity,
        })
    }
}

/// The audit records naming a document: only the lines holding its id are parsed (the
/// log of a large archive is tens of megabytes).
fn history_of(journal: &Path, id: &str) -> Result<Vec<AuditRecord>> {
    let bytes = match std::fs::read(journal.join("audit.jsonl")) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot read the audit log in {}", journal.display()))
                .into());
        }
    };
    let mut out = Vec::new();
    let mut last_line = usize::MAX;
    for at in memchr::memmem::find_iter(&bytes, id.as_bytes()) {
        let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
        if start == last_line {
            continue;
        }
        last_line = start;
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        if let Ok(r) = serde_json::from_slice::<AuditRecord>(&bytes[start..end])
            && r.id.as_deref() == Some(id)
        {
            out.push(r);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The learner's dossier (PENDING: issue 12 — results table, PDF card, faster dossier)

#[derive(Debug, Clone, Serialize)]
pub struct ResultRow {
    pub programme: String,
    pub group: String,
    pub dates: String,
    pub result: String,
    pub certificate: String,
    pub source_id: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dossier {
    pub people: Vec<PersonRecord>,
    /// PENDING issue 12: each learner's results; empty until the library extracts them.
    pub results: BTreeMap<String, Vec<ResultRow>>,
    /// More documents name the surname than were read: the query should be narrower.
    pub truncated: bool,
}

/// Most documents a dossier page reads: a bare surname can name thousands.
pub const DOSSIER_MAX_DOCUMENTS: usize = 500;

impl Archivist {
    /// PENDING: everyone the name can mean, with their documents (and results, issue 12).
    /// Only documents naming the person as precisely as the query does are read (initials
    /// narrow the search in the index), and at most [`DOSSIER_MAX_DOCUMENTS`] of them.
    pub fn dossier(&self, name: &str) -> Result<Dossier> {
        use crate::ru::person;
        let ix = self.pending_index()?;
        let key = person::parse_name(name).ok_or_else(|| {
            Invalid(format!(
                "{name:?} is not a name; write a surname, e.g. «Иванов» or «Иванов И. П.»"
            ))
        })?;
        let q = ix.person_query(&key);
        let searcher = ix.searcher();
        let total = searcher.search(&*q, &Count)?;
        let top = searcher.search(
            &*q,
            &TopDocs::with_limit(total.clamp(1, DOSSIER_MAX_DOCUMENTS)).order_by_score(),
        )?;
        let mut people: BTreeMap<String, PersonRecord> = BTreeMap::new();
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let h = hit_of(&ix, &doc, score);
            for learner in &h.learners {
                let Some((k, gender)) = person::parse_name_with_gender(learner) else {
                    continue;
                };
                if !within_one_edit(&k.surname, &key.surname)
                    || key.first.is_some_and(|c| k.first.is_some_and(|x| x != c))
                    || key
                        .patronymic
                        .is_some_and(|c| k.patronymic.is_some_and(|x| x != c))
                {
                    continue;
                }
                let token = k
                    .full_token()
                    .or_else(|| k.first_token())
                    .unwrap_or_else(|| k.surname_token());
                let rec = people.entry(token.clone()).or_insert_with(|| PersonRecord {
                    name: person::display(&k, gender),
                    token,
                    forms: Vec::new(),
                    documents: Vec::new(),
                });
                if gender == Some(person::Gender::Female) {
                    rec.name = person::display(&k, gender);
                }
                if !rec.forms.contains(learner) {
                    rec.forms.push(learner.clone());
                }
                if !rec.documents.iter().any(|d| d.id == h.id) {
                    let mut d = h.clone();
                    d.matched = if k.surname == key.surname {
                        "name".into()
                    } else {
                        format!("name (approximate: {learner})")
                    };
                    rec.documents.push(d);
                }
            }
        }
        let mut people: Vec<PersonRecord> = people.into_values().collect();
        for p in &mut people {
            p.documents.sort_by(|a, b| {
                let ka = LIFE_CYCLE.iter().position(|k| *k == a.kind).unwrap_or(99);
                let kb = LIFE_CYCLE.iter().position(|k| *k == b.kind).unwrap_or(99);
                (a.date.clone(), ka).cmp(&(b.date.clone(), kb))
            });
        }
        // The exact spelling first, then by number of documents.
        people.sort_by(|a, b| {
            let exact = |p: &PersonRecord| p.token.split('_').next() != Some(key.surname.as_str());
            exact(a)
                .cmp(&exact(b))
                .then(b.documents.len().cmp(&a.documents.len()))
                .then(a.name.cmp(&b.name))
        });
        Ok(Dossier {
            people,
            results: BTreeMap::new(),
            truncated: total > DOSSIER_MAX_DOCUMENTS,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Holds (PENDING: the lead's api)

impl Archivist {
    /// PENDING: every hold (active first).
    pub fn holds(&self) -> Result<Vec<Hold>> {
        let mut v = Holds::load(&self.archive().root)?.holds;
        v.sort_by_key(|h| (!h.active(), std::cmp::Reverse(h.number)));
        Ok(v)
    }

    /// PENDING: holds a document (id) or a case (INDEX/YEAR[/GROUP]).
    pub fn hold_add(&self, target: &str, reason: &str, actor: &Actor) -> Result<Hold> {
        let a = self.archive();
        let target = target.trim();
        if reason.trim().is_empty() {
            return Err(Invalid("give the reason for the hold".into()).into());
        }
        let (target, kind) = if target.contains('/') {
            let k: CaseKey = target.parse().map_err(Invalid)?;
            if !a.nomenclature.kinds.iter().any(|x| x.case_index == k.index) {
                return Err(Invalid(format!(
                    "no case index {} in the nomenclature (see nomenclature.toml)",
                    k.index
                ))
                .into());
            }
            (k.to_string(), TargetKind::Case)
        } else {
            let (id, _) = self.pending_locate(target)?;
            (id, TargetKind::Document)
        };
        let h = self.pending_write("archivist serve: hold", |_| {
            let _lock = lock_file(&a.root.join(".holds.lock"))?;
            let mut holds = Holds::load(&a.root)?;
            let h = holds.add(
                target.clone(),
                kind,
                reason.trim().to_string(),
                actor.to_string(),
            );
            holds.save(&a.root)?;
            Ok(h)
        })?;
        let mut ev = Event::new("hold-added")
            .details(json!({"hold": h.number, "target": target, "reason": reason.trim()}));
        if kind == TargetKind::Document {
            ev = ev.id(&target);
        }
        audit_one(a, actor, ev)?;
        Ok(h)
    }

    /// PENDING: releases a hold by number.
    pub fn hold_release(&self, number: u32, reason: &str, actor: &Actor) -> Result<Hold> {
        let a = self.archive();
        let h = self.pending_write("archivist serve: hold release", |_| {
            let _lock = lock_file(&a.root.join(".holds.lock"))?;
            let mut holds = Holds::load(&a.root)?;
            let released = holds.release(
                &number.to_string(),
                reason.trim().to_string(),
                actor.to_string(),
            );
            let Some(h) = released.into_iter().next() else {
                return Err(NotFound(format!("no active hold #{number}")).into());
            };
            holds.save(&a.root)?;
            Ok(h)
        })?;
        audit_one(
            a,
            actor,
            Event::new("hold-released")
                .details(json!({"hold": h.number, "target": h.target, "reason": reason.trim()})),
        )?;
        Ok(h)
    }
}

impl Archivist {
    /// PENDING: a state change from a web request: this process's watcher steps aside
    /// between batches, then the request takes the writer gate (the lead's watch with the
    /// gate inside the pipeline replaces the pause).
    fn pending_write<T>(
        &self,
        what: &str,
        f: impl FnOnce(&super::Writing) -> Result<T>,
    ) -> Result<T> {
        with_watch_paused(|| {
            let w = self.writing(what)?;
            f(&w)
        })
    }
}

fn lock_file(p: &Path) -> Result<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(p)
        .with_context(|| format!("cannot open {}", p.display()))?;
    f.lock()
        .with_context(|| format!("cannot lock {}", p.display()))?;
    Ok(f)
}

pub(crate) fn audit_one(a: &Archive, actor: &Actor, ev: Event) -> Result<AuditRecord> {
    let mut log = AuditLog::open(&a.journal, actor)
        .with_context(|| format!("cannot open the audit log in {}", a.journal.display()))?;
    Ok(log.append_one(ev).context("cannot write the audit log")?)
}

// ---------------------------------------------------------------------------------------
// Acts (PENDING: the lead's disposal api)

/// An act's own files, by the names the web offers.
pub const ACT_FILES: [(&str, &str); 3] = [
    ("act.pdf", "application/pdf"),
    ("act.csv", "text/csv; charset=utf-8"),
    ("appendix.csv", "text/csv; charset=utf-8"),
];

impl Archivist {
    /// PENDING: every act, newest first.
    pub fn acts(&self) -> Result<Vec<Act>> {
        let mut v = act::list(self.archive())?;
        v.reverse();
        Ok(v)
    }

    /// PENDING: one act.
    pub fn act(&self, n: u32) -> Result<Act> {
        act::load(self.archive(), n).map_err(|e| NotFound(format!("{e:#}")).into())
    }

    /// PENDING: the path of one of an act's files (`act.pdf`, `act.csv`, `appendix.csv`).
    pub fn act_file(&self, n: u32, name: &str) -> Result<PathBuf> {
        if !ACT_FILES.iter().any(|(f, _)| *f == name) {
            return Err(NotFound(format!("an act has no file {name:?}")).into());
        }
        self.act(n)?;
        let p = act::act_dir(self.archive(), n).join(name);
        if !p.is_file() {
            return Err(NotFound(format!("{} is missing", p.display())).into());
        }
        Ok(p)
    }

    /// PENDING: drafts the next act.
    pub fn disposal_draft(&self, as_of: NaiveDate, actor: &Actor) -> Result<Act> {
        self.pending_write("archivist serve: disposal draft", |_| {
            act::draft(self.archive(), as_of, actor).map_err(|e| Refused(format!("{e:#}")).into())
        })
    }

    /// PENDING: records the approval (the act must not have changed since its draft).
    pub fn disposal_approve(
        &self,
        n: u32,
        protocol: &str,
        approved_by: &str,
        actor: &Actor,
    ) -> Result<Act> {
        self.pending_write("archivist serve: disposal approve", |_| match act::approve(
            self.archive(),
            n,
            protocol,
            approved_by,
            actor,
        )
        .map_err(|e| Refused(format!("{e:#}")))?
        {
            Ok(a) => Ok(a),
            Err(problems) => Err(ActChanged { act: n, problems }.into()),
        })
    }

    /// PENDING: executes an approved act.
    pub fn disposal_execute(&self, n: u32, actor: &Actor) -> Result<Act> {
        self.pending_write("archivist serve: disposal execute", |w| {
            let r = act::execute(self.archive(), n, actor)
                .map_err(|e| Refused(format!("{e:#}")).into());
            w.boxes_changed();
            r
        })
    }
}

// ---------------------------------------------------------------------------------------
// Boxes (PENDING: the lead's / issue 14's api)

#[derive(Debug, Clone, Serialize)]
pub struct BoxSummary {
    pub year: i32,
    pub group: String,
    pub path: String,
    pub documents: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BoxView {
    pub year: i32,
    pub group: String,
    pub path: String,
    pub documents: Vec<Hit>,
    pub total: usize,
    pub cases: Vec<(String, String, usize)>,
    pub fixity: Vec<(DateTime<Utc>, String, u64, u64)>,
}

impl Archivist {
    /// PENDING: every box with its number of documents.
    pub fn boxes(&self) -> Result<Vec<BoxSummary>> {
        let a = self.archive();
        let counts: HashMap<String, u64> = match self.pending_index() {
            Ok(ix) => {
                let aggs: tantivy::aggregation::agg_req::Aggregations =
                    serde_json::from_value(json!({"y": {"terms": {"field": "year", "size": 1000},
                        "aggs": {"g": {"terms": {"field": "group", "size": 10000, "missing": ""}}}}}))
                    .context("box counts")?;
                let c = tantivy::aggregation::AggregationCollector::from_aggs(
                    aggs,
                    tantivy::aggregation::AggContextParams::new(
                        Default::default(),
                        ix.index.tokenizers().clone(),
                    ),
                );
                let r = ix.searcher().search(&tantivy::query::AllQuery, &c)?;
                let v = serde_json::to_value(&r).unwrap_or_default();
                let mut m = HashMap::new();
                for y in v["y"]["buckets"].as_array().cloned().unwrap_or_default() {
                    let year = y["key"].as_f64().unwrap_or(0.0) as i64;
                    for g in y["g"]["buckets"].as_array().cloned().unwrap_or_default() {
                        let group = g["key"].as_str().unwrap_or("").to_string();
                        let group = if group.is_empty() {
                            a.config.boxes.default_group.clone()
                        } else {
                            group
                        };
                        *m.entry(format!("{year}/{group}")).or_default() +=
                            g["doc_count"].as_u64().unwrap_or(0);
                    }
                }
                m
            }
            Err(_) => HashMap::new(),
        };
        let mut out = Vec::new();
        for d in a.box_dirs() {
            let (Some(group), Some(year)) = (
                d.file_name().map(|x| x.to_string_lossy().into_owned()),
                d.parent()
                    .and_then(|p| p.file_name())
                    .and_then(|y| y.to_str()?.parse::<i32>().ok()),
            ) else {
                continue;
            };
            out.push(BoxSummary {
                documents: counts.get(&format!("{year}/{group}")).copied().unwrap_or(0),
                path: a.rel(&d),
                year,
                group,
            });
        }
        out.sort_by(|x, y| y.year.cmp(&x.year).then(x.group.cmp(&y.group)));
        Ok(out)
    }

    /// PENDING: one box: its documents (a page of them), cases and fixity runs.
    pub fn box_view(
        &self,
        year: i32,
        group: &str,
        page: usize,
        per_page: usize,
    ) -> Result<BoxView> {
        let a = self.archive();
        // The box is found among the boxes that exist; the URL is never joined to a path.
        let Some(dir) = a.box_dirs().into_iter().find(|d| {
            d.file_name().is_some_and(|n| n.to_string_lossy() == group)
                && d.parent()
                    .and_then(|p| p.file_name())
                    .is_some_and(|y| y.to_string_lossy() == year.to_string())
        }) else {
            return Err(NotFound(format!("there is no box {year}/{group}")).into());
        };
        let rel = a.rel(&dir);
        let ix = self.pending_index()?;
        let q = TermQuery::new(
            Term::from_field_text(ix.fields.box_path, &rel),
            IndexRecordOption::Basic,
        );
        let searcher = ix.searcher();
        // Cases counted in the index's columns; only one page of documents is read,
        // in date order.
        let aggs: tantivy::aggregation::agg_req::Aggregations =
            serde_json::from_value(json!({"case": {"terms": {"field": "case", "size": 1000}}}))
                .context("case counts")?;
        let agg = tantivy::aggregation::AggregationCollector::from_aggs(
            aggs,
            tantivy::aggregation::AggContextParams::new(
                Default::default(),
                ix.index.tokenizers().clone(),
            ),
        );
        let per_page = per_page.max(1);
        let top = TopDocs::with_limit(per_page)
            .and_offset(page.saturating_mul(per_page))
            .order_by_fast_field::<i64>("date_key", tantivy::Order::Asc);
        let (total, counts, top) = searcher.search(&q, &(Count, agg, top))?;
        let mut documents: Vec<Hit> = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            documents.push(hit_of(&ix, &d, 0.0));
        }
        let counts = serde_json::to_value(&counts).unwrap_or_default();
        let mut cases: Vec<(String, String, usize)> = counts["case"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|b| {
                let index = b["key"].as_str()?.to_string();
                let title = a
                    .nomenclature
                    .kinds
                    .iter()
                    .find(|k| k.case_index == index)
                    .map(|k| k.case_title.clone())
                    .unwrap_or_default();
                Some((index, title, b["doc_count"].as_u64()? as usize))
            })
            .collect();
        cases.sort();
        let fixity = fixity::history(a)?
            .into_iter()
            .filter_map(|r| {
                let b = r.boxes.iter().find(|b| b.path == rel)?;
                Some((
                    r.start,
                    r.scope.clone(),
                    b.intact,
                    b.changed + b.missing + b.untracked,
                ))
            })
            .collect();
        Ok(BoxView {
            year,
            group: group.to_string(),
            path: rel,
            documents,
            total,
            cases,
            fixity,
        })
    }
}

// ---------------------------------------------------------------------------------------
// The review queue (PENDING: issue 11's review list/show/resolve/reject and amend)

#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    /// The file name in `ROOT/review/` (its identity in the queue).
    pub name: String,
    pub size: u64,
    pub received: Option<DateTime<Utc>>,
    pub reason: String,
    /// What the pipeline found, from the template beside the scan.
    pub found: DropSidecar,
    /// OCR or text found on the scan, when the library keeps it (issue 11).
    pub text: String,
}

fn review_names(a: &Archive) -> Vec<String> {
    let mut v: Vec<String> = files_in(&a.review, |n| !is_note(n))
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    v.sort();
    v
}

fn review_item(a: &Archive, name: &str) -> ReviewItem {
    let path = a.review.join(name);
    let meta = std::fs::metadata(&path).ok();
    let note =
        std::fs::read_to_string(a.review.join(format!("{name}.reason.txt"))).unwrap_or_default();
    let reason = note
        .lines()
        .find_map(|l| l.strip_prefix("reason: "))
        .unwrap_or("")
        .to_string();
    let received = note
        .lines()
        .find_map(|l| l.strip_prefix("time: "))
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.with_timezone(&Utc));
    let template =
        std::fs::read_to_string(a.review.join(format!("{name}.toml"))).unwrap_or_default();
    // Lines a person was meant to fill (`kind = ""`) are kept; unknown keys are ignored.
    let found = toml::from_str::<toml::Table>(&template)
        .ok()
        .and_then(|mut t| {
            t.retain(|k, _| {
                let k: &str = k;
                matches!(
                    k,
                    "kind"
                        | "group"
                        | "date"
                        | "year"
                        | "number"
                        | "title"
                        | "programme"
                        | "learners"
                )
            });
            t.try_into::<DropSidecar>().ok()
        })
        .unwrap_or_default();
    ReviewItem {
        name: name.to_string(),
        size: meta.as_ref().map(|m| m.len()).unwrap_or(0),
        received,
        reason,
        found,
        text: String::new(),
    }
}

impl Archivist {
    /// PENDING issue 11: the scans waiting for a person.
    pub fn review_list(&self) -> Result<Vec<ReviewItem>> {
        let a = self.archive();
        Ok(review_names(a).iter().map(|n| review_item(a, n)).collect())
    }

    /// PENDING issue 11: one scan in review, found by its name among the queue's files.
    pub fn review_show(&self, name: &str) -> Result<ReviewItem> {
        let a = self.archive();
        if !review_names(a).iter().any(|n| n == name) {
            return Err(NotFound(format!("there is no scan {name:?} waiting for review")).into());
        }
        Ok(review_item(a, name))
    }

    /// PENDING issue 11: the scan file of a review item.
    pub fn review_scan(&self, name: &str) -> Result<PathBuf> {
        self.review_show(name)?;
        Ok(self.archive().review.join(name))
    }

    /// PENDING issue 11: completes a scan's metadata and sends it back to the inbox with
    /// its sidecar, where the pipeline files it (validated by the sidecar parser first).
    pub fn review_resolve(
        &self,
        name: &str,
        fields: &DropSidecar,
        actor: &Actor,
    ) -> Result<PathBuf> {
        let a = self.archive();
        self.review_show(name)?;
        let text = toml::to_string(fields).context("cannot write the metadata")?;
        let parsed = DropSidecar::parse(&text).map_err(Invalid)?;
        match parsed.kind.as_deref() {
            Some(k) if a.nomenclature.kind(k).is_some() => {}
            _ => {
                return Err(Invalid(format!(
                    "choose the kind of document (one of {})",
                    a.nomenclature.kind_ids().join(", ")
                ))
                .into());
            }
        }
        if parsed.date.is_none() && parsed.year.is_none() {
            return Err(Invalid("give the document's date or at least its year".into()).into());
        }
        let dest = crate::store::fsutil::unique_path(&a.inbox, name);
        let dest_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The sidecar first: when the scan appears, its metadata is already there.
        crate::store::fsutil::write_atomic(
            &a.inbox.join(format!("{dest_name}.toml")),
            text.as_bytes(),
            true,
        )
        .context("cannot write the sidecar into the inbox")?;
        crate::store::fsutil::move_file(&a.review.join(name), &dest)
            .with_context(|| format!("cannot move {name} into the inbox"))?;
        for note in [format!("{name}.reason.txt"), format!("{name}.toml")] {
            let _ = std::fs::remove_file(a.review.join(note));
        }
        audit_one(
            a,
            actor,
            Event::new("review-resolved")
                .path(a.rel(&dest))
                .details(json!({"file": name, "metadata": parsed})),
        )?;
        Ok(dest)
    }

    /// PENDING issue 11: refuses a scan in review: it goes to the quarantine with the reason.
    pub fn review_reject(&self, name: &str, reason: &str, actor: &Actor) -> Result<PathBuf> {
        self.pending_write("archivist serve: review reject", |_| {
            self.review_reject_inner(name, reason, actor)
        })
    }

    fn review_reject_inner(&self, name: &str, reason: &str, actor: &Actor) -> Result<PathBuf> {
        let a = self.archive();
        self.review_show(name)?;
        if reason.trim().is_empty() {
            return Err(Invalid("give the reason for rejecting the scan".into()).into());
        }
        let dir = a.quarantine.join(Utc::now().format("%Y-%m-%d").to_string());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let dest = crate::store::fsutil::unique_path(&dir, name);
        let dest_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        crate::store::fsutil::write_atomic(
            &dir.join(format!("{dest_name}.reason.txt")),
            format!(
                "file: {name}\noutcome: rejected in review\nreason: {}\nby: {actor}\ntime: {}\n",
                reason.trim(),
                Utc::now().to_rfc3339()
            )
            .as_bytes(),
            true,
        )?;
        crate::store::fsutil::move_file(&a.review.join(name), &dest)
            .with_context(|| format!("cannot move {name} to the quarantine"))?;
        for note in [format!("{name}.reason.txt"), format!("{name}.toml")] {
            let _ = std::fs::remove_file(a.review.join(note));
        }
        audit_one(
            a,
            actor,
            Event::new("review-rejected")
                .path(a.rel(&dest))
                .details(json!({"file": name, "reason": reason.trim()})),
        )?;
        Ok(dest)
    }

    /// PENDING issue 11: moves a document to the right box. Not available until the
    /// library implements it; refused with the reason.
    pub fn amend(&self, id: &str, change: &Amendment, _actor: &Actor) -> Result<DocumentMeta> {
        let (id, _) = self.pending_locate(id)?;
        let _ = change;
        Err(Refused(format!(
            "correcting document {} is not available yet: the library's amend (issue 11) has not landed",
            &id[..12.min(id.len())]
        ))
        .into())
    }
}

/// What an archivist corrects on a filed document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Amendment {
    pub kind: Option<String>,
    pub date: Option<NaiveDate>,
    pub group: Option<String>,
    pub number: Option<String>,
    pub title: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The watcher inside `serve` (PENDING: the lead's watch with an event callback and the
// in-process writer gate). Until then the watcher can be paused so that a web request may
// take the writer lock and the index writer.

struct Pause {
    /// Requests to pause, and whether the watcher is paused now.
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

fn pause() -> &'static Pause {
    static P: std::sync::OnceLock<Pause> = std::sync::OnceLock::new();
    P.get_or_init(|| Pause {
        state: Mutex::new((0, true)),
        changed: Condvar::new(),
    })
}

/// Runs `f` while this process's watcher (if any) is stopped between batches.
fn with_watch_paused<T>(f: impl FnOnce() -> T) -> T {
    let p = pause();
    {
        let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
        st.0 += 1;
        p.changed.notify_all();
        while !st.1 {
            st = p.changed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
    let out = f();
    let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
    st.0 -= 1;
    p.changed.notify_all();
    out
}

impl Archivist {
    /// PENDING: watches the inbox until `stop` is set, calling `on_receipt` for every file
    /// seen. Holds the writer lock while watching; steps aside (between batches) while a
    /// web request changes the archive.
    pub fn watch_inbox(
        &self,
        stop: Arc<AtomicBool>,
        mut on_receipt: impl FnMut(&crate::store::receipts::Receipt),
    ) -> Result<()> {
        let a = self.archive();
        let p = pause();
        while !stop.load(Ordering::SeqCst) {
            {
                // Wait while someone needs the archive.
                let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
                st.1 = true;
                p.changed.notify_all();
                while st.0 > 0 && !stop.load(Ordering::SeqCst) {
                    st = p
                        .changed
                        .wait_timeout(st, std::time::Duration::from_millis(250))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                st.1 = false;
            }
            let inner_stop = Arc::new(AtomicBool::new(false));
            let (s1, s2) = (stop.clone(), inner_stop.clone());
            // Relays the outer stop and pause requests to this round of the watcher.
            let relay = std::thread::spawn(move || {
                let p = pause();
                loop {
                    let st = p.state.lock().unwrap_or_else(|e| e.into_inner());
                    if s1.load(Ordering::SeqCst) || st.0 > 0 {
                        s2.store(true, Ordering::SeqCst);
                        return;
                    }
                    if s2.load(Ordering::SeqCst) {
                        return;
                    }
                    let _ = p
                        .changed
                        .wait_timeout(st, std::time::Duration::from_millis(250));
                }
            });
            let round = (|| -> Result<()> {
                let _turn = self.writing("archivist serve")?;
                let mut ing = crate::ingest::pipeline::Ingestor::open(
                    a,
                    Box::new(crate::search::sink_for(a)?),
                    &Actor::system(),
                )?;
                let opts = crate::ingest::inbox::WatchOptions::from_config(a);
                crate::ingest::inbox::watch(&mut ing, &opts, inner_stop.clone(), &mut on_receipt)?;
                ing.flush_index();
                Ok(())
            })();
            inner_stop.store(true, Ordering::SeqCst);
            p.changed.notify_all();
            let _ = relay.join();
            if let Err(e) = round {
                let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
                st.1 = true;
                p.changed.notify_all();
                return Err(e);
            }
        }
        let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
        st.1 = true;
        p.changed.notify_all();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Scans for the browser (PENDING: the lead's download use case)

/// Why a scan is read: both are audited, so the log shows who saw which learner's papers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanUse {
    /// Shown in the browser's PDF viewer.
    View,
    /// Saved as a file.
    Download,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanFile {
    pub path: PathBuf,
    /// The name to offer the browser.
    pub name: String,
    pub size: u64,
}

impl Archivist {
    /// PENDING: the scan of a document, for a person; the access is audited.
    pub fn scan(&self, id: &str, actor: &Actor, purpose: ScanUse) -> Result<ScanFile> {
        let a = self.archive();
        let (id, loc) = self.pending_locate(id)?;
        let path = a.root.join(&loc.box_rel).join(&loc.file);
        let meta = std::fs::symlink_metadata(&path).map_err(|_| {
            NotFound(format!(
                "the scan of document {} is not in its box (destroyed or missing; see `archivist verify`)",
                &id[..12]
            ))
        })?;
        if !meta.is_file() {
            return Err(Refused(format!("{} is not a regular file", path.display())).into());
        }
        let name = loc
            .file
            .rsplit('/')
            .next()
            .unwrap_or("scan.pdf")
            .to_string();
        let action = match purpose {
            ScanUse::View => "scan-viewed",
            ScanUse::Download => "scan-downloaded",
        };
        audit_one(
            a,
            actor,
            Event::new(action)
                .id(&id)
                .path(format!("{}/{}", loc.box_rel, loc.file)),
        )?;
        Ok(ScanFile {
            path,
            name,
            size: meta.len(),
        })
    }
}

impl Archivist {
    /// PENDING: the audit records of an act (drafting, review, approval, execution).
    pub fn act_history(&self, n: u32) -> Result<Vec<AuditRecord>> {
        Ok(audit::history_all(&self.archive().journal)?
            .into_iter()
            .filter(|r| {
                r.action.starts_with("act-")
                    && r.details.get("act").and_then(|v| v.as_u64()) == Some(n as u64)
            })
            .collect())
    }
}
