//! One structured JSON log line per request.
//!
//! Logged: request id, method, route template, provider, status, problem slug,
//! upstream status or failure, durations, idempotency handling and the
//! `{path, code}` of each issue. Never logged: bodies, headers, query strings,
//! emails, names, phone numbers, passwords, keys or tokens. Issue paths keep
//! only schema field names and array indices; any other segment (an unknown
//! key the caller sent, which could be anything) becomes `<other>`.

use enlist_core::schema::{ObjectSchema, Type};
use enlist_core::{AnyProvider, Issue};
use serde::Serialize;

/// The log line of one request.
#[derive(Debug, Default, Serialize)]
pub struct LogLine {
    /// The proxy's request id (also sent as `X-Request-Id`).
    pub request_id: String,
    /// The HTTP method, when a standard one.
    pub method: &'static str,
    /// The route template (`/v1/{provider}/users`), or `other`.
    pub route: &'static str,
    /// The provider id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'static str>,
    /// The status sent.
    pub status: u16,
    /// The problem slug, for errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The provider's status, when it was called and answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
    /// `timeout`, `network` or `too_large` when the upstream call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_failure: Option<String>,
    /// Time in the Worker, in milliseconds.
    pub duration_ms: f64,
    /// Time waiting for the provider, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_ms: Option<f64>,
    /// `fresh`, `replayed`, `in_flight` or `mismatch` for requests with an
    /// `Idempotency-Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<&'static str>,
    /// Issue paths and codes (validation, policy, provider field errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<LoggedIssue>,
    /// Operational notes (`rate_limiter_unavailable`, configuration codes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An issue as logged.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LoggedIssue {
    /// Sanitized JSON Pointer.
    pub path: String,
    /// Issue code.
    pub code: String,
}

impl LogLine {
    /// A line for a new request.
    pub fn new(request_id: &str, method: &str) -> Self {
        LogLine {
            request_id: request_id.to_string(),
            method: standard_method(method),
            route: "other",
            ..LogLine::default()
        }
    }

    /// Records issues, with paths reduced to what the schema names.
    pub fn issues(&mut self, provider: Option<&dyn AnyProvider>, issues: &[Issue]) {
        let mut names = Vec::new();
        if let Some(p) = provider {
            field_names(p.schema(), &mut names);
        }
        for issue in issues.iter().take(50) {
            self.issues.push(LoggedIssue {
                path: sanitize_path(&issue.path, &names),
                code: issue.code.as_str().to_string(),
            });
        }
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn standard_method(method: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .copied()
        .unwrap_or("OTHER")
}

/// Every field name of a schema, at any depth.
pub fn field_names(schema: &ObjectSchema, out: &mut Vec<&'static str>) {
    for field in schema.fields {
        out.push(field.name);
        let mut ty = &field.ty;
        while let Type::Array(a) = ty {
            ty = &a.items;
        }
        if let Type::Object(inner) = ty {
            field_names(inner, out);
        }
    }
}

/// `path` with every segment that is neither one of `names` nor an array
/// index replaced by `<other>`.
pub fn sanitize_path(path: &str, names: &[&str]) -> String {
    let mut out = String::new();
    for token in path.split('/').skip(1) {
        out.push('/');
        let keep =
            (!token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && token.len() < 8)
                || names.contains(&token);
        out.push_str(if keep { token } else { "<other>" });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use enlist_core::{Code, Params};

    #[test]
    fn paths_keep_only_known_names() {
        let partoo = enlist_core::provider("partoo").unwrap();
        let pandadoc = enlist_core::provider("pandadoc").unwrap();
        let mut line = LogLine::new("r", "post");
        line.issues(
            Some(partoo),
            &[
                Issue::new("/email", Code::Email, "m", Params::new()),
                Issue::new("/ada@example.com", Code::UnknownField, "m", Params::new()),
                Issue::new("/accesses/0/1", Code::Type, "m", Params::new()),
                Issue::new("", Code::InvalidJson, "m", Params::new()),
            ],
        );
        line.issues(
            Some(pandadoc),
            &[Issue::new(
                "/workspaces/3/role",
                Code::Enum,
                "m",
                Params::new(),
            )],
        );
        let paths: Vec<&str> = line.issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/email",
                "/<other>",
                "/accesses/0/1",
                "",
                "/workspaces/3/role"
            ]
        );
        assert_eq!(line.method, "POST");
        assert_eq!(LogLine::new("r", "FOO@bar").method, "OTHER");
        let json = line.to_json();
        assert!(!json.contains("ada@"), "{json}");
    }
}
