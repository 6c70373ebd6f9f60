//! When a running live run sends the page an update: every
//! [`UPDATE_EVERY_MS`], whatever happened in between. Time itself is news
//! (the bars of requests in flight grow, sleeps go on), and replies between
//! two updates travel together in the next one, however many there are. The
//! final update is the driver's, at the end, whatever the cadence says.
//!
//! ```text
//! replies:  ||||||||||||||||||||   (one every ms)
//! updates:  U       U       U      (one every 80 ms: 12.5 a second)
//! ```

/// Time between two updates of a running run, ms: 12.5 a second, so at
/// least 10 a second even when the worker's timers fire 20 ms late.
pub(crate) const UPDATE_EVERY_MS: u64 = 80;
const _: () = assert!(
    1000 / (UPDATE_EVERY_MS + 20) >= 10,
    "10 a second, 20 ms late"
);

/// The update throttle, driven by the run's clock (ms since its start).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cadence {
    /// When the next update is due; 0: at once.
    next_ms: u64,
}

impl Cadence {
    /// Whether an update goes out at `now_ms`; if so, the next one is due
    /// [`UPDATE_EVERY_MS`] later.
    pub(crate) fn poll_update(&mut self, now_ms: u64) -> bool {
        if now_ms < self.next_ms {
            return false;
        }
        self.next_ms = now_ms.saturating_add(UPDATE_EVERY_MS);
        true
    }

    /// When the next update is due, ms.
    pub(crate) fn poll_timeout(&self) -> u64 {
        self.next_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Updates a driver sends over `events` (ms, ascending): it asks the
    /// cadence after each event and wakes at its timeout in between.
    fn updates(events: &[u64], until_ms: u64) -> Vec<u64> {
        let mut cadence = Cadence::default();
        let mut sent = Vec::new();
        let mut events = events.iter().copied().peekable();
        let mut now = 0;
        while now <= until_ms {
            if cadence.poll_update(now) {
                sent.push(now);
            }
            let wake = cadence.poll_timeout();
            now = match events.peek() {
                Some(&at) if at < wake => {
                    events.next();
                    at.max(now)
                }
                _ => wake,
            };
        }
        sent
    }

    #[test]
    fn a_reply_every_ms_makes_12_updates_a_second_not_1000() {
        let replies: Vec<u64> = (0..1000).collect();
        let sent = updates(&replies, 999);
        assert_eq!(sent.len(), 13, "{sent:?}"); // 0, 80, ..., 960
        assert!(sent.windows(2).all(|w| w[1] - w[0] == UPDATE_EVERY_MS));
    }

    #[test]
    fn a_quiet_second_still_gets_10_updates() {
        // Nothing happens (every call asleep): time goes on on screen.
        let sent = updates(&[], 999);
        assert!(sent.len() >= 10, "{sent:?}");
    }

    #[test]
    fn late_wakes_never_send_two_updates_closer_than_the_period() {
        let mut cadence = Cadence::default();
        let mut sent = Vec::new();
        // Woken late and at odd times; asked twice at some instants.
        for now in [0, 0, 5, 79, 80, 80, 97, 150, 177, 178, 300, 301, 390] {
            if cadence.poll_update(now) {
                sent.push(now);
            }
        }
        assert_eq!(sent, [0, 80, 177, 300, 390]);
        assert_eq!(cadence.poll_timeout(), 470);
    }
}
