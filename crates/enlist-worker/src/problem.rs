//! RFC 9457 problem details (`application/problem+json`).
//!
//! Every error the proxy sends is a [`Problem`] of one [`Kind`]; its `type` is
//! `urn:enlist:problem:<slug>`, a stable identifier the npm package and the
//! form map on. `detail` never carries request data (keys, emails, names,
//! phone numbers) nor text from an upstream answer.

use enlist_core::proxy;
use enlist_core::proxy::problem as member;
use enlist_core::Issue;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

pub use enlist_core::proxy::PROBLEM_JSON;

/// Prefix of every problem `type`.
pub const TYPE_PREFIX: &str = proxy::PROBLEM_TYPE_PREFIX;

/// What went wrong: the contract's problem kinds, each with one status, slug
/// and title ([`enlist_core::proxy::ProblemKind`]).
pub use enlist_core::proxy::ProblemKind as Kind;

/// Most issues one problem answer lists; the rest are counted
/// (`"truncated": true, "total_errors": n`), so a body of thousands of
/// unknown fields gets a bounded answer.
pub const MAX_ERRORS: usize = proxy::MAX_PROBLEM_ERRORS;

/// One problem: kind, explanation, and for validation and policy problems the
/// issues in enlist-core's `{path, code, message, params}` shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// What went wrong.
    pub kind: Kind,
    /// Human-readable explanation of this occurrence (no request data).
    pub detail: String,
    /// Field problems, when the kind has them: at most [`MAX_ERRORS`].
    pub errors: Option<Vec<Issue>>,
    /// How many field problems there were, when more than [`MAX_ERRORS`].
    pub total_errors: Option<usize>,
    /// Seconds to wait (`Retry-After`), for 429 and 409.
    pub retry_after: Option<u64>,
    /// Value of the `Allow` header, for 405.
    pub allow: Option<&'static str>,
}

impl Problem {
    /// A problem of this kind.
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            detail: detail.into(),
            errors: None,
            total_errors: None,
            retry_after: None,
            allow: None,
        }
    }

    /// Adds the `errors` member: the first [`MAX_ERRORS`] issues, and the
    /// count of all of them when there were more.
    ///
    /// ```
    /// use enlist_core::{Code, Issue, Params};
    /// use enlist_worker::problem::{Kind, Problem, MAX_ERRORS};
    /// let issue = Issue::new("/x", Code::UnknownField, "Unknown field.", Params::new());
    /// let problem = Problem::new(Kind::Validation, "6000 problem(s).").with_errors(vec![issue; 6000]);
    /// assert_eq!(problem.errors.as_ref().map(Vec::len), Some(MAX_ERRORS));
    /// assert_eq!(problem.total_errors, Some(6000));
    /// assert!(problem.to_json("r").contains(r#""truncated":true,"total_errors":6000"#));
    /// ```
    pub fn with_errors(mut self, mut errors: Vec<Issue>) -> Self {
        if errors.len() > MAX_ERRORS {
            self.total_errors = Some(errors.len());
            errors.truncate(MAX_ERRORS);
        }
        self.errors = Some(errors);
        self
    }

    /// Sets `Retry-After`.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// `404` for anything that is not an endpoint.
    pub fn not_found() -> Self {
        Problem::new(Kind::NotFound, "There is no such endpoint.")
    }

    /// `405`, with the `Allow` header value to send.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut problem = Problem::new(
            Kind::MethodNotAllowed,
            format!("This endpoint accepts {allow}."),
        );
        problem.allow = Some(allow);
        problem
    }

    /// The JSON body, stamped with the request id.
    pub fn to_json(&self, request_id: &str) -> String {
        let body = Body {
            problem: self,
            request_id,
        };
        // Strings, integers and issues: serializing cannot fail; keep a valid
        // body anyway rather than panicking.
        serde_json::to_string(&body).unwrap_or_else(|_| {
            format!(
                r#"{{"type":"{}","title":"{}","status":{},"detail":"","request_id":""}}"#,
                self.kind.type_uri(),
                self.kind.title(),
                self.kind.status()
            )
        })
    }
}

struct Body<'a> {
    problem: &'a Problem,
    request_id: &'a str,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.problem;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(member::TYPE.name, &p.kind.type_uri())?;
        map.serialize_entry(member::TITLE.name, p.kind.title())?;
        map.serialize_entry(member::STATUS.name, &p.kind.status())?;
        map.serialize_entry(member::DETAIL.name, &p.detail)?;
        map.serialize_entry(member::REQUEST_ID.name, self.request_id)?;
        if let Some(errors) = &p.errors {
            map.serialize_entry(member::ERRORS.name, errors)?;
        }
        if let Some(total) = p.total_errors {
            map.serialize_entry(member::TRUNCATED.name, &true)?;
            map.serialize_entry(member::TOTAL_ERRORS.name, &total)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enlist_core::{Code, Params};

    #[test]
    fn body_shape() {
        let json = Problem::new(Kind::Validation, "1 problem.")
            .with_errors(vec![Issue::new(
                "/email",
                Code::Required,
                "email is required.",
                Params::new(),
            )])
            .to_json("r1");
        let body: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "urn:enlist:problem:validation",
                "title": "Validation failed",
                "status": 422,
                "detail": "1 problem.",
                "request_id": "r1",
                "errors": [{"path": "/email", "code": "required", "message": "email is required."}]
            })
        );
    }

    /// Issue 17: 6,000 unknown fields gave a 605 KB answer.
    #[test]
    fn errors_are_capped_and_counted() {
        let issues: Vec<Issue> = (0..6000)
            .map(|i| {
                Issue::new(
                    format!("/field{i}"),
                    Code::UnknownField,
                    "Unknown field.",
                    Params::new(),
                )
            })
            .collect();
        let json = Problem::new(Kind::Validation, "6000 problem(s).")
            .with_errors(issues.clone())
            .to_json("r");
        let body: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(body["errors"].as_array().unwrap().len(), MAX_ERRORS);
        assert_eq!(body["errors"][99]["path"], "/field99");
        assert_eq!(body["truncated"], true);
        assert_eq!(body["total_errors"], 6000);
        assert!(json.len() < 10_000, "{} bytes", json.len());
        let exact = Problem::new(Kind::Validation, "100 problem(s).")
            .with_errors(issues[..MAX_ERRORS].to_vec())
            .to_json("r");
        let body: serde_json::Value = serde_json::from_str(&exact).unwrap();
        assert_eq!(body["errors"].as_array().unwrap().len(), MAX_ERRORS);
        assert!(body.get("truncated").is_none() && body.get("total_errors").is_none());
    }

    #[test]
    fn allow_is_not_in_the_body() {
        let json = Problem::method_not_allowed("GET, HEAD").to_json("r");
        let body: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["detail", "request_id", "status", "title", "type"],
            "{json}"
        );
        assert_eq!(body["status"], 405);
    }

    /// The members are the contract's (`enlist_core::proxy::problem`), the
    /// required ones always there.
    #[test]
    fn body_members_are_the_contract_s() {
        let issue = Issue::new("/x", Code::UnknownField, "Unknown field.", Params::new());
        let json = Problem::new(Kind::Validation, "101 problem(s).")
            .with_errors(vec![issue; MAX_ERRORS + 1])
            .to_json("r");
        let body: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut names: Vec<&str> = member::MEMBERS.iter().map(|m| m.name).collect();
        keys.sort_unstable();
        names.sort_unstable();
        assert_eq!(keys, names, "every member");
        let bare = Problem::not_found().to_json("r");
        let body: serde_json::Value = serde_json::from_str(&bare).unwrap();
        for m in member::MEMBERS {
            assert_eq!(body.get(m.name).is_some(), m.required, "{}", m.name);
        }
    }

    #[test]
    fn slugs_are_unique_snake_case() {
        let mut slugs: Vec<&str> = Kind::ALL.iter().map(|k| k.slug()).collect();
        assert!(slugs
            .iter()
            .all(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), Kind::ALL.len());
    }
}
