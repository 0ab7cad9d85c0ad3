//! Classification floors on the test set of `tests/classify/set.tsv` (issue 11): generated
//! image-only documents and real scans, read through real Tesseract once and cached in
//! `tests/classify/text/` so this test needs no Tesseract (`cargo bench --bench classify`
//! runs the OCR live and refreshes the cache with BENCH_WRITE=1).

mod common;
#[path = "classify/score.rs"]
mod score;

use std::collections::BTreeSet;

use common::*;

fn read_set() -> (Vec<score::Item>, Vec<String>) {
    let items = score::load(&score::set_dir());
    let texts = items
        .iter()
        .map(|i| {
            let p = score::text_path(&i.id);
            std::fs::read_to_string(&p).unwrap_or_else(|e| {
                panic!(
                    "{}: cached text {} missing ({e}); run BENCH_WRITE=1 cargo bench --bench classify",
                    i.id,
                    p.display()
                )
            })
        })
        .collect();
    (items, texts)
}

#[test]
fn the_set_has_forty_pages_or_more_generated_and_real() {
    let (items, texts) = read_set();
    let pages: usize = texts.iter().map(|t| t.matches('\u{c}').count() + 1).sum();
    assert!(pages >= 40, "{pages} pages");
    let ids: BTreeSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), items.len(), "ids are unique");
    assert!(items.iter().filter(|i| i.source == "corpus").count() >= 10);
    let kinds: BTreeSet<&str> = items.iter().filter_map(|i| i.kind.as_deref()).collect();
    for k in [
        "order-organisation",
        "order-completion",
        "protocol",
        "journal",
    ] {
        assert!(kinds.contains(k), "no {k} in the set");
    }
}

#[test]
fn generated_rows_are_what_the_generator_makes() {
    // The text-only mode composes the same documents without rendering them.
    let opts = fixturegen::GenOptions {
        text_only: true,
        ..score::generated_options()
    };
    let expected: Vec<fixturegen::Expected> = fixturegen::generate(&opts)
        .map(|s| s.map(|s| s.expected))
        .collect::<Result<_, _>>()
        .unwrap();
    let items = score::load(&score::set_dir());
    let generated: Vec<&score::Item> = items.iter().filter(|i| i.source == "generated").collect();
    assert_eq!(generated.len(), expected.len());
    for (i, e) in generated.iter().zip(&expected) {
        assert_eq!(i.file, e.file);
        assert_eq!(i.kind.as_deref(), Some(e.kind.as_str()), "{}", i.id);
        assert_eq!(i.date, Some(e.date), "{}", i.id);
        assert_eq!(i.number, e.number, "{}", i.id);
    }
}

#[test]
fn kinds_and_dates_are_right_and_no_year_is_wrong_on_ocr_text() {
    let (items, texts) = read_set();
    let c = score::classifier();
    let results: Vec<_> = texts.iter().map(|t| score::classify(&c, t)).collect();
    let (gen_s, real, all) = score::report(&items, &results);
    println!("generated (OCR) {gen_s}\nreal (corpus)   {real}\nall             {all}");
    for m in &all.misses {
        println!("  miss {m}");
    }
    assert_eq!(all.wrong_year, 0, "a document filed under a wrong year");
    assert_eq!(all.wrong_kind, 0, "a document filed under a wrong kind");
    assert!(score::Score::pct(all.kind, all.n) >= 95.0, "kinds: {all}");
    assert!(score::Score::pct(all.date, all.n) >= 95.0, "dates: {all}");
    assert!(
        score::Score::pct(all.number, all.n) >= 90.0,
        "numbers: {all}"
    );
}

#[test]
fn decisions_carry_the_words_that_decided_and_every_candidate() {
    let (items, texts) = read_set();
    let c = score::classifier();
    let (i, text) = items
        .iter()
        .zip(&texts)
        .find(|(i, _)| i.id == "real-fstec-order-text")
        .expect("the real order is in the set");
    let r = score::classify(&c, text);
    // A real order (text layer) whose subject is none of ours: no kind, but its own date,
    // and the laws it cites are candidates marked as cited.
    assert_eq!(r.kind, None);
    assert_eq!(r.date, i.date);
    assert_eq!(r.provenance.get("date").map(String::as_str), Some("text"));
    let why = &r.provenance_detail["date"];
    assert!(
        why.contains("февраля 2013") && why.contains("near the heading"),
        "{why}"
    );
    assert!(
        r.candidates
            .kinds
            .iter()
            .any(|k| k.kind.is_none() && k.words.contains("ПРИКАЗ")),
        "{:?}",
        r.candidates.kinds
    );
    let cited: Vec<_> = r
        .candidates
        .dates
        .iter()
        .filter(|d| d.role == archivist::ingest::classify::DateRole::Cited)
        .collect();
    assert!(
        cited.iter().any(|d| d.date.to_string() == "2006-07-27"),
        "{cited:?}"
    );
    let comment = r.candidates.template_comment();
    assert!(
        comment.contains("cited") && comment.contains("2006-07-27"),
        "{comment}"
    );
}

/// The real corpus, or None with a message (CI=true requires it).
fn corpus() -> Option<std::path::PathBuf> {
    let dir = corpus_dir();
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "the corpus is required on CI: {} is missing",
        dir.display()
    );
    eprintln!(
        "SKIPPED: no corpus at {} (set ARCHIVIST_CORPUS)",
        dir.display()
    );
    None
}

#[test]
fn a_filed_order_keeps_the_words_that_decided_and_a_foreign_order_waits_with_its_candidates() {
    let t = TestArchive::new();
    let src = t.tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    // A generated enrolment order (text layer) written one of the varied ways.
    let order = fixturegen::generate(&fixturegen::GenOptions {
        seed: 5,
        count: 1,
        variations: true,
        ..Default::default()
    })
    .next()
    .unwrap()
    .unwrap();
    assert_eq!(order.expected.kind, "order-organisation");
    let order_path = src.join("order.pdf");
    std::fs::write(&order_path, &order.bytes).unwrap();
    let real = corpus().map(|c| copy_into(&c.join("cyrillic__dedoc__fstec_1_cut.pdf"), &src));

    let (code, v) = t.json(&["ingest", src.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{v}");
    let (_, v) = t.json(&["show", &sha256(&order_path)[..12]]);
    let m = &v["metadata"];
    assert_eq!(m["kind"], "order-organisation", "{v}");
    assert_eq!(m["date"], order.expected.date.to_string(), "{v}");
    assert_eq!(m["provenance"]["date"], "text", "{v}");
    let kind_words = m["provenance_detail"]["kind"].as_str().unwrap_or_default();
    assert!(kind_words.contains("зачислении"), "{v}");
    let date_words = m["provenance_detail"]["date"].as_str().unwrap_or_default();
    assert!(date_words.contains("near the heading"), "{v}");

    // A real order that is none of our kinds goes to review; its template lists what the
    // text offered: its own date by the heading and the laws' dates it cites.
    if real.is_some() {
        let template = walkdir::WalkDir::new(t.root.join("review"))
            .into_iter()
            .flatten()
            .map(|e| e.into_path())
            .find(|p| p.to_string_lossy().ends_with(".pdf.toml"))
            .expect("a review template");
        let text = std::fs::read_to_string(&template).unwrap();
        assert!(text.contains("2013-02-11  next to the heading"), "{text}");
        assert!(text.contains("2006-07-27  cited"), "{text}");
        assert!(text.contains("ПРИКАЗ"), "{text}");
        // The template still parses as a sidecar once a person fills in the kind.
        let filled = text.replace("kind = \"\"            # REQUIRED", "kind = \"other\"");
        archivist::store::document::DropSidecar::parse(&filled).unwrap();
    }
}
