//! Stage 1, preparing: everything that can be done without touching the archive (read
//! through the no-follow path, hash, convert images, validate the PDF, read the dropped
//! sidecar, classify). Runs on the rayon pool, overlapping the previous batch's writes.
//! Each input ends as [`Prepared::Ready`] or as a [`Stop`] that says why not.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::formats::naming;
use crate::formats::ocr::PageText;
use crate::formats::pdf::{self, PdfInfo, PdfLimits, TextLayer};
use crate::formats::scanimage;
use crate::ingest::classify::{Classified, Classifier, Evidence};
use crate::ingest::input::{Input, is_toml_name};
use crate::ingest::ocr::merge_pages;
use crate::ingest::ocrcache::OcrCache;
use crate::ingest::receipt::Subject;
use crate::ingest::sidecar::{self, Dropped};
use crate::ingest::source;
use crate::ru::results::DocResults;
use crate::store::archive::Archive;
use crate::store::document::{DropSidecar, OcrInfo, OriginalImage, TextSource};
use crate::store::fsutil;

/// How many bytes of scans a batch keeps in memory from reading to writing (the rest are
/// read again when written): reading and hashing each scan a second time was about 6 % of
/// ingest's CPU time, and the pipeline holds at most two batches.
pub(crate) const KEEP_PER_BATCH: u64 = 32 << 20;

/// One input after preparing.
#[allow(clippy::large_enum_variant)] // short-lived, one per input in a batch
pub(crate) enum Prepared {
    Ready(Box<Ready>),
    Review {
        subject: Subject,
        reasons: Vec<String>,
        found: Box<Classified>,
        pages: u32,
        sidecar: Option<Box<Dropped>>,
        /// The text classification read (OCR or text layer), kept beside the scan.
        text: String,
    },
    /// No usable text, and the kind or year needs one: OCR it first (the caller's pool),
    /// then prepare it again. Carries the scan as read, for the duplicate check.
    NeedsOcr {
        ready: Box<Ready>,
        /// The PDF to read (for an image, the PDF made from it): the bytes that were hashed.
        pdf: Arc<Vec<u8>>,
        /// Pages without a usable text layer (1-based).
        pages: Vec<u32>,
    },
    Refuse {
        subject: Subject,
        code: &'static str,
        reason: String,
        /// Leave the file where it is (the receipt is the record).
        leave: bool,
    },
    /// A temporary failure (permission, I/O): retried later.
    Defer {
        subject: Subject,
        reason: String,
    },
    /// Still being written: the watcher waits for it again, `ingest` records it deferred.
    Busy {
        subject: Subject,
        reason: String,
    },
    Vanished {
        subject: Subject,
    },
}

/// A scan ready to be placed: read, valid, classified.
pub(crate) struct Ready {
    pub subject: Subject,
    pub sha: String,
    pub size: u64,
    pub info: PdfInfo,
    pub found: Classified,
    pub text: String,
    /// For an image input: the PDF made from it (archived instead of the source bytes).
    pub converted: Option<(Vec<u8>, OriginalImage)>,
    /// The scan's bytes as they were read and hashed, kept (within the batch's
    /// [`KEEP_PER_BATCH`]) to be written from memory instead of read a second time.
    pub kept: Option<Arc<Vec<u8>>>,
    pub sidecar: Option<Dropped>,
    /// OCR read before filing (from the cache): the pages' sources, confidences, turns.
    pub ocr: Option<Vec<PageText>>,
    /// The learner results the text states, when already read from this text (by the
    /// parallel preparation, so the single writer does not).
    pub results: Option<Option<DocResults>>,
}

impl Ready {
    pub fn input(&self) -> &Input {
        &self.subject.input
    }

    /// The learner results its text states, for its kind.
    pub fn read_results(&self, staff_markers: &[String]) -> Option<DocResults> {
        match &self.results {
            Some(read) => read.clone(),
            None => crate::ru::results::extract(
                self.found.kind.as_deref().unwrap_or_default(),
                &self.text,
                staff_markers,
            ),
        }
    }
}

/// Why an input is not ready, found by one of the steps.
enum Stop {
    Vanished,
    Busy(String),
    Defer(String),
    Refuse {
        code: &'static str,
        reason: String,
        leave: bool,
    },
    Review {
        reasons: Vec<String>,
        found: Box<Classified>,
        pages: u32,
        text: String,
    },
    NeedsOcr {
        scan: Box<Scan>,
        pdf: Arc<Vec<u8>>,
        pages: Vec<u32>,
    },
}

impl Stop {
    fn refuse(code: &'static str, reason: impl Into<String>) -> Stop {
        Stop::Refuse {
            code,
            reason: reason.into(),
            leave: false,
        }
    }

    /// A read that failed: gone, or a temporary failure.
    fn io(what: &str, e: io::Error) -> Stop {
        match e.kind() {
            io::ErrorKind::NotFound => Stop::Vanished,
            _ if e.raw_os_error() == Some(libc::ELOOP)
                || e.raw_os_error() == Some(libc::ENOTDIR) =>
            {
                Stop::Refuse {
                    code: "not-a-file",
                    reason: "a folder on its path is a symbolic link; links are never followed"
                        .into(),
                    leave: true,
                }
            }
            _ => Stop::Defer(format!("cannot read {what}: {e}")),
        }
    }

    fn into_prepared(self, subject: Subject, sidecar: Option<Dropped>) -> Prepared {
        match self {
            Stop::Vanished => Prepared::Vanished { subject },
            Stop::Busy(reason) => Prepared::Busy { subject, reason },
            Stop::Defer(reason) => Prepared::Defer { subject, reason },
            Stop::Refuse {
                code,
                reason,
                leave,
            } => Prepared::Refuse {
                subject,
                code,
                reason,
                leave,
            },
            Stop::Review {
                reasons,
                found,
                pages,
                text,
            } => Prepared::Review {
                subject,
                reasons,
                found,
                pages,
                sidecar: sidecar.map(Box::new),
                text,
            },
            Stop::NeedsOcr { scan, pdf, pages } => Prepared::NeedsOcr {
                ready: Box::new(scan.with(subject, sidecar)),
                pdf,
                pages,
            },
        }
    }
}

/// Whether a scan whose kind or year needs text it does not have is OCRed before it is
/// classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcrFirst {
    /// Not here (OCR disabled in the configuration, or a caller that runs no OCR): such a
    /// scan goes to review.
    Off,
    /// Tesseract is not available: to review, with this reason.
    Unavailable(String),
    /// Returned as [`Prepared::NeedsOcr`] for the caller's OCR pool.
    Queue,
}

/// The stage of the pipeline that writes nothing: it can run on another thread while
/// the previous batch is placed.
#[derive(Clone)]
pub(crate) struct Preparer<'a> {
    pub classifier: Arc<Classifier>,
    pub limits: PdfLimits,
    pub archive: &'a Archive,
    pub ocr_first: OcrFirst,
    /// OCR done before filing, by the scan's SHA-256 (read even when OCR is off now).
    pub cache: OcrCache,
}

impl Preparer<'_> {
    pub fn prepare_all(&self, inputs: Vec<Input>) -> Vec<Prepared> {
        let t0 = std::time::Instant::now();
        let n = inputs.len();
        let budget = AtomicU64::new(KEEP_PER_BATCH);
        let prepared = inputs
            .into_par_iter()
            .map(|i| self.prepare_keeping(i, &budget))
            .collect();
        tracing::debug!("batch of {n}: prepared in {:?}", t0.elapsed());
        prepared
    }

    /// Prepares one input, as a batch of one.
    #[cfg(test)]
    pub fn prepare(&self, input: Input) -> Prepared {
        self.prepare_keeping(input, &AtomicU64::new(KEEP_PER_BATCH))
    }

    /// Prepares one input; its bytes are kept for writing if they fit in what is left of
    /// `budget`.
    pub(crate) fn prepare_keeping(&self, input: Input, budget: &AtomicU64) -> Prepared {
        let mut subject = Subject::new(input);
        let mut sidecar = None;
        match self.try_ready(&mut subject, &mut sidecar, budget) {
            Ok(r) => {
                let mut ready = r.with(subject, sidecar);
                ready.results =
                    Some(ready.read_results(&self.archive.config.classify.staff_markers));
                Prepared::Ready(Box::new(ready))
            }
            Err(stop) => stop.into_prepared(subject, sidecar),
        }
    }

    fn try_ready(
        &self,
        s: &mut Subject,
        side: &mut Option<Dropped>,
        budget: &AtomicU64,
    ) -> Result<Scan, Stop> {
        // As first seen: a source is only moved or removed if it is still this file.
        s.seen = source::lstat_identity(&s.input.base, &s.input.rel()).ok();
        known_refusal(&s.input)?;
        regular_file(s, &self.limits)?;
        let bytes = read_whole(s, &self.limits)?;
        let (pdf, converted) = as_pdf(s, bytes, &self.limits)?;
        let pdf = Arc::new(pdf);
        let info = pdf::inspect_shared(pdf.clone(), &self.limits)
            .map_err(|r| Stop::refuse(r.code(), r.to_string()))?;
        if s.input.sidecar_unusable.is_none() {
            *side = sidecar::read(&s.input);
        }
        // Pages without a usable text layer, and what OCR already read of them.
        let blank = pages_without_text(&info);
        let languages = &self.archive.config.ocr.languages;
        let cached = match (&s.sha, blank.is_empty()) {
            (Some(sha), false) => self.cache.get(sha, languages),
            _ => None,
        };
        let (text, source) = match &cached {
            Some(c) => (merge_pages(&layer_text(&info), info.pages, &c.pages), "ocr"),
            None => (layer_text(&info), "text"),
        };
        let (found, mut reasons) = self.classify(&s.input, &info, side.as_ref(), &text, source)?;
        let needs_text = found.kind.is_none() || found.year.is_none();
        if needs_text && !blank.is_empty() {
            match (&cached, &self.ocr_first) {
                (Some(c), _) => reasons.extend(c.failure()),
                // A pixel bomb is never rasterised.
                (None, OcrFirst::Queue) if info.oversized_images > 0 => reasons.push(
                    "OCR is refused: a page image is over the pixel limit (limits.max_image_mpixels)"
                        .into(),
                ),
                (None, OcrFirst::Queue) => {
                    let scan = Scan {
                        info,
                        found,
                        converted,
                        kept: None,
                        text: None,
                        ocr: None,
                    };
                    return Err(Stop::NeedsOcr {
                        scan: Box::new(scan),
                        pdf,
                        pages: blank,
                    });
                }
                (None, OcrFirst::Unavailable(why)) => {
                    reasons.push(format!("OCR is not available: {why}"))
                }
                (None, OcrFirst::Off) => {}
            }
        }
        if !reasons.is_empty() {
            return Err(Stop::Review {
                reasons,
                found: Box::new(found),
                pages: info.pages,
                text,
            });
        }
        // A converted image is written from `converted`; a PDF from the bytes read, if
        // they fit in the batch's budget (else it is read again when written).
        let len = pdf.len() as u64;
        let kept = (converted.is_none()
            && budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    left.checked_sub(len)
                })
                .is_ok())
        .then_some(pdf);
        Ok(Scan {
            info,
            found,
            converted,
            kept,
            text: cached.is_some().then_some(text),
            ocr: cached.map(|c| c.pages),
        })
    }

    /// What the scan is, from its sidecar, folders, name, Info and text (`source`: "text"
    /// for a text layer, "ocr"); with the reasons a person is needed: the kind or year
    /// cannot be told, or a value is unusable.
    fn classify(
        &self,
        input: &Input,
        info: &PdfInfo,
        sidecar: Option<&Dropped>,
        text: &str,
        source: &str,
    ) -> Result<(Classified, Vec<String>), Stop> {
        let max = self.archive.config.boxes.max_name_bytes;
        let (usable, sidecar_error) = match sidecar.map(|d| (&d.parsed, d)) {
            Some((Ok(s), _)) => (Some(s.clone()), None),
            Some((Err(e), d)) => (
                Some(d.readable.clone()),
                Some(format!(
                    "its sidecar {} could not be read: {e}",
                    d.file_name()
                )),
            ),
            None => (None, None),
        };
        if sidecar_error.is_none() {
            check_sidecar_group(usable.as_ref(), max)?;
        }
        let name = input.name();
        let found = self.classifier.classify_from(
            &Evidence {
                sidecar: usable.as_ref(),
                folders: &input.folders,
                file_name: &name,
                info: &info.info,
                text,
            },
            source,
        );
        let mut reasons: Vec<String> = sidecar_error.into_iter().collect();
        reasons.extend(input.sidecar_unusable.clone());
        reasons.extend(found.review_reasons());
        if let Some(k) = &found.kind
            && !self.classifier.is_kind(k)
        {
            reasons.push(format!(
                "kind \"{k}\" is not in the nomenclature (allowed: {})",
                self.archive.nomenclature.kind_ids().join(", ")
            ));
        }
        if let Some(g) = &found.group
            && !naming::is_safe_component(g, max)
        {
            reasons.push(format!(
                "the group \"{}\" is not a plain folder name",
                g.escape_debug()
            ));
        }
        Ok((found, reasons))
    }
}

/// The text layer as classification reads it: pages separated by form feeds, nothing
/// from an unusable (garbage) layer.
fn layer_text(info: &PdfInfo) -> String {
    match info.text_layer {
        TextLayer::Garbage => String::new(),
        _ => info.page_text.join("\n\u{c}\n"),
    }
}

/// Pages (1-based) without a usable text layer: what OCR would read.
fn pages_without_text(info: &PdfInfo) -> Vec<u32> {
    OcrInfo::needed(info)
        .map(|o| {
            o.pages
                .iter()
                .filter(|p| p.source == TextSource::None)
                .map(|p| p.page)
                .collect()
        })
        .unwrap_or_default()
}

/// What `try_ready` found, before it is joined with its subject.
struct Scan {
    info: PdfInfo,
    found: Classified,
    converted: Option<(Vec<u8>, OriginalImage)>,
    kept: Option<Arc<Vec<u8>>>,
    /// The text with OCR'd pages put in; `None`: the text layer as it is.
    text: Option<String>,
    ocr: Option<Vec<PageText>>,
}

impl Scan {
    fn with(self, subject: Subject, sidecar: Option<Dropped>) -> Ready {
        let text = self
            .text
            .unwrap_or_else(|| self.info.page_text.join("\n\u{c}\n"));
        Ready {
            sha: subject.sha.clone().unwrap_or_default(),
            size: subject.size.unwrap_or_default(),
            subject,
            info: self.info,
            found: self.found,
            text,
            converted: self.converted,
            kept: self.kept,
            sidecar,
            ocr: self.ocr,
            results: None,
        }
    }
}

/// A refusal the walk or the watcher already decided (temporary name, unreadable path).
fn known_refusal(input: &Input) -> Result<(), Stop> {
    match &input.refusal {
        Some(r) => Err(Stop::Refuse {
            code: r.code,
            reason: r.reason.clone(),
            leave: r.leave || !input.consume,
        }),
        None => Ok(()),
    }
}

/// The input is a regular file of an acceptable size (seen without following links).
fn regular_file(s: &mut Subject, limits: &PdfLimits) -> Result<(), Stop> {
    let seen = source::lstat_identity(&s.input.base, &s.input.rel())
        .map_err(|e| Stop::io("the file's attributes", e))?;
    s.seen = Some(seen);
    let meta = std::fs::symlink_metadata(&s.input.path).map_err(|e| Stop::io("the file", e))?;
    let ft = meta.file_type();
    if !ft.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_symlink() {
            "a symbolic link; links are never followed"
        } else if ft.is_fifo() {
            "a named pipe (FIFO)"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_block_device() || ft.is_char_device() {
            "a device"
        } else {
            "not a regular file"
        };
        let target = ft
            .is_symlink()
            .then(|| std::fs::read_link(&s.input.path).ok())
            .flatten()
            .map(|t| format!(" (it points to {}; not opened)", t.display()))
            .unwrap_or_default();
        return Err(Stop::Refuse {
            code: "not-a-file",
            reason: format!("not a regular file: {what}{target}"),
            // `ingest` never copies links or devices; the watcher moves the entry itself.
            leave: !s.input.consume,
        });
    }
    let size = seen.size;
    s.size = Some(size);
    if size == 0 {
        return Err(Stop::refuse("empty", "empty file (0 bytes)"));
    }
    if size > limits.max_bytes {
        return Err(Stop::refuse(
            "over-limit",
            format!(
                "over the size limit ({size} bytes > {} bytes; see limits.max_file_mb)",
                limits.max_bytes
            ),
        ));
    }
    Ok(())
}

/// Reads the whole file through its no-follow path and hashes it. A file that changes
/// while it is read, or that a program still holds open for writing, is not complete.
fn read_whole(s: &mut Subject, limits: &PdfLimits) -> Result<Vec<u8>, Stop> {
    let (base, rel) = (s.input.base.clone(), s.input.rel());
    let (bytes, before, after) =
        source::read_source(&base, &rel, limits.max_bytes).map_err(|e| Stop::io("the file", e))?;
    if before.differs(&after).is_some() {
        return Err(Stop::Busy("it changed while it was being read".into()));
    }
    if writer_holds(&base, &rel) {
        return Err(Stop::Busy("a program still has it open for writing".into()));
    }
    s.seen = Some(after);
    s.size = Some(bytes.len() as u64);
    s.sha = Some(fsutil::sha256_hex(&bytes));
    Ok(bytes)
}

fn writer_holds(base: &Path, rel: &Path) -> bool {
    source::Parent::open(base, rel)
        .and_then(|p| p.open_file())
        .is_ok_and(|f| source::held_open_for_writing(&f))
}

/// The bytes to archive: a PDF as it is, a scanner image converted to PDF (original bytes
/// embedded where the format allows); anything else is refused with what it is.
#[allow(clippy::type_complexity)]
fn as_pdf(
    s: &mut Subject,
    bytes: Vec<u8>,
    limits: &PdfLimits,
) -> Result<(Vec<u8>, Option<(Vec<u8>, OriginalImage)>), Stop> {
    if let Some(fmt) = scanimage::sniff(&bytes) {
        let il = scanimage::ImageLimits {
            max_pixels: limits.max_image_pixels,
            max_pages: limits.max_pages,
        };
        let c = scanimage::image_to_pdf(&bytes, &il)
            .map_err(|e| Stop::refuse("image", e.to_string()))?;
        let original = OriginalImage {
            name: s.input.name(),
            sha256: s.sha.clone().unwrap_or_default(),
            size: bytes.len() as u64,
            format: format!("{fmt:?}").to_uppercase(),
            embedding: c.embedding.clone(),
        };
        // The archived document is the PDF: its hash is the document's id.
        s.sha = Some(fsutil::sha256_hex(&c.pdf));
        s.size = Some(c.pdf.len() as u64);
        return Ok((c.pdf.clone(), Some((c.pdf, original))));
    }
    if let Some(name) = scanimage::sniff_unsupported(&bytes) {
        return Err(Stop::refuse(
            "unsupported-format",
            format!("unsupported image format: {name} (save scans as PDF, JPEG, PNG or TIFF)"),
        ));
    }
    if let Some(kind) = sniff_other_format(&bytes) {
        if is_toml_name(&s.input.name()) && std::str::from_utf8(&bytes).is_ok() {
            return Err(orphan_sidecar(&s.input));
        }
        return Err(Stop::refuse("not-pdf", format!("not a PDF: {kind}")));
    }
    Ok((bytes, None))
}

/// A `.toml` with no scan beside it: staff's metadata for a scan that is not there.
fn orphan_sidecar(input: &Input) -> Stop {
    let name = input.name();
    let stem = &name[..name.len().saturating_sub(5)];
    Stop::refuse(
        "orphan-sidecar",
        format!(
            "a metadata sidecar with no scan beside it ({stem} is not there); drop the scan and this file together"
        ),
    )
}

/// A sidecar may name a group only as a plain folder name: anything else is refused
/// rather than rewritten.
fn check_sidecar_group(sidecar: Option<&DropSidecar>, max: usize) -> Result<(), Stop> {
    if let Some(g) = sidecar.and_then(|s| s.group.as_ref())
        && !naming::is_safe_component(g, max)
    {
        return Err(Stop::refuse(
            "bad-sidecar",
            format!(
                "the sidecar's group \"{}\" is not a plain folder name (it contains '/', '\\', '..', control characters or starts with '-')",
                g.escape_debug()
            ),
        ));
    }
    Ok(())
}

/// Names common non-PDF formats, for a clearer refusal.
fn sniff_other_format(b: &[u8]) -> Option<&'static str> {
    let head = &b[..b.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return None;
    }
    Some(if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "JPEG image"
    } else if b.starts_with(b"\x89PNG") {
        "PNG image"
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        "TIFF image"
    } else if b.starts_with(b"BM") {
        "BMP image (unsupported format)"
    } else if b.starts_with(b"PK\x03\x04") {
        "a ZIP container (e.g. DOCX/XLSX)"
    } else if b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "an old Microsoft Office document"
    } else {
        "no %PDF- header in the first 1024 bytes"
    })
}

/// True when the first bytes of a file look like a scan (PDF or scanner image): a `.toml`
/// that is really a PDF is a scan, not a sidecar.
pub fn looks_like_scan(head: &[u8]) -> bool {
    head.windows(5).any(|w| w == b"%PDF-") || scanimage::sniff(head).is_some()
}
