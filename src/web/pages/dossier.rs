//! A learner's dossier: every document naming the person, by kind and date, with the
//! results table; a print layout. Several people behind one name are offered to choose.

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::enc;
use super::search::{HitView, hit_view};
use crate::api::{Detail, Dossier};
use crate::records::recordcard::row_cells;
use crate::search::{LIFE_CYCLE, PersonRecord, ResultRow};
use crate::web::AppState;
use crate::web::auth::Me;
use crate::web::page::{Frame, PageResult, WebError, blocking, render};
use crate::web::text::{self, RU, Ru};

#[derive(Deserialize)]
pub struct Params {
    name: Option<String>,
}

pub struct PersonView {
    pub name: String,
    pub href: String,
    pub count: usize,
    pub count_word: &'static str,
    pub forms: String,
    pub kinds: Vec<(String, Vec<HitView>)>,
    pub results: Vec<ResultView>,
}

/// One programme of the results table, each value as the record card prints it.
pub struct ResultView {
    pub programme: String,
    pub group: String,
    pub dates: String,
    pub result: String,
    pub certificate: String,
    /// The documents the values came from: link and label.
    pub sources: Vec<(String, String)>,
}

fn result_view(app: &AppState, r: &ResultRow) -> ResultView {
    let [programme, group, dates, result, certificate, _] =
        row_cells(r).map(|c| c.replace('\n', " "));
    let sources = r
        .sources
        .iter()
        .map(|s| {
            let mut label = app.kind_name(&s.kind);
            if let Some(n) = &s.number {
                label.push_str(&format!(" № {n}"));
            }
            if let Some(d) = s.date {
                label.push_str(&format!(" {} {}", RU.date_of, text::date(d)));
            }
            (format!("/doc/{}", enc(&s.id)), label)
        })
        .collect();
    ResultView {
        programme,
        group,
        dates,
        result,
        certificate,
        sources,
    }
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct Page {
    t: &'static Ru,
    frame: Frame,
    query: String,
    person: Option<PersonView>,
    others: Vec<PersonView>,
    print_href: String,
    card_href: String,
    printed_on: String,
    print: bool,
}

fn person_view(app: &AppState, p: &PersonRecord, full: bool) -> PersonView {
    let mut kinds = Vec::new();
    if full {
        let mut order: Vec<&str> = LIFE_CYCLE.to_vec();
        for d in &p.documents {
            if !order.contains(&d.kind.as_str()) {
                order.push(&d.kind);
            }
        }
        for k in order {
            let docs: Vec<HitView> = p
                .documents
                .iter()
                .filter(|d| d.kind == k)
                .map(|d| hit_view(d, &app.kind_name(&d.kind)))
                .collect();
            if !docs.is_empty() {
                kinds.push((app.kind_name(k), docs));
            }
        }
    }
    PersonView {
        name: p.name.clone(),
        // The token names this person alone (a name may mean namesakes).
        href: format!("/learner?name={}", enc(&p.token)),
        count: p.count,
        count_word: text::plural(p.count as u64, text::DOCUMENTS),
        forms: p.forms.join("; "),
        kinds,
        results: if full {
            p.results.iter().map(|r| result_view(app, r)).collect()
        } else {
            Vec::new()
        },
    }
}

async fn dossier(app: &AppState, me: &Me, p: Params, print: bool) -> PageResult {
    let query = p.name.unwrap_or_default().trim().to_string();
    if query.is_empty() {
        return Err(WebError::invalid(RU.dossier_nobody));
    }
    let a = app.archivist.clone();
    let q = query.clone();
    // Namesakes are listed to choose from; only the first is read in full.
    let d: Dossier = blocking(move || a.dossier_with(&q, Detail::First)).await?;
    let mut people = d.people.iter();
    let first = people.next();
    let person = first.map(|p| person_view(app, p, true));
    let others = people.map(|p| person_view(app, p, false)).collect();
    let title = person
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|| query.clone());
    Ok(render(&Page {
        t: &RU,
        frame: Frame::new(me, format!("{}: {title}", RU.dossier_title), "/search"),
        print_href: format!(
            "/learner/print?name={}",
            enc(first.map_or(query.as_str(), |p| p.token.as_str()))
        ),
        card_href: format!(
            "/learner/card.pdf?name={}",
            enc(first.map_or(query.as_str(), |p| p.token.as_str()))
        ),
        query,
        person,
        others,
        printed_on: text::date(chrono::Local::now().date_naive()),
        print,
    }))
}

pub async fn page(State(app): State<AppState>, me: Me, Query(p): Query<Params>) -> PageResult {
    dossier(&app, &me, p, false).await
}

/// The same dossier laid out for paper (the browser prints it, or saves it as PDF).
pub async fn print(State(app): State<AppState>, me: Me, Query(p): Query<Params>) -> PageResult {
    dossier(&app, &me, p, true).await
}
