//! The engine on a simulated clock: unit tests of each decision, and property
//! tests that drive jobs through random provider faults and restarts.

use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

fn unpaced() -> Config {
    Config {
        rate_per_minute: 0,
        ..Config::default()
    }
}

/// Sends everything the engine offers at `now`, answering each at once.
fn run_at(engine: &mut Engine, now: Millis, answer: impl Fn(&Send) -> SendResult) -> Vec<Send> {
    let mut sent = Vec::new();
    while let Action::Send(send) = engine.poll(now) {
        sent.push(send);
        engine.on_result(send.job, send.row, answer(&send), now);
    }
    sent
}

#[test]
fn a_job_sends_every_row_once_and_finishes() {
    let mut engine = Engine::new(unpaced());
    engine.add_job(7, 5, &[(1, RowState::Invalid), (3, RowState::Refused)]);
    assert_eq!(engine.job(7).map(Job::status), Some(JobStatus::Queued));
    let sent = run_at(&mut engine, 0, |_| SendResult::Created);
    assert_eq!(sent.iter().map(|s| s.row).collect::<Vec<_>>(), [0, 2, 4]);
    let job = engine.job(7).unwrap();
    assert_eq!(job.status(), JobStatus::Done);
    assert_eq!(
        job.counts(),
        Counts {
            total: 5,
            created: 3,
            invalid: 1,
            refused: 1,
            ..Counts::default()
        }
    );
    assert_eq!(engine.poll(0), Action::Idle);
}

#[test]
fn a_job_with_nothing_to_send_is_done_at_once() {
    let mut engine = Engine::new(unpaced());
    engine.add_job(1, 1, &[(0, RowState::Invalid)]);
    assert_eq!(engine.job(1).map(Job::status), Some(JobStatus::Done));
    engine.add_job(2, 0, &[]);
    assert_eq!(engine.job(2).map(Job::status), Some(JobStatus::Done));
}

#[test]
fn the_claim_is_a_change_before_the_send() {
    let mut engine = Engine::new(unpaced());
    engine.add_job(1, 1, &[]);
    engine.take_changes();
    let Action::Send(send) = engine.poll(0) else {
        panic!("expected a send")
    };
    assert_eq!(
        engine.take_changes(),
        [
            Change::Row {
                job: 1,
                row: 0,
                state: RowState::InFlight {
                    attempts: 1,
                    unknown: false
                }
            },
            Change::Job {
                job: 1,
                status: JobStatus::Running,
                reason: None
            }
        ]
    );
    // Claimed: never handed out again while in flight.
    assert_eq!(engine.poll(0), Action::Idle);
    engine.on_result(send.job, send.row, SendResult::Created, 1);
    assert_eq!(
        engine.take_changes(),
        [
            Change::Row {
                job: 1,
                row: 0,
                state: RowState::Created
            },
            Change::Job {
                job: 1,
                status: JobStatus::Done,
                reason: None
            }
        ]
    );
}

#[test]
fn server_errors_back_off_then_give_up() {
    let config = Config {
        max_attempts: 3,
        backoff: 1_000,
        max_backoff: 1_500,
        ..unpaced()
    };
    let mut engine = Engine::new(config);
    engine.add_job(1, 1, &[]);
    let mut times = Vec::new();
    let mut now = 0;
    loop {
        match engine.poll(now) {
            Action::Send(s) => {
                times.push((now, s.attempt));
                engine.on_result(s.job, s.row, SendResult::ServerError, now);
            }
            Action::Wait(at) => now = at,
            Action::Idle => break,
        }
    }
    assert_eq!(times, [(0, 1), (1_000, 2), (2_500, 3)]);
    let job = engine.job(1).unwrap();
    assert_eq!(job.row(0), Some(RowState::Failed(FailReason::GaveUp)));
    assert_eq!(job.status(), JobStatus::Done);
    assert_eq!(job.counts().failed, 1);
}

#[test]
fn a_resend_after_an_unknown_outcome_that_finds_the_user_is_already_exists_with_a_note() {
    let mut engine = Engine::new(unpaced());
    engine.add_job(1, 1, &[]);
    let Action::Send(first) = engine.poll(0) else {
        panic!()
    };
    engine.on_result(1, 0, SendResult::NoAnswer, 10);
    let Action::Wait(at) = engine.poll(10) else {
        panic!()
    };
    let Action::Send(second) = engine.poll(at) else {
        panic!()
    };
    assert!(!first.after_unknown);
    assert!(second.after_unknown);
    engine.on_result(1, 0, SendResult::AlreadyExists, at);
    assert_eq!(
        engine.job(1).and_then(|j| j.row(0)),
        Some(RowState::AlreadyExists {
            after_unknown: true
        })
    );
    // An existing user on a first send has no note.
    engine.add_job(2, 1, &[]);
    run_at(&mut engine, at, |_| SendResult::AlreadyExists);
    assert_eq!(
        engine.job(2).and_then(|j| j.row(0)),
        Some(RowState::AlreadyExists {
            after_unknown: false
        })
    );
}

#[test]
fn a_restart_sends_claimed_rows_once_more() {
    let mut engine = Engine::new(unpaced());
    engine.add_job(1, 3, &[]);
    let mut stored: Vec<RowState> = vec![RowState::FRESH; 3];
    let store = |engine: &mut Engine, stored: &mut Vec<RowState>| {
        for change in engine.take_changes() {
            if let Change::Row { row, state, .. } = change {
                stored[row as usize] = state;
            }
        }
    };
    // Row 0 created; row 1 claimed when the isolate dies.
    let Action::Send(s0) = engine.poll(0) else {
        panic!()
    };
    engine.on_result(s0.job, s0.row, SendResult::Created, 0);
    let Action::Send(_) = engine.poll(0) else {
        panic!()
    };
    store(&mut engine, &mut stored);
    assert_eq!(
        stored[1],
        RowState::InFlight {
            attempts: 1,
            unknown: false
        }
    );

    let mut engine = Engine::new(unpaced());
    engine.restore(1, JobStatus::Running, None, 0, stored.clone(), 100);
    store(&mut engine, &mut stored);
    assert_eq!(
        stored[1],
        RowState::Pending {
            attempts: 1,
            not_before: 100,
            unknown: true
        }
    );
    let sent = run_at(&mut engine, 100, |s| {
        if s.row == 1 {
            SendResult::AlreadyExists
        } else {
            SendResult::Created
        }
    });
    assert_eq!(
        sent.iter()
            .map(|s| (s.row, s.attempt, s.after_unknown))
            .collect::<Vec<_>>(),
        [(1, 2, true), (2, 1, false)]
    );
    let job = engine.job(1).unwrap();
    assert_eq!(job.status(), JobStatus::Done);
    assert_eq!((job.counts().created, job.counts().already_exists), (2, 1));
}

#[test]
fn a_429_holds_every_job_for_its_retry_after_and_the_row_keeps_its_attempts() {
    let mut engine = Engine::new(unpaced());
    engine.add_job(1, 2, &[]);
    engine.add_job(2, 2, &[]);
    let Action::Send(s) = engine.poll(0) else {
        panic!()
    };
    engine.on_result(
        s.job,
        s.row,
        SendResult::RateLimited { retry_after: 5_000 },
        10,
    );
    for key in [1, 2] {
        let job = engine.job(key).unwrap();
        assert_eq!(
            (job.status(), job.reason()),
            (JobStatus::Paused, Some(PauseReason::RateLimited))
        );
    }
    assert_eq!(engine.poll(10), Action::Wait(5_010));
    assert_eq!(engine.poll(5_009), Action::Wait(5_010));
    let sent = run_at(&mut engine, 5_010, |_| SendResult::Created);
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[0].attempt, 1, "a 429 is not an attempt");
    assert!(engine.jobs().iter().all(|j| j.status() == JobStatus::Done));
    // A queued job held by a 429 goes back to queued, not running.
    engine.add_job(3, 1, &[]);
    engine.add_job(4, 1, &[]);
    let Action::Send(s) = engine.poll(6_000) else {
        panic!()
    };
    engine.on_result(
        s.job,
        s.row,
        SendResult::RateLimited { retry_after: 1 },
        6_000,
    );
    assert_eq!(engine.job(4).map(Job::status), Some(JobStatus::Paused));
    assert_eq!(engine.poll(6_000), Action::Wait(6_001));
    engine.take_changes();
    let Action::Send(_) = engine.poll(6_001) else {
        panic!()
    };
    assert!(engine.take_changes().contains(&Change::Job {
        job: 4,
        status: JobStatus::Queued,
        reason: None
    }));
}

#[test]
fn a_refused_key_pauses_the_job_until_resumed() {
    for (result, reason) in [
        (SendResult::Unauthorized, PauseReason::UpstreamUnauthorized),
        (SendResult::Forbidden, PauseReason::UpstreamForbidden),
    ] {
        let mut engine = Engine::new(unpaced());
        engine.add_job(1, 3, &[]);
        let sent = run_at(&mut engine, 0, |_| result);
        assert_eq!(sent.len(), 1, "one call, not one per row");
        let job = engine.job(1).unwrap();
        assert_eq!(
            (job.status(), job.reason()),
            (JobStatus::Paused, Some(reason))
        );
        assert_eq!(job.counts().pending, 3);
        assert_eq!(engine.poll(1_000_000), Action::Idle);
        assert!(engine.resume(1));
        let sent = run_at(&mut engine, 1_000_000, |_| SendResult::Created);
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[0].attempt, 1, "the refused call is not an attempt");
        assert_eq!(engine.job(1).map(Job::status), Some(JobStatus::Done));
    }
}

#[test]
fn failures_in_a_row_pause_the_job() {
    let config = Config {
        pause_after_failures: 3,
        max_attempts: 1,
        ..unpaced()
    };
    let mut engine = Engine::new(config);
    engine.add_job(1, 10, &[]);
    let sent = run_at(&mut engine, 0, |_| SendResult::ServerError);
    assert_eq!(sent.len(), 3);
    let job = engine.job(1).unwrap();
    assert_eq!(job.reason(), Some(PauseReason::UpstreamFailing));
    assert_eq!(job.counts().failed, 3);
    // A success between failures resets the count.
    let mut engine = Engine::new(Config {
        pause_after_failures: 2,
        max_attempts: 1,
        ..unpaced()
    });
    engine.add_job(1, 6, &[]);
    let sent = run_at(&mut engine, 0, |s| {
        if s.row % 2 == 0 {
            SendResult::ServerError
        } else {
            SendResult::Created
        }
    });
    assert_eq!(sent.len(), 6);
    assert_eq!(engine.job(1).map(Job::status), Some(JobStatus::Done));
}

#[test]
fn pause_and_cancel_stop_sending_at_once_and_in_flight_calls_still_land() {
    let mut engine = Engine::new(Config {
        rate_per_minute: 600,
        ..Config::default()
    });
    engine.add_job(1, 100, &[]);
    let Action::Send(first) = engine.poll(0) else {
        panic!()
    };
    assert!(engine.pause(1));
    assert_eq!(engine.poll(10_000), Action::Idle);
    engine.on_result(first.job, first.row, SendResult::Created, 10_000);
    assert_eq!(engine.job(1).map(|j| j.counts().created), Some(1));
    assert_eq!(
        engine.job(1).map(Job::reason),
        Some(Some(PauseReason::Requested))
    );
    assert!(!engine.resume(2));
    assert!(engine.resume(1));
    let Action::Send(second) = engine.poll(10_000) else {
        panic!()
    };
    assert!(engine.cancel(1));
    assert!(!engine.cancel(1));
    assert!(!engine.pause(1));
    assert!(!engine.resume(1));
    assert_eq!(engine.poll(20_000), Action::Idle);
    engine.on_result(second.job, second.row, SendResult::Created, 20_000);
    let job = engine.job(1).unwrap();
    assert_eq!(job.status(), JobStatus::Cancelled);
    assert_eq!((job.counts().created, job.counts().pending), (2, 98));
}

#[test]
fn retry_failed_sends_failed_rows_again() {
    let mut engine = Engine::new(Config {
        max_attempts: 1,
        ..unpaced()
    });
    engine.add_job(1, 3, &[]);
    run_at(&mut engine, 0, |s| {
        if s.row == 1 {
            SendResult::Rejected
        } else {
            SendResult::Created
        }
    });
    assert_eq!(engine.job(1).map(Job::status), Some(JobStatus::Done));
    assert_eq!(engine.retry_failed(1, 5), 1);
    assert_eq!(engine.job(1).map(Job::status), Some(JobStatus::Running));
    let sent = run_at(&mut engine, 5, |_| SendResult::Created);
    assert_eq!(sent.iter().map(|s| s.row).collect::<Vec<_>>(), [1]);
    assert_eq!(engine.job(1).map(|j| j.counts().created), Some(3));
    assert_eq!(engine.retry_failed(1, 6), 0);
}

#[test]
fn jobs_take_turns_and_share_one_pace() {
    let mut engine = Engine::new(Config {
        rate_per_minute: 60,
        ..Config::default()
    });
    engine.add_job(1, 3, &[]);
    engine.add_job(2, 3, &[]);
    let mut now = 0;
    let mut order = Vec::new();
    loop {
        match engine.poll(now) {
            Action::Send(s) => {
                order.push((s.job, now));
                engine.on_result(s.job, s.row, SendResult::Created, now);
            }
            Action::Wait(at) => now = at,
            Action::Idle => break,
        }
    }
    let interval = engine.pace().interval();
    let expected: Vec<(JobKey, Millis)> = [1, 2, 1, 2, 1, 2]
        .into_iter()
        .zip((0..6).map(|i| i * interval))
        .collect();
    assert_eq!(order, expected);
}

#[test]
fn single_creates_take_slots_from_the_same_pace() {
    let mut engine = Engine::new(Config {
        rate_per_minute: 60,
        ..Config::default()
    });
    engine.add_job(1, 1, &[]);
    assert_eq!(engine.reserve(0), 0);
    assert_eq!(engine.poll(0), Action::Wait(1_010));
    assert_eq!(engine.reserve(0), 1_010);
    assert_eq!(engine.poll(1_010), Action::Wait(2_020));
}

#[test]
fn in_flight_calls_are_bounded() {
    let mut engine = Engine::new(Config {
        max_in_flight: 2,
        ..unpaced()
    });
    engine.add_job(1, 5, &[]);
    let a = engine.poll(0);
    let b = engine.poll(0);
    assert!(matches!((a, b), (Action::Send(_), Action::Send(_))));
    assert_eq!(engine.poll(0), Action::Idle);
    let Action::Send(a) = a else { panic!() };
    engine.on_result(a.job, a.row, SendResult::Created, 1);
    assert!(matches!(engine.poll(1), Action::Send(_)));
}

#[test]
fn results_for_rows_not_in_flight_are_ignored() {
    let mut engine = Engine::new(unpaced());
    engine.add_job(1, 2, &[]);
    engine.on_result(1, 0, SendResult::Created, 0);
    engine.on_result(9, 0, SendResult::Created, 0);
    engine.on_result(1, 99, SendResult::Created, 0);
    assert_eq!(engine.job(1).map(|j| j.counts().pending), Some(2));
    let Action::Send(s) = engine.poll(0) else {
        panic!()
    };
    engine.on_result(s.job, s.row, SendResult::Created, 0);
    engine.on_result(s.job, s.row, SendResult::Rejected, 0);
    assert_eq!(
        engine.job(1).and_then(|j| j.row(s.row)),
        Some(RowState::Created)
    );
}

#[test]
fn eta_follows_the_pace_and_the_jobs_sharing_it() {
    let mut engine = Engine::new(Config {
        rate_per_minute: 300,
        ..Config::default()
    });
    engine.add_job(1, 100, &[]);
    assert_eq!(engine.eta(1), Some(100 * 202));
    engine.add_job(2, 10, &[]);
    assert_eq!(engine.eta(1), Some(100 * 202 * 2));
    engine.pause(2);
    assert_eq!(engine.eta(2), None);
    assert_eq!(Engine::new(unpaced()).eta(1), None);
}

#[test]
fn a_restart_keeps_the_spacing_of_the_last_call() {
    let mut engine = Engine::new(Config {
        rate_per_minute: 60,
        ..Config::default()
    });
    engine.restore_pace(0, 0, 500);
    engine.add_job(1, 1, &[]);
    assert_eq!(engine.poll(500), Action::Wait(1_510));
    // A stored hold (a 429 before the restart) is kept.
    let mut engine = Engine::new(unpaced());
    engine.restore_pace(0, 9_000, 500);
    engine.add_job(1, 1, &[]);
    assert_eq!(engine.poll(500), Action::Wait(9_000));
    assert_eq!(engine.pace_state(), (9_000, 9_000));
}

#[test]
fn names_round_trip() {
    for s in RowStatus::ALL {
        assert_eq!(RowStatus::from_name(s.as_str()), Some(s));
    }
    for s in [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Paused,
        JobStatus::Done,
        JobStatus::Cancelled,
    ] {
        assert_eq!(JobStatus::from_name(s.as_str()), Some(s));
    }
    for r in [
        PauseReason::Requested,
        PauseReason::RateLimited,
        PauseReason::UpstreamUnauthorized,
        PauseReason::UpstreamForbidden,
        PauseReason::UpstreamFailing,
    ] {
        assert_eq!(PauseReason::from_name(r.as_str()), Some(r));
    }
    assert_eq!(JobStatus::from_name("nope"), None);
}

// ---- simulation -----------------------------------------------------------

/// What the simulated provider does with one call.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Creates the user (or finds it) and answers.
    Answer,
    /// 429 with this many milliseconds.
    RateLimited(Millis),
    /// 500 before doing anything.
    ErrorBefore,
    /// Creates the user, then answers 500.
    ErrorAfter,
    /// The request never arrives; no answer.
    LostBefore,
    /// Creates the user; the answer is lost (a timeout).
    LostAfter,
    /// 401 (a key fixed by the time someone resumes).
    Unauthorized,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::Answer),
        1 => (1u64..5_000).prop_map(Fault::RateLimited),
        1 => Just(Fault::ErrorBefore),
        1 => Just(Fault::ErrorAfter),
        1 => Just(Fault::LostBefore),
        1 => Just(Fault::LostAfter),
        1 => Just(Fault::Unauthorized),
    ]
}

/// A job's rows as the Durable Object would store them, and the provider's
/// users, with the engine between them.
struct Sim {
    config: Config,
    engine: Engine,
    now: Millis,
    stored: BTreeMap<JobKey, (JobStatus, Option<PauseReason>, Vec<RowState>)>,
    /// How many times the provider created each (job, row).
    created: HashMap<(JobKey, u32), u32>,
    /// Instants the provider received a call (job rows and single creates).
    arrivals: Vec<Millis>,
    /// Calls in flight: when they end, with what.
    flying: Vec<(Millis, Send, Option<SendResult>)>,
    faults: Vec<Fault>,
    next_fault: usize,
    latencies: Vec<Millis>,
    /// Sends of a row whose stored state was final (must stay empty).
    settled_sends: Vec<(JobKey, u32)>,
}

impl Sim {
    fn new(config: Config, jobs: &[u32], faults: Vec<Fault>, latencies: Vec<Millis>) -> Sim {
        let mut engine = Engine::new(config.clone());
        let mut stored = BTreeMap::new();
        for (i, &rows) in jobs.iter().enumerate() {
            let key = i as JobKey + 1;
            // Every fifth row failed validation.
            let settled: Vec<(u32, RowState)> = (0..rows)
                .filter(|r| r % 5 == 4)
                .map(|r| (r, RowState::Invalid))
                .collect();
            engine.add_job(key, rows, &settled);
            let mut states = vec![RowState::FRESH; rows as usize];
            for (r, s) in settled {
                states[r as usize] = s;
            }
            stored.insert(key, (JobStatus::Queued, None, states));
        }
        let mut sim = Sim {
            config,
            engine,
            now: 0,
            stored,
            created: HashMap::new(),
            arrivals: Vec::new(),
            flying: Vec::new(),
            faults,
            next_fault: 0,
            latencies,
            settled_sends: Vec::new(),
        };
        sim.store();
        sim
    }

    fn store(&mut self) {
        for change in self.engine.take_changes() {
            match change {
                Change::Row { job, row, state } => {
                    if let Some(entry) = self.stored.get_mut(&job) {
                        entry.2[row as usize] = state;
                    }
                }
                Change::Job {
                    job,
                    status,
                    reason,
                } => {
                    if let Some(entry) = self.stored.get_mut(&job) {
                        entry.0 = status;
                        entry.1 = reason;
                    }
                }
            }
        }
    }

    fn draw(&mut self) -> (Fault, Millis) {
        let i = self.next_fault;
        self.next_fault += 1;
        let fault = if self.faults.is_empty() {
            Fault::Answer
        } else {
            self.faults[i % self.faults.len()]
        };
        // Faults run out after a while, as real outages end.
        let fault = if i >= 4 * self.faults.len() {
            Fault::Answer
        } else {
            fault
        };
        let latency = self
            .latencies
            .get(i % self.latencies.len().max(1))
            .copied()
            .unwrap_or(50);
        (fault, latency)
    }

    /// The provider receives a call at `self.now`; what reaches the engine.
    fn provider(&mut self, send: &Send, fault: Fault) -> Option<SendResult> {
        let key = (send.job, send.row);
        let exists = self.created.get(&key).copied().unwrap_or(0) > 0;
        if !matches!(fault, Fault::LostBefore) {
            self.arrivals.push(self.now);
        }
        let create = |sim: &mut Sim| {
            if exists {
                SendResult::AlreadyExists
            } else {
                *sim.created.entry(key).or_insert(0) += 1;
                SendResult::Created
            }
        };
        match fault {
            Fault::Answer => Some(create(self)),
            Fault::RateLimited(ms) => Some(SendResult::RateLimited { retry_after: ms }),
            Fault::ErrorBefore => Some(SendResult::ServerError),
            Fault::ErrorAfter => {
                create(self);
                Some(SendResult::ServerError)
            }
            Fault::LostBefore => None,
            Fault::LostAfter => {
                create(self);
                None
            }
            Fault::Unauthorized => Some(SendResult::Unauthorized),
        }
    }

    /// Sends what the engine offers now.
    fn pump(&mut self) -> Option<Millis> {
        loop {
            match self.engine.poll(self.now) {
                Action::Send(send) => {
                    // The claim is stored before the call leaves.
                    self.store();
                    let (_, _, rows) = &self.stored[&send.job];
                    if !matches!(rows[send.row as usize], RowState::InFlight { .. }) {
                        panic!("sent without a stored claim: {send:?}");
                    }
                    if self
                        .flying
                        .iter()
                        .any(|f| (f.1.job, f.1.row) == (send.job, send.row))
                    {
                        panic!("sent while already in flight: {send:?}");
                    }
                    let (fault, latency) = self.draw();
                    let result = self.provider(&send, fault);
                    self.flying.push((self.now + latency, send, result));
                }
                Action::Wait(at) => return Some(at),
                Action::Idle => return None,
            }
        }
    }

    /// The Durable Object dies: calls in flight are lost (the provider
    /// already did what it did), memory is rebuilt from storage.
    fn restart(&mut self) {
        self.flying.clear();
        self.engine = Engine::new(self.config.clone());
        self.engine.restore_pace(0, 0, self.now);
        for (&key, (status, reason, rows)) in &self.stored {
            self.engine
                .restore(key, *status, *reason, 0, rows.clone(), self.now);
        }
        self.store();
    }

    /// Runs until every job is done, resuming paused jobs as an operator
    /// would; `restarts` are instants of death.
    fn run(&mut self, restarts: &[Millis]) {
        let mut restarts: Vec<Millis> = restarts.to_vec();
        restarts.sort_unstable();
        restarts.reverse();
        for _ in 0..100_000 {
            let wait = self.pump();
            let next_landing = self.flying.iter().map(|f| f.0).min();
            let next = match (wait, next_landing) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let Some(next) = next else {
                // Nothing scheduled: resume anything paused, or finish.
                let paused: Vec<JobKey> = self
                    .engine
                    .jobs()
                    .iter()
                    .filter(|j| j.status() == JobStatus::Paused)
                    .map(Job::key)
                    .collect();
                if paused.is_empty() {
                    return;
                }
                for key in paused {
                    self.engine.resume(key);
                }
                self.store();
                continue;
            };
            if restarts.last().is_some_and(|&r| r <= next) {
                self.now = self.now.max(restarts.pop().unwrap_or(0));
                self.restart();
                continue;
            }
            self.now = self.now.max(next);
            let (landed, flying): (Vec<_>, Vec<_>) =
                self.flying.drain(..).partition(|f| f.0 <= self.now);
            self.flying = flying;
            for (_, send, result) in landed {
                let stored = self.stored[&send.job].2[send.row as usize];
                if !matches!(stored, RowState::InFlight { .. }) {
                    self.settled_sends.push((send.job, send.row));
                }
                let result = result.unwrap_or(SendResult::NoAnswer);
                self.engine.on_result(send.job, send.row, result, self.now);
                self.store();
            }
        }
        panic!("the simulation did not settle");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No row is created twice or sent while settled, none is lost, every
    /// stored state agrees with the provider, and the pace is never
    /// exceeded — through random faults and restarts.
    #[test]
    fn faults_and_restarts_never_duplicate_lose_or_speed_up(
        jobs in prop::collection::vec(1u32..40, 1..4),
        faults in prop::collection::vec(fault(), 0..30),
        latencies in prop::collection::vec(1u64..3_000, 1..10),
        restarts in prop::collection::vec(0u64..120_000, 0..4),
        rate in prop_oneof![Just(0u32), Just(60), Just(300), 1u32..1_000],
        max_in_flight in 1u32..6,
    ) {
        let config = Config {
            rate_per_minute: rate,
            max_in_flight,
            max_attempts: 3,
            backoff: 500,
            max_backoff: 4_000,
            pause_after_failures: 5,
        };
        let mut sim = Sim::new(config, &jobs, faults, latencies);
        sim.run(&restarts);

        // Created at most once, and never sent once settled.
        prop_assert!(sim.created.values().all(|&n| n == 1), "{:?}", sim.created);
        prop_assert!(sim.settled_sends.is_empty(), "{:?}", sim.settled_sends);
        let mut seen = HashSet::new();
        for (&key, (status, _, rows)) in &sim.stored {
            prop_assert_eq!(*status, JobStatus::Done);
            let job = sim.engine.job(key).unwrap();
            prop_assert_eq!(job.rows(), &rows[..], "memory and storage agree");
            let mut counts = Counts { total: rows.len() as u32, ..Counts::default() };
            for (row, state) in rows.iter().enumerate() {
                *counts.slot(state.status()) += 1;
                let exists = sim.created.contains_key(&(key, row as u32));
                match state {
                    // None lost: every row reached a final state.
                    RowState::Pending { .. } | RowState::InFlight { .. } => {
                        prop_assert!(false, "row {row} of job {key} left {state:?}");
                    }
                    RowState::Created | RowState::AlreadyExists { .. } => prop_assert!(exists),
                    RowState::Invalid => prop_assert!(!exists && row % 5 == 4),
                    RowState::Refused | RowState::Failed(FailReason::Rejected) => {
                        prop_assert!(!exists)
                    }
                    // Every attempt failed; one of them may have created it.
                    RowState::Failed(_) => {}
                }
                seen.insert((key, row));
            }
            prop_assert_eq!(job.counts(), counts);
        }
        // The pace: any `rate + 1` consecutive arrivals span at least a minute.
        if rate > 0 {
            let mut arrivals = sim.arrivals.clone();
            arrivals.sort_unstable();
            let n = rate as usize;
            for w in arrivals.windows(n + 1) {
                prop_assert!(w[n] - w[0] >= 60_000, "{} calls within {} ms", n + 1, w[n] - w[0]);
            }
            let interval = Pace::per_minute(rate).interval();
            for w in arrivals.windows(2) {
                prop_assert!(w[1] - w[0] >= interval, "{} ms apart, interval {interval}", w[1] - w[0]);
            }
        }
    }
}

#[test]
fn a_thousand_rows_at_partoo_pace_take_about_two_hundred_seconds() {
    let mut sim = Sim::new(Config::default(), &[1_000], Vec::new(), vec![80]);
    sim.run(&[]);
    // 800 valid rows (every fifth is invalid), 202 ms apart.
    assert_eq!(sim.arrivals.len(), 800);
    let span = sim.arrivals[799] - sim.arrivals[0];
    assert_eq!(span, 799 * 202);
    let per_minute = 799.0 * 60_000.0 / span as f64;
    assert!((297.0..=300.0).contains(&per_minute), "{per_minute}");
}
