//! File and folder names written into the archive. Nothing taken from a file name, a
//! sidecar or a PDF can place a file outside its box: every component is sanitised.

use unicode_normalization::UnicodeNormalization;

/// One safe path component: NFC-normalised, no separators, no `..`, no control or
/// reserved characters, no leading dots, bounded to `max_bytes` of UTF-8.
pub fn sanitize_component(raw: &str, max_bytes: usize) -> String {
    let nfc: String = raw.nfc().collect();
    let mut out = String::with_capacity(nfc.len());
    for c in nfc.chars() {
        let bad = c.is_control()
            || matches!(
                c,
                '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '\u{0}'
            )
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
        out.push(if bad { '_' } else { c });
    }
    // `..` anywhere could be read as a parent reference by a careless tool.
    while out.contains("..") {
        out = out.replace("..", "_");
    }
    let trimmed = out.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let mut s = trimmed.to_string();
    if s.is_empty() {
        s = "_".into();
    }
    // A leading dash reads as an option to `rm`, `tar` and friends.
    if s.starts_with('-') {
        s.replace_range(..1, "_");
    }
    // Windows device names would be unreadable on an SMB share.
    let stem_upper = s.split('.').next().unwrap_or("").to_uppercase();
    if matches!(stem_upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem_upper.len() == 4
            && (stem_upper.starts_with("COM") || stem_upper.starts_with("LPT"))
            && stem_upper.as_bytes()[3].is_ascii_digit())
    {
        s.insert(0, '_');
    }
    truncate_bytes(&s, max_bytes)
}

/// A safe file name that keeps its extension when it has to be shortened.
pub fn sanitize_file_name(raw: &str, max_bytes: usize) -> String {
    let s = sanitize_component(raw, usize::MAX);
    if s.len() <= max_bytes {
        return s;
    }
    match s.rfind('.') {
        Some(dot) if s.len() - dot <= 16 && dot > 0 => {
            let ext = &s[dot..];
            let stem = truncate_bytes(&s[..dot], max_bytes.saturating_sub(ext.len()).max(1));
            format!("{stem}{ext}")
        }
        _ => truncate_bytes(&s, max_bytes),
    }
}

fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].trim_end().to_string()
}

/// True when a value meant to be a folder name is already safe, i.e. sanitising leaves it
/// unchanged. Used to refuse (rather than silently rewrite) hostile sidecar values.
pub fn is_safe_component(raw: &str, max_bytes: usize) -> bool {
    !raw.trim().is_empty() && sanitize_component(raw, max_bytes) == raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_stay_inside() {
        for raw in [
            "../../etc",
            "..",
            ".",
            "/abs/path",
            "a\\b",
            "x\u{0}y",
            "\u{202E}fdp.exe",
            "....",
            "",
        ] {
            let s = sanitize_component(raw, 120);
            assert!(
                !s.contains('/') && !s.contains('\\') && !s.contains(".."),
                "{raw:?} -> {s:?}"
            );
            assert!(
                s != "." && !s.is_empty() && !s.starts_with('.'),
                "{raw:?} -> {s:?}"
            );
        }
        assert!(!is_safe_component("../../etc", 120));
        assert!(!is_safe_component("-rf", 120));
        assert_eq!(sanitize_component("-rf", 120), "_rf");
        assert!(is_safe_component("ПК-2024-017", 120));
    }

    #[test]
    fn nfc_and_bounded() {
        // «й» as и + combining breve becomes one code point.
        let decomposed = "Сергеи\u{306}";
        assert_eq!(sanitize_component(decomposed, 120), "Сергей");
        let long = "ж".repeat(200) + ".pdf";
        let s = sanitize_file_name(&long, 120);
        assert!(s.len() <= 120 && s.ends_with(".pdf"), "{}", s.len());
        assert_eq!(sanitize_component("CON", 50), "_CON");
    }
}
