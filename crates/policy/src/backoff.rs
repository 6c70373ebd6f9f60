//! Backoff: the delay `d(n)` before retry `n` (n = 1 after the first attempt
//! failed, 2 after the second, ...), before jitter.
//!
//! | `backoff.kind` | `d(n)` |
//! | --- | --- |
//! | `constant` | `min(cap, base)` |
//! | `linear` | `min(cap, base·n)` |
//! | `exponential` | `min(cap, base·multiplier^(n-1))`, rounded to the nearest ms |
//! | `decorrelated` | random: `min(cap, U(base, 3·previous))`, see [`crate::jitter`] |
//! | `exponential_floor` | `min(cap, I(n))`, `I(1) = base`, `I(n) = ⌊I(n-1)·multiplier⌋` |
//!
//! `exponential_floor` is resilience4j's curve
//! (`resilience4j-core/src/main/java/io/github/resilience4j/core/IntervalFunction.java`,
//! `ofExponentialBackoff`: `LongStream.iterate(initial, x -> (long) (x * multiplier))`):
//! each step truncates to whole ms, so with 500 ms ×1.5 the fourth delay is
//! 1687 ms where `exponential` gives 1688.
//!
//! `backoff.first_retry_immediate` makes the first retry wait 0 (urllib3's
//! `Retry.get_backoff_time` returns 0 while fewer than two errors are in its
//! history), and `backoff.throttle_base_ms` replaces `base` after a throttling
//! failure (the AWS SDKs' 2026 standard mode: 50 ms, 1 s for throttling).
//!
//! "Exponential" means `base·multiplier^(n-1)`: with base 1000 ms and
//! multiplier 2 the retries wait 1 s, 2 s, 4 s..., the seed chapter's
//! `2 ** attempt` seconds. (Not `base^n` as in tokio-retry.)
//!
//! ```
//! use policy::{backoff::delay_ms, BackoffKind, PolicyConfig};
//!
//! let mut b = PolicyConfig::default().backoff; // exponential, 1000 ms, ×2, cap 60 s
//! assert_eq!([1, 2, 3, 7].map(|n| delay_ms(&b, n)), [1000, 2000, 4000, 60_000]);
//! b.kind = BackoffKind::Linear;
//! assert_eq!([1, 2, 3].map(|n| delay_ms(&b, n)), [1000, 2000, 3000]);
//! b.kind = BackoffKind::Constant;
//! assert_eq!([1, 2, 3].map(|n| delay_ms(&b, n)), [1000, 1000, 1000]);
//! ```

use serde::{Deserialize, Serialize};

use crate::config::{BackoffConfig, BackoffKind, JitterKind, PolicyConfig};
use crate::{jitter, Rng};

/// `d(n)`, the delay before retry `n` before jitter (`n` = 0 is treated as 1).
/// For `decorrelated` it is the largest delay retry `n` can draw,
/// `min(cap, base·3^n)`.
pub fn delay_ms(backoff: &BackoffConfig, retry: u32) -> u64 {
    let n = retry.max(1);
    let cap = backoff.cap_ms;
    let base = backoff.base_ms;
    match backoff.kind {
        BackoffKind::Constant => base.min(cap),
        BackoffKind::Linear => base.saturating_mul(u64::from(n)).min(cap),
        BackoffKind::Exponential => {
            let growth = libm::pow(backoff.multiplier, f64::from(n - 1));
            let d = (base as f64 * growth).round();
            // NaN or overflow fall back to the cap; `as` saturates negatives to 0.
            if d < cap as f64 {
                d as u64
            } else {
                cap
            }
        }
        BackoffKind::Decorrelated => decorrelated_max_ms(backoff, n),
        BackoffKind::ExponentialFloor => floor_curve_ms(backoff, n, cap),
    }
}

/// `⌊I(n-1)·multiplier⌋` iterated from `base`, stopping at `limit`.
fn floor_curve_ms(backoff: &BackoffConfig, n: u32, limit: u64) -> u64 {
    let mut d = backoff.base_ms;
    for _ in 1..n {
        if d >= limit {
            break;
        }
        // NaN or overflow give the limit; `as` saturates.
        let next = (d as f64 * backoff.multiplier).floor();
        d = if next < limit as f64 {
            next as u64
        } else {
            limit
        };
    }
    d.min(limit)
}

/// `d(n)` before the cap (saturating at `u64::MAX`): the curve a library that
/// jitters before capping (resilience4j's `randomize`) starts from.
pub fn curve_ms(backoff: &BackoffConfig, retry: u32) -> u64 {
    let uncapped = BackoffConfig {
        cap_ms: u64::MAX,
        ..backoff.clone()
    };
    match backoff.kind {
        BackoffKind::ExponentialFloor => floor_curve_ms(backoff, retry.max(1), u64::MAX),
        _ => delay_ms(&uncapped, retry),
    }
}

/// The largest delay the decorrelated algorithm can draw for retry `n`:
/// `min(cap, base·3^n)`.
pub fn decorrelated_max_ms(backoff: &BackoffConfig, retry: u32) -> u64 {
    backoff
        .base_ms
        .saturating_mul(3u64.saturating_pow(retry.max(1)))
        .min(backoff.cap_ms)
}

/// Whether the AWS decorrelated algorithm is selected (by `backoff.kind` or
/// by `jitter.kind`); it ignores the other knob.
pub fn is_decorrelated(config: &PolicyConfig) -> bool {
    config.backoff.kind == BackoffKind::Decorrelated
        || config.jitter.kind == JitterKind::Decorrelated
}

/// One planned retry of [`schedule`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedRetry {
    /// 1 for the first retry (the second attempt).
    pub retry: u32,
    /// The smallest and largest delay this retry can draw (see [`jitter::envelope_ms`]).
    pub envelope_ms: (u64, u64),
    /// The delay drawn from the generator.
    pub drawn_ms: u64,
    /// The formula with this retry's numbers, for the chart's tooltip.
    pub formula: String,
}

/// How many retries [`schedule`] plans at most (also for `attempts.max = 0`).
pub const SCHEDULE_RETRIES_MAX: u32 = 50;

/// The backoff a call would go through if every attempt failed retryably
/// (no `Retry-After`, no budget, no deadline): `attempts.max − 1` retries, at
/// most [`SCHEDULE_RETRIES_MAX`]. It draws from `rng` exactly as
/// [`crate::Call`] draws its delays (one `u64` per retry unless
/// `jitter.kind = none`), but a call first draws its idempotency key.
///
/// ```
/// use policy::{rand_chacha::{rand_core::SeedableRng, ChaCha8Rng}, schedule, PolicyConfig};
///
/// let plan = schedule(&PolicyConfig::default(), &mut ChaCha8Rng::seed_from_u64(1));
/// let drawn: Vec<u64> = plan.iter().map(|p| p.drawn_ms).collect();
/// assert_eq!(drawn, [1000, 2000]); // the seed's 2 ** attempt seconds
/// assert_eq!(plan[1].envelope_ms, (2000, 2000));
/// ```
pub fn schedule(config: &PolicyConfig, rng: &mut impl Rng) -> Vec<PlannedRetry> {
    let retries = match config.attempts.max {
        0 => SCHEDULE_RETRIES_MAX,
        max => (max - 1).min(SCHEDULE_RETRIES_MAX),
    };
    let mut state = jitter::DrawState::new(config);
    (1..=retries)
        .map(|retry| {
            let drawn_ms = jitter::draw(config, retry, false, &mut state, rng);
            PlannedRetry {
                retry,
                envelope_ms: jitter::envelope_ms(config, retry),
                drawn_ms,
                formula: retry_formula(config, retry),
            }
        })
        .collect()
}

/// The delay formula in words and symbols, e.g.
/// `min(cap, base·multiplier^(n-1)), then U(0, d)`.
pub fn formula(config: &PolicyConfig) -> String {
    let first = if config.backoff.first_retry_immediate {
        "0 before the first retry; then "
    } else {
        ""
    };
    if is_decorrelated(config) {
        return format!("{first}min(cap, U(base, 3·previous)), previous starting at base");
    }
    if config.jitter.kind == JitterKind::DecorrelatedV2 {
        return format!("{first}{}", jitter::formula(config.jitter.kind));
    }
    let d = match config.backoff.kind {
        BackoffKind::Constant => "d = min(cap, base)",
        BackoffKind::Linear => "d = min(cap, base·n)",
        BackoffKind::ExponentialFloor => "d = min(cap, I(n)), I(n) = ⌊I(n-1)·multiplier⌋",
        _ => "d = min(cap, base·multiplier^(n-1))",
    };
    format!("{first}{d}, then {}", jitter::formula(config.jitter.kind))
}

/// [`formula`] with the numbers of retry `n` filled in.
pub fn retry_formula(config: &PolicyConfig, retry: u32) -> String {
    let b = &config.backoff;
    let n = retry.max(1);
    let (lo, hi) = jitter::envelope_ms(config, retry);
    if b.first_retry_immediate && n == 1 {
        return "first retry: 0 ∈ [0, 0]".to_string();
    }
    if config.jitter.kind == JitterKind::DecorrelatedV2 && !is_decorrelated(config) {
        return format!(
            "min({}, {}·(f(t) − f(t_prev))/1.4), t ∈ [{}, {n}) ∈ [{lo}, {hi}]",
            b.cap_ms,
            b.base_ms,
            n - 1
        );
    }
    if is_decorrelated(config) {
        return format!(
            "min({}, U({}, 3·previous)) ∈ [{lo}, {hi}]",
            b.cap_ms, b.base_ms
        );
    }
    let d = delay_ms(b, retry);
    let curve = match b.kind {
        BackoffKind::Constant => format!("d = min({}, {}) = {d}", b.cap_ms, b.base_ms),
        BackoffKind::Linear => format!("d = min({}, {}·{n}) = {d}", b.cap_ms, b.base_ms),
        BackoffKind::ExponentialFloor => format!(
            "d = min({}, ⌊…⌊{}·{}⌋…⌋ ({} steps)) = {d}",
            b.cap_ms,
            b.base_ms,
            b.multiplier,
            n - 1
        ),
        _ => format!(
            "d = min({}, {}·{}^{}) = {d}",
            b.cap_ms,
            b.base_ms,
            b.multiplier,
            n - 1
        ),
    };
    format!(
        "{curve}; {} ∈ [{lo}, {hi}]",
        jitter::formula(config.jitter.kind)
    )
}
