//! OCR catch-up benchmark (issue 9): `ocr --pending` on 20 one-page image-only scans,
//! through the library's use case, with one OCR worker (what the command did before:
//! one document at a time, so one core for one-page scans) and with the default (one
//! worker per core, pages of any documents), on copies of the same archive, in turn.
//! Target: at least 1.6× faster on 2 cores.
//!
//! Run: `cargo bench --bench ocr_pending` (BENCH_DOCS=N scans, BENCH_ROUNDS=N rounds).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use archivist::api::{Actor, Archivist, OcrTarget};
use common::*;

/// `n` generated image-only scans of one page each (cached).
fn one_page_scans(n: usize) -> PathBuf {
    let dir = data_dir().join(format!("ocr-one-page-{n}"));
    if dir.join("done").is_file() {
        return dir;
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let opts = fixturegen::GenOptions {
        seed: 11,
        count: n * 4,
        image_only: true,
        ..Default::default()
    };
    let mut kept = 0;
    for scan in fixturegen::generate(&opts) {
        let scan = scan.unwrap();
        if scan.expected.pages != 1 {
            continue;
        }
        fs::write(dir.join(&scan.expected.file), &scan.bytes).unwrap();
        // Staff's sidecar files the scan at once; this bench measures OCR afterwards, not
        // classification (an image-only scan without one goes to review).
        let e = &scan.expected;
        fs::write(
            dir.join(format!("{}.toml", e.file)),
            format!(
                "kind = \"{}\"\ngroup = \"{}\"\ndate = \"{}\"\n",
                e.kind, e.group, e.date
            ),
        )
        .unwrap();
        kept += 1;
        if kept == n {
            break;
        }
    }
    assert_eq!(kept, n, "not enough one-page scans generated");
    fs::write(dir.join("done"), "").unwrap();
    dir
}

fn copy_dir(src: &Path, dest: &Path) {
    let _ = fs::remove_dir_all(dest);
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(src)
        .arg(dest)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a {} {}", src.display(), dest.display());
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = env_usize("BENCH_DOCS", 20);
    let rounds = env_usize("BENCH_ROUNDS", 2);
    let scans = one_page_scans(n);
    let work = data_dir().join("ocr-pending-run");
    let base = work.join("base");
    let _ = fs::remove_dir_all(&work);
    let (arch, _) = Archivist::init(&base, None).unwrap();
    fs::write(base.join("archivist.toml"), "[ocr]\nenabled = false\n").unwrap();
    drop(arch);
    let arch = Archivist::open(&base, None).unwrap();
    let inputs: Vec<PathBuf> = fs::read_dir(&scans)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    let report = arch
        .ingest(&inputs, false, &Actor::system(), &mut |_| {})
        .unwrap();
    assert_eq!(report.summary.archived, n, "{:?}", report.summary);
    drop(arch);

    let cores = std::thread::available_parallelism()
        .map(|c| c.get())
        .unwrap_or(1);
    let mut times: Vec<(String, Vec<f64>)> = vec![
        (
            "1 worker (as before: one document at a time)".into(),
            Vec::new(),
        ),
        (
            format!("default: one worker per core ({cores})"),
            Vec::new(),
        ),
    ];
    for round in 0..rounds {
        for (i, jobs) in [1, 0].into_iter().enumerate() {
            let root = work.join(format!("run-{round}-{jobs}"));
            copy_dir(&base, &root);
            fs::write(
                root.join("archivist.toml"),
                format!("[ocr]\nenabled = true\njobs = {jobs}\n"),
            )
            .unwrap();
            let arch = Archivist::open(&root, None).unwrap();
            let t = Instant::now();
            let r = arch
                .ocr(&OcrTarget::Pending, &Actor::system(), &mut |_, _| {})
                .unwrap();
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(r.documents, n);
            eprintln!("round {}: jobs = {jobs}: {secs:.1} s", round + 1);
            times[i].1.push(secs);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let before = median(&mut times[0].1.clone());
    let after = median(&mut times[1].1.clone());
    println!(
        "\nOCR catch-up benchmark: {n} one-page image-only scans, `ocr --pending` in-process, {rounds} round(s), medians"
    );
    for (name, v) in &mut times {
        let m = median(v);
        println!(
            "{name:<48} {m:>7.1} s {:>7.1} pages/min",
            n as f64 / m * 60.0
        );
    }
    println!(
        "speed-up: {:.2}× (target ≥ 1.6× on 2 cores)",
        before / after
    );
    let _ = fs::remove_dir_all(&work);
}
