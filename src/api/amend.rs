//! Corrections: `amend` gives a filed document another group, date, kind, number or
//! title, and moves it to the box and name those imply in one crash-safe step (see
//! `ingest::amend`). Refused for a destroyed or held document, with the reason.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::{Actor, Archivist};
use crate::error::{Invalid, Refused, Result};
use crate::formats::naming;
use crate::ingest::amend::AmendMove;
use crate::records::hold;
use crate::store::archive;
use crate::store::document::{
    CaseKey, CaseRef, DocumentMeta, HistoryEntry, PLAUSIBLE_YEARS, Status, default_title,
};
use crate::store::review::ID_PREFIX;

/// What an archivist corrects on a filed document (`None`: unchanged).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Amendment {
    pub kind: Option<String>,
    pub date: Option<NaiveDate>,
    pub group: Option<String>,
    pub number: Option<String>,
    pub title: Option<String>,
}

/// A corrected document: where it was, where it is, what changed.
#[derive(Debug, Clone, Serialize)]
pub struct Amended {
    pub id: String,
    /// The scan's path relative to the root, before and after.
    pub from: String,
    pub to: String,
    /// The fields changed, with their earlier values ("" = not set).
    pub was: BTreeMap<String, String>,
    pub metadata: DocumentMeta,
}

impl Archivist {
    /// Corrects a document and moves it to the box and name its new metadata imply: both
    /// boxes' manifests and tag files, the index, the audit log (`amended`, with the old
    /// and new place) and the sidecar's history are updated, crash-safely through the
    /// intent log. Takes the writer's turn (beside a watcher in this process).
    pub fn amend(&self, id: &str, change: &Amendment, actor: &Actor) -> Result<Amended> {
        if let Some(name) = id.trim().strip_prefix(ID_PREFIX) {
            return Err(Refused(format!(
                "{name:?} is a scan waiting in review, not a filed document: complete it with `archivist review resolve {name} --kind … --date …`"
            ))
            .into());
        }
        self.beside_watcher(|| {
            let w = self.writing("archivist amend")?;
            let r = self.amend_in_turn(id, change, actor)?;
            w.boxes_changed();
            Ok(r)
        })
    }

    fn amend_in_turn(&self, id: &str, change: &Amendment, actor: &Actor) -> Result<Amended> {
        let a = self.archive();
        let view = self.show(id)?;
        let old = view.metadata;
        let short = &old.id[..12.min(old.id.len())];
        if old.status == Status::Destroyed || view.destruction.is_some() {
            return Err(Refused(format!(
                "document {short} was destroyed{}; a destroyed document cannot be corrected",
                old.status_note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ))
            .into());
        }
        refuse_if_held(self, &old)?;
        let max = a.config.boxes.max_name_bytes;
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let kind = match clean(&change.kind) {
            Some(k) => Some(a.nomenclature.kind(&k).cloned().ok_or_else(|| {
                Invalid(format!(
                    "{k:?} is not a kind in the nomenclature; choose one of {}",
                    a.nomenclature.kind_ids().join(", ")
                ))
            })?),
            None => None,
        };
        if let Some(d) = change.date
            && !PLAUSIBLE_YEARS.contains(&d.year())
        {
            return Err(Invalid(format!(
                "the date {d} is outside {}–{}; check the year",
                PLAUSIBLE_YEARS.start(),
                PLAUSIBLE_YEARS.end()
            ))
            .into());
        }
        let group = clean(&change.group);
        if let Some(g) = &group
            && !naming::is_safe_component(g, max)
        {
            return Err(Invalid(format!(
                "the group {g:?} cannot name a box folder (no '/', '..', control characters; at most {max} bytes)"
            ))
            .into());
        }
        let (number, title) = (clean(&change.number), clean(&change.title));

        let mut new = old.clone();
        let mut was: BTreeMap<String, String> = BTreeMap::new();
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        if let Some(k) = &kind
            && k.id != old.kind
        {
            was.insert("kind".into(), old.kind.clone());
            new.kind = k.id.clone();
            new.kind_name = k.name.clone();
            new.case = CaseRef::of(k, a.nomenclature.organisation.source_of_acquisition);
        }
        if let Some(d) = change.date
            && Some(d) != old.date
        {
            was.insert(
                "date".into(),
                old.date.map(|d| d.to_string()).unwrap_or_default(),
            );
            if d.year() != old.year {
                was.insert("year".into(), old.year.to_string());
            }
            new.date = Some(d);
            new.year = d.year();
        }
        if let Some(g) = &group
            && Some(g) != old.group.as_ref()
        {
            was.insert("group".into(), text(&old.group));
            new.group = Some(g.clone());
        }
        if let Some(n) = &number
            && Some(n) != old.number.as_ref()
        {
            was.insert("number".into(), text(&old.number));
            new.number = Some(n.clone());
        }
        match &title {
            Some(t) if Some(t) != old.title.as_ref() => {
                was.insert("title".into(), text(&old.title));
                new.title = Some(t.clone());
            }
            Some(_) => {}
            // A title the library made up follows the fields it was made of.
            None if old.title.as_deref()
                == Some(&default_title(
                    &old.kind_name,
                    old.number.as_deref(),
                    old.date,
                )) =>
            {
                new.title = Some(default_title(
                    &new.kind_name,
                    new.number.as_deref(),
                    new.date,
                ));
            }
            None => {}
        }
        if was.is_empty() {
            return Err(Refused(format!(
                "nothing to change: document {short} already has {}; give a different --kind, --date, --group, --number or --title",
                describe(&old)
            ))
            .into());
        }
        for field in was.keys() {
            new.provenance.insert(field.clone(), "amend".into());
            new.provenance_detail.remove(field);
        }

        // The new place: box by year and group, name by date, number and source name.
        let (from_year, from_group) = box_of(&view.location.box_path).ok_or_else(|| {
            anyhow::anyhow!(
                "the box path {} of document {short} is not boxes/<year>/<group>; run `archivist verify`",
                view.location.box_path
            )
        })?;
        let to_group = naming::sanitize_component(
            new.group
                .as_deref()
                .unwrap_or(&a.config.boxes.default_group),
            max,
        );
        let to_year = new.year;
        let to_box = a.boxes.join(to_year.to_string()).join(&to_group);
        let to_box_rel = a.rel(&to_box);
        let renamed = ["kind", "date", "number"]
            .iter()
            .any(|f| was.contains_key(*f));
        let to_file = if !renamed && to_box_rel == view.location.box_path {
            old.file.clone()
        } else {
            file_name(&to_box, &new, &old, max)
        };
        let from_path = format!("{}/{}", view.location.box_path, old.file);
        let to_path = format!("{to_box_rel}/{to_file}");
        new.box_path = to_box_rel;
        new.file = to_file.clone();
        new.text_file = old.text_file.as_ref().map(|_| archive::text_of(&to_file));
        new.history.push(HistoryEntry {
            at: Utc::now(),
            by: actor.to_string(),
            action: "amended".into(),
            from: from_path.clone(),
            to: to_path.clone(),
            was: was.clone(),
        });
        let sidecar = new
            .to_toml()
            .map_err(|e| anyhow::anyhow!("cannot write the new sidecar: {e}"))?;
        let mv = AmendMove {
            id: old.id.clone(),
            from_year,
            from_group,
            from_file: old.file.clone(),
            to_year,
            to_group,
            to_file,
            sidecar,
            details: json!({"from": from_path, "to": to_path, "was": was,
                "now": was.keys().map(|k| (k.clone(), field(&new, k))).collect::<BTreeMap<_, _>>()}),
        };
        let mut ing = super::ingest::open_ingestor(a, actor)?;
        let metadata = ing.amend(mv)?;
        ing.flush_index();
        Ok(Amended {
            id: metadata.id.clone(),
            from: from_path,
            to: to_path,
            was,
            metadata,
        })
    }
}

/// Refuses when an active hold covers the document or its case.
fn refuse_if_held(ar: &Archivist, m: &DocumentMeta) -> Result<()> {
    let a = ar.archive();
    let holds = hold::in_force(a)?;
    let per_group = a.nomenclature.kind(&m.kind).is_some_and(|k| k.per_group);
    let case = CaseKey {
        index: m.case.index.clone(),
        year: m.year,
        group: if per_group { m.group.clone() } else { None },
    };
    let held = holds.covering(&case.to_string(), &m.id);
    if let Some(h) = held.first() {
        return Err(Refused(format!(
            "document {} is held (hold № {} on {}: {}); it cannot be moved while held. Release the hold first (`archivist hold release {}`)",
            &m.id[..12.min(m.id.len())],
            h.number,
            h.target,
            h.reason,
            h.number
        ))
        .into());
    }
    Ok(())
}

/// `boxes/<year>/<group>` → (year, group).
fn box_of(box_path: &str) -> Option<(i32, String)> {
    let p = std::path::Path::new(box_path);
    let group = p.file_name()?.to_str()?.to_string();
    let year = p.parent()?.file_name()?.to_str()?.parse().ok()?;
    Some((year, group))
}

/// A field's value as the audit record shows it.
fn field(m: &DocumentMeta, k: &str) -> String {
    match k {
        "kind" => m.kind.clone(),
        "date" => m.date.map(|d| d.to_string()).unwrap_or_default(),
        "year" => m.year.to_string(),
        "group" => m.group.clone().unwrap_or_default(),
        "number" => m.number.clone().unwrap_or_default(),
        "title" => m.title.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn describe(m: &DocumentMeta) -> String {
    format!(
        "kind {}, date {}, group {}, number {}",
        m.kind,
        m.date
            .map(|d| d.to_string())
            .unwrap_or_else(|| format!("year {}", m.year)),
        m.group.as_deref().unwrap_or("—"),
        m.number.as_deref().unwrap_or("—")
    )
}

/// `data/<kind>/<date>_<number>_<stem>.pdf` in the new box, as the pipeline names scans;
/// a name taken by another document gets the id's first 8 characters.
fn file_name(
    box_dir: &std::path::Path,
    new: &DocumentMeta,
    old: &DocumentMeta,
    max: usize,
) -> String {
    let source = if old.source_name.is_empty() {
        old.file.rsplit('/').next().unwrap_or("scan.pdf")
    } else {
        &old.source_name
    };
    let stem = source.rsplit_once('.').map(|(s, _)| s).unwrap_or(source);
    let mut base = String::new();
    if let Some(d) = new.date {
        base.push_str(&d.format("%Y-%m-%d_").to_string());
    }
    if let Some(n) = &new.number {
        base.push_str(n);
        base.push('_');
    }
    base.push_str(stem);
    let base = naming::sanitize_component(&base, max.saturating_sub(14));
    let dir = box_dir.join("data").join(&new.kind);
    let ours = |rel: &str| old.box_path == new.box_path && old.file == rel;
    let taken = |stem: &str| {
        let rel = format!("data/{}/{stem}.pdf", new.kind);
        !ours(&rel)
            && ["pdf", "toml", "txt"]
                .iter()
                .any(|ext| std::fs::symlink_metadata(dir.join(format!("{stem}.{ext}"))).is_ok())
    };
    let id = &new.id;
    let stem = if !taken(&base) {
        base
    } else if !taken(&format!("{base}-{}", &id[..8.min(id.len())])) {
        format!("{base}-{}", &id[..8.min(id.len())])
    } else {
        format!("{base}-{}", &id[..16.min(id.len())])
    };
    format!("data/{}/{stem}.pdf", new.kind)
}
