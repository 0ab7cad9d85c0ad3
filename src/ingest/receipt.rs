//! Receipts as the pipeline writes them: the [`Subject`] (the input with its hash and size
//! once known) and a builder, `Receipt::new(&subject, Outcome::Deferred, reason).to(dest)`,
//! in the manner of the audit log's `Event`; and the counts by outcome for summaries.

use chrono::Utc;
use serde::Serialize;

use crate::ingest::input::Input;
use crate::ingest::source::Identity;
use crate::store::receipts::{Outcome, Receipt};

/// A file being ingested, with what is known of it so far.
#[derive(Debug, Clone)]
pub struct Subject {
    pub input: Input,
    pub sha: Option<String>,
    pub size: Option<u64>,
    /// The file as it was read (or seen, for links and special files): a source is only
    /// removed or moved if it is still this file.
    pub seen: Option<Identity>,
}

impl Subject {
    pub fn new(input: Input) -> Subject {
        Subject {
            input,
            sha: None,
            size: None,
            seen: None,
        }
    }
}

impl Receipt {
    pub fn new(subject: &Subject, outcome: Outcome, reason: impl Into<String>) -> Receipt {
        Receipt {
            time: Utc::now(),
            path: subject.input.display.clone(),
            size: subject.size,
            sha256: subject.sha.clone(),
            outcome,
            reason: reason.into(),
            destination: None,
            id: None,
        }
    }

    /// Where the file went (archive-relative).
    pub fn to(mut self, destination: impl Into<String>) -> Receipt {
        self.destination = Some(destination.into());
        self
    }

    /// The archived document's id.
    pub fn id(mut self, id: impl Into<String>) -> Receipt {
        self.id = Some(id.into());
        self
    }
}

/// Counts by outcome, for summaries.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub archived: usize,
    pub duplicate: usize,
    pub review: usize,
    pub refused: usize,
    pub deferred: usize,
    pub vanished: usize,
}

impl Summary {
    pub fn add(&mut self, r: &Receipt) {
        match r.outcome {
            Outcome::Archived => self.archived += 1,
            Outcome::Duplicate => self.duplicate += 1,
            Outcome::Review => self.review += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::Deferred => self.deferred += 1,
            Outcome::Vanished => self.vanished += 1,
        }
    }
    pub fn total(&self) -> usize {
        self.archived + self.duplicate + self.review + self.refused + self.deferred + self.vanished
    }
}
