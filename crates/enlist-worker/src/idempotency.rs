//! The `IdempotencyStore` Durable Object (binding `IDEMPOTENCY`).
//!
//! Placeholder: it answers `501` until idempotent forwarding is implemented.
//! It exists now so that the binding and the `v1` migration in
//! `wrangler.toml` are valid.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::problem::Problem;

/// Remembers, per `Idempotency-Key`, the outcome of a forwarded request.
#[durable_object]
pub struct IdempotencyStore {
    #[allow(dead_code)] // used once idempotency is implemented
    state: State,
}

impl DurableObject for IdempotencyStore {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Problem::new(501, "Not Implemented")
            .with_detail("The idempotency store is not implemented yet.")
            .into_response()
    }
}
