//! `playground plan`: the shape of its output, determinism, bad input, and
//! each library profile's plan against the library's documented first delays
//! (the source of each number is in the profile's `chapter` and below).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use common::{bad, json, ok};
use serde_json::Value;

/// `(envelope, samples)` per retry of `playground plan ARGS --format json`.
fn plan(args: &[&str]) -> Vec<((u64, u64), Vec<u64>)> {
    let mut all = vec!["plan", "--format", "json"];
    all.extend_from_slice(args);
    let v: Value = json(&all);
    let retries = v["retries"]
        .as_array()
        .unwrap_or_else(|| panic!("no retries: {v}"));
    retries
        .iter()
        .enumerate()
        .map(|(i, r)| {
            assert_eq!(r["retry"].as_u64(), Some(i as u64 + 1), "{r}");
            let env = r["envelope_ms"].as_array().unwrap_or_else(|| panic!("{r}"));
            let n = |x: &Value| {
                x.as_u64()
                    .unwrap_or_else(|| panic!("not a whole number: {x}"))
            };
            let samples = r["samples_ms"].as_array().unwrap_or_else(|| panic!("{r}"));
            ((n(&env[0]), n(&env[1])), samples.iter().map(n).collect())
        })
        .collect()
}

fn envelopes(preset: &str, retries: &str) -> Vec<(u64, u64)> {
    plan(&["--preset", preset, "--retries", retries, "--samples", "1"])
        .into_iter()
        .map(|(e, _)| e)
        .collect()
}

fn median(preset: &str, retry: usize) -> u64 {
    let p = plan(&[
        "--preset",
        preset,
        "--samples",
        "4001",
        "--retries",
        &retry.to_string(),
    ]);
    let mut s = p[retry - 1].1.clone();
    s.sort_unstable();
    s[s.len() / 2]
}

#[test]
fn plan_prints_envelopes_and_seeded_samples() {
    let p = plan(&["--set", "jitter.kind=full", "--samples", "5", "--seed", "3"]);
    assert_eq!(p.len(), 2, "attempts.max 3: two retries");
    assert_eq!(p[0].0, (0, 1000));
    assert_eq!(p[1].0, (0, 2000));
    for (env, samples) in &p {
        assert_eq!(samples.len(), 5);
        assert!(
            samples.iter().all(|d| (env.0..=env.1).contains(d)),
            "{samples:?} outside {env:?}"
        );
    }
    assert_eq!(
        p,
        plan(&["--set", "jitter.kind=full", "--samples", "5", "--seed", "3"])
    );
    assert_ne!(
        p,
        plan(&["--set", "jitter.kind=full", "--samples", "5", "--seed", "4"])
    );
    let csv = ok(&["plan", "--format", "csv", "--samples", "2"]);
    assert_eq!(
        csv,
        "retry,sample,delay_ms,envelope_lo_ms,envelope_hi_ms\n1,1,1000,1000,1000\n1,2,1000,1000,1000\n2,1,2000,2000,2000\n2,2,2000,2000,2000\n"
    );
}

#[test]
fn plan_refuses_bad_input() {
    bad(&["plan", "--samples", "0"], &["--samples", "0"]);
    bad(&["plan", "--retries", "0"], &["--retries"]);
    bad(&["plan", "--preset", "lib-nope"], &["lib-nope", "lib-grpc"]);
    bad(
        &["plan", "--set", "jitter.kind=wobbly"],
        &["jitter.kind", "wobbly", "decorrelated_v2"],
    );
    bad(&["plan", "--format", "table"], &["table", "json", "csv"]);
    bad(
        &["plan", "--samples", "1000000", "--retries", "1000"],
        &["--samples", "draws"],
    );
}

#[test]
fn profiles_plan_their_libraries_first_delays() {
    // botocore standard.py before 2026: rand·min(2^(n−1), 20) s.
    assert_eq!(
        envelopes("lib-aws-standard", "6"),
        [
            (0, 1000),
            (0, 2000),
            (0, 4000),
            (0, 8000),
            (0, 16_000),
            (0, 20_000)
        ]
    );
    // botocore 1.44 standard.py: 50 ms base, 1 s for throttling, cap 20 s.
    assert_eq!(envelopes("lib-aws-standard-2026", "2"), [(0, 50), (0, 100)]);
    let throttled: Vec<(u64, u64)> = plan(&[
        "--preset",
        "lib-aws-standard-2026",
        "--throttled",
        "--samples",
        "1",
        "--retries",
        "6",
    ])
    .into_iter()
    .map(|(e, _)| e)
    .collect();
    assert_eq!(
        throttled,
        [
            (0, 1000),
            (0, 2000),
            (0, 4000),
            (0, 8000),
            (0, 16_000),
            (0, 20_000)
        ]
    );
    // A6: min(0.1·2^(n−1), 1) s · random(0.8, 1.2); maxAttempts 4.
    assert_eq!(
        envelopes("lib-grpc", "5"),
        [(80, 120), (160, 240), (320, 480), (640, 960), (800, 1200)]
    );
    assert_eq!(plan(&["--preset", "lib-grpc"]).len(), 3);
    // Polly V2, Delay 2 s: the first retry draws from [0, 2·2·tanh(2)/1.4 s].
    assert_eq!(envelopes("lib-polly-http", "1"), [(0, 2754)]);
    assert_eq!(plan(&["--preset", "lib-polly-http"]).len(), 3);
    // Polly's doc: retries at medians near f·2^k in time, f = 2 s: the first delay's median is near 2 s.
    let m = median("lib-polly-http", 1);
    assert!(
        (1600..=2200).contains(&m),
        "median of Polly's first delay: {m}"
    );
    // resilience4j: 500 ms ±50%, then 750 ms ±50% (randomize adds random·1 ms).
    assert_eq!(
        envelopes("lib-resilience4j", "2"),
        [(250, 750), (375, 1125)]
    );
    // urllib3 Retry(3, backoff_factor=0.1): 0, 0.2, 0.4 s.
    let u: Vec<Vec<u64>> = plan(&["--preset", "lib-urllib3", "--samples", "2"])
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(u, [vec![0, 0], vec![200, 200], vec![400, 400]]);
    // Envoy: random() % 25 ms, one retry by default.
    assert_eq!(
        envelopes("lib-envoy", "4"),
        [(0, 25), (0, 50), (0, 100), (0, 200)]
    );
    assert_eq!(plan(&["--preset", "lib-envoy"]).len(), 1);
    // tenacity wait_exponential_jitter(): 1·2^(n−1) s + U(0, 1 s); stop_never (50 retries planned).
    assert_eq!(
        envelopes("lib-tenacity-exponential-jitter", "3"),
        [(1000, 2000), (2000, 3000), (4000, 5000)]
    );
    assert_eq!(
        plan(&["--preset", "lib-tenacity-exponential-jitter"]).len(),
        50
    );
    // ky: 0.3 s·2^(n−1), limit 2.
    let k: Vec<Vec<u64>> = plan(&["--preset", "lib-ky", "--samples", "1"])
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(k, [vec![300], vec![600]]);
    // cenkalti/backoff: 500 ms ×1.5 ±50%, MaxInterval 60 s then ±50% (up to 90 s).
    assert_eq!(
        envelopes("lib-cenkalti-backoff", "3"),
        [(250, 750), (375, 1125), (562, 1687)]
    );
    assert_eq!(
        envelopes("lib-cenkalti-backoff", "13")[12],
        (30_000, 90_000)
    );
    // backon: 1 s, 2 s, 4 s.
    let b: Vec<Vec<u64>> = plan(&["--preset", "lib-backon", "--samples", "1"])
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(b, [vec![1000], vec![2000], vec![4000]]);
}
