//! The contract between the enlist proxy (the Worker) and its clients (the
//! npm package's `createUser`, the form): routes, problem kinds, headers,
//! limits and what a client makes of each answer. The Worker answers from
//! these tables, the npm package reads answers with them, and the TypeScript
//! types and the OpenAPI document are generated from them, so the two sides
//! cannot disagree.
//!
//! ```
//! use enlist_core::proxy::{ClientKind, ProblemKind};
//!
//! let kind = ProblemKind::from_type("urn:enlist:problem:rate_limited").ok_or("unknown")?;
//! assert_eq!((kind.status(), kind.client_kind()), (429, ClientKind::RateLimited));
//! assert!(kind.client_kind().retryable());
//! assert!(!ProblemKind::Validation.client_kind().retryable());
//! # Ok::<(), &str>(())
//! ```

/// The prefix of every problem `type` the proxy sends.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:enlist:problem:";
/// The media type of every error body the proxy sends (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Request header: the caller's key that makes a create safe to repeat.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Response header: `true` when the answer is the stored answer to an
/// earlier request with the same `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
/// Response header: seconds to wait before trying again (429, 409).
pub const RETRY_AFTER: &str = "Retry-After";
/// Response header: the request's id, also in every problem body and log line.
pub const REQUEST_ID: &str = "X-Request-Id";

/// Largest request body of a single create, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Longest `Idempotency-Key`, in bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
/// Longest client token, in bytes.
pub const MAX_CLIENT_TOKEN_LEN: usize = 4096;
/// Most issues one problem answer lists; more are counted in
/// `total_errors` with `truncated: true`.
pub const MAX_PROBLEM_ERRORS: usize = 100;

/// What a client makes of an answer: the `kind` of the npm package's
/// `createUser` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientKind {
    /// `201`: the user was created.
    Created,
    /// Local validation failed; nothing was sent.
    Invalid,
    /// The proxy could not be reached.
    Network,
    /// The request was malformed (a client bug): do not repeat it.
    BadRequest,
    /// A client token is missing or wrong.
    Unauthorized,
    /// The origin or the policy refuses the call.
    Forbidden,
    /// No such route, provider or user.
    NotFound,
    /// A request with the same `Idempotency-Key` is still running.
    Conflict,
    /// The body is too large.
    TooLarge,
    /// The payload is invalid (enlist's or the provider's rules).
    Validation,
    /// The provider already has this user.
    AlreadyExists,
    /// Too many requests; see `retry_after`.
    RateLimited,
    /// The provider failed.
    Upstream,
    /// The provider is not configured on the proxy.
    Unavailable,
    /// No answer in time: the user may or may not exist.
    Timeout,
    /// The proxy failed.
    ServerError,
    /// An answer that is not the proxy's.
    Malformed,
}

impl ClientKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ClientKind] = &[
        ClientKind::Created,
        ClientKind::Invalid,
        ClientKind::Network,
        ClientKind::BadRequest,
        ClientKind::Unauthorized,
        ClientKind::Forbidden,
        ClientKind::NotFound,
        ClientKind::Conflict,
        ClientKind::TooLarge,
        ClientKind::Validation,
        ClientKind::AlreadyExists,
        ClientKind::RateLimited,
        ClientKind::Upstream,
        ClientKind::Unavailable,
        ClientKind::Timeout,
        ClientKind::ServerError,
        ClientKind::Malformed,
    ];

    /// The snake_case name (`"rate_limited"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientKind::Created => "created",
            ClientKind::Invalid => "invalid",
            ClientKind::Network => "network",
            ClientKind::BadRequest => "bad_request",
            ClientKind::Unauthorized => "unauthorized",
            ClientKind::Forbidden => "forbidden",
            ClientKind::NotFound => "not_found",
            ClientKind::Conflict => "conflict",
            ClientKind::TooLarge => "too_large",
            ClientKind::Validation => "validation",
            ClientKind::AlreadyExists => "already_exists",
            ClientKind::RateLimited => "rate_limited",
            ClientKind::Upstream => "upstream",
            ClientKind::Unavailable => "unavailable",
            ClientKind::Timeout => "timeout",
            ClientKind::ServerError => "server_error",
            ClientKind::Malformed => "malformed",
        }
    }

    /// The kind of a name.
    pub fn from_name(name: &str) -> Option<ClientKind> {
        ClientKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// Whether sending the same request again (with the same
    /// `Idempotency-Key`, after `retry_after` when given) can succeed
    /// without anything changing: a network failure, a conflict with a
    /// request still running, a rate limit, the provider failing or not
    /// answering, or the proxy failing. Everything else needs a change first
    /// (the payload, the token, the operator's settings).
    pub const fn retryable(self) -> bool {
        matches!(
            self,
            ClientKind::Network
                | ClientKind::Conflict
                | ClientKind::RateLimited
                | ClientKind::Upstream
                | ClientKind::Timeout
                | ClientKind::ServerError
        )
    }

    /// The kind for a non-2xx status, when the answer's problem `type` is not
    /// one of the proxy's. `409` is `already_exists` when the problem's
    /// `errors` say so.
    ///
    /// ```
    /// use enlist_core::proxy::ClientKind;
    /// assert_eq!(ClientKind::from_status(422, false), ClientKind::Validation);
    /// assert_eq!(ClientKind::from_status(409, true), ClientKind::AlreadyExists);
    /// assert_eq!(ClientKind::from_status(599, false), ClientKind::ServerError);
    /// assert_eq!(ClientKind::from_status(302, false), ClientKind::Malformed);
    /// ```
    pub const fn from_status(status: u16, already_exists: bool) -> ClientKind {
        match status {
            401 => ClientKind::Unauthorized,
            403 => ClientKind::Forbidden,
            404 => ClientKind::NotFound,
            408 | 504 => ClientKind::Timeout,
            409 if already_exists => ClientKind::AlreadyExists,
            409 => ClientKind::Conflict,
            413 => ClientKind::TooLarge,
            422 => ClientKind::Validation,
            429 => ClientKind::RateLimited,
            502 => ClientKind::Upstream,
            503 => ClientKind::Unavailable,
            400..=499 => ClientKind::BadRequest,
            500..=599 => ClientKind::ServerError,
            _ => ClientKind::Malformed,
        }
    }
}

macro_rules! problem_kinds {
    ($(
        $(#[$doc:meta])*
        $variant:ident = ($status:literal, $slug:literal, $title:literal, $client:ident),
    )*) => {
        /// Every problem the proxy answers; each has one status, slug, title
        /// and client kind.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ProblemKind {
            $($(#[$doc])* $variant,)*
        }

        impl ProblemKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$variant,)*];

            /// The HTTP status.
            pub const fn status(self) -> u16 {
                match self { $(ProblemKind::$variant => $status,)* }
            }

            /// The slug of the `type` URN (`rate_limited`).
            pub const fn slug(self) -> &'static str {
                match self { $(ProblemKind::$variant => $slug,)* }
            }

            /// The `title`.
            pub const fn title(self) -> &'static str {
                match self { $(ProblemKind::$variant => $title,)* }
            }

            /// What a client makes of it.
            pub const fn client_kind(self) -> ClientKind {
                match self { $(ProblemKind::$variant => ClientKind::$client,)* }
            }
        }
    };
}

problem_kinds! {
    /// The request body could not be read whole: cut off before its
    /// `Content-Length`, or broken chunked framing.
    BadRequest = (400, "bad_request", "Bad request", BadRequest),
    /// The body is not JSON.
    InvalidJson = (400, "invalid_json", "The body is not valid JSON", BadRequest),
    /// An import file is not a readable CSV (or not UTF-8).
    InvalidCsv = (400, "invalid_csv", "The file is not a readable CSV", BadRequest),
    /// A client token is required and was missing or wrong.
    Unauthorized = (401, "unauthorized", "Missing or invalid client token", Unauthorized),
    /// A cross-origin request from an origin not in `ALLOWED_ORIGINS`.
    OriginNotAllowed = (403, "origin_not_allowed", "Origin not allowed", Forbidden),
    /// The server's policy refuses part of the payload.
    Policy = (403, "policy", "Refused by policy", Forbidden),
    /// No such endpoint, provider or user.
    NotFound = (404, "not_found", "Not Found", NotFound),
    /// Known path, wrong method (see `Allow`).
    MethodNotAllowed = (405, "method_not_allowed", "Method Not Allowed", BadRequest),
    /// The first request with this `Idempotency-Key` is still running.
    IdempotencyInFlight = (409, "idempotency_in_flight", "A request with this Idempotency-Key is in progress", Conflict),
    /// The client token has as many import jobs queued, running or paused
    /// as it may have at once; retrying helps once one has finished.
    TooManyImports = (409, "too_many_imports", "Too many active import jobs", Conflict),
    /// The import job cannot do that now (resume a job that is not paused,
    /// pause a finished one…).
    ImportState = (409, "import_state", "The import job cannot do that now", BadRequest),
    /// The body is over the size limit.
    PayloadTooLarge = (413, "payload_too_large", "Payload too large", TooLarge),
    /// The body is not declared as JSON.
    UnsupportedMediaType = (415, "unsupported_media_type", "Unsupported media type", BadRequest),
    /// The payload (or a query parameter or header) is invalid.
    Validation = (422, "validation", "Validation failed", Validation),
    /// The provider already has a user with this email.
    AlreadyExists = (422, "already_exists", "The user already exists", AlreadyExists),
    /// The `Idempotency-Key` was used before with another request: a client
    /// bug, not worth retrying.
    IdempotencyKeyReused = (422, "idempotency_key_reused", "Idempotency-Key reused with a different request", BadRequest),
    /// Too many requests (ours or the provider's); see `Retry-After`.
    RateLimited = (429, "rate_limited", "Too many requests", RateLimited),
    /// The provider failed, answered something unreadable, or refused the
    /// proxy's credentials.
    UpstreamError = (502, "upstream_error", "The provider could not complete the request", Upstream),
    /// The provider has no API key (or no usable settings) on this proxy.
    ProviderNotConfigured = (503, "provider_not_configured", "Provider not configured", Unavailable),
    /// The provider did not answer in time.
    UpstreamTimeout = (504, "upstream_timeout", "The provider did not answer in time", Timeout),
    /// A bug or a runtime failure in the proxy.
    Internal = (500, "internal", "Internal error", ServerError),
}

impl ProblemKind {
    /// The full `type` URN (`urn:enlist:problem:rate_limited`).
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_TYPE_PREFIX}{}", self.slug())
    }

    /// The kind of a slug.
    pub fn from_slug(slug: &str) -> Option<ProblemKind> {
        ProblemKind::ALL.iter().copied().find(|k| k.slug() == slug)
    }

    /// The kind of a problem `type`, when it is one of the proxy's.
    pub fn from_type(problem_type: &str) -> Option<ProblemKind> {
        Self::from_slug(problem_type.strip_prefix(PROBLEM_TYPE_PREFIX)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn slugs_and_client_kinds_are_unique_snake_case() {
        let snake = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && !s.starts_with('_')
                && !s.ends_with('_')
        };
        let slugs: HashSet<_> = ProblemKind::ALL.iter().map(|k| k.slug()).collect();
        assert_eq!(slugs.len(), ProblemKind::ALL.len());
        assert!(slugs.iter().all(|s| snake(s)));
        let kinds: HashSet<_> = ClientKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds.len(), ClientKind::ALL.len());
        assert!(kinds.iter().all(|s| snake(s)));
        for k in ClientKind::ALL {
            assert_eq!(ClientKind::from_name(k.as_str()), Some(*k));
        }
    }

    #[test]
    fn every_problem_round_trips_and_errors_are_errors() {
        for kind in ProblemKind::ALL {
            assert_eq!(ProblemKind::from_type(&kind.type_uri()), Some(*kind));
            assert!((400..600).contains(&kind.status()), "{kind:?}");
            assert!(!kind.title().is_empty());
        }
        assert_eq!(ProblemKind::from_type("about:blank"), None);
        assert_eq!(ProblemKind::from_type("urn:enlist:problem:nope"), None);
    }

    #[test]
    fn a_problem_s_client_kind_agrees_with_its_status_but_where_the_slug_says_more() {
        for kind in ProblemKind::ALL {
            let by_status = ClientKind::from_status(kind.status(), false);
            let refined = matches!(
                (kind, kind.client_kind()),
                (ProblemKind::AlreadyExists, ClientKind::AlreadyExists)
                    | (ProblemKind::IdempotencyKeyReused, ClientKind::BadRequest)
                    | (ProblemKind::MethodNotAllowed, ClientKind::BadRequest)
                    | (ProblemKind::UnsupportedMediaType, ClientKind::BadRequest)
                    | (ProblemKind::ImportState, ClientKind::BadRequest)
            );
            assert!(refined || by_status == kind.client_kind(), "{kind:?}");
        }
    }

    #[test]
    fn only_transient_kinds_are_retryable() {
        let retryable: Vec<_> = ClientKind::ALL
            .iter()
            .filter(|k| k.retryable())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            retryable,
            [
                "network",
                "conflict",
                "rate_limited",
                "upstream",
                "timeout",
                "server_error"
            ]
        );
    }
}
