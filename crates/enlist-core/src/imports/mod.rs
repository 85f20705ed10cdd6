//! Import jobs: the decisions of a bulk create — which row next and when,
//! retry or give up, pause, what a restart finds — as an I/O-free state
//! machine.
//!
//! The [`Engine`] is handed the time and the outcome of each call and
//! answers what to do; its caller (the Worker's Durable Object) only stores,
//! sends and sets alarms. One engine paces every job that spends one provider
//! budget, so the pace holds across concurrent jobs and alongside single
//! creates that [`reserve`](Engine::reserve) a slot.
//!
//! **Exactly once per row.** A row is claimed (a [`Change`] to store) before
//! it is sent and is never handed out again while claimed. After a restart,
//! [`Engine::restore`] turns every claimed row whose outcome was never stored
//! into a row to send once more; if the provider then answers that the user
//! already exists, the row is recorded as `already_exists` with
//! [`RowState::AlreadyExists`]`{ after_unknown: true }`, not as a failure.
//! The provider's own uniqueness of emails makes the second send harmless.
//!
//! ```
//! use enlist_core::imports::{Action, Config, Engine, JobStatus, SendResult};
//!
//! let mut engine = Engine::new(Config { rate_per_minute: 0, ..Config::default() });
//! let job = engine.add_job(1, 2, &[]);
//! let mut now = 0;
//! while let Action::Send(send) = engine.poll(now) {
//!     // Store `engine.take_changes()` (the claim), then send the row…
//!     engine.take_changes();
//!     now += 5;
//!     engine.on_result(send.job, send.row, SendResult::Created, now);
//! }
//! assert_eq!(engine.job(job).map(|j| j.status()), Some(JobStatus::Done));
//! assert_eq!(engine.job(job).map(|j| j.counts().created), Some(2));
//! ```

mod pace;
#[cfg(test)]
mod tests;

pub use pace::{Millis, Pace};

use std::collections::BTreeSet;

/// How an engine spends a provider's budget and handles failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Calls a minute at most, across every job (0: no pacing).
    pub rate_per_minute: u32,
    /// Calls in flight at once, across every job (at least 1).
    pub max_in_flight: u32,
    /// Sends of one row that fail with a server error, a timeout or a broken
    /// connection before the row is `failed` (at least 1).
    pub max_attempts: u8,
    /// The wait before the first retry of a row; it doubles each time.
    pub backoff: Millis,
    /// The longest wait between two sends of one row.
    pub max_backoff: Millis,
    /// Failures in a row (of any rows of one job) that pause the job
    /// with [`PauseReason::UpstreamFailing`] (at least 1).
    pub pause_after_failures: u32,
}

impl Default for Config {
    /// Partoo's documented budget (300 calls a minute per organisation), four
    /// calls in flight, four attempts a row from 2 s to 60 s apart, and a
    /// pause after ten failures in a row.
    fn default() -> Self {
        Config {
            rate_per_minute: 300,
            max_in_flight: 4,
            max_attempts: 4,
            backoff: 2_000,
            max_backoff: 60_000,
            pause_after_failures: 10,
        }
    }
}

/// A job's key, chosen by the caller (a storage row id, say).
pub type JobKey = u64;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobStatus {
    /// Accepted; no row sent yet.
    Queued,
    /// Sending rows.
    Running,
    /// Not sending; [`Job::reason`] says why.
    Paused,
    /// Every row has its final state.
    Done,
    /// Cancelled: unsent rows stay `pending` and are never sent.
    Cancelled,
}

impl JobStatus {
    /// The stable snake_case name (`"running"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Paused => "paused",
            JobStatus::Done => "done",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// The status of a stable name.
    pub fn from_name(name: &str) -> Option<JobStatus> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Paused,
            JobStatus::Done,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// `true` for `done` and `cancelled`, which never change again (but for
    /// [`Engine::retry_failed`] on a done job).
    pub const fn is_finished(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Cancelled)
    }
}

/// Why a job is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PauseReason {
    /// Someone asked (`POST …/pause`); resumes on request.
    Requested,
    /// The provider answered 429; resumes by itself when its `Retry-After`
    /// has passed.
    RateLimited,
    /// The provider refused the API key (401); resumes on request, once the
    /// key is fixed.
    UpstreamUnauthorized,
    /// The provider refused the call with this key (403); resumes on request.
    UpstreamForbidden,
    /// Too many failures in a row ([`Config::pause_after_failures`]);
    /// resumes on request.
    UpstreamFailing,
}

impl PauseReason {
    /// The stable snake_case name (`"rate_limited"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            PauseReason::Requested => "requested",
            PauseReason::RateLimited => "rate_limited",
            PauseReason::UpstreamUnauthorized => "upstream_unauthorized",
            PauseReason::UpstreamForbidden => "upstream_forbidden",
            PauseReason::UpstreamFailing => "upstream_failing",
        }
    }

    /// The reason of a stable name.
    pub fn from_name(name: &str) -> Option<PauseReason> {
        [
            PauseReason::Requested,
            PauseReason::RateLimited,
            PauseReason::UpstreamUnauthorized,
            PauseReason::UpstreamForbidden,
            PauseReason::UpstreamFailing,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// Why a row failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailReason {
    /// The provider refused this row (its validation, say); sending it again
    /// would not help without changing it.
    Rejected,
    /// Server errors, timeouts or broken connections on every attempt.
    GaveUp,
}

impl FailReason {
    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailReason::Rejected => "rejected",
            FailReason::GaveUp => "gave_up",
        }
    }
}

/// One row's state, as the engine keeps it and the caller stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RowState {
    /// To be sent, not before `not_before`. `attempts` sends were made; with
    /// `unknown`, the last one may have reached the provider (a timeout, a
    /// broken connection or a restart while it was in flight).
    Pending {
        /// Sends made so far.
        attempts: u8,
        /// Not before this instant.
        not_before: Millis,
        /// The last send's outcome is unknown.
        unknown: bool,
    },
    /// Claimed: being sent (`attempts` counts this send).
    InFlight {
        /// Sends made, this one included.
        attempts: u8,
        /// The send before this one had an unknown outcome.
        unknown: bool,
    },
    /// The provider created the user.
    Created,
    /// The provider already had the user. `after_unknown`: the answer came to
    /// a send made again after an unknown outcome, so the earlier send most
    /// likely created it.
    AlreadyExists {
        /// Answered to a send made after an unknown outcome.
        after_unknown: bool,
    },
    /// Failed enlist's validation; never sent.
    Invalid,
    /// Refused by the operator's policy; never sent.
    Refused,
    /// Failed for good.
    Failed(FailReason),
}

impl RowState {
    /// A row that was never sent.
    pub const FRESH: RowState = RowState::Pending {
        attempts: 0,
        not_before: 0,
        unknown: false,
    };

    /// The public status of the row.
    pub const fn status(self) -> RowStatus {
        match self {
            RowState::Pending { .. } | RowState::InFlight { .. } => RowStatus::Pending,
            RowState::Created => RowStatus::Created,
            RowState::AlreadyExists { .. } => RowStatus::AlreadyExists,
            RowState::Invalid => RowStatus::Invalid,
            RowState::Refused => RowStatus::Refused,
            RowState::Failed(_) => RowStatus::Failed,
        }
    }
}

/// A row's public status (what `…/rows?status=` filters on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RowStatus {
    /// Not sent yet, waiting for a retry, or in flight.
    Pending,
    /// Created.
    Created,
    /// The provider already had the user.
    AlreadyExists,
    /// Failed validation; never sent.
    Invalid,
    /// Refused by the policy; never sent.
    Refused,
    /// Failed for good.
    Failed,
}

impl RowStatus {
    /// Every status, in the order of [`Counts`].
    pub const ALL: [RowStatus; 6] = [
        RowStatus::Pending,
        RowStatus::Created,
        RowStatus::AlreadyExists,
        RowStatus::Invalid,
        RowStatus::Refused,
        RowStatus::Failed,
    ];

    /// The stable snake_case name (`"already_exists"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            RowStatus::Pending => "pending",
            RowStatus::Created => "created",
            RowStatus::AlreadyExists => "already_exists",
            RowStatus::Invalid => "invalid",
            RowStatus::Refused => "refused",
            RowStatus::Failed => "failed",
        }
    }

    /// The status of a stable name.
    pub fn from_name(name: &str) -> Option<RowStatus> {
        RowStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How many rows of a job are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every row.
    pub total: u32,
    /// Not sent yet, waiting for a retry, or in flight.
    pub pending: u32,
    /// Created.
    pub created: u32,
    /// The provider already had the user.
    pub already_exists: u32,
    /// Failed validation.
    pub invalid: u32,
    /// Refused by the policy.
    pub refused: u32,
    /// Failed for good.
    pub failed: u32,
}

impl Counts {
    fn slot(&mut self, status: RowStatus) -> &mut u32 {
        match status {
            RowStatus::Pending => &mut self.pending,
            RowStatus::Created => &mut self.created,
            RowStatus::AlreadyExists => &mut self.already_exists,
            RowStatus::Invalid => &mut self.invalid,
            RowStatus::Refused => &mut self.refused,
            RowStatus::Failed => &mut self.failed,
        }
    }

    /// The count of one status.
    pub fn get(&self, status: RowStatus) -> u32 {
        match status {
            RowStatus::Pending => self.pending,
            RowStatus::Created => self.created,
            RowStatus::AlreadyExists => self.already_exists,
            RowStatus::Invalid => self.invalid,
            RowStatus::Refused => self.refused,
            RowStatus::Failed => self.failed,
        }
    }

    fn moved(&mut self, from: RowStatus, to: RowStatus) {
        if from != to {
            let f = self.slot(from);
            *f = f.saturating_sub(1);
            *self.slot(to) += 1;
        }
    }
}

/// What a send of one row came to, as the caller read the provider's answer
/// (the core's [`Outcome`](crate::Outcome) or a transport failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendResult {
    /// The user was created.
    Created,
    /// The provider already has this user.
    AlreadyExists,
    /// The provider refused this row (validation, a rule of its own); final.
    Rejected,
    /// 429: hold every send for this long (milliseconds).
    RateLimited {
        /// How long to wait.
        retry_after: Millis,
    },
    /// 401: the key was refused; the row was not created.
    Unauthorized,
    /// 403: the key may not do this; the row was not created.
    Forbidden,
    /// A server error or an unreadable answer: the row may or may not exist.
    ServerError,
    /// No answer: a timeout or a broken connection after the request left.
    NoAnswer,
}

impl SendResult {
    /// The result the core's outcome of a create-user call stands for.
    ///
    /// ```
    /// use enlist_core::imports::SendResult;
    /// use enlist_core::{partoo::Partoo, Provider};
    /// let outcome = Partoo::parse_create_user_response(429, &[("Retry-After", "7")], b"");
    /// assert_eq!(SendResult::from_outcome(&outcome, 0), SendResult::RateLimited { retry_after: 7_000 });
    /// ```
    pub fn from_outcome(outcome: &crate::Outcome, now_unix_seconds: u64) -> SendResult {
        use crate::Outcome;
        match outcome {
            Outcome::Created(_) | Outcome::Invited(_) => SendResult::Created,
            Outcome::AlreadyExists(_) => SendResult::AlreadyExists,
            Outcome::Validation(_) | Outcome::NotFound(_) => SendResult::Rejected,
            Outcome::Unauthorized(_) => SendResult::Unauthorized,
            Outcome::Forbidden(_) => SendResult::Forbidden,
            Outcome::RateLimited(f) => SendResult::RateLimited {
                retry_after: f.retry_after.map_or(DEFAULT_RETRY_AFTER, |r| {
                    r.seconds_from(now_unix_seconds) * 1_000
                }),
            },
            // Upstream, Malformed and any outcome a later version adds.
            _ => SendResult::ServerError,
        }
    }
}

/// The wait after a 429 without a readable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Millis = 30_000;

/// A row to send now. The claim is among [`Engine::take_changes`]: store it
/// before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Send {
    /// The job.
    pub job: JobKey,
    /// The row's index in the job.
    pub row: u32,
    /// This send's number for the row (1 for the first).
    pub attempt: u8,
    /// The previous send's outcome is unknown (see the module docs).
    pub after_unknown: bool,
}

/// What the caller should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Send this row now (after storing the claim).
    Send(Send),
    /// Nothing to send before this instant: poll again then (or after any
    /// event: a result, a new job, a resume).
    Wait(Millis),
    /// Nothing to send until an event (a result of a call in flight, a new
    /// job, a resume or a retry).
    Idle,
}

/// A state to store, in the order the engine made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A row's new state.
    Row {
        /// The job.
        job: JobKey,
        /// The row's index.
        row: u32,
        /// Its new state.
        state: RowState,
    },
    /// A job's new status (with the reason when paused).
    Job {
        /// The job.
        job: JobKey,
        /// Its new status.
        status: JobStatus,
        /// Why, when paused.
        reason: Option<PauseReason>,
    },
}

/// One job as the engine keeps it.
#[derive(Debug, Clone)]
pub struct Job {
    key: JobKey,
    status: JobStatus,
    reason: Option<PauseReason>,
    /// Until when a `RateLimited` pause lasts.
    paused_until: Millis,
    rows: Vec<RowState>,
    /// Rows never sent are taken in order from here.
    cursor: usize,
    /// Rows to send again (or re-queued by a retry), by time.
    retries: BTreeSet<(Millis, u32)>,
    in_flight: u32,
    failures_in_a_row: u32,
    /// A row was sent (a resumed job is `running`, not `queued`).
    started: bool,
    counts: Counts,
}

impl Job {
    /// The job's key.
    pub fn key(&self) -> JobKey {
        self.key
    }

    /// Where the job stands.
    pub fn status(&self) -> JobStatus {
        self.status
    }

    /// Why it is paused (`None` unless paused).
    pub fn reason(&self) -> Option<PauseReason> {
        self.reason
    }

    /// Rows by status.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Calls in flight for this job.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// One row's state.
    pub fn row(&self, row: u32) -> Option<RowState> {
        self.rows.get(row as usize).copied()
    }

    /// Every row's state, in order.
    pub fn rows(&self) -> &[RowState] {
        &self.rows
    }

    fn sendable(&self) -> bool {
        matches!(self.status, JobStatus::Queued | JobStatus::Running)
    }

    /// The next row to send at `now`, if any: a due retry first, else the
    /// next row never sent.
    fn next_row(&mut self, now: Millis) -> Option<u32> {
        if let Some(&(at, row)) = self.retries.first() {
            if at <= now {
                return Some(row);
            }
        }
        while let Some(state) = self.rows.get(self.cursor) {
            if *state == RowState::FRESH {
                return u32::try_from(self.cursor).ok();
            }
            self.cursor += 1;
        }
        None
    }

    /// When the next retry is due, if one is waiting.
    fn next_retry_at(&self) -> Option<Millis> {
        self.retries.first().map(|&(at, _)| at)
    }

    fn has_unsent(&mut self) -> bool {
        if !self.retries.is_empty() {
            return true;
        }
        while let Some(state) = self.rows.get(self.cursor) {
            if *state == RowState::FRESH {
                return true;
            }
            self.cursor += 1;
        }
        false
    }
}

/// The import engine for one provider budget (see the module docs).
#[derive(Debug, Clone)]
pub struct Engine {
    config: Config,
    pace: Pace,
    jobs: Vec<Job>,
    /// Round-robin position among jobs.
    turn: usize,
    in_flight: u32,
    changes: Vec<Change>,
}

impl Engine {
    /// An engine with no jobs.
    pub fn new(config: Config) -> Engine {
        Engine {
            pace: Pace::per_minute(config.rate_per_minute),
            config,
            jobs: Vec::new(),
            turn: 0,
            in_flight: 0,
            changes: Vec::new(),
        }
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The pacer all jobs share.
    pub fn pace(&self) -> &Pace {
        &self.pace
    }

    /// Adds a job of `rows` rows, all to be sent but those listed in
    /// `settled` (rows that failed validation or the policy, with that
    /// state). Answers the key. A job with nothing to send is `done` at once.
    pub fn add_job(&mut self, key: JobKey, rows: u32, settled: &[(u32, RowState)]) -> JobKey {
        let mut states = vec![RowState::FRESH; rows as usize];
        for &(row, state) in settled {
            if let Some(slot) = states.get_mut(row as usize) {
                *slot = state;
            }
        }
        self.insert(key, JobStatus::Queued, None, states, 0);
        key
    }

    /// The budget's state to store (with [`Engine::restore_pace`] after a
    /// restart): the next free slot and the end of a provider's hold.
    pub fn pace_state(&self) -> (Millis, Millis) {
        (self.pace.earliest(0), self.pace.held_until())
    }

    /// After a restart: no slot before one interval from `now`, so that a
    /// call made just before the restart keeps its spacing, nor before a
    /// stored `next` slot or `hold`.
    pub fn restore_pace(&mut self, next: Millis, hold: Millis, now: Millis) {
        let interval = self.pace.interval();
        self.pace
            .hold(now.saturating_add(interval).max(next).max(hold));
    }

    /// Rebuilds a job from stored states after a restart (or a move). Rows
    /// that were claimed but have no stored outcome become rows to send once
    /// more, at once ([`RowState::Pending`] with `unknown`); those changes
    /// are among [`take_changes`](Engine::take_changes).
    pub fn restore(
        &mut self,
        key: JobKey,
        status: JobStatus,
        reason: Option<PauseReason>,
        paused_until: Millis,
        rows: Vec<RowState>,
        now: Millis,
    ) {
        let mut rows = rows;
        for (i, state) in rows.iter_mut().enumerate() {
            if let RowState::InFlight { attempts, .. } = *state {
                *state = RowState::Pending {
                    attempts,
                    not_before: now,
                    unknown: true,
                };
                if let Ok(row) = u32::try_from(i) {
                    self.changes.push(Change::Row {
                        job: key,
                        row,
                        state: *state,
                    });
                }
            }
        }
        self.insert(key, status, reason, rows, paused_until);
    }

    fn insert(
        &mut self,
        key: JobKey,
        status: JobStatus,
        reason: Option<PauseReason>,
        rows: Vec<RowState>,
        paused_until: Millis,
    ) {
        let mut counts = Counts {
            total: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            ..Counts::default()
        };
        let mut retries = BTreeSet::new();
        for (i, state) in rows.iter().enumerate() {
            *counts.slot(state.status()) += 1;
            if let RowState::Pending { not_before, .. } = *state {
                if *state != RowState::FRESH {
                    if let Ok(row) = u32::try_from(i) {
                        retries.insert((not_before, row));
                    }
                }
            }
        }
        self.remove_job(key);
        self.jobs.push(Job {
            key,
            status,
            reason: if status == JobStatus::Paused {
                reason
            } else {
                None
            },
            paused_until,
            started: status != JobStatus::Queued,
            rows,
            cursor: 0,
            retries,
            in_flight: 0,
            failures_in_a_row: 0,
            counts,
        });
        self.finish_if_done(key);
    }

    /// Forgets a job (deleted after its retention period).
    pub fn remove_job(&mut self, key: JobKey) {
        if let Some(job) = self.jobs.iter().find(|j| j.key == key) {
            self.in_flight = self.in_flight.saturating_sub(job.in_flight);
        }
        self.jobs.retain(|j| j.key != key);
    }

    /// A job, by key.
    pub fn job(&self, key: JobKey) -> Option<&Job> {
        self.jobs.iter().find(|j| j.key == key)
    }

    /// Every job.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    fn job_mut(&mut self, key: JobKey) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.key == key)
    }

    /// The states changed since the last call, to store in this order.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Takes a slot of the shared budget for a call made outside any job (a
    /// single create) and answers how long to wait before making it.
    pub fn reserve(&mut self, now: Millis) -> Millis {
        self.pace.reserve(now)
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: Millis) -> Action {
        self.wake_rate_limited(now);
        if self.in_flight >= self.config.max_in_flight.max(1) {
            return Action::Idle;
        }
        let count = self.jobs.len();
        let mut next_at: Option<Millis> = None;
        for step in 0..count {
            let index = (self.turn + step) % count;
            let job = &mut self.jobs[index];
            if !job.sendable() {
                continue;
            }
            match job.next_row(now) {
                Some(row) => {
                    let earliest = self.pace.earliest(now);
                    if earliest > now {
                        return Action::Wait(earliest);
                    }
                    self.turn = (index + 1) % count;
                    return self.claim(index, row, now);
                }
                None => {
                    if let Some(at) = job.next_retry_at() {
                        next_at = Some(next_at.map_or(at, |n| n.min(at)));
                    }
                }
            }
        }
        if let Some(at) = self.rate_limited_until() {
            next_at = Some(next_at.map_or(at, |n| n.min(at)));
        }
        match next_at {
            Some(at) => Action::Wait(at.max(self.pace.earliest(now))),
            None => Action::Idle,
        }
    }

    fn claim(&mut self, index: usize, row: u32, now: Millis) -> Action {
        // `poll` saw the slot free at `now`.
        let _ = self.pace.try_take(now);
        let job = &mut self.jobs[index];
        let (attempts, unknown) = match job.rows[row as usize] {
            RowState::Pending {
                attempts, unknown, ..
            } => (attempts, unknown),
            // next_row only answers pending rows.
            _ => (0, false),
        };
        if let RowState::Pending { not_before, .. } = job.rows[row as usize] {
            job.retries.remove(&(not_before, row));
        }
        let attempt = attempts.saturating_add(1);
        let state = RowState::InFlight {
            attempts: attempt,
            unknown,
        };
        job.rows[row as usize] = state;
        job.in_flight += 1;
        let key = job.key;
        self.in_flight += 1;
        self.changes.push(Change::Row {
            job: key,
            row,
            state,
        });
        job.started = true;
        if job.status == JobStatus::Queued {
            job.status = JobStatus::Running;
            self.changes.push(Change::Job {
                job: key,
                status: JobStatus::Running,
                reason: None,
            });
        }
        Action::Send(Send {
            job: key,
            row,
            attempt,
            after_unknown: unknown,
        })
    }

    /// Records what a send came to. Results for rows that are not in flight
    /// (a duplicate report, a job removed meanwhile) are ignored.
    pub fn on_result(&mut self, key: JobKey, row: u32, result: SendResult, now: Millis) {
        let config = self.config.clone();
        let Some(job) = self.jobs.iter_mut().find(|j| j.key == key) else {
            return;
        };
        let Some(&RowState::InFlight { attempts, unknown }) = job.rows.get(row as usize) else {
            return;
        };
        job.in_flight = job.in_flight.saturating_sub(1);
        self.in_flight = self.in_flight.saturating_sub(1);
        let retry = |job: &mut Job, attempts: u8, unknown: bool, at: Millis| {
            job.retries.insert((at, row));
            RowState::Pending {
                attempts,
                not_before: at,
                unknown,
            }
        };
        let mut pause = None;
        let state = match result {
            SendResult::Created => {
                job.failures_in_a_row = 0;
                RowState::Created
            }
            SendResult::AlreadyExists => {
                job.failures_in_a_row = 0;
                RowState::AlreadyExists {
                    after_unknown: unknown,
                }
            }
            SendResult::Rejected => {
                job.failures_in_a_row = 0;
                RowState::Failed(FailReason::Rejected)
            }
            SendResult::RateLimited { retry_after } => {
                // Not the row's fault: the attempt does not count.
                let until = now.saturating_add(retry_after);
                self.pace.hold(until);
                pause = Some((PauseReason::RateLimited, until));
                retry(job, attempts.saturating_sub(1), unknown, now)
            }
            SendResult::Unauthorized | SendResult::Forbidden => {
                let reason = if result == SendResult::Unauthorized {
                    PauseReason::UpstreamUnauthorized
                } else {
                    PauseReason::UpstreamForbidden
                };
                pause = Some((reason, 0));
                retry(job, attempts.saturating_sub(1), unknown, now)
            }
            SendResult::ServerError | SendResult::NoAnswer => {
                job.failures_in_a_row += 1;
                // An unknown outcome stays unknown until a later send
                // settles it.
                let unknown = unknown || result == SendResult::NoAnswer;
                if job.failures_in_a_row >= config.pause_after_failures.max(1) {
                    pause = Some((PauseReason::UpstreamFailing, 0));
                }
                if attempts >= config.max_attempts.max(1) {
                    RowState::Failed(FailReason::GaveUp)
                } else {
                    let wait = backoff(&config, attempts);
                    retry(job, attempts, unknown, now.saturating_add(wait))
                }
            }
        };
        let before = job.rows[row as usize].status();
        job.rows[row as usize] = state;
        job.counts.moved(before, state.status());
        self.changes.push(Change::Row {
            job: key,
            row,
            state,
        });
        if let Some((reason, until)) = pause {
            match reason {
                // A 429 holds every job that spends this budget.
                PauseReason::RateLimited => {
                    let keys: Vec<JobKey> = self
                        .jobs
                        .iter()
                        .filter(|j| j.sendable() || j.reason == Some(PauseReason::RateLimited))
                        .map(|j| j.key)
                        .collect();
                    for k in keys {
                        self.set_paused(k, reason, until, false);
                    }
                }
                _ => self.set_paused(key, reason, 0, false),
            }
        }
        self.finish_if_done(key);
    }

    /// Pauses a job. A pause that needs a person outranks a rate-limit
    /// pause and is kept unless `replace`.
    fn set_paused(&mut self, key: JobKey, reason: PauseReason, until: Millis, replace: bool) {
        let Some(job) = self.job_mut(key) else {
            return;
        };
        if job.status.is_finished() {
            return;
        }
        if !replace
            && job.status == JobStatus::Paused
            && job.reason != Some(PauseReason::RateLimited)
        {
            return;
        }
        let changed = job.status != JobStatus::Paused || job.reason != Some(reason);
        job.status = JobStatus::Paused;
        job.reason = Some(reason);
        job.paused_until = job.paused_until.max(until);
        if changed {
            self.changes.push(Change::Job {
                job: key,
                status: JobStatus::Paused,
                reason: Some(reason),
            });
        }
    }

    /// The end of the longest rate-limit pause, if a job has one.
    fn rate_limited_until(&self) -> Option<Millis> {
        self.jobs
            .iter()
            .filter(|j| j.reason == Some(PauseReason::RateLimited))
            .map(|j| j.paused_until)
            .min()
    }

    fn wake_rate_limited(&mut self, now: Millis) {
        let due: Vec<JobKey> = self
            .jobs
            .iter()
            .filter(|j| j.reason == Some(PauseReason::RateLimited) && j.paused_until <= now)
            .map(|j| j.key)
            .collect();
        for key in due {
            self.set_running(key);
        }
    }

    fn set_running(&mut self, key: JobKey) {
        let Some(job) = self.job_mut(key) else {
            return;
        };
        job.status = if job.started {
            JobStatus::Running
        } else {
            JobStatus::Queued
        };
        job.reason = None;
        job.paused_until = 0;
        let status = job.status;
        self.changes.push(Change::Job {
            job: key,
            status,
            reason: None,
        });
        self.finish_if_done(key);
    }

    fn finish_if_done(&mut self, key: JobKey) {
        let Some(job) = self.job_mut(key) else {
            return;
        };
        if job.status.is_finished() || job.in_flight > 0 || job.has_unsent() {
            return;
        }
        // Paused jobs finish too once nothing is left to send.
        job.status = JobStatus::Done;
        job.reason = None;
        self.changes.push(Change::Job {
            job: key,
            status: JobStatus::Done,
            reason: None,
        });
    }

    /// Stops sending the job's rows (calls in flight still finish). `false`
    /// when the job is unknown or finished.
    pub fn pause(&mut self, key: JobKey) -> bool {
        match self.job(key) {
            Some(job) if !job.status.is_finished() => {
                self.set_paused(key, PauseReason::Requested, 0, true);
                true
            }
            _ => false,
        }
    }

    /// Sends the job's rows again after a pause. `false` when the job is
    /// unknown or not paused.
    pub fn resume(&mut self, key: JobKey) -> bool {
        match self.job(key) {
            Some(job) if job.status == JobStatus::Paused => {
                if let Some(job) = self.job_mut(key) {
                    job.failures_in_a_row = 0;
                }
                self.set_running(key);
                true
            }
            _ => false,
        }
    }

    /// Cancels the job: unsent rows are never sent (calls in flight still
    /// finish and are recorded). `false` when the job is unknown or finished.
    pub fn cancel(&mut self, key: JobKey) -> bool {
        let Some(job) = self.job_mut(key) else {
            return false;
        };
        if job.status.is_finished() {
            return false;
        }
        job.status = JobStatus::Cancelled;
        job.reason = None;
        self.changes.push(Change::Job {
            job: key,
            status: JobStatus::Cancelled,
            reason: None,
        });
        true
    }

    /// Queues the job's failed rows to be sent again (with fresh attempts)
    /// and answers how many. A done job runs again; a cancelled one does not.
    pub fn retry_failed(&mut self, key: JobKey, now: Millis) -> u32 {
        let Some(job) = self.job_mut(key) else {
            return 0;
        };
        if job.status == JobStatus::Cancelled {
            return 0;
        }
        let mut changes = Vec::new();
        for (i, state) in job.rows.iter_mut().enumerate() {
            if let RowState::Failed(_) = state {
                let Ok(row) = u32::try_from(i) else { continue };
                *state = RowState::Pending {
                    attempts: 0,
                    not_before: now,
                    unknown: false,
                };
                job.retries.insert((now, row));
                job.counts.moved(RowStatus::Failed, RowStatus::Pending);
                changes.push(Change::Row {
                    job: key,
                    row,
                    state: *state,
                });
            }
        }
        let n = u32::try_from(changes.len()).unwrap_or(u32::MAX);
        if n > 0 && job.status == JobStatus::Done {
            job.status = JobStatus::Running;
            changes.push(Change::Job {
                job: key,
                status: JobStatus::Running,
                reason: None,
            });
        }
        self.changes.extend(changes);
        n
    }

    /// Estimated milliseconds until the job has sent every row at the
    /// engine's pace (sharing it with the other sendable jobs); `None` when
    /// unpaced or not sending.
    pub fn eta(&self, key: JobKey) -> Option<Millis> {
        let job = self.job(key)?;
        if job.status.is_finished() {
            return Some(0);
        }
        let interval = self.pace.interval();
        if interval == 0 || !job.sendable() {
            return None;
        }
        let sharing = self
            .jobs
            .iter()
            .filter(|j| j.sendable() && j.counts.pending > 0)
            .count()
            .max(1) as u64;
        Some(u64::from(job.counts.pending) * interval * sharing)
    }
}

/// The wait before the next send of a row that has had `attempts` sends.
fn backoff(config: &Config, attempts: u8) -> Millis {
    let doublings = u32::from(attempts.saturating_sub(1)).min(32);
    config
        .backoff
        .saturating_mul(1u64 << doublings)
        .min(config.max_backoff)
}
