//! Bytes in, facts out: PDF inspection and text extraction, scanner images to PDF, and
//! OCR with Tesseract, and file names safe to write. Nothing here knows about the archive.

pub mod naming;
pub mod ocr;
pub mod pdf;
pub mod print;
pub mod scanimage;
