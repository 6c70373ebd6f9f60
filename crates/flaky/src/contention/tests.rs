//! The study's own invariants: one write per client, the formulas' ranges, odd configs.

use super::*;

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_client_writes_exactly_once_per_run() {
    for algorithm in Algorithm::ALL {
        for clients in [1, 2, 17, 60] {
            let seed = u64::from(clients) * 31;
            let config = ContentionConfig {
                clients,
                seed,
                ..ContentionConfig::default()
            };
            let mut sim = Sim::new(&config, algorithm);
            let mut rng = rng::seeded(seed);
            for run in 0..5 {
                let outcome = sim.run_once(&mut rng);
                assert_eq!(
                    outcome.applied,
                    u64::from(clients),
                    "{algorithm} seed {seed} run {run}"
                );
                assert!(
                    outcome.calls >= u64::from(clients),
                    "{algorithm} seed {seed} run {run}"
                );
                assert!(
                    sim.writes_applied().all(|w| w == 1),
                    "{algorithm} clients {clients} seed {seed} run {run}: a client wrote twice or never"
                );
                assert_eq!(sim.writes_applied().count(), clients as usize);
            }
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn one_client_never_retries() {
    let config = ContentionConfig {
        clients: 1,
        runs: 10,
        ..ContentionConfig::default()
    };
    let result = run(&config, Algorithm::Exponential);
    assert_eq!(result.calls, 1.0);
    // Four messages of about 10 ms each.
    assert!(
        result.time_ms > 25.0 && result.time_ms < 55.0,
        "{}",
        result.time_ms
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn backoff_formulas() {
    let config = ContentionConfig::default();
    let mut rng = rng::seeded(9);
    let params = |algorithm| Sim::new(&config, algorithm).params;
    let mut client = Client {
        attempt: 3,
        sleep_ms: 5.0,
        writes_applied: 0,
    };
    assert_eq!(
        params(Algorithm::Exponential).backoff(&mut client, &mut rng),
        40.0
    );
    assert_eq!(params(Algorithm::None).backoff(&mut client, &mut rng), 0.0);
    client.attempt = 30;
    assert_eq!(
        params(Algorithm::Exponential).backoff(&mut client, &mut rng),
        2000.0,
        "capped"
    );
    client.attempt = 3;
    for _ in 0..1000 {
        let full = params(Algorithm::FullJitter).backoff(&mut client, &mut rng);
        assert!((0.0..40.0).contains(&full), "{full}");
        let equal = params(Algorithm::EqualJitter).backoff(&mut client, &mut rng);
        assert!((20.0..40.0).contains(&equal), "{equal}");
        let previous = client.sleep_ms;
        let decorr = params(Algorithm::Decorr).backoff(&mut client, &mut rng);
        assert!(
            decorr >= 5.0 && decorr <= (previous * 3.0).min(2000.0),
            "{decorr} after {previous}"
        );
        assert_eq!(client.sleep_ms, decorr);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn odd_configs_do_not_hang_or_panic() {
    let odd = [
        ContentionConfig {
            clients: 0,
            ..ContentionConfig::default()
        },
        ContentionConfig {
            runs: 0,
            ..ContentionConfig::default()
        },
        ContentionConfig {
            clients: 5,
            runs: 2,
            base_ms: f64::NAN,
            cap_ms: f64::INFINITY,
            net_mean_ms: -3.0,
            net_sd_ms: f64::NAN,
            seed: 1,
        },
        ContentionConfig {
            clients: 5,
            runs: 2,
            base_ms: 1e300,
            cap_ms: 1e308,
            ..ContentionConfig::default()
        },
    ];
    for config in odd {
        for algorithm in Algorithm::ALL {
            let result = run(&config, algorithm);
            assert!(
                result.time_ms.is_finite() && result.calls.is_finite(),
                "{config:?} {algorithm}: {result:?}"
            );
        }
    }
}
