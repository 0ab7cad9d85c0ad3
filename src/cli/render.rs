//! Output: every command's value is printed once, as text for a person or as JSON for a
//! script (`--json`), and every error once, with its exit code.
//!
//! Text that came from a document (a title, a file name, a learner) is printed with its
//! control characters made visible, so a scan cannot drive the terminal. A closed pipe
//! (`archivist … | head`) ends the output quietly instead of panicking.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use super::{Ctx, exit, exit_code};
use archivist::error::Error;
use archivist::search::{MARK_END, MARK_START};

/// A value a command prints: as text here, as JSON through `Serialize`.
pub trait Render {
    fn text(&self, w: &mut dyn Write) -> io::Result<()>;
    /// The exit code the value means (e.g. findings, nothing found).
    fn code(&self) -> i32 {
        exit::OK
    }
}

/// Set once stdout's reader has gone away; later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; a closed pipe is not an error (the reader has what it wanted).
pub fn write_stdout(bytes: &[u8]) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    let r = out.write_all(bytes).and_then(|_| out.flush());
    if let Err(e) = r {
        if e.kind() == io::ErrorKind::BrokenPipe {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        } else {
            tracing::warn!("cannot write to standard output: {e}");
        }
    }
}

/// Prints the value (JSON or text) and returns its exit code.
pub fn emit<T: Render + Serialize>(ctx: &Ctx, v: &T) -> i32 {
    if ctx.json {
        match serde_json::to_vec_pretty(v) {
            Ok(mut b) => {
                b.push(b'\n');
                write_stdout(&b);
            }
            Err(e) => {
                eprintln!("error: cannot write the result as JSON: {e}");
                return exit::FAILURE;
            }
        }
    } else {
        let mut buf = Vec::new();
        if let Err(e) = v.text(&mut buf) {
            eprintln!("error: cannot render the result: {e}");
            return exit::FAILURE;
        }
        write_stdout(highlight(&visible(&String::from_utf8_lossy(&buf))).as_bytes());
    }
    v.code()
}

/// One JSON line (a stream of events, as `watch --json` prints).
pub fn emit_line<T: Serialize>(v: &T) {
    if let Ok(mut b) = serde_json::to_vec(v) {
        b.push(b'\n');
        write_stdout(&b);
    }
}

/// Prints an error the way the user asked for and returns its exit code.
pub fn fail(ctx: &Ctx, e: &Error) -> i32 {
    let code = exit_code(e);
    if ctx.json {
        emit_line(&serde_json::json!({
            "error": visible(&e.to_string()),
            "kind": format!("{:?}", e.kind()).to_lowercase(),
            "exit_code": code,
        }));
    } else {
        eprintln!("error: {}", visible(&e.to_string()));
    }
    code
}

/// Control characters (other than line breaks and tabs) shown as `\u{..}` escapes.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() && c != '\n' && c != '\t' {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A field that must stay on one line (a title, a name): line breaks become spaces.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        Cow::Owned(s.replace(['\n', '\r'], " "))
    } else {
        Cow::Borrowed(s)
    }
}

/// Snippet highlights as bold on a terminal, «guillemets» elsewhere.
fn highlight(s: &str) -> String {
    let (a, b) = if io::stdout().is_terminal() {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    s.replace(MARK_START, a).replace(MARK_END, b)
}

/// `println!` through [`write_stdout`]: a closed pipe ends the output quietly.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::cli::render::write_stdout(format!("{}\n", format_args!($($t)*)).as_bytes())
    };
}
pub(crate) use outln;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_from_documents_are_shown_not_obeyed() {
        assert_eq!(visible("plain\tline\n"), "plain\tline\n");
        assert_eq!(visible("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(visible("x\ry"), "x\\u{d}y");
        assert_eq!(one_line("a\nb"), "a b");
    }
}
