//! .NET: Polly v8 through Microsoft.Extensions.Http.Resilience.
//!
//! - [`json`]: the `appsettings.json` section that
//!   `AddStandardResilienceHandler(configuration.GetSection("Resilience"))`
//!   binds to `HttpStandardResilienceOptions` (`TotalRequestTimeout`,
//!   `Retry`, `CircuitBreaker`, `AttemptTimeout`; durations as TimeSpan text
//!   `"00:00:02"`). `MaxRetryAttempts` counts retries: `attempts.max − 1`.
//!   Polly's `DelayBackoffType` (`Polly.Core/Retry/RetryHelper.cs`):
//!   `Constant` `Delay`, `Linear` `Delay·(n)`, `Exponential` `Delay·2^(n−1)`,
//!   capped at `MaxDelay`; `UseJitter` adds ±25% (constant, linear) or uses
//!   decorrelated jitter V2 (exponential). Which statuses are retried is a
//!   delegate in .NET, not configuration: the handler retries 408, 429, 5xx,
//!   `HttpRequestException` and timeouts. Its breaker is a failure ratio over
//!   `SamplingDuration`; the standard handler always has one, so "no
//!   breaker" is written as one that needs 2147483647 calls to open.
//! - [`csharp`] (in `polly_csharp.rs`): the same pipeline built in C#, with
//!   the classification and every delay formula exact.

use policy::backoff::is_decorrelated;
use policy::{BackoffKind, BreakerKind, JitterKind, PolicyConfig};
use serde_json::{json, Value};

use crate::common::{self, num, timespan};
use crate::Notes;

pub use crate::polly_csharp::csharp;

/// The section name the JSON document has and the C# binds.
pub const SECTION: &str = "Resilience";

/// `MinimumThroughput` that stands for "no breaker" (the standard handler always has one).
pub const NEVER_OPENS: u64 = i32::MAX as u64;

/// The statuses the standard handler retries (`HttpClientResiliencePredicates.IsTransient`).
pub fn transient_statuses() -> Vec<u16> {
    let mut s = vec![408, 429];
    s.extend(500..=599);
    s
}

pub(crate) fn json(p: &PolicyConfig, notes: &mut Notes) -> Value {
    let a = &p.attempts;
    let b = &p.backoff;
    let retries = match a.max {
        0 => {
            notes.add(
                "attempts.max=0",
                "MaxRetryAttempts 2147483647 (Polly's unlimited)",
            );
            i32::MAX as u64
        }
        1 => {
            notes.add(
                "attempts.max=1",
                "the standard handler needs MaxRetryAttempts >= 1: 1 retry is written; remove the retry strategy in code to have none",
            );
            1
        }
        m => u64::from(m - 1),
    };
    let (backoff_type, use_jitter) = backoff(p, notes);
    let mut retry = json!({
        "MaxRetryAttempts": retries,
        "BackoffType": backoff_type,
        "UseJitter": use_jitter,
        "Delay": timespan(b.base_ms),
        "MaxDelay": timespan(b.cap_ms),
        "ShouldRetryAfterHeader": p.retry_after.honor,
    });
    if b.base_ms > 86_400_000 {
        retry["Delay"] = json!(timespan(86_400_000));
        notes.add("backoff.base_ms", "Polly's Delay is at most 1 day");
    }
    if p.retry_after.honor && p.retry_after.cap_ms < 86_400_000 {
        notes.add(
            "retry_after.cap_ms",
            "Polly obeys Retry-After as sent, uncapped",
        );
    }
    let statuses = common::retryable_statuses(p);
    if statuses != transient_statuses() || !p.retry.network_error || !p.retry.timeout {
        notes.add(
            "retry.*",
            "which outcomes are retried is code in .NET (ShouldHandle): the standard handler retries 408, 429, 5xx, network errors and timeouts (--target polly-csharp writes the exact rule)",
        );
    }
    let mut section = json!({
        "Retry": retry,
        "CircuitBreaker": breaker(p, notes),
    });
    // The standard handler's timeouts cannot be switched off: "none" is its largest value.
    let timeout = |ms: u64, knob: &str, notes: &mut Notes| {
        if ms == 0 {
            notes.add(
                knob,
                "the standard handler always has this timeout: 1 day (its maximum)",
            );
            timespan(86_400_000)
        } else {
            timespan(ms.min(86_400_000))
        }
    };
    section["AttemptTimeout"] =
        json!({ "Timeout": timeout(a.timeout_ms, "attempts.timeout_ms=0", notes) });
    section["TotalRequestTimeout"] =
        json!({ "Timeout": timeout(a.deadline_ms, "attempts.deadline_ms=0", notes) });
    common::library_knobs(p, notes, "Polly", policy::RetryAfterKind::Capped);
    common::no_budget(p, notes, "The standard handler");
    common::code_only(p, notes, "appsettings.json");
    json!({ SECTION: section })
}

/// `BackoffType` and `UseJitter`.
pub fn backoff(p: &PolicyConfig, notes: &mut Notes) -> (&'static str, bool) {
    let b = &p.backoff;
    if p.jitter.kind == JitterKind::DecorrelatedV2 {
        // Polly's own: Exponential with UseJitter is decorrelated jitter V2.
        return ("Exponential", true);
    }
    let kind = if is_decorrelated(p) {
        notes.add(
            "backoff.kind=decorrelated",
            "Polly's nearest is Exponential with UseJitter (decorrelated jitter V2, jitter.kind=decorrelated_v2, a different curve)",
        );
        return ("Exponential", true);
    } else {
        match b.kind {
            BackoffKind::Constant => "Constant",
            BackoffKind::Linear => "Linear",
            _ => {
                if b.multiplier != 2.0 {
                    notes.add(
                        "backoff.multiplier",
                        format!(
                            "Polly's exponential backoff doubles: multiplier 2, not {}",
                            num(b.multiplier)
                        ),
                    );
                }
                "Exponential"
            }
        }
    };
    let jitter = match p.jitter.kind {
        JitterKind::None => false,
        JitterKind::Ratio if (p.jitter.ratio - 0.25).abs() < 1e-9 && kind != "Exponential" => true,
        other => {
            notes.add(
                &format!("jitter.kind={}", p.get("jitter.kind").unwrap_or_default()),
                format!(
                    "Polly's UseJitter is ±25% (constant, linear) or decorrelated jitter V2 (exponential), not {}: UseJitter true",
                    policy::jitter::formula(other)
                ),
            );
            true
        }
    };
    (kind, jitter)
}

fn breaker(p: &PolicyConfig, notes: &mut Notes) -> Value {
    let br = &p.breaker;
    let sampling = |ms: u64| timespan(ms.max(500));
    match br.kind {
        BreakerKind::None => json!({
            "FailureRatio": 1.0,
            "MinimumThroughput": NEVER_OPENS,
            "SamplingDuration": sampling(30_000),
            "BreakDuration": timespan(5000),
        }),
        BreakerKind::RatioTime => json!({
            "FailureRatio": br.failure_ratio.max(0.001),
            "MinimumThroughput": br.min_throughput.max(2),
            "SamplingDuration": sampling(br.window_ms),
            "BreakDuration": timespan(br.open_ms.max(500)),
        }),
        BreakerKind::RatioCount | BreakerKind::Consecutive => {
            notes.add(
                &format!("breaker.kind={}", p.get("breaker.kind").unwrap_or_default()),
                "Polly's breaker judges a failure ratio over a time window (SamplingDuration 30 s here), not a count of attempts",
            );
            let (ratio, min) = if br.kind == BreakerKind::Consecutive {
                (1.0, br.threshold.saturating_add(1))
            } else {
                (br.failure_ratio, br.min_throughput)
            };
            json!({
                "FailureRatio": ratio.max(0.001),
                "MinimumThroughput": min.max(2),
                "SamplingDuration": sampling(30_000),
                "BreakDuration": timespan(br.open_ms.max(500)),
            })
        }
    }
}
