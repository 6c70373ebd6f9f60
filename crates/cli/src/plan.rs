//! `playground plan`: the schedule of delays per retry, as a library would
//! compute it: each retry's envelope and `--samples` draws, for checking our
//! formulas against the libraries (`tests/conformance`).
//!
//! Draws use the engine's own function, [`policy::jitter::draw`], one
//! [`DrawState`] per sample: sample `k` of retry `n` follows sample `k` of
//! retry `n − 1`, as in one call (what decorrelated kinds need). One seed,
//! one output. Retry-After and budgets are not part of a plan.

use std::fmt::Write as _;

use policy::jitter::{self, DrawState};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{plan, PolicyConfig};
use serde_json::json;

/// The most `samples × retries` one plan draws.
pub const DRAWS_MAX: u64 = 20_000_000;

/// One retry of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRetry {
    /// 1 for the wait before the second attempt.
    pub retry: u32,
    pub envelope_ms: (u64, u64),
    pub samples_ms: Vec<u64>,
}

/// How many retries a plan covers by default: `attempts.max − 1`, or
/// [`plan::SCHEDULE_RETRIES_MAX`] when attempts are unlimited.
pub fn default_retries(config: &PolicyConfig) -> u32 {
    match config.attempts.max {
        0 => plan::SCHEDULE_RETRIES_MAX,
        max => max - 1,
    }
}

/// `retries` retries with `samples` draws each, seeded by `seed`; draws as
/// after throttling failures when `throttled` (see `policy::classify::is_throttling`).
pub fn plan(
    config: &PolicyConfig,
    retries: u32,
    samples: u32,
    seed: u64,
    throttled: bool,
) -> Vec<PlannedRetry> {
    let mut out: Vec<PlannedRetry> = (1..=retries)
        .map(|retry| PlannedRetry {
            retry,
            envelope_ms: jitter::envelope_for(config, retry, throttled),
            samples_ms: Vec::with_capacity(samples as usize),
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..samples {
        let mut state = DrawState::new(config);
        for planned in out.iter_mut() {
            let delay = jitter::draw(config, planned.retry, throttled, &mut state, &mut rng);
            planned.samples_ms.push(delay);
        }
    }
    out
}

/// `{"formula": ..., "retries": [{"retry": 1, "envelope_ms": [lo, hi], "samples_ms": [...]}, ...]}`.
pub fn json(config: &PolicyConfig, plan: &[PlannedRetry]) -> String {
    let retries: Vec<serde_json::Value> = plan
        .iter()
        .map(|p| {
            json!({
                "retry": p.retry,
                "envelope_ms": [p.envelope_ms.0, p.envelope_ms.1],
                "samples_ms": p.samples_ms,
            })
        })
        .collect();
    let doc = json!({ "formula": plan::formula(config), "retries": retries });
    let mut text = doc.to_string();
    text.push('\n');
    text
}

/// `retry,sample,delay_ms,envelope_lo_ms,envelope_hi_ms`, one row per draw
/// (samples numbered from 1).
pub fn csv(plan: &[PlannedRetry]) -> String {
    let mut out = String::from("retry,sample,delay_ms,envelope_lo_ms,envelope_hi_ms\n");
    for p in plan {
        for (k, delay) in p.samples_ms.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{},{delay},{},{}",
                p.retry,
                k + 1,
                p.envelope_ms.0,
                p.envelope_ms.1
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_one_call_and_repeat_per_seed() {
        let mut c = PolicyConfig::default();
        c.set("jitter.kind", "decorrelated")
            .unwrap_or_else(|e| panic!("{e}"));
        c.set("attempts.max", "5").unwrap_or_else(|e| panic!("{e}"));
        let a = plan(&c, default_retries(&c), 50, 9, false);
        assert_eq!(a, plan(&c, 4, 50, 9, false));
        assert_ne!(a, plan(&c, 4, 50, 10, false));
        // Sample k of retry n is the call's n-th draw: the same as policy::schedule's.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let first: Vec<u64> = policy::schedule(&c, &mut rng)
            .iter()
            .map(|p| p.drawn_ms)
            .collect();
        let column: Vec<u64> = a.iter().map(|p| p.samples_ms[0]).collect();
        assert_eq!(first, column);
        for p in &a {
            assert!(p
                .samples_ms
                .iter()
                .all(|d| (p.envelope_ms.0..=p.envelope_ms.1).contains(d)));
        }
    }

    #[test]
    fn csv_has_one_row_per_draw() {
        let c = PolicyConfig::default();
        let text = csv(&plan(&c, 2, 3, 1, false));
        assert_eq!(text.lines().count(), 1 + 2 * 3, "{text}");
        assert!(text.contains("\n2,3,2000,2000,2000\n"), "{text}");
    }
}
