//! The fonts every printed form uses, and text measured with the same font files krilla
//! embeds, so that wrapping and fitting match what is drawn (kerning only ever makes the
//! drawn text a little narrower).

use anyhow::{Result, anyhow};

/// DejaVu Sans covers Cyrillic, «», № and the dashes; its licence allows shipping it.
pub const FONT_REGULAR: &[u8] = include_bytes!("../../../fixtures/fonts/DejaVuSans.ttf");
/// Bold face for titles («АКТ», «УТВЕРЖДАЮ») and the large year and group on labels.
pub const FONT_BOLD: &[u8] = include_bytes!("../../../fixtures/fonts/DejaVuSans-Bold.ttf");

/// Advance widths and vertical metrics of the two faces.
pub struct Metrics<'a> {
    regular: ttf_parser::Face<'a>,
    bold: ttf_parser::Face<'a>,
    /// Baseline below the top of a line box, in em.
    pub ascent: f32,
    /// Lowest point below the baseline, in em (positive).
    pub descent: f32,
}

impl<'a> Metrics<'a> {
    pub fn new() -> Result<Metrics<'a>> {
        let regular =
            ttf_parser::Face::parse(FONT_REGULAR, 0).map_err(|e| anyhow!("regular font: {e}"))?;
        let bold = ttf_parser::Face::parse(FONT_BOLD, 0).map_err(|e| anyhow!("bold font: {e}"))?;
        let upem = f32::from(regular.units_per_em());
        let ascent = f32::from(regular.ascender()) / upem;
        let descent = -f32::from(regular.descender()) / upem;
        Ok(Metrics {
            regular,
            bold,
            ascent,
            descent,
        })
    }

    /// Width of `text` set in one line, in points.
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
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

    /// Greedy word wrap into lines of `width`; `indent` narrows the first line only.
    pub fn wrap(&self, text: &str, size: f32, bold: bool, width: f32, indent: f32) -> Vec<String> {
        self.wrap_with(text, size, bold, &|line| {
            if line == 0 { width - indent } else { width }
        })
    }

    /// Greedy word wrap where line `i` (counted over the whole text) may be `width(i)`
    /// wide: text flowing around a QR code. Spaces are break points; so are the ends of
    /// «–», «/», «_» and of «-» not between digits inside a word (date ranges, file names,
    /// addresses); a word still
    /// wider than its line is cut between characters. `\n` starts a new paragraph.
    pub fn wrap_with(
        &self,
        text: &str,
        size: f32,
        bold: bool,
        width: &dyn Fn(usize) -> f32,
    ) -> Vec<String> {
        let space = self.width(" ", size, bold);
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let start_len = lines.len();
            let mut line = String::new();
            let mut line_w = 0.0;
            for (piece, glue) in pieces(para) {
                let limit = width(lines.len());
                let w = self.width(&piece, size, bold);
                let sep_w = if glue || line.is_empty() { 0.0 } else { space };
                if line_w + sep_w + w <= limit {
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
                    if line_w + cw > width(lines.len()) && !line.is_empty() {
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

    /// The text cut to `width` with a trailing «…» when it does not fit.
    pub fn ellipsize(&self, text: &str, size: f32, bold: bool, width: f32) -> String {
        if self.width(text, size, bold) <= width {
            return text.to_string();
        }
        let ell = self.width("…", size, bold);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.width(c.encode_utf8(&mut [0; 4]), size, bold);
            if w + cw + ell > width {
                break;
            }
            out.push(c);
            w += cw;
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('…');
        out
    }

    /// The largest size up to `max` at which `text` fits in `width` on one line.
    pub fn fit_size(&self, text: &str, bold: bool, max: f32, width: f32) -> f32 {
        let w = self.width(text, max, bold);
        if w <= width || w <= 0.0 {
            max
        } else {
            // Width is linear in size; a hair less keeps rounding on the safe side.
            max * width / w * 0.999
        }
    }

    /// Wraps `text` into at most `max_lines`, the last one ending in «…» when cut.
    pub fn wrap_lines(
        &self,
        text: &str,
        size: f32,
        bold: bool,
        width: &dyn Fn(usize) -> f32,
        max_lines: usize,
    ) -> Vec<String> {
        let mut lines = self.wrap_with(text, size, bold, width);
        if lines.len() > max_lines && max_lines > 0 {
            let rest = lines[max_lines - 1..].join(" ");
            lines.truncate(max_lines - 1);
            lines.push(self.ellipsize(&rest, size, bold, width(max_lines - 1)));
        }
        lines
    }
}

/// A paragraph cut into (piece, glued to the previous piece without a space).
fn pieces(para: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for word in para.split_whitespace() {
        let mut glue = false;
        let mut cur = String::new();
        let chars: Vec<char> = word.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            cur.push(c);
            // A hyphen between digits belongs to a code (case index «02-01», group
            // «ПК-2024-017»), which reads wrong when split.
            let in_code = c == '-'
                && i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if matches!(c, '–' | '-' | '/' | '_' | '—') && !in_code {
                out.push((std::mem::take(&mut cur), glue));
                glue = true;
            }
        }
        if !cur.is_empty() {
            out.push((cur, glue));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics<'static> {
        match Metrics::new() {
            Ok(m) => m,
            Err(e) => panic!("{e:#}"),
        }
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn wrap_respects_width() {
        let m = metrics();
        let text = "Индекс дела (тома, части) по номенклатуре или № дела по описи \
                    09.06.2019–01.07.2019 a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9";
        let lines = m.wrap(text, 8.0, false, 60.0, 0.0);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(m.width(l, 8.0, false) <= 60.0 + 0.01, "«{l}» too wide");
        }
        assert_eq!(squash(&lines.concat()), squash(text));
    }

    #[test]
    fn codes_are_not_split_at_their_hyphens() {
        let m = metrics();
        let text = "Дела: 01-01, 01-02, 02-01, 02-02, 02-03, 02-05";
        for width in [40.0, 55.0, 70.0, 90.0] {
            for l in m.wrap(text, 8.0, false, width, 0.0) {
                assert!(!l.ends_with('-'), "«{l}» at {width}");
            }
        }
        // Words still break after a hyphen between letters.
        let lines = m.wrap("научно-исторической", 8.0, false, 40.0, 0.0);
        assert_eq!(lines[0], "научно-");
    }

    #[test]
    fn wrap_with_narrows_the_lines_it_is_told_to() {
        let m = metrics();
        let text = "Программа «Охрана труда для руководителей и специалистов организаций»";
        let lines = m.wrap_with(text, 8.0, false, &|i| if i < 2 { 50.0 } else { 200.0 });
        for (i, l) in lines.iter().enumerate() {
            let limit = if i < 2 { 50.0 } else { 200.0 };
            assert!(m.width(l, 8.0, false) <= limit + 0.01, "line {i} «{l}»");
        }
        assert_eq!(squash(&lines.concat()), squash(text));
    }

    #[test]
    fn ellipsis_and_fitting_stay_inside_the_width() {
        let m = metrics();
        let long = "АНО ДПО «Учебный центр «Профессионал»» — учебный центр";
        let cut = m.ellipsize(long, 10.0, false, 80.0);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(m.width(&cut, 10.0, false) <= 80.0);
        assert_eq!(m.ellipsize("2024", 10.0, false, 80.0), "2024");
        let size = m.fit_size("ПК-2024-017", true, 40.0, 100.0);
        assert!(size < 40.0 && m.width("ПК-2024-017", size, true) <= 100.0);
        let lines = m.wrap_lines(long, 10.0, false, &|_| 60.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert!(lines.iter().all(|l| m.width(l, 10.0, false) <= 60.0));
    }
}
