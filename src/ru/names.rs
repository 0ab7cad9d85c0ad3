//! Learner names in Russian documents (DOMAIN.md §6), as printed and as OCR reads them:
//! «Фамилия Имя Отчество» in any case form and «Имя Отчество Фамилия»; «Фамилия И. О.»,
//! «И. О. Фамилия» and «Фамилия И.» with any spacing; «Фамилия Имя» and «Имя Фамилия»
//! without a patronymic; names in capitals; a name or a word broken across a line end
//! (with or without a hyphen) or split by a stray space; Latin look-alike letters.
//!
//! The text is cut into words first (look-alikes made Cyrillic, hyphenated line breaks
//! joined), then name patterns are matched on the words: the sure ones first (a
//! patronymic, or initials, anchors them), then pairs of capitalised words of which one
//! has a surname's shape. Nothing here holds a list of names.

use super::person::{
    Gender, into_cyrillic, looks_like_surname, normalize, parse_readings, patronymic_fit,
};
use crate::ru::{fold, is_letter, is_russian};

/// A name as found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundName {
    pub surname: String,
    /// First name, or its initial (one letter) when only initials were written.
    pub first: String,
    pub patronymic: String,
    /// The name's words, normalised: look-alikes made Cyrillic, line breaks and hyphens
    /// of a broken word joined, single spaces, initials as «И. П.».
    pub text: String,
    /// Byte range in the text as given.
    pub start: usize,
    pub end: usize,
}

impl FoundName {
    pub fn initials(&self) -> String {
        let i = |s: &str| s.chars().next().map(|c| c.to_string()).unwrap_or_default();
        format!("{}. {}.", i(&self.first), i(&self.patronymic))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// «Иванов», «Римского-Корсакова», a lone capital.
    Title,
    /// «ИВАНОВ».
    Upper,
    Lower,
    /// Mixed case or not Cyrillic.
    Other,
}

/// What separates a word from the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    Space,
    Newline,
    /// Punctuation, digits, or the start of the text: a name does not run across it.
    Break,
}

#[derive(Debug, Clone)]
struct Word {
    /// Cyrillic, case as written, a broken word joined.
    text: String,
    start: usize,
    end: usize,
    shape: Shape,
    /// A dot follows directly.
    dot: bool,
    /// Runs into a digit or an underscore: part of something else.
    glued: bool,
    /// Only a row number runs into it, from before («1И.С.Волков»: OCR lost the space).
    numbered: bool,
    gap: Gap,
}

impl Word {
    fn letters(&self) -> usize {
        self.text.chars().filter(|c| is_letter(*c)).count()
    }

    fn is_initial(&self) -> bool {
        (!self.glued || (self.numbered && self.dot))
            && self.letters() == 1
            && matches!(self.shape, Shape::Title)
    }

    /// A capitalised or upper-case Cyrillic word that can be part of a name.
    fn is_name_word(&self) -> bool {
        !self.glued && self.letters() >= 2 && matches!(self.shape, Shape::Title | Shape::Upper)
    }

    /// A name word that is not record vocabulary or a verb.
    fn can_be_surname(&self) -> bool {
        self.is_name_word() && !is_vocabulary(&self.folded())
    }

    fn folded(&self) -> String {
        fold(&self.text)
    }
}

fn shape_of(word: &str) -> Shape {
    let letters: Vec<char> = word.chars().filter(|c| *c != '-').collect();
    if letters.is_empty() || !letters.iter().all(|c| is_russian(*c)) {
        return Shape::Other;
    }
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if upper == letters.len() {
        return if letters.len() == 1 {
            Shape::Title
        } else {
            Shape::Upper
        };
    }
    if upper == 0 {
        return Shape::Lower;
    }
    // Every hyphen-separated part capitalised: «Римского-Корсакова».
    let title = word.split('-').all(|p| {
        let mut cs = p.chars();
        cs.next().is_some_and(char::is_uppercase) && cs.all(char::is_lowercase)
    });
    if title { Shape::Title } else { Shape::Other }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Cuts the text into words. A hyphen (or soft hyphen) at a line end joins the word
/// with the next line's start: dropped before a lower-case letter («Сидо-\nровой»), kept
/// before a capital («Римского-\nКорсакова»).
fn words(text: &str) -> Vec<Word> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| chars.get(i).map(|x| x.1);
    let mut out: Vec<Word> = Vec::new();
    let mut gap = Gap::Break;
    let mut i = 0;
    while i < n {
        let c = chars[i].1;
        if is_letter(c) {
            let start = chars[i].0;
            let mut raw = String::new();
            let mut lower_from: Option<usize> = None;
            let mut j = i;
            while j < n {
                let c = chars[j].1;
                if is_letter(c) {
                    raw.push(c);
                    j += 1;
                    continue;
                }
                let next_is_letter = at(j + 1).is_some_and(is_letter);
                let prev_is_letter = j > i && is_letter(chars[j - 1].1);
                if c == '-' && next_is_letter {
                    raw.push('-');
                    j += 1;
                    continue;
                }
                // A digit between letters is OCR's look-alike for a letter («Сид0рова»).
                if c.is_ascii_digit() && prev_is_letter && next_is_letter {
                    raw.push(c);
                    j += 1;
                    continue;
                }
                if c == '-' || c == '\u{ad}' {
                    // Hyphenation at a line end: spaces, one newline, spaces, a letter.
                    let mut k = j + 1;
                    while at(k).is_some_and(|x| x == ' ' || x == '\t') {
                        k += 1;
                    }
                    if at(k) == Some('\n') || at(k) == Some('\r') {
                        k += 1;
                        if at(k) == Some('\n') {
                            k += 1;
                        }
                        while at(k).is_some_and(|x| x == ' ' || x == '\t') {
                            k += 1;
                        }
                        if let Some(l) = at(k).filter(|l| is_letter(*l)) {
                            // OCR may read the rest of a lower-case word in capitals
                            // («Кали-\nHUH»): after a lower-case letter, a capital
                            // followed by another one goes on the word, not a new part
                            // of a double surname («Римского-\nКорсакова»).
                            let caps_run = at(k + 1).is_some_and(char::is_uppercase)
                                && raw.chars().last().is_some_and(char::is_lowercase);
                            if caps_run {
                                lower_from = Some(raw.chars().count());
                            } else if l.is_uppercase() {
                                raw.push('-');
                            }
                            j = k;
                            continue;
                        }
                    }
                }
                break;
            }
            let end = chars.get(j).map_or(text.len(), |x| x.0);
            let glued_before = i > 0 && is_word_char(chars[i - 1].1);
            let glued_after = at(j).is_some_and(is_word_char);
            // A row number glued to the word, at a line start: «1И.С.Волков».
            let numbered = glued_before && !glued_after && {
                let mut k = i;
                while k > 0 && chars[k - 1].1.is_ascii_digit() {
                    k -= 1;
                }
                k < i && (k == 0 || chars[k - 1].1 == '\n')
            };
            // A lone letter's dot may stand after a space («И .»).
            let single = raw.chars().count() == 1;
            let mut dot_at = j;
            while single && at(dot_at).is_some_and(|x| x == ' ') {
                dot_at += 1;
            }
            let dot = at(dot_at) == Some('.');
            if dot {
                j = dot_at;
            }
            let mut text = into_cyrillic(raw);
            if let Some(k) = lower_from {
                text = text
                    .chars()
                    .enumerate()
                    .flat_map(|(n, c)| {
                        let lower: Vec<char> = if n >= k {
                            c.to_lowercase().collect()
                        } else {
                            vec![c]
                        };
                        lower
                    })
                    .collect();
            }
            let w = Word {
                shape: shape_of(&text),
                text,
                start,
                end,
                dot,
                glued: glued_before || glued_after,
                numbered,
                gap,
            };
            // After a dot a lone letter is an initial and the name may go on; a dot
            // after a whole word ends the sentence.
            gap = if dot && w.letters() != 1 {
                Gap::Break
            } else {
                Gap::Space
            };
            out.push(w);
            i = if dot { j + 1 } else { j };
            continue;
        }
        if c == '\n' {
            gap = gap.max(Gap::Newline);
        } else if !c.is_whitespace() {
            gap = Gap::Break;
        }
        i += 1;
    }
    out
}

/// Lower-case words that are never the end of a word split by a space.
const FUNCTION_WORDS: &[&str] = &[
    "и", "в", "на", "по", "с", "к", "о", "от", "до", "за", "из", "у", "не", "что", "как", "для",
    "при", "об", "со", "во", "ко", "же", "ли", "бы", "а", "но", "или", "его", "ее", "их", "под",
    "над", "без", "то", "так", "все", "это", "был", "была", "г", "гг",
];

/// A capitalised fragment followed by a lower-case one that together make a surname or
/// patronymic («Сидо ровой», «Сер\nгеевне»: OCR's stray space, a break without a hyphen)
/// become one word. A tail that looks like a surname by itself («Фё доров») or starts a
/// double surname («Рим ская-Корсакова») is joined only after a short fragment and
/// before more of a name (a capitalised word or an initial), where an ordinary phrase
/// («Всего часов») does not stand.
fn join_split_words(ws: Vec<Word>) -> Vec<Word> {
    let name_like = |w: &str| looks_like_surname(w) || patronymic_fit(w).is_some_and(|f| f.1 == 0);
    let mut out: Vec<Word> = Vec::with_capacity(ws.len());
    let mut i = 0;
    while i < ws.len() {
        let mut w = ws[i].clone();
        let joins = |next: &Word| {
            // The cheap tests first: almost every pair of words fails one of them, and
            // the surname tests below allocate.
            if !(matches!(w.shape, Shape::Title | Shape::Upper)
                && w.letters() >= 2
                && !w.dot
                && !w.glued
                && next.gap <= Gap::Newline
                && next.letters() >= 2)
            {
                return false;
            }
            let joined = || format!("{}{}", w.text, next.text);
            let starts_lower = next.text.chars().next().is_some_and(char::is_lowercase);
            // «ская-Корсакова»: lower-case first part, capitalised after the hyphen.
            let double_tail = next.shape == Shape::Other
                && starts_lower
                && next.text.contains('-')
                && shape_of(&joined()) == Shape::Title;
            let lower_tail = next.shape == Shape::Lower
                || (next.shape == Shape::Upper && w.shape == Shape::Upper)
                || double_tail;
            if !lower_tail
                || FUNCTION_WORDS.contains(&fold(&next.text).as_str())
                || name_like(&w.text)
            {
                return false;
            }
            let more_name = ws
                .get(i + 2)
                .is_some_and(|x| x.gap <= Gap::Newline && (x.is_initial() || x.is_name_word()));
            let surname_tail = double_tail || looks_like_surname(&next.text);
            (!surname_tail || (w.letters() <= 3 && more_name))
                // A capitalised tail that is a patronymic itself is a word of its own.
                && (next.shape == Shape::Lower || double_tail || !name_like(&next.text))
                && name_like(&joined())
        };
        if let Some(next) = ws.get(i + 1).filter(|n| joins(n)) {
            w.text.push_str(&next.text);
            w.end = next.end;
            w.dot = next.dot;
            w.glued = w.glued || next.glued;
            w.shape = shape_of(&w.text);
            i += 1;
        }
        out.push(w);
        i += 1;
    }
    out
}

/// Words that start sentences or headings, or name things, and look like surnames next
/// to a capitalised word or before initials: never a learner's surname.
const VOCABULARY: &[&str] = &[
    "приказ",
    "протокол",
    "группа",
    "группы",
    "программа",
    "программе",
    "директор",
    "председатель",
    "итого",
    "всего",
    "секретарь",
    "член",
    "члены",
    "журнал",
    "книга",
    "справка",
    "слушатель",
    "слушателя",
    "слушателю",
    "слушателем",
    "слушатели",
    "слушателей",
    "слушательница",
    "слушательницы",
    "обучающийся",
    "обучающегося",
    "результат",
    "ответ",
    "работа",
    "период",
    "обучение",
    "форма",
    "рег",
    "подпись",
    "дата",
    "номер",
    "фамилия",
    "имя",
    "отчество",
    "российской",
    "российская",
    "федерации",
    "федерация",
    "министерства",
    "министерство",
    "учебный",
    "центр",
    "профессионал",
    "ано",
    "дпо",
    "тема",
    "зачтено",
    "отлично",
    "хорошо",
    "удовлетворительно",
    "неудовлетворительно",
    "гражданин",
    "гражданину",
    "гражданина",
    "гражданке",
    "гражданка",
    "гражданки",
    "студент",
    "студентка",
    "комиссия",
    "комиссии",
    "решили",
    "приказываю",
    "основание",
    "итоговая",
    "итоговой",
    "аттестация",
    "аттестации",
    "контроль",
    "документы",
    "документ",
    "удостоверение",
    "диплом",
    "серия",
    "выдано",
    "выдан",
    "выдана",
    "преподаватель",
    "куратор",
    "методист",
    "методиста",
    "проверил",
    "исполнитель",
    "список",
    "ведомость",
    "перечень",
    "настоящая",
    "настоящее",
    "настоящий",
    "об",
    "о",
    "в",
    "на",
    "по",
    "от",
    "ноября",
    "декабря",
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
    "г",
    "гг",
    "ч",
    "тел",
    "адрес",
    "организации",
    "организация",
    "положение",
    "положения",
    "порядок",
    "требований",
    "утверждении",
    // Group codes (ПК-2024-017, ПП-…) next to initials in tables.
    "пк",
    "пп",
];

/// Record vocabulary, or a verb's infinitive («Зачислить», «Выдать»): words that start
/// sentences of orders and never are surnames.
fn is_vocabulary(folded: &str) -> bool {
    VOCABULARY.contains(&folded)
        || (folded.chars().count() >= 5
            && (folded.ends_with("ть") || folded.ends_with("ти") || folded.ends_with("чь")))
}

/// Words `i..i+len` follow one another with nothing but spaces or line ends between.
fn contiguous(ws: &[Word], i: usize, len: usize) -> bool {
    i + len <= ws.len() && (i + 1..i + len).all(|k| ws[k].gap <= Gap::Newline)
}

/// The sure patterns at word `i`: (words used, surname, first, patronymic, text).
fn strong_at(ws: &[Word], i: usize) -> Option<(usize, FoundName)> {
    let w = |k: usize| &ws[i + k];
    let found = |len: usize, s: &Word, f: &str, p: &str, text: String| {
        let (start, end) = (ws[i].start, ws[i + len - 1].end);
        Some((
            len,
            FoundName {
                surname: s.text.clone(),
                first: f.to_string(),
                patronymic: p.to_string(),
                text,
                start,
                end,
            },
        ))
    };
    let init = |x: &Word| format!("{}.", x.text);
    // «Иванов И. П.» (the last dot may be missing at a line end).
    if contiguous(ws, i, 3)
        && w(0).can_be_surname()
        && w(1).is_initial()
        && w(1).dot
        && w(2).is_initial()
        && (w(2).dot || ws.get(i + 3).is_none_or(|x| x.gap > Gap::Space))
    {
        let t = format!("{} {} {}", w(0).text, init(w(1)), init(w(2)));
        return found(3, w(0), &w(1).text, &w(2).text, t);
    }
    // «И. П. Иванов».
    if contiguous(ws, i, 3)
        && w(0).is_initial()
        && w(0).dot
        && w(1).is_initial()
        && w(1).dot
        && w(2).can_be_surname()
    {
        let t = format!("{} {} {}", init(w(0)), init(w(1)), w(2).text);
        return found(3, w(2), &w(0).text, &w(1).text, t);
    }
    // «Иванову Ивану Петровичу», also in capitals; the patronymic may carry an OCR error.
    if contiguous(ws, i, 3)
        && w(0).can_be_surname()
        && w(1).is_name_word()
        && !is_vocabulary(&w(1).folded())
        && w(2).is_name_word()
        && patronymic_fit(&w(2).text).is_some()
    {
        let t = format!("{} {} {}", w(0).text, w(1).text, w(2).text);
        return found(3, w(0), &w(1).text, &w(2).text, t);
    }
    // «Иван Петрович Иванов».
    if contiguous(ws, i, 3)
        && w(0).is_name_word()
        && !is_vocabulary(&w(0).folded())
        && w(1).is_name_word()
        && patronymic_fit(&w(1).text).is_some_and(|f| f.1 == 0)
        && w(2).can_be_surname()
        && patronymic_fit(&w(2).text).is_none()
    {
        let t = format!("{} {} {}", w(0).text, w(1).text, w(2).text);
        return found(3, w(2), &w(0).text, &w(1).text, t);
    }
    // «Иванов И.» with one initial, not followed by another.
    if contiguous(ws, i, 2)
        && w(0).can_be_surname()
        && w(1).is_initial()
        && w(1).dot
        && ws
            .get(i + 2)
            .is_none_or(|x| !(x.is_initial() && x.gap == Gap::Space))
    {
        let t = format!("{} {}", w(0).text, init(w(1)));
        return found(2, w(0), &w(1).text, "", t);
    }
    // «И. Иванов», not after a word it is glued to.
    if contiguous(ws, i, 2)
        && w(0).is_initial()
        && w(0).dot
        && w(1).can_be_surname()
        && (i == 0 || !(ws[i - 1].dot && ws[i - 1].shape == Shape::Other))
    {
        let t = format!("{} {}", init(w(0)), w(1).text);
        return found(2, w(1), &w(0).text, "", t);
    }
    None
}

/// Two capitalised words without a patronymic, one of them shaped like a surname:
/// «Шевчуку Ивану», «Анна Сидорова». Capitals alone (headings) do not count.
fn pair_at(ws: &[Word], i: usize) -> Option<FoundName> {
    if !contiguous(ws, i, 2) {
        return None;
    }
    let (a, b) = (&ws[i], &ws[i + 1]);
    let titled = |x: &Word| x.shape == Shape::Title && x.letters() >= 2 && !x.glued;
    if !(titled(a) && titled(b) && a.can_be_surname() && b.can_be_surname()) {
        return None;
    }
    // Part of a longer run that ends in something glued («Петровичевский2»).
    if ws
        .get(i + 2)
        .is_some_and(|x| x.gap <= Gap::Newline && x.glued)
    {
        return None;
    }
    let text = format!("{} {}", a.text, b.text);
    let shaped = looks_like_surname_within_one_error(&a.text)
        || looks_like_surname_within_one_error(&b.text)
        || patronymic_fit(&a.text).is_some_and(|f| f.1 == 0 && f.0 == Gender::Male);
    let reading = parse_readings(&text).into_iter().next()?;
    if !shaped {
        return None;
    }
    let (s, f) = if normalize(&a.text) == reading.form {
        (a, b)
    } else {
        (b, a)
    };
    Some(FoundName {
        surname: s.text.clone(),
        first: f.text.clone(),
        patronymic: String::new(),
        text,
        start: a.start,
        end: b.end,
    })
}

/// Letters OCR reads for one another (Cyrillic for Cyrillic).
fn ocr_confusions(c: char) -> &'static str {
    match c {
        'с' => "ео",
        'е' => "с",
        'з' => "в",
        'в' => "зо",
        'о' => "всза",
        'а' => "о",
        'и' => "нп",
        'н' => "ип",
        'п' => "нн",
        'ы' => "ь",
        'ь' => "ы",
        _ => "",
    }
}

/// A surname's shape, or one OCR error in its ending away from it (a confused or a
/// dropped vowel): «Гуссв», «Гусзв», «Гусв» for «Гусев» must not lose a «Фамилия Имя»
/// pair that no patronymic or initials anchor.
fn looks_like_surname_within_one_error(word: &str) -> bool {
    if looks_like_surname(word) {
        return true;
    }
    let chars: Vec<char> = fold(word).chars().collect();
    let n = chars.len();
    if n < 4 {
        return false;
    }
    let fits = |cs: &[char]| looks_like_surname(&cs.iter().collect::<String>());
    for pos in n.saturating_sub(3)..=n {
        for c in ['о', 'е'] {
            let mut ins = chars.clone();
            ins.insert(pos, c);
            if fits(&ins) {
                return true;
            }
        }
        for c in chars.get(pos).map_or("", |&c| ocr_confusions(c)).chars() {
            let mut sub = chars.clone();
            sub[pos] = c;
            if fits(&sub) {
                return true;
            }
        }
    }
    false
}

/// Finds learner names in `text`, skipping names that follow a staff marker
/// (director, chairman, …) within the same line.
pub fn find_names(text: &str, staff_markers: &[String]) -> Vec<FoundName> {
    let ws = join_split_words(words(text));
    let mut used = vec![false; ws.len()];
    let mut out = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        match strong_at(&ws, i) {
            Some((len, name)) => {
                used[i..i + len].iter_mut().for_each(|u| *u = true);
                out.push(name);
                i += len;
            }
            None => i += 1,
        }
    }
    let mut i = 0;
    while i + 1 < ws.len() {
        if used[i] || used[i + 1] {
            i += 1;
            continue;
        }
        match pair_at(&ws, i) {
            Some(name) => {
                used[i] = true;
                used[i + 1] = true;
                out.push(name);
                i += 2;
            }
            None => i += 1,
        }
    }
    let folded_markers: Vec<String> = staff_markers.iter().map(|m| fold(m)).collect();
    out.retain(|n| {
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
                "И. П. Иванов"
            ]
        );
    }

    #[test]
    fn ordinary_capitalised_words_are_not_names() {
        assert!(names("Об утверждении Требований Положения Порядок").is_empty());
        assert!(names("ПРИКАЗ № 45-у от 15.03.2024").is_empty());
        assert!(names("О ЗАЧИСЛЕНИИ СЛУШАТЕЛЕЙ НА ОБУЧЕНИЕ").is_empty());
        assert!(names("ПРОТОКОЛ ИТОГОВОЙ АТТЕСТАЦИИ").is_empty());
        assert!(names("Зачислить в группу. Выдать удостоверения.").is_empty());
        assert!(names("Российской Федерации").is_empty());
    }

    #[test]
    fn latin_lookalike_initials_from_ocr_count_as_cyrillic() {
        assert_eq!(
            names("2. Воробьёва Е. A. + + +\nA. B. Петров"),
            vec!["Воробьёва Е. А.", "А. В. Петров"]
        );
        // Not inside words, and not letters that have no Cyrillic twin.
        assert!(names("Иванов D. F.").is_empty());
        assert_eq!(
            names("Ивaнoвa Анна Сергеевна"),
            vec!["Иванова Анна Сергеевна"]
        );
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

    #[test]
    fn patronymics_in_ich_and_ichna() {
        assert_eq!(
            names("выдать Фёдорову Петру Ильичу, Кузнецовой Анне Никитичне и Лукину Фоме Кузьмичу"),
            vec![
                "Фёдорову Петру Ильичу",
                "Кузнецовой Анне Никитичне",
                "Лукину Фоме Кузьмичу"
            ]
        );
        assert_eq!(
            names("Слушатель: Федоров Петр Ильич; Зайцева Мария Ильинична"),
            vec!["Федоров Петр Ильич", "Зайцева Мария Ильинична"]
        );
    }

    #[test]
    fn every_order_and_spacing() {
        assert_eq!(
            names(
                "Иван Петрович Иванов, ИВАНОВ ИВАН ПЕТРОВИЧ, Иванов И.П., И.П.Иванов, Иванов  И .  П ."
            ),
            vec![
                "Иван Петрович Иванов",
                "ИВАНОВ ИВАН ПЕТРОВИЧ",
                "Иванов И. П.",
                "И. П. Иванов",
                "Иванов И. П."
            ]
        );
        assert_eq!(
            names("1) Шевчуку Ивану;\n2) Анна Сидорова;\n3) Каменской Ольге"),
            vec!["Шевчуку Ивану", "Анна Сидорова", "Каменской Ольге"]
        );
    }

    #[test]
    fn broken_words_and_lines() {
        assert_eq!(
            names("отчислить Сидо-\nровой Анне Сергеевне и Римского-\nКорсакова Ивана Петровича"),
            vec![
                "Сидоровой Анне Сергеевне",
                "Римского-Корсакова Ивана Петровича"
            ]
        );
        assert_eq!(
            names("отчислить Иванову Ивану\nПетровичу и Сидо ровой Анне Сер геевне"),
            vec!["Иванову Ивану Петровичу", "Сидоровой Анне Сергеевне"]
        );
    }

    #[test]
    fn a_surname_split_by_a_space_after_a_short_fragment() {
        assert_eq!(
            names("1 Фё доров Пётр Ильич + + н"),
            vec!["Фёдоров Пётр Ильич"]
        );
        assert_eq!(
            names("2 Рим ская-Корсакова Н. Н. ПК 770003"),
            vec!["Римская-Корсакова Н. Н."]
        );
        // OCR's capitals after a hyphenated line break, a row number glued to initials.
        assert_eq!(
            names("6 Кали-\nHUH А. П. ПК 770005\n1И.С.Волков ПК 770700"),
            vec!["Калинин А. П.", "И. С. Волков"]
        );
        // Not an ordinary phrase that happens to end like a surname.
        assert!(names("Всего часов 72. Для основ работы").is_empty());
    }

    #[test]
    fn a_pair_without_a_patronymic_survives_an_error_in_the_surname_ending() {
        assert_eq!(
            names("3 Гуссв Артур + н +\n4 Гусв Артур"),
            vec!["Гуссв Артур", "Гусв Артур"]
        );
        assert!(names("Охрана Труда").is_empty());
    }

    #[test]
    fn ocr_errors_in_the_patronymic_keep_the_name() {
        assert_eq!(
            names("выдать Сидорозой Анне Сергеевнс удостоверение"),
            vec!["Сидорозой Анне Сергеевнс"]
        );
    }

    #[test]
    fn sentence_verbs_are_not_first_names() {
        assert_eq!(
            names("Зачислить Шевчука Ивана в группу"),
            vec!["Шевчука Ивана"]
        );
    }
}
