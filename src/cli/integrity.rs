//! Handlers for the integrity commands: `show`, `verify`, `audit verify|repair|head`.
//! Each parses, makes one library call, and prints the value as text or, with `--json`,
//! as JSON.

use archivist::api::Archivist;
use archivist::error::Error;
use archivist::store::fixity::Scope;
use serde::Serialize;

use super::render::{fail, outln, write_stdout};
use super::{Ctx, exit};

pub(super) fn open(ctx: &Ctx) -> Result<Archivist, Error> {
    ctx.open()
}

pub(super) fn run(ctx: &Ctx, f: impl FnOnce() -> Result<i32, Error>) -> i32 {
    f().unwrap_or_else(|e| fail(ctx, &e))
}

pub(super) fn print_json(v: &impl Serialize) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => write_stdout(format!("{s}\n").as_bytes()),
        Err(e) => eprintln!("error: cannot write the result as JSON: {e}"),
    }
}

pub fn show(ctx: &Ctx, id: &str) -> i32 {
    run(ctx, || {
        let v = open(ctx)?.show(id)?;
        if ctx.json {
            print_json(&v);
            return Ok(exit::OK);
        }
        let m = &v.metadata;
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        };
        outln!("{}  {}", m.id, clean(m.title.as_deref().unwrap_or("")));
        outln!("  kind       {} ({})", m.kind, m.kind_name);
        outln!(
            "  year/group {} / {}",
            m.year,
            clean(m.group.as_deref().unwrap_or("—"))
        );
        if let Some(d) = m.date {
            outln!("  date       {}", d.format("%d.%m.%Y"));
        }
        if let Some(n) = &m.number {
            outln!("  number     № {}", clean(n));
        }
        if let Some(p) = &m.programme {
            outln!("  programme  {}", clean(p));
        }
        if !m.learners.is_empty() {
            outln!("  learners   {}", clean(&m.learners.join("; ")));
        }
        outln!(
            "  pages      {}   size {} bytes   text layer {:?}",
            m.pages,
            m.size,
            m.pdf.text_layer
        );
        outln!(
            "  case       {} «{}», {} ({}){}",
            m.case.index,
            m.case.title,
            m.case.period,
            m.case.basis,
            if m.case.epk { ", ЭПК" } else { "" }
        );
        match &v.destruction {
            Some(d) => outln!(
                "  status     DESTROYED: {}{}",
                d.note,
                d.at.map(|t| format!(
                    " (executed {} by {})",
                    t.format("%Y-%m-%d %H:%M:%S UTC"),
                    d.by.as_deref().unwrap_or("")
                ))
                .unwrap_or_default()
            ),
            None => outln!("  status     {}", m.status),
        }
        outln!(
            "  location   {}{}",
            v.path.display(),
            if v.location.present {
                ""
            } else {
                " (no longer on disk)"
            }
        );
        outln!(
            "  source     {} (ingested {})",
            clean(&m.source_path),
            m.ingested_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
        outln!("  history");
        for h in &v.history {
            outln!(
                "    {}  #{} {} by {}",
                h.time.format("%Y-%m-%d %H:%M:%S"),
                h.seq,
                h.action,
                h.actor
            );
        }
        Ok(exit::OK)
    })
}

pub fn verify(ctx: &Ctx, scope: &Scope, history: bool) -> i32 {
    run(ctx, || {
        let ar = open(ctx)?;
        if history {
            let runs = ar.verify_history()?;
            if ctx.json {
                print_json(&runs);
            } else {
                for r in &runs {
                    outln!(
                        "{}  {:>6.1}s  {:<24} {} files: {} intact, {} changed, {} missing, {} untracked",
                        r.start.format("%Y-%m-%d %H:%M:%S"),
                        (r.end - r.start).num_milliseconds() as f64 / 1000.0,
                        r.scope,
                        r.files,
                        r.intact,
                        r.changed,
                        r.missing,
                        r.untracked
                    );
                }
            }
            return Ok(exit::OK);
        }
        let total: u64 = ar
            .archive()
            .box_dirs()
            .iter()
            .map(|d| {
                archivist::store::boxes::read_manifest(d)
                    .map(|m| m.len() as u64)
                    .unwrap_or(0)
            })
            .sum();
        let bar = ctx.progress(total);
        let run = ar.verify(scope, &|_| bar.inc(1), &ctx.actor())?;
        bar.finish_and_clear();
        if ctx.json {
            print_json(&run);
        } else {
            for f in &run.findings {
                let class = format!("{:?}", f.class).to_lowercase();
                match (&f.expected, &f.actual) {
                    (Some(e), Some(x)) => {
                        outln!("{class:<9} {}  expected {e} actual {x}", f.path)
                    }
                    _ => outln!("{class:<9} {}", f.path),
                }
            }
            let secs = ((run.end - run.start).num_milliseconds() as f64 / 1000.0).max(0.001);
            outln!(
                "{} file(s), {:.1} MB in {:.1}s ({:.0} MB/s): {} intact, {} changed, {} missing, {} untracked",
                run.files,
                run.bytes as f64 / 1e6,
                secs,
                run.bytes as f64 / 1e6 / secs,
                run.intact,
                run.changed,
                run.missing,
                run.untracked
            );
        }
        Ok(if run.ok() { exit::OK } else { exit::FINDINGS })
    })
}

pub fn audit_verify(ctx: &Ctx, anchor: Option<&str>) -> i32 {
    run(ctx, || {
        let anchor = anchor
            .map(|s| s.parse().map_err(archivist::error::Invalid))
            .transpose()?;
        let rep = open(ctx)?.audit_verify(anchor.as_ref())?;
        if ctx.json {
            print_json(&rep);
        } else {
            if rep.ok {
                outln!(
                    "audit log intact: {} record(s), last hash {}; {} box anchor(s) found in the chain",
                    rep.records,
                    rep.last_hash,
                    rep.anchors_checked
                );
            } else {
                outln!(
                    "audit log BROKEN: {} problem(s) in {} record(s)",
                    rep.problems.len(),
                    rep.records
                );
                for p in &rep.problems {
                    outln!("  {p}");
                }
            }
            for i in &rep.incidents {
                outln!("  incident: {i}");
            }
        }
        Ok(if rep.ok { exit::OK } else { exit::FINDINGS })
    })
}

pub fn audit_repair(ctx: &Ctx, accept_loss: bool) -> i32 {
    run(ctx, || {
        let rep = open(ctx)?.audit_repair(accept_loss, &ctx.actor())?;
        if ctx.json {
            print_json(&rep);
        } else if rep.repaired.is_empty() {
            outln!("nothing to repair");
        } else {
            for r in &rep.repaired {
                outln!("repaired: {r}");
            }
            if let Some(last) = rep.records.last() {
                outln!("recorded as audit record {}", last.seq);
            }
        }
        Ok(exit::OK)
    })
}

pub fn audit_head(ctx: &Ctx) -> i32 {
    run(ctx, || {
        let h = open(ctx)?.audit_head()?;
        if ctx.json {
            print_json(&h);
        } else {
            outln!("{h}");
        }
        Ok(exit::OK)
    })
}
