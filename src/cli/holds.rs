//! Handlers for `hold add|release|list|rebuild`: one library call each, printed as text
//! or JSON.

use std::io::{self, Write};

use serde::Serialize;

use super::Ctx;
use super::render::{Render, emit};
use archivist::error::Result;
use archivist::records::hold::{Hold, Rebuilt};

pub fn add(ctx: &Ctx, target: &str, reason: &str) -> Result<i32> {
    let h = ctx.open()?.hold_add(target, reason, &ctx.actor())?;
    Ok(emit(ctx, &h))
}

pub fn release(ctx: &Ctx, what: &str, reason: &str) -> Result<i32> {
    let released = ctx.open()?.hold_release(what, reason, &ctx.actor())?;
    Ok(emit(ctx, &Released(released)))
}

pub fn list(ctx: &Ctx, all: bool) -> Result<i32> {
    let holds = ctx.open()?.holds(all)?;
    Ok(emit(ctx, &Listed(holds)))
}

pub fn rebuild(ctx: &Ctx) -> Result<i32> {
    let r = ctx.open()?.holds_rebuild(&ctx.actor())?;
    Ok(emit(ctx, &r))
}

impl Render for Hold {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "hold #{} on {} ({})",
            self.number, self.target, self.reason
        )
    }
}

/// The holds a release ended.
#[derive(Serialize)]
#[serde(transparent)]
struct Released(Vec<Hold>);

impl Render for Released {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for h in &self.0 {
            writeln!(w, "released hold #{} on {}", h.number, h.target)?;
        }
        Ok(())
    }
}

/// The holds in force (or all of them).
#[derive(Serialize)]
#[serde(transparent)]
struct Listed(Vec<Hold>);

impl Render for Listed {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for h in &self.0 {
            writeln!(
                w,
                "#{:<3} {:<8} {}  «{}» by {} on {}{}",
                h.number,
                format!("{:?}", h.target_kind).to_lowercase(),
                h.target,
                h.reason,
                h.created_by,
                h.created_at.format("%Y-%m-%d"),
                h.released_at
                    .map(|t| format!(", released {}", t.format("%Y-%m-%d")))
                    .unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

impl Render for Rebuilt {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "holds.toml rewritten from the audit log: {} hold(s), {} in force",
            self.holds, self.active
        )?;
        for d in &self.differences {
            writeln!(w, "  was: {d}")?;
        }
        Ok(())
    }
}
