//! Polly options JSON: the section `AddStandardResilienceHandler` binds
//! (`Retry`, `CircuitBreaker`, `AttemptTimeout`, `TotalRequestTimeout`),
//! found at the root or one level down (`{"Resilience": {...}}`), with the
//! standard handler's defaults for what is missing (3 retries, exponential
//! with jitter from 2 s, breaker 10% of ≥ 100 calls in 30 s for 5 s,
//! attempt 10 s, total 30 s). It retries 408, 429, 5xx, network errors and timeouts.

use super::tree::{Doc, Node};
use super::{timespan_ms, ImportError, Knobs};
use crate::polly::{transient_statuses, NEVER_OPENS};

const DURATION: &str = "a TimeSpan like \"00:00:02\" or \"00:00:00.500\"";
const SECTIONS: [&str; 4] = [
    "Retry",
    "CircuitBreaker",
    "AttemptTimeout",
    "TotalRequestTimeout",
];

fn duration(node: &Node) -> Result<u64, ImportError> {
    node.duration_ms(timespan_ms, DURATION)
}

fn ms_or(parent: Option<&Node>, key: &str, default: u64) -> Result<u64, ImportError> {
    match parent.and_then(|p| p.get(key)) {
        Some(n) => duration(&n),
        None => Ok(default),
    }
}

/// A timeout of one day is the export's "none" (the handler always has one).
fn timeout(ms: u64) -> u64 {
    if ms >= 86_400_000 {
        0
    } else {
        ms
    }
}

pub(crate) fn read(doc: &Doc, out: &mut Knobs) -> Result<(), ImportError> {
    let root = doc.root();
    if !root.is_object() {
        return Err(root.error("expected a JSON object with Retry, CircuitBreaker, AttemptTimeout or TotalRequestTimeout"));
    }
    let is_section = |n: &Node| SECTIONS.iter().any(|s| n.get(s).is_some());
    let section = if is_section(&root) {
        root.clone()
    } else {
        root.keys()
            .into_iter()
            .filter_map(|k| root.get(k))
            .find(|n| n.is_object() && is_section(n))
            .ok_or_else(|| root.error("no Retry, CircuitBreaker, AttemptTimeout or TotalRequestTimeout, at the root or one level down"))?
    };
    let retry = section.get("Retry");
    let r = retry.as_ref();
    let retries = match r.and_then(|r| r.get("MaxRetryAttempts")) {
        Some(n) => n.count()?,
        None => 3,
    };
    let max = if retries >= 999 { 0 } else { retries + 1 };
    out.set(
        "attempts.max",
        max,
        r.and_then(|r| r.get("MaxRetryAttempts")).as_ref(),
    )?;
    let kind = match r.and_then(|r| r.get("BackoffType")) {
        Some(k) => k.text()?,
        None => "Exponential".to_string(),
    };
    let jitter = match r.and_then(|r| r.get("UseJitter")) {
        Some(j) => j.boolean()?,
        None => true,
    };
    let (backoff, multiplier) = match (kind.as_str(), jitter) {
        ("Exponential", true) => ("exponential", 2),
        ("Exponential", false) => ("exponential", 2),
        ("Constant", _) => ("constant", 2),
        ("Linear", _) => ("linear", 2),
        _ => {
            let node = r.and_then(|r| r.get("BackoffType"));
            return Err(node.map_or_else(
                || section.error("BackoffType"),
                |n| n.error("expected Constant, Linear or Exponential"),
            ));
        }
    };
    out.set("backoff.kind", backoff, None)?;
    out.set("backoff.multiplier", multiplier, None)?;
    match (jitter, backoff) {
        (true, "exponential") => out.set("jitter.kind", "decorrelated_v2", None)?,
        (true, _) => {
            out.set("jitter.kind", "ratio", None)?;
            out.set("jitter.ratio", 0.25, None)?;
        }
        (false, _) => out.set("jitter.kind", "none", None)?,
    }
    out.set("retry_after.kind", "capped", None)?;
    let field = |k: &str| r.and_then(|r| r.get(k));
    out.set(
        "backoff.base_ms",
        ms_or(r, "Delay", 2000)?,
        field("Delay").as_ref(),
    )?;
    out.set(
        "backoff.cap_ms",
        ms_or(r, "MaxDelay", 30_000)?,
        field("MaxDelay").as_ref(),
    )?;
    let honor = match field("ShouldRetryAfterHeader") {
        Some(h) => h.boolean()?,
        None => true,
    };
    out.set(
        "retry_after.honor",
        honor,
        field("ShouldRetryAfterHeader").as_ref(),
    )?;
    out.set("retry.network_error", true, None)?;
    out.set("retry.timeout", true, None)?;
    out.statuses(&transient_statuses(), None)?;
    let attempt = section.get("AttemptTimeout");
    let total = section.get("TotalRequestTimeout");
    out.set(
        "attempts.timeout_ms",
        timeout(ms_or(attempt.as_ref(), "Timeout", 10_000)?),
        attempt.as_ref(),
    )?;
    out.set(
        "attempts.deadline_ms",
        timeout(ms_or(total.as_ref(), "Timeout", 30_000)?),
        total.as_ref(),
    )?;
    breaker(section.get("CircuitBreaker").as_ref(), out)?;
    out.set("budget.kind", "none", None)
}

fn breaker(cb: Option<&Node>, out: &mut Knobs) -> Result<(), ImportError> {
    let field = |k: &str| cb.and_then(|c| c.get(k));
    let min = match field("MinimumThroughput") {
        Some(m) => m.count()?,
        None => 100,
    };
    if min >= NEVER_OPENS {
        return out.set("breaker.kind", "none", None);
    }
    let ratio = match field("FailureRatio") {
        Some(r) => r.number()?,
        None => 0.1,
    };
    out.set("breaker.kind", "ratio_time", cb)?;
    out.set(
        "breaker.failure_ratio",
        crate::common::num(ratio),
        field("FailureRatio").as_ref(),
    )?;
    out.set(
        "breaker.min_throughput",
        min,
        field("MinimumThroughput").as_ref(),
    )?;
    out.set(
        "breaker.window_ms",
        ms_or(cb, "SamplingDuration", 30_000)?,
        field("SamplingDuration").as_ref(),
    )?;
    out.set(
        "breaker.open_ms",
        ms_or(cb, "BreakDuration", 5000)?,
        field("BreakDuration").as_ref(),
    )
}
