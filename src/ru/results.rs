//! A learner's results as the records state them (RECORDS.md §1, §5): the result of the
//! final attestation from a protocol (отлично … неудовлетворительно, зачтено / не
//! зачтено, or a score), the programme and its hours from an order, the issued
//! certificate or diploma (series, number, registration number, date) from the book of
//! issue. Text in, facts out — the text layer or the OCR text, so keywords and numbers
//! are read through OCR's usual errors (look-alike letters, a wrong letter in a word,
//! О for 0).

use std::sync::OnceLock;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::namematch::levenshtein;
use super::names::{FoundName, find_names};
use super::pattern::FirstMatch;
use super::person::{parse_name, to_cyrillic};
use crate::ru::{fold, is_letter};

/// What one document says about its learners' results; kept in the sidecar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocResults {
    /// The programme the document is about («Охрана труда …»).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    /// The programme's length in academic hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    /// One entry per learner the document names, in the order they appear.
    #[serde(default, rename = "learner", skip_serializing_if = "Vec::is_empty")]
    pub learners: Vec<LearnerResult>,
}

/// One learner's entry in a protocol, an order or a book of issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerResult {
    /// The name as written (normalised, see [`FoundName::text`]).
    pub name: String,
    /// The attestation result: «отлично», «хорошо», «удовлетворительно»,
    /// «неудовлетворительно», «зачтено», «не зачтено», «аттестован», «не аттестован», or
    /// a score («85 баллов», «8 из 10»).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// The certificate or diploma issued, from a book of issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<IssuedDocument>,
}

/// A document about education issued to a learner (RECORDS.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDocument {
    /// «удостоверение о повышении квалификации», «диплом о профессиональной
    /// переподготовке», «справка об обучении».
    pub title: String,
    /// Blank series, digits (e.g. «772419»).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// Blank number, digits as printed («012345»).
    pub number: String,
    /// Registration number in the book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
}

impl IssuedDocument {
    /// «772419 № 012345» or «№ 012345».
    pub fn number_text(&self) -> String {
        match &self.series {
            Some(s) => format!("{s} № {}", self.number),
            None => format!("№ {}", self.number),
        }
    }
}

/// The kinds whose text states results (default nomenclature ids, RECORDS.md §1).
pub const RESULT_KINDS: [&str; 4] = [
    "protocol",
    "order-completion",
    "order-organisation",
    "issuance-book",
];

/// Results stated by a document of `kind`, read from its text; None for other kinds or
/// when the text states nothing. Names after a staff marker are not learners.
pub fn extract(kind: &str, text: &str, staff_markers: &[String]) -> Option<DocResults> {
    if !RESULT_KINDS.contains(&kind) {
        return None;
    }
    let text = cyrillic_words(text);
    let names = learners_once(find_names(&text, staff_markers));
    let (programme, hours) = programme_and_hours(&text);
    let learners: Vec<LearnerResult> = match kind {
        "protocol" => names
            .iter()
            .enumerate()
            .map(|(i, n)| LearnerResult {
                name: n.text.clone(),
                result: attestation_result(&text[n.end..result_span_end(&text, &names, i)]),
                issued: None,
            })
            .collect(),
        "issuance-book" => names
            .iter()
            .enumerate()
            .map(|(i, n)| LearnerResult {
                name: n.text.clone(),
                result: None,
                issued: issued_document(book_entry(&text, &names, i)),
            })
            .collect(),
        _ => names
            .iter()
            .map(|n| LearnerResult {
                name: n.text.clone(),
                result: None,
                issued: None,
            })
            .collect(),
    };
    let r = DocResults {
        programme,
        hours,
        learners,
    };
    (r.programme.is_some()
        || r.learners
            .iter()
            .any(|l| l.result.is_some() || l.issued.is_some())
        || (kind.starts_with("order") && !r.learners.is_empty()))
    .then_some(r)
}

/// The text with Latin look-alikes inside Cyrillic words made Cyrillic («прoтокол»),
/// everything else (digits, punctuation, line ends) as it is.
fn cyrillic_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push_str(&to_cyrillic(&word));
            word.clear();
        }
        out.push(c);
    }
    out.push_str(&to_cyrillic(&word));
    out
}

/// One mention per learner: an order writes each learner twice (the list, then «выдать
/// … Иванову Ивану Петровичу»), a book may too.
fn learners_once(names: Vec<FoundName>) -> Vec<FoundName> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for n in names {
        let Some(key) = parse_name(&n.text) else {
            continue;
        };
        let token = key.token();
        if seen.contains(&token) {
            continue;
        }
        seen.push(token);
        out.push(n);
    }
    out
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| compile(pattern))
}

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("static regex: {e}"))
}

/// The quoted programme name after «программе/программа» and its hours («(72 ч.)»,
/// «в объеме 72 часов»).
fn programme_and_hours(text: &str) -> (Option<String>, Option<u32>) {
    static PROGRAMME: OnceLock<FirstMatch> = OnceLock::new();
    static HOURS: OnceLock<Regex> = OnceLock::new();
    // Cased alternatives, not (?i): they give the pattern literal beginnings to search
    // for (see `ru::pattern`), and scans write these three.
    const WORD: &str = "(?:[Пп]рограм|ПРОГРАМ)";
    let programme_re = PROGRAMME.get_or_init(|| {
        FirstMatch::new(&format!(
            r#"{WORD}\w*[^«"“<\n]{{0,240}}?[«"“<]{{1,2}}\s*([^»"”>]{{3,240}}?)\s*[»"”>]"#
        ))
        .unwrap_or_else(|e| panic!("static regex: {e}"))
    });
    let hours_re = re(
        &HOURS,
        r"(?i)(?:\(|объем\w*|объём\w*|продолжительност\w*)\s*:?\s*(\d{1,4})\s*(?:ак\w*\.?\s*)?(?:ч\b|ч\.|час)",
    );
    let Some(m) = programme_re.first(text) else {
        let hours = hours_re
            .captures(text)
            .and_then(|h| h.get(1)?.as_str().parse().ok());
        return (None, hours);
    };
    let after = m.range(0).map_or(0, |x| x.end);
    let name = m.get(1).map(|p| {
        p.replace("-\n", "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    });
    let near = &text[after..text.ceil_char_boundary((after + 120).min(text.len()))];
    let hours = hours_re
        .captures(near)
        .or_else(|| hours_re.captures(text))
        .and_then(|h| h.get(1)?.as_str().parse().ok());
    (name, hours)
}

/// Where the result of learner `i` in a protocol may stand: after the name, up to the
/// next name or the end of the line — or of the next line, when the result was wrapped.
fn result_span_end(text: &str, names: &[FoundName], i: usize) -> usize {
    let start = names[i].end;
    let next_name = names.get(i + 1).map_or(text.len(), |n| n.start);
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |k| from + k);
    let mut end = line_end(start);
    if !text[start..end].chars().any(char::is_alphanumeric) && end < text.len() {
        end = line_end(end + 1);
    }
    end.min(next_name).max(start)
}

/// Words a result is written with, and what they mean.
const RESULT_WORDS: [&str; 6] = [
    "отлично",
    "хорошо",
    "удовлетворительно",
    "зачтено",
    "аттестован",
    "аттестована",
];

fn word_tolerance(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=11 => 1,
        _ => 2,
    }
}

/// The canonical form of a result word, or None: «нeудовлетворитeльно» →
/// «неудовлетворительно», «незачтено» → «не зачтено».
fn result_word(prev: Option<&str>, w: &str) -> Option<String> {
    let negated_before = prev == Some("не");
    for base in RESULT_WORDS {
        let tol = word_tolerance(base.chars().count());
        let negative = |s: &str| match base {
            "удовлетворительно" => "неудовлетворительно".to_string(),
            "аттестована" => "не аттестована".to_string(),
            _ => format!("не {s}"),
        };
        if let Some(rest) = w.strip_prefix("не")
            && base != "хорошо"
            && base != "отлично"
            && levenshtein(rest, base, tol).is_some()
        {
            return Some(negative(base));
        }
        if levenshtein(w, base, tol).is_some() {
            return Some(if negated_before {
                negative(base)
            } else {
                base.to_string()
            });
        }
    }
    None
}

/// The attestation result written in `tail` (the rest of a protocol's row).
pub fn attestation_result(tail: &str) -> Option<String> {
    let words: Vec<String> = tail
        .split(|c: char| !is_letter(c))
        .filter(|w| !w.is_empty())
        .map(fold)
        .collect();
    for (i, w) in words.iter().enumerate() {
        let prev = i.checked_sub(1).map(|k| words[k].as_str());
        if let Some(r) = result_word(prev, w) {
            return Some(r);
        }
    }
    static SCORE: OnceLock<Regex> = OnceLock::new();
    let score = re(
        &SCORE,
        r"(?i)(\d{1,3})\s*(?:(балл\w*|б\.)|из\s*(\d{1,3}))|(?:^|[\s—–-])([2-5])\s*(?:$|[\s(.,;])",
    );
    let c = score.captures(tail)?;
    if let (Some(n), Some(_)) = (c.get(1), c.get(2)) {
        return Some(format!("{} баллов", n.as_str()));
    }
    if let (Some(n), Some(of)) = (c.get(1), c.get(3)) {
        return Some(format!("{} из {}", n.as_str(), of.as_str()));
    }
    c.get(4).map(|g| g.as_str().to_string())
}

/// The part of a book of issue that belongs to learner `i`: from the start of the line
/// the name is on (the registration number comes first) to the start of the next
/// learner's line.
fn book_entry<'t>(text: &'t str, names: &[FoundName], i: usize) -> &'t str {
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |k| k + 1);
    let start = line_start(names[i].start);
    let end = names
        .get(i + 1)
        .map_or(text.len(), |n| line_start(n.start).max(names[i].end));
    &text[start..end]
}

/// Digits as OCR may print them inside a number: О/о for 0, З for 3, l/I/| for 1, б for 6.
fn digits(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            'О' | 'о' | 'O' | 'o' => Some('0'),
            'З' | 'з' => Some('3'),
            'l' | 'I' | '|' => Some('1'),
            'б' => Some('6'),
            _ => None,
        })
        .collect()
}

/// The certificate or diploma in one book entry.
fn issued_document(entry: &str) -> Option<IssuedDocument> {
    static TITLE: OnceLock<Regex> = OnceLock::new();
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    static REG: OnceLock<Regex> = OnceLock::new();
    static ISSUED: OnceLock<Regex> = OnceLock::new();
    static DATE: OnceLock<Regex> = OnceLock::new();
    let title_re = re(
        &TITLE,
        r"(?i)(удостоверени\w*|диплом\w*|справк\w*|свидетельств\w*|сертификат\w*)((?:\s+[а-яё]+){0,6})",
    );
    // «772419 № 012345», «серия 7724 № 012345», «№ 012345»; № may come out as N, No, Ne.
    let number_re = re(
        &NUMBER,
        r"(?i)(?:серия\s*)?([0-9ОоOЗзlI|]{2,8})?\s*(?:№|N[oеe°]?|Н[оo])\s*([0-9ОоOЗзlI|]{3,10})",
    );
    let reg_re = re(
        &REG,
        r"(?i)рег\w*\.?\s*(?:№|N[oеe°]?|Н[оo])?\s*([0-9ОоOЗзlI|]{1,10})",
    );
    let issued_re = re(
        &ISSUED,
        r"(?i)выдач\w*\s*:?\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})",
    );
    let date_re = re(&DATE, r"(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})");
    let title_m = title_re.captures(entry)?;
    let after_title = title_m.get(0).map_or(0, |m| m.start());
    let title = format!(
        "{}{}",
        title_m.get(1).map_or("", |m| m.as_str()),
        title_m.get(2).map_or("", |m| m.as_str())
    )
    .split_whitespace()
    .map(fold)
    .collect::<Vec<_>>()
    .join(" ");
    let rest = &entry[after_title..];
    let num = number_re.captures(rest)?;
    let number = digits(num.get(2)?.as_str());
    if number.len() < 3 {
        return None;
    }
    let series = num
        .get(1)
        .map(|s| digits(s.as_str()))
        .filter(|s| s.len() >= 2);
    let registration = reg_re
        .captures(entry)
        .and_then(|r| r.get(1))
        .map(|r| digits(r.as_str()))
        .filter(|r| !r.is_empty());
    let ymd = |c: regex::Captures| -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(
            c.get(3)?.as_str().parse().ok()?,
            c.get(2)?.as_str().parse().ok()?,
            c.get(1)?.as_str().parse().ok()?,
        )
    };
    let date = issued_re.captures(rest).and_then(ymd).or_else(|| {
        // Else the first date after the number that is not a protocol's.
        let after_number = num.get(0).map_or(0, |m| m.end());
        date_re
            .captures_iter(&rest[after_number..])
            .find(|c| {
                let at = c.get(0).map_or(0, |m| m.start()) + after_number;
                !fold(&rest[rest.floor_char_boundary(at.saturating_sub(16))..at])
                    .contains("протокол")
            })
            .and_then(ymd)
    });
    Some(IssuedDocument {
        title,
        series,
        number,
        registration,
        date,
    })
}

/// The digits a person types for a certificate («772419 № 012345», «012345»), as the
/// index keeps them: series and number together, and the number alone (leading zeros
/// dropped), so either finds it.
pub fn certificate_terms(doc: &IssuedDocument) -> Vec<String> {
    let mut v = vec![format!("n:{}", doc.number.trim_start_matches('0'))];
    if let Some(s) = &doc.series {
        v.push(format!("s:{s}{}", doc.number));
    }
    v
}

/// The index terms a typed certificate number may mean: «772419 012345» (series and
/// number), «772419012345», «012345». Empty when it holds no digits.
pub fn certificate_query_terms(typed: &str) -> Vec<String> {
    let groups: Vec<String> = typed
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    let all: String = groups.concat();
    if all.is_empty() {
        return Vec::new();
    }
    let mut v = vec![format!("s:{all}")];
    match groups.last() {
        Some(last) if groups.len() > 1 => v.push(format!("n:{}", last.trim_start_matches('0'))),
        _ => v.push(format!("n:{}", all.trim_start_matches('0'))),
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Vec<String> {
        ["председатель", "члены комиссии", "секретарь", "директор"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn protocol_results_of_every_kind() {
        let t = "ПРОТОКОЛ № 5\nПредседатель комиссии: Петров В. В.\n\
                 1. Иванов И. П. — зачтено\n\
                 2. Сидорова А. С. — не зачтено\n\
                 3. Федоров Петр Ильич — отлично\n\
                 4. Зайцева М. И. — хорошо\n\
                 5. Каменская О. Н. — удовлетворительно\n\
                 6. Шевчук И. А. — неудовлетворительно\n\
                 7. Черных А. А. — 85 баллов\n\
                 8. Лукин Ф. К. — 8 из 10\n\
                 9. Гуревич А. С. — 4 (хорошо)\n\
                 10. Ли В. Е. — 5\n";
        let r = extract("protocol", t, &staff()).unwrap();
        let got: Vec<(String, Option<String>)> = r
            .learners
            .iter()
            .map(|l| (l.name.clone(), l.result.clone()))
            .collect();
        let want = [
            ("Иванов И. П.", "зачтено"),
            ("Сидорова А. С.", "не зачтено"),
            ("Федоров Петр Ильич", "отлично"),
            ("Зайцева М. И.", "хорошо"),
            ("Каменская О. Н.", "удовлетворительно"),
            ("Шевчук И. А.", "неудовлетворительно"),
            ("Черных А. А.", "85 баллов"),
            ("Лукин Ф. К.", "8 из 10"),
            ("Гуревич А. С.", "хорошо"),
            ("Ли В. Е.", "5"),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((n, r), (wn, wr)) in got.iter().zip(want) {
            assert_eq!(n, wn);
            assert_eq!(r.as_deref(), Some(wr), "{n}");
        }
    }

    #[test]
    fn results_through_ocr_errors() {
        for (tail, want) in [
            (" — зaчтено", "зачтено"),
            (" — зачтсно", "зачтено"),
            (" — нe зачтено", "не зачтено"),
            (" — незачтено", "не зачтено"),
            (" — удовлетворигельно", "удовлетворительно"),
            (" — неудовлетворительно", "неудовлетворительно"),
            (" — отлнчно", "отлично"),
        ] {
            let t = cyrillic_words(tail);
            assert_eq!(attestation_result(&t).as_deref(), Some(want), "{tail}");
        }
        assert_eq!(attestation_result(" — "), None);
    }

    #[test]
    fn a_programme_is_the_first_mention_followed_by_a_quoted_name() {
        // The first mention has no quoted name within reach; the second has.
        let far = "x".repeat(300);
        let t = format!(
            "Программа развития ({far}) «Не это».\nОбучение по ПРОГРАММЕ «Охрана труда» (16 ч.)"
        );
        assert_eq!(
            programme_and_hours(&t),
            (Some("Охрана труда".into()), Some(16))
        );
        assert_eq!(programme_and_hours("программа без кавычек"), (None, None));
    }

    #[test]
    fn order_programme_and_hours() {
        let t = "ПРИКАЗ № 51-у\nОб окончании обучения\n1. Считать завершившими обучение по \
                 дополнительной профессиональной программе повышения квалификации «Охрана \
                 труда для руководителей» (40 ч.) следующих слушателей:\n1) Иванова И. П.;\n\
                 2. Выдать удостоверения слушателям: Иванову Ивану Петровичу.\n\
                 Директор ____ К. Л. Смирнов";
        let r = extract("order-completion", t, &staff()).unwrap();
        assert_eq!(
            r.programme.as_deref(),
            Some("Охрана труда для руководителей")
        );
        assert_eq!(r.hours, Some(40));
        assert_eq!(r.learners.len(), 1, "{:?}", r.learners);
        let r = extract(
            "order-organisation",
            "Зачислить на обучение по программе «Пожарная безопасность» в объеме 72 академических часов: Сидорову Анну Сергеевну",
            &staff(),
        )
        .unwrap();
        assert_eq!(r.hours, Some(72));
        assert_eq!(r.learners[0].name, "Сидорову Анну Сергеевну");
    }

    #[test]
    fn book_entries() {
        let t = "КНИГА\nрегистрации выданных документов о квалификации\nот 10.04.2019\n\
                 Группа ПК-2019-005\nДокументы выданы по дополнительной профессиональной \
                 программе повышения квалификации «Электробезопасность» (72 ч.).\n\
                 Рег. № 0456 Иванов Иван Петрович подпись ______\n\
                 удостоверение о повышении квалификации 772419 № 012345, дата выдачи 10.04.2019, протокол от 08.04.2019 № 5\n\
                 Рег. № 0457 Сидорова Анна Сергеевна подпись ______\n\
                 удостоверение о повышении квалификации 772419 № О12346, дата выдачи 11.04.2019, протокол от 08.04.2019 № 5\n";
        let r = extract("issuance-book", t, &staff()).unwrap();
        assert_eq!(r.programme.as_deref(), Some("Электробезопасность"));
        assert_eq!(r.hours, Some(72));
        let docs: Vec<&IssuedDocument> = r
            .learners
            .iter()
            .filter_map(|l| l.issued.as_ref())
            .collect();
        assert_eq!(docs.len(), 2, "{r:?}");
        assert_eq!(docs[0].title, "удостоверение о повышении квалификации");
        assert_eq!(docs[0].series.as_deref(), Some("772419"));
        assert_eq!(docs[0].number, "012345");
        assert_eq!(docs[0].registration.as_deref(), Some("0456"));
        assert_eq!(docs[0].date, NaiveDate::from_ymd_opt(2019, 4, 10));
        assert_eq!(docs[1].number, "012346");
        assert_eq!(docs[1].date, NaiveDate::from_ymd_opt(2019, 4, 11));
        assert_eq!(docs[1].number_text(), "772419 № 012346");
    }

    #[test]
    fn certificate_numbers_as_typed() {
        let d = IssuedDocument {
            title: "удостоверение".into(),
            series: Some("772419".into()),
            number: "012345".into(),
            registration: None,
            date: None,
        };
        let indexed = certificate_terms(&d);
        for typed in [
            "772419 № 012345",
            "772419012345",
            "012345",
            "12345",
            "№ 012345",
        ] {
            let q = certificate_query_terms(typed);
            assert!(q.iter().any(|t| indexed.contains(t)), "{typed}: {q:?}");
        }
        assert!(
            !certificate_query_terms("772419 012346")
                .iter()
                .any(|t| indexed.contains(t))
        );
        assert!(certificate_query_terms("нет цифр").is_empty());
    }

    #[test]
    fn other_kinds_state_no_results() {
        assert_eq!(extract("journal", "Иванов И. П. — зачтено", &staff()), None);
    }
}
