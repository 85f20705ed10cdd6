//! Partoo — `POST /v2/user` (header `x-APIKey`), and the invite call
//! `POST /v2/user/{user_id}/invite`.
//!
//! Every rule of Partoo's create-user payload is in [`SCHEMA`] below; the tests
//! next to it (`partoo/tests.rs`) check each one.
//!
//! Spec facts encoded here:
//! - `email`, `first_name`, `last_name` are required.
//! - `role` is one of five values; `PROVIDER` users cannot be created.
//! - `lang` is one of 17 codes, exact case (`pt-br`).
//! - `password`: at least 8 characters with an uppercase letter, a lowercase
//!   letter and a special character; ignored when `send_invitation` is true.
//! - `accesses` (arrays of group ids) only count for `GROUP_MANAGER`;
//!   `business_ids` only for `BUSINESS_MANAGER`.
//! - `sidebar_pages` is deprecated (custom roles replace it) and may be `null`.
//! - `send_invitation` and `sso_only` default to false; `status` is
//!   `active` or `invited`.
//!
//! ```
//! use enlist_core::{http::ApiKey, partoo::{Lang, NewUser, Partoo, Role}, Options, Provider};
//!
//! let user = NewUser::new("ada@example.com", "Ada", "Lovelace")
//!     .role(Role::OrgManager)
//!     .lang(Lang::En)
//!     .send_invitation(true);
//! let valid = Partoo::validate(&user, &Options::default())?;
//! let request = Partoo::client(ApiKey::new("key")?).create_user(&valid);
//! assert_eq!(request.header("x-APIKey"), Some("key"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::http::{encode_path_segment, Header, HttpRequest, RequestError};
use crate::json::Kind;
use crate::model::Typed;
use crate::outcome::{self, collect_messages, Created, ErrorBody, Invited, Outcome};
use crate::provider::{Client, Provider, Redacted, Valid};
use crate::schema::{
    ArraySchema, Condition, Literal, ObjectSchema, PasswordPolicy, Relevance, Type, Unique,
};

#[cfg(test)]
mod tests;
pub mod users;

string_enum! {
    /// A Partoo user role that can be created through the API.
    pub enum Role {
        /// Administrator of the whole organization.
        OrgAdmin = "ORG_ADMIN",
        /// Manager of the whole organization.
        OrgManager = "ORG_MANAGER",
        /// Manager of groups of businesses (see `accesses`).
        GroupManager = "GROUP_MANAGER",
        /// Manager of listed businesses (see `business_ids`).
        BusinessManager = "BUSINESS_MANAGER",
        /// Read access for publishers.
        Publisher = "PUBLISHER",
    }
}

string_enum! {
    /// A language of the Partoo application (exact case).
    pub enum Lang {
        /// French
        Fr = "fr",
        /// English
        En = "en",
        /// Spanish
        Es = "es",
        /// Italian
        It = "it",
        /// Brazilian Portuguese
        PtBr = "pt-br",
        /// German
        De = "de",
        /// Arabic
        Ar = "ar",
        /// Dutch
        Nl = "nl",
        /// Polish
        Pl = "pl",
        /// Czech
        Cs = "cs",
        /// Catalan
        Ca = "ca",
        /// Slovak
        Sk = "sk",
        /// Portuguese
        Pt = "pt",
        /// Latvian
        Lv = "lv",
        /// Romanian
        Ro = "ro",
        /// Bulgarian
        Bg = "bg",
        /// Hungarian
        Hu = "hu",
    }
}

string_enum! {
    /// A sidebar feature (deprecated in favour of custom roles).
    pub enum SidebarPage {
        /// Bulk modification
        BulkModification = "bulk_modification",
        /// Diffusion
        Diffusion = "diffusion",
        /// Feedback management
        FeedbackManagement = "feedback_management",
        /// Messages
        Messages = "messages",
        /// Posts
        Posts = "posts",
        /// Presence analytics
        PresenceAnalytics = "presence_analytics",
        /// Review analytics
        ReviewAnalytics = "review_analytics",
        /// Review invite
        ReviewInvite = "review_invite",
        /// Review management
        ReviewManagement = "review_management",
    }
}

string_enum! {
    /// A user's status.
    pub enum Status {
        /// Can log in.
        Active = "active",
        /// Invited, not yet active.
        Invited = "invited",
    }
}

/// Partoo's password rules (the length cap is enlist's).
pub static PASSWORD_POLICY: PasswordPolicy = PasswordPolicy {
    min_length: 8,
    max_length: 128,
    uppercase: true,
    lowercase: true,
    special: true,
};

const ROLE_IS_GROUP_MANAGER: Condition = Condition {
    field: "role",
    equals: Literal::Str("GROUP_MANAGER"),
};
const ROLE_IS_BUSINESS_MANAGER: Condition = Condition {
    field: "role",
    equals: Literal::Str("BUSINESS_MANAGER"),
};
const INVITATION_SENT: Condition = Condition {
    field: "send_invitation",
    equals: Literal::Bool(true),
};

crate::model! {
    /// A Partoo create-user payload, and in [`SCHEMA`] every rule of it. Build
    /// one with [`NewUser::new`] and the setters, or let
    /// [`Partoo::validate_json`](crate::Provider::validate_json) read one.
    /// `Debug` redacts the email, names and password.
    pub struct NewUser in SCHEMA {
        /// Email address.
        email: Redacted<String> => required(Type::Email)
            .doc("Email", "The user's email address; must not belong to another Partoo user."),
        /// First name.
        first_name: Redacted<String> => required.doc("First name", "The user's first name."),
        /// Last name.
        last_name: Redacted<String> => required.doc("Last name", "The user's last name."),
        /// Role.
        role: Role => optional.doc(
            "Role",
            "The user's role. PROVIDER users cannot be created through the API.",
        ),
        /// Custom role api_id.
        custom_role: String => optional.doc(
            "Custom role",
            "The api_id of one of the organization's custom roles.",
        ),
        /// Business ids (BUSINESS_MANAGER only).
        business_ids: Vec<String> => optional(Type::Array(&ArraySchema {
            items: Type::text(),
            min_items: 0,
            unique: Unique::Values,
        }))
        .doc("Business ids", "Businesses the user can access.")
        .relevance(Relevance::OnlyWhen(ROLE_IS_BUSINESS_MANAGER)),
        /// Group accesses (GROUP_MANAGER only).
        accesses: Vec<Vec<i64>> => optional
            .doc(
                "Group accesses",
                "Lists of group ids the user can access, in the groups system.",
            )
            .relevance(Relevance::OnlyWhen(ROLE_IS_GROUP_MANAGER)),
        /// Organization id (PROVIDER keys only).
        org_id: i64 => optional.doc(
            "Organization id",
            "The organization to create the user in; only PROVIDER keys may set it.",
        ),
        /// Interface language.
        lang: Lang => optional.doc("Language", "The language of the user's interface."),
        /// Status.
        status: Status => optional.doc(
            "Status",
            "active, or invited to send the invitation later with the invite call.",
        ),
        /// Send the invitation email now.
        send_invitation: bool => optional
            .doc("Send invitation", "Email an invitation to the user now.")
            .default_value(Literal::Bool(false)),
        /// Password.
        password: Redacted<String> => optional(Type::Password(&PASSWORD_POLICY))
            .doc(
                "Password",
                "Generated by Partoo when absent; ignored when an invitation is sent.",
            )
            .relevance(Relevance::IgnoredWhen(INVITATION_SENT)),
        /// SSO-only sign-in.
        sso_only: bool => optional
            .doc(
                "SSO only",
                "The user may only sign in through the organization's SSO.",
            )
            .default_value(Literal::Bool(false)),
        /// Deprecated sidebar pages.
        sidebar_pages: Vec<SidebarPage> => nullable(Type::Array(&ArraySchema {
            items: SidebarPage::TYPE,
            min_items: 0,
            unique: Unique::Values,
        }))
        .deprecated()
        .doc(
            "Sidebar pages",
            "Deprecated: use custom roles. Features shown in the sidebar; null or absent gives all.",
        ),
    }
}

/// Partoo's named environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// `https://api.partoo.co/v2`
    Production,
    /// `https://api.sandbox.partoo.co/v2`
    Sandbox,
}

impl AsRef<str> for Environment {
    fn as_ref(&self) -> &str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
        }
    }
}

/// What a public caller may create (see [`Provider::PUBLIC_POLICY`]): a
/// business manager (the role is set when absent; no `ORG_ADMIN`,
/// `ORG_MANAGER`, `GROUP_MANAGER` or `PUBLISHER`), without picking the
/// organization (`org_id`), a custom role (which may carry any permission),
/// businesses (`business_ids`) or groups (`accesses`); no invite calls.
pub const PUBLIC_POLICY: &str = r#"{
    "allow": { "/role": ["BUSINESS_MANAGER"] },
    "default": { "/role": "BUSINESS_MANAGER" },
    "forbid": ["/org_id", "/custom_role", "/business_ids", "/accesses"],
    "invite": false
}"#;

/// The Partoo provider.
#[derive(Debug, Clone, Copy)]
pub struct Partoo;

impl Provider for Partoo {
    const ID: &'static str = "partoo";
    const NAME: &'static str = "Partoo";
    const SCHEMA: &'static ObjectSchema = &SCHEMA;
    const ENVIRONMENTS: &'static [crate::provider::ApiEnvironment] = &[
        crate::provider::ApiEnvironment {
            name: "production",
            base_url: "https://api.partoo.co/v2",
        },
        crate::provider::ApiEnvironment {
            name: "sandbox",
            base_url: "https://api.sandbox.partoo.co/v2",
        },
    ];
    const INVITE: bool = true;
    const PUBLIC_POLICY: Option<&'static str> = Some(PUBLIC_POLICY);
    /// 300 requests a minute per organisation (Partoo's API reference).
    const RATE_PER_MINUTE: u32 = 300;
    const EXAMPLE: &'static str = r#"{"email":"perceval@example.com","first_name":"Perceval","last_name":"de Galles","role":"BUSINESS_MANAGER","business_ids":["5309c3a237bbc544d8e26737"],"lang":"fr"}"#;
    const EXAMPLE_CREATED: (u16, &'static str) = (
        200,
        r#"{"id":"5409c35a97bbc544d8e26737","status":"success"}"#,
    );
    /// `enlist_core::scim` maps SCIM 2.0 onto Partoo's user API.
    const SCIM: bool = true;

    type User = NewUser;

    fn create_user_request(client: &Client<Self>, user: &Valid<NewUser>) -> HttpRequest {
        // Serializing these plain structs cannot fail.
        let body = serde_json::to_string(user.get()).unwrap_or_default();
        HttpRequest::post(
            format!("{}/user", client.base_url()),
            Self::credential(client),
            Some(body),
        )
    }

    fn invite_request(client: &Client<Self>, user_id: &str) -> Result<HttpRequest, RequestError> {
        if user_id.is_empty()
            || user_id.chars().count() > 256
            || user_id.chars().any(char::is_control)
        {
            return Err(RequestError::InvalidUserId);
        }
        Ok(HttpRequest::post(
            format!(
                "{}/user/{}/invite",
                client.base_url(),
                encode_path_segment(user_id)
            ),
            Self::credential(client),
            None,
        ))
    }

    fn credential(client: &Client<Self>) -> Header {
        Header {
            name: "x-APIKey",
            value: client.api_key().expose().to_string(),
            sensitive: true,
        }
    }

    fn parse_create_user_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
        if (200..300).contains(&status) {
            return created(status, body);
        }
        outcome::classify(Self::ID, status, headers, body, error_body)
    }

    fn parse_invite_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
        if (200..300).contains(&status) {
            return Outcome::Invited(Invited {
                provider: Self::ID,
                status,
            });
        }
        outcome::classify(Self::ID, status, headers, body, error_body)
    }
}

/// `200 {"id": "…", "status": "success"}`. An id that is not one
/// ([`outcome::is_provider_id`]) is no id: the answer is malformed.
fn created(status: u16, body: &[u8]) -> Outcome {
    let id = std::str::from_utf8(body)
        .ok()
        .and_then(|text| crate::json::Document::parse(text).ok())
        .and_then(|doc| {
            let id = doc.root().get("id")?;
            match id.kind() {
                Kind::String => id.as_str().map(|s| s.into_owned()),
                Kind::Number => id.number_text().map(str::to_string),
                _ => None,
            }
        })
        .filter(|id| outcome::is_provider_id(id));
    match id {
        Some(id) => Outcome::Created(Created {
            provider: Partoo::ID,
            status,
            id,
            workspaces: Vec::new(),
        }),
        None => Outcome::Malformed(outcome::Failure {
            provider: Partoo::ID,
            status,
            message: format!("Partoo answered HTTP {status} without a well-formed user id."),
            errors: Vec::new(),
            retry_after: None,
        }),
    }
}

/// `{"errors": {"json": {field: [messages]}, "authentication": "…", …}}`.
fn error_body(root: crate::json::Node<'_, '_>) -> ErrorBody {
    let mut body = ErrorBody::default();
    let Some(errors) = root.get("errors") else {
        if let Some(m) = root.get("message").and_then(|m| m.as_str()) {
            body.message = Some(outcome::sanitize_message(&m));
        }
        return body;
    };
    if let Some(json) = errors.get("json") {
        let mut path = String::new();
        collect_messages(json, &mut path, &mut body.issues);
    }
    for (key, value) in errors.members() {
        if key.str_eq("json") {
            continue;
        }
        if let Some(text) = value.as_str() {
            body.message
                .get_or_insert_with(|| outcome::sanitize_message(&text));
        }
    }
    if body.message.is_none() {
        body.message = body.issues.first().map(|i| i.message.clone());
    }
    body
}
