//! Use cases only the web interface asks for: the dashboard's figures, boxes and one
//! box's page, a document page (the library's [`show`](Archivist::show) with the holds,
//! case and fixity runs that concern it), scans sent to the browser
//! (audited), an act's files and history, and the inbox watcher inside `serve`, which
//! steps aside between batches while a web request changes the archive
//! ([`Archivist::beside_watcher`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use tantivy::TantivyDocument;
use tantivy::Term;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;

use super::integrity::DocumentView;
use super::{Actor, Archivist};
use crate::error::{NotFound, Refused, Result};
use crate::ingest::watch::WatchEvent;
use crate::records::hold::{self, Hold};
use crate::records::retention;
use crate::search::{Hit, SearchIndex};
use crate::store::archive::Archive;
use crate::store::audit::{self, AuditLog, AuditRecord, Event};
use crate::store::document::CaseKey;

// ---------------------------------------------------------------------------------------
// The index, opened once per process for the pages that read it often (the reader
// follows commits by itself).

fn index_cache() -> &'static Mutex<HashMap<PathBuf, Arc<SearchIndex>>> {
    static C: std::sync::OnceLock<Mutex<HashMap<PathBuf, Arc<SearchIndex>>>> =
        std::sync::OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Archivist {
    /// The index, opened once per process (the reader follows commits by itself).
    pub fn cached_index(&self) -> Result<Arc<SearchIndex>> {
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
// Dashboard

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

/// Notes beside a scan in review or the quarantine (reason, template, text), not scans.
fn is_note(name: &str) -> bool {
    crate::store::review::is_note(name)
}

impl Archivist {
    /// The dashboard's figures.
    pub fn dashboard(&self, today: NaiveDate) -> Result<Dashboard> {
        let a = self.archive();
        let filter = crate::ingest::input::Filter::new(&a.config.watch.ignore)?;
        let waiting = crate::ingest::input::scan_dir(&a.inbox, &filter);
        let deferred = deferred_now(a, &waiting);
        let in_review = files_in(&a.review, |n| !is_note(n)).len();
        let refused_today = files_in(
            &a.quarantine.join(today.format("%Y-%m-%d").to_string()),
            |n| !is_note(n),
        )
        .len();
        let ix = self.cached_index().ok();
        let documents = ix.as_ref().map(|i| i.num_docs()).unwrap_or(0);
        let last_fixity = self.verify_history()?.pop().map(|r| FixitySummary {
            start: r.start,
            scope: r.scope,
            files: r.files,
            problems: r.changed + r.missing + r.untracked,
        });
        let lapsing_soon = match &ix {
            Some(_) => self.retention(today)?.lapsing_soon,
            None => Vec::new(),
        };
        Ok(Dashboard {
            inbox_waiting: waiting.len(),
            deferred,
            in_review,
            refused_today,
            // From the index: reading every sidecar took seconds at 100,000 documents.
            ocr_pending: ix
                .as_ref()
                .and_then(|i| i.ocr_pending_count().ok())
                .unwrap_or(0),
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

// ---------------------------------------------------------------------------------------
// Boxes

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
    /// Every box with its number of documents.
    pub fn boxes(&self) -> Result<Vec<BoxSummary>> {
        let a = self.archive();
        let counts: HashMap<String, u64> = match self.cached_index() {
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

    /// One box: its documents (a page of them), cases and fixity runs.
    pub fn box_view(
        &self,
        year: i32,
        group: &str,
        page: usize,
        per_page: usize,
    ) -> Result<BoxView> {
        let a = self.archive();
        // The box is found among the boxes that exist; the URL is never joined to a path.
        let Some(dir) = a.box_dir(year, group) else {
            return Err(NotFound(format!("there is no box {year}/{group}")).into());
        };
        let rel = a.rel(&dir);
        let ix = self.cached_index()?;
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
            documents.push(ix.hit_from(&d, 0.0));
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
        let fixity = self
            .verify_history()?
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
// One document: the library's view with what concerns it besides

/// A document's page: the library's [`DocumentView`] (metadata or tombstone, place,
/// history), the case it belongs to, the holds naming it or its case, and the
/// verification runs of its box.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentPage {
    pub view: DocumentView,
    pub case_key: Option<CaseKey>,
    /// Holds in force first, then released ones.
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
    /// A document with its case, holds and fixity runs.
    pub fn document(&self, id: &str) -> Result<DocumentPage> {
        let (view, hold_records) = self.show_with_records_of(id, &hold::HOLD_ACTIONS)?;
        let a = self.archive();
        let case_key = self
            .cached_index()
            .ok()
            .and_then(|ix| ix.case_of(&view.id, &a.nomenclature));
        let case_s = case_key.as_ref().map(|k| k.to_string()).unwrap_or_default();
        let mut holds: Vec<Hold> = hold::Holds::replay(&hold_records)
            .holds
            .into_iter()
            .filter(|h| h.target == view.id || (!case_s.is_empty() && h.target == case_s))
            .collect();
        holds.sort_by_key(|h| (!h.active(), std::cmp::Reverse(h.number)));
        let box_path = &view.location.box_path;
        let scan_rel = format!("{}/{}", box_path, view.location.file);
        let fixity = self
            .verify_history()?
            .into_iter()
            .filter(|r| r.boxes.iter().any(|b| &b.path == box_path))
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
        Ok(DocumentPage {
            view,
            case_key,
            holds,
            fixity,
        })
    }
}

pub(crate) fn audit_one(a: &Archive, actor: &Actor, ev: Event) -> Result<AuditRecord> {
    let mut log = AuditLog::open_archive(a, actor)
        .with_context(|| format!("cannot open the audit log in {}", a.journal.display()))?;
    Ok(log.append_one(ev).context("cannot write the audit log")?)
}

// ---------------------------------------------------------------------------------------
// Acts: their files and history (the acts themselves are `records`' use cases)

/// An act's own files, by the names the web offers.
pub const ACT_FILES: [(&str, &str); 3] = [
    ("act.pdf", "application/pdf"),
    ("act.csv", "text/csv; charset=utf-8"),
    ("appendix.csv", "text/csv; charset=utf-8"),
];

impl Archivist {
    /// The path of one of an act's files (`act.pdf`, `act.csv`, `appendix.csv`).
    pub fn act_file(&self, n: u32, name: &str) -> Result<PathBuf> {
        if !ACT_FILES.iter().any(|(f, _)| *f == name) {
            return Err(NotFound(format!("an act has no file {name:?}")).into());
        }
        let p = self.disposal_show(n)?.folder.join(name);
        if !p.is_file() {
            return Err(NotFound(format!("{} is missing", p.display())).into());
        }
        Ok(p)
    }

    /// The audit records of an act (drafting, review, approval, execution).
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

pub use super::amend::{Amended, Amendment};

// ---------------------------------------------------------------------------------------
// The watcher inside `serve`. The library's watch pins the writer lock for as long as it
// runs, but its batches do not take turns with other writers of this process; so `serve`
// runs it in rounds. A web request that changes the archive asks the watcher to step
// aside ([`Archivist::beside_watcher`]): the round finishes its batch and ends (dropping
// the pipeline and its index writer), the request makes its change through the writer
// gate, and the next round starts (reloading what the pipeline caches).

struct Pause {
    state: Mutex<PauseState>,
    changed: Condvar,
}

struct PauseState {
    /// Web requests waiting for, or working while, the watcher stands aside.
    requests: usize,
    /// The watcher is between rounds (or there is none).
    idle: bool,
}

fn pause() -> &'static Pause {
    static P: std::sync::OnceLock<Pause> = std::sync::OnceLock::new();
    P.get_or_init(|| Pause {
        state: Mutex::new(PauseState {
            requests: 0,
            idle: true,
        }),
        changed: Condvar::new(),
    })
}

impl Pause {
    fn lock(&self) -> std::sync::MutexGuard<'_, PauseState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_idle(&self) {
        self.lock().idle = true;
        self.changed.notify_all();
    }
}

/// Lowers the count of requests even when the request fails or panics.
struct Request;

impl Drop for Request {
    fn drop(&mut self) {
        let p = pause();
        let mut st = p.lock();
        st.requests = st.requests.saturating_sub(1);
        p.changed.notify_all();
    }
}

impl Archivist {
    /// Runs `f`, a change to the archive asked for on the web, while this process's
    /// watcher (if any) stands aside between batches. `f` takes the writer gate itself
    /// ([`Archivist::writing`], as [`Archivist::disposal_execute`] does): while the
    /// watcher runs a round, the gate's turn would not come.
    pub fn beside_watcher<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let p = pause();
        let _request = {
            let mut st = p.lock();
            st.requests += 1;
            let request = Request;
            p.changed.notify_all();
            while !st.idle {
                st = p.changed.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            request
        };
        f()
    }

    /// Watches the inbox until `stop` is set, through the library's
    /// [`Archivist::watch`], in rounds that end between batches whenever a web request
    /// changes the archive ([`Archivist::beside_watcher`]). Pins the writer lock for the
    /// whole time, so other processes stay out between rounds. `on_event` sees every
    /// event but the start of each round.
    pub fn watch_inbox(
        &self,
        stop: Arc<AtomicBool>,
        actor: &Actor,
        mut on_event: impl FnMut(&WatchEvent),
    ) -> Result<()> {
        let _pin = self.pin_writer("archivist serve")?;
        let options = self.watch_options();
        let p = pause();
        let result = (|| -> Result<()> {
            while !stop.load(Ordering::SeqCst) {
                {
                    // Wait while web requests change the archive.
                    let mut st = p.lock();
                    st.idle = true;
                    p.changed.notify_all();
                    while st.requests > 0 && !stop.load(Ordering::SeqCst) {
                        st = p
                            .changed
                            .wait_timeout(st, std::time::Duration::from_millis(250))
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    }
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    st.idle = false;
                }
                let round_stop = Arc::new(AtomicBool::new(false));
                let (outer, inner) = (stop.clone(), round_stop.clone());
                // Ends this round when `serve` stops or a web request comes.
                let relay = std::thread::spawn(move || {
                    let p = pause();
                    let mut st = p.lock();
                    loop {
                        if outer.load(Ordering::SeqCst) || st.requests > 0 {
                            inner.store(true, Ordering::SeqCst);
                            return;
                        }
                        if inner.load(Ordering::SeqCst) {
                            return;
                        }
                        st = p
                            .changed
                            .wait_timeout(st, std::time::Duration::from_millis(250))
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    }
                });
                let round = self.watch(&options, round_stop.clone(), actor, &mut |e| {
                    if !matches!(e, WatchEvent::Watching { .. }) {
                        on_event(&e);
                    }
                });
                round_stop.store(true, Ordering::SeqCst);
                p.changed.notify_all();
                if relay.join().is_err() {
                    tracing::error!("the watcher's relay thread panicked");
                }
                round?;
            }
            Ok(())
        })();
        p.set_idle();
        result
    }
}

// ---------------------------------------------------------------------------------------
// Scans for the browser

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
    /// The scan of a document, for a person; the access is audited.
    pub fn scan(&self, id: &str, actor: &Actor, purpose: ScanUse) -> Result<ScanFile> {
        let a = self.archive();
        let v = self.show(id)?;
        let (id, loc) = (&v.id, &v.location);
        if !inside(&loc.box_path, "boxes/") || !inside(&loc.file, "data/") {
            return Err(Refused(format!(
                "document {id} is placed outside the archive ({}/{})",
                loc.box_path, loc.file
            ))
            .into());
        }
        let path = a.root.join(&loc.box_path).join(&loc.file);
        let meta = std::fs::symlink_metadata(&path).map_err(|_| {
            NotFound(format!(
                "the scan of document {} is not in its box (destroyed or missing; see `archivist verify`)",
                &id[..12.min(id.len())]
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
                .id(id)
                .path(format!("{}/{}", loc.box_path, loc.file)),
        )?;
        Ok(ScanFile {
            path,
            name,
            size: meta.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_write_gets_its_turn_while_the_watcher_runs_and_the_watcher_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = Archivist::init(dir.path(), None).unwrap();
        let a = Arc::new(a);
        let stop = Arc::new(AtomicBool::new(false));
        let (wa, ws) = (a.clone(), stop.clone());
        let watcher = std::thread::spawn(move || wa.watch_inbox(ws, &Actor::system(), |_| {}));
        // Let the first round start.
        std::thread::sleep(std::time::Duration::from_millis(500));
        for _ in 0..2 {
            let (tx, rx) = std::sync::mpsc::channel();
            let wa = a.clone();
            std::thread::spawn(move || {
                let r = wa.beside_watcher(|| {
                    let w = wa.writing("test")?;
                    w.boxes_changed();
                    Ok(())
                });
                let _ = tx.send(r.is_ok());
            });
            assert_eq!(
                rx.recv_timeout(std::time::Duration::from_secs(30)),
                Ok(true),
                "the write got its turn"
            );
        }
        assert_eq!(a.generation(), 2);
        stop.store(true, Ordering::SeqCst);
        watcher.join().unwrap().unwrap();
        // The writer lock is released once the watcher stopped.
        drop(a.writing("after").unwrap());
    }
}
