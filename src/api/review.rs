//! The review queue: scans the pipeline could not file alone wait in `ROOT/review/` for a
//! person, who completes their metadata (`resolve`: validated by the parser of a dropped
//! sidecar, audited, then filed through the ingest pipeline like any scan) or refuses
//! them (`reject`: to the quarantine, audited). Each scan is in the search index meanwhile
//! as `review:<name>` with status "in review".

use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use serde::Serialize;
use serde_json::json;

use super::web::audit_one;
use super::{Actor, Archivist};
use crate::error::{ErrorKind, Invalid, NotFound, Result};
use crate::store::archive::Archive;
use crate::store::audit::Event;
use crate::store::document::DropSidecar;
use crate::store::fsutil;
use crate::store::receipts::{Outcome, Receipt};
use crate::store::review::{self, ID_PREFIX};
pub use crate::store::review::{Candidate, ReviewItem};

/// What became of a resolved scan.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewResolved {
    /// The scan's name in the review folder.
    pub name: String,
    /// "archived" (filed now), "queued" (handed to the inbox for the watcher of another
    /// process, which holds the archive), or what the pipeline decided otherwise
    /// ("duplicate", "review", "refused", "deferred").
    pub outcome: String,
    /// The filed document's id, box and scan (when archived now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub box_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where the scan is now, relative to the root.
    pub path: String,
    /// The pipeline's reason, when the scan was not archived.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The metadata the person gave, as validated.
    pub metadata: DropSidecar,
}

impl ReviewResolved {
    pub fn archived(&self) -> bool {
        self.outcome == "archived"
    }
}

/// Where a rejected scan went.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewRejected {
    pub name: String,
    /// The scan in the quarantine, relative to the root.
    pub path: String,
    pub reason: String,
}

/// A name given as `NAME` or as its index id `review:NAME`.
fn bare(name: &str) -> &str {
    name.strip_prefix(ID_PREFIX).unwrap_or(name)
}

impl Archivist {
    /// The scans waiting for a person.
    pub fn review_list(&self) -> Result<Vec<ReviewItem>> {
        let a = self.archive();
        Ok(review::names(a)
            .iter()
            .map(|n| review::read(a, n))
            .collect())
    }

    /// One scan in review (by its file name, or its id `review:<name>`): the reason, what
    /// was found, the candidates with their context, and the text.
    pub fn review_show(&self, name: &str) -> Result<ReviewItem> {
        let a = self.archive();
        let name = bare(name);
        if !review::names(a).iter().any(|n| n == name) {
            return Err(NotFound(format!(
                "there is no scan {name:?} waiting for review (see `archivist review list`)"
            ))
            .into());
        }
        Ok(review::read(a, name))
    }

    /// The scan file of a review item.
    pub fn review_scan(&self, name: &str) -> Result<PathBuf> {
        let i = self.review_show(name)?;
        Ok(self.archive().review.join(i.name))
    }

    /// Completes a scan's metadata (validated by the parser of a dropped sidecar, and the
    /// kind against the nomenclature), records who did it, and files it through the
    /// ingest pipeline at once. When another process holds the archive (a `watch` or
    /// `serve`), the scan and its sidecar are handed to the inbox instead, where that
    /// watcher files it (outcome "queued").
    pub fn review_resolve(
        &self,
        name: &str,
        fields: &DropSidecar,
        actor: &Actor,
    ) -> Result<ReviewResolved> {
        let name = bare(name).to_string();
        self.review_show(&name)?;
        let (text, parsed) = validate(self.archive(), fields)?;
        self.beside_watcher(|| match self.writing("archivist review resolve") {
            Ok(w) => {
                let dest = self.hand_to_inbox(&name, &text, &parsed, actor)?;
                let report = self.ingest_in_turn(&[dest], true, actor, &mut |_| {})?;
                w.boxes_changed();
                self.forget_in_index(&review::id_of(&name));
                let receipt = report.receipts.into_iter().next();
                Ok(self.resolved(&name, parsed, receipt))
            }
            Err(e) if e.kind() == ErrorKind::Locked => {
                let dest = self.hand_to_inbox(&name, &text, &parsed, actor)?;
                Ok(ReviewResolved {
                    name: name.clone(),
                    outcome: "queued".into(),
                    id: None,
                    box_path: None,
                    file: None,
                    path: self.archive().rel(&dest),
                    reason: format!("{e}; the watcher that holds the archive files it"),
                    metadata: parsed,
                })
            }
            Err(e) => Err(e),
        })
    }

    /// Writes the sidecar into the inbox, then moves the scan beside it (so a watcher
    /// that sees the scan finds its metadata), removes the notes and audits the decision.
    fn hand_to_inbox(
        &self,
        name: &str,
        text: &str,
        parsed: &DropSidecar,
        actor: &Actor,
    ) -> Result<PathBuf> {
        let a = self.archive();
        // Checked again under the writer's turn: another request may have taken it.
        self.review_show(name)?;
        std::fs::create_dir_all(&a.inbox)
            .with_context(|| format!("cannot create the inbox {}", a.inbox.display()))?;
        let dest = fsutil::unique_path(&a.inbox, name);
        let dest_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sidecar = a.inbox.join(format!("{dest_name}.toml"));
        fsutil::write_atomic(&sidecar, text.as_bytes(), true)
            .with_context(|| format!("cannot write the sidecar {}", sidecar.display()))?;
        fsutil::move_file(&a.review.join(name), &dest).with_context(|| {
            format!(
                "cannot move {name} from {} into the inbox; it stays in review",
                a.review.display()
            )
        })?;
        for note in review::notes_of(&a.review, name) {
            let _ = std::fs::remove_file(note);
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

    fn resolved(
        &self,
        name: &str,
        metadata: DropSidecar,
        receipt: Option<Receipt>,
    ) -> ReviewResolved {
        let a = self.archive();
        let Some(r) = receipt else {
            return ReviewResolved {
                name: name.to_string(),
                outcome: "queued".into(),
                id: None,
                box_path: None,
                file: None,
                path: a.rel(&a.inbox.join(name)),
                reason: "the pipeline gave no receipt; the scan waits in the inbox".into(),
                metadata,
            };
        };
        let id = r.id.clone().or_else(|| r.sha256.clone());
        let loc = match (r.outcome, &id) {
            (Outcome::Archived, Some(id)) => a.find(id).ok().flatten().map(|(_, l)| l),
            _ => None,
        };
        ReviewResolved {
            name: name.to_string(),
            outcome: r.outcome.as_str().to_string(),
            path: match &loc {
                Some(l) => format!("{}/{}", l.box_rel, l.file),
                None => r.destination.clone().unwrap_or_else(|| r.path.clone()),
            },
            id: id.filter(|_| r.outcome == Outcome::Archived),
            box_path: loc.as_ref().map(|l| l.box_rel.clone()),
            file: loc.map(|l| l.file),
            reason: if r.outcome == Outcome::Archived {
                String::new()
            } else {
                r.reason
            },
            metadata,
        }
    }

    /// Refuses a scan in review: it goes to the quarantine with the reason (audited).
    pub fn review_reject(&self, name: &str, reason: &str, actor: &Actor) -> Result<ReviewRejected> {
        let name = bare(name).to_string();
        if reason.trim().is_empty() {
            return Err(Invalid("give the reason for rejecting the scan (--reason)".into()).into());
        }
        self.beside_watcher(|| {
            let _w = self.writing("archivist review reject")?;
            let r = self.review_reject_inner(&name, reason.trim(), actor)?;
            self.forget_in_index(&review::id_of(&name));
            Ok(r)
        })
    }

    fn review_reject_inner(
        &self,
        name: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<ReviewRejected> {
        let a = self.archive();
        self.review_show(name)?;
        let dir = a.quarantine.join(Utc::now().format("%Y-%m-%d").to_string());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let dest = fsutil::unique_path(&dir, name);
        let dest_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        fsutil::write_atomic(
            &dir.join(format!("{dest_name}.reason.txt")),
            format!(
                "file: {name}\noutcome: rejected in review\nreason: {reason}\nby: {actor}\ntime: {}\n",
                Utc::now().to_rfc3339()
            )
            .as_bytes(),
            true,
        )
        .with_context(|| format!("cannot write the reason beside {}", dest.display()))?;
        fsutil::move_file(&a.review.join(name), &dest).with_context(|| {
            format!(
                "cannot move {name} to the quarantine {}; it stays in review",
                dir.display()
            )
        })?;
        for note in review::notes_of(&a.review, name) {
            let _ = std::fs::remove_file(note);
        }
        audit_one(
            a,
            actor,
            Event::new("review-rejected")
                .path(a.rel(&dest))
                .details(json!({"file": name, "reason": reason})),
        )?;
        Ok(ReviewRejected {
            name: name.to_string(),
            path: a.rel(&dest),
            reason: reason.to_string(),
        })
    }

    /// Drops an entry from the search index (called in the writer's turn). The index is
    /// derived: if it cannot be written now, `check` reports the stale entry and the
    /// next watcher start or `reindex` removes it, so this never fails the use case.
    pub(crate) fn forget_in_index(&self, id: &str) {
        let a = self.archive();
        if !a.index.join("meta.json").is_file() {
            return;
        }
        let r = crate::search::Sink::open(&a.index).and_then(|mut s| {
            s.delete(id);
            crate::search::IndexSink::commit(&mut s)
        });
        if let Err(e) = r {
            tracing::warn!(
                "the search index still lists {id} ({e:#}); `archivist check` shows it and `archivist reindex` removes it"
            );
        }
    }
}

/// The metadata a person gave, as the sidecar parser reads it, with a kind from the
/// nomenclature and a date or year.
fn validate(a: &Archive, fields: &DropSidecar) -> Result<(String, DropSidecar)> {
    let text = toml::to_string(fields).context("cannot write the metadata as TOML")?;
    let parsed = DropSidecar::parse(&text).map_err(Invalid)?;
    match parsed.kind.as_deref() {
        Some(k) if a.nomenclature.kind(k).is_some() => {}
        other => {
            return Err(Invalid(format!(
                "{}choose the kind of document (--kind), one of {}",
                match other {
                    Some(k) if !k.is_empty() =>
                        format!("{k:?} is not a kind in the nomenclature; "),
                    _ => String::new(),
                },
                a.nomenclature.kind_ids().join(", ")
            ))
            .into());
        }
    }
    if parsed.date.is_none() && parsed.year.is_none() {
        return Err(Invalid(
            "give the document's date (--date) or at least its year (--year)".into(),
        )
        .into());
    }
    Ok((text, parsed))
}
