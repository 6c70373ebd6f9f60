//! The `endpoint.*` knobs: their table ([`EndpointConfig::KNOBS`]), and
//! `get`, `set` and `validate` on [`EndpointConfig`]. The types they set are
//! in the [parent module](super).

use policy::choice_knob;
use policy::knob::{self, to_u32, Knob, KnobError, KnobKind, KnobSpec};

use super::{CommitLoseAs, CreateMode, EndpointConfig, FailWith, FaultMix, LatencyKind, Outage};
use crate::capacity::{QueueOrder, Shed};
use crate::script::{self, Script, ScriptAfter, ScriptScope};
use crate::windows;

const LATENCY_MS_MAX: u64 = 600_000;
const DAY_MS: u64 = 86_400_000;
const PROBABILITY: KnobKind = KnobKind::Float { min: 0.0, max: 1.0 };

type K = Knob<EndpointConfig>;

/// A fault probability: a real in `0..=1`, the faults summing to at most 1.
macro_rules! fault {
    ($name:literal, $help:literal, $field:ident) => {
        K::text(
            $name,
            PROBABILITY,
            "",
            $help,
            |c| c.faults.$field.to_string(),
            |c, spec, v| set_fault(c, spec, v, |f| &mut f.$field),
        )
    };
}

#[rustfmt::skip]
// An array, not a slice: `&KNOBS` then points at this one static, where a
// const reading a slice static would copy its entries into every user.
static KNOBS: [K; 40] = [
    choice_knob!(K, "endpoint.latency.kind", "latency distribution: fixed, uniform (min..max) or long_tail (log-normal through p50 and p99)",
        LatencyKind, |c| c.latency.kind),
    K::int("endpoint.latency.ms", 0, LATENCY_MS_MAX, "ms", "fixed latency of every answer",
        |c| c.latency.fixed_ms, |c, v| c.latency.fixed_ms = v)
        .active_when(|c| c.latency.kind == LatencyKind::Fixed),
    K::int("endpoint.latency.min_ms", 0, LATENCY_MS_MAX, "ms", "uniform latency: smallest value",
        |c| c.latency.min_ms, |c, v| c.latency.min_ms = v)
        .active_when(|c| c.latency.kind == LatencyKind::Uniform),
    K::int("endpoint.latency.max_ms", 0, LATENCY_MS_MAX, "ms", "uniform latency: largest value",
        |c| c.latency.max_ms, |c, v| c.latency.max_ms = v)
        .active_when(|c| c.latency.kind == LatencyKind::Uniform),
    K::int("endpoint.latency.p50_ms", 0, LATENCY_MS_MAX, "ms", "long-tail latency: median; mu = ln p50",
        |c| c.latency.p50_ms, |c, v| c.latency.p50_ms = v)
        .active_when(|c| c.latency.kind == LatencyKind::LongTail),
    K::int("endpoint.latency.p99_ms", 0, LATENCY_MS_MAX, "ms", "long-tail latency: 99th percentile; sigma = (ln p99 - ln p50) / 2.326",
        |c| c.latency.p99_ms, |c, v| c.latency.p99_ms = v)
        .active_when(|c| c.latency.kind == LatencyKind::LongTail),
    fault!("endpoint.fault.500", "probability of 500 Internal Server Error", status_500),
    fault!("endpoint.fault.502", "probability of 502 Bad Gateway", status_502),
    fault!("endpoint.fault.503", "probability of 503 Service Unavailable", status_503),
    fault!("endpoint.fault.504", "probability of 504 Gateway Timeout", status_504),
    fault!("endpoint.fault.429", "probability of 429 Too Many Requests (with Retry-After)", status_429),
    fault!("endpoint.fault.400", "probability of 400 Bad Request", status_400),
    fault!("endpoint.fault.401", "probability of 401 Unauthorized", status_401),
    fault!("endpoint.fault.403", "probability of 403 Forbidden", status_403),
    fault!("endpoint.fault.404", "probability of 404 Not Found", status_404),
    fault!("endpoint.fault.reset", "probability of a connection reset (the fetch rejects)", reset),
    fault!("endpoint.fault.hang", "probability of never answering (only a client timeout ends it)", hang),
    fault!("endpoint.fault.commit_lose", "probability of commit-then-lose: the create is applied, then the reply is lost", commit_lose),
    K::int("endpoint.retry_after_s", 0, 3600, "s", "Retry-After header value sent with 429 (and 503 if enabled)",
        |c| c.retry_after_s, |c, v| c.retry_after_s = v),
    K::boolean("endpoint.retry_after_on_503", "503 answers carry Retry-After too",
        |c| c.retry_after_on_503, |c, v| c.retry_after_on_503 = v),
    choice_knob!(K, "endpoint.commit_lose_as", "how commit-then-lose loses the reply: hang (client times out) or reset",
        CommitLoseAs, |c| c.commit_lose_as),
    K::int("endpoint.fail_first_n", 0, 1_000_000, "requests", "the first N requests the server receives fail, then normal behaviour",
        |c| c.fail_first_n, |c, v| c.fail_first_n = v),
    K::text("endpoint.fail_first_status", KnobKind::Choice(FailWith::NAMES), "", "how the first N requests fail: a status, reset or hang",
        |c| c.fail_first_status.to_string(),
        |c, spec, v| { c.fail_first_status = parse_fail_with(spec, v)?; Ok(()) }),
    K::int("endpoint.outage.start_ms", 0, DAY_MS, "ms", "outage window start, server time",
        |c| c.outages.first().map_or(0, |o| o.start_ms), |c, v| c.edit_first_outage(|o| o.start_ms = v)),
    K::int("endpoint.outage.duration_ms", 0, DAY_MS, "ms", "outage window length (0: no outage)",
        |c| c.outages.first().map_or(0, |o| o.duration_ms), |c, v| c.edit_first_outage(|o| o.duration_ms = v)),
    K::text("endpoint.outage.status", KnobKind::Choice(FailWith::NAMES), "", "how requests fail during every outage window: a status, reset or hang",
        |c| c.outages.first().cloned().unwrap_or_default().status.to_string(),
        set_outage_status),
    K::text("endpoint.outages", KnobKind::List { syntax: windows::OUTAGE_SYNTAX }, "ms", "outage windows START+DURATION, comma-separated (e.g. 20000+30000,80000+10000); endpoint.outage.* edit the first",
        |c| windows::format_outages(c.outages.iter().map(|o| (o.start_ms, o.duration_ms))),
        set_outages),
    K::int("endpoint.overload.limit", 0, 100_000, "requests", "concurrency the server handles comfortably (0: no limit)",
        |c| c.overload.limit.into(), |c, v| c.overload.limit = to_u32(v)),
    K::float("endpoint.overload.error_per_excess", 0.0, 1.0, "", "added 503 probability per request in flight beyond the limit",
        |c| c.overload.error_per_excess, |c, v| c.overload.error_per_excess = v),
    K::int("endpoint.overload.latency_ms_per_excess", 0, 60_000, "ms", "added latency per request in flight beyond the limit",
        |c| c.overload.latency_ms_per_excess, |c, v| c.overload.latency_ms_per_excess = v),
    choice_knob!(K, "endpoint.create", "create semantics: naive_post, check_then_create, idempotency_key or put_with_id",
        CreateMode, |c| c.create),
    K::int("endpoint.capacity.rps", 0, 1_000_000, "requests/s", "service rate: requests started per second, the rest wait in a queue; latency = queueing + drawn latency (0: no limit; live mode serves the queue fifo, decided at arrival)",
        |c| c.capacity.rps.into(), |c, v| c.capacity.rps = to_u32(v)),
    K::int("endpoint.queue.max", 0, 1_000_000, "requests", "most requests waiting; one more is rejected (endpoint.shed=reject: 503) or reset (0: no limit)",
        |c| c.capacity.queue_max.into(), |c, v| c.capacity.queue_max = to_u32(v)),
    choice_knob!(K, "endpoint.queue.order", "which waiting request is served next: fifo (oldest) or lifo (newest; simulated mode only)",
        QueueOrder, |c| c.capacity.order),
    choice_knob!(K, "endpoint.shed", "load shedding: none, max_age (drop requests older than shed.max_age_ms at the head, no work done) or reject (503 when the queue is full)",
        Shed, |c| c.capacity.shed),
    K::int("endpoint.shed.max_age_ms", 0, DAY_MS, "ms", "shed=max_age: a request waiting longer than this is dropped when it reaches the head",
        |c| c.capacity.shed_max_age_ms, |c, v| c.capacity.shed_max_age_ms = v),
    K::int("endpoint.shed.retry_after_s", 0, 3600, "s", "Retry-After on the 503 of a rejected or shed request (0: none)",
        |c| c.capacity.retry_after_s, |c, v| c.capacity.retry_after_s = v),
    K::text("endpoint.script", KnobKind::Text { syntax: script::SCRIPT_SYNTAX }, "", "scripted replies, attempt by attempt, calls separated by ; (e.g. 500,500,200;200): a status 200..599, reset or hang, with +retry-after=S, +x-amz-retry-after=MS, +grpc-retry-pushback-ms=MS, +code=NAME; decides before everything else",
        |c| c.script.to_string(),
        |c, spec, v| { c.script = Script::parse(v).map_err(|why| KnobError::BadValue { name: spec.name.to_string(), value: v.to_string(), expected: why })?; Ok(()) }),
    choice_knob!(K, "endpoint.script_after", "after its script a call meets the model (faults, outages) or repeat_last (its last scripted reply again)",
        ScriptAfter, |c| c.script_after)
        .active_when(|c| !c.script.is_empty()),
    choice_knob!(K, "endpoint.script_scope", "whose calls the script's calls are: client (each client's n-th call) or run (the run's n-th call to reach the server)",
        ScriptScope, |c| c.script_scope)
        .active_when(|c| !c.script.is_empty()),
];

impl EndpointConfig {
    /// Every `endpoint.*` knob: name, kind and range, unit, one-line meaning,
    /// its field and when it matters. Outage knobs read the first outage
    /// (defaults if none).
    pub const KNOBS: &'static [Knob<EndpointConfig>] = &KNOBS;

    /// [`EndpointConfig::KNOBS`].
    pub fn knobs() -> &'static [Knob<EndpointConfig>] {
        &KNOBS
    }

    /// The current value of a knob as text `set` accepts, or `None` for an
    /// unknown name.
    pub fn get(&self, name: &str) -> Option<String> {
        knob::get(&KNOBS, self, name)
    }

    /// Sets a knob from text. On error nothing changes, and the error names the
    /// knob and what would have been valid (an unknown name lists every knob).
    /// Fault probabilities must keep their sum at most 1.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        knob::set(&KNOBS, self, name, value)
    }

    /// Checks a config built without `set` (say, deserialized): every
    /// value in its knob's range, fault probabilities summing to at most 1,
    /// every failure status from 400 to 599. The error names the offending knob.
    pub fn validate(&self) -> Result<(), KnobError> {
        self.validate_in(&KNOBS)
    }

    /// [`EndpointConfig::validate`] with the knobs of `table`.
    pub fn validate_in(&self, table: &[Knob<EndpointConfig>]) -> Result<(), KnobError> {
        if let Some(problem) = knob::out_of_range(table, self).into_iter().next() {
            return Err(problem);
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

    /// Edits the first outage (made if there is none). An outage left at
    /// its defaults (none) is dropped, so setting what `get` read changes nothing.
    fn edit_first_outage(&mut self, edit: impl FnOnce(&mut Outage)) {
        if self.outages.is_empty() {
            self.outages.push(Outage::default());
        }
        if let Some(first) = self.outages.first_mut() {
            edit(first);
        }
        if self.outages == [Outage::default()] {
            self.outages.clear();
        }
    }
}

/// Sets one fault probability, refusing a value that takes the sum past 1.
fn set_fault(
    config: &mut EndpointConfig,
    spec: &KnobSpec,
    value: &str,
    slot: fn(&mut FaultMix) -> &mut f64,
) -> Result<(), KnobError> {
    let p = spec.parse_float(value)?;
    let mut faults = config.faults.clone();
    *slot(&mut faults) = p;
    let total = faults.total();
    if total > 1.0 + 1e-9 {
        let others = total - p;
        return Err(KnobError::BadValue {
            name: spec.name.to_string(),
            value: value.to_string(),
            expected: format!(
                "a probability from 0 to {:.4}: all endpoint.fault.* probabilities must sum to at most 1 \
                 and the others already sum to {others:.4}",
                (1.0 - others).max(0.0)
            ),
        });
    }
    config.faults = faults;
    Ok(())
}

/// Every outage window fails the same way.
fn set_outage_status(
    config: &mut EndpointConfig,
    spec: &KnobSpec,
    value: &str,
) -> Result<(), KnobError> {
    let status = parse_fail_with(spec, value)?;
    config.edit_first_outage(|first| first.status = status);
    for outage in &mut config.outages {
        outage.status = status;
    }
    Ok(())
}

/// Every window fails the way the first did (`endpoint.outage.status`).
fn set_outages(config: &mut EndpointConfig, spec: &KnobSpec, value: &str) -> Result<(), KnobError> {
    let status = config
        .outages
        .first()
        .map_or(FailWith::Status(503), |o| o.status);
    config.outages = windows::parse_outages(spec.name, value)?
        .into_iter()
        .map(|(start_ms, duration_ms)| Outage {
            start_ms,
            duration_ms,
            status,
        })
        .collect();
    Ok(())
}

fn parse_fail_with(spec: &KnobSpec, value: &str) -> Result<FailWith, KnobError> {
    let name = spec.parse_choice(value)?;
    FailWith::parse(name).ok_or_else(|| spec.bad(value))
}
