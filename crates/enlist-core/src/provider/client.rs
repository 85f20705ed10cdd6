//! [`Client`]: builds one provider's requests (key, base URL, query flags),
//! as plain data. No I/O.

use super::{flag_query, Provider, Valid};
use crate::http::{ApiKey, BaseUrl, HttpRequest, RequestError};
use std::fmt;
use std::marker::PhantomData;

/// Builds requests for one provider: holds the API key, the base URL and the
/// query flags. No I/O.
///
/// ```
/// use enlist_core::{http::ApiKey, pandadoc::PandaDoc, Provider};
/// let client = PandaDoc::client(ApiKey::new("k")?).notify_user(true);
/// assert_eq!(client.base_url(), "https://api.pandadoc.com");
/// # Ok::<(), enlist_core::http::RequestError>(())
/// ```
pub struct Client<P: Provider> {
    api_key: ApiKey,
    base_url: String,
    flags: Vec<(&'static str, bool)>,
    provider: PhantomData<fn() -> P>,
}

impl<P: Provider> Clone for Client<P> {
    fn clone(&self) -> Self {
        Client {
            api_key: self.api_key.clone(),
            base_url: self.base_url.clone(),
            flags: self.flags.clone(),
            provider: PhantomData,
        }
    }
}

impl<P: Provider> fmt::Debug for Client<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("provider", &P::ID)
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("flags", &self.flags)
            .finish()
    }
}

impl<P: Provider> Client<P> {
    /// A client for the provider's default environment.
    pub fn new(api_key: ApiKey) -> Self {
        Client {
            api_key,
            base_url: P::ENVIRONMENTS
                .first()
                .map_or_else(String::new, |e| e.base_url.to_string()),
            flags: Vec::new(),
            provider: PhantomData,
        }
    }

    /// Uses a named environment (`"production"`, `"sandbox"`).
    pub fn environment(mut self, name: impl AsRef<str>) -> Result<Self, RequestError> {
        let env = P::ENVIRONMENTS
            .iter()
            .find(|e| e.name == name.as_ref())
            .ok_or(RequestError::UnknownEnvironment {
                allowed: environment_names::<P>(),
            })?;
        self.base_url = env.base_url.to_string();
        Ok(self)
    }

    /// Uses a custom base URL (a mock, a proxy); it replaces the environment's.
    pub fn base_url_override(mut self, url: &str) -> Result<Self, RequestError> {
        self.base_url = BaseUrl::new(url)?.as_str().to_string();
        Ok(self)
    }

    /// Sets a boolean query option by its option or query name.
    pub fn flag(mut self, name: &str, value: bool) -> Result<Self, RequestError> {
        let flag = P::FLAGS
            .iter()
            .find(|f| f.option == name || f.query == name)
            .ok_or_else(|| RequestError::UnknownOption {
                name: name.chars().take(64).collect(),
            })?;
        self.flags.retain(|(q, _)| *q != flag.query);
        self.flags.push((flag.query, value));
        Ok(self)
    }

    /// Sets a flag by its query name, for the provider's own typed setters.
    pub(crate) fn set_flag(mut self, query: &'static str, value: bool) -> Self {
        self.flags.retain(|(q, _)| *q != query);
        self.flags.push((query, value));
        self
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The key (crate-internal: only request builders read it).
    pub(crate) fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// `?a=true&b=false` for the flags set, in the provider's declared order; `""`
    /// when none is set (see [`flag_query`]).
    pub(crate) fn query(&self) -> String {
        flag_query(P::FLAGS, &self.flags)
    }

    /// The create-user request for a validated user.
    pub fn create_user(&self, user: &Valid<P::User>) -> HttpRequest {
        P::create_user_request(self, user)
    }

    /// The invite request for a user id (providers with an invite call).
    pub fn invite(&self, user_id: &str) -> Result<HttpRequest, RequestError> {
        P::invite_request(self, user_id)
    }
}

/// The names of a provider's environments, for messages.
fn environment_names<P: Provider>() -> Vec<&'static str> {
    P::ENVIRONMENTS.iter().map(|e| e.name).collect()
}
