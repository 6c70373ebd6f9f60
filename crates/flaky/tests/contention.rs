//! The AWS "Exponential Backoff And Jitter" contention study.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::contention::{self, Algorithm, ContentionConfig};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn at(clients: u32, runs: u32, seed: u64) -> ContentionConfig {
    ContentionConfig {
        clients,
        runs,
        seed,
        ..ContentionConfig::default()
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn deterministic_for_a_seed() {
    for algorithm in Algorithm::ALL {
        let a = contention::run(&at(30, 5, 11), algorithm);
        let b = contention::run(&at(30, 5, 11), algorithm);
        assert_eq!(a, b, "{algorithm} seed 11");
        let c = contention::run(&at(30, 5, 12), algorithm);
        assert_ne!(
            a.time_ms, c.time_ms,
            "{algorithm}: seeds 11 and 12 gave the same time"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn jitter_makes_fewer_calls_and_exponential_takes_longest_at_50_clients() {
    let seed = 2015;
    let config = at(50, 20, seed);
    let result = |algorithm| contention::run(&config, algorithm);
    let (none, expo, full, equal, decorr) = (
        result(Algorithm::None),
        result(Algorithm::Exponential),
        result(Algorithm::FullJitter),
        result(Algorithm::EqualJitter),
        result(Algorithm::Decorr),
    );
    assert!(
        none.calls > 1.5 * full.calls,
        "seed {seed}: None {} vs FullJitter {}",
        none.calls,
        full.calls
    );
    assert!(
        expo.calls > 1.5 * full.calls,
        "seed {seed}: Exponential {} vs FullJitter {}",
        expo.calls,
        full.calls
    );
    for other in [&none, &full, &equal, &decorr] {
        assert!(
            expo.time_ms > other.time_ms,
            "seed {seed}: Exponential {expo:?} vs {other:?}"
        );
    }
    assert!(full.calls >= 50.0 && none.calls >= 50.0);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn sweep_covers_every_cell_in_order() {
    let results = contention::sweep(&[5, 10], &at(0, 3, 1));
    assert_eq!(results.len(), 10);
    assert!(
        results[..5].iter().all(|r| r.clients == 5) && results[5..].iter().all(|r| r.clients == 10)
    );
    let names: Vec<String> = results[..5]
        .iter()
        .map(|r| r.algorithm.to_string())
        .collect();
    assert_eq!(
        names,
        ["Exponential", "Decorr", "EqualJitter", "FullJitter", "None"]
    );
    assert_eq!(
        contention::blog_client_counts(),
        (1..=19).map(|i| i * 10).collect::<Vec<u32>>()
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn algorithm_names_parse_back() {
    for algorithm in Algorithm::ALL {
        assert_eq!(algorithm.to_string().parse::<Algorithm>(), Ok(algorithm));
        assert_eq!(
            serde_json::to_string(&algorithm).unwrap(),
            format!("\"{algorithm}\"")
        );
    }
    assert!("Linear"
        .parse::<Algorithm>()
        .unwrap_err()
        .contains("FullJitter"));
}

/// The study's figures at 50 clients, seed 2015, 20 runs, to the last bit:
/// its delays come from `policy`'s curve and jitter (`backoff::exponential`,
/// `jitter::spread`, `jitter::decorrelated_bounds`), which draw exactly what
/// the study's own formulas drew before they were replaced.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn figures_at_50_clients_are_pinned() {
    let pinned = [
        (Algorithm::Exponential, 627.15, 35770.566386809565),
        (Algorithm::Decorr, 376.55, 2208.800618862174),
        (Algorithm::EqualJitter, 347.75, 4380.952160518293),
        (Algorithm::FullJitter, 333.7, 2868.0064045859367),
        (Algorithm::None, 689.35, 1144.0346539353907),
    ];
    for (algorithm, calls, time_ms) in pinned {
        let r = contention::run(&at(50, 20, 2015), algorithm);
        assert_eq!(
            (r.calls, r.time_ms),
            (calls, time_ms),
            "{algorithm}, seed 2015"
        );
    }
}
