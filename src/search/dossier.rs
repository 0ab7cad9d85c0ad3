//! A learner's dossier: every document naming the person, grouped by distinct person.

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use super::index::SearchIndex;
use super::person::within_one_edit;
use super::query::Hit;
use crate::ru::person;

/// One person's documents, for the dossier.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonRecord {
    pub name: String,
    pub token: String,
    /// Forms in which the name was written (e.g. «Иванову Ивану Петровичу»).
    pub forms: Vec<String>,
    pub documents: Vec<Hit>,
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
