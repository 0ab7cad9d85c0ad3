//! Retention: when a case's period lapses (RECORDS.md §2), and which cases are eligible
//! for destruction, for expert review, lapsing soon, or held. Cases are aggregated from
//! the index's columnar fields, so a million documents are summarised in well under a
//! second.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use tantivy::DocId;

use crate::config::nomenclature::{Nomenclature, Period};
use crate::search::index::SearchIndex;

/// When a case's retention period ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "date", rename_all = "kebab-case")]
pub enum Lapse {
    /// The period ends on this date (always a 1 January).
    On(NaiveDate),
    /// Permanent, or until the organisation is liquidated.
    Never,
    /// "N years after EVENT" with no event date recorded: not eligible.
    NoEventDate,
    /// "Until no longer needed": the commission decides (not before `earliest`).
    CommissionDecides { earliest: NaiveDate },
}

fn jan1(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// Periods run from 1 January of the year after the case was closed (Rosarchiv order
/// No. 237): `lapses_on = 1 Jan (closing_year + 1 + N)`.
pub fn lapse(period: &Period, closing_year: i32, event: Option<NaiveDate>) -> Lapse {
    match period {
        Period::Years(n) => Lapse::On(jan1(closing_year + 1 + *n as i32)),
        Period::Permanent => Lapse::Never,
        // 75 years for cases closed before 1 January 2003, else 50 (125-ФЗ art. 22.1).
        Period::FiftySeventyFive => Lapse::On(jan1(
            closing_year + 1 + if closing_year < 2003 { 75 } else { 50 },
        )),
        Period::YearsAfterEvent { years, .. } => match event {
            Some(d) => Lapse::On(jan1(d.year() + 1 + *years as i32)),
            None => Lapse::NoEventDate,
        },
        // Not less than one year, counted the same way.
        Period::UntilNoLongerNeeded => Lapse::CommissionDecides {
            earliest: jan1(closing_year + 2),
        },
    }
}

/// A case may enter a destruction act only if its period expired by 1 January of the
/// act's year.
pub fn eligible_in_act_of(l: &Lapse, act_date: NaiveDate) -> bool {
    matches!(l, Lapse::On(d) if *d <= jan1(act_date.year()))
}

/// `02-03/2019` or `02-03/2019/ПК-2019-017` (per-group cases).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CaseKey {
    pub index: String,
    pub year: i32,
    pub group: Option<String>,
}

impl std::fmt::Display for CaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.group {
            Some(g) => write!(f, "{}/{}/{}", self.index, self.year, g),
            None => write!(f, "{}/{}", self.index, self.year),
        }
    }
}

impl std::str::FromStr for CaseKey {
    type Err = String;
    fn from_str(s: &str) -> Result<CaseKey, String> {
        let mut it = s.splitn(3, '/');
        let (Some(index), Some(year)) = (it.next(), it.next()) else {
            return Err(format!(
                "{s:?} is not a case: write INDEX/YEAR or INDEX/YEAR/GROUP, e.g. 02-03/2019/ПК-2019-017"
            ));
        };
        let year = year
            .parse()
            .map_err(|_| format!("{s:?}: the year {year:?} is not a number"))?;
        Ok(CaseKey {
            index: index.to_string(),
            year,
            group: it.next().map(str::to_string),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub key: String,
    #[serde(skip)]
    pub case_key: CaseKey,
    pub kind: String,
    pub title: String,
    pub documents: u64,
    pub destroyed: u64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    pub closing_year: i32,
    pub period: String,
    pub period_ru: String,
    pub basis: String,
    pub epk: bool,
    pub event_date: Option<NaiveDate>,
    pub lapse: Lapse,
    /// Active holds covering the case or one of its documents.
    pub holds: Vec<u32>,
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

/// Every case in the index, with its lapse computed.
pub fn cases(ix: &SearchIndex, nom: &Nomenclature) -> Result<Vec<Case>> {
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
            let destroyed = status
                .term_ords(doc)
                .next()
                .map(|o| text(&status, 3, o))
                .is_some_and(|s| s == "destroyed");
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
    let mut out = Vec::with_capacity(acc.len());
    for (key, a) in acc {
        let Some(kind) = nom.kind(&a.kind) else {
            continue;
        };
        let closing_year = if a.max_year > 0 { a.max_year } else { key.year };
        // Every document must carry the event date, or the case cannot be shown to have lapsed.
        let event_date = if a.missing_event {
            None
        } else {
            ymd(a.max_event)
        };
        out.push(Case {
            key: key.to_string(),
            kind: a.kind.clone(),
            title: kind.case_title.clone(),
            documents: a.documents,
            destroyed: a.destroyed,
            first_date: ymd(a.min_date),
            last_date: ymd(a.max_date),
            closing_year,
            period: kind.period.to_string(),
            period_ru: kind.period.russian(nom.organisation.source_of_acquisition),
            basis: kind.basis.clone(),
            epk: kind.epk,
            event_date,
            lapse: lapse(&kind.period, closing_year, event_date),
            holds: Vec::new(),
            case_key: key,
        });
    }
    out.sort_by(|a, b| a.case_key.cmp(&b.case_key));
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub as_of: NaiveDate,
    /// Lapsed by 1 January of the as-of year, not ЭПК, not held.
    pub eligible: Vec<Case>,
    /// Lapsed and marked ЭПК: for the commission's expert review, never listed automatically.
    pub epk_review: Vec<Case>,
    /// Lapsing within 12 months of the as-of date.
    pub lapsing_soon: Vec<Case>,
    /// Covered by a hold (whatever their lapse).
    pub held: Vec<Case>,
    /// "N years after EVENT" with no event date on the documents.
    pub no_event_date: Vec<Case>,
    /// "Until no longer needed": for the commission's decision.
    pub commission_decides: Vec<Case>,
}

/// Sorts cases into the report's sections. `holds` maps a case key to the hold numbers
/// covering it.
pub fn report(all: Vec<Case>, holds: &BTreeMap<String, Vec<u32>>, as_of: NaiveDate) -> Report {
    let mut r = Report {
        as_of,
        eligible: vec![],
        epk_review: vec![],
        lapsing_soon: vec![],
        held: vec![],
        no_event_date: vec![],
        commission_decides: vec![],
    };
    let horizon = as_of
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(as_of);
    for mut c in all {
        if c.documents == 0 {
            continue; // already destroyed
        }
        if let Some(h) = holds.get(&c.key) {
            c.holds = h.clone();
            r.held.push(c);
            continue;
        }
        match &c.lapse {
            l if eligible_in_act_of(l, as_of) => {
                if c.epk {
                    r.epk_review.push(c)
                } else {
                    r.eligible.push(c)
                }
            }
            Lapse::On(d) if *d > as_of && *d <= horizon => r.lapsing_soon.push(c),
            Lapse::NoEventDate => r.no_event_date.push(c),
            Lapse::CommissionDecides { .. } => r.commission_decides.push(c),
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn lapse_dates_for_every_period_kind() {
        let ev = |s: &str| s.parse::<Period>().unwrap();
        let cases: Vec<(Period, i32, Option<NaiveDate>, Lapse)> = vec![
            // RECORDS.md §2 worked example: closed 2008, 3 years → may enter an act drawn
            // up on or after 1 January 2012.
            (Period::Years(3), 2008, None, Lapse::On(d(2012, 1, 1))),
            (Period::Years(5), 2019, None, Lapse::On(d(2025, 1, 1))),
            (Period::Years(1), 2024, None, Lapse::On(d(2026, 1, 1))),
            (Period::Permanent, 2019, None, Lapse::Never),
            // 50/75 at the 2003 boundary.
            (
                Period::FiftySeventyFive,
                2002,
                None,
                Lapse::On(d(2078, 1, 1)),
            ),
            (
                Period::FiftySeventyFive,
                2003,
                None,
                Lapse::On(d(2054, 1, 1)),
            ),
            // N years after an event: counted from 1 January after the event year.
            (
                ev("3 years after contract-end"),
                2015,
                Some(d(2020, 6, 30)),
                Lapse::On(d(2024, 1, 1)),
            ),
            (
                ev("3 years after contract-end"),
                2015,
                None,
                Lapse::NoEventDate,
            ),
            (
                Period::UntilNoLongerNeeded,
                2020,
                None,
                Lapse::CommissionDecides {
                    earliest: d(2022, 1, 1),
                },
            ),
        ];
        for (p, closing, event, want) in cases {
            assert_eq!(lapse(&p, closing, event), want, "{p} closed {closing}");
        }
    }

    #[test]
    fn the_one_january_of_the_act_year_rule() {
        let l = lapse(&Period::Years(3), 2008, None);
        assert!(
            !eligible_in_act_of(&l, d(2011, 12, 31)),
            "not before 1 January 2012"
        );
        assert!(eligible_in_act_of(&l, d(2012, 1, 1)));
        assert!(eligible_in_act_of(&l, d(2012, 12, 31)));
        // Lapsing during the act's year is too late for that year's act.
        let l = lapse(&Period::Years(5), 2020, None); // 1 Jan 2026
        assert!(!eligible_in_act_of(&l, d(2025, 12, 31)));
        assert!(eligible_in_act_of(&l, d(2026, 3, 1)));
        assert!(!eligible_in_act_of(&Lapse::Never, d(2999, 1, 1)));
        assert!(!eligible_in_act_of(&Lapse::NoEventDate, d(2999, 1, 1)));
        assert!(!eligible_in_act_of(
            &Lapse::CommissionDecides {
                earliest: d(2000, 1, 1)
            },
            d(2999, 1, 1)
        ));
    }

    #[test]
    fn permanent_reads_until_liquidation_for_non_source_organisations() {
        assert_eq!(
            Period::Permanent.russian(false),
            "До ликвидации организации"
        );
        assert_eq!(Period::Permanent.russian(true), "Постоянно");
    }

    #[test]
    fn case_keys_parse_and_print() {
        let k: CaseKey = "02-03/2019/ПК-2019-017".parse().unwrap();
        assert_eq!(k.to_string(), "02-03/2019/ПК-2019-017");
        assert!("02-03".parse::<CaseKey>().is_err());
    }
}
