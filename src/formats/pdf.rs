//! PDF inspection for ingest: opens untrusted PDF bytes with `lopdf`, counts real
//! pages, decodes the Info dictionary, extracts a per-page text layer and judges
//! whether it is usable. Every failure mode becomes a [`Refusal`] with a stable code.
//!
//! Robustness model:
//! * cheap pre-checks on the raw bytes (size, header, bracket nesting) run before
//!   any parsing, so the worst inputs never reach the parser;
//! * parsing runs on its own thread with a large stack inside `catch_unwind`, so a
//!   panic or deep recursion in the parser cannot take the caller down;
//! * the caller waits with a timeout. A thread cannot be killed safely in Rust, so on
//!   timeout the worker is detached: it keeps running until lopdf returns (its work is
//!   bounded by the size/stream limits) and its result is dropped. Callers wanting a
//!   hard kill must run `inspect` in a child process.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lopdf::content::Content;
use lopdf::xref::XrefRecovery;
use lopdf::{Dictionary, Document, Encoding, LoadOptions, Object, ObjectId};

/// Resource limits applied to one document.
#[derive(Debug, Clone)]
pub struct PdfLimits {
    pub max_bytes: u64,
    pub max_pages: u32,
    pub max_objects: usize,
    pub max_nesting: usize,
    pub max_stream_bytes: u64,
    pub max_image_pixels: u64,
    pub timeout: Duration,
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self {
            max_bytes: 512 * 1024 * 1024,
            max_pages: 5000,
            max_objects: 2_000_000,
            max_nesting: 256,
            max_stream_bytes: 256 * 1024 * 1024,
            max_image_pixels: 200_000_000,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Quality of the extracted text layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextLayer {
    Present,
    None,
    Garbage,
}

/// What `inspect` learned about an accepted document.
#[derive(Debug, Clone)]
pub struct PdfInfo {
    pub pages: u32,
    pub version: String,
    /// Info dictionary entries (Title, Author, …), decoded, trimmed, empty ones dropped.
    pub info: BTreeMap<String, String>,
    /// One entry per page, whitespace collapsed.
    pub page_text: Vec<String>,
    pub text_layer: TextLayer,
    /// Opened only after the cross-reference data was rebuilt or corrected.
    pub repaired: bool,
    /// Was encrypted, opened with the empty user password.
    pub encrypted: bool,
    /// JavaScript, Launch actions or embedded files present.
    pub active_content: bool,
    /// Pages with no text but with at least one image.
    pub image_only_pages: u32,
    /// Images whose pixel count exceeds `max_image_pixels`: rasterisation/OCR must
    /// be refused for this document, but metadata and hash are still ingested.
    pub oversized_images: u32,
    pub warnings: Vec<String>,
}

/// Why a document was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refusal {
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("not a PDF: {0}")]
    NotPdf(String),
    #[error("encrypted, password required")]
    Encrypted,
    #[error("damaged PDF: {0}")]
    Damaged(String),
    #[error("document has no pages")]
    NoPages,
    #[error("over the {what} limit ({actual} > {limit})")]
    OverLimit {
        what: &'static str,
        limit: u64,
        actual: u64,
    },
    #[error("parsing took longer than {0:?}")]
    Timeout(Duration),
    #[error("parser failure: {0}")]
    ParserFailure(String),
}

impl Refusal {
    /// Short stable code for logs, APIs and the database.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Empty => "empty",
            Refusal::NotPdf(_) => "not-pdf",
            Refusal::Encrypted => "encrypted",
            Refusal::Damaged(_) => "damaged",
            Refusal::NoPages => "no-pages",
            Refusal::OverLimit { .. } => "over-limit",
            Refusal::Timeout(_) => "timeout",
            Refusal::ParserFailure(_) => "parser-failure",
        }
    }
}

/// How far into the file the `%PDF-` header may start (junk before it is common).
const HEADER_SEARCH: usize = 1024;
/// Stack for the parsing thread: lopdf's parser and our walkers recurse.
const WORKER_STACK: usize = 256 * 1024 * 1024;
/// Depth of nested Form XObjects we follow when extracting text.
const MAX_FORM_DEPTH: usize = 12;
/// Depth of the page tree we follow (real trees are a handful of levels).
const MAX_TREE_DEPTH: usize = 64;
/// Cap on warnings kept, so a hostile file cannot grow the list without bound.
const MAX_WARNINGS: usize = 100;
/// Cap on q/Q nesting tracked for the current font.
const MAX_GSTATE_STACK: usize = 64;
/// Form XObjects drawn per page. Forms drawing a form several times fan out
/// exponentially within MAX_FORM_DEPTH (n^12 draws); real pages draw a few dozen.
const MAX_FORM_DRAWS: usize = 1000;
/// Content bytes decoded for text over the whole document, in units of
/// `max_stream_bytes`: one stream may be reused by many pages, forms or /Contents
/// entries, and each use decodes it again.
const DOC_DECODE_STREAMS: usize = 4;

/// Inspect PDF bytes. Never panics, never hangs longer than `limits.timeout`.
pub fn inspect(bytes: &[u8], limits: &PdfLimits) -> Result<PdfInfo, Refusal> {
    // Checked before the copy: an oversized or non-PDF input is never copied.
    precheck(bytes, limits)?;
    parse_in_worker(Arc::new(bytes.to_vec()), limits)
}

/// [`inspect`] of bytes the caller already shares: the parser thread reads them without a
/// copy (copying every scan into fresh memory was a twentieth of ingest time).
pub fn inspect_shared(data: Arc<Vec<u8>>, limits: &PdfLimits) -> Result<PdfInfo, Refusal> {
    precheck(&data, limits)?;
    parse_in_worker(data, limits)
}

/// Parses prechecked bytes on a pooled parser thread, within `limits.timeout`.
fn parse_in_worker(data: Arc<Vec<u8>>, limits: &PdfLimits) -> Result<PdfInfo, Refusal> {
    // The worker must own its input ('static): it may outlive this call on timeout.
    let worker_limits = limits.clone();
    let (tx, rx) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(|| inspect_inner(&data, &worker_limits)))
            .unwrap_or_else(|payload| Err(Refusal::ParserFailure(panic_message(&*payload))));
        // The receiver is gone after a timeout; nothing left to report to.
        let _ = tx.send(result);
    });
    let worker = match idle_worker() {
        Ok(w) => w,
        Err(e) => {
            return Err(Refusal::ParserFailure(format!(
                "cannot start parser thread: {e}"
            )));
        }
    };
    if worker.send(job).is_err() {
        return Err(Refusal::ParserFailure("the parser thread is gone".into()));
    }
    match rx.recv_timeout(limits.timeout) {
        Ok(result) => {
            if let Ok(mut idle) = IDLE_WORKERS.lock()
                && idle.len() < MAX_IDLE_WORKERS
            {
                idle.push(worker);
            }
            result
        }
        // The worker is not returned to the pool: dropping its queue makes it end as soon
        // as the runaway job does.
        Err(mpsc::RecvTimeoutError::Timeout) => {
            tracing::warn!(timeout = ?limits.timeout, "PDF parsing timed out; worker detached");
            Err(Refusal::Timeout(limits.timeout))
        }
        // Sender dropped without sending: only if the worker died outside catch_unwind.
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Refusal::ParserFailure(
            "parser thread ended without a result".into(),
        )),
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Parser threads kept between documents: spawning a thread (with its large stack) per
/// scan was a measurable share of ingest time.
static IDLE_WORKERS: Mutex<Vec<mpsc::Sender<Job>>> = Mutex::new(Vec::new());
const MAX_IDLE_WORKERS: usize = 8;

/// An idle parser thread's job queue, or a new thread's.
fn idle_worker() -> std::io::Result<mpsc::Sender<Job>> {
    if let Some(w) = IDLE_WORKERS.lock().ok().and_then(|mut idle| idle.pop()) {
        return Ok(w);
    }
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("pdf-inspect".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            for job in rx {
                job();
            }
        })?;
    Ok(tx)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".into()
    }
}

/// Cheap checks on the raw bytes, before any parser sees them.
fn precheck(bytes: &[u8], limits: &PdfLimits) -> Result<(), Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    let len = bytes.len() as u64;
    if len > limits.max_bytes {
        return Err(Refusal::OverLimit {
            what: "file size",
            limit: limits.max_bytes,
            actual: len,
        });
    }
    let head = &bytes[..bytes.len().min(HEADER_SEARCH + 5)];
    if find(head, b"%PDF-").is_none() {
        let shown: String = String::from_utf8_lossy(&bytes[..bytes.len().min(16)])
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        return Err(Refusal::NotPdf(format!(
            "no %PDF- header in the first {HEADER_SEARCH} bytes (starts with {shown:?})"
        )));
    }
    let depth = max_nesting_depth(bytes, limits.max_nesting);
    if depth > limits.max_nesting {
        return Err(Refusal::OverLimit {
            what: "nesting depth",
            limit: limits.max_nesting as u64,
            actual: depth as u64,
        });
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    // SIMD substring search: skipping over the stream data of every scan was a visible
    // share of ingest with a byte-by-byte comparison.
    memchr::memmem::find(hay, needle)
}

/// Estimate the deepest `[` / `<<` nesting outside streams, strings and comments.
/// Stops counting once `stop_above` is exceeded. Linear in the input.
fn max_nesting_depth(b: &[u8], stop_above: usize) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut i = 0usize;
    while i < b.len() {
        match b[i] {
            b'%' => {
                // Comment to end of line.
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                // Literal string: balanced parens, backslash escapes.
                let mut level = 0usize;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 1,
                        b'(' => level += 1,
                        b')' => {
                            level = level.saturating_sub(1);
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b'<' => {
                // Hex string.
                while i < b.len() && b[i] != b'>' {
                    i += 1;
                }
            }
            b'>' if b.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b's' if b[i..].starts_with(b"stream") && !b[..i].ends_with(b"end") => {
                // Skip the binary body up to `endstream` (or the end of the file).
                match find(&b[i + 6..], b"endstream") {
                    Some(p) => i += 6 + p + 8,
                    None => i = b.len(),
                }
                // A stream body ends any object: reset to be robust against junk.
                depth = 0;
            }
            b'e' if b[i..].starts_with(b"endobj") => depth = 0,
            _ => {}
        }
        if depth > max {
            max = depth;
            if max > stop_above {
                return max;
            }
        }
        i += 1;
    }
    max
}

/// The parsing proper; runs on the worker thread.
fn inspect_inner(bytes: &[u8], limits: &PdfLimits) -> Result<PdfInfo, Refusal> {
    let mut warnings = Vec::new();
    let doc = load(bytes, limits, &mut warnings)?;

    if doc.is_encrypted() {
        // lopdf tried the empty user password; the /Encrypt entry only survives when
        // that failed, i.e. a real user password is needed.
        return Err(Refusal::Encrypted);
    }
    let encrypted = doc.was_encrypted();
    let repaired = match doc.xref_recovery {
        Some(XrefRecovery::Reconstructed) => {
            push_warning(
                &mut warnings,
                "cross-reference table rebuilt by scanning for objects".into(),
            );
            true
        }
        Some(XrefRecovery::OffsetCorrected) => {
            push_warning(&mut warnings, "cross-reference offsets corrected".into());
            true
        }
        // `XrefRecovery` is non-exhaustive: treat future kinds as a repair.
        Some(other) => {
            push_warning(
                &mut warnings,
                format!("cross-reference data repaired ({other:?})"),
            );
            true
        }
        None => false,
    };
    if doc.objects.len() > limits.max_objects {
        return Err(Refusal::OverLimit {
            what: "objects",
            limit: limits.max_objects as u64,
            actual: doc.objects.len() as u64,
        });
    }

    let pages = collect_pages(&doc, limits)?;
    if pages.is_empty() {
        return Err(Refusal::NoPages);
    }

    let info = read_info(&doc);
    let active_content = has_active_content(&doc);

    let mut ex = Extractor {
        doc: &doc,
        limits,
        fonts: HashMap::new(),
        warnings: &mut warnings,
        oversized_images: 0,
        decode_budget: usize::try_from(limits.max_stream_bytes)
            .unwrap_or(usize::MAX)
            .saturating_mul(DOC_DECODE_STREAMS),
        page_budget: 0,
        form_draws: 0,
    };
    let mut page_text = Vec::with_capacity(pages.len());
    let mut image_only_pages = 0u32;
    for (n, &page_id) in pages.iter().enumerate() {
        let (text, has_image) = ex.page_text(page_id, n + 1);
        let text = join_letter_spaced(&collapse_whitespace(&text));
        if text.is_empty() && has_image {
            image_only_pages += 1;
        }
        page_text.push(text);
    }
    let oversized_images = ex.oversized_images;

    let text_layer = if page_text.iter().all(|t| t.is_empty()) {
        TextLayer::None
    } else if garbage_text(&page_text.join("\n")) {
        TextLayer::Garbage
    } else {
        TextLayer::Present
    };

    Ok(PdfInfo {
        pages: pages.len() as u32,
        version: doc.version.clone(),
        info,
        page_text,
        text_layer,
        repaired,
        encrypted,
        active_content,
        image_only_pages,
        oversized_images,
        warnings,
    })
}

fn push_warning(warnings: &mut Vec<String>, w: String) {
    if warnings.len() < MAX_WARNINGS {
        tracing::debug!(warning = %w, "pdf inspect");
        warnings.push(w);
    }
}

/// Open with lopdf. lopdf 0.47 already rebuilds the xref by scanning when the
/// written one is unreadable or leads to no page tree; as a last resort we force
/// a rebuild ourselves (covers xref data that reads but points at the wrong bytes).
fn load(bytes: &[u8], limits: &PdfLimits, warnings: &mut Vec<String>) -> Result<Document, Refusal> {
    let max_stream = usize::try_from(limits.max_stream_bytes).unwrap_or(usize::MAX);
    let options = |force: bool| LoadOptions {
        max_decompressed_size: Some(max_stream),
        force_reconstruct: force,
        ..LoadOptions::default()
    };
    let first = match Document::load_mem_with_options(bytes, options(false)) {
        Ok(doc) if doc.is_encrypted() || has_page_tree(&doc) => return Ok(doc),
        Ok(_) => "catalog or page tree missing".to_string(),
        Err(e) => {
            if let Some(r) = map_fatal(&e, limits) {
                return Err(r);
            }
            e.to_string()
        }
    };
    push_warning(
        warnings,
        format!("normal open failed ({first}); forcing xref rebuild"),
    );
    match Document::load_mem_with_options(bytes, options(true)) {
        Ok(mut doc) => {
            // Mark it as rebuilt even if lopdf fell back to the written xref.
            doc.xref_recovery.get_or_insert(XrefRecovery::Reconstructed);
            Ok(doc)
        }
        Err(e) => Err(map_fatal(&e, limits).unwrap_or(Refusal::Damaged(first))),
    }
}

/// lopdf errors that no amount of xref repair will fix.
fn map_fatal(e: &lopdf::Error, limits: &PdfLimits) -> Option<Refusal> {
    match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            Some(Refusal::OverLimit {
                what: "decoded stream",
                limit: limits.max_stream_bytes,
                actual: limits.max_stream_bytes.saturating_add(1),
            })
        }
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => Some(Refusal::Encrypted),
        _ => None,
    }
}

fn has_page_tree(doc: &Document) -> bool {
    doc.catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(|p| deref(doc, p).as_dict().map(|_| ()))
        .is_ok()
}

/// Follow references (bounded: reference chains can loop).
fn deref<'a>(doc: &'a Document, mut obj: &'a Object) -> &'a Object {
    for _ in 0..32 {
        match obj {
            Object::Reference(id) => match doc.objects.get(id) {
                Some(o) => obj = o,
                None => return &Object::Null,
            },
            _ => return obj,
        }
    }
    &Object::Null
}

fn dict_get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().map(|o| deref(doc, o))
}

/// Walk the page tree from the catalog. `/Count` is ignored: only page objects that
/// are really there are counted, with a cycle guard, a depth guard and `max_pages`.
fn collect_pages(doc: &Document, limits: &PdfLimits) -> Result<Vec<ObjectId>, Refusal> {
    let root = match doc.catalog().and_then(|c| c.get(b"Pages")) {
        Ok(Object::Reference(id)) => *id,
        _ => return Ok(Vec::new()),
    };
    let mut pages = Vec::new();
    let mut seen = HashSet::new();
    // Explicit stack (reversed kids) keeps document order without recursion.
    let mut stack = vec![(root, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        if !seen.insert(id) || depth > MAX_TREE_DEPTH {
            continue;
        }
        let Some(Object::Dictionary(node)) = doc.objects.get(&id) else {
            continue;
        };
        let kids = dict_get(doc, node, b"Kids").and_then(|k| k.as_array().ok());
        let is_page = node.get(b"Type").and_then(Object::as_name).ok() == Some(b"Page");
        match kids {
            Some(kids) if !is_page => {
                for kid in kids.iter().rev() {
                    if let Object::Reference(kid_id) = kid {
                        stack.push((*kid_id, depth + 1));
                    }
                }
            }
            // A leaf: a /Page, or an untyped node without /Kids (tolerated).
            _ if is_page || node.get(b"Type").is_err() => {
                pages.push(id);
                if pages.len() as u64 > u64::from(limits.max_pages) {
                    return Err(Refusal::OverLimit {
                        what: "pages",
                        limit: u64::from(limits.max_pages),
                        actual: pages.len() as u64,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(pages)
}

const INFO_KEYS: [&str; 8] = [
    "Title",
    "Author",
    "Subject",
    "Keywords",
    "Creator",
    "Producer",
    "CreationDate",
    "ModDate",
];

fn read_info(doc: &Document) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(Object::Dictionary(info)) = doc.trailer.get(b"Info").ok().map(|o| deref(doc, o))
    else {
        return out;
    };
    for key in INFO_KEYS {
        let Some(obj) = dict_get(doc, info, key.as_bytes()) else {
            continue;
        };
        if let Some(value) = decode_pdf_string(obj) {
            let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
            if !value.is_empty() {
                out.insert(key.to_string(), value.to_string());
            }
        }
    }
    out
}

/// Decode a PDF text string: UTF-16BE/LE with BOM, UTF-8 with BOM, else
/// PDFDocEncoding (lopdf's `decode_text_string`). Octal escapes were already
/// resolved by the parser. Odd or broken UTF-16 degrades lossily, never fails.
fn decode_pdf_string(obj: &Object) -> Option<String> {
    let bytes = match obj {
        Object::String(b, _) => b.as_slice(),
        Object::Name(n) => n.as_slice(),
        _ => return None,
    };
    if let Ok(s) = lopdf::decode_text_string(obj) {
        return Some(s);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// JavaScript, Launch actions or embedded files anywhere in the object graph.
fn has_active_content(doc: &Document) -> bool {
    fn walk(obj: &Object, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        match obj {
            Object::Dictionary(d) => dict_active(d, depth),
            Object::Stream(s) => dict_active(&s.dict, depth),
            Object::Array(a) => a.iter().any(|o| walk(o, depth + 1)),
            _ => false,
        }
    }
    fn dict_active(d: &Dictionary, depth: usize) -> bool {
        let flagged = d.iter().any(|(k, v)| {
            matches!(k.as_slice(), b"JS" | b"JavaScript" | b"EmbeddedFiles")
                || (k.as_slice() == b"S"
                    && matches!(v.as_name(), Ok(b"JavaScript") | Ok(b"Launch")))
        });
        flagged || d.iter().any(|(_, v)| walk(v, depth + 1))
    }
    doc.objects.values().any(|o| walk(o, 0)) || dict_active(&doc.trailer, 0)
}

/// Per-document text extraction state; font encodings are cached by object id
/// because fonts are shared between pages and ToUnicode CMaps are costly to parse.
struct Extractor<'a, 'w> {
    doc: &'a Document,
    limits: &'a PdfLimits,
    fonts: HashMap<ObjectId, Option<FontDecoder<'a>>>,
    warnings: &'w mut Vec<String>,
    oversized_images: u32,
    /// Content bytes still to be decoded in this document.
    decode_budget: usize,
    /// Content bytes still to be decoded for the current page (≤ one max stream).
    page_budget: usize,
    /// Form XObjects drawn on the current page.
    form_draws: usize,
}

impl<'a> Extractor<'a, '_> {
    fn max_stream(&self) -> usize {
        usize::try_from(self.limits.max_stream_bytes).unwrap_or(usize::MAX)
    }

    /// Decode a content stream within the page and document budgets, so a stream
    /// reused many times (or a decompression bomb just under the limit) cannot
    /// multiply into unbounded memory or time. `None` (with a warning) when refused.
    fn decode(&mut self, s: &lopdf::Stream, page_no: usize, what: &str) -> Option<Vec<u8>> {
        let limit = self.page_budget.min(self.decode_budget);
        if limit == 0 {
            self.warn(format!(
                "page {page_no}: {what} skipped, decoding budget used up"
            ));
            return None;
        }
        match s.get_plain_content_with_limit(limit) {
            Ok(bytes) => {
                self.page_budget -= bytes.len().min(self.page_budget);
                self.decode_budget -= bytes.len().min(self.decode_budget);
                Some(bytes)
            }
            Err(e) => {
                if matches!(
                    e,
                    lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })
                ) {
                    // The decoder did `limit` bytes of work before giving up.
                    self.page_budget -= limit;
                    self.decode_budget -= limit;
                    self.warn(format!(
                        "page {page_no}: {what} not decoded: over the {limit} bytes left to decode"
                    ));
                } else {
                    self.warn(format!("page {page_no}: {what} not decoded: {e}"));
                }
                None
            }
        }
    }

    /// Text of one page, and whether the page draws an image.
    fn page_text(&mut self, page_id: ObjectId, page_no: usize) -> (String, bool) {
        let doc = self.doc;
        self.page_budget = self.max_stream();
        self.form_draws = 0;
        let Some(Object::Dictionary(page)) = doc.objects.get(&page_id) else {
            return (String::new(), false);
        };
        let resources = self.inherited_resources(page);
        let mut data = Vec::new();
        let contents = page.get(b"Contents").ok();
        let ids: Vec<&Object> = match contents.map(|c| deref(doc, c)) {
            Some(Object::Array(a)) => a.iter().collect(),
            Some(o @ Object::Stream(_)) => vec![o],
            _ => Vec::new(),
        };
        for obj in ids {
            if let Object::Stream(s) = deref(doc, obj) {
                let Some(bytes) = self.decode(s, page_no, "content stream") else {
                    // Budget used up or damaged: the rest may still be readable,
                    // but a used-up budget stays used up, so stop here.
                    if self.page_budget.min(self.decode_budget) == 0 {
                        break;
                    }
                    continue;
                };
                data.extend_from_slice(&bytes);
                data.push(b'\n');
            }
        }
        let mut out = String::new();
        let mut has_image = false;
        let mut visiting = HashSet::new();
        self.run_content(
            &data,
            resources,
            &mut out,
            &mut has_image,
            0,
            &mut visiting,
            page_no,
        );
        (out, has_image)
    }

    fn warn(&mut self, w: String) {
        push_warning(self.warnings, w);
    }

    /// `/Resources` of the page or its nearest ancestor (inheritance, bounded).
    fn inherited_resources(&self, page: &'a Dictionary) -> Option<&'a Dictionary> {
        let mut node = page;
        for _ in 0..MAX_TREE_DEPTH {
            if let Some(Object::Dictionary(r)) = dict_get(self.doc, node, b"Resources") {
                return Some(r);
            }
            match dict_get(self.doc, node, b"Parent") {
                Some(Object::Dictionary(p)) => node = p,
                _ => return None,
            }
        }
        None
    }

    fn font_encoding(
        &mut self,
        resources: Option<&'a Dictionary>,
        name: &[u8],
    ) -> Option<&FontDecoder<'a>> {
        let doc = self.doc;
        let fonts = resources
            .and_then(|r| dict_get(doc, r, b"Font"))?
            .as_dict()
            .ok()?;
        let (key, font) = match fonts.get(name).ok()? {
            Object::Reference(id) => (*id, doc.get_dictionary(*id).ok()?),
            // Inline font dicts have no id; they are rare, so decode without caching
            // under a synthetic key that cannot clash with real objects (gen 65535).
            Object::Dictionary(d) => ((u32::MAX, u16::MAX), d),
            _ => return None,
        };
        if key.0 == u32::MAX {
            self.fonts.remove(&key);
        }
        if !self.fonts.contains_key(&key) && identity_to_unicode(doc, font) {
            self.fonts.insert(key, Some(FontDecoder::Identity));
        }
        if !self.fonts.contains_key(&key) {
            let enc = match font.get_font_encoding_with_limit(doc, self.max_stream()) {
                Ok(e) => Some(FontDecoder::Lopdf(e)),
                Err(e) => {
                    let msg = format!(
                        "font {}: encoding not usable: {e}",
                        String::from_utf8_lossy(name)
                    );
                    self.warn(msg);
                    None
                }
            };
            self.fonts.insert(key, enc);
        }
        self.fonts.get(&key).and_then(Option::as_ref)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_content(
        &mut self,
        data: &[u8],
        resources: Option<&'a Dictionary>,
        out: &mut String,
        has_image: &mut bool,
        depth: usize,
        visiting: &mut HashSet<ObjectId>,
        page_no: usize,
    ) {
        let doc = self.doc;
        let mut font: Option<Vec<u8>> = None;
        let mut font_stack: Vec<Option<Vec<u8>>> = Vec::new();
        let mut line_y: Option<f64> = None;
        for op in Content::decode_iter(data) {
            let op = match op {
                Ok(op) => op,
                Err(e) => {
                    // Keep what was read so far; a damaged tail must not lose the page.
                    self.warn(format!("page {page_no}: content stream damaged: {e}"));
                    break;
                }
            };
            match op.operator.as_str() {
                "q" if font_stack.len() < MAX_GSTATE_STACK => font_stack.push(font.clone()),
                "Q" => {
                    if let Some(f) = font_stack.pop() {
                        font = f;
                    }
                }
                "Tf" => {
                    font = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .map(<[u8]>::to_vec);
                }
                "Tj" | "TJ" | "'" | "\"" => {
                    if matches!(op.operator.as_str(), "'" | "\"") {
                        out.push('\n');
                    }
                    let operands: &[Object] = if op.operator == "\"" {
                        op.operands.get(2..).unwrap_or(&[])
                    } else {
                        &op.operands
                    };
                    let name = font.clone().unwrap_or_default();
                    match self.font_encoding(resources, &name) {
                        Some(enc) => show_text(enc, operands, out),
                        None => {
                            // No usable font: fall back to Latin-1 so the text still counts.
                            show_latin1(operands, out);
                        }
                    }
                }
                // No glyph widths are tracked, so word gaps come from the text itself
                // (space glyphs, TJ offsets). A move to another line is a line break;
                // a move along the same line adds nothing, because producers split
                // words into several BT/ET blocks ("Требовани" + "й").
                "Td" | "TD" | "Tm" => {
                    let num = |i: usize| op.operands.get(i).and_then(|o| o.as_float().ok());
                    let new_y = if op.operator == "Tm" {
                        num(5).map(f64::from)
                    } else {
                        num(1).map(|dy| line_y.unwrap_or(0.0) + f64::from(dy))
                    };
                    if let Some(y) = new_y {
                        if line_y.is_some_and(|old| (old - y).abs() > 1.0) {
                            out.push('\n');
                        }
                        line_y = Some(y);
                    }
                }
                "T*" => out.push('\n'),
                "BI" => *has_image = true,
                "Do" => {
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    let xobj_ref = resources
                        .and_then(|r| dict_get(doc, r, b"XObject"))
                        .and_then(|x| x.as_dict().ok())
                        .and_then(|x| x.get(name).ok());
                    let id = match xobj_ref {
                        Some(Object::Reference(id)) => Some(*id),
                        _ => None,
                    };
                    let Some(Object::Stream(xobj)) = xobj_ref.map(|o| deref(doc, o)) else {
                        continue;
                    };
                    match xobj.dict.get(b"Subtype").and_then(Object::as_name) {
                        Ok(b"Image") => {
                            *has_image = true;
                            self.check_image(&xobj.dict, page_no);
                        }
                        Ok(b"Form") => {
                            if depth >= MAX_FORM_DEPTH {
                                self.warn(format!("page {page_no}: form XObjects nested too deep"));
                                continue;
                            }
                            self.form_draws += 1;
                            if self.form_draws > MAX_FORM_DRAWS {
                                if self.form_draws == MAX_FORM_DRAWS + 1 {
                                    self.warn(format!(
                                        "page {page_no}: over {MAX_FORM_DRAWS} form XObjects drawn, rest skipped"
                                    ));
                                }
                                continue;
                            }
                            // Cycle guard: a form may (directly or not) draw itself.
                            if let Some(id) = id
                                && !visiting.insert(id)
                            {
                                continue;
                            }
                            let form_res = match dict_get(doc, &xobj.dict, b"Resources") {
                                Some(Object::Dictionary(r)) => Some(r),
                                _ => resources,
                            };
                            if let Some(bytes) = self.decode(xobj, page_no, "form XObject") {
                                out.push(' ');
                                self.run_content(
                                    &bytes,
                                    form_res,
                                    out,
                                    has_image,
                                    depth + 1,
                                    visiting,
                                    page_no,
                                );
                                out.push(' ');
                            }
                            if let Some(id) = id {
                                visiting.remove(&id);
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }

    fn check_image(&mut self, dict: &Dictionary, page_no: usize) {
        let dim = |k: &[u8]| {
            dict_get(self.doc, dict, k)
                .and_then(|o| o.as_i64().ok())
                .unwrap_or(0)
        };
        let (w, h) = (dim(b"Width"), dim(b"Height"));
        let pixels = u64::try_from(w)
            .unwrap_or(0)
            .saturating_mul(u64::try_from(h).unwrap_or(0));
        if pixels > self.limits.max_image_pixels {
            self.oversized_images += 1;
            self.warn(format!(
                "page {page_no}: image {w}x{h} over pixel limit ({pixels} > {}), OCR will be refused",
                self.limits.max_image_pixels
            ));
        }
    }
}

/// How a font's codes become text.
enum FontDecoder<'a> {
    Lopdf(Encoding<'a>),
    /// Identity-H with a ToUnicode map of the single range `<0000> <FFFF> <0000>` (as
    /// Tesseract's and OCRmyPDF's GlyphLessFont write it): codes are UTF-16 units.
    /// Decoded directly, because expanding that map costs ~40 ms per document.
    Identity,
}

impl FontDecoder<'_> {
    fn decode(&self, bytes: &[u8]) -> Option<String> {
        match self {
            FontDecoder::Lopdf(e) => e.bytes_to_string(bytes).ok(),
            FontDecoder::Identity => {
                let units: Vec<u16> = bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                Some(
                    char::decode_utf16(units)
                        .map(|r| r.unwrap_or('\u{FFFD}'))
                        .collect(),
                )
            }
        }
    }
}

/// True for a Type0 Identity-H font whose ToUnicode map is the one identity range.
fn identity_to_unicode(doc: &Document, font: &Dictionary) -> bool {
    let identity_h = matches!(font.get(b"Encoding"), Ok(Object::Name(n)) if n == b"Identity-H");
    if !identity_h {
        return false;
    }
    let stream = match font.get(b"ToUnicode") {
        Ok(Object::Reference(id)) => doc.get_object(*id).ok().and_then(|o| o.as_stream().ok()),
        Ok(Object::Stream(s)) => Some(s),
        _ => None,
    };
    // A real identity map is tiny; anything large goes through lopdf's parser.
    let Some(content) = stream.and_then(|s| s.get_plain_content_with_limit(64 * 1024).ok()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&content).to_ascii_uppercase();
    let words: Vec<&str> = text.split_whitespace().collect();
    let flat = words.join(" ");
    !flat.contains("BEGINBFCHAR")
        && flat.matches("BEGINBFRANGE").count() == 1
        && flat.contains("1 BEGINBFRANGE <0000> <FFFF> <0000> ENDBFRANGE")
}

fn show_text(enc: &FontDecoder, operands: &[Object], out: &mut String) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                // Undecodable codes are dropped; the garbage heuristic judges the rest.
                if let Some(s) = enc.decode(bytes) {
                    out.push_str(&s);
                }
            }
            Object::Array(items) => show_text(enc, items, out),
            // Large negative TJ adjustments are inter-word gaps.
            Object::Integer(i) if *i < -200 => out.push(' '),
            Object::Real(r) if *r < -200.0 => out.push(' '),
            _ => {}
        }
    }
}

fn show_latin1(operands: &[Object], out: &mut String) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => out.extend(bytes.iter().map(|&b| char::from(b))),
            Object::Array(items) => show_latin1(items, out),
            _ => {}
        }
    }
}

/// Collapse every whitespace run (incl. NUL and control chars) to one space,
/// keeping line breaks as a single '\n'; trims the ends.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Option<char> = None;
    for c in s.chars() {
        if c.is_whitespace() || c == '\0' {
            if c == '\n' || c == '\r' {
                pending = Some('\n');
            } else if pending.is_none() {
                pending = Some(' ');
            }
        } else {
            if let Some(p) = pending.take()
                && !out.is_empty()
            {
                out.push(p);
            }
            out.push(c);
        }
    }
    out
}

/// Join letter-spaced headings ("П Р И К А З" → "ПРИКАЗ"): a run of at least four
/// single upper-case letters separated by single spaces. Upper case only, so runs
/// of one-letter lower-case words ("в и к") stay apart.
fn join_letter_spaced(s: &str) -> String {
    let single_upper = |t: &str| {
        let mut cs = t.chars();
        matches!((cs.next(), cs.next()), (Some(c), None) if c.is_uppercase())
    };
    let mut lines = Vec::new();
    for line in s.split('\n') {
        let tokens: Vec<&str> = line.split(' ').collect();
        let mut out: Vec<String> = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let mut j = i;
            while j < tokens.len() && single_upper(tokens[j]) {
                j += 1;
            }
            if j - i >= 4 {
                out.push(tokens[i..j].concat());
                i = j;
            } else {
                out.push(tokens[i].to_string());
                i += 1;
            }
        }
        lines.push(out.join(" "));
    }
    lines.join("\n")
}

/// Is this extracted text unusable (mojibake, look-alike soup, control junk)?
///
/// Word-level heuristic. A word (whitespace-separated, edge punctuation stripped)
/// is *suspicious* when it
/// 1. switches from lower to upper case inside the word ("ijbdZahf", "зрееК");
/// 2. mixes Latin and Cyrillic letters ("тeкст" with a Latin e);
/// 3. has `[ \ ] ^ _ ` { | } $ < > = ;` between letters — WinAnsi fonts without a
///    ToUnicode map turn Cyrillic into exactly these ("M]heh\guc", "ЕМСТ1$Н");
/// 4. is Latin, at least 5 letters, with under 20 % vowels ("dhgkmevl");
/// 5. is upper-case Cyrillic of 3+ letters made only of Latin look-alikes
///    (А В Е К М Н О Р С Т У Х) — English OCR'd with a Russian model ("СВЕАТ").
///
/// Real words trip a rule now and then ("iPhone", "МОСКВА"), so the text is
/// garbage only when at least 30 % of its lettered words are suspicious. Text
/// that is mostly U+FFFD, private-use or control characters is garbage too.
pub fn garbage_text(text: &str) -> bool {
    let mut chars = 0usize;
    let mut bad = 0usize;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        chars += 1;
        if c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c) || c.is_control() {
            bad += 1;
        }
    }
    if chars == 0 {
        return false;
    }
    if bad * 10 > chars {
        return true;
    }
    let mut words = 0usize;
    let mut suspicious = 0usize;
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| {
            !is_letter_or_digit(c)
                && !matches!(c, '[' | ']' | '{' | '}' | '\\' | '^' | '_' | '`' | '$')
        });
        if !word.chars().any(is_letter) {
            continue;
        }
        words += 1;
        if suspicious_word(word) {
            suspicious += 1;
        }
    }
    words >= 3 && suspicious * 10 >= words * 3
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// `char::is_alphabetic` with fast answers for ASCII and the Russian alphabet, which is
/// nearly all the text it sees (the general lookup was a visible share of ingest).
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else if ('\u{0410}'..='\u{044F}').contains(&c) || c == 'ё' || c == 'Ё' {
        true
    } else {
        c.is_alphabetic()
    }
}

fn is_letter_or_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_letter(c) || c.is_numeric()
    }
}

fn suspicious_word(word: &str) -> bool {
    let letters: Vec<char> = word.chars().filter(|&c| is_letter(c)).collect();
    let latin = letters.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let cyr = letters.iter().filter(|c| is_cyrillic(**c)).count();
    // 1. lower→upper switch inside the word.
    let case_switch = word
        .chars()
        .zip(word.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
    // 2. mixed scripts.
    let mixed = latin > 0 && cyr > 0;
    // 3. mojibake punctuation between the first and last letter.
    let first = word.find(is_letter).unwrap_or(0);
    let last = word.rfind(is_letter).unwrap_or(0);
    let inner = word.get(first..last).unwrap_or("");
    let odd_punct = inner.chars().any(|c| {
        matches!(
            c,
            '[' | '\\' | ']' | '^' | '_' | '`' | '{' | '|' | '}' | '$' | '<' | '>' | '=' | ';'
        )
    });
    // 4. vowel-less Latin.
    let vowels = letters
        .iter()
        .filter(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y'))
        .count();
    let no_vowels = latin == letters.len() && latin >= 5 && vowels * 5 < latin;
    // 5. upper-case Cyrillic made only of Latin look-alikes.
    let lookalike =
        cyr == letters.len() && cyr >= 3 && letters.iter().all(|c| "АВЕКМНОРСТУХ".contains(*c));
    case_switch || mixed || odd_punct || no_vowels || lookalike
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_russian_is_not_garbage() {
        assert!(!garbage_text(
            "Об утверждении Требований о защите информации, не составляющей \
             государственную тайну, содержащейся в государственных информационных системах. \
             ФЕДЕРАЛЬНАЯ СЛУЖБА ПО ТЕХНИЧЕСКОМУ И ЭКСПОРТНОМУ КОНТРОЛЮ, г. Москва"
        ));
    }

    #[test]
    fn normal_english_is_not_garbage() {
        assert!(!garbage_text(
            "Hello, here is some text without a meaning. This text should show what a \
             printed text will look like at this place. Strengths of the iPhone rhythm."
        ));
    }

    #[test]
    fn winansi_mojibake_is_garbage() {
        assert!(garbage_text(
            "ijbdZahf NKLWD Jhkkbb hl n_\\jZey ] 17 Lj_[h\\Zgby"
        ));
        assert!(garbage_text("M]heh\\guc dh^_dk Jhkkbckdhc N_^_jZpbb"));
    }

    #[test]
    fn english_ocred_as_russian_is_garbage() {
        assert!(garbage_text(
            "ТНЕ СВЕАТ ЕМСТ1$Н РОСОМЕМТ 1) Е15т${ Нет мВ зоте еп 1$В {ехё"
        ));
    }

    #[test]
    fn lookalike_mixed_words_are_garbage() {
        // Latin a/e/o/p/c inside Cyrillic words.
        assert!(garbage_text("пpикaз oб утвepждeнии тpeбoвaний"));
    }

    #[test]
    fn replacement_chars_are_garbage() {
        assert!(garbage_text(
            "\u{FFFD}\u{FFFD}\u{FFFD} ab \u{E001}\u{E002}\u{FFFD}"
        ));
        assert!(!garbage_text(""));
    }

    #[test]
    fn letter_spacing_collapses() {
        assert_eq!(
            join_letter_spaced("приказ П Р И К А З № 17"),
            "приказ ПРИКАЗ № 17"
        );
        assert_eq!(join_letter_spaced("в и к"), "в и к");
    }

    #[test]
    fn refusals_for_trivial_inputs() {
        let l = PdfLimits::default();
        assert_eq!(inspect(b"", &l).map(|_| ()).unwrap_err().code(), "empty");
        assert_eq!(
            inspect(b"oops\n", &l).map(|_| ()).unwrap_err().code(),
            "not-pdf"
        );
        let mut deep = b"%PDF-1.4\n1 0 obj\n".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 20_000));
        assert_eq!(
            inspect(&deep, &l).map(|_| ()).unwrap_err().code(),
            "over-limit"
        );
        // Junk before the header is tolerated; truncated garbage is refused cleanly.
        let r = inspect(b"JUNK%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", &l);
        assert!(
            matches!(r, Err(Refusal::NoPages | Refusal::Damaged(_))),
            "{r:?}"
        );
    }

    #[test]
    fn nesting_estimate() {
        assert_eq!(
            max_nesting_depth(b"<< /A [1 [2]] >> (([[[) stream\n[[[[\nendstream", 100),
            3
        );
        let deep = vec![b'['; 20_000];
        assert!(max_nesting_depth(&deep, 256) > 256);
    }
}
