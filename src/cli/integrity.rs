//! Handlers for the integrity commands: `show`, `verify`, `audit verify|repair|head`.
//! Each parses, makes one library call, and prints the value as text or, with `--json`,
//! as JSON.

use std::io::{self, Write};

use serde::Serialize;

use super::render::{Render, emit};
use super::{Ctx, exit};
use archivist::api::integrity::DocumentView;
use archivist::error::Result;
use archivist::store::audit::{Anchor, RepairReport, VerifyReport};
use archivist::store::fixity::{Run, Scope};

pub fn show(ctx: &Ctx, id: &str) -> Result<i32> {
    let v = ctx.open()?.show(id)?;
    Ok(emit(ctx, &v))
}

impl Render for DocumentView {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        let (v, m) = (self, &self.metadata);
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        };
        writeln!(w, "{}  {}", m.id, clean(m.title.as_deref().unwrap_or("")))?;
        writeln!(w, "  kind       {} ({})", m.kind, m.kind_name)?;
        writeln!(
            w,
            "  year/group {} / {}",
            m.year,
            clean(m.group.as_deref().unwrap_or("—"))
        )?;
        if let Some(d) = m.date {
            writeln!(w, "  date       {}", d.format("%d.%m.%Y"))?;
        }
        if let Some(n) = &m.number {
            writeln!(w, "  number     № {}", clean(n))?;
        }
        if let Some(p) = &m.programme {
            writeln!(w, "  programme  {}", clean(p))?;
        }
        if !m.learners.is_empty() {
            writeln!(w, "  learners   {}", clean(&m.learners.join("; ")))?;
        }
        writeln!(
            w,
            "  pages      {}   size {} bytes   text layer {:?}",
            m.pages, m.size, m.pdf.text_layer
        )?;
        writeln!(
            w,
            "  case       {} «{}», {} ({}){}",
            m.case.index,
            m.case.title,
            m.case.period,
            m.case.basis,
            if m.case.epk { ", ЭПК" } else { "" }
        )?;
        match &v.destruction {
            Some(d) => writeln!(
                w,
                "  status     DESTROYED: {}{}",
                d.note,
                d.at.map(|t| format!(
                    " (executed {} by {})",
                    t.format("%Y-%m-%d %H:%M:%S UTC"),
                    d.by.as_deref().unwrap_or("")
                ))
                .unwrap_or_default()
            ),
            None => writeln!(w, "  status     {}", m.status),
        }?;
        writeln!(
            w,
            "  location   {}{}",
            v.path.display(),
            if v.location.present {
                ""
            } else {
                " (no longer on disk)"
            }
        )?;
        writeln!(
            w,
            "  source     {} (ingested {})",
            clean(&m.source_path),
            m.ingested_at.format("%Y-%m-%d %H:%M:%S UTC")
        )?;
        writeln!(w, "  history")?;
        for h in &v.history {
            writeln!(
                w,
                "    {}  #{} {} by {}",
                h.time.format("%Y-%m-%d %H:%M:%S"),
                h.seq,
                h.action,
                h.actor
            )?;
        }
        Ok(())
    }
}

pub fn verify(ctx: &Ctx, scope: &Scope, history: bool) -> Result<i32> {
    let ar = ctx.open()?;
    if history {
        return Ok(emit(ctx, &History(ar.verify_history()?)));
    }
    let bar = ctx.progress(ar.manifest_entries());
    let run = ar.verify(scope, &|_| bar.inc(1), &ctx.actor())?;
    bar.finish_and_clear();
    Ok(emit(ctx, &Verified(run)))
}

/// Past fixity runs.
#[derive(Serialize)]
#[serde(transparent)]
struct History(Vec<Run>);

impl Render for History {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for r in &self.0 {
            writeln!(
                w,
                "{}  {:>6.1}s  {:<24} {} files: {} intact, {} changed, {} missing, {} untracked",
                r.start.format("%Y-%m-%d %H:%M:%S"),
                (r.end - r.start).num_milliseconds() as f64 / 1000.0,
                r.scope,
                r.files,
                r.intact,
                r.changed,
                r.missing,
                r.untracked
            )?;
        }
        Ok(())
    }
}

/// This fixity run: findings make the exit code.
#[derive(Serialize)]
#[serde(transparent)]
struct Verified(Run);

impl Render for Verified {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        let run = &self.0;
        for f in &run.findings {
            let class = format!("{:?}", f.class).to_lowercase();
            match (&f.expected, &f.actual) {
                (Some(e), Some(x)) => {
                    writeln!(w, "{class:<9} {}  expected {e} actual {x}", f.path)?
                }
                _ => writeln!(w, "{class:<9} {}", f.path)?,
            }
        }
        let secs = ((run.end - run.start).num_milliseconds() as f64 / 1000.0).max(0.001);
        writeln!(
            w,
            "{} file(s), {:.1} MB in {:.1}s ({:.0} MB/s): {} intact, {} changed, {} missing, {} untracked",
            run.files,
            run.bytes as f64 / 1e6,
            secs,
            run.bytes as f64 / 1e6 / secs,
            run.intact,
            run.changed,
            run.missing,
            run.untracked
        )
    }

    fn code(&self) -> i32 {
        if self.0.ok() {
            exit::OK
        } else {
            exit::FINDINGS
        }
    }
}

pub fn audit_verify(ctx: &Ctx, anchor: Option<&str>) -> Result<i32> {
    let anchor = anchor
        .map(|s| s.parse().map_err(archivist::error::Invalid))
        .transpose()?;
    let rep = ctx.open()?.audit_verify(anchor.as_ref())?;
    Ok(emit(ctx, &rep))
}

impl Render for VerifyReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.ok {
            writeln!(
                w,
                "audit log intact: {} record(s), last hash {}; {} box anchor(s) found in the chain",
                self.records, self.last_hash, self.anchors_checked
            )?;
        } else {
            writeln!(
                w,
                "audit log BROKEN: {} problem(s) in {} record(s)",
                self.problems.len(),
                self.records
            )?;
            for p in &self.problems {
                writeln!(w, "  {p}")?;
            }
        }
        for i in &self.incidents {
            writeln!(w, "  incident: {i}")?;
        }
        Ok(())
    }

    fn code(&self) -> i32 {
        if self.ok { exit::OK } else { exit::FINDINGS }
    }
}

pub fn audit_repair(ctx: &Ctx, accept_loss: bool) -> Result<i32> {
    let rep = ctx.open()?.audit_repair(accept_loss, &ctx.actor())?;
    Ok(emit(ctx, &rep))
}

impl Render for RepairReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.repaired.is_empty() {
            return writeln!(w, "nothing to repair");
        }
        for r in &self.repaired {
            writeln!(w, "repaired: {r}")?;
        }
        if let Some(last) = self.records.last() {
            writeln!(w, "recorded as audit record {}", last.seq)?;
        }
        Ok(())
    }
}

pub fn audit_head(ctx: &Ctx) -> Result<i32> {
    let h = ctx.open()?.audit_head()?;
    Ok(emit(ctx, &h))
}

impl Render for Anchor {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "{self}")
    }
}
