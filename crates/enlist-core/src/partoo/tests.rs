//! Partoo's rules, one table per rule, taken from the spec.

use super::*;
use crate::http::ApiKey;
use crate::{Code, Options, Outcome, Report, RetryAfter};
use serde_json::{json, Value};

/// The smallest valid payload.
fn base() -> Value {
    json!({"email": "perceval@example.com", "first_name": "Perceval", "last_name": "de Galles"})
}

fn with(mut value: Value, key: &str, field: Value) -> Value {
    value[key] = field;
    value
}

fn check(value: &Value) -> Report {
    Partoo::check_json(value.to_string().as_bytes())
}

/// `(path, code)` of every error.
fn errors(value: &Value) -> Vec<(String, Code)> {
    check(value)
        .errors
        .into_iter()
        .map(|i| (i.path, i.code))
        .collect()
}

fn warnings(value: &Value) -> Vec<(String, Code)> {
    check(value)
        .warnings
        .into_iter()
        .map(|i| (i.path, i.code))
        .collect()
}

fn one(path: &str, code: Code) -> Vec<(String, Code)> {
    vec![(path.to_string(), code)]
}

#[test]
fn minimal_payload_is_valid() {
    assert_eq!(check(&base()), Report::default());
}

#[test]
fn full_payload_with_every_field_is_valid() {
    let full = json!({
        "email": "perceval@example.com",
        "first_name": "Perceval",
        "last_name": "de Galles",
        "org_id": 42,
        "accesses": [[1, 2], [1, 3]],
        "business_ids": ["5409c35a97bbc544d8e26737"],
        "role": "GROUP_MANAGER",
        "custom_role": "my_custom_role",
        "sidebar_pages": ["posts", "messages"],
        "send_invitation": false,
        "status": "invited",
        "password": "Sup3r-secret",
        "lang": "fr",
        "sso_only": false
    });
    let report = check(&full);
    assert!(report.errors.is_empty(), "{report}");
    // business_ids with a GROUP_MANAGER is ignored; sidebar_pages is deprecated.
    assert_eq!(
        warnings(&full),
        vec![
            ("/business_ids".to_string(), Code::Ignored),
            ("/sidebar_pages".to_string(), Code::Deprecated)
        ]
    );
}

#[test]
fn required_fields_are_reported_together() {
    assert_eq!(
        errors(&json!({})),
        vec![
            ("/email".to_string(), Code::Required),
            ("/first_name".to_string(), Code::Required),
            ("/last_name".to_string(), Code::Required)
        ]
    );
}

#[test]
fn root_must_be_an_object() {
    for root in [json!([]), json!("x"), json!(null), json!(1)] {
        assert_eq!(errors(&root), one("", Code::Type), "{root}");
    }
}

#[test]
fn invalid_json_is_one_precise_error() {
    let report = Partoo::check_json(b"{\"email\": ");
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].code, Code::InvalidJson);
    assert_eq!(report.errors[0].params.get_int("line"), Some(1));
}

#[test]
fn every_role_is_accepted_and_provider_is_not() {
    for role in Role::NAMES {
        assert_eq!(
            check(&with(base(), "role", json!(role))).errors,
            vec![],
            "{role}"
        );
    }
    for bad in ["PROVIDER", "org_admin", "Org_Admin", "ADMIN", ""] {
        assert_eq!(
            errors(&with(base(), "role", json!(bad))),
            one("/role", Code::Enum),
            "{bad}"
        );
    }
    // The suggestion ignores case, spaces, `-` and `_`, and allows two typos.
    for (near, suggestion) in [
        ("org_admin", Some("ORG_ADMIN")),
        (" org admin ", Some("ORG_ADMIN")),
        ("Org-Admin", Some("ORG_ADMIN")),
        ("ORG_ADMINS", Some("ORG_ADMIN")),
        ("ORG_ADMN", Some("ORG_ADMIN")),
        ("org_admn", Some("ORG_ADMIN")),
        ("ORG_MANAGR", Some("ORG_MANAGER")),
        ("OGR_ADMNI", None),
        ("ADMIN", Some("ORG_ADMIN")),
        ("OWNER", None),
        ("", None),
    ] {
        let report = check(&with(base(), "role", json!(near)));
        assert_eq!(
            report.errors[0].params.get_str("suggestion"),
            suggestion,
            "{near:?}"
        );
        let message = &report.errors[0].message;
        assert!(message.starts_with("Must be one of: ORG_ADMIN, ORG_MANAGER, "));
        match suggestion {
            Some(s) => assert!(message.ends_with(&format!(". Did you mean \"{s}\"?"))),
            None => assert!(message.ends_with(", PUBLISHER.")),
        }
    }
}

#[test]
fn every_language_is_accepted_in_exact_case_only() {
    assert_eq!(Lang::NAMES.len(), 17);
    for lang in Lang::NAMES {
        assert_eq!(
            check(&with(base(), "lang", json!(lang))).errors,
            vec![],
            "{lang}"
        );
    }
    for bad in ["pt-BR", "FR", "en-US", "pt_br", "zz"] {
        assert_eq!(
            errors(&with(base(), "lang", json!(bad))),
            one("/lang", Code::Enum),
            "{bad}"
        );
    }
    for near in ["pt-BR", "pt_br", "PT BR"] {
        let report = check(&with(base(), "lang", json!(near)));
        assert_eq!(report.errors[0].params.get_str("suggestion"), Some("pt-br"));
    }
}

#[test]
fn every_status_is_accepted() {
    for status in ["active", "invited"] {
        assert!(check(&with(base(), "status", json!(status))).is_ok());
    }
    assert_eq!(
        errors(&with(base(), "status", json!("Active"))),
        one("/status", Code::Enum)
    );
}

#[test]
fn every_sidebar_page_is_accepted_and_null_is_allowed() {
    assert_eq!(SidebarPage::NAMES.len(), 9);
    let all = with(base(), "sidebar_pages", json!(SidebarPage::NAMES));
    assert!(check(&all).is_ok());
    assert!(check(&with(base(), "sidebar_pages", json!(null))).is_ok());
    assert!(check(&with(base(), "sidebar_pages", json!([]))).is_ok());
    assert_eq!(
        errors(&with(base(), "sidebar_pages", json!(["posts", "stats"]))),
        one("/sidebar_pages/1", Code::Enum)
    );
    assert_eq!(
        errors(&with(base(), "sidebar_pages", json!(["posts", "posts"]))),
        one("/sidebar_pages/1", Code::Duplicate)
    );
    assert_eq!(
        errors(&with(base(), "sidebar_pages", json!("posts"))),
        one("/sidebar_pages", Code::Type)
    );
}

#[test]
fn sidebar_pages_is_deprecated_even_when_null() {
    assert_eq!(
        warnings(&with(base(), "sidebar_pages", json!(null))),
        one("/sidebar_pages", Code::Deprecated)
    );
}

#[test]
fn booleans_must_be_json_booleans() {
    for field in ["send_invitation", "sso_only"] {
        for ok in [json!(true), json!(false)] {
            assert!(check(&with(base(), field, ok)).is_ok());
        }
        for bad in [
            json!("true"),
            json!(1),
            json!(0),
            json!(null),
            json!("False"),
        ] {
            assert_eq!(
                errors(&with(base(), field, bad.clone())),
                one(&format!("/{field}"), Code::Type),
                "{field}={bad}"
            );
        }
    }
}

#[test]
fn org_id_is_an_integer() {
    assert!(check(&with(base(), "org_id", json!(42))).is_ok());
    assert!(check(&with(base(), "org_id", json!(-1))).is_ok());
    for bad in [json!("42"), json!(4.2), json!(null), json!([42])] {
        assert_eq!(
            errors(&with(base(), "org_id", bad.clone())),
            one("/org_id", Code::Type),
            "{bad}"
        );
    }
    let huge =
        r#"{"email":"a@b.co","first_name":"A","last_name":"B","org_id":99999999999999999999}"#;
    let report = Partoo::check_json(huge.as_bytes());
    assert_eq!(report.errors[0].code, Code::OutOfRange);
    let float_syntax = r#"{"email":"a@b.co","first_name":"A","last_name":"B","org_id":42.0}"#;
    assert_eq!(
        Partoo::check_json(float_syntax.as_bytes()).errors[0].code,
        Code::Type
    );
}

#[test]
fn accesses_is_an_array_of_arrays_of_integers() {
    let gm = with(base(), "role", json!("GROUP_MANAGER"));
    assert!(check(&with(gm.clone(), "accesses", json!([[1, 2], [1, 3]]))).is_ok());
    assert!(check(&with(gm.clone(), "accesses", json!([]))).is_ok());
    assert_eq!(
        errors(&with(gm.clone(), "accesses", json!([[1, "2"], 3, [null]]))),
        vec![
            ("/accesses/0/1".to_string(), Code::Type),
            ("/accesses/1".to_string(), Code::Type),
            ("/accesses/2/0".to_string(), Code::Type)
        ]
    );
    assert_eq!(
        errors(&with(gm, "accesses", json!({"0": [1]}))),
        one("/accesses", Code::Type)
    );
}

#[test]
fn business_ids_is_an_array_of_distinct_non_empty_strings() {
    let bm = with(base(), "role", json!("BUSINESS_MANAGER"));
    assert!(check(&with(bm.clone(), "business_ids", json!(["a", "b"]))).is_ok());
    assert_eq!(
        errors(&with(bm.clone(), "business_ids", json!(["a", 1, "", "a"]))),
        vec![
            ("/business_ids/1".to_string(), Code::Type),
            ("/business_ids/2".to_string(), Code::Empty),
            ("/business_ids/3".to_string(), Code::Duplicate)
        ]
    );
    let many: Vec<String> = (0..40).map(|i| format!("b{}", i % 30)).collect();
    let report = check(&with(bm, "business_ids", json!(many)));
    assert_eq!(report.errors.len(), 10);
    assert!(report.errors.iter().all(|e| e.code == Code::Duplicate));
    assert_eq!(report.errors[0].path, "/business_ids/30");
    assert_eq!(report.errors[0].params.get_int("first"), Some(0));
}

#[test]
fn password_rules_each_have_their_own_code() {
    let cases: &[(&str, &[Code])] = &[
        ("Sup3r-secret", &[]),
        ("Aa!aaaaa", &[]),
        ("Éé€ééééé", &[]),
        ("Aa!", &[Code::MinLength]),
        ("alllower-1", &[Code::PasswordUppercase]),
        ("ALLUPPER-1", &[Code::PasswordLowercase]),
        ("NoSpecial123", &[Code::PasswordSpecial]),
        ("With Space1", &[Code::PasswordSpecial]),
        (
            "short",
            &[
                Code::MinLength,
                Code::PasswordUppercase,
                Code::PasswordSpecial,
            ],
        ),
        (
            "",
            &[
                Code::MinLength,
                Code::PasswordUppercase,
                Code::PasswordLowercase,
                Code::PasswordSpecial,
            ],
        ),
    ];
    for (password, codes) in cases {
        let report = check(&with(base(), "password", json!(password)));
        let got: Vec<Code> = report.errors.iter().map(|i| i.code).collect();
        assert_eq!(&got, codes, "{password:?}");
        assert!(report.errors.iter().all(|i| i.path == "/password"));
        for issue in &report.errors {
            assert!(password.is_empty() || !issue.message.contains(password));
        }
    }
    let long = format!("Aa!{}", "x".repeat(200));
    assert_eq!(
        errors(&with(base(), "password", json!(long))),
        one("/password", Code::MaxLength)
    );
}

#[test]
fn password_is_ignored_when_an_invitation_is_sent() {
    let v = with(
        with(base(), "password", json!("Sup3r-secret")),
        "send_invitation",
        json!(true),
    );
    assert_eq!(warnings(&v), one("/password", Code::Ignored));
    let v = with(
        with(base(), "password", json!("Sup3r-secret")),
        "send_invitation",
        json!(false),
    );
    assert_eq!(warnings(&v), vec![]);
}

#[test]
fn accesses_and_business_ids_are_ignored_for_other_roles() {
    let v = with(
        with(base(), "accesses", json!([[1]])),
        "role",
        json!("ORG_ADMIN"),
    );
    assert_eq!(warnings(&v), one("/accesses", Code::Ignored));
    let v = with(base(), "accesses", json!([[1]]));
    assert_eq!(warnings(&v), one("/accesses", Code::Ignored));
    let v = with(
        with(base(), "business_ids", json!(["b"])),
        "role",
        json!("GROUP_MANAGER"),
    );
    assert_eq!(warnings(&v), one("/business_ids", Code::Ignored));
    let v = with(
        with(base(), "business_ids", json!(["b"])),
        "role",
        json!("BUSINESS_MANAGER"),
    );
    assert_eq!(warnings(&v), vec![]);
    let report = check(&with(base(), "accesses", json!([[1]])));
    let params = &report.warnings[0].params;
    assert_eq!(params.get_str("field"), Some("role"));
    assert_eq!(params.get_str("value"), Some("GROUP_MANAGER"));
    assert_eq!(params.get_str("because"), Some("differs"));
}

#[test]
fn names_and_custom_role_must_not_be_blank_or_absurdly_long() {
    for field in ["first_name", "last_name", "custom_role"] {
        assert_eq!(
            errors(&with(base(), field, json!(""))),
            one(&format!("/{field}"), Code::Empty)
        );
        assert_eq!(
            errors(&with(base(), field, json!("  "))),
            one(&format!("/{field}"), Code::Empty)
        );
        assert_eq!(
            errors(&with(base(), field, json!("é".repeat(256)))),
            one(&format!("/{field}"), Code::MaxLength)
        );
        assert!(check(&with(base(), field, json!("é".repeat(255)))).is_ok());
    }
}

#[test]
fn email_is_checked() {
    assert_eq!(
        errors(&with(base(), "email", json!(""))),
        one("/email", Code::Empty)
    );
    assert_eq!(
        errors(&with(base(), "email", json!("nope"))),
        one("/email", Code::Email)
    );
    assert_eq!(
        errors(&with(base(), "email", json!(null))),
        one("/email", Code::Type)
    );
    let report = check(&with(base(), "email", json!("secret-person@localhost")));
    assert_eq!(
        report.errors[0].params.get_str("reason"),
        Some("domain_not_dotted")
    );
    assert!(!report.errors[0].message.contains("secret-person"));
}

#[test]
fn allowed_domains_apply_to_partoo_too() {
    let opts = Options::allowed_domains(["Example.com"]);
    assert!(Partoo::check_json_with(base().to_string().as_bytes(), &opts).is_ok());
    let other = with(base(), "email", json!("x@other.com"));
    let report = Partoo::check_json_with(other.to_string().as_bytes(), &opts);
    assert_eq!(report.errors[0].code, Code::Domain);
}

#[test]
fn unknown_fields_are_errors_with_suggestions() {
    let report = check(&with(
        with(base(), "firstname", json!("P")),
        "Lang",
        json!("fr"),
    ));
    let got: Vec<(&str, Code, Option<&str>)> = report
        .errors
        .iter()
        .map(|i| (i.path.as_str(), i.code, i.params.get_str("suggestion")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("/Lang", Code::UnknownField, Some("lang")),
            ("/firstname", Code::UnknownField, Some("first_name"))
        ]
    );
    let report = check(&with(base(), "a/b~c", json!(1)));
    assert_eq!(report.errors[0].path, "/a~1b~0c");
    assert_eq!(report.errors[0].params.get_str("suggestion"), None);
}

#[test]
fn a_repeated_key_is_a_duplicate() {
    let text = r#"{"email":"a@b.co","first_name":"A","last_name":"B","lang":"fr","lang":"xx"}"#;
    let report = Partoo::check_json(text.as_bytes());
    assert_eq!(
        report
            .errors
            .iter()
            .map(|i| (i.path.as_str(), i.code))
            .collect::<Vec<_>>(),
        vec![("/lang", Code::Duplicate)]
    );
}

#[test]
fn validation_reports_everything_at_once() {
    // Issues follow document order (serde_json sorts this object's keys), then
    // missing required fields.
    let bad = json!({
        "email": "not-an-email",
        "first_name": "",
        "role": "PROVIDER",
        "lang": "pt-BR",
        "password": "weak",
        "send_invitation": "yes",
        "firstname": "x"
    });
    assert_eq!(
        errors(&bad),
        vec![
            ("/email".to_string(), Code::Email),
            ("/first_name".to_string(), Code::Empty),
            ("/firstname".to_string(), Code::UnknownField),
            ("/lang".to_string(), Code::Enum),
            ("/password".to_string(), Code::MinLength),
            ("/password".to_string(), Code::PasswordUppercase),
            ("/password".to_string(), Code::PasswordSpecial),
            ("/role".to_string(), Code::Enum),
            ("/send_invitation".to_string(), Code::Type),
            ("/last_name".to_string(), Code::Required),
        ]
    );
}

#[test]
fn validated_json_becomes_the_typed_model() {
    let user = Partoo::validate_json(
        br#"{"email":"a@b.co","first_name":"A","last_name":"B","role":"GROUP_MANAGER","accesses":[[1,2]],"sidebar_pages":null,"lang":"pt-br"}"#,
    )
    .expect("valid");
    assert_eq!(user.role, Some(Role::GroupManager));
    assert_eq!(user.lang, Some(Lang::PtBr));
    assert_eq!(user.accesses, Some(vec![vec![1, 2]]));
    assert_eq!(user.sidebar_pages, Some(None));
    assert_eq!(user.warnings().len(), 1);
}

#[test]
fn builder_payloads_are_validated_too() {
    let user = NewUser::new("a@b.co", "A", "B").password("weak");
    let report = Partoo::validate(&user, &Options::default()).expect_err("weak password");
    assert!(report.errors.iter().all(|i| i.path == "/password"));
    let ok = NewUser::new("a@b.co", "A", "B")
        .role(Role::BusinessManager)
        .business_ids(vec!["x".to_string()])
        .status(Status::Invited)
        .sidebar_pages(None)
        .sso_only(true)
        .org_id(7)
        .custom_role("r")
        .lang(Lang::De);
    assert!(Partoo::validate(&ok, &Options::default()).is_ok());
}

#[test]
fn debug_of_the_model_redacts_personal_data() {
    let user = NewUser::new("ada@example.com", "Ada", "Lovelace").password("Sup3r-secret");
    let debug = format!("{user:?}");
    for secret in ["ada@example.com", "Ada", "Lovelace", "Sup3r-secret"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn create_user_request_for_each_environment() {
    let user = Partoo::validate_json(base().to_string().as_bytes()).expect("valid");
    let key = ApiKey::new("pk_test").expect("key");
    let prod = Partoo::client(key.clone()).create_user(&user);
    assert_eq!(prod.url, "https://api.partoo.co/v2/user");
    assert_eq!(prod.method.as_str(), "POST");
    assert_eq!(prod.header("x-APIKey"), Some("pk_test"));
    assert_eq!(prod.header("Content-Type"), Some("application/json"));
    assert_eq!(prod.header("User-Agent"), Some(crate::http::USER_AGENT));
    let body: Value = serde_json::from_str(prod.body.as_deref().unwrap_or("")).expect("json");
    assert_eq!(body, base());
    let sandbox = Partoo::client(key.clone())
        .environment(Environment::Sandbox)
        .expect("env")
        .create_user(&user);
    assert_eq!(sandbox.url, "https://api.sandbox.partoo.co/v2/user");
    let custom = Partoo::client(key.clone())
        .base_url_override("http://127.0.0.1:4010/")
        .expect("url")
        .create_user(&user);
    assert_eq!(custom.url, "http://127.0.0.1:4010/user");
    assert!(matches!(
        Partoo::client(key).environment("staging"),
        Err(RequestError::UnknownEnvironment { .. })
    ));
    assert!(!format!("{prod:?}").contains("pk_test"));
}

#[test]
fn null_sidebar_pages_survive_the_round_trip() {
    let v = with(base(), "sidebar_pages", json!(null));
    let user = Partoo::validate_json(v.to_string().as_bytes()).expect("valid");
    let req = Partoo::client(ApiKey::new("k").expect("key")).create_user(&user);
    let body: Value = serde_json::from_str(req.body.as_deref().unwrap_or("")).expect("json");
    assert_eq!(body, v);
}

#[test]
fn invite_request_encodes_the_id() {
    let client = Partoo::client(ApiKey::new("k").expect("key"));
    let req = client.invite("5309c3a237bbc544d8e26737").expect("id");
    assert_eq!(
        req.url,
        "https://api.partoo.co/v2/user/5309c3a237bbc544d8e26737/invite"
    );
    assert_eq!(req.body, None);
    assert_eq!(req.header("content-type"), None);
    let req = client.invite("../admin?x=1").expect("id");
    assert_eq!(
        req.url,
        "https://api.partoo.co/v2/user/..%2Fadmin%3Fx%3D1/invite"
    );
    assert_eq!(client.invite(""), Err(RequestError::InvalidUserId));
    assert_eq!(client.invite("a\nb"), Err(RequestError::InvalidUserId));
}

#[test]
fn responses_are_classified() {
    let ok = Partoo::parse_create_user_response(
        200,
        &[],
        br#"{"id":"5309c3a237bbc544d8e26737","status":"success"}"#,
    );
    assert!(matches!(&ok, Outcome::Created(c) if c.id == "5309c3a237bbc544d8e26737"));

    let exists = Partoo::parse_create_user_response(
        400,
        &[],
        br#"{"errors":{"json":{"email":["Email ada@example.com already used"]}}}"#,
    );
    let Outcome::AlreadyExists(f) = &exists else {
        panic!("{exists:?}")
    };
    assert_eq!(f.errors[0].path, "/email");
    assert!(!f.message.contains("ada@example.com"));

    let invalid = Partoo::parse_create_user_response(
        400,
        &[],
        br#"{"errors":{"json":{"lang":["Must be one of: fr, en."],"accesses":{"0":{"1":["Not a valid integer."]}},"_schema":["Bad."]}}}"#,
    );
    let Outcome::Validation(f) = &invalid else {
        panic!("{invalid:?}")
    };
    let got: Vec<(&str, Code)> = f.errors.iter().map(|i| (i.path.as_str(), i.code)).collect();
    assert_eq!(
        got,
        vec![
            ("/lang", Code::Enum),
            ("/accesses/0/1", Code::Type),
            ("", Code::Rejected)
        ]
    );

    let unauthorized = Partoo::parse_create_user_response(
        401,
        &[],
        br#"{"errors":{"authentication":"User not authenticated"}}"#,
    );
    assert!(
        matches!(&unauthorized, Outcome::Unauthorized(f) if f.message == "User not authenticated")
    );
    let forbidden = Partoo::parse_create_user_response(
        403,
        &[],
        br#"{"errors":{"authorization":"Operation not allowed"}}"#,
    );
    assert_eq!(forbidden.kind(), "forbidden");
    assert_eq!(
        Partoo::parse_create_user_response(404, &[], b"").kind(),
        "not_found"
    );
    let limited = Partoo::parse_create_user_response(429, &[("retry-after", "30")], b"");
    assert_eq!(
        limited.failure().and_then(|f| f.retry_after),
        Some(RetryAfter::Seconds(30))
    );
    let dated = Partoo::parse_create_user_response(
        429,
        &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
        b"",
    );
    assert_eq!(
        dated.failure().and_then(|f| f.retry_after),
        Some(RetryAfter::At(1_445_412_480))
    );
    assert_eq!(
        Partoo::parse_create_user_response(500, &[], b"{}").kind(),
        "upstream"
    );
    assert_eq!(
        Partoo::parse_create_user_response(502, &[], b"<html><body>Bad gateway</body></html>")
            .kind(),
        "malformed"
    );
    assert_eq!(
        Partoo::parse_create_user_response(200, &[], b"{\"id\":").kind(),
        "malformed"
    );
    assert_eq!(
        Partoo::parse_create_user_response(200, &[], b"{}").kind(),
        "malformed"
    );
    assert!(matches!(
        Partoo::parse_create_user_response(200, &[], br#"{"id":42}"#),
        Outcome::Created(c) if c.id == "42"
    ));
}

/// Issue 17: a success answer's id was relayed whatever it held (a
/// 10,000-character id, an echoed credential header).
#[test]
fn success_ids_are_checked() {
    let created = |id: &str| {
        let body = serde_json::json!({"id": id, "status": "success"}).to_string();
        Partoo::parse_create_user_response(200, &[], body.as_bytes())
    };
    for good in [
        "5309c3a237bbc544d8e26737",
        "abc",
        "u-1.2_3~4",
        &"a".repeat(128),
    ] {
        assert_eq!(created(good).kind(), "created", "{good}");
    }
    for bad in [
        "a".repeat(129),
        "a".repeat(10_000),
        "x-APIKey: SECRET".into(),
        "<script>".into(),
        "id\nX".into(),
        "é".into(),
        "..".into(),
        "".into(),
    ] {
        let outcome = created(&bad);
        assert_eq!(outcome.kind(), "malformed", "{bad}");
        let failure = outcome.failure().expect("a failure");
        assert!(!failure.message.contains(&bad) || bad.is_empty());
    }
    assert_eq!(
        Partoo::parse_create_user_response(200, &[], br#"{"id":1e+5}"#).kind(),
        "malformed"
    );
    assert_eq!(
        Partoo::parse_create_user_response(400, &[], b"").kind(),
        "malformed"
    );
    assert_eq!(
        Partoo::parse_create_user_response(418, &[], b"{}").kind(),
        "upstream"
    );
}

#[test]
fn invite_responses() {
    let ok = Partoo::parse_invite_response(200, &[], br#"{"status":"success"}"#);
    assert_eq!(ok.kind(), "invited");
    assert_eq!(
        Partoo::parse_invite_response(404, &[], b"{}").kind(),
        "not_found"
    );
}

// ---- public mode: PUBLIC_POLICY ----------------------------------------------

fn public_policy() -> crate::policy::Policy {
    crate::policy::PolicySet::default()
        .effective(registered(), crate::policy::Mode::Public)
        .expect("Partoo has a public policy")
}

fn registered() -> &'static dyn crate::AnyProvider {
    crate::provider(Partoo::ID).expect("registered")
}

fn refused_paths(ev: &crate::policy::Evaluation) -> Vec<&str> {
    let mut paths: Vec<&str> = ev.refusals.iter().map(|i| i.path.as_str()).collect();
    paths.sort_unstable();
    paths
}

#[test]
fn public_callers_cannot_create_admins_or_managers() {
    let policy = public_policy();
    for role in ["ORG_ADMIN", "ORG_MANAGER", "GROUP_MANAGER", "PUBLISHER"] {
        let body = with(base(), "role", json!(role)).to_string();
        let ev = policy.evaluate(registered(), body.as_bytes());
        assert_eq!(refused_paths(&ev), ["/role"], "{role}");
        assert_eq!(ev.refusals[0].code, Code::Policy);
        assert_eq!(ev.refusals[0].params.get_str("rule"), Some("allow"));
    }
    let ok = with(base(), "role", json!("BUSINESS_MANAGER")).to_string();
    let ev = policy.evaluate(registered(), ok.as_bytes());
    assert!(ev.refusals.is_empty());
    assert_eq!(ev.body, None, "nothing to change");
    // Absent role: the default is set, so Partoo's own default never applies.
    let ev = policy.evaluate(registered(), base().to_string().as_bytes());
    assert!(ev.refusals.is_empty());
    let sent: Value = serde_json::from_slice(ev.body.as_deref().expect("changed")).expect("JSON");
    assert_eq!(sent["role"], "BUSINESS_MANAGER");
}

#[test]
fn public_callers_cannot_pick_an_organization_role_businesses_or_groups() {
    let mut body = base();
    body["org_id"] = json!(1);
    body["custom_role"] = json!("admin");
    body["business_ids"] = json!(["b"]);
    body["accesses"] = json!([[1]]);
    let ev = public_policy().evaluate(registered(), body.to_string().as_bytes());
    assert_eq!(
        refused_paths(&ev),
        ["/accesses", "/business_ids", "/custom_role", "/org_id"]
    );
    assert!(!public_policy().allows_invite());
}
