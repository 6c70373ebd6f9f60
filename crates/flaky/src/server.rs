//! The mock server: one request in, one [`Reply`] out, decided at arrival.
//!
//! # Paths
//! Paths are relative (a service worker strips its `/mock` prefix first); a
//! query string is ignored.
//!
//! | request | answer |
//! |---|---|
//! | `GET /flaky` | 200, a generic flaky read |
//! | `POST /items`, body = the item's name | 201 created (or, with an `Idempotency-Key` in `idempotency_key` mode: 409 in flight, 200 replay, 422 key reused with another body) |
//! | `GET /items/{name}` | 200 if the item exists, else 404 |
//! | `PUT /items/{name}` | 201 created or 200 replaced: idempotent by design |
//! | any other path | 404 naming the valid paths |
//! | another method on a known path | 405 with `Allow` |
//!
//! # Order of decisions
//! For every request, in this order; the first that applies decides:
//! 1. **latency**: drawn for every request (plus overload latency), so every
//!    reply, failed or not, leaves at `now_ms + latency`;
//! 2. **outage**: inside an outage window, fail as the outage says;
//! 3. **fail-first-N**: the first `fail_first_n` requests fail as `fail_first_status`;
//! 4. **overload**: with `k` requests in flight beyond the limit (this one
//!    included), a 503 with probability `k · error_per_excess`;
//! 5. **fault mix**: one draw picks 5xx, 429, 4xx, reset, hang or commit-then-lose;
//! 6. **normal handling**: route, read or create.
//!
//! Steps 2–5 happen before any commit: a failed request changes no item and
//! stores nothing under its idempotency key, so a retry can proceed.
//! Commit-then-lose handles the request normally (creates, stores the
//! response under its key), then loses the reply as a hang or a reset.
//!
//! Every request takes four `u64` draws from the server's generator whatever
//! happens to it (two for latency, one for overload, one for the fault mix),
//! so changing a fault knob does not reshuffle the latencies.
//!
//! # Capacity
//! With `endpoint.capacity.rps` set, a request first waits in a queue (see
//! [`crate::capacity`]); the order of decisions above then runs when its
//! service starts, with that time as `now_ms`. The simulator drives the queue
//! with [`Server::arrive`], [`Server::poll_timeout`], [`Server::handle_timeout`]
//! and [`Server::poll_served`]; [`Server::handle_from`] (the mock worker's
//! way, no timers) decides at arrival against a virtual FIFO queue.
//!
//! # Time
//! A created item becomes visible to `GET /items/{name}` when its reply leaves
//! (`at_ms`); counters count it at arrival, when it is decided. An
//! idempotency key is in flight until its first reply's `at_ms`, then replays.

use std::collections::BTreeMap;
use std::fmt;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::endpoint::{CommitLoseAs, EndpointConfig, FailWith, LatencyKind};
use crate::rng;
use crate::script::{ScriptScope, ScriptedReply};
use crate::world::{Identity, Stage, World};

mod decide;
mod in_flight;
mod queued;
mod routes;

use routes::{Body, Item, KeyRecord, Response};

pub use queued::Served;

/// Largest latency a draw can produce, ms (a long tail beyond an hour is a hang anyway).
pub const LATENCY_MS_DRAW_MAX: u64 = 3_600_000;
/// Longest item name `POST /items` accepts, bytes.
pub const ITEM_NAME_BYTES_MAX: usize = 256;

/// An HTTP method the mock endpoints know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
}

impl Method {
    /// The method's name, `GET`, `POST` or `PUT`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }

    /// Parses a method name, case-insensitively; `None` for any other method
    /// (a transport answers those with 405 itself).
    pub fn from_name(name: &str) -> Option<Method> {
        [Method::Get, Method::Post, Method::Put]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request as it arrives at the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Assigned by the transport, unique per request (not per logical call).
    pub id: u64,
    /// The method.
    pub method: Method,
    /// The path, relative to the mock prefix, e.g. `/items/alice-17`.
    pub path: String,
    /// Headers as sent; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body (for `POST /items`, the item's name).
    pub body: String,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with one request, decided at arrival.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// The response leaves the server at `at_ms` (latency included).
    Respond {
        /// When the response leaves, ms.
        at_ms: u64,
        /// HTTP status.
        status: u16,
        /// Response headers.
        headers: Vec<(String, String)>,
        /// Response body (small JSON).
        body: String,
    },
    /// The connection resets at `at_ms`: the fetch rejects.
    Reset {
        /// When the connection resets, ms.
        at_ms: u64,
    },
    /// Never answers: only a client timeout ends it.
    Hang,
}

impl Reply {
    /// The key this reply is counted under in [`Counters::by_status`]:
    /// the status (`"503"`), `"reset"` or `"hang"`.
    pub fn status_key(&self) -> String {
        match self {
            Reply::Respond { status, .. } => status.to_string(),
            Reply::Reset { .. } => "reset".to_string(),
            Reply::Hang => "hang".to_string(),
        }
    }
}

/// What the server has seen since it was created or last [`Server::reset`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Every request handled.
    pub requests_received: u64,
    /// Replies by status key: `"200"`, `"503"`, ..., `"reset"`, `"hang"`.
    pub by_status: BTreeMap<String, u64>,
    /// Items created (by POST or by a PUT that found none).
    pub creates_applied: u64,
    /// Creates beyond one per distinct item name.
    pub duplicates: u64,
    /// Stored responses replayed for a repeated `Idempotency-Key`.
    pub replays: u64,
    /// Requests handled normally whose reply was then lost (commit-then-lose).
    pub replies_lost: u64,
    /// The most requests in flight at once.
    pub in_flight_max: u32,
    /// Requests dropped unserved at the head of the queue (`endpoint.shed=max_age`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shed: u64,
    /// Requests turned away because the queue was full (`endpoint.queue.max`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rejected: u64,
    /// The longest the queue was.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub queue_len_max: u32,
    /// Who sent the duplicate creates (their `X-Mock-Call`), in the order
    /// applied (the first [`DUPLICATE_REQUESTS_MAX`]), when the server lists
    /// them ([`Server::listing_duplicates`]: the mock worker, so that a live
    /// run marks the attempt that created twice, even one its client abandoned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicate_calls: Vec<Identity>,
}

/// The most duplicate creates [`Counters::duplicate_calls`] lists (a live
/// run has at most 2,000 calls).
pub const DUPLICATE_REQUESTS_MAX: usize = 4096;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// The mock server: items, an idempotency store, in-flight requests, counters
/// and a seeded generator. See the [module docs](self) for paths and the order
/// of decisions.
#[derive(Clone, Debug)]
pub struct Server {
    config: EndpointConfig,
    seed: u64,
    rng: ChaCha8Rng,
    items: BTreeMap<String, Item>,
    keys: BTreeMap<String, KeyRecord>,
    /// In-flight requests and when each ends (a hang at `u64::MAX`).
    in_flight: in_flight::InFlight,
    counters: Counters,
    items_created: u64,
    /// The queue of a server with a capacity limit.
    queue: queued::Queue,
    /// Whether an injected failure carries its JSON body and `X-Flaky-Fault`
    /// (off in the simulator, which reads only the status and `Retry-After`).
    fault_details: bool,
    /// Whether [`Counters::duplicate_calls`] is kept.
    list_duplicates: bool,
    /// `endpoint.script_scope = run`: each call's place in the run, in the
    /// order calls first reached the server.
    script_calls: BTreeMap<(u32, u32), usize>,
}

impl Server {
    /// A server with no items and no history; its generator is seeded by `seed`.
    pub fn new(config: EndpointConfig, seed: u64) -> Server {
        Server {
            config,
            seed,
            rng: rng::seeded(seed),
            items: BTreeMap::new(),
            keys: BTreeMap::new(),
            in_flight: Default::default(),
            counters: Counters::default(),
            items_created: 0,
            queue: queued::Queue::default(),
            fault_details: true,
            list_duplicates: false,
            script_calls: BTreeMap::new(),
        }
    }

    /// The same server, listing who sent its duplicate creates in
    /// [`Counters::duplicate_calls`] (the mock worker; the simulator
    /// tells its engine as each happens instead).
    pub fn listing_duplicates(mut self) -> Server {
        self.list_duplicates = true;
        self
    }

    /// The same server, but an injected failure is only its status (and
    /// `Retry-After`): no message, no JSON body, no `X-Flaky-Fault`. For the
    /// simulator, which reads nothing else; decisions and counters are the same.
    pub fn without_fault_details(mut self) -> Server {
        self.fault_details = false;
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Changes the configuration for the requests to come; state is kept.
    pub fn set_config(&mut self, config: EndpointConfig) {
        self.config = config;
    }

    /// The seed the generator started from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Counters since creation or the last [`Server::reset`].
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Requests whose reply has not left by `now_ms` (hangs until cancelled).
    pub fn in_flight(&self, now_ms: u64) -> u32 {
        u32::try_from(self.in_flight.after(now_ms)).unwrap_or(u32::MAX)
    }

    /// A new run: forgets items, keys, in-flight requests and counters, and
    /// reseeds the generator, so the server is as [`Server::new`] made it.
    pub fn reset(&mut self) {
        let fault_details = self.fault_details;
        *self = Server::new(self.config.clone(), self.seed);
        self.fault_details = fault_details;
    }

    /// The client gave up on a request (timeout, abort): it stops counting as
    /// in flight. What the server already decided (a create, a stored key) stays.
    pub fn cancel(&mut self, now_ms: u64, request_id: u64) {
        self.forget_ended(now_ms);
        self.in_flight.remove(request_id);
    }

    fn forget_ended(&mut self, now_ms: u64) {
        self.in_flight.forget_ended(now_ms);
    }

    /// Handles one request arriving at `now_ms` and decides its reply, with
    /// draws from the server's own sequence (a request that names no sender).
    pub fn handle(&mut self, now_ms: u64, request: &Request) -> Reply {
        self.handle_from(now_ms, request, None)
    }

    /// Handles one request arriving at `now_ms` sent by `identity`: its four
    /// draws are the world's for that identity (common random numbers), so the
    /// same call's attempt meets the same fault and latency in every run of
    /// this seed, simulated or live. Without an identity, draws are sequential.
    pub fn handle_from(
        &mut self,
        now_ms: u64,
        request: &Request,
        identity: Option<&Identity>,
    ) -> Reply {
        self.forget_ended(now_ms);
        // A reused id replaces its earlier entry rather than counting twice.
        self.cancel(now_ms, request.id);
        let nth = self.receive();
        if self.config.capacity.is_limited() {
            return self.decide_at_arrival(now_ms, nth, request, identity);
        }
        self.serve(now_ms, nth, request, identity)
    }

    /// Counts a request in; returns its number (1-based).
    fn receive(&mut self) -> u64 {
        self.counters.requests_received = self.counters.requests_received.saturating_add(1);
        self.counters.requests_received
    }

    /// Serves the `nth` request at `now_ms`: draws, the order of decisions, in flight, counters.
    fn serve(
        &mut self,
        now_ms: u64,
        nth: u64,
        request: &Request,
        identity: Option<&Identity>,
    ) -> Reply {
        let [u_latency, u_latency_2, u_overload, u_fault] = match identity {
            Some(id) => World::new(self.seed).server_units(id),
            None => [(); 4].map(|()| rng::unit(&mut self.rng)),
        };

        let in_flight = u64::try_from(self.in_flight.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let limit = u64::from(self.config.overload.limit);
        let excess = if limit == 0 {
            0
        } else {
            in_flight.saturating_sub(limit)
        };
        let latency_ms = self
            .draw_latency(u_latency, u_latency_2)
            .saturating_add(excess.saturating_mul(self.config.overload.latency_ms_per_excess));
        let at_ms = now_ms.saturating_add(latency_ms);

        let duplicates = self.counters.duplicates;
        let reply = match self.scripted(identity) {
            Some(scripted) => self.play(now_ms, at_ms, &scripted, request),
            None => self.decide(now_ms, at_ms, nth, excess, u_overload, u_fault, request),
        };
        if let (true, Some(identity)) = (self.list_duplicates, identity) {
            if self.counters.duplicates > duplicates
                && self.counters.duplicate_calls.len() < DUPLICATE_REQUESTS_MAX
            {
                self.counters.duplicate_calls.push(*identity);
            }
        }

        let until = match reply {
            Reply::Respond { at_ms, .. } | Reply::Reset { at_ms } => at_ms,
            Reply::Hang => u64::MAX,
        };
        if until > now_ms {
            self.in_flight.insert(request.id, until);
        }
        let count = u32::try_from(in_flight).unwrap_or(u32::MAX);
        self.counters.in_flight_max = self.counters.in_flight_max.max(count);
        self.count_status(&reply);
        reply
    }

    fn count_status(&mut self, reply: &Reply) {
        // A status seen before is counted without making its key again.
        let mut digits = itoa::Buffer::new();
        let key = match reply {
            Reply::Respond { status, .. } => digits.format(*status),
            Reply::Reset { .. } => "reset",
            Reply::Hang => "hang",
        };
        match self.counters.by_status.get_mut(key) {
            Some(count) => *count += 1,
            None => {
                self.counters.by_status.insert(key.to_string(), 1);
            }
        }
    }
}

impl Server {
    /// The scripted reply for the request `identity` sent, if the script
    /// has one (a call's main requests only; check-then-create's checks
    /// and requests that name no sender meet the model).
    fn scripted(&mut self, identity: Option<&Identity>) -> Option<ScriptedReply> {
        if self.config.script.is_empty() {
            return None;
        }
        let id = identity.filter(|id| id.stage == Stage::Main)?;
        let call = match self.config.script_scope {
            ScriptScope::Client => usize::try_from(id.ordinal).unwrap_or(usize::MAX),
            ScriptScope::Run => {
                let next = self.script_calls.len();
                *self
                    .script_calls
                    .entry((id.client, id.ordinal))
                    .or_insert(next)
            }
        };
        self.config
            .script
            .reply(call, id.attempt, self.config.script_after)
            .cloned()
    }
}

/// The standard reason phrase of a status, for messages.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}
