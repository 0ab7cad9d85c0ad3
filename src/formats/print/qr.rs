//! QR codes for printed labels: the payload's UTF-8 bytes in byte mode at error
//! correction level Q (labels on boxes get scuffed), drawn as filled rectangles.
//!
//! The encoder's own mode choice is not used: it may read pairs of UTF-8 Cyrillic bytes
//! as Shift JIS kanji, which a reader then decodes as Japanese. An ECI header names the
//! bytes as UTF-8 so readers need not guess.

use anyhow::{Result, anyhow};
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

use super::layout::Page;

/// ECI designator of UTF-8.
const ECI_UTF8: u32 = 26;

/// Modules of light margin a reader needs around the symbol (ISO/IEC 18004).
pub const QUIET_ZONE: usize = 4;

/// The modules of an encoded symbol.
#[derive(Debug, Clone)]
pub struct QrMatrix {
    /// Modules per side (21 for version 1, +4 per version).
    pub width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `payload` in the smallest version that holds it at level Q.
    pub fn encode(payload: &str) -> Result<QrMatrix> {
        for v in 1..=40 {
            let version = Version::Normal(v);
            let mut bits = Bits::new(version);
            let fits = bits
                .push_eci_designator(ECI_UTF8)
                .and_then(|()| bits.push_byte_data(payload.as_bytes()))
                .and_then(|()| bits.push_terminator(EcLevel::Q));
            if fits.is_err() {
                continue;
            }
            let code = QrCode::with_bits(bits, EcLevel::Q)
                .map_err(|e| anyhow!("cannot encode «{payload}» as a QR code: {e}"))?;
            return Ok(QrMatrix {
                width: code.width(),
                dark: code
                    .to_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect(),
            });
        }
        Err(anyhow!(
            "«{payload}» is too long for a QR code ({} bytes)",
            payload.len()
        ))
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Horizontal runs of dark modules as (row, first column, length): one rectangle per
    /// run draws the symbol without hairline seams between neighbouring modules.
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    out.push((y, start, x - start));
                } else {
                    x += 1;
                }
            }
        }
        out
    }

    /// Draws the symbol with its top-left module at (`x`, `y`), `module` points per
    /// module. The quiet zone is not drawn: the caller keeps it free.
    pub fn draw(&self, page: &mut Page, x: f32, y: f32, module: f32) {
        for (row, col, len) in self.runs() {
            page.fill(
                x + col as f32 * module,
                y + row as f32 * module,
                len as f32 * module,
                module,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_payloads_take_the_smallest_version_that_holds_them() {
        let short =
            QrMatrix::encode("archivist:box/2024/ПК-2024-017").unwrap_or_else(|e| panic!("{e:#}"));
        let long = QrMatrix::encode("http://archive.example.local:8080/box/2024/ПК-2024-017")
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert!(
            short.width >= 21 && short.width < long.width,
            "{} {}",
            short.width,
            long.width
        );
        assert_eq!((short.width - 17) % 4, 0);
        // Finder pattern: the top-left 7×7 ring is dark.
        assert!((0..7).all(|i| short.is_dark(i, 0) && short.is_dark(0, i)));
        let runs: usize = short.runs().iter().map(|r| r.2).sum();
        assert_eq!(
            runs,
            (0..short.width)
                .flat_map(|y| (0..short.width).map(move |x| (x, y)))
                .filter(|&(x, y)| short.is_dark(x, y))
                .count()
        );
        assert!(QrMatrix::encode(&"я".repeat(2000)).is_err());
    }
}
