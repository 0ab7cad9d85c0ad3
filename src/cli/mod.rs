//! The command line front end: parses, calls the library, renders.

pub mod commands;
pub mod serve;
pub mod user;

/// Exit codes shared by all commands, so scripts can tell outcomes apart.
pub mod exit {
    /// Success, nothing to report.
    pub const OK: i32 = 0;
    /// The command ran, and found problems (refused files, failed checks, fixity findings).
    pub const FINDINGS: i32 = 1;
    /// Bad usage or bad configuration.
    pub const USAGE: i32 = 2;
    /// The archive is locked by another writer.
    pub const LOCKED: i32 = 3;
    /// Something failed (I/O, internal error).
    pub const FAILURE: i32 = 4;
    /// Not found (no such document, act, …).
    pub const NOT_FOUND: i32 = 5;
}
