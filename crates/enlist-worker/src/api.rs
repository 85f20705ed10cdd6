//! The two provider endpoints: create a user, send an invitation. Nothing here
//! names a provider: everything goes through enlist-core's `AnyProvider`.
//!
//! Order of checks for `POST /v1/{provider}/users` (each refusal is final and
//! nothing is forwarded):
//!
//! 1. client token (admin mode) — 401; then the rate limit — 429;
//! 2. the provider is configured — 503;
//! 3. `Content-Type` is JSON — 415; the body is at most 64 KiB — 413; it
//!    arrives whole (not cut off before its declared length, well-formed
//!    chunked framing) — 400 `bad_request`;
//! 4. query flags, `Idempotency-Key`, policy and validation, all reported at
//!    once — 403 `policy` when the policy refuses anything, else 400
//!    `invalid_json` or 422 `validation`;
//! 5. forwarding (through the idempotency store when a key is given).

use crate::config::{Config, Ready, Unauthenticated};
use crate::forward::{self, Job, Op, Outbound, Reply};
use crate::idempotency::{self, Handling, Message};
use crate::log::LogLine;
use crate::problem::{Kind, Problem};
use enlist_core::policy::Mode;
use enlist_core::{AnyProvider, BuildError, Code, Issue, Options, Param, Params};
use futures_util::StreamExt;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, ByteStream, Env};

/// Largest accepted request body, in bytes (the contract's).
pub const MAX_BODY: usize = enlist_core::proxy::MAX_BODY;
/// Rate-limiting binding name.
pub const RATE_LIMITER: &str = "RATE_LIMITER";
/// Longest a single call waits for its slot in the provider's pace (admin
/// mode, alongside import jobs) before it is refused with a 429.
pub const MAX_PACE_WAIT_MS: u64 = 5_000;
/// `Retry-After` for our own rate limit (the binding's period).
pub const RATE_LIMIT_RETRY_AFTER: u64 = 60;

/// The outcome of a provider endpoint.
pub struct Handled {
    /// The answer.
    pub reply: Reply,
    /// The answer is a stored one.
    pub replayed: bool,
}

impl From<Reply> for Handled {
    fn from(reply: Reply) -> Self {
        Handled {
            reply,
            replayed: false,
        }
    }
}

/// What a provider endpoint needs to know about the request.
pub struct Call<'a> {
    /// Bindings.
    pub env: &'a Env,
    /// Settings.
    pub config: &'a Config,
    /// Request headers.
    pub headers: &'a web_sys::Headers,
    /// Request id.
    pub request_id: &'a str,
    /// URL path and query (for the idempotency hash).
    pub path: &'a str,
    /// Raw query string, without `?`.
    pub query: &'a str,
    /// The log line.
    pub log: &'a mut LogLine,
}

impl<'a> Call<'a> {
    pub(crate) fn problem(&self, problem: Problem) -> Handled {
        Reply::problem(&problem, self.request_id).into()
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }

    /// Token check and rate limit. `Ok(scope)`: whom the call's
    /// `Idempotency-Key` belongs to ([`Caller::scope`]).
    pub(crate) async fn admit(&mut self) -> Result<String, Handled> {
        self.admit_with(RATE_LIMITER).await
    }

    /// [`Call::admit`] against another rate-limiting binding.
    pub(crate) async fn admit_with(&mut self, limiter: &str) -> Result<String, Handled> {
        let caller = Caller::identify(self.config, self.headers);
        if !within_rate_limit(self.env, limiter, &caller.rate_key(), self.log).await {
            return Err(self.problem(rate_limited()));
        }
        caller.scope().map_err(|_| {
            self.problem(Problem::new(
                Kind::Unauthorized,
                "This endpoint needs an Authorization: Bearer <client token> header with a valid token.",
            ))
        })
    }

    /// Both gates every provider call passes, in order: [`Call::admit`], then
    /// [`Call::ready`]. `Ok((scope, settings))`, or the refusal to send.
    async fn admit_to(
        &mut self,
        provider: &dyn AnyProvider,
    ) -> Result<(String, &'a Ready), Handled> {
        let scope = self.admit().await?;
        let ready = self.ready(provider)?;
        Ok((scope, ready))
    }

    /// The provider's settings, or the 503.
    pub(crate) fn ready(&mut self, provider: &dyn AnyProvider) -> Result<&'a Ready, Handled> {
        let config: &'a Config = self.config;
        let state = config.provider(provider.id()).map(|p| p.state.as_ref());
        match state {
            Some(Ok(ready)) => Ok(ready),
            Some(Err(why)) => {
                self.log.notes.push(why.code().to_string());
                Err(self.problem(Problem::new(Kind::ProviderNotConfigured, why.detail())))
            }
            None => Err(self.problem(Problem::new(
                Kind::ProviderNotConfigured,
                "This provider is not configured.",
            ))),
        }
    }

    /// The `Idempotency-Key`, checked.
    fn idempotency_key(&self) -> Result<Option<String>, Issue> {
        match self.header(enlist_core::proxy::IDEMPOTENCY_KEY) {
            None => Ok(None),
            Some(k) => idempotency::check_key(&k).map(|k| Some(k.to_string())),
        }
    }

    /// Forwards a job, through the idempotency store when there is a key.
    async fn forward(
        &mut self,
        job: Job,
        key: Option<(String, String)>,
    ) -> worker::Result<Handled> {
        let Some((name, hash)) = key else {
            let (reply, upstream) = forward::execute(&job, self.config).await;
            self.note_upstream(&upstream);
            return Ok(reply.into());
        };
        let answer = idempotency::call(self.env, &name, &Message { hash, job }).await?;
        if let Some(upstream) = &answer.upstream {
            self.note_upstream(upstream);
        }
        let (handling, problem) = match answer.handling {
            Handling::Fresh => ("fresh", None),
            Handling::Replayed => ("replayed", None),
            Handling::InFlight => (
                "in_flight",
                Some(
                    Problem::new(
                        Kind::IdempotencyInFlight,
                        "The first request with this Idempotency-Key has not finished; retry shortly.",
                    )
                    .with_retry_after(1),
                ),
            ),
            Handling::Mismatch => (
                "mismatch",
                Some(Problem::new(
                    Kind::IdempotencyKeyReused,
                    "This Idempotency-Key was used for a different request; use a new key.",
                )),
            ),
        };
        self.log.idempotency = Some(handling);
        if let Some(problem) = problem {
            return Ok(self.problem(problem));
        }
        match answer.reply {
            Some(reply) => Ok(Handled {
                reply,
                replayed: answer.handling == Handling::Replayed,
            }),
            None => Err(worker::Error::RustError(
                "the idempotency store sent no answer".into(),
            )),
        }
    }

    fn note_upstream(&mut self, upstream: &forward::Upstream) {
        self.log.upstream_status = upstream.status;
        self.log.upstream_ms = Some(upstream.ms);
        self.log.upstream_failure = upstream.failure.clone();
        if let Some(note) = &upstream.note {
            self.log.notes.push(note.clone());
        }
    }

    fn job(
        &self,
        provider: &dyn AnyProvider,
        op: Op,
        user_id: Option<&str>,
        request: &enlist_core::HttpRequest,
        warnings: serde_json::Value,
    ) -> Job {
        Job {
            provider: provider.id().to_string(),
            op,
            user_id: user_id.map(str::to_string),
            request: Outbound::from(request),
            timeout_ms: self.config.timeout_ms,
            warnings,
            request_id: self.request_id.to_string(),
        }
    }

    /// The declared `Content-Length`, or the 413 when it is over the limit.
    pub(crate) fn declared_length(&self, limit: usize) -> Result<Option<u64>, Handled> {
        let declared = self
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(n) if n > limit as u64 => Err(self.too_large(limit)),
            other => Ok(other),
        }
    }

    pub(crate) fn too_large(&self, limit: usize) -> Handled {
        self.problem(Problem::new(
            Kind::PayloadTooLarge,
            format!("The body is over {limit} bytes."),
        ))
    }

    /// In admin mode, where import jobs spend the provider's budget, takes
    /// this call's slot in the same pace ([`crate::imports`]) and waits for
    /// it; a slot further away than [`MAX_PACE_WAIT_MS`] is a 429 instead.
    /// A runner that cannot be asked lets the call through (noted in the
    /// log).
    pub(crate) async fn pace(&mut self, provider: &dyn AnyProvider) -> Result<(), Handled> {
        if self.config.mode != Mode::Admin {
            return Ok(());
        }
        match crate::imports::routes::reserve(self.env, provider).await {
            Ok(0) => Ok(()),
            Ok(wait) => {
                // A near slot is waited for here; a far one, or one no
                // timer can wait for, by the caller.
                if wait <= MAX_PACE_WAIT_MS {
                    if let Ok(timer) = crate::timer::Timer::after(wait) {
                        self.log.notes.push("paced".into());
                        timer.await;
                        return Ok(());
                    }
                }
                Err(self.problem(
                    Problem::new(
                        Kind::RateLimited,
                        "Import jobs are using the provider's budget; retry later.",
                    )
                    .with_retry_after(wait.div_ceil(1_000)),
                ))
            }
            Err(_) => {
                self.log.notes.push("pace_unavailable".into());
                Ok(())
            }
        }
    }

    /// The 400 for a body the runtime could not deliver whole: the client
    /// stopped before its declared `Content-Length`, or its chunked framing is
    /// broken. Nothing was read that could be forwarded.
    pub(crate) fn broken_body(&mut self) -> Handled {
        self.log.notes.push("request_body_unreadable".into());
        self.problem(Problem::new(
            Kind::BadRequest,
            "The request body ended early or its framing is broken (Content-Length or chunked encoding); nothing was forwarded.",
        ))
    }
}

/// Who is calling, as far as the proxy can tell: the client token's
/// fingerprint when a valid one is presented (admin mode), else the client IP
/// (`CF-Connecting-IP`, set by Cloudflare).
pub struct Caller {
    /// The authentication result (`Ok(None)` in public mode).
    pub token: Result<Option<String>, Unauthenticated>,
    /// The client IP, `unknown` without the header.
    pub ip: String,
}

impl Caller {
    /// Reads the caller from the request headers.
    pub fn identify(config: &Config, headers: &web_sys::Headers) -> Caller {
        let header = |name: &str| headers.get(name).ok().flatten();
        let token = match config.mode {
            Mode::Public => Ok(None),
            Mode::Admin => config.authenticate(header("authorization").as_deref()),
        };
        Caller {
            token,
            ip: header("cf-connecting-ip").unwrap_or_else(|| "unknown".into()),
        }
    }

    /// The rate limiter's key: `token:<fingerprint>` for a valid client
    /// token, else `ip:<address>`.
    pub fn rate_key(&self) -> String {
        match &self.token {
            Ok(Some(fingerprint)) => format!("token:{fingerprint}"),
            _ => format!("ip:{}", self.ip),
        }
    }

    /// The scope of the caller's `Idempotency-Key`s: the token's fingerprint
    /// in admin mode, `ip:<address>` in public mode (so a key is never shared
    /// between callers); `Err` for a missing or wrong token.
    pub fn scope(&self) -> Result<String, Unauthenticated> {
        match &self.token {
            Ok(Some(fingerprint)) => Ok(fingerprint.clone()),
            Ok(None) => Ok(format!("ip:{}", self.ip)),
            Err(e) => Err(*e),
        }
    }
}

/// The `429` for a caller over the proxy's own rate limit.
pub fn rate_limited() -> Problem {
    Problem::new(
        Kind::RateLimited,
        "Too many requests from this client; retry later.",
    )
    .with_retry_after(RATE_LIMIT_RETRY_AFTER)
}

/// Counts a call against the rate limit for `key`; `false` when it is over.
/// A missing or failing binding counts as "within the limit" and is noted in
/// the log.
pub async fn within_rate_limit(env: &Env, binding: &str, key: &str, log: &mut LogLine) -> bool {
    let limiter = match env.rate_limiter(binding) {
        Ok(l) => l,
        Err(_) => {
            log.notes.push("rate_limiter_unavailable".into());
            return true;
        }
    };
    match limiter.limit(key.to_string()).await {
        Ok(outcome) => outcome.success,
        Err(_) => {
            log.notes.push("rate_limiter_failed".into());
            true
        }
    }
}

/// Most bytes read and thrown away to answer an oversized request on a clean
/// connection (a client still sending its body when the answer comes may see
/// a reset instead of the 413); larger bodies are not read at all.
pub const DRAIN_LIMIT: usize = 1024 * 1024;

/// Reads and discards the body, up to [`DRAIN_LIMIT`] bytes; `false` when
/// the runtime reported it broken (cut off, bad chunked framing).
async fn drain(req: &web_sys::Request) -> bool {
    match req.body() {
        Some(stream) => drain_stream(ByteStream::from(stream), 0).await,
        None => true,
    }
}

async fn drain_stream(mut stream: ByteStream, mut seen: usize) -> bool {
    while seen <= DRAIN_LIMIT {
        match stream.next().await {
            Some(Ok(chunk)) => seen += chunk.len(),
            Some(Err(_)) => return false,
            None => break,
        }
    }
    true
}

/// Reads and discards a body nothing has read yet, when its declared length
/// is within [`DRAIN_LIMIT`]. Called after every request: workerd ends a
/// keep-alive connection whose request body was left unread, without
/// `Connection: close`, so a client's next request on it would fail
/// (tests/reliability/keepalive.test.mjs).
pub async fn drain_unread(req: &web_sys::Request) {
    if req.body_used() {
        return;
    }
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > 0 && n <= DRAIN_LIMIT as u64) {
        drain(req).await;
    }
}

/// A request body as read.
pub(crate) enum Body {
    /// The whole body.
    Whole(Vec<u8>),
    /// Over [`MAX_BODY`] bytes.
    TooLarge,
    /// The runtime could not deliver it whole: the client stopped sending
    /// before its `Content-Length`, or broke the chunked framing.
    Broken,
}

/// Reads at most `limit` bytes (nothing is kept beyond that). With a
/// declared (and already checked) `Content-Length` the runtime delivers at
/// most that many bytes, so the body is read in one piece; otherwise it is
/// streamed and reading stops at the limit (the rest is drained, see
/// [`DRAIN_LIMIT`]). A read the runtime fails is [`Body::Broken`], never an
/// internal error: only the client can cause it.
pub(crate) async fn read_body(
    req: &web_sys::Request,
    declared: bool,
    limit: usize,
) -> worker::Result<Body> {
    let Some(stream) = req.body() else {
        return Ok(Body::Whole(Vec::new()));
    };
    if declared {
        let Ok(buffer) = JsFuture::from(req.array_buffer()?).await else {
            return Ok(Body::Broken);
        };
        let body = worker::js_sys::Uint8Array::new(&buffer).to_vec();
        return Ok(if body.len() <= limit {
            Body::Whole(body)
        } else {
            Body::TooLarge
        });
    }
    let mut stream = ByteStream::from(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Ok(Body::Broken);
        };
        if body.len() + chunk.len() > limit {
            drain_stream(stream, body.len() + chunk.len()).await;
            return Ok(Body::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Whole(body))
}

/// Drains an oversized body whose declared length is within [`DRAIN_LIMIT`].
pub(crate) async fn drain_declared(call: &Call<'_>, req: &web_sys::Request) {
    let declared = call
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    if declared <= DRAIN_LIMIT as u64 {
        drain(req).await;
    }
}

/// Whether a `Content-Type` is JSON (`application/json`, `…+json`, any
/// parameters).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `POST /v1/{provider}/users`.
pub async fn create_user(
    call: &mut Call<'_>,
    req: &web_sys::Request,
    provider: &'static dyn AnyProvider,
) -> worker::Result<Handled> {
    let (scope, ready) = match call.admit_to(provider).await {
        Ok(admitted) => admitted,
        Err(h) => return Ok(h),
    };
    let content_type = call.header("content-type").unwrap_or_default();
    if !is_json(&content_type) {
        return Ok(call.problem(Problem::new(
            Kind::UnsupportedMediaType,
            "The body must be JSON, sent with Content-Type: application/json.",
        )));
    }
    let declared = match call.declared_length(MAX_BODY) {
        Ok(d) => d.is_some(),
        Err(h) => {
            drain_declared(call, req).await;
            return Ok(h);
        }
    };
    let body = match read_body(req, declared, MAX_BODY).await? {
        Body::Whole(body) => body,
        Body::TooLarge => return Ok(call.too_large(MAX_BODY)),
        Body::Broken => return Ok(call.broken_body()),
    };

    // Everything that is wrong, at once.
    let mut errors: Vec<Issue> = Vec::new();
    let mut settings = ready.settings.clone();
    match provider.parse_query_flags(call.query) {
        Ok(flags) => {
            for (name, value) in flags {
                settings.set_flag(name, value);
            }
        }
        Err(issues) => errors.extend(issues),
    }
    let key = match call.idempotency_key() {
        Ok(k) => k,
        Err(issue) => {
            errors.push(issue);
            None
        }
    };
    let evaluation = ready.policy.evaluate(provider, &body);
    let refusals = evaluation.refusals;
    let payload = evaluation.body.as_deref().unwrap_or(&body);
    if evaluation.body.is_some() {
        // The rewritten payload lost duplicate keys; report them from the original.
        let original = provider.check_json(&body, &Options::default());
        errors.extend(
            original
                .errors
                .into_iter()
                .filter(|i| i.code == Code::Duplicate),
        );
    }
    let built = provider.build_create_user(payload, &Options::default(), &settings);
    let built = match built {
        Ok(built) => Some(built),
        Err(BuildError::Invalid(report)) => {
            errors.extend(report.errors);
            None
        }
        Err(e) => {
            let code = match &e {
                BuildError::Request(r) => r.code(),
                _ => "build_failed",
            };
            call.log.notes.push(code.to_string());
            return Ok(call.problem(Problem::new(
                Kind::ProviderNotConfigured,
                "This provider's settings on this proxy are unusable.",
            )));
        }
    };
    if !refusals.is_empty() {
        let mut all = refusals;
        all.extend(errors);
        call.log.issues(Some(provider), &all);
        let n = all.iter().filter(|i| i.code == Code::Policy).count();
        return Ok(call.problem(
            Problem::new(
                Kind::Policy,
                format!("This service's policy refuses {n} value(s); see errors."),
            )
            .with_errors(all),
        ));
    }
    let built = match built {
        Some(b) if errors.is_empty() => b,
        _ => {
            call.log.issues(Some(provider), &errors);
            let kind = if errors.iter().any(|i| i.code == Code::InvalidJson) {
                Kind::InvalidJson
            } else {
                Kind::Validation
            };
            let detail = if kind == Kind::InvalidJson {
                "The body is not valid JSON; see errors.".to_string()
            } else {
                format!("{} problem(s) with the request; see errors.", errors.len())
            };
            return Ok(call.problem(Problem::new(kind, detail).with_errors(errors)));
        }
    };
    let warnings = serde_json::to_value(&built.warnings).unwrap_or_default();
    let job = call.job(provider, Op::Create, None, &built.request, warnings);
    let key = key.map(|k| {
        (
            idempotency::object_name(provider.id(), &scope, &k),
            idempotency::request_hash("POST", call.path, call.query, &body),
        )
    });
    if let Err(h) = call.pace(provider).await {
        return Ok(h);
    }
    call.forward(job, key).await
}

/// `POST /v1/{provider}/users/{id}/invite`. The body is ignored.
pub async fn invite(
    call: &mut Call<'_>,
    req: &web_sys::Request,
    provider: &'static dyn AnyProvider,
    user_id: &str,
) -> worker::Result<Handled> {
    let (scope, ready) = match call.admit_to(provider).await {
        Ok(admitted) => admitted,
        Err(h) => return Ok(h),
    };
    if !ready.policy.allows_invite() {
        let refusal = Issue::new(
            "",
            Code::Policy,
            "Invitations are not allowed on this service.",
            Params::new().with("rule", Param::Str("invite".into())),
        );
        let detail = if call.config.mode == Mode::Public {
            "Invitations are not available to public callers."
        } else {
            "This service's policy does not allow invitations."
        };
        return Ok(call.problem(Problem::new(Kind::Policy, detail).with_errors(vec![refusal])));
    }
    if let Err(h) = call.declared_length(MAX_BODY) {
        drain_declared(call, req).await;
        return Ok(h);
    }
    // The body is ignored; read it so the connection stays usable, and refuse
    // a broken one as the create route does.
    if !drain(req).await {
        return Ok(call.broken_body());
    }
    let key = match call.idempotency_key() {
        Ok(k) => k,
        Err(issue) => {
            call.log.issues(None, std::slice::from_ref(&issue));
            return Ok(call.problem(
                Problem::new(Kind::Validation, "The Idempotency-Key header is invalid.")
                    .with_errors(vec![issue]),
            ));
        }
    };
    let request = match provider.build_invite(user_id, &ready.settings) {
        Ok(r) => r,
        Err(e) => {
            call.log.notes.push(e.code().to_string());
            return Ok(call.problem(Problem::not_found()));
        }
    };
    let job = call.job(
        provider,
        Op::Invite,
        Some(user_id),
        &request,
        serde_json::Value::Array(Vec::new()),
    );
    let key = key.map(|k| {
        (
            idempotency::object_name(provider.id(), &scope, &k),
            idempotency::request_hash("POST", call.path, "", b""),
        )
    });
    if let Err(h) = call.pace(provider).await {
        return Ok(h);
    }
    call.forward(job, key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ;x=y",
            "application/merge-patch+json",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/jsonx",
            "text/json",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }
}
