//! `archivist user`: the people who may sign in to `archivist serve`, and their roles.

use std::io::{BufRead, IsTerminal};

use serde_json::json;

use super::commands::Ctx;
use super::exit;
use archivist::api::users::{Role, UserInfo};
use archivist::api::{Actor, Archivist};
use archivist::error::{Error, ErrorKind};

fn code(e: &Error) -> i32 {
    match e.kind() {
        ErrorKind::NotFound => exit::NOT_FOUND,
        ErrorKind::Invalid => exit::USAGE,
        ErrorKind::Locked => exit::LOCKED,
        ErrorKind::Refused => exit::FINDINGS,
        ErrorKind::Failure => exit::FAILURE,
    }
}

fn run(ctx: &Ctx, f: impl FnOnce(&Archivist) -> Result<i32, Error>) -> i32 {
    let r = Archivist::init(&ctx.root, ctx.config.as_deref()).and_then(|(a, _)| f(&a));
    match r {
        Ok(c) => c,
        Err(e) => {
            let c = code(&e);
            if ctx.json {
                println!("{}", json!({"error": e.to_string(), "exit_code": c}));
            } else {
                eprintln!("error: {e}");
            }
            c
        }
    }
}

/// The new password: asked twice on a terminal, else the first line of stdin.
fn read_password(name: &str) -> Result<String, Error> {
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password(format!("password for {name}: "))
            .map_err(|e| anyhow::anyhow!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("again: ")
            .map_err(|e| anyhow::anyhow!("cannot read the password: {e}"))?;
        if p != again {
            return Err(archivist::error::Invalid(
                "the passwords differ; nothing was changed".into(),
            )
            .into());
        }
        Ok(p)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| anyhow::anyhow!("cannot read the password from stdin: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

fn print(ctx: &Ctx, u: &UserInfo, what: &str) {
    if ctx.json {
        println!("{}", serde_json::to_string(u).unwrap_or_default());
    } else {
        println!(
            "{what} {} ({}{})",
            u.name,
            u.role,
            if u.disabled { ", disabled" } else { "" }
        );
    }
}

pub fn add(ctx: &Ctx, name: &str, role: &str) -> i32 {
    run(ctx, |a| {
        let role: Role = role.parse()?;
        let pw = read_password(name)?;
        let u = a.user_add(name, role, &pw, &Actor::system())?;
        print(ctx, &u, "added");
        Ok(exit::OK)
    })
}

pub fn passwd(ctx: &Ctx, name: &str) -> i32 {
    run(ctx, |a| {
        a.user(name)?;
        let pw = read_password(name)?;
        let u = a.user_passwd(name, &pw, &Actor::system())?;
        print(ctx, &u, "new password for");
        Ok(exit::OK)
    })
}

pub fn disable(ctx: &Ctx, name: &str) -> i32 {
    run(ctx, |a| {
        let u = a.user_disable(name, &Actor::system())?;
        print(ctx, &u, "disabled");
        Ok(exit::OK)
    })
}

pub fn enable(ctx: &Ctx, name: &str) -> i32 {
    run(ctx, |a| {
        let u = a.user_enable(name, &Actor::system())?;
        print(ctx, &u, "enabled");
        Ok(exit::OK)
    })
}

pub fn list(ctx: &Ctx) -> i32 {
    run(ctx, |a| {
        let users = a.user_list()?;
        if ctx.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&users).unwrap_or_default()
            );
        } else if users.is_empty() {
            println!("no users; add one with `archivist user add NAME --role admin`");
        } else {
            for u in &users {
                println!(
                    "{:<20} {:<11} {}{}",
                    u.name,
                    u.role,
                    u.created_at.format("%Y-%m-%d"),
                    if u.disabled { "  disabled" } else { "" }
                );
            }
        }
        Ok(exit::OK)
    })
}
