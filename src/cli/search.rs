//! `search`, `reindex`, `check`.

use std::io::{self, Write};

use super::args::SearchArgs;
use super::render::{Render, emit, one_line};
use super::{Ctx, exit};
use archivist::api::{CheckReport, Reindexed};
use archivist::error::Result;
use archivist::search::{FacetCount, SearchResults};
use archivist::store::document::Status;

pub fn search(ctx: &Ctx, a: SearchArgs) -> Result<i32> {
    let r = ctx.open()?.search(&a.into())?;
    Ok(emit(ctx, &r))
}

pub fn reindex(ctx: &Ctx) -> Result<i32> {
    let bar = ctx.progress(0);
    let r = ctx.open()?.reindex(&|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    Ok(emit(ctx, &r))
}

pub fn check(ctx: &Ctx) -> Result<i32> {
    let r = ctx.open()?.check()?;
    Ok(emit(ctx, &r))
}

impl Render for SearchResults {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.hits.is_empty() {
            return writeln!(w, "no documents match {:?}", self.query);
        }
        for h in &self.hits {
            writeln!(
                w,
                "{:>6.2}  {}  {:<18} {:<10} {:<8} {}  [{}]",
                h.score,
                &h.id[..12.min(h.id.len())],
                h.kind,
                h.date.as_deref().unwrap_or("—"),
                h.number
                    .as_deref()
                    .map(|n| format!("№ {}", one_line(n)))
                    .unwrap_or_default(),
                one_line(h.title.as_deref().unwrap_or("")),
                h.box_path
            )?;
            if h.status != Status::Active {
                writeln!(
                    w,
                    "        {}: {}",
                    h.status.as_str().to_uppercase(),
                    h.note.as_deref().unwrap_or("")
                )?;
            }
            if !h.snippet.is_empty() {
                writeln!(w, "        … {} …", one_line(&h.snippet))?;
            }
        }
        let shown = (self.page - 1) * self.per_page;
        writeln!(
            w,
            "{}–{} of {} document(s){}",
            shown + 1,
            shown + self.hits.len(),
            self.total,
            if self.page < self.pages() {
                format!("; next: --page {}", self.page + 1)
            } else {
                String::new()
            }
        )?;
        let facet = |name: &str, v: &[FacetCount]| -> String {
            let items: Vec<String> = v
                .iter()
                .take(8)
                .map(|f| format!("{} {}", f.value, f.count))
                .collect();
            format!("  {name}: {}", items.join(", "))
        };
        writeln!(w, "{}", facet("kind", &self.facets.kind))?;
        writeln!(w, "{}", facet("year", &self.facets.year))?;
        writeln!(w, "{}", facet("group", &self.facets.group))?;
        writeln!(w, "{}", facet("status", &self.facets.status))
    }

    fn code(&self) -> i32 {
        if self.total == 0 {
            exit::NOT_FOUND
        } else {
            exit::OK
        }
    }
}

impl Render for Reindexed {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "indexed {} document(s) in {:.1}s into {}",
            self.documents,
            self.seconds,
            self.index.display()
        )
    }
}

impl Render for CheckReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "{} document(s) in the archive, {} in the index",
            self.archive, self.index
        )?;
        for m in &self.missing_from_index {
            writeln!(w, "  missing from the index: {m}")?;
        }
        for o in &self.index_without_document {
            writeln!(w, "  in the index with no document: {o}")?;
        }
        if !self.ok {
            writeln!(
                w,
                "run `archivist reindex` to rebuild the index from the boxes"
            )?;
        }
        Ok(())
    }

    fn code(&self) -> i32 {
        if self.ok { exit::OK } else { exit::FINDINGS }
    }
}
