//! The use cases: one method per operation a person can ask for, returning a typed value
//! (`Serialize`) or an [`Error`](crate::error::Error). Nothing here prints, reads a
//! terminal or exits; the CLI (`src/cli/`) and the web interface call these and render
//! what they return.
//!
//! State changes take the [`Actor`] who asks for them, so the audit log names the person
//! (the operating-system user on the command line, the signed-in user on the web).

mod amend;
mod ingest;
pub mod integrity;
pub mod print;
pub mod records;
mod retention;
pub mod review;
mod search;

pub use amend::{Amended, Amendment};
pub use ingest::{IngestProgress, IngestReport, OcrDocument, OcrReport, OcrTarget};
pub use search::{CheckReport, Reindexed};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

pub mod commission;
mod learners;
pub mod upload;
pub mod users;
pub mod web;

pub use crate::search::Detail;
pub use learners::Dossier;

use crate::error::Result;
use crate::store::archive::Archive;
pub use crate::store::audit::Actor;
use crate::store::lock::WriterLock;

/// An open archive: the handle every use case is called on. One handle may serve many
/// threads (the web server shares it as `Arc<Archivist>`).
pub struct Archivist {
    archive: Archive,
    gate: Mutex<Gate>,
    generation: AtomicU64,
}

/// The right to change the archive within this process.
#[derive(Default)]
struct Gate {
    /// The archive's writer lock file (other processes stay out while it is held).
    lock: Option<WriterLock>,
    /// Long-lived holders ([`Archivist::pin_writer`]: `watch`, `serve`) keep the lock
    /// between their writes.
    pins: usize,
}

/// Held while a use case changes the archive: writers in this process take turns, and
/// the writer lock keeps other processes out. Dropping it ends the turn.
pub struct Writing<'a> {
    gate: MutexGuard<'a, Gate>,
    generation: &'a AtomicU64,
}

impl Writing<'_> {
    /// Says that boxes, sidecars or the catalogue changed outside the ingest pipeline
    /// (an amend, a destruction, a resolved review), so a pipeline in this process
    /// reloads what it caches before its next batch.
    pub fn boxes_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if self.gate.pins == 0 {
            self.gate.lock = None;
        }
    }
}

/// Keeps the writer lock for as long as it lives (see [`Archivist::pin_writer`]).
pub struct WriterPin<'a> {
    archivist: &'a Archivist,
}

impl Drop for WriterPin<'_> {
    fn drop(&mut self) {
        let mut g = self.archivist.gate();
        g.pins = g.pins.saturating_sub(1);
        if g.pins == 0 {
            g.lock = None;
        }
    }
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
        Ok(Archivist::from_archive(Archive::open(root, config)?))
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
        Ok((Archivist::from_archive(archive), report))
    }

    fn from_archive(archive: Archive) -> Archivist {
        Archivist {
            archive,
            gate: Mutex::new(Gate::default()),
            generation: AtomicU64::new(0),
        }
    }

    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    fn gate(&self) -> MutexGuard<'_, Gate> {
        // A panic while writing leaves nothing half-done that the gate protects (every
        // write is durable or rolled back by recovery), so a poisoned gate is usable.
        self.gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes this process's turn to change the archive, and the archive's writer lock
    /// unless this process holds it already (`command` names the holder for others).
    /// Fails with [`ErrorKind::Locked`](crate::error::ErrorKind) when another process
    /// writes.
    pub fn writing(&self, command: &str) -> Result<Writing<'_>> {
        let mut gate = self.gate();
        if gate.lock.is_none() {
            gate.lock = Some(WriterLock::acquire(&self.archive.root, command)?);
        }
        Ok(Writing {
            gate,
            generation: &self.generation,
        })
    }

    /// Holds the writer lock until the pin is dropped, for a process that writes now and
    /// then for a long time (`watch`, `serve`): other processes stay out in between, and
    /// writers in this process still take turns through [`Archivist::writing`].
    pub fn pin_writer(&self, command: &str) -> Result<WriterPin<'_>> {
        let mut gate = self.gate();
        if gate.lock.is_none() {
            gate.lock = Some(WriterLock::acquire(&self.archive.root, command)?);
        }
        gate.pins += 1;
        Ok(WriterPin { archivist: self })
    }

    /// Counts changes made outside the ingest pipeline ([`Writing::boxes_changed`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_in_one_process_take_turns_and_other_processes_stay_out_while_pinned() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = Archivist::init(dir.path(), None).unwrap();
        {
            let w = a.writing("first").unwrap();
            // Another process (a second lock file description) is refused meanwhile.
            assert!(WriterLock::acquire(dir.path(), "other").is_err());
            w.boxes_changed();
        }
        assert_eq!(a.generation(), 1);
        // Released after the turn: another process may write.
        drop(WriterLock::acquire(dir.path(), "other").unwrap());
        let pin = a.pin_writer("watch").unwrap();
        drop(a.writing("web").unwrap());
        assert!(
            WriterLock::acquire(dir.path(), "other").is_err(),
            "a pinned writer keeps the lock between turns"
        );
        drop(pin);
        drop(WriterLock::acquire(dir.path(), "other").unwrap());
    }
}
