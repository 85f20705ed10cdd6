//! Origin checks and CORS headers.
//!
//! Same-origin calls (no `Origin` header, or the Worker's own origin) are
//! always allowed. A cross-origin call is allowed only from an origin listed
//! in `ALLOWED_ORIGINS` (exact match after lower-casing); it then gets
//! `Access-Control-Allow-Origin` echoing that origin. Anything else is refused
//! before any work is done.

/// Request headers a cross-origin caller may send (the contract's
/// `Idempotency-Key` among them).
pub const ALLOW_HEADERS: &str = "Content-Type, Authorization, Idempotency-Key";
/// Response headers a cross-origin caller may read: the contract's response
/// headers.
pub const EXPOSE_HEADERS: &str = "Retry-After, Idempotent-Replayed, X-Request-Id";
/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE: &str = "600";

/// The verdict on a request's `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No `Origin`, or the Worker's own: no CORS headers needed.
    SameOrigin,
    /// A listed origin: echo it.
    Allowed(String),
    /// Any other origin (including `null`).
    Refused,
}

impl Verdict {
    /// The origin to echo in `Access-Control-Allow-Origin`.
    pub fn allow_origin(&self) -> Option<&str> {
        match self {
            Verdict::Allowed(o) => Some(o),
            _ => None,
        }
    }
}

/// Decides on `origin` (the request's `Origin` header) for a Worker whose own
/// origin is `own` (`scheme://host[:port]`).
pub fn check(origin: Option<&str>, own: &str, allowed: &[String]) -> Verdict {
    let Some(origin) = origin.map(str::trim) else {
        return Verdict::SameOrigin;
    };
    if origin.eq_ignore_ascii_case(own) {
        return Verdict::SameOrigin;
    }
    let lower = origin.to_ascii_lowercase();
    if origin != "null" && allowed.contains(&lower) {
        Verdict::Allowed(origin.to_string())
    } else {
        Verdict::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enlist_core::proxy;

    #[test]
    fn the_contract_s_headers_cross_origins() {
        assert_eq!(
            EXPOSE_HEADERS,
            [
                proxy::RETRY_AFTER,
                proxy::IDEMPOTENT_REPLAYED,
                proxy::REQUEST_ID
            ]
            .join(", ")
        );
        assert!(ALLOW_HEADERS
            .split(", ")
            .any(|h| h == proxy::IDEMPOTENCY_KEY));
    }

    #[test]
    fn verdicts() {
        let allowed = vec!["https://app.example".to_string()];
        let own = "https://enlist.example";
        assert_eq!(check(None, own, &allowed), Verdict::SameOrigin);
        assert_eq!(check(Some(own), own, &allowed), Verdict::SameOrigin);
        assert_eq!(
            check(Some("https://app.example"), own, &allowed),
            Verdict::Allowed("https://app.example".into())
        );
        assert_eq!(
            check(Some("https://APP.example"), own, &allowed).allow_origin(),
            Some("https://APP.example")
        );
        for bad in [
            "https://evil.example",
            "null",
            "",
            "https://app.example.evil.example",
            "http://app.example",
            "https://app.example:8443",
        ] {
            assert_eq!(check(Some(bad), own, &allowed), Verdict::Refused, "{bad}");
        }
    }
}
