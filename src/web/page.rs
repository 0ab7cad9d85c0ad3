//! What every page shares: the frame (navigation by role, the signed-in user, the CSRF
//! token), rendering, errors as pages, blocking library calls, and the security headers.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::auth::{Me, Perm};
use super::text::{self, RU, Ru};
use crate::error::{Error, ErrorKind};

/// Changes with every build of the binary, so browsers fetch new assets.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// The frame of a page.
pub struct Frame {
    pub title: String,
    pub user: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub version: &'static str,
}

type NavEntry = (&'static str, fn(&Ru) -> &'static str, Perm);

/// The navigation, each item shown only to roles that may open it.
const NAV: &[NavEntry] = &[
    ("/", |t| t.nav_dashboard, Perm::Read),
    ("/upload", |t| t.nav_upload, Perm::Ingest),
    ("/review", |t| t.nav_review, Perm::Ingest),
    ("/search", |t| t.nav_search, Perm::Read),
    ("/retention", |t| t.nav_retention, Perm::Retention),
    ("/disposal", |t| t.nav_disposal, Perm::Retention),
    ("/boxes", |t| t.nav_boxes, Perm::Read),
    ("/users", |t| t.nav_users, Perm::Users),
];

impl Frame {
    /// The frame for a signed-in user; `active` is the navigation item to mark.
    pub fn new(me: &Me, title: impl Into<String>, active: &str) -> Frame {
        Frame {
            title: title.into(),
            user: me.name.clone(),
            role: text::role(me.role),
            csrf: me.csrf.clone(),
            nav: NAV
                .iter()
                .filter(|(_, _, p)| me.may(*p))
                .map(|(href, label, _)| NavItem {
                    href,
                    label: label(&RU),
                    active: *href == active,
                })
                .collect(),
            version: ASSET_VERSION,
        }
    }

    /// The frame of a page seen before signing in.
    pub fn anonymous(title: impl Into<String>, csrf: String) -> Frame {
        Frame {
            title: title.into(),
            user: String::new(),
            role: "",
            csrf,
            nav: Vec::new(),
            version: ASSET_VERSION,
        }
    }
}

/// Renders a template as a page.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("a page could not be rendered: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: a page could not be rendered",
            )
                .into_response()
        }
    }
}

/// An error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Ru,
    frame: Frame,
    heading: &'a str,
    message: &'a str,
    detail: &'a str,
}

/// A failure shown to the person as a page with the right status.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub heading: &'static str,
    pub message: String,
    pub detail: String,
}

impl WebError {
    pub fn new(status: StatusCode, heading: &'static str, message: impl Into<String>) -> WebError {
        WebError {
            status,
            heading,
            message: message.into(),
            detail: String::new(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::NOT_FOUND, RU.err_not_found, message)
    }

    pub fn invalid(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, RU.err_invalid, message)
    }
}

impl From<Error> for WebError {
    /// The one mapping from a library error to an HTTP status.
    fn from(e: Error) -> WebError {
        let (status, heading) = match e.kind() {
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, RU.err_not_found),
            ErrorKind::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, RU.err_invalid),
            ErrorKind::Locked => (StatusCode::CONFLICT, RU.err_locked),
            ErrorKind::Refused => (StatusCode::CONFLICT, RU.err_refused),
            ErrorKind::Failure => (StatusCode::INTERNAL_SERVER_ERROR, RU.err_failure),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("{e}");
        }
        WebError {
            status,
            heading,
            message: String::new(),
            detail: e.to_string(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            t: &RU,
            frame: Frame::anonymous(self.heading, String::new()),
            heading: self.heading,
            message: &self.message,
            detail: &self.detail,
        };
        let mut r = render(&page);
        *r.status_mut() = self.status;
        r
    }
}

pub type PageResult = Result<Response, WebError>;

/// Runs a blocking library call off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::error::Result<T> + Send + 'static,
) -> Result<T, WebError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(WebError::from),
        Err(e) => {
            tracing::error!("a request's work failed: {e}");
            Err(WebError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                RU.err_failure,
                "the work for this request failed; see the server log",
            ))
        }
    }
}

/// A refusal page for the guard (no library error behind it).
pub fn refuse(status: StatusCode) -> Response {
    let (heading, message) = match status {
        StatusCode::FORBIDDEN => (RU.err_forbidden, RU.err_forbidden_detail),
        StatusCode::UNAUTHORIZED => (RU.err_unauthorized, ""),
        StatusCode::PAYLOAD_TOO_LARGE => (RU.err_too_large, ""),
        _ => (RU.err_failure, ""),
    };
    WebError::new(status, heading, message).into_response()
}

pub fn refuse_csrf() -> Response {
    WebError::new(StatusCode::FORBIDDEN, RU.err_csrf, RU.err_csrf_detail).into_response()
}

/// Marks a response that may be shown inside a frame of this site (the scan viewer).
#[derive(Clone, Copy)]
pub struct Frameable;

/// Security headers on every response. Pages may not be framed at all; a scan may be
/// framed by this site only (the document page shows it in the browser's PDF viewer).
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut r = next.run(req).await;
    let frameable = r.extensions().get::<Frameable>().is_some();
    let h = r.headers_mut();
    let csp = if frameable {
        "frame-ancestors 'self'"
    } else {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; frame-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    };
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(if frameable { "SAMEORIGIN" } else { "DENY" }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages and scans carry personal data: not kept by the browser or a proxy.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}
