//! Providers: what a provider module declares and what the rest of enlist
//! does with it.
//!
//! - [`declaration`]: the [`Provider`] trait a provider module implements
//!   (id, schema, environments, flags, budget, example, request builders,
//!   response parsers) and its data types, [`ApiEnvironment`] and [`Flag`].
//! - [`client`]: [`Client`], which builds one provider's requests as plain data.
//! - [`values`]: [`Valid`], proof that a value passed validation, and
//!   [`Redacted`], personal data that `Debug` never prints.
//! - [`settings`]: [`Settings`], where and how to send a request when the
//!   provider is picked at run time, and [`Built`]/[`BuildError`].
//! - [`dynamic`]: [`ProviderRules`] and [`AnyProvider`], object-safe access by
//!   id for the wasm layer and the Worker.
//! - [`rules`]: [`Rules`], the metadata a form renders from.
//!
//! Which providers exist is not here but in [`crate::registry`], the one list
//! that names them; nothing in this module names a provider.
//!
//! ```
//! use enlist_core::{provider, validate::Options};
//!
//! let partoo = provider("partoo").ok_or("not registered")?;
//! let report = partoo.check_json(br#"{"email":"ada@example.com"}"#, &Options::default());
//! assert_eq!(report.errors.len(), 2); // first_name and last_name are required
//! # Ok::<(), &str>(())
//! ```

pub mod client;
pub mod declaration;
pub mod dynamic;
pub mod rules;
pub mod settings;
pub mod values;

#[cfg(test)]
mod tests;

pub use client::Client;
pub use declaration::{flag_query, ApiEnvironment, Flag, Provider};
pub(crate) use dynamic::Handle;
pub use dynamic::{AnyProvider, ProviderRules};
pub use rules::Rules;
pub use settings::{BuildError, Built, Settings};
pub use values::{Redacted, Valid};

// The registry's items, at the paths they have always had.
pub use crate::registry::{provider, provider_ids, REGISTRY, RULES};
