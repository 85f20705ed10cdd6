//! SCIM User ↔ Partoo user.
//!
//! | SCIM | Partoo |
//! |---|---|
//! | `id` | `id` |
//! | `userName` | `email` |
//! | `name.givenName` | `first_name` |
//! | `name.familyName` | `last_name` |
//! | `active` | `disabled`, inverted |
//! | `preferredLanguage`, else `locale` | `lang`, when the tag maps to one of Partoo's languages |
//! | `emails` | written as one primary `work` entry holding the email; not read (Partoo has one address: `userName`) |
//! | `externalId` | none: kept by the caller (the Worker) |
//!
//! Validation is not done here: a create payload or an update goes through
//! Partoo's rules (and the server's policy) like any other, and
//! [`scim_pointer`] moves the issues found back onto SCIM paths.
//!
//! ```
//! use enlist_core::partoo::Lang;
//! use enlist_core::scim::mapping::lang_from_tag;
//!
//! assert_eq!(lang_from_tag("fr-FR"), Some(Lang::Fr));
//! assert_eq!(lang_from_tag("en_US"), Some(Lang::En));
//! assert_eq!(lang_from_tag("pt-BR"), Some(Lang::PtBr));
//! assert_eq!(lang_from_tag("ja-JP"), None);
//! ```

use super::user::{Email, Meta, Name, ScimUser};
use super::USER_SCHEMA;
use crate::http::encode_path_segment;
use crate::partoo::users::{User as PartooUser, UserUpdate};
use crate::partoo::Lang;
use crate::provider::Redacted;
use serde_json::{Map, Value};

/// The Partoo language an `Accept-Language`-style tag or list stands for:
/// `_` reads as `-`, case is ignored, a region is dropped (`fr-CA` → `fr`)
/// except Brazilian Portuguese (`pt-BR` → `pt-br`), and in a list
/// (`"ja, en-GB;q=0.8"`) the first tag by weight that maps wins. `None` when
/// no tag maps.
///
/// ```
/// use enlist_core::{partoo::Lang, scim::mapping::lang_from_tag};
/// assert_eq!(lang_from_tag("pt_br"), Some(Lang::PtBr));
/// assert_eq!(lang_from_tag("pt-PT"), Some(Lang::Pt));
/// assert_eq!(lang_from_tag("ja, de-CH;q=0.5, en;q=0.8"), Some(Lang::En));
/// assert_eq!(lang_from_tag("klingon"), None);
/// ```
pub fn lang_from_tag(tag: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for entry in tag.split(',') {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(single_tag) else {
            continue;
        };
        let mut weight = 1000;
        for parameter in parts {
            let parameter = parameter.trim();
            if let Some(q) = parameter
                .strip_prefix("q=")
                .or_else(|| parameter.strip_prefix("Q="))
            {
                weight = quality(q).unwrap_or(0);
            }
        }
        if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// One language tag (no list, no weight).
fn single_tag(tag: &str) -> Option<Lang> {
    let tag = tag.trim();
    if tag.is_empty()
        || tag.len() > 64
        || !tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let lower = tag.to_ascii_lowercase().replace('_', "-");
    let mut subtags = lower.split('-');
    let primary = subtags.next()?;
    if primary == "pt" && subtags.any(|s| s == "br") {
        return Some(Lang::PtBr);
    }
    if primary == "pt-br" {
        return None;
    }
    Lang::from_name(primary)
}

/// An HTTP quality value (`0`, `0.8`, `1.000`) in thousandths.
fn quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    for (i, digit) in fraction.bytes().enumerate() {
        let scale = [100, 10, 1][i];
        thousandths += u16::from(digit - b'0') * scale;
    }
    (thousandths <= 1000).then_some(thousandths)
}

/// The tag written for a Partoo language: its code, `pt-BR` for `pt-br`.
///
/// ```
/// use enlist_core::{partoo::Lang, scim::mapping::tag_for_lang};
/// assert_eq!(tag_for_lang(Lang::PtBr), "pt-BR");
/// assert_eq!(tag_for_lang(Lang::De), "de");
/// ```
pub fn tag_for_lang(lang: Lang) -> &'static str {
    match lang {
        Lang::PtBr => "pt-BR",
        other => other.as_str(),
    }
}

/// The Partoo language a User asks for: `preferredLanguage` when it maps,
/// else `locale`.
///
/// ```
/// use enlist_core::{partoo::Lang, scim::{mapping::language, ScimUser}};
/// let user = ScimUser { preferred_language: Some("tlh".into()), locale: Some("de-AT".into()), ..ScimUser::new() };
/// assert_eq!(language(&user), Some(Lang::De));
/// ```
pub fn language(user: &ScimUser) -> Option<Lang> {
    user.preferred_language
        .as_deref()
        .and_then(lang_from_tag)
        .or_else(|| user.locale.as_deref().and_then(lang_from_tag))
}

/// The resource's URL: `{base_url}/Users/{id}`, the id percent-encoded.
///
/// ```
/// use enlist_core::scim::mapping::location;
/// assert_eq!(location("https://x.test/scim/v2/partoo/", "5409c35a97bbc544d8e26737"),
///            "https://x.test/scim/v2/partoo/Users/5409c35a97bbc544d8e26737");
/// ```
pub fn location(base_url: &str, id: &str) -> String {
    format!(
        "{}/Users/{}",
        base_url.trim_end_matches('/'),
        encode_path_segment(id)
    )
}

/// A Partoo user as a SCIM User: `id`, `userName` and one primary work
/// email from the email, `name` from the names, `active` from `disabled`,
/// `preferredLanguage` from `lang`, `externalId` as given, and
/// `meta.location` under `base_url` (the SCIM base, such as
/// `https://enlist.example/scim/v2/partoo`).
///
/// ```
/// use enlist_core::partoo::users::User;
/// use enlist_core::scim::mapping::to_scim;
///
/// let partoo = User { id: "5409c35a97bbc544d8e26737".into(), email: "ada@example.com".into(),
///     first_name: "Ada".into(), last_name: "Lovelace".into(), disabled: true,
///     lang: Some("pt-br".into()), ..User::default() };
/// let json = serde_json::to_value(to_scim(&partoo, Some("00u1"), "https://x.test/scim/v2/partoo"))?;
/// assert_eq!(json, serde_json::json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///     "id": "5409c35a97bbc544d8e26737", "externalId": "00u1",
///     "userName": "ada@example.com",
///     "name": {"givenName": "Ada", "familyName": "Lovelace"},
///     "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
///     "active": false, "preferredLanguage": "pt-BR",
///     "meta": {"resourceType": "User", "location": "https://x.test/scim/v2/partoo/Users/5409c35a97bbc544d8e26737"}
/// }));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn to_scim(user: &PartooUser, external_id: Option<&str>, base_url: &str) -> ScimUser {
    let part = |text: &Redacted<String>| {
        (!text.is_empty()).then(|| Redacted::new(text.as_str().to_string()))
    };
    let name = Name {
        given_name: part(&user.first_name),
        family_name: part(&user.last_name),
    };
    ScimUser {
        schemas: vec![USER_SCHEMA.to_string()],
        id: Some(user.id.clone()),
        external_id: external_id.map(|e| Redacted::new(e.to_string())),
        user_name: Some(Redacted::new(user.email.as_str().to_string())),
        name: (name != Name::default()).then_some(name),
        emails: vec![Email::work(user.email.as_str())],
        active: Some(!user.disabled),
        preferred_language: user.language().map(|l| tag_for_lang(l).to_string()),
        locale: None,
        meta: Some(Meta {
            resource_type: "User".into(),
            location: Some(location(base_url, &user.id)),
        }),
    }
}

/// What a `POST /Users` becomes: Partoo's create payload, as JSON for the
/// server's policy and Partoo's validation, plus what create cannot carry.
/// `Debug` redacts the body and the external id.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePayload {
    /// `{email, first_name, last_name, lang}`, each only when the User has it.
    pub body: Redacted<Value>,
    /// `active: false` was asked: Partoo's create has no `disabled`, so an
    /// update must follow ([`CreatePayload::follow_up`]).
    pub disabled: bool,
    /// The identity provider's id, for the caller to keep.
    pub external_id: Option<Redacted<String>>,
}

impl CreatePayload {
    /// The update to send after the create, if any (`disabled: true` for an
    /// inactive user).
    ///
    /// ```
    /// use enlist_core::scim::{mapping::create_payload, ScimUser};
    /// let inactive = create_payload(&ScimUser { active: Some(false), ..ScimUser::new() });
    /// assert_eq!(inactive.follow_up().and_then(|u| u.disabled), Some(true));
    /// assert!(create_payload(&ScimUser::new()).follow_up().is_none());
    /// ```
    pub fn follow_up(&self) -> Option<UserUpdate> {
        self.disabled.then(|| UserUpdate::new().disabled(true))
    }
}

/// Partoo's create payload for a User. Nothing is checked here: a missing
/// `userName` or name is left out, so Partoo's rules report it as required
/// (at `/email`, `/first_name`, which [`scim_pointer`] turns back into
/// `/userName`, `/name/givenName`).
///
/// ```
/// use enlist_core::scim::{mapping::create_payload, ScimUser};
/// let input = ScimUser::read(br#"{"userName":"ada@example.com","name":{"givenName":"Ada","familyName":"L"},"locale":"fr-FR","active":false,"externalId":"00u1"}"#)?;
/// let payload = create_payload(&input.user);
/// assert_eq!(*payload.body, serde_json::json!({"email":"ada@example.com","first_name":"Ada","last_name":"L","lang":"fr"}));
/// assert!(payload.disabled);
/// assert_eq!(payload.external_id.as_deref().map(String::as_str), Some("00u1"));
/// # Ok::<(), enlist_core::scim::ScimError>(())
/// ```
pub fn create_payload(user: &ScimUser) -> CreatePayload {
    let mut body = Map::new();
    let mut put = |key: &str, value: Option<&Redacted<String>>| {
        if let Some(value) = value {
            body.insert(key.into(), Value::String(value.as_str().to_string()));
        }
    };
    put("email", user.user_name.as_ref());
    let name = user.name.as_ref();
    put("first_name", name.and_then(|n| n.given_name.as_ref()));
    put("last_name", name.and_then(|n| n.family_name.as_ref()));
    if let Some(lang) = language(user) {
        body.insert("lang".into(), Value::String(lang.as_str().into()));
    }
    CreatePayload {
        body: Redacted::new(Value::Object(body)),
        disabled: user.active == Some(false),
        external_id: user.external_id.clone(),
    }
}

/// What changed between two versions of a User, in Partoo's terms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// The Partoo fields to update (only those that changed).
    pub update: UserUpdate,
    /// `Some(new)` when `externalId` changed (`Some(None)`: removed).
    pub external_id: Option<Option<Redacted<String>>>,
}

/// The Partoo update that turns `before` into `after`: `userName` → email,
/// names, `active` → `disabled`, and the language when the changed
/// `preferredLanguage` (or else `locale`) maps to a Partoo language other
/// than the current one. An attribute `after` lacks changes nothing in
/// Partoo (Partoo cannot clear these fields); `externalId` is reported
/// apart. For a `PATCH`, `after` is [`PatchOp::apply`](super::PatchOp::apply)'s
/// result; for a `PUT`, `before.overlay(&body)`.
///
/// ```
/// use enlist_core::scim::{mapping::changes, ScimUser};
/// let before = ScimUser { active: Some(true), preferred_language: Some("fr".into()), ..ScimUser::new() };
/// let after = ScimUser { active: Some(false), preferred_language: Some("fr-CA".into()), ..ScimUser::new() };
/// let changed = changes(&before, &after);
/// assert_eq!(serde_json::to_string(&changed.update)?, r#"{"disabled":true}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn changes(before: &ScimUser, after: &ScimUser) -> Changes {
    let mut update = UserUpdate::new();
    if after.user_name != before.user_name {
        update.email = after.user_name.clone();
    }
    let given = |u: &ScimUser| u.name.as_ref().and_then(|n| n.given_name.clone());
    let family = |u: &ScimUser| u.name.as_ref().and_then(|n| n.family_name.clone());
    if given(after) != given(before) {
        update.first_name = given(after);
    }
    if family(after) != family(before) {
        update.last_name = family(after);
    }
    if after.active != before.active {
        update.disabled = after.active.map(|active| !active);
    }
    let preferred = (after.preferred_language != before.preferred_language)
        .then(|| after.preferred_language.as_deref().and_then(lang_from_tag))
        .flatten();
    let locale = (after.locale != before.locale)
        .then(|| after.locale.as_deref().and_then(lang_from_tag))
        .flatten();
    update.lang = preferred
        .or(locale)
        .filter(|lang| Some(*lang) != language(before));
    Changes {
        update,
        external_id: (after.external_id != before.external_id).then(|| after.external_id.clone()),
    }
}

/// A JSON Pointer into Partoo's payload moved onto the SCIM User
/// (`/email` → `/userName`, `/first_name` → `/name/givenName`,
/// `/last_name` → `/name/familyName`, `/lang` → `/preferredLanguage`,
/// `/disabled` → `/active`); other paths (fields a policy sets) are kept.
///
/// ```
/// use enlist_core::scim::mapping::scim_pointer;
/// assert_eq!(scim_pointer("/first_name"), "/name/givenName");
/// assert_eq!(scim_pointer("/role"), "/role");
/// ```
pub fn scim_pointer(partoo_pointer: &str) -> String {
    match partoo_pointer {
        "/email" => "/userName",
        "/first_name" => "/name/givenName",
        "/last_name" => "/name/familyName",
        "/lang" => "/preferredLanguage",
        "/disabled" => "/active",
        other => other,
    }
    .to_string()
}
