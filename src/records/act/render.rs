//! The act's renderings: `act.pdf` (the official form, laid out in
//! [`crate::records::actpdf`]), `act.csv`, `appendix.csv` and `act.md`, all from one
//! table of columns ([`ACT_COLUMNS`], [`APPENDIX_COLUMNS`]) so they never disagree.

use anyhow::{Context, Result};
use chrono::NaiveDate;

use super::{Act, ActCase, State, act_dir};
use crate::records::actpdf::{self, ActPrint, ActRow, AppendixRow, Approval as PrintApproval};
use crate::store::archive::Archive;
use crate::store::fsutil;

/// A column of the act's table (RECORDS.md §4), in order: its heading in the form, a
/// short heading for narrow renderings, and the cell of row `i` (0-based).
pub struct ActColumn {
    pub heading: &'static str,
    pub short: &'static str,
    pub cell: fn(usize, &ActRow) -> String,
}

/// The eight columns of the destruction act, feeding the CSV, the Markdown and (through
/// the printing code) the PDF.
pub const ACT_COLUMNS: [ActColumn; 8] = [
    ActColumn {
        heading: "№ п/п",
        short: "№ п/п",
        cell: |i, _| (i + 1).to_string(),
    },
    ActColumn {
        heading: "Заголовок дела или групповой заголовок дел",
        short: "Заголовок дела",
        cell: |_, r| r.title.clone(),
    },
    ActColumn {
        heading: "Дата дела или крайние даты дел",
        short: "Крайние даты",
        cell: |_, r| r.dates.clone(),
    },
    ActColumn {
        heading: "Номера описей (номенклатур) за годы",
        short: "Номенклатура",
        cell: |_, r| r.inventory.clone(),
    },
    ActColumn {
        heading: "Индекс дела (тома, части) по номенклатуре или № дела по описи",
        short: "Индекс",
        cell: |_, r| r.case_index.clone(),
    },
    ActColumn {
        heading: "Количество дел (томов, частей)",
        short: "Кол-во дел",
        cell: |_, r| r.cases.to_string(),
    },
    ActColumn {
        heading: "Сроки хранения дела (тома, части) и номера статей по перечню",
        short: "Срок хранения, статья",
        cell: |_, r| r.period.clone(),
    },
    ActColumn {
        heading: "Примечание",
        short: "Примечание",
        cell: |_, r| r.note.clone(),
    },
];

/// A column of the per-document appendix.
pub struct AppendixColumn {
    pub heading: &'static str,
    pub short: &'static str,
    pub cell: fn(usize, &AppendixRow) -> String,
}

pub const APPENDIX_COLUMNS: [AppendixColumn; 7] = [
    AppendixColumn {
        heading: "№ п/п",
        short: "№",
        cell: |i, _| (i + 1).to_string(),
    },
    AppendixColumn {
        heading: "Индекс дела",
        short: "Индекс",
        cell: |_, r| r.case_index.clone(),
    },
    AppendixColumn {
        heading: "Дата",
        short: "Дата",
        cell: |_, r| r.date.clone(),
    },
    AppendixColumn {
        heading: "Номер",
        short: "Номер",
        cell: |_, r| r.number.clone(),
    },
    AppendixColumn {
        heading: "Файл",
        short: "Файл",
        cell: |_, r| r.file.clone(),
    },
    AppendixColumn {
        heading: "Листов",
        short: "Листов",
        cell: |_, r| r.pages.to_string(),
    },
    AppendixColumn {
        heading: "SHA-256",
        short: "SHA-256",
        cell: |_, r| r.id.clone(),
    },
];

pub(super) fn print_form(a: &Archive, act: &Act) -> ActPrint {
    let org = &a.nomenclature.organisation;
    let dates = |c: &ActCase| {
        let ds: Vec<NaiveDate> = c.documents.iter().filter_map(|d| d.date).collect();
        match (ds.iter().min(), ds.iter().max()) {
            (Some(x), Some(y)) if x == y => x.format("%d.%m.%Y").to_string(),
            (Some(x), Some(y)) => format!("{}–{}", x.format("%d.%m.%Y"), y.format("%d.%m.%Y")),
            _ => c.year.to_string(),
        }
    };
    ActPrint {
        org_name: org.name.clone(),
        number: act.number,
        date: act.date,
        place: org.place.clone(),
        head_position: org.head_position.clone(),
        head_name: org.head_name.clone(),
        basis: org.periods_basis.clone(),
        fund_number: org.fund_number.clone(),
        fund_name: org.fund_name.clone(),
        rows: act
            .cases
            .iter()
            .map(|c| ActRow {
                title: match &c.group {
                    Some(g) => format!("{} (группа {g})", c.title),
                    None => c.title.clone(),
                },
                dates: dates(c),
                inventory: format!("номенклатура дел за {} г.", c.year),
                case_index: c.index.clone(),
                cases: 1,
                period: format!("{}, {}", c.period, c.basis),
                note: format!(
                    "{} док.; срок истек {}",
                    c.documents.len(),
                    c.lapsed_on.format("%d.%m.%Y")
                ),
            })
            .collect(),
        years: act.years(),
        approval: act.approval.as_ref().map(|x| PrintApproval {
            protocol: x.protocol.clone(),
            approved_by: x.approved_by.clone(),
            approved_at: x.approved_at.date_naive(),
        }),
        appendix: act
            .cases
            .iter()
            .flat_map(|c| {
                c.documents.iter().map(|d| AppendixRow {
                    case_index: c.index.clone(),
                    id: d.sha256.clone(),
                    file: format!("{}/{}", d.box_path, d.file),
                    date: d
                        .date
                        .map(|x| x.format("%d.%m.%Y").to_string())
                        .unwrap_or_default(),
                    number: d.number.clone().unwrap_or_default(),
                    pages: d.pages,
                })
            })
            .collect(),
    }
}

/// A spreadsheet cell that cannot be read as a formula (CSV injection).
pub fn csv_safe(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// A Markdown table cell: one line, no column breaks.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn csv_table<R>(
    headings: impl Iterator<Item = &'static str>,
    rows: &[R],
    cells: impl Fn(usize, &R) -> Vec<String>,
) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headings)?;
    for (i, r) in rows.iter().enumerate() {
        w.write_record(cells(i, r).iter().map(|c| csv_safe(c)))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn md_table<R>(
    headings: impl Iterator<Item = &'static str>,
    rows: &[R],
    cells: impl Fn(usize, &R) -> Vec<String>,
) -> String {
    let heads: Vec<&str> = headings.collect();
    let mut md = format!(
        "| {} |\n|{}\n",
        heads.join(" | "),
        "---|".repeat(heads.len())
    );
    for (i, r) in rows.iter().enumerate() {
        let cs: Vec<String> = cells(i, r).iter().map(|c| md_cell(c)).collect();
        md.push_str(&format!("| {} |\n", cs.join(" | ")));
    }
    md
}

fn act_cells(i: usize, r: &ActRow) -> Vec<String> {
    ACT_COLUMNS.iter().map(|c| (c.cell)(i, r)).collect()
}

fn appendix_cells(i: usize, r: &AppendixRow) -> Vec<String> {
    APPENDIX_COLUMNS.iter().map(|c| (c.cell)(i, r)).collect()
}

/// Writes act.pdf, act.csv, appendix.csv and act.md from the record.
pub fn render(a: &Archive, act: &Act) -> Result<()> {
    let dir = act_dir(a, act.number);
    let form = print_form(a, act);
    let pdf = actpdf::render_pdf(&form).context("cannot render the act as PDF")?;
    fsutil::write_atomic(&dir.join("act.pdf"), &pdf, true)?;
    let csv = csv_table(ACT_COLUMNS.iter().map(|c| c.heading), &form.rows, act_cells)?;
    fsutil::write_atomic(&dir.join("act.csv"), &csv, true)?;
    let appendix = csv_table(
        APPENDIX_COLUMNS.iter().map(|c| c.heading),
        &form.appendix,
        appendix_cells,
    )?;
    fsutil::write_atomic(&dir.join("appendix.csv"), &appendix, true)?;
    fsutil::write_atomic(&dir.join("act.md"), markdown(act, &form).as_bytes(), true)?;
    Ok(())
}

fn markdown(act: &Act, form: &ActPrint) -> String {
    let total: u32 = form.rows.iter().map(|r| r.cases).sum();
    let mut md = String::new();
    md.push_str(&format!(
        "# АКТ № {} от {}\n\n**о выделении к уничтожению документов, не подлежащих хранению**\n\n",
        act.number,
        act.date.format("%d.%m.%Y")
    ));
    md.push_str(&format!(
        "{}\n\nСостояние: **{}**{}\n\n",
        form.org_name,
        match act.state {
            State::Draft => "проект",
            State::Approved => "утвержден",
            State::Executed => "исполнен",
        },
        act.approval
            .as_ref()
            .map(|x| format!(
                " (согласовано: протокол ЭК {}, {})",
                x.protocol, x.approved_by
            ))
            .unwrap_or_default()
    ));
    md.push_str(&format!("На основании {} отобраны к уничтожению как не имеющие научно-исторической ценности и утратившие практическое значение документы фонда № {} {}.\n\n", form.basis, form.fund_number, form.fund_name));
    md.push_str(&md_table(
        ACT_COLUMNS.iter().map(|c| c.short),
        &form.rows,
        act_cells,
    ));
    md.push_str(&format!(
        "\n{}\n\n## Приложение: перечень документов\n\n",
        actpdf::total_line(total, &form.years)
    ));
    md.push_str(&md_table(
        APPENDIX_COLUMNS.iter().map(|c| c.short),
        &form.appendix,
        appendix_cells,
    ));
    if let Some(ap) = &act.approval
        && let (Some(seal), Some(record)) = (&ap.seal, &ap.record)
    {
        md.push_str(&format!(
            "\nПечать акта (SHA-256 утвержденного содержания): `{seal}`\n\nЗапись журнала аудита об утверждении: `{record}`\n"
        ));
    }
    md
}
