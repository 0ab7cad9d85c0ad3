//! The sidecar staff drop with a scan (`scan.pdf.toml`): read through the same no-follow
//! path as the scan, only when complete, and never thrown away. One that cannot be
//! parsed sends the scan to review with the parse error as the reason; the staff's file
//! travels with the scan, and whatever could be read of it pre-fills the review template.

use std::path::PathBuf;

use crate::ingest::input::Input;
use crate::ingest::source::{self, Identity};
use crate::store::document::{DropSidecar, flex_date};

/// Sidecars are a few lines; anything larger is not one.
const MAX_SIDECAR_BYTES: u64 = 1 << 20;

/// A dropped sidecar as it was read.
#[derive(Debug, Clone)]
pub struct Dropped {
    /// Below the input's base.
    pub rel: PathBuf,
    pub seen: Identity,
    /// Parsed, or why not (with line and allowed keys).
    pub parsed: Result<DropSidecar, String>,
    /// What could be read of it when it does not parse (for the review template).
    pub readable: DropSidecar,
}

impl Dropped {
    pub fn file_name(&self) -> String {
        self.rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Reads the sidecar dropped beside `input`, if there is one. A link or special file in
/// its place, or one too large, is reported as a sidecar that cannot be read.
pub fn read(input: &Input) -> Option<Dropped> {
    let rel = input.sidecar_rel();
    let seen = source::lstat_identity(&input.base, &rel).ok()?;
    let read = source::read_source(&input.base, &rel, MAX_SIDECAR_BYTES);
    let (parsed, readable, seen) = match read {
        Ok((bytes, _, after)) => {
            let text = String::from_utf8_lossy(&bytes);
            let parsed = match std::str::from_utf8(&bytes) {
                Ok(t) => DropSidecar::parse(t),
                Err(e) => Err(format!(
                    "it is not UTF-8 text (a bad byte at offset {}); save it as UTF-8",
                    e.valid_up_to()
                )),
            };
            let readable = match &parsed {
                Ok(s) => s.clone(),
                Err(_) => readable_part(&text),
            };
            (parsed, readable, after)
        }
        Err(e) => (
            Err(format!(
                "it cannot be read as a file ({e}); links are never followed"
            )),
            DropSidecar::default(),
            seen,
        ),
    };
    Some(Dropped {
        rel,
        seen,
        parsed,
        readable,
    })
}

/// The keys of a sidecar that parse on their own (a typo or bad value in one key does
/// not lose the others).
pub fn readable_part(text: &str) -> DropSidecar {
    // A syntax error loses the whole document: then each line is read on its own.
    let table = text.parse::<toml::Table>().unwrap_or_else(|_| {
        text.lines()
            .filter_map(|l| l.parse::<toml::Table>().ok())
            .flatten()
            .collect()
    });
    let mut s = DropSidecar::default();
    let string = |k: &str| table.get(k).and_then(|v| v.as_str()).map(str::to_string);
    s.kind = string("kind");
    s.group = string("group");
    s.number = string("number");
    s.title = string("title");
    s.programme = string("programme");
    s.learners = table.get("learners").and_then(|v| {
        v.as_array().map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
    });
    s.date = table.get("date").and_then(|v| {
        let one = toml::Table::from_iter([("date".to_string(), v.clone())]);
        DropSidecar::parse(&one.to_string()).ok()?.date
    });
    s.year = table
        .get("year")
        .and_then(|v| v.as_integer())
        .and_then(|y| i32::try_from(y).ok())
        .filter(|y| crate::store::document::PLAUSIBLE_YEARS.contains(y));
    s.events = table.get("events").and_then(|v| v.as_table()).map(|t| {
        t.iter()
            .filter_map(|(k, v)| {
                let one = toml::Table::from_iter([("d".to_string(), v.clone())]);
                let d: flex_date::FlexDate = one.get("d")?.clone().try_into().ok()?;
                crate::store::document::PLAUSIBLE_YEARS
                    .contains(&chrono::Datelike::year(&d.0))
                    .then(|| (k.clone(), d))
            })
            .collect()
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_or_a_bad_date_keeps_the_other_keys() {
        let s = readable_part(
            "kind = \"journal\"\ngrup = \"ПК-2024-017\"\ndate = \"30.02.2024\"\nlearners = [\"Иванов И. П.\"]\nyear = 99999\n",
        );
        assert_eq!(s.kind.as_deref(), Some("journal"));
        assert_eq!(s.date, None);
        assert_eq!(s.year, None, "out of range");
        assert_eq!(s.learners, Some(vec!["Иванов И. П.".to_string()]));
        let s = readable_part("kind = \"order-completion\"\ndate = \"15.03.2024\"\n");
        assert_eq!(s.date, chrono::NaiveDate::from_ymd_opt(2024, 3, 15));
        // A syntax error in one line (an invalid TOML date) keeps the other lines.
        let s = readable_part("kind = \"protocol\"\ndate = 2024-02-30\nnumber = \"7\"\n");
        assert_eq!(s.kind.as_deref(), Some("protocol"));
        assert_eq!(s.number.as_deref(), Some("7"));
    }
}
