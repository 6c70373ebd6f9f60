//! gRPC service config (JSON; gRFC A6 "Client retries", the `RetryPolicy`
//! and `RetryThrottling` messages of grpc-proto's `service_config.proto`).
//!
//! - `maxAttempts` counts the first attempt, like `attempts.max`; gRPC
//!   requires ≥ 2 and treats more than 5 as 5.
//! - Backoff is always exponential: `initialBackoff·backoffMultiplier^(n−1)`
//!   capped at `maxBackoff`, then ±20% jitter (after the cap, A6 since
//!   2024-08). `constant` is multiplier 1.
//! - `timeout` is the whole call's deadline (retries included);
//!   `perAttemptRecvTimeout` the per-attempt one (gRPC C-core and Java).
//! - Status codes: HTTP outcomes have no exact gRPC twin; this mapping is
//!   used both ways ([`CODES`]).
//! - `retryThrottling` is gRPC's token bucket: `maxTokens` (starts full, −1
//!   per failed attempt, +`tokenRatio` per success, retries only while more
//!   than half full). Ours is written as `maxTokens = 2·capacity/retry_cost`,
//!   `tokenRatio = success_refill/retry_cost`.

use policy::{BackoffKind, BudgetKind, JitterKind, PolicyConfig, RetryAfterKind};
use serde_json::{json, Value};

use crate::common::{self, num, proto_duration};
use crate::Notes;

/// Which knob each retryable gRPC status code stands for (both ways).
pub const CODES: [(&str, &str); 8] = [
    // UNAVAILABLE: no connection, or the server said 503.
    ("UNAVAILABLE", "retry.network_error"),
    ("DEADLINE_EXCEEDED", "retry.timeout"),
    ("RESOURCE_EXHAUSTED", "retry.status_429"),
    ("INTERNAL", "retry.status_5xx"),
    ("UNKNOWN", "retry.status_5xx"),
    ("ABORTED", "retry.status.409"),
    ("INVALID_ARGUMENT", "retry.status_4xx"),
    ("FAILED_PRECONDITION", "retry.status_4xx"),
];

/// gRPC's ceiling on `maxAttempts`.
pub const MAX_ATTEMPTS_MAX: u32 = 5;

/// The scale of the throttling's fractional tokens in our integer bucket.
pub const TOKEN_SCALE: u64 = 1000;

pub(crate) fn json(p: &PolicyConfig, notes: &mut Notes) -> Value {
    let mut method = serde_json::Map::new();
    method.insert("name".into(), json!([{}]));
    if p.attempts.deadline_ms > 0 {
        method.insert(
            "timeout".into(),
            json!(proto_duration(p.attempts.deadline_ms)),
        );
    }
    let codes = codes(p, notes);
    if p.attempts.max == 1 || codes.is_empty() {
        if p.attempts.max != 1 {
            notes.add(
                "retry.*",
                "nothing is retried: the config has no retryPolicy (gRPC requires a non-empty retryableStatusCodes)",
            );
        }
    } else {
        method.insert("retryPolicy".into(), retry_policy(p, codes, notes));
    }
    let mut config = json!({ "methodConfig": [Value::Object(method)] });
    if let Some(throttling) = throttling(p, notes) {
        config["retryThrottling"] = throttling;
    }
    notes_for_the_rest(p, notes);
    config
}

fn retry_policy(p: &PolicyConfig, codes: Vec<&str>, notes: &mut Notes) -> Value {
    let a = &p.attempts;
    let max = match a.max {
        0 => {
            notes.add(
                "attempts.max=0",
                "gRPC has no unlimited retries: maxAttempts 5",
            );
            MAX_ATTEMPTS_MAX
        }
        m if m > MAX_ATTEMPTS_MAX => {
            notes.add(
                "attempts.max",
                format!("{m} attempts: gRPC treats maxAttempts above 5 as 5"),
            );
            m
        }
        m => m,
    };
    let b = &p.backoff;
    let multiplier = match b.kind {
        BackoffKind::Exponential => b.multiplier,
        BackoffKind::ExponentialFloor => {
            notes.add(
                "backoff.kind=exponential_floor",
                "gRPC does not floor each step: base·multiplier^(n-1)",
            );
            b.multiplier
        }
        BackoffKind::Constant => 1.0,
        BackoffKind::Linear => {
            notes.add(
                "backoff.kind=linear",
                format!(
                    "gRPC backs off exponentially: multiplier {} instead of base·n",
                    num(b.multiplier)
                ),
            );
            b.multiplier
        }
        BackoffKind::Decorrelated => {
            notes.add(
                "backoff.kind=decorrelated",
                "gRPC backs off exponentially: base·2^(n-1) with ±20% jitter instead",
            );
            2.0
        }
    };
    match p.jitter.kind {
        JitterKind::RatioAfterCap if (p.jitter.ratio - 0.2).abs() < 1e-9 => {}
        JitterKind::Ratio if (p.jitter.ratio - 0.2).abs() < 1e-9 => notes.add(
            "jitter.kind=ratio",
            "gRPC jitters ±20% after the cap, so a delay may reach 1.2·maxBackoff (ours stays under the cap)",
        ),
        kind => notes.add(
            &format!("jitter.kind={}", p.get("jitter.kind").unwrap_or_default()),
            match kind {
                JitterKind::Ratio | JitterKind::RatioAfterCap => format!("gRPC's jitter is always ±20%, not ±{}", num(p.jitter.ratio * 100.0) + "%"),
                _ => "gRPC's jitter is always ±20% of the delay (ratio 0.2)".to_string(),
            },
        ),
    }
    // gRPC requires both durations to be > 0.
    let positive = |knob: &str, ms: u64, notes: &mut Notes| {
        if ms == 0 {
            notes.add(knob, "gRPC requires a backoff > 0: 1 ms");
        }
        proto_duration(ms.max(1))
    };
    let mut policy = json!({
        "maxAttempts": max,
        "initialBackoff": positive("backoff.base_ms", b.base_ms, notes),
        "maxBackoff": positive("backoff.cap_ms", b.cap_ms, notes),
        "backoffMultiplier": multiplier,
        "retryableStatusCodes": codes,
    });
    if a.timeout_ms > 0 {
        policy["perAttemptRecvTimeout"] = json!(proto_duration(a.timeout_ms));
        notes.add(
            "attempts.timeout_ms",
            "perAttemptRecvTimeout is read by gRPC C-core and Java (experimental); other gRPC languages ignore it",
        );
    }
    policy
}

/// The retryable status codes, from the classification's broad rules.
fn codes(p: &PolicyConfig, notes: &mut Notes) -> Vec<&'static str> {
    let r = &p.retry;
    let statuses = common::retryable_statuses(p);
    let on = |knob: &str| match knob {
        // UNAVAILABLE is also what a 503 becomes in gRPC.
        "retry.network_error" => r.network_error || statuses.contains(&503),
        "retry.timeout" => r.timeout,
        "retry.status_429" => statuses.contains(&429),
        "retry.status_5xx" => r.status_5xx,
        "retry.status.409" => statuses.contains(&409),
        "retry.status_4xx" => r.status_4xx,
        _ => false,
    };
    let out: Vec<&str> = CODES
        .iter()
        .filter(|(_, knob)| on(knob))
        .map(|(code, _)| *code)
        .collect();
    if !r.status_overrides.is_empty() {
        notes.add(
            "retry.status.NNN",
            "gRPC status codes are not HTTP statuses: the per-status overrides are not written (409 is ABORTED, the rest follow the broad rules)",
        );
    }
    out
}

fn throttling(p: &PolicyConfig, notes: &mut Notes) -> Option<Value> {
    let b = &p.budget;
    match b.kind {
        BudgetKind::None => None,
        BudgetKind::Ratio => {
            notes.add(
                "budget.kind=ratio",
                "gRPC's budget is a token bucket (retryThrottling), not a ratio: none is written",
            );
            None
        }
        BudgetKind::GrpcThrottling => {
            // gRPC: 0 < maxTokens <= 1000, 0 < tokenRatio, 3 decimals.
            let max_tokens = b.capacity.clamp(1, 1000);
            let ratio = (b.token_ratio * 1000.0).round().max(1.0) / 1000.0;
            Some(json!({ "maxTokens": max_tokens, "tokenRatio": ratio }))
        }
        BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund => {
            let cost = b.retry_cost.max(1) as f64;
            // gRPC: 0 < maxTokens <= 1000, 0 < tokenRatio, 3 decimals.
            let max_tokens = (2.0 * b.capacity as f64 / cost).round().clamp(1.0, 1000.0);
            let ratio = ((b.success_refill as f64 / cost) * 1000.0).round().max(1.0) / 1000.0;
            notes.add(
                &format!("budget.kind={}", p.get("budget.kind").unwrap_or_default()),
                format!(
                    "retryThrottling: gRPC takes 1 token per failed attempt (not {} per retry), gives {} per success and retries only while above half of {}: the same ratios, not the same bucket",
                    b.retry_cost, num(ratio), num(max_tokens)
                ),
            );
            Some(json!({ "maxTokens": max_tokens as u64, "tokenRatio": ratio }))
        }
    }
}

fn notes_for_the_rest(p: &PolicyConfig, notes: &mut Notes) {
    if p.retry_after.honor {
        notes.add(
            "retry_after.honor=true",
            "gRPC reads server pushback (grpc-retry-pushback-ms), not Retry-After, and does not cap it",
        );
    }
    common::library_knobs(p, notes, "gRPC", RetryAfterKind::Capped);
    common::no_breaker(p, notes, "gRPC");
    common::code_only(p, notes, "A service config");
}
