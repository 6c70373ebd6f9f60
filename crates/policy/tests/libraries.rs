//! The libraries' formulas, checked against tables derived from their
//! sources (for the libraries that cannot run here: Polly, resilience4j,
//! Envoy, gRPC, Go's cenkalti/backoff, backon), and property tests of the
//! kinds added for them. urllib3, tenacity, botocore and ky are compared with
//! the real packages by `tests/conformance` (`cargo xtask test --only conformance`).
//!
//! Each table names the file it comes from; its numbers were computed from
//! that file's formula with the same unit draws `u` we feed in here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::sync::Arc;

use common::{run, Scripted, SeqRng};
use policy::budget::{Budget, RetryCause};
use policy::jitter::{self, DrawState};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{
    BackoffKind, BudgetKind, ClientState, JitterKind, Outcome, PolicyConfig, RequestKind,
    RetryAfterKind, SleepReason, Step,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

fn config(sets: &[(&str, &str)]) -> PolicyConfig {
    let mut c = PolicyConfig::default();
    for (k, v) in sets {
        c.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    c
}

/// The delays of retries 1, 2, ... when the generator yields `units` in turn.
fn draws(c: &PolicyConfig, units: &[f64]) -> Vec<u64> {
    let raw: Vec<u64> = units.iter().map(|u| SeqRng::unit(*u)).collect();
    let mut rng = SeqRng::new(&raw);
    let mut state = DrawState::new(c);
    (1..=units.len() as u32)
        .map(|n| jitter::draw(c, n, false, &mut state, &mut rng))
        .collect()
}

fn envelopes(c: &PolicyConfig, retries: u32) -> Vec<(u64, u64)> {
    (1..=retries).map(|n| jitter::envelope_ms(c, n)).collect()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn polly_decorrelated_jitter_v2() {
    // App-vNext/Polly src/Polly.Core/Retry/RetryHelper.cs:75-105 (at 173d6d1d), DecorrelatedJitterBackoffV2:
    // t = attempt + u; next = 2^t·tanh(√(4t)); delay = (next − prev)·base/1.4; prev = next.
    // Base 2 s (RetryConstants.DefaultBaseDelay), u = 0.5, 0.25, 0.75:
    // 1794.81 ms, 1526.18 ms, 6264.00 ms (ticks truncated, then whole ms).
    let c = config(&[
        ("jitter.kind", "decorrelated_v2"),
        ("backoff.base_ms", "2000"),
        ("backoff.cap_ms", "86400000"),
    ]);
    assert_eq!(draws(&c, &[0.5, 0.25, 0.75]), [1794, 1526, 6263]);
    // With u → 0 then u → 1 the delays reach 0 and the envelope's top.
    assert_eq!(draws(&c, &[0.0])[0], 0);
    let env = envelopes(&c, 3);
    assert_eq!(env[0], (0, 2754)); // 2000·2·tanh(2)/1.4
    for (n, d) in draws(&c, &[0.999, 0.001, 0.999]).iter().enumerate() {
        assert!(*d <= env[n].1, "retry {}: {d} above {:?}", n + 1, env[n]);
    }
    // MaxDelay caps after the formula (RetryHelper.cs:30, GetRetryDelay).
    let capped = config(&[
        ("jitter.kind", "decorrelated_v2"),
        ("backoff.base_ms", "2000"),
        ("backoff.cap_ms", "3000"),
    ]);
    assert_eq!(draws(&capped, &[0.5, 0.25, 0.75]), [1794, 1526, 3000]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn polly_jitter_for_constant_and_linear_is_ratio_a_quarter() {
    // RetryHelper.cs:49-56 ApplyJitter: d + d·0.5·u − d·0.5/2 = d·(0.75 + 0.5·u),
    // used for Constant (d = base) and Linear (d = (attempt + 1)·base, line 125).
    let linear = config(&[
        ("backoff.kind", "linear"),
        ("backoff.base_ms", "2000"),
        ("backoff.cap_ms", "86400000"),
        ("jitter.kind", "ratio"),
        ("jitter.ratio", "0.25"),
    ]);
    assert_eq!(draws(&linear, &[0.5, 0.5, 0.5]), [2000, 4000, 6000]);
    assert_eq!(draws(&linear, &[0.0, 0.0]), [1500, 3000]);
    assert_eq!(draws(&linear, &[0.75, 0.25]), [2250, 3500]);
    let constant = config(&[
        ("backoff.kind", "constant"),
        ("backoff.base_ms", "2000"),
        ("jitter.kind", "ratio"),
        ("jitter.ratio", "0.25"),
    ]);
    assert_eq!(envelopes(&constant, 3), [(1500, 2500); 3]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn resilience4j_exponential_random_backoff() {
    // resilience4j-core/src/main/java/io/github/resilience4j/core/IntervalFunction.java (at af9e7c979):
    // ofExponentialRandomBackoff(500, 1.5, 0.5) (lines 146-159): I(n) = (long)(I(n−1)·1.5) = 500, 750, 1125, 1687, 2530;
    // randomize (lines 239-246): max(1, I − 0.5·I + random·(2·0.5·I + 1)), cast to long.
    let c = config(&[
        ("backoff.kind", "exponential_floor"),
        ("backoff.base_ms", "500"),
        ("backoff.multiplier", "1.5"),
        ("backoff.cap_ms", "86400000"),
        ("jitter.kind", "randomized"),
        ("jitter.ratio", "0.5"),
    ]);
    assert_eq!(draws(&c, &[0.0; 5]), [250, 375, 562, 843, 1265]);
    assert_eq!(draws(&c, &[0.5; 5]), [500, 750, 1125, 1687, 2530]);
    assert_eq!(draws(&c, &[0.75; 5]), [625, 938, 1407, 2109, 3163]);
    assert_eq!(envelopes(&c, 2), [(250, 750), (375, 1125)]);
    // The cap comes after the jitter (line 142, Math.min(interval, maxIntervalMillis)):
    // with max 1000 ms an interval of 2530 always gives 1000.
    let capped = config(&[
        ("backoff.kind", "exponential_floor"),
        ("backoff.base_ms", "500"),
        ("backoff.multiplier", "1.5"),
        ("backoff.cap_ms", "1000"),
        ("jitter.kind", "randomized"),
        ("jitter.ratio", "0.5"),
    ]);
    assert_eq!(draws(&capped, &[0.0; 5]), [250, 375, 562, 843, 1000]);
    assert_eq!(jitter::envelope_ms(&capped, 5), (1000, 1000));
    // Factor 0: no randomness left (randomize adds random·1, truncated away).
    let plain = config(&[
        ("backoff.kind", "exponential_floor"),
        ("backoff.base_ms", "500"),
        ("backoff.multiplier", "1.5"),
        ("jitter.kind", "randomized"),
        ("jitter.ratio", "0"),
    ]);
    assert_eq!(draws(&plain, &[0.999; 4]), [500, 750, 1125, 1687]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn envoy_jittered_exponential_backoff() {
    // envoyproxy/envoy source/common/common/backoff_strategy.cc:13-19,
    // JitteredExponentialBackOffStrategy::nextBackOffMs: random() % next_interval_,
    // next_interval_ = 25, 50, 100, 200, then max_interval 250 (10 × base by default).
    // So retry n draws a whole number in [0, min(25·2^(n−1), 250) − 1].
    let c = config(&[
        ("backoff.base_ms", "25"),
        ("backoff.cap_ms", "250"),
        ("jitter.kind", "full"),
    ]);
    let top: Vec<u64> = draws(&c, &[0.999_999; 6]);
    assert_eq!(top, [24, 49, 99, 199, 249, 249]);
    assert_eq!(draws(&c, &[0.0; 6]), [0; 6]);
    assert_eq!(draws(&c, &[0.5; 5]), [12, 25, 50, 100, 125]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn envoy_and_aws_retry_after() {
    // Envoy source/common/router/retry_state_impl.cc parseResetInterval: an
    // interval above reset max_interval (300 s by default) is ignored; else
    // backoff_strategy.cc:29-32 JitteredLowerBoundBackOffStrategy: random() % (v >> 1) + v.
    let c = config(&[
        ("retry_after.kind", "envoy"),
        ("retry_after.cap_ms", "300000"),
        ("backoff.base_ms", "25"),
        ("backoff.cap_ms", "250"),
        ("jitter.kind", "full"),
    ]);
    let sleeps = |c: &PolicyConfig, retry_after_ms: u64, u: f64| {
        let config = Arc::new(c.clone());
        let mut client = ClientState::new(&config);
        let mut rng = SeqRng::new(&[SeqRng::unit(u)]);
        let outcome = Outcome::Response {
            status: 503,
            retry_after_ms: Some(retry_after_ms),
        };
        let script = [
            Scripted {
                latency_ms: 0,
                outcome,
            },
            Scripted {
                latency_ms: 0,
                outcome: Outcome::Response {
                    status: 200,
                    retry_after_ms: None,
                },
            },
        ];
        let (_, steps) = run(
            &config,
            0,
            RequestKind::Idempotent,
            &mut client,
            &mut rng,
            &script,
        );
        steps
            .into_iter()
            .find_map(|(_, s)| match s {
                Step::Sleep { reason, .. } => Some(reason),
                _ => None,
            })
            .expect("one sleep")
    };
    assert_eq!(
        sleeps(&c, 2000, 0.5),
        SleepReason::RetryAfter {
            server_ms: 2000,
            capped_ms: 2500
        }
    );
    assert_eq!(
        sleeps(&c, 2000, 0.999_999),
        SleepReason::RetryAfter {
            server_ms: 2000,
            capped_ms: 2999
        }
    );
    // 400 s > 300 s: ignored, the ordinary backoff draw (U(0, 25) at u = 0.5).
    assert_eq!(
        sleeps(&c, 400_000, 0.5),
        SleepReason::Backoff {
            retry: 1,
            planned_ms: 12,
            envelope_ms: (0, 25)
        }
    );
    // botocore 1.44.8 botocore/retries/standard.py:373-406 ExponentialBackoff.delay_amount:
    // max(t_i, min(retry_after, t_i + 5)), t_i = rand·min(0.05·2^(n−1), 20) s.
    let aws = config(&[
        ("retry_after.kind", "aws"),
        ("retry_after.cap_ms", "5000"),
        ("backoff.base_ms", "50"),
        ("backoff.cap_ms", "20000"),
        ("jitter.kind", "full"),
    ]);
    assert_eq!(
        sleeps(&aws, 9000, 0.5),
        SleepReason::RetryAfter {
            server_ms: 9000,
            capped_ms: 5025
        }
    );
    assert_eq!(
        sleeps(&aws, 10, 0.5),
        SleepReason::RetryAfter {
            server_ms: 10,
            capped_ms: 25
        }
    );
    assert_eq!(
        sleeps(&aws, 3000, 0.5),
        SleepReason::RetryAfter {
            server_ms: 3000,
            capped_ms: 3000
        }
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn grpc_a6_jitter_after_the_cap() {
    // grpc/proposal A6-client-retries.md:113 (at 1fd061a, the 2024 update): the n-th retry waits
    // min(initialBackoff·backoffMultiplier^(n−1), maxBackoff)·random(0.8, 1.2).
    // The A6 example: 0.1 s, ×2, max 1 s.
    let c = config(&[
        ("backoff.base_ms", "100"),
        ("backoff.cap_ms", "1000"),
        ("jitter.kind", "ratio_after_cap"),
        ("jitter.ratio", "0.2"),
    ]);
    assert_eq!(
        envelopes(&c, 6),
        [
            (80, 120),
            (160, 240),
            (320, 480),
            (640, 960),
            (800, 1200),
            (800, 1200)
        ]
    );
    assert_eq!(draws(&c, &[0.5; 6]), [100, 200, 400, 800, 1000, 1000]);
    assert_eq!(draws(&c, &[0.75; 5]), [110, 220, 440, 880, 1100]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn cenkalti_backoff_exponential() {
    // cenkalti/backoff exponential.go:79-83 (at 720b789): InitialInterval 500 ms, Multiplier 1.5,
    // RandomizationFactor 0.5, MaxInterval 60 s. NextBackOff (171-180) randomizes the
    // current interval (getRandomValueFromInterval, 204-216: min + random·(max − min + 1 ns)),
    // then incrementCurrentInterval (193-200) multiplies it (in ns), or sets MaxInterval.
    // Intervals: 500, 750, 1125, 1687.5, 2531.25, 3796.875 ms, ..., 60000.
    // At u = 0.75 that gives 625, 937.5, 1406.25, 2109.375, 3164.06, 4746.09 ms;
    // we round the interval to whole ms and floor the draw, so we may differ by < 2 ms.
    let c = config(&[
        ("backoff.base_ms", "500"),
        ("backoff.multiplier", "1.5"),
        ("backoff.cap_ms", "60000"),
        ("jitter.kind", "ratio_after_cap"),
        ("jitter.ratio", "0.5"),
    ]);
    let source = [625.0, 937.5, 1406.25, 2109.375, 3164.0625, 4746.09375];
    for (n, (ours, theirs)) in draws(&c, &[0.75; 6]).iter().zip(source).enumerate() {
        assert!(
            (*ours as f64 - theirs).abs() < 2.0,
            "retry {}: {ours} vs {theirs}",
            n + 1
        );
    }
    // From the 13th retry the interval is MaxInterval, randomized to [30 s, 90 s].
    assert_eq!(jitter::envelope_ms(&c, 13), (30_000, 90_000));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn backon_exponential_builder_defaults() {
    // Xuanwo/backon backon/src/backoff/exponential.rs:49-64 (at db212c0), ExponentialBuilder::default():
    // jitter false, factor 2, min_delay 1 s, max_delay 60 s, max_times 3.
    let c = config(&[
        ("attempts.max", "4"),
        ("backoff.base_ms", "1000"),
        ("backoff.cap_ms", "60000"),
    ]);
    let plan: Vec<u64> = policy::schedule(&c, &mut ChaCha8Rng::seed_from_u64(1))
        .iter()
        .map(|p| p.drawn_ms)
        .collect();
    assert_eq!(plan, [1000, 2000, 4000]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn urllib3_first_retry_waits_nothing() {
    // urllib3 2.8.0 src/urllib3/util/retry.py:321-338 Retry.get_backoff_time: 0 while the
    // history holds ≤ 1 error, then min(backoff_max, factor·2^(n−1) + random·jitter).
    let c = config(&[
        ("backoff.first_retry_immediate", "true"),
        ("backoff.base_ms", "500"),
        ("backoff.cap_ms", "120000"),
        ("attempts.max", "5"),
    ]);
    let plan: Vec<u64> = policy::schedule(&c, &mut ChaCha8Rng::seed_from_u64(1))
        .iter()
        .map(|p| p.drawn_ms)
        .collect();
    assert_eq!(plan, [0, 1000, 2000, 4000]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn aws_throttling_base_and_refunding_bucket() {
    // botocore 1.44.8 botocore/retries/standard.py:344-417 (2026): base_scale 1 s for
    // throttling errors, 50 ms otherwise; t_i = rand·min(base·2^(n−1), 20 s).
    let c = config(&[
        ("backoff.base_ms", "50"),
        ("backoff.throttle_base_ms", "1000"),
        ("backoff.cap_ms", "20000"),
        ("jitter.kind", "full"),
    ]);
    assert_eq!(jitter::envelope_for(&c, 1, false), (0, 50));
    assert_eq!(jitter::envelope_for(&c, 1, true), (0, 1000));
    assert_eq!(jitter::envelope_for(&c, 6, true), (0, 20_000));
    // standard.py:703-760 RetryQuotaChecker: cost 14, throttling 5; a success after retries gives
    // back the last acquisition, one without retries gives 1 (quota.py caps at 500).
    let mut b = PolicyConfig::default().budget;
    b.kind = BudgetKind::TokenBucketRefund;
    b.retry_cost = 14;
    b.timeout_cost = 14;
    b.throttle_cost = 5;
    let mut budget = Budget::new(&b);
    assert_eq!(budget.charge(0, RetryCause::Failure), Some(14));
    assert_eq!(budget.charge(0, RetryCause::Throttling), Some(5));
    assert_eq!(budget.tokens(), Some(481));
    budget.on_call_success(0, Some(5));
    assert_eq!(budget.tokens(), Some(486));
    budget.on_call_success(0, None);
    assert_eq!(budget.tokens(), Some(487));
    // The plain token bucket keeps its fixed refill.
    b.kind = BudgetKind::TokenBucket;
    let mut fixed = Budget::new(&b);
    assert_eq!(fixed.charge(0, RetryCause::Throttling), Some(14));
    fixed.on_call_success(0, Some(14));
    assert_eq!(fixed.tokens(), Some(487));

    // Through a call: a 429 then success refunds exactly what the retry took.
    let mut p = c.clone();
    p.budget = b.clone();
    p.budget.kind = BudgetKind::TokenBucketRefund;
    let config = Arc::new(p);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let script = [
        Scripted {
            latency_ms: 5,
            outcome: Outcome::Response {
                status: 429,
                retry_after_ms: None,
            },
        },
        Scripted {
            latency_ms: 5,
            outcome: Outcome::Response {
                status: 200,
                retry_after_ms: None,
            },
        },
    ];
    let (_, steps) = run(
        &config,
        0,
        RequestKind::Idempotent,
        &mut client,
        &mut rng,
        &script,
    );
    let envelope = steps.iter().find_map(|(_, s)| match s {
        Step::Sleep {
            reason: SleepReason::Backoff { envelope_ms, .. },
            ..
        } => Some(*envelope_ms),
        _ => None,
    });
    assert_eq!(envelope, Some((0, 1000)), "a 429 uses the throttling base");
    assert_eq!(client.budget_tokens(), Some(500));
}

fn cases(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x11B5),
        ..ProptestConfig::default()
    };
    if cfg!(target_arch = "wasm32") {
        config.failure_persistence = None;
    }
    config
}

fn new_kind() -> impl Strategy<Value = (BackoffKind, JitterKind)> {
    (
        prop_oneof![
            Just(BackoffKind::Exponential),
            Just(BackoffKind::ExponentialFloor),
            Just(BackoffKind::Constant),
            Just(BackoffKind::Linear)
        ],
        prop_oneof![
            Just(JitterKind::RatioAfterCap),
            Just(JitterKind::Randomized),
            Just(JitterKind::DecorrelatedV2),
            Just(JitterKind::Full),
            Just(JitterKind::Additive)
        ],
    )
}

prop_compose! {
    fn library_config()(
        (backoff, jitter) in new_kind(), base in 0u64..5000, cap in 0u64..100_000, multiplier in 1.0f64..4.0,
        ratio in 0.0f64..=1.0, additive in 0u64..3000, first in any::<bool>(), throttle_base in 0u64..3000,
    ) -> PolicyConfig {
        let mut c = PolicyConfig::default();
        c.backoff.kind = backoff;
        c.backoff.base_ms = base;
        c.backoff.cap_ms = cap;
        c.backoff.multiplier = multiplier;
        c.backoff.first_retry_immediate = first;
        c.backoff.throttle_base_ms = throttle_base;
        c.jitter.kind = jitter;
        c.jitter.ratio = ratio;
        c.jitter.additive_ms = additive;
        c
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// Every draw lies in its envelope; the envelope lies under the cap
    /// (`ratio_after_cap`: under cap·(1 + r), its point).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn new_kinds_stay_in_their_envelopes(c in library_config(), seed in any::<u64>(), throttled in any::<bool>(), retries in 1u32..40) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut state = DrawState::new(&c);
        let ceiling = match c.jitter.kind {
            JitterKind::RatioAfterCap => (c.backoff.cap_ms as f64 * (1.0 + c.jitter.ratio)).floor() as u64,
            _ => c.backoff.cap_ms,
        };
        for n in 1..=retries {
            let (lo, hi) = jitter::envelope_for(&c, n, throttled);
            prop_assert!(lo <= hi && hi <= ceiling, "seed {}: envelope {:?} of retry {} above {}", seed, (lo, hi), n, ceiling);
            let d = jitter::draw(&c, n, throttled, &mut state, &mut rng);
            prop_assert!(lo <= d && d <= hi, "seed {}: retry {}: {} outside [{}, {}]", seed, n, d, lo, hi);
        }
    }

    /// One seed, one sequence of delays.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn new_kinds_are_deterministic(c in library_config(), seed in any::<u64>()) {
        let plan = |seed| policy::schedule(&c, &mut ChaCha8Rng::seed_from_u64(seed));
        prop_assert_eq!(plan(seed), plan(seed));
    }

    /// The refunding bucket never holds more than its capacity nor goes negative.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_refunding_bucket_stays_in_bounds(capacity in 0u64..100, costs in proptest::array::uniform3(0u64..20), ops in proptest::collection::vec(0u8..5, 0..200)) {
        let mut b = PolicyConfig::default().budget;
        b.kind = BudgetKind::TokenBucketRefund;
        b.capacity = capacity;
        [b.retry_cost, b.timeout_cost, b.throttle_cost] = costs;
        let mut budget = Budget::new(&b);
        let mut last = None;
        for op in ops {
            let before = budget.tokens().unwrap_or(0);
            let cause = [RetryCause::Failure, RetryCause::Timeout, RetryCause::Throttling].get(usize::from(op)).copied();
            match cause {
                Some(cause) => {
                    let taken = budget.charge(0, cause);
                    let after = budget.tokens().unwrap_or(0);
                    match taken {
                        Some(cost) => prop_assert_eq!(after + cost, before),
                        None => prop_assert_eq!(after, before, "a refused retry takes nothing"),
                    }
                    last = taken.or(last);
                }
                None if op == 3 => {
                    budget.on_call_success(0, last);
                    last = None;
                }
                None => budget.on_call_success(0, None),
            }
            let after = budget.tokens().unwrap_or(0);
            prop_assert!(after <= capacity, "{} > {}", after, capacity);
        }
    }

    /// Whole calls under the new kinds, Retry-After kinds and the refunding
    /// bucket: every backoff sleep lies in its envelope (throttled or not),
    /// every Retry-After sleep follows its kind's formula, and the bucket
    /// stays within its capacity.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn calls_follow_the_library_formulas(
        mut c in library_config(), seed in any::<u64>(),
        ra_kind in prop_oneof![Just(RetryAfterKind::Capped), Just(RetryAfterKind::Envoy), Just(RetryAfterKind::Aws)],
        ra_cap in 0u64..20_000, capacity in 0u64..80, costs in proptest::array::uniform3(0u64..20),
        statuses in proptest::collection::vec((prop_oneof![Just(429u16), Just(500), Just(503), Just(200)], proptest::option::of(0u64..30_000)), 0..10),
    ) {
        c.attempts.max = 6;
        c.retry_after.kind = ra_kind;
        c.retry_after.cap_ms = ra_cap;
        c.budget.kind = BudgetKind::TokenBucketRefund;
        c.budget.capacity = capacity;
        [c.budget.retry_cost, c.budget.timeout_cost, c.budget.throttle_cost] = costs;
        let config = Arc::new(c.clone());
        let mut client = ClientState::new(&config);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let script: Vec<Scripted> = statuses
            .iter()
            .map(|(status, retry_after_ms)| Scripted { latency_ms: 3, outcome: Outcome::Response { status: *status, retry_after_ms: *retry_after_ms } })
            .collect();
        for start in [0, 100_000] {
            let (_, steps) = run(&config, start, RequestKind::Idempotent, &mut client, &mut rng, &script);
            prop_assert!(client.budget_tokens().is_some_and(|t| t <= capacity), "seed {}: bucket over capacity", seed);
            for (now, step) in &steps {
                let Step::Sleep { until_ms, reason } = step else { continue };
                match reason {
                    SleepReason::Backoff { retry, planned_ms, envelope_ms } => {
                        let plain = jitter::envelope_for(&c, *retry, false);
                        let throttled = jitter::envelope_for(&c, *retry, true);
                        prop_assert!(*envelope_ms == plain || *envelope_ms == throttled, "seed {}: envelope {:?}", seed, envelope_ms);
                        prop_assert!(envelope_ms.0 <= *planned_ms && *planned_ms <= envelope_ms.1, "seed {}: {} outside {:?}", seed, planned_ms, envelope_ms);
                        prop_assert_eq!(until_ms - now, *planned_ms);
                    }
                    SleepReason::RateLimited { .. } => prop_assert!(false, "seed {}: no rate limiter here", seed),
                    SleepReason::RetryAfter { server_ms: v, capped_ms: s } => {
                        let (v, s) = (*v, *s);
                        match ra_kind {
                            RetryAfterKind::Capped => prop_assert_eq!(s, v.min(ra_cap)),
                            RetryAfterKind::Envoy => {
                                prop_assert!(v <= ra_cap, "seed {}: {} above the cap was obeyed", seed, v);
                                prop_assert!(v <= s && s <= v + v / 2, "seed {}: {} outside [{}, 1.5·{}]", seed, s, v, v);
                            }
                            RetryAfterKind::Grpc => prop_assert!(false, "seed {}: grpc reads only grpc-retry-pushback-ms, not Retry-After", seed),
                            RetryAfterKind::Aws => {
                                // s = max(t, min(v, t + cap)) with t in the backoff envelope.
                                let retry = steps.iter().filter(|(_, st)| matches!(st, Step::Send { .. })).count() as u32;
                                let hi = jitter::envelope_for(&c, retry.max(1), true).1.max(jitter::envelope_for(&c, retry.max(1), false).1);
                                prop_assert!(s >= v.min(ra_cap), "seed {}: {} below min(v, cap)", seed, s);
                                prop_assert!(s <= hi.max(v.min(hi.saturating_add(ra_cap))), "seed {}: {} too long", seed, s);
                            }
                        }
                        prop_assert_eq!(until_ms - now, s);
                    }
                }
            }
        }
    }
}
