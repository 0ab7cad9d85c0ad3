//! The catalogue: every archived scan's id (its SHA-256) → its box and file, read from
//! the box manifests alone. The watcher holds it for the whole archive, so it is compact
//! and quick to build: ids as 32 bytes in one sorted array, file names in one string
//! arena, boxes by number, manifests read and parsed on every core. What the pipeline
//! files or moves later goes into a small overlay. At a million documents it is built in
//! about a second (`cargo bench --bench watch_startup`).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::store::archive::{Archive, DocLoc};
use crate::store::boxes;

/// A SHA-256 as bytes.
type Sha = [u8; 32];

/// Where one id's scan is: a box by number, and the file's bytes in the arena.
#[derive(Debug, Clone, Copy)]
struct Slot {
    box_ix: u32,
    off: u32,
    len: u32,
}

/// Document id → location for every scan the manifests name.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    boxes: Vec<String>,
    box_ix: HashMap<String, u32>,
    /// Every file name (relative to its box), one after another.
    files: String,
    /// What the manifests said when the catalogue was read, sorted by id.
    read: Vec<(Sha, Slot)>,
    /// Filed or moved since (wins over `read`).
    added: HashMap<Sha, Slot>,
    /// Removed from `read` since.
    removed: HashSet<Sha>,
    len: usize,
}

/// One box's share of the catalogue, parsed on a worker thread.
struct BoxPart {
    files: String,
    entries: Vec<(Sha, u32, u32)>,
}

fn parse_sha(id: &str) -> Option<Sha> {
    let mut sha = [0u8; 32];
    hex::decode_to_slice(id.as_bytes(), &mut sha).ok()?;
    Some(sha)
}

/// Whether a manifest path names a scan (not a sidecar, text or tag file).
pub(crate) fn is_scan_path(path: &str) -> bool {
    path.starts_with("data/")
        && path
            .get(path.len().saturating_sub(4)..)
            .is_some_and(|ext| ext.eq_ignore_ascii_case(".pdf"))
}

/// The scans one manifest lists, read through `buf` (reused, so a million-line archive
/// does not ask the system for fresh memory per box). A line whose checksum is not 64
/// hex digits names no document here (fixity verification reports such a manifest).
fn read_box(buf: &mut Vec<u8>, dir: &Path) -> Result<BoxPart> {
    let path = dir.join(boxes::MANIFEST);
    buf.clear();
    match std::fs::File::open(&path).and_then(|mut f| f.read_to_end(buf)) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the manifest of box {}", dir.display()));
        }
    }
    let text = std::str::from_utf8(buf).with_context(|| {
        format!(
            "the manifest {} is not UTF-8; check it with `archivist verify`",
            path.display()
        )
    })?;
    let mut part = BoxPart {
        files: String::new(),
        entries: Vec::new(),
    };
    for line in text.lines() {
        let Some((sha, path)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let path = boxes::decode_path(path.trim_start());
        let Some(sha) = parse_sha(sha).filter(|_| is_scan_path(&path)) else {
            continue;
        };
        let off = part.files.len() as u32;
        part.files.push_str(&path);
        part.entries.push((sha, off, path.len() as u32));
    }
    Ok(part)
}

impl Catalogue {
    /// Reads every box's manifest into one catalogue.
    pub fn read(a: &Archive) -> Result<Catalogue> {
        Catalogue::read_boxes(&a.root, &a.box_dirs())
    }

    /// Reads the manifests of `dirs` (box folders under `root`, in path order) in
    /// parallel. Where two boxes name the same id, the later box wins.
    pub fn read_boxes(root: &Path, dirs: &[PathBuf]) -> Result<Catalogue> {
        let parts: Vec<BoxPart> = dirs
            .par_iter()
            .map_init(Vec::new, |buf, dir| read_box(buf, dir))
            .collect::<Result<_>>()?;
        let mut cat = Catalogue::default();
        cat.files.reserve(parts.iter().map(|p| p.files.len()).sum());
        cat.read
            .reserve(parts.iter().map(|p| p.entries.len()).sum());
        for (dir, part) in dirs.iter().zip(parts) {
            let rel = crate::store::archive::rel_to(root, dir);
            let box_ix = cat.box_number(&rel);
            let base = cat.files.len() as u32;
            cat.files.push_str(&part.files);
            cat.read
                .extend(part.entries.into_iter().map(|(sha, off, len)| {
                    (
                        sha,
                        Slot {
                            box_ix,
                            off: base + off,
                            len,
                        },
                    )
                }));
        }
        // Ties sorted by box, and the last of each run kept: the later box wins.
        cat.read
            .par_sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.1.box_ix.cmp(&y.1.box_ix)));
        cat.read.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                *kept = *later;
            }
            same
        });
        cat.len = cat.read.len();
        Ok(cat)
    }

    fn box_number(&mut self, rel: &str) -> u32 {
        if let Some(&ix) = self.box_ix.get(rel) {
            return ix;
        }
        let ix = self.boxes.len() as u32;
        self.boxes.push(rel.to_string());
        self.box_ix.insert(rel.to_string(), ix);
        ix
    }

    fn loc(&self, slot: &Slot) -> DocLoc {
        let (off, len) = (slot.off as usize, slot.len as usize);
        DocLoc {
            box_rel: self.boxes[slot.box_ix as usize].clone(),
            file: self.files[off..off + len].to_string(),
        }
    }

    fn slot(&self, sha: &Sha) -> Option<&Slot> {
        if let Some(s) = self.added.get(sha) {
            return Some(s);
        }
        if self.removed.contains(sha) {
            return None;
        }
        let i = self.read.binary_search_by(|(k, _)| k.cmp(sha)).ok()?;
        Some(&self.read[i].1)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where the document with this id (64 hex digits, either case) is.
    pub fn get(&self, id: &str) -> Option<DocLoc> {
        self.slot(&parse_sha(id)?).map(|s| self.loc(s))
    }

    pub fn contains_key(&self, id: &str) -> bool {
        parse_sha(id).is_some_and(|sha| self.slot(&sha).is_some())
    }

    /// Records a scan filed (or moved) by this process; an id that is not a SHA-256 in
    /// hex is not a document id and is refused.
    pub fn insert(&mut self, id: &str, loc: DocLoc) -> bool {
        let Some(sha) = parse_sha(id) else {
            return false;
        };
        if self.slot(&sha).is_none() {
            self.len += 1;
        }
        let box_ix = self.box_number(&loc.box_rel);
        let off = self.files.len() as u32;
        self.files.push_str(&loc.file);
        let len = loc.file.len() as u32;
        self.added.insert(sha, Slot { box_ix, off, len });
        true
    }

    pub fn remove(&mut self, id: &str) -> Option<DocLoc> {
        let sha = parse_sha(id)?;
        let loc = self.loc(self.slot(&sha)?);
        self.added.remove(&sha);
        if self.read.binary_search_by(|(k, _)| k.cmp(&sha)).is_ok() {
            self.removed.insert(sha);
        }
        self.len -= 1;
        Some(loc)
    }

    /// Every (id, slot) present, in no particular order.
    fn slots(&self) -> impl Iterator<Item = (&Sha, &Slot)> + '_ {
        self.read
            .iter()
            .filter(|(k, _)| !self.added.contains_key(k) && !self.removed.contains(k))
            .map(|(k, s)| (k, s))
            .chain(self.added.iter())
    }

    /// Every id (lower-case hex), in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.slots().map(|(k, _)| hex::encode(k))
    }

    /// Every location, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = DocLoc> + '_ {
        self.slots().map(|(_, s)| self.loc(s))
    }

    /// Every (id, location), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (String, DocLoc)> + '_ {
        self.slots().map(|(k, s)| (hex::encode(k), self.loc(s)))
    }

    pub fn into_keys(self) -> impl Iterator<Item = String> {
        self.keys().collect::<Vec<_>>().into_iter()
    }

    pub fn into_values(self) -> impl Iterator<Item = DocLoc> {
        self.values().collect::<Vec<_>>().into_iter()
    }
}

impl IntoIterator for Catalogue {
    type Item = (String, DocLoc);
    type IntoIter = std::vec::IntoIter<(String, DocLoc)>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter().collect::<Vec<_>>().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn loc(b: &str, f: &str) -> DocLoc {
        DocLoc {
            box_rel: b.into(),
            file: f.into(),
        }
    }

    #[test]
    fn ids_in_either_case_find_the_same_document() {
        let mut c = Catalogue::default();
        let id = "AB".repeat(32);
        assert!(c.insert(&id, loc("boxes/2024/Г", "data/order/a.pdf")));
        assert_eq!(
            c.get(&id.to_lowercase()),
            Some(loc("boxes/2024/Г", "data/order/a.pdf"))
        );
        assert_eq!(c.keys().collect::<Vec<_>>(), vec!["ab".repeat(32)]);
        assert!(!c.insert("review:x.pdf", loc("review", "x.pdf")));
        assert!(!c.contains_key("not hex"));
        assert_eq!(
            c.remove(&id).map(|l| l.file),
            Some("data/order/a.pdf".into())
        );
        assert!(c.is_empty());
        assert_eq!(c.remove(&id), None);
    }

    #[test]
    fn the_later_box_wins_an_id_named_twice() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = Archive::init(dir.path(), None).unwrap();
        let id = "1e".repeat(32);
        for (g, f) in [("А", "data/x/1.pdf"), ("Б", "data/x/2.pdf")] {
            let b = a.boxes.join("2024").join(g);
            fs::create_dir_all(&b).unwrap();
            fs::write(b.join("bagit.txt"), "BagIt-Version: 1.0\n").unwrap();
            fs::write(b.join(boxes::MANIFEST), format!("{id}  {f}\n")).unwrap();
        }
        let c = Catalogue::read(&a).unwrap();
        assert_eq!(
            (c.len(), c.get(&id)),
            (1, Some(loc("boxes/2024/Б", "data/x/2.pdf")))
        );
    }

    #[test]
    fn only_scans_with_valid_checksums_are_catalogued() {
        assert!(is_scan_path("data/order/a.PDF"));
        assert!(!is_scan_path("data/order/a.toml"));
        assert!(!is_scan_path("bag-info.txt"));
        assert!(!is_scan_path("data/é"));
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = Archive::init(dir.path(), None).unwrap();
        let b = a.boxes.join("2024").join("ПК-2024-001");
        fs::create_dir_all(&b).unwrap();
        fs::write(b.join("bagit.txt"), "BagIt-Version: 1.0\n").unwrap();
        let good = "0f".repeat(32);
        fs::write(
            b.join(boxes::MANIFEST),
            format!(
                "{good}  data/order/a%25b.pdf\n{good}  data/order/a%25b.toml\nxyz  data/order/c.pdf\n"
            ),
        )
        .unwrap();
        let mut c = Catalogue::read(&a).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            c.get(&good),
            Some(loc("boxes/2024/ПК-2024-001", "data/order/a%b.pdf"))
        );
        // Moved by amend, then removed by disposal: the overlay hides what was read.
        assert!(c.insert(&good, loc("boxes/2023/Г", "data/order/a.pdf")));
        assert_eq!(c.len(), 1);
        assert_eq!(
            c.values().collect::<Vec<_>>(),
            vec![loc("boxes/2023/Г", "data/order/a.pdf")]
        );
        assert!(c.remove(&good).is_some());
        assert_eq!((c.len(), c.keys().count(), c.get(&good)), (0, 0, None));
    }
}
