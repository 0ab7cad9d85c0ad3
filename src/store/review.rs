//! The review folder (`ROOT/review/`) as the disk holds it: each scan a person must
//! classify, with the notes the pipeline wrote beside it (`<name>.reason.txt`, the
//! sidecar template `<name>.toml`, the text found on it `<name>.ocr.txt`). Read by the
//! review use cases, and turned into index entries so a scan is findable before anyone
//! has classified it (the index stays derivable from the disk: this folder included).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::formats::pdf::TextLayer;
use crate::store::archive::Archive;
use crate::store::document::{CaseRef, DocumentMeta, DropSidecar, PdfFacts, Status};

/// Index ids of scans in review are `review:<file name>`: stable while the scan waits, and
/// never mistaken for a document's SHA-256.
pub const ID_PREFIX: &str = "review:";

/// The text of a scan in review (UTF-8, pages separated by "\n\u{c}\n").
pub const TEXT_SUFFIX: &str = ".ocr.txt";

/// The index id of a scan in review.
pub fn id_of(name: &str) -> String {
    format!("{ID_PREFIX}{name}")
}

/// Files beside a scan (in review or the quarantine) that are notes about it, not scans.
pub fn is_note(name: &str) -> bool {
    name.ends_with(".reason.txt")
        || name.ends_with(".toml")
        || name.ends_with(TEXT_SUFFIX)
        || name.starts_with('.')
}

/// One thing the text suggested, as the template lists it: a kind, date, group or
/// number, with the words around it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// kind, date, group or number.
    pub field: String,
    pub value: String,
    pub context: String,
}

/// A scan waiting for a person.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    /// The file name in `ROOT/review/` (its identity in the queue).
    pub name: String,
    /// Its id in the search index (`review:<name>`).
    pub id: String,
    pub size: u64,
    pub received: Option<DateTime<Utc>>,
    pub reason: String,
    /// What the pipeline found, from the template beside the scan.
    pub found: DropSidecar,
    /// What the text suggested, with context (from the template).
    pub candidates: Vec<Candidate>,
    /// The text found on the scan (text layer or OCR), when the pipeline kept it.
    pub text: String,
}

/// The scans in the review folder, sorted by name.
pub fn names(a: &Archive) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(&a.review) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !is_note(n))
        .collect();
    v.sort();
    v
}

/// The notes that travel with a scan in review (removed when it leaves).
pub fn notes_of(review: &Path, name: &str) -> Vec<PathBuf> {
    [".reason.txt", ".toml", TEXT_SUFFIX, ".dropped.toml"]
        .iter()
        .map(|s| review.join(format!("{name}{s}")))
        .collect()
}

/// Reads one scan in review and its notes (missing or unreadable notes read as empty:
/// the scan itself is what matters).
pub fn read(a: &Archive, name: &str) -> ReviewItem {
    let size = std::fs::metadata(a.review.join(name))
        .map(|m| m.len())
        .unwrap_or(0);
    let note =
        std::fs::read_to_string(a.review.join(format!("{name}.reason.txt"))).unwrap_or_default();
    let reason = note
        .lines()
        .find_map(|l| l.strip_prefix("reason: "))
        .unwrap_or("")
        .to_string();
    let received = note
        .lines()
        .find_map(|l| l.strip_prefix("time: "))
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.with_timezone(&Utc));
    let template =
        std::fs::read_to_string(a.review.join(format!("{name}.toml"))).unwrap_or_default();
    let text =
        std::fs::read_to_string(a.review.join(format!("{name}{TEXT_SUFFIX}"))).unwrap_or_default();
    ReviewItem {
        id: id_of(name),
        name: name.to_string(),
        size,
        received,
        reason,
        found: template_fields(&template),
        candidates: candidates(&template),
        text,
    }
}

/// The fields of a template a person was meant to fill (`kind = ""` is kept; unknown
/// keys are ignored, and a template that does not parse gives nothing).
fn template_fields(template: &str) -> DropSidecar {
    toml::from_str::<toml::Table>(template)
        .ok()
        .and_then(|mut t| {
            t.retain(|k, _| {
                let k: &str = k;
                matches!(
                    k,
                    "kind"
                        | "group"
                        | "date"
                        | "year"
                        | "number"
                        | "title"
                        | "programme"
                        | "learners"
                )
            });
            t.try_into::<DropSidecar>().ok()
        })
        .unwrap_or_default()
}

/// The candidates the template lists in its comment (`#   date   2024-03-15  own …`).
fn candidates(template: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut on = false;
    for line in template.lines() {
        if line.starts_with("# What the text suggests") {
            on = true;
            continue;
        }
        if !on {
            continue;
        }
        let Some(rest) = line.strip_prefix("#   ") else {
            if !line.starts_with('#') {
                on = false;
            }
            continue;
        };
        let rest = rest.trim_start();
        let (field, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let rest = rest.trim_start();
        let (value, context) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if matches!(field, "kind" | "date" | "group" | "number") {
            out.push(Candidate {
                field: field.to_string(),
                value: value.to_string(),
                context: context.trim().to_string(),
            });
        }
    }
    out
}

/// The index entry of a scan in review: what the template says (kind, date, group,
/// learners; names found in the text too) and its text, with status "in review". It
/// lists no case, so retention and acts never count it.
pub fn index_entry(a: &Archive, item: &ReviewItem) -> (DocumentMeta, String) {
    let f = &item.found;
    let kind = f
        .kind
        .clone()
        .filter(|k| a.nomenclature.kind(k).is_some())
        .unwrap_or_default();
    let kind_name = a
        .nomenclature
        .kind(&kind)
        .map(|k| k.name.clone())
        .unwrap_or_default();
    let year = f
        .date
        .map(|d| d.year())
        .or(f.year)
        .or(item.received.map(|t| t.year()))
        .unwrap_or(0);
    let mut learners = f.learners.clone().unwrap_or_default();
    for n in crate::ru::names::find_names(&item.text, &a.config.classify.staff_markers) {
        if !learners.contains(&n.text) {
            learners.push(n.text);
        }
    }
    let title = f.title.clone().or_else(|| Some(item.name.clone()));
    let meta = DocumentMeta {
        id: item.id.clone(),
        kind,
        kind_name,
        year,
        group: f.group.clone().filter(|g| !g.is_empty()),
        date: f.date,
        number: f.number.clone().filter(|n| !n.is_empty()),
        title,
        programme: f.programme.clone(),
        learners,
        pages: 0,
        size: item.size,
        box_path: a.rel(&a.review),
        file: item.name.clone(),
        text_file: None,
        source_name: item.name.clone(),
        source_path: String::new(),
        ingested_at: item.received.unwrap_or_else(Utc::now),
        case: CaseRef {
            index: String::new(),
            title: String::new(),
            period: String::new(),
            basis: String::new(),
            epk: false,
        },
        pdf: PdfFacts {
            version: String::new(),
            producer: None,
            creator: None,
            text_layer: TextLayer::None,
            repaired: false,
            encrypted: false,
            active_content: false,
            warnings: Vec::new(),
        },
        provenance: BTreeMap::new(),
        provenance_detail: BTreeMap::new(),
        events: BTreeMap::new(),
        original: None,
        ocr: None,
        status: Status::Review,
        status_note: Some(item.reason.clone()).filter(|r| !r.is_empty()),
        results: None,
        history: Vec::new(),
    };
    (meta, item.text.clone())
}

/// Every scan in review as an index entry (for `reindex` and the archive-vs-index check).
pub fn index_entries(a: &Archive) -> Vec<(DocumentMeta, String)> {
    names(a)
        .iter()
        .map(|n| index_entry(a, &read(a, n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_read_from_the_template_comment() {
        let t = "kind = \"\"\nlearners = []\n\n# What the text suggests (copy what is right into the fields above):\n#   kind   order-organisation   heading: ПРИКАЗ о зачислении\n#   date   2024-03-15  own                 «15 марта 2024 г.» p.1: от 15 марта 2024 г. № 45-у\n#   group  ПК-2024-017          группы ПК-2024-017\n";
        let c = candidates(t);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].field, "kind");
        assert_eq!(c[0].value, "order-organisation");
        assert!(c[0].context.contains("ПРИКАЗ"));
        assert_eq!(c[1].value, "2024-03-15");
        assert!(c[1].context.contains("15 марта"));
        assert_eq!(c[2].value, "ПК-2024-017");
    }
}
