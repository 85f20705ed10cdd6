//! Snapshot tests of what users read: every message enlist writes for each
//! provider's typical mistakes, and the `rules()` metadata forms render from.
//! Review changes with `cargo insta review`.
#![forbid(unsafe_code)]

use enlist_core::{provider, Options};
use serde_json::json;

fn report(provider_id: &str, input: serde_json::Value, options: &Options) -> serde_json::Value {
    let p = provider(provider_id).expect("registered");
    serde_json::to_value(p.check_json(input.to_string().as_bytes(), options)).expect("serializable")
}

#[test]
fn partoo_messages() {
    let input = json!({
        "email": "ada@localhost",
        "first_name": " ",
        "last_name": "x".repeat(300),
        "role": "PROVIDER",
        "lang": "pt-BR",
        "status": 1,
        "password": "password",
        "send_invitation": true,
        "sso_only": "false",
        "org_id": 1.5,
        "accesses": [[1, "2"]],
        "business_ids": ["a", "a", ""],
        "sidebar_pages": ["posts", "stats"],
        "custom_role": null,
        "firstname": "Ada"
    });
    insta::assert_json_snapshot!(report("partoo", input, &Options::default()));
}

#[test]
fn partoo_missing_everything() {
    insta::assert_json_snapshot!(report("partoo", json!({}), &Options::default()));
}

#[test]
fn invalid_json_message() {
    let p = provider("partoo").expect("registered");
    insta::assert_json_snapshot!(
        p.check_json(b"{\n  \"email\": \"a@b.co\",\n}", &Options::default())
    );
}

#[test]
fn pandadoc_messages() {
    let input = json!({
        "user": {"email": "someone@gmail.com", "phone_number": "0612345678", "phone": "+1"},
        "license": "guest",
        "workspaces": [
            {"workspace_id": "Ab123", "role": "collaborator"},
            {"workspace_id": "Ab123", "role": "Member"},
            {"role": "Admin"}
        ],
        "notify_user": true
    });
    insta::assert_json_snapshot!(report(
        "pandadoc",
        input,
        &Options::allowed_domains(["acme.com"])
    ));
}

#[test]
fn passwords_never_appear_in_messages() {
    for password in [
        "hunter2",
        "ALLUPPERCASE!",
        "nouppercase1!",
        "NoSpecialChars1",
        "Sh0rt!",
    ] {
        let r = report(
            "partoo",
            json!({"email": "a@b.co", "first_name": "A", "last_name": "B", "password": password}),
            &Options::default(),
        );
        assert!(!r.to_string().contains(password), "{password}");
    }
}

#[test]
fn partoo_rules() {
    let p = provider("partoo").expect("registered");
    insta::assert_json_snapshot!(p.rules());
}

#[test]
fn pandadoc_rules() {
    let p = provider("pandadoc").expect("registered");
    insta::assert_json_snapshot!(p.rules());
}
