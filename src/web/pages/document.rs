//! One document: the scan in the browser's own PDF viewer, its metadata and where each
//! field came from, its box and place, fixity, holds and audit trail; download of the
//! original (audited); amend for archivists.

use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{enc, opt, see_other};
use crate::api::web::{Amendment, DocumentPage, ScanUse};
use crate::store::document::Status;
use crate::web::AppState;
use crate::web::auth::{Me, Perm};
use crate::web::page::{Frame, Frameable, PageResult, WebError, blocking, render};
use crate::web::text::{self, RU, Ru};

pub struct Field {
    pub label: &'static str,
    pub value: String,
    pub origin: &'static str,
}

pub struct HoldView {
    pub number: u32,
    pub target: String,
    pub reason: String,
    pub by: String,
    pub since: String,
    pub active: bool,
}

pub struct AuditView {
    pub time: String,
    pub action: String,
    pub actor: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "document.html")]
struct Page {
    t: &'static Ru,
    frame: Frame,
    id: String,
    title: String,
    destroyed: bool,
    status_note: String,
    scan_present: bool,
    fields: Vec<Field>,
    facts: Vec<(&'static str, String)>,
    learners: Vec<(String, String)>,
    box_href: String,
    box_path: String,
    place: String,
    case_key: String,
    fixity: Vec<(String, String, &'static str, &'static str)>,
    holds: Vec<HoldView>,
    audit: Vec<AuditView>,
    may_amend: bool,
    may_hold: bool,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct Notice {
    done: Option<String>,
}

pub fn audit_view(r: &crate::store::audit::AuditRecord) -> AuditView {
    let details = match &r.details {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "sha256" | "digest" | "findings"))
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    AuditView {
        time: text::time(r.time),
        action: text::action(&r.action),
        actor: r.actor.clone(),
        details,
    }
}

fn view(app: &AppState, me: &Me, v: DocumentPage, notice: String) -> Page {
    let m = &v.view.metadata;
    let origin = |k: &str| {
        m.provenance
            .get(k)
            .map(|s| text::origin(s))
            .unwrap_or(RU.origin_unknown)
    };
    let kind_name = app.kind_name(&m.kind);
    let fields = vec![
        Field {
            label: RU.f_kind,
            value: kind_name.clone(),
            origin: origin("kind"),
        },
        Field {
            label: RU.f_date,
            value: m.date.map(text::date).unwrap_or_default(),
            origin: origin("date"),
        },
        Field {
            label: RU.f_year,
            value: m.year.to_string(),
            origin: origin("year"),
        },
        Field {
            label: RU.f_group,
            value: m.group.clone().unwrap_or_default(),
            origin: origin("group"),
        },
        Field {
            label: RU.f_number,
            value: m.number.clone().unwrap_or_default(),
            origin: origin("number"),
        },
        Field {
            label: RU.f_title,
            value: m.title.clone().unwrap_or_default(),
            origin: origin("title"),
        },
        Field {
            label: RU.f_programme,
            value: m.programme.clone().unwrap_or_default(),
            origin: origin("programme"),
        },
        Field {
            label: RU.f_learners,
            value: String::new(),
            origin: origin("learners"),
        },
    ];
    let mut facts = vec![
        (RU.f_pages, m.pages.to_string()),
        (RU.f_size, text::size(m.size)),
        (RU.f_case, format!("{} «{}»", m.case.index, m.case.title)),
        (
            RU.f_period,
            format!(
                "{} ({}){}",
                m.case.period,
                m.case.basis,
                if m.case.epk {
                    format!(", {}", RU.epk)
                } else {
                    String::new()
                }
            ),
        ),
        (RU.f_source, m.source_path.clone()),
        (RU.f_ingested, text::time(m.ingested_at)),
        (
            RU.f_text_layer,
            format!("{:?}", m.pdf.text_layer).to_lowercase(),
        ),
    ];
    if let Some(o) = &m.ocr {
        facts.push((RU.f_ocr, o.state.as_str().to_string()));
    }
    let (year, group) = m
        .box_path
        .strip_prefix("boxes/")
        .and_then(|r| r.split_once('/'))
        .map(|(y, g)| (y.to_string(), g.to_string()))
        .unwrap_or_default();
    Page {
        t: &RU,
        frame: Frame::new(
            me,
            format!("{} {}", RU.doc_title, &m.id[..12.min(m.id.len())]),
            "/search",
        ),
        id: m.id.clone(),
        title: m.title.clone().unwrap_or_else(|| kind_name.clone()),
        destroyed: m.status == Status::Destroyed,
        status_note: m.status_note.clone().unwrap_or_default(),
        scan_present: v.view.location.present,
        fields,
        facts,
        learners: m
            .learners
            .iter()
            .map(|l| (l.clone(), format!("/learner?name={}", enc(l))))
            .collect(),
        box_href: format!("/box/{}/{}", enc(&year), enc(&group)),
        box_path: m.box_path.clone(),
        place: m.file.clone(),
        case_key: v.case_key.map(|k| k.to_string()).unwrap_or_default(),
        fixity: v
            .fixity
            .iter()
            .map(|f| {
                let (label, class) = match f.outcome.as_str() {
                    "intact" => (RU.fixity_intact, "ok"),
                    "missing" => (RU.fixity_missing, "bad"),
                    _ => (RU.fixity_changed, "bad"),
                };
                (text::time(f.start), f.scope.clone(), label, class)
            })
            .collect(),
        holds: v
            .holds
            .iter()
            .map(|h| HoldView {
                number: h.number,
                target: h.target.clone(),
                reason: h.reason.clone(),
                by: h.created_by.clone(),
                since: text::time(h.created_at),
                active: h.active(),
            })
            .collect(),
        audit: v.view.history.iter().rev().map(audit_view).collect(),
        may_amend: me.may(Perm::Amend),
        may_hold: me.may(Perm::Holds),
        notice,
    }
}

pub async fn page(
    State(app): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    axum::extract::Query(n): axum::extract::Query<Notice>,
) -> PageResult {
    // A scan in review (found by search) has its own page.
    if let Some(name) = id.strip_prefix(crate::store::review::ID_PREFIX) {
        return Ok(see_other(&format!("/review/{}", super::enc(name))));
    }
    let a = app.archivist.clone();
    let v = blocking(move || a.document(&id)).await?;
    let notice = match n.done.as_deref() {
        Some("amend") => RU.amend_done.to_string(),
        Some("hold") => RU.hold_added.to_string(),
        Some("release") => RU.hold_released.to_string(),
        _ => String::new(),
    };
    Ok(render(&view(&app, &me, v, notice)))
}

/// `Content-Disposition` with the name in ASCII and in UTF-8 (RFC 6266).
pub fn disposition(kind: &str, name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        enc(name)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Sends a file from disk in pieces (scans may be large).
pub async fn send_file(
    path: std::path::PathBuf,
    mime: &'static str,
    disp: HeaderValue,
) -> PageResult {
    let file = tokio::fs::File::open(&path).await.map_err(|e| {
        tracing::error!("cannot open {}: {e}", path.display());
        WebError::not_found(RU.doc_no_scan)
    })?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_DISPOSITION, disp);
    if let Some(n) = len {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    Ok(r)
}

/// The scan for the browser's PDF viewer (shown in a frame of the document page).
pub async fn scan(State(app): State<AppState>, me: Me, Path(id): Path<String>) -> PageResult {
    let a = app.archivist.clone();
    let f = blocking(move || a.scan(&id, &me.actor(), ScanUse::View)).await?;
    let mut r = send_file(f.path, "application/pdf", disposition("inline", &f.name)).await?;
    r.extensions_mut().insert(Frameable);
    Ok(r)
}

/// The original file, as an attachment; audited.
pub async fn download(State(app): State<AppState>, me: Me, Path(id): Path<String>) -> PageResult {
    let a = app.archivist.clone();
    let f = blocking(move || a.scan(&id, &me.actor(), ScanUse::Download)).await?;
    send_file(
        f.path,
        "application/pdf",
        disposition("attachment", &f.name),
    )
    .await
}

#[derive(Template)]
#[template(path = "amend.html")]
struct AmendPage {
    t: &'static Ru,
    frame: Frame,
    id: String,
    title: String,
    kinds: Vec<(String, String)>,
    kind: String,
    date: String,
    group: String,
    number: String,
    doc_title: String,
    error: String,
}

pub async fn amend_page(State(app): State<AppState>, me: Me, Path(id): Path<String>) -> PageResult {
    let a = app.archivist.clone();
    let m = blocking(move || a.show(&id)).await?.metadata;
    Ok(render(&AmendPage {
        t: &RU,
        frame: Frame::new(&me, RU.amend_title, "/search"),
        title: m.title.clone().unwrap_or_else(|| app.kind_name(&m.kind)),
        id: m.id,
        kinds: app.kinds.clone(),
        kind: m.kind,
        date: m.date.map(|d| d.to_string()).unwrap_or_default(),
        group: m.group.unwrap_or_default(),
        number: m.number.unwrap_or_default(),
        doc_title: m.title.unwrap_or_default(),
        error: String::new(),
    }))
}

#[derive(Deserialize)]
pub struct AmendForm {
    kind: Option<String>,
    date: Option<String>,
    group: Option<String>,
    number: Option<String>,
    title: Option<String>,
}

pub async fn amend(
    State(app): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    Form(f): Form<AmendForm>,
) -> PageResult {
    let date = match opt(&f.date) {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .or_else(|_| chrono::NaiveDate::parse_from_str(&d, "%d.%m.%Y"))
                .map_err(|_| WebError::invalid(format!("{d}: write the date as ДД.ММ.ГГГГ")))?,
        ),
        None => None,
    };
    let change = Amendment {
        kind: opt(&f.kind),
        date,
        group: opt(&f.group),
        number: opt(&f.number),
        title: opt(&f.title),
    };
    let a = app.archivist.clone();
    let id2 = id.clone();
    let actor = me.actor();
    match blocking(move || a.amend(&id2, &change, &actor)).await {
        Ok(m) => Ok(see_other(&format!("/doc/{}?done=amend", m.id))),
        Err(e) if e.status == StatusCode::CONFLICT || e.status.is_client_error() => {
            let a = app.archivist.clone();
            let id3 = id.clone();
            let m = blocking(move || a.show(&id3)).await?.metadata;
            let mut r = render(&AmendPage {
                t: &RU,
                frame: Frame::new(&me, RU.amend_title, "/search"),
                title: m.title.clone().unwrap_or_else(|| app.kind_name(&m.kind)),
                id: m.id,
                kinds: app.kinds.clone(),
                kind: opt(&f.kind).unwrap_or(m.kind),
                date: opt(&f.date).unwrap_or_default(),
                group: opt(&f.group).unwrap_or_default(),
                number: opt(&f.number).unwrap_or_default(),
                doc_title: opt(&f.title).unwrap_or_default(),
                error: if e.detail.is_empty() {
                    e.message
                } else {
                    e.detail
                },
            });
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}
