//! Shared helpers for the integration tests: a temp archive, the real binary, the real
//! watcher, and polls with deadlines (never sleeps as synchronisation).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use archivist::store::receipts::Receipt;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_archivist"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the shared real-world corpus would be (`../shared/corpus`, or $ARCHIVIST_CORPUS).
pub fn corpus_dir() -> PathBuf {
    if let Ok(p) = std::env::var("ARCHIVIST_CORPUS") {
        return PathBuf::from(p);
    }
    repo().join("../shared/corpus")
}

/// The real-world corpus, which lives beside the repository, not in it: a bare clone
/// skips what needs it (with a message); on CI (`CI=true`) it is required.
pub fn corpus() -> Option<PathBuf> {
    let dir = corpus_dir();
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "the real-world corpus is required on CI and is not at {} (set ARCHIVIST_CORPUS)",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED: the real-world corpus is not at {} (it is kept beside the repository; set ARCHIVIST_CORPUS), so the checks that need it were skipped",
        dir.display()
    );
    None
}

/// A real PDF (an office letter) that is none of the archive's kinds.
pub fn unclassifiable_pdf(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(dir).unwrap();
    let pdf = fixturegen::plain_pdf(&[
        "Minutes of the staff meeting",
        "The kitchen will be closed on Friday for cleaning.",
        "Please take your cups home.",
    ])
    .unwrap();
    std::fs::write(&p, pdf).unwrap();
    p
}

/// The committed fixture scans and what each is.
pub fn fixtures_dir() -> PathBuf {
    repo().join("fixtures/scans")
}

/// The committed fixture PDFs copied into a fresh folder (without expected.json).
pub fn fixture_pdfs_in(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for e in fixture_expected() {
        std::fs::copy(fixtures_dir().join(&e.file), dir.join(&e.file)).unwrap();
    }
    dir.to_path_buf()
}

pub fn fixture_expected() -> Vec<fixturegen::Expected> {
    let text = std::fs::read_to_string(fixtures_dir().join("expected.json"))
        .expect("fixtures/scans/expected.json");
    serde_json::from_str(&text).expect("valid expected.json")
}

/// True when an external tool is on PATH. Off CI a missing tool skips the check with a
/// message; on CI (CI=true) it fails, because .ci/run installs it.
pub fn have_tool(name: &str) -> bool {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is required on CI (.ci/run installs it)");
        }
        eprintln!(
            "SKIPPED: {name} is not installed, so this check was skipped (.ci/run installs it)"
        );
    }
    ok
}

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

pub struct TestArchive {
    pub tmp: tempfile::TempDir,
    pub root: PathBuf,
}

pub const FAST_CONFIG: &str =
    "[watch]\nstable_secs = 0.5\npoll_ms = 50\nrescan_secs = 2\nretry_min_secs = 1\n";

impl TestArchive {
    pub fn new() -> TestArchive {
        Self::with_config(FAST_CONFIG)
    }

    pub fn with_config(cfg: &str) -> TestArchive {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("archive");
        std::fs::create_dir_all(&root).unwrap();
        let out = Command::new(bin())
            .arg("--root")
            .arg(&root)
            .arg("init")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Tests use a short stability delay; everything else is the documented default.
        std::fs::write(root.join("archivist.toml"), cfg).unwrap();
        TestArchive { tmp, root }
    }

    pub fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }

    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .output()
            .expect("run archivist")
    }

    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.cmd(&a);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }

    pub fn spawn_watch(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.tmp.path().join("watch.log"))
            .unwrap();
        Command::new(bin())
            .arg("--root")
            .arg(&self.root)
            .arg("watch")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn watch")
    }

    /// Waits until the watcher says it is watching (index open, start-up done).
    pub fn wait_watching(&self) {
        self.wait_logged("watching", Duration::from_secs(60));
    }

    /// Waits until the watcher's log holds `text`; fails with the log otherwise.
    pub fn wait_logged(&self, text: &str, within: Duration) {
        assert!(
            wait_until(within, || self.watch_log().contains(text)),
            "the watcher did not log {text:?}:\n{}",
            self.watch_log()
        );
    }

    pub fn watch_log(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("watch.log")).unwrap_or_default()
    }

    pub fn receipts(&self) -> Vec<Receipt> {
        archivist::store::receipts::read_all(&self.root.join("journal")).unwrap()
    }

    pub fn inbox_files(&self) -> Vec<PathBuf> {
        walkdir::WalkDir::new(self.inbox())
            .into_iter()
            .flatten()
            .filter(|e| !e.file_type().is_dir())
            .map(|e| e.into_path())
            .collect()
    }

    pub fn archive(&self) -> archivist::store::archive::Archive {
        archivist::store::archive::Archive::open(&self.root, None).unwrap()
    }
}

/// Stops a watcher with SIGINT (as Ctrl-C does) and returns its exit code.
pub fn interrupt(child: &mut Child) -> Option<i32> {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let mut code = None;
    wait_until(Duration::from_secs(30), || match child.try_wait() {
        Ok(Some(s)) => {
            code = s.code();
            true
        }
        _ => false,
    });
    code
}

pub fn copy_into(src: &Path, dir: &Path) -> PathBuf {
    let dest = dir.join(src.file_name().unwrap());
    std::fs::copy(src, &dest).unwrap();
    dest
}

pub fn sha256(p: &Path) -> String {
    archivist::store::fsutil::sha256_file(p).unwrap().0
}

/// Every box validates with the Library of Congress validator (skipped off CI if absent).
pub fn assert_bags_valid(a: &archivist::store::archive::Archive) {
    if !have_tool("bagit.py") {
        return;
    }
    for dir in a.box_dirs() {
        let out = Command::new("bagit.py")
            .arg("--validate")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "bagit.py --validate {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every box's manifest matches its files, and no file under data/ is missing from it
/// (no partial, temp or untracked file was left).
pub fn assert_boxes_consistent(root: &Path) {
    let a = archivist::store::archive::Archive::open(root, None).unwrap();
    for dir in a.box_dirs() {
        let manifest = archivist::store::boxes::read_manifest(&dir).unwrap();
        for e in walkdir::WalkDir::new(dir.join("data"))
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file() {
                let rel = e
                    .path()
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                assert!(
                    manifest.contains_key(&rel),
                    "partial, temp or untracked file left in a box: {rel}"
                );
            }
        }
        for (rel, sha) in &manifest {
            assert_eq!(
                &sha256(&dir.join(rel)),
                sha,
                "manifest entry {rel} does not match the file"
            );
        }
    }
}
