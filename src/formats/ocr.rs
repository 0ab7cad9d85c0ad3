//! OCR for image-only scans: get each page's image out of the PDF (or let poppler
//! rasterise it), clean it up, fix orientation and skew, and run the Tesseract CLI.
//!
//! Tesseract runs as a child process (no C bindings: same speed, no clang or -dev
//! packages in CI) with `OMP_THREAD_LIMIT=1`, because OpenMP on 2 cores makes a page
//! about twice slower; throughput comes from OCRing two pages at a time instead.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use image::GrayImage;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

const INSTALL_HINT: &str = "apt-get install tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng";

#[derive(Debug, Clone)]
pub struct OcrConfig {
    pub tesseract: PathBuf,
    pub languages: String,
    pub page_timeout: Duration,
    pub max_pixels: u64,
    /// Rasterisation resolution for the `pdftoppm` fallback.
    pub dpi: u32,
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig {
            tesseract: PathBuf::from("tesseract"),
            languages: "rus+eng".to_string(),
            page_timeout: Duration::from_secs(120),
            max_pixels: 200_000_000,
            dpi: 300,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextSource {
    Layer,
    Ocr,
    None,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PageText {
    pub page: u32,
    pub source: TextSource,
    pub text: String,
    /// Mean word confidence, 0–100.
    pub confidence: Option<f32>,
    /// Clockwise degrees the page image was turned before OCR (0/90/180/270).
    pub rotation: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("tesseract is not available: {0}")]
    Unavailable(String),
    #[error("page {page}: image over the pixel limit ({pixels} > {limit})")]
    TooLarge { page: u32, pixels: u64, limit: u64 },
    #[error("page {0}: OCR took longer than {1:?}")]
    Timeout(u32, Duration),
    #[error("page {0}: {1}")]
    Failed(u32, String),
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

struct ChildOutput {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

enum RunError {
    Spawn(std::io::Error),
    Timeout,
    Wait(std::io::Error),
}

/// Pid of the last child killed on timeout, so a test can check it was reaped.
#[cfg(test)]
static LAST_KILLED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Runs a command to completion or kills it at the deadline; always reaps it.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<ChildOutput, RunError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let deadline = Instant::now() + timeout;
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    // Pipes are drained by threads: a child blocked on a full pipe would never exit.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        pipe.map(|mut p| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = p.read_to_end(&mut buf);
                buf
            })
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let mut nap = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {
                let now = Instant::now();
                if now >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    #[cfg(test)]
                    LAST_KILLED.store(child.id(), Ordering::SeqCst);
                    break Err(RunError::Timeout);
                }
                std::thread::sleep(nap.min(deadline - now));
                nap = (nap * 2).min(Duration::from_millis(25));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(RunError::Wait(e));
            }
        }
    };
    // The child is gone, so its pipes are closed and the readers finish.
    let stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = err.and_then(|h| h.join().ok()).unwrap_or_default();
    status.map(|status| ChildOutput {
        status,
        stdout,
        stderr,
    })
}

fn tesseract_cmd(cfg: &OcrConfig) -> Command {
    let mut cmd = Command::new(&cfg.tesseract);
    cmd.env("OMP_THREAD_LIMIT", "1");
    cmd
}

fn last_line(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

// ---------------------------------------------------------------------------
// Availability
// ---------------------------------------------------------------------------

/// Tesseract's version if it and the configured languages are installed.
pub fn check_tesseract(cfg: &OcrConfig) -> Result<String, String> {
    let t = Duration::from_secs(20);
    let mut cmd = tesseract_cmd(cfg);
    cmd.arg("--version");
    let out = match run_with_timeout(cmd, t) {
        Ok(o) => o,
        Err(RunError::Spawn(e)) => {
            return Err(format!(
                "cannot run {}: {e}; install it with `{INSTALL_HINT}`",
                cfg.tesseract.display()
            ));
        }
        Err(_) => {
            return Err(format!(
                "{} --version did not answer",
                cfg.tesseract.display()
            ));
        }
    };
    // Old versions print the version on stderr.
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tesseract "))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| format!("{} --version: unexpected output", cfg.tesseract.display()))?;
    let langs = installed_languages(cfg)?;
    let missing: Vec<&str> = cfg
        .languages
        .split('+')
        .map(str::trim)
        .filter(|l| !l.is_empty() && !langs.iter().any(|have| have == l))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "tesseract {version} lacks language data {}; install it with `{INSTALL_HINT}`",
            missing.join(", ")
        ));
    }
    Ok(version)
}

fn installed_languages(cfg: &OcrConfig) -> Result<Vec<String>, String> {
    let mut cmd = tesseract_cmd(cfg);
    cmd.arg("--list-langs");
    let out = run_with_timeout(cmd, Duration::from_secs(20))
        .map_err(|_| format!("{} --list-langs failed", cfg.tesseract.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The first line is "List of available languages in ...:".
    Ok(text
        .lines()
        .filter(|l| !l.contains(' ') && !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect())
}

/// Whether `osd.traineddata` is installed (Debian package tesseract-ocr-osd); cached
/// per binary because every page asks.
fn has_osd(cfg: &OcrConfig) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.lock()
        && let Some(&v) = map.get(&cfg.tesseract)
    {
        return v;
    }
    let v = installed_languages(cfg)
        .map(|l| l.iter().any(|x| x == "osd"))
        .unwrap_or(false);
    if let Ok(mut map) = cache.lock() {
        map.insert(cfg.tesseract.clone(), v);
    }
    v
}

// ---------------------------------------------------------------------------
// Page images
// ---------------------------------------------------------------------------

/// A PDF being OCRed: parsed once, written to a temp file only if poppler is needed.
struct PdfSource<'a> {
    bytes: &'a [u8],
    doc: Result<Document, String>,
    pages: std::collections::BTreeMap<u32, ObjectId>,
    file: OnceLock<Result<tempfile::NamedTempFile, String>>,
}

impl<'a> PdfSource<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let doc = Document::load_mem(bytes).map_err(|e| e.to_string());
        let pages = doc.as_ref().map(|d| d.get_pages()).unwrap_or_default();
        PdfSource {
            bytes,
            doc,
            pages,
            file: OnceLock::new(),
        }
    }

    fn path(&self) -> Result<&Path, String> {
        let file = self.file.get_or_init(|| {
            let mut f = tempfile::Builder::new()
                .suffix(".pdf")
                .tempfile()
                .map_err(|e| format!("temp file: {e}"))?;
            std::io::Write::write_all(&mut f, self.bytes).map_err(|e| format!("temp file: {e}"))?;
            Ok(f)
        });
        file.as_ref().map(|f| f.path()).map_err(Clone::clone)
    }

    fn image(&self, page: u32, cfg: &OcrConfig) -> Result<GrayImage, OcrError> {
        if let Ok(doc) = &self.doc {
            let Some(&page_id) = self.pages.get(&page) else {
                return Err(OcrError::Failed(
                    page,
                    format!("no such page (the PDF has {})", self.pages.len()),
                ));
            };
            if let Some(stream) = single_image(doc, page_id)
                && let Some(img) = decode_xobject(doc, stream, page, cfg)?
            {
                return Ok(img);
            }
            check_page_size(doc, page_id, page, cfg)?;
        }
        // lopdf could not parse it, or the page is not one plain image: poppler renders
        // anything, including JBIG2/JPX and broken files it can repair.
        let path = self.path().map_err(|e| OcrError::Failed(page, e))?;
        rasterise(path, page, cfg)
    }
}

/// One page's image, decoded to 8-bit gray.
pub fn page_image(pdf: &[u8], page: u32, cfg: &OcrConfig) -> Result<GrayImage, OcrError> {
    PdfSource::new(pdf).image(page, cfg)
}

fn deref<'d>(doc: &'d Document, o: &'d Object) -> &'d Object {
    doc.dereference(o).map(|(_, o)| o).unwrap_or(o)
}

fn dict_num(doc: &Document, d: &Dictionary, key: &[u8]) -> Option<f64> {
    match deref(doc, d.get(key).ok()?) {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(*r as f64),
        _ => None,
    }
}

fn dict_bool(doc: &Document, d: &Dictionary, key: &[u8]) -> bool {
    d.get(key)
        .ok()
        .and_then(|o| deref(doc, o).as_bool().ok())
        .unwrap_or(false)
}

/// The page's only image XObject, if the page is nothing but that image.
fn single_image(doc: &Document, page_id: ObjectId) -> Option<&Stream> {
    let (direct, ids) = doc.get_page_resources(page_id).ok()?;
    let resources = direct
        .into_iter()
        .chain(ids.iter().filter_map(|id| doc.get_dictionary(*id).ok()))
        .find(|r| r.has(b"XObject"))?;
    let xobjects = deref(doc, resources.get(b"XObject").ok()?).as_dict().ok()?;
    let mut image = None;
    for (_, v) in xobjects.iter() {
        let s = deref(doc, v).as_stream().ok()?;
        match s.dict.get(b"Subtype").and_then(Object::as_name).ok()? {
            b"Image" if image.is_none() => image = Some(s),
            // A second image or a form: the page is a composition, let poppler draw it.
            _ => return None,
        }
    }
    // A page that also draws text (e.g. a mojibake layer over a letterhead image)
    // must be rendered whole.
    let content = doc.get_page_content(page_id);
    let ops = lopdf::content::Content::decode(&content).ok()?;
    if ops
        .operations
        .iter()
        .any(|op| matches!(op.operator.as_str(), "Tj" | "TJ" | "'" | "\"" | "BI"))
    {
        return None;
    }
    image
}

/// Decodes an image XObject; `Ok(None)` when the encoding is not one we handle
/// (JBIG2, JPX, Indexed, G3 2-D, …) so the caller falls back to poppler.
fn decode_xobject(
    doc: &Document,
    s: &Stream,
    page: u32,
    cfg: &OcrConfig,
) -> Result<Option<GrayImage>, OcrError> {
    let d = &s.dict;
    let (Some(w), Some(h)) = (dict_num(doc, d, b"Width"), dict_num(doc, d, b"Height")) else {
        return Ok(None);
    };
    if w < 1.0 || h < 1.0 || w > u32::MAX as f64 || h > u32::MAX as f64 {
        return Ok(None);
    }
    let (w, h) = (w as u32, h as u32);
    // Checked before anything is decoded: a few KB of G4 can describe a gigapixel.
    let pixels = w as u64 * h as u64;
    if pixels > cfg.max_pixels {
        return Err(OcrError::TooLarge {
            page,
            pixels,
            limit: cfg.max_pixels,
        });
    }
    let filters: Vec<Vec<u8>> = s
        .filters()
        .map(|f| f.into_iter().map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    let invert = decode_is_inverted(doc, d);
    let last = filters.last().map(Vec::as_slice);
    let img = match last {
        Some(b"DCTDecode" | b"DCT") if filters.len() == 1 => decode_jpeg(&s.content, pixels),
        Some(b"CCITTFaxDecode" | b"CCF") if filters.len() == 1 => decode_ccitt(doc, s, w, h),
        None | Some(b"FlateDecode" | b"Fl" | b"LZWDecode" | b"LZW") => decode_raw(doc, s, w, h),
        _ => None,
    };
    Ok(img.map(|mut img| {
        if invert {
            image::imageops::invert(&mut img);
        }
        img
    }))
}

/// `/Decode [1 0]` (first pair reversed) means the samples are stored inverted.
fn decode_is_inverted(doc: &Document, d: &Dictionary) -> bool {
    let Some(Object::Array(a)) = d.get(b"Decode").ok().map(|o| deref(doc, o)) else {
        return false;
    };
    let num = |o: Option<&Object>| match o.map(|o| deref(doc, o)) {
        Some(Object::Integer(i)) => Some(*i as f64),
        Some(Object::Real(r)) => Some(*r as f64),
        _ => None,
    };
    matches!((num(a.first()), num(a.get(1))), (Some(lo), Some(hi)) if lo > hi)
}

fn decode_jpeg(data: &[u8], pixels: u64) -> Option<GrayImage> {
    let mut reader = image::ImageReader::with_format(Cursor::new(data), image::ImageFormat::Jpeg);
    // The JPEG header could claim more than the PDF dictionary did.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(pixels.saturating_mul(4).saturating_add(1 << 20));
    reader.limits(limits);
    match reader.decode() {
        Ok(img) => Some(img.to_luma8()),
        Err(e) => {
            tracing::debug!("JPEG decode failed, falling back to poppler: {e}");
            None
        }
    }
}

fn decode_ccitt(doc: &Document, s: &Stream, w: u32, h: u32) -> Option<GrayImage> {
    let parms = s.dict.get(b"DecodeParms").ok().map(|o| deref(doc, o));
    let parms = match parms {
        Some(Object::Dictionary(p)) => Some(p),
        Some(Object::Array(a)) => a.first().and_then(|o| deref(doc, o).as_dict().ok()),
        _ => None,
    };
    let empty = Dictionary::new();
    let p = parms.unwrap_or(&empty);
    let k = dict_num(doc, p, b"K").unwrap_or(0.0);
    let columns = dict_num(doc, p, b"Columns").unwrap_or(1728.0);
    let rows = dict_num(doc, p, b"Rows")
        .filter(|r| *r > 0.0)
        .unwrap_or(h as f64);
    let black_is_1 = dict_bool(doc, p, b"BlackIs1");
    // fax works in u16 coordinates.
    if !(1.0..=65535.0).contains(&columns) || !(1.0..=65535.0).contains(&rows) {
        return None;
    }
    let (cols, rows) = (columns as u16, rows as u16);
    // A white run decodes to 1 bits (white in DeviceGray) unless BlackIs1 flips it.
    let (white, black) = if black_is_1 { (0u8, 255u8) } else { (255, 0) };
    let (wu, hu) = (w as usize, h as usize);
    let mut buf = vec![white; wu * hu];
    let mut y = 0usize;
    let mut put_line = |transitions: &[u16]| {
        if y >= hu {
            return;
        }
        let row = &mut buf[y * wu..(y + 1) * wu];
        let mut x = 0usize;
        let mut colour = white;
        for &t in transitions {
            let t = (t as usize).min(wu);
            if t > x {
                row[x..t].fill(colour);
                x = t;
            }
            colour = if colour == white { black } else { white };
        }
        if x < wu {
            row[x..].fill(colour);
        }
        y += 1;
    };
    let ok = if k < 0.0 {
        fax::decoder::decode_g4(s.content.iter().copied(), cols, Some(rows), &mut put_line)
    } else if k == 0.0 {
        fax::decoder::decode_g3(s.content.iter().copied(), &mut put_line)
    } else {
        // Mixed 1-D/2-D Group 3 is not in fax 0.2.
        None
    };
    // A truncated stream still gives a usable page if most lines came out.
    if ok.is_none() && y < hu * 9 / 10 {
        tracing::debug!("CCITT decode failed after {y} of {hu} lines");
        return None;
    }
    GrayImage::from_raw(w, h, buf)
}

/// Component count of a colour space we can turn into gray, or None.
fn components(doc: &Document, d: &Dictionary) -> Option<u32> {
    if dict_bool(doc, d, b"ImageMask") {
        return Some(1);
    }
    let cs = deref(doc, d.get(b"ColorSpace").ok()?);
    let name = match cs {
        Object::Name(n) => n.as_slice(),
        Object::Array(a) => match a.first().map(|o| deref(doc, o)) {
            Some(Object::Name(n)) => n.as_slice(),
            _ => return None,
        },
        _ => return None,
    };
    match name {
        b"DeviceGray" | b"G" | b"CalGray" => Some(1),
        b"DeviceRGB" | b"RGB" | b"CalRGB" => Some(3),
        b"DeviceCMYK" | b"CMYK" => Some(4),
        b"ICCBased" => {
            let Object::Array(a) = cs else { return None };
            let icc = deref(doc, a.get(1)?).as_stream().ok()?;
            dict_num(doc, &icc.dict, b"N").map(|n| n as u32)
        }
        _ => None,
    }
}

fn decode_raw(doc: &Document, s: &Stream, w: u32, h: u32) -> Option<GrayImage> {
    let comps = components(doc, &s.dict)?;
    let bpc = if dict_bool(doc, &s.dict, b"ImageMask") {
        1
    } else {
        dict_num(doc, &s.dict, b"BitsPerComponent").unwrap_or(8.0) as u32
    };
    if !matches!(bpc, 1 | 2 | 4 | 8 | 16) || !matches!(comps, 1 | 3 | 4) {
        return None;
    }
    let row_bytes = (w as usize * comps as usize * bpc as usize).div_ceil(8);
    let need = row_bytes * h as usize;
    let data = match s.filters() {
        Ok(f) if !f.is_empty() => s.decompressed_content_with_limit(need + 4096).ok()?,
        _ => s.content.clone(),
    };
    if data.len() < need {
        tracing::debug!("image data short: {} < {need}", data.len());
        return None;
    }
    let (wu, hu) = (w as usize, h as usize);
    let mut out = vec![0u8; wu * hu];
    if comps == 1 && bpc == 8 {
        for (dst, src) in out.chunks_exact_mut(wu).zip(data.chunks_exact(row_bytes)) {
            dst.copy_from_slice(&src[..wu]);
        }
        return GrayImage::from_raw(w, h, out);
    }
    let max = ((1u32 << bpc) - 1) as f32;
    let sample = |row: &[u8], i: usize| -> f32 {
        let v = match bpc {
            8 => row[i] as u32,
            16 => (row[2 * i] as u32) << 8 | row[2 * i + 1] as u32,
            _ => {
                let bit = i * bpc as usize;
                let byte = row[bit / 8] as u32;
                (byte >> (8 - bpc as usize - bit % 8)) & ((1 << bpc) - 1)
            }
        };
        v as f32 / max
    };
    for (dst, src) in out.chunks_exact_mut(wu).zip(data.chunks_exact(row_bytes)) {
        for (x, p) in dst.iter_mut().enumerate() {
            let i = x * comps as usize;
            let g = match comps {
                1 => sample(src, i),
                3 => {
                    0.299 * sample(src, i) + 0.587 * sample(src, i + 1) + 0.114 * sample(src, i + 2)
                }
                _ => {
                    let k = 1.0 - sample(src, i + 3);
                    let r = (1.0 - sample(src, i)) * k;
                    let g = (1.0 - sample(src, i + 1)) * k;
                    let b = (1.0 - sample(src, i + 2)) * k;
                    0.299 * r + 0.587 * g + 0.114 * b
                }
            };
            *p = (g * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    GrayImage::from_raw(w, h, out)
}

/// Refuses pages whose rendering at `cfg.dpi` would exceed the pixel limit.
fn check_page_size(
    doc: &Document,
    page_id: ObjectId,
    page: u32,
    cfg: &OcrConfig,
) -> Result<(), OcrError> {
    // MediaBox is inheritable: walk up the page tree (bounded against cycles).
    let mut node = doc.get_dictionary(page_id).ok();
    for _ in 0..32 {
        let Some(d) = node else { break };
        if let Ok(Object::Array(b)) = d.get(b"MediaBox").map(|o| deref(doc, o)) {
            let n: Vec<f64> = b
                .iter()
                .filter_map(|o| match deref(doc, o) {
                    Object::Integer(i) => Some(*i as f64),
                    Object::Real(r) => Some(*r as f64),
                    _ => None,
                })
                .collect();
            if n.len() == 4 {
                let scale = cfg.dpi as f64 / 72.0;
                let px = ((n[2] - n[0]).abs() * scale) * ((n[3] - n[1]).abs() * scale);
                if px > cfg.max_pixels as f64 {
                    return Err(OcrError::TooLarge {
                        page,
                        pixels: px as u64,
                        limit: cfg.max_pixels,
                    });
                }
            }
            return Ok(());
        }
        node = d
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .ok();
    }
    Ok(())
}

/// Renders one page with poppler's `pdftoppm` into a gray PGM.
fn rasterise(pdf: &Path, page: u32, cfg: &OcrConfig) -> Result<GrayImage, OcrError> {
    let fail = |m: String| OcrError::Failed(page, m);
    let dir = tempfile::tempdir().map_err(|e| fail(format!("temp dir: {e}")))?;
    let prefix = dir.path().join("page");
    let mut cmd = Command::new("pdftoppm");
    cmd.arg("-r")
        .arg(cfg.dpi.to_string())
        .arg("-gray")
        .arg("-f")
        .arg(page.to_string())
        .arg("-l")
        .arg(page.to_string())
        .arg("-singlefile")
        .arg(pdf)
        .arg(&prefix);
    let out = match run_with_timeout(cmd, cfg.page_timeout) {
        Ok(o) => o,
        Err(RunError::Timeout) => return Err(OcrError::Timeout(page, cfg.page_timeout)),
        Err(RunError::Spawn(e)) => {
            return Err(fail(format!(
                "cannot run pdftoppm ({e}); install poppler-utils"
            )));
        }
        Err(RunError::Wait(e)) => return Err(fail(format!("pdftoppm: {e}"))),
    };
    if !out.status.success() {
        return Err(fail(format!("pdftoppm failed: {}", last_line(&out.stderr))));
    }
    let bytes = std::fs::read(prefix.with_extension("pgm"))
        .map_err(|e| fail(format!("pdftoppm produced no image: {e}")))?;
    parse_pgm(&bytes, page, cfg.max_pixels)
}

/// Parses a binary 8-bit PGM (P5), what `pdftoppm -gray` writes.
fn parse_pgm(bytes: &[u8], page: u32, max_pixels: u64) -> Result<GrayImage, OcrError> {
    let fail = |m: &str| OcrError::Failed(page, format!("bad PGM from pdftoppm: {m}"));
    let mut fields = Vec::with_capacity(4);
    let mut i = 0;
    while fields.len() < 4 {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'#') {
            if bytes[i] == b'#' {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if start == i {
            return Err(fail("truncated header"));
        }
        fields.push(&bytes[start..i]);
    }
    i += 1; // the single whitespace byte before the raster
    if fields[0] != b"P5" {
        return Err(fail("not P5"));
    }
    let num = |f: &[u8]| {
        std::str::from_utf8(f)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| fail("bad number"))
    };
    let (w, h, maxval) = (num(fields[1])?, num(fields[2])?, num(fields[3])?);
    if maxval != 255 {
        return Err(fail("not 8-bit"));
    }
    let pixels = w as u64 * h as u64;
    if pixels > max_pixels {
        return Err(OcrError::TooLarge {
            page,
            pixels,
            limit: max_pixels,
        });
    }
    let raster = bytes
        .get(i..i + pixels as usize)
        .ok_or_else(|| fail("truncated raster"))?;
    GrayImage::from_raw(w, h, raster.to_vec()).ok_or_else(|| fail("size mismatch"))
}

// ---------------------------------------------------------------------------
// Image clean-up
// ---------------------------------------------------------------------------

/// Stretches the ink-to-paper range to 0–255 and clips the paper to white, which
/// removes most of the background grain that can make Tesseract return nothing.
fn normalise(img: &GrayImage) -> GrayImage {
    let mut hist = [0u64; 256];
    for &p in img.as_raw() {
        hist[p as usize] += 1;
    }
    let total = img.as_raw().len() as u64;
    let percentile = |q: f64| {
        let target = (total as f64 * q) as u64;
        let mut acc = 0;
        for (v, &n) in hist.iter().enumerate() {
            acc += n;
            if acc > target {
                return v as i32;
            }
        }
        255
    };
    let lo = percentile(0.005);
    // Text pages are mostly paper, so the median is the paper tone; the grain
    // around it is clipped to white.
    let hi = percentile(0.5);
    if hi - lo < 32 {
        return img.clone();
    }
    let lut: Vec<u8> = (0..256)
        .map(|v| ((v - lo) * 255 / (hi - lo)).clamp(0, 255) as u8)
        .collect();
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = lut[*p as usize];
    }
    out
}

/// Share of isolated dark specks: pixels much darker than all four neighbours.
fn speck_ratio(img: &GrayImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let px = img.as_raw();
    let mut specks = 0u64;
    let mut seen = 0u64;
    // Every other row is plenty for a ratio.
    for y in (1..h - 1).step_by(2) {
        for x in 1..w - 1 {
            let c = px[y * w + x] as i32;
            let n = [
                px[y * w + x - 1],
                px[y * w + x + 1],
                px[(y - 1) * w + x],
                px[(y + 1) * w + x],
            ];
            seen += 1;
            if n.iter().all(|&v| v as i32 - c > 60) {
                specks += 1;
            }
        }
    }
    specks as f64 / seen.max(1) as f64
}

/// 3×3 median filter (edges copied). Sorts each column triple once per row and
/// combines them (max of minima, median of medians, min of maxima): ~10× faster
/// than sorting nine values per pixel.
fn median3(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return img.clone();
    }
    let src = img.as_raw();
    let mut out = src.clone();
    let med = |a: u8, b: u8, c: u8| a.max(b).min(a.min(b).max(c));
    let (mut lo, mut mid, mut hi) = (vec![0u8; w], vec![0u8; w], vec![0u8; w]);
    for y in 1..h - 1 {
        let (r0, r1, r2) = (
            &src[(y - 1) * w..y * w],
            &src[y * w..(y + 1) * w],
            &src[(y + 1) * w..(y + 2) * w],
        );
        for x in 0..w {
            let (a, b, c) = (r0[x], r1[x], r2[x]);
            lo[x] = a.min(b).min(c);
            hi[x] = a.max(b).max(c);
            mid[x] = med(a, b, c);
        }
        let row = &mut out[y * w..(y + 1) * w];
        for x in 1..w - 1 {
            let l = lo[x - 1].max(lo[x]).max(lo[x + 1]);
            let m = med(mid[x - 1], mid[x], mid[x + 1]);
            let u = hi[x - 1].min(hi[x]).min(hi[x + 1]);
            row[x] = med(l, m, u);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_else(|| img.clone())
}

/// Dark pixels of a ~800 px wide block-averaged copy, centred coordinates.
fn dark_points(img: &GrayImage) -> Vec<(f32, f32)> {
    let f = (img.width().max(img.height()) / 1000).max(1);
    let (w, h) = (img.width() / f, img.height() / f);
    let mut pts = Vec::new();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    for y in 0..h {
        for x in 0..w {
            // Block average, so thin strokes survive the downscale.
            let mut sum = 0u32;
            for yy in 0..f {
                for xx in 0..f {
                    sum += img.get_pixel(x * f + xx, y * f + yy)[0] as u32;
                }
            }
            if sum / (f * f) < 128 {
                pts.push((x as f32 - cx, y as f32 - cy));
            }
        }
    }
    pts
}

/// Best angle within ±3° for rows of the points, and how peaky that row profile is
/// (sum of squared bin counts per point: high when the points form lines).
fn skew_search(pts: &[(f32, f32)]) -> (f32, f64) {
    if pts.len() < 100 {
        return (0.0, 0.0);
    }
    let reach = pts
        .iter()
        .map(|(x, y)| x.abs() + y.abs())
        .fold(0.0f32, f32::max);
    let bins = (2.0 * reach) as usize + 4;
    let mut acc = vec![0u32; bins];
    let mut score = |deg: f32| -> f64 {
        acc.iter_mut().for_each(|a| *a = 0);
        let t = deg.to_radians().tan();
        for &(x, y) in pts {
            let b = (y - x * t + reach + 1.0) as usize;
            if let Some(a) = acc.get_mut(b) {
                *a += 1;
            }
        }
        acc.iter().map(|&a| (a as f64) * (a as f64)).sum::<f64>() / pts.len() as f64
    };
    let mut search = |from: f32, to: f32, step: f32| {
        let (mut best, mut best_s) = (0.0f32, f64::MIN);
        let mut a = from;
        while a <= to + 1e-4 {
            let s = score(a);
            if s > best_s {
                (best, best_s) = (a, s);
            }
            a += step;
        }
        (best, best_s)
    };
    let (coarse, _) = search(-3.0, 3.0, 0.2);
    search(coarse - 0.2, coarse + 0.2, 0.05)
}

/// Skew in degrees (positive: lines fall to the right, y down) by maximising the
/// peakiness of the row profile of dark pixels.
fn estimate_skew(img: &GrayImage) -> f32 {
    skew_search(&dark_points(img)).0
}

/// Ratio of row-profile to column-profile peakiness: well above 1 for text lines
/// across the image, well below 1 when the page lies sideways.
/// Also returns the rows' skew, which is the page's skew when it is upright.
fn line_direction(img: &GrayImage) -> (f64, f32) {
    let pts = dark_points(img);
    let (skew, rows) = skew_search(&pts);
    let swapped: Vec<(f32, f32)> = pts.iter().map(|&(x, y)| (y, x)).collect();
    let (_, cols) = skew_search(&swapped);
    (if cols > 0.0 { rows / cols } else { 1.0 }, skew)
}

/// Rotates by `deg` (within a few degrees) about the centre so that lines with skew
/// `deg` become horizontal; uncovered corners are white. Done as two shears with whole-
/// pixel shifts, as Leptonica does for small angles: every step is a copy of a run of
/// pixels, about ten times faster than sampling each pixel, and for text the result is
/// as good.
fn deskew(img: &GrayImage, deg: f32) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let t = deg.to_radians().tan();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let src = img.as_raw();
    // Vertical shear: column x is taken from rows shifted by (x - cx)·t. The shift is
    // constant over runs of columns, so each run is copied row by row.
    let mut sheared = vec![255u8; w * h];
    let mut x0 = 0;
    while x0 < w {
        let off = ((x0 as f32 - cx) * t).round() as isize;
        let mut x1 = x0 + 1;
        while x1 < w && ((x1 as f32 - cx) * t).round() as isize == off {
            x1 += 1;
        }
        for y in 0..h {
            let sy = y as isize + off;
            if sy >= 0 && (sy as usize) < h {
                let (from, to) = (sy as usize * w, y * w);
                sheared[to + x0..to + x1].copy_from_slice(&src[from + x0..from + x1]);
            }
        }
        x0 = x1;
    }
    // Horizontal shear: row y is taken from columns shifted by -(y - cy)·t.
    let mut out = vec![255u8; w * h];
    for y in 0..h {
        let off = -((y as f32 - cy) * t).round() as isize;
        let row = &sheared[y * w..(y + 1) * w];
        let dst = &mut out[y * w..(y + 1) * w];
        // dst[x] = row[x + off] where both are inside the row.
        let (from, to) = if off >= 0 {
            (off as usize, 0)
        } else {
            (0, (-off) as usize)
        };
        if from < w && to < w {
            let n = (w - from).min(w - to);
            dst[to..to + n].copy_from_slice(&row[from..from + n]);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_else(|| img.clone())
}

fn turn(img: &GrayImage, deg: u16) -> GrayImage {
    match deg {
        90 => image::imageops::rotate90(img),
        180 => image::imageops::rotate180(img),
        270 => image::imageops::rotate270(img),
        _ => img.clone(),
    }
}

// ---------------------------------------------------------------------------
// Tesseract
// ---------------------------------------------------------------------------

/// PGM is written without compression (instant) and leptonica reads it.
fn write_pgm(img: &GrayImage, path: &Path) -> std::io::Result<()> {
    let mut bytes = format!("P5\n{} {}\n255\n", img.width(), img.height()).into_bytes();
    bytes.extend_from_slice(img.as_raw());
    std::fs::write(path, bytes)
}

struct Recognised {
    text: String,
    confidence: f32,
    words: usize,
    /// Clockwise turn that would make the text upright, judged from the way words
    /// follow each other along their lines (left to right on an upright page).
    upright_turn: u16,
}

/// Parses `tsv` output: word rows (level 5) grouped into lines, in reading order.
fn parse_tsv(tsv: &str) -> Recognised {
    // (page, block, paragraph, line) identifies a text line.
    type LineKey = (u32, u32, u32, u32);
    let mut lines: Vec<(LineKey, Vec<&str>)> = Vec::new();
    let (mut conf_sum, mut words) = (0.0f64, 0usize);
    // Steps from one word to the next on the same line: (right, down, left, up).
    let mut steps = [0u32; 4];
    let mut prev: Option<(LineKey, i64, i64)> = None;
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let word = f[11].trim();
        let conf: f32 = f[10].trim().parse().unwrap_or(-1.0);
        if word.is_empty() || conf < 0.0 {
            continue;
        }
        let n = |s: &str| s.parse::<u32>().unwrap_or(0);
        let i = |s: &str| s.parse::<i64>().unwrap_or(0);
        let key = (n(f[1]), n(f[2]), n(f[3]), n(f[4]));
        let (x, y) = (i(f[6]), i(f[7]));
        if let Some((k, px, py)) = prev
            && k == key
        {
            let (dx, dy) = (x - px, y - py);
            let dir = if dx.abs() >= dy.abs() {
                if dx >= 0 { 0 } else { 2 }
            } else if dy >= 0 {
                1
            } else {
                3
            };
            steps[dir] += 1;
        }
        prev = Some((key, x, y));
        match lines.last_mut() {
            Some((k, ws)) if *k == key => ws.push(word),
            _ => lines.push((key, vec![word])),
        }
        conf_sum += conf as f64;
        words += 1;
    }
    // Words running down the page: it lies turned a quarter clockwise and needs 270°
    // more; running up: 90°; right to left: upside down.
    let upright_turn = match (0..4).max_by_key(|&d| steps[d]).unwrap_or(0) {
        1 => 270,
        2 => 180,
        3 => 90,
        _ => 0,
    };
    let text = lines
        .iter()
        .map(|(_, ws)| ws.join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    Recognised {
        upright_turn,
        text,
        confidence: if words > 0 {
            (conf_sum / words as f64) as f32
        } else {
            0.0
        },
        words,
    }
}

fn remaining(deadline: Instant, page: u32, cfg: &OcrConfig) -> Result<Duration, OcrError> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or(OcrError::Timeout(page, cfg.page_timeout))
}

fn run_tesseract(
    cfg: &OcrConfig,
    args: &[&str],
    img: &Path,
    deadline: Instant,
    page: u32,
) -> Result<ChildOutput, OcrError> {
    let mut cmd = tesseract_cmd(cfg);
    cmd.arg(img).arg("stdout").args(args);
    let started = Instant::now();
    match run_with_timeout(cmd, remaining(deadline, page, cfg)?) {
        Ok(o) => {
            tracing::debug!(
                "page {page}: tesseract {args:?} took {:?}",
                started.elapsed()
            );
            Ok(o)
        }
        Err(RunError::Timeout) => Err(OcrError::Timeout(page, cfg.page_timeout)),
        Err(RunError::Spawn(e)) => Err(OcrError::Unavailable(format!(
            "cannot run {}: {e}; install it with `{INSTALL_HINT}`",
            cfg.tesseract.display()
        ))),
        Err(RunError::Wait(e)) => Err(OcrError::Failed(page, format!("tesseract: {e}"))),
    }
}

/// Reads a page with Tesseract's page segmentation mode `psm`: "3" for a page known to
/// be upright, "1" to let Tesseract find the orientation itself (OSD) in the same run.
fn recognise(
    img: &GrayImage,
    dir: &Path,
    cfg: &OcrConfig,
    deadline: Instant,
    page: u32,
    psm: &str,
) -> Result<Recognised, OcrError> {
    let path = dir.join("page.pgm");
    let t = Instant::now();
    write_pgm(img, &path).map_err(|e| OcrError::Failed(page, format!("temp image: {e}")))?;
    tracing::debug!("page {page}: image written in {:?}", t.elapsed());
    let args = ["-l", &cfg.languages, "--psm", psm, "tsv"];
    let out = run_tesseract(cfg, &args, &path, deadline, page)?;
    if !out.status.success() {
        return Err(OcrError::Failed(
            page,
            format!("tesseract failed: {}", last_line(&out.stderr)),
        ));
    }
    Ok(parse_tsv(&String::from_utf8_lossy(&out.stdout)))
}

/// Deskews an (already upright) image and recognises it. `skew`: when already measured.
fn deskew_and_recognise(
    img: &GrayImage,
    skew: Option<f32>,
    dir: &Path,
    cfg: &OcrConfig,
    deadline: Instant,
    page: u32,
) -> Result<Recognised, OcrError> {
    let skew = skew.unwrap_or_else(|| estimate_skew(img));
    if skew.abs() > 0.3 {
        let t = Instant::now();
        let straight = deskew(img, skew);
        tracing::debug!("page {page}: deskewed by {skew:.2}° in {:?}", t.elapsed());
        recognise(&straight, dir, cfg, deadline, page, "3")
    } else {
        recognise(img, dir, cfg, deadline, page, "3")
    }
}

/// OCR one gray image; returns (text, mean word confidence, clockwise rotation applied).
pub fn ocr_image(img: &GrayImage, cfg: &OcrConfig) -> Result<(String, f32, u16), OcrError> {
    ocr_page_image(img, cfg, 0)
}

fn ocr_page_image(
    img: &GrayImage,
    cfg: &OcrConfig,
    page: u32,
) -> Result<(String, f32, u16), OcrError> {
    let deadline = Instant::now() + cfg.page_timeout;
    let pixels = img.width() as u64 * img.height() as u64;
    if pixels > cfg.max_pixels {
        return Err(OcrError::TooLarge {
            page,
            pixels,
            limit: cfg.max_pixels,
        });
    }
    if img.width() < 8 || img.height() < 8 {
        return Ok((String::new(), 0.0, 0));
    }
    let started = Instant::now();
    let mut work = normalise(img);
    let specks = speck_ratio(&work);
    if specks > 0.0001 {
        tracing::debug!("page {page}: speck ratio {specks:.5}, median filter");
        work = median3(&work);
    }
    let dir = tempfile::tempdir().map_err(|e| OcrError::Failed(page, format!("temp dir: {e}")))?;
    let dir = dir.path();

    // A cheap line-direction test decides whether the page may be sideways; only then
    // is Tesseract asked to find the orientation, in the same run that reads the page
    // (a separate OSD run cost as much again as the reading).
    let (direction, row_skew) = line_direction(&work);
    let sideways = direction < 0.8;
    let unsure = (0.8..1.25).contains(&direction);
    tracing::debug!(
        "page {page}: line direction {direction:.2}; cleaned and measured in {:?}",
        started.elapsed()
    );
    let good = |r: &Recognised| r.confidence >= 60.0 && r.words >= 10;
    let score = |r: &Recognised| r.confidence * (r.words.min(20) as f32);
    let mut best: Option<(Recognised, u16)> = None;
    if (sideways || unsure) && has_osd(cfg) {
        let r = recognise(&work, dir, cfg, deadline, page, "1")?;
        let rot = r.upright_turn;
        if good(&r) {
            return Ok((r.text, r.confidence, rot));
        }
        best = Some((r, rot));
    }
    // Read it the likely way up and try the other turns only if that looks bad,
    // stopping at the first convincing one.
    let order: [u16; 4] = if sideways {
        [270, 90, 0, 180]
    } else {
        [0, 180, 270, 90]
    };
    // Cap: at most three readings per page.
    for rot in order.into_iter().take(3) {
        if best.as_ref().is_some_and(|(r, _)| good(r)) {
            break;
        }
        // Turning by 180° keeps the measured skew; a quarter turn needs a new one.
        let skew = matches!(rot, 0 | 180).then_some(row_skew);
        let r = deskew_and_recognise(&turn(&work, rot), skew, dir, cfg, deadline, page)?;
        if best.as_ref().is_none_or(|(b, _)| score(&r) > score(b)) {
            best = Some((r, rot));
        }
    }
    Ok(best.map_or((String::new(), 0.0, 0), |(r, rot)| {
        (r.text, r.confidence, rot)
    }))
}

/// OCR the given pages (1-based) of a PDF, two at a time (see the module note).
/// Every requested page gets an entry, in the order asked; failures are in `error`.
pub fn ocr_pdf(pdf: &[u8], pages: &[u32], cfg: &OcrConfig) -> Vec<PageText> {
    let failed = |page: u32, e: &OcrError| PageText {
        page,
        source: TextSource::None,
        text: String::new(),
        confidence: None,
        rotation: 0,
        error: Some(e.to_string()),
    };
    if let Err(reason) = check_tesseract(cfg) {
        let e = OcrError::Unavailable(reason);
        return pages.iter().map(|&p| failed(p, &e)).collect();
    }
    let src = PdfSource::new(pdf);
    let one = |page: u32| -> PageText {
        let result = src
            .image(page, cfg)
            .and_then(|img| ocr_page_image(&img, cfg, page));
        match result {
            Ok((text, conf, rotation)) => PageText {
                page,
                source: if text.trim().is_empty() {
                    TextSource::None
                } else {
                    TextSource::Ocr
                },
                text,
                confidence: Some(conf),
                rotation,
                error: None,
            },
            Err(e) => {
                tracing::warn!("OCR: {e}");
                failed(page, &e)
            }
        }
    };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 2)
        .min(pages.len());
    if workers <= 1 {
        return pages.iter().map(|&p| one(p)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<PageText>>> = Mutex::new(vec![None; pages.len()]);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&page) = pages.get(i) else { break };
                    let r = one(page);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    let all = results.into_inner().unwrap_or_else(|e| e.into_inner());
    all.into_iter()
        .zip(pages)
        .map(|(r, &p)| {
            r.unwrap_or_else(|| failed(p, &OcrError::Failed(p, "worker panicked".into())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixturegen::{GenOptions, generate};

    const CORPUS: &str = "/work/shared/corpus";

    /// False (test skipped) without tesseract, except under CI=true where it must exist.
    fn tesseract_ready() -> bool {
        match check_tesseract(&OcrConfig::default()) {
            Ok(_) => true,
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("tesseract required under CI=true: {e}")
            }
            Err(e) => {
                println!("SKIPPED: tesseract not installed ({e})");
                false
            }
        }
    }

    fn corpus(name: &str) -> Option<Vec<u8>> {
        let r = std::fs::read(Path::new(CORPUS).join(name)).ok();
        if r.is_none() {
            println!("SKIPPED: corpus file {name} not found");
        }
        r
    }

    fn has_cyrillic_word(text: &str) -> bool {
        text.split_whitespace().any(|w| {
            w.chars()
                .filter(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(*c)))
                .count()
                >= 4
        })
    }

    fn fold(s: &str) -> String {
        s.to_lowercase().replace('ё', "е")
    }

    /// An image with dark horizontal bars turned by `deg` via `deskew(-deg)`.
    fn bars(deg: f32) -> GrayImage {
        let mut img = GrayImage::from_pixel(1200, 900, image::Luma([255]));
        for y in (100..800).step_by(40) {
            for yy in y..y + 6 {
                for x in 150..1050 {
                    img.put_pixel(x, yy, image::Luma([0]));
                }
            }
        }
        deskew(&img, -deg)
    }

    #[test]
    fn skew_is_measured_and_undone() {
        for deg in [-2.0f32, -0.8, 0.0, 1.3, 2.6] {
            let img = bars(deg);
            let est = estimate_skew(&img);
            assert!((est - deg).abs() < 0.15, "skew {deg}: estimated {est}");
            let fixed = estimate_skew(&deskew(&img, est));
            assert!(fixed.abs() < 0.15, "skew {deg}: {fixed} left after deskew");
        }
    }

    #[test]
    fn tsv_lines_and_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   4\t1\t1\t1\t1\t0\t0\t0\t1\t1\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tИванов\n\
                   5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t70\tИ.П.\n\
                   5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t80\tгруппа\n\
                   5\t1\t1\t1\t2\t2\t0\t0\t1\t1\t-1\t \n";
        let r = parse_tsv(tsv);
        assert_eq!(r.text, "Иванов И.П.\nгруппа");
        assert_eq!(r.words, 3);
        assert!((r.confidence - 80.0).abs() < 0.01);
    }

    #[test]
    fn pgm_roundtrip_and_limit() {
        let img = GrayImage::from_fn(5, 3, |x, y| image::Luma([(x * 10 + y) as u8]));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.pgm");
        write_pgm(&img, &p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(parse_pgm(&bytes, 1, 100).unwrap(), img);
        assert!(matches!(
            parse_pgm(&bytes, 1, 10),
            Err(OcrError::TooLarge { .. })
        ));
        assert!(parse_pgm(b"P5\n5 3\n255\n", 1, 100).is_err());
    }

    #[test]
    fn hugemono_is_refused_fast() {
        let Some(pdf) = corpus("hostile__ocrmypdf__hugemono.pdf") else {
            return;
        };
        let t = Instant::now();
        let r = page_image(&pdf, 1, &OcrConfig::default());
        assert!(
            matches!(
                r,
                Err(OcrError::TooLarge {
                    pixels: 1_225_000_000,
                    ..
                })
            ),
            "{r:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }

    #[test]
    fn missing_tesseract_is_explained() {
        let cfg = OcrConfig {
            tesseract: "/nonexistent/tesseract".into(),
            ..Default::default()
        };
        let e = check_tesseract(&cfg).unwrap_err();
        assert!(e.contains("apt-get install tesseract-ocr"), "{e}");
        let cfg = OcrConfig {
            languages: "rus+xxx".into(),
            ..Default::default()
        };
        if tesseract_ready() {
            assert!(check_tesseract(&cfg).unwrap_err().contains("xxx"));
        }
    }

    #[test]
    fn timeout_kills_and_reaps_tesseract() {
        if !tesseract_ready() {
            return;
        }
        let Some(pdf) = corpus("cyrillic__dedoc__tz_scan_1page.pdf") else {
            return;
        };
        let img = page_image(&pdf, 1, &OcrConfig::default()).unwrap();
        let cfg = OcrConfig {
            page_timeout: Duration::from_millis(1),
            ..Default::default()
        };
        let t = Instant::now();
        let r = ocr_image(&img, &cfg);
        assert!(matches!(r, Err(OcrError::Timeout(_, _))), "{r:?}");
        assert!(t.elapsed() < Duration::from_secs(5));
        // The deadline may pass before tesseract starts; run it directly so a live
        // child is certainly killed, then check it is gone (reaped: not even a zombie).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pgm");
        write_pgm(&img, &path).unwrap();
        let mut cmd = tesseract_cmd(&cfg);
        cmd.arg(&path).arg("stdout").args(["-l", "rus+eng"]);
        assert!(matches!(
            run_with_timeout(cmd, Duration::from_millis(1)),
            Err(RunError::Timeout)
        ));
        let pid = LAST_KILLED.load(Ordering::SeqCst);
        assert_ne!(pid, 0);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "tesseract {pid} left behind"
        );
    }

    #[test]
    fn tz_scan_reads_title() {
        if !tesseract_ready() {
            return;
        }
        let Some(pdf) = corpus("cyrillic__dedoc__tz_scan_1page.pdf") else {
            return;
        };
        let pages = ocr_pdf(&pdf, &[1], &OcrConfig::default());
        let p = &pages[0];
        println!(
            "tz_scan: conf {:?} rot {} err {:?}\n{}",
            p.confidence, p.rotation, p.error, p.text
        );
        let t = p.text.to_lowercase();
        assert!(
            t.contains("техническое") || t.contains("задание"),
            "{}",
            p.text
        );
        assert_eq!(p.source, TextSource::Ocr);
    }

    /// fstek17: page 1 is one 75 dpi JPEG (the order's header), page 2 is text drawn
    /// with fonts that have no ToUnicode (mojibake layer): poppler must render it.
    #[test]
    fn fstek17_mojibake_page_is_rendered_by_poppler() {
        if !tesseract_ready() {
            return;
        }
        let Some(pdf) = corpus("cyrillic__dedoc__fstek17.pdf") else {
            return;
        };
        let cfg = OcrConfig::default();
        let src = PdfSource::new(&pdf);
        let doc = src.doc.as_ref().unwrap();
        assert!(
            single_image(doc, src.pages[&1]).is_some(),
            "page 1 is one image"
        );
        assert!(single_image(doc, src.pages[&2]).is_none(), "page 2 is text");
        let img = page_image(&pdf, 2, &cfg).unwrap();
        assert!(
            img.width().abs_diff(2480) < 3 && img.height().abs_diff(3508) < 3,
            "A4 at 300 dpi"
        );
        let (text, conf, rot) = ocr_image(&img, &cfg).unwrap();
        println!("fstek17 p2: conf {conf} rot {rot}\n{text:.600}");
        assert!(text.to_lowercase().contains("приказ"), "{text}");
        let p1 = &ocr_pdf(&pdf, &[1], &cfg)[0];
        println!(
            "fstek17 p1 (75 dpi image): conf {:?} rot {}\n{:.600}",
            p1.confidence, p1.rotation, p1.text
        );
        assert!(has_cyrillic_word(&p1.text), "{}", p1.text);
    }

    #[test]
    fn ccitt_pages_decode_white_and_ocr() {
        if !tesseract_ready() {
            return;
        }
        let cfg = OcrConfig::default();
        for (name, pages) in [
            ("ordinary__ocrmypdf__ccitt.pdf", 1u32),
            ("ordinary__paperless__barcode-fax-image.pdf", 3),
        ] {
            let Some(pdf) = corpus(name) else { continue };
            let src = PdfSource::new(&pdf);
            let doc = src.doc.as_ref().unwrap();
            for page in 1..=pages {
                let stream = single_image(doc, src.pages[&page]).expect("single image page");
                let t = Instant::now();
                let img = decode_xobject(doc, stream, page, &cfg)
                    .unwrap()
                    .expect("decoded by the fax path");
                let raw = img.as_raw();
                let mean = raw.iter().map(|&p| p as u64).sum::<u64>() as f64 / raw.len() as f64;
                println!(
                    "{name} p{page}: {}x{} mean {mean:.1} in {:?}",
                    img.width(),
                    img.height(),
                    t.elapsed()
                );
                assert!(mean > 128.0, "{name} p{page}: mean {mean}");
            }
            for p in ocr_pdf(&pdf, &(1..=pages).collect::<Vec<_>>(), &cfg) {
                println!(
                    "{name} p{}: conf {:?} rot {} {} chars: {:.200}",
                    p.page,
                    p.confidence,
                    p.rotation,
                    p.text.len(),
                    p.text
                );
                assert!(p.error.is_none(), "{name}: {:?}", p.error);
            }
        }
    }

    /// Generated image-only scans: share of learner surnames found, time per page and
    /// the sideways page.
    #[test]
    fn generated_scans_find_learners() {
        if !tesseract_ready() {
            return;
        }
        let cfg = OcrConfig::default();
        let opts = GenOptions {
            seed: 7,
            count: 8,
            image_only: true,
            ..Default::default()
        };
        let (mut found, mut total, mut pages, mut turned_ok, mut multi) = (0, 0, 0, 0, 0);
        let t = Instant::now();
        for scan in generate(&opts) {
            let scan = scan.unwrap();
            let n = scan.expected.pages;
            let res = ocr_pdf(&scan.bytes, &(1..=n).collect::<Vec<_>>(), &cfg);
            pages += res.len();
            let text = fold(
                &res.iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            for learner in &scan.expected.learners {
                let surname = learner.split_whitespace().next().unwrap_or("");
                let key: String = fold(surname).chars().take(5).collect();
                total += 1;
                if text.contains(&key) {
                    found += 1;
                } else {
                    println!(
                        "  missed {learner} in {} ({})",
                        scan.expected.file, scan.expected.kind
                    );
                }
            }
            for p in &res {
                println!(
                    "{} p{} {}: conf {:?} rot {} err {:?}",
                    scan.expected.file,
                    p.page,
                    scan.expected.kind,
                    p.confidence,
                    p.rotation,
                    p.error
                );
            }
            if n > 1 {
                multi += 1;
                // Read the right way up, the turned page shares real words with the
                // document (upside-down output is Cyrillic-looking garbage).
                let words: std::collections::HashSet<String> = fold(&scan.text)
                    .split(|c: char| !c.is_alphabetic())
                    .filter(|w| w.chars().count() >= 6)
                    .map(str::to_string)
                    .collect();
                let readable = |p: &PageText| {
                    let t = fold(&p.text);
                    let hits = words.iter().filter(|w| t.contains(w.as_str())).count();
                    println!(
                        "  p{} rotation {}: {hits} document words",
                        p.page, p.rotation
                    );
                    hits >= 5
                };
                if res.iter().any(|p| {
                    matches!(p.rotation, 90 | 270) && has_cyrillic_word(&p.text) && readable(p)
                }) {
                    turned_ok += 1;
                }
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let share = found as f64 / total.max(1) as f64;
        println!(
            "learners found {found}/{total} = {:.1}%; {pages} pages in {secs:.1} s = {:.2} s/page (2 pages at a time); turned pages detected in {turned_ok}/{multi} multi-page docs",
            share * 100.0,
            secs / pages.max(1) as f64
        );
        assert!(multi > 0, "no multi-page document generated");
        assert_eq!(turned_ok, multi, "turned page not detected");
        assert!(
            share >= 0.95,
            "only {:.1}% of learners found",
            share * 100.0
        );
    }
}
