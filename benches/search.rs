//! Search benchmark (issue 3): a generated archive of 100,000 documents (sidecars and
//! text as the pipeline writes them; the scans themselves do not affect the index), then
//! `archivist reindex` time and index size, and learner-name query latency p50/p99
//! in-process and through the CLI.
//!
//! Run: `cargo bench --bench search` (BENCH_DOCS=N to change the count).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use archivist::ingest::classify::{Classifier, Evidence};
use archivist::search::{SearchIndex, SearchRequest};
use archivist::store::archive::Archive;
use archivist::store::document::{CaseRef, DocumentMeta, PdfFacts};
use common::*;

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
            provenance_detail: BTreeMap::new(),
            events: BTreeMap::new(),
            status: archivist::store::document::Status::Active,
            status_note: None,
            original: None,
            history: Vec::new(),
            ocr: None,
            results: None,
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

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn dir_size(p: &Path) -> u64 {
    walkdir::WalkDir::new(p)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
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

    // BENCH_REINDEX=0 keeps an index built by an earlier run (to measure queries alone).
    let reuse =
        std::env::var("BENCH_REINDEX").is_ok_and(|v| v == "0") && root.join("index").is_dir();
    if !reuse {
        let _ = fs::remove_dir_all(root.join("index"));
    }
    let run = run_measured(
        Command::new(bin())
            .arg("--root")
            .arg(&root)
            .arg("--quiet")
            .arg("--json")
            .arg(if reuse { "check" } else { "reindex" })
            .stdout(Stdio::null()),
    );
    assert_eq!(run.status, 0, "reindex (or check) failed");
    let size = dir_size(&root.join("index"));

    // Queries in the forms archivists type: full name, declined, initials, surname only.
    let mut rng = fastrand::Rng::with_seed(7);
    let queries: Vec<String> = (0..1000)
        .map(|_| {
            let full = &names[rng.usize(..names.len())];
            let w: Vec<&str> = full.split(' ').collect();
            let init = |s: &str| {
                s.chars()
                    .next()
                    .map(|c| format!("{c}."))
                    .unwrap_or_default()
            };
            match rng.u8(..3) {
                0 => full.clone(),
                1 => format!("{} {} {}", w[0], init(w[1]), init(w[2])),
                _ => w[0].to_string(),
            }
        })
        .collect();
    let ix = SearchIndex::open(&root.join("index")).unwrap();
    let req = |q: &str| SearchRequest::new(q);
    for q in queries.iter().take(50) {
        let _ = ix.search(&req(q)).unwrap();
    }
    let mut lat: Vec<Duration> = Vec::new();
    let mut found = 0usize;
    for q in &queries {
        let t = Instant::now();
        let h = ix.search(&req(q)).unwrap();
        lat.push(t.elapsed());
        found += (h.total > 0) as usize;
    }
    let mut dossier: Vec<Duration> = Vec::new();
    for q in queries.iter().take(50) {
        let t = Instant::now();
        let _ = archivist::search::dossier(&ix, q).unwrap();
        dossier.push(t.elapsed());
    }
    let mut cli: Vec<Duration> = Vec::new();
    for q in queries.iter().take(40) {
        let t = Instant::now();
        let out = Command::new(bin())
            .arg("--root")
            .arg(&root)
            .arg("--json")
            .arg("search")
            .arg(q)
            .output()
            .unwrap();
        cli.push(t.elapsed());
        assert!(out.status.code() == Some(0) || out.status.code() == Some(5));
    }
    // Reference: the process start of the same binary doing nothing (--version).
    let mut bare: Vec<Duration> = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        Command::new(bin()).arg("--version").output().unwrap();
        bare.push(t.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("\nsearch benchmark: {n} documents");
    println!(
        "reindex: {:.1} s ({:.0} docs/s), peak RSS {} MB; index size {:.1} MB ({:.0} bytes/doc)",
        run.wall.as_secs_f64(),
        n as f64 / run.wall.as_secs_f64(),
        run.max_rss_kb / 1024,
        size as f64 / 1e6,
        size as f64 / n as f64
    );
    println!(
        "learner-name search in-process ({} queries, {} with hits): p50 {:.2} ms, p99 {:.2} ms",
        queries.len(),
        found,
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99))
    );
    println!(
        "learner dossier in-process (50 queries): p50 {:.2} ms, p99 {:.2} ms",
        ms(pct(&mut dossier, 0.5)),
        ms(pct(&mut dossier, 0.99))
    );
    println!(
        "search through the CLI (40 runs): p50 {:.1} ms, p99 {:.1} ms; bare process start (--version) p50 {:.1} ms",
        ms(pct(&mut cli, 0.5)),
        ms(pct(&mut cli, 0.99)),
        ms(pct(&mut bare, 0.5))
    );
}
