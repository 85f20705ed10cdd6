//! Bulk validation: a JSON array of payloads in, one report per invalid row out.
//!
//! The whole array is parsed once onto one tape and each row is walked in place,
//! so a 10,000-row import allocates only for the rows that have problems.
//!
//! ```
//! use enlist_core::{partoo::Partoo, Provider, validate::Options};
//!
//! let rows = br#"[
//!   {"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"},
//!   {"email":"nope","first_name":"Bob","last_name":"B"}
//! ]"#;
//! let report = Partoo::check_many(rows, &Options::default());
//! assert_eq!((report.total, report.valid), (2, 1));
//! assert_eq!(report.invalid[0].index, 1);
//! assert_eq!(report.invalid[0].errors[0].path, "/email");
//! ```

use crate::json::{Document, Kind};
use crate::report::{Code, Issue, Param, Params};
use crate::schema::ObjectSchema;
use crate::validate::{syntax_report, Options, Walker};
use serde::Serialize;
use std::borrow::Cow;

/// The result of validating many payloads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkReport {
    /// Rows read.
    pub total: usize,
    /// Rows without errors.
    pub valid: usize,
    /// Rows with errors, in order; paths are relative to the row.
    pub invalid: Vec<RowReport>,
    /// Problems with the document as a whole (not JSON, not an array).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Issue>,
}

/// The problems of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowReport {
    /// The row's 0-based index in the array.
    pub index: usize,
    /// Its errors.
    pub errors: Vec<Issue>,
    /// Its warnings.
    pub warnings: Vec<Issue>,
}

/// Validates a JSON array of payloads against `schema`.
pub fn check_many(schema: &ObjectSchema, json: &[u8], options: &Options) -> BulkReport {
    let doc = match Document::parse_bytes(json) {
        Ok(doc) => doc,
        Err(e) => {
            return BulkReport {
                errors: syntax_report(&e).errors,
                ..BulkReport::default()
            }
        }
    };
    let root = doc.root();
    if root.kind() != Kind::Array {
        return BulkReport {
            errors: vec![Issue::new(
                "",
                Code::Type,
                format!(
                    "Must be an array of rows, not {}.",
                    match root.kind().name() {
                        "array" | "object" => format!("an {}", root.kind().name()),
                        other => format!("a {other}"),
                    }
                ),
                Params::new()
                    .with("expected", Param::Str(Cow::Borrowed("array")))
                    .with("found", Param::Str(Cow::Borrowed(root.kind().name()))),
            )],
            ..BulkReport::default()
        };
    }
    let mut report = BulkReport::default();
    let mut walker = Walker::new(options);
    for (index, row) in root.elements().enumerate() {
        report.total += 1;
        walker.object(schema, row);
        let row_report = walker.take_report();
        if row_report.errors.is_empty() {
            report.valid += 1;
        } else {
            report.invalid.push(RowReport {
                index,
                errors: row_report.errors,
                warnings: row_report.warnings,
            });
        }
    }
    report
}
