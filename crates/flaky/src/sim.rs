//! The deterministic simulator: many clients, each running the real
//! [`policy::Call`] state machines (with its own breaker and budget), against
//! one [`Server`], over a network with delay, on a virtual clock that jumps
//! from event to event.
//!
//! Same [`RunConfig`] and seed ⇒ the same [`Trace`], byte for byte, on native
//! and on wasm: one seeded generator for the network and the clients' draws,
//! one for the server, and events ordered by `(time, sequence number)`.
//!
//! ```
//! use flaky::sim::{self, RunConfig};
//! let mut config = RunConfig::default();
//! config.set("sim.clients", "20").unwrap();
//! config.set("endpoint.fault.503", "0.3").unwrap();
//! let trace = sim::run(&config, 7);
//! let summary = trace.summary();
//! assert_eq!(summary.calls, 20);
//! assert!(summary.amplification >= 1.0);
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use policy::knob::{self, KnobError, KnobKind, KnobSpec};
use policy::rand_chacha::rand_core::SeedableRng;
use policy::rand_chacha::ChaCha8Rng;
use policy::{Call, ClientEventKind, ClientState, Done, GaveUp, PolicyConfig, SleepReason, Step};
use serde::{Deserialize, Serialize};

use crate::client::{self, Next, Stage};
use crate::{EndpointConfig, Reply, Server};

/// When clients start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Every client starts at 0 ms: a thundering herd.
    #[default]
    AllAtOnce,
    /// Client `i` starts at `i · sim.interval_ms`.
    Interval,
    /// Gaps between client starts are exponential with mean `sim.interval_ms`.
    Poisson,
}

impl Arrival {
    const NAMES: &'static [&'static str] = &["all_at_once", "interval", "poisson"];
    const ALL: [Arrival; 3] = [Arrival::AllAtOnce, Arrival::Interval, Arrival::Poisson];
}

/// What each logical call does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `GET /flaky`: a read, idempotent.
    #[default]
    Read,
    /// Create an item the way `endpoint.create` says (POST, GET-then-POST,
    /// keyed POST or PUT).
    Create,
}

impl Operation {
    const NAMES: &'static [&'static str] = &["read", "create"];
    const ALL: [Operation; 2] = [Operation::Read, Operation::Create];
}

/// The workload: how many clients, when they start, what they do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioConfig {
    /// Number of clients, each with its own breaker and budget.
    pub clients: u32,
    /// Logical calls per client, one after another.
    pub calls_per_client: u32,
    pub arrival: Arrival,
    /// Gap between client starts (interval), or its mean (poisson), ms.
    pub interval_ms: u64,
    /// A client's pause between the end of one call and the start of its next, ms.
    pub call_gap_ms: u64,
    /// One-way network delay, ms.
    pub net_ms: u64,
    /// Extra one-way delay drawn uniformly from `[0, net_jitter_ms]`, ms.
    pub net_jitter_ms: u64,
    /// The run stops here; calls still going are reported as unfinished, ms.
    pub horizon_ms: u64,
    pub operation: Operation,
    /// Every client creates the same item names (`item-<call number>`), so
    /// concurrent check-then-create calls race on one name.
    pub shared_names: bool,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        ScenarioConfig {
            clients: 10,
            calls_per_client: 1,
            arrival: Arrival::AllAtOnce,
            interval_ms: 100,
            call_gap_ms: 0,
            net_ms: 5,
            net_jitter_ms: 0,
            horizon_ms: 60_000,
            operation: Operation::Read,
            shared_names: false,
        }
    }
}

/// The knob name of a choice value (`names` and `all` are in the same order).
fn name_of<T: PartialEq>(names: &[&str], all: &[T], value: T) -> String {
    all.iter()
        .position(|v| *v == value)
        .and_then(|i| names.get(i))
        .unwrap_or(&"")
        .to_string()
}

static SCENARIO_KNOBS: &[KnobSpec] = &[
    KnobSpec { name: "sim.clients", kind: KnobKind::Int { min: 1, max: 100_000 }, unit: "", help: "Concurrent clients, each with its own breaker and budget." },
    KnobSpec { name: "sim.calls", kind: KnobKind::Int { min: 1, max: 10_000 }, unit: "", help: "Logical calls per client, one after another." },
    KnobSpec { name: "sim.arrival", kind: KnobKind::Choice(Arrival::NAMES), unit: "", help: "When clients start: all at 0 ms, every interval_ms, or Poisson with mean gap interval_ms." },
    KnobSpec { name: "sim.interval_ms", kind: KnobKind::Int { min: 0, max: 3_600_000 }, unit: "ms", help: "Gap between client starts (interval) or its mean (poisson)." },
    KnobSpec { name: "sim.call_gap_ms", kind: KnobKind::Int { min: 0, max: 3_600_000 }, unit: "ms", help: "A client's pause between one call's end and its next call." },
    KnobSpec { name: "sim.net_ms", kind: KnobKind::Int { min: 0, max: 60_000 }, unit: "ms", help: "One-way network delay." },
    KnobSpec { name: "sim.net_jitter_ms", kind: KnobKind::Int { min: 0, max: 60_000 }, unit: "ms", help: "Extra one-way delay, uniform in [0, net_jitter_ms]." },
    KnobSpec { name: "sim.horizon_ms", kind: KnobKind::Int { min: 1, max: 86_400_000 }, unit: "ms", help: "The run stops here; calls still going count as unfinished." },
    KnobSpec { name: "sim.operation", kind: KnobKind::Choice(Operation::NAMES), unit: "", help: "read: GET /flaky. create: create an item as endpoint.create says." },
    KnobSpec { name: "sim.shared_names", kind: KnobKind::Bool, unit: "", help: "All clients create the same item names: concurrent check-then-create races." },
];

impl ScenarioConfig {
    /// The scenario's knobs (`sim.*`).
    pub fn knobs() -> &'static [KnobSpec] {
        SCENARIO_KNOBS
    }

    /// A knob's value as text, `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "sim.clients" => self.clients.to_string(),
            "sim.calls" => self.calls_per_client.to_string(),
            "sim.arrival" => name_of(Arrival::NAMES, &Arrival::ALL, self.arrival),
            "sim.interval_ms" => self.interval_ms.to_string(),
            "sim.call_gap_ms" => self.call_gap_ms.to_string(),
            "sim.net_ms" => self.net_ms.to_string(),
            "sim.net_jitter_ms" => self.net_jitter_ms.to_string(),
            "sim.horizon_ms" => self.horizon_ms.to_string(),
            "sim.operation" => name_of(Operation::NAMES, &Operation::ALL, self.operation),
            "sim.shared_names" => self.shared_names.to_string(),
            _ => return None,
        })
    }

    /// Sets a knob from text; the config is unchanged on error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let spec = knob::find(SCENARIO_KNOBS, name)?;
        let int = |v: &str| spec.parse_int(v);
        match name {
            "sim.clients" => self.clients = int(value)? as u32,
            "sim.calls" => self.calls_per_client = int(value)? as u32,
            "sim.arrival" => self.arrival = Arrival::ALL[spec.parse_choice(value)?],
            "sim.interval_ms" => self.interval_ms = int(value)?,
            "sim.call_gap_ms" => self.call_gap_ms = int(value)?,
            "sim.net_ms" => self.net_ms = int(value)?,
            "sim.net_jitter_ms" => self.net_jitter_ms = int(value)?,
            "sim.horizon_ms" => self.horizon_ms = int(value)?,
            "sim.operation" => self.operation = Operation::ALL[spec.parse_choice(value)?],
            "sim.shared_names" => self.shared_names = spec.parse_bool(value)?,
            _ => {
                return Err(KnobError::UnknownName {
                    name: name.into(),
                    valid: SCENARIO_KNOBS.iter().map(|k| k.name).collect(),
                })
            }
        }
        Ok(())
    }
}

/// Everything a run needs: the client policy, the endpoint, the workload.
/// Knob names are dispatched by prefix: `sim.*` to the scenario, `endpoint.*`
/// to the endpoint, everything else to the policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    pub policy: PolicyConfig,
    pub endpoint: EndpointConfig,
    pub scenario: ScenarioConfig,
}

impl RunConfig {
    /// Every knob of the three parts: policy, endpoint, scenario.
    pub fn knobs() -> impl Iterator<Item = &'static KnobSpec> {
        PolicyConfig::knobs()
            .iter()
            .chain(EndpointConfig::knobs())
            .chain(ScenarioConfig::knobs())
    }

    /// A knob's value as text, `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<String> {
        if name.starts_with("sim.") {
            self.scenario.get(name)
        } else if name.starts_with("endpoint.") {
            self.endpoint.get(name)
        } else {
            self.policy.get(name)
        }
    }

    /// Sets a knob from text. An unknown name's error lists every valid name
    /// of all three parts. The config is unchanged on error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let result = if name.starts_with("sim.") {
            self.scenario.set(name, value)
        } else if name.starts_with("endpoint.") {
            self.endpoint.set(name, value)
        } else {
            self.policy.set(name, value)
        };
        result.map_err(|e| match e {
            KnobError::UnknownName { name, .. } => KnobError::UnknownName {
                name,
                valid: Self::knobs().map(|k| k.name).collect(),
            },
            other => other,
        })
    }

    /// Every knob whose value differs from the default, as `(name, value)`:
    /// what a share link or a `--set` list needs to reproduce this config.
    pub fn changed_knobs(&self) -> Vec<(String, String)> {
        self.knobs_differing_from(&RunConfig::default())
    }

    /// Every knob whose value differs from `base`'s, as `(name, value)`:
    /// applied to `base` with [`RunConfig::set`], they give this config.
    pub fn knobs_differing_from(&self, base: &RunConfig) -> Vec<(String, String)> {
        let mut changed: Vec<(String, String)> = Self::knobs()
            .filter_map(|k| {
                let value = self.get(k.name)?;
                (base.get(k.name).as_deref() != Some(value.as_str()))
                    .then(|| (k.name.to_string(), value))
            })
            .collect();
        // Per-status overrides (`retry.status.NNN`) are not in the static knob list.
        let (mine, theirs) = (self.policy.knob_values(), base.policy.knob_values());
        let is_status = |k: &str| k.starts_with("retry.status.");
        for (k, v) in mine.iter().filter(|(k, _)| is_status(k)) {
            if !theirs.iter().any(|(bk, bv)| bk == k && bv == v) {
                changed.push((k.clone(), v.clone()));
            }
        }
        for (k, _) in theirs.iter().filter(|(k, _)| is_status(k)) {
            if !mine.iter().any(|(mk, _)| mk == k) {
                changed.push((k.clone(), "default".to_string()));
            }
        }
        changed
    }

    /// Checks cross-knob rules (e.g. fault probabilities summing past 1).
    pub fn validate(&self) -> Result<(), String> {
        self.policy.validate()?;
        self.endpoint.validate().map_err(|e| e.to_string())
    }
}

/// How one attempt ended, as the client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A response with this status.
    Status(u16),
    /// The connection reset (fetch rejected).
    NetworkError,
    /// The client's timeout fired.
    TimedOut,
}

impl AttemptOutcome {
    /// A short name for colouring and counting: `2xx`, `4xx`, `5xx`, `429`,
    /// `409`, `network_error`, `timed_out`.
    pub fn class(&self) -> &'static str {
        match self {
            AttemptOutcome::Status(409) => "409",
            AttemptOutcome::Status(429) => "429",
            AttemptOutcome::Status(s) if *s < 300 => "2xx",
            AttemptOutcome::Status(s) if *s < 500 => "4xx",
            AttemptOutcome::Status(_) => "5xx",
            AttemptOutcome::NetworkError => "network_error",
            AttemptOutcome::TimedOut => "timed_out",
        }
    }
}

/// One attempt of a call: a bar on its lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptTrace {
    /// 1-based.
    pub attempt: u32,
    pub start_ms: u64,
    /// `None`: still waiting at the horizon (a hang with no timeout).
    pub end_ms: Option<u64>,
    /// The timeout the policy gave this attempt.
    pub timeout_ms: Option<u64>,
    /// A half-open breaker probe.
    pub probe: bool,
    /// Server requests this attempt made (2 for check-then-create's GET + POST).
    pub requests: u32,
    pub outcome: Option<AttemptOutcome>,
}

impl AttemptTrace {
    /// An attempt just sent: no request counted, no end, no outcome yet.
    pub fn started(
        attempt: u32,
        start_ms: u64,
        timeout_ms: Option<u64>,
        probe: bool,
    ) -> AttemptTrace {
        AttemptTrace {
            attempt,
            start_ms,
            end_ms: None,
            timeout_ms,
            probe,
            requests: 0,
            outcome: None,
        }
    }
}

/// A wait between attempts: a gap on the lane, labelled with its reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SleepTrace {
    pub from_ms: u64,
    pub until_ms: u64,
    pub reason: SleepReason,
}

/// One logical call: a lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallTrace {
    pub id: u32,
    pub client: u32,
    /// The item it creates (create), or the path it reads.
    pub target: String,
    pub start_ms: u64,
    /// `None`: unfinished at the horizon.
    pub end_ms: Option<u64>,
    pub result: Option<Done>,
    pub idempotency_key: Option<String>,
    pub attempts: Vec<AttemptTrace>,
    pub sleeps: Vec<SleepTrace>,
}

/// A change in one client's breaker or budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientEventTrace {
    pub client: u32,
    pub at_ms: u64,
    pub kind: ClientEventKind,
}

/// Server load in one time bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadSample {
    pub from_ms: u64,
    pub until_ms: u64,
    /// Requests that arrived in the bucket.
    pub arrivals: u64,
    /// The most requests in flight at once during the bucket.
    pub in_flight_max: u32,
}

/// Everything that happened in a run: what the UI draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub seed: u64,
    pub horizon_ms: u64,
    /// When the last event happened (or the horizon, if calls were unfinished).
    pub end_ms: u64,
    pub calls: Vec<CallTrace>,
    pub client_events: Vec<ClientEventTrace>,
    pub server_load: Vec<LoadSample>,
    pub counters: crate::Counters,
}

/// The figures of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub calls: u64,
    pub succeeded: u64,
    /// Gave-up calls by reason (`AttemptsExhausted`, `BreakerOpen`, `NonRetryable`, ...).
    pub gave_up: BTreeMap<String, u64>,
    /// Calls still going at the horizon (a hung attempt with no timeout, an endless retry loop).
    pub unfinished: u64,
    /// Attempts sent by all clients.
    pub attempts: u64,
    pub server_requests: u64,
    /// `server_requests / calls`.
    pub amplification: f64,
    /// Latency of finished calls (start to done), nearest rank.
    pub latency_ms_p50: u64,
    pub latency_ms_p95: u64,
    pub latency_ms_p99: u64,
    pub creates_applied: u64,
    pub duplicates: u64,
    /// When the last call finished (or the horizon, if some never did).
    pub time_to_drain_ms: u64,
    /// Time breakers spent open, summed over clients, ms.
    pub breaker_open_ms: u64,
    pub server_in_flight_max: u32,
}

impl Trace {
    /// Computes the run's figures.
    pub fn summary(&self) -> Summary {
        let mut gave_up = BTreeMap::new();
        let mut succeeded = 0;
        let mut unfinished = 0;
        let mut latencies = Vec::with_capacity(self.calls.len());
        let mut drain = 0;
        for call in &self.calls {
            match (&call.result, call.end_ms) {
                (Some(done), Some(end)) => {
                    latencies.push(end.saturating_sub(call.start_ms));
                    drain = drain.max(end);
                    match done {
                        Done::Succeeded { .. } => succeeded += 1,
                        Done::GaveUp { reason, .. } => {
                            *gave_up.entry(gave_up_name(reason).to_string()).or_insert(0) += 1
                        }
                    }
                }
                _ => unfinished += 1,
            }
        }
        if unfinished > 0 {
            drain = self.horizon_ms;
        }
        latencies.sort_unstable();
        let calls = self.calls.len() as u64;
        let server_requests = self.counters.requests_received;
        Summary {
            calls,
            succeeded,
            gave_up,
            unfinished,
            attempts: self.calls.iter().map(|c| c.attempts.len() as u64).sum(),
            server_requests,
            amplification: if calls == 0 {
                0.0
            } else {
                server_requests as f64 / calls as f64
            },
            latency_ms_p50: percentile(&latencies, 50),
            latency_ms_p95: percentile(&latencies, 95),
            latency_ms_p99: percentile(&latencies, 99),
            creates_applied: self.counters.creates_applied,
            duplicates: self.counters.duplicates,
            time_to_drain_ms: drain,
            breaker_open_ms: self.breaker_open_ms(),
            server_in_flight_max: self.counters.in_flight_max,
        }
    }

    /// Time breakers spent open, summed over clients. An open breaker
    /// becomes half-open when its open duration ends even if no call asks it
    /// (it changes lazily), so an open spell ends at the first of: the next
    /// transition, its `until_ms`, the end of the run.
    fn breaker_open_ms(&self) -> u64 {
        // client → (opened at, open until)
        let mut open: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
        let mut total = 0u64;
        let spell = |(since, until): (u64, u64), end: u64| end.min(until).saturating_sub(since);
        for e in &self.client_events {
            if let ClientEventKind::Breaker(state) = &e.kind {
                if let Some(spell_open) = open.remove(&e.client) {
                    total = total.saturating_add(spell(spell_open, e.at_ms));
                }
                if let policy::BreakerState::Open { until_ms } = state {
                    open.insert(e.client, (e.at_ms, *until_ms));
                }
            }
        }
        for spell_open in open.values() {
            total = total.saturating_add(spell(*spell_open, self.end_ms));
        }
        total
    }
}

/// The stable name of a give-up reason, used as the key in [`Summary::gave_up`].
pub fn gave_up_name(reason: &GaveUp) -> &'static str {
    match reason {
        GaveUp::AttemptsExhausted => "AttemptsExhausted",
        GaveUp::DeadlineExceeded => "DeadlineExceeded",
        GaveUp::BudgetExhausted => "BudgetExhausted",
        GaveUp::BreakerOpen => "BreakerOpen",
        GaveUp::NonRetryable { .. } => "NonRetryable",
        GaveUp::NetworkErrorNotRetried => "NetworkErrorNotRetried",
        GaveUp::TimeoutNotRetried => "TimeoutNotRetried",
        GaveUp::UnkeyedNonIdempotent => "UnkeyedNonIdempotent",
    }
}

/// Nearest-rank percentile of sorted values; 0 when empty.
fn percentile(sorted: &[u64], p: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as u64).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

/// The server's generator is seeded with `seed ^ SERVER_SEED_XOR`, so the
/// server's draws differ from the clients' (the live driver and the mock
/// worker use the same rule: same seed, same decisions).
pub const SERVER_SEED_XOR: u64 = 0x5EED_F1A4;

/// Wall-clock time at virtual 0 ms, for `Retry-After` HTTP-dates (2026-01-01T00:00:00Z).
pub const EPOCH_UNIX_MS: u64 = 1_767_225_600_000;

#[derive(Clone, Copy, Debug)]
struct InFlight {
    attempt: u32,
    stage: Stage,
    request_id: u64,
}

struct CallRun {
    call: Call,
    client: u32,
    index_in_client: u32,
    in_flight: Option<InFlight>,
}

#[derive(Clone, Copy, Debug)]
enum What {
    /// A client starts its call number `index`.
    Start { client: u32, index: u32 },
    /// A call's sleep ends.
    Wake { call: u32 },
    /// A request reaches the server.
    AtServer {
        call: u32,
        attempt: u32,
        stage: Stage,
        request_id: u64,
    },
    /// A reply (or a reset) reaches the client.
    AtClient {
        call: u32,
        attempt: u32,
        stage: Stage,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
    },
    /// An attempt's timeout fires.
    Timeout { call: u32, attempt: u32 },
}

struct Event {
    at_ms: u64,
    seq: u64,
    what: What,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (self.at_ms, self.seq) == (other.at_ms, other.seq)
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    // Reversed: BinaryHeap is a max-heap and the earliest event goes first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_ms, other.seq).cmp(&(self.at_ms, self.seq))
    }
}

struct Sim<'a> {
    config: &'a RunConfig,
    policy: Arc<PolicyConfig>,
    rng: ChaCha8Rng,
    server: Server,
    clients: Vec<ClientState>,
    runs: Vec<CallRun>,
    trace: Vec<CallTrace>,
    client_events: Vec<ClientEventTrace>,
    /// (arrival, departure or None for a hang) of every server request.
    requests: Vec<(u64, Option<u64>)>,
    queue: BinaryHeap<Event>,
    seq: u64,
    next_request_id: u64,
    last_event_ms: u64,
}

/// Runs the scenario and returns its trace. Deterministic in `(config, seed)`.
pub fn run(config: &RunConfig, seed: u64) -> Trace {
    let scenario = &config.scenario;
    let mut sim = Sim {
        config,
        policy: Arc::new(config.policy.clone()),
        rng: ChaCha8Rng::seed_from_u64(seed),
        server: Server::new(config.endpoint.clone(), seed ^ SERVER_SEED_XOR),
        clients: (0..scenario.clients)
            .map(|_| ClientState::new(&config.policy))
            .collect(),
        runs: Vec::new(),
        trace: Vec::new(),
        client_events: Vec::new(),
        requests: Vec::new(),
        queue: BinaryHeap::new(),
        seq: 0,
        next_request_id: 1,
        last_event_ms: 0,
    };
    for (client, start) in client::client_starts(scenario, &mut sim.rng)
        .into_iter()
        .enumerate()
    {
        sim.push(
            start,
            What::Start {
                client: client as u32,
                index: 0,
            },
        );
    }
    while let Some(event) = sim.queue.pop() {
        if event.at_ms > scenario.horizon_ms {
            break;
        }
        // A late reply to an attempt the client already gave up on (or a
        // timeout that lost the race) changes nothing: the run is over without it.
        if !sim.is_stale(&event.what) {
            sim.last_event_ms = event.at_ms;
        }
        sim.handle(event);
    }
    sim.finish(seed)
}

impl Sim<'_> {
    fn push(&mut self, at_ms: u64, what: What) {
        self.seq += 1;
        self.queue.push(Event {
            at_ms,
            seq: self.seq,
            what,
        });
    }

    fn net_delay(&mut self) -> u64 {
        let jitter = self.config.scenario.net_jitter_ms;
        let extra = if jitter == 0 {
            0
        } else {
            (policy::unit_f64(&mut self.rng) * (jitter + 1) as f64) as u64
        };
        self.config
            .scenario
            .net_ms
            .saturating_add(extra.min(jitter))
    }

    fn is_stale(&self, what: &What) -> bool {
        let flight = |call: &u32| self.runs.get(*call as usize).and_then(|r| r.in_flight);
        match what {
            What::AtClient {
                call,
                attempt,
                stage,
                ..
            } => flight(call).is_none_or(|f| f.attempt != *attempt || f.stage != *stage),
            What::Timeout { call, attempt } => flight(call).is_none_or(|f| f.attempt != *attempt),
            _ => false,
        }
    }

    fn handle(&mut self, event: Event) {
        let now = event.at_ms;
        match event.what {
            What::Start { client, index } => self.start_call(now, client, index),
            What::Wake { call } => self.drive(now, call),
            What::AtServer {
                call,
                attempt,
                stage,
                request_id,
            } => self.at_server(now, call, attempt, stage, request_id),
            What::AtClient {
                call,
                attempt,
                stage,
                outcome,
                retry_after_ms,
            } => self.at_client(now, call, attempt, stage, outcome, retry_after_ms),
            What::Timeout { call, attempt } => {
                let Some(flight) = self.runs[call as usize].in_flight else {
                    return;
                };
                if flight.attempt != attempt {
                    return;
                }
                self.server.cancel(now, flight.request_id);
                self.end_attempt(now, call, AttemptOutcome::TimedOut, None);
            }
        }
    }

    fn start_call(&mut self, now: u64, client: u32, index: u32) {
        let id = self.runs.len() as u32;
        let (call, trace) = client::start_call(
            self.config,
            &self.policy,
            now,
            id,
            client,
            index,
            &mut self.rng,
        );
        self.trace.push(trace);
        self.runs.push(CallRun {
            call,
            client,
            index_in_client: index,
            in_flight: None,
        });
        self.drive(now, id);
    }

    /// Polls the call and carries out its step.
    fn drive(&mut self, now: u64, call: u32) {
        let run = &mut self.runs[call as usize];
        let client = run.client as usize;
        let step = run.call.poll(now, &mut self.clients[client], &mut self.rng);
        self.collect_client_events(client as u32);
        match step {
            Step::Send {
                attempt,
                timeout_ms,
                idempotency_key,
                probe,
            } => {
                let stage = client::first_stage(self.config);
                self.trace[call as usize]
                    .attempts
                    .push(AttemptTrace::started(attempt, now, timeout_ms, probe));
                // The key was drawn when the call was made; `request_for` sends it on every attempt.
                debug_assert_eq!(
                    idempotency_key.as_deref(),
                    self.trace[call as usize].idempotency_key.as_deref()
                );
                self.runs[call as usize].in_flight = Some(InFlight {
                    attempt,
                    stage,
                    request_id: 0,
                });
                self.send(now, call, attempt, stage);
                if let Some(t) = timeout_ms {
                    self.push(now.saturating_add(t), What::Timeout { call, attempt });
                }
            }
            Step::Sleep { until_ms, reason } => {
                self.trace[call as usize].sleeps.push(SleepTrace {
                    from_ms: now,
                    until_ms,
                    reason,
                });
                self.push(until_ms, What::Wake { call });
            }
            Step::AwaitOutcome => {}
            Step::Done(done) => {
                let run = &self.runs[call as usize];
                let (client, next) = (run.client, run.index_in_client + 1);
                let trace = &mut self.trace[call as usize];
                trace.end_ms = Some(now);
                trace.result = Some(done);
                if next < self.config.scenario.calls_per_client {
                    let at = now.saturating_add(self.config.scenario.call_gap_ms);
                    self.push(
                        at,
                        What::Start {
                            client,
                            index: next,
                        },
                    );
                }
            }
        }
    }

    fn send(&mut self, now: u64, call: u32, attempt: u32, stage: Stage) {
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        if let Some(flight) = self.runs[call as usize].in_flight.as_mut() {
            flight.request_id = request_id;
            flight.stage = stage;
        }
        if let Some(a) = self.trace[call as usize].attempts.last_mut() {
            a.requests += 1;
        }
        let delay = self.net_delay();
        self.push(
            now.saturating_add(delay),
            What::AtServer {
                call,
                attempt,
                stage,
                request_id,
            },
        );
    }

    fn at_server(&mut self, now: u64, call: u32, attempt: u32, stage: Stage, request_id: u64) {
        let trace = &self.trace[call as usize];
        let mut request = client::request(
            self.config,
            &trace.target,
            trace.idempotency_key.as_deref(),
            stage,
        );
        request.id = request_id;
        let reply = self.server.handle(now, &request);
        let back = self.net_delay();
        let departure = match &reply {
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
                        policy::retry_after::parse(v, EPOCH_UNIX_MS.saturating_add(*at_ms)).ok()
                    });
                let outcome = AttemptOutcome::Status(*status);
                self.push(
                    at_ms.saturating_add(back),
                    What::AtClient {
                        call,
                        attempt,
                        stage,
                        outcome,
                        retry_after_ms,
                    },
                );
                Some(*at_ms)
            }
            Reply::Reset { at_ms } => {
                let outcome = AttemptOutcome::NetworkError;
                self.push(
                    at_ms.saturating_add(back),
                    What::AtClient {
                        call,
                        attempt,
                        stage,
                        outcome,
                        retry_after_ms: None,
                    },
                );
                Some(*at_ms)
            }
            Reply::Hang => None,
        };
        self.requests.push((now, departure));
    }

    fn at_client(
        &mut self,
        now: u64,
        call: u32,
        attempt: u32,
        stage: Stage,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
    ) {
        let Some(flight) = self.runs[call as usize].in_flight else {
            return;
        };
        if flight.attempt != attempt || flight.stage != stage {
            return; // a reply to an attempt that already timed out
        }
        match client::after(stage, outcome) {
            Next::SendMain => self.send(now, call, attempt, Stage::Main),
            Next::End(outcome) => self.end_attempt(now, call, outcome, retry_after_ms),
        }
    }

    fn end_attempt(
        &mut self,
        now: u64,
        call: u32,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
    ) {
        let Some(flight) = self.runs[call as usize].in_flight.take() else {
            return;
        };
        if let Some(a) = self.trace[call as usize].attempts.last_mut() {
            a.end_ms = Some(now);
            a.outcome = Some(outcome);
        }
        let policy_outcome = client::policy_outcome(outcome, retry_after_ms);
        let run = &mut self.runs[call as usize];
        let client = run.client as usize;
        run.call.on_outcome(
            now,
            flight.attempt,
            policy_outcome,
            &mut self.clients[client],
        );
        self.collect_client_events(client as u32);
        self.drive(now, call);
    }

    fn collect_client_events(&mut self, client: u32) {
        for e in self.clients[client as usize].take_events() {
            self.client_events.push(ClientEventTrace {
                client,
                at_ms: e.at_ms,
                kind: e.kind,
            });
        }
    }

    fn finish(self, seed: u64) -> Trace {
        let horizon = self.config.scenario.horizon_ms;
        let unfinished = self.trace.iter().any(|c| c.end_ms.is_none());
        let end_ms = if unfinished {
            horizon
        } else {
            self.last_event_ms
        };
        let server_load = load_samples(&self.requests, end_ms);
        Trace {
            seed,
            horizon_ms: horizon,
            end_ms,
            calls: self.trace,
            client_events: self.client_events,
            server_load,
            counters: self.server.counters().clone(),
        }
    }
}

/// Number of buckets of the server-load series.
const LOAD_BUCKETS: u64 = 100;

/// Buckets arrivals and in-flight counts over `[0, end_ms]`. `requests` holds
/// each server request's (arrival, departure) ms; `None`: it never departed (a hang).
pub fn load_samples(requests: &[(u64, Option<u64>)], end_ms: u64) -> Vec<LoadSample> {
    let width = (end_ms / LOAD_BUCKETS).max(1);
    let buckets = end_ms / width + 1;
    // Arrivals (+1) and departures (−1) in time order, departures first on a tie; a hang never departs.
    let mut edges: Vec<(u64, i64)> = Vec::with_capacity(requests.len() * 2);
    for &(arrive, depart) in requests {
        edges.push((arrive, 1));
        if let Some(d) = depart {
            edges.push((d, -1));
        }
    }
    edges.sort_unstable();
    let mut level: i64 = 0;
    let mut next = 0;
    (0..buckets)
        .map(|b| {
            let (from_ms, until_ms) = (b * width, (b + 1) * width);
            let mut sample = LoadSample {
                from_ms,
                until_ms,
                arrivals: 0,
                in_flight_max: level.max(0) as u32,
            };
            while let Some(&(_, delta)) = edges.get(next).filter(|e| e.0 < until_ms) {
                level += delta;
                if delta > 0 {
                    sample.arrivals += 1;
                }
                sample.in_flight_max = sample.in_flight_max.max(level.max(0) as u32);
                next += 1;
            }
            sample
        })
        .collect()
}
