//! The expert commission's review of a destruction act before it is approved: members
//! comment on the act, a case or a document, propose exclusions, and sign off; the chair
//! approves only when every member has signed off the act as it stands and no exclusion
//! is pending. Kept in `ROOT/acts/<N>/review.jsonl` (one JSON line per entry, appended
//! under a lock and fsynced); every entry is audited.
//!
//! An exclusion is a proposal: to take a case or document out of the act, an archivist
//! places a hold on it, and the act — which then no longer matches the archive — is
//! redrafted (approval of the old one is refused with the reason).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::users::Role;
use super::{Actor, Archivist};
use crate::error::{Invalid, NotFound, Refused, Result};
use crate::records::act::{self, Act, State};
use crate::store::audit::{AuditLog, Event};
use crate::store::fsutil;

/// What a review entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Comment,
    /// A proposal to take the target out of the act.
    Exclude,
    /// "Reviewed, no objection" to the act as it stands (its digest).
    SignOff,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewEntry {
    pub time: DateTime<Utc>,
    pub user: String,
    pub kind: EntryKind,
    /// A case key (`02-03/2019/ПК-2019-017`), a document id, or none (the whole act).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The act's content when the entry was made (see [`act_digest`]).
    pub act_digest: String,
}

/// The review of one act as it stands.
#[derive(Debug, Clone, Serialize)]
pub struct ActReview {
    pub act: u32,
    pub digest: String,
    pub entries: Vec<ReviewEntry>,
    /// Commission members (role commission, enabled) and whether each signed off the act
    /// as it stands.
    pub members: Vec<(String, Option<DateTime<Utc>>)>,
    /// The chairs (role chair, enabled).
    pub chairs: Vec<String>,
    /// Exclusion proposals.
    pub exclusions: Vec<ReviewEntry>,
}

impl ActReview {
    /// Why the act cannot be approved yet (empty: it can).
    pub fn blockers(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.members.is_empty() {
            v.push(
                "no commission members are registered (add users with --role commission)"
                    .to_string(),
            );
        }
        let missing: Vec<&str> = self
            .members
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(n, _)| n.as_str())
            .collect();
        if !missing.is_empty() {
            v.push(format!("not yet signed off by: {}", missing.join(", ")));
        }
        for e in &self.exclusions {
            v.push(format!(
                "{} proposed to exclude {}{}; place a hold on it and draft a new act",
                e.user,
                e.target.as_deref().unwrap_or("the act"),
                if e.text.is_empty() {
                    String::new()
                } else {
                    format!(" («{}»)", e.text)
                }
            ));
        }
        v
    }
}

/// A digest of what an act lists (cases and documents with their hashes), unchanged by
/// approval or execution: a sign-off is for this content.
pub fn act_digest(a: &Act) -> String {
    let mut s = String::new();
    for c in &a.cases {
        s.push_str(&c.key);
        s.push('\n');
        for d in &c.documents {
            s.push_str(&d.id);
            s.push(' ');
            s.push_str(&d.sha256);
            s.push('\n');
        }
    }
    fsutil::sha256_hex(s.as_bytes())
}

fn review_path(a: &Archivist, n: u32) -> PathBuf {
    act::act_dir(a.archive(), n).join("review.jsonl")
}

fn read_entries(p: &Path) -> Result<Vec<ReviewEntry>> {
    let f = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot read {}", p.display()))
                .into());
        }
    };
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", p.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        // A line cut by a crash is the last one; anything else damaged is reported.
        match serde_json::from_str(&line) {
            Ok(e) => out.push(e),
            Err(e) => tracing::warn!("{}, line {}: {e}; skipped", p.display(), i + 1),
        }
    }
    Ok(out)
}

impl Archivist {
    /// The commission's review of act № `n` as it stands.
    pub fn act_review(&self, n: u32) -> Result<ActReview> {
        let act = self.load_act(n)?;
        let digest = act_digest(&act);
        let entries = read_entries(&review_path(self, n))?;
        let users = self.user_list()?;
        let members = users
            .iter()
            .filter(|u| u.role == Role::Commission && !u.disabled)
            .map(|u| {
                let signed = entries
                    .iter()
                    .rev()
                    .find(|e| {
                        e.user == u.name && e.kind == EntryKind::SignOff && e.act_digest == digest
                    })
                    .map(|e| e.time);
                (u.name.clone(), signed)
            })
            .collect();
        let chairs = users
            .iter()
            .filter(|u| u.role == Role::Chair && !u.disabled)
            .map(|u| u.name.clone())
            .collect();
        let exclusions = entries
            .iter()
            .filter(|e| e.kind == EntryKind::Exclude)
            .cloned()
            .collect();
        Ok(ActReview {
            act: n,
            digest,
            entries,
            members,
            chairs,
            exclusions,
        })
    }

    /// A member's comment on the act, one of its cases or documents; with `exclude`, a
    /// proposal to take that case or document out of the act.
    pub fn act_comment(
        &self,
        n: u32,
        target: Option<&str>,
        text: &str,
        exclude: bool,
        actor: &Actor,
    ) -> Result<ReviewEntry> {
        let act = self.reviewable_act(n, actor)?;
        let target = target.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = target {
            let known = act
                .cases
                .iter()
                .any(|c| c.key == t || c.documents.iter().any(|d| d.id == t));
            if !known {
                return Err(Invalid(format!("act № {n} lists no case or document {t:?}")).into());
            }
        }
        let text = text.trim();
        if text.is_empty() && !exclude {
            return Err(Invalid("write the comment".into()).into());
        }
        if exclude && target.is_none() {
            return Err(Invalid("say which case or document to exclude".into()).into());
        }
        let kind = if exclude {
            EntryKind::Exclude
        } else {
            EntryKind::Comment
        };
        self.append_review(n, &act, kind, target, text, actor)
    }

    /// A member's sign-off: reviewed, no objection, for the act as it stands.
    pub fn act_sign_off(&self, n: u32, actor: &Actor) -> Result<ReviewEntry> {
        let act = self.reviewable_act(n, actor)?;
        self.append_review(n, &act, EntryKind::SignOff, None, "", actor)
    }

    /// The chair's approval with the commission's protocol: refused unless every member
    /// signed off the act as it stands, no exclusion is pending, and the act still
    /// matches the archive (then the reasons are in the error).
    pub fn act_approve(
        &self,
        n: u32,
        protocol_number: &str,
        protocol_date: NaiveDate,
        actor: &Actor,
    ) -> Result<Act> {
        let me = self.commission_user(actor)?;
        if me.role != Role::Chair {
            return Err(Refused(format!(
                "{} is not the commission's chair; only the chair approves an act",
                me.name
            ))
            .into());
        }
        let number = protocol_number.trim().trim_start_matches('№').trim();
        if number.is_empty() {
            return Err(Invalid("give the number of the commission's protocol".into()).into());
        }
        let review = self.act_review(n)?;
        let blockers = review.blockers();
        if !blockers.is_empty() {
            return Err(Refused(format!(
                "act № {n} cannot be approved yet: {}",
                blockers.join("; ")
            ))
            .into());
        }
        let protocol = format!("№ {number} от {}", protocol_date.format("%d.%m.%Y"));
        Ok(self.disposal_approve(n, &protocol, &me.name, actor)?.act)
    }

    fn load_act(&self, n: u32) -> Result<Act> {
        act::load(self.archive(), n).map_err(|e| NotFound(format!("{e:#}")).into())
    }

    /// The act, if it is a draft and the actor may review it.
    fn reviewable_act(&self, n: u32, actor: &Actor) -> Result<Act> {
        self.commission_user(actor)?;
        let act = self.load_act(n)?;
        if act.state != State::Draft {
            return Err(Refused(format!(
                "act № {n} is no longer a draft; its review is closed"
            ))
            .into());
        }
        Ok(act)
    }

    fn commission_user(&self, actor: &Actor) -> Result<super::users::UserInfo> {
        match self.user(actor.as_str()) {
            Ok(u) if !u.disabled && matches!(u.role, Role::Commission | Role::Chair) => Ok(u),
            _ => Err(Refused(format!("{actor} is not a member of the expert commission")).into()),
        }
    }

    fn append_review(
        &self,
        n: u32,
        act: &Act,
        kind: EntryKind,
        target: Option<&str>,
        text: &str,
        actor: &Actor,
    ) -> Result<ReviewEntry> {
        let entry = ReviewEntry {
            time: Utc::now(),
            user: actor.to_string(),
            kind,
            target: target.map(str::to_string),
            text: text.to_string(),
            act_digest: act_digest(act),
        };
        let p = review_path(self, n);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .with_context(|| format!("cannot open {}", p.display()))?;
        f.lock()
            .with_context(|| format!("cannot lock {}", p.display()))?;
        let mut line = serde_json::to_vec(&entry).context("cannot serialise the entry")?;
        line.push(b'\n');
        f.write_all(&line)
            .and_then(|_| f.sync_data())
            .with_context(|| format!("cannot write {}", p.display()))?;
        drop(f);
        let action = match kind {
            EntryKind::Comment => "act-commented",
            EntryKind::Exclude => "act-exclusion-proposed",
            EntryKind::SignOff => "act-signed-off",
        };
        let mut ev = Event::new(action)
            .details(json!({"act": n, "target": target, "text": text, "digest": entry.act_digest}));
        if let Some(t) = target.filter(|t| !t.contains('/')) {
            ev = ev.id(t);
        }
        let journal = &self.archive().journal;
        AuditLog::open(journal, actor)
            .with_context(|| format!("cannot open the audit log in {}", journal.display()))?
            .append_one(ev)
            .context("cannot write the audit log")?;
        Ok(entry)
    }
}
