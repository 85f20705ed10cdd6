//! The registry: the one list that names every provider. The wasm layer,
//! the Worker's router, its OpenAPI document and the form serve every
//! provider listed here, by id, and need no change for a new one.
//!
//! ```
//! assert!(enlist_core::REGISTRY.iter().any(|p| p.id() == "partoo"));
//! ```

use crate::provider::{AnyProvider, Handle, Provider, ProviderRules};

/// Declares [`REGISTRY`] and [`RULES`] from one list of providers.
macro_rules! registry {
    ($($(#[$cfg:meta])* $provider:ty),+ $(,)?) => {
        /// Every registered provider.
        pub static REGISTRY: &[&dyn AnyProvider] = &[$($(#[$cfg])* &Handle::<$provider>::NEW),+];

        /// The same providers, in the same order, as [`ProviderRules`] only: what
        /// a build that validates but never builds requests links.
        pub static RULES: &[&dyn ProviderRules] = &[$($(#[$cfg])* &Handle::<$provider>::NEW),+];

        /// Each provider's id and [`Provider::EXAMPLE_CREATED`], in the same
        /// order: for tests and tools (a static, not a method of
        /// [`AnyProvider`], so that no build that leaves it unused links it).
        ///
        /// ```
        /// use enlist_core::{provider, registry::EXAMPLES_CREATED, Outcome};
        ///
        /// for &(id, (status, body)) in EXAMPLES_CREATED {
        ///     let p = provider(id).ok_or("missing")?;
        ///     let outcome = p.parse_create_user_response(status, &[], body.as_bytes());
        ///     assert!(matches!(outcome, Outcome::Created(_)));
        /// }
        /// # Ok::<(), &str>(())
        /// ```
        pub static EXAMPLES_CREATED: &[(&str, (u16, &str))] =
            &[$($(#[$cfg])* (<$provider as Provider>::ID, <$provider as Provider>::EXAMPLE_CREATED)),+];
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
