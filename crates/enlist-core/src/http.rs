//! Plain-data HTTP requests, API keys and base URLs.
//!
//! enlist never performs I/O: a request builder returns an [`HttpRequest`] that any
//! HTTP client (fetch, reqwest, workers-rs `Fetch`) can send. Its `Debug` output
//! hides the API key and the body, which carries personal data.
//!
//! ```
//! use enlist_core::http::ApiKey;
//!
//! let key = ApiKey::new("sk_live_123")?;
//! assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
//! assert!(ApiKey::new("bad\r\nX-Injected: 1").is_err());
//! # Ok::<(), enlist_core::http::RequestError>(())
//! ```

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::fmt;

/// The version string sent in `User-Agent`.
pub const USER_AGENT: &str = concat!("enlist/", env!("CARGO_PKG_VERSION"));

/// Most bytes an API key may have.
pub const MAX_API_KEY_LEN: usize = 512;

/// Why a request could not be built. Messages never contain the key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The API key is empty.
    EmptyApiKey,
    /// The API key has a character outside visible ASCII (CR, LF, space, control,
    /// non-ASCII) and could corrupt the header.
    InvalidApiKey,
    /// The API key is longer than [`MAX_API_KEY_LEN`] bytes.
    ApiKeyTooLong,
    /// The base URL is not an absolute `http`/`https` URL without query,
    /// fragment or credentials.
    InvalidBaseUrl(&'static str),
    /// The environment name is not one the provider has.
    UnknownEnvironment {
        /// The provider's environments.
        allowed: Vec<&'static str>,
    },
    /// An option that this provider does not have.
    UnknownOption {
        /// The option's name.
        name: String,
    },
    /// A user id (for example in Partoo's invite call) is empty, too long or has
    /// control characters.
    InvalidUserId,
    /// A query parameter is out of its range (for example a page size over
    /// the provider's maximum); the value itself is not repeated.
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What the parameter accepts.
        expected: &'static str,
    },
    /// The provider has no such operation (for example an invite call).
    Unsupported(&'static str),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::EmptyApiKey => f.write_str("the API key is empty"),
            RequestError::InvalidApiKey => f.write_str(
                "the API key contains a character that is not visible ASCII (such as a space, line break or control character)",
            ),
            RequestError::ApiKeyTooLong => {
                write!(f, "the API key is longer than {MAX_API_KEY_LEN} bytes")
            }
            RequestError::InvalidBaseUrl(why) => write!(f, "invalid base URL: {why}"),
            RequestError::UnknownEnvironment { allowed } => {
                write!(f, "unknown environment; expected one of: {}", allowed.join(", "))
            }
            RequestError::UnknownOption { name } => {
                // Quoted and escaped as a JSON string (not with `{:?}`, whose
                // escaping code would be linked into the wasm builds).
                let mut quoted = Vec::new();
                crate::json::write_string(&mut quoted, name);
                let quoted = std::str::from_utf8(&quoted).unwrap_or_default();
                write!(f, "unknown option {quoted}")
            }
            RequestError::InvalidUserId => {
                f.write_str("the user id must be 1 to 256 characters without control characters")
            }
            RequestError::InvalidParameter { name, expected } => {
                write!(f, "the parameter {name} must be {expected}")
            }
            RequestError::Unsupported(what) => write!(f, "this provider does not support {what}"),
        }
    }
}

impl std::error::Error for RequestError {}

impl RequestError {
    /// A stable snake_case code for this error.
    ///
    /// ```
    /// assert_eq!(enlist_core::http::RequestError::EmptyApiKey.code(), "empty_api_key");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::EmptyApiKey => "empty_api_key",
            RequestError::InvalidApiKey => "invalid_api_key",
            RequestError::ApiKeyTooLong => "api_key_too_long",
            RequestError::InvalidBaseUrl(_) => "invalid_base_url",
            RequestError::UnknownEnvironment { .. } => "unknown_environment",
            RequestError::UnknownOption { .. } => "unknown_option",
            RequestError::InvalidUserId => "invalid_user_id",
            RequestError::InvalidParameter { .. } => "invalid_parameter",
            RequestError::Unsupported(_) => "unsupported",
        }
    }
}

/// A provider API key. Checked on creation so it can never break a header;
/// `Debug` shows `ApiKey(<redacted>)` and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks and wraps a key: 1 to 512 bytes of visible ASCII (`!` to `~`).
    ///
    /// ```
    /// use enlist_core::http::{ApiKey, RequestError};
    /// assert_eq!(ApiKey::new(""), Err(RequestError::EmptyApiKey));
    /// assert_eq!(ApiKey::new("a b"), Err(RequestError::InvalidApiKey));
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self, RequestError> {
        let key = key.into();
        Self::check(&key)?;
        Ok(ApiKey(key))
    }

    /// Checks a key by [`ApiKey::new`]'s rules without copying it, for a
    /// caller that must leave no copy of the key behind (the npm package
    /// builds the request with a stand-in and writes the key into its output
    /// itself).
    ///
    /// ```
    /// use enlist_core::http::{ApiKey, RequestError};
    /// assert_eq!(ApiKey::check("k-1"), Ok(()));
    /// assert_eq!(ApiKey::check("a\nb"), Err(RequestError::InvalidApiKey));
    /// ```
    pub fn check(key: &str) -> Result<(), RequestError> {
        if key.is_empty() {
            return Err(RequestError::EmptyApiKey);
        }
        if key.len() > MAX_API_KEY_LEN {
            return Err(RequestError::ApiKeyTooLong);
        }
        if !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(RequestError::InvalidApiKey);
        }
        Ok(())
    }

    /// The key itself, for the one header that needs it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// An absolute `http`/`https` base URL, without trailing slash, query, fragment
/// or credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks a base URL.
    ///
    /// ```
    /// use enlist_core::http::BaseUrl;
    /// assert_eq!(BaseUrl::new("http://127.0.0.1:4010/")?.as_str(), "http://127.0.0.1:4010");
    /// assert!(BaseUrl::new("ftp://example.com").is_err());
    /// assert!(BaseUrl::new("https://user:pw@example.com").is_err());
    /// # Ok::<(), enlist_core::http::RequestError>(())
    /// ```
    pub fn new(url: &str) -> Result<Self, RequestError> {
        let url = url.trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or(RequestError::InvalidBaseUrl(
                "must start with http:// or https://",
            ))?;
        if url.len() > 2048 {
            return Err(RequestError::InvalidBaseUrl("longer than 2048 bytes"));
        }
        if !url.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(RequestError::InvalidBaseUrl(
                "contains a space, control or non-ASCII character",
            ));
        }
        if url.contains(['?', '#']) {
            return Err(RequestError::InvalidBaseUrl(
                "must not have a query or fragment",
            ));
        }
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err(RequestError::InvalidBaseUrl("has no host"));
        }
        if host.contains('@') {
            return Err(RequestError::InvalidBaseUrl("must not contain credentials"));
        }
        Ok(BaseUrl(url.to_string()))
    }

    /// The URL text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name.
    ///
    /// ```
    /// assert_eq!(enlist_core::http::Method::Delete.as_str(), "DELETE");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One request header. Sensitive values (credentials) are hidden from `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// The header name.
    pub name: &'static str,
    /// The header value.
    pub value: String,
    /// Whether the value is a credential.
    pub sensitive: bool,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sensitive {
            write!(f, "{}: <redacted>", self.name)
        } else {
            write!(f, "{}: {}", self.name, self.value)
        }
    }
}

/// A complete HTTP request as plain data. Serializes to
/// `{method, url, headers: {name: value}, body}` (the key included — send it,
/// never log it); `Debug` redacts credentials, the body and the values of
/// query parameters (a search by email carries one in the URL).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// The headers, in sending order.
    pub headers: Vec<Header>,
    /// The JSON body, if any.
    pub body: Option<String>,
}

impl HttpRequest {
    pub(crate) fn post(url: String, credential: Header, body: Option<String>) -> Self {
        Self::new(Method::Post, url, credential, body)
    }

    /// A request with the credential, `Content-Type` when there is a body,
    /// `Accept` and `User-Agent` headers.
    pub(crate) fn new(
        method: Method,
        url: String,
        credential: Header,
        body: Option<String>,
    ) -> Self {
        let mut headers = vec![credential];
        if body.is_some() {
            headers.push(Header {
                name: "Content-Type",
                value: "application/json".into(),
                sensitive: false,
            });
        }
        headers.push(Header {
            name: "Accept",
            value: "application/json".into(),
            sensitive: false,
        });
        headers.push(Header {
            name: "User-Agent",
            value: USER_AGENT.into(),
            sensitive: false,
        });
        HttpRequest {
            method,
            url,
            headers,
            body,
        }
    }

    /// The value of the header called `name` (case-insensitive).
    ///
    /// ```
    /// # use enlist_core::{partoo::{Partoo, Environment}, http::ApiKey, Provider};
    /// let user = Partoo::validate_json(br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#).map_err(|r| r.to_string())?;
    /// let req = Partoo::client(ApiKey::new("k").map_err(|e| e.to_string())?).create_user(&user);
    /// assert_eq!(req.header("content-type"), Some("application/json"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &redact_query(&self.url))
            .field("headers", &self.headers)
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|b| format!("<{} bytes redacted>", b.len())),
            )
            .finish()
    }
}

/// The URL with the value of every query parameter replaced by `<redacted>`.
fn redact_query(url: &str) -> String {
    let Some((path, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(path);
    for (i, pair) in query.split('&').enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        match pair.split_once('=') {
            Some((name, _)) => {
                out.push_str(name);
                out.push_str("=<redacted>");
            }
            None => out.push_str(pair),
        }
    }
    out
}

struct Headers<'h>(&'h [Header]);

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for h in self.0 {
            map.serialize_entry(h.name, &h.value)?;
        }
        map.end()
    }
}

impl Serialize for HttpRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("method", &self.method)?;
        map.serialize_entry("url", &self.url)?;
        map.serialize_entry("headers", &Headers(&self.headers))?;
        map.serialize_entry("body", &self.body)?;
        map.end()
    }
}

/// Percent-encodes one URL path segment (everything but RFC 3986 unreserved
/// characters).
///
/// ```
/// assert_eq!(enlist_core::http::encode_path_segment("a b/../c"), "a%20b%2F..%2Fc");
/// ```
pub fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    // "." and ".." are dot-segments even unencoded; encode them fully.
    match out.as_str() {
        "." => "%2E".into(),
        ".." => "%2E%2E".into(),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys() {
        assert!(ApiKey::new("abcDEF123-_.~!").is_ok());
        for bad in ["a\rb", "a\nb", "a b", "a\tb", "clé", "a\u{7f}"] {
            assert_eq!(
                ApiKey::new(bad),
                Err(RequestError::InvalidApiKey),
                "{bad:?}"
            );
        }
        assert_eq!(
            ApiKey::new("x".repeat(513)),
            Err(RequestError::ApiKeyTooLong)
        );
    }

    #[test]
    fn base_urls() {
        assert!(BaseUrl::new("https://api.sandbox.partoo.co/v2").is_ok());
        for bad in [
            "",
            "api.partoo.co",
            "https://",
            "https:///path",
            "https://a b.com",
            "https://x.com/?q=1",
            "https://x.com/#f",
            "javascript:alert(1)",
            "https://evil.com\r\nHost: x",
        ] {
            assert!(BaseUrl::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dot_segments_are_encoded() {
        assert_eq!(encode_path_segment("."), "%2E");
        assert_eq!(encode_path_segment(".."), "%2E%2E");
        assert_eq!(encode_path_segment("5309c3a2"), "5309c3a2");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }

    #[test]
    fn debug_redacts_credentials_and_body() {
        let req = HttpRequest::post(
            "https://x.test/user".into(),
            Header {
                name: "x-APIKey",
                value: "SECRET-KEY".into(),
                sensitive: true,
            },
            Some(r#"{"email":"ada@example.com"}"#.into()),
        );
        let debug = format!("{req:?}");
        assert!(!debug.contains("SECRET-KEY"));
        assert!(!debug.contains("ada@example.com"));
        assert!(debug.contains("x-APIKey: <redacted>"));
    }

    #[test]
    fn debug_redacts_query_values() {
        let req = HttpRequest::new(
            Method::Get,
            "https://x.test/user/search?email=ada%40example.com&page=2&flag".into(),
            Header {
                name: "x-APIKey",
                value: "k".into(),
                sensitive: true,
            },
            None,
        );
        let debug = format!("{req:?}");
        assert!(!debug.contains("ada"), "{debug}");
        assert!(
            debug.contains("https://x.test/user/search?email=<redacted>&page=<redacted>&flag"),
            "{debug}"
        );
        assert_eq!(redact_query("https://x.test/a"), "https://x.test/a");
        assert_eq!(req.header("content-type"), None);
        assert_eq!(req.method.as_str(), "GET");
    }
}
