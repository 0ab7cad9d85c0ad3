//! Russian numerals as official forms write them: a count in words that agrees with its
//! noun in gender («одно дело», «один документ», «одна тысяча»), and the noun in the form
//! the number asks for («1 дело», «2 дела», «5 дел»).

/// The gender of the counted noun: only «один/одна/одно» and «два/две» change with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// «документ», «лист», «короб»
    Masculine,
    /// «единица», «тысяча»
    Feminine,
    /// «дело»
    Neuter,
}

/// Which of a noun's three count forms a number takes: 0 for 1, 21, 101 («дело»),
/// 1 for 2–4, 22–24 («дела»), 2 for 0, 5–20, 25–30, 111 («дел»).
pub fn plural_form(n: u32) -> usize {
    let (n10, n100) = (n % 10, n % 100);
    if (11..=14).contains(&n100) {
        2
    } else if n10 == 1 {
        0
    } else if (2..=4).contains(&n10) {
        1
    } else {
        2
    }
}

/// The form of a noun that goes with `n`: `plural(n, ["дело", "дела", "дел"])`.
pub fn plural(n: u32, forms: [&'static str; 3]) -> &'static str {
    forms[plural_form(n)]
}

/// Words for 1..=999 in the given gender (nothing for 0).
fn triple_words(n: u32, gender: Gender, out: &mut Vec<&'static str>) {
    const HUNDREDS: [&str; 10] = [
        "",
        "сто",
        "двести",
        "триста",
        "четыреста",
        "пятьсот",
        "шестьсот",
        "семьсот",
        "восемьсот",
        "девятьсот",
    ];
    const TENS: [&str; 10] = [
        "",
        "",
        "двадцать",
        "тридцать",
        "сорок",
        "пятьдесят",
        "шестьдесят",
        "семьдесят",
        "восемьдесят",
        "девяносто",
    ];
    const TEENS: [&str; 10] = [
        "десять",
        "одиннадцать",
        "двенадцать",
        "тринадцать",
        "четырнадцать",
        "пятнадцать",
        "шестнадцать",
        "семнадцать",
        "восемнадцать",
        "девятнадцать",
    ];
    const UNITS: [&str; 10] = [
        "",
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
    ];
    let (h, t, u) = (n / 100 % 10, n / 10 % 10, n % 10);
    if h > 0 {
        out.push(HUNDREDS[h as usize]);
    }
    if t == 1 {
        out.push(TEENS[u as usize]);
        return;
    }
    if t > 1 {
        out.push(TENS[t as usize]);
    }
    match (u, gender) {
        (0, _) => {}
        (1, Gender::Feminine) => out.push("одна"),
        (1, Gender::Neuter) => out.push("одно"),
        (2, Gender::Feminine) => out.push("две"),
        _ => out.push(UNITS[u as usize]),
    }
}

/// A cardinal in words agreeing with a noun of the given gender:
/// `number_words(21, Gender::Masculine)` → «двадцать один», `(2, Feminine)` → «две».
pub fn number_words(n: u32, gender: Gender) -> String {
    if n == 0 {
        return "ноль".to_string();
    }
    // (scale, gender of the scale noun, its three count forms)
    const SCALES: [(u32, Gender, [&str; 3]); 3] = [
        (
            1_000_000_000,
            Gender::Masculine,
            ["миллиард", "миллиарда", "миллиардов"],
        ),
        (
            1_000_000,
            Gender::Masculine,
            ["миллион", "миллиона", "миллионов"],
        ),
        (1_000, Gender::Feminine, ["тысяча", "тысячи", "тысяч"]),
    ];
    let mut words = Vec::new();
    let mut rest = n;
    for (scale, scale_gender, forms) in SCALES {
        let group = rest / scale;
        rest %= scale;
        if group > 0 {
            triple_words(group, scale_gender, &mut words);
            words.push(plural(group, forms));
        }
    }
    triple_words(rest, gender, &mut words);
    words.join(" ")
}

/// 21 → «двадцать одно»: agrees with «дело».
pub fn number_words_neuter(n: u32) -> String {
    number_words(n, Gender::Neuter)
}

/// «дело» / «дела» / «дел».
pub fn cases_word(n: u32) -> &'static str {
    plural(n, ["дело", "дела", "дел"])
}

/// «документ» / «документа» / «документов».
pub fn documents_word(n: u32) -> &'static str {
    plural(n, ["документ", "документа", "документов"])
}

/// «лист» / «листа» / «листов».
pub fn sheets_word(n: u32) -> &'static str {
    plural(n, ["лист", "листа", "листов"])
}

/// After «на»: «на 1 листе», «на 21 листе», but «на 2 листах», «на 11 листах».
pub fn sheets_prepositional(n: u32) -> &'static str {
    if n % 10 == 1 && n % 100 != 11 {
        "листе"
    } else {
        "листах"
    }
}

/// «3 (три) дела», «21 (двадцать одно) дело»: the count as the final entries of acts and
/// inventories write it, in digits and in words.
pub fn count_cases(n: u32) -> String {
    format!("{n} ({}) {}", number_words_neuter(n), cases_word(n))
}

/// «21 (двадцать один) документ».
pub fn count_documents(n: u32) -> String {
    format!(
        "{n} ({}) {}",
        number_words(n, Gender::Masculine),
        documents_word(n)
    )
}

/// «2 (два) листа».
pub fn count_sheets(n: u32) -> String {
    format!(
        "{n} ({}) {}",
        number_words(n, Gender::Masculine),
        sheets_word(n)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neuter_words_agree_with_delo() {
        for (n, w) in [
            (0, "ноль"),
            (1, "одно"),
            (2, "два"),
            (3, "три"),
            (5, "пять"),
            (11, "одиннадцать"),
            (21, "двадцать одно"),
            (100, "сто"),
            (101, "сто одно"),
            (111, "сто одиннадцать"),
            (1000, "одна тысяча"),
            (2005, "две тысячи пять"),
            (11000, "одиннадцать тысяч"),
            (21001, "двадцать одна тысяча одно"),
            (123456, "сто двадцать три тысячи четыреста пятьдесят шесть"),
            (
                999_999,
                "девятьсот девяносто девять тысяч девятьсот девяносто девять",
            ),
            (1_000_001, "один миллион одно"),
            (2_000_000_000, "два миллиарда"),
        ] {
            assert_eq!(number_words_neuter(n), w, "{n}");
        }
    }

    #[test]
    fn genders_differ_only_in_one_and_two() {
        assert_eq!(number_words(1, Gender::Masculine), "один");
        assert_eq!(number_words(1, Gender::Feminine), "одна");
        assert_eq!(number_words(2, Gender::Masculine), "два");
        assert_eq!(number_words(2, Gender::Feminine), "две");
        assert_eq!(number_words(2, Gender::Neuter), "два");
        assert_eq!(number_words(22, Gender::Feminine), "двадцать две");
        assert_eq!(number_words(5, Gender::Feminine), "пять");
    }

    #[test]
    fn nouns_take_the_form_the_number_asks_for() {
        for (n, case, doc, sheet, prep) in [
            (0, "дел", "документов", "листов", "листах"),
            (1, "дело", "документ", "лист", "листе"),
            (2, "дела", "документа", "листа", "листах"),
            (4, "дела", "документа", "листа", "листах"),
            (5, "дел", "документов", "листов", "листах"),
            (11, "дел", "документов", "листов", "листах"),
            (12, "дел", "документов", "листов", "листах"),
            (14, "дел", "документов", "листов", "листах"),
            (21, "дело", "документ", "лист", "листе"),
            (22, "дела", "документа", "листа", "листах"),
            (25, "дел", "документов", "листов", "листах"),
            (101, "дело", "документ", "лист", "листе"),
            (111, "дел", "документов", "листов", "листах"),
            (1001, "дело", "документ", "лист", "листе"),
        ] {
            assert_eq!(cases_word(n), case, "{n}");
            assert_eq!(documents_word(n), doc, "{n}");
            assert_eq!(sheets_word(n), sheet, "{n}");
            assert_eq!(sheets_prepositional(n), prep, "{n}");
        }
    }

    #[test]
    fn counts_in_digits_and_words() {
        assert_eq!(count_cases(1), "1 (одно) дело");
        assert_eq!(count_cases(2), "2 (два) дела");
        assert_eq!(count_cases(5), "5 (пять) дел");
        assert_eq!(count_cases(11), "11 (одиннадцать) дел");
        assert_eq!(count_cases(21), "21 (двадцать одно) дело");
        assert_eq!(count_cases(101), "101 (сто одно) дело");
        assert_eq!(count_documents(21), "21 (двадцать один) документ");
        assert_eq!(count_documents(2), "2 (два) документа");
        assert_eq!(count_sheets(101), "101 (сто один) лист");
        assert_eq!(count_sheets(12), "12 (двенадцать) листов");
    }
}
