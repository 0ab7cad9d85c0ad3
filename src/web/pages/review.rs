//! The review queue (staff): scans the machine could not classify, each shown beside a
//! form pre-filled with what was found; resolve (file it) or reject (quarantine).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::document::{disposition, send_file};
use super::{enc, opt, see_other};
use crate::api::review::ReviewItem;
use crate::store::document::DropSidecar;
use crate::web::AppState;
use crate::web::auth::Me;
use crate::web::page::{Frame, Frameable, PageResult, WebError, blocking, render};
use crate::web::text::{self, RU, Ru};

pub struct ItemView {
    pub name: String,
    pub href: String,
    pub size: String,
    pub received: String,
    pub reason: String,
}

fn item_view(i: &ReviewItem) -> ItemView {
    ItemView {
        href: format!("/review/{}", enc(&i.name)),
        name: i.name.clone(),
        size: text::size(i.size),
        received: i.received.map(text::time).unwrap_or_default(),
        reason: i.reason.clone(),
    }
}

#[derive(Template)]
#[template(path = "review_list.html")]
struct ListPage {
    t: &'static Ru,
    frame: Frame,
    items: Vec<ItemView>,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct Notice {
    done: Option<String>,
}

pub async fn list(State(app): State<AppState>, me: Me, Query(n): Query<Notice>) -> PageResult {
    let a = app.archivist.clone();
    let items = blocking(move || a.review_list()).await?;
    Ok(render(&ListPage {
        t: &RU,
        frame: Frame::new(&me, RU.review_title, "/review"),
        items: items.iter().map(item_view).collect(),
        notice: match n.done.as_deref() {
            Some("resolved") => RU.review_resolved.into(),
            Some("rejected") => RU.review_rejected.into(),
            _ => String::new(),
        },
    }))
}

/// The form's values (what was found, or what the person typed).
#[derive(Deserialize, Default, Clone)]
pub struct ResolveForm {
    kind: Option<String>,
    date: Option<String>,
    year: Option<String>,
    group: Option<String>,
    number: Option<String>,
    title: Option<String>,
    programme: Option<String>,
    learners: Option<String>,
}

impl ResolveForm {
    fn from_found(f: &DropSidecar) -> ResolveForm {
        ResolveForm {
            kind: f.kind.clone(),
            date: f.date.map(|d| d.to_string()),
            year: f.year.map(|y| y.to_string()),
            group: f.group.clone(),
            number: f.number.clone(),
            title: f.title.clone(),
            programme: f.programme.clone(),
            learners: f.learners.as_ref().map(|l| l.join("\n")),
        }
    }

    fn to_sidecar(&self) -> Result<DropSidecar, WebError> {
        let date = match opt(&self.date) {
            Some(d) => Some(
                chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .or_else(|_| chrono::NaiveDate::parse_from_str(&d, "%d.%m.%Y"))
                    .map_err(|_| WebError::invalid(format!("{}: {d}", RU.f_date)))?,
            ),
            None => None,
        };
        let year = match opt(&self.year) {
            Some(y) => Some(
                y.parse()
                    .map_err(|_| WebError::invalid(format!("{}: {y}", RU.f_year)))?,
            ),
            None => None,
        };
        let learners: Vec<String> = self
            .learners
            .as_deref()
            .unwrap_or("")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        Ok(DropSidecar {
            kind: opt(&self.kind),
            group: opt(&self.group),
            date,
            year: if date.is_some() { None } else { year },
            number: opt(&self.number),
            title: opt(&self.title),
            programme: opt(&self.programme),
            learners: (!learners.is_empty()).then_some(learners),
            events: None,
        })
    }
}

#[derive(Template)]
#[template(path = "review.html")]
struct ItemPage {
    t: &'static Ru,
    frame: Frame,
    item: ItemView,
    form: ResolveForm,
    kinds: Vec<(String, String)>,
    error: String,
}

impl ItemPage {
    fn val<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

fn item_page(
    app: &AppState,
    me: &Me,
    i: &ReviewItem,
    form: ResolveForm,
    error: String,
) -> ItemPage {
    ItemPage {
        t: &RU,
        frame: Frame::new(me, format!("{}: {}", RU.review_title, i.name), "/review"),
        item: item_view(i),
        form,
        kinds: app.kinds.clone(),
        error,
    }
}

pub async fn page(State(app): State<AppState>, me: Me, Path(name): Path<String>) -> PageResult {
    let a = app.archivist.clone();
    let i = blocking(move || a.review_show(&name)).await?;
    Ok(render(&item_page(
        &app,
        &me,
        &i,
        ResolveForm::from_found(&i.found),
        String::new(),
    )))
}

/// The scan waiting for review, for the browser's PDF viewer beside the form.
pub async fn scan(State(app): State<AppState>, Path(name): Path<String>) -> PageResult {
    let a = app.archivist.clone();
    let n = name.clone();
    let path = blocking(move || a.review_scan(&n)).await?;
    let mime = if name.to_lowercase().ends_with(".pdf") {
        "application/pdf"
    } else {
        // Images go to review as they came; the browser shows them itself.
        match name.rsplit('.').next().map(str::to_lowercase).as_deref() {
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("png") => "image/png",
            Some("tif" | "tiff") => "image/tiff",
            _ => "application/octet-stream",
        }
    };
    let mut r = send_file(path, mime, disposition("inline", &name)).await?;
    r.extensions_mut().insert(Frameable);
    Ok(r)
}

pub async fn resolve(
    State(app): State<AppState>,
    me: Me,
    Path(name): Path<String>,
    Form(f): Form<ResolveForm>,
) -> PageResult {
    let fail = |e: WebError, app: AppState, me: Me, name: String, f: ResolveForm| async move {
        let a = app.archivist.clone();
        let i = blocking(move || a.review_show(&name)).await?;
        let msg = if e.detail.is_empty() {
            e.message
        } else {
            e.detail
        };
        let mut r = render(&item_page(&app, &me, &i, f, msg));
        *r.status_mut() = e.status;
        Ok(r)
    };
    let side = match f.to_sidecar() {
        Ok(s) => s,
        Err(e) => return fail(e, app, me, name, f).await,
    };
    let a = app.archivist.clone();
    let (n, actor) = (name.clone(), me.actor());
    match blocking(move || a.review_resolve(&n, &side, &actor)).await {
        Ok(_) => Ok(see_other("/review?done=resolved")),
        Err(e) if e.status.is_client_error() => fail(e, app, me, name, f).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct RejectForm {
    reason: String,
}

pub async fn reject(
    State(app): State<AppState>,
    me: Me,
    Path(name): Path<String>,
    Form(f): Form<RejectForm>,
) -> PageResult {
    let a = app.archivist.clone();
    let actor = me.actor();
    blocking(move || a.review_reject(&name, &f.reason, &actor)).await?;
    Ok(see_other("/review?done=rejected"))
}
