//! The nomenclature of cases: document kinds, their case index and title, retention
//! period, basis and ЭПК mark, and the organisation's own fields. Everything about
//! periods lives in this editable file, never in code.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

pub const DEFAULT_NOMENCLATURE: &str = include_str!("../../config/nomenclature.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nomenclature {
    pub organisation: Organisation,
    #[serde(rename = "kind")]
    pub kinds: Vec<Kind>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    pub fund_number: String,
    #[serde(default)]
    pub fund_name: String,
    pub source_of_acquisition: bool,
    #[serde(default)]
    pub head_position: String,
    #[serde(default)]
    pub head_name: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub periods_basis: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub id: String,
    pub name: String,
    pub case_index: String,
    pub case_title: String,
    pub period: Period,
    pub basis: String,
    #[serde(default)]
    pub epk: bool,
    #[serde(default)]
    pub per_group: bool,
}

/// A retention period as written in lists of documents (DOMAIN.md §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Years(u32),
    Permanent,
    /// 75 years for cases closed before 2003, else 50 (law 125-ФЗ art. 22.1).
    FiftySeventyFive,
    YearsAfterEvent {
        years: u32,
        event: String,
    },
    UntilNoLongerNeeded,
}

const PERIOD_FORMS: &str =
    "\"N years\", \"permanent\", \"50/75\", \"N years after EVENT\" or \"until no longer needed\"";

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_lowercase();
        let bad = || format!("period \"{s}\" is not one of {PERIOD_FORMS}");
        match t.as_str() {
            "permanent" | "постоянно" => return Ok(Period::Permanent),
            "50/75" | "50/75 years" => return Ok(Period::FiftySeventyFive),
            "until no longer needed" | "до минования надобности" => {
                return Ok(Period::UntilNoLongerNeeded);
            }
            _ => {}
        }
        let mut words = t.split_whitespace();
        let years: u32 = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
        if years == 0 || years > 1000 {
            return Err(bad());
        }
        match words.next() {
            Some("year" | "years") => {}
            _ => return Err(bad()),
        }
        match (words.next(), words.next()) {
            (None, _) => Ok(Period::Years(years)),
            (Some("after"), Some(event)) => {
                let rest: Vec<&str> = std::iter::once(event).chain(words).collect();
                Ok(Period::YearsAfterEvent {
                    years,
                    event: rest.join(" "),
                })
            }
            _ => Err(bad()),
        }
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Years(n) => write!(f, "{n} years"),
            Period::Permanent => write!(f, "permanent"),
            Period::FiftySeventyFive => write!(f, "50/75"),
            Period::YearsAfterEvent { years, event } => write!(f, "{years} years after {event}"),
            Period::UntilNoLongerNeeded => write!(f, "until no longer needed"),
        }
    }
}

impl Period {
    /// The period as the official form writes it («5 лет», «Постоянно», …).
    pub fn russian(&self, source_of_acquisition: bool) -> String {
        match self {
            Period::Years(n) => format!("{n} {}", years_word(*n)),
            Period::Permanent if source_of_acquisition => "Постоянно".into(),
            Period::Permanent => "До ликвидации организации".into(),
            Period::FiftySeventyFive => "50/75 лет".into(),
            Period::YearsAfterEvent { years, event } => {
                format!("{years} {} после {event}", years_word(*years))
            }
            Period::UntilNoLongerNeeded => "До минования надобности".into(),
        }
    }
}

/// «год», «года», «лет» by the Russian plural rule.
pub fn years_word(n: u32) -> &'static str {
    let (m10, m100) = (n % 10, n % 100);
    if m10 == 1 && m100 != 11 {
        "год"
    } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
        "года"
    } else {
        "лет"
    }
}

impl Nomenclature {
    pub fn parse(text: &str, origin: &Path) -> Result<Nomenclature, ConfigError> {
        let n: Nomenclature =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(origin, text, &e))?;
        let mut seen = std::collections::HashSet::new();
        for k in &n.kinds {
            if !seen.insert(k.id.as_str()) {
                return Err(ConfigError::Invalid {
                    file: origin.to_path_buf(),
                    key: format!("kind.id = \"{}\"", k.id),
                    message: "allowed: each kind id once".into(),
                });
            }
            if crate::store::naming::sanitize_component(&k.id, 64) != k.id || k.id.contains(' ') {
                return Err(ConfigError::Invalid {
                    file: origin.to_path_buf(),
                    key: format!("kind.id = \"{}\"", k.id),
                    message: "allowed: letters, digits and '-' (it names a folder in each box)"
                        .into(),
                });
            }
        }
        if n.kinds.is_empty() {
            return Err(ConfigError::Invalid {
                file: origin.to_path_buf(),
                key: "kind".into(),
                message: "allowed: at least one [[kind]] table".into(),
            });
        }
        Ok(n)
    }

    pub fn load(path: &Path) -> Result<Nomenclature, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: path.to_path_buf(),
            source: e,
        })?;
        Self::parse(&text, path)
    }

    pub fn embedded() -> Nomenclature {
        Self::parse(DEFAULT_NOMENCLATURE, Path::new("embedded nomenclature"))
            .expect("embedded config/nomenclature.toml is valid")
    }

    pub fn kind(&self, id: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.id == id)
    }

    pub fn kind_ids(&self) -> Vec<&str> {
        self.kinds.iter().map(|k| k.id.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_matches_records_md() {
        let n = Nomenclature::embedded();
        let k = n.kind("order-completion").unwrap();
        assert_eq!(k.case_index, "01-02");
        assert_eq!(k.period, Period::FiftySeventyFive);
        assert!(k.epk);
        assert_eq!(n.kind("journal").unwrap().period, Period::Years(5));
        assert_eq!(n.kind("test").unwrap().period, Period::Years(1));
        assert_eq!(n.kind("other").unwrap().period, Period::UntilNoLongerNeeded);
        assert!(!n.organisation.source_of_acquisition);
        assert_eq!(n.kinds.len(), 7);
    }

    #[test]
    fn period_forms() {
        assert_eq!(
            "3 years after contract end".parse::<Period>().unwrap(),
            Period::YearsAfterEvent {
                years: 3,
                event: "contract end".into()
            }
        );
        assert_eq!("1 year".parse::<Period>().unwrap(), Period::Years(1));
        assert!("forever".parse::<Period>().is_err());
        assert!("0 years".parse::<Period>().is_err());
        assert_eq!(
            Period::Permanent.russian(false),
            "До ликвидации организации"
        );
        assert_eq!(Period::Years(5).russian(true), "5 лет");
        assert_eq!(Period::Years(3).russian(true), "3 года");
        assert_eq!(Period::Years(21).russian(true), "21 год");
    }

    #[test]
    fn bad_period_names_line_and_forms() {
        let text = DEFAULT_NOMENCLATURE.replace("period = \"5 years\"", "period = \"5 yrs\"");
        let err = Nomenclature::parse(&text, Path::new("n.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("n.toml") && err.contains("line") && err.contains("50/75"),
            "{err}"
        );
    }
}
