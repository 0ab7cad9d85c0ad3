//! Who may do what, decided in one place:
//!
//! - [`ROUTES`] names every route with the permission it needs, and [`allowed`] is the
//!   matrix of roles × permissions. [`guard`] applies both to every request: a route
//!   missing from the table is refused to everyone.
//! - Sessions live in memory ([`SessionStore`]): a cookie holds only a random id
//!   (HttpOnly, SameSite=Strict), the id changes at sign-in, and a restart signs everyone
//!   out — acceptable for an office server, and no session secret is ever written to disk.
//! - Every state change (any method but GET/HEAD) must carry the session's CSRF token: a
//!   hidden `csrf` field in each form, the `X-CSRF-Token` header that htmx sends from
//!   `<body hx-headers:inherited=…>`, or `?csrf=` on multipart uploads.
//! - Failed sign-ins are limited per user name and per client address ([`LoginLimiter`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::{self, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::{Expiry, Session, SessionManagerLayer, session_store};

use super::{AppState, Options};
use crate::api::users::{Role, UserInfo};
use crate::api::{Actor, Archivist};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    /// Anyone, signed in or not (sign-in page, assets).
    Public,
    /// Any signed-in user: dashboard, search, documents and their scans, dossiers, boxes.
    Read,
    /// Putting scans in and working the review queue.
    Ingest,
    /// Correcting a filed document.
    Amend,
    /// Placing and releasing holds.
    Holds,
    /// Seeing the retention report and the acts.
    Retention,
    /// Drafting and executing acts.
    DisposalManage,
    /// Reviewing an act as a commission member: comments, exclusions, sign-off.
    CommissionReview,
    /// Approving an act (the commission's chair).
    Approve,
    /// Making the yearly inventories of cases (written to the archive and audited).
    Inventory,
    /// Managing users.
    Users,
}

impl Perm {
    pub const ALL: [Perm; 11] = [
        Perm::Public,
        Perm::Read,
        Perm::Ingest,
        Perm::Amend,
        Perm::Holds,
        Perm::Retention,
        Perm::DisposalManage,
        Perm::CommissionReview,
        Perm::Approve,
        Perm::Inventory,
        Perm::Users,
    ];
}

/// The authorisation matrix.
pub fn allowed(role: Role, perm: Perm) -> bool {
    use Role::*;
    match perm {
        Perm::Public | Perm::Read => true,
        Perm::Ingest => matches!(role, Staff | Archivist | Admin),
        Perm::Amend | Perm::Holds | Perm::DisposalManage | Perm::Inventory => {
            matches!(role, Archivist | Admin)
        }
        Perm::Retention => matches!(role, Archivist | Commission | Chair | Admin),
        Perm::CommissionReview => matches!(role, Commission | Chair),
        Perm::Approve => role == Chair,
        Perm::Users => role == Admin,
    }
}

/// Every route of the interface: method, path as the router declares it, permission.
pub const ROUTES: &[(&str, &str, Perm)] = &[
    ("GET", "/login", Perm::Public),
    ("POST", "/login", Perm::Public),
    ("GET", "/assets/{file}", Perm::Public),
    ("POST", "/logout", Perm::Read),
    ("GET", "/", Perm::Read),
    ("GET", "/search", Perm::Read),
    ("GET", "/doc/{id}", Perm::Read),
    ("GET", "/doc/{id}/scan", Perm::Read),
    ("GET", "/doc/{id}/download", Perm::Read),
    ("GET", "/doc/{id}/amend", Perm::Amend),
    ("POST", "/doc/{id}/amend", Perm::Amend),
    ("GET", "/learner", Perm::Read),
    ("GET", "/learner/print", Perm::Read),
    ("GET", "/learner/card.pdf", Perm::Read),
    ("GET", "/boxes", Perm::Read),
    ("GET", "/box/{year}/{group}", Perm::Read),
    ("GET", "/box/{year}/{group}/labels.pdf", Perm::Read),
    ("GET", "/box/{year}/{group}/inventory.pdf", Perm::Read),
    ("GET", "/year/{year}", Perm::Read),
    ("GET", "/year/{year}/labels.pdf", Perm::Read),
    ("GET", "/year/{year}/covers.pdf", Perm::Read),
    ("GET", "/year/{year}/nomenclature.pdf", Perm::Read),
    (
        "GET",
        "/year/{year}/inventory/{kind}/file/{file}",
        Perm::Read,
    ),
    ("POST", "/year/{year}/inventory", Perm::Inventory),
    ("GET", "/upload", Perm::Ingest),
    ("POST", "/upload", Perm::Ingest),
    ("GET", "/review", Perm::Ingest),
    ("GET", "/review/{name}", Perm::Ingest),
    ("GET", "/review/{name}/scan", Perm::Ingest),
    ("POST", "/review/{name}/resolve", Perm::Ingest),
    ("POST", "/review/{name}/reject", Perm::Ingest),
    ("GET", "/retention", Perm::Retention),
    ("POST", "/holds", Perm::Holds),
    ("POST", "/holds/{number}/release", Perm::Holds),
    ("GET", "/disposal", Perm::Retention),
    ("POST", "/disposal", Perm::DisposalManage),
    ("GET", "/disposal/{n}", Perm::Retention),
    ("GET", "/disposal/{n}/file/{file}", Perm::Retention),
    ("POST", "/disposal/{n}/comment", Perm::CommissionReview),
    ("POST", "/disposal/{n}/signoff", Perm::CommissionReview),
    ("POST", "/disposal/{n}/approve", Perm::Approve),
    ("POST", "/disposal/{n}/execute", Perm::DisposalManage),
    ("GET", "/disposal/{n}/progress", Perm::Retention),
    ("GET", "/users", Perm::Users),
];

/// The permission a route needs; `None` for a route not in the table (refused).
pub fn perm_for(method: &Method, path: &str) -> Option<Perm> {
    let m = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    ROUTES
        .iter()
        .find(|(rm, rp, _)| *rm == m && *rp == path)
        .map(|(_, _, p)| *p)
}

// ---------------------------------------------------------------------------------------
// Sessions

/// What a session holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SessionData {
    /// The CSRF token of this session.
    csrf: String,
    /// The signed-in user, and the password stamp they signed in under.
    user: Option<String>,
    stamp: String,
}

const SESSION_KEY: &str = "archivist";
/// Idle sessions end after this long.
const IDLE_HOURS: i64 = 8;
/// At most this many sessions are kept; beyond it, the ones expiring soonest go.
const MAX_SESSIONS: usize = 10_000;

/// Sessions in memory, with expired ones purged and their number bounded (sign-in pages
/// create anonymous sessions, which a client could otherwise pile up).
#[derive(Debug, Clone, Default)]
pub struct SessionStore(Arc<Mutex<HashMap<Id, Record>>>);

impl SessionStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Record>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn make_room(map: &mut HashMap<Id, Record>) {
        if map.len() < MAX_SESSIONS {
            return;
        }
        let now = OffsetDateTime::now_utc();
        map.retain(|_, r| r.expiry_date > now);
        while map.len() >= MAX_SESSIONS {
            let Some(oldest) = map
                .iter()
                .min_by_key(|(_, r)| r.expiry_date)
                .map(|(id, _)| *id)
            else {
                break;
            };
            map.remove(&oldest);
        }
    }
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for SessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut map = self.lock();
        Self::make_room(&mut map);
        while map.contains_key(&record.id) {
            record.id = Id::default();
        }
        map.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut map = self.lock();
        if !map.contains_key(&record.id) {
            Self::make_room(&mut map);
        }
        map.insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        Ok(self.lock().get(id).filter(|r| r.expiry_date > now).cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.lock().remove(id);
        Ok(())
    }
}

pub fn session_layer(o: &Options) -> SessionManagerLayer<SessionStore> {
    SessionManagerLayer::new(SessionStore::default())
        .with_name("archivist_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(o.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(IDLE_HOURS)))
}

/// A fresh random token (CSRF), 256 bits in hex.
fn random_token() -> String {
    let mut b = [0u8; 32];
    if getrandom::fill(&mut b).is_err() {
        // No entropy source: a session without a usable token refuses every change.
        return String::new();
    }
    hex::encode(b)
}

async fn session_data(session: &Session) -> SessionData {
    session
        .get::<SessionData>(SESSION_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The session's CSRF token, created on first use (sign-in page).
pub async fn csrf_token(session: &Session) -> String {
    let mut d = session_data(session).await;
    if d.csrf.is_empty() {
        d.csrf = random_token();
        let _ = session.insert(SESSION_KEY, &d).await;
    }
    d.csrf
}

/// Starts a signed-in session: a new session id and a new CSRF token.
pub async fn sign_in(session: &Session, user: &UserInfo) -> anyhow::Result<()> {
    session
        .cycle_id()
        .await
        .map_err(|e| anyhow::anyhow!("cannot renew the session: {e}"))?;
    let d = SessionData {
        csrf: random_token(),
        user: Some(user.name.clone()),
        stamp: user.stamp.clone(),
    };
    session
        .insert(SESSION_KEY, &d)
        .await
        .map_err(|e| anyhow::anyhow!("cannot store the session: {e}"))?;
    Ok(())
}

pub async fn sign_out(session: &Session) {
    let _ = session.flush().await;
}

// ---------------------------------------------------------------------------------------
// Users, as the server sees them

/// Users by name, as last read from the users file.
type UserMap = Arc<HashMap<String, UserInfo>>;

/// The users file, reread when it changes (users are added with the CLI while the server
/// runs), so a disabled user or a changed password ends open sessions at once.
pub struct UserCache {
    file: PathBuf,
    state: Mutex<(Option<FileStamp>, UserMap)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn file_stamp(p: &std::path::Path) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok()?;
    Some(FileStamp {
        modified: m.modified().ok(),
        len: m.len(),
        inode: m.ino(),
    })
}

impl UserCache {
    pub fn new(file: PathBuf) -> UserCache {
        UserCache {
            file,
            state: Mutex::new((None, Arc::new(HashMap::new()))),
        }
    }

    /// The current users (a stat per call; a reread only when the file changed).
    pub fn get(&self, archivist: &Archivist) -> Arc<HashMap<String, UserInfo>> {
        let now = file_stamp(&self.file);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.0 != now || now.is_none() {
            match archivist.user_list() {
                Ok(list) => {
                    st.1 = Arc::new(list.into_iter().map(|u| (u.name.clone(), u)).collect());
                    st.0 = now;
                }
                Err(e) => {
                    // A damaged users file signs everyone out rather than letting anyone in.
                    tracing::error!("{e}");
                    st.1 = Arc::new(HashMap::new());
                    st.0 = None;
                }
            }
        }
        st.1.clone()
    }
}

/// The signed-in user of a request, put there by [`guard`].
#[derive(Debug, Clone)]
pub struct Me {
    pub name: String,
    pub role: Role,
    pub csrf: String,
}

impl Me {
    pub fn actor(&self) -> Actor {
        Actor::new(self.name.clone())
    }

    pub fn may(&self, perm: Perm) -> bool {
        allowed(self.role, perm)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Me {
    type Rejection = StatusCode;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Me, StatusCode> {
        parts
            .extensions
            .get::<Me>()
            .cloned()
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Me {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Option<Me>, std::convert::Infallible> {
        Ok(parts.extensions.get::<Me>().cloned())
    }
}

// ---------------------------------------------------------------------------------------
// The guard

/// Checks every routed request: the route's permission against the signed-in user's
/// role, and the CSRF token of any state change.
pub async fn guard(
    State(app): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        return super::page::refuse(StatusCode::FORBIDDEN);
    };
    let Some(perm) = perm_for(&method, &path) else {
        tracing::error!("{method} {path} is not in the route table; refused");
        return super::page::refuse(StatusCode::FORBIDDEN);
    };
    let data = session_data(&session).await;
    let me = match &data.user {
        Some(name) => {
            let users = app.users.get(&app.archivist);
            match users.get(name) {
                Some(u) if !u.disabled && u.stamp == data.stamp => Some(Me {
                    name: u.name.clone(),
                    role: u.role,
                    csrf: data.csrf.clone(),
                }),
                _ => {
                    // Disabled, removed, or the password changed: this session is over.
                    sign_out(&session).await;
                    None
                }
            }
        }
        None => None,
    };
    if perm != Perm::Public {
        match &me {
            None => return to_sign_in(&req),
            Some(m) if !allowed(m.role, perm) => {
                return super::page::refuse(StatusCode::FORBIDDEN);
            }
            Some(_) => {}
        }
    }
    let req = if method == Method::GET || method == Method::HEAD {
        req
    } else {
        match check_csrf(req, &data.csrf).await {
            Ok(r) => r,
            Err(resp) => return resp,
        }
    };
    let mut req = req;
    if let Some(m) = me {
        req.extensions_mut().insert(m);
    }
    next.run(req).await
}

/// Not signed in: a page request goes to the sign-in page (and comes back after); an
/// htmx request is told to go there; anything else gets 401.
fn to_sign_in(req: &Request) -> Response {
    let back = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let target = format!(
        "/login?next={}",
        percent_encoding::utf8_percent_encode(&back, percent_encoding::NON_ALPHANUMERIC)
    );
    if req.headers().contains_key("hx-request") {
        return (StatusCode::UNAUTHORIZED, [("HX-Redirect", "/login")]).into_response();
    }
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return Redirect::to(&target).into_response();
    }
    super::page::refuse(StatusCode::UNAUTHORIZED)
}

/// Where to go after signing in: only a path on this site (no `//host`, no scheme).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && !n.starts_with("/login") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Largest form body read to find the token (forms here are small; uploads are multipart).
const MAX_FORM_BYTES: usize = 1 << 20;

async fn check_csrf(req: Request, expected: &str) -> Result<Request, Response> {
    let refuse = || super::page::refuse_csrf();
    if expected.is_empty() {
        return Err(refuse());
    }
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if same(h, expected) {
            Ok(req)
        } else {
            Err(refuse())
        };
    }
    if let Some(q) = req.uri().query()
        && let Some(t) = form_value(q.as_bytes(), "csrf")
    {
        return if same(&t, expected) {
            Ok(req)
        } else {
            Err(refuse())
        };
    }
    if !is_urlencoded(req.headers()) {
        return Err(refuse());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| super::page::refuse(StatusCode::PAYLOAD_TOO_LARGE))?;
    match form_value(&bytes, "csrf") {
        Some(t) if same(&t, expected) => {
            Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
        }
        _ => Err(refuse()),
    }
}

fn is_urlencoded(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    form_urlencoded_pairs(body)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

/// Compares two tokens in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------
// The limit on failed sign-ins

/// Failed sign-ins counted per user name (any name, known or not, so the limit says
/// nothing about which names exist) and per client address.
#[derive(Default)]
pub struct LoginLimiter {
    state: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone)]
struct Failures {
    times: Vec<Instant>,
}

/// Failures allowed per user name within [`WINDOW`]; then the name waits [`WINDOW`].
pub const MAX_PER_NAME: usize = 5;
/// Failures allowed per client address within [`WINDOW`].
pub const MAX_PER_ADDRESS: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginLimiter {
    fn keys(name: &str, ip: Option<IpAddr>) -> [(String, usize); 2] {
        [
            (format!("name:{}", name.trim().to_lowercase()), MAX_PER_NAME),
            (
                format!("ip:{}", ip.map(|i| i.to_string()).unwrap_or_default()),
                MAX_PER_ADDRESS,
            ),
        ]
    }

    /// How long this name or address must wait, if it is over its limit.
    pub fn blocked(&self, name: &str, ip: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (k, max) in Self::keys(name, ip) {
            if let Some(f) = st.get_mut(&k) {
                f.times.retain(|t| now.duration_since(*t) < WINDOW);
                if f.times.len() >= max
                    && let Some(last) = f.times.last()
                {
                    let w = WINDOW.saturating_sub(now.duration_since(*last));
                    wait = Some(wait.map_or(w, |x: Duration| x.max(w)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, name: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.len() > 100_000 {
            st.retain(|_, f| {
                f.times
                    .last()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        for (k, _) in Self::keys(name, ip) {
            st.entry(k)
                .or_insert_with(|| Failures { times: Vec::new() })
                .times
                .push(now);
        }
    }

    /// A successful sign-in clears the name's failures (not the address's).
    pub fn succeeded(&self, name: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.remove(&format!("name:{}", name.trim().to_lowercase()));
    }
}

/// The client's address, when the server knows it.
pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<IpAddr> {
    parts_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_has_a_role_and_chair_alone_approves() {
        for p in Perm::ALL {
            assert!(Role::ALL.iter().any(|r| allowed(*r, p)), "{p:?}");
        }
        let approvers: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| allowed(*r, Perm::Approve))
            .collect();
        assert_eq!(approvers, [Role::Chair]);
    }

    #[test]
    fn routes_are_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.0 == b.0 && a.1 == b.1), "{a:?} twice");
            }
        }
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/search?q=x")), "/search?q=x");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "javascript:x",
            "/login",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
    }

    #[test]
    fn limiter_blocks_a_name_after_its_failures_and_success_clears_it() {
        let l = LoginLimiter::default();
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..MAX_PER_NAME {
            assert!(l.blocked("Ivanova", ip).is_none());
            l.failed("ivanova", ip);
        }
        assert!(l.blocked("IVANOVA", ip).is_some());
        assert!(l.blocked("petrov", ip).is_none());
        l.succeeded("ivanova");
        assert!(l.blocked("ivanova", ip).is_none());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
