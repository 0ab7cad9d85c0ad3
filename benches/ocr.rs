//! OCR benchmark (issue 6): pages per minute of archivist's OCR (`ocr::ocr_image`:
//! normalise, orientation, deskew, Tesseract) side by side with running the `tesseract`
//! command by hand on the same page images, both sequential with OMP_THREAD_LIMIT=1,
//! alternating page by page.
//!
//! Run: `cargo bench --bench ocr` (BENCH_PAGES=N, default 8; BENCH_ROUNDS=N, default 2).

mod common;

use std::process::Command;
use std::time::Instant;

use archivist::formats::ocr::{OcrConfig, check_tesseract, ocr_image, page_image};
use common::env_usize;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // ARCHIVIST_LOG=archivist=debug shows what each page cost (filter, turns, deskew).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("ARCHIVIST_LOG"))
        .with_writer(std::io::stderr)
        .try_init();
    let cfg = OcrConfig::default();
    if let Err(why) = check_tesseract(&cfg) {
        println!("OCR benchmark skipped: {why}");
        return;
    }
    let n: usize = env_usize("BENCH_PAGES", 8);
    let opts = fixturegen::GenOptions {
        seed: 11,
        count: n,
        image_only: true,
        ..Default::default()
    };
    let mut imgs = Vec::new();
    for scan in fixturegen::generate(&opts) {
        let scan = scan.expect("generate");
        for p in 1..=scan.expected.pages {
            if imgs.len() < n {
                imgs.push(page_image(&scan.bytes, p, &cfg).expect("page image"));
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for (i, img) in imgs.iter().enumerate() {
        let p = dir.path().join(format!("p{i}.png"));
        img.save(&p).expect("save page");
        paths.push(p);
    }
    // Each page is read by archivist and then by hand, in turn, so that a busy moment of
    // the machine weighs on both; the rounds' sums give the rates.
    let rounds: usize = env_usize("BENCH_ROUNDS", 2);
    let (mut ours, mut cli) = (0.0f64, 0.0f64);
    for _ in 0..rounds {
        for (i, (img, path)) in imgs.iter().zip(&paths).enumerate() {
            let t = Instant::now();
            let (_, conf, rot) = ocr_image(img, &cfg).expect("ocr");
            let a = t.elapsed().as_secs_f64();
            let t = Instant::now();
            Command::new("tesseract")
                .arg(path)
                .arg("stdout")
                .args(["-l", "rus+eng"])
                .env("OMP_THREAD_LIMIT", "1")
                .output()
                .expect("tesseract");
            let b = t.elapsed().as_secs_f64();
            tracing::debug!(
                "page {i}: archivist {a:.2} s (confidence {conf:.0}, turned {rot}°), by hand {b:.2} s"
            );
            ours += a;
            cli += b;
        }
    }
    let k = (imgs.len() * rounds) as f64;
    println!(
        "\nOCR benchmark: {} generated 300 dpi page images (one turned by 90°), {rounds} rounds",
        imgs.len()
    );
    println!(
        "archivist ocr_image: {:.1} pages/min ({ours:.1} s)",
        k * 60.0 / ours
    );
    println!(
        "tesseract by hand:   {:.1} pages/min ({cli:.1} s)",
        k * 60.0 / cli
    );
    println!("ratio: {:.0}% of the hand-run rate", 100.0 * cli / ours);
}
