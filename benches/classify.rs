//! Classification accuracy on the test set of `tests/classify/set.tsv`, OCR live (issue 11):
//! the generated image-only orders, protocols, journals… (`fixturegen --variations`) and
//! the real image-only and Russian files of `../shared/corpus`, each read as the pipeline
//! reads it (a usable text layer, otherwise Tesseract), then classified from the text
//! alone. Prints accuracy per field, how many would be filed and how many under a wrong
//! year, and whether the live OCR agrees with the text cached for the fast test.
//!
//! Run: `cargo bench --bench classify`. `BENCH_WRITE=1` rewrites the cached texts in
//! `tests/classify/text/` (after a Tesseract or OCR change). The corpus is outside the
//! repository: without it its rows are skipped with a message (CI=true requires it).

#[path = "../tests/classify/score.rs"]
mod score;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use archivist::formats::ocr::{OcrConfig, check_tesseract, ocr_pdf};
use archivist::formats::pdf::{PdfLimits, TextLayer, inspect};
use archivist::formats::scanimage::{ImageLimits, image_to_pdf, sniff};
use rayon::prelude::*;

fn corpus_dir() -> PathBuf {
    std::env::var("ARCHIVIST_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// The text of a PDF as the pipeline reads it: each page's layer where it is usable,
/// OCR for the others; pages joined by a form-feed line.
fn read_pdf(bytes: &[u8], cfg: &OcrConfig) -> Result<(String, u32), String> {
    let info = inspect(bytes, &PdfLimits::default()).map_err(|e| e.to_string())?;
    let mut pages: Vec<String> = info
        .page_text
        .iter()
        .map(|t| {
            if info.text_layer == TextLayer::Garbage {
                String::new()
            } else {
                t.clone()
            }
        })
        .collect();
    pages.resize(info.pages as usize, String::new());
    let missing: Vec<u32> = (1..=info.pages)
        .filter(|p| pages[*p as usize - 1].trim().is_empty())
        .collect();
    let ocred = missing.len() as u32;
    for r in ocr_pdf(bytes, &missing, cfg) {
        if let Some(e) = r.error {
            return Err(e);
        }
        pages[r.page as usize - 1] = r.text;
    }
    Ok((pages.join("\n\u{c}\n"), ocred))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let cfg = OcrConfig::default();
    if let Err(why) = check_tesseract(&cfg) {
        assert!(!ci, "Tesseract is required on CI: {why}");
        println!("classification benchmark skipped: {why}");
        return;
    }
    let items = score::load(&score::set_dir());
    let t0 = Instant::now();
    let generated: Vec<fixturegen::GeneratedScan> =
        fixturegen::generate(&score::generated_options())
            .collect::<Result<_, _>>()
            .expect("generate the image-only scans");
    eprintln!(
        "generated {} image-only scans in {:.1} s",
        generated.len(),
        t0.elapsed().as_secs_f64()
    );
    let corpus = corpus_dir();
    let have_corpus = corpus.join("MANIFEST.tsv").is_file();
    if !have_corpus {
        assert!(
            !ci,
            "the corpus is required on CI: {} is missing",
            corpus.display()
        );
        println!(
            "SKIPPED the real files: no corpus at {} (set ARCHIVIST_CORPUS)",
            corpus.display()
        );
    }

    // Two documents at a time; each OCRs up to two pages at a time.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("thread pool");
    let pages_ocred = Mutex::new(0u32);
    let t_ocr = Instant::now();
    let texts: Vec<Option<String>> = pool.install(|| {
        items
            .par_iter()
            .map(|item| {
                let bytes = if item.source == "generated" {
                    let scan = generated
                        .iter()
                        .find(|s| s.expected.file == item.file)
                        .unwrap_or_else(|| panic!("{}: no generated {}", item.id, item.file));
                    scan.bytes.clone()
                } else if have_corpus {
                    std::fs::read(corpus.join(&item.file))
                        .unwrap_or_else(|e| panic!("{}: {e}", item.file))
                } else {
                    return None;
                };
                let pdf = match sniff(&bytes) {
                    Some(_) => {
                        image_to_pdf(&bytes, &ImageLimits::default())
                            .unwrap_or_else(|e| panic!("{}: {e}", item.file))
                            .pdf
                    }
                    None => bytes,
                };
                let (text, n) =
                    read_pdf(&pdf, &cfg).unwrap_or_else(|e| panic!("{}: {e}", item.file));
                if let Ok(mut p) = pages_ocred.lock() {
                    *p += n;
                }
                eprintln!("  {} read ({n} page(s) OCRed)", item.id);
                Some(text)
            })
            .collect()
    });
    let ocr_secs = t_ocr.elapsed().as_secs_f64();
    let pages_ocred = pages_ocred.into_inner().unwrap_or(0);

    let classifier = score::classifier();
    let write = std::env::var("BENCH_WRITE").is_ok_and(|v| v == "1");
    let (mut kept, mut results, mut differ) = (Vec::new(), Vec::new(), Vec::new());
    let t_cl = Instant::now();
    for (item, text) in items.iter().zip(&texts) {
        let Some(text) = text else { continue };
        let path = score::text_path(&item.id);
        if write {
            std::fs::create_dir_all(path.parent().expect("text folder")).expect("text folder");
            std::fs::write(&path, text).expect("write cached text");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            differ.push(item.id.clone());
        }
        results.push(score::classify(&classifier, text));
        kept.push(item.clone());
    }
    let cl_ms = t_cl.elapsed().as_secs_f64() * 1000.0;
    let (gen_s, real, all) = score::report(&kept, &results);

    println!(
        "\nClassification benchmark: {} pages of {} documents, {pages_ocred} page(s) OCRed live in {ocr_secs:.0} s; classified in {cl_ms:.0} ms",
        texts
            .iter()
            .flatten()
            .map(|t| t.matches('\u{c}').count() + 1)
            .sum::<usize>(),
        kept.len()
    );
    println!("generated (OCR) {gen_s}");
    println!("real (corpus)   {real}");
    println!("all             {all}");
    for m in &all.misses {
        println!("  miss {m}");
    }
    if write {
        println!(
            "cached texts rewritten in {}",
            score::set_dir().join("text").display()
        );
    } else if !differ.is_empty() {
        println!(
            "live OCR differs from the cached text for {} of {}: {} (BENCH_WRITE=1 refreshes the cache)",
            differ.len(),
            kept.len(),
            differ.join(", ")
        );
    } else {
        println!("live OCR equals the cached text for all {}", kept.len());
    }
}
