//! A bulkhead: a limit on one client's calls in flight at once
//! (`client.max_in_flight`, 0 = no limit), so that one slow dependency
//! cannot hold every one of the client's workers. A call that finds the
//! limit reached either waits for a free slot, first come first served
//! (`client.when_full = wait`), or fails at once without sending anything
//! (`fail`), counted as [`crate::GaveUp::BulkheadFull`]. A waiting call
//! starts its clock (latency, `attempts.deadline_ms`) when it was due, so
//! the wait shows in its latency.
//!
//! The policy only names the rule; the run engine keeps the count, because
//! it is the one that knows which calls of a client are in flight.
//!
//! ```
//! use policy::bulkhead::{BulkheadConfig, WhenFull};
//! let mut b = BulkheadConfig::default();
//! b.set("client.max_in_flight", "4").unwrap();
//! b.set("client.when_full", "fail").unwrap();
//! assert_eq!((b.max_in_flight, b.when_full), (4, WhenFull::Fail));
//! ```

use serde::{Deserialize, Serialize};

use crate::knob::{self, KnobError, KnobKind, KnobSpec};

/// What a call does when its client is at `client.max_in_flight`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// Wait for a slot (first come, first served).
    #[default]
    Wait,
    /// Fail fast, sending nothing.
    Fail,
}

const WHEN_FULL: &[&str] = &["wait", "fail"];

/// `client.*`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkheadConfig {
    /// `client.max_in_flight`: 0 = no limit.
    pub max_in_flight: u32,
    /// `client.when_full`.
    pub when_full: WhenFull,
}

/// The knobs, listed in [`crate::PolicyConfig::knobs`].
pub const MAX_IN_FLIGHT_KNOB: KnobSpec = KnobSpec {
    name: "client.max_in_flight",
    kind: KnobKind::Int {
        min: 0,
        max: 100_000,
    },
    unit: "calls",
    help:
        "bulkhead: a client's calls in flight at once at most (see sim.call_every_ms); 0 = no limit",
};
pub const WHEN_FULL_KNOB: KnobSpec = KnobSpec {
    name: "client.when_full",
    kind: KnobKind::Choice(WHEN_FULL),
    unit: "",
    help: "a call that finds the bulkhead full: wait for a slot | fail at once (gave up: bulkhead full)",
};

impl BulkheadConfig {
    /// A `client.*` knob's value as text; `None` for another name.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "client.max_in_flight" => self.max_in_flight.to_string(),
            "client.when_full" => WHEN_FULL[self.when_full as usize].to_string(),
            _ => return None,
        })
    }

    /// Sets a `client.*` knob; unchanged on error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let specs = [MAX_IN_FLIGHT_KNOB, WHEN_FULL_KNOB];
        let spec = knob::find(&specs, name)?;
        match name {
            "client.max_in_flight" => {
                self.max_in_flight = u32::try_from(spec.parse_int(value)?).unwrap_or(u32::MAX)
            }
            _ => {
                self.when_full = match spec.parse_choice(value)? {
                    0 => WhenFull::Wait,
                    _ => WhenFull::Fail,
                }
            }
        }
        Ok(())
    }
}

/// What a call that is due to start does, with `in_flight` of its client's
/// calls already in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Start now.
    Go,
    /// Wait for a slot.
    Wait,
    /// Give up at once ([`crate::GaveUp::BulkheadFull`]).
    Fail,
}

impl BulkheadConfig {
    /// The bulkhead's rule for a call due now.
    pub fn admit(&self, in_flight: u32) -> Admission {
        if self.max_in_flight == 0 || in_flight < self.max_in_flight {
            Admission::Go
        } else if self.when_full == WhenFull::Wait {
            Admission::Wait
        } else {
            Admission::Fail
        }
    }
}
