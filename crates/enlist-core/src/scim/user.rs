//! The SCIM User resource as enlist supports it: `schemas`, `id`,
//! `externalId`, `userName`, `name.givenName`/`familyName`, `emails`,
//! `active`, `preferredLanguage`, `locale` and `meta`.
//!
//! Reading follows RFC 7643: attribute names are case-insensitive
//! (`USERNAME` is `userName`), read-only attributes (`id`, `meta`, `groups`)
//! are ignored on input, and so are the User schema's attributes Partoo has
//! no field for (`displayName`, `title`, `phoneNumbers`, …) and extension
//! schemas such as the enterprise User: they are listed in
//! [`Input::ignored`]. A name that is no attribute of the User schema, a
//! value of the wrong type or a key given twice is an error, and every such
//! problem is reported at once (400 `invalidSyntax` or `invalidValue`).
//! Booleans may be JSON booleans or the strings `"true"`/`"false"` in any
//! case (Entra sends `"True"`).
//!
//! Output uses the RFC's canonical names. `Debug` redacts `userName`,
//! `externalId`, names and emails.
//!
//! ```
//! use enlist_core::scim::user::ScimUser;
//!
//! let input = ScimUser::read(br#"{
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "USERNAME": "ada@example.com",
//!     "name": {"GivenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
//!     "Active": "True", "displayName": "Ada"
//! }"#)?;
//! assert_eq!(input.user.user_name.as_deref().map(String::as_str), Some("ada@example.com"));
//! assert_eq!(input.user.active, Some(true));
//! assert_eq!(input.ignored, ["displayName", "name.formatted"]);
//! assert!(!format!("{:?}", input.user).contains("ada@"));
//! # Ok::<(), enlist_core::scim::ScimError>(())
//! ```

use super::{eq_ci, strip_prefix_ci, ScimError, ScimType, MAX_EXTERNAL_ID, USER_SCHEMA};
use crate::provider::Redacted;
use crate::report::{push_token, Code, Issue, Param, Params};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// A SCIM User resource.
///
/// ```
/// use enlist_core::scim::user::{Name, ScimUser};
/// let user = ScimUser {
///     user_name: Some("ada@example.com".into()),
///     name: Some(Name { given_name: Some("Ada".into()), family_name: None }),
///     active: Some(false),
///     ..ScimUser::new()
/// };
/// assert_eq!(serde_json::to_string(&user)?, r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","name":{"givenName":"Ada"},"active":false}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    /// Schema URNs (`[USER_SCHEMA]` on output).
    pub schemas: Vec<String>,
    /// The service provider's id (Partoo's user id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The identity provider's id for the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<Redacted<String>>,
    /// The unique sign-in name: the Partoo email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<Redacted<String>>,
    /// The name's parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Email addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<Email>,
    /// Whether the user may sign in (Partoo's `disabled`, inverted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Preferred language, as an HTTP `Accept-Language` tag (`fr-FR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Locale (`en-US`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Resource metadata (output only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The `name` complex attribute (the parts Partoo has).
///
/// ```
/// use enlist_core::scim::user::Name;
/// let name = Name { given_name: Some("Ada".into()), family_name: Some("Lovelace".into()) };
/// assert_eq!(serde_json::to_string(&name)?, r#"{"givenName":"Ada","familyName":"Lovelace"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<Redacted<String>>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<Redacted<String>>,
}

/// One entry of `emails`.
///
/// ```
/// use enlist_core::scim::user::Email;
/// let email = Email::work("ada@example.com");
/// assert_eq!(serde_json::to_string(&email)?, r#"{"value":"ada@example.com","type":"work","primary":true}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Email {
    /// The address.
    pub value: Redacted<String>,
    /// `work`, `home`, `other`, …
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the primary address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

impl Email {
    /// The primary work address.
    pub fn work(value: impl Into<String>) -> Self {
        Email {
            value: Redacted::new(value.into()),
            kind: Some("work".into()),
            primary: Some(true),
        }
    }
}

/// The `meta` complex attribute.
///
/// ```
/// use enlist_core::scim::user::Meta;
/// let meta = Meta { resource_type: "User".into(), location: Some("https://x.test/Users/1".into()) };
/// assert_eq!(serde_json::to_string(&meta)?, r#"{"resourceType":"User","location":"https://x.test/Users/1"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `User`.
    pub resource_type: String,
    /// The resource's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A User read from a request body, with the attributes that were accepted
/// but have no Partoo field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Input {
    /// The resource.
    pub user: ScimUser,
    /// Canonical names of the attributes read and ignored (`displayName`,
    /// `name.formatted`, an extension schema's URN, …), in the order of the
    /// body's keys sorted by their bytes.
    pub ignored: Vec<String>,
}

impl ScimUser {
    /// An empty User with `schemas` set to the core User schema.
    ///
    /// ```
    /// assert_eq!(enlist_core::scim::ScimUser::new().schemas, [enlist_core::scim::USER_SCHEMA]);
    /// ```
    pub fn new() -> Self {
        ScimUser {
            schemas: vec![USER_SCHEMA.to_string()],
            ..ScimUser::default()
        }
    }

    /// Reads a `POST /Users` or `PUT /Users/{id}` body. A body that is not
    /// JSON or not an object is 400 `invalidSyntax`; unknown attributes and
    /// wrong types are 400 `invalidSyntax` / `invalidValue` listing every
    /// problem.
    ///
    /// ```
    /// use enlist_core::scim::{ScimType, ScimUser};
    /// let error = ScimUser::read(br#"{"userName": 5, "nickname": "Ada", "favouriteColour": "green"}"#).unwrap_err();
    /// assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax));
    /// let paths: Vec<_> = error.issues.iter().map(|i| i.path.as_str()).collect();
    /// assert_eq!(paths, ["/favouriteColour", "/userName"]);
    /// ```
    pub fn read(json: &[u8]) -> Result<Input, ScimError> {
        let value: Value = serde_json::from_slice(json).map_err(|_| {
            ScimError::bad_request(ScimType::InvalidSyntax, "The body is not JSON.")
        })?;
        ScimUser::read_value(&value)
    }

    /// Reads a User from a parsed JSON value (see [`ScimUser::read`]).
    ///
    /// ```
    /// use enlist_core::scim::ScimUser;
    /// let input = ScimUser::read_value(&serde_json::json!({"externalId": "00u1", "locale": "en-US"}))?;
    /// assert_eq!(input.user.locale.as_deref(), Some("en-US"));
    /// # Ok::<(), enlist_core::scim::ScimError>(())
    /// ```
    pub fn read_value(value: &Value) -> Result<Input, ScimError> {
        let Value::Object(members) = value else {
            return Err(ScimError::bad_request(
                ScimType::InvalidSyntax,
                "The body must be a JSON object (a SCIM User).",
            ));
        };
        let mut reader = Reader::default();
        let mut user = ScimUser::new();
        let mut seen: Vec<Attribute> = Vec::new();
        for (key, value) in members {
            let mut path = String::new();
            push_token(&mut path, key);
            let Some(attribute) = Attribute::lookup(key) else {
                if strip_prefix_ci(key, "urn:").is_some() {
                    reader.ignored.push(key.clone());
                } else {
                    reader.issue(
                        path,
                        Code::UnknownField,
                        "Not an attribute of the SCIM User schema.",
                        Params::new(),
                    );
                }
                continue;
            };
            if seen.contains(&attribute) {
                reader.issue(
                    path,
                    Code::Duplicate,
                    "This attribute appears more than once (names are case-insensitive).",
                    Params::new(),
                );
                continue;
            }
            seen.push(attribute);
            match attribute {
                Attribute::Schemas => reader.schemas(value, &path),
                Attribute::ExternalId => user.external_id = reader.external_id(value, &path),
                Attribute::UserName => {
                    user.user_name = reader.text(value, &path).map(Redacted::new)
                }
                Attribute::Name => user.name = reader.name(value, &path),
                Attribute::Emails => user.emails = reader.emails(value, &path),
                Attribute::Active => user.active = reader.boolean(value, &path),
                Attribute::PreferredLanguage => user.preferred_language = reader.text(value, &path),
                Attribute::Locale => user.locale = reader.text(value, &path),
                // Read-only: ignored on input (RFC 7643 §2.2).
                Attribute::Id | Attribute::Meta | Attribute::Groups => {}
                Attribute::Unmapped(name) => reader.ignored.push(name.to_string()),
            }
        }
        if reader.issues.is_empty() {
            return Ok(Input {
                user,
                ignored: reader.ignored,
            });
        }
        let syntax = reader
            .issues
            .iter()
            .any(|i| matches!(i.code, Code::UnknownField | Code::Duplicate));
        let scim_type = if syntax {
            ScimType::InvalidSyntax
        } else {
            ScimType::InvalidValue
        };
        Err(ScimError::invalid(scim_type, reader.issues))
    }

    /// This resource with the attributes `body` asserts put in place of its
    /// own: what `PUT` does, where an omitted attribute is not asserted and
    /// keeps its value (RFC 7644 §3.5.1 allows either reading).
    ///
    /// ```
    /// use enlist_core::scim::ScimUser;
    /// let current = ScimUser { active: Some(true), locale: Some("fr-FR".into()), ..ScimUser::new() };
    /// let body = ScimUser { active: Some(false), ..ScimUser::new() };
    /// let replaced = current.overlay(&body);
    /// assert_eq!((replaced.active, replaced.locale.as_deref()), (Some(false), Some("fr-FR")));
    /// ```
    pub fn overlay(&self, body: &ScimUser) -> ScimUser {
        let name = match (&self.name, &body.name) {
            (current, None) => current.clone(),
            (None, Some(new)) => Some(new.clone()),
            (Some(current), Some(new)) => Some(Name {
                given_name: new
                    .given_name
                    .clone()
                    .or_else(|| current.given_name.clone()),
                family_name: new
                    .family_name
                    .clone()
                    .or_else(|| current.family_name.clone()),
            }),
        };
        ScimUser {
            schemas: self.schemas.clone(),
            id: self.id.clone(),
            external_id: body
                .external_id
                .clone()
                .or_else(|| self.external_id.clone()),
            user_name: body.user_name.clone().or_else(|| self.user_name.clone()),
            name,
            emails: if body.emails.is_empty() {
                self.emails.clone()
            } else {
                body.emails.clone()
            },
            active: body.active.or(self.active),
            preferred_language: body
                .preferred_language
                .clone()
                .or_else(|| self.preferred_language.clone()),
            locale: body.locale.clone().or_else(|| self.locale.clone()),
            meta: self.meta.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for ScimUser {
    /// Reads as [`ScimUser::read_value`] does, ignoring what it ignores; the
    /// error is the [`ScimError`]'s text.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        ScimUser::read_value(&value)
            .map(|input| input.user)
            .map_err(serde::de::Error::custom)
    }
}

/// A top-level attribute of the User schema, or one of its common
/// attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attribute {
    Schemas,
    Id,
    ExternalId,
    UserName,
    Name,
    Emails,
    Active,
    PreferredLanguage,
    Locale,
    Meta,
    Groups,
    /// An attribute of the User schema Partoo has no field for.
    Unmapped(&'static str),
}

/// The User schema's attributes enlist reads and ignores.
pub(super) const UNMAPPED: &[&str] = &[
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "timezone",
    "password",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// The `name` sub-attributes enlist reads and ignores.
pub(super) const UNMAPPED_NAME: &[&str] = &[
    "formatted",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];

impl Attribute {
    /// The attribute called `name`, compared ignoring case.
    pub(super) fn lookup(name: &str) -> Option<Attribute> {
        const MAPPED: &[(&str, Attribute)] = &[
            ("schemas", Attribute::Schemas),
            ("id", Attribute::Id),
            ("externalId", Attribute::ExternalId),
            ("userName", Attribute::UserName),
            ("name", Attribute::Name),
            ("emails", Attribute::Emails),
            ("active", Attribute::Active),
            ("preferredLanguage", Attribute::PreferredLanguage),
            ("locale", Attribute::Locale),
            ("meta", Attribute::Meta),
            ("groups", Attribute::Groups),
        ];
        MAPPED
            .iter()
            .find(|(n, _)| eq_ci(name, n))
            .map(|(_, a)| *a)
            .or_else(|| {
                UNMAPPED
                    .iter()
                    .find(|n| eq_ci(name, n))
                    .map(|n| Attribute::Unmapped(n))
            })
    }
}

/// The JSON type name of a value, as the validator names them.
pub(super) fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A boolean, or the strings `"true"`/`"false"` in any case.
pub(super) fn lenient_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if eq_ci(s, "true") => Some(true),
        Value::String(s) if eq_ci(s, "false") => Some(false),
        _ => None,
    }
}

/// A `type` issue that names the expected and found JSON types.
pub(super) fn type_issue(path: &str, expected: &'static str, value: &Value) -> Issue {
    let found = kind_name(value);
    Issue::new(
        path,
        Code::Type,
        format!("Must be {expected}, not {found}."),
        Params::new()
            .with("expected", Param::Str(Cow::Borrowed(expected)))
            .with("found", Param::Str(Cow::Borrowed(found))),
    )
}

/// Collects problems and ignored attributes while reading.
#[derive(Default)]
pub(super) struct Reader {
    pub(super) issues: Vec<Issue>,
    pub(super) ignored: Vec<String>,
}

impl Reader {
    pub(super) fn issue(&mut self, path: String, code: Code, message: &str, params: Params) {
        self.issues.push(Issue::new(path, code, message, params));
    }

    fn schemas(&mut self, value: &Value, path: &str) {
        match value {
            Value::Null => {}
            Value::Array(list) if list.iter().all(Value::is_string) => {
                if !list
                    .iter()
                    .any(|s| s.as_str().is_some_and(|s| eq_ci(s, USER_SCHEMA)))
                {
                    self.issue(
                        path.to_string(),
                        Code::Enum,
                        "Must list the core User schema.",
                        Params::new().with("allowed", Param::List(Cow::Borrowed(&[USER_SCHEMA]))),
                    );
                }
            }
            other => self
                .issues
                .push(type_issue(path, "array of strings", other)),
        }
    }

    /// A string, `null` (→ `None`) or a type issue. Blank text is an issue.
    pub(super) fn text(&mut self, value: &Value, path: &str) -> Option<String> {
        match value {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => {
                self.issue(
                    path.to_string(),
                    Code::Empty,
                    "Must not be empty.",
                    Params::new(),
                );
                None
            }
            Value::String(s) => Some(s.clone()),
            other => {
                self.issues.push(type_issue(path, "string", other));
                None
            }
        }
    }

    pub(super) fn external_id(&mut self, value: &Value, path: &str) -> Option<Redacted<String>> {
        let id = self.text(value, path)?;
        if id.chars().count() > MAX_EXTERNAL_ID {
            self.issue(
                path.to_string(),
                Code::MaxLength,
                "Must be at most 512 characters long.",
                Params::new().with("max", Param::Int(MAX_EXTERNAL_ID as i64)),
            );
            return None;
        }
        Some(Redacted::new(id))
    }

    pub(super) fn boolean(&mut self, value: &Value, path: &str) -> Option<bool> {
        if value.is_null() {
            return None;
        }
        let b = lenient_bool(value);
        if b.is_none() {
            self.issues.push(type_issue(path, "boolean", value));
        }
        b
    }

    /// The `name` object.
    pub(super) fn name(&mut self, value: &Value, path: &str) -> Option<Name> {
        let members = match value {
            Value::Null => return None,
            Value::Object(members) => members,
            other => {
                self.issues.push(type_issue(path, "object", other));
                return None;
            }
        };
        let mut name = Name::default();
        let (mut given, mut family) = (false, false);
        for (key, value) in members {
            let mut at = path.to_string();
            push_token(&mut at, key);
            if eq_ci(key, "givenName") && !given {
                given = true;
                name.given_name = self.text(value, &at).map(Redacted::new);
            } else if eq_ci(key, "familyName") && !family {
                family = true;
                name.family_name = self.text(value, &at).map(Redacted::new);
            } else if eq_ci(key, "givenName") || eq_ci(key, "familyName") {
                self.issue(
                    at,
                    Code::Duplicate,
                    "This attribute appears more than once (names are case-insensitive).",
                    Params::new(),
                );
            } else if let Some(unmapped) = UNMAPPED_NAME.iter().find(|n| eq_ci(key, n)) {
                self.ignored.push(format!("name.{unmapped}"));
            } else {
                self.issue(
                    at,
                    Code::UnknownField,
                    "Not a sub-attribute of name.",
                    Params::new(),
                );
            }
        }
        Some(name)
    }

    /// The `emails` list.
    pub(super) fn emails(&mut self, value: &Value, path: &str) -> Vec<Email> {
        let list = match value {
            Value::Null => return Vec::new(),
            Value::Array(list) => list,
            other => {
                self.issues.push(type_issue(path, "array", other));
                return Vec::new();
            }
        };
        let mut emails = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let mut at = path.to_string();
            push_token(&mut at, &i.to_string());
            if let Some(email) = self.email(entry, &at) {
                emails.push(email);
            }
        }
        emails
    }

    /// One `emails` entry: `value` required, `type`, `primary`; `display`
    /// ignored.
    pub(super) fn email(&mut self, entry: &Value, path: &str) -> Option<Email> {
        let Value::Object(members) = entry else {
            self.issues.push(type_issue(path, "object", entry));
            return None;
        };
        let mut email = Email::default();
        let mut found_value = false;
        for (key, value) in members {
            let mut at = path.to_string();
            push_token(&mut at, key);
            if eq_ci(key, "value") {
                if let Some(text) = self.text(value, &at) {
                    email.value = Redacted::new(text);
                    found_value = true;
                }
            } else if eq_ci(key, "type") {
                email.kind = self.text(value, &at);
            } else if eq_ci(key, "primary") {
                email.primary = self.boolean(value, &at);
            } else if !eq_ci(key, "display") {
                self.issue(
                    at,
                    Code::UnknownField,
                    "Not a sub-attribute of emails.",
                    Params::new(),
                );
            }
        }
        if !found_value && !members.keys().any(|k| eq_ci(k, "value")) {
            let mut at = path.to_string();
            push_token(&mut at, "value");
            self.issue(at, Code::Required, "An email needs a value.", Params::new());
        }
        found_value.then_some(email)
    }
}
