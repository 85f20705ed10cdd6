//! The enlist edge proxy, a Cloudflare Worker written with workers-rs.
//!
//! Routes (everything else under `/v1/` is an RFC 9457 `404`):
//!
//! | Method | Path         | Answer                      |
//! |--------|--------------|-----------------------------|
//! | `GET`  | `/v1/health` | `200 {"status":"ok"}`       |
//!
//! Static files (`www/`) are served by the assets binding before the Worker
//! runs; only `/v1/*` reaches this code (`run_worker_first` in `wrangler.toml`).

mod idempotency;
mod problem;

pub use idempotency::IdempotencyStore;
pub use problem::Problem;

use worker::{event, Context, Env, Method, Request, Response, Result};

/// The Worker's entry point.
#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    match route(req.method(), &path) {
        Route::Health => health(),
        Route::MethodNotAllowed(allow) => Problem::method_not_allowed(allow).into_response(),
        Route::NotFound => Problem::not_found().into_response(),
    }
}

/// What a request resolves to, decided from its method and path alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Health,
    /// Known path, wrong method; carries the `Allow` header value.
    MethodNotAllowed(&'static str),
    NotFound,
}

fn route(method: Method, path: &str) -> Route {
    match (method, path) {
        (Method::Get | Method::Head, "/v1/health") => Route::Health,
        (_, "/v1/health") => Route::MethodNotAllowed("GET, HEAD"),
        _ => Route::NotFound,
    }
}

fn health() -> Result<Response> {
    Response::from_json(&serde_json::json!({ "status": "ok" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(Method::Get, "/v1/health"), Route::Health);
        assert_eq!(route(Method::Head, "/v1/health"), Route::Health);
        assert_eq!(
            route(Method::Post, "/v1/health"),
            Route::MethodNotAllowed("GET, HEAD")
        );
        assert_eq!(route(Method::Get, "/v1/nope"), Route::NotFound);
        assert_eq!(route(Method::Get, "/v1/health/"), Route::NotFound);
    }
}
