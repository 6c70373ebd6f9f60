//! Plans: the retries a call would go through ([`schedule`]), each with its
//! envelope and a seeded draw, and the delay formula in words ([`formula`],
//! [`retry_formula`]). Built on [`crate::backoff`] (the curve) and
//! [`crate::jitter`] (its randomization and envelopes), which never use this
//! module.

use serde::{Deserialize, Serialize};

use crate::backoff::{delay_ms, is_decorrelated};
use crate::config::{BackoffKind, JitterKind, PolicyConfig};
use crate::{jitter, Rng};

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

#[cfg(test)]
mod tests {
    /// The `use` declarations of a module's source, each on one line.
    fn uses(source: &str) -> Vec<String> {
        let mut uses = Vec::new();
        let mut open: Option<String> = None;
        for line in source.lines().map(str::trim) {
            if let Some(u) = open.as_mut() {
                u.push_str(line);
            } else if line.starts_with("use ") || line.starts_with("pub use ") {
                open = Some(line.to_string());
            }
            if open.as_ref().is_some_and(|u| u.ends_with(';')) {
                uses.extend(open.take());
            }
        }
        uses
    }

    /// The layers are backoff (the curve) < jitter < plan: no module uses
    /// one above it, so no import cycle can come back.
    #[test]
    fn modules_use_only_the_layers_below() {
        let backoff = uses(include_str!("backoff.rs"));
        let jitter = uses(include_str!("jitter.rs"));
        let plan = uses(include_str!("plan.rs"));
        assert!(!backoff.is_empty() && !jitter.is_empty() && !plan.is_empty());
        for u in &backoff {
            for above in ["jitter", "plan", "decorrelated_v2"] {
                assert!(!u.contains(above), "backoff.rs: `{u}` uses {above}");
            }
        }
        for u in &jitter {
            assert!(!u.contains("plan"), "jitter.rs: `{u}` uses plan");
        }
        assert!(jitter.iter().any(|u| u.contains("crate::backoff")));
        assert!(plan.iter().any(|u| u.contains("crate::backoff")));
        assert!(plan.iter().any(|u| u.contains("jitter")));
    }
}
