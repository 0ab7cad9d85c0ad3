//! What the pipeline is given: one [`Input`] per file found under a base folder (the
//! inbox, or a folder or file given to `ingest`), and what each kind of name means there
//! ([`Role`]): a scan, the sidecar travelling with a scan, or a temporary name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

/// One file to ingest.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// The inbox, or the folder given to `ingest` (or a given file's folder): nothing
    /// below it is followed if it is a link.
    pub base: PathBuf,
    /// How receipts name it: inbox-relative for the watcher, as given for `ingest`.
    pub display: String,
    /// Folders between the base and the file.
    pub folders: Vec<String>,
    /// Remove (inbox, `ingest --move`) or keep (`ingest`) the source once its outcome is durable.
    pub consume: bool,
    /// Refused before it is read, for a reason the walk or the watcher already knows.
    pub refusal: Option<EarlyRefusal>,
    /// Its dropped sidecar must not be used (still being written): why, for the review.
    pub sidecar_unusable: Option<String>,
}

/// A refusal decided before reading: a temporary name, an unreadable path.
#[derive(Debug, Clone)]
pub struct EarlyRefusal {
    pub code: &'static str,
    pub reason: String,
    /// Leave the file where it is (the receipt is the record) instead of moving it to
    /// the quarantine.
    pub leave: bool,
}

impl Input {
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into())
    }

    /// The path below the base.
    pub fn rel(&self) -> PathBuf {
        self.path
            .strip_prefix(&self.base)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from(self.path.file_name().unwrap_or_default()))
    }

    /// `scan.pdf` → `scan.pdf.toml`: the sidecar staff may drop with it.
    pub fn dropped_sidecar(&self) -> PathBuf {
        sidecar_path(&self.path)
    }

    pub fn sidecar_rel(&self) -> PathBuf {
        sidecar_path(&self.rel())
    }

    pub fn refused(mut self, code: &'static str, reason: String, leave: bool) -> Input {
        self.refusal = Some(EarlyRefusal {
            code,
            reason,
            leave,
        });
        self
    }
}

pub fn sidecar_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".toml");
    PathBuf::from(s)
}

/// The pipeline input for a file found under `base` (the inbox or a folder given to ingest).
pub fn input_for(base: &Path, path: &Path, consume: bool) -> Input {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let folders: Vec<String> = rel
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    Input {
        path: path.to_path_buf(),
        base: base.to_path_buf(),
        display: rel.to_string_lossy().replace('\\', "/"),
        folders,
        consume,
        refusal: None,
        sidecar_unusable: None,
    }
}

/// What a name in the inbox is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A candidate scan (or anything else to be looked at and given an outcome).
    Scan,
    /// `scan.pdf.toml` beside `scan.pdf`: travels with its scan.
    Sidecar,
    /// A name in `watch.ignore` (partial downloads, editor locks, hidden names), for the
    /// file or a folder above it: still being written, or not meant for the archive yet.
    /// The watcher gives it a receipt once it has been left unchanged for
    /// `watch.abandoned_secs`; `ingest` records it and leaves it.
    Temporary(String),
}

/// Names that are temporary or hidden (the `watch.ignore` patterns).
pub struct Filter {
    ignore: GlobSet,
    patterns: Vec<String>,
}

impl Filter {
    pub fn new(patterns: &[String]) -> Result<Filter> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(Glob::new(p).with_context(|| format!("bad ignore pattern {p}"))?);
        }
        Ok(Filter {
            ignore: b.build()?,
            patterns: patterns.to_vec(),
        })
    }

    /// The pattern a name matches, if it is a temporary one.
    fn temporary(&self, name: &str) -> Option<String> {
        if name.starts_with(crate::store::fsutil::TMP_PREFIX) {
            return Some(format!("{}*", crate::store::fsutil::TMP_PREFIX));
        }
        self.ignore
            .matches(name)
            .first()
            .map(|&i| self.patterns[i].clone())
    }

    /// What the file at `path` (below `base`) is.
    pub fn role(&self, base: &Path, path: &Path) -> Role {
        let rel = path.strip_prefix(base).unwrap_or(path);
        let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
            return Role::Scan;
        };
        if let Some(p) = self.temporary(&name) {
            return Role::Temporary(p);
        }
        if let Some(parent) = rel.parent() {
            for c in parent.components() {
                if let Some(p) = self.temporary(&c.as_os_str().to_string_lossy()) {
                    return Role::Temporary(format!(
                        "{p} (the folder {})",
                        c.as_os_str().to_string_lossy()
                    ));
                }
            }
        }
        if is_toml_name(&name) && scan_of_sidecar(path).is_some() {
            return Role::Sidecar;
        }
        Role::Scan
    }

    /// True when `path` (a file, not a folder) should go through the pipeline now: not a
    /// temporary name, not a sidecar travelling with its scan.
    pub fn is_candidate(&self, path: &Path) -> bool {
        let base = path.parent().unwrap_or(Path::new(""));
        self.role(base, path) == Role::Scan
    }
}

pub fn is_toml_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".toml") && name.len() > 5
}

/// `scan.pdf.toml` → `scan.pdf`, when that file (or link, or special file) exists.
pub fn scan_of_sidecar(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy();
    let stem = &name[..name.len().checked_sub(5)?];
    if stem.is_empty() {
        return None;
    }
    let scan = path.with_file_name(stem);
    std::fs::symlink_metadata(&scan)
        .is_ok_and(|m| !m.is_dir())
        .then_some(scan)
}

/// A file found by a walk, or a path the walk could not read (with why).
pub enum Found {
    File(PathBuf),
    Unreadable(PathBuf, String),
}

/// Every entry under `dir` that is not a folder: files, links (listed, never followed),
/// special files; and the paths the walk could not read, so that nothing is skipped
/// silently. In name order.
pub fn walk(dir: &Path) -> Vec<Found> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    for e in walker {
        match e {
            Ok(e) if e.depth() == 0 || e.file_type().is_dir() => {}
            Ok(e) => out.push(Found::File(e.into_path())),
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                let why = err
                    .io_error()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| err.to_string());
                out.push(Found::Unreadable(path, why));
            }
        }
    }
    out
}

/// Candidate files under `dir` (not following links; links and special files are listed,
/// so that they are refused with a receipt rather than ignored).
pub fn scan_dir(dir: &Path, filter: &Filter) -> Vec<PathBuf> {
    walk(dir)
        .into_iter()
        .filter_map(|f| match f {
            Found::File(p) if filter.role(dir, &p) == Role::Scan => Some(p),
            _ => None,
        })
        .collect()
}

/// The inputs of `ingest PATH...`: files as given, folders walked (in name order). Every
/// path gets an input, and so a receipt: temporary names and paths that cannot be read
/// are refused and left where they are; sidecars travel with their scans.
pub fn inputs_from_paths(paths: &[PathBuf], filter: &Filter, consume: bool) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    for p in paths {
        let meta = std::fs::symlink_metadata(p)
            .with_context(|| format!("{}: cannot read it; check the path", p.display()))?;
        if !meta.is_dir() {
            let base = p.parent().unwrap_or(Path::new("."));
            let mut i = input_for(base, p, consume);
            i.folders.clear();
            i.display = p.display().to_string();
            inputs.push(i);
            continue;
        }
        for found in walk(p) {
            match found {
                Found::File(f) => match filter.role(p, &f) {
                    Role::Scan => inputs.push(input_for(p, &f, consume)),
                    Role::Sidecar => {}
                    Role::Temporary(pattern) => inputs.push(input_for(p, &f, consume).refused(
                        "temporary",
                        format!("a temporary or hidden name (watch.ignore: \"{pattern}\"); left where it is: rename it if it is a scan"),
                        true,
                    )),
                },
                Found::Unreadable(f, why) => {
                    let mut i = input_for(p, &f, consume);
                    if !f.starts_with(p) {
                        i.display = f.display().to_string();
                    }
                    inputs.push(i.refused(
                        "unreadable",
                        format!("cannot be read: {why}; left where it is"),
                        true,
                    ));
                }
            }
        }
    }
    Ok(inputs)
}
