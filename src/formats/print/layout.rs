//! The first pass of printing: everything is placed into per-page lists of text, rules
//! and filled boxes, so that pagination and fitting are plain arithmetic. [`Page`] holds
//! placed operations (free placement: labels); [`Flow`] fills A4 pages top to bottom with
//! paragraphs, signature blocks and tables whose header row repeats on every page they
//! span (forms: acts, inventories, the nomenclature). Coordinates are points with y
//! growing downwards, as in krilla.

use anyhow::Result;

use super::metrics::Metrics;

/// Body text of forms.
pub const BODY_SIZE: f32 = 10.0;
/// Captions under signature lines («(подпись)»).
pub const CAPTION_SIZE: f32 = 6.0;
/// Table cells.
pub const TABLE_SIZE: f32 = 8.0;
/// Table heads.
pub const HEAD_SIZE: f32 = 6.5;
/// Line advance as a multiple of the font size.
pub const LEADING: f32 = 1.2;
pub const CELL_PAD: f32 = 2.5;
/// Width of table rules.
pub const LINE_W: f32 = 0.5;
/// What a blank field on a form is printed as.
pub const UNDERSCORES: &str = "________________";

/// One placed drawing operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Text {
        x: f32,
        /// Baseline.
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
        width: f32,
    },
    /// A filled black rectangle (QR modules).
    Fill { x: f32, y: f32, w: f32, h: f32 },
}

/// A box in page coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    /// True when `other` lies inside this box (edges may touch, within `tol`).
    pub fn contains(&self, other: &Rect, tol: f32) -> bool {
        other.x >= self.x - tol
            && other.y >= self.y - tol
            && other.x + other.w <= self.x + self.w + tol
            && other.y + other.h <= self.y + self.h + tol
    }
}

/// One page of placed operations.
#[derive(Debug, Clone)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub ops: Vec<Op>,
}

impl Page {
    pub fn new(width: f32, height: f32) -> Page {
        Page {
            width,
            height,
            ops: Vec::new(),
        }
    }

    /// Text whose line box starts at `top` (the baseline is placed from the font's ascent).
    pub fn text(&mut self, m: &Metrics, x: f32, top: f32, size: f32, bold: bool, text: &str) {
        if text.is_empty() {
            return;
        }
        self.ops.push(Op::Text {
            x,
            y: top + m.ascent * size,
            size,
            bold,
            text: text.to_string(),
        });
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.ops.push(Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
        });
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.ops.push(Op::Fill { x, y, w, h });
    }

    /// The outline of a box as four rules.
    pub fn frame(&mut self, r: Rect, width: f32) {
        self.line(r.x, r.y, r.x + r.w, r.y, width);
        self.line(r.x + r.w, r.y, r.x + r.w, r.y + r.h, width);
        self.line(r.x + r.w, r.y + r.h, r.x, r.y + r.h, width);
        self.line(r.x, r.y + r.h, r.x, r.y, width);
    }
}

/// The box an operation covers on the page: text from its ascent to its descent, rules
/// with half their width either side.
pub fn extent(m: &Metrics, op: &Op) -> Rect {
    match op {
        Op::Text {
            x,
            y,
            size,
            bold,
            text,
        } => Rect {
            x: *x,
            y: y - m.ascent * size,
            w: m.width(text, *size, *bold),
            h: (m.ascent + m.descent) * size,
        },
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
        } => {
            let half = width / 2.0;
            Rect {
                x: x1.min(*x2) - half,
                y: y1.min(*y2) - half,
                w: (x1 - x2).abs() + width,
                h: (y1 - y2).abs() + width,
            }
        }
        Op::Fill { x, y, w, h } => Rect {
            x: *x,
            y: *y,
            w: *w,
            h: *h,
        },
    }
}

/// Page size and margins of a flowing form.
#[derive(Debug, Clone, Copy)]
pub struct PageSpec {
    pub width: f32,
    pub height: f32,
    /// Wider on the left: room for binding the form into the fund's case.
    pub left: f32,
    pub right: f32,
    pub top: f32,
    pub bottom: f32,
}

impl PageSpec {
    /// A4 portrait with the margins of the act (595 × 842 pt).
    pub const A4: PageSpec = PageSpec {
        width: 595.0,
        height: 842.0,
        left: 50.0,
        right: 40.0,
        top: 40.0,
        bottom: 45.0,
    };

    /// A4 landscape, for forms with many columns.
    pub const A4_LANDSCAPE: PageSpec = PageSpec {
        width: 842.0,
        height: 595.0,
        left: 50.0,
        right: 40.0,
        top: 40.0,
        bottom: 40.0,
    };

    pub fn content_width(&self) -> f32 {
        self.width - self.left - self.right
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Align {
    Left,
    Center,
}

/// A table column: its width, its head, and how its cells are set.
#[derive(Debug, Clone)]
pub struct Column {
    pub width: f32,
    pub head: String,
    pub align: Align,
    pub size: f32,
}

impl Column {
    pub fn new(width: f32, head: &str, align: Align, size: f32) -> Column {
        Column {
            width,
            head: head.to_string(),
            align,
            size,
        }
    }
}

/// A table row: one text per column, or one text across all columns (a section heading
/// such as «2024 год»).
#[derive(Debug, Clone)]
pub enum Row {
    Cells(Vec<String>),
    Span(String),
}

/// A form flowing down A4 pages.
pub struct Flow<'a> {
    pub m: Metrics<'a>,
    pub spec: PageSpec,
    pages: Vec<Page>,
    /// Top of the free space on the current page.
    pub y: f32,
}

impl<'a> Flow<'a> {
    pub fn new(spec: PageSpec) -> Result<Flow<'a>> {
        Ok(Flow {
            m: Metrics::new()?,
            spec,
            pages: vec![Page::new(spec.width, spec.height)],
            y: spec.top,
        })
    }

    pub fn left(&self) -> f32 {
        self.spec.left
    }

    pub fn content_width(&self) -> f32 {
        self.spec.content_width()
    }

    pub fn new_page(&mut self) {
        self.pages
            .push(Page::new(self.spec.width, self.spec.height));
        // Room for the page number printed at the top of continuation pages.
        self.y = self.spec.top + 10.0;
    }

    /// Starts a new page unless `h` more points fit on this one.
    pub fn ensure(&mut self, h: f32) {
        if self.y + h > self.spec.height - self.spec.bottom {
            self.new_page();
        }
    }

    fn page(&mut self) -> &mut Page {
        // `pages` is created non-empty and only ever grows.
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub fn text(&mut self, x: f32, top: f32, size: f32, bold: bool, text: &str) {
        let y = top + self.m.ascent * size;
        if text.is_empty() {
            return;
        }
        self.page().ops.push(Op::Text {
            x,
            y,
            size,
            bold,
            text: text.to_string(),
        });
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.page().line(x1, y1, x2, y2, LINE_W);
    }

    /// Wrapped block at an absolute position; returns its height.
    pub fn block_at(
        &mut self,
        x: f32,
        top: f32,
        width: f32,
        size: f32,
        bold: bool,
        text: &str,
    ) -> f32 {
        let lines = self.m.wrap(text, size, bold, width, 0.0);
        let lh = size * LEADING;
        for (i, l) in lines.iter().enumerate() {
            self.text(x, top + i as f32 * lh, size, bold, l);
        }
        lines.len() as f32 * lh
    }

    /// Full-width paragraph in the flow, kept on one page, first line indented.
    pub fn paragraph(&mut self, text: &str, size: f32, bold: bool, indent: f32) {
        let width = self.content_width();
        let lines = self.m.wrap(text, size, bold, width, indent);
        let lh = size * LEADING;
        self.ensure(lines.len() as f32 * lh);
        for (i, l) in lines.iter().enumerate() {
            let x = self.spec.left + if i == 0 { indent } else { 0.0 };
            let top = self.y;
            self.text(x, top, size, bold, l);
            self.y += lh;
        }
    }

    /// A paragraph centred on the page.
    pub fn centered(&mut self, text: &str, size: f32, bold: bool) {
        let width = self.content_width();
        let lines = self.m.wrap(text, size, bold, width, 0.0);
        let lh = size * LEADING;
        self.ensure(lines.len() as f32 * lh);
        for l in &lines {
            let x = self.spec.left + (width - self.m.width(l, size, bold)) / 2.0;
            let top = self.y;
            self.text(x, top, size, bold, l);
            self.y += lh;
        }
    }

    pub fn gap(&mut self, h: f32) {
        self.y += h;
    }

    /// «position ____ signature ____ decoding» with small captions under each part, then
    /// a «Дата» line: the signature block of the official forms.
    pub fn signature_block(&mut self, position: &str, name: &str) {
        let lh = BODY_SIZE * LEADING;
        let pos_w = 230.0;
        let pos_lines = self.m.wrap(position, BODY_SIZE, false, pos_w, 0.0);
        let h = pos_lines.len() as f32 * lh + CAPTION_SIZE * LEADING + 2.0 * lh;
        self.ensure(h);
        let top = self.y;
        let left = self.spec.left;
        for (i, l) in pos_lines.iter().enumerate() {
            self.text(left, top + i as f32 * lh, BODY_SIZE, false, l);
        }
        // Signature parts sit on the last line of the position text.
        let base = top + (pos_lines.len() as f32 - 1.0) * lh;
        let sig_x = left + pos_w + 15.0;
        let name_x = sig_x + 100.0;
        self.text(sig_x, base, BODY_SIZE, false, "_____________");
        let name = if name.trim().is_empty() {
            UNDERSCORES
        } else {
            name
        };
        self.text(name_x, base, BODY_SIZE, false, name);
        let cap = base + lh;
        self.text(sig_x + 15.0, cap, CAPTION_SIZE, false, "(подпись)");
        self.text(name_x, cap, CAPTION_SIZE, false, "(расшифровка подписи)");
        self.y = cap + CAPTION_SIZE * LEADING;
        let top = self.y;
        self.text(left, top, BODY_SIZE, false, "Дата ____________");
        self.y += lh;
    }

    /// Table with a header row repeated on every page it spans; `number_row` adds the
    /// row of column numbers the model forms print under the heads.
    pub fn table(&mut self, cols: &[Column], number_row: bool, rows: &[Vec<String>]) {
        let rows: Vec<Row> = rows.iter().map(|r| Row::Cells(r.clone())).collect();
        self.table_rows(cols, number_row, &rows);
    }

    /// [`Flow::table`] with section rows among the cells.
    pub fn table_rows(&mut self, cols: &[Column], number_row: bool, rows: &[Row]) {
        let head_h = self.table_head_height(cols, number_row);
        // Never leave a header alone at the foot of a page.
        let first_h = rows.first().map_or(0.0, |r| self.row_layout(cols, r).1);
        self.ensure(head_h + first_h);
        self.table_head(cols, number_row);
        for row in rows {
            let (cells, h) = self.row_layout(cols, row);
            if self.y + h > self.spec.height - self.spec.bottom {
                self.new_page();
                self.table_head(cols, number_row);
            }
            // A row taller than a whole page is drawn anyway and overruns the bottom
            // margin; real case titles are far shorter than that.
            let top = self.y;
            match row {
                Row::Cells(_) => self.draw_row(cols, &cells, top, h),
                Row::Span(_) => self.draw_span(cols, &cells[0], top, h),
            }
            self.y += h;
        }
    }

    fn row_layout(&self, cols: &[Column], row: &Row) -> (Vec<Vec<String>>, f32) {
        match row {
            Row::Cells(row) => {
                let cells: Vec<Vec<String>> = cols
                    .iter()
                    .zip(row)
                    .map(|(c, t)| self.m.wrap(t, c.size, false, c.width - 2.0 * CELL_PAD, 0.0))
                    .collect();
                let h = cols
                    .iter()
                    .zip(&cells)
                    .map(|(c, l)| l.len() as f32 * c.size * LEADING)
                    .fold(0.0, f32::max)
                    + 2.0 * CELL_PAD;
                (cells, h)
            }
            Row::Span(text) => {
                let width: f32 = cols.iter().map(|c| c.width).sum();
                let lines = self
                    .m
                    .wrap(text, TABLE_SIZE, true, width - 2.0 * CELL_PAD, 0.0);
                let h = lines.len() as f32 * TABLE_SIZE * LEADING + 2.0 * CELL_PAD;
                (vec![lines], h)
            }
        }
    }

    fn head_lines(&self, c: &Column) -> Vec<String> {
        self.m
            .wrap(&c.head, HEAD_SIZE, false, c.width - 2.0 * CELL_PAD, 0.0)
    }

    fn table_head_height(&self, cols: &[Column], number_row: bool) -> f32 {
        let h = cols
            .iter()
            .map(|c| self.head_lines(c).len() as f32 * HEAD_SIZE * LEADING)
            .fold(0.0, f32::max)
            + 2.0 * CELL_PAD;
        h + if number_row {
            HEAD_SIZE * LEADING + 2.0 * CELL_PAD
        } else {
            0.0
        }
    }

    fn table_head(&mut self, cols: &[Column], number_row: bool) {
        let cells: Vec<Vec<String>> = cols.iter().map(|c| self.head_lines(c)).collect();
        let h = cells
            .iter()
            .map(|l| l.len() as f32 * HEAD_SIZE * LEADING)
            .fold(0.0, f32::max)
            + 2.0 * CELL_PAD;
        let head_cols: Vec<Column> = cols
            .iter()
            .map(|c| Column {
                width: c.width,
                head: c.head.clone(),
                align: Align::Center,
                size: HEAD_SIZE,
            })
            .collect();
        let top = self.y;
        self.draw_row(&head_cols, &cells, top, h);
        self.y += h;
        if number_row {
            let nums: Vec<Vec<String>> = (1..=cols.len()).map(|i| vec![i.to_string()]).collect();
            let h = HEAD_SIZE * LEADING + 2.0 * CELL_PAD;
            let top = self.y;
            self.draw_row(&head_cols, &nums, top, h);
            self.y += h;
        }
    }

    fn draw_row(&mut self, cols: &[Column], cells: &[Vec<String>], top: f32, h: f32) {
        let mut x = self.spec.left;
        for (c, lines) in cols.iter().zip(cells) {
            for (i, l) in lines.iter().enumerate() {
                let lx = match c.align {
                    Align::Left => x + CELL_PAD,
                    Align::Center => x + (c.width - self.m.width(l, c.size, false)) / 2.0,
                };
                let ly = top + CELL_PAD + i as f32 * c.size * LEADING;
                self.text(lx, ly, c.size, false, l);
            }
            self.line(x, top, x, top + h);
            x += c.width;
        }
        self.line(x, top, x, top + h);
        let left = self.spec.left;
        self.line(left, top, x, top);
        self.line(left, top + h, x, top + h);
    }

    fn draw_span(&mut self, cols: &[Column], lines: &[String], top: f32, h: f32) {
        let left = self.spec.left;
        let right = left + cols.iter().map(|c| c.width).sum::<f32>();
        let width = right - left;
        for (i, l) in lines.iter().enumerate() {
            let lx = left + (width - self.m.width(l, TABLE_SIZE, true)) / 2.0;
            let ly = top + CELL_PAD + i as f32 * TABLE_SIZE * LEADING;
            self.text(lx, ly, TABLE_SIZE, true, l);
        }
        self.line(left, top, left, top + h);
        self.line(right, top, right, top + h);
        self.line(left, top, right, top);
        self.line(left, top + h, right, top + h);
    }

    /// The placed pages as they are (separate sheets such as covers).
    pub fn into_pages(self) -> Vec<Page> {
        self.pages
    }

    /// The placed pages, continuation pages numbered at the top centre as office
    /// documents are.
    pub fn finish(mut self) -> Vec<Page> {
        let top = self.spec.top;
        let centre = self.spec.width / 2.0 - 3.0;
        for (i, p) in self.pages.iter_mut().enumerate().skip(1) {
            p.ops.push(Op::Text {
                x: centre,
                y: top,
                size: 9.0,
                bold: false,
                text: (i + 1).to_string(),
            });
        }
        self.pages
    }
}
