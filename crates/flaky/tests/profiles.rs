//! The library profiles (`deck: "profile"` in presets.json): they load, they
//! set only client-policy knobs, and they say where their numbers come from.
//! Their delays are checked against the libraries by `crates/cli/tests/plan.rs`
//! (documented first delays) and `tests/conformance` (the real packages).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use flaky::presets::{self, Deck, PresetMode};
use policy::PolicyConfig;

const PROFILE_IDS: [&str; 12] = [
    "lib-aws-standard",
    "lib-aws-standard-2026",
    "lib-aws-adaptive",
    "lib-grpc",
    "lib-polly-http",
    "lib-resilience4j",
    "lib-urllib3",
    "lib-envoy",
    "lib-tenacity-exponential-jitter",
    "lib-ky",
    "lib-cenkalti-backoff",
    "lib-backon",
];

/// A client-policy knob: one `PolicyConfig::knobs()` lists, or `retry.status.NNN`.
fn is_policy_knob(name: &str) -> bool {
    PolicyConfig::knobs().iter().any(|k| k.name == name)
        || name
            .strip_prefix("retry.status.")
            .is_some_and(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_profile_loads_in_the_profile_deck() {
    let ids: Vec<String> = presets::deck(Deck::Profile)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|p| p.id)
        .collect();
    for id in PROFILE_IDS {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
        let p = presets::find(id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.deck, Deck::Profile, "{id}");
        assert_eq!(p.mode, PresetMode::Simulated, "{id}");
        assert_eq!(p.headline, "amplification", "{id}");
        assert!(
            p.explanation.contains("approximate"),
            "{id}: say what the model approximates"
        );
        assert!(
            p.chapter.contains('/') || p.chapter.contains(".py") || p.chapter.contains(".go"),
            "{id}: `chapter` names the source file: {}",
            p.chapter
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn profiles_set_only_client_policy_knobs() {
    let sources: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../presets.json")).unwrap_or_else(|e| panic!("{e}"));
    let profiles: Vec<&serde_json::Value> =
        sources.iter().filter(|p| p["deck"] == "profile").collect();
    assert!(profiles.len() >= PROFILE_IDS.len());
    for p in profiles {
        let set = p["set"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no set", p["id"]));
        for name in set.keys() {
            assert!(
                is_policy_knob(name),
                "{}: `{name}` is not a client-policy knob",
                p["id"]
            );
        }
        // Loading it changes nothing but the policy.
        let preset =
            presets::find(p["id"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        let defaults = flaky::sim::RunConfig::default();
        assert_eq!(preset.config.endpoint, defaults.endpoint, "{}", p["id"]);
        assert_eq!(preset.config.scenario, defaults.scenario, "{}", p["id"]);
    }
    assert!(!is_policy_knob("endpoint.fault.503"));
    assert!(!is_policy_knob("sim.clients"));
}
