//! What a provider module declares: the [`Provider`] trait (its id, schema,
//! environments, flags, budget, example, request builders and response
//! parsers), and the data it uses ([`ApiEnvironment`], [`Flag`]).

use super::{Client, Valid};
use crate::bulk::{self, BulkReport};
use crate::http::{ApiKey, Header, HttpRequest, RequestError};
use crate::json::{Document, Node};
use crate::outcome::Outcome;
use crate::report::{Code, Issue, Params, Report};
use crate::schema::ObjectSchema;
use crate::validate::{self, Options};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A named base URL a provider offers.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ApiEnvironment {
    /// Its name (`"production"`, `"sandbox"`).
    pub name: &'static str,
    /// Its base URL; operation paths are appended to it.
    pub base_url: &'static str,
}

/// A boolean option that becomes a query parameter of the create-user call.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Flag {
    /// The option's name in JavaScript APIs (camelCase).
    #[serde(rename = "option")]
    pub option: &'static str,
    /// The query parameter the provider reads.
    pub query: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// The query string for flag values given by query name: `?a=true&b=false`,
/// in the order `declared` lists the flags; names not declared are left out;
/// `""` when none is set.
///
/// ```
/// use enlist_core::provider::{flag_query, Flag};
/// const FLAGS: &[Flag] = &[
///     Flag { option: "a", query: "a_q", description: "" },
///     Flag { option: "b", query: "b_q", description: "" },
/// ];
/// assert_eq!(flag_query(FLAGS, &[("b_q", false), ("a_q", true)]), "?a_q=true&b_q=false");
/// assert_eq!(flag_query(FLAGS, &[]), "");
/// ```
pub fn flag_query(declared: &[Flag], set: &[(&str, bool)]) -> String {
    let mut query = String::new();
    for flag in declared {
        if let Some((_, value)) = set.iter().find(|(q, _)| *q == flag.query) {
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str(flag.query);
            query.push('=');
            query.push_str(if *value { "true" } else { "false" });
        }
    }
    query
}

/// One provider's create-user API. Implement this (and add one line to
/// [`REGISTRY`](crate::REGISTRY)) to add a provider.
pub trait Provider: Sized + 'static {
    /// Stable lowercase identifier used in URLs and APIs (`"partoo"`).
    const ID: &'static str;
    /// Display name (`"Partoo"`).
    const NAME: &'static str;
    /// Every rule of the create-user payload.
    const SCHEMA: &'static ObjectSchema;
    /// Where the API lives; the first is the default.
    const ENVIRONMENTS: &'static [ApiEnvironment];
    /// Boolean options sent as query parameters.
    const FLAGS: &'static [Flag] = &[];
    /// Whether the provider has a separate invite call.
    const INVITE: bool = false;
    /// What public callers may do when the operator's policy says nothing
    /// more: a policy entry in the format of [`crate::policy`] (JSON), kept
    /// next to the rules it restricts. `None`: no built-in restriction, so a
    /// proxy in public mode refuses this provider until an operator entry
    /// exists (fail closed).
    const PUBLIC_POLICY: Option<&'static str> = None;
    /// The create-user calls a minute the provider allows, as it documents
    /// them: the pace of import jobs unless the operator sets another.
    const RATE_PER_MINUTE: u32;
    /// Whether the enlist Worker serves a SCIM 2.0 service for this provider
    /// (`/scim/v2/{id}`): the provider's user API can read, search, update
    /// and delete users, and a SCIM mapping exists for it.
    const SCIM: bool = false;
    /// A valid create-user payload (JSON), for documents, seeds and tests
    /// that need one; every provider's is checked to validate clean.
    const EXAMPLE: &'static str;
    /// An answer of the provider's API to a create-user call that created
    /// the user, as `(status, body)`: what the test suites' mock upstream
    /// sends for every provider it has no hand-written model of, and a seed
    /// for the answer fuzzers; every provider's is checked to parse as
    /// [`Outcome::Created`].
    const EXAMPLE_CREATED: (u16, &'static str);

    /// The typed create-user payload.
    type User: Serialize + DeserializeOwned + fmt::Debug;

    /// The create-user request for a validated user.
    fn create_user_request(client: &Client<Self>, user: &Valid<Self::User>) -> HttpRequest;

    /// The header that carries the client's API key (marked sensitive); every
    /// request the provider builds has it.
    fn credential(client: &Client<Self>) -> Header;

    /// The invite request for a user id, when [`Provider::INVITE`] is true.
    fn invite_request(client: &Client<Self>, user_id: &str) -> Result<HttpRequest, RequestError> {
        let _ = (client, user_id);
        Err(RequestError::Unsupported("invitations"))
    }

    /// Reads the answer to a create-user call.
    fn parse_create_user_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome;

    /// Reads the answer to an invite call.
    fn parse_invite_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
        Self::parse_create_user_response(status, headers, body)
    }

    /// Every problem with a JSON payload (default options).
    fn check_json(json: &[u8]) -> Report {
        Self::check_json_with(json, &Options::default())
    }

    /// Every problem with a JSON payload.
    fn check_json_with(json: &[u8], options: &Options) -> Report {
        validate::check_json(Self::SCHEMA, json, options)
    }

    /// Validates a JSON payload into the typed model (default options).
    fn validate_json(json: &[u8]) -> Result<Valid<Self::User>, Report> {
        Self::validate_json_with(json, &Options::default())
    }

    /// Validates a JSON payload into the typed model.
    fn validate_json_with(json: &[u8], options: &Options) -> Result<Valid<Self::User>, Report> {
        let doc = Document::parse_bytes(json).map_err(|e| validate::syntax_report(&e))?;
        validate_node::<Self>(doc.root(), options)
    }

    /// Validates an untyped `serde_json::Value`.
    fn validate_value(
        value: &serde_json::Value,
        options: &Options,
    ) -> Result<Valid<Self::User>, Report> {
        let json = serde_json::to_vec(value).map_err(|e| internal(&e.to_string()))?;
        Self::validate_json_with(&json, options)
    }

    /// Validates a typed value built in Rust (for example with a builder).
    fn validate(user: &Self::User, options: &Options) -> Result<Valid<Self::User>, Report> {
        let json = serde_json::to_vec(user).map_err(|e| internal(&e.to_string()))?;
        Self::validate_json_with(&json, options)
    }

    /// Validates a JSON array of payloads, one report per invalid row.
    fn check_many(json: &[u8], options: &Options) -> BulkReport {
        bulk::check_many(Self::SCHEMA, json, options)
    }

    /// A request builder holding the API key.
    fn client(api_key: ApiKey) -> Client<Self> {
        Client::new(api_key)
    }
}

/// A report for a value the model could not read (a bug, reported as data).
pub(crate) fn internal(detail: &str) -> Report {
    Report {
        errors: vec![Issue::new(
            "",
            Code::Type,
            format!("The value could not be read as this provider's payload: {detail}."),
            Params::new(),
        )],
        ..Report::default()
    }
}

/// Validates a parsed value into the typed model.
pub(crate) fn validate_node<P: Provider>(
    node: Node<'_, '_>,
    options: &Options,
) -> Result<Valid<P::User>, Report> {
    let report = validate::check_node(P::SCHEMA, node, options);
    if !report.is_ok() {
        return Err(report);
    }
    match P::User::deserialize(node) {
        Ok(value) => Ok(Valid {
            value,
            warnings: report.warnings,
        }),
        // The schema and the model disagree: a bug in enlist, reported as data.
        Err(e) => Err(internal(&e.to_string())),
    }
}
