//! The request builders with arbitrary keys, environments, base URLs, options
//! and user ids (a [`BuildHead`] read with `arbitrary`), for every provider:
//! `AnyProvider::build_create_user` and `build_invite`. The rest of the input
//! is the payload; when empty, a valid payload is used so that the fuzzer
//! spends its time on the settings.
//!
//! Invariants: no panic; the result is the one a simple model of the rules
//! predicts (key, then environment, then base URL, then options); an accepted
//! request's URL is visible ASCII only and its header values have no CR, LF,
//! control or non-ASCII character (the only space is the one after an auth
//! scheme such as `API-Key`); the key is in exactly one header, marked
//! sensitive; the query string reads back as the flags set; the invite URL's
//! user id segment decodes back to the user id; `Debug` and `Display` of every
//! result never depend on the key (and, for keys of 8 or more characters, do
//! not contain it).
#![forbid(unsafe_code)]
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use enlist_core::http::{ApiKey, BaseUrl, HttpRequest, RequestError};
use enlist_core::{AnyProvider, BuildError, Options, Settings, REGISTRY};
use enlist_fuzz::{canary_key, percent_decode, valid_payload, BuildHead};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

/// What the builder must answer for these settings, by error code.
fn model(provider: &dyn AnyProvider, settings: &Settings) -> Result<(), &'static str> {
    ApiKey::new(settings.api_key.clone()).map_err(|e| e.code())?;
    if let Some(env) = &settings.environment {
        if !provider.environments().iter().any(|e| e.name == env) {
            return Err("unknown_environment");
        }
    }
    if let Some(url) = &settings.base_url {
        BaseUrl::new(url).map_err(|e| e.code())?;
    }
    for (name, value) in &settings.flags {
        let known = provider
            .flags()
            .iter()
            .any(|f| f.option == name || f.query == name);
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::Bool(_) if known => {}
            _ => return Err("unknown_option"),
        }
    }
    Ok(())
}

/// The query flags the request must carry: the last boolean for each flag.
fn expected_flags(provider: &dyn AnyProvider, settings: &Settings) -> Vec<(&'static str, bool)> {
    provider
        .flags()
        .iter()
        .filter_map(|f| {
            let value = settings
                .flags
                .iter()
                .filter(|(name, _)| *name == f.option || *name == f.query)
                .filter_map(|(_, v)| v.as_bool())
                .next_back()?;
            Some((f.query, value))
        })
        .collect()
}

fn check_request(
    provider: &dyn AnyProvider,
    request: &HttpRequest,
    key: &str,
    settings: &Settings,
) {
    assert!(
        request.url.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        "URL with a space, control or non-ASCII character: {:?}",
        request.url
    );
    assert!(request.url.starts_with("https://") || request.url.starts_with("http://"));
    match &settings.base_url {
        Some(url) => {
            let base = BaseUrl::new(url).expect("accepted");
            assert!(request.url.starts_with(&format!("{}/", base.as_str())));
        }
        None => {
            let env = settings
                .environment
                .as_deref()
                .unwrap_or(provider.environments()[0].name);
            let base = provider
                .environments()
                .iter()
                .find(|e| e.name == env)
                .expect("known");
            assert!(request.url.starts_with(&format!("{}/", base.base_url)));
        }
    }
    let sensitive: Vec<&str> = request
        .headers
        .iter()
        .filter(|h| h.sensitive)
        .map(|h| h.value.as_str())
        .collect();
    assert_eq!(sensitive.len(), 1, "one credential header");
    assert_eq!(
        sensitive[0].rsplit(' ').next(),
        Some(key),
        "the key is the credential"
    );
    for header in &request.headers {
        assert!(!header.name.is_empty() && header.name.bytes().all(|b| b.is_ascii_graphic()));
        let value = &header.value;
        assert!(
            value.bytes().all(|b| (0x20..=0x7e).contains(&b)),
            "header {} has CR, LF, a control or non-ASCII character",
            header.name
        );
        let words: Vec<&str> = value.split(' ').collect();
        assert!(
            words.iter().all(|w| !w.is_empty()),
            "stray space in {}",
            header.name
        );
        assert!(words.len() == 1 || (words.len() == 2 && header.sensitive));
    }
}

fn check_debug(real: &str, canary: &str, key: &str) {
    assert_eq!(real, canary, "Debug/Display depends on the API key");
    if key.len() >= 8 {
        assert!(
            !real.contains(key) || canary.contains(key),
            "the key leaks: {real}"
        );
    }
}

fn describe<T: std::fmt::Debug, E: std::fmt::Debug + std::fmt::Display>(
    r: &Result<T, E>,
) -> String {
    match r {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("{e:?} {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(head) = BuildHead::arbitrary(&mut u) else {
        return;
    };
    let rest = u.take_rest();
    let key = head.api_key.0.clone();
    let settings = Settings {
        api_key: key.clone(),
        environment: head.environment.map(|t| t.0),
        base_url: head.base_url.map(|t| t.0),
        flags: head
            .flags
            .iter()
            .map(|(n, v)| (n.0.clone(), v.to_json()))
            .collect::<BTreeMap<_, _>>(),
    };
    let canary = Settings {
        api_key: canary_key(&key),
        ..settings.clone()
    };
    check_debug(&format!("{settings:?}"), &format!("{canary:?}"), &key);
    let options = Options::default();
    for provider in REGISTRY {
        let payload = if rest.is_empty() {
            valid_payload(provider.id())
        } else {
            rest
        };
        let built = provider.build_create_user(payload, &options, &settings);
        let built_canary = provider.build_create_user(payload, &options, &canary);
        check_debug(&describe(&built), &describe(&built_canary), &key);
        let valid = provider.check_json(payload, &options).is_ok();
        match (&built, model(*provider, &settings)) {
            (Ok(b), Ok(())) => {
                assert!(valid);
                check_request(*provider, &b.request, &key, &settings);
                let query = b.request.url.split_once('?').map_or("", |(_, q)| q);
                assert_eq!(
                    provider.parse_query_flags(query),
                    Ok(expected_flags(*provider, &settings))
                );
                assert!(b
                    .request
                    .url
                    .split_once('?')
                    .is_none_or(|(_, q)| !q.is_empty()));
            }
            (Err(BuildError::Invalid(_)), _) => assert!(!valid),
            (Err(BuildError::Request(e)), Err(code)) => {
                assert!(valid);
                assert_eq!(e.code(), code);
            }
            (got, want) => panic!(
                "built {:?}, the model says {want:?}",
                got.as_ref().map(|_| ())
            ),
        }

        let invite = provider.build_invite(&head.user_id.0, &settings);
        let invite_canary = provider.build_invite(&head.user_id.0, &canary);
        check_debug(&describe(&invite), &describe(&invite_canary), &key);
        if !provider.has_invite() {
            assert_eq!(invite, Err(RequestError::Unsupported("invitations")));
            continue;
        }
        let user_id = &head.user_id.0;
        let id_ok = !user_id.is_empty()
            && user_id.chars().count() <= 256
            && !user_id.chars().any(char::is_control);
        match (&invite, model(*provider, &settings)) {
            (Ok(request), Ok(())) => {
                assert!(id_ok);
                check_request(*provider, request, &key, &settings);
                assert_eq!(request.body, None);
                let path = request
                    .url
                    .strip_suffix("/invite")
                    .expect("ends with /invite");
                let (_, segment) = path.rsplit_once("/user/").expect("has /user/");
                assert!(!segment.contains('/'));
                assert_eq!(percent_decode(segment).as_deref(), Some(user_id.as_bytes()));
            }
            (Err(RequestError::InvalidUserId), Ok(())) => assert!(!id_ok),
            (Err(e), Err(code)) => assert_eq!(e.code(), code),
            (got, want) => panic!(
                "invite {:?}, the model says {want:?}",
                got.as_ref().map(|_| ())
            ),
        }
    }
});
