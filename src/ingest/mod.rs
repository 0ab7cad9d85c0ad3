//! Inbox → box: which files are candidates and when they are complete (the watcher),
//! what each is (classification), and the batch pipeline that files them durably.

pub mod classify;
pub mod inbox;
pub mod pipeline;
