//! Every file of the shared real-world corpus through `ingest` (issue 5): none crashes or
//! hangs the process; each ends archived or refused with a specific reason, as the
//! `expected` column of MANIFEST.tsv says. Each file gets a sidecar naming its kind and
//! date (none of them is a training-centre record, so without one they would rightly go
//! to review).

mod common;

use std::collections::HashMap;
use std::fs;

use archivist::store::receipts::Outcome;
use common::*;

#[test]
fn every_corpus_file_is_archived_or_refused_as_the_manifest_expects() {
    let Some(corpus) = corpus() else {
        return;
    };
    let t = TestArchive::with_config(&format!("{FAST_CONFIG}[ocr]\nenabled = false\n"));
    let src = t.tmp.path().join("corpus");
    fs::create_dir_all(&src).unwrap();
    let text = fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (fi, ei) = (col("file"), col("expected"));
    let mut expected = HashMap::new();
    for l in lines {
        let c: Vec<&str> = l.split('\t').collect();
        let f = copy_into(&corpus.join(c[fi]), &src);
        fs::write(
            format!("{}.toml", f.display()),
            "kind = \"other\"\ndate = 2021-09-01\n",
        )
        .unwrap();
        expected.insert(c[fi].to_string(), c[ei].to_string());
    }
    let (code, v) = t.json(&["ingest", src.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "ingest itself must not fail: {v}");
    let receipts: Vec<archivist::store::receipts::Receipt> =
        serde_json::from_value(v["receipts"].clone()).unwrap();
    assert_eq!(receipts.len(), expected.len(), "one receipt per file");
    let mut table = Vec::new();
    for r in &receipts {
        let name = std::path::Path::new(&r.path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let want = &expected[&name];
        table.push(format!(
            "{:<62} {:<9} {}",
            name,
            r.outcome.as_str(),
            r.reason
        ));
        assert!(!r.reason.is_empty(), "{name}: a reason is recorded");
        let either = want.contains(" or ") || want.contains("(or ") || want.contains("otherwise");
        if want.starts_with("reject") && !either {
            assert_eq!(
                r.outcome,
                Outcome::Refused,
                "{name}: expected {want:?}, got {r:?}"
            );
        } else if want.starts_with("ingest") && !either {
            // Deliberate deviation: none. Image files are ingested as PDFs made from them.
            assert_eq!(
                r.outcome,
                Outcome::Archived,
                "{name}: expected {want:?}, got {r:?}"
            );
        } else {
            assert!(
                matches!(r.outcome, Outcome::Archived | Outcome::Refused),
                "{name}: expected {want:?}, got {r:?}"
            );
        }
        if r.outcome == Outcome::Refused {
            assert!(
                r.reason.len() > 10 && !r.reason.contains("unknown"),
                "{name}: the reason is specific: {}",
                r.reason
            );
        }
    }
    eprintln!("{}", table.join("\n"));
    // The archive stays consistent after all of it.
    assert!(t.cmd(&["verify"]).status.success());
    assert!(t.cmd(&["audit", "verify"]).status.success());
}
