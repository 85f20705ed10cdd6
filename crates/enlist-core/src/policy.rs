//! Server-side policy: which values a caller may send, which the server sets
//! itself, which fields are off limits and which email domains are welcome —
//! per provider, written as JSON with RFC 6901 JSON Pointers.
//!
//! The edge proxy reads a policy from its `POLICY` setting and applies it to
//! every create-user payload before validation; the browser never sees it, so
//! it cannot be bypassed. Everything here is pure (no I/O).
//!
//! ```json
//! {
//!   "partoo": {
//!     "allow":  { "/role": ["BUSINESS_MANAGER"] },
//!     "force":  { "/send_invitation": true, "/org_id": 42 },
//!     "forbid": ["/password"],
//!     "allowedEmailDomains": ["acme.com"]
//!   },
//!   "pandadoc": {
//!     "allow": { "/license": ["Guest"], "/workspaces/*/workspace_id": ["Ab123"] }
//!   }
//! }
//! ```
//!
//! Each provider entry may have:
//!
//! | key | meaning |
//! |-----|---------|
//! | `allow` | pointer → list of allowed JSON values; a value present at the pointer must be one of them (absent is fine) |
//! | `force` | pointer → value the server sets, whatever the caller sent |
//! | `default` | pointer → value the server sets when the caller sent none |
//! | `forbid` | pointers the caller may not send at all (checked before `force`) |
//! | `allowedEmailDomains` | every email field of the payload must be at one of these domains (exact, case-insensitive) |
//! | `invite` | whether the invite call is allowed (default: yes in admin mode, no in public mode) |
//! | `publicDefaults` | `false` drops the [built-in public defaults](builtin_public) for this provider |
//!
//! In a pointer, `*` stands for every element of an array (or member of an
//! object): `/workspaces/*/role`. Pointers are checked against the provider's
//! schema when the policy is read, so a typo is an error, not a silently
//! ignored rule.
//!
//! Order of application: `forbid` (on what the caller sent), then `default`,
//! then `force`, then `allow` and `allowedEmailDomains` (on the result). Every
//! refusal is one [`Issue`] with code [`Code::Policy`] at the offending path;
//! validation then runs on the result as usual.
//!
//! # Public and admin mode
//!
//! A proxy without client tokens is a public signup endpoint ([`Mode::Public`]).
//! There the [built-in public defaults](builtin_public) apply even when no
//! policy is configured, so that nobody can sign themselves up as an
//! administrator. An operator entry for a provider adds to them; a rule of the
//! operator's about a field (in `allow`, `force`, `default` or `forbid`)
//! replaces the built-in rules about that field and the fields inside it. A
//! provider with neither built-in defaults nor an operator entry gets no policy
//! in public mode (`None`): the proxy must refuse to serve it.
//!
//! In [`Mode::Admin`] (callers hold a client token) only the operator's entry
//! applies.
//!
//! ```
//! use enlist_core::{policy::{Mode, PolicySet}, provider};
//!
//! let partoo = provider("partoo").ok_or("registered")?;
//! let set = PolicySet::parse("")?; // nothing configured
//! let public = set.effective(partoo, Mode::Public).ok_or("built-in defaults")?;
//! let ev = public.evaluate(partoo, br#"{"email":"a@b.co","first_name":"A","last_name":"B","role":"ORG_ADMIN"}"#);
//! assert_eq!(ev.refusals[0].path, "/role");
//! assert_eq!(ev.refusals[0].code, enlist_core::Code::Policy);
//!
//! let admin = set.effective(partoo, Mode::Admin).ok_or("always")?;
//! assert!(admin.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::provider::AnyProvider;
use crate::report::{push_token, Code, Issue, Param, Params};
use crate::schema::{ObjectSchema, Type};
use serde_json::{Map, Value};
use std::fmt;

/// Who is calling: the public (no client token) or an authenticated operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No client tokens are configured: anyone may call; built-in defaults apply.
    Public,
    /// Callers present a client token: only the configured policy applies.
    Admin,
}

/// Why a policy document was refused. Messages name the place in the policy
/// document (`/partoo/allow/~1rol`) and never repeat configured values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// JSON Pointer into the policy document.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        };
        write!(f, "POLICY {path}: {}", self.message)
    }
}

impl std::error::Error for PolicyError {}

fn error(path: &str, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.to_string(),
        message: message.into(),
    }
}

/// A parsed JSON Pointer whose tokens may be the wildcard `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    text: String,
    tokens: Vec<String>,
}

impl Pointer {
    /// Parses an RFC 6901 pointer (`~0`, `~1` escapes). The root `""` is not
    /// a usable target and is refused.
    ///
    /// ```
    /// use enlist_core::policy::Pointer;
    /// assert_eq!(Pointer::parse("/a~1b/*/c")?.tokens(), ["a/b", "*", "c"]);
    /// assert!(Pointer::parse("role").is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err("a JSON Pointer must start with \"/\"".into());
        };
        let mut tokens = Vec::new();
        for raw in rest.split('/') {
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => token.push('~'),
                        Some('1') => token.push('/'),
                        _ => return Err("\"~\" must be followed by 0 or 1".into()),
                    }
                } else {
                    token.push(c);
                }
            }
            tokens.push(token);
        }
        Ok(Pointer {
            text: text.to_string(),
            tokens,
        })
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The unescaped reference tokens.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Whether one pointer is the other or lies inside it.
    fn overlaps(&self, other: &Pointer) -> bool {
        let n = self.tokens.len().min(other.tokens.len());
        self.tokens[..n] == other.tokens[..n]
    }
}

/// One provider's policy. Build it with [`PolicySet::parse`] and
/// [`PolicySet::effective`]; the empty policy (`Policy::default()`) allows
/// everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    allow: Vec<(Pointer, Vec<Value>)>,
    force: Vec<(Pointer, Value)>,
    defaults: Vec<(Pointer, Value)>,
    forbid: Vec<Pointer>,
    allowed_email_domains: Option<Vec<String>>,
    invite: Option<bool>,
    public_defaults: bool,
}

/// What [`Policy::evaluate`] made of a payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The payload with forced and default values set, when the policy changed
    /// it; `None` means "send the original bytes".
    pub body: Option<Vec<u8>>,
    /// Every refusal, with code [`Code::Policy`] and `params.rule` naming the
    /// rule (`forbid`, `allow`, `allowedEmailDomains`).
    pub refusals: Vec<Issue>,
}

impl Policy {
    /// `true` when the policy has no rule about payloads (invite permission
    /// aside): [`Policy::evaluate`] would accept anything unchanged.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty()
            && self.force.is_empty()
            && self.defaults.is_empty()
            && self.forbid.is_empty()
            && self.allowed_email_domains.is_none()
    }

    /// Whether the invite call is allowed.
    pub fn allows_invite(&self) -> bool {
        self.invite.unwrap_or(true)
    }

    /// The allowed email domains, lowercase, when restricted.
    pub fn allowed_email_domains(&self) -> Option<&[String]> {
        self.allowed_email_domains.as_deref()
    }

    /// Applies the policy to a create-user payload (raw JSON bytes). A body
    /// that is not JSON is left alone (validation reports it).
    pub fn evaluate(&self, provider: &dyn AnyProvider, body: &[u8]) -> Evaluation {
        if self.is_empty() {
            return Evaluation {
                body: None,
                refusals: Vec::new(),
            };
        }
        let Ok(mut doc) = serde_json::from_slice::<Value>(body) else {
            return Evaluation {
                body: None,
                refusals: Vec::new(),
            };
        };
        let (changed, refusals) = self.apply(provider.schema(), &mut doc);
        let body = if changed {
            serde_json::to_vec(&doc).ok()
        } else {
            None
        };
        Evaluation { body, refusals }
    }

    /// Applies the policy to an update payload (raw JSON bytes of the
    /// fields to change, patch style: an absent field stays as it is). The
    /// rules that speak of what a caller *sends* apply as for a create:
    /// `forbid` on the fields present, then `force` on the fields present
    /// (an update that sets a forced field sets it to the forced value; a
    /// forced field the update leaves out is not added), then `allow` and
    /// `allowedEmailDomains` on the result. `default` does not apply: an
    /// absent field means "unchanged", not "unset". A body that is not a
    /// JSON object is left alone.
    ///
    /// ```
    /// use enlist_core::{policy::{Mode, PolicySet}, provider};
    ///
    /// let partoo = provider("partoo").ok_or("registered")?;
    /// let set = PolicySet::parse(r#"{"partoo": {"default": {"/role": "PUBLISHER"},
    ///     "force": {"/lang": "fr"}, "allowedEmailDomains": ["acme.com"]}}"#)?;
    /// let policy = set.effective(partoo, Mode::Admin).ok_or("always")?;
    /// let ev = policy.evaluate_update(partoo, br#"{"lang":"en","email":"ada@evil.com"}"#);
    /// assert_eq!(ev.refusals[0].path, "/email");
    /// assert_eq!(ev.body.as_deref(), Some(&br#"{"email":"ada@evil.com","lang":"fr"}"#[..]));
    /// // Nothing is added to an update that does not mention the field.
    /// assert_eq!(policy.evaluate_update(partoo, br#"{"disabled":true}"#).body, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_update(&self, provider: &dyn AnyProvider, body: &[u8]) -> Evaluation {
        let unchanged = || Evaluation {
            body: None,
            refusals: Vec::new(),
        };
        if self.is_empty() {
            return unchanged();
        }
        let Ok(mut doc @ Value::Object(_)) = serde_json::from_slice::<Value>(body) else {
            return unchanged();
        };
        let mut refusals = self.forbidden(&doc);
        let mut changed = false;
        for (pointer, value) in &self.force {
            changed |= replace_present(&mut doc, &pointer.tokens, value);
        }
        refusals.extend(self.disallowed(provider.schema(), &doc));
        let body = if changed {
            serde_json::to_vec(&doc).ok()
        } else {
            None
        };
        Evaluation { body, refusals }
    }

    /// The rules an *existing* user breaks, for a service that may only
    /// change users the policy would have let it create: `user` is the
    /// user as a create payload (its email, role, organization, businesses,
    /// groups). A value present at an `allow` pointer must be allowed, a
    /// value present at a `force` pointer must be the forced one, and every
    /// email must be at an allowed domain. `forbid` and `default` speak of
    /// what a caller sends and do not apply. Each refusal has code
    /// [`Code::Policy`], `params.rule` naming the rule.
    ///
    /// ```
    /// use enlist_core::{policy::{Mode, PolicySet}, provider};
    ///
    /// let partoo = provider("partoo").ok_or("registered")?;
    /// let public = PolicySet::default().effective(partoo, Mode::Public).ok_or("built in")?;
    /// let admin = serde_json::json!({"email": "boss@acme.com", "role": "ORG_ADMIN", "org_id": 7});
    /// assert_eq!(public.refusals_for_existing(partoo, &admin)[0].path, "/role");
    /// let manager = serde_json::json!({"email": "ada@acme.com", "role": "BUSINESS_MANAGER", "org_id": 7});
    /// assert!(public.refusals_for_existing(partoo, &manager).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refusals_for_existing(&self, provider: &dyn AnyProvider, user: &Value) -> Vec<Issue> {
        let mut refusals = Vec::new();
        for (pointer, forced) in &self.force {
            let mut path = String::new();
            visit(user, &pointer.tokens, &mut path, &mut |path, value| {
                if value != forced {
                    refusals.push(Issue::new(
                        path,
                        Code::Policy,
                        "This user has a value the policy does not let this service manage.",
                        Params::new()
                            .with("rule", Param::Str("force".into()))
                            .with("allowed", Param::Strings(vec![show(forced)])),
                    ));
                }
            });
        }
        refusals.extend(self.disallowed(provider.schema(), user));
        refusals
    }

    /// `forbid`'s refusals: every forbidden field present in `doc`.
    fn forbidden(&self, doc: &Value) -> Vec<Issue> {
        let mut refusals = Vec::new();
        for pointer in &self.forbid {
            let mut path = String::new();
            visit(doc, &pointer.tokens, &mut path, &mut |path, _| {
                refusals.push(Issue::new(
                    path,
                    Code::Policy,
                    "This field may not be set here.",
                    Params::new().with("rule", Param::Str("forbid".into())),
                ));
            });
        }
        refusals
    }

    /// `allow`'s and `allowedEmailDomains`' refusals on `doc`.
    fn disallowed(&self, schema: &ObjectSchema, doc: &Value) -> Vec<Issue> {
        let mut refusals = Vec::new();
        for (pointer, allowed) in &self.allow {
            let mut path = String::new();
            visit(doc, &pointer.tokens, &mut path, &mut |path, value| {
                if !allowed.contains(value) {
                    refusals.push(Issue::new(
                        path,
                        Code::Policy,
                        "This value is not allowed here.",
                        Params::new().with("rule", Param::Str("allow".into())).with(
                            "allowed",
                            Param::Strings(allowed.iter().map(show).collect()),
                        ),
                    ));
                }
            });
        }
        if let Some(domains) = &self.allowed_email_domains {
            let mut path = String::new();
            check_domains(schema, doc, domains, &mut path, &mut refusals);
        }
        refusals
    }

    /// Applies the policy to a parsed payload in place. Returns whether the
    /// payload changed and the refusals.
    pub fn apply(&self, schema: &ObjectSchema, doc: &mut Value) -> (bool, Vec<Issue>) {
        let mut refusals = self.forbidden(doc);
        let mut changed = false;
        for (pointer, value) in &self.defaults {
            changed |= set(doc, &pointer.tokens, value, false);
        }
        for (pointer, value) in &self.force {
            changed |= set(doc, &pointer.tokens, value, true);
        }
        refusals.extend(self.disallowed(schema, doc));
        (changed, refusals)
    }
}

/// A value as text for `params.allowed`: strings as they are, anything else
/// as JSON.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Calls `f(path, value)` for every value that `tokens` reaches in `node`.
fn visit(node: &Value, tokens: &[String], path: &mut String, f: &mut dyn FnMut(&str, &Value)) {
    let Some((first, rest)) = tokens.split_first() else {
        f(path, node);
        return;
    };
    let len = path.len();
    match node {
        Value::Object(map) if first == "*" => {
            for (key, child) in map {
                push_token(path, key);
                visit(child, rest, path, f);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            if let Some(child) = map.get(first) {
                push_token(path, first);
                visit(child, rest, path, f);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let only = index(first);
            for (i, child) in items.iter().enumerate() {
                if first == "*" || only == Some(i) {
                    push_token(path, &i.to_string());
                    visit(child, rest, path, f);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// An array index token (`0`, `12`; no leading zeros).
fn index(token: &str) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    if !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// Sets `value` at every place `tokens` reaches (`overwrite`: also where a
/// value exists). Missing intermediate objects are created; arrays are never
/// grown. Returns whether anything changed.
fn set(node: &mut Value, tokens: &[String], value: &Value, overwrite: bool) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return false;
    };
    match node {
        Value::Object(map) if first == "*" => {
            let mut changed = false;
            for child in map.values_mut() {
                changed |= set_or_descend(child, rest, value, overwrite);
            }
            changed
        }
        Value::Object(map) => {
            if rest.is_empty() {
                if !overwrite && map.contains_key(first) {
                    return false;
                }
                let old = map.insert(first.clone(), value.clone());
                return old.as_ref() != Some(value);
            }
            let child = map
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            set(child, rest, value, overwrite)
        }
        Value::Array(items) => {
            let only = index(first);
            let mut changed = false;
            for (i, child) in items.iter_mut().enumerate() {
                if first == "*" || only == Some(i) {
                    changed |= set_or_descend(child, rest, value, overwrite);
                }
            }
            changed
        }
        _ => false,
    }
}

/// Replaces with `value` every value that `tokens` reaches in `node` and
/// that differs from it; creates nothing. Returns whether anything changed.
fn replace_present(node: &mut Value, tokens: &[String], value: &Value) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        if node == value {
            return false;
        }
        *node = value.clone();
        return true;
    };
    let only = index(first);
    let mut changed = false;
    match node {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if first == "*" || key == first {
                    changed |= replace_present(child, rest, value);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                if first == "*" || only == Some(i) {
                    changed |= replace_present(child, rest, value);
                }
            }
        }
        _ => {}
    }
    changed
}

/// The element reached by a wildcard or index: replaced when it is the
/// target, else descended into.
fn set_or_descend(child: &mut Value, rest: &[String], value: &Value, overwrite: bool) -> bool {
    if rest.is_empty() {
        if !overwrite || child == value {
            return false;
        }
        *child = value.clone();
        return true;
    }
    set(child, rest, value, overwrite)
}

/// Refuses every email field (as the schema types them) whose domain is not
/// listed. Values that are not emails at all are left to validation.
fn check_domains(
    schema: &ObjectSchema,
    node: &Value,
    domains: &[String],
    path: &mut String,
    out: &mut Vec<Issue>,
) {
    let Value::Object(map) = node else {
        return;
    };
    for field in schema.fields {
        let Some(value) = map.get(field.name) else {
            continue;
        };
        let len = path.len();
        push_token(path, field.name);
        check_type(&field.ty, value, domains, path, out);
        path.truncate(len);
    }
}

fn check_type(
    ty: &Type,
    value: &Value,
    domains: &[String],
    path: &mut String,
    out: &mut Vec<Issue>,
) {
    match (ty, value) {
        (Type::Email, Value::String(email)) => {
            let Some((_, domain)) = email.trim().rsplit_once('@') else {
                return;
            };
            if !domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
                out.push(Issue::new(
                    path.clone(),
                    Code::Policy,
                    "Email addresses at this domain are not allowed here.",
                    Params::new()
                        .with("rule", Param::Str("allowedEmailDomains".into()))
                        .with("allowed", Param::Strings(domains.to_vec())),
                ));
            }
        }
        (Type::Object(inner), _) => check_domains(inner, value, domains, path, out),
        (Type::Array(array), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                push_token(path, &i.to_string());
                check_type(&array.items, item, domains, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Checks that `pointer` names a place in `schema` (`*` or an index for array
/// elements).
fn check_pointer(schema: &ObjectSchema, pointer: &Pointer) -> Result<(), String> {
    let mut ty: Option<&Type> = None;
    let mut object = Some(schema);
    for token in &pointer.tokens {
        if let Some(Type::Array(array)) = ty {
            if token != "*" && index(token).is_none() {
                return Err(format!(
                    "{}: an array element is `*` or an index",
                    pointer.as_str()
                ));
            }
            ty = Some(&array.items);
            object = match &array.items {
                Type::Object(inner) => Some(inner),
                _ => None,
            };
            continue;
        }
        let Some(obj) = object else {
            return Err(format!(
                "{}: goes inside a value that has no fields",
                pointer.as_str()
            ));
        };
        let Some(field) = obj.field(token) else {
            let known: Vec<&str> = obj.fields.iter().map(|f| f.name).collect();
            return Err(format!(
                "{}: no field of that name here (known: {})",
                pointer.as_str(),
                known.join(", ")
            ));
        };
        ty = Some(&field.ty);
        object = match &field.ty {
            Type::Object(inner) => Some(inner),
            _ => None,
        };
    }
    Ok(())
}

const ENTRY_KEYS: &[&str] = &[
    "allow",
    "force",
    "default",
    "forbid",
    "allowedEmailDomains",
    "invite",
    "publicDefaults",
];

/// Reads one provider entry (`at` is its pointer in the document).
fn parse_entry(schema: &ObjectSchema, value: &Value, at: &str) -> Result<Policy, PolicyError> {
    let Value::Object(entry) = value else {
        return Err(error(at, "a provider entry must be an object"));
    };
    let mut policy = Policy {
        public_defaults: true,
        ..Policy::default()
    };
    let child = |key: &str| {
        let mut p = at.to_string();
        push_token(&mut p, key);
        p
    };
    let pointer = |key: &str, text: &str| -> Result<Pointer, PolicyError> {
        let mut here = child(key);
        push_token(&mut here, text);
        let p = Pointer::parse(text).map_err(|m| error(&here, m))?;
        check_pointer(schema, &p).map_err(|m| error(&here, m))?;
        Ok(p)
    };
    for (key, value) in entry {
        match key.as_str() {
            "allow" => {
                let Value::Object(rules) = value else {
                    return Err(error(
                        &child(key),
                        "must be an object of pointer → list of values",
                    ));
                };
                for (text, values) in rules {
                    let p = pointer(key, text)?;
                    let Value::Array(values) = values else {
                        let mut here = child(key);
                        push_token(&mut here, text);
                        return Err(error(&here, "must be a list of allowed values"));
                    };
                    policy.allow.push((p, values.clone()));
                }
            }
            "force" | "default" => {
                let Value::Object(rules) = value else {
                    return Err(error(&child(key), "must be an object of pointer → value"));
                };
                for (text, v) in rules {
                    let p = pointer(key, text)?;
                    if key == "force" {
                        policy.force.push((p, v.clone()));
                    } else {
                        policy.defaults.push((p, v.clone()));
                    }
                }
            }
            "forbid" => {
                let Value::Array(list) = value else {
                    return Err(error(&child(key), "must be a list of pointers"));
                };
                for (i, text) in list.iter().enumerate() {
                    let Value::String(text) = text else {
                        let mut here = child(key);
                        push_token(&mut here, &i.to_string());
                        return Err(error(&here, "must be a JSON Pointer string"));
                    };
                    let mut here = child(key);
                    push_token(&mut here, &i.to_string());
                    let p = Pointer::parse(text).map_err(|m| error(&here, m))?;
                    check_pointer(schema, &p).map_err(|m| error(&here, m))?;
                    policy.forbid.push(p);
                }
            }
            "allowedEmailDomains" => {
                let Value::Array(list) = value else {
                    return Err(error(&child(key), "must be a list of domains"));
                };
                let mut domains = Vec::new();
                for (i, d) in list.iter().enumerate() {
                    let mut here = child(key);
                    push_token(&mut here, &i.to_string());
                    let Value::String(d) = d else {
                        return Err(error(&here, "must be a domain string"));
                    };
                    let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
                    if d.is_empty() || d.contains(['@', '/', ' ']) || !d.contains('.') {
                        return Err(error(&here, "must be a domain such as example.com"));
                    }
                    domains.push(d);
                }
                policy.allowed_email_domains = Some(domains);
            }
            "invite" => match value {
                Value::Bool(b) => policy.invite = Some(*b),
                _ => return Err(error(&child(key), "must be true or false")),
            },
            "publicDefaults" => match value {
                Value::Bool(b) => policy.public_defaults = *b,
                _ => return Err(error(&child(key), "must be true or false")),
            },
            _ => {
                return Err(error(
                    &child(key),
                    format!("unknown key; expected one of: {}", ENTRY_KEYS.join(", ")),
                ))
            }
        }
    }
    Ok(policy)
}

/// The built-in public-mode policy of a provider, if it has one: its
/// [`Provider::PUBLIC_POLICY`](crate::Provider::PUBLIC_POLICY), parsed.
pub fn builtin_public(provider: &dyn AnyProvider) -> Option<Policy> {
    let value: Value = serde_json::from_str(provider.public_policy()?).ok()?;
    parse_entry(provider.schema(), &value, "").ok()
}

/// Every provider's configured policy: the parsed `POLICY` document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySet {
    entries: Vec<(&'static str, Policy)>,
}

impl PolicySet {
    /// Reads a policy document. Empty text (or only whitespace) is the empty
    /// set. Unknown provider ids, unknown keys and pointers that name no field
    /// of the provider's payload are errors.
    ///
    /// ```
    /// use enlist_core::policy::PolicySet;
    /// assert!(PolicySet::parse(r#"{"partoo": {"allow": {"/role": ["PUBLISHER"]}}}"#).is_ok());
    /// let e = PolicySet::parse(r#"{"partoo": {"allow": {"/rol": ["PUBLISHER"]}}}"#).unwrap_err();
    /// assert_eq!(e.path, "/partoo/allow/~1rol");
    /// ```
    pub fn parse(json: &str) -> Result<Self, PolicyError> {
        if json.trim().is_empty() {
            return Ok(PolicySet::default());
        }
        let value: Value =
            serde_json::from_str(json).map_err(|e| error("", format!("not valid JSON ({e})")))?;
        Self::from_value(&value)
    }

    /// Reads an already parsed policy document.
    pub fn from_value(value: &Value) -> Result<Self, PolicyError> {
        let Value::Object(map) = value else {
            return Err(error("", "must be an object keyed by provider id"));
        };
        let mut entries = Vec::new();
        for (id, entry) in map {
            let mut at = String::new();
            push_token(&mut at, id);
            let Some(provider) = crate::provider(id) else {
                let known: Vec<&str> = crate::provider_ids().collect();
                return Err(error(
                    &at,
                    format!("unknown provider; expected one of: {}", known.join(", ")),
                ));
            };
            entries.push((provider.id(), parse_entry(provider.schema(), entry, &at)?));
        }
        Ok(PolicySet { entries })
    }

    /// The operator's entry for a provider, if any.
    pub fn entry(&self, provider_id: &str) -> Option<&Policy> {
        self.entries
            .iter()
            .find(|(id, _)| *id == provider_id)
            .map(|(_, p)| p)
    }

    /// The policy that applies to `provider` in `mode`. In admin mode: the
    /// operator's entry, or the empty policy. In public mode: the built-in
    /// defaults overlaid with the operator's entry (see the module docs), or
    /// `None` when there is neither — the provider must not be served.
    pub fn effective(&self, provider: &dyn AnyProvider, mode: Mode) -> Option<Policy> {
        let operator = self.entry(provider.id());
        match mode {
            Mode::Admin => Some(operator.cloned().unwrap_or_default()),
            Mode::Public => {
                let builtin = builtin_public(provider);
                let mut policy = match (builtin, operator) {
                    (None, None) => return None,
                    (Some(b), None) => b,
                    (_, Some(op)) if !op.public_defaults => op.clone(),
                    (None, Some(op)) => op.clone(),
                    (Some(b), Some(op)) => overlay(b, op),
                };
                // Public callers never get invitations unless a policy says so.
                policy.invite = Some(policy.invite.unwrap_or(false));
                Some(policy)
            }
        }
    }
}

/// The built-in rules, minus those about fields the operator has rules
/// about, plus the operator's rules.
fn overlay(builtin: Policy, op: &Policy) -> Policy {
    let mentioned: Vec<&Pointer> = op
        .allow
        .iter()
        .map(|(p, _)| p)
        .chain(op.force.iter().map(|(p, _)| p))
        .chain(op.defaults.iter().map(|(p, _)| p))
        .chain(op.forbid.iter())
        .collect();
    let kept = |p: &Pointer| !mentioned.iter().any(|m| m.overlaps(p));
    let mut out = Policy {
        allow: builtin.allow.into_iter().filter(|(p, _)| kept(p)).collect(),
        force: builtin.force.into_iter().filter(|(p, _)| kept(p)).collect(),
        defaults: builtin
            .defaults
            .into_iter()
            .filter(|(p, _)| kept(p))
            .collect(),
        forbid: builtin.forbid.into_iter().filter(|p| kept(p)).collect(),
        allowed_email_domains: builtin.allowed_email_domains,
        invite: builtin.invite,
        public_defaults: true,
    };
    out.allow.extend(op.allow.iter().cloned());
    out.force.extend(op.force.iter().cloned());
    out.defaults.extend(op.defaults.iter().cloned());
    out.forbid.extend(op.forbid.iter().cloned());
    if op.allowed_email_domains.is_some() {
        out.allowed_email_domains = op.allowed_email_domains.clone();
    }
    if op.invite.is_some() {
        out.invite = op.invite;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Options;
    use crate::{provider, Settings};

    fn partoo() -> &'static dyn AnyProvider {
        provider("partoo").unwrap()
    }

    fn pandadoc() -> &'static dyn AnyProvider {
        provider("pandadoc").unwrap()
    }

    const PARTOO_USER: &str = r#"{"email":"ada@acme.com","first_name":"Ada","last_name":"L"}"#;

    fn with(base: &str, extra: &str) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(base).unwrap();
        let e: Value = serde_json::from_str(extra).unwrap();
        for (k, x) in e.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::to_vec(&v).unwrap()
    }

    fn paths(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.path.as_str()).collect()
    }

    #[test]
    fn every_built_in_public_policy_parses_restricts_and_refuses_invites() {
        let mut with_defaults = 0;
        for p in crate::REGISTRY {
            let Some(json) = p.public_policy() else {
                assert!(PolicySet::default().effective(*p, Mode::Public).is_none());
                continue;
            };
            with_defaults += 1;
            let value: Value = serde_json::from_str(json).expect("JSON");
            let policy =
                parse_entry(p.schema(), &value, "").expect("a valid entry for its own schema");
            assert!(!policy.is_empty(), "{}", p.id());
            assert!(!policy.allows_invite(), "{}", p.id());
            assert_eq!(builtin_public(*p), Some(policy));
        }
        assert!(
            with_defaults >= 2,
            "partoo and pandadoc have public defaults"
        );
    }

    #[test]
    fn admin_mode_has_no_default_restrictions() {
        let set = PolicySet::default();
        for p in [partoo(), pandadoc()] {
            let policy = set.effective(p, Mode::Admin).unwrap();
            assert!(policy.is_empty());
            assert!(policy.allows_invite());
        }
    }

    #[test]
    fn the_example_from_the_docs() {
        let set = PolicySet::parse(
            r#"{"partoo": {"allow": {"/role": ["BUSINESS_MANAGER"]}, "force": {"/send_invitation": true, "/org_id": 42}, "forbid": ["/password"], "allowedEmailDomains": ["acme.com"]},
                "pandadoc": {"allow": {"/license": ["Guest"], "/workspaces/*/workspace_id": ["Ab123"]}}}"#,
        )
        .unwrap();
        let policy = set.effective(partoo(), Mode::Admin).unwrap();
        let body = with(
            PARTOO_USER,
            r#"{"email":"ada@evil.com","password":"Secret-123","role":"ORG_ADMIN","org_id":7,"send_invitation":false}"#,
        );
        let ev = policy.evaluate(partoo(), &body);
        let mut got = paths(&ev.refusals);
        got.sort_unstable();
        assert_eq!(got, ["/email", "/password", "/role"]);
        let sent: Value = serde_json::from_slice(ev.body.as_deref().unwrap()).unwrap();
        assert_eq!(sent["org_id"], 42);
        assert_eq!(sent["send_invitation"], true);

        let pd = set.effective(pandadoc(), Mode::Admin).unwrap();
        let body = br#"{"user":{"email":"a@acme.com"},"license":"Full","workspaces":[
            {"workspace_id":"Ab123","role":"Admin"},{"workspace_id":"Zz9","role":"Member"}]}"#;
        let ev = pd.evaluate(pandadoc(), body);
        assert_eq!(
            paths(&ev.refusals),
            ["/license", "/workspaces/1/workspace_id"]
        );
        assert_eq!(
            ev.refusals[0].params.get("allowed"),
            Some(&Param::Strings(vec!["Guest".into()]))
        );
    }

    #[test]
    fn forced_values_are_set_before_validation() {
        // A required field may come from the policy alone.
        let set = PolicySet::parse(r#"{"pandadoc": {"force": {"/license": "Guest", "/workspaces/*/role": "Collaborator"}}}"#).unwrap();
        let policy = set.effective(pandadoc(), Mode::Admin).unwrap();
        let body = br#"{"user":{"email":"a@acme.com"},"workspaces":[{"workspace_id":"w","role":"Admin"}]}"#;
        let ev = policy.evaluate(pandadoc(), body);
        assert!(ev.refusals.is_empty());
        let sent = ev.body.unwrap();
        let settings = Settings {
            api_key: "k".into(),
            ..Settings::default()
        };
        let built = pandadoc()
            .build_create_user(&sent, &Options::default(), &settings)
            .unwrap();
        let forwarded: Value =
            serde_json::from_str(built.request.body.as_deref().unwrap()).unwrap();
        assert_eq!(forwarded["license"], "Guest");
        assert_eq!(forwarded["workspaces"][0]["role"], "Collaborator");
    }

    #[test]
    fn forbid_applies_to_what_the_caller_sent_even_when_forced() {
        let set =
            PolicySet::parse(r#"{"partoo": {"forbid": ["/org_id"], "force": {"/org_id": 42}}}"#)
                .unwrap();
        let policy = set.effective(partoo(), Mode::Admin).unwrap();
        assert!(policy
            .evaluate(partoo(), PARTOO_USER.as_bytes())
            .refusals
            .is_empty());
        let ev = policy.evaluate(partoo(), &with(PARTOO_USER, r#"{"org_id":42}"#));
        assert_eq!(paths(&ev.refusals), ["/org_id"]);
        assert_eq!(ev.refusals[0].params.get_str("rule"), Some("forbid"));
    }

    #[test]
    fn null_counts_as_sent() {
        let set = PolicySet::parse(r#"{"partoo": {"forbid": ["/sidebar_pages"]}}"#).unwrap();
        let policy = set.effective(partoo(), Mode::Admin).unwrap();
        let ev = policy.evaluate(partoo(), &with(PARTOO_USER, r#"{"sidebar_pages":null}"#));
        assert_eq!(paths(&ev.refusals), ["/sidebar_pages"]);
    }

    #[test]
    fn email_domains_are_checked_wherever_the_schema_has_emails() {
        let set =
            PolicySet::parse(r#"{"pandadoc": {"allowedEmailDomains": ["ACME.com"]}}"#).unwrap();
        let policy = set.effective(pandadoc(), Mode::Admin).unwrap();
        let ok = br#"{"user":{"email":"a@Acme.COM"},"license":"Full","workspaces":[]}"#;
        assert!(policy.evaluate(pandadoc(), ok).refusals.is_empty());
        let bad = br#"{"user":{"email":"a@acme.com.evil.io"},"license":"Full","workspaces":[]}"#;
        let ev = policy.evaluate(pandadoc(), bad);
        assert_eq!(paths(&ev.refusals), ["/user/email"]);
        assert_eq!(
            ev.refusals[0].params.get("allowed"),
            Some(&Param::Strings(vec!["acme.com".into()]))
        );
        // Not an email at all: validation's business, not the policy's.
        let junk = br#"{"user":{"email":"nope"},"license":"Full","workspaces":[]}"#;
        assert!(policy.evaluate(pandadoc(), junk).refusals.is_empty());
    }

    #[test]
    fn operator_rules_replace_builtin_rules_about_the_same_field() {
        let set = PolicySet::parse(
            r#"{"partoo": {"allow": {"/role": ["BUSINESS_MANAGER", "GROUP_MANAGER"], "/accesses/*/*": [1, 2]}}}"#,
        )
        .unwrap();
        let policy = set.effective(partoo(), Mode::Public).unwrap();
        let body = with(
            PARTOO_USER,
            r#"{"role":"GROUP_MANAGER","accesses":[[1,2]]}"#,
        );
        assert!(policy.evaluate(partoo(), &body).refusals.is_empty());
        let body = with(
            PARTOO_USER,
            r#"{"role":"ORG_ADMIN","accesses":[[1,3]],"org_id":9}"#,
        );
        let ev = policy.evaluate(partoo(), &body);
        let mut got = paths(&ev.refusals);
        got.sort_unstable();
        // org_id stays forbidden: the operator said nothing about it.
        assert_eq!(got, ["/accesses/0/1", "/org_id", "/role"]);
        // The built-in default for /role went with the built-in allow rule.
        let ev = policy.evaluate(partoo(), PARTOO_USER.as_bytes());
        assert!(ev.refusals.is_empty());
        assert_eq!(ev.body, None);
    }

    #[test]
    fn public_defaults_can_be_dropped_explicitly() {
        let set = PolicySet::parse(r#"{"partoo": {"publicDefaults": false}}"#).unwrap();
        let policy = set.effective(partoo(), Mode::Public).unwrap();
        assert!(policy.is_empty());
        assert!(
            !policy.allows_invite(),
            "public invite needs an explicit yes"
        );
        let set =
            PolicySet::parse(r#"{"partoo": {"publicDefaults": false, "invite": true}}"#).unwrap();
        assert!(set
            .effective(partoo(), Mode::Public)
            .unwrap()
            .allows_invite());
    }

    #[test]
    fn bad_documents_are_refused_with_a_pointer() {
        let cases = [
            ("[]", ""),
            ("{", ""),
            (r#"{"nope": {}}"#, "/nope"),
            (r#"{"partoo": []}"#, "/partoo"),
            (r#"{"partoo": {"alow": {}}}"#, "/partoo/alow"),
            (
                r#"{"partoo": {"allow": {"role": ["X"]}}}"#,
                "/partoo/allow/role",
            ),
            (
                r#"{"partoo": {"allow": {"/role": "X"}}}"#,
                "/partoo/allow/~1role",
            ),
            (
                r#"{"partoo": {"allow": {"/role/x": ["X"]}}}"#,
                "/partoo/allow/~1role~1x",
            ),
            (r#"{"partoo": {"forbid": "/role"}}"#, "/partoo/forbid"),
            (r#"{"partoo": {"forbid": [1]}}"#, "/partoo/forbid/0"),
            (
                r#"{"partoo": {"forbid": ["/accesses/x"]}}"#,
                "/partoo/forbid/0",
            ),
            (
                r#"{"partoo": {"allowedEmailDomains": ["a@b"]}}"#,
                "/partoo/allowedEmailDomains/0",
            ),
            (r#"{"partoo": {"invite": "yes"}}"#, "/partoo/invite"),
            (
                r#"{"pandadoc": {"force": {"/user/~2": 1}}}"#,
                "/pandadoc/force/~1user~1~02",
            ),
        ];
        for (doc, path) in cases {
            let e = PolicySet::parse(doc).expect_err(doc);
            assert_eq!(e.path, path, "{doc}: {e}");
        }
        assert!(PolicySet::parse(
            r#"{"pandadoc": {"forbid": ["/workspaces/0/role", "/user/phone_number"]}}"#
        )
        .is_ok());
    }

    /// Issue 20: an update (SCIM `PUT`/`PATCH`) went through no policy.
    #[test]
    fn updates_get_forbid_force_allow_and_domains_but_no_defaults() {
        let set = PolicySet::parse(
            r#"{"partoo": {"forbid": ["/password"], "default": {"/role": "PUBLISHER", "/lang": "de"},
                "force": {"/lang": "fr", "/org_id": 42}, "allow": {"/role": ["BUSINESS_MANAGER"]},
                "allowedEmailDomains": ["acme.com"]}}"#,
        )
        .unwrap();
        let policy = set.effective(partoo(), Mode::Admin).unwrap();
        // Only what the update mentions: no default role, no forced org_id.
        let ev = policy.evaluate_update(partoo(), br#"{"first_name":"Ada","disabled":true}"#);
        assert_eq!((ev.body, ev.refusals), (None, Vec::new()));
        // A forced field the update sets gets the forced value.
        let ev = policy.evaluate_update(partoo(), br#"{"lang":"en"}"#);
        assert!(ev.refusals.is_empty());
        assert_eq!(ev.body.as_deref(), Some(&br#"{"lang":"fr"}"#[..]));
        let ev = policy.evaluate_update(partoo(), br#"{"lang":"fr"}"#);
        assert_eq!(ev.body, None);
        // Everything refused at once: forbidden, not allowed, other domain.
        let ev = policy.evaluate_update(
            partoo(),
            br#"{"password":"Secret-123","role":"ORG_ADMIN","email":"ada@evil.com"}"#,
        );
        let mut got: Vec<(&str, Option<&str>)> = ev
            .refusals
            .iter()
            .map(|i| (i.path.as_str(), i.params.get_str("rule")))
            .collect();
        got.sort_unstable();
        assert_eq!(
            got,
            [
                ("/email", Some("allowedEmailDomains")),
                ("/password", Some("forbid")),
                ("/role", Some("allow"))
            ]
        );
        // The empty policy and bodies that are not objects change nothing.
        let empty = Policy::default();
        assert_eq!(
            empty.evaluate_update(partoo(), br#"{"role":"ORG_ADMIN"}"#),
            Evaluation {
                body: None,
                refusals: Vec::new()
            }
        );
        for body in [&b"not json"[..], b"[]", b"null", b"3"] {
            let ev = policy.evaluate_update(partoo(), body);
            assert_eq!((ev.body, ev.refusals.len()), (None, 0));
        }
    }

    #[test]
    fn forced_values_replace_only_what_is_there_at_any_depth() {
        let set = PolicySet::parse(
            r#"{"pandadoc": {"force": {"/workspaces/*/role": "Collaborator", "/license": "Guest"}}}"#,
        )
        .unwrap();
        let policy = set.effective(pandadoc(), Mode::Admin).unwrap();
        let ev = policy.evaluate_update(
            pandadoc(),
            br#"{"workspaces":[{"workspace_id":"a","role":"Admin"},{"workspace_id":"b"}]}"#,
        );
        let sent: Value = serde_json::from_slice(ev.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"workspaces":[{"workspace_id":"a","role":"Collaborator"},{"workspace_id":"b"}]})
        );
    }

    /// Issue 20: a SCIM token could rename or disable any user, an
    /// administrator included, whatever the policy let it create.
    #[test]
    fn existing_users_outside_the_policy_are_reported() {
        let set = PolicySet::parse(
            r#"{"partoo": {"forbid": ["/org_id"], "default": {"/role": "PUBLISHER"}, "force": {"/org_id": 42},
                "allow": {"/role": ["BUSINESS_MANAGER", "PUBLISHER"]}, "allowedEmailDomains": ["acme.com"]}}"#,
        )
        .unwrap();
        let policy = set.effective(partoo(), Mode::Admin).unwrap();
        let user = |extra: Value| {
            let mut v = serde_json::json!({"email": "ada@acme.com", "role": "BUSINESS_MANAGER", "org_id": 42});
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            v
        };
        // In reach: forbid (org_id is there) and default do not apply.
        assert!(policy
            .refusals_for_existing(partoo(), &user(serde_json::json!({})))
            .is_empty());
        let out = policy.refusals_for_existing(
            partoo(),
            &user(serde_json::json!({"email": "boss@other.com", "role": "ORG_ADMIN", "org_id": 7})),
        );
        let mut got: Vec<(&str, Option<&str>)> = out
            .iter()
            .map(|i| (i.path.as_str(), i.params.get_str("rule")))
            .collect();
        got.sort_unstable();
        assert_eq!(
            got,
            [
                ("/email", Some("allowedEmailDomains")),
                ("/org_id", Some("force")),
                ("/role", Some("allow"))
            ]
        );
        assert!(out.iter().all(|i| i.code == Code::Policy));
        // What the user lacks is not held against it.
        assert!(policy
            .refusals_for_existing(partoo(), &serde_json::json!({"email": "a@acme.com"}))
            .is_empty());
        assert!(Policy::default()
            .refusals_for_existing(partoo(), &user(serde_json::json!({"role": "ORG_ADMIN"})))
            .is_empty());
    }

    #[test]
    fn non_json_and_odd_shapes_never_panic() {
        let set = PolicySet::parse(
            r#"{"partoo": {"force": {"/role": "PUBLISHER"}, "allow": {"/accesses/*/*": [1]}}}"#,
        )
        .unwrap();
        let policy = set.effective(partoo(), Mode::Admin).unwrap();
        for body in [
            &b"not json"[..],
            b"[]",
            b"null",
            b"\"x\"",
            br#"{"accesses": 3}"#,
            br#"{"accesses": [3, [1, 9]]}"#,
        ] {
            let ev = policy.evaluate(partoo(), body);
            assert!(ev.refusals.len() <= 1);
        }
    }
}
