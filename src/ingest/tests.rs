//! The pipeline driven stage by stage on a real archive in a temp folder, with a real
//! index: what happens when a source vanishes or changes between the stages.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use crate::ingest::input::input_for;
use crate::ingest::pipeline::Ingestor;
use crate::ingest::prepare::Prepared;
use crate::search::Sink;
use crate::store::archive::Archive;
use crate::store::audit::Actor;
use crate::store::receipts::{Outcome, Receipt};

struct Setup {
    _tmp: tempfile::TempDir,
    archive: Archive,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("archive");
    Archive::init(&root, None).unwrap();
    fs::write(root.join("archivist.toml"), "[ocr]\nenabled = false\n").unwrap();
    let archive = Archive::open(&root, None).unwrap();
    Setup { _tmp: tmp, archive }
}

fn fixture(n: usize) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/scans");
    let mut pdfs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    pdfs.sort();
    fs::read(&pdfs[n]).unwrap()
}

fn ingestor(a: &Archive) -> Ingestor<'_> {
    let sink = Sink::open(&a.index).unwrap();
    Ingestor::open(a, Box::new(sink), &Actor::system()).unwrap()
}

/// Prepares one inbox file, lets `between` act on it, then places and commits it.
fn run_one(ing: &mut Ingestor, path: &std::path::Path, between: impl FnOnce()) -> Receipt {
    let input = input_for(&ing.archive.inbox, path, true);
    let prepared = ing.preparer().prepare(input);
    between();
    let mut r = ing.place_and_commit(vec![prepared]).unwrap();
    assert_eq!(r.len(), 1, "{r:?}");
    r.remove(0)
}

fn files(dir: &std::path::Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

#[test]
fn a_scan_deleted_after_it_was_read_gets_a_final_vanished_receipt() {
    let s = setup();
    let mut ing = ingestor(&s.archive);
    let p = s.archive.inbox.join("scan.pdf");
    fs::write(&p, fixture(0)).unwrap();
    let r = run_one(&mut ing, &p, || fs::remove_file(&p).unwrap());
    assert_eq!(r.outcome, Outcome::Vanished, "{r:?}");
    assert!(r.destination.is_none(), "{r:?}");
    assert_eq!(ing.catalogue_len().unwrap(), 0);
    let stray: Vec<_> = files(&s.archive.boxes)
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("/data/"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn a_file_deleted_before_it_is_moved_to_review_gets_no_receipt_pointing_at_nothing() {
    let s = setup();
    let mut ing = ingestor(&s.archive);
    let p = s.archive.inbox.join("unknown.pdf");
    fs::write(&p, fixture(0)).unwrap();
    // A kind the nomenclature does not know: the scan needs a person.
    fs::write(
        s.archive.inbox.join("unknown.pdf.toml"),
        "kind = \"nonsense\"\n",
    )
    .unwrap();
    let r = run_one(&mut ing, &p, || fs::remove_file(&p).unwrap());
    assert_eq!(r.outcome, Outcome::Vanished, "{r:?}");
    assert!(
        files(&s.archive.review).is_empty(),
        "notes left for a file that is not there"
    );
    for r in crate::store::receipts::read_all(&s.archive.journal).unwrap() {
        if let Some(d) = &r.destination {
            assert!(
                s.archive.root.join(d).exists(),
                "receipt points at nothing: {r:?}"
            );
        }
    }
}

#[test]
fn a_scan_written_to_after_it_was_read_stays_and_its_new_content_is_archived_too() {
    let s = setup();
    let mut ing = ingestor(&s.archive);
    let p = s.archive.inbox.join("grows.pdf");
    let v1 = fixture(1);
    fs::write(&p, &v1).unwrap();
    let r = run_one(&mut ing, &p, || {});
    assert_eq!(r.outcome, Outcome::Archived);
    // Now the same again, but the scanner appends between reading and committing.
    let p = s.archive.inbox.join("grows2.pdf");
    let v2 = fixture(2);
    fs::write(&p, &v2).unwrap();
    let r = run_one(&mut ing, &p, || {
        let mut f = fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"\n%the rest of the scan\n").unwrap();
    });
    // The version read was copied while unchanged, or the copy noticed the change.
    match r.outcome {
        Outcome::Archived | Outcome::Deferred => {}
        o => panic!("{o:?}: {r:?}"),
    }
    assert!(
        p.is_file(),
        "the source was removed although it changed after it was read"
    );
    let input = input_for(&s.archive.inbox, &p, true);
    let prepared = ing.preparer().prepare(input);
    assert!(matches!(prepared, Prepared::Ready(_)));
    let r2 = ing.place_and_commit(vec![prepared]).unwrap().remove(0);
    assert_eq!(r2.outcome, Outcome::Archived, "{r2:?}");
    let mut whole = v2.clone();
    whole.extend_from_slice(b"\n%the rest of the scan\n");
    assert_eq!(
        r2.sha256.as_deref(),
        Some(crate::store::fsutil::sha256_hex(&whole).as_str())
    );
    assert!(!p.exists());
}

/// Returns once a file written now gets a later change time than `p` has.
fn after_the_clock_ticks_past(p: &std::path::Path) {
    use std::os::unix::fs::MetadataExt;
    let ctime = |m: fs::Metadata| (m.ctime(), m.ctime_nsec());
    let then = ctime(fs::metadata(p).unwrap());
    let probe = p.with_extension("tick");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        fs::write(&probe, b"tick").unwrap();
        if ctime(fs::metadata(&probe).unwrap()) > then {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the clock did not move"
        );
        std::thread::yield_now();
    }
    fs::remove_file(&probe).unwrap();
}

/// The bytes read are written from memory (within the batch's budget) or, past it, read
/// again and checked against their hash: both archive exactly the bytes that were hashed,
/// and both notice a scan overwritten (same size, other bytes) or deleted in between.
#[test]
fn a_scan_is_archived_as_read_whether_its_bytes_were_kept_or_read_again() {
    use std::sync::atomic::AtomicU64;
    for budget in [crate::ingest::prepare::KEEP_PER_BATCH, 0] {
        let s = setup();
        let mut ing = ingestor(&s.archive);
        let p = s.archive.inbox.join("scan.pdf");
        let v1 = fixture(3);
        fs::write(&p, &v1).unwrap();
        let prepare = |ing: &Ingestor| {
            let input = input_for(&ing.archive.inbox, &p, true);
            ing.preparer()
                .prepare_keeping(input, &AtomicU64::new(budget))
        };
        let prepared = prepare(&ing);
        let Prepared::Ready(r) = &prepared else {
            panic!("not ready")
        };
        assert_eq!(r.kept.is_some(), budget > 0, "budget {budget}");
        let r = ing.place_and_commit(vec![prepared]).unwrap().remove(0);
        assert_eq!(r.outcome, Outcome::Archived, "budget {budget}: {r:?}");
        let dest = s.archive.root.join(r.destination.as_deref().unwrap());
        assert_eq!(fs::read(&dest).unwrap(), v1, "budget {budget}");
        assert!(!p.exists());

        // Overwritten in place after it was read: same size, other bytes.
        let v2 = fixture(4);
        fs::write(&p, &v2).unwrap();
        let prepared = prepare(&ing);
        let mut forged = v2.clone();
        let last = forged.len() - 2;
        forged[last] ^= 0x20;
        // The kernel stamps files from a coarse clock: wait until it has moved on, or the
        // overwrite could carry the very times that were read (same size, same inode).
        after_the_clock_ticks_past(&p);
        fs::write(&p, &forged).unwrap();
        let r = ing.place_and_commit(vec![prepared]).unwrap().remove(0);
        assert_eq!(r.outcome, Outcome::Deferred, "budget {budget}: {r:?}");
        assert!(
            r.reason.contains("changed while it was being archived"),
            "budget {budget}: {}",
            r.reason
        );
        assert_eq!(fs::read(&p).unwrap(), forged, "the source stays as it is");

        // Deleted after it was read: nothing is kept.
        fs::remove_file(&p).unwrap();
        fs::write(&p, fixture(5)).unwrap();
        let prepared = prepare(&ing);
        fs::remove_file(&p).unwrap();
        let r = ing.place_and_commit(vec![prepared]).unwrap().remove(0);
        assert_eq!(r.outcome, Outcome::Vanished, "budget {budget}: {r:?}");
        assert_eq!(ing.catalogue_len().unwrap(), 1, "budget {budget}");
    }
}

/// A scan with no text layer whose kind and year need its text waits for OCR; once the
/// OCR cache holds its text, it is classified from that text and filed, with no OCR
/// after filing (no Tesseract needed: the cache entry stands for a finished OCR).
#[test]
fn a_cached_ocr_result_is_used_and_not_done_again() {
    use crate::formats::ocr::{PageText, TextSource};
    use crate::ingest::ocrcache::CachedOcr;
    use crate::ingest::prepare::OcrFirst;

    let s = setup();
    let a = &s.archive;
    let scan = fixturegen::generate(&fixturegen::GenOptions {
        seed: 5,
        count: 1,
        image_only: true,
        ..Default::default()
    })
    .next()
    .unwrap()
    .unwrap();
    let path = a.inbox.join("scan.pdf");
    fs::write(&path, &scan.bytes).unwrap();
    let mut ing = ingestor(a);
    ing.set_ocr_first(OcrFirst::Queue);

    let input = input_for(&a.inbox, &path, true);
    let prepared = ing.preparer().prepare(input.clone());
    assert!(matches!(prepared, Prepared::NeedsOcr { .. }));
    let r = ing.place_and_commit(vec![prepared]).unwrap();
    assert!(r.is_empty(), "no receipt while it waits for OCR: {r:?}");
    let waiting = ing.take_waiting_ocr();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].pages, vec![1]);
    assert!(path.is_file(), "it stays in the inbox meanwhile");

    // What OCR would have read.
    let sha = waiting[0].sha.clone();
    ing.ocr_cache()
        .put(&CachedOcr {
            sha256: sha.clone(),
            languages: a.config.ocr.languages.clone(),
            at: chrono::Utc::now(),
            pages: vec![PageText {
                page: 1,
                source: TextSource::Ocr,
                text: scan.text.clone(),
                confidence: Some(93.0),
                rotation: 0,
                error: None,
            }],
        })
        .unwrap();
    let r = run_one(&mut ing, &path, || {});
    assert_eq!(r.outcome, Outcome::Archived, "{r:?}");
    assert!(ing.take_waiting_ocr().is_empty(), "not OCRed a second time");
    assert!(ing.take_ocr_jobs().is_empty(), "no OCR after filing either");
    assert!(!path.exists());
    assert!(
        ing.ocr_cache().get(&sha, &a.config.ocr.languages).is_none(),
        "the cache entry goes once the text is in the box"
    );
    let loc = a.catalogue().unwrap().get(&sha).unwrap();
    let meta = a.read_meta(&loc).unwrap();
    let e = &scan.expected;
    assert_eq!(
        (
            meta.kind.as_str(),
            meta.year,
            meta.group.as_deref(),
            meta.date
        ),
        (
            e.kind.as_str(),
            e.year,
            Some(e.group.as_str()),
            Some(e.date)
        )
    );
    assert_eq!(meta.provenance["kind"], "ocr");
    assert_eq!(meta.provenance["year"], "ocr");
    assert!(meta.provenance_detail["kind"].starts_with('«'));
    let ocr = meta.ocr.unwrap();
    assert_eq!(ocr.state.as_str(), "done");
    assert_eq!(ocr.pages[0].source, TextSource::Ocr);
    let text = fs::read_to_string(
        a.root
            .join(&loc.box_rel)
            .join(crate::store::archive::text_of(&loc.file)),
    )
    .unwrap();
    assert_eq!(text, scan.text);
}

/// Without OCR (disabled, or Tesseract missing) such a scan goes to review as before,
/// with the reason; with a cached text it keeps that text beside it.
#[test]
fn without_ocr_a_scan_with_no_text_goes_to_review_with_the_reason() {
    use crate::ingest::prepare::OcrFirst;
    let s = setup();
    let a = &s.archive;
    let pdf = fixturegen::generate(&fixturegen::GenOptions {
        seed: 5,
        count: 1,
        image_only: true,
        ..Default::default()
    })
    .next()
    .unwrap()
    .unwrap()
    .bytes;
    let path = a.inbox.join("scan.pdf");
    fs::write(&path, &pdf).unwrap();
    let mut ing = ingestor(a);
    ing.set_ocr_first(OcrFirst::Unavailable(
        "cannot run tesseract; install it with `apt-get install tesseract-ocr`".into(),
    ));
    let r = run_one(&mut ing, &path, || {});
    assert_eq!(r.outcome, Outcome::Review, "{r:?}");
    assert!(
        r.reason
            .contains("OCR is not available: cannot run tesseract; install it"),
        "{}",
        r.reason
    );
    assert!(ing.take_waiting_ocr().is_empty());
    assert!(
        !a.review.join("scan.pdf.ocr.txt").exists(),
        "no text, no text file"
    );
}
