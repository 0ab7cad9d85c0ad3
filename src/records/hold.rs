//! Holds (legal or administrative): a hold on a document or a case blocks its disposal
//! until released. Kept in `ROOT/holds.toml` (open format); every change is audited.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::document::CaseKey;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hold {
    pub number: u32,
    /// A document id (SHA-256) or a case key (`02-03/2019/ПК-2019-017`).
    pub target: String,
    pub target_kind: TargetKind,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Document,
    Case,
}

impl Hold {
    pub fn active(&self) -> bool {
        self.released_at.is_none()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Holds {
    #[serde(default, rename = "hold")]
    pub holds: Vec<Hold>,
}

pub fn path(root: &Path) -> PathBuf {
    root.join("holds.toml")
}

impl Holds {
    pub fn load(root: &Path) -> Result<Holds> {
        let p = path(root);
        match std::fs::read_to_string(&p) {
            Ok(t) => toml::from_str(&t)
                .with_context(|| format!("{} is not valid; fix or restore it", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Holds::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
        }
    }

    pub fn save(&self, root: &Path) -> Result<()> {
        let text = format!(
            "# Holds on documents and cases: while a hold is active, nothing it covers is destroyed.\n# Managed by `archivist hold`; every change is in the audit log.\n\n{}",
            toml::to_string_pretty(self)?
        );
        crate::store::fsutil::write_atomic(&path(root), text.as_bytes(), true)
            .with_context(|| format!("cannot write {}", path(root).display()))
    }

    pub fn active(&self) -> impl Iterator<Item = &Hold> {
        self.holds.iter().filter(|h| h.active())
    }

    pub fn add(
        &mut self,
        target: String,
        target_kind: TargetKind,
        reason: String,
        by: String,
    ) -> Hold {
        let number = self.holds.iter().map(|h| h.number).max().unwrap_or(0) + 1;
        let h = Hold {
            number,
            target,
            target_kind,
            reason,
            created_at: Utc::now(),
            created_by: by,
            released_at: None,
            released_by: None,
            release_reason: None,
        };
        self.holds.push(h.clone());
        h
    }

    /// Releases the active holds matching a hold number or a target.
    pub fn release(&mut self, what: &str, reason: String, by: String) -> Vec<Hold> {
        let n: Option<u32> = what.trim_start_matches('#').parse().ok();
        let mut out = Vec::new();
        for h in self.holds.iter_mut().filter(|h| h.active()) {
            if Some(h.number) == n || h.target == what {
                h.released_at = Some(Utc::now());
                h.released_by = Some(by.clone());
                h.release_reason = Some(reason.clone());
                out.push(h.clone());
            }
        }
        out
    }

    /// Case key → numbers of the active holds covering it. `case_of` maps a document id
    /// to its case (from the index).
    pub fn by_case(&self, case_of: impl Fn(&str) -> Option<CaseKey>) -> BTreeMap<String, Vec<u32>> {
        let mut m: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for h in self.active() {
            let key = match h.target_kind {
                TargetKind::Case => Some(h.target.clone()),
                TargetKind::Document => case_of(&h.target).map(|k| k.to_string()),
            };
            if let Some(k) = key {
                m.entry(k).or_default().push(h.number);
            }
        }
        m
    }

    /// Active holds that cover a document of a case.
    pub fn covering(&self, case: &str, doc: &str) -> Vec<&Hold> {
        self.active()
            .filter(|h| h.target == case || h.target == doc)
            .collect()
    }
}
