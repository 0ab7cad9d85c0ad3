//! The learner's record card («Карточка индивидуального учёта результатов освоения
//! образовательных программ»): an A4 PDF with the results table — programme, group,
//! dates, result, certificate, and the documents each came from — and the list of the
//! learner's documents with where each is kept. Same stack as the destruction act
//! (krilla, DejaVu Sans), laid out in two passes: placement, then emission.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow};
use chrono::NaiveDate;
use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use crate::search::{LIFE_CYCLE, PersonRecord, ResultRow, ResultSource};

const FONT_REGULAR: &[u8] = include_bytes!("../../fixtures/fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../../fixtures/fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
/// Wider left margin: the card is filed in the learner's case.
const MARGIN_L: f32 = 50.0;
const MARGIN_R: f32 = 40.0;
const MARGIN_T: f32 = 40.0;
const MARGIN_B: f32 = 45.0;
const CONTENT_W: f32 = PAGE_W - MARGIN_L - MARGIN_R;
const BODY: f32 = 10.0;
const SMALL: f32 = 7.5;
const HEAD: f32 = 7.0;
const LEADING: f32 = 1.2;
const PAD: f32 = 2.5;

/// What the card shows.
#[derive(Debug, Clone)]
pub struct CardPrint {
    pub org_name: String,
    pub person: PersonRecord,
    /// Kind id → the nomenclature's name («Протокол заседания …»).
    pub kind_names: BTreeMap<String, String>,
    pub printed: NaiveDate,
}

/// Advance widths from the fonts krilla embeds, so wrapping matches what is drawn.
struct Metrics<'a> {
    regular: ttf_parser::Face<'a>,
    bold: ttf_parser::Face<'a>,
    ascent: f32,
}

impl<'a> Metrics<'a> {
    fn new() -> Result<Metrics<'a>> {
        let regular =
            ttf_parser::Face::parse(FONT_REGULAR, 0).map_err(|e| anyhow!("regular font: {e}"))?;
        let bold = ttf_parser::Face::parse(FONT_BOLD, 0).map_err(|e| anyhow!("bold font: {e}"))?;
        let ascent = f32::from(regular.ascender()) / f32::from(regular.units_per_em());
        Ok(Metrics {
            regular,
            bold,
            ascent,
        })
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let upem = f32::from(face.units_per_em());
        let units: u32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(upem as u32 * 6 / 10, u32::from)
            })
            .sum();
        units as f32 * size / upem
    }

    /// Greedy word wrap on spaces (and after «-», «/» inside long words); a word wider
    /// than the line is cut between letters. `\n` starts a new line.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size, bold) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if self.width(&next, size, bold) > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    line.push(c);
                    if matches!(c, '-' | '/') && self.width(&line, size, bold) > width * 0.6 {
                        lines.push(std::mem::take(&mut line));
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
}

struct Column {
    width: f32,
    head: &'static str,
}

struct Layout<'a> {
    m: Metrics<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(m: Metrics<'a>) -> Self {
        Layout {
            m,
            pages: vec![Vec::new()],
            y: MARGIN_T,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_T + 12.0;
    }

    fn ensure(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN_B {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, top: f32, size: f32, bold: bool, text: &str) {
        let y = top + self.m.ascent * size;
        self.ops().push(Op::Text {
            x,
            y,
            size,
            bold,
            text: text.to_string(),
        });
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.ops().push(Op::Line { x1, y1, x2, y2 });
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        let lines = self.m.wrap(text, size, bold, CONTENT_W);
        let lh = size * LEADING;
        self.ensure(lh * lines.len().min(3) as f32);
        for l in lines {
            self.ensure(lh);
            let top = self.y;
            self.text(MARGIN_L, top, size, bold, &l);
            self.y += lh;
        }
    }

    fn centered(&mut self, text: &str, size: f32, bold: bool) {
        for l in self.m.wrap(text, size, bold, CONTENT_W) {
            let w = self.m.width(&l, size, bold);
            let top = self.y;
            self.text(MARGIN_L + (CONTENT_W - w) / 2.0, top, size, bold, &l);
            self.y += size * LEADING;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn cells(
        &self,
        cols: &[Column],
        row: &[String],
        size: f32,
        bold: bool,
    ) -> (Vec<Vec<String>>, f32) {
        let cells: Vec<Vec<String>> = cols
            .iter()
            .zip(row)
            .map(|(c, t)| self.m.wrap(t, size, bold, c.width - 2.0 * PAD))
            .collect();
        let h = cells
            .iter()
            .map(|l| l.len() as f32 * size * LEADING)
            .fold(0.0, f32::max)
            + 2.0 * PAD;
        (cells, h)
    }

    fn draw_row(&mut self, cols: &[Column], cells: &[Vec<String>], h: f32, size: f32, bold: bool) {
        let top = self.y;
        let mut x = MARGIN_L;
        for (c, lines) in cols.iter().zip(cells) {
            for (i, l) in lines.iter().enumerate() {
                self.text(
                    x + PAD,
                    top + PAD + i as f32 * size * LEADING,
                    size,
                    bold,
                    l,
                );
            }
            self.line(x, top, x, top + h);
            x += c.width;
        }
        self.line(x, top, x, top + h);
        self.line(MARGIN_L, top, x, top);
        self.line(MARGIN_L, top + h, x, top + h);
        self.y += h;
    }

    /// A table whose header row is repeated on every page it spans.
    fn table(&mut self, cols: &[Column], rows: &[Vec<String>]) {
        let heads: Vec<String> = cols.iter().map(|c| c.head.to_string()).collect();
        let (head_cells, head_h) = self.cells(cols, &heads, HEAD, true);
        let first_h = rows
            .first()
            .map_or(0.0, |r| self.cells(cols, r, SMALL, false).1);
        self.ensure(head_h + first_h);
        self.draw_row(cols, &head_cells, head_h, HEAD, true);
        for row in rows {
            let (cells, h) = self.cells(cols, row, SMALL, false);
            if self.y + h > PAGE_H - MARGIN_B {
                self.new_page();
                self.draw_row(cols, &head_cells, head_h, HEAD, true);
            }
            self.draw_row(cols, &cells, h, SMALL, false);
        }
    }
}

fn ru_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// «протокол № 5 от 08.04.2019»: a source as a reader names it.
fn source_text(s: &ResultSource) -> String {
    let what = match s.kind.as_str() {
        "protocol" => "протокол",
        "order-completion" | "order-organisation" => "приказ",
        "issuance-book" => "книга выдачи",
        other => other,
    };
    let mut t = what.to_string();
    if let Some(n) = &s.number {
        t.push_str(&format!(" № {n}"));
    }
    if let Some(d) = s.date {
        t.push_str(&format!(" от {}", ru_date(d)));
    }
    t
}

/// The results table's cells for one row, as all front ends print them (a `\n` separates
/// lines within a cell: the two dates, the sources).
pub fn row_cells(r: &ResultRow) -> [String; 6] {
    let programme = match (&r.programme, r.hours) {
        (Some(p), Some(h)) => format!("{p} ({h} ч.)"),
        (Some(p), None) => p.clone(),
        (None, Some(h)) => format!("({h} ч.)"),
        (None, None) => "—".to_string(),
    };
    let dates = match (r.started, r.finished) {
        (Some(a), Some(b)) => format!("с {}\nпо {}", ru_date(a), ru_date(b)),
        (Some(a), None) => format!("с {}", ru_date(a)),
        (None, Some(b)) => format!("по {}", ru_date(b)),
        (None, None) => "—".to_string(),
    };
    let certificate = r.certificate.as_ref().map_or_else(
        || "—".to_string(),
        |c| {
            let mut t = format!("{} {}", c.title, c.number_text());
            if let Some(reg) = &c.registration {
                t.push_str(&format!(", рег. № {reg}"));
            }
            if let Some(d) = c.date {
                t.push_str(&format!(", выдан {}", ru_date(d)));
            }
            t
        },
    );
    let sources: Vec<String> = r.sources.iter().map(source_text).collect();
    [
        programme,
        r.group.clone().unwrap_or_else(|| "—".to_string()),
        dates,
        r.result.clone().unwrap_or_else(|| "—".to_string()),
        certificate,
        sources.join("\n"),
    ]
}

fn result_columns() -> Vec<Column> {
    let c = |width, head| Column { width, head };
    // Widths sum to CONTENT_W (505 pt).
    vec![
        c(18.0, "№"),
        c(132.0, "Программа (объём)"),
        c(60.0, "Группа"),
        c(62.0, "Сроки обучения"),
        c(62.0, "Результат итоговой аттестации"),
        c(96.0, "Документ об обучении"),
        c(75.0, "Основание (документ архива)"),
    ]
}

fn document_columns() -> Vec<Column> {
    let c = |width, head| Column { width, head };
    vec![
        c(18.0, "№"),
        c(52.0, "Дата"),
        c(160.0, "Документ"),
        c(45.0, "Номер"),
        c(60.0, "Группа"),
        c(170.0, "Место хранения (короб, файл)"),
    ]
}

/// Renders the record card as an A4 PDF.
pub fn render_pdf(card: &CardPrint) -> Result<Vec<u8>> {
    let mut l = Layout::new(Metrics::new()?);
    let p = &card.person;
    l.centered(&card.org_name, BODY, false);
    l.gap(10.0);
    l.centered("КАРТОЧКА", 13.0, true);
    l.centered(
        "индивидуального учёта результатов освоения образовательных программ",
        BODY,
        false,
    );
    l.gap(12.0);
    l.paragraph(&format!("Обучающийся: {}", p.name), 12.0, true);
    if !p.forms.is_empty() {
        l.paragraph(
            &format!("Формы имени в документах: {}", p.forms.join("; ")),
            SMALL,
            false,
        );
    }
    l.gap(10.0);
    l.paragraph("Результаты обучения", 11.0, true);
    l.gap(3.0);
    if p.results.is_empty() {
        l.paragraph(
            "В документах архива результатов обучения не найдено.",
            BODY,
            false,
        );
    } else {
        let rows: Vec<Vec<String>> = p
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut v = vec![(i + 1).to_string()];
                v.extend(row_cells(r));
                v
            })
            .collect();
        l.table(&result_columns(), &rows);
    }
    l.gap(12.0);
    l.paragraph("Документы, в которых упомянут обучающийся", 11.0, true);
    l.gap(3.0);
    let mut docs: Vec<&crate::search::query::Hit> = p.documents.iter().collect();
    docs.sort_by_key(|d| {
        (
            d.date.clone(),
            LIFE_CYCLE.iter().position(|k| *k == d.kind).unwrap_or(99),
        )
    });
    let rows: Vec<Vec<String>> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let kind = card.kind_names.get(&d.kind).unwrap_or(&d.kind);
            let title = match &d.title {
                Some(t) if t != kind => format!("{kind}: {t}"),
                _ => kind.clone(),
            };
            vec![
                (i + 1).to_string(),
                d.date
                    .as_deref()
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                    .map_or_else(|| "—".to_string(), ru_date),
                title,
                d.number.clone().unwrap_or_default(),
                d.group.clone().unwrap_or_default(),
                format!("{}/{}", d.box_path, d.file),
            ]
        })
        .collect();
    l.table(&document_columns(), &rows);
    l.gap(16.0);
    l.paragraph(
        &format!(
            "Карточка составлена по документам архива {}.",
            ru_date(card.printed)
        ),
        BODY,
        false,
    );
    l.gap(14.0);
    l.ensure(2.0 * BODY * LEADING);
    let top = l.y;
    l.text(MARGIN_L, top, BODY, false, "Ответственный за архив");
    l.text(MARGIN_L + 230.0, top, BODY, false, "______________");
    l.text(MARGIN_L + 340.0, top, BODY, false, "______________________");
    l.text(
        MARGIN_L + 250.0,
        top + BODY * LEADING,
        6.0,
        false,
        "(подпись)",
    );
    l.text(
        MARGIN_L + 350.0,
        top + BODY * LEADING,
        6.0,
        false,
        "(расшифровка подписи)",
    );
    emit(&l.pages, &p.name)
}

fn emit(pages: &[Vec<Op>], name: &str) -> Result<Vec<u8>> {
    let regular = Font::new(FONT_REGULAR.into(), 0).context("regular font unreadable")?;
    let bold = Font::new(FONT_BOLD.into(), 0).context("bold font unreadable")?;
    let mut doc = Document::new();
    for (i, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).context("page size")?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        let mut pb = PathBuilder::new();
        for op in ops {
            if let Op::Line { x1, y1, x2, y2 } = *op {
                pb.move_to(x1, y1);
                pb.line_to(x2, y2);
            }
        }
        if let Some(path) = pb.finish() {
            s.set_fill(None);
            s.set_stroke(Some(Stroke {
                width: 0.5,
                ..Default::default()
            }));
            s.draw_path(&path);
        }
        s.set_stroke(None);
        s.set_fill(Some(Fill::default()));
        if i > 0 {
            s.draw_text(
                Point::from_xy(PAGE_W / 2.0 - 3.0, MARGIN_T),
                regular.clone(),
                9.0,
                &(i + 1).to_string(),
                false,
                TextDirection::Auto,
            );
        }
        for op in ops {
            if let Op::Text {
                x,
                y,
                size,
                bold: is_bold,
                text,
            } = op
            {
                if text.is_empty() {
                    continue;
                }
                let font = if *is_bold { &bold } else { &regular };
                s.draw_text(
                    Point::from_xy(*x, *y),
                    font.clone(),
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
        }
        s.finish();
        page.finish();
    }
    doc.set_metadata(
        Metadata::new()
            .title(format!("Карточка учёта результатов обучения: {name}"))
            .language("ru".to_string())
            .creator("archivist".to_string()),
    );
    doc.finish()
        .map_err(|e| anyhow!("PDF serialisation failed: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ru::results::IssuedDocument;
    use crate::search::query::Hit;
    use crate::store::document::Status;
    use std::path::PathBuf;
    use std::process::Command;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn source(kind: &str, gave: &str, n: &str, d: NaiveDate) -> ResultSource {
        ResultSource {
            gave: gave.into(),
            id: "ab".repeat(32),
            kind: kind.into(),
            date: Some(d),
            number: (!n.is_empty()).then(|| n.to_string()),
            title: None,
            box_path: "boxes/2019/ПК-2019-005".into(),
            file: format!("data/{kind}/2019-04-08_{n}.pdf"),
        }
    }

    fn hit(kind: &str, d: &str, n: &str) -> Hit {
        Hit {
            score: 1.0,
            id: "cd".repeat(32),
            kind: kind.into(),
            year: 2019,
            group: Some("ПК-2019-005".into()),
            date: Some(d.into()),
            number: (!n.is_empty()).then(|| n.to_string()),
            title: None,
            box_path: "boxes/2019/ПК-2019-005".into(),
            file: format!("data/{kind}/{d}_{n}_scan.pdf"),
            status: Status::Active,
            note: None,
            learners: vec![],
            snippet: String::new(),
            matched: "name".into(),
            person_tokens: vec![],
        }
    }

    pub(crate) fn sample() -> CardPrint {
        let row = ResultRow {
            programme: Some("Электробезопасность для электротехнического персонала".into()),
            hours: Some(72),
            group: Some("ПК-2019-005".into()),
            started: Some(date(2019, 3, 1)),
            finished: Some(date(2019, 4, 10)),
            result: Some("зачтено".into()),
            certificate: Some(IssuedDocument {
                title: "удостоверение о повышении квалификации".into(),
                series: Some("772419".into()),
                number: "012345".into(),
                registration: Some("0456".into()),
                date: Some(date(2019, 4, 10)),
            }),
            sources: vec![
                source("order-organisation", "enrolment", "12-у", date(2019, 3, 1)),
                source("protocol", "result", "5", date(2019, 4, 8)),
                source("order-completion", "completion", "18-у", date(2019, 4, 10)),
                source("issuance-book", "certificate", "", date(2019, 4, 10)),
            ],
        };
        let person = PersonRecord {
            name: "Сидорова А. С.".into(),
            token: "сидоров_а_с".into(),
            gender: None,
            forms: vec![
                "Сидорову Анну Сергеевну".into(),
                "Сидорова А. С.".into(),
                "Сидоровой Анне Сергеевне".into(),
            ],
            count: 5,
            documents: vec![
                hit("order-organisation", "2019-03-01", "12-у"),
                hit("journal", "2019-03-01", ""),
                hit("protocol", "2019-04-08", "5"),
                hit("order-completion", "2019-04-10", "18-у"),
                hit("issuance-book", "2019-04-10", ""),
            ],
            results: vec![row],
        };
        let kind_names = [
            ("order-organisation", "Приказ об организации обучения"),
            ("journal", "Журнал учета занятий"),
            ("protocol", "Протокол заседания комиссии по проверке знаний"),
            ("order-completion", "Приказ об окончании обучения"),
            (
                "issuance-book",
                "Книга выдачи документов об окончании обучения",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        CardPrint {
            org_name: "АНО ДПО «Учебный центр «Профессионал»»".into(),
            person,
            kind_names,
            printed: date(2026, 11, 20),
        }
    }

    fn have(tool: &str) -> bool {
        let ok = Command::new(tool).arg("-v").output().is_ok();
        if !ok {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{tool} is required on CI");
            }
            eprintln!("SKIPPED: {tool} is not installed");
        }
        ok
    }

    #[test]
    fn the_card_prints_the_results_table_and_the_documents() {
        let pdf = match render_pdf(&sample()) {
            Ok(p) => p,
            Err(e) => panic!("render failed: {e:#}"),
        };
        assert!(pdf.starts_with(b"%PDF"));
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/recordcard-test");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("card.pdf");
        std::fs::write(&path, &pdf).unwrap();
        if !have("pdftotext") {
            return;
        }
        let out = Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let text: String = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for want in [
            "КАРТОЧКА",
            "Обучающийся: Сидорова А. С.",
            "зачтено",
            "772419 № 012345",
            "ПК-2019-005",
            "протокол № 5 от 08.04.2019",
            "Книга выдачи документов об окончании обучения",
        ] {
            assert!(text.contains(want), "{want:?} not in {text}");
        }
        // A PNG of the first page for a person to look at.
        if have("pdftoppm") {
            let st = Command::new("pdftoppm")
                .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
                .arg(&path)
                .arg(dir.join("card"))
                .status()
                .unwrap();
            assert!(st.success());
            assert!(dir.join("card.png").is_file());
        }
    }

    #[test]
    fn long_tables_continue_on_new_pages() {
        let mut c = sample();
        let row = c.person.results[0].clone();
        c.person.results = vec![row; 40];
        let doc = c.person.documents[0].clone();
        c.person.documents = vec![doc; 60];
        let pdf = render_pdf(&c).unwrap();
        let pages = lopdf::Document::load_mem(&pdf).unwrap().get_pages().len();
        assert!(pages >= 3, "{pages} page(s)");
    }
}
