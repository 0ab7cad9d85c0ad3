//! Learners (issue 12): the results table of every learner in the fixture protocols,
//! orders and books matches what the generator wrote; certificate lookup finds every
//! issued number and nothing else; namesakes never share a dossier; the record card.

mod common;

use std::collections::BTreeSet;
use std::fs;

use archivist::ingest::classify::{Classifier, Evidence};
use archivist::search::{IndexSink, Sink};
use archivist::store::archive::Archive;
use archivist::store::document::{CaseRef, DocumentMeta, PdfFacts, Status};
use common::*;
use fixturegen::{Expected, ExpectedResult};
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

fn id_of(e: &Expected) -> String {
    sha256(&fixtures_dir().join(&e.file))
}

/// The one person a full name's dossier holds.
fn person(t: &TestArchive, name: &str) -> Value {
    let (code, v) = t.json(&["learner", name]);
    assert_eq!(code, 0, "{name}: {v}");
    let people = v["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{name}: {v}");
    people[0].clone()
}

fn row_of<'a>(p: &'a Value, group: &str) -> &'a Value {
    p["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == group)
        .unwrap_or_else(|| panic!("no results row for {group}: {p}"))
}

fn source_ids(row: &Value, gave: &str) -> BTreeSet<String> {
    row["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["gave"] == gave)
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every (document, learner result) the generator wrote in protocols, completion orders
/// and books of issue.
fn stated(exp: &[Expected]) -> Vec<(&Expected, &ExpectedResult)> {
    exp.iter()
        .filter(|e| {
            matches!(
                e.kind.as_str(),
                "protocol" | "order-completion" | "issuance-book"
            )
        })
        .flat_map(|e| e.results.iter().map(move |r| (e, r)))
        .collect()
}

#[test]
fn the_results_table_is_what_the_fixture_protocols_orders_and_books_state() {
    let t = ingested();
    let exp = fixture_expected();
    let stated = stated(&exp);
    assert!(
        stated.iter().any(|(e, _)| e.kind == "protocol")
            && stated.iter().any(|(e, _)| e.kind == "issuance-book")
            && stated.iter().any(|(e, _)| e.kind == "order-completion"),
        "the fixtures hold a protocol, a completion order and a book"
    );
    for (e, r) in &stated {
        let p = person(&t, &r.learner);
        let row = row_of(&p, &e.group);
        match e.kind.as_str() {
            "protocol" => {
                assert_eq!(row["result"].as_str(), r.result.as_deref(), "{}", r.learner);
                assert!(source_ids(row, "result").contains(&id_of(e)));
            }
            "order-completion" => {
                assert_eq!(row["programme"], e.programme.as_str(), "{}", r.learner);
                assert_eq!(row["hours"], e.hours, "{}", r.learner);
                assert_eq!(row["finished"], e.date.to_string());
                assert!(source_ids(row, "completion").contains(&id_of(e)));
            }
            _ => {
                let c = r.certificate.as_ref().unwrap();
                let got = &row["certificate"];
                assert_eq!(got["series"], c.series.as_str(), "{}", r.learner);
                assert_eq!(got["number"], c.number.as_str(), "{}", r.learner);
                assert_eq!(got["registration"], c.registration.as_str());
                assert_eq!(got["date"], c.date.to_string());
                assert_eq!(got["title"], c.title.as_str());
                assert!(source_ids(row, "certificate").contains(&id_of(e)));
            }
        }
    }
    // The same table as Markdown, and as text.
    let (_, r) = stated[0];
    let out = t.cmd(&["learner", &r.learner, "--format", "md"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("## Результаты обучения") && md.contains("| Программа"),
        "{md}"
    );
    let out = t.cmd(&["learner", &r.learner]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Results") && text.contains("result: "),
        "{text}"
    );
}

#[test]
fn certificate_lookup_finds_every_issued_number_and_answers_not_found_otherwise() {
    let t = ingested();
    let exp = fixture_expected();
    let mut issued = 0;
    for e in exp.iter().filter(|e| e.kind == "issuance-book") {
        for r in &e.results {
            let c = r.certificate.as_ref().unwrap();
            for typed in [
                format!("{} № {}", c.series, c.number),
                format!("{}{}", c.series, c.number),
                c.number.clone(),
            ] {
                let (code, v) = t.json(&["certificate", &typed]);
                assert_eq!(code, 0, "{typed}: {v}");
                assert_eq!(v["issued"], true);
                let found = &v["certificates"][0];
                assert_eq!(found["holder"], r.learner.as_str(), "{typed}");
                assert_eq!(found["document"]["date"], c.date.to_string());
                assert_eq!(found["source"]["id"], id_of(e));
            }
            issued += 1;
        }
    }
    assert!(issued > 0, "the fixtures issue certificates");
    for typed in ["999999", "772419 № 999999", "111111 № 012961"] {
        let (code, v) = t.json(&["certificate", typed]);
        assert_eq!(code, 5, "{typed}: {v}");
        assert_eq!(v["issued"], false);
    }
    let out = t.cmd(&["certificate", "999999"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not found"));
    let (code, _) = t.json(&["certificate", "без номера"]);
    assert_eq!(code, 2, "no digits: bad usage");
}

#[test]
fn namesakes_with_other_initials_never_share_a_dossier() {
    let t = ingested();
    let exp = fixture_expected();
    let docs_of = |name: &str| -> BTreeSet<String> {
        exp.iter()
            .filter(|e| e.learners.iter().any(|l| l == name))
            .map(id_of)
            .collect()
    };
    // Same surname, other initials (and here other gender too): each dossier is exactly
    // the documents naming that person.
    for name in [
        "Сидоров Егор Сергеевич",
        "Сидорова Анна Сергеевна",
        "Иванов Иван Петрович",
        "Иванов Алексей Сергеевич",
        "Иванова Мария Петровна",
        // Same surname and initials as Сидорова Анна Сергеевна, other gender and group.
        "Сидоров Антон Сергеевич",
    ] {
        let p = person(&t, name);
        let got: BTreeSet<String> = p["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, docs_of(name), "{name}");
    }
    // The bare surname lists the namesakes as separate people.
    let (_, v) = t.json(&["learner", "Сидоров"]);
    let names: Vec<&str> = v["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Сидоров Е. С.") && names.contains(&"Сидорова А. С."),
        "{names:?}"
    );
    // A person token from that list picks one of them.
    let token = v["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Сидорова А. С.")
        .map(|p| p["token"].as_str().unwrap().to_string())
        .unwrap();
    let (code, v) = t.json(&["learner", &token]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["people"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["people"][0]["name"], "Сидорова А. С.");

    // The web page's dossier: the same people in the same order, the first in full,
    // the namesakes as name and count only (their documents are not read).
    let a = archivist::api::Archivist::open(&t.root, None).unwrap();
    let everyone = a.dossier("Сидоров").unwrap().people;
    let first = a
        .dossier_with("Сидоров", archivist::api::Detail::First)
        .unwrap()
        .people;
    assert!(everyone.len() >= 2);
    assert_eq!(
        first.iter().map(|p| (&p.name, p.count)).collect::<Vec<_>>(),
        everyone
            .iter()
            .map(|p| (&p.name, p.documents.len()))
            .collect::<Vec<_>>()
    );
    let ids = |p: &archivist::search::PersonRecord| -> Vec<String> {
        p.documents.iter().map(|d| d.id.clone()).collect()
    };
    assert_eq!(ids(&first[0]), ids(&everyone[0]));
    assert_eq!(first[0].results, everyone[0].results);
    assert!(
        first[1..]
            .iter()
            .all(|p| p.documents.is_empty() && p.results.is_empty() && p.count > 0)
    );
    // A token picks a namesake the summary listed, and gives them in full.
    let picked = a
        .dossier_with(&first[1].token, archivist::api::Detail::First)
        .unwrap()
        .people;
    assert_eq!(picked.len(), 1);
    assert_eq!(ids(&picked[0]), ids(&everyone[1]));
}

#[test]
fn the_record_card_is_a_printable_pdf_of_the_results() {
    let t = ingested();
    let out_dir = repo().join("target/learners-test");
    fs::create_dir_all(&out_dir).unwrap();
    let pdf = out_dir.join("card-ivanov.pdf");
    let out = t.cmd(&[
        "learner",
        "Иванов Иван Петрович",
        "--pdf",
        pdf.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    // Several people behind a name: refused, with their tokens to choose from.
    let out = t.cmd(&["learner", "Иванов", "--pdf", pdf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("иванов_и_п"));
    if !have_tool("pdftotext") {
        return;
    }
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text: String = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let exp = fixture_expected();
    let book = exp.iter().find(|e| e.kind == "issuance-book").unwrap();
    let mine = book
        .results
        .iter()
        .find(|r| r.learner == "Иванов Иван Петрович")
        .and_then(|r| r.certificate.as_ref())
        .unwrap();
    for want in [
        "Обучающийся: Иванов И. П.",
        "зачтено",
        mine.number.as_str(),
        book.group.as_str(),
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    if have_tool("pdftoppm") {
        let st = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&pdf)
            .arg(out_dir.join("card-ivanov"))
            .status()
            .unwrap();
        assert!(st.success());
    }
}

/// A generated archive (text as the pipeline reads it), indexed in-process with the
/// real classifier, result extraction and index: covers retraining groups graded in
/// words and in points, diplomas, and many more learners than the fixtures.
#[test]
fn results_of_every_learner_in_a_generated_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = Archive::init(tmp.path(), None).unwrap();
    let classifier = Classifier::new(&a.config.classify, &a.nomenclature).unwrap();
    let mut sink = Sink::open(&tmp.path().join("index")).unwrap();
    let opts = fixturegen::GenOptions {
        seed: 5,
        count: 160,
        text_only: true,
        ..Default::default()
    };
    let mut exp = Vec::new();
    for (i, g) in fixturegen::generate(&opts).enumerate() {
        let g = g.unwrap();
        let e = g.expected;
        let found = classifier.classify(&Evidence {
            sidecar: None,
            folders: &[],
            file_name: &e.file,
            info: &Default::default(),
            text: &g.text,
        });
        let meta = meta_for(i, &e, found.learners, &g.text, &a);
        sink.add(&meta, &g.text).unwrap();
        exp.push((meta.id.clone(), e));
    }
    sink.commit().unwrap();
    let ix = &sink.index;
    ix.reload().unwrap();
    let mut checked = (0, 0, 0);
    for (id, e) in &exp {
        for r in &e.results {
            if !matches!(
                e.kind.as_str(),
                "protocol" | "issuance-book" | "order-completion"
            ) {
                continue;
            }
            let people = archivist::search::dossier(ix, &r.learner).unwrap();
            assert_eq!(people.len(), 1, "{}: {people:?}", r.learner);
            let row = people[0]
                .results
                .iter()
                .find(|row| row.group.as_deref() == Some(e.group.as_str()))
                .unwrap_or_else(|| panic!("{} has no row for {}", r.learner, e.group));
            let from = |gave: &str| row.sources.iter().any(|s| s.gave == gave && &s.id == id);
            match e.kind.as_str() {
                "protocol" => {
                    assert_eq!(row.result, r.result, "{} in {}", r.learner, e.group);
                    assert!(from("result"));
                    checked.0 += 1;
                }
                "issuance-book" => {
                    let c = r.certificate.as_ref().unwrap();
                    let got = row.certificate.as_ref().unwrap();
                    assert_eq!(
                        (got.series.as_deref(), got.number.as_str(), got.date),
                        (Some(c.series.as_str()), c.number.as_str(), Some(c.date)),
                        "{}",
                        r.learner
                    );
                    assert!(from("certificate"));
                    checked.1 += 1;
                }
                _ => {
                    assert_eq!(row.programme.as_deref(), Some(e.programme.as_str()));
                    assert_eq!(row.hours, Some(e.hours));
                    assert!(from("completion"));
                    checked.2 += 1;
                }
            }
        }
    }
    assert!(
        checked.0 > 50 && checked.1 > 30 && checked.2 > 30,
        "{checked:?}"
    );
    let graded = exp
        .iter()
        .flat_map(|(_, e)| &e.results)
        .filter(|r| {
            r.result
                .as_deref()
                .is_some_and(|x| x.contains("балл") || x == "отлично" || x == "хорошо")
        })
        .count();
    assert!(
        graded > 5,
        "the generated set grades some groups ({graded})"
    );
}

fn meta_for(
    i: usize,
    e: &Expected,
    learners: Vec<String>,
    text: &str,
    a: &Archive,
) -> DocumentMeta {
    let kind = a.nomenclature.kind(&e.kind).unwrap();
    DocumentMeta {
        id: format!("{i:064x}"),
        kind: e.kind.clone(),
        kind_name: kind.name.clone(),
        year: e.year,
        group: Some(e.group.clone()),
        date: Some(e.date),
        number: e.number.clone(),
        title: Some(kind.name.clone()),
        programme: Some(e.programme.clone()),
        learners,
        pages: e.pages,
        size: 1,
        box_path: format!("boxes/{}/{}", e.year, e.group),
        file: format!("data/{}/{i}.pdf", e.kind),
        text_file: None,
        source_name: e.file.clone(),
        source_path: e.file.clone(),
        ingested_at: chrono::Utc::now(),
        case: CaseRef {
            index: kind.case_index.clone(),
            title: kind.case_title.clone(),
            period: kind.period.to_string(),
            basis: kind.basis.clone(),
            epk: kind.epk,
        },
        pdf: PdfFacts {
            version: "1.7".into(),
            producer: None,
            creator: None,
            text_layer: archivist::formats::pdf::TextLayer::Present,
            repaired: false,
            encrypted: false,
            active_content: false,
            warnings: vec![],
        },
        provenance: Default::default(),
        provenance_detail: Default::default(),
        events: Default::default(),
        original: None,
        history: Vec::new(),
        ocr: None,
        status: Status::Active,
        status_note: None,
        results: archivist::ru::results::extract(&e.kind, text, &a.config.classify.staff_markers),
    }
}
