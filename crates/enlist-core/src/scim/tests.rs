//! SCIM: tables for each piece, and property tests for the patch model, the
//! filter parser and the Partoo round trip.

use super::filter::{Filter, FilterError, Lookup};
use super::list::{ListRequest, ListResponse};
use super::mapping::{changes, create_payload, lang_from_tag, scim_pointer, tag_for_lang, to_scim};
use super::patch::PatchOp;
use super::user::{Email, Name, ScimUser};
use super::*;
use crate::partoo::users::{User as PartooUser, UserPage, UserUpdate};
use crate::partoo::{Lang, Partoo};
use crate::{Code, Provider, RetryAfter};
use proptest::prelude::*;
use serde_json::{json, Value};

const BASE: &str = "https://enlist.example/scim/v2/partoo";
const ID: &str = "5409c35a97bbc544d8e26737";

fn read(body: Value) -> Result<user::Input, ScimError> {
    ScimUser::read(body.to_string().as_bytes())
}

fn issues(error: &ScimError) -> Vec<(&str, Code)> {
    error
        .issues
        .iter()
        .map(|i| (i.path.as_str(), i.code))
        .collect()
}

fn partoo_user() -> PartooUser {
    PartooUser {
        id: ID.into(),
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        lang: Some("fr".into()),
        ..PartooUser::default()
    }
}

fn patch(operations: Value) -> Result<PatchOp, ScimError> {
    PatchOp::parse(
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations})
            .to_string()
            .as_bytes(),
    )
}

fn patched(operations: Value) -> ScimUser {
    let before = to_scim(&partoo_user(), Some("ext-1"), BASE);
    patch(operations)
        .and_then(|p| p.apply(&before))
        .map(|p| p.user)
        .unwrap_or_else(|e| panic!("{e}: {:?}", e.issues))
}

fn patch_error(operations: Value) -> ScimError {
    let before = to_scim(&partoo_user(), Some("ext-1"), BASE);
    match patch(operations).and_then(|p| p.apply(&before)) {
        Err(e) => e,
        Ok(p) => panic!("expected an error, got {:?}", p.user),
    }
}

// ---- the resource ------------------------------------------------------------

#[test]
fn oktas_create_body_is_read() {
    let input = read(json!({
        "schemas": [USER_SCHEMA],
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": true, "value": "ada@example.com", "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": "00u1ab2cd3",
        "groups": [],
        "password": "t1meMa$heen",
        "active": true
    }))
    .expect("Okta's body");
    assert_eq!(
        input.user,
        ScimUser {
            external_id: Some("00u1ab2cd3".into()),
            user_name: Some("ada@example.com".into()),
            name: Some(Name {
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into())
            }),
            emails: vec![Email::work("ada@example.com")],
            active: Some(true),
            locale: Some("en-US".into()),
            ..ScimUser::new()
        }
    );
    assert_eq!(input.ignored, ["displayName", "password"]);
    assert!(!format!("{input:?}").contains("t1meMa"));
}

#[test]
fn entras_create_body_is_read_with_its_extension_ignored() {
    let input = read(json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "externalId": "ada",
        "userName": "ada@contoso.com",
        "active": "True",
        "displayName": "Ada Lovelace",
        "emails": [{"primary": "true", "type": "work", "value": "ada@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "roles": [],
        "title": "Countess",
        "preferredLanguage": "fr-FR",
        ENTERPRISE_USER_SCHEMA: {"department": "Engines", "employeeNumber": "1"}
    }))
    .expect("Entra's body");
    assert_eq!(input.user.active, Some(true));
    assert_eq!(input.user.emails[0].primary, Some(true));
    assert_eq!(input.user.preferred_language.as_deref(), Some("fr-FR"));
    assert_eq!(
        input.ignored,
        [
            "displayName",
            "name.formatted",
            "roles",
            "title",
            ENTERPRISE_USER_SCHEMA
        ]
    );
}

#[test]
fn attribute_names_are_case_insensitive() {
    let input = read(json!({
        "SCHEMAS": [USER_SCHEMA.to_uppercase()],
        "USERNAME": "ada@example.com",
        "Name": {"GIVENNAME": "Ada", "familyname": "Lovelace"},
        "EMAILS": [{"VALUE": "ada@example.com", "Type": "work", "PRIMARY": true}],
        "aCtIvE": false,
        "PreferredLanguage": "de",
        "LOCALE": "de-CH",
        "EXTERNALID": "x"
    }))
    .expect("any case");
    let expected = ScimUser {
        external_id: Some("x".into()),
        user_name: Some("ada@example.com".into()),
        name: Some(Name {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
        }),
        emails: vec![Email::work("ada@example.com")],
        active: Some(false),
        preferred_language: Some("de".into()),
        locale: Some("de-CH".into()),
        ..ScimUser::new()
    };
    assert_eq!(input.user, expected);
    let via_serde: ScimUser =
        serde_json::from_value(json!({"userName": "a@b.co", "ACTIVE": "FALSE"})).expect("serde");
    assert_eq!(via_serde.active, Some(false));
}

#[test]
fn read_only_attributes_are_ignored_on_input() {
    let input = read(json!({
        "id": "someone-else", "meta": {"location": "x"}, "groups": [{"value": "g"}],
        "userName": "a@b.co"
    }))
    .expect("read-only");
    assert_eq!(input.user.id, None);
    assert_eq!(input.user.meta, None);
    assert!(input.ignored.is_empty());
}

#[test]
fn every_problem_of_a_body_is_reported_at_once() {
    let error = read(json!({
        "schemas": "urn:ietf:params:scim:schemas:core:2.0:User",
        "userName": 5,
        "USERNAME": "a@b.co",
        "name": {"givenName": "", "nickname": "A"},
        "emails": [{"type": "work"}, "ada@example.com", {"value": 3}],
        "active": "yes",
        "externalId": "x".repeat(MAX_EXTERNAL_ID + 1),
        "preferredLanguage": ["fr"],
        "locale": {},
        "favouriteColour": "green"
    }))
    .unwrap_err();
    assert_eq!(
        (error.status, error.scim_type),
        (400, Some(ScimType::InvalidSyntax))
    );
    assert_eq!(
        issues(&error),
        [
            ("/active", Code::Type),
            ("/emails/0/value", Code::Required),
            ("/emails/1", Code::Type),
            ("/emails/2/value", Code::Type),
            ("/externalId", Code::MaxLength),
            ("/favouriteColour", Code::UnknownField),
            ("/locale", Code::Type),
            ("/name/givenName", Code::Empty),
            ("/name/nickname", Code::UnknownField),
            ("/preferredLanguage", Code::Type),
            ("/schemas", Code::Type),
            // Keys are read in byte order: "USERNAME" before "userName".
            ("/userName", Code::Duplicate),
        ]
    );
    assert!(error.detail.starts_with("12 problems: /active type; "));
    assert!(!error.to_json().contains("ada@example.com"));
}

#[test]
fn a_wrongly_typed_body_is_invalid_value_and_not_an_object_is_invalid_syntax() {
    let error =
        read(json!({"active": 1, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}))
            .unwrap_err();
    assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    assert_eq!(
        issues(&error),
        [("/active", Code::Type), ("/schemas", Code::Enum)]
    );
    for body in [&b"[]"[..], b"null", b"", b"{", b"\"user\""] {
        let error = ScimUser::read(body).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax), "{body:?}");
    }
}

#[test]
fn the_resource_serializes_with_canonical_names_and_redacts_debug() {
    let user = to_scim(&partoo_user(), Some("ext-1"), BASE);
    let debug = format!("{user:?}");
    for secret in ["ada@", "Ada\"", "Lovelace", "ext-1"] {
        assert!(!debug.contains(secret), "{debug}");
    }
    let json = serde_json::to_value(&user).expect("json");
    let keys: Vec<&str> = json
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "active",
            "emails",
            "externalId",
            "id",
            "meta",
            "name",
            "preferredLanguage",
            "schemas",
            "userName"
        ]
    );
    let again = ScimUser::read(json.to_string().as_bytes()).expect("read back");
    assert_eq!(
        again.user,
        ScimUser {
            id: None,
            meta: None,
            ..user
        }
    );
}

#[test]
fn put_overlays_what_the_body_asserts() {
    let current = to_scim(&partoo_user(), Some("ext-1"), BASE);
    let body = read(
        json!({"userName": "ada@example.com", "name": {"givenName": "Augusta"}, "active": false}),
    )
    .expect("body")
    .user;
    let replaced = current.overlay(&body);
    assert_eq!(replaced.external_id, current.external_id);
    assert_eq!(replaced.id, current.id);
    let change = changes(&current, &replaced);
    assert_eq!(
        change.update,
        UserUpdate::new().first_name("Augusta").disabled(true)
    );
    assert_eq!(change.external_id, None);
}

// ---- mapping -----------------------------------------------------------------

#[test]
fn language_tags_map_to_partoos_languages() {
    let cases = [
        ("fr", Some(Lang::Fr)),
        ("fr-FR", Some(Lang::Fr)),
        ("FR_fr", Some(Lang::Fr)),
        ("fr-CA", Some(Lang::Fr)),
        ("en_US", Some(Lang::En)),
        ("en-GB", Some(Lang::En)),
        ("pt-BR", Some(Lang::PtBr)),
        ("pt_br", Some(Lang::PtBr)),
        ("PT-BR", Some(Lang::PtBr)),
        ("pt-Latn-BR", Some(Lang::PtBr)),
        ("pt", Some(Lang::Pt)),
        ("pt-PT", Some(Lang::Pt)),
        ("es-419", Some(Lang::Es)),
        ("ca-ES-valencia", Some(Lang::Ca)),
        ("de-AT", Some(Lang::De)),
        (" it ", Some(Lang::It)),
        ("ja-JP", None),
        ("zh-Hant-TW", None),
        ("", None),
        ("*", None),
        ("english", None),
        ("fr FR", None),
        ("fré", None),
        ("da, en-gb;q=0.8, en;q=0.7", Some(Lang::En)),
        ("ja;q=1, de;q=0.5, fr;q=0.9", Some(Lang::Fr)),
        ("fr;q=0, de", Some(Lang::De)),
        ("fr;q=abc", None),
        ("fr;q=1.5", None),
        ("de;q=0.001, it", Some(Lang::It)),
    ];
    for (tag, lang) in cases {
        assert_eq!(lang_from_tag(tag), lang, "{tag:?}");
    }
    for lang in Lang::NAMES.iter().filter_map(|n| Lang::from_name(n)) {
        assert_eq!(lang_from_tag(tag_for_lang(lang)), Some(lang), "{lang}");
    }
}

#[test]
fn partoo_users_become_resources() {
    let user = to_scim(&partoo_user(), None, "https://x.test/scim/v2/partoo/");
    assert_eq!(user.id.as_deref(), Some(ID));
    assert_eq!(user.active, Some(true));
    assert_eq!(user.preferred_language.as_deref(), Some("fr"));
    assert_eq!(
        user.meta.and_then(|m| m.location).as_deref(),
        Some("https://x.test/scim/v2/partoo/Users/5409c35a97bbc544d8e26737")
    );
    let nameless = PartooUser {
        first_name: "".into(),
        last_name: "".into(),
        lang: Some("xx".into()),
        ..partoo_user()
    };
    let user = to_scim(&nameless, None, BASE);
    assert_eq!((user.name, user.preferred_language), (None, None));
    let half = PartooUser {
        last_name: "".into(),
        ..partoo_user()
    };
    assert_eq!(
        to_scim(&half, None, BASE).name,
        Some(Name {
            given_name: Some("Ada".into()),
            family_name: None
        })
    );
}

#[test]
fn a_create_body_goes_through_partoos_rules_and_issues_come_back_on_scim_paths() {
    let input = read(
        json!({"userName": "not-an-email", "name": {"familyName": "Lovelace"}, "locale": "xx"}),
    )
    .expect("body");
    let payload = create_payload(&input.user);
    assert_eq!(
        *payload.body,
        json!({"email": "not-an-email", "last_name": "Lovelace"})
    );
    assert!(!format!("{payload:?}").contains("Lovelace"));
    let report = Partoo::check_json(payload.body.to_string().as_bytes());
    let moved: Vec<_> = report
        .errors
        .iter()
        .map(|i| crate::Issue {
            path: scim_pointer(&i.path),
            ..i.clone()
        })
        .collect();
    let error = ScimError::invalid(ScimType::InvalidValue, moved);
    assert_eq!(
        issues(&error),
        [
            ("/userName", Code::Email),
            ("/name/givenName", Code::Required)
        ]
    );
    let valid = read(json!({"userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "L"}, "preferredLanguage": "pt-BR", "active": true}))
        .expect("body");
    let payload = create_payload(&valid.user);
    let user = Partoo::validate_json(payload.body.to_string().as_bytes()).expect("valid");
    assert_eq!(user.lang, Some(Lang::PtBr));
    assert!(!payload.disabled && payload.follow_up().is_none());
}

#[test]
fn changes_are_partoo_fields_that_changed() {
    let before = to_scim(&partoo_user(), Some("ext-1"), BASE);
    let with = |edit: fn(&mut ScimUser)| {
        let mut after = before.clone();
        edit(&mut after);
        changes(&before, &after)
    };
    assert_eq!(with(|_| {}).update, UserUpdate::new());
    assert_eq!(
        with(|u| u.user_name = Some("new@example.com".into())).update,
        UserUpdate::new().email("new@example.com")
    );
    assert_eq!(
        with(|u| u.active = Some(false)).update,
        UserUpdate::new().disabled(true)
    );
    assert_eq!(
        with(|u| u.preferred_language = Some("de-DE".into())).update,
        UserUpdate::new().lang(Lang::De)
    );
    // The same language in another spelling is no change.
    assert_eq!(
        with(|u| u.preferred_language = Some("fr-BE".into())).update,
        UserUpdate::new()
    );
    // A locale counts when the preferred language did not change.
    assert_eq!(
        with(|u| u.locale = Some("it-IT".into())).update,
        UserUpdate::new().lang(Lang::It)
    );
    // A tag Partoo has no language for changes nothing.
    assert_eq!(
        with(|u| u.preferred_language = Some("ja".into())).update,
        UserUpdate::new()
    );
    // Partoo cannot clear these fields: removing them changes nothing.
    assert_eq!(
        with(|u| {
            u.name = None;
            u.preferred_language = None;
            u.emails.clear();
        })
        .update,
        UserUpdate::new()
    );
    assert_eq!(with(|u| u.external_id = None).external_id, Some(None));
    assert_eq!(
        with(|u| u.external_id = Some("ext-2".into())).external_id,
        Some(Some("ext-2".into()))
    );
}

#[test]
fn scim_pointers_for_partoo_fields() {
    for (partoo, scim) in [
        ("/email", "/userName"),
        ("/first_name", "/name/givenName"),
        ("/last_name", "/name/familyName"),
        ("/lang", "/preferredLanguage"),
        ("/disabled", "/active"),
        ("/role", "/role"),
        ("", ""),
    ] {
        assert_eq!(scim_pointer(partoo), scim);
    }
}

// ---- filters -----------------------------------------------------------------

#[test]
fn supported_filters() {
    let cases = [
        (
            r#"userName eq "ada@example.com""#,
            Filter::UserName("ada@example.com".into()),
        ),
        (
            r#"USERNAME EQ "ADA@EXAMPLE.COM""#,
            Filter::UserName("ADA@EXAMPLE.COM".into()),
        ),
        (r#"  username   Eq   "a"  "#, Filter::UserName("a".into())),
        ("userName\teq\t\"a\"", Filter::UserName("a".into())),
        (r#"externalId eq "00u1""#, Filter::ExternalId("00u1".into())),
        (
            r#"EXTERNALID eq "with space""#,
            Filter::ExternalId("with space".into()),
        ),
        (
            r#"externalId eq "q\"uo\\te\u00e9\/""#,
            Filter::ExternalId("q\"uo\\teé/".into()),
        ),
        (r#"externalId eq """#, Filter::ExternalId("".into())),
        (
            r#"externalId eq "😀\ud83d\ude00""#,
            Filter::ExternalId("😀😀".into()),
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#,
            Filter::UserName("a".into()),
        ),
        (
            r#"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:EXTERNALID eq "a""#,
            Filter::ExternalId("a".into()),
        ),
    ];
    for (text, filter) in cases {
        assert_eq!(Filter::parse(text), Ok(filter), "{text}");
    }
}

#[test]
fn unsupported_filters_say_why() {
    let cases = [
        ("", FilterError::Empty),
        ("   ", FilterError::Empty),
        (
            r#"userName eq "a" and externalId eq "b""#,
            FilterError::LogicalExpression,
        ),
        (
            r#"userName eq "a" OR userName eq "b""#,
            FilterError::LogicalExpression,
        ),
        (r#"not (userName eq "a")"#, FilterError::LogicalExpression),
        (r#"(userName eq "a")"#, FilterError::LogicalExpression),
        (
            r#"emails[type eq "work"].value eq "a""#,
            FilterError::LogicalExpression,
        ),
        (r#"emails.value eq "a""#, FilterError::UnsupportedAttribute),
        (
            r#"name.familyName eq "a""#,
            FilterError::UnsupportedAttribute,
        ),
        (r#"id eq "a""#, FilterError::UnsupportedAttribute),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "a""#,
            FilterError::UnsupportedAttribute,
        ),
        (r#"userName ne "a""#, FilterError::UnsupportedOperator),
        (r#"userName co "a""#, FilterError::UnsupportedOperator),
        (r#"userName SW "a""#, FilterError::UnsupportedOperator),
        ("userName pr", FilterError::UnsupportedOperator),
        (r#"userName gt "a""#, FilterError::UnsupportedOperator),
        (r#"userName equals "a""#, FilterError::Syntax),
        ("userName", FilterError::Syntax),
        ("userName eq", FilterError::Syntax),
        ("userName eq 5", FilterError::NotAString),
        ("userName eq -5", FilterError::NotAString),
        ("userName eq true", FilterError::NotAString),
        ("externalId eq NULL", FilterError::NotAString),
        ("userName eq ada", FilterError::Syntax),
        (r#"userName eq 'a'"#, FilterError::Syntax),
        (r#"userName eq "a"#, FilterError::InvalidString),
        (r#"userName eq "a\q""#, FilterError::InvalidString),
        ("userName eq \"a\u{1}\"", FilterError::InvalidString),
        (r#"userName eq "\ud800""#, FilterError::InvalidString),
        (r#"userName eq "a" "b""#, FilterError::Syntax),
        (r#"userName eq "a"x"#, FilterError::Syntax),
    ];
    for (text, error) in cases {
        assert_eq!(Filter::parse(text), Err(error), "{text}");
        let scim = error.to_scim_error();
        assert_eq!(
            (scim.status, scim.scim_type),
            (400, Some(ScimType::InvalidFilter))
        );
        assert!(scim
            .detail
            .ends_with("Supported filters: userName eq \"…\" and externalId eq \"…\"."));
    }
    let long = format!(r#"userName eq "{}""#, "a".repeat(MAX_FILTER_LEN_FOR_TEST));
    assert_eq!(Filter::parse(&long), Err(FilterError::TooLong));
    let error = Filter::parse(r#"userName sw "ada@example.com""#).unwrap_err();
    assert!(!ScimError::from(error).to_json().contains("ada"));
}

const MAX_FILTER_LEN_FOR_TEST: usize = filter::MAX_FILTER_LEN;

#[test]
fn a_username_filter_is_one_search_by_email() {
    let Lookup::Search(query) = Filter::UserName("Ada@Example.com".into()).lookup() else {
        panic!("a search")
    };
    let client = Partoo::client(crate::http::ApiKey::new("k").expect("key"));
    let request = client.search_users(&query).expect("request");
    assert_eq!(
        request.url,
        "https://api.partoo.co/v2/user/search?email=Ada%40Example.com&page=1&per_page=100&order_by=email"
    );
    assert_eq!(
        Filter::UserName("not an email".into()).lookup(),
        Lookup::NoMatch
    );
    assert_eq!(
        Filter::ExternalId("00u1".into()).lookup(),
        Lookup::ExternalId("00u1".into())
    );
}

// ---- PATCH -------------------------------------------------------------------

#[test]
fn okta_patches_without_a_path() {
    let user = patched(json!([{"op": "replace", "value": {"active": false}}]));
    assert_eq!(user.active, Some(false));
    let user = patched(json!([{"op": "replace", "value": {
        "userName": "new@example.com",
        "name": {"givenName": "Augusta", "familyName": "King"},
        "emails": [{"value": "new@example.com", "type": "work", "primary": true}],
        "externalId": "00u2", "locale": "en-US", "preferredLanguage": null
    }}]));
    assert_eq!(user.user_name, Some("new@example.com".into()));
    assert_eq!(
        user.name,
        Some(Name {
            given_name: Some("Augusta".into()),
            family_name: Some("King".into())
        })
    );
    assert_eq!(user.emails, [Email::work("new@example.com")]);
    assert_eq!(user.external_id, Some("00u2".into()));
    assert_eq!(
        (user.locale.as_deref(), user.preferred_language),
        (Some("en-US"), None)
    );
}

#[test]
fn entra_patches_with_paths_title_case_and_string_booleans() {
    for (op, value, active) in [
        ("Replace", json!("False"), false),
        ("Replace", json!("True"), true),
        ("replace", json!("false"), false),
        ("REPLACE", json!(false), false),
        ("Add", json!("FALSE"), false),
        ("aDd", json!(true), true),
    ] {
        let user = patched(json!([{"op": op, "path": "active", "value": value}]));
        assert_eq!(user.active, Some(active), "{op} {value}");
    }
    let user = patched(json!([
        {"op": "Replace", "path": "userName", "value": "ada@contoso.com"},
        {"op": "Add", "path": "name.givenName", "value": "Augusta"},
        {"op": "Replace", "path": "NAME.FAMILYNAME", "value": "King"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada@contoso.com"},
        {"op": "Add", "path": "externalId", "value": "ada"},
        {"op": "Replace", "path": "preferredLanguage", "value": "de-DE"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:locale", "value": "de-AT"},
        {"op": "Add", "path": "displayName", "value": "Augusta King"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Engines"}
    ]));
    assert_eq!(user.user_name, Some("ada@contoso.com".into()));
    assert_eq!(
        user.name
            .as_ref()
            .and_then(|n| n.given_name.as_deref())
            .map(String::as_str),
        Some("Augusta")
    );
    assert_eq!(user.emails, [Email::work("ada@contoso.com")]);
    assert_eq!(user.external_id, Some("ada".into()));
    let before = to_scim(&partoo_user(), Some("ext-1"), BASE);
    let change = changes(&before, &user);
    assert_eq!(
        change.update,
        UserUpdate::new()
            .email("ada@contoso.com")
            .first_name("Augusta")
            .last_name("King")
            .lang(Lang::De)
    );
    assert_eq!(change.external_id, Some(Some("ada".into())));
    let ignored = patch(json!([
        {"op": "Add", "path": "displayName", "value": "x"},
        {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+33 1"},
        {"op": "Add", "value": {"title": "x", "name.formatted": "x", "urn:example:custom:1.0:User:badge": "7"}},
        {"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}
    ]))
    .and_then(|p| p.apply(&before))
    .expect("ignored");
    assert_eq!(ignored.user, before);
    assert_eq!(
        ignored.ignored,
        [
            "displayName",
            "phoneNumbers",
            "name.formatted",
            "title",
            "urn:example:custom:1.0:User",
            ENTERPRISE_USER_SCHEMA
        ]
    );
}

#[test]
fn removes_clear_what_may_be_cleared() {
    let user = patched(json!([
        {"op": "remove", "path": "externalId"},
        {"op": "Remove", "path": "preferredLanguage"},
        {"op": "remove", "path": "locale"},
        {"op": "remove", "path": "emails[type eq \"work\"]"}
    ]));
    assert_eq!(user.external_id, None);
    assert_eq!(user.preferred_language, None);
    assert!(user.emails.is_empty());
    let user = patched(json!([{"op": "remove", "path": "emails"}]));
    assert!(user.emails.is_empty());
    let user = patched(json!([{"op": "replace", "path": "externalId", "value": null}]));
    assert_eq!(user.external_id, None);
}

#[test]
fn emails_can_be_added_by_type_or_replaced() {
    let user = patched(json!([
        {"op": "add", "path": "emails[type eq \"home\"].value", "value": "ada@home.example"},
        {"op": "add", "path": "emails", "value": [{"value": "ada@other.example", "type": "other"}]}
    ]));
    let kinds: Vec<_> = user.emails.iter().map(|e| e.kind.as_deref()).collect();
    assert_eq!(kinds, [Some("work"), Some("home"), Some("other")]);
    let user = patched(
        json!([{"op": "add", "path": "emails", "value": {"value": "new@example.com", "type": "WORK"}}]),
    );
    assert_eq!(user.emails.len(), 1);
    assert_eq!(user.emails[0].value.as_str(), "new@example.com");
    let user = patched(
        json!([{"op": "replace", "path": "emails[primary eq true].value", "value": "p@example.com"}]),
    );
    assert_eq!(user.emails[0].value.as_str(), "p@example.com");
    let user = patched(json!([{"op": "replace", "path": "emails", "value": []}]));
    assert!(user.emails.is_empty());
}

#[test]
fn bad_patches_are_refused_with_the_right_keyword() {
    type Case = (Value, ScimType, Vec<(&'static str, Code)>);
    let cases: Vec<Case> = vec![
        (
            json!([{"op": "replace", "path": "nickname2", "value": "x"}]),
            ScimType::InvalidPath,
            vec![("/Operations/0/path", Code::UnknownField)],
        ),
        (
            json!([{"op": "replace", "path": "name.middle", "value": "x"}]),
            ScimType::InvalidPath,
            vec![("/Operations/0/path", Code::UnknownField)],
        ),
        (
            json!([{"op": "replace", "path": "active.value", "value": true}]),
            ScimType::InvalidPath,
            vec![("/Operations/0/path", Code::UnknownField)],
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"", "value": "a"}]),
            ScimType::InvalidPath,
            vec![("/Operations/0/path", Code::UnknownField)],
        ),
        (
            json!([{"op": "replace", "path": "emails.value", "value": "a"}]),
            ScimType::InvalidPath,
            vec![("/Operations/0/path", Code::UnknownField)],
        ),
        (
            json!([{"op": "replace", "path": "emails[value co \"x\"].value", "value": "a"}]),
            ScimType::InvalidFilter,
            vec![("/Operations/0/path", Code::Rejected)],
        ),
        (
            json!([{"op": "replace", "value": {"nickName2": "x"}}]),
            ScimType::InvalidPath,
            vec![("/Operations/0/value/nickName2", Code::UnknownField)],
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
            vec![("/Operations/0/value", Code::Type)],
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": ""}]),
            ScimType::InvalidValue,
            vec![("/Operations/0/value", Code::Empty)],
        ),
        (
            json!([{"op": "replace", "path": "name", "value": {"givenName": 5}}]),
            ScimType::InvalidValue,
            vec![("/Operations/0/value/givenName", Code::Type)],
        ),
        (
            json!([{"op": "replace", "value": {"active": "no"}}]),
            ScimType::InvalidValue,
            vec![("/Operations/0/value/active", Code::Type)],
        ),
        (
            json!([{"op": "replace", "value": "active"}]),
            ScimType::InvalidValue,
            vec![("/Operations/0/value", Code::Type)],
        ),
        (
            json!([{"op": "add", "path": "active"}]),
            ScimType::InvalidValue,
            vec![("/Operations/0/value", Code::Required)],
        ),
        (
            json!([{"op": "remove"}]),
            ScimType::NoTarget,
            vec![("/Operations/0/path", Code::Required)],
        ),
        (
            json!([{"op": "remove", "path": "active"}]),
            ScimType::Mutability,
            vec![("/Operations/0/path", Code::Rejected)],
        ),
        (
            json!([{"op": "remove", "path": "userName"}, {"op": "replace", "path": "name.givenName", "value": null}]),
            ScimType::Mutability,
            vec![
                ("/Operations/0/path", Code::Rejected),
                ("/Operations/1/path", Code::Rejected),
            ],
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
            vec![("/Operations/0/path", Code::Rejected)],
        ),
        (
            json!([{"op": "replace", "value": {"meta": {}}}]),
            ScimType::Mutability,
            vec![("/Operations/0/value/meta", Code::Rejected)],
        ),
        (
            json!([{"op": "move", "path": "active", "value": true}]),
            ScimType::InvalidSyntax,
            vec![("/Operations/0/op", Code::Enum)],
        ),
        (
            json!([{"path": "active", "value": true}]),
            ScimType::InvalidSyntax,
            vec![("/Operations/0/op", Code::Required)],
        ),
        (
            json!([{"op": "add", "path": "active", "value": true, "from": "x"}]),
            ScimType::InvalidSyntax,
            vec![("/Operations/0/from", Code::UnknownField)],
        ),
        (
            json!([{"op": "add", "OP": "add", "path": "active", "value": true}]),
            ScimType::InvalidSyntax,
            vec![("/Operations/0/op", Code::Duplicate)],
        ),
        (
            json!([3]),
            ScimType::InvalidSyntax,
            vec![("/Operations/0", Code::Type)],
        ),
        (
            json!([{"op": "add", "path": 5, "value": true}]),
            ScimType::InvalidPath,
            vec![("/Operations/0/path", Code::Type)],
        ),
    ];
    for (operations, scim_type, expected) in cases {
        let error = patch_error(operations.clone());
        assert_eq!(error.scim_type, Some(scim_type), "{operations}");
        assert_eq!(issues(&error), expected, "{operations}");
        assert_eq!(error.status, 400);
    }
    let missing = patch_error(
        json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "a@b.co"}]),
    );
    assert_eq!(missing.scim_type, Some(ScimType::NoTarget));
    assert_eq!(issues(&missing), [("/Operations/0/path", Code::Rejected)]);
}

#[test]
fn bad_patch_envelopes_are_refused() {
    let parse = |body: Value| PatchOp::parse(body.to_string().as_bytes()).unwrap_err();
    let cases = [
        (json!([]), ScimType::InvalidSyntax),
        (
            json!({"schemas": [PATCH_OP_SCHEMA]}),
            ScimType::InvalidSyntax,
        ),
        (json!({"Operations": []}), ScimType::InvalidValue),
        (json!({"Operations": {}}), ScimType::InvalidSyntax),
        (
            json!({"Operations": (0..=patch::MAX_OPERATIONS).map(|_| json!({"op": "add", "path": "active", "value": true})).collect::<Vec<_>>()}),
            ScimType::InvalidValue,
        ),
        (
            json!({"schemas": [USER_SCHEMA], "Operations": [{"op": "add", "path": "active", "value": true}]}),
            ScimType::InvalidValue,
        ),
        (
            json!({"Operations": [{"op": "add", "path": "active", "value": true}], "extra": 1}),
            ScimType::InvalidSyntax,
        ),
    ];
    for (body, scim_type) in cases {
        assert_eq!(parse(body.clone()).scim_type, Some(scim_type), "{body}");
    }
    assert!(PatchOp::parse(b"{").is_err());
    let secret =
        patch_error(json!([{"op": "replace", "path": "active", "value": "ada@example.com"}]));
    assert!(!secret.to_json().contains("ada@example.com"));
}

// ---- lists -------------------------------------------------------------------

/// Serves a plan's searches from `users` (sorted) as Partoo would.
fn serve(plan: &list::PagePlan, users: &[PartooUser]) -> Vec<UserPage> {
    plan.queries()
        .iter()
        .map(|query| {
            let text = query.to_query_string().expect("valid query");
            let param = |name: &str| {
                text.split('&')
                    .find_map(|p| p.strip_prefix(&format!("{name}=")))
                    .and_then(|v| v.parse::<usize>().ok())
                    .expect("page and per_page")
            };
            let (page, per_page) = (param("page"), param("per_page"));
            assert!((1..=100).contains(&per_page), "{text}");
            assert!(text.ends_with("order_by=email"), "{text}");
            let start = (page - 1) * per_page;
            UserPage {
                users: users.iter().skip(start).take(per_page).cloned().collect(),
                page: page as u64,
                max_page: users.len().div_ceil(per_page) as u64,
                count: users.len() as u64,
            }
        })
        .collect()
}

#[test]
fn every_window_is_cut_from_one_or_two_pages() {
    let users: Vec<PartooUser> = (0..257)
        .map(|i| PartooUser {
            id: format!("{i:024x}"),
            ..PartooUser::default()
        })
        .collect();
    let mut two_calls = 0;
    for start in 1..=270u64 {
        for count in 0..=100u32 {
            let plan = ListRequest::new(start, count).plan();
            assert!(matches!(plan.queries().len(), 1 | 2));
            if plan.queries().len() == 2 {
                two_calls += 1;
                // Two calls only when no page size up to 100 holds the window.
                let first = start - 1;
                let last = first + u64::from(count) - 1;
                assert!((u64::from(count)..=100).all(|p| first / p != last / p));
            }
            let pages = serve(&plan, &users);
            let (window, total) = plan.finish(&pages);
            assert_eq!(total, 257);
            let expected: Vec<&PartooUser> = users
                .iter()
                .skip(start as usize - 1)
                .take(count as usize)
                .collect();
            assert_eq!(window, expected, "startIndex {start}, count {count}");
        }
    }
    assert!(two_calls > 0);
}

#[test]
fn list_parameters_are_read_leniently_where_the_rfc_says() {
    let cases = [
        ((None, None), (1, 100)),
        ((Some("1"), Some("1")), (1, 1)),
        ((Some("0"), Some("0")), (1, 0)),
        ((Some("-3"), Some("-3")), (1, 0)),
        ((Some("+7"), Some("1000")), (7, 100)),
        ((Some(" 2 "), Some("007")), (2, 7)),
        (
            (Some("99999999999999999999999999999999999999999"), None),
            (u64::MAX, 100),
        ),
    ];
    for ((start, count), (s, c)) in cases {
        let request = ListRequest::parse(start, count).expect("parses");
        assert_eq!(
            (request.start_index(), request.count()),
            (s, c),
            "{start:?} {count:?}"
        );
    }
    for bad in ["", "1.5", "one", "1e3", "--1", "0x10"] {
        let error = ListRequest::parse(Some(bad), None).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{bad}");
        assert_eq!(ListRequest::parse(None, Some(bad)).unwrap_err().status, 400);
    }
    // Far beyond any data: one call for the total, nothing in the window.
    let plan = ListRequest::new(u64::MAX, 100).plan();
    assert_eq!(plan.queries().len(), 1);
    assert_eq!(plan.finish(&[]).0.len(), 0);
}

#[test]
fn a_list_response_counts_its_resources() {
    let users = [partoo_user()];
    let resources: Vec<ScimUser> = users.iter().map(|u| to_scim(u, None, BASE)).collect();
    let list = ListResponse::new(resources, 42, 3);
    let json = serde_json::to_value(&list).expect("json");
    assert_eq!(json["schemas"], json!([LIST_RESPONSE_SCHEMA]));
    assert_eq!(
        (
            &json["totalResults"],
            &json["itemsPerPage"],
            &json["startIndex"]
        ),
        (&json!(42), &json!(1), &json!(3))
    );
    assert_eq!(json["Resources"][0]["userName"], "ada@example.com");
}

// ---- errors and documents ----------------------------------------------------

#[test]
fn partoo_failures_become_scim_errors() {
    let cases = [
        (
            400,
            r#"{"errors":{"json":{"first_name":["Field may not be null."]}}}"#,
            400,
            Some(ScimType::InvalidValue),
        ),
        (
            400,
            r#"{"errors":{"json":{"email":["Email already used"]}}}"#,
            409,
            Some(ScimType::Uniqueness),
        ),
        (401, "", 502, None),
        (403, "", 502, None),
        (404, "", 404, None),
        (429, "", 429, None),
        (500, "", 502, None),
        (502, "<html>", 502, None),
    ];
    for (status, body, scim_status, scim_type) in cases {
        let outcome =
            Partoo::parse_create_user_response(status, &[("Retry-After", "30")], body.as_bytes());
        let error = ScimError::from_outcome(&outcome);
        assert_eq!(
            (error.status, error.scim_type),
            (scim_status, scim_type),
            "{status} {body}"
        );
    }
    let invalid = Partoo::parse_create_user_response(
        400,
        &[],
        br#"{"errors":{"json":{"first_name":["Field may not be null."]}}}"#,
    );
    assert_eq!(
        issues(&ScimError::from_outcome(&invalid))[0].0,
        "/name/givenName"
    );
    let limited =
        Partoo::parse_user_update_response(429, &[("Retry-After", "30")], b"").unwrap_err();
    assert_eq!(
        ScimError::from_outcome(&limited).retry_after,
        Some(RetryAfter::Seconds(30))
    );
    let malformed = Partoo::parse_user_search_response(200, &[], b"[]").unwrap_err();
    assert_eq!(ScimError::from_outcome(&malformed).status, 502);
    let created = Partoo::parse_create_user_response(200, &[], br#"{"id":"u1"}"#);
    assert_eq!(ScimError::from_outcome(&created).status, 500);
}

#[test]
fn the_error_body_has_the_rfc_shape() {
    let error = ScimError::not_found();
    let json: Value = serde_json::from_str(&error.to_json()).expect("json");
    assert_eq!(
        json,
        json!({"schemas": [ERROR_SCHEMA], "status": "404", "detail": "No user has this id."})
    );
    let many: Vec<crate::Issue> = (0..12)
        .map(|i| {
            crate::Issue::new(
                format!("/x{i}"),
                Code::Type,
                "Must be a string.",
                crate::Params::new(),
            )
        })
        .collect();
    let error = ScimError::invalid(ScimType::InvalidValue, many);
    assert!(error.detail.starts_with("12 problems: /x0 type; /x1 type;"));
    assert!(error.detail.ends_with("/x9 type; …."), "{}", error.detail);
    let json: Value = serde_json::from_str(&error.to_json()).expect("json");
    assert_eq!(json["schemas"], json!([ERROR_SCHEMA, ISSUES_SCHEMA]));
    assert_eq!(
        json[ISSUES_SCHEMA]["issues"].as_array().map(Vec::len),
        Some(12)
    );
    assert_eq!(json["scimType"], "invalidValue");
    assert_eq!(
        error.to_string(),
        format!("400 invalidValue: {}", error.detail)
    );
}

#[test]
fn discovery_documents_say_what_is_supported() {
    let config = documents::service_provider_config(BASE);
    assert_eq!(config["schemas"], json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
    assert_eq!(config["patch"], json!({"supported": true}));
    assert_eq!(
        config["filter"],
        json!({"supported": true, "maxResults": 100})
    );
    for unsupported in ["bulk", "sort", "etag", "changePassword"] {
        assert_eq!(config[unsupported]["supported"], false);
    }
    let types = documents::resource_types(BASE);
    assert_eq!(types["totalResults"], 1);
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    assert_eq!(types["Resources"][0]["schemaExtensions"], json!([]));
    assert_eq!(
        types["Resources"][0]["meta"]["location"],
        format!("{BASE}/ResourceTypes/User")
    );
    let schemas = documents::schemas(BASE);
    let user = &schemas["Resources"][0];
    assert_eq!(user["id"], USER_SCHEMA);
    assert_eq!(
        user["meta"]["location"],
        format!("{BASE}/Schemas/{USER_SCHEMA}")
    );
    // Every attribute the schema lists is one the resource reads.
    for attribute in user["attributes"].as_array().into_iter().flatten() {
        let name = attribute["name"].as_str().unwrap_or_default();
        assert!(user::Attribute::lookup(name).is_some(), "{name}");
        for sub in attribute["subAttributes"].as_array().into_iter().flatten() {
            assert!(sub["name"].is_string());
        }
    }
    assert_eq!(user["attributes"][0]["uniqueness"], "server");
}

// ---- properties --------------------------------------------------------------

/// One change a patch can make, as the model applies it field by field.
#[derive(Debug, Clone)]
enum Edit {
    Active(bool),
    UserName(String),
    GivenName(String),
    FamilyName(String),
    ExternalId(Option<String>),
    PreferredLanguage(Option<String>),
    Locale(Option<String>),
    WorkEmail(String),
}

/// How the operation is written: op spelling, path or no path, case of the
/// attribute names, booleans as strings, URN prefix, `null` to clear.
#[derive(Debug, Clone)]
struct Shape {
    with_path: bool,
    op_case: u32,
    name_case: u32,
    bool_as_string: bool,
    urn: bool,
    nested_name: bool,
    clear_with_null: bool,
}

fn recase(text: &str, mask: u32) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask & (1 << (i % 32)) != 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn email() -> impl Strategy<Value = String> {
    "[a-z]{1,8}@[a-z]{1,8}\\.(com|fr)"
}

fn person() -> impl Strategy<Value = String> {
    "[A-Za-zéÉ][A-Za-zé' -]{0,10}"
}

fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("fr-FR".to_string()),
        Just("en_US".to_string()),
        Just("pt-BR".to_string()),
        Just("de".to_string()),
        Just("PT-pt".to_string()),
        Just("tlh".to_string()),
        Just("es-419".to_string()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<bool>().prop_map(Edit::Active),
        email().prop_map(Edit::UserName),
        person().prop_map(Edit::GivenName),
        person().prop_map(Edit::FamilyName),
        proptest::option::of("[A-Za-z0-9]{1,12}").prop_map(Edit::ExternalId),
        proptest::option::of(tag()).prop_map(Edit::PreferredLanguage),
        proptest::option::of(tag()).prop_map(Edit::Locale),
        email().prop_map(Edit::WorkEmail),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        any::<bool>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(with_path, op_case, name_case, bool_as_string, urn, nested_name, clear_with_null)| {
                Shape {
                    with_path,
                    op_case,
                    name_case,
                    bool_as_string,
                    urn,
                    nested_name,
                    clear_with_null,
                }
            },
        )
}

/// The operation an identity provider could send for `edit`.
fn render(edit: &Edit, shape: &Shape) -> Value {
    let set_op = recase(
        if shape.op_case % 2 == 0 {
            "replace"
        } else {
            "add"
        },
        shape.op_case >> 1,
    );
    let path = |name: &str| {
        let name = recase(name, shape.name_case);
        if shape.urn {
            format!("{USER_SCHEMA}:{name}")
        } else {
            name
        }
    };
    let (attribute, value): (&str, Option<Value>) = match edit {
        Edit::Active(active) => (
            "active",
            Some(if shape.bool_as_string {
                Value::String(recase(&active.to_string(), shape.op_case))
            } else {
                Value::Bool(*active)
            }),
        ),
        Edit::UserName(v) => ("userName", Some(json!(v))),
        Edit::GivenName(v) => ("name.givenName", Some(json!(v))),
        Edit::FamilyName(v) => ("name.familyName", Some(json!(v))),
        Edit::ExternalId(v) => ("externalId", v.as_ref().map(|v| json!(v))),
        Edit::PreferredLanguage(v) => ("preferredLanguage", v.as_ref().map(|v| json!(v))),
        Edit::Locale(v) => ("locale", v.as_ref().map(|v| json!(v))),
        Edit::WorkEmail(v) => ("emails[type eq \"work\"].value", Some(json!(v))),
    };
    let Some(value) = value else {
        if shape.clear_with_null {
            return json!({"op": set_op, "path": path(attribute), "value": null});
        }
        return json!({"op": recase("remove", shape.op_case), "path": path(attribute)});
    };
    if shape.with_path {
        return json!({"op": set_op, "path": path(attribute), "value": value});
    }
    let members = match attribute.split_once('.') {
        Some(("name", sub)) if shape.nested_name => {
            json!({recase("name", shape.name_case): {recase(sub, shape.name_case >> 4): value}})
        }
        _ => {
            let mut members = serde_json::Map::new();
            members.insert(path(attribute), value);
            Value::Object(members)
        }
    };
    json!({"op": set_op, "value": members})
}

/// The same change made directly on the fields.
fn model(user: &mut ScimUser, edit: &Edit) {
    match edit {
        Edit::Active(active) => user.active = Some(*active),
        Edit::UserName(v) => user.user_name = Some(v.as_str().into()),
        Edit::GivenName(v) => {
            user.name.get_or_insert_with(Name::default).given_name = Some(v.as_str().into())
        }
        Edit::FamilyName(v) => {
            user.name.get_or_insert_with(Name::default).family_name = Some(v.as_str().into())
        }
        Edit::ExternalId(v) => user.external_id = v.as_deref().map(Into::into),
        Edit::PreferredLanguage(v) => user.preferred_language = v.clone(),
        Edit::Locale(v) => user.locale = v.clone(),
        Edit::WorkEmail(v) => {
            if let Some(work) = user
                .emails
                .iter_mut()
                .find(|e| e.kind.as_deref() == Some("work"))
            {
                work.value = v.as_str().into();
            }
        }
    }
}

fn partoo(
    email: String,
    first: String,
    last: String,
    disabled: bool,
    lang: Option<Lang>,
) -> PartooUser {
    PartooUser {
        id: ID.into(),
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        disabled,
        lang: lang.map(|l| l.as_str().to_string()),
        ..PartooUser::default()
    }
}

fn any_lang() -> impl Strategy<Value = Option<Lang>> {
    proptest::option::of(
        proptest::sample::select(Lang::NAMES).prop_filter_map("a Lang", Lang::from_name),
    )
}

fn any_partoo() -> impl Strategy<Value = PartooUser> {
    (email(), person(), person(), any::<bool>(), any_lang())
        .prop_map(|(e, f, l, d, lang)| partoo(e, f, l, d, lang))
}

/// What Partoo does with an update: changes the fields sent.
fn apply_update(user: &PartooUser, update: &UserUpdate) -> PartooUser {
    let mut user = user.clone();
    if let Some(email) = &update.email {
        user.email = email.clone();
    }
    if let Some(first) = &update.first_name {
        user.first_name = first.clone();
    }
    if let Some(last) = &update.last_name {
        user.last_name = last.clone();
    }
    if let Some(disabled) = update.disabled {
        user.disabled = disabled;
    }
    if let Some(lang) = update.lang {
        user.lang = Some(lang.as_str().to_string());
    }
    user
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A random sequence of patch operations, in any of the shapes Okta and
    /// Entra send, gives the same resource as making the changes field by
    /// field; and the Partoo update it yields, applied to the Partoo user,
    /// gives that resource back.
    #[test]
    fn a_patch_sequence_equals_the_changes_made_field_by_field(
        start in any_partoo(),
        external_id in proptest::option::of("[a-z0-9]{1,8}"),
        edits in proptest::collection::vec((edit(), shape()), 1..12),
    ) {
        let before = to_scim(&start, external_id.as_deref(), BASE);
        let operations: Vec<Value> = edits.iter().map(|(e, s)| render(e, s)).collect();
        let op = patch(json!(operations)).map_err(|e| TestCaseError::fail(format!("{e} {:?} {operations:?}", e.issues)))?;
        let patched = op.apply(&before).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut expected = before.clone();
        for (edit, _) in &edits {
            model(&mut expected, edit);
        }
        prop_assert_eq!(&patched.user, &expected);
        prop_assert!(patched.ignored.is_empty());

        let change = changes(&before, &patched.user);
        let after = apply_update(&start, &change.update);
        let back = to_scim(&after, patched.user.external_id.as_deref().map(String::as_str), BASE);
        prop_assert_eq!(&back.user_name, &patched.user.user_name);
        prop_assert_eq!(&back.name, &patched.user.name);
        prop_assert_eq!(back.active, patched.user.active);
        prop_assert_eq!(
            change.external_id.is_some(),
            patched.user.external_id != before.external_id
        );
        // The language: the changed preferredLanguage when it maps, else the
        // changed locale when it maps, else Partoo's own.
        let changed = |now: &Option<String>, then: &Option<String>| {
            (now != then).then(|| now.as_deref().and_then(lang_from_tag)).flatten()
        };
        let lang = changed(&patched.user.preferred_language, &before.preferred_language)
            .or_else(|| changed(&patched.user.locale, &before.locale))
            .or(start.language());
        prop_assert_eq!(after.language(), lang);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No text makes the filter parser panic.
    #[test]
    fn the_filter_parser_never_panics(text in "\\PC{0,80}") {
        let _ = Filter::parse(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A valid filter in any case and spacing reads back its value, and
    /// its truncations never make the parser panic.
    #[test]
    fn filters_read_back_their_value(
        value in "\\PC{0,30}",
        attribute_case in any::<u32>(),
        operator_case in any::<u32>(),
        external in any::<bool>(),
        spaces in (1usize..4, 1usize..4, 0usize..3),
        cut in 0usize..60,
    ) {
        let attribute = recase(if external { "externalId" } else { "userName" }, attribute_case);
        let quoted = serde_json::to_string(&value).unwrap_or_default();
        let text = format!(
            "{}{attribute}{}{}{}{quoted}{}",
            " ".repeat(spaces.2),
            " ".repeat(spaces.0),
            recase("eq", operator_case),
            " ".repeat(spaces.1),
            " ".repeat(spaces.2),
        );
        let expected = if external {
            Filter::ExternalId(value.as_str().into())
        } else {
            Filter::UserName(value.as_str().into())
        };
        prop_assert_eq!(Filter::parse(&text), Ok(expected));
        let cut_at = (0..=cut.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let _ = Filter::parse(&text[..cut_at]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A Partoo user mapped to SCIM maps back to the same Partoo fields: as a
    /// create payload, through JSON, and as the update from another user.
    #[test]
    fn partoo_to_scim_and_back_keeps_the_fields(
        one in any_partoo(),
        other in any_partoo(),
        external_id in proptest::option::of("[a-z0-9]{1,8}"),
    ) {
        let scim = to_scim(&one, external_id.as_deref(), BASE);
        let payload = create_payload(&scim);
        let mut expected = json!({
            "email": one.email.as_str(),
            "first_name": one.first_name.as_str(),
            "last_name": one.last_name.as_str(),
        });
        if let Some(lang) = one.language() {
            expected["lang"] = json!(lang.as_str());
        }
        prop_assert_eq!(&*payload.body, &expected);
        prop_assert_eq!(payload.disabled, one.disabled);
        prop_assert_eq!(payload.external_id.as_deref(), external_id.as_ref());

        let json = serde_json::to_vec(&scim).unwrap_or_default();
        let read = ScimUser::read(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(create_payload(&read.user), payload);

        let update = changes(&scim, &to_scim(&other, external_id.as_deref(), BASE)).update;
        let moved = apply_update(&one, &update);
        prop_assert_eq!(&moved.email, &other.email);
        prop_assert_eq!(&moved.first_name, &other.first_name);
        prop_assert_eq!(&moved.last_name, &other.last_name);
        prop_assert_eq!(moved.disabled, other.disabled);
        prop_assert_eq!(moved.language(), other.language().or(one.language()));
        prop_assert!(update.check(&crate::Options::default()).errors.is_empty(), "{:?}", update);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No bytes or JSON make the User reader panic.
    #[test]
    fn user_readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), json in arbitrary_json()) {
        let _ = ScimUser::read(&bytes);
        let _ = ScimUser::read_value(&json);
        let _ = ScimUser::read_value(&json!({"name": json.clone(), "emails": [json]}));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No bytes or JSON make the PatchOp reader panic.
    #[test]
    fn patch_readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), json in arbitrary_json()) {
        let _ = PatchOp::parse(&bytes);
        let _ = PatchOp::parse_value(&json);
        let _ = PatchOp::parse_value(&json!({"Operations": [json.clone()]}));
        let _ = PatchOp::parse_value(&json!({"Operations": [{"op": "add", "value": json.clone()}]}));
        let _ = PatchOp::parse_value(&json!({"Operations": [{"op": "replace", "path": "name", "value": json}]}));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No PATCH path makes the resolver panic.
    #[test]
    fn any_patch_path_is_resolved_or_refused(path in "\\PC{0,60}", value in arbitrary_json()) {
        let before = to_scim(&partoo_user(), None, BASE);
        for op in ["add", "replace", "remove"] {
            if let Ok(patch) = PatchOp::parse_value(&json!({"Operations": [{"op": op, "path": path, "value": value}]})) {
                let _ = patch.apply(&before);
            }
        }
    }
}

/// Small random JSON values with SCIM-looking keys.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        Just(json!("True")),
        Just(json!("a@b.co")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let key = prop_oneof![
            Just("userName".to_string()),
            Just("name".to_string()),
            Just("givenName".to_string()),
            Just("emails".to_string()),
            Just("value".to_string()),
            Just("type".to_string()),
            Just("active".to_string()),
            Just("op".to_string()),
            Just("path".to_string()),
            Just("schemas".to_string()),
            "[a-zA-Z.\\[\\]\" ]{0,10}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key, inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
