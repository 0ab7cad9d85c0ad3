//! Watcher start-up at scale (issue 10): how long `archivist watch` takes to be ready on
//! an archive of 1,000,000 documents. The archive is metadata only, as in the retention
//! and search benches: box manifests naming 1,000,000 scans (the files themselves do not
//! matter to start-up) and an index of the same documents, 100 of them with OCR pending
//! (their sidecars on disk). Pending OCR is found with one term query on the index; the
//! reference is what the watcher did before: read every sidecar (measured on 10,000 real
//! sidecars and scaled). Target: ready in under 2 s.
//!
//! Run: `cargo bench --bench watch_startup` (BENCH_DOCS=N to change the count).

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use archivist::search::index::SearchIndex;
use archivist::store::archive::Archive;
use archivist::store::document::{
    CaseRef, DocumentMeta, OcrInfo, OcrState, PageSource, PdfFacts, TextSource,
};
use common::*;

const PENDING_EVERY: usize = 10_000;

fn meta(a: &Archive, i: usize, year: i32, group: &str) -> DocumentMeta {
    let kinds = &a.nomenclature.kinds;
    let k = &kinds[i % kinds.len()];
    let pending = i.is_multiple_of(PENDING_EVERY);
    DocumentMeta {
        id: format!("{i:064x}"),
        kind: k.id.clone(),
        kind_name: k.name.clone(),
        year,
        group: Some(group.to_string()),
        date: chrono::NaiveDate::from_ymd_opt(year, 1 + (i % 12) as u32, 1 + (i % 28) as u32),
        number: None,
        title: None,
        programme: None,
        learners: vec![],
        pages: 1,
        size: 1,
        box_path: format!("boxes/{year}/{group}"),
        file: format!("data/{}/{i}.pdf", k.id),
        text_file: None,
        source_name: format!("{i}.pdf"),
        source_path: format!("{i}.pdf"),
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
            text_layer: archivist::formats::pdf::TextLayer::None,
            repaired: false,
            encrypted: false,
            active_content: false,
            warnings: vec![],
        },
        provenance: Default::default(),
        provenance_detail: Default::default(),
        results: None,
        events: Default::default(),
        status: archivist::store::document::Status::Active,
        status_note: None,
        original: None,
        history: Vec::new(),
        ocr: pending.then(|| OcrInfo {
            state: OcrState::Pending,
            at: None,
            message: None,
            pages: vec![PageSource {
                page: 1,
                source: TextSource::None,
                confidence: None,
                rotation: None,
            }],
        }),
    }
}

/// Box manifests and an index for `n` documents (cached under target/bench-data).
fn generate(root: &Path, n: usize) -> Archive {
    Archive::init(root, None).unwrap();
    fs::write(
        root.join("archivist.toml"),
        "[watch]\nstable_secs = 0\n[fixity]\ncycle_days = 0\n",
    )
    .unwrap();
    let a = Archive::open(root, None).unwrap();
    start_audit_log(&a);
    if root.join("generated").is_file() {
        return a;
    }
    let _ = fs::remove_dir_all(&a.index);
    let _ = fs::remove_dir_all(&a.boxes);
    eprintln!(
        "generating {n} documents (manifests and index) into {} …",
        root.display()
    );
    let t = Instant::now();
    let ix = SearchIndex::open_or_create(&a.index).unwrap();
    let mut w = ix.index.writer_with_num_threads(2, 512_000_000).unwrap();
    let per_box = 320;
    let mut i = 0;
    let mut b = 0;
    while i < n {
        let year = 2000 + (b % 26);
        let group = format!("ПК-{year}-{:03}", b / 26);
        let dir = a.boxes.join(year.to_string()).join(&group);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("bagit.txt"),
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        )
        .unwrap();
        let mut manifest =
            std::io::BufWriter::new(fs::File::create(dir.join("manifest-sha256.txt")).unwrap());
        for _ in 0..per_box.min(n - i) {
            let m = meta(&a, i, year, &group);
            writeln!(manifest, "{}  {}", m.id, m.file).unwrap();
            let side = archivist::store::archive::sidecar_of(&m.file);
            writeln!(manifest, "{:064x}  {side}", i + n).unwrap();
            if m.ocr.is_some() {
                let p = dir.join(&side);
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(&p, m.to_toml().unwrap()).unwrap();
            }
            w.add_document(ix.document(&m, "")).unwrap();
            i += 1;
        }
        b += 1;
    }
    w.commit().unwrap();
    w.wait_merging_threads().unwrap();
    fs::write(root.join("generated"), "").unwrap();
    eprintln!(
        "generated in {:.0} s ({b} boxes)",
        t.elapsed().as_secs_f64()
    );
    a
}

/// What reading every sidecar cost before: 10,000 real sidecars read and parsed.
fn sidecar_scan_reference(a: &Archive) -> Duration {
    let dir = data_dir().join("watch-startup-sidecars");
    if !dir.join("done").is_file() {
        fs::create_dir_all(&dir).unwrap();
        for i in 0..10_000 {
            fs::write(
                dir.join(format!("{i}.toml")),
                meta(a, i + 1, 2024, "ПК-2024-001").to_toml().unwrap(),
            )
            .unwrap();
        }
        fs::write(dir.join("done"), "").unwrap();
    }
    let t = Instant::now();
    for i in 0..10_000 {
        let text = fs::read_to_string(dir.join(format!("{i}.toml"))).unwrap();
        std::hint::black_box(DocumentMeta::from_toml(&text).unwrap());
    }
    t.elapsed()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = env_usize("BENCH_DOCS", 1_000_000);
    let root = data_dir().join(format!("watch-startup-{n}"));
    let a = generate(&root, n);

    // In-process, step by step.
    let t = Instant::now();
    let sink = archivist::search::sink_for(&a).unwrap();
    let open_index = t.elapsed();
    let t = Instant::now();
    let mut ing =
        archivist::ingest::Ingestor::open(&a, Box::new(sink), &archivist::api::Actor::system())
            .unwrap();
    let open_pipeline = t.elapsed();
    let t = Instant::now();
    assert!(ing.catalogue_len().unwrap() >= n);
    let catalogue = t.elapsed();
    let t = Instant::now();
    let jobs = ing.pending_ocr(None).unwrap();
    let pending = t.elapsed();
    assert_eq!(jobs.len(), n.div_ceil(PENDING_EVERY));
    drop(ing);
    let t = Instant::now();
    let ix = SearchIndex::open(&a.index).unwrap();
    let report = archivist::search::consistency::compare(&a, &ix).unwrap();
    let compare = t.elapsed();
    assert!(report.ok(), "the fixture's index and manifests disagree");
    let reference = sidecar_scan_reference(&a).mul_f64(n as f64 / 10_000.0);

    // The real watcher, as a child: until it says it is watching, and until a scan that
    // was waiting in the inbox has its receipt.
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/scans");
    let scan = fs::read_dir(fixtures)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap();
    let _ = fs::remove_file(a.journal.join("receipts.jsonl"));
    fs::copy(
        &scan,
        a.inbox.join(format!("startup-{}.pdf", std::process::id())),
    )
    .unwrap();
    let t = Instant::now();
    let mut child = Command::new(bin())
        .arg("--root")
        .arg(&root)
        .arg("watch")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The child's stderr is read to its end on another thread: a pipe nobody drains
    // would block the watcher at its first burst of log lines.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if line.unwrap_or_default().contains("watching ") {
                let _ = ready_tx.send(t.elapsed());
            }
        }
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(120)).ok();
    let receipts = a.journal.join("receipts.jsonl");
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline && fs::metadata(&receipts).map(|m| m.len()).unwrap_or(0) == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let first_receipt = t.elapsed();
    let rss = fs::read_to_string(format!("/proc/{}/status", child.id()))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let _ = child.wait();

    let s = |d: Duration| d.as_secs_f64();
    println!(
        "\nwatch start-up benchmark: {n} documents (metadata only), {} with OCR pending",
        jobs.len()
    );
    println!(
        "in-process: open the index {:.3} s; open the pipeline (recovery) {:.3} s; catalogue from the manifests (on its own thread) {:.3} s; pending OCR from the index {:.3} s",
        s(open_index),
        s(open_pipeline),
        s(catalogue),
        s(pending)
    );
    println!(
        "in-process, in the background after start: index compared with the archive {:.3} s",
        s(compare)
    );
    println!(
        "reference: reading every sidecar for pending OCR (as before), 10,000 read and scaled: {:.1} s",
        s(reference)
    );
    println!(
        "`archivist watch`: watching after {:.3} s, first receipt after {:.3} s, RSS {} MB (target: ready < 2 s)",
        ready.map(s).unwrap_or(f64::NAN),
        s(first_receipt),
        rss / 1024
    );
}
