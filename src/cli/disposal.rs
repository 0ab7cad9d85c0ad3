//! `disposal draft|show|list|approve|execute`: destruction acts for the expert
//! commission, one library call each.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::Ctx;
use super::render::{Render, emit};
use archivist::api::records::ActView;
use archivist::error::Result;
use archivist::records::act::Act;

pub fn draft(ctx: &Ctx, as_of: Option<NaiveDate>) -> Result<i32> {
    let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    Ok(emit(ctx, &ctx.open()?.disposal_draft(as_of, &ctx.actor())?))
}

pub fn show(ctx: &Ctx, number: u32) -> Result<i32> {
    Ok(emit(ctx, &ctx.open()?.disposal_show(number)?))
}

pub fn list(ctx: &Ctx) -> Result<i32> {
    Ok(emit(ctx, &Acts(ctx.open()?.disposal_list()?)))
}

pub fn approve(ctx: &Ctx, number: u32, protocol: &str, approved_by: &str) -> Result<i32> {
    let a = ctx.open()?;
    Ok(emit(
        ctx,
        &a.disposal_approve(number, protocol, approved_by, &ctx.actor())?,
    ))
}

pub fn execute(ctx: &Ctx, number: u32) -> Result<i32> {
    Ok(emit(
        ctx,
        &ctx.open()?.disposal_execute(number, &ctx.actor())?,
    ))
}

impl Render for ActView {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        let act = &self.act;
        writeln!(
            w,
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
        )?;
        for c in &act.cases {
            writeln!(
                w,
                "  {:<26} {}  {} doc(s), {}",
                c.key,
                c.title,
                c.documents.len(),
                c.period
            )?;
        }
        for warning in &act.warnings {
            writeln!(w, "  warning: {warning}")?;
        }
        writeln!(w, "  files: {}", self.folder.display())
    }
}

/// The acts, newest last (JSON: an array of acts).
#[derive(serde::Serialize)]
#[serde(transparent)]
struct Acts(Vec<Act>);

impl Render for Acts {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for x in &self.0 {
            writeln!(
                w,
                "№ {:<4} {}  {:<9} {} case(s), {} document(s)",
                x.number,
                x.date.format("%d.%m.%Y"),
                format!("{:?}", x.state).to_lowercase(),
                x.cases.len(),
                x.document_count()
            )?;
        }
        Ok(())
    }
}
