//! `init`: create an archive.

use std::io::{self, Write};

use super::Ctx;
use super::render::{Render, emit};
use archivist::api::{Archivist, Initialised};
use archivist::error::Result;

pub fn init(ctx: &Ctx) -> Result<i32> {
    let (_, report) = Archivist::init(&ctx.root, ctx.config.as_deref())?;
    Ok(emit(ctx, &report))
}

impl Render for Initialised {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "archive ready at {}", self.root.display())?;
        for c in &self.created {
            writeln!(w, "  created {}", c.display())?;
        }
        writeln!(w, "drop scans into {}", self.inbox.display())
    }
}
