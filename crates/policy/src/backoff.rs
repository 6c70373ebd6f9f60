//! Backoff: the delay `d(n)` before retry `n` (n = 1 after the first attempt
//! failed, 2 after the second, ...), before jitter: the plain curve of base,
//! multiplier and cap. [`crate::jitter`] randomizes it, [`crate::plan`] plans
//! a call's retries from both; this module uses neither.
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

use crate::config::{BackoffConfig, BackoffKind, JitterKind, PolicyConfig};

/// `base·multiplier^(n-1)`, the exponential curve in real ms, uncapped (`n`
/// = 0 is treated as 1). [`delay_ms`] rounds it to whole ms and caps it;
/// the contention study (`flaky::contention`) takes it as it is.
///
/// ```
/// assert_eq!(policy::backoff::exponential(5.0, 2.0, 4), 40.0);
/// ```
#[inline]
pub fn exponential(base_ms: f64, multiplier: f64, retry: u32) -> f64 {
    let steps = retry.max(1) - 1;
    // ×2, the common case, by exponent arithmetic: the same number as `pow`
    // (tested), at a tenth of the cost the contention study's sweep feels.
    let growth = if multiplier == 2.0 {
        libm::ldexp(1.0, steps.min(2048) as i32)
    } else {
        libm::pow(multiplier, f64::from(steps))
    };
    base_ms * growth
}

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
            let d = exponential(base as f64, backoff.multiplier, n).round();
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

#[cfg(test)]
mod tests {
    #[test]
    fn doubling_by_exponent_is_pow_bit_for_bit() {
        for steps in 0..=2100u32 {
            let by_exponent = super::exponential(1.0, 2.0, steps + 1);
            let by_pow = libm::pow(2.0, f64::from(steps));
            assert_eq!(by_exponent.to_bits(), by_pow.to_bits(), "2^{steps}");
        }
        assert!(
            super::exponential(0.0, 2.0, 1100).is_nan(),
            "0·∞, as pow gives"
        );
    }
}
