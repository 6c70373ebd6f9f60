//! Hedged requests ("The Tail at Scale", Dean and Barroso, CACM 2013): when
//! no answer has come `hedge.delay_ms` after the latest attempt was sent, the
//! call sends one more attempt without cancelling the first, up to
//! `hedge.max_extra` extra attempts; the first success wins and the driver
//! cancels the others.
//!
//! | knob | meaning |
//! |---|---|
//! | `hedge.delay_ms` | wait this long for an answer before hedging; 0 = never hedge |
//! | `hedge.max_extra` | at most this many hedges per call |
//!
//! Hedges count as attempts (their numbers follow the first's, and
//! `attempts.max` counts them when a retry is considered). A hedge is a
//! retry for the budget (it asks [`crate::budget::Budget::try_retry`]
//! first, as gRPC's hedging is throttled by its retry throttle): a refused
//! hedge is simply not sent. An attempt that fails while another is still
//! in flight leaves the call waiting for that one; the call retries (or
//! gives up) only when none is left in flight.
//!
//! A hedge is a second copy of the request: a non-idempotent call without
//! an idempotency key is never hedged under `retry.require_key_for_unsafe`
//! (the copy would be a duplicate create, as a retry would).
//!
//! ```
//! use policy::hedge::HedgeConfig;
//! let hedge = HedgeConfig::default();
//! assert!(!hedge.is_on());
//! let hedge = HedgeConfig { delay_ms: 300, ..hedge };
//! assert!(hedge.is_on());
//! ```

use serde::{Deserialize, Serialize};

/// `hedge.*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HedgeConfig {
    /// `hedge.delay_ms`: 0 = off.
    pub delay_ms: u64,
    /// `hedge.max_extra`: hedges per call at most.
    pub max_extra: u32,
}

impl Default for HedgeConfig {
    /// Off; one hedge per call once turned on.
    fn default() -> Self {
        HedgeConfig {
            delay_ms: 0,
            max_extra: 1,
        }
    }
}

impl HedgeConfig {
    /// Hedging happens at all.
    pub fn is_on(&self) -> bool {
        self.delay_ms > 0 && self.max_extra > 0
    }
}
