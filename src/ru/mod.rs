//! Russian-language helpers: learner names in their declined forms and initials, the
//! results records state for them, dates as documents write them, and OCR noise in
//! Russian text.

pub mod dates;
pub mod namematch;
pub mod names;
pub mod noise;
pub mod person;
pub mod results;

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
