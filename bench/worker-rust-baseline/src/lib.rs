//! Benchmark only. The JavaScript baseline Worker of `bench/worker-baseline/`
//! written line for line in Rust on workers-rs, the way enlist-worker uses it
//! (`web_sys` request and response, `JsFuture`, the rate-limit binding):
//! the same routes, checks (shallow, hand-coded), headers, upstream call and
//! log line. `bench/worker.mjs --rust-baseline` measures it next to the other
//! two, which separates what a Rust Worker costs on this runtime from what
//! enlist's own work (policy, full validation, request building, response
//! parsing) adds. Not production code.
#![forbid(unsafe_code)]

use serde_json::{json, Value};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_log, event, js_sys, web_sys, Context, Env};

const MAX_BODY: usize = 64 * 1024;

struct Log {
    request_id: String,
    method: String,
    route: &'static str,
    provider: Option<&'static str>,
    problem: Option<&'static str>,
    upstream_status: Option<u16>,
    upstream_ms: Option<f64>,
}

fn headers(
    id: &str,
    content_type: &str,
    extra: &[(&str, &str)],
) -> worker::Result<web_sys::Headers> {
    let h = web_sys::Headers::new()?;
    h.set("content-type", content_type)?;
    h.set("cache-control", "no-store")?;
    h.set("x-content-type-options", "nosniff")?;
    h.set("x-request-id", id)?;
    h.set("vary", "Origin")?;
    for (name, value) in extra {
        h.set(name, value)?;
    }
    Ok(h)
}

fn response(
    status: u16,
    body: &str,
    headers: &web_sys::Headers,
) -> worker::Result<web_sys::Response> {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers_headers(headers);
    Ok(web_sys::Response::new_with_opt_str_and_init(
        Some(body),
        &init,
    )?)
}

fn problem(
    log: &mut Log,
    status: u16,
    slug: &'static str,
    detail: &str,
    extra: Value,
    more: &[(&str, &str)],
) -> worker::Result<web_sys::Response> {
    log.problem = Some(slug);
    let mut body = json!({
        "type": format!("urn:enlist:problem:{slug}"),
        "title": slug,
        "status": status,
        "detail": detail,
        "request_id": log.request_id,
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let h = headers(&log.request_id, "application/problem+json", more)?;
    response(status, &body.to_string(), &h)
}

fn too_large(log: &mut Log) -> worker::Result<web_sys::Response> {
    problem(
        log,
        413,
        "payload_too_large",
        "Too large.",
        Value::Null,
        &[],
    )
}

/// The same id as enlist-worker's (`new_request_id`), written again on
/// purpose: the baseline must not link enlist-worker.
fn request_id() -> String {
    let a = (js_sys::Math::random() * (1u64 << 52) as f64) as u64;
    let b = (js_sys::Math::random() * (1u64 << 52) as f64) as u64;
    format!("{a:013x}{b:013x}")
}

#[event(fetch)]
async fn fetch(
    req: web_sys::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<web_sys::Response> {
    let started = js_sys::Date::now();
    let mut log = Log {
        request_id: request_id(),
        method: req.method(),
        route: "other",
        provider: None,
        problem: None,
        upstream_status: None,
        upstream_ms: None,
    };
    let response = handle(&req, &env, &mut log).await?;
    let line = json!({
        "request_id": log.request_id,
        "method": log.method,
        "route": log.route,
        "provider": log.provider,
        "problem": log.problem,
        "status": response.status(),
        "upstream_status": log.upstream_status,
        "upstream_ms": log.upstream_ms,
        "duration_ms": js_sys::Date::now() - started,
    });
    console_log!("{line}");
    Ok(response)
}

fn check(provider: &str, body: &Value) -> Vec<Value> {
    let mut errors = Vec::new();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    if provider == "partoo" {
        for f in ["email", "first_name", "last_name"] {
            if text(body.get(f)).is_none_or(|s| s.trim().is_empty()) {
                errors.push(json!({"path": format!("/{f}"), "code": "required"}));
            }
        }
        if let Some(email) = text(body.get("email")) {
            let ok = email.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !email.contains(char::is_whitespace)
            });
            if !ok {
                errors.push(json!({"path": "/email", "code": "email"}));
            }
        }
        if body.get("role").is_some_and(|r| r != "BUSINESS_MANAGER") {
            errors.push(json!({"path": "/role", "code": "policy"}));
        }
    } else {
        if text(body.pointer("/user/email")).is_none() {
            errors.push(json!({"path": "/user/email", "code": "required"}));
        }
        if text(body.get("license")).is_none() {
            errors.push(json!({"path": "/license", "code": "required"}));
        }
        if body
            .get("workspaces")
            .and_then(Value::as_array)
            .is_none_or(|w| w.is_empty())
        {
            errors.push(json!({"path": "/workspaces", "code": "required"}));
        }
    }
    errors
}

fn var(env: &Env, name: &str) -> Option<String> {
    js_sys::Reflect::get(env, &JsValue::from_str(name))
        .ok()?
        .as_string()
}

async fn handle(
    req: &web_sys::Request,
    env: &Env,
    log: &mut Log,
) -> worker::Result<web_sys::Response> {
    let url = worker::Url::parse(&req.url())?;
    let path = url.path();
    if path == "/v1/health" {
        log.route = "/v1/health";
        let h = headers(&log.request_id, "application/json", &[])?;
        return response(200, r#"{"status":"ok"}"#, &h);
    }
    let provider = match path
        .strip_prefix("/v1/")
        .and_then(|p| p.strip_suffix("/users"))
    {
        Some("partoo") => "partoo",
        Some("pandadoc") => "pandadoc",
        _ => {
            return problem(
                log,
                404,
                "not_found",
                "There is no such endpoint.",
                Value::Null,
                &[],
            )
        }
    };
    log.route = "/v1/{provider}/users";
    log.provider = Some(provider);
    let request_headers = req.headers();
    let header = |name: &str| request_headers.get(name).ok().flatten();
    if let Some(origin) = header("origin") {
        let allowed = var(env, "ALLOWED_ORIGINS").unwrap_or_default();
        if origin != url.origin().ascii_serialization()
            && !allowed.split(',').any(|o| o.trim() == origin)
        {
            return problem(
                log,
                403,
                "origin_not_allowed",
                "Calls from this origin are not allowed.",
                Value::Null,
                &[],
            );
        }
    }
    if req.method() != "POST" {
        return problem(
            log,
            405,
            "method_not_allowed",
            "This endpoint accepts POST.",
            Value::Null,
            &[("allow", "POST")],
        );
    }
    if let Ok(limiter) = env.rate_limiter("RATE_LIMITER") {
        let key = format!(
            "ip:{}",
            header("cf-connecting-ip").unwrap_or_else(|| "unknown".into())
        );
        if !limiter.limit(key).await.is_ok_and(|o| o.success) {
            return problem(
                log,
                429,
                "rate_limited",
                "Too many requests.",
                Value::Null,
                &[("retry-after", "60")],
            );
        }
    }
    let upper = provider.to_ascii_uppercase();
    let Some(key) = var(env, &format!("{upper}_API_KEY")) else {
        return problem(
            log,
            503,
            "provider_not_configured",
            "No API key.",
            Value::Null,
            &[],
        );
    };
    let content_type = header("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with("application/json") {
        return problem(
            log,
            415,
            "unsupported_media_type",
            "JSON only.",
            Value::Null,
            &[],
        );
    }
    if header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
        > MAX_BODY
    {
        return too_large(log);
    }
    let text = JsFuture::from(req.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    if text.len() > MAX_BODY {
        return too_large(log);
    }
    let Ok(body) = serde_json::from_str::<Value>(&text) else {
        return problem(log, 400, "invalid_json", "Not JSON.", Value::Null, &[]);
    };
    if !body.is_object() {
        return problem(log, 422, "validation", "Not an object.", Value::Null, &[]);
    }
    let errors = check(provider, &body);
    if !errors.is_empty() {
        return problem(
            log,
            422,
            "validation",
            "Invalid.",
            json!({ "errors": errors }),
            &[],
        );
    }
    let (path, name, value) = if provider == "partoo" {
        ("/user", "x-APIKey", key)
    } else {
        (
            "/public/v1/users",
            "Authorization",
            format!("API-Key {key}"),
        )
    };
    let base = var(env, &format!("{upper}_BASE_URL")).unwrap_or_default();
    let timeout = var(env, "UPSTREAM_TIMEOUT_MS")
        .and_then(|t| t.parse().ok())
        .unwrap_or(10_000);
    let up_headers = web_sys::Headers::new()?;
    up_headers.set(name, &value)?;
    up_headers.set("content-type", "application/json")?;
    up_headers.set("accept", "application/json")?;
    up_headers.set("user-agent", "enlist-baseline")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers_headers(&up_headers);
    init.set_body_opt_str(Some(&body.to_string()));
    init.set_redirect(web_sys::RequestRedirect::Manual);
    let signal = web_sys::AbortSignal::timeout_with_u32(timeout);
    init.set_signal(Some(&signal));
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let up_started = js_sys::Date::now();
    let sent = JsFuture::from(global.fetch_with_str_and_init(
        &format!(
            "{base}{path}{}",
            url.query().map(|q| format!("?{q}")).unwrap_or_default()
        ),
        &init,
    ))
    .await;
    let upstream: web_sys::Response = match sent {
        Ok(r) => r.unchecked_into(),
        Err(_) => {
            log.upstream_ms = Some(js_sys::Date::now() - up_started);
            return if signal.aborted() {
                problem(log, 504, "upstream_timeout", "Timeout.", Value::Null, &[])
            } else {
                problem(log, 502, "upstream_error", "Failed.", Value::Null, &[])
            };
        }
    };
    let status = upstream.status();
    log.upstream_status = Some(status);
    let answer = match upstream.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    log.upstream_ms = Some(js_sys::Date::now() - up_started);
    let json: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    let id_field = if provider == "partoo" {
        "id"
    } else {
        "user_id"
    };
    let id = match json.get(id_field) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if (200..300).contains(&status) {
        if let Some(id) = id {
            let created = json!({"provider": provider, "status": status, "id": id, "warnings": []});
            let h = headers(&log.request_id, "application/json", &[])?;
            return response(201, &created.to_string(), &h);
        }
    }
    match status {
        429 => {
            let retry = upstream
                .headers()
                .get("retry-after")
                .ok()
                .flatten()
                .unwrap_or_else(|| "30".into());
            problem(
                log,
                429,
                "rate_limited",
                "Upstream.",
                Value::Null,
                &[("retry-after", &retry)],
            )
        }
        400 | 422 => problem(log, 422, "validation", "Upstream.", Value::Null, &[]),
        _ => problem(log, 502, "upstream_error", "Failed.", Value::Null, &[]),
    }
}
