//! A box: one folder per physical box (`boxes/<year>/<group>/`), kept as a valid BagIt
//! bag (RFC 8493) so any BagIt tool can check it without archivist.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::store::audit::Anchor;
use crate::store::document::DocumentMeta;
use crate::store::fsutil;

pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
pub const MANIFEST: &str = "manifest-sha256.txt";
pub const TAGMANIFEST: &str = "tagmanifest-sha256.txt";
pub const BAG_INFO: &str = "bag-info.txt";
/// The bag-info label holding the audit log's head at the box's last write.
pub const AUDIT_HEAD: &str = "Audit-Head";

/// A payload file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sha256: String,
    pub size: u64,
}

impl Entry {
    /// The manifest entry for a file about to be written with these bytes.
    pub fn of(bytes: &[u8]) -> Entry {
        Entry {
            sha256: fsutil::sha256_hex(bytes),
            size: bytes.len() as u64,
        }
    }
}

/// What the bag-info label says about the documents in a box.
#[derive(Debug, Clone, Default)]
pub struct Label {
    pub documents: usize,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    pub programmes: BTreeSet<String>,
    pub case_indexes: BTreeSet<String>,
}

impl Label {
    pub fn add(&mut self, m: &DocumentMeta) {
        self.documents += 1;
        if let Some(d) = m.date {
            self.first = Some(self.first.map_or(d, |f| f.min(d)));
            self.last = Some(self.last.map_or(d, |l| l.max(d)));
        }
        if let Some(p) = &m.programme {
            self.programmes.insert(p.clone());
        }
        self.case_indexes.insert(m.case.index.clone());
    }
}

/// A box's manifest and label held in memory while a batch is committed into it.
pub struct ArchiveBox {
    pub dir: PathBuf,
    /// Relative to the archive root, with '/' separators: `boxes/2024/ПК-2024-017`.
    pub rel: String,
    pub year: i32,
    pub group: String,
    pub manifest: BTreeMap<String, Entry>,
    pub label: Label,
    /// The audit log's head to write as `Audit-Head` in bag-info.txt: set by the writer
    /// from its log before writing the tag files; kept from the last write otherwise.
    pub anchor: Option<Anchor>,
}

/// BagIt percent-encodes CR, LF and '%' in manifest paths.
fn encode_path(p: &str) -> String {
    p.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The inverse of `encode_path`; borrows when there is nothing to decode (almost always:
/// a million-line manifest is read at every watcher start).
pub(crate) fn decode_path(p: &str) -> std::borrow::Cow<'_, str> {
    if !p.contains('%') {
        return std::borrow::Cow::Borrowed(p);
    }
    std::borrow::Cow::Owned(
        p.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%0d", "\r")
            .replace("%0a", "\n")
            .replace("%25", "%"),
    )
}

/// Reads `manifest-sha256.txt` (path → sha256).
pub fn read_manifest(dir: &Path) -> io::Result<BTreeMap<String, String>> {
    let text = match fs::read_to_string(dir.join(MANIFEST)) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e),
    };
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if let Some((sha, path)) = line.split_once(char::is_whitespace) {
            m.insert(
                decode_path(path.trim_start()).into_owned(),
                sha.to_ascii_lowercase(),
            );
        }
    }
    Ok(m)
}

/// The `Audit-Head` a box's bag-info.txt names (`None` without one, or without the file).
pub fn read_anchor(dir: &Path) -> io::Result<Option<Anchor>> {
    let text = match fs::read_to_string(dir.join(BAG_INFO)) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(text.lines().find_map(|l| {
        l.strip_prefix(AUDIT_HEAD)
            .and_then(|r| r.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
    }))
}

impl ArchiveBox {
    /// Opens (or prepares) the box and loads its manifest, sizes and label.
    pub fn open(boxes_root: &Path, root: &Path, year: i32, group: &str) -> io::Result<ArchiveBox> {
        let dir = boxes_root.join(year.to_string()).join(group);
        let rel = crate::store::archive::rel_to(root, &dir);
        let mut b = ArchiveBox {
            dir,
            rel,
            year,
            group: group.to_string(),
            manifest: BTreeMap::new(),
            label: Label::default(),
            anchor: None,
        };
        b.anchor = read_anchor(&b.dir)?;
        for (path, sha) in read_manifest(&b.dir)? {
            let size = fs::metadata(b.dir.join(&path))
                .map(|m| m.len())
                .unwrap_or(0);
            if path.ends_with(".toml")
                && let Ok(meta) = fs::read_to_string(b.dir.join(&path))
                    .map_err(|_| ())
                    .and_then(|t| DocumentMeta::from_toml(&t).map_err(|_| ()))
                && meta.status == crate::store::document::Status::Active
            {
                b.label.add(&meta);
            }
            b.manifest.insert(path, Entry { sha256: sha, size });
        }
        Ok(b)
    }

    /// Creates `data/<kind>/` if needed. Not fsynced here: the pipeline's batch
    /// `syncfs` makes the new folders durable together with the files placed in them,
    /// before any manifest names those files.
    pub fn ensure_dirs(&self, kind: &str) -> io::Result<PathBuf> {
        let d = self.dir.join("data").join(kind);
        if !d.is_dir() {
            fs::create_dir_all(&d)?;
        }
        Ok(d)
    }

    /// Rewrites bagit.txt (if missing), the payload manifest, bag-info.txt and the tag
    /// manifest, each atomically. `sync` as in [`fsutil::write_atomic`].
    pub fn write_tag_files(
        &self,
        org: &crate::config::nomenclature::Organisation,
        sync: bool,
    ) -> io::Result<()> {
        let bagit = self.dir.join("bagit.txt");
        if !bagit.exists() {
            fsutil::write_atomic(&bagit, BAGIT_TXT.as_bytes(), sync)?;
        }
        let mut manifest = String::new();
        let (mut octets, mut streams) = (0u64, 0u64);
        for (path, e) in &self.manifest {
            manifest.push_str(&e.sha256);
            manifest.push_str("  ");
            manifest.push_str(&encode_path(path));
            manifest.push('\n');
            octets += e.size;
            streams += 1;
        }
        fsutil::write_atomic(&self.dir.join(MANIFEST), manifest.as_bytes(), sync)?;
        let info = self.bag_info(org, octets, streams);
        fsutil::write_atomic(&self.dir.join(BAG_INFO), info.as_bytes(), sync)?;
        let mut tag = String::new();
        for name in ["bagit.txt", BAG_INFO, MANIFEST] {
            let bytes = if name == MANIFEST {
                manifest.as_bytes().to_vec()
            } else if name == BAG_INFO {
                info.as_bytes().to_vec()
            } else {
                fs::read(self.dir.join(name))?
            };
            tag.push_str(&fsutil::sha256_hex(&bytes));
            tag.push_str("  ");
            tag.push_str(name);
            tag.push('\n');
        }
        fsutil::write_atomic(&self.dir.join(TAGMANIFEST), tag.as_bytes(), sync)
    }

    fn bag_info(
        &self,
        org: &crate::config::nomenclature::Organisation,
        octets: u64,
        streams: u64,
    ) -> String {
        let l = &self.label;
        let mut s = String::new();
        let mut put = |k: &str, v: &str| {
            // Tag values are one line each (RFC 8493 §2.2.2).
            let v: String = v
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            s.push_str(&format!("{k}: {v}\n"));
        };
        put("Source-Organization", &org.name);
        put("Fund-Number", &org.fund_number);
        put("Box-Year", &self.year.to_string());
        put("Box-Group", &self.group);
        if !l.programmes.is_empty() {
            put(
                "Box-Programme",
                &l.programmes.iter().cloned().collect::<Vec<_>>().join("; "),
            );
        }
        put("Document-Count", &l.documents.to_string());
        if let (Some(a), Some(b)) = (l.first, l.last) {
            put(
                "Date-Range",
                &format!("{} – {}", a.format("%d.%m.%Y"), b.format("%d.%m.%Y")),
            );
        }
        if !l.case_indexes.is_empty() {
            put(
                "Case-Indexes",
                &l.case_indexes
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        put(
            "External-Description",
            &format!(
                "Короб {} / {}: сканы документов об обучении",
                self.year, self.group
            ),
        );
        put(
            "Bagging-Date",
            &chrono::Local::now().format("%Y-%m-%d").to_string(),
        );
        put(
            "Bag-Software-Agent",
            concat!("archivist ", env!("CARGO_PKG_VERSION")),
        );
        put("Payload-Oxum", &format!("{octets}.{streams}"));
        if let Some(a) = &self.anchor {
            put(AUDIT_HEAD, &a.to_string());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_round_trip() {
        assert_eq!(
            decode_path(&encode_path("data/a%b\nc.pdf")),
            "data/a%b\nc.pdf"
        );
    }
}
