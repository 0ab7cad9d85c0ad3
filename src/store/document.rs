//! A document's metadata: the sidecar archived beside each scan (TOML, readable without
//! archivist), and the sidecar staff may drop with a scan to say what it is.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::formats::pdf::TextLayer;

/// Metadata of one archived document, stored as `data/<kind>/<name>.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DocumentMeta {
    /// SHA-256 of the scan: the document's identity.
    pub id: String,
    pub kind: String,
    pub kind_name: String,
    pub year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    #[serde(default)]
    pub learners: Vec<String>,
    pub pages: u32,
    pub size: u64,
    /// Box folder relative to the archive root, e.g. `boxes/2024/ПК-2024-017`.
    pub box_path: String,
    /// The scan relative to its box, e.g. `data/journal/2024-03-15_scan_0001.pdf`.
    pub file: String,
    /// The extracted text, relative to the box (`.txt` beside the scan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_file: Option<String>,
    pub source_name: String,
    pub source_path: String,
    pub ingested_at: DateTime<Utc>,
    pub case: CaseRef,
    pub pdf: PdfFacts,
    /// Where each field came from: sidecar, folder, file-name, pdf-info, text, group-code.
    #[serde(default)]
    pub provenance: BTreeMap<String, String>,
    /// Dates of events that start "N years after EVENT" periods (e.g. contract-end).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, NaiveDate>,
    /// For scans that arrived as images: the original file, embedded in the PDF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<OriginalImage>,
    /// OCR of pages without a usable text layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<OcrInfo>,
    /// "active", or "destroyed" for a tombstone.
    #[serde(default = "active")]
    pub status: String,
    /// Why the status is what it is, e.g. «уничтожен по акту № 3 от 15.01.2027».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OriginalImage {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub format: String,
    /// Per page: how the image is embedded ("dct", "ccitt", "flate-predictor": bytes as-is; "flate": re-encoded losslessly).
    pub embedding: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OcrInfo {
    /// "pending", "done", "failed" or "unavailable" (Tesseract not installed).
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Where each page's text came from, with OCR's mean confidence.
    #[serde(default, rename = "page", skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<PageSource>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PageSource {
    pub page: u32,
    /// "layer", "ocr" or "none".
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<u16>,
}

fn active() -> String {
    "active".into()
}

/// The nomenclature entry the document belongs to, copied at ingest so the sidecar
/// stands on its own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseRef {
    pub index: String,
    pub title: String,
    pub period: String,
    pub basis: String,
    pub epk: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PdfFacts {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    pub text_layer: TextLayer,
    pub repaired: bool,
    pub encrypted: bool,
    pub active_content: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl DocumentMeta {
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let body = toml::to_string_pretty(self)?;
        Ok(format!(
            "# archivist document metadata. The scan's SHA-256 is its id; the box manifest\n# (manifest-sha256.txt) lists the hashes of this file and the scan.\n{body}"
        ))
    }

    pub fn from_toml(text: &str) -> Result<DocumentMeta, toml::de::Error> {
        toml::from_str(text)
    }
}

/// What staff may drop as `scan.pdf.toml` beside a scan (or complete from a review
/// template). Every key is optional; the year comes from `date`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DropSidecar {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "flex_date::option"
    )]
    pub date: Option<NaiveDate>,
    /// Only when no date is known: the year of the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learners: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<BTreeMap<String, flex_date::FlexDate>>,
}

/// Dates in a hand-written sidecar may be TOML dates (`2024-03-15`) or strings
/// (`"2024-03-15"`, `"15.03.2024"`).
pub mod flex_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct FlexDate(pub NaiveDate);

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }

    fn parse(raw: Raw) -> Result<NaiveDate, String> {
        let s = match raw {
            Raw::Toml(d) => d.to_string(),
            Raw::Text(s) => s,
        };
        let s = s.trim();
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
            .map_err(|_| format!("date \"{s}\" is not YYYY-MM-DD"))
    }

    impl<'de> Deserialize<'de> for FlexDate {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            parse(Raw::deserialize(d)?)
                .map(FlexDate)
                .map_err(serde::de::Error::custom)
        }
    }

    impl Serialize for FlexDate {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.serialize(s)
        }
    }

    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Ok(Some(FlexDate::deserialize(d)?.0))
    }
}

pub const DROP_SIDECAR_KEYS: &str = "kind, group, date (YYYY-MM-DD), year, number, title, programme, learners (array of names), events (table of name = date)";

impl DropSidecar {
    pub fn parse(text: &str) -> Result<DropSidecar, String> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            format!(
                "line {line}: {} (allowed keys: {DROP_SIDECAR_KEYS})",
                e.message().trim()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_sidecar_rejects_unknown_keys_with_line() {
        let err = DropSidecar::parse("kind = \"journal\"\ngrup = \"x\"\n").unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("grup") && err.contains("allowed keys"),
            "{err}"
        );
        let s = DropSidecar::parse(
            "kind = \"journal\"\ndate = 2024-03-15\nlearners = [\"Иванов И. П.\"]\n",
        )
        .unwrap();
        assert_eq!(s.date, NaiveDate::from_ymd_opt(2024, 3, 15));
        let s = DropSidecar::parse("date = \"15.03.2024\"\n").unwrap();
        assert_eq!(s.date, NaiveDate::from_ymd_opt(2024, 3, 15));
        assert!(DropSidecar::parse("date = \"March\"\n").is_err());
    }
}
