//! `ScimDirectory`: the Durable Object (binding `SCIM`) that keeps what a
//! provider has no field for, the identity provider's `externalId` of each
//! user, mapped to the provider's user id.
//!
//! One object per provider and SCIM token, named
//! `scim:{provider}:{token fingerprint}` (never the token itself), so two
//! identity providers with their own tokens keep apart mappings. Storage is
//! the object's SQLite database (one table, `ids`), which survives restarts
//! and deployments. A new token starts with an empty mapping.
//!
//! The Worker talks to it with JSON messages over `fetch` (no key, no
//! personal data besides the ids):
//!
//! | message | answer |
//! |---|---|
//! | `{"op": "get", "users": [id, …]}` | `{"ids": {id: externalId, …}}` (mapped users only) |
//! | `{"op": "find", "external_id": x}` | `{"user": id}` or `{"user": null}` |
//! | `{"op": "set", "user": id, "external_id": x}` | `{}`; `null` forgets the user's mapping |
//!
//! An `externalId` names one user: setting it for a user takes it from any
//! other, and a user has at most one.

use serde_json::{json, Map, Value};
use std::cell::Cell;
use worker::wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result,
    SqlStorageValue, State, Stub,
};

/// The binding name.
pub const BINDING: &str = "SCIM";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS ids (
  user_id TEXT PRIMARY KEY,
  external_id TEXT NOT NULL UNIQUE
) WITHOUT ROWID;";

/// The Worker's handle on one directory.
pub struct Directory {
    stub: Stub,
}

impl Directory {
    /// The directory of `provider` for the SCIM token with this fingerprint.
    pub fn open(env: &Env, provider: &str, fingerprint: &str) -> Result<Directory> {
        let stub = env
            .durable_object(BINDING)?
            .id_from_name(&format!("scim:{provider}:{fingerprint}"))?
            .get_stub()?;
        Ok(Directory { stub })
    }

    /// Sends one message (boxed: one poll function for every caller).
    fn ask(
        &self,
        message: Value,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value>> + '_>> {
        Box::pin(async move {
            let mut init = RequestInit::new();
            init.with_method(Method::Post)
                .with_body(Some(JsValue::from_str(&message.to_string())));
            let request = Request::new_with_init("https://scim.internal/", &init)?;
            let mut response = self.stub.fetch_with_request(request).await?;
            if response.status_code() != 200 {
                return Err(worker::Error::RustError(format!(
                    "the SCIM directory answered {}",
                    response.status_code()
                )));
            }
            Ok(serde_json::from_str(&response.text().await?)?)
        })
    }

    /// The `externalId` of each of `users` that has one, by user id.
    pub async fn external_ids(&self, users: &[&str]) -> Result<Map<String, Value>> {
        if users.is_empty() {
            return Ok(Map::new());
        }
        match self.ask(json!({"op": "get", "users": users})).await? {
            Value::Object(mut answer) => match answer.remove("ids") {
                Some(Value::Object(ids)) => Ok(ids),
                _ => Ok(Map::new()),
            },
            _ => Ok(Map::new()),
        }
    }

    /// The `externalId` of one user.
    pub async fn external_id(&self, user: &str) -> Result<Option<String>> {
        let mut ids = self.external_ids(&[user]).await?;
        Ok(match ids.remove(user) {
            Some(Value::String(id)) => Some(id),
            _ => None,
        })
    }

    /// The user an `externalId` names.
    pub async fn find(&self, external_id: &str) -> Result<Option<String>> {
        let answer = self
            .ask(json!({"op": "find", "external_id": external_id}))
            .await?;
        Ok(answer["user"].as_str().map(str::to_string))
    }

    /// Maps `user` to `external_id`, or forgets its mapping (`None`).
    pub async fn set(&self, user: &str, external_id: Option<&str>) -> Result<()> {
        self.ask(json!({"op": "set", "user": user, "external_id": external_id}))
            .await
            .map(|_| ())
    }
}

pub use object::ScimDirectory;

/// The Durable Object itself (the `durable_object` macro generates
/// undocumented glue, hence the separate module).
mod object {
    #![allow(missing_docs)]
    use super::*;

    /// The `externalId` ↔ user id mapping of one provider and SCIM token.
    #[durable_object]
    pub struct ScimDirectory {
        state: State,
        /// The table exists.
        ready: Cell<bool>,
    }

    fn text(s: &str) -> SqlStorageValue {
        SqlStorageValue::String(s.to_string())
    }

    impl ScimDirectory {
        /// Answers one message (see the module docs); `None` for one that
        /// is not.
        fn answer(&self, message: &Value) -> Result<Option<Value>> {
            let sql = self.state.storage().sql();
            if !self.ready.get() {
                sql.exec(SCHEMA, None)?;
                self.ready.set(true);
            }
            let column = |query: &str, value: &str, name: &str| -> Result<Option<String>> {
                let rows: Vec<Value> = sql.exec(query, vec![text(value)])?.to_array()?;
                Ok(rows
                    .first()
                    .and_then(|row| row[name].as_str())
                    .map(str::to_string))
            };
            let answer = match message["op"].as_str() {
                Some("get") => {
                    let Some(users) = message["users"].as_array() else {
                        return Ok(None);
                    };
                    let mut ids = Map::new();
                    for user in users.iter().filter_map(Value::as_str) {
                        let found = column(
                            "SELECT external_id FROM ids WHERE user_id = ?",
                            user,
                            "external_id",
                        )?;
                        if let Some(external_id) = found {
                            ids.insert(user.to_string(), Value::String(external_id));
                        }
                    }
                    json!({ "ids": ids })
                }
                Some("find") => {
                    let Some(external_id) = message["external_id"].as_str() else {
                        return Ok(None);
                    };
                    let user = column(
                        "SELECT user_id FROM ids WHERE external_id = ?",
                        external_id,
                        "user_id",
                    )?;
                    json!({ "user": user })
                }
                Some("set") => {
                    let Some(user) = message["user"].as_str() else {
                        return Ok(None);
                    };
                    match message["external_id"].as_str() {
                        Some(external_id) => {
                            sql.exec(
                                "DELETE FROM ids WHERE user_id = ? OR external_id = ?",
                                vec![text(user), text(external_id)],
                            )?;
                            sql.exec(
                                "INSERT INTO ids (user_id, external_id) VALUES (?, ?)",
                                vec![text(user), text(external_id)],
                            )?;
                        }
                        None => {
                            sql.exec("DELETE FROM ids WHERE user_id = ?", vec![text(user)])?;
                        }
                    }
                    json!({})
                }
                _ => return Ok(None),
            };
            Ok(Some(answer))
        }
    }

    impl DurableObject for ScimDirectory {
        fn new(state: State, _env: Env) -> Self {
            Self {
                state,
                ready: Cell::new(false),
            }
        }

        async fn fetch(&self, mut req: Request) -> Result<Response> {
            let bytes = req.bytes().await?;
            let message: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            // SQL calls are synchronous: a message is answered whole, with
            // no other message in between.
            match self.answer(&message)? {
                Some(answer) => Response::ok(answer.to_string()),
                None => Response::error("not a SCIM directory message", 400),
            }
        }
    }
}
