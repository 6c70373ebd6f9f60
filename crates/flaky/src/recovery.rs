//! `recovered_ms`: how long after its last trigger (the end of the last
//! outage window or arrival spike) a run is healthy again.
//!
//! Time after the trigger's end `T` is cut into whole seconds,
//! `[T + k·1000, T + (k+1)·1000)` for k = 0, 1, 2, ... The run has recovered
//! in the first such window that
//! - lies wholly within the run (it ends by the run's end and the horizon),
//!   or is the one in which the run ended because every call had finished,
//! - saw at least one call succeed, and
//! - saw calls succeed at least 90% as often as calls started:
//!   `succeeded_in_window × 10 ≥ started_in_window × 9`,
//!
//! and `recovered_ms = k · 1000` (so 0 means the first second after the
//! trigger was already healthy). A call counts where it starts and where it
//! succeeds. No such window: `None` (never recovered within the horizon; also
//! a run whose calls all ended before the trigger did). A run with no trigger
//! counts from 0 ms. Memory is one window's counts.

/// The running state of `recovered_ms`, fed in time order.
#[derive(Clone, Debug, Default)]
pub struct Recovery {
    from_ms: u64,
    window: u64,
    started: u64,
    succeeded: u64,
    recovered_ms: Option<u64>,
}

const WINDOW_MS: u64 = 1000;

impl Recovery {
    /// Measures from `from_ms`, the last trigger's end.
    pub fn from(from_ms: u64) -> Recovery {
        Recovery {
            from_ms,
            ..Recovery::default()
        }
    }

    fn healthy(&self) -> bool {
        self.succeeded > 0 && self.succeeded.saturating_mul(10) >= self.started.saturating_mul(9)
    }

    /// Moves to the window of `t_ms`, judging the one it leaves; `false`
    /// before the trigger's end or once recovered (nothing to count).
    fn reach(&mut self, t_ms: u64) -> bool {
        if self.recovered_ms.is_some() || t_ms < self.from_ms {
            return false;
        }
        let window = (t_ms - self.from_ms) / WINDOW_MS;
        if window > self.window {
            if self.healthy() {
                self.recovered_ms = Some(self.window * WINDOW_MS);
                return false;
            }
            self.window = window;
            self.started = 0;
            self.succeeded = 0;
        }
        true
    }

    /// A call started at `t_ms`.
    pub fn call_started(&mut self, t_ms: u64) {
        if self.reach(t_ms) {
            self.started += 1;
        }
    }

    /// A call succeeded at `t_ms`.
    pub fn call_succeeded(&mut self, t_ms: u64) {
        if self.reach(t_ms) {
            self.succeeded += 1;
        }
    }

    /// `recovered_ms` of a run that ended at `end_ms`, `drained` if every
    /// call had finished by then (see the [module docs](self)).
    pub fn recovered_ms(&self, end_ms: u64, drained: bool) -> Option<u64> {
        if self.recovered_ms.is_some() {
            return self.recovered_ms;
        }
        let window_end = self
            .from_ms
            .saturating_add((self.window + 1).saturating_mul(WINDOW_MS));
        let counts = window_end <= end_ms || (drained && end_ms >= self.from_ms);
        (counts && self.healthy()).then_some(self.window * WINDOW_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_healthy_whole_second_after_the_trigger() {
        let mut r = Recovery::from(5_000);
        // Before the trigger's end nothing counts.
        r.call_started(4_999);
        // Second 0 and 1: 10 calls start each, 2 succeed.
        for s in 0..2u64 {
            for i in 0..10 {
                r.call_started(5_000 + s * 1000 + i);
            }
            for i in 0..2 {
                r.call_succeeded(5_500 + s * 1000 + i);
            }
        }
        // Second 2: 10 start, 9 succeed (exactly 90%).
        for i in 0..10 {
            r.call_started(7_000 + i);
        }
        for i in 0..9 {
            r.call_succeeded(7_100 + i);
        }
        // Not yet: the window has not ended by 7,999 ms, unless the run drained.
        assert_eq!(r.recovered_ms(7_999, false), None);
        assert_eq!(r.recovered_ms(7_999, true), Some(2_000));
        assert_eq!(r.recovered_ms(8_000, false), Some(2_000));
        r.call_started(9_000);
        assert_eq!(r.recovered_ms(9_000, false), Some(2_000));
        // 8 of 10 is not enough.
        let mut r = Recovery::from(0);
        for i in 0..10 {
            r.call_started(i);
        }
        for i in 0..8 {
            r.call_succeeded(100 + i);
        }
        assert_eq!(r.recovered_ms(60_000, false), None);
        // A window where nothing succeeds is never healthy, even with no starts.
        let mut r = Recovery::from(1_000);
        r.call_succeeded(500);
        assert_eq!(r.recovered_ms(60_000, true), None);
        // Every call waited out the trigger and succeeded right after it.
        let mut r = Recovery::from(5_000);
        for i in 0..50 {
            r.call_started(i);
        }
        for i in 0..50 {
            r.call_succeeded(5_000 + i);
        }
        assert_eq!(r.recovered_ms(5_049, true), Some(0));
        assert_eq!(r.recovered_ms(5_049, false), None);
    }
}
