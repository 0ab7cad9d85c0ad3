//! The interface's static files, compiled into the binary (`assets/`): the style sheet and
//! htmx. Three files need no embedding crate; `include_bytes!` keeps them in the binary.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/style.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/htmx.min.js"),
    ),
];

/// `GET /assets/{file}`: only the names above; anything else is not found.
pub async fn asset(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => {
            let mut r = (*bytes).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            // Links carry ?v=<version>, so a day's caching never serves a stale file.
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
