//! Reading one document's text the way a clerk does: find the heading («ПРИКАЗ»,
//! «П Р О Т О К О Л № 3 заседания …»), take the kind from the heading and the subject
//! under it, the document's own date and number from the lines around the heading (not a
//! date the body cites: «постановлением … от 14 мая 2014 г.»), and the group code.
//! Every date, number, group and kind guess met on the way is kept as a candidate for
//! the person who reviews the scan.

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::ru::dates::{DateMention, find_dates};
use crate::ru::fold;
use crate::ru::noise::{allowed_errors, clean, digit_twin, find_approx};

/// Lines after the heading line that still belong to it (number, date, subject).
const BLOCK_AFTER: usize = 4;
/// Lines of the heading block are short (centred or two columns); body lines are longer.
const BLOCK_LINE_MAX: usize = 64;
/// The heading is looked for among this many non-empty lines at the top of page 1.
const HEADING_WITHIN: usize = 20;
/// Kind phrases are looked for in this much text (headings and subjects are at the top).
const SCAN_CHARS: usize = 6000;
/// Candidates of one sort kept for review (a long document may cite hundreds of dates).
const MAX_CANDIDATES: usize = 30;
/// Approximate (OCR-tolerant) phrase search looks this far into the text.
const FUZZY_CHARS: usize = 2000;
/// Context kept on each side of a candidate, in characters.
const CONTEXT: usize = 40;

/// Everything the text offered, decided or not: the review template lists it so that a
/// person can pick instead of type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidates {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<KindCandidate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateCandidate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Mention>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<Mention>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learners: Vec<String>,
}

/// A kind the text suggests, with the words that suggested it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindCandidate {
    /// None: the heading names a kind of document («ПРИКАЗ») but no rule's subject matched.
    pub kind: Option<String>,
    pub words: String,
    /// True when the words are the heading and its subject, not just somewhere in the text.
    pub heading: bool,
}

/// What a date is to the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateRole {
    /// Next to the heading and number: the document's own date.
    Own,
    /// The date of a document the text cites («постановлением … от 14 мая 2014 г.»).
    Cited,
    /// A period's start or end («с 15.03.2024 по 20.04.2024»).
    Period,
    /// Someone's birth, a certificate's issue, a deadline.
    Other,
    /// Elsewhere in the text, with nothing to say whose it is.
    Body,
}

impl DateRole {
    pub fn as_str(self) -> &'static str {
        match self {
            DateRole::Own => "next to the heading",
            DateRole::Cited => "cited",
            DateRole::Period => "a period",
            DateRole::Other => "not the document's",
            DateRole::Body => "in the text",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateCandidate {
    pub date: NaiveDate,
    /// The date as written.
    pub words: String,
    /// The line around it.
    pub context: String,
    pub role: DateRole,
    pub page: u32,
}

/// A value found in the text with the words around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub value: String,
    pub context: String,
}

impl Candidates {
    /// Comment lines for a review template: every candidate with its context.
    pub fn template_comment(&self) -> String {
        let mut t = String::new();
        let empty = self.kinds.is_empty()
            && self.dates.is_empty()
            && self.groups.is_empty()
            && self.numbers.is_empty();
        if empty {
            return t;
        }
        t.push_str("\n# What the text suggests (copy what is right into the fields above):\n");
        for k in &self.kinds {
            let kind = k.kind.as_deref().unwrap_or("?");
            let place = if k.heading { "heading" } else { "text" };
            t.push_str(&format!(
                "#   kind   {kind:<20} {place}: {}\n",
                one_line(&k.words)
            ));
        }
        for d in &self.dates {
            t.push_str(&format!(
                "#   date   {}  {:<19} «{}» p.{}: {}\n",
                d.date.format("%Y-%m-%d"),
                d.role.as_str(),
                d.words,
                d.page,
                one_line(&d.context)
            ));
        }
        for g in &self.groups {
            t.push_str(&format!(
                "#   group  {:<20} {}\n",
                g.value,
                one_line(&g.context)
            ));
        }
        for n in &self.numbers {
            t.push_str(&format!(
                "#   number {:<20} {}\n",
                n.value,
                one_line(&n.context)
            ));
        }
        if !self.learners.is_empty() {
            t.push_str(&format!("#   names  {}\n", self.learners.join("; ")));
        }
        t
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One rule of `[[classify.kind_rule]]`, folded.
pub(super) struct Rule {
    pub kind: String,
    pub all: Vec<String>,
    pub any: Vec<String>,
    /// `all` as letters only, compared with headings (made once, not per text).
    pub all_letters: Vec<String>,
}

/// The compiled text rules (from `[classify]` in archivist.toml).
pub(super) struct TextRules {
    pub rules: Vec<Rule>,
    /// Document titles a heading may start with, as letters only («платежноепоручение»).
    pub titles: Vec<String>,
    /// Word beginnings that make the date or number after them another document's.
    pub cited: Vec<String>,
    /// Word beginnings that make a date someone's birth, an issue, a deadline.
    pub other_dates: Vec<String>,
    pub group_re: Regex,
    pub number_re: Regex,
    pub extra_date_re: Regex,
    pub programme_re: crate::ru::pattern::FirstMatch,
    pub staff_markers: Vec<String>,
}

/// What one text says, with the words that decided each field.
#[derive(Debug, Default)]
pub(super) struct Reading {
    pub kind: Option<(String, String)>,
    pub date: Option<(NaiveDate, String)>,
    pub number: Option<(String, String)>,
    pub group: Option<(String, String)>,
    pub programme: Option<String>,
    pub learners: Vec<String>,
    pub candidates: Candidates,
    /// Dates were found, but none could be trusted as the document's own: the group
    /// code's year must not stand in for it.
    pub dates_unsettled: bool,
}

/// The last line of the heading block: the heading and the short lines under it (number,
/// date, place, subject), up to [`BLOCK_AFTER`]; the first long line is the body.
fn block_end(lines: &[Line], heading: usize) -> usize {
    let mut end = heading;
    for (i, l) in lines.iter().enumerate().skip(heading + 1).take(BLOCK_AFTER) {
        if l.text.chars().count() > BLOCK_LINE_MAX || l.page != lines[heading].page {
            break;
        }
        end = i;
    }
    end
}

/// A non-empty line of the cleaned text.
struct Line<'a> {
    text: &'a str,
    page: u32,
}

/// The heading line: its index among the lines of page 1, and the title it starts with.
struct Heading {
    line: usize,
    title: String,
}

impl TextRules {
    pub fn read(&self, raw: &str) -> Reading {
        let text = clean(raw);
        let lines = lines_of(&text);
        let page1: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].page == 1).collect();
        let heading = self.find_heading(&lines, &page1);
        let block_end = heading.as_ref().map_or(0, |h| block_end(&lines, h.line));
        let block = |i: usize| {
            heading
                .as_ref()
                .is_some_and(|h| i >= h.line && i <= block_end)
        };
        let mut r = Reading::default();

        self.read_kind(&text, &lines, heading.as_ref(), &mut r);
        self.read_dates(&lines, heading.as_ref(), &block, &mut r);
        self.read_number(&lines, heading.as_ref(), &mut r);
        self.read_group(&text, &mut r);
        self.check_date_against_group(&mut r);

        if let Some(p) = self.programme_re.first(&text).and_then(|m| m.get(1)) {
            r.programme = Some(one_line(p));
        }
        for n in crate::ru::names::find_names(&text, &self.staff_markers) {
            if !r.learners.contains(&n.text) {
                r.learners.push(n.text);
            }
        }
        r.candidates.learners = r.learners.clone();
        r
    }

    /// The first line near the top of page 1 that starts with a document title, as
    /// letters only (so «П Р И К А З» and «ПРИ КАЗ» count): either everything before its
    /// first digit or № is the title («ПРИКАЗ № 45»), or its leading capitals are
    /// («ПРОТОКОЛ заседания …»).
    fn find_heading(&self, lines: &[Line], page1: &[usize]) -> Option<Heading> {
        for &i in page1.iter().take(HEADING_WITHIN) {
            let t = lines[i].text;
            let before_number: String = t
                .chars()
                .take_while(|c| !c.is_ascii_digit() && *c != '№')
                .filter(|c| crate::ru::is_russian(*c))
                .collect();
            let capitals: String = t
                .chars()
                .take_while(|c| !c.is_lowercase())
                .filter(|c| crate::ru::is_russian(*c))
                .collect();
            for title in &self.titles {
                // Titles are few and short: a letter off for most, two for the longest.
                let k = match title.chars().count() {
                    0..=5 => 0,
                    6..=12 => 1,
                    _ => 2,
                };
                let close = |s: &str| {
                    let s = fold(s);
                    !s.is_empty() && crate::ru::noise::distance(&s, title) <= k
                };
                if close(&before_number) || close(&capitals) {
                    return Some(Heading {
                        line: i,
                        title: title.clone(),
                    });
                }
            }
        }
        None
    }

    fn read_kind(&self, text: &str, lines: &[Line], heading: Option<&Heading>, r: &mut Reading) {
        let scan: String = text.chars().take(SCAN_CHARS).collect();
        let flat = fold(&unhyphenate(&scan));
        let block = heading.map(|h| {
            fold(&unhyphenate(
                &lines[h.line..(h.line + BLOCK_AFTER + 1).min(lines.len())]
                    .iter()
                    .map(|l| l.text)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ))
        });
        // The heading line and the line under it: where a title-less rule's phrase must be
        // to count as the heading («СПРАВКА об обучении № 55»).
        let title_lines = heading.map(|h| {
            fold(
                &lines[h.line..(h.line + 2).min(lines.len())]
                    .iter()
                    .map(|l| l.text)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        });
        let heading_text = heading.map(|h| short(lines[h.line].text, 40));
        // Rules whose required word is the heading's title; other titles rule theirs out.
        let titled = |rule: &Rule| rule.all_letters.iter().any(|w| self.titles.contains(w));
        let names_heading =
            |rule: &Rule| heading.is_some_and(|h| rule.all_letters.contains(&h.title));
        let mut first_block: Option<(String, String)> = None;
        let mut first_text: Option<(String, String)> = None;
        for rule in &self.rules {
            let all_ok = rule.all.iter().zip(&rule.all_letters).all(|(w, l)| {
                heading.is_some_and(|h| *l == h.title) || find_word(&flat, w).is_some()
            });
            if !all_ok {
                continue;
            }
            let near = if titled(rule) { &block } else { &title_lines };
            let in_block = near.as_ref().and_then(|b| find_phrase(b, &rule.any));
            let hit = in_block.clone().or_else(|| find_phrase(&flat, &rule.any));
            let Some(words) = hit else { continue };
            let in_heading = in_block.is_some() && (names_heading(rule) || !titled(rule));
            let words = match &heading_text {
                Some(h) if in_heading => format!("«{h} … {words}»"),
                _ => format!("«{words}»"),
            };
            r.candidates.kinds.push(KindCandidate {
                kind: Some(rule.kind.clone()),
                words: words.clone(),
                heading: in_heading,
            });
            // With a heading, a rule may decide only if it names that heading or names no
            // title at all (a «ПРОТОКОЛ» is not an order because it mentions «приказом»).
            let eligible = match heading {
                Some(_) => names_heading(rule) || !titled(rule),
                None => true,
            };
            if !eligible {
                continue;
            }
            if in_heading && first_block.is_none() {
                first_block = Some((rule.kind.clone(), words));
            } else if first_text.is_none() {
                first_text = Some((rule.kind.clone(), words));
            }
        }
        let heading_has_rule = heading.is_some_and(|h| {
            self.rules
                .iter()
                .any(|rule| rule.all_letters.contains(&h.title))
        });
        r.kind = first_block.or_else(|| {
            // Words in the body decide only for a document without a heading, or for an
            // order whose subject shows only in the body. Under another document's heading
            // («ДОГОВОР», «ТЕХНИЧЕСКОЕ ЗАДАНИЕ») they do not.
            first_text.filter(|(k, _)| match heading {
                None => true,
                Some(_) => {
                    heading_has_rule
                        && self
                            .rules
                            .iter()
                            .any(|rule| rule.kind == *k && names_heading(rule))
                }
            })
        });
        if r.kind.is_none()
            && let (Some(h), Some(t)) = (heading, heading_text)
        {
            r.candidates.kinds.push(KindCandidate {
                kind: None,
                words: format!("«{t}» (a «{}» whose subject matches no rule)", h.title),
                heading: true,
            });
        }
    }

    fn read_dates(
        &self,
        lines: &[Line],
        heading: Option<&Heading>,
        block: &dyn Fn(usize) -> bool,
        r: &mut Reading,
    ) {
        struct Found {
            date: NaiveDate,
            line: usize,
            dated: bool,
            number_on_line: bool,
            alone: bool,
        }
        let mut own: Vec<Found> = Vec::new();
        let mut fallback: Vec<Found> = Vec::new();
        let mut any_on_page1 = false;
        for (i, line) in lines.iter().enumerate() {
            for m in self.dates_in(line.text) {
                let prefix = &line.text[..m.start];
                // A date that starts its line may finish the sentence of the line above
                // («… Федерального закона от» / «27 июля 2006 г.»): its last words count.
                let continues = i > 0
                    && heading.is_none_or(|h| h.line != i - 1)
                    && prefix.split_whitespace().count() < 3
                    && !lines[i - 1].text.ends_with(['.', ':', ';']);
                let prev = if continues {
                    last_words(lines[i - 1].text, 3)
                } else {
                    ""
                };
                let on_heading = heading.is_some_and(|h| h.line == i);
                let role = self.date_role(prev, prefix, on_heading, block(i));
                let words = line.text[m.start..m.end].to_string();
                let rest = line.text[m.end..].trim_start_matches([' ', 'г', '.']);
                let found = Found {
                    date: m.date,
                    line: i,
                    dated: ends_with_word(prefix, &["от", "дата", "дата:"]),
                    number_on_line: self.number_re.is_match(line.text),
                    alone: prefix.trim().is_empty()
                        && (rest.is_empty() || self.number_re.is_match(rest)),
                };
                if line.page == 1 {
                    any_on_page1 = true;
                    match role {
                        DateRole::Own => own.push(found),
                        DateRole::Body if i < HEADING_WITHIN && (found.dated || found.alone) => {
                            fallback.push(found)
                        }
                        _ => {}
                    }
                }
                if r.candidates.dates.len() >= MAX_CANDIDATES {
                    continue;
                }
                r.candidates.dates.push(DateCandidate {
                    date: m.date,
                    words,
                    context: short_around(line.text, m.start, m.end),
                    role,
                    page: line.page,
                });
            }
        }
        let pick = |v: &[Found]| -> Option<usize> {
            let mut distinct: Vec<NaiveDate> = v.iter().map(|f| f.date).collect();
            distinct.dedup();
            distinct.sort();
            distinct.dedup();
            match distinct.len() {
                0 => None,
                1 => Some(0),
                _ => {
                    // Several dates by the heading: the one written «от …» or beside the
                    // number, if that settles it.
                    let strong: Vec<&Found> =
                        v.iter().filter(|f| f.dated || f.number_on_line).collect();
                    let first = strong.first()?;
                    strong
                        .iter()
                        .all(|f| f.date == first.date)
                        .then(|| v.iter().position(|f| f.date == first.date))
                        .flatten()
                }
            }
        };
        if let Some(i) = pick(&own) {
            let f = &own[i];
            let words = date_words(
                lines[f.line].text,
                f.date,
                &self.dates_in(lines[f.line].text),
            );
            r.date = Some((f.date, format!("«{words}» near the heading")));
        } else if own.is_empty()
            && let Some(i) = pick(&fallback)
        {
            let f = &fallback[i];
            let words = date_words(
                lines[f.line].text,
                f.date,
                &self.dates_in(lines[f.line].text),
            );
            r.date = Some((f.date, format!("«{words}» at the top of the first page")));
        }
        r.dates_unsettled = r.date.is_none() && any_on_page1;
    }

    /// Dates in one line: the Russian forms, and the configured extra pattern.
    fn dates_in(&self, line: &str) -> Vec<DateMention> {
        let mut v = find_dates(line);
        for c in self.extra_date_re.captures_iter(line) {
            let (Some(all), Some(d), Some(m), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3))
            else {
                continue;
            };
            let n = |s: &str| s.parse::<u32>().ok();
            let Some(date) = n(y.as_str())
                .zip(n(m.as_str()))
                .zip(n(d.as_str()))
                .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(y as i32, m, d))
            else {
                continue;
            };
            if !v.iter().any(|x| x.start < y.end() && d.start() < x.end) {
                v.push(DateMention {
                    date,
                    start: d.start().max(all.start()),
                    end: y.end(),
                    form: crate::ru::dates::DateForm::Numeric,
                });
            }
        }
        v.sort_by_key(|m| m.start);
        v
    }

    /// What a date is to the document, from the words before it on its line (and the
    /// previous line when it starts the line).
    fn date_role(&self, prev: &str, prefix: &str, on_heading: bool, in_block: bool) -> DateRole {
        let window = format!("{prev} {prefix}");
        let tail: String = {
            let chars: Vec<char> = window.chars().collect();
            chars[chars.len().saturating_sub(80)..].iter().collect()
        };
        let mut words: Vec<String> = tail
            .split(|c: char| !c.is_alphanumeric() && c != '.')
            .filter(|w| !w.is_empty())
            .map(fold)
            .collect();
        if on_heading {
            // The heading's own title («ПОСТАНОВЛЕНИЕ от …») is not a citation.
            let title_words = words
                .iter()
                .take_while(|w| w.chars().all(char::is_alphabetic))
                .count();
            words.drain(..title_words.min(words.len()));
        }
        let starts = |w: &str, stems: &[String]| stems.iter().any(|s| w.starts_with(s.as_str()));
        if words.iter().any(|w| starts(w, &self.cited)) {
            return DateRole::Cited;
        }
        if words.iter().any(|w| starts(w, &self.other_dates)) {
            return DateRole::Other;
        }
        let last = words.last().map(String::as_str).unwrap_or("");
        if matches!(last, "с" | "со" | "по" | "до") || words.iter().any(|w| w.starts_with("период"))
        {
            return DateRole::Period;
        }
        if in_block {
            DateRole::Own
        } else {
            DateRole::Body
        }
    }

    fn read_number(&self, lines: &[Line], heading: Option<&Heading>, r: &mut Reading) {
        let Some(h) = heading else { return };
        for (i, line) in lines.iter().enumerate().skip(h.line).take(BLOCK_AFTER) {
            for c in self.number_re.captures_iter(line.text) {
                let Some(m) = c.get(1).or_else(|| c.get(0)) else {
                    continue;
                };
                let value: String = m.as_str().chars().filter(|c| *c != ' ').collect();
                let before = &line.text[..m.start()];
                let cited = i != h.line
                    && before
                        .split(|c: char| !c.is_alphanumeric())
                        .map(fold)
                        .any(|w| self.cited.iter().any(|s| w.starts_with(s.as_str())));
                r.candidates.numbers.push(Mention {
                    value: value.clone(),
                    context: short_around(line.text, m.start(), m.end()),
                });
                if !cited && r.number.is_none() {
                    let sign = c.get(0).map_or("", |x| x.as_str()).trim();
                    r.number = Some((value, format!("«{sign}» in the heading")));
                }
            }
        }
    }

    fn read_group(&self, text: &str, r: &mut Reading) {
        let fixed = fix_codes(text);
        for c in self.group_re.captures_iter(&fixed) {
            let Some(m) = c.get(1).or_else(|| c.get(0)) else {
                continue;
            };
            let value = m.as_str().to_string();
            if r.candidates.groups.iter().any(|g| g.value == value) {
                continue;
            }
            if r.candidates.groups.len() >= MAX_CANDIDATES {
                break;
            }
            let context = short_around(&fixed, m.start(), m.end());
            if r.group.is_none() {
                r.group = Some((value.clone(), format!("«{}»", one_line(&context))));
            }
            r.candidates.groups.push(Mention { value, context });
        }
    }

    /// A group code names its year: a date more than a year away from it is misread or
    /// not the document's, and then neither decides.
    fn check_date_against_group(&self, r: &mut Reading) {
        let (Some((date, _)), Some((group, _))) = (&r.date, &r.group) else {
            return;
        };
        if let Some(gy) = super::year_in_group(group)
            && (date.year() - gy).abs() > 1
        {
            r.date = None;
            r.dates_unsettled = true;
        }
    }
}

fn lines_of(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (p, page) in text.split('\u{c}').enumerate() {
        for l in page.lines() {
            let l = l.trim();
            if !l.is_empty() {
                out.push(Line {
                    text: l,
                    page: p as u32 + 1,
                });
            }
        }
    }
    out
}

/// «отчис-\nлении» → «отчислении»; other line breaks become spaces.
fn unhyphenate(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut lines = s.lines().map(str::trim).peekable();
    while let Some(l) = lines.next() {
        let next_lower = lines
            .peek()
            .and_then(|n| n.chars().next())
            .is_some_and(char::is_lowercase);
        if let Some(stem) = l.strip_suffix('-').filter(|_| next_lower) {
            out.push_str(stem);
        } else {
            out.push_str(l);
            out.push(' ');
        }
    }
    out
}

/// The first of `phrases` found in `hay` (both folded), OCR errors allowed near the top
/// (where headings and subjects are; approximate search costs more); returns the words as
/// found.
fn find_phrase(hay: &str, phrases: &[String]) -> Option<String> {
    phrases
        .iter()
        .find_map(|p| find_word(hay, p).map(|(s, e)| hay[s..e].to_string()))
}

/// Where a folded word or phrase occurs in `hay`: exactly anywhere, or with OCR errors in
/// the first [`FUZZY_CHARS`].
fn find_word(hay: &str, w: &str) -> Option<(usize, usize)> {
    if let Some(s) = hay.find(w) {
        return Some((s, s + w.len()));
    }
    let top = hay
        .char_indices()
        .nth(FUZZY_CHARS)
        .map_or(hay, |(i, _)| &hay[..i]);
    find_approx(top, w, allowed_errors(w.chars().count())).map(|(s, e, _)| (s, e))
}

/// The last `n` words of a line.
fn last_words(line: &str, n: usize) -> &str {
    let mut start = line.len();
    for _ in 0..n {
        match line[..start].trim_end().rfind(char::is_whitespace) {
            Some(i) => start = i,
            None => return line,
        }
    }
    &line[start..]
}

fn ends_with_word(prefix: &str, words: &[&str]) -> bool {
    let last = prefix
        .trim_end()
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .map(fold)
        .unwrap_or_default();
    words.contains(&last.as_str())
}

/// The date as written, with «от» if it has one («от 15 марта 2024 г.»).
fn date_words(line: &str, date: NaiveDate, mentions: &[DateMention]) -> String {
    let Some(m) = mentions.iter().find(|m| m.date == date) else {
        return date.format("%d.%m.%Y").to_string();
    };
    let prefix = &line[..m.start];
    let start = if ends_with_word(prefix, &["от"]) {
        prefix.trim_end().len() - "от".len()
    } else {
        m.start
    };
    let mut end = m.end;
    if line[end..].starts_with(" г.") {
        end += " г.".len();
    }
    line[start..end].trim().to_string()
}

/// Up to `n` characters of a line.
fn short(s: &str, n: usize) -> String {
    let mut t: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        t.push('…');
    }
    t
}

/// The text around a byte range, up to [`CONTEXT`] characters each side, on one line.
fn short_around(s: &str, start: usize, end: usize) -> String {
    let before: Vec<char> = s[..start].chars().collect();
    let from = before.len().saturating_sub(CONTEXT);
    let after: String = s[end..].chars().take(CONTEXT).collect();
    let mut t = String::new();
    if from > 0 {
        t.push('…');
    }
    t.extend(&before[from..]);
    t.push_str(&s[start..end]);
    t.push_str(&after);
    if s[end..].chars().count() > CONTEXT {
        t.push('…');
    }
    one_line(&t)
}

/// Group-like codes with OCR noise made plain: «ПК - 2О24 - 017» → «ПК-2024-017».
fn fix_codes(text: &str) -> String {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(\p{Lu}{2}) ?- ?([0-9OОlI|З]{4}) ?- ?([0-9OОlI|З]{2,4})\b")
            .expect("code pattern")
    });
    let digits = |s: &str| -> Option<String> {
        let real = s.chars().filter(char::is_ascii_digit).count();
        (real * 2 >= s.chars().count())
            .then(|| s.chars().map(digit_twin).collect::<Option<String>>())
            .flatten()
    };
    re.replace_all(text, |c: &regex::Captures| {
        match (digits(&c[2]), digits(&c[3])) {
            (Some(y), Some(n)) => format!("{}-{y}-{n}", &c[1]),
            _ => c[0].to_string(),
        }
    })
    .into_owned()
}
