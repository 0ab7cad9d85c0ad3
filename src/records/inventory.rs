//! Inventories of cases (описи дел): each year, the cases kept permanently, for over 10
//! years, and by personnel rules are listed in separate inventories, numbered on from
//! the same kind's inventory of earlier years (RESEARCH §2.1). No inventory is made of
//! cases kept 10 years or less. A destruction act for years X–Y is approved only after
//! the inventories for X–Y exist (RECORDS.md §4), which [`before_approval`] checks.
//!
//! An inventory lives in `ROOT/inventories/<year>/<kind>/` as `inventory.toml` (the
//! record) with `inventory.pdf`, `inventory.csv` and `inventory.md` rendered from it;
//! making it again replaces them and is audited again.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::MissingInventories;
use crate::config::nomenclature::Period;
use crate::error::{NotFound, Refused};
use crate::records::contents::{self, Case};
use crate::records::print::inventory as form;
use crate::ru::numerals::count_cases;
use crate::store::archive::Archive;
use crate::store::audit::{Actor, AuditLog, Event};
use crate::store::fsutil;

/// Which inventory a case goes into, by its retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InventoryKind {
    /// Kept permanently (or until the organisation is liquidated).
    Permanent,
    /// Kept for over 10 years.
    Long,
    /// Personnel-type records (50/75 years).
    Personnel,
}

impl InventoryKind {
    pub const ALL: [InventoryKind; 3] = [
        InventoryKind::Permanent,
        InventoryKind::Long,
        InventoryKind::Personnel,
    ];

    /// The inventory a case with this period belongs in; `None` for 10 years or less.
    pub fn of(period: &Period) -> Option<InventoryKind> {
        match period {
            Period::Permanent => Some(InventoryKind::Permanent),
            Period::FiftySeventyFive => Some(InventoryKind::Personnel),
            Period::Years(n) | Period::YearsAfterEvent { years: n, .. } if *n > 10 => {
                Some(InventoryKind::Long)
            }
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InventoryKind::Permanent => "permanent",
            InventoryKind::Long => "long",
            InventoryKind::Personnel => "personnel",
        }
    }

    /// What the inventory's title says it lists: «дел постоянного хранения».
    pub fn heading(self) -> &'static str {
        match self {
            InventoryKind::Permanent => "дел постоянного хранения",
            InventoryKind::Long => "дел временного (свыше 10 лет) хранения",
            InventoryKind::Personnel => "дел по личному составу",
        }
    }
}

impl std::fmt::Display for InventoryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for InventoryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<InventoryKind, String> {
        InventoryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| format!("{s:?} is not an inventory kind: permanent, long or personnel"))
    }
}

/// The record of one inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub year: i32,
    pub kind: InventoryKind,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
    pub organisation: String,
    pub fund_number: String,
    /// The running number of the first case (numbering continues across years).
    pub first_number: u32,
    #[serde(rename = "case")]
    pub cases: Vec<InventoryCase>,
}

/// One case as the inventory lists it, in the columns of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryCase {
    /// Running number in the inventory.
    pub number: u32,
    /// `02-01/2023`, `02-03/2019/ПК-2019-017`
    pub key: String,
    pub index: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_date: Option<NaiveDate>,
    /// «Постоянно», «50/75 лет»
    pub period: String,
    pub epk: bool,
    /// Sheets: the pages of the scans.
    pub sheets: u32,
    pub documents: u32,
}

impl InventoryCase {
    /// «09.06.2019–01.07.2019» (or the year when no document is dated).
    pub fn dates(&self, year: i32) -> String {
        crate::records::print::date_range(self.first_date, self.last_date, year)
    }
}

impl Inventory {
    pub fn last_number(&self) -> u32 {
        self.cases
            .last()
            .map_or(self.first_number.saturating_sub(1), |c| c.number)
    }

    /// «Опись дел постоянного хранения за 2023 год»
    pub fn title(&self) -> String {
        format!("Опись {} за {} год", self.kind.heading(), self.year)
    }

    /// The final entry: «В данный раздел описи внесено 3 (три) дела с № 1 по № 3.»
    pub fn final_entry(&self) -> String {
        let n = self.cases.len() as u32;
        if n == 0 {
            return "В данный раздел описи не внесено ни одного дела.".to_string();
        }
        format!(
            "В данный раздел описи внесено {} с № {} по № {}, в том числе: литерные номера: нет; пропущенные номера: нет.",
            count_cases(n),
            self.first_number,
            self.last_number()
        )
    }

    pub fn sheets(&self) -> u32 {
        self.cases
            .iter()
            .map(|c| c.sheets)
            .fold(0, u32::saturating_add)
    }
}

/// Lists the cases of `kind` among `cases` (of one year) as an inventory numbered from
/// `first_number`.
pub fn build(
    a: &Archive,
    year: i32,
    kind: InventoryKind,
    cases: &[Case],
    first_number: u32,
    actor: &Actor,
) -> Inventory {
    let org = &a.nomenclature.organisation;
    let listed: Vec<InventoryCase> = cases
        .iter()
        .filter(|c| c.period.as_ref().and_then(InventoryKind::of) == Some(kind))
        .enumerate()
        .map(|(i, c)| {
            let (first_date, last_date) = c.dates();
            InventoryCase {
                number: first_number + i as u32,
                key: c.key.to_string(),
                index: c.key.index.clone(),
                title: c.full_title(),
                first_date,
                last_date,
                period: c
                    .period
                    .as_ref()
                    .map(|p| p.russian(org.source_of_acquisition))
                    .unwrap_or_default(),
                epk: c.epk,
                sheets: c.pages(),
                documents: c.documents.len() as u32,
            }
        })
        .collect();
    Inventory {
        year,
        kind,
        made_at: Utc::now(),
        made_by: actor.to_string(),
        organisation: org.name.clone(),
        fund_number: org.fund_number.clone(),
        first_number,
        cases: listed,
    }
}

pub fn inventories_dir(a: &Archive) -> PathBuf {
    a.root.join("inventories")
}

pub fn inventory_dir(a: &Archive, year: i32, kind: InventoryKind) -> PathBuf {
    inventories_dir(a)
        .join(year.to_string())
        .join(kind.as_str())
}

/// The recorded inventory of `kind` for `year`, if one was made.
pub fn load(a: &Archive, year: i32, kind: InventoryKind) -> Result<Option<Inventory>> {
    let p = inventory_dir(a, year, kind).join("inventory.toml");
    let text = match fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
    };
    let inv = toml::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid inventory record; make it again with `archivist inventory --year {year} --kind {kind}`",
            p.display()
        )
    })?;
    Ok(Some(inv))
}

/// Every recorded inventory, by year and kind.
pub fn list(a: &Archive) -> Result<Vec<Inventory>> {
    let mut out = Vec::new();
    let Ok(years) = fs::read_dir(inventories_dir(a)) else {
        return Ok(out);
    };
    let mut ys: Vec<i32> = years
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect();
    ys.sort();
    for y in ys {
        for k in InventoryKind::ALL {
            if let Some(inv) = load(a, y, k)? {
                out.push(inv);
            }
        }
    }
    Ok(out)
}

/// The first running number for `kind` in `year`: one past the last number of the same
/// kind's latest inventory of an earlier year.
fn next_number(a: &Archive, year: i32, kind: InventoryKind) -> Result<u32> {
    let last = list(a)?
        .into_iter()
        .filter(|i| i.kind == kind && i.year < year)
        .map(|i| i.last_number())
        .max()
        .unwrap_or(0);
    Ok(last + 1)
}

/// An inventory made, and where its files are.
#[derive(Debug, Clone, Serialize)]
pub struct Made {
    pub inventory: Inventory,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    /// An inventory of the same year and kind was made before and has been replaced.
    pub replaced: bool,
}

/// The kinds of inventory the cases of a year call for.
fn kinds_needed(cases: &[Case]) -> BTreeSet<InventoryKind> {
    cases
        .iter()
        .filter_map(|c| c.period.as_ref().and_then(InventoryKind::of))
        .collect()
}

/// Makes the inventories of `year` (only `kind`, when given; else every kind the year's
/// cases call for), writes their files and records each in the audit log. The caller
/// holds the writer lock.
pub fn make(
    a: &Archive,
    year: i32,
    kind: Option<InventoryKind>,
    actor: &Actor,
) -> Result<Vec<Made>> {
    let cases = contents::cases_of_year(a, year)?;
    let needed = kinds_needed(&cases);
    let kinds: Vec<InventoryKind> = match kind {
        Some(k) if needed.contains(&k) => vec![k],
        Some(k) => {
            return Err(NotFound(format!(
                "{year} has no cases for an inventory {} (see `archivist retention`); nothing was made",
                k.heading()
            ))
            .into());
        }
        None if needed.is_empty() => {
            return Err(NotFound(format!(
                "{year} has no cases kept permanently, over 10 years or by personnel rules; no inventory is made of cases kept 10 years or less"
            ))
            .into());
        }
        None => needed.into_iter().collect(),
    };
    let mut out = Vec::new();
    let mut log = AuditLog::open(&a.journal, actor)?;
    for k in kinds {
        let replaced = load(a, year, k)?.is_some();
        let inv = build(a, year, k, &cases, next_number(a, year, k)?, actor);
        let (dir, files) = save(a, &inv)?;
        log.append_one(
            Event::new("inventory-made")
                .path(a.rel(&dir))
                .details(json!({
                    "year": year,
                    "kind": k,
                    "cases": inv.cases.len(),
                    "first": inv.first_number,
                    "last": inv.last_number(),
                    "replaced": replaced,
                })),
        )?;
        out.push(Made {
            inventory: inv,
            dir,
            files,
            replaced,
        });
    }
    Ok(out)
}

/// Writes the record and its PDF, CSV and Markdown renderings.
fn save(a: &Archive, inv: &Inventory) -> Result<(PathBuf, Vec<PathBuf>)> {
    let dir = inventory_dir(a, inv.year, inv.kind);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let record = format!(
        "# {}.\n# The record of the inventory; inventory.pdf, inventory.csv and inventory.md are renderings of it.\n\n{}",
        inv.title(),
        toml::to_string_pretty(inv)?
    );
    let pdf = form::render_pdf(&form::InventoryPrint::of(inv, &a.nomenclature.organisation))
        .context("cannot render the inventory as PDF")?;
    let files = [
        ("inventory.toml", record.into_bytes()),
        ("inventory.pdf", pdf),
        ("inventory.csv", form::csv(inv)?),
        ("inventory.md", form::markdown(inv).into_bytes()),
    ];
    let mut written = Vec::new();
    for (name, bytes) in files {
        let p = dir.join(name);
        fsutil::write_atomic(&p, &bytes, true)
            .with_context(|| format!("cannot write {}", p.display()))?;
        written.push(p);
    }
    Ok((dir, written))
}

/// The years among `years` for which an inventory their cases call for was not made.
pub fn missing_for_years(a: &Archive, years: &[i32]) -> Result<Vec<i32>> {
    let mut missing = Vec::new();
    let distinct: BTreeSet<i32> = years.iter().copied().collect();
    for y in distinct {
        let needed = kinds_needed(&contents::cases_of_year(a, y)?);
        for k in needed {
            if !inventory_dir(a, y, k).join("inventory.toml").is_file() {
                missing.push(y);
                break;
            }
        }
    }
    Ok(missing)
}

/// What `disposal approve` says about the inventories of an act's years: nothing when
/// all were made; warnings to return with the approved act; or, when archivist.toml
/// says `missing_inventories = "refuse"`, a refusal.
pub fn before_approval(a: &Archive, years: impl IntoIterator<Item = i32>) -> Result<Vec<String>> {
    let years: Vec<i32> = years.into_iter().collect();
    let missing = missing_for_years(a, &years)?;
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = missing.iter().map(i32::to_string).collect();
    let msg = format!(
        "no inventory of permanent, long-term and personnel cases was made for {} (an act is approved only after them); make it with `archivist inventory --year {}`",
        list.join(", "),
        list[0]
    );
    match a.config.disposal.missing_inventories {
        MissingInventories::Warn => Ok(vec![msg]),
        MissingInventories::Refuse => {
            Err(Refused(format!("{msg}; the act was NOT approved")).into())
        }
    }
}

/// Counts of a year's cases by the nomenclature's year-end summary categories.
pub fn by_category(cases: &[Case]) -> BTreeMap<&'static str, (u32, u32)> {
    let mut out: BTreeMap<&'static str, (u32, u32)> = BTreeMap::new();
    for c in cases {
        let cat = category(c.period.as_ref());
        let e = out.entry(cat).or_default();
        e.0 += 1;
        if c.epk {
            e.1 += 1;
        }
    }
    out
}

/// The year-end summary's category of a period: «Постоянного», «Временного (свыше 10
/// лет)», «Временного (до 10 лет включительно)».
pub fn category(p: Option<&Period>) -> &'static str {
    match p.and_then(InventoryKind::of) {
        Some(InventoryKind::Permanent) => "permanent",
        Some(_) => "long",
        None => "short",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_choose_the_inventory() {
        assert_eq!(
            InventoryKind::of(&Period::Permanent),
            Some(InventoryKind::Permanent)
        );
        assert_eq!(
            InventoryKind::of(&Period::FiftySeventyFive),
            Some(InventoryKind::Personnel)
        );
        assert_eq!(
            InventoryKind::of(&Period::Years(15)),
            Some(InventoryKind::Long)
        );
        assert_eq!(InventoryKind::of(&Period::Years(10)), None);
        assert_eq!(InventoryKind::of(&Period::Years(5)), None);
        assert_eq!(InventoryKind::of(&Period::UntilNoLongerNeeded), None);
        assert_eq!("long".parse::<InventoryKind>(), Ok(InventoryKind::Long));
        assert!("temporary".parse::<InventoryKind>().is_err());
    }

    fn inventory(n: u32, first: u32) -> Inventory {
        Inventory {
            year: 2023,
            kind: InventoryKind::Permanent,
            made_at: Utc::now(),
            made_by: "test".into(),
            organisation: "АНО ДПО".into(),
            fund_number: "1".into(),
            first_number: first,
            cases: (0..n)
                .map(|i| InventoryCase {
                    number: first + i,
                    key: format!("02-{i:02}/2023"),
                    index: format!("02-{i:02}"),
                    title: "Протоколы".into(),
                    first_date: None,
                    last_date: None,
                    period: "Постоянно".into(),
                    epk: false,
                    sheets: 1,
                    documents: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn final_entry_counts_in_digits_and_words() {
        for (n, words) in [
            (1, "1 (одно) дело с № 1 по № 1"),
            (2, "2 (два) дела с № 1 по № 2"),
            (5, "5 (пять) дел с № 1 по № 5"),
            (11, "11 (одиннадцать) дел с № 1 по № 11"),
            (21, "21 (двадцать одно) дело с № 1 по № 21"),
            (101, "101 (сто одно) дело с № 1 по № 101"),
        ] {
            let e = inventory(n, 1).final_entry();
            assert!(e.contains(words), "{n}: {e}");
        }
        let e = inventory(3, 22).final_entry();
        assert!(e.contains("3 (три) дела с № 22 по № 24"), "{e}");
        assert_eq!(inventory(0, 5).last_number(), 4);
    }
}
