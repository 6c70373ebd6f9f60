//! The endpoint's configuration and its `endpoint.*` knobs.
//!
//! Every field a user can change has a dotted knob name (see [`EndpointConfig::knobs`]),
//! read with [`EndpointConfig::get`] and written with [`EndpointConfig::set`].
//! Fault probabilities are checked to sum to at most 1 when set; a config built
//! another way (say, deserialized) can be checked with [`EndpointConfig::validate`],
//! and the server never panics on one that fails the check.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::capacity::Capacity;
use crate::script::{Script, ScriptAfter, ScriptScope};

mod knobs;

policy::choices! {
    /// The shape of the latency distribution.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum LatencyKind {
        /// Always `fixed_ms`.
        #[default]
        Fixed = "fixed",
        /// An integer uniformly from `min_ms..=max_ms`.
        Uniform = "uniform",
        /// Log-normal fitted to `p50_ms` and `p99_ms`:
        /// `mu = ln p50`, `sigma = (ln p99 − ln p50) / 2.326`.
        LongTail = "long_tail",
    }
}

/// How long the server takes to answer, before overload adds to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    /// Which distribution.
    pub kind: LatencyKind,
    /// `fixed`: the latency, ms.
    pub fixed_ms: u64,
    /// `uniform`: the smallest latency, ms.
    pub min_ms: u64,
    /// `uniform`: the largest latency, ms (swapped with `min_ms` if smaller).
    pub max_ms: u64,
    /// `long_tail`: the median latency, ms.
    pub p50_ms: u64,
    /// `long_tail`: the 99th percentile latency, ms (taken as `p50_ms` if smaller).
    pub p99_ms: u64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            kind: LatencyKind::Fixed,
            fixed_ms: 50,
            min_ms: 20,
            max_ms: 200,
            p50_ms: 50,
            p99_ms: 500,
        }
    }
}

/// Probabilities (each in `0..=1`, summing to at most 1) of the faults drawn
/// for every request that got past outages, fail-first-N and overload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultMix {
    /// 500 Internal Server Error.
    pub status_500: f64,
    /// 502 Bad Gateway.
    pub status_502: f64,
    /// 503 Service Unavailable (with `Retry-After` when `retry_after_on_503`).
    pub status_503: f64,
    /// 504 Gateway Timeout.
    pub status_504: f64,
    /// 429 Too Many Requests, with `Retry-After: retry_after_s`.
    pub status_429: f64,
    /// 400 Bad Request.
    pub status_400: f64,
    /// 401 Unauthorized.
    pub status_401: f64,
    /// 403 Forbidden.
    pub status_403: f64,
    /// 404 Not Found.
    pub status_404: f64,
    /// Connection reset: the fetch rejects.
    pub reset: f64,
    /// Never answers: only a client timeout ends it.
    pub hang: f64,
    /// Commit then lose the response: the request is handled (a create is
    /// applied and stored), then the reply is lost as `commit_lose_as`.
    pub commit_lose: f64,
}

impl FaultMix {
    /// The sum of all probabilities.
    pub fn total(&self) -> f64 {
        self.status_500
            + self.status_502
            + self.status_503
            + self.status_504
            + self.status_429
            + self.status_400
            + self.status_401
            + self.status_403
            + self.status_404
            + self.reset
            + self.hang
            + self.commit_lose
    }
}

/// A way to fail a request without handling it.
///
/// Serialized as a string: a status code (`"503"`), `"reset"` or `"hang"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum FailWith {
    /// Answer with this status (a 4xx or 5xx).
    Status(u16),
    /// Reset the connection.
    Reset,
    /// Never answer.
    Hang,
}

impl FailWith {
    /// The choices offered by the knobs that take a `FailWith`.
    pub const NAMES: &'static [&'static str] = &[
        "500", "502", "503", "504", "429", "400", "401", "403", "404", "reset", "hang",
    ];

    /// Parses `"503"`, `"reset"` or `"hang"`; statuses must be 400..=599.
    pub fn parse(value: &str) -> Option<FailWith> {
        match value.trim() {
            "reset" => Some(FailWith::Reset),
            "hang" => Some(FailWith::Hang),
            other => other
                .parse::<u16>()
                .ok()
                .filter(|s| (400..=599).contains(s))
                .map(FailWith::Status),
        }
    }
}

impl fmt::Display for FailWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailWith::Status(status) => write!(f, "{status}"),
            FailWith::Reset => f.write_str("reset"),
            FailWith::Hang => f.write_str("hang"),
        }
    }
}

impl From<FailWith> for String {
    fn from(value: FailWith) -> String {
        value.to_string()
    }
}

impl TryFrom<String> for FailWith {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        FailWith::parse(&value).ok_or_else(|| {
            format!("bad failure `{value}`: expected a status from 400 to 599, `reset` or `hang`")
        })
    }
}

/// A window of time during which every request fails the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Outage {
    /// When the outage starts, ms of server time.
    pub start_ms: u64,
    /// How long it lasts, ms (0: no outage).
    pub duration_ms: u64,
    /// How requests fail during it.
    pub status: FailWith,
}

impl Default for Outage {
    fn default() -> Self {
        Outage {
            start_ms: 0,
            duration_ms: 0,
            status: FailWith::Status(503),
        }
    }
}

impl Outage {
    /// Whether `now_ms` falls in `[start_ms, start_ms + duration_ms)`.
    pub fn covers(&self, now_ms: u64) -> bool {
        now_ms >= self.start_ms && now_ms < self.start_ms.saturating_add(self.duration_ms)
    }
}

/// Beyond a concurrency limit, errors and latency rise with every excess request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Overload {
    /// Requests the server handles comfortably at once (0: no limit).
    pub limit: u32,
    /// Probability of a 503 added per request in flight beyond `limit`.
    pub error_per_excess: f64,
    /// Latency added per request in flight beyond `limit`, ms.
    pub latency_ms_per_excess: u64,
}

impl Default for Overload {
    fn default() -> Self {
        Overload {
            limit: 0,
            error_per_excess: 0.05,
            latency_ms_per_excess: 10,
        }
    }
}

policy::choices! {
    /// How clients create items. On the server only `IdempotencyKey` changes
    /// behaviour (it honours the `Idempotency-Key` header); the others tell the
    /// client which request sequence to send.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CreateMode {
        /// `POST /items`: every applied POST creates a new resource (duplicates).
        #[default]
        NaivePost = "naive_post",
        /// `GET /items/{name}`, then `POST /items` if it was 404: races between clients.
        CheckThenCreate = "check_then_create",
        /// `POST /items` with an `Idempotency-Key` header, honoured by a store.
        IdempotencyKey = "idempotency_key",
        /// `PUT /items/{name}`: create-or-replace, never duplicates.
        PutWithId = "put_with_id",
    }
}

policy::choices! {
    /// How a commit-then-lose fault loses the reply.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CommitLoseAs {
        /// The reply never comes: the client times out.
        #[default]
        Hang = "hang",
        /// The connection resets when the reply would have left.
        Reset = "reset",
    }
}

/// Everything that shapes how the mock endpoint behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointConfig {
    /// Latency distribution.
    pub latency: Latency,
    /// Fault probabilities.
    pub faults: FaultMix,
    /// `Retry-After` value sent with 429 (and 503 when `retry_after_on_503`), seconds.
    pub retry_after_s: u64,
    /// Whether 503 answers carry `Retry-After` too.
    pub retry_after_on_503: bool,
    /// How commit-then-lose loses the reply.
    pub commit_lose_as: CommitLoseAs,
    /// The first N requests the server receives fail with `fail_first_status`.
    pub fail_first_n: u64,
    /// How the first N requests fail.
    pub fail_first_status: FailWith,
    /// Outage windows; the `endpoint.outage.*` knobs edit the first one.
    pub outages: Vec<Outage>,
    /// The overload model.
    pub overload: Overload,
    /// Create semantics.
    pub create: CreateMode,
    /// Service rate, queue and shedding (off by default: see [`crate::capacity`]).
    pub capacity: Capacity,
    /// Scripted replies, call by call (see [`crate::script`]); decides before everything else.
    #[serde(skip_serializing_if = "Script::is_empty")]
    pub script: Script,
    /// What an attempt beyond its call's script meets.
    #[serde(skip_serializing_if = "is_default")]
    pub script_after: ScriptAfter,
    /// Whose calls the script's calls are.
    #[serde(skip_serializing_if = "is_default")]
    pub script_scope: ScriptScope,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            latency: Latency::default(),
            faults: FaultMix::default(),
            retry_after_s: 1,
            retry_after_on_503: false,
            commit_lose_as: CommitLoseAs::Hang,
            fail_first_n: 0,
            fail_first_status: FailWith::Status(503),
            outages: Vec::new(),
            overload: Overload::default(),
            create: CreateMode::NaivePost,
            capacity: Capacity::default(),
            script: Script::default(),
            script_after: ScriptAfter::default(),
            script_scope: ScriptScope::default(),
        }
    }
}
