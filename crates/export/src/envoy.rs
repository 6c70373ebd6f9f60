//! Envoy (YAML): the route's `timeout` and `retry_policy`
//! (`envoy.config.route.v3.RetryPolicy`), and the cluster's retry budget
//! (`circuit_breakers.thresholds[].retry_budget`) and outlier detection
//! (Envoy's breaker: a failing host is ejected for `base_ejection_time`).
//!
//! - `num_retries` counts retries: `attempts.max − 1`.
//! - Backoff (`source/common/common/backoff_strategy.cc`): fully jittered
//!   exponential, `random() % min(base·2^(n−1), max_interval)`: our
//!   `exponential` ×2 with `full` jitter, to the ms.
//! - `retry_on`: `5xx` is every 5xx, resets, connect failures and per-try
//!   timeouts at once; otherwise `reset,connect-failure,refused-stream` for
//!   network errors, `gateway-error` for timeouts (502–504 come with it) and
//!   `retriable-status-codes` for the exact list.
//! - `rate_limited_retry_back_off` reads Retry-After: a value above its
//!   `max_interval` is ignored (the backoff is used), not capped.
//!
//! The document is a mapping with `route:` (paste under your route's
//! `route:`) and `cluster:` (merge into your cluster).

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::{BackoffKind, BreakerKind, BudgetKind, JitterKind, PolicyConfig, RetryAfterKind};

use crate::common::{self, num, proto_duration};
use crate::Notes;

/// What `retry_on` has and which statuses its tokens already cover.
pub struct RetryOn {
    pub tokens: Vec<&'static str>,
    pub listed: Vec<u16>,
}

/// `num_retries` that stands for "unlimited" (Envoy's field is a uint32).
pub const UNLIMITED_RETRIES: u64 = u32::MAX as u64;

/// The `retry_on` tokens and `retriable_status_codes` for a policy.
pub fn retry_on(p: &PolicyConfig, notes: &mut Notes) -> RetryOn {
    let r = &p.retry;
    let statuses = common::retryable_statuses(p);
    let all_5xx = (500..=599).all(|s| statuses.contains(&s));
    let mut tokens = Vec::new();
    let covered: Vec<u16> = if all_5xx && r.network_error && r.timeout {
        tokens.push("5xx");
        (500..=599).collect()
    } else {
        if r.network_error {
            tokens.extend(["reset", "connect-failure", "refused-stream"]);
        }
        if r.timeout {
            tokens.push("gateway-error");
            let extra: Vec<String> = [502u16, 503, 504]
                .iter()
                .filter(|s| !statuses.contains(s))
                .map(u16::to_string)
                .collect();
            if !extra.is_empty() {
                notes.add(
                    "retry.timeout",
                    format!(
                        "Envoy retries a per-try timeout only with `gateway-error` (or `5xx`), which also retries {}",
                        extra.join(", ")
                    ),
                );
            }
            vec![502, 503, 504]
        } else {
            Vec::new()
        }
    };
    let listed: Vec<u16> = statuses
        .into_iter()
        .filter(|s| !covered.contains(s))
        .collect();
    if !listed.is_empty() {
        tokens.push("retriable-status-codes");
    }
    RetryOn { tokens, listed }
}

pub(crate) fn yaml(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let b = &p.backoff;
    let mut out = String::from("route:\n");
    let _ = writeln!(
        out,
        "  timeout: {}  # the whole request, retries included; 0s = none",
        proto_duration(a.deadline_ms)
    );
    let retry_on = retry_on(p, notes);
    let num_retries = match a.max {
        0 => {
            notes.add("attempts.max=0", "num_retries 4294967295, Envoy's largest");
            UNLIMITED_RETRIES
        }
        m => u64::from(m - 1),
    };
    out.push_str("  retry_policy:\n");
    let _ = writeln!(out, "    retry_on: \"{}\"", retry_on.tokens.join(","));
    let _ = writeln!(out, "    num_retries: {num_retries}  # attempts.max - 1");
    if !retry_on.listed.is_empty() {
        let list: Vec<String> = retry_on.listed.iter().map(u16::to_string).collect();
        let _ = writeln!(out, "    retriable_status_codes: [{}]", list.join(", "));
    }
    if a.timeout_ms > 0 {
        let _ = writeln!(out, "    per_try_timeout: {}", proto_duration(a.timeout_ms));
    }
    backoff_notes(p, notes);
    let _ = write!(
        out,
        "    retry_back_off:\n      base_interval: {}\n      max_interval: {}\n",
        proto_duration(b.base_ms.max(1)),
        proto_duration(b.cap_ms.max(b.base_ms).max(1))
    );
    if b.base_ms == 0 {
        notes.add(
            "backoff.base_ms=0",
            "Envoy requires base_interval > 0: 1 ms",
        );
    }
    if p.retry_after.honor {
        let _ = write!(
            out,
            "    rate_limited_retry_back_off:\n      reset_headers:\n      - name: Retry-After\n        format: SECONDS\n      max_interval: {}\n",
            proto_duration(p.retry_after.cap_ms.max(1))
        );
        if p.retry_after.kind != RetryAfterKind::Envoy {
            notes.add(
                &format!("retry_after.kind={}", p.get("retry_after.kind").unwrap_or_default()),
                "Envoy ignores a Retry-After above max_interval (it backs off instead) and sleeps U(v, 1.5v) below it (retry_after.kind=envoy)",
            );
        }
    }
    let cluster = cluster(p, notes);
    if !cluster.is_empty() {
        out.push_str("cluster:\n");
        out.push_str(&cluster);
    }
    common::library_knobs(p, notes, "Envoy", RetryAfterKind::Envoy);
    common::code_only(p, notes, "Envoy");
    out
}

fn backoff_notes(p: &PolicyConfig, notes: &mut Notes) {
    let b = &p.backoff;
    let exact = !is_decorrelated(p)
        && b.kind == BackoffKind::Exponential
        && b.multiplier == 2.0
        && p.jitter.kind == JitterKind::Full;
    if !exact {
        notes.add(
            "backoff.kind",
            format!(
                "Envoy always backs off as random() % min(base·2^(n-1), max): full jitter, multiplier 2 (not {})",
                policy::plan::formula(p)
            ),
        );
    }
}

/// The cluster part: the retry budget and the outlier detection, or empty.
fn cluster(p: &PolicyConfig, notes: &mut Notes) -> String {
    let mut out = String::new();
    let bu = &p.budget;
    match bu.kind {
        BudgetKind::None => {}
        BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund | BudgetKind::GrpcThrottling => {
            notes.add(
                &format!("budget.kind={}", p.get("budget.kind").unwrap_or_default()),
                "Envoy's retry budget is a share of active requests, not a token bucket: none is written",
            )
        }
        BudgetKind::Ratio => {
            let _ = write!(
                out,
                "  circuit_breakers:\n    thresholds:\n    - priority: DEFAULT\n      retry_budget:\n        budget_percent:\n          value: {}\n        min_retry_concurrency: {}\n",
                num(bu.ratio * 100.0),
                bu.min_retries
            );
            notes.add(
                "budget.window_ms",
                "Envoy's budget counts retries in flight against requests in flight (budget_percent), not per window",
            );
        }
    }
    let br = &p.breaker;
    let head = |out: &mut String| {
        let _ = write!(
            out,
            "  outlier_detection:\n    base_ejection_time: {}\n    max_ejection_percent: 100\n",
            proto_duration(br.open_ms.max(1))
        );
    };
    match br.kind {
        BreakerKind::None => {}
        BreakerKind::Consecutive => {
            head(&mut out);
            let _ = writeln!(
                out,
                "    consecutive_5xx: {}",
                br.threshold.saturating_add(1)
            );
        }
        BreakerKind::RatioCount | BreakerKind::RatioTime => {
            head(&mut out);
            let interval = if br.kind == BreakerKind::RatioTime {
                br.window_ms
            } else {
                notes.add(
                    "breaker.window_count",
                    "Envoy judges failure ratios per interval, not over the last N attempts: interval 10s",
                );
                10_000
            };
            let _ = write!(
                out,
                "    interval: {}\n    failure_percentage_threshold: {}\n    failure_percentage_request_volume: {}\n    failure_percentage_minimum_hosts: 1\n    enforcing_failure_percentage: 100\n",
                proto_duration(interval.max(1)),
                num((br.failure_ratio * 100.0).round()),
                br.min_throughput
            );
        }
    }
    if br.kind != BreakerKind::None {
        notes.add(
            "breaker.kind",
            "outlier detection ejects one host for base_ejection_time (growing with each ejection) and lets it back without half-open probes; with one host left, requests still go to it",
        );
    }
    out
}
