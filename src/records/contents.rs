//! What the boxes hold, read from their manifests and sidecars rather than the search
//! index, so that labels, covers and inventories list exactly what is on disk: a box's
//! documents are the scans its manifest names, described by the sidecars beside them.

use std::collections::BTreeMap;
use std::fs;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::nomenclature::{Nomenclature, Period};
use crate::error::NotFound;
use crate::store::archive::{self, Archive};
use crate::store::boxes;
use crate::store::document::{CaseKey, DocumentMeta, Status};

/// Which boxes to print for: a year, a group, both, or (all `None`) every box.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub year: Option<i32>,
    pub group: Option<String>,
}

impl Selection {
    pub fn matches(&self, year: i32, group: &str) -> bool {
        self.year.is_none_or(|y| y == year) && self.group.as_deref().is_none_or(|g| g == group)
    }

    /// «2024», «2024/ПК-2024-017», «ПК-2024-017» or «all», for file names and messages.
    pub fn describe(&self) -> String {
        match (self.year, &self.group) {
            (Some(y), Some(g)) => format!("{y}/{g}"),
            (Some(y), None) => y.to_string(),
            (None, Some(g)) => g.clone(),
            (None, None) => "all".to_string(),
        }
    }
}

/// One box and the active documents its manifest names, by date.
#[derive(Debug, Clone)]
pub struct BoxContents {
    pub year: i32,
    pub group: String,
    /// `boxes/2024/ПК-2024-017`
    pub rel: String,
    pub documents: Vec<DocumentMeta>,
}

impl BoxContents {
    pub fn pages(&self) -> u32 {
        self.documents
            .iter()
            .map(|d| d.pages)
            .fold(0, u32::saturating_add)
    }

    pub fn dates(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        dates(&self.documents)
    }
}

fn dates(docs: &[DocumentMeta]) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let ds = docs.iter().filter_map(|d| d.date);
    (ds.clone().min(), ds.max())
}

/// The boxes the selection names, in year and group order. A selection naming one
/// box that does not exist is an error, so a typo is not printed as an empty sheet.
pub fn boxes(a: &Archive, sel: &Selection) -> Result<Vec<BoxContents>> {
    let mut out = Vec::new();
    for dir in a.box_dirs() {
        let Some((year, group)) = box_key(&dir) else {
            continue;
        };
        if sel.matches(year, &group) {
            out.push(read_box(a, &dir, year, group)?);
        }
    }
    if out.is_empty() && (sel.year.is_some() || sel.group.is_some()) {
        return Err(NotFound(format!(
            "no box matches {} under {}; `archivist labels` with no --year/--group prints every box",
            sel.describe(),
            a.boxes.display()
        ))
        .into());
    }
    Ok(out)
}

/// One box, `boxes/<year>/<group>`.
pub fn one_box(a: &Archive, year: i32, group: &str) -> Result<BoxContents> {
    let sel = Selection {
        year: Some(year),
        group: Some(group.to_string()),
    };
    let mut found = boxes(a, &sel)?;
    found
        .pop()
        .with_context(|| format!("no box {year}/{group}"))
}

fn box_key(dir: &std::path::Path) -> Option<(i32, String)> {
    let group = dir.file_name()?.to_str()?.to_string();
    let year = dir.parent()?.file_name()?.to_str()?.parse().ok()?;
    Some((year, group))
}

fn read_box(a: &Archive, dir: &std::path::Path, year: i32, group: String) -> Result<BoxContents> {
    let rel = a.rel(dir);
    let manifest = boxes::read_manifest(dir)
        .with_context(|| format!("cannot read the manifest of box {rel}"))?;
    let mut documents = Vec::new();
    for path in manifest.keys() {
        if !(path.starts_with("data/") && path.to_ascii_lowercase().ends_with(".pdf")) {
            continue;
        }
        let side = dir.join(archive::sidecar_of(path));
        let text = fs::read_to_string(&side).with_context(|| {
            format!(
                "{rel}/{path} has no readable sidecar ({}); run `archivist verify --box {year}/{group}`",
                side.display()
            )
        })?;
        let meta = DocumentMeta::from_toml(&text)
            .with_context(|| format!("{} is not a valid sidecar", side.display()))?;
        if meta.status == Status::Active {
            documents.push(meta);
        }
    }
    documents.sort_by(|x, y| (x.date, &x.number, &x.file).cmp(&(y.date, &y.number, &y.file)));
    Ok(BoxContents {
        year,
        group,
        rel,
        documents,
    })
}

/// A case (a kind's documents of one year, or of one group) as the nomenclature names it.
#[derive(Debug, Clone)]
pub struct Case {
    pub key: CaseKey,
    pub kind: String,
    /// The nomenclature's case title.
    pub title: String,
    /// `None` when the sidecars name a period the nomenclature no longer parses.
    pub period: Option<Period>,
    pub basis: String,
    pub epk: bool,
    /// By date.
    pub documents: Vec<DocumentMeta>,
}

impl Case {
    pub fn pages(&self) -> u32 {
        self.documents
            .iter()
            .map(|d| d.pages)
            .fold(0, u32::saturating_add)
    }

    pub fn dates(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        dates(&self.documents)
    }

    /// «Журналы учета занятий (группа ПК-2019-017)» for per-group cases.
    pub fn full_title(&self) -> String {
        match &self.key.group {
            Some(g) => format!("{} (группа {g})", self.title),
            None => self.title.clone(),
        }
    }
}

/// The cases of the documents in these boxes, in case-key order. The case index, title
/// and period come from the current nomenclature, as for retention; a kind it no longer
/// lists keeps what its documents' sidecars recorded.
pub fn cases(boxes: &[BoxContents], nom: &Nomenclature) -> Vec<Case> {
    let mut by_key: BTreeMap<CaseKey, Case> = BTreeMap::new();
    for b in boxes {
        for d in &b.documents {
            let (key, case) = case_of(d, nom);
            by_key.entry(key).or_insert(case).documents.push(d.clone());
        }
    }
    let mut out: Vec<Case> = by_key.into_values().collect();
    for c in &mut out {
        c.documents
            .sort_by(|x, y| (x.date, &x.number, &x.file).cmp(&(y.date, &y.number, &y.file)));
    }
    out
}

fn case_of(d: &DocumentMeta, nom: &Nomenclature) -> (CaseKey, Case) {
    let (index, title, period, basis, epk, per_group) = match nom.kind(&d.kind) {
        Some(k) => (
            k.case_index.clone(),
            k.case_title.clone(),
            Some(k.period.clone()),
            k.basis.clone(),
            k.epk,
            k.per_group,
        ),
        None => (
            d.case.index.clone(),
            d.case.title.clone(),
            d.case.period.parse().ok(),
            d.case.basis.clone(),
            d.case.epk,
            false,
        ),
    };
    let key = CaseKey {
        index,
        year: d.year,
        group: if per_group { d.group.clone() } else { None },
    };
    let case = Case {
        key: key.clone(),
        kind: d.kind.clone(),
        title,
        period,
        basis,
        epk,
        documents: Vec::new(),
    };
    (key, case)
}

/// The cases of one year, from the boxes of that year.
pub fn cases_of_year(a: &Archive, year: i32) -> Result<Vec<Case>> {
    let sel = Selection {
        year: Some(year),
        group: None,
    };
    let bs = match boxes(a, &sel) {
        Ok(b) => b,
        // A year with no box has no cases.
        Err(e) if e.downcast_ref::<NotFound>().is_some() => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(cases(&bs, &a.nomenclature))
}
