//! The pages, one module per area; each handler parses, makes one or two library calls on
//! a blocking thread, and renders a template.

pub mod boxes;
pub mod dashboard;
pub mod disposal;
pub mod document;
pub mod dossier;
pub mod print;
pub mod retention;
pub mod review;
pub mod search;
pub mod session;
pub mod upload;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::AppState;
use super::page::WebError;
use super::text::RU;

/// Every route (the permission of each is in [`super::auth::ROUTES`]).
pub fn routes(app: AppState) -> Router<AppState> {
    let upload_limit = app.options.max_upload_bytes.saturating_add(1 << 20);
    Router::new()
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/assets/{file}", get(super::assets::asset))
        .route("/", get(dashboard::page))
        .route("/search", get(search::page))
        .route("/doc/{id}", get(document::page))
        .route("/doc/{id}/scan", get(document::scan))
        .route("/doc/{id}/download", get(document::download))
        .route(
            "/doc/{id}/amend",
            get(document::amend_page).post(document::amend),
        )
        .route("/learner", get(dossier::page))
        .route("/learner/print", get(dossier::print))
        .route("/learner/card.pdf", get(print::record_card))
        .route("/boxes", get(boxes::list))
        .route("/box/{year}/{group}", get(boxes::page))
        .route("/box/{year}/{group}/labels.pdf", get(print::box_labels))
        .route(
            "/box/{year}/{group}/inventory.pdf",
            get(print::box_inventory),
        )
        .route("/year/{year}", get(print::year_page))
        .route("/year/{year}/labels.pdf", get(print::year_labels))
        .route("/year/{year}/covers.pdf", get(print::year_covers))
        .route(
            "/year/{year}/nomenclature.pdf",
            get(print::year_nomenclature),
        )
        .route(
            "/year/{year}/inventory/{kind}/file/{file}",
            get(print::inventory_file),
        )
        .route("/year/{year}/inventory", post(print::make_inventory))
        .route(
            "/upload",
            get(upload::page)
                .post(upload::upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/review", get(review::list))
        .route("/review/{name}", get(review::page))
        .route("/review/{name}/scan", get(review::scan))
        .route("/review/{name}/resolve", post(review::resolve))
        .route("/review/{name}/reject", post(review::reject))
        .route("/retention", get(retention::page))
        .route("/holds", post(retention::hold_add))
        .route("/holds/{number}/release", post(retention::hold_release))
        .route("/disposal", get(disposal::list).post(disposal::draft))
        .route("/disposal/{n}", get(disposal::page))
        .route("/disposal/{n}/file/{file}", get(disposal::file))
        .route("/disposal/{n}/comment", post(disposal::comment))
        .route("/disposal/{n}/signoff", post(disposal::sign_off))
        .route("/disposal/{n}/approve", post(disposal::approve))
        .route("/disposal/{n}/execute", post(disposal::execute))
        .route("/disposal/{n}/progress", get(disposal::progress))
        .route("/users", get(users::page))
}

pub async fn not_found() -> Response {
    WebError::not_found("").into_response()
}

/// After a state change: back to a page (Post/Redirect/Get), with a notice code the page
/// turns into words. htmx requests are redirected the same way (it follows 303s).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A form field that may be empty: `None` when blank.
pub fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

/// A required number in a URL.
pub fn parse_num<T: std::str::FromStr>(s: &str) -> Result<T, WebError> {
    s.parse()
        .map_err(|_| WebError::new(StatusCode::NOT_FOUND, RU.err_not_found, ""))
}

/// Percent-encodes a value for a query string or a path segment.
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
