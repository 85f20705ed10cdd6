//! [`Settings`]: where and how to send a request when the provider is
//! picked at run time, and what building one can come to ([`Built`],
//! [`BuildError`]).

use crate::http::{HttpRequest, RequestError};
use crate::report::{Issue, Report};
use serde::Deserialize;
use std::fmt;

/// Where and how to send a request, for [`AnyProvider`](super::AnyProvider). Deserializes from the
/// JavaScript options object `{ apiKey, environment?, baseUrl?, notifyUser?, … }`.
/// `Debug` redacts the key.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The provider API key.
    pub api_key: String,
    /// A named environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// A custom base URL (wins over `environment`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Boolean query options by option name (`notifyUser`) or query name.
    #[serde(flatten)]
    pub flags: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Settings {
    /// Sets a boolean query option, by option name (`notifyUser`) or query
    /// name (`notify_user`).
    ///
    /// ```
    /// let mut settings = enlist_core::provider::Settings::default();
    /// settings.set_flag("notify_user", true);
    /// assert_eq!(settings.flags.get("notify_user"), Some(&serde_json::Value::Bool(true)));
    /// ```
    pub fn set_flag(&mut self, name: &str, value: bool) {
        self.flags
            .insert(name.to_string(), serde_json::Value::Bool(value));
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("api_key", &"<redacted>")
            .field("environment", &self.environment)
            .field("base_url", &self.base_url)
            .field("flags", &self.flags)
            .finish()
    }
}

/// Why [`AnyProvider::build_create_user`](super::AnyProvider::build_create_user) built nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The payload is invalid; nothing may be sent.
    Invalid(Report),
    /// The key, base URL or options are unusable.
    Request(RequestError),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Invalid(report) => write!(f, "invalid payload: {report}"),
            BuildError::Request(e) => write!(f, "cannot build the request: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A built request and the warnings validation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The request to send.
    pub request: HttpRequest,
    /// Deprecated or ignored fields.
    pub warnings: Vec<Issue>,
}
