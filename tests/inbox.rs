//! The inbox under attack (issue 9): the documented `<group>/<kind>/` layout, links,
//! slow writers, late or broken sidecars, hidden and temporary names, vanishing files.
//! Every file the inbox sees ends with a receipt that says what happened to it.

mod common;

use std::fs;
use std::time::Duration;

use archivist::store::receipts::Outcome;
use common::*;

/// A running watcher, killed if the test fails before stopping it (no stray processes).
struct Watch(std::process::Child);

impl Watch {
    fn start(t: &TestArchive) -> Watch {
        Watch(t.spawn_watch())
    }
    fn id(&self) -> u32 {
        self.0.id()
    }
    fn interrupt(&mut self) -> Option<i32> {
        interrupt(&mut self.0)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// CPU time (user + system) a process has used so far, from /proc/PID/stat.
fn cpu_time(pid: u32) -> Duration {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

#[test]
fn a_scan_in_a_nested_group_kind_folder_is_archived_and_ctrl_c_stops_the_watcher() {
    let t = TestArchive::new();
    let nested = t.inbox().join("ПК-2024-017").join("journal");
    fs::create_dir_all(&nested).unwrap();
    fs::create_dir_all(t.inbox().join("ПК-2024-018/order-completion")).unwrap();
    let mut w = Watch::start(&t);
    assert!(wait_until(Duration::from_secs(60), || t
        .watch_log()
        .contains("watching")));
    let e = &fixture_expected()[0];
    copy_into(&fixtures_dir().join(&e.file), &nested);
    let top = &fixture_expected()[1];
    copy_into(&fixtures_dir().join(&top.file), &t.inbox());
    assert!(
        wait_until(Duration::from_secs(60), || t.receipts().len() >= 2),
        "no receipt for scans in a nested inbox folder:\n{}",
        t.watch_log()
    );
    let r = t.receipts();
    let nested_receipt = r
        .iter()
        .find(|r| r.path == format!("ПК-2024-017/journal/{}", e.file))
        .unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(
        nested_receipt.outcome,
        Outcome::Archived,
        "{nested_receipt:?}"
    );
    assert!(
        nested_receipt
            .destination
            .as_deref()
            .unwrap_or("")
            .contains("/ПК-2024-017/data/journal/"),
        "the folders say group and kind: {nested_receipt:?}"
    );
    assert_eq!(
        w.interrupt(),
        Some(0),
        "Ctrl-C must stop a watcher whose inbox has sub-folders:\n{}",
        t.watch_log()
    );
}

#[test]
fn an_idle_watcher_with_sub_folders_does_not_spin() {
    let t = TestArchive::new();
    for g in [
        "ПК-2024-017/journal",
        "ПК-2024-017/order-completion",
        "ПП-2023-004",
    ] {
        fs::create_dir_all(t.inbox().join(g)).unwrap();
    }
    let mut w = Watch::start(&t);
    assert!(wait_until(Duration::from_secs(60), || t
        .watch_log()
        .contains("watching")));
    // Start-up (index, fixity slice) is over once the greeting is logged; from here the
    // watcher has nothing to do but wait. A livelock shows as a whole core.
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_time(w.id());
    let wall = std::time::Instant::now();
    let rss_before = rss_kb(w.id());
    // Not a timing assertion: CPU time over a wall-clock window, with a wide margin
    // (a spinning watcher uses ~100% of a core, an idle one well under 1%).
    while wall.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let used = cpu_time(w.id()) - before;
    let rss_after = rss_kb(w.id());
    assert!(
        used.as_secs_f64() < 0.25 * wall.elapsed().as_secs_f64(),
        "an idle watcher used {used:?} of CPU in {:?}",
        wall.elapsed()
    );
    assert!(
        rss_after < rss_before + 20_000,
        "an idle watcher's memory grew from {rss_before} kB to {rss_after} kB"
    );
    assert_eq!(w.interrupt(), Some(0));
}

fn rss_kb(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}
