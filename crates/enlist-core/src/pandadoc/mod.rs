//! PandaDoc — `POST /public/v1/users` (header `Authorization: API-Key <key>`).
//!
//! Every rule of PandaDoc's create-user payload is in [`SCHEMA`] below; the tests
//! next to it (`pandadoc/tests.rs`) check each one.
//!
//! Spec facts encoded here:
//! - `user`, `license` and `workspaces` are required; `user.email` is required.
//! - PandaDoc checks the email and phone formats; `phone_number` may be `""`.
//! - `license` and workspace `role` are enums, exact case.
//! - Each workspace needs `workspace_id` and `role`; the same workspace twice is
//!   an error.
//! - PandaDoc requires the email's domain to be the organization's: pass it as
//!   [`Options::allowed_email_domains`](crate::Options) to catch it before sending.
//! - Query flags `notify_user` and `notify_ws_admins` are booleans, sent only when
//!   set.
//!
//! ```
//! use enlist_core::{http::ApiKey, pandadoc::PandaDoc, Options, Provider};
//!
//! let user = PandaDoc::validate_json_with(br#"{
//!   "user": {"email": "new@acme.com", "first_name": "New", "last_name": "User", "phone_number": ""},
//!   "workspaces": [{"workspace_id": "Ab123", "role": "Collaborator"}],
//!   "license": "Guest"
//! }"#, &Options::allowed_domains(["acme.com"]))?;
//! let request = PandaDoc::client(ApiKey::new("key")?).notify_user(true).create_user(&user);
//! assert_eq!(request.url, "https://api.pandadoc.com/public/v1/users?notify_user=true");
//! assert_eq!(request.header("authorization"), Some("API-Key key"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::http::{Header, HttpRequest};
use crate::json::{Kind, Node};
use crate::model::Typed;
use crate::outcome::{self, collect_messages, Created, ErrorBody, Membership, Outcome};
use crate::provider::{ApiEnvironment, Client, Flag, Provider, Redacted, Valid};
use crate::schema::{ArraySchema, ObjectSchema, Type, Unique};

#[cfg(test)]
mod tests;

string_enum! {
    /// A PandaDoc license (exact case).
    pub enum License {
        /// Full
        Full = "Full",
        /// eSign
        ESign = "eSign",
        /// Read-only
        ReadOnly = "Read-only",
        /// Creator
        Creator = "Creator",
        /// Guest
        Guest = "Guest",
    }
}

string_enum! {
    /// A member's role in a workspace (exact case).
    pub enum WorkspaceRole {
        /// Admin
        Admin = "Admin",
        /// Manager
        Manager = "Manager",
        /// Member
        Member = "Member",
        /// Collaborator
        Collaborator = "Collaborator",
    }
}

crate::model! {
    /// The `user` object, and in [`USER`] its rules.
    pub struct Person in USER {
        /// Email address.
        email: Redacted<String> => required(Type::Email).doc(
            "Email",
            "The user's email; PandaDoc requires the organization's domain.",
        ),
        /// First name.
        first_name: Redacted<String> => optional(Type::text_or_empty())
            .doc("First name", "The user's first name."),
        /// Last name.
        last_name: Redacted<String> => optional(Type::text_or_empty())
            .doc("Last name", "The user's last name."),
        /// Phone number (international format or empty).
        phone_number: Redacted<String> => optional(Type::Phone { allow_empty: true }).doc(
            "Phone number",
            "International format (+ and country code), or empty.",
        ),
    }
}

crate::model! {
    /// One workspace membership to create, and in [`WORKSPACE`] its rules.
    pub struct Workspace in WORKSPACE {
        /// The workspace.
        workspace_id: String => required
            .doc("Workspace id", "The workspace to add the user to."),
        /// The role in it.
        role: WorkspaceRole => required.doc("Role", "The user's role in that workspace."),
    }
}

crate::model! {
    /// A PandaDoc create-user payload, and in [`SCHEMA`] every rule of it.
    /// `Debug` redacts personal data.
    pub struct NewUser in SCHEMA {
        /// Who to create.
        user: Person => required.doc("User", "Who to create."),
        /// The license.
        license: License => required.doc("License", "The license to assign."),
        /// Workspace memberships.
        workspaces: Vec<Workspace> => required(Type::Array(&ArraySchema {
            items: Workspace::TYPE,
            min_items: 1,
            unique: Unique::Key("workspace_id"),
        }))
        .doc("Workspaces", "The workspaces to add the user to, each once."),
    }
}

impl NewUser {
    /// A payload for `email` with one workspace membership.
    ///
    /// ```
    /// use enlist_core::pandadoc::{License, NewUser, WorkspaceRole};
    /// let user = NewUser::with_workspace("new@acme.com", License::Guest, "Ab123", WorkspaceRole::Collaborator);
    /// assert_eq!(user.workspaces.len(), 1);
    /// ```
    pub fn with_workspace(
        email: impl Into<Redacted<String>>,
        license: License,
        workspace_id: impl Into<String>,
        role: WorkspaceRole,
    ) -> Self {
        NewUser::new(
            Person::new(email),
            license,
            vec![Workspace::new(workspace_id, role)],
        )
    }

    /// Sets the first and last name.
    pub fn name(mut self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.user.first_name = Some(Redacted::new(first.into()));
        self.user.last_name = Some(Redacted::new(last.into()));
        self
    }

    /// Sets the phone number.
    pub fn phone_number(mut self, phone: impl Into<String>) -> Self {
        self.user.phone_number = Some(Redacted::new(phone.into()));
        self
    }

    /// Adds a workspace membership.
    pub fn workspace(mut self, workspace_id: impl Into<String>, role: WorkspaceRole) -> Self {
        self.workspaces.push(Workspace::new(workspace_id, role));
        self
    }
}

/// The PandaDoc provider.
#[derive(Debug, Clone, Copy)]
pub struct PandaDoc;

/// What a public caller may create (see [`Provider::PUBLIC_POLICY`]): workspace
/// members and collaborators only (no `Admin` or `Manager`); no invite calls
/// (PandaDoc has none anyway). Which workspaces and license are not pinned
/// here: they are the operator's to pin.
pub const PUBLIC_POLICY: &str = r#"{
    "allow": { "/workspaces/*/role": ["Member", "Collaborator"] },
    "invite": false
}"#;

impl Provider for PandaDoc {
    const ID: &'static str = "pandadoc";
    const NAME: &'static str = "PandaDoc";
    const SCHEMA: &'static ObjectSchema = &SCHEMA;
    const ENVIRONMENTS: &'static [ApiEnvironment] = &[ApiEnvironment {
        name: "production",
        base_url: "https://api.pandadoc.com",
    }];
    const PUBLIC_POLICY: Option<&'static str> = Some(PUBLIC_POLICY);
    /// PandaDoc's limits page (developers.pandadoc.com/reference/limits)
    /// lists no figure for creating users; 50 a minute is the lowest it
    /// lists for a production key (10 for any call with a sandbox key).
    const RATE_PER_MINUTE: u32 = 50;
    const EXAMPLE: &'static str = r#"{"user":{"email":"new.user@example.com","first_name":"New","last_name":"User","phone_number":"+14842634627"},"workspaces":[{"workspace_id":"Ab123","role":"Collaborator"}],"license":"Guest"}"#;
    const EXAMPLE_CREATED: (u16, &'static str) = (
        201,
        r#"{"user_id":"Jd8LqmnaVbo2xWqYkb8F3n","workspaces":[{"workspace_id":"Ab123","role":"Collaborator","member_id":"K7mQp2RtVw9Xz4Bc6DfGh8"}]}"#,
    );
    const FLAGS: &'static [Flag] = &[
        Flag {
            option: "notifyUser",
            query: "notify_user",
            description: "Email the user that they were added to the workspaces.",
        },
        Flag {
            option: "notifyWorkspaceAdmins",
            query: "notify_ws_admins",
            description: "Email the workspaces' admins that the user was added.",
        },
    ];

    type User = NewUser;

    fn create_user_request(client: &Client<Self>, user: &Valid<NewUser>) -> HttpRequest {
        // Serializing these plain structs cannot fail.
        let body = serde_json::to_string(user.get()).unwrap_or_default();
        HttpRequest::post(
            format!("{}/public/v1/users{}", client.base_url(), client.query()),
            Self::credential(client),
            Some(body),
        )
    }

    fn credential(client: &Client<Self>) -> Header {
        Header {
            name: "Authorization",
            value: format!("API-Key {}", client.api_key().expose()),
            sensitive: true,
        }
    }

    fn parse_create_user_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
        if (200..300).contains(&status) {
            return created(status, body);
        }
        outcome::classify(Self::ID, status, headers, body, error_body)
    }
}

impl Client<PandaDoc> {
    /// Sets the `notify_user` query flag.
    pub fn notify_user(self, notify: bool) -> Self {
        self.set_flag("notify_user", notify)
    }

    /// Sets the `notify_ws_admins` query flag.
    pub fn notify_workspace_admins(self, notify: bool) -> Self {
        self.set_flag("notify_ws_admins", notify)
    }
}

/// `201 {"user_id": "…", "workspaces": [{workspace_id, role, member_id}]}`.
/// A user id that is not one ([`outcome::is_provider_id`]), or a membership
/// that is not well formed ([`Membership::is_well_formed`]), makes the answer
/// malformed.
fn created(status: u16, body: &[u8]) -> Outcome {
    let parsed = std::str::from_utf8(body)
        .ok()
        .and_then(|text| crate::json::Document::parse(text).ok());
    let result = parsed.as_ref().and_then(|doc| {
        let root = doc.root();
        let id = root.get("user_id")?.as_str()?.into_owned();
        if !outcome::is_provider_id(&id) {
            return None;
        }
        let workspaces = root
            .get("workspaces")
            .map(Membership::read_list)
            .unwrap_or_default();
        if !workspaces.iter().all(Membership::is_well_formed) {
            return None;
        }
        Some(Created {
            provider: PandaDoc::ID,
            status,
            id,
            workspaces,
        })
    });
    match result {
        Some(created) => Outcome::Created(created),
        None => Outcome::Malformed(outcome::Failure {
            provider: PandaDoc::ID,
            status,
            message: format!(
                "PandaDoc answered HTTP {status} without a well-formed user id and workspaces."
            ),
            errors: Vec::new(),
            retry_after: None,
        }),
    }
}

/// Where PandaDoc's flat `detail` field names point in the request body.
fn field_path(field: &str) -> String {
    match field {
        "email" | "first_name" | "last_name" | "phone_number" => format!("/user/{field}"),
        // PandaDoc does not say which workspace; point at the list.
        "workspace_id" | "role" | "workspaces" => "/workspaces".to_string(),
        "license" => "/license".to_string(),
        "user" => "/user".to_string(),
        "non_field_errors" | "detail" => String::new(),
        other => {
            let mut path = String::new();
            crate::report::push_token(&mut path, other);
            path
        }
    }
}

/// `{"type": "request_error", "detail": {field: [messages]} | "text"}`.
fn error_body(root: Node<'_, '_>) -> ErrorBody {
    let mut body = ErrorBody {
        throttled: root.get("type").is_some_and(|t| t.str_eq("throttled")),
        ..ErrorBody::default()
    };
    match root.get("detail") {
        Some(detail) if detail.kind() == Kind::Object => {
            for (key, value) in detail.members() {
                let mut path = field_path(&key.as_str());
                collect_messages(value, &mut path, &mut body.issues);
            }
            body.message = body.issues.first().map(|i| i.message.clone());
        }
        Some(detail) => {
            if let Some(text) = detail.as_str() {
                body.message = Some(outcome::sanitize_message(&text));
            }
        }
        None => {}
    }
    if let Some(info) = root.get("info_message").and_then(|m| m.as_str()) {
        body.message = Some(outcome::sanitize_message(&info));
    }
    body
}
