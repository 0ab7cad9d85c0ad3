//! One writer at a time: `watch` and `ingest` (and every other command that changes the
//! archive) take an exclusive lock on `ROOT/.archivist.lock`. The OS releases it when the
//! process dies, so a `kill -9` never leaves a stale lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub command: String,
    pub since: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pid {} on {}, since {})",
            self.command,
            self.pid,
            self.host,
            self.since.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the archive at {} is in use by {holder}. Only one writer may use an archive at a time: stop that process or wait for it to finish.", root.display())]
    Held { root: PathBuf, holder: String },
    #[error("cannot lock {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

pub struct WriterLock {
    _file: File,
}

pub fn lock_path(root: &Path) -> PathBuf {
    root.join(".archivist.lock")
}

impl WriterLock {
    pub fn acquire(root: &Path, command: &str) -> Result<WriterLock, LockError> {
        let path = lock_path(root);
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut s = String::new();
                let _ = file.read_to_string(&mut s);
                let holder = serde_json::from_str::<Holder>(&s)
                    .map(|h| h.to_string())
                    .unwrap_or_else(|_| "another archivist process".into());
                return Err(LockError::Held {
                    root: root.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let holder = Holder {
            pid: std::process::id(),
            host: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            command: command.to_string(),
            since: chrono::Utc::now(),
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        file.set_len(0).map_err(io_err)?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        file.write_all(text.as_bytes()).map_err(io_err)?;
        Ok(WriterLock { _file: file })
    }
}

/// An exclusive lock on a small lock file, for commands that may run beside the writer
/// (holds change while `watch` runs) but must take turns among themselves. Waits up to
/// `wait` for the holder to finish; the OS releases it when the process dies.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    pub fn acquire(
        path: &Path,
        what: &str,
        wait: std::time::Duration,
    ) -> Result<FileLock, LockError> {
        let io_err = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err)?;
        let deadline = std::time::Instant::now() + wait;
        let mut pause = std::time::Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { _file: file }),
                Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    // Back off a little: the holder finishes in milliseconds.
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LockError::Held {
                        root: path.to_path_buf(),
                        holder: format!(
                            "another archivist command changing {what} (waited {:?})",
                            wait
                        ),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io_err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_is_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let _a = WriterLock::acquire(dir.path(), "archivist watch").unwrap();
        let err = WriterLock::acquire(dir.path(), "archivist ingest")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("archivist watch") && err.contains(&std::process::id().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_file_lock_is_waited_for_and_then_taken() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let held = FileLock::acquire(&p, "holds", std::time::Duration::from_secs(1)).unwrap();
        let short = FileLock::acquire(&p, "holds", std::time::Duration::from_millis(30));
        assert!(short.is_err(), "busy while held");
        let t = std::thread::spawn({
            let p = p.clone();
            move || FileLock::acquire(&p, "holds", std::time::Duration::from_secs(30)).is_ok()
        });
        drop(held);
        assert!(t.join().unwrap(), "taken once released");
    }
}
