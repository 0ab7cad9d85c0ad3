//! Search: a query box, facets with counts, one page of hits with highlighted snippets,
//! learner names linked to their dossiers. Works as plain links and forms; htmx swaps
//! only the results when it is there.

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::{enc, opt};
use crate::search::{FacetCount, Filters, Hit, MARK_END, MARK_START, SearchRequest, SearchResults};
use crate::store::document::Status;
use crate::web::AppState;
use crate::web::auth::Me;
use crate::web::page::{Frame, PageResult, blocking, render};
use crate::web::text::{self, RU, Ru};

pub const PER_PAGE: usize = 20;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    q: Option<String>,
    kind: Option<String>,
    year: Option<String>,
    group: Option<String>,
    status: Option<String>,
    page: Option<usize>,
}

/// One piece of a snippet: highlighted or not (escaped by the template either way).
pub struct Piece {
    pub mark: bool,
    pub text: String,
}

/// Splits a snippet with highlight markers into pieces.
pub fn pieces(s: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(MARK_START) {
        if i > 0 {
            out.push(Piece {
                mark: false,
                text: rest[..i].to_string(),
            });
        }
        let after = &rest[i + MARK_START.len()..];
        match after.find(MARK_END) {
            Some(j) => {
                out.push(Piece {
                    mark: true,
                    text: after[..j].to_string(),
                });
                rest = &after[j + MARK_END.len()..];
            }
            None => {
                rest = after;
                break;
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece {
            mark: false,
            text: rest.to_string(),
        });
    }
    out
}

pub struct HitView {
    /// Where the title links: the document page, or the review page of a scan in review.
    pub href: String,
    pub title: String,
    pub kind: String,
    pub date: String,
    pub number: String,
    pub group: String,
    pub place: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub note: String,
    pub learners: Vec<(String, String)>,
    pub snippet: Vec<Piece>,
}

pub fn hit_view(h: &Hit, kind_name: &str) -> HitView {
    let (status, status_class) = match h.status {
        Status::Active => ("", ""),
        Status::Destroyed => (RU.status_destroyed, "bad"),
        Status::Review => (RU.status_review, "warn"),
    };
    // A scan waiting in review has no document page: it links to its review page.
    let href = match h.id.strip_prefix(crate::store::review::ID_PREFIX) {
        Some(name) if h.status == Status::Review => format!("/review/{}", enc(name)),
        _ => format!("/doc/{}", enc(&h.id)),
    };
    HitView {
        href,
        title: h.title.clone().unwrap_or_else(|| kind_name.to_string()),
        kind: kind_name.to_string(),
        date: h.date.as_deref().map(text::iso_date).unwrap_or_default(),
        number: h.number.clone().unwrap_or_default(),
        group: h.group.clone().unwrap_or_default(),
        place: format!("{}/{}", h.box_path, h.file),
        status,
        status_class,
        note: h.note.clone().unwrap_or_default(),
        learners: h
            .learners
            .iter()
            .map(|l| (l.clone(), format!("/learner?name={}", enc(l))))
            .collect(),
        snippet: pieces(&h.snippet),
    }
}

pub struct FacetView {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub on: bool,
}

pub struct FacetGroup {
    pub title: &'static str,
    pub items: Vec<FacetView>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct Page {
    t: &'static Ru,
    frame: Frame,
    q: String,
    total: usize,
    total_word: &'static str,
    hits: Vec<HitView>,
    facets: Vec<FacetGroup>,
    page: usize,
    pages: usize,
    prev: String,
    next: String,
    reset: String,
    error: String,
    searched: bool,
}

/// The current search as a URL, with one parameter changed (`None` removes it).
fn url(p: &Params, change: (&str, Option<&str>)) -> String {
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        let v = if k == change.0 {
            change.1.map(str::to_string)
        } else {
            v
        };
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push((k.to_string(), v));
        }
    };
    push("q", opt(&p.q));
    push("kind", opt(&p.kind));
    push("year", opt(&p.year));
    push("group", opt(&p.group));
    push("status", opt(&p.status));
    push("page", p.page.filter(|n| *n > 0).map(|n| n.to_string()));
    if change.0 != "page" {
        // Any other change starts again at the first page.
        parts.retain(|(k, _)| k != "page");
    }
    let qs: Vec<String> = parts
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if qs.is_empty() {
        "/search".into()
    } else {
        format!("/search?{}", qs.join("&"))
    }
}

fn facet_group(
    title: &'static str,
    key: &str,
    counts: &[FacetCount],
    current: Option<String>,
    p: &Params,
    label: impl Fn(&str) -> String,
) -> FacetGroup {
    FacetGroup {
        title,
        items: counts
            .iter()
            .map(|c| {
                let on = current.as_deref() == Some(c.value.as_str());
                FacetView {
                    label: label(&c.value),
                    count: c.count,
                    href: url(p, (key, if on { None } else { Some(&c.value) })),
                    on,
                }
            })
            .collect(),
    }
}

pub fn status_label(s: &str) -> String {
    match s {
        "active" => RU.status_active.into(),
        "destroyed" => RU.status_destroyed.into(),
        "review" | "in review" => RU.status_review.into(),
        other => other.into(),
    }
}

pub async fn page(State(app): State<AppState>, me: Me, Query(p): Query<Params>) -> PageResult {
    let year = opt(&p.year).and_then(|y| y.parse::<i32>().ok());
    let status = opt(&p.status).map(|s| Status::parse(&s));
    let req = SearchRequest {
        query: opt(&p.q).unwrap_or_default(),
        filters: Filters {
            kind: opt(&p.kind),
            year_from: year,
            year_to: year,
            group: opt(&p.group),
            status,
        },
        // The library counts pages from 1; URLs from 0.
        page: p.page.unwrap_or(0).min(10_000) + 1,
        per_page: PER_PAGE,
    };
    let f = &req.filters;
    let searched = !req.query.is_empty()
        || f.kind.is_some()
        || year.is_some()
        || f.group.is_some()
        || f.status.is_some();
    let a = app.archivist.clone();
    let r = req.clone();
    let (result, error) = if searched {
        match blocking(move || a.search(&r)).await {
            Ok(res) => (Some(res), String::new()),
            Err(e) if e.status.is_client_error() => (None, e.detail),
            Err(e) => return Err(e),
        }
    } else {
        (None, String::new())
    };
    let kind_name = |k: &str| app.kind_name(k);
    let (total, hits, facets) = match &result {
        Some(r) => (r.total, r.hits.as_slice(), Some(&r.facets)),
        None => (0, &[][..], None),
    };
    let hits = hits
        .iter()
        .map(|h| hit_view(h, &kind_name(&h.kind)))
        .collect();
    let facets = match facets {
        Some(fc) => vec![
            facet_group(RU.facet_kind, "kind", &fc.kind, f.kind.clone(), &p, |k| {
                kind_name(k)
            }),
            facet_group(
                RU.facet_year,
                "year",
                &fc.year,
                year.map(|y| y.to_string()),
                &p,
                str::to_string,
            ),
            facet_group(
                RU.facet_group,
                "group",
                &fc.group,
                f.group.clone(),
                &p,
                str::to_string,
            ),
            facet_group(
                RU.facet_status,
                "status",
                &fc.status,
                status.map(|s| s.as_str().to_string()),
                &p,
                status_label,
            ),
        ]
        .into_iter()
        .filter(|g| !g.items.is_empty())
        .collect(),
        None => Vec::new(),
    };
    let pages = result
        .as_ref()
        .map(SearchResults::pages)
        .unwrap_or(1)
        .max(1);
    let page = (req.page - 1).min(pages - 1);
    Ok(render(&Page {
        t: &RU,
        frame: Frame::new(&me, RU.search_title, "/search"),
        q: req.query.clone(),
        total,
        total_word: text::plural(total as u64, text::DOCUMENTS),
        hits,
        facets,
        page: page + 1,
        pages,
        prev: if page > 0 {
            url(&p, ("page", Some(&(page - 1).to_string())))
        } else {
            String::new()
        },
        next: if page + 1 < pages {
            url(&p, ("page", Some(&(page + 1).to_string())))
        } else {
            String::new()
        },
        reset: "/search".into(),
        error,
        searched,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_pieces_keep_text_and_marks_apart() {
        let p = pieces("до [[Иванов]] и [[<b>]] после");
        let v: Vec<(bool, &str)> = p.iter().map(|x| (x.mark, x.text.as_str())).collect();
        assert_eq!(
            v,
            [
                (false, "до "),
                (true, "Иванов"),
                (false, " и "),
                (true, "<b>"),
                (false, " после")
            ]
        );
    }

    #[test]
    fn urls_keep_filters_and_drop_the_page_on_change() {
        let p = Params {
            q: Some("иванов и".into()),
            kind: Some("journal".into()),
            page: Some(3),
            ..Default::default()
        };
        assert_eq!(
            url(&p, ("year", Some("2024"))),
            "/search?q=%D0%B8%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%20%D0%B8&kind=journal&year=2024"
        );
        assert!(url(&p, ("page", Some("4"))).ends_with("&page=4"));
        assert_eq!(url(&Params::default(), ("kind", None)), "/search");
    }
}
