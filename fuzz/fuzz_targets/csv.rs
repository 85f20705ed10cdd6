//! The bulk import path: arbitrary text through every provider's
//! `csv_to_rows`, then `check_many` on the rows.
//!
//! Invariants: no panic; an accepted file gives a JSON array (read by
//! enlist's own parser, which `validateMany` uses; numbers in JSON cells stay
//! as written, so serde_json may refuse `1e999`) of `lines.len()` objects, one pointer
//! per column, lines strictly increasing after the header; bulk validation of
//! those rows reads all of them and reports no document-level error.
#![forbid(unsafe_code)]
#![no_main]

use enlist_core::json::{Document, Kind};
use enlist_core::{Options, REGISTRY};
use enlist_fuzz::{check_issue, is_json_pointer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for provider in REGISTRY {
        let table = match provider.csv_to_rows(&text) {
            Ok(table) => table,
            Err(e) => {
                assert!(e.line >= 1 && !e.code.is_empty() && !e.message.is_empty());
                continue;
            }
        };
        assert_eq!(table.columns.len(), table.pointers.len());
        assert!(table
            .pointers
            .iter()
            .all(|p| is_json_pointer(p) && !p.is_empty()));
        assert!(table.lines.windows(2).all(|w| w[0] < w[1]));
        assert!(table.lines.first().is_none_or(|&l| l >= 2));
        let doc = Document::parse(&table.rows).expect("enlist reads its own rows");
        let rows = doc.root();
        assert_eq!(rows.kind(), Kind::Array);
        assert_eq!(rows.len(), table.lines.len());
        assert!(rows.elements().all(|row| row.kind() == Kind::Object));

        let report = provider.check_many(table.rows.as_bytes(), &Options::default());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.total, table.lines.len());
        for row in &report.invalid {
            assert!(row.index < report.total);
            row.errors.iter().chain(&row.warnings).for_each(check_issue);
        }
    }
});
