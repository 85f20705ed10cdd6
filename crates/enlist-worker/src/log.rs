//! One structured JSON log line per request, and one for a panic.
//!
//! Logged: request id, method, route template, provider, status, problem slug,
//! upstream status or failure, durations, idempotency handling and the
//! `{path, code}` of each issue. Never logged: bodies, headers, query strings,
//! emails, names, phone numbers, passwords, keys or tokens. Issue paths keep
//! only schema field names and array indices; any other segment (an unknown
//! key the caller sent, which could be anything) becomes `<other>`.

use enlist_core::schema::{ObjectSchema, Type};
use enlist_core::{AnyProvider, Issue};
use serde::Serialize;
use std::cell::RefCell;
use std::future::Future;
use std::panic::PanicHookInfo;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// The category of an internal error, for a log line; never its text,
/// which could hold anything.
///
/// ```
/// let e = worker::Error::RustError("anything".into());
/// assert_eq!(enlist_worker::log::error_kind(&e), "internal_rust_error");
/// ```
pub fn error_kind(e: &worker::Error) -> &'static str {
    match e {
        worker::Error::JsError(_) | worker::Error::Json(_) => "internal_js_error",
        worker::Error::RustError(_) => "internal_rust_error",
        worker::Error::SerdeJsonError(_) | worker::Error::SerdeWasmBindgenError(_) => {
            "internal_serde_error"
        }
        _ => "internal_error",
    }
}

/// The log line of a failure outside any request, such as an import
/// runner's alarm: `{"level":"error","msg":"background_error","task",
/// "kind"}`.
///
/// ```
/// let line = enlist_worker::log::background_error("import_runner", "internal_js_error");
/// assert_eq!(
///     line,
///     r#"{"level":"error","msg":"background_error","task":"import_runner","kind":"internal_js_error"}"#
/// );
/// ```
pub fn background_error(task: &str, kind: &str) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        level: &'static str,
        msg: &'static str,
        task: &'a str,
        kind: &'a str,
    }
    let line = Line {
        level: "error",
        msg: "background_error",
        task,
        kind,
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// The log line of one request.
#[derive(Debug, Default, Serialize)]
pub struct LogLine {
    /// The proxy's request id (also sent as `X-Request-Id`).
    pub request_id: String,
    /// The HTTP method, when a standard one.
    pub method: &'static str,
    /// The route template (`/v1/{provider}/users`), or `other`.
    pub route: &'static str,
    /// The provider id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'static str>,
    /// The status sent.
    pub status: u16,
    /// The problem slug, for errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The provider's status, when it was called and answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
    /// `timeout`, `network` or `too_large` when the upstream call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_failure: Option<String>,
    /// Time in the Worker, in milliseconds.
    pub duration_ms: f64,
    /// Time waiting for the provider, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_ms: Option<f64>,
    /// `fresh`, `replayed`, `in_flight` or `mismatch` for requests with an
    /// `Idempotency-Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<&'static str>,
    /// Issue paths and codes (validation, policy, provider field errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<LoggedIssue>,
    /// Operational notes (`rate_limiter_unavailable`, configuration codes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An issue as logged.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LoggedIssue {
    /// Sanitized JSON Pointer.
    pub path: String,
    /// Issue code.
    pub code: String,
}

impl LogLine {
    /// A line for a new request.
    pub fn new(request_id: &str, method: &str) -> Self {
        LogLine {
            request_id: request_id.to_string(),
            method: standard_method(method),
            route: "other",
            ..LogLine::default()
        }
    }

    /// Records issues, with paths reduced to what the schema names.
    pub fn issues(&mut self, provider: Option<&dyn AnyProvider>, issues: &[Issue]) {
        let mut names = Vec::new();
        if let Some(p) = provider {
            field_names(p.schema(), &mut names);
        }
        for issue in issues.iter().take(50) {
            self.issues.push(LoggedIssue {
                path: sanitize_path(&issue.path, &names),
                code: issue.code.as_str().to_string(),
            });
        }
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn standard_method(method: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .copied()
        .unwrap_or("OTHER")
}

/// Every field name of a schema, at any depth.
pub fn field_names(schema: &ObjectSchema, out: &mut Vec<&'static str>) {
    for field in schema.fields {
        out.push(field.name);
        let mut ty = &field.ty;
        while let Type::Array(a) = ty {
            ty = &a.items;
        }
        if let Type::Object(inner) = ty {
            field_names(inner, out);
        }
    }
}

/// `path` with every segment that is neither one of `names` nor an array
/// index replaced by `<other>`.
pub fn sanitize_path(path: &str, names: &[&str]) -> String {
    let mut out = String::new();
    for token in path.split('/').skip(1) {
        out.push('/');
        let keep =
            (!token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && token.len() < 8)
                || names.contains(&token);
        out.push_str(if keep { token } else { "<other>" });
    }
    out
}

// ---- panics ------------------------------------------------------------------

thread_local! {
    /// The id of the request whose work is running, if any ([`InRequest`]).
    static CURRENT: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

/// A request's work, marked as that request's each time it runs, so that a
/// panic inside it is logged with the request's id. Requests run
/// interleaved in one isolate, but one poll at a time.
///
/// ```
/// # use enlist_worker::log::{current_request, InRequest};
/// let work = InRequest::new("r1", async { current_request() });
/// # let _ = work;
/// assert_eq!(current_request(), None);
/// ```
pub struct InRequest<F> {
    id: Rc<str>,
    work: Pin<Box<F>>,
}

impl<F: Future> InRequest<F> {
    /// `work`, as request `id`'s.
    pub fn new(id: &str, work: F) -> Self {
        InRequest {
            id: id.into(),
            work: Box::pin(work),
        }
    }
}

impl<F: Future> Future for InRequest<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let _running = Running(CURRENT.with(|c| c.replace(Some(this.id.clone()))));
        this.work.as_mut().poll(cx)
    }
}

/// Puts back the request that was running (none, unless work is nested)
/// when dropped, even by a panic.
struct Running(Option<Rc<str>>);

impl Drop for Running {
    fn drop(&mut self) {
        let outer = self.0.take();
        let _ = CURRENT.try_with(|c| c.replace(outer));
    }
}

/// The id of the request whose work is running ([`InRequest`]).
pub fn current_request() -> Option<Rc<str>> {
    CURRENT
        .try_with(|c| c.try_borrow().ok().and_then(|id| id.clone()))
        .ok()
        .flatten()
}

/// The log line of a panic: `{"level":"error","msg":"panic","request_id",
/// "location","message"}`, as one line of JSON like the request lines.
/// `message` is the panic's text only when the code wrote it out in full (a
/// string literal); a formatted message can hold request data (a slice of
/// the body, a header), so it is left out.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PanicLine<'a> {
    /// Always `error`.
    pub level: &'static str,
    /// Always `panic`.
    pub msg: &'static str,
    /// The request whose work panicked, when one was running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// `file:line:column` in the Worker's source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The panic's text, when it is a literal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

impl<'a> PanicLine<'a> {
    /// The line for a panic in the work of `request_id`.
    pub fn new(info: &PanicHookInfo<'_>, request_id: Option<&'a str>) -> Self {
        PanicLine {
            level: "error",
            msg: "panic",
            request_id,
            location: info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
            message: info.payload().downcast_ref::<&'static str>().copied(),
        }
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Makes every panic write its [`PanicLine`] with `emit` (in the Worker,
/// `console.error`) in place of workers-rs' own report, a multi-line error
/// with the panic's full text. A panic aborts the wasm instance, which
/// workers-rs then replaces, as its own hook arranges.
pub fn install_panic_hook(emit: fn(&str)) {
    std::panic::set_hook(Box::new(move |info| {
        let id = current_request();
        emit(&PanicLine::new(info, id.as_deref()).to_json());
        #[cfg(target_arch = "wasm32")]
        mark_critical();
    }));
}

thread_local! {
    /// Whether this instance has installed the hook.
    static HOOKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`install_panic_hook`], the first time it is called in this instance.
pub fn install_panic_hook_once(emit: fn(&str)) {
    if !HOOKED.with(|h| h.replace(true)) {
        install_panic_hook(emit);
    }
}

/// What workers-rs' own panic hook does besides logging: it flags the
/// instance (`globalThis.__worker_init_state.criticalError`) so that the
/// next call starts a new one.
#[cfg(target_arch = "wasm32")]
fn mark_critical() {
    use worker::js_sys::{global, Reflect};
    use worker::wasm_bindgen::JsValue;
    if let Ok(state) = Reflect::get(&global(), &JsValue::from_str("__worker_init_state")) {
        if state.is_object() {
            let _ = Reflect::set(&state, &JsValue::from_str("criticalError"), &JsValue::TRUE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enlist_core::{Code, Params};
    use std::sync::Mutex;

    /// What the test hook wrote.
    static EMITTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn emit(line: &str) {
        EMITTED.lock().unwrap().push(line.to_string());
    }

    /// Polls `work` to the end (it wakes nothing: each poll makes progress).
    fn run<F: Future>(work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(out) = work.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    /// Ready on the second poll, like a request that awaits something.
    struct Yield(bool);

    impl Future for Yield {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                Poll::Pending
            }
        }
    }

    /// Two requests' work interleaved: each sees its own id after every
    /// await, and none outside.
    #[test]
    fn the_running_request_is_known_across_awaits() {
        let a = InRequest::new("a", async {
            let before = current_request();
            Yield(false).await;
            (before, current_request())
        });
        let b = InRequest::new("b", async {
            Yield(false).await;
            current_request()
        });
        let mut a = std::pin::pin!(a);
        let mut b = std::pin::pin!(b);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        assert_eq!(current_request(), None);
        let Poll::Ready(b) = b.as_mut().poll(&mut cx) else {
            panic!("b is done")
        };
        let Poll::Ready((a_before, a_after)) = a.as_mut().poll(&mut cx) else {
            panic!("a is done")
        };
        assert_eq!(b.as_deref(), Some("b"));
        assert_eq!(
            (a_before.as_deref(), a_after.as_deref()),
            (Some("a"), Some("a"))
        );
        assert_eq!(current_request(), None);
    }

    /// A panic in a request's work is one JSON line with its id and where it
    /// happened; a formatted message (which could hold request data) is left
    /// out, a literal one kept.
    #[test]
    fn a_panic_is_one_json_line_with_the_request_id() {
        let previous = std::panic::take_hook();
        install_panic_hook(emit);
        let caught = std::panic::catch_unwind(|| {
            run(InRequest::new("req-7", async {
                Yield(false).await;
                let email = String::from("ada@example.com");
                panic!("bad input: {email}");
            }))
        });
        let literal = std::panic::catch_unwind(|| {
            run(InRequest::new("req-8", async {
                panic!("a literal message");
            }))
        });
        let outside = std::panic::catch_unwind(|| panic!("outside any request"));
        std::panic::set_hook(previous);
        assert!(caught.is_err() && literal.is_err() && outside.is_err());
        let lines: Vec<serde_json::Value> = EMITTED
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                assert!(!l.contains('\n'), "one line: {l}");
                serde_json::from_str(l).unwrap()
            })
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0]["level"], "error");
        assert_eq!(lines[0]["msg"], "panic");
        assert_eq!(lines[0]["request_id"], "req-7");
        assert!(lines[0]["location"]
            .as_str()
            .unwrap()
            .starts_with("crates/enlist-worker/src/log.rs:"));
        assert!(lines[0].get("message").is_none(), "{}", lines[0]);
        assert!(!lines[0].to_string().contains("ada@"));
        assert_eq!(lines[1]["request_id"], "req-8");
        assert_eq!(lines[1]["message"], "a literal message");
        assert!(lines[2].get("request_id").is_none(), "{}", lines[2]);
        assert_eq!(lines[2]["message"], "outside any request");
    }

    #[test]
    fn paths_keep_only_known_names() {
        let partoo = enlist_core::provider("partoo").unwrap();
        let pandadoc = enlist_core::provider("pandadoc").unwrap();
        let mut line = LogLine::new("r", "post");
        line.issues(
            Some(partoo),
            &[
                Issue::new("/email", Code::Email, "m", Params::new()),
                Issue::new("/ada@example.com", Code::UnknownField, "m", Params::new()),
                Issue::new("/accesses/0/1", Code::Type, "m", Params::new()),
                Issue::new("", Code::InvalidJson, "m", Params::new()),
            ],
        );
        line.issues(
            Some(pandadoc),
            &[Issue::new(
                "/workspaces/3/role",
                Code::Enum,
                "m",
                Params::new(),
            )],
        );
        let paths: Vec<&str> = line.issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/email",
                "/<other>",
                "/accesses/0/1",
                "",
                "/workspaces/3/role"
            ]
        );
        assert_eq!(line.method, "POST");
        assert_eq!(LogLine::new("r", "FOO@bar").method, "OTHER");
        let json = line.to_json();
        assert!(!json.contains("ada@"), "{json}");
    }
}
