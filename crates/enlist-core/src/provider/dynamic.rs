//! Object-safe access to providers picked at run time by id:
//! [`ProviderRules`] (validation and metadata only) and [`AnyProvider`]
//! (requests and answers too), both implemented for every [`Provider`] by
//! a private handle type.

use super::{ApiEnvironment, BuildError, Built, Client, Flag, Provider, Rules, Settings};
use crate::bulk::BulkReport;
use crate::http::{ApiKey, Header, HttpRequest, RequestError};
use crate::json::Node;
use crate::outcome::Outcome;
use crate::report::{Code, Issue, Params, Report};
use crate::schema::ObjectSchema;
use crate::validate::{self, Options};
use std::marker::PhantomData;

/// Object-safe access to a [`Provider`]'s rules — validation, metadata and
/// the CSV import, nothing that builds or reads a provider request — for code
/// that picks the provider at run time by its id. [`RULES`](crate::RULES) lists every
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
    fn environments(&self) -> &'static [ApiEnvironment];
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
/// building its requests and reading its answers. [`REGISTRY`](crate::REGISTRY) lists every
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
    /// [`Provider::EXAMPLE`].
    fn example(&self) -> &'static str;
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

/// The object-safe face of a [`Provider`] (what [`crate::registry`] lists).
pub(crate) struct Handle<P>(PhantomData<fn() -> P>);

impl<P: Provider> Handle<P> {
    /// The handle of `P`.
    pub(crate) const NEW: Handle<P> = Handle(PhantomData);

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

    fn environments(&self) -> &'static [ApiEnvironment] {
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

    fn example(&self) -> &'static str {
        P::EXAMPLE
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
