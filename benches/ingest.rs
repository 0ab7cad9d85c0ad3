//! Ingest benchmark (issue 2): 1,000 generated scans through `archivist ingest`, side by
//! side with the floor — read + SHA-256 + copy + fsync + rename of the same files — and
//! peak memory for 1,000 vs 4,000 files, and an idle watcher's memory.
//!
//! Run: `cargo bench --bench ingest` (BENCH_DOCS=N to change the count).

mod common;

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sha2::{Digest, Sha256};

fn floor(files: &[std::path::PathBuf], dest: &std::path::Path) -> (Duration, u64) {
    fs::create_dir_all(dest).unwrap();
    let start = Instant::now();
    let mut bytes = 0u64;
    for f in files {
        let data = fs::read(f).unwrap();
        let _digest = Sha256::digest(&data);
        let name = f.file_name().unwrap();
        let tmp = dest.join(format!(".tmp-{}", name.to_string_lossy()));
        let mut out = fs::File::create(&tmp).unwrap();
        out.write_all(&data).unwrap();
        out.sync_all().unwrap();
        fs::rename(&tmp, dest.join(name)).unwrap();
        bytes += data.len() as u64;
    }
    fs::File::open(dest).unwrap().sync_all().unwrap();
    (start.elapsed(), bytes)
}

fn ingest(src: &std::path::Path, root: &std::path::Path) -> ChildRun {
    let _ = fs::remove_dir_all(root);
    let run = run_measured(
        Command::new(bin())
            .arg("--root")
            .arg(root)
            .arg("--quiet")
            .arg("--json")
            .arg("ingest")
            .arg(src)
            .stdout(Stdio::null()),
    );
    assert_eq!(run.status, 0, "ingest failed");
    run
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = env_usize("BENCH_DOCS", 1000);
    let work = data_dir().join("ingest-run");
    let big = scans(n);
    let large = scans(n * 4);
    let files = pdfs(&big);
    let total: u64 = files.iter().map(|f| fs::metadata(f).unwrap().len()).sum();

    let _ = fs::remove_dir_all(&work);
    // Interleaved rounds on fresh folders, deleting nothing until the end: on this
    // machine's ext4 (no journal), creating files right after many deletions is several
    // times slower, so a run that followed a deletion would not be comparable. Medians.
    let rounds: usize = env_usize("BENCH_ROUNDS", 3);
    let (mut floor_ts, mut runs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        let (floor_t, _) = floor(&files, &work.join(format!("floor-{r}")));
        let run = ingest(&big, &work.join(format!("archive-{r}")));
        ratios.push(floor_t.as_secs_f64() / run.wall.as_secs_f64());
        eprintln!(
            "round {}: floor {:.2} s, archivist {:.2} s, ratio {:.2}",
            r + 1,
            floor_t.as_secs_f64(),
            run.wall.as_secs_f64(),
            ratios[r]
        );
        floor_ts.push(floor_t);
        runs.push(run);
    }
    let large_run = ingest(&large, &work.join("archive-large"));
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let floor_t = Duration::from_secs_f64(median(
        &mut floor_ts.iter().map(Duration::as_secs_f64).collect(),
    ));
    let ratio = median(&mut ratios);
    let run = ChildRun {
        wall: Duration::from_secs_f64(median(
            &mut runs.iter().map(|r| r.wall.as_secs_f64()).collect(),
        )),
        max_rss_kb: runs.iter().map(|r| r.max_rss_kb).max().unwrap_or(0),
        status: 0,
    };

    // Idle watcher: start on the archive just built, let it settle, read its resident size.
    let mut w = Command::new(bin())
        .arg("--root")
        .arg(work.join("archive-0"))
        .arg("--quiet")
        .arg("watch")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let status = fs::read_to_string(format!("/proc/{}/status", w.id())).unwrap_or_default();
    let rss = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    };
    let (idle_rss, idle_hwm) = (rss("VmRSS:"), rss("VmHWM:"));
    unsafe { libc::kill(w.id() as i32, libc::SIGINT) };
    let _ = w.wait();

    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "\ningest benchmark: {n} generated scans (medians of {rounds} rounds), {:.1} MB, {:.0} KB/scan on average",
        mb(total),
        total as f64 / n as f64 / 1e3
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "", "docs/s", "MB/s", "peak RSS"
    );
    println!(
        "{:<44} {:>10.0} {:>10.1} {:>12}",
        "floor: read+SHA-256+copy+fsync+rename",
        n as f64 / secs(floor_t),
        mb(total) / secs(floor_t),
        "-"
    );
    println!(
        "{:<44} {:>10.0} {:>10.1} {:>9} MB",
        "archivist ingest (validate, classify, bag)",
        n as f64 / secs(run.wall),
        mb(total) / secs(run.wall),
        run.max_rss_kb / 1024
    );
    println!(
        "{:<44} {:>10.0} {:>10.1} {:>9} MB",
        format!("archivist ingest, {} scans (once)", n * 4),
        (n * 4) as f64 / secs(large_run.wall),
        "",
        large_run.max_rss_kb / 1024
    );
    println!("ratio archivist/floor (median of {rounds} interleaved rounds): {ratio:.2}");
    println!(
        "idle watcher on {n} documents: RSS {} MB (peak {} MB)",
        idle_rss / 1024,
        idle_hwm / 1024
    );
    let _ = fs::remove_dir_all(&work);
}
