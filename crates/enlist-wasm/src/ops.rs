//! The work behind each export, on byte slices: read JSON inputs with the
//! core's tape reader ([`enlist_core::json`]), call the provider through
//! [`ProviderRules`] (or [`AnyProvider`] for the operations that build and read
//! provider requests), write the result as JSON into `out` and return its
//! length.
//!
//! Nothing here knows a provider: ids, rules, messages and codes all come from
//! the core.
//!
//! ```
//! use enlist_core::{provider, Options};
//! use enlist_wasm::ops;
//!
//! let partoo = provider("partoo").ok_or("not registered")?;
//! let mut out = Vec::new();
//! let n = ops::validate(partoo, br#"{"email":"ada@example.com"}"#, &Options::default(), &mut out);
//! assert_eq!(n, out.len());
//! assert!(out.starts_with(br#"[["/first_name","required","#)); // see `write::report`
//! # Ok::<(), &str>(())
//! ```

use crate::write;
use enlist_core::http::{encode_path_segment, ApiKey, BaseUrl, HttpRequest, RequestError};
use enlist_core::json::{decimal, strip_bom, Document, Kind, Node, Writer};
use enlist_core::outcome::{sanitize_message, Membership};
use enlist_core::provider::flag_query;
use enlist_core::proxy::{self, ClientKind, ProblemKind};
use enlist_core::validate::{allowed_domain_problem, suggest, DEFAULT_MAX_ISSUES};
use enlist_core::RetryAfter;
use enlist_core::{
    AnyProvider, BuildError, Code, Issue, Omitted, Options, ProviderRules, Report, Settings,
};
use serde::Serialize;
use std::borrow::Cow;

/// Replaces `out` with `value` as JSON and returns its length.
///
/// ```
/// let mut out = Vec::new();
/// assert_eq!(enlist_wasm::ops::write_json(&mut out, &["a", "b"]), 9);
/// assert_eq!(out, br#"["a","b"]"#);
/// ```
pub fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> usize {
    out.clear();
    if serde_json::to_writer(&mut *out, value).is_err() {
        // Only reachable through a bug in a `Serialize` impl; keep the output JSON.
        out.clear();
        out.extend_from_slice(b"null");
    }
    out.len()
}

/// The registered provider ids as a JSON array.
///
/// ```
/// let mut out = Vec::new();
/// enlist_wasm::ops::providers(&mut out);
/// assert!(out.starts_with(br#"["partoo","pandadoc""#));
/// ```
pub fn providers(out: &mut Vec<u8>) -> usize {
    out.clear();
    Writer::new(out).strings(enlist_core::provider_ids());
    out.len()
}

/// Every issue code as a JSON array.
///
/// ```
/// let mut out = Vec::new();
/// enlist_wasm::ops::codes(&mut out);
/// assert!(out.ends_with(br#""deprecated","ignored"]"#));
/// ```
pub fn codes(out: &mut Vec<u8>) -> usize {
    out.clear();
    Writer::new(out).strings(Code::ALL.iter().map(|c| c.as_str()));
    out.len()
}

/// The options in force until JavaScript sets others: no allowed domains,
/// and the package's cap on issues ([`DEFAULT_MAX_ISSUES`]).
///
/// ```
/// let o = enlist_wasm::ops::default_options();
/// assert_eq!(o.max_issues, Some(enlist_core::validate::DEFAULT_MAX_ISSUES));
/// ```
pub fn default_options() -> Options {
    Options::default().with_max_issues(DEFAULT_MAX_ISSUES)
}

/// Reads `null` or `{"allowedEmailDomains"?: null | [string, …], "maxIssues"?:
/// null | integer}`; other keys are ignored (JavaScript sends only these).
/// Absent or `null` means no allowed-domains list, and the default cap of
/// [`default_options`]. The error is a message for a `TypeError`: an empty
/// list of domains, an entry that is not a domain name (a leading `@`, a
/// wildcard: see [`allowed_domain_problem`]), a cap below 1.
///
/// ```
/// use enlist_wasm::ops::read_options;
/// let o = read_options(br#"{"allowedEmailDomains":["acme.com"],"maxIssues":5}"#)?;
/// assert_eq!(o.allowed_email_domains, Some(vec!["acme.com".to_string()]));
/// assert_eq!(o.max_issues, Some(5));
/// assert!(read_options(br#"{"allowedEmailDomains":"acme.com"}"#).is_err());
/// assert!(read_options(br#"{"allowedEmailDomains":["*.acme.com"]}"#).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn read_options(json: &[u8]) -> Result<Options, String> {
    let doc = Document::parse_bytes(json).map_err(|e| e.message())?;
    let root = doc.root();
    let mut options = default_options();
    match root.kind() {
        Kind::Null => return Ok(options),
        Kind::Object => {}
        _ => return Err("options must be an object".into()),
    }
    if let Some(domains) = root.get("allowedEmailDomains").filter(|d| !d.is_null()) {
        let bad = || "options.allowedEmailDomains must be an array of strings".to_string();
        if domains.kind() != Kind::Array {
            return Err(bad());
        }
        let mut list = Vec::new();
        for (i, domain) in domains.elements().enumerate() {
            let domain = domain.as_str().ok_or_else(bad)?;
            if let Some(problem) = allowed_domain_problem(&domain) {
                return Err([
                    "options.allowedEmailDomains[",
                    &decimal(i as u64),
                    "] ",
                    problem,
                ]
                .concat());
            }
            list.push(domain.into_owned());
        }
        if list.is_empty() {
            return Err("options.allowedEmailDomains is empty: no address could match".into());
        }
        options.allowed_email_domains = Some(list);
    }
    if let Some(max) = root.get("maxIssues").filter(|m| !m.is_null()) {
        match max.as_i64() {
            // Beyond the address space means no cap.
            Some(n) if n >= 1 => {
                options.max_issues = Some(usize::try_from(n).unwrap_or(usize::MAX))
            }
            _ => {
                return Err(
                    "options.maxIssues must be a whole number of at least 1, or Infinity".into(),
                )
            }
        }
    }
    Ok(options)
}

/// Validates `json`; writes the [`Report`] (compact: [`write::report`])
/// unless it has neither errors nor warnings. Returns the length written (0
/// for "valid, nothing to say").
///
/// ```
/// # use enlist_core::{provider, Options};
/// let p = provider("partoo").ok_or("missing")?;
/// let mut out = Vec::new();
/// let json = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#;
/// assert_eq!(enlist_wasm::ops::validate(p, json, &Options::default(), &mut out), 0);
/// # Ok::<(), &str>(())
/// ```
pub fn validate<P: ProviderRules + ?Sized>(
    provider: &P,
    json: &[u8],
    options: &Options,
    out: &mut Vec<u8>,
) -> usize {
    let report = provider.check_json(strip_bom(json), options);
    if report.errors.is_empty() && report.warnings.is_empty() {
        out.clear();
        return 0;
    }
    crate::write::report(out, &report)
}

/// A problem with request settings, shaped like an [`Issue`] with `path: ""`
/// and `code` a [`RequestError::code`].
///
/// ```
/// let issue = enlist_wasm::ops::SettingsIssue::from_error(&enlist_core::RequestError::InvalidBaseUrl("has no host"));
/// assert_eq!((issue.path, issue.code), ("", "invalid_base_url"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsIssue {
    /// Always `""`.
    pub path: &'static str,
    /// [`RequestError::code`].
    pub code: &'static str,
    /// The core's message, as a sentence.
    pub message: String,
}

impl SettingsIssue {
    /// The issue for a core [`RequestError`].
    ///
    /// ```
    /// use enlist_core::RequestError;
    /// let issue = enlist_wasm::ops::SettingsIssue::from_error(&RequestError::EmptyApiKey);
    /// assert_eq!((issue.code, issue.message.as_str()), ("empty_api_key", "The API key is empty."));
    /// ```
    pub fn from_error(e: &RequestError) -> Self {
        SettingsIssue {
            path: "",
            code: e.code(),
            message: sentence(&e.to_string()),
        }
    }

    fn new(code: &'static str, message: &str) -> Self {
        SettingsIssue {
            path: "",
            code,
            message: message.to_string(),
        }
    }
}

/// `"the key is empty"` → `"The key is empty."`.
fn sentence(text: &str) -> String {
    let mut s = text.to_string();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// What a `buildRequest` settings object may hold besides the provider's
/// flags.
pub const BUILD_REQUEST_SETTINGS: &[&str] = &["apiKey", "environment", "baseUrl"];

/// What a `createUser` options object may hold besides the provider's flags.
/// The last four are read in JavaScript, which sends them here as `null`.
pub const CREATE_USER_OPTIONS: &[&str] = &[
    "endpoint",
    "idempotencyKey",
    "token",
    "signal",
    "fetch",
    "allowedEmailDomains",
    "maxIssues",
];

/// What a `createImport` options object may hold, besides the provider's
/// flags (`notifyUser`, …), which every row's call then carries. `signal`
/// and `fetch` are read in JavaScript, which sends them here as `null`.
pub const CREATE_IMPORT_OPTIONS: &[&str] = &[
    "endpoint",
    "idempotencyKey",
    "token",
    "dryRun",
    "signal",
    "fetch",
];

/// What an `openImport` options object may hold.
pub const OPEN_IMPORT_OPTIONS: &[&str] = &["endpoint", "token", "signal", "fetch"];

/// The call a [`proxy_plan`] is for: its options are checked alike, each
/// against its own list of names.
///
/// ```
/// use enlist_wasm::ops::ProxyCall;
/// assert_eq!(ProxyCall::from_code(1), Some(ProxyCall::CreateImport));
/// assert_eq!(ProxyCall::from_code(9), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyCall {
    /// `createUser`: `POST /v1/{provider}/users`, the payload validated first.
    CreateUser,
    /// `createImport`: `POST /v1/{provider}/imports` (the rows are checked by
    /// the proxy).
    CreateImport,
    /// `openImport`: an existing job under `/v1/imports`.
    OpenImport,
}

impl ProxyCall {
    /// The call for JavaScript's code: 0, 1 or 2 in declaration order.
    pub fn from_code(code: u32) -> Option<ProxyCall> {
        match code {
            0 => Some(ProxyCall::CreateUser),
            1 => Some(ProxyCall::CreateImport),
            2 => Some(ProxyCall::OpenImport),
            _ => None,
        }
    }

    /// The JavaScript function's name, for messages.
    fn function(self) -> &'static str {
        match self {
            ProxyCall::CreateUser => "createUser",
            ProxyCall::CreateImport => "createImport",
            ProxyCall::OpenImport => "openImport",
        }
    }
}

/// `object.name`, for messages.
fn member(object: &str, name: &str) -> String {
    [object, ".", name].concat()
}

/// The error for the first member of `root` that is neither one of `known`
/// nor one of the provider's flags: `createUser` options and `buildRequest`
/// settings are checked alike, so a misspelt name reads the same in both.
///
/// ```
/// # use enlist_core::{json::Document, provider};
/// let p = provider("pandadoc").ok_or("missing")?;
/// let doc = Document::parse(r#"{"apiKey":"k","notifyUsr":true}"#).map_err(|e| e.to_string())?;
/// let known = enlist_wasm::ops::BUILD_REQUEST_SETTINGS;
/// let e = enlist_wasm::ops::check_names(p, doc.root(), "settings", "buildRequest", known).unwrap_err();
/// assert!(e.starts_with("settings.notifyUsr is not a buildRequest setting for PandaDoc (did you mean settings.notifyUser?)"));
/// # Ok::<(), String>(())
/// ```
pub fn check_names<P: ProviderRules + ?Sized>(
    provider: &P,
    root: Node<'_, '_>,
    object: &str,
    function: &str,
    known: &[&str],
) -> Result<(), String> {
    let mut all: Vec<&str> = known.to_vec();
    all.extend(provider.flags().iter().map(|f| f.option));
    unknown_name(&all, root, object, function, Some(provider.name()))
}

/// The error for the first member of `root` not in `all`, naming `whose`
/// options they are when given, with the closest known name.
fn unknown_name(
    all: &[&str],
    root: Node<'_, '_>,
    object: &str,
    function: &str,
    whose: Option<&str>,
) -> Result<(), String> {
    let Some(name) = root
        .members()
        .map(|(key, _)| key.as_str())
        .find(|name| !all.contains(&name.as_ref()))
    else {
        return Ok(());
    };
    let noun = if object == "settings" {
        "setting"
    } else {
        "option"
    };
    let mut message = [
        member(object, &name).as_str(),
        // "an openImport option", "a createUser option".
        if function.starts_with('o') {
            " is not an "
        } else {
            " is not a "
        },
        function,
        " ",
        noun,
    ]
    .concat();
    if let Some(whose) = whose {
        message.push_str(" for ");
        message.push_str(whose);
    }
    if let Some(hit) = suggest(all, &name) {
        message.push_str(" (did you mean ");
        message.push_str(&member(object, hit));
        message.push_str("?)");
    }
    message.push('.');
    Err(message)
}

/// The message for a flag given something other than a boolean or `null`.
fn flag_type_error(object: &str, name: &str) -> String {
    member(object, name) + " must be true, false or null."
}

/// The key [`read_settings`] puts in [`Settings::api_key`]: the request is
/// built with it, and [`build_request`] writes the caller's key over it in
/// the output. It passes [`ApiKey`]'s rules, and every registered provider's
/// credential header holds it as it is (tested).
pub const KEY_STAND_IN: &str = "enlist-api-key-stand-in";

/// `buildRequest` settings as [`read_settings`] reads them.
pub struct ReadSettings<'a> {
    /// The core's settings, with [`KEY_STAND_IN`] as the key.
    pub settings: Settings,
    /// The caller's key (empty when absent or `null`).
    pub api_key: KeyText<'a>,
}

/// The caller's API key as read from the settings' JSON text: borrowed from
/// that text, or, when the text escapes one of its characters, an unescaped
/// copy that is overwritten with zeros when dropped (the allocator leaves
/// freed memory as it was). It has no `Debug`, so it cannot be printed by
/// mistake.
///
/// ```
/// # use enlist_core::provider;
/// let p = provider("partoo").ok_or("missing")?;
/// let read = enlist_wasm::ops::read_settings(p, br#"{"apiKey":"a\"b"}"#)?;
/// assert_eq!(read.api_key.as_str(), "a\"b");
/// # Ok::<(), String>(())
/// ```
pub struct KeyText<'a>(Cow<'a, str>);

impl KeyText<'_> {
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for KeyText<'_> {
    fn drop(&mut self) {
        if let Cow::Owned(key) = &mut self.0 {
            let mut bytes = std::mem::take(key).into_bytes();
            bytes.fill(0);
            // The zeros must be written although nothing reads them.
            std::hint::black_box(&mut bytes);
        }
    }
}

/// Reads the `buildRequest` settings object `{apiKey, environment?, baseUrl?,
/// <flag>?…}` into the core's [`Settings`] and the key beside them (see
/// [`ReadSettings`]: the key is not copied into the settings). A settings
/// object of the wrong shape is a programming error, and the message for a
/// `TypeError`: not an object, a name that is neither a setting nor one of
/// the provider's flags (see [`check_names`]), `apiKey`, `environment` or
/// `baseUrl` not a string, a flag not a boolean. Values of the right type
/// that the provider cannot use (an empty key, an unknown environment) are
/// the core's to report.
///
/// ```
/// # use enlist_core::provider;
/// use enlist_wasm::ops::{read_settings, KEY_STAND_IN};
/// let pandadoc = provider("pandadoc").ok_or("missing")?;
/// let s = read_settings(pandadoc, br#"{"apiKey":"k","notifyUser":true}"#)?;
/// assert_eq!(s.api_key.as_str(), "k");
/// assert_eq!(s.settings.api_key, KEY_STAND_IN);
/// assert_eq!(s.settings.flags.len(), 1);
/// assert_eq!(read_settings(pandadoc, br#"{"apiKey":5}"#).err().as_deref(), Some("settings.apiKey must be a string."));
/// assert!(read_settings(pandadoc, br#""key""#).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn read_settings<'a, P: ProviderRules + ?Sized>(
    provider: &P,
    json: &'a [u8],
) -> Result<ReadSettings<'a>, String> {
    const SHAPE: &str =
        "buildRequest needs settings: an object { apiKey, environment?, baseUrl?, …the provider's options }.";
    let mut read = ReadSettings {
        settings: Settings {
            api_key: KEY_STAND_IN.into(),
            ..Settings::default()
        },
        api_key: KeyText(Cow::Borrowed("")),
    };
    let doc = Document::parse_bytes(json).map_err(|_| SHAPE.to_string())?;
    let root = doc.root();
    if root.kind() != Kind::Object {
        return Err(SHAPE.into());
    }
    check_names(
        provider,
        root,
        "settings",
        "buildRequest",
        BUILD_REQUEST_SETTINGS,
    )?;
    // `null` reads as absent.
    let text = |value: Node<'_, 'a>, name: &str| match value.as_str() {
        Some(t) => Ok(Some(t)),
        None if value.is_null() => Ok(None),
        None => Err(member("settings", name) + " must be a string."),
    };
    let settings = &mut read.settings;
    for (key, value) in root.members() {
        let name = key.as_str();
        match name.as_ref() {
            "apiKey" => read.api_key = KeyText(text(value, "apiKey")?.unwrap_or_default()),
            "environment" => {
                settings.environment = text(value, "environment")?.map(Cow::into_owned)
            }
            "baseUrl" => settings.base_url = text(value, "baseUrl")?.map(Cow::into_owned),
            // `check_names` let only the provider's flags through.
            flag => match value.as_bool() {
                Some(b) => settings.set_flag(flag, b),
                None if value.is_null() => {}
                None => return Err(flag_type_error("settings", flag)),
            },
        }
    }
    Ok(read)
}

/// Replaces `out` with `{"ok":false,"typeError":…}`: JavaScript throws it.
fn type_error(out: &mut Vec<u8>, message: &str) -> usize {
    out.clear();
    let mut w = Writer::new(out);
    w.begin_object();
    w.key("ok").bool(false);
    w.key("typeError").string(message);
    w.end_object();
    out.len()
}

#[derive(Serialize)]
struct BuiltOut<'a> {
    ok: bool,
    request: &'a enlist_core::HttpRequest,
    warnings: &'a [Issue],
}

#[derive(Serialize)]
struct FailedOut<'a, E: Serialize> {
    ok: bool,
    errors: E,
    warnings: &'a [Issue],
    #[serde(skip_serializing_if = "Omitted::is_none")]
    omitted: Omitted,
}

/// Validates the payload and builds the provider request with the settings
/// (see [`read_settings`]); writes `{"ok":true,"request","warnings"}` or
/// `{"ok":false,"errors","warnings"}`, or `{"ok":false,"typeError"}` for
/// settings of the wrong shape (JavaScript throws it, whatever the payload).
/// An invalid payload is reported before unusable settings values.
///
/// The key is never copied on the way: it is checked where it lies in
/// `settings` ([`ApiKey::check`]), the request is built and written with
/// [`KEY_STAND_IN`], and the key is then written over the stand-in in the
/// credential header's value in `out`, in place. So once
/// `settings` and `out` are zeroed (the npm package's `wipe`), no copy of it
/// is left, freed or not; a key that `settings` escapes is unescaped into
/// one copy, zeroed when dropped ([`KeyText`]).
///
/// ```
/// # use enlist_core::{provider, Options};
/// let p = provider("pandadoc").ok_or("missing")?;
/// let mut out = Vec::new();
/// let json = br#"{"user":{"email":"a@acme.com"},"license":"Guest","workspaces":[{"workspace_id":"w","role":"Member"}]}"#;
/// enlist_wasm::ops::build_request(p, json, br#"{"apiKey":"k","notifyUser":true}"#, &Options::default(), &mut out);
/// let text = String::from_utf8(out).map_err(|_| "utf-8")?;
/// assert!(text.contains(r#""url":"https://api.pandadoc.com/public/v1/users?notify_user=true""#));
/// assert!(text.contains(r#""Authorization":"API-Key k""#));
/// # Ok::<(), &str>(())
/// ```
pub fn build_request(
    provider: &dyn AnyProvider,
    json: &[u8],
    settings: &[u8],
    options: &Options,
    out: &mut Vec<u8>,
) -> usize {
    let ReadSettings { settings, api_key } = match read_settings(provider, settings) {
        Ok(read) => read,
        Err(message) => return type_error(out, &message),
    };
    // The key's checks come first of the settings' (after the payload's),
    // as in the core.
    let built = ApiKey::check(api_key.as_str())
        .map_err(BuildError::Request)
        .and_then(|()| provider.build_create_user(json, options, &settings));
    let issue = match built {
        Ok(built) => {
            write_json(
                out,
                &BuiltOut {
                    ok: true,
                    request: &built.request,
                    warnings: &built.warnings,
                },
            );
            if put_key(out, &built.request, api_key.as_str()).is_some() {
                return out.len();
            }
            // A provider whose credential does not hold the key as it is;
            // ruled out by a test over the registry.
            SettingsIssue::new(
                "unsupported",
                "This provider's credential cannot be built by the npm package.",
            )
        }
        Err(BuildError::Invalid(report)) => return invalid(&report, out),
        Err(BuildError::Request(e)) => SettingsIssue::from_error(&e),
        // `BuildError` is non-exhaustive; a future variant is still a failure.
        Err(other) => SettingsIssue::new("unsupported", &sentence(&other.to_string())),
    };
    settings_failure(provider, json, options, issue, out)
}

/// Writes `key` over [`KEY_STAND_IN`] in the value of `request`'s credential
/// header (its sensitive header) as `out` holds it: the JSON that
/// [`build_request`] wrote for `request`. `key` has passed
/// [`ApiKey::check`], so it is visible ASCII, of which JSON escapes `"` and
/// `\` only. The bytes after the stand-in move; `out` grows, if it must,
/// before the key is written, so the key is written once, in place, and
/// nowhere else. `None` when `out` holds no such header value.
fn put_key(out: &mut Vec<u8>, request: &HttpRequest, key: &str) -> Option<()> {
    let header = request.headers.iter().find(|h| h.sensitive)?;
    let in_value = header
        .value
        .as_bytes()
        .windows(KEY_STAND_IN.len())
        .position(|w| w == KEY_STAND_IN.as_bytes())?;
    // `"name":"value"` as JSON writes it. A JSON string holds no bare `"`,
    // so this only matches as an object member; the first such member of
    // the output is the request's header (the request is written first,
    // its url and body are strings).
    let mut member = Vec::new();
    enlist_core::json::write_string(&mut member, header.name);
    member.push(b':');
    let value_at = member.len() + 1;
    enlist_core::json::write_string(&mut member, &header.value);
    let found = out
        .windows(member.len())
        .position(|w| w == member.as_slice())?;
    // Where the stand-in starts: after the value's text before it, escaped.
    let mut before = Vec::new();
    enlist_core::json::write_string(&mut before, header.value.get(..in_value)?);
    let at = found + value_at + before.len() - 2;
    let end = at + KEY_STAND_IN.len();
    let escaped = key.len() + key.bytes().filter(|b| matches!(b, b'"' | b'\\')).count();
    let len = out.len();
    let new_len = len - KEY_STAND_IN.len() + escaped;
    if new_len > len {
        out.resize(new_len, 0);
    }
    out.copy_within(end..len, at + escaped);
    out.truncate(new_len);
    let mut slots = out.get_mut(at..at + escaped)?.iter_mut();
    for b in key.bytes() {
        if matches!(b, b'"' | b'\\') {
            *slots.next()? = b'\\';
        }
        *slots.next()? = b;
    }
    Some(())
}

fn invalid(report: &Report, out: &mut Vec<u8>) -> usize {
    write_json(
        out,
        &FailedOut {
            ok: false,
            errors: &report.errors,
            warnings: &report.warnings,
            omitted: report.omitted,
        },
    )
}

/// The settings are unusable: report the payload's errors if it has any
/// (they come first), else the settings problem with the payload's warnings.
fn settings_failure(
    provider: &dyn AnyProvider,
    json: &[u8],
    options: &Options,
    issue: SettingsIssue,
    out: &mut Vec<u8>,
) -> usize {
    let report = provider.check_json(json, options);
    if !report.is_ok() {
        return invalid(&report, out);
    }
    write_json(
        out,
        &FailedOut {
            ok: false,
            errors: [issue],
            warnings: &report.warnings,
            omitted: report.omitted,
        },
    )
}

/// Reads headers sent as a JSON array of `[name, value]` string pairs; other
/// entries are skipped.
///
/// ```
/// let h = enlist_wasm::ops::read_headers(br#"[["Retry-After","5"],["x",1],"y"]"#);
/// assert_eq!(h, [("Retry-After".to_string(), "5".to_string())]);
/// ```
pub fn read_headers(json: &[u8]) -> Vec<(String, String)> {
    let Ok(doc) = Document::parse_bytes(json) else {
        return Vec::new();
    };
    // A plain loop: `filter_map(…).collect()` costs the client wasm its own
    // iterator code.
    let mut headers = Vec::new();
    for pair in doc.root().elements() {
        let mut it = pair.elements();
        if let (Some(name), Some(value)) = (
            it.next().and_then(|n| n.as_str()),
            it.next().and_then(|v| v.as_str()),
        ) {
            headers.push((name.into_owned(), value.into_owned()));
        }
    }
    headers
}

/// Borrows owned header pairs as the core's `&[(&str, &str)]`.
///
/// ```
/// let owned = vec![("a".to_string(), "b".to_string())];
/// assert_eq!(enlist_wasm::ops::header_pairs(&owned), [("a", "b")]);
/// ```
pub fn header_pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// 1 to `max` visible ASCII characters: what the proxy accepts in its
/// `Idempotency-Key` and `Authorization: Bearer` headers.
fn visible_ascii(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// Replaces `out` with `{"kind":"error","message":…}`.
fn plan_error(out: &mut Vec<u8>, message: &str) -> usize {
    out.clear();
    let mut w = Writer::new(out);
    w.begin_object();
    w.key("kind").string("error");
    w.key("message").string(message);
    w.end_object();
    out.len()
}

/// Plans a `createUser` call to an enlist proxy. `extra` is
/// `{"endpoint": string, "idempotencyKey"?: string, "token"?: string,
/// <flag>?: boolean | null…}`; `token` is a client token of a proxy in admin
/// mode, sent as `Authorization: Bearer <token>`; each of the provider's
/// [flags](enlist_core::ProviderRules::flags) set to a boolean becomes a query
/// parameter of the proxy URL (the proxy passes it on). Any other member is
/// an error ([`check_names`]); the members JavaScript reads itself (`signal`,
/// `fetch`, `allowedEmailDomains`, `maxIssues`) are accepted and ignored.
///
/// Writes `{"kind":"error","message"}` when the endpoint, key or token is
/// unusable (the message never quotes the token; JavaScript throws a
/// `TypeError`), else validates the payload and writes
/// `{"kind":"invalid","errors","warnings"}` (nothing may be sent), else
/// `{"kind":"send","method":"POST","url":"<endpoint>/v1/<provider>/users",
/// "headers":[[name, value]…],"warnings"}`; the body to send is the validated
/// JSON itself.
///
/// ```
/// # use enlist_core::{provider, Options};
/// let p = provider("partoo").ok_or("missing")?;
/// let mut out = Vec::new();
/// enlist_wasm::ops::proxy_request(p, b"{}", br#"{"endpoint":"ftp://x"}"#, &Options::default(), &mut out);
/// assert!(out.starts_with(br#"{"kind":"error""#));
/// # Ok::<(), &str>(())
/// ```
pub fn proxy_request<P: ProviderRules + ?Sized>(
    provider: &P,
    json: &[u8],
    extra: &[u8],
    options: &Options,
    out: &mut Vec<u8>,
) -> usize {
    proxy_plan(provider, ProxyCall::CreateUser, json, extra, options, out)
}

/// Plans a call to an enlist proxy: [`proxy_request`] for `createUser`, and
/// the same checks of the options for the import calls, each against its
/// own names ([`CREATE_IMPORT_OPTIONS`], [`OPEN_IMPORT_OPTIONS`]; a
/// misspelt or wrongly typed one is the same error as `createUser`'s).
///
/// An import plan validates nothing (the proxy checks every row) and has no
/// `Content-Type` (JavaScript sets it for CSV or JSON); its `url` is
/// `<endpoint>/v1/<provider>/imports` (`?dry_run=true` when
/// `options.dryRun` is `true`) for `createImport` and
/// `<endpoint>/v1/imports` for `openImport`, and both carry `"imports"`,
/// the URL of the jobs (`<endpoint>/v1/imports`).
///
/// ```
/// # use enlist_core::{provider, Options};
/// use enlist_wasm::ops::{proxy_plan, ProxyCall};
/// let p = provider("partoo").ok_or("missing")?;
/// let mut out = Vec::new();
/// proxy_plan(p, ProxyCall::CreateImport, b"", br#"{"endpoint":"https://e.example","dryRun":true}"#, &Options::default(), &mut out);
/// let text = String::from_utf8_lossy(&out);
/// assert!(text.contains(r#""url":"https://e.example/v1/partoo/imports?dry_run=true""#), "{text}");
/// proxy_plan(p, ProxyCall::OpenImport, b"", br#"{"endpoint":"https://e.example","dryRun":true}"#, &Options::default(), &mut out);
/// assert!(String::from_utf8_lossy(&out).contains("options.dryRun is not an openImport option"));
/// # Ok::<(), &str>(())
/// ```
pub fn proxy_plan<P: ProviderRules + ?Sized>(
    provider: &P,
    call: ProxyCall,
    json: &[u8],
    extra: &[u8],
    options: &Options,
    out: &mut Vec<u8>,
) -> usize {
    let function = call.function();
    let doc = Document::parse_bytes(extra).ok();
    let root = doc.as_ref().map(Document::root);
    if let Some(r) = root {
        let checked = match call {
            ProxyCall::CreateUser => {
                check_names(provider, r, "options", function, CREATE_USER_OPTIONS)
            }
            ProxyCall::CreateImport => {
                check_names(provider, r, "options", function, CREATE_IMPORT_OPTIONS)
            }
            ProxyCall::OpenImport => {
                unknown_name(OPEN_IMPORT_OPTIONS, r, "options", function, None)
            }
        };
        if let Err(message) = checked {
            return plan_error(out, &message);
        }
    }
    let text = |name: &str| root.and_then(|r| r.get(name)).and_then(|v| v.as_str());
    let Some(endpoint) = text("endpoint") else {
        return plan_error(
            out,
            &[
                function,
                " needs options.endpoint, the URL of an enlist proxy.",
            ]
            .concat(),
        );
    };
    let base = match BaseUrl::new(&endpoint) {
        Ok(base) => base,
        Err(e) => {
            // Worded as `RequestError`'s Display does, without linking the
            // messages of its other variants (API keys, options) here.
            let why = match e {
                RequestError::InvalidBaseUrl(why) => why,
                _ => "not a usable URL",
            };
            return plan_error(
                out,
                &["options.endpoint: Invalid base URL: ", why, "."].concat(),
            );
        }
    };
    // An optional text option: absent or null → None; else 1 to `max`
    // visible ASCII characters, or the error (which never quotes the value).
    let visible_option = |name: &str, max: usize| match root.and_then(|r| r.get(name)) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => v
            .as_str()
            .filter(|t| visible_ascii(t, max))
            .map(Some)
            .ok_or_else(|| {
                [
                    "options.",
                    name,
                    " must be a string of 1 to ",
                    &decimal(max as u64),
                    " visible ASCII characters.",
                ]
                .concat()
            }),
    };
    let key = match visible_option("idempotencyKey", proxy::MAX_IDEMPOTENCY_KEY_LEN) {
        Ok(key) => key,
        Err(message) => return plan_error(out, &message),
    };
    let token = match visible_option("token", proxy::MAX_CLIENT_TOKEN_LEN) {
        Ok(token) => token,
        Err(message) => return plan_error(out, &message),
    };
    // Only the options of the call are present (checked above): flags for
    // `createUser` and `createImport`, `dryRun` for `createImport`.
    let mut flags = Vec::new();
    for flag in provider.flags() {
        match root.and_then(|r| r.get(flag.option)) {
            None => {}
            Some(v) if v.is_null() => {}
            Some(v) => match v.as_bool() {
                Some(b) => flags.push((flag.query, b)),
                None => return plan_error(out, &flag_type_error("options", flag.option)),
            },
        }
    }
    let dry_run = match root.and_then(|r| r.get("dryRun")) {
        None => false,
        Some(v) if v.is_null() => false,
        Some(v) => match v.as_bool() {
            Some(b) => b,
            None => return plan_error(out, &flag_type_error("options", "dryRun")),
        },
    };
    let report = (call == ProxyCall::CreateUser).then(|| provider.check_json(json, options));
    if let Some(report) = report.as_ref().filter(|r| !r.is_ok()) {
        out.clear();
        let mut w = Writer::new(out);
        w.begin_object();
        w.key("kind").string(ClientKind::Invalid.as_str());
        w.key("errors")
            .value_with(|o| write::issues(o, &report.errors));
        w.key("warnings")
            .value_with(|o| write::issues(o, &report.warnings));
        if !report.omitted.is_none() {
            w.key("omitted").begin_object();
            w.key("errors").uint(report.omitted.errors as u64);
            w.key("warnings").uint(report.omitted.warnings as u64);
            w.end_object();
        }
        w.key("retryable").bool(ClientKind::Invalid.retryable());
        w.end_object();
        return out.len();
    }
    let mut headers = Vec::new();
    if call == ProxyCall::CreateUser {
        headers.push(("Content-Type", Cow::Borrowed("application/json")));
    }
    headers.push((
        "Accept",
        Cow::Borrowed("application/json, application/problem+json"),
    ));
    if let Some(k) = key {
        headers.push((proxy::IDEMPOTENCY_KEY, k));
    }
    if let Some(t) = token {
        headers.push(("Authorization", Cow::Owned(["Bearer ", &t].concat())));
    }
    let imports = [base.as_str(), proxy::Endpoint::IMPORTS.template].concat();
    let url = match call {
        ProxyCall::CreateUser => [
            base.as_str(),
            "/v1/",
            &encode_path_segment(provider.id()),
            "/users",
            &flag_query(provider.flags(), &flags),
        ]
        .concat(),
        ProxyCall::CreateImport => {
            let flags = flag_query(provider.flags(), &flags);
            let query = match (dry_run, flags.strip_prefix('?')) {
                (true, Some(rest)) => ["?dry_run=true&", rest].concat(),
                (true, None) => "?dry_run=true".to_string(),
                (false, _) => flags,
            };
            [
                base.as_str(),
                "/v1/",
                &encode_path_segment(provider.id()),
                "/imports",
                &query,
            ]
            .concat()
        }
        ProxyCall::OpenImport => imports.clone(),
    };
    out.clear();
    let mut w = Writer::new(out);
    w.begin_object();
    w.key("kind").string("send");
    w.key("method").string(if call == ProxyCall::OpenImport {
        "GET"
    } else {
        "POST"
    });
    w.key("url").string(&url);
    w.key("headers").begin_array();
    for (name, value) in &headers {
        w.strings([*name, &**value]);
    }
    w.end_array();
    match &report {
        Some(report) => {
            w.key("warnings")
                .value_with(|o| write::issues(o, &report.warnings));
        }
        None => {
            w.key("imports").string(&imports);
        }
    }
    w.end_object();
    out.len()
}

/// One issue from a proxy's `errors` member (the core's issue shape, read
/// back).
///
/// ```
/// # use enlist_core::provider;
/// let p = provider("partoo").ok_or("missing")?;
/// let body = br#"{"status":422,"errors":[{"path":"/email","code":"email","message":"m","params":{"reason":"missing_at"}}]}"#;
/// let issue = &enlist_wasm::ops::proxy_outcome(p, 422, &[], body, 0).errors.ok_or("no errors")?[0];
/// assert_eq!((issue.path.as_str(), issue.code.as_str()), ("/email", "email"));
/// assert!(issue.params.is_some());
/// # Ok::<(), &str>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyIssue {
    /// JSON Pointer.
    pub path: String,
    /// Issue code.
    pub code: String,
    /// Message.
    pub message: String,
    /// Parameters, when sent.
    pub params: Option<Params>,
}

impl ProxyIssue {
    /// Writes the issue in the core's shape, `params` only when present.
    fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.key("path").string(&self.path);
        w.key("code").string(&self.code);
        w.key("message").string(&self.message);
        if let Some(params) = &self.params {
            w.key("params").begin_object();
            for (name, value) in &params.0 {
                w.key(name);
                match value {
                    ParamValue::Int(i) => w.int(*i),
                    ParamValue::Str(t) => w.string(t),
                    ParamValue::List(l) => w.strings(l.iter().map(String::as_str)),
                };
            }
            w.end_object();
        }
        w.end_object();
    }
}

/// `list` as a JSON array of issues.
fn write_proxy_issues(w: &mut Writer<'_>, list: &[ProxyIssue]) {
    w.begin_array();
    for issue in list {
        issue.write_json(w);
    }
    w.end_array();
}

/// An issue's `params` object read back: strings, integers, lists of strings
/// (the core's `Param` kinds); other values are dropped.
///
/// ```
/// use enlist_wasm::ops::{ParamValue, Params};
/// let p = Params(vec![("min".into(), ParamValue::Int(8))]);
/// assert_eq!(p.0[0].1, ParamValue::Int(8));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params(pub Vec<(String, ParamValue)>);

/// One value of [`Params`].
///
/// ```
/// let v = enlist_wasm::ops::ParamValue::List(vec!["a".into()]);
/// assert!(matches!(v, enlist_wasm::ops::ParamValue::List(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    /// A number (written as an integer).
    Int(i64),
    /// A string.
    Str(String),
    /// A list of strings.
    List(Vec<String>),
}

impl Params {
    // Plain loops: iterator adapters and `collect` into `Option` would cost
    // the client wasm their own code.
    fn read(node: Node<'_, '_>) -> Params {
        let mut params = Vec::new();
        for (key, v) in node.members() {
            let value = match v.kind() {
                Kind::Number => v.as_i64().map(ParamValue::Int),
                Kind::String => v.as_str().map(|s| ParamValue::Str(s.into_owned())),
                Kind::Array => {
                    let mut list = Vec::new();
                    for e in v.elements() {
                        match e.as_str() {
                            Some(s) => list.push(s.into_owned()),
                            None => break,
                        }
                    }
                    (list.len() == v.len()).then_some(ParamValue::List(list))
                }
                _ => None,
            };
            if let Some(value) = value {
                params.push((key.as_str().into_owned(), value));
            }
        }
        Params(params)
    }
}

/// The result of a `createUser` call that reached the proxy: `created`, or a
/// problem whose `kind` follows from its `type` when that is one of the
/// proxy's ([`ProblemKind::client_kind`]), else from the HTTP status
/// ([`ClientKind::from_status`]).
///
/// ```
/// # use enlist_core::provider;
/// use enlist_core::proxy::ClientKind;
/// let p = provider("pandadoc").ok_or("missing")?;
/// let o = enlist_wasm::ops::proxy_outcome(p, 201, &[], br#"{"provider":"pandadoc","id":"u1"}"#, 0);
/// assert_eq!((o.kind, o.id.as_deref()), (ClientKind::Created, Some("u1")));
/// # Ok::<(), &str>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyOutcome {
    /// `created` or a problem kind; written with whether a retry can help
    /// ([`ClientKind::retryable`]).
    pub kind: ClientKind,
    /// The provider (on `created`).
    pub provider: Option<&'static str>,
    /// The proxy's HTTP status; on `created`, the provider's status as the proxy
    /// relays it.
    pub status: u16,
    /// The new user's id (on `created`).
    pub id: Option<String>,
    /// Workspace memberships, when the provider reports them (on `created`).
    pub workspaces: Vec<Membership>,
    /// The problem type URI (`about:blank` when none was sent).
    pub type_: Option<String>,
    /// The problem title.
    pub title: Option<String>,
    /// `detail`, else `title`, else a sentence naming the status.
    pub message: Option<String>,
    /// The problem detail, when sent.
    pub detail: Option<String>,
    /// The proxy's request id (`request_id` member or `X-Request-Id` header).
    pub request_id: Option<String>,
    /// Field problems (always present on `validation`).
    pub errors: Option<Vec<ProxyIssue>>,
    /// How many issues there were, when the proxy listed only the first
    /// [`proxy::MAX_PROBLEM_ERRORS`] (written with `"truncated": true`).
    pub total_errors: Option<u64>,
    /// Seconds to wait, from `Retry-After` (on `rate_limited`, and whenever sent).
    pub retry_after: Option<u64>,
    /// The proxy's validation warnings (on `created`, when it sent them).
    pub warnings: Option<Vec<ProxyIssue>>,
    /// `true` when the proxy replayed a stored answer (`Idempotent-Replayed: true`).
    pub replayed: Option<bool>,
}

impl ProxyOutcome {
    /// Replaces `out` with the outcome as JSON (members in declaration
    /// order; absent options and empty `workspaces` left out; `type_` as
    /// `type`) and returns its length.
    ///
    /// ```
    /// # use enlist_core::provider;
    /// let p = provider("partoo").ok_or("missing")?;
    /// let o = enlist_wasm::ops::proxy_outcome(p, 503, &[], b"", 0);
    /// let mut out = Vec::new();
    /// o.write_json(&mut out);
    /// assert_eq!(
    ///     String::from_utf8_lossy(&out),
    ///     r#"{"kind":"unavailable","retryable":false,"status":503,"type":"about:blank","title":"HTTP 503","message":"The enlist proxy answered HTTP 503."}"#
    /// );
    /// # Ok::<(), &str>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) -> usize {
        out.clear();
        let mut w = Writer::new(out);
        let text = |w: &mut Writer<'_>, key: &str, value: &Option<String>| {
            if let Some(v) = value {
                w.key(key).string(v);
            }
        };
        w.begin_object();
        w.key("kind").string(self.kind.as_str());
        w.key("retryable").bool(self.kind.retryable());
        if let Some(p) = self.provider {
            w.key("provider").string(p);
        }
        w.key("status").uint(self.status.into());
        text(&mut w, "id", &self.id);
        if !self.workspaces.is_empty() {
            w.key("workspaces").begin_array();
            for m in &self.workspaces {
                w.begin_object();
                w.key("workspace_id").string(&m.workspace_id);
                w.key("role").string(&m.role);
                w.key("member_id").string(&m.member_id);
                w.end_object();
            }
            w.end_array();
        }
        text(&mut w, "type", &self.type_);
        text(&mut w, "title", &self.title);
        text(&mut w, "message", &self.message);
        text(&mut w, "detail", &self.detail);
        text(&mut w, "request_id", &self.request_id);
        if let Some(errors) = &self.errors {
            write_proxy_issues(w.key("errors"), errors);
        }
        if let Some(total) = self.total_errors {
            w.key(proxy::problem::TRUNCATED.name).bool(true);
            w.key(proxy::problem::TOTAL_ERRORS.name).uint(total);
        }
        if let Some(seconds) = self.retry_after {
            w.key("retry_after").uint(seconds);
        }
        if let Some(warnings) = &self.warnings {
            write_proxy_issues(w.key("warnings"), warnings);
        }
        if let Some(replayed) = self.replayed {
            w.key("replayed").bool(replayed);
        }
        w.end_object();
        out.len()
    }
}

fn string_member(node: Option<Node<'_, '_>>, name: &str) -> Option<String> {
    node?
        .get(name)?
        .as_str()
        .map(Cow::into_owned)
        .filter(|s| !s.is_empty())
}

/// The issues of a list (entries that are not issues skipped). A plain loop:
/// `filter_map(…).collect()` costs the client wasm its iterator machinery.
fn read_issues(list: Node<'_, '_>) -> Vec<ProxyIssue> {
    let mut out = Vec::new();
    for node in list.elements() {
        if let Some(issue) = read_issue(node) {
            out.push(issue);
        }
    }
    out
}

fn read_issue(node: Node<'_, '_>) -> Option<ProxyIssue> {
    let text = |name: &str| node.get(name)?.as_str().map(Cow::into_owned);
    Some(ProxyIssue {
        path: text("path")?,
        code: text("code")?,
        message: text("message").unwrap_or_default(),
        params: node
            .get("params")
            .filter(|p| p.kind() == Kind::Object)
            .map(Params::read),
    })
}

/// Unix seconds from JavaScript's `Date.now() / 1000`; anything that is not a
/// finite, non-negative number reads as 0 (a date then waits the maximum).
///
/// ```
/// assert_eq!(enlist_wasm::ops::unix_seconds(1_700_000_000.9), 1_700_000_000);
/// assert_eq!(enlist_wasm::ops::unix_seconds(f64::NAN), 0);
/// ```
pub fn unix_seconds(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        // `as` saturates at u64::MAX.
        now as u64
    } else {
        0
    }
}

/// Reads an enlist proxy's answer to `POST /v1/{provider}/users`: `2xx` with
/// `{id, …}` is `created`; anything else is an RFC 9457 problem (a body that
/// is not one still gives a problem, from the status alone).
///
/// ```
/// # use enlist_core::provider;
/// use enlist_wasm::ops::proxy_outcome;
/// let p = provider("partoo").ok_or("missing")?;
/// let o = proxy_outcome(p, 429, &[("Retry-After", "3")],
///     br#"{"type":"about:blank","title":"Too Many Requests","status":429,"request_id":"r1"}"#, 0);
/// assert_eq!((o.kind.as_str(), o.retry_after, o.request_id.as_deref()), ("rate_limited", Some(3), Some("r1")));
/// # Ok::<(), &str>(())
/// ```
pub fn proxy_outcome<P: ProviderRules + ?Sized>(
    provider: &P,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    now: u64,
) -> ProxyOutcome {
    let doc = Document::parse_bytes(body).ok();
    let root = doc
        .as_ref()
        .map(Document::root)
        .filter(|r| r.kind() == Kind::Object);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let request_id = string_member(root, proxy::problem::REQUEST_ID.name).or_else(|| {
        header(proxy::REQUEST_ID)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    });
    let mut outcome = ProxyOutcome {
        kind: ClientKind::Malformed,
        provider: None,
        status,
        id: None,
        workspaces: Vec::new(),
        type_: None,
        title: None,
        message: None,
        detail: None,
        request_id,
        errors: None,
        total_errors: None,
        retry_after: header(proxy::RETRY_AFTER)
            .and_then(RetryAfter::parse)
            .map(|r| r.seconds_from(now)),
        warnings: None,
        replayed: header(proxy::IDEMPOTENT_REPLAYED)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
            .then_some(true),
    };
    if (200..300).contains(&status) {
        let id = root
            .and_then(|r| r.get(proxy::created::ID.name))
            .and_then(|id| match id.kind() {
                Kind::String => id.as_str().map(Cow::into_owned),
                Kind::Number => id.number_text().map(str::to_string),
                _ => None,
            });
        match id.filter(|id| !id.is_empty()) {
            Some(id) => {
                outcome.kind = ClientKind::Created;
                outcome.provider = Some(provider.id());
                outcome.id = Some(id);
                outcome.workspaces = root
                    .and_then(|r| r.get(proxy::created::WORKSPACES.name))
                    .map(Membership::read_list)
                    .unwrap_or_default();
                // The Worker relays the provider's own status in the body.
                if let Some(relayed) = root
                    .and_then(|r| r.get(proxy::created::STATUS.name))
                    .and_then(|s| s.as_i64())
                    .and_then(|s| u16::try_from(s).ok())
                {
                    outcome.status = relayed;
                }
                outcome.warnings = root
                    .and_then(|r| r.get(proxy::created::WARNINGS.name))
                    .filter(|w| w.kind() == Kind::Array)
                    .map(read_issues);
            }
            None => {
                outcome.type_ = Some("about:blank".into());
                outcome.title = Some("Malformed response".into());
                outcome.message = Some(
                    [
                        "The enlist proxy answered HTTP ",
                        &decimal(status.into()),
                        " without a user id.",
                    ]
                    .concat(),
                );
            }
        }
        return outcome;
    }
    let errors: Vec<ProxyIssue> = root
        .and_then(|r| r.get(proxy::problem::ERRORS.name))
        .map(read_issues)
        .unwrap_or_default();
    let exists = errors
        .iter()
        .any(|i| i.code == Code::AlreadyExists.as_str());
    let problem_type = string_member(root, proxy::problem::TYPE.name);
    // The proxy's own problem types say more than the status.
    outcome.kind = match problem_type.as_deref().and_then(ProblemKind::from_type) {
        Some(kind) => kind.client_kind(),
        None => ClientKind::from_status(status, exists),
    };
    // `truncated` is `true` exactly when `total_errors` is there.
    outcome.total_errors = root
        .and_then(|r| r.get(proxy::problem::TOTAL_ERRORS.name))
        .and_then(|n| n.as_i64())
        .and_then(|n| u64::try_from(n).ok());
    let title = string_member(root, proxy::problem::TITLE.name).map(|t| sanitize_message(&t));
    let detail = string_member(root, proxy::problem::DETAIL.name).map(|d| sanitize_message(&d));
    outcome.message = Some(detail.clone().or_else(|| title.clone()).unwrap_or_else(|| {
        [
            "The enlist proxy answered HTTP ",
            &decimal(status.into()),
            ".",
        ]
        .concat()
    }));
    outcome.type_ = Some(problem_type.unwrap_or_else(|| "about:blank".into()));
    outcome.title = Some(title.unwrap_or_else(|| ["HTTP ", &decimal(status.into())].concat()));
    outcome.detail = detail;
    outcome.errors =
        (outcome.kind == ClientKind::Validation || !errors.is_empty()).then_some(errors);
    outcome
}

// ---- CSV import --------------------------------------------------------------

/// Replaces `out` with `{"ok":false,"error":{"line","code","message"}}`.
fn csv_failed(out: &mut Vec<u8>, error: &enlist_core::csv::CsvError) -> usize {
    out.clear();
    let mut w = Writer::new(out);
    w.begin_object();
    w.key("ok").bool(false);
    w.key("error").begin_object();
    w.key("line").uint(error.line as u64);
    w.key("code").string(error.code);
    w.key("message").string(&error.message);
    w.end_object();
    w.end_object();
    out.len()
}

/// Reads CSV text (UTF-8 bytes) into the provider's JSON rows
/// ([`enlist_core::csv`]): writes `{"ok":true,"table":{"columns","pointers",
/// "rows","lines"}}` (`rows` a JSON array, ready for `validateMany`) or
/// `{"ok":false,"error":{"line","code","message"}}`.
///
/// ```
/// use enlist_core::{provider, Options};
/// let partoo = provider("partoo").ok_or("not registered")?;
/// let mut out = Vec::new();
/// enlist_wasm::ops::csv_to_rows(partoo, b"email,send_invitation\nada@example.com,TRUE\n", &mut out);
/// assert_eq!(
///     String::from_utf8_lossy(&out),
///     r#"{"ok":true,"table":{"columns":["email","send_invitation"],"pointers":["/email","/send_invitation"],"rows":[{"email":"ada@example.com","send_invitation":true}],"lines":[2]}}"#
/// );
/// # Ok::<(), &str>(())
/// ```
pub fn csv_to_rows<P: ProviderRules + ?Sized>(
    provider: &P,
    text: &[u8],
    out: &mut Vec<u8>,
) -> usize {
    let text = match std::str::from_utf8(text) {
        Ok(text) => text,
        Err(e) => {
            let before = text.get(..e.valid_up_to()).unwrap_or_default();
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let error = enlist_core::csv::CsvError {
                line,
                code: "invalid_utf8",
                message: "The file is not UTF-8 text.".into(),
            };
            return csv_failed(out, &error);
        }
    };
    match provider.csv_to_rows(text) {
        Ok(table) => {
            // `table.rows` is already JSON (written by the core): embed it as is.
            out.clear();
            let mut w = Writer::new(out);
            w.begin_object();
            w.key("ok").bool(true);
            w.key("table").begin_object();
            w.key("columns")
                .strings(table.columns.iter().map(String::as_str));
            w.key("pointers")
                .strings(table.pointers.iter().map(String::as_str));
            w.key("rows").raw(&table.rows);
            w.key("lines").begin_array();
            for &line in &table.lines {
                w.uint(line as u64);
            }
            w.end_array();
            w.end_object();
            w.end_object();
            out.len()
        }
        Err(error) => csv_failed(out, &error),
    }
}

/// The provider's CSV template (a header row naming every field), as text.
///
/// ```
/// use enlist_core::provider;
/// let pandadoc = provider("pandadoc").ok_or("not registered")?;
/// let mut out = Vec::new();
/// enlist_wasm::ops::csv_template(pandadoc, &mut out);
/// assert!(out.starts_with(b"user.email,"));
/// # Ok::<(), &str>(())
/// ```
pub fn csv_template<P: ProviderRules + ?Sized>(provider: &P, out: &mut Vec<u8>) -> usize {
    out.clear();
    out.extend_from_slice(provider.csv_template().as_bytes());
    out.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use enlist_core::provider;

    fn partoo() -> &'static dyn AnyProvider {
        provider("partoo").unwrap()
    }

    fn text(out: Vec<u8>) -> String {
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn unusable_settings_values_are_issues() {
        let p = partoo();
        let json = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#;
        let cases: &[(&[u8], &str)] = &[
            (b"{}", "empty_api_key"),
            (br#"{"apiKey":null}"#, "empty_api_key"),
            (br#"{"apiKey":"a b"}"#, "invalid_api_key"),
            (
                br#"{"apiKey":"k","environment":"mars"}"#,
                "unknown_environment",
            ),
            (br#"{"apiKey":"k","baseUrl":"ftp://x"}"#, "invalid_base_url"),
        ];
        for (settings, code) in cases {
            let mut out = Vec::new();
            build_request(p, json, settings, &Options::default(), &mut out);
            let out = text(out);
            assert!(
                out.starts_with(&format!(
                    r#"{{"ok":false,"errors":[{{"path":"","code":"{code}","message":""#
                )),
                "{}: {out}",
                String::from_utf8_lossy(settings)
            );
            assert!(!out.contains("a b"), "{out}");
        }
    }

    /// Settings of the wrong shape are programming errors, worded as
    /// `createUser`'s options errors are.
    #[test]
    fn settings_of_the_wrong_shape_are_type_errors() {
        let json = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#;
        let cases: &[(&dyn AnyProvider, &[u8], &str)] = &[
            (partoo(), b"", "buildRequest needs settings: an object"),
            (partoo(), b"null", "buildRequest needs settings: an object"),
            (partoo(), br#""key""#, "buildRequest needs settings: an object"),
            (partoo(), br#"{"apiKey":7}"#, "settings.apiKey must be a string."),
            (partoo(), br#"{"apiKey":"k","environment":1}"#, "settings.environment must be a string."),
            (partoo(), br#"{"apiKey":"k","baseUrl":false}"#, "settings.baseUrl must be a string."),
            (
                partoo(),
                br#"{"apiKey":"k","notifyUser":true}"#,
                "settings.notifyUser is not a buildRequest setting for Partoo.",
            ),
            (
                partoo(),
                br#"{"apikey":"k"}"#,
                "settings.apikey is not a buildRequest setting for Partoo (did you mean settings.apiKey?)",
            ),
            (
                provider("pandadoc").unwrap(),
                br#"{"apiKey":"k","notifyUser":"yes"}"#,
                "settings.notifyUser must be true, false or null.",
            ),
        ];
        for (p, settings, message) in cases {
            let mut out = Vec::new();
            // Even with an invalid payload: the settings come first.
            build_request(*p, b"{}", settings, &Options::default(), &mut out);
            let out = text(out);
            assert!(
                out.starts_with(&format!(r#"{{"ok":false,"typeError":"{message}"#)),
                "{}: {out}",
                String::from_utf8_lossy(settings)
            );
            let _ = json;
        }
    }

    #[test]
    fn invalid_payload_wins_over_bad_settings() {
        let mut out = Vec::new();
        build_request(partoo(), b"{}", b"{}", &Options::default(), &mut out);
        assert!(text(out).contains(r#""code":"required""#));
    }

    /// The key is written where serializing a request built with the key
    /// itself puts it, escaped as JSON escapes it: for keys shorter and
    /// longer than the stand-in, with characters JSON escapes, given with
    /// escapes in the settings, and with the stand-in's text (and the
    /// credential member's whole text) in the payload and the base URL.
    #[test]
    fn build_request_writes_the_key_where_the_request_has_it() {
        let member = format!(r#""x-APIKey":"{KEY_STAND_IN}""#);
        let payloads = [
            (
                "partoo",
                format!(
                    r#"{{"email":"ada@example.com","first_name":{},"last_name":"{KEY_STAND_IN}"}}"#,
                    serde_json::to_string(&member).unwrap()
                ),
            ),
            (
                "pandadoc",
                format!(
                    r#"{{"user":{{"email":"a@acme.com","first_name":"API-Key {KEY_STAND_IN}"}},"license":"Guest","workspaces":[{{"workspace_id":"{KEY_STAND_IN}","role":"Member"}}]}}"#
                ),
            ),
        ];
        let keys = [
            "k",
            "a-key-much-longer-than-the-stand-in-0123456789abcdef",
            r#"q"uo\te""#,
            KEY_STAND_IN,
            "~",
        ];
        let base = format!("http://127.0.0.1:1/{KEY_STAND_IN}");
        for (id, payload) in &payloads {
            let p = provider(id).unwrap();
            for base_url in [None, Some(base.as_str())] {
                for key in keys {
                    let settings = Settings {
                        api_key: key.into(),
                        base_url: base_url.map(Into::into),
                        ..Settings::default()
                    };
                    let built = p
                        .build_create_user(payload.as_bytes(), &Options::default(), &settings)
                        .unwrap();
                    let mut expected = Vec::new();
                    write_json(
                        &mut expected,
                        &BuiltOut {
                            ok: true,
                            request: &built.request,
                            warnings: &built.warnings,
                        },
                    );
                    let escaped: String = key.bytes().map(|b| format!("\\u{b:04x}")).collect();
                    for json_key in [
                        serde_json::to_string(key).unwrap(),
                        format!(r#""{escaped}""#),
                    ] {
                        let mut settings = format!(r#"{{"apiKey":{json_key}"#);
                        if let Some(url) = base_url {
                            settings += &format!(r#","baseUrl":"{url}""#);
                        }
                        settings.push('}');
                        let mut out = Vec::new();
                        let n = build_request(
                            p,
                            payload.as_bytes(),
                            settings.as_bytes(),
                            &Options::default(),
                            &mut out,
                        );
                        assert_eq!(n, out.len());
                        assert_eq!(text(out), text(expected.clone()), "{id} {settings}");
                    }
                }
            }
        }
    }

    /// Every registered provider's credential holds the stand-in as it is,
    /// so `put_key` finds where the key goes.
    #[test]
    fn every_credential_holds_the_key_as_it_is() {
        let settings = Settings {
            api_key: KEY_STAND_IN.into(),
            ..Settings::default()
        };
        for p in enlist_core::REGISTRY {
            let header = p.credential(&settings).unwrap();
            assert!(header.sensitive, "{}", p.id());
            assert!(header.value.contains(KEY_STAND_IN), "{}", p.id());
        }
    }

    #[test]
    fn build_request_reports_warnings_and_key() {
        let json = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L","sidebar_pages":null}"#;
        let mut out = Vec::new();
        build_request(
            partoo(),
            json,
            br#"{"apiKey":"SECRET","baseUrl":"http://127.0.0.1:1/"}"#,
            &Options::default(),
            &mut out,
        );
        let out = text(out);
        assert!(out.starts_with(r#"{"ok":true,"request":{"method":"POST","url":"http://127.0.0.1:1/user","headers":{"x-APIKey":"SECRET""#), "{out}");
        assert!(out.contains(r#""code":"deprecated""#), "{out}");
    }

    #[test]
    fn proxy_request_plans() {
        let p = partoo();
        let valid = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#;
        let mut out = Vec::new();
        proxy_request(
            p,
            valid,
            br#"{"endpoint":"http://127.0.0.1:8787/","idempotencyKey":"k-1"}"#,
            &Options::default(),
            &mut out,
        );
        assert_eq!(
            text(out),
            r#"{"kind":"send","method":"POST","url":"http://127.0.0.1:8787/v1/partoo/users","headers":[["Content-Type","application/json"],["Accept","application/json, application/problem+json"],["Idempotency-Key","k-1"]],"warnings":[]}"#
        );
        let mut out = Vec::new();
        proxy_request(
            p,
            b"{}",
            br#"{"endpoint":"http://x"}"#,
            &Options::default(),
            &mut out,
        );
        assert!(text(out).starts_with(r#"{"kind":"invalid","errors":[{"path":"/email""#));
        for extra in [
            &br#"{}"#[..],
            br#"{"endpoint":5}"#,
            br#"{"endpoint":"http://u:p@x"}"#,
            br#"{"endpoint":"http://x","idempotencyKey":""}"#,
            br#"{"endpoint":"http://x","idempotencyKey":"a\nb"}"#,
            br#"{"endpoint":"http://x","idempotencyKey":3}"#,
            br#"{"endpoint":"http://x","token":""}"#,
            br#"{"endpoint":"http://x","token":"se cret"}"#,
            br#"{"endpoint":"http://x","token":"secret\r\nX-Evil: 1"}"#,
            br#"{"endpoint":"http://x","token":7}"#,
            b"not json",
        ] {
            let mut out = Vec::new();
            proxy_request(p, valid, extra, &Options::default(), &mut out);
            let out = text(out);
            assert!(out.starts_with(r#"{"kind":"error""#), "{out}");
            assert!(!out.contains("secret") && !out.contains("cret"), "{out}");
        }
    }

    #[test]
    fn proxy_request_passes_the_providers_flags_as_query_parameters() {
        let p = provider("pandadoc").unwrap();
        let valid = br#"{"user":{"email":"a@acme.com"},"license":"Guest","workspaces":[{"workspace_id":"w","role":"Member"}]}"#;
        let plan = |extra: &[u8]| {
            let mut out = Vec::new();
            proxy_request(p, valid, extra, &Options::default(), &mut out);
            text(out)
        };
        let out =
            plan(br#"{"endpoint":"http://x","notifyWorkspaceAdmins":false,"notifyUser":true}"#);
        assert!(
            out.contains(
                r#""url":"http://x/v1/pandadoc/users?notify_user=true&notify_ws_admins=false""#
            ),
            "{out}"
        );
        let out = plan(
            br#"{"endpoint":"http://x","notifyUser":null,"signal":null,"fetch":null,"allowedEmailDomains":null,"maxIssues":null}"#,
        );
        assert!(
            out.contains(r#""url":"http://x/v1/pandadoc/users""#),
            "{out}"
        );
        let out = plan(br#"{"endpoint":"http://x","notifyUser":"yes"}"#);
        assert!(
            out.starts_with(
                r#"{"kind":"error","message":"options.notifyUser must be true, false or null."}"#
            ),
            "{out}"
        );
        // A misspelt option is an error that names it, never silently dropped.
        for (extra, message) in [
            (
                &br#"{"endpoint":"http://x","notify_user":true}"#[..],
                "options.notify_user is not a createUser option for PandaDoc (did you mean options.notifyUser?).",
            ),
            (
                br#"{"endpoint":"http://x","idempotencykey":"k"}"#,
                "options.idempotencykey is not a createUser option for PandaDoc (did you mean options.idempotencyKey?)",
            ),
            (
                br#"{"endpoint":"http://x","other":1}"#,
                "options.other is not a createUser option for PandaDoc.",
            ),
        ] {
            let out = plan(extra);
            assert!(
                out.starts_with(&format!(r#"{{"kind":"error","message":"{message}"#)),
                "{out}"
            );
        }
        // Partoo has no flags.
        let mut out = Vec::new();
        proxy_request(
            partoo(),
            br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#,
            br#"{"endpoint":"http://x","notifyUser":true}"#,
            &Options::default(),
            &mut out,
        );
        assert!(
            text(out).starts_with(r#"{"kind":"error","message":"options.notifyUser is not a createUser option for Partoo."}"#)
        );
    }

    #[test]
    fn proxy_request_sends_the_client_token_as_a_bearer_token() {
        let valid = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#;
        let mut out = Vec::new();
        proxy_request(
            partoo(),
            valid,
            br#"{"endpoint":"http://x","token":"tok-123_~","idempotencyKey":null}"#,
            &Options::default(),
            &mut out,
        );
        let out = text(out);
        assert!(
            out.contains(r#"["Authorization","Bearer tok-123_~"]"#),
            "{out}"
        );
        assert!(!out.contains("Idempotency-Key"), "{out}");
        // An invalid payload is never planned, token or not.
        let mut out = Vec::new();
        proxy_request(
            partoo(),
            b"{}",
            br#"{"endpoint":"http://x","token":"tok"}"#,
            &Options::default(),
            &mut out,
        );
        let out = text(out);
        assert!(
            out.starts_with(r#"{"kind":"invalid""#) && !out.contains("tok\""),
            "{out}"
        );
    }

    #[test]
    fn import_plans_check_their_options_as_create_user_does() {
        let plan = |call, extra: &[u8]| {
            let mut out = Vec::new();
            proxy_plan(
                provider("pandadoc").unwrap(),
                call,
                b"not json: the proxy checks the rows",
                extra,
                &Options::default(),
                &mut out,
            );
            text(out)
        };
        let out = plan(
            ProxyCall::CreateImport,
            br#"{"endpoint":"http://x/","token":"t","idempotencyKey":"k","dryRun":false,"signal":null,"fetch":null}"#,
        );
        assert!(
            out.starts_with(
                r#"{"kind":"send","method":"POST","url":"http://x/v1/pandadoc/imports","#
            ),
            "{out}"
        );
        assert!(
            out.contains(r#"["Idempotency-Key","k"]"#)
                && out.contains(r#"["Authorization","Bearer t"]"#),
            "{out}"
        );
        assert!(
            out.contains(r#""imports":"http://x/v1/imports""#) && !out.contains("Content-Type"),
            "{out}"
        );
        // A misspelt name, with the closest one.
        assert!(plan(
            ProxyCall::CreateImport,
            br#"{"endpoint":"http://x","dryrun":true}"#
        )
        .contains("options.dryrun is not a createImport option"));
        // The provider's flags go on the URL, after dry_run, for every row.
        let out = plan(
            ProxyCall::CreateImport,
            br#"{"endpoint":"http://x","notifyWorkspaceAdmins":false,"notifyUser":true,"dryRun":true}"#,
        );
        assert!(
            out.contains(r#""url":"http://x/v1/pandadoc/imports?dry_run=true&notify_user=true&notify_ws_admins=false""#),
            "{out}"
        );
        assert!(plan(
            ProxyCall::CreateImport,
            br#"{"endpoint":"http://x","notifyUser":"yes"}"#
        )
        .contains("options.notifyUser must be true, false or null."));
        // Partoo has none.
        let mut out = Vec::new();
        proxy_plan(
            provider("partoo").unwrap(),
            ProxyCall::CreateImport,
            b"",
            br#"{"endpoint":"http://x","notifyUser":true}"#,
            &Options::default(),
            &mut out,
        );
        assert!(text(out).contains("options.notifyUser is not a createImport option"));
        assert!(plan(
            ProxyCall::CreateImport,
            br#"{"endpoint":"http://x","dryRun":"yes"}"#
        )
        .contains("options.dryRun must be true, false or null."));
        assert!(plan(
            ProxyCall::OpenImport,
            br#"{"endpoint":"http://x","tokn":"t"}"#
        )
        .contains("options.tokn is not an openImport option (did you mean options.token?)."));
        assert!(plan(ProxyCall::OpenImport, br#"{"token":"t"}"#)
            .contains("openImport needs options.endpoint"));
        let out = plan(
            ProxyCall::OpenImport,
            br#"{"endpoint":"http://x","token":"two words"}"#,
        );
        assert!(
            out.contains("options.token must be a string") && !out.contains("two words"),
            "{out}"
        );
        let out = plan(ProxyCall::OpenImport, br#"{"endpoint":"http://x"}"#);
        assert!(
            out.starts_with(r#"{"kind":"send","method":"GET","url":"http://x/v1/imports","#),
            "{out}"
        );
    }

    #[test]
    fn proxy_outcomes() {
        let p = provider("pandadoc").unwrap();
        let o = proxy_outcome(
            p,
            201,
            &[("X-Request-Id", "r9")],
            br#"{"provider":"pandadoc","id":"u1","workspaces":[{"workspace_id":"w","role":"Member","member_id":"m"}]}"#,
0,
        );
        assert_eq!(o.kind.as_str(), "created");
        assert_eq!(o.request_id.as_deref(), Some("r9"));
        assert_eq!(o.workspaces.len(), 1);

        let o = proxy_outcome(p, 200, &[], b"<html>", 0);
        assert_eq!(o.kind.as_str(), "malformed");

        let o = proxy_outcome(
            p,
            422,
            &[],
            br#"{"type":"https://enlist.dev/problems/invalid","title":"Invalid","status":422,"detail":"1 error","request_id":"r","errors":[{"path":"/user/email","code":"email","message":"m","params":{"reason":"x"}},{"bad":1}]}"#,
0,
        );
        assert_eq!(o.kind.as_str(), "validation");
        assert_eq!(o.errors.as_ref().map(Vec::len), Some(1));
        assert_eq!(o.message.as_deref(), Some("1 error"));

        let o = proxy_outcome(p, 422, &[], b"", 0);
        assert_eq!(o.errors, Some(Vec::new()));

        let o = proxy_outcome(
            p,
            409,
            &[],
            br#"{"title":"Conflict","errors":[{"path":"/user/email","code":"already_exists","message":"m"}]}"#,
0,
        );
        assert_eq!(o.kind.as_str(), "already_exists");
        let o = proxy_outcome(p, 409, &[], br#"{"title":"Conflict"}"#, 0);
        assert_eq!(o.kind.as_str(), "conflict");

        let o = proxy_outcome(p, 502, &[], b"<html>bad gateway</html>", 0);
        assert_eq!(o.kind.as_str(), "upstream");
        assert_eq!(
            o.message.as_deref(),
            Some("The enlist proxy answered HTTP 502.")
        );
    }

    /// Every member of an outcome, as JSON: what `createUser` resolves to.
    #[test]
    fn outcome_json_has_every_member() {
        let json = |o: &ProxyOutcome| {
            let mut out = Vec::new();
            let n = o.write_json(&mut out);
            assert_eq!(n, out.len());
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        let p = provider("pandadoc").unwrap();
        let created = proxy_outcome(
            p,
            201,
            &[("idempotent-replayed", "true"), ("x-request-id", "r1")],
            br#"{"provider":"pandadoc","status":200,"id":"u\"1","workspaces":[{"workspace_id":"w","role":"Member","member_id":"m"}],"warnings":[{"path":"/x","code":"ignored","message":"tab\there"}]}"#,
0,
        );
        assert_eq!(
            json(&created),
            serde_json::json!({
                "kind": "created", "retryable": false, "provider": "pandadoc", "status": 200, "id": "u\"1",
                "workspaces": [{"workspace_id": "w", "role": "Member", "member_id": "m"}],
                "request_id": "r1",
                "warnings": [{"path": "/x", "code": "ignored", "message": "tab\there"}],
                "replayed": true,
            })
        );
        let invalid = proxy_outcome(
            p,
            422,
            &[("Retry-After", "4")],
            br#"{"type":"urn:enlist:problem:validation","title":"Invalid","detail":"2 errors","errors":[{"path":"/user/email","code":"email","message":"m","params":{"reason":"x","min":-3,"allowed":["a","b"],"dropped":{"x":1}}},{"path":"","code":"required","message":"n"}]}"#,
0,
        );
        assert_eq!(
            json(&invalid),
            serde_json::json!({
                "kind": "validation", "retryable": false, "status": 422,
                "type": "urn:enlist:problem:validation", "title": "Invalid",
                "message": "2 errors", "detail": "2 errors",
                "errors": [
                    {"path": "/user/email", "code": "email", "message": "m",
                     "params": {"reason": "x", "min": -3, "allowed": ["a", "b"]}},
                    {"path": "", "code": "required", "message": "n"},
                ],
                "retry_after": 4,
            })
        );
    }

    /// Each result says whether a retry can help (the contract's
    /// `ClientKind::retryable`), and a problem's count of issues it left out
    /// comes through.
    #[test]
    fn outcomes_say_whether_to_retry_and_how_many_issues_there_were() {
        let p = partoo();
        let read = |status: u16, body: &str| {
            let mut out = Vec::new();
            proxy_outcome(p, status, &[], body.as_bytes(), 0).write_json(&mut out);
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        for kind in ProblemKind::ALL {
            let body = format!(
                r#"{{"type":"{}","title":"T","status":{},"detail":"d"}}"#,
                kind.type_uri(),
                kind.status()
            );
            let o = read(kind.status(), &body);
            assert_eq!(o["kind"], kind.client_kind().as_str(), "{kind:?}");
            assert_eq!(o["retryable"], kind.client_kind().retryable(), "{kind:?}");
        }
        assert_eq!(read(201, r#"{"id":"u"}"#)["retryable"], false);
        assert_eq!(read(200, "{}")["retryable"], false);
        assert_eq!(read(503, "")["retryable"], false);
        assert_eq!(read(500, "")["retryable"], true);
        let issue = r#"{"path":"/x","code":"unknown_field","message":"m"}"#;
        let issues = vec![issue; proxy::MAX_PROBLEM_ERRORS].join(",");
        let o = read(
            422,
            &format!(
                r#"{{"type":"urn:enlist:problem:validation","title":"T","status":422,"detail":"d","errors":[{issues}],"truncated":true,"total_errors":6000}}"#
            ),
        );
        assert_eq!(
            o["errors"].as_array().map(Vec::len),
            Some(proxy::MAX_PROBLEM_ERRORS)
        );
        assert_eq!(
            (&o["truncated"], &o["total_errors"]),
            (&serde_json::json!(true), &serde_json::json!(6000))
        );
        let o = read(
            422,
            r#"{"type":"urn:enlist:problem:validation","errors":[]}"#,
        );
        assert!(
            o.get("truncated").is_none() && o.get("total_errors").is_none(),
            "{o}"
        );
    }

    #[test]
    fn worker_problem_types_decide_the_kind() {
        let p = partoo();
        let problem =
            |t: &str| format!(r#"{{"type":"urn:enlist:problem:{t}","title":"T","status":422}}"#);
        let o = proxy_outcome(p, 422, &[], problem("already_exists").as_bytes(), 0);
        assert_eq!(o.kind.as_str(), "already_exists");
        let o = proxy_outcome(p, 422, &[], problem("idempotency_key_reused").as_bytes(), 0);
        assert_eq!(o.kind.as_str(), "bad_request");
        let o = proxy_outcome(p, 403, &[], problem("policy").as_bytes(), 0);
        assert_eq!(o.kind.as_str(), "forbidden");
        let o = proxy_outcome(
            p,
            503,
            &[],
            problem("provider_not_configured").as_bytes(),
            0,
        );
        assert_eq!(o.kind.as_str(), "unavailable");
        let o = proxy_outcome(p, 418, &[], problem("something_new").as_bytes(), 0);
        assert_eq!(o.kind.as_str(), "bad_request");
        let o = proxy_outcome(
            p,
            201,
            &[("Idempotent-Replayed", "true")],
            br#"{"provider":"partoo","status":200,"id":"u","warnings":[{"path":"/accesses","code":"ignored","message":"m"}]}"#,
0,
        );
        assert_eq!(
            (o.kind.as_str(), o.status, o.replayed),
            ("created", 200, Some(true))
        );
        assert_eq!(o.warnings.map(|w| w.len()), Some(1));
        let kinds = [
            "bad_request",
            "unauthorized",
            "forbidden",
            "not_found",
            "timeout",
            "conflict",
            "already_exists",
            "too_large",
            "validation",
            "rate_limited",
            "upstream",
            "unavailable",
            "server_error",
            "malformed",
        ];
        for kind in ProblemKind::ALL {
            let client = kind.client_kind().as_str();
            assert!(kinds.contains(&client), "{} -> {client}", kind.slug());
        }
    }

    #[test]
    fn options_shapes() {
        let default = default_options();
        assert_eq!(default.max_issues, Some(100));
        assert_eq!(read_options(b"null"), Ok(default.clone()));
        assert_eq!(read_options(b"{}"), Ok(default.clone()));
        assert_eq!(
            read_options(br#"{"allowedEmailDomains":null,"maxIssues":null}"#),
            Ok(default)
        );
        assert_eq!(
            read_options(br#"{"maxIssues":9007199254740991}"#).map(|o| o.max_issues),
            Ok(Some(
                usize::try_from(9_007_199_254_740_991_u64).unwrap_or(usize::MAX)
            ))
        );
        assert!(read_options(b"[]").is_err());
        assert!(read_options(br#"{"allowedEmailDomains":[1]}"#).is_err());
        assert!(read_options(b"{").is_err());
        for bad in ["0", "-1", "1.5", "\"10\"", "true"] {
            let json = format!(r#"{{"maxIssues":{bad}}}"#);
            assert_eq!(
                read_options(json.as_bytes()).err().as_deref(),
                Some("options.maxIssues must be a whole number of at least 1, or Infinity"),
                "{bad}"
            );
        }
    }

    #[test]
    fn allowed_domains_that_could_never_match_are_refused() {
        for (domains, message) in [
            (
                "[]",
                "options.allowedEmailDomains is empty: no address could match",
            ),
            (r#"[""]"#, "options.allowedEmailDomains[0] is empty"),
            (
                r#"["acme.com","@example.com"]"#,
                "options.allowedEmailDomains[1] starts with @ (write example.com)",
            ),
            (
                r#"["*.example.com"]"#,
                "options.allowedEmailDomains[0] has a wildcard; list each subdomain instead",
            ),
            (
                r#"["example"]"#,
                "options.allowedEmailDomains[0] is not a domain name such as example.com",
            ),
            (
                r#"["a b.com"]"#,
                "options.allowedEmailDomains[0] is not a domain name such as example.com",
            ),
        ] {
            let json = format!(r#"{{"allowedEmailDomains":{domains}}}"#);
            assert_eq!(
                read_options(json.as_bytes()).err().as_deref(),
                Some(message),
                "{domains}"
            );
        }
        let ok = read_options(
            br#"{"allowedEmailDomains":["Acme.COM","xn--bcher-kva.example","b\u00fccher.de"]}"#,
        );
        assert_eq!(
            ok.map(|o| o.allowed_email_domains.map(|d| d.len())),
            Ok(Some(3))
        );
    }

    #[test]
    fn sentences() {
        assert_eq!(sentence("abc"), "Abc.");
        assert_eq!(sentence("Abc."), "Abc.");
        assert_eq!(sentence(""), ".");
    }
}
