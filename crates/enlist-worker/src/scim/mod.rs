//! The SCIM 2.0 service (RFC 7643, RFC 7644) at `/scim/v2/{provider}`, for
//! the providers that opt in (`Provider::SCIM`: Partoo), so that Okta and
//! Microsoft Entra ID provision, update and deactivate the provider's users.
//! The SCIM ↔ Partoo mapping, the filter, `PatchOp` and paging are
//! `enlist_core::scim`; this module authenticates, reads the request, makes
//! the Partoo calls (`forward::call`, the key added as each leaves) and keeps
//! the `externalId`s ([`directory`]).
//!
//! | Method | Path | Partoo calls | Answer |
//! |---|---|---|---|
//! | `GET` | `/Users?filter=userName eq "…"` | 1 search | `200` `ListResponse` |
//! | `GET` | `/Users?filter=externalId eq "…"` | 1 read (0 when unknown) | `200` `ListResponse` |
//! | `GET` | `/Users?startIndex=&count=` | 1 search, 2 when the window straddles two pages of 100 | `200` `ListResponse` |
//! | `POST` | `/Users` | 1 create, +1 update for `active: false` | `201` the User, `Location` |
//! | `GET` | `/Users/{id}` | 1 read | `200` the User |
//! | `PUT`, `PATCH` | `/Users/{id}` | 1 read, +1 update when something changed | `200` the User |
//! | `DELETE` | `/Users/{id}` | 1 update (`disabled: true`) or 1 delete (`SCIM_DELETE=delete`), +1 read when a policy is set | `204` |
//! | `GET` | `/ServiceProviderConfig`, `/ResourceTypes[/User]`, `/Schemas[/{urn}]` | none | `200` |
//!
//! Every answer, errors included, is `application/scim+json`; errors follow
//! the SCIM error schema (`status`, `scimType`, `detail`), and a validation
//! or policy failure lists every issue (`{path, code, message, params}`,
//! paths into the SCIM body) in enlist's extension
//! `urn:enlist:params:scim:api:messages:2.0:Issues`.
//!
//! Checks, in order: a SCIM token (`SCIM_TOKENS`; client tokens do not
//! open SCIM) — 401, counted on `RATE_LIMITER` per client IP; the rate
//! limit — 429, counted on `READ_RATE_LIMITER` per SCIM token; the provider
//! is configured — 503; the body (JSON, at most 64 KiB) — 415, 413, 400;
//! the SCIM request itself — 400; Partoo's rules and the server's `POLICY`
//! on what would be sent — 400 `invalidValue` or 403 with every issue. A
//! create takes the fields the identity provider cannot send (the role…)
//! from the policy's `force` and `default`; an update goes through
//! `Policy::evaluate_update`; and when a policy is set, a `PUT`, `PATCH` or
//! `DELETE` may only touch a user the policy would have let SCIM create
//! (`Policy::refusals_for_existing`: its role, organization, businesses,
//! groups and email domain), else 403. Upstream: a 429 becomes a SCIM 429
//! with `Retry-After`, a user that exists a 409 `uniqueness`, an unknown
//! user a 404, a refused key, a failure or an unreadable answer a 502, no
//! answer in time a 504. An answer holding a configured key or token is
//! never sent (502).

pub mod directory;

pub use directory::ScimDirectory;

use crate::api::{self, Body, Call};
use crate::config::{Ready, ScimDelete};
use crate::forward::{self, Reply};
use crate::problem::{Problem, MAX_ERRORS};
use crate::route::ScimPath;
use directory::Directory;
use enlist_core::http::{ApiKey, HttpRequest, RequestError};
use enlist_core::partoo::users::{self, User as PartooUser, UserUpdate};
use enlist_core::partoo::Partoo;
use enlist_core::provider::{Client, Redacted};
use enlist_core::scim::filter::{Filter, Lookup};
use enlist_core::scim::list::ListRequest;
use enlist_core::scim::{
    documents, mapping, ListResponse, PatchOp, ScimError, ScimType, ScimUser, USER_SCHEMA,
};
use enlist_core::{AnyProvider, BuildError, Issue, Options, Outcome, Provider, Settings};
use serde::Serialize;
use serde_json::{Map, Value};
use worker::web_sys;

/// A SCIM answer: `application/scim+json`.
pub fn reply(status: u16, body: String) -> Reply {
    let mut reply = Reply::json(status, body);
    reply.scim = true;
    reply
}

/// A SCIM error answer, with at most [`MAX_ERRORS`] issues; the log's
/// problem slug is the `scimType` keyword, or a slug for the status.
pub fn error_reply(mut error: ScimError) -> Reply {
    error.issues.truncate(MAX_ERRORS);
    let mut out = reply(error.status, error.to_json());
    if error.status == 429 {
        out.retry_after = Some(
            error
                .retry_after
                .map_or(forward::DEFAULT_UPSTREAM_RETRY_AFTER, |r| {
                    r.seconds_from(forward::unix_now())
                }),
        );
    }
    out.problem = Some(
        match (error.scim_type, error.status) {
            (Some(t), _) => t.as_str(),
            (None, 401) => "unauthorized",
            (None, 403) => "forbidden",
            (None, 404) => "not_found",
            (None, 409) => "conflict",
            (None, 413) => "payload_too_large",
            (None, 415) => "unsupported_media_type",
            (None, 429) => "rate_limited",
            (None, 502) => "upstream_error",
            (None, 503) => "provider_not_configured",
            (None, 504) => "upstream_timeout",
            (None, _) => "internal",
        }
        .to_string(),
    );
    out
}

/// A refusal the proxy makes before any SCIM work (a path, method or origin
/// it does not serve, its rate limit, its own failure), in the SCIM error
/// format: every answer under `/scim/` is SCIM.
pub fn problem_reply(problem: &Problem) -> Reply {
    let error = ScimError::new(problem.kind.status(), None, problem.detail.clone());
    let mut out = reply(error.status, error.to_json());
    out.retry_after = problem.retry_after;
    out.allow = problem.allow;
    out.problem = Some(problem.kind.slug().to_string());
    out
}

/// Why an operation stopped: a SCIM error to answer, or a failure of the
/// Worker itself (a 500).
enum Stop {
    Scim(ScimError),
    Internal(worker::Error),
}

impl From<ScimError> for Stop {
    fn from(error: ScimError) -> Self {
        Stop::Scim(error)
    }
}

impl From<worker::Error> for Stop {
    fn from(error: worker::Error) -> Self {
        Stop::Internal(error)
    }
}

impl From<enlist_core::scim::filter::FilterError> for Stop {
    fn from(error: enlist_core::scim::filter::FilterError) -> Self {
        Stop::Scim(error.into())
    }
}

type Step<T> = Result<T, Stop>;

/// A boxed future: each operation, and each step awaited from several
/// places, is polled by one function instead of being inlined into every
/// caller (which at opt-level 3 multiplied the Worker's size).
type Boxed<'s, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Step<T>> + 's>>;

fn unusable() -> ScimError {
    ScimError::new(
        503,
        None,
        "This provider's settings on this server are unusable.",
    )
}

/// A Partoo client with the provider's settings (its requests carry the
/// key, which [`forward::call`] takes off and puts back as each leaves).
fn client(settings: &Settings) -> Result<Client<Partoo>, RequestError> {
    let mut client = Partoo::client(ApiKey::new(settings.api_key.clone())?);
    if let Some(env) = &settings.environment {
        client = client.environment(env)?;
    }
    if let Some(url) = &settings.base_url {
        client = client.base_url_override(url)?;
    }
    Ok(client)
}

/// `/scim/v2/{provider}/…`: every SCIM operation. `origin` is the Worker's
/// own (`scheme://host`), for `meta.location`.
pub async fn route(
    call: &mut Call<'_>,
    req: &web_sys::Request,
    method: &str,
    provider: &'static dyn AnyProvider,
    part: ScimPath<'_>,
    origin: &str,
) -> worker::Result<Reply> {
    let fingerprint = match admit(call).await {
        Ok(fingerprint) => fingerprint,
        Err(refused) => return Ok(refused),
    };
    let Ok(ready) = call.ready(provider) else {
        return Ok(error_reply(ScimError::new(
            503,
            None,
            "This provider is not configured on this server (its API key or settings are missing or unusable).",
        )));
    };
    let client = match client(&ready.settings) {
        Ok(client) => client,
        Err(e) => {
            call.log.notes.push(e.code().to_string());
            return Ok(error_reply(unusable()));
        }
    };
    let base = format!("{origin}/scim/v2/{}", provider.id());
    let mut scim = Scim {
        call,
        ready,
        provider,
        client,
        fingerprint,
        base,
        upstream_ms: 0.0,
    };
    let document = match part {
        ScimPath::ServiceProviderConfig => Some(documents::service_provider_config(&scim.base)),
        ScimPath::ResourceTypes => Some(documents::resource_types(&scim.base)),
        ScimPath::ResourceType("User") => Some(documents::user_resource_type(&scim.base)),
        ScimPath::Schemas => Some(documents::schemas(&scim.base)),
        ScimPath::Schema(id) if id.eq_ignore_ascii_case(USER_SCHEMA) => {
            Some(documents::user_schema(&scim.base))
        }
        _ => None,
    };
    let answer = match (part, method) {
        (ScimPath::Users | ScimPath::User(_), _) => {
            let operation: Boxed<'_, Reply> = match (part, method) {
                (ScimPath::Users, "GET") => Box::pin(scim.list()),
                (ScimPath::Users, _) => Box::pin(scim.create(req)),
                (ScimPath::User(id), "GET") => Box::pin(scim.read(id)),
                (ScimPath::User(id), "DELETE") => Box::pin(scim.delete(id)),
                (ScimPath::User(id), _) => Box::pin(scim.update(req, id, method == "PATCH")),
                _ => Box::pin(async { Err(ScimError::not_found().into()) }),
            };
            operation.await
        }
        _ => match document {
            Some(document) => scim.ok(200, &document),
            None => Err(ScimError::new(
                404,
                None,
                "There is no such resource type or schema; see /ResourceTypes and /Schemas.",
            )
            .into()),
        },
    };
    if scim.upstream_ms > 0.0 {
        scim.call.log.upstream_ms = Some(scim.upstream_ms);
    }
    match answer {
        Ok(reply) => Ok(reply),
        Err(Stop::Scim(error)) => Ok(error_reply(error)),
        Err(Stop::Internal(e)) => Err(e),
    }
}

/// The SCIM token and the rate limit: `Ok(fingerprint)`, or the 401 (a
/// missing or wrong token, counted on `RATE_LIMITER` per client IP like any
/// refused call) or the 429 (counted on `READ_RATE_LIMITER` per SCIM token:
/// an identity provider's sync is mostly reads, and Partoo's own limit
/// bounds the writes).
async fn admit(call: &mut Call<'_>) -> Result<String, Reply> {
    let authorization = call.header("authorization");
    let (limiter, key, token) = match call.config.authenticate_scim(authorization.as_deref()) {
        Ok(fingerprint) => (
            crate::imports::routes::READ_RATE_LIMITER,
            format!("scim:{fingerprint}"),
            Some(fingerprint),
        ),
        Err(_) => {
            let ip = call
                .header("cf-connecting-ip")
                .unwrap_or_else(|| "unknown".into());
            (api::RATE_LIMITER, format!("ip:{ip}"), None)
        }
    };
    if !api::within_rate_limit(call.env, limiter, &key, call.log).await {
        return Err(problem_reply(&api::rate_limited()));
    }
    token.ok_or_else(|| {
        error_reply(ScimError::new(
            401,
            None,
            "This endpoint needs an Authorization: Bearer <SCIM token> header with one of the server's SCIM tokens.",
        ))
    })
}

/// One SCIM request being answered.
struct Scim<'c, 'a> {
    call: &'c mut Call<'a>,
    ready: &'a Ready,
    provider: &'static dyn AnyProvider,
    client: Client<Partoo>,
    fingerprint: String,
    /// `{origin}/scim/v2/{provider}`.
    base: String,
    /// Time spent waiting for Partoo, over every call.
    upstream_ms: f64,
}

/// `retry-after` from an answer, as the parsers take headers.
fn headers(answer: &forward::Answer) -> Vec<(&str, &str)> {
    answer
        .retry_after
        .as_deref()
        .map(|v| ("retry-after", v))
        .into_iter()
        .collect()
}

/// A query parameter, percent-decoded (`+` is a space); names compare
/// ignoring case. `Err` for a value that is not UTF-8 once decoded.
fn param(query: &str, name: &str) -> Result<Option<String>, ()> {
    let Some(raw) = query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
    else {
        return Ok(None);
    };
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let pair = bytes
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .zip(bytes.get(i + 2).copied().and_then(hex));
                let (high, low) = pair.ok_or(())?;
                out.push((high * 16 + low) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map(Some).map_err(|_| ())
}

impl Scim<'_, '_> {
    /// A success answer, unless its body holds a configured key or token
    /// (a Partoo answer echoing one): then a 502.
    fn ok(&mut self, status: u16, value: &impl Serialize) -> Step<Reply> {
        let body =
            serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))?;
        if self.call.config.secrets.found_in(&body) {
            self.call.log.notes.push("upstream_echoed_secret".into());
            return Err(ScimError::new(
                502,
                None,
                "Partoo answered with data this server will not relay.",
            )
            .into());
        }
        Ok(reply(status, body))
    }

    fn directory(&self) -> Step<Directory> {
        Ok(Directory::open(
            self.call.env,
            self.provider.id(),
            &self.fingerprint,
        )?)
    }

    fn resource(&self, user: &PartooUser, external_id: Option<&str>) -> ScimUser {
        mapping::to_scim(user, external_id, &self.base)
    }

    /// Sends one Partoo request; the answer, or the SCIM error for a call
    /// that got none.
    fn send(&mut self, request: Result<HttpRequest, RequestError>) -> Boxed<'_, forward::Answer> {
        Box::pin(async move {
            let request = request.map_err(|e| {
                self.call.log.notes.push(e.code().to_string());
                unusable()
            })?;
            match forward::call(self.provider, &request, self.call.config).await {
                Ok((answer, ms)) => {
                    self.upstream_ms += ms;
                    self.call.log.upstream_status = Some(answer.status);
                    Ok(answer)
                }
                Err((why, ms)) => {
                    self.upstream_ms += ms;
                    self.call.log.upstream_failure = Some(why.to_string());
                    Err(match why {
                        "timeout" => ScimError::new(504, None, "Partoo did not answer in time."),
                        "provider_not_configured" => unusable(),
                        _ => ScimError::new(
                            502,
                            None,
                            "Partoo could not be reached or answered too much.",
                        ),
                    }
                    .into())
                }
            }
        })
    }

    /// The SCIM error for a failed Partoo call. Partoo's own words are
    /// never relayed: its field errors keep their path and code, with
    /// enlist's message (`forward::relayed_issue`).
    fn failed(&mut self, outcome: &Outcome) -> Stop {
        if matches!(outcome, Outcome::Malformed(_)) {
            self.call.log.notes.push("upstream_malformed".into());
        }
        let mut error = ScimError::from_outcome(outcome);
        let Some(failure) = outcome.failure() else {
            return error.into();
        };
        self.call.log.issues(Some(self.provider), &failure.errors);
        let mut issues: Vec<Issue> = failure
            .errors
            .iter()
            .map(|issue| {
                let relayed = forward::relayed_issue(self.provider, issue);
                Issue {
                    path: mapping::scim_pointer(&relayed.path),
                    ..relayed
                }
            })
            .collect();
        match outcome {
            Outcome::Validation(_) => {
                if issues.is_empty() {
                    issues.push(Issue::new(
                        "",
                        enlist_core::Code::Rejected,
                        "Partoo rejected the request without saying why.",
                        enlist_core::Params::new(),
                    ));
                }
                error = ScimError::invalid(ScimType::InvalidValue, issues);
            }
            Outcome::AlreadyExists(_) => {
                issues.retain(|i| i.code == enlist_core::Code::AlreadyExists);
                if issues.is_empty() {
                    issues.push(Issue::new(
                        "/userName",
                        enlist_core::Code::AlreadyExists,
                        "A user with this email already exists.",
                        enlist_core::Params::new(),
                    ));
                }
                error.issues = issues;
            }
            _ => error.issues.clear(),
        }
        error.into()
    }

    /// `GET /user/{id}`; an id that is not one is a 404 without a call.
    fn fetch_user<'s>(&'s mut self, id: &'s str) -> Boxed<'s, PartooUser> {
        Box::pin(async move {
            if !users::is_user_id(id) {
                return Err(ScimError::not_found().into());
            }
            let request = self.client.get_user(id);
            let answer = self.send(request).await?;
            Partoo::parse_user_response(answer.status, &headers(&answer), &answer.body)
                .map_err(|o| self.failed(&o))
        })
    }

    /// Refuses what the policy or Partoo's rules refuse: 403 when the
    /// policy refuses anything, else 400 `invalidValue`, with every issue at
    /// its SCIM path.
    fn refuse(&mut self, refusals: Vec<Issue>, errors: Vec<Issue>) -> Step<()> {
        if refusals.is_empty() && errors.is_empty() {
            return Ok(());
        }
        let policy = !refusals.is_empty();
        let mut all = refusals;
        all.extend(errors);
        self.call.log.issues(Some(self.provider), &all);
        for issue in &mut all {
            issue.path = mapping::scim_pointer(&issue.path);
        }
        let mut error = ScimError::invalid(ScimType::InvalidValue, all);
        if policy {
            error.status = 403;
            error.scim_type = None;
            error.detail = format!("This server's policy refuses it. {}", error.detail);
        }
        Err(error.into())
    }

    /// With a policy set, a user the policy would not have let SCIM create
    /// (another role, organization, businesses, groups or email domain) is
    /// out of reach: 403.
    fn in_reach(&mut self, user: &PartooUser) -> Step<()> {
        if self.ready.policy.is_empty() {
            return Ok(());
        }
        let mut existing = Map::new();
        existing.insert("email".into(), Value::String(user.email.as_str().into()));
        if let Some(role) = &user.role {
            existing.insert("role".into(), Value::String(role.clone()));
        }
        if let Some(org) = user.org_id {
            existing.insert("org_id".into(), Value::from(org));
        }
        existing.insert(
            "business_ids".into(),
            Value::from(user.business_ids.clone()),
        );
        existing.insert("accesses".into(), Value::from(user.accesses.clone()));
        let refusals = self
            .ready
            .policy
            .refusals_for_existing(self.provider, &Value::Object(existing));
        if refusals.is_empty() {
            return Ok(());
        }
        self.call.log.issues(Some(self.provider), &refusals);
        let mut error = ScimError::invalid(
            ScimType::InvalidValue,
            refusals
                .into_iter()
                .map(|i| Issue {
                    path: mapping::scim_pointer(&i.path),
                    ..i
                })
                .collect(),
        );
        error.status = 403;
        error.scim_type = None;
        error.detail = format!(
            "This user is outside what this server's policy lets SCIM manage. {}",
            error.detail
        );
        Err(error.into())
    }

    /// The request body: JSON (`application/scim+json` or
    /// `application/json`), at most 64 KiB, delivered whole.
    fn body<'s>(&'s mut self, req: &'s web_sys::Request) -> Boxed<'s, Vec<u8>> {
        Box::pin(self.read_body(req))
    }

    async fn read_body(&mut self, req: &web_sys::Request) -> Step<Vec<u8>> {
        let content_type = self.call.header("content-type").unwrap_or_default();
        if !api::is_json(&content_type) {
            return Err(ScimError::new(
                415,
                None,
                "The body must be JSON, sent with Content-Type: application/scim+json.",
            )
            .into());
        }
        let too_large = || {
            ScimError::new(
                413,
                None,
                format!("The body is over {} bytes.", api::MAX_BODY),
            )
        };
        let declared = match self.call.declared_length(api::MAX_BODY) {
            Ok(declared) => declared.is_some(),
            Err(_) => {
                api::drain_declared(self.call, req).await;
                return Err(too_large().into());
            }
        };
        match api::read_body(req, declared, api::MAX_BODY).await? {
            Body::Whole(body) => Ok(body),
            Body::TooLarge => Err(too_large().into()),
            Body::Broken => {
                self.call.log.notes.push("request_body_unreadable".into());
                Err(ScimError::bad_request(
                    ScimType::InvalidSyntax,
                    "The request body ended early or its framing is broken (Content-Length or chunked encoding); nothing was sent to Partoo.",
                )
                .into())
            }
        }
    }

    /// `GET /Users`: a filter (one search, one read or none), or a window
    /// of every user sorted by email (one or two searches).
    async fn list(&mut self) -> Step<Reply> {
        let query = self.call.query;
        let number = |name: &str| {
            param(query, name).map_err(|()| {
                ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("{name} must be an integer."),
                )
            })
        };
        let window = ListRequest::parse(
            number("startIndex")?.as_deref(),
            number("count")?.as_deref(),
        )?;
        let filter = param(query, "filter").map_err(|()| {
            ScimError::bad_request(
                ScimType::InvalidFilter,
                "The filter is not UTF-8 once percent-decoded.",
            )
        })?;
        let (users, total, known): (Vec<PartooUser>, u64, Option<String>) = match filter {
            Some(text) => {
                let filter = Filter::parse(&text)?;
                let (found, known) = match filter.lookup() {
                    Lookup::Search(search) => {
                        let request = self.client.search_users(&search);
                        let answer = self.send(request).await?;
                        let page = Partoo::parse_user_search_response(
                            answer.status,
                            &headers(&answer),
                            &answer.body,
                        )
                        .map_err(|o| self.failed(&o))?;
                        // Partoo compares emails exactly, ignoring case:
                        // hold it to that.
                        let name = match &filter {
                            Filter::UserName(name) => name.as_str(),
                            Filter::ExternalId(_) => "",
                        };
                        let found: Vec<PartooUser> = page
                            .users
                            .into_iter()
                            .filter(|u| u.email.eq_ignore_ascii_case(name))
                            .collect();
                        (found, None)
                    }
                    Lookup::ExternalId(external_id) => {
                        match self.directory()?.find(&external_id).await? {
                            Some(id) => match self.fetch_user(&id).await {
                                Ok(user) => (vec![user], Some(external_id.into_inner())),
                                // Deleted in Partoo since: the mapping goes too.
                                Err(Stop::Scim(e)) if e.status == 404 => {
                                    self.directory()?.set(&id, None).await?;
                                    (Vec::new(), None)
                                }
                                Err(e) => return Err(e),
                            },
                            None => (Vec::new(), None),
                        }
                    }
                    _ => (Vec::new(), None),
                };
                let total = found.len() as u64;
                let skip = usize::try_from(window.start_index() - 1).unwrap_or(usize::MAX);
                let users = found
                    .into_iter()
                    .skip(skip)
                    .take(window.count() as usize)
                    .collect();
                (users, total, known)
            }
            None => {
                let plan = window.plan();
                let mut pages = Vec::new();
                for search in plan.queries() {
                    if pages
                        .last()
                        .is_some_and(|p: &users::UserPage| p.page >= p.max_page)
                    {
                        break;
                    }
                    let request = self.client.search_users(search);
                    let answer = self.send(request).await?;
                    let page = Partoo::parse_user_search_response(
                        answer.status,
                        &headers(&answer),
                        &answer.body,
                    )
                    .map_err(|o| self.failed(&o))?;
                    pages.push(page);
                }
                let (users, total) = plan.finish(&pages);
                (users.into_iter().cloned().collect(), total, None)
            }
        };
        let ids = match known {
            Some(external_id) => {
                let mut ids = Map::new();
                for user in &users {
                    ids.insert(user.id.clone(), Value::String(external_id.clone()));
                }
                ids
            }
            None => {
                let list: Vec<&str> = users.iter().map(|u: &PartooUser| u.id.as_str()).collect();
                self.directory()?.external_ids(&list).await?
            }
        };
        let resources: Vec<ScimUser> = users
            .iter()
            .map(|u| self.resource(u, ids.get(&u.id).and_then(Value::as_str)))
            .collect();
        self.ok(
            200,
            &ListResponse::new(resources, total, window.start_index()),
        )
    }

    /// `GET /Users/{id}`.
    async fn read(&mut self, id: &str) -> Step<Reply> {
        let user = self.fetch_user(id).await?;
        let external_id = self.directory()?.external_id(&user.id).await?;
        let resource = self.resource(&user, external_id.as_deref());
        self.ok(200, &resource)
    }

    /// `POST /Users`.
    async fn create(&mut self, req: &web_sys::Request) -> Step<Reply> {
        let body = self.body(req).await?;
        let input = ScimUser::read(&body)?;
        let payload = mapping::create_payload(&input.user);
        let json = serde_json::to_vec(&*payload.body)
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        let evaluation = self.ready.policy.evaluate(self.provider, &json);
        let sent = evaluation.body.unwrap_or(json);
        let built =
            self.provider
                .build_create_user(&sent, &Options::default(), &self.ready.settings);
        let (built, errors) = match built {
            Ok(built) => (Some(built), Vec::new()),
            Err(BuildError::Invalid(report)) => (None, report.errors),
            Err(_) => return Err(unusable().into()),
        };
        self.refuse(evaluation.refusals, errors)?;
        let built = built.ok_or_else(|| ScimError::invalid(ScimType::InvalidValue, Vec::new()))?;
        let answer = self.send(Ok(built.request)).await?;
        let outcome = self.provider.parse_create_user_response(
            answer.status,
            &headers(&answer),
            &answer.body,
        );
        let id = match outcome {
            Outcome::Created(created) if users::is_user_id(&created.id) => created.id,
            Outcome::Created(_) => {
                self.call.log.notes.push("upstream_malformed".into());
                return Err(ScimError::new(
                    502,
                    None,
                    "Partoo answered with something other than its documented shape.",
                )
                .into());
            }
            other => return Err(self.failed(&other)),
        };
        let mut user = PartooUser {
            id,
            ..PartooUser::default()
        };
        apply(&mut user, &sent);
        if let Some(follow_up) = payload.follow_up() {
            let request = self.client.update_user(&user.id, &follow_up);
            let disabled = match self.send(request).await {
                Ok(answer) => Partoo::parse_user_update_response(
                    answer.status,
                    &headers(&answer),
                    &answer.body,
                )
                .map_err(|o| self.failed(&o)),
                Err(stop) => Err(stop),
            };
            if let Err(Stop::Scim(mut error)) = disabled {
                error.detail = format!(
                    "The user was created but could not be deactivated. {}",
                    error.detail
                );
                return Err(error.into());
            }
            disabled?;
            user.disabled = true;
        }
        let external_id = payload.external_id.as_ref().map(|e| e.as_str());
        if let Some(external_id) = external_id {
            self.directory()?.set(&user.id, Some(external_id)).await?;
        }
        let resource = self.resource(&user, external_id);
        let mut out = self.ok(201, &resource)?;
        out.location = resource.meta.and_then(|m| m.location);
        Ok(out)
    }

    /// `PUT /Users/{id}` (the body's attributes in place of the user's) and
    /// `PATCH /Users/{id}` (a `PatchOp`).
    async fn update(&mut self, req: &web_sys::Request, id: &str, patch: bool) -> Step<Reply> {
        let body = self.body(req).await?;
        // Read the request before any call: a bad one costs nothing.
        let change = if patch {
            Change::Patch(PatchOp::parse(&body)?)
        } else {
            Change::Replace(Box::new(ScimUser::read(&body)?.user))
        };
        let current = self.fetch_user(id).await?;
        self.in_reach(&current)?;
        let directory = self.directory()?;
        let external_id = directory.external_id(&current.id).await?;
        let before = self.resource(&current, external_id.as_deref());
        let after = match change {
            Change::Patch(patch) => patch.apply(&before)?.user,
            Change::Replace(body) => before.overlay(&body),
        };
        let changes = mapping::changes(&before, &after);
        let mut user = current;
        if !changes.update.is_empty() {
            let json = serde_json::to_vec(&changes.update)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            let evaluation = self.ready.policy.evaluate_update(self.provider, &json);
            let sent = evaluation.body.unwrap_or(json);
            let report = users::check_update_json(&sent, &Options::default());
            self.refuse(evaluation.refusals, report.errors)?;
            let mut request = self.client.update_user(&user.id, &changes.update);
            if let Ok(request) = &mut request {
                request.body = Some(String::from_utf8_lossy(&sent).into_owned());
            }
            let answer = self.send(request).await?;
            Partoo::parse_user_update_response(answer.status, &headers(&answer), &answer.body)
                .map_err(|o| self.failed(&o))?;
            apply(&mut user, &sent);
        }
        let external_id = match changes.external_id {
            Some(new) => {
                let new = new.map(Redacted::into_inner);
                directory.set(&user.id, new.as_deref()).await?;
                new
            }
            None => external_id,
        };
        let resource = self.resource(&user, external_id.as_deref());
        self.ok(200, &resource)
    }

    /// `DELETE /Users/{id}`: deactivates, or deletes with
    /// `SCIM_DELETE=delete` (and forgets the user's `externalId`).
    async fn delete(&mut self, id: &str) -> Step<Reply> {
        if !users::is_user_id(id) {
            return Err(ScimError::not_found().into());
        }
        if !self.ready.policy.is_empty() {
            let current = self.fetch_user(id).await?;
            self.in_reach(&current)?;
        }
        match self.call.config.scim_delete {
            ScimDelete::Deactivate => {
                let request = self
                    .client
                    .update_user(id, &UserUpdate::new().disabled(true));
                let answer = self.send(request).await?;
                Partoo::parse_user_update_response(answer.status, &headers(&answer), &answer.body)
                    .map_err(|o| self.failed(&o))?;
            }
            ScimDelete::Delete => {
                let request = self.client.delete_user(id);
                let answer = self.send(request).await?;
                Partoo::parse_user_delete_response(answer.status, &headers(&answer), &answer.body)
                    .map_err(|o| self.failed(&o))?;
                self.directory()?.set(id, None).await?;
            }
        }
        Ok(reply(204, String::new()))
    }
}

/// What a `PUT` or `PATCH` asks for.
enum Change {
    /// `PATCH`: operations to apply.
    Patch(PatchOp),
    /// `PUT`: the attributes to put in place.
    Replace(Box<ScimUser>),
}

/// Sets on `user` the fields of a create or update body sent to Partoo.
fn apply(user: &mut PartooUser, sent: &[u8]) {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(sent) else {
        return;
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_string);
    if let Some(email) = text("email") {
        user.email = Redacted::new(email);
    }
    if let Some(name) = text("first_name") {
        user.first_name = Redacted::new(name);
    }
    if let Some(name) = text("last_name") {
        user.last_name = Redacted::new(name);
    }
    if let Some(lang) = text("lang") {
        user.lang = Some(lang);
    }
    if let Some(disabled) = fields.get("disabled").and_then(Value::as_bool) {
        user.disabled = disabled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        let q = "count=1&FILTER=userName+eq+%22ada%40example.com%22&startIndex=";
        assert_eq!(
            param(q, "filter").unwrap().as_deref(),
            Some(r#"userName eq "ada@example.com""#)
        );
        assert_eq!(param(q, "count").unwrap().as_deref(), Some("1"));
        assert_eq!(param(q, "startIndex").unwrap().as_deref(), Some(""));
        assert_eq!(param(q, "sortBy").unwrap(), None);
        assert_eq!(param("filter=%zz", "filter"), Err(()));
        assert_eq!(param("filter=%c3", "filter"), Err(()));
        assert_eq!(param("filter=%", "filter"), Err(()));
        assert_eq!(
            param("filter=%C3%A9", "filter").unwrap().as_deref(),
            Some("é")
        );
        assert_eq!(param("", "filter").unwrap(), None);
    }

    #[test]
    fn errors_are_scim_with_a_log_slug_and_a_retry_after_for_429() {
        let r = error_reply(enlist_core::scim::filter::FilterError::Syntax.to_scim_error());
        assert_eq!((r.status, r.scim), (400, true));
        assert_eq!(r.problem.as_deref(), Some("invalidFilter"));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["status"], "400");
        let r = error_reply(ScimError::new(429, None, "slow down"));
        assert_eq!(r.retry_after, Some(forward::DEFAULT_UPSTREAM_RETRY_AFTER));
        let r = problem_reply(&Problem::method_not_allowed("GET"));
        assert_eq!((r.status, r.allow), (405, Some("GET")));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["schemas"][0], enlist_core::scim::ERROR_SCHEMA);
        assert_eq!(body["status"], "405");
        let many = ScimError::invalid(
            ScimType::InvalidSyntax,
            vec![
                Issue::new(
                    "/x",
                    enlist_core::Code::UnknownField,
                    "Unknown.",
                    enlist_core::Params::new()
                );
                500
            ],
        );
        let body: Value = serde_json::from_str(&error_reply(many).body).unwrap();
        assert_eq!(
            body[enlist_core::scim::ISSUES_SCHEMA]["issues"]
                .as_array()
                .unwrap()
                .len(),
            MAX_ERRORS
        );
    }

    #[test]
    fn sent_fields_land_on_the_user() {
        let mut user = PartooUser::default();
        apply(
            &mut user,
            br#"{"email":"a@b.co","first_name":"A","last_name":"B","lang":"fr","disabled":true}"#,
        );
        assert_eq!(
            (
                user.email.as_str(),
                user.first_name.as_str(),
                user.last_name.as_str()
            ),
            ("a@b.co", "A", "B")
        );
        assert_eq!((user.lang.as_deref(), user.disabled), (Some("fr"), true));
        apply(&mut user, b"[]");
        assert!(user.disabled);
    }
}
