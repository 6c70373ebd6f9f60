//! The deterministic simulator: the [run engine](crate::engine) plus a
//! virtual clock that jumps from event to event, a network with delay, and
//! one [`Server`].
//!
//! Same [`RunConfig`] and seed ⇒ the same [`Trace`], byte for byte, on native
//! and on wasm. Every draw comes from the run's [`World`] keyed by who made
//! it (common random numbers), and events are ordered by time: at one
//! millisecond, engine timers, then network events (by sequence), then the
//! server's service slots (a server with `endpoint.capacity.rps` queues
//! requests and starts them at its own pace; without one it has no timers).
//!
//! ```
//! use flaky::sim::{self, RunConfig, ScenarioConfig};
//! let mut config = RunConfig::default().with_scenario(ScenarioConfig::default().with_clients(20));
//! config.endpoint.faults.status_503 = 0.3;
//! let trace = sim::run(&config, 7);
//! let summary = trace.summary();
//! assert_eq!(summary.calls, 20);
//! assert!(summary.amplification >= 1.0);
//! ```

use policy::hints::ReplyHints;
use std::collections::BTreeSet;

use crate::client;
use crate::engine::{sent_number, Engine, EngineOptions, Pending};
use crate::queue::TimeQueue;
use crate::world::{Direction, Identity, World};
use crate::{Reply, Request, Server};

pub use crate::scenario::{Arrival, Operation, RunConfig, ScenarioConfig};
pub use crate::trace::{
    gave_up_name, AttemptOutcome, AttemptTrace, CallTrace, ClientEventTrace, Density, LoadSample,
    SleepTrace, Summary, Trace, WindowKind, WindowTrace, DENSITY_CLASSES,
};

/// How many network events ahead a reply's client record is prefetched.
const LOOKAHEAD: usize = 4;

/// The server's generator is seeded with `seed ^ SERVER_SEED_XOR` (the mock
/// worker uses the same rule: same seed, same decisions).
pub const SERVER_SEED_XOR: u64 = 0x5EED_F1A4;

/// Wall-clock time at virtual 0 ms, for `Retry-After` HTTP-dates (2026-01-01T00:00:00Z).
pub const EPOCH_UNIX_MS: u64 = 1_767_225_600_000;

/// Runs the scenario and returns its full trace (every call in detail).
/// Deterministic in `(config, seed)`.
pub fn run(config: &RunConfig, seed: u64) -> Trace {
    run_with(config, seed, EngineOptions::FULL)
}

/// Runs the scenario keeping what `options` asks for; the summary and the
/// series always cover every call.
pub fn run_with(config: &RunConfig, seed: u64, options: EngineOptions) -> Trace {
    let mut sim = Simulation::new(config, seed, options);
    while sim.advance(u32::MAX) {}
    sim.trace()
}

enum NetKind {
    /// A request reaches the server (written out when it does).
    AtServer(Pending),
    /// A reply (or a reset) reaches the client.
    AtClient {
        request_id: u64,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
        hints: Option<Box<ReplyHints>>,
    },
}

/// A simulation that can run in slices ([`Simulation::advance`]), so a
/// caller can report progress or drop it for a newer one in between.
pub struct Simulation {
    engine: Engine,
    server: Server,
    world: World,
    net: TimeQueue<NetKind>,
    /// Requests on their way to the server: a bit per request sent, by its
    /// number ([`sent_number`]), set while it travels.
    to_server: Vec<u64>,
    /// Of those, the ones the engine abandoned meanwhile.
    abandoned: BTreeSet<u64>,
    net_ms: u64,
    net_jitter_ms: u64,
    /// The server's duplicate creates the engine has heard of.
    duplicates_seen: u64,
    /// The request reaching the server now, written over the last one's.
    request: Request,
}

impl Simulation {
    /// A simulation of `config` in the world of `seed`, at 0 ms.
    pub fn new(config: &RunConfig, seed: u64, options: EngineOptions) -> Simulation {
        Simulation {
            engine: Engine::new(config, seed, options),
            server: Server::new(config.endpoint.clone(), seed ^ SERVER_SEED_XOR)
                .without_fault_details(),
            world: World::new(seed),
            net: TimeQueue::default(),
            to_server: Vec::new(),
            abandoned: BTreeSet::new(),
            net_ms: config.scenario.net_ms,
            net_jitter_ms: config.scenario.net_jitter_ms,
            duplicates_seen: 0,
            request: client::request(config, (0, 0), None, client::first_stage(config)),
        }
    }

    /// Handles up to `events` events; `false` once the run is over.
    pub fn advance(&mut self, events: u32) -> bool {
        for _ in 0..events {
            if !self.step() {
                return false;
            }
        }
        !self.engine.is_finished()
    }

    /// Virtual time so far, ms.
    pub fn now_ms(&self) -> u64 {
        self.engine.now_ms()
    }

    /// Calls started so far.
    pub fn calls_started(&self) -> u64 {
        self.engine.calls_started()
    }

    /// The run so far (the whole run once [`Simulation::advance`] said `false`).
    pub fn trace(&self) -> Trace {
        let mut trace = self.engine.trace(self.server.counters());
        trace.server_queue = self.server.queue_samples(trace.end_ms);
        trace
    }

    /// Requests waiting in the server's queue now.
    pub fn queue_len(&self) -> u32 {
        self.server.queue_len()
    }

    fn step(&mut self) -> bool {
        let Some(timer_ms) = self.engine.poll_timeout() else {
            return false;
        };
        // Engine timers go before network events due at the same millisecond,
        // and those before the server's slots.
        let due = |t: Option<u64>| t.filter(|&t| t < timer_ms);
        match (due(self.net.next_ms()), due(self.server.poll_timeout())) {
            (Some(net_ms), slot) if slot.is_none_or(|s| net_ms <= s) => {
                if let Some((at_ms, event)) = self.net.pop_due(net_ms) {
                    if let Some(NetKind::AtClient { request_id, .. }) =
                        self.net.peek_next(LOOKAHEAD)
                    {
                        self.engine.prefetch_sender(*request_id);
                    }
                    self.deliver(at_ms, event);
                }
            }
            (_, Some(slot_ms)) => {
                self.server.handle_timeout(slot_ms);
                while let Some(served) = self.server.poll_served() {
                    self.tell_duplicates(served.request_id);
                    if let Some(identity) = served.identity {
                        self.send_back(served.request_id, identity, served.reply);
                    }
                }
            }
            _ => self.engine.handle_timeout(timer_ms),
        }
        self.carry_out();
        true
    }

    /// Sends what the engine asked to send; tells the server what it abandoned.
    fn carry_out(&mut self) {
        let now = self.engine.now_ms();
        while let Some(pending) = self.engine.poll_pending() {
            let at_ms = now.saturating_add(self.net_delay(&pending.identity, Direction::ToServer));
            self.set_to_server(pending.request_id, true);
            self.push(at_ms, NetKind::AtServer(pending));
        }
        while let Some(request_id) = self.engine.poll_abort() {
            self.server.cancel(now, request_id);
            if self.is_to_server(request_id) {
                self.abandoned.insert(request_id);
            }
        }
    }

    fn set_to_server(&mut self, request_id: u64, travelling: bool) {
        let n = sent_number(request_id);
        let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
        if word >= self.to_server.len() {
            if !travelling {
                return;
            }
            self.to_server.resize(word + 1, 0);
        }
        if let Some(w) = self.to_server.get_mut(word) {
            *w = if travelling { *w | bit } else { *w & !bit };
        }
    }

    fn is_to_server(&self, request_id: u64) -> bool {
        let n = sent_number(request_id);
        self.to_server
            .get((n / 64) as usize)
            .is_some_and(|w| w & (1 << (n % 64)) != 0)
    }

    fn push(&mut self, at_ms: u64, kind: NetKind) {
        self.net.push(at_ms, kind);
    }

    fn net_delay(&self, identity: &Identity, direction: Direction) -> u64 {
        let jitter = self.net_jitter_ms;
        let extra = if jitter == 0 {
            0
        } else {
            let u = self.world.network_unit(identity, direction);
            ((u * (jitter + 1) as f64) as u64).min(jitter)
        };
        self.net_ms.saturating_add(extra)
    }

    fn deliver(&mut self, now: u64, event: NetKind) {
        match event {
            NetKind::AtServer(Pending {
                request_id,
                identity,
                key,
            }) => {
                let request = &mut self.request;
                let call = (identity.client, identity.ordinal);
                let config = self.engine.config();
                client::write_request(request, config, call, key.as_deref(), identity.stage);
                request.id = request_id;
                if self.server.config().capacity.is_limited() {
                    // Queued or turned away; abandoned or not, the server cannot
                    // tell, and the engine ignores a reply to an abandoned request.
                    let request = request.clone();
                    self.set_to_server(request_id, false);
                    self.abandoned.remove(&request_id);
                    let reply = self.server.arrive(now, request, Some(identity));
                    self.tell_duplicates(request_id);
                    if let Some(reply) = reply {
                        self.send_back(request_id, identity, reply);
                    }
                    return;
                }
                let reply = self.server.handle_from(now, request, Some(&identity));
                self.tell_duplicates(request_id);
                self.set_to_server(request_id, false);
                if !self.abandoned.is_empty() && self.abandoned.remove(&request_id) {
                    // The client hung up first: the server did the work, no one hears it.
                    self.server.cancel(now, request_id);
                    return;
                }
                self.send_back(request_id, identity, reply);
            }
            NetKind::AtClient {
                request_id,
                outcome,
                retry_after_ms,
                hints,
            } => {
                let hints = hints.map_or_else(ReplyHints::default, |h| *h);
                self.engine
                    .handle_reply_hinted(now, request_id, outcome, retry_after_ms, hints);
            }
        }
    }

    /// The engine hears of a duplicate create the server applied, for the
    /// request just decided (the server's count grew by it). A queue that
    /// serves several requests in one slot call credits the first served.
    fn tell_duplicates(&mut self, request_id: u64) {
        let duplicates = self.server.counters().duplicates;
        if duplicates > self.duplicates_seen {
            self.duplicates_seen = duplicates;
            self.engine.handle_duplicate_create(request_id);
        }
    }

    /// Sends a reply back over the network (a hang sends nothing).
    fn send_back(&mut self, request_id: u64, identity: Identity, reply: Reply) {
        let back = self.net_delay(&identity, Direction::ToClient);
        let (at_ms, outcome, retry_after_ms, hints) = match reply {
            Reply::Respond {
                at_ms,
                status,
                headers,
                ..
            } => {
                let retry_after_ms = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
                    .and_then(|(_, v)| {
                        let now_unix = EPOCH_UNIX_MS.saturating_add(at_ms);
                        policy::retry_after::parse(v, now_unix).ok()
                    });
                // Boxed, and only when present: most replies carry no hint.
                let hints =
                    ReplyHints::from_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                let hints = (!hints.is_empty()).then(|| Box::new(hints));
                (at_ms, AttemptOutcome::Status(status), retry_after_ms, hints)
            }
            Reply::Reset { at_ms } => (at_ms, AttemptOutcome::NetworkError, None, None),
            Reply::Hang => return,
        };
        self.push(
            at_ms.saturating_add(back),
            NetKind::AtClient {
                request_id,
                outcome,
                retry_after_ms,
                hints,
            },
        );
    }
}
