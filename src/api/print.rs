//! Printing: box labels, case covers, inventories and the nomenclature. Each call returns
//! the PDF's bytes (not serialised) with what is on it, so the command line writes a file
//! and the web interface serves the bytes; boxes are chosen by year and group.

use std::path::PathBuf;

use serde::Serialize;

use super::{Actor, Archivist};
use crate::error::{Invalid, NotFound, Result};
use crate::formats::print::sheet::{Offset, Sheet};
use crate::records::contents::{self, Selection};
use crate::records::inventory::{self, Inventory, InventoryKind, Made};
use crate::records::print::cover::{self, CoverPrint};
use crate::records::print::inventory::{BoxInventoryPrint, render_box_pdf};
use crate::records::print::labels::{self, BoxLabel, Placement};
use crate::records::print::nomenclature::{self, NomenclaturePrint};
use crate::store::document::CaseKey;

/// How to print labels: on which sheet, for which printer, from which position.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LabelOptions {
    /// A sheet name (`a4-2x4`); `None` takes `[labels] default_sheet`.
    pub sheet: Option<String>,
    /// A `[[labels.printer]]` name whose offset applies; `None` takes `[labels]`'s.
    pub printer: Option<String>,
    /// Positions left free on the first page (labels already used on that sheet).
    pub skip: usize,
}

/// A sheet of box labels.
#[derive(Debug, Clone, Serialize)]
pub struct LabelSheet {
    #[serde(skip)]
    pub pdf: Vec<u8>,
    pub sheet: Sheet,
    pub offset: Offset,
    pub pages: usize,
    pub labels: Vec<BoxLabel>,
    pub placements: Vec<Placement>,
}

/// A calibration page for a sheet and printer.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    #[serde(skip)]
    pub pdf: Vec<u8>,
    pub sheet: Sheet,
    pub offset: Offset,
}

/// Case covers, one page each.
#[derive(Debug, Clone, Serialize)]
pub struct Covers {
    #[serde(skip)]
    pub pdf: Vec<u8>,
    pub covers: Vec<CoverPrint>,
}

/// The inner inventory of one box.
#[derive(Debug, Clone, Serialize)]
pub struct BoxInventory {
    #[serde(skip)]
    pub pdf: Vec<u8>,
    pub inventory: BoxInventoryPrint,
}

/// The nomenclature for a year.
#[derive(Debug, Clone, Serialize)]
pub struct NomenclatureSheet {
    #[serde(skip)]
    pub pdf: Vec<u8>,
    pub nomenclature: NomenclaturePrint,
}

/// The files of a made inventory, with their media types.
pub const INVENTORY_FILES: &[(&str, &str)] = &[
    ("inventory.pdf", "application/pdf"),
    ("inventory.csv", "text/csv; charset=utf-8"),
    ("inventory.md", "text/markdown; charset=utf-8"),
    ("inventory.toml", "application/toml"),
];

/// The inventories made for a year.
#[derive(Debug, Clone, Serialize)]
pub struct Inventories {
    pub year: i32,
    pub made: Vec<Made>,
}

impl Archivist {
    /// The label sheets this installation knows (built in and from archivist.toml).
    pub fn label_sheets(&self) -> Vec<Sheet> {
        labels::sheets(&self.archive.config.labels)
    }

    /// Labels for the boxes `sel` names (every box when it names none).
    pub fn labels(&self, sel: &Selection, opts: &LabelOptions) -> Result<LabelSheet> {
        let a = &self.archive;
        let cfg = &a.config.labels;
        let sheet = labels::sheet(cfg, opts.sheet.as_deref())?;
        let offset = labels::offset(cfg, opts.printer.as_deref())?;
        let org = &a.nomenclature.organisation;
        let boxes = contents::boxes(a, sel)?;
        if boxes.is_empty() {
            return Err(NotFound(format!(
                "the archive has no boxes yet ({})",
                a.boxes.display()
            ))
            .into());
        }
        let list: Vec<BoxLabel> = boxes
            .iter()
            .map(|b| {
                let cases = contents::cases(std::slice::from_ref(b), &a.nomenclature);
                BoxLabel::of(
                    b,
                    &cases,
                    &org.name,
                    org.source_of_acquisition,
                    &a.config.web.base_url,
                )
            })
            .collect();
        let (pdf, placements) = labels::render_pdf(&list, &sheet, offset, opts.skip)?;
        Ok(LabelSheet {
            pdf,
            pages: placements.last().map_or(1, |p| p.page),
            sheet,
            offset,
            labels: list,
            placements,
        })
    }

    /// A page to check a sheet's geometry and a printer's offset against real labels.
    pub fn label_calibration(
        &self,
        sheet: Option<&str>,
        printer: Option<&str>,
    ) -> Result<Calibration> {
        let cfg = &self.archive.config.labels;
        let sheet = labels::sheet(cfg, sheet)?;
        let offset = labels::offset(cfg, printer)?;
        let pdf = labels::calibration_pdf(&sheet, offset, printer.unwrap_or(""))?;
        Ok(Calibration { pdf, sheet, offset })
    }

    /// The cover of one case, `INDEX/YEAR[/GROUP]`.
    pub fn cover(&self, case: &str) -> Result<Covers> {
        let key: CaseKey = case.parse().map_err(Invalid)?;
        let (found, others): (Vec<_>, Vec<_>) = contents::cases_of_year(&self.archive, key.year)?
            .into_iter()
            .partition(|c| c.key == key);
        if found.is_empty() {
            let near: Vec<String> = others
                .iter()
                .filter(|c| c.key.index == key.index)
                .map(|c| c.key.to_string())
                .collect();
            let hint = if near.is_empty() {
                "case keys look like 02-01/2023 or 02-03/2019/ПК-2019-017".to_string()
            } else {
                format!("did you mean {}?", near.join(", "))
            };
            return Err(NotFound(format!(
                "there is no case {case} in the boxes of {}; {hint}",
                key.year
            ))
            .into());
        }
        self.covers_of(&found)
    }

    /// The covers of every case in the boxes `sel` names.
    pub fn covers(&self, sel: &Selection) -> Result<Covers> {
        let boxes = contents::boxes(&self.archive, sel)?;
        let cases = contents::cases(&boxes, &self.archive.nomenclature);
        if cases.is_empty() {
            return Err(NotFound(format!("no case in the boxes of {}", sel.describe())).into());
        }
        self.covers_of(&cases)
    }

    fn covers_of(&self, cases: &[contents::Case]) -> Result<Covers> {
        let a = &self.archive;
        let mut covers = Vec::new();
        for c in cases {
            let inv = match c.period.as_ref().and_then(InventoryKind::of) {
                Some(k) => inventory::load(a, c.key.year, k)?,
                None => None,
            };
            covers.push(CoverPrint::of(
                c,
                &a.nomenclature.organisation,
                inv.as_ref(),
            ));
        }
        Ok(Covers {
            pdf: cover::render_pdf(&covers)?,
            covers,
        })
    }

    /// Makes (or makes again) the inventories of `year`: only `kind`, or every kind the
    /// year's cases call for. Writes them under `ROOT/inventories/<year>/` and audits it.
    pub fn inventory(
        &self,
        year: i32,
        kind: Option<InventoryKind>,
        actor: &Actor,
    ) -> Result<Inventories> {
        let _turn = self.writing("archivist inventory")?;
        Ok(Inventories {
            year,
            made: inventory::make(&self.archive, year, kind, actor)?,
        })
    }

    /// The inventories made for `year`, by kind (empty when none was made yet).
    pub fn inventories_of(&self, year: i32) -> Result<Vec<Inventory>> {
        let mut out = Vec::new();
        for k in InventoryKind::ALL {
            if let Some(inv) = inventory::load(&self.archive, year, k)? {
                out.push(inv);
            }
        }
        Ok(out)
    }

    /// A file of a made inventory: one of [`INVENTORY_FILES`], never another path.
    pub fn inventory_file(&self, year: i32, kind: InventoryKind, name: &str) -> Result<PathBuf> {
        let p = inventory::inventory_dir(&self.archive, year, kind).join(name);
        if !INVENTORY_FILES.iter().any(|(n, _)| *n == name) || !p.is_file() {
            return Err(NotFound(format!(
                "there is no inventory file {name} for {year} ({}); make the inventory first",
                kind.as_str()
            ))
            .into());
        }
        Ok(p)
    }

    /// The inner inventory of box `<year>/<group>`: every document its manifest names.
    pub fn box_inventory(&self, year: i32, group: &str) -> Result<BoxInventory> {
        let a = &self.archive;
        let b = contents::one_box(a, year, group)?;
        let inventory = BoxInventoryPrint::of(&b, &a.nomenclature.organisation.name);
        Ok(BoxInventory {
            pdf: render_box_pdf(&inventory)?,
            inventory,
        })
    }

    /// The nomenclature of cases for `year`, with the year's cases counted.
    pub fn nomenclature_pdf(&self, year: i32) -> Result<NomenclatureSheet> {
        let a = &self.archive;
        let cases = contents::cases_of_year(a, year)?;
        let p = NomenclaturePrint::of(&a.nomenclature, year, &cases);
        Ok(NomenclatureSheet {
            pdf: nomenclature::render_pdf(&p)?,
            nomenclature: p,
        })
    }
}
