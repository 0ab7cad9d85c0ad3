//! Fault campaign (issue 9): `watch` is killed with SIGKILL again and again while scans
//! arrive in nested `<group>/<kind>/` inbox folders, some written slowly (a pause with the
//! file still open, then the rest appended), some with sidecars written before them and
//! some with sidecars that come late. Afterwards every scan is archived exactly once (or
//! still waiting), every late sidecar has a receipt, the index is complete, and `verify`,
//! `audit verify` and `check` are clean.
//!
//! Bounded for CI (about a minute); `CAMPAIGN_SCANS=300 CAMPAIGN_KILLS=40 cargo test
//! --test watch_campaign -- --ignored` runs the long one. `CAMPAIGN_SEED` replays one.

mod common;

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use archivist::store::receipts::Outcome;
use common::*;

const CONFIG: &str = "[watch]\nstable_secs = 0.3\npoll_ms = 20\nrescan_secs = 1\nbatch_max = 8\nretry_min_secs = 1\nretry_max_secs = 2\nsidecar_wait_secs = 10\norphan_sidecar_secs = 2\n[ocr]\nenabled = false\n";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Arrival {
    /// Copied in one go.
    Whole,
    /// Half written, a pause with the file open, the rest appended.
    Paused,
    /// Its sidecar written first, slowly, then the scan.
    SidecarFirst,
    /// The scan, and its sidecar only after the scan has been handled.
    LateSidecar,
}

struct Scan {
    src: PathBuf,
    dest: PathBuf,
    sha: String,
    arrival: Arrival,
}

/// Delivers one scan into the inbox the way its arrival says.
fn deliver(s: &Scan, kind: &str, date: &str, stop: &AtomicBool) {
    fs::create_dir_all(s.dest.parent().unwrap()).unwrap();
    let bytes = fs::read(&s.src).unwrap();
    let sidecar = format!("{}.toml", s.dest.display());
    match s.arrival {
        Arrival::Whole => {
            let tmp = s.dest.with_extension("pdf.part");
            fs::write(&tmp, &bytes).unwrap();
            fs::rename(&tmp, &s.dest).unwrap();
        }
        Arrival::Paused => {
            let mut f = fs::File::create(&s.dest).unwrap();
            f.write_all(&bytes[..bytes.len() / 2]).unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(1500));
            f.write_all(&bytes[bytes.len() / 2..]).unwrap();
        }
        Arrival::SidecarFirst => {
            let mut f = fs::File::create(&sidecar).unwrap();
            f.write_all(format!("kind = \"{kind}\"\n").as_bytes())
                .unwrap();
            fs::write(&s.dest, &bytes).unwrap();
            std::thread::sleep(Duration::from_millis(800));
            f.write_all(format!("date = {date}\n").as_bytes()).unwrap();
        }
        Arrival::LateSidecar => {
            fs::write(&s.dest, &bytes).unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            while s.dest.exists() && Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            fs::write(&sidecar, format!("kind = \"{kind}\"\n")).unwrap();
        }
    }
}

fn campaign(scans: usize, kills: usize) {
    let t = TestArchive::with_config(CONFIG);
    let seed = env("CAMPAIGN_SEED", fastrand::u64(..));
    eprintln!("campaign seed {seed} (set CAMPAIGN_SEED to replay): {scans} scans, {kills} kills");
    let mut rng = fastrand::Rng::with_seed(seed);
    let gen_dir = t.tmp.path().join("gen");
    let expected = fixturegen::write_set(
        &gen_dir,
        &fixturegen::GenOptions {
            seed,
            count: scans,
            ..Default::default()
        },
    )
    .unwrap();
    let plan: Vec<(Scan, String, String)> = expected
        .iter()
        .map(|e| {
            let arrival = match rng.u8(0..10) {
                0..=4 => Arrival::Whole,
                5..=6 => Arrival::Paused,
                7..=8 => Arrival::SidecarFirst,
                _ => Arrival::LateSidecar,
            };
            let src = gen_dir.join(&e.file);
            let scan = Scan {
                sha: sha256(&src),
                dest: t.inbox().join(&e.group).join(&e.kind).join(&e.file),
                src,
                arrival,
            };
            (scan, e.kind.clone(), e.date.format("%Y-%m-%d").to_string())
        })
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let mut w = t.spawn_watch();
    let mut killed = 0;
    std::thread::scope(|s| {
        // Scans arrive on three writers, at random moments, while the watcher is killed.
        for part in 0..3 {
            let (plan, stop) = (&plan, stop.clone());
            let mut rng = fastrand::Rng::with_seed(seed + part as u64 + 1);
            s.spawn(move || {
                for (scan, kind, date) in plan.iter().skip(part).step_by(3) {
                    std::thread::sleep(Duration::from_millis(rng.u64(0..300)));
                    deliver(scan, kind, date, &stop);
                }
            });
        }
        let end = Instant::now() + Duration::from_secs(20 + kills as u64);
        while killed < kills && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(rng.u64(300..1500)));
            unsafe { libc::kill(w.id() as i32, libc::SIGKILL) };
            let _ = w.wait();
            killed += 1;
            w = t.spawn_watch();
        }
        stop.store(true, Ordering::SeqCst);
    });
    eprintln!("{killed} kills; draining");
    assert!(
        wait_until(Duration::from_secs(300), || t.inbox_files().is_empty()),
        "inbox not drained after {killed} kills: {:?}\n{}",
        t.inbox_files(),
        t.watch_log()
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Let the index catch up (it is repaired at start and committed when idle).
    assert!(
        wait_until(Duration::from_secs(60), || t.json(&["check"]).1["ok"]
            == true),
        "index incomplete: {}",
        t.json(&["check"]).1
    );
    assert_eq!(interrupt(&mut w), Some(0));

    let a = t.archive();
    let mut count: HashMap<String, usize> = HashMap::new();
    for dir in a.box_dirs() {
        for (rel, sha) in archivist::store::boxes::read_manifest(&dir).unwrap() {
            if rel.ends_with(".pdf") {
                *count.entry(sha).or_default() += 1;
            }
        }
    }
    let receipts = t.receipts();
    for (scan, _, _) in &plan {
        let n = count.get(&scan.sha).copied().unwrap_or(0);
        assert_eq!(
            n,
            1,
            "{} ({:?}) archived {n} times; receipts: {:?}",
            scan.dest.display(),
            scan.arrival,
            receipts
                .iter()
                .filter(|r| scan.dest.ends_with(&r.path))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(
        count.len(),
        plan.len(),
        "something else was archived: a partial scan?"
    );
    // Every late sidecar was used with its scan or has a receipt of its own.
    for (scan, _, _) in plan
        .iter()
        .filter(|(s, _, _)| s.arrival == Arrival::LateSidecar)
    {
        let rel = scan
            .dest
            .strip_prefix(t.inbox())
            .unwrap()
            .to_string_lossy()
            .to_string();
        let side = format!("{rel}.toml");
        let has = receipts.iter().any(|r| r.path == side);
        let used = receipts
            .iter()
            .any(|r| r.path == rel && r.outcome == Outcome::Archived);
        assert!(has || used, "late sidecar {side} left without a record");
    }
    assert_boxes_consistent(&t.root);
    for args in [&["verify"][..], &["audit", "verify"], &["check"]] {
        let out = t.cmd(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let refused: Vec<_> = receipts
        .iter()
        .filter(|r| r.outcome == Outcome::Refused && r.path.ends_with(".pdf"))
        .collect();
    assert!(
        refused.is_empty(),
        "scans refused (read before they were whole?): {refused:?}"
    );
}

#[test]
fn kill_minus_nine_while_scans_arrive_in_nested_folders_loses_and_doubles_nothing() {
    campaign(
        env("CAMPAIGN_SCANS", 36) as usize,
        env("CAMPAIGN_KILLS", 8) as usize,
    );
}

#[test]
#[ignore = "long campaign: run with --ignored"]
fn long_kill_campaign() {
    campaign(
        env("CAMPAIGN_SCANS", 300) as usize,
        env("CAMPAIGN_KILLS", 40) as usize,
    );
}
