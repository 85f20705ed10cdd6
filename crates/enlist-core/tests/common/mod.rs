//! Generators shared by the integration tests: valid payloads for each provider,
//! built from the same enum lists the providers publish.
#![allow(dead_code)]

use enlist_core::pandadoc::{License, WorkspaceRole};
use enlist_core::partoo::{Lang, Role, SidebarPage};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

pub fn email() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9]{0,10}([._+-][a-z0-9]{1,6}){0,2}",
        "[a-z][a-z0-9-]{0,8}[a-z0-9]",
        prop::sample::select(vec!["com", "fr", "co.uk", "io", "xn--p1ai"]),
    )
        .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
}

/// Non-blank text of 1 to 40 characters (ASCII spaces only, so that every
/// validator agrees on what whitespace is).
pub fn text() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÿ' -]{0,38}[A-Za-zÀ-ÿ]"
}

pub fn password() -> impl Strategy<Value = String> {
    (
        "[A-Z]{1,3}",
        "[a-z]{1,5}",
        "[!@#$%^&*_-]{1,2}",
        "[A-Za-z0-9]{5,20}",
    )
        .prop_map(|(u, l, s, rest)| format!("{u}{l}{s}{rest}"))
}

fn optional(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v);
    }
}

/// A valid Partoo payload (every optional field may or may not be present).
pub fn partoo_user() -> impl Strategy<Value = Value> {
    let required = (email(), text(), text());
    let optionals = (
        prop::option::of(any::<i64>()),
        prop::option::of(prop::collection::vec(
            prop::collection::vec(any::<i64>(), 0..4),
            0..4,
        )),
        prop::option::of(prop::collection::btree_set("[a-f0-9]{24}", 0..4)),
        prop::option::of(prop::sample::select(Role::NAMES)),
        prop::option::of("[a-z_]{1,20}"),
        prop::option::of(prop::option::of(prop::sample::subsequence(
            SidebarPage::NAMES,
            0..=SidebarPage::NAMES.len(),
        ))),
    );
    let more = (
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(&["active", "invited"][..])),
        prop::option::of(password()),
        prop::option::of(prop::sample::select(Lang::NAMES)),
        prop::option::of(any::<bool>()),
    );
    (required, optionals, more).prop_map(
        |(
            (email, first, last),
            (org_id, accesses, business_ids, role, custom_role, sidebar),
            (send, status, password, lang, sso),
        )| {
            let mut m = Map::new();
            m.insert("email".into(), json!(email));
            m.insert("first_name".into(), json!(first));
            m.insert("last_name".into(), json!(last));
            optional(&mut m, "org_id", org_id.map(|v| json!(v)));
            optional(&mut m, "accesses", accesses.map(|v| json!(v)));
            optional(&mut m, "business_ids", business_ids.map(|v| json!(v)));
            optional(&mut m, "role", role.map(|v| json!(v)));
            optional(&mut m, "custom_role", custom_role.map(|v| json!(v)));
            optional(&mut m, "sidebar_pages", sidebar.map(|v| json!(v)));
            optional(&mut m, "send_invitation", send.map(|v| json!(v)));
            optional(&mut m, "status", status.map(|v| json!(v)));
            optional(&mut m, "password", password.map(|v| json!(v)));
            optional(&mut m, "lang", lang.map(|v| json!(v)));
            optional(&mut m, "sso_only", sso.map(|v| json!(v)));
            Value::Object(m)
        },
    )
}

pub fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "\\+[1-9][0-9]{6,14}",
        "\\+[1-9][0-9]{1,2} [0-9]{3} [0-9]{4}",
    ]
}

/// A valid PandaDoc payload.
pub fn pandadoc_user() -> impl Strategy<Value = Value> {
    (
        email(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(phone()),
        prop::sample::select(License::NAMES),
        prop::collection::btree_map(
            "[A-Za-z0-9]{5,22}",
            prop::sample::select(WorkspaceRole::NAMES),
            1..4,
        ),
    )
        .prop_map(|(email, first, last, phone, license, workspaces)| {
            let mut user = Map::new();
            user.insert("email".into(), json!(email));
            optional(&mut user, "first_name", first.map(|v| json!(v)));
            optional(&mut user, "last_name", last.map(|v| json!(v)));
            optional(&mut user, "phone_number", phone.map(|v| json!(v)));
            let workspaces: Vec<Value> = workspaces
                .into_iter()
                .map(|(id, role)| json!({"workspace_id": id, "role": role}))
                .collect();
            json!({"user": Value::Object(user), "license": license, "workspaces": workspaces})
        })
}

/// Any JSON value, nested a few levels.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "email",
            "first_name",
            "last_name",
            "role",
            "lang",
            "user",
            "workspaces",
            "license",
            "ORG_ADMIN",
            "pt-br",
            "Guest",
            "Member",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z_~/]{0,12}",
                    prop::sample::select(vec![
                        "email",
                        "first_name",
                        "last_name",
                        "role",
                        "lang",
                        "password",
                        "user",
                        "workspaces",
                        "license",
                        "workspace_id",
                        "phone_number",
                        "accesses",
                        "business_ids",
                        "sidebar_pages",
                        "send_invitation",
                    ])
                    .prop_map(str::to_string),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
