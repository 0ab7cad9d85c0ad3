//! Classification floors on the test set of `tests/classify/set.tsv` (issue 11): generated
//! image-only documents and real scans, read through real Tesseract once and cached in
//! `tests/classify/text/` so this test needs no Tesseract (`cargo bench --bench classify`
//! runs the OCR live and refreshes the cache with BENCH_WRITE=1).

#[path = "classify/score.rs"]
mod score;

use std::collections::BTreeSet;

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
