//! A document's metadata: the sidecar archived beside each scan (TOML, readable without
//! archivist), and the sidecar staff may drop with a scan to say what it is.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::nomenclature::Kind;
pub use crate::formats::ocr::TextSource;
use crate::formats::pdf::{PdfInfo, TextLayer};

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
    /// For fields read from the text (layer or OCR): the words that decided them, e.g.
    /// kind → «ПРИКАЗ … об отчислении», date → «от 15 марта 2024 г.» near the heading.
    /// Absent in sidecars written before it existed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub provenance_detail: BTreeMap<String, String>,
    /// Dates of events that start "N years after EVENT" periods (e.g. contract-end).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, NaiveDate>,
    /// For scans that arrived as images: the original file, embedded in the PDF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<OriginalImage>,
    /// OCR of pages without a usable text layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<OcrInfo>,
    /// Active, or destroyed (the sidecar is then the document's tombstone).
    #[serde(default)]
    pub status: Status,
    /// Why the status is what it is, e.g. «уничтожен по акту № 3 от 15.01.2027».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    /// Learners' results the text states (protocols, orders, books of issue), read at
    /// ingest or after OCR. Absent in sidecars written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<crate::ru::results::DocResults>,
    /// Earlier places and metadata of the document, oldest first (`amend`). Absent (and
    /// not written) while the document was never corrected, so older sidecars read, and
    /// are written, byte for byte as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

/// One correction of a document: where it was, by whom and when, and what its fields
/// said before.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub by: String,
    pub action: String,
    /// The scan's path relative to the root before the change.
    pub from: String,
    /// The scan's path relative to the root after the change.
    pub to: String,
    /// The fields changed, with their earlier values ("" = not set).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub was: BTreeMap<String, String>,
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
    pub state: OcrState,
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
    pub source: TextSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<u16>,
}

/// A document's life-cycle state, as its sidecar and the index record it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    /// Destroyed under an act: the sidecar stays as the tombstone.
    Destroyed,
    /// A scan waiting in `ROOT/review/` for a person (only ever in the index, never in a
    /// box's sidecar): findable before anyone has classified it.
    #[serde(rename = "in review")]
    Review,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Destroyed => "destroyed",
            Status::Review => "in review",
        }
    }

    /// The status an index field holds (unknown text reads as active).
    pub fn parse(s: &str) -> Status {
        match s {
            "destroyed" => Status::Destroyed,
            "in review" | "review" | "in-review" => Status::Review,
            _ => Status::Active,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a document's OCR stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OcrState {
    /// Pages without a usable text layer wait for OCR.
    Pending,
    Done,
    /// At least one page failed (the message says which and why).
    Failed,
    /// Tesseract is not installed.
    Unavailable,
}

impl OcrState {
    pub fn as_str(self) -> &'static str {
        match self {
            OcrState::Pending => "pending",
            OcrState::Done => "done",
            OcrState::Failed => "failed",
            OcrState::Unavailable => "unavailable",
        }
    }
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

/// `02-03/2019` or `02-03/2019/ПК-2019-017` (per-group cases).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CaseKey {
    pub index: String,
    pub year: i32,
    pub group: Option<String>,
}

impl std::fmt::Display for CaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.group {
            Some(g) => write!(f, "{}/{}/{}", self.index, self.year, g),
            None => write!(f, "{}/{}", self.index, self.year),
        }
    }
}

impl std::str::FromStr for CaseKey {
    type Err = String;
    fn from_str(s: &str) -> Result<CaseKey, String> {
        let mut it = s.splitn(3, '/');
        let (Some(index), Some(year)) = (it.next(), it.next()) else {
            return Err(format!(
                "{s:?} is not a case: write INDEX/YEAR or INDEX/YEAR/GROUP, e.g. 02-03/2019/ПК-2019-017"
            ));
        };
        let year = year
            .parse()
            .map_err(|_| format!("{s:?}: the year {year:?} is not a number"))?;
        Ok(CaseKey {
            index: index.to_string(),
            year,
            group: it.next().map(str::to_string),
        })
    }
}

impl CaseRef {
    pub fn of(kind: &Kind, source_of_acquisition: bool) -> CaseRef {
        CaseRef {
            index: kind.case_index.clone(),
            title: kind.case_title.clone(),
            period: kind.period.russian(source_of_acquisition),
            basis: kind.basis.clone(),
            epk: kind.epk,
        }
    }
}

/// «Приказ № 45-у от 15.03.2024»: the title of a document whose own was not found.
pub fn default_title(kind_name: &str, number: Option<&str>, date: Option<NaiveDate>) -> String {
    let mut t = kind_name.to_string();
    if let Some(n) = number {
        t.push_str(&format!(" № {n}"));
    }
    if let Some(d) = date {
        t.push_str(&format!(" от {}", d.format("%d.%m.%Y")));
    }
    t
}

impl OcrInfo {
    /// Pages without a usable text layer wait for OCR; `None` when every page has text.
    pub fn needed(info: &PdfInfo) -> Option<OcrInfo> {
        let pages: Vec<PageSource> = info
            .page_text
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let usable = !t.trim().is_empty() && info.text_layer != TextLayer::Garbage;
                PageSource {
                    page: i as u32 + 1,
                    source: if usable {
                        TextSource::Layer
                    } else {
                        TextSource::None
                    },
                    confidence: None,
                    rotation: None,
                }
            })
            .collect();
        pages
            .iter()
            .any(|p| p.source == TextSource::None)
            .then_some(OcrInfo {
                state: OcrState::Pending,
                at: None,
                message: None,
                pages,
            })
    }
}

impl PdfFacts {
    pub fn of(info: &PdfInfo) -> PdfFacts {
        PdfFacts {
            version: info.version.clone(),
            producer: info.info.get("Producer").cloned(),
            creator: info.info.get("Creator").cloned(),
            text_layer: info.text_layer,
            repaired: info.repaired,
            encrypted: info.encrypted,
            active_content: info.active_content,
            warnings: info.warnings.clone(),
        }
    }
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

/// A new document as the pipeline files it: what it is, where it goes, where it came from.
pub struct Filing<'a> {
    pub id: &'a str,
    pub size: u64,
    pub info: &'a PdfInfo,
    pub kind: &'a Kind,
    /// The organisation is a source of acquisition (periods read «Постоянно»).
    pub source_of_acquisition: bool,
    pub year: i32,
    pub group: Option<String>,
    pub date: Option<NaiveDate>,
    pub number: Option<String>,
    pub title: Option<String>,
    pub programme: Option<String>,
    pub learners: Vec<String>,
    pub events: BTreeMap<String, NaiveDate>,
    pub provenance: BTreeMap<String, String>,
    pub provenance_detail: BTreeMap<String, String>,
    /// Learners' results the text states (see `ru::results`).
    pub results: Option<crate::ru::results::DocResults>,
    /// Box folder relative to the root, and the scan relative to the box.
    pub box_path: String,
    pub file: String,
    pub has_text: bool,
    pub source_name: String,
    pub source_path: String,
    pub original: Option<OriginalImage>,
}

impl DocumentMeta {
    /// The sidecar of a document being archived now.
    pub fn archived(f: Filing) -> DocumentMeta {
        let title = f
            .title
            .or_else(|| Some(default_title(&f.kind.name, f.number.as_deref(), f.date)));
        DocumentMeta {
            id: f.id.to_string(),
            kind: f.kind.id.clone(),
            kind_name: f.kind.name.clone(),
            year: f.year,
            group: f.group,
            date: f.date,
            number: f.number,
            title,
            programme: f.programme,
            learners: f.learners,
            pages: f.info.pages,
            size: f.size,
            text_file: f.has_text.then(|| crate::store::archive::text_of(&f.file)),
            box_path: f.box_path,
            file: f.file,
            source_name: f.source_name,
            source_path: f.source_path,
            ingested_at: Utc::now(),
            case: CaseRef::of(f.kind, f.source_of_acquisition),
            pdf: PdfFacts::of(f.info),
            provenance: f.provenance,
            provenance_detail: f.provenance_detail,
            events: f.events,
            status: Status::Active,
            status_note: None,
            original: f.original,
            ocr: OcrInfo::needed(f.info),
            results: f.results,
            history: Vec::new(),
        }
    }

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

/// Years a document may have: anything else in a sidecar is a typo (and a year far in
/// the future would overflow retention dates).
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

impl DropSidecar {
    pub fn parse(text: &str) -> Result<DropSidecar, String> {
        let s: DropSidecar = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            format!(
                "line {line}: {} (allowed keys: {DROP_SIDECAR_KEYS})",
                e.message().trim()
            )
        })?;
        s.check_years()?;
        Ok(s)
    }

    fn check_years(&self) -> Result<(), String> {
        use chrono::Datelike;
        let (lo, hi) = (PLAUSIBLE_YEARS.start(), PLAUSIBLE_YEARS.end());
        let dates = self.date.iter().map(|d| ("date".to_string(), *d)).chain(
            self.events
                .iter()
                .flatten()
                .map(|(k, d)| (format!("events.{k}"), d.0)),
        );
        for (key, d) in dates {
            if !PLAUSIBLE_YEARS.contains(&d.year()) {
                return Err(format!("{key}: the year {} is outside {lo}–{hi}", d.year()));
            }
        }
        match self.year {
            Some(y) if !PLAUSIBLE_YEARS.contains(&y) => {
                Err(format!("year: {y} is outside {lo}–{hi}"))
            }
            _ => Ok(()),
        }
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

    #[test]
    fn drop_sidecar_years_out_of_range_are_errors() {
        for bad in [
            "year = 99999\n",
            "year = -7\n",
            "year = 0\n",
            "year = 262142\n",
            "date = 9999-01-01\n",
            "date = \"01.01.0202\"\n",
            "[events]\ncontract-end = 3000-01-01\n",
        ] {
            let err = DropSidecar::parse(bad).unwrap_err();
            assert!(err.contains("outside 1900–2200"), "{bad}: {err}");
        }
        assert!(DropSidecar::parse("year = 2024\n").is_ok());
    }
}
