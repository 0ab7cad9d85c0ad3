//! The `archivist` command line: parses arguments and hands over to `archivist::commands`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

use cli::commands::{self, Ctx};

#[derive(Parser)]
#[command(
    name = "archivist",
    version,
    about = "Archive manager for scanned paper records: watched inbox, BagIt boxes by year and group, fixity, audit"
)]
struct Cli {
    /// Archive root.
    #[arg(
        long,
        global = true,
        env = "ARCHIVIST_ROOT",
        default_value = "./archive"
    )]
    root: PathBuf,
    /// Configuration file (default: ROOT/archivist.toml if present, else built-in defaults).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Machine-readable output (JSON) on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Less output: warnings and errors only.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an archive root with its folders, archivist.toml and nomenclature.toml.
    Init,
    /// Watch the inbox and ingest until Ctrl-C (creates the archive on first use).
    Watch,
    /// Ingest files or folders (recursive) through the same pipeline; sources are copied.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Remove each source once its archived copy (or its quarantine copy) is durable.
        #[arg(long = "move")]
        move_sources: bool,
    },
    /// One document's metadata, location and history.
    Show { id: String },
    /// Re-hash scans and sidecars against the box manifests (fixity check).
    Verify {
        /// Only this box, as YEAR/GROUP.
        #[arg(long = "box")]
        box_filter: Option<String>,
        /// Only files modified on or after this date (YYYY-MM-DD).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// Check a random PERCENT of the files.
        #[arg(long, value_parser = clap::value_parser!(f64))]
        sample: Option<f64>,
        /// List earlier runs instead of verifying.
        #[arg(long)]
        history: bool,
    },
    /// Full-text search: a learner's name in any form, or tantivy's query language.
    Search {
        query: String,
        #[arg(long)]
        kind: Option<String>,
        /// One year (same as --from Y --to Y).
        #[arg(long, conflicts_with_all = ["from", "to"])]
        year: Option<i32>,
        #[arg(long)]
        from: Option<i32>,
        #[arg(long)]
        to: Option<i32>,
        #[arg(long)]
        group: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// A learner's dossier: every document naming the person, by kind and date, with its box.
    Learner {
        name: String,
        /// Output format: text (default) or md.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Rebuild the search index from the boxes alone.
    Reindex,
    /// Compare the archive with the index.
    Check,
    /// Cases by retention status: eligible for destruction, ЭПК review, lapsing soon, held.
    Retention {
        /// Report as of this date (default today).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Holds that block disposal.
    Hold {
        #[command(subcommand)]
        command: HoldCommand,
    },
    /// Destruction acts for the expert commission.
    Disposal {
        #[command(subcommand)]
        command: DisposalCommand,
    },
    /// OCR pages without a usable text layer (Tesseract).
    Ocr {
        /// Every document marked OCR pending.
        #[arg(long)]
        pending: bool,
        /// Documents to (re)OCR.
        ids: Vec<String>,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The web interface, with the inbox watcher (prints the URL).
    Serve {
        /// Address to listen on; anything but 127.0.0.1 is reachable from the network.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Serve only; do not watch the inbox.
        #[arg(long)]
        no_watch: bool,
        /// Mark the session cookie Secure (behind an HTTPS proxy).
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Users of the web interface: add, list, passwd, disable, enable.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user (the password is asked for, or read from stdin).
    Add {
        name: String,
        /// staff, archivist, commission, chair or admin.
        #[arg(long)]
        role: String,
    },
    List,
    /// Set a new password (asked for, or read from stdin).
    Passwd {
        name: String,
    },
    Disable {
        name: String,
    },
    Enable {
        name: String,
    },
}

#[derive(Subcommand)]
enum HoldCommand {
    /// Hold a document (id) or a case (INDEX/YEAR[/GROUP]).
    Add {
        target: String,
        #[arg(long)]
        reason: String,
    },
    /// Release a hold (its number, or its target).
    Release {
        what: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Active holds (--all: released ones too).
    List {
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum DisposalCommand {
    /// Draft the next act from the eligible cases.
    Draft {
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// One act.
    Show { number: u32 },
    /// All acts.
    List,
    /// Record the expert commission's approval (refused if the act changed).
    Approve {
        number: u32,
        /// The commission's protocol, e.g. "№ 3 от 12.12.2026".
        #[arg(long)]
        protocol: String,
        #[arg(long)]
        approved_by: String,
    },
    /// Destroy the documents of an approved act (resumable).
    Execute { number: u32 },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the audit log.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose_default = matches!(
        cli.command,
        Command::Watch | Command::Ingest { .. } | Command::Serve { .. }
    );
    commands::init_logging(cli.quiet, verbose_default);
    let ctx = Ctx {
        root: cli.root,
        config: cli.config,
        json: cli.json,
        quiet: cli.quiet,
    };
    let code = match cli.command {
        Command::Init => commands::init(&ctx),
        Command::Watch => commands::watch(&ctx),
        Command::Ingest {
            paths,
            move_sources,
        } => commands::ingest(&ctx, &paths, move_sources),
        Command::Show { id } => commands::show(&ctx, &id),
        Command::Verify {
            box_filter,
            since,
            sample,
            history,
        } => commands::verify(
            &ctx,
            &archivist::store::fixity::Scope {
                box_filter,
                since,
                sample,
                slice: None,
            },
            history,
        ),
        Command::Search {
            query,
            kind,
            year,
            from,
            to,
            group,
            limit,
        } => {
            let f = archivist::search::index::Filters {
                kind,
                year_from: year.or(from),
                year_to: year.or(to),
                group,
                limit,
            };
            commands::search(&ctx, &query, &f)
        }
        Command::Learner { name, format } => commands::learner(&ctx, &name, format == "md"),
        Command::Reindex => commands::reindex(&ctx),
        Command::Check => commands::check(&ctx),
        Command::Retention { as_of } => commands::retention(&ctx, as_of),
        Command::Hold { command } => match command {
            HoldCommand::Add { target, reason } => commands::hold_add(&ctx, &target, &reason),
            HoldCommand::Release { what, reason } => commands::hold_release(&ctx, &what, &reason),
            HoldCommand::List { all } => commands::hold_list(&ctx, all),
        },
        Command::Disposal { command } => match command {
            DisposalCommand::Draft { as_of } => commands::disposal_draft(&ctx, as_of),
            DisposalCommand::Show { number } => commands::disposal_show(&ctx, number),
            DisposalCommand::List => commands::disposal_list(&ctx),
            DisposalCommand::Approve {
                number,
                protocol,
                approved_by,
            } => commands::disposal_approve(&ctx, number, &protocol, &approved_by),
            DisposalCommand::Execute { number } => commands::disposal_execute(&ctx, number),
        },
        Command::Ocr { pending, ids } => commands::ocr(&ctx, pending, &ids),
        Command::Audit {
            command: AuditCommand::Verify,
        } => commands::audit_verify(&ctx),
        Command::Serve {
            bind,
            no_watch,
            secure_cookies,
        } => cli::serve::serve(&ctx, bind, !no_watch, secure_cookies),
        Command::User { command } => match command {
            UserCommand::Add { name, role } => cli::user::add(&ctx, &name, &role),
            UserCommand::List => cli::user::list(&ctx),
            UserCommand::Passwd { name } => cli::user::passwd(&ctx, &name),
            UserCommand::Disable { name } => cli::user::disable(&ctx, &name),
            UserCommand::Enable { name } => cli::user::enable(&ctx, &name),
        },
    };
    ExitCode::from(code as u8)
}
