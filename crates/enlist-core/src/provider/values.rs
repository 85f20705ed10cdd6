//! The two wrappers every payload goes through: [`Valid`], proof that a value
//! passed validation, and [`Redacted`], personal or secret data that `Debug`
//! never prints.

use crate::report::Issue;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Deref;

/// A value that passed validation. Only the validators create one, and only a
/// `Valid` value can become a request.
///
/// ```
/// use enlist_core::{partoo::Partoo, Provider};
/// let user = Partoo::validate_json(br#"{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"}"#)?;
/// assert_eq!(user.last_name.as_str(), "Lovelace");
/// # Ok::<(), enlist_core::Report>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Valid<T> {
    // Crate-visible so that only the validators (in `declaration`) make one.
    pub(crate) value: T,
    pub(crate) warnings: Vec<Issue>,
}

impl<T> Valid<T> {
    /// The validated value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The warnings validation produced (deprecated or ignored fields).
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }

    /// Gives up the proof and returns the value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Personal or secret data (emails, names, phone numbers, passwords). Serializes
/// as the plain value; `Debug` prints `<redacted>`.
///
/// ```
/// use enlist_core::Redacted;
/// let email = Redacted::new("ada@example.com".to_string());
/// assert_eq!(format!("{email:?}"), "<redacted>");
/// assert_eq!(email.as_str(), "ada@example.com");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Redacted(value)
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl Redacted<String> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<T> Deref for Redacted<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Redacted<String> {
    fn from(s: &str) -> Self {
        Redacted(s.to_string())
    }
}

impl From<String> for Redacted<String> {
    fn from(s: String) -> Self {
        Redacted(s)
    }
}
