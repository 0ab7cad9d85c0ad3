//! The web interface in a real browser: Debian's headless Chromium driven through
//! chromedriver (WebDriver, fantoccini) against the real `archivist serve`, through the
//! three journeys of issue 13. Each step leaves a screenshot in `target/web-screens/`.
//! Skipped with a message where chromium or chromedriver is missing (required on CI).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn screens_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let d = target.join("web-screens");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Children killed when the test ends, however it ends.
struct Kill(Vec<Child>);

impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn browser_available() -> bool {
    have_tool("chromedriver") && have_tool("chromium")
}

/// A test archive with users, served by the real binary, and a browser on it.
struct Session {
    arch: TestArchive,
    url: String,
    client: Client,
    journey: &'static str,
    step: usize,
    _children: Kill,
    _profile: tempfile::TempDir,
}

fn add_user(arch: &TestArchive, name: &str, role: &str) {
    let mut c = Command::new(bin())
        .arg("--root")
        .arg(&arch.root)
        .args(["user", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(c.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(c.wait().unwrap().success(), "user add {name}");
}

/// Starts `archivist serve` on a free port and returns its URL (read from its greeting).
fn serve(arch: &TestArchive, children: &mut Vec<Child>) -> String {
    let log = std::fs::File::create(arch.tmp.path().join("serve.log")).unwrap();
    let mut child = Command::new(bin())
        .arg("--root")
        .arg(&arch.root)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    children.push(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(i) = line.find("http://") {
                let url = line[i..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                let _ = tx.send(url);
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("archivist serve printed its URL")
        .trim_end_matches('/')
        .to_string()
}

async fn start(journey: &'static str, setup: impl FnOnce(&TestArchive)) -> Session {
    let arch = TestArchive::new();
    setup(&arch);
    let mut children = Vec::new();
    let url = serve(&arch, &mut children);
    let port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    children.push(driver);
    assert!(
        wait_until(Duration::from_secs(30), || std::net::TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "chromedriver did not start"
    );
    let profile = tempfile::tempdir().unwrap();
    let downloads = arch.tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let chromium = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v chromium"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1366,900",
                "--lang=ru-RU",
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect to chromedriver");
    Session {
        arch,
        url,
        client,
        journey,
        step: 0,
        _children: Kill(children),
        _profile: profile,
    }
}

impl Session {
    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.url))
            .await
            .unwrap();
    }

    /// Saves a screenshot named after the journey and the step.
    async fn shot(&mut self, what: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap();
        let p = screens_dir().join(format!("{}-{:02}-{what}.png", self.journey, self.step));
        std::fs::write(&p, png).unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.wait_for(css).await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
    }

    async fn click(&self, css: &str) {
        self.wait_for(css).await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn fill(&self, css: &str, value: &str) {
        self.wait_for(css).await;
        let e = self.client.find(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    async fn sign_in(&mut self, user: &str) {
        self.goto("/").await;
        self.wait_for("#user").await;
        let url = self.client.current_url().await.unwrap();
        assert!(
            url.path().starts_with("/login"),
            "not sent to sign in: {url}"
        );
        self.fill("#user", user).await;
        self.fill("#password", PASSWORD).await;
        self.click("#go").await;
        let who = self.text("#who").await;
        assert!(who.starts_with(user), "signed in as {who}");
    }

    async fn sign_out(&self) {
        self.click(".who button").await;
        self.wait_for("#user").await;
    }

    /// Reloads `path` until `css` appears (the watcher works in the background).
    async fn reload_until(&self, path: &str, css: &str, secs: u64) {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            self.goto(path).await;
            if self.client.find(Locator::Css(css)).await.is_ok() {
                return;
            }
            assert!(Instant::now() < end, "{css} never appeared on {path}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// A request from inside the page (with its cookie): status, type, first bytes.
    async fn fetch(&self, path: &str) -> (u64, String, String) {
        let v = self
            .client
            .execute_async(
                "const [p, done] = arguments; fetch(p).then(async r => { const b = new Uint8Array(await r.arrayBuffer()); done([r.status, r.headers.get('content-type') || '', String.fromCharCode(...b.slice(0, 5))]); }).catch(e => done([0, String(e), '']));",
                vec![json!(path)],
            )
            .await
            .unwrap();
        (
            v[0].as_u64().unwrap_or(0),
            v[1].as_str().unwrap_or("").to_string(),
            v[2].as_str().unwrap_or("").to_string(),
        )
    }

    /// The `href` of the first element `css` finds.
    async fn href(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap()
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn audit(root: &Path) -> Vec<archivist::store::audit::AuditRecord> {
    archivist::store::audit::history_all(&root.join("journal")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_upload_an_image_only_scan_resolve_it_in_review_and_find_it() {
    if !browser_available() {
        return;
    }
    let mut s = start("staff", |a| add_user(a, "petrova", "staff")).await;
    // An image-only scan with no sidecar whose words (read by OCR before classification)
    // name no kind of document: the machine cannot tell what it is.
    let lines: Vec<String> = [
        "Прошу принять к сведению",
        "Сидорова Анна Викторовна",
        "подпись ______________",
    ]
    .map(String::from)
    .to_vec();
    let bytes = fixturegen::text_pdf(
        &lines,
        &fixturegen::TextPdfOptions {
            seed: 7,
            dpi: 200,
            image_only: true,
            jpeg_quality: 80,
            date: chrono::NaiveDate::from_ymd_opt(2024, 3, 15).unwrap(),
        },
    )
    .unwrap();
    struct Expected {
        kind: &'static str,
        date: chrono::NaiveDate,
        group: &'static str,
        learners: Vec<&'static str>,
    }
    let expected = Expected {
        kind: "other",
        date: chrono::NaiveDate::from_ymd_opt(2024, 3, 15).unwrap(),
        group: "ПК-2024-017",
        learners: vec!["Сидорова Анна Викторовна"],
    };
    let file = s.arch.tmp.path().join("скан приказа.pdf");
    std::fs::write(&file, &bytes).unwrap();

    s.sign_in("petrova").await;
    s.shot("dashboard").await;
    s.click("nav a[href='/upload']").await;
    s.wait_for("#files").await;
    s.client
        .find(Locator::Id("files"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    s.shot("upload-chosen").await;
    s.click("#upload").await;
    let uploaded = s.text("#uploaded").await;
    assert!(uploaded.contains("скан приказа.pdf"), "{uploaded}");
    s.shot("uploaded").await;

    // The watcher sends it to review; it shows in the queue.
    s.reload_until("/review", "#review-items .item a", 240)
        .await;
    s.shot("review-queue").await;
    s.click("#review-items .item a").await;
    s.wait_for("#resolve-form").await;
    // Give the PDF viewer time to draw before the picture is taken.
    tokio::time::sleep(Duration::from_secs(3)).await;
    s.shot("review-item").await;

    let e = &expected;
    let kind = s.client.find(Locator::Id("kind")).await.unwrap();
    kind.select_by_value(e.kind).await.unwrap();
    s.client
        .execute(
            "document.getElementById('date').value = arguments[0];",
            vec![json!(e.date.to_string())],
        )
        .await
        .unwrap();
    s.fill("#group", e.group).await;
    s.fill("#learners", &e.learners.join("\n")).await;
    s.shot("review-filled").await;
    s.click("#resolve").await;
    let notice = s.text("#notice").await;
    assert!(notice.contains("отправлен в архив"), "{notice}");
    s.shot("resolved").await;

    // Filed under its year and group, and found by a learner's name.
    let surname = e.learners[0].split_whitespace().next().unwrap().to_string();
    let q = format!("/search?q={}&group={}", urlenc(&surname), urlenc(e.group));
    s.reload_until(&q, "#hits li.hit a.title", 120).await;
    let total = s.text("#total").await;
    assert!(!total.ends_with(" 0 документов"), "{total}");
    s.shot("found").await;
    s.click("#hits li.hit a.title").await;
    s.wait_for("#fields").await;
    let fields = s.text("#fields").await;
    assert!(fields.contains(e.group), "{fields}");
    assert!(
        fields.contains("заполнено при проверке") || fields.contains("карточка"),
        "{fields}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    s.shot("filed-document").await;

    let log = audit(&s.arch.root);
    assert!(
        log.iter()
            .any(|r| r.action == "uploaded" && r.actor == "petrova")
    );
    assert!(
        log.iter()
            .any(|r| r.action == "review-resolved" && r.actor == "petrova")
    );
    s.close().await;
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archivist_finds_a_learner_opens_the_dossier_and_the_scan_and_the_download_is_audited() {
    if !browser_available() {
        return;
    }
    let mut s = start("archivist", |a| {
        add_user(a, "ivanova", "archivist");
        a.cmd(&["ingest", fixtures_dir().to_str().unwrap()]);
    })
    .await;
    s.sign_in("ivanova").await;
    s.shot("dashboard").await;
    s.click("nav a[href='/search']").await;
    // Typing is enough: htmx fetches the results into the page (under the page's CSP)
    // and puts the search into the address bar.
    s.fill("#q", "Сидорову Анну").await;
    s.wait_for("#hits li.hit").await;
    let url = s.client.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or("").starts_with("q="),
        "htmx did not push the search: {url}"
    );
    let total = s.text("#total").await;
    assert!(!total.contains(" 0 "), "{total}");
    s.shot("search").await;

    // The learner's name links to the dossier.
    s.client
        .find(Locator::XPath(
            "//div[contains(@class,'people')]/a[starts-with(., 'Сидорова А')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    s.wait_for("#documents").await;
    let person = s.text("#person").await;
    assert!(person.starts_with("Сидорова"), "{person}");
    s.shot("dossier").await;
    // The learner's record card as a PDF.
    let card = s.href("#card-link").await;
    let (status, ctype, head) = s.fetch(&card).await;
    assert_eq!(
        (status, ctype.as_str(), head.as_str()),
        (200, "application/pdf", "%PDF-"),
        "{card}"
    );

    s.click("#documents tr.doc a").await;
    s.wait_for("#scan").await;
    let url = s.client.current_url().await.unwrap();
    let id = url.path().trim_start_matches("/doc/").to_string();
    // The scan is served inline as a PDF for the browser's own viewer.
    let (status, ctype, head) = s.fetch(&format!("/doc/{id}/scan")).await;
    assert_eq!(
        (status, ctype.as_str(), head.as_str()),
        (200, "application/pdf", "%PDF-")
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    s.shot("document-with-scan").await;

    s.click("#download").await;
    let downloads = s.arch.tmp.path().join("downloads");
    assert!(
        wait_until(Duration::from_secs(30), || std::fs::read_dir(&downloads)
            .map(|d| d
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".pdf")))
            .unwrap_or(false)),
        "the download did not arrive"
    );
    let log = audit(&s.arch.root);
    assert!(
        log.iter().any(|r| r.action == "scan-downloaded"
            && r.actor == "ivanova"
            && r.id.as_deref() == Some(id.as_str())),
        "the download is not in the audit log"
    );
    s.goto(&format!("/doc/{id}")).await;
    let trail = s.text("#audit").await;
    assert!(
        trail.contains("скачан оригинал") && trail.contains("ivanova"),
        "{trail}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    s.shot("download-audited").await;

    // The box page prints its label and inner inventory; the year page its inventories.
    s.goto("/boxes").await;
    s.click("#boxes tbody tr td:nth-child(2) a").await;
    s.wait_for("#box-print").await;
    for link in ["#box-labels", "#box-inventory"] {
        let href = s.href(link).await;
        let (status, ctype, head) = s.fetch(&href).await;
        assert_eq!(
            (status, ctype.as_str(), head.as_str()),
            (200, "application/pdf", "%PDF-"),
            "{href}"
        );
    }
    s.shot("box-with-print").await;
    s.click("a[href^='/year/']").await;
    s.wait_for("#inventory-form").await;
    s.click("#inventory-form button").await;
    s.wait_for("#notice").await;
    let made = s.text("#year-inventories").await;
    assert!(made.contains("Опись дел"), "{made}");
    let (status, ctype, head) = s.fetch(&s.href("a.inventory-file").await).await;
    assert_eq!(
        (status, ctype.as_str(), head.as_str()),
        (200, "application/pdf", "%PDF-")
    );
    assert!(
        audit(&s.arch.root)
            .iter()
            .any(|r| r.action == "inventory-made" && r.actor == "ivanova"),
        "making the inventory is not in the audit log"
    );
    s.shot("year-inventories").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commission_reviews_signs_off_the_chair_approves_and_the_act_is_executed() {
    if !browser_available() {
        return;
    }
    let mut s = start("commission", |a| {
        for (n, r) in [
            ("ivanova", "archivist"),
            ("orlov", "commission"),
            ("belova", "commission"),
            ("smirnov", "chair"),
        ] {
            add_user(a, n, r);
        }
        a.cmd(&["ingest", fixtures_dir().to_str().unwrap()]);
    })
    .await;

    // The archivist drafts the act.
    s.sign_in("ivanova").await;
    s.goto("/disposal").await;
    s.click("#draft").await;
    s.wait_for("#act-state").await;
    let url = s.client.current_url().await.unwrap();
    let act_path = url.path().to_string();
    assert!(s.text("#notice").await.contains("составлен"));
    s.shot("drafted").await;
    s.sign_out().await;

    // Two members comment and sign off.
    for member in ["orlov", "belova"] {
        s.sign_in(member).await;
        s.goto(&act_path).await;
        s.click("#c1 details summary").await;
        s.fill(
            "#c1 details textarea",
            &format!("Проверено: {member}, дело к уничтожению."),
        )
        .await;
        s.click("#c1 details button").await;
        s.reload_until(&act_path, "#c1 .comments li", 30).await;
        let comments = s.text("#c1 .comments").await;
        assert!(comments.contains(member), "{comments}");
        s.click("#signoff").await;
        s.wait_for("#signoffs").await;
        let members = s.text("#signoffs").await;
        assert!(
            members.contains(&format!("{member} — подписал")),
            "{members}"
        );
        s.shot(&format!("signed-{member}")).await;
        s.sign_out().await;
    }

    // The chair approves with the protocol.
    s.sign_in("smirnov").await;
    s.goto(&act_path).await;
    s.fill("#protocol_no", "7").await;
    s.shot("approving").await;
    s.click("#approve").await;
    let state = s.text("#act-state").await;
    assert_eq!(state, "утверждён");
    assert!(s.text("#approval").await.contains("№ 7"));
    s.shot("approved").await;
    s.sign_out().await;

    // The archivist executes it; the tombstones show.
    s.sign_in("ivanova").await;
    s.goto(&act_path).await;
    s.shot("before-execute").await;
    s.click("#execute").await;
    s.reload_until(&act_path, "#tombstones a.tombstone", 120)
        .await;
    assert_eq!(s.text("#act-state").await, "исполнен");
    s.shot("executed").await;
    s.click("#tombstones a.tombstone").await;
    let t = s.text("#tombstone").await;
    assert!(t.contains("уничтожен по акту"), "{t}");
    s.shot("tombstone").await;

    let log = audit(&s.arch.root);
    for (action, who) in [
        ("act-drafted", "ivanova"),
        ("act-signed-off", "orlov"),
        ("act-signed-off", "belova"),
        ("act-approved", "smirnov"),
        ("act-executed", "ivanova"),
    ] {
        assert!(
            log.iter().any(|r| r.action == action && r.actor == who),
            "{action} by {who} is not in the audit log"
        );
    }
    s.close().await;
}
