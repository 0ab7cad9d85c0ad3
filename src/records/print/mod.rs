//! The printed forms of the archive: the destruction act, box labels, case covers,
//! inventories of cases and the nomenclature. Each form takes a plain value (what is
//! printed, `Serialize` for `--json`) and returns PDF bytes; the layout machinery is
//! [`crate::formats::print`].

pub mod act;
pub mod cover;
pub mod inventory;
pub mod labels;
pub mod nomenclature;

use chrono::{Datelike, NaiveDate};

use crate::formats::print::layout::UNDERSCORES;
use crate::ru::dates::MONTHS_GENITIVE;

/// A blank field prints as underscores to be filled in by hand.
pub fn or_blank(s: &str) -> &str {
    if s.trim().is_empty() { UNDERSCORES } else { s }
}

/// ««12» декабря 2026 г.», the way approval dates are written on the forms.
pub fn long_date(d: NaiveDate) -> String {
    let month = MONTHS_GENITIVE[d.month0() as usize];
    format!("«{:02}» {month} {} г.", d.day(), d.year())
}

/// «09.06.2019–01.07.2019», «09.06.2019», or the year when no document is dated.
pub fn date_range(first: Option<NaiveDate>, last: Option<NaiveDate>, year: i32) -> String {
    match (first, last) {
        (Some(a), Some(b)) if a == b => a.format("%d.%m.%Y").to_string(),
        (Some(a), Some(b)) => format!("{}–{}", a.format("%d.%m.%Y"), b.format("%d.%m.%Y")),
        _ => year.to_string(),
    }
}

/// What the tests of the forms share: files under `target/print/`, text read back with
/// pdftotext, and a PNG of a page for a person to look at.
#[cfg(test)]
pub(crate) mod testutil {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    pub fn out_dir() -> PathBuf {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/print");
        let _ = std::fs::create_dir_all(&d);
        d
    }

    pub fn write(name: &str, pdf: &[u8]) -> PathBuf {
        let p = out_dir().join(name);
        assert!(std::fs::write(&p, pdf).is_ok(), "cannot write {p:?}");
        p
    }

    /// True when a tool is installed; off CI a missing one skips the check with a
    /// message, on CI (CI=true) it fails, because .ci/run installs it.
    pub fn have_tool(name: &str) -> bool {
        let ok = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "{name} is required on CI (.ci/run installs it)"
            );
            eprintln!("SKIPPED: {name} is not installed, so this check was skipped");
        }
        ok
    }

    pub fn run(cmd: &str, args: &[&str]) -> String {
        let out = Command::new(cmd).args(args).output();
        match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
            other => panic!("{cmd} {args:?} failed: {other:?}"),
        }
    }

    pub fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// `-layout` text (what a reader sees) and `-raw` text (content-stream order, where
    /// each wrapped cell stays contiguous), both without whitespace.
    pub fn texts(p: &Path) -> (String, String) {
        let p = p.to_string_lossy();
        let layout = run("pdftotext", &["-layout", &p, "-"]);
        let raw = run("pdftotext", &["-raw", &p, "-"]);
        (squash(&layout), squash(&raw))
    }

    pub fn pages(p: &Path) -> usize {
        run("pdfinfo", &[&p.to_string_lossy()])
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// A sidecar as ingest writes it, for forms built from box contents.
    #[allow(clippy::too_many_arguments)]
    pub fn doc(
        kind: &str,
        index: &str,
        year: i32,
        group: &str,
        date: &str,
        number: &str,
        pages: u32,
        file: &str,
    ) -> crate::store::document::DocumentMeta {
        let text = format!(
            r#"id = "{id}"
kind = "{kind}"
kind_name = "Приказ об организации обучения"
year = {year}
group = "{group}"
date = "{date}"
number = "{number}"
pages = {pages}
size = 1000
box_path = "boxes/{year}/{group}"
file = "{file}"
source_name = "scan.pdf"
source_path = "scan.pdf"
ingested_at = "2026-11-29T20:03:20Z"

[case]
index = "{index}"
title = "Приказы по основной деятельности"
period = "До ликвидации организации"
basis = "Перечень № 236, ст. 19а"
epk = false

[pdf]
version = "1.5"
text_layer = "present"
repaired = false
encrypted = false
active_content = false
"#,
            id = crate::store::fsutil::sha256_hex(file.as_bytes()),
        );
        match crate::store::document::DocumentMeta::from_toml(&text) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    /// Page `page` of the PDF as `<pdf stem>.png` beside it (75 dpi), to look at.
    pub fn png(p: &Path, page: usize) -> PathBuf {
        let stem = p.with_extension("");
        let n = page.to_string();
        run(
            "pdftoppm",
            &[
                "-r",
                "75",
                "-png",
                "-singlefile",
                "-f",
                &n,
                "-l",
                &n,
                &p.to_string_lossy(),
                &stem.to_string_lossy(),
            ],
        );
        p.with_extension("png")
    }
}
