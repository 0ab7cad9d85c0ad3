//! The command line front end: parses arguments, calls one use case of
//! [`archivist::api::Archivist`], and renders what it returns as text or JSON. This is
//! the only code that prints, reads a terminal or knows exit codes.

mod archive;
pub mod args;
mod disposal;
mod holds;
mod ingest;
mod integrity;
mod learner;
mod print;
mod render;
mod retention;
mod review;
mod search;
mod serve;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use archivist::api::{Actor, Archivist};
use archivist::error::{Error, ErrorKind, Result};
use args::{AuditCommand, Cli, Command, DisposalCommand, HoldCommand};

/// What every command knows: where the archive is and how to print.
pub struct Ctx {
    pub root: PathBuf,
    pub config: Option<PathBuf>,
    pub json: bool,
    pub quiet: bool,
}

impl Ctx {
    /// The archive, as it is (nothing created).
    pub fn open(&self) -> Result<Archivist> {
        Archivist::open(&self.root, self.config.as_deref())
    }

    /// The person at this terminal, for the audit log.
    pub fn actor(&self) -> Actor {
        Actor::system()
    }

    /// No progress bars for scripts or with `--quiet`.
    pub fn progress(&self, len: u64) -> indicatif::ProgressBar {
        if self.json || self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {per_sec} ETA {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    }
}

/// Exit codes shared by all commands, so scripts can tell outcomes apart.
pub mod exit {
    /// Success, nothing to report.
    pub const OK: i32 = 0;
    /// The command ran, and found problems (refused files, failed checks, fixity
    /// findings), or was refused in this state (a changed act).
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

/// The one place where errors become exit codes.
pub fn exit_code(e: &Error) -> i32 {
    match e.kind() {
        ErrorKind::NotFound => exit::NOT_FOUND,
        ErrorKind::Invalid => exit::USAGE,
        ErrorKind::Locked => exit::LOCKED,
        ErrorKind::Refused => exit::FINDINGS,
        ErrorKind::Failure => exit::FAILURE,
    }
}

fn init_logging(quiet: bool, verbose_default: bool) {
    let default = if quiet {
        "warn"
    } else if verbose_default {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARCHIVIST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs a handler; an error is printed and becomes the exit code.
fn handle(ctx: &Ctx, f: impl FnOnce(&Ctx) -> Result<i32>) -> i32 {
    f(ctx).unwrap_or_else(|e| render::fail(ctx, &e))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose_default = matches!(
        cli.command,
        Command::Watch | Command::Ingest { .. } | Command::Serve(_)
    );
    init_logging(cli.quiet, verbose_default);
    let ctx = Ctx {
        root: cli.root,
        config: cli.config,
        json: cli.json,
        quiet: cli.quiet,
    };
    let code = match cli.command {
        Command::Init => handle(&ctx, archive::init),
        Command::Search(a) => handle(&ctx, |c| search::search(c, a)),
        Command::Reindex => handle(&ctx, search::reindex),
        Command::Check => handle(&ctx, search::check),
        Command::Retention { as_of } => handle(&ctx, |c| retention::report(c, as_of)),
        Command::Watch => handle(&ctx, ingest::watch),
        Command::Ingest {
            paths,
            move_sources,
        } => handle(&ctx, |c| ingest::ingest(c, &paths, move_sources)),
        Command::Show { id } => handle(&ctx, |c| integrity::show(c, &id)),
        Command::Verify {
            box_filter,
            since,
            sample,
            history,
        } => handle(&ctx, |c| {
            let scope = archivist::store::fixity::Scope {
                box_filter,
                since,
                sample,
                slice: None,
            };
            integrity::verify(c, &scope, history)
        }),
        Command::Learner { name, format, pdf } => handle(&ctx, |c| {
            learner::learner(c, &name, &format, pdf.as_deref())
        }),
        Command::Certificate { number } => handle(&ctx, |c| learner::certificate(c, &number)),
        Command::Hold { command } => match command {
            HoldCommand::Add { target, reason } => {
                handle(&ctx, |c| holds::add(c, &target, &reason))
            }
            HoldCommand::Release { what, reason } => {
                handle(&ctx, |c| holds::release(c, &what, &reason))
            }
            HoldCommand::List { all } => handle(&ctx, |c| holds::list(c, all)),
            HoldCommand::Rebuild => handle(&ctx, holds::rebuild),
        },
        Command::Disposal { command } => match command {
            DisposalCommand::Draft { as_of } => handle(&ctx, |c| disposal::draft(c, as_of)),
            DisposalCommand::Show { number } => handle(&ctx, |c| disposal::show(c, number)),
            DisposalCommand::List => handle(&ctx, disposal::list),
            DisposalCommand::Approve {
                number,
                protocol,
                approved_by,
            } => handle(&ctx, |c| {
                disposal::approve(c, number, &protocol, &approved_by)
            }),
            DisposalCommand::Execute { number } => handle(&ctx, |c| disposal::execute(c, number)),
        },
        Command::Ocr { pending, ids } => handle(&ctx, |c| ingest::ocr(c, pending, &ids)),
        Command::Print(c) => handle(&ctx, |x| print::run(x, c)),
        Command::Audit { command } => match command {
            AuditCommand::Verify { anchor } => {
                handle(&ctx, |c| integrity::audit_verify(c, anchor.as_deref()))
            }
            AuditCommand::Repair { accept_loss } => {
                handle(&ctx, |c| integrity::audit_repair(c, accept_loss))
            }
            AuditCommand::Head => handle(&ctx, integrity::audit_head),
        },
        Command::Serve(a) => handle(&ctx, |c| serve::serve(c, a)),
        Command::User { command } => handle(&ctx, |c| user::run(c, command)),
        Command::Review { command } => handle(&ctx, |c| review::run(c, command)),
        Command::Amend(a) => handle(&ctx, |c| review::amend(c, a)),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(exit::FAILURE as u8))
}
