//! Use cases through the library alone, as the web interface and any other front end
//! call them: typed values in, typed values and typed errors out, nothing printed.

mod common;

use archivist::api::{Actor, Archivist};
use archivist::error::ErrorKind;
use archivist::search::SearchRequest;
use archivist::store::document::Status;

use common::fixtures_dir;

fn archive_with_fixtures() -> (tempfile::TempDir, Archivist) {
    let tmp = tempfile::tempdir().unwrap();
    let (ar, init) = Archivist::init(&tmp.path().join("archive"), None).unwrap();
    assert!(init.inbox.is_dir());
    let mut seen = 0;
    let report = ar
        .ingest(
            &[fixtures_dir()],
            false,
            &Actor::new("library-test"),
            &mut |p| {
                seen = p.done;
            },
        )
        .unwrap();
    assert_eq!(seen, report.receipts.len(), "progress saw every file");
    assert!(report.summary.archived >= 10, "{:?}", report.summary);
    (tmp, ar)
}

#[test]
fn search_returns_a_page_and_facets_that_count_the_whole_result() {
    let (_tmp, ar) = archive_with_fixtures();
    let mut req = SearchRequest::new("Иванову А. С.");
    req.per_page = 1;
    let r = ar.search(&req).unwrap();
    assert_eq!(r.read_as, "name");
    assert!(r.total >= 2, "the fixtures name him twice: {}", r.total);
    assert_eq!(r.hits.len(), 1, "one page of one");
    assert_eq!(r.pages(), r.total);
    // Facets count every hit, not the page: each facet's counts add up to the total.
    for (name, counts) in [
        ("kind", &r.facets.kind),
        ("year", &r.facets.year),
        ("status", &r.facets.status),
    ] {
        let sum: u64 = counts.iter().map(|c| c.count).sum();
        assert_eq!(sum as usize, r.total, "{name} facet: {counts:?}");
    }
    // A filter on one facet value gives exactly that value's count.
    let first = &r.facets.kind[0];
    let mut filtered = SearchRequest::new("Иванову А. С.");
    filtered.filters.kind = Some(first.value.clone());
    let f = ar.search(&filtered).unwrap();
    assert_eq!(f.total as u64, first.count);
    assert!(f.hits.iter().all(|h| h.kind == first.value));
    // The second page continues where the first ended.
    req.page = 2;
    let p2 = ar.search(&req).unwrap();
    assert!(
        p2.hits
            .iter()
            .all(|h| r.hits.iter().all(|h1| h1.id != h.id))
    );
}

#[test]
fn a_hold_through_the_library_is_listed_audited_and_kept_from_retention() {
    let (_tmp, ar) = archive_with_fixtures();
    let hit = ar.search(&SearchRequest::new("Иванов")).unwrap().hits[0].clone();
    let actor = Actor::new("commission secretary");
    let hold = ar
        .hold_add(&hit.id, "request of the prosecutor's office", &actor)
        .unwrap();
    assert_eq!(hold.target, hit.id);
    assert_eq!(hold.created_by, "commission secretary");
    let holds = ar.holds(false).unwrap();
    assert!(holds.iter().any(|h| h.number == hold.number));
    // The audit log names the person who asked.
    let shown = ar.show(&hit.id).unwrap();
    assert!(
        shown
            .history
            .iter()
            .any(|h| h.action.contains("hold") && h.actor == "commission secretary"),
        "{:?}",
        shown.history
    );
    // Typed errors, not text: an unknown document is NotFound, an empty reason Invalid.
    let e = ar.hold_add("0000000000", "x", &actor).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = ar.hold_add(&hit.id, "  ", &actor).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    // Released, it stays in the list of all holds.
    let released = ar
        .hold_release(&hold.number.to_string(), "case closed", &actor)
        .unwrap();
    assert_eq!(released.len(), 1);
    assert!(
        ar.holds(false)
            .unwrap()
            .iter()
            .all(|h| h.number != hold.number)
    );
    assert!(
        ar.holds(true)
            .unwrap()
            .iter()
            .any(|h| h.number == hold.number)
    );
    assert_eq!(ar.show(&hit.id).unwrap().metadata.status, Status::Active);
    // The document page lists this document's holds, in force first, and no other's;
    // its history and holds come from one pass over the audit log.
    let other = ar
        .search(&SearchRequest::new("*"))
        .unwrap()
        .hits
        .into_iter()
        .find(|h| h.id != hit.id)
        .expect("a second document");
    let elsewhere = ar.hold_add(&other.id, "another matter", &actor).unwrap();
    let again = ar.hold_add(&hit.id, "a new request", &actor).unwrap();
    let page = ar.document(&hit.id).unwrap();
    let numbers: Vec<u32> = page.holds.iter().map(|h| h.number).collect();
    assert_eq!(numbers, vec![again.number, hold.number], "{:?}", page.holds);
    assert!(page.holds[0].active() && !page.holds[1].active());
    assert!(!numbers.contains(&elsewhere.number));
    assert_eq!(
        page.view
            .history
            .iter()
            .filter(|h| h.action.starts_with("hold-"))
            .count(),
        3,
        "added, released, added again: {:?}",
        page.view.history
    );
}
