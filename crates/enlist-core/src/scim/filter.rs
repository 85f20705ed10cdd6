//! The `filter` of `GET /Users` that enlist supports: `userName eq "…"` and
//! `externalId eq "…"` (RFC 7644 §3.4.2.2). Attribute names and the operator
//! are case-insensitive, the attribute may carry the User schema's URN, the
//! value is a JSON string (escapes included). Anything else is a precise
//! [`FilterError`], which becomes a 400 `invalidFilter`. No input panics,
//! and no error repeats the value.
//!
//! ```
//! use enlist_core::scim::filter::{Filter, FilterError};
//!
//! let filter = Filter::parse(r#"USERNAME EQ "ada@example.com""#)?;
//! assert!(matches!(&filter, Filter::UserName(name) if name.as_str() == "ada@example.com"));
//! assert_eq!(Filter::parse(r#"userName sw "ada""#), Err(FilterError::UnsupportedOperator));
//! assert_eq!(Filter::parse(r#"userName eq "a" or userName eq "b""#), Err(FilterError::LogicalExpression));
//! # Ok::<(), FilterError>(())
//! ```

use super::{eq_ci, strip_prefix_ci, ScimError, ScimType, USER_SCHEMA};
use crate::partoo::users::{UserOrder, UserQuery};
use crate::provider::Redacted;
use std::fmt;

/// Longest filter read, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;

/// A supported filter. `Debug` redacts the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `userName eq "…"` (compared case-insensitively: `userName` is not
    /// case-exact).
    UserName(Redacted<String>),
    /// `externalId eq "…"` (case-exact).
    ExternalId(Redacted<String>),
}

/// Why a filter is refused. Messages never repeat the filter's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterError {
    /// The filter is empty.
    Empty,
    /// The filter is longer than [`MAX_FILTER_LEN`] bytes.
    TooLong,
    /// `and`, `or`, `not`, parentheses or a bracketed value filter.
    LogicalExpression,
    /// An attribute other than `userName` and `externalId`.
    UnsupportedAttribute,
    /// An operator other than `eq` (`ne`, `co`, `sw`, `ew`, `pr`, `gt`, …).
    UnsupportedOperator,
    /// The value is not a string (a number, `true`, `null`, …).
    NotAString,
    /// The string value is not valid JSON (an unknown escape, a control
    /// character, no closing quote).
    InvalidString,
    /// Something is missing or out of place (no operator, no value, text
    /// after the value).
    Syntax,
}

impl FilterError {
    /// A stable snake_case code.
    ///
    /// ```
    /// assert_eq!(enlist_core::scim::filter::FilterError::NotAString.code(), "not_a_string");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            FilterError::Empty => "empty",
            FilterError::TooLong => "too_long",
            FilterError::LogicalExpression => "logical_expression",
            FilterError::UnsupportedAttribute => "unsupported_attribute",
            FilterError::UnsupportedOperator => "unsupported_operator",
            FilterError::NotAString => "not_a_string",
            FilterError::InvalidString => "invalid_string",
            FilterError::Syntax => "syntax",
        }
    }

    /// The 400 `invalidFilter` answer.
    ///
    /// ```
    /// use enlist_core::scim::{filter::FilterError, ScimType};
    /// let error = FilterError::UnsupportedAttribute.to_scim_error();
    /// assert_eq!((error.status, error.scim_type), (400, Some(ScimType::InvalidFilter)));
    /// ```
    pub fn to_scim_error(self) -> ScimError {
        ScimError::bad_request(ScimType::InvalidFilter, self.to_string())
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SUPPORTED: &str = "Supported filters: userName eq \"…\" and externalId eq \"…\".";
        let what = match self {
            FilterError::Empty => "The filter is empty.",
            FilterError::TooLong => "The filter is longer than 4096 bytes.",
            FilterError::LogicalExpression => {
                "Filters with and, or, not, parentheses or brackets are not supported."
            }
            FilterError::UnsupportedAttribute => "This attribute cannot be filtered on.",
            FilterError::UnsupportedOperator => "Only the eq operator is supported.",
            FilterError::NotAString => "The value must be a JSON string in double quotes.",
            FilterError::InvalidString => {
                "The value is not a valid JSON string (escape, control character or closing quote)."
            }
            FilterError::Syntax => {
                "The filter must be an attribute, the eq operator and a quoted value."
            }
        };
        write!(f, "{what} {SUPPORTED}")
    }
}

impl std::error::Error for FilterError {}

impl From<FilterError> for ScimError {
    fn from(error: FilterError) -> Self {
        error.to_scim_error()
    }
}

/// How to answer a filter with Partoo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// One search call (`email=…`, Partoo compares case-insensitively).
    Search(UserQuery),
    /// Partoo has no such field: look the id up where the caller keeps it.
    ExternalId(Redacted<String>),
    /// No Partoo user can match (a `userName` that is not an email
    /// address): answer an empty list without a call.
    NoMatch,
}

impl Filter {
    /// Parses a filter (the query parameter's value, already URL-decoded).
    ///
    /// ```
    /// use enlist_core::scim::filter::Filter;
    /// let filter = Filter::parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:externalId eq "a\"b""#)?;
    /// assert!(matches!(&filter, Filter::ExternalId(id) if id.as_str() == "a\"b"));
    /// # Ok::<(), enlist_core::scim::filter::FilterError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        if text.len() > MAX_FILTER_LEN {
            return Err(FilterError::TooLong);
        }
        let text = text.trim_matches(is_space);
        if text.is_empty() {
            return Err(FilterError::Empty);
        }
        if text.starts_with('(') || word(text).is_some_and(|w| eq_ci(w, "not")) {
            return Err(FilterError::LogicalExpression);
        }
        let (attribute, rest) = split_word(text);
        if attribute.contains(['[', ']', '(', ')']) {
            return Err(FilterError::LogicalExpression);
        }
        let name = strip_prefix_ci(attribute, USER_SCHEMA)
            .and_then(|rest| rest.strip_prefix(':'))
            .unwrap_or(attribute);
        let make: fn(Redacted<String>) -> Filter = if eq_ci(name, "userName") {
            Filter::UserName
        } else if eq_ci(name, "externalId") {
            Filter::ExternalId
        } else {
            return Err(FilterError::UnsupportedAttribute);
        };
        let rest = rest.trim_start_matches(is_space);
        let (operator, rest) = split_word(rest);
        if operator.is_empty() {
            return Err(FilterError::Syntax);
        }
        if !eq_ci(operator, "eq") {
            const OTHERS: &[&str] = &["ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le"];
            if OTHERS.iter().any(|o| eq_ci(operator, o)) {
                return Err(FilterError::UnsupportedOperator);
            }
            return Err(FilterError::Syntax);
        }
        let rest = rest.trim_start_matches(is_space);
        if !rest.starts_with('"') {
            let (value, _) = split_word(rest);
            let literal = ["true", "false", "null"].iter().any(|l| eq_ci(value, l))
                || value.starts_with(|c: char| c == '-' || c.is_ascii_digit());
            return Err(if literal {
                FilterError::NotAString
            } else {
                FilterError::Syntax
            });
        }
        let end = closing_quote(rest).ok_or(FilterError::InvalidString)?;
        let value: String =
            serde_json::from_str(&rest[..=end]).map_err(|_| FilterError::InvalidString)?;
        let after = rest[end + 1..].trim_start_matches(is_space);
        if after.is_empty() {
            return Ok(make(Redacted::new(value)));
        }
        let (next, _) = split_word(after);
        if eq_ci(next, "and") || eq_ci(next, "or") || after.starts_with([')', '(', '[']) {
            return Err(FilterError::LogicalExpression);
        }
        Err(FilterError::Syntax)
    }

    /// How to answer this filter with Partoo: `userName eq` is one search
    /// call by email (one result at most, sorted by email), `externalId eq`
    /// is the caller's lookup.
    ///
    /// ```
    /// use enlist_core::scim::filter::{Filter, Lookup};
    /// let by_name = Filter::parse(r#"userName eq "ada@example.com""#)?;
    /// let Lookup::Search(query) = by_name.lookup() else { panic!() };
    /// assert_eq!(query.to_query_string().as_deref(), Ok("email=ada%40example.com&page=1&per_page=100&order_by=email"));
    /// assert_eq!(Filter::parse(r#"userName eq "ada""#)?.lookup(), Lookup::NoMatch);
    /// # Ok::<(), enlist_core::scim::filter::FilterError>(())
    /// ```
    pub fn lookup(&self) -> Lookup {
        match self {
            Filter::UserName(name) => {
                if crate::formats::check_email(name).is_err() {
                    return Lookup::NoMatch;
                }
                Lookup::Search(
                    UserQuery::new()
                        .email(name.as_str())
                        .page(1)
                        .per_page(super::MAX_RESULTS)
                        .order_by(UserOrder::Email),
                )
            }
            Filter::ExternalId(id) => Lookup::ExternalId(id.clone()),
        }
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The first word (up to a space) and the rest.
fn split_word(text: &str) -> (&str, &str) {
    match text.find(is_space) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    }
}

fn word(text: &str) -> Option<&str> {
    Some(split_word(text).0).filter(|w| !w.is_empty())
}

/// The byte index of the quote that closes the string opening `text`.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate().skip(1) {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Some(i),
            _ => {}
        }
    }
    None
}
