//! OCR and image scans (issue 6): JPEG/PNG/TIFF from the scanner are archived as PDF
//! with their original bytes; image-only scans become searchable after OCR.

mod common;

use std::fs;
use std::time::Duration;

use archivist::store::receipts::Outcome;
use common::*;

fn tesseract() -> bool {
    archivist::formats::ocr::check_tesseract(&archivist::formats::ocr::OcrConfig::default())
        .map_err(|why| {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("Tesseract is required on CI: {why}");
            }
            eprintln!("SKIPPED: {why}");
        })
        .is_ok()
}

#[test]
fn images_from_the_scanner_are_archived_as_pdf_with_their_original_bytes() {
    let Some(corpus) = corpus() else {
        return;
    };
    let t = TestArchive::with_config(&format!("{FAST_CONFIG}[ocr]\nenabled = false\n"));
    let mut w = t.spawn_watch();
    let names = [
        "image__dedoc__scan_orient_1.jpg",
        "image__dedoc__orient_4.png",
        "image__paperless__patch-code-t-middle.tiff",
        "image__tesseract__8071_093.3B.tif",
        "image__dedoc__example.bmp",
    ];
    for n in names {
        let dest = copy_into(&corpus.join(n), &t.inbox());
        fs::write(
            format!("{}.toml", dest.display()),
            "kind = \"other\"\ndate = 2024-05-01\n",
        )
        .unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(120), || t.receipts().len()
            >= names.len()
            && t.inbox_files().is_empty()),
        "{}",
        t.watch_log()
    );
    assert_eq!(interrupt(&mut w), Some(0));
    let a = t.archive();
    for r in t.receipts() {
        if r.path.ends_with(".bmp") {
            assert_eq!(r.outcome, Outcome::Refused);
            assert!(r.reason.contains("BMP"), "{}", r.reason);
            continue;
        }
        assert_eq!(r.outcome, Outcome::Archived, "{r:?}");
        let loc = a.catalogue().unwrap().get(r.id.as_ref().unwrap()).unwrap();
        assert!(loc.file.ends_with(".pdf"));
        let meta = a.read_meta(&loc).unwrap();
        let orig = meta
            .original
            .as_ref()
            .expect("the original image is recorded");
        assert_eq!(
            orig.sha256,
            sha256(&corpus.join(&r.path)),
            "the sidecar keeps the original's SHA-256"
        );
        assert_eq!(orig.name, r.path);
        let pdf = fs::read(a.root.join(&loc.box_rel).join(&loc.file)).unwrap();
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let expected_pages = if r.path.contains("patch-code") { 3 } else { 1 };
        assert_eq!(doc.get_pages().len(), expected_pages, "{}", r.path);
        if r.path.ends_with(".jpg") {
            // The JPEG is embedded byte for byte, its EXIF orientation as the page's /Rotate.
            let src = fs::read(corpus.join(&r.path)).unwrap();
            let found = doc
                .objects
                .values()
                .any(|o| o.as_stream().map(|s| s.content == src).unwrap_or(false));
            assert!(found, "embedded JPEG is byte-identical");
            let page = doc
                .get_object(*doc.get_pages().get(&1).unwrap())
                .unwrap()
                .as_dict()
                .unwrap();
            assert_eq!(page.get(b"Rotate").and_then(|x| x.as_i64()).ok(), Some(90));
            assert_eq!(orig.embedding, vec!["dct"]);
        }
        if r.path.ends_with(".tif") {
            assert_eq!(
                orig.embedding,
                vec!["ccitt"],
                "CCITT G4 data passed through"
            );
        }
        assert_eq!(
            meta.ocr.as_ref().map(|o| o.state.as_str()),
            Some("pending"),
            "image-only: OCR pending"
        );
    }
    // The web dashboard counts them from the index.
    let archived = t
        .receipts()
        .iter()
        .filter(|r| r.outcome == Outcome::Archived)
        .count();
    let dash = archivist::api::Archivist::open(&t.root, None)
        .unwrap()
        .dashboard(chrono::Local::now().date_naive())
        .unwrap();
    assert_eq!(dash.ocr_pending, archived);
    assert_bags_valid(&a);
}

#[test]
fn image_only_scans_become_searchable_by_their_learners_after_ocr() {
    if !tesseract() {
        return;
    }
    let t = TestArchive::new();
    let gen_dir = t.tmp.path().join("gen");
    let opts = fixturegen::GenOptions {
        seed: 5,
        count: 6,
        image_only: true,
        ..Default::default()
    };
    let expected = fixturegen::write_set(&gen_dir, &opts).unwrap();
    // Staff name what each scan is (nothing can be read from an image-only scan before OCR).
    for e in &expected {
        let f = gen_dir.join(&e.file);
        fs::write(
            format!("{}.toml", f.display()),
            format!(
                "kind = \"{}\"\ndate = {}\ngroup = \"{}\"\n",
                e.kind, e.date, e.group
            ),
        )
        .unwrap();
    }
    // The corpus: a real image-only Russian scan, and a broken (mojibake) text layer.
    let real = corpus();
    let corpus = t.tmp.path().join("corpus");
    fs::create_dir_all(&corpus).unwrap();
    for n in [
        "cyrillic__dedoc__tz_scan_1page.pdf",
        "cyrillic__dedoc__fstek17.pdf",
    ] {
        let Some(real) = &real else { break };
        let f = copy_into(&real.join(n), &corpus);
        fs::write(
            format!("{}.toml", f.display()),
            "kind = \"other\"\ndate = 2020-01-10\n",
        )
        .unwrap();
    }
    assert!(
        t.cmd(&["ingest", gen_dir.to_str().unwrap()])
            .status
            .code()
            .unwrap()
            <= 1
    );
    assert!(
        t.cmd(&["ingest", corpus.to_str().unwrap()])
            .status
            .success()
    );
    let (code, v) = t.json(&["ocr", "--pending"]);
    assert_eq!(code, 0, "{v}");

    let (mut found, mut total) = (0, 0);
    for e in &expected {
        let id = sha256(&gen_dir.join(&e.file));
        for l in &e.learners {
            total += 1;
            let surname = l.split(' ').next().unwrap();
            let (_, v) = t.json(&["search", surname, "--limit", "100"]);
            if v["hits"]
                .as_array()
                .map(|h| h.iter().any(|x| x["id"] == id.as_str()))
                .unwrap_or(false)
            {
                found += 1;
            } else {
                eprintln!("not found: {l} in {}", e.file);
            }
        }
    }
    let share = found as f64 / total as f64;
    eprintln!(
        "learner names found after OCR: {found}/{total} ({:.1}%)",
        share * 100.0
    );
    assert!(share >= 0.95, "found {found}/{total}");

    if real.is_none() {
        return;
    }
    let (_, v) = t.json(&["search", "техническое задание", "--limit", "5"]);
    assert!(
        v["hits"].as_array().is_some_and(|h| !h.is_empty()),
        "the image-only scan is searchable by its words: {v}"
    );
    let (_, v) = t.json(&["search", "приказом", "--limit", "5"]);
    assert!(
        v["hits"].as_array().is_some_and(|h| !h.is_empty()),
        "the garbage layer was replaced by OCR text: {v}"
    );
}
