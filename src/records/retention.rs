//! Retention: when a case's period lapses (DOMAIN.md §2), and which cases are eligible
//! for destruction, for expert review, lapsing soon, or held. Cases come from the index
//! ([`crate::search::cases`]); everything here is pure.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::config::nomenclature::{Nomenclature, Period};
use crate::search::cases::case_stats;
use crate::search::index::SearchIndex;
pub use crate::store::document::CaseKey;

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

/// Every case in the index, with its lapse computed.
pub fn cases(ix: &SearchIndex, nom: &Nomenclature) -> Result<Vec<Case>> {
    let mut out = Vec::new();
    for st in case_stats(ix, nom)? {
        let Some(kind) = nom.kind(&st.kind) else {
            continue;
        };
        out.push(Case {
            key: st.key.to_string(),
            kind: st.kind.clone(),
            title: kind.case_title.clone(),
            documents: st.documents,
            destroyed: st.destroyed,
            first_date: st.first_date,
            last_date: st.last_date,
            closing_year: st.closing_year,
            period: kind.period.to_string(),
            period_ru: kind.period.russian(nom.organisation.source_of_acquisition),
            basis: kind.basis.clone(),
            epk: kind.epk,
            event_date: st.event_date,
            lapse: lapse(&kind.period, st.closing_year, st.event_date),
            holds: Vec::new(),
            case_key: st.key,
        });
    }
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
            // DOMAIN.md §2 worked example: closed 2008, 3 years → may enter an act drawn
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
