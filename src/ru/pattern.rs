//! A pattern's first match in a text, found by trying the pattern anchored at each place
//! one of its literal beginnings occurs.
//!
//! Why: in ingest, the unanchored search for the programme pattern (a Cyrillic word, then
//! a bounded gap `[^«]{0,200}?` up to a quoted name) cost about 0.4 ms per document, 7 % of
//! all CPU time, most of it in the regex crate's lazy DFA, and many times what the same
//! texts cost in a standalone loop. Anchored at each occurrence of the pattern's literal
//! beginnings, the search finds the same first match for a small fraction of that.
//! A pattern without a usable literal prefix is searched as before.

use aho_corasick::{AhoCorasick, MatchKind};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, meta};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// More beginnings than this and the plain search is as good.
const MAX_BEGINNINGS: usize = 256;

/// A compiled pattern that finds its first (leftmost-first) match, like
/// `regex::Regex::captures`.
#[derive(Debug)]
pub struct FirstMatch {
    re: meta::Regex,
    /// Every match begins with one of these (none: no such set, search unanchored).
    beginnings: Option<AhoCorasick>,
}

/// The first match and its groups.
pub struct Found<'h> {
    text: &'h str,
    caps: Captures,
}

impl<'h> Found<'h> {
    /// Group `i` (0: the whole match), if it took part in the match.
    pub fn get(&self, i: usize) -> Option<&'h str> {
        self.range(i).map(|r| &self.text[r])
    }

    /// Where group `i` lies in the text searched.
    pub fn range(&self, i: usize) -> Option<std::ops::Range<usize>> {
        self.caps.get_group(i).map(|s| s.range())
    }
}

impl FirstMatch {
    /// Compiles `pattern` with the same syntax and limits as `regex::Regex::new`.
    pub fn new(pattern: &str) -> Result<FirstMatch, regex::Error> {
        let hir = regex_syntax::Parser::new()
            .parse(pattern)
            .map_err(|e| regex::Error::Syntax(e.to_string()))?;
        let re = meta::Regex::builder()
            .build_from_hir(&hir)
            .map_err(|e| match e.size_limit() {
                Some(limit) => regex::Error::CompiledTooBig(limit),
                None => regex::Error::Syntax(e.to_string()),
            })?;
        let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        let beginnings = prefixes
            .literals()
            .filter(|lits| {
                !lits.is_empty()
                    && lits.len() <= MAX_BEGINNINGS
                    && lits.iter().all(|l| !l.is_empty())
            })
            .and_then(|lits| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(lits.iter().map(|l| l.as_bytes()))
                    .ok()
            });
        Ok(FirstMatch { re, beginnings })
    }

    /// The first match in `text`: the one with the leftmost start, and at that start the
    /// one the pattern prefers, exactly as an unanchored search finds it.
    pub fn first<'h>(&self, text: &'h str) -> Option<Found<'h>> {
        let mut caps = self.re.create_captures();
        match &self.beginnings {
            None => self.re.search_captures(&Input::new(text), &mut caps),
            Some(ac) => {
                let mut at = 0;
                // Every match starts where one of the beginnings does: try those places in
                // order (the whole text stays the haystack, so look-behind sees what
                // precedes each place).
                while let Some(b) = ac.find(aho_corasick::Input::new(text).range(at..)) {
                    let here = Input::new(text).range(b.start()..).anchored(Anchored::Yes);
                    self.re.search_captures(&here, &mut caps);
                    if caps.is_match() {
                        break;
                    }
                    at = b.start() + 1;
                }
            }
        }
        caps.is_match().then_some(Found { text, caps })
    }
}

#[cfg(test)]
mod tests {
    use super::FirstMatch;

    /// The first match's groups as `(text, start)`.
    type Groups = Option<Vec<Option<(String, usize)>>>;

    /// As `regex` reports them.
    fn reference(re: &regex::Regex, text: &str) -> Groups {
        re.captures(text).map(|c| {
            c.iter()
                .map(|m| m.map(|m| (m.as_str().to_string(), m.start())))
                .collect()
        })
    }

    fn ours(fm: &FirstMatch, text: &str) -> Groups {
        fm.first(text).map(|f| {
            (0..fm.re.captures_len())
                .map(|i| f.range(i).map(|r| (text[r.clone()].to_string(), r.start)))
                .collect()
        })
    }

    fn compiled() -> Vec<(&'static str, regex::Regex, FirstMatch)> {
        PATTERNS
            .iter()
            .map(|p| {
                (
                    *p,
                    regex::Regex::new(p).unwrap(),
                    FirstMatch::new(p).unwrap(),
                )
            })
            .collect()
    }

    const PATTERNS: &[&str] = &[
        "программ[аеуыой]+[^«]{0,200}?«([^»]{3,200})»",
        r#"(?:[Пп]рограм|ПРОГРАМ)\w*[^«"“<\n]{0,240}?[«"“<]{1,2}\s*([^»"”>]{3,240}?)\s*[»"”>]"#,
        r"\bпр(о)?г",
        r"(?i)програм",
        "ab|a",
        "a(b)?|ab",
        r"(?m)^пр\w+",
        r"(?:^|[^\p{L}\d])((?:ПК|ПП)-\d{4}-\d{2,4})",
        // A beginning that fails («програм» without a digit) overlaps one that matches.
        r"програм\d|рам[ае]",
    ];

    #[test]
    fn finds_what_an_unanchored_search_finds() {
        let texts = [
            "по программе «Охрана труда» (72 ч.)",
            "подпрограмма «Охрана» и программа «Пожарная безопасность»",
            "программа без кавычек, затем программе «Первая помощь»",
            "ПРОГРАММЕ \"Электробезопасность\"",
            "abab a ab",
            "пр\nпрограмма\nпрг",
            "группа ПК-2024-15 и ПП-2023-7",
            "",
        ];
        let mut found = 0;
        for (p, re, fm) in compiled() {
            for t in texts {
                let want = reference(&re, t);
                found += usize::from(want.is_some());
                assert_eq!(ours(&fm, t), want, "{p:?} in {t:?}");
            }
        }
        assert!(found > 20, "the texts exercise matches ({found})");
    }

    #[test]
    fn a_pattern_without_a_literal_beginning_is_searched_as_before() {
        let fm = FirstMatch::new(r"[^\p{L}]\d+").unwrap();
        assert!(fm.beginnings.is_none());
        assert_eq!(fm.first("ab 12").and_then(|f| f.get(0)), Some(" 12"));
        assert!(FirstMatch::new("(unclosed").is_err());
    }

    #[test]
    fn same_first_match_on_random_texts() {
        // Pieces of the patterns' own words make near-misses, overlapping beginnings and
        // look-behind at each place common.
        let mut rng = fastrand::Rng::with_seed(11);
        let pieces = [
            "програм",
            "ПРОГРАМ",
            "Програм",
            "пр",
            "о",
            "г",
            "ма",
            "е",
            "ы",
            "под",
            "ab",
            "a",
            "b",
            "«",
            "»",
            "\"",
            " ",
            "\n",
            "Охрана",
            "ПК-",
            "ПП-",
            "2024-",
            "15",
            "х",
        ];
        let patterns = compiled();
        let mut found = 0;
        for _ in 0..20_000 {
            let text: String = (0..rng.usize(0..30))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect();
            let (p, re, fm) = &patterns[rng.usize(..patterns.len())];
            let want = reference(re, &text);
            found += usize::from(want.is_some());
            assert_eq!(ours(fm, &text), want, "{p:?} in {text:?}");
        }
        assert!(found > 5_000, "the texts exercise matches ({found})");
    }
}
