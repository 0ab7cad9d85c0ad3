//! Retention: cases eligible for destruction, for expert review (ЭПК), lapsing within
//! 12 months, held, and undated; holds placed and released by archivists.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::{enc, see_other};
use crate::records::hold::Hold;
use crate::records::retention::{Case, Lapse};
use crate::web::AppState;
use crate::web::auth::{Me, Perm, safe_next};
use crate::web::page::{Frame, PageResult, WebError, blocking, render};
use crate::web::text::{self, RU, Ru};

/// When a case's period ends, in words.
pub fn lapse_text(l: &Lapse) -> String {
    match l {
        Lapse::On(d) => text::date(*d),
        Lapse::Never => RU.lapse_never.into(),
        Lapse::NoEventDate => RU.lapse_no_event.into(),
        Lapse::CommissionDecides { earliest } => {
            format!("{} {}", RU.lapse_commission, text::date(*earliest))
        }
    }
}

pub struct CaseView {
    pub key: String,
    pub title: String,
    pub documents: u64,
    pub dates: String,
    pub period: String,
    pub lapse: String,
    pub holds: String,
    pub href: String,
}

fn case_view(c: &Case) -> CaseView {
    let dates = match (c.first_date, c.last_date) {
        (Some(a), Some(b)) if a == b => text::date(a),
        (Some(a), Some(b)) => format!("{}–{}", text::date(a), text::date(b)),
        _ => c.closing_year.to_string(),
    };
    let k = &c.case_key;
    let mut href = format!("/search?kind={}&year={}", enc(&c.kind), k.year);
    if let Some(g) = &k.group {
        href.push_str(&format!("&group={}", enc(g)));
    }
    CaseView {
        key: c.key.clone(),
        title: c.title.clone(),
        documents: c.documents,
        dates,
        period: format!(
            "{} ({}){}",
            c.period_ru,
            c.basis,
            if c.epk {
                format!(", {}", RU.epk)
            } else {
                String::new()
            }
        ),
        lapse: lapse_text(&c.lapse),
        holds: c
            .holds
            .iter()
            .map(|h| format!("#{h}"))
            .collect::<Vec<_>>()
            .join(", "),
        href,
    }
}

pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    pub cases: Vec<CaseView>,
}

pub struct HoldRow {
    pub number: u32,
    pub target: String,
    pub target_href: String,
    pub reason: String,
    pub by: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "retention.html")]
struct Page {
    t: &'static Ru,
    frame: Frame,
    as_of: String,
    as_of_iso: String,
    sections: Vec<Section>,
    holds: Vec<HoldRow>,
    may_hold: bool,
    may_draft: bool,
    notice: String,
    target: String,
}

#[derive(Deserialize, Default)]
pub struct Params {
    as_of: Option<String>,
    done: Option<String>,
    target: Option<String>,
}

fn hold_row(h: &Hold) -> HoldRow {
    let target_href = if h.target.contains('/') {
        String::new()
    } else {
        format!("/doc/{}", h.target)
    };
    HoldRow {
        number: h.number,
        target: h.target.clone(),
        target_href,
        reason: h.reason.clone(),
        by: h.created_by.clone(),
        since: text::time(h.created_at),
    }
}

pub async fn page(State(app): State<AppState>, me: Me, Query(p): Query<Params>) -> PageResult {
    let as_of = p
        .as_of
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let a = app.archivist.clone();
    let (report, holds) = blocking(move || Ok((a.retention(as_of)?, a.holds(false)?))).await?;
    let s = |id, title, hint, cases: &[Case]| Section {
        id,
        title,
        hint,
        cases: cases.iter().map(case_view).collect(),
    };
    let sections = vec![
        s(
            "eligible",
            RU.ret_eligible,
            RU.ret_eligible_hint,
            &report.eligible,
        ),
        s("epk", RU.ret_epk, RU.ret_epk_hint, &report.epk_review),
        s("lapsing", RU.ret_lapsing, "", &report.lapsing_soon),
        s("held", RU.ret_held, "", &report.held),
        s(
            "undated",
            RU.ret_undated,
            RU.ret_undated_hint,
            &report.no_event_date,
        ),
        s(
            "commission",
            RU.ret_commission,
            "",
            &report.commission_decides,
        ),
    ];
    Ok(render(&Page {
        t: &RU,
        frame: Frame::new(&me, RU.ret_title, "/retention"),
        as_of: text::date(as_of),
        as_of_iso: as_of.to_string(),
        sections,
        holds: holds.iter().map(hold_row).collect(),
        may_hold: me.may(Perm::Holds),
        may_draft: me.may(Perm::DisposalManage),
        notice: match p.done.as_deref() {
            Some("hold") => RU.hold_added.into(),
            Some("release") => RU.hold_released.into(),
            _ => String::new(),
        },
        target: p.target.unwrap_or_default(),
    }))
}

#[derive(Deserialize)]
pub struct HoldForm {
    target: String,
    reason: String,
    back: Option<String>,
}

/// Where to go after a hold changes: the page the form was on, told what happened.
fn back_to(back: Option<&str>, done: &str) -> String {
    let b = safe_next(back);
    let b = if b == "/" {
        "/retention".to_string()
    } else {
        b
    };
    let sep = if b.contains('?') { '&' } else { '?' };
    format!("{b}{sep}done={done}")
}

pub async fn hold_add(State(app): State<AppState>, me: Me, Form(f): Form<HoldForm>) -> PageResult {
    let a = app.archivist.clone();
    let actor = me.actor();
    let (target, reason) = (f.target.clone(), f.reason.clone());
    blocking(move || a.hold_add(&target, &reason, &actor)).await?;
    Ok(see_other(&back_to(f.back.as_deref(), "hold")))
}

#[derive(Deserialize)]
pub struct ReleaseForm {
    reason: Option<String>,
    back: Option<String>,
}

pub async fn hold_release(
    State(app): State<AppState>,
    me: Me,
    Path(number): Path<String>,
    Form(f): Form<ReleaseForm>,
) -> PageResult {
    let n: u32 = number
        .trim_start_matches('#')
        .parse()
        .map_err(|_| WebError::not_found(""))?;
    let a = app.archivist.clone();
    let actor = me.actor();
    let reason = f.reason.clone().unwrap_or_default();
    blocking(move || a.hold_release(&n.to_string(), &reason, &actor)).await?;
    Ok(see_other(&back_to(f.back.as_deref(), "release")))
}
