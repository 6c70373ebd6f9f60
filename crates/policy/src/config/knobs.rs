//! The knobs of a [`PolicyConfig`](super::PolicyConfig): one table
//! ([`PolicyConfig::KNOBS`]) of their names, kinds, ranges, help, fields and
//! when they matter; reading and setting one by its dotted name; and the
//! cross-knob rules ([`PolicyConfig::validate`]).

use super::*;
use crate::bulkhead::WhenFull;
use crate::choice_knob;
use crate::knob::{to_u32, Knob};
use crate::throttle::{ThrottleKind, ThrottleScope};

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 86_400_000;
const TOKENS_MAX: u64 = 1_000_000;

type K = Knob<PolicyConfig>;

fn is_token_bucket(c: &PolicyConfig) -> bool {
    matches!(
        c.budget.kind,
        BudgetKind::TokenBucket | BudgetKind::TokenBucketRefund
    )
}
fn has_tokens(c: &PolicyConfig) -> bool {
    is_token_bucket(c) || c.budget.kind == BudgetKind::GrpcThrottling
}
fn is_ratio_breaker(c: &PolicyConfig) -> bool {
    matches!(
        c.breaker.kind,
        BreakerKind::RatioCount | BreakerKind::RatioTime
    )
}

#[rustfmt::skip]
// An array, not a slice: `&KNOBS` then points at this one static, where a
// const reading a slice static would copy its entries into every user.
static KNOBS: [K; 53] = [
    K::int("attempts.max", 0, 1000, "", "attempts per call, the first included; 0 = unlimited (infinite retries)",
        |c| c.attempts.max.into(), |c, v| c.attempts.max = to_u32(v)),
    K::int("attempts.deadline_ms", 0, DAY_MS, "ms", "overall deadline from the call's start; 0 = none",
        |c| c.attempts.deadline_ms, |c, v| c.attempts.deadline_ms = v),
    K::int("attempts.timeout_ms", 0, HOUR_MS, "ms", "per-attempt timeout = min(this, time left to deadline); 0 = none",
        |c| c.attempts.timeout_ms, |c, v| c.attempts.timeout_ms = v),
    K::boolean("retry.network_error", "retry when no response arrived (connection reset, DNS, offline)",
        |c| c.retry.network_error, |c, v| c.retry.network_error = v),
    K::boolean("retry.timeout", "retry an attempt that timed out",
        |c| c.retry.timeout, |c, v| c.retry.timeout = v),
    K::boolean("retry.status_429", "retry 429 Too Many Requests",
        |c| c.retry.status_429, |c, v| c.retry.status_429 = v),
    K::boolean("retry.status_5xx", "retry 500..=599",
        |c| c.retry.status_5xx, |c, v| c.retry.status_5xx = v),
    K::boolean("retry.status_4xx", "retry the other 4xx (400/401/403/404...): 'retry everything' masks bugs",
        |c| c.retry.status_4xx, |c, v| c.retry.status_4xx = v),
    K::boolean("retry.in_flight_409", "a 409 to a keyed request = first attempt still in flight: retry",
        |c| c.retry.in_flight_409, |c, v| c.retry.in_flight_409 = v),
    K::boolean("retry.error_codes", "read the service's error code (X-Amzn-ErrorType) as the AWS SDKs do: throttling and transient codes are retried, a throttling code at throttling's price",
        |c| c.retry.error_codes, |c, v| c.retry.error_codes = v),
    K::boolean("retry.require_key_for_unsafe", "never retry a non-idempotent request without an idempotency key",
        |c| c.retry.require_key_for_unsafe, |c, v| c.retry.require_key_for_unsafe = v),
    choice_knob!(K, "backoff.kind", "delay d(n) before retry n: constant min(cap, base) | linear min(cap, base·n) | exponential min(cap, base·multiplier^(n-1)) | decorrelated min(cap, U(base, 3·previous)) | exponential_floor d(1) = base, d(n) = floor(d(n-1)·multiplier), min(cap, ·) (resilience4j)",
        BackoffKind, |c| c.backoff.kind),
    K::int("backoff.base_ms", 0, HOUR_MS, "ms", "base: the first delay",
        |c| c.backoff.base_ms, |c, v| c.backoff.base_ms = v),
    K::int("backoff.cap_ms", 0, DAY_MS, "ms", "cap: no delay is longer, jitter included",
        |c| c.backoff.cap_ms, |c, v| c.backoff.cap_ms = v),
    K::float("backoff.multiplier", 1.0, 10.0, "×", "exponential: d(n) = min(cap, base·multiplier^(n-1))",
        |c| c.backoff.multiplier, |c, v| c.backoff.multiplier = v)
        .active_when(|c| matches!(c.backoff.kind, BackoffKind::Exponential | BackoffKind::ExponentialFloor)),
    K::boolean("backoff.first_retry_immediate", "the first retry waits 0, jitter included (urllib3); later retries keep d(n)",
        |c| c.backoff.first_retry_immediate, |c, v| c.backoff.first_retry_immediate = v),
    K::int("backoff.throttle_base_ms", 0, HOUR_MS, "ms", "base after a throttling failure (429, or 503 with Retry-After); 0 = base (AWS 2026: 1000)",
        |c| c.backoff.throttle_base_ms, |c, v| c.backoff.throttle_base_ms = v),
    choice_knob!(K, "jitter.kind", "none d | full U(0, d) | equal d/2 + U(0, d/2) | decorrelated min(cap, U(base, 3·previous)) | ratio d·U(1−r, 1+r) | additive d + U(0, a); clamped to [0, cap] | ratio_after_cap min(cap, d(n))·U(1−r, 1+r), may pass cap (gRPC, cenkalti) | randomized min(cap, max(1, floor(d − r·d + U·(2r·d + 1)))) on the uncapped d (resilience4j) | decorrelated_v2 Polly: base·(f(t) − f(t_prev))/1.4, t = n−1+U, f(t) = 2^t·tanh(√(4t)), min(cap, ·)",
        JitterKind, |c| c.jitter.kind),
    K::float("jitter.ratio", 0.0, 1.0, "", "r of ratio, ratio_after_cap and randomized jitter: d·U(1−r, 1+r) (gRPC 0.2, resilience4j 0.5)",
        |c| c.jitter.ratio, |c, v| c.jitter.ratio = v)
        .active_when(|c| matches!(c.jitter.kind, JitterKind::Ratio | JitterKind::RatioAfterCap | JitterKind::Randomized)),
    K::text("jitter.draw", KnobKind::Text { syntax: DRAW_SYNTAX }, "", "fix every jitter draw at u (0 and 1: the envelope's edges), to see a plan's edge instead of a random point; random: as drawn",
        |c| c.jitter.draw.map_or_else(|| "random".to_string(), |u| u.to_string()),
        set_draw),
    K::int("jitter.additive_ms", 0, HOUR_MS, "ms", "a of additive jitter: d + U(0, a)",
        |c| c.jitter.additive_ms, |c, v| c.jitter.additive_ms = v)
        .active_when(|c| c.jitter.kind == JitterKind::Additive),
    K::boolean("retry_after.honor", "sleep the server's Retry-After (capped) instead of the drawn delay",
        |c| c.retry_after.honor, |c, v| c.retry_after.honor = v),
    K::int("retry_after.cap_ms", 0, DAY_MS, "ms", "longest Retry-After obeyed: sleep min(retry_after, cap)",
        |c| c.retry_after.cap_ms, |c, v| c.retry_after.cap_ms = v)
        .active_when(|c| c.retry_after.honor),
    choice_knob!(K, "retry_after.kind", "capped min(v, cap) | envoy v > cap ignored (backoff), else v + U{0..v/2−1} | aws x-amz-retry-after (else Retry-After): max(t, min(v, t + cap)), t = the backoff draw | grpc grpc-retry-pushback-ms: exactly v, negative: no retry",
        RetryAfterKind, |c| c.retry_after.kind)
        .active_when(|c| c.retry_after.honor),
    choice_knob!(K, "budget.kind", "none | token_bucket (fixed refill per success) | ratio (retries ≤ min_retries + ratio × calls per window) | token_bucket_refund (AWS SDK: a success after retries gives back the last retry's cost)",
        BudgetKind, |c| c.budget.kind),
    K::int("budget.capacity", 0, TOKENS_MAX, "tokens", "token bucket size (grpc_throttling: maxTokens); it starts with budget.initial",
        |c| c.budget.capacity, |c, v| c.budget.capacity = v)
        .active_when(has_tokens),
    K::text("budget.initial", KnobKind::Text { syntax: INITIAL_SYNTAX }, "tokens", "tokens at the start: full (the capacity) or a number (more than the capacity counts as the capacity)",
        |c| c.budget.initial.map_or_else(|| "full".to_string(), |t| t.to_string()),
        set_initial)
        .active_when(has_tokens),
    K::float("budget.token_ratio", 0.0, 1000.0, "tokens", "grpc_throttling: tokens a successful call gives back (tokenRatio; gRPC keeps 3 decimals)",
        |c| c.budget.token_ratio, |c, v| c.budget.token_ratio = v)
        .active_when(|c| c.budget.kind == BudgetKind::GrpcThrottling),
    K::int("budget.retry_cost", 0, TOKENS_MAX, "tokens", "tokens taken by a retry",
        |c| c.budget.retry_cost, |c, v| c.budget.retry_cost = v)
        .active_when(is_token_bucket),
    K::int("budget.timeout_cost", 0, TOKENS_MAX, "tokens", "tokens taken by a retry after a timeout",
        |c| c.budget.timeout_cost, |c, v| c.budget.timeout_cost = v)
        .active_when(is_token_bucket),
    K::int("budget.success_refill", 0, TOKENS_MAX, "tokens", "tokens given back by each successful attempt (up to capacity)",
        |c| c.budget.success_refill, |c, v| c.budget.success_refill = v)
        .active_when(is_token_bucket),
    K::int("budget.throttle_cost", 0, TOKENS_MAX, "tokens", "token_bucket_refund: tokens taken by a retry after a throttling failure (AWS 2026: 5)",
        |c| c.budget.throttle_cost, |c, v| c.budget.throttle_cost = v)
        .active_when(|c| c.budget.kind == BudgetKind::TokenBucketRefund),
    K::float("budget.ratio", 0.0, 10.0, "", "ratio budget: retries ≤ min_retries + ratio × calls in the window",
        |c| c.budget.ratio, |c, v| c.budget.ratio = v)
        .active_when(|c| c.budget.kind == BudgetKind::Ratio),
    K::int("budget.min_retries", 0, TOKENS_MAX, "", "ratio budget: retries always allowed per window",
        |c| c.budget.min_retries, |c, v| c.budget.min_retries = v)
        .active_when(|c| c.budget.kind == BudgetKind::Ratio),
    K::int("budget.window_ms", 0, DAY_MS, "ms", "ratio budget window; 0 = count since the start",
        |c| c.budget.window_ms, |c, v| c.budget.window_ms = v)
        .active_when(|c| c.budget.kind == BudgetKind::Ratio),
    choice_knob!(K, "breaker.kind", "none | consecutive (failures > threshold) | ratio_count (last N attempts) | ratio_time (last window_ms)",
        BreakerKind, |c| c.breaker.kind),
    K::int("breaker.threshold", 0, 1000, "", "consecutive: opens when consecutive failures > threshold (3: the 4th trips it)",
        |c| c.breaker.threshold.into(), |c, v| c.breaker.threshold = to_u32(v))
        .active_when(|c| c.breaker.kind == BreakerKind::Consecutive),
    K::int("breaker.window_count", 1, 10_000, "", "ratio_count: attempts remembered",
        |c| c.breaker.window_count.into(), |c, v| c.breaker.window_count = to_u32(v))
        .active_when(|c| c.breaker.kind == BreakerKind::RatioCount),
    K::int("breaker.window_ms", 1, DAY_MS, "ms", "ratio_time: window length",
        |c| c.breaker.window_ms, |c, v| c.breaker.window_ms = v)
        .active_when(|c| c.breaker.kind == BreakerKind::RatioTime),
    K::float("breaker.failure_ratio", 0.0, 1.0, "", "opens when failures / attempts in the window ≥ this",
        |c| c.breaker.failure_ratio, |c, v| c.breaker.failure_ratio = v)
        .active_when(is_ratio_breaker),
    K::int("breaker.min_throughput", 1, 10_000, "", "attempts needed in the window before the ratio counts",
        |c| c.breaker.min_throughput.into(), |c, v| c.breaker.min_throughput = to_u32(v))
        .active_when(is_ratio_breaker),
    K::int("breaker.open_ms", 0, DAY_MS, "ms", "open (fail fast) this long, then half-open",
        |c| c.breaker.open_ms, |c, v| c.breaker.open_ms = v)
        .active_when(|c| c.breaker.kind != BreakerKind::None),
    K::int("breaker.half_open_probes", 1, 1000, "", "half-open: attempts let through; all succeed = closed, any failure = open",
        |c| c.breaker.half_open_probes.into(), |c, v| c.breaker.half_open_probes = to_u32(v))
        .active_when(|c| c.breaker.kind != BreakerKind::None),
    K::boolean("idempotency.key", "one random key per call, the same on every attempt (Idempotency-Key header)",
        |c| c.idempotency.key, |c, v| c.idempotency.key = v),
    choice_knob!(K, "throttle.kind", "none | adaptive: reject locally with p = max(0, (requests − k·accepts) / (requests + 1)) over the window (SRE book)",
        ThrottleKind, |c| c.throttle.kind),
    K::float("throttle.k", 1.0, 100.0, "", "K of adaptive throttling: requests up to K × accepts go through",
        |c| c.throttle.k, |c, v| c.throttle.k = v)
        .active_when(|c| c.throttle.kind != ThrottleKind::None),
    K::int("throttle.window_ms", 0, DAY_MS, "ms", "history of requests and accepts the throttle counts (ten steps); 0 = since the start",
        |c| c.throttle.window_ms, |c, v| c.throttle.window_ms = v)
        .active_when(|c| c.throttle.kind != ThrottleKind::None),
    choice_knob!(K, "throttle.scope", "client: each client counts its own requests | shared: one throttle counts the requests of all clients (one service behind many users)",
        ThrottleScope, |c| c.throttle.scope)
        .active_when(|c| c.throttle.kind != ThrottleKind::None),
    K::int("hedge.delay_ms", 0, HOUR_MS, "ms", "send one more attempt when no answer came this long after the last was sent (about the p95); 0 = no hedging",
        |c| c.hedge.delay_ms, |c, v| c.hedge.delay_ms = v),
    K::int("hedge.max_extra", 0, 10, "", "hedges per call at most; the first success wins, the others are cancelled",
        |c| c.hedge.max_extra.into(), |c, v| c.hedge.max_extra = to_u32(v))
        .active_when(|c| c.hedge.delay_ms != 0),
    K::int("client.max_in_flight", 0, 100_000, "calls", "bulkhead: a client's calls in flight at once at most (see sim.call_every_ms); 0 = no limit",
        |c| c.client.max_in_flight.into(), |c, v| c.client.max_in_flight = to_u32(v)),
    choice_knob!(K, "client.when_full", "a call that finds the bulkhead full: wait for a slot | fail at once (gave up: bulkhead full)",
        WhenFull, |c| c.client.when_full)
        .active_when(|c| c.client.max_in_flight != 0),
    choice_knob!(K, "rate_limiter.kind", "none | aws_adaptive (AWS adaptive retry mode: every attempt, the first too, takes a token from a bucket filling at a rate that follows a cubic curve, cut to 70 % of the measured rate at each throttling reply; an attempt without a token waits)",
        RateLimiterKind, |c| c.rate_limiter),
];

/// The dynamic knob `retry.status.NNN` (NNN in 100..=599): `true`, `false`,
/// or `default` to drop the override. Not listed in [`PolicyConfig::KNOBS`].
pub static STATUS_OVERRIDE_KNOB: KnobSpec = KnobSpec {
    name: "retry.status.NNN",
    kind: KnobKind::Choice(&["true", "false", "default"]),
    unit: "",
    help: "per-status override of the retry rules for status NNN (100..=599)",
};

const STATUS_PREFIX: &str = "retry.status.";

fn status_of_knob(name: &str) -> Option<u16> {
    let digits = name.strip_prefix(STATUS_PREFIX)?;
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
}

impl PolicyConfig {
    /// Every knob of a policy, in display order: the one table that lists,
    /// reads, writes and checks them. The per-status overrides
    /// `retry.status.NNN` are dynamic and described by [`STATUS_OVERRIDE_KNOB`].
    pub const KNOBS: &'static [Knob<PolicyConfig>] = &KNOBS;

    /// [`PolicyConfig::KNOBS`].
    pub fn knobs() -> &'static [Knob<PolicyConfig>] {
        &KNOBS
    }

    /// The current value of a knob as text (what [`PolicyConfig::set`]
    /// accepts), or `None` for an unknown name. `retry.status.NNN` gives the
    /// override if one is set, else `default`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_in(&KNOBS, name)
    }

    /// [`PolicyConfig::get`] with the knobs of `table`.
    pub fn get_in(&self, table: &[Knob<PolicyConfig>], name: &str) -> Option<String> {
        match status_of_knob(name) {
            Some(status) => Some(match self.retry.status_overrides.get(&status) {
                Some(v) => v.to_string(),
                None => "default".to_string(),
            }),
            None => knob::get(table, self, name),
        }
    }

    /// Sets a knob from text. On error nothing changes, and the error names
    /// the knob and what would have been valid. Never panics.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        self.set_in(&KNOBS, name, value)
    }

    /// [`PolicyConfig::set`] with the knobs of `table`.
    pub fn set_in(
        &mut self,
        table: &[Knob<PolicyConfig>],
        name: &str,
        value: &str,
    ) -> Result<(), KnobError> {
        if name.starts_with(STATUS_PREFIX) && !table.iter().any(|s| s.name == name) {
            return self.set_status_override(name, value);
        }
        knob::set(table, self, name, value).map_err(|e| match e {
            KnobError::UnknownName { name, mut valid } => {
                valid.push(STATUS_OVERRIDE_KNOB.name);
                KnobError::UnknownName { name, valid }
            }
            other => other,
        })
    }

    fn set_status_override(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let Some(status) = status_of_knob(name) else {
            return Err(KnobError::BadValue {
                name: name.to_string(),
                value: value.to_string(),
                expected: "a knob retry.status.NNN with NNN from 100 to 599".to_string(),
            });
        };
        if value.trim() == "default" {
            self.retry.status_overrides.remove(&status);
            return Ok(());
        }
        let retry = STATUS_OVERRIDE_KNOB
            .parse_bool(value)
            .map_err(|_| KnobError::BadValue {
                name: name.to_string(),
                value: value.to_string(),
                expected: "true, false or default".to_string(),
            })?;
        self.retry.status_overrides.insert(status, retry);
        Ok(())
    }

    /// Every knob and its value as text, the per-status overrides included
    /// (in status order): what a URL or `--set` list needs to rebuild this config.
    pub fn knob_values(&self) -> Vec<(String, String)> {
        self.knob_values_in(&KNOBS)
    }

    /// [`PolicyConfig::knob_values`] with the knobs of `table`.
    pub fn knob_values_in(&self, table: &[Knob<PolicyConfig>]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = table
            .iter()
            .map(|k| (k.name.to_string(), k.get(self)))
            .collect();
        out.extend(self.status_override_values());
        out
    }

    /// The per-status overrides as knobs (`retry.status.503`, `false`), in status order.
    pub fn status_override_values(&self) -> Vec<(String, String)> {
        self.retry
            .status_overrides
            .iter()
            .map(|(status, retry)| (format!("{STATUS_PREFIX}{status}"), retry.to_string()))
            .collect()
    }

    /// Checks every field against its knob's range (a config read from JSON
    /// or built in code skips [`PolicyConfig::set`]'s checks). The policy
    /// never panics on an invalid config, but its behaviour there is only
    /// "something safe"; the message lists every problem, one per line.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_in(&KNOBS)
    }

    /// [`PolicyConfig::validate`] with the knobs of `table`.
    pub fn validate_in(&self, table: &[Knob<PolicyConfig>]) -> Result<(), String> {
        let mut problems: Vec<String> = knob::out_of_range(table, self)
            .into_iter()
            .filter_map(|e| match e {
                KnobError::BadValue {
                    name,
                    value,
                    expected,
                } => Some(format!("`{name}` is {value}: expected {expected}")),
                KnobError::UnknownName { .. } => None,
            })
            .collect();
        for status in self.retry.status_overrides.keys() {
            if !(100..=599).contains(status) {
                problems.push(format!(
                    "`retry.status.{status}`: the status must be from 100 to 599"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

/// What `jitter.draw` accepts.
const DRAW_SYNTAX: &str = "random, or a number u from 0 to 1";

fn set_draw(c: &mut PolicyConfig, spec: &KnobSpec, value: &str) -> Result<(), KnobError> {
    let value = value.trim();
    c.jitter.draw = match value {
        "" | "random" | "none" => None,
        u => match u.parse::<f64>() {
            Ok(u) if (0.0..=1.0).contains(&u) => Some(u),
            _ => return Err(spec.bad(value)),
        },
    };
    Ok(())
}

/// What `budget.initial` accepts.
const INITIAL_SYNTAX: &str = "full, or a number of tokens from 0 to 1000000";

fn set_initial(c: &mut PolicyConfig, spec: &KnobSpec, value: &str) -> Result<(), KnobError> {
    let value = value.trim();
    c.budget.initial = match value {
        "" | "full" | "none" => None,
        t => match t.parse::<u64>() {
            Ok(t) if t <= TOKENS_MAX => Some(t),
            _ => return Err(spec.bad(value)),
        },
    };
    Ok(())
}
