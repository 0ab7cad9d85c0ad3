//! Learner names in Russian records: folding, surname keys that survive
//! declension, and parsing of the ways a person is written in texts and queries.
//!
//! Keys are for matching, not for grammar: a key only has to be the same for
//! every case form and both genders of one family name, and different for
//! different families. `display` rebuilds a nominative from the key.

/// Gender, as far as the text tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Male,
    Female,
}

/// Lower-case and ё→е.
pub use crate::ru::fold;

/// Stems of the -ов/-ев/-ин/-ын possessive families (ё is already folded to е).
const FAMILY_SUFFIXES: [&str; 4] = ["ов", "ев", "ин", "ын"];
/// Case endings added to a possessive stem, longest first so "ыми" wins over "ы".
const FAMILY_ENDINGS: [&str; 9] = ["ыми", "ых", "ым", "ой", "ою", "ы", "а", "у", "е"];
/// Adjectival endings on -ск/-цк stems, longest first.
const SK_ENDINGS: [&str; 12] = [
    "ого", "ому", "ими", "ий", "ой", "ая", "ую", "им", "ом", "их", "ое", "ою",
];
/// Adjectival endings on other stems (Толстой, Толстого, Толстая ...), longest first.
/// "им" is limited to velar/sibilant stems below, where Russian spells -им for -ым.
const ADJ_ENDINGS: [&str; 14] = [
    "ого", "его", "ому", "ему", "ыми", "ий", "ый", "ой", "ая", "яя", "ую", "юю", "ым", "им",
];
/// -ской families whose nominative really is -ой (stress on the ending). Every
/// other -ск/-цк family keys as -ский, the far more common nominative; the key
/// cannot tell «Трубецкой» from the feminine «Достоевской» by itself.
const STRESSED_SK: [&str; 4] = ["трубецк", "шаховск", "донск", "луговск"];

fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

fn is_vowel(c: char) -> bool {
    "аеёиоуыэюяaeiouy".contains(c)
}

fn is_consonant(c: char) -> bool {
    is_letter(c) && !is_vowel(c) && c != 'й' && c != 'ь' && c != 'ъ'
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn last_char(s: &str) -> Option<char> {
    s.chars().next_back()
}

/// `s` without `suffix` when it ends with it (byte slicing is safe: the suffix
/// is a whole UTF-8 string).
fn strip<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    s.strip_suffix(suffix)
}

fn is_family_stem(stem: &str) -> bool {
    // Four letters at least, so a bare ending is never taken for a family.
    char_len(stem) >= 4 && FAMILY_SUFFIXES.iter().any(|f| stem.ends_with(f))
}

fn is_sk_stem(stem: &str) -> bool {
    char_len(stem) >= 4 && (stem.ends_with("ск") || stem.ends_with("цк"))
}

fn sk_key(stem: &str) -> String {
    if STRESSED_SK.contains(&stem) {
        format!("{stem}ой")
    } else {
        format!("{stem}ий")
    }
}

/// Key of one hyphen-free part of a surname, already folded and trimmed.
fn part_key(w: &str) -> String {
    if char_len(w) < 3 {
        return w.to_string();
    }
    // Indeclinable: -ко (Шевченко), -ово/-аго/-яго (Дурново, Живаго).
    if ["ко", "ово", "аго", "яго"].iter().any(|e| w.ends_with(e)) {
        return w.to_string();
    }
    // Adjectival plural -ских before the indeclinable -их test below.
    if let Some(stem) = strip(w, "их").filter(|s| is_sk_stem(s)) {
        return sk_key(stem);
    }
    // Possessive families: the stem itself is the key, checked before any
    // other reading so that Кузнецова is «кузнецов», not a form of «кузнец».
    if is_family_stem(w) {
        return w.to_string();
    }
    for e in FAMILY_ENDINGS {
        if let Some(stem) = strip(w, e).filter(|s| is_family_stem(s)) {
            return stem.to_string();
        }
    }
    // -их/-ых that is not a family plural: Siberian indeclinable (Черных, Седых).
    // This also takes Толстых, which could be a plural of Толстой.
    if w.ends_with("их") || w.ends_with("ых") {
        return w.to_string();
    }
    // Adjectival -ский/-цкий/-ской in every case and gender.
    for e in SK_ENDINGS {
        if let Some(stem) = strip(w, e).filter(|s| is_sk_stem(s)) {
            return sk_key(stem);
        }
    }
    // Other adjectival surnames (Толстой, Толстого, Толстая); all are keyed -ой
    // because the feminine -ой of a -ый family (Белой) equals the -ой nominative.
    for e in ADJ_ENDINGS {
        if let Some(stem) = strip(w, e) {
            let Some(last) = last_char(stem) else {
                continue;
            };
            let velar_or_sibilant = "кгхжшчщ".contains(last);
            if e == "им" && !velar_or_sibilant {
                continue;
            }
            if char_len(stem) >= 3 && is_consonant(last) {
                return format!("{stem}ой");
            }
        }
    }
    noun_key(w)
}

/// Consonant-final surnames declined like nouns: Шевчук/Шевчука/Шевчуком,
/// Гуревичем, Гоголя/Гоголю/Гоголем.
fn noun_key(w: &str) -> String {
    // Soft stems: -я/-ю/-ем after a non-sibilant consonant put back -ь.
    for e in ["ем", "я", "ю"] {
        if let Some(stem) = strip(w, e) {
            let Some(last) = last_char(stem) else {
                continue;
            };
            if char_len(stem) < 3 || !is_consonant(last) {
                continue;
            }
            if "жшчщц".contains(last) {
                // Hard sibilant stems take -ем in the instrumental (Гуревичем).
                if e == "ем" {
                    return stem.to_string();
                }
                continue;
            }
            return format!("{stem}ь");
        }
    }
    // Hard stems: -ом/-а/-у need 3 stem letters (Жука → жук); -е needs 4 so a
    // foreign vowel ending (Гёте) is not taken for a prepositional case.
    for (e, min) in [("ом", 3), ("а", 3), ("у", 3), ("е", 4)] {
        if let Some(stem) = strip(w, e) {
            let Some(last) = last_char(stem) else {
                continue;
            };
            if char_len(stem) >= min && is_consonant(last) {
                // -ле is the prepositional of a soft -ль stem (Гоголе); hard -л
                // surnames are rare.
                if e == "е" && last == 'л' {
                    return format!("{stem}ь");
                }
                return stem.to_string();
            }
        }
    }
    w.to_string()
}

/// Folds and drops leading/trailing non-letters (punctuation, quotes, stray hyphens).
fn clean_word(word: &str) -> String {
    fold(word.trim_matches(|c: char| !is_letter(c))) // hyphens at the edges go too
}

/// Canonical key of a surname in ANY case form and either gender: all forms
/// of one family name give the same key.
///
/// Known limits: «Кузнецова» is always the -ов family («кузнецов»), never the
/// genitive of «Кузнец»; -ской families outside a short list key as -ский;
/// first names used as surnames and -а nouns (Сорока) are not handled.
pub fn surname_key(word: &str) -> String {
    let w = clean_word(word);
    w.split('-')
        .filter(|p| !p.is_empty())
        .map(part_key)
        .collect::<Vec<_>>()
        .join("-")
}

/// A person as named in a text or a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonKey {
    /// `surname_key` of the surname.
    pub surname: String,
    /// Folded first-name initial.
    pub first: Option<char>,
    /// Folded patronymic initial.
    pub patronymic: Option<char>,
}

impl PersonKey {
    /// The surname alone, e.g. "иванов" (hyphenated surnames keep their '-').
    pub fn surname_token(&self) -> String {
        self.surname.clone()
    }

    /// Surname and first initial, e.g. "иванов_и": lets "Иванов Иван" match
    /// every Иванов И. ? without knowing the patronymic.
    pub fn first_token(&self) -> Option<String> {
        self.first.map(|f| format!("{}_{f}", self.surname))
    }

    /// Surname and both initials, e.g. "иванов_и_п"; only when both are known.
    pub fn full_token(&self) -> Option<String> {
        match (self.first, self.patronymic) {
            (Some(f), Some(p)) => Some(format!("{}_{f}_{p}", self.surname)),
            _ => None,
        }
    }
}

/// One piece of a name: its letters and whether it is a lone initial.
struct Piece {
    text: String,
    initial: bool,
}

/// Splits on spaces (incl. no-break ones), commas, semicolons and dots, so
/// "И.П.Иванов" and "Иванов И.П." give separate pieces. None when a piece holds
/// anything but letters and hyphens.
fn pieces(q: &str) -> Option<Vec<Piece>> {
    let mut out = Vec::new();
    for raw in q.split(|c: char| c.is_whitespace() || ".,;:«»\"()".contains(c)) {
        let t = raw.trim_matches('-');
        if t.is_empty() {
            continue;
        }
        if !t.chars().all(|c| is_letter(c) || c == '-') {
            return None;
        }
        out.push(Piece {
            text: fold(t),
            initial: char_len(t) == 1,
        });
    }
    Some(out)
}

fn first_char(s: &str) -> Option<char> {
    s.chars().next()
}

fn looks_like_patronymic(word: &str) -> bool {
    gender_from_patronymic(word).is_some()
}

/// Parses a name as a person types it in a search box or as found in a text:
/// "Иванов", "Иванов И. П.", "И.П.Иванов", "Иванову Ивану Петровичу",
/// "Иван Петрович Иванов", "Иванов Иван" (first initial only).
/// None for empty input, digits, or initials without a surname.
pub fn parse_name(q: &str) -> Option<PersonKey> {
    parse_parts(q).map(|p| p.key)
}

/// A parsed name with the pieces it came from, so gender can be read off the
/// right piece (a surname like Гуревич also ends in -ич).
struct Parsed {
    key: PersonKey,
    surname: String,
    patronymic: Option<String>,
}

fn parse_parts(q: &str) -> Option<Parsed> {
    let ps = pieces(q)?;
    let n = ps.len();
    if n == 0 || n > 3 {
        return None;
    }
    let surname_at = if !ps[0].initial {
        // "Иван Петрович Иванов": a patronymic in the middle puts the surname last.
        if n == 3 && !ps[1].initial && looks_like_patronymic(&ps[1].text) {
            2
        } else {
            0
        }
    } else {
        // "И. П. Иванов": initials first, then exactly one surname at the end.
        let idx = ps.iter().position(|p| !p.initial)?;
        if idx != n - 1 {
            return None;
        }
        idx
    };
    let surname = &ps[surname_at];
    let others: Vec<&Piece> = ps
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != surname_at)
        .map(|(_, p)| p)
        .collect();
    let key = surname_key(&surname.text);
    if char_len(&key) < 2 {
        return None;
    }
    Some(Parsed {
        key: PersonKey {
            surname: key,
            first: others.first().and_then(|p| first_char(&p.text)),
            patronymic: others.get(1).and_then(|p| first_char(&p.text)),
        },
        surname: surname.text.clone(),
        patronymic: others.get(1).filter(|p| !p.initial).map(|p| p.text.clone()),
    })
}

/// Gender from the surname form where it is unambiguous: -овой/-иной and
/// -ская/-скую are only feminine. Masculine forms all have a feminine twin
/// (Иванова, Ивановым in the plural), so they say nothing.
fn gender_from_surname(word: &str) -> Option<Gender> {
    let w = clean_word(word);
    let last = w.rsplit('-').next().unwrap_or(&w);
    for e in ["ой", "ою"] {
        if strip(last, e).is_some_and(is_family_stem) {
            return Some(Gender::Female);
        }
    }
    for e in ["ая", "ую", "яя", "юю"] {
        if strip(last, e).is_some_and(|s| char_len(s) >= 3) {
            return Some(Gender::Female);
        }
    }
    None
}

/// Parses like `parse_name` and also tells the gender when the text shows it:
/// from a full patronymic first, else from a feminine surname form.
pub fn parse_name_with_gender(q: &str) -> Option<(PersonKey, Option<Gender>)> {
    let p = parse_parts(q)?;
    let gender = p
        .patronymic
        .as_deref()
        .and_then(gender_from_patronymic)
        .or_else(|| gender_from_surname(&p.surname));
    Some((p.key, gender))
}

/// Gender from the patronymic when known: -вич/-ич* → male,
/// -вна/-ична/-инична* (any case) → female; Turkic оглы/кызы too.
pub fn gender_from_patronymic(p: &str) -> Option<Gender> {
    let w = clean_word(p);
    // Case endings of -ич (Петрович, -а, -у, -ем, -е; Ильичом).
    const MALE: [&str; 6] = ["ич", "ича", "ичу", "ичем", "ичом", "иче"];
    // -вна/-чна and their case endings (Петровна, -ы, -е, -у, -ой, -ою).
    const FEMALE_TAIL: [&str; 6] = ["а", "ы", "е", "у", "ой", "ою"];
    if MALE.iter().any(|e| w.ends_with(e)) && char_len(&w) > 4 {
        return Some(Gender::Male);
    }
    for e in FEMALE_TAIL {
        let feminine_stem =
            |stem: &&str| (stem.ends_with("вн") || stem.ends_with("чн")) && char_len(stem) > 3;
        if strip(&w, e).filter(feminine_stem).is_some() {
            return Some(Gender::Female);
        }
    }
    if w.ends_with("оглы") || w.ends_with("улы") {
        return Some(Gender::Male);
    }
    if w.ends_with("кызы") || w.ends_with("гызы") {
        return Some(Gender::Female);
    }
    None
}

fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// Nominative of one surname part from its key.
fn nominative_part(part: &str, gender: Option<Gender>) -> String {
    if gender != Some(Gender::Female) {
        return part.to_string();
    }
    if is_family_stem(part) {
        return format!("{part}а");
    }
    // Adjectival keys end -ий (ск/цк) or -ой (Толстой, Трубецкой): feminine -ая.
    for e in ["ий", "ой"] {
        if let Some(stem) = strip(part, e).filter(|s| char_len(s) >= 3) {
            return format!("{stem}ая");
        }
    }
    // Consonant-final and indeclinable surnames do not change for women.
    part.to_string()
}

/// Display form in the nominative: "Иванов И. П." / "Сидорова А. С."
/// (unknown gender → masculine form). ё is not restored (Королев).
pub fn display(key: &PersonKey, gender: Option<Gender>) -> String {
    let surname = key
        .surname
        .split('-')
        .map(|p| capitalise(&nominative_part(p, gender)))
        .collect::<Vec<_>>()
        .join("-");
    let initials: Vec<String> = [key.first, key.patronymic]
        .iter()
        .flatten()
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect();
    if initials.is_empty() {
        surname
    } else {
        format!("{surname} {}", initials.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form in a row must give the row's key.
    const FAMILIES: &[(&str, &[&str])] = &[
        (
            "иванов",
            &[
                "Иванов",
                "Иванова",
                "Иванову",
                "Ивановым",
                "Иванове",
                "Ивановой",
                "Ивановых",
                "Ивановыми",
                "ИВАНОВ",
                "иванову,",
                "Иванова.",
                "Иванову;",
            ],
        ),
        ("сидоров", &["Сидоров", "Сидорова", "Сидоровой", "Сидорову"]),
        (
            "королев",
            &[
                "Королёв",
                "Королев",
                "Королева",
                "Королеву",
                "Королёвым",
                "Королёва",
            ],
        ),
        (
            "пушкин",
            &["Пушкин", "Пушкина", "Пушкину", "Пушкиным", "Пушкиной"],
        ),
        ("сорокин", &["Сорокин", "Сорокина", "Сорокиной"]),
        ("лисицын", &["Лисицын", "Лисицына", "Лисицыной"]),
        ("соловьев", &["Соловьёв", "Соловьева", "Соловьёвой"]),
        (
            "кузнецов",
            &["Кузнецов", "Кузнецова", "Кузнецову", "Кузнецовой"],
        ),
        (
            "достоевский",
            &[
                "Достоевский",
                "Достоевского",
                "Достоевскому",
                "Достоевским",
                "Достоевском",
                "Достоевская",
                "Достоевской",
                "Достоевскую",
                "Достоевских",
            ],
        ),
        (
            "трубецкой",
            &["Трубецкой", "Трубецкого", "Трубецкая", "Трубецкую"],
        ),
        (
            "толстой",
            &[
                "Толстой",
                "Толстого",
                "Толстому",
                "Толстым",
                "Толстая",
                "Толстую",
            ],
        ),
        (
            "петровский",
            &["Петровский", "Петровского", "Петровская", "Петровской"],
        ),
        (
            "шевчук",
            &["Шевчук", "Шевчука", "Шевчуку", "Шевчуком", "Шевчуке"],
        ),
        (
            "гуревич",
            &["Гуревич", "Гуревича", "Гуревичу", "Гуревичем", "Гуревиче"],
        ),
        ("мельник", &["Мельник", "Мельника", "Мельнику", "Мельником"]),
        ("кузнец", &["Кузнец", "Кузнеца", "Кузнецу", "Кузнецом"]),
        (
            "гоголь",
            &["Гоголь", "Гоголя", "Гоголю", "Гоголем", "Гоголе"],
        ),
        ("жук", &["Жук", "Жука", "Жуку", "Жуком"]),
        ("шевченко", &["Шевченко"]),
        ("иванченко", &["Иванченко"]),
        ("черных", &["Черных", "Чёрных"]),
        ("седых", &["Седых"]),
        ("дурново", &["Дурново"]),
        ("живаго", &["Живаго"]),
        ("гете", &["Гёте", "Гете"]),
        ("ивашин", &["Ивашин", "Ивашина", "Ивашиной"]),
        ("петров", &["Петров", "Петрова", "Петровой", "Петровым"]),
        (
            "римский-корсаков",
            &[
                "Римский-Корсаков",
                "Римского-Корсакова",
                "Римскому-Корсакову",
            ],
        ),
    ];

    #[test]
    fn surname_forms_share_one_key() {
        for (key, forms) in FAMILIES {
            for form in *forms {
                assert_eq!(surname_key(form), *key, "form {form}");
            }
        }
    }

    #[test]
    fn different_families_do_not_collide() {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (key, forms) in FAMILIES {
            assert!(
                !seen.iter().any(|(k, _)| k == key),
                "key {key} used by two families"
            );
            for form in *forms {
                seen.push((key, form));
            }
        }
        // The pairs the brief calls out, spelled out for the reader.
        for (a, b) in [
            ("Иванов", "Иванченко"),
            ("Иванов", "Ивашин"),
            ("Иванченко", "Ивашин"),
            ("Петров", "Петровский"),
            ("Петрова", "Петровская"),
            ("Кузнецов", "Кузнец"),
            ("Кузнецову", "Кузнецу"),
            ("Шевчук", "Шевченко"),
            ("Черных", "Чернов"),
        ] {
            assert_ne!(surname_key(a), surname_key(b), "{a} vs {b}");
        }
    }

    #[test]
    fn kuznetsova_reads_as_kuznetsov_family() {
        // «Кузнецова» could be the genitive of «Кузнец»; the -ов reading wins.
        assert_eq!(surname_key("Кузнецова"), "кузнецов");
    }

    #[test]
    fn fold_lowercases_and_drops_yo() {
        assert_eq!(fold("Королёв ЁЖ"), "королев еж");
    }

    const IVANOV_IP: &[&str] = &[
        "Иванов И. П.",
        "Иванову И.П.",
        "И. П. Иванов",
        "И.П.Иванов",
        "Иванов И.П.",
        "Иванов Иван Петрович",
        "Иванова Ивана Петровича",
        "Иванову Ивану Петровичу",
        "Ивановым Иваном Петровичем",
        "Иван Петрович Иванов",
        "  иванов   и.  п. ",
        "Иванов\u{a0}И.\u{a0}П.",
        "Иванов, Иван Петрович;",
    ];

    #[test]
    fn all_forms_of_one_person_share_full_token() {
        for q in IVANOV_IP {
            let k = parse_name(q);
            assert_eq!(
                k.as_ref().and_then(PersonKey::full_token).as_deref(),
                Some("иванов_и_п"),
                "query {q:?}"
            );
        }
    }

    #[test]
    fn other_initials_are_another_person() {
        let a = parse_name("Иванов А. С.").and_then(|k| k.full_token());
        let b = parse_name("Иванов И. П.").and_then(|k| k.full_token());
        assert_eq!(a.as_deref(), Some("иванов_а_с"));
        assert_ne!(a, b);
    }

    #[test]
    fn partial_names() {
        let only = parse_name("Иванов");
        assert_eq!(
            only,
            Some(PersonKey {
                surname: "иванов".into(),
                first: None,
                patronymic: None
            })
        );
        assert_eq!(only.as_ref().and_then(PersonKey::full_token), None);
        assert_eq!(only.map(|k| k.surname_token()).as_deref(), Some("иванов"));
        assert_eq!(
            parse_name("иванову").map(|k| k.surname),
            Some("иванов".into())
        );
        assert_eq!(
            parse_name("Королёв").map(|k| k.surname),
            Some("королев".into())
        );
        let first = parse_name("Иванов Иван");
        assert_eq!(first.as_ref().and_then(|k| k.first), Some('и'));
        assert_eq!(first.as_ref().and_then(|k| k.patronymic), None);
        assert_eq!(first.as_ref().and_then(PersonKey::full_token), None);
        assert_eq!(
            first.and_then(|k| k.first_token()).as_deref(),
            Some("иванов_и")
        );
        assert_eq!(
            parse_name("Сидоровой Анне Сергеевне").and_then(|k| k.full_token()),
            Some("сидоров_а_с".into())
        );
    }

    #[test]
    fn parse_rejects_non_names() {
        for q in [
            "",
            "   ",
            "\u{a0}",
            "123",
            "Иванов 2",
            "И.",
            "И. П.",
            "И",
            "-",
            ".,;",
            "a1b",
            "Иванов И. П. Сидоров",
        ] {
            assert_eq!(parse_name(q), None, "query {q:?}");
        }
    }

    #[test]
    fn gender_from_patronymic_any_case() {
        for p in [
            "Петрович",
            "Петровича",
            "Петровичу",
            "Петровичем",
            "Ильич",
            "Ильичом",
        ] {
            assert_eq!(gender_from_patronymic(p), Some(Gender::Male), "{p}");
        }
        for p in [
            "Сергеевна",
            "Сергеевны",
            "Сергеевне",
            "Сергеевну",
            "Сергеевной",
            "Никитична",
            "Ильиничной",
        ] {
            assert_eq!(gender_from_patronymic(p), Some(Gender::Female), "{p}");
        }
        for p in ["", "П.", "Иван", "Анна"] {
            assert_eq!(gender_from_patronymic(p), None, "{p}");
        }
    }

    #[test]
    fn display_in_nominative() {
        let shown = |q: &str| parse_name_with_gender(q).map(|(k, g)| display(&k, g));
        assert_eq!(
            shown("Сидоровой Анне Сергеевне").as_deref(),
            Some("Сидорова А. С.")
        );
        assert_eq!(
            shown("Иванову Ивану Петровичу").as_deref(),
            Some("Иванов И. П.")
        );
        // A surname ending -ич is not taken for the patronymic.
        assert_eq!(
            shown("Гуревич Анна Сергеевна").as_deref(),
            Some("Гуревич А. С.")
        );
        assert_eq!(
            shown("Достоевской А. Г.").as_deref(),
            Some("Достоевский А. Г.")
        );
        let dost = parse_name("Достоевской А. Г.");
        assert_eq!(
            dost.map(|k| display(&k, Some(Gender::Female))).as_deref(),
            Some("Достоевская А. Г.")
        );
        let plain = |q: &str, g| parse_name(q).map(|k| display(&k, g));
        assert_eq!(
            plain("Толстую", Some(Gender::Female)).as_deref(),
            Some("Толстая")
        );
        assert_eq!(
            plain("Шевчук О.", Some(Gender::Female)).as_deref(),
            Some("Шевчук О.")
        );
        assert_eq!(
            plain("Римской-Корсаковой Н. Н.", Some(Gender::Female)).as_deref(),
            Some("Римская-Корсакова Н. Н.")
        );
        assert_eq!(plain("Королёвым", None).as_deref(), Some("Королев"));
        assert_eq!(plain("Ивановой Анной", None).as_deref(), Some("Иванов А."));
    }

    #[test]
    fn gender_from_feminine_surname_form() {
        let g = |q: &str| parse_name_with_gender(q).and_then(|(_, g)| g);
        assert_eq!(g("Сидоровой А. С."), Some(Gender::Female));
        assert_eq!(g("Достоевская А. Г."), Some(Gender::Female));
        assert_eq!(g("Сидорова А. С."), None); // also the masculine genitive
        assert_eq!(g("Иванов И. П."), None);
    }
}
