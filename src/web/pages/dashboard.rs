//! The dashboard: what waits, what failed, what is due.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::State;

use crate::api::web::Dashboard;
use crate::web::AppState;
use crate::web::auth::{Me, Perm};
use crate::web::page::{Frame, PageResult, blocking, render};
use crate::web::text::{self, RU, Ru};

/// The figures are recomputed at most every few seconds, however many people look.
#[derive(Default)]
pub struct Cache(Mutex<Option<(Instant, Dashboard)>>);

const FRESH: Duration = Duration::from_secs(5);

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    t: &'static Ru,
    frame: Frame,
    d: Dashboard,
    may_ingest: bool,
    may_retention: bool,
}

impl Page {
    fn fixity_when(&self) -> String {
        self.d
            .last_fixity
            .as_ref()
            .map(|f| text::time(f.start))
            .unwrap_or_default()
    }

    fn lapse(&self, c: &crate::records::retention::Case) -> String {
        super::retention::lapse_text(&c.lapse)
    }
}

pub async fn page(State(app): State<AppState>, me: Me) -> PageResult {
    let cached = {
        let c = app.dashboard.0.lock().unwrap_or_else(|p| p.into_inner());
        c.as_ref()
            .filter(|(at, _)| at.elapsed() < FRESH)
            .map(|(_, d)| d.clone())
    };
    let d = match cached {
        Some(d) => d,
        None => {
            let a = app.archivist.clone();
            let d = blocking(move || a.dashboard(chrono::Local::now().date_naive())).await?;
            *app.dashboard.0.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((Instant::now(), d.clone()));
            d
        }
    };
    Ok(render(&Page {
        t: &RU,
        frame: Frame::new(&me, RU.dash_title, "/"),
        may_ingest: me.may(Perm::Ingest),
        may_retention: me.may(Perm::Retention),
        d,
    }))
}
