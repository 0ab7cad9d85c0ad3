//! Learner names in Russian documents: «Фамилия Имя Отчество» (in any case form),
//! «Фамилия И. О.» and «И. О. Фамилия» (DOMAIN.md §6).

use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::ru::fold;

/// A name as found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundName {
    pub surname: String,
    /// First name, or its initial (one letter) when only initials were written.
    pub first: String,
    pub patronymic: String,
    /// The words exactly as written.
    pub text: String,
    pub start: usize,
}

impl FoundName {
    pub fn initials(&self) -> String {
        let i = |s: &str| s.chars().next().map(|c| c.to_string()).unwrap_or_default();
        format!("{}. {}.", i(&self.first), i(&self.patronymic))
    }
}

fn full_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        // The patronymic suffix (-вич/-вн-/-ичн-) anchors the match, so ordinary
        // capitalised words are not taken for names.
        Regex::new(r"([А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)\s+([А-ЯЁ][а-яё]+)\s+([А-ЯЁ][а-яё]+(?:вич|вн|ичн)[а-яё]{0,3})")
            .expect("static regex")
    })
}

fn initials_after_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"([А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)\s+([А-ЯЁ])\.\s*([А-ЯЁ])\.")
            .expect("static regex")
    })
}

fn initials_before_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"([А-ЯЁ])\.\s*([А-ЯЁ])\.\s*([А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)")
            .expect("static regex")
    })
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        ('\u{0410}'..='\u{044F}').contains(&c) || c == 'ё' || c == 'Ё' || c.is_alphanumeric()
    }
}

/// The matches of `re` that begin at a word boundary (and end at one when `to_word_end`).
/// The boundaries are checked here rather than written as `\b` in the patterns: a
/// Unicode `\b` makes the regex crate leave its fast DFA on non-ASCII text, which made
/// name finding the costliest step of ingest.
fn word_captures<'t>(re: &Regex, text: &'t str, to_word_end: bool) -> Vec<Captures<'t>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(c) = re.captures_at(text, pos) {
        let Some(m) = c.get(0) else { break };
        let starts_word = text[..m.start()]
            .chars()
            .next_back()
            .is_none_or(|ch| !is_word_char(ch));
        let ends_word = !to_word_end
            || text[m.end()..]
                .chars()
                .next()
                .is_none_or(|ch| !is_word_char(ch));
        if starts_word && ends_word && !m.is_empty() {
            pos = m.end();
            out.push(c);
        } else {
            // Try again from the next character, as `\b` would have made the regex do.
            pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// OCR of Russian text often reads an initial as the Latin letter of the same shape
/// («Воробьёва Е. A.»): a lone Latin capital that looks Cyrillic and is followed by a
/// dot is taken as the Cyrillic letter.
fn cyrillic_initials(text: &str) -> String {
    const LOOKALIKES: [(char, char); 11] = [
        ('A', 'А'),
        ('B', 'В'),
        ('C', 'С'),
        ('E', 'Е'),
        ('H', 'Н'),
        ('K', 'К'),
        ('M', 'М'),
        ('O', 'О'),
        ('P', 'Р'),
        ('T', 'Т'),
        ('X', 'Х'),
    ];
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let twin = LOOKALIKES
            .iter()
            .find(|(l, _)| *l == c)
            .map(|&(_, cyr)| cyr);
        match twin {
            Some(cyr) if chars.peek() == Some(&'.') && prev.is_none_or(|p| !is_word_char(p)) => {
                out.push(cyr)
            }
            _ => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// Words that start sentences or headings and look like surnames before initials.
const NOT_SURNAMES: &[&str] = &[
    "приказ",
    "протокол",
    "группа",
    "программа",
    "директор",
    "председатель",
    "итого",
];

/// Finds learner names in `text`, skipping names that follow a staff marker
/// (director, chairman, …) within the same line.
pub fn find_names(text: &str, staff_markers: &[String]) -> Vec<FoundName> {
    let fixed = cyrillic_initials(text);
    let text = fixed.as_str();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    let overlaps =
        |taken: &[(usize, usize)], s: usize, e: usize| taken.iter().any(|&(a, b)| s < b && a < e);
    for c in word_captures(full_re(), text, true) {
        let m = c.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        taken.push(m);
        out.push(FoundName {
            surname: c[1].to_string(),
            first: c[2].to_string(),
            patronymic: c[3].to_string(),
            text: c[0].to_string(),
            start: m.0,
        });
    }
    for c in word_captures(initials_after_re(), text, false) {
        let Some(m) = c.get(0) else { continue };
        if overlaps(&taken, m.start(), m.end()) {
            continue;
        }
        taken.push((m.start(), m.end()));
        out.push(FoundName {
            surname: c[1].to_string(),
            first: c[2].to_string(),
            patronymic: c[3].to_string(),
            text: c[0].to_string(),
            start: m.start(),
        });
    }
    for c in word_captures(initials_before_re(), text, true) {
        let Some(m) = c.get(0) else { continue };
        if overlaps(&taken, m.start(), m.end()) {
            continue;
        }
        taken.push((m.start(), m.end()));
        out.push(FoundName {
            surname: c[3].to_string(),
            first: c[1].to_string(),
            patronymic: c[2].to_string(),
            text: c[0].to_string(),
            start: m.start(),
        });
    }
    let folded_markers: Vec<String> = staff_markers.iter().map(|m| fold(m)).collect();
    out.retain(|n| {
        if NOT_SURNAMES.contains(&fold(&n.surname).as_str()) {
            return false;
        }
        let line_start = text[..n.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let from = text.floor_char_boundary(n.start.saturating_sub(80).max(line_start));
        let before = fold(&text[from..n.start]);
        !folded_markers.iter().any(|m| before.contains(m.as_str()))
    });
    out.sort_by_key(|n| n.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<String> {
        find_names(t, &["директор".to_string(), "председатель".to_string()])
            .into_iter()
            .map(|n| n.text)
            .collect()
    }

    #[test]
    fn finds_declined_full_names_and_initials() {
        let t = "об отчислении Иванову Ивану Петровичу, Сидоровой Анне Сергеевне.\nИванов И. П. — зачтено\nИ.П. Иванов\nДиректор ____ К. Л. Смирнов";
        assert_eq!(
            names(t),
            vec![
                "Иванову Ивану Петровичу",
                "Сидоровой Анне Сергеевне",
                "Иванов И. П.",
                "И.П. Иванов"
            ]
        );
    }

    #[test]
    fn ordinary_capitalised_words_are_not_names() {
        assert!(names("Об утверждении Требований Положения Порядок").is_empty());
        assert!(names("ПРИКАЗ № 45-у от 15.03.2024").is_empty());
    }

    #[test]
    fn latin_lookalike_initials_from_ocr_count_as_cyrillic() {
        assert_eq!(
            names("2. Воробьёва Е. A. + + +\nA. B. Петров"),
            vec!["Воробьёва Е. А.", "А. В. Петров"]
        );
        // Not inside words, and not letters that have no Cyrillic twin.
        assert!(names("Иванов D. F.").is_empty());
    }

    #[test]
    fn names_must_be_whole_words() {
        // Inside a longer word, or running into letters or digits: not a name.
        assert!(names("xИванов Иван Петрович").is_empty());
        assert!(names("Иванов Иван Петровичевский2").is_empty());
        assert!(names("И. П. Иванов7").is_empty());
        // … but punctuation and line ends are boundaries, and a rejected start does not
        // hide a name later in the same span.
        assert_eq!(
            names("(Иванов Иван Петрович)\nфИ. П. Сидоров, И. П. Петров"),
            vec!["Иванов Иван Петрович", "И. П. Петров"]
        );
    }
}
