//! Figures in words: what a summary figure is called, which way is better,
//! how a value reads, B's change against A, give-ups by reason, what the
//! percentiles include, the figures at a replay's cursor, and choice values.

use flaky::sim::Trace;

use super::{ms_label, span_ms};
use crate::settings::Side;

/// Which way a figure is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Neither way by itself (e.g. fail-fast calls: the breaker's point is to make them).
    Neither,
}

/// A summary figure in words (the name can stay as a secondary label).
pub fn figure_words(name: &str) -> String {
    let words = match name {
        "calls" => "calls",
        "succeeded" => "calls succeeded",
        "gave_up" => "calls gave up",
        "unfinished" => "calls unfinished at the horizon",
        "not_started" => "calls never started",
        "attempts" => "attempts sent",
        "server_requests" => "requests the server received",
        "amplification" => "amplification (server requests per call)",
        "latency_ms_p50" => "p50 latency of finished calls",
        "latency_ms_p95" => "p95 latency of finished calls",
        "latency_ms_p99" => "p99 latency of finished calls",
        "creates_applied" => "creates applied",
        "duplicates" => "duplicate creates",
        "time_to_drain_ms" => "time until the last call ended",
        "breaker_open_ms" => "breaker open time, summed over clients",
        "server_in_flight_max" => "most requests in flight at once",
        "lateness_ms_p50" | "lateness_ms_p99" | "lateness_ms_max" => "attempt start lateness",
        "goodput" => "calls succeeded per second (goodput)",
        "recovered_ms" => "time to recover after the last outage or spike",
        "shed" => "requests the server shed or rejected",
        "gave_up.BreakerOpen" => "calls failed fast (circuit open)",
        "gave_up.BulkheadFull" => "calls failed fast (bulkhead full)",
        other => match other.strip_prefix("gave_up.") {
            Some(reason) => return format!("calls that gave up: {}", reason_words(reason)),
            None => return other.replace(['_', '.'], " "),
        },
    };
    words.to_string()
}

/// A give-up reason's stable name (as in [`flaky::sim::Summary::gave_up`]) in words.
pub fn reason_words(reason: &str) -> &'static str {
    match reason {
        "AttemptsExhausted" => "attempts exhausted",
        "DeadlineExceeded" => "deadline exceeded",
        "BudgetExhausted" => "retry budget empty",
        "BreakerOpen" => "circuit open (failed fast)",
        "NonRetryable" => "answer not retryable (4xx)",
        "NetworkErrorNotRetried" => "network error not retried",
        "TimeoutNotRetried" => "timeout not retried",
        "UnkeyedNonIdempotent" => "unkeyed POST not retried",
        "ThrottledLocally" => "throttled at the client (failed fast)",
        "BulkheadFull" => "bulkhead full (failed fast)",
        _ => "other",
    }
}

/// Which way a figure is better.
pub fn figure_better(name: &str) -> Better {
    match name {
        "succeeded" | "creates_applied" | "calls" | "goodput" => Better::Higher,
        // Shedding is the cure of a storm, and work lost: neither way by itself.
        "gave_up.BreakerOpen"
        | "gave_up.BulkheadFull"
        | "breaker_open_ms"
        | "shed"
        | "hedged_attempts"
        | "throttled_locally" => Better::Neither,
        _ => Better::Lower,
    }
}

/// A figure's value as shown: `1.23×`, `850 ms`, `12,345`.
pub fn figure_text(name: &str, value: f64) -> String {
    if name == "amplification" {
        return format!("{value:.2}×");
    }
    if name == "goodput" {
        return format!("{value:.1}/s");
    }
    if name.contains("_ms") {
        return ms_label(value.max(0.0).round() as u64);
    }
    group_thousands(value.max(0.0).round() as u64)
}

/// `12345` as `12,345`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// B's change against A for one figure: a class for colour, and words for
/// readers who do not see the colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// `better`, `worse`, `same` or `changed` (when neither way is better).
    pub class: &'static str,
    pub words: String,
}

/// How B's figure compares with A's.
pub fn change(name: &str, a: f64, b: f64) -> Change {
    if (a - b).abs() < 1e-9 {
        return Change {
            class: "same",
            words: "same as A".into(),
        };
    }
    let direction = if b < a { "lower" } else { "higher" };
    let amount = if a.abs() > 1e-9 {
        format!("{:.0}% {direction}", ((b - a) / a).abs() * 100.0)
    } else {
        format!("{} {direction}", figure_text(name, (b - a).abs()))
    };
    let class = match (figure_better(name), b < a) {
        (Better::Lower, true) | (Better::Higher, false) => "better",
        (Better::Lower, false) | (Better::Higher, true) => "worse",
        (Better::Neither, _) => "changed",
    };
    let verdict = match class {
        "better" => ", better",
        "worse" => ", worse",
        _ => "",
    };
    Change {
        class,
        words: format!("{amount} than A{verdict}"),
    }
}

/// Give-ups by reason in words: (words, count, share of all calls), largest first.
pub fn gave_up_shares(summary: &flaky::sim::Summary) -> Vec<(String, u64, f64)> {
    let calls = summary.calls.max(1) as f64;
    let mut out: Vec<(String, u64, f64)> = summary
        .gave_up
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(reason, n)| (reason_words(reason).to_string(), *n, *n as f64 / calls))
        .collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.1));
    out
}

/// What the latency percentiles include, in words.
pub fn latency_scope(summary: &flaky::sim::Summary) -> String {
    let gave_up: u64 = summary.gave_up.values().sum();
    let finished = summary.succeeded + gave_up;
    let mut words = format!(
        "of the {} finished call{} (succeeded or gave up)",
        group_thousands(finished),
        if finished == 1 { "" } else { "s" }
    );
    if summary.unfinished > 0 {
        words.push_str(&format!(
            "; {} unfinished not included: they last at least until the horizon",
            group_thousands(summary.unfinished)
        ));
    }
    words
}

/// What was not finished when a side's run stopped (at its horizon, or
/// stopped early), in one line: `B: 12 calls still hanging at 8 s; 14 more
/// never started`. `None` when every call finished. `side` names the side
/// when comparing.
pub fn hanging_line(side: Option<Side>, trace: &Trace) -> Option<String> {
    let s = &trace.summary;
    let hanging = s.unfinished.saturating_sub(s.not_started);
    let never = s.not_started;
    let at = ms_label(trace.end_ms.min(trace.horizon_ms));
    let calls = |n: u64| format!("{} call{}", group_thousands(n), plural(n));
    let words = match (hanging, never) {
        (0, 0) => return None,
        (h, 0) => format!("{} still hanging at {at}", calls(h)),
        (0, n) => format!("{} never started by {at}", calls(n)),
        (h, n) => format!(
            "{} still hanging at {at}; {} more never started",
            calls(h),
            group_thousands(n)
        ),
    };
    Some(match side {
        Some(Side::A) => format!("A: {words}"),
        Some(Side::B) => format!("B: {words}"),
        None => words,
    })
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The breaker's open time, per what: summed over clients, and per client.
pub fn breaker_open_words(summary: &flaky::sim::Summary, clients: u32) -> String {
    let clients = clients.max(1);
    format!(
        "summed over {clients} client{} ({} each on average)",
        if clients == 1 { "" } else { "s" },
        ms_label(summary.breaker_open_ms / u64::from(clients))
    )
}

/// Figures of a run at a replay's cursor: what had happened by `t_ms`, over
/// every call of the run (from its series, not only the lanes kept).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AtCursor {
    pub succeeded: u64,
    pub gave_up: u64,
    pub attempts: u64,
    pub server_requests: u64,
}

/// The figures of `trace` by `t_ms` (a bucket partly before the cursor counts in proportion).
pub fn at_cursor(trace: &Trace, t_ms: f64) -> AtCursor {
    if t_ms >= span_ms(trace) as f64 {
        let s = &trace.summary;
        return AtCursor {
            succeeded: s.succeeded,
            gave_up: s.gave_up.values().sum(),
            attempts: s.attempts,
            server_requests: s.server_requests,
        };
    }
    let [succeeded, gave_up] = trace.call_ends.until(t_ms);
    let width = trace.density.width_ms.max(1) as f64;
    let attempts: f64 = trace
        .density
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let share = ((t_ms - i as f64 * width) / width).clamp(0.0, 1.0);
            b.iter().sum::<u64>() as f64 * share
        })
        .sum();
    let server_requests: f64 = trace
        .server_load
        .iter()
        .map(|l| {
            let span = (l.until_ms.saturating_sub(l.from_ms)).max(1) as f64;
            let share = ((t_ms - l.from_ms as f64) / span).clamp(0.0, 1.0);
            l.arrivals as f64 * share
        })
        .sum();
    AtCursor {
        succeeded: succeeded.round() as u64,
        gave_up: gave_up.round() as u64,
        attempts: attempts.round() as u64,
        server_requests: server_requests.round() as u64,
    }
}

/// A choice knob's value in words (the value itself stays in the URL and CLI).
pub fn choice_words(knob: &str, value: &str) -> String {
    let words = match (knob, value) {
        (_, "none") => "none",
        ("backoff.kind", "decorrelated") => "decorrelated (AWS: random, from the previous delay)",
        ("jitter.kind", "full") => "full jitter: random 0 to d",
        ("jitter.kind", "equal") => "equal jitter: d/2 plus random 0 to d/2",
        ("jitter.kind", "decorrelated") => "decorrelated jitter (AWS)",
        ("jitter.kind", "ratio") => "ratio: d × (1 ± r)",
        ("jitter.kind", "additive") => "additive: d + random 0 to a",
        ("backoff.kind", "exponential_floor") => "exponential, whole ms each step (resilience4j)",
        ("jitter.kind", "ratio_after_cap") => {
            "ratio after the cap: d × (1 ± r), may pass the cap (gRPC)"
        }
        ("jitter.kind", "randomized") => "randomized before the cap (resilience4j)",
        ("jitter.kind", "decorrelated_v2") => "decorrelated jitter V2 (Polly)",
        ("retry_after.kind", "capped") => "obey it, up to the cap",
        ("retry_after.kind", "envoy") => "Envoy: ignore it above the cap, else wait v to 1.5·v",
        ("retry_after.kind", "aws") => "AWS: at least the backoff, at most backoff + cap",
        ("budget.kind", "token_bucket") => "token bucket (a fixed refill per success)",
        ("budget.kind", "token_bucket_refund") => {
            "token bucket refunding on success (AWS SDK standard mode)"
        }
        ("budget.kind", "ratio") => "ratio of calls (gRPC / Finagle style)",
        ("breaker.kind", "consecutive") => "after N consecutive failures",
        ("breaker.kind", "ratio_count") => "failure ratio over the last N calls",
        ("breaker.kind", "ratio_time") => "failure ratio over a time window",
        ("endpoint.latency.kind", "long_tail") => "long tail (p50 and p99)",
        ("endpoint.create", "naive_post") => "naive POST: every applied attempt creates",
        ("endpoint.create", "check_then_create") => "check, then create (GET then POST: racy)",
        ("endpoint.create", "idempotency_key") => "POST with Idempotency-Key",
        ("endpoint.create", "put_with_id") => "PUT with a client-chosen id",
        ("sim.arrival", "all_at_once") => "all at once",
        ("sim.arrival", "poisson") => "Poisson arrivals",
        ("sim.arrival", "interval") => "one every interval",
        (_, "reset") => "connection reset",
        (_, "hang") => "hang (no answer)",
        (_, "default") => "the default",
        (_, other) => return other.replace('_', " "),
    };
    words.to_string()
}
