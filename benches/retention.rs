//! Retention benchmark (issue 4): `archivist retention` over an index of 1,000,000
//! documents (metadata only: retention reads the index's columns, not the text),
//! in-process and through the CLI, beside a plain count of the same index as reference.
//!
//! Run: `cargo bench --bench retention` (BENCH_DOCS=N to change the count).

mod common;

use std::time::Instant;

use archivist::search::index::SearchIndex;
use archivist::store::archive::Archive;
use archivist::store::document::{CaseRef, DocumentMeta, PdfFacts};
use common::*;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = env_usize("BENCH_DOCS", 1_000_000);
    let root = data_dir().join(format!("retention-archive-{n}"));
    let (a, _) = Archive::init(&root, None).unwrap();
    start_audit_log(&a);
    if !root.join("generated").is_file() {
        let _ = std::fs::remove_dir_all(&a.index);
        eprintln!(
            "indexing {n} synthetic documents into {} …",
            a.index.display()
        );
        let ix = SearchIndex::open_or_create(&a.index).unwrap();
        let mut w = ix.index.writer_with_num_threads(2, 512_000_000).unwrap();
        let kinds = &a.nomenclature.kinds;
        let mut rng = fastrand::Rng::with_seed(3);
        let t = Instant::now();
        for i in 0..n {
            let k = &kinds[rng.usize(..kinds.len())];
            let year = 2000 + rng.i32(0..26);
            let group = format!("ПК-{year}-{:03}", rng.u32(1..60));
            let date =
                chrono::NaiveDate::from_ymd_opt(year, rng.u32(1..13), rng.u32(1..29)).unwrap();
            let meta = DocumentMeta {
                id: format!("{i:064x}"),
                kind: k.id.clone(),
                kind_name: k.name.clone(),
                year,
                group: Some(group.clone()),
                date: Some(date),
                number: None,
                title: None,
                programme: None,
                learners: vec![],
                pages: 1,
                size: 1,
                box_path: format!("boxes/{year}/{group}"),
                file: format!("data/{}/{i}.pdf", k.id),
                text_file: None,
                source_name: String::new(),
                source_path: String::new(),
                ingested_at: chrono::Utc::now(),
                case: CaseRef {
                    index: k.case_index.clone(),
                    title: k.case_title.clone(),
                    period: k.period.to_string(),
                    basis: k.basis.clone(),
                    epk: k.epk,
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
                provenance: Default::default(),
                provenance_detail: Default::default(),
                events: Default::default(),
                status: archivist::store::document::Status::Active,
                status_note: None,
                original: None,
                history: Vec::new(),
                ocr: None,
                results: None,
            };
            w.add_document(ix.document(&meta, "")).unwrap();
        }
        w.commit().unwrap();
        w.wait_merging_threads().unwrap();
        eprintln!("indexed in {:.0}s", t.elapsed().as_secs_f64());
        std::fs::write(root.join("generated"), "").unwrap();
    }
    let ix = SearchIndex::open(&a.index).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let mut times = Vec::new();
    let mut ncases = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let cases = archivist::records::retention::cases(&ix, &a.nomenclature).unwrap();
        ncases = cases.len();
        let r = archivist::records::retention::report(cases, &Default::default(), as_of);
        std::hint::black_box(r);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let t = Instant::now();
    let count = ix.searcher().num_docs();
    let count_t = t.elapsed().as_secs_f64();
    let cli = run_measured(
        std::process::Command::new(bin())
            .arg("--root")
            .arg(&root)
            .arg("--json")
            .arg("retention")
            .arg("--as-of")
            .arg("2026-11-28")
            .stdout(std::process::Stdio::null()),
    );
    assert_eq!(cli.status, 0);
    println!("\nretention benchmark: {count} documents, {ncases} cases");
    println!(
        "in-process cases+report: median {:.3} s (min {:.3} s, 5 runs)",
        times[2], times[0]
    );
    println!(
        "CLI `archivist retention --json`: {:.3} s wall, peak RSS {} MB",
        cli.wall.as_secs_f64(),
        cli.max_rss_kb / 1024
    );
    println!(
        "reference: opening the same index and counting its documents: {:.4} s",
        count_t
    );
}
