//! The search index under attack (issue 9): it falls behind after a kill or a full disk,
//! or is damaged; the watcher finds the gaps at start and after an error, repairs them
//! from the boxes and says so.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use archivist::search::{IndexSink, Sink};
use archivist::store::document::DocumentMeta;
use common::*;

struct Watch(std::process::Child);

impl Drop for Watch {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn check_ok(t: &TestArchive) -> bool {
    let (code, v) = t.json(&["check"]);
    code == 0 && v["ok"] == true
}

#[test]
fn the_watcher_repairs_an_index_that_lost_documents_or_kept_deleted_ones() {
    let t = TestArchive::with_config(&format!("{FAST_CONFIG}[ocr]\nenabled = false\n"));
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let (code, v) = t.json(&["ingest", src.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    // The index loses three documents and gains one with no document, as after a kill
    // between a batch's commit and the index's.
    let a = t.archive();
    let cat = a.catalogue().unwrap();
    let ids: Vec<String> = cat.keys().take(3).collect();
    let any = cat.values().next().unwrap();
    let mut orphan: DocumentMeta = a.read_meta(&any).unwrap();
    orphan.id = "f".repeat(64);
    {
        let mut sink = Sink::open(&a.index).unwrap();
        for id in &ids {
            sink.remove(id).unwrap();
        }
        sink.add(&orphan, "").unwrap();
        sink.commit().unwrap();
    }
    let (code, v) = t.json(&["check"]);
    assert_eq!(code, 1, "the damage is visible: {v}");
    assert_eq!(v["missing_from_index"].as_array().unwrap().len(), 3, "{v}");

    let mut w = Watch(t.spawn_watch());
    assert!(
        wait_until(Duration::from_secs(60), || check_ok(&t)),
        "the index was not repaired:\n{}",
        t.watch_log()
    );
    // The line is written just after the index commit a `check` may already see.
    t.wait_logged("repaired", Duration::from_secs(10));
    assert_eq!(interrupt(&mut w.0), Some(0));
    let (_, v) = t.json(&["check"]);
    assert_eq!(v["index"], cat.len(), "{v}");
}

#[test]
fn a_damaged_index_is_moved_aside_and_rebuilt_instead_of_stopping_the_watcher() {
    let t = TestArchive::with_config(&format!("{FAST_CONFIG}[ocr]\nenabled = false\n"));
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let (code, _) = t.json(&["ingest", src.to_str().unwrap()]);
    assert_eq!(code, 0);
    fs::write(
        t.root.join("index/meta.json"),
        b"{ this is not the index's meta",
    )
    .unwrap();
    let mut w = Watch(t.spawn_watch());
    t.wait_watching();
    assert!(
        w.0.try_wait().unwrap().is_none(),
        "the watcher must keep running:\n{}",
        t.watch_log()
    );
    assert!(
        t.watch_log().contains("rebuilt"),
        "the rebuild is logged:\n{}",
        t.watch_log()
    );
    assert!(
        wait_until(Duration::from_secs(30), || check_ok(&t)),
        "{}",
        t.watch_log()
    );
    let aside = fs::read_dir(&t.root).unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("index.damaged-")
    });
    assert!(aside, "the damaged index is kept for inspection");
    assert_eq!(interrupt(&mut w.0), Some(0));
}

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

#[test]
fn after_the_index_disk_fills_up_the_watcher_reopens_the_index_and_catches_up() {
    let t = TestArchive::new();
    let Some(mnt) = Tmpfs::mount(&t.tmp.path().join("ixfs"), "4m") else {
        return;
    };
    let index = mnt.0.join("index");
    fs::write(
        t.root.join("archivist.toml"),
        format!(
            "{FAST_CONFIG}retry_max_secs = 2\n[paths]\nindex = \"{}\"\n[ocr]\nenabled = false\n",
            index.display()
        ),
    )
    .unwrap();
    let mut w = Watch(t.spawn_watch());
    t.wait_watching();
    // The index's disk is full; the archive's is not.
    let filler = mnt.0.join("filler");
    {
        use std::io::Write;
        let mut f = fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
    }
    let exp = fixture_expected();
    for e in exp.iter().take(4) {
        copy_into(&fixtures_dir().join(&e.file), &t.inbox());
    }
    assert!(
        wait_until(Duration::from_secs(60), || t.receipts().len() >= 4
            && t.inbox_files().is_empty()),
        "{}",
        t.watch_log()
    );
    assert!(
        wait_until(Duration::from_secs(30), || t
            .watch_log()
            .contains("search index could not")),
        "the index error is reported:\n{}",
        t.watch_log()
    );
    fs::remove_file(&filler).unwrap();
    // One more scan after the disk has room again, and the four before it: all indexed.
    copy_into(&fixtures_dir().join(&exp[4].file), &t.inbox());
    assert!(
        wait_until(Duration::from_secs(90), || {
            let (_, v) = t.json(&["check"]);
            v["ok"] == true && v["index"] == 5
        }),
        "the index did not catch up:\n{}\n{}",
        t.json(&["check"]).1,
        t.watch_log()
    );
    assert!(w.0.try_wait().unwrap().is_none());
    assert_eq!(interrupt(&mut w.0), Some(0));
}
