//! Round trip: for any payload a provider accepts, the request body it builds
//! parses back (serde_json) to the same value as the payload, validates again
//! with no errors and the same warnings, and builds the same request again.
#![forbid(unsafe_code)]
#![no_main]

use enlist_core::{Options, Settings, REGISTRY};
use enlist_fuzz::same_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let settings = Settings {
        api_key: "fuzz-key-0123456789".into(),
        ..Settings::default()
    };
    let options = Options::default();
    for provider in REGISTRY {
        let Ok(built) = provider.build_create_user(data, &options, &settings) else {
            continue;
        };
        let input: serde_json::Value =
            serde_json::from_slice(data).expect("an accepted payload is JSON");
        let body = built.request.body.as_deref().expect("a body");
        let output: serde_json::Value = serde_json::from_str(body).expect("the body is JSON");
        assert!(
            same_json(&input, &output),
            "{}: the body differs from the payload",
            provider.id()
        );

        let again = provider.check_json(body.as_bytes(), &options);
        assert!(again.errors.is_empty(), "{}: {again}", provider.id());
        let mut before: Vec<String> = built.warnings.iter().map(|w| format!("{w:?}")).collect();
        let mut after: Vec<String> = again.warnings.iter().map(|w| format!("{w:?}")).collect();
        before.sort();
        after.sort();
        assert_eq!(before, after, "{}: warnings changed", provider.id());

        let rebuilt = provider
            .build_create_user(body.as_bytes(), &options, &settings)
            .expect("the body builds");
        assert_eq!(
            rebuilt.request,
            built.request,
            "{}: not idempotent",
            provider.id()
        );
    }
});
