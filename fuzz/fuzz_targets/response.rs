//! Every provider's response parsers on an arbitrary status, headers and body
//! (a [`ResponseHead`] read with `arbitrary`, then the body).
//!
//! Invariants: no panic; the outcome agrees with the status class (2xx is a
//! success or `malformed`, never a failure of another kind; 429 is
//! `rate_limited`; other statuses are never a success); a success's ids and
//! roles are well formed (`is_provider_id`, `is_role_name`); failures carry the
//! status and provider; messages are bounded, without `@` (no email address
//! leaks into logs) or control characters; at most 100 field issues, each with
//! a JSON Pointer; `retry_after` is the first `Retry-After` header, and as a
//! wait it stays within 1 s – 1 day at any time; the outcome serializes.
#![forbid(unsafe_code)]
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use enlist_core::{Outcome, RetryAfter, REGISTRY};
use enlist_fuzz::{check_issue, ResponseHead};
use libfuzzer_sys::fuzz_target;

fn check_message(message: &str) {
    assert!(!message.trim().is_empty(), "blank message");
    assert!(message.chars().count() <= 301, "message too long");
    assert!(!message.contains('@'), "an email may leak: {message:?}");
    assert!(
        !message.chars().any(char::is_control),
        "control character in {message:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(head) = ResponseHead::arbitrary(&mut u) else {
        return;
    };
    let body = u.take_rest();
    let headers: Vec<(&str, &str)> = head
        .headers
        .iter()
        .map(|(n, v)| (n.0.as_str(), v.0.as_str()))
        .collect();
    let retry_after = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| RetryAfter::parse(v));
    let status = head.status;
    for provider in REGISTRY {
        let outcome = if head.invite {
            provider.parse_invite_response(status, &headers, body)
        } else {
            provider.parse_create_user_response(status, &headers, body)
        };
        assert!(serde_json::to_string(&outcome).is_ok());
        let success = (200..300).contains(&status);
        match &outcome {
            Outcome::Created(c) => {
                assert!(success && !(head.invite && provider.has_invite()));
                assert_eq!((c.provider, c.status), (provider.id(), status));
                // Only well-formed ids and roles are relayed (issue 17).
                assert!(enlist_core::outcome::is_provider_id(&c.id));
                assert!(c.workspaces.iter().all(|m| m.is_well_formed()));
            }
            Outcome::Invited(i) => {
                assert!(success && head.invite && provider.has_invite());
                assert_eq!((i.provider, i.status), (provider.id(), status));
            }
            other => {
                let failure = other.failure().expect("a failure");
                assert_eq!((failure.provider, failure.status), (provider.id(), status));
                if success {
                    assert_eq!(other.kind(), "malformed", "HTTP {status}");
                }
                if status == 429 {
                    assert_eq!(other.kind(), "rate_limited");
                }
                check_message(&failure.message);
                assert!(failure.errors.len() <= 100);
                for issue in &failure.errors {
                    check_issue(issue);
                    check_message(&issue.message);
                }
                if !success {
                    assert_eq!(failure.retry_after, retry_after);
                }
                for now in [0, u64::from(status) << 24, u64::MAX] {
                    let wait = failure.retry_after.map(|r| r.seconds_from(now));
                    assert!(wait.is_none_or(|s| (1..=86_400).contains(&s)));
                }
            }
        }
    }
});
