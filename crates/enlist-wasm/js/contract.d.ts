// The enlist proxy's contract as TypeScript types: generated from enlist-core
// (`enlist_core::proxy`) by `cargo xtask gen`, checked by `cargo xtask test`.
// Do not edit. `cargo xtask build` puts it into the package's index.d.ts.

/**
 * Each problem the enlist proxy answers with, by the slug of its `type`
 * (`urn:enlist:problem:<slug>`): its HTTP status and `title`, the `kind` of
 * the `createUser` result it gives, and whether sending the same request
 * again can succeed.
 */
export interface Problems {
  /**
   * The request body could not be read whole: cut off before its
   * `Content-Length`, or broken chunked framing.
   */
  bad_request: { status: 400; title: "Bad request"; kind: "bad_request"; retryable: false };
  /** The body is not JSON. */
  invalid_json: { status: 400; title: "The body is not valid JSON"; kind: "bad_request"; retryable: false };
  /** An import file is not a readable CSV (or not UTF-8). */
  invalid_csv: { status: 400; title: "The file is not a readable CSV"; kind: "bad_request"; retryable: false };
  /**
   * A client token is required (admin mode) and `Authorization: Bearer
   * <client token>` is missing or wrong.
   */
  unauthorized: { status: 401; title: "Missing or invalid client token"; kind: "unauthorized"; retryable: false };
  /**
   * A cross-origin call from an origin the proxy does not allow
   * (`ALLOWED_ORIGINS`).
   */
  origin_not_allowed: { status: 403; title: "Origin not allowed"; kind: "forbidden"; retryable: false };
  /**
   * The proxy's policy refuses values; `errors` has one issue per refusal
   * (code `policy`, `params.rule`).
   */
  policy: { status: 403; title: "Refused by policy"; kind: "forbidden"; retryable: false };
  /** No such route, provider, user or import job. */
  not_found: { status: 404; title: "Not Found"; kind: "not_found"; retryable: false };
  /** Known path, other method (see `Allow`). */
  method_not_allowed: { status: 405; title: "Method Not Allowed"; kind: "bad_request"; retryable: false };
  /**
   * The first request with this `Idempotency-Key` is still running: send it
   * again after `Retry-After`.
   */
  idempotency_in_flight: { status: 409; title: "A request with this Idempotency-Key is in progress"; kind: "conflict"; retryable: true };
  /**
   * The client token has as many import jobs queued, running or paused as it
   * may have at once; retrying helps once one has finished.
   */
  too_many_imports: { status: 409; title: "Too many active import jobs"; kind: "conflict"; retryable: true };
  /**
   * The import job cannot do that now (resume a job that is not paused, pause
   * a finished one…).
   */
  import_state: { status: 409; title: "The import job cannot do that now"; kind: "bad_request"; retryable: false };
  /** The body is over the proxy's size limit. */
  payload_too_large: { status: 413; title: "Payload too large"; kind: "too_large"; retryable: false };
  /** The body is not declared as JSON. */
  unsupported_media_type: { status: 415; title: "Unsupported media type"; kind: "bad_request"; retryable: false };
  /**
   * The payload, a query parameter or a header (`Idempotency-Key`) is
   * invalid, or the provider refused fields; `errors` is always present.
   */
  validation: { status: 422; title: "Validation failed"; kind: "validation"; retryable: false };
  /** The provider already has a user with this email. */
  already_exists: { status: 422; title: "The user already exists"; kind: "already_exists"; retryable: false };
  /**
   * The `Idempotency-Key` was used before with another request: a client bug,
   * not worth retrying.
   */
  idempotency_key_reused: { status: 422; title: "Idempotency-Key reused with a different request"; kind: "bad_request"; retryable: false };
  /**
   * Too many requests (the proxy's limit or the provider's); wait
   * `Retry-After` seconds.
   */
  rate_limited: { status: 429; title: "Too many requests"; kind: "rate_limited"; retryable: true };
  /**
   * The provider failed, answered something unreadable, or refused the
   * proxy's credentials.
   */
  upstream_error: { status: 502; title: "The provider could not complete the request"; kind: "upstream"; retryable: true };
  /** The proxy has no usable API key or settings for this provider. */
  provider_not_configured: { status: 503; title: "Provider not configured"; kind: "unavailable"; retryable: false };
  /** The provider did not answer in time: the user may or may not exist. */
  upstream_timeout: { status: 504; title: "The provider did not answer in time"; kind: "timeout"; retryable: true };
  /** A bug or a runtime failure in the proxy. */
  internal: { status: 500; title: "Internal error"; kind: "server_error"; retryable: true };
}

/**
 * The slug of a problem `type` the enlist proxy sends
 * (`urn:enlist:problem:<slug>`).
 */
export type ProblemSlug = keyof Problems;

/**
 * The `kind` of a `createUser` result: `created`, `invalid` (nothing was
 * sent), `network` (the proxy could not be reached) or a problem's kind.
 */
export type ClientKind =
  | "created"
  | "invalid"
  | "network"
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "validation"
  | "already_exists"
  | "rate_limited"
  | "upstream"
  | "unavailable"
  | "timeout"
  | "server_error"
  | "malformed";

/**
 * The kind of a problem the enlist proxy answered with (RFC 9457
 * problem+json): from its `type` when it is one of the proxy's (see
 * `Problems`), otherwise from the HTTP status: 401 `unauthorized`, 403
 * `forbidden`, 404 `not_found`, 408 and 504 `timeout`, 409 `already_exists`
 * when `errors` has an `already_exists` issue, else `conflict`, 413
 * `too_large`, 422 `validation`, 429 `rate_limited`, 502 `upstream`, 503
 * `unavailable`, other 4xx `bad_request`, other 5xx `server_error`; any other
 * status `malformed`, as is a 2xx without a user id.
 */
export type ProxyProblemKind =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "validation"
  | "already_exists"
  | "rate_limited"
  | "upstream"
  | "unavailable"
  | "timeout"
  | "server_error"
  | "malformed";

/**
 * The kinds whose request can succeed when sent again unchanged (with the
 * same `idempotencyKey`, so that no second user is created, and after
 * `retry_after` when given): what `isRetryable` and each result's `retryable`
 * say. The others need a change first (the payload, the token, the proxy's
 * settings).
 */
export type RetryableKind =
  | "network"
  | "conflict"
  | "rate_limited"
  | "upstream"
  | "timeout"
  | "server_error";

/** `true` for a `RetryableKind`, else `false`. */
export type Retryable<K extends ClientKind> = K extends RetryableKind ? true : false;

/** The `createUser` options the proxy receives as headers. */
export interface ProxyHeaderOptions {
  /**
   * Sent as the `Idempotency-Key` header: 1 to 255 visible ASCII characters.
   * The proxy answers a repeat with the first request's answer, marked
   * `replayed`.
   */
  idempotencyKey?: string;
  /**
   * A client token of a proxy in admin mode (its `CLIENT_TOKENS` secret),
   * sent as `Authorization: Bearer <token>`: 1 to 4096 visible ASCII
   * characters. Never a provider's API key: those stay in the proxy.
   */
  token?: string;
}

/**
 * A problem's `errors` lists at most 100 issues; when there were more, these
 * say so.
 */
export interface Truncation {
  /** `errors` lists only the first 100 issues. */
  truncated?: true;
  /** How many issues there were. */
  total_errors?: number;
}
