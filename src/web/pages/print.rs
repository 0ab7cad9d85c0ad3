//! Printing from the web: a box's label and inner inventory, a year's labels, case covers
//! and nomenclature, its inventories of cases (made here by an archivist), and a learner's
//! record card. Each PDF comes from the same library call the command line uses.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::document::{disposition, send_file};
use super::{enc, parse_num, see_other};
use crate::api::print::{INVENTORY_FILES, LabelOptions};
use crate::api::web::BoxSummary;
use crate::records::contents::Selection;
use crate::records::inventory::InventoryKind;
use crate::web::AppState;
use crate::web::auth::{Me, Perm};
use crate::web::page::{Frame, PageResult, WebError, blocking, render};
use crate::web::text::{self, RU, Ru};

/// A PDF made on request, shown by the browser's viewer (its name for saving).
fn pdf(bytes: Vec<u8>, name: &str) -> PageResult {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(header::CONTENT_DISPOSITION, disposition("inline", name));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn one_box(year: i32, group: &str) -> Selection {
    Selection {
        year: Some(year),
        group: Some(group.to_string()),
    }
}

fn year_only(year: i32) -> Selection {
    Selection {
        year: Some(year),
        group: None,
    }
}

pub async fn box_labels(
    State(app): State<AppState>,
    Path((year, group)): Path<(String, String)>,
) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let a = app.archivist.clone();
    let sel = one_box(year, &group);
    let s = blocking(move || a.labels(&sel, &LabelOptions::default())).await?;
    pdf(s.pdf, &format!("labels-{year}-{group}.pdf"))
}

pub async fn box_inventory(
    State(app): State<AppState>,
    Path((year, group)): Path<(String, String)>,
) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let a = app.archivist.clone();
    let g = group.clone();
    let inv = blocking(move || a.box_inventory(year, &g)).await?;
    pdf(inv.pdf, &format!("inventory-{year}-{group}.pdf"))
}

pub async fn year_labels(State(app): State<AppState>, Path(year): Path<String>) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let a = app.archivist.clone();
    let s = blocking(move || a.labels(&year_only(year), &LabelOptions::default())).await?;
    pdf(s.pdf, &format!("labels-{year}.pdf"))
}

pub async fn year_covers(State(app): State<AppState>, Path(year): Path<String>) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let a = app.archivist.clone();
    let c = blocking(move || a.covers(&year_only(year))).await?;
    pdf(c.pdf, &format!("covers-{year}.pdf"))
}

pub async fn year_nomenclature(
    State(app): State<AppState>,
    Path(year): Path<String>,
) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let a = app.archivist.clone();
    let n = blocking(move || a.nomenclature_pdf(year)).await?;
    pdf(n.pdf, &format!("nomenclature-{year}.pdf"))
}

pub async fn inventory_file(
    State(app): State<AppState>,
    Path((year, kind, file)): Path<(String, String, String)>,
) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let kind: InventoryKind = kind.parse().map_err(|_| WebError::not_found(""))?;
    let a = app.archivist.clone();
    let f = file.clone();
    let path = blocking(move || a.inventory_file(year, kind, &f)).await?;
    let mime = INVENTORY_FILES
        .iter()
        .find(|(n, _)| *n == file)
        .map_or("application/octet-stream", |(_, m)| *m);
    let how = if file.ends_with(".pdf") {
        "inline"
    } else {
        "attachment"
    };
    let name = format!("inventory-{year}-{}-{file}", kind.as_str());
    send_file(path, mime, disposition(how, &name)).await
}

/// One made inventory as the year page lists it.
pub struct InventoryView {
    pub heading: &'static str,
    pub made: String,
    pub by: String,
    pub cases: usize,
    pub cases_word: &'static str,
    /// (label, href) of its files.
    pub files: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "year.html")]
struct YearPage {
    t: &'static Ru,
    frame: Frame,
    year: i32,
    boxes: Vec<(BoxSummary, String)>,
    inventories: Vec<InventoryView>,
    may_make: bool,
    notice: &'static str,
}

#[derive(Deserialize, Default)]
pub struct YearParams {
    done: Option<String>,
}

pub async fn year_page(
    State(app): State<AppState>,
    me: Me,
    Path(year): Path<String>,
    Query(p): Query<YearParams>,
) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let a = app.archivist.clone();
    let (boxes, made) = blocking(move || Ok((a.boxes()?, a.inventories_of(year)?))).await?;
    let boxes: Vec<(BoxSummary, String)> = boxes
        .into_iter()
        .filter(|b| b.year == year)
        .map(|b| {
            let href = format!("/box/{}/{}", b.year, enc(&b.group));
            (b, href)
        })
        .collect();
    if boxes.is_empty() && made.is_empty() {
        return Err(WebError::not_found(format!("{year}: {}", RU.box_none)));
    }
    let inventories = made
        .iter()
        .map(|inv| InventoryView {
            heading: inv.kind.heading(),
            made: text::time(inv.made_at),
            by: inv.made_by.clone(),
            cases: inv.cases.len(),
            cases_word: text::plural(inv.cases.len() as u64, text::CASES),
            files: ["pdf", "csv", "md"]
                .into_iter()
                .map(|ext| {
                    (
                        ext,
                        format!(
                            "/year/{year}/inventory/{}/file/inventory.{ext}",
                            inv.kind.as_str()
                        ),
                    )
                })
                .collect(),
        })
        .collect();
    Ok(render(&YearPage {
        t: &RU,
        frame: Frame::new(&me, format!("{} {year}", RU.year_title), "/boxes"),
        year,
        boxes,
        inventories,
        may_make: me.may(Perm::Inventory),
        notice: match p.done.as_deref() {
            Some("inventory") => RU.year_inventory_made,
            _ => "",
        },
    }))
}

/// Makes (again) every inventory the year's cases call for; written and audited.
pub async fn make_inventory(
    State(app): State<AppState>,
    me: Me,
    Path(year): Path<String>,
) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let a = app.archivist.clone();
    let actor = me.actor();
    blocking(move || a.beside_watcher(|| a.inventory(year, None, &actor))).await?;
    Ok(see_other(&format!("/year/{year}?done=inventory")))
}

#[derive(Deserialize)]
pub struct CardParams {
    name: Option<String>,
}

/// A learner's record card (results table and documents) as a PDF.
pub async fn record_card(State(app): State<AppState>, Query(p): Query<CardParams>) -> PageResult {
    let name = p.name.unwrap_or_default().trim().to_string();
    if name.is_empty() {
        return Err(WebError::invalid(RU.dossier_nobody));
    }
    let a = app.archivist.clone();
    let n = name.clone();
    let bytes = blocking(move || a.record_card_pdf(&n, chrono::Local::now().date_naive())).await?;
    pdf(bytes, "record-card.pdf")
}
