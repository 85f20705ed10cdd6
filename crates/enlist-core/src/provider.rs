//! The [`Provider`] trait, the typed [`Client`], the proof type [`Valid`], and the
//! registry that lets the wasm layer and the Worker serve every provider by name.
//!
//! Adding a provider means: one module implementing [`Provider`], its tests, and
//! one line in the registry list (which declares both [`REGISTRY`] and
//! [`RULES`]). Nothing else names providers.
//!
//! ```
//! use enlist_core::{provider, validate::Options};
//!
//! let partoo = provider("partoo").ok_or("not registered")?;
//! let report = partoo.check_json(br#"{"email":"ada@example.com"}"#, &Options::default());
//! assert_eq!(report.errors.len(), 2); // first_name and last_name are required
//! # Ok::<(), &str>(())
//! ```

use crate::bulk::{self, BulkReport};
use crate::http::{ApiKey, BaseUrl, Header, HttpRequest, RequestError};
use crate::json::{Document, Node};
use crate::outcome::Outcome;
use crate::report::{Code, Issue, Params, Report};
use crate::schema::{ObjectSchema, Type};
use crate::validate::{self, Options};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

/// A value that passed validation. Only the validators create one, and only a
/// `Valid` value can become a request.
///
/// ```
/// use enlist_core::{partoo::Partoo, Provider};
/// let user = Partoo::validate_json(br#"{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"}"#)?;
/// assert_eq!(user.last_name.as_str(), "Lovelace");
/// # Ok::<(), enlist_core::Report>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Valid<T> {
    value: T,
    warnings: Vec<Issue>,
}

impl<T> Valid<T> {
    /// The validated value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The warnings validation produced (deprecated or ignored fields).
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }

    /// Gives up the proof and returns the value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Personal or secret data (emails, names, phone numbers, passwords). Serializes
/// as the plain value; `Debug` prints `<redacted>`.
///
/// ```
/// use enlist_core::Redacted;
/// let email = Redacted::new("ada@example.com".to_string());
/// assert_eq!(format!("{email:?}"), "<redacted>");
/// assert_eq!(email.as_str(), "ada@example.com");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Redacted(value)
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl Redacted<String> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<T> Deref for Redacted<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Redacted<String> {
    fn from(s: &str) -> Self {
        Redacted(s.to_string())
    }
}

impl From<String> for Redacted<String> {
    fn from(s: String) -> Self {
        Redacted(s)
    }
}

/// A named base URL a provider offers.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Environment {
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
/// [`REGISTRY`]) to add a provider.
pub trait Provider: Sized + 'static {
    /// Stable lowercase identifier used in URLs and APIs (`"partoo"`).
    const ID: &'static str;
    /// Display name (`"Partoo"`).
    const NAME: &'static str;
    /// Every rule of the create-user payload.
    const SCHEMA: &'static ObjectSchema;
    /// Where the API lives; the first is the default.
    const ENVIRONMENTS: &'static [Environment];
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

fn internal(detail: &str) -> Report {
    Report {
        errors: vec![Issue::new(
            "",
            Code::Type,
            format!("The value could not be read as this provider's payload: {detail}."),
            Params::new(),
        )],
        warnings: Vec::new(),
    }
}

fn validate_node<P: Provider>(
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

/// Builds requests for one provider: holds the API key, the base URL and the
/// query flags. No I/O.
///
/// ```
/// use enlist_core::{http::ApiKey, pandadoc::PandaDoc, Provider};
/// let client = PandaDoc::client(ApiKey::new("k")?).notify_user(true);
/// assert_eq!(client.base_url(), "https://api.pandadoc.com");
/// # Ok::<(), enlist_core::http::RequestError>(())
/// ```
pub struct Client<P: Provider> {
    api_key: ApiKey,
    base_url: String,
    flags: Vec<(&'static str, bool)>,
    provider: PhantomData<fn() -> P>,
}

impl<P: Provider> Clone for Client<P> {
    fn clone(&self) -> Self {
        Client {
            api_key: self.api_key.clone(),
            base_url: self.base_url.clone(),
            flags: self.flags.clone(),
            provider: PhantomData,
        }
    }
}

impl<P: Provider> fmt::Debug for Client<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("provider", &P::ID)
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("flags", &self.flags)
            .finish()
    }
}

impl<P: Provider> Client<P> {
    /// A client for the provider's default environment.
    pub fn new(api_key: ApiKey) -> Self {
        Client {
            api_key,
            base_url: P::ENVIRONMENTS
                .first()
                .map_or_else(String::new, |e| e.base_url.to_string()),
            flags: Vec::new(),
            provider: PhantomData,
        }
    }

    /// Uses a named environment (`"production"`, `"sandbox"`).
    pub fn environment(mut self, name: impl AsRef<str>) -> Result<Self, RequestError> {
        let env = P::ENVIRONMENTS
            .iter()
            .find(|e| e.name == name.as_ref())
            .ok_or(RequestError::UnknownEnvironment {
                allowed: environment_names::<P>(),
            })?;
        self.base_url = env.base_url.to_string();
        Ok(self)
    }

    /// Uses a custom base URL (a mock, a proxy); it replaces the environment's.
    pub fn base_url_override(mut self, url: &str) -> Result<Self, RequestError> {
        self.base_url = BaseUrl::new(url)?.as_str().to_string();
        Ok(self)
    }

    /// Sets a boolean query option by its option or query name.
    pub fn flag(mut self, name: &str, value: bool) -> Result<Self, RequestError> {
        let flag = P::FLAGS
            .iter()
            .find(|f| f.option == name || f.query == name)
            .ok_or_else(|| RequestError::UnknownOption {
                name: name.chars().take(64).collect(),
            })?;
        self.flags.retain(|(q, _)| *q != flag.query);
        self.flags.push((flag.query, value));
        Ok(self)
    }

    /// Sets a flag by its query name, for the provider's own typed setters.
    pub(crate) fn set_flag(mut self, query: &'static str, value: bool) -> Self {
        self.flags.retain(|(q, _)| *q != query);
        self.flags.push((query, value));
        self
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The key (crate-internal: only request builders read it).
    pub(crate) fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// `?a=true&b=false` for the flags set, in the provider's declared order; `""`
    /// when none is set (see [`flag_query`]).
    pub(crate) fn query(&self) -> String {
        flag_query(P::FLAGS, &self.flags)
    }

    /// The create-user request for a validated user.
    pub fn create_user(&self, user: &Valid<P::User>) -> HttpRequest {
        P::create_user_request(self, user)
    }

    /// The invite request for a user id (providers with an invite call).
    pub fn invite(&self, user_id: &str) -> Result<HttpRequest, RequestError> {
        P::invite_request(self, user_id)
    }
}

fn environment_names<P: Provider>() -> Vec<&'static str> {
    P::ENVIRONMENTS.iter().map(|e| e.name).collect()
}

// ---- dynamic access for the wasm layer and the Worker ------------------------

/// Where and how to send a request, for [`AnyProvider`]. Deserializes from the
/// JavaScript options object `{ apiKey, environment?, baseUrl?, notifyUser?, … }`.
/// `Debug` redacts the key.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The provider API key.
    pub api_key: String,
    /// A named environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// A custom base URL (wins over `environment`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Boolean query options by option name (`notifyUser`) or query name.
    #[serde(flatten)]
    pub flags: std::collections::BTreeMap<String, serde_json::Value>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("api_key", &"<redacted>")
            .field("environment", &self.environment)
            .field("base_url", &self.base_url)
            .field("flags", &self.flags)
            .finish()
    }
}

/// Why [`AnyProvider::build_create_user`] built nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The payload is invalid; nothing may be sent.
    Invalid(Report),
    /// The key, base URL or options are unusable.
    Request(RequestError),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Invalid(report) => write!(f, "invalid payload: {report}"),
            BuildError::Request(e) => write!(f, "cannot build the request: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A built request and the warnings validation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The request to send.
    pub request: HttpRequest,
    /// Deprecated or ignored fields.
    pub warnings: Vec<Issue>,
}

/// Object-safe access to a [`Provider`]'s rules — validation, metadata and
/// the CSV import, nothing that builds or reads a provider request — for code
/// that picks the provider at run time by its id. [`RULES`] lists every
/// provider through this trait alone, so a build that only validates (the
/// npm package's `enlist/client` entry) carries no request code.
///
/// ```
/// let partoo = enlist_core::RULES.iter().find(|p| p.id() == "partoo").ok_or("missing")?;
/// let report = partoo.check_json(br#"{"email":"x"}"#, &Default::default());
/// assert!(!report.errors.is_empty());
/// # Ok::<(), &str>(())
/// ```
pub trait ProviderRules: Sync {
    /// See [`Provider::ID`].
    fn id(&self) -> &'static str;
    /// See [`Provider::NAME`].
    fn name(&self) -> &'static str;
    /// See [`Provider::SCHEMA`].
    fn schema(&self) -> &'static ObjectSchema;
    /// See [`Provider::FLAGS`].
    fn flags(&self) -> &'static [Flag];
    /// See [`Provider::ENVIRONMENTS`].
    fn environments(&self) -> &'static [Environment];
    /// See [`Provider::INVITE`].
    fn has_invite(&self) -> bool;
    /// Metadata a UI renders a form from.
    fn rules(&self) -> Rules;
    /// Every problem with a JSON payload.
    fn check_json(&self, json: &[u8], options: &Options) -> Report;
    /// Every problem with an already parsed payload.
    fn check_node(&self, node: Node<'_, '_>, options: &Options) -> Report;
    /// Validates a JSON array of payloads.
    fn check_many(&self, json: &[u8], options: &Options) -> BulkReport;
    /// Reads a CSV import into JSON rows typed by this provider's schema.
    fn csv_to_rows(&self, text: &str) -> Result<crate::csv::Table, crate::csv::CsvError>;
    /// The header row of a CSV template for this provider.
    fn csv_template(&self) -> String;
}

/// Object-safe access to a whole [`Provider`]: its [`ProviderRules`] plus
/// building its requests and reading its answers. [`REGISTRY`] lists every
/// provider through this trait.
///
/// ```
/// use enlist_core::{provider, Options, Settings};
///
/// let pandadoc = provider("pandadoc").ok_or("missing")?;
/// let settings = Settings { api_key: "key".into(), ..Settings::default() };
/// let body = br#"{"user":{"email":"a@acme.com"},"license":"Guest","workspaces":[{"workspace_id":"w","role":"Member"}]}"#;
/// let built = pandadoc.build_create_user(body, &Options::default(), &settings).map_err(|e| e.to_string())?;
/// assert_eq!(built.request.url, "https://api.pandadoc.com/public/v1/users");
/// # Ok::<(), String>(())
/// ```
pub trait AnyProvider: ProviderRules {
    /// See [`Provider::PUBLIC_POLICY`].
    fn public_policy(&self) -> Option<&'static str>;
    /// [`Provider::RATE_PER_MINUTE`].
    fn rate_per_minute(&self) -> u32;
    /// [`Provider::SCIM`]: whether the provider has a SCIM 2.0 service.
    ///
    /// ```
    /// use enlist_core::provider;
    /// assert!(provider("partoo").is_some_and(|p| p.has_scim()));
    /// assert!(provider("pandadoc").is_some_and(|p| !p.has_scim()));
    /// ```
    fn has_scim(&self) -> bool;
    /// Reads boolean query flags from a URL query string (`notify_user=true`);
    /// unknown parameters and non-boolean values are reported with `""` paths.
    fn parse_query_flags(&self, query: &str) -> Result<Vec<(&'static str, bool)>, Vec<Issue>>;
    /// Validates the payload and builds the create-user request.
    fn build_create_user(
        &self,
        json: &[u8],
        options: &Options,
        settings: &Settings,
    ) -> Result<Built, BuildError>;
    /// Builds the invite request.
    fn build_invite(&self, user_id: &str, settings: &Settings)
        -> Result<HttpRequest, RequestError>;
    /// The credential header the requests built with these settings carry,
    /// for a sender that leaves the key out of a request until it sends it
    /// (the enlist Worker hands requests to a Durable Object without it).
    ///
    /// ```
    /// use enlist_core::{provider, Settings};
    ///
    /// let pandadoc = provider("pandadoc").ok_or("missing")?;
    /// let settings = Settings { api_key: "key".into(), ..Settings::default() };
    /// let header = pandadoc.credential(&settings).map_err(|e| e.to_string())?;
    /// assert_eq!((header.name, header.value.as_str(), header.sensitive), ("Authorization", "API-Key key", true));
    /// # Ok::<(), String>(())
    /// ```
    fn credential(&self, settings: &Settings) -> Result<Header, RequestError>;
    /// Reads a create-user answer.
    fn parse_create_user_response(
        &self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Outcome;
    /// Reads an invite answer.
    fn parse_invite_response(&self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome;
}

struct Handle<P>(PhantomData<fn() -> P>);

impl<P: Provider> Handle<P> {
    fn client(&self, settings: &Settings) -> Result<Client<P>, RequestError> {
        let mut client = Client::<P>::new(ApiKey::new(settings.api_key.clone())?);
        if let Some(env) = &settings.environment {
            client = client.environment(env)?;
        }
        if let Some(url) = &settings.base_url {
            client = client.base_url_override(url)?;
        }
        for (name, value) in &settings.flags {
            match value {
                serde_json::Value::Bool(b) => client = client.flag(name, *b)?,
                serde_json::Value::Null => {}
                _ => {
                    return Err(RequestError::UnknownOption {
                        name: name.chars().take(64).collect(),
                    })
                }
            }
        }
        Ok(client)
    }
}

impl<P: Provider> ProviderRules for Handle<P> {
    fn id(&self) -> &'static str {
        P::ID
    }

    fn name(&self) -> &'static str {
        P::NAME
    }

    fn schema(&self) -> &'static ObjectSchema {
        P::SCHEMA
    }

    fn flags(&self) -> &'static [Flag] {
        P::FLAGS
    }

    fn environments(&self) -> &'static [Environment] {
        P::ENVIRONMENTS
    }

    fn has_invite(&self) -> bool {
        P::INVITE
    }

    fn rules(&self) -> Rules {
        Rules {
            provider: P::ID,
            name: P::NAME,
            schema: P::SCHEMA,
            flags: P::FLAGS,
            environments: P::ENVIRONMENTS,
            invite: P::INVITE,
        }
    }

    fn check_json(&self, json: &[u8], options: &Options) -> Report {
        P::check_json_with(json, options)
    }

    fn check_node(&self, node: Node<'_, '_>, options: &Options) -> Report {
        validate::check_node(P::SCHEMA, node, options)
    }

    fn check_many(&self, json: &[u8], options: &Options) -> BulkReport {
        P::check_many(json, options)
    }

    fn csv_to_rows(&self, text: &str) -> Result<crate::csv::Table, crate::csv::CsvError> {
        crate::csv::to_rows(P::SCHEMA, text)
    }

    fn csv_template(&self) -> String {
        crate::csv::template(P::SCHEMA)
    }
}

impl<P: Provider> AnyProvider for Handle<P> {
    fn rate_per_minute(&self) -> u32 {
        P::RATE_PER_MINUTE
    }

    fn has_scim(&self) -> bool {
        P::SCIM
    }

    fn public_policy(&self) -> Option<&'static str> {
        P::PUBLIC_POLICY
    }

    fn parse_query_flags(&self, query: &str) -> Result<Vec<(&'static str, bool)>, Vec<Issue>> {
        let mut flags = Vec::new();
        let mut issues = Vec::new();
        for pair in query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match P::FLAGS.iter().find(|f| f.query == name) {
                Some(flag) => match value {
                    "true" => flags.push((flag.query, true)),
                    "false" => flags.push((flag.query, false)),
                    _ => issues.push(Issue::new(
                        "",
                        Code::Type,
                        format!("The query parameter {} must be true or false.", flag.query),
                        Params::new()
                            .with("parameter", crate::Param::Str(flag.query.into()))
                            .with("expected", crate::Param::Str("boolean".into())),
                    )),
                },
                None => {
                    let known: Vec<String> = P::FLAGS.iter().map(|f| f.query.to_string()).collect();
                    issues.push(Issue::new(
                        "",
                        Code::UnknownField,
                        if known.is_empty() {
                            "This endpoint takes no query parameters.".to_string()
                        } else {
                            format!(
                                "Unknown query parameter; this endpoint takes: {}.",
                                known.join(", ")
                            )
                        },
                        Params::new().with("allowed", crate::Param::Strings(known)),
                    ));
                }
            }
        }
        if issues.is_empty() {
            Ok(flags)
        } else {
            Err(issues)
        }
    }

    fn build_create_user(
        &self,
        json: &[u8],
        options: &Options,
        settings: &Settings,
    ) -> Result<Built, BuildError> {
        // Validate first: an invalid payload is reported even when the key is bad.
        let user = P::validate_json_with(json, options).map_err(BuildError::Invalid)?;
        let client = self.client(settings).map_err(BuildError::Request)?;
        Ok(Built {
            request: client.create_user(&user),
            warnings: user.warnings,
        })
    }

    fn build_invite(
        &self,
        user_id: &str,
        settings: &Settings,
    ) -> Result<HttpRequest, RequestError> {
        if !P::INVITE {
            return Err(RequestError::Unsupported("invitations"));
        }
        self.client(settings)?.invite(user_id)
    }

    fn credential(&self, settings: &Settings) -> Result<Header, RequestError> {
        Ok(P::credential(&self.client(settings)?))
    }

    fn parse_create_user_response(
        &self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Outcome {
        P::parse_create_user_response(status, headers, body)
    }

    fn parse_invite_response(&self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
        P::parse_invite_response(status, headers, body)
    }
}

/// Machine-readable metadata a UI needs to render a provider's form: every field
/// with its type, required flag, enum values and relevance, the password policy,
/// the query options and environments.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The provider's id.
    pub provider: &'static str,
    /// Its display name.
    pub name: &'static str,
    /// Its payload schema.
    pub schema: &'static ObjectSchema,
    /// Its query options.
    pub flags: &'static [Flag],
    /// Its environments.
    pub environments: &'static [Environment],
    /// Whether it has an invite call.
    pub invite: bool,
}

impl Rules {
    /// Writes the rules as JSON, the shape of the npm package's `rules()`:
    /// `{"provider", "name", "fields": [...], "passwordPolicy": {...} | null,
    /// "deprecated": [names], "options": [{"option", "query",
    /// "description"}], "environments": [{"name", "base_url"}], "invite"}`.
    /// Serializing a `Rules` with serde gives the same JSON.
    ///
    /// ```
    /// let rules = enlist_core::provider("partoo").ok_or("missing")?.rules();
    /// let mut out = Vec::new();
    /// rules.write_json(&mut out);
    /// assert!(out.starts_with(br#"{"provider":"partoo","name":"Partoo","fields":["#));
    /// assert_eq!(serde_json::to_vec(&rules).map_err(|_| "json")?, out);
    /// # Ok::<(), &str>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut w = crate::json::Writer::new(out);
        w.begin_object();
        w.key("provider").string(self.provider);
        w.key("name").string(self.name);
        self.schema.write_json(w.key("fields"));
        let policy = self.schema.fields.iter().find_map(|f| match f.ty {
            Type::Password(p) => Some(p),
            _ => None,
        });
        match policy {
            Some(p) => p.write_json(w.key("passwordPolicy")),
            None => {
                w.key("passwordPolicy").null();
            }
        }
        let deprecated = self.schema.fields.iter().filter(|f| f.deprecated);
        w.key("deprecated").strings(deprecated.map(|f| f.name));
        w.key("options").begin_array();
        for flag in self.flags {
            w.begin_object();
            w.key("option").string(flag.option);
            w.key("query").string(flag.query);
            w.key("description").string(flag.description);
            w.end_object();
        }
        w.end_array();
        w.key("environments").begin_array();
        for env in self.environments {
            w.begin_object();
            w.key("name").string(env.name);
            w.key("base_url").string(env.base_url);
            w.end_object();
        }
        w.end_array();
        w.key("invite").bool(self.invite);
        w.end_object();
    }
}

/// Serializes as [`Rules::write_json`] writes (one description of the shape).
impl Serialize for Rules {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Vec::new();
        self.write_json(&mut out);
        let doc = Document::parse_bytes(&out).map_err(serde::ser::Error::custom)?;
        doc.root().serialize(s)
    }
}

/// Declares [`REGISTRY`] and [`RULES`] from one list of providers.
macro_rules! registry {
    ($($provider:ty),+ $(,)?) => {
        /// Every registered provider.
        pub static REGISTRY: &[&dyn AnyProvider] = &[$(&Handle::<$provider>(PhantomData)),+];

        /// The same providers, in the same order, as [`ProviderRules`] only: what
        /// a build that validates but never builds requests links.
        pub static RULES: &[&dyn ProviderRules] = &[$(&Handle::<$provider>(PhantomData)),+];
    };
}

// Adding a provider adds one line here.
registry![crate::partoo::Partoo, crate::pandadoc::PandaDoc,];

/// The provider with this id.
///
/// ```
/// assert_eq!(enlist_core::provider("pandadoc").map(|p| p.name()), Some("PandaDoc"));
/// assert!(enlist_core::provider("nope").is_none());
/// ```
pub fn provider(id: &str) -> Option<&'static dyn AnyProvider> {
    REGISTRY.iter().copied().find(|p| p.id() == id)
}

/// The ids of every registered provider.
///
/// ```
/// assert_eq!(enlist_core::provider_ids().collect::<Vec<_>>(), ["partoo", "pandadoc"]);
/// ```
pub fn provider_ids() -> impl Iterator<Item = &'static str> {
    // Through RULES: a build that validates only must not link REGISTRY.
    RULES.iter().map(|p| p.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_sizes(schema: &ObjectSchema) {
        assert!(schema.fields.len() <= validate::MAX_FIELDS);
        for field in schema.fields {
            let mut ty = &field.ty;
            while let Type::Array(a) = ty {
                ty = &a.items;
            }
            if let Type::Object(inner) = ty {
                check_sizes(inner);
            }
        }
    }

    #[test]
    fn every_schema_fits_the_validator() {
        for p in REGISTRY {
            check_sizes(p.schema());
        }
    }

    #[test]
    fn rules_list_the_registry_in_order() {
        let rules: Vec<&str> = RULES.iter().map(|p| p.id()).collect();
        assert_eq!(rules, provider_ids().collect::<Vec<_>>());
        assert!(!rules.is_empty());
    }

    #[test]
    fn ids_are_unique_lowercase_and_environments_valid() {
        let ids: Vec<&str> = provider_ids().collect();
        for (i, id) in ids.iter().enumerate() {
            assert!(!ids[..i].contains(id));
            assert!(id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        }
        for p in REGISTRY {
            assert!(!p.environments().is_empty(), "{}", p.id());
            for env in p.environments() {
                assert!(BaseUrl::new(env.base_url).is_ok(), "{}", env.base_url);
            }
        }
    }

    #[test]
    fn query_flags_are_parsed_strictly() {
        let pandadoc = provider("pandadoc").expect("registered");
        assert_eq!(
            pandadoc.parse_query_flags("notify_user=true&notify_ws_admins=false"),
            Ok(vec![("notify_user", true), ("notify_ws_admins", false)])
        );
        assert!(pandadoc.parse_query_flags("notify_user=1").is_err());
        assert!(pandadoc.parse_query_flags("x=1").is_err());
        let partoo = provider("partoo").expect("registered");
        assert_eq!(partoo.parse_query_flags(""), Ok(vec![]));
        assert!(partoo.parse_query_flags("notify_user=true").is_err());
    }

    /// Found by `fuzz/` (target `requests`): the derived `Debug` printed the key.
    #[test]
    fn settings_debug_redacts_the_key() {
        let settings = Settings {
            api_key: "sk_live_0123456789abcdef".into(),
            base_url: Some("http://127.0.0.1:1".into()),
            ..Settings::default()
        };
        let debug = format!("{settings:?}");
        assert!(!debug.contains("sk_live_0123456789abcdef"), "{debug}");
        assert!(debug.contains("api_key: \"<redacted>\""), "{debug}");
        assert!(debug.contains("127.0.0.1:1"), "{debug}");
    }

    #[test]
    fn settings_from_javascript_options() {
        let settings: Settings = serde_json::from_str(
            r#"{"apiKey":"k","baseUrl":"http://127.0.0.1:1","notifyUser":true}"#,
        )
        .expect("settings");
        let pandadoc = provider("pandadoc").expect("registered");
        let body = br#"{"user":{"email":"a@b.co"},"license":"Full","workspaces":[{"workspace_id":"w","role":"Admin"}]}"#;
        let built = pandadoc
            .build_create_user(body, &Options::default(), &settings)
            .expect("built");
        assert_eq!(
            built.request.url,
            "http://127.0.0.1:1/public/v1/users?notify_user=true"
        );
        let bad: Settings =
            serde_json::from_str(r#"{"apiKey":"k","notifyEveryone":true}"#).expect("settings");
        assert!(matches!(
            pandadoc.build_create_user(body, &Options::default(), &bad),
            Err(BuildError::Request(RequestError::UnknownOption { .. }))
        ));
        // Invalid payloads are reported before the key is even looked at.
        let no_key = Settings::default();
        assert!(matches!(
            pandadoc.build_create_user(b"{}", &Options::default(), &no_key),
            Err(BuildError::Invalid(_))
        ));
        assert!(matches!(
            pandadoc.build_create_user(body, &Options::default(), &no_key),
            Err(BuildError::Request(RequestError::EmptyApiKey))
        ));
        assert!(matches!(
            pandadoc.build_invite("x", &settings),
            Err(RequestError::Unsupported(_))
        ));
    }

    #[test]
    fn the_credential_is_the_sensitive_header_of_every_request() {
        let settings = Settings {
            api_key: "k-123".into(),
            ..Settings::default()
        };
        let payloads: [(&str, &[u8]); 2] = [
            (
                "partoo",
                br#"{"email":"a@b.co","first_name":"A","last_name":"B"}"#,
            ),
            (
                "pandadoc",
                br#"{"user":{"email":"a@b.co"},"license":"Full","workspaces":[{"workspace_id":"w","role":"Admin"}]}"#,
            ),
        ];
        for provider in REGISTRY {
            let body = payloads
                .iter()
                .find(|(id, _)| *id == provider.id())
                .map(|(_, b)| *b)
                .expect("a payload for every provider");
            let credential = provider.credential(&settings).expect("credential");
            assert!(credential.sensitive && credential.value.contains("k-123"));
            let mut requests = vec![
                provider
                    .build_create_user(body, &Options::default(), &settings)
                    .expect("built")
                    .request,
            ];
            requests.extend(provider.build_invite("u1", &settings).ok());
            for request in requests {
                let sensitive: Vec<&Header> =
                    request.headers.iter().filter(|h| h.sensitive).collect();
                assert_eq!(sensitive, [&credential], "{}", provider.id());
            }
            assert_eq!(
                provider.credential(&Settings::default()),
                Err(RequestError::EmptyApiKey)
            );
        }
    }
}
