//! Archive core (issue 2): the watcher files the fixtures into year/group/kind boxes
//! that validate as BagIt; duplicates, slow writers and bad input are handled.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use archivist::store::receipts::Outcome;
use common::*;

#[test]
fn watcher_files_the_fixture_set_into_valid_boxes() {
    let t = TestArchive::new();
    let mut w = t.spawn_watch();
    let expected = fixture_expected();
    assert!(expected.len() >= 14);
    for e in &expected {
        copy_into(&fixtures_dir().join(&e.file), &t.inbox());
    }
    let done = wait_until(Duration::from_secs(120), || {
        t.receipts().len() >= expected.len() && t.inbox_files().is_empty()
    });
    assert!(
        done,
        "not all fixtures were processed: {:?}\n{}",
        t.receipts(),
        t.watch_log()
    );
    assert_eq!(
        interrupt(&mut w),
        Some(0),
        "Ctrl-C must finish the work in flight and exit 0"
    );

    let a = t.archive();
    let cat = a.catalogue().unwrap();
    for e in &expected {
        let id = sha256(&fixtures_dir().join(&e.file));
        let loc = cat
            .get(&id)
            .unwrap_or_else(|| panic!("{} was not archived: {:?}", e.file, t.receipts()));
        assert_eq!(
            loc.box_rel,
            format!("boxes/{}/{}", e.year, e.group),
            "{}",
            e.file
        );
        assert!(
            loc.file.starts_with(&format!("data/{}/", e.kind)),
            "{} filed as {}",
            e.file,
            loc.file
        );
        let m = a.read_meta(&loc).unwrap();
        assert_eq!(m.kind, e.kind, "{}", e.file);
        assert_eq!(m.year, e.year, "{}", e.file);
        assert_eq!(m.group.as_deref(), Some(e.group.as_str()), "{}", e.file);
        assert_eq!(m.date, Some(e.date), "{}", e.file);
        assert_eq!(m.number, e.number, "{}", e.file);
        assert_eq!(m.pages, e.pages, "{}", e.file);
        assert_eq!(
            m.programme.as_deref(),
            Some(e.programme.as_str()),
            "{}",
            e.file
        );
        let nom = a.nomenclature.kind(&e.kind).unwrap();
        assert_eq!(m.case.index, nom.case_index);
        // Every learner of the document is found, in whatever case form the text uses.
        for l in &e.learners {
            let surname_stem: String = l.split(' ').next().unwrap().chars().take(4).collect();
            assert!(
                m.learners.iter().any(|f| f.starts_with(&surname_stem)),
                "{}: learner {l} not found in {:?}",
                e.file,
                m.learners
            );
        }
        // The scan is byte-for-byte what was dropped.
        assert_eq!(sha256(&a.root.join(&loc.box_rel).join(&loc.file)), id);
        assert!(
            a.root
                .join(&loc.box_rel)
                .join(archivist::store::archive::text_of(&loc.file))
                .is_file(),
            "text beside the scan"
        );
    }
    // Box labels.
    let any_box = a.box_dirs()[0].clone();
    let info = fs::read_to_string(any_box.join("bag-info.txt")).unwrap();
    for key in [
        "Source-Organization:",
        "Box-Year:",
        "Box-Group:",
        "Document-Count:",
        "Date-Range:",
        "Payload-Oxum:",
    ] {
        assert!(info.contains(key), "bag-info.txt lacks {key}:\n{info}");
    }
    assert_bags_valid(&a);
    let out = t.cmd(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_same_scan_dropped_twice_is_archived_once_and_the_duplicate_recorded() {
    let t = TestArchive::new();
    let mut w = t.spawn_watch();
    let src = fixtures_dir().join(&fixture_expected()[0].file);
    copy_into(&src, &t.inbox());
    assert!(
        wait_until(Duration::from_secs(60), || t.receipts().len() == 1),
        "{}",
        t.watch_log()
    );
    fs::copy(&src, t.inbox().join("again.pdf")).unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || t.receipts().len() == 2
            && t.inbox_files().is_empty()),
        "{}",
        t.watch_log()
    );
    assert_eq!(interrupt(&mut w), Some(0));

    let r = t.receipts();
    assert_eq!(r[0].outcome, Outcome::Archived);
    assert_eq!(r[1].outcome, Outcome::Duplicate);
    let id = sha256(&src);
    assert!(
        r[1].reason.contains(&id[..12]),
        "the duplicate names the existing document: {}",
        r[1].reason
    );
    let a = t.archive();
    assert_eq!(a.catalogue().unwrap().len(), 1);
    let dup = t.root.join(r[1].destination.as_ref().unwrap());
    assert!(dup.starts_with(t.root.join("quarantine/duplicates")));
    assert_eq!(sha256(&dup), id, "the duplicate copy is kept, not dropped");
    assert!(dup.with_file_name("again.pdf.reason.txt").is_file());
}

#[test]
fn a_slowly_written_file_is_ingested_once_and_whole() {
    let t = TestArchive::with_config("[watch]\nstable_secs = 1.0\npoll_ms = 50\nrescan_secs = 2\n");
    let mut w = t.spawn_watch();
    let src = fs::read(fixtures_dir().join(&fixture_expected()[1].file)).unwrap();
    let dest = t.inbox().join("slow.pdf");
    // Append in 10 pieces over ~3 s, closing the file between pieces as a scanner on a
    // share might; each pause is shorter than the stability delay.
    let chunk = src.len().div_ceil(10);
    for piece in src.chunks(chunk) {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&dest)
            .unwrap();
        f.write_all(piece).unwrap();
        drop(f);
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        wait_until(Duration::from_secs(60), || !t.receipts().is_empty()
            && t.inbox_files().is_empty()),
        "{}",
        t.watch_log()
    );
    // Give a wrongly re-queued file the chance to show up before stopping.
    assert_eq!(interrupt(&mut w), Some(0));
    let r = t.receipts();
    assert_eq!(r.len(), 1, "ingested exactly once: {r:?}");
    assert_eq!(r[0].outcome, Outcome::Archived, "{:?}", r[0]);
    assert_eq!(r[0].size, Some(src.len() as u64));
    assert_eq!(
        r[0].sha256.as_deref(),
        Some(archivist::store::fsutil::sha256_hex(&src).as_str())
    );
}

#[test]
fn bad_input_is_refused_with_a_reason_and_the_watcher_goes_on() {
    let t = TestArchive::new();
    let inbox = t.inbox();
    let good = fixtures_dir().join(&fixture_expected()[2].file);
    let pdf = fs::read(&good).unwrap();
    fs::write(inbox.join("zero.pdf"), b"").unwrap();
    fs::write(
        inbox.join("letter.pdf"),
        "Dear colleague, this is not a PDF at all.\n".repeat(20),
    )
    .unwrap();
    fs::write(inbox.join("truncated.pdf"), &pdf[..pdf.len() / 3]).unwrap();
    // A sidecar that tries to climb out of the archive.
    fs::write(inbox.join("climb.pdf"), &pdf).unwrap();
    fs::write(
        inbox.join("climb.pdf.toml"),
        "group = \"../../etc\"\nkind = \"journal\"\ndate = 2024-01-10\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", inbox.join("link.pdf")).unwrap();
    let fifo = inbox.join("pipe.pdf");
    let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let mut hostile = Vec::new();
    if let Some(corpus) = corpus() {
        for (file, expected) in corpus_rows(&corpus) {
            if file.starts_with("hostile__") {
                copy_into(&corpus.join(&file), &inbox);
                hostile.push((file, expected));
            }
        }
        assert!(hostile.len() >= 10, "the corpus has hostile files");
    }
    let n_bad = 6 + hostile.len();

    let mut w = t.spawn_watch();
    assert!(
        wait_until(Duration::from_secs(120), || t.receipts().len() >= n_bad),
        "{}",
        t.watch_log()
    );
    // The watcher is still alive and still archives good scans.
    copy_into(&good, &inbox);
    assert!(
        wait_until(Duration::from_secs(60), || t
            .receipts()
            .iter()
            .any(|r| r.outcome == Outcome::Archived
                && r.path == good.file_name().unwrap().to_string_lossy())),
        "{}",
        t.watch_log()
    );
    assert!(
        w.try_wait().unwrap().is_none(),
        "the watcher must still be running"
    );
    assert_eq!(interrupt(&mut w), Some(0));

    let r = t.receipts();
    let by = |name: &str| {
        r.iter()
            .find(|x| x.path == name)
            .unwrap_or_else(|| panic!("no receipt for {name}: {r:?}"))
    };
    let refused = |name: &str, words: &str| {
        let x = by(name);
        assert_eq!(x.outcome, Outcome::Refused, "{name}: {x:?}");
        assert!(
            x.reason.to_lowercase().contains(words),
            "{name}: reason {:?} should say {words:?}",
            x.reason
        );
        if let Some(d) = &x.destination {
            let q = t.root.join(d);
            assert!(
                q.starts_with(t.root.join("quarantine")),
                "{name} quarantined under the archive: {d}"
            );
            assert!(
                q.with_file_name(format!(
                    "{}.reason.txt",
                    q.file_name().unwrap().to_string_lossy()
                ))
                .is_file(),
                "{name}: reason file"
            );
        }
    };
    refused("zero.pdf", "empty");
    refused("letter.pdf", "not a pdf");
    refused("truncated.pdf", "damaged");
    refused("climb.pdf", "../../etc");
    refused("link.pdf", "symbolic link");
    refused("pipe.pdf", "pipe");
    assert!(!t.root.parent().unwrap().join("etc").exists() && !Path::new("/etc/journal").exists());
    for (file, expected) in hostile {
        let x = by(&file);
        assert!(!x.reason.is_empty(), "{file}: {x:?}");
        if expected.starts_with("reject") && !expected.contains("or ingest") {
            assert_eq!(
                x.outcome,
                Outcome::Refused,
                "{file} (expected: {expected}): {x:?}"
            );
        } else {
            assert!(
                matches!(
                    x.outcome,
                    Outcome::Refused | Outcome::Review | Outcome::Archived
                ),
                "{file}: {x:?}"
            );
        }
    }
    // Nothing was written outside the archive root, and the inbox is empty.
    assert!(t.inbox_files().is_empty(), "{:?}", t.inbox_files());
    assert!(t.cmd(&["audit", "verify"]).status.success());
}

/// (file, expected) rows of the corpus manifest.
pub fn corpus_rows(corpus: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let fi = head.iter().position(|h| *h == "file").unwrap();
    let ei = head.iter().position(|h| *h == "expected").unwrap();
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.len() > ei)
        .map(|c| (c[fi].to_string(), c[ei].to_string()))
        .collect()
}

#[test]
fn one_changed_byte_in_a_scan_or_the_audit_log_is_detected() {
    let t = TestArchive::new();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["changed"], 0);

    let a = t.archive();
    let (_, loc) = a.catalogue().unwrap().into_iter().next().unwrap();
    let scan = a.root.join(&loc.box_rel).join(&loc.file);
    let mut bytes = fs::read(&scan).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    fs::write(&scan, &bytes).unwrap();
    let (code, v) = t.json(&["verify"]);
    assert_eq!(code, 1);
    assert_eq!(v["changed"], 1, "{v}");
    assert_eq!(
        v["findings"][0]["path"],
        format!("{}/{}", loc.box_rel, loc.file)
    );

    assert!(t.cmd(&["audit", "verify"]).status.success());
    let log = t.root.join("journal/audit.jsonl");
    let text = fs::read_to_string(&log).unwrap();
    let tampered = text.replacen("\"archived\"", "\"archivex\"", 1);
    assert_ne!(text, tampered);
    fs::write(&log, tampered).unwrap();
    let (code, v) = t.json(&["audit", "verify"]);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
}

#[test]
fn ingest_copies_and_leaves_sources_and_move_removes_them() {
    let t = TestArchive::new();
    let src = t.tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let e = &fixture_expected()[3];
    let f = copy_into(&fixtures_dir().join(&e.file), &src);
    let (code, v) = t.json(&["ingest", src.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["archived"], 1);
    assert!(f.is_file(), "ingest copies");
    let (_, v) = t.json(&["show", &sha256(&f)[..10]]);
    assert_eq!(v["metadata"]["kind"], e.kind.as_str());
    assert_eq!(v["history"][0]["action"], "archived");

    let g = copy_into(&fixtures_dir().join(&fixture_expected()[4].file), &src);
    let (code, _) = t.json(&["ingest", "--move", g.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!g.exists(), "--move removes the source once archived");
}

#[test]
fn a_second_writer_is_refused_and_told_who_holds_the_archive() {
    let t = TestArchive::new();
    let mut w = t.spawn_watch();
    t.wait_watching();
    let out = t.cmd(&["ingest", fixtures_dir().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("archivist watch") && err.contains(&w.id().to_string()),
        "{err}"
    );
    assert_eq!(interrupt(&mut w), Some(0));
}

#[test]
fn a_scan_that_cannot_be_classified_goes_to_review_and_comes_back_with_its_sidecar() {
    let t = TestArchive::new();
    let mut w = t.spawn_watch();
    // A real PDF that is none of the kinds: it needs a person.
    unclassifiable_pdf(&t.inbox(), "letter.pdf");
    assert!(
        wait_until(Duration::from_secs(60), || t.receipts().len() == 1),
        "{}",
        t.watch_log()
    );
    let r = &t.receipts()[0];
    assert_eq!(r.outcome, Outcome::Review, "{r:?}");
    let in_review = t.root.join(r.destination.as_ref().unwrap());
    let template = in_review.with_file_name(format!(
        "{}.toml",
        in_review.file_name().unwrap().to_string_lossy()
    ));
    // The receipt is written first, then the file and its template are moved.
    assert!(
        wait_until(Duration::from_secs(10), || template.is_file()),
        "{}",
        t.watch_log()
    );
    let text = fs::read_to_string(&template).unwrap();
    assert!(
        text.contains("kind = \"\"") && text.contains("REQUIRED"),
        "{text}"
    );
    // A person fills it in and drops both back.
    let filled = text
        .replace("kind = \"\"            # REQUIRED", "kind = \"other\"")
        .replace(
            "# date = 2024-03-15   # REQUIRED unless year is given",
            "date = 2023-06-01",
        )
        .replace("# group = \"ПК-2024-017\"", "group = \"ПК-2023-005\"");
    fs::write(t.inbox().join("trivial.pdf.toml"), filled).unwrap();
    fs::rename(&in_review, t.inbox().join("trivial.pdf")).unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || t.receipts().len() == 2
            && t.inbox_files().is_empty()),
        "{}",
        t.watch_log()
    );
    assert_eq!(interrupt(&mut w), Some(0));
    let r = &t.receipts()[1];
    assert_eq!(r.outcome, Outcome::Archived, "{r:?}");
    assert!(
        r.destination
            .as_ref()
            .unwrap()
            .starts_with("boxes/2023/ПК-2023-005/data/other/"),
        "{r:?}"
    );
}

#[test]
fn scans_that_want_the_same_name_in_one_batch_are_both_kept() {
    // Files of one batch are written in parallel, so the names they take must be decided
    // for the whole batch, not by looking at what is on disk.
    let t = TestArchive::new();
    let src = t.tmp.path().join("src");
    let e = &fixture_expected()[3];
    let bytes = fs::read(fixtures_dir().join(&e.file)).unwrap();
    let mut variants = Vec::new();
    for (i, folder) in ["a", "b", "c"].iter().enumerate() {
        fs::create_dir_all(src.join(folder)).unwrap();
        // The same document, made distinct by a trailing PDF comment.
        let mut b = bytes.clone();
        b.extend_from_slice(format!("%variant {i}\n").as_bytes());
        let p = src.join(folder).join(&e.file);
        fs::write(&p, &b).unwrap();
        variants.push(sha256(&p));
    }
    let (code, v) = t.json(&["ingest", src.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["archived"], 3, "{v}");
    let dests: std::collections::HashSet<String> = v["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["destination"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(dests.len(), 3, "three distinct files: {dests:?}");
    // Receipts come back in input order.
    let got: Vec<String> = v["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted);
    for sha in &variants {
        let (code, v) = t.json(&["show", &sha[..12]]);
        assert_eq!(code, 0, "{v}");
    }
    assert_bags_valid(&t.archive());
}
