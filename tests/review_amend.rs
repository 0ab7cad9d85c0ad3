//! Issue 11: the review queue from the command line (list, show, resolve, reject), scans
//! in review found by search and in a learner's dossier with status "in review", and
//! `amend` moving a document between boxes (valid bags, audited, refused for held and
//! destroyed documents, and finished after a kill -9 at any step).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

/// The fixtures filed, and one unclassifiable scan sent to review.
fn archive_with_review() -> (TestArchive, String) {
    let t = TestArchive::new();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let odd = unclassifiable_pdf(&t.tmp.path().join("odd"), "letter_kitchen.pdf");
    let out = t.cmd(&["ingest", odd.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "sent to review is a finding");
    (t, "letter_kitchen.pdf".to_string())
}

fn audit_actions(t: &TestArchive) -> Vec<Value> {
    fs::read_to_string(t.root.join("journal/audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn audit_verify_clean(t: &TestArchive) {
    let out = t.cmd(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, v) = t.json(&["check"]);
    assert_eq!(code, 0, "archive and index agree: {v}");
}

fn hit_ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_scan_in_review_is_found_by_search_and_in_a_dossier_then_resolved_from_the_cli() {
    let (t, name) = archive_with_review();
    // Indexed when it entered review, from its template.
    let (code, v) = t.json(&["search", "kitchen", "--status", "in review"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(hit_ids(&v), vec![format!("review:{name}")], "{v}");
    assert_eq!(v["hits"][0]["status"], "in review");

    // The text the pipeline keeps beside it (written here until OCR-first lands).
    fs::write(
        t.root.join(format!("review/{name}.ocr.txt")),
        "ПРИКАЗ № 12-у\nо зачислении слушателя Иванова Петра Сергеевича\n\u{c}\nстраница два: уникальноеслово\n",
    )
    .unwrap();
    let (code, v) = t.json(&["reindex"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = t.json(&["search", "уникальноеслово"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(hit_ids(&v), vec![format!("review:{name}")], "{v}");
    assert_eq!(v["hits"][0]["status"], "in review");
    let statuses: Vec<String> = v["facets"]["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(statuses.contains(&"in review".to_string()), "{v}");
    // Filtered out when asking for active documents only.
    let (_, v) = t.json(&["search", "уникальноеслово", "--status", "active"]);
    assert!(hit_ids(&v).is_empty(), "{v}");
    let (code, v) = t.json(&["learner", "Иванов П. С."]);
    assert_eq!(code, 0, "{v}");
    let text = v.to_string();
    assert!(
        text.contains(&format!("review:{name}")) && text.contains("in review"),
        "{v}"
    );
    audit_verify_clean(&t);

    // list and show
    let (code, v) = t.json(&["review", "list"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["name"], name.as_str());
    let (code, v) = t.json(&["review", "show", &name]);
    assert_eq!(code, 0, "{v}");
    assert!(!v["reason"].as_str().unwrap().is_empty(), "{v}");
    assert!(v["text"].as_str().unwrap().contains("уникальноеслово"));
    let (code, _) = t.json(&["review", "show", "no-such.pdf"]);
    assert_eq!(code, 5, "not found");
    let (code, v) = t.json(&["show", &format!("review:{name}")]);
    assert_eq!(code, 5, "a review id is refused clearly by show: {v}");
    assert!(v["error"].as_str().unwrap().contains("review show"), "{v}");

    // resolve: validated like a sidecar…
    let (code, v) = t.json(&[
        "review",
        "resolve",
        &name,
        "--kind",
        "no-such-kind",
        "--date",
        "2024-03-15",
    ]);
    assert_eq!(code, 2, "{v}");
    // …then filed at once through the pipeline.
    let (code, v) = t.json(&[
        "review",
        "resolve",
        &name,
        "--kind",
        "order-completion",
        "--date",
        "15.03.2024",
        "--group",
        "ПК-2024-099",
        "--number",
        "12-у",
        "--learner",
        "Иванов Петр Сергеевич",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["outcome"], "archived", "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["box_path"], "boxes/2024/ПК-2024-099");
    let (code, s) = t.json(&["show", &id]);
    assert_eq!(code, 0, "{s}");
    assert_eq!(s["metadata"]["group"], "ПК-2024-099");
    assert!(!t.root.join("review").join(&name).exists());
    let (_, v) = t.json(&["search", "kitchen", "--status", "in review"]);
    assert!(hit_ids(&v).is_empty(), "no longer in review: {v}");
    let (_, v) = t.json(&["review", "list"]);
    assert!(v.as_array().unwrap().is_empty());
    let actions = audit_actions(&t);
    let resolved = actions
        .iter()
        .find(|r| r["action"] == "review-resolved")
        .expect("review-resolved recorded");
    assert!(!resolved["actor"].as_str().unwrap().is_empty());
    assert!(
        actions
            .iter()
            .any(|r| r["action"] == "archived" && r["id"] == id.as_str())
    );
    assert_bags_valid(&t.archive());
    assert_boxes_consistent(&t.root);
    audit_verify_clean(&t);
}

#[test]
fn a_scan_rejected_in_review_goes_to_the_quarantine_audited() {
    let (t, name) = archive_with_review();
    let (code, v) = t.json(&["review", "reject", &name, "--reason", " "]);
    assert_eq!(code, 2, "a reason is required: {v}");
    let (code, v) = t.json(&["review", "reject", &name, "--reason", "не документ центра"]);
    assert_eq!(code, 0, "{v}");
    let path = v["path"].as_str().unwrap();
    assert!(path.starts_with("quarantine/"), "{v}");
    assert!(t.root.join(path).is_file());
    assert!(!t.root.join("review").join(&name).exists());
    assert!(audit_actions(&t).iter().any(
        |r| r["action"] == "review-rejected" && r["details"]["reason"] == "не документ центра"
    ));
    let (_, v) = t.json(&["search", "kitchen", "--status", "in review"]);
    assert!(hit_ids(&v).is_empty(), "{v}");
    audit_verify_clean(&t);
}

/// A filed document of the fixtures (first in id order) and its sidecar's `[box]`.
fn some_document(t: &TestArchive) -> (String, String) {
    let cat = t.archive().catalogue().unwrap();
    let mut ids: Vec<_> = cat.iter().collect();
    ids.sort_by(|x, y| x.0.cmp(&y.0));
    let (id, loc) = ids.swap_remove(0);
    (id, loc.box_rel)
}

#[test]
fn amend_moves_a_document_between_valid_boxes_audited_and_kept_in_history() {
    let (t, _) = archive_with_review();
    let (id, old_box) = some_document(&t);
    let (code, v) = t.json(&[
        "amend",
        &id,
        "--group",
        "ПК-2030-001",
        "--date",
        "2030-05-06",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["id"], id.as_str());
    let to = v["to"].as_str().unwrap();
    assert!(to.starts_with("boxes/2030/ПК-2030-001/data/"), "{v}");
    assert!(v["from"].as_str().unwrap().starts_with(&old_box));
    assert!(t.root.join(to).is_file());
    assert!(!t.root.join(v["from"].as_str().unwrap()).exists());
    let (_, s) = t.json(&["show", &id]);
    assert_eq!(s["location"]["box_path"], "boxes/2030/ПК-2030-001");
    let hist = &s["metadata"]["history"];
    assert_eq!(hist.as_array().unwrap().len(), 1, "{s}");
    assert_eq!(hist[0]["from"], v["from"]);
    assert!(audit_actions(&t).iter().any(|r| r["action"] == "amended"
        && r["id"] == id.as_str()
        && r["details"]["from"] == v["from"]
        && r["details"]["to"] == v["to"]));
    let (_, found) = t.json(&["search", "*", "--group", "ПК-2030-001"]);
    let _ = found;
    assert_bags_valid(&t.archive());
    assert_boxes_consistent(&t.root);
    audit_verify_clean(&t);

    // The same again changes nothing: refused with a clear word.
    let (code, v) = t.json(&["amend", &id, "--group", "ПК-2030-001"]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("nothing to change"),
        "{v}"
    );
    let (code, v) = t.json(&["amend", &id, "--kind", "no-such-kind"]);
    assert_eq!(code, 2, "{v}");
    let (code, v) = t.json(&["amend", &id, "--group", "../../etc"]);
    assert_eq!(code, 2, "{v}");

    // Held: refused with the hold.
    let (code, v) = t.json(&["hold", "add", &id, "--reason", "запрос прокуратуры"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = t.json(&["amend", &id, "--number", "99"]);
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("held"), "{v}");
}

#[test]
fn amend_is_refused_for_a_destroyed_document() {
    let t = TestArchive::new();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    assert!(t.cmd(&["ingest", src.to_str().unwrap()]).status.success());
    let (code, v) = t.json(&["disposal", "draft", "--as-of", "2027-02-01"]);
    assert_eq!(code, 0, "{v}");
    let id = v["act"]["case"][0]["documents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, v) = t.json(&[
        "disposal",
        "approve",
        "1",
        "--protocol",
        "№ 3 от 12.12.2026",
        "--approved-by",
        "Петров В. В.",
    ]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = t.json(&["amend", &id, "--group", "ПК-2030-001"]);
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("destroyed"), "{v}");
}

fn copy_dir(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn amend_killed_at_any_step_is_finished_at_the_next_start() {
    let (t, _) = archive_with_review();
    let (id, _) = some_document(&t);
    for step in archivist::ingest::amend::AMEND_STEPS {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        copy_dir(&t.root, &root);
        let run = |args: &[&str], crash: Option<&str>| {
            let mut c = Command::new(bin());
            c.arg("--root").arg(&root).arg("--json").args(args);
            if let Some(s) = crash {
                c.env("ARCHIVIST_CRASH_AMEND_AT", s);
            }
            c.output().unwrap()
        };
        let out = run(&["amend", &id, "--group", "ПК-2031-007"], Some(step));
        assert!(
            !out.status.success() && out.status.code().is_none(),
            "{step}: the crash hook must kill the run"
        );
        // The next writer to start (here an ingest of nothing) finishes the move.
        let empty = dir.path().join("empty");
        fs::create_dir_all(&empty).unwrap();
        let out = run(&["ingest", empty.to_str().unwrap()], None);
        assert!(
            out.status.success(),
            "{step}: {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let a = archivist::store::archive::Archive::open(&root, None).unwrap();
        let cat = a.catalogue().unwrap();
        let loc = cat.get(&id).expect("the document is not lost");
        assert_eq!(
            loc.box_rel,
            "boxes/2019/ПК-2031-007".replace("2019", &loc.box_rel[6..10]),
            "{step}"
        );
        assert!(loc.box_rel.ends_with("ПК-2031-007"), "{step}: {loc:?}");
        // Exactly one box lists it.
        let listed = a
            .box_dirs()
            .iter()
            .filter(|d| {
                archivist::store::boxes::read_manifest(d)
                    .unwrap()
                    .values()
                    .any(|s| s == &id)
            })
            .count();
        assert_eq!(listed, 1, "{step}: one box lists the document");
        assert!(!root.join("journal/pending.jsonl").exists(), "{step}");
        assert_bags_valid(&a);
        assert_boxes_consistent(&root);
        let out = run(&["audit", "verify"], None);
        assert!(
            out.status.success(),
            "{step}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let out = run(&["check"], None);
        assert!(
            out.status.success(),
            "{step}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let amended = fs::read_to_string(root.join("journal/audit.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"action\":\"amended\""))
            .count();
        assert_eq!(amended, 1, "{step}: audited exactly once");
    }
}
