//! Printable destruction act («Акт о выделении к уничтожению документов, не
//! подлежащих хранению») as an A4 PDF, laid out after the Rosarchiv model form
//! (RECORDS.md §4), with a per-document appendix for the expert commission.

use anyhow::Result;
use chrono::NaiveDate;

use super::{long_date, or_blank};
use crate::formats::print::layout::{
    Align, BODY_SIZE, CAPTION_SIZE, Column, Flow, LEADING, PageSpec, TABLE_SIZE,
};
use crate::formats::print::pdf;
use crate::ru::numerals::count_cases;

/// Hashes in the appendix are set a little smaller: 32 hex digits per line.
const HASH_SIZE: f32 = 6.5;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ActPrint {
    /// «АНО ДПО «Учебный центр «Профессионал»»»
    pub org_name: String,
    /// Act number.
    pub number: u32,
    pub date: NaiveDate,
    /// May be empty → underscores.
    pub place: String,
    /// «Директор»
    pub head_position: String,
    /// May be empty → underscores for the signature decoding.
    pub head_name: String,
    /// The list of documents with periods (Перечень …).
    pub basis: String,
    pub fund_number: String,
    pub fund_name: String,
    pub rows: Vec<ActRow>,
    /// E.g. «2018–2020» for «за ___ годы».
    pub years: String,
    /// Present once the expert commission approved.
    pub approval: Option<Approval>,
    /// Per-document list for the commission.
    pub appendix: Vec<AppendixRow>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ActRow {
    /// Case title.
    pub title: String,
    /// «2019» or «09.06.2019–01.07.2019».
    pub dates: String,
    /// «номенклатура дел за 2019 г.»
    pub inventory: String,
    pub case_index: String,
    pub cases: u32,
    /// «5 лет, отраслевая практика»
    pub period: String,
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Approval {
    /// «№ 3 от 12.12.2026»
    pub protocol: String,
    pub approved_by: String,
    pub approved_at: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AppendixRow {
    pub case_index: String,
    /// SHA-256, hex.
    pub id: String,
    pub file: String,
    pub date: String,
    pub number: String,
    pub pages: u32,
}

/// The footer line «Итого 3 (три) дела за 2018–2020 годы».
pub fn total_line(cases: u32, years: &str) -> String {
    let years = years.trim();
    // A single year reads «за 2019 год»; a range or a blank keeps the form's «годы».
    let period = if years.is_empty() {
        "за ________ годы".to_string()
    } else if years.chars().all(|c| c.is_ascii_digit()) {
        format!("за {years} год")
    } else {
        format!("за {years} годы")
    };
    format!("Итого {} {period}", count_cases(cases))
}

fn header(l: &mut Flow, act: &ActPrint) {
    let left_w = 250.0;
    let left = l.left();
    let right_x = left + 290.0;
    let right_w = l.spec.width - l.spec.right - right_x;
    let lh = BODY_SIZE * LEADING;
    let top = l.y;

    // Left column: organisation, act title, date and number, place, subject.
    let mut y = top;
    y += l.block_at(left, y, left_w, BODY_SIZE, false, &act.org_name);
    y += lh;
    l.text(left, y, 12.0, true, "АКТ");
    y += 12.0 * LEADING + 2.0;
    let date_no = format!("{} № {}", act.date.format("%d.%m.%Y"), act.number);
    l.text(left, y, BODY_SIZE, false, &date_no);
    y += lh;
    y += l.block_at(left, y, left_w, BODY_SIZE, false, or_blank(&act.place));
    y += lh * 0.5;
    y += l.block_at(
        left,
        y,
        left_w,
        BODY_SIZE,
        false,
        "о выделении к уничтожению документов, не подлежащих хранению",
    );

    // Right column: the head's approval stamp.
    let mut ry = top;
    l.text(right_x, ry, BODY_SIZE, true, "УТВЕРЖДАЮ");
    ry += lh + 2.0;
    ry += l.block_at(
        right_x,
        ry,
        right_w,
        BODY_SIZE,
        false,
        or_blank(&act.head_position),
    );
    ry += lh * 0.5;
    let sig = format!("__________ {}", or_blank(&act.head_name));
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
    let date = act.approval.as_ref().map_or_else(
        || "«___» ____________ 20__ г.".to_string(),
        |a| long_date(a.approved_at),
    );
    l.text(right_x, ry, BODY_SIZE, false, &date);
    ry += lh;

    l.y = y.max(ry) + 14.0;
}

fn act_columns() -> Vec<Column> {
    let col = Column::new;
    // Widths sum to the A4 content width (505 pt). Narrow columns are as wide as their
    // longest head word at 6.5 pt, so heads wrap between words; the title
    // column gets the rest.
    vec![
        col(28.0, "№ п/п", Align::Center, TABLE_SIZE),
        col(
            122.0,
            "Заголовок дела или групповой заголовок дел",
            Align::Left,
            TABLE_SIZE,
        ),
        col(
            58.0,
            "Дата дела или крайние даты дел",
            Align::Left,
            TABLE_SIZE,
        ),
        col(
            68.0,
            "Номера описей (номенклатур) за годы",
            Align::Left,
            TABLE_SIZE,
        ),
        col(
            64.0,
            "Индекс дела (тома, части) по номенклатуре или № дела по описи",
            Align::Left,
            TABLE_SIZE,
        ),
        col(
            50.0,
            "Количество дел (томов, частей)",
            Align::Center,
            TABLE_SIZE,
        ),
        col(
            66.0,
            "Сроки хранения дела (тома, части) и номера статей по перечню",
            Align::Left,
            TABLE_SIZE,
        ),
        col(49.0, "Примечание", Align::Left, TABLE_SIZE),
    ]
}

fn appendix_columns() -> Vec<Column> {
    let col = Column::new;
    // The hash column fits 32 hex digits per line at 6.5 pt: two lines per hash.
    vec![
        col(28.0, "№ п/п", Align::Center, TABLE_SIZE),
        col(52.0, "Индекс дела", Align::Left, TABLE_SIZE),
        col(56.0, "Дата", Align::Left, TABLE_SIZE),
        col(44.0, "Номер", Align::Left, TABLE_SIZE),
        col(149.0, "Файл", Align::Left, TABLE_SIZE),
        col(34.0, "Листов", Align::Center, TABLE_SIZE),
        col(142.0, "SHA-256", Align::Left, HASH_SIZE),
    ]
}

/// Splits a 64-digit hash into two halves on separate lines, so it always
/// breaks in the same place instead of wherever the measure runs out.
fn hash_cell(id: &str) -> String {
    if id.len() == 64 && id.is_ascii() {
        format!("{}\n{}", &id[..32], &id[32..])
    } else {
        id.to_string()
    }
}

fn footer(l: &mut Flow, act: &ActPrint) {
    let total: u32 = act
        .rows
        .iter()
        .map(|r| r.cases)
        .fold(0, u32::saturating_add);
    let lh = BODY_SIZE * LEADING;
    l.gap(10.0);
    l.paragraph(&total_line(total, &act.years), BODY_SIZE, false, 0.0);
    l.gap(6.0);
    let years = if act.years.trim().is_empty() {
        "________"
    } else {
        act.years.trim()
    };
    l.paragraph(
        &format!(
            "Описи дел постоянного хранения за {years} годы утверждены, а по личному \
             составу согласованы с ЭПК ____________________ (протокол от ________ № ____)"
        ),
        BODY_SIZE,
        false,
        0.0,
    );
    l.gap(10.0);
    l.signature_block(
        "Наименование должности лица, проводившего экспертизу ценности документов",
        "",
    );
    l.gap(10.0);

    // ЭК approval block, kept together.
    l.ensure(3.0 * lh);
    let (left, top) = (l.left(), l.y);
    l.text(left, top, BODY_SIZE, true, "СОГЛАСОВАНО");
    l.y += lh;
    match &act.approval {
        Some(a) => {
            l.paragraph(
                &format!("Протокол ЭК организации {}", a.protocol.trim()),
                BODY_SIZE,
                false,
                0.0,
            );
            l.paragraph(
                &format!(
                    "Утверждено: {}, {}",
                    or_blank(&a.approved_by),
                    a.approved_at.format("%d.%m.%Y")
                ),
                BODY_SIZE,
                false,
                0.0,
            );
        }
        None => {
            l.paragraph("Протокол ЭК организации", BODY_SIZE, false, 0.0);
            l.paragraph("от ____________ № ______", BODY_SIZE, false, 0.0);
        }
    }
    l.gap(10.0);
    l.paragraph(
        "Документы в количестве ______ дел весом ______ кг сданы в \
         ______________________________ на переработку по акту приема-передачи \
         от ____________ № ______",
        BODY_SIZE,
        false,
        0.0,
    );
    l.gap(6.0);
    l.signature_block("Наименование должности работника, сдавшего документы", "");
    l.gap(10.0);
    l.paragraph(
        "Изменения в учетные документы внесены",
        BODY_SIZE,
        false,
        0.0,
    );
    l.gap(4.0);
    l.signature_block("Наименование должности работника архива", "");
}

fn appendix(l: &mut Flow, act: &ActPrint) {
    l.new_page();
    l.paragraph(
        &format!(
            "Приложение к акту № {} от {}: перечень документов",
            act.number,
            act.date.format("%d.%m.%Y")
        ),
        11.0,
        true,
        0.0,
    );
    l.gap(8.0);
    let rows: Vec<Vec<String>> = act
        .appendix
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.case_index.clone(),
                r.date.clone(),
                r.number.clone(),
                r.file.clone(),
                r.pages.to_string(),
                hash_cell(&r.id),
            ]
        })
        .collect();
    l.table(&appendix_columns(), false, &rows);
}

/// Renders the act (and its appendix, when there is one) as an A4 PDF.
pub fn render_pdf(act: &ActPrint) -> Result<Vec<u8>> {
    let mut l = Flow::new(PageSpec::A4)?;

    header(&mut l, act);
    l.paragraph(
        &format!(
            "На основании {} отобраны к уничтожению как не имеющие научно-исторической \
             ценности и утратившие практическое значение документы фонда № {} {}",
            or_blank(&act.basis),
            or_blank(&act.fund_number),
            act.fund_name.trim()
        ),
        BODY_SIZE,
        false,
        25.0,
    );
    l.gap(10.0);
    let rows: Vec<Vec<String>> = act
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.title.clone(),
                r.dates.clone(),
                r.inventory.clone(),
                r.case_index.clone(),
                r.cases.to_string(),
                r.period.clone(),
                r.note.clone(),
            ]
        })
        .collect();
    l.table(&act_columns(), true, &rows);
    footer(&mut l, act);
    if !act.appendix.is_empty() {
        appendix(&mut l, act);
    }

    pdf::write(
        &l.finish(),
        &format!("Акт № {} о выделении к уничтожению документов", act.number),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{have_tool, pages, png, squash, texts, write};
    use super::*;
    use crate::formats::print::layout::{CELL_PAD, HEAD_SIZE};
    use crate::formats::print::metrics::Metrics;
    use std::time::Instant;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn row(title: &str, dates: &str, index: &str) -> ActRow {
        ActRow {
            title: title.to_string(),
            dates: dates.to_string(),
            inventory: "номенклатура дел за 2019 г.".to_string(),
            case_index: index.to_string(),
            cases: 1,
            period: "5 лет, отраслевая практика".to_string(),
            note: String::new(),
        }
    }

    fn sample(rows: Vec<ActRow>, approved: bool) -> ActPrint {
        let appendix = (0..5)
            .map(|i| AppendixRow {
                case_index: "02-05".to_string(),
                id: format!("{i:x}{}", "3fa9c0d1e2b4a6f8".repeat(4))[..64].to_string(),
                file: format!("2019/journals/journal_group_{:02}_attendance.pdf", i + 1),
                date: "09.06.2019".to_string(),
                number: format!("{}-ПК", 10 + i),
                pages: 12 + i,
            })
            .collect();
        ActPrint {
            org_name: "АНО ДПО «Учебный центр «Профессионал»»".to_string(),
            number: 5,
            date: date(2026, 12, 10),
            place: "г. Екатеринбург".to_string(),
            head_position: "Директор".to_string(),
            head_name: "И. П. Петров".to_string(),
            basis: "Перечня типовых управленческих архивных документов, образующихся в \
                    процессе деятельности государственных органов, органов местного \
                    самоуправления и организаций, с указанием сроков их хранения \
                    (приказ Росархива от 20.12.2019 № 236)"
                .to_string(),
            fund_number: "1".to_string(),
            fund_name: "АНО ДПО «Учебный центр «Профессионал»»".to_string(),
            rows,
            years: "2018–2020".to_string(),
            approval: approved.then(|| Approval {
                protocol: "№ 3 от 12.12.2026".to_string(),
                approved_by: "Директор И. П. Петров".to_string(),
                approved_at: date(2026, 12, 12),
            }),
            appendix,
        }
    }

    fn three_rows() -> Vec<ActRow> {
        vec![
            row(
                "Журналы учета занятий групп повышения квалификации",
                "2019",
                "02-05",
            ),
            row(
                "Журнал учета занятий группы профессиональной переподготовки № 7",
                "09.06.2019–01.07.2019",
                "02-06",
            ),
            row(
                "Переписка с обучающимися по вопросам организации учебного процесса",
                "2018–2020",
                "01-12",
            ),
        ]
    }

    #[test]
    fn sample_act_text_and_page_size() {
        let act = sample(three_rows(), true);
        let pdf = match render_pdf(&act) {
            Ok(p) => p,
            Err(e) => panic!("render failed: {e:#}"),
        };
        let path = write("act.pdf", &pdf);
        if !have_tool("pdftotext") {
            return;
        }
        png(&path, 1);
        let (layout, raw) = texts(&path);

        for s in [
            "АКТ",
            "УТВЕРЖДАЮ",
            "о выделении к уничтожению",
            "Итого 3 (три) дела",
            "СОГЛАСОВАНО Протокол ЭК организации № 3 от 12.12.2026",
            "Утверждено: Директор И. П. Петров",
            "Приложение к акту № 5 от 10.12.2026",
            "10.12.2026 № 5",
        ] {
            assert!(layout.contains(&squash(s)), "layout text lacks «{s}»");
        }
        // A wrapped head or cell shares its lines with its neighbours in the
        // -layout output, so multi-line cells are checked in stream order.
        for c in act_columns() {
            assert!(raw.contains(&squash(&c.head)), "missing head «{}»", c.head);
        }
        for r in &act.rows {
            assert!(raw.contains(&squash(&r.title)), "missing «{}»", r.title);
            assert!(layout.contains(&r.case_index), "missing {}", r.case_index);
        }
        assert!(raw.contains(&act.appendix[0].id), "missing full SHA-256");

        let info = super::super::testutil::run("pdfinfo", &[&path.to_string_lossy()]);
        assert!(
            info.lines()
                .any(|l| l.starts_with("Page size:") && l.contains("595 x 842 pts (A4)")),
            "{info}"
        );
        assert!(
            info.contains("Акт № 5 о выделении к уничтожению документов"),
            "{info}"
        );
    }

    #[test]
    fn unapproved_act_has_blanks() {
        let mut act = sample(three_rows(), false);
        act.place.clear();
        act.head_name.clear();
        let pdf = match render_pdf(&act) {
            Ok(p) => p,
            Err(e) => panic!("render failed: {e:#}"),
        };
        let path = write("act-unapproved.pdf", &pdf);
        if !have_tool("pdftotext") {
            return;
        }
        let (layout, _) = texts(&path);
        assert!(layout.contains(&squash("«___» ____________ 20__ г.")));
        assert!(layout.contains(&squash("Протокол ЭК организации от ____________ № ______")));
        assert!(layout.contains(&squash("__________ ________________")));
    }

    #[test]
    fn long_act_paginates() {
        let rows = (1..=60)
            .map(|i| {
                row(
                    &format!("Журнал учета занятий группы № {i} (повышение квалификации)"),
                    "2019",
                    &format!("02-{i:03}"),
                )
            })
            .collect();
        let act = sample(rows, false);
        let pdf = match render_pdf(&act) {
            Ok(p) => p,
            Err(e) => panic!("render failed: {e:#}"),
        };
        let path = write("act-long.pdf", &pdf);
        if !have_tool("pdftotext") {
            return;
        }
        assert!(pages(&path) >= 2);
        let (layout, raw) = texts(&path);
        for i in 1..=60 {
            assert!(layout.contains(&format!("02-{i:03}")), "row {i} missing");
        }
        // The header row is repeated on each page the table spans.
        let head = squash("Заголовок дела или групповой заголовок дел");
        assert!(raw.matches(&head).count() >= 2);
        assert!(layout.contains(&squash("Итого 60 (шестьдесят) дел за 2018–2020 годы")));
    }

    #[test]
    fn total_line_reads_year_or_years() {
        assert_eq!(
            total_line(3, "2018–2020"),
            "Итого 3 (три) дела за 2018–2020 годы"
        );
        assert_eq!(total_line(1, "2019"), "Итого 1 (одно) дело за 2019 год");
        assert_eq!(
            total_line(21, ""),
            "Итого 21 (двадцать одно) дело за ________ годы"
        );
    }

    #[test]
    fn columns_fit_and_heads_wrap_between_words() {
        let m = match Metrics::new() {
            Ok(m) => m,
            Err(e) => panic!("{e:#}"),
        };
        for cols in [act_columns(), appendix_columns()] {
            let total: f32 = cols.iter().map(|c| c.width).sum();
            assert!(
                (total - PageSpec::A4.content_width()).abs() < 0.01,
                "widths sum to {total}"
            );
            for c in &cols {
                let lines = m.wrap(&c.head, HEAD_SIZE, false, c.width - 2.0 * CELL_PAD, 0.0);
                assert_eq!(lines.join(" "), c.head, "head split inside a word");
            }
        }
    }

    /// Prints size and timing; run with `--nocapture`.
    #[test]
    fn figures() {
        for (name, n) in [("3 rows", 3), ("60 rows", 60), ("500 rows", 500)] {
            let rows = (1..=n)
                .map(|i| row("Журнал учета занятий группы", "2019", &format!("02-{i:03}")))
                .collect();
            let act = sample(rows, true);
            let t = Instant::now();
            let pdf = match render_pdf(&act) {
                Ok(p) => p,
                Err(e) => panic!("render failed: {e:#}"),
            };
            println!("{name}: {} bytes in {:?}", pdf.len(), t.elapsed());
        }
    }
}
