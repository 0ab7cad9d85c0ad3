//! Bytes in, facts out: PDF inspection and text extraction, scanner images to PDF, and
//! OCR with Tesseract. Nothing here knows about the archive.

pub mod ocr;
pub mod pdf;
pub mod print;
pub mod scanimage;
