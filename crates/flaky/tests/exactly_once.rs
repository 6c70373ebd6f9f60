//! Exactly once: with an Idempotency-Key on every attempt and a server that
//! honours it, no fault mix produces a duplicate create. Swarm-style: each
//! case draws its own fault mix, client count and seed (at least 100,000
//! creates in all). Native only: proptest does not build for wasm32 here.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::sim::{self, RunConfig};
use proptest::prelude::*;

const CASES: u32 = 50;
const CLIENTS: u32 = 50;
const CALLS_PER_CLIENT: u32 = 40; // 50 cases × 50 clients × 40 calls = 100,000 creates

#[derive(Clone, Debug)]
struct Mix {
    commit_lose: f64,
    reset: f64,
    hang: f64,
    status_500: f64,
    status_503: f64,
    lose_as_reset: bool,
    attempts: u32,
    timeout_ms: u64,
}

fn mix() -> impl Strategy<Value = Mix> {
    (
        0.01f64..0.3,
        0.0f64..0.15,
        0.0f64..0.1,
        0.0f64..0.15,
        0.0f64..0.15,
        any::<bool>(),
        2u32..8,
        50u64..600,
    )
        .prop_map(
            |(
                commit_lose,
                reset,
                hang,
                status_500,
                status_503,
                lose_as_reset,
                attempts,
                timeout_ms,
            )| Mix {
                commit_lose,
                reset,
                hang,
                status_500,
                status_503,
                lose_as_reset,
                attempts,
                timeout_ms,
            },
        )
}

fn config(m: &Mix, keyed: bool) -> RunConfig {
    let mut c = RunConfig::default();
    let knobs = [
        ("sim.operation", "create".to_string()),
        ("sim.clients", CLIENTS.to_string()),
        ("sim.calls", CALLS_PER_CLIENT.to_string()),
        ("sim.net_jitter_ms", "5".to_string()),
        ("endpoint.latency.kind", "long_tail".to_string()),
        (
            "endpoint.create",
            if keyed {
                "idempotency_key"
            } else {
                "naive_post"
            }
            .to_string(),
        ),
        ("idempotency.key", keyed.to_string()),
        ("endpoint.fault.commit_lose", m.commit_lose.to_string()),
        ("endpoint.fault.reset", m.reset.to_string()),
        ("endpoint.fault.hang", m.hang.to_string()),
        ("endpoint.fault.500", m.status_500.to_string()),
        ("endpoint.fault.503", m.status_503.to_string()),
        (
            "endpoint.commit_lose_as",
            if m.lose_as_reset { "reset" } else { "hang" }.to_string(),
        ),
        ("attempts.max", m.attempts.to_string()),
        ("attempts.timeout_ms", m.timeout_ms.to_string()),
        ("backoff.base_ms", "20".to_string()),
        ("jitter.kind", "full".to_string()),
    ];
    for (k, v) in knobs {
        if let Err(e) = c.set(k, &v) {
            panic!("{e}");
        }
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn idempotency_keys_make_creates_exactly_once(m in mix(), seed in any::<u64>()) {
        let trace = sim::run(&config(&m, true), seed);
        let s = trace.summary();
        prop_assert_eq!(s.calls, u64::from(CLIENTS * CALLS_PER_CLIENT), "seed {}", seed);
        prop_assert_eq!(s.duplicates, 0, "seed {}: {:?}", seed, m);
        // Every create the server applied belongs to a distinct call.
        prop_assert!(s.creates_applied <= s.calls, "seed {}", seed);
    }

    #[test]
    fn the_same_mixes_without_keys_duplicate(m in mix(), seed in any::<u64>()) {
        let s = sim::run(&config(&m, false), seed).summary();
        prop_assert!(s.duplicates > 0, "seed {}: {:?} gave no duplicates without keys", seed, m);
    }
}
