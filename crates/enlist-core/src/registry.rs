//! The registry: the one list that names every provider. The wasm layer,
//! the Worker's router, its OpenAPI document and the form serve every
//! provider listed here, by id, and need no change for a new one.
//!
//! ```
//! assert!(enlist_core::REGISTRY.iter().any(|p| p.id() == "partoo"));
//! ```

use crate::provider::{AnyProvider, Handle, ProviderRules};

/// Declares [`REGISTRY`] and [`RULES`] from one list of providers.
macro_rules! registry {
    ($($(#[$cfg:meta])* $provider:ty),+ $(,)?) => {
        /// Every registered provider.
        pub static REGISTRY: &[&dyn AnyProvider] = &[$($(#[$cfg])* &Handle::<$provider>::NEW),+];

        /// The same providers, in the same order, as [`ProviderRules`] only: what
        /// a build that validates but never builds requests links.
        pub static RULES: &[&dyn ProviderRules] = &[$($(#[$cfg])* &Handle::<$provider>::NEW),+];
    };
}

// Adding a provider adds one line here.
registry![
    crate::partoo::Partoo,
    crate::pandadoc::PandaDoc,
    #[cfg(feature = "test-providers")]
    crate::tinycrm::TinyCrm,
];

/// The provider with this id.
///
/// ```
/// assert_eq!(enlist_core::provider("pandadoc").map(|p| p.name()), Some("PandaDoc"));
/// assert!(enlist_core::provider("nope").is_none());
/// ```
pub fn provider(id: &str) -> Option<&'static dyn AnyProvider> {
    REGISTRY.iter().copied().find(|p| p.id() == id)
}

/// The ids of every registered provider.
///
/// ```
/// let ids: Vec<_> = enlist_core::provider_ids().collect();
/// assert_eq!(ids[..2], ["partoo", "pandadoc"]);
/// ```
pub fn provider_ids() -> impl Iterator<Item = &'static str> {
    // Through RULES: a build that validates only must not link REGISTRY.
    RULES.iter().map(|p| p.id())
}
