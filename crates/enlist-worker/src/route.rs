//! Routing from the request path alone. Provider segments are resolved through
//! enlist-core's registry, so a provider added there is served here without
//! any change. Each route is one of the contract's
//! ([`enlist_core::proxy::Endpoint`]): its template and methods come from
//! there. A provider that opts in with `Provider::SCIM` is also served under
//! `/scim/v2/`.

use enlist_core::proxy::Endpoint;
use enlist_core::AnyProvider;

/// Longest user id accepted in the invite path (the longest id a provider
/// answer may carry, so an id the proxy relays can always be invited).
pub const MAX_USER_ID: usize = enlist_core::outcome::MAX_ID_LEN;

/// What a path names.
#[derive(Clone, Copy)]
pub enum Route<'p> {
    /// `/v1/health`
    Health,
    /// `/v1/openapi.json`
    OpenApi,
    /// `/v1/{provider}/users`
    CreateUser(&'static dyn AnyProvider),
    /// `/v1/{provider}/users/{id}/invite`
    Invite(&'static dyn AnyProvider, &'p str),
    /// `/v1/{provider}/imports`
    CreateImport(&'static dyn AnyProvider),
    /// `/v1/imports`
    Imports,
    /// `/v1/imports/{id}…`: a job (its id has the shape the runner gives)
    /// and which part of it.
    Import(&'p str, ImportPart),
    /// `/scim/v2/{provider}/…`, for a provider with a SCIM service.
    Scim(&'static dyn AnyProvider, ScimPath<'p>),
}

/// What a path under `/scim/v2/{provider}` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimPath<'p> {
    /// `/Users`
    Users,
    /// `/Users/{id}`
    User(&'p str),
    /// `/ServiceProviderConfig`
    ServiceProviderConfig,
    /// `/ResourceTypes`
    ResourceTypes,
    /// `/ResourceTypes/{id}`
    ResourceType(&'p str),
    /// `/Schemas`
    Schemas,
    /// `/Schemas/{id}`
    Schema(&'p str),
}

/// The prefix of every SCIM path.
pub const SCIM_PREFIX: &str = "/scim/";

/// Whether a path is under [`SCIM_PREFIX`], where every answer is in SCIM's
/// format (`application/scim+json`, the SCIM error schema).
pub fn is_scim_path(path: &str) -> bool {
    path.starts_with(SCIM_PREFIX)
}

/// What part of an import job a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportPart {
    /// `/v1/imports/{id}`
    Job,
    /// `/v1/imports/{id}/rows`
    Rows,
    /// `/v1/imports/{id}/results.csv`
    Results,
    /// `/v1/imports/{id}/events`
    Events,
    /// `/v1/imports/{id}/{pause|resume|cancel|retry}`
    Action(&'static str),
}

impl std::fmt::Debug for Route<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Route::Health => f.write_str("Health"),
            Route::OpenApi => f.write_str("OpenApi"),
            Route::CreateUser(p) => write!(f, "CreateUser({})", p.id()),
            Route::Invite(p, id) => write!(f, "Invite({}, {id})", p.id()),
            Route::CreateImport(p) => write!(f, "CreateImport({})", p.id()),
            Route::Imports => f.write_str("Imports"),
            Route::Import(id, part) => write!(f, "Import({id}, {part:?})"),
            Route::Scim(p, part) => write!(f, "Scim({}, {part:?})", p.id()),
        }
    }
}

#[cfg(test)]
impl PartialEq for Route<'_> {
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

impl Route<'_> {
    /// The contract's route this is.
    pub fn endpoint(&self) -> &'static Endpoint {
        match self {
            Route::Health => &Endpoint::HEALTH,
            Route::OpenApi => &Endpoint::OPENAPI,
            Route::CreateUser(_) => &Endpoint::CREATE_USER,
            Route::Invite(..) => &Endpoint::INVITE,
            Route::CreateImport(_) => &Endpoint::CREATE_IMPORT,
            Route::Imports => &Endpoint::IMPORTS,
            Route::Import(_, ImportPart::Job) => &Endpoint::IMPORT,
            Route::Import(_, ImportPart::Rows) => &Endpoint::IMPORT_ROWS,
            Route::Import(_, ImportPart::Results) => &Endpoint::IMPORT_RESULTS,
            Route::Import(_, ImportPart::Events) => &Endpoint::IMPORT_EVENTS,
            // `resolve` makes actions of the contract's action routes only.
            Route::Import(_, ImportPart::Action(action)) => {
                Endpoint::import_action(action).unwrap_or(&Endpoint::IMPORT)
            }
            Route::Scim(_, part) => match part {
                ScimPath::Users => &Endpoint::SCIM_USERS,
                ScimPath::User(_) => &Endpoint::SCIM_USER,
                ScimPath::ServiceProviderConfig => &Endpoint::SCIM_SERVICE_PROVIDER_CONFIG,
                ScimPath::ResourceTypes => &Endpoint::SCIM_RESOURCE_TYPES,
                ScimPath::ResourceType(_) => &Endpoint::SCIM_RESOURCE_TYPE,
                ScimPath::Schemas => &Endpoint::SCIM_SCHEMAS,
                ScimPath::Schema(_) => &Endpoint::SCIM_SCHEMA,
            },
        }
    }

    /// The methods the route answers (`Allow`), OPTIONS aside.
    pub fn allow(&self) -> &'static str {
        self.endpoint().allow
    }

    /// Whether the route is part of the import API (admin mode only).
    pub fn is_import(&self) -> bool {
        self.endpoint().admin_only
    }

    /// Whether `method` is one of [`Route::allow`].
    pub fn accepts(&self, method: &str) -> bool {
        self.endpoint().accepts(method)
    }

    /// The route template, for logs (never the concrete path).
    pub fn template(&self) -> &'static str {
        self.endpoint().template
    }

    /// The provider the route is about.
    pub fn provider(&self) -> Option<&'static dyn AnyProvider> {
        match self {
            Route::CreateUser(p)
            | Route::Invite(p, _)
            | Route::CreateImport(p)
            | Route::Scim(p, _) => Some(*p),
            Route::Import(id, _) => crate::imports::provider_of(id),
            Route::Health | Route::OpenApi | Route::Imports => None,
        }
    }
}

/// Resolves a URL path (as the runtime normalized it: percent-encoding kept,
/// dot segments resolved). Anything unexpected — unknown provider, provider
/// without invitations, a user id with characters outside `[A-Za-z0-9._~-]`
/// (so no `%`, no encoded slash), trailing slashes, empty segments — is `None`.
pub fn resolve(path: &str) -> Option<Route<'_>> {
    if let Some(rest) = path.strip_prefix("/scim/v2/") {
        return resolve_scim(rest);
    }
    let rest = path.strip_prefix("/v1/")?;
    match rest {
        "health" => return Some(Route::Health),
        "openapi.json" => return Some(Route::OpenApi),
        "imports" => return Some(Route::Imports),
        _ => {}
    }
    let mut segments = rest.split('/');
    let id = segments.next()?;
    if id == "imports" {
        let job = segments.next()?;
        crate::imports::provider_of(job)?;
        let part = match (segments.next(), segments.next()) {
            (None, _) => ImportPart::Job,
            (Some("rows"), None) => ImportPart::Rows,
            (Some("results.csv"), None) => ImportPart::Results,
            (Some("events"), None) => ImportPart::Events,
            (Some(action), None) => {
                let endpoint = Endpoint::import_action(action)?;
                ImportPart::Action(endpoint.template.strip_prefix("/v1/imports/{id}/")?)
            }
            _ => return None,
        };
        return Some(Route::Import(job, part));
    }
    let provider = enlist_core::provider(id)?;
    match segments.next()? {
        "users" => {}
        "imports" if segments.next().is_none() => return Some(Route::CreateImport(provider)),
        _ => return None,
    }
    match (segments.next(), segments.next(), segments.next()) {
        (None, _, _) => Some(Route::CreateUser(provider)),
        (Some(user), Some("invite"), None)
            if provider.has_invite() && enlist_core::outcome::is_provider_id(user) =>
        {
            Some(Route::Invite(provider, user))
        }
        _ => None,
    }
}

/// The path, query (without `?`) and origin (`scheme://host[:port]`) of an
/// absolute URL as the runtime serializes it.
pub fn split_url(url: &str) -> (&str, &str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let origin = &url[..path_start];
    let rest = &url[path_start..];
    let rest = rest.split('#').next().unwrap_or_default();
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (if path.is_empty() { "/" } else { path }, query, origin)
}

/// `{provider}/…` after `/scim/v2/`: a provider with a SCIM service, then
/// one of the SCIM endpoints, with an id where the endpoint takes one: a
/// Partoo user id (24 hexadecimal digits) for `Users`, `[A-Za-z0-9._~:-]`
/// characters (a SCIM URN has colons) for the documents.
fn resolve_scim(rest: &str) -> Option<Route<'_>> {
    let mut segments = rest.split('/');
    let provider = enlist_core::provider(segments.next()?).filter(|p| p.has_scim())?;
    let endpoint = segments.next()?;
    let id = segments.next();
    if segments.next().is_some() {
        return None;
    }
    let id_ok = |id: &str| {
        !id.is_empty()
            && id.len() <= MAX_USER_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._~:-".contains(&b))
    };
    let part = match (endpoint, id) {
        ("Users", None) => ScimPath::Users,
        ("Users", Some(id)) if enlist_core::partoo::users::is_user_id(id) => ScimPath::User(id),
        ("ServiceProviderConfig", None) => ScimPath::ServiceProviderConfig,
        ("ResourceTypes", None) => ScimPath::ResourceTypes,
        ("ResourceTypes", Some(id)) if id_ok(id) => ScimPath::ResourceType(id),
        ("Schemas", None) => ScimPath::Schemas,
        ("Schemas", Some(id)) if id_ok(id) => ScimPath::Schema(id),
        _ => return None,
    };
    Some(Route::Scim(provider, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let partoo = enlist_core::provider("partoo").unwrap();
        let pandadoc = enlist_core::provider("pandadoc").unwrap();
        assert_eq!(resolve("/v1/health"), Some(Route::Health));
        assert_eq!(resolve("/v1/openapi.json"), Some(Route::OpenApi));
        assert_eq!(resolve("/v1/partoo/users"), Some(Route::CreateUser(partoo)));
        assert_eq!(
            resolve("/v1/pandadoc/users"),
            Some(Route::CreateUser(pandadoc))
        );
        assert_eq!(
            resolve("/v1/partoo/users/5309c3a237bbc544d8e26737/invite"),
            Some(Route::Invite(partoo, "5309c3a237bbc544d8e26737"))
        );
        for bad in [
            "/",
            "/v1",
            "/v1/",
            "/v1/health/",
            "/v1/nope/users",
            "/v1/Partoo/users",
            "/v1/partoo/users/",
            "/v1/partoo/user",
            "/v1/partoo/users/x",
            "/v1/partoo/users/x/invite/",
            "/v1/partoo/users/x/invite/y",
            "/v1/partoo/users//invite",
            "/v1/partoo/users/../invite",
            "/v1/partoo/users/./invite",
            "/v1/partoo/users/..%2F..",
            "/v1/partoo/users/..%2F../invite",
            "/v1/partoo/users/a%2Fb/invite",
            "/v1/pandadoc/users/x/invite",
            "/v2/partoo/users",
            "/v1/../admin",
        ] {
            assert_eq!(resolve(bad), None, "{bad}");
        }
        let long = format!("/v1/partoo/users/{}/invite", "a".repeat(MAX_USER_ID + 1));
        assert_eq!(resolve(&long), None);
    }

    /// Every route of the contract is served, under its template and
    /// methods, and nothing else is.
    #[test]
    fn the_contract_s_routes_and_only_them() {
        let user = "5309c3a237bbc544d8e26737";
        let job = crate::imports::new_job_id("partoo", &[0xab; 16]);
        let mut served = Vec::new();
        for endpoint in Endpoint::ALL {
            // Partoo has an invite call, so every template has a path.
            let path = endpoint
                .template
                .replace("{provider}", "partoo")
                .replace("{id}", if endpoint.admin_only { &job } else { user });
            let route = resolve(&path).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(route.endpoint(), endpoint, "{path}");
            assert_eq!(route.template(), endpoint.template);
            assert_eq!(route.allow(), endpoint.allow);
            assert_eq!(route.is_import(), endpoint.admin_only);
            for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"] {
                assert_eq!(
                    route.accepts(method),
                    endpoint.accepts(method),
                    "{method} {path}"
                );
            }
            served.push(endpoint.template);
        }
        served.sort_unstable();
        served.dedup();
        assert_eq!(served.len(), Endpoint::ALL.len());
        let other = format!("/v1/imports/{job}/restart");
        assert_eq!(resolve(&other), None);
    }

    #[test]
    fn methods() {
        assert!(Route::Health.accepts("HEAD"));
        assert!(!Route::Health.accepts("POST"));
        let partoo = enlist_core::provider("partoo").unwrap();
        assert!(Route::CreateUser(partoo).accepts("POST"));
        assert!(!Route::CreateUser(partoo).accepts("GET"));
        assert_eq!(Route::CreateUser(partoo).allow(), "POST");
    }

    #[test]
    fn urls() {
        assert_eq!(
            split_url("http://127.0.0.1:8787/v1/pandadoc/users?notify_user=true#x"),
            (
                "/v1/pandadoc/users",
                "notify_user=true",
                "http://127.0.0.1:8787"
            )
        );
        assert_eq!(
            split_url("https://a.example"),
            ("/", "", "https://a.example")
        );
        assert_eq!(
            split_url("https://a.example/?"),
            ("/", "", "https://a.example")
        );
    }

    #[test]
    fn scim_routes_for_providers_that_opt_in() {
        let partoo = enlist_core::provider("partoo").unwrap();
        let id = "5409c35a97bbc544d8e26737";
        for (path, part) in [
            ("/scim/v2/partoo/Users", ScimPath::Users),
            (
                "/scim/v2/partoo/Users/5409c35a97bbc544d8e26737",
                ScimPath::User(id),
            ),
            (
                "/scim/v2/partoo/ServiceProviderConfig",
                ScimPath::ServiceProviderConfig,
            ),
            ("/scim/v2/partoo/ResourceTypes", ScimPath::ResourceTypes),
            (
                "/scim/v2/partoo/ResourceTypes/User",
                ScimPath::ResourceType("User"),
            ),
            ("/scim/v2/partoo/Schemas", ScimPath::Schemas),
            (
                "/scim/v2/partoo/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
                ScimPath::Schema("urn:ietf:params:scim:schemas:core:2.0:User"),
            ),
        ] {
            assert_eq!(resolve(path), Some(Route::Scim(partoo, part)), "{path}");
        }
        for bad in [
            "/scim/v2/pandadoc/Users",
            "/scim/v2/nope/Users",
            "/scim/v2/partoo",
            "/scim/v2/partoo/",
            "/scim/v2/partoo/users",
            "/scim/v2/partoo/Users/",
            "/scim/v2/partoo/Users/a%2Fb",
            "/scim/v2/partoo/Users/null",
            "/scim/v2/partoo/Users/5409c35a97bbc544d8e2673",
            "/scim/v2/partoo/Users/5409c35a97bbc544d8e26737a",
            "/scim/v2/partoo/Users/a/b",
            "/scim/v2/partoo/Groups",
            "/scim/v2/partoo/Bulk",
            "/scim/v2/partoo/Me",
            "/scim/v1/partoo/Users",
            "/scim/partoo/Users",
        ] {
            assert_eq!(resolve(bad), None, "{bad}");
        }
        assert!(is_scim_path("/scim/v2/pandadoc/Users"));
        assert!(!is_scim_path("/v1/partoo/users"));
        let users = Route::Scim(partoo, ScimPath::Users);
        assert!(users.accepts("POST") && users.accepts("GET") && !users.accepts("PUT"));
        let user = Route::Scim(partoo, ScimPath::User(id));
        for m in ["GET", "PUT", "PATCH", "DELETE"] {
            assert!(user.accepts(m), "{m}");
        }
        assert!(!user.accepts("POST") && !user.accepts("HEAD"));
        assert_eq!(user.template(), "/scim/v2/{provider}/Users/{id}");
        assert_eq!(user.provider().map(|p| p.id()), Some("partoo"));
        assert!(!Route::Scim(partoo, ScimPath::Schemas).accepts("POST"));
    }
}
