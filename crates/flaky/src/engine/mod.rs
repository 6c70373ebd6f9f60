//! The run engine: one run's logical calls, each client's shared state
//! (breaker, budget), the random world, multi-step creates (check-then-create),
//! and the trace and summary it records, as a sans-IO state machine in the
//! shape of quinn-proto's `Connection`.
//!
//! Its drivers only move time and bytes. The simulator ([`crate::sim`]) is the
//! engine plus a virtual clock, a network delay and [`crate::Server`]; the live
//! driver in the browser is the engine plus `fetch`, `AbortController` and
//! timers. Both call, in a loop:
//!
//! 1. [`Engine::handle_timeout`]`(now)` when [`Engine::poll_timeout`] is due,
//!    and [`Engine::handle_reply`]`(now, request_id, ..)` when a reply (or a
//!    reset) arrives;
//! 2. then [`Engine::poll_transmit`] until `None`, sending each request, and
//!    [`Engine::poll_abort`] until `None`, abandoning each request (its
//!    attempt timed out, or the run ended);
//! 3. until [`Engine::is_finished`]; then [`Engine::trace`].
//!
//! # Timers
//! | timer | set when | fires |
//! |---|---|---|
//! | `Start` | the run begins (each client's arrival), a call ends (`sim.call_gap_ms` later) | the client's next call starts |
//! | `Start` | open loop (`sim.call_every_ms`): a call starts | the client's next call starts |
//! | `Wake` | a call sleeps (backoff, Retry-After), or waits with a hedge due | the call is polled again (a newer `Wake` of the call makes older ones stale) |
//! | `AttemptTimeout` | an attempt with a timeout is sent (at any layer) | the attempt ends as timed out; its requests (and the calls below it) are aborted |
//! | horizon | always, at `sim.horizon_ms` | calls still going are unfinished; the run ends |
//!
//! A timer that fires late (a live browser) still plans from its due time:
//! an attempt records both when it was planned and when it was sent.
//!
//! A client's calls: one after another (`sim.call_every_ms = 0`), or in an
//! open loop, several at once, bounded by the bulkhead (`client.*`). A call
//! is a stack of one [`Call`] per layer (`sim.layers`, see
//! [`crate::layers`]): only the deepest is active; a layer's attempt is a
//! call into the layer below, and the bottom layer's attempts send the
//! requests, several at once when hedging. The trace's lane of a call shows
//! the bottom layer's attempts (numbered in the order sent) and every
//! layer's sleeps.
//!
//! ```
//! use flaky::engine::{Engine, EngineOptions};
//! use flaky::sim::{AttemptOutcome, RunConfig, ScenarioConfig};
//! let config = RunConfig::default().with_scenario(ScenarioConfig::default().with_clients(2));
//! let mut engine = Engine::new(&config, 7, EngineOptions::FULL);
//! engine.handle_timeout(0);
//! let sent: Vec<_> = std::iter::from_fn(|| engine.poll_transmit()).collect();
//! assert_eq!(sent.len(), 2);
//! for t in &sent {
//!     engine.handle_reply(10, t.request_id, AttemptOutcome::Status(200), None);
//! }
//! assert!(engine.is_finished());
//! assert_eq!(engine.trace(&Default::default()).summary().succeeded, 2);
//! ```

use policy::hints::ReplyHints;
use std::collections::VecDeque;
use std::sync::Arc;

use policy::throttle::{Throttle, ThrottleScope};
use policy::{Call, ClientConfig, ClientState, Outcome, PolicyConfig};
use smallvec::SmallVec;

use crate::client::{self, Next};
use crate::queue::TimeQueue;
use crate::scenario::{Arrival, RunConfig};
use crate::trace::{
    AttemptOutcome, CallTrace, ClientEventTrace, DensityRecorder, LoadSeries, Tally, Trace,
};
use crate::windows::spiked_gap_ms;
use crate::world::{Draws, Identity, Stage, Stream, World};
use crate::{Counters, Request};

mod attempts;
mod steps;
mod wire;

pub(crate) use wire::Pending;
use wire::LOOKAHEAD;

/// What the engine keeps of a run beyond its summary and series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineOptions {
    /// Calls `0..lanes_max` (in start order) are kept in detail, with the
    /// breaker and budget events of clients `0..lanes_max`.
    pub lanes_max: u32,
}

impl EngineOptions {
    /// Keep every call: the full trace (`playground run --trace`, a download).
    pub const FULL: EngineOptions = EngineOptions {
        lanes_max: u32::MAX,
    };

    /// Keep the first `lanes_max` calls in detail.
    pub const fn lanes(lanes_max: u32) -> EngineOptions {
        EngineOptions { lanes_max }
    }
}

/// A request to send now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Unique in the run; answer with [`Engine::handle_reply`].
    pub request_id: u64,
    /// The sender: the key of the network's and the server's draws.
    pub identity: Identity,
    /// The request, its `id` set to `request_id`.
    pub request: Request,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimerKind {
    Start {
        client: u32,
    },
    Wake {
        client: u32,
        ordinal: u32,
        /// Stale unless it is the call's latest (`CallRun::wake_seq`).
        seq: u32,
    },
    AttemptTimeout {
        client: u32,
        ordinal: u32,
        /// 0 = the top (< `LAYERS_MAX`); a `u8` keeps a timer at 16 bytes,
        /// and a million-call run queues millions of them.
        layer: u8,
        /// The bottom layer: the attempt's number in the call (`InFlight::wire`);
        /// above: the sub-call the attempt is waiting on (`Layer::waiting_on`).
        key: u32,
    },
}

/// A request of the bottom layer in flight.
#[derive(Clone, Copy, Debug)]
struct InFlight {
    /// The attempt's number in the bottom layer's [`Call`].
    attempt: u32,
    /// Its number among all the requests of the logical call, 1-based: the
    /// identity's `attempt` (equal to `attempt` with one layer).
    wire: u32,
    stage: Stage,
    request_id: u64,
    start_ms: u64,
    /// Its bar in the lane, if the call is kept in detail.
    bar: Option<u32>,
}

/// A create request of a lane: its id, its sender and its bar.
#[derive(Clone, Copy, Debug)]
struct LaneRequest {
    request_id: u64,
    client: u32,
    ordinal: u32,
    wire: u32,
    call: u32,
    bar: u32,
}

/// One layer's call of a logical call.
struct Layer {
    call: Call,
    draws: Draws,
    /// Upper layers: `(attempt, sub-call)` whose call below is running.
    waiting_on: Option<(u32, u32)>,
    /// The last outcome reported to this call: what it reports above when it gives up.
    last_outcome: Option<Outcome>,
}

/// In declaration order (`repr(C)`): what every event reads first (which
/// call, its wake-up, its requests in flight) shares a cache line with the
/// list's length in [`ClientRun`]; the layers' calls follow.
#[repr(C)]
struct CallRun {
    ordinal: u32,
    id: u32,
    wake_seq: u32,
    /// Requests sent (attempts of the bottom layer) so far.
    wires: u32,
    /// Calls into lower layers made so far (keys their draws).
    sub_calls: u32,
    /// `false` while it waits for the bulkhead.
    started: bool,
    start_ms: u64,
    flights: SmallVec<[InFlight; 1]>,
    /// `[0]` is the top layer's call; the last is the active one.
    stack: SmallVec<[Layer; 1]>,
}

/// A client's record, read at every event of its calls: the calls first
/// (`repr(C)`; a million-call run meets each client's record cold), then
/// the shared state the policy reads.
#[repr(C)]
struct ClientRun {
    /// Calls started and not done, and calls waiting for the bulkhead, in start order.
    calls: SmallVec<[CallRun; 1]>,
    next_ordinal: u32,
    /// One per layer, top first.
    states: SmallVec<[ClientState; 1]>,
}

impl ClientRun {
    fn running(&self) -> u32 {
        self.calls.iter().filter(|c| c.started).count() as u32
    }
}

/// One run. See the [module docs](self) for the driving loop.
pub struct Engine {
    config: RunConfig,
    /// One per layer, top first (hedging off above the bottom).
    policies: Vec<Arc<PolicyConfig>>,
    /// Per layer, the throttle all clients share (`throttle.scope = shared`).
    shared_throttles: Vec<Option<Throttle>>,
    world: World,
    options: EngineOptions,
    clients: Vec<ClientRun>,
    /// Each client's requests in flight, all calls together, apart from its
    /// record: a timeout that fires after its request ended (nearly every
    /// one) is dropped without a cache miss on the record.
    flights_of: Vec<u32>,
    timers: TimeQueue<TimerKind>,
    /// Requests sent so far; a request id is `(n << CLIENT_BITS) | client`.
    requests_sent: u64,
    next_call_id: u32,
    clients_running: u32,
    transmits: VecDeque<Pending>,
    aborts: VecDeque<u64>,
    lanes: Vec<CallTrace>,
    /// Every create request sent for a lane, in request id order: a
    /// duplicate create the server reports late (for a request the call had
    /// already abandoned) still finds its bar.
    lane_requests: Vec<LaneRequest>,
    client_events: Vec<ClientEventTrace>,
    tally: Tally,
    load: LoadSeries,
    density: DensityRecorder,
    call_ends: crate::series::CallEndsRecorder,
    now_ms: u64,
    end_ms: Option<u64>,
}

/// Bits of a request id that name its client (`sim.clients` ≤ 100,000 < 2^20):
/// a reply finds its call without a map of requests in flight. Ids stay
/// below 2^53, so JavaScript numbers hold them exactly.
const CLIENT_BITS: u32 = 20;

fn client_of(request_id: u64) -> u32 {
    (request_id & ((1 << CLIENT_BITS) - 1)) as u32
}

/// A request's number in the run (1 for the first sent): a driver's index
/// for what it keeps per request.
pub(crate) fn sent_number(request_id: u64) -> u64 {
    request_id >> CLIENT_BITS
}

/// When each client starts, ms from the run's start. Poisson gaps are the
/// world's arrival draws, keyed by client: a policy change never moves them.
/// A gap that begins in a spike (`sim.spike`) is divided by its factor.
pub fn client_starts(config: &RunConfig, world: &World) -> Vec<u64> {
    let scenario = &config.scenario;
    let mut start = 0u64;
    (0..scenario.clients)
        .map(|client| {
            match scenario.arrival {
                Arrival::AllAtOnce => {}
                // Outside spikes this sums to client × interval_ms, as before.
                Arrival::Interval if client > 0 => {
                    let gap = spiked_gap_ms(&scenario.spikes, start, scenario.interval_ms);
                    start = start.saturating_add(gap);
                }
                Arrival::Interval => {}
                Arrival::Poisson if client > 0 => {
                    let u = world.unit(Stream::Arrival, [u64::from(client), 0], 0);
                    let gap = -libm::log(1.0 - u) * scenario.interval_ms as f64;
                    start =
                        start.saturating_add(spiked_gap_ms(&scenario.spikes, start, gap as u64));
                }
                Arrival::Poisson => {}
            }
            start
        })
        .collect()
}

impl Engine {
    /// A run of `config` in the world of `seed`, not yet started: its first
    /// timers (client arrivals) are set.
    pub fn new(config: &RunConfig, seed: u64, options: EngineOptions) -> Engine {
        let world = World::new(seed);
        let layers = config.scenario.layers.clamp(1, crate::layers::LAYERS_MAX);
        let policies: Vec<Arc<PolicyConfig>> = (0..layers as usize)
            .map(|i| {
                let mut policy = config.layer_policy(i).clone();
                if i + 1 < layers as usize {
                    policy.hedge = Default::default(); // upper layers wait for one call below
                }
                Arc::new(policy)
            })
            .collect();
        // One copy of each layer's breaker, budget and throttle settings for all clients.
        let shared: Vec<ClientConfig> = policies.iter().map(|p| ClientConfig::new(p)).collect();
        let mut engine = Engine {
            config: config.clone(),
            world,
            options,
            clients: (0..config.scenario.clients)
                .map(|_| ClientRun {
                    states: shared.iter().map(ClientState::shared).collect(),
                    calls: SmallVec::new(),
                    next_ordinal: 0,
                })
                .collect(),
            flights_of: vec![0; config.scenario.clients as usize],
            shared_throttles: policies
                .iter()
                .map(|p| {
                    (p.throttle.scope == ThrottleScope::Shared).then(|| Throttle::new(&p.throttle))
                })
                .collect(),
            policies,
            timers: TimeQueue::default(),
            requests_sent: 0,
            next_call_id: 0,
            clients_running: config.scenario.clients,
            transmits: VecDeque::new(),
            aborts: VecDeque::new(),
            lanes: Vec::new(),
            lane_requests: Vec::new(),
            client_events: Vec::new(),
            tally: Tally::new(
                u64::from(config.scenario.clients) * u64::from(config.scenario.calls_per_client),
            )
            .with_layers(layers)
            .recovering_from(config.last_trigger_end_ms()),
            load: LoadSeries::default(),
            density: DensityRecorder::default(),
            call_ends: Default::default(),
            now_ms: 0,
            end_ms: None,
        };
        for (client, at_ms) in client_starts(config, &world).into_iter().enumerate() {
            engine.set_timer(
                at_ms,
                TimerKind::Start {
                    client: client as u32,
                },
            );
        }
        if engine.clients_running == 0 {
            engine.end_ms = Some(0);
        }
        engine
    }

    /// The run's config.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.world.seed()
    }

    /// The time of the latest input, ms.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Calls started so far, of `clients × calls` in all.
    pub fn calls_started(&self) -> u64 {
        u64::from(self.next_call_id)
    }

    /// Every call ended, or the horizon came.
    pub fn is_finished(&self) -> bool {
        self.end_ms.is_some()
    }

    /// When the engine next needs [`Engine::handle_timeout`]: its earliest
    /// timer, or the horizon. `None` once finished.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.is_finished() {
            return None;
        }
        let horizon = self.config.scenario.horizon_ms;
        Some(self.timers.next_ms().map_or(horizon, |at| at.min(horizon)))
    }

    /// The next request to abandon (its attempt timed out, or the run
    /// ended): a live driver aborts its fetch, a simulator tells the server.
    pub fn poll_abort(&mut self) -> Option<u64> {
        self.aborts.pop_front()
    }

    /// The run is stopped at `now_ms` (a cancel): calls still going are
    /// unfinished and their requests are abandoned, as at the horizon.
    pub fn stop(&mut self, now_ms: u64) {
        if !self.is_finished() {
            self.now_ms = self.now_ms.max(now_ms);
            self.finish(self.now_ms);
        }
    }

    /// Time passed to `now_ms`: fires every timer due by then (in due order),
    /// and ends the run at the horizon.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.is_finished() {
            return;
        }
        self.now_ms = self.now_ms.max(now_ms);
        let horizon = self.config.scenario.horizon_ms;
        let due = now_ms.min(horizon);
        while let Some((at_ms, timer)) = self.timers.pop_due(due) {
            if let Some(&next) = self.timers.peek_next(LOOKAHEAD) {
                self.prefetch_timer(next);
            }
            self.fire(now_ms, at_ms, timer);
            if self.is_finished() {
                return;
            }
        }
        if now_ms >= horizon {
            self.finish(horizon);
        }
    }

    /// A reply to request `request_id` arrived at `now_ms`: a status (with
    /// its Retry-After, already parsed) or a network error. A reply to a
    /// request the engine abandoned changes nothing.
    pub fn handle_reply(
        &mut self,
        now_ms: u64,
        request_id: u64,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
    ) {
        self.handle_reply_hinted(
            now_ms,
            request_id,
            outcome,
            retry_after_ms,
            ReplyHints::default(),
        );
    }

    /// [`Engine::handle_reply`] with the reply's other hints
    /// (`x-amz-retry-after`, gRPC's pushback, the error code).
    pub fn handle_reply_hinted(
        &mut self,
        now_ms: u64,
        request_id: u64,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
        hints: ReplyHints,
    ) {
        if self.is_finished() {
            return;
        }
        self.now_ms = self.now_ms.max(now_ms);
        let client = client_of(request_id);
        let Some((ordinal, flight)) = self.flight(client, request_id) else {
            return;
        };
        self.load.down(now_ms);
        match client::after(flight.stage, outcome) {
            Next::SendMain => self.transmit(now_ms, client, ordinal, flight.wire, Stage::Main),
            Next::End(outcome) => self.end_attempt(
                now_ms,
                client,
                ordinal,
                flight.wire,
                outcome,
                retry_after_ms,
                hints,
            ),
        }
    }

    /// The server applied request `request_id`'s create to an item that
    /// already had a copy: a duplicate create, marked on the attempt's bar
    /// when the call is kept in detail. Drivers tell it whenever the
    /// server's duplicate count grows, even for a request the call abandoned.
    pub fn handle_duplicate_create(&mut self, request_id: u64) {
        let Ok(i) = self
            .lane_requests
            .binary_search_by_key(&request_id, |r| r.request_id)
        else {
            return;
        };
        self.mark_duplicate(self.lane_requests[i]);
    }

    /// The same, for the request `identity` sent (the mock worker lists its
    /// duplicates by `X-Mock-Call`; a live run has at most 2,000 calls).
    pub fn handle_duplicate_create_of(&mut self, identity: &Identity) {
        let found = self.lane_requests.iter().rev().find(|r| {
            (r.client, r.ordinal, r.wire) == (identity.client, identity.ordinal, identity.attempt)
        });
        if let Some(r) = found.copied() {
            self.mark_duplicate(r);
        }
    }

    fn mark_duplicate(&mut self, r: LaneRequest) {
        if let Some(bar) = self
            .lanes
            .get_mut(r.call as usize)
            .and_then(|l| l.attempts.get_mut(r.bar as usize))
        {
            bar.duplicate = true;
        }
    }

    /// The run as recorded so far (for a running live run, up to now), with
    /// the server's counters.
    pub fn trace(&self, counters: &Counters) -> Trace {
        let horizon_ms = self.config.scenario.horizon_ms;
        let end_ms = self.end_ms.unwrap_or(self.now_ms);
        let mut density = self.density.clone();
        if !self.is_finished() {
            // Attempts still in flight count as unfinished for now.
            for run in self.clients.iter().flat_map(|c| &c.calls) {
                for flight in &run.flights {
                    density.add(flight.start_ms, None);
                }
            }
        }
        Trace {
            seed: self.world.seed(),
            horizon_ms,
            end_ms,
            calls: self.lanes.clone(),
            client_events: self.client_events.clone(),
            server_load: self.load.samples(end_ms),
            density: density.report(end_ms),
            server_queue: Vec::new(),
            call_ends: self.call_ends.report(end_ms),
            windows: crate::trace::windows_of(&self.config),
            capacity_rps: self.config.endpoint.capacity.rps,
            counters: counters.clone(),
            summary: self.tally.summary(counters, end_ms, horizon_ms),
        }
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod layout {
    use std::mem::size_of;

    /// A million-call run touches a client's record at every event and
    /// queues millions of timers: growing either is a cache miss more.
    #[test]
    fn a_client_and_a_timer_stay_small() {
        assert_eq!(size_of::<super::TimerKind>(), 16);
        assert!(size_of::<policy::ClientState>() <= 224);
        assert!(size_of::<super::CallRun>() <= 328);
        assert!(size_of::<super::ClientRun>() <= 576);
    }
}
