//! Label sheets as data: page size, label size, margins, rows and columns, in
//! millimetres as the vendors print them on the box. A few common A4 sheets are built
//! in; others come from `[[labels.sheet]]` in archivist.toml. A printer's drift is an
//! offset applied to the whole page.

use serde::{Deserialize, Serialize};

use super::PT_PER_MM;
use super::layout::Rect;

/// The geometry of one kind of label sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sheet {
    /// What `--sheet` names, e.g. `a4-2x4`.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub page_width_mm: f64,
    pub page_height_mm: f64,
    pub label_width_mm: f64,
    pub label_height_mm: f64,
    pub columns: u32,
    pub rows: u32,
    /// From the page's left edge to the first column.
    pub margin_left_mm: f64,
    /// From the page's top edge to the first row.
    pub margin_top_mm: f64,
    /// Between neighbouring columns.
    #[serde(default)]
    pub gap_x_mm: f64,
    /// Between neighbouring rows.
    #[serde(default)]
    pub gap_y_mm: f64,
}

/// A printer's drift: everything on the page moves by this much (positive: right, down).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Offset {
    pub x_mm: f64,
    pub y_mm: f64,
}

#[allow(clippy::too_many_arguments)]
fn sheet(
    name: &str,
    description: &str,
    page: (f64, f64),
    label: (f64, f64),
    grid: (u32, u32),
    margin: (f64, f64),
    gap: (f64, f64),
) -> Sheet {
    Sheet {
        name: name.to_string(),
        description: description.to_string(),
        page_width_mm: page.0,
        page_height_mm: page.1,
        label_width_mm: label.0,
        label_height_mm: label.1,
        columns: grid.0,
        rows: grid.1,
        margin_left_mm: margin.0,
        margin_top_mm: margin.1,
        gap_x_mm: gap.0,
        gap_y_mm: gap.1,
    }
}

const A4: (f64, f64) = (210.0, 297.0);

/// Millimetres (kept as f64, as written in the file) to points.
fn pt(v: f64) -> f32 {
    (v * f64::from(PT_PER_MM)) as f32
}

impl Sheet {
    /// The sheets every installation has.
    pub fn builtin() -> Vec<Sheet> {
        vec![
            sheet(
                "a4-2x4",
                "A4, 2 × 4 этикетки 105 × 74 мм",
                A4,
                (105.0, 74.0),
                (2, 4),
                (0.0, 0.5),
                (0.0, 0.0),
            ),
            sheet(
                "a4-2x7",
                "A4, 2 × 7 этикеток 99,1 × 38,1 мм (Avery L7163)",
                A4,
                (99.1, 38.1),
                (2, 7),
                (4.65, 15.15),
                (2.5, 0.0),
            ),
            sheet(
                "a4-3x8",
                "A4, 3 × 8 этикеток 70 × 37 мм",
                A4,
                (70.0, 37.0),
                (3, 8),
                (0.0, 0.5),
                (0.0, 0.0),
            ),
            sheet(
                "a4-1",
                "A4, одна этикетка на лист (поля 10 мм)",
                A4,
                (190.0, 277.0),
                (1, 1),
                (10.0, 10.0),
                (0.0, 0.0),
            ),
            sheet(
                "a5-box-end",
                "A5, этикетка на торец короба (поля 10 мм)",
                (148.0, 210.0),
                (128.0, 190.0),
                (1, 1),
                (10.0, 10.0),
                (0.0, 0.0),
            ),
        ]
    }

    pub fn per_page(&self) -> usize {
        (self.columns * self.rows) as usize
    }

    /// Page size in points.
    pub fn page_size(&self) -> (f32, f32) {
        (pt(self.page_width_mm), pt(self.page_height_mm))
    }

    /// The label cells of a page in points, row by row, moved by the printer's offset.
    pub fn cells(&self, offset: Offset) -> Vec<Rect> {
        let mut out = Vec::with_capacity(self.per_page());
        for r in 0..self.rows {
            for c in 0..self.columns {
                out.push(Rect {
                    x: pt(self.margin_left_mm
                        + c as f64 * (self.label_width_mm + self.gap_x_mm)
                        + offset.x_mm),
                    y: pt(self.margin_top_mm
                        + r as f64 * (self.label_height_mm + self.gap_y_mm)
                        + offset.y_mm),
                    w: pt(self.label_width_mm),
                    h: pt(self.label_height_mm),
                });
            }
        }
        out
    }

    /// Why the geometry cannot be printed, if it cannot: labels off the page, labels
    /// overlapping, sizes that are not positive.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let sizes = [
            ("page_width_mm", self.page_width_mm),
            ("page_height_mm", self.page_height_mm),
            ("label_width_mm", self.label_width_mm),
            ("label_height_mm", self.label_height_mm),
        ];
        for (k, v) in sizes {
            if !(v.is_finite() && v > 0.0 && v <= 2000.0) {
                out.push(format!(
                    "{k} must be a size in millimetres above 0 (is {v})"
                ));
            }
        }
        for (k, v) in [
            ("margin_left_mm", self.margin_left_mm),
            ("margin_top_mm", self.margin_top_mm),
            ("gap_x_mm", self.gap_x_mm),
            ("gap_y_mm", self.gap_y_mm),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                out.push(format!("{k} must be 0 or more millimetres (is {v})"));
            }
        }
        if self.columns == 0 || self.rows == 0 || self.columns > 20 || self.rows > 40 {
            out.push("columns and rows must be 1 or more (at most 20 × 40)".to_string());
        }
        if self.name.trim().is_empty() {
            out.push("name must not be empty".to_string());
        }
        if !out.is_empty() {
            return out;
        }
        let right = self.margin_left_mm
            + self.columns as f64 * self.label_width_mm
            + (self.columns - 1) as f64 * self.gap_x_mm;
        let bottom = self.margin_top_mm
            + self.rows as f64 * self.label_height_mm
            + (self.rows - 1) as f64 * self.gap_y_mm;
        // A hundredth of a millimetre of slack for vendors' rounded figures.
        if right > self.page_width_mm + 0.01 {
            out.push(format!(
                "the labels reach {right:.2} mm from the left edge, past the page's {} mm",
                self.page_width_mm
            ));
        }
        if bottom > self.page_height_mm + 0.01 {
            out.push(format!(
                "the labels reach {bottom:.2} mm from the top edge, past the page's {} mm",
                self.page_height_mm
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_sheets_lie_on_their_pages_without_overlap() {
        for s in Sheet::builtin() {
            assert!(s.problems().is_empty(), "{}: {:?}", s.name, s.problems());
            let (w, h) = s.page_size();
            let page = Rect {
                x: 0.0,
                y: 0.0,
                w,
                h,
            };
            let cells = s.cells(Offset::default());
            assert_eq!(cells.len(), s.per_page());
            for (i, a) in cells.iter().enumerate() {
                assert!(page.contains(a, 0.05), "{}: cell {i} off the page", s.name);
                for b in &cells[i + 1..] {
                    let apart = a.x + a.w <= b.x + 0.01
                        || b.x + b.w <= a.x + 0.01
                        || a.y + a.h <= b.y + 0.01
                        || b.y + b.h <= a.y + 0.01;
                    assert!(apart, "{}: cells overlap", s.name);
                }
            }
        }
    }

    #[test]
    fn offsets_move_every_cell_and_bad_geometry_is_named() {
        let s = &Sheet::builtin()[0];
        let a = s.cells(Offset::default());
        let b = s.cells(Offset {
            x_mm: 1.0,
            y_mm: -2.0,
        });
        assert!((b[3].x - a[3].x - pt(1.0)).abs() < 1e-3);
        assert!((b[3].y - a[3].y + pt(2.0)).abs() < 1e-3);
        let mut bad = s.clone();
        bad.rows = 5;
        assert!(
            bad.problems()[0].contains("past the page"),
            "{:?}",
            bad.problems()
        );
        bad.label_width_mm = 0.0;
        assert!(bad.problems()[0].contains("label_width_mm"));
    }
}
