//! The seed corpora committed under `fuzz/seeds/<target>/`, generated from:
//! - `tests/schemas/cases.json` (valid and invalid payloads for each provider);
//! - the request examples of the providers' references (`/work/shared/seeds`,
//!   also in `tests/openapi/*.yaml`);
//! - the core's test tables (payloads, CSV imports, provider answers);
//! - sample provider error bodies (the references' and the core tests').
//!
//! `cargo test` (in `fuzz/`) checks that the committed files are current;
//! `ENLIST_WRITE_SEEDS=1 cargo test` rewrites them. File names are the first
//! 16 hex digits of the content's FNV-1a hash, so seeds never collide and a
//! changed seed is a new file.

use crate::{BuildHead, FlagValue, ResponseHead, Text};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Payloads from the references and the core's tests (beyond `cases.json`).
fn payloads() -> Vec<Value> {
    vec![
        // Partoo reference examples.
        json!({"email": "perceval@example.com", "first_name": "Perceval", "last_name": "de Galles"}),
        json!({"email": "karadoc@example.com", "first_name": "Karadoc", "last_name": "de Vannes",
               "org_id": 42, "accesses": [[1, 2], [1, 3]], "business_ids": ["5309c3a237bbc544d8e26737"],
               "role": "BUSINESS_MANAGER", "custom_role": "my_custom_role",
               "sidebar_pages": ["posts", "review_management"], "send_invitation": false,
               "status": "invited", "password": "Sup3r-secret!", "lang": "pt-br", "sso_only": false}),
        // Core tests (partoo).
        json!({"email": "perceval@example.com", "first_name": "Perceval", "last_name": "de Galles",
               "org_id": 42, "accesses": [[1, 2], [1, 3]], "business_ids": ["5409c35a97bbc544d8e26737"],
               "role": "GROUP_MANAGER", "custom_role": "my_custom_role", "sidebar_pages": ["posts", "messages"],
               "send_invitation": false, "status": "invited", "password": "Sup3r-secret", "lang": "fr",
               "sso_only": false}),
        json!({"email": "a@b.co", "first_name": "A", "last_name": "B", "role": "GROUP_MANAGER",
               "accesses": [[1, 2]], "sidebar_pages": null, "lang": "pt-br"}),
        json!({"email": "a@b.co", "first_name": "A", "last_name": "B", "send_invitation": true, "password": "x"}),
        json!({"email": "a@b.co", "first_name": "A", "last_name": "B", "lang": "pt-BR", "role": "org_admin"}),
        json!({"email": "a@b.co", "firstname": "A", "last_name": "B", "nickname": "x"}),
        // PandaDoc reference example and core tests.
        json!({"user": {"email": "test@pandadoc.com", "first_name": "New", "last_name": "User", "phone_number": ""},
               "workspaces": [{"workspace_id": "Ab123", "role": "Collaborator"}], "license": "Guest"}),
        json!({"user": {"email": "new.user@example.com", "first_name": "New", "last_name": "User",
               "phone_number": "+14842634627"}, "workspaces": [{"workspace_id": "Ab123", "role": "Collaborator"}],
               "license": "Guest"}),
        json!({"user": {"email": "a@pandadoc.com"}, "license": "Full",
               "workspaces": [{"workspace_id": "A", "role": "Admin"}, {"workspace_id": "B", "role": "Member"}]}),
        json!({"user": {"email": "test@pandadoc.com", "phone": "+14842634627"}, "license": "read-only",
               "workspaces": [{"workspace_id": "A"}, {"role": "Member"}, {"workspace_id": "", "role": "Member"},
                              {"workspace_id": "A", "role": "collaborator", "id": "x"}], "notify_user": true}),
        json!({"user": {"email": "test@", "phone_number": "+1 484"}, "license": "eSign", "workspaces": []}),
    ]
}

/// JSON texts that are not plain payloads: syntax edge cases.
fn json_texts() -> Vec<Vec<u8>> {
    let mut texts: Vec<Vec<u8>> = [
        &br#"{"email":"a@b.co","first_name":"A","last_name":"B","org_id":99999999999999999999}"#[..],
        br#"{"email":"a@b.co","first_name":"A","last_name":"B","org_id":42.0}"#,
        br#"{"email":"a@b.co","first_name":"A","last_name":"B","org_id":-0}"#,
        br#"{"email":"a@b.co","first_name":"A","last_name":"B","lang":"fr","lang":"xx"}"#,
        br#"{"email":"\u0061@b.co","first_name":"\ud83d\ude00\n\"","last_name":"B\/"}"#,
        br#"{"email": "#,
        br#"[1, 1.0, 1e0, -1.5e3, 9223372036854775808, null, true, false, "x", [], {}]"#,
        b"\xef\xbb\xbf{}",
        b"\"\xff\"",
    ]
    .iter()
    .map(|t| t.to_vec())
    .collect();
    let deep = "[".repeat(64) + &"]".repeat(64);
    texts.push(deep.into_bytes());
    texts
}

/// Every registered provider's example and the payloads of
/// `tests/schemas/cases.json`, by provider.
fn cases(root: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(root.join("tests/schemas/cases.json"))
        .expect("tests/schemas/cases.json");
    let doc: Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let mut out = Vec::new();
    for provider in enlist_core::REGISTRY {
        // Every provider's valid example, and its cases where the file has some.
        if let Ok(example) = serde_json::from_str(provider.example()) {
            out.push(example);
        }
        for case in doc[provider.id()]["cases"].as_array().into_iter().flatten() {
            out.push(case["data"].clone());
        }
    }
    out
}

/// CSV imports from the core's tests, the templates, and a few edge cases.
fn csv_texts() -> Vec<String> {
    // The header rows of the registered providers' CSV templates.
    let mut texts: Vec<String> = enlist_core::REGISTRY
        .iter()
        .map(|p| p.csv_template())
        .collect();
    texts.extend(
        [
            "email,first_name,last_name,org_id,send_invitation,sidebar_pages,business_ids,accesses,password\r\n\
             ada@example.com, Ada ,\"Lovelace, Countess\",42,False,posts; messages,a;b,\"[[1,2],[1,3]]\", pass word \r\n\
             bob@example.com,Bob,,forty,maybe,,,,\n",
            "user.email,user.phone_number,license,workspaces.0.workspace_id,workspaces.0.role,workspaces.1.workspace_id,workspaces.1.role\n\
             new@acme.com,+14842634627,Guest,Ab123,Collaborator,,\n",
            "email,first_name,last_name\n\"a@b.co\",\"Ann \"\"The\"\"\nSecond\",B\nc@d.co,C,D",
            "email,first_name,last_name,send_invitation\nada@example.com,Ada,Lovelace,TRUE\n",
            "email,nickname\na@b.co,Al\n",
            "workspaces.99999999.role\nAdmin\n",
            "\u{feff}email,first_name,last_name,role,lang\r\nx@y.fr,X,Y,ORG_ADMIN,fr\r\n\r\n",
            "user,license,workspaces\n\"{\"\"email\"\":\"\"a@b.co\"\"}\",Full,\"[{\"\"workspace_id\"\":\"\"A\"\",\"\"role\"\":\"\"Admin\"\"}]\"\n",
            "email\n\"open",
            "email,email\n",
            "email,,x\n",
        ]
        .iter()
        .map(|t| t.to_string()),
    );
    texts
}

/// A provider's answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, &'static str)>, &'static str);

/// Answers from the references and the core's tests.
fn responses() -> Vec<Answer> {
    let json = vec![("Content-Type", "application/json")];
    vec![
        (
            200,
            json.clone(),
            r#"{"id":"5309c3a237bbc544d8e26737","status":"success"}"#,
        ),
        (200, vec![], r#"{"id":1234,"status":"success"}"#),
        (200, vec![], r#"{"status":"success"}"#),
        (
            201,
            json.clone(),
            r#"{"workspaces":[{"workspace_id":"MwZbjUVD5C3srSSxkpF4Aj","role":"Member","member_id":"VQDH2hdAPJBhSWmMrYa3zu"}],"user_id":"KwahvjapLm4RDf6pfyYdjA"}"#,
        ),
        (
            400,
            json.clone(),
            r#"{"errors":{"json":{"email":["Email ada@example.com already used"]}}}"#,
        ),
        (
            400,
            json.clone(),
            r#"{"errors":{"json":{"email":["This email is already used."],"lang":["Must be one of: fr, en, es, it, pt-br, de, ar, nl, pl, cs, ca, sk, pt, lv, ro, bg, hu."],"nickname":["Unknown field."]}}}"#,
        ),
        (
            400,
            json.clone(),
            r#"{"errors":{"json":{"lang":["Must be one of: fr, en."],"accesses":{"0":{"1":["Not a valid integer."]}},"_schema":["Bad."]}}}"#,
        ),
        (
            401,
            json.clone(),
            r#"{"errors":{"authentication":"User not authenticated"}}"#,
        ),
        (
            403,
            json.clone(),
            r#"{"errors":{"authorization":"Operation not allowed"}}"#,
        ),
        (
            400,
            json.clone(),
            r#"{"type":"request_error","detail":{"email":["User already exists"]}}"#,
        ),
        (
            400,
            json.clone(),
            r#"{"type":"request_error","detail":{"email":["User already exists","User email should have the same email domain as org admin.","Enter a valid email address."],"role":["Role is not a valid choice.","This field is required."],"license":["Unable to add more licenses.","License is not a valid choice.","This field is required."],"workspace_id":["This field is required.","Workspace with uuid {uuid} not found."]}}"#,
        ),
        (
            401,
            json.clone(),
            r#"{"type":"authentication_error","detail":"Authentication credentials were not provided."}"#,
        ),
        (
            403,
            json.clone(),
            r#"{"type":"permission_error","detail":"You do not have permission to perform this action.","info_message":"You are not allowed to send documents outside of your organization","links":[{"rel":"status","href":"https://api.pandadoc.com/public/v1/documents/RsXrKarV524iCpjci9CMGa","type":"POST"}]}"#,
        ),
        (
            404,
            json.clone(),
            r#"{"type":"request_error","detail":"Not found"}"#,
        ),
        (
            429,
            vec![("Retry-After", "60")],
            r#"{"type":"throttled","detail":"Request was throttled."}"#,
        ),
        (
            400,
            vec![],
            r#"{"type":"throttled","detail":"Request was throttled."}"#,
        ),
        (
            429,
            vec![("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
            "",
        ),
        (409, vec![], r#"{"message":"User ada@example.com exists"}"#),
        (
            422,
            vec![],
            r#"{"detail":{"non_field_errors":["Bad."],"a/b~c":"x"}}"#,
        ),
        (500, vec![], "{}"),
        (
            502,
            vec![("Content-Type", "text/html")],
            "<html><body>Bad gateway</body></html>",
        ),
        (503, vec![], ""),
        (200, vec![], "{\"id\":"),
        (418, vec![], "  \n"),
    ]
}

/// Every seed: `(target, content)`.
pub fn all(root: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut texts: Vec<Vec<u8>> = payloads()
        .iter()
        .chain(cases(root).iter())
        .map(|v| v.to_string().into_bytes())
        .collect();
    // Pretty-printed references, as a form or a file would send them.
    texts.push(serde_json::to_vec_pretty(&payloads()[1]).expect("serializable"));
    texts.extend(json_texts());
    for text in &texts {
        out.push(("validate", text.clone()));
        out.push(("round_trip", text.clone()));
    }
    // Bulk imports: arrays of rows.
    let all_payloads = payloads();
    for chunk in all_payloads.chunks(4) {
        out.push((
            "validate",
            Value::Array(chunk.to_vec()).to_string().into_bytes(),
        ));
    }
    out.push(("validate", b"[]".to_vec()));

    for text in csv_texts() {
        out.push(("csv", text.into_bytes()));
    }

    for (status, headers, body) in responses() {
        for invite in [false, true] {
            let head = ResponseHead {
                invite,
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).into(), (*v).into()))
                    .collect(),
            };
            let mut bytes = Vec::new();
            head.encode(&mut bytes);
            bytes.extend_from_slice(body.as_bytes());
            out.push(("response", bytes));
        }
    }

    let heads = [
        BuildHead {
            api_key: "sk_live_0123456789abcdef".into(),
            environment: None,
            base_url: None,
            flags: vec![],
            user_id: "5309c3a237bbc544d8e26737".into(),
        },
        BuildHead {
            api_key: "3039ba033eb1410caa0a2227158d63c9d6502cd8".into(),
            environment: Some("production".into()),
            base_url: None,
            flags: vec![
                ("notifyUser".into(), FlagValue::True),
                ("notify_ws_admins".into(), FlagValue::False),
            ],
            user_id: "../admin?x=1".into(),
        },
        BuildHead {
            api_key: "key".into(),
            environment: Some("sandbox".into()),
            base_url: Some("http://127.0.0.1:4010/".into()),
            flags: vec![("notifyWorkspaceAdmins".into(), FlagValue::Null)],
            user_id: "é/..".into(),
        },
        BuildHead {
            api_key: "bad\r\nX-Injected: 1".into(),
            environment: Some("staging".into()),
            base_url: Some("https://evil.com\r\nHost: x".into()),
            flags: vec![("notifyEveryone".into(), FlagValue::Text("true".into()))],
            user_id: "a\nb".into(),
        },
        BuildHead {
            api_key: Text("x".repeat(513)),
            environment: None,
            base_url: Some("https://user:pw@example.com/v2".into()),
            flags: vec![("notify_user".into(), FlagValue::Number(1))],
            user_id: "".into(),
        },
    ];
    for head in &heads {
        let mut bytes = Vec::new();
        head.encode(&mut bytes);
        out.push(("requests", bytes.clone()));
        for payload in payloads()
            .iter()
            .take(2)
            .chain(payloads().iter().skip(7).take(2))
        {
            let mut with_payload = bytes.clone();
            with_payload.extend_from_slice(payload.to_string().as_bytes());
            out.push(("requests", with_payload));
        }
    }
    out
}

/// The libFuzzer dictionary `fuzz/enlist.dict`: every field name, enum value,
/// flag and environment of the registered providers, plus JSON, CSV and HTTP
/// tokens the parsers branch on.
pub fn dictionary() -> String {
    use enlist_core::schema::{ObjectSchema, Type};
    fn walk(schema: &ObjectSchema, prefix: &str, out: &mut Vec<String>) {
        for field in schema.fields {
            out.push(format!("\"{}\"", field.name));
            out.push(format!("{prefix}{}", field.name));
            let mut ty = &field.ty;
            let mut column = format!("{prefix}{}.", field.name);
            while let Type::Array(a) = ty {
                ty = &a.items;
                column.push_str("0.");
            }
            match ty {
                Type::Enum(values) => out.extend(values.iter().map(|v| format!("\"{v}\""))),
                Type::Object(inner) => walk(inner, &column, out),
                _ => {}
            }
        }
    }
    let mut tokens = Vec::new();
    for provider in enlist_core::REGISTRY {
        walk(provider.schema(), "", &mut tokens);
        for flag in provider.flags() {
            tokens.push(flag.option.to_string());
            tokens.push(flag.query.to_string());
            tokens.push(format!("{}=true", flag.query));
        }
        for env in provider.environments() {
            tokens.push(env.name.to_string());
            tokens.push(env.base_url.to_string());
        }
    }
    tokens.extend(
        [
            "true",
            "false",
            "null",
            "-0",
            "1e400",
            "9223372036854775808",
            "\\u0000",
            "\\ud83d\\ude00",
            "@example.com",
            "+14842634627",
            "http://",
            "https://",
            "Retry-After",
            "API-Key ",
            "\"errors\"",
            "\"json\"",
            "\"detail\"",
            "\"type\"",
            "\"throttled\"",
            "\"message\"",
            "\"info_message\"",
            "\"user_id\"",
            "\"id\"",
            "\"_schema\"",
            "\"non_field_errors\"",
            "already exists",
            "\r\n",
            "\"\"",
            "\u{feff}",
        ]
        .iter()
        .map(|t| t.to_string()),
    );
    let mut seen = std::collections::BTreeSet::new();
    let mut out = String::from(
        "# libFuzzer dictionary for enlist (generated by fuzz/src/seeds.rs; do not edit).\n",
    );
    for token in tokens {
        if seen.insert(token.clone()) {
            // libFuzzer reads `\\`, `\"` and `\xAB` escapes.
            let escaped: String = token
                .bytes()
                .map(|b| match b {
                    b'"' | b'\\' => format!("\\{}", b as char),
                    0x20..=0x7e => (b as char).to_string(),
                    _ => format!("\\x{b:02X}"),
                })
                .collect();
            out.push_str(&format!("\"{escaped}\"\n"));
        }
    }
    out
}

/// FNV-1a, 64 bits: a stable content name.
fn name(content: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in content {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// `fuzz/seeds/<target>/<name>` for each seed.
pub fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = all(root)
        .into_iter()
        .map(|(target, content)| {
            (
                root.join("fuzz/seeds").join(target).join(name(&content)),
                content,
            )
        })
        .collect();
    files.sort();
    files.dedup();
    files.push((root.join("fuzz/enlist.dict"), dictionary().into_bytes()));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("fuzz/ has a parent")
            .to_path_buf()
    }

    /// Checks the committed seeds; `ENLIST_WRITE_SEEDS=1` rewrites them.
    #[test]
    fn seeds_are_current() {
        let root = root();
        let files = files(&root);
        let write = std::env::var_os("ENLIST_WRITE_SEEDS").is_some();
        let seeds_dir = root.join("fuzz/seeds");
        // (fuzz/enlist.dict is the last entry of `files`.)
        let mut stale = Vec::new();
        for dir in std::fs::read_dir(&seeds_dir)
            .into_iter()
            .flatten()
            .flatten()
        {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if !files.iter().any(|(p, _)| *p == file.path()) {
                    stale.push(file.path());
                }
            }
        }
        if write {
            for path in &stale {
                std::fs::remove_file(path).expect("remove stale seed");
            }
            for (path, content) in &files {
                std::fs::create_dir_all(path.parent().expect("in a dir")).expect("mkdir");
                std::fs::write(path, content).expect("write seed");
            }
            return;
        }
        assert!(
            stale.is_empty(),
            "stale seeds (ENLIST_WRITE_SEEDS=1 cargo test): {stale:?}"
        );
        for (path, content) in &files {
            let found = std::fs::read(path).unwrap_or_default();
            assert!(
                found == *content,
                "missing or changed seed {} (ENLIST_WRITE_SEEDS=1 cargo test)",
                path.display()
            );
        }
    }
}
