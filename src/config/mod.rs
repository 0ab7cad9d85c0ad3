//! Configuration: embedded defaults (`config/archivist.toml`) overlaid by the
//! archive's own `archivist.toml` or an explicit `--config FILE`.

pub mod nomenclature;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The documented example config, compiled in so that a fresh machine needs no files.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/archivist.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub paths: Paths,
    pub boxes: BoxesConfig,
    pub watch: WatchConfig,
    pub limits: Limits,
    pub classify: ClassifyConfig,
    pub ocr: OcrSettings,
    pub fixity: FixitySettings,
    pub labels: LabelSettings,
    pub web: WebSettings,
    pub disposal: DisposalSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSettings {
    pub default_sheet: String,
    pub offset_x_mm: f64,
    pub offset_y_mm: f64,
    /// Sheets beyond the built-in ones (or replacing one of the same name).
    #[serde(default, rename = "sheet")]
    pub sheets: Vec<crate::formats::print::sheet::Sheet>,
    #[serde(default, rename = "printer")]
    pub printers: Vec<Printer>,
}

/// A printer's own drift, chosen with `--printer NAME`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Printer {
    pub name: String,
    #[serde(default)]
    pub offset_x_mm: f64,
    #[serde(default)]
    pub offset_y_mm: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Where phones on the LAN reach `archivist serve` ("" when it is not served).
    pub base_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisposalSettings {
    /// What `disposal approve` does when inventories are missing for the act's years.
    pub missing_inventories: MissingInventories,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingInventories {
    /// Approve, and say which inventories are missing.
    Warn,
    /// Do not approve.
    Refuse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixitySettings {
    pub cycle_days: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcrSettings {
    pub enabled: bool,
    pub tesseract: PathBuf,
    pub languages: String,
    pub page_timeout_secs: u64,
    pub jobs: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    pub inbox: PathBuf,
    pub boxes: PathBuf,
    pub review: PathBuf,
    pub quarantine: PathBuf,
    pub index: PathBuf,
    pub journal: PathBuf,
    pub nomenclature: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxesConfig {
    pub default_group: String,
    pub max_name_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchConfig {
    pub stable_secs: f64,
    pub poll_ms: u64,
    pub rescan_secs: u64,
    pub batch_max: usize,
    pub retry_min_secs: u64,
    pub retry_max_secs: u64,
    pub ignore: Vec<String>,
    pub sidecar_wait_secs: f64,
    pub orphan_sidecar_secs: f64,
    pub abandoned_secs: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_file_mb: u64,
    pub max_pages: u32,
    pub max_objects: usize,
    pub max_nesting: usize,
    pub max_stream_mb: u64,
    pub max_image_mpixels: u64,
    pub parse_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyConfig {
    pub folder_patterns: Vec<String>,
    pub filename_patterns: Vec<String>,
    pub group_regex: String,
    pub number_regex: String,
    pub date_regex: String,
    pub programme_regex: String,
    pub staff_markers: Vec<String>,
    /// Titles a document's heading starts with («ПРИКАЗ», «ПЛАТЕЖНОЕ ПОРУЧЕНИЕ»).
    pub heading_titles: Vec<String>,
    /// Word beginnings that make a date or number after them a cited document's.
    pub cited_markers: Vec<String>,
    /// Word beginnings that make a date someone's birth, an issue date or a deadline.
    pub other_date_markers: Vec<String>,
    #[serde(rename = "kind_rule")]
    pub kind_rules: Vec<KindRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    pub kind: String,
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
}

fn embedded_table() -> toml::Table {
    // The embedded text is part of the binary and covered by a unit test.
    toml::from_str(DEFAULT_CONFIG).expect("embedded config/archivist.toml is valid TOML")
}

impl Default for Config {
    fn default() -> Self {
        Config::deserialize(toml::Value::Table(embedded_table()))
            .expect("embedded config/archivist.toml is complete")
    }
}

/// Keys of `over` replace those of `base`; tables merge key by key, so a user file may
/// set any subset of the defaults.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

impl Config {
    /// Parses a config text; errors name the file, line, key and what is allowed.
    pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let user: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(origin, text, &e))?;
        let mut table = embedded_table();
        merge(&mut table, user);
        let cfg = Config::deserialize(toml::Value::Table(table))
            .map_err(|e| ConfigError::from_value_error(origin, text, &e))?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: path.to_path_buf(),
            source: e,
        })?;
        Self::parse(&text, path)
    }

    fn validate(&self, origin: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, msg: String| ConfigError::Invalid {
            file: origin.to_path_buf(),
            key: key.to_string(),
            message: msg,
        };
        if !(self.watch.stable_secs >= 0.0 && self.watch.stable_secs <= 3600.0) {
            return Err(bad(
                "watch.stable_secs",
                "allowed: a number of seconds from 0 to 3600".into(),
            ));
        }
        if self.watch.batch_max == 0 {
            return Err(bad("watch.batch_max", "allowed: 1 or more".into()));
        }
        if self.boxes.max_name_bytes < 16 || self.boxes.max_name_bytes > 255 {
            return Err(bad("boxes.max_name_bytes", "allowed: 16 to 255".into()));
        }
        if self.boxes.default_group.trim().is_empty()
            || crate::formats::naming::sanitize_component(&self.boxes.default_group, 255)
                != self.boxes.default_group
        {
            return Err(bad(
                "boxes.default_group",
                "allowed: a plain folder name (no '/', '\\', '..' or control characters)".into(),
            ));
        }
        for (key, re) in [
            ("classify.group_regex", &self.classify.group_regex),
            ("classify.number_regex", &self.classify.number_regex),
            ("classify.date_regex", &self.classify.date_regex),
            ("classify.programme_regex", &self.classify.programme_regex),
        ] {
            check_regex(re).map_err(|e| bad(key, format!("a valid regular expression ({e})")))?;
        }
        for (i, re) in self.classify.filename_patterns.iter().enumerate() {
            check_regex(re).map_err(|e| {
                bad(
                    &format!("classify.filename_patterns[{i}]"),
                    format!("a valid regular expression ({e})"),
                )
            })?;
        }
        for (i, sheet) in self.labels.sheets.iter().enumerate() {
            if let Some(p) = sheet.problems().first() {
                return Err(bad(
                    &format!("labels.sheet[{i}] ({})", sheet.name),
                    p.clone(),
                ));
            }
        }
        for (key, v) in [
            ("labels.offset_x_mm", self.labels.offset_x_mm),
            ("labels.offset_y_mm", self.labels.offset_y_mm),
        ] {
            if !(v.is_finite() && v.abs() <= 50.0) {
                return Err(bad(key, "allowed: -50 to 50 millimetres".into()));
            }
        }
        let base = self.web.base_url.trim();
        if !(base.is_empty() || base.starts_with("http://") || base.starts_with("https://")) {
            return Err(bad(
                "web.base_url",
                "allowed: \"\" or an address starting with http:// or https://".into(),
            ));
        }
        for (i, pat) in self.watch.ignore.iter().enumerate() {
            globset::Glob::new(pat).map_err(|e| {
                bad(
                    &format!("watch.ignore[{i}]"),
                    format!("a valid glob pattern ({e})"),
                )
            })?;
        }
        Ok(())
    }

    pub fn ocr_config(&self) -> crate::formats::ocr::OcrConfig {
        crate::formats::ocr::OcrConfig {
            tesseract: self.ocr.tesseract.clone(),
            languages: self.ocr.languages.clone(),
            page_timeout: std::time::Duration::from_secs(self.ocr.page_timeout_secs.max(1)),
            max_pixels: self.limits.max_image_mpixels.saturating_mul(1_000_000),
            ..Default::default()
        }
    }

    pub fn limits_pdf(&self) -> crate::formats::pdf::PdfLimits {
        let l = &self.limits;
        crate::formats::pdf::PdfLimits {
            max_bytes: l.max_file_mb.saturating_mul(1024 * 1024),
            max_pages: l.max_pages,
            max_objects: l.max_objects,
            max_nesting: l.max_nesting,
            max_stream_bytes: l.max_stream_mb.saturating_mul(1024 * 1024),
            max_image_pixels: l.max_image_mpixels.saturating_mul(1_000_000),
            timeout: std::time::Duration::from_secs(l.parse_timeout_secs.max(1)),
        }
    }
}

/// Resolves a configured path against the archive root.
pub fn resolve(root: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// Checks a configured regular expression's syntax. Parsing only: the classifier
/// compiles each pattern once when it is built (and reports a pattern too large to
/// compile there); compiling here as well doubled that work for every command.
fn check_regex(re: &str) -> Result<(), String> {
    regex_syntax::Parser::new()
        .parse(re)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_config_is_valid() {
        let c = Config::parse(DEFAULT_CONFIG, Path::new("embedded")).unwrap();
        assert_eq!(c.boxes.default_group, "общие");
        assert!(c.classify.kind_rules.len() >= 7);
        assert_eq!(c.labels.default_sheet, "a4-2x4");
        assert!(c.labels.sheets.is_empty() && c.web.base_url.is_empty());
        assert_eq!(c.disposal.missing_inventories, MissingInventories::Warn);
    }

    #[test]
    fn label_sheets_and_printers_come_from_the_file_and_bad_ones_are_named() {
        let sheet = "[[labels.sheet]]\nname = 'x'\npage_width_mm = 210\npage_height_mm = 297\n\
                     label_width_mm = 105\nlabel_height_mm = 37\ncolumns = 2\nrows = 8\n\
                     margin_left_mm = 0\nmargin_top_mm = 0.5\n";
        let text = format!("{sheet}[[labels.printer]]\nname = 'office'\noffset_x_mm = 0.8\n");
        let c = Config::parse(&text, Path::new("a.toml")).unwrap();
        assert_eq!(c.labels.sheets[0].rows, 8);
        assert_eq!(c.labels.printers[0].offset_x_mm, 0.8);
        assert_eq!(
            c.labels.default_sheet, "a4-2x4",
            "the rest of [labels] stays default"
        );
        let err =
            Config::parse(&sheet.replace("rows = 8", "rows = 9"), Path::new("a.toml")).unwrap_err();
        assert!(err.to_string().contains("labels.sheet[0]"), "{err}");
        let err =
            Config::parse("[web]\nbase_url = 'archive.local'\n", Path::new("a.toml")).unwrap_err();
        assert!(err.to_string().contains("web.base_url"), "{err}");
        let err = Config::parse(
            "[disposal]\nmissing_inventories = 'ignore'\n",
            Path::new("a.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`refuse`"), "{err}");
    }

    #[test]
    fn partial_config_takes_defaults() {
        let c = Config::parse("[watch]\nstable_secs = 0.5\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.watch.stable_secs, 0.5);
        assert_eq!(c.watch.rescan_secs, Config::default().watch.rescan_secs);
        assert_eq!(c.paths.inbox, PathBuf::from("inbox"));
    }

    #[test]
    fn bad_key_names_file_line_and_allowed_keys() {
        let err = Config::parse(
            "[watch]\nstable_secs = 1\nstabel = 2\n",
            Path::new("/etc/a.toml"),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/etc/a.toml"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("stabel"), "{msg}");
        assert!(msg.contains("stable_secs"), "{msg}");
    }

    #[test]
    fn bad_value_is_named() {
        let err =
            Config::parse("[classify]\ngroup_regex = '('\n", Path::new("a.toml")).unwrap_err();
        assert!(err.to_string().contains("classify.group_regex"), "{err}");
        let err =
            Config::parse("[boxes]\ndefault_group = '../x'\n", Path::new("a.toml")).unwrap_err();
        assert!(err.to_string().contains("boxes.default_group"), "{err}");
    }
}
