//! Converts the real scanner images of the shared corpus and checks the PDFs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use archivist::formats::scanimage::{ImageError, ImageLimits, image_to_pdf};
use lopdf::{Document, Object};

fn corpus_dir() -> Option<PathBuf> {
    common::corpus()
}

/// (file name, expected pages) of the `image__*` rows of MANIFEST.tsv.
fn manifest_images(dir: &Path) -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("read MANIFEST.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("manifest header").split('\t').collect();
    let pages_col = header
        .iter()
        .position(|h| *h == "pages")
        .expect("pages column");
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c[0].starts_with("image__"))
        .map(|c| (c[0].to_string(), c[pages_col].parse().unwrap_or(1)))
        .collect()
}

fn load(name: &str) -> Option<Vec<u8>> {
    let dir = corpus_dir()?;
    Some(std::fs::read(dir.join(name)).expect("read corpus file"))
}

fn convert(name: &str) -> Option<(Vec<u8>, archivist::formats::scanimage::ConvertedImage)> {
    let bytes = load(name)?;
    let out = image_to_pdf(&bytes, &ImageLimits::default()).expect("conversion");
    Some((bytes, out))
}

/// Image XObject streams in page order (object ids are assigned in order).
fn image_streams(doc: &Document) -> Vec<lopdf::Stream> {
    doc.objects
        .values()
        .filter_map(|o| match o {
            Object::Stream(s)
                if s.dict.get(b"Subtype").ok() == Some(&Object::Name(b"Image".to_vec())) =>
            {
                Some(s.clone())
            }
            _ => None,
        })
        .collect()
}

fn page_dicts(doc: &Document) -> Vec<lopdf::Dictionary> {
    doc.get_pages()
        .values()
        .map(|id| doc.get_dictionary(*id).expect("page dict").clone())
        .collect()
}

fn media_box(page: &lopdf::Dictionary) -> (f32, f32) {
    let mb = page
        .get(b"MediaBox")
        .and_then(Object::as_array)
        .expect("MediaBox");
    let n = |o: &Object| o.as_float().expect("number");
    (n(&mb[2]), n(&mb[3]))
}

fn rotate(page: &lopdf::Dictionary) -> i64 {
    page.get(b"Rotate").and_then(Object::as_i64).unwrap_or(0)
}

fn tmp_pdf(name: &str, pdf: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scanimage");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(format!("{name}.pdf"));
    std::fs::write(&p, pdf).expect("write pdf");
    p
}

fn pdfinfo_pages(path: &Path) -> Option<u32> {
    let out = Command::new("pdfinfo").arg(path).output().ok()?;
    assert!(out.status.success(), "pdfinfo failed on {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn every_manifest_image_converts_or_is_refused() {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found; skipping");
        return;
    };
    let rows = manifest_images(&dir);
    assert!(rows.len() >= 8, "expected the image rows of the manifest");
    eprintln!("| file | pages | embedding | rotate | ms |");
    for (name, expected_pages) in rows {
        let bytes = std::fs::read(dir.join(&name)).expect("read");
        let t = Instant::now();
        let res = image_to_pdf(&bytes, &ImageLimits::default());
        let ms = t.elapsed().as_millis();
        match res {
            Ok(c) => {
                let doc = Document::load_mem(&c.pdf).expect("lopdf loads output");
                assert_eq!(doc.get_pages().len() as u32, c.pages, "{name}");
                assert_eq!(c.pages, expected_pages, "{name}: manifest page count");
                if let Some(n) = pdfinfo_pages(&tmp_pdf(&name, &c.pdf)) {
                    assert_eq!(n, c.pages, "{name}: pdfinfo page count");
                }
                let rot: Vec<String> = page_dicts(&doc)
                    .iter()
                    .map(|p| rotate(p).to_string())
                    .collect();
                eprintln!(
                    "| {name} | {} | {} | {} | {ms} | warnings: {:?}",
                    c.pages,
                    c.embedding.join(","),
                    rot.join(","),
                    c.warnings
                );
            }
            Err(e) => {
                eprintln!("| {name} | refused | {e} | - | {ms} |");
                let ok = name.ends_with(".bmp") || name.contains("old-style-jpeg");
                assert!(ok, "{name} unexpectedly refused: {e}");
            }
        }
    }
}

#[test]
fn jpeg_exif_orientation_6_is_rotated_without_reencoding() {
    let Some((bytes, c)) = convert("image__dedoc__scan_orient_1.jpg") else {
        return;
    };
    let doc = Document::load_mem(&c.pdf).expect("load");
    assert_eq!(c.pages, 1);
    assert_eq!(c.embedding, ["dct"]);
    assert_eq!(rotate(&page_dicts(&doc)[0]), 90);
    let imgs = image_streams(&doc);
    assert_eq!(imgs.len(), 1);
    assert!(
        imgs[0].content == bytes,
        "JPEG bytes must be embedded unchanged"
    );
}

#[test]
fn jpeg_150_dpi_gives_true_page_size() {
    let Some((bytes, c)) = convert("image__dedoc__platezhka.jpg") else {
        return;
    };
    let doc = Document::load_mem(&c.pdf).expect("load");
    let (w, h) = media_box(&page_dicts(&doc)[0]);
    assert!((w - 1239.0 / 150.0 * 72.0).abs() <= 1.0, "width {w}");
    assert!((h - 1754.0 / 150.0 * 72.0).abs() <= 1.0, "height {h}");
    assert!(image_streams(&doc)[0].content == bytes);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn progressive_jpeg_without_dpi_fits_a4() {
    let Some((bytes, c)) = convert("image__dedoc__with_trash.jpg") else {
        return;
    };
    let doc = Document::load_mem(&c.pdf).expect("load");
    assert_eq!(media_box(&page_dicts(&doc)[0]), (595.0, 842.0));
    assert!(image_streams(&doc)[0].content == bytes);
    assert!(
        c.warnings.iter().any(|w| w.contains("A4")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn landscape_png_gets_landscape_page() {
    let Some((_, c)) = convert("image__dedoc__orient_4.png") else {
        return;
    };
    assert_eq!(c.pages, 1);
    assert_eq!(c.embedding, ["flate-predictor"]);
    let doc = Document::load_mem(&c.pdf).expect("load");
    let (w, h) = media_box(&page_dicts(&doc)[0]);
    assert!(w > h, "landscape expected, got {w}x{h}");
}

#[test]
fn multipage_tiff_keeps_each_page_size() {
    let Some((_, c)) = convert("image__paperless__patch-code-t-middle.tiff") else {
        return;
    };
    assert_eq!(c.pages, 3);
    let doc = Document::load_mem(&c.pdf).expect("load");
    let sizes: Vec<(f32, f32)> = page_dicts(&doc).iter().map(media_box).collect();
    assert!(sizes.iter().any(|s| *s != sizes[0]), "sizes {sizes:?}");
}

#[test]
fn ccitt_g4_tiff_is_passed_through_and_renders_black_on_white() {
    let name = "image__tesseract__8071_093.3B.tif";
    let Some((bytes, c)) = convert(name) else {
        return;
    };
    assert_eq!(c.embedding, ["ccitt"]);
    // Strip bytes as the tiff crate sees them.
    let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(&bytes)).expect("tiff");
    let offs = dec
        .get_tag_u64_vec(tiff::tags::Tag::StripOffsets)
        .expect("offsets");
    let counts = dec
        .get_tag_u64_vec(tiff::tags::Tag::StripByteCounts)
        .expect("counts");
    let mut strips = Vec::new();
    for (o, n) in offs.iter().zip(&counts) {
        strips.extend_from_slice(&bytes[*o as usize..(*o + *n) as usize]);
    }
    let doc = Document::load_mem(&c.pdf).expect("load");
    assert!(
        image_streams(&doc)[0].content == strips,
        "CCITT data must be unchanged"
    );

    // Render and check the page is mostly white: proves the BlackIs1 choice.
    let pdf = tmp_pdf("ccitt", &c.pdf);
    let prefix = pdf.with_file_name("ccitt-render");
    let Ok(st) = Command::new("pdftoppm")
        .args(["-r", "30", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
    else {
        eprintln!("pdftoppm not available; render check skipped");
        return;
    };
    assert!(st.success());
    let png = image::open(prefix.with_extension("png"))
        .expect("rendered png")
        .into_luma8();
    let mean = png.pixels().map(|p| f64::from(p[0])).sum::<f64>() / png.len() as f64;
    assert!(
        mean > 128.0,
        "page should be mostly white, mean gray {mean}"
    );
}

#[test]
fn old_style_jpeg_tiff_is_refused_clearly() {
    let Some(bytes) = load("image__format-corpus__old-style-jpeg-compression.tif") else {
        return;
    };
    match image_to_pdf(&bytes, &ImageLimits::default()) {
        Ok(c) => assert_eq!(c.pages, 1),
        Err(ImageError::Unsupported(m)) => assert!(m.contains("old-style JPEG"), "{m}"),
        Err(e) => panic!("unclear refusal: {e}"),
    }
}

#[test]
fn bmp_is_unsupported() {
    let Some(bytes) = load("image__dedoc__example.bmp") else {
        return;
    };
    match image_to_pdf(&bytes, &ImageLimits::default()) {
        Err(ImageError::Unsupported(m)) => assert_eq!(m, "BMP"),
        other => panic!("expected Unsupported(BMP), got {other:?}"),
    }
}

#[test]
fn conversion_is_deterministic() {
    for name in [
        "image__dedoc__scan_orient_1.jpg",
        "image__dedoc__orient_4.png",
        "image__tesseract__8071_093.3B.tif",
        "image__paperless__patch-code-t-middle.tiff",
    ] {
        let Some(bytes) = load(name) else { return };
        let a = image_to_pdf(&bytes, &ImageLimits::default()).expect("a");
        let b = image_to_pdf(&bytes, &ImageLimits::default()).expect("b");
        assert!(a.pdf == b.pdf, "{name}: output differs between runs");
    }
}

#[test]
fn truncated_corpus_files_are_errors_not_panics() {
    for name in [
        "image__dedoc__scan_orient_1.jpg",
        "image__dedoc__with_trash.jpg",
        "image__dedoc__orient_4.png",
        "image__tesseract__8071_093.3B.tif",
        "image__paperless__patch-code-t-middle.tiff",
    ] {
        let Some(bytes) = load(name) else { return };
        for cut in [100, bytes.len() / 2] {
            let r = image_to_pdf(&bytes[..cut], &ImageLimits::default());
            // Half a PNG/TIFF must fail; half a JPEG may embed with a warning.
            match r {
                Err(_) => {}
                Ok(c) => assert!(
                    cut > 100 && !c.warnings.is_empty(),
                    "{name}[..{cut}] accepted"
                ),
            }
        }
    }
}

/// Writes low-resolution previews to target/tmp/scanimage/preview-*.png so a
/// person can check orientation by eye.
#[test]
fn render_previews() {
    let Some(dir) = corpus_dir() else { return };
    for (name, _) in manifest_images(&dir) {
        let bytes = std::fs::read(dir.join(&name)).expect("read");
        let Ok(c) = image_to_pdf(&bytes, &ImageLimits::default()) else {
            continue;
        };
        let pdf = tmp_pdf(&name, &c.pdf);
        let prefix = pdf.with_file_name(format!("preview-{name}"));
        let _ = Command::new("pdftoppm")
            .args(["-r", "20", "-png", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&pdf)
            .arg(&prefix)
            .status();
    }
}
