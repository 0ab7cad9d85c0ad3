//! The archive root: its folders, its configuration and nomenclature, and the catalogue
//! of documents read from the box manifests (the archive on disk is the source of truth).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::nomenclature::Nomenclature;
use crate::config::{self, Config};
use crate::store::catalogue::Catalogue;
use crate::store::document::DocumentMeta;

pub struct Archive {
    pub root: PathBuf,
    pub config: Config,
    pub nomenclature: Nomenclature,
    pub inbox: PathBuf,
    pub boxes: PathBuf,
    pub review: PathBuf,
    pub quarantine: PathBuf,
    pub index: PathBuf,
    pub journal: PathBuf,
    /// Where the configuration came from (a file, or "embedded defaults").
    pub config_origin: String,
}

/// Where one archived document lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLoc {
    /// Box folder relative to the root.
    pub box_rel: String,
    /// Scan relative to its box.
    pub file: String,
}

impl DocLoc {
    pub fn sidecar(&self) -> String {
        sidecar_of(&self.file)
    }
}

/// `p` relative to `root`, with '/' separators (as manifests and sidecars write paths).
pub fn rel_to(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `data/k/name.pdf` → `data/k/name.toml`.
pub fn sidecar_of(file: &str) -> String {
    match file.rfind('.') {
        Some(i) if !file[i..].contains('/') => format!("{}.toml", &file[..i]),
        _ => format!("{file}.toml"),
    }
}

/// `data/k/name.pdf` → `data/k/name.txt`.
pub fn text_of(file: &str) -> String {
    match file.rfind('.') {
        Some(i) if !file[i..].contains('/') => format!("{}.txt", &file[..i]),
        _ => format!("{file}.txt"),
    }
}

impl Archive {
    /// Opens the archive at `root` with `--config FILE`, or `ROOT/archivist.toml`, or the
    /// embedded defaults. Does not create anything.
    pub fn open(root: &Path, config_file: Option<&Path>) -> Result<Archive> {
        let own = root.join("archivist.toml");
        let (config, origin) = match config_file {
            Some(f) => (Config::load(f)?, f.display().to_string()),
            None if own.is_file() => (Config::load(&own)?, own.display().to_string()),
            None => (Config::default(), "embedded defaults".to_string()),
        };
        let p = &config.paths;
        let nom_path = if p.nomenclature.as_os_str().is_empty() {
            root.join("nomenclature.toml")
        } else {
            config::resolve(root, &p.nomenclature)
        };
        let nomenclature = if nom_path.is_file() {
            Nomenclature::load(&nom_path)?
        } else if !p.nomenclature.as_os_str().is_empty() {
            anyhow::bail!(
                "the nomenclature file {} named in the config does not exist; create it or remove paths.nomenclature",
                nom_path.display()
            );
        } else {
            Nomenclature::embedded()
        };
        let r = |x: &Path| config::resolve(root, x);
        Ok(Archive {
            root: root.to_path_buf(),
            inbox: r(&p.inbox),
            boxes: r(&p.boxes),
            review: r(&p.review),
            quarantine: r(&p.quarantine),
            index: r(&p.index),
            journal: r(&p.journal),
            config,
            nomenclature,
            config_origin: origin,
        })
    }

    /// Creates the folders, and a commented `archivist.toml` and `nomenclature.toml` when
    /// absent (so the archive documents its own rules). Returns what was created.
    pub fn init(root: &Path, config_file: Option<&Path>) -> Result<(Archive, Vec<PathBuf>)> {
        fs::create_dir_all(root)
            .with_context(|| format!("cannot create the archive root {}", root.display()))?;
        let mut created = Vec::new();
        let cfg = root.join("archivist.toml");
        if config_file.is_none() && !cfg.exists() {
            crate::store::fsutil::write_new_atomic(&cfg, config::DEFAULT_CONFIG.as_bytes(), true)
                .with_context(|| format!("cannot write {}", cfg.display()))?;
            created.push(cfg);
        }
        let nom = root.join("nomenclature.toml");
        if !nom.exists() {
            crate::store::fsutil::write_new_atomic(
                &nom,
                crate::config::nomenclature::DEFAULT_NOMENCLATURE.as_bytes(),
                true,
            )
            .with_context(|| format!("cannot write {}", nom.display()))?;
            created.push(nom);
        }
        let a = Archive::open(root, config_file)?;
        for d in [
            &a.inbox,
            &a.boxes,
            &a.review,
            &a.quarantine,
            &a.journal,
            &a.quarantine.join("duplicates"),
        ] {
            if !d.is_dir() {
                fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
                created.push(d.clone());
            }
        }
        Ok((a, created))
    }

    pub fn is_initialised(root: &Path) -> bool {
        root.join("archivist.toml").is_file() || root.join("boxes").is_dir()
    }

    /// True when `path` lies inside the archive root once `..` and symbolic links are
    /// resolved (for a path that does not exist yet, its nearest existing ancestor is
    /// resolved). Ingest refuses such sources: `ingest --move ROOT/boxes` would move the
    /// archive into its own quarantine.
    pub fn contains(&self, path: &Path) -> bool {
        let Some(root) = resolve(&self.root) else {
            return false;
        };
        resolve(path).is_some_and(|p| p.starts_with(&root))
    }

    /// Refuses an ingest source inside the archive, except under the inbox (where
    /// sources belong).
    pub fn check_ingest_source(&self, path: &Path) -> Result<()> {
        let in_inbox = resolve(&self.inbox)
            .zip(resolve(path))
            .is_some_and(|(inbox, p)| p.starts_with(inbox));
        if self.contains(path) && !in_inbox {
            return Err(crate::error::Refused(format!(
                "{} is inside the archive at {}: ingest takes files from outside it (or from its inbox), never from its own boxes, review or quarantine",
                path.display(),
                self.root.display()
            ))
            .into());
        }
        Ok(())
    }

    pub fn rel(&self, p: &Path) -> String {
        rel_to(&self.root, p)
    }

    /// Every box folder: `boxes/<year>/<group>/` holding a bagit.txt.
    pub fn box_dirs(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(years) = fs::read_dir(&self.boxes) else {
            return out;
        };
        for y in years.flatten() {
            if !y.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let Ok(groups) = fs::read_dir(y.path()) else {
                continue;
            };
            for g in groups.flatten() {
                if g.file_type().map(|t| t.is_dir()).unwrap_or(false)
                    && g.path().join("bagit.txt").is_file()
                {
                    out.push(g.path());
                }
            }
        }
        out.sort();
        out
    }

    /// The box folder of `year`/`group`, if that box exists: found among the folders the
    /// year holds (one directory read), so `group` (which may come from a URL) is compared
    /// with names on disk and never joined to a path.
    pub fn box_dir(&self, year: i32, group: &str) -> Option<PathBuf> {
        fs::read_dir(self.boxes.join(year.to_string()))
            .ok()?
            .flatten()
            .find(|g| {
                g.file_name().to_str() == Some(group)
                    && g.file_type().is_ok_and(|t| t.is_dir())
                    && g.path().join("bagit.txt").is_file()
            })
            .map(|g| g.path())
    }

    /// The catalogue: document id → location, from the manifests alone (one read per box).
    pub fn catalogue(&self) -> Result<Catalogue> {
        Catalogue::read(self)
    }

    pub fn read_meta(&self, loc: &DocLoc) -> Result<DocumentMeta> {
        let p = self.root.join(&loc.box_rel).join(loc.sidecar());
        let text = fs::read_to_string(&p)
            .with_context(|| format!("cannot read the sidecar {}", p.display()))?;
        DocumentMeta::from_toml(&text)
            .with_context(|| format!("the sidecar {} is not valid", p.display()))
    }

    /// Finds a document by its id or an unambiguous prefix of at least 6 characters.
    pub fn find(&self, id: &str) -> Result<Option<(String, DocLoc)>> {
        let id = id.trim().to_ascii_lowercase();
        let cat = self.catalogue()?;
        if let Some(l) = cat.get(&id) {
            return Ok(Some((id, l.clone())));
        }
        if id.len() < 6 {
            return Ok(None);
        }
        let mut hits: Vec<_> = cat.iter().filter(|(k, _)| k.starts_with(&id)).collect();
        match hits.len() {
            0 => Ok(None),
            1 => Ok(hits.pop()),
            n => anyhow::bail!("the id prefix {id} matches {n} documents; give more characters"),
        }
    }
}

/// `path` made absolute with `..` and symbolic links resolved; a path that does not
/// exist is resolved through its nearest existing ancestor.
fn resolve(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let comps: Vec<Component> = abs.components().collect();
    // The longest prefix that exists is resolved by the OS (links, `..`); the rest,
    // which does not exist and so holds no link, lexically.
    for k in (1..=comps.len()).rev() {
        let prefix: PathBuf = comps[..k].iter().collect();
        if let Ok(mut out) = fs::canonicalize(&prefix) {
            for c in &comps[k..] {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(n) => out.push(n),
                    _ => {}
                }
            }
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_sees_through_dots_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = Archive::init(&dir.path().join("root"), None).unwrap();
        assert!(a.contains(&a.boxes));
        assert!(a.contains(&dir.path().join("root/boxes/2024/../2025/new")));
        assert!(!a.contains(dir.path()));
        assert!(!a.contains(&dir.path().join("root/../elsewhere")));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&a.boxes, &link).unwrap();
        assert!(a.contains(&link), "a link into the archive is inside it");
        assert!(a.check_ingest_source(&link).is_err());
        assert!(a.check_ingest_source(&a.inbox.join("x.pdf")).is_ok());
        assert!(
            a.check_ingest_source(&dir.path().join("outside.pdf"))
                .is_ok()
        );
    }
}
