//! # enlist-core
//!
//! Validate, build and parse *create user* calls for third-party SaaS APIs —
//! [Partoo](partoo) (`POST /v2/user`) and [PandaDoc](pandadoc)
//! (`POST /public/v1/users`) — in pure Rust with no I/O.
//!
//! - **Validation** reports every problem at once as a flat list of
//!   [`Issue`]s `{path, code, message, params}` with RFC 6901 paths and stable
//!   [`Code`]s, plus warnings for deprecated or ignored fields.
//! - A successful validation yields a typed [`Valid`] value; only a `Valid`
//!   value can become a request.
//! - **Request builders** return a plain [`HttpRequest`] (method, URL, headers,
//!   body) that any HTTP client can send; keys are checked and redacted from
//!   `Debug`.
//! - **Response parsers** turn `(status, headers, body)` into one [`Outcome`]
//!   for every provider and never panic.
//!
//! ```
//! use enlist_core::{http::ApiKey, partoo::{Partoo, Role}, Outcome, Provider};
//!
//! let user = Partoo::validate_json(br#"{
//!     "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
//!     "role": "BUSINESS_MANAGER", "business_ids": ["5409c35a97bbc544d8e26737"]
//! }"#)?;
//! assert_eq!(user.role, Some(Role::BusinessManager));
//!
//! let request = Partoo::client(ApiKey::new("my-key")?)
//!     .environment("sandbox")?
//!     .create_user(&user);
//! assert_eq!(request.url, "https://api.sandbox.partoo.co/v2/user");
//!
//! // …send `request` with any HTTP client, then:
//! let outcome = Partoo::parse_create_user_response(200, &[], br#"{"id":"u1","status":"success"}"#);
//! assert!(matches!(outcome, Outcome::Created(c) if c.id == "u1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// `enlist_core::…` paths in `model!` output resolve inside this crate too.
extern crate self as enlist_core;

#[macro_use]
mod macros;

pub mod bulk;
pub mod csv;
pub mod formats;
pub mod http;
pub mod imports;
pub mod json;
pub mod model;
pub mod outcome;
pub mod pandadoc;
pub mod partoo;
pub mod policy;
pub mod provider;
pub mod proxy;
pub mod registry;
pub mod report;
pub mod retry_after;
pub mod schema;
pub mod scim;
#[cfg(feature = "test-providers")]
pub mod tinycrm;
pub mod validate;

pub use bulk::{BulkOmitted, BulkReport, RowReport};
pub use http::{ApiKey, HttpRequest, RequestError};
pub use outcome::{Created, Failure, Outcome};
pub use provider::{
    provider, provider_ids, AnyProvider, BuildError, Built, Client, Provider, ProviderRules,
    Redacted, Rules, Settings, Valid, REGISTRY, RULES,
};
pub use report::{Code, Issue, Omitted, Param, Params, Report};
pub use retry_after::RetryAfter;
pub use validate::Options;

/// The README's Rust example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
