//! Spacing calls to a provider's budget: a cell-rate pacer with no burst.
//!
//! Each call takes a slot; slots are at least one interval apart, the
//! interval being a minute divided by the rate and then widened by
//! [`Pace::MARGIN_PER_MILLE`] so that network jitter between sender and
//! provider cannot push two calls of one minute into the next. So no window
//! of 60 seconds ever holds more than `rate_per_minute` calls, and a pacer
//! that is kept busy runs about 1 % under the budget.
//!
//! ```
//! use enlist_core::imports::Pace;
//!
//! let mut pace = Pace::per_minute(300);
//! assert_eq!(pace.interval(), 202); // 200 ms plus the margin
//! assert_eq!(pace.reserve(1_000), 0); // a free slot now
//! assert_eq!(pace.reserve(1_000), 202); // the next one 202 ms later
//! assert_eq!(pace.earliest(1_000), 1_404);
//! ```

/// Milliseconds (an instant on the caller's clock, or a duration).
pub type Millis = u64;

/// Slots for calls to one provider budget (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pace {
    interval: Millis,
    /// The earliest instant of the next slot ("theoretical arrival time").
    next: Millis,
    /// No slot before this instant (a provider asked to wait).
    hold_until: Millis,
}

impl Pace {
    /// How much wider than `60 000 / rate` ms each interval is, in thousandths.
    pub const MARGIN_PER_MILLE: u64 = 10;

    /// A pacer for `rate_per_minute` calls a minute; `0` means no pacing.
    ///
    /// ```
    /// use enlist_core::imports::Pace;
    /// assert_eq!(Pace::per_minute(0).interval(), 0);
    /// assert_eq!(Pace::per_minute(7).interval(), 8_658);
    /// ```
    pub fn per_minute(rate_per_minute: u32) -> Pace {
        let interval = if rate_per_minute == 0 {
            0
        } else {
            let per_call = 60_000 * (1_000 + Self::MARGIN_PER_MILLE);
            per_call.div_ceil(1_000 * u64::from(rate_per_minute))
        };
        Pace {
            interval,
            next: 0,
            hold_until: 0,
        }
    }

    /// The spacing between two slots in milliseconds (0: unpaced).
    pub fn interval(&self) -> Millis {
        self.interval
    }

    /// The calls a minute this pacer allows at most (`0`: unpaced).
    pub fn calls_per_minute(&self) -> u32 {
        60_000u64
            .checked_div(self.interval)
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The earliest instant, at or after `now`, a call may be made.
    pub fn earliest(&self, now: Millis) -> Millis {
        now.max(self.next).max(self.hold_until)
    }

    /// Takes the earliest slot and answers how long to wait for it (0: now).
    pub fn reserve(&mut self, now: Millis) -> Millis {
        let slot = self.earliest(now);
        self.next = slot.saturating_add(self.interval);
        slot - now
    }

    /// Takes a slot at `now` if one is free; `false` leaves the pacer as it was.
    pub fn try_take(&mut self, now: Millis) -> bool {
        if self.earliest(now) > now {
            return false;
        }
        self.next = now.saturating_add(self.interval);
        true
    }

    /// No slot before `until` (a provider's `Retry-After`).
    pub fn hold(&mut self, until: Millis) {
        self.hold_until = self.hold_until.max(until);
    }

    /// The instant set by [`hold`](Pace::hold) (0 when never held).
    pub fn held_until(&self) -> Millis {
        self.hold_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_an_interval_apart_and_never_burst() {
        let mut pace = Pace::per_minute(300);
        assert!(pace.try_take(0));
        assert!(!pace.try_take(201));
        assert!(pace.try_take(202));
        // Idle for a long time gives one slot, not a burst to catch up.
        assert!(pace.try_take(100_000));
        assert!(!pace.try_take(100_001));
    }

    #[test]
    fn reservations_queue_behind_each_other() {
        let mut pace = Pace::per_minute(60);
        let waits: Vec<_> = (0..4).map(|_| pace.reserve(10)).collect();
        assert_eq!(waits, [0, 1_010, 2_020, 3_030]);
        assert!(!pace.try_take(3_000));
    }

    #[test]
    fn a_hold_delays_every_slot() {
        let mut pace = Pace::per_minute(0);
        assert!(pace.try_take(5));
        assert!(pace.try_take(5));
        pace.hold(1_000);
        pace.hold(500); // an earlier hold never shortens a later one
        assert_eq!(pace.earliest(5), 1_000);
        assert!(!pace.try_take(999));
        assert!(pace.try_take(1_000));
        assert_eq!(pace.held_until(), 1_000);
    }

    #[test]
    fn rates_never_exceed_the_budget_in_any_minute() {
        for rate in [1, 7, 60, 299, 300, 301, 1_000, 60_000, 100_000] {
            let mut pace = Pace::per_minute(rate);
            let mut now = 0;
            let mut slots = Vec::new();
            while slots.len() < 3 * rate.min(5_000) as usize {
                now += pace.reserve(now);
                slots.push(now);
            }
            // Any `rate + 1` consecutive slots span more than a minute.
            let n = rate as usize;
            for pair in slots.windows(n + 1) {
                assert!(pair[n] - pair[0] >= 60_000, "rate {rate}");
            }
            assert!(pace.calls_per_minute() <= rate, "rate {rate}");
        }
    }
}
