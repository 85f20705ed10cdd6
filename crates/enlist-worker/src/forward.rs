//! Sending a built request upstream and turning the provider's answer into the
//! proxy's answer.
//!
//! The upstream request is exactly the [`HttpRequest`] enlist-core built from
//! the validated payload: its URL (from configuration, never from the client),
//! its headers (the credential, `Content-Type`, `Accept`, `User-Agent`) and its
//! body. The credential is left out of the [`Outbound`] copy that travels (to
//! the idempotency Durable Object, as JSON) and is added by [`execute`] from
//! the settings of whoever sends, read from its own environment. Redirects are
//! not followed (a redirect could carry the key elsewhere); the whole
//! exchange, body included, is bounded by `UPSTREAM_TIMEOUT_MS`.
//!
//! How provider answers map to proxy answers ([`reply_for`]):
//!
//! | provider said | proxy answers |
//! |---------------|---------------|
//! | created | `201 {provider, status, id, workspaces?, warnings}` |
//! | invitation sent | `200 {provider, status, id}` |
//! | field errors | `422 validation` with the errors mapped to JSON Pointers |
//! | email taken | `422 already_exists`, errors at the email |
//! | 429 / throttled | `429 rate_limited`, `Retry-After` passed on (default 30 s) |
//! | no such user (invite) | `404 not_found` |
//! | 401, 403, 404 (create), 5xx, redirect, unreadable | `502 upstream_error` |
//! | created, with an id or role that is not one, or holding a key or token | `502 upstream_error` |
//! | connection failure | `502 upstream_error` |
//! | no answer in time | `504 upstream_timeout` |
//!
//! A 502 never says which credential was refused nor repeats the provider's
//! body; the log line has the upstream status and a note saying why.
//!
//! The only provider text a success relays is its ids (and PandaDoc's
//! workspace roles): enlist-core's parsers accept only well-formed ones
//! (`enlist_core::outcome::is_provider_id`), and [`reply_for`] refuses any that
//! holds a configured API key or client token. Problem answers relay no
//! provider text at all ([`relayed_issue`]).

use crate::config::{Config, Secrets};
use crate::problem::{Kind, Problem};
use enlist_core::http::{Header, HttpRequest};
use enlist_core::proxy::created;
use enlist_core::report::push_token;
use enlist_core::schema::{ObjectSchema, Type};
use enlist_core::{AnyProvider, Code, Issue, Outcome, Params};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, ByteStream};

/// Largest upstream answer read, in bytes; a larger one is a 502.
pub const MAX_UPSTREAM_BODY: usize = 256 * 1024;
/// `Retry-After` sent when the provider throttles without saying for how long.
pub const DEFAULT_UPSTREAM_RETRY_AFTER: u64 = 30;

/// The upstream request as plain owned data, without its credential (it
/// travels to the idempotency Durable Object as JSON; [`execute`] adds the
/// credential when it sends). `Debug` hides the body, which carries personal
/// data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    /// `GET`, `POST` or `DELETE` (`POST` when a message leaves it out).
    #[serde(default = "post")]
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers, in order, except the sensitive ones.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<String>,
}

fn post() -> String {
    "POST".into()
}

impl From<&HttpRequest> for Outbound {
    fn from(req: &HttpRequest) -> Self {
        Outbound {
            method: req.method.as_str().into(),
            url: req.url.clone(),
            headers: req
                .headers
                .iter()
                .filter(|h| !h.sensitive)
                .map(|h| (h.name.to_string(), h.value.clone()))
                .collect(),
            body: req.body.clone(),
        }
    }
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|b| format!("<{} bytes redacted>", b.len())),
            )
            .finish()
    }
}

/// Which call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Create a user.
    Create,
    /// Send an invitation.
    Invite,
}

/// Everything needed to perform one upstream call and answer it, except the
/// credential. `Debug` hides the request body ([`Outbound`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// Provider id.
    pub provider: String,
    /// Which call.
    pub op: Op,
    /// The user id, for invitations.
    pub user_id: Option<String>,
    /// The request to send.
    pub request: Outbound,
    /// Timeout for the whole exchange.
    pub timeout_ms: u32,
    /// Validation warnings, included in a 201 body.
    pub warnings: serde_json::Value,
    /// The proxy request id, stamped into problem bodies.
    pub request_id: String,
}

/// The proxy's answer, as stored for idempotent replays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body (`application/json` below 300, else `application/problem+json`).
    pub body: String,
    /// `Retry-After` seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// `Allow`, for 405 (never stored).
    #[serde(skip)]
    pub allow: Option<&'static str>,
    /// The problem slug, for the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// `Location`, for a created import job or SCIM user (never stored).
    #[serde(skip)]
    pub location: Option<String>,
    /// A SCIM answer: `application/scim+json`, errors included (never
    /// stored).
    #[serde(skip)]
    pub scim: bool,
}

impl Reply {
    /// A problem answer.
    pub fn problem(problem: &Problem, request_id: &str) -> Reply {
        Reply {
            status: problem.kind.status(),
            body: problem.to_json(request_id),
            retry_after: problem.retry_after,
            allow: problem.allow,
            problem: Some(problem.kind.slug().to_string()),
            location: None,
            scim: false,
        }
    }

    /// A JSON success answer.
    pub fn json(status: u16, body: String) -> Reply {
        Reply {
            status,
            body,
            retry_after: None,
            allow: None,
            problem: None,
            location: None,
            scim: false,
        }
    }

    /// Whether an idempotent request may store this answer for replays:
    /// successes and final refusals (2xx, 4xx except 429). Throttling, upstream
    /// failures and timeouts are not stored, so a retry with the same key runs
    /// again.
    pub fn is_final(&self) -> bool {
        self.status < 500 && self.status != 429 && self.status != 409
    }
}

/// What happened upstream, for the log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Upstream {
    /// The provider's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Time spent on the call, in milliseconds.
    pub ms: f64,
    /// `timeout`, `network`, `too_large` when the call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Why an answer was not relayed as the provider gave it
    /// ([`Screened::note`]), for the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The JSON Pointer of the first email field in a schema (`/email`,
/// `/user/email`).
pub fn email_path(schema: &ObjectSchema) -> Option<String> {
    for field in schema.fields {
        match &field.ty {
            Type::Email => {
                let mut p = String::new();
                push_token(&mut p, field.name);
                return Some(p);
            }
            Type::Object(inner) => {
                if let Some(rest) = email_path(inner) {
                    let mut p = String::new();
                    push_token(&mut p, field.name);
                    p.push_str(&rest);
                    return Some(p);
                }
            }
            _ => {}
        }
    }
    None
}

/// A provider's field error as the proxy relays it: the path (reduced to
/// field names and indices the schema knows, else `""`) and the code, with
/// enlist's own message. The provider's text is never relayed: it could echo
/// anything, including the API key or personal data.
pub fn relayed_issue(provider: &dyn AnyProvider, issue: &Issue) -> Issue {
    let mut names = Vec::new();
    crate::log::field_names(provider.schema(), &mut names);
    let path = crate::log::sanitize_path(&issue.path, &names);
    let path = if path.contains("<other>") {
        String::new()
    } else {
        path
    };
    let message = match issue.code {
        Code::AlreadyExists => "A user with this email already exists.",
        Code::Required => "The provider requires this field.",
        Code::UnknownField => "The provider does not know this field.",
        Code::Enum => "The provider does not accept this value.",
        Code::Email => "The provider does not accept this email address.",
        Code::Domain => "The provider does not accept this email domain.",
        Code::Phone => "The provider does not accept this phone number.",
        Code::Type => "The provider expects another type of value here.",
        Code::MinLength => "The provider finds this value too short.",
        Code::MaxLength => "The provider finds this value too long.",
        _ => "The provider rejected this value.",
    };
    Issue::new(path, issue.code, message, Params::new())
}

fn upstream_error() -> Problem {
    Problem::new(
        Kind::UpstreamError,
        "The provider failed or refused the request. Try again later; if it persists, tell the operator of this service.",
    )
}

/// A reply and, when the provider's answer was not relayed as given, why
/// (`upstream_malformed`: unreadable, or a success whose ids are not ids;
/// `upstream_echoed_secret`: a success holding a configured key or token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    /// The answer to send.
    pub reply: Reply,
    /// The log note.
    pub note: Option<&'static str>,
}

/// Whether a created user's relayed strings (its id, its memberships) hold
/// one of `secrets`.
fn holds_secret(created: &enlist_core::Created, secrets: &Secrets) -> bool {
    secrets.found_in(&created.id)
        || created.workspaces.iter().any(|m| {
            [&m.workspace_id, &m.role, &m.member_id]
                .iter()
                .any(|s| secrets.found_in(s))
        })
}

/// The proxy's answer to a provider outcome; `now` (Unix seconds) turns an
/// HTTP-date `Retry-After` into a delay. A success whose relayed strings hold
/// one of `secrets` (a provider, or a wrong base URL, echoing the key) is a
/// 502 instead.
#[allow(clippy::too_many_arguments)]
pub fn reply_for(
    provider: &dyn AnyProvider,
    op: Op,
    user_id: Option<&str>,
    outcome: Outcome,
    warnings: &serde_json::Value,
    request_id: &str,
    now: u64,
    secrets: &Secrets,
) -> Screened {
    let mut note = None;
    let problem = match outcome {
        Outcome::Created(created) if holds_secret(&created, secrets) => {
            note = Some("upstream_echoed_secret");
            upstream_error()
        }
        Outcome::Created(created) => {
            let mut body = match serde_json::to_value(&created) {
                Ok(serde_json::Value::Object(map)) => map,
                _ => serde_json::Map::new(),
            };
            body.insert(created::WARNINGS.name.into(), warnings.clone());
            return Screened {
                reply: Reply::json(201, serde_json::Value::Object(body).to_string()),
                note: None,
            };
        }
        Outcome::Invited(invited) => {
            let mut body = serde_json::Map::new();
            body.insert(created::PROVIDER.name.into(), invited.provider.into());
            body.insert(created::STATUS.name.into(), invited.status.into());
            body.insert(created::ID.name.into(), user_id.unwrap_or_default().into());
            let body = serde_json::Value::Object(body);
            return Screened {
                reply: Reply::json(200, body.to_string()),
                note: None,
            };
        }
        Outcome::Validation(f) => {
            let mut errors: Vec<Issue> = f
                .errors
                .iter()
                .map(|i| relayed_issue(provider, i))
                .collect();
            if errors.is_empty() {
                errors.push(Issue::new(
                    "",
                    Code::Rejected,
                    "The provider rejected the request without saying why.",
                    Params::new(),
                ));
            }
            let n = errors.len();
            Problem::new(
                Kind::Validation,
                format!("The provider rejected {n} value(s); see errors."),
            )
            .with_errors(errors)
        }
        Outcome::AlreadyExists(f) => {
            let mut errors: Vec<Issue> = f
                .errors
                .iter()
                .filter(|i| i.code == Code::AlreadyExists)
                .map(|i| relayed_issue(provider, i))
                .collect();
            if errors.is_empty() {
                errors.push(Issue::new(
                    email_path(provider.schema()).unwrap_or_default(),
                    Code::AlreadyExists,
                    "A user with this email already exists.",
                    Params::new(),
                ));
            }
            Problem::new(
                Kind::AlreadyExists,
                "The provider already has a user with this email.",
            )
            .with_errors(errors)
        }
        Outcome::RateLimited(f) => Problem::new(
            Kind::RateLimited,
            "The provider is rate limiting this service; retry later.",
        )
        .with_retry_after(
            f.retry_after
                .map_or(DEFAULT_UPSTREAM_RETRY_AFTER, |r| r.seconds_from(now)),
        ),
        Outcome::NotFound(_) if op == Op::Invite => {
            Problem::new(Kind::NotFound, "The provider has no user with this id.")
        }
        Outcome::Malformed(_) => {
            note = Some("upstream_malformed");
            upstream_error()
        }
        _ => upstream_error(),
    };
    Screened {
        reply: Reply::problem(&problem, request_id),
        note,
    }
}

/// Seconds since the Unix epoch, from the isolate's clock.
pub(crate) fn unix_now() -> u64 {
    // Date.now() is a finite, non-negative number of milliseconds; `as`
    // saturates anything else.
    (worker::js_sys::Date::now() / 1000.0) as u64
}

/// The credential for a job's provider, from `config` (the sender's own
/// environment); the problem to answer when it has none.
pub fn credential(config: &Config, job: &Job) -> Result<Header, Problem> {
    let provider = enlist_core::provider(&job.provider)
        .ok_or_else(|| Problem::new(Kind::Internal, "Unknown provider in an internal request."))?;
    let not_configured = || {
        Problem::new(
            Kind::ProviderNotConfigured,
            "This provider's settings on this proxy are unusable.",
        )
    };
    let ready = config
        .provider(provider.id())
        .and_then(|p| p.state.as_ref().ok())
        .ok_or_else(not_configured)?;
    provider
        .credential(&ready.settings)
        .map_err(|_| not_configured())
}

/// Performs the call and answers it, with the credential and the secrets of
/// `config` (the settings of the Worker or Durable Object that sends).
pub async fn execute(job: &Job, config: &Config) -> (Reply, Upstream) {
    let Some(provider) = enlist_core::provider(&job.provider) else {
        let p = Problem::new(Kind::Internal, "Unknown provider in an internal request.");
        return (Reply::problem(&p, &job.request_id), Upstream::default());
    };
    let credential = match credential(config, job) {
        Ok(c) => c,
        Err(p) => return (Reply::problem(&p, &job.request_id), Upstream::default()),
    };
    let started = worker::js_sys::Date::now();
    let result = send(&job.request, &credential, job.timeout_ms).await;
    let ms = worker::js_sys::Date::now() - started;
    match result {
        Ok(answer) => {
            let headers: Vec<(&str, &str)> = answer
                .retry_after
                .as_deref()
                .map(|v| ("retry-after", v))
                .into_iter()
                .collect();
            let outcome = match job.op {
                Op::Create => {
                    provider.parse_create_user_response(answer.status, &headers, &answer.body)
                }
                Op::Invite => provider.parse_invite_response(answer.status, &headers, &answer.body),
            };
            let screened = reply_for(
                provider,
                job.op,
                job.user_id.as_deref(),
                outcome,
                &job.warnings,
                &job.request_id,
                unix_now(),
                &config.secrets,
            );
            let upstream = Upstream {
                status: Some(answer.status),
                ms,
                failure: None,
                note: screened.note.map(str::to_string),
            };
            (screened.reply, upstream)
        }
        Err(failure) => {
            let (problem, failure) = if failure == "timeout" {
                (
                    Problem::new(
                        Kind::UpstreamTimeout,
                        "The provider did not answer in time. The user may or may not have been created.",
                    ),
                    "timeout",
                )
            } else {
                (upstream_error(), failure)
            };
            let upstream = Upstream {
                status: None,
                ms,
                failure: Some(failure.to_string()),
                note: None,
            };
            (Reply::problem(&problem, &job.request_id), upstream)
        }
    }
}

/// Sends a request enlist-core built (a read, search, update or delete)
/// with `provider`'s credential from `config`, added only as it leaves: the
/// request is first copied without its sensitive headers ([`Outbound`]).
/// `Ok` with the answer and the milliseconds it took; `Err` with
/// `provider_not_configured`, `timeout`, `network`, `too_large` or
/// `request` and the milliseconds spent.
pub async fn call(
    provider: &dyn AnyProvider,
    request: &HttpRequest,
    config: &Config,
) -> Result<(Answer, f64), (&'static str, f64)> {
    let credential = config
        .provider(provider.id())
        .and_then(|p| p.state.as_ref().ok())
        .and_then(|ready| provider.credential(&ready.settings).ok())
        .ok_or(("provider_not_configured", 0.0))?;
    let started = worker::js_sys::Date::now();
    let result = send(&Outbound::from(request), &credential, config.timeout_ms).await;
    let ms = worker::js_sys::Date::now() - started;
    result.map(|answer| (answer, ms)).map_err(|why| (why, ms))
}

/// A provider's answer, read within [`MAX_UPSTREAM_BODY`].
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After`, as sent.
    pub retry_after: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends a request with its credential (no redirects followed) and reads
/// the answer within `timeout_ms` (body included); the error says why there
/// is none: `timeout`, `request`, `network` or `too_large`.
///
/// The time limit is a [`crate::timer`] cleared as soon as the answer is
/// read, not an `AbortSignal.timeout()`, whose timer would stay active until
/// it fired: an import runner sending thousands of rows in one alarm would
/// run out of workerd's timers.
pub async fn send(
    out: &Outbound,
    credential: &Header,
    timeout_ms: u32,
) -> Result<Answer, &'static str> {
    let controller = web_sys::AbortController::new().map_err(|_| "request")?;
    let signal = controller.signal();
    let exchange = exchange(out, credential, &signal);
    match crate::timer::with_timeout(exchange, u64::from(timeout_ms)).await {
        Ok(answer) => answer,
        Err(elapsed) => {
            // Cancels the request (or the body still arriving) upstream.
            controller.abort();
            Err(match elapsed {
                crate::timer::Elapsed::TimedOut => "timeout",
                crate::timer::Elapsed::NoTimer => "request",
            })
        }
    }
}

/// One request and its answer, with no time limit of its own.
async fn exchange(
    out: &Outbound,
    credential: &Header,
    signal: &web_sys::AbortSignal,
) -> Result<Answer, &'static str> {
    let headers = web_sys::Headers::new().map_err(|_| "request")?;
    headers
        .set(credential.name, &credential.value)
        .map_err(|_| "request")?;
    for (name, value) in &out.headers {
        headers.set(name, value).map_err(|_| "request")?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(&out.method);
    init.set_headers_headers(&headers);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_signal(Some(signal));
    if let Some(body) = &out.body {
        init.set_body_opt_str(Some(body));
    }
    let global: web_sys::WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    let response: web_sys::Response =
        JsFuture::from(global.fetch_with_str_and_init(&out.url, &init))
            .await
            .map_err(|_| "network")?
            .unchecked_into();
    let status = response.status();
    let response_headers = response.headers();
    let retry_after = response_headers.get("retry-after").ok().flatten();
    let declared = response_headers
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    let body = match (declared, response.body()) {
        (_, None) => Vec::new(),
        (Some(n), _) if n > MAX_UPSTREAM_BODY => return Err("too_large"),
        (Some(_), Some(_)) => {
            let promise = response.array_buffer().map_err(|_| "network")?;
            let buffer = JsFuture::from(promise).await.map_err(|_| "network")?;
            worker::js_sys::Uint8Array::new(&buffer).to_vec()
        }
        (None, Some(stream)) => {
            let mut stream = ByteStream::from(stream);
            let mut body = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|_| "network")?;
                if body.len() + chunk.len() > MAX_UPSTREAM_BODY {
                    return Err("too_large");
                }
                body.extend_from_slice(&chunk);
            }
            body
        }
    };
    if body.len() > MAX_UPSTREAM_BODY {
        return Err("too_large");
    }
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use enlist_core::provider;

    fn screened(
        id: &str,
        op: Op,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
        secrets: &Secrets,
    ) -> Screened {
        let p = provider(id).unwrap();
        let outcome = match op {
            Op::Create => p.parse_create_user_response(status, headers, body.as_bytes()),
            Op::Invite => p.parse_invite_response(status, headers, body.as_bytes()),
        };
        reply_for(
            p,
            op,
            Some("u1"),
            outcome,
            &serde_json::json!([]),
            "rid",
            NOW,
            secrets,
        )
    }

    fn reply(id: &str, op: Op, status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        screened(id, op, status, headers, body, &Secrets::default()).reply
    }

    const KEY: &str = "3039ba033eb1410caa0a2227158d63c9d6502cd8";
    const TOKEN: &str = "tok_A_1a2b3c4d5e6f";

    /// Issue 17: success fields went back as the provider sent them, at any
    /// length, an echoed key included.
    #[test]
    fn success_fields_are_checked_and_never_carry_a_secret() {
        let secrets = Secrets::new(vec![KEY.into(), TOKEN.into(), "pk".into()]);
        let partoo = |id: &str| {
            let body = serde_json::json!({"id": id, "status": "success"}).to_string();
            screened("partoo", Op::Create, 200, &[], &body, &secrets)
        };
        let pandadoc = |member_id: &str| {
            let body = serde_json::json!({"user_id": "KwahvjapLm4RDf6pfyYdjA", "workspaces": [{"workspace_id": "w", "role": "Member", "member_id": member_id}]}).to_string();
            screened("pandadoc", Op::Create, 201, &[], &body, &secrets)
        };
        for ok in [
            partoo("5309c3a237bbc544d8e26737"),
            partoo("apkb"),
            pandadoc("VQDH2hdAPJBhSWmMrYa3zu"),
        ] {
            assert_eq!((ok.reply.status, ok.note), (201, None));
        }
        let long = "a".repeat(10_000);
        for (bad, note) in [
            (partoo(&long), "upstream_malformed"),
            (partoo(&format!("x-APIKey: {KEY}")), "upstream_malformed"),
            (partoo(KEY), "upstream_echoed_secret"),
            (partoo(&format!("id-{TOKEN}")), "upstream_echoed_secret"),
            (partoo("pk"), "upstream_echoed_secret"),
            (pandadoc(&long[..129]), "upstream_malformed"),
            (pandadoc(KEY), "upstream_echoed_secret"),
        ] {
            assert_eq!(bad.reply.status, 502);
            assert_eq!(bad.reply.problem.as_deref(), Some("upstream_error"));
            assert_eq!(bad.note, Some(note));
            assert!(!bad.reply.is_final());
            for secret in [KEY, TOKEN, &long[..129]] {
                assert!(!bad.reply.body.contains(secret), "{}", bad.reply.body);
            }
        }
    }

    /// Issue 17: the key was in `Debug` output and in the JSON sent to the
    /// idempotency Durable Object.
    #[test]
    fn jobs_hold_no_credential_and_debug_hides_the_body() {
        let settings = enlist_core::Settings {
            api_key: KEY.into(),
            ..enlist_core::Settings::default()
        };
        let body = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","password":"Sup3r-secret!"}"#;
        let p = provider("partoo").unwrap();
        let built = p
            .build_create_user(body, &enlist_core::Options::default(), &settings)
            .unwrap();
        assert!(built.request.headers.iter().any(|h| h.value == KEY));
        let job = Job {
            provider: "partoo".into(),
            op: Op::Create,
            user_id: None,
            request: Outbound::from(&built.request),
            timeout_ms: 1000,
            warnings: serde_json::json!([]),
            request_id: "rid".into(),
        };
        let message = crate::idempotency::Message {
            hash: "h".into(),
            job: job.clone(),
        };
        let debug = format!("{job:?} {:?} {message:?}", job.request);
        let json = serde_json::to_string(&message).unwrap();
        for secret in [KEY, "ada@example.com", "Lovelace", "Sup3r-secret!"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(!json.contains(KEY), "{json}");
        assert!(!json.to_ascii_lowercase().contains("x-apikey"), "{json}");
        // The body still travels; the credential is added by the sender.
        assert!(json.contains("ada@example.com"));
        let config = Config::load(&|name| {
            (name == "PARTOO_API_KEY").then(|| crate::config::Value::Text(KEY.into()))
        });
        let header = credential(&config, &job).unwrap();
        assert_eq!((header.name, header.value.as_str()), ("x-APIKey", KEY));
        let unset = Config::load(&|_| None);
        assert_eq!(
            credential(&unset, &job).err().map(|p| p.kind),
            Some(Kind::ProviderNotConfigured)
        );
    }

    /// Wed, 21 Oct 2015 07:27:30 GMT.
    const NOW: u64 = 1_445_412_450;

    #[test]
    fn retry_after_in_both_forms_clamped() {
        let wait = |value: &str| {
            reply("partoo", Op::Create, 429, &[("Retry-After", value)], "").retry_after
        };
        assert_eq!(wait("Wed, 21 Oct 2015 07:28:00 GMT"), Some(30));
        assert_eq!(wait("Wednesday, 21-Oct-15 07:29:00 GMT"), Some(90));
        assert_eq!(wait("Wed Oct 21 07:27:00 2015"), Some(1)); // in the past
        assert_eq!(wait("Fri, 21 Oct 2016 07:28:00 GMT"), Some(86_400));
        assert_eq!(wait("-5"), Some(1));
        assert_eq!(wait("0"), Some(1));
        assert_eq!(wait("1000000000000000000000"), Some(86_400));
        assert_eq!(wait("tomorrow"), Some(DEFAULT_UPSTREAM_RETRY_AFTER));
    }

    fn json(r: &Reply) -> serde_json::Value {
        serde_json::from_str(&r.body).unwrap()
    }

    #[test]
    fn email_paths() {
        assert_eq!(
            email_path(provider("partoo").unwrap().schema()).as_deref(),
            Some("/email")
        );
        assert_eq!(
            email_path(provider("pandadoc").unwrap().schema()).as_deref(),
            Some("/user/email")
        );
    }

    /// The members of a success answer are the contract's
    /// (`enlist_core::proxy::created`, `invited`), the required ones always
    /// there.
    #[test]
    fn success_answers_have_the_contract_s_members() {
        use enlist_core::proxy::{invited, Member};
        let check = |r: &Reply, members: &[Member]| {
            let body = json(r);
            let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
            for key in &keys {
                assert!(members.iter().any(|m| m.name == key.as_str()), "{key}");
            }
            for m in members.iter().filter(|m| m.required) {
                assert!(body.get(m.name).is_some(), "{} missing", m.name);
            }
            keys.len()
        };
        let bare = reply(
            "partoo",
            Op::Create,
            200,
            &[],
            r#"{"id":"abc","status":"success"}"#,
        );
        let full = reply(
            "pandadoc",
            Op::Create,
            201,
            &[],
            r#"{"user_id":"U","workspaces":[{"workspace_id":"w","role":"Member","member_id":"m"}]}"#,
        );
        assert_eq!(check(&bare, created::MEMBERS), created::MEMBERS.len() - 1);
        assert_eq!(check(&full, created::MEMBERS), created::MEMBERS.len());
        let r = reply("partoo", Op::Invite, 200, &[], r#"{"status":"success"}"#);
        assert_eq!(check(&r, invited::MEMBERS), invited::MEMBERS.len());
    }

    #[test]
    fn created_and_invited() {
        let r = reply(
            "partoo",
            Op::Create,
            200,
            &[],
            r#"{"id":"abc","status":"success"}"#,
        );
        assert_eq!(r.status, 201);
        assert_eq!(
            json(&r),
            serde_json::json!({"provider": "partoo", "status": 200, "id": "abc", "warnings": []})
        );
        assert!(r.is_final());
        let r = reply(
            "pandadoc",
            Op::Create,
            201,
            &[],
            r#"{"user_id":"U","workspaces":[{"workspace_id":"w","role":"Member","member_id":"m"}]}"#,
        );
        assert_eq!(json(&r)["workspaces"][0]["member_id"], "m");
        let r = reply("partoo", Op::Invite, 200, &[], r#"{"status":"success"}"#);
        assert_eq!(r.status, 200);
        assert_eq!(
            json(&r),
            serde_json::json!({"provider": "partoo", "status": 200, "id": "u1"})
        );
    }

    #[test]
    fn provider_text_is_never_relayed() {
        let echo = "KEY-123 Sup3r-secret! +14842634627 ada@example.com";
        let body = format!(
            r#"{{"errors":{{"json":{{"first_name":["{echo} is bad"],"{echo}":["x"],"email":["already used {echo}"]}}}}}}"#
        );
        for status in [400, 422] {
            let r = reply("partoo", Op::Create, status, &[], &body);
            assert_eq!(r.status, 422);
            for part in echo.split(' ') {
                assert!(!r.body.contains(part), "{part} in {}", r.body);
            }
        }
        let r = reply(
            "partoo",
            Op::Create,
            400,
            &[],
            r#"{"errors":{"json":{"lang":["Must be one of: fr."],"nick":["Unknown field."]}}}"#,
        );
        let paths: Vec<String> = json(&r)["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    i["path"].as_str().unwrap(),
                    i["message"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                "/lang The provider does not accept this value.",
                " The provider does not know this field."
            ]
        );
    }

    #[test]
    fn provider_errors() {
        let r = reply(
            "partoo",
            Op::Create,
            400,
            &[],
            r#"{"errors":{"json":{"email":["This email is already used."]}}}"#,
        );
        assert_eq!(
            (r.status, r.problem.as_deref()),
            (422, Some("already_exists"))
        );
        assert_eq!(json(&r)["errors"][0]["path"], "/email");
        let r = reply(
            "pandadoc",
            Op::Create,
            400,
            &[],
            r#"{"type":"request_error","detail":{"email":["User already exists"]}}"#,
        );
        assert_eq!(json(&r)["errors"][0]["path"], "/user/email");
        let r = reply(
            "pandadoc",
            Op::Create,
            400,
            &[],
            r#"{"type":"request_error","detail":{"license":["Unable to add more licenses."]}}"#,
        );
        assert_eq!((r.status, r.problem.as_deref()), (422, Some("validation")));
        assert_eq!(json(&r)["errors"][0]["path"], "/license");
        assert!(r.is_final());
        let r = reply("pandadoc", Op::Create, 429, &[("Retry-After", "7")], "{}");
        assert_eq!((r.status, r.retry_after), (429, Some(7)));
        assert!(!r.is_final());
        let r = reply("pandadoc", Op::Create, 429, &[], "");
        assert_eq!(r.retry_after, Some(DEFAULT_UPSTREAM_RETRY_AFTER));
        let r = reply(
            "partoo",
            Op::Invite,
            404,
            &[],
            r#"{"errors":{"json":{"user_id":["User not found."]}}}"#,
        );
        assert_eq!(r.status, 404);
        for (status, body) in [
            (
                401,
                r#"{"errors":{"authentication":"User not authenticated"}}"#,
            ),
            (
                403,
                r#"{"errors":{"authorization":"Operation not allowed"}}"#,
            ),
            (404, r#"{"errors":{}}"#),
            (500, "{}"),
            (502, "<html>Bad gateway</html>"),
            (302, ""),
            (200, "{}"),
        ] {
            let r = reply("partoo", Op::Create, status, &[], body);
            assert_eq!(r.status, 502, "{status}");
            assert!(!r.body.contains("authenticated") && !r.body.contains("html"));
            assert!(!r.is_final());
        }
    }
}
