//! Convert scanner image files (JPEG, PNG, TIFF) into PDF so an archive box
//! holds one format.
//!
//! The original compressed image data is embedded unchanged wherever PDF can
//! carry it (JPEG → `/DCTDecode`, CCITT TIFF → `/CCITTFaxDecode`, plain PNG
//! IDAT → `/FlateDecode` with PNG predictors). Everything else is decoded and
//! re-encoded losslessly as `/FlateDecode`. PNG/TIFF alpha is flattened onto
//! white: archived pages are paper scans, and a flat page prints and renders
//! the same everywhere, which an `/SMask` does not guarantee.
//!
//! The output is deterministic: no timestamps, no `/ID`, no `/Info`.

use std::io::{Cursor, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Dictionary, Document, Object, Stream, dictionary};

/// Formats that [`image_to_pdf`] converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Tiff,
}

/// Identify a supported image format from its magic bytes.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        // BigTIFF is sniffed as TIFF so the refusal can name it precisely.
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        Some(ImageFormat::Tiff)
    } else {
        None
    }
}

/// Names other image formats for a clear refusal: "BMP", "HEIC", "GIF",
/// "WebP", "JPEG 2000" …
pub fn sniff_unsupported(bytes: &[u8]) -> Option<&'static str> {
    let b = bytes;
    if b.starts_with(b"BM") && b.len() >= 14 {
        return Some("BMP");
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some("GIF");
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Some("WebP");
    }
    if b.starts_with(&[
        0, 0, 0, 0x0C, b'j', b'P', b' ', b' ', 0x0D, 0x0A, 0x87, 0x0A,
    ]) || b.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
    {
        return Some("JPEG 2000");
    }
    if b.starts_with(&[0, 0, 0, 0x0C, b'J', b'X', b'L', b' ']) || b.starts_with(&[0xFF, 0x0A]) {
        return Some("JPEG XL");
    }
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        return match &b[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                Some("HEIC")
            }
            b"avif" | b"avis" => Some("AVIF"),
            _ => None,
        };
    }
    if b.starts_with(b"8BPS") {
        return Some("PSD");
    }
    None
}

/// Resource limits checked from headers before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Per page.
    pub max_pixels: u64,
    pub max_pages: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_pixels: 200_000_000,
            max_pages: 2000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConvertedImage {
    pub pdf: Vec<u8>,
    pub pages: u32,
    pub format: ImageFormat,
    /// Per page: "dct" (JPEG bytes embedded as-is), "ccitt" (TIFF G4/G3 data
    /// as-is), "flate-predictor" (PNG IDAT as-is), or "flate" (decoded and
    /// re-encoded losslessly).
    pub embedding: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("unsupported image format: {0}")]
    Unsupported(String),
    #[error("damaged image: {0}")]
    Damaged(String),
    #[error("over the {what} limit ({actual} > {limit})")]
    OverLimit {
        what: &'static str,
        limit: u64,
        actual: u64,
    },
}

fn damaged(msg: impl std::fmt::Display) -> ImageError {
    ImageError::Damaged(msg.to_string())
}

/// Convert one image file into a PDF with one page per image (per IFD for TIFF).
pub fn image_to_pdf(bytes: &[u8], limits: &ImageLimits) -> Result<ConvertedImage, ImageError> {
    let format = match sniff(bytes) {
        Some(f) => f,
        None => {
            return Err(ImageError::Unsupported(
                sniff_unsupported(bytes).unwrap_or("unknown").to_string(),
            ));
        }
    };
    // Third-party decoders may panic on hostile input; a panic must not take
    // the archiver down with it.
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut warnings = Vec::new();
        let pages = match format {
            ImageFormat::Jpeg => vec![jpeg_page(bytes, limits, &mut warnings)?],
            ImageFormat::Png => vec![png_page(bytes, limits, &mut warnings)?],
            ImageFormat::Tiff => tiff_pages(bytes, limits, &mut warnings)?,
        };
        Ok::<_, ImageError>((pages, warnings))
    }));
    let (pages, mut warnings) = match result {
        Ok(r) => r?,
        Err(_) => return Err(damaged("decoder panicked on this input")),
    };
    let embedding = pages.iter().map(|p| p.embedding.to_string()).collect();
    let n = pages.len() as u32;
    let pdf = build_pdf(pages, &mut warnings)?;
    Ok(ConvertedImage {
        pdf,
        pages: n,
        format,
        embedding,
        warnings,
    })
}

// ---------------------------------------------------------------------------
// Page model and PDF writer
// ---------------------------------------------------------------------------

struct PageImage {
    /// Complete image XObject (dictionary + encoded data).
    xobject: Stream,
    width: u32,
    height: u32,
    /// Horizontal / vertical resolution in dots per inch, if known.
    dpi: Option<(f64, f64)>,
    /// Page `/Rotate`: 0, 90, 180 or 270.
    rotate: i64,
    embedding: &'static str,
}

const A4: (f64, f64) = (595.0, 842.0);
/// PDF 1.x implementation limit for page sides (200 inches).
const MAX_PAGE_PT: f64 = 14_400.0;

fn plausible_dpi(dpi: Option<(f64, f64)>) -> Option<(f64, f64)> {
    let ok = |v: f64| v.is_finite() && (50.0..=10_000.0).contains(&v);
    dpi.filter(|&(x, y)| ok(x) && ok(y))
}

/// Round to hundredths so PDF numbers stay short and stable.
fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Returns (page width, page height, image x, y, w, h) in points, in the
/// unrotated page space (PDF applies `/Rotate` on top of it).
fn geometry(
    p: &PageImage,
    page_no: usize,
    warnings: &mut Vec<String>,
) -> (f64, f64, f64, f64, f64, f64) {
    let (w, h) = (f64::from(p.width), f64::from(p.height));
    if let Some((dx, dy)) = plausible_dpi(p.dpi) {
        let (pw, ph) = (r2(w / dx * 72.0), r2(h / dy * 72.0));
        if pw <= MAX_PAGE_PT && ph <= MAX_PAGE_PT {
            return (pw, ph, 0.0, 0.0, pw, ph);
        }
        warnings.push(format!(
            "page {page_no}: image is larger than a PDF page may be at its resolution; page fitted to A4"
        ));
    } else {
        let why = match p.dpi {
            Some((x, y)) => format!("implausible resolution {x:.0}x{y:.0} dpi"),
            None => "no resolution".to_string(),
        };
        warnings.push(format!("page {page_no}: {why}; page fitted to A4"));
    }
    let (pw, ph) = if w > h { (A4.1, A4.0) } else { A4 };
    let scale = (pw / w).min(ph / h);
    let (iw, ih) = (r2(w * scale), r2(h * scale));
    (pw, ph, r2((pw - iw) / 2.0), r2((ph - ih) / 2.0), iw, ih)
}

fn num(v: f64) -> Object {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        Object::Integer(v as i64)
    } else {
        Object::Real(v as f32)
    }
}

fn build_pdf(pages: Vec<PageImage>, warnings: &mut Vec<String>) -> Result<Vec<u8>, ImageError> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::with_capacity(pages.len());
    for (i, p) in pages.into_iter().enumerate() {
        let (pw, ph, x, y, iw, ih) = geometry(&p, i + 1, warnings);
        let content = format!("q\n{iw} 0 0 {ih} {x} {y} cm\n/Im0 Do\nQ\n");
        let rotate = p.rotate;
        let img_id = doc.add_object(p.xobject);
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        let mut page = dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), num(pw), num(ph)],
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => img_id } },
            "Contents" => content_id,
        };
        if rotate != 0 {
            page.set("Rotate", rotate);
        }
        kids.push(Object::Reference(doc.add_object(page)));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| damaged(format!("PDF writer failed: {e}")))?;
    Ok(out)
}

fn image_stream(dict: Dictionary, data: Vec<u8>) -> Stream {
    // The data is already compressed; lopdf must not touch it.
    Stream::new(dict, data).with_compression(false)
}

fn base_image_dict(w: u32, h: u32, cs: &str, bpc: u8) -> Dictionary {
    dictionary! {
        "Type" => "XObject",
        "Subtype" => "Image",
        "Width" => i64::from(w),
        "Height" => i64::from(h),
        "ColorSpace" => Object::Name(cs.as_bytes().to_vec()),
        "BitsPerComponent" => i64::from(bpc),
    }
}

fn check_pixels(w: u32, h: u32, limits: &ImageLimits) -> Result<(), ImageError> {
    if w == 0 || h == 0 {
        return Err(damaged(format!("image has zero size ({w}x{h})")));
    }
    let px = u64::from(w) * u64::from(h);
    if px > limits.max_pixels {
        return Err(ImageError::OverLimit {
            what: "pixels per page",
            limit: limits.max_pixels,
            actual: px,
        });
    }
    Ok(())
}

/// Decoded pixels ready for a Flate image XObject.
struct RawImage {
    data: Vec<u8>,
    width: u32,
    height: u32,
    color_space: &'static str,
    bpc: u8,
}

fn zlib(data: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data)
        .and_then(|_| enc.finish())
        .map_err(|e| damaged(format!("compression failed: {e}")))
}

fn raw_to_xobject(raw: &RawImage) -> Result<Stream, ImageError> {
    // A short buffer would render as garbage; refuse it rather than archive it.
    let comps: u64 = match raw.color_space {
        "DeviceGray" => 1,
        "DeviceRGB" => 3,
        _ => 4,
    };
    let row = (u64::from(raw.width) * comps * u64::from(raw.bpc)).div_ceil(8);
    if raw.data.len() as u64 != row * u64::from(raw.height) {
        return Err(damaged("decoded pixel data has the wrong size"));
    }
    let mut dict = base_image_dict(raw.width, raw.height, raw.color_space, raw.bpc);
    dict.set("Filter", "FlateDecode");
    Ok(image_stream(dict, zlib(&raw.data)?))
}

/// Composite a sample over white (alpha flattening).
fn over_white(v: u8, a: u8) -> u8 {
    ((u32::from(v) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8
}

fn dynamic_to_raw(img: image::DynamicImage) -> RawImage {
    use image::ColorType as C;
    let (width, height) = (img.width(), img.height());
    match img.color() {
        C::L8 | C::L16 => RawImage {
            data: img.into_luma8().into_raw(),
            width,
            height,
            color_space: "DeviceGray",
            bpc: 8,
        },
        C::La8 | C::La16 => {
            let la = img.into_luma_alpha8();
            let data = la.pixels().map(|p| over_white(p[0], p[1])).collect();
            RawImage {
                data,
                width,
                height,
                color_space: "DeviceGray",
                bpc: 8,
            }
        }
        c if !c.has_alpha() => RawImage {
            data: img.into_rgb8().into_raw(),
            width,
            height,
            color_space: "DeviceRGB",
            bpc: 8,
        },
        _ => {
            let rgba = img.into_rgba8();
            let mut data = Vec::with_capacity(rgba.len() / 4 * 3);
            for p in rgba.pixels() {
                data.extend_from_slice(&[
                    over_white(p[0], p[3]),
                    over_white(p[1], p[3]),
                    over_white(p[2], p[3]),
                ]);
            }
            RawImage {
                data,
                width,
                height,
                color_space: "DeviceRGB",
                bpc: 8,
            }
        }
    }
}

/// Decode with the `image` crate, bounded by the pixel limit.
fn decode_with_image(
    bytes: &[u8],
    fmt: image::ImageFormat,
    limits: &ImageLimits,
) -> Result<image::DynamicImage, ImageError> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), fmt);
    let mut l = image::Limits::default();
    // 16 bytes per pixel covers RGBA16 plus decoder scratch space.
    l.max_alloc = Some(limits.max_pixels.saturating_mul(16));
    reader.limits(l);
    reader
        .decode()
        .map_err(|e| damaged(format!("decoding failed: {e}")))
}

// ---------------------------------------------------------------------------
// Minimal TIFF IFD reader (also used for EXIF blocks inside JPEG)
// ---------------------------------------------------------------------------

struct TiffReader<'a> {
    b: &'a [u8],
    le: bool,
}

impl<'a> TiffReader<'a> {
    /// Returns the reader and the first IFD offset.
    fn new(b: &'a [u8]) -> Result<(Self, u64), ImageError> {
        let le = match b.get(0..2) {
            Some(b"II") => true,
            Some(b"MM") => false,
            _ => return Err(damaged("bad TIFF byte order")),
        };
        let r = TiffReader { b, le };
        match r.u16(2)? {
            42 => {}
            43 => return Err(ImageError::Unsupported("BigTIFF".into())),
            m => return Err(damaged(format!("bad TIFF magic {m}"))),
        }
        let first = u64::from(r.u32(4)?);
        Ok((r, first))
    }

    fn bytes(&self, off: u64, len: u64) -> Result<&'a [u8], ImageError> {
        let end = off
            .checked_add(len)
            .ok_or_else(|| damaged("TIFF offset overflow"))?;
        usize::try_from(off)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| self.b.get(s..e))
            .ok_or_else(|| damaged("TIFF data runs past the end of the file"))
    }

    fn u16(&self, off: u64) -> Result<u16, ImageError> {
        let s = self.bytes(off, 2)?;
        let a = [s[0], s[1]];
        Ok(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    fn u32(&self, off: u64) -> Result<u32, ImageError> {
        let s = self.bytes(off, 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Ok(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    /// Read one IFD: (entries, next IFD offset).
    fn ifd(&self, off: u64) -> Result<(Vec<TiffEntry>, u64), ImageError> {
        let n = u64::from(self.u16(off)?);
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n {
            let e = off + 2 + i * 12;
            let tag = self.u16(e)?;
            let typ = self.u16(e + 2)?;
            let count = u64::from(self.u32(e + 4)?);
            let size = match typ {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                5 | 10 | 12 => 8,
                _ => continue, // unknown type: skip the entry, as readers must
            };
            let total = count.saturating_mul(size);
            let data_off = if total <= 4 {
                e + 8
            } else {
                u64::from(self.u32(e + 8)?)
            };
            entries.push(TiffEntry {
                tag,
                typ,
                count,
                data_off,
            });
        }
        let next = u64::from(self.u32(off + 2 + n * 12)?);
        Ok((entries, next))
    }

    /// Unsigned integer values (BYTE/SHORT/LONG) of an entry.
    fn uints(&self, e: &TiffEntry) -> Result<Vec<u64>, ImageError> {
        let size = match e.typ {
            1 => 1,
            3 => 2,
            4 | 13 => 4,
            _ => {
                return Err(damaged(format!(
                    "TIFF tag {} has a non-integer type",
                    e.tag
                )));
            }
        };
        // Validate the whole range first so a huge count cannot allocate.
        self.bytes(e.data_off, e.count.saturating_mul(size))?;
        (0..e.count)
            .map(|i| {
                let o = e.data_off + i * size;
                match size {
                    1 => Ok(u64::from(self.bytes(o, 1)?[0])),
                    2 => Ok(u64::from(self.u16(o)?)),
                    _ => Ok(u64::from(self.u32(o)?)),
                }
            })
            .collect()
    }

    fn first_uint(&self, e: &TiffEntry) -> Result<u64, ImageError> {
        if e.count == 0 {
            return Err(damaged(format!("TIFF tag {} is empty", e.tag)));
        }
        let one = TiffEntry { count: 1, ..*e };
        Ok(self.uints(&one)?[0])
    }

    fn rational(&self, e: &TiffEntry) -> Result<f64, ImageError> {
        match e.typ {
            5 if e.count >= 1 => {
                let num = f64::from(self.u32(e.data_off)?);
                let den = f64::from(self.u32(e.data_off + 4)?);
                Ok(if den == 0.0 { 0.0 } else { num / den })
            }
            3 | 4 => Ok(self.first_uint(e)? as f64),
            _ => Err(damaged("TIFF resolution has an unexpected type")),
        }
    }
}

#[derive(Clone, Copy)]
struct TiffEntry {
    tag: u16,
    typ: u16,
    count: u64,
    data_off: u64,
}

/// The tags this module needs from one IFD.
#[derive(Default)]
struct IfdInfo {
    width: Option<u64>,
    height: Option<u64>,
    bits: u64,
    samples: u64,
    compression: u64,
    photometric: Option<u64>,
    fill_order: u64,
    t4_options: u64,
    strip_offsets: Vec<u64>,
    strip_counts: Vec<u64>,
    tiled: bool,
    x_res: Option<f64>,
    y_res: Option<f64>,
    res_unit: Option<u64>,
    orientation: u64,
}

impl IfdInfo {
    fn read(r: &TiffReader, entries: &[TiffEntry]) -> Result<Self, ImageError> {
        let mut info = IfdInfo {
            bits: 1,
            samples: 1,
            compression: 1,
            fill_order: 1,
            orientation: 1,
            ..Default::default()
        };
        for e in entries {
            match e.tag {
                256 => info.width = Some(r.first_uint(e)?),
                257 => info.height = Some(r.first_uint(e)?),
                258 => info.bits = r.first_uint(e)?,
                259 => info.compression = r.first_uint(e)?,
                262 => info.photometric = Some(r.first_uint(e)?),
                266 => info.fill_order = r.first_uint(e)?,
                273 => info.strip_offsets = r.uints(e)?,
                274 => info.orientation = r.first_uint(e)?,
                277 => info.samples = r.first_uint(e)?,
                279 => info.strip_counts = r.uints(e)?,
                282 => info.x_res = Some(r.rational(e)?),
                283 => info.y_res = Some(r.rational(e)?),
                292 => info.t4_options = r.first_uint(e)?,
                296 => info.res_unit = Some(r.first_uint(e)?),
                322..=325 => info.tiled = true,
                _ => {}
            }
        }
        Ok(info)
    }

    /// DPI from XResolution/YResolution; a missing unit tag means inch
    /// (TIFF 6.0 default), unit 1 means "no absolute unit".
    fn dpi(&self) -> Option<(f64, f64)> {
        let x = self.x_res?;
        let y = self.y_res.unwrap_or(x);
        match self.res_unit.unwrap_or(2) {
            2 => Some((x, y)),
            3 => Some((x * 2.54, y * 2.54)),
            _ => None,
        }
    }
}

/// EXIF Orientation → (page /Rotate, mirrored?).
fn orientation_rotate(o: u64) -> (i64, bool) {
    match o {
        3 => (180, false),
        6 => (90, false),
        8 => (270, false),
        2 | 4 | 5 | 7 => (0, true),
        _ => (0, false),
    }
}

// ---------------------------------------------------------------------------
// JPEG
// ---------------------------------------------------------------------------

struct JpegInfo {
    width: u32,
    height: u32,
    components: u8,
    adobe: bool,
    dpi: Option<(f64, f64)>,
    orientation: u64,
}

fn be16(b: &[u8], at: usize) -> Result<u16, ImageError> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or_else(|| damaged("truncated JPEG segment"))
}

/// Walk JPEG markers up to the first scan, reading frame size, JFIF density,
/// EXIF orientation/resolution and the Adobe marker. No pixels are decoded.
fn parse_jpeg(b: &[u8]) -> Result<JpegInfo, ImageError> {
    let mut pos = 2;
    let mut sof: Option<(u32, u32, u8)> = None;
    let mut jfif_dpi = None;
    let mut exif_dpi = None;
    let mut orientation = 1;
    let mut adobe = false;
    loop {
        if b.get(pos) != Some(&0xFF) {
            return Err(damaged(if pos >= b.len() {
                "JPEG ends before the first scan"
            } else {
                "JPEG marker expected"
            }));
        }
        while b.get(pos) == Some(&0xFF) {
            pos += 1; // fill bytes
        }
        let marker = *b
            .get(pos)
            .ok_or_else(|| damaged("JPEG ends inside a marker"))?;
        pos += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue, // no payload
            0xD8 | 0xD9 => return Err(damaged("JPEG has no scan before its end")),
            _ => {}
        }
        let len = usize::from(be16(b, pos)?);
        if len < 2 || pos + len > b.len() {
            return Err(damaged("truncated JPEG segment"));
        }
        let seg = &b[pos + 2..pos + len];
        match marker {
            0xC3 | 0xC7 | 0xCB | 0xCF => {
                return Err(ImageError::Unsupported("lossless JPEG".into()));
            }
            0xC9 | 0xCA | 0xCD | 0xCE => {
                return Err(ImageError::Unsupported("arithmetic-coded JPEG".into()));
            }
            0xC0 | 0xC1 | 0xC2 | 0xC5 | 0xC6 => {
                if seg.len() < 6 {
                    return Err(damaged("short JPEG frame header"));
                }
                if seg[0] != 8 {
                    return Err(ImageError::Unsupported(format!("{}-bit JPEG", seg[0])));
                }
                let h = u32::from(be16(seg, 1)?);
                let w = u32::from(be16(seg, 3)?);
                sof = Some((w, h, seg[5]));
            }
            0xE0 if seg.starts_with(b"JFIF\0") && seg.len() >= 12 => {
                let (xd, yd) = (f64::from(be16(seg, 8)?), f64::from(be16(seg, 10)?));
                jfif_dpi = match seg[7] {
                    1 => Some((xd, yd)),
                    2 => Some((xd * 2.54, yd * 2.54)),
                    _ => None, // aspect ratio only
                };
            }
            0xE1 if seg.starts_with(b"Exif\0\0") => {
                // A broken EXIF block must not sink an otherwise good JPEG.
                if let Ok((o, dpi)) = parse_exif(&seg[6..]) {
                    orientation = o;
                    exif_dpi = dpi;
                }
            }
            0xEE if seg.starts_with(b"Adobe") => adobe = true,
            0xDA => break,
            _ => {}
        }
        pos += len;
    }
    let (width, height, components) = sof.ok_or_else(|| damaged("JPEG has no frame header"))?;
    if height == 0 {
        return Err(ImageError::Unsupported(
            "JPEG with height defined by DNL marker".into(),
        ));
    }
    if !matches!(components, 1 | 3 | 4) {
        return Err(ImageError::Unsupported(format!(
            "JPEG with {components} colour components"
        )));
    }
    Ok(JpegInfo {
        width,
        height,
        components,
        adobe,
        dpi: plausible_dpi(jfif_dpi).or(exif_dpi),
        orientation,
    })
}

/// Orientation and resolution from the EXIF IFD0.
fn parse_exif(tiff: &[u8]) -> Result<(u64, Option<(f64, f64)>), ImageError> {
    let (r, first) = TiffReader::new(tiff)?;
    let (entries, _) = r.ifd(first)?;
    let mut info = IfdInfo::read(&r, &entries)?;
    if !entries.iter().any(|e| e.tag == 274) {
        info.orientation = 1;
    }
    Ok((info.orientation, info.dpi()))
}

fn jpeg_page(
    bytes: &[u8],
    limits: &ImageLimits,
    warnings: &mut Vec<String>,
) -> Result<PageImage, ImageError> {
    let info = parse_jpeg(bytes)?;
    check_pixels(info.width, info.height, limits)?;
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        warnings.push("JPEG has no end-of-image marker; it may be truncated".into());
    }
    let (rotate, mirrored) = orientation_rotate(info.orientation);
    if mirrored {
        // PDF /Rotate cannot mirror, so these (rare) files are re-encoded.
        let mut img = decode_with_image(bytes, image::ImageFormat::Jpeg, limits)?;
        if let Some(o) = image::metadata::Orientation::from_exif(info.orientation as u8) {
            img.apply_orientation(o);
        }
        let raw = dynamic_to_raw(img);
        warnings.push(format!(
            "mirrored EXIF orientation {}: JPEG decoded and re-encoded losslessly as Flate",
            info.orientation
        ));
        // A 90° mirror swaps the axes, and with them the resolutions.
        let dpi = match (info.dpi, info.orientation) {
            (Some((x, y)), 5 | 7) => Some((y, x)),
            (d, _) => d,
        };
        return Ok(PageImage {
            width: raw.width,
            height: raw.height,
            xobject: raw_to_xobject(&raw)?,
            dpi,
            rotate: 0,
            embedding: "flate",
        });
    }
    let cs = match info.components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        _ => "DeviceCMYK",
    };
    let mut dict = base_image_dict(info.width, info.height, cs, 8);
    dict.set("Filter", "DCTDecode");
    if info.components == 4 && info.adobe {
        // Adobe (Photoshop) writes CMYK JPEGs inverted.
        let d: Vec<Object> = [1, 0, 1, 0, 1, 0, 1, 0].iter().map(|&v| v.into()).collect();
        dict.set("Decode", d);
    }
    Ok(PageImage {
        xobject: image_stream(dict, bytes.to_vec()),
        width: info.width,
        height: info.height,
        dpi: info.dpi,
        rotate,
        embedding: "dct",
    })
}

// ---------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------

fn png_page(
    bytes: &[u8],
    limits: &ImageLimits,
    warnings: &mut Vec<String>,
) -> Result<PageImage, ImageError> {
    let be32 = |at: usize| -> Result<u32, ImageError> {
        bytes
            .get(at..at + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
            .ok_or_else(|| damaged("truncated PNG"))
    };
    let mut pos = 8;
    let mut ihdr: Option<&[u8]> = None;
    let mut idat = Vec::new();
    let mut dpi = None;
    let mut has_trns = false;
    let mut has_iend = false;
    while pos < bytes.len() {
        let len = be32(pos)? as usize;
        let typ = bytes
            .get(pos + 4..pos + 8)
            .ok_or_else(|| damaged("truncated PNG"))?;
        let data = pos
            .checked_add(8 + len)
            .and_then(|end| bytes.get(pos + 8..end))
            .ok_or_else(|| damaged("truncated PNG chunk"))?;
        match typ {
            b"IHDR" if data.len() >= 13 => ihdr = Some(data),
            b"IDAT" => idat.extend_from_slice(data),
            b"tRNS" => has_trns = true,
            b"pHYs" if data.len() >= 9 && data[8] == 1 => {
                let ppm = |s: &[u8]| f64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
                dpi = Some((ppm(&data[0..4]) * 0.0254, ppm(&data[4..8]) * 0.0254));
            }
            b"IEND" => {
                has_iend = true;
                break;
            }
            _ => {}
        }
        pos += 12 + len;
    }
    let h = ihdr.ok_or_else(|| damaged("PNG has no header"))?;
    let width = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let height = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let (depth, color, interlace) = (h[8], h[9], h[12]);
    check_pixels(width, height, limits)?;
    if idat.is_empty() {
        return Err(damaged("PNG has no image data"));
    }
    if !has_iend {
        warnings.push("PNG has no IEND chunk; it may be truncated".into());
    }
    let colors: u8 = match (color, depth) {
        (0, 1 | 2 | 4 | 8) => 1,
        (2, 8) => 3,
        _ => 0,
    };
    if colors != 0
        && interlace == 0
        && !has_trns
        && idat_is_complete(&idat, width, height, colors, depth)
    {
        let cs = if colors == 1 {
            "DeviceGray"
        } else {
            "DeviceRGB"
        };
        let mut dict = base_image_dict(width, height, cs, depth);
        dict.set("Filter", "FlateDecode");
        dict.set(
            "DecodeParms",
            dictionary! {
                "Predictor" => 15,
                "Colors" => i64::from(colors),
                "BitsPerComponent" => i64::from(depth),
                "Columns" => i64::from(width),
            },
        );
        return Ok(PageImage {
            xobject: image_stream(dict, idat),
            width,
            height,
            dpi,
            rotate: 0,
            embedding: "flate-predictor",
        });
    }
    let raw = dynamic_to_raw(decode_with_image(bytes, image::ImageFormat::Png, limits)?);
    Ok(PageImage {
        xobject: raw_to_xobject(&raw)?,
        width: raw.width,
        height: raw.height,
        dpi,
        rotate: 0,
        embedding: "flate",
    })
}

/// True when the IDAT zlib stream inflates to exactly the expected filtered
/// scanlines with valid filter bytes — only then is it safe to pass through.
fn idat_is_complete(idat: &[u8], w: u32, h: u32, colors: u8, depth: u8) -> bool {
    let row = (u64::from(w) * u64::from(colors) * u64::from(depth)).div_ceil(8) + 1;
    let expected = row * u64::from(h);
    let mut out = Vec::new();
    // Read one byte more than expected to detect excess data (and stop bombs).
    let mut dec = flate2::read::ZlibDecoder::new(idat).take(expected + 1);
    if dec.read_to_end(&mut out).is_err() || out.len() as u64 != expected {
        return false;
    }
    out.chunks(row as usize).all(|r| r[0] <= 4)
}

// ---------------------------------------------------------------------------
// TIFF
// ---------------------------------------------------------------------------

fn tiff_pages(
    bytes: &[u8],
    limits: &ImageLimits,
    warnings: &mut Vec<String>,
) -> Result<Vec<PageImage>, ImageError> {
    let (r, first) = TiffReader::new(bytes)?;
    // Walk the IFD chain first: page limit and loop detection before any work.
    let mut offsets = Vec::new();
    let mut off = first;
    while off != 0 {
        if offsets.contains(&off) {
            warnings.push("TIFF IFD chain loops; extra pages ignored".into());
            break;
        }
        if offsets.len() as u64 >= u64::from(limits.max_pages) {
            return Err(ImageError::OverLimit {
                what: "page",
                limit: u64::from(limits.max_pages),
                actual: offsets.len() as u64 + 1,
            });
        }
        let (_, next) = r.ifd(off)?;
        offsets.push(off);
        off = next;
    }
    if offsets.is_empty() {
        return Err(damaged("TIFF has no images"));
    }
    let mut infos = Vec::with_capacity(offsets.len());
    for &o in &offsets {
        let (entries, _) = r.ifd(o)?;
        let info = IfdInfo::read(&r, &entries)?;
        let w = info
            .width
            .ok_or_else(|| damaged("TIFF page without width"))?;
        let h = info
            .height
            .ok_or_else(|| damaged("TIFF page without height"))?;
        let (w, h) = (
            u32::try_from(w).map_err(|_| damaged("TIFF width too large"))?,
            u32::try_from(h).map_err(|_| damaged("TIFF height too large"))?,
        );
        check_pixels(w, h, limits)?;
        if info.compression == 6 {
            return Err(ImageError::Unsupported(
                "TIFF with old-style JPEG compression (6)".into(),
            ));
        }
        infos.push((info, w, h));
    }
    let mut pages = Vec::with_capacity(infos.len());
    for (idx, (info, w, h)) in infos.iter().enumerate() {
        let (rotate, mirrored) = orientation_rotate(info.orientation);
        if mirrored {
            warnings.push(format!(
                "page {}: mirrored TIFF orientation {} ignored",
                idx + 1,
                info.orientation
            ));
        }
        let (xobject, embedding, width, height) = match ccitt_xobject(&r, info, *w, *h)? {
            Some(x) => (x, "ccitt", *w, *h),
            None => {
                let raw = decode_tiff_page(bytes, idx, limits)?;
                (raw_to_xobject(&raw)?, "flate", raw.width, raw.height)
            }
        };
        pages.push(PageImage {
            xobject,
            width,
            height,
            dpi: info.dpi(),
            rotate,
            embedding,
        });
    }
    Ok(pages)
}

/// Pass CCITT fax data through when PDF's CCITTFaxDecode can read it as is.
/// Returns None when the page must be decoded instead.
fn ccitt_xobject(
    r: &TiffReader,
    info: &IfdInfo,
    w: u32,
    h: u32,
) -> Result<Option<Stream>, ImageError> {
    let simple = matches!(info.compression, 2..=4)
        && !info.tiled
        && info.fill_order == 1
        && info.bits == 1
        && info.samples == 1
        && matches!(info.photometric, Some(0 | 1))
        && !info.strip_offsets.is_empty()
        && info.strip_offsets.len() == info.strip_counts.len();
    // G4 strips each restart from an imaginary white line, so concatenating
    // them would corrupt every strip after the first. G3/MH lines are
    // independent of earlier strips, so their strips join cleanly.
    if !simple || (info.compression == 4 && info.strip_offsets.len() > 1) {
        return Ok(None);
    }
    let mut data = Vec::new();
    for (&o, &n) in info.strip_offsets.iter().zip(&info.strip_counts) {
        data.extend_from_slice(r.bytes(o, n)?);
    }
    let mut parms = dictionary! {
        "Columns" => i64::from(w),
        "Rows" => i64::from(h),
    };
    match info.compression {
        4 => parms.set("K", -1),
        3 => {
            // T4Options bit 0: 2-D coding; bit 2: fill bits before EOL.
            parms.set("K", if info.t4_options & 1 != 0 { 1 } else { 0 });
            parms.set("EndOfLine", true);
            if info.t4_options & 4 != 0 {
                parms.set("EncodedByteAlign", true);
            }
        }
        _ => {
            // Compression 2 (Modified Huffman): 1-D, no EOLs, rows byte-aligned.
            parms.set("K", 0);
            parms.set("EncodedByteAlign", true);
        }
    }
    // CCITT codes name runs "white" and "black"; the decoder writes white as 1
    // unless BlackIs1. TIFF fax readers (libtiff) store white runs as 0 bits
    // and let PhotometricInterpretation say what 0 means: WhiteIsZero (0)
    // keeps white runs white, so the default is right; BlackIsZero (1) shows
    // "white" runs as black, which BlackIs1 true reproduces.
    if info.photometric == Some(1) {
        parms.set("BlackIs1", true);
    }
    let mut dict = base_image_dict(w, h, "DeviceGray", 1);
    dict.set("Filter", "CCITTFaxDecode");
    dict.set("DecodeParms", parms);
    Ok(Some(image_stream(dict, data)))
}

fn tiff_err(e: tiff::TiffError) -> ImageError {
    match e {
        tiff::TiffError::UnsupportedError(u) => ImageError::Unsupported(format!("TIFF: {u}")),
        other => damaged(format!("TIFF decoding failed: {other}")),
    }
}

/// Decode one TIFF page (IFD index) to 8-bit gray/RGB, or 1-bit gray.
fn decode_tiff_page(
    bytes: &[u8],
    idx: usize,
    limits: &ImageLimits,
) -> Result<RawImage, ImageError> {
    use tiff::ColorType as T;
    use tiff::decoder::{Decoder, DecodingResult as D, Limits};
    let mut tl = Limits::default();
    let budget = usize::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    tl.decoding_buffer_size = budget;
    tl.intermediate_buffer_size = budget;
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_err)?
        .with_limits(tl);
    dec.seek_to_image(idx).map_err(tiff_err)?;
    let (width, height) = dec.dimensions().map_err(tiff_err)?;
    let ct = dec.colortype().map_err(tiff_err)?;
    let result = dec.read_image().map_err(tiff_err)?;
    let raw = |data: Vec<u8>, color_space, bpc| RawImage {
        data,
        width,
        height,
        color_space,
        bpc,
    };
    let hi = |v: Vec<u16>| v.into_iter().map(|s| (s >> 8) as u8).collect::<Vec<u8>>();
    let flatten = |v: Vec<u8>, n: usize| -> Vec<u8> {
        v.chunks_exact(n)
            .flat_map(|p| {
                let a = p[n - 1];
                p[..n - 1].iter().map(move |&c| over_white(c, a))
            })
            .collect()
    };
    Ok(match (ct, result) {
        (T::Gray(1), D::U8(v)) => raw(v, "DeviceGray", 1),
        (T::Gray(8), D::U8(v)) => raw(v, "DeviceGray", 8),
        (T::Gray(16), D::U16(v)) => raw(hi(v), "DeviceGray", 8),
        (T::RGB(8), D::U8(v)) => raw(v, "DeviceRGB", 8),
        (T::RGB(16), D::U16(v)) => raw(hi(v), "DeviceRGB", 8),
        (T::GrayA(8), D::U8(v)) => raw(flatten(v, 2), "DeviceGray", 8),
        (T::RGBA(8), D::U8(v)) => raw(flatten(v, 4), "DeviceRGB", 8),
        (T::RGBA(16), D::U16(v)) => raw(flatten(hi(v), 4), "DeviceRGB", 8),
        (T::CMYK(8), D::U8(v)) => raw(v, "DeviceCMYK", 8),
        (ct, _) => {
            return Err(ImageError::Unsupported(format!(
                "TIFF colour type {ct:?} on page {}",
                idx + 1
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pdf: &[u8]) -> Document {
        Document::load_mem(pdf).expect("output must parse")
    }

    fn png_bytes(img: image::DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encode png");
        out.into_inner()
    }

    fn jpeg_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 5) as u8, 128])
        }));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg)
            .expect("encode jpeg");
        out.into_inner()
    }

    /// Insert an EXIF APP1 with only an Orientation tag right after SOI.
    fn with_orientation(jpeg: &[u8], o: u8) -> Vec<u8> {
        let mut exif = b"Exif\0\0MM\0*\0\0\0\x08\0\x01".to_vec();
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0]);
        let len = (exif.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&exif);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn tiff_gray(w: u32, h: u32) -> Vec<u8> {
        let img = image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(w, h, |x, _| {
            image::Luma([(x * 3) as u8])
        }));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Tiff)
            .expect("encode tiff");
        out.into_inner()
    }

    fn first_page(doc: &Document) -> Dictionary {
        let id = *doc.get_pages().values().next().expect("a page");
        doc.get_dictionary(id).expect("page").clone()
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nxx"), Some(ImageFormat::Png));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(ImageFormat::Tiff));
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(
            sniff_unsupported(b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0"),
            Some("BMP")
        );
        assert_eq!(sniff_unsupported(b"GIF89a...."), Some("GIF"));
        assert_eq!(sniff_unsupported(b"RIFF\0\0\0\0WEBPVP8 "), Some("WebP"));
        assert_eq!(
            sniff_unsupported(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some("HEIC")
        );
        assert_eq!(
            sniff_unsupported(b"\0\0\0\x0CjP  \r\n\x87\n\0\0"),
            Some("JPEG 2000")
        );
        match image_to_pdf(b"GIF89a\x01\0\x01\0", &ImageLimits::default()) {
            Err(ImageError::Unsupported(m)) => assert_eq!(m, "GIF"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_jpeg_is_embedded_as_is_on_a4() {
        let jpeg = jpeg_bytes(40, 30);
        let c = image_to_pdf(&jpeg, &ImageLimits::default()).expect("convert");
        assert_eq!(c.embedding, ["dct"]);
        assert!(c.warnings.iter().any(|w| w.contains("A4")));
        let page = first_page(&load(&c.pdf));
        let mb = page
            .get(b"MediaBox")
            .and_then(Object::as_array)
            .expect("box");
        assert_eq!(mb[2].as_float().ok(), Some(842.0)); // landscape A4
    }

    #[test]
    fn exif_rotation_and_mirroring() {
        let jpeg = jpeg_bytes(40, 30);
        for (o, rot) in [(3, 180), (6, 90), (8, 270)] {
            let c = image_to_pdf(&with_orientation(&jpeg, o), &ImageLimits::default())
                .expect("convert");
            assert_eq!(c.embedding, ["dct"]);
            let page = first_page(&load(&c.pdf));
            assert_eq!(page.get(b"Rotate").and_then(Object::as_i64).ok(), Some(rot));
        }
        let c =
            image_to_pdf(&with_orientation(&jpeg, 5), &ImageLimits::default()).expect("convert");
        assert_eq!(c.embedding, ["flate"]);
        assert!(c.warnings.iter().any(|w| w.contains("mirrored")));
        let doc = load(&c.pdf);
        // Orientation 5 transposes: the 40x30 image becomes 30x40.
        let img = doc
            .objects
            .values()
            .find_map(|o| o.as_stream().ok().filter(|s| s.dict.has(b"Width")))
            .expect("image");
        assert_eq!(
            img.dict.get(b"Width").and_then(Object::as_i64).ok(),
            Some(30)
        );
    }

    #[test]
    fn png_paths() {
        let rgb = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            9,
            5,
            image::Rgb([1, 2, 3]),
        ));
        let c = image_to_pdf(&png_bytes(rgb), &ImageLimits::default()).expect("rgb");
        assert_eq!(c.embedding, ["flate-predictor"]);
        let rgba = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            9,
            5,
            image::Rgba([0, 0, 0, 0]),
        ));
        let c = image_to_pdf(&png_bytes(rgba), &ImageLimits::default()).expect("rgba");
        assert_eq!(c.embedding, ["flate"]);
        let doc = load(&c.pdf);
        let img = doc
            .objects
            .values()
            .find_map(|o| o.as_stream().ok().filter(|s| s.dict.has(b"Width")))
            .expect("image");
        // Fully transparent black flattens to white.
        let px = img.decompressed_content().expect("inflate");
        assert!(px.iter().all(|&v| v == 255));
    }

    #[test]
    fn tiff_decoded_path() {
        let c = image_to_pdf(&tiff_gray(20, 10), &ImageLimits::default()).expect("tiff");
        assert_eq!(
            (c.pages, c.embedding.as_slice()),
            (1, &["flate".to_string()][..])
        );
    }

    #[test]
    fn limits_are_checked_from_headers() {
        let tiny = ImageLimits {
            max_pixels: 100,
            max_pages: 1,
        };
        for bytes in [jpeg_bytes(40, 30), tiff_gray(20, 10)] {
            match image_to_pdf(&bytes, &tiny) {
                Err(ImageError::OverLimit { actual, .. }) => assert!(actual > 100),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn deterministic_output() {
        let png = png_bytes(image::DynamicImage::ImageLuma8(image::GrayImage::new(7, 7)));
        let a = image_to_pdf(&png, &ImageLimits::default()).expect("a");
        let b = image_to_pdf(&png, &ImageLimits::default()).expect("b");
        assert_eq!(a.pdf, b.pdf);
    }

    /// Truncations and random bodies behind each magic must yield errors.
    #[test]
    fn hostile_input_never_panics() {
        let samples = [
            jpeg_bytes(40, 30),
            png_bytes(image::DynamicImage::ImageRgba8(image::RgbaImage::new(
                30, 20,
            ))),
            tiff_gray(30, 20),
        ];
        for s in &samples {
            assert!(image_to_pdf(&s[..100.min(s.len())], &ImageLimits::default()).is_err());
        }
        let magics: [&[u8]; 4] = [b"\xFF\xD8\xFF", b"\x89PNG\r\n\x1a\n", b"II*\0", b"MM\0*"];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            // xorshift64: deterministic noise without a rand dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        for round in 0..400 {
            let magic = magics[round % magics.len()];
            let mut b = magic.to_vec();
            b.extend((0..(round * 7 % 3000)).map(|_| next()));
            let _ = image_to_pdf(&b, &ImageLimits::default()); // must return
            // Also corrupt the tail of real files.
            let mut s = samples[round % 3].clone();
            let n = s.len();
            for i in (n / 3..n).step_by(1 + round % 11) {
                s[i] = next();
            }
            let _ = image_to_pdf(&s, &ImageLimits::default());
        }
    }
}
