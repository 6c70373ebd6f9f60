//! The endpoint's configuration and its `endpoint.*` knobs.
//!
//! Every field a user can change has a dotted knob name (see [`EndpointConfig::knobs`]),
//! read with [`EndpointConfig::get`] and written with [`EndpointConfig::set`].
//! Fault probabilities are checked to sum to at most 1 when set; a config built
//! another way (say, deserialized) can be checked with [`EndpointConfig::validate`],
//! and the server never panics on one that fails the check.

use std::fmt;

use policy::knob::{self, KnobError, KnobKind, KnobSpec};
use serde::{Deserialize, Serialize};

use crate::capacity::{self, Capacity};
use crate::windows;

/// The shape of the latency distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyKind {
    /// Always `fixed_ms`.
    #[default]
    Fixed,
    /// An integer uniformly from `min_ms..=max_ms`.
    Uniform,
    /// Log-normal fitted to `p50_ms` and `p99_ms`:
    /// `mu = ln p50`, `sigma = (ln p99 − ln p50) / 2.326`.
    LongTail,
}

impl LatencyKind {
    const NAMES: &'static [&'static str] = &["fixed", "uniform", "long_tail"];
    const ALL: [LatencyKind; 3] = [
        LatencyKind::Fixed,
        LatencyKind::Uniform,
        LatencyKind::LongTail,
    ];
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

/// How clients create items. On the server only `IdempotencyKey` changes
/// behaviour (it honours the `Idempotency-Key` header); the others tell the
/// client which request sequence to send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateMode {
    /// `POST /items`: every applied POST creates a new resource (duplicates).
    #[default]
    NaivePost,
    /// `GET /items/{name}`, then `POST /items` if it was 404: races between clients.
    CheckThenCreate,
    /// `POST /items` with an `Idempotency-Key` header, honoured by a store.
    IdempotencyKey,
    /// `PUT /items/{name}`: create-or-replace, never duplicates.
    PutWithId,
}

impl CreateMode {
    const NAMES: &'static [&'static str] = &[
        "naive_post",
        "check_then_create",
        "idempotency_key",
        "put_with_id",
    ];
    const ALL: [CreateMode; 4] = [
        CreateMode::NaivePost,
        CreateMode::CheckThenCreate,
        CreateMode::IdempotencyKey,
        CreateMode::PutWithId,
    ];
}

/// How a commit-then-lose fault loses the reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitLoseAs {
    /// The reply never comes: the client times out.
    #[default]
    Hang,
    /// The connection resets when the reply would have left.
    Reset,
}

impl CommitLoseAs {
    const NAMES: &'static [&'static str] = &["hang", "reset"];
    const ALL: [CommitLoseAs; 2] = [CommitLoseAs::Hang, CommitLoseAs::Reset];
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
        }
    }
}

const LATENCY_MS_MAX: u64 = 600_000;
const DAY_MS: u64 = 86_400_000;
const PROBABILITY: KnobKind = KnobKind::Float { min: 0.0, max: 1.0 };

const fn fault(name: &'static str, help: &'static str) -> KnobSpec {
    KnobSpec {
        name,
        kind: PROBABILITY,
        unit: "",
        help,
    }
}

static KNOBS: &[KnobSpec] = &[
    KnobSpec {
        name: "endpoint.latency.kind",
        kind: KnobKind::Choice(LatencyKind::NAMES),
        unit: "",
        help: "latency distribution: fixed, uniform (min..max) or long_tail (log-normal through p50 and p99)",
    },
    KnobSpec {
        name: "endpoint.latency.ms",
        kind: KnobKind::Int { min: 0, max: LATENCY_MS_MAX },
        unit: "ms",
        help: "fixed latency of every answer",
    },
    KnobSpec {
        name: "endpoint.latency.min_ms",
        kind: KnobKind::Int { min: 0, max: LATENCY_MS_MAX },
        unit: "ms",
        help: "uniform latency: smallest value",
    },
    KnobSpec {
        name: "endpoint.latency.max_ms",
        kind: KnobKind::Int { min: 0, max: LATENCY_MS_MAX },
        unit: "ms",
        help: "uniform latency: largest value",
    },
    KnobSpec {
        name: "endpoint.latency.p50_ms",
        kind: KnobKind::Int { min: 0, max: LATENCY_MS_MAX },
        unit: "ms",
        help: "long-tail latency: median; mu = ln p50",
    },
    KnobSpec {
        name: "endpoint.latency.p99_ms",
        kind: KnobKind::Int { min: 0, max: LATENCY_MS_MAX },
        unit: "ms",
        help: "long-tail latency: 99th percentile; sigma = (ln p99 - ln p50) / 2.326",
    },
    fault("endpoint.fault.500", "probability of 500 Internal Server Error"),
    fault("endpoint.fault.502", "probability of 502 Bad Gateway"),
    fault("endpoint.fault.503", "probability of 503 Service Unavailable"),
    fault("endpoint.fault.504", "probability of 504 Gateway Timeout"),
    fault("endpoint.fault.429", "probability of 429 Too Many Requests (with Retry-After)"),
    fault("endpoint.fault.400", "probability of 400 Bad Request"),
    fault("endpoint.fault.401", "probability of 401 Unauthorized"),
    fault("endpoint.fault.403", "probability of 403 Forbidden"),
    fault("endpoint.fault.404", "probability of 404 Not Found"),
    fault("endpoint.fault.reset", "probability of a connection reset (the fetch rejects)"),
    fault("endpoint.fault.hang", "probability of never answering (only a client timeout ends it)"),
    fault(
        "endpoint.fault.commit_lose",
        "probability of commit-then-lose: the create is applied, then the reply is lost",
    ),
    KnobSpec {
        name: "endpoint.retry_after_s",
        kind: KnobKind::Int { min: 0, max: 3600 },
        unit: "s",
        help: "Retry-After header value sent with 429 (and 503 if enabled)",
    },
    KnobSpec {
        name: "endpoint.retry_after_on_503",
        kind: KnobKind::Bool,
        unit: "",
        help: "503 answers carry Retry-After too",
    },
    KnobSpec {
        name: "endpoint.commit_lose_as",
        kind: KnobKind::Choice(CommitLoseAs::NAMES),
        unit: "",
        help: "how commit-then-lose loses the reply: hang (client times out) or reset",
    },
    KnobSpec {
        name: "endpoint.fail_first_n",
        kind: KnobKind::Int { min: 0, max: 1_000_000 },
        unit: "requests",
        help: "the first N requests the server receives fail, then normal behaviour",
    },
    KnobSpec {
        name: "endpoint.fail_first_status",
        kind: KnobKind::Choice(FailWith::NAMES),
        unit: "",
        help: "how the first N requests fail: a status, reset or hang",
    },
    KnobSpec {
        name: "endpoint.outage.start_ms",
        kind: KnobKind::Int { min: 0, max: DAY_MS },
        unit: "ms",
        help: "outage window start, server time",
    },
    KnobSpec {
        name: "endpoint.outage.duration_ms",
        kind: KnobKind::Int { min: 0, max: DAY_MS },
        unit: "ms",
        help: "outage window length (0: no outage)",
    },
    KnobSpec {
        name: "endpoint.outage.status",
        kind: KnobKind::Choice(FailWith::NAMES),
        unit: "",
        help: "how requests fail during every outage window: a status, reset or hang",
    },
    KnobSpec {
        name: "endpoint.outages",
        kind: KnobKind::List { syntax: windows::OUTAGE_SYNTAX },
        unit: "ms",
        help: "outage windows START+DURATION, comma-separated (e.g. 20000+30000,80000+10000); endpoint.outage.* edit the first",
    },
    KnobSpec {
        name: "endpoint.overload.limit",
        kind: KnobKind::Int { min: 0, max: 100_000 },
        unit: "requests",
        help: "concurrency the server handles comfortably (0: no limit)",
    },
    KnobSpec {
        name: "endpoint.overload.error_per_excess",
        kind: PROBABILITY,
        unit: "",
        help: "added 503 probability per request in flight beyond the limit",
    },
    KnobSpec {
        name: "endpoint.overload.latency_ms_per_excess",
        kind: KnobKind::Int { min: 0, max: 60_000 },
        unit: "ms",
        help: "added latency per request in flight beyond the limit",
    },
    KnobSpec {
        name: "endpoint.create",
        kind: KnobKind::Choice(CreateMode::NAMES),
        unit: "",
        help: "create semantics: naive_post, check_then_create, idempotency_key or put_with_id",
    },
    capacity::RPS,
    capacity::QUEUE_MAX,
    capacity::QUEUE_ORDER,
    capacity::SHED,
    capacity::SHED_MAX_AGE_MS,
    capacity::SHED_RETRY_AFTER_S,
];

impl EndpointConfig {
    /// Every `endpoint.*` knob: name, kind and range, unit, one-line meaning.
    pub fn knobs() -> &'static [KnobSpec] {
        KNOBS
    }

    /// The current value of a knob as text `set` accepts, or `None` for an
    /// unknown name. Outage knobs read the first outage (defaults if none).
    pub fn get(&self, name: &str) -> Option<String> {
        let outage = self.outages.first().cloned().unwrap_or_default();
        let l = &self.latency;
        if let Some(value) = self.capacity.get(name) {
            return Some(value);
        }
        Some(match name {
            "endpoint.latency.kind" => choice_name(LatencyKind::NAMES, &LatencyKind::ALL, l.kind),
            "endpoint.latency.ms" => l.fixed_ms.to_string(),
            "endpoint.latency.min_ms" => l.min_ms.to_string(),
            "endpoint.latency.max_ms" => l.max_ms.to_string(),
            "endpoint.latency.p50_ms" => l.p50_ms.to_string(),
            "endpoint.latency.p99_ms" => l.p99_ms.to_string(),
            "endpoint.retry_after_s" => self.retry_after_s.to_string(),
            "endpoint.retry_after_on_503" => self.retry_after_on_503.to_string(),
            "endpoint.commit_lose_as" => {
                choice_name(CommitLoseAs::NAMES, &CommitLoseAs::ALL, self.commit_lose_as)
            }
            "endpoint.fail_first_n" => self.fail_first_n.to_string(),
            "endpoint.fail_first_status" => self.fail_first_status.to_string(),
            "endpoint.outage.start_ms" => outage.start_ms.to_string(),
            "endpoint.outage.duration_ms" => outage.duration_ms.to_string(),
            "endpoint.outage.status" => outage.status.to_string(),
            "endpoint.outages" => {
                windows::format_outages(self.outages.iter().map(|o| (o.start_ms, o.duration_ms)))
            }
            "endpoint.overload.limit" => self.overload.limit.to_string(),
            "endpoint.overload.error_per_excess" => self.overload.error_per_excess.to_string(),
            "endpoint.overload.latency_ms_per_excess" => {
                self.overload.latency_ms_per_excess.to_string()
            }
            "endpoint.create" => choice_name(CreateMode::NAMES, &CreateMode::ALL, self.create),
            other => return fault_slot(&mut self.faults.clone(), other).map(|p| p.to_string()),
        })
    }

    /// Sets a knob from text. On error nothing changes, and the error names the
    /// knob and what would have been valid (an unknown name lists every knob).
    /// Fault probabilities must keep their sum at most 1.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let spec = knob::find(KNOBS, name)?;
        if self.capacity.set(spec, value)? {
            return Ok(());
        }
        match name {
            "endpoint.latency.kind" => self.latency.kind = pick(spec, value, &LatencyKind::ALL)?,
            "endpoint.latency.ms" => self.latency.fixed_ms = spec.parse_int(value)?,
            "endpoint.latency.min_ms" => self.latency.min_ms = spec.parse_int(value)?,
            "endpoint.latency.max_ms" => self.latency.max_ms = spec.parse_int(value)?,
            "endpoint.latency.p50_ms" => self.latency.p50_ms = spec.parse_int(value)?,
            "endpoint.latency.p99_ms" => self.latency.p99_ms = spec.parse_int(value)?,
            "endpoint.retry_after_s" => self.retry_after_s = spec.parse_int(value)?,
            "endpoint.retry_after_on_503" => self.retry_after_on_503 = spec.parse_bool(value)?,
            "endpoint.commit_lose_as" => {
                self.commit_lose_as = pick(spec, value, &CommitLoseAs::ALL)?
            }
            "endpoint.fail_first_n" => self.fail_first_n = spec.parse_int(value)?,
            "endpoint.fail_first_status" => self.fail_first_status = parse_fail_with(spec, value)?,
            "endpoint.outage.start_ms" => self.first_outage().start_ms = spec.parse_int(value)?,
            "endpoint.outage.duration_ms" => {
                self.first_outage().duration_ms = spec.parse_int(value)?
            }
            "endpoint.outage.status" => {
                let status = parse_fail_with(spec, value)?;
                self.first_outage();
                for outage in &mut self.outages {
                    outage.status = status;
                }
            }
            "endpoint.outages" => {
                // Every window fails the way the first did (endpoint.outage.status).
                let status = self
                    .outages
                    .first()
                    .map_or(FailWith::Status(503), |o| o.status);
                self.outages = windows::parse_outages(name, value)?
                    .into_iter()
                    .map(|(start_ms, duration_ms)| Outage {
                        start_ms,
                        duration_ms,
                        status,
                    })
                    .collect();
            }
            "endpoint.overload.limit" => {
                self.overload.limit = u32::try_from(spec.parse_int(value)?).unwrap_or(u32::MAX);
            }
            "endpoint.overload.error_per_excess" => {
                self.overload.error_per_excess = spec.parse_float(value)?
            }
            "endpoint.overload.latency_ms_per_excess" => {
                self.overload.latency_ms_per_excess = spec.parse_int(value)?
            }
            "endpoint.create" => self.create = pick(spec, value, &CreateMode::ALL)?,
            _ => {
                let p = spec.parse_float(value)?;
                let mut faults = self.faults.clone();
                if let Some(slot) = fault_slot(&mut faults, name) {
                    *slot = p;
                }
                let total = faults.total();
                if total > 1.0 + 1e-9 {
                    let others = total - p;
                    return Err(KnobError::BadValue {
                        name: name.to_string(),
                        value: value.to_string(),
                        expected: format!(
                            "a probability from 0 to {:.4}: all endpoint.fault.* probabilities must sum to at most 1 \
                             and the others already sum to {others:.4}",
                            (1.0 - others).max(0.0)
                        ),
                    });
                }
                self.faults = faults;
            }
        }
        Ok(())
    }

    /// Checks a config built without `set` (say, deserialized): every
    /// probability in `0..=1`, fault probabilities summing to at most 1, every
    /// failure status from 400 to 599. The error names the offending knob.
    pub fn validate(&self) -> Result<(), KnobError> {
        for spec in KNOBS {
            if let KnobKind::Float { min, max } = spec.kind {
                let value = self.get(spec.name).unwrap_or_default();
                let in_range = value
                    .parse::<f64>()
                    .is_ok_and(|v| v.is_finite() && v >= min && v <= max);
                if !in_range {
                    return Err(KnobError::BadValue {
                        name: spec.name.to_string(),
                        value,
                        expected: spec.expected(),
                    });
                }
            }
        }
        let total = self.faults.total();
        if total > 1.0 + 1e-9 {
            return Err(KnobError::BadValue {
                name: "endpoint.fault.*".to_string(),
                value: total.to_string(),
                expected: "probabilities summing to at most 1".to_string(),
            });
        }
        let statuses = self
            .outages
            .iter()
            .map(|o| ("endpoint.outage.status", o.status))
            .chain([("endpoint.fail_first_status", self.fail_first_status)]);
        for (name, status) in statuses {
            if let FailWith::Status(code) = status {
                if !(400..=599).contains(&code) {
                    return Err(KnobError::BadValue {
                        name: name.to_string(),
                        value: code.to_string(),
                        expected: "a status from 400 to 599, reset or hang".to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    fn first_outage(&mut self) -> &mut Outage {
        if self.outages.is_empty() {
            self.outages.push(Outage::default());
        }
        // Not empty: pushed above.
        &mut self.outages[0]
    }
}

/// The probability field a `endpoint.fault.*` knob names.
fn fault_slot<'a>(f: &'a mut FaultMix, name: &str) -> Option<&'a mut f64> {
    Some(match name {
        "endpoint.fault.500" => &mut f.status_500,
        "endpoint.fault.502" => &mut f.status_502,
        "endpoint.fault.503" => &mut f.status_503,
        "endpoint.fault.504" => &mut f.status_504,
        "endpoint.fault.429" => &mut f.status_429,
        "endpoint.fault.400" => &mut f.status_400,
        "endpoint.fault.401" => &mut f.status_401,
        "endpoint.fault.403" => &mut f.status_403,
        "endpoint.fault.404" => &mut f.status_404,
        "endpoint.fault.reset" => &mut f.reset,
        "endpoint.fault.hang" => &mut f.hang,
        "endpoint.fault.commit_lose" => &mut f.commit_lose,
        _ => return None,
    })
}

/// Parses a choice knob into the enum value listed at the same index.
fn pick<T: Copy>(spec: &KnobSpec, value: &str, all: &[T]) -> Result<T, KnobError> {
    let index = spec.parse_choice(value)?;
    all.get(index).copied().ok_or_else(|| KnobError::BadValue {
        name: spec.name.to_string(),
        value: value.to_string(),
        expected: spec.expected(),
    })
}

fn choice_name<T: PartialEq + Copy>(names: &[&'static str], all: &[T], value: T) -> String {
    all.iter()
        .position(|v| *v == value)
        .and_then(|i| names.get(i))
        .copied()
        .unwrap_or_default()
        .to_string()
}

fn parse_fail_with(spec: &KnobSpec, value: &str) -> Result<FailWith, KnobError> {
    let index = spec.parse_choice(value)?;
    FailWith::NAMES
        .get(index)
        .and_then(|name| FailWith::parse(name))
        .ok_or_else(|| KnobError::BadValue {
            name: spec.name.to_string(),
            value: value.to_string(),
            expected: spec.expected(),
        })
}
