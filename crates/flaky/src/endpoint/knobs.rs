//! The `endpoint.*` knobs: their table, and `get`, `set` and `validate` on
//! [`EndpointConfig`]. The types they set are in the [parent module](super).

use policy::knob::{self, KnobError, KnobKind, KnobSpec};

use super::{CommitLoseAs, CreateMode, EndpointConfig, FailWith, FaultMix, LatencyKind, Outage};
use crate::capacity;
use crate::windows;

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
