//! Boxes: the list, and one page per box (`/box/<year>/<group>`, the target of the QR
//! code on its label) with its cases, documents and fixity.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::search::{HitView, hit_view};
use super::{enc, parse_num};
use crate::api::web::BoxSummary;
use crate::web::AppState;
use crate::web::auth::Me;
use crate::web::page::{Frame, PageResult, blocking, render};
use crate::web::text::{self, RU, Ru};

#[derive(Template)]
#[template(path = "boxes.html")]
struct ListPage {
    t: &'static Ru,
    frame: Frame,
    boxes: Vec<(BoxSummary, String)>,
}

pub async fn list(State(app): State<AppState>, me: Me) -> PageResult {
    let a = app.archivist.clone();
    let boxes = blocking(move || a.boxes()).await?;
    Ok(render(&ListPage {
        t: &RU,
        frame: Frame::new(&me, RU.boxes_title, "/boxes"),
        boxes: boxes
            .into_iter()
            .map(|b| {
                let href = format!("/box/{}/{}", b.year, enc(&b.group));
                (b, href)
            })
            .collect(),
    }))
}

const PER_PAGE: usize = 100;

#[derive(Template)]
#[template(path = "box.html")]
struct BoxPage {
    t: &'static Ru,
    frame: Frame,
    year: i32,
    group: String,
    path: String,
    total: usize,
    total_word: &'static str,
    cases: Vec<(String, String, usize)>,
    docs: Vec<HitView>,
    fixity: Vec<(String, String, u64, u64)>,
    prev: String,
    next: String,
    /// `/box/<year>/<group>`: its labels and inner inventory are under it.
    print_base: String,
}

#[derive(Deserialize, Default)]
pub struct Params {
    page: Option<usize>,
}

pub async fn page(
    State(app): State<AppState>,
    me: Me,
    Path((year, group)): Path<(String, String)>,
    Query(p): Query<Params>,
) -> PageResult {
    let year: i32 = parse_num(&year)?;
    let page = p.page.unwrap_or(0);
    let a = app.archivist.clone();
    let g = group.clone();
    let b = blocking(move || a.box_view(year, &g, page, PER_PAGE)).await?;
    let base = format!("/box/{year}/{}", enc(&b.group));
    Ok(render(&BoxPage {
        t: &RU,
        frame: Frame::new(
            &me,
            format!("{} {year}/{}", RU.box_title, b.group),
            "/boxes",
        ),
        year,
        total_word: text::plural(b.total as u64, text::DOCUMENTS),
        total: b.total,
        docs: b
            .documents
            .iter()
            .map(|h| hit_view(h, &app.kind_name(&h.kind)))
            .collect(),
        cases: b.cases.clone(),
        fixity: b
            .fixity
            .iter()
            .map(|(t, s, ok, bad)| (text::time(*t), s.clone(), *ok, *bad))
            .collect(),
        prev: if page > 0 {
            format!("{base}?page={}", page - 1)
        } else {
            String::new()
        },
        next: if (page + 1) * PER_PAGE < b.total {
            format!("{base}?page={}", page + 1)
        } else {
            String::new()
        },
        print_base: base.clone(),
        group: b.group,
        path: b.path,
    }))
}
