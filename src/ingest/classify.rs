//! Decides what a scan is: kind, year, group, date, number, title, programme and the
//! learners it names. Sources, highest precedence first: a sidecar dropped with the scan,
//! the inbox sub-folders, the file name, the PDF Info dictionary, the text layer.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use regex::Regex;

use crate::config::ClassifyConfig;
use crate::config::nomenclature::Nomenclature;
use crate::ru::dates::MONTHS_GENITIVE;
use crate::ru::fold;
use crate::store::document::DropSidecar;

/// Compiled rules; built once per run.
pub struct Classifier {
    kind_ids: Vec<String>,
    folder_patterns: Vec<Vec<String>>,
    filename_patterns: Vec<Regex>,
    group_re: Regex,
    number_re: Regex,
    date_re: Regex,
    programme_re: Regex,
    month_date_re: Regex,
    rules: Vec<(String, Vec<String>, Vec<String>)>,
    staff_markers: Vec<String>,
}

/// Everything a classification found, field by field, with where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classified {
    pub kind: Option<String>,
    pub year: Option<i32>,
    pub group: Option<String>,
    pub date: Option<NaiveDate>,
    pub number: Option<String>,
    pub title: Option<String>,
    pub programme: Option<String>,
    pub learners: Vec<String>,
    pub events: BTreeMap<String, NaiveDate>,
    pub provenance: BTreeMap<String, String>,
}

impl Classified {
    /// Why the scan needs a person, if it does.
    pub fn review_reasons(&self) -> Vec<String> {
        let mut r = Vec::new();
        if self.kind.is_none() {
            r.push("the document kind could not be determined".to_string());
        }
        if self.year.is_none() {
            r.push("the document year could not be determined (no date found)".to_string());
        }
        r
    }
}

/// Inputs of one classification.
pub struct Evidence<'a> {
    pub sidecar: Option<&'a DropSidecar>,
    /// Folders between the inbox and the file.
    pub folders: &'a [String],
    pub file_name: &'a str,
    pub info: &'a BTreeMap<String, String>,
    pub text: &'a str,
}

impl Classifier {
    pub fn new(cfg: &ClassifyConfig, nom: &Nomenclature) -> Result<Classifier, regex::Error> {
        Ok(Classifier {
            kind_ids: nom.kinds.iter().map(|k| k.id.clone()).collect(),
            folder_patterns: cfg
                .folder_patterns
                .iter()
                .map(|p| {
                    p.split('/')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .collect(),
            filename_patterns: cfg
                .filename_patterns
                .iter()
                .map(|p| Regex::new(p))
                .collect::<Result<_, _>>()?,
            group_re: Regex::new(&cfg.group_regex)?,
            number_re: Regex::new(&cfg.number_regex)?,
            date_re: Regex::new(&cfg.date_regex)?,
            programme_re: Regex::new(&cfg.programme_regex)?,
            month_date_re: Regex::new(&format!(
                r"«?(\d{{1,2}})»?\s+({})\s+(\d{{4}})",
                MONTHS_GENITIVE.join("|")
            ))?,
            rules: cfg
                .kind_rules
                .iter()
                .map(|r| {
                    (
                        r.kind.clone(),
                        r.all.iter().map(|s| fold(s)).collect(),
                        r.any.iter().map(|s| fold(s)).collect(),
                    )
                })
                .collect(),
            staff_markers: cfg.staff_markers.clone(),
        })
    }

    pub fn is_kind(&self, s: &str) -> bool {
        self.kind_ids.iter().any(|k| k == s)
    }

    pub fn classify(&self, ev: &Evidence) -> Classified {
        let mut c = Classified::default();
        // Lowest precedence first; each later source overwrites what it provides.
        self.read_text(ev.text, "text", &mut c);
        let info_text = ["Title", "Subject", "Keywords"]
            .iter()
            .filter_map(|k| ev.info.get(*k))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        if !info_text.trim().is_empty() {
            let mut from_info = Classified::default();
            self.read_text(&info_text, "pdf-info", &mut from_info);
            // Names in Info are rare and unreliable; keep the text's.
            from_info.learners.clear();
            overlay(&mut c, from_info);
        }
        if let Some(t) = ev.info.get("Title").filter(|t| !t.trim().is_empty()) {
            set(
                &mut c.title,
                &mut c.provenance,
                "title",
                Some(t.trim().to_string()),
                "pdf-info",
            );
        }
        overlay(&mut c, self.read_file_name(ev.file_name));
        overlay(&mut c, self.read_folders(ev.folders));
        if let Some(s) = ev.sidecar {
            overlay(&mut c, from_sidecar(s));
        }
        // The year follows the date; failing that, the year in the group code.
        if (c.year.is_none() || c.provenance.get("year").map(String::as_str) == Some("group-code"))
            && let Some(d) = c.date
        {
            let src = c.provenance.get("date").cloned().unwrap_or_default();
            c.year = Some(chrono::Datelike::year(&d));
            c.provenance.insert("year".into(), src);
        }
        if c.year.is_none()
            && let Some(y) = c.group.as_deref().and_then(year_in_group)
        {
            c.year = Some(y);
            c.provenance.insert("year".into(), "group-code".into());
        }
        c
    }

    fn read_text(&self, text: &str, src: &str, c: &mut Classified) {
        let folded = fold(text);
        for (kind, all, any) in &self.rules {
            if all.iter().all(|w| folded.contains(w.as_str()))
                && (any.is_empty() || any.iter().any(|w| folded.contains(w.as_str())))
            {
                set(
                    &mut c.kind,
                    &mut c.provenance,
                    "kind",
                    Some(kind.clone()),
                    src,
                );
                break;
            }
        }
        if let Some(g) = self
            .group_re
            .captures(text)
            .and_then(|m| m.get(1).or_else(|| m.get(0)))
        {
            set(
                &mut c.group,
                &mut c.provenance,
                "group",
                Some(g.as_str().to_string()),
                src,
            );
        }
        if let Some(n) = self
            .number_re
            .captures(text)
            .and_then(|m| m.get(1).or_else(|| m.get(0)))
        {
            set(
                &mut c.number,
                &mut c.provenance,
                "number",
                Some(n.as_str().trim().to_string()),
                src,
            );
        }
        if let Some(d) = self.find_date(text) {
            set(&mut c.date, &mut c.provenance, "date", Some(d), src);
        }
        if let Some(p) = self.programme_re.captures(text).and_then(|m| m.get(1)) {
            let p = p.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
            set(
                &mut c.programme,
                &mut c.provenance,
                "programme",
                Some(p),
                src,
            );
        }
        let mut learners: Vec<String> = Vec::new();
        for n in crate::ru::names::find_names(text, &self.staff_markers) {
            if !learners.contains(&n.text) {
                learners.push(n.text);
            }
        }
        if !learners.is_empty() {
            c.learners = learners;
            c.provenance.insert("learners".into(), src.into());
        }
    }

    fn find_date(&self, text: &str) -> Option<NaiveDate> {
        let numeric = self.date_re.captures(text).and_then(|m| {
            let d = m.get(1)?.as_str().parse().ok()?;
            let mo = m.get(2)?.as_str().parse().ok()?;
            let y = m.get(3)?.as_str().parse().ok()?;
            Some((m.get(0)?.start(), NaiveDate::from_ymd_opt(y, mo, d)?))
        });
        let worded = self.month_date_re.captures(text).and_then(|m| {
            let d = m.get(1)?.as_str().parse().ok()?;
            let month = m.get(2)?.as_str();
            let mo = MONTHS_GENITIVE.iter().position(|x| *x == month)? as u32 + 1;
            let y = m.get(3)?.as_str().parse().ok()?;
            Some((m.get(0)?.start(), NaiveDate::from_ymd_opt(y, mo, d)?))
        });
        // The first date on the page is the document's own.
        match (numeric, worded) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a.1 } else { b.1 }),
            (a, b) => a.or(b).map(|x| x.1),
        }
    }

    fn read_file_name(&self, name: &str) -> Classified {
        let mut c = Classified::default();
        let src = "file-name";
        for re in &self.filename_patterns {
            let Some(m) = re.captures(name) else { continue };
            if let Some(k) = m
                .name("kind")
                .map(|k| k.as_str())
                .filter(|k| self.is_kind(k))
            {
                set(
                    &mut c.kind,
                    &mut c.provenance,
                    "kind",
                    Some(k.to_string()),
                    src,
                );
            }
            if let Some(g) = m.name("group") {
                set(
                    &mut c.group,
                    &mut c.provenance,
                    "group",
                    Some(g.as_str().to_string()),
                    src,
                );
            }
            if let Some(y) = m
                .name("year")
                .and_then(|y| y.as_str().parse().ok())
                .filter(|y| plausible_year(*y))
            {
                set(&mut c.year, &mut c.provenance, "year", Some(y), src);
            }
            if let Some(d) = m
                .name("date")
                .and_then(|d| NaiveDate::parse_from_str(d.as_str(), "%Y-%m-%d").ok())
            {
                set(&mut c.date, &mut c.provenance, "date", Some(d), src);
            }
            if let Some(n) = m.name("number") {
                set(
                    &mut c.number,
                    &mut c.provenance,
                    "number",
                    Some(n.as_str().to_string()),
                    src,
                );
            }
            break;
        }
        c
    }

    fn read_folders(&self, folders: &[String]) -> Classified {
        let mut c = Classified::default();
        let src = "folder";
        for pat in &self.folder_patterns {
            if pat.len() != folders.len() {
                continue;
            }
            let mut trial = Classified::default();
            let ok = pat.iter().zip(folders).all(|(p, f)| match p.as_str() {
                "{group}" => {
                    set(
                        &mut trial.group,
                        &mut trial.provenance,
                        "group",
                        Some(f.clone()),
                        src,
                    );
                    true
                }
                "{kind}" if self.is_kind(f) => {
                    set(
                        &mut trial.kind,
                        &mut trial.provenance,
                        "kind",
                        Some(f.clone()),
                        src,
                    );
                    true
                }
                "{year}" => match f.parse::<i32>() {
                    Ok(y) if plausible_year(y) => {
                        set(&mut trial.year, &mut trial.provenance, "year", Some(y), src);
                        true
                    }
                    _ => false,
                },
                lit => lit == f,
            });
            if ok {
                c = trial;
                break;
            }
        }
        c
    }
}

fn from_sidecar(s: &DropSidecar) -> Classified {
    let mut c = Classified::default();
    let src = "sidecar";
    set(&mut c.kind, &mut c.provenance, "kind", s.kind.clone(), src);
    set(
        &mut c.group,
        &mut c.provenance,
        "group",
        s.group.clone(),
        src,
    );
    set(&mut c.date, &mut c.provenance, "date", s.date, src);
    set(
        &mut c.year,
        &mut c.provenance,
        "year",
        s.year.or(s.date.map(|d| chrono::Datelike::year(&d))),
        src,
    );
    set(
        &mut c.number,
        &mut c.provenance,
        "number",
        s.number.clone(),
        src,
    );
    set(
        &mut c.title,
        &mut c.provenance,
        "title",
        s.title.clone(),
        src,
    );
    set(
        &mut c.programme,
        &mut c.provenance,
        "programme",
        s.programme.clone(),
        src,
    );
    if let Some(l) = &s.learners {
        c.learners = l.clone();
        c.provenance.insert("learners".into(), src.into());
    }
    if let Some(ev) = &s.events {
        c.events = ev.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    }
    c
}

fn set<T>(
    slot: &mut Option<T>,
    prov: &mut BTreeMap<String, String>,
    field: &str,
    v: Option<T>,
    src: &str,
) {
    if let Some(v) = v {
        *slot = Some(v);
        prov.insert(field.into(), src.into());
    }
}

/// Fields the higher-precedence `hi` provides replace those of `lo`.
fn overlay(lo: &mut Classified, hi: Classified) {
    macro_rules! take {
        ($f:ident) => {
            if hi.$f.is_some() {
                lo.$f = hi.$f;
                if let Some(p) = hi.provenance.get(stringify!($f)) {
                    lo.provenance.insert(stringify!($f).into(), p.clone());
                }
            }
        };
    }
    take!(kind);
    take!(year);
    take!(group);
    take!(date);
    take!(number);
    take!(title);
    take!(programme);
    if !hi.learners.is_empty() {
        lo.learners = hi.learners;
        if let Some(p) = hi.provenance.get("learners") {
            lo.provenance.insert("learners".into(), p.clone());
        }
    }
    lo.events.extend(hi.events);
}

fn plausible_year(y: i32) -> bool {
    (1900..=2200).contains(&y)
}

/// ПК-2024-017 → 2024.
fn year_in_group(g: &str) -> Option<i32> {
    g.split(|c: char| !c.is_ascii_digit())
        .filter(|p| p.len() == 4)
        .filter_map(|p| p.parse().ok())
        .find(|y| plausible_year(*y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn cl() -> Classifier {
        Classifier::new(&Config::default().classify, &Nomenclature::embedded()).unwrap()
    }

    fn run(text: &str, folders: &[&str], name: &str, sidecar: Option<&DropSidecar>) -> Classified {
        let folders: Vec<String> = folders.iter().map(|s| s.to_string()).collect();
        let info = BTreeMap::new();
        cl().classify(&Evidence {
            sidecar,
            folders: &folders,
            file_name: name,
            info: &info,
            text,
        })
    }

    #[test]
    fn text_rules_classify_an_enrolment_order() {
        let c = run(
            "АНО ДПО\nПРИКАЗ № 45-у от 15.03.2024 г.\nО зачислении слушателей\nпо программе повышения квалификации «Охрана труда» в группу ПК-2024-017:\n1. Иванова Ивана Петровича",
            &[],
            "scan_0001.pdf",
            None,
        );
        assert_eq!(c.kind.as_deref(), Some("order-organisation"));
        assert_eq!(c.number.as_deref(), Some("45-у"));
        assert_eq!(c.date, NaiveDate::from_ymd_opt(2024, 3, 15));
        assert_eq!(c.year, Some(2024));
        assert_eq!(c.group.as_deref(), Some("ПК-2024-017"));
        assert_eq!(c.programme.as_deref(), Some("Охрана труда"));
        assert_eq!(c.learners, vec!["Иванова Ивана Петровича"]);
        assert!(c.review_reasons().is_empty());
    }

    #[test]
    fn completion_is_not_taken_for_enrolment() {
        let c = run(
            "ПРИКАЗ № 52-у от 30.05.2024 Об окончании обучения и отчислении в связи с завершением обучения",
            &[],
            "x.pdf",
            None,
        );
        assert_eq!(c.kind.as_deref(), Some("order-completion"));
    }

    #[test]
    fn precedence_sidecar_over_folder_over_text() {
        let side = DropSidecar {
            group: Some("ПП-2023-002".into()),
            ..Default::default()
        };
        let c = run(
            "ЖУРНАЛ учета занятий группа ПК-2024-017 с 15.03.2024",
            &["ПК-2022-001", "protocol"],
            "a.pdf",
            Some(&side),
        );
        assert_eq!(c.group.as_deref(), Some("ПП-2023-002"));
        assert_eq!(c.kind.as_deref(), Some("protocol"));
        assert_eq!(c.provenance["kind"], "folder");
        assert_eq!(c.provenance["group"], "sidecar");
    }

    #[test]
    fn worded_dates_and_review_reasons() {
        let c = run(
            "ПРОТОКОЛ № 3 заседания аттестационной комиссии «28» мая 2023 г.",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!(c.date, NaiveDate::from_ymd_opt(2023, 5, 28));
        let c = run("какой-то текст", &[], "a.pdf", None);
        assert_eq!(c.review_reasons().len(), 2);
    }
}
