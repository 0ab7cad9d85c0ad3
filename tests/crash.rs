//! `kill -9` of the watcher at random moments while 200 scans are ingested, then a
//! restart: every input is archived exactly once with a consistent manifest and sidecar,
//! or is still in the inbox; no temp files remain in boxes; the audit chain verifies.

mod common;

use std::collections::HashMap;
use std::fs;
use std::time::{Duration, Instant};

use archivist::store::archive::{Archive, sidecar_of};
use archivist::store::document::DocumentMeta;
use common::*;

#[test]
fn kill_minus_nine_during_ingest_loses_nothing_and_duplicates_nothing() {
    let t = TestArchive::with_config(
        "[watch]\nstable_secs = 0.3\npoll_ms = 20\nrescan_secs = 1\nbatch_max = 8\n",
    );
    let gen_dir = t.tmp.path().join("gen");
    let opts = fixturegen::GenOptions {
        seed: 7,
        count: 200,
        ..Default::default()
    };
    let expected = fixturegen::write_set(&gen_dir, &opts).unwrap();
    assert_eq!(expected.len(), 200);
    let inputs: HashMap<String, String> = expected
        .iter()
        .map(|e| (sha256(&gen_dir.join(&e.file)), e.file.clone()))
        .collect();

    for e in &expected {
        fs::copy(gen_dir.join(&e.file), t.inbox().join(&e.file)).unwrap();
    }
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("crash schedule seed {seed} (set CRASH_SEED to replay)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut kills = 0;
    for round in 0..6usize {
        let mut w = t.spawn_watch();
        // Kill by progress, not by the clock, so the schedule interrupts ingest however
        // fast the machine is: round k waits until some receipts of the k-th sixth of the
        // work exist, then lets a random few milliseconds pass so the kill lands at any
        // phase of the next batch (prepare, placement, commit). Round 0 may kill during
        // start-up and recovery.
        let target = rng.usize(round * 30..round * 30 + 30);
        let jitter = Duration::from_millis(if target == 0 {
            rng.u64(0..600)
        } else {
            rng.u64(0..25)
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline
            && t.receipts().len() < target
            && !matches!(w.try_wait(), Ok(Some(_)))
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(jitter);
        let delay = format!("{target} receipt(s) + {jitter:?}");
        unsafe {
            libc::kill(w.id() as i32, libc::SIGKILL);
        }
        let _ = w.wait();
        kills += 1;
        eprintln!(
            "kill {kills} at {delay}: {} receipt(s), {} file(s) still in the inbox",
            t.receipts().len(),
            t.inbox_files().len()
        );
        if t.inbox_files().is_empty() {
            break;
        }
    }
    assert!(
        kills >= 2,
        "the schedule must interrupt ingest at least twice"
    );
    // Final run to completion (interrupted only once it is up and handling Ctrl-C).
    let started = t.watch_log().matches("watching").count();
    let mut w = t.spawn_watch();
    assert!(
        wait_until(Duration::from_secs(60), || t
            .watch_log()
            .matches("watching")
            .count()
            > started),
        "the last watcher did not start:\n{}",
        t.watch_log()
    );
    assert!(
        wait_until(Duration::from_secs(300), || t.inbox_files().is_empty()),
        "inbox not drained after {kills} kills:\n{}",
        t.watch_log()
    );
    assert_eq!(interrupt(&mut w), Some(0));

    let a: Archive = t.archive();
    let cat = a.catalogue().unwrap();
    // Exactly once: every input is in the catalogue (ids are unique keys) …
    for (sha, file) in &inputs {
        assert!(
            cat.contains_key(sha),
            "{file} was lost (not archived, not in the inbox)"
        );
    }
    // … and no scan appears twice in any box.
    let mut scans = 0;
    for dir in a.box_dirs() {
        let manifest = archivist::store::boxes::read_manifest(&dir).unwrap();
        // (File hashes against the manifest: assert_boxes_consistent below.)
        for (rel, sha) in &manifest {
            if rel.ends_with(".pdf") {
                scans += 1;
                let side = dir.join(sidecar_of(rel));
                assert!(
                    manifest.contains_key(&sidecar_of(rel)),
                    "{rel}: sidecar not in the manifest"
                );
                let m = DocumentMeta::from_toml(&fs::read_to_string(&side).unwrap()).unwrap();
                assert_eq!(&m.id, sha, "{rel}: sidecar names another scan");
            }
        }
    }
    assert_eq!(scans, inputs.len(), "every input archived exactly once");
    assert_boxes_consistent(&t.root);
    let quarantined: Vec<_> = walkdir::WalkDir::new(t.root.join("quarantine"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .collect();
    assert!(
        quarantined.is_empty(),
        "nothing should be quarantined: {:?}",
        quarantined
            .iter()
            .map(|e| e.path().display().to_string())
            .collect::<Vec<_>>()
    );
    let out = t.cmd(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    eprintln!(
        "{}",
        t.watch_log()
            .lines()
            .filter(|l| l.contains("interrupted") || l.contains("temporary"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out = t.cmd(&["verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
