//! The printed inventories: the yearly inventory of cases (опись дел) in the columns of
//! the model forms, with its final entry in digits and words and the signature blocks;
//! and the inner inventory of one box (every document in it, with its sheet numbers) to
//! put inside the physical box.

use anyhow::Result;
use serde::Serialize;

use super::or_blank;
use crate::config::nomenclature::Organisation;
use crate::formats::print::layout::{
    Align, BODY_SIZE, CAPTION_SIZE, Column, Flow, LEADING, PageSpec, Row, TABLE_SIZE,
};
use crate::formats::print::pdf;
use crate::records::act::csv_safe;
use crate::records::contents::BoxContents;
use crate::records::inventory::{Inventory, InventoryKind};
use crate::ru::numerals::{count_documents, count_sheets};

/// An inventory with what its header and signature blocks need.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryPrint {
    pub organisation: String,
    pub fund_number: String,
    pub head_position: String,
    pub head_name: String,
    pub inventory: Inventory,
}

impl InventoryPrint {
    pub fn of(inv: &Inventory, org: &Organisation) -> InventoryPrint {
        InventoryPrint {
            organisation: org.name.clone(),
            fund_number: org.fund_number.clone(),
            head_position: org.head_position.clone(),
            head_name: org.head_name.clone(),
            inventory: inv.clone(),
        }
    }
}

/// The columns of the form: the permanent inventory has no period column.
pub fn columns(kind: InventoryKind) -> Vec<Column> {
    let col = Column::new;
    // Widths sum to the A4 content width (505 pt).
    match kind {
        InventoryKind::Permanent => vec![
            col(30.0, "№ п/п", Align::Center, TABLE_SIZE),
            col(55.0, "Индекс дела", Align::Left, TABLE_SIZE),
            col(215.0, "Заголовок дела", Align::Left, TABLE_SIZE),
            col(80.0, "Крайние даты", Align::Left, TABLE_SIZE),
            col(45.0, "Кол-во листов", Align::Center, TABLE_SIZE),
            col(80.0, "Примечание", Align::Left, TABLE_SIZE),
        ],
        InventoryKind::Long | InventoryKind::Personnel => vec![
            col(30.0, "№ п/п", Align::Center, TABLE_SIZE),
            col(50.0, "Индекс дела", Align::Left, TABLE_SIZE),
            col(170.0, "Заголовок дела", Align::Left, TABLE_SIZE),
            col(75.0, "Крайние даты", Align::Left, TABLE_SIZE),
            col(70.0, "Срок хранения", Align::Left, TABLE_SIZE),
            col(40.0, "Кол-во листов", Align::Center, TABLE_SIZE),
            col(70.0, "Примечание", Align::Left, TABLE_SIZE),
        ],
    }
}

/// The cells of each case, in the order of [`columns`].
fn cells(inv: &Inventory) -> Vec<Vec<String>> {
    inv.cases
        .iter()
        .map(|c| {
            let mut row = vec![
                c.number.to_string(),
                c.index.clone(),
                c.title.clone(),
                c.dates(inv.year),
            ];
            if inv.kind != InventoryKind::Permanent {
                row.push(format!("{}{}", c.period, if c.epk { ", ЭПК" } else { "" }));
            }
            row.push(c.sheets.to_string());
            row.push(format!(
                "{} док.{}",
                c.documents,
                if c.epk && inv.kind == InventoryKind::Permanent {
                    "; ЭПК"
                } else {
                    ""
                }
            ));
            row
        })
        .collect()
}

/// The organisation on the left, the head's «УТВЕРЖДАЮ» on the right; returns the
/// bottom of the taller of the two.
fn header(l: &mut Flow, org: &str, head_position: &str, head_name: &str) -> f32 {
    let lh = BODY_SIZE * LEADING;
    let left = l.left();
    let right_x = left + 290.0;
    let right_w = l.spec.width - l.spec.right - right_x;
    let top = l.y;
    let y = top + l.block_at(left, top, 250.0, BODY_SIZE, false, org);

    let mut ry = top;
    l.text(right_x, ry, BODY_SIZE, true, "УТВЕРЖДАЮ");
    ry += lh + 2.0;
    ry += l.block_at(
        right_x,
        ry,
        right_w,
        BODY_SIZE,
        false,
        or_blank(head_position),
    );
    ry += lh * 0.5;
    let sig = format!("__________ {}", or_blank(head_name));
    ry += l.block_at(right_x, ry, right_w, BODY_SIZE, false, &sig);
    l.text(right_x + 12.0, ry, CAPTION_SIZE, false, "(подпись)");
    l.text(
        right_x + 70.0,
        ry,
        CAPTION_SIZE,
        false,
        "(расшифровка подписи)",
    );
    ry += CAPTION_SIZE * LEADING + 2.0;
    l.text(right_x, ry, BODY_SIZE, false, "«___» ____________ 20__ г.");
    ry += lh;
    y.max(ry)
}

/// The inventory as an A4 PDF.
pub fn render_pdf(p: &InventoryPrint) -> Result<Vec<u8>> {
    let inv = &p.inventory;
    let mut l = Flow::new(PageSpec::A4)?;
    let bottom = header(&mut l, &p.organisation, &p.head_position, &p.head_name);
    l.y = bottom + 14.0;
    l.paragraph(
        &format!("Фонд № {}", or_blank(&p.fund_number)),
        BODY_SIZE,
        false,
        0.0,
    );
    l.gap(8.0);
    l.centered("ОПИСЬ № ______", 12.0, true);
    l.centered(inv.kind.heading(), BODY_SIZE, false);
    l.centered(&format!("за {} год", inv.year), BODY_SIZE, false);
    l.gap(10.0);
    let mut rows = vec![Row::Span(format!("{} год", inv.year))];
    rows.extend(cells(inv).into_iter().map(Row::Cells));
    l.table_rows(&columns(inv.kind), true, &rows);
    l.gap(10.0);
    l.paragraph(&inv.final_entry(), BODY_SIZE, false, 25.0);
    l.paragraph(
        &format!(
            "Всего листов в делах раздела: {}.",
            count_sheets(inv.sheets())
        ),
        BODY_SIZE,
        false,
        25.0,
    );
    l.gap(12.0);
    l.signature_block("Наименование должности составителя описи", "");
    l.gap(10.0);
    let lh = BODY_SIZE * LEADING;
    l.ensure(3.0 * lh);
    let (left, top) = (l.left(), l.y);
    l.text(left, top, BODY_SIZE, true, "СОГЛАСОВАНО");
    l.y += lh;
    l.paragraph("Протокол ЭК организации", BODY_SIZE, false, 0.0);
    l.paragraph("от ____________ № ______", BODY_SIZE, false, 0.0);
    pdf::write(&l.finish(), &inv.title())
}

fn heads(kind: InventoryKind) -> Vec<String> {
    columns(kind).into_iter().map(|c| c.head).collect()
}

/// The inventory as CSV in the form's columns (cells that could be read as formulas are
/// quoted, as in the acts).
pub fn csv(inv: &Inventory) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(heads(inv.kind))?;
    for row in cells(inv) {
        w.write_record(row.iter().map(|c| csv_safe(c)))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The inventory as Markdown, with its final entry.
pub fn markdown(inv: &Inventory) -> String {
    let heads = heads(inv.kind);
    let mut md = format!(
        "# {}\n\n{}, фонд № {}. Составлена {} ({}).\n\n| {} |\n|{}\n",
        inv.title(),
        inv.organisation,
        inv.fund_number,
        inv.made_at.format("%d.%m.%Y"),
        inv.made_by,
        heads.join(" | "),
        "---|".repeat(heads.len())
    );
    for row in cells(inv) {
        let row: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        md.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    md.push_str(&format!("\n{}\n", inv.final_entry()));
    md
}

/// The inner inventory of one box: every document in it, in the order of its sheets.
#[derive(Debug, Clone, Serialize)]
pub struct BoxInventoryPrint {
    pub organisation: String,
    pub year: i32,
    pub group: String,
    pub box_path: String,
    pub documents: Vec<BoxDocument>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BoxDocument {
    pub number: u32,
    pub case_index: String,
    pub date: String,
    /// The document's own number («96-у»), if it has one.
    pub doc_number: String,
    pub title: String,
    pub pages: u32,
    /// «1–3»: the sheets the document takes in the box, counted through.
    pub sheets: String,
    /// The scan in the box, relative to the box.
    pub file: String,
}

impl BoxInventoryPrint {
    pub fn of(b: &BoxContents, organisation: &str) -> BoxInventoryPrint {
        let mut next = 1u32;
        let documents = b
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let sheets = match d.pages {
                    0 => String::new(),
                    1 => next.to_string(),
                    n => format!("{}–{}", next, next + n - 1),
                };
                next += d.pages;
                let title = match &d.title {
                    Some(t) if !t.trim().is_empty() => t.clone(),
                    _ => d.kind_name.clone(),
                };
                BoxDocument {
                    number: i as u32 + 1,
                    case_index: d.case.index.clone(),
                    date: d
                        .date
                        .map(|x| x.format("%d.%m.%Y").to_string())
                        .unwrap_or_default(),
                    doc_number: d.number.clone().unwrap_or_default(),
                    title,
                    pages: d.pages,
                    sheets,
                    file: d.file.clone(),
                }
            })
            .collect();
        BoxInventoryPrint {
            organisation: organisation.to_string(),
            year: b.year,
            group: b.group.clone(),
            box_path: b.rel.clone(),
            documents,
        }
    }

    pub fn pages(&self) -> u32 {
        self.documents
            .iter()
            .map(|d| d.pages)
            .fold(0, u32::saturating_add)
    }
}

fn box_columns() -> Vec<Column> {
    let col = Column::new;
    vec![
        col(28.0, "№ п/п", Align::Center, TABLE_SIZE),
        col(42.0, "Индекс дела", Align::Left, TABLE_SIZE),
        col(58.0, "Дата документа", Align::Left, TABLE_SIZE),
        col(50.0, "Номер документа", Align::Left, TABLE_SIZE),
        col(177.0, "Заголовок документа", Align::Left, TABLE_SIZE),
        col(40.0, "Номера листов", Align::Center, TABLE_SIZE),
        col(110.0, "Примечание", Align::Left, 6.5),
    ]
}

/// The inner inventory of a box as an A4 PDF.
pub fn render_box_pdf(p: &BoxInventoryPrint) -> Result<Vec<u8>> {
    let mut l = Flow::new(PageSpec::A4)?;
    l.paragraph(&p.organisation, BODY_SIZE, false, 0.0);
    l.gap(10.0);
    l.centered("ВНУТРЕННЯЯ ОПИСЬ", 12.0, true);
    l.centered(
        &format!("документов короба {} / {}", p.year, p.group),
        BODY_SIZE,
        false,
    );
    l.centered(&p.box_path, CAPTION_SIZE + 1.0, false);
    l.gap(10.0);
    let rows: Vec<Vec<String>> = p
        .documents
        .iter()
        .map(|d| {
            vec![
                d.number.to_string(),
                d.case_index.clone(),
                d.date.clone(),
                d.doc_number.clone(),
                d.title.clone(),
                d.sheets.clone(),
                d.file.clone(),
            ]
        })
        .collect();
    l.table(&box_columns(), true, &rows);
    l.gap(10.0);
    let n = p.documents.len() as u32;
    l.paragraph(
        &format!("Итого {}, {}.", count_documents(n), count_sheets(p.pages())),
        BODY_SIZE,
        false,
        0.0,
    );
    l.paragraph(
        "Количество листов внутренней описи ______",
        BODY_SIZE,
        false,
        0.0,
    );
    l.gap(12.0);
    l.signature_block("Наименование должности составителя внутренней описи", "");
    pdf::write(
        &l.finish(),
        &format!(
            "Внутренняя опись документов короба {} / {}",
            p.year, p.group
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{doc, have_tool, pages, png, squash, texts, write};
    use super::*;
    use crate::records::inventory::InventoryCase;
    use chrono::{NaiveDate, Utc};

    fn inventory(kind: InventoryKind, n: u32) -> Inventory {
        Inventory {
            year: 2023,
            kind,
            made_at: Utc::now(),
            made_by: "archivist@test".into(),
            organisation: "АНО ДПО «Учебный центр «Профессионал»»".into(),
            fund_number: "1".into(),
            first_number: 1,
            cases: (0..n)
                .map(|i| InventoryCase {
                    number: i + 1,
                    key: format!("02-01/2023/ПК-2023-{i:03}"),
                    index: "02-01".into(),
                    title: format!(
                        "Протоколы заседаний аттестационной комиссии (группа ПК-2023-{i:03})"
                    ),
                    first_date: NaiveDate::from_ymd_opt(2023, 3, 22),
                    last_date: NaiveDate::from_ymd_opt(2023, 6, 1),
                    period: "50/75 лет".into(),
                    epk: true,
                    sheets: 3,
                    documents: 2,
                })
                .collect(),
        }
    }

    fn org() -> Organisation {
        crate::config::nomenclature::Nomenclature::embedded().organisation
    }

    #[test]
    fn inventories_print_their_columns_and_final_entry() {
        for (kind, n, entry) in [
            (InventoryKind::Permanent, 1, "1 (одно) дело с № 1 по № 1"),
            (InventoryKind::Personnel, 2, "2 (два) дела с № 1 по № 2"),
            (InventoryKind::Long, 5, "5 (пять) дел с № 1 по № 5"),
            (
                InventoryKind::Personnel,
                11,
                "11 (одиннадцать) дел с № 1 по № 11",
            ),
            (
                InventoryKind::Permanent,
                21,
                "21 (двадцать одно) дело с № 1 по № 21",
            ),
            (
                InventoryKind::Personnel,
                101,
                "101 (сто одно) дело с № 1 по № 101",
            ),
        ] {
            let inv = inventory(kind, n);
            let pdf =
                render_pdf(&InventoryPrint::of(&inv, &org())).unwrap_or_else(|e| panic!("{e:#}"));
            let path = write(&format!("inventory-{kind}-{n}.pdf"), &pdf);
            if !have_tool("pdftotext") {
                return;
            }
            if n == 21 {
                png(&path, 1);
            }
            let (layout, raw) = texts(&path);
            assert!(layout.contains(&squash(entry)), "{n}: lacks «{entry}»");
            assert!(layout.contains(&squash(kind.heading())), "{kind}");
            assert!(layout.contains(&squash("за 2023 год")));
            assert!(layout.contains("УТВЕРЖДАЮ") && layout.contains("СОГЛАСОВАНО"));
            for c in columns(kind) {
                assert!(raw.contains(&squash(&c.head)), "{kind}: head «{}»", c.head);
            }
            assert_eq!(
                raw.contains("Срокхранения"),
                kind != InventoryKind::Permanent,
                "{kind}: the period column"
            );
            // Every case is listed, on as many pages as it takes.
            for c in &inv.cases {
                assert!(raw.contains(&squash(&c.title)), "{kind} {n}: {}", c.title);
            }
            if n == 101 {
                assert!(pages(&path) >= 3);
            }
            let md = markdown(&inv);
            assert!(md.contains(entry), "{md}");
            let csv_text = String::from_utf8(csv(&inv).unwrap_or_default()).unwrap_or_default();
            assert_eq!(csv_text.lines().count(), n as usize + 1);
        }
    }

    #[test]
    fn the_inner_inventory_numbers_the_sheets_through() {
        let b = BoxContents {
            year: 2023,
            group: "ПК-2023-014".into(),
            rel: "boxes/2023/ПК-2023-014".into(),
            documents: vec![
                doc(
                    "order-organisation",
                    "01-01",
                    2023,
                    "ПК-2023-014",
                    "2023-02-11",
                    "96-у",
                    1,
                    "data/order-organisation/a.pdf",
                ),
                doc(
                    "journal",
                    "02-03",
                    2023,
                    "ПК-2023-014",
                    "2023-02-11",
                    "",
                    3,
                    "data/journal/b.pdf",
                ),
                doc(
                    "protocol",
                    "02-01",
                    2023,
                    "ПК-2023-014",
                    "2023-03-22",
                    "15",
                    2,
                    "data/protocol/c.pdf",
                ),
            ],
        };
        let p = BoxInventoryPrint::of(&b, "АНО ДПО «Учебный центр «Профессионал»»");
        let sheets: Vec<&str> = p.documents.iter().map(|d| d.sheets.as_str()).collect();
        assert_eq!(sheets, ["1", "2–4", "5–6"]);
        assert_eq!(p.pages(), 6);
        let pdf = render_box_pdf(&p).unwrap_or_else(|e| panic!("{e:#}"));
        let path = write("box-inventory.pdf", &pdf);
        if !have_tool("pdftotext") {
            return;
        }
        png(&path, 1);
        let (layout, raw) = texts(&path);
        for s in [
            "ВНУТРЕННЯЯ ОПИСЬ",
            "документов короба 2023 / ПК-2023-014",
            "Итого 3 (три) документа, 6 (шесть) листов.",
            "96-у",
        ] {
            assert!(layout.contains(&squash(s)), "lacks «{s}»");
        }
        for d in &b.documents {
            assert!(raw.contains(&squash(&d.file)), "{}", d.file);
        }
    }
}
