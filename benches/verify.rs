//! Fixity benchmark (issue 5): `archivist verify` over ~2 GB of archived files, side by
//! side with `sha256sum` and `bagit.py --validate --processes 2` over the same boxes,
//! and the per-core SHA-256 rate of `openssl speed -evp sha256`. All runs read from the
//! page cache (24 GiB of RAM hold the data), so the figures compare hashing, not the disk.
//!
//! Run: `cargo bench --bench verify` (BENCH_MB=N for another size).

mod common;

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mb: usize = env_usize("BENCH_MB", 2048);
    let root = data_dir().join(format!("verify-archive-{mb}"));
    let (a, _) = archivist::store::archive::Archive::init(&root, None).unwrap();
    start_audit_log(&a);
    // 16 boxes of 4 MiB files (scan-sized payload; content does not affect hashing speed).
    if a.box_dirs().is_empty() {
        eprintln!("writing {mb} MB of payload into {} …", root.display());
        let files = mb / 4;
        let mut rng = fastrand::Rng::with_seed(1);
        let mut buf = vec![0u8; 4 << 20];
        for b in 0..16 {
            let dir = a.boxes.join("2020").join(format!("ПК-2020-{b:03}"));
            fs::create_dir_all(dir.join("data/journal")).unwrap();
            let mut manifest = String::new();
            for i in (b..files).step_by(16) {
                rng.fill(&mut buf);
                let rel = format!("data/journal/scan_{i:05}.pdf");
                fs::File::create(dir.join(&rel))
                    .unwrap()
                    .write_all(&buf)
                    .unwrap();
                manifest.push_str(&format!(
                    "{}  {rel}\n",
                    archivist::store::fsutil::sha256_hex(&buf)
                ));
            }
            fs::write(dir.join("bagit.txt"), archivist::store::boxes::BAGIT_TXT).unwrap();
            fs::write(dir.join("manifest-sha256.txt"), &manifest).unwrap();
            let info = format!(
                "Payload-Oxum: {}.{}\n",
                manifest.lines().count() * (4 << 20),
                manifest.lines().count()
            );
            fs::write(dir.join("bag-info.txt"), &info).unwrap();
            let tag = format!(
                "{}  bagit.txt\n{}  bag-info.txt\n{}  manifest-sha256.txt\n",
                archivist::store::fsutil::sha256_hex(archivist::store::boxes::BAGIT_TXT.as_bytes()),
                archivist::store::fsutil::sha256_hex(info.as_bytes()),
                archivist::store::fsutil::sha256_hex(manifest.as_bytes())
            );
            fs::write(dir.join("tagmanifest-sha256.txt"), tag).unwrap();
        }
    }
    let files: Vec<String> = walkdir::WalkDir::new(&a.boxes)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().to_string_lossy().contains("/data/"))
        .map(|e| e.path().display().to_string())
        .collect();
    let bytes: u64 = files.iter().map(|f| fs::metadata(f).unwrap().len()).sum();
    let gb = bytes as f64 / 1e9;
    // Warm the page cache once.
    Command::new("cat")
        .args(&files)
        .stdout(Stdio::null())
        .status()
        .unwrap();

    let ours = run_measured(
        Command::new(bin())
            .arg("--root")
            .arg(&root)
            .arg("--quiet")
            .arg("--json")
            .arg("verify")
            .stdout(Stdio::null()),
    );
    let t = Instant::now();
    Command::new("sha256sum")
        .args(&files)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let sum1 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut xargs = Command::new("xargs")
        .args(["-0", "-P2", "-n", "32", "sha256sum"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    xargs
        .stdin
        .take()
        .unwrap()
        .write_all(files.join("\0").as_bytes())
        .unwrap();
    xargs.wait().unwrap();
    let sum2 = t.elapsed().as_secs_f64();
    let bagit = Command::new("sh")
        .arg("-c")
        .arg("command -v bagit.py")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let bagit_t = bagit.then(|| {
        let t = Instant::now();
        for d in a.box_dirs() {
            Command::new("bagit.py")
                .args(["--validate", "--processes", "2", "--quiet"])
                .arg(&d)
                .status()
                .unwrap();
        }
        t.elapsed().as_secs_f64()
    });
    let openssl = Command::new("openssl")
        .args([
            "speed", "-seconds", "2", "-bytes", "16384", "-evp", "sha256",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let per_core = openssl
        .lines()
        .rev()
        .find(|l| l.starts_with("sha256"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.trim_end_matches('k').parse::<f64>().ok())
        .map(|k| k * 1000.0 / 1e9);

    println!(
        "\nverify benchmark: {} files, {gb:.2} GB (page cache)",
        files.len()
    );
    println!("{:<46} {:>8} {:>8}", "", "seconds", "GB/s");
    println!(
        "{:<46} {:>8.2} {:>8.2}   peak RSS {} MB",
        "archivist verify (2 threads)",
        ours.wall.as_secs_f64(),
        gb / ours.wall.as_secs_f64(),
        ours.max_rss_kb / 1024
    );
    println!(
        "{:<46} {:>8.2} {:>8.2}",
        "sha256sum (one process)",
        sum1,
        gb / sum1
    );
    println!(
        "{:<46} {:>8.2} {:>8.2}",
        "sha256sum, two in parallel (xargs -P2)",
        sum2,
        gb / sum2
    );
    if let Some(b) = bagit_t {
        println!(
            "{:<46} {:>8.2} {:>8.2}",
            "bagit.py --validate --processes 2",
            b,
            gb / b
        );
    }
    if let Some(p) = per_core {
        println!(
            "openssl speed -evp sha256 (16 KiB blocks): {p:.2} GB/s per core → two cores {:.2} GB/s; archivist reaches {:.0}% of that",
            2.0 * p,
            100.0 * gb / ours.wall.as_secs_f64() / (2.0 * p)
        );
    }
}
