//! `cargo run -p fixturegen -- --out DIR`: writes a deterministic set of realistic scans
//! and their ground truth (`expected.json`). `fixtures/scans` is
//! `--out fixtures/scans --seed 1 --count 14`, byte for byte.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "fixturegen",
    about = "Write a deterministic set of realistic scans (for tests and benchmarks)"
)]
struct Args {
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 14)]
    count: usize,
    /// Image-only scans (no text layer), 300 dpi, for OCR.
    #[arg(long)]
    image_only: bool,
    #[arg(long)]
    dpi: Option<u32>,
    /// Headings, dates and numbers written in varied real-world ways, with older dates
    /// cited in the body (for the classification test set).
    #[arg(long)]
    variations: bool,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let mut opts = fixturegen::GenOptions {
        seed: a.seed,
        count: a.count,
        image_only: a.image_only,
        variations: a.variations,
        ..Default::default()
    };
    if let Some(d) = a.dpi {
        opts.dpi = d;
    }
    match fixturegen::write_set(&a.out, &opts) {
        Ok(v) => {
            println!(
                "wrote {} scan(s) and expected.json to {}",
                v.len(),
                a.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
