//! The use cases: one method per operation a person can ask for, returning a typed value
//! (`Serialize`) or an [`Error`](crate::error::Error). Nothing here prints, reads a
//! terminal or exits; the CLI (`src/cli/`) and the web interface call these and render
//! what they return.
//!
//! State changes take the [`Actor`] who asks for them, so the audit log names the person
//! (the operating-system user on the command line, the signed-in user on the web).

use std::path::{Path, PathBuf};

pub mod commission;
pub mod upload;
pub mod users;
pub mod web_pending;

use crate::error::Result;
use crate::store::archive::Archive;
pub use crate::store::audit::Actor;

/// An open archive: the handle every use case is called on.
pub struct Archivist {
    archive: Archive,
}

/// What `init` created.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Initialised {
    pub root: PathBuf,
    pub inbox: PathBuf,
    pub created: Vec<PathBuf>,
}

impl Archivist {
    /// Opens the archive at `root` (with `--config FILE`, or `ROOT/archivist.toml`, or the
    /// embedded defaults). Creates nothing.
    pub fn open(root: &Path, config: Option<&Path>) -> Result<Archivist> {
        Ok(Archivist {
            archive: Archive::open(root, config)?,
        })
    }

    /// Creates the archive's folders and its commented `archivist.toml` and
    /// `nomenclature.toml` where absent, and opens it.
    pub fn init(root: &Path, config: Option<&Path>) -> Result<(Archivist, Initialised)> {
        let (archive, created) = Archive::init(root, config)?;
        let report = Initialised {
            root: archive.root.clone(),
            inbox: archive.inbox.clone(),
            created,
        };
        Ok((Archivist { archive }, report))
    }

    pub fn archive(&self) -> &Archive {
        &self.archive
    }
}
