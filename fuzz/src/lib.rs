//! Shared code of the enlist fuzz targets: the structured inputs (read with
//! [`arbitrary`]), their encoders (for the committed seed corpora), and the
//! invariants every target checks.
//!
//! The targets themselves live in `fuzz_targets/`; see `fuzz/README.md`.
//!
//! Structured inputs are a fixed-layout head read with `arbitrary` followed by
//! the rest of the input as raw bytes (a body, a payload). Strings in a head are
//! [`Text`]: a little-endian `u16` length, then that many bytes read as lossy
//! UTF-8. This keeps inputs easy to write by hand (see [`seeds`]) while
//! `arbitrary` still turns any byte string into a valid input.
#![forbid(unsafe_code)]

use arbitrary::{Arbitrary, Unstructured};
use enlist_core::{Issue, Report};
use serde_json::Value;

pub mod seeds;

/// A string field of a structured input: `u16` LE length, then the bytes
/// (lossy UTF-8, so invalid sequences become U+FFFD).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Text(pub String);

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = usize::from(u16::arbitrary(u)?);
        let bytes = u.bytes(len.min(u.len()))?;
        Ok(Text(String::from_utf8_lossy(bytes).into_owned()))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (2, None)
    }
}

impl Text {
    /// The encoding [`Text::arbitrary`] reads back.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let bytes = self.0.as_bytes();
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&bytes[..usize::from(len)]);
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(s.to_string())
    }
}

/// Appends `arbitrary`'s encoding of a `bool`.
pub fn encode_bool(b: bool, out: &mut Vec<u8>) {
    out.push(u8::from(b));
}

/// Appends `arbitrary`'s encoding of an `Option`: a bool, then the value.
pub fn encode_option<T>(value: Option<&T>, out: &mut Vec<u8>, encode: impl Fn(&T, &mut Vec<u8>)) {
    encode_bool(value.is_some(), out);
    if let Some(v) = value {
        encode(v, out);
    }
}

/// Appends `arbitrary`'s encoding of a `Vec` (not the last field): each
/// element preceded by a `true` byte, then a `false` byte.
pub fn encode_vec<T>(items: &[T], out: &mut Vec<u8>, encode: impl Fn(&T, &mut Vec<u8>)) {
    for item in items {
        encode_bool(true, out);
        encode(item, out);
    }
    encode_bool(false, out);
}

/// Appends the encoding `arbitrary`'s derived enums read: a `u32` LE that,
/// scaled to the number of variants, gives `index`.
pub fn encode_variant(index: u32, count: u32, out: &mut Vec<u8>) {
    // derive(Arbitrary) picks variant ((u32 as u64) * count) >> 32.
    let x = (u64::from(index) << 32).div_ceil(u64::from(count));
    out.extend_from_slice(&(x as u32).to_le_bytes());
}

// --- the response target -----------------------------------------------------

/// The head of a `response` input; the rest of the input is the body.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// Read the answer as one to the invite call (else create-user).
    pub invite: bool,
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: Vec<(Text, Text)>,
}

impl ResponseHead {
    /// The bytes that decode to this head.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_bool(self.invite, out);
        out.extend_from_slice(&self.status.to_le_bytes());
        encode_vec(&self.headers, out, |(n, v), out| {
            n.encode(out);
            v.encode(out);
        });
    }
}

// --- the build target -------------------------------------------------------

/// A value in the JavaScript options object (`notifyUser: true`).
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum FlagValue {
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
    /// A number (not a boolean: must be refused).
    Number(i8),
    /// A string (not a boolean: must be refused).
    Text(Text),
}

impl FlagValue {
    /// As JSON.
    pub fn to_json(&self) -> Value {
        match self {
            FlagValue::True => Value::Bool(true),
            FlagValue::False => Value::Bool(false),
            FlagValue::Null => Value::Null,
            FlagValue::Number(n) => Value::from(*n),
            FlagValue::Text(t) => Value::String(t.0.clone()),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            FlagValue::True => encode_variant(0, 5, out),
            FlagValue::False => encode_variant(1, 5, out),
            FlagValue::Null => encode_variant(2, 5, out),
            FlagValue::Number(n) => {
                encode_variant(3, 5, out);
                out.push(*n as u8);
            }
            FlagValue::Text(t) => {
                encode_variant(4, 5, out);
                t.encode(out);
            }
        }
    }
}

/// The head of a `build` input; the rest is the create-user payload (JSON), or,
/// when empty, a built-in valid payload for each provider.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct BuildHead {
    /// `apiKey`
    pub api_key: Text,
    /// `environment`
    pub environment: Option<Text>,
    /// `baseUrl`
    pub base_url: Option<Text>,
    /// The other options (query flags).
    pub flags: Vec<(Text, FlagValue)>,
    /// The user id of the invite call.
    pub user_id: Text,
}

impl BuildHead {
    /// The bytes that decode to this head.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.api_key.encode(out);
        encode_option(self.environment.as_ref(), out, Text::encode);
        encode_option(self.base_url.as_ref(), out, Text::encode);
        encode_vec(&self.flags, out, |(n, v), out| {
            n.encode(out);
            v.encode(out);
        });
        self.user_id.encode(out);
    }
}

/// A valid payload for each provider of the registry, by id (its
/// `Provider::EXAMPLE`); `{}` for an id that is not registered.
pub fn valid_payload(provider: &str) -> &'static [u8] {
    enlist_core::provider(provider).map_or(b"{}", |p| p.example().as_bytes())
}

// --- invariants ---------------------------------------------------------------

/// Whether `pointer` is an RFC 6901 JSON Pointer (`""` or `/token…`, `~` only
/// as `~0` or `~1`).
pub fn is_json_pointer(pointer: &str) -> bool {
    if pointer.is_empty() {
        return true;
    }
    if !pointer.starts_with('/') {
        return false;
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return false;
        }
    }
    true
}

/// Checks one issue: pointer path, stable snake_case code, a message.
pub fn check_issue(issue: &Issue) {
    assert!(is_json_pointer(&issue.path), "bad path {:?}", issue.path);
    let code = issue.code.as_str();
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "bad code {code:?}"
    );
    assert!(!issue.message.is_empty(), "empty message at {}", issue.path);
}

/// Checks every issue of a report and that it serializes.
pub fn check_report(report: &Report) {
    report.errors.iter().for_each(check_issue);
    report.warnings.iter().for_each(check_issue);
    assert!(serde_json::to_string(report).is_ok());
}

/// `a` and `b` are the same JSON value, numbers compared by value (`-0` is
/// `0`, `1.0` is `1`).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(i), Some(j)) = (x.as_i64(), y.as_i64()) {
                return i == j;
            }
            if let (Some(i), Some(j)) = (x.as_u64(), y.as_u64()) {
                return i == j;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(f), Some(g)) => f == g,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Nesting depth of a JSON value (a scalar is 0, `[]` is 1).
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The same text with every visible-ASCII byte replaced by a different
/// visible-ASCII byte and everything else kept: a key that `ApiKey::new`
/// judges exactly like `key`, sharing no visible character with it.
pub fn canary_key(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '!'..='~' if c == 'k' => 'q',
            '!'..='~' => 'k',
            other => other,
        })
        .collect()
}

/// Decodes `%XX` escapes (for checking percent-encoded path segments).
pub fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_decode_from_their_encoding() {
        let head = ResponseHead {
            invite: true,
            status: 429,
            headers: vec![
                ("Retry-After".into(), "30".into()),
                ("x".into(), "é".into()),
            ],
        };
        let mut bytes = Vec::new();
        head.encode(&mut bytes);
        bytes.extend_from_slice(b"{\"body\":1}");
        let mut u = Unstructured::new(&bytes);
        assert_eq!(ResponseHead::arbitrary(&mut u).ok(), Some(head));
        assert_eq!(u.take_rest(), b"{\"body\":1}");

        let head = BuildHead {
            api_key: "sk_live_0123456789".into(),
            environment: Some("sandbox".into()),
            base_url: None,
            flags: vec![
                ("notifyUser".into(), FlagValue::True),
                ("notify_ws_admins".into(), FlagValue::False),
                ("x".into(), FlagValue::Null),
                ("y".into(), FlagValue::Number(-3)),
                ("z".into(), FlagValue::Text("true".into())),
            ],
            user_id: "5309c3a237bbc544d8e26737".into(),
        };
        let mut bytes = Vec::new();
        head.encode(&mut bytes);
        let mut u = Unstructured::new(&bytes);
        assert_eq!(BuildHead::arbitrary(&mut u).ok(), Some(head));
        assert!(u.is_empty());
    }

    #[test]
    fn helpers() {
        assert!(is_json_pointer("/a~0b/~1/0"));
        assert!(!is_json_pointer("/a~2"));
        assert!(!is_json_pointer("a"));
        assert_eq!(canary_key("ak b\r"), "kq k\r");
        assert_eq!(percent_decode("a%2Fb").as_deref(), Some(&b"a/b"[..]));
        assert!(same_json(&serde_json::json!(-0.0), &serde_json::json!(0)));
    }
}
