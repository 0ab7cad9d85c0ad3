//! A learner's dossier: every document naming the person, grouped by distinct person
//! (same surname, other initials or gender kept apart), each in date order, with the
//! person's results table — programme, group, dates, result, certificate — built from the
//! protocols, orders and books of issue, each value with the document it came from.
//!
//! Nothing here loads a document's stored text: the names come from the term
//! dictionary ([`super::person`]), and what the dossier shows of each document comes from
//! two columnar fields written at indexing — `card` (the document's metadata) and
//! `result` (one value per learner result the document states) — so a dossier over
//! thousands of documents reads a few columns.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, TantivyDocument};

use super::index::SearchIndex;
use super::person::{MatchedTerm, person_terms};
use super::query::Hit;
use super::schema::Fields;
use crate::error::Invalid;
use crate::ru::namematch::{Match, NameQuery};
use crate::ru::person::{self, Gender, PersonKey, TERM_SEP};
use crate::ru::results::{IssuedDocument, LearnerResult, certificate_terms};
use crate::store::document::{DocumentMeta, Status};

/// One person's documents and results, for the dossier.
#[derive(Debug, Clone, Serialize)]
pub struct PersonRecord {
    /// «Сидорова А. С.»
    pub name: String,
    /// «сидоров_а_с»: who this is, as far as surname and initials tell (a gender mark
    /// `_ж`/`_м` is added when two people share those).
    pub token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// Forms in which the name was written (e.g. «Иванову Ивану Петровичу»).
    pub forms: Vec<String>,
    /// How many documents name this person (also when `documents` is not filled).
    pub count: usize,
    /// The documents, in date order; empty for a person given only in summary
    /// ([`Detail::First`]).
    pub documents: Vec<Hit>,
    /// One row per programme (group) the person attended, from protocols, orders and
    /// books of issue; empty for a person given only in summary.
    pub results: Vec<ResultRow>,
}

/// Which of the people a name means are given in full (documents and results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everyone (the CLI, the record card).
    #[default]
    Everyone,
    /// The person with the most documents; the others as name, forms and count (a page
    /// that lists namesakes to choose from need not read their documents).
    First,
}

/// What a dossier is asked for beyond the name.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// A person token from an earlier dossier («сидоров_а_с», «сидоров_а_с_ж»): only
    /// that person.
    pub token: Option<String>,
    pub detail: Detail,
}

/// One programme in a learner's record of results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResultRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Date of the enrolment order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<NaiveDate>,
    /// Date of the completion order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<NaiveDate>,
    /// The attestation result, from the protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// The certificate or diploma issued, from the book of issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<IssuedDocument>,
    /// The documents the values came from.
    pub sources: Vec<ResultSource>,
}

/// A document a value of the results table came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultSource {
    /// What it gave: `enrolment`, `result`, `completion`, `certificate`.
    pub gave: String,
    pub id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub box_path: String,
    pub file: String,
}

/// The order in which a learner's documents arise (DOMAIN.md §1).
pub const LIFE_CYCLE: [&str; 7] = [
    "order-organisation",
    "journal",
    "test",
    "protocol",
    "order-completion",
    "issuance-book",
    "other",
];

/// What the dossier shows of a document: its `card` column value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Card {
    pub id: String,
    pub kind: String,
    pub year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub box_path: String,
    pub file: String,
    #[serde(default)]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The programme the document states (results), else the one classification found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
}

impl Card {
    fn of(meta: &DocumentMeta) -> Card {
        let results = meta.results.as_ref();
        Card {
            id: meta.id.clone(),
            kind: meta.kind.clone(),
            year: meta.year,
            group: meta.group.clone(),
            date: meta.date,
            number: meta.number.clone(),
            title: meta.title.clone(),
            box_path: meta.box_path.clone(),
            file: meta.file.clone(),
            status: meta.status,
            note: meta.status_note.clone(),
            programme: results
                .and_then(|r| r.programme.clone())
                .or_else(|| meta.programme.clone()),
            hours: results.and_then(|r| r.hours),
        }
    }

    fn hit(&self, matched: String, quality: Match) -> Hit {
        Hit {
            score: if quality == Match::Exact { 1.0 } else { 0.5 },
            id: self.id.clone(),
            kind: self.kind.clone(),
            year: self.year as i64,
            group: self.group.clone(),
            date: self.date.map(|d| d.format("%Y-%m-%d").to_string()),
            number: self.number.clone(),
            title: self.title.clone(),
            box_path: self.box_path.clone(),
            file: self.file.clone(),
            status: self.status,
            note: self.note.clone(),
            learners: Vec::new(),
            snippet: String::new(),
            matched,
            person_tokens: Vec::new(),
        }
    }

    pub(crate) fn source(&self, gave: &str) -> ResultSource {
        ResultSource {
            gave: gave.to_string(),
            id: self.id.clone(),
            kind: self.kind.clone(),
            date: self.date,
            number: self.number.clone(),
            title: self.title.clone(),
            box_path: self.box_path.clone(),
            file: self.file.clone(),
        }
    }
}

/// A learner result as the `result` column keeps it: the entry and the person terms of
/// its name, so a dossier picks its person's entries by term.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResultValue {
    pub terms: Vec<String>,
    #[serde(flatten)]
    pub entry: LearnerResult,
}

/// The learner fields of a document in the index: learners (stored), person terms,
/// the card, the learner results and the certificate numbers issued.
pub(crate) fn learner_fields(f: &Fields, meta: &DocumentMeta, d: &mut TantivyDocument) {
    for l in &meta.learners {
        d.add_text(f.learners, l);
        for t in person_terms(l) {
            d.add_text(f.person, t);
        }
    }
    for entry in meta.results.iter().flat_map(|r| &r.learners) {
        let terms = person_terms(&entry.name);
        if !meta.learners.contains(&entry.name) {
            for t in &terms {
                d.add_text(f.person, t);
            }
        }
        for c in entry.issued.iter().flat_map(certificate_terms) {
            d.add_text(f.certificate, c);
        }
        let value = ResultValue {
            terms,
            entry: entry.clone(),
        };
        if let Ok(bytes) = serde_json::to_vec(&value) {
            d.add_bytes(f.result, &bytes);
        }
    }
    if let Ok(bytes) = serde_json::to_vec(&Card::of(meta)) {
        d.add_bytes(f.card, &bytes);
    }
}

/// Reads the `card` and `result` columns of a set of documents, segment by segment in
/// ordinal order (one pass over each column's dictionary).
pub(crate) struct Columns<'s> {
    searcher: &'s Searcher,
}

impl<'s> Columns<'s> {
    pub(crate) fn new(searcher: &'s Searcher) -> Self {
        Columns { searcher }
    }

    /// The cards of `docs`.
    pub(crate) fn cards(&self, docs: &[DocAddress]) -> Result<HashMap<DocAddress, Card>> {
        let mut out = HashMap::with_capacity(docs.len());
        self.read("card", docs, |addr, bytes| {
            if let Ok(card) = serde_json::from_slice::<Card>(bytes) {
                out.insert(addr, card);
            }
        })?;
        Ok(out)
    }

    /// The group of each of `docs` that has one, from the `group` column (no card read).
    /// Each segment's distinct groups are named in one ordered pass over its dictionary.
    pub(crate) fn groups(&self, docs: &[DocAddress]) -> Result<HashMap<DocAddress, String>> {
        let mut out = HashMap::with_capacity(docs.len());
        for (seg_ord, ids) in by_segment(docs) {
            let seg = self.searcher.segment_reader(seg_ord);
            let Some(col) = seg
                .fast_fields()
                .str("group")
                .context("cannot read the group column of the index")?
            else {
                continue;
            };
            let of_doc: Vec<(u32, u64)> = ids
                .iter()
                .filter_map(|&id| Some((id, col.term_ords(id).next()?)))
                .collect();
            let mut ords: Vec<u64> = of_doc.iter().map(|(_, o)| *o).collect();
            ords.sort_unstable();
            ords.dedup();
            let mut names: Vec<String> = Vec::with_capacity(ords.len());
            col.dictionary()
                .sorted_ords_to_term_cb(&ords, |bytes| {
                    names.push(String::from_utf8_lossy(bytes).into_owned());
                })
                .context("cannot read the group column of the index")?;
            for (id, ord) in of_doc {
                if let Ok(i) = ords.binary_search(&ord)
                    && let Some(name) = names.get(i)
                {
                    out.insert(DocAddress::new(seg_ord, id), name.clone());
                }
            }
        }
        Ok(out)
    }

    /// The learner results of `docs`.
    pub(crate) fn results(
        &self,
        docs: &[DocAddress],
    ) -> Result<HashMap<DocAddress, Vec<ResultValue>>> {
        let mut out: HashMap<DocAddress, Vec<ResultValue>> = HashMap::new();
        self.read("result", docs, |addr, bytes| {
            if let Ok(v) = serde_json::from_slice::<ResultValue>(bytes) {
                out.entry(addr).or_default().push(v);
            }
        })?;
        Ok(out)
    }

    fn read(
        &self,
        column: &str,
        docs: &[DocAddress],
        mut each: impl FnMut(DocAddress, &[u8]),
    ) -> Result<()> {
        for (seg_ord, ids) in by_segment(docs) {
            let seg = self.searcher.segment_reader(seg_ord);
            let Some(col) = seg
                .fast_fields()
                .bytes(column)
                .with_context(|| format!("cannot read the {column} column of the index"))?
            else {
                anyhow::bail!(
                    "the index has no {column} column; run `archivist reindex` to rebuild it"
                );
            };
            let mut wanted: Vec<(u64, u32)> = ids
                .iter()
                .flat_map(|&id| col.term_ords(id).map(move |o| (o, id)))
                .collect();
            wanted.sort_unstable();
            let ords: Vec<u64> = wanted.iter().map(|(o, _)| *o).collect();
            let mut k = 0;
            col.dictionary()
                .sorted_ords_to_term_cb(&ords, |bytes| {
                    if let Some(&(_, id)) = wanted.get(k) {
                        each(DocAddress::new(seg_ord, id), bytes);
                    }
                    k += 1;
                })
                .with_context(|| format!("cannot read the {column} column of the index"))?;
        }
        Ok(())
    }
}

/// Documents grouped by segment, segments in order.
fn by_segment(docs: &[DocAddress]) -> BTreeMap<u32, Vec<u32>> {
    let mut out: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for d in docs {
        out.entry(d.segment_ord).or_default().push(d.doc_id);
    }
    out
}

/// A person found for the query, while their record is assembled.
struct Person {
    first: Option<char>,
    patronymic: Option<char>,
    gender: Option<Gender>,
    terms: Vec<usize>,
}

fn gender_fits(a: Option<Gender>, b: Option<Gender>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Who is who among the written names that matched: names with both initials make
/// the people (one per initials, two when both genders show), names with less join
/// every person they fit, or make one of their own.
fn people(terms: &[MatchedTerm]) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    let mut complete: BTreeMap<(char, char), Vec<usize>> = BTreeMap::new();
    for (i, t) in terms.iter().enumerate() {
        if let (Some(f), Some(p)) = (t.key.first, t.key.patronymic) {
            complete.entry((f, p)).or_default().push(i);
        }
    }
    for ((f, p), idx) in complete {
        let genders: HashSet<Gender> = idx.iter().filter_map(|&i| terms[i].key.gender).collect();
        if genders.len() > 1 {
            for g in [Gender::Male, Gender::Female] {
                out.push(Person {
                    first: Some(f),
                    patronymic: Some(p),
                    gender: Some(g),
                    terms: idx
                        .iter()
                        .copied()
                        .filter(|&i| gender_fits(terms[i].key.gender, Some(g)))
                        .collect(),
                });
            }
        } else {
            out.push(Person {
                first: Some(f),
                patronymic: Some(p),
                gender: genders.into_iter().next(),
                terms: idx,
            });
        }
    }
    // Less complete names, most complete first: «Иванов И.», «Иванов Иван», «Иванову».
    let mut partial: Vec<usize> = (0..terms.len())
        .filter(|&i| terms[i].key.patronymic.is_none() || terms[i].key.first.is_none())
        .collect();
    partial.sort_by_key(|&i| terms[i].key.first.is_none());
    for i in partial {
        let k = &terms[i].key;
        let fits = |p: &Person| {
            k.first.is_none_or(|f| p.first == Some(f))
                && k.patronymic.is_none_or(|x| p.patronymic == Some(x))
                && gender_fits(p.gender, k.gender)
        };
        let mut joined = false;
        for p in out.iter_mut().filter(|p| fits(p)) {
            p.terms.push(i);
            joined = true;
        }
        if !joined {
            out.push(Person {
                first: k.first,
                patronymic: k.patronymic,
                gender: k.gender,
                terms: vec![i],
            });
        }
    }
    out
}

/// A term as the name was written: «сидоровой|анне|сергеевне» → «Сидоровой Анне
/// Сергеевне», «иванов|и|п» → «Иванов И. П.».
fn written_form(term: &str) -> String {
    let cap = |s: &str| {
        s.split('-')
            .map(|p| {
                let mut cs = p.chars();
                cs.next()
                    .map(|c| c.to_uppercase().chain(cs).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-")
    };
    term.split(TERM_SEP)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.chars().count() == 1 {
                format!("{}.", cap(p))
            } else {
                cap(p)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The documents each matched term is written in (live documents only).
fn term_documents(
    searcher: &Searcher,
    ix: &SearchIndex,
    t: &MatchedTerm,
) -> Result<Vec<DocAddress>> {
    let mut out = Vec::new();
    for (seg_ord, info) in &t.postings {
        let seg = searcher.segment_reader(*seg_ord as u32);
        let inv = seg.inverted_index(ix.fields.person)?;
        let mut postings = inv
            .read_postings_from_terminfo(info, IndexRecordOption::Basic)
            .context("cannot read the index's postings")?;
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if !seg.is_deleted(doc) {
                out.push(DocAddress::new(*seg_ord as u32, doc));
            }
            doc = postings.advance();
        }
    }
    Ok(out)
}

/// Every document naming the person, grouped by distinct person (same surname, other
/// initials are kept apart), each in date order, with the results table.
pub fn dossier(ix: &SearchIndex, query: &str) -> Result<Vec<PersonRecord>> {
    let key = person::parse_name(query).ok_or_else(|| {
        Invalid(format!(
            "{query:?} is not a name; write a surname, e.g. «Иванов» or «Иванов И. П.»"
        ))
    })?;
    dossier_for(ix, key, &Scope::default())
}

/// A person as the dossier lists them, before their documents are read.
struct Listed<'g> {
    person: &'g Person,
    docs: BTreeMap<DocAddress, Via>,
    token: String,
    name: String,
}

/// The dossier of a parsed name. Cards and results are read only for the people given
/// in full: a bare surname may mean hundreds of namesakes and thousands of documents.
pub fn dossier_for(ix: &SearchIndex, key: PersonKey, scope: &Scope) -> Result<Vec<PersonRecord>> {
    let searcher = ix.searcher();
    let q = NameQuery::new(key.clone());
    // Everyone with the surname and initials, whatever their full names and gender: a
    // namesake's names tell which of two people an ambiguous mention is (see
    // `settle_gender_splits`). The query's own matches are picked out of them.
    let broad = NameQuery::new(PersonKey {
        first_name: None,
        patronymic_name: None,
        gender: None,
        ..key.clone()
    });
    let mut terms = ix.matching_terms(&searcher, &broad)?;
    let asked: Vec<bool> = terms
        .iter_mut()
        .map(|t| match q.matches(&t.key) {
            Some(quality) => {
                t.quality = quality;
                true
            }
            None => false,
        })
        .collect();
    let groups = people(&terms);
    let mut docs_of_term: Vec<Vec<DocAddress>> = Vec::with_capacity(terms.len());
    for t in &terms {
        docs_of_term.push(term_documents(&searcher, ix, t)?);
    }
    let columns = Columns::new(&searcher);
    let mut via: Vec<BTreeMap<DocAddress, Via>> = groups
        .iter()
        .map(|g| documents_of(g, &terms, &asked, &docs_of_term))
        .collect();
    let paired = gender_pairs(&groups);
    let group_of = {
        let mut v: Vec<DocAddress> = paired
            .iter()
            .flat_map(|&(i, _)| via[i].keys().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        columns.groups(&v)?
    };
    settle_gender_splits(&paired, &mut via, &group_of);
    // Only what the query asks for: documents naming the person its way, people of its
    // gender.
    for docs in &mut via {
        docs.retain(|_, v| v.asked);
    }
    // Two people with the same initials differ by gender only: mark their tokens.
    let mut initials_seen: HashMap<(Option<char>, Option<char>), usize> = HashMap::new();
    for g in &groups {
        *initials_seen.entry((g.first, g.patronymic)).or_default() += 1;
    }
    let mut listed: Vec<Listed> = groups
        .iter()
        .zip(via)
        .filter(|(g, docs)| !docs.is_empty() && gender_fits(g.gender, q.key.gender))
        .map(|(g, docs)| {
            let shared = initials_seen.get(&(g.first, g.patronymic)).copied() > Some(1);
            let shape = PersonKey {
                first: g.first,
                patronymic: g.patronymic,
                ..key.clone()
            };
            Listed {
                person: g,
                docs,
                token: token_of(&shape, g.gender, shared),
                name: person::display(&shape, g.gender),
            }
        })
        .filter(|l| {
            scope
                .token
                .as_deref()
                .is_none_or(|t| token_picks(t, &l.token))
        })
        .collect();
    listed.sort_by(|a, b| b.docs.len().cmp(&a.docs.len()).then(a.name.cmp(&b.name)));
    let in_full = match scope.detail {
        Detail::Everyone => listed.len(),
        Detail::First => listed.len().min(1),
    };
    let all: Vec<DocAddress> = {
        let mut v: Vec<DocAddress> = listed[..in_full]
            .iter()
            .flat_map(|l| l.docs.keys().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let cards = columns.cards(&all)?;
    let with_results: Vec<DocAddress> = all
        .iter()
        .copied()
        .filter(|a| {
            cards
                .get(a)
                .is_some_and(|c| crate::ru::results::RESULT_KINDS.contains(&c.kind.as_str()))
        })
        .collect();
    let results = columns.results(&with_results)?;
    Ok(listed
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let mut r = outline(&l, &terms);
            if i < in_full {
                fill(&mut r, &l, &terms, &cards, &results);
            }
            r
        })
        .collect())
}

/// A person's token: surname and initials, with a gender mark when two people share
/// those.
fn token_of(shape: &PersonKey, gender: Option<Gender>, shared_initials: bool) -> String {
    let mut token = shape.token();
    if shared_initials {
        match gender {
            Some(Gender::Female) => token.push_str("_ж"),
            Some(Gender::Male) => token.push_str("_м"),
            None => {}
        }
    }
    token
}

/// Whether an asked token names this person: the same token, or the same without the
/// gender mark (a mark is written only when two people share the initials).
fn token_picks(asked: &str, token: &str) -> bool {
    token == asked
        || asked
            .strip_prefix(token)
            .is_some_and(|mark| mark == "_ж" || mark == "_м")
}

/// How a document names a person: the closest written name, and whether some name in it
/// shows the gender.
#[derive(Clone, Copy)]
struct Via {
    quality: Match,
    term: usize,
    gender_shown: bool,
    /// Some name in it is one the query asks for.
    asked: bool,
}

/// Each document of a person once, with the closest way it names them.
fn documents_of(
    g: &Person,
    terms: &[MatchedTerm],
    asked: &[bool],
    docs_of_term: &[Vec<DocAddress>],
) -> BTreeMap<DocAddress, Via> {
    let mut docs: BTreeMap<DocAddress, Via> = BTreeMap::new();
    for &i in &g.terms {
        let t = &terms[i];
        for a in &docs_of_term[i] {
            let shown = t.key.gender.is_some();
            let e = docs.entry(*a).or_insert(Via {
                quality: t.quality,
                term: i,
                gender_shown: shown,
                asked: asked[i],
            });
            // The closest of the names the query asks for.
            if asked[i] && (!e.asked || t.quality < e.quality) {
                e.quality = t.quality;
                e.term = i;
            }
            e.gender_shown |= shown;
            e.asked |= asked[i];
        }
    }
    docs
}

/// The people who differ by gender only (same initials): (i, j) for each ordered pair.
fn gender_pairs(groups: &[Person]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, a) in groups.iter().enumerate() {
        for (j, b) in groups.iter().enumerate() {
            if i != j
                && a.first == b.first
                && a.patronymic == b.patronymic
                && a.gender.is_some()
                && b.gender.is_some()
                && a.gender != b.gender
            {
                out.push((i, j));
            }
        }
    }
    out
}

/// A man and a woman with the same surname and initials (Сидоров Антон Сергеевич,
/// Сидорова Анна Сергеевна): «Сидорова А. С.» may be either. Such a document goes to the
/// one whose gender the documents of its group show, when only one of them is shown there
/// (a protocol of her group lists her, not his genitive).
fn settle_gender_splits(
    pairs: &[(usize, usize)],
    via: &mut [BTreeMap<DocAddress, Via>],
    group_of: &HashMap<DocAddress, String>,
) {
    // Who shows in which groups does not change below: only documents that do not show
    // the gender are dropped.
    let mut shown: HashMap<usize, HashSet<&str>> = HashMap::new();
    for &(i, _) in pairs {
        shown.entry(i).or_insert_with(|| {
            via[i]
                .iter()
                .filter(|(_, v)| v.gender_shown)
                .filter_map(|(a, _)| group_of.get(a).map(String::as_str))
                .collect()
        });
    }
    let none = HashSet::new();
    for &(i, j) in pairs {
        let mine = shown.get(&i).unwrap_or(&none);
        let theirs = shown.get(&j).unwrap_or(&none);
        via[i].retain(|addr, v| {
            v.gender_shown
                || !group_of
                    .get(addr)
                    .is_some_and(|g| theirs.contains(g.as_str()) && !mine.contains(g.as_str()))
        });
    }
}

/// A person's name, token, the forms their name is written in, and their count.
fn outline(l: &Listed, terms: &[MatchedTerm]) -> PersonRecord {
    let mut forms: Vec<String> = Vec::new();
    let used: HashSet<usize> = l.docs.values().map(|v| v.term).collect();
    for &i in &l.person.terms {
        let form = written_form(&terms[i].term);
        if used.contains(&i) && !forms.contains(&form) {
            forms.push(form);
        }
    }
    PersonRecord {
        name: l.name.clone(),
        token: l.token.clone(),
        gender: l.person.gender,
        forms,
        count: l.docs.len(),
        documents: Vec::new(),
        results: Vec::new(),
    }
}

/// A person's documents in date order and their results table.
fn fill(
    r: &mut PersonRecord,
    l: &Listed,
    terms: &[MatchedTerm],
    cards: &HashMap<DocAddress, Card>,
    results: &HashMap<DocAddress, Vec<ResultValue>>,
) {
    let my_terms: HashSet<&str> = l
        .person
        .terms
        .iter()
        .map(|&i| terms[i].term.as_str())
        .collect();
    let mut documents: Vec<(Hit, &Card, DocAddress)> = l
        .docs
        .iter()
        .filter_map(|(a, v)| {
            let card = cards.get(a)?;
            let matched = match v.quality {
                Match::Exact => "name".to_string(),
                Match::Approximate => {
                    format!("name (approximate: {})", written_form(&terms[v.term].term))
                }
            };
            Some((card.hit(matched, v.quality), card, *a))
        })
        .collect();
    documents.sort_by(|(a, _, _), (b, _, _)| {
        let ka = LIFE_CYCLE.iter().position(|k| *k == a.kind).unwrap_or(99);
        let kb = LIFE_CYCLE.iter().position(|k| *k == b.kind).unwrap_or(99);
        (a.date.clone(), ka, &a.id).cmp(&(b.date.clone(), kb, &b.id))
    });
    r.results = results_table(&documents, results, &my_terms);
    r.documents = documents.into_iter().map(|(h, _, _)| h).collect();
    r.count = r.documents.len();
}

/// The results table of one person from their documents (in date order): one row per
/// group (or programme), filled by enrolment and completion orders, protocols and
/// books of issue.
fn results_table(
    documents: &[(Hit, &Card, DocAddress)],
    results: &HashMap<DocAddress, Vec<ResultValue>>,
    my_terms: &HashSet<&str>,
) -> Vec<ResultRow> {
    let mut rows: Vec<(String, ResultRow)> = Vec::new();
    for (_, card, addr) in documents {
        if !crate::ru::results::RESULT_KINDS.contains(&card.kind.as_str()) {
            continue;
        }
        let mine: Vec<&LearnerResult> = results
            .get(addr)
            .into_iter()
            .flatten()
            .filter(|v| v.terms.iter().any(|t| my_terms.contains(t.as_str())))
            .map(|v| &v.entry)
            .collect();
        let row_key = card
            .group
            .clone()
            .or_else(|| card.programme.clone())
            .unwrap_or_else(|| card.id.clone());
        let at = match rows.iter().position(|(k, _)| *k == row_key) {
            Some(i) => i,
            None => {
                rows.push((row_key, ResultRow::default()));
                rows.len() - 1
            }
        };
        let row = &mut rows[at].1;
        if row.group.is_none() {
            row.group = card.group.clone();
        }
        let programme = |row: &mut ResultRow, authoritative: bool| {
            if card.programme.is_some() && (authoritative || row.programme.is_none()) {
                row.programme = card.programme.clone();
            }
            if card.hours.is_some() && (authoritative || row.hours.is_none()) {
                row.hours = card.hours;
            }
        };
        match card.kind.as_str() {
            "order-organisation" => {
                programme(row, false);
                row.started = row.started.or(card.date);
                row.sources.push(card.source("enrolment"));
            }
            "order-completion" => {
                programme(row, true);
                row.finished = card.date.or(row.finished);
                row.sources.push(card.source("completion"));
            }
            "protocol" => {
                programme(row, false);
                if let Some(r) = mine.iter().find_map(|e| e.result.clone()) {
                    row.result = Some(r);
                    row.sources.push(card.source("result"));
                }
            }
            "issuance-book" => {
                programme(row, false);
                if let Some(c) = mine.iter().find_map(|e| e.issued.clone()) {
                    row.certificate = Some(c);
                    row.sources.push(card.source("certificate"));
                }
            }
            _ => {}
        }
    }
    rows.into_iter()
        .map(|(_, r)| r)
        .filter(|r| !r.sources.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms_of_terms() {
        assert_eq!(
            written_form("сидоровой|анне|сергеевне"),
            "Сидоровой Анне Сергеевне"
        );
        assert_eq!(written_form("иванов|и|п"), "Иванов И. П.");
        assert_eq!(
            written_form("римского-корсакова|и|"),
            "Римского-Корсакова И."
        );
    }
}
