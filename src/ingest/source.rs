//! Source files outside the archive (the inbox, folders given to `ingest`) are opened,
//! checked, moved and removed through folder descriptors, one path component at a time
//! with `O_NOFOLLOW`: a link anywhere below the base folder, or a folder swapped for a
//! link between a check and a use, makes the operation fail instead of reaching outside.
//! Nothing here ever follows a link, for reading or for removing.
//!
//! Before a source is removed it is checked once more at the last moment: the same file
//! (device and inode), the same size, modification and change times as when it was read,
//! and no process holding it open for writing (a read lease cannot be taken on a file
//! open for writing; where leases are unavailable, /proc/*/fd is searched; on a network
//! share neither sees a remote writer, and the size/mtime/ctime check is what remains).

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Once;

/// What a source looked like when it was read: a later removal only goes ahead if the
/// file is still exactly this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Identity {
    pub fn of(m: &std::fs::Metadata) -> Identity {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Why `now` is not the file that was read, if it is not.
    pub fn differs(&self, now: &Identity) -> Option<&'static str> {
        if (self.dev, self.ino) != (now.dev, now.ino) {
            Some("another file now has its name")
        } else if self.size != now.size {
            Some("its size changed")
        } else if self.mtime != now.mtime || self.ctime != now.ctime {
            Some("it was written to")
        } else {
            None
        }
    }
}

fn cstr(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::other("a NUL byte in a file name"))
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn open_at(dir: Option<&OwnedFd>, name: &OsStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    let c = cstr(name)?;
    let at = dir.map(|d| d.as_raw_fd()).unwrap_or(libc::AT_FDCWD);
    // SAFETY: `c` is a valid C string, `at` an open descriptor or AT_FDCWD; the result is
    // checked before it is wrapped.
    let fd = check(unsafe { libc::openat(at, c.as_ptr(), flags | libc::O_CLOEXEC) })?;
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A source's folder, opened below `base` without following any link, and its name in it.
pub struct Parent {
    pub dir: OwnedFd,
    pub name: PathBuf,
}

impl Parent {
    /// Opens the folder of `rel` (a path below `base`). `base` itself is opened as given
    /// (it is the inbox or a folder the user named); every component below it must be a
    /// real folder.
    pub fn open(base: &Path, rel: &Path) -> io::Result<Parent> {
        let dir_flags = libc::O_RDONLY | libc::O_DIRECTORY;
        let mut dir = open_at(None, base.as_os_str(), dir_flags)?;
        let comps: Vec<&OsStr> = rel
            .components()
            .map(|c| match c {
                Component::Normal(n) => Ok(n),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a plain path below its folder", rel.display()),
                )),
            })
            .collect::<io::Result<_>>()?;
        let Some((name, folders)) = comps.split_last() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "an empty path"));
        };
        for f in folders {
            dir = open_at(Some(&dir), f, dir_flags | libc::O_NOFOLLOW)?;
        }
        Ok(Parent {
            dir,
            name: PathBuf::from(name),
        })
    }

    /// `lstat` of the entry: never follows a link.
    pub fn lstat(&self) -> io::Result<libc::stat> {
        let c = cstr(self.name.as_os_str())?;
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: valid descriptor, C string and out-pointer.
        check(unsafe {
            libc::fstatat(
                self.dir.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })?;
        Ok(st)
    }

    /// Opens the entry for reading; a link, FIFO or device fails instead of being
    /// followed or blocking.
    pub fn open_file(&self) -> io::Result<File> {
        let fd = open_at(
            Some(&self.dir),
            self.name.as_os_str(),
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY,
        )?;
        let f = File::from(fd);
        if !f.metadata()?.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        Ok(f)
    }

    pub fn unlink(&self) -> io::Result<()> {
        let c = cstr(self.name.as_os_str())?;
        // SAFETY: valid descriptor and C string; flags 0 removes a non-folder entry (a
        // link is removed as a link).
        check(unsafe { libc::unlinkat(self.dir.as_raw_fd(), c.as_ptr(), 0) })?;
        Ok(())
    }

    /// Renames the entry (a link as a link) to `dest`, never replacing a file there.
    pub fn rename_to(&self, dest: &Path) -> io::Result<()> {
        let (c, d) = (cstr(self.name.as_os_str())?, cstr(dest.as_os_str())?);
        // SAFETY: valid descriptors and C strings.
        check(unsafe {
            libc::renameat2(
                self.dir.as_raw_fd(),
                c.as_ptr(),
                libc::AT_FDCWD,
                d.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        })?;
        Ok(())
    }

    /// Where a link points (for the record; it is never followed).
    pub fn link_target(&self) -> Option<PathBuf> {
        let c = cstr(self.name.as_os_str()).ok()?;
        let mut buf = vec![0u8; 4096];
        // SAFETY: valid descriptor, C string and buffer of the given length.
        let n = unsafe {
            libc::readlinkat(
                self.dir.as_raw_fd(),
                c.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        (n >= 0).then(|| PathBuf::from(OsStr::from_bytes(&buf[..n as usize])))
    }
}

/// True when `path` (below `base`) has a link as one of its folders: the entry that
/// belongs to the inbox is then that link, not the file seen through it.
pub fn first_link_below(base: &Path, path: &Path) -> Option<PathBuf> {
    let rel = path.strip_prefix(base).ok()?;
    let mut p = base.to_path_buf();
    let n = rel.components().count();
    for (i, c) in rel.components().enumerate() {
        p.push(c);
        if i + 1 < n && std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(p);
        }
    }
    None
}

/// Reads a source whole (at most `max` bytes) through its safe parent, with its identity
/// before and after the read: if they differ, the file was being written.
pub fn read_source(base: &Path, rel: &Path, max: u64) -> io::Result<(Vec<u8>, Identity, Identity)> {
    let f = Parent::open(base, rel)?.open_file()?;
    let before = Identity::of(&f.metadata()?);
    let mut buf = Vec::with_capacity(before.size.min(max) as usize + 1);
    (&f).take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(io::Error::other(
            "the file grew past the size limit while being read",
        ));
    }
    let after = Identity::of(&f.metadata()?);
    Ok((buf, before, after))
}

/// Streams a source into `dest` (a new file, never replacing one): memory does not grow
/// with the file's size. Made durable (data and folder) before it returns.
pub fn copy_source(base: &Path, rel: &Path, dest: &Path) -> io::Result<u64> {
    let mut f = Parent::open(base, rel)?.open_file()?;
    let mut out = crate::store::fsutil::temp_beside(dest)?;
    let n = io::copy(&mut f, out.as_file_mut())?;
    out.as_file_mut().flush()?;
    out.as_file().sync_data()?;
    out.persist_noclobber(dest).map_err(|e| e.error)?;
    if let Some(d) = dest.parent() {
        crate::store::fsutil::fsync_dir(d)?;
    }
    Ok(n)
}

/// Whether some process holds the file open for writing, as far as this machine can see.
pub fn held_open_for_writing(f: &File) -> bool {
    match lease(f) {
        Lease::Taken(_) => false,
        Lease::Conflict => true,
        Lease::Unavailable => writer_in_proc(f),
    }
}

enum Lease<'a> {
    /// No one has it open for writing; held until dropped (an open for writing waits).
    Taken(LeaseGuard<'a>),
    Conflict,
    /// Not the owner without CAP_LEASE, leases disabled, or a file system without them.
    Unavailable,
}

struct LeaseGuard<'a>(&'a File);

impl Drop for LeaseGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: fcntl on a descriptor `self.0` keeps open.
        unsafe { libc::fcntl(self.0.as_raw_fd(), libc::F_SETLEASE, libc::F_UNLCK) };
    }
}

fn lease(f: &File) -> Lease<'_> {
    // A writer that opens the file while we hold the lease makes the kernel send SIGIO,
    // whose default action ends the process; the lease is only held for microseconds and
    // the writer simply waits for its release, so the signal is ignored.
    static IGNORE_SIGIO: Once = Once::new();
    // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
    IGNORE_SIGIO.call_once(|| unsafe {
        libc::signal(libc::SIGIO, libc::SIG_IGN);
    });
    // SAFETY: fcntl on a descriptor `f` keeps open.
    let rc = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETLEASE, libc::F_RDLCK) };
    if rc == 0 {
        return Lease::Taken(LeaseGuard(f));
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::EAGAIN) | Some(libc::EBUSY) => Lease::Conflict,
        _ => Lease::Unavailable,
    }
}

/// Searches /proc/*/fd for a descriptor of the same file opened for writing (only the
/// processes this user may see).
fn writer_in_proc(f: &File) -> bool {
    let Ok(me) = f.metadata() else { return false };
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    let own = std::process::id().to_string();
    for p in procs.flatten() {
        let pid = p.file_name();
        if !pid.as_bytes().iter().all(u8::is_ascii_digit) || pid == own.as_str() {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let same = std::fs::metadata(fd.path())
                .is_ok_and(|m| m.dev() == me.dev() && m.ino() == me.ino());
            if same && fd_writes(&p.path(), &fd.file_name()) {
                return true;
            }
        }
    }
    false
}

fn fd_writes(proc_dir: &Path, fd: &OsStr) -> bool {
    let info = std::fs::read_to_string(proc_dir.join("fdinfo").join(fd)).unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| i64::from_str_radix(v.trim(), 8).ok())
        .is_some_and(|flags| {
            let mode = (flags as libc::c_int) & libc::O_ACCMODE;
            mode == libc::O_WRONLY || mode == libc::O_RDWR
        })
}

/// What happened when a source was to be removed or moved.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    Done,
    /// Already gone: someone removed it.
    Gone,
    /// Not the file that was read any more, or still being written: left in place.
    Changed(&'static str),
}

/// Removes a source, but only if it is still the file that was read and no one is
/// writing it (checked at the last moment, with the lease held across the removal).
pub fn remove_if_unchanged(base: &Path, rel: &Path, read: &Identity) -> io::Result<Claim> {
    claim(base, rel, read, |p| p.unlink())
}

/// Moves a source to `dest` (a link or special file as itself), under the same checks
/// as [`remove_if_unchanged`]; across file systems a regular file is copied (streamed)
/// and removed, a link or special file is removed as itself (its target is never read).
pub fn move_if_unchanged(
    base: &Path,
    rel: &Path,
    read: Option<&Identity>,
    dest: &Path,
) -> io::Result<Claim> {
    let act = |p: &Parent| match p.rename_to(dest) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            let st = p.lstat()?;
            if st.st_mode & libc::S_IFMT == libc::S_IFREG {
                copy_source(base, rel, dest)?;
            }
            p.unlink()
        }
        r => r,
    };
    match read {
        Some(id) => claim(base, rel, id, act),
        None => {
            let p = match Parent::open(base, rel) {
                Ok(p) => p,
                Err(e) if gone(&e) => return Ok(Claim::Gone),
                Err(e) => return Err(e),
            };
            match act(&p) {
                Ok(()) => Ok(Claim::Done),
                Err(e) if gone(&e) => Ok(Claim::Gone),
                Err(e) => Err(e),
            }
        }
    }
}

fn gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

fn claim(
    base: &Path,
    rel: &Path,
    read: &Identity,
    act: impl FnOnce(&Parent) -> io::Result<()>,
) -> io::Result<Claim> {
    let parent = match Parent::open(base, rel) {
        Ok(p) => p,
        Err(e) if gone(&e) => return Ok(Claim::Gone),
        Err(e)
            if e.raw_os_error() == Some(libc::ELOOP) || e.raw_os_error() == Some(libc::ENOTDIR) =>
        {
            return Ok(Claim::Changed(
                "a folder on its path was replaced by a link",
            ));
        }
        Err(e) => return Err(e),
    };
    let st = match parent.lstat() {
        Ok(st) => st,
        Err(e) if gone(&e) => return Ok(Claim::Gone),
        Err(e) => return Err(e),
    };
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        // A link or special file was never opened: its lstat identity is what was seen.
        let now = identity_of_stat(&st);
        if let Some(why) = read.differs(&now) {
            return Ok(Claim::Changed(why));
        }
        act(&parent)?;
        return Ok(Claim::Done);
    }
    let f = match parent.open_file() {
        Ok(f) => f,
        Err(e) if gone(&e) => return Ok(Claim::Gone),
        Err(e) => return Err(e),
    };
    let now = Identity::of(&f.metadata()?);
    if let Some(why) = read.differs(&now) {
        return Ok(Claim::Changed(why));
    }
    let _lease = match lease(&f) {
        Lease::Taken(g) => Some(g),
        Lease::Conflict => return Ok(Claim::Changed("a program still has it open for writing")),
        Lease::Unavailable if writer_in_proc(&f) => {
            return Ok(Claim::Changed("a program still has it open for writing"));
        }
        Lease::Unavailable => None,
    };
    // The name must still be this file: a writer may have renamed a new version over it.
    let named = identity_of_stat(&parent.lstat()?);
    if (named.dev, named.ino) != (now.dev, now.ino) {
        return Ok(Claim::Changed("another file now has its name"));
    }
    act(&parent)?;
    Ok(Claim::Done)
}

fn identity_of_stat(st: &libc::stat) -> Identity {
    Identity {
        dev: st.st_dev,
        ino: st.st_ino,
        size: st.st_size as u64,
        mtime: (st.st_mtime, st.st_mtime_nsec),
        ctime: (st.st_ctime, st.st_ctime_nsec),
    }
}

/// The identity of an entry as seen by `lstat` (links and special files are not opened).
pub fn lstat_identity(base: &Path, rel: &Path) -> io::Result<Identity> {
    Ok(identity_of_stat(&Parent::open(base, rel)?.lstat()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_below_the_base_is_never_followed_for_reading_or_removing() {
        let tmp = tempfile::tempdir().unwrap();
        let (base, outside) = (tmp.path().join("inbox"), tmp.path().join("outside"));
        std::fs::create_dir_all(&base).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.pdf"), b"%PDF-1.4 secret").unwrap();
        std::os::unix::fs::symlink(&outside, base.join("dir")).unwrap();
        let rel = Path::new("dir/secret.pdf");
        assert!(
            read_source(&base, rel, 1 << 20).is_err(),
            "read through a link"
        );
        let id = lstat_identity(&outside, Path::new("secret.pdf")).unwrap();
        assert_ne!(remove_if_unchanged(&base, rel, &id).unwrap(), Claim::Done);
        assert!(
            outside.join("secret.pdf").is_file(),
            "removed through a link"
        );
        // A link as the file itself is opened neither for reading nor followed on removal.
        std::os::unix::fs::symlink(outside.join("secret.pdf"), base.join("l.pdf")).unwrap();
        assert!(read_source(&base, Path::new("l.pdf"), 1 << 20).is_err());
        let lid = lstat_identity(&base, Path::new("l.pdf")).unwrap();
        let dest = tmp.path().join("q.pdf");
        assert_eq!(
            move_if_unchanged(&base, Path::new("l.pdf"), Some(&lid), &dest).unwrap(),
            Claim::Done
        );
        assert!(
            std::fs::symlink_metadata(&dest)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(outside.join("secret.pdf").is_file());
    }

    #[test]
    fn a_source_still_open_for_writing_or_changed_is_not_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path();
        let p = base.join("scan.pdf");
        let mut w = std::fs::File::create(&p).unwrap();
        w.write_all(b"%PDF-1.4 part one").unwrap();
        let (_, _, id) = read_source(base, Path::new("scan.pdf"), 1 << 20).unwrap();
        assert_eq!(
            remove_if_unchanged(base, Path::new("scan.pdf"), &id).unwrap(),
            Claim::Changed("a program still has it open for writing")
        );
        w.write_all(b" and part two").unwrap();
        drop(w);
        assert!(matches!(
            remove_if_unchanged(base, Path::new("scan.pdf"), &id).unwrap(),
            Claim::Changed(_)
        ));
        assert!(p.is_file());
        let (_, _, id) = read_source(base, Path::new("scan.pdf"), 1 << 20).unwrap();
        assert_eq!(
            remove_if_unchanged(base, Path::new("scan.pdf"), &id).unwrap(),
            Claim::Done
        );
        assert!(!p.exists());
    }
}
