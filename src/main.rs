//! `archivist`: the command line. Everything it can do is a library call of
//! [`archivist::api`]; `cli` only parses, calls and renders.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
