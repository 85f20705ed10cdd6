//! `Idempotency-Key` support: the `IdempotencyStore` Durable Object (binding
//! `IDEMPOTENCY`), one instance per key.
//!
//! Semantics:
//!
//! - The key is 1–255 visible ASCII characters; it is scoped per provider and
//!   per caller — the client token in admin mode, the client IP
//!   (`CF-Connecting-IP`) in public mode — so two callers never share a key.
//!   The object's name is a SHA-256 of that scope, never the token itself.
//! - The message to the object holds the upstream request without its
//!   credential; the object adds it from its own environment when it sends.
//! - Only requests that are about to be forwarded reach the store: a request
//!   the proxy refuses itself (validation, policy, origin, token, rate limit)
//!   is not recorded, and the key stays free.
//! - The first request with a key claims it (an in-flight record, written with
//!   `put` before anything else is awaited), is forwarded once, and its answer
//!   is stored with a hash of the request (method, path, query, body).
//! - A repeat with the same request gets the stored answer again, with
//!   `Idempotent-Replayed: true`. A repeat with a different request gets
//!   `422 idempotency_key_reused`. A repeat while the first is still running
//!   gets `409 idempotency_in_flight` with `Retry-After: 1`.
//! - Stored: 2xx and 4xx answers (created, validation, already exists…), for
//!   24 hours (an alarm then deletes the record). Not stored: 429, 5xx and
//!   timeouts — the claim is released so that a retry with the same key is
//!   forwarded again (after a timeout the provider may already have created the
//!   user; the retry then gets `already_exists`).
//! - A claim older than the upstream timeout plus one minute is considered
//!   abandoned (the object was evicted mid-call) and can be claimed again.

use crate::config::hex;
use crate::forward::{self, Job, Reply, Upstream};
use enlist_core::{Code, Issue, Param, Params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::time::Duration;
use worker::wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State,
};

/// The binding name.
pub const BINDING: &str = "IDEMPOTENCY";
/// Longest key, in bytes (the contract's).
pub const MAX_KEY_LEN: usize = enlist_core::proxy::MAX_IDEMPOTENCY_KEY_LEN;
/// How long answers are kept.
pub const TTL_MS: f64 = 24.0 * 60.0 * 60.0 * 1000.0;
/// How long past the upstream timeout a claim is honoured.
pub const CLAIM_GRACE_MS: f64 = 60_000.0;
const RECORD: &str = "record";

/// Checks an `Idempotency-Key` header value; the issue (path `""`, code
/// `type`, `params.header`) says what is wrong.
pub fn check_key(key: &str) -> std::result::Result<&str, Issue> {
    let usable = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if usable {
        Ok(key)
    } else {
        Err(Issue::new(
            "",
            Code::Type,
            format!(
                "The Idempotency-Key header must be 1 to {MAX_KEY_LEN} visible ASCII characters."
            ),
            Params::new()
                .with(
                    "header",
                    Param::Str(enlist_core::proxy::IDEMPOTENCY_KEY.into()),
                )
                .with("max", Param::Int(MAX_KEY_LEN as i64)),
        ))
    }
}

/// The Durable Object name for a key in its scope: the provider and the
/// caller (`crate::api::Caller::scope`: a token fingerprint, or `ip:<address>`).
pub fn object_name(provider: &str, caller: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"enlist-idempotency/v1\n");
    h.update(provider.as_bytes());
    h.update(b"\n");
    h.update(caller.as_bytes());
    h.update(b"\n");
    h.update(key.as_bytes());
    hex(&h.finalize())
}

/// The hash that tells "same request" from "different request".
pub fn request_hash(method: &str, path: &str, query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes()] {
        h.update(part);
        h.update(b"\n");
    }
    h.update(body);
    hex(&h.finalize())
}

/// What the Worker sends the object (no credential: see [`Job`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// [`request_hash`] of the request.
    pub hash: String,
    /// The call to make if the key is free.
    pub job: Job,
}

/// How the object handled a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// Forwarded now.
    Fresh,
    /// The stored answer.
    Replayed,
    /// The first request is still running.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

/// The object's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// What happened.
    pub handling: Handling,
    /// The answer to send (fresh or replayed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    /// The upstream call, when one was made now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Upstream>,
}

/// What the object remembers about its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Record {
    /// Claimed, call running.
    InFlight {
        /// Request hash.
        hash: String,
        /// When the claim counts as abandoned (ms since the epoch).
        stale_at: f64,
    },
    /// Answered.
    Done {
        /// Request hash.
        hash: String,
        /// The stored answer.
        reply: Reply,
        /// When the record is forgotten (ms since the epoch).
        expires_at: f64,
    },
}

/// The decision for a message, given what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The key is free (or its record expired or was abandoned): claim it.
    Claim,
    /// Send this stored answer again.
    Replay(Reply),
    /// Wait for the first request.
    InFlight,
    /// Different request, same key.
    Mismatch,
}

/// Decides what to do with a message whose hash is `hash` at time `now`.
pub fn decide(record: Option<&Record>, hash: &str, now: f64) -> Decision {
    match record {
        None => Decision::Claim,
        Some(Record::Done { expires_at, .. }) if now >= *expires_at => Decision::Claim,
        Some(Record::InFlight { stale_at, .. }) if now >= *stale_at => Decision::Claim,
        Some(Record::Done { hash: h, reply, .. }) if h == hash => Decision::Replay(reply.clone()),
        Some(Record::InFlight { hash: h, .. }) if h == hash => Decision::InFlight,
        Some(_) => Decision::Mismatch,
    }
}

/// Sends a message to the object for `name` and returns its answer.
pub async fn call(env: &Env, name: &str, message: &Message) -> Result<Answer> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(name)?
        .get_stub()?;
    let body = serde_json::to_string(message)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://idempotency.internal/", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    if response.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "the idempotency store answered {}",
            response.status_code()
        )));
    }
    let text = response.text().await?;
    Ok(serde_json::from_str(&text)?)
}

pub use store::IdempotencyStore;

/// The Durable Object itself (the `durable_object` macro generates
/// undocumented glue, hence the separate module).
mod store {
    #![allow(missing_docs)]
    use super::*;

    /// Remembers, per `Idempotency-Key`, the answer to a forwarded request.
    #[durable_object]
    pub struct IdempotencyStore {
        state: State,
        /// The object's own bindings: the API keys come from here, never
        /// from the message.
        env: Env,
        /// The record, once loaded from storage (`loaded`).
        record: RefCell<Option<Record>>,
        loaded: Cell<bool>,
    }

    impl IdempotencyStore {
        /// Loads the stored record into memory once.
        async fn load(&self) -> Result<()> {
            if self.loaded.get() {
                return Ok(());
            }
            let stored: Option<String> = self.state.storage().get(RECORD).await?;
            // Another request may have loaded (and claimed) while we awaited.
            if !self.loaded.get() {
                *self.record.borrow_mut() = stored.and_then(|s| serde_json::from_str(&s).ok());
                self.loaded.set(true);
            }
            Ok(())
        }

        async fn store(&self, record: Option<&Record>) -> Result<()> {
            let storage = self.state.storage();
            match record {
                Some(r) => storage.put(RECORD, serde_json::to_string(r)?).await,
                None => storage.delete(RECORD).await.map(|_| ()),
            }
        }
    }

    fn reply_json(answer: &Answer) -> Result<Response> {
        Response::ok(serde_json::to_string(answer)?)
    }

    impl DurableObject for IdempotencyStore {
        fn new(state: State, env: Env) -> Self {
            crate::panic_hook();
            Self {
                state,
                env,
                record: RefCell::new(None),
                loaded: Cell::new(false),
            }
        }

        async fn fetch(&self, mut req: Request) -> Result<Response> {
            let bytes = req.bytes().await?;
            let Ok(message) = serde_json::from_slice::<Message>(&bytes) else {
                return Response::error("not an idempotency message", 400);
            };
            self.load().await?;
            let now = worker::js_sys::Date::now();
            // Check and claim with no await in between: requests to this object
            // interleave only at awaits.
            let decision = decide(self.record.borrow().as_ref(), &message.hash, now);
            let handling = match decision {
                Decision::Replay(reply) => {
                    return reply_json(&Answer {
                        handling: Handling::Replayed,
                        reply: Some(reply),
                        upstream: None,
                    })
                }
                Decision::InFlight => Handling::InFlight,
                Decision::Mismatch => Handling::Mismatch,
                Decision::Claim => Handling::Fresh,
            };
            if handling != Handling::Fresh {
                return reply_json(&Answer {
                    handling,
                    reply: None,
                    upstream: None,
                });
            }
            let claim = Record::InFlight {
                hash: message.hash.clone(),
                stale_at: now + f64::from(message.job.timeout_ms) + CLAIM_GRACE_MS,
            };
            *self.record.borrow_mut() = Some(claim.clone());
            if let Err(e) = self.store(Some(&claim)).await {
                *self.record.borrow_mut() = None;
                return Err(e);
            }

            let config = crate::config(&self.env);
            let (reply, upstream) = forward::execute(&message.job, &config).await;

            let done = reply.is_final().then(|| Record::Done {
                hash: message.hash,
                reply: reply.clone(),
                expires_at: worker::js_sys::Date::now() + TTL_MS,
            });
            *self.record.borrow_mut() = done.clone();
            self.store(done.as_ref()).await?;
            if done.is_some() {
                self.state
                    .storage()
                    .set_alarm(Duration::from_millis(TTL_MS as u64))
                    .await?;
            }
            reply_json(&Answer {
                handling: Handling::Fresh,
                reply: Some(reply),
                upstream: Some(upstream),
            })
        }

        async fn alarm(&self) -> Result<Response> {
            self.load().await?;
            let now = worker::js_sys::Date::now();
            let expired = matches!(
                self.record.borrow().as_ref(),
                Some(Record::Done { expires_at, .. }) if now >= *expires_at
            );
            if expired {
                *self.record.borrow_mut() = None;
                self.state.storage().delete_all().await?;
            }
            Response::ok("")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(hash: &str, expires_at: f64) -> Record {
        Record::Done {
            hash: hash.into(),
            reply: Reply::json(201, "{}".into()),
            expires_at,
        }
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(None, "h", 0.0), Decision::Claim);
        let flight = Record::InFlight {
            hash: "h".into(),
            stale_at: 100.0,
        };
        assert_eq!(decide(Some(&flight), "h", 50.0), Decision::InFlight);
        assert_eq!(decide(Some(&flight), "x", 50.0), Decision::Mismatch);
        assert_eq!(decide(Some(&flight), "h", 100.0), Decision::Claim);
        let d = done("h", 1000.0);
        assert_eq!(
            decide(Some(&d), "h", 10.0),
            Decision::Replay(Reply::json(201, "{}".into()))
        );
        assert_eq!(decide(Some(&d), "x", 10.0), Decision::Mismatch);
        assert_eq!(decide(Some(&d), "x", 1000.0), Decision::Claim);
    }

    #[test]
    fn records_round_trip_as_json() {
        let d = done("h", 5.0);
        let text = serde_json::to_string(&d).unwrap();
        assert!(text.contains(r#""state":"done""#), "{text}");
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), d);
    }

    #[test]
    fn keys_and_scopes() {
        assert!(check_key("abc-123_~!").is_ok());
        for bad in ["", "a b", "é", "a\tb"] {
            assert_eq!(check_key(bad).unwrap_err().code, Code::Type);
        }
        assert!(check_key(&"k".repeat(MAX_KEY_LEN)).is_ok());
        assert!(check_key(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
        let a = object_name("partoo", "ip:192.0.2.1", "k");
        assert_eq!(a.len(), 64);
        assert_ne!(a, object_name("pandadoc", "ip:192.0.2.1", "k"));
        assert_ne!(a, object_name("partoo", "ip:192.0.2.2", "k"));
        assert_ne!(a, object_name("partoo", "t1", "k"));
        assert_ne!(
            object_name("partoo", "t1", "k"),
            object_name("partoo", "t2", "k")
        );
        // Field boundaries matter.
        assert_ne!(
            request_hash("POST", "/a", "b", b"c"),
            request_hash("POST", "/a", "", b"b\nc")
        );
    }
}
