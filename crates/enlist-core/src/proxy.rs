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

/// One route of the proxy: its path template and the methods it answers.
/// In a template, `{provider}` is a provider id of the registry
/// ([`crate::provider_ids`]) and `{id}` a user's or an import job's id.
///
/// ```
/// use enlist_core::proxy::Endpoint;
///
/// assert_eq!(Endpoint::CREATE_USER.template, "/v1/{provider}/users");
/// assert!(Endpoint::HEALTH.accepts("HEAD") && !Endpoint::HEALTH.accepts("POST"));
/// assert_eq!(Endpoint::import_action("pause"), Some(&Endpoint::IMPORT_PAUSE));
/// assert!(Endpoint::ALL.contains(&Endpoint::IMPORT_PAUSE));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The path template (`/v1/{provider}/users`).
    pub template: &'static str,
    /// The methods it answers, `OPTIONS` (the CORS preflight, answered on
    /// every route) aside.
    pub methods: &'static [&'static str],
    /// The same as the `Allow` header lists them (`GET, HEAD`).
    pub allow: &'static str,
    /// Whether the route belongs to the import API, which only a proxy in
    /// admin mode serves (in public mode it answers `404 not_found`).
    pub admin_only: bool,
}

/// The methods of a read-only route.
const GET_HEAD: (&[&str], &str) = (&["GET", "HEAD"], "GET, HEAD");
/// The methods of a listing or job read.
const GET: (&[&str], &str) = (&["GET"], "GET");
/// The methods of a route that acts.
const POST: (&[&str], &str) = (&["POST"], "POST");
/// The methods of the SCIM user collection (list and search, create).
const SCIM_COLLECTION: (&[&str], &str) = (&["GET", "POST"], "GET, POST");
/// The methods of one SCIM user.
const SCIM_RESOURCE: (&[&str], &str) = (
    &["GET", "PUT", "PATCH", "DELETE"],
    "GET, PUT, PATCH, DELETE",
);

impl Endpoint {
    const fn new(
        template: &'static str,
        (methods, allow): (&'static [&'static str], &'static str),
        admin_only: bool,
    ) -> Endpoint {
        Endpoint {
            template,
            methods,
            allow,
            admin_only,
        }
    }

    /// `GET /v1/health`: liveness, mode and each provider's readiness.
    pub const HEALTH: Endpoint = Endpoint::new("/v1/health", GET_HEAD, false);
    /// `GET /v1/openapi.json`: the proxy's OpenAPI document.
    pub const OPENAPI: Endpoint = Endpoint::new("/v1/openapi.json", GET_HEAD, false);
    /// `POST /v1/{provider}/users`: create a user ([`created`] answer).
    pub const CREATE_USER: Endpoint = Endpoint::new("/v1/{provider}/users", POST, false);
    /// `POST /v1/{provider}/users/{id}/invite`: send an invitation, for
    /// providers that have one ([`invited`] answer).
    pub const INVITE: Endpoint = Endpoint::new("/v1/{provider}/users/{id}/invite", POST, false);
    /// `POST /v1/{provider}/imports`: start an import job.
    pub const CREATE_IMPORT: Endpoint = Endpoint::new("/v1/{provider}/imports", POST, true);
    /// `GET /v1/imports`: the caller's import jobs.
    pub const IMPORTS: Endpoint = Endpoint::new("/v1/imports", GET, true);
    /// `GET /v1/imports/{id}`: one job.
    pub const IMPORT: Endpoint = Endpoint::new("/v1/imports/{id}", GET, true);
    /// `GET /v1/imports/{id}/rows`: a job's rows, a page at a time.
    pub const IMPORT_ROWS: Endpoint = Endpoint::new("/v1/imports/{id}/rows", GET, true);
    /// `GET /v1/imports/{id}/results.csv`: a job's results as CSV.
    pub const IMPORT_RESULTS: Endpoint = Endpoint::new("/v1/imports/{id}/results.csv", GET, true);
    /// `GET /v1/imports/{id}/events`: a job's progress as server-sent events.
    pub const IMPORT_EVENTS: Endpoint = Endpoint::new("/v1/imports/{id}/events", GET, true);
    /// `POST /v1/imports/{id}/pause`.
    pub const IMPORT_PAUSE: Endpoint = Endpoint::new("/v1/imports/{id}/pause", POST, true);
    /// `POST /v1/imports/{id}/resume`.
    pub const IMPORT_RESUME: Endpoint = Endpoint::new("/v1/imports/{id}/resume", POST, true);
    /// `POST /v1/imports/{id}/cancel`.
    pub const IMPORT_CANCEL: Endpoint = Endpoint::new("/v1/imports/{id}/cancel", POST, true);
    /// `POST /v1/imports/{id}/retry`: resend the rows that failed.
    pub const IMPORT_RETRY: Endpoint = Endpoint::new("/v1/imports/{id}/retry", POST, true);

    /// `GET`, `POST /scim/v2/{provider}/Users`: list or filter users,
    /// create one (SCIM 2.0, for providers that opt in).
    pub const SCIM_USERS: Endpoint =
        Endpoint::new("/scim/v2/{provider}/Users", SCIM_COLLECTION, false);
    /// `GET`, `PUT`, `PATCH`, `DELETE /scim/v2/{provider}/Users/{id}`.
    pub const SCIM_USER: Endpoint =
        Endpoint::new("/scim/v2/{provider}/Users/{id}", SCIM_RESOURCE, false);
    /// `GET /scim/v2/{provider}/ServiceProviderConfig`.
    pub const SCIM_SERVICE_PROVIDER_CONFIG: Endpoint =
        Endpoint::new("/scim/v2/{provider}/ServiceProviderConfig", GET, false);
    /// `GET /scim/v2/{provider}/ResourceTypes`.
    pub const SCIM_RESOURCE_TYPES: Endpoint =
        Endpoint::new("/scim/v2/{provider}/ResourceTypes", GET, false);
    /// `GET /scim/v2/{provider}/ResourceTypes/{id}`.
    pub const SCIM_RESOURCE_TYPE: Endpoint =
        Endpoint::new("/scim/v2/{provider}/ResourceTypes/{id}", GET, false);
    /// `GET /scim/v2/{provider}/Schemas`.
    pub const SCIM_SCHEMAS: Endpoint = Endpoint::new("/scim/v2/{provider}/Schemas", GET, false);
    /// `GET /scim/v2/{provider}/Schemas/{id}`.
    pub const SCIM_SCHEMA: Endpoint = Endpoint::new("/scim/v2/{provider}/Schemas/{id}", GET, false);

    /// The job actions, `POST /v1/imports/{id}/<action>`.
    pub const IMPORT_ACTIONS: &'static [Endpoint] = &[
        Endpoint::IMPORT_PAUSE,
        Endpoint::IMPORT_RESUME,
        Endpoint::IMPORT_CANCEL,
        Endpoint::IMPORT_RETRY,
    ];

    /// Every route.
    pub const ALL: &'static [Endpoint] = &[
        Endpoint::HEALTH,
        Endpoint::OPENAPI,
        Endpoint::CREATE_USER,
        Endpoint::INVITE,
        Endpoint::CREATE_IMPORT,
        Endpoint::IMPORTS,
        Endpoint::IMPORT,
        Endpoint::IMPORT_ROWS,
        Endpoint::IMPORT_RESULTS,
        Endpoint::IMPORT_EVENTS,
        Endpoint::IMPORT_PAUSE,
        Endpoint::IMPORT_RESUME,
        Endpoint::IMPORT_CANCEL,
        Endpoint::IMPORT_RETRY,
        Endpoint::SCIM_USERS,
        Endpoint::SCIM_USER,
        Endpoint::SCIM_SERVICE_PROVIDER_CONFIG,
        Endpoint::SCIM_RESOURCE_TYPES,
        Endpoint::SCIM_RESOURCE_TYPE,
        Endpoint::SCIM_SCHEMAS,
        Endpoint::SCIM_SCHEMA,
    ];

    /// Whether `method` (upper case, as HTTP spells it) is one of
    /// [`Endpoint::methods`].
    pub fn accepts(&self, method: &str) -> bool {
        self.methods.contains(&method)
    }

    /// The job action route whose last segment is `action`.
    pub fn import_action(action: &str) -> Option<&'static Endpoint> {
        // Prefix and equality only: no pattern searching, which the npm
        // package's wasm would otherwise link for nothing.
        Endpoint::IMPORT_ACTIONS
            .iter()
            .find(|e| e.template.strip_prefix("/v1/imports/{id}/") == Some(action))
    }
}

/// A member of a success answer's JSON object.
///
/// ```
/// use enlist_core::proxy::created;
/// let required: Vec<&str> = created::MEMBERS.iter().filter(|m| m.required).map(|m| m.name).collect();
/// assert_eq!(required, ["provider", "status", "id", "warnings"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Member {
    /// Its name.
    pub name: &'static str,
    /// Whether every answer has it.
    pub required: bool,
}

/// The `201` answer to `POST /v1/{provider}/users`: the core's
/// [`Created`](crate::Created) outcome plus validation warnings.
pub mod created {
    use super::Member;

    /// `provider`: the provider's id.
    pub const PROVIDER: Member = Member {
        name: "provider",
        required: true,
    };
    /// `status`: the provider's own HTTP status, relayed.
    pub const STATUS: Member = Member {
        name: "status",
        required: true,
    };
    /// `id`: the new user's id at the provider.
    pub const ID: Member = Member {
        name: "id",
        required: true,
    };
    /// `workspaces`: the memberships the provider reported (absent when none).
    pub const WORKSPACES: Member = Member {
        name: "workspaces",
        required: false,
    };
    /// `warnings`: the proxy's validation warnings (issues).
    pub const WARNINGS: Member = Member {
        name: "warnings",
        required: true,
    };
    /// Every member, in the order the proxy writes them.
    pub const MEMBERS: &[Member] = &[PROVIDER, STATUS, ID, WORKSPACES, WARNINGS];
}

/// The `200` answer to `POST /v1/{provider}/users/{id}/invite`.
pub mod invited {
    use super::Member;

    /// Every member: `provider`, `status` (the provider's) and `id` (the
    /// invited user's).
    pub const MEMBERS: &[Member] = &[
        super::created::PROVIDER,
        super::created::STATUS,
        super::created::ID,
    ];
}

/// The members of every problem answer (RFC 9457, `application/problem+json`).
pub mod problem {
    use super::Member;

    /// `type`: `urn:enlist:problem:<slug>` ([`super::ProblemKind::type_uri`]).
    pub const TYPE: Member = Member {
        name: "type",
        required: true,
    };
    /// `title`: the kind's title ([`super::ProblemKind::title`]).
    pub const TITLE: Member = Member {
        name: "title",
        required: true,
    };
    /// `status`: the HTTP status.
    pub const STATUS: Member = Member {
        name: "status",
        required: true,
    };
    /// `detail`: this occurrence, in English (never request data).
    pub const DETAIL: Member = Member {
        name: "detail",
        required: true,
    };
    /// `request_id`: as in the `X-Request-Id` header.
    pub const REQUEST_ID: Member = Member {
        name: "request_id",
        required: true,
    };
    /// `errors`: the issues, at most [`super::MAX_PROBLEM_ERRORS`].
    pub const ERRORS: Member = Member {
        name: "errors",
        required: false,
    };
    /// `truncated`: `true` when `errors` lists only the first
    /// [`super::MAX_PROBLEM_ERRORS`] issues.
    pub const TRUNCATED: Member = Member {
        name: "truncated",
        required: false,
    };
    /// `total_errors`: how many issues there were, when `truncated`.
    pub const TOTAL_ERRORS: Member = Member {
        name: "total_errors",
        required: false,
    };
    /// Every member, in the order the proxy writes them.
    pub const MEMBERS: &[Member] = &[
        TYPE,
        TITLE,
        STATUS,
        DETAIL,
        REQUEST_ID,
        ERRORS,
        TRUNCATED,
        TOTAL_ERRORS,
    ];
}

macro_rules! client_kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What a client makes of an answer: the `kind` of the npm package's
        /// `createUser` result.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ClientKind {
            $($(#[$doc])* $variant,)*
        }

        impl ClientKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ClientKind] = &[$(ClientKind::$variant,)*];
            // Indexed by discriminant: a lookup is a load.
            const NAMES: &'static [&'static str] = &[$($name,)*];
        }
    };
}

client_kinds! {
    /// `201`: the user was created.
    Created = "created",
    /// Local validation failed; nothing was sent.
    Invalid = "invalid",
    /// The proxy could not be reached.
    Network = "network",
    /// The request was malformed (a client bug): do not repeat it.
    BadRequest = "bad_request",
    /// A client token is missing or wrong.
    Unauthorized = "unauthorized",
    /// The origin or the policy refuses the call.
    Forbidden = "forbidden",
    /// No such route, provider or user.
    NotFound = "not_found",
    /// A request with the same `Idempotency-Key` is still running.
    Conflict = "conflict",
    /// The body is too large.
    TooLarge = "too_large",
    /// The payload is invalid (enlist's or the provider's rules).
    Validation = "validation",
    /// The provider already has this user.
    AlreadyExists = "already_exists",
    /// Too many requests; see `retry_after`.
    RateLimited = "rate_limited",
    /// The provider failed.
    Upstream = "upstream",
    /// The provider is not configured on the proxy.
    Unavailable = "unavailable",
    /// No answer in time: the user may or may not exist.
    Timeout = "timeout",
    /// The proxy failed.
    ServerError = "server_error",
    /// An answer that is not the proxy's.
    Malformed = "malformed",
}

impl ClientKind {
    /// The snake_case name (`"rate_limited"`).
    pub const fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
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
        $variant:ident = ($status:literal, $slug:literal, $title:literal, $client:ident, $when:literal),
    )*) => {
        /// Every problem the proxy answers; each has one status, slug, title,
        /// client kind and description.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ProblemKind {
            $(#[doc = $when] $variant,)*
        }

        // One array per property, indexed by the kind's discriminant: a
        // lookup is a load, and what a build never asks for (titles and
        // descriptions in the npm package's wasm) is not linked.
        impl ProblemKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$variant,)*];
            const STATUSES: &'static [u16] = &[$($status,)*];
            const SLUGS: &'static [&'static str] = &[$($slug,)*];
            const TITLES: &'static [&'static str] = &[$($title,)*];
            const CLIENT_KINDS: &'static [ClientKind] = &[$(ClientKind::$client,)*];
            const DESCRIPTIONS: &'static [&'static str] = &[$($when,)*];

            /// The HTTP status.
            pub const fn status(self) -> u16 {
                Self::STATUSES[self as usize]
            }

            /// The slug of the `type` URN (`rate_limited`).
            pub const fn slug(self) -> &'static str {
                Self::SLUGS[self as usize]
            }

            /// The `title`.
            pub const fn title(self) -> &'static str {
                Self::TITLES[self as usize]
            }

            /// What a client makes of it.
            pub const fn client_kind(self) -> ClientKind {
                Self::CLIENT_KINDS[self as usize]
            }

            /// When the proxy answers with it, for people: a sentence or two
            /// (the npm package's README lists them).
            pub const fn description(self) -> &'static str {
                Self::DESCRIPTIONS[self as usize]
            }
        }
    };
}

problem_kinds! {
    BadRequest = (400, "bad_request", "Bad request", BadRequest,
        "The request body could not be read whole: cut off before its `Content-Length`, or broken chunked framing."),
    InvalidJson = (400, "invalid_json", "The body is not valid JSON", BadRequest,
        "The body is not JSON."),
    InvalidCsv = (400, "invalid_csv", "The file is not a readable CSV", BadRequest,
        "An import file is not a readable CSV (or not UTF-8)."),
    Unauthorized = (401, "unauthorized", "Missing or invalid client token", Unauthorized,
        "A client token is required (admin mode) and `Authorization: Bearer <client token>` is missing or wrong."),
    OriginNotAllowed = (403, "origin_not_allowed", "Origin not allowed", Forbidden,
        "A cross-origin call from an origin the proxy does not allow (`ALLOWED_ORIGINS`)."),
    Policy = (403, "policy", "Refused by policy", Forbidden,
        "The proxy's policy refuses values; `errors` has one issue per refusal (code `policy`, `params.rule`)."),
    NotFound = (404, "not_found", "Not Found", NotFound,
        "No such route, provider, user or import job."),
    MethodNotAllowed = (405, "method_not_allowed", "Method Not Allowed", BadRequest,
        "Known path, other method (see `Allow`)."),
    IdempotencyInFlight = (409, "idempotency_in_flight", "A request with this Idempotency-Key is in progress", Conflict,
        "The first request with this `Idempotency-Key` is still running: send it again after `Retry-After`."),
    TooManyImports = (409, "too_many_imports", "Too many active import jobs", Conflict,
        "The client token has as many import jobs queued, running or paused as it may have at once; retrying helps once one has finished."),
    ImportState = (409, "import_state", "The import job cannot do that now", BadRequest,
        "The import job cannot do that now (resume a job that is not paused, pause a finished one…)."),
    PayloadTooLarge = (413, "payload_too_large", "Payload too large", TooLarge,
        "The body is over the proxy's size limit."),
    UnsupportedMediaType = (415, "unsupported_media_type", "Unsupported media type", BadRequest,
        "The body is not declared as JSON."),
    Validation = (422, "validation", "Validation failed", Validation,
        "The payload, a query parameter or a header (`Idempotency-Key`) is invalid, or the provider refused fields; `errors` is always present."),
    AlreadyExists = (422, "already_exists", "The user already exists", AlreadyExists,
        "The provider already has a user with this email."),
    IdempotencyKeyReused = (422, "idempotency_key_reused", "Idempotency-Key reused with a different request", BadRequest,
        "The `Idempotency-Key` was used before with another request: a client bug, not worth retrying."),
    RateLimited = (429, "rate_limited", "Too many requests", RateLimited,
        "Too many requests (the proxy's limit or the provider's); wait `Retry-After` seconds."),
    UpstreamError = (502, "upstream_error", "The provider could not complete the request", Upstream,
        "The provider failed, answered something unreadable, or refused the proxy's credentials."),
    ProviderNotConfigured = (503, "provider_not_configured", "Provider not configured", Unavailable,
        "The proxy has no usable API key or settings for this provider."),
    UpstreamTimeout = (504, "upstream_timeout", "The provider did not answer in time", Timeout,
        "The provider did not answer in time: the user may or may not exist."),
    Internal = (500, "internal", "Internal error", ServerError,
        "A bug or a runtime failure in the proxy."),
}

impl ProblemKind {
    /// The full `type` URN (`urn:enlist:problem:rate_limited`).
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_TYPE_PREFIX}{}", self.slug())
    }

    /// The kind of a slug.
    pub fn from_slug(slug: &str) -> Option<ProblemKind> {
        // A plain loop over the slugs: the npm package's wasm links it.
        let mut i = 0;
        while i < Self::SLUGS.len() {
            if Self::SLUGS[i] == slug {
                return Self::ALL.get(i).copied();
            }
            i += 1;
        }
        None
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
        for (i, k) in ClientKind::ALL.iter().enumerate() {
            assert_eq!(ClientKind::from_name(k.as_str()), Some(*k));
            assert_eq!(*k as usize, i, "ALL is in declaration order");
        }
        assert_eq!(ClientKind::Malformed.as_str(), "malformed");
    }

    #[test]
    fn every_problem_round_trips_and_errors_are_errors() {
        for kind in ProblemKind::ALL {
            assert_eq!(ProblemKind::from_type(&kind.type_uri()), Some(*kind));
            assert!((400..600).contains(&kind.status()), "{kind:?}");
            assert!(!kind.title().is_empty());
            assert!(kind.description().ends_with('.'), "{kind:?}");
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
    fn routes_are_unique_and_well_formed() {
        let templates: HashSet<_> = Endpoint::ALL.iter().map(|e| e.template).collect();
        assert_eq!(templates.len(), Endpoint::ALL.len());
        for e in Endpoint::ALL {
            assert!(
                e.template.starts_with("/v1/") || e.template.starts_with("/scim/v2/"),
                "{e:?}"
            );
            let allowed = [
                "GET, HEAD",
                "GET",
                "POST",
                "GET, POST",
                "GET, PUT, PATCH, DELETE",
            ];
            assert!(allowed.contains(&e.allow), "{e:?}");
            assert_eq!(e.allow, e.methods.join(", "));
            assert!(e.methods.iter().all(|m| e.accepts(m)) && !e.accepts("OPTIONS"));
            // The import API is exactly the routes under an `imports` segment.
            assert_eq!(e.admin_only, e.template.contains("/imports"), "{e:?}");
        }
        for action in Endpoint::IMPORT_ACTIONS {
            let name = action.template.rsplit('/').next().unwrap();
            assert_eq!(Endpoint::import_action(name), Some(action));
            assert_eq!(action.allow, "POST");
        }
        assert_eq!(Endpoint::import_action("rows"), None);
        assert_eq!(Endpoint::import_action(""), None);
    }

    #[test]
    fn success_members_are_unique() {
        for members in [created::MEMBERS, invited::MEMBERS, problem::MEMBERS] {
            let names: HashSet<_> = members.iter().map(|m| m.name).collect();
            assert_eq!(names.len(), members.len());
        }
        assert!(invited::MEMBERS.iter().all(|m| m.required));
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
