//! Receipts: one line for every file the inbox (or `ingest`) sees, with its outcome.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Archived,
    Duplicate,
    Review,
    Refused,
    /// Temporary failure (disk full, permission): the file stays where it is and is retried.
    Deferred,
    /// The file disappeared before it could be read; nothing was kept.
    Vanished,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Archived => "archived",
            Outcome::Duplicate => "duplicate",
            Outcome::Review => "review",
            Outcome::Refused => "refused",
            Outcome::Deferred => "deferred",
            Outcome::Vanished => "vanished",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    pub time: DateTime<Utc>,
    pub path: String,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub outcome: Outcome,
    pub reason: String,
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

pub struct ReceiptLog {
    path: PathBuf,
    file: File,
}

impl ReceiptLog {
    pub fn open(journal_dir: &Path) -> io::Result<ReceiptLog> {
        fs::create_dir_all(journal_dir)?;
        let path = journal_dir.join("receipts.jsonl");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(ReceiptLog { path, file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a batch durably (one fsync).
    pub fn append(&mut self, receipts: &[Receipt]) -> io::Result<()> {
        if receipts.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for r in receipts {
            serde_json::to_writer(&mut buf, r).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()
    }
}

pub fn read_all(journal_dir: &Path) -> io::Result<Vec<Receipt>> {
    let f = match File::open(journal_dir.join("receipts.jsonl")) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for line in BufReader::new(f).lines() {
        if let Ok(r) = serde_json::from_str(&line?) {
            out.push(r);
        }
    }
    Ok(out)
}
