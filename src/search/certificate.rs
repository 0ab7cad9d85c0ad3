//! Certificate lookup: was a certificate or diploma with this number issued, to whom,
//! when, and on which document — the question employers and other organisations ask a
//! training centre. Numbers come from the books of issue at ingest
//! ([`crate::ru::results`]) and are indexed as `n:NUMBER` and `s:SERIESNUMBER`.

use anyhow::Result;
use serde::Serialize;
use tantivy::Term;
use tantivy::collector::DocSetCollector;
use tantivy::query::TermSetQuery;

use super::dossier::{Columns, ResultSource};
use super::index::SearchIndex;
use crate::error::Invalid;
use crate::ru::person;
use crate::ru::results::{IssuedDocument, certificate_query_terms, certificate_terms};

/// The answer to «was certificate NUMBER issued?».
#[derive(Debug, Clone, Serialize)]
pub struct CertificateAnswer {
    /// The number as asked.
    pub query: String,
    /// Whether a document with that number was issued.
    pub issued: bool,
    /// Every issue of that number the books record (more than one only when the same
    /// number was asked without its series and several series carry it).
    pub certificates: Vec<IssuedCertificate>,
}

/// One issued certificate or diploma, as its book of issue records it.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedCertificate {
    /// The holder, as the book writes the name («Иванов Иван Петрович»).
    pub holder: String,
    /// The holder in the nominative with initials («Иванов И. П.»).
    pub holder_short: String,
    pub document: IssuedDocument,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The book of issue it is recorded in.
    pub source: ResultSource,
}

/// Whether a certificate or diploma with the typed number («772419 № 012345», «012345»)
/// was issued. With a series typed, the series must agree too.
pub fn certificate(ix: &SearchIndex, typed: &str) -> Result<CertificateAnswer> {
    let wanted = certificate_query_terms(typed);
    if wanted.is_empty() {
        return Err(Invalid(format!(
            "{typed:?} holds no number; write the certificate's number, e.g. «772419 № 012345» or «012345»"
        ))
        .into());
    }
    let series_typed = typed
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .count()
        > 1;
    // With the series typed apart, only the series-and-number term decides.
    let decisive: Vec<String> = if series_typed {
        wanted
            .iter()
            .filter(|t| t.starts_with("s:"))
            .cloned()
            .collect()
    } else {
        wanted.clone()
    };
    let searcher = ix.searcher();
    let q = TermSetQuery::new(
        decisive
            .iter()
            .map(|t| Term::from_field_text(ix.fields.certificate, t)),
    );
    let mut docs: Vec<_> = searcher.search(&q, &DocSetCollector)?.into_iter().collect();
    docs.sort_unstable();
    let columns = Columns::new(&searcher);
    let cards = columns.cards(&docs)?;
    let results = columns.results(&docs)?;
    let mut certificates = Vec::new();
    for addr in &docs {
        let Some(card) = cards.get(addr) else {
            continue;
        };
        for v in results.get(addr).into_iter().flatten() {
            let Some(doc) = &v.entry.issued else { continue };
            if !certificate_terms(doc).iter().any(|t| decisive.contains(t)) {
                continue;
            }
            let holder_short = person::parse_name(&v.entry.name)
                .map(|k| person::display(&k, k.gender))
                .unwrap_or_else(|| v.entry.name.clone());
            certificates.push(IssuedCertificate {
                holder: v.entry.name.clone(),
                holder_short,
                document: doc.clone(),
                programme: card.programme.clone(),
                hours: card.hours,
                group: card.group.clone(),
                source: card.source("certificate"),
            });
        }
    }
    Ok(CertificateAnswer {
        query: typed.to_string(),
        issued: !certificates.is_empty(),
        certificates,
    })
}
