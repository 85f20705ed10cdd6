//! Validation results as data: a flat list of [`Issue`]s with stable [`Code`]s.
//!
//! Every problem is reported at once. Each issue names the offending value with an
//! RFC 6901 JSON Pointer (`/workspaces/1/role`, `""` for the whole document), a
//! stable snake_case code a UI can translate, an English message that never
//! repeats the value, and `params` with what a UI needs to word its own message.
//!
//! ```
//! use enlist_core::{partoo::Partoo, Code, Provider};
//!
//! let report = Partoo::check_json(br#"{"email":"ada@example.com","first_name":"Ada"}"#);
//! assert_eq!(report.errors.len(), 1);
//! assert_eq!(report.errors[0].path, "/last_name");
//! assert_eq!(report.errors[0].code, Code::Required);
//! ```

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// What is wrong (or, for warnings, worth knowing) about a value.
///
/// The `snake_case` names returned by [`Code::as_str`] are part of enlist's stable
/// API: a UI may key translations on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// The text is not JSON (`params.line`, `params.column`, `params.reason`).
    InvalidJson,
    /// A required field is missing.
    Required,
    /// The value has the wrong JSON type (`params.expected`, `params.found`).
    Type,
    /// A string is empty or only whitespace, or an array that must not be is empty.
    Empty,
    /// Not a usable email address (`params.reason`).
    Email,
    /// Not one of the allowed values (`params.allowed`, maybe `params.suggestion`).
    Enum,
    /// Too short (`params.min`, in characters).
    MinLength,
    /// Too long (`params.max`, in characters).
    MaxLength,
    /// A number is outside the range enlist can carry (`params.min`, `params.max`).
    OutOfRange,
    /// The password lacks an uppercase letter.
    PasswordUppercase,
    /// The password lacks a lowercase letter.
    PasswordLowercase,
    /// The password lacks a special character (neither letter, digit nor space).
    PasswordSpecial,
    /// Not a valid international phone number (`params.reason`).
    Phone,
    /// The field is not part of the provider's API (maybe `params.suggestion`).
    UnknownField,
    /// The same value or key appears twice (`params.first` = index of the first).
    Duplicate,
    /// The email's domain is not one of the allowed ones (`params.allowed`).
    Domain,
    /// The provider already has a user with this email.
    AlreadyExists,
    /// The provider rejected the value for a reason enlist has no code for.
    Rejected,
    /// This server's policy does not allow the value.
    Policy,
    /// Warning: the field is deprecated by the provider.
    Deprecated,
    /// Warning: the provider ignores the field in this combination: it is used
    /// only when (`because: "differs"`) or not when (`because: "equals"`) the
    /// sibling `params.field` equals `params.value`.
    Ignored,
}

impl Code {
    /// Every code, in declaration order.
    pub const ALL: &'static [Code] = &[
        Code::InvalidJson,
        Code::Required,
        Code::Type,
        Code::Empty,
        Code::Email,
        Code::Enum,
        Code::MinLength,
        Code::MaxLength,
        Code::OutOfRange,
        Code::PasswordUppercase,
        Code::PasswordLowercase,
        Code::PasswordSpecial,
        Code::Phone,
        Code::UnknownField,
        Code::Duplicate,
        Code::Domain,
        Code::AlreadyExists,
        Code::Rejected,
        Code::Policy,
        Code::Deprecated,
        Code::Ignored,
    ];

    /// The stable snake_case identifier.
    ///
    /// ```
    /// assert_eq!(enlist_core::Code::PasswordSpecial.as_str(), "password_special");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::InvalidJson => "invalid_json",
            Code::Required => "required",
            Code::Type => "type",
            Code::Empty => "empty",
            Code::Email => "email",
            Code::Enum => "enum",
            Code::MinLength => "min_length",
            Code::MaxLength => "max_length",
            Code::OutOfRange => "out_of_range",
            Code::PasswordUppercase => "password_uppercase",
            Code::PasswordLowercase => "password_lowercase",
            Code::PasswordSpecial => "password_special",
            Code::Phone => "phone",
            Code::UnknownField => "unknown_field",
            Code::Duplicate => "duplicate",
            Code::Domain => "domain",
            Code::AlreadyExists => "already_exists",
            Code::Rejected => "rejected",
            Code::Policy => "policy",
            Code::Deprecated => "deprecated",
            Code::Ignored => "ignored",
        }
    }

    /// The code for a snake_case identifier, if it is one.
    ///
    /// ```
    /// use enlist_core::Code;
    /// assert_eq!(Code::parse("enum"), Some(Code::Enum));
    /// assert_eq!(Code::parse("nope"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One value in an issue's `params`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param {
    /// A number, e.g. `min`.
    Int(i64),
    /// A word or name, e.g. `expected`.
    Str(Cow<'static, str>),
    /// A list of names, e.g. `allowed`.
    List(Cow<'static, [&'static str]>),
    /// A list of owned strings, e.g. allowed email domains.
    Strings(Vec<String>),
}

impl Serialize for Param {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Param::Int(i) => s.serialize_i64(*i),
            Param::Str(t) => s.serialize_str(t),
            Param::List(l) => l.serialize(s),
            Param::Strings(l) => l.serialize(s),
        }
    }
}

impl Param {
    /// Writes the value as JSON, as its `Serialize` impl does, without serde.
    ///
    /// ```
    /// use enlist_core::{json::Writer, Param};
    /// let mut out = Vec::new();
    /// Param::List(["a", "b"][..].into()).write_json(&mut Writer::new(&mut out));
    /// assert_eq!(out, br#"["a","b"]"#);
    /// ```
    pub fn write_json(&self, w: &mut crate::json::Writer<'_>) {
        match self {
            Param::Int(i) => w.int(*i),
            Param::Str(t) => w.string(t),
            Param::List(l) => w.strings(l.iter().copied()),
            Param::Strings(l) => w.strings(l.iter().map(String::as_str)),
        };
    }
}

/// Named parameters of an issue; serialized as a JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, Param)>);

impl Params {
    /// No parameters.
    pub const fn new() -> Self {
        Params(Vec::new())
    }

    /// Adds a parameter.
    ///
    /// ```
    /// use enlist_core::{Param, Params};
    /// let p = Params::new().with("min", Param::Int(8));
    /// assert_eq!(p.get("min"), Some(&Param::Int(8)));
    /// ```
    pub fn with(mut self, name: &'static str, value: Param) -> Self {
        self.0.push((name, value));
        self
    }

    /// The parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// A string parameter's text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Param::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A number parameter.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Param::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// `true` when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parameters in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Param)> {
        self.0.iter().map(|(n, v)| (*n, v))
    }
}

impl Serialize for Params {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One problem (or warning) about one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// RFC 6901 JSON Pointer to the value; `""` is the whole document.
    pub path: String,
    /// What is wrong.
    pub code: Code,
    /// A clear English sentence. Never contains the value itself.
    pub message: String,
    /// What a UI needs to word its own message.
    pub params: Params,
}

impl Issue {
    /// A new issue.
    ///
    /// ```
    /// use enlist_core::{Code, Issue, Params};
    /// let issue = Issue::new("/email", Code::Required, "email is required.", Params::new());
    /// assert_eq!(issue.path, "/email");
    /// ```
    pub fn new(
        path: impl Into<String>,
        code: Code,
        message: impl Into<String>,
        params: Params,
    ) -> Self {
        Issue {
            path: path.into(),
            code,
            message: message.into(),
            params,
        }
    }
}

impl Serialize for Issue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = if self.params.is_empty() { 3 } else { 4 };
        let mut st = s.serialize_struct("Issue", fields)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("message", &self.message)?;
        if !self.params.is_empty() {
            st.serialize_field("params", &self.params)?;
        } else {
            st.skip_field("params")?;
        }
        st.end()
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        };
        write!(f, "{path}: {} [{}]", self.message, self.code)
    }
}

/// Everything validation found: errors (which block a request) and warnings
/// (which do not).
///
/// With [`Options::max_issues`](crate::Options::max_issues) set, each list
/// keeps the first issues found, never fewer than one, and [`Report::omitted`]
/// counts the rest: `errors` is empty exactly when there are no errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Problems that make the input invalid.
    pub errors: Vec<Issue>,
    /// Things worth knowing that do not block the request.
    pub warnings: Vec<Issue>,
    /// Issues found beyond the cap and left out; zero without a cap.
    #[serde(skip_serializing_if = "Omitted::is_none")]
    pub omitted: Omitted,
}

/// How many errors and warnings a report left out because of
/// [`Options::max_issues`](crate::Options::max_issues): they were counted,
/// not kept.
///
/// ```
/// use enlist_core::{partoo::Partoo, Options, Provider};
/// let options = Options::default().with_max_issues(1);
/// let report = Partoo::check_json_with(b"{}", &options);
/// assert_eq!(report.errors.len(), 1); // email; first_name and last_name left out
/// assert_eq!(report.omitted.errors, 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Omitted {
    /// Errors left out.
    pub errors: usize,
    /// Warnings left out.
    pub warnings: usize,
}

impl Omitted {
    /// `true` when nothing was left out.
    ///
    /// ```
    /// assert!(enlist_core::report::Omitted::default().is_none());
    /// ```
    pub fn is_none(&self) -> bool {
        self.errors == 0 && self.warnings == 0
    }
}

impl Report {
    /// `true` when there are no errors (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors at `path`.
    ///
    /// ```
    /// use enlist_core::{partoo::Partoo, Provider};
    /// let report = Partoo::check_json(br#"{"email":"x","first_name":"A","last_name":"B"}"#);
    /// assert_eq!(report.errors_at("/email").count(), 1);
    /// ```
    pub fn errors_at<'r>(&'r self, path: &'r str) -> impl Iterator<Item = &'r Issue> + 'r {
        self.errors.iter().filter(move |i| i.path == path)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errors.is_empty() {
            f.write_str("valid")?;
        } else {
            write!(f, "{} error(s)", self.errors.len())?;
        }
        for issue in &self.errors {
            write!(f, "\n  error {issue}")?;
        }
        for issue in &self.warnings {
            write!(f, "\n  warning {issue}")?;
        }
        if !self.omitted.is_none() {
            write!(
                f,
                "\n  ({} more error(s) and {} more warning(s) left out)",
                self.omitted.errors, self.omitted.warnings
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

/// Appends one RFC 6901 reference token to `pointer` (escaping `~` and `/`).
///
/// ```
/// let mut p = String::from("/a");
/// enlist_core::report::push_token(&mut p, "b/c~d");
/// assert_eq!(p, "/a/b~1c~0d");
/// ```
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    if !token.bytes().any(|b| b == b'~' || b == b'/') {
        pointer.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_snake_case() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert!(code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'));
        }
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
    }

    #[test]
    fn issue_serializes_flat_and_omits_empty_params() {
        let a = Issue::new("/x", Code::Required, "x is required.", Params::new());
        assert_eq!(
            serde_json::to_string(&a).ok().as_deref(),
            Some(r#"{"path":"/x","code":"required","message":"x is required."}"#)
        );
        let b = Issue::new(
            "",
            Code::Enum,
            "m",
            Params::new().with("allowed", Param::List(Cow::Borrowed(&["A", "B"]))),
        );
        assert_eq!(
            serde_json::to_string(&b).ok().as_deref(),
            Some(r#"{"path":"","code":"enum","message":"m","params":{"allowed":["A","B"]}}"#)
        );
    }
}
