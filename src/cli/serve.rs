//! `archivist serve`: the web interface, and the inbox watcher beside it (one command gives
//! the whole system).

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use serde::Serialize;

use super::Ctx;
use super::render::{Render, emit, emit_line};
use archivist::api::Archivist;
use archivist::error::Result;
use archivist::ingest::watch::WatchEvent;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but 127.0.0.1 is reachable from the network.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Serve only; do not watch the inbox.
    #[arg(long)]
    no_watch: bool,
    /// Mark the session cookie Secure (behind an HTTPS proxy).
    #[arg(long)]
    secure_cookies: bool,
}

/// What `serve` prints when it is ready.
#[derive(Serialize)]
struct Serving {
    event: &'static str,
    url: String,
    root: PathBuf,
    inbox: Option<PathBuf>,
    loopback_only: bool,
    users: usize,
    first_user: String,
}

impl Render for Serving {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "archivist serves {}  (archive {})",
            self.url,
            self.root.display()
        )?;
        if !self.loopback_only {
            writeln!(
                w,
                "  WARNING: reachable from other machines on the network at {}.",
                self.url
            )?;
            writeln!(
                w,
                "  Passwords and scans travel unencrypted unless an HTTPS proxy is in front (then add --secure-cookies)."
            )?;
        }
        if self.users == 0 {
            writeln!(
                w,
                "  no users yet: create the first one with `{}` (it asks for the password)",
                self.first_user
            )?;
        }
        match &self.inbox {
            Some(i) => writeln!(
                w,
                "  watching the inbox {} (--no-watch to serve only)",
                i.display()
            )?,
            None => writeln!(w, "  not watching the inbox (--no-watch)")?,
        }
        writeln!(w, "  press Ctrl-C to stop")
    }
}

pub fn serve(ctx: &Ctx, args: ServeArgs) -> Result<i32> {
    // First thing: Ctrl-C during start-up must also end cleanly.
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ctrlc::set_handler(move || s.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))?;
    let watch = !args.no_watch;
    let (a, _) = Archivist::init(&ctx.root, ctx.config.as_deref())?;
    let a = Arc::new(a);
    // While it watches, this process is the archive's writer: other processes stay out.
    let _pin = if watch {
        Some(a.pin_writer("archivist serve")?)
    } else {
        None
    };
    let mut options = archivist::web::Options::for_archive(&a);
    options.secure_cookies = args.secure_cookies;
    options.watching = watch;
    let server =
        archivist::web::Server::bind(args.bind, archivist::web::router(a.clone(), options))?;
    let addr = server.local_addr();
    let root =
        std::fs::canonicalize(&a.archive().root).unwrap_or_else(|_| a.archive().root.clone());
    let inbox =
        std::fs::canonicalize(&a.archive().inbox).unwrap_or_else(|_| a.archive().inbox.clone());
    emit(
        ctx,
        &Serving {
            event: "serving",
            url: format!("http://{addr}/"),
            first_user: format!(
                "archivist --root {} user add NAME --role admin",
                root.display()
            ),
            root,
            inbox: watch.then_some(inbox),
            loopback_only: archivist::web::is_loopback(&addr),
            users: a.user_list()?.len(),
        },
    );
    let watcher = watch.then(|| {
        let (a, stop) = (a.clone(), stop.clone());
        let json = ctx.json;
        let actor = ctx.actor();
        std::thread::spawn(move || {
            let r = a.watch_inbox(stop.clone(), &actor, |e| {
                if json {
                    // Receipts as before; the watcher's other events carry their name.
                    match e {
                        WatchEvent::Receipt(r) => emit_line(r),
                        other => emit_line(other),
                    }
                } else {
                    log_event(e);
                }
            });
            if let Err(e) = &r {
                tracing::error!("the inbox watcher stopped: {e}");
                // Without its watcher the system is not whole: stop serving too.
                stop.store(true, Ordering::SeqCst);
            }
            r
        })
    });
    server.run(stop.clone())?;
    stop.store(true, Ordering::SeqCst);
    if let Some(w) = watcher {
        w.join()
            .map_err(|_| anyhow::anyhow!("the inbox watcher panicked"))??;
    }
    Ok(super::exit::OK)
}

/// The watcher's events in the log, for a person reading the terminal.
fn log_event(e: &WatchEvent) {
    match e {
        WatchEvent::Receipt(r) => {
            tracing::info!("{}: {} {}", r.path, r.outcome.as_str(), r.reason)
        }
        WatchEvent::WaitingForOcr { path, pages, .. } => {
            tracing::info!("{path}: OCR of {pages} page(s) before it is classified")
        }
        WatchEvent::OcrDone { file, pages, .. } => {
            tracing::info!("{file}: OCR done ({} page(s))", pages.len())
        }
        WatchEvent::OcrFailed { file, error, .. } => tracing::warn!("{file}: OCR failed: {error}"),
        WatchEvent::Fixity {
            scope,
            files,
            changed,
            missing,
            untracked,
        } => {
            if changed + missing + untracked > 0 {
                tracing::warn!(
                    "fixity ({scope}): {files} file(s), {changed} changed, {missing} missing, {untracked} untracked"
                )
            } else {
                tracing::info!("fixity ({scope}): {files} file(s) intact")
            }
        }
        WatchEvent::IndexRepaired(r) => tracing::info!(
            "index repaired: {} added, {} removed, {} unreadable",
            r.added.len(),
            r.removed.len(),
            r.unreadable.len()
        ),
        WatchEvent::Problem { message } => tracing::warn!("{message}"),
        WatchEvent::Watching { .. } => {}
    }
}
