//! Searching: filters, ranked hits with snippets, and lookups by id and by case.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::{AggregationResult, BucketResult};
use tantivy::aggregation::{AggContextParams, AggregationCollector, Key};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::index::SearchIndex;
use super::person::{NameSnippets, looks_like_name};
use crate::error::Invalid;
use crate::store::document::Status;

/// Restrictions on a search; every one given must hold.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Filters {
    pub kind: Option<String>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub group: Option<String>,
    pub status: Option<Status>,
}

/// One page of a search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchRequest {
    /// A learner's name in any form, or tantivy's query language.
    pub query: String,
    pub filters: Filters,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            filters: Filters::default(),
            page: 1,
            per_page: 20,
        }
    }
}

/// A page of hits, the number of all matching documents, and facet counts over all of
/// them (not only this page).
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    /// "name" when the query was read as a learner's name, else "text".
    pub read_as: &'static str,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

impl SearchResults {
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page.max(1))
    }
}

/// Documents per value of kind, year, group and status, for the whole result set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub kind: Vec<FacetCount>,
    pub year: Vec<FacetCount>,
    pub group: Vec<FacetCount>,
    pub status: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Most facet values a page shows (groups can be many).
const FACET_SIZE: u32 = 200;

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
        if let Some(st) = f.status {
            v.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(fl.status, st.as_str()),
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

    /// One page of ranked hits for a user query — a learner's name (any declined form,
    /// initials, е/ё, one OCR error) or tantivy's query language over title, text and
    /// programme — with the total and facet counts, computed in the same pass.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        let per_page = req.per_page.clamp(1, 1000);
        let page = req.page.max(1);
        let offset = (page - 1).saturating_mul(per_page);
        let q = req.query.trim();
        let mut found = None;
        if let Some(key) = looks_like_name(q) {
            let (query, names) = self.person_query(&key)?;
            let r = self.run_page(query, &req.filters, per_page, offset, Some(&names), false)?;
            if r.total > 0 {
                found = Some(("name", r));
            }
        }
        let (read_as, r) = match found {
            Some(x) => x,
            None => (
                "text",
                self.run_page(
                    self.text_query(q)?,
                    &req.filters,
                    per_page,
                    offset,
                    None,
                    true,
                )?,
            ),
        };
        Ok(SearchResults {
            query: req.query.clone(),
            read_as,
            total: r.total,
            page,
            per_page,
            hits: r.hits,
            facets: r.facets,
        })
    }

    /// tantivy's query language over title, text and programme; an empty query matches
    /// every document (so filters alone can browse).
    fn text_query(&self, q: &str) -> Result<Box<dyn Query>> {
        if q.is_empty() {
            return Ok(Box::new(AllQuery));
        }
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![self.fields.title, self.fields.text, self.fields.programme],
        );
        parser.set_conjunction_by_default();
        parser.parse_query(q).map_err(|e| {
            Invalid(format!(
                "the query {q:?} is malformed: {e}. Quote phrases (\"…\") and field values (group:\"ПК-2024-017\")"
            ))
            .into()
        })
    }

    fn filtered(&self, q: Box<dyn Query>, f: &Filters) -> BooleanQuery {
        let mut clauses = vec![(Occur::Must, q)];
        clauses.extend(self.filter_clauses(f));
        BooleanQuery::new(clauses)
    }

    fn run_page(
        &self,
        q: Box<dyn Query>,
        f: &Filters,
        limit: usize,
        offset: usize,
        names: Option<&NameSnippets>,
        text_snippets: bool,
    ) -> Result<Page> {
        let searcher = self.reader.searcher();
        let full = self.filtered(q.box_clone(), f);
        let aggs = AggregationCollector::from_aggs(
            facet_request()?,
            AggContextParams::new(Default::default(), self.index.tokenizers().clone()),
        );
        let top = TopDocs::with_limit(limit)
            .and_offset(offset)
            .order_by_score();
        let (top, total, aggs) = searcher.search(&full, &(top, Count, aggs))?;
        Ok(Page {
            hits: self.hits(&searcher, &*q, top, names, text_snippets)?,
            total,
            facets: facets_from(aggs),
        })
    }

    fn hits(
        &self,
        searcher: &tantivy::Searcher,
        q: &dyn Query,
        top: Vec<(f32, tantivy::DocAddress)>,
        names: Option<&NameSnippets>,
        text_snippets: bool,
    ) -> Result<Vec<Hit>> {
        let snippets = if text_snippets {
            let mut g = tantivy::snippet::SnippetGenerator::create(searcher, q, self.fields.text)?;
            g.set_max_num_chars(200);
            Some(g)
        } else {
            None
        };
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let mut hit = self.hit_from(&doc, score);
            match (&snippets, names) {
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
                    let (snip, exact) = k.snippet(text);
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

    pub(crate) fn hit_from(&self, doc: &TantivyDocument, score: f32) -> Hit {
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

    /// The documents whose OCR is pending (one term query).
    pub fn ocr_pending_query(&self) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(
                self.fields.ocr,
                crate::store::document::OcrState::Pending.as_str(),
            ),
            IndexRecordOption::Basic,
        )
    }

    /// How many documents wait for OCR.
    pub fn ocr_pending_count(&self) -> Result<usize> {
        Ok(self.searcher().search(&self.ocr_pending_query(), &Count)?)
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
pub(crate) fn mark(s: &str, ranges: &[std::ops::Range<usize>]) -> String {
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

struct Page {
    hits: Vec<Hit>,
    total: usize,
    facets: Facets,
}

/// Terms aggregations over the fast fields the facets show.
fn facet_request() -> Result<Aggregations> {
    let terms = |field: &str| serde_json::json!({"terms": {"field": field, "size": FACET_SIZE}});
    Ok(serde_json::from_value(serde_json::json!({
        "kind": terms("kind"),
        "year": terms("year"),
        "group": terms("group"),
        "status": terms("status"),
    }))?)
}

fn facets_from(r: tantivy::aggregation::agg_result::AggregationResults) -> Facets {
    let mut by_name: BTreeMap<String, Vec<FacetCount>> = BTreeMap::new();
    for (name, res) in r.0 {
        let AggregationResult::BucketResult(BucketResult::Terms { buckets, .. }) = res else {
            continue;
        };
        let counts = buckets
            .into_iter()
            .map(|b| FacetCount {
                value: match b.key {
                    Key::Str(s) => s,
                    Key::I64(i) => i.to_string(),
                    Key::U64(u) => u.to_string(),
                    Key::F64(f) => format!("{f}"),
                },
                count: b.doc_count,
            })
            .collect();
        by_name.insert(name, counts);
    }
    let mut take = |k: &str| by_name.remove(k).unwrap_or_default();
    let mut year = take("year");
    // Newest year first reads best in a sidebar.
    year.sort_by(|a, b| b.value.cmp(&a.value));
    Facets {
        kind: take("kind"),
        year,
        group: take("group"),
        status: take("status"),
    }
}
