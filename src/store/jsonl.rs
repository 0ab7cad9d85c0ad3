//! JSON Lines journals (the audit log, receipts, fixity history, the pipeline's intents):
//! one appender and one reader, so every journal tears and heals the same way.
//!
//! - An append writes whole lines with one `write` and one `fsync`; if either fails the
//!   file is truncated back to its previous length, so a failed append (disk full) never
//!   leaves a partial line behind.
//! - A crash can still leave one: the *torn tail*, bytes after the last newline. Readers
//!   report it and never join it to anything; [`cut_torn_tail`] moves it to
//!   `journal/torn/` as evidence.
//! - Readers split on `\n` only. A line that does not parse is reported as damaged with
//!   its number, never skipped silently and never merged with its neighbour.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::fsutil;

/// Appends whole lines to one journal durably, or not at all.
pub struct Appender {
    path: PathBuf,
    file: File,
}

impl Appender {
    /// Opens `path` for appending, creating it (and making its folder entry durable).
    pub fn open(path: &Path) -> io::Result<Appender> {
        let existed = path.exists();
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        if !existed && let Some(dir) = path.parent() {
            fsutil::fsync_dir(dir)?;
        }
        Ok(Appender {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, for taking a lock around a read-check-append sequence.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Appends items as lines, all or nothing.
    pub fn append<T: Serialize>(&mut self, items: &[T]) -> io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let buf = encode(items)?;
        self.append_bytes(&buf)
    }

    /// Appends bytes that are whole lines (ending in `\n`): one write, one fsync; on
    /// failure the file is cut back to its previous length.
    pub fn append_bytes(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        if buf.last() != Some(&b'\n') {
            return Err(io::Error::other(
                "internal error: a journal append must end with a newline",
            ));
        }
        let before = self.file.metadata()?.len();
        let res = self
            .file
            .write_all(buf)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = res {
            let undo = self
                .file
                .set_len(before)
                .and_then(|()| self.file.sync_data());
            return Err(match undo {
                Ok(()) => io::Error::new(
                    e.kind(),
                    format!("cannot append to {}: {e}", self.path.display()),
                ),
                Err(u) => io::Error::new(
                    e.kind(),
                    format!(
                        "cannot append to {}: {e}; the partial line could not be removed ({u}): run `archivist audit repair`",
                        self.path.display()
                    ),
                ),
            });
        }
        Ok(())
    }
}

/// Items as JSON lines.
pub fn encode<T: Serialize>(items: &[T]) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    for it in items {
        serde_json::to_writer(&mut buf, it).map_err(io::Error::other)?;
        buf.push(b'\n');
    }
    Ok(buf)
}

/// The end of a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    /// File length.
    pub len: u64,
    /// Where the last complete line ends (just after its newline); 0 when none.
    pub complete: u64,
}

impl Tail {
    /// Bytes after the last newline: a line cut short.
    pub fn torn(&self) -> u64 {
        self.len - self.complete
    }
}

/// Finds the end of the last complete line, reading backwards from the end. A missing
/// file reads as empty.
pub fn tail(path: &Path) -> io::Result<Tail> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Tail {
                len: 0,
                complete: 0,
            });
        }
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf[..n])?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            return Ok(Tail {
                len,
                complete: start + i as u64 + 1,
            });
        }
        end = start;
    }
    Ok(Tail { len, complete: 0 })
}

/// The last complete line (without its newline), if any.
pub fn last_line(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let t = tail(path)?;
    if t.complete == 0 {
        return Ok(None);
    }
    let mut f = File::open(path)?;
    let mut end = t.complete - 1; // the newline
    let mut out: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf[..n])?;
        match memchr::memrchr(b'\n', &buf[..n]) {
            Some(i) => {
                let mut line = buf[i + 1..n].to_vec();
                line.extend_from_slice(&out);
                return Ok(Some(line));
            }
            None => {
                let mut line = buf[..n].to_vec();
                line.extend_from_slice(&out);
                out = line;
                end = start;
            }
        }
    }
    Ok(Some(out))
}

/// One line as the reader met it.
pub struct Line<'a> {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of the line's start.
    pub offset: u64,
    /// The line without its newline.
    pub bytes: &'a [u8],
    /// False for the torn tail (no newline after it).
    pub complete: bool,
}

/// Calls `f` for every line, in order, streaming (memory does not grow with the file).
/// A missing file has no lines.
pub fn for_each_line(path: &Path, mut f: impl FnMut(Line<'_>) -> io::Result<()>) -> io::Result<()> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut r = BufReader::with_capacity(256 * 1024, file);
    let mut buf = Vec::new();
    let (mut number, mut offset) = (0usize, 0u64);
    loop {
        buf.clear();
        let n = r.read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        let complete = buf.last() == Some(&b'\n');
        let bytes = if complete { &buf[..n - 1] } else { &buf[..] };
        f(Line {
            number,
            offset,
            bytes,
            complete,
        })?;
        offset += n as u64;
    }
}

/// Calls `f` for every complete line holding one of `needles`, in order. Made for
/// looking up a few records in a long journal (a document's history in an audit log of
/// millions of lines): the file is read in large blocks and searched whole, so lines
/// that hold no needle are never copied or visited one by one.
pub fn for_each_matching(
    path: &Path,
    needles: &[memchr::memmem::Finder],
    mut f: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    const BLOCK: usize = 1 << 20;
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut starts: Vec<usize> = Vec::new();
    loop {
        let kept = buf.len();
        buf.resize(kept + BLOCK, 0);
        let n = match file.read(&mut buf[kept..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                buf.truncate(kept);
                continue;
            }
            Err(e) => return Err(e),
        };
        buf.truncate(kept + n);
        if n == 0 {
            // Whatever is left has no newline: a torn tail, never a record.
            return Ok(());
        }
        // Complete lines only; the rest waits for the next block.
        let Some(last) = memchr::memrchr(b'\n', &buf) else {
            continue;
        };
        let lines = &buf[..=last];
        starts.clear();
        for needle in needles {
            starts.extend(
                needle
                    .find_iter(lines)
                    .map(|at| memchr::memrchr(b'\n', &lines[..at]).map_or(0, |nl| nl + 1)),
            );
        }
        starts.sort_unstable();
        starts.dedup();
        for &s in &starts {
            let e = memchr::memchr(b'\n', &lines[s..]).map_or(lines.len(), |nl| s + nl);
            f(&lines[s..e])?;
        }
        buf.drain(..=last);
    }
}

/// A line that could not be read as a record.
#[derive(Debug, Clone, Serialize)]
pub struct Damaged {
    pub line: usize,
    pub offset: u64,
    pub len: u64,
    pub reason: String,
}

/// Everything a journal holds.
#[derive(Debug)]
pub struct Contents<T> {
    pub items: Vec<T>,
    /// Complete lines that do not parse (e.g. two records merged by an old writer).
    pub damaged: Vec<Damaged>,
    /// Bytes of a torn tail (0 when the file ends with a newline).
    pub torn: u64,
}

/// Reads a whole journal; blank lines are skipped.
pub fn read<T: DeserializeOwned>(path: &Path) -> io::Result<Contents<T>> {
    let mut out = Contents {
        items: Vec::new(),
        damaged: Vec::new(),
        torn: 0,
    };
    for_each_line(path, |l| {
        if !l.complete {
            out.torn = l.bytes.len() as u64;
            return Ok(());
        }
        if l.bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        match serde_json::from_slice(l.bytes) {
            Ok(v) => out.items.push(v),
            Err(e) => out.damaged.push(Damaged {
                line: l.number,
                offset: l.offset,
                len: l.bytes.len() as u64 + 1,
                reason: e.to_string(),
            }),
        }
        Ok(())
    })?;
    Ok(out)
}

/// The records that parse, ignoring a torn tail and damaged lines: for journals where a
/// line cut by a crash means "not started" (the pipeline's intents).
pub fn read_lenient<T: DeserializeOwned>(path: &Path) -> io::Result<Vec<T>> {
    Ok(read(path)?.items)
}

/// What a repair kept of bytes it took out of a journal.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Evidence {
    /// The journal, by file name.
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// Where the bytes are kept, relative to the journal folder (`torn/…`).
    pub saved_to: String,
}

fn save_evidence(path: &Path, torn_dir: &Path, bytes: &[u8]) -> io::Result<Evidence> {
    fs::create_dir_all(torn_dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "journal".into());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let dest = fsutil::unique_path(torn_dir, &format!("{name}-{stamp}.bin"));
    fsutil::write_new_atomic(&dest, bytes, true)?;
    let saved_to = format!(
        "{}/{}",
        torn_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dest.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    Ok(Evidence {
        file: name,
        bytes: bytes.len() as u64,
        sha256: fsutil::sha256_hex(bytes),
        saved_to,
    })
}

/// Cuts a torn tail off `path`: its bytes are first kept durably in `torn_dir`, then the
/// file is truncated to its last complete line. `None` when nothing was torn.
pub fn cut_torn_tail(path: &Path, torn_dir: &Path) -> io::Result<Option<Evidence>> {
    let t = tail(path)?;
    if t.torn() == 0 {
        return Ok(None);
    }
    let mut f = OpenOptions::new().read(true).write(true).open(path)?;
    f.seek(SeekFrom::Start(t.complete))?;
    let mut torn = Vec::with_capacity(t.torn() as usize);
    f.read_to_end(&mut torn)?;
    let ev = save_evidence(path, torn_dir, &torn)?;
    f.set_len(t.complete)?;
    f.sync_all()?;
    Ok(Some(ev))
}

/// Takes damaged lines (and a torn tail) out of a journal that is not chained: they are
/// kept in `torn_dir`, and the journal is rewritten atomically without them.
pub fn remove_damaged(path: &Path, torn_dir: &Path) -> io::Result<Option<Evidence>> {
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for_each_line(path, |l| {
        let ok = l.complete
            && (l.bytes.iter().all(u8::is_ascii_whitespace)
                || serde_json::from_slice::<serde::de::IgnoredAny>(l.bytes).is_ok());
        let dest = if ok { &mut kept } else { &mut taken };
        dest.extend_from_slice(l.bytes);
        dest.push(b'\n');
        Ok(())
    })?;
    if taken.is_empty() {
        return Ok(None);
    }
    let ev = save_evidence(path, torn_dir, &taken)?;
    fsutil::write_atomic(path, &kept, true)?;
    Ok(Some(ev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_lines_are_those_a_line_by_line_scan_finds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let mut text = String::new();
        // Over two read blocks, lines of varied length, needles at the edges of lines.
        for i in 0..40_000u32 {
            let mark = match i % 97 {
                0 => "needle-a",
                5 => "needle-b needle-a",
                _ => "plain",
            };
            text.push_str(&format!(
                "{{\"n\":{i},\"t\":\"{mark}{}\"}}\n",
                "x".repeat((i % 13) as usize)
            ));
        }
        text.push_str("needle-a torn tail without a newline");
        fs::write(&path, &text).unwrap();
        let finders = [
            memchr::memmem::Finder::new("needle-a"),
            memchr::memmem::Finder::new("needle-b"),
        ];
        let mut want = Vec::new();
        for_each_line(&path, |l| {
            let s = String::from_utf8_lossy(l.bytes).into_owned();
            if l.complete && (s.contains("needle-a") || s.contains("needle-b")) {
                want.push(s);
            }
            Ok(())
        })
        .unwrap();
        let mut got = Vec::new();
        for_each_matching(&path, &finders, |l| {
            got.push(String::from_utf8_lossy(l).into_owned());
            Ok(())
        })
        .unwrap();
        assert!(want.len() > 800);
        assert_eq!(got, want);
    }

    #[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
    struct R {
        n: u32,
    }

    #[test]
    fn a_torn_tail_is_reported_and_never_joined_to_the_next_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let mut a = Appender::open(&p).unwrap();
        a.append(&[R { n: 1 }, R { n: 2 }]).unwrap();
        // A crash cut the next line short.
        fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"n\":")
            .unwrap();
        let c: Contents<R> = read(&p).unwrap();
        assert_eq!(c.items, vec![R { n: 1 }, R { n: 2 }]);
        assert_eq!(c.torn, 5);
        assert_eq!(tail(&p).unwrap().torn(), 5);
        assert_eq!(last_line(&p).unwrap().unwrap(), b"{\"n\":2}".to_vec());

        let ev = cut_torn_tail(&p, &dir.path().join("torn"))
            .unwrap()
            .unwrap();
        assert_eq!(ev.bytes, 5);
        assert_eq!(
            fs::read(dir.path().join(&ev.saved_to)).unwrap(),
            b"{\"n\":".to_vec()
        );
        a.append(&[R { n: 3 }]).unwrap();
        let c: Contents<R> = read(&p).unwrap();
        assert_eq!(c.items.len(), 3);
        assert_eq!(c.torn, 0);
        assert!(c.damaged.is_empty());
    }

    #[test]
    fn a_merged_line_is_damaged_and_can_be_moved_out() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        fs::write(&p, "{\"n\":1}\n{\"n\":{\"n\":3}\n{\"n\":4}\n").unwrap();
        let c: Contents<R> = read(&p).unwrap();
        assert_eq!(c.items, vec![R { n: 1 }, R { n: 4 }]);
        assert_eq!(c.damaged.len(), 1);
        assert_eq!(c.damaged[0].line, 2);
        let ev = remove_damaged(&p, &dir.path().join("torn"))
            .unwrap()
            .unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(ev.saved_to)).unwrap(),
            "{\"n\":{\"n\":3}\n"
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), "{\"n\":1}\n{\"n\":4}\n");
    }
}
