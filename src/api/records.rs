//! Records management use cases: holds, and destruction acts (draft, approve, execute,
//! list, show). Holds may change while another process (the watcher) writes; executing
//! an act takes the archive's writer lock.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::{Actor, Archivist};
use crate::error::{ActChanged, NotFound, Result};
use crate::records::act::{self, Act};
use crate::records::hold::{self, Hold, Rebuilt};

/// An act with the folder holding its renderings (act.pdf, act.csv, act.md, …).
#[derive(Debug, Clone, Serialize)]
pub struct ActView {
    pub act: Act,
    pub folder: PathBuf,
}

impl Archivist {
    /// Holds a document (its id, or an unambiguous prefix) or a case
    /// (`INDEX/YEAR[/GROUP]`, checked against the nomenclature).
    pub fn hold_add(&self, target: &str, reason: &str, actor: &Actor) -> Result<Hold> {
        Ok(hold::add(self.archive(), target, reason, actor)?)
    }

    /// Releases the active holds matching a number (`3`, `#3`) or a target.
    pub fn hold_release(&self, what: &str, reason: &str, actor: &Actor) -> Result<Vec<Hold>> {
        Ok(hold::release(self.archive(), what, reason, actor)?)
    }

    /// The holds in force (or all, released ones too), as the audit log records them.
    pub fn holds(&self, all: bool) -> Result<Vec<Hold>> {
        Ok(hold::list(self.archive(), all)?)
    }

    /// Rewrites `holds.toml` from the audit log (after it was deleted or edited).
    pub fn holds_rebuild(&self, actor: &Actor) -> Result<Rebuilt> {
        Ok(hold::rebuild(self.archive(), actor)?)
    }

    /// Drafts the next act from the cases eligible as of `as_of`.
    pub fn disposal_draft(&self, as_of: NaiveDate, actor: &Actor) -> Result<ActView> {
        let act = act::draft(self.archive(), as_of, actor)?;
        Ok(self.act_view(act))
    }

    /// Records the expert commission's approval and seals the act. Fails with
    /// [`ActChanged`] (nothing approved) when the act no longer matches the archive.
    pub fn disposal_approve(
        &self,
        number: u32,
        protocol: &str,
        approved_by: &str,
        actor: &Actor,
    ) -> Result<ActView> {
        self.act_exists(number)?;
        match act::approve(self.archive(), number, protocol, approved_by, actor)? {
            Ok(act) => Ok(self.act_view(act)),
            Err(problems) => Err(ActChanged {
                act: number,
                problems,
            }
            .into()),
        }
    }

    /// Destroys the documents of an approved act (resumable after a crash). Takes the
    /// writer lock.
    pub fn disposal_execute(&self, number: u32, actor: &Actor) -> Result<ActView> {
        self.act_exists(number)?;
        let writing = self.writing("archivist disposal execute")?;
        let res = act::execute(self.archive(), number, actor);
        // Even a refused or interrupted run may have changed boxes (resumed documents).
        writing.boxes_changed();
        Ok(self.act_view(res?))
    }

    pub fn disposal_list(&self) -> Result<Vec<Act>> {
        Ok(act::list(self.archive())?)
    }

    pub fn disposal_show(&self, number: u32) -> Result<ActView> {
        self.act_exists(number)?;
        Ok(self.act_view(act::load(self.archive(), number)?))
    }

    fn act_exists(&self, number: u32) -> Result<()> {
        if act::act_dir(self.archive(), number)
            .join("act.toml")
            .is_file()
        {
            return Ok(());
        }
        Err(NotFound(format!(
            "there is no act № {number} in {}; see `archivist disposal list`",
            act::acts_dir(self.archive()).display()
        ))
        .into())
    }

    fn act_view(&self, act: Act) -> ActView {
        ActView {
            folder: act::act_dir(self.archive(), act.number),
            act,
        }
    }
}
