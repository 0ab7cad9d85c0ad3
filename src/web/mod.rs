//! The web interface (`archivist serve`): server-rendered pages for staff, archivists
//! and the expert commission, in Russian, usable without JavaScript (htmx only enhances
//! them), in one binary with its assets embedded.
//!
//! Every page calls [`crate::api::Archivist`] methods only, on blocking threads
//! ([`tokio::task::spawn_blocking`]); the handle is shared as `Arc<Archivist>`. Who may
//! see and do what is decided in one place, [`auth`], from one table of routes.

mod assets;
pub mod auth;
mod page;
mod pages;
pub mod text;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;

use crate::api::Archivist;

/// How the interface is served.
#[derive(Debug, Clone)]
pub struct Options {
    /// Mark the session cookie `Secure` (set when a TLS proxy serves the pages).
    pub secure_cookies: bool,
    /// Largest upload, in bytes (the archive's own file-size limit by default).
    pub max_upload_bytes: usize,
    /// Whether this process watches the inbox (uploads are filed at once).
    pub watching: bool,
}

impl Options {
    pub fn for_archive(archivist: &Archivist) -> Options {
        let mb = archivist.archive().config.limits.max_file_mb.max(1);
        Options {
            secure_cookies: false,
            max_upload_bytes: usize::try_from(mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
            watching: false,
        }
    }
}

/// What every handler can reach: the archive handle and the interface's own state
/// (signed-in users, the sign-in limit, running jobs).
pub struct App {
    pub archivist: Arc<Archivist>,
    pub(crate) users: auth::UserCache,
    pub(crate) limiter: auth::LoginLimiter,
    pub(crate) jobs: pages::disposal::Jobs,
    pub(crate) dashboard: pages::dashboard::Cache,
    pub(crate) options: Options,
    /// Kinds of document (id, name) from the nomenclature, for labels.
    pub(crate) kinds: Vec<(String, String)>,
}

impl App {
    /// The name of a kind of document, or its id when the nomenclature has no such kind.
    pub fn kind_name(&self, id: &str) -> String {
        self.kinds
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

pub type AppState = Arc<App>;

/// The whole interface as a router (tests and the page bench drive it directly).
pub fn router(archivist: Arc<Archivist>, options: Options) -> Router {
    let kinds = archivist
        .archive()
        .nomenclature
        .kinds
        .iter()
        .map(|k| (k.id.clone(), k.name.clone()))
        .collect();
    let app = Arc::new(App {
        kinds,
        users: auth::UserCache::new(archivist.users_file()),
        archivist,
        limiter: auth::LoginLimiter::default(),
        jobs: Default::default(),
        dashboard: Default::default(),
        options,
    });
    pages::routes(app.clone())
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::guard,
        ))
        .fallback(pages::not_found)
        .layer(auth::session_layer(&app.options))
        .layer(axum::middleware::from_fn(page::security_headers))
        .with_state(app)
}

/// A bound listening socket, ready to serve.
pub struct Server {
    listener: std::net::TcpListener,
    router: Router,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub fn bind(addr: SocketAddr, router: Router) -> crate::error::Result<Server> {
        let listener = std::net::TcpListener::bind(addr).with_context(|| {
            format!(
                "cannot listen on {addr}; is another server using it? Choose another with --bind"
            )
        })?;
        listener
            .set_nonblocking(true)
            .context("cannot configure the listening socket")?;
        Ok(Server { listener, router })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `stop` is set (Ctrl-C), finishing the requests in flight.
    pub fn run(self, stop: Arc<AtomicBool>) -> crate::error::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("archivist-web")
            .build()
            .context("cannot start the web server's runtime")?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener)
                .context("cannot use the listening socket")?;
            let service = self
                .router
                .into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, service)
                .with_graceful_shutdown(async move {
                    // A shutdown signal, not synchronisation: checked four times a second.
                    while !stop.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                })
                .await
                .context("the web server failed")
        })?;
        Ok(())
    }
}

/// True for addresses only this machine can reach.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
