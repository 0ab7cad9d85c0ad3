//! The web interface without a browser: the router driven in-process (tower `oneshot`)
//! over a real archive — the authorisation matrix for every role and route, CSRF
//! refusal, the sign-in limit, sessions, escaping, path traversal, security headers.

mod common;

use std::sync::Arc;

use archivist::api::users::Role;
use archivist::api::{Actor, Archivist};
use archivist::web::auth::{self, Perm, ROUTES};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode, header};
use common::*;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

struct Web {
    arch: TestArchive,
    router: Router,
    archivist: Arc<Archivist>,
}

/// An archive with the fixture scans, one scan waiting in review, and a user per role.
fn web() -> Web {
    let arch = TestArchive::new();
    let out = arch.cmd(&["ingest", fixtures_dir().to_str().unwrap()]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "ingest failed");
    // A scan waiting for a person, as the pipeline leaves one.
    let review = arch.root.join("review");
    std::fs::copy(
        fixtures_dir().join("scan_0001.pdf"),
        review.join("waiting.pdf"),
    )
    .unwrap();
    std::fs::write(
        review.join("waiting.pdf.reason.txt"),
        "file: waiting.pdf\nreason: the document kind could not be determined\ntime: 2026-11-29T10:00:00Z\n",
    )
    .unwrap();
    let a = Arc::new(Archivist::open(&arch.root, None).unwrap());
    for r in Role::ALL {
        a.user_add(r.as_str(), r, PASSWORD, &Actor::new("test"))
            .unwrap();
    }
    let router = archivist::web::router(a.clone(), archivist::web::Options::for_archive(&a));
    Web {
        arch,
        router,
        archivist: a,
    }
}

/// A browser's state: its session cookie and the page's CSRF token.
#[derive(Default, Clone)]
struct Client {
    cookie: String,
    csrf: String,
}

async fn body(r: Response<Body>) -> String {
    let b = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
    String::from_utf8_lossy(&b).into_owned()
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string()
}

impl Web {
    async fn send(&self, c: &mut Client, req: Request<Body>) -> Response<Body> {
        let r = self.router.clone().oneshot(req).await.unwrap();
        if let Some(v) = r.headers().get(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            c.cookie = v.split(';').next().unwrap().to_string();
        }
        r
    }

    async fn fetch(&self, c: &mut Client, path: &str) -> Response<Body> {
        let req = self.get(c, path);
        self.send(c, req).await
    }

    fn get(&self, c: &Client, path: &str) -> Request<Body> {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, &c.cookie)
            .body(Body::empty())
            .unwrap()
    }

    fn post(&self, c: &Client, path: &str, form: &[(&str, &str)]) -> Request<Body> {
        let body = serde_urlencoded::to_string(form).unwrap();
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, &c.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    }

    /// Signs in through the sign-in page, as a browser does.
    async fn sign_in(&self, user: &str, password: &str) -> (Client, Response<Body>) {
        let mut c = Client::default();
        let r = self.fetch(&mut c, "/login").await;
        assert_eq!(r.status(), StatusCode::OK);
        let token = csrf_of(&body(r).await);
        let req = self.post(
            &c,
            "/login",
            &[
                ("csrf", &token),
                ("user", user),
                ("password", password),
                ("next", "/"),
            ],
        );
        let r = self.send(&mut c, req).await;
        (c, r)
    }

    async fn client(&self, user: &str) -> Client {
        let (mut c, r) = self.sign_in(user, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {user}");
        let r = self.fetch(&mut c, "/").await;
        assert_eq!(r.status(), StatusCode::OK);
        c.csrf = csrf_of(&body(r).await);
        assert_eq!(c.csrf.len(), 64);
        c
    }

    async fn page(&self, c: &mut Client, path: &str) -> (StatusCode, String) {
        let r = self.fetch(c, path).await;
        let s = r.status();
        (s, body(r).await)
    }

    fn doc_id(&self) -> String {
        let a = self.arch.archive();
        let mut ids: Vec<String> = a.catalogue().unwrap().into_keys().collect();
        ids.sort();
        ids[0].clone()
    }
}

/// A concrete URL for a route pattern.
fn concrete(pattern: &str, doc: &str, box_year: i32, box_group: &str) -> String {
    pattern
        .replace("{id}", doc)
        .replace("{name}", "waiting.pdf")
        .replace("{n}", "1")
        .replace("{kind}", "long")
        .replace("{number}", "1")
        .replace("{year}", &box_year.to_string())
        .replace("{group}", &percent(box_group))
        .replace(
            "{file}",
            if pattern.starts_with("/assets") {
                "style.css"
            } else {
                "act.pdf"
            },
        )
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn every_role_reaches_exactly_the_routes_the_matrix_allows() {
    let w = web();
    let doc = w.doc_id();
    let b = w.archivist.boxes().unwrap().into_iter().next().unwrap();
    // An act to look at, and a hold to release.
    w.archivist
        .disposal_draft(chrono::Local::now().date_naive(), &Actor::new("test"))
        .unwrap();
    w.archivist
        .hold_add(&doc, "matrix test", &Actor::new("test"))
        .unwrap();
    let mut checked = 0;
    for role in Role::ALL {
        let mut c = w.client(role.as_str()).await;
        for (method, pattern, perm) in ROUTES {
            if *pattern == "/logout" || *pattern == "/login" {
                continue; // sign-in and sign-out have their own tests
            }
            let path = concrete(pattern, &doc, b.year, &b.group);
            let req = if *method == "GET" {
                w.get(&c, &path)
            } else if *pattern == "/upload" {
                Request::builder()
                    .method(Method::POST)
                    .uri(format!("/upload?csrf={}", c.csrf))
                    .header(header::COOKIE, &c.cookie)
                    .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
                    .body(Body::from("--XYZ--\r\n"))
                    .unwrap()
            } else {
                w.post(&c, &path, &[("csrf", &c.csrf)])
            };
            let r = w.send(&mut c, req).await;
            let status = r.status();
            let allowed = auth::allowed(role, *perm);
            if allowed {
                assert!(
                    status != StatusCode::FORBIDDEN
                        && status != StatusCode::UNAUTHORIZED
                        && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{role} should reach {method} {path}: {status}"
                );
                // Every route in the table exists in the router.
                if *method == "GET"
                    && !pattern.contains("/file/")
                    && !pattern.contains("/scan")
                    && !pattern.contains("/download")
                    && !pattern.contains("/progress")
                {
                    assert_ne!(status, StatusCode::NOT_FOUND, "{role}: {method} {path}");
                }
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} must not reach {method} {path}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5 * 30, "{checked} checks");
}

#[tokio::test]
async fn anonymous_requests_go_to_sign_in_and_public_routes_stay_open() {
    let w = web();
    let mut c = Client::default();
    for (method, pattern, perm) in ROUTES {
        let path = concrete(pattern, "abcdef", 2023, "x");
        let req = if *method == "GET" {
            w.get(&c, &path)
        } else {
            w.post(&c, &path, &[])
        };
        let r = w.send(&mut c, req).await;
        match (*perm, *method) {
            (Perm::Public, _) => assert!(
                r.status() != StatusCode::UNAUTHORIZED && r.status() != StatusCode::SEE_OTHER
                    || *pattern == "/login",
                "{method} {path}: {}",
                r.status()
            ),
            (_, "GET") => {
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{method} {path}");
                let to = r.headers()[header::LOCATION].to_str().unwrap();
                assert!(to.starts_with("/login?next="), "{to}");
            }
            _ => assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}"),
        }
    }
}

#[tokio::test]
async fn state_changes_without_the_sessions_csrf_token_are_refused() {
    let w = web();
    let doc = w.doc_id();
    let mut c = w.client("archivist").await;
    let other = w.client("admin").await;
    let holds_before = w.archivist.holds(false).unwrap().len();
    for token in ["", "0000", other.csrf.as_str()] {
        let req = w.post(
            &c,
            "/holds",
            &[("csrf", token), ("target", &doc), ("reason", "x")],
        );
        let r = w.send(&mut c, req).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "token {token:?}");
        assert!(body(r).await.contains("Форма устарела"));
    }
    // A wrong header is refused even with a right field.
    let mut req = w.post(
        &c,
        "/holds",
        &[("csrf", &c.csrf), ("target", &doc), ("reason", "x")],
    );
    req.headers_mut()
        .insert("x-csrf-token", "bad".parse().unwrap());
    assert_eq!(w.send(&mut c, req).await.status(), StatusCode::FORBIDDEN);
    // A multipart upload without the token in its address.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/upload")
        .header(header::COOKIE, &c.cookie)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
        .body(Body::from("--XYZ--\r\n"))
        .unwrap();
    assert_eq!(w.send(&mut c, req).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        w.archivist.holds(false).unwrap().len(),
        holds_before,
        "nothing changed"
    );

    // The right token, as a form field and as htmx's header, works.
    let req = w.post(
        &c,
        "/holds",
        &[("csrf", &c.csrf), ("target", &doc), ("reason", "суд")],
    );
    assert_eq!(w.send(&mut c, req).await.status(), StatusCode::SEE_OTHER);
    let mut req = w.post(&c, "/holds", &[("target", &doc), ("reason", "проверка")]);
    req.headers_mut()
        .insert("x-csrf-token", c.csrf.parse().unwrap());
    assert_eq!(w.send(&mut c, req).await.status(), StatusCode::SEE_OTHER);
    let holds = w.archivist.holds(false).unwrap();
    assert_eq!(holds.len(), holds_before + 2);
    assert!(
        holds.iter().all(|h| h.created_by == "archivist"),
        "the hold names the user"
    );
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_name_and_success_renews_the_session() {
    let w = web();
    for i in 0..auth::MAX_PER_NAME {
        let (_, r) = w.sign_in("staff", &format!("wrong {i}")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(
            body(r)
                .await
                .contains("Неверное имя пользователя или пароль")
        );
    }
    // Now even the right password waits, and says for how long.
    let (_, r) = w.sign_in("staff", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(body(r).await.contains("Повторите через"));
    // An unknown name is limited the same way (nothing tells which names exist).
    for _ in 0..auth::MAX_PER_NAME {
        w.sign_in("nobody", "x").await;
    }
    assert_eq!(
        w.sign_in("nobody", "x").await.1.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another user is not affected.
    let mut c = Client::default();
    let r = w.fetch(&mut c, "/login").await;
    let before = c.cookie.clone();
    let token = csrf_of(&body(r).await);
    let req = w.post(
        &c,
        "/login",
        &[
            ("csrf", &token),
            ("user", "chair"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    let r = w.send(&mut c, req).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[header::LOCATION],
        "/",
        "no redirect off the site"
    );
    let set = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert_ne!(c.cookie, before, "the session id changes at sign-in");
    // The old (pre-sign-in) id is not signed in.
    let stale = Client {
        cookie: before,
        csrf: String::new(),
    };
    let r = w.router.clone().oneshot(w.get(&stale, "/")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_end_at_sign_out_and_when_the_user_is_disabled_or_the_password_changes() {
    let w = web();
    let mut c = w.client("archivist").await;
    let req = w.post(&c, "/logout", &[("csrf", &c.csrf)]);
    assert_eq!(w.send(&mut c, req).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(w.page(&mut c, "/search").await.0, StatusCode::SEE_OTHER);

    let mut c = w.client("staff").await;
    assert_eq!(w.page(&mut c, "/").await.0, StatusCode::OK);
    w.archivist
        .user_passwd("staff", "another long password", &Actor::new("test"))
        .unwrap();
    assert_eq!(
        w.page(&mut c, "/").await.0,
        StatusCode::SEE_OTHER,
        "old password's session"
    );

    let mut c = w.client("commission").await;
    w.archivist
        .user_disable("commission", &Actor::new("test"))
        .unwrap();
    assert_eq!(
        w.page(&mut c, "/").await.0,
        StatusCode::SEE_OTHER,
        "disabled user"
    );
    assert_eq!(
        w.sign_in("commission", PASSWORD).await.1.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn text_from_scans_sidecars_and_users_is_escaped() {
    let w = web();
    let evil = "<script>alert(1)</script>";
    // A scan whose sidecar carries markup in every field a page shows.
    let drop = w.arch.tmp.path().join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    // A scan of its own (the fixtures are archived already; a copy would be a duplicate).
    let scan = fixturegen::generate(&fixturegen::GenOptions {
        seed: 99,
        count: 1,
        ..Default::default()
    })
    .next()
    .unwrap()
    .unwrap();
    std::fs::write(drop.join("x.pdf"), &scan.bytes).unwrap();
    std::fs::write(
        drop.join("x.pdf.toml"),
        format!(
            "kind = \"other\"\ndate = 2024-05-06\ngroup = \"ПК-2024-999\"\nnumber = \"1<b>\"\ntitle = \"<img src=x onerror=alert(2)>\"\nprogramme = \"{evil}\"\nlearners = [\"Скриптов {evil} И. П.\", \"<i>Иванов</i> И. П.\"]\n"
        ),
    )
    .unwrap();
    let out = w.arch.cmd(&["ingest", drop.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.archivist.cached_index().unwrap().reload().unwrap();
    let mut c = w.client("archivist").await;
    let (_, search) = w.page(&mut c, "/search?group=%D0%9F%D0%9A-2024-999").await;
    assert!(
        search.contains("&#60;img src=x onerror=alert(2)&#62;"),
        "{search}"
    );
    let id = search
        .split("href=\"/doc/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let (_, doc) = w.page(&mut c, &format!("/doc/{id}")).await;
    let (_, dossier) = w
        .page(
            &mut c,
            &format!("/learner?name={}", percent(&format!("Иванов {evil}"))),
        )
        .await;
    for (page, html) in [
        ("search", &search),
        ("document", &doc),
        ("dossier", &dossier),
    ] {
        assert!(!html.contains("<script>alert"), "{page} has raw markup");
        assert!(!html.contains("<img src=x"), "{page} has raw markup");
        assert!(!html.contains("<i>Иванов"), "{page} has raw markup");
    }
    assert!(
        doc.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{doc}"
    );
    assert!(doc.contains("1&#60;b&#62;"));
    // No template turns escaping off.
    for e in std::fs::read_dir(repo().join("src/web/templates"))
        .unwrap()
        .flatten()
    {
        let t = std::fs::read_to_string(e.path()).unwrap();
        assert!(!t.contains("|safe"), "{} uses |safe", e.path().display());
        assert!(
            !t.contains("onclick") && !t.contains("<script>"),
            "{} has inline script",
            e.path().display()
        );
    }
}

#[tokio::test]
async fn paths_from_urls_never_leave_the_archive() {
    let w = web();
    let mut c = w.client("admin").await;
    let secret = "$argon2id$";
    for path in [
        "/doc/..%2F..%2Fusers.toml",
        "/doc/..%2F..%2Fusers.toml/scan",
        "/doc/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/download",
        "/doc/abcdef0123/scan",
        "/box/2023/..%2F..%2F..",
        "/box/2023/..",
        "/box/..%2F../x",
        "/review/..%2Fusers.toml",
        "/review/..%2Fusers.toml/scan",
        "/review/waiting.pdf.reason.txt/scan",
        "/disposal/1/file/..%2F..%2Fusers.toml",
        "/disposal/1/file/review.jsonl",
        "/assets/..%2FCargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/learner?name=..%2F..%2Fusers.toml",
    ] {
        let (status, html) = w.page(&mut c, path).await;
        assert!(
            matches!(
                status,
                StatusCode::NOT_FOUND
                    | StatusCode::UNPROCESSABLE_ENTITY
                    | StatusCode::BAD_REQUEST
                    | StatusCode::OK
            ),
            "{path}: {status}"
        );
        assert!(!html.contains(secret), "{path} served the users file");
        assert!(!html.contains("root:x:0:0"), "{path} served /etc/passwd");
        assert!(!html.contains("[package]"), "{path} served Cargo.toml");
    }
}

#[tokio::test]
async fn pages_carry_security_headers_and_only_scans_may_be_framed() {
    let w = web();
    let doc = w.doc_id();
    let mut c = w.client("archivist").await;
    let r = w.fetch(&mut c, &format!("/doc/{doc}")).await;
    let h = r.headers().clone();
    assert!(
        h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(
        h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    let r = w.fetch(&mut c, &format!("/doc/{doc}/scan")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], "frame-ancestors 'self'");
    assert_eq!(h[header::X_FRAME_OPTIONS], "SAMEORIGIN");
    assert!(body(r).await.starts_with("%PDF-"));
    // Viewing and downloading are both in the audit log, with the user.
    let r = w.fetch(&mut c, &format!("/doc/{doc}/download")).await;
    assert!(
        r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let log = archivist::store::audit::history(&w.arch.root.join("journal"), &doc).unwrap();
    let seen: Vec<_> = log
        .iter()
        .filter(|r| r.actor == "archivist")
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(seen, ["scan-viewed", "scan-downloaded"]);
}

#[tokio::test]
async fn all_interface_text_is_in_one_place() {
    for e in std::fs::read_dir(repo().join("src/web/templates"))
        .unwrap()
        .flatten()
    {
        let t = std::fs::read_to_string(e.path()).unwrap();
        assert!(
            !t.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)),
            "{} has Russian text; put it in src/web/text.rs",
            e.path().display()
        );
    }
}

#[tokio::test]
async fn box_and_year_pages_print_labels_covers_and_inventories() {
    let w = web();
    let b = w.archivist.boxes().unwrap().into_iter().next().unwrap();
    let mut c = w.client("archivist").await;
    let box_path = format!("/box/{}/{}", b.year, percent(&b.group));
    let (status, html) = w.page(&mut c, &box_path).await;
    assert_eq!(status, StatusCode::OK);
    let pdf_of = |r: &Response<Body>| {
        (
            r.status(),
            r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_string(),
        )
    };
    for what in ["labels.pdf", "inventory.pdf"] {
        let link = format!("{box_path}/{what}");
        assert!(
            html.contains(&format!("/{what}\" id=\"box-")),
            "the box page has no link to {what}"
        );
        let r = w.fetch(&mut c, &link).await;
        assert_eq!(pdf_of(&r), (StatusCode::OK, "application/pdf".into()));
        assert!(body(r).await.starts_with("%PDF-"));
    }
    let year = format!("/year/{}", b.year);
    assert!(
        html.contains(&format!("href=\"{year}\"")),
        "no link to {year}"
    );
    for what in ["labels.pdf", "covers.pdf", "nomenclature.pdf"] {
        let r = w.fetch(&mut c, &format!("{year}/{what}")).await;
        assert_eq!(
            pdf_of(&r),
            (StatusCode::OK, "application/pdf".into()),
            "{what}"
        );
    }
    // No inventory yet: the year page says so and offers to make them.
    let (_, page) = w.page(&mut c, &year).await;
    assert!(page.contains("ещё не составлены") && page.contains("inventory-form"));
    let r = w
        .fetch(&mut c, &format!("{year}/inventory/long/file/inventory.pdf"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Staff may look and print, not make inventories.
    let mut staff = w.client("staff").await;
    let (_, page) = w.page(&mut staff, &year).await;
    assert!(!page.contains("inventory-form"));
    let req = w.post(&c, &format!("{year}/inventory"), &[("csrf", &c.csrf)]);
    let r = w.send(&mut c, req).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = w.page(&mut c, &format!("{year}?done=inventory")).await;
    assert!(page.contains("id=\"notice\""), "{page}");
    let file = page
        .split("class=\"inventory-file\"")
        .next()
        .and_then(|s| s.rsplit("href=\"").next())
        .map(|s| s.trim_end_matches("\" ").to_string())
        .unwrap();
    assert!(file.ends_with("/file/inventory.pdf"), "{file}");
    let r = w.fetch(&mut c, &file).await;
    assert_eq!(pdf_of(&r), (StatusCode::OK, "application/pdf".into()));
    // Only the inventory's own files are served.
    for bad in [
        "inventory.toml/../../../archivist.toml",
        "..%2F..%2Farchivist.toml",
        "x.pdf",
    ] {
        let r = w
            .fetch(&mut c, &format!("{year}/inventory/long/file/{bad}"))
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    let made = archivist::store::audit::history_all(&w.archivist.archive().journal).unwrap();
    assert!(
        made.iter()
            .any(|r| r.action == "inventory-made" && r.actor == "archivist"),
        "making inventories from the web is audited with the user"
    );
}
