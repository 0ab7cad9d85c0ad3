//! Dates as Russian documents write them.

/// Russian month names in the genitive («15 марта 2024»), for parsing and printing dates.
pub const MONTHS_GENITIVE: [&str; 12] = [
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
    "ноября",
    "декабря",
];
