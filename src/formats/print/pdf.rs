//! The second pass of printing: placed pages written as a PDF with krilla, fonts
//! subset and embedded.

use anyhow::{Context, Result, anyhow};
use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::layout::{Op, Page};
use super::metrics::{FONT_BOLD, FONT_REGULAR};

/// Writes the pages as one PDF document titled `title` (Russian).
pub fn write(pages: &[Page], title: &str) -> Result<Vec<u8>> {
    let regular = Font::new(FONT_REGULAR.into(), 0).context("regular font unreadable")?;
    let bold = Font::new(FONT_BOLD.into(), 0).context("bold font unreadable")?;
    let mut doc = Document::new();
    for p in pages {
        let settings = PageSettings::from_wh(p.width, p.height)
            .with_context(|| format!("bad page size {} × {} pt", p.width, p.height))?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        strokes(&mut s, &p.ops);
        fills(&mut s, &p.ops);
        // With a stroke set krilla would outline the text too; text is fill only.
        s.set_stroke(None);
        s.set_fill(Some(Fill::default()));
        for op in &p.ops {
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
            .title(title.to_string())
            .language("ru".to_string())
            .creator("archivist".to_string()),
    );
    doc.finish()
        .map_err(|e| anyhow!("PDF serialisation failed: {e:?}"))
}

/// All rules of one width go into one path: one stroke operation per width and page.
fn strokes(s: &mut krilla::surface::Surface, ops: &[Op]) {
    let mut widths: Vec<f32> = Vec::new();
    for op in ops {
        if let Op::Line { width, .. } = op
            && !widths.contains(width)
        {
            widths.push(*width);
        }
    }
    for w in widths {
        let mut pb = PathBuilder::new();
        for op in ops {
            if let Op::Line {
                x1,
                y1,
                x2,
                y2,
                width,
            } = *op
                && width == w
            {
                pb.move_to(x1, y1);
                pb.line_to(x2, y2);
            }
        }
        if let Some(path) = pb.finish() {
            s.set_fill(None);
            s.set_stroke(Some(Stroke {
                width: w,
                ..Default::default()
            }));
            s.draw_path(&path);
        }
    }
}

/// Filled boxes (QR modules) as one filled path per page.
fn fills(s: &mut krilla::surface::Surface, ops: &[Op]) {
    let mut pb = PathBuilder::new();
    for op in ops {
        if let Op::Fill { x, y, w, h } = *op
            && let Some(r) = Rect::from_xywh(x, y, w, h)
        {
            pb.push_rect(r);
        }
    }
    if let Some(path) = pb.finish() {
        s.set_stroke(None);
        s.set_fill(Some(Fill::default()));
        s.draw_path(&path);
    }
}
