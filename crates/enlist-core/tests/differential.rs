//! Differential test: enlist's validators and hand-written JSON Schemas
//! (`tests/schemas/`, checked by the `jsonschema` crate) must agree on accept or
//! reject for every structural rule.
//!
//! Known, documented differences are kept out of the generated inputs (see
//! `tests/schemas/README.md`): `format` is not checked by the schemas (email
//! syntax, password strength and phone format are enlist-only rules), `42.0` is
//! an integer for JSON Schema but not for enlist, and the two disagree on a few
//! exotic Unicode whitespace characters.
#![forbid(unsafe_code)]

mod common;

use common::{pandadoc_user, partoo_user};
use enlist_core::{pandadoc::PandaDoc, partoo::Partoo, Provider};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::PathBuf;

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/schemas")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(schema_dir().join(name)).expect("schema file");
    serde_json::from_str(&text).expect("schema JSON")
}

fn validator(name: &str) -> jsonschema::Validator {
    jsonschema::validator_for(&load(name)).expect("valid JSON Schema")
}

/// Structural mutations of a valid payload: remove a key, add an unknown one,
/// replace a value with one of another type or an off-list string.
fn mutate() -> impl Strategy<Value = (usize, Value)> {
    (
        any::<prop::sample::Index>().prop_map(|i| i.index(1 << 16)),
        prop_oneof![
            Just(json!(null)),
            Just(json!(true)),
            Just(json!(7)),
            Just(json!(-3)),
            Just(json!("")),
            Just(json!("   ")),
            Just(json!("ORG_ADMIN")),
            Just(json!("Member")),
            Just(json!("pt-BR")),
            Just(json!("fr")),
            Just(json!("x".repeat(256))),
            Just(json!("Sup3r-secret")),
            Just(json!("short")),
            Just(json!("perceval@example.com")),
            Just(json!([])),
            Just(json!(["posts", "posts"])),
            Just(json!(["a", "a"])),
            Just(json!([[1, 2]])),
            Just(json!([{"workspace_id": "A", "role": "Member"}])),
            Just(json!({})),
            Just(json!({"email": "a@example.com"})),
        ],
    )
}

/// Applies mutation `pick` to a random place in `value`.
fn apply(value: &mut Value, pick: usize, replacement: Value) {
    // Collect every pointer in the document.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    pointers(
                        child,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    )
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    pointers(child, format!("{at}/{i}"), out)
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    pointers(value, String::new(), &mut all);
    let target = &all[pick % all.len()];
    match pick % 3 {
        // Replace the value.
        0 => {
            if let Some(slot) = value.pointer_mut(target) {
                *slot = replacement;
            }
        }
        // Remove it from its parent object.
        1 => {
            let (parent, key) = target.rsplit_once('/').unwrap_or(("", ""));
            if let Some(Value::Object(m)) = value.pointer_mut(parent) {
                m.remove(key);
            }
        }
        // Add an unknown (or known) key next to it.
        _ => {
            let (parent, _) = target.rsplit_once('/').unwrap_or(("", ""));
            let key = ["nickname", "phone", "role", "lang", "email", "user"][pick % 6];
            if let Some(Value::Object(m)) = value.pointer_mut(parent) {
                m.insert(key.to_string(), replacement);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn partoo_agrees_with_its_json_schema(user in partoo_user(), (pick, replacement) in mutate()) {
        let schema = validator("partoo.create_user.schema.json");
        let mut input = user;
        apply(&mut input, pick, replacement);
        let ours = Partoo::check_json(input.to_string().as_bytes());
        // Non-structural rules are enlist's alone: skip inputs that only fail those.
        let only_format = !ours.is_ok() && ours.errors.iter().all(|i| matches!(
            i.code,
            enlist_core::Code::Email
                | enlist_core::Code::PasswordUppercase
                | enlist_core::Code::PasswordLowercase
                | enlist_core::Code::PasswordSpecial
        ));
        prop_assume!(!only_format);
        prop_assert_eq!(ours.is_ok(), schema.is_valid(&input), "{}\n{}", input, ours);
    }

    #[test]
    fn pandadoc_agrees_with_its_json_schema(user in pandadoc_user(), (pick, replacement) in mutate()) {
        let schema = validator("pandadoc.create_user.schema.json");
        let mut input = user;
        apply(&mut input, pick, replacement);
        let ours = PandaDoc::check_json(input.to_string().as_bytes());
        let only_format = !ours.is_ok() && ours.errors.iter().all(|i| matches!(
            i.code,
            enlist_core::Code::Email | enlist_core::Code::Phone
        ));
        prop_assume!(!only_format);
        prop_assert_eq!(ours.is_ok(), schema.is_valid(&input), "{}\n{}", input, ours);
    }
}

/// The hand-picked cases in `tests/schemas/cases.json` (also run through Ajv by
/// `schemas.test.mjs`) get the same verdict from enlist.
#[test]
fn hand_picked_cases_agree() {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(schema_dir().join("cases.json")).expect("cases"),
    )
    .expect("cases JSON");
    let mut checked = 0;
    for (provider, check) in [
        (
            "partoo",
            Partoo::check_json as fn(&[u8]) -> enlist_core::Report,
        ),
        ("pandadoc", PandaDoc::check_json),
    ] {
        let group = &cases[provider];
        let schema = validator(group["schema"].as_str().expect("schema name"));
        for case in group["cases"].as_array().expect("cases") {
            let data = &case["data"];
            let why = case["why"].as_str().unwrap_or("");
            let expected = case["valid"].as_bool().expect("verdict");
            let report = check(data.to_string().as_bytes());
            if case.get("format_only").and_then(Value::as_bool) == Some(true) {
                // Invalid only by format: enlist checks formats, so it rejects.
                assert!(!report.is_ok(), "{provider}: {why}: enlist accepted");
                continue;
            }
            if case.get("enlist").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            assert_eq!(
                schema.is_valid(data),
                expected,
                "{provider}: {why}: jsonschema"
            );
            let format_only = !report.is_ok()
                && report.errors.iter().all(|i| {
                    matches!(
                        i.code,
                        enlist_core::Code::Email
                            | enlist_core::Code::Phone
                            | enlist_core::Code::PasswordUppercase
                            | enlist_core::Code::PasswordLowercase
                            | enlist_core::Code::PasswordSpecial
                    )
                });
            if expected && format_only {
                // Structurally fine; enlist's format rules reject it (see the README).
                continue;
            }
            assert_eq!(
                report.is_ok(),
                expected,
                "{provider}: {why}: enlist said {report}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} cases checked");
}
