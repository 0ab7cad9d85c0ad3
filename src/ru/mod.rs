//! Russian-language helpers: learner names in their declined forms and initials.

pub mod names;
pub mod person;
