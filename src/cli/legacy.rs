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

pub fn show(ctx: &Ctx, id: &str) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let Some((id, loc)) = a.find(id)? else {
            if ctx.json {
                print_json(
                    &json!({"error": format!("no document with id {id}"), "exit_code": exit::NOT_FOUND}),
                );
            } else {
                eprintln!(
                    "no document with id {id} in {}; ids are the SHA-256 of the scan (at least 6 characters)",
                    a.root.display()
                );
            }
            return Ok(exit::NOT_FOUND);
        };
        let meta = a.read_meta(&loc)?;
        let history = archivist::store::audit::history(&a.journal, &id)?;
        let path = a.root.join(&loc.box_rel).join(&loc.file);
        if ctx.json {
            print_json(&json!({"id": id, "path": path, "metadata": meta, "history": history}));
            return Ok(exit::OK);
        }
        println!("{}  {}", meta.id, meta.title.as_deref().unwrap_or(""));
        println!("  kind       {} ({})", meta.kind, meta.kind_name);
        println!(
            "  year/group {} / {}",
            meta.year,
            meta.group.as_deref().unwrap_or("—")
        );
        if let Some(d) = meta.date {
            println!("  date       {}", d.format("%d.%m.%Y"));
        }
        if let Some(n) = &meta.number {
            println!("  number     № {n}");
        }
        if let Some(p) = &meta.programme {
            println!("  programme  {p}");
        }
        if !meta.learners.is_empty() {
            println!("  learners   {}", meta.learners.join("; "));
        }
        println!(
            "  pages      {}   size {} bytes   text layer {:?}",
            meta.pages, meta.size, meta.pdf.text_layer
        );
        println!(
            "  case       {} «{}», {} ({}){}",
            meta.case.index,
            meta.case.title,
            meta.case.period,
            meta.case.basis,
            if meta.case.epk { ", ЭПК" } else { "" }
        );
        println!("  status     {}", meta.status);
        println!("  location   {}", path.display());
        println!(
            "  source     {} (ingested {})",
            meta.source_path,
            meta.ingested_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
        println!("  history");
        for h in history {
            println!(
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

pub fn audit_verify(ctx: &Ctx) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let rep = archivist::store::audit::verify(&a.journal)?;
        if ctx.json {
            print_json(&serde_json::to_value(&rep)?);
        } else if rep.ok {
            println!(
                "audit log intact: {} record(s), last hash {}",
                rep.records, rep.last_hash
            );
        } else {
            println!(
                "audit log BROKEN: {} problem(s) in {} record(s)",
                rep.problems.len(),
                rep.records
            );
            for p in &rep.problems {
                println!("  {p}");
            }
        }
        Ok(if rep.ok { exit::OK } else { exit::FINDINGS })
    })
}

pub fn verify(ctx: &Ctx, scope: &archivist::store::fixity::Scope, history: bool) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        if history {
            let runs = archivist::store::fixity::history(&a)?;
            if ctx.json {
                print_json(&serde_json::to_value(&runs)?);
            } else {
                for r in &runs {
                    println!(
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
        let total: u64 = a
            .box_dirs()
            .iter()
            .map(|d| {
                archivist::store::boxes::read_manifest(d)
                    .map(|m| m.len() as u64)
                    .unwrap_or(0)
            })
            .sum();
        let bar = progress(total, ctx.json || ctx.quiet);
        let run = archivist::store::fixity::verify(&a, scope, &|_| bar.inc(1))?;
        bar.finish_and_clear();
        archivist::store::fixity::record(&a, &run).with_context(|| {
            format!(
                "cannot record the run in {}",
                archivist::store::fixity::history_path(&a).display()
            )
        })?;
        // Findings go to the audit log when no other writer holds the archive; a running
        // watcher records its own scheduled runs.
        match WriterLock::acquire(&a.root, "archivist verify") {
            Ok(_lock) => {
                let mut log = archivist::store::audit::AuditLog::open(&a.journal, &ctx.actor())?;
                let findings: Vec<_> = run.findings.iter().take(1000).collect();
                log.append_one(archivist::store::audit::Event::new("fixity-checked").details(json!({
                    "scope": run.scope, "files": run.files, "intact": run.intact, "changed": run.changed,
                    "missing": run.missing, "untracked": run.untracked, "findings": findings,
                })))?;
            }
            Err(e) => {
                tracing::warn!("{e}; this run is in the fixity history but not in the audit log")
            }
        }
        if ctx.json {
            print_json(&serde_json::to_value(&run)?);
        } else {
            for f in &run.findings {
                match (&f.expected, &f.actual) {
                    (Some(e), Some(x)) => println!(
                        "{:<9} {}  expected {} actual {}",
                        format!("{:?}", f.class).to_lowercase(),
                        f.path,
                        e,
                        x
                    ),
                    _ => println!("{:<9} {}", format!("{:?}", f.class).to_lowercase(), f.path),
                }
            }
            let secs = ((run.end - run.start).num_milliseconds() as f64 / 1000.0).max(0.001);
            println!(
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

pub fn learner(ctx: &Ctx, name: &str, markdown: bool) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let ix = archivist::search::index::SearchIndex::open(&a.index)?;
        let people = archivist::search::dossier(&ix, name)?;
        if ctx.json {
            print_json(&json!({"query": name, "people": people}));
            return Ok(if people.is_empty() {
                exit::NOT_FOUND
            } else {
                exit::OK
            });
        }
        if people.is_empty() {
            println!("no documents name {name:?}");
            return Ok(exit::NOT_FOUND);
        }
        let kind_name = |k: &str| {
            a.nomenclature
                .kind(k)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| k.to_string())
        };
        for p in &people {
            if markdown {
                println!("# Индивидуальный учёт результатов: {}\n", p.name);
                println!("Формы имени в документах: {}\n", p.forms.join("; "));
            } else {
                println!(
                    "{}  ({} document(s); written as: {})",
                    p.name,
                    p.documents.len(),
                    p.forms.join("; ")
                );
            }
            for kind in archivist::search::LIFE_CYCLE {
                let docs: Vec<_> = p.documents.iter().filter(|d| d.kind == kind).collect();
                if docs.is_empty() {
                    continue;
                }
                if markdown {
                    println!("## {}\n", kind_name(kind));
                    println!(
                        "| Дата | Номер | Документ | Группа | Где хранится | Статус |\n|---|---|---|---|---|---|"
                    );
                } else {
                    println!("  {}", kind_name(kind));
                }
                for d in docs {
                    let status = if d.status == archivist::store::document::Status::Active {
                        String::new()
                    } else {
                        format!("{} {}", d.status, d.note.as_deref().unwrap_or(""))
                    };
                    if markdown {
                        println!(
                            "| {} | {} | {} | {} | {}/{} | {} |",
                            d.date.as_deref().unwrap_or("—"),
                            d.number.as_deref().unwrap_or(""),
                            d.title.as_deref().unwrap_or(""),
                            d.group.as_deref().unwrap_or(""),
                            d.box_path,
                            d.file,
                            status
                        );
                    } else {
                        println!(
                            "    {}  {:<8} {}  box {}  {}{}",
                            d.date.as_deref().unwrap_or("—"),
                            d.number
                                .as_deref()
                                .map(|n| format!("№ {n}"))
                                .unwrap_or_default(),
                            d.title.as_deref().unwrap_or(""),
                            d.box_path,
                            status,
                            if d.matched.starts_with("name (") {
                                format!("  [{}]", d.matched)
                            } else {
                                String::new()
                            }
                        );
                    }
                }
                if markdown {
                    println!();
                }
            }
        }
        Ok(exit::OK)
    })
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

pub fn hold_add(ctx: &Ctx, target: &str, reason: &str) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        if reason.trim().is_empty() {
            anyhow::bail!("give a reason with --reason");
        }
        let (target, kind) = if target.contains('/') {
            let k: archivist::records::retention::CaseKey =
                target.parse().map_err(anyhow::Error::msg)?;
            if !a.nomenclature.kinds.iter().any(|x| x.case_index == k.index) {
                anyhow::bail!(
                    "no case index {} in the nomenclature (see nomenclature.toml)",
                    k.index
                );
            }
            (k.to_string(), archivist::records::hold::TargetKind::Case)
        } else {
            match a.find(target)? {
                Some((id, _)) => (id, archivist::records::hold::TargetKind::Document),
                None => anyhow::bail!("no document {target} and not a case (INDEX/YEAR[/GROUP])"),
            }
        };
        let mut holds = archivist::records::hold::Holds::load(&a.root)?;
        let h = holds.add(
            target.clone(),
            kind,
            reason.to_string(),
            ctx.actor().to_string(),
        );
        holds.save(&a.root)?;
        let mut log = archivist::store::audit::AuditLog::open(&a.journal, &ctx.actor())?;
        let mut ev = archivist::store::audit::Event::new("hold-added")
            .details(json!({"hold": h.number, "target": target, "reason": reason}));
        if kind == archivist::records::hold::TargetKind::Document {
            ev = ev.id(&target);
        }
        log.append_one(ev)?;
        if ctx.json {
            print_json(&serde_json::to_value(&h)?);
        } else {
            println!("hold #{} on {} ({reason})", h.number, h.target);
        }
        Ok(exit::OK)
    })
}

pub fn hold_release(ctx: &Ctx, what: &str, reason: &str) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let mut holds = archivist::records::hold::Holds::load(&a.root)?;
        let released = holds.release(what, reason.to_string(), ctx.actor().to_string());
        if released.is_empty() {
            if ctx.json {
                print_json(
                    &json!({"error": format!("no active hold matches {what}"), "exit_code": exit::NOT_FOUND}),
                );
            } else {
                eprintln!("no active hold matches {what} (see `archivist hold list`)");
            }
            return Ok(exit::NOT_FOUND);
        }
        holds.save(&a.root)?;
        let mut log = archivist::store::audit::AuditLog::open(&a.journal, &ctx.actor())?;
        log.append(
            released
                .iter()
                .map(|h| {
                    archivist::store::audit::Event::new("hold-released")
                        .details(json!({"hold": h.number, "target": h.target, "reason": reason}))
                })
                .collect(),
        )?;
        if ctx.json {
            print_json(&serde_json::to_value(&released)?);
        } else {
            for h in &released {
                println!("released hold #{} on {}", h.number, h.target);
            }
        }
        Ok(exit::OK)
    })
}

pub fn hold_list(ctx: &Ctx, all: bool) -> i32 {
    run(ctx, || {
        let a = Archive::open(&ctx.root, ctx.config.as_deref())?;
        let holds = archivist::records::hold::Holds::load(&a.root)?;
        let list: Vec<_> = holds.holds.iter().filter(|h| all || h.active()).collect();
        if ctx.json {
            print_json(&serde_json::to_value(&list)?);
        } else {
            for h in list {
                println!(
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
                );
            }
        }
        Ok(exit::OK)
    })
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
