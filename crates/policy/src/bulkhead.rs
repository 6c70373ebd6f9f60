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
//! use policy::bulkhead::{Admission, BulkheadConfig, WhenFull};
//! let b = BulkheadConfig { max_in_flight: 4, when_full: WhenFull::Fail };
//! assert_eq!(b.admit(3), Admission::Go);
//! assert_eq!(b.admit(4), Admission::Fail);
//! ```

use serde::{Deserialize, Serialize};

crate::choices! {
    /// What a call does when its client is at `client.max_in_flight`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum WhenFull {
        /// Wait for a slot (first come, first served).
        #[default]
        Wait = "wait",
        /// Fail fast, sending nothing.
        Fail = "fail",
    }
}

/// `client.*`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkheadConfig {
    /// `client.max_in_flight`: 0 = no limit.
    pub max_in_flight: u32,
    /// `client.when_full`.
    pub when_full: WhenFull,
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
