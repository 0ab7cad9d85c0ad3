//! Errors that reach the user: each says what happened, to which file, and what to do next.
//!
//! Library code works with `anyhow` and raises the typed leaves below where the caller
//! must tell outcomes apart; every use case in [`crate::api`] returns [`Error`], whose
//! [`Error::kind`] a front end maps to an exit code or an HTTP status in one place.

use std::path::{Path, PathBuf};

use crate::store::lock::LockError;

/// What kind of failure an [`Error`] is, for exit codes and HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No such document, act, hold, box, user, …
    NotFound,
    /// The request itself is wrong: a bad argument, query or configuration.
    Invalid,
    /// Another process holds the archive's writer lock.
    Locked,
    /// Not allowed in this state: an act that changed since its draft, a held or destroyed
    /// document, a role without the right. Nothing was changed.
    Refused,
    /// Anything else: I/O, a damaged file, an internal error.
    Failure,
}

/// The error every use case returns: the whole chain of what happened for the message,
/// and a [`kind`](Error::kind) for the caller's decision.
pub struct Error(anyhow::Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn kind(&self) -> ErrorKind {
        for cause in self.0.chain() {
            if let Some(k) = cause.downcast_ref::<NotFound>() {
                let _ = k;
                return ErrorKind::NotFound;
            }
            if cause.is::<Invalid>() || cause.is::<ConfigError>() {
                return ErrorKind::Invalid;
            }
            if cause.is::<Refused>() || cause.is::<ActChanged>() {
                return ErrorKind::Refused;
            }
            if let Some(l) = cause.downcast_ref::<LockError>() {
                return match l {
                    LockError::Held { .. } => ErrorKind::Locked,
                    LockError::Io { .. } => ErrorKind::Failure,
                };
            }
        }
        ErrorKind::Failure
    }

    /// A typed leaf of the chain (e.g. [`ActChanged`] for its list of problems).
    pub fn find<T: std::error::Error + Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.chain().find_map(|c| c.downcast_ref::<T>())
    }

    pub fn into_anyhow(self) -> anyhow::Error {
        self.0
    }
}

impl<E: Into<anyhow::Error>> From<E> for Error {
    fn from(e: E) -> Error {
        Error(e.into())
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for Error {
    /// The whole chain, outermost first (`{:#}` of anyhow).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// No such thing; the message says what was looked for and where.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub String);

/// The request is wrong; the message says what is allowed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// Not allowed in this state; the message says why and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The commission's approval was refused because the act no longer matches the archive.
#[derive(Debug, thiserror::Error)]
#[error("act № {act} changed since it was drafted; it was NOT approved: {}", problems.join("; "))]
pub struct ActChanged {
    pub act: u32,
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}. Check the path given with --config or the archive root.", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, line {line}, key `{key}`: {message}. Fix the file or delete the key to use the default.", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{}: key `{key}` has a bad value; {message}.", file.display())]
    Invalid {
        file: PathBuf,
        key: String,
        message: String,
    },
}

impl ConfigError {
    /// Turns a toml error into one that names the line and the key (with its table).
    pub fn from_toml(file: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
        let (line, key) = match err.span() {
            Some(span) => locate(text, span.start),
            None => (0, String::new()),
        };
        ConfigError::Syntax {
            file: file.to_path_buf(),
            line,
            key,
            message: err.message().trim().to_string(),
        }
    }
}

impl ConfigError {
    /// Errors found after merging with the defaults carry no position; find the key the
    /// message names in the user's text to report its line.
    pub fn from_value_error(file: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
        let message = err.message().trim().to_string();
        let named = message.split('`').nth(1).unwrap_or("").to_string();
        let mut found = (0, named.clone());
        if !named.is_empty() {
            let mut offset = 0;
            for line in text.split_inclusive('\n') {
                let t = line.trim_start();
                if t.starts_with(&format!("{named} ")) || t.starts_with(&format!("{named}=")) {
                    found = locate(text, offset + (line.len() - t.len()));
                    break;
                }
                offset += line.len();
            }
        }
        ConfigError::Syntax {
            file: file.to_path_buf(),
            line: found.0,
            key: found.1,
            message,
        }
    }
}

/// Line number (1-based) of a byte offset, and the dotted key written on that line.
fn locate(text: &str, offset: usize) -> (usize, String) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line_no = before.matches('\n').count() + 1;
    let mut table = String::new();
    for l in before.lines() {
        let t = l.trim();
        if t.starts_with('[') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        }
    }
    let this_line = text.lines().nth(line_no - 1).unwrap_or("");
    let t = this_line.trim();
    let key = if t.starts_with('[') {
        t.trim_matches(|c| c == '[' || c == ']').trim().to_string()
    } else {
        let k = t.split('=').next().unwrap_or("").trim();
        match (table.is_empty(), k.is_empty()) {
            (_, true) => table.clone(),
            (true, false) => k.to_string(),
            (false, false) => format!("{table}.{k}"),
        }
    };
    (line_no, key)
}
