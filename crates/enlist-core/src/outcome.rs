//! What a provider answered, as one type for every provider.
//!
//! Response parsers take `(status, headers, body bytes)` and never panic: an HTML
//! error page, truncated JSON or an unexpected shape becomes
//! [`Outcome::Malformed`], not a crash.
//!
//! ```
//! use enlist_core::{partoo::Partoo, Outcome, Provider};
//!
//! let outcome = Partoo::parse_create_user_response(200, &[], br#"{"id":"5309c3a237bbc544d8e26737","status":"success"}"#);
//! match outcome {
//!     Outcome::Created(created) => assert_eq!(created.id, "5309c3a237bbc544d8e26737"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

use crate::json::{Document, Kind, Node};
use crate::report::{push_token, Code, Issue, Params};
use crate::retry_after::RetryAfter;
use serde::Serialize;

/// The result of one provider call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The user was created.
    Created(Created),
    /// The invitation was sent (Partoo's invite call).
    Invited(Invited),
    /// The provider rejected the payload; `errors` has its field messages mapped
    /// to JSON Pointers.
    Validation(Failure),
    /// A user with this email already exists.
    AlreadyExists(Failure),
    /// The API key was missing or rejected.
    Unauthorized(Failure),
    /// The key is valid but may not do this.
    Forbidden(Failure),
    /// The provider found no such resource.
    NotFound(Failure),
    /// Too many requests; `retry_after` has the seconds to wait when sent.
    RateLimited(Failure),
    /// The provider failed (5xx or an unexpected status).
    Upstream(Failure),
    /// The answer could not be understood (not JSON, truncated, wrong shape).
    Malformed(Failure),
}

impl Outcome {
    /// The snake_case name of the variant (the `kind` field when serialized).
    ///
    /// ```
    /// # use enlist_core::{pandadoc::PandaDoc, Provider, RetryAfter};
    /// let o = PandaDoc::parse_create_user_response(429, &[("Retry-After", "7")], b"");
    /// assert_eq!(o.kind(), "rate_limited");
    /// assert_eq!(o.failure().and_then(|f| f.retry_after), Some(RetryAfter::Seconds(7)));
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Created(_) => "created",
            Outcome::Invited(_) => "invited",
            Outcome::Validation(_) => "validation",
            Outcome::AlreadyExists(_) => "already_exists",
            Outcome::Unauthorized(_) => "unauthorized",
            Outcome::Forbidden(_) => "forbidden",
            Outcome::NotFound(_) => "not_found",
            Outcome::RateLimited(_) => "rate_limited",
            Outcome::Upstream(_) => "upstream",
            Outcome::Malformed(_) => "malformed",
        }
    }

    /// `true` for [`Outcome::Created`] and [`Outcome::Invited`].
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Created(_) | Outcome::Invited(_))
    }

    /// Turns a `Retry-After` sent as a date into the delay it means at `now`
    /// (Unix seconds), so that the outcome serializes it as seconds.
    ///
    /// ```
    /// # use enlist_core::{partoo::Partoo, Provider, RetryAfter};
    /// let mut o = Partoo::parse_create_user_response(429, &[("Retry-After", "Thu, 01 Jan 1970 00:01:00 GMT")], b"");
    /// o.resolve_retry_after(20);
    /// assert_eq!(o.failure().and_then(|f| f.retry_after), Some(RetryAfter::Seconds(40)));
    /// ```
    pub fn resolve_retry_after(&mut self, now: u64) {
        if let Some(f) = self.failure_mut() {
            f.retry_after = f
                .retry_after
                .map(|r| RetryAfter::Seconds(r.seconds_from(now)));
        }
    }

    fn failure_mut(&mut self) -> Option<&mut Failure> {
        match self {
            Outcome::Created(_) | Outcome::Invited(_) => None,
            Outcome::Validation(f)
            | Outcome::AlreadyExists(f)
            | Outcome::Unauthorized(f)
            | Outcome::Forbidden(f)
            | Outcome::NotFound(f)
            | Outcome::RateLimited(f)
            | Outcome::Upstream(f)
            | Outcome::Malformed(f) => Some(f),
        }
    }

    /// The failure details, unless this is a success.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Created(_) | Outcome::Invited(_) => None,
            Outcome::Validation(f)
            | Outcome::AlreadyExists(f)
            | Outcome::Unauthorized(f)
            | Outcome::Forbidden(f)
            | Outcome::NotFound(f)
            | Outcome::RateLimited(f)
            | Outcome::Upstream(f)
            | Outcome::Malformed(f) => Some(f),
        }
    }
}

/// A created user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Created {
    /// The provider's id (`"partoo"`).
    pub provider: &'static str,
    /// The HTTP status the provider answered with.
    pub status: u16,
    /// The new user's id (Partoo `id`, PandaDoc `user_id`).
    pub id: String,
    /// Workspace memberships (PandaDoc).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workspaces: Vec<Membership>,
}

/// A user's membership of a workspace, as the provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The workspace.
    pub workspace_id: String,
    /// The role in it.
    pub role: String,
    /// The membership's id.
    pub member_id: String,
}

impl Membership {
    /// Reads a `workspaces` array of `{workspace_id, role, member_id}`
    /// objects, as PandaDoc returns it and the enlist proxy relays it.
    /// Elements that are not objects are skipped; a missing or non-text member
    /// reads as `""`. Anything but an array gives an empty list.
    ///
    /// ```
    /// use enlist_core::json::Document;
    /// use enlist_core::outcome::Membership;
    ///
    /// let doc = Document::parse(r#"[{"workspace_id":"w1","role":"Admin","member_id":"m1"}, 3]"#)?;
    /// let list = Membership::read_list(doc.root());
    /// assert_eq!(list.len(), 1);
    /// assert_eq!(list[0].role, "Admin");
    /// # Ok::<(), enlist_core::json::SyntaxError>(())
    /// ```
    pub fn read_list(list: Node<'_, '_>) -> Vec<Membership> {
        let text = |n: Node<'_, '_>, k: &str| {
            n.get(k)
                .and_then(|v| v.as_str())
                .map(|s| s.into_owned())
                .unwrap_or_default()
        };
        list.elements()
            .filter(|e| e.kind() == Kind::Object)
            .map(|e| Membership {
                workspace_id: text(e, "workspace_id"),
                role: text(e, "role"),
                member_id: text(e, "member_id"),
            })
            .collect()
    }
}

/// Longest id relayed from a provider's answer, in bytes: the user id, a
/// PandaDoc `workspace_id` or `member_id` (Partoo's ids are 24 hexadecimal
/// characters, PandaDoc's 22 letters and digits).
pub const MAX_ID_LEN: usize = 128;
/// Longest workspace role relayed from a provider's answer, in bytes.
pub const MAX_ROLE_LEN: usize = 64;

/// Whether `id` has the shape of a provider id: 1 to [`MAX_ID_LEN`] bytes of
/// URL-safe characters (`A-Z a-z 0-9 - . _ ~`), and not `.` or `..`. Ids are
/// opaque, so this checks a character set and a length, not a format; it is
/// what an id must be to travel in a URL path segment unencoded (the enlist
/// Worker's invite route accepts exactly these). A provider answer whose id
/// fails it is [`Outcome::Malformed`]: a 10,000-character "id", or one
/// carrying markup or an echoed credential header, is not relayed.
///
/// ```
/// use enlist_core::outcome::is_provider_id;
/// assert!(is_provider_id("5309c3a237bbc544d8e26737"));
/// assert!(is_provider_id("KwahvjapLm4RDf6pfyYdjA"));
/// assert!(!is_provider_id(""));
/// assert!(!is_provider_id("API-Key 3039ba03"));
/// assert!(!is_provider_id(&"a".repeat(129)));
/// ```
pub fn is_provider_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `role` has the shape of a role name: 1 to [`MAX_ROLE_LEN`] bytes
/// of ASCII letters, digits, spaces, `.`, `_` and `-`, not starting or
/// ending with a space (PandaDoc's `Admin`, `Manager`, `Member`,
/// `Collaborator`, and role names like them).
///
/// ```
/// use enlist_core::outcome::is_role_name;
/// assert!(is_role_name("Collaborator"));
/// assert!(is_role_name("Billing admin"));
/// assert!(!is_role_name("<script>"));
/// assert!(!is_role_name(" Admin"));
/// ```
pub fn is_role_name(role: &str) -> bool {
    !role.is_empty()
        && role.len() <= MAX_ROLE_LEN
        && !role.starts_with(' ')
        && !role.ends_with(' ')
        && role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'_' | b'-'))
}

impl Membership {
    /// Whether every member is absent (read as `""`) or well formed: ids
    /// pass [`is_provider_id`], the role [`is_role_name`].
    ///
    /// ```
    /// use enlist_core::outcome::Membership;
    /// let m = |w: &str, r: &str| Membership { workspace_id: w.into(), role: r.into(), member_id: "m1".into() };
    /// assert!(m("MwZbjUVD5C3srSSxkpF4Aj", "Member").is_well_formed());
    /// assert!(m("", "").is_well_formed());
    /// assert!(!m("w 1", "Member").is_well_formed());
    /// ```
    pub fn is_well_formed(&self) -> bool {
        let id = |s: &str| s.is_empty() || is_provider_id(s);
        id(&self.workspace_id)
            && id(&self.member_id)
            && (self.role.is_empty() || is_role_name(&self.role))
    }
}

/// A sent invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invited {
    /// The provider's id.
    pub provider: &'static str,
    /// The HTTP status the provider answered with.
    pub status: u16,
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The provider's id.
    pub provider: &'static str,
    /// The HTTP status the provider answered with.
    pub status: u16,
    /// A summary in English; the provider's own text with email addresses removed,
    /// or enlist's when the provider gave none.
    pub message: String,
    /// Field problems the provider reported, with JSON Pointer paths into the
    /// request body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Issue>,
    /// When to retry, from `Retry-After` (a delay, or a date that
    /// [`RetryAfter::seconds_from`] turns into one given the time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<RetryAfter>,
}

/// Longest provider message kept, in characters.
const MAX_MESSAGE: usize = 300;
/// Most field messages kept from one answer.
const MAX_ISSUES: usize = 100;

/// What a provider-specific parser extracted from an error body.
#[derive(Default)]
pub(crate) struct ErrorBody {
    /// The provider's summary message, if any.
    pub message: Option<String>,
    /// Field messages.
    pub issues: Vec<Issue>,
    /// The provider said "too many requests" in the body.
    pub throttled: bool,
}

/// Shared status classification. `parse_body` reads a provider's error JSON.
pub(crate) fn classify(
    provider: &'static str,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    parse_body: impl Fn(Node<'_, '_>) -> ErrorBody,
) -> Outcome {
    let text = std::str::from_utf8(body).ok();
    let doc = text.and_then(|t| Document::parse(t).ok());
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let parsed = doc
        .as_ref()
        .map(|d| parse_body(d.root()))
        .unwrap_or_default();
    let retry_after = header(headers, "retry-after").and_then(RetryAfter::parse);
    let failure = |default: &str, parsed: ErrorBody| Failure {
        provider,
        status,
        // A blank provider message is no message: use enlist's.
        message: parsed
            .message
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| default.to_string()),
        errors: parsed.issues,
        retry_after,
    };
    if status == 429 || (parsed.throttled && status >= 400) {
        return Outcome::RateLimited(failure("The provider is rate limiting requests.", parsed));
    }
    let body_required = matches!(status, 400 | 409 | 422);
    if doc.is_none() && (body_required || !blank) {
        // Not JSON where JSON was due (an HTML error page, a truncated body).
        let what = if blank { "an empty" } else { "an unreadable" };
        return Outcome::Malformed(Failure {
            provider,
            status,
            message: format!("The provider answered HTTP {status} with {what} body."),
            errors: Vec::new(),
            retry_after,
        });
    }
    match status {
        400 | 422 | 409 => {
            let exists =
                status == 409 || parsed.issues.iter().any(|i| i.code == Code::AlreadyExists);
            if exists {
                Outcome::AlreadyExists(failure("A user with this email already exists.", parsed))
            } else {
                Outcome::Validation(failure("The provider rejected the request.", parsed))
            }
        }
        401 => Outcome::Unauthorized(failure("The provider rejected the API key.", parsed)),
        403 => Outcome::Forbidden(failure(
            "The API key is not allowed to create this user.",
            parsed,
        )),
        404 => Outcome::NotFound(failure("The provider found no such resource.", parsed)),
        _ => Outcome::Upstream(failure(
            &format!("The provider failed with HTTP {status}."),
            parsed,
        )),
    }
}

/// The first header called `name` (case-insensitive).
pub(crate) fn header<'h>(headers: &[(&str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// A provider's message made safe to show and log: email addresses removed,
/// control characters dropped, length capped.
///
/// ```
/// use enlist_core::outcome::sanitize_message;
/// assert_eq!(sanitize_message("User ada@example.com already exists"), "User <email> already exists");
/// ```
pub fn sanitize_message(message: &str) -> String {
    let mut out = String::new();
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.contains('@') {
            out.push_str("<email>");
        } else {
            out.extend(word.chars().filter(|c| !c.is_control()));
        }
    }
    if crate::formats::char_count(&out) > MAX_MESSAGE {
        out = out.chars().take(MAX_MESSAGE).collect();
        out.push('…');
    }
    out
}

/// Maps a provider's message to enlist's closest code.
pub(crate) fn code_for_message(message: &str) -> Code {
    let m = message.to_ascii_lowercase();
    let has = |w: &str| m.contains(w);
    if has("already") && (has("exist") || has("used") || has("taken") || has("registered")) {
        Code::AlreadyExists
    } else if has("domain") {
        Code::Domain
    } else if has("required") || has("missing data") {
        Code::Required
    } else if has("unknown field") {
        Code::UnknownField
    } else if has("email") && has("valid") {
        Code::Email
    } else if has("phone") {
        Code::Phone
    } else if has("one of") || has("valid choice") {
        Code::Enum
    } else if has("not a valid") || has("may not be null") || has("invalid type") {
        Code::Type
    } else if has("shorter than") || has("at least") {
        Code::MinLength
    } else if has("longer than") || has("at most") {
        Code::MaxLength
    } else {
        Code::Rejected
    }
}

/// Pushes one issue per message found under `node` (a string, a list of strings,
/// or an object of those keyed by field names or indices, as marshmallow and
/// Django REST framework produce), with `path` as the pointer so far.
pub(crate) fn collect_messages(node: Node<'_, '_>, path: &mut String, out: &mut Vec<Issue>) {
    if out.len() >= MAX_ISSUES {
        return;
    }
    match node.kind() {
        Kind::String => {
            let text = node.as_str().unwrap_or_default();
            let mut message = sanitize_message(&text);
            if message.trim().is_empty() {
                message = "The provider rejected this value without saying why.".to_string();
            }
            out.push(Issue::new(
                path.clone(),
                code_for_message(&text),
                message,
                Params::new(),
            ));
        }
        Kind::Array => {
            for element in node.elements() {
                if matches!(element.kind(), Kind::String | Kind::Object) {
                    collect_messages(element, path, out);
                }
            }
        }
        Kind::Object => {
            for (key, value) in node.members() {
                let len = path.len();
                let key = key.as_str();
                // marshmallow reports whole-object problems under "_schema".
                if key != "_schema" && key != "non_field_errors" {
                    push_token(path, &key);
                }
                collect_messages(value, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_map_to_codes() {
        let cases = [
            ("User already exists", Code::AlreadyExists),
            ("Email already used", Code::AlreadyExists),
            (
                "User email should have the same email domain as org admin.",
                Code::Domain,
            ),
            ("Enter a valid email address.", Code::Email),
            ("Missing data for required field.", Code::Required),
            ("This field is required.", Code::Required),
            ("Unknown field.", Code::UnknownField),
            ("Must be one of: fr, en.", Code::Enum),
            ("Role is not a valid choice.", Code::Enum),
            ("Not a valid integer.", Code::Type),
            ("Unable to add more licenses.", Code::Rejected),
        ];
        for (message, code) in cases {
            assert_eq!(code_for_message(message), code, "{message}");
        }
    }

    /// Found by `fuzz/` (target `response`): a blank provider message gave an
    /// empty `Failure::message` and an issue with an empty message.
    #[test]
    fn blank_provider_messages_get_enlist_wording() {
        use crate::Provider;
        let outcome = crate::pandadoc::PandaDoc::parse_invite_response(
            422,
            &[],
            br#"{"detail":{"non_field_errors":[""],"ab/~c":" \u0000 "}}"#,
        );
        let failure = outcome.failure().expect("a failure");
        assert_eq!(
            failure.message,
            "The provider rejected this value without saying why."
        );
        assert_eq!(failure.errors.len(), 2);
        for issue in &failure.errors {
            assert!(!issue.message.trim().is_empty(), "{issue:?}");
        }
        let outcome = crate::partoo::Partoo::parse_create_user_response(
            401,
            &[],
            br#"{"errors":{"authentication":""}}"#,
        );
        assert_eq!(
            outcome.failure().map(|f| f.message.as_str()),
            Some("The provider rejected the API key.")
        );
    }

    #[test]
    fn sanitize_strips_emails_controls_and_length() {
        assert_eq!(sanitize_message("a\u{0}b x@y.z"), "ab <email>");
        let long = "x".repeat(1000);
        assert_eq!(sanitize_message(&long).chars().count(), MAX_MESSAGE + 1);
    }
}
