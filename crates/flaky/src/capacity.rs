//! The server's capacity: a service rate, a queue in front of it, and what it
//! sheds. Knobs `endpoint.capacity.rps`, `endpoint.queue.*`, `endpoint.shed*`.
//!
//! With `endpoint.capacity.rps = 0` (the default) the server has no capacity
//! limit and none of this applies: every request is decided when it arrives,
//! as before. With a rate, requests wait in a queue and the server starts at
//! most `rps` of them per second, one every `1000 / rps` ms (in µs, so any
//! rate is exact on average); each then takes its drawn latency:
//!
//! | quantity | formula |
//! |---|---|
//! | service start | the next free slot once the request is at the head (`queue.order`: fifo = oldest first, lifo = newest first) |
//! | latency seen by the client | queueing (start − arrival) + drawn latency |
//! | queue full (`queue.max` > 0 waiting) | `shed = reject`: 503 at once, with `Retry-After: shed.retry_after_s` if above 0; otherwise the connection resets |
//! | `shed = max_age` | a request older than `shed.max_age_ms` when it reaches the head is dropped (a 503 at that moment) without using a slot |
//!
//! The server does the work of a request whose client already gave up (timed
//! out): it cannot know. Only shedding saves that work, which is what a
//! metastable retry storm turns on (see `presets.json`, `metastable-*`).
//!
//! The simulator drives the queue with server timers
//! ([`crate::Server::poll_timeout`]). The mock service worker has no timers
//! of its own: in live mode [`crate::Server::handle_from`] decides each
//! request at arrival against a virtual FIFO queue (start = the next free
//! slot), so `queue.order = lifo` is served as fifo there, and a request is
//! shed at arrival if its wait would exceed `shed.max_age_ms`.

use serde::{Deserialize, Serialize};

policy::choices! {
    /// Which waiting request the server takes next.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum QueueOrder {
        /// The oldest first.
        #[default]
        Fifo = "fifo",
        /// The newest first: under overload, fresh requests (whose clients still
        /// wait) are served and stale ones starve.
        Lifo = "lifo",
    }
}

policy::choices! {
    /// What the server drops rather than serves.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Shed {
        /// Nothing: every queued request is served (a full queue resets new connections).
        #[default]
        None = "none",
        /// Requests older than `max_age_ms` when they reach the head.
        MaxAge = "max_age",
        /// Nothing queued; a request that finds the queue full gets a 503 (with
        /// Retry-After if `retry_after_s` > 0).
        Reject = "reject",
    }
}

/// The capacity model (see the [module docs](self)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Capacity {
    /// Requests started per second (0: no limit, no queue).
    pub rps: u32,
    /// Most requests waiting (0: no limit).
    pub queue_max: u32,
    pub order: QueueOrder,
    pub shed: Shed,
    /// `shed = max_age`: the oldest a request may be when it reaches the head, ms.
    pub shed_max_age_ms: u64,
    /// `Retry-After` (seconds) on a rejected or shed request's 503 (0: none).
    pub retry_after_s: u64,
}

impl Capacity {
    /// Whether the capacity model is on.
    pub fn is_limited(&self) -> bool {
        self.rps > 0
    }

    /// µs between two service starts.
    pub(crate) fn period_us(&self) -> u64 {
        1_000_000 / u64::from(self.rps.max(1))
    }
}
