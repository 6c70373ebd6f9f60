//! The simulator: determinism (a golden trace checked on native and wasm),
//! and the trace's bookkeeping agrees with the server's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::sim::{self, RunConfig};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("golden/trace.json");

/// A small run that touches every part of a trace: keyed creates with lost
/// replies, a breaker, a budget, jitter draws, Retry-After.
fn golden_config() -> RunConfig {
    let mut config = RunConfig::default();
    for (k, v) in [
        ("sim.clients", "3"),
        ("sim.calls", "2"),
        ("sim.operation", "create"),
        ("sim.net_jitter_ms", "3"),
        ("endpoint.create", "idempotency_key"),
        ("idempotency.key", "true"),
        ("endpoint.fault.commit_lose", "0.2"),
        ("endpoint.fault.503", "0.2"),
        ("endpoint.fault.429", "0.1"),
        ("endpoint.latency.kind", "long_tail"),
        ("jitter.kind", "full"),
        ("backoff.base_ms", "50"),
        ("attempts.timeout_ms", "400"),
        ("attempts.max", "4"),
        ("breaker.kind", "consecutive"),
        ("budget.kind", "token_bucket"),
    ] {
        config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    config
}

fn trace_json(seed: u64) -> String {
    serde_json::to_string_pretty(&sim::run(&golden_config(), seed))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_seed_and_config_give_the_golden_trace_byte_for_byte() {
    let json = trace_json(20);
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/trace.json");
        std::fs::write(path, format!("{json}\n")).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    assert!(
        json == GOLDEN.trim_end(),
        "seed 20: trace differs from tests/golden/trace.json (UPDATE_GOLDEN=1 rewrites it)"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn same_seed_same_trace_and_different_seeds_differ() {
    assert_eq!(trace_json(5), trace_json(5));
    assert_ne!(trace_json(5), trace_json(6));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_trace_agrees_with_the_server_and_the_summary() {
    for seed in 1..=5 {
        let trace = sim::run(&golden_config(), seed);
        let s = trace.summary();
        let config = golden_config();
        assert_eq!(
            s.calls,
            u64::from(config.scenario.clients * config.scenario.calls_per_client),
            "seed {seed}"
        );
        let requests: u64 = trace
            .calls
            .iter()
            .flat_map(|c| &c.attempts)
            .map(|a| u64::from(a.requests))
            .sum();
        assert_eq!(
            requests, trace.counters.requests_received,
            "seed {seed}: attempts' requests = server requests"
        );
        assert_eq!(
            s.succeeded + s.gave_up.values().sum::<u64>() + s.unfinished,
            s.calls,
            "seed {seed}"
        );
        assert!(
            (s.amplification - s.server_requests as f64 / s.calls as f64).abs() < 1e-9,
            "seed {seed}"
        );
        for c in &trace.calls {
            let keys: Vec<_> = c
                .attempts
                .iter()
                .map(|_| c.idempotency_key.clone())
                .collect();
            assert!(keys.iter().all(|k| k.is_some()), "seed {seed}: keyed calls");
            for w in c.attempts.windows(2) {
                assert!(
                    w[0].end_ms.unwrap_or(u64::MAX) <= w[1].start_ms,
                    "seed {seed}: attempts of a call never overlap"
                );
            }
        }
        let arrivals: u64 = trace.server_load.iter().map(|l| l.arrivals).sum();
        assert_eq!(
            arrivals, trace.counters.requests_received,
            "seed {seed}: the load series counts every request"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn naive_post_with_lost_replies_duplicates_and_check_then_create_races() {
    let mut naive = RunConfig::default();
    for (k, v) in [
        ("sim.operation", "create"),
        ("endpoint.fault.commit_lose", "0.3"),
        ("endpoint.commit_lose_as", "reset"),
    ] {
        naive.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(sim::run(&naive, 1).summary().duplicates > 0);

    let mut racy = RunConfig::default();
    for (k, v) in [
        ("sim.operation", "create"),
        ("endpoint.create", "check_then_create"),
        ("sim.shared_names", "true"),
        ("sim.clients", "10"),
    ] {
        racy.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(
        sim::run(&racy, 1).summary().duplicates > 0,
        "10 clients check at once, all see 404, all create"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn run_config_knobs_dispatch_by_prefix_and_errors_name_the_knob() {
    let mut config = RunConfig::default();
    config
        .set("sim.clients", "7")
        .unwrap_or_else(|e| panic!("{e}"));
    config
        .set("endpoint.fault.503", "0.5")
        .unwrap_or_else(|e| panic!("{e}"));
    config
        .set("attempts.max", "9")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.get("sim.clients").as_deref(), Some("7"));
    assert_eq!(config.scenario.clients, 7);
    let changed: Vec<String> = config.changed_knobs().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        changed,
        ["attempts.max", "endpoint.fault.503", "sim.clients"]
    );

    let before = config.clone();
    let unknown = config
        .set("sim.clientz", "3")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        unknown.contains("sim.clientz")
            && unknown.contains("sim.clients")
            && unknown.contains("attempts.max"),
        "{unknown}"
    );
    let bad = config
        .set("sim.clients", "many")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        bad.contains("sim.clients") && bad.contains("1 to 100000"),
        "{bad}"
    );
    assert_eq!(config, before, "a refused change keeps the config");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn breaker_open_time_never_exceeds_clients_times_the_run() {
    let preset = flaky::presets::find("circuit-breaker").unwrap_or_else(|e| panic!("{e}"));
    for seed in 1..=3 {
        let trace = sim::run(&preset.config, seed);
        let s = trace.summary();
        let clients = u64::from(preset.config.scenario.clients);
        assert!(s.breaker_open_ms > 0, "seed {seed}");
        assert!(
            s.breaker_open_ms <= clients * trace.end_ms,
            "seed {seed}: {} > {clients} × {}",
            s.breaker_open_ms,
            trace.end_ms
        );
        assert_eq!(
            trace.end_ms, s.time_to_drain_ms,
            "seed {seed}: the run ends when its last call does"
        );
    }
}
