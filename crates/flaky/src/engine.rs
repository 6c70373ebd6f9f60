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
//! | `Wake` | a call sleeps (backoff, Retry-After) | the call is polled again |
//! | `AttemptTimeout` | an attempt with a timeout is sent | the attempt ends as timed out, its request is aborted |
//! | horizon | always, at `sim.horizon_ms` | calls still going are unfinished; the run ends |
//!
//! A timer that fires late (a live browser) still plans from its due time:
//! an attempt records both when it was planned and when it was sent.
//!
//! ```
//! use flaky::engine::{Engine, EngineOptions};
//! use flaky::sim::{AttemptOutcome, RunConfig};
//! let mut config = RunConfig::default();
//! config.set("sim.clients", "2").unwrap();
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

use std::collections::VecDeque;
use std::sync::Arc;

use policy::{Call, ClientState, PolicyConfig, Step};

use crate::client::{self, Next};
use crate::queue::TimeQueue;
use crate::scenario::{Arrival, RunConfig};
use crate::trace::{
    AttemptOutcome, AttemptTrace, CallTrace, ClientEventTrace, DensityRecorder, LoadSeries,
    SleepTrace, Tally, Trace,
};
use crate::world::{Draws, Identity, Stage, Stream, World};
use crate::{Counters, Request};

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
    },
    AttemptTimeout {
        client: u32,
        ordinal: u32,
        attempt: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    attempt: u32,
    stage: Stage,
    request_id: u64,
    start_ms: u64,
}

struct CallRun {
    id: u32,
    ordinal: u32,
    call: Call,
    draws: Draws,
    start_ms: u64,
    target: String,
    in_flight: Option<InFlight>,
}

struct ClientRun {
    state: ClientState,
    call: Option<CallRun>,
    next_ordinal: u32,
}

/// One run. See the [module docs](self) for the driving loop.
pub struct Engine {
    config: RunConfig,
    policy: Arc<PolicyConfig>,
    world: World,
    options: EngineOptions,
    clients: Vec<ClientRun>,
    timers: TimeQueue<TimerKind>,
    /// Requests sent so far; a request id is `(n << CLIENT_BITS) | client`.
    requests_sent: u64,
    next_call_id: u32,
    clients_running: u32,
    transmits: VecDeque<Transmit>,
    aborts: VecDeque<u64>,
    lanes: Vec<CallTrace>,
    client_events: Vec<ClientEventTrace>,
    tally: Tally,
    load: LoadSeries,
    density: DensityRecorder,
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

/// When each client starts, ms from the run's start. Poisson gaps are the
/// world's arrival draws, keyed by client: a policy change never moves them.
pub fn client_starts(config: &RunConfig, world: &World) -> Vec<u64> {
    let scenario = &config.scenario;
    let mut start = 0u64;
    (0..scenario.clients)
        .map(|client| {
            match scenario.arrival {
                Arrival::AllAtOnce => {}
                Arrival::Interval => start = u64::from(client).saturating_mul(scenario.interval_ms),
                Arrival::Poisson if client > 0 => {
                    let u = world.unit(Stream::Arrival, [u64::from(client), 0], 0);
                    let gap = -libm::log(1.0 - u) * scenario.interval_ms as f64;
                    start = start.saturating_add(gap as u64);
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
        let mut engine = Engine {
            policy: Arc::new(config.policy.clone()),
            config: config.clone(),
            world,
            options,
            clients: (0..config.scenario.clients)
                .map(|_| ClientRun {
                    state: ClientState::new(&config.policy),
                    call: None,
                    next_ordinal: 0,
                })
                .collect(),
            timers: TimeQueue::default(),
            requests_sent: 0,
            next_call_id: 0,
            clients_running: config.scenario.clients,
            transmits: VecDeque::new(),
            aborts: VecDeque::new(),
            lanes: Vec::new(),
            client_events: Vec::new(),
            tally: Tally::new(
                u64::from(config.scenario.clients) * u64::from(config.scenario.calls_per_client),
            ),
            load: LoadSeries::default(),
            density: DensityRecorder::default(),
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

    /// The next request to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
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
        if self.is_finished() {
            return;
        }
        self.now_ms = self.now_ms.max(now_ms);
        let client = client_of(request_id);
        let Some(flight) = self.flight(client).filter(|f| f.request_id == request_id) else {
            return;
        };
        self.load.down(now_ms);
        match client::after(flight.stage, outcome) {
            Next::SendMain => self.transmit(now_ms, client, Stage::Main),
            Next::End(outcome) => self.end_attempt(now_ms, client, outcome, retry_after_ms),
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
            for run in self.clients.iter().filter_map(|c| c.call.as_ref()) {
                if let Some(flight) = run.in_flight {
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
            counters: counters.clone(),
            summary: self.tally.summary(counters, end_ms, horizon_ms),
        }
    }

    fn set_timer(&mut self, at_ms: u64, kind: TimerKind) {
        self.timers.push(at_ms, kind);
    }

    fn call(&self, client: u32) -> Option<&CallRun> {
        self.clients.get(client as usize)?.call.as_ref()
    }

    fn call_mut(&mut self, client: u32) -> Option<&mut CallRun> {
        self.clients.get_mut(client as usize)?.call.as_mut()
    }

    fn lane_mut(&mut self, call_id: u32) -> Option<&mut CallTrace> {
        self.lanes.get_mut(call_id as usize)
    }

    fn fire(&mut self, now_ms: u64, at_ms: u64, timer: TimerKind) {
        match timer {
            TimerKind::Start { client } => self.start_call(now_ms, at_ms, client),
            TimerKind::Wake { client, ordinal } => {
                if self.call(client).is_some_and(|c| c.ordinal == ordinal) {
                    self.drive(now_ms, at_ms, client);
                }
            }
            TimerKind::AttemptTimeout {
                client,
                ordinal,
                attempt,
            } => {
                let flight = self
                    .call(client)
                    .filter(|c| c.ordinal == ordinal)
                    .and_then(|c| c.in_flight)
                    .filter(|f| f.attempt == attempt);
                if let Some(flight) = flight {
                    self.abandon(now_ms, flight.request_id);
                    self.end_attempt(now_ms, client, AttemptOutcome::TimedOut, None);
                }
            }
        }
    }

    /// The request in flight of `client`'s call, if any.
    fn flight(&self, client: u32) -> Option<InFlight> {
        self.call(client)?.in_flight.filter(|f| f.request_id != 0)
    }

    fn abandon(&mut self, now_ms: u64, request_id: u64) {
        self.load.down(now_ms);
        self.aborts.push_back(request_id);
    }

    fn start_call(&mut self, now_ms: u64, planned_ms: u64, client: u32) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let ordinal = slot.next_ordinal;
        slot.next_ordinal += 1;
        let id = self.next_call_id;
        self.next_call_id = self.next_call_id.saturating_add(1);
        let mut draws = self.world.client_draws(client, ordinal);
        let kind = client::request_kind(&self.config);
        let call = Call::new(self.policy.clone(), now_ms, kind, &mut draws);
        let target = client::target(&self.config.scenario, client, ordinal);
        if id < self.options.lanes_max {
            self.lanes.push(CallTrace {
                id,
                client,
                target: target.clone(),
                start_ms: now_ms,
                end_ms: None,
                result: None,
                idempotency_key: call.idempotency_key().map(str::to_string),
                attempts: Vec::new(),
                sleeps: Vec::new(),
            });
        }
        self.tally.call_started();
        slot.call = Some(CallRun {
            id,
            ordinal,
            call,
            draws,
            start_ms: now_ms,
            target,
            in_flight: None,
        });
        self.drive(now_ms, planned_ms, client);
    }

    /// Polls the client's call and carries out its step.
    fn drive(&mut self, now_ms: u64, planned_ms: u64, client: u32) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let Some(run) = slot.call.as_mut() else {
            return;
        };
        let step = run.call.poll(now_ms, &mut slot.state, &mut run.draws);
        let (id, ordinal, start_ms) = (run.id, run.ordinal, run.start_ms);
        self.collect_client_events(client);
        match step {
            Step::Send {
                attempt,
                timeout_ms,
                probe,
                ..
            } => {
                let stage = client::first_stage(&self.config);
                if let Some(run) = self.call_mut(client) {
                    run.in_flight = Some(InFlight {
                        attempt,
                        stage,
                        request_id: 0,
                        start_ms: now_ms,
                    });
                }
                if let Some(lane) = self.lane_mut(id) {
                    let planned = planned_ms.min(now_ms);
                    lane.attempts.push(AttemptTrace::started(
                        attempt, planned, now_ms, timeout_ms, probe,
                    ));
                }
                self.tally.attempt_sent(now_ms.saturating_sub(planned_ms));
                self.transmit(now_ms, client, stage);
                if let Some(t) = timeout_ms {
                    let kind = TimerKind::AttemptTimeout {
                        client,
                        ordinal,
                        attempt,
                    };
                    self.set_timer(now_ms.saturating_add(t), kind);
                }
            }
            Step::Sleep { until_ms, reason } => {
                if let Some(lane) = self.lane_mut(id) {
                    lane.sleeps.push(SleepTrace {
                        from_ms: now_ms,
                        until_ms,
                        reason,
                    });
                }
                self.set_timer(until_ms, TimerKind::Wake { client, ordinal });
            }
            Step::AwaitOutcome => {}
            Step::Done(done) => {
                if let Some(lane) = self.lane_mut(id) {
                    lane.end_ms = Some(now_ms);
                    lane.result = Some(done.clone());
                }
                self.tally.call_done(start_ms, now_ms, &done);
                let calls = self.config.scenario.calls_per_client;
                let gap = self.config.scenario.call_gap_ms;
                if let Some(slot) = self.clients.get_mut(client as usize) {
                    slot.call = None;
                    if slot.next_ordinal < calls {
                        self.set_timer(now_ms.saturating_add(gap), TimerKind::Start { client });
                        return;
                    }
                }
                self.clients_running = self.clients_running.saturating_sub(1);
                if self.clients_running == 0 {
                    self.finish(now_ms);
                }
            }
        }
    }

    /// Sends the request of `stage` for the client's attempt in flight.
    fn transmit(&mut self, now_ms: u64, client: u32, stage: Stage) {
        let request_id = ((self.requests_sent + 1) << CLIENT_BITS) | u64::from(client);
        let Some(run) = self
            .clients
            .get_mut(client as usize)
            .and_then(|s| s.call.as_mut())
        else {
            return;
        };
        let Some(flight) = run.in_flight.as_mut() else {
            return;
        };
        self.requests_sent += 1;
        flight.request_id = request_id;
        flight.stage = stage;
        let identity = Identity {
            client,
            ordinal: run.ordinal,
            attempt: flight.attempt,
            stage,
        };
        let mut request =
            client::request(&self.config, &run.target, run.call.idempotency_key(), stage);
        request.id = request_id;
        let id = run.id;
        if let Some(attempt) = self.lane_mut(id).and_then(|l| l.attempts.last_mut()) {
            attempt.requests += 1;
        }
        self.load.up(now_ms);
        self.transmits.push_back(Transmit {
            request_id,
            identity,
            request,
        });
    }

    fn end_attempt(
        &mut self,
        now_ms: u64,
        client: u32,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
    ) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let Some(run) = slot.call.as_mut() else {
            return;
        };
        let Some(flight) = run.in_flight.take() else {
            return;
        };
        let id = run.id;
        let policy_outcome = client::policy_outcome(outcome, retry_after_ms);
        run.call
            .on_outcome(now_ms, flight.attempt, policy_outcome, &mut slot.state);
        if let Some(attempt) = self.lane_mut(id).and_then(|l| l.attempts.last_mut()) {
            attempt.end_ms = Some(now_ms);
            attempt.outcome = Some(outcome);
        }
        self.density.add(flight.start_ms, Some(outcome));
        self.collect_client_events(client);
        self.drive(now_ms, now_ms, client);
    }

    fn collect_client_events(&mut self, client: u32) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        for e in slot.state.take_events() {
            self.tally.client_event(client, e.at_ms, &e.kind);
            if client < self.options.lanes_max {
                self.client_events.push(ClientEventTrace {
                    client,
                    at_ms: e.at_ms,
                    kind: e.kind,
                });
            }
        }
    }

    /// Ends the run at `end_ms`: calls still going are unfinished and their
    /// requests are abandoned.
    fn finish(&mut self, end_ms: u64) {
        let mut flights = Vec::new();
        for run in self.clients.iter().filter_map(|c| c.call.as_ref()) {
            if let Some(flight) = run.in_flight {
                flights.push(flight);
            }
        }
        for flight in flights {
            self.density.add(flight.start_ms, None);
            self.abandon(end_ms, flight.request_id);
        }
        let unfinished = self.clients.iter().any(|c| c.call.is_some());
        self.end_ms = Some(if unfinished {
            end_ms
        } else {
            self.tally.drain_ms()
        });
        self.timers.clear();
    }
}
