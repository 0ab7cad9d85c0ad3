//! Integrity use cases (docs/INTEGRITY.md): verify (fixity and completeness against the
//! audit log, recorded in the history and the log), its history, audit verify (the chain,
//! its anchors, the archive against the log, holds and acts), the audited repair, the
//! head to keep outside the archive, and one document shown whole — active or destroyed.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Archivist};
use crate::error::{Invalid, NotFound, Result};
use crate::records::{act, hold};
use crate::store::audit::{self, Anchor, AuditRecord, RepairReport, VerifyReport};
use crate::store::document::{DocumentMeta, Status};
use crate::store::fixity::{self, Class, Finding, Run, Scope};
use crate::store::ledger::Holdings;

/// One document: what it is, where it is (or was), and everything that happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub id: String,
    pub status: Status,
    /// The scan's absolute path (for a destroyed document, where it was).
    pub path: PathBuf,
    pub location: Location,
    /// The sidecar (for a destroyed document, its tombstone).
    pub metadata: DocumentMeta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destruction: Option<Destruction>,
    pub history: Vec<AuditRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// Box folder relative to the root.
    pub box_path: String,
    /// The scan relative to its box.
    pub file: String,
    /// The sidecar relative to its box.
    pub sidecar: String,
    /// Whether the scan is on disk.
    pub present: bool,
}

/// How a document was destroyed, from its tombstone and its audit record.
#[derive(Debug, Clone, Serialize)]
pub struct Destruction {
    /// The act's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// «уничтожен по акту № 3 от 15.01.2027»
    pub note: String,
}

impl Archivist {
    /// Verifies the boxes in scope (fixity, tag files, completeness against the audit
    /// log) and the holds, and records the run in the fixity history and its findings in
    /// the audit log. `on_bytes` receives the bytes hashed so far.
    pub fn verify(
        &self,
        scope: &Scope,
        on_bytes: &(dyn Fn(u64) + Sync),
        actor: &Actor,
    ) -> Result<Run> {
        let a = self.archive();
        let mut run = fixity::verify(a, scope, on_bytes)?;
        if scope.box_filter.is_none() {
            for p in hold::check(a)? {
                run.findings.push(Finding {
                    class: if hold::path(&a.root).exists() {
                        Class::Changed
                    } else {
                        Class::Missing
                    },
                    path: "holds.toml".into(),
                    expected: Some("the holds recorded in the audit log".into()),
                    actual: Some(p),
                });
            }
            run.changed = count(&run, Class::Changed);
            run.missing = count(&run, Class::Missing);
        }
        // The findings matter more than their record: a broken audit log (which
        // `audit verify` reports) must not hide them.
        if let Err(e) = fixity::record_findings(a, &run, actor) {
            tracing::warn!("{e:#}; this run's findings are not in the audit log");
        }
        Ok(run)
    }

    /// How many files the boxes' manifests list (the work a full `verify` does, for a
    /// progress bar).
    pub fn manifest_entries(&self) -> u64 {
        self.archive
            .box_dirs()
            .iter()
            .map(|d| {
                crate::store::boxes::read_manifest(d)
                    .map(|m| m.len() as u64)
                    .unwrap_or(0)
            })
            .sum()
    }

    /// Earlier verification runs, oldest first.
    pub fn verify_history(&self) -> Result<Vec<Run>> {
        Ok(fixity::history(self.archive())?)
    }

    /// The audit log's chain and head, every box's anchor, the boxes against the log's
    /// records, the journals, the holds and the acts; `anchor` (kept outside the archive,
    /// from [`Archivist::audit_head`]) must be in the chain.
    pub fn audit_verify(&self, anchor: Option<&Anchor>) -> Result<VerifyReport> {
        let a = self.archive();
        let mut rep = audit::verify_archive(a, anchor)?;
        rep.problems.extend(hold::check(a)?);
        rep.problems.extend(act::check_all(a)?);
        rep.ok = rep.problems.is_empty();
        Ok(rep)
    }

    /// What `check` adds to the index comparison: the archive against its audit log,
    /// journals, holds and acts (without re-reading the chain's hashes).
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let a = self.archive();
        let led = crate::store::ledger::Ledger::from_log(&a.journal)?;
        let mut out = led.compare(a)?;
        out.extend(led.journals(a)?);
        out.extend(hold::check(a)?);
        out.extend(act::check_all(a)?);
        Ok(out)
    }

    /// The audited repair of the journals (see [`audit::repair`]); takes the writer lock.
    pub fn audit_repair(&self, accept_loss: bool, actor: &Actor) -> Result<RepairReport> {
        let _writing = self.writing("archivist audit repair")?;
        Ok(audit::repair(self.archive(), actor, accept_loss)?)
    }

    /// The audit log's head, to keep outside the archive (`audit verify --anchor`).
    pub fn audit_head(&self) -> Result<Anchor> {
        match audit::read_head(&self.archive().journal)? {
            Some(h) => Ok(h),
            None => Err(NotFound(format!(
                "the archive at {} has no audit head yet (nothing was recorded)",
                self.archive().root.display()
            ))
            .into()),
        }
    }

    /// One document by id (or an unambiguous prefix of at least 6 characters): active,
    /// or destroyed (its tombstone, the act and when).
    pub fn show(&self, id: &str) -> Result<DocumentView> {
        Ok(self.show_with_records_of(id, &[])?.0)
    }

    /// [`Archivist::show`], and the audit records of `actions`, from one pass over the
    /// audit log (the document page needs the holds' records too).
    pub(crate) fn show_with_records_of(
        &self,
        id: &str,
        actions: &[&str],
    ) -> Result<(DocumentView, Vec<AuditRecord>)> {
        let a = self.archive();
        if let Some(name) = id.trim().strip_prefix(crate::store::review::ID_PREFIX) {
            return Err(NotFound(format!(
                "{name:?} is a scan waiting in review, not a filed document: see `archivist review show {name}`"
            ))
            .into());
        }
        let want = id.trim().to_ascii_lowercase();
        if want.len() < 6 || !want.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Invalid(format!(
                "{id:?} is not a document id: ids are the scan's SHA-256 in hex (at least 6 characters)"
            ))
            .into());
        }
        let found = match self.locate_indexed(&want) {
            Some(found) => Some(found),
            None => a.find(&want)?.map(|(id, loc)| {
                let side = loc.sidecar();
                (id, loc.box_rel, loc.file, side)
            }),
        };
        let (id, box_path, file, sidecar) = match found {
            Some(found) => found,
            None => find_tombstone(self, &want)?,
        };
        let side_path = a.root.join(&box_path).join(&sidecar);
        let metadata =
            DocumentMeta::from_toml(&std::fs::read_to_string(&side_path).map_err(|e| {
                anyhow::anyhow!("cannot read the sidecar {}: {e}", side_path.display())
            })?)
            .map_err(|e| {
                anyhow::anyhow!("the sidecar {} is not valid: {e}", side_path.display())
            })?;
        let (history, of_actions) = audit::history_and_records_of(&a.journal, &id, actions)?;
        let path = a.root.join(&box_path).join(&file);
        let destruction = (metadata.status == Status::Destroyed).then(|| {
            let rec = history.iter().rev().find(|r| r.action == "destroyed");
            Destruction {
                act: rec
                    .and_then(|r| r.details.get("act"))
                    .and_then(|v| v.as_u64())
                    .and_then(|n| u32::try_from(n).ok()),
                at: rec.map(|r| r.time),
                by: rec.map(|r| r.actor.clone()),
                note: metadata.status_note.clone().unwrap_or_default(),
            }
        });
        let view = DocumentView {
            status: metadata.status,
            location: Location {
                present: path.is_file(),
                box_path,
                file,
                sidecar,
            },
            path,
            id,
            metadata,
            destruction,
            history,
        };
        Ok((view, of_actions))
    }
}

fn count(run: &Run, c: Class) -> u64 {
    run.findings.iter().filter(|f| f.class == c).count() as u64
}

/// A destroyed document's tombstone by id or prefix: (id, box, scan file, sidecar).
impl Archivist {
    /// Where a document is, for a full id: the index says which box, and that box's
    /// manifest confirms it (the archive is the truth), so a page need not read every
    /// manifest. `None` when the index does not know the id or the box disagrees: the
    /// caller then reads the manifests.
    fn locate_indexed(&self, id: &str) -> Option<(String, String, String, String)> {
        if id.len() != 64 {
            return None;
        }
        let hit = self.cached_index().ok()?.by_id(id).ok()??;
        let a = self.archive();
        let dir = a.root.join(&hit.box_path);
        let manifest = crate::store::boxes::read_manifest(&dir).ok()?;
        let sidecar = crate::store::archive::sidecar_of(&hit.file);
        let listed = match manifest.get(&hit.file) {
            Some(sha) => sha == id,
            // A destroyed document: its tombstone sidecar is listed without the scan.
            None => {
                manifest.contains_key(&sidecar)
                    && std::fs::read_to_string(dir.join(&sidecar))
                        .ok()
                        .and_then(|t| DocumentMeta::from_toml(&t).ok())
                        .is_some_and(|m| m.id == id)
            }
        };
        listed.then(|| (id.to_string(), hit.box_path, hit.file, sidecar))
    }
}

fn find_tombstone(ar: &Archivist, want: &str) -> Result<(String, String, String, String)> {
    let a = ar.archive();
    let h = Holdings::scan(a)?;
    let hits: Vec<(&String, &(String, String))> = h
        .tombstones
        .iter()
        .filter(|(id, _)| id.starts_with(want))
        .collect();
    match hits.as_slice() {
        [(id, (b, side))] => {
            let scan = side.strip_suffix(".toml").unwrap_or(side).to_string() + ".pdf";
            // The scan's own name is in the tombstone.
            let file = std::fs::read_to_string(a.root.join(b).join(side))
                .ok()
                .and_then(|t| DocumentMeta::from_toml(&t).ok())
                .map(|m| m.file)
                .unwrap_or(scan);
            Ok(((*id).clone(), b.clone(), file, side.clone()))
        }
        [] => Err(NotFound(format!(
            "no document with id {want} in {} (neither in the boxes nor destroyed); ids are the SHA-256 of the scan (at least 6 characters)",
            a.root.display()
        ))
        .into()),
        more => Err(Invalid(format!(
            "the id prefix {want} matches {} documents; give more characters",
            more.len()
        ))
        .into()),
    }
}
