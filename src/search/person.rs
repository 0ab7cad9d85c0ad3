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
use tantivy::query::DfaWrapper;
use tantivy::query::{
    BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, Query, TermSetQuery,
};
use tantivy::{Searcher, Term};

use super::index::SearchIndex;
use super::query::mark;
use crate::ru::namematch::{Match, NameQuery, surname_tolerance};
use crate::ru::person::{self, PersonKey, Surname, TERM_SEP};

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

/// Forms walked together by one [`AnyForm`] (a surname has at most 18).
const MAX_FORMS: usize = 24;

/// The Levenshtein automata of several case forms run side by side, so the term
/// dictionary is streamed once, not once per form: each form alone would visit the
/// same first letters of every term again.
struct AnyForm(Vec<DfaWrapper>);

impl tantivy_fst::Automaton for AnyForm {
    type State = [u32; MAX_FORMS];

    fn start(&self) -> Self::State {
        let mut s = [0; MAX_FORMS];
        for (i, a) in self.0.iter().enumerate() {
            s[i] = a.start();
        }
        s
    }

    fn is_match(&self, s: &Self::State) -> bool {
        self.0.iter().zip(s).any(|(a, s)| a.is_match(s))
    }

    fn can_match(&self, s: &Self::State) -> bool {
        self.0.iter().zip(s).any(|(a, s)| a.can_match(s))
    }

    fn accept(&self, s: &Self::State, byte: u8) -> Self::State {
        let mut next = *s;
        for ((a, s), n) in self.0.iter().zip(s).zip(&mut next) {
            *n = a.accept(s, byte);
        }
        next
    }
}

/// Shortest stem walked for several case forms: a shorter one, within its edits,
/// would reach far more of the dictionary than the forms do.
const MIN_STEM: usize = 5;

/// The patterns the term dictionary is walked with, and the edits each allows. Case
/// forms sharing a long stem («богданов», «богданова», «богдановым») are walked as the
/// stem, one Levenshtein automaton instead of one per form (building ~14 automata was a
/// fifth of a name query); a form sharing none («лев» beside «льва») is walked alone,
/// up to the separator. Either way a term within a form's edits is reached: a prefix
/// within `d` of the form has a prefix within `d` of the form's stem. The walk only
/// gathers candidates; [`NameQuery::matches`] judges them.
fn walk_patterns(forms: &[String]) -> Vec<(String, u8)> {
    struct Group {
        stem: String,
        shortest: usize,
        d: u8,
        members: usize,
    }
    let edits = |f: &str| surname_tolerance(f.chars().count() + 1).min(2) as u8;
    let mut sorted: Vec<&String> = forms.iter().filter(|f| !f.is_empty()).collect();
    sorted.sort();
    sorted.dedup();
    let mut groups: Vec<Group> = Vec::new();
    for f in sorted {
        let n = f.chars().count();
        if let Some(g) = groups.last_mut() {
            let stem: String = g
                .stem
                .chars()
                .zip(f.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect();
            let l = stem.chars().count();
            if l >= MIN_STEM && l + 3 >= g.shortest.min(n) {
                g.stem = stem;
                g.shortest = g.shortest.min(n);
                g.d = g.d.max(edits(f));
                g.members += 1;
                continue;
            }
        }
        groups.push(Group {
            stem: f.clone(),
            shortest: n,
            d: edits(f),
            members: 1,
        });
    }
    groups
        .into_iter()
        .map(|g| {
            if g.members == 1 {
                (format!("{}{TERM_SEP}", g.stem), g.d)
            } else {
                (g.stem, g.d)
            }
        })
        .collect()
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
        let forms = walk_patterns(&q.forms)
            .into_iter()
            .map(|(pattern, d)| {
                let term = Term::from_field_text(field, &pattern);
                FuzzyTermQuery::new_prefix(term, d, true).automaton()
            })
            .collect::<tantivy::Result<Vec<_>>>()
            .context("cannot build the name automaton")?;
        let mut automata: Vec<AnyForm> = Vec::new();
        let mut forms = forms.into_iter().peekable();
        while forms.peek().is_some() {
            automata.push(AnyForm(forms.by_ref().take(MAX_FORMS).collect()));
        }
        let mut verdicts: HashMap<Vec<u8>, Option<usize>> = HashMap::new();
        // A written surname recurs with many given names: judge and analyse it once.
        let mut surnames: HashMap<String, Option<(usize, Surname)>> = HashMap::new();
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
                                .filter(|t| q.given_names_fit(t))
                                .and_then(|t| {
                                    let (form, first, patronymic) = person::term_parts(t)?;
                                    let (edits, surname) = surnames
                                        .entry(form.to_string())
                                        .or_insert_with(|| {
                                            Some((q.surname_edits(form)?, Surname::of(form)))
                                        })
                                        .as_ref()?;
                                    let key =
                                        PersonKey::with_surname(form, surname, first, patronymic);
                                    let quality = q.matches_with_surname(&key, *edits)?;
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
    /// boosted well above approximate ones (an OCR error ranks below an exact spelling);
    /// with what the hits' snippets need to find the name again.
    pub(crate) fn person_query(&self, key: &PersonKey) -> Result<(Box<dyn Query>, NameSnippets)> {
        let searcher = self.reader.searcher();
        let q = NameQuery::new(key.clone());
        let terms = self.matching_terms(&searcher, &q)?;
        let snippets = NameSnippets::new(q, &terms);
        let set = |quality: Match| {
            TermSetQuery::new(
                terms
                    .iter()
                    .filter(|t| t.quality == quality)
                    .map(|t| Term::from_field_text(self.fields.person, &t.term)),
            )
        };
        if terms.is_empty() {
            return Ok((Box::new(EmptyQuery), snippets));
        }
        let query = BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(set(Match::Exact)), 10.0)) as Box<dyn Query>,
            ),
            (Occur::Should, Box::new(set(Match::Approximate))),
        ]);
        Ok((Box::new(query), snippets))
    }
}

/// Marks a queried person's name in the text of each hit.
pub(crate) struct NameSnippets {
    q: NameQuery,
    /// The surnames as the matching terms write them (folded): where in a text to look
    /// first.
    written: Vec<String>,
}

/// Characters of context either side of a surname searched for a whole name, and shown
/// in a snippet.
const CONTEXT: usize = 80;

impl NameSnippets {
    pub(crate) fn new(q: NameQuery, terms: &[MatchedTerm]) -> NameSnippets {
        let mut written: Vec<String> = terms.iter().map(|t| t.key.form.clone()).collect();
        written.sort();
        written.dedup();
        written.retain(|w| !w.is_empty());
        NameSnippets { q, written }
    }

    /// A fragment around the first mention of the person in the text, the name marked;
    /// and whether the mention matched exactly (not only within OCR's errors). Names are
    /// looked for near the written surnames first (a page of hits would otherwise read
    /// every name of every text), and in the whole text when none is found there (a
    /// surname broken across lines, say).
    pub(crate) fn snippet(&self, text: &str) -> (String, bool) {
        let near = self.windows(text).into_iter().find_map(|w| {
            let (found, exact) = self.first_mention(&text[w.clone()])?;
            Some(((found.start + w.start)..(found.end + w.start), exact))
        });
        let Some((r, exact)) = near.or_else(|| self.first_mention(text)) else {
            return (String::new(), false);
        };
        let start = text.floor_char_boundary(r.start.saturating_sub(CONTEXT));
        let end = text.ceil_char_boundary((r.end + CONTEXT).min(text.len()));
        let r = (r.start - start)..(r.end - start);
        (mark(&text[start..end], std::slice::from_ref(&r)), exact)
    }

    /// Stretches of `text` around each place a written surname appears, merged, in
    /// order; none when folding changes the text's length (offsets would not carry over).
    fn windows(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        let folded = crate::ru::fold(text);
        if folded.len() != text.len() {
            return Vec::new();
        }
        let mut spans: Vec<(usize, usize)> = self
            .written
            .iter()
            .flat_map(|w| {
                memchr::memmem::find_iter(folded.as_bytes(), w.as_bytes())
                    .map(move |at| (at, at + w.len()))
            })
            .collect();
        spans.sort_unstable();
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        for (s, e) in spans {
            let s = text.floor_char_boundary(s.saturating_sub(2 * CONTEXT));
            let e = text.ceil_char_boundary((e + 2 * CONTEXT).min(text.len()));
            match out.last_mut() {
                Some(last) if s <= last.end => last.end = last.end.max(e),
                _ => out.push(s..e),
            }
        }
        out
    }

    /// The first exact mention of the person in `text`, or else the first approximate.
    fn first_mention(&self, text: &str) -> Option<(std::ops::Range<usize>, bool)> {
        let mut approximate = None;
        for n in crate::ru::names::find_names(text, &[]) {
            let quality = person::parse_readings(&n.text)
                .iter()
                .filter_map(|k| self.q.matches(k))
                .min();
            match quality {
                Some(Match::Exact) => return Some((n.start..n.end, true)),
                Some(Match::Approximate) if approximate.is_none() => {
                    approximate = Some((n.start..n.end, false));
                }
                _ => {}
            }
        }
        approximate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_forms_are_walked_by_their_stem() {
        let forms = |name: &str| NameQuery::new(person::parse_name(name).unwrap()).forms;
        let p = walk_patterns(&forms("Богданов"));
        assert_eq!(p, vec![("богданов".to_string(), 2)], "{p:?}");
        let p = walk_patterns(&forms("Петровский"));
        assert_eq!(p, vec![("петровск".to_string(), 2)], "{p:?}");
        // Too short to share a stem: each form alone, up to the separator.
        let p = walk_patterns(&forms("Ким"));
        assert!(p.iter().all(|(f, _)| f.ends_with(TERM_SEP)), "{p:?}");
        let p = walk_patterns(&forms("Лев"));
        assert!(p.iter().all(|(f, _)| f.chars().count() >= 4), "{p:?}");
    }

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
