//! Tests of the provider machinery over the whole registry.

use super::*;
use crate::http::{BaseUrl, Header, RequestError};
use crate::outcome::Outcome;
use crate::schema::{ObjectSchema, Type};
use crate::validate::{self, Options};

fn check_sizes(schema: &ObjectSchema) {
    assert!(schema.fields.len() <= validate::MAX_FIELDS);
    for field in schema.fields {
        let mut ty = &field.ty;
        while let Type::Array(a) = ty {
            ty = &a.items;
        }
        if let Type::Object(inner) = ty {
            check_sizes(inner);
        }
    }
}

#[test]
fn every_example_validates_clean() {
    for p in REGISTRY {
        let report = p.check_json(p.example().as_bytes(), &Options::default());
        assert!(report.is_ok(), "{}: {:?}", p.id(), report.errors);
        assert!(
            report.warnings.is_empty(),
            "{}: {:?}",
            p.id(),
            report.warnings
        );
    }
}

#[test]
fn every_example_answer_is_a_creation() {
    let ids: Vec<&str> = crate::registry::EXAMPLES_CREATED
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(ids, provider_ids().collect::<Vec<_>>());
    for (p, &(_, (status, body))) in REGISTRY.iter().zip(crate::registry::EXAMPLES_CREATED) {
        let outcome = p.parse_create_user_response(status, &[], body.as_bytes());
        assert!(
            matches!(&outcome, Outcome::Created(c) if c.provider == p.id()),
            "{}: {outcome:?}",
            p.id()
        );
    }
}

#[test]
fn every_schema_fits_the_validator() {
    for p in REGISTRY {
        check_sizes(p.schema());
    }
}

#[test]
fn rules_list_the_registry_in_order() {
    let rules: Vec<&str> = RULES.iter().map(|p| p.id()).collect();
    assert_eq!(rules, provider_ids().collect::<Vec<_>>());
    assert!(!rules.is_empty());
}

#[test]
fn ids_are_unique_lowercase_and_environments_valid() {
    let ids: Vec<&str> = provider_ids().collect();
    for (i, id) in ids.iter().enumerate() {
        assert!(!ids[..i].contains(id));
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
    for p in REGISTRY {
        assert!(!p.environments().is_empty(), "{}", p.id());
        for env in p.environments() {
            assert!(BaseUrl::new(env.base_url).is_ok(), "{}", env.base_url);
        }
    }
}

#[test]
fn query_flags_are_parsed_strictly() {
    let pandadoc = provider("pandadoc").expect("registered");
    assert_eq!(
        pandadoc.parse_query_flags("notify_user=true&notify_ws_admins=false"),
        Ok(vec![("notify_user", true), ("notify_ws_admins", false)])
    );
    assert!(pandadoc.parse_query_flags("notify_user=1").is_err());
    assert!(pandadoc.parse_query_flags("x=1").is_err());
    let partoo = provider("partoo").expect("registered");
    assert_eq!(partoo.parse_query_flags(""), Ok(vec![]));
    assert!(partoo.parse_query_flags("notify_user=true").is_err());
}

/// Found by `fuzz/` (target `requests`): the derived `Debug` printed the key.
#[test]
fn settings_debug_redacts_the_key() {
    let settings = Settings {
        api_key: "sk_live_0123456789abcdef".into(),
        base_url: Some("http://127.0.0.1:1".into()),
        ..Settings::default()
    };
    let debug = format!("{settings:?}");
    assert!(!debug.contains("sk_live_0123456789abcdef"), "{debug}");
    assert!(debug.contains("api_key: \"<redacted>\""), "{debug}");
    assert!(debug.contains("127.0.0.1:1"), "{debug}");
}

#[test]
fn settings_from_javascript_options() {
    let settings: Settings =
        serde_json::from_str(r#"{"apiKey":"k","baseUrl":"http://127.0.0.1:1","notifyUser":true}"#)
            .expect("settings");
    let pandadoc = provider("pandadoc").expect("registered");
    let body = br#"{"user":{"email":"a@b.co"},"license":"Full","workspaces":[{"workspace_id":"w","role":"Admin"}]}"#;
    let built = pandadoc
        .build_create_user(body, &Options::default(), &settings)
        .expect("built");
    assert_eq!(
        built.request.url,
        "http://127.0.0.1:1/public/v1/users?notify_user=true"
    );
    let bad: Settings =
        serde_json::from_str(r#"{"apiKey":"k","notifyEveryone":true}"#).expect("settings");
    assert!(matches!(
        pandadoc.build_create_user(body, &Options::default(), &bad),
        Err(BuildError::Request(RequestError::UnknownOption { .. }))
    ));
    // Invalid payloads are reported before the key is even looked at.
    let no_key = Settings::default();
    assert!(matches!(
        pandadoc.build_create_user(b"{}", &Options::default(), &no_key),
        Err(BuildError::Invalid(_))
    ));
    assert!(matches!(
        pandadoc.build_create_user(body, &Options::default(), &no_key),
        Err(BuildError::Request(RequestError::EmptyApiKey))
    ));
    assert!(matches!(
        pandadoc.build_invite("x", &settings),
        Err(RequestError::Unsupported(_))
    ));
}

#[test]
fn the_credential_is_the_sensitive_header_of_every_request() {
    let settings = Settings {
        api_key: "k-123".into(),
        ..Settings::default()
    };
    for provider in REGISTRY {
        let body = provider.example().as_bytes();
        let credential = provider.credential(&settings).expect("credential");
        assert!(credential.sensitive && credential.value.contains("k-123"));
        let mut requests = vec![
            provider
                .build_create_user(body, &Options::default(), &settings)
                .expect("built")
                .request,
        ];
        requests.extend(provider.build_invite("u1", &settings).ok());
        for request in requests {
            let sensitive: Vec<&Header> = request.headers.iter().filter(|h| h.sensitive).collect();
            assert_eq!(sensitive, [&credential], "{}", provider.id());
        }
        assert_eq!(
            provider.credential(&Settings::default()),
            Err(RequestError::EmptyApiKey)
        );
    }
}
