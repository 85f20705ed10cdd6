//! TinyCRM's rules and answers, one by one.

use super::*;
use crate::http::ApiKey;
use crate::{Code, Options, Report};

fn errors(json: &str) -> Vec<(String, Code)> {
    let report: Report = TinyCrm::check_json(json.as_bytes());
    let mut all: Vec<_> = report
        .errors
        .into_iter()
        .map(|i| (i.path, i.code))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[test]
fn the_example_is_valid_and_every_rule_is_reported_at_once() {
    assert!(TinyCrm::check_json(TinyCrm::EXAMPLE.as_bytes()).is_ok());
    assert_eq!(
        errors(
            r#"{"email":"x","plan":"gold","teams":[{"team_id":"t1"},{"team_id":"t1","role":"boss"}],"extra":1}"#
        ),
        [
            ("/email".to_string(), Code::Email),
            ("/extra".to_string(), Code::UnknownField),
            ("/name".to_string(), Code::Required),
            ("/plan".to_string(), Code::Enum),
            ("/teams/0/role".to_string(), Code::Required),
            ("/teams/1/role".to_string(), Code::Enum),
            ("/teams/1/team_id".to_string(), Code::Duplicate),
        ]
    );
}

#[test]
fn requests_carry_the_token_the_flag_and_the_validated_body() {
    let member =
        NewMember::new("ada@example.com", "Ada").teams(vec![Team::new("t9", TeamRole::Member)]);
    let valid = TinyCrm::validate(&member, &Options::default()).unwrap();
    let client = TinyCrm::client(ApiKey::new("tok").unwrap());
    let request = client.clone().create_user(&valid);
    assert_eq!(request.url, "https://api.tinycrm.example/v1/members");
    assert_eq!(request.header("X-Api-Token"), Some("tok"));
    assert_eq!(
        request.body.as_deref(),
        Some(
            r#"{"email":"ada@example.com","name":"Ada","teams":[{"team_id":"t9","role":"member"}]}"#
        )
    );
    assert!(!format!("{request:?}").contains("tok"));
    let flagged = client.send_welcome(false).create_user(&valid);
    assert!(flagged.url.ends_with("/v1/members?send_welcome=false"));
}

#[test]
fn answers_become_outcomes() {
    let created = TinyCrm::parse_create_user_response(201, &[], br#"{"id":"m_42"}"#);
    assert!(matches!(&created, Outcome::Created(c) if c.id == "m_42"));
    let cases: [(u16, &[u8], &str); 7] = [
        (201, br#"{"id":"not an id!"}"#, "malformed"),
        (201, b"<html>", "malformed"),
        (409, br#"{"error":"member exists"}"#, "already_exists"),
        (
            422,
            br#"{"errors":[{"field":"teams.0.role","message":"Must be one of: member, lead."}]}"#,
            "validation",
        ),
        (401, br#"{"error":"bad token"}"#, "unauthorized"),
        (429, b"", "rate_limited"),
        (503, b"", "upstream"),
    ];
    for (status, body, kind) in cases {
        let outcome = TinyCrm::parse_create_user_response(status, &[], body);
        assert_eq!(
            outcome.kind(),
            kind,
            "{status} {}",
            String::from_utf8_lossy(body)
        );
    }
    let rejected = TinyCrm::parse_create_user_response(
        422,
        &[],
        br#"{"errors":[{"field":"teams.0.role","message":"Must be one of: member, lead."}]}"#,
    );
    let failure = rejected.failure().unwrap();
    assert_eq!(failure.errors[0].path, "/teams/0/role");
    assert_eq!(failure.errors[0].code, Code::Enum);
}

#[test]
fn the_public_policy_keeps_callers_on_the_free_plan() {
    let policy = crate::policy::PolicySet::parse("{}")
        .ok()
        .and_then(|set| set.effective(crate::provider("tinycrm")?, crate::policy::Mode::Public));
    let policy = policy.expect("a public policy");
    let refused = policy.evaluate(
        crate::provider("tinycrm").unwrap(),
        TinyCrm::EXAMPLE.as_bytes(),
    );
    let mut paths: Vec<_> = refused.refusals.iter().map(|i| i.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/plan", "/teams"]);
}
