//! Printing (issue 14): box labels whose QR codes decode to their payloads, case covers,
//! inventories whose totals match the archive, the inner inventory of a box that lists
//! exactly its manifest, the printed nomenclature, and disposal approval that checks the
//! inventories. Every PDF is read back with pdftotext; a PNG of each goes to
//! `target/print-tests/` for a person to look at.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

/// An archive holding the fixture scans (2019/ПК-2019-017, 2022/ПК-2022-005,
/// 2023/ПК-2023-014), with extra lines for archivist.toml.
fn archive(extra_config: &str) -> TestArchive {
    let t = TestArchive::with_config(&format!("{FAST_CONFIG}{extra_config}"));
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    let out = t.cmd(&["ingest", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

fn out_dir() -> PathBuf {
    let d = repo().join("target/print-tests");
    fs::create_dir_all(&d).unwrap();
    d
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The PDF's text as a reader sees it (-layout) and in stream order (-raw), without
/// whitespace.
fn pdf_text(p: &Path) -> (String, String) {
    let run = |mode: &str| {
        let out = Command::new("pdftotext")
            .args([mode, &p.to_string_lossy(), "-"])
            .output()
            .unwrap();
        assert!(out.status.success(), "pdftotext {p:?}");
        squash(&String::from_utf8_lossy(&out.stdout))
    };
    (run("-layout"), run("-raw"))
}

/// Page 1 of the PDF rendered at `dpi` (greyscale PNG) under target/print-tests/.
fn render(p: &Path, name: &str, dpi: u32) -> PathBuf {
    let stem = out_dir().join(name);
    let out = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-gray",
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
        ])
        .arg(p)
        .arg(&stem)
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm {p:?}");
    stem.with_extension("png")
}

/// Every QR code zbarimg finds on page 1 at `dpi`, sorted.
fn qr_codes(p: &Path, name: &str, dpi: u32) -> Vec<String> {
    let png = render(p, &format!("{name}-{dpi}dpi"), dpi);
    // Only stdout: zbarimg prints harmless D-Bus warnings on stderr.
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(&png)
        .output()
        .unwrap();
    let mut codes: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    codes.sort();
    codes
}

/// (documents, pages) of each box, from the fixtures' own description.
fn expected_boxes() -> BTreeMap<(i32, String), (u64, u64)> {
    let mut m: BTreeMap<(i32, String), (u64, u64)> = BTreeMap::new();
    for e in fixture_expected() {
        let key = (e.year, e.group.clone());
        let v = m.entry(key).or_default();
        v.0 += 1;
        v.1 += e.pages as u64;
    }
    m
}

#[test]
fn labels_for_every_box_decode_to_their_payloads_at_200_and_100_dpi() {
    if !have_tool("pdftotext") || !have_tool("zbarimg") {
        return;
    }
    let t = archive("");
    let pdf = t.tmp.path().join("labels.pdf");
    let (code, v) = t.json(&["labels", "--out", pdf.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["file"].as_str().map(PathBuf::from), Some(pdf.clone()));
    let labels = v["labels"].as_array().unwrap();
    let want = expected_boxes();
    assert_eq!(labels.len(), want.len());
    for l in labels {
        let key = (
            l["year"].as_i64().unwrap() as i32,
            l["group"].as_str().unwrap().to_string(),
        );
        let (docs, pages) = want[&key];
        assert_eq!(l["documents"].as_u64(), Some(docs), "{l}");
        assert_eq!(l["pages"].as_u64(), Some(pages), "{l}");
        assert_eq!(
            l["payload"].as_str().unwrap(),
            format!("archivist:box/{}/{}", key.0, key.1)
        );
    }
    fs::copy(&pdf, out_dir().join("labels.pdf")).unwrap();
    render(&pdf, "labels", 75);

    let (layout, raw) = pdf_text(&pdf);
    for (year, group) in want.keys() {
        assert!(layout.contains(&year.to_string()), "{year}");
        assert!(layout.contains(&squash(group)), "{group}: Cyrillic intact");
    }
    assert!(raw.contains("Хранить:") && raw.contains("ЭПК"), "{raw}");
    let mut payloads: Vec<String> = labels
        .iter()
        .map(|l| l["payload"].as_str().unwrap().to_string())
        .collect();
    payloads.sort();
    for dpi in [200, 100] {
        assert_eq!(qr_codes(&pdf, "labels", dpi), payloads, "at {dpi} dpi");
    }
}

#[test]
fn with_a_base_url_the_qr_code_opens_the_box_page_on_a_small_sheet() {
    if !have_tool("pdftotext") || !have_tool("zbarimg") {
        return;
    }
    let t = archive("[web]\nbase_url = \"http://archive.local:8080/\"\n");
    let pdf = t.tmp.path().join("one.pdf");
    let (code, v) = t.json(&[
        "labels",
        "--year",
        "2023",
        "--group",
        "ПК-2023-014",
        "--sheet",
        "a4-3x8",
        "--skip",
        "4",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    let url = "http://archive.local:8080/box/2023/ПК-2023-014";
    assert_eq!(v["labels"][0]["payload"], url);
    assert_eq!(v["placements"][0]["position"], 5, "four labels skipped");
    for dpi in [200, 100] {
        assert_eq!(qr_codes(&pdf, "labels-3x8-url", dpi), [url], "at {dpi} dpi");
    }
    // A selection that names no box is an error, not an empty sheet.
    let (code, v) = t.json(&["labels", "--year", "2031"]);
    assert_eq!(code, 5, "{v}");
    let (code, v) = t.json(&["labels", "--sheet", "a4-9x9"]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"].as_str().unwrap().contains("a4-2x4"), "{v}");
}

#[test]
fn sheets_and_printers_come_from_archivist_toml_and_calibrate() {
    if !have_tool("pdftotext") {
        return;
    }
    let t = archive(
        "[labels]\ndefault_sheet = \"herma\"\n\
         [[labels.sheet]]\nname = \"herma\"\ndescription = \"A4, 2 × 8\"\n\
         page_width_mm = 210\npage_height_mm = 297\nlabel_width_mm = 105\n\
         label_height_mm = 37\ncolumns = 2\nrows = 8\nmargin_left_mm = 0\nmargin_top_mm = 0.5\n\
         [[labels.printer]]\nname = \"office\"\noffset_x_mm = 0.8\noffset_y_mm = -1.2\n",
    );
    let (code, v) = t.json(&["labels", "--sheets"]);
    assert_eq!(code, 0, "{v}");
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"herma") && names.contains(&"a4-2x4"),
        "{names:?}"
    );
    let pdf = t.tmp.path().join("cal.pdf");
    let (code, v) = t.json(&[
        "labels",
        "--calibrate",
        "--printer",
        "office",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["sheet"]["name"], "herma");
    assert_eq!(v["offset"]["x_mm"], 0.8);
    let (layout, _) = pdf_text(&pdf);
    assert!(
        layout.contains(&squash("herma: x +0.8 мм, y -1.2 мм")),
        "{layout}"
    );
    assert!(layout.contains("16"), "sixteen frames numbered");
    let (code, v) = t.json(&["labels", "--printer", "lab"]);
    assert_eq!(code, 2, "{v}");
}

#[test]
fn inventories_list_the_years_long_term_cases_and_are_recorded() {
    if !have_tool("pdftotext") {
        return;
    }
    let t = archive("");
    let (code, v) = t.json(&["inventory", "--year", "2023"]);
    assert_eq!(code, 0, "{v}");
    let made = v["made"].as_array().unwrap();
    let by_kind: BTreeMap<&str, &Value> = made
        .iter()
        .map(|m| (m["inventory"]["kind"].as_str().unwrap(), m))
        .collect();
    assert_eq!(
        by_kind.keys().copied().collect::<Vec<_>>(),
        ["permanent", "personnel"],
        "2023 has permanent cases and a 50/75 order; nothing kept 10 years or less"
    );
    // The cases counted are the archive's: the 2023 documents whose kind is kept
    // permanently (orders on organisation, protocols, the issuance book).
    let exp: Vec<_> = fixture_expected()
        .into_iter()
        .filter(|e| e.year == 2023)
        .collect();
    let permanent_kinds = ["order-organisation", "protocol", "issuance-book"];
    let kinds: BTreeSet<&str> = exp
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| permanent_kinds.contains(k))
        .collect();
    let sheets: u64 = exp
        .iter()
        .filter(|e| permanent_kinds.contains(&e.kind.as_str()))
        .map(|e| e.pages as u64)
        .sum();
    let perm = &by_kind["permanent"]["inventory"];
    assert_eq!(perm["case"].as_array().unwrap().len(), kinds.len());
    let listed_sheets: u64 = perm["case"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sheets"].as_u64().unwrap())
        .sum();
    assert_eq!(listed_sheets, sheets);

    let dir = t.root.join("inventories/2023/permanent");
    for f in [
        "inventory.toml",
        "inventory.pdf",
        "inventory.csv",
        "inventory.md",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let (layout, raw) = pdf_text(&dir.join("inventory.pdf"));
    for s in [
        "ОПИСЬ",
        "дел постоянного хранения",
        "за 2023 год",
        "внесено 3 (три) дела с № 1 по № 3",
    ] {
        assert!(layout.contains(&squash(s)), "inventory.pdf lacks «{s}»");
    }
    assert!(raw.contains(&squash("Протоколы заседаний аттестационной комиссии")));
    render(&dir.join("inventory.pdf"), "inventory-2023-permanent", 75);
    let md = fs::read_to_string(dir.join("inventory.md")).unwrap();
    assert!(md.contains("3 (три) дела"), "{md}");
    let csv_rows = fs::read_to_string(dir.join("inventory.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(csv_rows, 4);
    let (layout, _) = pdf_text(&t.root.join("inventories/2023/personnel/inventory.pdf"));
    assert!(layout.contains(&squash("внесено 1 (одно) дело с № 1 по № 1")));
    assert!(layout.contains(&squash("50/75 лет, ЭПК")));

    // Made, audited with who made it; a year that needs none says so.
    let audit = fs::read_to_string(t.root.join("journal/audit.jsonl")).unwrap();
    let events: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &Value| e["action"] == "inventory-made")
        .collect();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| !e["actor"].as_str().unwrap().is_empty())
    );
    let (code, v) = t.json(&["inventory", "--year", "2022", "--kind", "personnel"]);
    assert_eq!(code, 5, "{v}");
    // The next year's inventory of the same kind numbers on.
    let (code, v) = t.json(&["inventory", "--year", "2019"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = t.json(&["inventory", "--year", "2023", "--kind", "permanent"]);
    assert_eq!(code, 0, "{v}");
    let inv = &v["made"][0];
    assert_eq!(inv["replaced"], true);
    assert_eq!(inv["inventory"]["first_number"], 2, "after 2019's one case");
    assert!(t.cmd(&["audit", "verify"]).status.success());
}

#[test]
fn the_inner_inventory_of_a_box_lists_exactly_its_manifest() {
    if !have_tool("pdftotext") {
        return;
    }
    let t = archive("");
    let pdf = t.tmp.path().join("inner.pdf");
    let (code, v) = t.json(&[
        "inventory",
        "--box",
        "2023/ПК-2023-014",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    let dir = t.root.join("boxes/2023/ПК-2023-014");
    let manifest: BTreeSet<String> = archivist::store::boxes::read_manifest(&dir)
        .unwrap()
        .into_keys()
        .filter(|p| p.ends_with(".pdf"))
        .collect();
    let listed: BTreeSet<String> = v["inventory"]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, manifest);
    let (layout, raw) = pdf_text(&pdf);
    for f in &manifest {
        assert!(raw.contains(&squash(f)), "{f}");
    }
    let n = manifest.len();
    assert_eq!(n, 7);
    assert!(
        layout.contains(&squash("Итого 7 (семь) документов")),
        "{layout}"
    );
    assert!(layout.contains(&squash("96-у")));
    render(&pdf, "inventory-box", 75);
    let (code, v) = t.json(&["inventory", "--box", "2023/ПК-2023-999"]);
    assert_eq!(code, 5, "{v}");
}

#[test]
fn covers_and_the_nomenclature_read_back() {
    if !have_tool("pdftotext") {
        return;
    }
    let t = archive("");
    let pdf = t.tmp.path().join("cover.pdf");
    let (code, v) = t.json(&[
        "cover",
        "02-03/2019/ПК-2019-017",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    let (layout, _) = pdf_text(&pdf);
    for s in [
        "АНО ДПО «Учебный центр «Профессионал»»",
        "ДЕЛО № 02-03",
        "Журналы учета занятий (группа ПК-2019-017)",
        "2019 г.",
        "На 2 листах",
        "Хранить 5 лет",
    ] {
        assert!(layout.contains(&squash(s)), "cover lacks «{s}»");
    }
    render(&pdf, "cover", 75);
    let (code, v) = t.json(&["cover", "02-03/2019"]);
    assert_eq!(code, 5, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("02-03/2019/ПК-2019-017"),
        "{v}"
    );

    // After the inventory, a permanent case's cover carries its number in it.
    t.json(&["inventory", "--year", "2023"]);
    let pdf = t.tmp.path().join("covers.pdf");
    let (code, v) = t.json(&["cover", "--year", "2023", "--out", pdf.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let covers = v["covers"].as_array().unwrap();
    assert_eq!(covers.len(), 7);
    let protocols = covers.iter().find(|c| c["index"] == "02-01").unwrap();
    assert_eq!(protocols["inventory_number"], 2);
    assert_eq!(protocols["retention"], "Хранить до ликвидации организации");

    let pdf = t.tmp.path().join("nom.pdf");
    let (code, v) = t.json(&[
        "nomenclature",
        "--year",
        "2023",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["nomenclature"]["summary"][3]["total"], 7, "{v}");
    let (layout, raw) = pdf_text(&pdf);
    assert!(layout.contains("НОМЕНКЛАТУРАДЕЛ") && layout.contains(&squash("на 2023 год")));
    assert!(raw.contains(&squash("Журналы учета занятий (по группам)")));
    render(&pdf, "nomenclature", 75);
}

/// The fixtures under a nomenclature whose protocols are kept 3 years, so an act for
/// 2019–2023 can be drafted (as in tests/disposal.rs).
fn disposal_archive(extra_config: &str) -> TestArchive {
    let t = TestArchive::with_config(&format!("{FAST_CONFIG}{extra_config}"));
    let nom = fs::read_to_string(repo().join("config/nomenclature.toml")).unwrap();
    let nom = nom.replacen(
        "case_title = \"Протоколы заседаний аттестационной комиссии\"\nperiod = \"permanent\"",
        "case_title = \"Протоколы заседаний аттестационной комиссии\"\nperiod = \"3 years\"",
        1,
    );
    fs::write(t.root.join("nomenclature.toml"), nom).unwrap();
    let src = fixture_pdfs_in(&t.tmp.path().join("src"));
    assert!(t.cmd(&["ingest", src.to_str().unwrap()]).status.success());
    let (code, v) = t.json(&["disposal", "draft", "--as-of", "2027-02-01"]);
    assert_eq!(code, 0, "{v}");
    t
}

fn approve(t: &TestArchive) -> (i32, Value) {
    t.json(&[
        "disposal",
        "approve",
        "1",
        "--protocol",
        "№ 3 от 12.12.2026",
        "--approved-by",
        "Петров В. В.",
    ])
}

#[test]
fn approving_an_act_warns_about_missing_inventories() {
    let t = disposal_archive("");
    let (code, v) = approve(&t);
    assert_eq!(code, 0, "{v}");
    let warnings = v["act"]["warnings"].to_string();
    assert!(
        warnings.contains("2019, 2022, 2023"),
        "each year has a permanent case (orders on organisation): {warnings}"
    );
    assert_eq!(v["act"]["state"], "approved");
}

#[test]
fn approving_refuses_without_inventories_when_configured_and_passes_after_them() {
    let t = disposal_archive("[disposal]\nmissing_inventories = \"refuse\"\n");
    let (code, v) = approve(&t);
    assert_ne!(code, 0, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("archivist inventory --year 2019"),
        "{v}"
    );
    let (_, v) = t.json(&["disposal", "show", "1"]);
    assert_eq!(v["act"]["state"], "draft");
    for y in ["2019", "2022", "2023"] {
        let (code, v) = t.json(&["inventory", "--year", y]);
        assert_eq!(code, 0, "{v}");
    }
    let (code, v) = approve(&t);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["act"]["state"], "approved");
    assert!(v["act"].get("warnings").is_none(), "{v}");
}
