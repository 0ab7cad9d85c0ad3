//! The audit log: one JSON line per state change, hash-chained (each record carries the
//! SHA-256 of the previous one), so an edit, deletion or reordering is detectable.
//! `journal/audit.head` holds the last record's [`Anchor`] and every box's `bag-info.txt`
//! the head at its last write, so a cut tail or a deleted log contradicts them. Appends
//! check the tail against the head first and never chain onto a cut tail. The model is
//! described in `docs/INTEGRITY.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::Refused;
use crate::store::archive::Archive;
use crate::store::fsutil;
use crate::store::jsonl;
use crate::store::ledger::{self, Ledger};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRecord {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    pub prev: String,
    #[serde(default)]
    pub hash: String,
}

impl AuditRecord {
    /// The hash covers every field but `hash` itself, in their fixed serialisation order.
    pub fn compute_hash(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.hash = String::new();
        let json = serde_json::to_vec(&unhashed).unwrap_or_default();
        fsutil::sha256_hex(&json)
    }
}

/// A change to record; [`AuditLog::append`] fills seq, time, actor and the chain.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub action: String,
    pub id: Option<String>,
    pub path: Option<String>,
    pub details: serde_json::Value,
}

impl Event {
    pub fn new(action: &str) -> Event {
        Event {
            action: action.into(),
            ..Default::default()
        }
    }
    pub fn id(mut self, id: &str) -> Event {
        self.id = Some(id.into());
        self
    }
    pub fn path(mut self, p: impl Into<String>) -> Event {
        self.path = Some(p.into());
        self
    }
    pub fn details(mut self, d: serde_json::Value) -> Event {
        self.details = d;
        self
    }
}

/// Who acts, as the audit log and the records name them: the operating-system user
/// (`user@host`) for the command line and the watcher, the signed-in user for the web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    pub fn new(name: impl Into<String>) -> Actor {
        Actor(name.into())
    }

    /// The user running this process, `user@host`.
    pub fn system() -> Actor {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let host = fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if host.is_empty() {
            Actor(user)
        } else {
            Actor(format!("{user}@{host}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A point in the chain: a record's sequence number and hash. `audit.head` holds the
/// last one; every box's `bag-info.txt` holds the head at its last write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub seq: u64,
    pub hash: String,
}

impl Anchor {
    /// Before the first record.
    pub fn genesis() -> Anchor {
        Anchor {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }

    fn of(r: &AuditRecord) -> Anchor {
        Anchor {
            seq: r.seq,
            hash: r.hash.clone(),
        }
    }
}

impl std::fmt::Display for Anchor {
    /// `SEQ HASH`, the form `bag-info.txt` and `audit head` use.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Anchor {
    type Err = String;
    fn from_str(s: &str) -> Result<Anchor, String> {
        let mut it = s.split_whitespace();
        let (Some(seq), Some(hash), None) = (it.next(), it.next(), it.next()) else {
            return Err(format!(
                "{s:?} is not an audit anchor: write SEQ HASH, as `archivist audit head` prints it"
            ));
        };
        let seq = seq
            .parse()
            .map_err(|_| format!("{s:?}: {seq:?} is not a record number"))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{s:?}: {hash:?} is not a SHA-256 in hex"));
        }
        Ok(Anchor {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

pub fn log_path(journal_dir: &Path) -> PathBuf {
    journal_dir.join("audit.jsonl")
}

pub fn head_path(journal_dir: &Path) -> PathBuf {
    journal_dir.join("audit.head")
}

/// Where repairs keep the bytes they take out of a journal.
pub fn torn_dir(journal_dir: &Path) -> PathBuf {
    journal_dir.join("torn")
}

/// The head as `audit.head` records it (`None` when the file is absent).
pub fn read_head(journal_dir: &Path) -> Result<Option<Anchor>> {
    let p = head_path(journal_dir);
    match fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            Refused(format!(
                "{} is not valid ({e}); run `archivist audit verify`, then `archivist audit repair`",
                p.display()
            ))
            .into()
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

fn write_head(journal_dir: &Path, a: &Anchor) -> Result<()> {
    let p = head_path(journal_dir);
    let bytes = serde_json::to_vec(a)?;
    fsutil::write_atomic(&p, &bytes, true).with_context(|| format!("cannot write {}", p.display()))
}

/// How the end of the log stands against its head.
#[derive(Debug, Clone, PartialEq)]
enum Tail {
    /// No log and no head: a new archive.
    Fresh,
    /// The last record (genesis for an empty log) is the head, possibly with torn bytes
    /// after it (an append interrupted by a crash or a full disk). `head_missing` only
    /// for a first append torn before any head was written.
    AtHead {
        last: Anchor,
        torn: u64,
        head_missing: bool,
    },
    /// The log goes on past the head with an intact chain: a crash came between an
    /// append and the head's update.
    PastHead { last: Anchor, torn: u64 },
    /// Records are missing or the head does not match: never healed automatically.
    Broken(String),
}

fn parse_record(bytes: &[u8]) -> std::result::Result<AuditRecord, String> {
    let r: AuditRecord = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if r.compute_hash() != r.hash {
        return Err(format!("record {} was changed after it was written", r.seq));
    }
    Ok(r)
}

/// Reads the end of the log and the head (cheap: the tail of the file and one small
/// file), scanning the log only when it runs past the head.
fn check_tail(journal_dir: &Path) -> Result<Tail> {
    let path = log_path(journal_dir);
    let t = jsonl::tail(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let head = read_head(journal_dir)?;
    let last = match jsonl::last_line(&path)? {
        None => None,
        Some(line) => match parse_record(&line) {
            Ok(r) => Some(Anchor::of(&r)),
            Err(e) => {
                return Ok(Tail::Broken(format!(
                    "the last complete record of {} is damaged ({e})",
                    path.display()
                )));
            }
        },
    };
    let torn = t.torn();
    Ok(match (last, head) {
        (None, None) if torn == 0 => Tail::Fresh,
        (None, None) => Tail::AtHead {
            last: Anchor::genesis(),
            torn,
            head_missing: true,
        },
        (None, Some(h)) if h.seq == 0 => Tail::AtHead {
            last: h,
            torn,
            head_missing: false,
        },
        (None, Some(h)) => Tail::Broken(format!(
            "the audit log {} is empty or missing, but audit.head names record {} ({}): its records were removed",
            path.display(),
            h.seq,
            short(&h.hash)
        )),
        (Some(l), None) => Tail::Broken(format!(
            "audit.head is missing while the log ends at record {} ({}): the head was deleted, so a cut tail could not be told",
            l.seq,
            short(&l.hash)
        )),
        (Some(l), Some(h)) if l == h => Tail::AtHead {
            last: l,
            torn,
            head_missing: false,
        },
        (Some(l), Some(h)) if h.seq < l.seq && chain_contains(&path, &h)? => {
            Tail::PastHead { last: l, torn }
        }
        (Some(l), Some(h)) => Tail::Broken(format!(
            "audit.head names record {} ({}) but the log ends at record {} ({}): records at the end were removed or replaced",
            h.seq,
            short(&h.hash),
            l.seq,
            short(&l.hash)
        )),
    })
}

/// True when the log holds record `a.seq` with hash `a.hash`.
fn chain_contains(path: &Path, a: &Anchor) -> Result<bool> {
    let mut found = false;
    let needle = format!("\"seq\":{},", a.seq);
    jsonl::for_each_line(path, |l| {
        if !found
            && l.complete
            && memchr::memmem::find(l.bytes, needle.as_bytes()).is_some()
            && let Ok(r) = parse_record(l.bytes)
            && r.seq == a.seq
        {
            found = r.hash == a.hash;
        }
        Ok(())
    })?;
    Ok(found)
}

/// Refuses an append or repair on a broken tail, saying what to do.
fn broken(why: String) -> anyhow::Error {
    Refused(format!(
        "{why}. Nothing was written. Run `archivist audit verify` to see the damage; `archivist audit repair` records what can be repaired (and, with --accept-loss, the loss)"
    ))
    .into()
}

pub struct AuditLog {
    journal: PathBuf,
    out: jsonl::Appender,
    last: Anchor,
    actor: String,
    /// The archive's boxes folder, when known: a log found missing while boxes exist
    /// was deleted, and is never started afresh.
    boxes: Option<PathBuf>,
}

impl AuditLog {
    /// Opens the log for appending, after checking its tail against its head (and
    /// healing what a crash leaves: a torn last line, a head left behind). Refuses a log
    /// that lost records. Writers on an archive use [`AuditLog::open_archive`].
    pub fn open(journal_dir: &Path, actor: &Actor) -> Result<AuditLog> {
        Self::open_checked(journal_dir, actor, None)
    }

    /// As [`AuditLog::open`], and refuses to start a new log in an archive that already
    /// has boxes (its log was deleted).
    pub fn open_archive(a: &Archive, actor: &Actor) -> Result<AuditLog> {
        Self::open_checked(&a.journal, actor, Some(&a.boxes))
    }

    fn open_checked(journal_dir: &Path, actor: &Actor, boxes: Option<&Path>) -> Result<AuditLog> {
        fs::create_dir_all(journal_dir)
            .with_context(|| format!("cannot create {}", journal_dir.display()))?;
        let out = jsonl::Appender::open(&log_path(journal_dir))
            .with_context(|| format!("cannot open {}", log_path(journal_dir).display()))?;
        let mut log = AuditLog {
            journal: journal_dir.to_path_buf(),
            out,
            last: Anchor::genesis(),
            actor: actor.0.clone(),
            boxes: boxes.map(Path::to_path_buf),
        };
        log.out.file().lock()?;
        let res = log.ready(false);
        let _ = log.out.file().unlock();
        res?;
        Ok(log)
    }

    /// Brings the tail to the head (under the file lock): writes the first head of a new
    /// log, advances a head left behind, cuts a torn line (recording the repair). A log
    /// that lost records is always refused. When `strict` is false (opening), a repair
    /// that fails (a full disk) is left to the next append, which must succeed at it.
    fn ready(&mut self, strict: bool) -> Result<()> {
        let heal = match check_tail(&self.journal)? {
            Tail::Broken(why) => return Err(broken(why)),
            Tail::Fresh => {
                if self.last.seq > 0 {
                    return Err(broken(format!(
                        "the audit log {} and audit.head were deleted while in use",
                        log_path(&self.journal).display()
                    )));
                }
                if let Some(evidence) = self.prior_activity() {
                    return Err(broken(format!(
                        "{evidence}, but its audit log {} and audit.head are missing: they were deleted",
                        log_path(&self.journal).display()
                    )));
                }
                self.last = Anchor::genesis();
                // The head exists before the first record, so a head is never missing
                // once a log has records (head updates are atomic renames).
                write_head(&self.journal, &Anchor::genesis())
            }
            Tail::AtHead {
                last,
                torn,
                head_missing,
            } => {
                self.last = last.clone();
                let head = if head_missing {
                    write_head(&self.journal, &last)
                } else {
                    Ok(())
                };
                head.and_then(|()| self.cut_torn(torn))
            }
            Tail::PastHead { last, torn } => {
                tracing::warn!(
                    "audit.head was behind the log (a crash between an append and the head's update); advanced to record {}",
                    last.seq
                );
                self.last = last.clone();
                write_head(&self.journal, &last).and_then(|()| self.cut_torn(torn))
            }
        };
        match heal {
            Err(e) if !strict => {
                tracing::warn!("{e:#}; left for the next append");
                Ok(())
            }
            other => other,
        }
    }

    /// What shows that this archive had a log before (boxes, receipts, fixity runs), so
    /// a missing log was deleted and must not be started afresh. Without the archive's
    /// boxes folder, the default layout (`ROOT/journal`, `ROOT/boxes`) is assumed.
    fn prior_activity(&self) -> Option<String> {
        let boxes = self.boxes.clone().or_else(|| {
            let root = self.journal.parent()?;
            Archive::is_initialised(root)
                .then(|| Archive::open(root, None).ok().map(|a| a.boxes))
                .flatten()
        });
        // Boxes with pending placements are an interrupted first batch (written before
        // its records), which recovery completes and records.
        let interrupted = self.journal.join("pending.jsonl").exists();
        if !interrupted
            && let Some(b) = boxes
                .as_deref()
                .and_then(|b| ledger::all_box_dirs(b).into_iter().next())
        {
            return Some(format!("the archive holds boxes ({})", b.display()));
        }
        ["receipts.jsonl", "fixity.jsonl"]
            .iter()
            .map(|n| self.journal.join(n))
            .find(|p| fs::metadata(p).is_ok_and(|m| m.len() > 0))
            .map(|p| format!("{} records earlier work", p.display()))
    }

    /// Cuts a torn last line after a tail found consistent, keeping its bytes and
    /// recording the repair.
    fn cut_torn(&mut self, torn: u64) -> Result<()> {
        if torn == 0 {
            return Ok(());
        }
        let ev = jsonl::cut_torn_tail(&log_path(&self.journal), &torn_dir(&self.journal))?;
        tracing::warn!(
            "the audit log ended in a torn line ({torn} bytes, kept in {}); it was cut off and the repair recorded",
            torn_dir(&self.journal).display()
        );
        self.write_locked(vec![Event::new("audit-repaired").details(json!({
            "automatic": true,
            "reason": "a torn last line (an append interrupted by a crash or a full disk)",
            "torn": ev,
        }))])?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        self.out.path()
    }

    /// The head after this process's last append (or at open): a record in the chain,
    /// written into a box's `bag-info.txt` as its anchor.
    pub fn head(&self) -> Anchor {
        self.last.clone()
    }

    /// Appends events as one durable batch (one write, one fsync), all or nothing. The
    /// file is locked for the append and the tail re-checked against the head under the
    /// lock, so commands that only record (holds) may append while the watcher runs, and
    /// nothing is ever chained onto a cut tail.
    pub fn append(&mut self, events: Vec<Event>) -> Result<Vec<AuditRecord>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.out.file().lock()?;
        let res = self.ready(true).and_then(|()| self.write_locked(events));
        let _ = self.out.file().unlock();
        res
    }

    pub fn append_one(&mut self, e: Event) -> Result<AuditRecord> {
        let mut v = self.append(vec![e])?;
        v.pop()
            .context("internal error: the audit append returned no record")
    }

    fn write_locked(&mut self, events: Vec<Event>) -> Result<Vec<AuditRecord>> {
        let mut out = Vec::with_capacity(events.len());
        let mut prev = self.last.clone();
        for e in events {
            let mut r = AuditRecord {
                seq: prev.seq + 1,
                time: Utc::now(),
                actor: self.actor.clone(),
                action: e.action,
                id: e.id,
                path: e.path,
                details: e.details,
                prev: prev.hash.clone(),
                hash: String::new(),
            };
            r.hash = r.compute_hash();
            prev = Anchor::of(&r);
            out.push(r);
        }
        self.out
            .append(&out)
            .context("the audit log was left as it was")?;
        self.last = prev;
        // The records are durable; a head not updated (disk full) is advanced by the
        // next append, which finds the log past its head with the chain intact.
        if let Err(e) = write_head(&self.journal, &self.last) {
            tracing::warn!("{e:#}; it is brought up to date at the next append");
        }
        Ok(out)
    }
}

/// Every record, in order (damaged lines and a torn tail are left out: `verify` reports
/// them).
pub fn history_all(journal_dir: &Path) -> io::Result<Vec<AuditRecord>> {
    Ok(jsonl::read(&log_path(journal_dir))?.items)
}

/// Every record that names document `id`, in order.
pub fn history(journal_dir: &Path, id: &str) -> io::Result<Vec<AuditRecord>> {
    Ok(history_and_records_of(journal_dir, id, &[])?.0)
}

/// In one pass over the log: every record that names document `id`, and apart, every
/// record of `actions` (a record may be in both), each in order.
pub fn history_and_records_of(
    journal_dir: &Path,
    id: &str,
    actions: &[&str],
) -> io::Result<(Vec<AuditRecord>, Vec<AuditRecord>)> {
    let mut needles = vec![format!("\"id\":\"{id}\"")];
    needles.extend(actions.iter().map(|a| format!("\"action\":\"{a}\"")));
    let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
    let (mut history, mut of_actions) = (Vec::new(), Vec::new());
    scan_matching(journal_dir, &refs, |r| {
        if actions.contains(&r.action.as_str()) {
            of_actions.push(r.clone());
        }
        if r.id.as_deref() == Some(id) {
            history.push(r);
        }
    })?;
    Ok((history, of_actions))
}

/// Streams the records whose line contains one of `needles` (a cheap filter before
/// parsing, e.g. `"action":"hold-`), in order.
pub fn scan_matching(
    journal_dir: &Path,
    needles: &[&str],
    mut f: impl FnMut(AuditRecord),
) -> io::Result<()> {
    let finders: Vec<memchr::memmem::Finder> = needles
        .iter()
        .map(|n| memchr::memmem::Finder::new(n.as_bytes()))
        .collect();
    if !finders.is_empty() {
        return jsonl::for_each_matching(&log_path(journal_dir), &finders, |line| {
            if let Ok(r) = serde_json::from_slice::<AuditRecord>(line) {
                f(r);
            }
            Ok(())
        });
    }
    jsonl::for_each_line(&log_path(journal_dir), |l| {
        if l.complete
            && let Ok(r) = serde_json::from_slice::<AuditRecord>(l.bytes)
        {
            f(r);
        }
        Ok(())
    })
}

/// The records of these actions, in order.
pub fn records_of(journal_dir: &Path, actions: &[&str]) -> io::Result<Vec<AuditRecord>> {
    let needles: Vec<String> = actions
        .iter()
        .map(|a| format!("\"action\":\"{a}\""))
        .collect();
    let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    scan_matching(journal_dir, &refs, |r| {
        if actions.contains(&r.action.as_str()) {
            out.push(r)
        }
    })?;
    Ok(out)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub ok: bool,
    /// What is wrong; each is a reason for exit code 1.
    pub problems: Vec<String>,
    pub last_hash: String,
    /// The head `audit.head` names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Anchor>,
    /// Box anchors (`Audit-Head` in bag-info.txt) found in the chain.
    pub anchors_checked: u64,
    /// Losses accepted earlier with `audit repair --accept-loss`, and repairs: shown,
    /// not failures.
    pub incidents: Vec<String>,
}

/// Checks the whole chain: each record's own hash, its link to the previous one, the
/// sequence, a torn tail, and the head file. `f` sees every intact record.
pub fn verify_with(
    journal_dir: &Path,
    mut f: impl FnMut(&AuditRecord),
) -> io::Result<VerifyReport> {
    let path = log_path(journal_dir);
    let mut rep = VerifyReport::default();
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1u64;
    let problems = &mut rep.problems;
    let mut n = 0u64;
    jsonl::for_each_line(&path, |l| {
        let lineno = l.number;
        if !l.complete {
            problems.push(format!(
                "line {lineno}: a torn last line ({} bytes, an append cut short by a crash or a full disk); `archivist audit repair` moves it out and keeps it",
                l.bytes.len()
            ));
            return Ok(());
        }
        if l.bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        n += 1;
        let r: AuditRecord = match serde_json::from_slice(l.bytes) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {lineno}: not a valid record ({e})"));
                return Ok(());
            }
        };
        if r.seq != expected_seq {
            problems.push(format!(
                "line {lineno}: sequence {} where {} was expected (records removed or reordered)",
                r.seq, expected_seq
            ));
        }
        if r.prev != prev {
            problems.push(format!("line {lineno} (seq {}): link to the previous record is broken (a record before it was changed, removed or reordered)", r.seq));
        }
        let h = r.compute_hash();
        if h != r.hash {
            problems.push(format!(
                "line {lineno} (seq {}): record was changed after it was written (hash {} ≠ {})",
                r.seq,
                short(&r.hash),
                short(&h)
            ));
        } else {
            f(&r);
        }
        prev = r.hash.clone();
        expected_seq = r.seq + 1;
        Ok(())
    })?;
    let last_seq = expected_seq - 1;
    match read_head(journal_dir) {
        Ok(Some(h)) => {
            if h.hash != prev || h.seq != last_seq {
                // A head behind an intact chain is what a crash between an append and
                // the head's update leaves; the next append advances it.
                let behind = h.seq < last_seq && chain_contains(&path, &h).unwrap_or(false);
                if !behind {
                    problems.push(format!(
                        "audit.head names record {} ({}) but the log ends at record {} ({}): records at the end were removed or added outside archivist",
                        h.seq,
                        short(&h.hash),
                        last_seq,
                        short(&prev)
                    ));
                }
            }
            rep.head = Some(h);
        }
        Ok(None) if n > 0 => problems.push(
            "audit.head is missing: without it a cut tail cannot be told (`archivist audit repair` restores it after checking the chain)".into(),
        ),
        Ok(None) => {}
        Err(e) => problems.push(format!("{e:#}")),
    }
    rep.records = n;
    rep.ok = rep.problems.is_empty();
    rep.last_hash = prev;
    Ok(rep)
}

/// Checks the chain alone (see [`verify_archive`] for the checks against the boxes).
pub fn verify(journal_dir: &Path) -> io::Result<VerifyReport> {
    verify_with(journal_dir, |_| {})
}

/// The chain, and the chain against the archive: every box's anchor is in the chain,
/// every document in the boxes has its records and every recorded document is in the
/// boxes ([`ledger`]), the journals the log implies exist, and (when given) an anchor
/// kept outside the archive is in the chain.
pub fn verify_archive(a: &Archive, outside: Option<&Anchor>) -> Result<VerifyReport> {
    let anchors = ledger::box_anchors(a)?;
    let mut wanted: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
    for (box_rel, an) in &anchors {
        wanted
            .entry(an.seq)
            .or_default()
            .push((box_rel.clone(), an.hash.clone()));
    }
    if let Some(o) = outside {
        wanted
            .entry(o.seq)
            .or_default()
            .push(("(the anchor given)".into(), o.hash.clone()));
    }
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    // A box written before the first record anchors at the genesis.
    if let Some(ws) = wanted.get(&0) {
        for (b, h) in ws {
            if h == GENESIS {
                found.insert((b.clone(), h.clone()));
            }
        }
    }
    let mut led = Ledger::default();
    let mut accepted: Vec<AuditRecord> = Vec::new();
    let mut incidents = Vec::new();
    let mut rep = verify_with(&a.journal, |r| {
        if let Some(ws) = wanted.get(&r.seq) {
            for (b, h) in ws {
                if *h == r.hash {
                    found.insert((b.clone(), h.clone()));
                }
            }
        }
        match r.action.as_str() {
            "audit-loss-accepted" => {
                incidents.push(format!(
                    "record {} ({}): {} accepted the loss of audit records: {}",
                    r.seq,
                    r.time.format("%Y-%m-%d %H:%M"),
                    r.actor,
                    r.details
                        .get("summary")
                        .and_then(|s| s.as_str())
                        .unwrap_or("")
                ));
                accepted.push(r.clone());
            }
            "audit-repaired" => incidents.push(format!(
                "record {} ({}): repaired by {}: {}",
                r.seq,
                r.time.format("%Y-%m-%d %H:%M"),
                r.actor,
                r.details
                    .get("reason")
                    .and_then(|s| s.as_str())
                    .unwrap_or("")
            )),
            _ => {}
        }
        led.feed(r);
    })?;
    for (seq, ws) in &wanted {
        for (b, h) in ws {
            if found.contains(&(b.clone(), h.clone())) {
                continue;
            }
            if accepted.iter().any(|r| loss_covers(r, b, *seq, h)) {
                continue;
            }
            rep.problems.push(if b.starts_with('(') {
                format!(
                    "the anchor given (record {seq}, {}) is not in the audit log: the log was rewritten or cut since it was taken",
                    short(h)
                )
            } else {
                format!(
                    "box {b} was written when the log's head was record {seq} ({}), which the log does not hold: records were removed or the log replaced",
                    short(h)
                )
            });
        }
    }
    rep.anchors_checked = found.len() as u64;
    rep.problems.extend(led.compare(a)?);
    rep.problems.extend(led.journals(a)?);
    rep.incidents = incidents;
    rep.ok = rep.problems.is_empty();
    Ok(rep)
}

/// True when an accepted loss listed this anchor as contradicted.
fn loss_covers(r: &AuditRecord, box_rel: &str, seq: u64, hash: &str) -> bool {
    r.details
        .get("anchors")
        .and_then(|v| v.as_array())
        .is_some_and(|xs| {
            xs.iter().any(|x| {
                x.get("box").and_then(|v| v.as_str()) == Some(box_rel)
                    && x.get("seq").and_then(|v| v.as_u64()) == Some(seq)
                    && x.get("hash").and_then(|v| v.as_str()) == Some(hash)
            })
        })
}

/// What `audit repair` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairReport {
    /// One line per action taken.
    pub repaired: Vec<String>,
    /// Bytes taken out of journals, kept in `journal/torn/`.
    pub evidence: Vec<jsonl::Evidence>,
    /// The audit records of the repair.
    pub records: Vec<AuditRecord>,
}

/// The audited repair of the journals (the caller holds the writer lock):
///
/// - torn or damaged lines of receipts and fixity history are moved to `journal/torn/`;
/// - a torn last line of the audit log is cut off and kept;
/// - a missing or stale head is restored once the whole chain verified;
/// - a log that lost records (shorter than its head, or contradicting box anchors, or
///   missing while boxes exist) is refused unless `accept_loss`: then the loss is
///   recorded (`audit-loss-accepted`) and documents found in the boxes without records
///   are adopted (`archived`/`destroyed` records marked `"adopted": true`).
///
/// An edited or reordered record in the middle of the chain is never repaired: the log
/// must be restored from a backup.
pub fn repair(a: &Archive, actor: &Actor, accept_loss: bool) -> Result<RepairReport> {
    let journal = &a.journal;
    fs::create_dir_all(journal).with_context(|| format!("cannot create {}", journal.display()))?;
    let mut rep = RepairReport::default();
    let mut events = Vec::new();
    for name in ["receipts.jsonl", "fixity.jsonl"] {
        let p = journal.join(name);
        if let Some(ev) = jsonl::remove_damaged(&p, &torn_dir(journal))
            .with_context(|| format!("cannot repair {}", p.display()))?
        {
            rep.repaired.push(format!(
                "{name}: {} byte(s) of torn or damaged lines moved to {}",
                ev.bytes, ev.saved_to
            ));
            events.push(Event::new("audit-repaired").details(json!({
                "reason": format!("torn or damaged lines of {name} moved out"), "torn": ev,
            })));
            rep.evidence.push(ev);
        }
    }
    let out = jsonl::Appender::open(&log_path(journal))?;
    out.file().lock()?;
    let res = repair_log(a, actor, accept_loss, &mut rep, events);
    let _ = out.file().unlock();
    res?;
    Ok(rep)
}

fn repair_log(
    a: &Archive,
    actor: &Actor,
    accept_loss: bool,
    rep: &mut RepairReport,
    mut events: Vec<Event>,
) -> Result<()> {
    let journal = &a.journal;
    let path = log_path(journal);
    if let Some(ev) = jsonl::cut_torn_tail(&path, &torn_dir(journal))? {
        rep.repaired.push(format!(
            "audit.jsonl: a torn last line ({} bytes) cut off and kept in {}",
            ev.bytes, ev.saved_to
        ));
        events.push(Event::new("audit-repaired").details(json!({
            "reason": "a torn last line (an append cut short by a crash or a full disk)", "torn": ev,
        })));
        rep.evidence.push(ev);
    }
    let chain = verify(journal)?;
    let middle: Vec<&String> = chain
        .problems
        .iter()
        .filter(|p| p.starts_with("line "))
        .collect();
    if !middle.is_empty() {
        return Err(Refused(format!(
            "the audit chain itself is broken ({}); an edited or reordered record cannot be repaired: restore {} from a backup",
            middle.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "),
            path.display()
        ))
        .into());
    }
    let end = match jsonl::last_line(&path)? {
        Some(l) => Anchor::of(&parse_record(&l).map_err(anyhow::Error::msg)?),
        None => Anchor::genesis(),
    };
    let head = read_head(journal).unwrap_or(None);
    let full = verify_archive(a, None)?;
    let lost: Vec<&String> = full
        .problems
        .iter()
        .filter(|p| {
            p.starts_with("audit.head names")
                || p.starts_with("box ")
                || p.contains("has no `archived` record")
                || p.contains("has no `destroyed` record")
        })
        .collect();
    let head_ahead = head
        .as_ref()
        .is_some_and(|h| h.seq > end.seq || (h.seq == end.seq && h.hash != end.hash));
    let log_missing = chain.records == 0 && !ledger::all_box_dirs(&a.boxes).is_empty();
    if head_ahead || log_missing || !lost.is_empty() {
        let summary = format!(
            "the log ends at record {} ({}); audit.head named {}; {} contradiction(s) with the boxes, the first: {}",
            end.seq,
            short(&end.hash),
            head.as_ref()
                .map(|h| format!("record {} ({})", h.seq, short(&h.hash)))
                .unwrap_or_else(|| "nothing (missing)".into()),
            lost.len(),
            lost.first().map(|s| s.as_str()).unwrap_or("none")
        );
        if !accept_loss {
            return Err(Refused(format!(
                "the audit log lost records: {summary}. Restore journal/ from a backup; or, if that is not possible, record the loss with `archivist audit repair --accept-loss` (it stays visible in `audit verify`)"
            ))
            .into());
        }
        let contradicted: Vec<serde_json::Value> = ledger::box_anchors(a)?
            .into_iter()
            .map(|(b, an)| json!({"box": b, "seq": an.seq, "hash": an.hash}))
            .collect();
        events.push(Event::new("audit-loss-accepted").details(json!({
            "summary": summary,
            "contradictions": lost,
            "log_end": end,
            "head_was": head,
            "anchors": contradicted,
        })));
        events.extend(ledger::adoptions(a, journal)?);
        rep.repaired
            .push(format!("loss of audit records accepted: {summary}"));
    } else if head.as_ref() != Some(&end) {
        rep.repaired.push(format!(
            "audit.head restored to record {} ({})",
            end.seq,
            short(&end.hash)
        ));
        events.push(Event::new("audit-repaired").details(json!({
            "reason": "audit.head restored after the whole chain verified",
            "head_was": head, "head": end,
        })));
    }
    write_head(journal, &end)?;
    if events.is_empty() {
        return Ok(());
    }
    let mut log = AuditLog {
        journal: journal.to_path_buf(),
        out: jsonl::Appender::open(&path)?,
        last: end,
        actor: actor.0.clone(),
        boxes: Some(a.boxes.clone()),
    };
    rep.records = log.write_locked(events)?;
    Ok(())
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_detects_edit_delete_reorder_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path(), &Actor::new("test")).unwrap();
        for i in 0..5 {
            log.append_one(Event::new("archived").id(&format!("doc{i}")))
                .unwrap();
        }
        drop(log);
        assert!(verify(dir.path()).unwrap().ok);
        // Reopen continues the chain.
        let mut log = AuditLog::open(dir.path(), &Actor::new("test")).unwrap();
        log.append_one(Event::new("archived").id("doc5")).unwrap();
        let rep = verify(dir.path()).unwrap();
        assert!(rep.ok, "{:?}", rep.problems);
        assert_eq!(rep.records, 6);

        let p = dir.path().join("audit.jsonl");
        let orig = fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = orig.lines().collect();

        fs::write(&p, orig.replacen("doc2", "docX", 1)).unwrap();
        assert!(!verify(dir.path()).unwrap().ok, "edit");

        let mut del = lines.clone();
        del.remove(2);
        fs::write(&p, del.join("\n") + "\n").unwrap();
        assert!(!verify(dir.path()).unwrap().ok, "delete");

        let mut re = lines.clone();
        re.swap(1, 2);
        fs::write(&p, re.join("\n") + "\n").unwrap();
        assert!(!verify(dir.path()).unwrap().ok, "reorder");

        fs::write(&p, lines[..5].join("\n") + "\n").unwrap();
        assert!(!verify(dir.path()).unwrap().ok, "truncate tail");

        fs::write(&p, orig).unwrap();
        assert!(verify(dir.path()).unwrap().ok);
        assert_eq!(history(dir.path(), "doc3").unwrap().len(), 1);
    }
}
