//! Durable file operations: every file the archive keeps is written to a temporary
//! name in its final folder, fsynced, renamed into place, and the folder fsynced.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Prefix of temporary files; anything with it in the archive is left over from a crash.
pub const TMP_PREFIX: &str = ".archivist-tmp-";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Streaming SHA-256 of a file (memory does not grow with the file size).
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `dest` atomically (temporary file beside it, then rename): a
/// reader never sees a partial file. `sync` = fsync the data before the rename and the
/// folder after it; callers that commit in batches pass `false` and call [`syncfs`] once
/// before anything names the file.
pub fn write_atomic(dest: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    let mut tmp = temp_beside(dest)?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_data()?;
    }
    tmp.persist(dest).map_err(|e| e.error)?;
    if sync {
        fsync_parent(dest)?;
    }
    Ok(())
}

/// Like [`write_atomic`] but never replaces an existing file (returns AlreadyExists).
pub fn write_new_atomic(dest: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    let mut tmp = temp_beside(dest)?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_data()?;
    }
    tmp.persist_noclobber(dest).map_err(|e| e.error)?;
    if sync {
        fsync_parent(dest)?;
    }
    Ok(())
}

fn fsync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => fsync_dir(dir),
        None => Ok(()),
    }
}

/// A temporary file (removed on drop unless persisted) in `dest`'s folder, with the
/// prefix that recovery cleans up after a crash.
pub fn temp_beside(dest: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = dest
        .parent()
        .ok_or_else(|| io::Error::other(format!("{} has no parent folder", dest.display())))?;
    tempfile::Builder::new().prefix(TMP_PREFIX).tempfile_in(dir)
}

/// Flushes every dirty page of the file system holding `path` in one call: used once per
/// batch instead of one fsync per small metadata file.
pub fn syncfs(path: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let f = File::open(path)?;
        // SAFETY: syncfs only reads the descriptor, which `f` keeps open for the call.
        let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        // Without syncfs, fall back to a global sync.
        // SAFETY: sync(2) has no arguments and cannot fail.
        unsafe { libc::sync() };
        Ok(())
    }
}

/// Moves a file, across file systems if needed (copy, fsync, then remove the source).
pub fn move_file(src: &Path, dest: &Path) -> io::Result<()> {
    match fs::rename(src, dest) {
        Ok(()) => {
            if let Some(d) = dest.parent() {
                fsync_dir(d)?;
            }
            if let Some(d) = src.parent() {
                let _ = fsync_dir(d);
            }
            Ok(())
        }
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            let bytes = fs::read(src)?;
            write_new_atomic(dest, &bytes, true)?;
            fs::remove_file(src)
        }
        Err(e) => Err(e),
    }
}

/// `dir/name`, or `dir/stem (2).ext`, … — the first name not yet taken.
pub fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if fs::symlink_metadata(&first).is_err() {
        return first;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    for n in 2.. {
        let p = dir.join(format!("{stem} ({n}){ext}"));
        if fs::symlink_metadata(&p).is_err() {
            return p;
        }
    }
    unreachable!("an unbounded counter always finds a free name")
}

/// Removes temporary files left by a crash under `dir` (returns how many).
pub fn clean_temp_files(dir: &Path) -> usize {
    let mut n = 0;
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        if e.file_type().is_file()
            && e.file_name().to_string_lossy().starts_with(TMP_PREFIX)
            && fs::remove_file(e.path()).is_ok()
        {
            n += 1;
        }
    }
    n
}
