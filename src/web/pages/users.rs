//! Users (admin): who may sign in, with which role. Changes are made with `archivist user`.

use askama::Template;
use axum::extract::State;

use crate::web::AppState;
use crate::web::auth::Me;
use crate::web::page::{Frame, PageResult, blocking, render};
use crate::web::text::{self, RU, Ru};

#[derive(Template)]
#[template(path = "users.html")]
struct Page {
    t: &'static Ru,
    frame: Frame,
    users: Vec<(String, &'static str, bool, String)>,
}

pub async fn page(State(app): State<AppState>, me: Me) -> PageResult {
    let a = app.archivist.clone();
    let users = blocking(move || a.user_list()).await?;
    Ok(render(&Page {
        t: &RU,
        frame: Frame::new(&me, RU.users_title, "/users"),
        users: users
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    text::role(u.role),
                    u.disabled,
                    text::time(u.created_at),
                )
            })
            .collect(),
    }))
}
