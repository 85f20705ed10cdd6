//! TinyCRM — a made-up provider that exists to prove a provider costs one
//! module: `POST /v1/members` (header `X-Api-Token`), four fields, one enum,
//! one nested list, one query flag. It is registered only with the core's
//! `test-providers` feature, which release builds never enable; the generic
//! suites (core, npm package, Worker, OpenAPI, mock upstream, fuzz seeds, the
//! form) run over it in `cargo xtask test`.
//!
//! Rules:
//! - `email` and `name` are required; `plan` is `free`, `pro` or `team`
//!   (default `free`);
//! - `teams` lists `{team_id, role}` memberships, each team once; `role` is
//!   `member` or `lead`.
//!
//! Answers: `201 {"id": "m_…"}`; `409` when the email is taken; `422
//! {"errors": [{"field", "message"}]}` for field errors; `401`, `403`, `429`
//! as usual.
//!
//! ```
//! use enlist_core::tinycrm::{Plan, NewMember, TinyCrm};
//! use enlist_core::{http::ApiKey, Options, Provider};
//!
//! let member = NewMember::new("ada@example.com", "Ada").plan(Plan::Pro);
//! let valid = TinyCrm::validate(&member, &Options::default())?;
//! let request = TinyCrm::client(ApiKey::new("key")?).send_welcome(true).create_user(&valid);
//! assert_eq!(request.url, "https://api.tinycrm.example/v1/members?send_welcome=true");
//! assert_eq!(request.header("x-api-token"), Some("key"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::http::{Header, HttpRequest};
use crate::json::{Kind, Node};
use crate::model::Typed;
use crate::outcome::{self, Created, ErrorBody, Outcome};
use crate::provider::{ApiEnvironment, Client, Flag, Provider, Redacted, Valid};
use crate::report::{push_token, Issue, Params};
use crate::schema::{ArraySchema, Literal, Type, Unique};

#[cfg(test)]
mod tests;

string_enum! {
    /// A TinyCRM plan.
    pub enum Plan {
        /// Free.
        Free = "free",
        /// Pro.
        Pro = "pro",
        /// Team.
        Team = "team",
    }
}

string_enum! {
    /// A member's role in a team.
    pub enum TeamRole {
        /// Member.
        Member = "member",
        /// Lead.
        Lead = "lead",
    }
}

crate::model! {
    /// One team membership, and in [`TEAM`] its rules.
    pub struct Team in TEAM {
        /// The team.
        team_id: String => required.doc("Team id", "The team to add the member to."),
        /// The role in it.
        role: TeamRole => required.doc("Role", "The member's role in that team."),
    }
}

crate::model! {
    /// A TinyCRM member to create, and in [`SCHEMA`] every rule of it.
    pub struct NewMember in SCHEMA {
        /// Email address.
        email: Redacted<String> => required(Type::Email).doc("Email", "The member's email address."),
        /// Display name.
        name: Redacted<String> => required.doc("Name", "The member's display name."),
        /// Plan.
        plan: Plan => optional
            .doc("Plan", "The member's plan.")
            .default_value(Literal::Str("free")),
        /// Team memberships.
        teams: Vec<Team> => optional(Type::Array(&ArraySchema {
            items: Team::TYPE,
            min_items: 0,
            unique: Unique::Key("team_id"),
        }))
        .doc("Teams", "Teams to add the member to, each once."),
    }
}

/// What a public caller may create: free members, in no team chosen by the
/// caller.
pub const PUBLIC_POLICY: &str = r#"{
    "allow": { "/plan": ["free"] },
    "forbid": ["/teams"],
    "invite": false
}"#;

/// The TinyCRM provider.
#[derive(Debug, Clone, Copy)]
pub struct TinyCrm;

impl Provider for TinyCrm {
    const ID: &'static str = "tinycrm";
    const NAME: &'static str = "TinyCRM";
    const SCHEMA: &'static crate::schema::ObjectSchema = &SCHEMA;
    const ENVIRONMENTS: &'static [ApiEnvironment] = &[ApiEnvironment {
        name: "production",
        base_url: "https://api.tinycrm.example",
    }];
    const FLAGS: &'static [Flag] = &[Flag {
        option: "sendWelcome",
        query: "send_welcome",
        description: "Email the new member a welcome message.",
    }];
    const PUBLIC_POLICY: Option<&'static str> = Some(PUBLIC_POLICY);
    const RATE_PER_MINUTE: u32 = 120;
    const EXAMPLE: &'static str = r#"{"email":"grace@example.com","name":"Grace Hopper","plan":"team","teams":[{"team_id":"t1","role":"lead"}]}"#;
    const EXAMPLE_CREATED: (u16, &'static str) = (201, r#"{"id":"m_42"}"#);

    type User = NewMember;

    fn create_user_request(client: &Client<Self>, user: &Valid<NewMember>) -> HttpRequest {
        // Serializing these plain structs cannot fail.
        let body = serde_json::to_string(user.get()).unwrap_or_default();
        HttpRequest::post(
            format!("{}/v1/members{}", client.base_url(), client.query()),
            Self::credential(client),
            Some(body),
        )
    }

    fn credential(client: &Client<Self>) -> Header {
        Header {
            name: "X-Api-Token",
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
}

impl Client<TinyCrm> {
    /// Sets the `send_welcome` query flag.
    pub fn send_welcome(self, send: bool) -> Self {
        self.set_flag("send_welcome", send)
    }
}

/// `201 {"id": "…"}`; an id that is not one is a malformed answer.
fn created(status: u16, body: &[u8]) -> Outcome {
    let id = crate::json::Document::parse_bytes(body)
        .ok()
        .and_then(|doc| {
            let id = doc.root().get("id")?;
            (id.kind() == Kind::String)
                .then(|| id.as_str().map(|s| s.into_owned()))
                .flatten()
        });
    match id.filter(|id| outcome::is_provider_id(id)) {
        Some(id) => Outcome::Created(Created {
            provider: TinyCrm::ID,
            status,
            id,
            workspaces: Vec::new(),
        }),
        None => Outcome::Malformed(outcome::Failure {
            provider: TinyCrm::ID,
            status,
            message: format!("TinyCRM answered HTTP {status} without a well-formed member id."),
            errors: Vec::new(),
            retry_after: None,
        }),
    }
}

/// `{"errors": [{"field": "teams.0.role", "message": "…"}]}`, or
/// `{"error": "…"}`.
fn error_body(root: Node<'_, '_>) -> ErrorBody {
    let mut body = ErrorBody::default();
    if let Some(errors) = root.get("errors").filter(|e| e.kind() == Kind::Array) {
        for e in errors.elements().filter(|e| e.kind() == Kind::Object) {
            let field = e.get("field").and_then(|f| f.as_str()).unwrap_or_default();
            let message = e
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or_default();
            let mut path = String::new();
            for token in field.split('.').filter(|t| !t.is_empty()) {
                push_token(&mut path, token);
            }
            body.issues.push(Issue::new(
                path,
                outcome::code_for_message(&message),
                outcome::sanitize_message(&message),
                Params::new(),
            ));
        }
    }
    if let Some(text) = root.get("error").and_then(|m| m.as_str()) {
        body.message = Some(outcome::sanitize_message(&text));
    }
    if body.message.is_none() {
        body.message = body.issues.first().map(|i| i.message.clone());
    }
    body
}
