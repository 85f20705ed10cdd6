//! RFC 9457 problem details (`application/problem+json`).

use serde::Serialize;
use worker::{Headers, Response, Result};

/// The media type of every error body the Worker sends.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details object.
///
/// `detail` must never contain request data (keys, emails, phone numbers…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A URI reference identifying the problem type; `about:blank` when the
    /// HTTP status says it all.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// Short, human-readable summary of the problem type.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// Human-readable explanation specific to this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Value of the `Allow` header for a `405`; not part of the body.
    #[serde(skip)]
    pub allow: Option<&'static str>,
}

impl Problem {
    /// A problem of type `about:blank` with the given status and title.
    pub fn new(status: u16, title: &'static str) -> Self {
        Problem {
            type_: "about:blank",
            title,
            status,
            detail: None,
            allow: None,
        }
    }

    /// Adds the occurrence-specific `detail` member.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// `404 Not Found` for an unknown `/v1/` path.
    pub fn not_found() -> Self {
        Problem::new(404, "Not Found").with_detail("There is no such endpoint.")
    }

    /// `405 Method Not Allowed`, with the `Allow` header value to send.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut problem = Problem::new(405, "Method Not Allowed")
            .with_detail(format!("This endpoint accepts {allow}."));
        problem.allow = Some(allow);
        problem
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        // Serializing this struct (strings and an integer) cannot fail; keep a
        // valid body anyway rather than panicking.
        serde_json::to_string(self)
            .unwrap_or_else(|_| format!(r#"{{"type":"about:blank","status":{}}}"#, self.status))
    }

    /// The HTTP response: status, `Content-Type: application/problem+json`,
    /// `Cache-Control: no-store` and, for a `405`, `Allow`.
    pub fn into_response(self) -> Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", PROBLEM_JSON)?;
        headers.set("cache-control", "no-store")?;
        if let Some(allow) = self.allow {
            headers.set("allow", allow)?;
        }
        Ok(Response::ok(self.to_json())?
            .with_status(self.status)
            .with_headers(headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_body() {
        let body: serde_json::Value =
            serde_json::from_str(&Problem::not_found().to_json()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "There is no such endpoint."
            })
        );
    }

    #[test]
    fn allow_is_not_in_the_body() {
        let json = Problem::method_not_allowed("GET, HEAD").to_json();
        assert!(!json.contains("allow"), "{json}");
        assert!(json.contains(r#""status":405"#), "{json}");
    }
}
