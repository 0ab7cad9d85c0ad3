//! Decides what a scan is: kind, year, group, date, number, title, programme and the
//! learners it names. Sources, highest precedence first: a sidecar dropped with the scan,
//! the inbox sub-folders, the file name, the PDF Info dictionary, the text (layer or OCR;
//! see [`text`] for how a text is read).
//!
//! A wrong year files a document in the wrong box, which is worse than asking a person:
//! when the text's dates are weak or contradict each other the year stays undetermined and
//! the scan goes to review, with every candidate the text gave.

mod text;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use regex::Regex;

use crate::config::ClassifyConfig;
use crate::config::nomenclature::Nomenclature;
use crate::ru::fold;
use crate::store::document::DropSidecar;

pub use text::{Candidates, DateCandidate, DateRole, KindCandidate, Mention};

/// Compiled rules; built once per run.
pub struct Classifier {
    kind_ids: Vec<String>,
    folder_patterns: Vec<Vec<String>>,
    filename_patterns: Vec<Regex>,
    text: text::TextRules,
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
    /// For fields the text decided: the words that decided them
    /// (`kind` → «ПРИКАЗ … об отчислении», `date` → «от 15 марта 2024 г.» near the heading).
    pub provenance_detail: BTreeMap<String, String>,
    /// Everything the text offered, decided or not (for the review template).
    pub candidates: Candidates,
}

impl Classified {
    /// Why the scan needs a person, if it does.
    pub fn review_reasons(&self) -> Vec<String> {
        let mut r = Vec::new();
        if self.kind.is_none() {
            r.push("the document kind could not be determined".to_string());
        }
        if self.year.is_none() {
            let why = if self.candidates.dates.is_empty() {
                "no date found"
            } else {
                "no date in the text is clearly the document's own"
            };
            r.push(format!("the document year could not be determined ({why})"));
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
            text: text::TextRules {
                rules: cfg
                    .kind_rules
                    .iter()
                    .map(|r| text::Rule {
                        kind: r.kind.clone(),
                        all: r.all.iter().map(|s| fold(s)).collect(),
                        any: r.any.iter().map(|s| fold(s)).collect(),
                        all_letters: r
                            .all
                            .iter()
                            .map(|s| crate::ru::noise::letters(&fold(s)))
                            .collect(),
                    })
                    .collect(),
                titles: cfg
                    .heading_titles
                    .iter()
                    .map(|t| crate::ru::noise::letters(t))
                    .filter(|t| !t.is_empty())
                    .collect(),
                cited: cfg.cited_markers.iter().map(|s| fold(s)).collect(),
                other_dates: cfg.other_date_markers.iter().map(|s| fold(s)).collect(),
                group_re: Regex::new(&cfg.group_regex)?,
                number_re: Regex::new(&cfg.number_regex)?,
                extra_date_re: Regex::new(&cfg.date_regex)?,
                programme_re: crate::ru::pattern::FirstMatch::new(&cfg.programme_regex)?,
                staff_markers: cfg.staff_markers.clone(),
            },
        })
    }

    pub fn is_kind(&self, s: &str) -> bool {
        self.kind_ids.iter().any(|k| k == s)
    }

    pub fn classify(&self, ev: &Evidence) -> Classified {
        self.classify_from(ev, "text")
    }

    /// Like [`Classifier::classify`], with the text's source named as `text_source` in
    /// the provenance: "text" for a text layer, "ocr" for text OCR read before filing.
    pub fn classify_from(&self, ev: &Evidence, text_source: &str) -> Classified {
        let mut c = Classified::default();
        // Lowest precedence first; each later source overwrites what it provides.
        let mut unsettled = self.read_text(ev.text, text_source, &mut c);
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
            from_info.candidates = Candidates::default();
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
            c.provenance_detail.remove("title");
        }
        overlay(&mut c, self.read_file_name(ev.file_name));
        overlay(&mut c, self.read_folders(ev.folders));
        if let Some(s) = ev.sidecar {
            overlay(&mut c, from_sidecar(s));
        }
        if c.provenance.get("date").is_some_and(|p| p != text_source) {
            // Another source gave the date: the text's doubts about its dates do not matter.
            unsettled = false;
        }
        // The year follows the date; failing that, the year in the group code, unless the
        // text has dates none of which could be trusted (then a person decides).
        if (c.year.is_none() || c.provenance.get("year").map(String::as_str) == Some("group-code"))
            && let Some(d) = c.date
        {
            let src = c.provenance.get("date").cloned().unwrap_or_default();
            c.year = Some(chrono::Datelike::year(&d));
            c.provenance.insert("year".into(), src);
            match c.provenance_detail.get("date").cloned() {
                Some(w) => c
                    .provenance_detail
                    .insert("year".into(), format!("the date {w}")),
                None => c.provenance_detail.remove("year"),
            };
        }
        if c.year.is_none()
            && !unsettled
            && let Some(g) = c.group.as_deref()
            && let Some(y) = year_in_group(g)
        {
            c.year = Some(y);
            c.provenance.insert("year".into(), "group-code".into());
            c.provenance_detail
                .insert("year".into(), format!("the group code «{g}»"));
        }
        c
    }

    /// Reads a text into `c`; true when it had dates but none could be trusted.
    fn read_text(&self, text: &str, src: &str, c: &mut Classified) -> bool {
        let r = self.text.read(text);
        let mut put = |field: &str, words: String| {
            c.provenance.insert(field.into(), src.into());
            c.provenance_detail.insert(field.into(), words);
        };
        if let Some((k, w)) = r.kind {
            c.kind = Some(k);
            put("kind", w);
        }
        if let Some((g, w)) = r.group {
            c.group = Some(g);
            put("group", w);
        }
        if let Some((n, w)) = r.number {
            c.number = Some(n);
            put("number", w);
        }
        if let Some((d, w)) = r.date {
            c.date = Some(d);
            put("date", w);
        }
        if let Some(p) = r.programme {
            set(
                &mut c.programme,
                &mut c.provenance,
                "programme",
                Some(p),
                src,
            );
        }
        if !r.learners.is_empty() {
            c.learners = r.learners;
            c.provenance.insert("learners".into(), src.into());
        }
        c.candidates = r.candidates;
        r.dates_unsettled
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
                let field = stringify!($f);
                if let Some(p) = hi.provenance.get(field) {
                    lo.provenance.insert(field.into(), p.clone());
                }
                // The words that decided belong to the source that decided.
                match hi.provenance_detail.get(field) {
                    Some(w) => lo.provenance_detail.insert(field.into(), w.clone()),
                    None => lo.provenance_detail.remove(field),
                };
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
    if hi.candidates != Candidates::default() {
        lo.candidates = hi.candidates;
    }
}

fn plausible_year(y: i32) -> bool {
    (1900..=2200).contains(&y)
}

/// ПК-2024-017 → 2024.
pub(crate) fn year_in_group(g: &str) -> Option<i32> {
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

    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn letter_spaced_heading_and_a_cited_older_date() {
        let c = run(
            "АНО ДПО «Учебный центр»\nП Р И К А З\n«15» марта 2024 г. N 45-у\nг. Москва\n\
             Об окончании обучения и отчислении\nВ соответствии с постановлением Правительства \
             Российской Федерации от 14 мая 2014 г. № 257-ПП и на основании протокола от \
             12.03.2024 № 3 ПРИКАЗЫВАЮ: отчислить слушателей группы ПК-2024-017",
            &[],
            "scan.pdf",
            None,
        );
        assert_eq!(c.kind.as_deref(), Some("order-completion"));
        assert_eq!(c.date, ymd(2024, 3, 15));
        assert_eq!(c.year, Some(2024));
        assert_eq!(c.number.as_deref(), Some("45-у"));
        assert_eq!(c.provenance["date"], "text");
        assert_eq!(
            c.provenance_detail["date"],
            "««15» марта 2024 г.» near the heading"
        );
        assert!(
            c.provenance_detail["kind"].starts_with("«ПРИКАЗ … "),
            "{:?}",
            c.provenance_detail
        );
        assert!(c.provenance_detail["kind"].contains("отчислени"));
        let roles: Vec<(Option<NaiveDate>, DateRole)> = c
            .candidates
            .dates
            .iter()
            .map(|d| (Some(d.date), d.role))
            .collect();
        assert!(
            roles.contains(&(ymd(2014, 5, 14), DateRole::Cited)),
            "{roles:?}"
        );
        assert!(
            roles.contains(&(ymd(2024, 3, 12), DateRole::Cited)),
            "{roles:?}"
        );
        assert_eq!(c.candidates.groups[0].value, "ПК-2024-017");
    }

    #[test]
    fn numbers_of_several_shapes_and_ocr_noise() {
        for (heading, want) in [
            ("ПРИКАЗ № 45-у от 15.03.2024", "45-у"),
            ("ПРИКАЗ № 257-ПП от 15.03.2024", "257-ПП"),
            ("ПРОТОКОЛ № 7/2\nот 15.03.2024", "7/2"),
            ("ПРИКАЗ N 45 от 15.03.2О24", "45"),
            ("ПРИКАЗ\n15.03.2024 М 121-NK", "121-ПК"),
            ("ПPИKAЗ Nо 12-к от 15.03.2024", "12-к"),
        ] {
            let c = run(&format!("{heading}\nо зачислении"), &[], "a.pdf", None);
            assert_eq!(c.number.as_deref(), Some(want), "{heading}");
            assert_eq!(c.date, ymd(2024, 3, 15), "{heading}");
        }
        // A number in the body (a cited order's) is not the document's.
        let c = run(
            "ПРОТОКОЛ\nзаседания аттестационной комиссии\nКомиссия создана приказом от 01.03.2024 № 45-у",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!(c.number, None);
        assert_eq!(c.date, None, "the only date is the cited order's");
        assert_eq!(c.year, None);
    }

    #[test]
    fn dates_in_every_form_next_to_the_heading() {
        for (line, want) in [
            ("от 15.03.2024 г.", ymd(2024, 3, 15)),
            ("от «15» марта 2024 г.", ymd(2024, 3, 15)),
            ("14 мая 2014 г.", ymd(2014, 5, 14)),
            ("от 2024-03-15", ymd(2024, 3, 15)),
            ("oT «25» апреля 2020 г.", ymd(2020, 4, 25)),
        ] {
            let c = run(
                &format!(
                    "ЖУРНАЛ\nучета занятий\n{line}\nПериод обучения: с 01.02.2019 по 01.03.2019"
                ),
                &[],
                "a.pdf",
                None,
            );
            assert_eq!(c.kind.as_deref(), Some("journal"), "{line}");
            assert_eq!(c.date, want, "{line}");
        }
    }

    #[test]
    fn contradictory_or_weak_dates_leave_the_year_to_a_person() {
        // Two different dates beside the heading, both «от»: no guess.
        let c = run(
            "ПРИКАЗ № 5 от 15.03.2024\nот 16.04.2023\nо зачислении группы ПК-2024-017",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!((c.date, c.year), (None, None));
        assert!(
            c.review_reasons().iter().any(|r| r.contains("clearly")),
            "{:?}",
            c.review_reasons()
        );
        // A date far from the group code's year is a misreading or not the document's.
        let c = run(
            "ПРИКАЗ № 5 от 15.03.2014\nо зачислении в группу ПК-2024-017",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!((c.date, c.year), (None, None));
        assert!(
            c.candidates
                .dates
                .iter()
                .any(|d| d.date.to_string() == "2014-03-15")
        );
        // Only body dates: the group code's year does not stand in for them.
        let c = run(
            "Протокол заседания аттестационной комиссии\nслушатели группы ПК-2024-017 обучались с 15.03.2024 по 20.04.2024",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!(c.year, None);
        // No date at all: the group code gives the year, and says so.
        let c = run(
            "ЖУРНАЛ учета занятий группы ПК-2024-017",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!(c.year, Some(2024));
        assert_eq!(c.provenance["year"], "group-code");
        assert_eq!(c.provenance_detail["year"], "the group code «ПК-2024-017»");
    }

    #[test]
    fn a_heading_outranks_words_in_the_body() {
        // A protocol that cites an enrolment order is a protocol.
        let c = run(
            "ПРОТОКОЛ № 3\nзаседания аттестационной комиссии\nот 28.05.2023\n\
             Слушатели зачислены приказом о зачислении от 01.04.2023 № 12-у",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!(c.kind.as_deref(), Some("protocol"));
        assert_eq!(c.date, ymd(2023, 5, 28));
        // An order of another subject: the kind stays open, the candidate says why.
        let c = run(
            "ПРИКАЗ\n11 февраля 2013 г. Москва № 17\nОб утверждении Требований о защите информации",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!(c.kind, None);
        assert_eq!(c.date, ymd(2013, 2, 11));
        assert_eq!(c.number.as_deref(), Some("17"));
        assert!(
            c.candidates
                .kinds
                .iter()
                .any(|k| k.kind.is_none() && k.heading)
        );
        // Under another document's heading, words in its body do not make it one of ours.
        let c = run(
            "ДОГОВОР № 5\nот 12.03.2024\nИсполнитель проводит тестирование и контрольная работа",
            &[],
            "a.pdf",
            None,
        );
        assert_eq!(c.kind, None);
        assert!(
            c.candidates
                .kinds
                .iter()
                .any(|k| k.kind.as_deref() == Some("test"))
        );
    }

    #[test]
    fn other_sources_replace_the_texts_words_that_decided() {
        let side = DropSidecar {
            date: NaiveDate::from_ymd_opt(2023, 1, 10),
            ..Default::default()
        };
        let c = run(
            "ПРИКАЗ № 5 от 15.03.2024\nо зачислении",
            &[],
            "a.pdf",
            Some(&side),
        );
        assert_eq!(c.date, ymd(2023, 1, 10));
        assert_eq!(c.year, Some(2023));
        assert_eq!(c.provenance["date"], "sidecar");
        assert!(!c.provenance_detail.contains_key("date"));
        assert!(!c.provenance_detail.contains_key("year"));
        assert_eq!(c.provenance["kind"], "text");
        // The text's candidates stay for a person to see.
        assert!(
            c.candidates
                .dates
                .iter()
                .any(|d| d.date.to_string() == "2024-03-15")
        );
    }

    #[test]
    fn review_template_comment_lists_candidates_with_context() {
        let c = run(
            "ПРИКАЗ № 5 от 15.03.2024\nот 16.04.2023\nо зачислении группы ПК-2024-017 Иванова Ивана Петровича",
            &[],
            "a.pdf",
            None,
        );
        let t = c.candidates.template_comment();
        assert!(t.contains("order-organisation"), "{t}");
        assert!(t.contains("2024-03-15") && t.contains("2023-04-16"), "{t}");
        assert!(
            t.contains("ПК-2024-017") && t.contains("number") && t.contains("Иванова"),
            "{t}"
        );
        assert!(t.lines().all(|l| l.is_empty() || l.starts_with('#')), "{t}");
    }
}
