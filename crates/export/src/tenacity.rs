//! Python: requests + tenacity, each formula written the way tenacity
//! computes it (tenacity's `wait.py`: `wait_exponential` is
//! `multiplier·exp_base^(attempt_number−1)` capped at `max`,
//! `wait_random_exponential` draws `U(0, that)`); the kinds tenacity lacks
//! are a `wait=` function of `rs.attempt_number` with our exact formula.
//! The decorrelated wait keeps its previous sleep on tenacity's per-call
//! `RetryCallState` (never one object shared by every call).

use std::fmt::Write;

use policy::{BackoffKind, BreakerKind, BudgetKind, JitterKind, PolicyConfig};

use crate::common::secs;
use crate::formula;
use crate::Notes;

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// The tenacity `wait=` for this config (retry n = `rs.attempt_number`),
/// and a comment for the end of its line.
fn wait(p: &PolicyConfig) -> (String, &'static str) {
    let b = &p.backoff;
    let (base, cap, mult) = (secs(b.base_ms), secs(b.cap_ms), b.multiplier);
    let decorrelated =
        b.kind == BackoffKind::Decorrelated || p.jitter.kind == JitterKind::Decorrelated;
    if decorrelated {
        return (
            format!("decorrelated(base={base}, cap={cap})"),
            "AWS decorrelated jitter",
        );
    }
    let custom = || {
        (
            "lambda rs: delay_ms(rs.attempt_number) / 1000".to_string(),
            "our formula, as delay_ms above",
        )
    };
    if b.first_retry_immediate {
        return custom();
    }
    match (b.kind, p.jitter.kind) {
        (BackoffKind::Constant, JitterKind::None) => (
            format!("wait_fixed({})", secs(b.base_ms.min(b.cap_ms))),
            "constant",
        ),
        (BackoffKind::Linear, JitterKind::None) => (
            format!("wait_incrementing(start={base}, increment={base}, max={cap})"),
            "linear: base * n",
        ),
        (BackoffKind::Exponential, JitterKind::None) => (
            format!("wait_exponential(multiplier={base}, exp_base={mult}, max={cap})"),
            "base * multiplier ** (n - 1)",
        ),
        (BackoffKind::Exponential, JitterKind::Full) => (
            format!("wait_random_exponential(multiplier={base}, exp_base={mult}, max={cap})"),
            "full jitter: U(0, d)",
        ),
        (BackoffKind::Exponential, JitterKind::Additive) => (
            format!(
                "wait_exponential_jitter(initial={base}, max={cap}, exp_base={mult}, jitter={})",
                secs(p.jitter.additive_ms)
            ),
            "min(max, initial * exp_base ** (n - 1) + U(0, jitter))",
        ),
        _ => custom(),
    }
}

/// `def delay_ms(n)`: the exact formula, for the kinds tenacity lacks.
fn delay_ms_def(p: &PolicyConfig, wait: &str) -> String {
    match formula::delay_ms(p, &formula::PYTHON) {
        Some(expr) if wait.contains("delay_ms(") => format!(
            "def delay_ms(n):  # {}; n = 1 before the second attempt\n    return {expr}\n\n",
            policy::plan::formula(p)
        ),
        _ => String::new(),
    }
}

/// The client policy as Python: `requests` with a timeout, tenacity for
/// attempts, backoff and classification, and the idempotency key drawn once
/// per logical call. Budgets and breakers have no tenacity equivalent; they
/// are named in the notes with the settings to carry over.
pub(crate) fn write(p: &PolicyConfig, notes: &mut Notes) -> String {
    let mut out = String::new();
    let decorrelated =
        p.backoff.kind == BackoffKind::Decorrelated || p.jitter.kind == JitterKind::Decorrelated;
    if decorrelated {
        // The previous sleep lives on tenacity's per-call state (`rs`), so it
        // starts at `base` for every call and no two calls share it.
        out.push_str(
            "def decorrelated(base, cap):  # AWS: sleep = min(cap, U(base, 3 * previous)), previous starting at base, per call\n    \
             def wait(rs):\n        \
             previous = getattr(rs, 'decorrelated_previous', base)\n        \
             rs.decorrelated_previous = min(cap, random.uniform(base, previous * 3))\n        \
             return rs.decorrelated_previous\n    \
             return wait\n\n",
        );
    }
    out.push_str(&classifier(p));
    let (stop, stop_note) = stop(p, notes);
    let (mut wait, wait_note) = wait(p);
    out.push_str(&delay_ms_def(p, &wait));
    if p.retry_after.honor {
        out.push_str(&format!(
            "def honour_retry_after(fallback, cap={}):  # Retry-After (seconds form) instead of the backoff\n    \
             def wait(rs):\n        \
             value = getattr(getattr(rs.outcome.exception(), 'response', None), 'headers', {{}}).get('Retry-After', '')\n        \
             return min(cap, int(value)) if value.isdigit() else fallback(rs)\n    \
             return wait\n\n",
            secs(p.retry_after.cap_ms)
        ));
        wait = format!("honour_retry_after({wait})");
        notes.add(
            "retry_after.honor=true",
            "only the seconds form of Retry-After is read; an HTTP-date falls back to the backoff",
        );
    }
    untranslated(p, notes);
    if wait.contains("delay_ms(") {
        crate::common::formula_note(p, notes);
    }
    crate::common::library_knobs(p, notes, "tenacity", policy::RetryAfterKind::Capped);
    let a = &p.attempts;
    let (timeout, timeout_note) = if a.timeout_ms > 0 {
        (secs(a.timeout_ms), "")
    } else {
        (
            "None".into(),
            "  # no timeout: a hung server hangs this call",
        )
    };
    let _ = write!(
        out,
        "@retry(stop={stop},{stop_note}\n       wait={wait},  # {wait_note}\n       retry=retry_if_exception(is_retryable), reraise=True)\n\
         def attempt(method, url, key=None, **kwargs):\n    \
         headers = {{'Idempotency-Key': key}} if key else {{}}\n    \
         r = requests.request(method, url, headers=headers, timeout={timeout}, **kwargs){timeout_note}\n    \
         r.raise_for_status()\n    \
         return r\n\n\
         def call(method, url, **kwargs):\n    \
         key = {}  # one key per logical call, the same on every attempt\n    \
         return attempt(method, url, key, **kwargs)\n",
        if p.idempotency.key { "uuid.uuid4().hex" } else { "None" }
    );
    format!("{}{out}", imports(&out))
}

/// What the code in `body` uses, imported by name (no `import *`).
fn imports(body: &str) -> String {
    const TENACITY: [&str; 10] = [
        "retry",
        "retry_if_exception",
        "stop_after_attempt",
        "stop_before_delay",
        "stop_never",
        "wait_exponential",
        "wait_fixed",
        "wait_incrementing",
        "wait_random_exponential",
        "wait_exponential_jitter",
    ];
    let used = |name: &str| {
        body.match_indices(name).any(|(i, _)| {
            let before = body[..i].chars().next_back();
            let after = body[i + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    };
    let mut modules: Vec<&str> = ["math", "random", "uuid"]
        .into_iter()
        .filter(|m| body.contains(&format!("{m}.")))
        .collect();
    modules.push("requests");
    let names: Vec<&str> = TENACITY.into_iter().filter(|n| used(n)).collect();
    format!(
        "import {}\nfrom tenacity import {}\n\n",
        modules.join(", "),
        names.join(", ")
    )
}

/// `is_retryable(exc)`: the retry classification, per-status overrides
/// first; only the rules the config turns on are written.
fn classifier(p: &PolicyConfig) -> String {
    let r = &p.retry;
    let mut out = String::new();
    if !r.status_overrides.is_empty() {
        let overrides: Vec<String> = r
            .status_overrides
            .iter()
            .map(|(s, v)| format!("{s}: {}", py_bool(*v)))
            .collect();
        let _ = writeln!(out, "OVERRIDES = {{{}}}\n", overrides.join(", "));
    }
    let _ = write!(
        out,
        "def is_retryable(exc):\n    \
         if isinstance(exc, requests.Timeout): return {}\n    \
         if isinstance(exc, requests.ConnectionError): return {}\n    \
         if not isinstance(exc, requests.HTTPError): return False\n    \
         status = exc.response.status_code\n",
        py_bool(r.timeout),
        py_bool(r.network_error),
    );
    if r.require_key_for_unsafe {
        // Before every other rule: a keyless POST is never retried, whatever failed.
        out = out.replacen(
            "def is_retryable(exc):\n",
            "def is_retryable(exc):\n    \
             request = getattr(exc, 'request', None)\n    \
             if request is not None and request.method not in SAFE_METHODS and 'Idempotency-Key' not in request.headers: return False\n",
            1,
        );
        out.insert_str(0, "SAFE_METHODS = ('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE')  # retry.require_key_for_unsafe\n\n");
    }
    if !r.status_overrides.is_empty() {
        out.push_str("    if status in OVERRIDES: return OVERRIDES[status]\n");
    }
    let _ = writeln!(
        out,
        "    if status == 429: return {}",
        py_bool(r.status_429)
    );
    if r.in_flight_409 {
        out.push_str(
            "    if status == 409 and 'Idempotency-Key' in exc.request.headers: return True  # still in flight\n",
        );
    }
    let rest = match (r.status_5xx, r.status_4xx) {
        (true, true) => "400 <= status <= 599",
        (true, false) => "500 <= status <= 599",
        (false, true) => "400 <= status <= 499",
        (false, false) => "False",
    };
    let _ = writeln!(out, "    return {rest}\n");
    out
}

/// The tenacity `stop=` for the attempt limit and the deadline, and a note
/// for the end of its line.
fn stop(p: &PolicyConfig, notes: &mut Notes) -> (String, &'static str) {
    let a = &p.attempts;
    let mut stops = Vec::new();
    if a.max > 0 {
        stops.push(format!("stop_after_attempt({})", a.max));
    }
    if a.deadline_ms > 0 {
        // No attempt starts at or after the deadline (tenacity ≥ 8.3).
        stops.push(format!("stop_before_delay({})", secs(a.deadline_ms)));
        if a.timeout_ms > 0 {
            notes.add(
                "attempts.deadline_ms",
                "the last attempt's timeout is not shortened to the time left before the deadline",
            );
        }
    }
    if stops.is_empty() {
        (
            "stop_never".to_string(),
            "  # unlimited attempts: the storm anti-pattern",
        )
    } else {
        (stops.join(" | "), "")
    }
}

/// Notes for the retry budget and the breaker, which tenacity lacks.
fn untranslated(p: &PolicyConfig, notes: &mut Notes) {
    let b = &p.budget;
    match b.kind {
        BudgetKind::None => {}
        BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund => notes.add(
            &format!("budget.kind={}", p.get("budget.kind").unwrap_or_default()),
            format!(
                "Retry budget (token bucket) not in tenacity: every call retries up to its limit (capacity {}, retry cost {}, timeout cost {}, +{} per success)",
                b.capacity, b.retry_cost, b.timeout_cost, b.success_refill
            ),
        ),
        BudgetKind::GrpcThrottling => notes.add(
            "budget.kind=grpc_throttling",
            format!(
                "gRPC retry throttling not in tenacity: every call retries up to its limit (max tokens {}, token ratio {})",
                b.capacity, b.token_ratio
            ),
        ),
        BudgetKind::Ratio => notes.add(
            "budget.kind=ratio",
            format!(
                "Retry budget (ratio) not in tenacity: every call retries up to its limit (retries <= {} + {} x calls per {} window)",
                b.min_retries,
                b.ratio,
                if b.window_ms == 0 { "whole-run".to_string() } else { format!("{} s", secs(b.window_ms)) }
            ),
        ),
    }
    if p.breaker.kind != BreakerKind::None {
        let br = &p.breaker;
        notes.add(
            &format!("breaker.kind={}", p.get("breaker.kind").unwrap_or_default()),
            format!(
                "Circuit breaker not in tenacity: never fails fast; e.g. pybreaker.CircuitBreaker(fail_max={}, reset_timeout={}) around call()",
                br.threshold.saturating_add(1),
                secs(br.open_ms)
            ),
        );
    }
}
