//! `ImportRunner`: the Durable Object that runs one provider's import jobs.
//!
//! One object per provider (named `imports:{provider}`), so every job that
//! spends the provider's key shares one [`Engine`] and one pace. Storage is
//! the object's SQLite database:
//!
//! - `jobs`: one line per job (owner fingerprint, status, times);
//! - `rows`: one line per input row: its engine state (`state`), public
//!   `status`, the payload to send without its passwords (`payload`), the
//!   passwords sealed ([`super::secret`]: `secret`), the input's cells for
//!   `results.csv` (passwords blanked), and the outcome (`user_id`,
//!   `errors`, `note`). Payload and secret are erased once the row is settled
//!   (failed rows keep them for `retry`) or its job cancelled;
//! - `meta`: the pace across restarts.
//!
//! Every state the engine changes is written before anything else happens:
//! a row's claim is in SQLite before its request leaves (SQL writes are
//! synchronous here), so a restart finds it and the engine sends it once
//! more instead of losing or doubling it.
//!
//! The alarm runs the engine: it sends what the engine offers (up to its
//! calls-in-flight limit), records each answer, sleeps until the next slot,
//! and hands over to a new alarm after [`RUN_MS`] so no invocation runs long.
//! A loop that fails reloads the engine from storage on the next alarm; an
//! alarm that never settles (a panic reset the isolate under it) fails at a
//! deadline, and the runtime retries it ([`ImportRunner::alarm_promise`]).
//! Every wait and time limit is a [`crate::timer`], released with the call it
//! guards: workerd allows 10,000 active timers per invocation.

#![allow(missing_docs)]

use super::{
    decode_state, encode_state, rfc3339, CountsView, JobView, NewJob, ResultRow, ResultsPage,
    RowView, RowsPage, DEFAULT_PAGE, MAX_PAGE, RETENTION_DAYS,
};
use crate::forward::{self, Outbound};
use crate::timer::Timer;
use enlist_core::imports::{
    Action, Change, Config as EngineConfig, Engine, JobKey, JobStatus, Millis, PauseReason,
    RowState, RowStatus, Send, SendResult,
};
use enlist_core::{AnyProvider, Issue, Options, Outcome};
use futures_util::future::{select, Either};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Deserialize;
use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::future_to_promise;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, ScheduledTime, SqlStorage,
    SqlStorageValue, State,
};
use worker::{js_sys, web_sys};

/// Longest an alarm keeps running before it hands over to the next one.
pub const RUN_MS: Millis = 10_000;
/// Longest the loop sleeps before it looks again (pauses, new jobs).
const NAP_MS: Millis = 1_000;
/// How long after a failed loop the next alarm starts again.
const RECOVER_MS: Millis = 1_000;
/// What an alarm may take beyond its loop and calls in flight (see
/// [`alarm_deadline`]).
const DEADLINE_MARGIN_MS: Millis = 5_000;
/// The header that carries the caller's owner fingerprint.
pub const OWNER_HEADER: &str = "x-enlist-owner";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  idempotency_key TEXT,
  status TEXT NOT NULL,
  reason TEXT,
  paused_until INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL,
  columns TEXT NOT NULL DEFAULT '[]',
  flags TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_by_key ON jobs(owner, idempotency_key);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs(owner, created_at);
CREATE TABLE IF NOT EXISTS rows (
  job INTEGER NOT NULL,
  row INTEGER NOT NULL,
  state TEXT NOT NULL,
  status TEXT NOT NULL,
  payload TEXT,
  cells TEXT,
  user_id TEXT,
  errors TEXT,
  note TEXT,
  secret TEXT,
  PRIMARY KEY (job, row)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rows_by_status ON rows(job, status, row);
";

fn now() -> Millis {
    let ms = worker::js_sys::Date::now();
    if ms.is_finite() && ms > 0.0 {
        ms as Millis
    } else {
        0
    }
}

/// An alarm time: an instant in milliseconds since the epoch (workers-rs
/// reads a bare integer as an offset from now).
fn alarm_at(instant: Millis) -> ScheduledTime {
    ScheduledTime::new(worker::js_sys::Date::new(
        &worker::wasm_bindgen::JsValue::from_f64(instant as f64),
    ))
}

fn int(n: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

fn text(s: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::String(s.into())
}

/// The engine's settings for a provider, from the Worker's settings.
pub fn engine_config(env: &Env, provider: &dyn AnyProvider) -> EngineConfig {
    let var = |name: &str| -> Option<u64> {
        env.var(name)
            .ok()
            .and_then(|v| v.to_string().trim().parse::<u64>().ok())
    };
    let prefix = provider.id().to_ascii_uppercase();
    let defaults = EngineConfig::default();
    EngineConfig {
        rate_per_minute: var(&format!("{prefix}_RATE_PER_MINUTE"))
            .map_or(provider.rate_per_minute(), |n| {
                u32::try_from(n).unwrap_or(u32::MAX)
            }),
        max_in_flight: var("IMPORT_MAX_IN_FLIGHT")
            .map_or(defaults.max_in_flight, |n| n.clamp(1, 32) as u32),
        ..defaults
    }
}

/// One stored job line.
#[derive(Deserialize)]
struct JobLine {
    key: i64,
    id: String,
    status: String,
    reason: Option<String>,
    paused_until: i64,
    total: i64,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

#[derive(Deserialize)]
struct StateLine {
    row: i64,
    state: String,
}

#[derive(Deserialize)]
struct RowLine {
    row: i64,
    status: String,
    user_id: Option<String>,
    errors: Option<String>,
    note: Option<String>,
    cells: Option<String>,
}

#[derive(Deserialize)]
struct CountLine {
    status: String,
    n: i64,
}

/// What a claimed row is sent with.
struct Stored {
    /// The payload, without its passwords.
    payload: String,
    /// The payload's passwords, sealed.
    secret: Option<String>,
    /// The job's query flags, as a query string (`notify_user=true`).
    flags: String,
}

/// Brings a database an earlier version created up to [`SCHEMA`]: columns
/// that `CREATE TABLE IF NOT EXISTS` does not add to an existing table.
fn migrate(sql: &SqlStorage) -> Result<()> {
    if sql.exec("SELECT flags FROM jobs LIMIT 0", None).is_err() {
        sql.exec(
            "ALTER TABLE jobs ADD COLUMN flags TEXT NOT NULL DEFAULT ''",
            None,
        )?;
    }
    Ok(())
}

/// What one send came to, with what is stored beside the state.
struct Sent {
    send: Send,
    result: SendResult,
    user_id: Option<String>,
    errors: Vec<Issue>,
    failure: Option<String>,
}

/// The Durable Object. Its alarm is exported by hand (see
/// [`ImportRunner::alarm_promise`]); `durable_object(fetch)` generates the
/// rest.
#[durable_object(fetch)]
pub struct ImportRunner {
    runner: Rc<Runner>,
}

/// The object's state and work, shared with the alarm's future, which owns
/// what it uses.
struct Runner {
    state: State,
    env: Env,
    engine: RefCell<Option<Engine>>,
    /// When the loop now running started, if one is.
    running: Cell<Option<Millis>>,
    /// The provider, once known (see [`Runner::provider`]).
    provider: Cell<Option<&'static dyn AnyProvider>>,
}

impl Runner {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// The provider this object runs, from its name.
    /// The provider this object runs: named by the first request's path
    /// (`/{provider}/…`) and kept in `meta`, since the object's own name is
    /// not always available (not after a restart in workerd, for one).
    fn provider(&self) -> Option<&'static dyn AnyProvider> {
        if let Some(p) = self.provider.get() {
            return Some(p);
        }
        #[derive(Deserialize)]
        struct V {
            value: String,
        }
        let sql = self.sql();
        sql.exec(SCHEMA, None).ok()?;
        let stored = sql
            .exec("SELECT value FROM meta WHERE name = 'provider'", None)
            .and_then(|c| c.to_array::<V>())
            .ok()
            .and_then(|v| v.into_iter().next())
            .and_then(|v| enlist_core::provider(&v.value))
            .or_else(|| {
                let name = self.state.id().name()?;
                enlist_core::provider(name.strip_prefix("imports:")?)
            });
        if let Some(p) = stored {
            self.provider.set(Some(p));
        }
        stored
    }

    /// Remembers the provider named by a request's path, once.
    fn name_provider(&self, id: &str) -> Result<()> {
        if self.provider().is_some() {
            return Ok(());
        }
        let Some(provider) = enlist_core::provider(id) else {
            return Ok(());
        };
        self.sql().exec(
            "INSERT INTO meta (name, value) VALUES ('provider', ?)
             ON CONFLICT(name) DO NOTHING",
            vec![text(provider.id())],
        )?;
        self.provider.set(Some(provider));
        Ok(())
    }

    /// Loads the engine from storage once: unfinished jobs with their rows,
    /// the pace; claimed rows become rows to send once more. `true` when
    /// this call loaded it.
    fn load(&self) -> Result<bool> {
        if self.engine.borrow().is_some() {
            return Ok(false);
        }
        let provider = self.provider().ok_or_else(|| {
            worker::Error::RustError("an import runner without a provider".into())
        })?;
        let sql = self.sql();
        sql.exec(SCHEMA, None)?;
        migrate(&sql)?;
        let at = now();
        let mut engine = Engine::new(engine_config(&self.env, provider));
        let meta = |name: &str| -> u64 {
            #[derive(Deserialize)]
            struct V {
                value: String,
            }
            sql.exec("SELECT value FROM meta WHERE name = ?", vec![text(name)])
                .and_then(|c| c.to_array::<V>())
                .ok()
                .and_then(|v| v.first().and_then(|v| v.value.parse().ok()))
                .unwrap_or(0)
        };
        engine.restore_pace(meta("pace_next"), meta("pace_hold"), at);
        let jobs: Vec<JobLine> = sql
            .exec(
                "SELECT key, id, status, reason, paused_until, total, created_at, updated_at, finished_at
                 FROM jobs WHERE status IN ('queued', 'running', 'paused') ORDER BY key",
                None,
            )?
            .to_array()?;
        for job in jobs {
            let rows = self.row_states(job.key, job.total)?;
            engine.restore(
                job.key as JobKey,
                JobStatus::from_name(&job.status).unwrap_or(JobStatus::Running),
                job.reason.as_deref().and_then(PauseReason::from_name),
                job.paused_until.max(0) as Millis,
                rows,
                at,
            );
        }
        let changes = engine.take_changes();
        *self.engine.borrow_mut() = Some(engine);
        self.persist(changes, at)?;
        Ok(true)
    }

    /// Whether a loop is running (see [`Runner::run`]).
    fn is_running(&self) -> bool {
        self.running.get().is_some()
    }

    /// Whether a job has rows to send now or later by itself (not one
    /// paused until someone resumes it).
    fn has_work(&self) -> bool {
        self.engine.borrow().as_ref().is_some_and(|engine| {
            engine.jobs().iter().any(|job| match job.status() {
                JobStatus::Queued | JobStatus::Running => true,
                JobStatus::Paused => job.reason() == Some(PauseReason::RateLimited),
                _ => false,
            })
        })
    }

    fn row_states(&self, job: i64, total: i64) -> Result<Vec<RowState>> {
        let lines: Vec<StateLine> = self
            .sql()
            .exec(
                "SELECT row, state FROM rows WHERE job = ? ORDER BY row",
                vec![SqlStorageValue::Integer(job)],
            )?
            .to_array()?;
        let mut rows = vec![RowState::FRESH; usize::try_from(total.max(0)).unwrap_or(0)];
        for line in lines {
            if let Some(slot) = usize::try_from(line.row).ok().and_then(|i| rows.get_mut(i)) {
                *slot = decode_state(&line.state);
            }
        }
        Ok(rows)
    }

    /// Writes the engine's changes, in order.
    fn persist(&self, changes: Vec<Change>, at: Millis) -> Result<()> {
        let sql = self.sql();
        for change in changes {
            match change {
                Change::Row { job, row, state } => {
                    // A row that can no longer be sent loses its payload and
                    // sealed passwords; failed rows keep them for `retry`.
                    let keeps_payload = matches!(
                        state,
                        RowState::Pending { .. } | RowState::InFlight { .. } | RowState::Failed(_)
                    );
                    let query = if keeps_payload {
                        "UPDATE rows SET state = ?, status = ? WHERE job = ? AND row = ?"
                    } else {
                        "UPDATE rows SET state = ?, status = ?, payload = NULL, secret = NULL WHERE job = ? AND row = ?"
                    };
                    sql.exec(
                        query,
                        vec![
                            text(encode_state(state)),
                            text(state.status().as_str()),
                            int(job),
                            int(u64::from(row)),
                        ],
                    )?;
                }
                Change::Job {
                    job,
                    status,
                    reason,
                } => {
                    let finished = status.is_finished().then_some(at);
                    sql.exec(
                        "UPDATE jobs SET status = ?, reason = ?, updated_at = ?,
                         finished_at = COALESCE(?, CASE WHEN ? THEN NULL ELSE finished_at END)
                         WHERE key = ?",
                        vec![
                            text(status.as_str()),
                            reason.map_or(SqlStorageValue::Null, |r| text(r.as_str())),
                            int(at),
                            finished.map_or(SqlStorageValue::Null, int),
                            SqlStorageValue::Boolean(!status.is_finished()),
                            int(job),
                        ],
                    )?;
                    if status == JobStatus::Cancelled {
                        sql.exec(
                            "UPDATE rows SET payload = NULL, secret = NULL WHERE job = ? AND state NOT LIKE 'in_flight%'",
                            vec![int(job)],
                        )?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn save_pace(&self, engine: &Engine) -> Result<()> {
        let (next, hold) = engine.pace_state();
        let sql = self.sql();
        for (name, value) in [("pace_next", next), ("pace_hold", hold)] {
            sql.exec(
                "INSERT INTO meta (name, value) VALUES (?, ?)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                vec![text(name), text(value.to_string())],
            )?;
        }
        Ok(())
    }

    /// Runs `f` on the loaded engine, then stores what it changed.
    fn with_engine<T>(&self, f: impl FnOnce(&mut Engine) -> T) -> Result<T> {
        self.load()?;
        let (out, changes) = {
            let mut guard = self.engine.borrow_mut();
            let engine = guard
                .as_mut()
                .ok_or_else(|| worker::Error::RustError("the engine is not loaded".into()))?;
            let out = f(engine);
            (out, engine.take_changes())
        };
        self.persist(changes, now())?;
        Ok(out)
    }

    fn job_line(&self, id: &str, owner: &str) -> Result<Option<JobLine>> {
        let lines: Vec<JobLine> = self
            .sql()
            .exec(
                "SELECT key, id, status, reason, paused_until, total, created_at, updated_at, finished_at
                 FROM jobs WHERE id = ? AND owner = ?",
                vec![text(id), text(owner)],
            )?
            .to_array()?;
        Ok(lines.into_iter().next())
    }

    fn view(&self, line: &JobLine) -> Result<JobView> {
        let provider = self.provider().map_or("", |p| p.id());
        let key = line.key as JobKey;
        let (counts, eta, rate) = {
            let guard = self.engine.borrow();
            let engine = guard.as_ref();
            let counts = engine
                .and_then(|e| e.job(key))
                .map(|j| CountsView::from(j.counts()));
            let eta = engine.and_then(|e| e.eta(key)).map(|ms| ms.div_ceil(1_000));
            let rate = engine.map_or(0, |e| e.pace().calls_per_minute());
            (counts, eta, rate)
        };
        let counts = match counts {
            Some(c) => c,
            None => self.stored_counts(line.key, line.total)?,
        };
        Ok(JobView {
            id: line.id.clone(),
            provider: provider.to_string(),
            status: line.status.clone(),
            reason: (line.status == "paused")
                .then(|| line.reason.clone())
                .flatten(),
            counts,
            rate_per_minute: rate,
            eta_seconds: if line.status == "done" || line.status == "cancelled" {
                None
            } else {
                eta
            },
            created_at: rfc3339(line.created_at.max(0) as Millis),
            updated_at: rfc3339(line.updated_at.max(0) as Millis),
            finished_at: line.finished_at.map(|t| rfc3339(t.max(0) as Millis)),
        })
    }

    fn stored_counts(&self, job: i64, total: i64) -> Result<CountsView> {
        let lines: Vec<CountLine> = self
            .sql()
            .exec(
                "SELECT status, COUNT(*) AS n FROM rows WHERE job = ? GROUP BY status",
                vec![SqlStorageValue::Integer(job)],
            )?
            .to_array()?;
        let mut counts = CountsView {
            total: u32::try_from(total.max(0)).unwrap_or(u32::MAX),
            ..CountsView::default()
        };
        for line in lines {
            let n = u32::try_from(line.n.max(0)).unwrap_or(u32::MAX);
            match RowStatus::from_name(&line.status) {
                Some(RowStatus::Pending) => counts.pending = n,
                Some(RowStatus::Created) => counts.created = n,
                Some(RowStatus::AlreadyExists) => counts.already_exists = n,
                Some(RowStatus::Invalid) => counts.invalid = n,
                Some(RowStatus::Refused) => counts.refused = n,
                Some(RowStatus::Failed) => counts.failed = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// `POST /jobs`: stores the job and its rows, hands it to the engine and
    /// wakes the loop. The same owner and `Idempotency-Key` get the first job.
    fn create(&self, job: NewJob) -> Result<Response> {
        self.load()?;
        let sql = self.sql();
        if let Some(key) = &job.idempotency_key {
            let existing: Vec<JobLine> = sql
                .exec(
                    "SELECT key, id, status, reason, paused_until, total, created_at, updated_at, finished_at
                     FROM jobs WHERE owner = ? AND idempotency_key = ?",
                    vec![text(&job.owner), text(key)],
                )?
                .to_array()?;
            if let Some(line) = existing.first() {
                let mut response = Response::from_json(&self.view(line)?)?;
                response
                    .headers_mut()
                    .set(enlist_core::proxy::IDEMPOTENT_REPLAYED, "true")?;
                return Ok(response);
            }
        }
        let provider = self.provider().ok_or_else(|| {
            worker::Error::RustError("an import runner without a provider".into())
        })?;
        let mut random = [0u8; 16];
        crate::random_bytes(&mut random)?;
        let id = super::new_job_id(provider.id(), &random);
        let at = now();
        let total = u32::try_from(job.rows.len()).unwrap_or(u32::MAX);
        sql.exec(
            "INSERT INTO jobs (id, owner, idempotency_key, status, total, columns, flags, created_at, updated_at)
             VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
            vec![
                text(&id),
                text(&job.owner),
                job.idempotency_key
                    .clone()
                    .map_or(SqlStorageValue::Null, text),
                int(u64::from(total)),
                text(serde_json::to_string(&job.columns)?),
                text(&job.flags),
                int(at),
                int(at),
            ],
        )?;
        #[derive(Deserialize)]
        struct Key {
            key: i64,
        }
        let key = sql
            .exec("SELECT key FROM jobs WHERE id = ?", vec![text(&id)])?
            .one::<Key>()?
            .key;
        let mut settled = Vec::new();
        for (i, row) in job.rows.iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            let state = match row.settled.as_deref() {
                Some("refused") => RowState::Refused,
                Some(_) => RowState::Invalid,
                None if row.payload.is_none() => RowState::Invalid,
                None => RowState::FRESH,
            };
            if state != RowState::FRESH {
                settled.push((index, state));
            }
            sql.exec(
                "INSERT INTO rows (job, row, state, status, payload, secret, cells, errors)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    SqlStorageValue::Integer(key),
                    int(u64::from(index)),
                    text(encode_state(state)),
                    text(state.status().as_str()),
                    if state == RowState::FRESH {
                        row.payload.clone().map_or(SqlStorageValue::Null, text)
                    } else {
                        SqlStorageValue::Null
                    },
                    if state == RowState::FRESH {
                        row.secret.clone().map_or(SqlStorageValue::Null, text)
                    } else {
                        SqlStorageValue::Null
                    },
                    text(serde_json::to_string(&row.cells)?),
                    if row.errors.is_empty() {
                        SqlStorageValue::Null
                    } else {
                        text(serde_json::to_string(&row.errors)?)
                    },
                ],
            )?;
        }
        self.with_engine(|e| {
            e.add_job(key as JobKey, total, &settled);
        })?;
        let line = self
            .job_line(&id, &job.owner)?
            .ok_or_else(|| worker::Error::RustError("the new job is missing".into()))?;
        let mut response = Response::from_json(&self.view(&line)?)?.with_status(201);
        response
            .headers_mut()
            .set("location", &format!("/v1/imports/{id}"))?;
        Ok(response)
    }

    /// Rows of a job, by row index from `cursor`, optionally of one status.
    fn rows(
        &self,
        line: &JobLine,
        status: Option<&str>,
        cursor: u32,
        limit: u32,
    ) -> Result<Vec<RowLine>> {
        let limit = i64::from(limit.clamp(1, MAX_PAGE)) + 1;
        let lines: Vec<RowLine> = match status {
            Some(status) => self.sql().exec(
                "SELECT row, status, user_id, errors, note, cells FROM rows
                 WHERE job = ? AND status = ? AND row >= ? ORDER BY row LIMIT ?",
                vec![
                    SqlStorageValue::Integer(line.key),
                    text(status),
                    int(u64::from(cursor)),
                    SqlStorageValue::Integer(limit),
                ],
            )?,
            None => self.sql().exec(
                "SELECT row, status, user_id, errors, note, cells FROM rows
                 WHERE job = ? AND row >= ? ORDER BY row LIMIT ?",
                vec![
                    SqlStorageValue::Integer(line.key),
                    int(u64::from(cursor)),
                    SqlStorageValue::Integer(limit),
                ],
            )?,
        }
        .to_array()?;
        Ok(lines)
    }

    /// The loop (see the module docs). Only one runs at a time.
    ///
    /// A loop that fails drops its calls in flight, whose rows the engine
    /// in memory would count as in flight forever: the engine is dropped
    /// instead, so the next alarm (set here, [`RECOVER_MS`] on) loads it from
    /// storage and sends those rows once more, as after a restart.
    async fn run(&self) -> Result<()> {
        let started = now();
        if let Some(since) = self.running.get() {
            if started.saturating_sub(since) < alarm_deadline(&crate::config(&self.env)) {
                return Ok(());
            }
            // A loop that started before the deadline of its alarm and is
            // still marked running was cut off with its alarm (which the
            // runtime retried): start over from storage (the loop loads it).
            *self.engine.borrow_mut() = None;
        }
        self.running.set(Some(started));
        let result = self.run_loop().await;
        // A loop cut off and superseded leaves the engine to its successor.
        let current = self.running.get() == Some(started);
        if current {
            self.running.set(None);
        }
        if let Err(e) = &result {
            let line = crate::log::background_error("import_runner", crate::log::error_kind(e));
            worker::console_error!("{line}");
            if !current {
                return Ok(());
            }
            *self.engine.borrow_mut() = None;
            self.state
                .storage()
                .set_alarm(alarm_at(now() + RECOVER_MS))
                .await?;
        }
        Ok(())
    }

    async fn run_loop(&self) -> Result<()> {
        let started = now();
        let mut flying = FuturesUnordered::new();
        loop {
            let at = now();
            let action = self.with_engine(|e| e.poll(at))?;
            let wake = match action {
                Action::Send(send) => {
                    // The claim is stored (by with_engine) before the call.
                    if let Some(engine) = self.engine.borrow().as_ref() {
                        self.save_pace(engine)?;
                    }
                    let payload = self.payload_to_send(send)?;
                    flying.push(self.send_row(send, payload));
                    continue;
                }
                Action::Wait(t) => Some(t),
                _ => None,
            };
            if flying.is_empty() {
                match wake {
                    Some(t) if t > at + NAP_MS || at > started + RUN_MS => {
                        self.state.storage().set_alarm(alarm_at(t)).await?;
                        return Ok(());
                    }
                    Some(t) => {
                        Timer::after(t.saturating_sub(at))?.await;
                        continue;
                    }
                    None => {
                        self.schedule_cleanup().await?;
                        return Ok(());
                    }
                }
            }
            let nap = wake.map_or(NAP_MS, |t| t.saturating_sub(at).min(NAP_MS));
            let next = pin!(flying.next());
            let sleep = Timer::after(nap.max(1))?;
            if let Either::Left((Some(sent), _)) = select(next, sleep).await {
                self.record(sent)?;
            }
            if now() > started + RUN_MS {
                // Finish what is in flight, then hand over.
                while let Some(sent) = flying.next().await {
                    self.record(sent)?;
                }
                self.state.storage().set_alarm(alarm_at(now())).await?;
                return Ok(());
            }
        }
    }

    /// What a claimed row is sent with; `None` when no payload is stored
    /// (the row cannot be sent).
    fn payload_to_send(&self, send: Send) -> Result<Option<Stored>> {
        #[derive(Deserialize)]
        struct Line {
            payload: Option<String>,
            secret: Option<String>,
            flags: Option<String>,
        }
        let line = self
            .sql()
            .exec(
                "SELECT rows.payload, rows.secret, jobs.flags FROM rows JOIN jobs ON jobs.key = rows.job
                 WHERE rows.job = ? AND rows.row = ?",
                vec![int(send.job), int(u64::from(send.row))],
            )?
            .to_array::<Line>()?
            .into_iter()
            .next();
        Ok(line.and_then(|line| {
            Some(Stored {
                payload: line.payload?,
                secret: line.secret,
                flags: line.flags.unwrap_or_default(),
            })
        }))
    }

    /// Sends one claimed row and reads the answer with the core's parser.
    async fn send_row(&self, send: Send, stored: Option<Stored>) -> Sent {
        let mut sent = Sent {
            send,
            result: SendResult::NoAnswer,
            user_id: None,
            errors: Vec::new(),
            failure: None,
        };
        let Some(provider) = self.provider() else {
            sent.result = SendResult::Unauthorized;
            return sent;
        };
        let config = crate::config(&self.env);
        let ready = match config.provider(provider.id()).map(|p| p.state.as_ref()) {
            Some(Ok(ready)) => ready,
            _ => {
                // No key (or an unusable one) on this proxy: the job pauses.
                sent.result = SendResult::Unauthorized;
                sent.failure = Some("provider_not_configured".into());
                return sent;
            }
        };
        let Some(Stored {
            mut payload,
            secret,
            flags,
        }) = stored
        else {
            sent.result = SendResult::Rejected;
            sent.failure = Some("payload_missing".into());
            return sent;
        };
        if let Some(sealed) = secret {
            let opened = super::secret::open(&ready.settings.api_key, &sealed).await;
            let passwords: Option<Vec<(String, String)>> =
                opened.and_then(|text| serde_json::from_str(&text).ok());
            let merged = passwords.and_then(|passwords| {
                let mut value: serde_json::Value = serde_json::from_str(&payload).ok()?;
                super::secret::put_passwords(&mut value, &passwords);
                Some(value.to_string())
            });
            match merged {
                Some(full) => payload = full,
                None => {
                    // Sealed under another API key: not sent without it.
                    sent.result = SendResult::Rejected;
                    sent.failure = Some("password_unreadable".into());
                    return sent;
                }
            }
        }
        // Checked when the job was created; read with the same parser.
        let mut settings = ready.settings.clone();
        for (name, value) in provider.parse_query_flags(&flags).unwrap_or_default() {
            settings.set_flag(name, value);
        }
        let built =
            match provider.build_create_user(payload.as_bytes(), &Options::default(), &settings) {
                Ok(built) => built,
                Err(enlist_core::BuildError::Invalid(report)) => {
                    sent.result = SendResult::Rejected;
                    sent.errors = report.errors;
                    return sent;
                }
                Err(_) => {
                    sent.result = SendResult::Unauthorized;
                    sent.failure = Some("provider_not_configured".into());
                    return sent;
                }
            };
        let Ok(credential) = provider.credential(&ready.settings) else {
            sent.result = SendResult::Unauthorized;
            sent.failure = Some("provider_not_configured".into());
            return sent;
        };
        match forward::send(
            &Outbound::from(&built.request),
            &credential,
            config.timeout_ms,
        )
        .await
        {
            Ok(answer) => {
                let headers: Vec<(&str, &str)> = answer
                    .retry_after
                    .as_deref()
                    .map(|v| ("retry-after", v))
                    .into_iter()
                    .collect();
                let outcome =
                    provider.parse_create_user_response(answer.status, &headers, &answer.body);
                sent.result = SendResult::from_outcome(&outcome, now() / 1_000);
                match &outcome {
                    // An id that holds a configured key or token is not
                    // recorded (the single-create path refuses to relay one
                    // too): the answer counts as a server error.
                    Outcome::Created(created) if config.secrets.found_in(&created.id) => {
                        sent.result = SendResult::ServerError;
                        sent.failure = Some("upstream_echoed_secret".into());
                    }
                    Outcome::Created(created) => sent.user_id = Some(created.id.clone()),
                    other => {
                        if let Some(f) = other.failure() {
                            sent.errors = f.errors.clone();
                            sent.failure = Some(format!("upstream_{}", other.kind()));
                        }
                    }
                }
            }
            Err(why) => {
                sent.result = if why == "timeout" || why == "network" {
                    SendResult::NoAnswer
                } else {
                    SendResult::ServerError
                };
                sent.failure = Some(why.to_string());
            }
        }
        sent
    }

    /// With the `test-panic` feature, which only the test build of
    /// `cargo xtask build worker-test` has: the `TEST_IMPORT_FAULT` variable
    /// (`error@N` or `panic@N`) makes the loop fail or panic, once per
    /// object's storage, when it is about to record the N-th outcome, with
    /// other calls still in flight.
    #[cfg(feature = "test-panic")]
    #[allow(clippy::panic)]
    fn test_fault(&self) -> Result<()> {
        #[derive(Deserialize)]
        struct V {
            value: String,
        }
        let Some(spec) = self
            .env
            .var("TEST_IMPORT_FAULT")
            .ok()
            .map(|v| v.to_string())
        else {
            return Ok(());
        };
        let Some((kind, at)) = spec.split_once('@') else {
            return Ok(());
        };
        let at: u64 = at.parse().unwrap_or(u64::MAX);
        let sql = self.sql();
        let seen: u64 = sql
            .exec("SELECT value FROM meta WHERE name = 'test_fault'", None)?
            .to_array::<V>()?
            .first()
            .and_then(|v| v.value.parse().ok())
            .unwrap_or(0);
        if seen > at {
            return Ok(());
        }
        sql.exec(
            "INSERT INTO meta (name, value) VALUES ('test_fault', ?)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            vec![text((seen + 1).to_string())],
        )?;
        match (seen == at, kind) {
            (true, "panic") => panic!("an import runner panic on purpose (test-panic feature)"),
            (true, _) => Err(worker::Error::RustError("test_import_fault".into())),
            _ => Ok(()),
        }
    }

    /// Stores a send's outcome beside the row, then tells the engine.
    fn record(&self, sent: Sent) -> Result<()> {
        #[cfg(feature = "test-panic")]
        self.test_fault()?;
        let Sent {
            send,
            result,
            user_id,
            errors,
            failure,
        } = sent;
        let note = match result {
            SendResult::AlreadyExists if send.after_unknown => Some(
                "Sent again after an answer that never came; the first call most likely created the user."
                    .to_string(),
            ),
            _ => failure,
        };
        self.sql().exec(
            "UPDATE rows SET user_id = COALESCE(?, user_id), errors = ?, note = ? WHERE job = ? AND row = ?",
            vec![
                user_id.map_or(SqlStorageValue::Null, text),
                if errors.is_empty() {
                    SqlStorageValue::Null
                } else {
                    text(serde_json::to_string(&errors)?)
                },
                note.map_or(SqlStorageValue::Null, text),
                int(send.job),
                int(u64::from(send.row)),
            ],
        )?;
        let at = now();
        self.with_engine(|e| e.on_result(send.job, send.row, result, at))
    }

    /// With nothing to send, the alarm deletes finished jobs once their
    /// retention has passed.
    async fn schedule_cleanup(&self) -> Result<()> {
        #[derive(Deserialize)]
        struct Oldest {
            at: Option<i64>,
        }
        let oldest = self
            .sql()
            .exec(
                "SELECT MIN(finished_at) AS at FROM jobs WHERE finished_at IS NOT NULL",
                None,
            )?
            .one::<Oldest>()?
            .at;
        if let Some(at) = oldest {
            let due = at.max(0) as Millis + self.retention_ms();
            self.state.storage().set_alarm(alarm_at(due)).await?;
        }
        Ok(())
    }

    fn retention_ms(&self) -> Millis {
        let days = self
            .env
            .var("IMPORT_RETENTION_DAYS")
            .ok()
            .and_then(|v| v.to_string().trim().parse::<u64>().ok())
            .unwrap_or(u64::from(RETENTION_DAYS));
        days.saturating_mul(86_400_000)
    }

    fn delete_expired(&self) -> Result<()> {
        let cutoff = now().saturating_sub(self.retention_ms());
        #[derive(Deserialize)]
        struct Key {
            key: i64,
        }
        let expired: Vec<Key> = self
            .sql()
            .exec(
                "SELECT key FROM jobs WHERE finished_at IS NOT NULL AND finished_at <= ?",
                vec![int(cutoff)],
            )?
            .to_array()?;
        for Key { key } in expired {
            self.sql().exec(
                "DELETE FROM rows WHERE job = ?",
                vec![SqlStorageValue::Integer(key)],
            )?;
            self.sql().exec(
                "DELETE FROM jobs WHERE key = ?",
                vec![SqlStorageValue::Integer(key)],
            )?;
            if let Some(engine) = self.engine.borrow_mut().as_mut() {
                engine.remove_job(key as JobKey);
            }
        }
        Ok(())
    }

    /// `POST /jobs/{id}/{action}`.
    fn act(&self, line: &JobLine, action: &str) -> Result<Option<bool>> {
        let key = line.key as JobKey;
        let at = now();
        // A finished job is not in the engine; retry brings it back.
        if self
            .engine
            .borrow()
            .as_ref()
            .and_then(|e| e.job(key))
            .is_none()
        {
            if action != "retry" || line.status == "cancelled" {
                return Ok(Some(false));
            }
            let rows = self.row_states(line.key, line.total)?;
            self.with_engine(|e| {
                e.restore(key, JobStatus::Done, None, 0, rows, at);
            })?;
        }
        let done = self.with_engine(|e| match action {
            "pause" => Some(e.pause(key)),
            "resume" => Some(e.resume(key)),
            "cancel" => Some(e.cancel(key)),
            "retry" => Some(e.retry_failed(key, at) > 0),
            _ => None,
        })?;
        if action == "retry" && done == Some(true) {
            self.sql().exec(
                "UPDATE jobs SET finished_at = NULL WHERE key = ?",
                vec![SqlStorageValue::Integer(line.key)],
            )?;
        }
        Ok(done)
    }
}

/// The path after the provider: `["jobs", id, "rows"]`.
fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').skip(1).collect()
}

/// A query parameter (the Worker sends only `[a-z0-9_]` values, so none
/// needs decoding; any other is ignored).
fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .map(str::to_string)
}

impl DurableObject for ImportRunner {
    fn new(state: State, env: Env) -> Self {
        crate::panic_hook();
        Self {
            runner: Rc::new(Runner {
                state,
                env,
                engine: RefCell::new(None),
                running: Cell::new(None),
                provider: Cell::new(None),
            }),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        // A boxed future: the handler is not inlined into the runtime's
        // promise glue (which at opt-level 3 doubled its size).
        let handled: std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response>> + '_>> =
            Box::pin(self.runner.handle(req));
        handled.await
    }
}

#[wasm_bindgen]
impl ImportRunner {
    /// The alarm, as the runtime calls it: the runner's loop, as a promise
    /// that fails if it has not settled by a deadline: its run ([`RUN_MS`]),
    /// plus the upstream timeout, plus 5 s.
    ///
    /// A panic aborts the wasm instance, and a promise that instance was to
    /// settle never settles: the alarm would hang, and no later alarm would
    /// run while it did. The deadline is a JavaScript timer whose callback is
    /// the promise's own `reject` (no Rust code runs, so it fires even when
    /// the instance is gone): the alarm then fails, the runtime retries it on
    /// a fresh instance, and that one loads the jobs from storage and sends
    /// the rows that were in flight once more.
    #[wasm_bindgen(js_name = alarm)]
    pub fn alarm_promise(&self) -> js_sys::Promise {
        let runner = Rc::clone(&self.runner);
        let deadline = alarm_deadline(&crate::config(&runner.env));
        let work = future_to_promise(async move {
            let ran: std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>>>> =
                Box::pin(async move {
                    runner.load()?;
                    runner.delete_expired()?;
                    runner.run().await
                });
            ran.await
                .map(|()| JsValue::UNDEFINED)
                .map_err(JsValue::from)
        });
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let mut timer = None;
        let late = js_sys::Promise::new(&mut |_resolve, reject| {
            let ms = i32::try_from(deadline).unwrap_or(i32::MAX);
            timer = global
                .set_timeout_with_callback_and_timeout_and_arguments_1(
                    &reject,
                    ms,
                    &JsValue::from_str("import_runner_alarm_deadline"),
                )
                .ok();
        });
        let Some(timer) = timer else {
            // No timer: the alarm runs without a deadline.
            return work;
        };
        // The deadline's timer is cleared once the work settles (a bound
        // native function, so it runs even if the instance is gone).
        let cleared = js_sys::Reflect::get(&global, &JsValue::from_str("clearTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .map(|clear| clear.bind1(&global, &JsValue::from(timer)))
            .and_then(|clear| {
                let finally = js_sys::Reflect::get(&work, &JsValue::from_str("finally")).ok()?;
                let finally: js_sys::Function = finally.dyn_into().ok()?;
                finally
                    .call1(&work, &clear)
                    .ok()?
                    .dyn_into::<js_sys::Promise>()
                    .ok()
            });
        match cleared {
            Some(work) => js_sys::Promise::race(&js_sys::Array::of2(&work, &late)),
            None => {
                global.clear_timeout_with_handle(timer);
                work
            }
        }
    }
}

/// How long one alarm may take before the runtime is told it failed: the
/// loop's own run ([`RUN_MS`]), the calls still in flight when it hands over
/// (the upstream timeout), and a margin for storage.
fn alarm_deadline(config: &crate::config::Config) -> Millis {
    RUN_MS + Millis::from(config.timeout_ms) + DEADLINE_MARGIN_MS
}

impl Runner {
    /// The internal routes (see the module docs of `imports`).
    async fn handle(&self, mut req: Request) -> Result<Response> {
        let full = req.inner().url();
        let (path, query, _) = crate::route::split_url(&full);
        let owner = req.headers().get(OWNER_HEADER)?.unwrap_or_default();
        let method = req.method();
        if let Some(id) = path.trim_matches('/').split('/').next() {
            self.name_provider(id)?;
        }
        let parts = segments(path);
        if self.load()? && !self.is_running() && self.has_work() {
            // Loaded from storage outside an alarm: this object restarted
            // (evicted, or its isolate reset mid-alarm). A job with work
            // left needs an alarm, or it would wait for one that never comes.
            if self.state.storage().get_alarm().await?.is_none() {
                self.state.storage().set_alarm(alarm_at(now())).await?;
            }
        }
        match (method, parts.as_slice()) {
            (worker::Method::Post, ["jobs"]) => {
                let job: NewJob = match req.json().await {
                    Ok(job) => job,
                    Err(_) => return Response::error("not a job", 400),
                };
                let response = self.create(job)?;
                if !self.is_running() {
                    self.state.storage().set_alarm(alarm_at(now())).await?;
                }
                Ok(response)
            }
            (worker::Method::Get, ["jobs"]) => {
                let lines: Vec<JobLine> = self
                    .sql()
                    .exec(
                        "SELECT key, id, status, reason, paused_until, total, created_at, updated_at, finished_at
                         FROM jobs WHERE owner = ? ORDER BY created_at DESC, key DESC LIMIT 100",
                        vec![text(&owner)],
                    )?
                    .to_array()?;
                let views = lines
                    .iter()
                    .map(|l| self.view(l))
                    .collect::<Result<Vec<_>>>()?;
                Response::from_json(&views)
            }
            (worker::Method::Get, ["active"]) => {
                #[derive(Deserialize, serde::Serialize)]
                struct N {
                    n: i64,
                }
                let n = self
                    .sql()
                    .exec(
                        "SELECT COUNT(*) AS n FROM jobs WHERE owner = ? AND status IN ('queued', 'running', 'paused')",
                        vec![text(&owner)],
                    )?
                    .one::<N>()?;
                Response::from_json(&n)
            }
            (worker::Method::Post, ["reserve"]) => {
                let at = now();
                let wait = self.with_engine(|e| e.reserve(at))?;
                if let Some(engine) = self.engine.borrow().as_ref() {
                    self.save_pace(engine)?;
                }
                Response::from_json(&serde_json::json!({ "wait_ms": wait }))
            }
            (method, ["jobs", id, rest @ ..]) => {
                let Some(line) = self.job_line(id, &owner)? else {
                    return Response::error("no such job", 404);
                };
                match (method, rest) {
                    (worker::Method::Get, []) => Response::from_json(&self.view(&line)?),
                    (worker::Method::Get, ["rows"]) => {
                        let status = query_param(query, "status");
                        let cursor = query_param(query, "cursor")
                            .and_then(|c| c.parse().ok())
                            .unwrap_or(0);
                        let limit = query_param(query, "limit")
                            .and_then(|c| c.parse().ok())
                            .unwrap_or(DEFAULT_PAGE);
                        let mut lines = self.rows(&line, status.as_deref(), cursor, limit)?;
                        let next = (lines.len() > limit.clamp(1, MAX_PAGE) as usize)
                            .then(|| lines.pop().map(|l| l.row.to_string()))
                            .flatten();
                        let rows = lines.into_iter().map(row_view).collect();
                        Response::from_json(&RowsPage { rows, next })
                    }
                    (worker::Method::Get, ["results"]) => {
                        let cursor = query_param(query, "cursor")
                            .and_then(|c| c.parse().ok())
                            .unwrap_or(0);
                        let mut lines = self.rows(&line, None, cursor, MAX_PAGE)?;
                        let next = (lines.len() > MAX_PAGE as usize)
                            .then(|| lines.pop().map(|l| l.row.to_string()))
                            .flatten();
                        #[derive(Deserialize)]
                        struct Columns {
                            columns: String,
                        }
                        let columns = self
                            .sql()
                            .exec(
                                "SELECT columns FROM jobs WHERE key = ?",
                                vec![SqlStorageValue::Integer(line.key)],
                            )?
                            .one::<Columns>()?;
                        let columns: Vec<String> =
                            serde_json::from_str(&columns.columns).unwrap_or_default();
                        let rows = lines
                            .into_iter()
                            .map(|l| {
                                let cells: Vec<String> = l
                                    .cells
                                    .as_deref()
                                    .and_then(|c| serde_json::from_str(c).ok())
                                    .unwrap_or_default();
                                ResultRow {
                                    view: row_view(l),
                                    cells,
                                }
                            })
                            .collect();
                        Response::from_json(&ResultsPage {
                            columns,
                            rows,
                            next,
                        })
                    }
                    (worker::Method::Post, [action]) => match self.act(&line, action)? {
                        None => Response::error("no such action", 404),
                        Some(changed) => {
                            if changed && !self.is_running() {
                                self.state.storage().set_alarm(alarm_at(now())).await?;
                            }
                            let line = self.job_line(id, &owner)?.unwrap_or(line);
                            let response = Response::from_json(&self.view(&line)?)?;
                            Ok(if changed {
                                response
                            } else {
                                response.with_status(409)
                            })
                        }
                    },
                    _ => Response::error("no such route", 404),
                }
            }
            _ => Response::error("no such route", 404),
        }
    }
}

fn row_view(line: RowLine) -> RowView {
    RowView {
        row: u32::try_from(line.row.max(0)).unwrap_or(u32::MAX),
        status: line.status,
        id: line.user_id,
        errors: line
            .errors
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or_default(),
        note: line.note,
    }
}
