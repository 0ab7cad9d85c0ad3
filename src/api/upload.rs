//! Scans put into the inbox by a person (the web interface's upload): written under a
//! temporary name the watcher ignores, renamed into place when complete, with the optional
//! metadata as the scan's drop sidecar (`scan.pdf.toml`) written first. Audited.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Actor, Archivist};
use crate::error::{Invalid, Result};
use crate::formats::naming;
use crate::store::audit::{AuditLog, Event};
use crate::store::document::DropSidecar;
use crate::store::fsutil;

/// A scan being written into the inbox; dropped unfinished, it leaves nothing behind.
pub struct InboxUpload {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
    sidecar: Option<String>,
    hasher: Sha256,
    size: u64,
    max: u64,
    original_name: String,
}

/// What an upload put into the inbox.
#[derive(Debug, Clone, Serialize)]
pub struct Uploaded {
    /// Relative to the inbox.
    pub name: String,
    pub original_name: String,
    pub size: u64,
    pub sha256: String,
    pub with_metadata: bool,
}

impl Archivist {
    /// Starts putting a scan named `name` (as the person's computer called it) into the
    /// inbox, with optional metadata (validated here, as a dropped sidecar would be).
    pub fn inbox_upload(&self, name: &str, meta: Option<&DropSidecar>) -> Result<InboxUpload> {
        let a = self.archive();
        // Only the last component of what the browser sends, made safe.
        let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
        if base.is_empty() {
            return Err(Invalid("the file has no name".into()).into());
        }
        let lower = base.to_lowercase();
        if lower.ends_with(".toml") || lower.ends_with(".reason.txt") {
            return Err(Invalid(format!(
                "{base}: metadata files are not uploaded; fill in the form instead"
            ))
            .into());
        }
        let safe = naming::sanitize_file_name(base, a.config.boxes.max_name_bytes);
        let sidecar = match meta {
            Some(m) if *m != DropSidecar::default() => {
                let text = toml::to_string(m).context("cannot write the metadata")?;
                DropSidecar::parse(&text).map_err(Invalid)?;
                if let Some(k) = &m.kind
                    && a.nomenclature.kind(k).is_none()
                {
                    return Err(Invalid(format!(
                        "{k:?} is not a kind of document (one of {})",
                        a.nomenclature.kind_ids().join(", ")
                    ))
                    .into());
                }
                Some(text)
            }
            _ => None,
        };
        std::fs::create_dir_all(&a.inbox)
            .with_context(|| format!("cannot create the inbox {}", a.inbox.display()))?;
        let dest = fsutil::unique_path(&a.inbox, &safe);
        let tmp = fsutil::temp_beside(&dest)
            .with_context(|| format!("cannot write into the inbox {}", a.inbox.display()))?;
        Ok(InboxUpload {
            tmp,
            dest,
            sidecar,
            hasher: Sha256::new(),
            size: 0,
            max: a.config.limits.max_file_mb.saturating_mul(1 << 20),
            original_name: base.to_string(),
        })
    }
}

impl InboxUpload {
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.size += bytes.len() as u64;
        if self.size > self.max {
            return Err(Invalid(format!(
                "{} is larger than the archive accepts ({} MB; limits.max_file_mb)",
                self.original_name,
                self.max >> 20
            ))
            .into());
        }
        self.hasher.update(bytes);
        self.tmp
            .write_all(bytes)
            .with_context(|| format!("cannot write {} into the inbox", self.original_name))?;
        Ok(())
    }

    /// Makes the scan visible to the watcher (its metadata first) and audits it.
    pub fn finish(self, archivist: &Archivist, actor: &Actor) -> Result<Uploaded> {
        let a = archivist.archive();
        if self.size == 0 {
            return Err(Invalid(format!("{} is empty", self.original_name)).into());
        }
        self.tmp
            .as_file()
            .sync_data()
            .context("cannot make the upload durable")?;
        // Another upload may have taken the name meanwhile: never overwrite.
        let dest = if self.dest.exists() {
            let name = self
                .dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            fsutil::unique_path(&a.inbox, &name)
        } else {
            self.dest.clone()
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(text) = &self.sidecar {
            fsutil::write_atomic(&a.inbox.join(format!("{name}.toml")), text.as_bytes(), true)
                .context("cannot write the metadata into the inbox")?;
        }
        self.tmp
            .persist_noclobber(&dest)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot put {} into the inbox", dest.display()))?;
        let _ = fsutil::fsync_dir(&a.inbox);
        let up = Uploaded {
            name: dest
                .strip_prefix(&a.inbox)
                .unwrap_or(&dest)
                .to_string_lossy()
                .into_owned(),
            original_name: self.original_name,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            with_metadata: self.sidecar.is_some(),
        };
        let journal = &a.journal;
        AuditLog::open(journal, actor)
            .with_context(|| format!("cannot open the audit log in {}", journal.display()))?
            .append_one(
                Event::new("uploaded")
                    .path(format!("inbox/{}", up.name))
                    .details(json!({
                        "original_name": up.original_name, "size": up.size, "sha256": up.sha256,
                        "metadata": up.with_metadata,
                    })),
            )
            .context("cannot write the audit log")?;
        Ok(up)
    }
}
