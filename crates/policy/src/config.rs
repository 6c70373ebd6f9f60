//! The policy configuration and its knobs.
//!
//! Every field has a dotted knob name (see [`PolicyConfig::KNOBS`]); the JSON
//! form nests the same way (`{"backoff": {"base_ms": 1000}}` is
//! `backoff.base_ms=1000`). Missing JSON fields take their defaults.
//!
//! [`PolicyConfig::default`] is the seed chapter's combined `fetch`: 3
//! attempts, a 5 s timeout per attempt, exponential backoff 1 s then 2 s
//! (`2 ** attempt` seconds), no jitter, no budget, no breaker, no idempotency
//! key; retry network errors, timeouts, 429 and 5xx, never other 4xx.
//!
//! ```
//! use policy::PolicyConfig;
//!
//! let mut config = PolicyConfig::default();
//! config.set("jitter.kind", "full").unwrap();
//! config.set("retry.status.503", "false").unwrap();
//! assert_eq!(config.get("jitter.kind").as_deref(), Some("full"));
//! assert_eq!(config.get("retry.status.503").as_deref(), Some("false"));
//! let err = config.set("backoff.base_ms", "-1").unwrap_err();
//! assert!(err.to_string().contains("backoff.base_ms"));
//! assert!(config.validate().is_ok());
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bulkhead::BulkheadConfig;
use crate::hedge::HedgeConfig;
use crate::knob::{self, KnobError, KnobKind, KnobSpec};
use crate::throttle::ThrottleConfig;

mod knobs;

pub use knobs::STATUS_OVERRIDE_KNOB;

/// A whole client policy. See the module docs and [`PolicyConfig::KNOBS`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyConfig {
    pub attempts: AttemptsConfig,
    pub retry: ClassifyConfig,
    pub backoff: BackoffConfig,
    pub jitter: JitterConfig,
    pub retry_after: RetryAfterConfig,
    pub budget: BudgetConfig,
    pub breaker: BreakerConfig,
    pub idempotency: IdempotencyConfig,
    // The newer parts are left out of JSON while at their defaults, so
    // configs (and golden files) written before them read the same.
    /// `throttle.*`: adaptive client throttling ([`crate::throttle`]).
    #[serde(skip_serializing_if = "is_default")]
    pub throttle: ThrottleConfig,
    /// `hedge.*`: hedged requests ([`crate::hedge`]).
    #[serde(skip_serializing_if = "is_default")]
    pub hedge: HedgeConfig,
    /// `client.*`: the bulkhead ([`crate::bulkhead`]).
    #[serde(skip_serializing_if = "is_default")]
    pub client: BulkheadConfig,
    /// `rate_limiter.kind`: a client-side rate limiter on every attempt
    /// ([`crate::adaptive`]).
    #[serde(skip_serializing_if = "is_default")]
    pub rate_limiter: RateLimiterKind,
}

crate::choices! {
    /// `rate_limiter.kind`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RateLimiterKind {
        /// Attempts go out when the call says.
        #[default]
        None = "none",
        /// AWS adaptive retry mode: every attempt takes a token from a bucket
        /// whose rate follows a cubic curve, cut by 30 % at each throttling reply.
        AwsAdaptive = "aws_adaptive",
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `attempts.*`: how many attempts, and how long.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttemptsConfig {
    /// `attempts.max`: attempts per call, the first one included; `0` means
    /// unlimited (the "infinite retries" anti-pattern).
    pub max: u32,
    /// `attempts.deadline_ms`: overall deadline from [`crate::Call::new`];
    /// `0` means none. No attempt starts at or after it.
    pub deadline_ms: u64,
    /// `attempts.timeout_ms`: per-attempt timeout; `0` means none (the "no
    /// timeout" anti-pattern: a hung call hangs forever).
    pub timeout_ms: u64,
}

impl Default for AttemptsConfig {
    fn default() -> Self {
        AttemptsConfig {
            max: 3,
            deadline_ms: 0,
            timeout_ms: 5000,
        }
    }
}

/// `retry.*`: which outcomes are retried. See [`crate::classify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassifyConfig {
    /// `retry.network_error`: retry when the request failed without a response.
    pub network_error: bool,
    /// `retry.timeout`: retry when the attempt timed out.
    pub timeout: bool,
    /// `retry.status_429`: retry 429 Too Many Requests.
    pub status_429: bool,
    /// `retry.status_5xx`: retry 500..=599.
    pub status_5xx: bool,
    /// `retry.status_4xx`: retry the other 4xx (400, 401, 403, 404, ...);
    /// `true` is the "retry everything" anti-pattern that masks bugs.
    pub status_4xx: bool,
    /// `retry.in_flight_409`: a 409 answered to a request that carries an
    /// idempotency key means "the first attempt is still in flight": retry it.
    pub in_flight_409: bool,
    /// `retry.require_key_for_unsafe`: never retry a non-idempotent request
    /// that has no idempotency key (urllib3's default for POST).
    pub require_key_for_unsafe: bool,
    /// `retry.status.NNN`: per-status overrides, winning over the rules above
    /// (for error statuses; 1xx-3xx are always successes).
    pub status_overrides: BTreeMap<u16, bool>,
    /// `retry.error_codes`: read the service's error code (`X-Amzn-ErrorType`,
    /// see [`crate::hints`]) as the AWS SDKs do: a throttling or transient
    /// code is retried, and a throttling code prices the retry as throttling.
    #[serde(skip_serializing_if = "is_false")]
    pub error_codes: bool,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            network_error: true,
            timeout: true,
            status_429: true,
            status_5xx: true,
            status_4xx: false,
            in_flight_409: true,
            require_key_for_unsafe: false,
            status_overrides: BTreeMap::new(),
            error_codes: false,
        }
    }
}

crate::choices! {
    /// `backoff.kind`: the curve of the delay before retry `n` (n = 1, 2, ...).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum BackoffKind {
        /// `min(cap, base)`.
        Constant = "constant",
        /// `min(cap, base·n)`.
        Linear = "linear",
        /// `min(cap, base·multiplier^(n-1))`.
        Exponential = "exponential",
        /// AWS "decorrelated jitter": `min(cap, U(base, 3·previous))`, previous
        /// starting at `base`. Random by itself: `jitter.kind` is ignored.
        Decorrelated = "decorrelated",
        /// resilience4j's iterated whole-ms growth: `I(1) = base`,
        /// `I(n) = floor(I(n-1)·multiplier)`, then `min(cap, I(n))`. See [`crate::backoff`].
        ExponentialFloor = "exponential_floor",
    }
}

/// `backoff.*`: the delay curve. See [`crate::backoff`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackoffConfig {
    pub kind: BackoffKind,
    /// `backoff.base_ms`: the first delay.
    pub base_ms: u64,
    /// `backoff.cap_ms`: no delay is ever longer (jitter included).
    pub cap_ms: u64,
    /// `backoff.multiplier`: growth factor of `exponential`.
    pub multiplier: f64,
    /// `backoff.first_retry_immediate`: the first retry waits 0 ms, jitter
    /// included (urllib3's `Retry.get_backoff_time`); later retries keep `d(n)`.
    #[serde(skip_serializing_if = "is_false")]
    pub first_retry_immediate: bool,
    /// `backoff.throttle_base_ms`: the base after a throttling failure (see
    /// [`crate::classify::is_throttling`]); `0` = `base_ms` (AWS 2026: 1000).
    #[serde(skip_serializing_if = "is_zero")]
    pub throttle_base_ms: u64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            kind: BackoffKind::Exponential,
            base_ms: 1000,
            cap_ms: 60_000,
            multiplier: 2.0,
            first_retry_immediate: false,
            throttle_base_ms: 0,
        }
    }
}

crate::choices! {
    /// `jitter.kind`: how the delay `d` from the backoff curve is randomized.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum JitterKind {
        /// `d`.
        None = "none",
        /// `U(0, d)` (AWS "full jitter").
        Full = "full",
        /// `d/2 + U(0, d/2)` (AWS "equal jitter").
        Equal = "equal",
        /// AWS "decorrelated jitter", the same as `backoff.kind=decorrelated`.
        Decorrelated = "decorrelated",
        /// `d·U(1−r, 1+r)` (gRPC's ±0.2, resilience4j's randomization factor).
        Ratio = "ratio",
        /// `d + U(0, a)`.
        Additive = "additive",
        /// `d·U(1−r, 1+r)` applied after the cap, so up to `cap·(1+r)` (gRPC A6
        /// since 2024-08, cenkalti/backoff). See [`crate::jitter`].
        RatioAfterCap = "ratio_after_cap",
        /// resilience4j's `IntervalFunction.randomize` on the uncapped curve:
        /// `min(cap, max(1, floor(d − r·d + U·(2r·d + 1))))`.
        Randomized = "randomized",
        /// Polly's `UseJitter` for exponential backoff ("decorrelated jitter V2"):
        /// a backoff of its own, see [`crate::decorrelated_v2`].
        DecorrelatedV2 = "decorrelated_v2",
    }
}

/// `jitter.*`: randomization of each delay. See [`crate::jitter`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JitterConfig {
    pub kind: JitterKind,
    /// `jitter.ratio`: `r` of `ratio`.
    pub ratio: f64,
    /// `jitter.additive_ms`: `a` of `additive`.
    pub additive_ms: u64,
    /// `jitter.draw`: every jitter draw fixed at this `u` in `[0, 1]` (0 and 1
    /// are the envelope's edges) instead of a random one; `None`: random.
    /// The generator is still advanced, so other draws do not move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draw: Option<f64>,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            kind: JitterKind::None,
            ratio: 0.2,
            additive_ms: 500,
            draw: None,
        }
    }
}

/// `retry_after.*`: the server's hint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryAfterConfig {
    /// `retry_after.honor`: when a retryable response carries `Retry-After`,
    /// sleep `min(retry_after, cap_ms)` instead of the drawn delay.
    pub honor: bool,
    /// `retry_after.cap_ms`: the longest server-requested sleep obeyed
    /// (`aws`: the most the hint may add above the backoff draw).
    pub cap_ms: u64,
    /// `retry_after.kind`: how the hint becomes a sleep. See [`crate::retry_after`].
    #[serde(skip_serializing_if = "is_capped")]
    pub kind: RetryAfterKind,
}

crate::choices! {
    /// `retry_after.kind`: how an honoured hint `v` becomes a sleep.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RetryAfterKind {
        /// `min(v, cap)`.
        Capped = "capped",
        /// Envoy: `v > cap` is ignored (the backoff draw is used), else `v + U{0..v/2−1}`.
        Envoy = "envoy",
        /// AWS SDK 2026 `x-amz-retry-after`: `max(t, min(v, t + cap))`, `t` the backoff draw.
        Aws = "aws",
        /// gRPC's `grpc-retry-pushback-ms`: exactly `v` (no cap); a negative
        /// one stops retrying; the next backoff starts again from the first.
        Grpc = "grpc",
    }
}

impl Default for RetryAfterConfig {
    fn default() -> Self {
        RetryAfterConfig {
            honor: true,
            cap_ms: 60_000,
            kind: RetryAfterKind::Capped,
        }
    }
}

crate::choices! {
    /// `budget.kind`: what limits retries across all calls of a client.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum BudgetKind {
        /// No budget: only `attempts.max` limits retries.
        None = "none",
        /// A bucket of tokens, each retry costs some, each success refills a fixed
        /// amount (the AWS SDKs refund instead: `TokenBucketRefund`).
        TokenBucket = "token_bucket",
        /// Retries ≤ `min_retries + ratio × calls` within a time window.
        Ratio = "ratio",
        /// The AWS SDK's bucket: a call that succeeds after retries gives back
        /// what its last retry took; one that succeeds at once gives `success_refill`.
        TokenBucketRefund = "token_bucket_refund",
        /// gRPC retry throttling: `capacity` tokens (`maxTokens`), −1 per
        /// failed attempt, +`token_ratio` per successful call; a retry only
        /// while tokens > capacity / 2, checked before `attempts.max`.
        GrpcThrottling = "grpc_throttling",
    }
}

/// `budget.*`: the retry budget. See [`crate::budget`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BudgetConfig {
    pub kind: BudgetKind,
    /// `budget.capacity`: tokens in a full bucket (the bucket starts full).
    pub capacity: u64,
    /// `budget.retry_cost`: tokens a retry takes.
    pub retry_cost: u64,
    /// `budget.timeout_cost`: tokens a retry after a timeout takes.
    pub timeout_cost: u64,
    /// `budget.success_refill`: tokens given back by every successful attempt.
    pub success_refill: u64,
    /// `budget.throttle_cost`: tokens a retry after a throttling failure
    /// takes (`token_bucket_refund` only; AWS 2026: 5).
    #[serde(skip_serializing_if = "is_default_throttle_cost")]
    pub throttle_cost: u64,
    /// `budget.ratio`: retries allowed per call, e.g. 0.1 = 10 %.
    pub ratio: f64,
    /// `budget.min_retries`: retries always allowed per window.
    pub min_retries: u64,
    /// `budget.window_ms`: the ratio's window; `0` counts since the start.
    pub window_ms: u64,
    /// `budget.initial`: tokens at the start; `None`: the capacity (full).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial: Option<u64>,
    /// `budget.token_ratio`: tokens a successful call gives back
    /// (`grpc_throttling`'s `tokenRatio`).
    #[serde(skip_serializing_if = "is_default_token_ratio")]
    pub token_ratio: f64,
}

fn is_default_token_ratio(v: &f64) -> bool {
    *v == BudgetConfig::default().token_ratio
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            kind: BudgetKind::None,
            capacity: 500,
            retry_cost: 5,
            timeout_cost: 10,
            success_refill: 1,
            throttle_cost: 5,
            ratio: 0.1,
            min_retries: 10,
            window_ms: 10_000,
            initial: None,
            token_ratio: 0.1,
        }
    }
}

crate::choices! {
    /// `breaker.kind`: when the circuit breaker opens.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum BreakerKind {
        /// No breaker.
        None = "none",
        /// Opens when consecutive failures `> threshold` (the seed's `failures > 3`).
        Consecutive = "consecutive",
        /// Opens when the failure ratio of the last `window_count` attempts reaches
        /// `failure_ratio` (with at least `min_throughput` of them).
        RatioCount = "ratio_count",
        /// Same over the attempts that ended in the last `window_ms`.
        RatioTime = "ratio_time",
    }
}

/// `breaker.*`: the circuit breaker. See [`crate::breaker`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreakerConfig {
    pub kind: BreakerKind,
    /// `breaker.threshold`: `consecutive` opens when failures `> threshold`;
    /// 3 means the 4th consecutive failure trips it.
    pub threshold: u32,
    /// `breaker.window_count`: attempts remembered by `ratio_count`.
    pub window_count: u32,
    /// `breaker.window_ms`: time window of `ratio_time`.
    pub window_ms: u64,
    /// `breaker.failure_ratio`: failures / attempts in the window that opens it.
    pub failure_ratio: f64,
    /// `breaker.min_throughput`: attempts needed in the window before the ratio counts.
    pub min_throughput: u32,
    /// `breaker.open_ms`: how long it stays open (fails fast) before half-open.
    pub open_ms: u64,
    /// `breaker.half_open_probes`: attempts let through when half-open; all
    /// must succeed to close it, any failure reopens it.
    pub half_open_probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            kind: BreakerKind::None,
            threshold: 3,
            window_count: 20,
            window_ms: 10_000,
            failure_ratio: 0.5,
            min_throughput: 10,
            open_ms: 5000,
            half_open_probes: 1,
        }
    }
}

/// `idempotency.*`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdempotencyConfig {
    /// `idempotency.key`: give each call one random key (32 hex digits), sent
    /// on every attempt of that call (the `Idempotency-Key` header).
    pub key: bool,
}

// Knobs added after the goldens were written are left out of JSON while at
// their defaults, so older configs and traces serialize byte for byte as before.
fn is_false(v: &bool) -> bool {
    !*v
}
fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn is_capped(v: &RetryAfterKind) -> bool {
    *v == RetryAfterKind::Capped
}
fn is_default_throttle_cost(v: &u64) -> bool {
    *v == BudgetConfig::default().throttle_cost
}
