//! Case covers (обложка дела), one A4 page per case, with the fields the rules ask for:
//! the organisation (and a line for the structural unit), the case index and title, the
//! first and last dates (the year, for cases kept 10 years or less), the number of
//! sheets, the retention period with «ЭПК», and the archival cipher (fund, inventory,
//! case number), the case number taken from the year's inventory when one was made.

use anyhow::Result;
use serde::Serialize;

use super::{date_range, or_blank};
use crate::config::nomenclature::Organisation;
use crate::formats::print::layout::{CAPTION_SIZE, Flow, LEADING, PageSpec};
use crate::formats::print::pdf;
use crate::records::contents::Case;
use crate::records::inventory::{Inventory, InventoryKind};
use crate::ru::numerals::sheets_prepositional;

/// What one cover says.
#[derive(Debug, Clone, Serialize)]
pub struct CoverPrint {
    pub organisation: String,
    /// A state archive's name line is printed on permanent cases of a source of acquisition.
    pub state_archive_line: bool,
    pub fund_number: String,
    /// `02-03/2019/ПК-2019-017`
    pub key: String,
    pub index: String,
    pub title: String,
    /// «09.06.2019–01.07.2019», or «2019 г.» for cases kept 10 years or less.
    pub dates: String,
    pub sheets: u32,
    /// «Хранить постоянно», «Хранить 5 лет»
    pub retention: String,
    pub epk: bool,
    /// The case's number in the year's inventory, when one was made.
    pub inventory_number: Option<u32>,
}

impl CoverPrint {
    pub fn of(case: &Case, org: &Organisation, inventory: Option<&Inventory>) -> CoverPrint {
        let kind = case.period.as_ref().and_then(InventoryKind::of);
        let (first, last) = case.dates();
        let dates = match kind {
            Some(_) => date_range(first, last, case.key.year),
            None => format!("{} г.", case.key.year),
        };
        let retention = match &case.period {
            Some(p) => {
                let r = p.russian(org.source_of_acquisition);
                let mut chars = r.chars();
                let lower: String = chars
                    .next()
                    .map(|c| c.to_lowercase().chain(chars).collect())
                    .unwrap_or_default();
                format!("Хранить {lower}")
            }
            None => "Хранить ________".to_string(),
        };
        let key = case.key.to_string();
        CoverPrint {
            organisation: org.name.clone(),
            state_archive_line: org.source_of_acquisition && kind == Some(InventoryKind::Permanent),
            fund_number: org.fund_number.clone(),
            index: case.key.index.clone(),
            title: case.full_title(),
            dates,
            sheets: case.pages(),
            retention,
            epk: case.epk,
            inventory_number: inventory
                .and_then(|i| i.cases.iter().find(|c| c.key == key))
                .map(|c| c.number),
            key,
        }
    }
}

/// The covers as one A4 PDF, a page each.
pub fn render_pdf(covers: &[CoverPrint]) -> Result<Vec<u8>> {
    let mut l = Flow::new(PageSpec::A4)?;
    for (i, c) in covers.iter().enumerate() {
        if i > 0 {
            l.new_page();
        }
        cover(&mut l, c);
    }
    let title = match covers {
        [one] => format!("Обложка дела {}", one.key),
        _ => format!("Обложки дел ({})", covers.len()),
    };
    // Covers are separate sheets: no page numbers.
    pdf::write(&l.into_pages(), &title)
}

/// Centred text in a box `width` wide starting at `x`; returns its height.
fn centred(l: &mut Flow, x: f32, width: f32, size: f32, bold: bool, text: &str) -> f32 {
    let lines = l.m.wrap(text, size, bold, width, 0.0);
    let lh = size * LEADING;
    let top = l.y;
    for (i, line) in lines.iter().enumerate() {
        let lx = x + (width - l.m.width(line, size, bold)) / 2.0;
        l.text(lx, top + i as f32 * lh, size, bold, line);
    }
    l.y += lines.len() as f32 * lh;
    lines.len() as f32 * lh
}

fn caption(l: &mut Flow, x: f32, width: f32, text: &str) {
    let top = l.y;
    let lx = x + (width - l.m.width(text, CAPTION_SIZE, false)) / 2.0;
    l.text(lx, top, CAPTION_SIZE, false, text);
    l.y += CAPTION_SIZE * LEADING;
}

/// A rule across `width` under which a caption names what is written on it.
fn rule(l: &mut Flow, x: f32, width: f32) {
    let y = l.y;
    l.line(x, y, x + width, y);
    l.y += 1.0;
}

fn cover(l: &mut Flow, c: &CoverPrint) {
    let (x, width) = (l.left(), l.content_width());
    // A frame like the printed cover stock, inside the margins.
    let (top, bottom) = (l.spec.top, l.spec.height - l.spec.bottom);
    for (x1, y1, x2, y2) in [
        (x, top, x + width, top),
        (x + width, top, x + width, bottom),
        (x + width, bottom, x, bottom),
        (x, bottom, x, top),
    ] {
        l.line(x1, y1, x2, y2);
    }
    let (x, width) = (x + 25.0, width - 50.0);
    l.y = top + 30.0;
    if c.state_archive_line {
        l.y += 12.0;
        rule(l, x, width);
        caption(l, x, width, "(наименование государственного архива)");
        l.y += 20.0;
    }
    centred(l, x, width, 14.0, true, &c.organisation);
    l.y += 24.0;
    rule(l, x, width);
    caption(l, x, width, "(наименование структурного подразделения)");
    l.y += 70.0;
    centred(l, x, width, 22.0, true, &format!("ДЕЛО № {}", c.index));
    l.y += 30.0;
    centred(l, x, width, 15.0, false, &c.title);
    l.y += 40.0;
    centred(l, x, width, 13.0, false, &c.dates);
    if !c.dates.ends_with(" г.") {
        caption(l, x, width, "(крайние даты)");
    }
    l.y += 24.0;
    centred(
        l,
        x,
        width,
        13.0,
        false,
        &format!("На {} {}", c.sheets, sheets_prepositional(c.sheets)),
    );
    l.y += 24.0;
    centred(
        l,
        x,
        width,
        13.0,
        true,
        &format!("{}{}", c.retention, if c.epk { "  ЭПК" } else { "" }),
    );

    // The archival cipher in the lower right corner: pencil first, ink once the inventory
    // is approved.
    let lh = 11.0 * LEADING;
    let cx = x + width - 150.0;
    let mut cy = bottom - 30.0 - 3.0 * lh;
    let number = c
        .inventory_number
        .map_or_else(|| "______".to_string(), |n| n.to_string());
    for line in [
        format!("Ф. № {}", or_blank(&c.fund_number)),
        "Оп. № ______".to_string(),
        format!("Д. № {number}"),
    ] {
        l.text(cx, cy, 11.0, false, &line);
        cy += lh;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{doc, have_tool, png, squash, texts, write};
    use super::*;
    use crate::config::nomenclature::{Nomenclature, Period};
    use crate::store::document::CaseKey;

    fn case(index: &str, period: Period, epk: bool, group: Option<&str>, pages: &[u32]) -> Case {
        Case {
            key: CaseKey {
                index: index.into(),
                year: 2019,
                group: group.map(String::from),
            },
            kind: "journal".into(),
            title: "Журналы учета занятий".into(),
            period: Some(period),
            basis: "отраслевая практика".into(),
            epk,
            documents: pages
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    doc(
                        "journal",
                        index,
                        2019,
                        "ПК-2019-017",
                        &format!("2019-06-{:02}", 9 + i),
                        "",
                        p,
                        &format!("data/journal/{i}.pdf"),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn covers_carry_the_fields_of_the_rules() {
        let org = Nomenclature::embedded().organisation;
        let temporary = case(
            "02-03",
            Period::Years(5),
            false,
            Some("ПК-2019-017"),
            &[2, 1],
        );
        let permanent = case("02-01", Period::Permanent, true, None, &[21]);
        let a = CoverPrint::of(&temporary, &org, None);
        assert_eq!(a.dates, "2019 г.", "a case kept 5 years carries its year");
        assert_eq!(a.retention, "Хранить 5 лет");
        assert_eq!(a.sheets, 3);
        let b = CoverPrint::of(&permanent, &org, None);
        assert_eq!(b.dates, "09.06.2019");
        assert_eq!(b.retention, "Хранить до ликвидации организации");
        let pdf = render_pdf(&[a, b]).unwrap_or_else(|e| panic!("{e:#}"));
        let path = write("covers.pdf", &pdf);
        if !have_tool("pdftotext") {
            return;
        }
        png(&path, 2);
        let (layout, _) = texts(&path);
        for s in [
            "АНО ДПО «Учебный центр «Профессионал»»",
            "ДЕЛО № 02-03",
            "Журналы учета занятий (группа ПК-2019-017)",
            "На 3 листах",
            "Хранить 5 лет",
            "ДЕЛО № 02-01",
            "На 21 листе",
            "Хранить до ликвидации организации ЭПК",
            "Ф. № 1",
            "(наименование структурного подразделения)",
        ] {
            assert!(layout.contains(&squash(s)), "lacks «{s}»");
        }
    }
}
