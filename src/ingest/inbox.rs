//! The inbox as the command line has known it: what is a candidate ([`Filter`],
//! [`scan_dir`], [`input_for`]) and the watcher ([`watch`]). The parts live in
//! [`crate::ingest::input`] and [`crate::ingest::watch`]; this module keeps their old names.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Result;

pub use crate::ingest::input::{Filter, input_for, scan_dir};
use crate::ingest::pipeline::{Ingestor, Summary};
pub use crate::ingest::watch::{WatchEvent, WatchOptions};
use crate::store::receipts::Receipt;

/// Watches the inbox and ingests complete files until `stop` is set; the batch in flight
/// is finished first. `on_receipt` sees every receipt (for printing).
pub fn watch(
    ing: &mut Ingestor,
    opts: &WatchOptions,
    stop: Arc<AtomicBool>,
    mut on_receipt: impl FnMut(&Receipt),
) -> Result<Summary> {
    crate::ingest::watch::run(ing, opts, stop, &mut |e| {
        if let WatchEvent::Receipt(r) = &e {
            on_receipt(r);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::input::Role;
    use std::path::Path;

    #[test]
    fn temp_and_hidden_names_are_temporary_and_sidecars_travel() {
        let f = Filter::new(&crate::config::Config::default().watch.ignore).unwrap();
        let base = Path::new("/nonexistent-inbox");
        for n in [
            "a.part",
            "~$doc.pdf",
            ".~lock.x#",
            ".DS_Store",
            "Thumbs.db",
            "x.crdownload",
            ".hidden.pdf",
            ".Trash-1000/files/scan.pdf",
        ] {
            assert!(
                matches!(f.role(base, &base.join(n)), Role::Temporary(_)),
                "{n}"
            );
        }
        assert_eq!(f.role(base, &base.join("scan.pdf")), Role::Scan);
        assert_eq!(
            f.role(base, &base.join("ПК-2024-017/journal/photo.jpg")),
            Role::Scan
        );
        // A `.toml` with no scan beside it is looked at (a PDF under that name, or an
        // orphan sidecar with a receipt), never silently skipped.
        assert_eq!(f.role(base, &base.join("scan.pdf.toml")), Role::Scan);
    }
}
