//! Learner names harness (issue 12): recall and precision of `Archivist::dossier` per
//! name class, on a labelled set generated here (seeded; nothing from outside the
//! repository), under three conditions: clean text, OCR-like letter errors in 30% of the
//! mentions, and image-only pages read by Tesseract.
//!
//! The set: ~45 learners spread over name classes (patronymics of every formation, no
//! patronymic, «Имя Фамилия», initials before and after, indeclinable, -ский/-ой,
//! consonant-final, double surnames, capitals, names broken across a line end, е for ё,
//! Latin look-alikes, namesakes), in eight groups; each group has an enrolment order,
//! a journal, a protocol, a completion order, a book of issue and a certificate, written
//! the way such records are (declined mentions, tables, «Фамилия И. О.»). The names and
//! the declension are this file's own; the matcher has no name lists.
//!
//! Every condition builds a real archive in a temporary folder and ingests the PDFs with
//! sidecars (kind, group, date) through the library, so names are extracted from the text
//! and indexed as in production (image-only pages: ingested, then `Archivist::ocr`). Then
//! each learner is asked for twice — full name in the nominative and «Фамилия И. О.» —
//! and the documents of the dossier's person that is this learner (initials and gender
//! agree; namesakes listed apart do not count) are compared with the ground truth.
//!
//! Run: `cargo bench --bench names` (release) or `cargo test --bench names` (dev build,
//! quicker to compile). `BENCH_STRICT=1` exits non-zero when a target is missed;
//! `BENCH_OCR_DOCS=N` OCRs only the first N documents (0 skips Tesseract);
//! `BENCH_OCR_DPI` (default 250); `BENCH_VERBOSE=1` lists every miss and false hit.
//! Targets: ≥ 99% recall and precision per class on clean text, ≥ 97% with OCR-like
//! errors, ≥ 95% recall through Tesseract.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use archivist::api::{Actor, Archivist, OcrTarget};
use archivist::ru::person::Gender;
use chrono::NaiveDate;
use fixturegen::{Case, TextPdfOptions, decline_first, decline_patronymic, decline_surname};
use sha2::{Digest, Sha256};

const SEED: u64 = 12;
const GROUPS: usize = 8;
/// Share of mentions that get one OCR-like error in the noisy condition.
const NOISE_RATE: f64 = 0.30;

// ---------------------------------------------------------------------------
// Learners and name classes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    PatrOvich,
    PatrIch,
    PatrOvna,
    PatrIchna,
    NoPatronymic,
    FirstLast,
    InitialsBefore,
    InitialsAfter,
    Indeclinable,
    Sky,
    Consonant,
    Double,
    Capitals,
    LineBreak,
    Yo,
    Latin,
    Namesakes,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::PatrOvich => "patronymic -ович/-евич",
            Class::PatrIch => "patronymic -ич (Ильич)",
            Class::PatrOvna => "patronymic -овна/-евна",
            Class::PatrIchna => "patronymic -ична/-инична",
            Class::NoPatronymic => "no patronymic",
            Class::FirstLast => "«Имя Фамилия»",
            Class::InitialsBefore => "«И. О. Фамилия»",
            Class::InitialsAfter => "«Фамилия И.О.»",
            Class::Indeclinable => "indeclinable surname",
            Class::Sky => "-ский/-цкий/-ой",
            Class::Consonant => "consonant-final",
            Class::Double => "double/hyphenated",
            Class::Capitals => "CAPITALS",
            Class::LineBreak => "broken across lines",
            Class::Yo => "е for ё",
            Class::Latin => "Latin look-alikes",
            Class::Namesakes => "namesakes",
        }
    }
}

#[derive(Debug, Clone)]
struct Learner {
    /// Masculine nominative («Римский-Корсаков», «Толстой»); the feminine is derived.
    surname: &'static str,
    female: bool,
    first: &'static str,
    /// Empty when the learner has none.
    patronymic: &'static str,
    class: Class,
}

fn learners() -> Vec<Learner> {
    use Class::*;
    let l = |surname, female, first, patronymic, class| Learner {
        surname,
        female,
        first,
        patronymic,
        class,
    };
    vec![
        l("Лебедев", false, "Дмитрий", "Андреевич", PatrOvich),
        l("Макаров", false, "Олег", "Юрьевич", PatrOvich),
        l("Фёдоров", false, "Пётр", "Ильич", PatrIch),
        l("Кузнецов", false, "Роман", "Кузьмич", PatrIch),
        l("Гаврилов", false, "Степан", "Фомич", PatrIch),
        l("Тарасов", false, "Егор", "Лукич", PatrIch),
        l("Беляев", false, "Максим", "Никитич", PatrIch),
        l("Зайцев", true, "Ольга", "Ивановна", PatrOvna),
        l("Семёнов", true, "Алёна", "Фёдоровна", PatrOvna),
        l("Панов", true, "Вера", "Ильинична", PatrIchna),
        l("Крюков", true, "Дарья", "Кузьминична", PatrIchna),
        l("Фомин", true, "Лидия", "Никитична", PatrIchna),
        l("Гусев", false, "Артур", "", NoPatronymic),
        l("Рахимов", true, "Дилноза", "", NoPatronymic),
        l("Шевчук", false, "Богдан", "", NoPatronymic),
        l("Орлов", true, "Марина", "Олеговна", FirstLast),
        l("Никитин", false, "Тимур", "Аркадьевич", FirstLast),
        l("Волков", false, "Илья", "Семёнович", InitialsBefore),
        l("Комаров", true, "Ксения", "Павловна", InitialsBefore),
        l("Громов", false, "Виктор", "Андреевич", InitialsAfter),
        l("Лаврентьев", true, "Ирина", "Олеговна", InitialsAfter),
        l("Шевченко", true, "Ольга", "Петровна", Indeclinable),
        l("Черных", false, "Иван", "Андреевич", Indeclinable),
        l("Дурново", false, "Павел", "Сергеевич", Indeclinable),
        l("Моро", false, "Андрей", "Викторович", Indeclinable),
        l("Каменский", false, "Игорь", "Олегович", Sky),
        l("Белецкий", true, "Ирина", "Викторовна", Sky),
        l("Толстой", false, "Денис", "Маркович", Sky),
        l("Ковальчук", false, "Аркадий", "Викторович", Consonant),
        l("Мельник", true, "Татьяна", "Юрьевна", Consonant),
        l("Гуревич", true, "Анна", "Марковна", Consonant),
        l("Петров-Водкин", false, "Алексей", "Сергеевич", Double),
        l("Римский-Корсаков", true, "Надежда", "Николаевна", Double),
        l("Соколов-Микитов", false, "Иван", "Сергеевич", Double),
        l("Новиков", false, "Пётр", "Андреевич", Capitals),
        l("Егоров", true, "Светлана", "Олеговна", Capitals),
        l("Калинин", false, "Андрей", "Павлович", LineBreak),
        l("Воронцов", true, "Ирина", "Сергеевна", LineBreak),
        l("Королёв", false, "Артём", "Викторович", Yo),
        l("Воробьёв", true, "Алёна", "Семёновна", Yo),
        l("Соколов", false, "Олег", "Петрович", Latin),
        l("Ефремов", true, "Ксения", "Олеговна", Latin),
        l("Иванов", false, "Иван", "Петрович", Namesakes),
        l("Иванов", false, "Алексей", "Сергеевич", Namesakes),
        l("Иванов", true, "Мария", "Петровна", Namesakes),
        // Same surname and initials as Иванов Иван Петрович, the other gender.
        l("Иванов", true, "Ирина", "Павловна", Namesakes),
    ]
}

// ---------------------------------------------------------------------------
// Declension (this bench's own; fixturegen's helpers for the regular patterns)
// ---------------------------------------------------------------------------

fn is_vowel(c: char) -> bool {
    "аеёиоуыэюя".contains(c)
}

fn surname_part(part: &str, female: bool, case: Case) -> String {
    use Case::*;
    // Adjectival -ой (Толстой): -ого, -ому, -ым; feminine -ая, -ой, -ую.
    if let Some(stem) = part
        .strip_suffix("ой")
        .filter(|s| !s.ends_with("ск") && !s.ends_with("цк"))
    {
        let end = match (female, case) {
            (false, Nom) => "ой",
            (false, Gen | Acc) => "ого",
            (false, Dat) => "ому",
            (false, Ins) => "ым",
            (true, Nom) => "ая",
            (true, Acc) => "ую",
            (true, _) => "ой",
        };
        return format!("{stem}{end}");
    }
    // Foreign surnames ending in a vowel (Моро, Дурново) never decline.
    if part.chars().last().is_some_and(is_vowel) {
        return part.to_string();
    }
    decline_surname(part, female, case)
}

fn surname(l: &Learner, case: Case) -> String {
    l.surname
        .split('-')
        .map(|p| surname_part(p, l.female, case))
        .collect::<Vec<_>>()
        .join("-")
}

fn first(l: &Learner, case: Case) -> String {
    use Case::*;
    if !l.female {
        // Soft stems (Игорь) and -я (Илья), which fixturegen's helper does not take.
        if let Some(stem) = l.first.strip_suffix('ь') {
            let end = match case {
                Nom => "ь",
                Gen | Acc => "я",
                Dat => "ю",
                Ins => "ем",
            };
            return format!("{stem}{end}");
        }
        // Пётр loses its ё in every other case: Петра, Петру, Петром.
        if l.first == "Пётр" && case != Nom {
            return decline_first("Петр", false, case);
        }
        if let Some(stem) = l.first.strip_suffix('я') {
            let end = match case {
                Nom => "я",
                Gen => "и",
                Dat => "е",
                Acc => "ю",
                Ins => "ёй",
            };
            return format!("{stem}{end}");
        }
    }
    decline_first(l.first, l.female, case)
}

fn initial(s: &str) -> String {
    s.chars()
        .next()
        .map(|c| format!("{c}."))
        .unwrap_or_default()
}

/// The learner's name as the registry keeps it: nominative, ё as written.
fn full_nominative(l: &Learner) -> String {
    let mut s = format!("{} {}", surname(l, Case::Nom), l.first);
    if !l.patronymic.is_empty() {
        s.push(' ');
        s.push_str(l.patronymic);
    }
    s
}

/// «Фамилия И. О.» in the nominative: the second query form.
fn short_nominative(l: &Learner) -> String {
    let mut s = format!("{} {}", surname(l, Case::Nom), initial(l.first));
    if !l.patronymic.is_empty() {
        s.push(' ');
        s.push_str(&initial(l.patronymic));
    }
    s
}

/// How a document writes a name: in full, or with initials (books, lists of issue).
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Full,
    Short,
}

/// One mention of a learner, as the learner's class writes it. `n` varies the spelling
/// between documents (spacing of initials, where a line breaks).
fn mention(l: &Learner, case: Case, form: Form, n: usize) -> String {
    let s = surname(l, case);
    let f = first(l, case);
    let p = if l.patronymic.is_empty() {
        String::new()
    } else {
        decline_patronymic(l.patronymic, case)
    };
    let (fi, pi) = (initial(l.first), initial(l.patronymic));
    let initials = |tight: bool| {
        if pi.is_empty() {
            fi.clone()
        } else if tight {
            format!("{fi}{pi}")
        } else {
            format!("{fi} {pi}")
        }
    };
    let full = || {
        if p.is_empty() {
            format!("{s} {f}")
        } else {
            format!("{s} {f} {p}")
        }
    };
    let short = || format!("{s} {}", initials(false));
    let default = || match form {
        Form::Full => full(),
        Form::Short => short(),
    };
    match l.class {
        Class::NoPatronymic => match form {
            Form::Full => format!("{s} {f}"),
            Form::Short => format!("{s} {fi}"),
        },
        Class::FirstLast => format!("{f} {s}"),
        Class::InitialsBefore => {
            if n.is_multiple_of(2) {
                format!("{} {s}", initials(false))
            } else {
                format!("{}{s}", initials(true))
            }
        }
        Class::InitialsAfter => format!("{s} {}", initials(n.is_multiple_of(2))),
        Class::Capitals => default().to_uppercase(),
        Class::LineBreak => match (form, n % 2) {
            // A hyphenated word break inside the surname.
            (_, 0) => {
                let cut = s.char_indices().nth(4).map_or(s.len(), |(i, _)| i);
                let rest = match form {
                    Form::Full => format!("{f} {p}"),
                    Form::Short => initials(false),
                };
                format!("{}-\n{} {rest}", &s[..cut], &s[cut..])
            }
            (Form::Full, _) => format!("{s} {f}\n{p}"),
            (Form::Short, _) => format!("{s}\n{}", initials(false)),
        },
        Class::Yo => default().replace('ё', "е").replace('Ё', "Е"),
        Class::Latin => {
            // OCR-style Latin twins inside the surname: а, о, е, р, с, х.
            let mut out = String::new();
            let mut swapped = 0;
            let v = default();
            let cut = v.find(' ').unwrap_or(v.len());
            for (i, c) in v.char_indices() {
                let twin = match c {
                    'а' => Some('a'),
                    'о' => Some('o'),
                    'е' => Some('e'),
                    'р' => Some('p'),
                    'с' => Some('c'),
                    'х' => Some('x'),
                    _ => None,
                };
                match twin {
                    Some(t) if i < cut && (swapped + n).is_multiple_of(2) => {
                        out.push(t);
                        swapped += 1;
                    }
                    Some(_) if i < cut => {
                        out.push(c);
                        swapped += 1;
                    }
                    _ => out.push(c),
                }
            }
            out
        }
        _ => default(),
    }
}

// ---------------------------------------------------------------------------
// OCR-like errors
// ---------------------------------------------------------------------------

/// Letters OCR confuses, both ways where it does.
fn confusable(c: char) -> &'static [char] {
    match c {
        'о' => &['с', 'з', 'в', 'а', '0'],
        'с' => &['о', 'е'],
        'з' => &['в', 'э'],
        'в' => &['з', 'о'],
        'а' => &['о', 'д'],
        'и' => &['н', 'п', 'й'],
        'н' => &['и', 'п'],
        'п' => &['н', 'и'],
        'е' => &['с', 'ё'],
        'ш' => &['щ'],
        'щ' => &['ш'],
        'ы' => &['ь'],
        'ь' => &['ы', 'б'],
        'л' => &['п'],
        'й' => &['и'],
        'т' => &['г'],
        'к' => &['х'],
        'р' => &['p'],
        'у' => &['y'],
        _ => &[],
    }
}

/// One OCR-like error in a mention: a confusable letter, a Latin twin, a dropped or
/// doubled letter, or a word split by a space; in the surname mostly (a third of the
/// time in its case ending), else in a written-out first name or patronymic past its
/// first letter (an initial misread is another person: no matcher can undo it).
fn corrupt(m: &str, rng: &mut fastrand::Rng) -> String {
    // Words of the mention with their byte ranges; initials and short words are left.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in m.char_indices() {
        let letter = c.is_alphabetic() || c == '-';
        match (letter, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, m.len()));
    }
    let long: Vec<(usize, usize)> = words
        .into_iter()
        .filter(|(s, e)| m[*s..*e].chars().count() >= 4)
        .collect();
    if long.is_empty() {
        return m.to_string();
    }
    // The surname is the longest-looking first long word in most forms; pick by weight.
    let surname_first = rng.f64() < 0.7;
    let (s, e) = if surname_first || long.len() == 1 {
        // The surname: the first long word unless the form puts it last.
        *long
            .iter()
            .max_by_key(|(s, e)| {
                let w = &m[*s..*e];
                let surname_like = ["ов", "ев", "ин", "ой", "ий", "ая", "ую", "ым", "ого", "ому"]
                    .iter()
                    .any(|x| w.to_lowercase().contains(x));
                (surname_like, *e - *s)
            })
            .unwrap()
    } else {
        long[rng.usize(..long.len())]
    };
    let word: Vec<char> = m[s..e].chars().collect();
    let n = word.len();
    let upper = word.iter().all(|c| !c.is_lowercase());
    // A given name keeps its initial; a surname may go wrong anywhere.
    let lo = if surname_first { 0 } else { 1 };
    let pos = if rng.f64() < 0.35 {
        rng.usize(n.saturating_sub(3).max(lo)..n)
    } else {
        rng.usize(lo..n)
    };
    let c = word[pos];
    let lower = c.to_lowercase().next().unwrap_or(c);
    let case = |x: char| {
        if upper || c.is_uppercase() {
            x.to_uppercase().next().unwrap_or(x)
        } else {
            x
        }
    };
    let mut out: Vec<char> = word.clone();
    match rng.usize(..10) {
        // Confusable letter (most OCR errors).
        0..=4 if !confusable(lower).is_empty() && c != '-' => {
            let alts = confusable(lower);
            out[pos] = case(alts[rng.usize(..alts.len())]);
        }
        // Latin look-alike.
        5 if "аоерсх".contains(lower) => {
            let t = match lower {
                'а' => 'a',
                'о' => 'o',
                'е' => 'e',
                'р' => 'p',
                'с' => 'c',
                _ => 'x',
            };
            out[pos] = case(t);
        }
        // A word split by a stray space (not at its ends).
        6 if n >= 6 => {
            let at = rng.usize(2..n - 2);
            out.insert(at, ' ');
        }
        7 => {
            out.insert(pos, c);
        }
        _ if n > 4 && c != '-' => {
            out.remove(pos);
        }
        _ => {
            let alts = ['н', 'о', 'е'];
            out[pos] = case(alts[rng.usize(..alts.len())]);
        }
    }
    format!("{}{}{}", &m[..s], out.iter().collect::<String>(), &m[e..])
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

struct Doc {
    kind: &'static str,
    group: String,
    date: NaiveDate,
    /// Text with `\u{1}i\u{2}` placeholders for mentions (index into `mentions`).
    lines: Vec<String>,
    /// (learner, mention text) in order of appearance.
    mentions: Vec<(usize, String)>,
}

impl Doc {
    fn new(kind: &'static str, group: &str, date: NaiveDate) -> Doc {
        Doc {
            kind,
            group: group.to_string(),
            date,
            lines: Vec::new(),
            mentions: Vec::new(),
        }
    }

    /// A placeholder for one mention of learner `who`.
    fn name(&mut self, who: usize, text: String) -> String {
        self.mentions.push((who, text));
        format!("\u{1}{}\u{2}", self.mentions.len() - 1)
    }

    fn line(&mut self, s: impl Into<String>) {
        self.lines.push(s.into());
    }

    /// The learners it mentions: the ground truth.
    fn truth(&self) -> BTreeSet<usize> {
        self.mentions.iter().map(|(w, _)| *w).collect()
    }

    /// The text, mentions filled in (`noisy` decides per mention whether OCR erred),
    /// wrapped at 66 characters; a line break inside a mention is kept where it is.
    fn render(&self, mut noisy: impl FnMut(&str) -> String) -> (Vec<String>, Vec<String>) {
        let filled: Vec<String> = self.mentions.iter().map(|(_, m)| noisy(m)).collect();
        let mut out = Vec::new();
        for l in &self.lines {
            let mut text = String::new();
            let mut rest = l.as_str();
            while let Some(a) = rest.find('\u{1}') {
                text.push_str(&rest[..a]);
                let b = rest[a..].find('\u{2}').map(|b| a + b).unwrap_or(rest.len());
                let i: usize = rest[a + 1..b].parse().unwrap();
                text.push_str(&filled[i]);
                rest = &rest[(b + 1).min(rest.len())..];
            }
            text.push_str(rest);
            for hard in text.split('\n') {
                wrap(hard, 66, &mut out);
            }
        }
        (out, filled)
    }
}

fn wrap(text: &str, width: usize, out: &mut Vec<String>) {
    let mut line = String::new();
    for w in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() || text.is_empty() {
        out.push(line);
    }
}

const PROGRAMMES: [&str; 4] = [
    "Охрана труда для руководителей и специалистов",
    "Пожарная безопасность",
    "Оказание первой помощи пострадавшим",
    "Бухгалтерский учёт и налогообложение",
];
const RESULTS: [&str; 5] = [
    "отлично",
    "хорошо",
    "удовлетворительно",
    "зачтено",
    "отлично",
];

fn fmt(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// The documents of the set: per group an enrolment order, a journal, a protocol, a
/// completion order, a book of issue and a certificate for one learner.
fn documents(ls: &[Learner], groups: &[Vec<usize>], rng: &mut fastrand::Rng) -> Vec<Doc> {
    let mut docs = Vec::new();
    let mut n = 0usize;
    let mut next = || {
        n += 1;
        n
    };
    for (gi, members) in groups.iter().enumerate() {
        let year = 2019 + (gi % 6) as i32;
        let code = format!("ПК-{year}-{:03}", 11 + gi * 3);
        let programme = PROGRAMMES[gi % PROGRAMMES.len()];
        let hours = [16, 24, 40, 72][gi % 4];
        let start = NaiveDate::from_ymd_opt(year, 2 + (gi % 8) as u32, 3 + gi as u32).unwrap();
        let end = start + chrono::Duration::days(21);

        // Enrolment order: an accusative list.
        let mut d = Doc::new("order-organisation", &code, start);
        d.line(fixturegen::ORG);
        d.line(format!("ПРИКАЗ № {}-у от {}", 10 + gi * 7, fmt(start)));
        d.line("О зачислении слушателей");
        d.line(format!(
            "В соответствии с договорами об оказании образовательных услуг ПРИКАЗЫВАЮ: 1. Зачислить с {} на обучение по дополнительной профессиональной программе повышения квалификации «{programme}» ({hours} ч.) в группу {code} следующих слушателей:",
            fmt(start)
        ));
        for (k, &w) in members.iter().enumerate() {
            let m = d.name(w, mention(&ls[w], Case::Acc, Form::Full, next()));
            d.line(format!("{}) {m};", k + 1));
        }
        let w = members[0];
        let m = d.name(w, mention(&ls[w], Case::Ins, Form::Full, next()));
        d.line(format!(
            "2. Договор на обучение с {m} считать заключённым с {}.",
            fmt(start)
        ));
        d.line("3. Контроль за исполнением приказа оставляю за собой.");
        d.line("Директор ____________ К. Л. Смирнов");
        docs.push(d);

        // Journal: a nominative list in full.
        let mut d = Doc::new("journal", &code, start);
        d.line(format!("ЖУРНАЛ учёта посещаемости занятий группы {code}"));
        d.line(format!("Программа: «{programme}», {hours} ч."));
        d.line(format!(
            "№ Фамилия Имя Отчество {} {} {}",
            start.format("%d.%m"),
            (start + chrono::Duration::days(1)).format("%d.%m"),
            (start + chrono::Duration::days(2)).format("%d.%m")
        ));
        for (k, &w) in members.iter().enumerate() {
            let m = d.name(w, mention(&ls[w], Case::Nom, Form::Full, next()));
            let marks = ["+ + +", "+ н +", "+ + н"][rng.usize(..3)];
            d.line(format!("{} {m} {marks}", k + 1));
        }
        d.line("Преподаватель ____________ Белова Т. Н.");
        docs.push(d);

        // Protocol: a nominative table and a dative decision.
        let mut d = Doc::new("protocol", &code, end);
        d.line(format!(
            "ПРОТОКОЛ № {} заседания аттестационной комиссии от {}",
            3 + gi,
            fmt(end)
        ));
        d.line(format!(
            "Итоговая аттестация слушателей группы {code} по программе «{programme}»"
        ));
        d.line("№ Фамилия, имя, отчество Форма аттестации Оценка");
        for (k, &w) in members.iter().enumerate() {
            let m = d.name(w, mention(&ls[w], Case::Nom, Form::Full, next()));
            d.line(format!(
                "{} {m} — зачёт — {}",
                k + 1,
                RESULTS[rng.usize(..RESULTS.len())]
            ));
        }
        let mut decided = Vec::new();
        for &w in members.iter().take(3) {
            decided.push(d.name(w, mention(&ls[w], Case::Dat, Form::Short, next())));
        }
        d.line(format!(
            "Решили: выдать удостоверения о повышении квалификации {}.",
            decided.join(", ")
        ));
        d.line("Председатель комиссии ____________ К. Л. Смирнов");
        d.line("Секретарь ____________ Белова Т. Н.");
        docs.push(d);

        // Completion order: accusative in full, dative with initials.
        let mut d = Doc::new("order-completion", &code, end);
        d.line(fixturegen::ORG);
        d.line(format!("ПРИКАЗ № {}-у от {}", 12 + gi * 7, fmt(end)));
        d.line("Об отчислении в связи с завершением обучения");
        d.line(format!(
            "ПРИКАЗЫВАЮ: 1. Отчислить в связи с завершением обучения по программе «{programme}» слушателей группы {code}, успешно прошедших итоговую аттестацию:"
        ));
        for (k, &w) in members.iter().enumerate() {
            let m = d.name(w, mention(&ls[w], Case::Acc, Form::Full, next()));
            d.line(format!("{}) {m};", k + 1));
        }
        let mut issued = Vec::new();
        for &w in members {
            issued.push(d.name(w, mention(&ls[w], Case::Dat, Form::Short, next())));
        }
        d.line(format!(
            "2. Выдать удостоверения установленного образца {}.",
            issued.join(", ")
        ));
        d.line("Директор ____________ К. Л. Смирнов");
        docs.push(d);

        // Book of issue: nominative with initials.
        let mut d = Doc::new("issuance-book", &code, end);
        d.line("КНИГА регистрации выданных удостоверений о повышении квалификации");
        d.line(format!("Группа {code}, программа «{programme}»"));
        d.line("№ Фамилия И. О. Серия, номер Дата выдачи Подпись");
        for (k, &w) in members.iter().enumerate() {
            let m = d.name(w, mention(&ls[w], Case::Nom, Form::Short, next()));
            d.line(format!(
                "{} {m} ПК {} {}",
                k + 1,
                770_000 + gi * 100 + k,
                fmt(end)
            ));
        }
        docs.push(d);

        // A certificate of study for one learner: dative in full.
        let w = members[members.len() / 2];
        let mut d = Doc::new("other", &code, end + chrono::Duration::days(5));
        d.line("СПРАВКА об обучении");
        let m = d.name(w, mention(&ls[w], Case::Dat, Form::Full, next()));
        d.line(format!(
            "Выдана {m} в том, что {} с {} по {} обучал{} в {} по программе «{programme}» ({hours} ч.) в группе {code}.",
            if ls[w].female { "она" } else { "он" },
            fmt(start),
            fmt(end),
            if ls[w].female { "ась" } else { "ся" },
            fixturegen::ORG
        ));
        d.line("Справка выдана для предъявления по месту требования.");
        d.line("Директор ____________ К. Л. Смирнов");
        docs.push(d);
    }
    docs
}

/// Learners into groups: a seeded shuffle, but the two namesakes with the same initials
/// (Иванов И. П., Иванова И. П.) in different groups, as real people would be told apart.
fn groups_of(ls: &[Learner], rng: &mut fastrand::Rng) -> Vec<Vec<usize>> {
    loop {
        let mut order: Vec<usize> = (0..ls.len()).collect();
        rng.shuffle(&mut order);
        let mut groups = vec![Vec::new(); GROUPS];
        for (k, i) in order.into_iter().enumerate() {
            groups[k % GROUPS].push(i);
        }
        let same_initials_together = groups.iter().any(|g| {
            g.iter().any(|&a| {
                g.iter().any(|&b| {
                    a != b
                        && ls[a].surname == ls[b].surname
                        && initial(ls[a].first) == initial(ls[b].first)
                        && initial(ls[a].patronymic) == initial(ls[b].patronymic)
                })
            })
        });
        if !same_initials_together {
            return groups;
        }
    }
}

// ---------------------------------------------------------------------------
// Running a condition
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Condition {
    Clean,
    Noisy,
    Tesseract,
}

impl Condition {
    fn label(self) -> &'static str {
        match self {
            Condition::Clean => "clean",
            Condition::Noisy => "ocr-errors",
            Condition::Tesseract => "tesseract",
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn add(&mut self, o: Score) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn fold(s: &str) -> String {
    s.to_lowercase().replace('ё', "е")
}

/// Whether a dossier person (by token and gender) can be this learner: initials and
/// gender do not contradict. Namesakes listed apart fail this.
fn is_this_learner(l: &Learner, token: &str, gender: Option<Gender>) -> bool {
    // A gender mark (`_ж`, `_м`) ends the token of people who share initials.
    let token = match gender {
        Some(_) => token
            .strip_suffix("_ж")
            .or_else(|| token.strip_suffix("_м"))
            .unwrap_or(token),
        None => token,
    };
    let parts: Vec<&str> = token.split('_').collect();
    let letter = |i: usize| parts.get(i).and_then(|s| s.chars().next());
    let want_f = fold(l.first).chars().next();
    let want_p = fold(l.patronymic).chars().next();
    let f_ok = letter(1).is_none_or(|f| Some(f) == want_f);
    let p_ok = letter(2).is_none_or(|p| want_p.is_none_or(|w| w == p));
    let g_ok = gender.is_none_or(|g| (g == Gender::Female) == l.female);
    f_ok && p_ok && g_ok
}

struct Outcome {
    per_class: BTreeMap<Class, Score>,
    per_query: [Score; 2],
    notes: Vec<String>,
}

fn run_condition(
    cond: Condition,
    ls: &[Learner],
    docs: &[Doc],
    work: &Path,
    ocr_docs: usize,
    dpi: u32,
) -> Outcome {
    let root = work.join(cond.label());
    let src = work.join(format!("{}-src", cond.label()));
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_dir_all(&src);
    fs::create_dir_all(&src).unwrap();
    let docs: &[Doc] = if cond == Condition::Tesseract {
        &docs[..ocr_docs.min(docs.len())]
    } else {
        docs
    };
    let t0 = Instant::now();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut inputs: Vec<PathBuf> = Vec::new();
    let mut written: Vec<Vec<String>> = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(SEED ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9));
        let (lines, filled) = d.render(|m| {
            if cond == Condition::Noisy && rng.f64() < NOISE_RATE {
                corrupt(m, &mut rng)
            } else {
                m.to_string()
            }
        });
        let opts = TextPdfOptions {
            seed: SEED + i as u64,
            dpi: if cond == Condition::Tesseract {
                dpi
            } else {
                50
            },
            image_only: cond == Condition::Tesseract,
            jpeg_quality: if cond == Condition::Tesseract { 80 } else { 30 },
            date: d.date,
        };
        let pdf = fixturegen::text_pdf(&lines, &opts).unwrap();
        let name = format!("doc_{:03}.pdf", i + 1);
        let path = src.join(&name);
        fs::write(&path, &pdf).unwrap();
        fs::write(
            src.join(format!("{name}.toml")),
            format!(
                "kind = \"{}\"\ngroup = \"{}\"\ndate = \"{}\"\n",
                d.kind, d.group, d.date
            ),
        )
        .unwrap();
        ids.insert(sha256_hex(&pdf), i);
        inputs.push(path);
        written.push(filled);
    }
    eprintln!(
        "{}: {} documents rendered in {:.1} s",
        cond.label(),
        docs.len(),
        t0.elapsed().as_secs_f64()
    );
    let (arch, _) = Archivist::init(&root, None).unwrap();
    drop(arch);
    fs::write(root.join("archivist.toml"), "[ocr]\nenabled = false\n").unwrap();
    let arch = Archivist::open(&root, None).unwrap();
    let report = arch
        .ingest(&inputs, false, &Actor::system(), &mut |_| {})
        .unwrap();
    assert_eq!(report.summary.archived, docs.len(), "{:?}", report.receipts);
    drop(arch);
    if cond == Condition::Tesseract {
        let t = Instant::now();
        fs::write(root.join("archivist.toml"), "[ocr]\nenabled = true\n").unwrap();
        let arch = Archivist::open(&root, None).unwrap();
        let r = arch
            .ocr(&OcrTarget::Pending, &Actor::system(), &mut |done, all| {
                eprint!("\rOCR: {done}/{all} pages");
            })
            .unwrap();
        eprintln!(
            "\rOCR: {} documents, {} pages in {:.1} s",
            r.documents,
            r.pages,
            t.elapsed().as_secs_f64()
        );
    }
    let arch = Archivist::open(&root, None).unwrap();
    let verbose = std::env::var("BENCH_VERBOSE").is_ok_and(|v| v == "1");
    let mut per_class: BTreeMap<Class, Score> = BTreeMap::new();
    let mut per_query = [Score::default(); 2];
    let mut notes = Vec::new();
    for (li, l) in ls.iter().enumerate() {
        let truth: BTreeSet<usize> = docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.truth().contains(&li))
            .map(|(i, _)| i)
            .collect();
        for (qi, query) in [full_nominative(l), short_nominative(l)].iter().enumerate() {
            let dossier = arch.dossier(query).unwrap();
            let mut got: BTreeSet<usize> = BTreeSet::new();
            for p in &dossier.people {
                if !is_this_learner(l, &p.token, p.gender) {
                    continue;
                }
                for h in &p.documents {
                    if let Some(&i) = ids.get(&h.id) {
                        got.insert(i);
                    }
                }
            }
            let s = Score {
                tp: got.intersection(&truth).count(),
                fp: got.difference(&truth).count(),
                fn_: truth.difference(&got).count(),
            };
            per_class.entry(l.class).or_default().add(s);
            per_query[qi].add(s);
            if verbose {
                for &i in truth.difference(&got) {
                    let written_as: Vec<String> = docs[i]
                        .mentions
                        .iter()
                        .zip(&written[i])
                        .filter(|((w, _), _)| *w == li)
                        .map(|(_, m)| m.replace('\n', "⏎"))
                        .collect();
                    notes.push(format!(
                        "{}: miss  «{query}» in doc_{:03} ({}), written {:?}",
                        cond.label(),
                        i + 1,
                        docs[i].kind,
                        written_as
                    ));
                }
                for &i in got.difference(&truth) {
                    notes.push(format!(
                        "{}: false «{query}» in doc_{:03} ({}); people: {:?}",
                        cond.label(),
                        i + 1,
                        docs[i].kind,
                        dossier
                            .people
                            .iter()
                            .map(|p| (&p.token, &p.forms))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    Outcome {
        per_class,
        per_query,
        notes,
    }
}

enum Work {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl Work {
    fn path(&self) -> &Path {
        match self {
            Work::Temp(t) => t.path(),
            Work::Kept(p) => p,
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let strict = std::env::var("BENCH_STRICT").is_ok_and(|v| v == "1");
    let dpi: u32 = std::env::var("BENCH_OCR_DPI")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(250);
    let ls = learners();
    let mut rng = fastrand::Rng::with_seed(SEED);
    let groups = groups_of(&ls, &mut rng);
    let docs = documents(&ls, &groups, &mut rng);
    let mentions: usize = docs.iter().map(|d| d.mentions.len()).sum();
    let ocr_docs: usize = std::env::var("BENCH_OCR_DOCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(docs.len());
    let work = tempfile::Builder::new()
        .prefix("names-bench-")
        .tempdir()
        .unwrap();
    // BENCH_KEEP=1 keeps the archives for a look with `archivist --root`.
    let work = if std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1") {
        let kept = work.keep();
        eprintln!("archives kept in {}", kept.display());
        Work::Kept(kept)
    } else {
        Work::Temp(work)
    };
    let mut conditions = vec![Condition::Clean, Condition::Noisy];
    let tesseract =
        archivist::formats::ocr::check_tesseract(&archivist::formats::ocr::OcrConfig::default());
    match (&tesseract, ocr_docs) {
        (Err(why), _) => println!("tesseract condition skipped: {why}"),
        (Ok(_), 0) => println!("tesseract condition skipped: BENCH_OCR_DOCS=0"),
        (Ok(_), _) => conditions.push(Condition::Tesseract),
    }
    let mut results: BTreeMap<Condition, Outcome> = BTreeMap::new();
    for &c in &conditions {
        let out = run_condition(c, &ls, &docs, work.path(), ocr_docs, dpi);
        for n in &out.notes {
            eprintln!("{n}");
        }
        results.insert(c, out);
    }

    println!(
        "\nLearner names: {} learners in {} classes, {} documents, {} mentions; each learner asked for twice (full name, «Фамилия И. О.»)",
        ls.len(),
        ls.iter().map(|l| l.class).collect::<BTreeSet<_>>().len(),
        docs.len(),
        mentions
    );
    let mut header = format!("{:<28}", "class");
    for c in &conditions {
        header.push_str(&format!(" {:>19}", format!("{} R / P", c.label())));
    }
    println!("{header}");
    let classes: BTreeSet<Class> = ls.iter().map(|l| l.class).collect();
    let mut missed: Vec<String> = Vec::new();
    let target = |c: Condition| match c {
        Condition::Clean => (0.99, 0.99),
        Condition::Noisy => (0.97, 0.97),
        // Through Tesseract the target is recall overall.
        Condition::Tesseract => (0.0, 0.0),
    };
    let cell = |s: &Score| format!("{:.1}% / {:.1}%", s.recall() * 100.0, s.precision() * 100.0);
    for class in &classes {
        let mut row = format!("{:<28}", class.label());
        for c in &conditions {
            let s = results[c].per_class.get(class).copied().unwrap_or_default();
            row.push_str(&format!(" {:>19}", cell(&s)));
            let (r, p) = target(*c);
            if s.recall() < r || s.precision() < p {
                missed.push(format!("{} / {}: {}", class.label(), c.label(), cell(&s)));
            }
        }
        println!("{row}");
    }
    let mut row = format!("{:<28}", "overall");
    let mut json_conditions = serde_json::Map::new();
    for c in &conditions {
        let mut all = Score::default();
        for s in results[c].per_class.values() {
            all.add(*s);
        }
        row.push_str(&format!(" {:>19}", cell(&all)));
        if *c == Condition::Tesseract && all.recall() < 0.95 {
            missed.push(format!("overall / tesseract recall: {}", cell(&all)));
        }
        let by_class: serde_json::Map<String, serde_json::Value> = results[c]
            .per_class
            .iter()
            .map(|(k, s)| {
                (
                    k.label().to_string(),
                    serde_json::json!({"recall": s.recall(), "precision": s.precision(), "tp": s.tp, "fp": s.fp, "fn": s.fn_}),
                )
            })
            .collect();
        let q = &results[c].per_query;
        json_conditions.insert(
            c.label().to_string(),
            serde_json::json!({
                "recall": all.recall(), "precision": all.precision(),
                "full_name_query": {"recall": q[0].recall(), "precision": q[0].precision()},
                "initials_query": {"recall": q[1].recall(), "precision": q[1].precision()},
                "classes": by_class,
            }),
        );
    }
    println!("{row}");
    for c in &conditions {
        let q = &results[c].per_query;
        println!(
            "{}: full-name queries {}, «Фамилия И. О.» queries {}",
            c.label(),
            cell(&q[0]),
            cell(&q[1])
        );
    }
    println!(
        "{}",
        serde_json::json!({"bench": "names", "learners": ls.len(), "documents": docs.len(), "mentions": mentions, "conditions": json_conditions})
    );
    if missed.is_empty() {
        println!("all targets met");
    } else {
        println!("targets missed:\n  {}", missed.join("\n  "));
        if strict {
            std::process::exit(1);
        }
    }
}
