//! The command line's grammar (clap). Each command's arguments convert into the request
//! its use case takes.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use archivist::search::{Filters, SearchRequest};
use archivist::store::document::Status;

#[derive(Parser)]
#[command(
    name = "archivist",
    version,
    about = "Archive manager for scanned paper records: watched inbox, BagIt boxes by year and group, fixity, audit"
)]
pub struct Cli {
    /// Archive root.
    #[arg(
        long,
        global = true,
        env = "ARCHIVIST_ROOT",
        default_value = "./archive"
    )]
    pub root: PathBuf,
    /// Configuration file (default: ROOT/archivist.toml if present, else built-in defaults).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Machine-readable output (JSON) on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Less output: warnings and errors only.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        since: Option<NaiveDate>,
        /// Check a random PERCENT of the files.
        #[arg(long, value_parser = clap::value_parser!(f64))]
        sample: Option<f64>,
        /// List earlier runs instead of verifying.
        #[arg(long)]
        history: bool,
    },
    /// Full-text search: a learner's name in any form, or tantivy's query language.
    Search(SearchArgs),
    /// A learner's dossier: every document naming the person, by kind and date, with its box.
    Learner {
        /// A name in any form («Иванову И. П.»), or a person token from a dossier.
        name: String,
        /// Output format: text (default) or md.
        #[arg(long, default_value = "text")]
        format: String,
        /// Write the learner's record card (A4 PDF) to FILE instead.
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
    },
    /// Was a certificate or diploma with this number issued: to whom, when, where recorded.
    Certificate {
        /// «772419 № 012345», «772419012345» or «012345».
        number: String,
    },
    /// Rebuild the search index from the boxes alone.
    Reindex,
    /// Compare the archive with the index.
    Check,
    /// Cases by retention status: eligible for destruction, ЭПК review, lapsing soon, held.
    Retention {
        /// Report as of this date (default today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
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
    #[command(flatten)]
    Print(super::print::PrintCommand),
    /// The web interface, with the inbox watcher (prints the URL).
    Serve(super::serve::ServeArgs),
    /// Scans waiting for a person: list, show, resolve (file them), reject.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Correct a filed document's group, date, kind, number or title; it moves to the
    /// right box (crash-safe, audited, kept in its history).
    Amend(AmendArgs),
    /// Users of the web interface: add, list, passwd, disable, enable.
    User {
        #[command(subcommand)]
        command: super::user::UserCommand,
    },
}

#[derive(Args)]
pub struct SearchArgs {
    /// A learner's name («Иванову И. П.») or a query («приказ AND group:"ПК-2024-017"»).
    pub query: String,
    #[arg(long)]
    pub kind: Option<String>,
    /// One year (same as --from Y --to Y).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub year: Option<i32>,
    #[arg(long)]
    pub from: Option<i32>,
    #[arg(long)]
    pub to: Option<i32>,
    #[arg(long)]
    pub group: Option<String>,
    /// Only documents in this state: active, destroyed, or "in review" (scans waiting
    /// for a person).
    #[arg(long, value_parser = ["active", "destroyed", "in review", "review"])]
    pub status: Option<String>,
    /// Hits per page.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Page of hits (1 = the first `--limit`).
    #[arg(long, default_value_t = 1)]
    pub page: usize,
}

impl From<SearchArgs> for SearchRequest {
    fn from(a: SearchArgs) -> SearchRequest {
        SearchRequest {
            query: a.query,
            filters: Filters {
                kind: a.kind,
                year_from: a.year.or(a.from),
                year_to: a.year.or(a.to),
                group: a.group,
                status: a.status.as_deref().map(Status::parse),
            },
            page: a.page,
            per_page: a.limit,
        }
    }
}

#[derive(Subcommand)]
pub enum HoldCommand {
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
pub enum DisposalCommand {
    /// Draft the next act from the eligible cases.
    Draft {
        #[arg(long)]
        as_of: Option<NaiveDate>,
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
pub enum AuditCommand {
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

/// Dates as YYYY-MM-DD or ДД.ММ.ГГГГ.
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .map_err(|_| format!("{s:?} is not a date: write YYYY-MM-DD or DD.MM.YYYY"))
}

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// The scans waiting for review.
    List,
    /// One scan: why it waits, what was found, the candidates with context, its text.
    Show {
        /// The scan's file name in the review folder (or its id review:NAME).
        name: String,
    },
    /// Complete a scan's metadata and file it (as a dropped sidecar would).
    Resolve {
        name: String,
        /// The kind of document (an id from the nomenclature).
        #[arg(long)]
        kind: String,
        #[arg(long, value_parser = parse_date, required_unless_present = "year")]
        date: Option<NaiveDate>,
        /// Only when the date is unknown.
        #[arg(long, conflicts_with = "date")]
        year: Option<i32>,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        number: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        programme: Option<String>,
        /// A learner named on the document (repeat for each).
        #[arg(long = "learner")]
        learners: Vec<String>,
    },
    /// Refuse a scan: it goes to the quarantine with the reason.
    Reject {
        name: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Args)]
pub struct AmendArgs {
    /// The document's id (or an unambiguous prefix of at least 6 characters).
    pub id: String,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub number: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
}
