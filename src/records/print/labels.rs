//! Box labels: one label per box on a sheet of labels, so that anyone can find documents
//! by year or by learner group (the regulation's §3.3). Each label carries the
//! organisation; the YEAR and the GROUP in large type; the programme; the case indices in
//! the box; the first and last dates; the number of documents and sheets; the retention
//! periods with «ЭПК» where it applies; and a QR code with its payload printed small.
//!
//! A label is laid out for its cell: type scales with the cell, text flows beside the QR
//! code and then under it, and whatever does not fit is shortened with «…» or left off
//! (and reported), so nothing is ever drawn outside the cell.

use anyhow::{Result, bail};
use chrono::NaiveDate;
use serde::Serialize;

use crate::config::LabelSettings;
use crate::config::nomenclature::Period;
use crate::error::Invalid;
use crate::formats::print::layout::{LEADING, Op, Page, Rect, extent};
use crate::formats::print::metrics::Metrics;
use crate::formats::print::qr::QrMatrix;
use crate::formats::print::sheet::{Offset, Sheet};
use crate::formats::print::{mm, pdf};
use crate::records::contents::{BoxContents, Case};
use crate::ru::numerals::{documents_word, sheets_word};

/// What one box label says.
#[derive(Debug, Clone, Serialize)]
pub struct BoxLabel {
    pub organisation: String,
    pub year: i32,
    pub group: String,
    pub programmes: Vec<String>,
    pub case_indexes: Vec<String>,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    pub documents: u32,
    pub pages: u32,
    /// Retention periods of the cases in the box, longest first.
    pub retention: Vec<LabelPeriod>,
    /// What the QR code holds.
    pub payload: String,
}

/// One retention period and the case indices kept for it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelPeriod {
    /// «5 лет», «до ликвидации организации»
    pub period: String,
    pub epk: bool,
    pub case_indexes: Vec<String>,
}

/// The QR payload of a box: its web page when `archivist serve` has a base URL, else a
/// stable identifier.
pub fn payload(base_url: &str, year: i32, group: &str) -> String {
    let base = base_url.trim().trim_end_matches('/');
    if base.is_empty() {
        format!("archivist:box/{year}/{group}")
    } else {
        format!("{base}/box/{year}/{group}")
    }
}

impl BoxLabel {
    pub fn of(
        b: &BoxContents,
        cases: &[Case],
        organisation: &str,
        source_of_acquisition: bool,
        base_url: &str,
    ) -> BoxLabel {
        let (first_date, last_date) = b.dates();
        let mut programmes: Vec<String> = b
            .documents
            .iter()
            .filter_map(|d| d.programme.clone())
            .collect();
        programmes.sort();
        programmes.dedup();
        let mut case_indexes: Vec<String> = cases.iter().map(|c| c.key.index.clone()).collect();
        case_indexes.sort();
        case_indexes.dedup();
        BoxLabel {
            organisation: organisation.to_string(),
            year: b.year,
            group: b.group.clone(),
            programmes,
            case_indexes,
            first_date,
            last_date,
            documents: b.documents.len() as u32,
            pages: b.pages(),
            retention: periods(cases, source_of_acquisition),
            payload: payload(base_url, b.year, &b.group),
        }
    }
}

/// Longer periods first: permanent, then by years.
fn period_rank(p: Option<&Period>) -> u32 {
    match p {
        Some(Period::Permanent) => u32::MAX,
        Some(Period::FiftySeventyFive) => 75,
        Some(Period::Years(n)) => *n,
        Some(Period::YearsAfterEvent { years, .. }) => *years,
        Some(Period::UntilNoLongerNeeded) => 0,
        None => 0,
    }
}

fn periods(cases: &[Case], source_of_acquisition: bool) -> Vec<LabelPeriod> {
    let mut sorted: Vec<&Case> = cases.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(period_rank(c.period.as_ref())));
    let mut out: Vec<LabelPeriod> = Vec::new();
    for c in sorted {
        let period = c.period.as_ref().map_or("срок не указан".to_string(), |p| {
            lower_first(&p.russian(source_of_acquisition))
        });
        match out
            .iter_mut()
            .find(|x| x.period == period && x.epk == c.epk)
        {
            Some(x) if !x.case_indexes.contains(&c.key.index) => {
                x.case_indexes.push(c.key.index.clone())
            }
            Some(_) => {}
            None => out.push(LabelPeriod {
                period,
                epk: c.epk,
                case_indexes: vec![c.key.index.clone()],
            }),
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The sheets this installation knows: the built-in ones, replaced or joined by those
/// of `[[labels.sheet]]`.
pub fn sheets(cfg: &LabelSettings) -> Vec<Sheet> {
    let mut out: Vec<Sheet> = Sheet::builtin()
        .into_iter()
        .filter(|b| !cfg.sheets.iter().any(|s| s.name == b.name))
        .collect();
    out.extend(cfg.sheets.iter().cloned());
    out
}

/// The sheet called `name` (else `[labels] default_sheet`).
pub fn sheet(cfg: &LabelSettings, name: Option<&str>) -> Result<Sheet> {
    let name = name.unwrap_or(&cfg.default_sheet);
    let all = sheets(cfg);
    match all.iter().find(|s| s.name == name) {
        Some(s) => Ok(s.clone()),
        None => {
            let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
            Err(Invalid(format!(
                "there is no label sheet {name:?}; known: {} (add one as [[labels.sheet]] in archivist.toml)",
                names.join(", ")
            ))
            .into())
        }
    }
}

/// The drift of printer `name` (`[[labels.printer]]`), else of `[labels]`.
pub fn offset(cfg: &LabelSettings, printer: Option<&str>) -> Result<Offset> {
    match printer {
        None => Ok(Offset {
            x_mm: cfg.offset_x_mm,
            y_mm: cfg.offset_y_mm,
        }),
        Some(name) => match cfg.printers.iter().find(|p| p.name == name) {
            Some(p) => Ok(Offset {
                x_mm: p.offset_x_mm,
                y_mm: p.offset_y_mm,
            }),
            None => Err(Invalid(format!(
                "there is no printer {name:?} in archivist.toml; add [[labels.printer]] name = {name:?} with offset_x_mm and offset_y_mm"
            ))
            .into()),
        },
    }
}

/// Where a label went on the printed sheets, and what did not fit on it.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub year: i32,
    pub group: String,
    /// 1-based page of the PDF.
    pub page: usize,
    /// 1-based position on the page, row by row.
    pub position: usize,
    /// Fields left off or shortened because the label is too small.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shortened: Vec<String>,
}

/// The labels on sheets of `sheet`, starting at position `skip + 1` of the first page (to
/// use up a partly used sheet).
pub fn render_pdf(
    labels: &[BoxLabel],
    sheet: &Sheet,
    offset: Offset,
    skip: usize,
) -> Result<(Vec<u8>, Vec<Placement>)> {
    let problems = sheet.problems();
    if let Some(p) = problems.first() {
        bail!("label sheet {} cannot be printed: {p}", sheet.name);
    }
    let m = Metrics::new()?;
    let (pw, ph) = sheet.page_size();
    let cells = sheet.cells(offset);
    let mut pages: Vec<Page> = Vec::new();
    let mut placements = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let slot = skip + i;
        let (page_no, pos) = (slot / cells.len(), slot % cells.len());
        while pages.len() <= page_no {
            pages.push(Page::new(pw, ph));
        }
        let placed = layout_label(&m, label, cells[pos])?;
        pages[page_no].ops.extend(placed.ops);
        placements.push(Placement {
            year: label.year,
            group: label.group.clone(),
            page: page_no + 1,
            position: pos + 1,
            shortened: placed.shortened,
        });
    }
    if pages.is_empty() {
        pages.push(Page::new(pw, ph));
    }
    let pdf = pdf::write(&pages, &format!("Этикетки коробов ({})", sheet.name))?;
    Ok((pdf, placements))
}

/// One label laid out in its cell.
pub struct PlacedLabel {
    pub ops: Vec<Op>,
    /// Where the QR symbol is (without its quiet zone).
    pub qr: Rect,
    pub shortened: Vec<String>,
}

/// One line group of a label's text: its words, size, weight and how many lines it may
/// take before being cut with «…».
struct Item {
    field: &'static str,
    text: String,
    size: f32,
    bold: bool,
    max_lines: usize,
    /// Large type shrinks to fit its line instead of wrapping (the year, the group).
    fit: bool,
    /// Space before the item, in em of its size.
    before: f32,
}

fn items(label: &BoxLabel, k: f32) -> Vec<Item> {
    let item = |field, text: String, size: f32, bold, max_lines, fit, before| Item {
        field,
        text,
        size: size * k,
        bold,
        max_lines,
        fit,
        before,
    };
    let mut v = vec![
        item(
            "organisation",
            label.organisation.clone(),
            6.5,
            false,
            2,
            false,
            0.0,
        ),
        item("year", label.year.to_string(), 26.0, true, 1, true, 0.1),
        item("group", label.group.clone(), 14.0, true, 1, true, 0.0),
    ];
    if !label.programmes.is_empty() {
        let p: Vec<String> = label.programmes.iter().map(|p| format!("«{p}»")).collect();
        v.push(item(
            "programme",
            format!("Программа: {}", p.join("; ")),
            BODY,
            false,
            3,
            false,
            0.3,
        ));
    }
    if !label.case_indexes.is_empty() {
        v.push(item(
            "cases",
            format!("Дела: {}", label.case_indexes.join(", ")),
            BODY,
            false,
            2,
            false,
            0.2,
        ));
    }
    v.push(item(
        "dates",
        super::date_range(label.first_date, label.last_date, label.year).replace('–', " – "),
        BODY,
        false,
        1,
        false,
        0.2,
    ));
    v.push(item(
        "counts",
        format!(
            "{} {}, {} {}",
            label.documents,
            documents_word(label.documents),
            label.pages,
            sheets_word(label.pages)
        ),
        BODY,
        false,
        1,
        false,
        0.0,
    ));
    if !label.retention.is_empty() {
        let parts: Vec<String> = label
            .retention
            .iter()
            .map(|p| {
                format!(
                    "{}{}: {}",
                    p.period,
                    if p.epk { ", ЭПК" } else { "" },
                    p.case_indexes.join(", ")
                )
            })
            .collect();
        v.push(item(
            "retention",
            format!("Хранить: {}", parts.join("; ")),
            BODY,
            false,
            4,
            false,
            0.2,
        ));
    }
    v
}

/// Fields dropped first when a label is too small, last first.
const DROP_ORDER: [&str; 4] = ["programme", "organisation", "cases", "retention"];

/// Body type of a 105 × 74 mm label.
const BODY: f32 = 7.0;
/// The smallest body type a label uses before it starts leaving fields off.
const MIN_BODY: f32 = 4.5;

/// Lays out one label in `cell`: the largest type (up to half again the size the cell
/// suggests) at which every field fits whole, else cut with «…», else with fields left
/// off in [`DROP_ORDER`].
pub fn layout_label(m: &Metrics, label: &BoxLabel, cell: Rect) -> Result<PlacedLabel> {
    let qr = QrMatrix::encode(&label.payload)?;
    let smallest = MIN_BODY / BODY;
    // 105 × 74 mm is the size the nominal type sizes were chosen for.
    let base = (cell.h / mm(74.0)).min(cell.w / mm(105.0));
    let largest = (base * 1.5).clamp(smallest, 3.0);
    let mut dropped: Vec<&str> = Vec::new();
    loop {
        // Whole fields at the largest type that holds them; failing that, fields cut
        // with «…».
        for whole in [true, false] {
            let fit = |k: f32| try_layout(m, label, cell, &qr, k, &dropped, whole);
            if let Some(p) = largest_fit(smallest, largest, fit) {
                return Ok(p);
            }
        }
        match DROP_ORDER.iter().find(|f| !dropped.contains(f)) {
            Some(f) => dropped.push(f),
            None => bail!(
                "a label of {:.0} × {:.0} mm is too small for box {}/{}",
                cell.w / mm(1.0),
                cell.h / mm(1.0),
                label.year,
                label.group
            ),
        }
    }
}

/// The layout at the largest scale in `lo..=hi` that `fit` accepts (bisected).
fn largest_fit(lo: f32, hi: f32, fit: impl Fn(f32) -> Option<PlacedLabel>) -> Option<PlacedLabel> {
    if let Some(p) = fit(hi) {
        return Some(p);
    }
    let mut best = fit(lo)?;
    let (mut lo, mut hi) = (lo, hi);
    while hi - lo > 0.02 {
        let mid = (lo + hi) / 2.0;
        match fit(mid) {
            Some(p) => {
                best = p;
                lo = mid;
            }
            None => hi = mid,
        }
    }
    Some(best)
}

/// The layout at type scale `k` without the `dropped` fields, if it fits the cell.
fn try_layout(
    m: &Metrics,
    label: &BoxLabel,
    cell: Rect,
    qr: &QrMatrix,
    k: f32,
    dropped: &[&str],
    whole: bool,
) -> Option<PlacedLabel> {
    let pad = (cell.w.min(cell.h) * 0.06).clamp(mm(3.0), mm(8.0));
    let inner = Rect {
        x: cell.x + pad,
        y: cell.y + pad,
        w: cell.w - 2.0 * pad,
        h: cell.h - 2.0 * pad,
    };
    let mut page = Page::new(0.0, 0.0);
    let mut shortened: Vec<String> = dropped.iter().map(|f| f.to_string()).collect();

    // The QR code in the top right corner (at the bottom of a tall label, so the large
    // type above it gets the whole width), its payload in small type under it.
    let tall = cell.h > cell.w * 1.15;
    let payload_size = (5.0 * k).max(4.0);
    let payload_lh = payload_size * LEADING;
    // The symbol is as large as the payload under it leaves room for.
    let mut side = if tall {
        (inner.w * 0.5).min(inner.h * 0.4)
    } else {
        (inner.w * 0.4).min(inner.h)
    };
    let mut payload_lines = Vec::new();
    for _ in 0..4 {
        payload_lines = m.wrap_lines(&label.payload, payload_size, false, &|_| side, 3);
        let room = inner.h - payload_lines.len() as f32 * payload_lh - side / qr.width as f32;
        if side <= room {
            break;
        }
        side = room;
    }
    let module = side / qr.width as f32;
    let block_h = side + module + payload_lines.len() as f32 * payload_lh;
    if module < mm(0.35) || block_h > inner.h {
        return None;
    }
    let qr_rect = Rect {
        x: inner.x + inner.w - side,
        y: if tall {
            inner.y + inner.h - block_h
        } else {
            inner.y
        },
        w: side,
        h: side,
    };
    qr.draw(&mut page, qr_rect.x, qr_rect.y, module);
    let mut py = qr_rect.y + side + module;
    for l in &payload_lines {
        page.text(m, qr_rect.x, py, payload_size, false, l);
        py += payload_lh;
    }
    let (block_top, block_bottom) = (qr_rect.y, py);

    // Text beside the QR code (clear of its quiet zone), elsewhere at full width.
    let quiet = (3.0 * module).max(6.0 * k);
    let narrow = inner.w - side - quiet;
    let mut y = inner.y;
    for it in items(label, k)
        .into_iter()
        .filter(|it| !dropped.contains(&it.field))
    {
        y += it.before * it.size;
        let lh = it.size * LEADING;
        let width_at = |line: usize| {
            let top = y + line as f32 * lh;
            let beside = top + lh > block_top - quiet && top < block_bottom;
            if beside { narrow } else { inner.w }
        };
        let (lines, size) = if it.fit {
            let size = m.fit_size(&it.text, it.bold, it.size, width_at(0));
            (vec![it.text.clone()], size)
        } else {
            let full = m.wrap_with(&it.text, it.size, it.bold, &width_at);
            if full.len() > it.max_lines {
                if whole {
                    return None;
                }
                shortened.push(it.field.to_string());
            }
            (
                m.wrap_lines(&it.text, it.size, it.bold, &width_at, it.max_lines),
                it.size,
            )
        };
        let lh = size * LEADING;
        for l in &lines {
            page.text(m, inner.x, y, size, it.bold, l);
            y += lh;
        }
        if y > inner.y + inner.h {
            return None;
        }
    }
    Some(PlacedLabel {
        ops: page.ops,
        qr: qr_rect,
        shortened,
    })
}

/// A page to print on plain paper and lay over a label sheet against the light: the
/// frames of the labels where this printer puts them, a 100 mm rule to check the scale,
/// and how to set the offset.
pub fn calibration_pdf(sheet: &Sheet, offset: Offset, printer: &str) -> Result<Vec<u8>> {
    let problems = sheet.problems();
    if let Some(p) = problems.first() {
        bail!("label sheet {} cannot be printed: {p}", sheet.name);
    }
    let m = Metrics::new()?;
    let (pw, ph) = sheet.page_size();
    let mut page = Page::new(pw, ph);
    let cells = sheet.cells(offset);
    for (i, c) in cells.iter().enumerate() {
        page.frame(*c, 0.4);
        // A cross at the centre of each label, and its number.
        let (cx, cy) = (c.x + c.w / 2.0, c.y + c.h / 2.0);
        page.line(cx - mm(3.0), cy, cx + mm(3.0), cy, 0.3);
        page.line(cx, cy - mm(3.0), cx, cy + mm(3.0), 0.3);
        page.text(
            &m,
            c.x + mm(1.5),
            c.y + mm(1.0),
            7.0,
            false,
            &(i + 1).to_string(),
        );
    }
    // A 100 mm rule with a tick every 10 mm near the top of a middle row, clear of
    // the crosses and the numbers.
    let middle = cells[(sheet.rows as usize / 2) * sheet.columns as usize];
    let (rx, ry) = (
        (pw - mm(100.0)) / 2.0,
        middle.y + mm(5.0).min(middle.h / 4.0),
    );
    page.line(rx, ry, rx + mm(100.0), ry, 0.5);
    for t in 0..=10 {
        let x = rx + mm(10.0 * t as f32);
        page.line(x, ry, x, ry + mm(2.0), 0.5);
    }
    let first = cells[0];
    page.text(
        &m,
        first.x + mm(1.5),
        first.y + mm(1.0) + 7.0 * LEADING,
        6.0,
        false,
        &format!(
            "{}: x {:+.1} мм, y {:+.1} мм (см. стр. 2)",
            sheet.name, offset.x_mm, offset.y_mm
        ),
    );
    let mut help = Page::new(pw, ph);
    let text = [
        format!("Калибровка листа этикеток {}", sheet.name),
        sheet.description.clone(),
        format!(
            "Принтер: {}; смещение x = {:+.1} мм, y = {:+.1} мм.",
            if printer.is_empty() { "по умолчанию" } else { printer },
            offset.x_mm,
            offset.y_mm
        ),
        "1. Напечатайте первую страницу на обычной бумаге без масштабирования (100 %).".to_string(),
        "2. Проверьте линейку: она должна быть ровно 100 мм; если нет, отключите «подогнать под размер страницы».".to_string(),
        "3. Наложите страницу на лист этикеток и посмотрите на просвет: рамки должны совпасть с краями этикеток.".to_string(),
        "4. Если рамки сдвинуты, измерьте сдвиг и задайте его в archivist.toml: [labels] offset_x_mm (вправо +) и offset_y_mm (вниз +), или для принтера [[labels.printer]] и archivist labels --printer ИМЯ.".to_string(),
        "5. Напечатайте калибровку снова и убедитесь, что рамки совпали.".to_string(),
    ];
    let (size, left, width) = (11.0, mm(20.0), pw - mm(40.0));
    let mut y = mm(25.0);
    for (i, t) in text.iter().enumerate() {
        let bold = i == 0;
        for l in m.wrap(t, size, bold, width, 0.0) {
            help.text(&m, left, y, size, bold, &l);
            y += size * LEADING;
        }
        y += size * 0.5;
    }
    pdf::write(
        &[page, help],
        &format!("Калибровка листа этикеток {}", sheet.name),
    )
}

/// Every operation of a placed label lies inside `cell`, and nothing but the QR code's
/// own modules lies in the QR code's quiet zone (at least `quiet` modules).
pub fn check_inside(m: &Metrics, placed: &PlacedLabel, cell: Rect, qr_width: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let module = placed.qr.w / qr_width as f32;
    // The payload may sit one module under the symbol; other text keeps three away.
    let zone = Rect {
        x: placed.qr.x - 3.0 * module + 0.01,
        y: placed.qr.y - module + 0.01,
        w: placed.qr.w + 4.0 * module - 0.02,
        h: placed.qr.h + 2.0 * module - 0.02,
    };
    for op in &placed.ops {
        let e = extent(m, op);
        if !cell.contains(&e, 0.01) {
            problems.push(format!("{op:?} leaves the cell {cell:?}"));
        }
        let is_qr = matches!(op, Op::Fill { .. });
        let overlaps = e.x < zone.x + zone.w
            && zone.x < e.x + e.w
            && e.y < zone.y + zone.h
            && zone.y < e.y + e.h;
        if !is_qr && overlaps {
            problems.push(format!("{op:?} lies in the QR code's quiet zone"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{have_tool, out_dir, png, run, squash, texts, write};
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, dd)
    }

    /// A label with every field as long as real ones get.
    pub fn sample(year: i32, group: &str, base_url: &str) -> BoxLabel {
        BoxLabel {
            organisation: "АНО ДПО «Учебный центр «Профессионал»»".to_string(),
            year,
            group: group.to_string(),
            programmes: vec![
                "Охрана труда для руководителей и специалистов организаций".to_string(),
            ],
            case_indexes: [
                "01-01", "01-02", "02-01", "02-02", "02-03", "02-05", "02-06",
            ]
            .map(String::from)
            .to_vec(),
            first_date: d(year, 1, 9),
            last_date: d(year, 12, 25),
            documents: 21,
            pages: 101,
            retention: vec![
                LabelPeriod {
                    period: "до ликвидации организации".to_string(),
                    epk: true,
                    case_indexes: vec!["02-01".into(), "02-02".into()],
                },
                LabelPeriod {
                    period: "50/75 лет".to_string(),
                    epk: true,
                    case_indexes: vec!["01-02".into()],
                },
                LabelPeriod {
                    period: "5 лет".to_string(),
                    epk: false,
                    case_indexes: vec!["02-03".into()],
                },
            ],
            payload: payload(base_url, year, group),
        }
    }

    #[test]
    fn payloads_are_the_box_page_or_a_stable_identifier() {
        assert_eq!(
            payload("", 2024, "ПК-2024-017"),
            "archivist:box/2024/ПК-2024-017"
        );
        assert_eq!(
            payload(" http://archive.local:8080/ ", 2024, "ПК-2024-017"),
            "http://archive.local:8080/box/2024/ПК-2024-017"
        );
    }

    #[test]
    fn every_label_lies_inside_its_cell_on_every_builtin_sheet() {
        let m = Metrics::new().unwrap_or_else(|e| panic!("{e:#}"));
        for sheet in Sheet::builtin() {
            for offset in [
                Offset::default(),
                Offset {
                    x_mm: 1.5,
                    y_mm: -1.0,
                },
            ] {
                for label in [
                    sample(2024, "ПК-2024-017", ""),
                    sample(
                        2024,
                        "ПП-2024-0123-ДИСТАНЦИОННО",
                        "https://archive.example.org:8443",
                    ),
                ] {
                    for cell in sheet.cells(offset) {
                        let placed = layout_label(&m, &label, cell)
                            .unwrap_or_else(|e| panic!("{}: {e:#}", sheet.name));
                        let qr =
                            QrMatrix::encode(&label.payload).unwrap_or_else(|e| panic!("{e:#}"));
                        let problems = check_inside(&m, &placed, cell, qr.width);
                        assert!(problems.is_empty(), "{}: {problems:#?}", sheet.name);
                        // The year and the group are never left off.
                        let texts: Vec<&str> = placed
                            .ops
                            .iter()
                            .filter_map(|o| match o {
                                Op::Text { text, .. } => Some(text.as_str()),
                                _ => None,
                            })
                            .collect();
                        assert!(texts.contains(&"2024"), "{}", sheet.name);
                        assert!(texts.contains(&label.group.as_str()), "{}", sheet.name);
                    }
                }
            }
        }
    }

    #[test]
    fn the_usual_sheets_keep_every_field() {
        let m = Metrics::new().unwrap_or_else(|e| panic!("{e:#}"));
        for sheet in Sheet::builtin() {
            let label = sample(2019, "ПК-2019-017", "http://archive.local:8080");
            let placed = layout_label(&m, &label, sheet.cells(Offset::default())[0])
                .unwrap_or_else(|e| panic!("{e:#}"));
            // Only the smallest sheets may shorten the long programme.
            let allowed: &[&str] = if sheet.label_height_mm < 40.0 {
                &["programme", "organisation", "cases", "retention"]
            } else {
                &[]
            };
            for f in &placed.shortened {
                assert!(
                    allowed.contains(&f.as_str()),
                    "{}: {f} shortened",
                    sheet.name
                );
            }
        }
    }

    /// Renders every built-in sheet, reads its text back and decodes each QR code at 200
    /// and 100 dpi; writes a PNG of each sheet to look at.
    #[test]
    fn sheets_print_readable_text_and_qr_codes() {
        if !have_tool("pdftoppm") || !have_tool("zbarimg") {
            return;
        }
        for sheet in Sheet::builtin() {
            let labels: Vec<BoxLabel> = (0..sheet.per_page().min(4))
                .map(|i| {
                    let base = if i % 2 == 0 {
                        ""
                    } else {
                        "http://archive.local:8080"
                    };
                    sample(2020 + i as i32, &format!("ПК-{}-0{i}7", 2020 + i), base)
                })
                .collect();
            let (pdf, placed) = render_pdf(&labels, &sheet, Offset::default(), 0)
                .unwrap_or_else(|e| panic!("{e:#}"));
            assert_eq!(placed.len(), labels.len());
            let path = write(&format!("labels-{}.pdf", sheet.name), &pdf);
            png(&path, 1);
            let (layout, _) = texts(&path);
            for l in &labels {
                assert!(
                    layout.contains(&squash(&l.group)),
                    "{}: {}",
                    sheet.name,
                    l.group
                );
                assert!(layout.contains(&l.year.to_string()));
            }
            for dpi in ["200", "100"] {
                let mut want: Vec<String> = labels.iter().map(|l| l.payload.clone()).collect();
                let mut got = decode_qr(&path, dpi);
                want.sort();
                got.sort();
                assert_eq!(got, want, "{} at {dpi} dpi", sheet.name);
            }
        }
    }

    /// Every QR code on page 1 of the PDF, as zbarimg reads them at `dpi`.
    pub fn decode_qr(pdf: &std::path::Path, dpi: &str) -> Vec<String> {
        let stem = out_dir().join(format!(
            "{}-{dpi}dpi",
            pdf.file_stem().unwrap_or_default().to_string_lossy()
        ));
        run(
            "pdftoppm",
            &[
                "-r",
                dpi,
                "-gray",
                "-png",
                "-singlefile",
                "-f",
                "1",
                "-l",
                "1",
                &pdf.to_string_lossy(),
                &stem.to_string_lossy(),
            ],
        );
        let img = stem.with_extension("png");
        // zbarimg exits 4 when it finds nothing; its D-Bus warnings go to stderr.
        let out = std::process::Command::new("zbarimg")
            .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(&img)
            .output()
            .unwrap_or_else(|e| panic!("zbarimg: {e}"));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn calibration_page_shows_the_frames_and_how_to_fix_them() {
        let sheet = &Sheet::builtin()[1];
        let pdf = calibration_pdf(
            sheet,
            Offset {
                x_mm: 0.8,
                y_mm: -1.2,
            },
            "office",
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let path = write("labels-calibration.pdf", &pdf);
        if !have_tool("pdftotext") {
            return;
        }
        png(&path, 1);
        let (layout, _) = texts(&path);
        for s in [
            "Калибровка листа этикеток a4-2x7",
            "Принтер: office; смещение x = +0.8 мм, y = -1.2 мм",
            "a4-2x7: x +0.8 мм, y -1.2 мм",
            "offset_x_mm",
            "14",
        ] {
            assert!(layout.contains(&squash(s)), "lacks «{s}»");
        }
    }

    /// A full sheet of each built-in kind rendered by poppler: every inked pixel lies in a
    /// label cell (with the printer offset applied) at least 3 mm from its edges, and
    /// every cell has ink.
    #[test]
    fn rendered_ink_stays_inside_the_cells() {
        if !have_tool("pdftoppm") {
            return;
        }
        let offset = Offset {
            x_mm: 1.0,
            y_mm: -0.5,
        };
        for sheet in Sheet::builtin() {
            let labels: Vec<BoxLabel> = (0..sheet.per_page())
                .map(|i| {
                    sample(
                        2024,
                        &format!("ПК-2024-{i:03}"),
                        "http://archive.local:8080",
                    )
                })
                .collect();
            let (pdf, _) =
                render_pdf(&labels, &sheet, offset, 0).unwrap_or_else(|e| panic!("{e:#}"));
            let path = write(&format!("labels-full-{}.pdf", sheet.name), &pdf);
            let dpi = 72.0;
            let stem = out_dir().join(format!("labels-full-{}", sheet.name));
            run(
                "pdftoppm",
                &[
                    "-r",
                    "72",
                    "-gray",
                    "-singlefile",
                    &path.to_string_lossy(),
                    &stem.to_string_lossy(),
                ],
            );
            let (w, h, px) = read_pgm(&stem.with_extension("pgm"));
            let cells = sheet.cells(offset);
            let mut inked = vec![false; cells.len()];
            for y in 0..h {
                for x in 0..w {
                    if px[y * w + x] >= 128 {
                        continue;
                    }
                    // Pixel centre in points (72 dpi: one point per pixel).
                    let (fx, fy) = ((x as f32 + 0.5) * 72.0 / dpi, (y as f32 + 0.5) * 72.0 / dpi);
                    // Labels keep at least 3 mm from their edges; allow a pixel.
                    let inset = mm(3.0) - 1.0;
                    let hit = cells.iter().position(|c| {
                        fx >= c.x + inset
                            && fx <= c.x + c.w - inset
                            && fy >= c.y + inset
                            && fy <= c.y + c.h - inset
                    });
                    match hit {
                        Some(i) => inked[i] = true,
                        None => panic!("{}: ink at ({x}, {y}) px outside every label", sheet.name),
                    }
                }
            }
            assert!(
                inked.iter().all(|&i| i),
                "{}: a label printed nothing",
                sheet.name
            );
        }
    }

    /// A binary greyscale PNM (P5, 8 bit) as width, height and pixels.
    fn read_pgm(p: &std::path::Path) -> (usize, usize, Vec<u8>) {
        let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let start = i;
            while !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[start..i]).to_string());
        }
        assert_eq!(fields[0], "P5", "{p:?} is not a binary PGM");
        let w: usize = fields[1].parse().unwrap_or(0);
        let h: usize = fields[2].parse().unwrap_or(0);
        let data = bytes[i + 1..].to_vec();
        assert_eq!(data.len(), w * h, "{p:?}: truncated");
        (w, h, data)
    }
}
