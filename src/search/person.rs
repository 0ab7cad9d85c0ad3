//! Learner names in the index: person tokens built from every name form, the person
//! query (exact tokens, or one OCR error in the surname with the initials pinned), and
//! the snippet around a name.

use anyhow::Result;
use tantivy::Term;
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::index::SearchIndex;
use super::query::{Filters, Hit, mark};
use crate::ru::person::{self, PersonKey};

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

/// A fragment around the first mention of the person in the text, the name marked.
/// Returns whether the mention matched exactly (not only within one edit).
pub(crate) fn name_snippet(text: &str, key: &PersonKey) -> (String, bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits() {
        assert!(within_one_edit("иванов", "иваиов"));
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
