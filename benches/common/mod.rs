//! Shared benchmark helpers: generated data cached under target/, child processes with
//! their peak memory (ru_maxrss from wait4).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A size or count from the environment (`BENCH_DOCS=…`), or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_archivist"))
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

/// Generated scans (seed 42), cached between runs.
pub fn scans(count: usize) -> PathBuf {
    let dir = data_dir().join(format!("scans-{count}"));
    // expected.json is kept beside the folder, so the folder holds scans only.
    let done = data_dir().join(format!("scans-{count}.expected.json"));
    if !done.is_file() {
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!("generating {count} scans into {} …", dir.display());
        let opts = fixturegen::GenOptions {
            seed: 42,
            count,
            ..Default::default()
        };
        fixturegen::write_set(&dir, &opts).expect("generate scans");
        std::fs::rename(dir.join("expected.json"), &done).expect("move expected.json");
    }
    dir
}

pub fn pdfs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    v.sort();
    v
}

pub struct ChildRun {
    pub wall: Duration,
    pub max_rss_kb: i64,
    pub status: i32,
}

/// Runs a command and returns its wall time and peak resident memory.
pub fn run_measured(cmd: &mut Command) -> ChildRun {
    let start = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as i32;
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child; `ru` is a valid out-pointer.
    unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    std::mem::forget(child);
    ChildRun {
        wall: start.elapsed(),
        max_rss_kb: ru.ru_maxrss,
        status: libc::WEXITSTATUS(status),
    }
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Starts the audit log of a generated archive, as ingesting would have: the library
/// refuses to write to an archive that holds boxes but no audit log (it was deleted).
pub fn start_audit_log(a: &archivist::store::archive::Archive) {
    use archivist::store::audit::{Actor, AuditLog, Event};
    let log = a.journal.join("audit.jsonl");
    if std::fs::metadata(&log).map_or(0, |m| m.len()) > 0 {
        return;
    }
    // Data cached by an older bench run, without a log: made again from scratch.
    let _ = std::fs::remove_dir_all(&a.boxes);
    let _ = std::fs::remove_dir_all(&a.index);
    let _ = std::fs::remove_file(a.root.join("generated"));
    // Every journal goes with them: a fixity history or receipts without an audit log
    // read, to the library, as a deleted log.
    let _ = std::fs::remove_dir_all(&a.journal);
    let _ = std::fs::create_dir_all(&a.journal);
    AuditLog::open(&a.journal, &Actor::system())
        .unwrap()
        .append_one(Event::new("bench-archive-generated"))
        .unwrap();
}
