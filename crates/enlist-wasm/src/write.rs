//! A hand-written JSON writer for the hot results — the validation
//! [`Report`] and the [`BulkReport`] — about twice as fast in wasm as
//! `serde_json` (a string without characters to escape is copied in one go).
//!
//! The bulk report is byte for byte what `serde_json` writes for it. The
//! single report is written compactly (see [`report`]): `api.js` turns it
//! into the same issue objects.
//!
//! ```
//! use enlist_core::{provider, Options};
//! let p = provider("partoo").ok_or("missing")?;
//! let report = p.check_many(br#"[{"email":"x"}]"#, &Options::default());
//! let mut out = Vec::new();
//! enlist_wasm::write::bulk(&mut out, &report);
//! assert_eq!(out, serde_json::to_vec(&report).map_err(|_| "json")?);
//! # Ok::<(), &str>(())
//! ```

// A JSON string, escaped as `serde_json` escapes it; an integer.
use enlist_core::json::{write_int as int, write_string as string, Writer};
use enlist_core::{BulkReport, Issue, Report};

/// Replaces `out` with `report` as compact JSON and returns its length:
/// `[errors, warnings]`, each list flat, four values per issue —
/// `path, code, message, params` (an object, or `null` when it has none) —
/// and, when the cap left issues out, a third element `[errors, warnings]`
/// counting them ([`Report::omitted`]).
///
/// `JSON.parse` of the issue objects themselves took about 40 % longer than
/// parsing this form and building the objects in JavaScript (Node 20, a
/// 6-error report: 2.8 against 1.8 µs). Not so for the bulk report, whose
/// thousands of same-shaped objects `JSON.parse` builds faster than script.
///
/// ```
/// use enlist_core::{provider, Options};
/// let p = provider("partoo").ok_or("missing")?;
/// let report = p.check_json(br#"{"email":"x@y.co","first_name":"A"}"#, &Options::default());
/// let mut out = Vec::new();
/// enlist_wasm::write::report(&mut out, &report);
/// let text = std::str::from_utf8(&out).map_err(|_| "utf-8")?;
/// assert_eq!(text, r#"[["/last_name","required","This field is required.",null],[]]"#);
/// # Ok::<(), &str>(())
/// ```
pub fn report(out: &mut Vec<u8>, report: &Report) -> usize {
    out.clear();
    out.push(b'[');
    compact_issues(out, &report.errors);
    out.push(b',');
    compact_issues(out, &report.warnings);
    if !report.omitted.is_none() {
        out.extend_from_slice(b",[");
        int(out, report.omitted.errors as u64, false);
        out.push(b',');
        int(out, report.omitted.warnings as u64, false);
        out.push(b']');
    }
    out.push(b']');
    out.len()
}

/// Appends `list` as one flat array, four values per issue (see [`report`]).
fn compact_issues(out: &mut Vec<u8>, list: &[Issue]) {
    out.push(b'[');
    for (i, issue) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, &issue.path);
        out.push(b',');
        string(out, issue.code.as_str());
        out.push(b',');
        string(out, &issue.message);
        out.push(b',');
        if issue.params.is_empty() {
            out.extend_from_slice(b"null");
        } else {
            params(out, issue);
        }
    }
    out.push(b']');
}

/// Appends an issue's params as a JSON object.
fn params(out: &mut Vec<u8>, issue: &Issue) {
    out.push(b'{');
    for (j, (name, value)) in issue.params.iter().enumerate() {
        if j > 0 {
            out.push(b',');
        }
        string(out, name);
        out.push(b':');
        value.write_json(&mut Writer::new(out));
    }
    out.push(b'}');
}

/// Replaces `out` with `report` as JSON and returns its length.
///
/// ```
/// use enlist_core::{provider, Options};
/// let p = provider("partoo").ok_or("missing")?;
/// let report = p.check_many(br#"[{"email":"x"},{}]"#, &Options::default());
/// let mut out = Vec::new();
/// enlist_wasm::write::bulk(&mut out, &report);
/// assert_eq!(out, serde_json::to_vec(&report).map_err(|_| "json")?);
/// # Ok::<(), &str>(())
/// ```
pub fn bulk(out: &mut Vec<u8>, report: &BulkReport) -> usize {
    out.clear();
    out.extend_from_slice(b"{\"total\":");
    int(out, report.total as u64, false);
    out.extend_from_slice(b",\"valid\":");
    int(out, report.valid as u64, false);
    out.extend_from_slice(b",\"invalid\":[");
    for (i, row) in report.invalid.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"index\":");
        int(out, row.index as u64, false);
        out.extend_from_slice(b",\"errors\":");
        issues(out, &row.errors);
        out.extend_from_slice(b",\"warnings\":");
        issues(out, &row.warnings);
        if !row.omitted.is_none() {
            out.extend_from_slice(b",\"omitted\":{\"errors\":");
            int(out, row.omitted.errors as u64, false);
            out.extend_from_slice(b",\"warnings\":");
            int(out, row.omitted.warnings as u64, false);
            out.push(b'}');
        }
        out.push(b'}');
    }
    out.push(b']');
    if !report.errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        issues(out, &report.errors);
    }
    if !report.omitted.is_none() {
        out.extend_from_slice(b",\"omitted\":{\"rows\":");
        int(out, report.omitted.rows as u64, false);
        out.extend_from_slice(b",\"errors\":");
        int(out, report.omitted.errors as u64, false);
        out.extend_from_slice(b",\"warnings\":");
        int(out, report.omitted.warnings as u64, false);
        out.push(b'}');
    }
    out.push(b'}');
    out.len()
}

/// Appends `list` as a JSON array of issues.
pub(crate) fn issues(out: &mut Vec<u8>, list: &[Issue]) {
    out.push(b'[');
    for (i, issue) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"path\":");
        string(out, &issue.path);
        out.extend_from_slice(b",\"code\":");
        string(out, issue.code.as_str());
        out.extend_from_slice(b",\"message\":");
        string(out, &issue.message);
        if !issue.params.is_empty() {
            out.extend_from_slice(b",\"params\":");
            params(out, issue);
        }
        out.push(b'}');
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use enlist_core::{Code, Param, Params};
    use std::borrow::Cow;

    #[test]
    fn matches_serde_json_on_awkward_values() {
        let issue = Issue::new(
            "/a~1b/0/\"q\"",
            Code::Enum,
            "tab\there, nul\u{0} bell\u{7} del\u{7f} é 🦀 \\ \u{2028}",
            Params::new()
                .with("min", Param::Int(i64::MIN))
                .with("max", Param::Int(i64::MAX))
                .with("zero", Param::Int(0))
                .with("s", Param::Str(Cow::Borrowed("\u{1f}")))
                .with("l", Param::List(Cow::Borrowed(&["a", "\"b\""])))
                .with("o", Param::Strings(vec![String::new(), "x\ny".into()])),
        );
        let report = Report {
            errors: vec![issue.clone(), issue.clone()],
            warnings: vec![Issue::new("", Code::Ignored, "", Params::new())],
            ..Report::default()
        };
        let mut out = Vec::new();
        report_eq(&mut out, &report);
        let bulk_report = BulkReport {
            total: 3,
            valid: 1,
            invalid: vec![
                enlist_core::RowReport {
                    index: 0,
                    errors: vec![issue.clone()],
                    warnings: vec![],
                    omitted: enlist_core::Omitted::default(),
                },
                enlist_core::RowReport {
                    index: 2,
                    errors: vec![issue.clone()],
                    warnings: vec![issue],
                    omitted: enlist_core::Omitted {
                        errors: 3,
                        warnings: 0,
                    },
                },
            ],
            errors: vec![],
            omitted: enlist_core::BulkOmitted {
                rows: 1,
                errors: 7,
                warnings: 2,
            },
        };
        bulk(&mut out, &bulk_report);
        assert_eq!(out, serde_json::to_vec(&bulk_report).unwrap());
        let with_errors = BulkReport {
            errors: report.errors.clone(),
            ..BulkReport::default()
        };
        bulk(&mut out, &with_errors);
        assert_eq!(out, serde_json::to_vec(&with_errors).unwrap());
    }

    /// The compact report read back the way `api.js` reads it (`expand`)
    /// must be the core's report as `serde_json` writes it.
    fn report_eq(out: &mut Vec<u8>, r: &Report) {
        let n = report(out, r);
        assert_eq!(n, out.len());
        let compact: serde_json::Value = serde_json::from_slice(out).unwrap();
        let lists = compact.as_array().unwrap();
        assert_eq!(lists.len(), if r.omitted.is_none() { 2 } else { 3 });
        let mut expanded = serde_json::json!({
            "errors": expand(&lists[0]),
            "warnings": expand(&lists[1]),
        });
        if let Some(omitted) = lists.get(2) {
            expanded["omitted"] = serde_json::json!({"errors": omitted[0], "warnings": omitted[1]});
        }
        assert_eq!(expanded, serde_json::to_value(r).unwrap());
    }

    fn expand(flat: &serde_json::Value) -> Vec<serde_json::Value> {
        let flat = flat.as_array().unwrap();
        assert_eq!(flat.len() % 4, 0);
        flat.chunks(4)
            .map(|i| {
                let mut issue = serde_json::json!({"path": i[0], "code": i[1], "message": i[2]});
                if !i[3].is_null() {
                    assert!(i[3].is_object());
                    issue["params"] = i[3].clone();
                }
                issue
            })
            .collect()
    }

    #[test]
    fn matches_serde_json_on_core_reports() {
        let inputs: &[&[u8]] = &[
            b"",
            b"{",
            br#"{"email":"nope","first_name":"","role":"admin","lang":"pt-BR","password":"abc","business_ids":["a","a"],"org_id":1.5,"x\"y":1}"#,
            br#"{"user":{"email":"a@b","phone_number":"x"},"license":"guest","workspaces":[{},{"workspace_id":"w"},{"workspace_id":"w"}]}"#,
            br#"{"email":"a@b.co","first_name":"A","last_name":"B","sidebar_pages":null,"accesses":[[1]]}"#,
        ];
        let mut out = Vec::new();
        let capped = enlist_core::Options::default().with_max_issues(2);
        for p in enlist_core::REGISTRY {
            for input in inputs {
                for options in [&Default::default(), &capped] {
                    report_eq(&mut out, &p.check_json(input, options));
                    let many = p.check_many(input, options);
                    bulk(&mut out, &many);
                    assert_eq!(out, serde_json::to_vec(&many).unwrap());
                }
            }
            // Rows, some cut, some left out.
            let rows = [&b"["[..], &inputs[2..].join(&b","[..]), b",{},{}]"].concat();
            let many = p.check_many(&rows, &capped);
            assert!(!many.omitted.is_none());
            bulk(&mut out, &many);
            assert_eq!(out, serde_json::to_vec(&many).unwrap());
        }
    }
}
