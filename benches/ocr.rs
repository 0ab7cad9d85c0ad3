//! OCR benchmark (issue 6): pages per minute of archivist's OCR (`ocr::ocr_image`:
//! normalise, orientation, deskew, Tesseract) side by side with running the `tesseract`
//! command by hand on the same page images, both sequential with OMP_THREAD_LIMIT=1.
//!
//! Run: `cargo bench --bench ocr` (BENCH_PAGES=N, default 8).

use std::process::Command;
use std::time::Instant;

use archivist::ocr::{OcrConfig, check_tesseract, ocr_image, page_image};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let cfg = OcrConfig::default();
    if let Err(why) = check_tesseract(&cfg) {
        println!("OCR benchmark skipped: {why}");
        return;
    }
    let n: usize = std::env::var("BENCH_PAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let opts = archivist::fixturegen::GenOptions {
        seed: 11,
        count: n,
        image_only: true,
        ..Default::default()
    };
    let mut imgs = Vec::new();
    for scan in archivist::fixturegen::generate(&opts) {
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
    let t = Instant::now();
    for img in &imgs {
        ocr_image(img, &cfg).expect("ocr");
    }
    let ours = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for p in &paths {
        Command::new("tesseract")
            .arg(p)
            .arg("stdout")
            .args(["-l", "rus+eng"])
            .env("OMP_THREAD_LIMIT", "1")
            .output()
            .expect("tesseract");
    }
    let cli = t.elapsed().as_secs_f64();
    let k = imgs.len() as f64;
    println!(
        "\nOCR benchmark: {} generated 300 dpi page images (one turned by 90°)",
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
