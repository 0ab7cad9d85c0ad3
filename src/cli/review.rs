//! `review list|show|resolve|reject` — the scans waiting for a person — and `amend`, the
//! correction of a filed document. Each parses, makes one library call and renders.

use std::io::{self, Write};

use archivist::api::review::{ReviewItem, ReviewRejected, ReviewResolved};
use archivist::api::{Amended, Amendment};
use archivist::error::Result;
use archivist::store::document::DropSidecar;

use super::args::{AmendArgs, ReviewCommand};
use super::render::{Render, emit, one_line};
use super::{Ctx, exit};

pub fn run(ctx: &Ctx, command: ReviewCommand) -> Result<i32> {
    let a = ctx.open()?;
    match command {
        ReviewCommand::List => Ok(emit(ctx, &Queue(a.review_list()?))),
        ReviewCommand::Show { name } => Ok(emit(ctx, &a.review_show(&name)?)),
        ReviewCommand::Resolve {
            name,
            kind,
            date,
            year,
            group,
            number,
            title,
            programme,
            learners,
        } => {
            let fields = DropSidecar {
                kind: Some(kind),
                group,
                date,
                year,
                number,
                title,
                programme,
                learners: (!learners.is_empty()).then_some(learners),
                events: None,
            };
            Ok(emit(ctx, &a.review_resolve(&name, &fields, &ctx.actor())?))
        }
        ReviewCommand::Reject { name, reason } => {
            Ok(emit(ctx, &a.review_reject(&name, &reason, &ctx.actor())?))
        }
    }
}

/// `archivist amend ID [--group G] [--date D] [--kind K] [--number N] [--title T]`.
pub fn amend(ctx: &Ctx, args: AmendArgs) -> Result<i32> {
    let change = Amendment {
        kind: args.kind,
        date: args.date,
        group: args.group,
        number: args.number,
        title: args.title,
    };
    Ok(emit(
        ctx,
        &ctx.open()?.amend(&args.id, &change, &ctx.actor())?,
    ))
}

/// The queue, printed as a JSON array.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct Queue(Vec<ReviewItem>);

impl Render for Queue {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(w, "nothing waits for review");
        }
        for i in &self.0 {
            writeln!(
                w,
                "{}  {}  {}",
                i.name,
                i.received
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "—".into()),
                one_line(&i.reason)
            )?;
        }
        writeln!(w, "{} scan(s) waiting for review", self.0.len())
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().filter(|s| !s.is_empty()).unwrap_or("—")
}

impl Render for ReviewItem {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        let f = &self.found;
        writeln!(w, "{}  ({} bytes, id {})", self.name, self.size, self.id)?;
        if let Some(t) = self.received {
            writeln!(w, "received   {}", t.format("%Y-%m-%d %H:%M UTC"))?;
        }
        writeln!(w, "reason     {}", one_line(&self.reason))?;
        writeln!(w, "found:")?;
        writeln!(w, "  kind     {}", opt(&f.kind))?;
        match (f.date, f.year) {
            (Some(d), _) => writeln!(w, "  date     {d}")?,
            (None, Some(y)) => writeln!(w, "  year     {y}")?,
            _ => writeln!(w, "  date     —")?,
        }
        writeln!(w, "  group    {}", opt(&f.group))?;
        writeln!(w, "  number   {}", opt(&f.number))?;
        if let Some(t) = &f.title {
            writeln!(w, "  title    {}", one_line(t))?;
        }
        if let Some(l) = f.learners.as_ref().filter(|l| !l.is_empty()) {
            writeln!(w, "  learners {}", l.join("; "))?;
        }
        if !self.candidates.is_empty() {
            writeln!(w, "candidates from the text:")?;
            for c in &self.candidates {
                writeln!(
                    w,
                    "  {:<6} {:<20} {}",
                    c.field,
                    c.value,
                    one_line(&c.context)
                )?;
            }
        }
        if self.text.trim().is_empty() {
            writeln!(w, "text: none kept")?;
        } else {
            writeln!(w, "text:")?;
            for (n, page) in self.text.split("\n\u{c}\n").enumerate() {
                writeln!(w, "--- page {}", n + 1)?;
                writeln!(w, "{}", page.trim_end())?;
            }
        }
        writeln!(
            w,
            "file it: archivist review resolve {:?} --kind … --date …   (or reject it: --reason …)",
            self.name
        )
    }
}

impl Render for ReviewResolved {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        match self.outcome.as_str() {
            "archived" => writeln!(
                w,
                "{} filed as document {} in {}",
                self.name,
                self.id.as_deref().unwrap_or("?"),
                self.path
            ),
            "queued" => writeln!(
                w,
                "{} handed to the inbox as {} ({})",
                self.name,
                self.path,
                one_line(&self.reason)
            ),
            other => writeln!(
                w,
                "{}: {other} ({}); now at {}",
                self.name,
                one_line(&self.reason),
                self.path
            ),
        }
    }
    fn code(&self) -> i32 {
        if self.archived() || self.outcome == "queued" {
            exit::OK
        } else {
            exit::FINDINGS
        }
    }
}

impl Render for ReviewRejected {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "{} rejected ({}); moved to {}",
            self.name,
            one_line(&self.reason),
            self.path
        )
    }
}

impl Render for Amended {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "document {} amended", self.id)?;
        for (k, old) in &self.was {
            let now = match k.as_str() {
                "kind" => self.metadata.kind.clone(),
                "date" => self
                    .metadata
                    .date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                "year" => self.metadata.year.to_string(),
                "group" => self.metadata.group.clone().unwrap_or_default(),
                "number" => self.metadata.number.clone().unwrap_or_default(),
                "title" => self.metadata.title.clone().unwrap_or_default(),
                _ => String::new(),
            };
            writeln!(
                w,
                "  {k:<7} {} → {}",
                one_line(if old.is_empty() { "—" } else { old }),
                one_line(&now)
            )?;
        }
        writeln!(w, "  from    {}", self.from)?;
        writeln!(w, "  to      {}", self.to)
    }
}
