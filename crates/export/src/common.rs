//! What several targets share: the retryable status set, durations in each
//! target's format, and the notes every config format needs.

use policy::classify::{classify, Outcome, Verdict};
use policy::{BreakerKind, BudgetKind, PolicyConfig, RetryAfterKind};

use crate::Notes;

/// The error statuses (400..=599) a call of this policy retries, as the
/// classification decides them for its requests (keyed when
/// `idempotency.key` is on, so a 409 is "still in flight" exactly then).
pub fn retryable_statuses(p: &PolicyConfig) -> Vec<u16> {
    (400..=599)
        .filter(|&status| {
            let outcome = Outcome::Response {
                status,
                retry_after_ms: None,
            };
            classify(&p.retry, &outcome, p.idempotency.key) == Verdict::Retryable
        })
        .collect()
}

/// The knob assignments that make a policy retry exactly `statuses` among
/// 400..=599 (with no idempotency key): the broad rules by majority, the
/// exceptions as per-status overrides. What the readers give back.
pub fn status_knobs(statuses: &[u16]) -> Vec<(String, String)> {
    let has = |s: u16| statuses.contains(&s);
    let five = (500..=599).filter(|&s| has(s)).count();
    let four = (400..=499).filter(|&s| s != 429 && has(s)).count();
    let rule_5xx = five * 2 > 100;
    let rule_4xx = four * 2 > 99;
    let mut out = vec![
        ("retry.status_429".to_string(), has(429).to_string()),
        ("retry.status_5xx".to_string(), rule_5xx.to_string()),
        ("retry.status_4xx".to_string(), rule_4xx.to_string()),
        ("retry.in_flight_409".to_string(), "false".to_string()),
    ];
    for s in (400..=599).filter(|&s| s != 429) {
        let rule = if s >= 500 { rule_5xx } else { rule_4xx };
        if has(s) != rule {
            out.push((format!("retry.status.{s}"), has(s).to_string()));
        }
    }
    out
}

/// `statuses` as inclusive runs: `[400, 401, 402, 500]` is `[(400, 402), (500, 500)]`.
pub fn runs(statuses: &[u16]) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for &s in statuses {
        match out.last_mut() {
            Some((_, hi)) if *hi + 1 == s => *hi = s,
            _ => out.push((s, s)),
        }
    }
    out
}

/// Milliseconds as decimal seconds, shortest form: `1500` is `1.5`, `2000` is `2`.
pub fn secs(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        let s = format!("{}.{:03}", ms / 1000, ms % 1000);
        s.trim_end_matches('0').to_string()
    }
}

/// A protobuf JSON `Duration` (gRPC, Envoy): `"1.5s"`.
pub fn proto_duration(ms: u64) -> String {
    format!("{}s", secs(ms))
}

/// A .NET `TimeSpan` as configuration binds it: `"00:00:01.5"`, `"1.00:00:00"`.
pub fn timespan(ms: u64) -> String {
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (h, m, s, frac) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    let mut out = if days > 0 {
        format!("{days}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    };
    if frac > 0 {
        out.push_str(&format!(".{frac:03}"));
    }
    out
}

/// A float the way a program writes it, never in exponent form: `2`, `1.5`, `0.2`.
pub fn num(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.is_finite() {
        format!("{x}")
    } else {
        "0".to_string()
    }
}

/// The first 60 characters of user text, `…` if cut.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Notes for a config format that has no retry budget at all.
pub fn no_budget(p: &PolicyConfig, notes: &mut Notes, what: &str) {
    match p.budget.kind {
        BudgetKind::None => {}
        BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund => notes.add(
            &format!("budget.kind={}", p.get("budget.kind").unwrap_or_default()),
            format!(
                "{what} has no retry budget: every call retries up to its limit (capacity {}, retry cost {}, timeout cost {}, refill {} are not applied)",
                p.budget.capacity, p.budget.retry_cost, p.budget.timeout_cost, p.budget.success_refill
            ),
        ),
        BudgetKind::GrpcThrottling => notes.add(
            "budget.kind=grpc_throttling",
            format!(
                "{what} has no retry throttling: every call retries up to its limit (max tokens {}, token ratio {} are not applied)",
                p.budget.capacity, p.budget.token_ratio
            ),
        ),
        BudgetKind::Ratio => notes.add(
            "budget.kind=ratio",
            format!(
                "{what} has no retry budget: every call retries up to its limit (ratio {}, min {} per {} ms are not applied)",
                p.budget.ratio, p.budget.min_retries, p.budget.window_ms
            ),
        ),
    }
}

/// Notes for a format that has no circuit breaker.
pub fn no_breaker(p: &PolicyConfig, notes: &mut Notes, what: &str) {
    if p.breaker.kind != BreakerKind::None {
        notes.add(
            &format!("breaker.kind={}", p.get("breaker.kind").unwrap_or_default()),
            format!("{what} has no circuit breaker: calls are never failed fast"),
        );
    }
}

/// Notes for the knobs only code can carry (a config format has no place for them).
pub fn code_only(p: &PolicyConfig, notes: &mut Notes, what: &str) {
    if p.idempotency.key {
        notes.add(
            "idempotency.key=true",
            format!("{what} cannot add a header: send one Idempotency-Key per logical call yourself, the same on every attempt"),
        );
    }
    if p.retry.require_key_for_unsafe {
        notes.add(
            "retry.require_key_for_unsafe=true",
            format!(
                "{what} cannot look at the request's headers: it retries by method or not at all"
            ),
        );
    }
}

/// `statuses` as a condition on `var` in C-like syntax (C#, Java, Go, JavaScript):
/// `s == 429 || (s >= 500 && s <= 599)`, or `false` when empty.
pub fn c_condition(statuses: &[u16], var: &str) -> String {
    let parts: Vec<String> = runs(statuses)
        .into_iter()
        .map(|(lo, hi)| {
            if lo == hi {
                format!("{var} == {lo}")
            } else {
                format!("({var} >= {lo} && {var} <= {hi})")
            }
        })
        .collect();
    if parts.is_empty() {
        "false".to_string()
    } else {
        parts.join(" || ")
    }
}

/// Notes for the library-specific knobs a target lacks: the throttling base
/// (AWS 2026) and the Retry-After kinds other than `native`.
pub fn library_knobs(p: &PolicyConfig, notes: &mut Notes, what: &str, native: RetryAfterKind) {
    if p.backoff.throttle_base_ms > 0 {
        notes.add(
            "backoff.throttle_base_ms",
            format!(
                "{what} has one base: after a throttling failure it backs off from base_ms too"
            ),
        );
    }
    if p.retry_after.honor
        && p.retry_after.kind != native
        && p.retry_after.kind != RetryAfterKind::Capped
    {
        notes.add(
            &format!(
                "retry_after.kind={}",
                p.get("retry_after.kind").unwrap_or_default()
            ),
            format!("{what} does not sleep Retry-After that way: it sleeps min(Retry-After, cap)"),
        );
    }
}

/// The note for a formula the code targets write approximately, if any.
pub fn formula_note(p: &PolicyConfig, notes: &mut Notes) {
    if let Some((knob, text)) = crate::formula::approximation(p) {
        notes.add(knob, text);
    }
}

/// Notes for the parts beyond the chapter (adaptive throttling, hedging, the
/// bulkhead): no export writes them yet.
pub fn beyond(p: &PolicyConfig, notes: &mut Notes, what: &str) {
    let d = PolicyConfig::default();
    if p.throttle != d.throttle {
        notes.add("throttle.*", format!("not written for {what}: no adaptive client throttling, calls are never rejected locally"));
    }
    if p.hedge != d.hedge {
        notes.add(
            "hedge.*",
            format!("not written for {what}: no hedged requests, one attempt at a time"),
        );
    }
    if p.client != d.client {
        notes.add(
            "client.*",
            format!("not written for {what}: no bulkhead, calls in flight are not limited"),
        );
    }
}
