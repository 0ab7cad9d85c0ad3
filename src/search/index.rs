//! The search index (tantivy, under `ROOT/index/`): opening it, and the document each
//! archived scan becomes. It is derived from the archive: the
//! pipeline hands each archived document to an [`IndexSink`] after its batch is durable,
//! and `reindex` rebuilds it from the boxes' sidecars and text alone.
//!
//! Text is analysed for Russian and English (lower-case, ё→е, Snowball stemming by the
//! script of each word). Learner names get their own field of normalised person tokens
//! (one per written name, see `person`), because stemming cannot bring declined surnames
//! together; the dossier's columns are written beside them (see `dossier`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use super::analyzer::{ANALYZER, analyzer};
use super::schema::{Fields, SCHEMA_VERSION, schema};
use crate::store::document::{DocumentMeta, Status};

pub trait IndexSink: Send {
    fn add(&mut self, meta: &DocumentMeta, text: &str) -> anyhow::Result<()>;
    /// Removes a document (an entry with no document, found by a consistency check).
    fn remove(&mut self, id: &str) -> anyhow::Result<()>;
    /// Makes the documents added so far visible to searches.
    fn commit(&mut self) -> anyhow::Result<()>;
    /// Like `commit`, but may wait until a commit is due (batched commits); `commit`
    /// must still be called before the process ends.
    fn commit_soon(&mut self) -> anyhow::Result<()> {
        self.commit()
    }
}

/// An open index: searching, and (with [`SearchIndex::writer`]) writing.
pub struct SearchIndex {
    pub index: Index,
    pub fields: Fields,
    pub(crate) reader: IndexReader,
    dir: PathBuf,
}

impl SearchIndex {
    /// Opens the index at `dir`, creating it if absent. Returns `Ok(None)` when there is
    /// an index of another schema version (it must be rebuilt).
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the index folder {}", dir.display()))?;
        let version_file = dir.join("archivist-schema");
        let exists = dir.join("meta.json").is_file();
        if exists
            && std::fs::read_to_string(&version_file)
                .map(|v| v.trim() != SCHEMA_VERSION)
                .unwrap_or(true)
        {
            anyhow::bail!(
                "the index at {} was built by another version of archivist; run `archivist reindex`",
                dir.display()
            );
        }
        let index = if exists {
            Index::open_in_dir(dir).with_context(|| {
                format!(
                    "cannot open the index at {}; run `archivist reindex`",
                    dir.display()
                )
            })?
        } else {
            // The version stamp goes first: a reader that sees meta.json must never find
            // the stamp missing and call a fresh index one of another version.
            std::fs::write(&version_file, SCHEMA_VERSION).with_context(|| {
                format!(
                    "cannot write the index version at {}",
                    version_file.display()
                )
            })?;
            Index::create_in_dir(dir, schema)
                .with_context(|| format!("cannot create the index at {}", dir.display()))?
        };
        Self::finish(index, fields, dir)
    }

    /// Opens an existing index for searching only.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        if !dir.join("meta.json").is_file() {
            anyhow::bail!(
                "there is no search index at {}; run `archivist reindex` to build it from the boxes",
                dir.display()
            );
        }
        if std::fs::read_to_string(dir.join("archivist-schema"))
            .map(|v| v.trim() != SCHEMA_VERSION)
            .unwrap_or(true)
        {
            anyhow::bail!(
                "the index at {} was built by another version of archivist; run `archivist reindex`",
                dir.display()
            );
        }
        let (_, fields) = schema();
        let index = Index::open_in_dir(dir).with_context(|| {
            format!(
                "cannot open the index at {}; run `archivist reindex`",
                dir.display()
            )
        })?;
        Self::finish(index, fields, dir)
    }

    fn finish(index: Index, fields: Fields, dir: &Path) -> Result<SearchIndex> {
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .context("cannot open an index reader")?;
        Ok(SearchIndex {
            index,
            fields,
            reader,
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index's single writer (tantivy refuses a second one).
    pub fn writer(&self) -> Result<IndexWriter> {
        self.index
            .writer_with_num_threads(1, 64_000_000)
            .context("cannot open the index writer (is another archivist writing?)")
    }

    pub fn reload(&self) -> Result<()> {
        self.reader.reload().context("cannot reload the index")
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn document(&self, meta: &DocumentMeta, text: &str) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, &meta.id);
        if !meta.kind.is_empty() {
            d.add_text(f.kind, &meta.kind);
        }
        d.add_i64(f.year, meta.year as i64);
        if let Some(g) = &meta.group {
            d.add_text(f.group, g);
        }
        if let Some(date) = meta.date {
            d.add_text(f.date, date.format("%Y-%m-%d").to_string());
            d.add_i64(
                f.date_key,
                date.format("%Y%m%d").to_string().parse().unwrap_or(0),
            );
        } else {
            d.add_i64(f.date_key, meta.year as i64 * 10000);
        }
        if let Some(n) = &meta.number {
            d.add_text(f.number, n);
        }
        if let Some(t) = &meta.title {
            d.add_text(f.title, t);
        }
        if let Some(p) = &meta.programme {
            d.add_text(f.programme, p);
        }
        super::dossier::learner_fields(f, meta, &mut d);
        d.add_text(f.text, text);
        d.add_text(f.box_path, &meta.box_path);
        d.add_text(f.file, &meta.file);
        // A scan in review belongs to no case yet: without a case term, retention and
        // acts never count it.
        if meta.status != Status::Review {
            d.add_text(f.case_index, &meta.case.index);
            d.add_text(f.period, &meta.case.period);
            d.add_u64(f.epk, meta.case.epk as u64);
        }
        d.add_text(f.status, meta.status.as_str());
        if let Some(n) = &meta.status_note {
            d.add_text(f.note, n);
        }
        let event = meta
            .events
            .values()
            .max()
            .map(|e| e.format("%Y%m%d").to_string().parse().unwrap_or(0))
            .unwrap_or(0);
        d.add_i64(f.event_key, event);
        d.add_text(
            f.ocr,
            meta.ocr.as_ref().map_or("none", |o| o.state.as_str()),
        );
        d
    }

    pub fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }
}
