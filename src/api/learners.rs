//! Learners: the dossier (everyone a name can mean, their documents by kind and date,
//! their results table), certificate lookup, and the printable record card.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::Archivist;
use crate::error::{Invalid, NotFound, Result};
use crate::records::recordcard::{self, CardPrint};
use crate::ru::person::{self, Gender, PersonKey};
use crate::search::dossier::{Detail, Scope, dossier_for};
use crate::search::{CertificateAnswer, PersonRecord};

/// Everyone a name can mean, each with their documents and results.
#[derive(Debug, Clone, Serialize)]
pub struct Dossier {
    /// The name as asked.
    pub query: String,
    /// Most documents first; namesakes (other initials or gender) are separate people.
    pub people: Vec<PersonRecord>,
    /// The nomenclature's name of each document kind in `people`, for headings.
    pub kind_names: BTreeMap<String, String>,
}

impl Archivist {
    fn kind_names(&self, people: &[PersonRecord]) -> BTreeMap<String, String> {
        let nom = &self.archive().nomenclature;
        people
            .iter()
            .flat_map(|p| &p.documents)
            .map(|d| {
                let name = nom
                    .kind(&d.kind)
                    .map(|k| k.name.clone())
                    .unwrap_or_else(|| d.kind.clone());
                (d.kind.clone(), name)
            })
            .collect()
    }

    /// The dossier of a learner: «Иванов», «Иванову И. П.», «Сидорова Анна Сергеевна», or
    /// a person token from an earlier dossier («сидоров_а_с»). Nobody found is an empty
    /// list, not an error. Everyone the name means is given in full.
    pub fn dossier(&self, name: &str) -> Result<Dossier> {
        self.dossier_with(name, Detail::Everyone)
    }

    /// The dossier, with the people given in full chosen by `detail`: a page that shows
    /// one person and lists the namesakes asks for [`Detail::First`].
    pub fn dossier_with(&self, name: &str, detail: Detail) -> Result<Dossier> {
        let ix = self.index()?;
        let (key, token) = person_of(name)?;
        let people = dossier_for(&ix, key, &Scope { token, detail })?;
        Ok(Dossier {
            query: name.to_string(),
            kind_names: self.kind_names(&people),
            people,
        })
    }

    /// Whether a certificate or diploma with this number was issued, to whom, when, and
    /// in which book of issue.
    pub fn certificate(&self, number: &str) -> Result<CertificateAnswer> {
        Ok(crate::search::certificate(&self.index()?, number)?)
    }

    /// The learner's record card as a printable A4 PDF: results table and documents.
    /// The name must mean one person; several namesakes are refused with their tokens,
    /// to ask again with one of them.
    pub fn record_card_pdf(&self, name_or_token: &str, printed: NaiveDate) -> Result<Vec<u8>> {
        let d = self.dossier(name_or_token)?;
        let person = match d.people.as_slice() {
            [] => {
                return Err(NotFound(format!("no documents name {name_or_token:?}")).into());
            }
            [one] => one,
            many => {
                let who: Vec<String> = many
                    .iter()
                    .map(|p| format!("{} ({})", p.name, p.token))
                    .collect();
                return Err(Invalid(format!(
                    "{name_or_token:?} means {} people: {}; ask for one of them by its token",
                    many.len(),
                    who.join(", ")
                ))
                .into());
            }
        };
        let org = &self.archive().nomenclature.organisation;
        let card = CardPrint {
            org_name: org.name.clone(),
            person: person.clone(),
            kind_names: d.kind_names.clone(),
            printed,
        };
        Ok(recordcard::render_pdf(&card)?)
    }
}

/// The person a dossier is asked for: a name, or a token («иванов_и_п», «иванов_и_п_ж»)
/// that picks one of the people an earlier dossier listed.
fn person_of(name: &str) -> Result<(PersonKey, Option<String>)> {
    let t = name.trim();
    let is_token = t.contains('_') && !t.contains(char::is_whitespace);
    if is_token {
        let parts: Vec<&str> = t.split('_').collect();
        let letter = |i: usize| parts.get(i).copied().filter(|s| s.chars().count() == 1);
        let surname = parts.first().copied().unwrap_or("");
        let (first, patronymic) = (letter(1), letter(2));
        let mut key = PersonKey::new(&person::normalize(surname), first, patronymic);
        // A token's surname is a key (masculine-looking for everyone): only its mark
        // tells the gender.
        key.gender = match parts.last().copied() {
            Some("ж") => Some(Gender::Female),
            Some("м") => Some(Gender::Male),
            _ => None,
        };
        if key.surname.chars().count() >= 2 {
            return Ok((key, Some(t.to_string())));
        }
    }
    let key = person::parse_name(t).ok_or_else(|| {
        Invalid(format!(
            "{name:?} is not a name; write a surname, e.g. «Иванов» or «Иванов И. П.»"
        ))
    })?;
    Ok((key, None))
}
