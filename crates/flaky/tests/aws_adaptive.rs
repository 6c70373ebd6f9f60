//! The lesson `aws-adaptive-throttling` (deck "beyond"): a throttling
//! server meets the AWS standard mode (A) and the adaptive mode's client
//! rate limiter (B). Each check runs over several seeds and names the seed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::engine::EngineOptions;
use flaky::presets;
use flaky::sim::{self, RunConfig, Summary};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn summary(config: &RunConfig, seed: u64) -> Summary {
    sim::run_with(config, seed, EngineOptions::lanes(0)).summary()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_rate_limiter_stops_the_throttled_requests() {
    let preset = presets::find("aws-adaptive-throttling").unwrap();
    assert_eq!(preset.headline, "shed");
    let a = preset.config.clone();
    let mut b = a.clone();
    b.policy = preset.config_b.clone().unwrap();
    assert_eq!(b.policy.rate_limiter, policy::RateLimiterKind::AwsAdaptive);
    for seed in 1..=3 {
        let (sa, sb) = (summary(&a, seed), summary(&b, seed));
        assert!(sa.shed > 1000, "seed {seed}: A sheds {}", sa.shed);
        assert!(
            sb.shed * 20 < sa.shed,
            "seed {seed}: B sheds {} vs A {}",
            sb.shed,
            sa.shed
        );
        assert!(sb.attempts < sa.attempts, "seed {seed}: B sends less");
        // Its price: calls held back at the client, not failed at the server.
        assert!(sb.unfinished > sa.unfinished, "seed {seed}");
    }
}

/// The profile is the 2026 standard mode plus the limiter, nothing else.
#[test]
fn the_profile_is_the_standard_mode_with_a_limiter() {
    let adaptive = presets::find("lib-aws-adaptive").unwrap().config;
    let mut standard = presets::find("lib-aws-standard-2026").unwrap().config;
    standard.set("rate_limiter.kind", "aws_adaptive").unwrap();
    assert_eq!(adaptive, standard);
}
