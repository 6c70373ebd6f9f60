//! Jitter: how the delay `d = d(n)` of [`crate::backoff`] is randomized, so
//! that clients that failed together do not retry together.
//!
//! | `jitter.kind` | delay | envelope | whose |
//! | --- | --- | --- | --- |
//! | `none` | `d` | `[d, d]` | |
//! | `full` | `U(0, d)` | `[0, d]` | AWS "full jitter", Envoy, AWS SDKs |
//! | `equal` | `d/2 + U(0, d/2)` | `[d/2, d]` | AWS "equal jitter" |
//! | `ratio` | `d·U(1−r, 1+r)` | `[d·(1−r), min(cap, d·(1+r))]` | Polly constant/linear (r = 0.25) |
//! | `additive` | `d + U(0, a)` | `[d, min(cap, d + a)]` | urllib3 `backoff_jitter`, tenacity `wait_exponential_jitter` |
//! | `decorrelated` | `min(cap, U(base, 3·previous))`, previous starting at `base` | `[min(cap, base), min(cap, base·3^n)]` | AWS "decorrelated jitter" |
//! | `ratio_after_cap` | `d·U(1−r, 1+r)`, not clamped | `[d·(1−r), d·(1+r)]` | gRPC A6 (r = 0.2), cenkalti/backoff (r = 0.5) |
//! | `randomized` | `min(cap, max(1, ⌊D − r·D + U·(2r·D + 1)⌋))`, `D` the uncapped curve | see [`envelope_ms`] | resilience4j |
//! | `decorrelated_v2` | Polly's "decorrelated jitter V2", see [`crate::decorrelated_v2`] | `[0, min(cap, base·(f(n) − f(n−2))/1.4)]` | Polly `UseJitter` with exponential |
//!
//! `U(a, b)` is `a + u·(b − a)` with `u` in `[0, 1)` from one `u64` draw
//! ([`crate::unit_f64`], [`uniform_between`]); results are rounded down to whole ms and clamped to
//! `[0, cap]` (except `ratio_after_cap`, whose point is to pass the cap).
//! `none` draws nothing; every other kind draws one `u64` per retry.
//! `decorrelated` and `decorrelated_v2` are backoffs of their own: with them
//! `backoff.kind` and `backoff.multiplier` are ignored (and `backoff.kind =
//! decorrelated` means `jitter.kind = decorrelated`).
//!
//! **Where each library puts its jitter** (read from their sources):
//! - gRPC (`grpc/proposal` `A6-client-retries.md`, since the 2024 update):
//!   `min(initialBackoff·multiplier^(n−1), maxBackoff)·random(0.8, 1.2)`,
//!   jitter after the cap: `exponential` + `ratio_after_cap`, r = 0.2.
//! - cenkalti/backoff (`exponential.go`, `getRandomValueFromInterval`): the
//!   interval is capped at `MaxInterval`, then randomized by ±`RandomizationFactor`
//!   (its `+1` is one nanosecond): `exponential` + `ratio_after_cap`.
//! - resilience4j (`resilience4j-core/.../IntervalFunction.java`, `randomize`
//!   and `ofExponentialRandomBackoff`): `max(1, I − f·I + random·(2f·I + 1))`
//!   truncated to a `long`, then `min(interval, maxInterval)`: jitter before the
//!   cap, on `I(n) = (long)(I(n−1)·multiplier)`: `exponential_floor` + `randomized`.
//! - Envoy (`source/common/common/backoff_strategy.cc`,
//!   `JitteredExponentialBackOffStrategy`): `random() % min(base·2^(n−1), max)`,
//!   a whole number in `[0, d − 1]`: `exponential` (×2) + `full` draws the same
//!   numbers (`⌊u·d⌋`).
//! - urllib3 (`src/urllib3/util/retry.py`, `Retry.get_backoff_time`):
//!   `min(backoff_max, factor·2^(n−1) + random()·backoff_jitter)`: `additive`
//!   adds before the cap, which equals clamping `min(cap, d) + U(0, a)` to the cap.
//!
//! ```
//! use policy::{jitter, JitterKind, PolicyConfig};
//!
//! let mut config = PolicyConfig::default(); // base 1000 ms, ×2
//! config.jitter.kind = JitterKind::Equal;
//! assert_eq!(jitter::envelope_ms(&config, 2), (1000, 2000)); // d(2) = 2000
//! config.jitter.kind = JitterKind::Ratio; // r = 0.2
//! assert_eq!(jitter::envelope_ms(&config, 1), (800, 1200));
//! config.backoff.cap_ms = 1000;
//! config.jitter.kind = JitterKind::RatioAfterCap; // gRPC: may pass the cap by r
//! assert_eq!(jitter::envelope_ms(&config, 3), (800, 1200));
//! ```

use crate::backoff::{self, delay_ms, is_decorrelated};
use crate::config::{BackoffConfig, JitterConfig, JitterKind, PolicyConfig};
use crate::{decorrelated_v2, unit_f64, Rng};

/// The formula of a jitter kind, `d` being the backoff delay.
pub fn formula(kind: JitterKind) -> &'static str {
    match kind {
        JitterKind::None => "d",
        JitterKind::Full => "U(0, d)",
        JitterKind::Equal => "d/2 + U(0, d/2)",
        JitterKind::Decorrelated => "min(cap, U(base, 3·previous))",
        JitterKind::Ratio => "d·U(1−r, 1+r)",
        JitterKind::Additive => "d + U(0, a)",
        JitterKind::RatioAfterCap => "d·U(1−r, 1+r), after the cap",
        JitterKind::Randomized => "min(cap, max(1, ⌊D − r·D + U·(2r·D + 1)⌋)), D uncapped",
        JitterKind::DecorrelatedV2 => decorrelated_v2::FORMULA,
    }
}

/// What one call's delay draws remember from retry to retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawState {
    /// The previous drawn delay (`backoff.base_ms` before the first retry):
    /// AWS `decorrelated` draws from `U(base, 3·previous)`.
    pub previous_ms: u64,
    /// Polly's `decorrelated_v2` state: `f(t)` of the previous draw (0 before the first).
    pub formula_previous: f64,
}

impl DrawState {
    /// The state before a call's first retry.
    pub fn new(config: &PolicyConfig) -> DrawState {
        DrawState {
            previous_ms: config.backoff.base_ms,
            formula_previous: 0.0,
        }
    }
}

/// `r` clamped to `[0, 1]`; NaN (from JSON) counts as 0.
fn ratio(j: &JitterConfig) -> f64 {
    if j.ratio.is_nan() {
        0.0
    } else {
        j.ratio.clamp(0.0, 1.0)
    }
}

/// The real bounds `[lo, hi]` a draw is taken from, before rounding and the
/// cap, for the kinds that randomize `d` itself (in real ms: the contention
/// study (`flaky::contention`) draws its full and equal jitter with it).
///
/// ```
/// use policy::{jitter, JitterConfig, JitterKind};
///
/// let equal = JitterConfig { kind: JitterKind::Equal, ..JitterConfig::default() };
/// assert_eq!(jitter::spread(&equal, 40.0), (20.0, 40.0));
/// ```
pub fn spread(j: &JitterConfig, d: f64) -> (f64, f64) {
    match j.kind {
        JitterKind::Full => (0.0, d),
        JitterKind::Equal => (d / 2.0, d),
        JitterKind::Ratio | JitterKind::RatioAfterCap => {
            let r = ratio(j);
            (d * (1.0 - r), d * (1.0 + r))
        }
        JitterKind::Additive => (d, d + j.additive_ms as f64),
        // Not used for these: they have their own draws.
        JitterKind::None
        | JitterKind::Decorrelated
        | JitterKind::Randomized
        | JitterKind::DecorrelatedV2 => (d, d),
    }
}

/// `U(lo, hi)` from `u` in `[0, 1)`: `lo + u·(hi − lo)`, kept inside
/// `[lo, hi]` (u < 1 keeps it below `hi` in exact arithmetic; the clamp
/// covers rounding).
#[inline]
pub fn uniform_between(lo: f64, hi: f64, u: f64) -> f64 {
    (lo + u * (hi - lo)).max(lo).min(hi)
}

/// AWS decorrelated jitter's bounds before the cap, `[base, max(base,
/// 3·previous)]`, given `3·previous` (computed by the caller in its units:
/// saturating whole ms for [`draw`], real ms for the contention study).
#[inline]
pub fn decorrelated_bounds(base: f64, three_previous: f64) -> (f64, f64) {
    (base, base.max(three_previous))
}

/// Whole ms of a real delay, clamped to `[0, cap]` (`as` saturates, NaN gives 0).
fn to_ms(x: f64, cap: u64) -> u64 {
    (x.floor() as u64).min(cap)
}

/// The largest delay a kind may return: the cap, except `ratio_after_cap`.
fn ceiling_ms(b: &BackoffConfig, j: &JitterConfig) -> u64 {
    match j.kind {
        JitterKind::RatioAfterCap => u64::MAX,
        _ => b.cap_ms,
    }
}

/// The backoff settings of a draw: `throttle_base_ms` replaces the base after
/// a throttling failure (when set).
fn backoff_for(config: &PolicyConfig, throttled: bool) -> BackoffConfig {
    let mut b = config.backoff.clone();
    if throttled && b.throttle_base_ms > 0 {
        b.base_ms = b.throttle_base_ms;
    }
    b
}

/// resilience4j's `randomize` on `D`: the real value before truncation.
fn randomized(d: u64, r: f64, u: f64) -> f64 {
    let df = d as f64;
    (df - r * df + u * (2.0 * r * df + 1.0)).max(1.0)
}

/// The smallest and largest delay retry `n` can draw. Every draw of
/// [`draw`] for retry `n` lies inside it, whatever came before. Both are in
/// `[0, cap]`, except for `ratio_after_cap` (up to `cap·(1 + r)`).
pub fn envelope_ms(config: &PolicyConfig, retry: u32) -> (u64, u64) {
    envelope_for(config, retry, false)
}

/// [`envelope_ms`] after a failure that was throttling (`throttled`) or not.
pub fn envelope_for(config: &PolicyConfig, retry: u32, throttled: bool) -> (u64, u64) {
    let b = &backoff_for(config, throttled);
    let j = &config.jitter;
    if b.first_retry_immediate && retry <= 1 {
        return (0, 0);
    }
    if is_decorrelated(config) {
        return (
            b.base_ms.min(b.cap_ms),
            backoff::decorrelated_max_ms(b, retry),
        );
    }
    match j.kind {
        JitterKind::None => {
            let d = delay_ms(b, retry);
            (d, d)
        }
        JitterKind::DecorrelatedV2 => (0, decorrelated_v2::max_ms(b, retry)),
        JitterKind::Randomized => {
            let d = backoff::curve_ms(b, retry);
            let r = ratio(j);
            let lo = randomized(d, r, 0.0);
            // The largest whole number below lo + 2r·D + 1 (u < 1 never reaches it).
            let top = (d as f64 + r * d as f64 + 1.0).ceil() - 1.0;
            (to_ms(lo, b.cap_ms), to_ms(top.max(lo), b.cap_ms))
        }
        _ => {
            let (lo, hi) = spread(j, delay_ms(b, retry) as f64);
            let ceiling = ceiling_ms(b, j);
            (to_ms(lo, ceiling), to_ms(hi, ceiling))
        }
    }
}

/// Draws the delay before retry `n` with a state reset to `previous_ms`
/// (the previous drawn delay, or `backoff.base_ms` before the first retry).
/// For `decorrelated_v2`, whose state is not a delay, this is exact only for
/// the first retry: a sequence of draws uses [`draw`].
pub fn draw_ms(config: &PolicyConfig, retry: u32, previous_ms: u64, rng: &mut impl Rng) -> u64 {
    let mut state = DrawState {
        previous_ms,
        formula_previous: 0.0,
    };
    draw(config, retry, false, &mut state, rng)
}

/// A unit draw from `rng`, or `jitter.draw` when fixed (the generator
/// still advances, so the draws after it stay where they were).
fn unit(j: &JitterConfig, rng: &mut impl Rng) -> f64 {
    let u = unit_f64(rng);
    j.draw.unwrap_or(u)
}

/// Draws the delay before retry `n` (1 = after the first attempt failed)
/// after a failure that was throttling (`throttled`, see
/// [`crate::classify::is_throttling`]) or not, and updates the call's `state`.
/// This is the one function the engine ([`crate::Call`]), [`crate::schedule`]
/// and `playground plan` draw with.
pub fn draw(
    config: &PolicyConfig,
    retry: u32,
    throttled: bool,
    state: &mut DrawState,
    rng: &mut impl Rng,
) -> u64 {
    let b = &backoff_for(config, throttled);
    let j = &config.jitter;
    if b.first_retry_immediate && retry <= 1 {
        return 0; // urllib3 returns 0 before it draws any jitter
    }
    let delay = if is_decorrelated(config) {
        let three_previous = state.previous_ms.saturating_mul(3) as f64;
        let (lo, hi) = decorrelated_bounds(b.base_ms as f64, three_previous);
        to_ms(uniform_between(lo, hi, unit(j, rng)), b.cap_ms)
    } else {
        match j.kind {
            JitterKind::None => delay_ms(b, retry),
            JitterKind::DecorrelatedV2 => {
                decorrelated_v2::draw_ms(b, retry, &mut state.formula_previous, unit(j, rng))
            }
            JitterKind::Randomized => {
                let d = backoff::curve_ms(b, retry);
                to_ms(randomized(d, ratio(j), unit(j, rng)), b.cap_ms)
            }
            _ => {
                let (lo, hi) = spread(j, delay_ms(b, retry) as f64);
                to_ms(uniform_between(lo, hi, unit(j, rng)), ceiling_ms(b, j))
            }
        }
    };
    state.previous_ms = delay;
    delay
}
