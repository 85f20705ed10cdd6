//! Property tests: no input makes enlist panic, generated valid payloads validate
//! clean, and every reported path points into the input.
#![forbid(unsafe_code)]

mod common;

use common::{any_json, pandadoc_user, partoo_user};
use enlist_core::{pandadoc::PandaDoc, partoo::Partoo};
use enlist_core::{provider, Code, Options, Provider, REGISTRY};
use proptest::prelude::*;
use serde_json::Value;

/// Parent pointer and last token (unescaped) of a non-root pointer.
fn split_pointer(pointer: &str) -> (&str, String) {
    let at = pointer.rfind('/').unwrap_or(0);
    let token = pointer[at + 1..].replace("~1", "/").replace("~0", "~");
    (&pointer[..at], token)
}

/// Every error and warning path resolves in `input`; a `required` path's parent
/// resolves and the key itself is absent.
fn assert_paths_resolve(input: &Value, report: &enlist_core::Report) {
    for issue in report.errors.iter().chain(&report.warnings) {
        assert!(
            issue.path.is_empty() || issue.path.starts_with('/'),
            "not a JSON Pointer: {:?}",
            issue.path
        );
        if issue.code == Code::Required {
            let (parent, key) = split_pointer(&issue.path);
            let parent = input
                .pointer(parent)
                .expect("parent of a required field exists");
            assert!(parent.get(&key).is_none(), "{} is present", issue.path);
        } else {
            assert!(
                input.pointer(&issue.path).is_some(),
                "{} ({}) does not resolve in {input}",
                issue.path,
                issue.code
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        for p in REGISTRY {
            let _ = p.check_json(&bytes, &Options::default());
            let _ = p.check_many(&bytes, &Options::default());
            let _ = p.parse_create_user_response(400, &[], &bytes);
            let _ = p.parse_create_user_response(200, &[], &bytes);
            let _ = p.parse_invite_response(500, &[("retry-after", "x")], &bytes);
        }
    }

    #[test]
    fn arbitrary_json_never_panics_and_paths_resolve(input in any_json()) {
        let text = input.to_string();
        for p in REGISTRY {
            let report = p.check_json(text.as_bytes(), &Options::allowed_domains(["example.com"]));
            assert_paths_resolve(&input, &report);
            // Provider answers with arbitrary JSON bodies are classified, never a panic.
            for status in [200, 201, 400, 401, 403, 404, 409, 422, 429, 500, 502] {
                let _ = p.parse_create_user_response(status, &[], text.as_bytes());
            }
        }
    }

    #[test]
    fn arbitrary_fields_on_a_valid_partoo_payload(
        user in partoo_user(),
        key in "[a-zA-Z_]{1,12}",
        value in any_json(),
    ) {
        let mut input = user;
        input[key.as_str()] = value;
        let report = Partoo::check_json(input.to_string().as_bytes());
        assert_paths_resolve(&input, &report);
    }

    #[test]
    fn generated_partoo_payloads_are_valid(user in partoo_user()) {
        let text = user.to_string();
        let report = Partoo::check_json(text.as_bytes());
        prop_assert!(report.is_ok(), "{report}\n{text}");
        assert_paths_resolve(&user, &report);
        // Round trip: the request body parses back to the same value.
        let valid = Partoo::validate_json(text.as_bytes()).expect("valid");
        let key = enlist_core::ApiKey::new("k").expect("key");
        let request = Partoo::client(key).create_user(&valid);
        let body: Value = serde_json::from_str(request.body.as_deref().unwrap_or("")).expect("json body");
        prop_assert_eq!(body, user);
    }

    #[test]
    fn generated_pandadoc_payloads_are_valid(user in pandadoc_user()) {
        let text = user.to_string();
        let report = PandaDoc::check_json(text.as_bytes());
        prop_assert!(report.is_ok(), "{report}\n{text}");
        let valid = PandaDoc::validate_json(text.as_bytes()).expect("valid");
        let key = enlist_core::ApiKey::new("k").expect("key");
        let request = PandaDoc::client(key).create_user(&valid);
        let body: Value = serde_json::from_str(request.body.as_deref().unwrap_or("")).expect("json body");
        prop_assert_eq!(body, user);
    }

    #[test]
    fn value_and_bytes_entry_points_agree(input in prop_oneof![partoo_user(), any_json()]) {
        let from_bytes = Partoo::check_json(input.to_string().as_bytes());
        let from_value = Partoo::validate_value(&input, &Options::default());
        prop_assert_eq!(from_bytes.is_ok(), from_value.is_ok());
        if let Err(report) = from_value {
            prop_assert_eq!(report, from_bytes);
        }
    }

    #[test]
    fn bulk_matches_single(rows in prop::collection::vec(prop_oneof![partoo_user(), any_json()], 0..12)) {
        let text = Value::Array(rows.clone()).to_string();
        let bulk = Partoo::check_many(text.as_bytes(), &Options::default());
        prop_assert_eq!(bulk.total, rows.len());
        let mut invalid = 0;
        for (i, row) in rows.iter().enumerate() {
            let single = Partoo::check_json(row.to_string().as_bytes());
            if !single.is_ok() {
                let found = bulk.invalid.iter().find(|r| r.index == i).expect("row reported");
                prop_assert_eq!(&found.errors, &single.errors);
                prop_assert_eq!(&found.warnings, &single.warnings);
                invalid += 1;
            }
        }
        prop_assert_eq!(bulk.valid, rows.len() - invalid);
    }

    #[test]
    fn csv_imports_never_panic(text in "[a-z_.0-9,;\"\r\n \\[\\]{}:]{0,200}") {
        for p in REGISTRY {
            if let Ok(table) = p.csv_to_rows(&text) {
                let rows: Value = serde_json::from_str(&table.rows).expect("rows are JSON");
                prop_assert_eq!(rows.as_array().map(Vec::len), Some(table.lines.len()));
                let _ = p.check_many(table.rows.as_bytes(), &Options::default());
            }
        }
    }

    #[test]
    fn request_builders_never_panic(
        key in ".{0,40}",
        base in ".{0,60}",
        user_id in ".{0,40}",
    ) {
        for p in REGISTRY {
            let settings = enlist_core::Settings {
                api_key: key.clone(),
                base_url: Some(base.clone()),
                ..Default::default()
            };
            let body = br#"{"email":"a@b.co","first_name":"A","last_name":"B"}"#;
            if let Ok(built) = p.build_create_user(body, &Options::default(), &settings) {
                // Whatever was accepted cannot break the request line or headers.
                prop_assert!(!built.request.url.contains(['\r', '\n', ' ']));
                for h in &built.request.headers {
                    prop_assert!(!h.value.contains(['\r', '\n']));
                }
                let debug = format!("{:?}", built.request);
                prop_assert!(key.len() < 4 || !debug.contains(&key), "key in Debug output");
            }
            let _ = p.build_invite(&user_id, &settings);
        }
    }
}

#[test]
fn registry_lookup() {
    assert!(provider("partoo").is_some());
    assert!(provider("Partoo").is_none());
}

/// The `duplicate` errors a list of ids must draw: each repeat points at the
/// first occurrence (computed naively here).
fn expected_duplicates(ids: &[Value], path: impl Fn(usize) -> String) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if !id.is_string() {
            continue;
        }
        if let Some(first) = ids[..i].iter().position(|earlier| earlier == id) {
            out.push((path(i), first as i64));
        }
    }
    out
}

fn duplicates(report: &enlist_core::Report) -> Vec<(String, i64)> {
    report
        .errors
        .iter()
        .filter(|e| e.code == Code::Duplicate)
        .map(|e| (e.path.clone(), e.params.get_int("first").unwrap_or(-1)))
        .collect()
}

/// Ids from a small alphabet so that repeats are common; now and then a
/// number (not a string: a type error, never a duplicate), and a `\u`
/// escape that must compare equal to its plain spelling.
fn ids() -> impl Strategy<Value = Vec<Value>> {
    let id = prop_oneof![
        8 => "[abc]{1,2}".prop_map(Value::from),
        1 => (0..3i64).prop_map(Value::from),
    ];
    prop::collection::vec(id, 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    // Short lists take the pairwise path, long ones the sorted path: both
    // must report each repeat, in order, against its first occurrence.
    #[test]
    fn duplicates_point_at_the_first_occurrence(ids in ids(), escaped in any::<bool>()) {
        let input = serde_json::json!({
            "email": "ada@example.com", "first_name": "Ada", "last_name": "L",
            "role": "BUSINESS_MANAGER", "business_ids": ids,
        });
        let mut json = input.to_string();
        if escaped {
            json = json.replace("\"a", "\"\\u0061");
        }
        let report = Partoo::check_json(json.as_bytes());
        prop_assert_eq!(
            duplicates(&report),
            expected_duplicates(&ids, |i| format!("/business_ids/{i}"))
        );

        let workspaces: Vec<Value> = ids
            .iter()
            .map(|id| serde_json::json!({"workspace_id": id, "role": "Member"}))
            .collect();
        let input = serde_json::json!({
            "user": {"email": "ada@example.com"}, "license": "Full", "workspaces": workspaces,
        });
        let report = PandaDoc::check_json(input.to_string().as_bytes());
        prop_assert_eq!(
            duplicates(&report),
            expected_duplicates(&ids, |i| format!("/workspaces/{i}/workspace_id"))
        );
    }
}

/// Writes `value` with the core's serde-free JSON writer.
fn write_with_writer(w: &mut enlist_core::json::Writer<'_>, value: &Value) {
    match value {
        Value::Null => {
            w.null();
        }
        Value::Bool(b) => {
            w.bool(*b);
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                w.int(i);
            } else if let Some(u) = n.as_u64() {
                w.uint(u);
            } else {
                w.raw(&n.to_string());
            }
        }
        Value::String(s) => {
            w.string(s);
        }
        Value::Array(items) => {
            w.begin_array();
            for item in items {
                write_with_writer(w, item);
            }
            w.end_array();
        }
        Value::Object(members) => {
            w.begin_object();
            for (k, v) in members {
                w.key(k);
                write_with_writer(w, v);
            }
            w.end_object();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    // The writer behind `rules()`, `createUser` results and the CSV table
    // writes exactly what serde_json writes, and enlist's parser reads it
    // back as the same value.
    #[test]
    fn the_json_writer_matches_serde_json(value in any_json()) {
        let mut out = Vec::new();
        write_with_writer(&mut enlist_core::json::Writer::new(&mut out), &value);
        let text = String::from_utf8(out).expect("UTF-8");
        prop_assert_eq!(&text, &value.to_string());
        let doc = enlist_core::json::Document::parse(&text).expect("parses");
        prop_assert_eq!(doc.root().to_value(), value);
    }
}
