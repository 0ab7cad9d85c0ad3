//! Cases (a kind's documents of one year, or of one group) aggregated from the index's
//! columnar fields in one pass, so a million documents are summarised in well under a
//! second.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use tantivy::DocId;

use crate::config::nomenclature::Nomenclature;
use crate::search::index::SearchIndex;
use crate::store::document::{CaseKey, Status};

/// One case as the index sees it (no retention rules applied).
#[derive(Debug, Clone)]
pub struct CaseStats {
    pub key: CaseKey,
    pub kind: String,
    /// Active documents.
    pub documents: u64,
    pub destroyed: u64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    /// The year of the case's last document.
    pub closing_year: i32,
    /// The latest event date, when every document records one.
    pub event_date: Option<NaiveDate>,
}

fn ymd(k: i64) -> Option<NaiveDate> {
    if k <= 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(
        (k / 10000) as i32,
        ((k / 100) % 100) as u32,
        (k % 100) as u32,
    )
}

#[derive(Default)]
struct Acc {
    kind: String,
    documents: u64,
    destroyed: u64,
    min_date: i64,
    max_date: i64,
    max_year: i32,
    max_event: i64,
    missing_event: bool,
}

/// What the index knows of every case: its documents counted, dated and closed.
pub fn case_stats(ix: &SearchIndex, nom: &Nomenclature) -> Result<Vec<CaseStats>> {
    let searcher = ix.searcher();
    let mut acc: HashMap<CaseKey, Acc> = HashMap::new();
    let per_group: HashMap<&str, bool> = nom
        .kinds
        .iter()
        .map(|k| (k.id.as_str(), k.per_group))
        .collect();
    for seg in searcher.segment_readers() {
        let ff = seg.fast_fields();
        let year = ff.i64("year")?;
        let date = ff.i64("date_key")?;
        let event = ff.i64("event_key")?;
        let kind = ff
            .str("kind")?
            .context("the index has no kind column; run `archivist reindex`")?;
        let group = ff.str("group")?;
        let status = ff
            .str("status")?
            .context("the index has no status column; run `archivist reindex`")?;
        let case = ff
            .str("case")?
            .context("the index has no case column; run `archivist reindex`")?;
        // Ordinals are per segment; resolve each distinct one to text once.
        let mut names: HashMap<(u8, u64), String> = HashMap::new();
        let mut text = |col: &tantivy::columnar::StrColumn, tag: u8, ord: u64| -> String {
            names
                .entry((tag, ord))
                .or_insert_with(|| {
                    let mut s = String::new();
                    let _ = col.ord_to_str(ord, &mut s);
                    s
                })
                .clone()
        };
        let alive = seg.alive_bitset();
        for doc in 0..seg.max_doc() {
            if alive.is_some_and(|a| a.is_deleted(doc as DocId)) {
                continue;
            }
            let Some(k_ord) = kind.term_ords(doc).next() else {
                continue;
            };
            let k = text(&kind, 0, k_ord);
            let c = case
                .term_ords(doc)
                .next()
                .map(|o| text(&case, 1, o))
                .unwrap_or_default();
            let y = year.first(doc).unwrap_or(0) as i32;
            let g = if per_group.get(k.as_str()).copied().unwrap_or(false) {
                group
                    .as_ref()
                    .and_then(|gc| gc.term_ords(doc).next().map(|o| text(gc, 2, o)))
            } else {
                None
            };
            let status_text = status
                .term_ords(doc)
                .next()
                .map(|o| text(&status, 3, o))
                .unwrap_or_default();
            // Scans in review belong to no case until a person files them.
            if status_text == Status::Review.as_str() {
                continue;
            }
            let destroyed = status_text == "destroyed";
            let a = acc
                .entry(CaseKey {
                    index: c,
                    year: y,
                    group: g,
                })
                .or_default();
            a.kind = k;
            if destroyed {
                a.destroyed += 1;
                continue;
            }
            a.documents += 1;
            let d = date.first(doc).unwrap_or(0);
            if d > 0 && (a.min_date == 0 || d < a.min_date) {
                a.min_date = d;
            }
            a.max_date = a.max_date.max(d);
            a.max_year = a.max_year.max(y).max((d / 10000) as i32);
            let e = event.first(doc).unwrap_or(0);
            if e == 0 {
                a.missing_event = true;
            }
            a.max_event = a.max_event.max(e);
        }
    }
    let mut out: Vec<CaseStats> = acc
        .into_iter()
        .map(|(key, a)| CaseStats {
            closing_year: if a.max_year > 0 { a.max_year } else { key.year },
            // Every document must carry the event date, or the case cannot be shown to
            // have lapsed.
            event_date: if a.missing_event {
                None
            } else {
                ymd(a.max_event)
            },
            first_date: ymd(a.min_date),
            last_date: ymd(a.max_date),
            kind: a.kind,
            documents: a.documents,
            destroyed: a.destroyed,
            key,
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}
