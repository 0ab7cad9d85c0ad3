//! Integrity under attack (docs/INTEGRITY.md): sealed acts, holds kept in the audit log,
//! the audit tail anchored, verify against what the archive knows it holds, torn journal
//! lines, crash leftovers, tombstones shown. Each test drives the real binary the way a
//! careless user, a hostile one or an unlucky machine would.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use archivist::store::audit::AuditRecord;
use common::*;
use serde_json::Value;

const AS_OF: &str = "2027-02-01";

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

fn ok(t: &TestArchive, args: &[&str]) -> Value {
    let (code, v) = t.json(args);
    assert_eq!(code, 0, "{args:?}: {v}");
    v
}

/// Drafts act № 1 as of AS_OF and returns the listed document ids.
fn draft(t: &TestArchive) -> BTreeSet<String> {
    let v = ok(t, &["disposal", "draft", "--as-of", AS_OF]);
    v["act"]["case"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["documents"].as_array().unwrap().iter())
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

fn approve(t: &TestArchive) -> Value {
    ok(
        t,
        &[
            "disposal",
            "approve",
            "1",
            "--protocol",
            "№ 3 от 12.12.2026",
            "--approved-by",
            "Петров В. В.",
        ],
    )
}

fn act_toml(t: &TestArchive) -> PathBuf {
    t.root.join("acts/1/act.toml")
}

fn edit_act(t: &TestArchive, f: impl FnOnce(&mut toml::Table)) {
    let mut v: toml::Table = toml::from_str(&fs::read_to_string(act_toml(t)).unwrap()).unwrap();
    f(&mut v);
    fs::write(act_toml(t), toml::to_string(&v).unwrap()).unwrap();
}

/// Every scan of the catalogue is still on disk.
fn all_present(t: &TestArchive, ids: &BTreeSet<String>) {
    let cat = t.archive().catalogue().unwrap();
    for id in ids {
        let loc = cat.get(id).unwrap_or_else(|| panic!("{id} was destroyed"));
        assert!(t.root.join(&loc.box_rel).join(&loc.file).is_file(), "{id}");
    }
}

fn audit_problems(t: &TestArchive) -> (i32, String) {
    let (code, v) = t.json(&["audit", "verify"]);
    (code, v["problems"].to_string())
}

#[test]
fn a_document_added_to_an_approved_act_is_never_destroyed() {
    let t = ingested();
    let listed = draft(&t);
    approve(&t);
    let cat = t.archive().catalogue().unwrap();
    let (extra, loc) = cat.iter().find(|(id, _)| !listed.contains(id)).unwrap();
    edit_act(&t, |act| {
        let case = &mut act["case"].as_array_mut().unwrap()[0];
        let docs = case["documents"].as_array_mut().unwrap();
        let mut d = docs[0].as_table().unwrap().clone();
        d.insert("id".into(), extra.clone().into());
        d.insert("sha256".into(), extra.clone().into());
        d.insert("box_path".into(), loc.box_rel.clone().into());
        d.insert("file".into(), loc.file.clone().into());
        docs.push(d.into());
    });
    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_ne!(code, 0, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("not what the commission approved"),
        "{v}"
    );
    let mut all = listed.clone();
    all.insert(extra.clone());
    all_present(&t, &all);
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(
        problems.contains("differs from what the commission approved"),
        "{problems}"
    );
}

#[test]
fn a_draft_edited_to_look_approved_destroys_nothing() {
    let t = ingested();
    let listed = draft(&t);
    edit_act(&t, |act| {
        act.insert("state".into(), "approved".into());
        let mut ap = toml::Table::new();
        ap.insert("protocol".into(), "№ 1".into());
        ap.insert("approved_by".into(), "никто".into());
        ap.insert("approved_at".into(), "2026-01-01T00:00:00Z".into());
        act.insert("approval".into(), ap.into());
    });
    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_ne!(code, 0, "{v}");
    assert!(v["error"].as_str().unwrap().contains("no approval"), "{v}");
    all_present(&t, &listed);
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(problems.contains("no sealed approval"), "{problems}");
}

#[test]
fn paths_in_an_act_never_reach_outside_the_archive() {
    let t = ingested();
    let listed = draft(&t);
    // A victim outside the root with the same relative layout as the first document.
    let v = ok(&t, &["disposal", "show", "1"]);
    let d = &v["act"]["case"][0]["documents"][0];
    let file = d["file"].as_str().unwrap().to_string();
    let victim = t.tmp.path().join("victim");
    fs::create_dir_all(victim.join(Path::new(&file).parent().unwrap())).unwrap();
    fs::write(victim.join(&file), b"precious").unwrap();
    fs::write(victim.join(file.replace(".pdf", ".toml")), b"precious").unwrap();

    // An approved act edited to point at it is refused (its seal no longer matches).
    approve(&t);
    let original = fs::read_to_string(act_toml(&t)).unwrap();
    edit_act(&t, |act| {
        let case = &mut act["case"].as_array_mut().unwrap()[0];
        case["documents"].as_array_mut().unwrap()[0]
            .as_table_mut()
            .unwrap()
            .insert("box_path".into(), victim.to_str().unwrap().into());
    });
    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_ne!(code, 0, "{v}");
    assert!(
        victim.join(&file).is_file(),
        "a file outside the root was deleted"
    );
    fs::write(act_toml(&t), original).unwrap();

    // A box folder replaced by a link out of the archive is refused too, however the
    // act reads.
    let box_dir = t.root.join(d["box_path"].as_str().unwrap());
    let kind_dir = box_dir.join(Path::new(&file).parent().unwrap());
    let moved = t.tmp.path().join("moved-kind");
    fs::rename(&kind_dir, &moved).unwrap();
    std::os::unix::fs::symlink(victim.join(Path::new(&file).parent().unwrap()), &kind_dir).unwrap();
    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_ne!(code, 0, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("outside the boxes"),
        "{v}"
    );
    assert_eq!(fs::read(victim.join(&file)).unwrap(), b"precious");
    fs::remove_file(&kind_dir).unwrap();
    fs::rename(&moved, &kind_dir).unwrap();
    all_present(&t, &listed);
}

#[test]
fn a_deleted_holds_file_does_not_lift_a_hold() {
    let t = ingested();
    let listed = draft(&t);
    approve(&t);
    let held = listed.iter().next().unwrap().clone();
    ok(&t, &["hold", "add", &held[..16], "--reason", "запрос суда"]);
    fs::remove_file(t.root.join("holds.toml")).unwrap();

    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_ne!(code, 0, "{v}");
    all_present(&t, &listed);
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1, "{v}");
    assert!(v["findings"].to_string().contains("holds.toml"), "{v}");
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(problems.contains("holds.toml is missing"), "{problems}");

    // Rebuilt from the log, the hold is back and still blocks the act.
    let r = ok(&t, &["hold", "rebuild"]);
    assert_eq!(r["active"], 1, "{r}");
    assert!(
        fs::read_to_string(t.root.join("holds.toml"))
            .unwrap()
            .contains(&held)
    );
    assert_eq!(audit_problems(&t).0, 0);
    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_ne!(code, 0, "{v}");
    assert!(v["error"].as_str().unwrap().contains("hold #1"), "{v}");
    all_present(&t, &listed);

    ok(&t, &["hold", "release", "1", "--reason", "снят"]);
    let v = ok(&t, &["disposal", "execute", "1"]);
    assert_eq!(v["act"]["state"], "executed");
}

#[test]
fn concurrent_hold_adds_get_distinct_numbers_and_none_is_lost() {
    let t = TestArchive::new();
    let procs: Vec<_> = (0..40)
        .map(|i| {
            Command::new(bin())
                .arg("--root")
                .arg(&t.root)
                .args([
                    "hold",
                    "add",
                    "02-05/2020",
                    "--reason",
                    &format!("параллельно {i}"),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for p in procs {
        let out = p.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v = ok(&t, &["hold", "list"]);
    let holds = v.as_array().unwrap();
    assert_eq!(holds.len(), 40, "no hold is lost");
    let numbers: BTreeSet<u64> = holds
        .iter()
        .map(|h| h["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=40).collect(), "every number issued once");
    assert_eq!(audit_problems(&t).0, 0, "holds.toml agrees with the log");
}

#[test]
fn a_cut_audit_tail_is_refused_at_the_next_append_and_detected() {
    let t = ingested();
    ok(&t, &["hold", "add", "02-03/2019", "--reason", "a"]);
    ok(&t, &["hold", "add", "02-03/2020", "--reason", "b"]);
    let log = t.root.join("journal/audit.jsonl");
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines[..lines.len() - 2].join("\n") + "\n";
    fs::write(&log, &cut).unwrap();

    let out = t.cmd(&["hold", "add", "02-03/2021", "--reason", "c"]);
    assert!(
        !out.status.success(),
        "appending onto a cut tail must be refused"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("audit repair"));
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        cut,
        "nothing was chained onto it"
    );
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(problems.contains("audit.head names record"), "{problems}");

    // Cutting the head as well is no better.
    fs::remove_file(t.root.join("journal/audit.head")).unwrap();
    assert!(
        !t.cmd(&["hold", "add", "02-03/2021", "--reason", "c"])
            .status
            .success()
    );
    assert_eq!(audit_problems(&t).0, 1);
}

#[test]
fn a_deleted_audit_log_is_detected_and_never_restarted() {
    let t = ingested();
    fs::remove_file(t.root.join("journal/audit.jsonl")).unwrap();
    fs::remove_file(t.root.join("journal/audit.head")).unwrap();
    let (code, problems) = audit_problems(&t);
    assert_eq!(
        code, 1,
        "an archive with documents and no audit records is broken"
    );
    assert!(problems.contains("no records"), "{problems}");
    let extra = t.tmp.path().join("extra");
    fs::create_dir_all(&extra).unwrap();
    fs::write(extra.join("x.pdf"), b"%PDF-1.4 not really").unwrap();
    assert!(!t.cmd(&["ingest", extra.to_str().unwrap()]).status.success());
    assert!(
        !t.cmd(&["hold", "add", "02-03/2019", "--reason", "x"])
            .status
            .success()
    );
    assert!(
        !t.root.join("journal/audit.jsonl").exists()
            || fs::read(t.root.join("journal/audit.jsonl"))
                .unwrap()
                .is_empty()
    );
    // The loss can be recorded; it stays visible.
    assert_ne!(
        t.json(&["audit", "repair"]).0,
        0,
        "not without --accept-loss"
    );
    ok(&t, &["audit", "repair", "--accept-loss"]);
    let v = ok(&t, &["audit", "verify"]);
    assert!(
        v["incidents"].to_string().contains("accepted the loss"),
        "{v}"
    );
}

/// Rewrites the chain from record `from` (1-based) on, as an attacker who knows the
/// format would, and the head with it.
fn rechain(root: &Path, edit: impl Fn(&mut AuditRecord)) {
    let log = root.join("journal/audit.jsonl");
    let mut recs: Vec<AuditRecord> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut prev = archivist::store::audit::GENESIS.to_string();
    let mut out = String::new();
    for r in &mut recs {
        edit(r);
        r.prev = prev.clone();
        r.hash = r.compute_hash();
        prev = r.hash.clone();
        out.push_str(&serde_json::to_string(r).unwrap());
        out.push('\n');
    }
    fs::write(&log, out).unwrap();
    let last = recs.last().unwrap();
    fs::write(
        root.join("journal/audit.head"),
        serde_json::json!({"seq": last.seq, "hash": last.hash}).to_string(),
    )
    .unwrap();
}

#[test]
fn a_rechained_edit_contradicts_the_box_anchors_and_an_outside_anchor() {
    let t = TestArchive::new();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let mut files: Vec<PathBuf> = fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (first, second) = files.split_at(files.len() / 2);
    for half in [first, second] {
        let mut args = vec!["ingest".to_string()];
        args.extend(half.iter().map(|p| p.to_str().unwrap().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert!(t.cmd(&args).status.success());
    }
    let head = String::from_utf8(t.cmd(&["audit", "head"]).stdout)
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(audit_problems(&t).0, 0);
    rechain(&t.root, |r| {
        if r.seq == 2 {
            r.actor = "someone-else".into();
        }
    });
    // The chain itself is consistent again …
    assert!(
        archivist::store::audit::verify(&t.root.join("journal"))
            .unwrap()
            .ok
    );
    // … but the boxes written after record 2 remember the old chain.
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(
        problems.contains("was written when the log's head was record"),
        "{problems}"
    );
    let (code, v) = t.json(&["audit", "verify", "--anchor", &head]);
    assert_eq!(code, 1);
    assert!(
        v["problems"].to_string().contains("the anchor given"),
        "{v}"
    );
}

#[test]
fn verify_sees_what_was_removed_against_what_the_archive_holds() {
    let t = ingested();
    assert_eq!(t.json(&["verify"]).0, 0);
    let a = t.archive();
    let boxes = a.box_dirs();

    // A whole year.
    let year = boxes[0].parent().unwrap().to_path_buf();
    let aside = t.tmp.path().join("year-aside");
    fs::rename(&year, &aside).unwrap();
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1, "{v}");
    let rel = a.rel(&year);
    assert!(v["missing"].as_u64().unwrap() > 0);
    assert!(v["findings"].to_string().contains(&rel), "{v}");
    fs::rename(&aside, &year).unwrap();

    // bagit.txt (the box is no longer a bag to other tools).
    let bagit = boxes[1].join("bagit.txt");
    let keep = fs::read(&bagit).unwrap();
    fs::remove_file(&bagit).unwrap();
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1);
    assert!(
        v["findings"]
            .to_string()
            .contains(&format!("{}/bagit.txt", a.rel(&boxes[1]))),
        "{v}"
    );
    fs::write(&bagit, keep).unwrap();

    // tagmanifest-sha256.txt.
    let tag = boxes[1].join("tagmanifest-sha256.txt");
    let keep = fs::read(&tag).unwrap();
    fs::remove_file(&tag).unwrap();
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1);
    assert!(
        v["findings"].to_string().contains("tagmanifest-sha256.txt"),
        "{v}"
    );
    fs::write(&tag, keep).unwrap();

    // A document removed with its manifest lines, the tag manifest recomputed.
    let dir = &boxes[2];
    let manifest = fs::read_to_string(dir.join("manifest-sha256.txt")).unwrap();
    let scan_line = manifest.lines().find(|l| l.ends_with(".pdf")).unwrap();
    let scan = scan_line.split_whitespace().nth(1).unwrap().to_string();
    let stem = scan.trim_end_matches(".pdf").to_string();
    let kept: String = manifest
        .lines()
        .filter(|l| !l.split_whitespace().nth(1).unwrap().starts_with(&stem))
        .map(|l| format!("{l}\n"))
        .collect();
    for ext in ["pdf", "toml", "txt"] {
        let _ = fs::remove_file(dir.join(format!("{stem}.{ext}")));
    }
    fs::write(dir.join("manifest-sha256.txt"), &kept).unwrap();
    let tags: String = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
        .iter()
        .map(|n| format!("{}  {n}\n", sha256(&dir.join(n))))
        .collect();
    fs::write(dir.join("tagmanifest-sha256.txt"), tags).unwrap();
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["findings"]
            .to_string()
            .contains(&format!("{}/{scan}", a.rel(dir))),
        "{v}"
    );
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(problems.contains("is not in the archive"), "{problems}");
}

#[test]
fn deleted_receipts_and_fixity_history_are_detected() {
    let t = ingested();
    assert_eq!(t.json(&["verify"]).0, 0);
    let receipts = t.root.join("journal/receipts.jsonl");
    let keep = fs::read(&receipts).unwrap();
    fs::remove_file(&receipts).unwrap();
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1);
    assert!(
        v["findings"].to_string().contains("journal/receipts.jsonl"),
        "{v}"
    );
    assert_eq!(audit_problems(&t).0, 1);
    fs::write(&receipts, keep).unwrap();

    fs::remove_file(t.root.join("journal/fixity.jsonl")).unwrap();
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1);
    assert!(
        v["findings"].to_string().contains("journal/fixity.jsonl"),
        "{v}"
    );
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(problems.contains("runs were deleted"), "{problems}");
}

#[test]
fn a_failed_audit_append_leaves_no_partial_line_and_no_hold() {
    let t = ingested();
    let log = t.root.join("journal/audit.jsonl");
    let before = fs::read(&log).unwrap();
    // A file-size limit just above the log makes the append fail part way, as a full
    // disk does.
    let limit = before.len() as u64 + 20;
    let out = unsafe {
        Command::new(bin())
            .arg("--root")
            .arg(&t.root)
            .args(["hold", "add", "02-03/2019", "--reason", "диск полон"])
            .pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let lim = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            })
            .output()
            .unwrap()
    };
    assert!(!out.status.success(), "the append could not be made");
    assert_eq!(fs::read(&log).unwrap(), before, "no partial line is left");
    assert_eq!(
        ok(&t, &["hold", "list"]).as_array().unwrap().len(),
        0,
        "the hold was not placed"
    );
    assert!(!t.root.join("holds.toml").exists());
    // Every writer goes on.
    let v = ok(&t, &["hold", "add", "02-03/2019", "--reason", "место есть"]);
    assert_eq!(v["number"], 1);
    assert_eq!(audit_problems(&t).0, 0);
}

#[test]
fn a_torn_audit_line_is_moved_out_with_its_bytes_kept_and_writers_go_on() {
    let t = ingested();
    let log = t.root.join("journal/audit.jsonl");
    let torn = b"{\"seq\":15,\"time\":\"2026-11-";
    fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .and_then(|mut f| std::io::Write::write_all(&mut f, torn))
        .unwrap();
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1, "a torn line is reported");
    assert!(problems.contains("torn"), "{problems}");
    ok(&t, &["hold", "add", "02-03/2019", "--reason", "после сбоя"]);
    let kept: Vec<PathBuf> = fs::read_dir(t.root.join("journal/torn"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        fs::read(&kept[0]).unwrap(),
        torn,
        "the torn bytes are kept as evidence"
    );
    let v = ok(&t, &["audit", "verify"]);
    assert!(v["incidents"].to_string().contains("repaired"), "{v}");
}

#[test]
fn torn_and_merged_receipts_are_never_joined_and_can_be_repaired() {
    let t = ingested();
    let journal = t.root.join("journal");
    let receipts = journal.join("receipts.jsonl");
    let n = t.receipts().len();
    // A crash cut the last receipt short; the next ingest must not merge with it.
    fs::OpenOptions::new()
        .append(true)
        .open(&receipts)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{\"time\":\"2026"))
        .unwrap();
    let extra = t.tmp.path().join("extra");
    fs::create_dir_all(&extra).unwrap();
    fs::copy(
        fixtures_dir().join(&fixture_expected()[0].file),
        extra.join("again.pdf"),
    )
    .unwrap();
    assert!(t.cmd(&["ingest", extra.to_str().unwrap()]).status.success());
    assert_eq!(t.receipts().len(), n + 1, "the new receipt reads back");
    assert!(journal.join("torn").is_dir());

    // Two receipts merged into one line by an old writer: reported, then moved out.
    let mut text = fs::read_to_string(&receipts).unwrap();
    text.push_str("{\"time\":\"2026{\"time\":\"x\"}\n");
    fs::write(&receipts, text).unwrap();
    let (code, problems) = audit_problems(&t);
    assert_eq!(code, 1);
    assert!(problems.contains("damaged line"), "{problems}");
    let v = ok(&t, &["audit", "repair"]);
    assert!(v["repaired"].to_string().contains("receipts.jsonl"), "{v}");
    assert_eq!(audit_problems(&t).0, 0);
    assert_eq!(t.receipts().len(), n + 1);
}

#[test]
fn a_crash_leftover_is_cleaned_on_resume_and_the_destroyed_document_still_shows() {
    let t = ingested();
    let listed = draft(&t);
    approve(&t);
    let out = Command::new(bin())
        .arg("--root")
        .arg(&t.root)
        .args(["disposal", "execute", "1"])
        .env("ARCHIVIST_CRASH_AFTER_DESTROYED", "1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the crash hook must stop the run");
    // kill -9 in the middle of writing a tombstone leaves its temporary file.
    let a = t.archive();
    let dir = a.box_dirs()[0].join("data/journal");
    fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join(".archivist-tmp-AbC123");
    fs::write(&tmp, b"half a tombstone").unwrap();
    assert_eq!(t.json(&["verify"]).0, 1, "the leftover is seen");

    let v = ok(&t, &["disposal", "execute", "1"]);
    assert_eq!(v["act"]["state"], "executed");
    assert!(
        !tmp.exists(),
        "the leftover is cleaned when execution resumes"
    );
    assert_bags_valid(&t.archive());
    assert_eq!(t.json(&["verify"]).0, 0);
    assert_eq!(audit_problems(&t).0, 0);

    let id = listed.iter().next().unwrap();
    let v = ok(&t, &["show", &id[..12]]);
    assert_eq!(v["status"], "destroyed", "{v}");
    assert_eq!(v["destruction"]["act"], 1, "{v}");
    assert!(
        v["destruction"]["note"]
            .as_str()
            .unwrap()
            .contains("уничтожен по акту № 1"),
        "{v}"
    );
    assert_eq!(v["location"]["present"], false);
    assert!(v["history"].to_string().contains("destroyed"));
    let text = String::from_utf8(t.cmd(&["show", id]).stdout).unwrap();
    assert!(text.contains("DESTROYED"), "{text}");
}

#[test]
fn holds_and_audit_verify_work_through_the_library_alone() {
    use archivist::api::{Actor, Archivist};
    let dir = tempfile::tempdir().unwrap();
    let (ar, _) = Archivist::init(&dir.path().join("a"), None).unwrap();
    let me = Actor::new("библиотека");
    let h = ar.hold_add("02-03/2019", "проверка", &me).unwrap();
    assert_eq!(h.number, 1);
    assert!(ar.hold_add("99-99/2019", "нет такого", &me).is_err());
    assert_eq!(ar.holds(false).unwrap().len(), 1);
    assert!(ar.audit_verify(None).unwrap().ok);
    fs::remove_file(dir.path().join("a/holds.toml")).unwrap();
    assert!(!ar.audit_verify(None).unwrap().ok);
    ar.holds_rebuild(&me).unwrap();
    let rep = ar.audit_verify(Some(&ar.audit_head().unwrap())).unwrap();
    assert!(rep.ok, "{:?}", rep.problems);
    assert_eq!(ar.hold_release("#1", "снята", &me).unwrap().len(), 1);
    assert!(ar.holds(false).unwrap().is_empty());
}
