//! Receipts: one line for every file the inbox (or `ingest`) sees, with its outcome.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::jsonl;

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
    out: jsonl::Appender,
}

pub fn path(journal_dir: &Path) -> PathBuf {
    journal_dir.join("receipts.jsonl")
}

impl ReceiptLog {
    /// Opens the receipts for appending. A torn last line (a crash mid-append) is moved
    /// to `journal/torn/` first, so the next receipt never merges with it.
    pub fn open(journal_dir: &Path) -> io::Result<ReceiptLog> {
        fs::create_dir_all(journal_dir)?;
        let p = path(journal_dir);
        if let Some(ev) = jsonl::cut_torn_tail(&p, &crate::store::audit::torn_dir(journal_dir))? {
            tracing::warn!(
                "{} ended in a torn line ({} bytes); it was moved to {}",
                p.display(),
                ev.bytes,
                journal_dir.join(&ev.saved_to).display()
            );
        }
        Ok(ReceiptLog {
            out: jsonl::Appender::open(&p)?,
        })
    }

    pub fn path(&self) -> &Path {
        self.out.path()
    }

    /// Appends a batch durably (one fsync), all or nothing.
    pub fn append(&mut self, receipts: &[Receipt]) -> io::Result<()> {
        self.out.append(receipts)
    }
}

/// Every receipt that reads back (damaged lines are reported by `audit verify`).
pub fn read_all(journal_dir: &Path) -> io::Result<Vec<Receipt>> {
    Ok(jsonl::read(&path(journal_dir))?.items)
}
