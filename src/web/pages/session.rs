//! Signing in and out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::see_other;
use crate::web::AppState;
use crate::web::auth::{self, Me};
use crate::web::page::{Frame, blocking, render};
use crate::web::text::{self, RU, Ru};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Ru,
    frame: Frame,
    error: String,
    next: String,
    user: String,
    no_users: bool,
    first_user_command: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    app: &AppState,
    session: &Session,
    next: &str,
    user: &str,
    error: String,
) -> LoginPage {
    let archivist = app.archivist.clone();
    let no_users = blocking(move || archivist.user_list())
        .await
        .map(|u| u.is_empty())
        .unwrap_or(false);
    LoginPage {
        t: &RU,
        frame: Frame::anonymous(RU.login_title, auth::csrf_token(session).await),
        error,
        next: next.to_string(),
        user: user.to_string(),
        no_users,
        first_user_command: first_user_command(&app.archivist),
    }
}

/// The command that creates the first user, for this archive.
pub fn first_user_command(a: &crate::api::Archivist) -> String {
    format!(
        "archivist --root {} user add ИМЯ --role admin",
        a.archive().root.display()
    )
}

pub async fn login_page(
    State(app): State<AppState>,
    me: Option<Me>,
    session: Session,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = auth::safe_next(q.next.as_deref());
    if me.is_some() {
        return see_other(&next);
    }
    render(&login_form(&app, &session, &next, "", String::new()).await)
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(app): State<AppState>,
    session: Session,
    ext: Extensions,
    Form(f): Form<LoginForm>,
) -> Response {
    let ip = auth::client_ip(&ext);
    let next = auth::safe_next(f.next.as_deref());
    let name = f.user.trim().to_string();
    if let Some(wait) = app.limiter.blocked(&name, ip) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        tracing::warn!("sign-in refused for {name:?} from {ip:?}: too many failures");
        let msg = format!(
            "{} {minutes} {}.",
            RU.login_blocked,
            text::plural(minutes, text::MINUTES)
        );
        let mut r = render(&login_form(&app, &session, &next, &name, msg).await);
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return r;
    }
    let archivist = app.archivist.clone();
    let (n, p) = (name.clone(), f.password);
    let user = match blocking(move || archivist.user_authenticate(&n, &p)).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let Some(user) = user else {
        app.limiter.failed(&name, ip);
        tracing::info!("failed sign-in for {name:?} from {ip:?}");
        let mut r = render(&login_form(&app, &session, &next, &name, RU.login_failed.into()).await);
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    };
    app.limiter.succeeded(&name);
    if let Err(e) = auth::sign_in(&session, &user).await {
        tracing::error!("{e:#}");
        return crate::web::page::refuse(StatusCode::INTERNAL_SERVER_ERROR);
    }
    tracing::info!("{} signed in ({})", user.name, user.role);
    see_other(&next)
}

pub async fn logout(session: Session) -> Response {
    auth::sign_out(&session).await;
    see_other("/login")
}
