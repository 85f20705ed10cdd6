//! Partoo's user endpoints beyond create: read (`GET /user/{user_id}`), search
//! (`GET /user/search`), update (`POST /user/{user_id}`, patch behaviour) and
//! delete (`DELETE /user/{user_id}`).
//!
//! As for create and invite, the builders return a plain [`HttpRequest`] and
//! the parsers read `(status, headers, body)` without ever panicking. A parser
//! answers `Ok` with the typed answer, or `Err` with the failed
//! [`Outcome`] (never a success variant): [`Outcome::NotFound`] for an unknown
//! user, [`Outcome::RateLimited`] with its [`RetryAfter`](crate::RetryAfter) on
//! a 429, [`Outcome::Malformed`] for a `2xx` whose body is not the documented
//! shape.
//!
//! Facts from Partoo's API reference (not the seeds), coded defensively:
//! - user ids are 24 hexadecimal digits; a user answer whose id is not is
//!   malformed;
//! - the search answer is `{"users": […], "page", "max_page", "count"}`;
//!   anything else fails closed;
//! - update and delete answer `{"id": "…", "status": "success"}`;
//! - a 404 body may say `error` or `errors`; both are read.
//!
//! ```
//! use enlist_core::http::ApiKey;
//! use enlist_core::partoo::users::{UserQuery, UserUpdate};
//! use enlist_core::partoo::Partoo;
//! use enlist_core::Provider;
//!
//! let client = Partoo::client(ApiKey::new("key")?);
//! let search = client.search_users(&UserQuery::new().email("ada@example.com").per_page(1))?;
//! assert_eq!(search.url, "https://api.partoo.co/v2/user/search?email=ada%40example.com&per_page=1");
//!
//! let update = client.update_user("5409c35a97bbc544d8e26737", &UserUpdate::new().disabled(true))?;
//! assert_eq!(update.body.as_deref(), Some(r#"{"disabled":true}"#));
//!
//! let page = Partoo::parse_user_search_response(200, &[], br#"{"users":[],"page":1,"max_page":0,"count":0}"#)
//!     .map_err(|o| o.kind())?;
//! assert_eq!(page.count, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{error_body, Lang, Partoo, Role, Status, SCHEMA};
use crate::http::{encode_path_segment, HttpRequest, Method, RequestError};
use crate::json::{Document, Kind, Node};
use crate::outcome::{self, ErrorBody, Failure, Outcome};
use crate::provider::{Client, Provider, Redacted};
use crate::report::{Code, Report};
use crate::validate::Options;
use serde::Serialize;

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;

/// Most entries Partoo returns in one search page.
pub const MAX_PER_PAGE: u32 = 100;

/// A Partoo user as `GET /user/{user_id}` and the search return it. Fields
/// enlist does not read are ignored; optional ones may be missing. `Debug`
/// redacts the email and names.
///
/// ```
/// use enlist_core::partoo::{Partoo, Status};
///
/// let user = Partoo::parse_user_response(200, &[], br#"{
///     "id": "5409c35a97bbc544d8e26737", "email": "ada@example.com",
///     "first_name": "Ada", "last_name": "Lovelace", "status": "active",
///     "disabled": false, "lang": "en", "favourite_colour": "green"
/// }"#).map_err(|o| o.kind())?;
/// assert_eq!(user.status, Some(Status::Active));
/// assert!(!format!("{user:?}").contains("ada@"));
/// # Ok::<(), &str>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// The user's id (24 hexadecimal digits).
    pub id: String,
    /// The organization's id.
    pub org_id: Option<i64>,
    /// First name (empty when Partoo sent none).
    pub first_name: Redacted<String>,
    /// Last name (empty when Partoo sent none).
    pub last_name: Redacted<String>,
    /// Email address.
    pub email: Redacted<String>,
    /// Interface language as Partoo spelled it (see [`User::language`]).
    pub lang: Option<String>,
    /// Role as Partoo spelled it (`PROVIDER` included).
    pub role: Option<String>,
    /// `active` or `invited`.
    pub status: Option<Status>,
    /// Whether the user is disabled (`false` when absent).
    pub disabled: bool,
    /// Creation time, as Partoo wrote it (a date text or a number).
    pub created_at: Option<String>,
    /// SSO-only sign-in (`false` when absent).
    pub sso_only: bool,
    /// Businesses the user can access.
    pub business_ids: Vec<String>,
    /// Group accesses.
    pub accesses: Vec<Vec<i64>>,
}

impl User {
    /// The interface language, when it is one enlist knows.
    ///
    /// ```
    /// use enlist_core::partoo::{users::User, Lang};
    /// let user = User { lang: Some("pt-br".into()), ..User::default() };
    /// assert_eq!(user.language(), Some(Lang::PtBr));
    /// ```
    pub fn language(&self) -> Option<Lang> {
        self.lang.as_deref().and_then(Lang::from_name)
    }
}

/// One page of `GET /user/search`.
///
/// ```
/// use enlist_core::partoo::Partoo;
/// let page = Partoo::parse_user_search_response(200, &[],
///     br#"{"users":[{"id":"5409c35a97bbc544d8e26737","email":"a@b.co"}],"page":1,"max_page":1,"count":1}"#)
///     .map_err(|o| o.kind())?;
/// assert_eq!((page.users.len(), page.page, page.max_page, page.count), (1, 1, 1, 1));
/// # Ok::<(), &str>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserPage {
    /// The users of this page.
    pub users: Vec<User>,
    /// This page's number (from 1).
    pub page: u64,
    /// The last page's number.
    pub max_page: u64,
    /// How many users match, on every page.
    pub count: u64,
}

/// Partoo's answer to an update or a delete: `{"id", "status": "success"}`.
///
/// ```
/// use enlist_core::partoo::Partoo;
/// let done = Partoo::parse_user_delete_response(200, &[],
///     br#"{"id":"5409c35a97bbc544d8e26737","status":"success"}"#).map_err(|o| o.kind())?;
/// assert_eq!(done.id.as_deref(), Some("5409c35a97bbc544d8e26737"));
/// # Ok::<(), &str>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// The HTTP status Partoo answered with.
    pub status: u16,
    /// The id Partoo echoed; `None` only for a `204 No Content`.
    pub id: Option<String>,
}

string_enum! {
    /// A sort order of `GET /user/search` (`-` for descending).
    pub enum UserOrder {
        /// By email, ascending (unique, hence a stable order).
        Email = "email",
        /// By first name.
        FirstName = "first_name",
        /// By last name.
        LastName = "last_name",
        /// By role.
        Role = "role",
        /// By organization.
        OrgId = "org_id",
        /// By group.
        GroupId = "group_id",
        /// By status.
        Status = "status",
        /// By email, descending.
        EmailDesc = "-email",
        /// By first name, descending.
        FirstNameDesc = "-first_name",
        /// By last name, descending.
        LastNameDesc = "-last_name",
        /// By role, descending.
        RoleDesc = "-role",
        /// By organization, descending.
        OrgIdDesc = "-org_id",
        /// By group, descending.
        GroupIdDesc = "-group_id",
        /// By status, descending.
        StatusDesc = "-status",
    }
}

/// The filters and paging of `GET /user/search`. Unset parameters are not
/// sent (Partoo's defaults apply). `Debug` redacts the email.
///
/// ```
/// use enlist_core::partoo::{users::{UserOrder, UserQuery}, Status};
/// let query = UserQuery::new().status(Status::Active).page(2).per_page(100).order_by(UserOrder::Email);
/// assert_eq!(query.to_query_string()?, "status=active&page=2&per_page=100&order_by=email");
/// # Ok::<(), enlist_core::http::RequestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserQuery {
    email: Option<Redacted<String>>,
    status: Option<Status>,
    disabled: Option<bool>,
    role: Option<Role>,
    page: Option<u32>,
    per_page: Option<u32>,
    order_by: Option<UserOrder>,
}

impl UserQuery {
    /// A query with no filter.
    pub fn new() -> Self {
        UserQuery::default()
    }

    /// Only the user with this email (Partoo compares case-insensitively,
    /// exact match). Must be a valid email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(Redacted::new(email.into()));
        self
    }

    /// Only users with this status.
    pub fn status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }

    /// Only disabled (`true`) or only enabled (`false`) users.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = Some(disabled);
        self
    }

    /// Only users with this role.
    pub fn role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    /// The page to return, from 1.
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Users per page, 1 to [`MAX_PER_PAGE`].
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// The sort order.
    pub fn order_by(mut self, order: UserOrder) -> Self {
        self.order_by = Some(order);
        self
    }

    /// The query string (without `?`), values percent-encoded, or why a
    /// parameter is out of range. The value is never repeated in the error.
    ///
    /// ```
    /// use enlist_core::{http::RequestError, partoo::users::UserQuery};
    /// assert_eq!(UserQuery::new().to_query_string()?, "");
    /// assert!(matches!(UserQuery::new().per_page(101).to_query_string(),
    ///     Err(RequestError::InvalidParameter { name: "per_page", .. })));
    /// assert!(UserQuery::new().email("not an email").to_query_string().is_err());
    /// # Ok::<(), RequestError>(())
    /// ```
    pub fn to_query_string(&self) -> Result<String, RequestError> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(email) = &self.email {
            if crate::formats::check_email(email).is_err() {
                return Err(RequestError::InvalidParameter {
                    name: "email",
                    expected: "a valid email address",
                });
            }
            pairs.push(("email", encode_path_segment(email)));
        }
        if let Some(status) = self.status {
            pairs.push(("status", status.as_str().into()));
        }
        if let Some(disabled) = self.disabled {
            pairs.push(("disabled", if disabled { "true" } else { "false" }.into()));
        }
        if let Some(role) = self.role {
            pairs.push(("role", role.as_str().into()));
        }
        if let Some(page) = self.page {
            if page == 0 {
                return Err(RequestError::InvalidParameter {
                    name: "page",
                    expected: "at least 1",
                });
            }
            pairs.push(("page", page.to_string()));
        }
        if let Some(per_page) = self.per_page {
            if !(1..=MAX_PER_PAGE).contains(&per_page) {
                return Err(RequestError::InvalidParameter {
                    name: "per_page",
                    expected: "1 to 100",
                });
            }
            pairs.push(("per_page", per_page.to_string()));
        }
        if let Some(order) = self.order_by {
            pairs.push(("order_by", encode_path_segment(order.as_str())));
        }
        let mut out = String::new();
        for (i, (name, value)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        Ok(out)
    }
}

/// The body of `POST /user/{user_id}`: only the fields set are sent, and
/// Partoo changes only those. `Debug` redacts the email, names and password.
///
/// ```
/// use enlist_core::partoo::{users::UserUpdate, Lang};
/// let update = UserUpdate::new().first_name("Ada").lang(Lang::Fr);
/// assert_eq!(serde_json::to_string(&update)?, r#"{"first_name":"Ada","lang":"fr"}"#);
/// assert!(UserUpdate::new().is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UserUpdate {
    /// New email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Redacted<String>>,
    /// New first name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Redacted<String>>,
    /// New last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Redacted<String>>,
    /// New role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// New custom role (its `api_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_role: Option<String>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Disable (`true`) or enable (`false`) the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// New password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Redacted<String>>,
    /// SSO-only sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso_only: Option<bool>,
    /// New interface language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
}

impl UserUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        UserUpdate::default()
    }

    /// Sets the email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(Redacted::new(email.into()));
        self
    }

    /// Sets the first name.
    pub fn first_name(mut self, name: impl Into<String>) -> Self {
        self.first_name = Some(Redacted::new(name.into()));
        self
    }

    /// Sets the last name.
    pub fn last_name(mut self, name: impl Into<String>) -> Self {
        self.last_name = Some(Redacted::new(name.into()));
        self
    }

    /// Sets the role.
    pub fn role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets the custom role.
    pub fn custom_role(mut self, api_id: impl Into<String>) -> Self {
        self.custom_role = Some(api_id.into());
        self
    }

    /// Sets the status.
    pub fn status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }

    /// Disables or enables the user.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = Some(disabled);
        self
    }

    /// Sets the password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Redacted::new(password.into()));
        self
    }

    /// Sets SSO-only sign-in.
    pub fn sso_only(mut self, sso_only: bool) -> Self {
        self.sso_only = Some(sso_only);
        self
    }

    /// Sets the language.
    pub fn lang(mut self, lang: Lang) -> Self {
        self.lang = Some(lang);
        self
    }

    /// Whether no field is set (an update that would change nothing).
    pub fn is_empty(&self) -> bool {
        self == &UserUpdate::default()
    }

    /// Checks the fields that are set with the rules of Partoo's create
    /// payload (email format and domain, non-blank names, the password
    /// policy, …); fields that are not set are not required. Paths are those
    /// of the update body (`/email`, `/first_name`, …).
    ///
    /// ```
    /// use enlist_core::{partoo::users::UserUpdate, Code, Options};
    /// let report = UserUpdate::new().email("nope").first_name(" ").check(&Options::default());
    /// let found: Vec<_> = report.errors.iter().map(|i| (i.path.as_str(), i.code)).collect();
    /// assert_eq!(found, [("/email", Code::Email), ("/first_name", Code::Empty)]);
    /// assert!(UserUpdate::new().disabled(true).check(&Options::default()).errors.is_empty());
    /// ```
    pub fn check(&self, options: &Options) -> Report {
        check_update_json(&serde_json::to_vec(self).unwrap_or_default(), options)
    }
}

/// Checks the body of an update (`POST /user/{user_id}`) as JSON, with the
/// rules of [`UserUpdate::check`]: each field present must pass the create
/// payload's rules, no field is required, and `disabled` is left out (it is
/// no field of the create payload). For a body changed after it was built,
/// such as one a server policy rewrote.
///
/// ```
/// use enlist_core::{partoo::users::check_update_json, Code, Options};
/// let report = check_update_json(br#"{"disabled":true,"lang":"xx"}"#, &Options::default());
/// let found: Vec<_> = report.errors.iter().map(|i| (i.path.as_str(), i.code)).collect();
/// assert_eq!(found, [("/lang", Code::Enum)]);
/// ```
pub fn check_update_json(json: &[u8], options: &Options) -> Report {
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(json) else {
        return crate::validate::check_json(&SCHEMA, json, options);
    };
    fields.remove("disabled");
    let body = serde_json::to_vec(&fields).unwrap_or_default();
    let mut report = crate::validate::check_json(&SCHEMA, &body, options);
    report.errors.retain(|issue| {
        issue.code != Code::Required
            || fields.contains_key(issue.path.strip_prefix('/').unwrap_or(&issue.path))
    });
    report
}

/// `user_id` as a path segment: 1 to 256 characters without control
/// characters (as for the invite call), percent-encoded.
fn user_segment(user_id: &str) -> Result<String, RequestError> {
    if user_id.is_empty() || user_id.chars().count() > 256 || user_id.chars().any(char::is_control)
    {
        return Err(RequestError::InvalidUserId);
    }
    Ok(encode_path_segment(user_id))
}

impl Client<Partoo> {
    /// `GET /user/{user_id}`.
    ///
    /// ```
    /// use enlist_core::{http::ApiKey, partoo::Partoo, Provider};
    /// let request = Partoo::client(ApiKey::new("k")?).get_user("5409c35a97bbc544d8e26737")?;
    /// assert_eq!(request.method.as_str(), "GET");
    /// assert_eq!(request.url, "https://api.partoo.co/v2/user/5409c35a97bbc544d8e26737");
    /// assert!(Partoo::client(ApiKey::new("k")?).get_user("").is_err());
    /// # Ok::<(), enlist_core::http::RequestError>(())
    /// ```
    pub fn get_user(&self, user_id: &str) -> Result<HttpRequest, RequestError> {
        let url = format!("{}/user/{}", self.base_url(), user_segment(user_id)?);
        Ok(HttpRequest::new(
            Method::Get,
            url,
            Partoo::credential(self),
            None,
        ))
    }

    /// `GET /user/search?…`.
    ///
    /// ```
    /// use enlist_core::{http::ApiKey, partoo::{users::UserQuery, Partoo}, Provider};
    /// let client = Partoo::client(ApiKey::new("k")?);
    /// let request = client.search_users(&UserQuery::new().disabled(false).page(1))?;
    /// assert_eq!(request.url, "https://api.partoo.co/v2/user/search?disabled=false&page=1");
    /// # Ok::<(), enlist_core::http::RequestError>(())
    /// ```
    pub fn search_users(&self, query: &UserQuery) -> Result<HttpRequest, RequestError> {
        let query = query.to_query_string()?;
        let mut url = format!("{}/user/search", self.base_url());
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        Ok(HttpRequest::new(
            Method::Get,
            url,
            Partoo::credential(self),
            None,
        ))
    }

    /// `POST /user/{user_id}` with the fields of `update` that are set. An
    /// empty update is refused (there is nothing to send).
    ///
    /// ```
    /// use enlist_core::{http::ApiKey, partoo::{users::UserUpdate, Partoo}, Provider};
    /// let client = Partoo::client(ApiKey::new("k")?);
    /// let request = client.update_user("5409c35a97bbc544d8e26737", &UserUpdate::new().last_name("King"))?;
    /// assert_eq!(request.method.as_str(), "POST");
    /// assert_eq!(request.body.as_deref(), Some(r#"{"last_name":"King"}"#));
    /// assert!(client.update_user("5409c35a97bbc544d8e26737", &UserUpdate::new()).is_err());
    /// # Ok::<(), enlist_core::http::RequestError>(())
    /// ```
    pub fn update_user(
        &self,
        user_id: &str,
        update: &UserUpdate,
    ) -> Result<HttpRequest, RequestError> {
        let url = format!("{}/user/{}", self.base_url(), user_segment(user_id)?);
        if update.is_empty() {
            return Err(RequestError::InvalidParameter {
                name: "update",
                expected: "at least one field to change",
            });
        }
        // Serializing these plain fields cannot fail.
        let body = serde_json::to_string(update).unwrap_or_default();
        Ok(HttpRequest::new(
            Method::Post,
            url,
            Partoo::credential(self),
            Some(body),
        ))
    }

    /// `DELETE /user/{user_id}`.
    ///
    /// ```
    /// use enlist_core::{http::ApiKey, partoo::Partoo, Provider};
    /// let request = Partoo::client(ApiKey::new("k")?).delete_user("a/b")?;
    /// assert_eq!(request.method.as_str(), "DELETE");
    /// assert_eq!(request.url, "https://api.partoo.co/v2/user/a%2Fb");
    /// # Ok::<(), enlist_core::http::RequestError>(())
    /// ```
    pub fn delete_user(&self, user_id: &str) -> Result<HttpRequest, RequestError> {
        let url = format!("{}/user/{}", self.base_url(), user_segment(user_id)?);
        Ok(HttpRequest::new(
            Method::Delete,
            url,
            Partoo::credential(self),
            None,
        ))
    }
}

impl Partoo {
    /// Reads the answer to `GET /user/{user_id}`.
    ///
    /// ```
    /// use enlist_core::{partoo::Partoo, Outcome};
    /// let missing = Partoo::parse_user_response(404, &[], br#"{"error":"User not found"}"#);
    /// assert!(matches!(missing, Err(Outcome::NotFound(_))));
    /// let odd = Partoo::parse_user_response(200, &[], br#"{"id":"u1","email":"a@b.co"}"#);
    /// assert!(matches!(odd, Err(Outcome::Malformed(_))));
    /// ```
    pub fn parse_user_response(
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<User, Outcome> {
        if !(200..300).contains(&status) {
            return Err(failure(status, headers, body, "read this user"));
        }
        let doc = parse_json(status, body)?;
        read_user(doc.root())
            .map_err(|what| malformed(status, &format!("an unexpected user: {what}")))
    }

    /// Reads the answer to `GET /user/search`: the documented envelope
    /// `{"users": […], "page", "max_page", "count"}`, every user well formed;
    /// anything else is [`Outcome::Malformed`].
    ///
    /// ```
    /// use enlist_core::{partoo::Partoo, Outcome, RetryAfter};
    /// let bare_list = Partoo::parse_user_search_response(200, &[], b"[]");
    /// assert!(matches!(bare_list, Err(Outcome::Malformed(_))));
    /// let throttled = Partoo::parse_user_search_response(429, &[("Retry-After", "30")], b"");
    /// assert_eq!(throttled.err().and_then(|o| o.failure().and_then(|f| f.retry_after)),
    ///            Some(RetryAfter::Seconds(30)));
    /// ```
    pub fn parse_user_search_response(
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<UserPage, Outcome> {
        if !(200..300).contains(&status) {
            return Err(failure(status, headers, body, "search users"));
        }
        let doc = parse_json(status, body)?;
        read_page(doc.root())
            .map_err(|what| malformed(status, &format!("an unexpected search page: {what}")))
    }

    /// Reads the answer to `POST /user/{user_id}` (update).
    ///
    /// ```
    /// use enlist_core::{partoo::Partoo, Code, Outcome};
    /// let taken = Partoo::parse_user_update_response(400, &[],
    ///     br#"{"errors":{"json":{"email":["Email already used"]}}}"#);
    /// assert!(matches!(taken, Err(Outcome::AlreadyExists(_))));
    /// ```
    pub fn parse_user_update_response(
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Acknowledged, Outcome> {
        acknowledged(status, headers, body, "update this user")
    }

    /// Reads the answer to `DELETE /user/{user_id}`.
    ///
    /// ```
    /// use enlist_core::{partoo::Partoo, Outcome};
    /// let denied = Partoo::parse_user_delete_response(403, &[], b"");
    /// let message = denied.err().and_then(|o| o.failure().map(|f| f.message.clone()));
    /// assert_eq!(message.as_deref(), Some("The API key is not allowed to delete this user."));
    /// ```
    pub fn parse_user_delete_response(
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Acknowledged, Outcome> {
        acknowledged(status, headers, body, "delete this user")
    }
}

/// `classify`'s wording for a 403, which speaks of creating.
const CREATE_FORBIDDEN: &str = "The API key is not allowed to create this user.";

/// A non-2xx answer as an outcome; `action` words a 403 without a message.
fn failure(status: u16, headers: &[(&str, &str)], body: &[u8], action: &str) -> Outcome {
    let mut outcome = outcome::classify(Partoo::ID, status, headers, body, lookup_error_body);
    if let Outcome::Forbidden(f) = &mut outcome {
        if f.message == CREATE_FORBIDDEN {
            f.message = format!("The API key is not allowed to {action}.");
        }
    }
    outcome
}

/// Partoo's error body, plus the `{"error": …}` and `{"errors": "…"}` forms
/// its references show for a 404.
fn lookup_error_body(root: Node<'_, '_>) -> ErrorBody {
    let mut body = error_body(root);
    if body.message.is_some() {
        return body;
    }
    let text = root
        .get("error")
        .into_iter()
        .chain(root.get("errors"))
        .find_map(|node| match node.kind() {
            Kind::String => node.as_str(),
            Kind::Object => node
                .get("message")
                .and_then(|m| m.as_str())
                .or_else(|| node.members().find_map(|(_, v)| v.as_str())),
            _ => None,
        });
    body.message = text.map(|t| outcome::sanitize_message(&t));
    body
}

fn malformed(status: u16, what: &str) -> Outcome {
    Outcome::Malformed(Failure {
        provider: Partoo::ID,
        status,
        message: format!("Partoo answered HTTP {status} with {what}."),
        errors: Vec::new(),
        retry_after: None,
    })
}

fn parse_json(status: u16, body: &[u8]) -> Result<Document<'_>, Outcome> {
    Document::parse_bytes(body).map_err(|_| malformed(status, "a body that is not JSON"))
}

fn acknowledged(
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    action: &str,
) -> Result<Acknowledged, Outcome> {
    if !(200..300).contains(&status) {
        return Err(failure(status, headers, body, action));
    }
    if status == 204 && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Acknowledged { status, id: None });
    }
    let doc = parse_json(status, body)?;
    let root = doc.root();
    let id = root
        .get("id")
        .filter(|id| id.kind() == Kind::String)
        .and_then(|id| id.as_str())
        .filter(|id| !id.is_empty());
    let success = root.get("status").is_some_and(|s| s.str_eq("success"));
    match id {
        Some(id) if success => Ok(Acknowledged {
            status,
            id: Some(id.into_owned()),
        }),
        _ => Err(malformed(
            status,
            "a body other than {\"id\": \"…\", \"status\": \"success\"}",
        )),
    }
}

/// Whether `id` is a Partoo user id: 24 hexadecimal digits.
///
/// ```
/// use enlist_core::partoo::users::is_user_id;
/// assert!(is_user_id("5409c35a97bbc544d8e26737"));
/// assert!(!is_user_id("5409c35a97bbc544d8e2673"));
/// assert!(!is_user_id("5409c35a97bbc544d8e2673g"));
/// ```
pub fn is_user_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A member that is absent or `null`.
fn absent(node: Option<Node<'_, '_>>) -> bool {
    node.is_none_or(|n| n.is_null())
}

/// An optional text member: absent or null → `None`, a string → its text,
/// anything else → `Err`.
fn opt_text(object: Node<'_, '_>, key: &'static str) -> Result<Option<String>, &'static str> {
    let node = object.get(key);
    if absent(node) {
        return Ok(None);
    }
    node.and_then(|n| n.as_str())
        .map(|s| Some(s.into_owned()))
        .ok_or(key)
}

fn opt_bool(object: Node<'_, '_>, key: &'static str) -> Result<bool, &'static str> {
    let node = object.get(key);
    if absent(node) {
        return Ok(false);
    }
    node.and_then(|n| n.as_bool()).ok_or(key)
}

/// A user object; `Err` names the first member that is missing or not of
/// the documented type (never its value).
fn read_user(user: Node<'_, '_>) -> Result<User, &'static str> {
    if user.kind() != Kind::Object {
        return Err("not an object");
    }
    let id = opt_text(user, "id")
        .ok()
        .flatten()
        .filter(|id| is_user_id(id))
        .ok_or("id is not 24 hexadecimal digits")?;
    let email = opt_text(user, "email")
        .ok()
        .flatten()
        .filter(|e| !e.is_empty())
        .ok_or("email is missing or not a string")?;
    let org_id = match user.get("org_id") {
        node if absent(node) => None,
        node => Some(
            node.and_then(|n| n.as_i64())
                .ok_or("org_id is not an integer")?,
        ),
    };
    let status = match opt_text(user, "status").map_err(|_| "status is not a string")? {
        None => None,
        Some(s) => Some(Status::from_name(&s).ok_or("status is neither active nor invited")?),
    };
    let created_at = match user.get("created_at") {
        node if absent(node) => None,
        Some(n) if n.kind() == Kind::Number => n.number_text().map(str::to_string),
        node => Some(
            node.and_then(|n| n.as_str())
                .map(|s| s.into_owned())
                .ok_or("created_at is neither a string nor a number")?,
        ),
    };
    let business_ids = match user.get("business_ids") {
        node if absent(node) => Vec::new(),
        Some(list) if list.kind() == Kind::Array => list
            .elements()
            .map(|e| {
                (e.kind() == Kind::String)
                    .then(|| e.as_str().map(|s| s.into_owned()))
                    .flatten()
            })
            .collect::<Option<Vec<_>>>()
            .ok_or("business_ids is not a list of strings")?,
        _ => return Err("business_ids is not a list of strings"),
    };
    let accesses = match user.get("accesses") {
        node if absent(node) => Vec::new(),
        Some(list) if list.kind() == Kind::Array => list
            .elements()
            .map(|group| {
                if group.kind() != Kind::Array {
                    return None;
                }
                group
                    .elements()
                    .map(|g| g.as_i64())
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()
            .ok_or("accesses is not a list of lists of integers")?,
        _ => return Err("accesses is not a list of lists of integers"),
    };
    Ok(User {
        id,
        org_id,
        first_name: Redacted::new(
            opt_text(user, "first_name")
                .map_err(|_| "first_name is not a string")?
                .unwrap_or_default(),
        ),
        last_name: Redacted::new(
            opt_text(user, "last_name")
                .map_err(|_| "last_name is not a string")?
                .unwrap_or_default(),
        ),
        email: Redacted::new(email),
        lang: opt_text(user, "lang").map_err(|_| "lang is not a string")?,
        role: opt_text(user, "role").map_err(|_| "role is not a string")?,
        status,
        disabled: opt_bool(user, "disabled").map_err(|_| "disabled is not a boolean")?,
        created_at,
        sso_only: opt_bool(user, "sso_only").map_err(|_| "sso_only is not a boolean")?,
        business_ids,
        accesses,
    })
}

/// A non-negative integer member that must be present.
fn count(object: Node<'_, '_>, key: &str) -> Option<u64> {
    object
        .get(key)
        .filter(|n| n.is_integer())
        .and_then(|n| n.as_i64())
        .and_then(|n| u64::try_from(n).ok())
}

fn read_page(root: Node<'_, '_>) -> Result<UserPage, String> {
    if root.kind() != Kind::Object {
        return Err("not an object".into());
    }
    let list = root
        .get("users")
        .filter(|u| u.kind() == Kind::Array)
        .ok_or("users is not a list")?;
    let page = count(root, "page")
        .filter(|p| *p >= 1)
        .ok_or("page is not a positive integer")?;
    let max_page = count(root, "max_page").ok_or("max_page is not a non-negative integer")?;
    let total = count(root, "count").ok_or("count is not a non-negative integer")?;
    let users = list
        .elements()
        .enumerate()
        .map(|(i, user)| read_user(user).map_err(|what| format!("users[{i}]: {what}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(UserPage {
        users,
        page,
        max_page,
        count: total,
    })
}
