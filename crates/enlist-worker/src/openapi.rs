//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of this proxy.
//!
//! The document is written by hand next to the code (`src/openapi.json`); the
//! parts that come from enlist-core's registry — the provider ids, the issue
//! codes, the providers' query flags — are filled in when it is served, and
//! the CORS preflight operation is copied onto every path. The tests below
//! check it against the code's problem kinds and routes; the Node tests
//! validate real responses against it.

use enlist_core::{Code, REGISTRY};
use serde_json::{json, Value};
use std::cell::RefCell;

const SOURCE: &str = include_str!("openapi.json");
const PREFLIGHT: &str = "/components/x-enlist-preflight";

thread_local! {
    static DOCUMENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The document as JSON text (built once per isolate).
pub fn document() -> String {
    if let Some(doc) = DOCUMENT.with(|d| d.borrow().clone()) {
        return doc;
    }
    let doc = build().to_string();
    DOCUMENT.with(|d| *d.borrow_mut() = Some(doc.clone()));
    doc
}

fn set(doc: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = doc.pointer_mut(pointer) {
        *slot = value;
    }
}

/// The document with the registry's data filled in.
pub fn build() -> Value {
    let mut doc: Value = serde_json::from_str(SOURCE).unwrap_or_else(|_| json!({}));
    let ids: Vec<&str> = REGISTRY.iter().map(|p| p.id()).collect();
    set(
        &mut doc,
        "/components/parameters/Provider/schema/enum",
        json!(ids),
    );
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    set(&mut doc, "/components/schemas/IssueCode/enum", json!(codes));

    // Query flags: one boolean parameter per flag name, saying who takes it.
    let mut flags: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for p in REGISTRY {
        for flag in p.flags() {
            match flags.iter_mut().find(|(q, _, _)| *q == flag.query) {
                Some((_, _, owners)) => owners.push(p.id()),
                None => flags.push((flag.query, flag.description, vec![p.id()])),
            }
        }
    }
    if let Some(Value::Array(params)) =
        doc.pointer_mut("/paths/~1v1~1{provider}~1users/post/parameters")
    {
        for (query, description, owners) in flags {
            params.push(json!({
                "name": query,
                "in": "query",
                "required": false,
                "description": format!(
                    "{description} Only for: {}; any other query parameter, or a value other than true or false, is a 422 `validation` issue at path \"\".",
                    owners.join(", ")
                ),
                "schema": {"type": "boolean"}
            }));
        }
    }

    let preflight = doc.pointer(PREFLIGHT).cloned();
    if let (Some(preflight), Some(Value::Object(paths))) = (preflight, doc.get_mut("paths")) {
        for item in paths.values_mut() {
            if let Value::Object(item) = item {
                item.insert("options".into(), preflight.clone());
            }
        }
    }
    if let Some(Value::Object(components)) = doc.get_mut("components") {
        components.remove("x-enlist-preflight");
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Kind;
    use std::collections::BTreeSet;

    fn doc() -> Value {
        build()
    }

    fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) if v.as_object().is_some_and(|o| o.len() == 1) => doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{r}")),
            _ => v,
        }
    }

    fn every_ref(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap().to_string());
                    }
                    every_ref(x, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|x| every_ref(x, out)),
            _ => {}
        }
    }

    /// The slugs a response (component) can carry, from its schema's `type`
    /// consts and enums.
    fn slugs(doc: &Value, response: &Value) -> BTreeSet<String> {
        let text = resolve(doc, response).to_string();
        let mut out = BTreeSet::new();
        for part in text.split("urn:enlist:problem:").skip(1) {
            let slug: String = part
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            out.insert(slug);
        }
        out
    }

    #[test]
    fn every_ref_resolves_and_registry_data_is_filled_in() {
        let doc = doc();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut refs = Vec::new();
        every_ref(&doc, &mut refs);
        assert!(refs.len() > 20);
        for r in refs {
            assert!(doc.pointer(r.trim_start_matches('#')).is_some(), "{r}");
        }
        assert_eq!(
            doc.pointer("/components/parameters/Provider/schema/enum")
                .unwrap(),
            &json!(["partoo", "pandadoc"])
        );
        assert_eq!(
            doc.pointer("/components/schemas/IssueCode/enum")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            Code::ALL.len()
        );
        let params = doc
            .pointer("/paths/~1v1~1{provider}~1users/post/parameters")
            .unwrap()
            .to_string();
        for p in REGISTRY {
            for flag in p.flags() {
                assert!(params.contains(flag.query), "{}", flag.query);
            }
        }
        assert!(doc.pointer(PREFLIGHT).is_none());
        assert!(document().starts_with('{'));
    }

    /// What the code can answer on each operation: success statuses and the
    /// problem kinds (see lib.rs `handle`, api.rs, forward.rs).
    fn expected() -> Vec<(&'static str, &'static str, Vec<u16>, Vec<Kind>)> {
        use Kind::*;
        let create = vec![
            OriginNotAllowed,
            Unauthorized,
            RateLimited,
            ProviderNotConfigured,
            UnsupportedMediaType,
            PayloadTooLarge,
            Policy,
            InvalidJson,
            Validation,
            AlreadyExists,
            IdempotencyInFlight,
            IdempotencyKeyReused,
            UpstreamError,
            UpstreamTimeout,
            NotFound,
            Internal,
        ];
        let invite = vec![
            OriginNotAllowed,
            Unauthorized,
            RateLimited,
            ProviderNotConfigured,
            PayloadTooLarge,
            Policy,
            Validation,
            AlreadyExists,
            IdempotencyInFlight,
            IdempotencyKeyReused,
            UpstreamError,
            UpstreamTimeout,
            NotFound,
            Internal,
        ];
        let get = vec![OriginNotAllowed, Internal];
        vec![
            ("/v1/health", "get", vec![200], get.clone()),
            ("/v1/health", "head", vec![200], get.clone()),
            ("/v1/health", "options", vec![204], get.clone()),
            ("/v1/openapi.json", "get", vec![200], get.clone()),
            ("/v1/openapi.json", "head", vec![200], get.clone()),
            ("/v1/openapi.json", "options", vec![204], get.clone()),
            ("/v1/{provider}/users", "post", vec![201], create),
            ("/v1/{provider}/users", "options", vec![204], get.clone()),
            (
                "/v1/{provider}/users/{id}/invite",
                "post",
                vec![200],
                invite,
            ),
            (
                "/v1/{provider}/users/{id}/invite",
                "options",
                vec![204],
                get,
            ),
        ]
    }

    #[test]
    fn every_status_and_slug_the_code_can_answer_is_documented() {
        let doc = doc();
        let paths = doc["paths"].as_object().unwrap();
        let mut seen_ops = 0;
        for (path, method, ok, kinds) in expected() {
            let op = &paths[path][method];
            let responses = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{path} {method}"));
            let documented: BTreeSet<u16> = responses.keys().map(|s| s.parse().unwrap()).collect();
            let mut wanted: BTreeSet<u16> = ok.iter().copied().collect();
            wanted.extend(kinds.iter().map(|k| k.status()));
            assert_eq!(documented, wanted, "{method} {path}");
            for kind in &kinds {
                let r = &responses[&kind.status().to_string()];
                assert!(
                    slugs(&doc, r).contains(kind.slug()),
                    "{method} {path}: {} lacks {}",
                    kind.status(),
                    kind.slug()
                );
            }
            // And nothing documented that the code cannot send.
            for (status, r) in responses {
                for slug in slugs(&doc, r) {
                    assert!(
                        kinds
                            .iter()
                            .any(|k| k.slug() == slug && k.status().to_string() == *status),
                        "{method} {path}: documents {status} {slug}"
                    );
                }
            }
            seen_ops += 1;
        }
        // No undocumented operations either.
        let ops: usize = paths
            .values()
            .map(|item| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| {
                        ["get", "head", "post", "put", "patch", "delete", "options"]
                            .contains(&k.as_str())
                    })
                    .count()
            })
            .sum();
        assert_eq!(ops, seen_ops);
        // Wrong methods and unknown paths.
        for item in paths.values() {
            let other: BTreeSet<&str> = item["x-enlist-other-methods"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(other, BTreeSet::from(["403", "405", "500"]));
        }
        let unknown: BTreeSet<&str> = doc["x-enlist-unknown-paths"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(unknown, BTreeSet::from(["404", "500"]));
        // Every problem kind appears somewhere.
        let text = doc.to_string();
        for kind in Kind::ALL {
            assert!(text.contains(&kind.type_uri()), "{}", kind.slug());
        }
    }
}
