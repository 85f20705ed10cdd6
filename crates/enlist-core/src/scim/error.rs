//! The SCIM error body (RFC 7644 §3.12) as data: `status` (a JSON string, as
//! the RFC has it), `scimType` for 400s, a `detail` that never repeats a
//! value, and for validation failures every [`Issue`] in enlist's extension
//! [`ISSUES_SCHEMA`].
//!
//! ```
//! use enlist_core::scim::{ScimError, ScimType};
//!
//! let error = ScimError::bad_request(ScimType::InvalidFilter, "Only userName eq and externalId eq are supported.");
//! assert_eq!(error.to_json(), r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"Only userName eq and externalId eq are supported."}"#);
//! ```

use super::{ERROR_SCHEMA, ISSUES_SCHEMA};
use crate::outcome::Outcome;
use crate::report::Issue;
use crate::retry_after::RetryAfter;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::fmt;

/// The `scimType` of a 400 answer (RFC 7644 §3.12, table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    /// The filter is malformed, or not one this server supports.
    InvalidFilter,
    /// The filter would yield more results than the server will process.
    TooMany,
    /// A value that must be unique is already in use.
    Uniqueness,
    /// The change does not fit the attribute's mutability (read-only, or
    /// required and removed).
    Mutability,
    /// The body's structure does not conform to the request's schema.
    InvalidSyntax,
    /// A PATCH `path` is malformed or names no supported attribute.
    InvalidPath,
    /// A PATCH `path` yields nothing to operate on.
    NoTarget,
    /// A value is missing or of the wrong type or form.
    InvalidValue,
    /// The SCIM version is not supported.
    InvalidVers,
    /// Personal data was sent in the request URI.
    Sensitive,
}

impl ScimType {
    /// The keyword as the RFC spells it.
    ///
    /// ```
    /// assert_eq!(enlist_core::scim::ScimType::InvalidPath.as_str(), "invalidPath");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM error answer. `detail` and the issues' messages never contain a
/// value from the request, so the whole error can be logged.
///
/// ```
/// use enlist_core::scim::ScimError;
/// let missing = ScimError::not_found();
/// assert_eq!(missing.status, 404);
/// assert!(missing.to_json().contains(r#""status":"404""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    /// The error keyword, for 400 and 409 answers.
    pub scim_type: Option<ScimType>,
    /// A sentence in English.
    pub detail: String,
    /// Every problem found, with RFC 6901 paths into the SCIM body.
    pub issues: Vec<Issue>,
    /// When to retry (`Retry-After`), for a 429.
    pub retry_after: Option<RetryAfter>,
}

impl ScimError {
    /// An error with a status, an optional keyword and a detail.
    ///
    /// ```
    /// use enlist_core::scim::ScimError;
    /// let error = ScimError::new(501, None, "Groups are not supported.");
    /// assert_eq!((error.status, error.scim_type), (501, None));
    /// ```
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            issues: Vec::new(),
            retry_after: None,
        }
    }

    /// A 400 with a keyword.
    ///
    /// ```
    /// use enlist_core::scim::{ScimError, ScimType};
    /// let error = ScimError::bad_request(ScimType::InvalidValue, "active must be a boolean.");
    /// assert_eq!((error.status, error.scim_type), (400, Some(ScimType::InvalidValue)));
    /// ```
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError::new(400, Some(scim_type), detail)
    }

    /// A 404 for a user id that does not exist.
    ///
    /// ```
    /// assert_eq!(enlist_core::scim::ScimError::not_found().detail, "No user has this id.");
    /// ```
    pub fn not_found() -> Self {
        ScimError::new(404, None, "No user has this id.")
    }

    /// A 400 `scimType` error listing `issues`; the detail counts them and
    /// names each path and code (`"2 problems: /userName email; …"`).
    ///
    /// ```
    /// use enlist_core::{scim::{ScimError, ScimType}, Code, Issue, Params};
    /// let issue = Issue::new("/name/givenName", Code::Required, "A first name is required.", Params::new());
    /// let error = ScimError::invalid(ScimType::InvalidValue, vec![issue]);
    /// assert_eq!(error.detail, "1 problem: /name/givenName required.");
    /// assert!(error.to_json().contains(r#""urn:enlist:params:scim:api:messages:2.0:Issues":{"issues":[{"path":"/name/givenName","code":"required""#));
    /// assert_eq!(ScimError::invalid(ScimType::InvalidValue, Vec::new()).detail, "The request is invalid.");
    /// ```
    pub fn invalid(scim_type: ScimType, issues: Vec<Issue>) -> Self {
        let mut detail = match issues.len() {
            0 => return ScimError::bad_request(scim_type, "The request is invalid."),
            1 => "1 problem: ".to_string(),
            n => format!("{n} problems: "),
        };
        for (i, issue) in issues.iter().enumerate() {
            if i > 0 {
                detail.push_str("; ");
            }
            if i == 10 {
                detail.push('…');
                break;
            }
            detail.push_str(if issue.path.is_empty() {
                "(body)"
            } else {
                &issue.path
            });
            detail.push(' ');
            detail.push_str(issue.code.as_str());
        }
        detail.push('.');
        ScimError {
            issues,
            ..ScimError::bad_request(scim_type, detail)
        }
    }

    /// The SCIM answer for a failed Partoo call: a validation failure →
    /// 400 `invalidValue` with Partoo's issues moved onto SCIM paths
    /// ([`super::mapping::scim_pointer`]); an existing user → 409
    /// `uniqueness`; not found → 404; rate limited → 429 with its
    /// `Retry-After`; a rejected key, a Partoo failure or an answer that is
    /// not the documented shape → 502.
    ///
    /// ```
    /// use enlist_core::{partoo::Partoo, scim::{ScimError, ScimType}, Provider};
    /// let taken = Partoo::parse_create_user_response(400, &[],
    ///     br#"{"errors":{"json":{"email":["Email already used"]}}}"#);
    /// let error = ScimError::from_outcome(&taken);
    /// assert_eq!((error.status, error.scim_type), (409, Some(ScimType::Uniqueness)));
    /// ```
    pub fn from_outcome(outcome: &Outcome) -> Self {
        let Some(failure) = outcome.failure() else {
            return ScimError::new(500, None, "The provider call succeeded, not failed.");
        };
        let moved = || {
            failure
                .errors
                .iter()
                .map(|issue| Issue {
                    path: super::mapping::scim_pointer(&issue.path),
                    ..issue.clone()
                })
                .collect::<Vec<_>>()
        };
        match outcome {
            Outcome::Validation(_) => {
                let issues = moved();
                if issues.is_empty() {
                    ScimError::bad_request(
                        ScimType::InvalidValue,
                        format!("Partoo rejected the user: {}", failure.message),
                    )
                } else {
                    ScimError::invalid(ScimType::InvalidValue, issues)
                }
            }
            Outcome::AlreadyExists(_) => ScimError {
                issues: moved(),
                ..ScimError::new(
                    409,
                    Some(ScimType::Uniqueness),
                    "A Partoo user with this userName already exists.",
                )
            },
            Outcome::NotFound(_) => ScimError::not_found(),
            Outcome::RateLimited(_) => ScimError {
                retry_after: failure.retry_after,
                ..ScimError::new(429, None, "Partoo is rate limiting requests; retry later.")
            },
            Outcome::Unauthorized(_) => {
                ScimError::new(502, None, "Partoo rejected the server's API key.")
            }
            Outcome::Forbidden(_) => ScimError::new(
                502,
                None,
                "Partoo does not allow the server's API key to do this.",
            ),
            Outcome::Malformed(_) => ScimError::new(
                502,
                None,
                "Partoo answered with something other than its documented shape.",
            ),
            _ => ScimError::new(
                502,
                None,
                format!("Partoo failed (HTTP {}).", failure.status),
            ),
        }
    }

    /// The body as JSON text.
    ///
    /// ```
    /// let body = enlist_core::scim::ScimError::not_found().to_json();
    /// assert_eq!(body, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"No user has this id."}"#);
    /// ```
    pub fn to_json(&self) -> String {
        // Serializing strings and issues cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scim_type {
            Some(t) => write!(f, "{} {t}: {}", self.status, self.detail),
            None => write!(f, "{}: {}", self.status, self.detail),
        }
    }
}

impl std::error::Error for ScimError {}

struct IssueList<'i>(&'i [Issue]);

impl Serialize for IssueList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry("issues", self.0)?;
        map.end()
    }
}

impl Serialize for ScimError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if self.issues.is_empty() {
            map.serialize_entry("schemas", &[ERROR_SCHEMA])?;
        } else {
            map.serialize_entry("schemas", &[ERROR_SCHEMA, ISSUES_SCHEMA])?;
        }
        map.serialize_entry("status", &self.status.to_string())?;
        if let Some(t) = self.scim_type {
            map.serialize_entry("scimType", t.as_str())?;
        }
        map.serialize_entry("detail", &self.detail)?;
        if !self.issues.is_empty() {
            map.serialize_entry(ISSUES_SCHEMA, &IssueList(&self.issues))?;
        }
        map.end()
    }
}
