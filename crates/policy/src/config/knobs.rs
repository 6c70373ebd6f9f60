//! The knobs of a [`PolicyConfig`](super::PolicyConfig): the table of their
//! names, kinds, ranges and help ([`PolicyConfig::knobs`]), reading and
//! setting one by its dotted name, and the cross-knob rules
//! ([`PolicyConfig::validate`]).

use super::*;
const BACKOFF_KINDS: &[&str] = &[
    "constant",
    "linear",
    "exponential",
    "decorrelated",
    "exponential_floor",
];
const JITTER_KINDS: &[&str] = &[
    "none",
    "full",
    "equal",
    "decorrelated",
    "ratio",
    "additive",
    "ratio_after_cap",
    "randomized",
    "decorrelated_v2",
];
const BUDGET_KINDS: &[&str] = &["none", "token_bucket", "ratio", "token_bucket_refund"];
const RETRY_AFTER_KINDS: &[&str] = &["capped", "envoy", "aws"];
const BREAKER_KINDS: &[&str] = &["none", "consecutive", "ratio_count", "ratio_time"];

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 86_400_000;

const fn int(
    name: &'static str,
    min: u64,
    max: u64,
    unit: &'static str,
    help: &'static str,
) -> KnobSpec {
    KnobSpec {
        name,
        kind: KnobKind::Int { min, max },
        unit,
        help,
    }
}
const fn float(
    name: &'static str,
    min: f64,
    max: f64,
    unit: &'static str,
    help: &'static str,
) -> KnobSpec {
    KnobSpec {
        name,
        kind: KnobKind::Float { min, max },
        unit,
        help,
    }
}
const fn boolean(name: &'static str, help: &'static str) -> KnobSpec {
    KnobSpec {
        name,
        kind: KnobKind::Bool,
        unit: "",
        help,
    }
}
const fn choice(
    name: &'static str,
    names: &'static [&'static str],
    help: &'static str,
) -> KnobSpec {
    KnobSpec {
        name,
        kind: KnobKind::Choice(names),
        unit: "",
        help,
    }
}

static KNOBS: &[KnobSpec] = &[
    int("attempts.max", 0, 1000, "", "attempts per call, the first included; 0 = unlimited (infinite retries)"),
    int("attempts.deadline_ms", 0, DAY_MS, "ms", "overall deadline from the call's start; 0 = none"),
    int("attempts.timeout_ms", 0, HOUR_MS, "ms", "per-attempt timeout = min(this, time left to deadline); 0 = none"),
    boolean("retry.network_error", "retry when no response arrived (connection reset, DNS, offline)"),
    boolean("retry.timeout", "retry an attempt that timed out"),
    boolean("retry.status_429", "retry 429 Too Many Requests"),
    boolean("retry.status_5xx", "retry 500..=599"),
    boolean("retry.status_4xx", "retry the other 4xx (400/401/403/404...): 'retry everything' masks bugs"),
    boolean("retry.in_flight_409", "a 409 to a keyed request = first attempt still in flight: retry"),
    boolean("retry.require_key_for_unsafe", "never retry a non-idempotent request without an idempotency key"),
    choice("backoff.kind", BACKOFF_KINDS, "delay d(n) before retry n: constant min(cap, base) | linear min(cap, base·n) | exponential min(cap, base·multiplier^(n-1)) | decorrelated min(cap, U(base, 3·previous)) | exponential_floor d(1) = base, d(n) = floor(d(n-1)·multiplier), min(cap, ·) (resilience4j)"),
    int("backoff.base_ms", 0, HOUR_MS, "ms", "base: the first delay"),
    int("backoff.cap_ms", 0, DAY_MS, "ms", "cap: no delay is longer, jitter included"),
    float("backoff.multiplier", 1.0, 10.0, "×", "exponential: d(n) = min(cap, base·multiplier^(n-1))"),
    boolean("backoff.first_retry_immediate", "the first retry waits 0, jitter included (urllib3); later retries keep d(n)"),
    int("backoff.throttle_base_ms", 0, HOUR_MS, "ms", "base after a throttling failure (429, or 503 with Retry-After); 0 = base (AWS 2026: 1000)"),
    choice("jitter.kind", JITTER_KINDS, "none d | full U(0, d) | equal d/2 + U(0, d/2) | decorrelated min(cap, U(base, 3·previous)) | ratio d·U(1−r, 1+r) | additive d + U(0, a); clamped to [0, cap] | ratio_after_cap min(cap, d(n))·U(1−r, 1+r), may pass cap (gRPC, cenkalti) | randomized min(cap, max(1, floor(d − r·d + U·(2r·d + 1)))) on the uncapped d (resilience4j) | decorrelated_v2 Polly: base·(f(t) − f(t_prev))/1.4, t = n−1+U, f(t) = 2^t·tanh(√(4t)), min(cap, ·)"),
    float("jitter.ratio", 0.0, 1.0, "", "r of ratio, ratio_after_cap and randomized jitter: d·U(1−r, 1+r) (gRPC 0.2, resilience4j 0.5)"),
    int("jitter.additive_ms", 0, HOUR_MS, "ms", "a of additive jitter: d + U(0, a)"),
    boolean("retry_after.honor", "sleep the server's Retry-After (capped) instead of the drawn delay"),
    int("retry_after.cap_ms", 0, DAY_MS, "ms", "longest Retry-After obeyed: sleep min(retry_after, cap)"),
    choice("retry_after.kind", RETRY_AFTER_KINDS, "capped min(v, cap) | envoy v > cap ignored (backoff), else v + U{0..v/2−1} | aws max(t, min(v, t + cap)), t = the backoff draw"),
    choice("budget.kind", BUDGET_KINDS, "none | token_bucket (fixed refill per success) | ratio (retries ≤ min_retries + ratio × calls per window) | token_bucket_refund (AWS SDK: a success after retries gives back the last retry's cost)"),
    int("budget.capacity", 0, 1_000_000, "tokens", "token bucket size; it starts full"),
    int("budget.retry_cost", 0, 1_000_000, "tokens", "tokens taken by a retry"),
    int("budget.timeout_cost", 0, 1_000_000, "tokens", "tokens taken by a retry after a timeout"),
    int("budget.success_refill", 0, 1_000_000, "tokens", "tokens given back by each successful attempt (up to capacity)"),
    int("budget.throttle_cost", 0, 1_000_000, "tokens", "token_bucket_refund: tokens taken by a retry after a throttling failure (AWS 2026: 5)"),
    float("budget.ratio", 0.0, 10.0, "", "ratio budget: retries ≤ min_retries + ratio × calls in the window"),
    int("budget.min_retries", 0, 1_000_000, "", "ratio budget: retries always allowed per window"),
    int("budget.window_ms", 0, DAY_MS, "ms", "ratio budget window; 0 = count since the start"),
    choice("breaker.kind", BREAKER_KINDS, "none | consecutive (failures > threshold) | ratio_count (last N attempts) | ratio_time (last window_ms)"),
    int("breaker.threshold", 0, 1000, "", "consecutive: opens when consecutive failures > threshold (3: the 4th trips it)"),
    int("breaker.window_count", 1, 10_000, "", "ratio_count: attempts remembered"),
    int("breaker.window_ms", 1, DAY_MS, "ms", "ratio_time: window length"),
    float("breaker.failure_ratio", 0.0, 1.0, "", "opens when failures / attempts in the window ≥ this"),
    int("breaker.min_throughput", 1, 10_000, "", "attempts needed in the window before the ratio counts"),
    int("breaker.open_ms", 0, DAY_MS, "ms", "open (fail fast) this long, then half-open"),
    int("breaker.half_open_probes", 1, 1000, "", "half-open: attempts let through; all succeed = closed, any failure = open"),
    boolean("idempotency.key", "one random key per call, the same on every attempt (Idempotency-Key header)"),
    throttle::KIND_KNOB,
    throttle::K_KNOB,
    throttle::WINDOW_KNOB,
    throttle::SCOPE_KNOB,
    hedge::DELAY_KNOB,
    hedge::MAX_EXTRA_KNOB,
    bulkhead::MAX_IN_FLIGHT_KNOB,
    bulkhead::WHEN_FULL_KNOB,
];

/// The dynamic knob `retry.status.NNN` (NNN in 100..=599): `true`, `false`,
/// or `default` to drop the override. Not listed in [`PolicyConfig::knobs`].
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

fn backoff_kind_name(kind: BackoffKind) -> &'static str {
    match kind {
        BackoffKind::Constant => "constant",
        BackoffKind::Linear => "linear",
        BackoffKind::Exponential => "exponential",
        BackoffKind::Decorrelated => "decorrelated",
        BackoffKind::ExponentialFloor => "exponential_floor",
    }
}

fn jitter_kind_name(kind: JitterKind) -> &'static str {
    match kind {
        JitterKind::None => "none",
        JitterKind::Full => "full",
        JitterKind::Equal => "equal",
        JitterKind::Decorrelated => "decorrelated",
        JitterKind::Ratio => "ratio",
        JitterKind::Additive => "additive",
        JitterKind::RatioAfterCap => "ratio_after_cap",
        JitterKind::Randomized => "randomized",
        JitterKind::DecorrelatedV2 => "decorrelated_v2",
    }
}

fn retry_after_kind_name(kind: RetryAfterKind) -> &'static str {
    match kind {
        RetryAfterKind::Capped => "capped",
        RetryAfterKind::Envoy => "envoy",
        RetryAfterKind::Aws => "aws",
    }
}

fn budget_kind_name(kind: BudgetKind) -> &'static str {
    match kind {
        BudgetKind::None => "none",
        BudgetKind::TokenBucket => "token_bucket",
        BudgetKind::Ratio => "ratio",
        BudgetKind::TokenBucketRefund => "token_bucket_refund",
    }
}

fn breaker_kind_name(kind: BreakerKind) -> &'static str {
    match kind {
        BreakerKind::None => "none",
        BreakerKind::Consecutive => "consecutive",
        BreakerKind::RatioCount => "ratio_count",
        BreakerKind::RatioTime => "ratio_time",
    }
}

impl PolicyConfig {
    /// Every knob of a policy, in display order. The per-status overrides
    /// `retry.status.NNN` are dynamic and described by [`STATUS_OVERRIDE_KNOB`].
    pub fn knobs() -> &'static [KnobSpec] {
        KNOBS
    }

    /// The current value of a knob as text (what [`PolicyConfig::set`]
    /// accepts), or `None` for an unknown name. `retry.status.NNN` gives the
    /// override if one is set, else `default`.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(status) = status_of_knob(name) {
            return Some(match self.retry.status_overrides.get(&status) {
                Some(v) => v.to_string(),
                None => "default".to_string(),
            });
        }
        if let Some(v) = self.module_knob(name) {
            return Some(v);
        }
        let a = &self.attempts;
        let r = &self.retry;
        let b = &self.backoff;
        let j = &self.jitter;
        let bu = &self.budget;
        let br = &self.breaker;
        let v = match name {
            "attempts.max" => a.max.to_string(),
            "attempts.deadline_ms" => a.deadline_ms.to_string(),
            "attempts.timeout_ms" => a.timeout_ms.to_string(),
            "retry.network_error" => r.network_error.to_string(),
            "retry.timeout" => r.timeout.to_string(),
            "retry.status_429" => r.status_429.to_string(),
            "retry.status_5xx" => r.status_5xx.to_string(),
            "retry.status_4xx" => r.status_4xx.to_string(),
            "retry.in_flight_409" => r.in_flight_409.to_string(),
            "retry.require_key_for_unsafe" => r.require_key_for_unsafe.to_string(),
            "backoff.kind" => backoff_kind_name(b.kind).to_string(),
            "backoff.base_ms" => b.base_ms.to_string(),
            "backoff.cap_ms" => b.cap_ms.to_string(),
            "backoff.multiplier" => b.multiplier.to_string(),
            "backoff.first_retry_immediate" => b.first_retry_immediate.to_string(),
            "backoff.throttle_base_ms" => b.throttle_base_ms.to_string(),
            "jitter.kind" => jitter_kind_name(j.kind).to_string(),
            "jitter.ratio" => j.ratio.to_string(),
            "jitter.additive_ms" => j.additive_ms.to_string(),
            "retry_after.honor" => self.retry_after.honor.to_string(),
            "retry_after.cap_ms" => self.retry_after.cap_ms.to_string(),
            "retry_after.kind" => retry_after_kind_name(self.retry_after.kind).to_string(),
            "budget.kind" => budget_kind_name(bu.kind).to_string(),
            "budget.capacity" => bu.capacity.to_string(),
            "budget.retry_cost" => bu.retry_cost.to_string(),
            "budget.timeout_cost" => bu.timeout_cost.to_string(),
            "budget.success_refill" => bu.success_refill.to_string(),
            "budget.throttle_cost" => bu.throttle_cost.to_string(),
            "budget.ratio" => bu.ratio.to_string(),
            "budget.min_retries" => bu.min_retries.to_string(),
            "budget.window_ms" => bu.window_ms.to_string(),
            "breaker.kind" => breaker_kind_name(br.kind).to_string(),
            "breaker.threshold" => br.threshold.to_string(),
            "breaker.window_count" => br.window_count.to_string(),
            "breaker.window_ms" => br.window_ms.to_string(),
            "breaker.failure_ratio" => br.failure_ratio.to_string(),
            "breaker.min_throughput" => br.min_throughput.to_string(),
            "breaker.open_ms" => br.open_ms.to_string(),
            "breaker.half_open_probes" => br.half_open_probes.to_string(),
            "idempotency.key" => self.idempotency.key.to_string(),
            _ => return None,
        };
        Some(v)
    }

    /// Sets a knob from text. On error nothing changes, and the error names
    /// the knob and what would have been valid. Never panics.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        if name.starts_with(STATUS_PREFIX) && !KNOBS.iter().any(|s| s.name == name) {
            let Some(status) = status_of_knob(name) else {
                return Err(KnobError::BadValue {
                    name: name.to_string(),
                    value: value.to_string(),
                    expected: "a knob retry.status.NNN with NNN from 100 to 599".to_string(),
                });
            };
            if value.trim() == "default" {
                self.retry.status_overrides.remove(&status);
            } else {
                let retry =
                    STATUS_OVERRIDE_KNOB
                        .parse_bool(value)
                        .map_err(|_| KnobError::BadValue {
                            name: name.to_string(),
                            value: value.to_string(),
                            expected: "true, false or default".to_string(),
                        })?;
                self.retry.status_overrides.insert(status, retry);
            }
            return Ok(());
        }
        if name.starts_with("throttle.") {
            return self.throttle.set(name, value);
        }
        if name.starts_with("hedge.") {
            return self.hedge.set(name, value);
        }
        if name.starts_with("client.") {
            return self.client.set(name, value);
        }
        let spec = match knob::find(KNOBS, name) {
            Ok(spec) => spec,
            Err(KnobError::UnknownName { name, mut valid }) => {
                valid.push(STATUS_OVERRIDE_KNOB.name);
                return Err(KnobError::UnknownName { name, valid });
            }
            Err(e) => return Err(e),
        };
        let int = || spec.parse_int(value);
        let int32 = || {
            spec.parse_int(value)
                .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
        };
        let float = || spec.parse_float(value);
        let boolean = || spec.parse_bool(value);
        let choice = || spec.parse_choice(value);
        match name {
            "attempts.max" => self.attempts.max = int32()?,
            "attempts.deadline_ms" => self.attempts.deadline_ms = int()?,
            "attempts.timeout_ms" => self.attempts.timeout_ms = int()?,
            "retry.network_error" => self.retry.network_error = boolean()?,
            "retry.timeout" => self.retry.timeout = boolean()?,
            "retry.status_429" => self.retry.status_429 = boolean()?,
            "retry.status_5xx" => self.retry.status_5xx = boolean()?,
            "retry.status_4xx" => self.retry.status_4xx = boolean()?,
            "retry.in_flight_409" => self.retry.in_flight_409 = boolean()?,
            "retry.require_key_for_unsafe" => self.retry.require_key_for_unsafe = boolean()?,
            "backoff.kind" => {
                self.backoff.kind = match choice()? {
                    0 => BackoffKind::Constant,
                    1 => BackoffKind::Linear,
                    2 => BackoffKind::Exponential,
                    3 => BackoffKind::Decorrelated,
                    _ => BackoffKind::ExponentialFloor,
                }
            }
            "backoff.base_ms" => self.backoff.base_ms = int()?,
            "backoff.cap_ms" => self.backoff.cap_ms = int()?,
            "backoff.multiplier" => self.backoff.multiplier = float()?,
            "backoff.first_retry_immediate" => self.backoff.first_retry_immediate = boolean()?,
            "backoff.throttle_base_ms" => self.backoff.throttle_base_ms = int()?,
            "jitter.kind" => {
                self.jitter.kind = match choice()? {
                    0 => JitterKind::None,
                    1 => JitterKind::Full,
                    2 => JitterKind::Equal,
                    3 => JitterKind::Decorrelated,
                    4 => JitterKind::Ratio,
                    5 => JitterKind::Additive,
                    6 => JitterKind::RatioAfterCap,
                    7 => JitterKind::Randomized,
                    _ => JitterKind::DecorrelatedV2,
                }
            }
            "jitter.ratio" => self.jitter.ratio = float()?,
            "jitter.additive_ms" => self.jitter.additive_ms = int()?,
            "retry_after.honor" => self.retry_after.honor = boolean()?,
            "retry_after.cap_ms" => self.retry_after.cap_ms = int()?,
            "retry_after.kind" => {
                self.retry_after.kind = match choice()? {
                    0 => RetryAfterKind::Capped,
                    1 => RetryAfterKind::Envoy,
                    _ => RetryAfterKind::Aws,
                }
            }
            "budget.kind" => {
                self.budget.kind = match choice()? {
                    0 => BudgetKind::None,
                    1 => BudgetKind::TokenBucket,
                    2 => BudgetKind::Ratio,
                    _ => BudgetKind::TokenBucketRefund,
                }
            }
            "budget.capacity" => self.budget.capacity = int()?,
            "budget.retry_cost" => self.budget.retry_cost = int()?,
            "budget.timeout_cost" => self.budget.timeout_cost = int()?,
            "budget.success_refill" => self.budget.success_refill = int()?,
            "budget.throttle_cost" => self.budget.throttle_cost = int()?,
            "budget.ratio" => self.budget.ratio = float()?,
            "budget.min_retries" => self.budget.min_retries = int()?,
            "budget.window_ms" => self.budget.window_ms = int()?,
            "breaker.kind" => {
                self.breaker.kind = match choice()? {
                    0 => BreakerKind::None,
                    1 => BreakerKind::Consecutive,
                    2 => BreakerKind::RatioCount,
                    _ => BreakerKind::RatioTime,
                }
            }
            "breaker.threshold" => self.breaker.threshold = int32()?,
            "breaker.window_count" => self.breaker.window_count = int32()?,
            "breaker.window_ms" => self.breaker.window_ms = int()?,
            "breaker.failure_ratio" => self.breaker.failure_ratio = float()?,
            "breaker.min_throughput" => self.breaker.min_throughput = int32()?,
            "breaker.open_ms" => self.breaker.open_ms = int()?,
            "breaker.half_open_probes" => self.breaker.half_open_probes = int32()?,
            "idempotency.key" => self.idempotency.key = boolean()?,
            // Every name in KNOBS is matched above; this arm is for the type checker.
            _ => {
                return Err(KnobError::UnknownName {
                    name: name.to_string(),
                    valid: KNOBS.iter().map(|s| s.name).collect(),
                })
            }
        }
        Ok(())
    }

    /// The value of a knob kept in its own module (`throttle.*`, `hedge.*`, `client.*`).
    fn module_knob(&self, name: &str) -> Option<String> {
        self.throttle
            .get(name)
            .or_else(|| self.hedge.get(name))
            .or_else(|| self.client.get(name))
    }

    /// Every knob and its value as text, the per-status overrides included
    /// (in status order): what a URL or `--set` list needs to rebuild this config.
    pub fn knob_values(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = KNOBS
            .iter()
            .filter_map(|s| self.get(s.name).map(|v| (s.name.to_string(), v)))
            .collect();
        for (status, retry) in &self.retry.status_overrides {
            out.push((format!("{STATUS_PREFIX}{status}"), retry.to_string()));
        }
        out
    }

    /// Checks every field against its knob's range (a config read from JSON
    /// or built in code skips [`PolicyConfig::set`]'s checks). The policy
    /// never panics on an invalid config, but its behaviour there is only
    /// "something safe"; the message lists every problem, one per line.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for spec in KNOBS {
            let Some(value) = self.get(spec.name) else {
                continue;
            };
            let ok = match spec.kind {
                KnobKind::Int { .. } => spec.parse_int(&value).is_ok(),
                KnobKind::Float { .. } => spec.parse_float(&value).is_ok(),
                KnobKind::Bool => true,
                KnobKind::Choice(_) => spec.parse_choice(&value).is_ok(),
                // The policy has no list knobs; their owners check them.
                KnobKind::List { .. } => true,
            };
            if !ok {
                problems.push(format!(
                    "`{}` is {value}: expected {}",
                    spec.name,
                    spec.expected()
                ));
            }
        }
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
