//! SCIM 2.0 (RFC 7643, RFC 7644) for Partoo, without I/O: what the Worker's
//! `/scim/v2/partoo` routes need to let Okta and Microsoft Entra ID
//! provision, update and deactivate Partoo users.
//!
//! - [`user`]: the User resource enlist supports, read with case-insensitive
//!   attribute names and every problem reported at once;
//! - [`mapping`]: SCIM User ↔ Partoo (create payload, update payload,
//!   Partoo user → resource, languages);
//! - [`filter`]: `userName eq "…"` and `externalId eq "…"`;
//! - [`patch`]: `PatchOp` in the shapes identity providers send, applied to
//!   a resource;
//! - [`list`]: `startIndex`/`count` ↔ Partoo pages, and the `ListResponse`;
//! - [`error`]: the SCIM error body, with enlist's issues attached;
//! - [`documents`]: `ServiceProviderConfig`, `ResourceTypes`, `Schemas`.
//!
//! A `PATCH` end to end, with the Partoo user the Worker read:
//!
//! ```
//! use enlist_core::partoo::{users::User, Partoo};
//! use enlist_core::scim::{mapping, patch::PatchOp};
//!
//! let current = Partoo::parse_user_response(200, &[], br#"{"id":"5409c35a97bbc544d8e26737",
//!     "email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","disabled":false}"#)
//!     .map_err(|o| o.kind())?;
//! let before = mapping::to_scim(&current, None, "https://enlist.example/scim/v2/partoo");
//!
//! // Entra: Title-case op, the boolean as a string.
//! let patch = PatchOp::parse(br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations":[{"op":"Replace","path":"active","value":"False"}]}"#)?;
//! let after = patch.apply(&before)?.user;
//! let changes = mapping::changes(&before, &after);
//! assert_eq!(serde_json::to_string(&changes.update)?, r#"{"disabled":true}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod documents;
pub mod error;
pub mod filter;
pub mod list;
pub mod mapping;
pub mod patch;
pub mod user;

#[cfg(test)]
mod tests;

pub use error::{ScimError, ScimType};
pub use filter::Filter;
pub use list::{ListRequest, ListResponse};
pub use patch::PatchOp;
pub use user::ScimUser;

/// The media type of every SCIM request and answer body.
pub const CONTENT_TYPE: &str = "application/scim+json";
/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension (read and ignored: Partoo has none of its
/// attributes).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The `ListResponse` message.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The `PatchOp` message.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The `Error` message.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// enlist's extension of the `Error` message: `{"issues": [{path, code,
/// message, params}]}`, every problem of a validation failure.
pub const ISSUES_SCHEMA: &str = "urn:enlist:params:scim:api:messages:2.0:Issues";
/// The `ServiceProviderConfig` schema.
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// The `ResourceType` schema.
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// The `Schema` schema.
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// Most resources in one `ListResponse` (Partoo's largest page).
pub const MAX_RESULTS: u32 = crate::partoo::users::MAX_PER_PAGE;
/// Longest `externalId` kept, in characters.
pub const MAX_EXTERNAL_ID: usize = 512;

/// `text` equals `name` ignoring ASCII case (SCIM attribute names, schema
/// URNs and operators are case-insensitive).
fn eq_ci(text: &str, name: &str) -> bool {
    text.eq_ignore_ascii_case(name)
}

/// `text` without a leading `prefix` compared ignoring ASCII case.
fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}
