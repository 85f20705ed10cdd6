//! The Worker's settings, read once per isolate from its bindings.
//!
//! Per-provider settings come from names derived from the provider id
//! (`{ID}_API_KEY`, `{ID}_BASE_URL`, `{ID}_ENVIRONMENT`, the id in upper case),
//! so a provider added to enlist-core's registry needs no change here.
//!
//! | name | kind | meaning |
//! |------|------|---------|
//! | `{ID}_API_KEY` | secret | the provider API key; without it the provider answers 503 |
//! | `{ID}_ENVIRONMENT` | var | a named environment of the provider (`production`, `sandbox`) |
//! | `{ID}_BASE_URL` | var | a custom base URL (wins over the environment), e.g. a mock |
//! | `ALLOWED_ORIGINS` | var | comma-separated origins allowed to call cross-origin |
//! | `UPSTREAM_TIMEOUT_MS` | var | upstream timeout, 1–120000 ms (default 10000) |
//! | `CLIENT_TOKENS` | secret | comma-separated bearer tokens; set = admin mode |
//! | `POLICY` | var | JSON policy document (see `enlist_core::policy`) |
//! | `SCIM_TOKENS` | secret | comma-separated bearer tokens of the SCIM service (`/scim/v2/…`); unset = no SCIM service |
//! | `SCIM_DELETE` | var | what a SCIM `DELETE` does: `deactivate` (default) or `delete` |

use enlist_core::http::{ApiKey, BaseUrl};
use enlist_core::policy::{Mode, Policy, PolicyError, PolicySet};
use enlist_core::{AnyProvider, Settings, REGISTRY};
use sha2::{Digest, Sha256};

/// Default upstream timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// Largest accepted upstream timeout.
pub const MAX_TIMEOUT_MS: u32 = 120_000;

/// Everything the Worker reads from its environment.
#[derive(Debug)]
pub struct Config {
    /// Admin mode when client tokens are configured, else public.
    pub mode: Mode,
    /// SHA-256 of each client token.
    tokens: Vec<[u8; 32]>,
    /// SHA-256 of each SCIM token; `None` when `SCIM_TOKENS` is unset (no
    /// SCIM service).
    scim_tokens: Option<Vec<[u8; 32]>>,
    /// What a SCIM `DELETE` does.
    pub scim_delete: ScimDelete,
    /// Lowercase origins without trailing slash.
    pub allowed_origins: Vec<String>,
    /// Upstream timeout.
    pub timeout_ms: u32,
    /// Each registered provider, in registry order.
    pub providers: Vec<ProviderConfig>,
    /// Problems found in the settings (for the log; never values).
    pub notes: Vec<String>,
    /// Every configured API key and client token.
    pub secrets: Secrets,
}

/// Secret values (API keys, client tokens), kept to check that no answer
/// relays one. `Debug` shows only how many there are.
///
/// ```
/// use enlist_worker::config::Secrets;
/// let secrets = Secrets::new(vec!["3039ba033eb1410c".into(), "tk".into()]);
/// assert!(secrets.found_in("id-3039ba033eb1410c"));
/// assert!(secrets.found_in("tk"));
/// assert!(!secrets.found_in("tkx"));
/// assert_eq!(format!("{secrets:?}"), "Secrets(<2 redacted>)");
/// ```
#[derive(Default, Clone)]
pub struct Secrets(Vec<String>);

/// Shortest secret looked for inside a text; a shorter one (a test key such
/// as `pk`) turns up in ids by chance, so only a text equal to it counts.
pub const MIN_SCANNED_SECRET: usize = 8;

impl Secrets {
    /// Wraps secret values (blank ones are dropped).
    pub fn new(values: Vec<String>) -> Self {
        Secrets(values.into_iter().filter(|v| !v.is_empty()).collect())
    }

    /// Whether `text` holds one of the secrets: contains it, for secrets of
    /// at least [`MIN_SCANNED_SECRET`] bytes, or equals it.
    pub fn found_in(&self, text: &str) -> bool {
        self.0.iter().any(|secret| {
            if secret.len() >= MIN_SCANNED_SECRET {
                text.contains(secret.as_str())
            } else {
                text == secret
            }
        })
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets(<{} redacted>)", self.0.len())
    }
}

/// No valid client token was presented (admin mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unauthenticated;

/// What a SCIM `DELETE /Users/{id}` does to the Partoo user (`SCIM_DELETE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScimDelete {
    /// `deactivate` (the default): the user is disabled and kept.
    #[default]
    Deactivate,
    /// `delete`: the user is deleted.
    Delete,
}

/// One provider's readiness.
#[derive(Debug)]
pub struct ProviderConfig {
    /// The provider.
    pub id: &'static str,
    /// Whether and how it can be served.
    pub state: Result<Ready, NotReady>,
}

/// A provider that can be served.
#[derive(Debug)]
pub struct Ready {
    /// Key, environment and base URL, for enlist-core's request builders.
    pub settings: Settings,
    /// `production`, `sandbox`… or `custom` for a base URL.
    pub environment: String,
    /// The policy for the configured mode.
    pub policy: Policy,
}

/// Why a provider cannot be served (all map to 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// `{ID}_API_KEY` is not set.
    MissingKey,
    /// A setting is unusable; the code names which (`invalid_api_key`,
    /// `invalid_base_url`, `unknown_environment`…).
    InvalidSetting(&'static str),
    /// `POLICY` is unreadable.
    InvalidPolicy,
    /// Public mode and no policy (built-in or configured) for this provider.
    NoPublicPolicy,
}

impl NotReady {
    /// The `detail` of the 503 problem.
    pub fn detail(self) -> &'static str {
        match self {
            NotReady::MissingKey => "This provider has no API key on this proxy.",
            NotReady::InvalidSetting(_) => "This provider's settings on this proxy are unusable.",
            NotReady::InvalidPolicy => "The proxy's POLICY setting is invalid.",
            NotReady::NoPublicPolicy => {
                "This provider has no policy for public signups on this proxy."
            }
        }
    }

    /// A stable code for logs.
    pub fn code(self) -> &'static str {
        match self {
            NotReady::MissingKey => "missing_api_key",
            NotReady::InvalidSetting(code) => code,
            NotReady::InvalidPolicy => "invalid_policy",
            NotReady::NoPublicPolicy => "no_public_policy",
        }
    }
}

/// A setting's value as the Worker sees it.
pub enum Value {
    /// A string (vars and secrets).
    Text(String),
    /// A structured var (a TOML table in wrangler.toml).
    Json(serde_json::Value),
}

/// `None` for unset or blank settings.
fn text(get: &dyn Fn(&str) -> Option<Value>, name: &str) -> Option<String> {
    match get(name)? {
        Value::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
        _ => None,
    }
}

impl Config {
    /// Reads every setting through `get`.
    pub fn load(get: &dyn Fn(&str) -> Option<Value>) -> Config {
        let mut notes = Vec::new();
        let mut secrets = Vec::new();
        let mut token_list = |name: &str| -> Option<Vec<[u8; 32]>> {
            let Some(Value::Text(t)) = get(name) else {
                return None;
            };
            if t.trim().is_empty() {
                return None;
            }
            let tokens: Vec<[u8; 32]> = t
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    secrets.push(t.to_string());
                    Sha256::digest(t.as_bytes()).into()
                })
                .collect();
            if tokens.is_empty() {
                notes.push(format!("{name} holds no token: every call is refused"));
            }
            Some(tokens)
        };
        let (mode, tokens) = match token_list("CLIENT_TOKENS") {
            Some(tokens) => (Mode::Admin, tokens),
            None => (Mode::Public, Vec::new()),
        };
        let scim_tokens = token_list("SCIM_TOKENS");
        if let Some(scim) = &scim_tokens {
            if scim.iter().any(|t| tokens.contains(t)) {
                notes
                    .push("SCIM_TOKENS and CLIENT_TOKENS share a token: it opens both APIs".into());
            }
        }
        let scim_delete = match text(get, "SCIM_DELETE").as_deref() {
            None | Some("deactivate") => ScimDelete::Deactivate,
            Some("delete") => ScimDelete::Delete,
            Some(_) => {
                notes.push("SCIM_DELETE is neither deactivate nor delete; using deactivate".into());
                ScimDelete::Deactivate
            }
        };
        let allowed_origins = text(get, "ALLOWED_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let timeout_ms = match text(get, "UPSTREAM_TIMEOUT_MS") {
            None => DEFAULT_TIMEOUT_MS,
            Some(t) => match t.parse::<u32>() {
                Ok(ms) if (1..=MAX_TIMEOUT_MS).contains(&ms) => ms,
                _ => {
                    notes.push(format!(
                        "UPSTREAM_TIMEOUT_MS is not a number of milliseconds from 1 to {MAX_TIMEOUT_MS}; using {DEFAULT_TIMEOUT_MS}"
                    ));
                    DEFAULT_TIMEOUT_MS
                }
            },
        };
        let policy = match get("POLICY") {
            None => Ok(PolicySet::default()),
            Some(Value::Text(t)) => PolicySet::parse(&t),
            Some(Value::Json(v)) => PolicySet::from_value(&v),
        };
        if let Err(e) = &policy {
            notes.push(e.to_string());
        }
        secrets.extend(
            REGISTRY
                .iter()
                .filter_map(|p| text(get, &format!("{}_API_KEY", p.id().to_ascii_uppercase()))),
        );
        let providers = REGISTRY
            .iter()
            .map(|p| ProviderConfig {
                id: p.id(),
                state: provider_state(*p, get, mode, &policy),
            })
            .collect();
        Config {
            mode,
            tokens,
            scim_tokens,
            scim_delete,
            allowed_origins,
            timeout_ms,
            providers,
            notes,
            secrets: Secrets::new(secrets),
        }
    }

    /// The configuration of the provider with this id.
    pub fn provider(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// In admin mode, checks an `Authorization` header value against every
    /// client token in constant time (per token: both sides are hashed, and
    /// every token is compared). Returns the matching token's fingerprint.
    /// `Ok(None)` in public mode.
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
    ) -> Result<Option<String>, Unauthenticated> {
        if self.mode == Mode::Public {
            return Ok(None);
        }
        bearer(&self.tokens, authorization).map(Some)
    }

    /// Whether the SCIM service is on (`SCIM_TOKENS` is set).
    pub fn scim_enabled(&self) -> bool {
        self.scim_tokens.is_some()
    }

    /// Checks an `Authorization` header value against every SCIM token, as
    /// [`Config::authenticate`] does for client tokens (client tokens do
    /// not count here, nor SCIM tokens there). Returns the matching token's
    /// fingerprint.
    ///
    /// ```
    /// use enlist_worker::config::{Config, Value};
    /// let config = Config::load(&|name| match name {
    ///     "SCIM_TOKENS" => Some(Value::Text("scim-1, scim-2".into())),
    ///     "CLIENT_TOKENS" => Some(Value::Text("client-1".into())),
    ///     _ => None,
    /// });
    /// assert!(config.authenticate_scim(Some("Bearer scim-2")).is_ok());
    /// assert!(config.authenticate_scim(Some("Bearer client-1")).is_err());
    /// assert!(config.authenticate(Some("Bearer scim-1")).is_err());
    /// ```
    pub fn authenticate_scim(
        &self,
        authorization: Option<&str>,
    ) -> Result<String, Unauthenticated> {
        bearer(self.scim_tokens.as_deref().unwrap_or(&[]), authorization)
    }
}

/// Checks a `Bearer` header value against `tokens` in constant time (per
/// token: both sides are hashed, and every token is compared); the matching
/// token's fingerprint (16 hexadecimal digits).
fn bearer(tokens: &[[u8; 32]], authorization: Option<&str>) -> Result<String, Unauthenticated> {
    let presented = authorization
        .and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or(Unauthenticated)?;
    let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let mut found = false;
    for token in tokens {
        let diff = token
            .iter()
            .zip(digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        found |= diff == 0;
    }
    if found {
        Ok(hex(&digest[..8]))
    } else {
        Err(Unauthenticated)
    }
}

fn provider_state(
    provider: &'static dyn AnyProvider,
    get: &dyn Fn(&str) -> Option<Value>,
    mode: Mode,
    policy: &Result<PolicySet, PolicyError>,
) -> Result<Ready, NotReady> {
    let prefix = provider.id().to_ascii_uppercase();
    let api_key = text(get, &format!("{prefix}_API_KEY")).ok_or(NotReady::MissingKey)?;
    ApiKey::new(api_key.as_str()).map_err(|e| NotReady::InvalidSetting(e.code()))?;
    let base_url = text(get, &format!("{prefix}_BASE_URL"));
    let environment = text(get, &format!("{prefix}_ENVIRONMENT"));
    let label = match (&base_url, &environment) {
        (Some(url), _) => {
            BaseUrl::new(url).map_err(|e| NotReady::InvalidSetting(e.code()))?;
            "custom".to_string()
        }
        (None, Some(env)) => {
            if !provider.environments().iter().any(|e| e.name == env) {
                return Err(NotReady::InvalidSetting("unknown_environment"));
            }
            env.clone()
        }
        (None, None) => provider
            .environments()
            .first()
            .map_or("default", |e| e.name)
            .to_string(),
    };
    let set = policy.as_ref().map_err(|_| NotReady::InvalidPolicy)?;
    let policy = set
        .effective(provider, mode)
        .ok_or(NotReady::NoPublicPolicy)?;
    Ok(Ready {
        settings: Settings {
            api_key,
            environment: if base_url.is_some() {
                None
            } else {
                environment
            },
            base_url,
            flags: Default::default(),
        },
        environment: label,
        policy,
    })
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(&|name| map.get(name).cloned().map(Value::Text))
    }

    #[test]
    fn public_mode_with_builtin_policies() {
        let c = load(&[("PARTOO_API_KEY", "k1"), ("PARTOO_ENVIRONMENT", "sandbox")]);
        assert_eq!(c.mode, Mode::Public);
        let partoo = c.provider("partoo").unwrap().state.as_ref().unwrap();
        assert_eq!(partoo.environment, "sandbox");
        assert_eq!(partoo.settings.api_key, "k1");
        assert!(!partoo.policy.is_empty());
        assert_eq!(
            c.provider("pandadoc").unwrap().state.as_ref().unwrap_err(),
            &NotReady::MissingKey
        );
        assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert!(c.notes.is_empty());
        assert_eq!(c.authenticate(None), Ok(None));
    }

    #[test]
    fn base_url_wins_and_is_checked() {
        let c = load(&[
            ("PANDADOC_API_KEY", "k"),
            ("PANDADOC_BASE_URL", "http://127.0.0.1:9/"),
            ("PANDADOC_ENVIRONMENT", "nope"),
            ("PARTOO_API_KEY", "k"),
            ("PARTOO_BASE_URL", "ftp://x"),
        ]);
        let pd = c.provider("pandadoc").unwrap().state.as_ref().unwrap();
        assert_eq!(pd.environment, "custom");
        assert_eq!(pd.settings.environment, None);
        assert_eq!(
            c.provider("partoo").unwrap().state.as_ref().unwrap_err(),
            &NotReady::InvalidSetting("invalid_base_url")
        );
        let c = load(&[("PARTOO_API_KEY", "k"), ("PARTOO_ENVIRONMENT", "staging")]);
        assert_eq!(
            c.provider("partoo").unwrap().state.as_ref().unwrap_err(),
            &NotReady::InvalidSetting("unknown_environment")
        );
        let c = load(&[("PARTOO_API_KEY", "bad key")]);
        assert_eq!(
            c.provider("partoo").unwrap().state.as_ref().unwrap_err(),
            &NotReady::InvalidSetting("invalid_api_key")
        );
    }

    #[test]
    fn tokens_admin_mode() {
        let c = load(&[
            ("CLIENT_TOKENS", " alpha , beta ,"),
            ("PARTOO_API_KEY", "k"),
        ]);
        assert_eq!(c.mode, Mode::Admin);
        let a = c.authenticate(Some("Bearer alpha")).unwrap().unwrap();
        let b = c.authenticate(Some("bearer   beta ")).unwrap().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        for bad in [
            None,
            Some(""),
            Some("alpha"),
            Some("Bearer"),
            Some("Bearer "),
            Some("Basic alpha"),
            Some("Bearer alph"),
            Some("Bearer alphaa"),
        ] {
            assert_eq!(c.authenticate(bad), Err(Unauthenticated), "{bad:?}");
        }
        // Admin mode: no built-in restrictions.
        assert!(c
            .provider("partoo")
            .unwrap()
            .state
            .as_ref()
            .unwrap()
            .policy
            .is_empty());
        let c = load(&[("CLIENT_TOKENS", " , ")]);
        assert_eq!(c.mode, Mode::Admin);
        assert_eq!(c.authenticate(Some("Bearer x")), Err(Unauthenticated));
        assert_eq!(c.notes.len(), 1);
    }

    #[test]
    fn origins_timeout_and_policy() {
        let c = load(&[
            (
                "ALLOWED_ORIGINS",
                "https://A.example/, http://127.0.0.1:3000,,",
            ),
            ("UPSTREAM_TIMEOUT_MS", "250"),
            ("POLICY", r#"{"partoo": {"alow": {}}}"#),
            ("PARTOO_API_KEY", "k"),
        ]);
        assert_eq!(
            c.allowed_origins,
            ["https://a.example", "http://127.0.0.1:3000"]
        );
        assert_eq!(c.timeout_ms, 250);
        assert_eq!(
            c.provider("partoo").unwrap().state.as_ref().unwrap_err(),
            &NotReady::InvalidPolicy
        );
        assert_eq!(c.notes.len(), 1);
        for bad in ["0", "-1", "x", "120001"] {
            let c = load(&[("UPSTREAM_TIMEOUT_MS", bad)]);
            assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS);
            assert_eq!(c.notes.len(), 1);
        }
    }

    #[test]
    fn policy_as_structured_var() {
        let policy = serde_json::json!({"partoo": {"allow": {"/role": ["PUBLISHER"]}}});
        let c = Config::load(&|name| match name {
            "POLICY" => Some(Value::Json(policy.clone())),
            "PARTOO_API_KEY" => Some(Value::Text("k".into())),
            _ => None,
        });
        assert!(c.provider("partoo").unwrap().state.is_ok());
    }

    #[test]
    fn secrets_are_every_key_and_token_and_debug_hides_them() {
        let c = load(&[
            ("CLIENT_TOKENS", "tok_A_1a2b3c4d5e6f, short"),
            ("PARTOO_API_KEY", "partoo-key-123456"),
            ("PANDADOC_API_KEY", "pd"),
            ("PANDADOC_BASE_URL", "ftp://unusable"),
        ]);
        for (text, found) in [
            ("x-tok_A_1a2b3c4d5e6f-x", true),
            ("partoo-key-123456", true),
            ("apartoo-key-1234567", true),
            ("short", true),
            ("shorts", false),
            ("pd", true),
            ("KwahvjapLm4RDf6pfyYdjA-pd", false),
            ("partoo-key-12345", false),
        ] {
            assert_eq!(c.secrets.found_in(text), found, "{text}");
        }
        let debug = format!("{c:?}");
        for secret in ["tok_A_1a2b3c4d5e6f", "short", "partoo-key-123456"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("Secrets(<4 redacted>)"), "{debug}");
    }

    #[test]
    fn scim_tokens_are_apart_from_client_tokens() {
        let c = load(&[
            ("SCIM_TOKENS", "scim-token-aaaaaaaa, scim-token-bbbbbbbb"),
            ("CLIENT_TOKENS", "client-token-cccccccc"),
        ]);
        assert!(c.scim_enabled());
        let a = c
            .authenticate_scim(Some("Bearer scim-token-aaaaaaaa"))
            .unwrap();
        let b = c
            .authenticate_scim(Some("bearer  scim-token-bbbbbbbb "))
            .unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        for bad in [
            None,
            Some("Bearer client-token-cccccccc"),
            Some("Bearer scim-token-aaaaaaa"),
            Some("Basic scim-token-aaaaaaaa"),
            Some("scim-token-aaaaaaaa"),
        ] {
            assert_eq!(c.authenticate_scim(bad), Err(Unauthenticated), "{bad:?}");
        }
        assert_eq!(
            c.authenticate(Some("Bearer scim-token-aaaaaaaa")),
            Err(Unauthenticated)
        );
        // SCIM tokens are secrets too, and never in Debug.
        assert!(c.secrets.found_in("x-scim-token-aaaaaaaa"));
        assert!(!format!("{c:?}").contains("scim-token"));
        assert_eq!(c.scim_delete, ScimDelete::Deactivate);
        // Public mode still has a SCIM service; without SCIM_TOKENS none.
        let c = load(&[("SCIM_TOKENS", "s1"), ("SCIM_DELETE", "delete")]);
        assert_eq!(c.mode, Mode::Public);
        assert_eq!(c.scim_delete, ScimDelete::Delete);
        let c = load(&[("SCIM_TOKENS", " , "), ("SCIM_DELETE", "purge")]);
        assert!(c.scim_enabled());
        assert!(c.authenticate_scim(Some("Bearer ,")).is_err());
        assert_eq!(c.scim_delete, ScimDelete::Deactivate);
        assert_eq!(c.notes.len(), 2);
        let c = load(&[("CLIENT_TOKENS", "same"), ("SCIM_TOKENS", "same")]);
        assert_eq!(c.notes.len(), 1);
        assert!(!load(&[]).scim_enabled());
    }

    #[test]
    fn hex_digits() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
