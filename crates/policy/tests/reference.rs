//! Reference tables: the seed chapter's `get_with_retry`, the AWS SDK
//! standard retry mode, and gRPC's connection backoff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::sync::Arc;

use common::{run, Scripted, SeqRng, OK};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{
    backoff, jitter, schedule, unit_f64, BudgetKind, ClientState, Done, GaveUp, JitterKind,
    Outcome, PolicyConfig, RequestKind, SleepReason, Step,
};

fn status(status: u16) -> Scripted {
    Scripted {
        latency_ms: 10,
        outcome: Outcome::Response {
            status,
            retry_after_ms: None,
        },
    }
}

fn sleeps(steps: &[(u64, Step)]) -> Vec<u64> {
    steps
        .iter()
        .filter_map(|(now, s)| match s {
            Step::Sleep { until_ms, .. } => Some(until_ms - now),
            _ => None,
        })
        .collect()
}

/// The seed's `get_with_retry`: 3 attempts, sleeps `2 ** attempt` s (1 s,
/// 2 s), then raise; retry only network errors and 5xx.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn seed_get_with_retry() {
    let config = Arc::new(PolicyConfig::default());
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(1);

    let (call, steps) = run(
        &config,
        0,
        RequestKind::Idempotent,
        &mut client,
        &mut rng,
        &[status(503), status(500), status(502)],
    );
    assert_eq!(sleeps(&steps), [1000, 2000]);
    assert_eq!(call.attempts_sent(), 3);
    assert_eq!(
        steps.last().map(|s| &s.1),
        Some(&Step::Done(Done::GaveUp {
            attempts: 3,
            reason: GaveUp::AttemptsExhausted
        }))
    );
    let sends: Vec<(u64, Option<u64>)> = steps
        .iter()
        .filter_map(|(now, s)| match s {
            Step::Send { timeout_ms, .. } => Some((*now, *timeout_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(
        sends,
        [(0, Some(5000)), (1010, Some(5000)), (3020, Some(5000))]
    );

    // A network error then success: one retry after 1 s.
    let net = Scripted {
        latency_ms: 10,
        outcome: Outcome::NetworkError,
    };
    let (_, steps) = run(
        &config,
        0,
        RequestKind::Idempotent,
        &mut client,
        &mut rng,
        &[net],
    );
    assert_eq!(sleeps(&steps), [1000]);
    assert_eq!(
        steps.last().map(|s| &s.1),
        Some(&Step::Done(Done::Succeeded { attempts: 2 }))
    );

    // Never 400/401/403/404.
    for code in [400, 401, 403, 404] {
        let (_, steps) = run(
            &config,
            0,
            RequestKind::Idempotent,
            &mut client,
            &mut rng,
            &[status(code)],
        );
        assert_eq!(
            steps.last().map(|s| &s.1),
            Some(&Step::Done(Done::GaveUp {
                attempts: 1,
                reason: GaveUp::NonRetryable { status: code }
            }))
        );
    }
    // The plan agrees.
    let plan: Vec<u64> = schedule(&config, &mut rng)
        .iter()
        .map(|p| p.drawn_ms)
        .collect();
    assert_eq!(plan, [1000, 2000]);
}

fn aws_standard() -> PolicyConfig {
    let mut c = PolicyConfig::default();
    for (k, v) in [
        ("attempts.max", "0"),
        ("backoff.kind", "exponential"),
        ("backoff.base_ms", "1000"),
        ("backoff.multiplier", "2"),
        ("backoff.cap_ms", "20000"),
        ("jitter.kind", "full"),
        ("budget.kind", "token_bucket"),
        ("budget.capacity", "500"),
        ("budget.retry_cost", "5"),
        ("budget.timeout_cost", "10"),
        ("budget.success_refill", "1"),
        ("retry_after.honor", "false"),
    ] {
        c.set(k, v).unwrap();
    }
    c
}

/// AWS SDK standard mode: full jitter `rand · min(cap, base·2^(n-1))`, a
/// bucket of 500 tokens, 5 per retry, 10 per retry after a timeout.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn aws_standard_mode() {
    let config = aws_standard();
    // Fixed draws: u = 0.5, 0.25, 0, 0.75, then 0.5...
    let us = [0.5, 0.25, 0.0, 0.75, 0.5, 0.5, 0.5];
    let draws: Vec<u64> = us.iter().map(|&u| SeqRng::unit(u)).collect();
    let plan = schedule(
        &PolicyConfig {
            attempts: policy::AttemptsConfig {
                max: 8,
                ..config.attempts.clone()
            },
            ..config.clone()
        },
        &mut SeqRng::new(&draws),
    );
    let drawn: Vec<u64> = plan.iter().map(|p| p.drawn_ms).collect();
    // ceilings 1000, 2000, 4000, 8000, 16000, 20000 (cap), 20000
    assert_eq!(drawn, [500, 500, 0, 6000, 8000, 10_000, 10_000]);
    let envelopes: Vec<(u64, u64)> = plan.iter().map(|p| p.envelope_ms).collect();
    assert_eq!(
        envelopes,
        [
            (0, 1000),
            (0, 2000),
            (0, 4000),
            (0, 8000),
            (0, 16_000),
            (0, 20_000),
            (0, 20_000)
        ]
    );

    // Against ChaCha8 draws: the documented formula, computed here by hand.
    let mut a = ChaCha8Rng::seed_from_u64(42);
    let mut b = ChaCha8Rng::seed_from_u64(42);
    for n in 1..=10u32 {
        let ceiling = (1000u64 << (n - 1)).min(20_000);
        let expected = (unit_f64(&mut a) * ceiling as f64).floor() as u64;
        assert_eq!(
            jitter::draw_ms(&config, n, 0, &mut b),
            expected,
            "retry {n}"
        );
    }

    // The bucket: 100 retries empty it, the 101st is refused.
    let config = Arc::new(config);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let fail = status(500);
    let mut retries = 0;
    let mut calls = 0;
    while client.budget_tokens() != Some(0) {
        // 3 failures then success: 3 retries per call (success refills 1).
        let (_, steps) = run(
            &config,
            0,
            RequestKind::Idempotent,
            &mut client,
            &mut rng,
            &[fail, fail, fail],
        );
        retries += sleeps(&steps).len();
        calls += 1;
        assert!(calls < 1000);
    }
    // Each call: 3 retries (15 tokens) then +1 refill: 14 net.
    assert!(retries >= 100, "{retries}");
    let (_, steps) = run(
        &config,
        0,
        RequestKind::Idempotent,
        &mut client,
        &mut rng,
        &[fail],
    );
    assert_eq!(
        steps.last().map(|s| &s.1),
        Some(&Step::Done(Done::GaveUp {
            attempts: 1,
            reason: GaveUp::BudgetExhausted
        }))
    );

    // Exactly: a fresh bucket allows 100 plain retries and 50 after timeouts.
    let mut budget = policy::budget::Budget::new(&config.budget);
    assert_eq!(
        (0..1000).take_while(|_| budget.try_retry(0, false)).count(),
        100
    );
    let mut budget = policy::budget::Budget::new(&config.budget);
    assert_eq!(
        (0..1000).take_while(|_| budget.try_retry(0, true)).count(),
        50
    );
    assert_eq!(budget.tokens(), Some(0));
    assert!(!budget.try_retry(0, false));
    for _ in 0..600 {
        budget.on_success(0);
    }
    assert_eq!(budget.tokens(), Some(500), "refill stops at capacity");

    // A timed-out attempt costs 10.
    let mut client = ClientState::new(&config);
    let timeout = Scripted {
        latency_ms: 10,
        outcome: Outcome::TimedOut,
    };
    let _ = run(
        &config,
        0,
        RequestKind::Idempotent,
        &mut client,
        &mut rng,
        &[timeout, OK_AFTER],
    );
    assert_eq!(client.budget_tokens(), Some(491)); // 500 − 10 + 1
}

const OK_AFTER: Scripted = Scripted {
    latency_ms: 5,
    outcome: OK,
};

fn grpc() -> PolicyConfig {
    let mut c = PolicyConfig::default();
    for (k, v) in [
        ("attempts.max", "20"),
        ("backoff.kind", "exponential"),
        ("backoff.base_ms", "1000"),
        ("backoff.multiplier", "1.6"),
        ("backoff.cap_ms", "120000"),
        ("jitter.kind", "ratio"),
        ("jitter.ratio", "0.2"),
    ] {
        c.set(k, v).unwrap();
    }
    c
}

/// gRPC: `min(initial·multiplier^(n-1), max)·U(0.8, 1.2)`, initial 1 s,
/// multiplier 1.6, max 120 s. (gRPC lets the jitter exceed max; here the
/// delay is clamped to the cap, from retry 12 on.)
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn grpc_backoff() {
    let config = grpc();
    // gRPC computes the curve by repeated multiplication.
    let mut current = 1000.0f64;
    for n in 1..=20u32 {
        let d = current.min(120_000.0);
        assert_eq!(
            backoff::delay_ms(&config.backoff, n),
            d.round() as u64,
            "d({n})"
        );
        let (lo, hi) = jitter::envelope_ms(&config, n);
        let d = d.round();
        assert_eq!(lo, (d * 0.8).floor() as u64, "envelope min of {n}");
        assert_eq!(
            hi,
            ((d * 1.2).floor() as u64).min(120_000),
            "envelope max of {n}"
        );
        current *= 1.6;
    }
    assert_eq!(jitter::envelope_ms(&config, 1), (800, 1200));
    assert_eq!(jitter::envelope_ms(&config, 2), (1280, 1920));
    assert_eq!(jitter::envelope_ms(&config, 3), (2048, 3072));
    assert_eq!(jitter::envelope_ms(&config, 12), (96_000, 120_000));

    // Draws: u = 0 gives 0.8·d, u = 0.5 gives d, u → 1 gives 1.2·d.
    let d3 = 2560.0;
    let draw = |u: f64| jitter::draw_ms(&config, 3, 0, &mut SeqRng::new(&[SeqRng::unit(u)]));
    assert_eq!(draw(0.0), 2048);
    assert_eq!(draw(0.5), 2560);
    assert_eq!(draw(0.25), (d3 * 0.9) as u64);
    // The largest u rounds up to 1.2·d: envelopes are inclusive.
    assert_eq!(
        jitter::draw_ms(&config, 3, 0, &mut SeqRng::new(&[u64::MAX])),
        3072
    );

    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for p in schedule(&config, &mut rng) {
        assert!(
            p.envelope_ms.0 <= p.drawn_ms && p.drawn_ms <= p.envelope_ms.1,
            "{p:?}"
        );
    }
}

/// The other curves and jitters, by their formulas.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn formulas() {
    let mut c = PolicyConfig::default();
    c.backoff.cap_ms = 10_000;
    let half = |c: &PolicyConfig, n| {
        jitter::draw_ms(
            c,
            n,
            c.backoff.base_ms,
            &mut SeqRng::new(&[SeqRng::unit(0.5)]),
        )
    };
    c.jitter.kind = JitterKind::Equal;
    assert_eq!(jitter::envelope_ms(&c, 3), (2000, 4000));
    assert_eq!(half(&c, 3), 3000);
    c.jitter.kind = JitterKind::Additive;
    c.jitter.additive_ms = 500;
    assert_eq!(jitter::envelope_ms(&c, 3), (4000, 4500));
    assert_eq!(half(&c, 3), 4250);
    assert_eq!(
        jitter::envelope_ms(&c, 5),
        (10_000, 10_000),
        "clamped to the cap"
    );
    c.jitter.kind = JitterKind::Decorrelated;
    // U(base, 3·previous), previous = base: U(1000, 3000)
    assert_eq!(half(&c, 1), 2000);
    assert_eq!(jitter::envelope_ms(&c, 1), (1000, 3000));
    assert_eq!(jitter::envelope_ms(&c, 2), (1000, 9000));
    assert_eq!(jitter::envelope_ms(&c, 3), (1000, 10_000));
    assert!(policy::plan::formula(&c).contains("3·previous"));
    c.jitter.kind = JitterKind::None;
    c.backoff.kind = policy::BackoffKind::Linear;
    assert_eq!(
        [1, 2, 11].map(|n| backoff::delay_ms(&c.backoff, n)),
        [1000, 2000, 10_000]
    );

    // Retry-After wins over the draw, capped.
    let mut c = PolicyConfig::default();
    c.retry_after.cap_ms = 3000;
    let config = Arc::new(c);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let s429 = |ms| Scripted {
        latency_ms: 10,
        outcome: Outcome::Response {
            status: 429,
            retry_after_ms: Some(ms),
        },
    };
    let (_, steps) = run(
        &config,
        0,
        RequestKind::Idempotent,
        &mut client,
        &mut rng,
        &[s429(2000), s429(9000)],
    );
    let reasons: Vec<SleepReason> = steps
        .iter()
        .filter_map(|(_, s)| match s {
            Step::Sleep { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            SleepReason::RetryAfter {
                server_ms: 2000,
                capped_ms: 2000
            },
            SleepReason::RetryAfter {
                server_ms: 9000,
                capped_ms: 3000
            }
        ]
    );
    let _ = BudgetKind::None;
}
