//! Page bench (issue 13): the web interface's search, dossier and document pages rendered
//! server-side at 100,000 documents — the router in-process, through the session, the
//! authorisation guard, the library call and the template — with p50/p99 latencies.
//! The archive is the search bench's generated one (sidecars and text as the pipeline
//! writes them), plus an audit log with one record per document.
//!
//! Run: `cargo bench --bench web` (BENCH_DOCS=N to change the count).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use archivist::api::users::Role;
use archivist::api::{Actor, Archivist};
use archivist::ingest::classify::{Classifier, Evidence};
use archivist::store::archive::Archive;
use archivist::store::document::{CaseRef, DocumentMeta, PdfFacts};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use tower::ServiceExt;

/// The search bench's generator (same seed and layout, so both share one archive).
fn build_archive(root: &Path, n: usize) -> Vec<String> {
    let marker = root.join("generated.json");
    if let Ok(t) = fs::read_to_string(&marker) {
        return serde_json::from_str(&t).unwrap();
    }
    let _ = fs::remove_dir_all(root);
    let (a, _) = Archive::init(root, None).unwrap();
    start_audit_log(&a);
    let classifier = Classifier::new(&a.config.classify, &a.nomenclature).unwrap();
    let opts = fixturegen::GenOptions {
        seed: 42,
        count: n,
        text_only: true,
        ..Default::default()
    };
    let mut manifests: BTreeMap<String, String> = BTreeMap::new();
    let mut names = Vec::new();
    let info = BTreeMap::new();
    let start = Instant::now();
    for (i, g) in fixturegen::generate(&opts).enumerate() {
        let g = g.unwrap();
        let e = &g.expected;
        let found = classifier.classify(&Evidence {
            sidecar: None,
            folders: &[],
            file_name: &e.file,
            info: &info,
            text: &g.text,
        });
        let kind = a.nomenclature.kind(&e.kind).unwrap();
        let box_rel = format!("boxes/{}/{}", e.year, e.group);
        let stem = format!("{}_{:06}", e.date, i);
        let file = format!("data/{}/{stem}.pdf", e.kind);
        let meta = DocumentMeta {
            id: format!("{:064x}", i as u128 * 0x9E37_79B9_7F4A_7C15),
            kind: e.kind.clone(),
            kind_name: kind.name.clone(),
            year: e.year,
            group: Some(e.group.clone()),
            date: Some(e.date),
            number: e.number.clone(),
            title: Some(kind.name.clone()),
            programme: Some(e.programme.clone()),
            learners: found.learners,
            pages: e.pages,
            size: 80_000,
            box_path: box_rel.clone(),
            file: file.clone(),
            text_file: Some(format!("data/{}/{stem}.txt", e.kind)),
            source_name: e.file.clone(),
            source_path: e.file.clone(),
            ingested_at: chrono::Utc::now(),
            case: CaseRef {
                index: kind.case_index.clone(),
                title: kind.case_title.clone(),
                period: kind.period.to_string(),
                basis: kind.basis.clone(),
                epk: kind.epk,
            },
            pdf: PdfFacts {
                version: "1.7".into(),
                producer: None,
                creator: None,
                text_layer: archivist::formats::pdf::TextLayer::Present,
                repaired: false,
                encrypted: false,
                active_content: false,
                warnings: vec![],
            },
            provenance: BTreeMap::new(),
            provenance_detail: Default::default(),
            results: None,
            events: BTreeMap::new(),
            status: archivist::store::document::Status::Active,
            status_note: None,
            original: None,
            history: Vec::new(),
            ocr: None,
        };
        let dir = root.join(&box_rel).join("data").join(&e.kind);
        fs::create_dir_all(&dir).unwrap();
        let side = meta.to_toml().unwrap();
        fs::write(dir.join(format!("{stem}.toml")), &side).unwrap();
        fs::write(dir.join(format!("{stem}.txt")), &g.text).unwrap();
        let m = manifests.entry(box_rel.clone()).or_default();
        m.push_str(&format!(
            "{}  data/{}/{stem}.toml\n",
            archivist::store::fsutil::sha256_hex(side.as_bytes()),
            e.kind
        ));
        if i < 2000 {
            names.extend(e.learners.iter().cloned());
        }
        if (i + 1) % 10_000 == 0 {
            eprintln!(
                "  {} documents generated ({:.0}s)",
                i + 1,
                start.elapsed().as_secs_f64()
            );
        }
    }
    for (box_rel, m) in manifests {
        let d = root.join(&box_rel);
        fs::write(d.join("bagit.txt"), archivist::store::boxes::BAGIT_TXT).unwrap();
        fs::write(d.join("manifest-sha256.txt"), m).unwrap();
    }
    names.sort();
    names.dedup();
    fs::write(&marker, serde_json::to_string(&names).unwrap()).unwrap();
    names
}

fn id_of(i: usize) -> String {
    format!("{:064x}", i as u128 * 0x9E37_79B9_7F4A_7C15)
}

/// One "archived" audit record per document, as the pipeline writes them.
fn ensure_audit(root: &Path, n: usize) {
    let journal = root.join("journal");
    if fs::metadata(journal.join("audit.jsonl")).map_or(0, |m| m.len()) > 0 {
        return;
    }
    // The archive was generated without its log (the search bench writes boxes only):
    // the log is started as ingest would have, with the boxes set aside meanwhile, since
    // the library refuses to start a log beside boxes (a deleted log, to it).
    let _ = fs::remove_file(journal.join("audit.jsonl"));
    let _ = fs::remove_file(journal.join("audit.head"));
    let aside = root.join("boxes.aside");
    fs::rename(root.join("boxes"), &aside).unwrap();
    let mut log = archivist::store::audit::AuditLog::open(&journal, &Actor::new("bench")).unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        log.append(
            chunk
                .iter()
                .map(|i| {
                    archivist::store::audit::Event::new("archived")
                        .id(&id_of(*i))
                        .details(serde_json::json!({"source": format!("scan_{i:06}.pdf")}))
                })
                .collect(),
        )
        .unwrap();
    }
    fs::rename(&aside, root.join("boxes")).unwrap();
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn enc(s: &str) -> String {
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

struct Client {
    router: axum::Router,
    cookie: String,
}

impl Client {
    async fn get(&self, path: &str) -> (StatusCode, usize, Duration) {
        let req = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap();
        let t = Instant::now();
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
        (status, body.len(), t.elapsed())
    }
}

async fn sign_in(router: &axum::Router) -> String {
    let r = router
        .clone()
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookie = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = String::from_utf8(
        axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let form = format!("csrf={token}&user=bench&password=bench%20password&next=%2F");
    let r = router
        .clone()
        .oneshot(
            Request::post("/login")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "bench user signs in");
    r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn measure(c: &Client, label: &str, paths: &[String]) {
    // BENCH_PAGES=dossier measures only the pages whose label contains it (profiling).
    if std::env::var("BENCH_PAGES").is_ok_and(|only| !label.contains(only.as_str())) {
        return;
    }
    // Warm-up: the first requests map the index into memory.
    for p in paths.iter().take(20) {
        c.get(p).await;
    }
    let mut lat = Vec::with_capacity(paths.len());
    let mut bytes = 0usize;
    for p in paths {
        let (status, len, d) = c.get(p).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        bytes += len;
        lat.push(d);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<44} {:>4} pages: p50 {:>6.2} ms, p99 {:>6.2} ms, max {:>6.2} ms, {:>3} KB/page",
        paths.len(),
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99)),
        ms(*lat.iter().max().unwrap()),
        bytes / paths.len() / 1024
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = env_usize("BENCH_DOCS", 100_000);
    let root = data_dir().join(format!("search-archive-{n}"));
    eprintln!(
        "building (or reusing) a {n}-document archive in {} …",
        root.display()
    );
    let names = build_archive(&root, n);
    let indexed = archivist::search::index::SearchIndex::open(&root.join("index"))
        .map(|ix| ix.num_docs() as usize)
        .unwrap_or(0);
    if indexed != n {
        let _ = fs::remove_dir_all(root.join("index"));
        let st = Command::new(bin())
            .arg("--root")
            .arg(&root)
            .args(["--quiet", "reindex"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "reindex failed");
    }
    ensure_audit(&root, n);
    let a = Arc::new(Archivist::open(&root, None).unwrap());
    if a.user("bench").is_err() {
        a.user_add(
            "bench",
            Role::Archivist,
            "bench password",
            &Actor::new("bench"),
        )
        .unwrap();
    }
    let router = archivist::web::router(a.clone(), archivist::web::Options::for_archive(&a));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let cookie = sign_in(&router).await;
        let c = Client { router, cookie };
        let mut rng = fastrand::Rng::with_seed(11);
        let pick = |rng: &mut fastrand::Rng| names[rng.usize(..names.len())].clone();
        let init = |s: &str| s.chars().next().map(|c| format!("{c}.")).unwrap_or_default();
        let short = |full: &str| {
            let w: Vec<&str> = full.split(' ').collect();
            format!("{} {} {}", w[0], init(w[1]), init(w.get(2).copied().unwrap_or("")))
        };
        let words = ["приказ", "журнал учета", "удостоверение", "протокол заседания", "зачислить", "экзамен", "охрана труда", "отчислить"];
        let kinds = ["journal", "protocol", "order-completion", "order-organisation"];
        let mut search = Vec::new();
        for i in 0..300 {
            let q = match i % 3 {
                0 => pick(&mut rng),
                1 => short(&pick(&mut rng)),
                _ => words[rng.usize(..words.len())].to_string(),
            };
            let mut p = format!("/search?q={}", enc(&q));
            if rng.bool() {
                p.push_str(&format!("&kind={}", kinds[rng.usize(..kinds.len())]));
            }
            if rng.u8(..4) == 0 {
                p.push_str(&format!("&year={}", 2015 + u32::from(rng.u8(..10))));
            }
            if rng.u8(..3) == 0 {
                p.push_str("&page=2");
            }
            search.push(p);
        }
        let dossier: Vec<String> = (0..200)
            .map(|_| format!("/learner?name={}", enc(&short(&pick(&mut rng)))))
            .collect();
        let surnames: Vec<String> = (0..100)
            .map(|_| {
                let full = pick(&mut rng);
                format!("/learner?name={}", enc(full.split(' ').next().unwrap()))
            })
            .collect();
        let docs: Vec<String> = (0..300).map(|_| format!("/doc/{}", id_of(rng.usize(..n)))).collect();
        let all_boxes = a.boxes().unwrap();
        let boxes: Vec<String> = (0..100)
            .map(|_| {
                let b = &all_boxes[rng.usize(..all_boxes.len())];
                format!("/box/{}/{}", b.year, enc(&b.group))
            })
            .collect();
        println!("\nweb page bench: {n} documents, server-side (router in-process, session + guard + library + template)");
        measure(&c, "search (names, words; facets; pages)", &search).await;
        measure(&c, "dossier (\"Фамилия И. О.\")", &dossier).await;
        measure(&c, "dossier (bare surname: namesakes listed)", &surnames).await;
        measure(&c, "document (metadata, holds, fixity, audit)", &docs).await;
        measure(&c, "box (cases, first 100 documents, fixity)", &boxes).await;
    });
}
