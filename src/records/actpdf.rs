//! Printable destruction act («Акт о выделении к уничтожению документов, не
//! подлежащих хранению») as an A4 PDF, laid out after the Rosarchiv model form
//! (DOMAIN.md §4), with a per-document appendix for the expert commission.
//!
//! Layout is done in two passes: first everything is placed into per-page lists
//! of text and line operations (so pagination decisions are plain arithmetic),
//! then the pages are emitted with krilla.

use anyhow::{Context, Result, anyhow};
use chrono::{Datelike, NaiveDate};
use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

/// DejaVu Sans covers Cyrillic, № and the en dash; its licence allows shipping it.
const FONT_REGULAR: &[u8] = include_bytes!("../../fixtures/fonts/DejaVuSans.ttf");
/// Bold face for «АКТ», «УТВЕРЖДАЮ», «СОГЛАСОВАНО» and the appendix title.
const FONT_BOLD: &[u8] = include_bytes!("../../fixtures/fonts/DejaVuSans-Bold.ttf");

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

// ---------------------------------------------------------------------------
// Russian numerals

#[derive(Clone, Copy)]
enum Gender {
    Masculine,
    Feminine,
    Neuter,
}

/// Index of the plural form: 0 «дело», 1 «дела», 2 «дел».
fn plural_form(n: u32) -> usize {
    let (n10, n100) = (n % 10, n % 100);
    if (11..=14).contains(&n100) {
        2
    } else if n10 == 1 {
        0
    } else if (2..=4).contains(&n10) {
        1
    } else {
        2
    }
}

/// Words for 1..=999 in the given gender (empty for 0).
fn triple_words(n: u32, gender: Gender, out: &mut Vec<&'static str>) {
    const HUNDREDS: [&str; 10] = [
        "",
        "сто",
        "двести",
        "триста",
        "четыреста",
        "пятьсот",
        "шестьсот",
        "семьсот",
        "восемьсот",
        "девятьсот",
    ];
    const TENS: [&str; 10] = [
        "",
        "",
        "двадцать",
        "тридцать",
        "сорок",
        "пятьдесят",
        "шестьдесят",
        "семьдесят",
        "восемьдесят",
        "девяносто",
    ];
    const TEENS: [&str; 10] = [
        "десять",
        "одиннадцать",
        "двенадцать",
        "тринадцать",
        "четырнадцать",
        "пятнадцать",
        "шестнадцать",
        "семнадцать",
        "восемнадцать",
        "девятнадцать",
    ];
    const UNITS: [&str; 10] = [
        "",
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
    ];
    let (h, t, u) = (n / 100 % 10, n / 10 % 10, n % 10);
    if h > 0 {
        out.push(HUNDREDS[h as usize]);
    }
    if t == 1 {
        out.push(TEENS[u as usize]);
        return;
    }
    if t > 1 {
        out.push(TENS[t as usize]);
    }
    // Only «один/одна/одно» and «два/две» agree in gender.
    match (u, gender) {
        (0, _) => {}
        (1, Gender::Feminine) => out.push("одна"),
        (1, Gender::Neuter) => out.push("одно"),
        (2, Gender::Feminine) => out.push("две"),
        _ => out.push(UNITS[u as usize]),
    }
}

/// 21 → «двадцать одно»: cardinal in words, NEUTER gender (agrees with «дело»).
/// Specified for 0..=999_999; millions and milliards are handled as well.
pub fn number_words_neuter(n: u32) -> String {
    if n == 0 {
        return "ноль".to_string();
    }
    // (scale, gender of the scale noun, its three plural forms)
    const SCALES: [(u32, Gender, [&str; 3]); 3] = [
        (
            1_000_000_000,
            Gender::Masculine,
            ["миллиард", "миллиарда", "миллиардов"],
        ),
        (
            1_000_000,
            Gender::Masculine,
            ["миллион", "миллиона", "миллионов"],
        ),
        (1_000, Gender::Feminine, ["тысяча", "тысячи", "тысяч"]),
    ];
    let mut words = Vec::new();
    let mut rest = n;
    for (scale, gender, forms) in SCALES {
        let group = rest / scale;
        rest %= scale;
        if group > 0 {
            triple_words(group, gender, &mut words);
            words.push(forms[plural_form(group)]);
        }
    }
    triple_words(rest, Gender::Neuter, &mut words);
    words.join(" ")
}

/// «дело» / «дела» / «дел» by the Russian plural rule.
pub fn cases_word(n: u32) -> &'static str {
    ["дело", "дела", "дел"][plural_form(n)]
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
    format!(
        "Итого {cases} ({}) {} {period}",
        number_words_neuter(cases),
        cases_word(cases)
    )
}

// ---------------------------------------------------------------------------
// Page geometry and text measurement

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
/// Wider left margin leaves room for binding the act into the fund's case.
const MARGIN_L: f32 = 50.0;
const MARGIN_R: f32 = 40.0;
const MARGIN_T: f32 = 40.0;
const MARGIN_B: f32 = 45.0;
const CONTENT_W: f32 = PAGE_W - MARGIN_L - MARGIN_R;
const BODY_SIZE: f32 = 10.0;
const CAPTION_SIZE: f32 = 6.0;
const TABLE_SIZE: f32 = 8.0;
const HEAD_SIZE: f32 = 6.5;
const HASH_SIZE: f32 = 6.5;
/// Line advance as a multiple of the font size.
const LEADING: f32 = 1.2;
const CELL_PAD: f32 = 2.5;
const LINE_W: f32 = 0.5;
const UNDERSCORES: &str = "________________";

/// Advance widths from the same font files krilla embeds, so wrapping matches
/// what is drawn (kerning only ever makes the drawn text a little narrower).
struct Metrics<'a> {
    regular: ttf_parser::Face<'a>,
    bold: ttf_parser::Face<'a>,
    /// Baseline offset below the top of a line box, in em.
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
                    // A missing glyph draws as .notdef; count it as a wide letter.
                    .map_or(upem as u32 * 6 / 10, u32::from)
            })
            .sum();
        units as f32 * size / upem
    }

    /// Greedy word wrap. Spaces are break points; so are the ends of «–», «-»,
    /// «/», «_» inside a word (date ranges, file names); a word still wider than
    /// the line is cut between characters. `indent` narrows the first line only.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32, indent: f32) -> Vec<String> {
        let space = self.width(" ", size, bold);
        let mut lines = Vec::new();
        for para in text.split('\n') {
            // (piece, glued to the previous piece without a space)
            let mut pieces: Vec<(String, bool)> = Vec::new();
            for word in para.split_whitespace() {
                let mut glue = false;
                let mut cur = String::new();
                for c in word.chars() {
                    cur.push(c);
                    if matches!(c, '–' | '-' | '/' | '_' | '—') {
                        pieces.push((std::mem::take(&mut cur), glue));
                        glue = true;
                    }
                }
                if !cur.is_empty() {
                    pieces.push((cur, glue));
                }
            }
            let mut line = String::new();
            let mut line_w = 0.0;
            let limit = |lines: &Vec<String>| {
                if lines.is_empty() {
                    width - indent
                } else {
                    width
                }
            };
            let start_len = lines.len();
            for (piece, glue) in pieces {
                let w = self.width(&piece, size, bold);
                let sep_w = if glue || line.is_empty() { 0.0 } else { space };
                if line_w + sep_w + w <= limit(&lines) {
                    if sep_w > 0.0 {
                        line.push(' ');
                    }
                    line.push_str(&piece);
                    line_w += sep_w + w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                // Start the piece on a fresh line, cutting it if it is still too wide.
                for c in piece.chars() {
                    let cw = self.width(c.encode_utf8(&mut [0; 4]), size, bold);
                    if line_w + cw > limit(&lines) && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
            if !line.is_empty() || lines.len() == start_len {
                lines.push(line);
            }
        }
        lines
    }
}

// ---------------------------------------------------------------------------
// First pass: placement

enum Op {
    Text {
        x: f32,
        /// Baseline, y growing downwards as in krilla.
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

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
}

struct Column {
    width: f32,
    head: &'static str,
    align: Align,
    size: f32,
}

struct Layout<'a> {
    m: Metrics<'a>,
    pages: Vec<Vec<Op>>,
    /// Top of the free space on the current page.
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

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        // Room for the page number printed at the top of continuation pages.
        self.y = MARGIN_T + 10.0;
    }

    /// Starts a new page unless `h` more points fit on this one.
    fn ensure(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN_B {
            self.new_page();
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        // `pages` is created non-empty and only ever grows.
        let last = self.pages.len() - 1;
        &mut self.pages[last]
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

    /// Wrapped block at an absolute position; returns its height.
    fn block_at(&mut self, x: f32, top: f32, width: f32, size: f32, bold: bool, text: &str) -> f32 {
        let lines = self.m.wrap(text, size, bold, width, 0.0);
        let lh = size * LEADING;
        for (i, l) in lines.iter().enumerate() {
            self.text(x, top + i as f32 * lh, size, bold, l);
        }
        lines.len() as f32 * lh
    }

    /// Full-width paragraph in the flow, kept on one page, first line indented.
    fn paragraph(&mut self, text: &str, size: f32, bold: bool, indent: f32) {
        let lines = self.m.wrap(text, size, bold, CONTENT_W, indent);
        let lh = size * LEADING;
        self.ensure(lines.len() as f32 * lh);
        for (i, l) in lines.iter().enumerate() {
            let x = MARGIN_L + if i == 0 { indent } else { 0.0 };
            let top = self.y;
            self.text(x, top, size, bold, l);
            self.y += lh;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    /// «position ____ signature ____ decoding» with small captions under each
    /// part, then a «Дата» line: the form's signature block.
    fn signature_block(&mut self, position: &str, name: &str) {
        let lh = BODY_SIZE * LEADING;
        let pos_w = 230.0;
        let pos_lines = self.m.wrap(position, BODY_SIZE, false, pos_w, 0.0);
        let h = pos_lines.len() as f32 * lh + CAPTION_SIZE * LEADING + 2.0 * lh;
        self.ensure(h);
        let top = self.y;
        for (i, l) in pos_lines.iter().enumerate() {
            self.text(MARGIN_L, top + i as f32 * lh, BODY_SIZE, false, l);
        }
        // Signature parts sit on the last line of the position text.
        let base = top + (pos_lines.len() as f32 - 1.0) * lh;
        let sig_x = MARGIN_L + pos_w + 15.0;
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
        self.text(MARGIN_L, top, BODY_SIZE, false, "Дата ____________");
        self.y += lh;
    }

    /// Table with a header row repeated on every page it spans.
    fn table(&mut self, cols: &[Column], number_row: bool, rows: &[Vec<String>]) {
        let head_h = self.table_head_height(cols, number_row);
        // Never leave a header alone at the foot of a page.
        let first_h = rows.first().map_or(0.0, |r| self.row_layout(cols, r).1);
        self.ensure(head_h + first_h);
        self.table_head(cols, number_row);
        for row in rows {
            let (cells, h) = self.row_layout(cols, row);
            if self.y + h > PAGE_H - MARGIN_B {
                self.new_page();
                self.table_head(cols, number_row);
            }
            // A row taller than a whole page is drawn anyway and overruns the
            // bottom margin; real case titles are far shorter than that.
            let top = self.y;
            self.draw_row(cols, &cells, top, h);
            self.y += h;
        }
    }

    fn row_layout(&self, cols: &[Column], row: &[String]) -> (Vec<Vec<String>>, f32) {
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

    fn table_head_height(&self, cols: &[Column], number_row: bool) -> f32 {
        let h = cols
            .iter()
            .map(|c| {
                self.m
                    .wrap(c.head, HEAD_SIZE, false, c.width - 2.0 * CELL_PAD, 0.0)
                    .len() as f32
                    * HEAD_SIZE
                    * LEADING
            })
            .fold(0.0, f32::max)
            + 2.0 * CELL_PAD;
        h + if number_row {
            HEAD_SIZE * LEADING + 2.0 * CELL_PAD
        } else {
            0.0
        }
    }

    fn table_head(&mut self, cols: &[Column], number_row: bool) {
        let cells: Vec<Vec<String>> = cols
            .iter()
            .map(|c| {
                self.m
                    .wrap(c.head, HEAD_SIZE, false, c.width - 2.0 * CELL_PAD, 0.0)
            })
            .collect();
        let h = cells
            .iter()
            .map(|l| l.len() as f32 * HEAD_SIZE * LEADING)
            .fold(0.0, f32::max)
            + 2.0 * CELL_PAD;
        let head_cols: Vec<Column> = cols
            .iter()
            .map(|c| Column {
                width: c.width,
                head: c.head,
                align: Align::Center,
                size: HEAD_SIZE,
            })
            .collect();
        let top = self.y;
        self.draw_row(&head_cols, &cells, top, h);
        self.y += h;
        if number_row {
            // The model form numbers its columns in a row under the heads.
            let nums: Vec<Vec<String>> = (1..=cols.len()).map(|i| vec![i.to_string()]).collect();
            let h = HEAD_SIZE * LEADING + 2.0 * CELL_PAD;
            let top = self.y;
            self.draw_row(&head_cols, &nums, top, h);
            self.y += h;
        }
    }

    fn draw_row(&mut self, cols: &[Column], cells: &[Vec<String>], top: f32, h: f32) {
        let mut x = MARGIN_L;
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
        self.line(MARGIN_L, top, x, top);
        self.line(MARGIN_L, top + h, x, top + h);
    }
}

// ---------------------------------------------------------------------------
// The act itself

use crate::ru::dates::MONTHS_GENITIVE;

fn or_blank(s: &str) -> &str {
    if s.trim().is_empty() { UNDERSCORES } else { s }
}

/// ««12» декабря 2026 г.», the way approval dates are written on the form.
fn long_date(d: NaiveDate) -> String {
    let month = MONTHS_GENITIVE[d.month0() as usize];
    format!("«{:02}» {month} {} г.", d.day(), d.year())
}

fn header(l: &mut Layout, act: &ActPrint) {
    let left_w = 250.0;
    let right_x = MARGIN_L + 290.0;
    let right_w = PAGE_W - MARGIN_R - right_x;
    let lh = BODY_SIZE * LEADING;
    let top = l.y;

    // Left column: organisation, act title, date and number, place, subject.
    let mut y = top;
    y += l.block_at(MARGIN_L, y, left_w, BODY_SIZE, false, &act.org_name);
    y += lh;
    l.text(MARGIN_L, y, 12.0, true, "АКТ");
    y += 12.0 * LEADING + 2.0;
    let date_no = format!("{} № {}", act.date.format("%d.%m.%Y"), act.number);
    l.text(MARGIN_L, y, BODY_SIZE, false, &date_no);
    y += lh;
    y += l.block_at(MARGIN_L, y, left_w, BODY_SIZE, false, or_blank(&act.place));
    y += lh * 0.5;
    y += l.block_at(
        MARGIN_L,
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
    let col = |width, head, align, size| Column {
        width,
        head,
        align,
        size,
    };
    // Widths sum to CONTENT_W (505 pt). Narrow columns are as wide as their
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
    let col = |width, head, align, size| Column {
        width,
        head,
        align,
        size,
    };
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

fn footer(l: &mut Layout, act: &ActPrint) {
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
    let top = l.y;
    l.text(MARGIN_L, top, BODY_SIZE, true, "СОГЛАСОВАНО");
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

fn appendix(l: &mut Layout, act: &ActPrint) {
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
    let mut l = Layout::new(Metrics::new()?);

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

    emit(&l.pages, act)
}

/// Second pass: writes the placed operations with krilla.
fn emit(pages: &[Vec<Op>], act: &ActPrint) -> Result<Vec<u8>> {
    let regular = Font::new(FONT_REGULAR.into(), 0).context("regular font unreadable")?;
    let bold = Font::new(FONT_BOLD.into(), 0).context("bold font unreadable")?;
    let mut doc = Document::new();
    for (i, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).context("page size")?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();

        // All rules of a page go into one path: one stroke operation per page.
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
                width: LINE_W,
                ..Default::default()
            }));
            s.draw_path(&path);
        }

        // With a stroke set krilla would outline the text too; text is fill only.
        s.set_stroke(None);
        s.set_fill(Some(Fill::default()));
        if i > 0 {
            // Continuation pages are numbered at the top centre, as office
            // documents are.
            let n = (i + 1).to_string();
            s.draw_text(
                Point::from_xy(PAGE_W / 2.0 - 3.0, MARGIN_T),
                regular.clone(),
                9.0,
                &n,
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
            .title(format!(
                "Акт № {} о выделении к уничтожению документов",
                act.number
            ))
            .language("ru".to_string())
            .creator("archivist".to_string()),
    );
    doc.finish()
        .map_err(|e| anyhow!("PDF serialisation failed: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;
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

    fn out_dir() -> PathBuf {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/actpdf-test");
        let _ = std::fs::create_dir_all(&d);
        d
    }

    fn write(name: &str, pdf: &[u8]) -> PathBuf {
        let p = out_dir().join(name);
        assert!(std::fs::write(&p, pdf).is_ok(), "cannot write {p:?}");
        p
    }

    fn run(cmd: &str, args: &[&str]) -> String {
        let out = Command::new(cmd).args(args).output();
        match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
            other => panic!("{cmd} {args:?} failed: {other:?}"),
        }
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// `-layout` text (what a reader sees) and `-raw` text (content-stream order,
    /// where each wrapped cell stays contiguous), both without whitespace.
    fn texts(p: &std::path::Path) -> (String, String) {
        let p = p.to_string_lossy();
        let layout = run("pdftotext", &["-layout", &p, "-"]);
        let raw = run("pdftotext", &["-raw", &p, "-"]);
        (squash(&layout), squash(&raw))
    }

    #[test]
    fn sample_act_text_and_page_size() {
        let act = sample(three_rows(), true);
        let pdf = match render_pdf(&act) {
            Ok(p) => p,
            Err(e) => panic!("render failed: {e:#}"),
        };
        let path = write("sample.pdf", &pdf);
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
            assert!(raw.contains(&squash(c.head)), "missing head «{}»", c.head);
        }
        for r in &act.rows {
            assert!(raw.contains(&squash(&r.title)), "missing «{}»", r.title);
            assert!(layout.contains(&r.case_index), "missing {}", r.case_index);
        }
        assert!(raw.contains(&act.appendix[0].id), "missing full SHA-256");

        let info = run("pdfinfo", &[&path.to_string_lossy()]);
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
        let (layout, _) = texts(&write("unapproved.pdf", &pdf));
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
        let path = write("long.pdf", &pdf);
        let info = run("pdfinfo", &[&path.to_string_lossy()]);
        let pages: usize = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        assert!(pages >= 2, "{info}");
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
    fn numerals() {
        for (n, w) in [
            (0, "ноль"),
            (1, "одно"),
            (2, "два"),
            (3, "три"),
            (11, "одиннадцать"),
            (21, "двадцать одно"),
            (100, "сто"),
            (101, "сто одно"),
            (1000, "одна тысяча"),
            (2005, "две тысячи пять"),
            (11000, "одиннадцать тысяч"),
            (123456, "сто двадцать три тысячи четыреста пятьдесят шесть"),
            (
                999_999,
                "девятьсот девяносто девять тысяч девятьсот девяносто девять",
            ),
            (1_000_001, "один миллион одно"),
        ] {
            assert_eq!(number_words_neuter(n), w, "{n}");
        }
        for (n, w) in [
            (1, "дело"),
            (2, "дела"),
            (5, "дел"),
            (11, "дел"),
            (21, "дело"),
            (22, "дела"),
            (111, "дел"),
            (0, "дел"),
        ] {
            assert_eq!(cases_word(n), w, "{n}");
        }
        assert_eq!(
            total_line(3, "2018–2020"),
            "Итого 3 (три) дела за 2018–2020 годы"
        );
        assert_eq!(total_line(1, "2019"), "Итого 1 (одно) дело за 2019 год");
    }

    #[test]
    fn columns_fit_and_heads_wrap_between_words() {
        let m = match Metrics::new() {
            Ok(m) => m,
            Err(e) => panic!("{e:#}"),
        };
        for cols in [act_columns(), appendix_columns()] {
            let total: f32 = cols.iter().map(|c| c.width).sum();
            assert!((total - CONTENT_W).abs() < 0.01, "widths sum to {total}");
            for c in &cols {
                let lines = m.wrap(c.head, HEAD_SIZE, false, c.width - 2.0 * CELL_PAD, 0.0);
                assert_eq!(lines.join(" "), c.head, "head split inside a word");
            }
        }
    }

    #[test]
    fn wrap_respects_width() {
        let m = match Metrics::new() {
            Ok(m) => m,
            Err(e) => panic!("{e:#}"),
        };
        let text = "Индекс дела (тома, части) по номенклатуре или № дела по описи \
                    09.06.2019–01.07.2019 a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9";
        let lines = m.wrap(text, 8.0, false, 60.0, 0.0);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(m.width(l, 8.0, false) <= 60.0 + 0.01, "«{l}» too wide");
        }
        assert_eq!(squash(&lines.concat()), squash(text));
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
