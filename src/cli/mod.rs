//! The command line front end: parses, calls the library, renders.

pub mod commands;
