//! OCR noise in Russian text, undone where it is safe: Latin letters that look like
//! Cyrillic ones inside Russian words («ПPИKAЗ»), letters read for digits inside numbers
//! («2О24», «1]»), letter-spaced headings («П Р И К А З»), words hyphenated across lines,
//! and approximate search for phrases that OCR misread by a letter or two.

use super::{is_letter, is_russian};

/// Latin letters that print like Cyrillic ones, and the Cyrillic letter they stand for.
const LOOKALIKES: [(char, char); 22] = [
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
    ('Y', 'У'),
    ('a', 'а'),
    ('c', 'с'),
    ('e', 'е'),
    ('k', 'к'),
    ('m', 'м'),
    ('o', 'о'),
    ('p', 'р'),
    ('u', 'и'),
    ('x', 'х'),
    ('y', 'у'),
];

fn cyrillic_twin(c: char) -> Option<char> {
    LOOKALIKES.iter().find(|(l, _)| *l == c).map(|(_, r)| *r)
}

/// A letter or sign OCR reads for a digit, and that digit.
pub fn digit_twin(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        'О' | 'O' | 'о' | 'o' => Some('0'),
        'l' | 'I' | '|' | ']' | '[' | 'i' | '!' => Some('1'),
        'З' | 'з' => Some('3'),
        'б' => Some('6'),
        'S' => Some('5'),
        'B' => Some('8'),
        _ => None,
    }
}

/// Inside words that hold Cyrillic letters, Latin look-alikes become Cyrillic
/// («ПPИKAЗ» → «ПРИКАЗ», «oтчислении» → «отчислении»); so do words made only of
/// look-alikes on a mostly Russian line («oT «25» апреля» → «от «25» апреля»), and a
/// number's letter suffix after a hyphen or slash («45-y» → «45-у», «121-NK» → «121-ПК»).
/// Latin words on Latin lines stay as they are.
pub fn fix_lookalikes(text: &str) -> String {
    text.split('\n')
        .map(fix_line)
        .collect::<Vec<_>>()
        .join("\n")
}

fn fix_line(text: &str) -> String {
    let cyr = text.chars().filter(|c| is_russian(*c)).count();
    let lat = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    let russian_line = cyr > lat;
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, after_number: bool| {
        let twin = |c: char| match c {
            // In a number's suffix «N» is a misread «П» (№ 121-ПК).
            'N' if after_number => Some('П'),
            c => cyrillic_twin(c),
        };
        let all_twins = word.chars().all(|c| twin(c).is_some());
        let russian = word.chars().any(is_russian) || (all_twins && (after_number || russian_line));
        if russian {
            out.extend(word.chars().map(|c| twin(c).unwrap_or(c)));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    // Whether the current word follows «45-» or «7/».
    let mut after_number = false;
    let mut prev: [char; 2] = [' ', ' '];
    for c in text.chars() {
        if is_letter(c) {
            if word.is_empty() {
                after_number = matches!(prev[1], '-' | '/') && prev[0].is_ascii_digit();
            }
            word.push(c);
        } else {
            flush(&mut word, &mut out, after_number);
            out.push(c);
        }
        prev = [prev[1], c];
    }
    flush(&mut word, &mut out, after_number);
    out
}

/// Joins letter-spaced words: a run of three or more single capital letters separated
/// by single spaces («П Р И К А З» → «ПРИКАЗ»). Initials («И. О.») have dots and stay.
pub fn join_spaced(line: &str) -> String {
    let tokens: Vec<&str> = line.split(' ').collect();
    let single = |t: &str| {
        let mut cs = t.chars();
        matches!((cs.next(), cs.next()), (Some(c), None) if c.is_uppercase())
    };
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let mut j = i;
        while j < tokens.len() && single(tokens[j]) {
            j += 1;
        }
        if j - i >= 3 {
            out.push(tokens[i..j].concat());
            i = j;
        } else {
            out.push(tokens[i].to_string());
            i += 1;
        }
    }
    out.join(" ")
}

/// The text as the classifier reads it: look-alikes fixed, letter-spaced words joined,
/// dashes made plain, runs of spaces collapsed; one output line per input line, so line
/// numbers and the page breaks (form feeds) stay where they were.
pub fn clean(text: &str) -> String {
    let fixed = fix_lookalikes(text);
    let mut out = String::with_capacity(fixed.len());
    for (i, line) in fixed.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line: String = line
            .chars()
            .map(|c| match c {
                '–' | '—' | '−' | '‑' | '‐' => '-',
                '\t' | '\u{a0}' => ' ',
                c => c,
            })
            .collect();
        let collapsed = line
            .split(' ')
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>();
        out.push_str(&join_spaced(&collapsed.join(" ")));
    }
    out
}

/// The letters of `s`, folded (lower case, ё → е), without spaces or anything else:
/// «П Р И К А З № 45» → «приказ», «ПРИ КАЗ» → «приказ».
pub fn letters(s: &str) -> String {
    crate::ru::fold(&s.chars().filter(|c| is_letter(*c)).collect::<String>())
}

/// Levenshtein distance between two short strings, by characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != *cb)).min(row[j] + 1).min(up + 1);
            diag = up;
        }
    }
    row[b.len()]
}

/// Errors allowed when matching a word or phrase of `n` letters read by OCR: none up to
/// five letters, then one per eight.
pub fn allowed_errors(n: usize) -> usize {
    if n <= 5 { 0 } else { n.div_ceil(8) }
}

/// Where `needle` occurs in `hay` with at most `k` edits (Sellers' algorithm), as the
/// byte range of the best (fewest edits, then earliest) match. Both should be folded.
pub fn find_approx(hay: &str, needle: &str, k: usize) -> Option<(usize, usize, usize)> {
    if k == 0 || needle.is_empty() {
        return hay.find(needle).map(|s| (s, s + needle.len(), 0));
    }
    if let Some(s) = hay.find(needle) {
        return Some((s, s + needle.len(), 0));
    }
    let p: Vec<char> = needle.chars().collect();
    let m = p.len();
    // k edits touch at most k of k + 1 pieces of the needle, so one piece occurs exactly
    // in any match: without one in `hay` there is none (most phrases are not in a
    // document, and a substring search is far cheaper than the table below).
    if m > k {
        let piece =
            |i: usize| -> String { p[i * m / (k + 1)..(i + 1) * m / (k + 1)].iter().collect() };
        let finder = |i: usize| memchr::memmem::find(hay.as_bytes(), piece(i).as_bytes());
        if (0..=k).all(|i| finder(i).is_none()) {
            return None;
        }
    }
    if m > 64 {
        return sellers(hay, &p, k);
    }
    let end = best_end(hay, &p, k)?;
    // The start as the full table picks it, from a stretch before the end long enough to
    // hold every start the table's choice depends on (a match spans at most m + k chars).
    let from = hay[..end]
        .char_indices()
        .rev()
        .nth(m + 2 * k + 4)
        .map_or(0, |(i, _)| i);
    sellers(&hay[from..end], &p, k).map(|(s, e, d)| (from + s, from + e, d))
}

/// Bit masks of where each character stands in the needle (Myers' `Peq`): a table for
/// ASCII and Cyrillic, a short list for anything else.
struct Peq {
    table: [u64; 0x180],
    other: Vec<(char, u64)>,
}

impl Peq {
    fn new(p: &[char]) -> Peq {
        let mut peq = Peq {
            table: [0; 0x180],
            other: Vec::new(),
        };
        for (i, &c) in p.iter().enumerate() {
            match Peq::slot(c) {
                Some(s) => peq.table[s] |= 1 << i,
                None => match peq.other.iter_mut().find(|(o, _)| *o == c) {
                    Some((_, m)) => *m |= 1 << i,
                    None => peq.other.push((c, 1 << i)),
                },
            }
        }
        peq
    }

    fn slot(c: char) -> Option<usize> {
        match c as u32 {
            n @ 0..0x80 => Some(n as usize),
            n @ 0x400..0x500 => Some(0x80 + (n - 0x400) as usize),
            _ => None,
        }
    }

    fn get(&self, c: char) -> u64 {
        match Peq::slot(c) {
            Some(s) => self.table[s],
            None => self
                .other
                .iter()
                .find(|(o, _)| *o == c)
                .map_or(0, |(_, m)| *m),
        }
    }
}

/// Where the best match of `p` (1 to 64 chars) in `hay` with at most `k` edits ends (the
/// byte just past it): fewest edits, then earliest end. The last row of [`sellers`]'
/// table, computed a text position per step in one machine word (Myers 1999): twenty
/// times faster than the table, which then only finds the start near this end.
fn best_end(hay: &str, p: &[char], k: usize) -> Option<usize> {
    let m = p.len();
    let peq = Peq::new(p);
    let high = 1u64 << (m - 1);
    let (mut pv, mut mv, mut score) = (!0u64, 0u64, m);
    let mut best: Option<(usize, usize)> = None;
    for (pos, ch) in hay.char_indices() {
        let eq = peq.get(ch);
        let xv = eq | mv;
        let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
        let mut ph = mv | !(xh | pv);
        let mut mh = pv & xh;
        if ph & high != 0 {
            score += 1;
        } else if mh & high != 0 {
            score -= 1;
        }
        // The table's top row is all zeros (a match may start anywhere): nothing
        // shifts in.
        ph <<= 1;
        mh <<= 1;
        pv = mh | !(xv | ph);
        mv = ph & xv;
        if score <= k && best.is_none_or(|(_, d)| score < d) {
            best = Some((pos + ch.len_utf8(), score));
            if score == 0 {
                break;
            }
        }
    }
    best.map(|(end, _)| end)
}

/// Sellers' table over all of `hay`: the best match of `p` with at most `k` edits.
fn sellers(hay: &str, p: &[char], k: usize) -> Option<(usize, usize, usize)> {
    let m = p.len();
    // col[i]: edits to match p[..i] ending at the current text position; start[i]: where
    // that match begins (byte offset).
    let mut col: Vec<usize> = (0..=m).collect();
    let mut start: Vec<usize> = vec![0; m + 1];
    let mut best: Option<(usize, usize, usize)> = None;
    for (pos, ch) in hay.char_indices() {
        let (mut diag, mut diag_start) = (col[0], pos);
        col[0] = 0;
        start[0] = pos + ch.len_utf8();
        for i in 1..=m {
            let (up, up_start) = (col[i], start[i]);
            let sub = diag + usize::from(p[i - 1] != ch);
            let ins = col[i - 1] + 1;
            let del = up + 1;
            let (v, s) = if sub <= ins && sub <= del {
                (sub, diag_start)
            } else if del <= ins {
                (del, up_start)
            } else {
                (ins, start[i - 1])
            };
            col[i] = v;
            start[i] = s;
            diag = up;
            diag_start = up_start;
        }
        let end = pos + ch.len_utf8();
        if col[m] <= k && best.is_none_or(|b| col[m] < b.2) {
            best = Some((start[m], end, col[m]));
            if col[m] == 0 {
                break;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_piece_filter_and_the_bit_parallel_end_never_change_a_match() {
        // Small alphabets make ties between starts and ends common: what the table's
        // choice among them depends on is exercised.
        let mut rng = fastrand::Rng::with_seed(7);
        for alphabet in ["аобвч о", "ab", "приказ обтчслени№"] {
            let alphabet: Vec<char> = alphabet.chars().collect();
            let text = |rng: &mut fastrand::Rng, n: usize| -> String {
                (0..n)
                    .map(|_| alphabet[rng.usize(..alphabet.len())])
                    .collect()
            };
            for _ in 0..30_000 {
                let (hay_len, needle_len) = (rng.usize(0..80), rng.usize(1..20));
                let hay = text(&mut rng, hay_len);
                let needle = text(&mut rng, needle_len);
                let k = rng.usize(1..5);
                let p: Vec<char> = needle.chars().collect();
                let want = hay
                    .find(&needle)
                    .map(|s| (s, s + needle.len(), 0))
                    .or_else(|| sellers(&hay, &p, k));
                assert_eq!(
                    find_approx(&hay, &needle, k),
                    want,
                    "{hay:?} {needle:?} {k}"
                );
            }
        }
    }

    #[test]
    fn latin_lookalikes_inside_russian_words_become_cyrillic() {
        assert_eq!(fix_lookalikes("ПPИKAЗ № 45-y"), "ПРИКАЗ № 45-у");
        assert_eq!(fix_lookalikes("oб oтчислении"), "об отчислении");
        assert_eq!(
            fix_lookalikes("oT «25» апреля 2020 г."),
            "оТ «25» апреля 2020 г."
        );
        assert_eq!(
            fix_lookalikes("27.06.2019 г. М 121-NK"),
            "27.06.2019 г. М 121-ПК"
        );
        // English words and codes stay.
        assert_eq!(
            fix_lookalikes("The LinnSequencer CODE 39"),
            "The LinnSequencer CODE 39"
        );
    }

    #[test]
    fn letter_spaced_headings_are_joined_but_initials_stay() {
        assert_eq!(join_spaced("П Р И К А З"), "ПРИКАЗ");
        assert_eq!(join_spaced("П Р О Т О К О Л № 3"), "ПРОТОКОЛ № 3");
        assert_eq!(join_spaced("Иванов И. П. и В. С."), "Иванов И. П. и В. С.");
        assert_eq!(join_spaced("в г. Москва"), "в г. Москва");
        assert_eq!(letters("ПРИ КАЗ № 45"), "приказ");
    }

    #[test]
    fn approximate_search_finds_misread_phrases() {
        let hay = "приказ об отчислеции слушателей";
        let (s, e, d) = find_approx(hay, "об отчислении", 2).unwrap();
        assert_eq!(d, 1);
        assert_eq!(&hay[s..e], "об отчислеции");
        assert!(find_approx(hay, "о зачислении", 1).is_none());
        assert_eq!(distance("протокол", "протокoл"), 1);
        assert_eq!(allowed_errors(6), 1);
        assert_eq!(allowed_errors(13), 2);
    }
}
