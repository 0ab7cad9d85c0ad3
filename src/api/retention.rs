//! The retention report: which cases lapse, when, and what holds them.

use chrono::NaiveDate;

use super::Archivist;
use crate::error::Result;
use crate::records::hold::Holds;
use crate::records::retention::{self, Report};

impl Archivist {
    /// Cases by retention status as of a date: eligible for destruction, ЭПК review,
    /// lapsing within 12 months, held, event-dated without a date, for the commission.
    pub fn retention(&self, as_of: NaiveDate) -> Result<Report> {
        let a = self.archive();
        let ix = self.index()?;
        let holds = Holds::load(&a.root)?;
        let cases = retention::cases(&ix, &a.nomenclature)?;
        let by_case = holds.by_case(|id| ix.case_of(id, &a.nomenclature));
        Ok(retention::report(cases, &by_case, as_of))
    }
}
