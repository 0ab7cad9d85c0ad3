//! OCR before classification (issue 11): scans with no text layer and no sidecar are
//! read by OCR first, then filed from their text, or sent to review with it; a kill -9
//! while they are read loses nothing and reads nothing twice.

mod common;

use std::collections::HashMap;
use std::fs;
use std::time::Duration;

use archivist::store::receipts::Outcome;
use common::*;

/// Real Tesseract with Russian data; skipped with a message off CI, required on CI.
fn tesseract() -> bool {
    let cfg = archivist::formats::ocr::OcrConfig {
        languages: "rus".into(),
        ..Default::default()
    };
    archivist::formats::ocr::check_tesseract(&cfg)
        .map_err(|why| {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("Tesseract with its rus data is required on CI: {why}");
            }
            eprintln!("SKIPPED: {why}");
        })
        .is_ok()
}

/// The first page's JPEG of a generated image-only PDF: a photo of the page as a phone or
/// a scanner saving JPEG would deliver it.
fn first_page_jpeg(pdf: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    doc.objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .find(|s| s.content.starts_with(&[0xFF, 0xD8, 0xFF]))
        .map(|s| s.content.clone())
        .expect("a JPEG page image")
}

/// Lines "OCR before filing done: … (<sha>)" per scan in a log.
fn ocr_runs(log: &str) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for l in log
        .lines()
        .filter(|l| l.contains("OCR before filing done:"))
    {
        let sha = l
            .split('(')
            .filter_map(|t| t.get(..64))
            .find(|t| t.bytes().all(|b| b.is_ascii_hexdigit()));
        if let Some(sha) = sha {
            *n.entry(sha.to_string()).or_default() += 1;
        }
    }
    n
}

#[test]
fn image_only_orders_protocols_and_journals_without_sidecars_are_filed_after_ocr() {
    if !tesseract() {
        return;
    }
    let t = TestArchive::new();
    let gen_dir = t.tmp.path().join("gen");
    let all = fixturegen::write_set(
        &gen_dir,
        &fixturegen::GenOptions {
            seed: 5,
            count: 5,
            image_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    let wanted = ["order-organisation", "protocol", "journal"];
    let expected: Vec<_> = all
        .into_iter()
        .filter(|e| wanted.contains(&e.kind.as_str()))
        .collect();
    assert_eq!(expected.len(), 3, "{expected:?}");
    let mut w = t.spawn_watch();
    let mut by_id = HashMap::new();
    for e in &expected {
        let dest = copy_into(&gen_dir.join(&e.file), &t.inbox());
        by_id.insert(sha256(&dest), e.clone());
    }
    // The order once more as a JPEG photo of its page (archived as a PDF made from it).
    let order = &expected[0];
    assert_eq!(order.kind, "order-organisation");
    let jpeg = first_page_jpeg(&fs::read(gen_dir.join(&order.file)).unwrap());
    fs::write(t.inbox().join("photo.jpg"), jpeg).unwrap();
    let n = expected.len() + 1;
    assert!(
        wait_until(Duration::from_secs(240), || t.receipts().len() >= n
            && t.inbox_files().is_empty()),
        "{}",
        t.watch_log()
    );
    assert_eq!(interrupt(&mut w), Some(0));
    let a = t.archive();
    let catalogue = a.catalogue().unwrap();
    for r in t.receipts() {
        assert_eq!(r.outcome, Outcome::Archived, "{r:?}\n{}", t.watch_log());
        assert!(r.reason.contains("classified from its OCR text"), "{r:?}");
        let id = r.id.clone().unwrap();
        let e = match by_id.get(&id) {
            Some(e) => e,
            None => {
                assert_eq!(r.path, "photo.jpg");
                order
            }
        };
        let meta = a.read_meta(&catalogue.get(&id).unwrap()).unwrap();
        assert_eq!(
            (meta.kind.as_str(), meta.year, meta.group.as_deref()),
            (e.kind.as_str(), e.year, Some(e.group.as_str())),
            "{}",
            r.path
        );
        assert_eq!(
            meta.box_path,
            format!("boxes/{}/{}", e.year, e.group),
            "{}",
            r.path
        );
        assert_eq!(meta.provenance["kind"], "ocr", "{}", r.path);
        assert!(
            meta.provenance_detail
                .get("kind")
                .is_some_and(|w| w.starts_with('«')),
            "the words that decided: {:?}",
            meta.provenance_detail
        );
        let ocr = meta.ocr.as_ref().unwrap();
        assert_eq!(
            ocr.state.as_str(),
            "done",
            "{}: no OCR after filing",
            r.path
        );
        // Words on the page are found.
        let surname = e.learners[0].split(' ').next().unwrap();
        let (_, v) = t.json(&["search", surname, "--limit", "50"]);
        assert!(
            v["hits"]
                .as_array()
                .is_some_and(|h| h.iter().any(|x| x["id"] == id.as_str())),
            "{surname} finds {}: {v}",
            r.path
        );
    }
    let (_, v) = t.json(&["ocr", "--pending"]);
    assert_eq!(v["documents"], 0, "nothing left for OCR after filing: {v}");
    assert!(
        !t.root.join("journal/ocr-cache").is_dir()
            || fs::read_dir(t.root.join("journal/ocr-cache"))
                .unwrap()
                .next()
                .is_none(),
        "cache entries go once the documents are archived"
    );
    for cmd in [&["verify"][..], &["audit", "verify"], &["check"]] {
        let out = t.cmd(cmd);
        assert!(
            out.status.success(),
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_bags_valid(&a);
}

#[test]
fn real_image_only_scans_end_filed_or_in_review_with_their_ocr_text() {
    if !tesseract() {
        return;
    }
    let Some(corpus) = corpus() else {
        return;
    };
    let t = TestArchive::new();
    let src = t.tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    // Image-only per the manifest (no text layer), with words known to be on the page.
    let files = [
        ("cyrillic__dedoc__tz_scan_1page.pdf", "задание"),
        ("image__dedoc__platezhka.jpg", "поручение"),
        ("image__dedoc__scan_orient_1.jpg", "договор"),
    ];
    for (f, _) in files {
        copy_into(&corpus.join(f), &src);
    }
    // The one-shot path: OCR is waited for, then the scans are classified.
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert!(
        out.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let receipts = t.receipts();
    assert_eq!(
        receipts.len(),
        files.len(),
        "one receipt each: {receipts:?}"
    );
    let a = t.archive();
    for (f, word) in files {
        let r = receipts.iter().find(|r| r.path.ends_with(f)).unwrap();
        match r.outcome {
            Outcome::Archived => {
                let meta = a
                    .read_meta(&a.catalogue().unwrap().get(r.id.as_ref().unwrap()).unwrap())
                    .unwrap();
                assert_eq!(meta.ocr.unwrap().state.as_str(), "done");
            }
            Outcome::Review => {
                let dest = t.root.join(r.destination.as_ref().unwrap());
                let name = dest.file_name().unwrap().to_string_lossy().into_owned();
                let text = fs::read_to_string(dest.with_file_name(format!("{name}.ocr.txt")))
                    .unwrap_or_else(|e| panic!("{f}: no .ocr.txt ({e})"));
                assert!(
                    text.to_lowercase().contains(word),
                    "{f}: the OCR text kept has «{word}»: {text}"
                );
                let template =
                    fs::read_to_string(dest.with_file_name(format!("{name}.toml"))).unwrap();
                assert!(template.contains("kind = "), "{template}");
                assert!(
                    !r.reason.contains("OCR is not available"),
                    "{f}: {}",
                    r.reason
                );
            }
            other => panic!("{f}: {other:?} {r:?}"),
        }
    }
    // The review queue shows the text.
    let tz = a.review.join("cyrillic__dedoc__tz_scan_1page.pdf.toml");
    if tz.is_file() {
        let template = fs::read_to_string(tz).unwrap();
        assert!(
            template.contains("What the text suggests"),
            "candidates from the OCR text: {template}"
        );
    }
}

#[test]
fn kill_minus_nine_during_ocr_before_classification_loses_nothing_and_reads_nothing_twice() {
    if !tesseract() {
        return;
    }
    let t = TestArchive::new();
    let gen_dir = t.tmp.path().join("gen");
    let expected = fixturegen::write_set(
        &gen_dir,
        &fixturegen::GenOptions {
            seed: 11,
            count: 6,
            image_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    let ids: HashMap<String, String> = expected
        .iter()
        .map(|e| (sha256(&gen_dir.join(&e.file)), e.file.clone()))
        .collect();
    let mut w = t.spawn_watch();
    for e in &expected {
        copy_into(&gen_dir.join(&e.file), &t.inbox());
    }
    // Killed once the first scan is read and others are still being read.
    assert!(
        wait_until(Duration::from_secs(180), || !ocr_runs(&t.watch_log())
            .is_empty()),
        "{}",
        t.watch_log()
    );
    unsafe {
        libc::kill(w.id() as i32, libc::SIGKILL);
    }
    let _ = w.wait();
    let read_before = ocr_runs(&t.watch_log());
    assert!(
        read_before.len() < expected.len(),
        "killed while OCR still ran: {read_before:?}"
    );
    // Nothing left the inbox unfiled.
    let receipts = t.receipts();
    for e in &expected {
        let filed = receipts
            .iter()
            .any(|r| r.path == e.file && r.outcome != Outcome::Deferred);
        assert!(
            filed || t.inbox().join(&e.file).is_file(),
            "{} is neither filed nor in the inbox",
            e.file
        );
    }

    let mut w = t.spawn_watch();
    assert!(
        wait_until(Duration::from_secs(240), || t.inbox_files().is_empty()
            && t.receipts()
                .iter()
                .filter(|r| r.outcome != Outcome::Deferred)
                .count()
                >= expected.len()),
        "{}",
        t.watch_log()
    );
    assert_eq!(interrupt(&mut w), Some(0));

    // Each scan exactly once: in a box or in review.
    let a = t.archive();
    let catalogue = a.catalogue().unwrap();
    let review: Vec<_> = fs::read_dir(&a.review)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    for (id, file) in &ids {
        let filed = catalogue.contains_key(id) as usize;
        let in_review = review
            .iter()
            .filter(|p| p.is_file() && sha256(p) == *id)
            .count();
        assert_eq!(
            filed + in_review,
            1,
            "{file}: filed {filed}, in review {in_review}\n{}",
            t.watch_log()
        );
    }
    // A completed OCR is reused from the cache, never done again.
    let runs = ocr_runs(&t.watch_log());
    for (sha, n) in &runs {
        assert_eq!(*n, 1, "{sha} was read {n} times\n{}", t.watch_log());
    }
    for sha in read_before.keys() {
        assert_eq!(runs[sha], 1);
    }
    for cmd in [&["verify"][..], &["audit", "verify"], &["check"]] {
        let out = t.cmd(cmd);
        assert!(
            out.status.success(),
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_boxes_consistent(&t.root);
}
