//! The commands behind the CLI. Each prints a human summary or, with `--json`, one JSON
//! document on stdout, and returns an exit code from [`archivist::error::exit`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use serde_json::json;

use super::{Ctx, exit};
use archivist::error::ConfigError;
use archivist::ingest::inbox::{self, Filter, WatchOptions};
use archivist::ingest::pipeline::{Ingestor, Input, Summary};
use archivist::store::archive::Archive;
use archivist::store::lock::{LockError, WriterLock};
use archivist::store::receipts::{Outcome, Receipt};

/// Prints an error the way the user asked for and maps it to an exit code.
fn fail(ctx: &Ctx, e: &anyhow::Error) -> i32 {
    let code = if e
        .downcast_ref::<LockError>()
        .is_some_and(|l| matches!(l, LockError::Held { .. }))
    {
        exit::LOCKED
    } else if e.downcast_ref::<ConfigError>().is_some() {
        exit::USAGE
    } else {
        exit::FAILURE
    };
    if ctx.json {
        println!("{}", json!({"error": format!("{e:#}"), "exit_code": code}));
    } else {
        eprintln!("error: {e:#}");
    }
    code
}

fn run(ctx: &Ctx, f: impl FnOnce() -> Result<i32>) -> i32 {
    match f() {
        Ok(c) => c,
        Err(e) => fail(ctx, &e),
    }
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Opens an archive for writing: creates it if needed, takes the writer lock.
fn open_writer(ctx: &Ctx, command: &str) -> Result<(Archive, WriterLock)> {
    let (a, _) = Archive::init(&ctx.root, ctx.config.as_deref())?;
    let lock = WriterLock::acquire(&a.root, command)?;
    Ok((a, lock))
}

pub fn watch(ctx: &Ctx) -> i32 {
    run(ctx, || {
        // First thing: Ctrl-C during start-up must also end cleanly.
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        ctrlc::set_handler(move || s.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;
        let (a, _lock) = open_writer(ctx, "archivist watch")?;
        let mut ing = Ingestor::open(&a, Box::new(archivist::search::sink_for(&a)?), &ctx.actor())?;
        if ctx.json {
            println!(
                "{}",
                json!({"event": "watching", "root": a.root, "inbox": a.inbox, "documents": ing.catalogue_len()})
            );
        } else {
            let abs =
                |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            println!("archivist is watching {}", abs(&a.inbox).display());
            println!(
                "  drop scans there (PDF, JPEG, PNG or TIFF; sub-folders <group>/<kind>/ allowed); they are filed under {}",
                abs(&a.boxes).display()
            );
            println!(
                "  archive root {}, config: {}; {} document(s) archived so far",
                a.root.display(),
                a.config_origin,
                ing.catalogue_len()
            );
            println!("  press Ctrl-C to stop");
        }
        let opts = WatchOptions::from_config(&a);
        let json_out = ctx.json;
        let summary = inbox::watch(&mut ing, &opts, stop, |r| print_receipt(r, json_out))?;
        if json_out {
            println!("{}", json!({"event": "stopped", "summary": summary}));
        } else {
            println!("stopped: {}", summary_line(&summary));
        }
        Ok(exit::OK)
    })
}

fn print_receipt(r: &Receipt, json_out: bool) {
    if json_out {
        println!("{}", serde_json::to_string(r).unwrap_or_default());
        return;
    }
    let dest = r
        .destination
        .as_deref()
        .map(|d| format!(" → {d}"))
        .unwrap_or_default();
    match r.outcome {
        Outcome::Archived => tracing::info!("{}: {}{dest}", r.path, r.reason),
        Outcome::Duplicate | Outcome::Review | Outcome::Deferred | Outcome::Vanished => {
            tracing::warn!("{}: {}: {}{dest}", r.path, r.outcome.as_str(), r.reason)
        }
        Outcome::Refused => tracing::warn!("{}: refused: {}{dest}", r.path, r.reason),
    }
}

fn summary_line(s: &Summary) -> String {
    format!(
        "{} archived, {} duplicate, {} to review, {} refused, {} deferred, {} vanished",
        s.archived, s.duplicate, s.review, s.refused, s.deferred, s.vanished
    )
}

pub fn ingest(ctx: &Ctx, paths: &[PathBuf], move_sources: bool) -> i32 {
    run(ctx, || {
        let (a, _lock) = open_writer(ctx, "archivist ingest")?;
        let filter = Filter::new(&a.config.watch.ignore)?;
        let mut inputs: Vec<Input> = Vec::new();
        for p in paths {
            let meta = std::fs::symlink_metadata(p)
                .with_context(|| format!("{}: cannot read it; check the path", p.display()))?;
            if meta.is_dir() {
                let mut files = inbox::scan_dir(p, &filter);
                // In name order, as a person reading the summary would list them.
                files.sort();
                for f in files {
                    inputs.push(inbox::input_for(p, &f, move_sources));
                }
            } else {
                let base = p.parent().unwrap_or(Path::new("."));
                let mut i = inbox::input_for(base, p, move_sources);
                i.folders.clear();
                i.display = p.display().to_string();
                inputs.push(i);
            }
        }
        let mut ing = Ingestor::open(&a, Box::new(archivist::search::sink_for(&a)?), &ctx.actor())?;
        let bar = progress(inputs.len() as u64, ctx.json || ctx.quiet);
        let mut summary = Summary::default();
        let mut all = Vec::new();
        let batch_max = a.config.watch.batch_max.max(1);
        let batches = inputs.chunks(batch_max).map(<[Input]>::to_vec);
        let mut failure = None;
        ing.process_batches(batches, |_, receipts| match receipts {
            Ok(receipts) => {
                for r in &receipts {
                    summary.add(r);
                    if !ctx.json && r.outcome != Outcome::Archived {
                        bar.suspend(|| print_receipt(r, false));
                    }
                }
                bar.inc(receipts.len() as u64);
                all.extend(receipts);
                true
            }
            Err(e) => {
                failure = Some(e);
                false
            }
        });
        if let Some(e) = failure {
            // Earlier batches are committed; this one left its sources in place.
            ing.flush_index();
            return Err(e);
        }
        ing.flush_index();
        bar.finish_and_clear();
        let code = if summary.refused + summary.review + summary.deferred > 0 {
            exit::FINDINGS
        } else {
            exit::OK
        };
        if ctx.json {
            print_json(&json!({"summary": summary, "receipts": all}));
        } else {
            println!("{} file(s): {}", summary.total(), summary_line(&summary));
        }
        Ok(code)
    })
}

pub fn progress(len: u64, hidden: bool) -> indicatif::ProgressBar {
    if hidden {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {per_sec} ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn print_act(ctx: &Ctx, a: &Archive, act: &archivist::records::act::Act) -> Result<()> {
    if ctx.json {
        print_json(&json!({"act": act, "folder": archivist::records::act::act_dir(a, act.number)}));
        return Ok(());
    }
    println!(
        "act № {} of {} — {:?}{}: {} case(s), {} document(s), years {}",
        act.number,
        act.date.format("%d.%m.%Y"),
        act.state,
        act.approval
            .as_ref()
            .map(|x| format!(" (protocol {}, {})", x.protocol, x.approved_by))
            .unwrap_or_default(),
        act.cases.len(),
        act.document_count(),
        act.years()
    );
    for c in &act.cases {
        println!(
            "  {:<26} {}  {} doc(s), {}",
            c.key,
            c.title,
            c.documents.len(),
            c.period
        );
    }
    println!(
        "  files: {}",
        archivist::records::act::act_dir(a, act.number).display()
    );
    Ok(())
}

pub fn disposal_draft(ctx: &Ctx, as_of: Option<chrono::NaiveDate>) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let act = archivist::records::act::draft(&a, as_of.unwrap_or_else(today), &ctx.actor())?;
        print_act(ctx, &a, &act)?;
        Ok(exit::OK)
    })
}

pub fn disposal_show(ctx: &Ctx, n: u32) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let act = archivist::records::act::load(&a, n)?;
        print_act(ctx, &a, &act)?;
        Ok(exit::OK)
    })
}

pub fn disposal_list(ctx: &Ctx) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let acts = archivist::records::act::list(&a)?;
        if ctx.json {
            print_json(&serde_json::to_value(&acts)?);
        } else {
            for x in &acts {
                println!(
                    "№ {:<4} {}  {:<9} {} case(s), {} document(s)",
                    x.number,
                    x.date.format("%d.%m.%Y"),
                    format!("{:?}", x.state).to_lowercase(),
                    x.cases.len(),
                    x.document_count()
                );
            }
        }
        Ok(exit::OK)
    })
}

pub fn disposal_approve(ctx: &Ctx, n: u32, protocol: &str, by: &str) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        match archivist::records::act::approve(&a, n, protocol, by, &ctx.actor())? {
            Ok(act) => {
                print_act(ctx, &a, &act)?;
                Ok(exit::OK)
            }
            Err(problems) => {
                if ctx.json {
                    print_json(
                        &json!({"error": format!("act № {n} changed since it was drafted; not approved"), "changes": problems, "exit_code": exit::FINDINGS}),
                    );
                } else {
                    eprintln!("act № {n} changed since it was drafted; it was NOT approved:");
                    for p in &problems {
                        eprintln!("  {p}");
                    }
                    eprintln!("draft a new act (`archivist disposal draft`) for the commission");
                }
                Ok(exit::FINDINGS)
            }
        }
    })
}

pub fn disposal_execute(ctx: &Ctx, n: u32) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let _lock = WriterLock::acquire(&a.root, "archivist disposal execute")?;
        let act = archivist::records::act::execute(&a, n, &ctx.actor())?;
        print_act(ctx, &a, &act)?;
        Ok(exit::OK)
    })
}

pub fn ocr(ctx: &Ctx, pending: bool, ids: &[String]) -> i32 {
    run(ctx, || {
        let (a, _lock) = open_writer(ctx, "archivist ocr")?;
        let cfg = a.config.ocr_config();
        archivist::formats::ocr::check_tesseract(&cfg).map_err(|why| anyhow::anyhow!("{why}"))?;
        let mut ing = Ingestor::open(&a, Box::new(archivist::search::sink_for(&a)?), &ctx.actor())?;
        let mut full = Vec::new();
        for id in ids {
            match a.find(id)? {
                Some((f, _)) => full.push(f),
                None => anyhow::bail!("no document {id}"),
            }
        }
        if !pending && full.is_empty() {
            anyhow::bail!("say which documents: --pending, or one or more ids");
        }
        let jobs = ing.pending_ocr(if full.is_empty() { None } else { Some(&full) })?;
        let pages: u64 = jobs.iter().map(|j| j.pages.len() as u64).sum();
        let bar = progress(pages, ctx.json || ctx.quiet);
        let mut done = Vec::new();
        for job in &jobs {
            let results = archivist::ingest::pipeline::run_ocr(&a.root, &cfg, job)?;
            let failed = results.iter().filter(|r| r.error.is_some()).count();
            ing.apply_ocr(job, results)?;
            bar.inc(job.pages.len() as u64);
            done.push(json!({"id": job.id, "file": format!("{}/{}", job.box_rel, job.file), "pages": job.pages, "failed_pages": failed}));
        }
        bar.finish_and_clear();
        if ctx.json {
            print_json(&json!({"documents": done.len(), "pages": pages, "results": done}));
        } else {
            println!("OCR: {} document(s), {pages} page(s)", done.len());
        }
        Ok(exit::OK)
    })
}
