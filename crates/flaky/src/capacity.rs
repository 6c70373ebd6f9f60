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

use policy::knob::{KnobError, KnobKind, KnobSpec};
use serde::{Deserialize, Serialize};

/// Which waiting request the server takes next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueOrder {
    /// The oldest first.
    #[default]
    Fifo,
    /// The newest first: under overload, fresh requests (whose clients still
    /// wait) are served and stale ones starve.
    Lifo,
}

/// What the server drops rather than serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shed {
    /// Nothing: every queued request is served (a full queue resets new connections).
    #[default]
    None,
    /// Requests older than `max_age_ms` when they reach the head.
    MaxAge,
    /// Nothing queued; a request that finds the queue full gets a 503 (with
    /// Retry-After if `retry_after_s` > 0).
    Reject,
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

const ORDER_NAMES: &[&str] = &["fifo", "lifo"];
const ORDERS: [QueueOrder; 2] = [QueueOrder::Fifo, QueueOrder::Lifo];
const SHED_NAMES: &[&str] = &["none", "max_age", "reject"];
const SHEDS: [Shed; 3] = [Shed::None, Shed::MaxAge, Shed::Reject];

pub(crate) const RPS: KnobSpec = KnobSpec {
    name: "endpoint.capacity.rps",
    kind: KnobKind::Int { min: 0, max: 1_000_000 },
    unit: "requests/s",
    help: "service rate: requests started per second, the rest wait in a queue; latency = queueing + drawn latency (0: no limit; live mode serves the queue fifo, decided at arrival)",
};
pub(crate) const QUEUE_MAX: KnobSpec = KnobSpec {
    name: "endpoint.queue.max",
    kind: KnobKind::Int { min: 0, max: 1_000_000 },
    unit: "requests",
    help: "most requests waiting; one more is rejected (endpoint.shed=reject: 503) or reset (0: no limit)",
};
pub(crate) const QUEUE_ORDER: KnobSpec = KnobSpec {
    name: "endpoint.queue.order",
    kind: KnobKind::Choice(ORDER_NAMES),
    unit: "",
    help:
        "which waiting request is served next: fifo (oldest) or lifo (newest; simulated mode only)",
};
pub(crate) const SHED: KnobSpec = KnobSpec {
    name: "endpoint.shed",
    kind: KnobKind::Choice(SHED_NAMES),
    unit: "",
    help: "load shedding: none, max_age (drop requests older than shed.max_age_ms at the head, no work done) or reject (503 when the queue is full)",
};
pub(crate) const SHED_MAX_AGE_MS: KnobSpec = KnobSpec {
    name: "endpoint.shed.max_age_ms",
    kind: KnobKind::Int {
        min: 0,
        max: 86_400_000,
    },
    unit: "ms",
    help: "shed=max_age: a request waiting longer than this is dropped when it reaches the head",
};
pub(crate) const SHED_RETRY_AFTER_S: KnobSpec = KnobSpec {
    name: "endpoint.shed.retry_after_s",
    kind: KnobKind::Int { min: 0, max: 3600 },
    unit: "s",
    help: "Retry-After on the 503 of a rejected or shed request (0: none)",
};

impl Capacity {
    /// A capacity knob's value, `None` for another name.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "endpoint.capacity.rps" => self.rps.to_string(),
            "endpoint.queue.max" => self.queue_max.to_string(),
            "endpoint.queue.order" => name_of(ORDER_NAMES, &ORDERS, self.order),
            "endpoint.shed" => name_of(SHED_NAMES, &SHEDS, self.shed),
            "endpoint.shed.max_age_ms" => self.shed_max_age_ms.to_string(),
            "endpoint.shed.retry_after_s" => self.retry_after_s.to_string(),
            _ => return None,
        })
    }

    /// Sets a capacity knob; `Ok(false)` for another name (nothing changed).
    pub(crate) fn set(&mut self, spec: &KnobSpec, value: &str) -> Result<bool, KnobError> {
        let to_u32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        match spec.name {
            "endpoint.capacity.rps" => self.rps = to_u32(spec.parse_int(value)?),
            "endpoint.queue.max" => self.queue_max = to_u32(spec.parse_int(value)?),
            "endpoint.queue.order" => self.order = ORDERS[spec.parse_choice(value)?.min(1)],
            "endpoint.shed" => self.shed = SHEDS[spec.parse_choice(value)?.min(2)],
            "endpoint.shed.max_age_ms" => self.shed_max_age_ms = spec.parse_int(value)?,
            "endpoint.shed.retry_after_s" => self.retry_after_s = spec.parse_int(value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn name_of<T: PartialEq + Copy>(names: &[&'static str], all: &[T], value: T) -> String {
    all.iter()
        .position(|v| *v == value)
        .and_then(|i| names.get(i))
        .copied()
        .unwrap_or_default()
        .to_string()
}
