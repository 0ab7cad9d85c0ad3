//! Errors that reach the user: each says what happened, to which file, and what to do next.

use std::path::{Path, PathBuf};

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
