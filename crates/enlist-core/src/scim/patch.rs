//! `PATCH /Users/{id}`: a `PatchOp` (RFC 7644 §3.5.2) read in both shapes
//! identity providers send, and applied to a User.
//!
//! - Okta: no `path`, the attributes in `value`:
//!   `{"op": "replace", "value": {"active": false}}`.
//! - Entra: a `path`, Title-case operations and booleans as strings:
//!   `{"op": "Replace", "path": "active", "value": "False"}`.
//!
//! Operations, attribute names and `value` keys are case-insensitive; a key
//! of a path-less `value` may itself be a path (`"name.givenName"`). Paths:
//! `active`, `userName`, `name`, `name.givenName`, `name.familyName`,
//! `emails`, `emails[type eq "work"].value` (any type, or `primary eq
//! true`), `externalId`, `preferredLanguage`, `locale`, each optionally
//! prefixed with the User schema's URN. The User schema's attributes Partoo
//! has no field for (`displayName`, `title`, `phoneNumbers[…]`, …), and
//! extension schemas (`urn:…:enterprise:2.0:User:department`), are accepted
//! and ignored. Errors, all reported at once: an unknown attribute or a
//! malformed path is `invalidPath`; a value of the wrong type is
//! `invalidValue`; removing a required attribute (`userName`, the names,
//! `active`) or changing a read-only one (`id`, `meta`, `groups`) is
//! `mutability`; `remove` without a path, or `replace` of an email type the
//! user lacks, is `noTarget`. The patch applies whole or not at all.
//!
//! ```
//! use enlist_core::scim::{patch::PatchOp, ScimUser};
//!
//! let user = ScimUser { active: Some(true), ..ScimUser::new() };
//! // Okta
//! let okta = PatchOp::parse(br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations":[{"op":"replace","value":{"active":false}}]}"#)?;
//! assert_eq!(okta.apply(&user)?.user.active, Some(false));
//! // Entra
//! let entra = PatchOp::parse(br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations":[{"op":"Replace","path":"active","value":"False"}]}"#)?;
//! assert_eq!(entra.apply(&user)?.user.active, Some(false));
//! # Ok::<(), enlist_core::scim::ScimError>(())
//! ```

use super::user::{
    lenient_bool, type_issue, Email, Name, Reader, ScimUser, UNMAPPED, UNMAPPED_NAME,
};
use super::{
    eq_ci, strip_prefix_ci, ScimError, ScimType, ENTERPRISE_USER_SCHEMA, PATCH_OP_SCHEMA,
    USER_SCHEMA,
};
use crate::provider::Redacted;
use crate::report::{push_token, Code, Issue, Param, Params};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Most operations in one `PatchOp`.
pub const MAX_OPERATIONS: usize = 100;

/// A `PatchOp`, read and checked: every path resolved and every value of
/// the right type. `Debug` redacts personal data (names, emails, ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOp {
    steps: Vec<Step>,
}

/// The result of applying a `PatchOp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patched {
    /// The User with the changes made.
    pub user: ScimUser,
    /// Canonical names of the attributes the patch touched that Partoo has
    /// no field for (they were ignored).
    pub ignored: Vec<String>,
}

/// An operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Which `emails` entries a path selects.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Selector {
    /// `emails[type eq "…"]`, compared ignoring case.
    Type(String),
    /// `emails[primary eq true]`.
    Primary,
}

impl Selector {
    fn matches(&self, email: &Email) -> bool {
        match self {
            Selector::Type(kind) => email.kind.as_deref().is_some_and(|k| eq_ci(k, kind)),
            Selector::Primary => email.primary == Some(true),
        }
    }
}

/// One resolved change.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    Active(bool),
    UserName(Redacted<String>),
    GivenName(Redacted<String>),
    FamilyName(Redacted<String>),
    ExternalId(Option<Redacted<String>>),
    PreferredLanguage(Option<String>),
    Locale(Option<String>),
    AddEmails(Vec<Email>),
    ReplaceEmails(Vec<Email>),
    /// Set the value of the selected entry; `add` creates it when missing.
    EmailValue(Selector, Redacted<String>, Op),
    RemoveEmails(Selector),
    Ignore(String),
}

/// A change and the pointer of the operation it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    change: Change,
    pointer: String,
}

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Active,
    UserName,
    Name,
    GivenName,
    FamilyName,
    Emails,
    /// `emails[…]` (`value: false`) or `emails[…].value` (`true`).
    Email(Selector, bool),
    ExternalId,
    PreferredLanguage,
    Locale,
    ReadOnly,
    Ignored(String),
}

/// Why a path or value was refused: the keyword and the issue.
type Refusal = (ScimType, Issue);

impl PatchOp {
    /// Reads a `PatchOp` body. A body that is not a JSON object, or has no
    /// `Operations` list, is 400 `invalidSyntax`; otherwise every problem is
    /// listed and the keyword is the first problem's.
    ///
    /// ```
    /// use enlist_core::scim::{patch::PatchOp, ScimType};
    /// let error = PatchOp::parse(br#"{"Operations":[
    ///     {"op":"replace","path":"nickName2","value":"x"},
    ///     {"op":"replace","path":"active","value":"maybe"}]}"#).unwrap_err();
    /// assert_eq!(error.scim_type, Some(ScimType::InvalidPath));
    /// let paths: Vec<_> = error.issues.iter().map(|i| i.path.as_str()).collect();
    /// assert_eq!(paths, ["/Operations/0/path", "/Operations/1/value"]);
    /// ```
    pub fn parse(json: &[u8]) -> Result<PatchOp, ScimError> {
        let value: Value = serde_json::from_slice(json).map_err(|_| {
            ScimError::bad_request(ScimType::InvalidSyntax, "The body is not JSON.")
        })?;
        PatchOp::parse_value(&value)
    }

    /// Reads a `PatchOp` from a parsed JSON value (see [`PatchOp::parse`]).
    ///
    /// ```
    /// use enlist_core::scim::patch::PatchOp;
    /// assert!(PatchOp::parse_value(&serde_json::json!({"operations": [{"OP": "REMOVE", "Path": "externalId"}]})).is_ok());
    /// ```
    pub fn parse_value(value: &Value) -> Result<PatchOp, ScimError> {
        let Value::Object(members) = value else {
            return Err(ScimError::bad_request(
                ScimType::InvalidSyntax,
                "The body must be a JSON object (a PatchOp).",
            ));
        };
        let mut refusals: Vec<Refusal> = Vec::new();
        let mut operations = None;
        for (key, value) in members {
            let mut pointer = String::new();
            push_token(&mut pointer, key);
            if eq_ci(key, "Operations") && operations.is_none() {
                operations = Some((value, pointer));
            } else if eq_ci(key, "schemas") {
                let listed = value.as_array().is_some_and(|list| {
                    list.iter()
                        .any(|s| s.as_str().is_some_and(|s| eq_ci(s, PATCH_OP_SCHEMA)))
                });
                if !listed {
                    refusals.push((
                        ScimType::InvalidValue,
                        Issue::new(
                            pointer,
                            Code::Enum,
                            "Must list the PatchOp schema.",
                            Params::new()
                                .with("allowed", Param::List(Cow::Borrowed(&[PATCH_OP_SCHEMA]))),
                        ),
                    ));
                }
            } else {
                refusals.push(unknown(
                    pointer,
                    ScimType::InvalidSyntax,
                    "Not a member of a PatchOp.",
                ));
            }
        }
        let Some((operations, pointer)) = operations else {
            return Err(ScimError::bad_request(
                ScimType::InvalidSyntax,
                "The PatchOp has no Operations list.",
            ));
        };
        let list = match operations {
            Value::Array(list) if !list.is_empty() && list.len() <= MAX_OPERATIONS => list,
            Value::Array(list) if list.is_empty() => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    "The Operations list is empty.",
                ))
            }
            Value::Array(_) => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    "The Operations list has more than 100 operations.",
                ))
            }
            other => {
                return Err(ScimError::invalid(
                    ScimType::InvalidSyntax,
                    vec![type_issue(&pointer, "array", other)],
                ))
            }
        };
        let mut steps = Vec::new();
        for (i, operation) in list.iter().enumerate() {
            let mut at = pointer.clone();
            push_token(&mut at, &i.to_string());
            operation_steps(operation, &at, &mut steps, &mut refusals);
        }
        match refusals.first() {
            None => Ok(PatchOp { steps }),
            Some((scim_type, _)) => Err(ScimError::invalid(
                *scim_type,
                refusals.into_iter().map(|(_, issue)| issue).collect(),
            )),
        }
    }

    /// Applies the operations in order to a copy of `user`. Fails (and
    /// changes nothing) only when a `replace` selects an email entry the
    /// user does not have (400 `noTarget`).
    ///
    /// ```
    /// use enlist_core::scim::{patch::PatchOp, user::Email, ScimUser};
    /// let user = ScimUser { emails: vec![Email::work("old@example.com")], ..ScimUser::new() };
    /// let patch = PatchOp::parse(br#"{"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"new@example.com"},
    ///     {"op":"replace","value":{"name.givenName":"Ada","title":"Countess"}}]}"#)?;
    /// let patched = patch.apply(&user)?;
    /// assert_eq!(patched.user.emails[0].value.as_str(), "new@example.com");
    /// assert_eq!(patched.ignored, ["title"]);
    /// # Ok::<(), enlist_core::scim::ScimError>(())
    /// ```
    pub fn apply(&self, user: &ScimUser) -> Result<Patched, ScimError> {
        let mut user = user.clone();
        let mut ignored = Vec::new();
        let mut missing = Vec::new();
        for step in &self.steps {
            match &step.change {
                Change::Active(active) => user.active = Some(*active),
                Change::UserName(name) => user.user_name = Some(name.clone()),
                Change::GivenName(given) => {
                    user.name.get_or_insert_with(Name::default).given_name = Some(given.clone())
                }
                Change::FamilyName(family) => {
                    user.name.get_or_insert_with(Name::default).family_name = Some(family.clone())
                }
                Change::ExternalId(id) => user.external_id = id.clone(),
                Change::PreferredLanguage(tag) => user.preferred_language = tag.clone(),
                Change::Locale(tag) => user.locale = tag.clone(),
                Change::ReplaceEmails(emails) => user.emails = emails.clone(),
                Change::AddEmails(emails) => {
                    for email in emails {
                        let same_type = user.emails.iter_mut().find(
                            |e| matches!((&e.kind, &email.kind), (Some(a), Some(b)) if eq_ci(a, b)),
                        );
                        match same_type {
                            Some(existing) => *existing = email.clone(),
                            None => user.emails.push(email.clone()),
                        }
                    }
                }
                Change::EmailValue(selector, value, op) => {
                    match user.emails.iter_mut().find(|e| selector.matches(e)) {
                        Some(email) => email.value = value.clone(),
                        None if *op == Op::Add => user.emails.push(match selector {
                            Selector::Type(kind) => Email {
                                value: value.clone(),
                                kind: Some(kind.clone()),
                                primary: None,
                            },
                            Selector::Primary => Email {
                                value: value.clone(),
                                kind: None,
                                primary: Some(true),
                            },
                        }),
                        None => missing.push(Issue::new(
                            step.pointer.clone(),
                            Code::Rejected,
                            "No email of the user matches this path's filter.",
                            Params::new(),
                        )),
                    }
                }
                Change::RemoveEmails(selector) => user.emails.retain(|e| !selector.matches(e)),
                Change::Ignore(name) => {
                    if !ignored.contains(name) {
                        ignored.push(name.clone());
                    }
                }
            }
        }
        if !missing.is_empty() {
            return Err(ScimError::invalid(ScimType::NoTarget, missing));
        }
        Ok(Patched { user, ignored })
    }
}

fn unknown(pointer: String, scim_type: ScimType, message: &str) -> Refusal {
    (
        scim_type,
        Issue::new(pointer, Code::UnknownField, message, Params::new()),
    )
}

/// Resolves one operation into steps, or records why it cannot be.
fn operation_steps(
    operation: &Value,
    pointer: &str,
    steps: &mut Vec<Step>,
    refusals: &mut Vec<Refusal>,
) {
    let Value::Object(members) = operation else {
        refusals.push((
            ScimType::InvalidSyntax,
            type_issue(pointer, "object", operation),
        ));
        return;
    };
    let (mut op, mut path, mut value) = (None, None, None);
    for (key, member) in members {
        let mut at = pointer.to_string();
        push_token(&mut at, key);
        let slot = if eq_ci(key, "op") {
            &mut op
        } else if eq_ci(key, "path") {
            &mut path
        } else if eq_ci(key, "value") {
            &mut value
        } else {
            refusals.push(unknown(
                at,
                ScimType::InvalidSyntax,
                "Not a member of a PATCH operation.",
            ));
            continue;
        };
        if slot.is_some() {
            refusals.push((
                ScimType::InvalidSyntax,
                Issue::new(
                    at,
                    Code::Duplicate,
                    "This member appears more than once (names are case-insensitive).",
                    Params::new(),
                ),
            ));
            continue;
        }
        *slot = Some((member, at));
    }
    let op = match op {
        Some((Value::String(text), _)) if eq_ci(text, "add") => Op::Add,
        Some((Value::String(text), _)) if eq_ci(text, "replace") => Op::Replace,
        Some((Value::String(text), _)) if eq_ci(text, "remove") => Op::Remove,
        found => {
            let mut at = pointer.to_string();
            push_token(&mut at, "op");
            let issue = match found {
                None => Issue::new(
                    at,
                    Code::Required,
                    "Every operation needs an op.",
                    Params::new(),
                ),
                Some((Value::String(_), at)) => Issue::new(
                    at,
                    Code::Enum,
                    "Must be add, replace or remove.",
                    Params::new().with(
                        "allowed",
                        Param::List(Cow::Borrowed(&["add", "replace", "remove"])),
                    ),
                ),
                Some((other, at)) => type_issue(&at, "string", other),
            };
            refusals.push((ScimType::InvalidSyntax, issue));
            return;
        }
    };
    let value_pointer = || {
        let mut at = pointer.to_string();
        push_token(&mut at, "value");
        at
    };
    match (path, op) {
        (Some((Value::String(text), at)), _) => {
            let value = value.map(|(v, _)| v);
            match resolve(text) {
                Ok(target) => change(&target, op, value, &at, &value_pointer(), steps, refusals),
                Err(refusal) => refusals.push((
                    refusal.0,
                    Issue {
                        path: at,
                        ..refusal.1
                    },
                )),
            }
        }
        (Some((other, at)), _) => {
            refusals.push((ScimType::InvalidPath, type_issue(&at, "string", other)));
        }
        (None, Op::Remove) => {
            let mut at = pointer.to_string();
            push_token(&mut at, "path");
            refusals.push((
                ScimType::NoTarget,
                Issue::new(
                    at,
                    Code::Required,
                    "A remove operation needs a path.",
                    Params::new(),
                ),
            ));
        }
        (None, _) => match value {
            Some((Value::Object(members), at)) => {
                path_less(members, op, &at, steps, refusals);
            }
            Some((other, at)) => {
                refusals.push((ScimType::InvalidValue, type_issue(&at, "object", other)));
            }
            None => refusals.push((
                ScimType::InvalidValue,
                Issue::new(
                    value_pointer(),
                    Code::Required,
                    "Without a path, the value must be an object of attributes.",
                    Params::new(),
                ),
            )),
        },
    }
}

/// A path-less `add`/`replace`: each key of `value` is a path.
fn path_less(
    members: &Map<String, Value>,
    op: Op,
    pointer: &str,
    steps: &mut Vec<Step>,
    refusals: &mut Vec<Refusal>,
) {
    for (key, value) in members {
        let mut at = pointer.to_string();
        push_token(&mut at, key);
        match resolve(key) {
            Ok(target) => change(&target, op, Some(value), &at, &at, steps, refusals),
            Err(refusal) => refusals.push((
                refusal.0,
                Issue {
                    path: at,
                    ..refusal.1
                },
            )),
        }
    }
}

/// Adds the steps for `op` on `target` with `value`; `path_at` and
/// `value_at` point at the operation's path and value.
fn change(
    target: &Target,
    op: Op,
    value: Option<&Value>,
    path_at: &str,
    value_at: &str,
    steps: &mut Vec<Step>,
    refusals: &mut Vec<Refusal>,
) {
    let mut push = |change: Change| {
        steps.push(Step {
            change,
            pointer: path_at.to_string(),
        })
    };
    let mutability = |message: &str| {
        (
            ScimType::Mutability,
            Issue::new(path_at, Code::Rejected, message, Params::new()),
        )
    };
    const REQUIRED: &str = "Partoo requires this attribute: it cannot be removed.";
    if let Target::Ignored(name) = target {
        push(Change::Ignore(name.clone()));
        return;
    }
    if *target == Target::ReadOnly {
        refusals.push(mutability("This attribute is read-only."));
        return;
    }
    let value = match (op, value) {
        (Op::Remove, _) | (_, Some(Value::Null)) => None,
        (_, Some(value)) => Some(value),
        (_, None) => {
            refusals.push((
                ScimType::InvalidValue,
                Issue::new(
                    value_at,
                    Code::Required,
                    "An add or replace operation needs a value.",
                    Params::new(),
                ),
            ));
            return;
        }
    };
    let mut reader = Reader::default();
    match (target, value) {
        (
            Target::Active
            | Target::UserName
            | Target::Name
            | Target::GivenName
            | Target::FamilyName,
            None,
        ) => {
            refusals.push(mutability(REQUIRED));
        }
        (Target::Active, Some(value)) => match lenient_bool(value) {
            Some(active) => push(Change::Active(active)),
            None => refusals.push((
                ScimType::InvalidValue,
                type_issue(value_at, "boolean", value),
            )),
        },
        (Target::UserName, Some(value)) => {
            if let Some(text) = reader.text(value, value_at) {
                push(Change::UserName(Redacted::new(text)));
            }
        }
        (Target::GivenName, Some(value)) => {
            if let Some(text) = reader.text(value, value_at) {
                push(Change::GivenName(Redacted::new(text)));
            }
        }
        (Target::FamilyName, Some(value)) => {
            if let Some(text) = reader.text(value, value_at) {
                push(Change::FamilyName(Redacted::new(text)));
            }
        }
        (Target::Name, Some(value)) => {
            if let Some(name) = reader.name(value, value_at) {
                if let Some(given) = name.given_name {
                    push(Change::GivenName(given));
                }
                if let Some(family) = name.family_name {
                    push(Change::FamilyName(family));
                }
            }
        }
        (Target::ExternalId, value) => {
            let id = value.and_then(|v| reader.external_id(v, value_at));
            if value.is_none() || id.is_some() {
                push(Change::ExternalId(id));
            }
        }
        (Target::PreferredLanguage | Target::Locale, value) => {
            let tag = value.and_then(|v| reader.text(v, value_at));
            if value.is_none() || tag.is_some() {
                push(match target {
                    Target::Locale => Change::Locale(tag),
                    _ => Change::PreferredLanguage(tag),
                });
            }
        }
        (Target::Emails, None) => push(Change::ReplaceEmails(Vec::new())),
        (Target::Emails, Some(value)) => {
            let emails = match value {
                Value::Object(_) => reader.email(value, value_at).into_iter().collect(),
                _ => reader.emails(value, value_at),
            };
            push(match op {
                Op::Add => Change::AddEmails(emails),
                _ => Change::ReplaceEmails(emails),
            });
        }
        (Target::Email(selector, _), None) => push(Change::RemoveEmails(selector.clone())),
        (Target::Email(selector, true), Some(value)) => {
            if let Some(text) = reader.text(value, value_at) {
                push(Change::EmailValue(
                    selector.clone(),
                    Redacted::new(text),
                    op,
                ));
            }
        }
        (Target::Email(selector, false), Some(value)) => {
            if let Some(email) = reader.email(value, value_at) {
                push(Change::EmailValue(selector.clone(), email.value, op));
            }
        }
        (Target::ReadOnly | Target::Ignored(_), _) => {}
    }
    for name in reader.ignored {
        push(Change::Ignore(name));
    }
    refusals.extend(
        reader
            .issues
            .into_iter()
            .map(|issue| (ScimType::InvalidValue, issue)),
    );
}

fn invalid_path(message: &str) -> Refusal {
    (
        ScimType::InvalidPath,
        Issue::new("", Code::UnknownField, message, Params::new()),
    )
}

/// Resolves a PATCH path (RFC 7644 §3.5.2 `PATH`), ignoring case.
fn resolve(path: &str) -> Result<Target, Refusal> {
    let path = path.trim();
    let attribute_path = match strip_prefix_ci(path, USER_SCHEMA) {
        Some(rest) => rest.strip_prefix(':').ok_or_else(|| {
            invalid_path("A path with the User schema's URN must name an attribute after it.")
        })?,
        None if strip_prefix_ci(path, ENTERPRISE_USER_SCHEMA).is_some() => {
            return Ok(Target::Ignored(ENTERPRISE_USER_SCHEMA.to_string()))
        }
        None if strip_prefix_ci(path, "urn:").is_some() => {
            // Another extension schema: named by its URN, without the attribute.
            let urn = path.rsplit_once(':').map_or(path, |(urn, _)| urn);
            return Ok(Target::Ignored(urn.chars().take(200).collect()));
        }
        None => path,
    };
    let end = attribute_path
        .find(['[', '.'])
        .unwrap_or(attribute_path.len());
    let (name, rest) = attribute_path.split_at(end);
    let (filter, sub) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let close = bracketed.find(']').ok_or_else(|| {
                invalid_path("A value filter in the path has no closing bracket.")
            })?;
            let after = &bracketed[close + 1..];
            let sub = match after {
                "" => None,
                _ => Some(after.strip_prefix('.').ok_or_else(|| {
                    invalid_path("Only a sub-attribute may follow a value filter.")
                })?),
            };
            (Some(&bracketed[..close]), sub)
        }
        None => (None, rest.strip_prefix('.')),
    };
    let plain = filter.is_none() && sub.is_none();
    let simple = |target: Target| {
        if plain {
            Ok(target)
        } else {
            Err(invalid_path(
                "This attribute has no sub-attributes or values to filter.",
            ))
        }
    };
    if eq_ci(name, "active") {
        return simple(Target::Active);
    }
    if eq_ci(name, "userName") {
        return simple(Target::UserName);
    }
    if eq_ci(name, "externalId") {
        return simple(Target::ExternalId);
    }
    if eq_ci(name, "preferredLanguage") {
        return simple(Target::PreferredLanguage);
    }
    if eq_ci(name, "locale") {
        return simple(Target::Locale);
    }
    if ["id", "meta", "schemas", "groups"]
        .iter()
        .any(|n| eq_ci(name, n))
    {
        return Ok(Target::ReadOnly);
    }
    if eq_ci(name, "name") {
        if filter.is_some() {
            return Err(invalid_path(
                "name is not multi-valued: it cannot be filtered.",
            ));
        }
        return match sub {
            None => Ok(Target::Name),
            Some(s) if eq_ci(s, "givenName") => Ok(Target::GivenName),
            Some(s) if eq_ci(s, "familyName") => Ok(Target::FamilyName),
            Some(s) => match UNMAPPED_NAME.iter().find(|n| eq_ci(s, n)) {
                Some(n) => Ok(Target::Ignored(format!("name.{n}"))),
                None => Err(invalid_path("Not a sub-attribute of name.")),
            },
        };
    }
    if eq_ci(name, "emails") {
        let Some(filter) = filter else {
            return match sub {
                None => Ok(Target::Emails),
                Some(_) => Err(invalid_path(
                    "Select an email with a filter, such as emails[type eq \"work\"].value.",
                )),
            };
        };
        let selector = selector(filter)?;
        return match sub {
            None => Ok(Target::Email(selector, false)),
            Some(s) if eq_ci(s, "value") => Ok(Target::Email(selector, true)),
            Some(s) if ["type", "primary", "display"].iter().any(|n| eq_ci(s, n)) => {
                Ok(Target::Ignored("emails".into()))
            }
            Some(_) => Err(invalid_path("Not a sub-attribute of emails.")),
        };
    }
    match UNMAPPED.iter().find(|n| eq_ci(name, n)) {
        Some(n) => Ok(Target::Ignored((*n).to_string())),
        None => Err(invalid_path("Not an attribute of the SCIM User schema.")),
    }
}

/// An `emails` value filter: `type eq "…"` or `primary eq true`.
fn selector(filter: &str) -> Result<Selector, Refusal> {
    let unsupported = || {
        (
            ScimType::InvalidFilter,
            Issue::new(
                "",
                Code::Rejected,
                "Only type eq \"…\" and primary eq true can select an email.",
                Params::new(),
            ),
        )
    };
    let mut words = filter.split_ascii_whitespace();
    let (Some(attribute), Some(operator)) = (words.next(), words.next()) else {
        return Err(unsupported());
    };
    let value = words.collect::<Vec<_>>().join(" ");
    if !eq_ci(operator, "eq") {
        return Err(unsupported());
    }
    if eq_ci(attribute, "type") {
        let kind: String = serde_json::from_str(&value).map_err(|_| unsupported())?;
        return Ok(Selector::Type(kind));
    }
    if eq_ci(attribute, "primary") && eq_ci(&value, "true") {
        return Ok(Selector::Primary);
    }
    Err(unsupported())
}
