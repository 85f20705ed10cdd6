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

use crate::json::{Document, Kind, Node};
use crate::report::{Code, Issue, Omitted, Param, Params};
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
    /// Rows with errors, in order; paths are relative to the row. With
    /// [`Options::max_issues`] set, the rows whose errors no longer fit are
    /// left out (see [`BulkReport::omitted`]): `total - valid` still counts
    /// every invalid row.
    pub invalid: Vec<RowReport>,
    /// Problems with the document as a whole (not JSON, not an array).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Issue>,
    /// What [`Options::max_issues`] left out of the whole report.
    #[serde(skip_serializing_if = "BulkOmitted::is_none")]
    pub omitted: BulkOmitted,
}

/// What a capped [`BulkReport`] left out: invalid rows not listed at all,
/// and errors and warnings not kept (those of the rows left out included).
///
/// ```
/// use enlist_core::{partoo::Partoo, Options, Provider};
/// let report = Partoo::check_many(b"[{},{},{}]", &Options::default().with_max_issues(4));
/// assert_eq!((report.total, report.valid, report.invalid.len()), (3, 0, 2));
/// assert_eq!(report.omitted.rows, 1);
/// assert_eq!(report.omitted.errors, 5); // 3 errors per row, 4 kept
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BulkOmitted {
    /// Invalid rows not listed in [`BulkReport::invalid`].
    pub rows: usize,
    /// Errors not kept.
    pub errors: usize,
    /// Warnings not kept.
    pub warnings: usize,
}

impl BulkOmitted {
    /// `true` when nothing was left out.
    pub fn is_none(&self) -> bool {
        self.rows == 0 && self.errors == 0 && self.warnings == 0
    }
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
    /// Its issues the cap left out (the row where the cap was reached).
    #[serde(skip_serializing_if = "Omitted::is_none")]
    pub omitted: Omitted,
}

/// Validates a JSON array of payloads against `schema`.
///
/// Besides each row's own problems, an email address already used by an
/// earlier row (compared ignoring ASCII case, as the providers refuse a
/// second account for it) is a [`Code::Duplicate`] error on the later row,
/// with `params.first` the earlier row's index. With
/// [`Options::max_issues`] the whole report keeps at most that many errors
/// and warnings; every row is still checked and counted.
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
                [
                    "Must be an array of rows, not ",
                    match root.kind().name() {
                        "array" | "object" => "an ",
                        _ => "a ",
                    },
                    root.kind().name(),
                    ".",
                ]
                .concat(),
                Params::new()
                    .with("expected", Param::Str(Cow::Borrowed("array")))
                    .with("found", Param::Str(Cow::Borrowed(root.kind().name()))),
            )],
            ..BulkReport::default()
        };
    }
    let mut report = BulkReport::default();
    let mut walker = Walker::new(options);
    walker.compare_emails();
    let cap = options.max_issues.map_or(usize::MAX, |n| n.max(1));
    // Room left in the whole report.
    let (mut errors_left, mut warnings_left) = (cap, cap);
    for (index, row) in root.elements().enumerate() {
        report.total += 1;
        walker.set_room(errors_left, warnings_left);
        walker.start_row(index);
        walker.object(schema, row);
        let row_report = walker.take_report();
        if row_report.errors.is_empty() && row_report.omitted.errors == 0 {
            // Valid: its warnings are not reported, so they take no room.
            report.valid += 1;
            continue;
        }
        if row_report.errors.is_empty() {
            // Invalid, with no room left for any of its errors.
            report.omitted.rows += 1;
            report.omitted.errors += row_report.omitted.errors;
            report.omitted.warnings += row_report.warnings.len() + row_report.omitted.warnings;
            continue;
        }
        errors_left -= row_report.errors.len();
        warnings_left -= row_report.warnings.len();
        report.omitted.errors += row_report.omitted.errors;
        report.omitted.warnings += row_report.omitted.warnings;
        report.invalid.push(RowReport {
            index,
            errors: row_report.errors,
            warnings: row_report.warnings,
            omitted: row_report.omitted,
        });
    }
    report
}

/// The email addresses of the rows so far: an open-addressing table of
/// FNV-1a hashes of their ASCII-lowercased text (a few lines instead of a
/// `HashMap`, which would cost the wasm build its hasher). Each slot holds
/// `[hash (0 when free), first row, the address's tape index]`; rows past
/// `u32::MAX` (more than wasm memory holds) are not compared.
#[derive(Default)]
pub(crate) struct Emails {
    slots: Vec<[u32; 3]>,
    len: usize,
}

impl Emails {
    /// Adds the address `node` of `row`, or returns the row that had it
    /// first.
    pub(crate) fn insert(
        &mut self,
        node: Node<'_, '_>,
        address: &str,
        row: usize,
    ) -> Option<usize> {
        let Ok(row) = u32::try_from(row) else {
            return None;
        };
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![[0; 3]; (old.len() * 2).max(64)];
            for slot in old {
                if slot[0] != 0 {
                    let at = self.free_slot(slot[0]);
                    if let Some(free) = self.slots.get_mut(at) {
                        *free = slot;
                    }
                }
            }
        }
        // Never 0, which marks a free slot.
        let hash = fold_hash(address) | 1;
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        // `get`, not indexing: `at` is always in range (masked), and an
        // indexing panic would add its location to the wasm.
        while let Some(&[h, first, tape]) = self.slots.get(at) {
            if h == 0 {
                break;
            }
            if h == hash
                && node
                    .sibling_at(tape)
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case(address))
            {
                return Some(first as usize);
            }
            at = (at + 1) & mask;
        }
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = [hash, row, node.index()];
            self.len += 1;
        }
        None
    }

    fn free_slot(&self, hash: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        while self.slots.get(at).is_some_and(|s| s[0] != 0) {
            at = (at + 1) & mask;
        }
        at
    }
}

/// 32-bit FNV-1a of the ASCII-lowercased bytes.
fn fold_hash(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{pandadoc, partoo};

    fn codes(report: &BulkReport) -> Vec<(usize, String, &'static str)> {
        report
            .invalid
            .iter()
            .flat_map(|r| {
                r.errors
                    .iter()
                    .map(move |i| (r.index, i.path.clone(), i.code.as_str()))
            })
            .collect()
    }

    #[test]
    fn the_same_email_twice_is_a_duplicate_on_the_later_row() {
        let rows = br#"[
            {"email":"a@b.co","first_name":"A","last_name":"B"},
            {"email":"c@b.co","first_name":"C","last_name":"D"},
            {"email":"A@B.co","first_name":"A","last_name":"B"},
            {"email":"nope","first_name":"N","last_name":"O"},
            {"email":"NOPE","first_name":"N","last_name":"O"},
            {"email":"c@b.co","first_name":"C","last_name":"D"},
            {"email":"a@b.co","first_name":"A","last_name":"B"}
        ]"#;
        let report = check_many(&partoo::SCHEMA, rows, &Options::default());
        assert_eq!((report.total, report.valid), (7, 2));
        let found = codes(&report);
        assert_eq!(
            found,
            [
                (2, "/email".to_string(), "duplicate"),
                (3, "/email".to_string(), "email"),
                (4, "/email".to_string(), "email"),
                (5, "/email".to_string(), "duplicate"),
                (6, "/email".to_string(), "duplicate"),
            ]
        );
        let firsts: Vec<_> = report
            .invalid
            .iter()
            .filter_map(|r| r.errors[0].params.get_int("first"))
            .collect();
        assert_eq!(firsts, [0, 1, 0]);
        assert_eq!(
            report.invalid[0].errors[0].message,
            "This email address is already in row 0 of the batch."
        );
        // Nested (PandaDoc's /user/email), and across a table regrowth.
        let mut many = String::from("[");
        for i in 0..300 {
            many.push_str(&format!(
                r#"{{"user":{{"email":"u{}@acme.com"}},"license":"Guest","workspaces":[{{"workspace_id":"w","role":"Member"}}]}},"#,
                i % 150
            ));
        }
        many.pop();
        many.push(']');
        let report = check_many(&pandadoc::SCHEMA, many.as_bytes(), &Options::default());
        assert_eq!((report.total, report.valid), (300, 150));
        assert!(report.invalid.iter().all(|r| r.errors.len() == 1
            && r.errors[0].path == "/user/email"
            && r.errors[0].params.get_int("first") == Some(r.index as i64 - 150)));
    }

    #[test]
    fn the_cap_bounds_the_whole_report() {
        let rows = format!("[{}]", vec!["{}"; 10_000].join(","));
        let report = check_many(
            &partoo::SCHEMA,
            rows.as_bytes(),
            &Options::default().with_max_issues(100),
        );
        assert_eq!((report.total, report.valid), (10_000, 0));
        let kept: usize = report.invalid.iter().map(|r| r.errors.len()).sum();
        assert_eq!(kept, 100);
        assert_eq!(report.invalid.len(), 34);
        // The 34th row kept one of its three errors.
        assert_eq!(
            report.invalid[33].omitted,
            Omitted {
                errors: 2,
                warnings: 0
            }
        );
        assert_eq!(
            report.omitted,
            BulkOmitted {
                rows: 10_000 - 34,
                errors: 30_000 - 100,
                warnings: 0
            }
        );
        // Without a cap, everything.
        let all = check_many(&partoo::SCHEMA, rows.as_bytes(), &Options::default());
        assert_eq!(all.invalid.len(), 10_000);
        assert!(all.omitted.is_none());
    }

    #[test]
    fn valid_rows_warnings_take_no_room() {
        let rows = br#"[
            {"email":"a@b.co","first_name":"A","last_name":"B","sidebar_pages":["posts"]},
            {"first_name":"A","last_name":"B","sidebar_pages":["posts"]}
        ]"#;
        let report = check_many(
            &partoo::SCHEMA,
            rows,
            &Options::default().with_max_issues(1),
        );
        assert_eq!(report.valid, 1);
        assert_eq!(report.invalid.len(), 1);
        assert_eq!(report.invalid[0].warnings.len(), 1, "{report:#?}");
        assert!(report.omitted.is_none(), "{report:?}");
    }
}
