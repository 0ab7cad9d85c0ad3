//! Destruction acts: draft; the commission's review (comments, proposed exclusions,
//! sign-off by each member); the chair's approval with the protocol (refused, with the
//! reasons, when the act changed); execution with progress; the act's PDF and CSV; the
//! tombstones of executed acts.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::document::{audit_view, disposition, send_file};
use super::{parse_num, see_other};
use crate::api::commission::{ActReview, EntryKind, ReviewEntry};
use crate::error::{ActChanged, Refused};
use crate::records::act::{Act, State as ActState};
use crate::web::AppState;
use crate::web::auth::{Me, Perm};
use crate::web::page::{Frame, PageResult, WebError, blocking, render};
use crate::web::text::{self, RU, Ru};

/// Executions running in this process, by act number.
#[derive(Default)]
pub struct Jobs(Mutex<HashMap<u32, Job>>);

#[derive(Debug, Clone)]
pub enum Job {
    Running,
    Failed(String),
}

impl Jobs {
    fn get(&self, n: u32) -> Option<Job> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&n)
            .cloned()
    }

    fn set(&self, n: u32, j: Option<Job>) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match j {
            Some(j) => m.insert(n, j),
            None => m.remove(&n),
        };
    }
}

fn state_word(s: ActState) -> (&'static str, &'static str) {
    match s {
        ActState::Draft => (RU.disp_state_draft, "warn"),
        ActState::Approved => (RU.disp_state_approved, "ok"),
        ActState::Executed => (RU.disp_state_executed, ""),
    }
}

pub struct ActRow {
    pub number: u32,
    pub date: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub cases: usize,
    pub documents: usize,
    pub years: String,
}

fn act_row(a: &Act) -> ActRow {
    let (state, state_class) = state_word(a.state);
    ActRow {
        number: a.number,
        date: text::date(a.date),
        state,
        state_class,
        cases: a.cases.len(),
        documents: a.document_count(),
        years: a.years(),
    }
}

#[derive(Template)]
#[template(path = "disposal_list.html")]
struct ListPage {
    t: &'static Ru,
    frame: Frame,
    acts: Vec<ActRow>,
    may_draft: bool,
    today: String,
    error: String,
}

pub async fn list(State(app): State<AppState>, me: Me) -> PageResult {
    list_page(&app, &me, String::new()).await
}

async fn list_page(app: &AppState, me: &Me, error: String) -> PageResult {
    let a = app.archivist.clone();
    let mut acts = blocking(move || a.disposal_list()).await?;
    // Newest first.
    acts.reverse();
    Ok(render(&ListPage {
        t: &RU,
        frame: Frame::new(me, RU.disp_title, "/disposal"),
        acts: acts.iter().map(act_row).collect(),
        may_draft: me.may(Perm::DisposalManage),
        today: chrono::Local::now().date_naive().to_string(),
        error,
    }))
}

#[derive(Deserialize)]
pub struct DraftForm {
    as_of: Option<String>,
}

pub async fn draft(State(app): State<AppState>, me: Me, Form(f): Form<DraftForm>) -> PageResult {
    let as_of = f
        .as_of
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let a = app.archivist.clone();
    let actor = me.actor();
    let drafted = blocking(move || {
        // Nothing eligible is a refusal to show on the list, not a failure.
        if a.retention(as_of)?.eligible.is_empty() {
            return Err(Refused(format!(
                "no case is eligible for destruction as of {as_of}; no act was drafted"
            ))
            .into());
        }
        a.disposal_draft(as_of, &actor)
    });
    match drafted.await {
        Ok(v) => Ok(see_other(&format!(
            "/disposal/{}?done=drafted",
            v.act.number
        ))),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let mut r = list_page(&app, &me, e.detail).await?;
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

pub struct EntryView {
    pub user: String,
    pub time: String,
    pub text: String,
    pub exclude: bool,
}

pub struct DocView {
    pub slug: String,
    pub id: String,
    pub short: String,
    pub file: String,
    pub date: String,
    pub number: String,
    pub pages: u32,
    pub destroyed: bool,
    pub entries: Vec<EntryView>,
}

pub struct CaseView {
    pub slug: String,
    pub key: String,
    pub title: String,
    pub period: String,
    pub lapsed: String,
    pub entries: Vec<EntryView>,
    pub docs: Vec<DocView>,
}

#[derive(Template)]
#[template(path = "disposal.html")]
struct ActPage {
    t: &'static Ru,
    frame: Frame,
    n: u32,
    date: String,
    state: &'static str,
    state_class: &'static str,
    draft: bool,
    approved: bool,
    executed: bool,
    created_by: String,
    years: String,
    case_count: usize,
    doc_count: usize,
    approval: String,
    executed_at: String,
    act_entries: Vec<EntryView>,
    cases: Vec<CaseView>,
    members: Vec<(String, String)>,
    blockers: Vec<String>,
    may_review: bool,
    signed_by_me: bool,
    may_approve: bool,
    may_execute: bool,
    notice: String,
    error: String,
    problems: Vec<String>,
    running: bool,
    progress: Progress,
    audit: Vec<super::document::AuditView>,
    today: String,
}

#[derive(Deserialize, Default)]
pub struct Notice {
    done: Option<String>,
}

fn entries_for(entries: &[ReviewEntry], target: Option<&str>) -> Vec<EntryView> {
    entries
        .iter()
        .filter(|e| e.kind != EntryKind::SignOff && e.target.as_deref() == target)
        .map(|e| EntryView {
            user: e.user.clone(),
            time: text::time(e.time),
            text: e.text.clone(),
            exclude: e.kind == EntryKind::Exclude,
        })
        .collect()
}

/// How far an execution is: documents destroyed of those listed.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: String,
}

impl Progress {
    fn of(act: &Act, job: Option<&Job>) -> Progress {
        Progress {
            done: act.destroyed.len(),
            total: act.document_count(),
            failed: match job {
                Some(Job::Failed(e)) => e.clone(),
                _ => String::new(),
            },
        }
    }
}

struct Loaded {
    act: Act,
    review: ActReview,
    audit: Vec<crate::store::audit::AuditRecord>,
}

async fn load(app: &AppState, n: u32) -> Result<Loaded, WebError> {
    let a = app.archivist.clone();
    blocking(move || {
        let act = a.disposal_show(n)?.act;
        let review = a.act_review(n)?;
        let audit = a.act_history(n)?;
        Ok(Loaded { act, review, audit })
    })
    .await
}

fn act_page(
    app: &AppState,
    me: &Me,
    l: Loaded,
    notice: String,
    error: String,
    problems: Vec<String>,
) -> ActPage {
    let (act, review) = (&l.act, &l.review);
    let (state, state_class) = state_word(act.state);
    let job = app.jobs.get(act.number);
    let running = matches!(job, Some(Job::Running));
    let cases = act
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| CaseView {
            slug: format!("c{}", i + 1),
            key: c.key.clone(),
            title: c.title.clone(),
            period: format!("{}, {}", c.period, c.basis),
            lapsed: text::date(c.lapsed_on),
            entries: entries_for(&review.entries, Some(&c.key)),
            docs: c
                .documents
                .iter()
                .enumerate()
                .map(|(j, d)| DocView {
                    slug: format!("c{}-d{}", i + 1, j + 1),
                    id: d.id.clone(),
                    short: d.id[..12.min(d.id.len())].to_string(),
                    file: format!("{}/{}", d.box_path, d.file),
                    date: d.date.map(text::date).unwrap_or_default(),
                    number: d.number.clone().unwrap_or_default(),
                    pages: d.pages,
                    destroyed: act.destroyed.contains(&d.id),
                    entries: entries_for(&review.entries, Some(&d.id)),
                })
                .collect(),
        })
        .collect();
    let me_signed = review
        .members
        .iter()
        .any(|(n, s)| *n == me.name && s.is_some());
    ActPage {
        t: &RU,
        frame: Frame::new(me, format!("{} {}", RU.disp_act, act.number), "/disposal"),
        n: act.number,
        date: text::date(act.date),
        state,
        state_class,
        draft: act.state == ActState::Draft,
        approved: act.state == ActState::Approved,
        executed: act.state == ActState::Executed,
        created_by: act.created_by.clone(),
        years: act.years(),
        case_count: act.cases.len(),
        doc_count: act.document_count(),
        approval: act
            .approval
            .as_ref()
            .map(|x| {
                format!(
                    "{}, {} ({})",
                    x.protocol,
                    x.approved_by,
                    text::time(x.approved_at)
                )
            })
            .unwrap_or_default(),
        executed_at: act.executed_at.map(text::time).unwrap_or_default(),
        act_entries: entries_for(&review.entries, None),
        cases,
        members: review
            .members
            .iter()
            .map(|(n, s)| {
                (
                    n.clone(),
                    s.map(|t| format!("{} {}", RU.disp_signed, text::time(t)))
                        .unwrap_or_else(|| RU.disp_not_signed.to_string()),
                )
            })
            .collect(),
        blockers: review.blockers(),
        may_review: me.may(Perm::CommissionReview),
        signed_by_me: me_signed,
        may_approve: me.may(Perm::Approve),
        may_execute: me.may(Perm::DisposalManage),
        notice,
        error,
        problems,
        running,
        progress: Progress::of(act, job.as_ref()),
        audit: l.audit.iter().rev().map(audit_view).collect(),
        today: chrono::Local::now().date_naive().to_string(),
    }
}

fn notice_of(done: Option<&str>) -> String {
    match done {
        Some("drafted") => RU.disp_drafted.into(),
        Some("approved") => RU.disp_approved.into(),
        Some("executed") => RU.disp_executed.into(),
        _ => String::new(),
    }
}

pub async fn page(
    State(app): State<AppState>,
    me: Me,
    Path(n): Path<String>,
    Query(q): Query<Notice>,
) -> PageResult {
    let n: u32 = parse_num(&n)?;
    let l = load(&app, n).await?;
    Ok(render(&act_page(
        &app,
        &me,
        l,
        notice_of(q.done.as_deref()),
        String::new(),
        Vec::new(),
    )))
}

pub async fn file(
    State(app): State<AppState>,
    Path((n, file)): Path<(String, String)>,
) -> PageResult {
    let n: u32 = parse_num(&n)?;
    let a = app.archivist.clone();
    let f = file.clone();
    let path = blocking(move || a.act_file(n, &f)).await?;
    let mime = crate::api::web::ACT_FILES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, m)| *m)
        .unwrap_or("application/octet-stream");
    let kind = if file.ends_with(".pdf") {
        "inline"
    } else {
        "attachment"
    };
    send_file(path, mime, disposition(kind, &format!("act-{n}-{file}"))).await
}

#[derive(Deserialize)]
pub struct CommentForm {
    target: Option<String>,
    text: Option<String>,
    exclude: Option<String>,
    back: Option<String>,
}

pub async fn comment(
    State(app): State<AppState>,
    me: Me,
    Path(n): Path<String>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    let n: u32 = parse_num(&n)?;
    let a = app.archivist.clone();
    let actor = me.actor();
    let target = f.target.clone().filter(|t| !t.trim().is_empty());
    let text = f.text.clone().unwrap_or_default();
    let exclude = f.exclude.is_some();
    blocking(move || a.act_comment(n, target.as_deref(), &text, exclude, &actor)).await?;
    let anchor = f
        .back
        .as_deref()
        .filter(|b| b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(|b| format!("#{b}"))
        .unwrap_or_default();
    Ok(see_other(&format!("/disposal/{n}{anchor}")))
}

pub async fn sign_off(State(app): State<AppState>, me: Me, Path(n): Path<String>) -> PageResult {
    let n: u32 = parse_num(&n)?;
    let a = app.archivist.clone();
    let actor = me.actor();
    blocking(move || a.act_sign_off(n, &actor)).await?;
    Ok(see_other(&format!("/disposal/{n}#signoffs")))
}

#[derive(Deserialize)]
pub struct ApproveForm {
    protocol_no: String,
    protocol_date: String,
}

pub async fn approve(
    State(app): State<AppState>,
    me: Me,
    Path(n): Path<String>,
    Form(f): Form<ApproveForm>,
) -> PageResult {
    let n: u32 = parse_num(&n)?;
    let date = chrono::NaiveDate::parse_from_str(f.protocol_date.trim(), "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(f.protocol_date.trim(), "%d.%m.%Y"))
        .map_err(|_| {
            WebError::invalid(format!("{}: {}", RU.disp_protocol_date, f.protocol_date))
        })?;
    let a = app.archivist.clone();
    let actor = me.actor();
    let no = f.protocol_no.clone();
    let result = tokio::task::spawn_blocking(move || a.act_approve(n, &no, date, &actor))
        .await
        .map_err(|e| {
            tracing::error!("{e}");
            WebError::new(StatusCode::INTERNAL_SERVER_ERROR, RU.err_failure, "")
        })?;
    match result {
        Ok(_) => Ok(see_other(&format!("/disposal/{n}?done=approved"))),
        Err(e) => {
            // Refused: the page again, with the reasons.
            let (message, problems) = match e.find::<ActChanged>() {
                Some(c) => (String::new(), c.problems.clone()),
                None => (e.to_string(), Vec::new()),
            };
            let kind = e.kind();
            if !matches!(
                kind,
                crate::error::ErrorKind::Refused | crate::error::ErrorKind::Invalid
            ) {
                return Err(WebError::from(e));
            }
            let l = load(&app, n).await?;
            let mut r = render(&act_page(&app, &me, l, String::new(), message, problems));
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
    }
}

pub async fn execute(State(app): State<AppState>, me: Me, Path(n): Path<String>) -> PageResult {
    let n: u32 = parse_num(&n)?;
    if matches!(app.jobs.get(n), Some(Job::Running)) {
        return Ok(see_other(&format!("/disposal/{n}")));
    }
    let a = app.archivist.clone();
    let act = blocking(move || Ok(a.disposal_show(n)?.act)).await?;
    if act.state != ActState::Approved {
        return Err(WebError::new(
            StatusCode::CONFLICT,
            RU.err_refused,
            format!("{} {n}: {}", RU.disp_act, state_word(act.state).0),
        ));
    }
    app.jobs.set(n, Some(Job::Running));
    let (jobs_app, actor) = (app.clone(), me.actor());
    tokio::spawn(async move {
        let a = jobs_app.archivist.clone();
        let r =
            tokio::task::spawn_blocking(move || a.beside_watcher(|| a.disposal_execute(n, &actor)))
                .await;
        let outcome = match r {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(Job::Failed(e.to_string())),
            Err(e) => Some(Job::Failed(e.to_string())),
        };
        jobs_app.jobs.set(n, outcome);
    });
    Ok(see_other(&format!("/disposal/{n}#progress")))
}

#[derive(Template)]
#[template(path = "progress.html")]
struct ProgressPart {
    t: &'static Ru,
    n: u32,
    running: bool,
    progress: Progress,
}

/// The progress of an execution (polled by the act page while it runs).
pub async fn progress(State(app): State<AppState>, Path(n): Path<String>) -> Response {
    let Ok(n) = n.parse::<u32>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let a = app.archivist.clone();
    let act = match blocking(move || Ok(a.disposal_show(n)?.act)).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let job = app.jobs.get(n);
    let running = matches!(job, Some(Job::Running));
    let mut r = render(&ProgressPart {
        t: &RU,
        n,
        running,
        progress: Progress::of(&act, job.as_ref()),
    });
    if !running {
        // Finished: htmx reloads the whole act page (executed state and tombstones).
        r.headers_mut()
            .insert("hx-refresh", HeaderValue::from_static("true"));
    }
    r
}
