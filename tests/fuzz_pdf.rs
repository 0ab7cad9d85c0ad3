//! Robustness of `pdf::inspect` on hostile input.
//! 1. Every saved fuzzer finding in tests/fuzz-regressions/ returns (Ok or Err)
//!    within its timeout, without a panic and without timing out.
//! 2. A bounded property test: deterministic mutations of the fixture scans each
//!    return within the timeout without a panic. `FUZZ_ITERATIONS` sets the count
//!    (default 300) and `FUZZ_SEED` the seed, for long local runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use archivist::formats::pdf::{PdfLimits, Refusal, inspect};

/// Generous: CI machines are shared and debug builds are slower; the real bound
/// is that `inspect` returns at all and does not report a timeout.
const TIMEOUT: Duration = Duration::from_secs(20);

fn limits() -> PdfLimits {
    PdfLimits {
        timeout: TIMEOUT,
        max_stream_bytes: 32 * 1024 * 1024,
        ..PdfLimits::default()
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pdfs_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")))
        .collect();
    out.sort();
    out
}

/// Run one input; `Err(description)` when it panicked, timed out or overran.
fn check(bytes: &[u8]) -> Result<(), String> {
    let start = Instant::now();
    let result = inspect(bytes, &limits());
    let took = start.elapsed();
    // inspect enforces the timeout itself; allow slack for thread start-up.
    if took > TIMEOUT + Duration::from_secs(5) {
        return Err(format!("inspect returned after {took:?}"));
    }
    match result {
        Err(Refusal::ParserFailure(msg)) => Err(format!("parser failure (panic?): {msg}")),
        Err(Refusal::Timeout(t)) => Err(format!("timed out after {t:?}")),
        _ => Ok(()),
    }
}

#[test]
fn fuzz_regressions_return_in_time() {
    let files = pdfs_in(&root().join("tests/fuzz-regressions"));
    assert!(!files.is_empty(), "no regression inputs found");
    let mut failures = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).expect("read regression input");
        if let Err(why) = check(&bytes) {
            failures.push(format!("{}: {why}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------- mutations

fn positions(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if hay.len() < needle.len() {
        return Vec::new();
    }
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

fn pick(rng: &mut fastrand::Rng, v: &[usize]) -> Option<usize> {
    if v.is_empty() {
        None
    } else {
        Some(v[rng.usize(..v.len())])
    }
}

const EVIL_NUMBERS: [&str; 9] = [
    "0",
    "-1",
    "-2147483648",
    "2147483647",
    "4294967295",
    "9223372036854775807",
    "99999999999999999999999",
    "65535",
    "1e308",
];

fn mutate_once(rng: &mut fastrand::Rng, d: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = d.len();
    match rng.u8(..12) {
        // bit flips
        0 => {
            for _ in 0..rng.usize(1..8) {
                if !d.is_empty() {
                    let i = rng.usize(..d.len());
                    d[i] ^= 1 << rng.u8(..8);
                }
            }
        }
        // insert random bytes or a PDF token
        1 => {
            const TOKENS: [&[u8]; 10] = [
                b"<<",
                b">>",
                b"[",
                b"]",
                b"(",
                b")",
                b"endobj",
                b"stream\n",
                b"endstream",
                b" 0 R ",
            ];
            let at = rng.usize(..=len);
            let ins: Vec<u8> = if rng.bool() {
                TOKENS[rng.usize(..TOKENS.len())].to_vec()
            } else {
                (0..rng.usize(1..32)).map(|_| rng.u8(..)).collect()
            };
            d.splice(at..at, ins);
        }
        // delete a range
        2 if len > 0 => {
            let i = rng.usize(..len);
            let n = rng.usize(1..=(len - i).min(4096));
            d.drain(i..i + n);
        }
        // duplicate a range
        3 if len > 0 => {
            let i = rng.usize(..len);
            let n = rng.usize(1..=(len - i).min(4096));
            let chunk = d[i..i + n].to_vec();
            let at = rng.usize(..=len);
            d.splice(at..at, chunk);
        }
        // truncate
        4 if len > 1 => d.truncate(rng.usize(1..len)),
        // splice with another seed
        5 if len > 0 => {
            let other = &seeds[rng.usize(..seeds.len())];
            if !other.is_empty() {
                let from = rng.usize(..other.len());
                d.truncate(rng.usize(..len));
                d.extend_from_slice(&other[from..]);
            }
        }
        // replace a number after a structural key with a hostile one
        6 | 7 => {
            const KEYS: [&[u8]; 8] = [
                b" obj",
                b"/Length",
                b"/Count",
                b"/W",
                b"xref",
                b"startxref",
                b"/Size",
                b"/N ",
            ];
            let key = KEYS[rng.usize(..KEYS.len())];
            if let Some(p) = pick(rng, &positions(d, key)) {
                let (lo, hi) = if key == b" obj" {
                    (p.saturating_sub(24), p)
                } else {
                    (p + key.len(), (p + key.len() + 48).min(d.len()))
                };
                if let Some(s) = (lo..hi).find(|&i| d[i].is_ascii_digit()) {
                    let e = (s..hi).find(|&i| !d[i].is_ascii_digit()).unwrap_or(hi);
                    let n = EVIL_NUMBERS[rng.usize(..EVIL_NUMBERS.len())];
                    d.splice(s..e, n.bytes());
                }
            }
        }
        // nesting just under and over the pre-check limit
        8 => {
            let depth = rng.usize(90..300);
            let open: &[u8] = if rng.bool() { b"[" } else { b"<</A " };
            let ins: Vec<u8> = open.repeat(depth);
            let at = pick(rng, &positions(d, b"<<")).unwrap_or(len);
            d.splice(at..at, ins);
        }
        // stream/endstream confusion
        9 => {
            if let Some(p) = pick(rng, &positions(d, b"endstream")) {
                d.splice(p..p + 9, b"stream".iter().copied());
            } else if let Some(p) = pick(rng, &positions(d, b"stream")) {
                d.splice(p..p + 6, b"endstream".iter().copied());
            }
        }
        // corrupt stream (Flate) data
        10 => {
            if let Some(p) = pick(rng, &positions(d, b"stream\n")) {
                let body = p + 7;
                if body < d.len() {
                    let span = (d.len() - body).min(2048);
                    for _ in 0..rng.usize(1..10) {
                        let i = body + rng.usize(..span);
                        d[i] = rng.u8(..);
                    }
                }
            }
        }
        // duplicate the trailer
        _ => {
            if let Some(p) = pick(rng, &positions(d, b"trailer")) {
                let chunk = d[p..(p + 400).min(d.len())].to_vec();
                let at = rng.usize(..=d.len());
                d.splice(at..at, chunk);
            }
        }
    }
}

#[test]
fn mutated_fixtures_never_panic_or_hang() {
    let seeds: Vec<Vec<u8>> = pdfs_in(&root().join("fixtures/scans"))
        .iter()
        .map(|p| std::fs::read(p).expect("read fixture"))
        .collect();
    assert!(!seeds.is_empty(), "no fixture PDFs");
    let iterations: usize = std::env::var("FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_F022);
    let mut rng = fastrand::Rng::with_seed(seed);
    for i in 0..iterations {
        let mut d = seeds[rng.usize(..seeds.len())].clone();
        for _ in 0..rng.usize(1..5) {
            mutate_once(&mut rng, &mut d, &seeds);
        }
        if let Err(why) = check(&d) {
            // Keep the input so the failure can be replayed and added as a regression.
            let path = std::env::temp_dir().join(format!("fuzz_pdf-{seed}-{i}.pdf"));
            let saved = std::fs::write(&path, &d).is_ok();
            panic!(
                "iteration {i} (FUZZ_SEED={seed}): {why}; input {}",
                if saved {
                    path.display().to_string()
                } else {
                    "not saved".into()
                }
            );
        }
    }
}
