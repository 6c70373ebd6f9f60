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
//! let mut hedge = HedgeConfig::default();
//! assert!(!hedge.is_on());
//! hedge.set("hedge.delay_ms", "300").unwrap();
//! assert_eq!(hedge.get("hedge.delay_ms").as_deref(), Some("300"));
//! assert!(hedge.is_on());
//! ```

use serde::{Deserialize, Serialize};

use crate::knob::{self, KnobError, KnobKind, KnobSpec};

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

/// The knobs, listed in [`crate::PolicyConfig::knobs`].
pub const DELAY_KNOB: KnobSpec = KnobSpec {
    name: "hedge.delay_ms",
    kind: KnobKind::Int {
        min: 0,
        max: 3_600_000,
    },
    unit: "ms",
    help: "send one more attempt when no answer came this long after the last was sent (about the p95); 0 = no hedging",
};
pub const MAX_EXTRA_KNOB: KnobSpec = KnobSpec {
    name: "hedge.max_extra",
    kind: KnobKind::Int { min: 0, max: 10 },
    unit: "",
    help: "hedges per call at most; the first success wins, the others are cancelled",
};

impl HedgeConfig {
    /// Hedging happens at all.
    pub fn is_on(&self) -> bool {
        self.delay_ms > 0 && self.max_extra > 0
    }

    /// A `hedge.*` knob's value as text; `None` for another name.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "hedge.delay_ms" => self.delay_ms.to_string(),
            "hedge.max_extra" => self.max_extra.to_string(),
            _ => return None,
        })
    }

    /// Sets a `hedge.*` knob; unchanged on error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let specs = [DELAY_KNOB, MAX_EXTRA_KNOB];
        let spec = knob::find(&specs, name)?;
        let v = spec.parse_int(value)?;
        match name {
            "hedge.delay_ms" => self.delay_ms = v,
            _ => self.max_extra = u32::try_from(v).unwrap_or(u32::MAX),
        }
        Ok(())
    }
}
