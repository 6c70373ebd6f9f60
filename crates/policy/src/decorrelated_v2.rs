//! Polly's "decorrelated jitter V2" (`jitter.kind = decorrelated_v2`): what
//! Polly v8 does for `BackoffType = Exponential` with `UseJitter = true`.
//!
//! Source: `App-vNext/Polly`, `src/Polly.Core/Retry/RetryHelper.cs`,
//! `DecorrelatedJitterBackoffV2` (adopted from Polly.Contrib.WaitAndRetry,
//! formula by George Polevoy). With `k = n − 1` (Polly's 0-based attempt) and
//! `u` uniform in `[0, 1)`:
//!
//! ```text
//! t      = k + u
//! f(t)   = 2^t · tanh(√(4t))
//! delay  = min(cap, (f(t) − f_prev) · base / 1.4)      f_prev = 0 before the first retry
//! f_prev = f(t)
//! ```
//!
//! The delays' medians fall near `base·2^k` (hence the 1/1.4 scaling), but
//! each delay depends on the previous draw, so the sequence is "decorrelated".
//! Polly keeps `f_prev` per execution (`retryState` in
//! `RetryResilienceStrategy.ExecuteCore`), like our per-call
//! [`crate::jitter::DrawState`]. Polly caps with `MaxDelay` after the
//! formula (`RetryHelper.GetRetryDelay`); ticks (100 ns) truncate, we floor
//! to whole ms. `backoff.kind` and `backoff.multiplier` are ignored.
//!
//! ```
//! use policy::{decorrelated_v2, PolicyConfig};
//!
//! let b = PolicyConfig::default().backoff; // base 1000 ms
//! let mut previous = 0.0;
//! // u = 0.5 on the first retry: t = 0.5, f = 2^0.5·tanh(√2) ≈ 1.2564
//! assert_eq!(decorrelated_v2::draw_ms(&b, 1, &mut previous, 0.5), 897);
//! assert_eq!(decorrelated_v2::max_ms(&b, 1), 1377); // f(1)/1.4 = 2·tanh(2)/1.4
//! ```

use crate::config::BackoffConfig;

/// The formula, for the UI.
pub const FORMULA: &str =
    "min(cap, base·(f(t) − f(t_prev))/1.4), t = n−1+U, f(t) = 2^t·tanh(√(4t)) (Polly)";

/// Polly's `PFactor` (smooths the first delay).
const P_FACTOR: f64 = 4.0;
/// Polly's `RpScalingFactor` is `1 / 1.4`: medians near `base·2^k`.
const SCALING: f64 = 1.0 / 1.4;

/// `f(t) = 2^t · tanh(√(4t))`.
pub fn f(t: f64) -> f64 {
    libm::pow(2.0, t) * libm::tanh(libm::sqrt(P_FACTOR * t))
}

/// Whole ms of `x`, clamped to `[0, cap]`; NaN and infinities give the cap
/// (Polly returns its largest delay, then `MaxDelay`, when `f` overflows).
fn to_ms(x: f64, cap: u64) -> u64 {
    if x.is_finite() {
        (x.max(0.0).floor() as u64).min(cap)
    } else {
        cap
    }
}

/// The delay before retry `n` for the unit draw `u` in `[0, 1)`; updates `previous` (`f_prev`).
pub fn draw_ms(b: &BackoffConfig, retry: u32, previous: &mut f64, u: f64) -> u64 {
    if b.base_ms == 0 {
        return 0; // Polly: a zero base delay is returned as is, state untouched
    }
    let t = f64::from(retry.max(1) - 1) + u;
    let next = f(t);
    let delay = (next - *previous) * SCALING * b.base_ms as f64;
    *previous = next;
    to_ms(delay, b.cap_ms)
}

/// The largest delay retry `n` can draw: `base·(f(n) − f(n−2))/1.4` (for
/// `n = 1`, `base·f(1)/1.4`), capped. The smallest is 0 (`u` near 1 on the
/// previous retry and 0 on this one; for `n = 1`, `f(0) = 0`).
pub fn max_ms(b: &BackoffConfig, retry: u32) -> u64 {
    if b.base_ms == 0 {
        return 0;
    }
    let n = f64::from(retry.max(1));
    let low = if n >= 2.0 { f(n - 2.0) } else { 0.0 };
    to_ms((f(n) - low) * SCALING * b.base_ms as f64, b.cap_ms)
}
