//! The circuit breaker, shared by all calls of one client.
//!
//! - **Closed**: attempts pass; outcomes are recorded. It opens when
//!   - `consecutive`: consecutive failures `> breaker.threshold` (the seed's
//!     `failures > 3`: with the default 3, the 4th consecutive failure trips
//!     it; a success resets the count);
//!   - `ratio_count`: among the last `breaker.window_count` attempts, at least
//!     `breaker.min_throughput` and `failures / attempts ≥ breaker.failure_ratio`;
//!   - `ratio_time`: the same over the attempts that ended in the last
//!     `breaker.window_ms`.
//!
//!   The ratio is checked when a failure is recorded.
//! - **Open** for `breaker.open_ms`: every attempt is refused (fail fast; the
//!   call gives up with [`crate::GaveUp::BreakerOpen`] without sending).
//! - **Half-open** afterwards: `breaker.half_open_probes` attempts pass as
//!   probes; when all of them succeed it closes, any failure reopens it. Other
//!   attempts are refused meanwhile. A probe that never reports an outcome
//!   (no timeout) keeps it half-open.
//!
//! Failures are network errors, timeouts, 5xx and 429
//! ([`crate::classify::is_breaker_failure`]); any other outcome is a success.
//! Outcomes of attempts let through before the last state change are ignored
//! (each permit carries the breaker's epoch).
//!
//! ```
//! use policy::breaker::{Breaker, BreakerState};
//! use policy::{BreakerKind, PolicyConfig};
//!
//! let mut config = PolicyConfig::default().breaker;
//! config.kind = BreakerKind::Consecutive; // threshold 3, open 5000 ms, 1 probe
//! let mut breaker = Breaker::new(&config);
//! for t in 0..4 {
//!     let permit = breaker.permit(t).unwrap();
//!     breaker.on_outcome(t, permit, true);
//! }
//! assert_eq!(breaker.state(10), BreakerState::Open { until_ms: 5003 });
//! assert!(breaker.permit(10).is_none()); // fail fast
//! let probe = breaker.permit(5003).unwrap();
//! assert!(probe.probe);
//! breaker.on_outcome(5004, probe, false);
//! assert_eq!(breaker.state(5004), BreakerState::Closed);
//! ```

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{BreakerConfig, BreakerKind};

/// The state of a circuit breaker, as the UI's band shows it.
///
/// JSON: `"Closed"`, `{"Open":{"until_ms":5000}}`, `{"HalfOpen":{"probes_left":1}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BreakerState {
    /// Attempts pass.
    Closed,
    /// Attempts are refused until `until_ms`.
    Open { until_ms: u64 },
    /// `probes_left` more probe attempts may pass.
    HalfOpen { probes_left: u32 },
}

/// Leave to send one attempt, from [`Breaker::permit`]. Hand it back with the
/// attempt's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permit {
    /// The attempt is a half-open probe.
    pub probe: bool,
    /// The breaker's state change counter when the permit was given.
    pub epoch: u64,
}

/// A circuit breaker. Time is passed in; state changes are collected as
/// events (see [`Breaker::take_changes`]).
#[derive(Clone, Debug)]
pub struct Breaker {
    /// Shared by every client of a run ([`Breaker::shared`]).
    config: Arc<BreakerConfig>,
    state: BreakerState,
    epoch: u64,
    consecutive_failures: u32,
    /// Recent attempts: (ended at ms, failed).
    window: VecDeque<(u64, bool)>,
    probes_succeeded: u32,
    changes: Vec<(u64, BreakerState)>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: &BreakerConfig) -> Breaker {
        Breaker::shared(Arc::new(config.clone()))
    }

    /// A closed breaker whose settings are `config`, not a copy of them.
    pub fn shared(config: Arc<BreakerConfig>) -> Breaker {
        Breaker {
            config,
            state: BreakerState::Closed,
            epoch: 0,
            consecutive_failures: 0,
            window: VecDeque::new(),
            probes_succeeded: 0,
            changes: Vec::new(),
        }
    }

    fn probes(&self) -> u32 {
        self.config.half_open_probes.max(1)
    }

    fn enter(&mut self, at_ms: u64, state: BreakerState) {
        self.state = state;
        self.epoch = self.epoch.wrapping_add(1);
        self.consecutive_failures = 0;
        self.window.clear();
        self.probes_succeeded = 0;
        self.changes.push((at_ms, state));
    }

    /// Moves an open breaker whose time is up to half-open (the change is
    /// dated when the open time ended, not when it is noticed).
    fn advance(&mut self, now_ms: u64) {
        if let BreakerState::Open { until_ms } = self.state {
            if now_ms >= until_ms {
                self.enter(
                    until_ms,
                    BreakerState::HalfOpen {
                        probes_left: self.probes(),
                    },
                );
            }
        }
    }

    /// The state at `now_ms`.
    pub fn state(&mut self, now_ms: u64) -> BreakerState {
        self.advance(now_ms);
        self.state
    }

    /// The state at `now_ms` without recording the open → half-open change.
    pub fn peek(&self, now_ms: u64) -> BreakerState {
        match self.state {
            BreakerState::Open { until_ms } if now_ms >= until_ms => BreakerState::HalfOpen {
                probes_left: self.probes(),
            },
            state => state,
        }
    }

    /// Asks to send an attempt at `now_ms`: `None` means refused (open, or
    /// half-open with no probe left).
    pub fn permit(&mut self, now_ms: u64) -> Option<Permit> {
        if self.config.kind == BreakerKind::None {
            return Some(Permit {
                probe: false,
                epoch: self.epoch,
            });
        }
        self.advance(now_ms);
        match self.state {
            BreakerState::Closed => Some(Permit {
                probe: false,
                epoch: self.epoch,
            }),
            BreakerState::Open { .. } => None,
            BreakerState::HalfOpen { probes_left } => {
                let probes_left = probes_left.checked_sub(1)?;
                self.state = BreakerState::HalfOpen { probes_left };
                Some(Permit {
                    probe: true,
                    epoch: self.epoch,
                })
            }
        }
    }

    /// Records the outcome of an attempt sent with `permit`; `failed` as
    /// [`crate::classify::is_breaker_failure`] says.
    pub fn on_outcome(&mut self, now_ms: u64, permit: Permit, failed: bool) {
        if self.config.kind == BreakerKind::None {
            return;
        }
        self.advance(now_ms);
        if permit.epoch != self.epoch {
            return;
        }
        match self.state {
            BreakerState::Open { .. } => {}
            BreakerState::HalfOpen { .. } => {
                if failed {
                    self.open(now_ms);
                } else {
                    self.probes_succeeded = self.probes_succeeded.saturating_add(1);
                    if self.probes_succeeded >= self.probes() {
                        self.enter(now_ms, BreakerState::Closed);
                    }
                }
            }
            BreakerState::Closed => {
                if self.record(now_ms, failed) {
                    self.open(now_ms);
                }
            }
        }
    }

    fn open(&mut self, now_ms: u64) {
        self.enter(
            now_ms,
            BreakerState::Open {
                until_ms: now_ms.saturating_add(self.config.open_ms),
            },
        );
    }

    /// Records an outcome while closed; true if the breaker should open.
    fn record(&mut self, now_ms: u64, failed: bool) -> bool {
        let c = &self.config;
        match c.kind {
            BreakerKind::None => false,
            BreakerKind::Consecutive => {
                self.consecutive_failures = if failed {
                    self.consecutive_failures.saturating_add(1)
                } else {
                    0
                };
                self.consecutive_failures > c.threshold
            }
            BreakerKind::RatioCount | BreakerKind::RatioTime => {
                self.window.push_back((now_ms, failed));
                if c.kind == BreakerKind::RatioCount {
                    let keep = c.window_count.max(1) as usize;
                    while self.window.len() > keep {
                        self.window.pop_front();
                    }
                } else {
                    let since = now_ms.saturating_sub(c.window_ms);
                    while self.window.front().is_some_and(|&(at, _)| at < since) {
                        self.window.pop_front();
                    }
                }
                let total = self.window.len() as u64;
                let failures = self.window.iter().filter(|&&(_, f)| f).count() as u64;
                failed
                    && total >= u64::from(c.min_throughput.max(1))
                    && failures as f64 / total as f64 >= c.failure_ratio
            }
        }
    }

    /// Whether a state change was recorded since the last [`Breaker::take_changes`].
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Takes the state changes recorded since the last call, oldest first.
    pub fn take_changes(&mut self) -> Vec<(u64, BreakerState)> {
        std::mem::take(&mut self.changes)
    }
}
