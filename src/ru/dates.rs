//! Dates as Russian documents write them — «15.03.2024», «от «15» марта 2024 г.»,
//! «14 мая 2014 г.», «2024-03-15» — found in text that OCR may have garbled a little
//! («15.03.2О24», «1] февраля 2013 г.», «мapтa»).

use std::sync::OnceLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::ru::noise::{digit_twin, distance, fix_lookalikes};

/// Russian month names in the genitive («15 марта 2024»), for parsing and printing dates.
pub const MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// How a date was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateForm {
    /// 15.03.2024
    Numeric,
    /// 15 марта 2024, «15» марта 2024
    Words,
    /// 2024-03-15
    Iso,
}

/// One date found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct DateMention {
    pub date: NaiveDate,
    /// Byte range of the date in the text searched.
    pub start: usize,
    pub end: usize,
    pub form: DateForm,
}

/// Characters OCR may give for a digit (see [`digit_twin`]).
const D: &str = r"[0-9OОoоlI|\]\[Зз]";

fn numeric_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(
            r"(?:^|[^\p{{L}}\p{{N}}.,])({D}{{1,2}}) ?[.,] ?({D}{{2}}) ?[.,] ?({D}{{4}})"
        ))
        .expect("numeric date pattern")
    })
}

fn iso_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:^|[^\p{N}-])((?:19|20)\d\d)-(\d\d)-(\d\d)").expect("ISO date pattern")
    })
}

fn worded_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(
            r#"(?:^|[^\p{{L}}\p{{N}}])[«"“„'<]{{0,2}} ?({D}{{1,2}}) ?[»"”'>]{{0,2}} ?(\p{{L}}{{3,9}}) +({D}{{4}})"#
        ))
        .expect("worded date pattern")
    })
}

/// A number read by OCR, with look-alike letters taken for the digits they resemble;
/// at least half of it must be real digits.
fn ocr_number(s: &str) -> Option<u32> {
    let real = s.chars().filter(char::is_ascii_digit).count();
    if real * 2 < s.chars().count() {
        return None;
    }
    s.chars()
        .map(digit_twin)
        .collect::<Option<String>>()?
        .parse()
        .ok()
}

/// The month a (possibly misread) genitive month name stands for: exact, or one letter
/// off for names of five letters and more when no other month is as close.
pub fn month_of(word: &str) -> Option<u32> {
    let w = crate::ru::fold(&fix_lookalikes(word));
    if let Some(i) = MONTHS_GENITIVE.iter().position(|m| *m == w) {
        return Some(i as u32 + 1);
    }
    if w.chars().count() < 5 {
        return None;
    }
    let mut best: Vec<usize> = Vec::new();
    for (i, m) in MONTHS_GENITIVE.iter().enumerate() {
        if m.chars().count() >= 5 && distance(&w, m) == 1 {
            best.push(i);
        }
    }
    match best.as_slice() {
        [i] => Some(*i as u32 + 1),
        _ => None,
    }
}

fn plausible(y: u32) -> bool {
    (1950..=2100).contains(&y)
}

/// Whether a number ends at `end` (no digit follows).
fn ends_there(text: &str, end: usize) -> bool {
    !text[end..].starts_with(|c: char| c.is_ascii_digit() || c == '-')
}

/// Every date in `text`, in order of position. Dates without a year («15.03») and
/// impossible dates («31.02.2024») are not dates.
pub fn find_dates(text: &str) -> Vec<DateMention> {
    let mut out = Vec::new();
    for c in numeric_re().captures_iter(text) {
        let (Some(d), Some(m), Some(y)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        if !ends_there(text, y.end()) {
            continue;
        }
        let (Some(dd), Some(mm), Some(yy)) = (
            ocr_number(d.as_str()),
            ocr_number(m.as_str()),
            ocr_number(y.as_str()),
        ) else {
            continue;
        };
        if let Some(date) = NaiveDate::from_ymd_opt(yy as i32, mm, dd).filter(|_| plausible(yy)) {
            out.push(DateMention {
                date,
                start: d.start(),
                end: y.end(),
                form: DateForm::Numeric,
            });
        }
    }
    for c in iso_re().captures_iter(text) {
        let (Some(y), Some(m), Some(d)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        if !ends_there(text, d.end()) {
            continue;
        }
        let parse = |s: &str| s.parse::<u32>().ok();
        if let (Some(yy), Some(mm), Some(dd)) =
            (parse(y.as_str()), parse(m.as_str()), parse(d.as_str()))
            && let Some(date) = NaiveDate::from_ymd_opt(yy as i32, mm, dd)
        {
            out.push(DateMention {
                date,
                start: y.start(),
                end: d.end(),
                form: DateForm::Iso,
            });
        }
    }
    for c in worded_re().captures_iter(text) {
        let (Some(d), Some(m), Some(y)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        if !ends_there(text, y.end()) {
            continue;
        }
        let (Some(dd), Some(mm), Some(yy)) = (
            ocr_number(d.as_str()),
            month_of(m.as_str()),
            ocr_number(y.as_str()),
        ) else {
            continue;
        };
        if let Some(date) = NaiveDate::from_ymd_opt(yy as i32, mm, dd).filter(|_| plausible(yy)) {
            // Start at an opening quote if there is one: «15» марта.
            let before = &text[..d.start()];
            let start = before
                .trim_end_matches(' ')
                .char_indices()
                .next_back()
                .filter(|(_, ch)| matches!(ch, '«' | '"' | '“' | '„' | '\'' | '<'))
                .map_or(d.start(), |(i, _)| i);
            out.push(DateMention {
                date,
                start,
                end: y.end(),
                form: DateForm::Words,
            });
        }
    }
    out.sort_by_key(|m| m.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(t: &str) -> Vec<NaiveDate> {
        find_dates(t).into_iter().map(|m| m.date).collect()
    }
    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_ways_documents_write_dates() {
        assert_eq!(dates("от 15.03.2024 г."), [ymd(2024, 3, 15)]);
        assert_eq!(dates("от «15» марта 2024 г."), [ymd(2024, 3, 15)]);
        assert_eq!(dates("14 мая 2014 г. № 257-ПП"), [ymd(2014, 5, 14)]);
        assert_eq!(dates("дата: 2024-03-15"), [ymd(2024, 3, 15)]);
        assert_eq!(
            dates("с 15.03.2024 по 20.04.2024"),
            [ymd(2024, 3, 15), ymd(2024, 4, 20)]
        );
    }

    #[test]
    fn ocr_noise_in_dates_is_read_through() {
        assert_eq!(dates("от 15.03.2О24"), [ymd(2024, 3, 15)]);
        assert_eq!(dates("1] февраля 2013 г. Москва"), [ymd(2013, 2, 11)]);
        assert_eq!(dates("«28» мapтa 2023 г."), [ymd(2023, 3, 28)]);
        assert_eq!(dates("28 марга 2023"), [ymd(2023, 3, 28)]);
        assert_eq!(dates("15.03. 2024"), [ymd(2024, 3, 15)]);
    }

    #[test]
    fn things_that_are_not_dates() {
        assert!(dates("15.03 16.03 17.03").is_empty());
        assert!(dates("31.02.2024").is_empty());
        assert!(dates("ИНН 1831155301 КПП 183101001").is_empty());
        assert!(dates("40703978900000345077").is_empty());
        assert!(dates("Сумма 144462-74").is_empty());
        assert!(dates("3 мая 1812 г.").is_empty());
        assert!(dates("OO.OO.OOOO").is_empty());
    }

    #[test]
    fn months_one_letter_off_are_taken_only_when_unambiguous() {
        assert_eq!(month_of("марта"), Some(3));
        assert_eq!(month_of("Марга"), Some(3));
        assert_eq!(month_of("мая"), Some(5));
        assert_eq!(month_of("мач"), None);
        assert_eq!(month_of("июня"), Some(6));
    }
}
