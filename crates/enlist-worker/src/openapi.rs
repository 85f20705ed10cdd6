//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of this proxy.
//!
//! The document is written by hand next to the code (`src/openapi.json`); the
//! parts that come from enlist-core — the provider ids, the issue codes, the
//! providers' query flags from the registry; the limits from the proxy
//! contract ([`enlist_core::proxy`]) — are filled in when it is served, and
//! the CORS preflight operation is copied onto every path. The tests below
//! check the rest against the contract (each problem's status and title, the
//! routes and their methods, header names, the members of each answer) and
//! against the code's problem kinds per operation; the Node tests validate
//! real responses against it.

use enlist_core::proxy;
#[cfg(test)]
use enlist_core::proxy::ProblemKind;
use enlist_core::schema::{ObjectSchema, Type, Unique};
use enlist_core::{Code, REGISTRY};
use serde_json::{json, Value};
use std::cell::RefCell;

const SOURCE: &str = include_str!("openapi.json");
const PREFLIGHT: &str = "/components/x-enlist-preflight";
const SCIM_PREFLIGHT: &str = "/components/x-enlist-scim-preflight";
const SCIM_PATHS: &str = "/components/x-enlist-provider-paths/scim";

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

/// The problem kinds a `type` schema names (`const` or `enum` of problem
/// type URNs); empty when it names anything else.
#[cfg(test)]
fn problem_kinds(schema: Option<&Value>) -> Vec<ProblemKind> {
    let Some(schema) = schema else {
        return Vec::new();
    };
    let values: Vec<&Value> = match (schema.get("const"), schema.get("enum")) {
        (Some(one), _) => vec![one],
        (None, Some(Value::Array(many))) => many.iter().collect(),
        _ => Vec::new(),
    };
    values
        .iter()
        .map(|v| v.as_str().and_then(ProblemKind::from_type))
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
}

/// The document with the registry's and the contract's limits filled in.
pub fn build() -> Value {
    let mut doc: Value = serde_json::from_str(SOURCE).unwrap_or_else(|_| json!({}));
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    set(&mut doc, "/components/schemas/IssueCode/enum", json!(codes));
    let errors = proxy::MAX_PROBLEM_ERRORS;
    set(
        &mut doc,
        "/components/schemas/Problem/properties/errors/maxItems",
        json!(errors),
    );
    set(
        &mut doc,
        "/components/schemas/Problem/properties/total_errors/minimum",
        json!(errors + 1),
    );
    set(
        &mut doc,
        "/components/parameters/IdempotencyKey/schema/maxLength",
        json!(proxy::MAX_IDEMPOTENCY_KEY_LEN),
    );

    // One path item per provider (and per invite call), from the templates.
    let users = doc.pointer(USERS).cloned().unwrap_or_else(|| json!({}));
    let invite = doc.pointer(INVITE).cloned().unwrap_or_else(|| json!({}));
    let imports = doc.pointer(IMPORTS).cloned().unwrap_or_else(|| json!({}));
    let mut items = Vec::new();
    for p in REGISTRY {
        let mut item = users.clone();
        set(
            &mut item,
            "/post/operationId",
            json!(format!("createUser_{}", p.id())),
        );
        set(
            &mut item,
            "/post/summary",
            json!(format!("Create a user at {}", p.name())),
        );
        set(
            &mut item,
            "/post/requestBody/content/application~1json/schema",
            object_schema(p.schema()),
        );
        if let Ok(example) = serde_json::from_str::<Value>(p.example()) {
            if let Some(Value::Object(media)) =
                item.pointer_mut("/post/requestBody/content/application~1json")
            {
                media.insert("example".into(), example);
            }
        }
        // The provider's query flags: a single create's, and every row's of
        // an import job.
        let flags: Vec<Value> = p
            .flags()
            .iter()
            .map(|flag| {
                json!({
                    "name": flag.query,
                    "in": "query",
                    "required": false,
                    "description": format!(
                        "{} A value other than true or false, or any other query parameter, is a 422 `validation` issue at path \"\".",
                        flag.description
                    ),
                    "schema": {"type": "boolean"}
                })
            })
            .collect();
        let add_flags = |item: &mut Value| {
            if let Some(Value::Array(params)) = item.pointer_mut("/post/parameters") {
                params.extend(flags.iter().cloned());
            }
        };
        add_flags(&mut item);
        items.push((format!("/v1/{}/users", p.id()), item));
        let mut item = imports.clone();
        set(
            &mut item,
            "/post/operationId",
            json!(format!("createImport_{}", p.id())),
        );
        set(
            &mut item,
            "/post/summary",
            json!(format!(
                "Start an import job of {} users (admin mode)",
                p.name()
            )),
        );
        // Rows are checked one by one, and an invalid row is reported in
        // the job, not refused: the payload schema is a description of a
        // good row, not a constraint on the request.
        if let Some(Value::Object(rows)) =
            item.pointer_mut("/post/requestBody/content/application~1json/schema/properties/rows")
        {
            rows.insert(
                "items".into(),
                json!({"description": "A create-user payload (x-enlist-row-schema). Each row is validated on its own; an invalid one is reported in the job's rows (status invalid or refused), not refused with the request."}),
            );
            rows.insert("x-enlist-row-schema".into(), object_schema(p.schema()));
        }
        add_flags(&mut item);
        items.push((format!("/v1/{}/imports", p.id()), item));
        if p.has_invite() {
            let mut item = invite.clone();
            set(
                &mut item,
                "/post/operationId",
                json!(format!("inviteUser_{}", p.id())),
            );
            set(
                &mut item,
                "/post/summary",
                json!(format!("Send a {} invitation email", p.name())),
            );
            items.push((format!("/v1/{}/users/{{id}}/invite", p.id()), item));
        }
    }
    // The SCIM paths of the providers that have a SCIM service.
    scim_schemas(&mut doc);
    if let Some(Value::Object(scim)) = doc.pointer(SCIM_PATHS).cloned() {
        for p in REGISTRY.iter().filter(|p| p.has_scim()) {
            for (suffix, template) in &scim {
                let mut item = template.clone();
                if let Value::Object(map) = &mut item {
                    for (method, op) in map.iter_mut() {
                        if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                            continue;
                        }
                        if let Some(op) = op.as_object_mut() {
                            let name =
                                format!("scim{}{}_{}", method, operation_name(suffix), p.id());
                            op.insert("operationId".into(), json!(name));
                        }
                    }
                }
                items.push((format!("/scim/v2/{}{suffix}", p.id()), item));
            }
        }
    }
    let preflight = doc.pointer(PREFLIGHT).cloned();
    let scim_preflight = doc.pointer(SCIM_PREFLIGHT).cloned();
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for (path, item) in items {
            paths.insert(path, item);
        }
        if let (Some(preflight), Some(scim_preflight)) = (preflight, scim_preflight) {
            for (path, item) in paths.iter_mut() {
                // A SCIM path answers SCIM errors, and 404 when SCIM is off.
                if path.starts_with("/scim/") {
                    if let Value::Object(item) = item {
                        item.insert("options".into(), scim_preflight.clone());
                    }
                    continue;
                }
                let mut options = preflight.clone();
                // Only a path with a parameter can name something that is not
                // there, or an import path (which public mode does not serve).
                if !path.contains('{') && !path.contains("/imports") {
                    if let Some(Value::Object(responses)) = options.get_mut("responses") {
                        responses.remove("404");
                    }
                }
                if let Value::Object(item) = item {
                    item.insert("options".into(), options);
                }
            }
        }
    }
    if let Some(Value::Object(components)) = doc.get_mut("components") {
        components.remove("x-enlist-preflight");
        components.remove("x-enlist-scim-preflight");
        components.remove("x-enlist-provider-paths");
    }
    doc
}

/// `/Users/{id}` → `UsersId`, for operation ids.
fn operation_name(suffix: &str) -> String {
    suffix
        .split('/')
        .map(|part| {
            let part = part.trim_matches(|c| c == '{' || c == '}');
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// An ECMA regular expression matching `text` in any ASCII case.
fn any_case(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            out.push('[');
            out.push(c.to_ascii_uppercase());
            out.push(c.to_ascii_lowercase());
            out.push(']');
        } else if c.is_ascii_alphanumeric() || c == ':' || c == '-' {
            out.push(c);
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// The filters `enlist_core::scim::filter` reads, as a pattern: `userName`
/// or `externalId` (any case, optionally with the User schema's URN), `eq`
/// (any case), a JSON string (escapes included; surrogate escapes, which
/// must come in pairs, are left out), spaces or tabs around.
pub fn scim_filter_pattern() -> String {
    const SPACE: &str = r"[ \t]";
    const STRING: &str = r#""(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u(?:[0-9A-Ca-cE-Fe-f][0-9A-Fa-f]{3}|[Dd][0-7][0-9A-Fa-f]{2}))*""#;
    format!(
        "^{SPACE}*(?:{}:)?(?:{}|{}){SPACE}+{}{SPACE}+{STRING}{SPACE}*$",
        any_case(enlist_core::scim::USER_SCHEMA),
        any_case("userName"),
        any_case("externalId"),
        any_case("eq"),
    )
}

/// The SCIM request schemas' parts that come from enlist-core: Partoo's
/// rules for the email and names, the schema URNs (any case), the filter.
fn scim_schemas(doc: &mut Value) {
    let field = |name: &str| {
        enlist_core::partoo::SCHEMA
            .field(name)
            .map_or_else(|| json!({}), |f| type_schema(&f.ty))
    };
    let nullable = |v: Value| json!({"anyOf": [{"type": "null"}, v]});
    let listing = |urn: &str| {
        json!({
            "type": "array",
            "items": {"type": "string"},
            "contains": {"type": "string", "pattern": format!("^{}$", any_case(urn))}
        })
    };
    let users = "/components/schemas/ScimUserCreate/properties";
    set(doc, &format!("{users}/userName"), field("email"));
    set(
        doc,
        &format!("{users}/name/properties/givenName"),
        field("first_name"),
    );
    set(
        doc,
        &format!("{users}/name/properties/familyName"),
        field("last_name"),
    );
    set(
        doc,
        &format!("{users}/schemas"),
        nullable(listing(enlist_core::scim::USER_SCHEMA)),
    );
    let users = "/components/schemas/ScimUserReplace/properties";
    set(doc, &format!("{users}/userName"), nullable(field("email")));
    set(
        doc,
        &format!("{users}/name/anyOf/1/properties/givenName"),
        nullable(field("first_name")),
    );
    set(
        doc,
        &format!("{users}/name/anyOf/1/properties/familyName"),
        nullable(field("last_name")),
    );
    set(
        doc,
        &format!("{users}/schemas"),
        nullable(listing(enlist_core::scim::USER_SCHEMA)),
    );
    set(
        doc,
        "/components/schemas/ScimPatchOp/properties/schemas",
        listing(enlist_core::scim::PATCH_OP_SCHEMA),
    );
    let ops = "/components/schemas/ScimPatchOp/properties/Operations/items/oneOf";
    set(
        doc,
        &format!("{ops}/1/properties/value"),
        field("first_name"),
    );
    set(
        doc,
        &format!("{ops}/2/properties/value"),
        field("last_name"),
    );
    set(
        doc,
        &format!("{ops}/5/properties/value/properties/name.givenName"),
        field("first_name"),
    );
    set(
        doc,
        &format!("{ops}/5/properties/value/properties/name.familyName"),
        field("last_name"),
    );
    // The largest filter in bytes is 4096; 1024 characters are within it
    // whatever they are.
    set(
        doc,
        &format!("{SCIM_PATHS}/~1Users/get/parameters/1/schema"),
        json!({"type": "string", "maxLength": 1024, "pattern": scim_filter_pattern()}),
    );
}

const USERS: &str = "/components/x-enlist-provider-paths/users";
const INVITE: &str = "/components/x-enlist-provider-paths/invite";
const IMPORTS: &str = "/components/x-enlist-provider-paths/imports";

/// A JSON Schema (2020-12) of an enlist-core object schema: the structural
/// part of its rules.
pub fn object_schema(schema: &ObjectSchema) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for field in schema.fields {
        let mut v = type_schema(&field.ty);
        if let Value::Object(map) = &mut v {
            let text = if field.description.is_empty() {
                field.label.to_string()
            } else {
                format!("{}: {}", field.label, field.description)
            };
            map.insert("description".into(), json!(text));
            if field.deprecated {
                map.insert("deprecated".into(), json!(true));
            }
        }
        if field.nullable {
            v = json!({"anyOf": [v, {"type": "null"}]});
        }
        if field.required {
            required.push(field.name);
        }
        properties.insert(field.name.to_string(), v);
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

fn type_schema(ty: &Type) -> Value {
    match ty {
        Type::Text(t) => {
            let mut v = json!({"type": "string", "maxLength": t.max_length});
            if t.non_empty {
                v["minLength"] = json!(1);
                v["pattern"] = json!("\\S");
            }
            v
        }
        Type::Email => {
            json!({"type": "string", "format": "email", "minLength": 3, "maxLength": 254})
        }
        Type::Password(p) => {
            // A safe subset of enlist-core's rules: ASCII letters and
            // punctuation stand for "uppercase", "lowercase" and "special".
            let mut rules = Vec::new();
            if p.uppercase {
                rules.push(json!({"pattern": "[A-Z]"}));
            }
            if p.lowercase {
                rules.push(json!({"pattern": "[a-z]"}));
            }
            if p.special {
                rules.push(json!({"pattern": "[!-/:-@\\[-`{-~]"}));
            }
            json!({
                "type": "string",
                "format": "password",
                "minLength": p.min_length,
                "maxLength": p.max_length,
                "allOf": rules,
            })
        }
        Type::Phone { allow_empty } => {
            // `+`, a country code not starting with 0, 7 to 15 digits in all,
            // optionally grouped by spaces, dots or hyphens (enlist-core also
            // accepts balanced parentheses).
            let pattern = "^\\+[1-9](?:[ .-]?[0-9]){6,14}$";
            if *allow_empty {
                json!({"type": "string", "anyOf": [{"const": ""}, {"pattern": pattern}]})
            } else {
                json!({"type": "string", "pattern": pattern})
            }
        }
        Type::Boolean => json!({"type": "boolean"}),
        Type::Integer => json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
        Type::Enum(values) => json!({"type": "string", "enum": values}),
        Type::Array(a) => {
            let mut v = json!({"type": "array", "items": type_schema(&a.items)});
            if a.min_items > 0 {
                v["minItems"] = json!(a.min_items);
            }
            if matches!(a.unique, Unique::Values) {
                v["uniqueItems"] = json!(true);
            }
            v
        }
        Type::Object(o) => object_schema(o),
        _ => json!({}),
    }
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
        let paths: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // The fixed paths, then each registered provider's.
        let mut expected: BTreeSet<String> = [
            "/v1/health",
            "/v1/openapi.json",
            "/v1/imports",
            "/v1/imports/{id}",
            "/v1/imports/{id}/rows",
            "/v1/imports/{id}/results.csv",
            "/v1/imports/{id}/events",
            "/v1/imports/{id}/pause",
            "/v1/imports/{id}/resume",
            "/v1/imports/{id}/cancel",
            "/v1/imports/{id}/retry",
        ]
        .map(String::from)
        .into();
        for p in REGISTRY {
            expected.insert(format!("/v1/{}/users", p.id()));
            expected.insert(format!("/v1/{}/imports", p.id()));
            if p.has_invite() {
                expected.insert(format!("/v1/{}/users/{{id}}/invite", p.id()));
            }
            if p.has_scim() {
                for part in [
                    "Users",
                    "Users/{id}",
                    "ServiceProviderConfig",
                    "ResourceTypes",
                    "ResourceTypes/{id}",
                    "Schemas",
                    "Schemas/{id}",
                ] {
                    expected.insert(format!("/scim/v2/{}/{part}", p.id()));
                }
            }
        }
        assert_eq!(paths, expected.iter().map(String::as_str).collect());
        assert_eq!(
            doc.pointer("/components/schemas/IssueCode/enum")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            Code::ALL.len()
        );
        for p in REGISTRY {
            let example = &doc["paths"][format!("/v1/{}/users", p.id())]["post"]["requestBody"]
                ["content"]["application/json"]["example"];
            assert_eq!(
                example,
                &serde_json::from_str::<Value>(p.example()).unwrap(),
                "{}",
                p.id()
            );
            for route in ["users", "imports"] {
                let params = doc
                    .pointer(&format!("/paths/~1v1~1{}~1{route}/post/parameters", p.id()))
                    .unwrap()
                    .to_string();
                for q in ["notify_user", "notify_ws_admins"] {
                    assert_eq!(
                        params.contains(q),
                        p.flags().iter().any(|f| f.query == q),
                        "{route} {q}"
                    );
                }
            }
        }
        assert!(doc.pointer(PREFLIGHT).is_none());
        assert!(doc.pointer(USERS).is_none());
        assert!(document().starts_with('{'));
    }

    /// Every problem schema (a `type` naming the proxy's problem types)
    /// states the contract's status and title for it.
    #[test]
    fn problem_statuses_and_titles_are_the_contract_s() {
        fn branches<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::Object(props)) = map.get("properties") {
                        if !problem_kinds(props.get("type")).is_empty() {
                            out.push(props);
                        }
                    }
                    map.values().for_each(|x| branches(x, out));
                }
                Value::Array(items) => items.iter().for_each(|x| branches(x, out)),
                _ => {}
            }
        }
        let doc = doc();
        let mut found = Vec::new();
        branches(&doc, &mut found);
        assert!(found.len() > 20, "{}", found.len());
        let mut kinds_seen = BTreeSet::new();
        for props in found {
            let kinds = problem_kinds(props.get("type"));
            let titles = match (props["title"].get("const"), props["title"].get("enum")) {
                (Some(one), _) => vec![one.clone()],
                (None, Some(Value::Array(many))) => many.clone(),
                _ => panic!("no title: {props:?}"),
            };
            let wanted: Vec<Value> = kinds.iter().map(|k| json!(k.title())).collect();
            assert_eq!(titles, wanted, "{props:?}");
            for kind in &kinds {
                assert_eq!(props["status"]["const"], kind.status(), "{kind:?}");
                kinds_seen.insert(kind.slug());
            }
        }
        assert_eq!(kinds_seen.len(), ProblemKind::ALL.len());
    }

    /// The document's paths are the contract's routes (a provider path per
    /// provider in the registry), each with the contract's methods plus the
    /// preflight.
    #[test]
    fn routes_and_methods_are_the_contract_s() {
        let doc = doc();
        let mut templates = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let mut template = path.clone();
            for p in REGISTRY {
                if let Some(rest) = path.strip_prefix(&format!("/v1/{}/", p.id())) {
                    template = format!("/v1/{{provider}}/{rest}");
                }
                if let Some(rest) = path.strip_prefix(&format!("/scim/v2/{}/", p.id())) {
                    template = format!("/scim/v2/{{provider}}/{rest}");
                }
            }
            let endpoint = proxy::Endpoint::ALL
                .iter()
                .find(|e| e.template == template)
                .unwrap_or_else(|| panic!("{path} is not a route of the contract"));
            let mut methods: Vec<String> = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| !k.starts_with("x-") && *k != "parameters")
                .cloned()
                .collect();
            methods.sort_unstable();
            let mut wanted: Vec<String> = endpoint
                .methods
                .iter()
                .map(|m| m.to_ascii_lowercase())
                .chain(["options".to_string()])
                .collect();
            wanted.sort_unstable();
            assert_eq!(methods, wanted, "{path}");
            templates.insert(endpoint.template);
        }
        let all: BTreeSet<&str> = proxy::Endpoint::ALL.iter().map(|e| e.template).collect();
        assert_eq!(templates, all);
    }

    /// Header names, limits and the members of each answer are the
    /// contract's.
    #[test]
    fn names_limits_and_members_are_the_contract_s() {
        let doc = doc();
        let key = &doc["components"]["parameters"]["IdempotencyKey"];
        assert_eq!(key["name"], proxy::IDEMPOTENCY_KEY);
        assert_eq!(key["schema"]["maxLength"], proxy::MAX_IDEMPOTENCY_KEY_LEN);
        let max_key = format!("1 to {}", proxy::MAX_IDEMPOTENCY_KEY_LEN);
        assert!(key["description"].as_str().unwrap().contains(&max_key));
        let headers: BTreeSet<&str> = doc["components"]["headers"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            headers,
            BTreeSet::from([
                proxy::REQUEST_ID,
                proxy::IDEMPOTENT_REPLAYED,
                proxy::RETRY_AFTER
            ])
        );
        let members = |schema: &Value| {
            let required: BTreeSet<String> = schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let all: BTreeSet<String> = schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            (required, all)
        };
        let contract = |list: &[proxy::Member]| {
            let required = list
                .iter()
                .filter(|m| m.required)
                .map(|m| m.name.to_string());
            let all = list.iter().map(|m| m.name.to_string());
            (required.collect(), all.collect())
        };
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            members(&schemas["Problem"]),
            contract(proxy::problem::MEMBERS)
        );
        assert_eq!(
            members(&schemas["Created"]),
            contract(proxy::created::MEMBERS)
        );
        assert_eq!(
            members(&schemas["Invited"]),
            contract(proxy::invited::MEMBERS)
        );
        let errors = &schemas["Problem"]["properties"]["errors"];
        assert_eq!(errors["maxItems"], proxy::MAX_PROBLEM_ERRORS);
        let at_most = format!("At most {} issues", proxy::MAX_PROBLEM_ERRORS);
        assert!(errors["description"].as_str().unwrap().contains(&at_most));
        let total = &schemas["Problem"]["properties"]["total_errors"];
        assert_eq!(total["minimum"], proxy::MAX_PROBLEM_ERRORS + 1);
    }

    /// What the code can answer on each operation: success statuses and the
    /// problem kinds (see lib.rs `handle`, api.rs, forward.rs).
    fn expected() -> Vec<(String, &'static str, Vec<u16>, Vec<Kind>)> {
        use Kind::*;
        let create = vec![
            OriginNotAllowed,
            Unauthorized,
            RateLimited,
            ProviderNotConfigured,
            UnsupportedMediaType,
            PayloadTooLarge,
            BadRequest,
            Policy,
            InvalidJson,
            Validation,
            AlreadyExists,
            IdempotencyInFlight,
            IdempotencyKeyReused,
            UpstreamError,
            UpstreamTimeout,
            Internal,
        ];
        let invite = vec![
            OriginNotAllowed,
            Unauthorized,
            RateLimited,
            ProviderNotConfigured,
            PayloadTooLarge,
            BadRequest,
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
        // Refusals (origin, path, method) count against the rate limit.
        let get = vec![OriginNotAllowed, RateLimited, Internal];
        let options = vec![OriginNotAllowed, RateLimited, Internal];
        let options_with_id = vec![OriginNotAllowed, NotFound, RateLimited, Internal];
        let mut out = vec![
            ("/v1/health".to_string(), "get", vec![200], get.clone()),
            ("/v1/health".to_string(), "head", vec![200], get.clone()),
            (
                "/v1/health".to_string(),
                "options",
                vec![204],
                options.clone(),
            ),
            (
                "/v1/openapi.json".to_string(),
                "get",
                vec![200],
                get.clone(),
            ),
            (
                "/v1/openapi.json".to_string(),
                "head",
                vec![200],
                get.clone(),
            ),
            (
                "/v1/openapi.json".to_string(),
                "options",
                vec![204],
                options.clone(),
            ),
        ];
        // Import routes: 404 in public mode, where they do not exist.
        let import_create = vec![
            OriginNotAllowed,
            Unauthorized,
            RateLimited,
            ProviderNotConfigured,
            UnsupportedMediaType,
            PayloadTooLarge,
            BadRequest,
            InvalidJson,
            InvalidCsv,
            Validation,
            TooManyImports,
            NotFound,
            Internal,
        ];
        let import_read = vec![
            OriginNotAllowed,
            Unauthorized,
            RateLimited,
            NotFound,
            Internal,
        ];
        let mut import_rows = import_read.clone();
        import_rows.push(Validation);
        let mut import_action = import_read.clone();
        import_action.push(ImportState);
        out.push(("/v1/imports".into(), "get", vec![200], import_read.clone()));
        out.push((
            "/v1/imports".into(),
            "options",
            vec![204],
            options_with_id.clone(),
        ));
        for (part, method, kinds) in [
            ("", "get", &import_read),
            ("/rows", "get", &import_rows),
            ("/results.csv", "get", &import_read),
            ("/events", "get", &import_read),
            ("/pause", "post", &import_action),
            ("/resume", "post", &import_action),
            ("/cancel", "post", &import_action),
            ("/retry", "post", &import_action),
        ] {
            let path = format!("/v1/imports/{{id}}{part}");
            out.push((path.clone(), method, vec![200], kinds.clone()));
            out.push((path, "options", vec![204], options_with_id.clone()));
        }
        for p in REGISTRY {
            let imports = format!("/v1/{}/imports", p.id());
            out.push((
                imports.clone(),
                "post",
                vec![200, 202],
                import_create.clone(),
            ));
            out.push((imports, "options", vec![204], options_with_id.clone()));
            let users = format!("/v1/{}/users", p.id());
            out.push((users.clone(), "post", vec![201], create.clone()));
            out.push((users, "options", vec![204], options.clone()));
            if p.has_invite() {
                let inv = format!("/v1/{}/users/{{id}}/invite", p.id());
                out.push((inv.clone(), "post", vec![200], invite.clone()));
                out.push((inv, "options", vec![204], options_with_id.clone()));
            }
        }
        out
    }

    #[test]
    fn every_status_and_slug_the_code_can_answer_is_documented() {
        let doc = doc();
        let paths = doc["paths"].as_object().unwrap();
        let mut seen_ops = 0;
        for (path, method, ok, kinds) in expected() {
            let op = &paths[path.as_str()][method];
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
        // No undocumented operations either (SCIM's are checked apart).
        let ops: usize = paths
            .iter()
            .filter(|(path, _)| !path.starts_with("/scim/"))
            .map(|(_, item)| {
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
        // Wrong methods (405 in public mode too, where the import
        // operations are 404) and unknown paths.
        for (path, item) in paths {
            let other: BTreeSet<&str> = item["x-enlist-other-methods"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                other,
                BTreeSet::from(["403", "405", "429", "500"]),
                "{path}"
            );
        }
        let unknown: BTreeSet<&str> = doc["x-enlist-unknown-paths"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(unknown, BTreeSet::from(["404", "429", "500"]));
        // Every problem kind appears somewhere.
        let text = doc.to_string();
        for kind in Kind::ALL {
            assert!(text.contains(&kind.type_uri()), "{}", kind.slug());
        }
    }

    /// What the SCIM routes can answer (crate::scim, and the refusals of
    /// lib.rs `handle` rendered as SCIM errors): every status documented,
    /// nothing else, and only SCIM errors.
    #[test]
    fn scim_operations_document_their_statuses_with_scim_errors() {
        let doc = doc();
        let paths = doc["paths"].as_object().unwrap();
        // Token, origin, SCIM off or no such id, rate limit, the proxy
        // failing, Partoo not configured.
        let base = [200, 401, 403, 404, 429, 500, 503];
        let upstream = [502, 504];
        let body = [400, 413, 415];
        let with = |parts: &[&[u16]]| -> BTreeSet<u16> {
            parts.iter().flat_map(|p| p.iter().copied()).collect()
        };
        let expected: Vec<(&str, &str, BTreeSet<u16>)> = vec![
            ("/Users", "get", with(&[&base, &upstream, &[400]])),
            (
                "/Users",
                "post",
                with(&[&base, &upstream, &body, &[201, 409]]),
            ),
            ("/Users/{id}", "get", with(&[&base, &upstream])),
            (
                "/Users/{id}",
                "put",
                with(&[&base, &upstream, &body, &[409]]),
            ),
            (
                "/Users/{id}",
                "patch",
                with(&[&base, &upstream, &body, &[409]]),
            ),
            ("/Users/{id}", "delete", with(&[&base, &upstream, &[204]])),
            ("/ServiceProviderConfig", "get", with(&[&base])),
            ("/ResourceTypes", "get", with(&[&base])),
            ("/ResourceTypes/{id}", "get", with(&[&base])),
            ("/Schemas", "get", with(&[&base])),
            ("/Schemas/{id}", "get", with(&[&base])),
        ];
        let mut ops = 0;
        for (suffix, method, mut wanted) in expected {
            if method != "get" {
                wanted.remove(&200);
            }
            if method == "put" || method == "patch" {
                wanted.insert(200);
            }
            let path = format!("/scim/v2/partoo{suffix}");
            let responses = paths[path.as_str()][method]["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path}"));
            let documented: BTreeSet<u16> = responses.keys().map(|s| s.parse().unwrap()).collect();
            assert_eq!(documented, wanted, "{method} {path}");
            for (status, r) in responses {
                let r = resolve(&doc, r);
                assert!(slugs(&doc, r).is_empty(), "{method} {path} {status}");
                if let Some(content) = r.get("content") {
                    let types: Vec<&String> = content.as_object().unwrap().keys().collect();
                    assert_eq!(types, ["application/scim+json"], "{method} {path} {status}");
                }
            }
            ops += 1;
        }
        let documented: usize = paths
            .iter()
            .filter(|(path, _)| path.starts_with("/scim/"))
            .map(|(_, item)| {
                let item = item.as_object().unwrap();
                let other: BTreeSet<&str> = item["x-enlist-other-methods"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(other, BTreeSet::from(["403", "405", "429", "500"]));
                let preflight: BTreeSet<&str> = item["options"]["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(
                    preflight,
                    BTreeSet::from(["204", "403", "404", "429", "500"])
                );
                item.keys()
                    .filter(|k| {
                        ["get", "head", "post", "put", "patch", "delete"].contains(&k.as_str())
                    })
                    .count()
            })
            .sum();
        assert_eq!(documented, ops);
        // PandaDoc has no SCIM service.
        assert!(!paths.keys().any(|p| p.starts_with("/scim/v2/pandadoc")));
    }

    /// The filter pattern, read by an ECMA-compatible engine, accepts what
    /// `enlist_core::scim::filter` accepts (the Node tests compare the two
    /// on the running Worker).
    #[test]
    fn the_filter_pattern_is_well_formed() {
        let pattern = scim_filter_pattern();
        assert!(pattern.starts_with("^[ \\t]*(?:[Uu][Rr][Nn]:"), "{pattern}");
        assert!(pattern.contains("[Uu][Ss][Ee][Rr][Nn][Aa][Mm][Ee]"));
        assert!(pattern.contains("2\\.0"));
        let doc = doc();
        let filter = &doc["paths"]["/scim/v2/partoo/Users"]["get"]["parameters"][1];
        assert_eq!(filter["name"], "filter");
        assert_eq!(filter["schema"]["pattern"], json!(pattern));
        assert_eq!(
            doc.pointer("/components/schemas/ScimUserCreate/properties/userName/format"),
            Some(&json!("email"))
        );
    }
}
