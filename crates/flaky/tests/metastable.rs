//! The metastable lessons (`presets.json`, deck "beyond"): a retry storm that
//! outlives a 5 s outage, and two ways out. Each check runs over several
//! seeds; a failure names the seed. The runs are summary only (no lanes).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::engine::EngineOptions;
use flaky::presets::{self, Deck};
use flaky::sim::{self, RunConfig, Summary};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SEEDS: std::ops::RangeInclusive<u64> = 1..=4;
/// "Recovers": healthy again within this long after the outage, ms.
const RECOVERED_MS_MAX: u64 = 15_000;

fn config(id: &str) -> RunConfig {
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
    sim::run_with(config, seed, EngineOptions::lanes(0)).summary()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_lessons_are_in_the_beyond_deck_and_share_one_world() {
    let ids: Vec<String> = presets::deck(Deck::Beyond)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|p| p.id)
        .collect();
    for id in [
        "metastable-storm",
        "metastable-budget",
        "metastable-shedding",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} in {ids:?}");
    }
    let storm = config("metastable-storm");
    // The same world: only the budget or the shedding differs.
    assert_eq!(
        config("metastable-budget")
            .knobs_differing_from(&storm)
            .len(),
        3
    );
    assert_eq!(
        config("metastable-shedding")
            .knobs_differing_from(&storm)
            .len(),
        2
    );
    assert_eq!(storm.get("endpoint.outages").as_deref(), Some("10000+5000"));
    assert_eq!(storm.get("sim.horizon_ms").as_deref(), Some("60000"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_storm_outlives_its_outage() {
    let storm = config("metastable-storm");
    let calm = with(&storm, &[("endpoint.outages", "none")]);
    for seed in SEEDS {
        let s = summary(&storm, seed);
        assert_eq!(
            s.recovered_ms, None,
            "seed {seed}: the storm never ends within 60 s"
        );
        let c = summary(&calm, seed);
        assert!(
            c.recovered_ms.is_some(),
            "seed {seed}: without the outage the run is healthy"
        );
        // Goodput collapses: under a third of the outage-free run's.
        assert!(
            s.goodput * 3.0 < c.goodput,
            "seed {seed}: goodput {} vs {} without the outage",
            s.goodput,
            c.goodput
        );
        // The server is busy all along: the retries more than fill it.
        assert!(
            s.server_requests > 2 * c.server_requests,
            "seed {seed}: {} requests vs {}",
            s.server_requests,
            c.server_requests
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_retry_budget_recovers_and_a_loose_one_does_not() {
    let budget = config("metastable-budget");
    let loose = with(&budget, &[("budget.capacity", "100")]);
    for seed in SEEDS {
        let s = summary(&budget, seed);
        let recovered = s.recovered_ms.unwrap_or(u64::MAX);
        assert!(
            recovered < RECOVERED_MS_MAX,
            "seed {seed}: recovered_ms {:?}",
            s.recovered_ms
        );
        assert!(
            s.gave_up.get("BudgetExhausted").copied().unwrap_or(0) > 0,
            "seed {seed}"
        );
        assert_eq!(
            summary(&loose, seed).recovered_ms,
            None,
            "seed {seed}: try next (budget.capacity 100) brings the storm back"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn shedding_stale_work_recovers_and_shedding_too_late_does_not() {
    let shedding = config("metastable-shedding");
    let late = with(&shedding, &[("endpoint.shed.max_age_ms", "2000")]);
    for seed in SEEDS {
        let s = summary(&shedding, seed);
        let recovered = s.recovered_ms.unwrap_or(u64::MAX);
        assert!(
            recovered < RECOVERED_MS_MAX,
            "seed {seed}: recovered_ms {:?}",
            s.recovered_ms
        );
        assert!(s.shed > 0, "seed {seed}: shedding dropped nothing");
        assert_eq!(
            summary(&late, seed).recovered_ms,
            None,
            "seed {seed}: try next (max_age 2000) brings the storm back"
        );
    }
}
