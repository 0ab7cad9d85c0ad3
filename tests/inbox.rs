//! The inbox under attack (issue 9): the documented `<group>/<kind>/` layout, links,
//! slow writers, late or broken sidecars, hidden and temporary names, vanishing files.
//! Every file the inbox sees ends with a receipt that says what happened to it.

mod common;

use std::fs;
use std::io::Write;
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
    t.wait_watching();
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
    t.wait_watching();
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

/// A test archive whose watcher gives up on temporary names, orphan sidecars and
/// half-written sidecars after a few seconds instead of hours.
fn quick_archive() -> TestArchive {
    TestArchive::with_config(&format!(
        "{FAST_CONFIG}abandoned_secs = 2\norphan_sidecar_secs = 2\nsidecar_wait_secs = 20\n[ocr]\nenabled = false\n"
    ))
}

fn receipt_for(t: &TestArchive, path: &str) -> Option<archivist::store::receipts::Receipt> {
    t.receipts().into_iter().rev().find(|r| r.path == path)
}

fn wait_receipt(t: &TestArchive, path: &str) -> archivist::store::receipts::Receipt {
    let mut found = None;
    wait_until(Duration::from_secs(90), || {
        found = receipt_for(t, path);
        found.is_some()
    });
    found.unwrap_or_else(|| {
        panic!(
            "no receipt for {path}: {:?}\n{}",
            t.receipts(),
            t.watch_log()
        )
    })
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect()
}

#[test]
fn a_link_to_a_folder_is_refused_as_a_link_and_what_it_points_to_is_left_alone() {
    let t = quick_archive();
    let outside = t.tmp.path().join("outside");
    fs::create_dir_all(outside.join("deep")).unwrap();
    for (i, e) in fixture_expected().iter().take(3).enumerate() {
        let dir = if i == 0 {
            outside.clone()
        } else {
            outside.join("deep")
        };
        copy_into(&fixtures_dir().join(&e.file), &dir);
    }
    let before: Vec<_> = files_under(&outside);
    assert_eq!(before.len(), 3);
    let mut w = Watch::start(&t);
    t.wait_watching();
    // Hidden and plain names, at the top and inside a real sub-folder.
    std::os::unix::fs::symlink(&outside, t.inbox().join(".x")).unwrap();
    std::os::unix::fs::symlink(&outside, t.inbox().join("outdir")).unwrap();
    fs::create_dir_all(t.inbox().join("ПК-2024-017")).unwrap();
    std::os::unix::fs::symlink(&outside, t.inbox().join("ПК-2024-017/journal")).unwrap();
    for link in [".x", "outdir", "ПК-2024-017/journal"] {
        let r = wait_receipt(&t, link);
        assert_eq!(r.outcome, Outcome::Refused, "{r:?}");
        assert!(r.reason.contains("symbolic link"), "{r:?}");
        assert!(r.reason.contains("never followed"), "{r:?}");
    }
    // Give a wrong follower time to act before looking.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(w.interrupt(), Some(0));
    assert_eq!(
        files_under(&outside),
        before,
        "the folder a link points to was changed"
    );
    for r in t.receipts() {
        assert!(
            !r.path.starts_with(".x/")
                && !r.path.starts_with("outdir/")
                && !r.path.contains("journal/"),
            "a file was reached through a link: {r:?}"
        );
    }
    assert!(
        t.archive().catalogue().unwrap().is_empty(),
        "nothing behind a link is archived"
    );
    // The links themselves are in the quarantine, still links.
    let q = files_under(&t.root.join("quarantine"));
    let links = q
        .iter()
        .filter(|p| fs::symlink_metadata(p).unwrap().file_type().is_symlink())
        .count();
    assert_eq!(links, 3, "{q:?}");
}

#[test]
fn a_scanner_that_pauses_with_the_file_open_loses_nothing() {
    let t = quick_archive();
    let mut w = Watch::start(&t);
    t.wait_watching();
    let full = fs::read(fixtures_dir().join(&fixture_expected()[1].file)).unwrap();
    let dest = t.inbox().join("paused.pdf");
    let mut f = fs::File::create(&dest).unwrap();
    // Half the scan, then a pause far longer than the stability delay (0.5 s), the file
    // still open, then the rest.
    f.write_all(&full[..full.len() / 2]).unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    f.write_all(&full[full.len() / 2..]).unwrap();
    drop(f);
    let r = wait_receipt(&t, "paused.pdf");
    assert!(wait_until(Duration::from_secs(30), || t
        .inbox_files()
        .is_empty()));
    assert_eq!(w.interrupt(), Some(0));
    let all: Vec<_> = t
        .receipts()
        .into_iter()
        .filter(|r| r.path == "paused.pdf")
        .collect();
    assert_eq!(all.len(), 1, "one outcome, for the whole scan: {all:?}");
    assert_eq!(r.outcome, Outcome::Archived, "{r:?}");
    assert_eq!(
        r.sha256.as_deref(),
        Some(archivist::store::fsutil::sha256_hex(&full).as_str())
    );
}

#[test]
fn a_sidecar_that_does_not_parse_is_kept_beside_its_scan_in_review_and_what_could_be_read_is_filled_in()
 {
    let t = quick_archive();
    let e = &fixture_expected()[0];
    copy_into(&fixtures_dir().join(&e.file), &t.inbox());
    let staff =
        "kind = \"journal\"\ngrup = \"ПК-2024-017\"\nnumber = \"12\"\ndate = \"31.02.2024\"\n";
    fs::write(t.inbox().join(format!("{}.toml", e.file)), staff).unwrap();
    fs::copy(
        fixtures_dir().join(&fixture_expected()[1].file),
        t.inbox().join("bad-utf8.pdf"),
    )
    .unwrap();
    fs::write(
        t.inbox().join("bad-utf8.pdf.toml"),
        b"kind = \"protocol\"\ntitle = \"\xff\xfe\"\n",
    )
    .unwrap();
    let mut w = Watch::start(&t);
    let r = wait_receipt(&t, &e.file);
    let r2 = wait_receipt(&t, "bad-utf8.pdf");
    assert!(
        wait_until(Duration::from_secs(30), || t.inbox_files().is_empty()),
        "{:?}",
        t.inbox_files()
    );
    assert_eq!(w.interrupt(), Some(0));
    assert_eq!(r.outcome, Outcome::Review, "{r:?}");
    assert!(
        r.reason.contains("could not be read") && r.reason.contains("31.02.2024"),
        "{r:?}"
    );
    let dest = t.root.join(r.destination.as_ref().unwrap());
    let kept = dest.with_file_name(format!(
        "{}.dropped.toml",
        dest.file_name().unwrap().to_string_lossy()
    ));
    assert_eq!(
        fs::read_to_string(&kept).unwrap(),
        staff,
        "the staff's sidecar is kept as it was"
    );
    let template = fs::read_to_string(dest.with_file_name(format!(
        "{}.toml",
        dest.file_name().unwrap().to_string_lossy()
    )))
    .unwrap();
    assert!(template.contains("kind = \"journal\""), "{template}");
    assert!(template.contains("number = \"12\""), "{template}");
    let reason = fs::read_to_string(dest.with_file_name(format!(
        "{}.reason.txt",
        dest.file_name().unwrap().to_string_lossy()
    )))
    .unwrap();
    assert!(
        reason.contains("31.02.2024") && reason.contains(".dropped.toml"),
        "{reason}"
    );
    assert_eq!(r2.outcome, Outcome::Review, "{r2:?}");
    assert!(r2.reason.contains("UTF-8"), "{r2:?}");
    let dest2 = t.root.join(r2.destination.as_ref().unwrap());
    assert!(dest2.with_file_name("bad-utf8.pdf.dropped.toml").is_file());
}

#[test]
fn sidecar_years_out_of_range_make_no_box() {
    let t = quick_archive();
    let src = t.tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let exp = fixture_expected();
    for (i, year) in ["99999", "-7", "0", "262142"].iter().enumerate() {
        let name = format!("y{i}.pdf");
        fs::copy(fixtures_dir().join(&exp[i].file), src.join(&name)).unwrap();
        fs::write(
            src.join(format!("{name}.toml")),
            format!("kind = \"journal\"\nyear = {year}\n"),
        )
        .unwrap();
    }
    fs::copy(fixtures_dir().join(&exp[4].file), src.join("d.pdf")).unwrap();
    fs::write(
        src.join("d.pdf.toml"),
        "kind = \"journal\"\ndate = 9999-12-31\n",
    )
    .unwrap();
    let (code, v) = t.json(&["ingest", src.to_str().unwrap()]);
    assert_eq!(code, 1, "{v}");
    for r in v["receipts"].as_array().unwrap() {
        assert_eq!(r["outcome"], "review", "{r}");
        assert!(
            r["reason"].as_str().unwrap().contains("outside 1900–2200"),
            "{r}"
        );
    }
    assert_eq!(v["receipts"].as_array().unwrap().len(), 5, "{v}");
    let years: Vec<String> = fs::read_dir(t.root.join("boxes"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        years.is_empty(),
        "boxes made for impossible years: {years:?}"
    );
}

#[test]
fn a_sidecar_being_written_is_waited_for_and_used_once_complete() {
    let t = quick_archive();
    let mut w = Watch::start(&t);
    t.wait_watching();
    let e = &fixture_expected()[3];
    let side_path = t.inbox().join("late.pdf.toml");
    let mut side = fs::File::create(&side_path).unwrap();
    side.write_all(b"kind = \"other\"\n").unwrap();
    side.flush().unwrap();
    fs::copy(fixtures_dir().join(&e.file), t.inbox().join("late.pdf")).unwrap();
    // The scan is complete long before the sidecar (still open) is.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        receipt_for(&t, "late.pdf").is_none(),
        "the scan did not wait for its sidecar: {:?}",
        t.receipts()
    );
    side.write_all("date = 2021-09-01\ngroup = \"ПК-2021-099\"\n".as_bytes())
        .unwrap();
    drop(side);
    let r = wait_receipt(&t, "late.pdf");
    assert_eq!(w.interrupt(), Some(0));
    assert_eq!(r.outcome, Outcome::Archived, "{r:?}");
    assert!(
        r.destination
            .as_deref()
            .unwrap()
            .starts_with("boxes/2021/ПК-2021-099/data/other/"),
        "the whole sidecar was used: {r:?}"
    );
    assert!(!side_path.exists());
}

#[test]
fn a_sidecar_with_no_scan_gets_a_receipt_and_is_not_left_forever() {
    let t = quick_archive();
    let mut w = Watch::start(&t);
    let e = &fixture_expected()[0];
    copy_into(&fixtures_dir().join(&e.file), &t.inbox());
    let first = wait_receipt(&t, &e.file);
    assert_eq!(first.outcome, Outcome::Archived);
    // Staff's sidecar arrives after its scan was archived, and another with no scan.
    fs::write(
        t.inbox().join(format!("{}.toml", e.file)),
        "kind = \"protocol\"\n",
    )
    .unwrap();
    fs::write(t.inbox().join("nothing.pdf.toml"), "kind = \"protocol\"\n").unwrap();
    let late = wait_receipt(&t, &format!("{}.toml", e.file));
    let orphan = wait_receipt(&t, "nothing.pdf.toml");
    assert!(
        wait_until(Duration::from_secs(30), || t.inbox_files().is_empty()),
        "{:?}",
        t.inbox_files()
    );
    assert_eq!(w.interrupt(), Some(0));
    for r in [&late, &orphan] {
        assert_eq!(r.outcome, Outcome::Refused, "{r:?}");
        assert!(r.reason.contains("sidecar with no scan"), "{r:?}");
        assert!(
            t.root.join(r.destination.as_ref().unwrap()).is_file(),
            "{r:?}"
        );
    }
    assert!(
        late.reason.contains("already been handled (archived"),
        "{late:?}"
    );
}

#[test]
fn hidden_temporary_and_misnamed_files_all_get_receipts() {
    let t = quick_archive();
    let exp = fixture_expected();
    let pdf = |i: usize| fs::read(fixtures_dir().join(&exp[i].file)).unwrap();
    fs::write(t.inbox().join(".hidden.pdf"), pdf(0)).unwrap();
    fs::create_dir_all(t.inbox().join(".sync/deep")).unwrap();
    fs::write(t.inbox().join(".sync/deep/scan.pdf"), pdf(1)).unwrap();
    fs::write(t.inbox().join("download.pdf.part"), &pdf(2)[..1000]).unwrap();
    // A real PDF with a .toml name and no scan beside it is a scan, not a sidecar.
    fs::write(t.inbox().join("misnamed.toml"), pdf(3)).unwrap();
    let mut w = Watch::start(&t);
    for p in [".hidden.pdf", ".sync/deep/scan.pdf", "download.pdf.part"] {
        let r = wait_receipt(&t, p);
        assert_eq!(r.outcome, Outcome::Refused, "{r:?}");
        assert!(r.reason.contains("temporary or hidden name"), "{r:?}");
        assert!(
            t.root.join(r.destination.as_ref().unwrap()).is_file(),
            "{r:?}"
        );
    }
    let r = wait_receipt(&t, "misnamed.toml");
    assert!(
        wait_until(Duration::from_secs(30), || t.inbox_files().is_empty()),
        "{:?}",
        t.inbox_files()
    );
    assert_eq!(w.interrupt(), Some(0));
    assert_eq!(r.outcome, Outcome::Archived, "{r:?}");
    assert!(r.destination.as_deref().unwrap().ends_with(".pdf"), "{r:?}");
}

#[test]
fn ingest_reports_paths_it_cannot_read_instead_of_skipping_them() {
    let t = quick_archive();
    let src = t.tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    copy_into(&fixtures_dir().join(&fixture_expected()[0].file), &src);
    // A folder chain deeper than PATH_MAX (4096 bytes), made one level at a time.
    let seg = "п".repeat(100); // 200 bytes
    let c = std::ffi::CString::new(src.as_os_str().as_encoded_bytes()).unwrap();
    let mut fd = unsafe { libc::open(c.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY) };
    assert!(fd >= 0);
    let name = std::ffi::CString::new(seg.as_bytes()).unwrap();
    for _ in 0..24 {
        assert_eq!(unsafe { libc::mkdirat(fd, name.as_ptr(), 0o755) }, 0);
        let next = unsafe { libc::openat(fd, name.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY) };
        unsafe { libc::close(fd) };
        fd = next;
        assert!(fd >= 0);
    }
    let file = std::ffi::CString::new("deep.pdf").unwrap();
    let f = unsafe { libc::openat(fd, file.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644) };
    assert!(f >= 0);
    unsafe {
        libc::write(f, b"%PDF-1.4\n".as_ptr().cast(), 9);
        libc::close(f);
        libc::close(fd);
    }
    fs::write(src.join("copy.pdf.crdownload"), b"%PDF-1.4 partial").unwrap();
    // Through the library's use case (the command line calls the same).
    let arch = archivist::api::Archivist::open(&t.root, None).unwrap();
    let report = arch
        .ingest(
            std::slice::from_ref(&src),
            false,
            &archivist::api::Actor::system(),
            &mut |_| {},
        )
        .unwrap();
    assert!(report.has_findings());
    let v = serde_json::to_value(&report).unwrap();
    let receipts = v["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 3, "{v}");
    let unreadable = receipts
        .iter()
        .find(|r| {
            r["reason"]
                .as_str()
                .unwrap_or("")
                .contains("cannot be read")
        })
        .unwrap_or_else(|| panic!("the over-long path has no receipt: {v}"));
    assert_eq!(unreadable["outcome"], "refused");
    let partial = receipts
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with(".crdownload"))
        .unwrap();
    assert_eq!(partial["outcome"], "refused", "{partial}");
    assert!(
        src.join("copy.pdf.crdownload").is_file(),
        "ingest leaves temporary files where they are"
    );
}

#[test]
fn names_that_differ_only_in_case_are_not_stored_side_by_side_and_a_dash_group_is_no_folder() {
    let t = quick_archive();
    let src = t.tmp.path().join("src");
    fs::create_dir_all(src.join("a")).unwrap();
    fs::create_dir_all(src.join("b")).unwrap();
    let exp = fixture_expected();
    fs::copy(fixtures_dir().join(&exp[0].file), src.join("a/Scan.pdf")).unwrap();
    fs::copy(fixtures_dir().join(&exp[1].file), src.join("b/SCAN.pdf")).unwrap();
    for p in ["a/Scan.pdf.toml", "b/SCAN.pdf.toml"] {
        fs::write(
            src.join(p),
            "kind = \"other\"\ndate = 2022-02-02\ngroup = \"ПК-2022-001\"\n",
        )
        .unwrap();
    }
    fs::copy(fixtures_dir().join(&exp[2].file), src.join("dash.pdf")).unwrap();
    fs::write(
        src.join("dash.pdf.toml"),
        "kind = \"other\"\ndate = 2022-02-02\ngroup = \"-rf\"\n",
    )
    .unwrap();
    let (_, v) = t.json(&["ingest", src.to_str().unwrap()]);
    let receipts = v["receipts"].as_array().unwrap();
    let dests: Vec<String> = receipts
        .iter()
        .filter(|r| r["outcome"] == "archived")
        .map(|r| r["destination"].as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(dests.len(), 2, "{v}");
    assert_ne!(
        dests[0], dests[1],
        "two files whose names differ only in case: {dests:?}"
    );
    let dash = receipts
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("dash.pdf"))
        .unwrap();
    assert_eq!(dash["outcome"], "refused", "{dash}");
    assert!(dash["reason"].as_str().unwrap().contains("-rf"), "{dash}");
    for y in fs::read_dir(t.root.join("boxes")).unwrap().flatten() {
        for g in fs::read_dir(y.path()).unwrap().flatten() {
            assert!(
                !g.file_name().to_string_lossy().starts_with('-'),
                "{:?}",
                g.path()
            );
        }
    }
}

#[test]
fn an_over_limit_file_is_copied_to_the_quarantine_without_reading_it_into_memory() {
    let t = TestArchive::with_config(&format!(
        "{FAST_CONFIG}[limits]\nmax_file_mb = 1\n[ocr]\nenabled = false\n"
    ));
    let src = t.tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    // 400 MB, sparse: it costs no disk to make, but a whole read would cost 400 MB of memory.
    let big = src.join("big.pdf");
    let f = fs::File::create(&big).unwrap();
    f.set_len(400 << 20).unwrap();
    drop(f);
    let child = std::process::Command::new(bin())
        .arg("--root")
        .arg(&t.root)
        .args(["--json", "ingest"])
        .arg(&src)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child with valid out-pointers.
    unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    // Reaped by wait4 already.
    std::mem::forget(child);
    let r = t.receipts();
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].outcome, Outcome::Refused);
    assert!(r[0].reason.contains("size limit"), "{:?}", r[0]);
    let q = t.root.join(r[0].destination.as_ref().unwrap());
    assert_eq!(
        fs::metadata(&q).unwrap().len(),
        400 << 20,
        "the copy is whole"
    );
    let peak_mb = ru.ru_maxrss / 1024;
    eprintln!("peak RSS of ingest: {peak_mb} MB");
    assert!(
        peak_mb < 200,
        "ingest read the 400 MB file into memory: peak {peak_mb} MB"
    );
}
