//! Records management: retention periods and their lapse, holds, and destruction acts
//! for the expert commission.

pub mod act;
pub mod actpdf;
pub mod hold;
pub mod recordcard;
pub mod retention;
