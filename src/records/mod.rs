//! Records management: retention periods and their lapse, holds, destruction acts for
//! the expert commission, inventories of cases, and the printed forms.

pub mod act;
pub mod contents;
pub mod hold;
pub mod inventory;
pub mod print;
pub mod recordcard;
pub mod retention;
