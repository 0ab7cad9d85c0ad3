//! Records management: retention periods and their lapse, holds, destruction acts for
//! the expert commission, inventories of cases, and the printed forms.

pub mod act;
pub mod contents;
pub mod hold;
pub mod inventory;
pub mod print;
pub mod retention;

/// The act's printed form under its old name, for `act.rs` (being edited on another
/// branch); new code uses [`print::act`].
pub use print::act as actpdf;
