//! Search (issue 3): learners are found in any declined form, with initials, е for ё and
//! one OCR error; namesakes are kept apart; filters are exact; the index is derived.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::time::Duration;

use archivist::search::{IndexSink, Sink};
use archivist::store::document::DocumentMeta;
use common::*;
use serde_json::Value;

fn ingested() -> TestArchive {
    let t = TestArchive::new();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

fn hits(t: &TestArchive, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["search"];
    a.extend_from_slice(args);
    let (code, v) = t.json(&a);
    assert!(code == 0 || code == 5, "search {args:?} exit {code}: {v}");
    v["hits"].as_array().cloned().unwrap_or_default()
}

fn ids(h: &[Value]) -> BTreeSet<String> {
    h.iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

/// Ids of the fixture documents that name the learner (by nominative full name).
fn expected_ids(learner: &str) -> BTreeSet<String> {
    fixture_expected()
        .iter()
        .filter(|e| e.learners.iter().any(|l| l == learner))
        .map(|e| sha256(&fixtures_dir().join(&e.file)))
        .collect()
}

#[test]
fn a_learner_is_found_in_every_form_and_namesakes_stay_apart() {
    let t = ingested();
    let ivan = expected_ids("Иванов Иван Петрович");
    let alexei = expected_ids("Иванов Алексей Сергеевич");
    assert!(
        ivan.len() >= 4 && !alexei.is_empty(),
        "fixtures cover both namesakes"
    );

    // Declined forms and initials, as an archivist would type them.
    for q in [
        "Иванов И. П.",
        "Иванову И. П.",
        "Иванова Ивана Петровича",
        "И. П. Иванов",
        "Иванов И.П.",
        "Иванов Иван Петрович",
    ] {
        assert_eq!(ids(&hits(&t, &[q, "--limit", "50"])), ivan, "query {q}");
    }
    // The bare surname finds every Иванов/Иванова document.
    let all = ids(&hits(&t, &["Иванов", "--limit", "50"]));
    assert!(all.is_superset(&ivan) && all.is_superset(&alexei));

    // е for ё.
    let korolev = expected_ids("Королёв Артём Викторович");
    assert!(!korolev.is_empty());
    assert_eq!(ids(&hits(&t, &["Королев А. В.", "--limit", "50"])), korolev);
    assert_eq!(
        ids(&hits(&t, &["Семенова", "--limit", "50"])),
        expected_ids("Семёнова Алёна Фёдоровна")
    );

    // One OCR error (н→и) still finds the person, ranked lower; a Latin look-alike is
    // read as the Cyrillic letter it stands for.
    let exact = hits(&t, &["Иванов И. П."]);
    let fuzzy = hits(&t, &["Иваиов И. П.", "--limit", "50"]);
    assert_eq!(ids(&fuzzy), ivan);
    assert!(
        fuzzy[0]["score"].as_f64().unwrap() < exact[0]["score"].as_f64().unwrap(),
        "an approximate match scores below an exact one"
    );
    assert_eq!(ids(&hits(&t, &["Ивaнов И. П.", "--limit", "50"])), ivan);

    // The dossier of Иванов И. П. holds his documents and not his namesake's.
    let (code, v) = t.json(&["learner", "Иванову И. П."]);
    assert_eq!(code, 0, "{v}");
    let people = v["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{v}");
    assert_eq!(people[0]["name"], "Иванов И. П.");
    let docs: BTreeSet<String> = people[0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(docs, ivan);
    assert!(docs.is_disjoint(&alexei));
    // In date order, enrolment first.
    let kinds: Vec<&str> = people[0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"order-organisation"), "{kinds:?}");

    // The surname alone lists the namesakes apart.
    let (_, v) = t.json(&["learner", "Иванов"]);
    let names: Vec<&str> = v["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Иванов И. П.") && names.contains(&"Иванов А. С."),
        "{names:?}"
    );

    // Markdown dossier for the record.
    let out = t.cmd(&["learner", "Иванов И. П.", "--format", "md"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("# Индивидуальный учёт результатов: Иванов И. П.") && md.contains("| Дата |"),
        "{md}"
    );
}

#[test]
fn an_ocr_error_in_the_document_is_tolerated_in_the_dossier() {
    let t = ingested();
    // A scan whose text layer misspells the surname (н→и), described by its sidecar.
    let src = t.tmp.path().join("ocr");
    fs::create_dir_all(&src).unwrap();
    unclassifiable_pdf(&src, "misread.pdf");
    fs::write(src.join("misread.pdf.toml"), "kind = \"other\"\ndate = 2023-04-01\ngroup = \"ПК-2023-014\"\nlearners = [\"Иваиов Иван Петрович\"]\n").unwrap();
    let out = t.cmd(&["ingest", src.join("misread.pdf").to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, v) = t.json(&["learner", "Иванов И. П."]);
    let people = v["people"].as_array().unwrap();
    assert_eq!(
        people.len(),
        1,
        "the misread name joins the same person: {v}"
    );
    let docs = people[0]["documents"].as_array().unwrap();
    let misread = docs
        .iter()
        .find(|d| d["kind"] == "other")
        .expect("the misread document is in the dossier");
    assert!(
        misread["matched"].as_str().unwrap().contains("approximate"),
        "{misread}"
    );
}

#[test]
fn filters_are_exact_and_snippets_highlight_the_name() {
    let t = ingested();
    let exp = fixture_expected();
    for h in hits(&t, &["Иванов", "--kind", "journal", "--limit", "50"]) {
        assert_eq!(h["kind"], "journal");
    }
    let years: BTreeSet<i64> = exp.iter().map(|e| e.year as i64).collect();
    let (lo, hi) = (*years.iter().next().unwrap(), *years.iter().last().unwrap());
    let in_range = hits(
        &t,
        &[
            "приказ",
            "--from",
            &lo.to_string(),
            "--to",
            &(hi - 1).to_string(),
            "--limit",
            "50",
        ],
    );
    assert!(!in_range.is_empty());
    for h in &in_range {
        let y = h["year"].as_i64().unwrap();
        assert!(y >= lo && y < hi, "{y} outside {lo}..{}", hi - 1);
    }
    let group = &exp[0].group;
    let by_group = hits(&t, &["Иванов", "--group", group, "--limit", "50"]);
    assert!(!by_group.is_empty());
    for h in &by_group {
        assert_eq!(h["group"].as_str(), Some(group.as_str()));
    }
    // Field syntax of the query language, and an exact count per group.
    let n_group = exp.iter().filter(|e| &e.group == group).count();
    assert_eq!(
        hits(&t, &[&format!("group:\"{group}\""), "--limit", "50"]).len(),
        n_group
    );
    // Snippets mark the matched name.
    let h = hits(&t, &["Иванову И. П."]);
    let snip = h[0]["snippet"].as_str().unwrap();
    assert!(snip.contains("[[Иванов"), "{snip}");
    // A malformed query gets a clear message and exit code 2.
    let (code, v) = t.json(&["search", "group:("]);
    assert_eq!(code, 2);
    assert!(v["error"].as_str().unwrap().contains("malformed"), "{v}");
}

#[test]
fn reindex_from_the_boxes_gives_the_same_results() {
    let t = ingested();
    let queries = [
        "Иванов",
        "Иванову И. П.",
        "Королев",
        "приказ",
        "электробезопасность",
        "журнал учета",
    ];
    let before: Vec<BTreeSet<String>> = queries
        .iter()
        .map(|q| ids(&hits(&t, &[q, "--limit", "100"])))
        .collect();
    let (code, v) = t.json(&["check"]);
    assert_eq!(code, 0, "{v}");
    fs::remove_dir_all(t.root.join("index")).unwrap();
    let (code, _) = t.json(&["search", "Иванов"]);
    assert_ne!(code, 0, "no index: a clear error");
    let (code, v) = t.json(&["reindex"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["documents"], 14);
    let after: Vec<BTreeSet<String>> = queries
        .iter()
        .map(|q| ids(&hits(&t, &[q, "--limit", "100"])))
        .collect();
    assert_eq!(before, after);
    let (code, v) = t.json(&["check"]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_search_during_ingestion_returns_results_and_never_errors() {
    let t = TestArchive::new();
    let mut w = t.spawn_watch();
    // The watcher creates the index before it says it is watching: from then on a
    // search finds results or none (exit 5), never "no index".
    t.wait_watching();
    let exp = fixture_expected();
    let mut searches = 0;
    for e in &exp {
        copy_into(&fixtures_dir().join(&e.file), &t.inbox());
        let out = t.cmd(&["--json", "search", "Иванов"]);
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || code == 5,
            "search errored during ingest: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        searches += 1;
    }
    assert!(
        wait_until(Duration::from_secs(60), || t.inbox_files().is_empty()),
        "{}",
        t.watch_log()
    );
    // New documents become visible within seconds of being archived.
    assert!(wait_until(Duration::from_secs(10), || hits(
        &t,
        &["Иванов", "--limit", "50"]
    )
    .len()
        >= expected_ids("Иванов Иван Петрович").len()));
    assert!(searches == exp.len());
    assert_eq!(interrupt(&mut w), Some(0));
}

fn synthetic(i: usize) -> (DocumentMeta, String) {
    let text =
        format!("ПРИКАЗ № {i} о зачислении Иванова Ивана Петровича и Петрова{i} Петра Петровича");
    let meta: DocumentMeta = toml::from_str(&format!(
        r#"id = "{i:064x}"
kind = "order-organisation"
kind_name = "Приказ"
year = 2024
pages = 1
size = 1
box_path = "boxes/2024/x"
file = "data/x/{i}.pdf"
source_name = "{i}.pdf"
source_path = "{i}.pdf"
ingested_at = "2026-01-01T00:00:00Z"
learners = ["Иванова Ивана Петровича"]
[case]
index = "01-01"
title = "t"
period = "permanent"
basis = "b"
epk = false
[pdf]
version = "1.7"
text_layer = "present"
repaired = false
encrypted = false
active_content = false
"#
    ))
    .unwrap();
    (meta, text)
}

fn dir_size(p: &std::path::Path) -> u64 {
    walkdir::WalkDir::new(p)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

#[test]
fn the_index_stays_proportional_to_live_documents_after_many_cycles() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("index");
    let mut sink = Sink::open(&dir).unwrap();
    for i in 0..200 {
        let (m, t) = synthetic(i);
        sink.add(&m, &t).unwrap();
    }
    sink.commit().unwrap();
    let baseline = dir_size(&dir);
    // 60 cycles of replacing every document and deleting/re-adding half of them.
    for cycle in 0..60 {
        for i in 0..200 {
            let (m, t) = synthetic(i);
            if cycle % 2 == 0 && i % 2 == 0 {
                sink.delete(&m.id);
            } else {
                sink.add(&m, &t).unwrap();
            }
        }
        sink.commit().unwrap();
    }
    for i in 0..200 {
        let (m, t) = synthetic(i);
        sink.add(&m, &t).unwrap();
    }
    sink.commit().unwrap();
    drop(sink);
    // Let pending merges finish and obsolete files go, as a restart would.
    let ix = archivist::search::index::SearchIndex::open_or_create(&dir).unwrap();
    let mut w = ix.writer().unwrap();
    w.commit().unwrap();
    w.garbage_collect_files().wait().unwrap();
    w.wait_merging_threads().unwrap();
    let ix = archivist::search::index::SearchIndex::open(&dir).unwrap();
    assert_eq!(ix.num_docs(), 200);
    let after = dir_size(&dir);
    assert!(
        after < baseline * 4,
        "index grew from {baseline} to {after} bytes for the same 200 live documents"
    );
}
