//! Learner names in the index. Every reading of every written name becomes one term of
//! the `person` field, with each part as written ([`PersonKey::term`]:
//! `сидоровой|анне|сергеевне`, `иванов|и|п`). A query walks the term dictionary with a
//! Levenshtein automaton per case form of the queried surname (its paradigm, both
//! genders), so an OCR error anywhere in the surname — the ending included — still
//! reaches the term; each candidate is then checked whole by [`NameQuery::matches`]
//! (first name, patronymic, initials, gender), so namesakes with other initials stay
//! apart. The terms found drive both the ranked search and the dossier.

use std::collections::HashMap;

use anyhow::{Context, Result};
use tantivy::postings::TermInfo;
use tantivy::query::{
    BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, Query, TermSetQuery,
};
use tantivy::{Searcher, Term};

use super::index::SearchIndex;
use super::query::mark;
use crate::ru::namematch::{Match, NameQuery, surname_tolerance};
use crate::ru::person::{self, PersonKey, TERM_SEP};

/// The person terms of one name as written: one per reading (two for «Шевчук Иван»,
/// which may be «Имя Фамилия»).
pub fn person_terms(name: &str) -> Vec<String> {
    let mut v: Vec<String> = person::parse_readings(name)
        .iter()
        .map(PersonKey::term)
        .collect();
    v.dedup();
    v
}

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

/// A written name in the index that names the queried person.
#[derive(Debug, Clone)]
pub struct MatchedTerm {
    pub term: String,
    /// The name as the term writes it.
    pub key: PersonKey,
    pub quality: Match,
    /// Where its postings are: (segment ordinal, term info) for each segment holding it.
    pub postings: Vec<(usize, TermInfo)>,
}

impl SearchIndex {
    /// Every written name in the index that names the queried person, exactly or within
    /// OCR's errors.
    pub fn matching_terms(&self, searcher: &Searcher, q: &NameQuery) -> Result<Vec<MatchedTerm>> {
        let field = self.fields.person;
        // One automaton per form; a form within its tolerance of a written surname is a
        // prefix of the term up to the separator.
        let automata = q
            .forms
            .iter()
            .map(|form| {
                let d = surname_tolerance(form.chars().count() + 1).min(2) as u8;
                let term = Term::from_field_text(field, &format!("{form}{TERM_SEP}"));
                FuzzyTermQuery::new_prefix(term, d, true).automaton()
            })
            .collect::<tantivy::Result<Vec<_>>>()
            .context("cannot build the name automaton")?;
        let mut verdicts: HashMap<Vec<u8>, Option<usize>> = HashMap::new();
        let mut out: Vec<MatchedTerm> = Vec::new();
        for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
            let inv = seg
                .inverted_index(field)
                .context("cannot read the person field of the index; run `archivist reindex`")?;
            let dict = inv.terms();
            for automaton in &automata {
                let mut stream = dict
                    .search(automaton)
                    .into_stream()
                    .context("cannot read the index's names")?;
                while stream.advance() {
                    let bytes = stream.key();
                    let slot = match verdicts.get(bytes) {
                        Some(v) => *v,
                        None => {
                            let v = std::str::from_utf8(bytes)
                                .ok()
                                .and_then(|t| {
                                    let key = PersonKey::from_term(t)?;
                                    let quality = q.matches(&key)?;
                                    Some((t.to_string(), key, quality))
                                })
                                .map(|(term, key, quality)| {
                                    out.push(MatchedTerm {
                                        term,
                                        key,
                                        quality,
                                        postings: Vec::new(),
                                    });
                                    out.len() - 1
                                });
                            verdicts.insert(bytes.to_vec(), v);
                            v
                        }
                    };
                    if let Some(i) = slot
                        && !out[i].postings.iter().any(|(s, _)| *s == seg_ord)
                    {
                        out[i].postings.push((seg_ord, stream.value().clone()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The person query for a key: every written name that names the person, exact ones
    /// boosted well above approximate ones (an OCR error ranks below an exact spelling).
    pub fn person_query(&self, key: &PersonKey) -> Result<Box<dyn Query>> {
        let searcher = self.reader.searcher();
        let terms = self.matching_terms(&searcher, &NameQuery::new(key.clone()))?;
        let set = |quality: Match| {
            TermSetQuery::new(
                terms
                    .iter()
                    .filter(|t| t.quality == quality)
                    .map(|t| Term::from_field_text(self.fields.person, &t.term)),
            )
        };
        if terms.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        Ok(Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(set(Match::Exact)), 10.0)),
            ),
            (Occur::Should, Box::new(set(Match::Approximate))),
        ])))
    }
}

/// A fragment around the first mention of the person in the text, the name marked.
/// Returns whether the mention matched exactly (not only within OCR's errors).
pub(crate) fn name_snippet(text: &str, key: &PersonKey) -> (String, bool) {
    let q = NameQuery::new(key.clone());
    let names = crate::ru::names::find_names(text, &[]);
    let mut best: Option<(&crate::ru::names::FoundName, bool)> = None;
    for n in &names {
        let quality = person::parse_readings(&n.text)
            .iter()
            .filter_map(|k| q.matches(k))
            .min();
        match quality {
            Some(Match::Exact) => {
                best = Some((n, true));
                break;
            }
            Some(Match::Approximate) if best.is_none() => best = Some((n, false)),
            _ => {}
        }
    }
    let Some((n, exact)) = best else {
        return (String::new(), false);
    };
    let start = text.floor_char_boundary(n.start.saturating_sub(80));
    let end = text.ceil_char_boundary((n.end + 80).min(text.len()));
    let s = &text[start..end];
    let r = (n.start - start)..(n.end - start);
    (mark(s, std::slice::from_ref(&r)), exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_like_queries() {
        assert!(looks_like_name("Иванову И. П.").is_some());
        assert!(looks_like_name("Иванов").is_some());
        assert!(looks_like_name("group:\"ПК-2024-017\"").is_none());
        assert!(looks_like_name("приказ AND зачислении").is_none());
    }

    #[test]
    fn terms_of_written_names() {
        assert_eq!(
            person_terms("Сидоровой Анне Сергеевне"),
            vec!["сидоровой|анне|сергеевне"]
        );
        assert_eq!(person_terms("И.П. Иванов"), vec!["иванов|и|п"]);
        assert_eq!(
            person_terms("Мельник Иван"),
            vec!["мельник|иван|", "иван|мельник|"]
        );
        assert!(person_terms("ПРИКАЗ № 5").is_empty());
    }
}
