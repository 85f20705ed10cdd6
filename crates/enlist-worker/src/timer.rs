//! Timers that never panic and never outlive their use.
//!
//! workerd allows 10,000 active timers per invocation (a request, or one
//! run of a Durable Object's alarm). `AbortSignal.timeout()` holds its timer
//! until it fires, even after the call it guarded has answered, so an import
//! runner that sent thousands of rows in one alarm ran out of timers; and
//! `worker::Delay` unwraps `setTimeout`, so the next wait aborted the whole
//! isolate in the middle of the alarm, whose promise then never settled.
//!
//! A [`Timer`] clears its timeout when dropped and reports a refused
//! `setTimeout` as an error; [`with_timeout`] races a future against one, so
//! the timer lives exactly as long as the call it guards.
//!
//! ```no_run
//! # async fn demo() -> Result<(), enlist_worker::timer::TimerUnavailable> {
//! use enlist_worker::timer::Timer;
//! Timer::after(250)?.await; // a quarter of a second
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::{select, Either};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, web_sys};

/// `setTimeout` refused a timer (workerd's limit of active timers, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerUnavailable;

impl std::fmt::Display for TimerUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no timer is available")
    }
}

impl std::error::Error for TimerUnavailable {}

impl From<TimerUnavailable> for worker::Error {
    fn from(_: TimerUnavailable) -> Self {
        worker::Error::RustError("timer_unavailable".into())
    }
}

/// A wait of some milliseconds; its timeout is cleared if it is dropped
/// before it fires.
///
/// ```no_run
/// # async fn demo() -> worker::Result<()> {
/// use enlist_worker::timer::Timer;
/// Timer::after(1_000)?.await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Timer {
    id: i32,
    fired: JsFuture,
    done: bool,
}

impl Timer {
    /// Starts a timer of `ms` milliseconds (at most `i32::MAX`).
    ///
    /// # Errors
    /// [`TimerUnavailable`] when the runtime refuses another timer.
    pub fn after(ms: u64) -> Result<Timer, TimerUnavailable> {
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let delay = i32::try_from(ms).unwrap_or(i32::MAX);
        let mut id = Err(TimerUnavailable);
        // The promise's own `resolve` is the callback: no Rust closure is
        // kept alive for the runtime to call.
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            id = global
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, delay)
                .map_err(|_| TimerUnavailable);
        });
        Ok(Timer {
            id: id?,
            fired: JsFuture::from(promise),
            done: false,
        })
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match Pin::new(&mut self.fired).poll(cx) {
            Poll::Ready(_) => {
                self.done = true;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if !self.done {
            let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
            global.clear_timeout_with_handle(self.id);
        }
    }
}

/// Why [`with_timeout`] gave no output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elapsed {
    /// The time ran out first; the future was dropped.
    TimedOut,
    /// No timer could be started; the future was not polled.
    NoTimer,
}

/// Runs `future` for at most `ms` milliseconds; the timer is cleared as soon
/// as the future is done.
///
/// ```no_run
/// # async fn demo() {
/// use enlist_worker::timer::{with_timeout, Elapsed};
/// let answer = with_timeout(async { 42 }, 1_000).await;
/// assert_eq!(answer, Ok(42));
/// # }
/// ```
///
/// # Errors
/// [`Elapsed::TimedOut`] when the time ran out, [`Elapsed::NoTimer`] when
/// the runtime refused a timer.
pub async fn with_timeout<F: Future>(future: F, ms: u64) -> Result<F::Output, Elapsed> {
    let timer = Timer::after(ms).map_err(|_| Elapsed::NoTimer)?;
    let future = std::pin::pin!(future);
    match select(future, timer).await {
        Either::Left((output, _timer)) => Ok(output),
        Either::Right(((), _future)) => Err(Elapsed::TimedOut),
    }
}
