//! The test suite shared by `tests/node.rs` and `tests/browser.rs`: every
//! export, through the same buffers JavaScript uses, for every registered
//! provider where the test is not about one provider's rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use enlist_wasm::*;
use serde_json::{json, Value};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

const PARTOO_VALID: &str = r#"{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","role":"BUSINESS_MANAGER","business_ids":["5409c35a97bbc544d8e26737"],"lang":"en"}"#;
/// The PandaDoc example of its API reference.
const PANDADOC_EXAMPLE: &str = r#"{"user":{"email":"test@pandadoc.com","first_name":"New","last_name":"User","phone_number":""},"workspaces":[{"workspace_id":"Ab123","role":"Collaborator"}],"license":"Guest"}"#;

fn index(id: &str) -> u32 {
    provider_index(id).unwrap_or_else(|| panic!("{id} is not registered"))
}

fn json_out(len: u32) -> Value {
    let text = output(len);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The compact report of `validate` (`write::report`) read back the way
/// `api.js` reads it: `{"errors": [..], "warnings": [..]}` of issue objects.
fn report_out(len: u32) -> Value {
    let lists = json_out(len);
    let expand = |flat: &Value| -> Vec<Value> {
        let flat = flat.as_array().expect("a flat list of issues");
        assert_eq!(flat.len() % 4, 0, "four values per issue: {flat:?}");
        flat.chunks(4)
            .map(|i| {
                let mut issue = json!({"path": i[0], "code": i[1], "message": i[2]});
                if !i[3].is_null() {
                    issue["params"] = i[3].clone();
                }
                issue
            })
            .collect()
    };
    let n = lists.as_array().map(Vec::len);
    assert!(n == Some(2) || n == Some(3), "{lists}");
    let mut report = json!({"errors": expand(&lists[0]), "warnings": expand(&lists[1])});
    if let Some(omitted) = lists.get(2) {
        report["omitted"] = json!({"errors": omitted[0], "warnings": omitted[1]});
    }
    report
}

fn no_options() {
    assert_eq!(set_options(set_input(b"null")), 0);
}

/// Writes `bytes` at `input_buffer(len)` through a JavaScript view of wasm
/// memory, exactly as the npm package does.
fn write_like_js(bytes: &[u8]) -> u32 {
    let len = bytes.len() as u32;
    let ptr = input_buffer(len) as u32;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let view = js_sys::Uint8Array::new(&memory.buffer());
    view.subarray(ptr, ptr + len).copy_from(bytes);
    len
}

#[wasm_bindgen_test]
fn providers_are_the_core_registry() {
    let ids: Vec<String> = serde_json::from_value(json_out(providers())).unwrap();
    let core: Vec<&str> = enlist_core::provider_ids().collect();
    assert_eq!(ids, core);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(provider_index(id), Some(i as u32));
    }
}

#[wasm_bindgen_test]
fn codes_are_the_core_codes() {
    let codes: Vec<String> = serde_json::from_value(json_out(codes())).unwrap();
    let core: Vec<&str> = enlist_core::Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, core);
}

#[wasm_bindgen_test]
fn valid_input_writes_nothing() {
    no_options();
    let len = write_like_js(PARTOO_VALID.as_bytes());
    assert_eq!(validate(index("partoo"), len), 0);
    let len = write_like_js(PANDADOC_EXAMPLE.as_bytes());
    assert_eq!(validate(index("pandadoc"), len), 0);
}

#[wasm_bindgen_test]
fn every_error_is_reported_at_once() {
    no_options();
    let input = br#"{"email":"nope","first_name":"","role":"admin","lang":"pt-BR","password":"abc","sso_only":"no","firstname":"x"}"#;
    let report = report_out(validate(index("partoo"), write_like_js(input)));
    let found: Vec<(&str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["path"].as_str().unwrap(), i["code"].as_str().unwrap()))
        .collect();
    for expected in [
        ("/email", "email"),
        ("/first_name", "empty"),
        ("/role", "enum"),
        ("/lang", "enum"),
        ("/password", "min_length"),
        ("/password", "password_uppercase"),
        ("/password", "password_special"),
        ("/sso_only", "type"),
        ("/firstname", "unknown_field"),
        ("/last_name", "required"),
    ] {
        assert!(
            found.contains(&expected),
            "{expected:?} missing from {found:?}"
        );
    }
    let lang = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "/lang")
        .unwrap();
    assert_eq!(lang["params"]["suggestion"], "pt-br");
}

#[wasm_bindgen_test]
fn the_report_is_the_core_report() {
    no_options();
    for (id, input) in [
        ("partoo", &br#"{"email":"x@","sidebar_pages":null,"role":"GROUP_MANAGER","business_ids":["a","a"]}"#[..]),
        ("pandadoc", br#"{"user":{"email":"a@b.co","phone_number":"123"},"license":"guest","workspaces":[]}"#),
    ] {
        let p = enlist_core::provider(id).unwrap();
        let expected = serde_json::to_value(p.check_json(input, &Default::default())).unwrap();
        assert_eq!(report_out(validate(index(id), set_input(input))), expected, "{id}");
    }
}

#[wasm_bindgen_test]
fn allowed_email_domains_apply_until_reset() {
    let pandadoc = index("pandadoc");
    assert_eq!(
        set_options(set_input(br#"{"allowedEmailDomains":["acme.com"]}"#)),
        0
    );
    let report = report_out(validate(pandadoc, set_input(PANDADOC_EXAMPLE.as_bytes())));
    assert_eq!(report["errors"][0]["path"], "/user/email");
    assert_eq!(report["errors"][0]["code"], "domain");
    assert_eq!(
        report["errors"][0]["params"]["allowed"],
        json!(["acme.com"])
    );

    assert_eq!(
        set_options(set_input(br#"{"allowedEmailDomains":["PandaDoc.com"]}"#)),
        0
    );
    assert_eq!(
        validate(pandadoc, set_input(PANDADOC_EXAMPLE.as_bytes())),
        0
    );

    let n = set_options(set_input(br#"{"allowedEmailDomains":"acme.com"}"#));
    assert!(output(n).contains("allowedEmailDomains"));
    // Rejected options leave the previous ones in force.
    assert_eq!(
        validate(pandadoc, set_input(PANDADOC_EXAMPLE.as_bytes())),
        0
    );
    no_options();
}

#[wasm_bindgen_test]
fn text_that_is_not_json_is_an_error_not_a_throw() {
    no_options();
    for id in enlist_core::provider_ids() {
        for bad in [&b""[..], b"{", b"\xff\xfe", b"[1,]", b"nul", b"{\"a\":1}{}"] {
            let report = report_out(validate(index(id), set_input(bad)));
            assert_eq!(report["errors"][0]["code"], "invalid_json", "{id} {bad:?}");
            assert_eq!(report["errors"][0]["path"], "");
        }
    }
}

#[wasm_bindgen_test]
fn unknown_provider_indices_are_refused() {
    let bad = u32::try_from(enlist_core::REGISTRY.len()).unwrap();
    set_extra(b"[]");
    for result in [
        validate(bad, 0),
        validate_many(bad, 0),
        build_request(bad, 0, 0),
        parse_response(bad, 200, 0, 0, 0.0),
        rules(bad),
        proxy_request(bad, 0, 0, 0),
        proxy_request(0, 0, 0, 3),
        proxy_response(bad, 201, 0, 0, 0.0),
    ] {
        assert_eq!(result, NO_PROVIDER);
    }
}

#[wasm_bindgen_test]
fn lengths_past_the_buffer_are_clamped() {
    no_options();
    let len = set_input(PARTOO_VALID.as_bytes());
    assert_eq!(validate(index("partoo"), len), 0);
    // JavaScript never does this; the wasm must still not panic.
    assert_eq!(validate(index("partoo"), u32::MAX - 1), 0);
    let _ = parse_response(index("partoo"), 200, u32::MAX, u32::MAX, 0.0);
    let _ = build_request(index("partoo"), u32::MAX, u32::MAX);
    wipe(u32::MAX, u32::MAX);
}

#[wasm_bindgen_test]
fn many_rows_give_the_bulk_report() {
    no_options();
    let other = PARTOO_VALID.replace("ada@", "grace@");
    let rows = format!(r#"[{PARTOO_VALID},{{"email":"x"}},{other},[]]"#);
    let report = json_out(validate_many(index("partoo"), set_input(rows.as_bytes())));
    assert_eq!(report["total"], 4);
    assert_eq!(report["valid"], 2);
    let invalid: Vec<u64> = report["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(invalid, [1, 3]);
    assert!(report.get("errors").is_none());

    let report = json_out(validate_many(index("partoo"), set_input(b"{}")));
    assert_eq!(report["total"], 0);
    assert_eq!(report["errors"][0]["code"], "type");
}

#[wasm_bindgen_test]
fn build_request_uses_the_core_builders() {
    no_options();
    let pandadoc = index("pandadoc");
    let settings =
        set_extra(br#"{"apiKey":"SECRET-KEY","notifyUser":true,"notifyWorkspaceAdmins":false}"#);
    let n = build_request(pandadoc, set_input(PANDADOC_EXAMPLE.as_bytes()), settings);
    let built = json_out(n);
    assert_eq!(built["ok"], true);
    assert_eq!(
        built["request"]["url"],
        "https://api.pandadoc.com/public/v1/users?notify_user=true&notify_ws_admins=false"
    );
    assert_eq!(
        built["request"]["headers"]["Authorization"],
        "API-Key SECRET-KEY"
    );
    let body: Value = serde_json::from_str(built["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::from_str::<Value>(PANDADOC_EXAMPLE).unwrap()
    );

    // `wipe` zeroes what the settings and the output held.
    wipe(settings, n);
    assert!(output(n).bytes().all(|b| b == 0));
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let extra = js_sys::Uint8Array::new(&memory.buffer())
        .subarray(extra_buffer(0) as u32, extra_buffer(0) as u32 + settings)
        .to_vec();
    assert!(extra.iter().all(|&b| b == 0));
}

#[wasm_bindgen_test]
fn unusable_settings_values_are_results_not_throws() {
    no_options();
    let partoo = index("partoo");
    for (settings, code) in [
        (&br#"{}"#[..], "empty_api_key"),
        (br#"{"apiKey":"with space"}"#, "invalid_api_key"),
        (
            br#"{"apiKey":"k","environment":"mars"}"#,
            "unknown_environment",
        ),
        (br#"{"apiKey":"k","baseUrl":"ftp://x"}"#, "invalid_base_url"),
    ] {
        let s = set_extra(settings);
        let out = json_out(build_request(partoo, set_input(PARTOO_VALID.as_bytes()), s));
        assert_eq!(out["ok"], false);
        assert_eq!(
            out["errors"][0]["code"],
            code,
            "{}",
            String::from_utf8_lossy(settings)
        );
        assert_eq!(out["errors"][0]["path"], "");
        assert!(!out.to_string().contains("with space"));
    }
    // An invalid payload is reported first, and nothing is built.
    let s = set_extra(b"{}");
    let out = json_out(build_request(partoo, set_input(b"{}"), s));
    assert_eq!(out["errors"][0]["code"], "required");
}

#[wasm_bindgen_test]
fn settings_of_the_wrong_shape_are_type_errors() {
    no_options();
    let partoo = index("partoo");
    for (settings, message) in [
        (&br#""key""#[..], "buildRequest needs settings: an object { apiKey, environment?, baseUrl?, …the provider's options }."),
        (br#"{"apiKey":"k","notifyUser":true}"#, "settings.notifyUser is not a buildRequest setting for Partoo."),
        (br#"{"apiKey":"k","environment":"sandbox","sso":1}"#, "settings.sso is not a buildRequest setting for Partoo."),
        (br#"{"apiKey":42}"#, "settings.apiKey must be a string."),
    ] {
        let s = set_extra(settings);
        let out = json_out(build_request(partoo, set_input(PARTOO_VALID.as_bytes()), s));
        assert_eq!(out, json!({"ok": false, "typeError": message}));
    }
    let s = set_extra(br#"{"apiKey":"k","notifyUser":"yes"}"#);
    let out = json_out(build_request(
        index("pandadoc"),
        set_input(PANDADOC_EXAMPLE.as_bytes()),
        s,
    ));
    assert_eq!(
        out["typeError"],
        "settings.notifyUser must be true, false or null."
    );
}

/// After `build_request` and `wipe`, no copy of the key may be left anywhere
/// in wasm memory, freed or not (whatever the allocator leaves in freed
/// memory).
#[wasm_bindgen_test]
fn no_copy_of_the_api_key_stays_in_wasm_memory() {
    no_options();
    // A key made at run time (not in the test's data), and the test's one
    // copy of it, skipped by address (`copies_in_memory`).
    let key: Vec<u8> = (0..40)
        .map(|_| b'a' + (js_sys::Math::random() * 26.0) as u8 % 26)
        .collect();
    let mut settings = Vec::with_capacity(key.len() + 64);
    for (id, payload) in [
        ("partoo", PARTOO_VALID.as_bytes()),
        ("pandadoc", PANDADOC_EXAMPLE.as_bytes()),
        ("pandadoc", b"{}"),
    ] {
        for tail in [&br#""}"#[..], br#"","baseUrl":"ftp://x"}"#] {
            settings.clear();
            settings.extend_from_slice(br#"{"apiKey":""#);
            settings.extend_from_slice(&key);
            settings.extend_from_slice(tail);
            let s = set_extra(&settings);
            let n = build_request(index(id), set_input(payload), s);
            // JavaScript reads the output here, then wipes.
            wipe(s, n);
        }
    }
    settings.fill(0);
    let found = copies_in_memory(&key);
    assert!(found.is_empty(), "copies of the key at {found:?}");
}

/// As above, with the key escaped in the settings' JSON (as `JSON.stringify`
/// escapes a `"` or `\` in a key): reading it makes one unescaped copy,
/// which must be gone too.
#[wasm_bindgen_test]
fn no_copy_of_an_escaped_api_key_stays_in_wasm_memory() {
    no_options();
    let key: Vec<u8> = (0..40)
        .map(|_| b'a' + (js_sys::Math::random() * 26.0) as u8 % 26)
        .collect();
    let mut settings = Vec::with_capacity(key.len() + 64);
    for (id, payload) in [
        ("partoo", PARTOO_VALID.as_bytes()),
        ("pandadoc", PANDADOC_EXAMPLE.as_bytes()),
    ] {
        for tail in [&br#""}"#[..], br#"","baseUrl":"ftp://x"}"#] {
            settings.clear();
            settings.extend_from_slice(br#"{"apiKey":""#);
            settings.extend_from_slice(&key[..20]);
            // The 21st character as `\u00XX`.
            settings.extend_from_slice(format!("\\u{:04x}", key[20]).as_bytes());
            settings.extend_from_slice(&key[21..]);
            settings.extend_from_slice(tail);
            let s = set_extra(&settings);
            let n = build_request(index(id), set_input(payload), s);
            // Built (read without copying the output: a copy would hold
            // the key; what it holds is checked natively, in `ops`).
            let start = output_ptr() as u32;
            let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
            let head = js_sys::Uint8Array::new(&memory.buffer())
                .subarray(start, start + 10)
                .to_vec();
            let built = tail.len() == 2;
            assert_eq!(head == br#"{"ok":true"#, built, "{id}");
            wipe(s, n);
        }
    }
    settings.fill(0);
    let found = copies_in_memory(&key);
    assert!(found.is_empty(), "copies of the key at {found:?}");
}

/// Where wasm memory holds `key` (after its first 8 bytes: a freed block's
/// first words may hold the allocator's own data), other than in `key`
/// itself and in this function's buffer.
fn copies_in_memory(key: &[u8]) -> Vec<usize> {
    let needle = &key[8..];
    let skip = key.as_ptr() as usize + 8;
    let mut chunk = vec![0u8; 1 << 16];
    let own = chunk.as_ptr() as usize..chunk.as_ptr() as usize + chunk.len();
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let view = js_sys::Uint8Array::new(&memory.buffer());
    let size = view.length() as usize;
    let step = chunk.len() - needle.len();
    let mut found = Vec::new();
    let mut at = 0;
    while at < size {
        let end = (at + chunk.len()).min(size);
        let part = &mut chunk[..end - at];
        view.subarray(at as u32, end as u32).copy_to(part);
        for (i, window) in part.windows(needle.len()).enumerate() {
            let address = at + i;
            if window == needle && address != skip && !own.contains(&address) {
                found.push(address);
            }
        }
        at += step;
    }
    found.dedup();
    found
}

#[wasm_bindgen_test]
fn reports_are_capped_at_100_issues_by_default() {
    no_options();
    let partoo = index("partoo");
    let mut json = String::from("{");
    for i in 0..6000 {
        json.push_str(&format!("\"f{i}\":1,"));
    }
    json.push_str(r#""email":"a@b.co","first_name":"A","last_name":"B"}"#);
    let report = report_out(validate(partoo, write_like_js(json.as_bytes())));
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(100));
    assert_eq!(report["errors"][99]["path"], "/f99");
    assert_eq!(report["omitted"], json!({"errors": 5900, "warnings": 0}));

    // 200,000 empty rows: every row counted, 100 errors kept.
    let rows = format!("[{}]", vec!["{}"; 200_000].join(","));
    let n = validate_many(partoo, write_like_js(rows.as_bytes()));
    assert!(n < 16_000, "{n} bytes");
    let report = json_out(n);
    assert_eq!(
        (report["total"].as_u64(), report["valid"].as_u64()),
        (Some(200_000), Some(0))
    );
    assert_eq!(report["invalid"].as_array().map(Vec::len), Some(34));
    assert_eq!(
        report["invalid"][33]["omitted"],
        json!({"errors": 2, "warnings": 0})
    );
    assert_eq!(
        report["omitted"],
        json!({"rows": 200_000 - 34, "errors": 600_000 - 100, "warnings": 0})
    );

    // `maxIssues` sets the cap.
    assert_eq!(set_options(set_input(br#"{"maxIssues":2}"#)), 0);
    let report = report_out(validate(partoo, set_input(b"{}")));
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(2));
    assert_eq!(report["omitted"], json!({"errors": 1, "warnings": 0}));
    assert!(set_options(set_input(br#"{"maxIssues":0}"#)) > 0);
    no_options();
}

#[wasm_bindgen_test]
fn a_byte_order_mark_is_accepted() {
    no_options();
    let with_bom = [&b"\xEF\xBB\xBF"[..], PARTOO_VALID.as_bytes()].concat();
    assert_eq!(validate(index("partoo"), write_like_js(&with_bom)), 0);
    let rows = [&b"\xEF\xBB\xBF["[..], PARTOO_VALID.as_bytes(), b"]"].concat();
    let report = json_out(validate_many(index("partoo"), set_input(&rows)));
    assert_eq!(
        (report["total"].as_u64(), report["valid"].as_u64()),
        (Some(1), Some(1))
    );
}

#[wasm_bindgen_test]
fn the_same_email_twice_in_a_batch_is_a_duplicate() {
    no_options();
    let rows = br#"[{"email":"a@b.co","first_name":"A","last_name":"B"},{"email":"A@b.co","first_name":"A","last_name":"B"}]"#;
    let report = json_out(validate_many(index("partoo"), set_input(rows)));
    assert_eq!(report["valid"], 1);
    assert_eq!(report["invalid"][0]["index"], 1);
    assert_eq!(report["invalid"][0]["errors"][0]["path"], "/email");
    assert_eq!(report["invalid"][0]["errors"][0]["code"], "duplicate");
    assert_eq!(
        report["invalid"][0]["errors"][0]["params"],
        json!({"first": 0})
    );
}

#[wasm_bindgen_test]
fn allowed_domains_that_match_nothing_are_refused() {
    for options in [
        &br#"{"allowedEmailDomains":[]}"#[..],
        br#"{"allowedEmailDomains":[""]}"#,
        br#"{"allowedEmailDomains":["@example.com"]}"#,
        br#"{"allowedEmailDomains":["*.example.com"]}"#,
    ] {
        let n = set_options(set_input(options));
        assert!(n > 0, "{}", String::from_utf8_lossy(options));
        assert!(output(n).contains("options.allowedEmailDomains"));
    }
    no_options();
}

#[wasm_bindgen_test]
fn responses_become_outcomes() {
    let partoo = index("partoo");
    let pandadoc = index("pandadoc");
    let h = set_extra(b"[]");
    let o = json_out(parse_response(
        partoo,
        200,
        h,
        set_input(br#"{"id":"5309c3a237bbc544d8e26737","status":"success"}"#),
        0.0,
    ));
    assert_eq!(
        o,
        json!({"kind":"created","provider":"partoo","status":200,"id":"5309c3a237bbc544d8e26737"})
    );

    let h = set_extra(br#"[["Retry-After","30"],["Content-Type","application/json"]]"#);
    let o = json_out(parse_response(pandadoc, 429, h, set_input(b""), 0.0));
    assert_eq!(o["kind"], "rate_limited");
    assert_eq!(o["retry_after"], 30);

    // An HTTP-date becomes the delay it means at the given time, clamped.
    let h = set_extra(br#"[["Retry-After","Wed, 21 Oct 2015 07:28:00 GMT"]]"#);
    let o = json_out(parse_response(
        partoo,
        429,
        h,
        set_input(b""),
        1_445_412_450.0,
    ));
    assert_eq!(o["retry_after"], 30);
    let h = set_extra(br#"[["Retry-After","Wed, 21 Oct 2015 07:28:00 GMT"]]"#);
    let o = json_out(parse_response(partoo, 429, h, set_input(b""), 0.0));
    assert_eq!(o["retry_after"], 86_400);
    let h = set_extra(br#"[["Retry-After","-4"]]"#);
    let o = json_out(parse_response(partoo, 429, h, set_input(b""), 0.0));
    assert_eq!(o["retry_after"], 1);

    for id in enlist_core::provider_ids() {
        let h = set_extra(b"[]");
        let o = json_out(parse_response(
            index(id),
            502,
            h,
            set_input(b"<html>Bad gateway</html>"),
            0.0,
        ));
        assert_eq!(o["kind"], "malformed", "{id}");
        assert_eq!(o["provider"], id);
        let o = json_out(parse_response(index(id), 401, h, set_input(b"{}"), 0.0));
        assert_eq!(o["kind"], "unauthorized", "{id}");
    }
}

#[wasm_bindgen_test]
fn rules_are_the_core_rules() {
    for p in enlist_core::REGISTRY {
        let rules = json_out(enlist_wasm::rules(index(p.id())));
        assert_eq!(rules, serde_json::to_value(p.rules()).unwrap());
        assert_eq!(rules["provider"], p.id());
        assert!(!rules["fields"].as_array().unwrap().is_empty());
    }
    let partoo = json_out(enlist_wasm::rules(index("partoo")));
    assert_eq!(partoo["passwordPolicy"]["minLength"], 8);
    assert_eq!(partoo["deprecated"], json!(["sidebar_pages"]));
}

#[wasm_bindgen_test]
fn proxy_calls_are_planned_and_read() {
    no_options();
    let partoo = index("partoo");
    let extra = set_extra(br#"{"endpoint":"http://127.0.0.1:8787","idempotencyKey":"abc-1"}"#);
    let plan = json_out(proxy_request(
        partoo,
        set_input(PARTOO_VALID.as_bytes()),
        extra,
        0,
    ));
    assert_eq!(plan["kind"], "send");
    assert_eq!(plan["url"], "http://127.0.0.1:8787/v1/partoo/users");
    assert!(plan["headers"]
        .as_array()
        .unwrap()
        .contains(&json!(["Idempotency-Key", "abc-1"])));

    let plan = json_out(proxy_request(partoo, set_input(b"{}"), extra, 0));
    assert_eq!(plan["kind"], "invalid");

    // The import calls: the same checks of their own options, nothing validated.
    let plan = json_out(proxy_request(partoo, set_input(b"{}"), extra, 1));
    assert_eq!(plan["kind"], "send");
    assert_eq!(plan["url"], "http://127.0.0.1:8787/v1/partoo/imports");
    assert_eq!(plan["imports"], "http://127.0.0.1:8787/v1/imports");
    let plan = json_out(proxy_request(partoo, 0, extra, 2));
    assert_eq!(plan["kind"], "error");
    assert!(plan["message"]
        .as_str()
        .unwrap()
        .starts_with("options.idempotencyKey is not an openImport option"));

    let h = set_extra(br#"[["retry-after","9"]]"#);
    let o = json_out(proxy_response(
        partoo,
        429,
        h,
        set_input(br#"{"type":"about:blank","title":"Too Many Requests","status":429,"request_id":"r-1"}"#),
0.0,
    ));
    assert_eq!(o["kind"], "rate_limited");
    assert_eq!(o["retry_after"], 9);
    assert_eq!(o["request_id"], "r-1");
    let h = set_extra(br#"[["retry-after","Thu, 01 Jan 1970 00:02:00 GMT"]]"#);
    let o = json_out(proxy_response(partoo, 429, h, set_input(b""), 60.0));
    assert_eq!(o["retry_after"], 60);
}

/// A deterministic pseudo-random byte soup through every export: nothing may
/// panic (a panic aborts the whole wasm instance).
#[wasm_bindgen_test]
fn no_input_makes_the_wasm_panic() {
    no_options();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = br#"{}[]":,0123456789-+.eE truefalsnul\u00"@/~ab"#;
    for round in 0..400 {
        let len = (next() % 96) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 17 == 0 {
                    (r >> 8) as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            })
            .collect();
        for p in 0..enlist_core::REGISTRY.len() as u32 {
            let status = [200u16, 201, 400, 409, 422, 429, 500][round % 7];
            let n = set_input(&bytes);
            let _ = validate(p, n);
            let _ = validate_many(p, n);
            let e = set_extra(&bytes);
            let _ = build_request(p, n, e);
            let _ = parse_response(p, status, e, n, 0.0);
            let _ = proxy_request(p, n, e, round as u32 % 4);
            let _ = proxy_response(p, status, e, n, 0.0);
            let _ = set_options(n);
        }
    }
    no_options();
}

/// The package's allocator in real wasm memory:
/// blocks of many sizes, freed and resized in a pseudo-random order, keep
/// their contents and never overlap; memory grows while large blocks are
/// live, and freed blocks are reused rather than grown for again.
#[wasm_bindgen_test]
fn the_allocator_keeps_blocks_apart_and_reuses_them() {
    let mut seed = 0x2545_f491_u32;
    let mut next = move |n: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed % n
    };
    let mut live: Vec<(Vec<u8>, u8)> = Vec::new();
    for step in 0..4_000u32 {
        let fill = (step % 251) as u8;
        match next(4) {
            0 | 1 => {
                let len = match next(20) {
                    0 => 100_000 + next(300_000),
                    1..=5 => next(5_000),
                    _ => next(64),
                } as usize;
                live.push((vec![fill; len], fill));
            }
            2 if !live.is_empty() => {
                let (block, fill) = live.swap_remove(next(live.len() as u32) as usize);
                assert!(
                    block.iter().all(|&b| b == fill),
                    "a freed block was overwritten"
                );
            }
            _ if !live.is_empty() => {
                let at = next(live.len() as u32) as usize;
                let (block, old) = &mut live[at];
                assert!(block.iter().all(|b| b == old), "a block was overwritten");
                block.resize(next(10_000) as usize, *old);
            }
            _ => {}
        }
    }
    for (block, fill) in &live {
        assert!(
            block.iter().all(|b| b == fill),
            "a live block was overwritten"
        );
    }
    drop(live);
    // The same allocations twice: the second time, every block comes from
    // what the first freed, so memory does not grow.
    let blocks = || -> Vec<Vec<u8>> { (0..50).map(|i| vec![i as u8; 1_000 * i]).collect() };
    drop(blocks());
    let pages = core::arch::wasm32::memory_size(0);
    let again = blocks();
    assert_eq!(
        core::arch::wasm32::memory_size(0),
        pages,
        "memory grew for reusable blocks"
    );
    assert!(again
        .iter()
        .enumerate()
        .all(|(i, v)| v.iter().all(|&b| b == i as u8)));
}
