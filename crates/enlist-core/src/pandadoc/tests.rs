//! PandaDoc's rules, one table per rule, taken from the spec.

use super::*;
use crate::http::{ApiKey, RequestError};
use crate::{Code, Options, Outcome, Report, RetryAfter};
use serde_json::{json, Value};

/// The spec's own request example.
fn example() -> Value {
    json!({
        "user": {"email": "test@pandadoc.com", "first_name": "New", "last_name": "User", "phone_number": ""},
        "workspaces": [{"workspace_id": "Ab123", "role": "Collaborator"}],
        "license": "Guest"
    })
}

fn check(value: &Value) -> Report {
    PandaDoc::check_json(value.to_string().as_bytes())
}

fn errors(value: &Value) -> Vec<(String, Code)> {
    check(value)
        .errors
        .into_iter()
        .map(|i| (i.path, i.code))
        .collect()
}

fn one(path: &str, code: Code) -> Vec<(String, Code)> {
    vec![(path.to_string(), code)]
}

fn edit(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = example();
    f(&mut v);
    v
}

#[test]
fn the_specs_example_is_valid() {
    assert_eq!(check(&example()), Report::default());
}

#[test]
fn user_license_and_workspaces_are_required() {
    assert_eq!(
        errors(&json!({})),
        vec![
            ("/user".to_string(), Code::Required),
            ("/license".to_string(), Code::Required),
            ("/workspaces".to_string(), Code::Required)
        ]
    );
    assert_eq!(
        errors(&edit(|v| v["user"] = json!({}))),
        one("/user/email", Code::Required)
    );
}

#[test]
fn only_the_email_is_required_in_user() {
    assert!(check(&edit(|v| v["user"] = json!({"email": "a@pandadoc.com"}))).is_ok());
}

#[test]
fn every_license_in_exact_case() {
    for license in License::NAMES {
        assert!(
            check(&edit(|v| v["license"] = json!(license))).is_ok(),
            "{license}"
        );
    }
    for bad in ["guest", "esign", "ReadOnly", "Read-Only", "Admin"] {
        assert_eq!(
            errors(&edit(|v| v["license"] = json!(bad))),
            one("/license", Code::Enum),
            "{bad}"
        );
    }
    let report = check(&edit(|v| v["license"] = json!("read-only")));
    assert_eq!(
        report.errors[0].params.get_str("suggestion"),
        Some("Read-only")
    );
}

#[test]
fn every_workspace_role_in_exact_case() {
    for role in WorkspaceRole::NAMES {
        assert!(
            check(&edit(|v| v["workspaces"][0]["role"] = json!(role))).is_ok(),
            "{role}"
        );
    }
    assert_eq!(
        errors(&edit(|v| v["workspaces"][0]["role"] = json!("collaborator"))),
        one("/workspaces/0/role", Code::Enum)
    );
}

#[test]
fn each_workspace_needs_an_id_and_a_role() {
    let v = edit(|v| {
        v["workspaces"] = json!([{"workspace_id": "A"}, {"role": "Member"}, {"workspace_id": "", "role": "Member"}])
    });
    assert_eq!(
        errors(&v),
        vec![
            ("/workspaces/0/role".to_string(), Code::Required),
            ("/workspaces/1/workspace_id".to_string(), Code::Required),
            ("/workspaces/2/workspace_id".to_string(), Code::Empty)
        ]
    );
}

#[test]
fn the_same_workspace_twice_is_a_duplicate() {
    let v = edit(|v| {
        v["workspaces"] = json!([
            {"workspace_id": "A", "role": "Member"},
            {"workspace_id": "B", "role": "Member"},
            {"workspace_id": "A", "role": "Admin"}
        ])
    });
    let report = check(&v);
    assert_eq!(
        errors(&v),
        one("/workspaces/2/workspace_id", Code::Duplicate)
    );
    assert_eq!(report.errors[0].params.get_int("first"), Some(0));
}

#[test]
fn workspaces_must_be_a_non_empty_array_of_objects() {
    assert_eq!(
        errors(&edit(|v| v["workspaces"] = json!([]))),
        one("/workspaces", Code::Empty)
    );
    assert_eq!(
        errors(&edit(|v| v["workspaces"] = json!({}))),
        one("/workspaces", Code::Type)
    );
    assert_eq!(
        errors(&edit(|v| v["workspaces"] = json!(["Ab123"]))),
        one("/workspaces/0", Code::Type)
    );
}

#[test]
fn phone_number_may_be_empty_or_international() {
    for ok in ["", "+14842634627", "+44 20 7946 0958"] {
        assert!(
            check(&edit(|v| v["user"]["phone_number"] = json!(ok))).is_ok(),
            "{ok}"
        );
    }
    for bad in ["4842634627", "+1", "phone", " "] {
        assert_eq!(
            errors(&edit(|v| v["user"]["phone_number"] = json!(bad))),
            one("/user/phone_number", Code::Phone),
            "{bad}"
        );
    }
    let report = check(&edit(|v| v["user"]["phone_number"] = json!("+1 484")));
    assert!(!report.errors[0].message.contains("484"));
}

#[test]
fn email_is_checked_and_domains_enforced() {
    assert_eq!(
        errors(&edit(|v| v["user"]["email"] = json!("test@"))),
        one("/user/email", Code::Email)
    );
    let opts = Options::allowed_domains(["pandadoc.com"]);
    assert!(PandaDoc::check_json_with(example().to_string().as_bytes(), &opts).is_ok());
    let other = edit(|v| v["user"]["email"] = json!("test@gmail.com"));
    let report = PandaDoc::check_json_with(other.to_string().as_bytes(), &opts);
    assert_eq!(report.errors[0].path, "/user/email");
    assert_eq!(report.errors[0].code, Code::Domain);
    // Subdomains are different domains.
    let sub = edit(|v| v["user"]["email"] = json!("test@eu.pandadoc.com"));
    assert!(!PandaDoc::check_json_with(sub.to_string().as_bytes(), &opts).is_ok());
}

#[test]
fn unknown_fields_at_every_level() {
    let v = edit(|v| {
        v["user"]["phone"] = json!("+14842634627");
        v["workspaces"][0]["id"] = json!("x");
        v["notify_user"] = json!(true);
    });
    let report = check(&v);
    let got: Vec<(&str, Code, Option<&str>)> = report
        .errors
        .iter()
        .map(|i| (i.path.as_str(), i.code, i.params.get_str("suggestion")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("/notify_user", Code::UnknownField, None),
            ("/user/phone", Code::UnknownField, Some("phone_number")),
            ("/workspaces/0/id", Code::UnknownField, None)
        ]
    );
}

#[test]
fn typed_model_and_request() {
    let user = PandaDoc::validate_json(example().to_string().as_bytes()).expect("valid");
    assert_eq!(user.license, License::Guest);
    assert_eq!(user.workspaces[0].role, WorkspaceRole::Collaborator);
    let key = ApiKey::new("3039ba033eb1410caa0a2227158d63c9d6502cd8").expect("key");
    let req = PandaDoc::client(key.clone()).create_user(&user);
    assert_eq!(req.url, "https://api.pandadoc.com/public/v1/users");
    assert_eq!(
        req.header("Authorization"),
        Some("API-Key 3039ba033eb1410caa0a2227158d63c9d6502cd8")
    );
    let body: Value = serde_json::from_str(req.body.as_deref().unwrap_or("")).expect("json");
    assert_eq!(body, example());
    let flagged = PandaDoc::client(key.clone())
        .notify_workspace_admins(false)
        .notify_user(true)
        .create_user(&user);
    assert_eq!(
        flagged.url,
        "https://api.pandadoc.com/public/v1/users?notify_user=true&notify_ws_admins=false"
    );
    let debug = format!("{flagged:?} {user:?}");
    assert!(!debug.contains("3039ba03"));
    assert!(!debug.contains("test@pandadoc.com"));
    assert!(matches!(
        PandaDoc::client(key).flag("notify_everyone", true),
        Err(RequestError::UnknownOption { .. })
    ));
}

#[test]
fn builder() {
    let user = NewUser::with_workspace("a@acme.com", License::Full, "W1", WorkspaceRole::Admin)
        .name("A", "B")
        .phone_number("+14842634627")
        .workspace("W2", WorkspaceRole::Member);
    assert!(PandaDoc::validate(&user, &Options::default()).is_ok());
    let dup = user.workspace("W1", WorkspaceRole::Member);
    let report = PandaDoc::validate(&dup, &Options::default()).expect_err("duplicate");
    assert_eq!(report.errors[0].path, "/workspaces/2/workspace_id");
}

#[test]
fn responses_are_classified() {
    let created = PandaDoc::parse_create_user_response(
        201,
        &[],
        br#"{"workspaces":[{"workspace_id":"MwZbjUVD5C3srSSxkpF4Aj","role":"Member","member_id":"VQDH2hdAPJBhSWmMrYa3zu"}],"user_id":"KwahvjapLm4RDf6pfyYdjA"}"#,
    );
    let Outcome::Created(c) = &created else {
        panic!("{created:?}")
    };
    assert_eq!(c.id, "KwahvjapLm4RDf6pfyYdjA");
    assert_eq!(c.workspaces[0].member_id, "VQDH2hdAPJBhSWmMrYa3zu");

    let exists = PandaDoc::parse_create_user_response(
        400,
        &[],
        br#"{"type":"request_error","detail":{"email":["User already exists"]}}"#,
    );
    assert_eq!(exists.kind(), "already_exists");
    assert_eq!(
        exists.failure().map(|f| f.errors[0].path.as_str()),
        Some("/user/email")
    );

    let invalid = PandaDoc::parse_create_user_response(
        400,
        &[],
        br#"{"type":"request_error","detail":{"email":["User email should have the same email domain as org admin.","Enter a valid email address."],"role":["Role is not a valid choice."],"license":["Unable to add more licenses."],"workspace_id":["Workspace with uuid {uuid} not found."]}}"#,
    );
    let Outcome::Validation(f) = &invalid else {
        panic!("{invalid:?}")
    };
    let got: Vec<(&str, Code)> = f.errors.iter().map(|i| (i.path.as_str(), i.code)).collect();
    assert_eq!(
        got,
        vec![
            ("/user/email", Code::Domain),
            ("/user/email", Code::Email),
            ("/workspaces", Code::Enum),
            ("/license", Code::Rejected),
            ("/workspaces", Code::Rejected)
        ]
    );

    let unauthorized = PandaDoc::parse_create_user_response(
        401,
        &[],
        br#"{"type":"authentication_error","detail":"Authentication credentials were not provided."}"#,
    );
    assert!(
        matches!(&unauthorized, Outcome::Unauthorized(f) if f.message.starts_with("Authentication credentials"))
    );
    let forbidden = PandaDoc::parse_create_user_response(
        403,
        &[],
        br#"{"type":"permission_error","detail":"You do not have permission to perform this action.","info_message":"Only admins."}"#,
    );
    assert!(matches!(&forbidden, Outcome::Forbidden(f) if f.message == "Only admins."));
    assert_eq!(
        PandaDoc::parse_create_user_response(
            404,
            &[],
            br#"{"type":"request_error","detail":"Not found"}"#
        )
        .kind(),
        "not_found"
    );
    let throttled = PandaDoc::parse_create_user_response(
        429,
        &[("Retry-After", "60")],
        br#"{"type":"throttled","detail":"Request was throttled."}"#,
    );
    assert_eq!(
        throttled.failure().and_then(|f| f.retry_after),
        Some(RetryAfter::Seconds(60))
    );
    assert_eq!(
        PandaDoc::parse_create_user_response(201, &[], b"{}").kind(),
        "malformed"
    );
    // A membership without some members still reads (as "").
    let partial = PandaDoc::parse_create_user_response(
        201,
        &[],
        br#"{"user_id":"U1","workspaces":[{"workspace_id":"W1"},7]}"#,
    );
    assert_eq!(partial.kind(), "created");
}

/// Issue 17: the success fields were relayed whatever they held.
#[test]
fn success_fields_are_checked() {
    let created = |user_id: &str, workspace_id: &str, role: &str, member_id: &str| {
        let body = serde_json::json!({
            "user_id": user_id,
            "workspaces": [
                {"workspace_id": "MwZbjUVD5C3srSSxkpF4Aj", "role": "Member", "member_id": "VQDH2hdAPJBhSWmMrYa3zu"},
                {"workspace_id": workspace_id, "role": role, "member_id": member_id},
            ],
        })
        .to_string();
        PandaDoc::parse_create_user_response(201, &[], body.as_bytes()).kind()
    };
    let id = "KwahvjapLm4RDf6pfyYdjA";
    assert_eq!(created(id, "Ab123", "Collaborator", "m-1"), "created");
    assert_eq!(created(id, "Ab123", "Billing admin", "m-1"), "created");
    let long = "a".repeat(10_000);
    let key = "API-Key 3039ba033eb1410caa0a2227158d63c9d6502cd8";
    for (user_id, workspace_id, role, member_id) in [
        (long.as_str(), "w", "Member", "m"),
        (key, "w", "Member", "m"),
        (id, &long[..129], "Member", "m"),
        (id, key, "Member", "m"),
        (id, "w", &long[..65], "m"),
        (id, "w", "<b>Admin</b>", "m"),
        (id, "w", " Admin", "m"),
        (id, "w", "Member", &long[..129]),
        (id, "w", "Member", "m/../x"),
        ("", "w", "Member", "m"),
    ] {
        assert_eq!(
            created(user_id, workspace_id, role, member_id),
            "malformed",
            "{user_id} {workspace_id} {role} {member_id}"
        );
    }
    assert_eq!(
        PandaDoc::parse_create_user_response(503, &[], b"").kind(),
        "upstream"
    );
    assert_eq!(
        PandaDoc::parse_create_user_response(500, &[], br#"{"type":"server_error"}"#).kind(),
        "upstream"
    );
}

// ---- public mode: PUBLIC_POLICY ----------------------------------------------

#[test]
fn public_callers_cannot_create_workspace_admins_or_managers() {
    let registered = crate::provider(PandaDoc::ID).expect("registered");
    let policy = crate::policy::PolicySet::default()
        .effective(registered, crate::policy::Mode::Public)
        .expect("PandaDoc has a public policy");
    let body = br#"{"user":{"email":"a@acme.com"},"license":"Full","workspaces":[
        {"workspace_id":"w1","role":"Member"},{"workspace_id":"w2","role":"Admin"},
        {"workspace_id":"w3","role":"Manager"},{"workspace_id":"w4","role":"Collaborator"}]}"#;
    let ev = policy.evaluate(registered, body);
    let paths: Vec<&str> = ev.refusals.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["/workspaces/1/role", "/workspaces/2/role"]);
    assert!(!policy.allows_invite());
}
