//! `retention`: cases by retention status.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::Ctx;
use super::render::{Render, emit};
use archivist::error::Result;
use archivist::records::retention::{Case, Lapse, Report};

pub fn report(ctx: &Ctx, as_of: Option<NaiveDate>) -> Result<i32> {
    let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let r = ctx.open()?.retention(as_of)?;
    Ok(emit(ctx, &r))
}

fn section(w: &mut dyn Write, title: &str, cases: &[Case]) -> io::Result<()> {
    writeln!(w, "{title} ({})", cases.len())?;
    for c in cases {
        let lapse = match &c.lapse {
            Lapse::On(d) => format!("lapses {}", d.format("%d.%m.%Y")),
            Lapse::Never => "never lapses".into(),
            Lapse::NoEventDate => "no event date recorded".into(),
            Lapse::CommissionDecides { earliest } => format!(
                "commission decides (not before {})",
                earliest.format("%d.%m.%Y")
            ),
        };
        let holds = if c.holds.is_empty() {
            String::new()
        } else {
            let h: Vec<String> = c.holds.iter().map(|h| format!("#{h}")).collect();
            format!("  holds: {}", h.join(", "))
        };
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%d.%m.%Y").to_string());
        writeln!(
            w,
            "  {:<26} {}  {} doc(s), {}–{}, {} ({}), {}{}{}",
            c.key,
            c.title,
            c.documents,
            date(c.first_date).unwrap_or_default(),
            date(c.last_date).unwrap_or_default(),
            c.period_ru,
            c.basis,
            lapse,
            if c.epk { ", ЭПК" } else { "" },
            holds
        )?;
    }
    Ok(())
}

impl Render for Report {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "retention as of {}", self.as_of.format("%d.%m.%Y"))?;
        section(
            w,
            "eligible for destruction (lapsed by 1 January, not ЭПК, not held)",
            &self.eligible,
        )?;
        section(w, "ЭПК: awaiting expert review", &self.epk_review)?;
        section(w, "lapsing in the next 12 months", &self.lapsing_soon)?;
        section(w, "held", &self.held)?;
        section(
            w,
            "not eligible: no event date recorded",
            &self.no_event_date,
        )?;
        section(
            w,
            "until no longer needed: for the commission's decision",
            &self.commission_decides,
        )
    }
}
