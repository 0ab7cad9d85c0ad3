//! Handlers for `hold add|release|list|rebuild`: one library call each, printed as text
//! or JSON.

use archivist::records::hold::Hold;

use super::integrity::{open, print_json, run};
use super::render::outln;
use super::{Ctx, exit};

fn line(h: &Hold) -> String {
    format!(
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
    )
}

pub fn add(ctx: &Ctx, target: &str, reason: &str) -> i32 {
    run(ctx, || {
        let h = open(ctx)?.hold_add(target, reason, &ctx.actor())?;
        if ctx.json {
            print_json(&h);
        } else {
            outln!("hold #{} on {} ({})", h.number, h.target, h.reason);
        }
        Ok(exit::OK)
    })
}

pub fn release(ctx: &Ctx, what: &str, reason: &str) -> i32 {
    run(ctx, || {
        let released = open(ctx)?.hold_release(what, reason, &ctx.actor())?;
        if ctx.json {
            print_json(&released);
        } else {
            for h in &released {
                outln!("released hold #{} on {}", h.number, h.target);
            }
        }
        Ok(exit::OK)
    })
}

pub fn list(ctx: &Ctx, all: bool) -> i32 {
    run(ctx, || {
        let holds = open(ctx)?.holds(all)?;
        if ctx.json {
            print_json(&holds);
        } else {
            for h in &holds {
                outln!("{}", line(h));
            }
        }
        Ok(exit::OK)
    })
}

pub fn rebuild(ctx: &Ctx) -> i32 {
    run(ctx, || {
        let r = open(ctx)?.holds_rebuild(&ctx.actor())?;
        if ctx.json {
            print_json(&r);
        } else {
            outln!(
                "holds.toml rewritten from the audit log: {} hold(s), {} in force",
                r.holds,
                r.active
            );
            for d in &r.differences {
                outln!("  was: {d}");
            }
        }
        Ok(exit::OK)
    })
}
