//! The classification test set (`tests/classify/set.tsv`: what each page is) and how a
//! classification is scored against it. Shared by the fast test (`tests/classify_set.rs`,
//! on the OCR text cached in `tests/classify/text/`) and the bench (`benches/classify.rs`,
//! which runs Tesseract live).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use archivist::config::Config;
use archivist::config::nomenclature::Nomenclature;
use archivist::ingest::classify::{Classified, Classifier, Evidence};
use chrono::{Datelike, NaiveDate};

/// Options of the generated part of the set (its rows' `file` are this set's files).
pub fn generated_options() -> fixturegen::GenOptions {
    fixturegen::GenOptions {
        seed: 7,
        count: 40,
        image_only: true,
        variations: true,
        ..Default::default()
    }
}

pub fn set_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/classify")
}

/// The cached text of one row (pages separated by a form feed line, as the pipeline
/// joins them).
pub fn text_path(id: &str) -> PathBuf {
    set_dir().join("text").join(format!("{id}.txt"))
}

/// One row of set.tsv.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    /// `generated` (the fixture generator with [`generated_options`]) or `corpus`
    /// (`../shared/corpus`).
    pub source: String,
    pub file: String,
    pub kind: Option<String>,
    pub date: Option<NaiveDate>,
    pub number: Option<String>,
    pub note: String,
}

fn opt(s: &str) -> Option<String> {
    (s != "-" && !s.is_empty()).then(|| s.to_string())
}

pub fn load(dir: &Path) -> Vec<Item> {
    let path = dir.join("set.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 6, "{}: short row {l:?}", path.display());
            Item {
                id: f[0].to_string(),
                source: f[1].to_string(),
                file: f[2].to_string(),
                kind: opt(f[3]),
                date: opt(f[4]).map(|d| {
                    NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .unwrap_or_else(|_| panic!("{}: bad date {d}", f[0]))
                }),
                number: opt(f[5]),
                note: f.get(6).unwrap_or(&"").to_string(),
            }
        })
        .collect()
}

pub fn classifier() -> Classifier {
    Classifier::new(&Config::default().classify, &Nomenclature::embedded())
        .expect("the default classification rules compile")
}

/// Classifies a scan's text alone: no sidecar, no folder, a file name that says nothing.
pub fn classify(c: &Classifier, text: &str) -> Classified {
    let info = BTreeMap::new();
    c.classify(&Evidence {
        sidecar: None,
        folders: &[],
        file_name: "scan_0001.pdf",
        info: &info,
        text,
    })
}

fn norm_number(s: &str) -> String {
    archivist::ru::fold(&archivist::ru::noise::fix_lookalikes(s))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Counts per field over a set of rows.
#[derive(Debug, Default, Clone)]
pub struct Score {
    pub n: usize,
    pub kind: usize,
    pub date: usize,
    pub number: usize,
    /// Would be filed (kind and year settled).
    pub filed: usize,
    /// Filed under a year other than the document's: the error that must not happen.
    pub wrong_year: usize,
    /// Filed under a kind other than the document's.
    pub wrong_kind: usize,
    /// One line per miss, for the report.
    pub misses: Vec<String>,
}

impl Score {
    pub fn add(&mut self, item: &Item, c: &Classified) {
        self.n += 1;
        let kind_ok = c.kind == item.kind;
        let date_ok = c.date == item.date;
        let number_ok =
            c.number.as_deref().map(norm_number) == item.number.as_deref().map(norm_number);
        self.kind += usize::from(kind_ok);
        self.date += usize::from(date_ok);
        self.number += usize::from(number_ok);
        let filed = c.kind.is_some() && c.year.is_some();
        if filed {
            self.filed += 1;
            if c.year != item.date.map(|d| d.year()) {
                self.wrong_year += 1;
            }
            if c.kind != item.kind {
                self.wrong_kind += 1;
            }
        }
        let show = |o: Option<String>| o.unwrap_or_else(|| "—".into());
        if !(kind_ok && date_ok && number_ok) {
            self.misses.push(format!(
                "{}: kind {} (want {}), date {} (want {}), number {} (want {}){}  [{}]",
                item.id,
                show(c.kind.clone()),
                show(item.kind.clone()),
                show(c.date.map(|d| d.to_string())),
                show(item.date.map(|d| d.to_string())),
                show(c.number.clone()),
                show(item.number.clone()),
                if filed { ", FILED" } else { ", to review" },
                item.note
            ));
        }
    }

    pub fn pct(part: usize, n: usize) -> f64 {
        if n == 0 {
            100.0
        } else {
            100.0 * part as f64 / n as f64
        }
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = |x| Score::pct(x, self.n);
        write!(
            f,
            "{:>3} documents  kind {:>5.1}%  date {:>5.1}%  number {:>5.1}%  filed {:>3}  filed under a wrong year {}  under a wrong kind {}",
            self.n,
            p(self.kind),
            p(self.date),
            p(self.number),
            self.filed,
            self.wrong_year,
            self.wrong_kind
        )
    }
}

/// Scores of the generated rows, the real rows, and all.
pub fn report(items: &[Item], results: &[Classified]) -> (Score, Score, Score) {
    let (mut gen_s, mut real, mut all) = (Score::default(), Score::default(), Score::default());
    for (item, c) in items.iter().zip(results) {
        all.add(item, c);
        if item.source == "generated" {
            gen_s.add(item, c);
        } else {
            real.add(item, c);
        }
    }
    (gen_s, real, all)
}
