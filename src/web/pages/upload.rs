//! Upload: one or many scans through the browser into the inbox, with optional metadata
//! (kept as each scan's drop sidecar). The watcher files them as if dropped by hand.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;

use crate::api::upload::{InboxUpload, Uploaded};
use crate::store::document::DropSidecar;
use crate::web::AppState;
use crate::web::auth::Me;
use crate::web::page::{Frame, PageResult, WebError, blocking, render};
use crate::web::text::{self, RU, Ru};

#[derive(Template)]
#[template(path = "upload.html")]
struct Page {
    t: &'static Ru,
    frame: Frame,
    kinds: Vec<(String, String)>,
    uploaded: Vec<(String, String)>,
    error: String,
    watching: bool,
}

fn page_of(app: &AppState, me: &Me, uploaded: &[Uploaded], error: String) -> Page {
    Page {
        t: &RU,
        frame: Frame::new(me, RU.upload_title, "/upload"),
        kinds: app.kinds.clone(),
        uploaded: uploaded
            .iter()
            .map(|u| (u.name.clone(), text::size(u.size)))
            .collect(),
        error,
        watching: app.options.watching,
    }
}

pub async fn page(State(app): State<AppState>, me: Me) -> PageResult {
    Ok(render(&page_of(&app, &me, &[], String::new())))
}

/// Bytes gathered from the browser before each write to disk.
const CHUNK: usize = 4 << 20;

pub async fn upload(State(app): State<AppState>, me: Me, mut form: Multipart) -> PageResult {
    let mut meta = DropSidecar::default();
    let mut done: Vec<Uploaded> = Vec::new();
    let mut error = String::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                error = format!("{}: {e}", RU.err_invalid);
                break;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if name != "files" {
            let value = field.text().await.unwrap_or_default();
            if let Err(e) = set_meta(&mut meta, &name, value.trim()) {
                error = e;
                break;
            }
            continue;
        }
        let Some(file_name) = field
            .file_name()
            .map(str::to_string)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        match receive(&app, &me, &file_name, &meta, field).await {
            Ok(u) => done.push(u),
            Err(e) => {
                error = format!(
                    "{file_name}: {}",
                    if e.detail.is_empty() {
                        e.message
                    } else {
                        e.detail
                    }
                );
                break;
            }
        }
    }
    if done.is_empty() && error.is_empty() {
        error = RU.upload_none.to_string();
    }
    let failed = !error.is_empty();
    let mut r = render(&page_of(&app, &me, &done, error));
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

fn set_meta(m: &mut DropSidecar, key: &str, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    let s = Some(v.to_string());
    match key {
        "kind" => m.kind = s,
        "group" => m.group = s,
        "number" => m.number = s,
        "title" => m.title = s,
        "programme" => m.programme = s,
        "date" => {
            m.date = Some(
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .or_else(|_| chrono::NaiveDate::parse_from_str(v, "%d.%m.%Y"))
                    .map_err(|_| format!("{}: {v}", RU.f_date))?,
            )
        }
        "learners" => {
            let l: Vec<String> = v
                .lines()
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            if !l.is_empty() {
                m.learners = Some(l);
            }
        }
        _ => {}
    }
    Ok(())
}

async fn receive(
    app: &AppState,
    me: &Me,
    file_name: &str,
    meta: &DropSidecar,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<Uploaded, WebError> {
    let a = app.archivist.clone();
    let (n, m) = (file_name.to_string(), meta.clone());
    let mut up: InboxUpload = blocking(move || a.inbox_upload(&n, Some(&m))).await?;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    loop {
        let chunk = field
            .chunk()
            .await
            .map_err(|e| WebError::invalid(format!("{e}")))?;
        let end = chunk.is_none();
        if let Some(c) = chunk {
            buf.extend_from_slice(&c);
        }
        if buf.len() >= CHUNK || (end && !buf.is_empty()) {
            let data = std::mem::take(&mut buf);
            up = blocking(move || up.write(&data).map(|_| up)).await?;
        }
        if end {
            break;
        }
    }
    let a = app.archivist.clone();
    let actor = me.actor();
    blocking(move || up.finish(&a, &actor)).await
}
