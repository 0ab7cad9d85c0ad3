//! Idle watcher benchmark (issue 9): CPU used by a real `archivist watch` child that has
//! nothing to do, over a minute, on an empty archive and on one with 1,000 documents
//! (target: under 1% of one core). The inbox holds the documented `<group>/<kind>/`
//! sub-folders, which used to livelock the watcher. CPU time is read from
//! /proc/PID/stat (utime + stime); the reference is the same reading for `sleep`.
//!
//! Run: `cargo bench --bench watch_idle` (BENCH_SECS=N to change the window,
//! BENCH_DOCS=N the archive size).

mod common;

use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
}

fn rss_kb(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

struct Idle {
    cpu_percent: f64,
    rss_mb: u64,
}

/// Starts `cmd`, waits `settle` (start-up work is not idling), then measures the CPU it
/// uses over `window`.
fn measure(cmd: &mut Command, settle: Duration, window: Duration) -> Idle {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(settle);
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let (t0, c0) = (Instant::now(), cpu_ticks(child.id()));
    std::thread::sleep(window);
    let (wall, used) = (t0.elapsed(), cpu_ticks(child.id()) - c0);
    let rss_mb = rss_kb(child.id()) / 1024;
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let _ = child.wait();
    Idle {
        cpu_percent: used as f64 / hz / wall.as_secs_f64() * 100.0,
        rss_mb,
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = env_usize("BENCH_SECS", 60) as u64;
    let docs = env_usize("BENCH_DOCS", 1000);
    let (window, settle) = (Duration::from_secs(secs), Duration::from_secs(5));
    let mut rows = Vec::new();
    for n in [0, docs] {
        let root = data_dir().join(format!("watch-idle-{n}"));
        if n > 0 && !root.join("boxes").is_dir() {
            let _ = fs::remove_dir_all(&root);
            let run = run_measured(
                Command::new(bin())
                    .arg("--root")
                    .arg(&root)
                    .args(["--quiet", "--json", "ingest"])
                    .arg(scans(n))
                    .stdout(Stdio::null()),
            );
            assert_eq!(run.status, 0, "ingest of {n} scans failed");
        }
        for sub in [
            "ПК-2024-017/journal",
            "ПК-2024-017/order-completion",
            "ПП-2023-004",
        ] {
            fs::create_dir_all(root.join("inbox").join(sub)).unwrap();
        }
        eprintln!("measuring an idle watcher on {n} documents for {secs} s …");
        let idle = measure(
            Command::new(bin())
                .arg("--root")
                .arg(&root)
                .args(["--quiet", "watch"]),
            settle,
            window,
        );
        rows.push((format!("archivist watch, {n} documents"), idle));
    }
    let reference = measure(Command::new("sleep").arg("3600"), settle, window);
    println!(
        "\nidle watcher benchmark: CPU over {secs} s after {}s of start-up, inbox with sub-folders",
        settle.as_secs()
    );
    println!("{:<36} {:>10} {:>10}", "", "CPU %", "RSS");
    for (name, r) in rows.iter().chain(std::iter::once(&(
        "reference: sleep".to_string(),
        reference,
    ))) {
        println!("{name:<36} {:>9.2}% {:>7} MB", r.cpu_percent, r.rss_mb);
    }
    println!("target: under 1% of one core");
}
