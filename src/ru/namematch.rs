//! Whether a name written in a document names the person a query asks for, with OCR
//! errors anywhere in a word, endings included.
//!
//! The surname is matched on its declension paradigm: the query's surname key gives its
//! class (-ов/-ин, -ский, adjectival, consonant-final, soft, indeclinable) and so every
//! case form in both genders; a written form matches when it is within a few letter
//! edits of one of them («Сидорозой» is one edit from «Сидоровой»). A key derived from
//! the written ending alone cannot do that: the wrong ending breaks the key. The first
//! name and patronymic must then agree — in full, on their stems, when both sides write
//! them out; by initial otherwise — and so must gender where both sides show it, so
//! namesakes with other initials stay apart.

use super::person::{
    PersonKey, SurnameClass, class_of_key_part, gender_from_patronymic, gender_from_surname,
};

/// How a written name matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// Every part as the query writes it, up to case endings.
    Exact,
    /// Within the letter edits OCR makes.
    Approximate,
}

/// Letter edits allowed in a surname form of `len` letters: none in very short names
/// (Ли, Цой), one up to six letters, two beyond.
pub fn surname_tolerance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    }
}

/// Letter edits allowed between two stems of given names.
fn given_tolerance(len: usize) -> usize {
    match len {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// Levenshtein distance by characters, or None when it exceeds `max`.
pub fn levenshtein(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        let mut row_min = cur[0];
        for (j, &cb) in b.iter().enumerate() {
            let v = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            cur[j + 1] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        prev = cur;
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// Slots of a paradigm: six cases of the masculine, six of the feminine, four plural.
const SLOTS: usize = 16;

/// Every case form of one hyphen-free surname part, slot by slot.
fn part_paradigm(key: &str) -> [String; SLOTS] {
    let with = |stem: &str, ends: [&str; SLOTS]| ends.map(|e| format!("{stem}{e}"));
    let soft_i = |stem: &str| stem.ends_with(['к', 'г', 'х', 'ж', 'ш', 'ч', 'щ']);
    match class_of_key_part(key) {
        SurnameClass::Family => with(
            key,
            [
                "", "а", "у", "а", "ым", "е", "а", "ой", "ой", "у", "ой", "ою", "ы", "ых", "ым",
                "ыми",
            ],
        ),
        SurnameClass::Sk => {
            let stem = &key[..key.len() - "ий".len()];
            let mut f = with(
                stem,
                [
                    "ий", "ого", "ому", "ого", "им", "ом", "ая", "ой", "ой", "ую", "ой", "ою",
                    "ие", "их", "им", "ими",
                ],
            );
            f[0] = key.to_string();
            f
        }
        SurnameClass::Adjectival => {
            let stem = &key[..key.len() - "ой".len()];
            let y = if soft_i(stem) { "и" } else { "ы" };
            let mut f = with(
                stem,
                [
                    "ой", "ого", "ому", "ого", "", "ом", "ая", "ой", "ой", "ую", "ой", "ою", "",
                    "", "", "",
                ],
            );
            f[4] = format!("{stem}{y}м");
            f[12] = format!("{stem}{y}е");
            f[13] = format!("{stem}{y}х");
            f[14] = format!("{stem}{y}м");
            f[15] = format!("{stem}{y}ми");
            f
        }
        SurnameClass::Soft => {
            let stem = &key[..key.len() - "ь".len()];
            let mut f: [String; SLOTS] = std::array::from_fn(|_| key.to_string());
            for (i, e) in ["ь", "я", "ю", "я", "ем", "е"].iter().enumerate() {
                f[i] = format!("{stem}{e}");
            }
            f
        }
        SurnameClass::Noun => {
            let ins = if key.ends_with(['ж', 'ш', 'ч', 'щ', 'ц']) {
                "ем"
            } else {
                "ом"
            };
            let mut f: [String; SLOTS] = std::array::from_fn(|_| key.to_string());
            for (i, e) in ["", "а", "у", "а", ins, "е"].iter().enumerate() {
                f[i] = format!("{key}{e}");
            }
            f
        }
        SurnameClass::Indeclinable => std::array::from_fn(|_| key.to_string()),
    }
}

/// Every case form, both genders and the plural, of a surname given by its key
/// (`surname_key`), hyphenated surnames declined part by part in agreement
/// («Римского-Корсакова»). Adjectival keys also give the -ый nominative (Белый), whose
/// key is the same as Белой's.
pub fn paradigm(key: &str) -> Vec<String> {
    let parts: Vec<[String; SLOTS]> = key.split('-').map(part_paradigm).collect();
    let mut out: Vec<String> = (0..SLOTS)
        .map(|slot| {
            parts
                .iter()
                .map(|p| p[slot].as_str())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    if key.split('-').count() == 1 && class_of_key_part(key) == SurnameClass::Adjectival {
        let stem = &key[..key.len() - "ой".len()];
        out.push(format!("{stem}ый"));
        out.push(format!("{stem}ий"));
    }
    out.sort();
    out.dedup();
    out
}

/// A given name or patronymic without its case ending: «ивану» → «иван», «анной» →
/// «анн», «марией» → «мар», «сергеевне» → «сергеевн», «ильичом» → «ильич».
pub fn given_stem(word: &str) -> &str {
    const ENDINGS: [&str; 26] = [
        "ией", "ьей", "ием", "ой", "ою", "ей", "ем", "ом", "ью", "ья", "ьи", "ье", "ия", "ии",
        "ию", "ие", "а", "я", "у", "ю", "е", "ы", "и", "й", "ь", "о",
    ];
    for e in ENDINGS {
        if let Some(stem) = word.strip_suffix(e)
            && stem.chars().count() >= 2
        {
            return stem;
        }
    }
    word
}

/// Edits between two given names (or patronymics) as written, or None when they name
/// different people. Unknown on either side agrees; otherwise the initials must be the
/// same, and two written-out names must agree on their stems within OCR's edits.
fn given_edits(
    q_full: Option<&str>,
    q_init: Option<char>,
    m_full: Option<&str>,
    m_init: Option<char>,
) -> Option<usize> {
    let (Some(qi), Some(mi)) = (q_init, m_init) else {
        return Some(0);
    };
    // Other initials are another person, however close the rest is (Елена / Алёна).
    if qi != mi {
        return None;
    }
    match (q_full, m_full) {
        (Some(q), Some(m)) => {
            let (qs, ms) = (given_stem(q), given_stem(m));
            let tol = given_tolerance(qs.chars().count().max(ms.chars().count()));
            let on_stems = levenshtein(qs, ms, tol);
            // A nominative can look like a case form of a shorter stem («Артём» like an
            // instrumental in -ем, «Сергей» in -ей), so its stem and that of «Артёму»
            // differ; a query is usually typed in the nominative, so its case forms
            // are also tried, whole words against the written word.
            let whole_tol = surname_tolerance(m.chars().count());
            let on_forms = given_paradigm(q)
                .iter()
                .filter_map(|f| levenshtein(f, m, whole_tol))
                .min();
            match (on_stems, on_forms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        _ => Some(0),
    }
}

/// The case forms of a given name or patronymic written in the nominative («артем» →
/// «артема», «артему», «артемом» …; «мария» → «марии», «марию», «марией»), read off its
/// ending; a name that does not decline (or is not a nominative) gives itself.
pub fn given_paradigm(nominative: &str) -> Vec<String> {
    let forms = |stem: &str, ends: &[&str]| -> Vec<String> {
        ends.iter().map(|e| format!("{stem}{e}")).collect()
    };
    let w = nominative;
    let last = w.chars().next_back();
    if let Some(stem) = w.strip_suffix("ия") {
        return forms(stem, &["ия", "ии", "ию", "ией"]);
    }
    if let Some(stem) = w.strip_suffix("ья") {
        return forms(stem, &["ья", "ьи", "ье", "ью", "ьей"]);
    }
    if let Some(stem) = w.strip_suffix('а') {
        return forms(stem, &["а", "ы", "и", "е", "у", "ой", "ою"]);
    }
    if let Some(stem) = w.strip_suffix('я') {
        return forms(stem, &["я", "и", "е", "ю", "ей", "ею"]);
    }
    if let Some(stem) = w.strip_suffix('й') {
        return forms(stem, &["й", "я", "ю", "ем", "е"]);
    }
    if let Some(stem) = w.strip_suffix('ь') {
        return forms(stem, &["ь", "я", "ю", "ем", "е", "и", "ью"]);
    }
    match last {
        Some(c) if c.is_alphabetic() && !"аеиоуыэюя".contains(c) => {
            forms(w, &["", "а", "у", "ом", "ем", "е"])
        }
        _ => vec![w.to_string()],
    }
}

/// A query's person, with its surname paradigm ready for matching written names.
#[derive(Debug, Clone)]
pub struct NameQuery {
    pub key: PersonKey,
    /// Every case form of the surname in both genders ([`paradigm`]).
    pub forms: Vec<String>,
}

impl NameQuery {
    pub fn new(mut key: PersonKey) -> NameQuery {
        let forms = paradigm(&key.surname);
        // A surname alone asks for the family: «Иванов» finds Иванова too.
        if key.first.is_none() {
            key.gender = None;
        }
        NameQuery { key, forms }
    }

    /// Letter edits between a written surname form and the nearest form of the query's
    /// surname, or None when it is further than OCR's errors reach.
    pub fn surname_edits(&self, form: &str) -> Option<usize> {
        if super::person::surname_key(form) == self.key.surname {
            return Some(0);
        }
        let tol = surname_tolerance(form.chars().count());
        self.forms
            .iter()
            .filter_map(|f| levenshtein(form, f, tol))
            .min()
    }

    /// Whether a person term's first name and patronymic can fit the query: the cheap
    /// half of [`NameQuery::matches`], run on the term's text before it is parsed whole
    /// (most terms the surname automaton reaches are other people with that surname).
    pub fn given_names_fit(&self, term: &str) -> bool {
        let mut parts = term.split(crate::ru::person::TERM_SEP).skip(1);
        let mut part = || {
            let p = parts.next().filter(|p| !p.is_empty());
            (
                p.filter(|p| p.chars().nth(1).is_some()),
                p.and_then(|p| p.chars().next()),
            )
        };
        let (first_name, first) = part();
        let (patronymic_name, patronymic) = part();
        let q = &self.key;
        given_edits(q.first_name.as_deref(), q.first, first_name, first).is_some()
            && given_edits(
                q.patronymic_name.as_deref(),
                q.patronymic,
                patronymic_name,
                patronymic,
            )
            .is_some()
    }

    /// Whether a written name names the queried person, and how closely.
    pub fn matches(&self, m: &PersonKey) -> Option<Match> {
        self.matches_with_surname(m, self.surname_edits(&m.form)?)
    }

    /// [`NameQuery::matches`] with the surname's edits already known (the same written
    /// surname recurs in many terms: [`NameQuery::surname_edits`] once per form).
    pub fn matches_with_surname(&self, m: &PersonKey, surname: usize) -> Option<Match> {
        let q = &self.key;
        let first = given_edits(
            q.first_name.as_deref(),
            q.first,
            m.first_name.as_deref(),
            m.first,
        )?;
        let patronymic = given_edits(
            q.patronymic_name.as_deref(),
            q.patronymic,
            m.patronymic_name.as_deref(),
            m.patronymic,
        )?;
        if !self.gender_agrees(m, surname) {
            return None;
        }
        // Two edits in a surname are a lot: ask for a given name written out in full and
        // agreeing, not just an initial.
        if surname >= 2 {
            let full_agrees =
                |qf: &Option<String>, mf: &Option<String>| qf.is_some() && mf.is_some();
            if !(full_agrees(&q.first_name, &m.first_name)
                || full_agrees(&q.patronymic_name, &m.patronymic_name))
            {
                return None;
            }
        }
        Some(if surname + first + patronymic == 0 {
            Match::Exact
        } else {
            Match::Approximate
        })
    }

    /// Gender must agree where both sides show it: a written patronymic always counts; a
    /// surname form only one gender uses counts when it is spelled right (an OCR error
    /// can turn «Иванова» into «Иванов»).
    fn gender_agrees(&self, m: &PersonKey, surname_edits: usize) -> bool {
        let Some(want) = self.key.gender else {
            return true;
        };
        let strong = m
            .patronymic_name
            .as_deref()
            .and_then(gender_from_patronymic);
        let seen = match strong {
            Some(g) => Some(g),
            None if surname_edits == 0 => gender_from_surname(&m.form),
            None => None,
        };
        seen.is_none_or(|g| g == want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ru::person::parse_name;

    #[test]
    fn the_quick_given_name_check_never_drops_a_match() {
        let terms = [
            "иванову|и|п",
            "иванову|ивану|петровичу",
            "иванова|анна|петровна",
            "иванов|и|",
            "иванов||",
            "иванов|п|и",
            "иванов|иван|",
            "иванов|ивна|петрович",
            "иванова|а|п",
        ];
        for query in [
            "Иванов И. П.",
            "Иванов Иван Петрович",
            "Иванова А.",
            "Иванов",
        ] {
            let q = NameQuery::new(parse_name(query).unwrap());
            for t in terms {
                let full = PersonKey::from_term(t).and_then(|k| q.matches(&k));
                if full.is_some() {
                    assert!(q.given_names_fit(t), "{query} / {t}");
                }
            }
        }
        let q = NameQuery::new(parse_name("Иванов И. П.").unwrap());
        assert!(!q.given_names_fit("иванов|п|и"));
    }

    fn q(s: &str) -> NameQuery {
        NameQuery::new(parse_name(s).unwrap())
    }

    fn m(s: &str) -> Option<Match> {
        parse_name(s).and_then(|k| MATCHER.with(|x| x.matches(&k)))
    }

    thread_local! {
        static MATCHER: NameQuery = q("Сидорова Анна Сергеевна");
    }

    #[test]
    fn paradigms_by_class() {
        let p = paradigm("сидоров");
        for f in [
            "сидоров",
            "сидорова",
            "сидоровой",
            "сидорову",
            "сидоровым",
            "сидорове",
        ] {
            assert!(p.contains(&f.to_string()), "{f}");
        }
        let p = paradigm("каменский");
        for f in [
            "каменский",
            "каменского",
            "каменскому",
            "каменским",
            "каменская",
            "каменскую",
        ] {
            assert!(p.contains(&f.to_string()), "{f}");
        }
        let p = paradigm("толстой");
        for f in ["толстой", "толстого", "толстым", "толстая", "толстую"]
        {
            assert!(p.contains(&f.to_string()), "{f}");
        }
        assert!(paradigm("шевчук").contains(&"шевчуком".to_string()));
        assert!(paradigm("гуревич").contains(&"гуревичем".to_string()));
        assert!(paradigm("гоголь").contains(&"гоголем".to_string()));
        assert_eq!(paradigm("шевченко"), vec!["шевченко"]);
        assert!(paradigm("римский-корсаков").contains(&"римского-корсакова".to_string()));
    }

    #[test]
    fn an_ocr_error_anywhere_in_the_surname_is_tolerated() {
        for s in [
            "Сидоровой Анне Сергеевне",
            "Сидорозой Анне Сергеевне",
            "Сидоровсй Анне Сергеевне",
            "Сидорова А. С.",
            "Сидоровой А.С.",
            "Сидорову Анну Сергеевну",
            "Сидороврй Анне Сергеевнс",
            "Сидоровой Анне",
        ] {
            assert!(m(s).is_some(), "{s}");
        }
        assert_eq!(m("Сидоровой Анне Сергеевне"), Some(Match::Exact));
        assert_eq!(m("Сидорозой Анне Сергеевне"), Some(Match::Approximate));
        let semenova = q("Семёнова Алёна Фёдоровна");
        let z = q("Зайцева Ольга Ивановна");
        assert!(
            semenova
                .matches(&parse_name("Семенсвой А. Ф.").unwrap())
                .is_some()
        );
        assert!(z.matches(&parse_name("Зайцевсй О. И.").unwrap()).is_some());
    }

    #[test]
    fn namesakes_and_other_genders_stay_apart() {
        for s in [
            "Сидоровой Алёне Сергеевне",
            "Сидорова И. С.",
            "Сидоров А. С.",
            "Сидорову Андрею Сергеевичу",
            "Сидоренко А. С.",
            "Петровой Анне Сергеевне",
        ] {
            assert_eq!(m(s), None, "{s}");
        }
        let elena = q("Киселёва Елена Викторовна");
        assert!(
            elena
                .matches(&parse_name("Киселеву Алену Викторовну").unwrap())
                .is_none()
        );
        assert!(
            elena
                .matches(&parse_name("Киселеву Елеиу Викторовну").unwrap())
                .is_some()
        );
        let ivan = q("Иванов Иван Петрович");
        assert!(
            ivan.matches(&parse_name("Иванову Игорю Петровичу").unwrap())
                .is_none()
        );
        assert!(
            ivan.matches(&parse_name("Иванову И. П.").unwrap())
                .is_some()
        );
    }

    #[test]
    fn bounded_levenshtein() {
        assert_eq!(levenshtein("иванов", "иваиов", 2), Some(1));
        assert_eq!(levenshtein("иванов", "петров", 2), None);
        assert_eq!(levenshtein("", "аб", 2), Some(2));
    }

    #[test]
    fn nominatives_that_look_declined_match_their_case_forms() {
        // «Артём» ends like an instrumental (-ем), «Сергей» like one in -ей: the stems of
        // the nominative and of «Артёму» differ, the nominative's paradigm does not.
        let q = q("Королёв Артём Викторович");
        for s in [
            "Королеву Артему Викторовичу",
            "Королева Артема Викторовича",
            "Королевым Артемом Викторовичем",
            "Королеву Артсму Викторовичу",
        ] {
            assert!(q.matches(&parse_name(s).unwrap()).is_some(), "{s}");
        }
        let sergey = super::NameQuery::new(parse_name("Лебедев Сергей Олегович").unwrap());
        assert!(
            sergey
                .matches(&parse_name("Лебедеву Ссргею Олеговичу").unwrap())
                .is_some()
        );
        // … but other names with the same initial stay apart.
        let maria = super::NameQuery::new(parse_name("Иванова Мария Петровна").unwrap());
        for s in ["Ивановой Марине Петровне", "Иванова Марина Петровна"]
        {
            assert!(maria.matches(&parse_name(s).unwrap()).is_none(), "{s}");
        }
        assert!(
            q.matches(&parse_name("Королеву Арсению Викторовичу").unwrap())
                .is_none()
        );
        assert_eq!(
            given_paradigm("мария"),
            vec!["мария", "марии", "марию", "марией"]
        );
    }

    #[test]
    fn stems_of_given_names() {
        for (a, b) in [
            ("ивану", "иван"),
            ("анной", "анн"),
            ("марией", "мар"),
            ("мария", "мар"),
            ("натальей", "натал"),
            ("сергеевне", "сергеевн"),
            ("ильичом", "ильич"),
            ("алексею", "алексе"),
        ] {
            assert_eq!(given_stem(a), b, "{a}");
        }
    }
}
