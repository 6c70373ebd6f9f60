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
            format!("decorrelated(base={base}, cap={cap})"),
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
        (_, JitterKind::RatioAfterCap) => {
            let r = p.jitter.ratio;
            (
                format!("lambda rs: {d} * random.uniform({}, {})", 1.0 - r, 1.0 + r),
                "ratio jitter after the cap (gRPC): d * U(1-r, 1+r)",
            )
        }
        (_, JitterKind::Randomized) => {
            let r = p.jitter.ratio;
            (
                format!(
                    "lambda rs: min({cap}, {base} * {mult} ** (rs.attempt_number - 1) * random.uniform({}, {}))",
                    1.0 - r,
                    1.0 + r
                ),
                "resilience4j randomized: jitter before the cap",
            )
        }
        (_, JitterKind::DecorrelatedV2) => (
            format!("wait_exponential(multiplier={base}, exp_base=2, max={cap})"),
            "Polly's decorrelated jitter V2 is not in tenacity: its median curve, no jitter",
        ),
        (_, JitterKind::Decorrelated) => (String::new(), ""), // handled above
    }
}

/// The client policy as Python: `requests` with a timeout, tenacity for
/// attempts, backoff and classification, and the idempotency key drawn once
/// per logical call. Budgets and breakers have no tenacity equivalent; they
/// are named in comments with the settings to carry over.
pub fn python(p: &PolicyConfig) -> String {
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
    format!("{}{out}", imports(&out))
}

/// What the code in `body` uses, imported by name (no `import *`).
fn imports(body: &str) -> String {
    const TENACITY: [&str; 9] = [
        "retry",
        "retry_if_exception",
        "stop_after_attempt",
        "stop_after_delay",
        "stop_never",
        "wait_exponential",
        "wait_fixed",
        "wait_incrementing",
        "wait_random_exponential",
    ];
    let used = |name: &str| {
        body.match_indices(name).any(|(i, _)| {
            let before = body[..i].chars().next_back();
            let after = body[i + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    };
    let mut modules: Vec<&str> = ["random", "uuid"]
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
        BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund => {
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
