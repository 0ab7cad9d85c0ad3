//! OCR results of scans not yet filed, kept durably by the scan's SHA-256 (the id the
//! document will have) under `ROOT/journal/ocr-cache/<sha256>.json`. A scan that needs
//! OCR before it can be classified stays in the inbox while it is read; if the process
//! dies then, the next run finds the result here and does not read the scan again.
//!
//! An entry is removed once the document it belongs to is archived (its text is then in
//! the box). An entry for a scan sent to review is kept: when a person files the scan,
//! its OCR is reused instead of being done again after filing.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::formats::ocr::PageText;
use crate::store::fsutil;

/// Entries older than this whose scan never came back are removed at start-up.
const STALE_AFTER: Duration = Duration::from_secs(90 * 24 * 3600);

/// Results kept in memory when they could not be written (a full disk): the scan is not
/// read again by this process meanwhile. Bounded: cleared when over.
const MEMO_MAX: usize = 256;

/// One scan's OCR, as kept on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedOcr {
    pub sha256: String,
    /// Tesseract's languages (`ocr.languages`): results for other languages are not used.
    pub languages: String,
    pub at: DateTime<Utc>,
    /// One entry per page read (1-based), with text, confidence, rotation or the error.
    pub pages: Vec<PageText>,
}

impl CachedOcr {
    /// Pages read without an error.
    pub fn readable(&self) -> impl Iterator<Item = &PageText> {
        self.pages.iter().filter(|p| p.error.is_none())
    }

    /// Why OCR gave nothing usable, if it did not: the first error, or "no text".
    pub fn failure(&self) -> Option<String> {
        if self.readable().any(|p| !p.text.trim().is_empty()) {
            return None;
        }
        Some(match self.pages.iter().find_map(|p| p.error.as_deref()) {
            Some(e) => format!("OCR failed: {e}"),
            None => "OCR found no text on the scan".to_string(),
        })
    }
}

/// The cache folder, and results that could not be written to it.
#[derive(Clone)]
pub struct OcrCache {
    dir: PathBuf,
    memo: Arc<Mutex<HashMap<String, CachedOcr>>>,
}

impl OcrCache {
    pub fn new(journal: &Path) -> OcrCache {
        OcrCache {
            dir: journal.join("ocr-cache"),
            memo: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, sha: &str) -> PathBuf {
        self.dir.join(format!("{sha}.json"))
    }

    /// The result for a scan, if one was made with these languages. An unreadable entry
    /// (torn by a crash the atomic write should prevent, or edited) counts as none.
    pub fn get(&self, sha: &str, languages: &str) -> Option<CachedOcr> {
        if !is_sha(sha) {
            return None;
        }
        let found = match std::fs::read(self.path(sha)) {
            Ok(bytes) => serde_json::from_slice::<CachedOcr>(&bytes)
                .map_err(|e| {
                    tracing::warn!("{}: unreadable, ignored: {e}", self.path(sha).display())
                })
                .ok(),
            Err(_) => None,
        }
        .or_else(|| self.memo.lock().ok().and_then(|m| m.get(sha).cloned()));
        found.filter(|c| c.sha256 == sha && c.languages == languages)
    }

    /// Keeps a result durably (temporary file, fsync, rename, fsync of the folder). When
    /// that fails the result is kept in memory for this process and the error returned.
    pub fn put(&self, entry: &CachedOcr) -> io::Result<()> {
        if !is_sha(&entry.sha256) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{:?} is not a SHA-256", entry.sha256),
            ));
        }
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| {
            let json = serde_json::to_vec_pretty(entry).map_err(io::Error::other)?;
            fsutil::write_atomic(&self.path(&entry.sha256), &json, true)
        });
        if let Ok(mut m) = self.memo.lock() {
            if written.is_ok() {
                m.remove(&entry.sha256);
            } else {
                if m.len() >= MEMO_MAX {
                    m.clear();
                }
                m.insert(entry.sha256.clone(), entry.clone());
            }
        }
        written
    }

    /// Forgets a result (its document is archived). A failure leaves a stale entry that
    /// the start-up sweep removes later: logged, not an error.
    pub fn remove(&self, sha: &str) {
        if let Ok(mut m) = self.memo.lock() {
            m.remove(sha);
        }
        if !is_sha(sha) {
            return;
        }
        match std::fs::remove_file(self.path(sha)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("{}: could not be removed: {e}", self.path(sha).display()),
        }
    }

    /// Removes entries not used for a long time and temporary files a crash left.
    pub fn sweep(&self) -> usize {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for e in rd.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            let name = e.file_name().to_string_lossy().into_owned();
            let temp = !name.ends_with(".json") && age > Duration::from_secs(3600);
            if meta.is_file()
                && (age > STALE_AFTER || temp)
                && std::fs::remove_file(e.path()).is_ok()
            {
                removed += 1;
            }
        }
        removed
    }
}

fn is_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::ocr::TextSource;

    fn entry(sha: &str) -> CachedOcr {
        CachedOcr {
            sha256: sha.into(),
            languages: "rus+eng".into(),
            at: Utc::now(),
            pages: vec![PageText {
                page: 1,
                source: TextSource::Ocr,
                text: "ПРИКАЗ".into(),
                confidence: Some(91.0),
                rotation: 0,
                error: None,
            }],
        }
    }

    #[test]
    fn entries_round_trip_and_other_languages_do_not_count() {
        let tmp = tempfile::tempdir().unwrap();
        let c = OcrCache::new(tmp.path());
        let sha = "a".repeat(64);
        assert!(c.get(&sha, "rus+eng").is_none());
        c.put(&entry(&sha)).unwrap();
        let got = c.get(&sha, "rus+eng").unwrap();
        assert_eq!((got.pages.len(), got.pages[0].text.as_str()), (1, "ПРИКАЗ"));
        assert_eq!(got.pages[0].confidence, Some(91.0));
        assert!(c.get(&sha, "eng").is_none());
        c.remove(&sha);
        assert!(c.get(&sha, "rus+eng").is_none());
        assert!(c.put(&entry("../x")).is_err());
    }

    #[test]
    fn a_result_that_cannot_be_written_is_kept_in_memory() {
        let tmp = tempfile::tempdir().unwrap();
        // A file where the cache folder should be: the write fails.
        std::fs::write(tmp.path().join("ocr-cache"), b"x").unwrap();
        let c = OcrCache::new(tmp.path());
        let sha = "b".repeat(64);
        assert!(c.put(&entry(&sha)).is_err());
        assert!(c.get(&sha, "rus+eng").is_some());
    }
}
