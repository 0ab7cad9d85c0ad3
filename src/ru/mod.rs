//! Russian-language helpers: learner names in their declined forms and initials, the
//! results records state for them, dates as documents write them, and OCR noise in
//! Russian text.

pub mod dates;
pub mod namematch;
pub mod names;
pub mod noise;
pub mod numerals;
pub mod pattern;
pub mod person;
pub mod results;

/// A letter of the Russian alphabet, ё included.
pub fn is_russian(c: char) -> bool {
    matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё')
}

/// `char::is_alphabetic` with fast answers for ASCII and the Russian alphabet, nearly
/// all the text it sees (the general Unicode lookup was a visible share of ingest).
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        is_russian(c) || c.is_alphabetic()
    }
}

/// Lower-case, ё→е: the form in which text rules and names are compared.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn folding() {
        assert_eq!(super::fold("Королёв ЁЖ"), "королев еж");
    }
}
