//! Writing the index: the pipeline's [`Sink`] (one writer, commits batched), and
//! [`rebuild`] from the boxes alone.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::index::{IndexSink, SearchIndex};
use super::schema::SCHEMA_VERSION;
use crate::store::document::DocumentMeta;

/// The pipeline's index writer: one per archive writer, committing once per batch.
pub struct Sink {
    pub index: SearchIndex,
    writer: IndexWriter,
    commits: u64,
    last_commit: std::time::Instant,
}

impl Sink {
    pub fn open(dir: &Path) -> Result<Sink> {
        let index = SearchIndex::open_or_create(dir)?;
        let writer = index.writer()?;
        Ok(Sink {
            index,
            writer,
            commits: 0,
            last_commit: std::time::Instant::now(),
        })
    }

    pub fn delete(&mut self, id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.index.fields.id, id));
    }
}

impl IndexSink for Sink {
    fn remove(&mut self, id: &str) -> Result<()> {
        self.delete(id);
        Ok(())
    }

    fn add(&mut self, meta: &DocumentMeta, text: &str) -> Result<()> {
        // Re-adding a document replaces it (metadata edits, tombstones).
        self.delete(&meta.id);
        self.writer
            .add_document(self.index.document(meta, text))
            .context("cannot add to the index")?;
        Ok(())
    }

    fn commit_soon(&mut self) -> Result<()> {
        // Searches see new documents within about a second; committing every batch
        // would cost an fsync round per batch.
        if self.last_commit.elapsed() >= std::time::Duration::from_secs(1) {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.last_commit = std::time::Instant::now();
        self.writer.commit().context("cannot commit the index")?;
        self.commits += 1;
        if self.commits.is_multiple_of(50) {
            // Merged-away segment files are removed here, so the index stays proportional
            // to the live documents.
            let _ = self.writer.garbage_collect_files().wait();
        }
        Ok(())
    }
}

/// Rebuilds the index from the boxes alone (sidecars and text), into a fresh folder that
/// replaces the old one when complete. `progress(done, total)` is called as it goes.
pub fn rebuild(
    a: &crate::store::archive::Archive,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<u64> {
    use rayon::prelude::*;
    let mut sidecars: Vec<(PathBuf, PathBuf)> = Vec::new();
    for dir in a.box_dirs() {
        let manifest = crate::store::boxes::read_manifest(&dir)
            .with_context(|| format!("cannot read the manifest of {}", dir.display()))?;
        for rel in manifest.keys() {
            if rel.starts_with("data/") && rel.ends_with(".toml") {
                sidecars.push((dir.clone(), dir.join(rel)));
            }
        }
    }
    let total = sidecars.len() as u64;
    let fresh = a.index.with_file_name(format!(
        "{}.rebuilding",
        a.index
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "index".into())
    ));
    let _ = std::fs::remove_dir_all(&fresh);
    let ix = SearchIndex::open_or_create(&fresh)?;
    let mut writer = ix
        .index
        .writer_with_num_threads(2, 256_000_000)
        .context("cannot open the index writer")?;
    let done = std::sync::atomic::AtomicU64::new(0);
    for chunk in sidecars.chunks(2048) {
        let docs: Vec<Result<TantivyDocument>> = chunk
            .par_iter()
            .map(|(dir, side)| {
                let text = std::fs::read_to_string(side)
                    .with_context(|| format!("cannot read {}", side.display()))?;
                let meta = DocumentMeta::from_toml(&text)
                    .with_context(|| format!("{} is not a valid sidecar", side.display()))?;
                let body = meta
                    .text_file
                    .as_ref()
                    .and_then(|t| std::fs::read_to_string(dir.join(t)).ok())
                    .unwrap_or_default();
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n.is_multiple_of(500) {
                    progress(n, total);
                }
                Ok(ix.document(&meta, &body))
            })
            .collect();
        for d in docs {
            match d {
                Ok(d) => {
                    writer.add_document(d)?;
                }
                Err(e) => tracing::warn!("{e:#}; skipped (run `archivist verify`)"),
            }
        }
    }
    // Scans waiting in review are findable too: the review folder is part of what the
    // index is derived from.
    for (meta, text) in crate::store::review::index_entries(a) {
        writer.add_document(ix.document(&meta, &text))?;
    }
    writer.commit().context("cannot commit the rebuilt index")?;
    // One segment: a name query walks each segment's term dictionary, and the indexing
    // threads left one segment each. Only an optimisation: the index is complete without
    // it (a merge the writer already runs in the background refuses this one).
    match ix.index.searchable_segment_ids() {
        Ok(segments) if segments.len() > 1 => {
            if let Err(e) = writer.merge(&segments).wait() {
                tracing::warn!(
                    "the rebuilt index stays in {} segments: {e}",
                    segments.len()
                );
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot list the rebuilt index's segments: {e}"),
    }
    writer
        .wait_merging_threads()
        .context("index merge failed")?;
    progress(total, total);
    drop(ix);
    let old = a.index.with_file_name(format!(
        "{}.old",
        a.index
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "index".into())
    ));
    let _ = std::fs::remove_dir_all(&old);
    if a.index.exists() {
        std::fs::rename(&a.index, &old)
            .with_context(|| format!("cannot move the old index {} aside", a.index.display()))?;
    }
    std::fs::rename(&fresh, &a.index).with_context(|| {
        format!(
            "cannot put the rebuilt index in place at {}",
            a.index.display()
        )
    })?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(total)
}

/// The pipeline's sink for an archive: opens the index, rebuilding it first when it is
/// missing (but the archive is not empty) or of another version, since it is derived.
pub fn sink_for(a: &crate::store::archive::Archive) -> Result<Sink> {
    let has_docs = !a.box_dirs().is_empty();
    let usable = a.index.join("meta.json").is_file()
        && std::fs::read_to_string(a.index.join("archivist-schema"))
            .map(|v| v.trim() == SCHEMA_VERSION)
            .unwrap_or(false);
    if has_docs && !usable {
        tracing::warn!(
            "the search index at {} is missing or outdated; rebuilding it from the boxes",
            a.index.display()
        );
        rebuild(a, &|_, _| {})?;
    }
    Sink::open(&a.index).or_else(|e| {
        // Damaged (not merely missing or outdated): kept aside for inspection, rebuilt.
        let aside = a.index.with_extension(format!(
            "damaged-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        ));
        tracing::warn!(
            "the search index at {} cannot be opened ({e:#}); moved to {} and rebuilt from the boxes",
            a.index.display(),
            aside.display()
        );
        std::fs::rename(&a.index, &aside).with_context(|| {
            format!("cannot move the damaged index {} aside", a.index.display())
        })?;
        rebuild(a, &|_, _| {})?;
        Sink::open(&a.index)
    })
}
