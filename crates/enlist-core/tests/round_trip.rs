//! Round trip against the providers' own OpenAPI documents
//! (`tests/openapi/{partoo,pandadoc}.yaml`): for generated valid payloads, the
//! request enlist builds has a body that
//! - reads back (serde_json) as the payload it was built from,
//! - validates again in enlist with no errors,
//! - is valid under the OpenAPI request schema of the operation (formats
//!   checked), and under enlist's own JSON Schema (`tests/schemas/`);
//!
//! and goes to an operation the document has (`POST` on that path), with only
//! the query parameters it declares and the credential header its security
//! scheme names. A structural comparison also keeps `tests/schemas/*.schema.json`
//! in step with the OpenAPI request schemas (same fields, required lists, types,
//! enums and closed objects). The `fuzz/` target `round_trip` checks the first
//! two properties for arbitrary accepted inputs.
#![forbid(unsafe_code)]

mod common;

use common::{pandadoc_user, partoo_user};
use enlist_core::{provider, AnyProvider, Options, Settings};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::LazyLock;
use yaml_rust2::{Yaml, YamlLoader};

fn repo_file(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A YAML document as JSON (keys that are not strings become strings).
fn yaml_to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => json!(i),
        Yaml::Real(text) => text.parse::<f64>().map_or(Value::Null, |f| json!(f)),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Hash(hash) => Value::Object(
            hash.iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
    }
}

/// Replaces every local `$ref` (`#/a/b`) under `value` with what it points to
/// in `root` (the documents here have no recursive references).
fn inline_refs(root: &Value, value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference.strip_prefix('#').expect("a local $ref");
                let target = root.pointer(pointer).expect("$ref resolves");
                return inline_refs(root, target);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), inline_refs(root, v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline_refs(root, v)).collect()),
        other => other.clone(),
    }
}

/// One provider's OpenAPI document, read once.
struct Api {
    doc: Value,
    /// The create-user operation's path (relative to the API root).
    path: &'static str,
    /// The request body schema, references inlined.
    request_schema: Value,
    /// It, compiled with format checking.
    request: jsonschema::Validator,
    /// enlist's own JSON Schema for the same body.
    enlist: jsonschema::Validator,
    enlist_schema: Value,
}

/// `format: email` as the mock upstream's validator (Prism, with ajv-formats)
/// reads it: a dot-atom, `@`, then dot-separated LDH labels. The `jsonschema`
/// crate's own email check also applies IDNA rules (it refuses labels with
/// `--` in 3rd and 4th place, such as `a0--0.com`), which neither provider
/// applies.
fn email_format(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !local.is_empty()
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
        && domain.split('.').all(label)
}

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .with_format("email", email_format)
        .build(schema)
        .expect("a valid JSON Schema")
}

fn api(name: &str, path: &'static str) -> Api {
    let docs = YamlLoader::load_from_str(&repo_file(&format!("tests/openapi/{name}.yaml")))
        .expect("the OpenAPI document is YAML");
    let doc = yaml_to_json(&docs[0]);
    let pointer = format!(
        "/paths/{}/post/requestBody/content/application~1json/schema",
        path.replace('~', "~0").replace('/', "~1")
    );
    let request_schema = inline_refs(&doc, doc.pointer(&pointer).expect("a request schema"));
    let enlist_schema: Value = serde_json::from_str(&repo_file(&format!(
        "tests/schemas/{name}.create_user.schema.json"
    )))
    .expect("JSON");
    Api {
        request: compile(&request_schema),
        enlist: compile(&enlist_schema),
        enlist_schema,
        request_schema,
        doc,
        path,
    }
}

static PARTOO: LazyLock<Api> = LazyLock::new(|| api("partoo", "/user"));
static PANDADOC: LazyLock<Api> = LazyLock::new(|| api("pandadoc", "/public/v1/users"));

fn settings(flags: &[(&str, bool)]) -> Settings {
    Settings {
        api_key: "0123456789abcdef0123456789abcdef".into(),
        flags: flags
            .iter()
            .map(|(k, v)| (k.to_string(), Value::Bool(*v)))
            .collect(),
        ..Settings::default()
    }
}

fn messages(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Builds the create-user request for `payload` and checks every property
/// listed at the top of this file; returns a description of the first failure.
fn check_round_trip(
    p: &dyn AnyProvider,
    api: &Api,
    payload: &Value,
    flags: &[(&str, bool)],
) -> Result<(), String> {
    let settings = settings(flags);
    let built = p
        .build_create_user(
            payload.to_string().as_bytes(),
            &Options::default(),
            &settings,
        )
        .map_err(|e| format!("not built: {e}"))?;
    let request = &built.request;
    let body = request.body.as_deref().ok_or("no body")?;
    let sent: Value = serde_json::from_str(body).map_err(|e| format!("body not JSON: {e}"))?;
    if sent != *payload {
        return Err(format!("body {sent} differs from payload {payload}"));
    }
    let again = p.check_json(body.as_bytes(), &Options::default());
    if !again.errors.is_empty() {
        return Err(format!("the body does not validate again: {again}"));
    }
    let problems = messages(&api.request, &sent);
    if !problems.is_empty() {
        return Err(format!("OpenAPI request schema: {problems:?} for {sent}"));
    }
    let problems = messages(&api.enlist, &sent);
    if !problems.is_empty() {
        return Err(format!("enlist JSON Schema: {problems:?} for {sent}"));
    }

    // The operation: POST on a path the document has, declared query flags only.
    let base = p.environments()[0].base_url;
    let rest = request
        .url
        .strip_prefix(base)
        .ok_or("URL not under the base")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != api.path || request.method.as_str() != "POST" {
        return Err(format!(
            "{} {path} is not the create-user operation",
            request.method.as_str()
        ));
    }
    let operation = &api.doc["paths"][api.path]["post"];
    let declared: BTreeMap<&str, &Value> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|param| (param["name"].as_str().unwrap_or(""), param))
        .collect();
    for pair in query.split('&').filter(|q| !q.is_empty()) {
        let (name, value) = pair.split_once('=').ok_or("query without =")?;
        let param = declared
            .get(name)
            .ok_or(format!("undeclared query {name}"))?;
        if param["in"] != "query" || param["schema"]["type"] != "boolean" {
            return Err(format!("{name} is not a boolean query parameter"));
        }
        if value != "true" && value != "false" {
            return Err(format!("{name}={value} is not a boolean"));
        }
    }
    check_credential(api, request)?;
    Ok(())
}

/// The credential header is the one the document's security scheme names,
/// and matches a header parameter's pattern when one is declared.
fn check_credential(api: &Api, request: &enlist_core::HttpRequest) -> Result<(), String> {
    let schemes = &api.doc["components"]["securitySchemes"];
    let used: Vec<&str> = api.doc["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_object()?.keys().next().map(String::as_str))
        .collect();
    let credential = request
        .headers
        .iter()
        .find(|h| h.sensitive)
        .ok_or("no credential header")?;
    let scheme = used
        .iter()
        .map(|name| &schemes[*name])
        .find(|s| s["type"] == "apiKey" && s["in"] == "header")
        .ok_or("no apiKey header scheme")?;
    let name = scheme["name"].as_str().unwrap_or("");
    if !name.eq_ignore_ascii_case(credential.name) {
        return Err(format!(
            "credential in {} but the scheme says {name}",
            credential.name
        ));
    }
    for operation in api.doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for param in operation["post"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let is_it = param["in"] == "header"
                && param["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name));
            let schema = inline_refs(&api.doc, &param["schema"]);
            if is_it && !compile(&schema).is_valid(&json!(credential.value)) {
                return Err(format!("{name} does not match the declared header schema"));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn partoo_bodies_round_trip_and_satisfy_openapi(user in partoo_user()) {
        let p = provider("partoo").expect("registered");
        let checked = check_round_trip(p, &PARTOO, &user, &[]);
        prop_assert!(checked.is_ok(), "{}", checked.unwrap_err());
    }

    #[test]
    fn pandadoc_bodies_round_trip_and_satisfy_openapi(
        user in pandadoc_user(),
        notify_user in prop::option::of(any::<bool>()),
        notify_admins in prop::option::of(any::<bool>()),
    ) {
        let p = provider("pandadoc").expect("registered");
        let mut flags = Vec::new();
        if let Some(b) = notify_user {
            flags.push(("notifyUser", b));
        }
        if let Some(b) = notify_admins {
            flags.push(("notify_ws_admins", b));
        }
        let checked = check_round_trip(p, &PANDADOC, &user, &flags);
        prop_assert!(checked.is_ok(), "{}", checked.unwrap_err());
    }
}

#[test]
fn the_email_format_oracle() {
    for ok in ["a@b.co", "a.b+c@a0--0.com", "x@xn--p1ai.xn--p1ai"] {
        assert!(email_format(ok), "{ok}");
    }
    for bad in [
        "",
        "a",
        "@b.co",
        "a@",
        "a..b@c.co",
        "a@-b.co",
        "a@b-.co",
        "a b@c.co",
        "a@b..co",
    ] {
        assert!(!email_format(bad), "{bad}");
    }
}

/// The request examples of the OpenAPI documents round trip too.
#[test]
fn openapi_examples_round_trip() {
    let mut checked = 0;
    for (id, api) in [("partoo", &*PARTOO), ("pandadoc", &*PANDADOC)] {
        let p = provider(id).expect("registered");
        let examples = &api.doc["paths"][api.path]["post"]["requestBody"]["content"]
            ["application/json"]["examples"];
        for (name, example) in examples.as_object().expect("examples") {
            check_round_trip(p, api, &example["value"], &[])
                .unwrap_or_else(|e| panic!("{id} example {name}: {e}"));
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} examples");
}

/// Partoo's invite call goes to the document's invite operation, with a user
/// id its `UserId` schema accepts, and no body (the operation has none).
#[test]
fn partoo_invite_matches_openapi() {
    let p = provider("partoo").expect("registered");
    let id = "5309c3a237bbc544d8e26737";
    let request = p.build_invite(id, &settings(&[])).expect("built");
    let template = "/user/{user_id}/invite";
    let operation = &PARTOO.doc["paths"][template]["post"];
    assert!(operation.is_object(), "no POST {template}");
    assert!(operation.get("requestBody").is_none());
    assert_eq!(request.body, None);
    let path = request
        .url
        .strip_prefix(p.environments()[0].base_url)
        .expect("under the base URL");
    assert_eq!(path, template.replace("{user_id}", id));
    let param = &operation["parameters"][0];
    assert_eq!(param["name"], "user_id");
    let schema = inline_refs(&PARTOO.doc, &param["schema"]);
    assert!(compile(&schema).is_valid(&json!(id)));
    check_credential(&PARTOO, &request).expect("credential");
}

/// What a schema says about the shape of a value: JSON types, enum values,
/// and for objects their fields, required fields and whether others are
/// allowed. Lengths, patterns and formats are left out: they are enlist's own
/// rules in `tests/schemas` and absent from the OpenAPI documents on purpose.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    types: BTreeSet<String>,
    values: Option<BTreeSet<String>>,
    fields: BTreeMap<String, Shape>,
    required: BTreeSet<String>,
    closed: bool,
    items: Option<Box<Shape>>,
}

fn shape(schema: &Value) -> Shape {
    let strings = |v: &Value| -> BTreeSet<String> {
        match v {
            Value::String(s) => BTreeSet::from([s.clone()]),
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().unwrap_or("?").to_string())
                .collect(),
            _ => BTreeSet::new(),
        }
    };
    let values = schema.get("enum").map(strings);
    let mut types = schema.get("type").map(strings).unwrap_or_default();
    if types.is_empty() && values.is_some() {
        // An enum of strings is a string.
        types.insert("string".into());
    }
    let empty = Map::new();
    let properties = schema["properties"].as_object().unwrap_or(&empty);
    Shape {
        types,
        values,
        fields: properties
            .iter()
            .map(|(k, v)| (k.clone(), shape(v)))
            .collect(),
        required: strings(&schema["required"]),
        closed: schema["additionalProperties"] == false,
        items: schema.get("items").map(|i| Box::new(shape(i))),
    }
}

/// `tests/schemas/*.schema.json` (enlist's rules, hand-written) describe the
/// same bodies as the providers' OpenAPI request schemas.
#[test]
fn enlist_json_schemas_match_the_openapi_request_schemas() {
    for (name, api) in [("partoo", &*PARTOO), ("pandadoc", &*PANDADOC)] {
        let ours = shape(&inline_refs(&api.enlist_schema, &api.enlist_schema));
        let theirs = shape(&api.request_schema);
        assert_eq!(
            ours, theirs,
            "{name}: tests/schemas and tests/openapi disagree"
        );
    }
}
