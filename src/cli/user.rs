//! `archivist user`: the people who may sign in to `archivist serve`, and their roles.

use std::io::{self, BufRead, IsTerminal, Write};

use clap::Subcommand;

use super::Ctx;
use super::render::{Render, emit};
use archivist::api::Archivist;
use archivist::api::users::{Role, UserInfo};
use archivist::error::{Invalid, Result};

#[derive(Subcommand)]
pub enum UserCommand {
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
    /// The user can no longer sign in; their sessions end.
    Disable {
        name: String,
    },
    Enable {
        name: String,
    },
}

pub fn run(ctx: &Ctx, cmd: UserCommand) -> Result<i32> {
    // Users are kept in the archive: a fresh machine gets its archive here.
    let (a, _) = Archivist::init(&ctx.root, ctx.config.as_deref())?;
    let me = ctx.actor();
    let one = |u: UserInfo| Ok(emit(ctx, &u));
    match cmd {
        UserCommand::Add { name, role } => {
            let role: Role = role.parse()?;
            one(a.user_add(&name, role, &read_password(&name)?, &me)?)
        }
        UserCommand::Passwd { name } => {
            a.user(&name)?;
            one(a.user_passwd(&name, &read_password(&name)?, &me)?)
        }
        UserCommand::Disable { name } => one(a.user_disable(&name, &me)?),
        UserCommand::Enable { name } => one(a.user_enable(&name, &me)?),
        UserCommand::List => Ok(emit(ctx, &Users(a.user_list()?))),
    }
}

/// The new password: asked twice on a terminal, else the first line of stdin.
fn read_password(name: &str) -> Result<String> {
    let failed = |e: io::Error| anyhow::anyhow!("cannot read the password: {e}");
    if io::stdin().is_terminal() {
        let p = rpassword::prompt_password(format!("password for {name}: ")).map_err(failed)?;
        let again = rpassword::prompt_password("again: ").map_err(failed)?;
        if p != again {
            return Err(Invalid("the passwords differ; nothing was changed".into()).into());
        }
        return Ok(p);
    }
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line).map_err(failed)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

impl Render for UserInfo {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "{} ({}{})",
            self.name,
            self.role,
            if self.disabled { ", disabled" } else { "" }
        )
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Users(Vec<UserInfo>);

impl Render for Users {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            writeln!(
                w,
                "no users; add one with `archivist user add NAME --role admin`"
            )?;
        }
        for u in &self.0 {
            writeln!(
                w,
                "{:<20} {:<11} {}{}",
                u.name,
                u.role,
                u.created_at.format("%Y-%m-%d"),
                if u.disabled { "  disabled" } else { "" }
            )?;
        }
        Ok(())
    }
}
