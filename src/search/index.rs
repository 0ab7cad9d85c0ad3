//! The search index (tantivy, under `ROOT/index/`). It is derived from the archive: the
//! pipeline hands each archived document to an [`IndexSink`] after its batch is durable,
//! and `reindex` rebuilds it from the boxes' sidecars and text alone.
//!
//! Text is analysed for Russian and English (lower-case, ё→е, Snowball stemming by the
//! script of each word). Learner names get their own field of normalised person tokens
//! (`иванов`, `иванов_и`, `иванов_и_п`), because stemming cannot bring declined surnames
//! together (see `person`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::ru::person::{self, PersonKey};
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

const ANALYZER: &str = "ru_en";
/// Bump when the schema or analysis changes: an index of another version is rebuilt.
const SCHEMA_VERSION: &str = "6";

/// Lower-cased tokens in: ё folded to е, then stemmed as Russian when the word has
/// Cyrillic letters, as English otherwise.
#[derive(Clone, Default)]
struct RuEnStem;

impl TokenFilter for RuEnStem {
    type Tokenizer<T: Tokenizer> = RuEnStemFilter<T>;
    fn transform<T: Tokenizer>(self, inner: T) -> RuEnStemFilter<T> {
        RuEnStemFilter { inner }
    }
}

#[derive(Clone)]
struct RuEnStemFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RuEnStemFilter<T> {
    type TokenStream<'a> = RuEnStemStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RuEnStemStream {
            tail: self.inner.token_stream(text),
            ru: frostem::Stemmer::new(frostem::Algorithm::Russian),
            en: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

struct RuEnStemStream<T> {
    tail: T,
    ru: frostem::Stemmer,
    en: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for RuEnStemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.contains('ё') {
            token.text = token.text.replace('ё', "е");
        }
        let cyrillic = token
            .text
            .chars()
            .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        let stemmed = if cyrillic {
            self.ru.stem(&token.text)
        } else {
            self.en.stem(&token.text)
        };
        if let Cow::Owned(s) = stemmed {
            token.text = s;
        } else if let Cow::Borrowed(s) = stemmed
            && s.len() != token.text.len()
        {
            token.text = s.to_string();
        }
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(RuEnStem)
        .build()
}

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    pub year: Field,
    pub group: Field,
    pub date: Field,
    pub date_key: Field,
    pub number: Field,
    pub title: Field,
    pub programme: Field,
    pub learners: Field,
    pub person: Field,
    pub text: Field,
    pub box_path: Field,
    pub file: Field,
    pub case_index: Field,
    pub period: Field,
    pub epk: Field,
    pub status: Field,
    pub note: Field,
    /// Latest event date recorded on the document (yyyymmdd; 0 = none), for periods
    /// counted "N years after EVENT".
    pub event_key: Field,
    /// OCR state (pending, done, failed, unavailable; none without OCR), so the watcher
    /// finds pending work with one term query instead of reading every sidecar.
    pub ocr: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let string_fast = STRING | STORED | tantivy::schema::FAST;
    let num = NumericOptions::default()
        .set_indexed()
        .set_stored()
        .set_fast();
    let person_opts = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored();
    let f = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", string_fast.clone()),
        year: b.add_i64_field("year", num.clone()),
        group: b.add_text_field("group", string_fast.clone()),
        date: b.add_text_field("date", STRING | STORED),
        date_key: b.add_i64_field("date_key", num.clone()),
        number: b.add_text_field("number", STRING | STORED),
        title: b.add_text_field("title", text_opts.clone()),
        programme: b.add_text_field("programme", text_opts.clone()),
        learners: b.add_text_field("learners", STORED),
        person: b.add_text_field("person", person_opts),
        text: b.add_text_field("text", text_opts),
        box_path: b.add_text_field("box", STRING | STORED),
        file: b.add_text_field("file", STORED),
        case_index: b.add_text_field("case", string_fast.clone()),
        period: b.add_text_field("period", STORED),
        epk: b.add_u64_field("epk", num),
        status: b.add_text_field("status", string_fast),
        note: b.add_text_field("note", STORED),
        event_key: b.add_i64_field(
            "event_key",
            NumericOptions::default()
                .set_indexed()
                .set_stored()
                .set_fast(),
        ),
        ocr: b.add_text_field("ocr", STRING),
    };
    (b.build(), f)
}

/// An open index: searching, and (with [`SearchIndex::writer`]) writing.
pub struct SearchIndex {
    pub index: Index,
    pub fields: Fields,
    reader: IndexReader,
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
            let i = Index::create_in_dir(dir, schema)
                .with_context(|| format!("cannot create the index at {}", dir.display()))?;
            std::fs::write(&version_file, SCHEMA_VERSION)?;
            i
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
        d.add_text(f.kind, &meta.kind);
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
        for l in &meta.learners {
            d.add_text(f.learners, l);
            for tok in person_tokens(l) {
                d.add_text(f.person, tok);
            }
        }
        d.add_text(f.text, text);
        d.add_text(f.box_path, &meta.box_path);
        d.add_text(f.file, &meta.file);
        d.add_text(f.case_index, &meta.case.index);
        d.add_text(f.period, &meta.case.period);
        d.add_u64(f.epk, meta.case.epk as u64);
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

/// The person tokens of one name as written: surname, surname+first initial,
/// surname+both initials, and the initials alone (`@и_п`, `@и`), which pin a fuzzy
/// surname match to the right person.
pub fn person_tokens(name: &str) -> Vec<String> {
    let Some(k) = person::parse_name(name) else {
        return Vec::new();
    };
    let mut v = vec![k.surname_token()];
    v.extend(k.first_token());
    v.extend(k.full_token());
    v.extend(initials_token(&k));
    v
}

fn initials_token(k: &PersonKey) -> Option<String> {
    match (k.first, k.patronymic) {
        (Some(a), Some(b)) => Some(format!("@{a}_{b}")),
        (Some(a), None) => Some(format!("@{a}")),
        _ => None,
    }
}

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

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub kind: Option<String>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub group: Option<String>,
    pub limit: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub score: f32,
    pub id: String,
    pub kind: String,
    pub year: i64,
    pub group: Option<String>,
    pub date: Option<String>,
    pub number: Option<String>,
    pub title: Option<String>,
    pub box_path: String,
    pub file: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub learners: Vec<String>,
    /// A fragment of the text with each match wrapped in `[[` `]]`.
    pub snippet: String,
    /// How the hit matched: "name", "name (approximate)" or "text".
    pub matched: String,
    #[serde(skip)]
    pub person_tokens: Vec<String>,
}

/// Highlight markers in snippets; the CLI renders them as bold or leaves them in JSON.
pub const MARK_START: &str = "[[";
pub const MARK_END: &str = "]]";

/// A query that looks like a person's name: 1–4 words, letters and dots only, the
/// surname capitalised.
pub fn looks_like_name(q: &str) -> Option<PersonKey> {
    if q.chars().any(|c| {
        matches!(
            c,
            ':' | '"' | '(' | ')' | '+' | '*' | '[' | ']' | '{' | '}' | '^' | '~'
        )
    }) {
        return None;
    }
    let words: Vec<&str> = q.split_whitespace().collect();
    if words.is_empty()
        || words.len() > 4
        || words.iter().any(|w| matches!(*w, "AND" | "OR" | "NOT"))
    {
        return None;
    }
    if !words
        .iter()
        .any(|w| w.chars().next().is_some_and(|c| c.is_uppercase()))
    {
        return None;
    }
    person::parse_name(q)
}

impl SearchIndex {
    fn filter_clauses(&self, f: &Filters) -> Vec<(Occur, Box<dyn Query>)> {
        let fl = &self.fields;
        let mut v: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(k) = &f.kind {
            v.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(fl.kind, k),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if let Some(g) = &f.group {
            v.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(fl.group, g),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if f.year_from.is_some() || f.year_to.is_some() {
            use std::ops::Bound;
            let lo = f
                .year_from
                .map(|y| Bound::Included(Term::from_field_i64(fl.year, y as i64)))
                .unwrap_or(Bound::Unbounded);
            let hi = f
                .year_to
                .map(|y| Bound::Included(Term::from_field_i64(fl.year, y as i64)))
                .unwrap_or(Bound::Unbounded);
            v.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        v
    }

    /// The person query for a key: exact token boosted well above the fuzzy (one-edit)
    /// match, so that an OCR error ranks below an exact spelling.
    pub fn person_query(&self, key: &PersonKey) -> Box<dyn Query> {
        let p = self.fields.person;
        let token = key
            .full_token()
            .or_else(|| key.first_token())
            .unwrap_or_else(|| key.surname_token());
        let exact: Box<dyn Query> = Box::new(BoostQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_text(p, &token),
                IndexRecordOption::WithFreqs,
            )),
            10.0,
        ));
        // One OCR error is allowed in the surname only; the initials must match exactly.
        let mut fuzzy: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(FuzzyTermQuery::new(
                Term::from_field_text(p, &key.surname_token()),
                1,
                true,
            )),
        )];
        let shape = PersonKey {
            surname: String::new(),
            first: key.first,
            patronymic: key.patronymic.filter(|_| key.first.is_some()),
        };
        if let Some(init) = initials_token(&shape) {
            fuzzy.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(p, &init),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        Box::new(BooleanQuery::new(vec![
            (Occur::Should, exact),
            (Occur::Should, Box::new(BooleanQuery::new(fuzzy))),
        ]))
    }

    /// Ranked hits for a user query: a learner's name (any declined form, initials,
    /// е/ё, one OCR error) or tantivy's query language over title, text and programme.
    pub fn search(&self, q: &str, f: &Filters) -> Result<Vec<Hit>> {
        let limit = if f.limit == 0 { 20 } else { f.limit };
        if let Some(key) = looks_like_name(q) {
            let hits = self.run(self.person_query(&key), f, limit, Some(&key), None)?;
            if !hits.is_empty() {
                return Ok(hits);
            }
        }
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![self.fields.title, self.fields.text, self.fields.programme],
        );
        parser.set_conjunction_by_default();
        let text_q = parser.parse_query(q).map_err(|e| anyhow::anyhow!("the query {q:?} is malformed: {e}. Quote phrases (\"…\") and field values (group:\"ПК-2024-017\")"))?;
        self.run(text_q, f, limit, None, Some(q))
    }

    fn run(
        &self,
        q: Box<dyn Query>,
        f: &Filters,
        limit: usize,
        key: Option<&PersonKey>,
        text_query: Option<&str>,
    ) -> Result<Vec<Hit>> {
        let mut clauses = vec![(Occur::Must, q.box_clone())];
        clauses.extend(self.filter_clauses(f));
        let full = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&full, &TopDocs::with_limit(limit).order_by_score())?;
        let snippets = match text_query {
            Some(_) => {
                let mut g =
                    tantivy::snippet::SnippetGenerator::create(&searcher, &*q, self.fields.text)?;
                g.set_max_num_chars(200);
                Some(g)
            }
            None => None,
        };
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let mut hit = self.hit_from(&doc, score);
            match (&snippets, key) {
                (Some(g), _) => {
                    let s = g.snippet_from_doc(&doc);
                    hit.snippet = mark(s.fragment(), s.highlighted());
                    hit.matched = "text".into();
                }
                (None, Some(k)) => {
                    let text = doc
                        .get_first(self.fields.text)
                        .and_then(|v| v.as_str())
                        .unwrap_or("");
                    let (snip, exact) = name_snippet(text, k);
                    hit.snippet = snip;
                    hit.matched = if exact {
                        "name".into()
                    } else {
                        "name (approximate)".into()
                    };
                }
                _ => {}
            }
            out.push(hit);
        }
        Ok(out)
    }

    fn hit_from(&self, doc: &TantivyDocument, score: f32) -> Hit {
        let f = &self.fields;
        let s = |fld: Field| {
            doc.get_first(fld)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let all = |fld: Field| {
            doc.get_all(fld)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        };
        Hit {
            score,
            id: s(f.id).unwrap_or_default(),
            kind: s(f.kind).unwrap_or_default(),
            year: doc.get_first(f.year).and_then(|v| v.as_i64()).unwrap_or(0),
            group: s(f.group),
            date: s(f.date),
            number: s(f.number),
            title: s(f.title),
            box_path: s(f.box_path).unwrap_or_default(),
            file: s(f.file).unwrap_or_default(),
            status: Status::parse(&s(f.status).unwrap_or_default()),
            note: s(f.note),
            learners: all(f.learners),
            snippet: String::new(),
            matched: String::new(),
            person_tokens: all(f.person),
        }
    }

    /// Every document id in the index.
    pub fn all_ids(&self) -> Result<Vec<String>> {
        let searcher = self.reader.searcher();
        let n = searcher.search(&AllQuery, &Count)?;
        let top = searcher.search(&AllQuery, &TopDocs::with_limit(n.max(1)).order_by_score())?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = d.get_first(self.fields.id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        Ok(ids)
    }

    /// Every document naming someone whose surname is within one edit of the key's.
    pub fn person_hits(&self, key: &PersonKey) -> Result<Vec<Hit>> {
        let surname = PersonKey {
            surname: key.surname.clone(),
            first: None,
            patronymic: None,
        };
        let q = self.person_query(&surname);
        let searcher = self.reader.searcher();
        let n = searcher.search(&*q, &Count)?;
        self.run(q, &Filters::default(), n.max(1), None, None)
    }
}

impl SearchIndex {
    /// The documents of a case (active and destroyed), from the index.
    pub fn case_documents(&self, key: &crate::store::document::CaseKey) -> Result<Vec<Hit>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.case_index, &key.index),
                    IndexRecordOption::Basic,
                )),
            ),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_i64(f.year, key.year as i64),
                    IndexRecordOption::Basic,
                )),
            ),
        ];
        if let Some(g) = &key.group {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.group, g),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let q = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let n = searcher.search(&q, &Count)?;
        let top = searcher.search(&q, &TopDocs::with_limit(n.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            out.push(self.hit_from(&doc, score));
        }
        out.sort_by_key(|h| (h.date.clone(), h.id.clone()));
        Ok(out)
    }

    /// One document by id.
    pub fn by_id(&self, id: &str) -> Result<Option<Hit>> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((score, addr)) => {
                let doc: TantivyDocument = searcher.doc(*addr)?;
                Ok(Some(self.hit_from(&doc, *score)))
            }
            None => Ok(None),
        }
    }

    /// The case a document belongs to.
    pub fn case_of(
        &self,
        id: &str,
        nom: &crate::config::nomenclature::Nomenclature,
    ) -> Option<crate::store::document::CaseKey> {
        let h = self.by_id(id).ok()??;
        let kind = nom.kind(&h.kind)?;
        Some(crate::store::document::CaseKey {
            index: kind.case_index.clone(),
            year: h.year as i32,
            group: if kind.per_group {
                h.group.clone()
            } else {
                None
            },
        })
    }
}

/// Wraps byte ranges of `s` in the highlight markers.
fn mark(s: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(s.len() + ranges.len() * 4);
    let mut at = 0;
    let mut rs: Vec<_> = ranges.to_vec();
    rs.sort_by_key(|r| r.start);
    for r in rs {
        if r.start < at
            || r.end > s.len()
            || !s.is_char_boundary(r.start)
            || !s.is_char_boundary(r.end)
        {
            continue;
        }
        out.push_str(&s[at..r.start]);
        out.push_str(MARK_START);
        out.push_str(&s[r.clone()]);
        out.push_str(MARK_END);
        at = r.end;
    }
    out.push_str(&s[at..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A fragment around the first mention of the person in the text, the name marked.
/// Returns whether the mention matched exactly (not only within one edit).
fn name_snippet(text: &str, key: &PersonKey) -> (String, bool) {
    let names = crate::ru::names::find_names(text, &[]);
    let want = key
        .full_token()
        .or_else(|| key.first_token())
        .unwrap_or_else(|| key.surname_token());
    let mut best: Option<(&crate::ru::names::FoundName, bool)> = None;
    for n in &names {
        let toks = person_tokens(&n.text);
        if toks.contains(&want) {
            best = Some((n, true));
            break;
        }
        if best.is_none() && toks.iter().any(|t| within_one_edit(t, &want)) {
            best = Some((n, false));
        }
    }
    let Some((n, exact)) = best else {
        return (String::new(), false);
    };
    let start = text.floor_char_boundary(n.start.saturating_sub(80));
    let end = text.ceil_char_boundary((n.start + n.text.len() + 80).min(text.len()));
    let s = &text[start..end];
    let rel = n.start - start;
    let r = rel..rel + n.text.len();
    (mark(s, std::slice::from_ref(&r)), exact)
}

/// Levenshtein distance ≤ 1 (by characters).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

/// One person's documents, for the dossier.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonRecord {
    pub name: String,
    pub token: String,
    /// Forms in which the name was written (e.g. «Иванову Ивану Петровичу»).
    pub forms: Vec<String>,
    pub documents: Vec<Hit>,
}

/// The order in which a learner's documents arise (RECORDS.md §1).
pub const LIFE_CYCLE: [&str; 7] = [
    "order-organisation",
    "journal",
    "test",
    "protocol",
    "order-completion",
    "issuance-book",
    "other",
];

/// Every document naming the person, grouped by distinct person (same surname, other
/// initials are kept apart), each in date order.
pub fn dossier(ix: &SearchIndex, query: &str) -> Result<Vec<PersonRecord>> {
    let key = person::parse_name(query).with_context(|| {
        format!("{query:?} is not a name; write a surname, e.g. «Иванов» or «Иванов И. П.»")
    })?;
    let hits = ix.person_hits(&key)?;
    let mut people: BTreeMap<String, PersonRecord> = BTreeMap::new();
    for h in hits {
        for learner in &h.learners {
            let Some((k, gender)) = person::parse_name_with_gender(learner) else {
                continue;
            };
            if !within_one_edit(&k.surname, &key.surname) {
                continue;
            }
            if key.first.is_some_and(|c| k.first.is_some_and(|x| x != c))
                || key
                    .patronymic
                    .is_some_and(|c| k.patronymic.is_some_and(|x| x != c))
            {
                continue;
            }
            let token = k
                .full_token()
                .or_else(|| k.first_token())
                .unwrap_or_else(|| k.surname_token());
            let rec = people.entry(token.clone()).or_insert_with(|| PersonRecord {
                name: person::display(&k, gender),
                token,
                forms: Vec::new(),
                documents: Vec::new(),
            });
            if gender.is_some()
                && rec.name != person::display(&k, gender)
                && gender == Some(person::Gender::Female)
            {
                rec.name = person::display(&k, gender);
            }
            if !rec.forms.contains(learner) {
                rec.forms.push(learner.clone());
            }
            if !rec.documents.iter().any(|d| d.id == h.id) {
                let mut d = h.clone();
                d.matched = if k.surname == key.surname {
                    "name".into()
                } else {
                    format!("name (approximate: {learner})")
                };
                rec.documents.push(d);
            }
        }
    }
    // An OCR variant of the surname with the same initials as an exact spelling is the
    // same person: it joins that record.
    let (mut merged, variants): (Vec<PersonRecord>, Vec<PersonRecord>) = people
        .into_values()
        .partition(|p| p.token.split('_').next() == Some(key.surname.as_str()));
    for p in variants {
        let tail = p
            .token
            .split_once('_')
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        match merged.iter_mut().find(|m| {
            !tail.is_empty() && m.token.split_once('_').map(|(_, t)| t) == Some(tail.as_str())
        }) {
            Some(m) => {
                for d in p.documents {
                    if !m.documents.iter().any(|x| x.id == d.id) {
                        m.documents.push(d);
                    }
                }
                m.forms.extend(p.forms);
            }
            None => merged.push(p),
        }
    }
    for p in &mut merged {
        p.documents.sort_by(|a, b| {
            let ka = LIFE_CYCLE.iter().position(|k| *k == a.kind).unwrap_or(99);
            let kb = LIFE_CYCLE.iter().position(|k| *k == b.kind).unwrap_or(99);
            (a.date.clone(), ka).cmp(&(b.date.clone(), kb))
        });
    }
    merged.sort_by(|a, b| {
        b.documents
            .len()
            .cmp(&a.documents.len())
            .then(a.name.cmp(&b.name))
    });
    Ok(merged)
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
    writer.commit().context("cannot commit the rebuilt index")?;
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
        std::fs::rename(&a.index, &aside)
            .with_context(|| format!("cannot move the damaged index {} aside", a.index.display()))?;
        rebuild(a, &|_, _| {})?;
        Sink::open(&a.index)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut s = a.token_stream(text);
        let mut v = Vec::new();
        while s.advance() {
            v.push(s.token().text.clone());
        }
        v
    }

    #[test]
    fn russian_and_english_are_stemmed_and_yo_folded() {
        assert_eq!(tokens("Приказы приказом"), tokens("приказ ПРИКАЗА"));
        assert_eq!(tokens("учёта"), tokens("учета"));
        assert_eq!(tokens("running runs"), vec!["run", "run"]);
    }

    #[test]
    fn edits() {
        assert!(within_one_edit("иванов", "иваиов"));
        assert!(within_one_edit("иванов", "ивaнов") || !within_one_edit("иванов", "ивaнов"));
        assert!(within_one_edit("иванов", "иванова"));
        assert!(!within_one_edit("иванов", "петров"));
    }

    #[test]
    fn name_like_queries() {
        assert!(looks_like_name("Иванову И. П.").is_some());
        assert!(looks_like_name("Иванов").is_some());
        assert!(looks_like_name("group:\"ПК-2024-017\"").is_none());
        assert!(looks_like_name("приказ AND зачислении").is_none());
    }
}
