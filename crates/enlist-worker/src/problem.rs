//! RFC 9457 problem details (`application/problem+json`).
//!
//! Every error the proxy sends is a [`Problem`] of one [`Kind`]; its `type` is
//! `urn:enlist:problem:<slug>`, a stable identifier the npm package and the
//! form map on. `detail` never carries request data (keys, emails, names,
//! phone numbers) nor text from an upstream answer.

use enlist_core::Issue;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The media type of every error body the Worker sends.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "urn:enlist:problem:";

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = ($status:literal, $slug:literal, $title:literal),)*) => {
        /// What went wrong; each kind has one status, slug and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Kind {
            $($(#[$doc])* $variant,)*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The HTTP status.
            pub const fn status(self) -> u16 {
                match self { $(Kind::$variant => $status,)* }
            }

            /// The slug of the `type` URN.
            pub const fn slug(self) -> &'static str {
                match self { $(Kind::$variant => $slug,)* }
            }

            /// The `title`.
            pub const fn title(self) -> &'static str {
                match self { $(Kind::$variant => $title,)* }
            }
        }
    };
}

kinds! {
    /// The request body could not be read whole: cut off before its
    /// `Content-Length`, or broken chunked framing.
    BadRequest = (400, "bad_request", "Bad request"),
    /// The body is not JSON.
    InvalidJson = (400, "invalid_json", "The body is not valid JSON"),
    /// An import file is not a readable CSV (or not UTF-8).
    InvalidCsv = (400, "invalid_csv", "The file is not a readable CSV"),
    /// A client token is required and was missing or wrong.
    Unauthorized = (401, "unauthorized", "Missing or invalid client token"),
    /// A cross-origin request from an origin not in `ALLOWED_ORIGINS`.
    OriginNotAllowed = (403, "origin_not_allowed", "Origin not allowed"),
    /// The server's policy refuses part of the payload.
    Policy = (403, "policy", "Refused by policy"),
    /// No such endpoint, provider or user.
    NotFound = (404, "not_found", "Not Found"),
    /// Known path, wrong method (see `Allow`).
    MethodNotAllowed = (405, "method_not_allowed", "Method Not Allowed"),
    /// The first request with this `Idempotency-Key` is still running.
    IdempotencyInFlight = (409, "idempotency_in_flight", "A request with this Idempotency-Key is in progress"),
    /// The client token has as many import jobs queued, running or paused
    /// as it may have at once.
    TooManyImports = (409, "too_many_imports", "Too many active import jobs"),
    /// The import job cannot do that now (resume a job that is not paused,
    /// pause a finished one…).
    ImportState = (409, "import_state", "The import job cannot do that now"),
    /// The body is over the size limit.
    PayloadTooLarge = (413, "payload_too_large", "Payload too large"),
    /// The body is not declared as JSON.
    UnsupportedMediaType = (415, "unsupported_media_type", "Unsupported media type"),
    /// The payload (or a query parameter or header) is invalid.
    Validation = (422, "validation", "Validation failed"),
    /// The provider already has a user with this email.
    AlreadyExists = (422, "already_exists", "The user already exists"),
    /// The `Idempotency-Key` was used before with another request.
    IdempotencyKeyReused = (422, "idempotency_key_reused", "Idempotency-Key reused with a different request"),
    /// Too many requests (ours or the provider's); see `Retry-After`.
    RateLimited = (429, "rate_limited", "Too many requests"),
    /// The provider failed, answered something unreadable, or refused the
    /// proxy's credentials.
    UpstreamError = (502, "upstream_error", "The provider could not complete the request"),
    /// The provider has no API key (or no usable settings) on this proxy.
    ProviderNotConfigured = (503, "provider_not_configured", "Provider not configured"),
    /// The provider did not answer in time.
    UpstreamTimeout = (504, "upstream_timeout", "The provider did not answer in time"),
    /// A bug or a runtime failure in the proxy.
    Internal = (500, "internal", "Internal error"),
}

impl Kind {
    /// The full `type` URN.
    pub fn type_uri(self) -> String {
        format!("{TYPE_PREFIX}{}", self.slug())
    }
}

/// Most issues one problem answer lists; the rest are counted
/// (`"truncated": true, "total_errors": n`), so a body of thousands of
/// unknown fields gets a bounded answer.
pub const MAX_ERRORS: usize = 100;

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
        map.serialize_entry("type", &p.kind.type_uri())?;
        map.serialize_entry("title", p.kind.title())?;
        map.serialize_entry("status", &p.kind.status())?;
        map.serialize_entry("detail", &p.detail)?;
        map.serialize_entry("request_id", self.request_id)?;
        if let Some(errors) = &p.errors {
            map.serialize_entry("errors", errors)?;
        }
        if let Some(total) = p.total_errors {
            map.serialize_entry("truncated", &true)?;
            map.serialize_entry("total_errors", &total)?;
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
