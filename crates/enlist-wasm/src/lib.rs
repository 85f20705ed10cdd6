//! # enlist-wasm
//!
//! The WebAssembly side of the npm package `enlist`: a thin
//! [wasm-bindgen](https://docs.rs/wasm-bindgen) shell over
//! [`enlist_core`]. Every rule, message and code comes from the core, through
//! its provider registry ([`enlist_core::provider()`]); nothing here names a
//! provider, so a provider added to the core registry is served without a
//! change to this crate or to the JavaScript around it.
//!
//! ## The boundary
//!
//! The exported functions take and return numbers only. Inputs travel as JSON
//! bytes that JavaScript writes straight into three buffers in wasm memory
//! ([`input_buffer`], [`extra_buffer`]), reused from call to call; results
//! come back as JSON text in an output buffer ([`output_ptr`]) that
//! JavaScript decodes and `JSON.parse`s. The hot path, [`validate`] of a
//! valid value, returns `0` and writes nothing, so JavaScript builds no report
//! at all; an invalid one gets the compact report of [`write::report`],
//! which JavaScript turns into issue objects faster than `JSON.parse` builds
//! them. Validation failures are returned values, never exceptions; nothing
//! here panics on any input (out-of-range lengths are clamped, unknown
//! provider indices return [`NO_PROVIDER`]).
//!
//! The pure functions in [`ops`] do the work on byte slices and are what the
//! exports call; they are usable (and tested) natively too. Results are
//! written by hand ([`mod@write`], [`enlist_core::json::Writer`]) rather than by
//! serde, which keeps the package small.
//!
//! ```
//! use enlist_wasm::{output, provider_index, set_input, validate};
//!
//! let partoo = provider_index("partoo").ok_or("not registered")?;
//! let json = br#"{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"}"#;
//! let len = set_input(json);
//! assert_eq!(validate(partoo, len), 0); // valid, no warnings: nothing to read
//!
//! let len = set_input(br#"{"email":"ada@example.com"}"#);
//! let n = validate(partoo, len);
//! assert!(output(n).starts_with(r#"[["/first_name","required","#)); // see `write::report`
//! # Ok::<(), &str>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod ops;
pub mod write;

use enlist_core::Options;
use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;

/// Returned instead of a length when the provider index is not in the
/// registry.
pub const NO_PROVIDER: u32 = u32::MAX;

/// The buffers shared with JavaScript and the options in force.
struct State {
    input: Vec<u8>,
    extra: Vec<u8>,
    output: Vec<u8>,
    options: Options,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        input: Vec::new(),
        extra: Vec::new(),
        output: Vec::new(),
        options: ops::default_options(),
    });
}

/// The wasm build's allocator: lol_alloc's free list (first fit, sorted by
/// address, neighbours merged), behind its lock, which a single-threaded
/// module never waits on and which needs no `unsafe` here (its lock-free
/// wrapper does). Chosen over talc, Rust's default (dlmalloc) and a
/// hand-written size-class heap for its size and speed here
/// (docs/benchmarks.md, "Builds and profiles").
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        #[cfg(feature = "test-trap")]
        test_trap(&state.input);
        f(&mut state)
    })
}

/// What makes a call trap in a build with the `test-trap` feature.
#[cfg(feature = "test-trap")]
pub const TEST_TRAP: &[u8] = b"enlist:test-trap";

/// With the `test-trap` feature, which only test builds enable (never a
/// release, never the npm package): panics — a trap, since a panic aborts —
/// while the shared state is borrowed, when the input buffer holds
/// [`TEST_TRAP`], as a real bug would. `tests/npm/recovery.test.mjs` checks
/// that the JavaScript API recovers.
#[cfg(feature = "test-trap")]
#[allow(clippy::panic)]
fn test_trap(input: &[u8]) {
    if input.windows(TEST_TRAP.len()).any(|w| w == TEST_TRAP) {
        panic!("enlist: a trap on purpose (test-trap feature)");
    }
}

/// Makes `buf` at least `len` bytes long and returns where it starts.
fn grow(buf: &mut Vec<u8>, len: u32) -> *mut u8 {
    let len = len as usize;
    if buf.len() < len {
        buf.resize(len, 0);
    }
    buf.as_mut_ptr()
}

/// The first `len` bytes of `buf` (all of it if `len` is larger).
fn head(buf: &[u8], len: u32) -> &[u8] {
    buf.get(..len as usize).unwrap_or(buf)
}

/// What the registry holds in this build: whole providers, or with the
/// `client` feature their rules only — so that build links no code that
/// builds or reads provider requests (see the crate's `Cargo.toml`).
#[cfg(not(feature = "client"))]
type Entry = dyn enlist_core::AnyProvider;
#[cfg(feature = "client")]
type Entry = dyn enlist_core::ProviderRules;

#[cfg(not(feature = "client"))]
use enlist_core::REGISTRY as PROVIDERS;
#[cfg(feature = "client")]
use enlist_core::RULES as PROVIDERS;

fn provider_at(index: u32) -> Option<&'static Entry> {
    PROVIDERS.get(index as usize).copied()
}

fn finish(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(0)
}

// ---- buffers ------------------------------------------------------------------

/// Makes the input buffer at least `len` bytes long and returns its address in
/// wasm memory; JavaScript writes the input there (`TextEncoder.encodeInto`
/// or `Uint8Array.set`) before calling an operation. The buffer is reused:
/// views of wasm memory must be taken after this call (memory may grow).
///
/// ```
/// let ptr = enlist_wasm::input_buffer(64);
/// assert!(!ptr.is_null());
/// ```
#[wasm_bindgen]
pub fn input_buffer(len: u32) -> *mut u8 {
    with_state(|s| grow(&mut s.input, len))
}

/// Like [`input_buffer`], for an operation's second input (options,
/// settings, headers).
///
/// ```
/// assert!(!enlist_wasm::extra_buffer(16).is_null());
/// ```
#[wasm_bindgen]
pub fn extra_buffer(len: u32) -> *mut u8 {
    with_state(|s| grow(&mut s.extra, len))
}

/// Where the last operation wrote its JSON result; its length is what the
/// operation returned.
///
/// ```
/// let n = enlist_wasm::providers();
/// assert!(n > 0);
/// assert!(!enlist_wasm::output_ptr().is_null());
/// ```
#[wasm_bindgen]
pub fn output_ptr() -> *const u8 {
    with_state(|s| s.output.as_ptr())
}

/// Overwrites the first `extra_len` bytes of the extra buffer and the first
/// `output_len` bytes of the output with zeros: called after
/// [`build_request`], once JavaScript has read its output, so that no copy
/// of the API key stays in wasm memory. Those two buffers are the only
/// places the key ever is: `build_request` reads it where it lies in the
/// settings, builds the request with a stand-in and writes the key over the
/// stand-in in the output, in place ([`ops::build_request`]). The copies
/// JavaScript holds (the settings object, the request it returns) are
/// beyond the reach of wasm.
///
/// ```
/// let n = enlist_wasm::set_extra(br#"{"apiKey":"secret"}"#);
/// enlist_wasm::wipe(n, 0);
/// ```
#[wasm_bindgen]
pub fn wipe(extra_len: u32, output_len: u32) {
    with_state(|s| {
        for (buf, len) in [(&mut s.extra, extra_len), (&mut s.output, output_len)] {
            let len = (len as usize).min(buf.len());
            if let Some(head) = buf.get_mut(..len) {
                head.fill(0);
            }
        }
    });
}

/// Copies `bytes` into the input buffer and returns their length (a helper
/// for Rust callers and tests; JavaScript writes into [`input_buffer`]
/// directly).
///
/// ```
/// assert_eq!(enlist_wasm::set_input(b"{}"), 2);
/// ```
pub fn set_input(bytes: &[u8]) -> u32 {
    with_state(|s| set(&mut s.input, bytes))
}

/// Like [`set_input`], for the second input.
///
/// ```
/// assert_eq!(enlist_wasm::set_extra(b"null"), 4);
/// ```
pub fn set_extra(bytes: &[u8]) -> u32 {
    with_state(|s| set(&mut s.extra, bytes))
}

fn set(buf: &mut Vec<u8>, bytes: &[u8]) -> u32 {
    buf.clear();
    buf.extend_from_slice(bytes);
    finish(bytes.len())
}

/// The first `len` bytes of the output as text (a helper for Rust callers and
/// tests; JavaScript decodes wasm memory at [`output_ptr`]).
///
/// ```
/// let n = enlist_wasm::providers();
/// assert!(enlist_wasm::output(n).starts_with(r#"["partoo","pandadoc""#));
/// ```
pub fn output(len: u32) -> String {
    with_state(|s| String::from_utf8_lossy(head(&s.output, len)).into_owned())
}

/// The registry index of the provider called `id` (what the exported
/// operations take), for Rust callers and tests. JavaScript learns the ids
/// from [`providers`].
///
/// ```
/// assert_eq!(enlist_wasm::provider_index("partoo"), Some(0));
/// assert_eq!(enlist_wasm::provider_index("nope"), None);
/// ```
pub fn provider_index(id: &str) -> Option<u32> {
    PROVIDERS
        .iter()
        .position(|p| p.id() == id)
        .and_then(|i| u32::try_from(i).ok())
}

// ---- operations ---------------------------------------------------------------

/// Writes the registered provider ids, in registry order, as a JSON array;
/// index `i` of that array is the provider index the operations take.
///
/// ```
/// let n = enlist_wasm::providers();
/// let ids: Vec<String> = serde_json::from_str(&enlist_wasm::output(n))?;
/// assert_eq!(ids[..2], ["partoo", "pandadoc"]);
/// assert_eq!(ids.len(), enlist_core::REGISTRY.len());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[wasm_bindgen]
pub fn providers() -> u32 {
    with_state(|s| finish(ops::providers(&mut s.output)))
}

/// Writes every issue code ([`enlist_core::Code::ALL`]) as a JSON array.
///
/// ```
/// let n = enlist_wasm::codes();
/// assert!(enlist_wasm::output(n).starts_with(r#"["invalid_json","required""#));
/// ```
#[wasm_bindgen]
pub fn codes() -> u32 {
    with_state(|s| finish(ops::codes(&mut s.output)))
}

/// Sets the validation options from the first `len` bytes of the input
/// buffer: JSON `null` (the defaults: no allowed-domains list, at most
/// [`DEFAULT_MAX_ISSUES`](enlist_core::validate::DEFAULT_MAX_ISSUES) errors
/// and warnings per report) or `{"allowedEmailDomains"?: [..], "maxIssues"?:
/// n}` (see [`ops::read_options`]). Returns 0, or the length of a JSON error
/// message when the options are unusable (the options are then left
/// unchanged).
///
/// ```
/// use enlist_wasm::{provider_index, set_input, set_options, validate, output};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// assert_eq!(set_options(set_input(br#"{"allowedEmailDomains":["acme.com"]}"#)), 0);
/// let n = validate(partoo, set_input(br#"{"email":"a@b.co","first_name":"A","last_name":"B"}"#));
/// assert!(output(n).contains(r#""/email","domain","#));
/// assert_eq!(set_options(set_input(b"null")), 0);
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn set_options(len: u32) -> u32 {
    with_state(|s| match ops::read_options(head(&s.input, len)) {
        Ok(options) => {
            s.options = options;
            0
        }
        Err(message) => {
            s.output.clear();
            enlist_core::json::Writer::new(&mut s.output).string(&message);
            finish(s.output.len())
        }
    })
}

/// Validates the JSON in the input buffer. Returns 0 when it is valid with no
/// warnings; otherwise writes the core's [`Report`](enlist_core::Report) in
/// the compact form of [`write::report`] (`[errors, warnings]`, four values
/// per issue) and returns its length.
///
/// ```
/// use enlist_wasm::{output, provider_index, set_input, validate};
/// let pandadoc = provider_index("pandadoc").ok_or("missing")?;
/// let n = validate(pandadoc, set_input(b"[]"));
/// assert!(output(n).starts_with(r#"[["","type","#));
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn validate(provider: u32, len: u32) -> u32 {
    with_state(|s| {
        let Some(p) = provider_at(provider) else {
            return NO_PROVIDER;
        };
        finish(ops::validate(
            p,
            head(&s.input, len),
            &s.options,
            &mut s.output,
        ))
    })
}

/// Validates a JSON array of payloads in the input buffer and writes the
/// core's [`BulkReport`](enlist_core::BulkReport); returns its length.
///
/// ```
/// use enlist_wasm::{output, provider_index, set_input, validate_many};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// let n = validate_many(partoo, set_input(br#"[{"email":"x"}]"#));
/// assert!(output(n).starts_with(r#"{"total":1,"valid":0,"invalid":[{"index":0"#));
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn validate_many(provider: u32, len: u32) -> u32 {
    with_state(|s| {
        let Some(p) = provider_at(provider) else {
            return NO_PROVIDER;
        };
        let json = enlist_core::json::strip_bom(head(&s.input, len));
        let report = p.check_many(json, &s.options);
        finish(write::bulk(&mut s.output, &report))
    })
}

/// Validates the payload in the input buffer and builds the provider request
/// with the settings in the extra buffer (`{"apiKey", "environment"?,
/// "baseUrl"?, <flags>?}`); writes `{"ok":true,"request":{..},"warnings":[..]}`
/// or `{"ok":false,"errors":[..],"warnings":[..]}` and returns its length.
/// Settings of the wrong shape give `{"ok":false,"typeError":…}` (see
/// [`ops::read_settings`]). The API key is copied nowhere but into the
/// output ([`ops::build_request`]); the settings and the output hold it:
/// call [`wipe`] once the output has been read.
///
/// ```
/// use enlist_wasm::{build_request, output, provider_index, set_extra, set_input, wipe};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// let settings = set_extra(br#"{"apiKey":"k","environment":"sandbox"}"#);
/// let len = set_input(br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#);
/// let n = build_request(partoo, len, settings);
/// assert!(output(n).contains(r#""url":"https://api.sandbox.partoo.co/v2/user""#));
/// wipe(settings, n);
/// # Ok::<(), &str>(())
/// ```
#[cfg(not(feature = "client"))]
#[wasm_bindgen]
pub fn build_request(provider: u32, len: u32, settings_len: u32) -> u32 {
    with_state(|s| {
        let Some(p) = provider_at(provider) else {
            return NO_PROVIDER;
        };
        let State {
            input,
            extra,
            output,
            options,
        } = s;
        finish(ops::build_request(
            p,
            head(input, len),
            head(extra, settings_len),
            options,
            output,
        ))
    })
}

/// Reads a provider's answer to a create-user call: `status`, the headers as
/// a JSON array of `[name, value]` pairs in the extra buffer, the body in the
/// input buffer, and the time (Unix seconds, for a `Retry-After` date). Writes
/// the core's [`Outcome`](enlist_core::Outcome) and returns its length.
///
/// ```
/// use enlist_wasm::{output, parse_response, provider_index, set_extra, set_input};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// let h = set_extra(br#"[["Retry-After","7"]]"#);
/// let n = parse_response(partoo, 429, h, set_input(b""), 0.0);
/// assert!(output(n).contains(r#""kind":"rate_limited""#));
/// # Ok::<(), &str>(())
/// ```
#[cfg(not(feature = "client"))]
#[wasm_bindgen]
pub fn parse_response(
    provider: u32,
    status: u16,
    headers_len: u32,
    body_len: u32,
    now: f64,
) -> u32 {
    with_state(|s| {
        let Some(p) = provider_at(provider) else {
            return NO_PROVIDER;
        };
        let headers = ops::read_headers(head(&s.extra, headers_len));
        let pairs = ops::header_pairs(&headers);
        let mut outcome = p.parse_create_user_response(status, &pairs, head(&s.input, body_len));
        outcome.resolve_retry_after(ops::unix_seconds(now));
        finish(ops::write_json(&mut s.output, &outcome))
    })
}

/// Writes the provider's [`Rules`](enlist_core::Rules) (fields, types,
/// relevance, password policy, options, environments) and returns the length.
///
/// ```
/// use enlist_wasm::{output, provider_index, rules};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// assert!(output(rules(partoo)).starts_with(r#"{"provider":"partoo","name":"Partoo""#));
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn rules(provider: u32) -> u32 {
    with_state(|s| match provider_at(provider) {
        Some(p) => {
            s.output.clear();
            p.rules().write_json(&mut s.output);
            finish(s.output.len())
        }
        None => NO_PROVIDER,
    })
}

/// Plans a `createUser` call to an enlist proxy: validates the payload in the
/// input buffer and, with `{"endpoint", "idempotencyKey"?}` from the extra
/// buffer, writes what to send (`{"kind":"send","method","url","headers",
/// "warnings"}`), or `{"kind":"invalid","errors","warnings"}` (send nothing),
/// or `{"kind":"error","message"}` for unusable options. See
/// [`ops::proxy_request`]. `call` is 0 for `createUser`; 1 (`createImport`)
/// and 2 (`openImport`) check their options the same way and plan an
/// import call instead ([`ops::proxy_plan`], [`ops::ProxyCall`]).
///
/// ```
/// use enlist_wasm::{output, provider_index, proxy_request, set_extra, set_input};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// let extra = set_extra(br#"{"endpoint":"https://enlist.example"}"#);
/// let len = set_input(br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L"}"#);
/// let n = proxy_request(partoo, len, extra, 0);
/// assert!(output(n).contains(r#""url":"https://enlist.example/v1/partoo/users""#));
/// let n = proxy_request(partoo, 0, extra, 2);
/// assert!(output(n).contains(r#""url":"https://enlist.example/v1/imports""#));
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn proxy_request(provider: u32, len: u32, extra_len: u32, call: u32) -> u32 {
    with_state(|s| {
        let (Some(p), Some(call)) = (provider_at(provider), ops::ProxyCall::from_code(call)) else {
            return NO_PROVIDER;
        };
        finish(ops::proxy_plan(
            p,
            call,
            head(&s.input, len),
            head(&s.extra, extra_len),
            &s.options,
            &mut s.output,
        ))
    })
}

/// Reads an enlist proxy's answer (status, headers as in [`parse_response`],
/// body, the time in Unix seconds) into the `createUser` result; see
/// [`ops::proxy_outcome`].
///
/// ```
/// use enlist_wasm::{output, provider_index, proxy_response, set_extra, set_input};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// let h = set_extra(b"[]");
/// let n = proxy_response(partoo, 201, h, set_input(br#"{"provider":"partoo","id":"u1"}"#), 0.0);
/// assert!(output(n).starts_with(r#"{"kind":"created","retryable":false,"provider":"partoo","status":201,"id":"u1""#));
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn proxy_response(
    provider: u32,
    status: u16,
    headers_len: u32,
    body_len: u32,
    now: f64,
) -> u32 {
    with_state(|s| {
        let Some(p) = provider_at(provider) else {
            return NO_PROVIDER;
        };
        let headers = ops::read_headers(head(&s.extra, headers_len));
        let pairs = ops::header_pairs(&headers);
        let outcome = ops::proxy_outcome(
            p,
            status,
            &pairs,
            head(&s.input, body_len),
            ops::unix_seconds(now),
        );
        finish(outcome.write_json(&mut s.output))
    })
}

/// Reads the CSV text (UTF-8) in the input buffer into the provider's JSON
/// rows and writes `{"ok":true,"table":{"columns","pointers","rows","lines"}}`
/// or `{"ok":false,"error":{"line","code","message"}}`; see
/// [`ops::csv_to_rows`].
///
/// ```
/// use enlist_wasm::{csv_to_rows, output, provider_index, set_input};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// let n = csv_to_rows(partoo, set_input(b"email\nada@example.com\n"));
/// assert!(output(n).contains(r#""rows":[{"email":"ada@example.com"}]"#));
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn csv_to_rows(provider: u32, len: u32) -> u32 {
    with_state(|s| {
        let Some(p) = provider_at(provider) else {
            return NO_PROVIDER;
        };
        finish(ops::csv_to_rows(p, head(&s.input, len), &mut s.output))
    })
}

/// Writes the provider's CSV template (a header row naming every field,
/// nested ones dotted) and returns its length.
///
/// ```
/// use enlist_wasm::{csv_template, output, provider_index};
/// let partoo = provider_index("partoo").ok_or("missing")?;
/// assert!(output(csv_template(partoo)).starts_with("email,first_name,last_name,"));
/// # Ok::<(), &str>(())
/// ```
#[wasm_bindgen]
pub fn csv_template(provider: u32) -> u32 {
    with_state(|s| match provider_at(provider) {
        Some(p) => finish(ops::csv_template(p, &mut s.output)),
        None => NO_PROVIDER,
    })
}
