//! Beyond the chapter, the client side: layered retries, hedged requests,
//! adaptive throttling and bulkheads. Each lesson's numbers over several
//! seeds (a failure names the seed), and the mechanisms' traces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::presets;
use flaky::sim::{self, AttemptOutcome, RunConfig, Summary};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SEEDS: std::ops::RangeInclusive<u64> = 1..=4;

fn preset(id: &str) -> RunConfig {
    presets::find(id).unwrap_or_else(|e| panic!("{e}")).config
}

fn with(config: &RunConfig, knobs: &[(&str, &str)]) -> RunConfig {
    let mut config = config.clone();
    for (k, v) in knobs {
        config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    config
}

fn summary(config: &RunConfig, seed: u64) -> Summary {
    sim::run_with(config, seed, flaky::engine::EngineOptions::lanes(0)).summary()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn layered_retries_multiply_and_retrying_at_the_top_only_does_not() {
    for seed in SEEDS {
        let every = summary(&preset("layered-retries"), seed).requests_per_layer();
        let top_only = summary(&preset("layered-retries-top-only"), seed).requests_per_layer();
        assert_eq!(
            every.len(),
            4,
            "seed {seed}: 3 layers and the endpoint: {every:?}"
        );
        let (calls, bottom) = (every[0], every[3]);
        assert!(calls > 0 && bottom >= 20 * calls, "seed {seed}: {every:?}");
        let (calls, bottom) = (top_only[0], top_only[3]);
        assert!(
            calls > 0 && bottom as f64 <= 3.5 * calls as f64,
            "seed {seed}: {top_only:?}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn each_layer_receives_the_attempts_of_the_one_above() {
    let config = preset("layered-retries");
    let s = summary(&config, 7);
    // An endpoint that is down: every call at every layer uses all 3 attempts.
    assert_eq!(s.requests_per_layer(), [50, 150, 450, 1350]);
    assert_eq!(s.server_requests, 1350);
    assert_eq!(s.attempts, 1350, "the lanes count the endpoint's requests");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn an_upper_layers_timeout_cancels_the_calls_below() {
    // The bottom's retries take longer than the top's 300 ms per attempt.
    let config = with(
        &preset("layered-retries"),
        &[
            ("sim.layers", "2"),
            ("attempts.timeout_ms", "300"),
            ("sim.clients", "1"),
        ],
    );
    let trace = sim::run(&config, 3);
    let s = trace.summary();
    // Each top attempt (300 ms) sees two bottom requests (0-60, 160-220 ms)
    // and is cut in the bottom's second sleep (220-420 ms).
    assert_eq!(s.requests_per_layer(), [1, 3, 6]);
    let lane = &trace.calls[0];
    assert_eq!(
        lane.end_ms,
        Some(1200),
        "three top attempts of 300 ms and two sleeps: {lane:?}"
    );
    // The cut sleep ends at the cut: the lane's waits never overlap.
    for pair in lane.sleeps.windows(2) {
        assert!(pair[0].until_ms <= pair[1].from_ms, "{lane:?}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn hedging_cuts_the_p99_at_least_in_half_for_at_most_15_percent_more_requests() {
    for seed in SEEDS {
        let hedged = summary(&preset("hedging"), seed);
        let plain = summary(&preset("no-hedging"), seed);
        assert!(
            plain.latency_ms_p99 >= 2 * hedged.latency_ms_p99,
            "seed {seed}: p99 {} without hedging, {} with",
            plain.latency_ms_p99,
            hedged.latency_ms_p99
        );
        assert!(
            hedged.server_requests as f64 <= 1.15 * plain.server_requests as f64,
            "seed {seed}: {} requests with hedging, {} without",
            hedged.server_requests,
            plain.server_requests
        );
        assert!(hedged.hedged_attempts > 0, "seed {seed}");
        assert_eq!(plain.hedged_attempts, 0, "seed {seed}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_trace_shows_overlapping_hedges_and_the_cancelled_loser() {
    let config = with(&preset("hedging"), &[("sim.clients", "40")]);
    let trace = sim::run(&config, 2);
    let s = trace.summary();
    let hedges: Vec<_> = trace
        .calls
        .iter()
        .flat_map(|c| c.attempts.iter().filter(|a| a.hedge).map(move |a| (c, a)))
        .collect();
    assert_eq!(hedges.len() as u64, s.hedged_attempts);
    assert!(!hedges.is_empty());
    for (call, hedge) in hedges {
        let first = &call.attempts[0];
        // The hedge started while the first attempt was still out.
        assert!(hedge.start_ms > first.start_ms, "{call:?}");
        assert!(
            first.end_ms.is_none_or(|end| end >= hedge.start_ms),
            "{call:?}"
        );
        let cancelled = call
            .attempts
            .iter()
            .filter(|a| a.outcome == Some(AttemptOutcome::Cancelled))
            .count();
        let won = call
            .attempts
            .iter()
            .filter(|a| a.outcome == Some(AttemptOutcome::Status(200)))
            .count();
        assert_eq!(
            (won, cancelled),
            (1, 1),
            "one winner, one cancelled: {call:?}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_throttle_rejects_locally_and_sends_nothing_for_it() {
    let config = with(
        &RunConfig::default(),
        &[
            ("sim.clients", "5"),
            ("sim.calls", "100"),
            ("backoff.base_ms", "10"),
            ("endpoint.outage.start_ms", "0"),
            ("endpoint.outage.duration_ms", "5000"),
            ("throttle.kind", "adaptive"),
        ],
    );
    for seed in SEEDS {
        let trace = sim::run(&config, seed);
        let s = trace.summary();
        let off = summary(&with(&config, &[("throttle.kind", "none")]), seed);
        assert!(s.throttled_locally > 20, "seed {seed}: {s:?}");
        assert_eq!(off.throttled_locally, 0);
        // attempts counts what was sent; every sent attempt is one request.
        assert_eq!(s.attempts, s.server_requests, "seed {seed}");
        let bars = trace.calls.iter().flat_map(|c| &c.attempts);
        let rejected: Vec<_> = bars
            .filter(|a| a.outcome == Some(AttemptOutcome::ThrottledLocally))
            .collect();
        assert_eq!(rejected.len() as u64, s.throttled_locally, "seed {seed}");
        assert!(rejected
            .iter()
            .all(|a| a.requests == 0 && a.end_ms == Some(a.start_ms)));
        // During the outage the throttle spares the endpoint requests.
        assert!(
            s.server_requests < off.server_requests,
            "seed {seed}: {} with the throttle, {} without",
            s.server_requests,
            off.server_requests
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_bulkhead_bounds_the_calls_a_slow_endpoint_holds() {
    let config = preset("bulkhead");
    for seed in SEEDS {
        let limited = summary(&config, seed);
        let open = summary(&with(&config, &[("client.max_in_flight", "0")]), seed);
        let waiting = summary(&with(&config, &[("client.when_full", "wait")]), seed);
        let full = limited.gave_up.get("BulkheadFull").copied().unwrap_or(0);
        assert!(full > limited.calls / 2, "seed {seed}: {limited:?}");
        assert_eq!(limited.succeeded + full, limited.calls, "seed {seed}");
        assert!(
            limited.server_in_flight_max <= 40,
            "seed {seed}: {limited:?}"
        );
        assert!(open.server_in_flight_max >= 300, "seed {seed}: {open:?}");
        assert_eq!(open.gave_up.get("BulkheadFull"), None, "seed {seed}");
        // Waiting instead: nothing fails, the bound holds, the queue costs latency.
        assert_eq!(waiting.succeeded, waiting.calls, "seed {seed}");
        assert!(waiting.server_in_flight_max <= 40, "seed {seed}");
        assert!(
            waiting.latency_ms_p50 > 5 * open.latency_ms_p50,
            "seed {seed}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn adaptive_throttling_ends_the_metastable_storm() {
    let storm = preset("metastable-storm");
    let adaptive = preset("metastable-adaptive");
    // The same world: only the throttle's four knobs differ.
    let changed = adaptive.knobs_differing_from(&storm);
    assert!(
        changed.iter().all(|(k, _)| k.starts_with("throttle.")),
        "{changed:?}"
    );
    assert_eq!(adaptive.policy.throttle.k, 2.0);
    for seed in SEEDS {
        let s = summary(&adaptive, seed);
        let recovered = s
            .recovered_ms
            .unwrap_or_else(|| panic!("seed {seed}: never recovered: {s:?}"));
        assert!(
            recovered < 15_000,
            "seed {seed}: recovered after {recovered} ms"
        );
        assert!(s.throttled_locally > 0, "seed {seed}");
        assert_eq!(
            s.gave_up.get("ThrottledLocally").copied(),
            Some(s.throttled_locally),
            "seed {seed}: each local rejection fails its call"
        );
        // Try next: a ten times slower throttle does not end the storm in time.
        let slow = summary(&with(&adaptive, &[("throttle.window_ms", "10000")]), seed);
        assert!(
            slow.recovered_ms.is_none_or(|ms| ms >= 15_000),
            "seed {seed}: {:?}",
            slow.recovered_ms
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn each_lessons_policy_b_is_its_try_next() {
    let b = |id: &str| {
        let p = presets::find(id).unwrap_or_else(|e| panic!("{e}"));
        let mut config = p.config.clone();
        config.policy = p.config_b.unwrap_or_else(|| panic!("{id} has a B"));
        (p.config, config)
    };
    let (hedging, without) = b("hedging");
    assert_eq!(without, preset("no-hedging"), "hedging's B is no-hedging");
    let (plain, with_hedges) = b("no-hedging");
    assert_eq!(with_hedges, hedging, "no-hedging's B is hedging");
    assert_eq!(plain, preset("no-hedging"));
    let (fail, wait) = b("bulkhead");
    for seed in SEEDS {
        let (f, w) = (summary(&fail, seed), summary(&wait, seed));
        assert!(
            w.latency_ms_p50 > 2 * f.latency_ms_p99,
            "seed {seed}: waiting for the bulkhead queues calls: p50 {} waiting, p99 {} failing fast",
            w.latency_ms_p50,
            f.latency_ms_p99
        );
        assert_eq!(w.gave_up.get("BulkheadFull"), None, "seed {seed}");
    }
    let (_, slow) = b("metastable-adaptive");
    assert_eq!(slow.policy.throttle.window_ms, 10_000);
}
