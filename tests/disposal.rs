//! Retention and disposal (issue 4): sections of the retention report, drafts that never
//! list ЭПК, held or unlapsed cases, the act in the official form (PDF, CSV), approval
//! refused on any change, and crash-safe execution leaving tombstones.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

use common::*;
use serde_json::Value;

/// The fixtures under a nomenclature where protocols are kept 3 years with ЭПК (so a
/// lapsed ЭПК case exists) and the test-work case title is hostile to spreadsheets.
fn archive() -> TestArchive {
    let t = TestArchive::new();
    let nom = fs::read_to_string(repo().join("config/nomenclature.toml")).unwrap();
    let nom = nom
        .replacen(
            "case_title = \"Протоколы заседаний аттестационной комиссии\"\nperiod = \"permanent\"",
            "case_title = \"Протоколы заседаний аттестационной комиссии\"\nperiod = \"3 years\"",
            1,
        )
        .replacen(
            "case_title = \"Работы промежуточной аттестации\"",
            "case_title = \"=HYPERLINK(\\\"http://x\\\")\"",
            1,
        );
    fs::write(t.root.join("nomenclature.toml"), nom).unwrap();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_string())
        .collect()
}

const AS_OF: &str = "2027-02-01";

#[test]
fn drafts_list_only_eligible_cases_and_the_act_is_in_the_official_form() {
    let t = archive();
    let (code, v) = t.json(&[
        "hold",
        "add",
        "02-05/2022/ПК-2022-005",
        "--reason",
        "запрос",
    ]);
    assert_eq!(code, 0, "{v}");
    let (code, r) = t.json(&["retention", "--as-of", AS_OF]);
    assert_eq!(code, 0, "{r}");
    let eligible = keys(&r["eligible"]);
    assert_eq!(
        eligible,
        [
            "02-03/2019/ПК-2019-017",
            "02-05/2019/ПК-2019-017",
            "02-05/2023/ПК-2023-014"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    assert!(keys(&r["held"]).contains("02-05/2022/ПК-2022-005"));
    assert!(
        keys(&r["epk_review"]).contains("02-01/2023"),
        "a lapsed ЭПК case goes to expert review: {}",
        r["epk_review"]
    );
    assert!(
        keys(&r["lapsing_soon"]).contains("02-03/2022/ПК-2022-005"),
        "the 2022 journal lapses 01.01.2028"
    );
    assert!(keys(&r["commission_decides"]).contains("02-06/2019"));

    let (code, v) = t.json(&["disposal", "draft", "--as-of", AS_OF]);
    assert_eq!(code, 0, "{v}");
    let act = &v["act"];
    assert_eq!(act["number"], 1);
    let in_act = keys(&act["case"]);
    assert_eq!(
        in_act, eligible,
        "ЭПК, held and unlapsed cases never appear in a draft"
    );

    let dir = t.root.join("acts/1");
    if have_tool("pdftotext") {
        let out = Command::new("pdftotext")
            .arg("-raw")
            .arg(dir.join("act.pdf"))
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let flat: String = text.split_whitespace().collect();
        for want in [
            "АКТ",
            "УТВЕРЖДАЮ",
            "овыделениикуничтожениюдокументов,неподлежащиххранению",
            "№п/п",
            "Заголовокделаилигрупповойзаголовокдел",
            "Датаделаиликрайниедатыдел",
            "Номераописей(номенклатур)загоды",
            "Индексдела(тома,части)пономенклатуреили№делапоописи",
            "Количестводел(томов,частей)",
            "Срокихранениядела(тома,части)иномерастатейпоперечню",
            "Примечание",
            "Итого3(три)дела",
            "02-03",
            "02-05",
        ] {
            assert!(flat.contains(want), "act.pdf lacks {want:?}:\n{text}");
        }
        let info = Command::new("pdfinfo")
            .arg(dir.join("act.pdf"))
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.contains("595") && info.contains("842") && info.contains("A4"),
            "{info}"
        );
    }
    // The CSV has the same rows and cannot smuggle a formula.
    let mut rdr = csv::Reader::from_path(dir.join("act.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| !r[1].starts_with('=')), "{rows:?}");
    assert!(rows.iter().any(|r| r[1].starts_with("'=HYPERLINK")));
    let appendix = csv::Reader::from_path(dir.join("appendix.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(appendix, 3);
    assert!(
        fs::read_to_string(dir.join("act.md"))
            .unwrap()
            .contains("Итого 3 (три) дела")
    );
}

#[test]
fn approve_refuses_a_changed_act_and_execute_refuses_an_unapproved_one() {
    let t = archive();
    let (code, v) = t.json(&["disposal", "draft", "--as-of", AS_OF]);
    assert_eq!(code, 0, "{v}");
    let doc = v["act"]["case"][0]["documents"][0].clone();
    let id = doc["id"].as_str().unwrap().to_string();

    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_ne!(code, 0);
    assert!(v["error"].as_str().unwrap().contains("not approved"), "{v}");

    // A new hold on a listed document.
    t.json(&["hold", "add", &id, "--reason", "проверка"]);
    let (code, v) = t.json(&[
        "disposal",
        "approve",
        "1",
        "--protocol",
        "№ 3 от 12.12.2026",
        "--approved-by",
        "Петров В. В.",
    ]);
    assert_eq!(code, 1, "{v}");
    assert!(v["changes"].to_string().contains("hold #1"), "{v}");
    t.json(&["hold", "release", "1", "--reason", "снята"]);

    // A failed fixity check.
    let scan = t
        .root
        .join(doc["box_path"].as_str().unwrap())
        .join(doc["file"].as_str().unwrap());
    let orig = fs::read(&scan).unwrap();
    let mut bad = orig.clone();
    bad[100] ^= 1;
    fs::write(&scan, &bad).unwrap();
    let (code, v) = t.json(&[
        "disposal",
        "approve",
        "1",
        "--protocol",
        "№ 3",
        "--approved-by",
        "Петров",
    ]);
    assert_eq!(code, 1);
    assert!(
        v["changes"].to_string().contains("fixity check failed"),
        "{v}"
    );
    fs::write(&scan, &orig).unwrap();

    // A document added to one of its cases (a second test work of the 2019 group).
    let extra = t.tmp.path().join("extra");
    fs::create_dir_all(&extra).unwrap();
    unclassifiable_pdf(&extra, "work.pdf");
    fs::write(
        extra.join("work.pdf.toml"),
        "kind = \"test\"\ndate = 2019-07-02\ngroup = \"ПК-2019-017\"\n",
    )
    .unwrap();
    assert!(
        t.cmd(&["ingest", extra.join("work.pdf").to_str().unwrap()])
            .status
            .success()
    );
    let (code, v) = t.json(&[
        "disposal",
        "approve",
        "1",
        "--protocol",
        "№ 3",
        "--approved-by",
        "Петров",
    ]);
    assert_eq!(code, 1);
    assert!(
        v["changes"].to_string().contains("added after the draft"),
        "{v}"
    );
    let (_, v) = t.json(&["disposal", "show", "1"]);
    assert_eq!(v["act"]["state"], "draft");
}

#[test]
fn execution_killed_midway_completes_on_rerun_and_leaves_tombstones() {
    let t = archive();
    let before = t.archive().catalogue().unwrap();
    let (code, v) = t.json(&["disposal", "draft", "--as-of", AS_OF]);
    assert_eq!(code, 0, "{v}");
    let listed: BTreeSet<String> = v["act"]["case"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        listed.len(),
        4,
        "journal 2019 and test works 2019, 2022, 2023"
    );
    let (code, v) = t.json(&[
        "disposal",
        "approve",
        "1",
        "--protocol",
        "№ 3 от 12.12.2026",
        "--approved-by",
        "Петров В. В.",
    ]);
    assert_eq!(code, 0, "{v}");

    // Crash after the second document.
    let out = Command::new(bin())
        .arg("--root")
        .arg(&t.root)
        .args(["disposal", "execute", "1"])
        .env("ARCHIVIST_CRASH_AFTER_DESTROYED", "2")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the crash hook must stop the run");
    let (code, v) = t.json(&["disposal", "execute", "1"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["act"]["state"], "executed");

    let after = t.archive().catalogue().unwrap();
    for id in before.keys() {
        assert_eq!(
            after.contains_key(&id),
            !listed.contains(&id),
            "{id}: only listed documents are destroyed"
        );
    }
    assert_bags_valid(&t.archive());
    assert!(t.cmd(&["audit", "verify"]).status.success());
    let (code, v) = t.json(&["check"]);
    assert_eq!(code, 0, "{v}");
    // Each destruction is audited exactly once despite the crash.
    let audit = fs::read_to_string(t.root.join("journal/audit.jsonl")).unwrap();
    assert_eq!(
        audit
            .lines()
            .filter(|l| l.contains("\"action\":\"destroyed\""))
            .count(),
        4,
        "{audit}"
    );

    // A search for a destroyed document's learner shows the tombstone and the act.
    let exp = fixture_expected();
    let destroyed = exp
        .iter()
        .find(|e| listed.contains(&sha256(&fixtures_dir().join(&e.file))) && !e.learners.is_empty())
        .unwrap();
    let learner = &destroyed.learners[0];
    let (_, v) = t.json(&["search", learner, "--limit", "50"]);
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| listed.contains(h["id"].as_str().unwrap()))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(hit["status"], "destroyed");
    assert!(
        hit["note"]
            .as_str()
            .unwrap()
            .contains("уничтожен по акту № 1 от 01.02.2027"),
        "{hit}"
    );
    // The retention report no longer lists destroyed cases.
    let (_, r) = t.json(&["retention", "--as-of", AS_OF]);
    assert!(keys(&r["eligible"]).is_empty(), "{}", r["eligible"]);
}
