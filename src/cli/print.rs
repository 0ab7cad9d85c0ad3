//! `labels`, `cover`, `inventory` and `nomenclature`: one library call each, the PDF
//! written to `--out FILE` (or a file in the current folder), and what was printed said
//! as text or, with `--json`, as JSON with the file's path.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Ctx;
use super::render::{Render, emit};
use archivist::api::Archivist;
use archivist::api::print::{Inventories, LabelOptions};
use archivist::error::Result;
use archivist::formats::print::sheet::Sheet;
use archivist::records::contents::Selection;
use archivist::records::inventory::InventoryKind;

#[derive(Subcommand)]
pub enum PrintCommand {
    /// Box labels on a sheet of labels (PDF): year and group in large type, the cases,
    /// dates, counts and periods, and a QR code.
    Labels(LabelsArgs),
    /// Case covers (PDF), one page per case: a case INDEX/YEAR[/GROUP], or every case of
    /// --year/--group.
    Cover(CoverArgs),
    /// Make the year's inventories of cases (PDF, CSV, Markdown under ROOT/inventories/),
    /// or print the inner inventory of one box (--box).
    Inventory(InventoryArgs),
    /// The nomenclature of cases in the five-column form with its year-end summary (PDF).
    Nomenclature(NomenclatureArgs),
}

#[derive(Args)]
pub struct LabelsArgs {
    #[arg(long)]
    year: Option<i32>,
    #[arg(long)]
    group: Option<String>,
    /// Label sheet (default: [labels] default_sheet); --sheets lists them.
    #[arg(long)]
    sheet: Option<String>,
    /// A printer from [[labels.printer]] in archivist.toml, for its offset.
    #[arg(long)]
    printer: Option<String>,
    /// Leave this many labels of the first sheet free (already used).
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// Print a calibration page for the sheet and printer instead of labels.
    #[arg(long)]
    calibrate: bool,
    /// List the label sheets.
    #[arg(long)]
    sheets: bool,
    /// PDF to write (default: labels-<year>-<group>.pdf in the current folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct CoverArgs {
    /// A case: INDEX/YEAR or INDEX/YEAR/GROUP, e.g. 02-03/2019/ПК-2019-017.
    case: Option<String>,
    #[arg(long, conflicts_with = "case")]
    year: Option<i32>,
    #[arg(long, conflicts_with = "case")]
    group: Option<String>,
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct InventoryArgs {
    #[arg(long, required_unless_present = "box_key")]
    year: Option<i32>,
    /// permanent, long (over 10 years) or personnel (default: each the year needs).
    #[arg(long, conflicts_with = "box_key")]
    kind: Option<InventoryKind>,
    /// The inner inventory of one box, YEAR/GROUP, as a PDF to put in the box.
    #[arg(long = "box", conflicts_with = "year")]
    box_key: Option<String>,
    /// With --box: PDF to write (default: inventory-<year>-<group>.pdf here).
    #[arg(long, requires = "box_key")]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct NomenclatureArgs {
    /// The year the nomenclature is for, and whose cases it counts (default: this year).
    #[arg(long)]
    year: Option<i32>,
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, cmd: PrintCommand) -> Result<i32> {
    let a = ctx.open()?;
    match cmd {
        PrintCommand::Labels(args) => labels(ctx, &a, args),
        PrintCommand::Cover(args) => cover(ctx, &a, args),
        PrintCommand::Inventory(args) => inventory(ctx, &a, args),
        PrintCommand::Nomenclature(args) => nomenclature(ctx, &a, args),
    }
}

fn selection(year: Option<i32>, group: Option<String>) -> Selection {
    Selection { year, group }
}

/// `labels-2024-ПК-2024-017.pdf` in the current folder.
fn default_file(prefix: &str, what: &str) -> PathBuf {
    let what: String = what
        .chars()
        .map(|c| if c == '/' || c.is_control() { '-' } else { c })
        .collect();
    PathBuf::from(format!("{prefix}-{what}.pdf"))
}

/// A PDF written to a file: what is on it (JSON: its fields and `file`), or a summary.
#[derive(Serialize)]
struct Printed<'a, T: Serialize> {
    #[serde(flatten)]
    contents: &'a T,
    file: PathBuf,
    #[serde(skip)]
    summary: String,
}

impl<T: Serialize> Render for Printed<'_, T> {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "{}", self.summary)?;
        writeln!(w, "  written to {}", self.file.display())
    }
}

/// Writes the PDF and reports it.
fn written<T: Serialize>(
    ctx: &Ctx,
    pdf: &[u8],
    out: &Path,
    contents: &T,
    summary: impl FnOnce() -> String,
) -> Result<i32> {
    std::fs::write(out, pdf).map_err(|e| {
        anyhow::anyhow!(
            "cannot write {}: {e}; give another file with --out",
            out.display()
        )
    })?;
    let file = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    if ctx.quiet && !ctx.json {
        return Ok(super::exit::OK);
    }
    Ok(emit(
        ctx,
        &Printed {
            contents,
            file,
            summary: summary(),
        },
    ))
}

/// The label sheets this installation knows.
#[derive(Serialize)]
#[serde(transparent)]
struct Sheets(Vec<Sheet>);

impl Render for Sheets {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for s in &self.0 {
            writeln!(w, "{:<14} {}", s.name, s.description)?;
        }
        Ok(())
    }
}

fn labels(ctx: &Ctx, a: &Archivist, args: LabelsArgs) -> Result<i32> {
    if args.sheets {
        return Ok(emit(ctx, &Sheets(a.label_sheets())));
    }
    if args.calibrate {
        let c = a.label_calibration(args.sheet.as_deref(), args.printer.as_deref())?;
        let out = args
            .out
            .unwrap_or_else(|| default_file("calibration", &c.sheet.name));
        return written(ctx, &c.pdf, &out, &c, || {
            format!(
                "calibration page for {} (offset x {:+.1} mm, y {:+.1} mm): print at 100 %, lay it on a label sheet",
                c.sheet.name, c.offset.x_mm, c.offset.y_mm
            )
        });
    }
    let sel = selection(args.year, args.group);
    let opts = LabelOptions {
        sheet: args.sheet,
        printer: args.printer,
        skip: args.skip,
    };
    let s = a.labels(&sel, &opts)?;
    let out = args
        .out
        .unwrap_or_else(|| default_file("labels", &sel.describe()));
    written(ctx, &s.pdf, &out, &s, || {
        let mut t = format!(
            "{} label(s) on {} page(s) of {} ({})",
            s.labels.len(),
            s.pages,
            s.sheet.name,
            s.sheet.description
        );
        for p in s.placements.iter().filter(|p| !p.shortened.is_empty()) {
            t.push_str(&format!(
                "\n  {}/{}: too long for the label, shortened: {}",
                p.year,
                p.group,
                p.shortened.join(", ")
            ));
        }
        t
    })
}

fn cover(ctx: &Ctx, a: &Archivist, args: CoverArgs) -> Result<i32> {
    let (c, what) = match &args.case {
        Some(case) => (a.cover(case)?, case.clone()),
        None => {
            let sel = selection(args.year, args.group);
            (a.covers(&sel)?, sel.describe())
        }
    };
    let out = args.out.unwrap_or_else(|| default_file("covers", &what));
    written(ctx, &c.pdf, &out, &c, || {
        let keys: Vec<&str> = c.covers.iter().map(|x| x.key.as_str()).collect();
        format!("{} cover(s): {}", keys.len(), keys.join(", "))
    })
}

fn inventory(ctx: &Ctx, a: &Archivist, args: InventoryArgs) -> Result<i32> {
    if let Some(key) = &args.box_key {
        let (year, group) = key
            .split_once('/')
            .and_then(|(y, g)| Some((y.parse::<i32>().ok()?, g)))
            .ok_or_else(|| {
                archivist::error::Invalid(format!(
                    "--box {key:?}: write YEAR/GROUP, e.g. 2023/ПК-2023-014"
                ))
            })?;
        let b = a.box_inventory(year, group)?;
        let out = args.out.unwrap_or_else(|| default_file("inventory", key));
        return written(ctx, &b.pdf, &out, &b, || {
            format!(
                "inner inventory of box {key}: {} document(s), {} sheet(s)",
                b.inventory.documents.len(),
                b.inventory.pages()
            )
        });
    }
    let year = args.year.unwrap_or_default();
    let made = a.inventory(year, args.kind, &ctx.actor())?;
    if ctx.quiet && !ctx.json {
        return Ok(super::exit::OK);
    }
    Ok(emit(ctx, &made))
}

impl Render for Inventories {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for m in &self.made {
            writeln!(
                w,
                "{}: {} case(s), № {}–{}{}",
                m.inventory.title(),
                m.inventory.cases.len(),
                m.inventory.first_number,
                m.inventory.last_number(),
                if m.replaced { " (made again)" } else { "" }
            )?;
            writeln!(w, "  files: {}", m.dir.display())?;
        }
        Ok(())
    }
}

fn nomenclature(ctx: &Ctx, a: &Archivist, args: NomenclatureArgs) -> Result<i32> {
    use chrono::Datelike;
    let year = args.year.unwrap_or_else(|| chrono::Local::now().year());
    let n = a.nomenclature_pdf(year)?;
    let out = args
        .out
        .unwrap_or_else(|| default_file("nomenclature", &year.to_string()));
    written(ctx, &n.pdf, &out, &n, || {
        let total = n.nomenclature.summary.last().map_or(0, |r| r.total);
        format!(
            "nomenclature of cases for {year}: {} heading(s), {total} case(s) opened that year",
            n.nomenclature.rows.len()
        )
    })
}
