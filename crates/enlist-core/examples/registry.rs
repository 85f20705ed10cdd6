//! Prints what the test suites need to know of every registered provider, as
//! JSON, so that the generic suites (tests/npm, tests/worker, tests/mocks)
//! run over the whole registry without naming a provider:
//!
//! ```text
//! cargo run -p enlist-core --features test-providers --example registry -- OUT.json
//! ```
//!
//! `cargo xtask build npm-test` and `build worker-test` write it next to
//! their builds as `providers.json`: `[{id, name, example, created: {status,
//! body}, create: {method, path, query, credential: {name, value}}}]`, where
//! `example` is [`Provider::EXAMPLE`](enlist_core::Provider::EXAMPLE),
//! `created` is its
//! [`Provider::EXAMPLE_CREATED`](enlist_core::Provider::EXAMPLE_CREATED)
//! ([`EXAMPLES_CREATED`](enlist_core::registry::EXAMPLES_CREATED)),
//! and `create` is the request built from the example against the default
//! environment: its path below the environment's base URL, and the
//! credential header with `{key}` where the API key goes.
#![forbid(unsafe_code)]

use enlist_core::registry::EXAMPLES_CREATED;
use enlist_core::{Options, Settings, REGISTRY};
use serde_json::{json, Value};

/// The API key the requests are built with, replaced by `{key}`.
const KEY: &str = "enlist-registry-stand-in-key";

fn describe(p: &dyn enlist_core::AnyProvider) -> Result<Value, String> {
    let id = p.id();
    let example: Value =
        serde_json::from_str(p.example()).map_err(|e| format!("{id}: the example: {e}"))?;
    let settings = Settings {
        api_key: KEY.into(),
        ..Settings::default()
    };
    let built = p
        .build_create_user(p.example().as_bytes(), &Options::default(), &settings)
        .map_err(|e| format!("{id}: {e}"))?;
    let request = built.request;
    let base = p
        .environments()
        .first()
        .ok_or_else(|| format!("{id}: no environment"))?
        .base_url;
    let rest = request
        .url
        .strip_prefix(base)
        .ok_or_else(|| format!("{id}: {} is not below {base}", request.url))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let credential = p.credential(&settings).map_err(|e| format!("{id}: {e}"))?;
    let &(_, (status, body)) = EXAMPLES_CREATED
        .iter()
        .find(|(other, _)| *other == id)
        .ok_or_else(|| format!("{id}: no example answer"))?;
    Ok(json!({
        "id": id,
        "name": p.name(),
        "example": example,
        "created": { "status": status, "body": body },
        "create": {
            "method": request.method.as_str(),
            "path": path,
            "query": query,
            "credential": {
                "name": credential.name,
                "value": credential.value.replace(KEY, "{key}"),
            },
        },
    }))
}

fn main() -> Result<(), String> {
    let all = REGISTRY
        .iter()
        .map(|p| describe(*p))
        .collect::<Result<Vec<_>, _>>()?;
    let text = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())? + "\n";
    match std::env::args().nth(1) {
        Some(out) => std::fs::write(&out, text).map_err(|e| format!("cannot write {out}: {e}")),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
