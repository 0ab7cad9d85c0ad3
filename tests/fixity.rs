//! Fixity (issue 5): `verify` reports a flipped byte, a deleted scan, a stray file and an
//! edited sidecar with the right class and path; runs are kept in the history; the
//! watcher's scheduled rolling check records its run too.

mod common;

use std::fs;

use common::*;

#[test]
fn verify_reports_each_kind_of_damage_and_keeps_a_history() {
    let t = TestArchive::new();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    assert!(t.cmd(&["ingest", src.to_str().unwrap()]).status.success());
    let a = t.archive();
    let mut docs: Vec<_> = a.catalogue().unwrap().into_values().collect();
    docs.sort_by(|x, y| (&x.box_rel, &x.file).cmp(&(&y.box_rel, &y.file)));
    let (flip, gone, edit) = (&docs[0], &docs[1], &docs[2]);

    let p = a.root.join(&flip.box_rel).join(&flip.file);
    let mut b = fs::read(&p).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x20;
    fs::write(&p, b).unwrap();
    fs::remove_file(a.root.join(&gone.box_rel).join(&gone.file)).unwrap();
    let side = a.root.join(&edit.box_rel).join(edit.sidecar());
    let text = fs::read_to_string(&side)
        .unwrap()
        .replacen("pages = ", "pages = 9", 1);
    fs::write(&side, text).unwrap();
    let stray = format!("{}/data/stray.pdf", docs[3].box_rel);
    fs::write(a.root.join(&stray), b"not ours").unwrap();

    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1, "findings mean a non-zero exit");
    let findings = v["findings"].as_array().unwrap();
    let has = |class: &str, path: &str| {
        findings
            .iter()
            .any(|f| f["class"] == class && f["path"] == path)
    };
    assert!(
        has("changed", &format!("{}/{}", flip.box_rel, flip.file)),
        "{v}"
    );
    assert!(
        has("missing", &format!("{}/{}", gone.box_rel, gone.file)),
        "{v}"
    );
    assert!(
        has("changed", &format!("{}/{}", edit.box_rel, edit.sidecar())),
        "{v}"
    );
    assert!(has("untracked", &stray), "{v}");
    assert_eq!(
        (
            v["changed"].as_u64(),
            v["missing"].as_u64(),
            v["untracked"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let changed = findings
        .iter()
        .find(|f| f["path"] == format!("{}/{}", flip.box_rel, flip.file).as_str())
        .unwrap();
    assert_ne!(
        changed["expected"], changed["actual"],
        "expected vs actual SHA-256"
    );

    // One box only.
    let one = flip.box_rel.trim_start_matches("boxes/");
    let (_, v) = t.json(&["verify", "--box", one]);
    assert!(v["boxes"].as_array().unwrap().len() == 1);

    let (code, h) = t.json(&["verify", "--history"]);
    assert_eq!(code, 0);
    let runs = h.as_array().unwrap();
    assert!(runs.len() >= 2);
    assert_eq!(runs[runs.len() - 2]["changed"], 2);
    // Findings went to the audit log.
    let audit = fs::read_to_string(t.root.join("journal/audit.jsonl")).unwrap();
    assert!(audit.contains("fixity-checked") && audit.contains(&stray));
}

#[test]
fn the_scheduled_rolling_check_runs_once_a_day_and_is_recorded() {
    let t = TestArchive::with_config(&format!("{FAST_CONFIG}[fixity]\ncycle_days = 1\n"));
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    assert!(t.cmd(&["ingest", src.to_str().unwrap()]).status.success());
    let a = t.archive();
    let run = archivist::store::fixity::scheduled(&a, &archivist::store::audit::Actor::new("test"))
        .unwrap()
        .expect("a run is due");
    assert!(
        run.ok() && run.files > 0 && run.scope.contains("rolling slice 1/1"),
        "{run:?}"
    );
    assert!(
        archivist::store::fixity::scheduled(&a, &archivist::store::audit::Actor::new("test"))
            .unwrap()
            .is_none(),
        "once a day"
    );
    assert_eq!(archivist::store::fixity::history(&a).unwrap().len(), 1);
}
