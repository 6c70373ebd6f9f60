//! What a run recorded: its lanes (calls kept in detail), client events,
//! the load and attempt-density series, and the figures of its [`Summary`].
//!
//! The run engine records all of it as the run goes ([`Tally`] in
//! [`crate::tally`]; the load and density series in [`crate::series`]), so a
//! run of a million calls needs memory for its clients and for the lanes it
//! keeps, not for every attempt.

use std::collections::BTreeMap;

use policy::{ClientEventKind, Done, GaveUp, SleepReason};
use serde::{Deserialize, Serialize};

use crate::Counters;

pub use crate::series::{
    density_class, Density, DensityRecorder, LoadSeries, QueueSeries, DENSITY_CLASSES,
};
pub use crate::tally::{Histogram, Tally};

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
    /// The adaptive throttle rejected the attempt at the client: nothing was sent.
    ThrottledLocally,
    /// Another attempt of the call (a hedge) succeeded first, and this one
    /// was cancelled. Its request had been sent: nothing on the wire tells
    /// the server to stop, so the server still does its work (the server's
    /// counters include it) unless it sheds it.
    Cancelled,
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
            AttemptOutcome::ThrottledLocally => "throttled_locally",
            AttemptOutcome::Cancelled => "cancelled",
        }
    }
}

/// One attempt of a call: a bar on its lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptTrace {
    /// 1-based.
    pub attempt: u32,
    /// When the policy wanted it sent (a sleep's end, the call's start), ms.
    pub planned_ms: u64,
    /// When it was sent: later than `planned_ms` when a live browser's timers ran late, ms.
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
    /// Sent while another attempt of the call was still in flight (a hedge).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hedge: bool,
    /// This attempt's create made another copy of an item that already had
    /// one: a duplicate create. The server's fact, told to the engine by the
    /// driver ([`crate::engine::Engine::handle_duplicate_create`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub duplicate: bool,
    /// With `sim.layers > 1`: the attempt of each layer above the bottom that
    /// this request serves, top first (`[2, 1]`: the top's 2nd attempt, its
    /// call's 1st attempt in the middle). Empty with one layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<u32>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

impl AttemptTrace {
    /// An attempt just sent: no request counted, no end, no outcome yet.
    pub fn started(
        attempt: u32,
        planned_ms: u64,
        start_ms: u64,
        timeout_ms: Option<u64>,
        probe: bool,
    ) -> AttemptTrace {
        AttemptTrace {
            attempt,
            planned_ms,
            start_ms,
            end_ms: None,
            timeout_ms,
            probe,
            requests: 0,
            outcome: None,
            hedge: false,
            duplicate: false,
            layers: Vec::new(),
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

/// What a time window on the server's or the arrivals' side was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// The endpoint failed every request (`endpoint.outages`, `endpoint.outage.*`).
    Outage,
    /// Arrivals came faster (`sim.spike`).
    Spike,
}

/// An outage or a spike of the run's config, as the charts band it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTrace {
    pub from_ms: u64,
    pub until_ms: u64,
    pub kind: WindowKind,
}

/// The outages (`endpoint.outages`) and arrival spikes (`sim.spike`) of
/// `config`, in start order (empty windows left out).
pub fn windows_of(config: &crate::scenario::RunConfig) -> Vec<WindowTrace> {
    let outages = config.endpoint.outages.iter().map(|o| WindowTrace {
        from_ms: o.start_ms,
        until_ms: o.start_ms.saturating_add(o.duration_ms),
        kind: WindowKind::Outage,
    });
    let spikes = config.scenario.spikes.iter().map(|s| WindowTrace {
        from_ms: s.start_ms,
        until_ms: s.start_ms.saturating_add(s.duration_ms),
        kind: WindowKind::Spike,
    });
    let mut windows: Vec<WindowTrace> = outages
        .chain(spikes)
        .filter(|w| w.until_ms > w.from_ms)
        .collect();
    windows.sort_by_key(|w| (w.from_ms, w.until_ms));
    windows
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

/// The server's queue in one time bucket (a server with a capacity limit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueSample {
    pub from_ms: u64,
    pub until_ms: u64,
    /// The longest the queue was during the bucket.
    pub queue_len_max: u32,
    /// Requests shed or rejected during the bucket.
    pub shed: u64,
}

/// Everything that happened in a run: what the UI draws.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub seed: u64,
    pub horizon_ms: u64,
    /// When the last call ended (or the horizon, if calls were unfinished).
    pub end_ms: u64,
    /// The lanes kept in detail: calls `0..lanes` in start order (every
    /// call when the run was asked for its full trace).
    pub calls: Vec<CallTrace>,
    /// Breaker and budget changes of the clients `0..lanes`.
    pub client_events: Vec<ClientEventTrace>,
    /// Requests in flight over time (sent, not yet answered, timed out or aborted).
    pub server_load: Vec<LoadSample>,
    /// Attempts over time by outcome, for every call of the run.
    pub density: Density,
    /// The server's queue over time; empty without `endpoint.capacity.rps`
    /// (and in live mode, where the mock worker keeps no series).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_queue: Vec<QueueSample>,
    /// Calls that ended over time, succeeded or gave up, for every call.
    #[serde(default)]
    pub call_ends: crate::series::CallEnds,
    /// The run's outages and arrival spikes, in start order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<WindowTrace>,
    /// The server's service rate, requests started per second (0: no limit).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub capacity_rps: u32,
    pub counters: Counters,
    /// The run's figures, over every call (not only the lanes).
    pub summary: Summary,
}

impl Trace {
    /// The run's figures (computed as the run went, over every call).
    pub fn summary(&self) -> Summary {
        self.summary.clone()
    }

    /// Whether `calls` holds every call of the run that started.
    pub fn is_complete(&self) -> bool {
        self.calls.len() as u64 == self.summary.calls - self.summary.not_started
    }
}

/// The figures of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// The scenario's logical calls (`sim.clients × sim.calls`), started or not.
    pub calls: u64,
    pub succeeded: u64,
    /// Gave-up calls by reason (`AttemptsExhausted`, `BreakerOpen`, `NonRetryable`, ...).
    pub gave_up: BTreeMap<String, u64>,
    /// Calls not finished at the horizon: still going (a hung attempt with no
    /// timeout, an endless retry loop) or never started (`not_started`).
    pub unfinished: u64,
    /// Calls whose start the horizon came before (their client was still busy).
    pub not_started: u64,
    /// Attempts sent by all clients.
    pub attempts: u64,
    pub server_requests: u64,
    /// `server_requests / calls started`.
    pub amplification: f64,
    /// Latency of finished calls (start to done), nearest rank.
    pub latency_ms_p50: u64,
    pub latency_ms_p95: u64,
    pub latency_ms_p99: u64,
    pub creates_applied: u64,
    pub duplicates: u64,
    /// When the last call finished (or when the run ended, at the horizon or
    /// stopped, if some never did).
    pub time_to_drain_ms: u64,
    /// Time breakers spent open, summed over clients, ms.
    pub breaker_open_ms: u64,
    pub server_in_flight_max: u32,
    /// How late attempts were sent after the policy planned them (0 in a
    /// simulation; a live browser's timers and fetch queue), nearest rank, ms.
    pub lateness_ms_p50: u64,
    pub lateness_ms_p99: u64,
    pub lateness_ms_max: u64,
    /// Calls that succeeded per second of the run: `succeeded × 1000 / end_ms`.
    pub goodput: f64,
    /// How long after the last outage or spike ended the run was healthy
    /// again (calls succeeding at ≥ 90% of the rate they start, over a whole
    /// second; see [`crate::recovery`]), ms; `None`: never within the run.
    pub recovered_ms: Option<u64>,
    /// Requests the server shed or rejected unserved (`endpoint.shed`, `endpoint.queue.max`).
    pub shed: u64,
    // Measures of the mechanisms beyond the chapter, left out of JSON while
    // zero so that older traces (and the golden files) read the same.
    /// Attempts sent while another attempt of the same call was in flight.
    #[serde(skip_serializing_if = "is_zero")]
    pub hedged_attempts: u64,
    /// Attempts the adaptive throttle rejected at the client (never sent).
    #[serde(skip_serializing_if = "is_zero")]
    pub throttled_locally: u64,
    /// With `sim.layers > 1`: calls into each layer, top first, then the
    /// requests the endpoint received (see [`Summary::requests_per_layer`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requests_per_layer: Vec<u64>,
}

/// One figure of a summary: a count, a real number (`amplification`), or
/// no value (`recovered_ms` of a run that never recovered).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    Count(u64),
    Real(f64),
    /// No value: written `null`.
    Missing,
}

impl Figure {
    /// The figure as a number to average (counts up to 2^53 are exact);
    /// `None` for [`Figure::Missing`].
    pub fn value(self) -> Option<f64> {
        match self {
            Figure::Count(n) => Some(n as f64),
            Figure::Real(x) => Some(x),
            Figure::Missing => None,
        }
    }

    /// A count, or missing.
    pub fn maybe(value: Option<u64>) -> Figure {
        value.map_or(Figure::Missing, Figure::Count)
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Figure::Count(n) => write!(f, "{n}"),
            Figure::Real(x) => write!(f, "{x}"),
            Figure::Missing => f.write_str("null"),
        }
    }
}

impl Summary {
    /// Every figure in field order, by the names `run --format json` uses;
    /// `gave_up` is the total over the reasons.
    pub fn figures(&self) -> Vec<(&'static str, Figure)> {
        let s = self;
        use Figure::{Count, Real};
        let mut figures = vec![
            ("calls", Count(s.calls)),
            ("succeeded", Count(s.succeeded)),
            ("gave_up", Count(s.gave_up.values().sum())),
            ("unfinished", Count(s.unfinished)),
            ("not_started", Count(s.not_started)),
            ("attempts", Count(s.attempts)),
            ("server_requests", Count(s.server_requests)),
            ("amplification", Real(s.amplification)),
            ("latency_ms_p50", Count(s.latency_ms_p50)),
            ("latency_ms_p95", Count(s.latency_ms_p95)),
            ("latency_ms_p99", Count(s.latency_ms_p99)),
            ("creates_applied", Count(s.creates_applied)),
            ("duplicates", Count(s.duplicates)),
            ("time_to_drain_ms", Count(s.time_to_drain_ms)),
            ("breaker_open_ms", Count(s.breaker_open_ms)),
            (
                "server_in_flight_max",
                Count(u64::from(s.server_in_flight_max)),
            ),
            ("lateness_ms_p50", Count(s.lateness_ms_p50)),
            ("lateness_ms_p99", Count(s.lateness_ms_p99)),
            ("lateness_ms_max", Count(s.lateness_ms_max)),
            ("goodput", Real(s.goodput)),
            ("recovered_ms", Figure::maybe(s.recovered_ms)),
            ("shed", Count(s.shed)),
            ("hedged_attempts", Count(s.hedged_attempts)),
            ("throttled_locally", Count(s.throttled_locally)),
        ];
        // An array measure becomes one figure per index: requests_per_layer.0, .1, ...
        for (i, n) in s.requests_per_layer().into_iter().enumerate() {
            let name = REQUESTS_PER_LAYER_NAMES
                .get(i)
                .copied()
                .unwrap_or("requests_per_layer.?");
            figures.push((name, Count(n)));
        }
        figures
    }

    /// Calls into each layer of the stack, top first (index 0 = the logical
    /// calls started), then the requests the endpoint received (last). With
    /// one layer: `[calls started, server_requests]`.
    pub fn requests_per_layer(&self) -> Vec<u64> {
        if self.requests_per_layer.is_empty() {
            vec![self.calls - self.not_started, self.server_requests]
        } else {
            self.requests_per_layer.clone()
        }
    }

    /// Whether `name` is a figure (see [`Summary::figures`]) or `gave_up.<Reason>`.
    pub fn has_figure(&self, name: &str) -> bool {
        match name.strip_prefix("gave_up.") {
            Some(reason) => GAVE_UP_NAMES.contains(&reason),
            None => self.figures().iter().any(|(n, _)| *n == name),
        }
    }

    /// One figure by its name (see [`Summary::figures`]), as a number; `None`
    /// for a name that is not a figure, or a figure with no value
    /// ([`Summary::has_figure`] tells them apart).
    /// `gave_up.<Reason>` names one give-up reason's count.
    pub fn figure(&self, name: &str) -> Option<f64> {
        if let Some(reason) = name.strip_prefix("gave_up.") {
            return GAVE_UP_NAMES
                .contains(&reason)
                .then(|| self.gave_up.get(reason).copied().unwrap_or(0) as f64);
        }
        self.figures()
            .into_iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, f)| f.value())
    }
}

/// The figure names of [`Summary::requests_per_layer`]: up to 4 layers and the endpoint.
pub const REQUESTS_PER_LAYER_NAMES: [&str; 5] = [
    "requests_per_layer.0",
    "requests_per_layer.1",
    "requests_per_layer.2",
    "requests_per_layer.3",
    "requests_per_layer.4",
];

/// Every give-up reason's stable name, in [`gave_up_name`]'s order.
pub const GAVE_UP_NAMES: [&str; 10] = [
    "AttemptsExhausted",
    "DeadlineExceeded",
    "BudgetExhausted",
    "BreakerOpen",
    "NonRetryable",
    "NetworkErrorNotRetried",
    "TimeoutNotRetried",
    "UnkeyedNonIdempotent",
    "ThrottledLocally",
    "BulkheadFull",
];

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
        GaveUp::ThrottledLocally => "ThrottledLocally",
        GaveUp::BulkheadFull => "BulkheadFull",
    }
}
