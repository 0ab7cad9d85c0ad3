//! `archivist serve`: the web interface, and the inbox watcher beside it (one command gives
//! the whole system).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::commands::Ctx;
use super::exit;
use archivist::api::Archivist;

pub fn serve(ctx: &Ctx, bind: SocketAddr, watch: bool, secure_cookies: bool) -> i32 {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    if let Err(e) = ctrlc::set_handler(move || s.store(true, Ordering::SeqCst)) {
        eprintln!("error: cannot install the Ctrl-C handler: {e}");
        return exit::FAILURE;
    }
    match run(ctx, bind, watch, secure_cookies, stop) {
        Ok(()) => exit::OK,
        Err(e) => {
            let code = match e.kind() {
                archivist::error::ErrorKind::Locked => exit::LOCKED,
                archivist::error::ErrorKind::Invalid => exit::USAGE,
                _ => exit::FAILURE,
            };
            if ctx.json {
                println!("{}", json!({"error": e.to_string(), "exit_code": code}));
            } else {
                eprintln!("error: {e}");
            }
            code
        }
    }
}

fn run(
    ctx: &Ctx,
    bind: SocketAddr,
    watch: bool,
    secure_cookies: bool,
    stop: Arc<AtomicBool>,
) -> Result<(), archivist::error::Error> {
    let (a, _) = Archivist::init(&ctx.root, ctx.config.as_deref())?;
    let a = Arc::new(a);
    // While it watches, this process is the archive's writer: other processes stay out.
    let _pin = if watch {
        Some(a.pin_writer("archivist serve")?)
    } else {
        None
    };
    let mut options = archivist::web::Options::for_archive(&a);
    options.secure_cookies = secure_cookies;
    options.watching = watch;
    let server = archivist::web::Server::bind(bind, archivist::web::router(a.clone(), options))?;
    let addr = server.local_addr();
    let url = format!("http://{addr}/");
    let users = a.user_list()?.len();
    let root =
        std::fs::canonicalize(&a.archive().root).unwrap_or_else(|_| a.archive().root.clone());
    let first_user = format!(
        "archivist --root {} user add NAME --role admin",
        root.display()
    );
    if ctx.json {
        println!(
            "{}",
            json!({"event": "serving", "url": url, "root": root, "watching": watch,
                   "loopback_only": archivist::web::is_loopback(&addr), "users": users})
        );
    } else {
        println!("archivist serves {url}  (archive {})", root.display());
        if !archivist::web::is_loopback(&addr) {
            println!(
                "  WARNING: listening on {addr}, reachable from other machines on the network."
            );
            println!(
                "  Passwords and scans travel unencrypted unless an HTTPS proxy is in front (then use --secure-cookies)."
            );
        }
        if users == 0 {
            println!(
                "  no users yet: create the first one with `{first_user}` (it asks for the password)"
            );
        }
        if watch {
            println!(
                "  watching the inbox {} (--no-watch to serve only)",
                a.archive().inbox.display()
            );
        }
        println!("  press Ctrl-C to stop");
    }
    let watcher = watch.then(|| {
        let (a, stop) = (a.clone(), stop.clone());
        let json_out = ctx.json;
        std::thread::spawn(move || {
            let r = a.watch_inbox(stop.clone(), |r| {
                if json_out {
                    println!("{}", serde_json::to_string(r).unwrap_or_default());
                } else {
                    tracing::info!("{}: {} {}", r.path, r.outcome.as_str(), r.reason);
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
        match w.join() {
            Ok(r) => r?,
            Err(_) => return Err(anyhow::anyhow!("the inbox watcher panicked").into()),
        }
    }
    if !ctx.json {
        println!("stopped");
    }
    Ok(())
}
