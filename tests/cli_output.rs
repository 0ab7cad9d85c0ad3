//! What the command line prints, as a terminal or a script meets it: output into a pipe
//! that closes early, and text from scans that tries to drive the terminal.

mod common;

use std::process::{Command, Stdio};

use common::{TestArchive, bin, fixtures_dir};

fn archive_with_fixtures() -> TestArchive {
    let t = TestArchive::new();
    let fixtures = fixtures_dir();
    let out = t.cmd(&["ingest", fixtures.to_str().unwrap()]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

/// Runs a command whose standard output is a pipe nobody reads (`… | head` after head
/// has gone): it must end quietly, not panic.
fn into_closed_pipe(t: &TestArchive, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(bin())
        .arg("--root")
        .arg(&t.root)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn commands_piped_into_a_reader_that_went_away_end_quietly() {
    let t = archive_with_fixtures();
    let id = {
        let (_, v) = t.json(&["search", "Иванов"]);
        v["hits"][0]["id"].as_str().unwrap().to_string()
    };
    for args in [
        vec!["search", "Иванов"],
        vec!["--json", "search", "Иванов"],
        vec!["learner", "Иванов А. С."],
        vec!["learner", "Иванов А. С.", "--format", "md"],
        vec!["show", &id],
        vec!["retention"],
        vec!["hold", "list"],
        vec!["disposal", "list"],
        vec!["audit", "verify"],
        vec!["verify"],
        vec!["check"],
        vec!["labels", "--sheets"],
    ] {
        let (code, stderr) = into_closed_pipe(&t, &args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(code, Some(101), "{args:?}: {stderr}");
        assert!(code.is_some(), "{args:?} was killed by a signal");
    }
}

#[test]
fn control_characters_from_a_scan_are_shown_not_obeyed() {
    let t = TestArchive::new();
    let scan = fixtures_dir().join("scan_0001.pdf");
    let outside = t.root.parent().unwrap().to_path_buf();
    std::fs::copy(&scan, outside.join("hostile.pdf")).unwrap();
    // Staff metadata (a sidecar) with an escape sequence that would clear the screen and
    // a bell, as a forged or garbled sidecar could carry.
    std::fs::write(
        outside.join("hostile.pdf.toml"),
        "kind = \"journal\"\ngroup = \"ПК-2024-001\"\ndate = \"2024-03-15\"\ntitle = \"Журнал \\u001b[2J\\u0007 группы\"\n",
    )
    .unwrap();
    let src = outside.join("hostile.pdf");
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, v) = t.json(&["search", "журнал"]);
    let id = v["hits"][0]["id"].as_str().unwrap().to_string();
    for args in [vec!["show", id.as_str()], vec!["search", "журнал"]] {
        let out = t.cmd(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
            "{args:?} printed raw control characters: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Журнал"),
            "{args:?}"
        );
    }
    // JSON keeps the value exactly (escaped by JSON itself).
    let (_, v) = t.json(&["show", &id]);
    assert_eq!(v["metadata"]["title"], "Журнал \u{1b}[2J\u{7} группы");
}
