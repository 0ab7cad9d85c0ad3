//! Printable PDFs with Cyrillic text, laid out by hand in two passes: forms place text,
//! rules and filled boxes on pages first ([`layout`], measuring with [`metrics`]), so
//! that pagination and fitting are plain arithmetic; then [`pdf`] writes the pages with
//! krilla. QR codes ([`qr`]) are filled rectangles on the same pages. Nothing here
//! knows about the archive: the forms themselves live in `records::print`.

pub mod layout;
pub mod metrics;
pub mod pdf;
pub mod qr;
pub mod sheet;

/// Points per millimetre.
pub const PT_PER_MM: f32 = 72.0 / 25.4;

/// Millimetres to points.
pub fn mm(v: f32) -> f32 {
    v * PT_PER_MM
}
