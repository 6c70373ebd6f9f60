//! The policy, copied out: the exact `playground` command that reproduces the
//! run, and the client policy as Python (requests + tenacity), with each
//! formula written the way tenacity computes it.

use std::fmt::Write;

use flaky::sim::RunConfig;
use policy::{BackoffKind, BreakerKind, BudgetKind, JitterKind, PolicyConfig};

/// `playground run …` with every knob that differs from the defaults: the
/// same config, the same seed, the same trace (simulated).
pub fn cli_command(config: &RunConfig, seed: u64) -> String {
    let mut out = format!("cargo run -p cli -- run --seed {seed}");
    for (name, value) in config.changed_knobs() {
        let _ = write!(out, " \\\n  --set {name}={value}");
    }
    out
}

fn secs(ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        format!("{s}")
    }
}

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
            format!("Decorrelated(base={base}, cap={cap})"),
            "AWS decorrelated jitter",
        );
    }
    let d = match b.kind {
        BackoffKind::Constant => format!("min({cap}, {base})"),
        BackoffKind::Linear => format!("min({cap}, {base} * rs.attempt_number)"),
        _ => format!("min({cap}, {base} * {mult} ** (rs.attempt_number - 1))"),
    };
    match (b.kind, p.jitter.kind) {
        (BackoffKind::Constant, JitterKind::None) => (format!("wait_fixed({base})"), "constant"),
        (BackoffKind::Linear, JitterKind::None) => (
            format!("wait_incrementing(start={base}, increment={base}, max={cap})"),
            "linear: base * n",
        ),
        (_, JitterKind::None) => (
            format!("wait_exponential(multiplier={base}, exp_base={mult}, max={cap})"),
            "base * multiplier ** (n - 1)",
        ),
        (BackoffKind::Exponential, JitterKind::Full) => (
            format!("wait_random_exponential(multiplier={base}, exp_base={mult}, max={cap})"),
            "full jitter: U(0, d)",
        ),
        (_, JitterKind::Full) => (
            format!("lambda rs: random.uniform(0, {d})"),
            "full jitter: U(0, d)",
        ),
        (_, JitterKind::Equal) => (
            format!("lambda rs: (d := {d}) / 2 + random.uniform(0, d / 2)"),
            "equal jitter: d/2 + U(0, d/2)",
        ),
        (_, JitterKind::Ratio) => {
            let r = p.jitter.ratio;
            (
                format!(
                    "lambda rs: min({cap}, {d} * random.uniform({}, {}))",
                    1.0 - r,
                    1.0 + r
                ),
                "ratio jitter: d * U(1-r, 1+r)",
            )
        }
        (_, JitterKind::Additive) => (
            format!(
                "lambda rs: min({cap}, {d} + random.uniform(0, {}))",
                secs(p.jitter.additive_ms)
            ),
            "additive jitter: d + U(0, a)",
        ),
        (_, JitterKind::Decorrelated) => (String::new(), ""), // handled above
    }
}

/// The client policy as Python: `requests` with a timeout, tenacity for
/// attempts, backoff and classification, and the idempotency key drawn once
/// per logical call. Budgets and breakers have no tenacity equivalent; they
/// are named in comments with the settings to carry over.
pub fn python(p: &PolicyConfig) -> String {
    let mut out = String::from("import random, uuid\nimport requests\nfrom tenacity import *\n\n");
    let decorrelated =
        p.backoff.kind == BackoffKind::Decorrelated || p.jitter.kind == JitterKind::Decorrelated;
    if decorrelated {
        out.push_str(
            "class Decorrelated:  # AWS: sleep = min(cap, U(base, 3 * previous)); one per call\n    \
             def __init__(self, base, cap): self.base, self.cap, self.prev = base, cap, base\n    \
             def __call__(self, rs):\n        \
             self.prev = min(self.cap, random.uniform(self.base, self.prev * 3))\n        \
             return self.prev\n\n",
        );
    }
    out.push_str(&classifier(p));
    let (stop, stop_note) = stop(p);
    let (mut wait, wait_note) = wait(p);
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
    }
    out.push_str(&untranslated(p));
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
    if p.retry.require_key_for_unsafe {
        out.push_str("# never retry a POST that carries no key (retry.require_key_for_unsafe)\n");
    }
    out
}

/// `is_retryable(exc)`: the retry classification, per-status overrides first.
fn classifier(p: &PolicyConfig) -> String {
    let r = &p.retry;
    let overrides: Vec<String> = r
        .status_overrides
        .iter()
        .map(|(s, v)| format!("{s}: {}", py_bool(*v)))
        .collect();
    format!(
        "OVERRIDES = {{{}}}\n\ndef is_retryable(exc):\n    \
         if isinstance(exc, requests.Timeout): return {}\n    \
         if isinstance(exc, requests.ConnectionError): return {}\n    \
         if not isinstance(exc, requests.HTTPError): return False\n    \
         status = exc.response.status_code\n    \
         if status in OVERRIDES: return OVERRIDES[status]\n    \
         if status == 429: return {}\n    \
         if status == 409 and {} and 'Idempotency-Key' in exc.request.headers: return True  # still in flight\n    \
         return (500 <= status <= 599 and {}) or (400 <= status <= 499 and {})\n\n",
        overrides.join(", "),
        py_bool(r.timeout),
        py_bool(r.network_error),
        py_bool(r.status_429),
        py_bool(r.in_flight_409),
        py_bool(r.status_5xx),
        py_bool(r.status_4xx),
    )
}

/// The tenacity `stop=` for the attempt limit and the deadline, and a note
/// for the end of its line.
fn stop(p: &PolicyConfig) -> (String, &'static str) {
    let a = &p.attempts;
    let mut stops = Vec::new();
    if a.max > 0 {
        stops.push(format!("stop_after_attempt({})", a.max));
    }
    if a.deadline_ms > 0 {
        stops.push(format!("stop_after_delay({})", secs(a.deadline_ms)));
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

/// Comments for the retry budget and the breaker, which tenacity lacks.
fn untranslated(p: &PolicyConfig) -> String {
    let mut out = String::new();
    match p.budget.kind {
        BudgetKind::None => {}
        BudgetKind::TokenBucket => {
            let b = &p.budget;
            let _ = writeln!(
                out,
                "# Retry budget (token bucket): not in tenacity. capacity {}, retry cost {}, timeout cost {}, +{} per success.",
                b.capacity, b.retry_cost, b.timeout_cost, b.success_refill
            );
        }
        BudgetKind::Ratio => {
            let b = &p.budget;
            let _ = writeln!(
                out,
                "# Retry budget (ratio): not in tenacity. retries <= {} + {} x calls per {} window.",
                b.min_retries,
                b.ratio,
                if b.window_ms == 0 { "whole-run".to_string() } else { format!("{} s", secs(b.window_ms)) }
            );
        }
    }
    if p.breaker.kind != BreakerKind::None {
        let b = &p.breaker;
        let _ = writeln!(
            out,
            "# Circuit breaker ({}): not in tenacity; e.g. pybreaker.CircuitBreaker(fail_max={}, reset_timeout={}).",
            policy_kind(p, "breaker.kind"),
            b.threshold.saturating_add(1),
            secs(b.open_ms)
        );
    }
    out
}

fn policy_kind(p: &PolicyConfig, name: &str) -> String {
    p.get(name).unwrap_or_default()
}
