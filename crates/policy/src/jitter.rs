//! Jitter: how the delay `d = d(n)` of [`crate::backoff`] is randomized, so
//! that clients that failed together do not retry together.
//!
//! | `jitter.kind` | delay | envelope |
//! | --- | --- | --- |
//! | `none` | `d` | `[d, d]` |
//! | `full` | `U(0, d)` | `[0, d]` |
//! | `equal` | `d/2 + U(0, d/2)` | `[d/2, d]` |
//! | `ratio` | `d·U(1−r, 1+r)` | `[d·(1−r), min(cap, d·(1+r))]` |
//! | `additive` | `d + U(0, a)` | `[d, min(cap, d + a)]` |
//! | `decorrelated` | `min(cap, U(base, 3·previous))`, previous starting at `base` | `[min(cap, base), min(cap, base·3^n)]` |
//!
//! `U(a, b)` is `a + u·(b − a)` with `u` in `[0, 1)` from one `u64` draw
//! ([`crate::unit_f64`]); results are rounded down to whole ms and clamped to
//! `[0, cap]`. `none` draws nothing; every other kind draws one `u64` per
//! retry. `decorrelated` (AWS's "decorrelated jitter") is a backoff of its
//! own: with it `backoff.kind` and `backoff.multiplier` are ignored, and the
//! same happens with `backoff.kind = decorrelated`.
//!
//! gRPC's backoff is `exponential` with `ratio` jitter (r = 0.2); gRPC applies
//! the jitter after the cap, this crate clamps the jittered delay to the cap.
//!
//! ```
//! use policy::{jitter, JitterKind, PolicyConfig};
//!
//! let mut config = PolicyConfig::default(); // base 1000 ms, ×2
//! config.jitter.kind = JitterKind::Equal;
//! assert_eq!(jitter::envelope_ms(&config, 2), (1000, 2000)); // d(2) = 2000
//! config.jitter.kind = JitterKind::Ratio; // r = 0.2
//! assert_eq!(jitter::envelope_ms(&config, 1), (800, 1200));
//! ```

use crate::backoff::{self, delay_ms, is_decorrelated};
use crate::config::{JitterKind, PolicyConfig};
use crate::{unit_f64, Rng};

/// The formula of a jitter kind, `d` being the backoff delay.
pub fn formula(kind: JitterKind) -> &'static str {
    match kind {
        JitterKind::None => "d",
        JitterKind::Full => "U(0, d)",
        JitterKind::Equal => "d/2 + U(0, d/2)",
        JitterKind::Decorrelated => "min(cap, U(base, 3·previous))",
        JitterKind::Ratio => "d·U(1−r, 1+r)",
        JitterKind::Additive => "d + U(0, a)",
    }
}

/// The real bounds `[lo, hi]` a draw is taken from, before rounding and the
/// cap, for the non-decorrelated kinds.
fn bounds(config: &PolicyConfig, d: u64) -> (f64, f64) {
    let df = d as f64;
    match config.jitter.kind {
        JitterKind::None | JitterKind::Decorrelated => (df, df),
        JitterKind::Full => (0.0, df),
        JitterKind::Equal => (df / 2.0, df),
        JitterKind::Ratio => {
            // Out-of-range ratios (from JSON) are clamped, NaN counts as 0.
            let r = if config.jitter.ratio.is_nan() {
                0.0
            } else {
                config.jitter.ratio.clamp(0.0, 1.0)
            };
            (df * (1.0 - r), df * (1.0 + r))
        }
        JitterKind::Additive => (df, df + config.jitter.additive_ms as f64),
    }
}

/// Whole ms of a real delay, clamped to `[0, cap]` (`as` saturates, NaN gives 0).
fn to_ms(x: f64, cap: u64) -> u64 {
    (x.floor() as u64).min(cap)
}

/// The smallest and largest delay retry `n` can draw, both in `[0, cap]`.
/// Every draw of [`draw_ms`] for retry `n` lies inside it, whatever came before.
pub fn envelope_ms(config: &PolicyConfig, retry: u32) -> (u64, u64) {
    let b = &config.backoff;
    if is_decorrelated(config) {
        return (
            b.base_ms.min(b.cap_ms),
            backoff::decorrelated_max_ms(b, retry),
        );
    }
    let (lo, hi) = bounds(config, delay_ms(b, retry));
    (to_ms(lo, b.cap_ms), to_ms(hi, b.cap_ms))
}

/// Draws the delay before retry `n`. `previous_ms` is the previous drawn delay
/// (or `backoff.base_ms` before the first retry); only `decorrelated` uses it.
pub fn draw_ms(config: &PolicyConfig, retry: u32, previous_ms: u64, rng: &mut impl Rng) -> u64 {
    let b = &config.backoff;
    let (lo, hi) = if is_decorrelated(config) {
        let lo = b.base_ms as f64;
        (lo, lo.max(previous_ms.saturating_mul(3) as f64))
    } else {
        if config.jitter.kind == JitterKind::None {
            return delay_ms(b, retry);
        }
        bounds(config, delay_ms(b, retry))
    };
    let u = unit_f64(rng);
    // u < 1 keeps the sum below hi in exact arithmetic; the clamp covers rounding.
    to_ms((lo + u * (hi - lo)).max(lo).min(hi), b.cap_ms)
}
