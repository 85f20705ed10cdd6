//! The enlist edge proxy, a Cloudflare Worker written with workers-rs.
//!
//! It holds the providers' API keys so browsers never see them: a caller sends
//! the provider's own create-user payload, the Worker checks it (origin, client
//! token, rate limit, size, policy, enlist-core validation), builds the
//! upstream request with enlist-core from the validated value only, adds the
//! key and forwards it.
//!
//! | Method | Path | Answer |
//! |--------|------|--------|
//! | `POST` | `/v1/{provider}/users` | `201` created (see [`forward`]) or a problem |
//! | `POST` | `/v1/{provider}/users/{id}/invite` | `200` invitation sent, or a problem |
//! | `GET`  | `/v1/health` | `200` liveness and which providers are configured |
//! | `GET`  | `/v1/openapi.json` | `200` the OpenAPI 3.1 document of this API |
//! | `OPTIONS` | any of the above | CORS preflight |
//!
//! Every error is an RFC 9457 problem ([`problem`]); every response carries
//! `X-Request-Id`, and one JSON log line is written per request ([`log`]).
//! Static files (`www/`) are served by the assets binding without running the
//! Worker; only `/v1/*` reaches this code (`run_worker_first` in
//! `wrangler.toml`). Settings: [`config`]; policy: `enlist_core::policy`;
//! idempotency: [`idempotency`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod config;
pub mod cors;
pub mod forward;
pub mod idempotency;
pub mod imports;
pub mod log;
pub mod openapi;
pub mod problem;
pub mod route;
pub mod scim;
pub mod timer;

pub use idempotency::IdempotencyStore;
pub use imports::ImportRunner;
pub use problem::Problem;
pub use scim::ScimDirectory;

use config::Config;
use enlist_core::policy::Mode;
use enlist_core::proxy;
use forward::Reply;
use log::LogLine;
use problem::{Kind, PROBLEM_JSON};
use route::Route;
use std::cell::RefCell;
use std::rc::Rc;
use worker::wasm_bindgen::JsValue;
use worker::{console_log, event, web_sys, Context, Env};

thread_local! {
    /// Settings, read once per isolate (bindings only change with a new
    /// deployment, which starts new isolates).
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

/// The settings from `env` (the Worker's or the Durable Object's own
/// bindings), read once per isolate.
pub(crate) fn config(env: &Env) -> Rc<Config> {
    if let Some(c) = CONFIG.with(|c| c.borrow().clone()) {
        return c;
    }
    let loaded = Rc::new(Config::load(&|name| read_binding(env, name)));
    if !loaded.notes.is_empty() {
        let line =
            serde_json::json!({"level": "warn", "msg": "configuration", "notes": loaded.notes});
        console_log!("{line}");
    }
    CONFIG.with(|c| *c.borrow_mut() = Some(loaded.clone()));
    loaded
}

fn read_binding(env: &Env, name: &str) -> Option<config::Value> {
    let value = worker::js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    if let Some(text) = value.as_string() {
        return Some(config::Value::Text(text));
    }
    env.object_var::<serde_json::Value>(name)
        .ok()
        .map(config::Value::Json)
}

/// Fills `out` from the runtime's cryptographic random generator
/// (`crypto.getRandomValues`).
pub(crate) fn random_bytes(out: &mut [u8]) -> worker::Result<()> {
    use worker::js_sys::{global, Function, Reflect, Uint8Array};
    use worker::wasm_bindgen::JsCast;
    let crypto = Reflect::get(&global(), &JsValue::from_str("crypto"))?;
    let fill: Function = Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))?
        .dyn_into()
        .map_err(|_| worker::Error::RustError("crypto.getRandomValues is missing".into()))?;
    let array = Uint8Array::new_with_length(u32::try_from(out.len()).unwrap_or(u32::MAX));
    fill.call1(&crypto, &array)?;
    array.copy_to(out);
    Ok(())
}

/// 26 hexadecimal characters (104 random bits).
fn new_request_id() -> String {
    let a = (worker::js_sys::Math::random() * (1u64 << 52) as f64) as u64;
    let b = (worker::js_sys::Math::random() * (1u64 << 52) as f64) as u64;
    format!("{a:013x}{b:013x}")
}

/// What to send.
struct Out {
    reply: Reply,
    replayed: bool,
    /// `Access-Control-Allow-Origin`, for allowed cross-origin callers.
    allow_origin: Option<String>,
    /// A preflight answer: the methods to allow.
    preflight: Option<&'static str>,
    /// A streamed answer with its own body and content type; the common
    /// headers are added to it.
    raw: Option<web_sys::Response>,
}

impl Out {
    fn new(reply: Reply) -> Self {
        Out {
            reply,
            replayed: false,
            allow_origin: None,
            preflight: None,
            raw: None,
        }
    }
}

/// Runs once when the isolate instantiates the Worker, before any request.
///
/// The futures that `await` JavaScript promises run on `js-sys`'s task
/// queue, which wakes its tasks through the global `queueMicrotask` when
/// there is one and through a resolved promise's `then` otherwise, and picks
/// one of the two when it is first used. In workerd a `queueMicrotask` call
/// costs several microseconds more than `then`: a proxied request wakes five
/// tasks, and profiled (`bench/worker-profile.mjs`, six alternating pairs)
/// the isolate spent 12–71 µs less per request on the `then` path, about 5 %
/// of its busy time (docs/benchmarks.md, "Worker"). So the queue is first
/// used here, with `queueMicrotask` hidden for that moment and put back at
/// once. Both paths run the same tasks in the same order; if the global
/// cannot be changed, nothing is, and the queue uses `queueMicrotask`.
/// `tests/worker/microtasks.test.mjs` checks both on the built bundle.
#[event(start)]
fn start() {
    use worker::js_sys::{global, Object, Reflect};
    let global = global();
    let name = JsValue::from_str("queueMicrotask");
    let Ok(original) = Reflect::get(&global, &name) else {
        return;
    };
    // An inherited property is shadowed, then the shadow removed; an own one
    // is set back.
    let own = Object::has_own(&global, &name);
    if Reflect::set(&global, &name, &JsValue::UNDEFINED) != Ok(true) {
        return;
    }
    // Creates the queue (a task that does nothing, run at the next microtask).
    worker::wasm_bindgen_futures::spawn_local(async {});
    // Setting it to undefined worked, so putting it back does too; nothing
    // else in this Worker calls it meanwhile.
    let _ = if own {
        Reflect::set(&global, &name, &original)
    } else {
        Reflect::delete_property(&global, &name)
    };
}

/// The Worker's entry point. It works on the runtime's own `Request` and
/// `Response` objects (not workers-rs' wrappers, which read properties this
/// Worker never needs, such as `cf`, on every request). The work is the
/// request's ([`log::InRequest`]): a panic in it is logged with its id.
#[event(fetch)]
async fn fetch(
    req: web_sys::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<web_sys::Response> {
    panic_hook();
    let id = new_request_id();
    log::InRequest::new(&id, serve(req, env, id.clone())).await
}

/// Makes a panic write one JSON line (`console.error`) with the id of the
/// request whose work panicked ([`log::install_panic_hook`]). workers-rs
/// installs its own hook when the wasm instance starts, after the Worker's
/// start hook, so this runs from the first request (and each Durable
/// Object's constructor) of every instance instead; later calls do nothing.
pub(crate) fn panic_hook() {
    log::install_panic_hook_once(|line| worker::console_error!("{line}"));
}

/// Answers one request, and writes its log line.
async fn serve(
    req: web_sys::Request,
    env: Env,
    request_id: String,
) -> worker::Result<web_sys::Response> {
    let started = worker::js_sys::Date::now();
    #[cfg(feature = "test-panic")]
    test_panic(&req, &request_id).await;
    let method = req.method();
    let mut log = LogLine::new(&request_id, &method);
    let out = match handle(&req, &env, &method, &request_id, &mut log).await {
        Ok(out) => out,
        Err(e) => {
            log.notes.push(log::error_kind(&e).into());
            let problem = Problem::new(
                Kind::Internal,
                "The proxy failed to handle this request. Try again later.",
            );
            let url = req.url();
            Out::new(if route::is_scim_path(route::split_url(&url).0) {
                scim::problem_reply(&problem)
            } else {
                Reply::problem(&problem, &request_id)
            })
        }
    };
    // A body the handler left unread would end the keep-alive connection.
    api::drain_unread(&req).await;
    log.status = out.reply.status;
    log.problem = out.reply.problem.clone();
    log.duration_ms = worker::js_sys::Date::now() - started;
    console_log!("{}", log.to_json());
    respond(&out, &request_id)
}

/// With the `test-panic` feature, which only the test build of
/// `tests/worker/panic.test.mjs` enables (never a release): a request with an
/// `X-Enlist-Test-Panic` header logs `{"msg":"test-panic","request_id"}`,
/// waits that many milliseconds (other requests run meanwhile), then panics.
#[cfg(feature = "test-panic")]
#[allow(clippy::panic)]
async fn test_panic(req: &web_sys::Request, request_id: &str) {
    let Ok(Some(wait)) = req.headers().get("x-enlist-test-panic") else {
        return;
    };
    let line = serde_json::json!({"msg": "test-panic", "request_id": request_id});
    console_log!("{line}");
    let ms = wait.parse::<u64>().unwrap_or(0);
    worker::Delay::from(std::time::Duration::from_millis(ms)).await;
    panic!("a panic on purpose (test-panic feature)");
}

async fn handle(
    req: &web_sys::Request,
    env: &Env,
    method: &str,
    request_id: &str,
    log: &mut LogLine,
) -> worker::Result<Out> {
    let url = req.url();
    let (path, query, own_origin) = route::split_url(&url);
    let config = config(env);
    let headers = req.headers();
    let refused = Refusal {
        env,
        config: &config,
        headers: &headers,
        request_id,
        scim: route::is_scim_path(path),
    };
    // SCIM routes exist only with SCIM_TOKENS (import routes only in admin
    // mode: see `absent` below).
    let route = route::resolve(path).filter(|r| match r {
        Route::Scim(..) => config.scim_enabled(),
        _ => true,
    });
    let Some(route) = route else {
        return Ok(Out::new(refused.answer(Problem::not_found(), log).await));
    };
    log.route = route.template();
    log.provider = route.provider().map(|p| p.id());
    let origin = headers.get("origin")?;
    let verdict = cors::check(origin.as_deref(), own_origin, &config.allowed_origins);
    if verdict == cors::Verdict::Refused {
        let problem = Problem::new(
            Kind::OriginNotAllowed,
            "Calls from this origin are not allowed.",
        );
        return Ok(Out::new(refused.answer(problem, log).await));
    }
    let allow_origin = verdict.allow_origin().map(str::to_string);
    let with_cors = |mut out: Out| {
        out.allow_origin = allow_origin.clone();
        out
    };
    // The import routes exist in admin mode only: in public mode their
    // operations and preflights are 404 (another method is still a 405).
    let absent = route.is_import() && config.mode == Mode::Public;
    if absent && (method == "OPTIONS" || route.accepts(method)) {
        return Ok(with_cors(Out::new(
            refused.answer(Problem::not_found(), log).await,
        )));
    }
    if method == "OPTIONS" {
        let mut out = with_cors(Out::new(Reply::json(204, String::new())));
        out.preflight = Some(route.allow());
        return Ok(out);
    }
    if !route.accepts(method) {
        let problem = Problem::method_not_allowed(route.allow());
        return Ok(with_cors(Out::new(refused.answer(problem, log).await)));
    }
    match route {
        Route::Health => return Ok(with_cors(Out::new(health(&config)))),
        Route::OpenApi => return Ok(with_cors(Out::new(Reply::json(200, openapi::document())))),
        _ => {}
    }
    let mut call = api::Call {
        env,
        config: &config,
        headers: &headers,
        request_id,
        path,
        query,
        log,
    };
    let answer = match route {
        Route::CreateUser(provider) => api::create_user(&mut call, req, provider).await?.into(),
        Route::Invite(provider, user_id) => {
            api::invite(&mut call, req, provider, user_id).await?.into()
        }
        Route::CreateImport(_) | Route::Imports | Route::Import(..) => {
            // Boxed: the import routes are not inlined into the create path.
            let routed: std::pin::Pin<Box<dyn std::future::Future<Output = _> + '_>> =
                Box::pin(imports::routes::route(&mut call, req, route));
            routed.await?
        }
        Route::Scim(provider, part) => {
            // Boxed likewise.
            let routed: std::pin::Pin<Box<dyn std::future::Future<Output = _> + '_>> = Box::pin(
                scim::route(&mut call, req, method, provider, part, own_origin),
            );
            api::Handled::from(routed.await?).into()
        }
        Route::Health | Route::OpenApi => {
            return Err(worker::Error::RustError("unreachable route".into()))
        }
    };
    let out = match answer {
        imports::routes::Answer::Reply(handled) => {
            let mut out = Out::new(handled.reply);
            out.replayed = handled.replayed;
            out
        }
        imports::routes::Answer::Stream(response) => {
            let mut out = Out::new(Reply::json(response.status(), String::new()));
            out.raw = Some(response);
            out
        }
    };
    Ok(with_cors(out))
}

/// What a refusal on path, origin or method needs.
struct Refusal<'a> {
    env: &'a Env,
    config: &'a Config,
    headers: &'a web_sys::Headers,
    request_id: &'a str,
    /// The path is under `/scim/`: answer in SCIM's error format.
    scim: bool,
}

impl Refusal<'_> {
    /// `problem`, counted against the caller's rate limit like any other call
    /// (a caller over it gets the 429 instead), so probing paths, methods or
    /// origins is bounded too.
    async fn answer(&self, problem: Problem, log: &mut LogLine) -> Reply {
        let key = api::Caller::identify(self.config, self.headers).rate_key();
        let problem = if api::within_rate_limit(self.env, api::RATE_LIMITER, &key, log).await {
            problem
        } else {
            api::rate_limited()
        };
        if self.scim {
            scim::problem_reply(&problem)
        } else {
            Reply::problem(&problem, self.request_id)
        }
    }
}

/// `GET /v1/health`: liveness, mode, and each provider's readiness (never a
/// key, URL or policy).
fn health(config: &Config) -> Reply {
    let providers: Vec<serde_json::Value> = config
        .providers
        .iter()
        .filter_map(|p| {
            let provider = enlist_core::provider(p.id)?;
            Some(match &p.state {
                Ok(ready) => serde_json::json!({
                    "id": p.id,
                    "name": provider.name(),
                    "configured": true,
                    "environment": ready.environment,
                    "invite": provider.has_invite() && ready.policy.allows_invite(),
                }),
                Err(why) => serde_json::json!({
                    "id": p.id,
                    "name": provider.name(),
                    "configured": false,
                    "reason": why.code(),
                    "invite": false,
                }),
            })
        })
        .collect();
    let body = serde_json::json!({
        "status": "ok",
        "mode": match config.mode { Mode::Public => "public", Mode::Admin => "admin" },
        "providers": providers,
    });
    Reply::json(200, body.to_string())
}

fn respond(out: &Out, request_id: &str) -> worker::Result<web_sys::Response> {
    let headers = match &out.raw {
        Some(raw) => raw.headers(),
        None => web_sys::Headers::new()?,
    };
    let status = out.reply.status;
    if out.raw.is_some() {
        // The stream set its own content type.
    } else if status != 204 {
        let content_type = if out.reply.scim {
            enlist_core::scim::CONTENT_TYPE
        } else if status < 300 {
            "application/json"
        } else {
            PROBLEM_JSON
        };
        headers.set("content-type", content_type)?;
    }
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set(proxy::REQUEST_ID, request_id)?;
    headers.set("vary", "Origin")?;
    if let Some(origin) = &out.allow_origin {
        headers.set("access-control-allow-origin", origin)?;
        headers.set("access-control-expose-headers", cors::EXPOSE_HEADERS)?;
    }
    if let Some(methods) = out.preflight {
        headers.set("allow", &format!("{methods}, OPTIONS"))?;
        if out.allow_origin.is_some() {
            headers.set(
                "access-control-allow-methods",
                &format!("{methods}, OPTIONS"),
            )?;
            headers.set("access-control-allow-headers", cors::ALLOW_HEADERS)?;
            headers.set("access-control-max-age", cors::MAX_AGE)?;
        }
    }
    if let Some(seconds) = out.reply.retry_after {
        headers.set(proxy::RETRY_AFTER, &seconds.to_string())?;
    }
    if let Some(allow) = out.reply.allow {
        headers.set("allow", allow)?;
    }
    if status == 401 {
        headers.set("www-authenticate", "Bearer")?;
    }
    if out.replayed {
        headers.set(proxy::IDEMPOTENT_REPLAYED, "true")?;
    }
    if let Some(location) = &out.reply.location {
        headers.set("location", location)?;
    }
    if let Some(raw) = &out.raw {
        return Ok(Clone::clone(raw));
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers_headers(&headers);
    let body = (!out.reply.body.is_empty()).then_some(out.reply.body.as_str());
    Ok(web_sys::Response::new_with_opt_str_and_init(body, &init)?)
}
