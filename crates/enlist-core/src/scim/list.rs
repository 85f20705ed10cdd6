//! `GET /Users` paging: SCIM's 1-based `startIndex` and `count` (RFC 7644
//! §3.4.2.4) translated to Partoo's `page`/`per_page` (at most 100, sorted by
//! email so that pages are stable), and the answer's `ListResponse`.
//!
//! A window of `count` users from `startIndex` rarely starts on a Partoo page
//! boundary. [`ListRequest::plan`] picks the smallest page size that holds
//! the whole window in one page (one call); when none does, it takes two
//! consecutive pages of 100 (two calls). [`PagePlan::finish`] cuts the window
//! out of the pages fetched.
//!
//! ```
//! use enlist_core::scim::list::ListRequest;
//!
//! let request = ListRequest::parse(Some("1"), Some("1"))?; // Okta's first call
//! let plan = request.plan();
//! assert_eq!(plan.queries().len(), 1);
//! assert_eq!(plan.queries()[0].to_query_string().as_deref(), Ok("page=1&per_page=1&order_by=email"));
//!
//! let request = ListRequest::parse(Some("150"), Some("100"))?; // users 150–249
//! assert_eq!(request.plan().queries().len(), 2); // pages 2 and 3 of 100
//! # Ok::<(), enlist_core::scim::ScimError>(())
//! ```

use super::{ScimError, ScimType, LIST_RESPONSE_SCHEMA, MAX_RESULTS};
use crate::partoo::users::{User as PartooUser, UserOrder, UserPage, UserQuery};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// A `GET /Users` window: `startIndex` from 1, `count` from 0 to
/// [`MAX_RESULTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRequest {
    start_index: u64,
    count: u32,
}

impl Default for ListRequest {
    fn default() -> Self {
        ListRequest {
            start_index: 1,
            count: MAX_RESULTS,
        }
    }
}

impl ListRequest {
    /// A window; `start_index` below 1 reads as 1 and `count` above
    /// [`MAX_RESULTS`] as [`MAX_RESULTS`] (RFC 7644 §3.4.2.4).
    ///
    /// ```
    /// use enlist_core::scim::list::ListRequest;
    /// let request = ListRequest::new(0, 500);
    /// assert_eq!((request.start_index(), request.count()), (1, 100));
    /// ```
    pub fn new(start_index: u64, count: u32) -> Self {
        ListRequest {
            start_index: start_index.max(1),
            count: count.min(MAX_RESULTS),
        }
    }

    /// Reads the `startIndex` and `count` query parameters: absent means 1
    /// and [`MAX_RESULTS`]; an integer below 1 (`startIndex`) or below 0
    /// (`count`) reads as 1 and 0, a larger `count` as [`MAX_RESULTS`], a
    /// `startIndex` too large for any list as the largest; anything but an
    /// integer is 400 `invalidValue`.
    ///
    /// ```
    /// use enlist_core::scim::{list::ListRequest, ScimType};
    /// assert_eq!(ListRequest::parse(Some("-5"), Some("-1"))?, ListRequest::new(1, 0));
    /// assert_eq!(ListRequest::parse(None, None)?, ListRequest::new(1, 100));
    /// assert_eq!(ListRequest::parse(Some("two"), None).unwrap_err().scim_type, Some(ScimType::InvalidValue));
    /// # Ok::<(), enlist_core::scim::ScimError>(())
    /// ```
    pub fn parse(start_index: Option<&str>, count: Option<&str>) -> Result<Self, ScimError> {
        let integer = |text: &str, name: &str| -> Result<i128, ScimError> {
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("{name} must be an integer."),
                ));
            }
            // Saturate very long numbers instead of failing.
            let significant = digits.trim_start_matches('0');
            let magnitude = if significant.len() > 30 {
                i128::MAX
            } else {
                significant.parse::<i128>().unwrap_or(0)
            };
            Ok(if text.starts_with('-') {
                -magnitude
            } else {
                magnitude
            })
        };
        let start = match start_index {
            None => 1,
            Some(text) => integer(text.trim(), "startIndex")?,
        };
        let count = match count {
            None => i128::from(MAX_RESULTS),
            Some(text) => integer(text.trim(), "count")?,
        };
        Ok(ListRequest::new(
            u64::try_from(start.max(1)).unwrap_or(u64::MAX),
            u32::try_from(count.clamp(0, i128::from(MAX_RESULTS))).unwrap_or(MAX_RESULTS),
        ))
    }

    /// The 1-based index of the first user asked for.
    pub fn start_index(&self) -> u64 {
        self.start_index
    }

    /// How many users are asked for.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The Partoo searches that cover this window (one or two), sorted by
    /// email. `count: 0` still makes one call of one user, for the total.
    ///
    /// ```
    /// use enlist_core::scim::list::ListRequest;
    /// let plan = ListRequest::new(11, 10).plan(); // users 11–20: page 2 of 10
    /// let queries: Vec<_> = plan.queries().iter().map(|q| q.to_query_string().unwrap_or_default()).collect();
    /// assert_eq!(queries, ["page=2&per_page=10&order_by=email"]);
    /// ```
    pub fn plan(&self) -> PagePlan {
        let count = u64::from(self.count);
        let first = self.start_index - 1; // 0-based
        let query = |page: u64, per_page: u64| {
            let page = u32::try_from(page).ok()?;
            let per_page = u32::try_from(per_page).ok()?;
            Some(
                UserQuery::new()
                    .page(page)
                    .per_page(per_page)
                    .order_by(UserOrder::Email),
            )
        };
        let only_total = || PagePlan {
            queries: query(1, 1).into_iter().collect(),
            skip: 0,
            take: 0,
        };
        if count == 0 {
            return only_total();
        }
        let Some(last) = first.checked_add(count - 1) else {
            return only_total();
        };
        let max = u64::from(MAX_RESULTS);
        let single = (count..=max).find(|p| first / p == last / p);
        let planned = match single {
            Some(p) => query(first / p + 1, p).map(|q| PagePlan {
                queries: vec![q],
                skip: (first % p) as usize,
                take: self.count as usize,
            }),
            None => query(first / max + 1, max)
                .zip(query(first / max + 2, max))
                .map(|(a, b)| PagePlan {
                    queries: vec![a, b],
                    skip: (first % max) as usize,
                    take: self.count as usize,
                }),
        };
        // A page number beyond u32: no user is there; ask for the total only.
        planned.unwrap_or_else(only_total)
    }
}

/// The Partoo searches for one [`ListRequest`] and how to cut its window
/// out of their pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePlan {
    queries: Vec<UserQuery>,
    skip: usize,
    take: usize,
}

impl PagePlan {
    /// The searches to make, in order (the second only when the first page
    /// was full).
    pub fn queries(&self) -> &[UserQuery] {
        &self.queries
    }

    /// The users of the window and the total, from the pages the searches
    /// returned (in the order of [`PagePlan::queries`]; a missing second
    /// page is fine when the first was the last). The total is the last
    /// page's `count`.
    ///
    /// ```
    /// use enlist_core::partoo::users::{User, UserPage};
    /// use enlist_core::scim::list::ListRequest;
    ///
    /// let user = |n: u8| User { id: format!("{n:024x}"), ..User::default() };
    /// let page = UserPage { users: (1..=10).map(user).collect(), page: 1, max_page: 1, count: 10 };
    /// let pages = [page];
    /// let (users, total) = ListRequest::new(3, 4).plan().finish(&pages);
    /// assert_eq!(total, 10);
    /// assert_eq!(users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
    ///            [user(3).id.as_str(), &user(4).id, &user(5).id, &user(6).id]);
    /// ```
    pub fn finish<'p>(&self, pages: &'p [UserPage]) -> (Vec<&'p PartooUser>, u64) {
        let total = pages.last().map_or(0, |p| p.count);
        let users = pages
            .iter()
            .flat_map(|p| p.users.iter())
            .skip(self.skip)
            .take(self.take)
            .collect();
        (users, total)
    }
}

/// A `ListResponse`: `totalResults`, `itemsPerPage` (the resources on this
/// page), `startIndex` and `Resources`.
///
/// ```
/// use enlist_core::scim::{list::ListResponse, ScimUser};
/// let empty: ListResponse<ScimUser> = ListResponse::new(Vec::new(), 0, 1);
/// assert_eq!(serde_json::to_string(&empty)?, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"itemsPerPage":0,"startIndex":1,"Resources":[]}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListResponse<T> {
    /// The resources of this page.
    pub resources: Vec<T>,
    /// How many resources match in all.
    pub total_results: u64,
    /// The 1-based index of the first resource of this page.
    pub start_index: u64,
}

impl<T> ListResponse<T> {
    /// A page of resources.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            resources,
            total_results,
            start_index: start_index.max(1),
        }
    }
}

impl<T: Serialize> Serialize for ListResponse<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(5))?;
        map.serialize_entry("schemas", &[LIST_RESPONSE_SCHEMA])?;
        map.serialize_entry("totalResults", &self.total_results)?;
        map.serialize_entry("itemsPerPage", &self.resources.len())?;
        map.serialize_entry("startIndex", &self.start_index)?;
        map.serialize_entry("Resources", &self.resources)?;
        map.end()
    }
}
