//! Properties of layered retries and hedging over random worlds (native
//! only: proptest does not build for wasm32).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::sim::{self, RunConfig};
use policy::Done;
use proptest::prelude::*;

fn with(config: &RunConfig, knobs: &[(&str, String)]) -> RunConfig {
    let mut config = config.clone();
    for (k, v) in knobs {
        config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    config
}

/// A world of faults and latencies, and a policy without jitter or shared
/// client state (breaker, budget): see each property for why.
fn world() -> impl Strategy<Value = RunConfig> {
    (
        0.0f64..0.4,
        0.0f64..0.1,
        0.0f64..0.05,
        prop_oneof![Just("fixed"), Just("uniform"), Just("long_tail")],
        1u32..5,
        prop_oneof![Just(0u64), 200u64..3000],
        prop_oneof![Just(0u64), 2000u64..20_000],
        prop_oneof![Just("exponential"), Just("constant"), Just("linear")],
    )
        .prop_map(
            |(e503, e429, hang, latency, max, timeout, deadline, backoff)| {
                with(
                    &RunConfig::default(),
                    &[
                        ("sim.clients", "20".into()),
                        ("endpoint.fault.503", e503.to_string()),
                        ("endpoint.fault.429", e429.to_string()),
                        ("endpoint.fault.hang", hang.to_string()),
                        ("endpoint.latency.kind", latency.into()),
                        ("endpoint.latency.p99_ms", "3000".into()),
                        ("attempts.max", max.to_string()),
                        ("attempts.timeout_ms", timeout.to_string()),
                        ("attempts.deadline_ms", deadline.to_string()),
                        ("backoff.kind", backoff.into()),
                        ("backoff.base_ms", "200".into()),
                    ],
                )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// With one layer, the `layer.N.*` knobs change nothing: layered mode
    /// is the plain run, trace for trace.
    #[test]
    fn one_layer_is_the_plain_run(config in world(), seed in any::<u64>(), attempts in 1u32..6, base in 0u64..2000) {
        let layered = with(&config, &[
            ("sim.layers", "1".into()),
            ("layer.2.attempts.max", attempts.to_string()),
            ("layer.2.backoff.base_ms", base.to_string()),
            ("layer.3.attempts.timeout_ms", "1".into()),
        ]);
        prop_assert_eq!(sim::run(&layered, seed), sim::run(&config, seed), "seed {}", seed);
    }

    /// A top layer that only passes calls through (one attempt, no
    /// timeout) over the plain policy meets the endpoint exactly as the
    /// plain run does. (Jitter is off: the lower layer draws its delays
    /// from its own stream.)
    #[test]
    fn a_pass_through_layer_above_changes_nothing_at_the_endpoint(config in world(), seed in any::<u64>()) {
        let mut layered = config.clone();
        layered.layers.below[0] = config.policy.clone();
        let layered = with(&layered, &[
            ("sim.layers", "2".into()),
            ("attempts.max", "1".into()),
            ("attempts.timeout_ms", "0".into()),
            ("attempts.deadline_ms", "0".into()),
        ]);
        let (a, b) = (sim::run(&config, seed).summary(), sim::run(&layered, seed).summary());
        prop_assert_eq!(a.server_requests, b.server_requests, "seed {}", seed);
        prop_assert_eq!(a.succeeded, b.succeeded, "seed {}", seed);
        prop_assert_eq!(a.attempts, b.attempts, "seed {}", seed);
        prop_assert_eq!(
            (a.latency_ms_p50, a.latency_ms_p99, a.time_to_drain_ms),
            (b.latency_ms_p50, b.latency_ms_p99, b.time_to_drain_ms),
            "seed {}", seed
        );
        prop_assert_eq!(b.requests_per_layer(), vec![20, 20, a.server_requests], "seed {}", seed);
    }

    /// Without a capacity limit, hedging never makes a call that succeeds
    /// without it end later, nor fail (same seed: every request meets the
    /// same world). A call that fails without hedging may end later with
    /// it, by at most one attempt's timeout: it waits for a hedge still out
    /// when its other attempts have failed (and that hedge may rescue it).
    ///
    /// Why it holds: attempt k meets the same world in both runs (its
    /// identity), and with hedging it is sent no later, so it ends no later;
    /// a retry waits the same backoff for the same attempt count. Where that
    /// breaks, the world is kept out: jitter (a jittered retry takes its
    /// delay from the call's draws in order, and a hedge shifts which draw a
    /// retry gets), Retry-After (the delay comes from whichever attempt
    /// ended last), a deadline (an attempt sent earlier may sleep where the
    /// later one gave up at once), no timeout (a hedge may hang forever) and
    /// the breaker and budget (state shared across calls).
    #[test]
    fn a_hedge_never_makes_a_successful_call_end_later(config in world(), seed in any::<u64>(), delay in 1u64..1500, extra in 1u32..3) {
        let timeout_ms = match config.policy.attempts.timeout_ms {
            0 => 3000,
            t => t,
        };
        let config = with(&config, &[
            ("attempts.deadline_ms", "0".into()),
            ("attempts.timeout_ms", timeout_ms.to_string()),
            ("retry_after.honor", "false".into()),
        ]);
        let hedged = with(&config, &[("hedge.delay_ms", delay.to_string()), ("hedge.max_extra", extra.to_string())]);
        let plain = sim::run(&config, seed);
        let hedged = sim::run(&hedged, seed);
        for (p, h) in plain.calls.iter().zip(&hedged.calls) {
            prop_assert_eq!(p.id, h.id);
            let succeeded = |c: &flaky::sim::CallTrace| matches!(c.result, Some(Done::Succeeded { .. }));
            let (p_end, h_end) = (p.end_ms.unwrap_or(u64::MAX), h.end_ms.unwrap_or(u64::MAX));
            if succeeded(p) {
                prop_assert!(succeeded(h) && h_end <= p_end, "seed {}: call {} succeeds at {} plain, hedged: {:?} at {}", seed, p.id, p_end, h.result, h_end);
            } else if !succeeded(h) {
                prop_assert!(h_end <= p_end.saturating_add(timeout_ms), "seed {}: call {} ends at {} hedged, {} plain", seed, p.id, h_end, p_end);
            }
        }
    }
}
