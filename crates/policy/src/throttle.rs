//! Adaptive client throttling, as in Google's SRE book ("Handling Overload",
//! "Client-side throttling"): each client remembers, over the last
//! `throttle.window_ms`, how many requests its application asked to send
//! (`requests`, local rejections included) and how many the backend accepted
//! (`accepts`), and rejects a new request locally, without sending it, with
//! probability
//!
//! | formula | meaning |
//! |---|---|
//! | `p = max(0, (requests − K·accepts) / (requests + 1))` | [`reject_probability`] |
//!
//! With `K = 2` (`throttle.k`) a client sends freely while at least half of
//! its requests are accepted; beyond that the excess is dropped at the
//! client, so a struggling backend sees about `K × accepts` requests.
//! A call whose attempt is rejected locally fails at once
//! ([`crate::GaveUp::ThrottledLocally`]), as the book's client "fails the
//! request locally": retrying it would only ask the throttle again.
//!
//! - `requests` counts every attempt the policy wanted to send (before the
//!   draw, so the rejected one counts too, as in the book);
//! - an attempt is *accepted* when a response other than 429 or 503 came
//!   back: a 429/503 is the backend refusing work, a timeout or a reset is
//!   work it did not finish.
//!
//! Each client keeps its own counts (`throttle.scope = client`, the book's
//! "client task"); with `shared` the run's driver gives every client the
//! same throttle (see [`crate::ClientState::swap_throttle`]), for clients
//! that stand for the users of one service rather than for services.
//!
//! The window is ten slots of `window_ms / 10` (it moves in tenths, like the
//! ratio budget); `window_ms = 0` counts since the start. The draw that
//! decides a rejection is a uniform `u` in `[0, 1)` passed in: reject when
//! `u < p`.
//!
//! ```
//! use policy::throttle::{reject_probability, Throttle, ThrottleConfig, ThrottleKind};
//! assert_eq!(reject_probability(10, 5, 2.0), 0.0);
//! assert_eq!(reject_probability(10, 0, 2.0), 10.0 / 11.0);
//! let config = ThrottleConfig { kind: ThrottleKind::Adaptive, ..ThrottleConfig::default() };
//! let mut throttle = Throttle::new(&config);
//! assert!(throttle.admit(0, 0.5)); // p = 0 before any request
//! assert!(!throttle.admit(1, 0.1)); // 1 request, 0 accepts: p = 1/2
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};

crate::choices! {
    /// `throttle.kind`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ThrottleKind {
        /// Every attempt is sent.
        #[default]
        None = "none",
        /// The SRE book's adaptive throttling (see the module docs).
        Adaptive = "adaptive",
    }
}

crate::choices! {
    /// `throttle.scope`: whose requests one throttle counts.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ThrottleScope {
        /// Each client counts its own requests (the book's client task).
        #[default]
        Client = "client",
        /// One throttle for all the clients of a run, as if they were the
        /// requests of one client task (many users behind one service).
        Shared = "shared",
    }
}

/// `throttle.*`: adaptive client throttling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThrottleConfig {
    pub kind: ThrottleKind,
    /// `throttle.k`: K of the formula; larger lets more through.
    pub k: f64,
    /// `throttle.window_ms`: the history the counts cover; 0 = since the start.
    pub window_ms: u64,
    /// `throttle.scope`: one throttle per client, or one for all.
    pub scope: ThrottleScope,
}

impl Default for ThrottleConfig {
    /// Off; K = 2 and a two-minute window, the book's values.
    fn default() -> Self {
        ThrottleConfig {
            kind: ThrottleKind::None,
            k: 2.0,
            window_ms: 120_000,
            scope: ThrottleScope::Client,
        }
    }
}

/// `max(0, (requests − k·accepts) / (requests + 1))`, in `[0, 1)`. A `k`
/// that is not finite counts as 0 (reject in proportion to the requests).
pub fn reject_probability(requests: u64, accepts: u64, k: f64) -> f64 {
    let k = if k.is_finite() { k.max(0.0) } else { 0.0 };
    let requests = requests as f64;
    ((requests - k * accepts as f64) / (requests + 1.0)).max(0.0)
}

const SLOTS: usize = 10;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    index: u64,
    requests: u64,
    accepts: u64,
}

/// One client's throttle: the windowed counts. Time and the draw are passed in.
#[derive(Clone, Debug)]
pub struct Throttle {
    /// Shared by every client of a run ([`Throttle::shared`]).
    config: Arc<ThrottleConfig>,
    /// `SLOTS` slots when on, none when off (never read then).
    slots: Box<[Slot]>,
}

impl Throttle {
    /// A throttle with no history (it lets everything through at first).
    pub fn new(config: &ThrottleConfig) -> Throttle {
        Throttle::shared(Arc::new(config.clone()))
    }

    /// Empty counts; the settings are `config`, not a copy of them.
    pub fn shared(config: Arc<ThrottleConfig>) -> Throttle {
        let slots = if config.kind == ThrottleKind::None {
            0
        } else {
            SLOTS
        };
        Throttle {
            config,
            slots: vec![Slot::default(); slots].into_boxed_slice(),
        }
    }

    /// Whether the throttle is on at all (`throttle.kind != none`).
    pub fn is_on(&self) -> bool {
        self.config.kind != ThrottleKind::None
    }

    fn index(&self, now_ms: u64) -> u64 {
        match self.config.window_ms {
            0 => 0,
            w => now_ms / (w / SLOTS as u64).max(1),
        }
    }

    fn slot(&mut self, now_ms: u64) -> &mut Slot {
        let index = self.index(now_ms);
        let slot = &mut self.slots[(index % SLOTS as u64) as usize];
        if slot.index != index {
            *slot = Slot {
                index,
                ..Slot::default()
            };
        }
        slot
    }

    /// `(requests, accepts)` in the window ending at `now_ms`.
    pub fn counts(&self, now_ms: u64) -> (u64, u64) {
        let current = self.index(now_ms);
        let oldest = current.saturating_sub(SLOTS as u64 - 1);
        self.slots
            .iter()
            .filter(|s| s.index >= oldest && s.index <= current)
            .fold((0, 0), |(r, a), s| {
                (r.saturating_add(s.requests), a.saturating_add(s.accepts))
            })
    }

    /// The probability that a request at `now_ms` is rejected locally.
    pub fn reject_probability(&self, now_ms: u64) -> f64 {
        if !self.is_on() {
            return 0.0;
        }
        let (requests, accepts) = self.counts(now_ms);
        reject_probability(requests, accepts, self.config.k)
    }

    /// Counts a request at `now_ms` and decides it with the uniform `u`:
    /// `true` = send it, `false` = rejected locally (`u < p`). Always `true`
    /// (and nothing counted) when the throttle is off.
    pub fn admit(&mut self, now_ms: u64, u: f64) -> bool {
        if !self.is_on() {
            return true;
        }
        let p = self.reject_probability(now_ms);
        let slot = self.slot(now_ms);
        slot.requests = slot.requests.saturating_add(1);
        u >= p
    }

    /// The backend accepted a request (see the module docs).
    pub fn on_accept(&mut self, now_ms: u64) {
        if self.is_on() {
            let slot = self.slot(now_ms);
            slot.accepts = slot.accepts.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_forgets_old_counts() {
        let config = ThrottleConfig {
            kind: ThrottleKind::Adaptive,
            k: 2.0,
            window_ms: 1000,
            scope: ThrottleScope::Client,
        };
        let mut t = Throttle::new(&config);
        for _ in 0..10 {
            t.admit(0, 0.99);
        }
        assert_eq!(t.counts(0), (10, 0));
        assert_eq!(t.counts(950), (10, 0));
        // Ten slots of 100 ms: at 1000 ms the slot of 0 ms has left the window.
        assert_eq!(t.counts(1000), (0, 0));
        assert_eq!(t.reject_probability(1000), 0.0);
    }

    #[test]
    fn knobs_round_trip_and_bad_values_are_named() {
        let mut c = crate::PolicyConfig::default();
        c.set("throttle.kind", "adaptive").unwrap();
        c.set("throttle.k", "1.5").unwrap();
        assert_eq!(c.throttle.kind, ThrottleKind::Adaptive);
        assert_eq!(c.get("throttle.kind").as_deref(), Some("adaptive"));
        assert_eq!(c.get("throttle.k").as_deref(), Some("1.5"));
        let err = c.set("throttle.k", "0.5").unwrap_err().to_string();
        assert!(err.contains("throttle.k"), "{err}");
        assert_eq!(c.throttle.k, 1.5);
    }
}
