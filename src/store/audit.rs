//! The audit log: one JSON line per state change, hash-chained (each record carries the
//! SHA-256 of the previous one), so an edit, deletion or reordering is detectable.
//! `journal/audit.head` holds the last record's hash, which catches a truncated tail.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::fsutil;

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

pub struct AuditLog {
    path: PathBuf,
    head_path: PathBuf,
    file: File,
    last_seq: u64,
    last_hash: String,
    actor: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: String,
}

impl AuditLog {
    /// Opens the log for appending (the caller holds the archive's writer lock).
    pub fn open(journal_dir: &Path, actor: &Actor) -> io::Result<AuditLog> {
        fs::create_dir_all(journal_dir)?;
        let path = journal_dir.join("audit.jsonl");
        let head_path = journal_dir.join("audit.head");
        let (last_seq, last_hash) = match last_record(&path)? {
            Some(r) => (r.seq, r.hash),
            None => (0, GENESIS.to_string()),
        };
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(AuditLog {
            path,
            head_path,
            file,
            last_seq,
            last_hash,
            actor: actor.0.clone(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends events as one durable batch (one fsync). The file is locked for the append
    /// and the chain's head re-read under the lock, so commands that only record (e.g.
    /// holds) may append while the watcher runs.
    pub fn append(&mut self, events: Vec<Event>) -> io::Result<Vec<AuditRecord>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.file.lock()?;
        let res = self.append_locked(events);
        let _ = self.file.unlock();
        res
    }

    fn append_locked(&mut self, events: Vec<Event>) -> io::Result<Vec<AuditRecord>> {
        if let Some(r) = last_record(&self.path)? {
            self.last_seq = r.seq;
            self.last_hash = r.hash;
        }
        let mut out = Vec::with_capacity(events.len());
        let mut buf = Vec::new();
        let (mut seq, mut prev) = (self.last_seq, self.last_hash.clone());
        for e in events {
            seq += 1;
            let mut r = AuditRecord {
                seq,
                time: Utc::now(),
                actor: self.actor.clone(),
                action: e.action,
                id: e.id,
                path: e.path,
                details: e.details,
                prev: prev.clone(),
                hash: String::new(),
            };
            r.hash = r.compute_hash();
            prev = r.hash.clone();
            serde_json::to_writer(&mut buf, &r).map_err(io::Error::other)?;
            buf.push(b'\n');
            out.push(r);
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        self.last_seq = seq;
        self.last_hash = prev;
        let head = serde_json::to_vec(&Head {
            seq,
            hash: self.last_hash.clone(),
        })
        .map_err(io::Error::other)?;
        fsutil::write_atomic(&self.head_path, &head, true)?;
        Ok(out)
    }

    pub fn append_one(&mut self, e: Event) -> io::Result<AuditRecord> {
        let mut v = self.append(vec![e])?;
        v.pop()
            .ok_or_else(|| io::Error::other("audit append returned no record"))
    }
}

/// The last well-formed record, reading only the tail of the file.
fn last_record(path: &Path) -> io::Result<Option<AuditRecord>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let mut window = 64 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        f.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        f.read_to_end(&mut tail)?;
        let text = String::from_utf8_lossy(&tail);
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if start > 0 && !lines.is_empty() {
            lines.remove(0); // may be cut in the middle
        }
        if let Some(l) = lines.last() {
            return serde_json::from_str(l).map(Some).map_err(|e| {
                io::Error::other(format!(
                    "the last audit record in {} is not valid JSON ({e}); run `archivist audit verify`",
                    path.display()
                ))
            });
        }
        if start == 0 {
            return Ok(None);
        }
        window *= 4;
    }
}

#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub ok: bool,
    pub problems: Vec<String>,
    pub last_hash: String,
}

/// Checks the whole chain: each record's own hash, its link to the previous one, the
/// sequence, and the head file.
pub fn verify(journal_dir: &Path) -> io::Result<VerifyReport> {
    let path = journal_dir.join("audit.jsonl");
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1u64;
    let mut n = 0u64;
    match File::open(&path) {
        Ok(f) => {
            for (i, line) in BufReader::new(f).lines().enumerate() {
                let line = line?;
                let lineno = i + 1;
                if line.trim().is_empty() {
                    continue;
                }
                n += 1;
                let r: AuditRecord = match serde_json::from_str(&line) {
                    Ok(r) => r,
                    Err(e) => {
                        problems.push(format!("line {lineno}: not a valid record ({e})"));
                        continue;
                    }
                };
                if r.seq != expected_seq {
                    problems.push(format!("line {lineno}: sequence {} where {} was expected (records removed or reordered)", r.seq, expected_seq));
                }
                if r.prev != prev {
                    problems.push(format!("line {lineno} (seq {}): link to the previous record is broken (a record before it was changed, removed or reordered)", r.seq));
                }
                let h = r.compute_hash();
                if h != r.hash {
                    problems.push(format!("line {lineno} (seq {}): record was changed after it was written (hash {} ≠ {})", r.seq, short(&r.hash), short(&h)));
                }
                prev = r.hash.clone();
                expected_seq = r.seq + 1;
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    match fs::read(journal_dir.join("audit.head")) {
        Ok(b) => match serde_json::from_slice::<Head>(&b) {
            Ok(h) if h.hash == prev && h.seq + 1 == expected_seq => {}
            Ok(h) => problems.push(format!(
                "audit.head names record {} ({}) but the log ends at record {} ({}): records at the end were removed or added outside archivist",
                h.seq,
                short(&h.hash),
                expected_seq - 1,
                short(&prev)
            )),
            Err(e) => problems.push(format!("audit.head is not valid ({e})")),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if n > 0 {
                problems.push("audit.head is missing".into());
            }
        }
        Err(e) => return Err(e),
    }
    Ok(VerifyReport {
        records: n,
        ok: problems.is_empty(),
        problems,
        last_hash: prev,
    })
}

/// Every record that names document `id`, in order.
pub fn history(journal_dir: &Path, id: &str) -> io::Result<Vec<AuditRecord>> {
    Ok(history_all(journal_dir)?
        .into_iter()
        .filter(|r| r.id.as_deref() == Some(id))
        .collect())
}

/// Every record, in order.
pub fn history_all(journal_dir: &Path) -> io::Result<Vec<AuditRecord>> {
    let f = match File::open(journal_dir.join("audit.jsonl")) {
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
