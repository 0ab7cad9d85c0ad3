//! The on-disk formats are a promise to people who read the archive without archivist:
//! ingesting the fixture scans must give exactly the committed sidecars, manifests and
//! bag-info labels (times and the archive's absolute location aside). A deliberate format
//! change regenerates them with `UPDATE_GOLDEN=1 cargo test --test golden` and shows up
//! in review as a diff of `tests/golden/`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;

/// Lines that differ between runs for reasons that are not the format.
fn normalise(rel: &str, text: &str) -> String {
    text.lines()
        .map(|l| {
            if rel.ends_with("bag-info.txt") && l.starts_with("Bagging-Date:") {
                "Bagging-Date: <date>".to_string()
            } else if let Some(oxum) = l.strip_prefix("Payload-Oxum: ") {
                // Octets include the sidecars, whose times vary in length.
                let streams = oxum.split('.').nth(1).unwrap_or("");
                format!("Payload-Oxum: <octets>.{streams}")
            } else if let Some(head) = l.strip_prefix("Audit-Head: ") {
                // The chain's hashes cover the records' times: keep the sequence number.
                let seq = head.split(' ').next().unwrap_or("");
                format!("Audit-Head: {seq} <hash>")
            } else if rel.ends_with(".toml") && l.starts_with("ingested_at = ") {
                "ingested_at = <time>".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Manifest lines of sidecars carry hashes of the times normalised above: keep the path.
fn normalise_manifest(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("  ") {
            Some((_, path)) if path.ends_with(".toml") => format!("<sidecar hash>  {path}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let boxes = root.join("boxes");
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(&boxes).sort_by_file_name() {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(&boxes)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let keep = rel.ends_with(".toml")
            || rel.ends_with("bag-info.txt")
            || rel.ends_with("manifest-sha256.txt") && !rel.ends_with("tagmanifest-sha256.txt")
            || rel.ends_with("bagit.txt");
        if !keep {
            continue;
        }
        let text = fs::read_to_string(e.path()).unwrap();
        let text = if rel.ends_with("/manifest-sha256.txt") {
            normalise_manifest(&text)
        } else {
            normalise(&rel, &text)
        };
        out.insert(rel, text);
    }
    out
}

#[test]
fn ingesting_the_fixtures_gives_the_committed_sidecars_manifests_and_labels() {
    let t = TestArchive::new();
    let src = fixture_pdfs_in(&t.tmp.path().join("scans"));
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = snapshot(&t.root);
    let golden = repo().join("tests/golden/boxes");
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        let _ = fs::remove_dir_all(&golden);
        for (rel, text) in &got {
            let p = golden.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        return;
    }
    let want = snapshot_dir(&golden);
    let got_names: Vec<&String> = got.keys().collect();
    let want_names: Vec<&String> = want.keys().collect();
    assert_eq!(
        got_names, want_names,
        "the files in the boxes changed (UPDATE_GOLDEN=1 regenerates tests/golden after a deliberate format change)"
    );
    for (rel, text) in &got {
        assert_eq!(
            text, &want[rel],
            "{rel} differs from tests/golden/boxes/{rel} (UPDATE_GOLDEN=1 regenerates after a deliberate format change)"
        );
    }
}

/// The committed golden files, as they are.
fn snapshot_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .to_string();
            out.insert(rel, fs::read_to_string(e.path()).unwrap());
        }
    }
    out
}
