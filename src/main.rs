//! The `archivist` command line: parses arguments and hands over to `archivist::commands`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

use cli::commands::{self, Ctx};
use cli::{holds, integrity};

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
    /// Rewrite holds.toml from the holds recorded in the audit log.
    Rebuild,
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
    /// Check the audit log: its chain, head and box anchors, and the archive against it.
    Verify {
        /// An anchor kept outside the archive ("SEQ HASH" from `audit head`).
        #[arg(long)]
        anchor: Option<String>,
    },
    /// Repair torn journal lines and a lost head, keeping evidence, as an audited act.
    Repair {
        /// Also record the loss of audit records (a cut or deleted log) and go on.
        #[arg(long)]
        accept_loss: bool,
    },
    /// Print the audit log's head ("SEQ HASH") to keep outside the archive.
    Head,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose_default = matches!(cli.command, Command::Watch | Command::Ingest { .. });
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
        Command::Show { id } => integrity::show(&ctx, &id),
        Command::Verify {
            box_filter,
            since,
            sample,
            history,
        } => integrity::verify(
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
            HoldCommand::Add { target, reason } => holds::add(&ctx, &target, &reason),
            HoldCommand::Release { what, reason } => holds::release(&ctx, &what, &reason),
            HoldCommand::List { all } => holds::list(&ctx, all),
            HoldCommand::Rebuild => holds::rebuild(&ctx),
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
        Command::Audit { command } => match command {
            AuditCommand::Verify { anchor } => integrity::audit_verify(&ctx, anchor.as_deref()),
            AuditCommand::Repair { accept_loss } => integrity::audit_repair(&ctx, accept_loss),
            AuditCommand::Head => integrity::audit_head(&ctx),
        },
    };
    ExitCode::from(code as u8)
}
