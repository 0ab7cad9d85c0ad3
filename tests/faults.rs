//! Faults (issue 5): the disk fills up during ingest.
//! No partial file in a box, no lost scan, the watcher keeps running and ingests once
//! the fault is gone. Uses a size-capped tmpfs, which needs root (CI runs as root).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use archivist::store::receipts::Outcome;
use common::*;

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("cannot mount a tmpfs (CI runs as root and must be able to)");
            }
            eprintln!("SKIPPED: cannot mount a size-capped tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn fill(dir: &Path, leave: u64) -> PathBuf {
    let filler = dir.join("filler");
    let mut f = fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    use std::io::Write;
    while f.write_all(&chunk).is_ok() {}
    drop(f);
    // Free a little, less than one scan needs.
    let len = fs::metadata(&filler).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(leave))
        .unwrap();
    filler
}

#[test]
fn a_full_disk_defers_the_scan_and_the_watcher_ingests_once_space_is_freed() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(mnt) = Tmpfs::mount(&tmp.path().join("fs"), "6m") else {
        return;
    };
    let root = mnt.0.join("archive");
    let out = Command::new(bin())
        .arg("--root")
        .arg(&root)
        .arg("init")
        .output()
        .unwrap();
    assert!(out.status.success());
    fs::write(root.join("archivist.toml"), "[watch]\nstable_secs = 0.3\npoll_ms = 50\nrescan_secs = 1\nretry_min_secs = 1\nretry_max_secs = 2\n[ocr]\nenabled = false\n").unwrap();
    let exp = fixture_expected();
    let scans: Vec<_> = exp
        .iter()
        .take(3)
        .map(|e| copy_into(&fixtures_dir().join(&e.file), &root.join("inbox")))
        .collect();
    let filler = fill(&mnt.0, 20 * 1024);

    let log = fs::File::create(tmp.path().join("watch.log")).unwrap();
    let mut w = Command::new(bin())
        .arg("--root")
        .arg(&root)
        .arg("watch")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let receipts =
        || archivist::store::receipts::read_all(&root.join("journal")).unwrap_or_default();
    let watch_log = || fs::read_to_string(tmp.path().join("watch.log")).unwrap_or_default();
    // The failure is reported (a deferred receipt, or a batch that could not commit).
    assert!(
        wait_until(Duration::from_secs(30), || receipts()
            .iter()
            .any(|r| r.outcome == Outcome::Deferred)
            || watch_log().contains("No space left")),
        "{}",
        watch_log()
    );
    assert!(w.try_wait().unwrap().is_none(), "the watcher keeps running");
    for s in &scans {
        let archived = receipts().iter().any(|r| {
            r.outcome == Outcome::Archived && r.path == s.file_name().unwrap().to_string_lossy()
        });
        assert!(s.exists() || archived, "{} lost", s.display());
    }
    assert_boxes_consistent(&root);

    fs::remove_file(&filler).unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || scans
            .iter()
            .all(|s| !s.exists())),
        "not ingested after space was freed:\n{}",
        watch_log()
    );
    assert_eq!(interrupt(&mut w), Some(0));
    let archived: Vec<_> = receipts()
        .into_iter()
        .filter(|r| r.outcome == Outcome::Archived)
        .collect();
    assert_eq!(archived.len(), scans.len(), "{:?}", receipts());
    assert_boxes_consistent(&root);
    let out = Command::new(bin())
        .arg("--root")
        .arg(&root)
        .args(["verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
