//! Partoo's user endpoints beyond create: one table per builder and parser.

use super::*;
use crate::http::ApiKey;
use crate::partoo::Environment;
use crate::{Code, RetryAfter};
use proptest::prelude::*;
use serde_json::{json, Value};

const ID: &str = "5409c35a97bbc544d8e26737";

fn client() -> Client<Partoo> {
    Partoo::client(ApiKey::new("pk_test").expect("key"))
}

/// The user object of Partoo's reference, with every documented member.
fn documented_user() -> Value {
    json!({
        "id": ID,
        "org_id": 42,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "lang": "pt-br",
        "role": "BUSINESS_MANAGER",
        "status": "invited",
        "disabled": true,
        "created_at": "2024-05-01T10:00:00",
        "sso_only": true,
        "business_ids": ["5409c35a97bbc544d8e26738"],
        "accesses": [[1, 2], [3]]
    })
}

fn user(value: &Value) -> Result<User, Outcome> {
    Partoo::parse_user_response(200, &[], value.to_string().as_bytes())
}

fn malformed_message(result: Result<impl std::fmt::Debug, Outcome>) -> String {
    match result {
        Err(Outcome::Malformed(f)) => f.message,
        other => panic!("expected malformed, got {other:?}"),
    }
}

#[test]
fn every_builder_has_its_method_path_and_headers() {
    let update = UserUpdate::new().disabled(true);
    let cases = [
        (client().get_user(ID), "GET", format!("/user/{ID}"), None),
        (
            client().search_users(&UserQuery::new()),
            "GET",
            "/user/search".to_string(),
            None,
        ),
        (
            client().update_user(ID, &update),
            "POST",
            format!("/user/{ID}"),
            Some(r#"{"disabled":true}"#),
        ),
        (
            client().delete_user(ID),
            "DELETE",
            format!("/user/{ID}"),
            None,
        ),
    ];
    for (request, method, path, body) in cases {
        let request = request.expect("request");
        assert_eq!(request.method.as_str(), method);
        assert_eq!(request.url, format!("https://api.partoo.co/v2{path}"));
        assert_eq!(request.body.as_deref(), body);
        assert_eq!(request.header("x-APIKey"), Some("pk_test"));
        assert_eq!(request.header("Accept"), Some("application/json"));
        assert_eq!(request.header("User-Agent"), Some(crate::http::USER_AGENT));
        let content_type = body.map(|_| "application/json");
        assert_eq!(request.header("Content-Type"), content_type, "{method}");
        assert!(!format!("{request:?}").contains("pk_test"));
    }
}

#[test]
fn builders_follow_the_environment_and_base_url() {
    let sandbox = client().environment(Environment::Sandbox).expect("env");
    assert_eq!(
        sandbox.get_user(ID).expect("request").url,
        format!("https://api.sandbox.partoo.co/v2/user/{ID}")
    );
    let mock = client()
        .base_url_override("http://127.0.0.1:4010/")
        .expect("url");
    assert_eq!(
        mock.search_users(&UserQuery::new().page(3))
            .expect("request")
            .url,
        "http://127.0.0.1:4010/user/search?page=3"
    );
}

#[test]
fn user_ids_are_checked_and_encoded_like_the_invite_call() {
    let encoded = [
        (ID, ID.to_string()),
        ("../admin?x=1", "..%2Fadmin%3Fx%3D1".to_string()),
        ("..", "%2E%2E".to_string()),
        ("a b#c", "a%20b%23c".to_string()),
        ("é", "%C3%A9".to_string()),
        (&*"x".repeat(256), "x".repeat(256)),
    ];
    for (id, segment) in encoded {
        let expected = format!("https://api.partoo.co/v2/user/{segment}");
        assert_eq!(client().get_user(id).expect("id").url, expected);
        assert_eq!(client().delete_user(id).expect("id").url, expected);
        let update = client()
            .update_user(id, &UserUpdate::new().sso_only(true))
            .expect("id");
        assert_eq!(update.url, expected);
    }
    let long = "x".repeat(257);
    for bad in ["", "a\nb", "a\u{0}b", "\u{7f}", long.as_str()] {
        assert_eq!(client().get_user(bad), Err(RequestError::InvalidUserId));
        assert_eq!(client().delete_user(bad), Err(RequestError::InvalidUserId));
        assert_eq!(
            client().update_user(bad, &UserUpdate::new().disabled(false)),
            Err(RequestError::InvalidUserId)
        );
    }
}

#[test]
fn search_parameters_are_encoded_in_a_fixed_order() {
    let cases = [
        (UserQuery::new(), ""),
        (
            UserQuery::new().email("Ada+news@Example.com"),
            "?email=Ada%2Bnews%40Example.com",
        ),
        (UserQuery::new().status(Status::Invited), "?status=invited"),
        (UserQuery::new().disabled(true), "?disabled=true"),
        (UserQuery::new().disabled(false), "?disabled=false"),
        (UserQuery::new().role(Role::OrgAdmin), "?role=ORG_ADMIN"),
        (UserQuery::new().page(1), "?page=1"),
        (UserQuery::new().per_page(1), "?per_page=1"),
        (UserQuery::new().per_page(100), "?per_page=100"),
        (UserQuery::new().order_by(UserOrder::Email), "?order_by=email"),
        (
            UserQuery::new().order_by(UserOrder::LastNameDesc),
            "?order_by=-last_name",
        ),
        (
            UserQuery::new()
                .order_by(UserOrder::Email)
                .per_page(100)
                .page(7)
                .role(Role::Publisher)
                .disabled(false)
                .status(Status::Active)
                .email("a@b.co"),
            "?email=a%40b.co&status=active&disabled=false&role=PUBLISHER&page=7&per_page=100&order_by=email",
        ),
    ];
    for (query, expected) in cases {
        let request = client().search_users(&query).expect("query");
        assert_eq!(
            request.url,
            format!("https://api.partoo.co/v2/user/search{expected}")
        );
        assert_eq!(request.body, None);
    }
}

#[test]
fn out_of_range_search_parameters_are_refused_without_echoing_them() {
    let cases = [
        (UserQuery::new().page(0), "page"),
        (UserQuery::new().per_page(0), "per_page"),
        (UserQuery::new().per_page(101), "per_page"),
        (UserQuery::new().email("ada"), "email"),
        (UserQuery::new().email(""), "email"),
        (UserQuery::new().email("ada@example.com\r\nX: 1"), "email"),
    ];
    for (query, parameter) in cases {
        let error = client().search_users(&query).expect_err("refused");
        assert!(
            matches!(error, RequestError::InvalidParameter { name, .. } if name == parameter),
            "{error:?}"
        );
        assert_eq!(error.code(), "invalid_parameter");
        assert!(!error.to_string().contains("ada"), "{error}");
    }
}

#[test]
fn search_debug_output_hides_the_email() {
    let query = UserQuery::new().email("ada@example.com");
    let request = client().search_users(&query).expect("query");
    for debug in [format!("{query:?}"), format!("{request:?}")] {
        assert!(!debug.contains("ada"), "{debug}");
    }
}

#[test]
fn every_order_is_partoos_spelling() {
    assert_eq!(UserOrder::NAMES.len(), 14);
    for name in UserOrder::NAMES {
        let ascending = name.trim_start_matches('-');
        assert!(UserOrder::NAMES.contains(&ascending), "{name}");
        assert!(
            UserOrder::NAMES.contains(&&*format!("-{ascending}")),
            "{name}"
        );
    }
}

#[test]
fn updates_send_only_the_fields_set() {
    let cases = [
        (
            UserUpdate::new().email("a@b.co"),
            json!({"email": "a@b.co"}),
        ),
        (
            UserUpdate::new().first_name("Ada"),
            json!({"first_name": "Ada"}),
        ),
        (
            UserUpdate::new().last_name("King"),
            json!({"last_name": "King"}),
        ),
        (
            UserUpdate::new().role(Role::GroupManager),
            json!({"role": "GROUP_MANAGER"}),
        ),
        (
            UserUpdate::new().custom_role("ops"),
            json!({"custom_role": "ops"}),
        ),
        (
            UserUpdate::new().status(Status::Active),
            json!({"status": "active"}),
        ),
        (UserUpdate::new().disabled(true), json!({"disabled": true})),
        (
            UserUpdate::new().disabled(false),
            json!({"disabled": false}),
        ),
        (
            UserUpdate::new().password("Sup3r-secret"),
            json!({"password": "Sup3r-secret"}),
        ),
        (
            UserUpdate::new().sso_only(false),
            json!({"sso_only": false}),
        ),
        (UserUpdate::new().lang(Lang::PtBr), json!({"lang": "pt-br"})),
        (
            UserUpdate::new()
                .lang(Lang::De)
                .disabled(false)
                .email("x@y.co"),
            json!({"email": "x@y.co", "disabled": false, "lang": "de"}),
        ),
    ];
    for (update, expected) in cases {
        assert!(!update.is_empty());
        let request = client().update_user(ID, &update).expect("update");
        let body: Value =
            serde_json::from_str(request.body.as_deref().unwrap_or("")).expect("json");
        assert_eq!(body, expected);
    }
    assert!(UserUpdate::new().is_empty());
    assert_eq!(
        client().update_user(ID, &UserUpdate::new()),
        Err(RequestError::InvalidParameter {
            name: "update",
            expected: "at least one field to change"
        })
    );
}

#[test]
fn update_debug_output_hides_personal_data() {
    let update = UserUpdate::new()
        .email("ada@example.com")
        .first_name("Augusta")
        .last_name("Lovelace")
        .password("Sup3r-secret!");
    let request = client().update_user(ID, &update).expect("update");
    let debug = format!("{update:?} {request:?}");
    for secret in ["ada@", "Augusta", "Lovelace", "Sup3r"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[test]
fn update_checks_use_the_create_rules_for_the_fields_set() {
    let errors = |update: UserUpdate| -> Vec<(String, Code)> {
        update
            .check(&Options::default())
            .errors
            .into_iter()
            .map(|i| (i.path, i.code))
            .collect()
    };
    let one = |path: &str, code| vec![(path.to_string(), code)];
    assert_eq!(errors(UserUpdate::new().disabled(true)), vec![]);
    assert_eq!(errors(UserUpdate::new().lang(Lang::Fr)), vec![]);
    assert_eq!(errors(UserUpdate::new().email("a@b.co")), vec![]);
    assert_eq!(
        errors(UserUpdate::new().email("a b")),
        one("/email", Code::Email)
    );
    assert_eq!(
        errors(UserUpdate::new().first_name("")),
        one("/first_name", Code::Empty)
    );
    assert_eq!(
        errors(UserUpdate::new().last_name("  ")),
        one("/last_name", Code::Empty)
    );
    assert_eq!(
        errors(UserUpdate::new().password("short")),
        vec![
            ("/password".to_string(), Code::MinLength),
            ("/password".to_string(), Code::PasswordUppercase),
            ("/password".to_string(), Code::PasswordSpecial),
        ]
    );
    assert_eq!(
        errors(UserUpdate::new().custom_role(" ")),
        one("/custom_role", Code::Empty)
    );
    let domains = Options::allowed_domains(["example.com"]);
    let report = UserUpdate::new().email("a@b.co").check(&domains);
    assert_eq!(report.errors[0].code, Code::Domain);
}

#[test]
fn the_documented_user_is_read_whole() {
    let read = user(&documented_user()).expect("user");
    assert_eq!(
        read,
        User {
            id: ID.into(),
            org_id: Some(42),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            email: "ada@example.com".into(),
            lang: Some("pt-br".into()),
            role: Some("BUSINESS_MANAGER".into()),
            status: Some(Status::Invited),
            disabled: true,
            created_at: Some("2024-05-01T10:00:00".into()),
            sso_only: true,
            business_ids: vec!["5409c35a97bbc544d8e26738".into()],
            accesses: vec![vec![1, 2], vec![3]],
        }
    );
    assert_eq!(read.language(), Some(Lang::PtBr));
    let debug = format!("{read:?}");
    for secret in ["ada@", "Ada\"", "Lovelace"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[test]
fn optional_members_may_be_missing_or_null_and_extras_are_ignored() {
    let minimal = json!({"id": ID, "email": "a@b.co"});
    let read = user(&minimal).expect("minimal");
    assert_eq!(
        read,
        User {
            id: ID.into(),
            email: "a@b.co".into(),
            ..User::default()
        }
    );
    let mut nulls = documented_user();
    for key in [
        "org_id",
        "first_name",
        "last_name",
        "lang",
        "role",
        "status",
        "disabled",
        "created_at",
        "sso_only",
        "business_ids",
        "accesses",
    ] {
        nulls[key] = Value::Null;
    }
    assert_eq!(
        user(&nulls).expect("nulls"),
        User {
            email: "ada@example.com".into(),
            ..read
        }
    );
    let mut extras = documented_user();
    extras["custom_role"] = json!("ops");
    extras["sidebar_pages"] = json!(["posts"]);
    extras["preferences"] = json!({"language": "en"});
    assert_eq!(user(&extras), user(&documented_user()));
    let mut numeric_date = documented_user();
    numeric_date["created_at"] = json!(1714557600.5);
    assert_eq!(
        user(&numeric_date).expect("number").created_at.as_deref(),
        Some("1714557600.5")
    );
    let mut unknown_lang = documented_user();
    unknown_lang["lang"] = json!("xx");
    let read = user(&unknown_lang).expect("unknown lang");
    assert_eq!((read.lang.as_deref(), read.language()), (Some("xx"), None));
}

#[test]
fn a_malformed_user_is_a_malformed_outcome_naming_the_member() {
    let cases: [(&str, Value, &str); 16] = [
        ("id", Value::Null, "id is not 24 hexadecimal digits"),
        ("id", json!("u1"), "id is not 24 hexadecimal digits"),
        ("id", json!(5409), "id is not 24 hexadecimal digits"),
        ("email", Value::Null, "email is missing"),
        ("email", json!(""), "email is missing"),
        ("email", json!(["a@b.co"]), "email is missing"),
        ("first_name", json!(1), "first_name is not a string"),
        ("last_name", json!({}), "last_name is not a string"),
        ("org_id", json!("42"), "org_id is not an integer"),
        (
            "status",
            json!("deleted"),
            "status is neither active nor invited",
        ),
        ("status", json!(true), "status is not a string"),
        ("disabled", json!("false"), "disabled is not a boolean"),
        ("sso_only", json!(0), "sso_only is not a boolean"),
        ("created_at", json!([]), "created_at is neither"),
        (
            "business_ids",
            json!(["a", 1]),
            "business_ids is not a list",
        ),
        ("accesses", json!([1, 2]), "accesses is not a list of lists"),
    ];
    for (key, value, expected) in cases {
        let mut body = documented_user();
        body[key] = value;
        let message = malformed_message(user(&body));
        assert!(message.contains(expected), "{key}: {message}");
        assert!(!message.contains("ada@example.com"), "{message}");
    }
    let mut roleless = documented_user();
    roleless["role"] = json!(7);
    assert!(malformed_message(user(&roleless)).contains("role is not a string"));
    for body in [&b"[]"[..], b"\"user\"", b"", b"{\"id\":", b"<html></html>"] {
        let message = malformed_message(Partoo::parse_user_response(200, &[], body));
        assert!(
            message.starts_with("Partoo answered HTTP 200 with"),
            "{message}"
        );
    }
}

#[test]
fn a_search_page_is_read_in_the_documented_envelope_only() {
    let page = json!({
        "users": [documented_user(), {"id": "5409c35a97bbc544d8e26739", "email": "b@c.co"}],
        "page": 2, "max_page": 3, "count": 42, "next": null
    });
    let read =
        Partoo::parse_user_search_response(200, &[], page.to_string().as_bytes()).expect("page");
    assert_eq!(read.users.len(), 2);
    assert_eq!(read.users[0], user(&documented_user()).expect("user"));
    assert_eq!((read.page, read.max_page, read.count), (2, 3, 42));
    let empty = json!({"users": [], "page": 1, "max_page": 0, "count": 0});
    let read =
        Partoo::parse_user_search_response(200, &[], empty.to_string().as_bytes()).expect("empty");
    assert_eq!(
        read,
        UserPage {
            page: 1,
            ..UserPage::default()
        }
    );

    let valid = json!({"users": [], "page": 1, "max_page": 1, "count": 0});
    let mut cases: Vec<(Value, &str)> = vec![
        (json!([]), "not an object"),
        (
            json!({"data": [], "page": 1, "max_page": 1, "count": 0}),
            "users is not a list",
        ),
        (json!({"results": [], "total": 0}), "users is not a list"),
        (
            json!({"users": {}, "page": 1, "max_page": 1, "count": 0}),
            "users is not a list",
        ),
        (
            json!({"users": [documented_user(), {"id": ID}], "page": 1, "max_page": 1, "count": 2}),
            "users[1]: email is missing",
        ),
        (
            json!({"users": [3], "page": 1, "max_page": 1, "count": 1}),
            "users[0]: not an object",
        ),
    ];
    for (key, bad, expected) in [
        ("page", Value::Null, "page is not a positive integer"),
        ("page", json!(0), "page is not a positive integer"),
        ("page", json!("1"), "page is not a positive integer"),
        ("page", json!(1.5), "page is not a positive integer"),
        ("max_page", json!(-1), "max_page is not"),
        ("count", json!("42"), "count is not"),
        ("count", Value::Null, "count is not"),
    ] {
        let mut body = valid.clone();
        body[key] = bad;
        cases.push((body, expected));
    }
    for key in ["page", "max_page", "count"] {
        let mut body = valid.clone();
        body.as_object_mut().map(|o| o.remove(key));
        cases.push((body, "is not"));
    }
    for (body, expected) in cases {
        let message = malformed_message(Partoo::parse_user_search_response(
            200,
            &[],
            body.to_string().as_bytes(),
        ));
        assert!(message.contains(expected), "{body}: {message}");
        assert!(message.starts_with("Partoo answered HTTP 200 with an unexpected search page: "));
    }
}

#[test]
fn updates_and_deletes_answer_id_and_success() {
    type Parse = fn(u16, &[(&str, &str)], &[u8]) -> Result<Acknowledged, Outcome>;
    let parsers: [Parse; 2] = [
        Partoo::parse_user_update_response,
        Partoo::parse_user_delete_response,
    ];
    for parse in parsers {
        let ok = parse(
            200,
            &[],
            br#"{"id":"5409c35a97bbc544d8e26737","status":"success"}"#,
        );
        assert_eq!(
            ok,
            Ok(Acknowledged {
                status: 200,
                id: Some(ID.into())
            })
        );
        assert_eq!(
            parse(204, &[], b""),
            Ok(Acknowledged {
                status: 204,
                id: None
            })
        );
        for bad in [
            &br#"{"id":"5409c35a97bbc544d8e26737","status":"failure"}"#[..],
            br#"{"id":"5409c35a97bbc544d8e26737"}"#,
            br#"{"status":"success"}"#,
            br#"{"id":"","status":"success"}"#,
            br#"{"id":42,"status":"success"}"#,
            b"[]",
            b"",
            b"ok",
        ] {
            let message = malformed_message(parse(200, &[], bad));
            assert!(
                message.starts_with("Partoo answered HTTP 200 with"),
                "{message}"
            );
        }
    }
}

#[test]
fn errors_are_classified_for_every_endpoint() {
    type Kind = fn(u16, &[(&str, &str)], &[u8]) -> Option<Outcome>;
    let parsers: [(Kind, &str); 4] = [
        (
            |s, h, b| Partoo::parse_user_response(s, h, b).err(),
            "read this user",
        ),
        (
            |s, h, b| Partoo::parse_user_search_response(s, h, b).err(),
            "search users",
        ),
        (
            |s, h, b| Partoo::parse_user_update_response(s, h, b).err(),
            "update this user",
        ),
        (
            |s, h, b| Partoo::parse_user_delete_response(s, h, b).err(),
            "delete this user",
        ),
    ];
    for (parse, action) in parsers {
        let run = |status: u16, headers: &[(&str, &str)], body: &str| {
            parse(status, headers, body.as_bytes()).expect("a failure")
        };
        let invalid = run(
            400,
            &[],
            r#"{"errors":{"json":{"first_name":["Field may not be null."]}}}"#,
        );
        let Outcome::Validation(f) = &invalid else {
            panic!("{invalid:?}")
        };
        assert_eq!(f.errors[0].path, "/first_name");
        let taken = run(
            400,
            &[],
            r#"{"errors":{"json":{"email":["Email ada@example.com already used"]}}}"#,
        );
        let Outcome::AlreadyExists(f) = &taken else {
            panic!("{taken:?}")
        };
        assert!(!f.message.contains("ada@"), "{}", f.message);
        assert_eq!(
            run(401, &[], r#"{"errors":{"authentication":"Bad key"}}"#).kind(),
            "unauthorized"
        );
        let forbidden = run(403, &[], "");
        assert_eq!(
            forbidden.failure().map(|f| f.message.clone()),
            Some(format!("The API key is not allowed to {action}."))
        );
        let worded = run(
            403,
            &[],
            r#"{"errors":{"authorization":"Operation not allowed"}}"#,
        );
        assert_eq!(
            worded.failure().map(|f| f.message.as_str()),
            Some("Operation not allowed")
        );
        for (body, message) in [
            (r#"{"error":"User not found"}"#, "User not found"),
            (r#"{"errors":"User not found"}"#, "User not found"),
            (r#"{"errors":{"user":"User not found"}}"#, "User not found"),
            (r#"{"error":{"message":"No such user"}}"#, "No such user"),
            (r#"{"error":{"code":"not_found"}}"#, "not_found"),
            (r#"{"message":"Missing"}"#, "Missing"),
            ("", "The provider found no such resource."),
            ("{}", "The provider found no such resource."),
            (r#"{"error":404}"#, "The provider found no such resource."),
        ] {
            let missing = run(404, &[], body);
            assert_eq!(missing.kind(), "not_found", "{body}");
            assert_eq!(
                missing.failure().map(|f| f.message.as_str()),
                Some(message),
                "{body}"
            );
        }
        let limited = run(429, &[("Retry-After", "60")], "");
        assert_eq!(limited.kind(), "rate_limited");
        assert_eq!(
            limited.failure().and_then(|f| f.retry_after),
            Some(RetryAfter::Seconds(60))
        );
        let dated = run(
            429,
            &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
            "{}",
        );
        assert_eq!(
            dated.failure().and_then(|f| f.retry_after),
            Some(RetryAfter::At(1_445_412_480))
        );
        assert_eq!(run(500, &[], "{}").kind(), "upstream");
        assert_eq!(run(503, &[], "").kind(), "upstream");
        assert_eq!(
            run(502, &[], "<html>Bad gateway</html>").kind(),
            "malformed"
        );
        assert_eq!(
            run(404, &[], r#"{"error":"user ada@example.com"}"#)
                .failure()
                .map(|f| f.message.as_str()),
            Some("user <email>")
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No status, header or body makes a parser panic, and a failure is
    /// never a success variant.
    #[test]
    fn parsers_never_panic(
        status in 0u16..1000,
        retry in proptest::option::of(".{0,40}"),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let headers: Vec<(&str, &str)> = retry.iter().map(|r| ("Retry-After", r.as_str())).collect();
        let failures = [
            Partoo::parse_user_response(status, &headers, &body).err(),
            Partoo::parse_user_search_response(status, &headers, &body).err(),
            Partoo::parse_user_update_response(status, &headers, &body).err(),
            Partoo::parse_user_delete_response(status, &headers, &body).err(),
        ];
        for failure in failures.into_iter().flatten() {
            prop_assert!(!failure.is_success());
            prop_assert!(failure.failure().is_some());
        }
    }

    /// Structured but random JSON in the documented places never panics
    /// either, and whatever is accepted has a well-formed id.
    #[test]
    fn random_json_users_are_read_or_refused(
        id in prop_oneof![Just(ID.to_string()), "[0-9a-fA-F]{22,26}", ".{0,30}"],
        disabled in prop_oneof![Just(json!(true)), Just(json!(null)), Just(json!("x")), Just(json!(1))],
        names in proptest::collection::vec(prop_oneof![Just(json!(null)), ".{0,8}".prop_map(Value::from), Just(json!(3))], 2),
        list in proptest::collection::vec(prop_oneof![Just(json!(null)), Just(json!([[1]])), Just(json!(["a"])), Just(json!({}))], 2),
    ) {
        let body = json!({
            "id": id, "email": "a@b.co", "disabled": disabled,
            "first_name": names[0], "last_name": names[1],
            "business_ids": list[0], "accesses": list[1],
        });
        if let Ok(read) = user(&body) {
            prop_assert!(is_user_id(&read.id));
        }
        let page = json!({"users": [body], "page": 1, "max_page": 1, "count": 1});
        if let Ok(read) = Partoo::parse_user_search_response(200, &[], page.to_string().as_bytes()) {
            prop_assert_eq!(read.users.len(), 1);
        }
    }
}
