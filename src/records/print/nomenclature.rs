//! The nomenclature of cases (номенклатура дел) printed from nomenclature.toml in the
//! five columns of the model form (Основные правила 2002): case index, case title,
//! number of storage units, retention period with the list's article, note; then the
//! year-end summary of how many cases of each category were opened in the year.

use anyhow::Result;
use serde::Serialize;

use super::or_blank;
use crate::config::nomenclature::Nomenclature;
use crate::formats::print::layout::{
    Align, BODY_SIZE, CAPTION_SIZE, Column, Flow, LEADING, PageSpec, TABLE_SIZE,
};
use crate::formats::print::pdf;
use crate::records::contents::Case;
use crate::records::inventory::category;

/// The nomenclature for one year, with that year's counts from the archive.
#[derive(Debug, Clone, Serialize)]
pub struct NomenclaturePrint {
    pub organisation: String,
    pub head_position: String,
    pub head_name: String,
    pub year: i32,
    pub rows: Vec<NomenclatureRow>,
    pub summary: Vec<SummaryRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NomenclatureRow {
    pub index: String,
    pub title: String,
    /// Cases (storage units) of this index opened in the year.
    pub units: u32,
    /// «5 лет, отраслевая практика»; «ЭПК» where it applies.
    pub period: String,
    pub note: String,
}

/// One line of the year-end summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SummaryRow {
    /// «Постоянного», «Временного (свыше 10 лет)», …, «ИТОГО»
    pub category: String,
    pub total: u32,
    pub epk: u32,
}

impl NomenclaturePrint {
    /// The nomenclature's kinds in index order, counted against `cases` (of `year`).
    pub fn of(nom: &Nomenclature, year: i32, cases: &[Case]) -> NomenclaturePrint {
        let org = &nom.organisation;
        let mut kinds: Vec<_> = nom.kinds.iter().collect();
        kinds.sort_by(|a, b| a.case_index.cmp(&b.case_index));
        let rows = kinds
            .iter()
            .map(|k| NomenclatureRow {
                index: k.case_index.clone(),
                title: if k.per_group {
                    format!("{} (по группам)", k.case_title)
                } else {
                    k.case_title.clone()
                },
                units: cases.iter().filter(|c| c.kind == k.id).count() as u32,
                period: format!(
                    "{}{}, {}",
                    k.period.russian(org.source_of_acquisition),
                    if k.epk { ", ЭПК" } else { "" },
                    k.basis
                ),
                note: k.name.clone(),
            })
            .collect();
        NomenclaturePrint {
            organisation: org.name.clone(),
            head_position: org.head_position.clone(),
            head_name: org.head_name.clone(),
            year,
            rows,
            summary: summary(cases),
        }
    }
}

fn summary(cases: &[Case]) -> Vec<SummaryRow> {
    let mut rows: Vec<SummaryRow> = [
        ("permanent", "Постоянного"),
        ("long", "Временного (свыше 10 лет)"),
        ("short", "Временного (до 10 лет включительно)"),
    ]
    .into_iter()
    .map(|(cat, name)| {
        let of: Vec<&Case> = cases
            .iter()
            .filter(|c| category(c.period.as_ref()) == cat)
            .collect();
        SummaryRow {
            category: name.to_string(),
            total: of.len() as u32,
            epk: of.iter().filter(|c| c.epk).count() as u32,
        }
    })
    .collect();
    let (total, epk) = rows
        .iter()
        .fold((0, 0), |a, r| (a.0 + r.total, a.1 + r.epk));
    rows.push(SummaryRow {
        category: "ИТОГО".to_string(),
        total,
        epk,
    });
    rows
}

fn columns() -> Vec<Column> {
    let col = Column::new;
    // Widths sum to the A4 content width (505 pt).
    vec![
        col(50.0, "Индекс дела", Align::Left, TABLE_SIZE),
        col(
            185.0,
            "Заголовок дела (тома, части)",
            Align::Left,
            TABLE_SIZE,
        ),
        col(
            45.0,
            "Кол-во дел (томов, частей)",
            Align::Center,
            TABLE_SIZE,
        ),
        col(
            125.0,
            "Срок хранения дела (тома, части) и № статей по перечню",
            Align::Left,
            TABLE_SIZE,
        ),
        col(100.0, "Примечание", Align::Left, TABLE_SIZE),
    ]
}

fn summary_columns() -> Vec<Column> {
    let col = Column::new;
    vec![
        col(205.0, "По срокам хранения", Align::Left, TABLE_SIZE),
        col(100.0, "Всего", Align::Center, TABLE_SIZE),
        col(100.0, "в том числе: переходящих", Align::Center, TABLE_SIZE),
        col(
            100.0,
            "в том числе: с отметкой «ЭПК»",
            Align::Center,
            TABLE_SIZE,
        ),
    ]
}

fn units(n: u32) -> String {
    if n == 0 {
        "—".to_string()
    } else {
        n.to_string()
    }
}

/// The nomenclature and its year-end summary as an A4 PDF.
pub fn render_pdf(p: &NomenclaturePrint) -> Result<Vec<u8>> {
    let mut l = Flow::new(PageSpec::A4)?;
    header(&mut l, p);
    let rows: Vec<Vec<String>> = p
        .rows
        .iter()
        .map(|r| {
            vec![
                r.index.clone(),
                r.title.clone(),
                units(r.units),
                r.period.clone(),
                r.note.clone(),
            ]
        })
        .collect();
    l.table(&columns(), true, &rows);
    l.gap(12.0);
    l.signature_block(
        "Наименование должности руководителя структурного подразделения",
        "",
    );
    l.gap(8.0);
    let lh = BODY_SIZE * LEADING;
    l.ensure(3.0 * lh);
    let (left, top) = (l.left(), l.y);
    l.text(left, top, BODY_SIZE, true, "СОГЛАСОВАНО");
    l.y += lh;
    l.paragraph(
        "Протокол ЭК организации от ____________ № ______",
        BODY_SIZE,
        false,
        0.0,
    );
    l.gap(8.0);
    l.signature_block("Наименование должности работника архива", "");
    year_end(&mut l, p);
    pdf::write(&l.finish(), &format!("Номенклатура дел на {} год", p.year))
}

fn header(l: &mut Flow, p: &NomenclaturePrint) {
    let lh = BODY_SIZE * LEADING;
    let left = l.left();
    let right_x = left + 290.0;
    let right_w = l.spec.width - l.spec.right - right_x;
    let top = l.y;
    let mut y = top + l.block_at(left, top, 250.0, BODY_SIZE, false, &p.organisation);
    y += lh * 0.5;
    l.text(
        left,
        y,
        BODY_SIZE,
        false,
        "________________________________",
    );
    y += lh;
    l.text(
        left,
        y,
        CAPTION_SIZE,
        false,
        "(наименование структурного подразделения)",
    );
    y += CAPTION_SIZE * LEADING;

    let mut ry = top;
    l.text(right_x, ry, BODY_SIZE, true, "УТВЕРЖДАЮ");
    ry += lh + 2.0;
    ry += l.block_at(
        right_x,
        ry,
        right_w,
        BODY_SIZE,
        false,
        or_blank(&p.head_position),
    );
    ry += lh * 0.5;
    let sig = format!("__________ {}", or_blank(&p.head_name));
    ry += l.block_at(right_x, ry, right_w, BODY_SIZE, false, &sig);
    ry += CAPTION_SIZE * LEADING + 2.0;
    l.text(right_x, ry, BODY_SIZE, false, "«___» ____________ 20__ г.");
    ry += lh;

    l.y = y.max(ry) + 16.0;
    l.centered("НОМЕНКЛАТУРА ДЕЛ", 12.0, true);
    l.centered(&format!("на {} год", p.year), BODY_SIZE, false);
    l.gap(10.0);
}

/// «Итоговая запись о категориях и количестве дел, заведенных в ___ году».
fn year_end(l: &mut Flow, p: &NomenclaturePrint) {
    l.gap(16.0);
    l.ensure(140.0);
    l.paragraph(
        &format!(
            "Итоговая запись о категориях и количестве дел, заведенных в {} году в организации",
            p.year
        ),
        BODY_SIZE,
        true,
        0.0,
    );
    l.gap(6.0);
    let rows: Vec<Vec<String>> = p
        .summary
        .iter()
        .map(|r| {
            vec![
                r.category.clone(),
                r.total.to_string(),
                "—".to_string(),
                r.epk.to_string(),
            ]
        })
        .collect();
    l.table(&summary_columns(), false, &rows);
    l.gap(10.0);
    l.signature_block(
        "Наименование должности работника, ответственного за делопроизводство",
        "",
    );
    l.gap(6.0);
    l.paragraph("Итоговые сведения переданы в архив.", BODY_SIZE, false, 0.0);
    l.signature_block("Наименование должности лица, передавшего сведения", "");
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{have_tool, png, squash, texts, write};
    use super::*;
    use crate::config::nomenclature::Period;
    use crate::store::document::CaseKey;

    fn case(kind: &str, index: &str, period: Period, epk: bool, group: Option<&str>) -> Case {
        Case {
            key: CaseKey {
                index: index.into(),
                year: 2023,
                group: group.map(String::from),
            },
            kind: kind.into(),
            title: String::new(),
            period: Some(period),
            basis: String::new(),
            epk,
            documents: Vec::new(),
        }
    }

    #[test]
    fn nomenclature_prints_five_columns_and_the_year_end_summary() {
        let nom = Nomenclature::embedded();
        let cases = vec![
            case(
                "order-organisation",
                "01-01",
                Period::Permanent,
                false,
                None,
            ),
            case(
                "order-completion",
                "01-02",
                Period::FiftySeventyFive,
                true,
                None,
            ),
            case("protocol", "02-01", Period::Permanent, true, None),
            case(
                "journal",
                "02-03",
                Period::Years(5),
                false,
                Some("ПК-2023-014"),
            ),
            case(
                "journal",
                "02-03",
                Period::Years(5),
                false,
                Some("ПК-2023-015"),
            ),
        ];
        let p = NomenclaturePrint::of(&nom, 2023, &cases);
        assert_eq!(p.rows.len(), nom.kinds.len());
        let journal = p.rows.iter().find(|r| r.index == "02-03").cloned();
        assert_eq!(journal.map(|r| r.units), Some(2));
        let totals: Vec<(u32, u32)> = p.summary.iter().map(|r| (r.total, r.epk)).collect();
        assert_eq!(totals, [(2, 1), (1, 1), (2, 0), (5, 2)]);

        let pdf = render_pdf(&p).unwrap_or_else(|e| panic!("{e:#}"));
        let path = write("nomenclature.pdf", &pdf);
        if !have_tool("pdftotext") {
            return;
        }
        png(&path, 1);
        let (layout, raw) = texts(&path);
        for s in ["НОМЕНКЛАТУРА ДЕЛ", "на 2023 год", "УТВЕРЖДАЮ", "ИТОГО"]
        {
            assert!(layout.contains(&squash(s)), "lacks «{s}»");
        }
        for c in columns() {
            assert!(raw.contains(&squash(&c.head)), "head «{}»", c.head);
        }
        for k in &nom.kinds {
            assert!(raw.contains(&squash(&k.case_title)), "{}", k.case_title);
        }
        assert!(raw.contains(&squash(
            "Итоговая запись о категориях и количестве дел, заведенных в 2023 году"
        )));
    }
}
