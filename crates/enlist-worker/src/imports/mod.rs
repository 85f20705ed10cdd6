//! Import jobs: many users created server-side, paced to the provider,
//! exactly once per row.
//!
//! - [`routes`] answers `/v1/{provider}/imports` and `/v1/imports/…` in the
//!   Worker: it reads the file, validates every row with enlist-core and the
//!   policy, and talks to the provider's runner.
//! - [`runner`] is the Durable Object `ImportRunner`, one per provider (so one
//!   pace per provider key): it stores jobs and rows in SQLite, runs
//!   `enlist_core::imports::Engine` on alarms, sends the rows and records
//!   their outcomes. The engine decides; the object only stores, sends and
//!   sets alarms.
//!
//! The messages between the two are JSON over the Durable Object's `fetch`
//! ([`NewJob`], [`JobView`], [`RowView`]); this module holds them and the
//! limits both sides apply.

pub mod routes;
pub mod runner;
pub mod secret;

pub use runner::ImportRunner;

use enlist_core::imports::{FailReason, Millis, RowState};
use enlist_core::schema::{ObjectSchema, Type};
use serde::{Deserialize, Serialize};

/// The Durable Object binding of the runners.
pub const BINDING: &str = "IMPORTS";
/// Most rows in one job (`IMPORT_MAX_ROWS` lowers it).
pub const MAX_ROWS: u32 = 50_000;
/// Largest import file, in bytes.
pub const MAX_BODY: usize = 10 * 1024 * 1024;
/// Jobs one client token may have queued, running or paused at once
/// (`IMPORT_MAX_ACTIVE_JOBS` changes it).
pub const MAX_ACTIVE_JOBS: u32 = 3;
/// Days a finished job is kept (`IMPORT_RETENTION_DAYS` changes it).
pub const RETENTION_DAYS: u32 = 7;
/// Rows in one page of `…/rows` at most (and the default).
pub const MAX_PAGE: u32 = 500;
/// Rows in one page of `…/rows` when `limit` is not given.
pub const DEFAULT_PAGE: u32 = 100;

/// A job to create, as the Worker hands it to the runner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewJob {
    /// The client token's fingerprint: only it may see the job.
    pub owner: String,
    /// The caller's `Idempotency-Key`, if any (scoped to the owner).
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The input's column names, for `results.csv` (CSV uploads), or empty.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The provider's query flags every row's call carries, as a query
    /// string without its `?` (`notify_user=true`), or empty.
    #[serde(default)]
    pub flags: String,
    /// Every row, in input order.
    pub rows: Vec<NewRow>,
}

/// One row of a new job.
#[derive(Clone, Serialize, Deserialize)]
pub struct NewRow {
    /// The payload to send (validated, with the policy applied), or `None`
    /// when the row is `invalid` or `refused`.
    #[serde(default)]
    pub payload: Option<String>,
    /// `invalid` or `refused` for rows that will not be sent.
    #[serde(default)]
    pub settled: Option<String>,
    /// The payload's passwords, sealed ([`secret`]); the payload has none.
    #[serde(default)]
    pub secret: Option<String>,
    /// Why the row is not sent: enlist [`Issue`](enlist_core::Issue)s, serialized.
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    /// The input's cells (CSV uploads), passwords blanked.
    #[serde(default)]
    pub cells: Vec<String>,
}

impl std::fmt::Debug for NewRow {
    /// Payloads and cells carry personal data and passwords: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRow")
            .field("payload", &self.payload.as_ref().map(|_| "<redacted>"))
            .field("settled", &self.settled)
            .field("secret", &self.secret.as_ref().map(|_| "<sealed>"))
            .field("errors", &self.errors.len())
            .field("cells", &self.cells.len())
            .finish()
    }
}

/// Row counts by status, as the API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountsView {
    /// Every row.
    pub total: u32,
    /// Not sent yet, waiting for a retry, or in flight.
    pub pending: u32,
    /// Created.
    pub created: u32,
    /// The provider already had the user.
    pub already_exists: u32,
    /// Failed validation; never sent.
    pub invalid: u32,
    /// Refused by the policy; never sent.
    pub refused: u32,
    /// Failed for good.
    pub failed: u32,
}

impl From<enlist_core::imports::Counts> for CountsView {
    fn from(c: enlist_core::imports::Counts) -> Self {
        CountsView {
            total: c.total,
            pending: c.pending,
            created: c.created,
            already_exists: c.already_exists,
            invalid: c.invalid,
            refused: c.refused,
            failed: c.failed,
        }
    }
}

/// A job, as `GET /v1/imports/{id}` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    /// The job's id (unguessable).
    pub id: String,
    /// The provider's id.
    pub provider: String,
    /// `queued`, `running`, `paused`, `done` or `cancelled`.
    pub status: String,
    /// Why a paused job is paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Rows by status.
    pub counts: CountsView,
    /// The pace rows are sent at (0: unpaced).
    pub rate_per_minute: u32,
    /// Seconds until every row is sent at that pace, when sending.
    pub eta_seconds: Option<u64>,
    /// RFC 3339 times.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// When the job ended.
    pub finished_at: Option<String>,
}

/// One row's outcome, as `…/rows` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowView {
    /// The row's index in the input (0 for the first data row).
    pub row: u32,
    /// `pending`, `created`, `already_exists`, `invalid`, `refused` or
    /// `failed`.
    pub status: String,
    /// The created user's id.
    pub id: Option<String>,
    /// Why it was not created (validation, policy or the provider's
    /// errors): enlist [`Issue`](enlist_core::Issue)s, serialized.
    pub errors: Vec<serde_json::Value>,
    /// A remark on how the outcome was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A page of rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowsPage {
    /// The rows.
    pub rows: Vec<RowView>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// A row with what `results.csv` prints for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultRow {
    /// The outcome.
    #[serde(flatten)]
    pub view: RowView,
    /// The input's cells (passwords blanked).
    pub cells: Vec<String>,
}

/// A page of results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultsPage {
    /// The input's columns.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<ResultRow>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// Removes every password field the schema declares from a payload (at
/// any depth, in objects and arrays of objects); `true` when one was there.
///
/// ```
/// use enlist_worker::imports::strip_passwords;
/// let mut v = serde_json::json!({"email": "a@b.co", "password": "Sup3r-secret!"});
/// assert!(strip_passwords(&enlist_core::partoo::SCHEMA, &mut v));
/// assert_eq!(v, serde_json::json!({"email": "a@b.co"}));
/// ```
pub fn strip_passwords(schema: &ObjectSchema, value: &mut serde_json::Value) -> bool {
    let Some(object) = value.as_object_mut() else {
        return false;
    };
    let mut found = false;
    for field in schema.fields {
        match &field.ty {
            Type::Password(_) => found |= object.remove(field.name).is_some(),
            Type::Object(inner) => {
                if let Some(v) = object.get_mut(field.name) {
                    found |= strip_passwords(inner, v);
                }
            }
            Type::Array(array) => {
                if let (Type::Object(inner), Some(serde_json::Value::Array(items))) =
                    (&array.items, object.get_mut(field.name))
                {
                    for item in items {
                        found |= strip_passwords(inner, item);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// The payload's value under each column's JSON Pointer, as CSV cells
/// (`results.csv` repeats the input this way); password fields are blank.
///
/// ```
/// use enlist_worker::imports::cells;
/// let row = serde_json::json!({"email": "a@b.co", "send_invitation": true, "password": "x"});
/// let columns = ["/email", "/send_invitation", "/password", "/lang"].map(String::from);
/// assert_eq!(cells(&enlist_core::partoo::SCHEMA, &row, &columns), ["a@b.co", "true", "", ""]);
/// ```
pub fn cells(schema: &ObjectSchema, row: &serde_json::Value, pointers: &[String]) -> Vec<String> {
    let mut row = row.clone();
    strip_passwords(schema, &mut row);
    pointers
        .iter()
        .map(|p| match row.pointer(p) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        })
        .collect()
}

/// A row state as one text column (`pending:2:1700000000000:1`), and back.
pub fn encode_state(state: RowState) -> String {
    match state {
        RowState::Pending {
            attempts,
            not_before,
            unknown,
        } => format!("pending:{attempts}:{not_before}:{}", u8::from(unknown)),
        RowState::InFlight { attempts, unknown } => {
            format!("in_flight:{attempts}:{}", u8::from(unknown))
        }
        RowState::Created => "created".into(),
        RowState::AlreadyExists { after_unknown } => {
            format!("already_exists:{}", u8::from(after_unknown))
        }
        RowState::Invalid => "invalid".into(),
        RowState::Refused => "refused".into(),
        RowState::Failed(reason) => format!("failed:{}", reason.as_str()),
        // A state a later engine adds is stored as a pending row, which is
        // sent again rather than lost.
        _ => "pending:0:0:1".into(),
    }
}

/// The state [`encode_state`] wrote; anything unreadable reads as a row to
/// send once more with an unknown outcome (never lost, never assumed done).
pub fn decode_state(text: &str) -> RowState {
    let mut parts = text.split(':');
    let kind = parts.next().unwrap_or_default();
    let mut num = || parts.next().and_then(|p| p.parse::<u64>().ok());
    let unreadable = RowState::Pending {
        attempts: 0,
        not_before: 0,
        unknown: true,
    };
    match kind {
        "pending" => match (num(), num(), num()) {
            (Some(a), Some(t), Some(u)) => RowState::Pending {
                attempts: u8::try_from(a).unwrap_or(u8::MAX),
                not_before: t,
                unknown: u != 0,
            },
            _ => unreadable,
        },
        "in_flight" => match (num(), num()) {
            (Some(a), Some(u)) => RowState::InFlight {
                attempts: u8::try_from(a).unwrap_or(u8::MAX),
                unknown: u != 0,
            },
            _ => unreadable,
        },
        "created" => RowState::Created,
        "already_exists" => RowState::AlreadyExists {
            after_unknown: num() == Some(1),
        },
        "invalid" => RowState::Invalid,
        "refused" => RowState::Refused,
        "failed" => RowState::Failed(if text.ends_with("gave_up") {
            FailReason::GaveUp
        } else {
            FailReason::Rejected
        }),
        _ => unreadable,
    }
}

/// RFC 3339 (UTC, milliseconds) for a time in milliseconds since the epoch.
pub fn rfc3339(ms: Millis) -> String {
    let secs = ms / 1_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60,
        ms % 1_000
    )
}

/// The calendar date `days` after 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// A new job id: the provider's id, `-`, and 32 hex digits (128 random bits
/// from the runtime's cryptographic generator).
pub fn new_job_id(provider: &str, random: &[u8; 16]) -> String {
    let mut id = String::with_capacity(provider.len() + 33);
    id.push_str(provider);
    id.push('-');
    id.push_str(&crate::config::hex(random));
    id
}

/// The provider of a job id, if the id has the shape [`new_job_id`] gives.
pub fn provider_of(id: &str) -> Option<&'static dyn enlist_core::AnyProvider> {
    let (provider, random) = id.rsplit_once('-')?;
    let well_formed = random.len() == 32
        && random
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return None;
    }
    enlist_core::provider(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unreadable_ones_are_sent_again() {
        let states = [
            RowState::FRESH,
            RowState::Pending {
                attempts: 3,
                not_before: 1_700_000_000_123,
                unknown: true,
            },
            RowState::InFlight {
                attempts: 2,
                unknown: false,
            },
            RowState::Created,
            RowState::AlreadyExists {
                after_unknown: true,
            },
            RowState::AlreadyExists {
                after_unknown: false,
            },
            RowState::Invalid,
            RowState::Refused,
            RowState::Failed(FailReason::GaveUp),
            RowState::Failed(FailReason::Rejected),
        ];
        for state in states {
            assert_eq!(decode_state(&encode_state(state)), state);
        }
        for garbage in ["", "pending:x", "in_flight:1", "nope", "pending:1:2"] {
            assert!(matches!(
                decode_state(garbage),
                RowState::Pending { unknown: true, .. }
            ));
        }
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_825_600_250), "2000-02-29T12:00:00.250Z");
        assert_eq!(rfc3339(1_796_515_200_000), "2026-12-06T00:00:00.000Z");
    }

    #[test]
    fn job_ids_name_their_provider() {
        let id = new_job_id("partoo", &[0xab; 16]);
        assert_eq!(id, format!("partoo-{}", "ab".repeat(16)));
        assert_eq!(provider_of(&id).map(|p| p.id()), Some("partoo"));
        for bad in [
            "partoo",
            "partoo-abc",
            "nope-abababababababababababababababab",
            "partoo-ABABABABABABABABABABABABABABABAB",
            "partoo-ababababababababababababababab/x",
        ] {
            assert!(provider_of(bad).is_none(), "{bad}");
        }
    }
}
