//! View-model helpers: pure functions from configs and traces to what the
//! components draw (groups of knobs, labels, scales). No DOM here.

use flaky::scenario::{RunKnob, RunKnobs};
use flaky::sim::{AttemptOutcome, CallTrace, RunConfig, Trace};
use policy::{Done, SleepReason};

pub use crate::run::span_ms;
use crate::settings::LaneOrder;

pub mod axis;
mod figures;
pub mod keys;
pub mod lanes;
pub mod marks;
mod overload;
mod sliders;
pub mod sweep;

pub use figures::{
    at_cursor, breaker_open_words, change, choice_words, figure_better, figure_text, figure_words,
    gave_up_shares, group_thousands, hanging_line, latency_scope, reason_words, AtCursor, Better,
    Change,
};
pub use sliders::{log_position, log_value, slider_scale, SliderScale, LOG_STEPS};

pub use overload::{
    queue_chart, recovery_change, recovery_relevant, shed_rate, summary_figure_text, QueueChart,
};

/// A titled group of knobs in a panel.
pub struct KnobGroup {
    pub title: &'static str,
    pub knobs: Vec<RunKnob>,
}

/// Policy knobs grouped by their first name segment, in a teaching order.
pub fn policy_groups() -> Vec<KnobGroup> {
    policy_groups_in(&RunKnobs::STANDARD)
}

/// [`policy_groups`] of the policy table of `knobs`.
pub fn policy_groups_in(knobs: &RunKnobs) -> Vec<KnobGroup> {
    const ORDER: &[(&str, &str)] = &[
        ("attempts", "Attempts and timeouts"),
        ("retry", "What to retry"),
        ("backoff", "Backoff"),
        ("jitter", "Jitter"),
        ("retry_after", "Retry-After"),
        ("budget", "Retry budget"),
        ("breaker", "Circuit breaker"),
        ("throttle", "Adaptive throttling (client-side)"),
        ("hedge", "Hedged requests"),
        ("client", "Bulkhead (calls in flight per client)"),
        ("idempotency", "Idempotency"),
        ("rate_limiter", "Client rate limiter (AWS adaptive)"),
    ];
    let knobs = knobs.policy.iter().map(RunKnob::Policy);
    group(knobs, ORDER, |name| name.split('.').next().unwrap_or(""))
}

/// Endpoint knobs grouped by their second name segment.
pub fn endpoint_groups() -> Vec<KnobGroup> {
    endpoint_groups_in(&RunKnobs::STANDARD)
}

/// [`endpoint_groups`] of the endpoint table of `knobs`.
pub fn endpoint_groups_in(knobs: &RunKnobs) -> Vec<KnobGroup> {
    const ORDER: &[(&str, &str)] = &[
        ("latency", "Latency"),
        ("fault", "Fault mix (probability per request)"),
        ("outage", "Outage windows"),
        ("overload", "Overload"),
        ("capacity", "Capacity, queue and shedding"),
        ("script", "Scripted replies (call by call)"),
        ("", "Creates, Retry-After, fail-first-N"),
    ];
    let knobs = knobs.endpoint.iter().map(RunKnob::Endpoint);
    group(knobs, ORDER, |name| {
        let rest = name.strip_prefix("endpoint.").unwrap_or(name);
        let section = rest.split_once('.').map_or(rest, |(section, _)| section);
        match section {
            "outages" => "outage",
            "capacity" | "queue" | "shed" => "capacity",
            "script" | "script_after" | "script_scope" => "script",
            "latency" | "fault" | "outage" | "overload" => section,
            _ => "",
        }
    })
}

/// Scenario knobs, one group.
pub fn scenario_groups() -> Vec<KnobGroup> {
    scenario_groups_in(&RunKnobs::STANDARD)
}

/// [`scenario_groups`] of the scenario table of `knobs`.
pub fn scenario_groups_in(knobs: &RunKnobs) -> Vec<KnobGroup> {
    vec![KnobGroup {
        title: "Workload",
        knobs: knobs.scenario.iter().map(RunKnob::Scenario).collect(),
    }]
}

/// The knobs in `order`'s groups by `key` of their names; a knob whose key
/// no group has goes to a last group, "More", so none is ever left out.
fn group(
    knobs: impl Iterator<Item = RunKnob>,
    order: &[(&str, &'static str)],
    key: impl Fn(&str) -> &str,
) -> Vec<KnobGroup> {
    let knobs: Vec<RunKnob> = knobs.collect();
    let in_group = |k: &RunKnob, prefix: &str| key(k.name) == prefix;
    let others: Vec<RunKnob> = knobs
        .iter()
        .filter(|k| !order.iter().any(|(prefix, _)| in_group(k, prefix)))
        .copied()
        .collect();
    order
        .iter()
        .map(|(prefix, title)| KnobGroup {
            title,
            knobs: knobs
                .iter()
                .filter(|k| in_group(k, prefix))
                .copied()
                .collect(),
        })
        .chain([KnobGroup {
            title: "More",
            knobs: others,
        }])
        .filter(|g| !g.knobs.is_empty())
        .collect()
}

/// Whether a knob matters under the current config (e.g. `jitter.ratio` only
/// with `jitter.kind = ratio`): its table entry says. Inactive knobs are
/// dimmed, not hidden; an unknown name always matters.
pub fn knob_active(config: &RunConfig, name: &str) -> bool {
    RunKnobs::STANDARD
        .find(name)
        .is_none_or(|k| k.is_active(config))
}

/// The CSS/testing name of an attempt's outcome (`pending` while in flight).
pub fn outcome_class(outcome: Option<AttemptOutcome>) -> &'static str {
    outcome.map(|o| o.class()).unwrap_or("pending")
}

/// Human words for an outcome.
pub fn outcome_words(outcome: Option<AttemptOutcome>) -> String {
    match outcome {
        None => "no answer yet".into(),
        Some(AttemptOutcome::Status(s)) => format!("HTTP {s} {}", flaky::server::reason_phrase(s)),
        Some(AttemptOutcome::NetworkError) => "network error (connection reset)".into(),
        Some(AttemptOutcome::TimedOut) => "timed out".into(),
        Some(AttemptOutcome::ThrottledLocally) => {
            "rejected by the client's throttle (not sent)".into()
        }
        Some(AttemptOutcome::Cancelled) => {
            "cancelled: another attempt won (the server still did the work)".into()
        }
    }
}

/// A short label for a sleep: its planned delay and why.
pub fn sleep_label(reason: &SleepReason) -> String {
    match reason {
        SleepReason::Backoff { planned_ms, .. } => format!("{planned_ms} ms backoff"),
        SleepReason::RetryAfter {
            server_ms,
            capped_ms,
        } if server_ms != capped_ms => {
            format!("{capped_ms} ms Retry-After (server said {server_ms})")
        }
        SleepReason::RetryAfter { capped_ms, .. } => format!("{capped_ms} ms Retry-After"),
        SleepReason::RateLimited { wait_ms } => format!("{wait_ms} ms rate limiter"),
    }
}

/// How a call ended, in words.
pub fn done_words(done: Option<&Done>) -> String {
    match done {
        None => "still running".into(),
        Some(Done::Succeeded { attempts }) => {
            format!("succeeded after {attempts} attempt{}", plural(*attempts))
        }
        Some(Done::GaveUp { attempts, reason }) => {
            format!(
                "gave up after {attempts} attempt{}: {}",
                plural(*attempts),
                gave_up_words(reason)
            )
        }
    }
}

/// Why a call gave up, in words.
pub fn gave_up_words(reason: &policy::GaveUp) -> String {
    use policy::GaveUp::*;
    match reason {
        AttemptsExhausted => "attempts exhausted".into(),
        DeadlineExceeded => "deadline exceeded".into(),
        BudgetExhausted => "retry budget empty".into(),
        BreakerOpen => "circuit open (failed fast)".into(),
        NonRetryable { status } => format!("{status} is not retryable"),
        NetworkErrorNotRetried => "network errors not retried".into(),
        TimeoutNotRetried => "timeouts not retried".into(),
        UnkeyedNonIdempotent => "unkeyed POST not retried".into(),
        ThrottledLocally => "rejected by the client's adaptive throttle (failed fast)".into(),
        BulkheadFull => "too many calls in flight (bulkhead full, failed fast)".into(),
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10^k that is at least `value` (at least 1).
pub fn nice_ceiling(value: u64) -> u64 {
    let mut decade = 1u64;
    loop {
        for m in [10u64, 20, 25, 50] {
            let candidate = decade.saturating_mul(m) / 10;
            if candidate >= value.max(1) {
                return candidate;
            }
        }
        if decade > u64::MAX / 10 {
            return value;
        }
        decade *= 10;
    }
}

/// A "nice" tick step for an axis covering `span` units with about `ticks` ticks.
pub fn tick_step(span: u64, ticks: u64) -> u64 {
    let raw = (span / ticks.max(1)).max(1);
    let mut step = 1;
    while step * 10 <= raw {
        step *= 10;
    }
    match raw / step {
        0 | 1 => step,
        2..=4 => step * 2,
        _ => step * 5,
    }
}

/// Milliseconds as a compact label: `850 ms`, `2.5 s`, `3 min`.
pub fn ms_label(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        let s = ms as f64 / 1000.0;
        if ms % 1000 == 0 {
            format!("{} s", ms / 1000)
        } else {
            format!("{s:.1} s")
        }
    } else if ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{:.1} min", ms as f64 / 60_000.0)
    }
}

/// Attempts that started later than this after the policy planned them (p99)
/// mean the browser, not the policy, shaped a live run's timing.
pub const LATENESS_MS_P99_MAX: u64 = 25;

/// What the page says when a live run's attempts started late: by how much,
/// and what that does to the figures. `None` when the browser kept time.
pub fn browser_limit_note(summary: &flaky::sim::Summary) -> Option<String> {
    (summary.lateness_ms_p99 > LATENESS_MS_P99_MAX).then(|| {
        format!(
            "The browser limited this run: attempts started {} ms late at p50 and {} ms at p99 \
             (at worst {}) after the policy planned them, so latencies and p99 include the \
             browser's own delay. Fewer clients, or Simulated mode, show the policy alone.",
            summary.lateness_ms_p50,
            summary.lateness_ms_p99,
            ms_label(summary.lateness_ms_max)
        )
    })
}

/// Above this many calls the timeline adds a density view of every attempt
/// (the lanes then show only the first calls).
pub const DENSITY_CALLS_MIN: u64 = 200;

/// Lanes the timeline draws in detail, whatever the run's size: the page's
/// DOM stays bounded.
pub const DETAIL_LANES_MAX: usize = 200;

/// The calls the timeline draws in detail, at most [`DETAIL_LANES_MAX`] of
/// those the trace holds: the first ones in start order, or the slowest first
/// (an unfinished call lasts until the run's end so far; ties keep start order).
pub fn detail_lanes(trace: &Trace, order: LaneOrder) -> Vec<&CallTrace> {
    lanes::detail_lanes_up_to(trace, order, DETAIL_LANES_MAX)
}

/// What the timeline's title says of the lanes it draws ("" when it draws
/// every call): "the first 50 in detail", "the slowest 50 in detail", or,
/// when the trace holds only a run's first calls, "the slowest 50 of the
/// first 200 in detail".
pub fn detail_lanes_caption(trace: &Trace, order: LaneOrder, shown: usize) -> String {
    let calls = trace.summary.calls.max(trace.calls.len() as u64);
    let held = trace.calls.len() as u64;
    match order {
        LaneOrder::Start if (shown as u64) < calls => format!("the first {shown} in detail"),
        LaneOrder::Start => String::new(),
        LaneOrder::Slowest if held < calls => {
            format!("the slowest {shown} of the first {held} in detail")
        }
        LaneOrder::Slowest if (shown as u64) < calls => format!("the slowest {shown} in detail"),
        LaneOrder::Slowest => "slowest first".to_string(),
    }
}

/// One column of the density view: attempts that started in
/// `[from_ms, until_ms)`, by outcome class (in [`flaky::sim::DENSITY_CLASSES`]
/// order, only the classes present).
#[derive(Clone, Debug, PartialEq)]
pub struct DensityColumn {
    pub from_ms: u64,
    pub until_ms: u64,
    pub segments: Vec<(&'static str, u64)>,
    pub total: u64,
}

/// The density view's columns (empty buckets left out) and the tallest total.
pub fn density_columns(density: &flaky::sim::Density) -> (Vec<DensityColumn>, u64) {
    let width = density.width_ms.max(1);
    let columns: Vec<DensityColumn> = density
        .buckets
        .iter()
        .enumerate()
        .filter_map(|(i, counts)| {
            let segments: Vec<(&'static str, u64)> = flaky::sim::DENSITY_CLASSES
                .iter()
                .zip(counts.iter())
                .filter(|(_, n)| **n > 0)
                .map(|(class, n)| (*class, *n))
                .collect();
            let total = segments.iter().map(|(_, n)| n).sum();
            (total > 0).then(|| DensityColumn {
                from_ms: i as u64 * width,
                until_ms: (i as u64 + 1) * width,
                segments,
                total,
            })
        })
        .collect();
    let tallest = columns.iter().map(|c| c.total).max().unwrap_or(0);
    (columns, tallest)
}

/// The row of each attempt bar within its lane: attempts that overlap in
/// time (a hedge sent while an earlier attempt is still out) go to the next
/// free row, so both bars show. Row 0 for attempts one after another.
/// An attempt with no end yet occupies its row to the end of the lane.
pub fn attempt_rows(attempts: &[flaky::sim::AttemptTrace]) -> Vec<u32> {
    let mut busy_until: Vec<u64> = Vec::new();
    attempts
        .iter()
        .map(|a| {
            let end = a.end_ms.unwrap_or(u64::MAX);
            match busy_until.iter().position(|until| *until <= a.start_ms) {
                Some(row) => {
                    busy_until[row] = end;
                    row as u32
                }
                None => {
                    busy_until.push(end);
                    busy_until.len() as u32 - 1
                }
            }
        })
        .collect()
}

/// With `sim.layers > 1`, the calls each layer received, in words, top
/// first, then the endpoint's requests: `[("layer 1 (top)", 50), ...,
/// ("endpoint", 1350)]`. `None` with one layer (the counters already show
/// calls and server requests).
pub fn layer_counts(summary: &flaky::sim::Summary) -> Option<Vec<(String, u64)>> {
    if summary.requests_per_layer.is_empty() {
        return None;
    }
    let counts = summary.requests_per_layer();
    let last = counts.len() - 1;
    Some(
        counts
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let words = match i {
                    0 => "layer 1 (top)".to_string(),
                    i if i == last => "endpoint".to_string(),
                    i => format!("layer {}", i + 1),
                };
                (words, n)
            })
            .collect(),
    )
}
