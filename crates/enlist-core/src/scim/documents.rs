//! The discovery documents (RFC 7644 §4): `ServiceProviderConfig`,
//! `ResourceTypes` and `Schemas`, saying what enlist's SCIM service does:
//! Users only (no groups), no bulk, no sort, no ETags, no password change,
//! PATCH yes, filters `userName eq` and `externalId eq` only, at most
//! [`MAX_RESULTS`] results a page. `base_url` is the
//! service's base (`https://enlist.example/scim/v2/partoo`), for
//! `meta.location`.
//!
//! ```
//! use enlist_core::scim::documents::service_provider_config;
//!
//! let config = service_provider_config("https://x.test/scim/v2/partoo");
//! assert_eq!(config["patch"]["supported"], true);
//! assert_eq!(config["bulk"]["supported"], false);
//! assert_eq!(config["filter"]["maxResults"], 100);
//! ```

use super::{
    list::ListResponse, MAX_RESULTS, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA,
    SERVICE_PROVIDER_CONFIG_SCHEMA, USER_SCHEMA,
};
use serde_json::{json, Value};

/// Where the SCIM set-up is documented.
pub const DOCUMENTATION_URI: &str =
    concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/scim.md");

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// `GET /ServiceProviderConfig`.
///
/// ```
/// use enlist_core::scim::documents::service_provider_config;
/// let config = service_provider_config("https://x.test/scim/v2/partoo/");
/// for feature in ["bulk", "sort", "etag", "changePassword"] {
///     assert_eq!(config[feature]["supported"], false, "{feature}");
/// }
/// assert_eq!(config["authenticationSchemes"][0]["type"], "oauthbearertoken");
/// assert_eq!(config["meta"]["location"], "https://x.test/scim/v2/partoo/ServiceProviderConfig");
/// ```
pub fn service_provider_config(base_url: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "documentationUri": DOCUMENTATION_URI,
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "One of the server's SCIM tokens (the SCIM_TOKENS secret) in the Authorization header: Bearer <token>.",
            "documentationUri": DOCUMENTATION_URI,
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(base_url))
        }
    })
}

/// The User resource type (`GET /ResourceTypes/User`).
///
/// ```
/// let user = enlist_core::scim::documents::user_resource_type("https://x.test/scim/v2/partoo");
/// assert_eq!(user["endpoint"], "/Users");
/// assert_eq!(user["schema"], enlist_core::scim::USER_SCHEMA);
/// ```
pub fn user_resource_type(base_url: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A Partoo user.",
        "schema": USER_SCHEMA,
        "schemaExtensions": [],
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/User", base(base_url))
        }
    })
}

/// `GET /ResourceTypes`: a `ListResponse` with the User type only.
///
/// ```
/// let types = enlist_core::scim::documents::resource_types("https://x.test/scim/v2/partoo");
/// assert_eq!(types["totalResults"], 1);
/// assert_eq!(types["Resources"][0]["id"], "User");
/// ```
pub fn resource_types(base_url: &str) -> Value {
    let list = ListResponse::new(vec![user_resource_type(base_url)], 1, 1);
    serde_json::to_value(list).unwrap_or(Value::Null)
}

/// One attribute definition (RFC 7643 §7).
fn attribute(name: &str, kind: &str, description: &str, required: bool, uniqueness: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": required,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": uniqueness
    })
}

/// The User schema with the attributes enlist supports
/// (`GET /Schemas/urn:ietf:params:scim:schemas:core:2.0:User`).
///
/// ```
/// let schema = enlist_core::scim::documents::user_schema("https://x.test/scim/v2/partoo");
/// let names: Vec<_> = schema["attributes"].as_array().into_iter().flatten()
///     .filter_map(|a| a["name"].as_str()).collect();
/// assert_eq!(names, ["userName", "name", "emails", "active", "preferredLanguage", "locale"]);
/// ```
pub fn user_schema(base_url: &str) -> Value {
    let mut name = attribute(
        "name",
        "complex",
        "The user's name; Partoo requires both parts.",
        true,
        "none",
    );
    name["subAttributes"] = json!([
        attribute(
            "givenName",
            "string",
            "First name (Partoo first_name).",
            true,
            "none"
        ),
        attribute(
            "familyName",
            "string",
            "Last name (Partoo last_name).",
            true,
            "none"
        ),
    ]);
    let mut emails = attribute(
        "emails",
        "complex",
        "Email addresses. Returned as one primary work address, the userName; not read, since Partoo has one address.",
        false,
        "none",
    );
    emails["multiValued"] = json!(true);
    let mut kind = attribute("type", "string", "work, home or other.", false, "none");
    kind["canonicalValues"] = json!(["work", "home", "other"]);
    emails["subAttributes"] = json!([
        attribute("value", "string", "The address.", false, "none"),
        kind,
        attribute("primary", "boolean", "The primary address.", false, "none"),
    ]);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A Partoo user, as enlist maps it.",
        "attributes": [
            attribute(
                "userName",
                "string",
                "The Partoo email address, unique; compared case-insensitively.",
                true,
                "server",
            ),
            name,
            emails,
            attribute(
                "active",
                "boolean",
                "false disables the Partoo user (Partoo disabled: true).",
                false,
                "none",
            ),
            attribute(
                "preferredLanguage",
                "string",
                "Partoo's interface language when the tag maps to one (fr-FR → fr, pt-BR → pt-br).",
                false,
                "none",
            ),
            attribute(
                "locale",
                "string",
                "Used for the language when preferredLanguage is absent or does not map.",
                false,
                "none",
            ),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{USER_SCHEMA}", base(base_url))
        }
    })
}

/// `GET /Schemas`: a `ListResponse` with the User schema only.
///
/// ```
/// let schemas = enlist_core::scim::documents::schemas("https://x.test/scim/v2/partoo");
/// assert_eq!(schemas["Resources"][0]["id"], enlist_core::scim::USER_SCHEMA);
/// ```
pub fn schemas(base_url: &str) -> Value {
    let list = ListResponse::new(vec![user_schema(base_url)], 1, 1);
    serde_json::to_value(list).unwrap_or(Value::Null)
}
