//! botocore's own delay cases, ported: `boto/botocore` (at 0e6e2404; the
//! conformance layer pins botocore 1.44.8) `tests/unit/retries/test_standard.py`
//! (`TestExponentialBackoff`, the legacy standard mode: `lib-aws-standard`)
//! and `tests/unit/retries/test_standard_retry_v2_1.py` (the same class with
//! `NEW_RETRIES_ENABLED`, the 2026 mode: `lib-aws-standard-2026`; and the
//! delay column of `TestRetryAfterHeaderInRetries`; its quota columns and the
//! other AWS sequence cases belong to the steps/bucket tests).
//! `delay_amount` is `random()·min(scale·2^(attempt−1), 20)`: our exponential
//! with full jitter; `attempt_number` is our retry `n`. The tests mock
//! `random = lambda: 1`: the envelope's top edge. `test_special.py` holds no
//! delay cases. `cargo test -p policy --test libcases_botocore -- --nocapture`
//! prints the table.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
mod libcase;

use libcase::{check, delay, edges, profile, Expect, Got, Row};
use policy::jitter::{self, DrawState};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::retry_after::sleep_ms;
use policy::PolicyConfig;

fn source(file: &str, test: &str) -> &'static str {
    Box::leak(format!("tests/unit/retries/{file}::{test}").into_boxed_str())
}

const LEGACY: &str = "test_standard.py";
const V2_1: &str = "test_standard_retry_v2_1.py";

/// `_assert_looks_like_uniform_distribution`: every whole-second bucket of
/// 10,000 draws of retry `n` within 20% of the mean bucket count.
fn looks_uniform(c: &PolicyConfig, n: u32, seed: u64) -> bool {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut histogram = std::collections::BTreeMap::<u64, u32>::new();
    for _ in 0..10_000 {
        let d = jitter::draw(c, n, false, &mut DrawState::new(c), &mut rng);
        *histogram.entry(d / 1000).or_default() += 1;
    }
    let expected = 10_000.0 / histogram.len() as f64;
    histogram
        .values()
        .all(|&count| (expected * 0.8..=expected * 1.2).contains(&f64::from(count)))
}

fn exponential_backoff_cases(
    file: &'static str,
    c: &PolicyConfig,
    range_ms: &[u64],
    attempt_3_max_ms: u64,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for (n, expected) in (1..).zip(range_ms) {
        rows.push(Row::new(
            source(
                file,
                "TestExponentialBackoff::test_range_of_exponential_backoff",
            ),
            format!("max_backoff=20, random=1, attempt {n}"),
            Expect::Ms(*expected),
            Got::Ms(delay(c, n, 1.0)),
        ));
    }
    rows.push(Row::new(
        source(
            file,
            "TestExponentialBackoff::test_exponential_backoff_with_jitter",
        ),
        "ExponentialBackoff(), attempt 3, random 0 and ~1",
        Expect::Between(0, attempt_3_max_ms),
        edges(c, 3),
    ));
    rows.push(Row::new(
        source(
            file,
            "TestExponentialBackoff::test_uniform_rand_dist_on_max_attempts",
        ),
        "ExponentialBackoff(), attempt 10, 10,000 draws: whole-second buckets within 20%",
        Expect::Is(true),
        Got::Is(looks_uniform(c, 10, 7)),
    ));
    rows
}

fn retry_after_cases() -> Vec<Row> {
    // attempt 1, a 500 (not throttling): t = 1·min(0.05·2^0, 20) = 0.05 s;
    // the hint (ms) gives max(t, min(hint, t + 5 s)). An unreadable or
    // negative header is no hint (botocore logs and ignores it): int() here.
    let c = profile("lib-aws-standard-2026");
    let t = delay(&c, 1, 1.0);
    let mut rows = Vec::new();
    for (header, expected_ms) in [
        ("1500", 1500),
        ("0", 50),
        ("10000", 5050),
        ("invalid", 50),
        ("-100", 50),
    ] {
        let hint: Option<u64> = header.parse().ok();
        let ours = hint.map_or(t, |v| sleep_ms(&c.retry_after, v, t, 0.0).unwrap_or(t));
        rows.push(Row::new(
            source(
                V2_1,
                "TestRetryAfterHeaderInRetries::test_x_amz_retry_after_header_is_honored",
            ),
            format!("500, x-amz-retry-after: {header}, attempt 1, random=1: delay_amount"),
            Expect::Ms(expected_ms),
            Got::Ms(ours),
        ));
    }
    rows
}

#[test]
fn botocore_delay_cases() {
    let legacy = profile("lib-aws-standard");
    let v2 = profile("lib-aws-standard-2026");
    let legacy_range = [
        1000, 2000, 4000, 8000, 16_000, 20_000, 20_000, 20_000, 20_000,
    ];
    let v2_range = [
        50, 100, 200, 400, 800, 1600, 3200, 6400, 12_800, 20_000, 20_000,
    ];
    let rows: Vec<Row> = [
        exponential_backoff_cases(LEGACY, &legacy, &legacy_range, 4000),
        exponential_backoff_cases(V2_1, &v2, &v2_range, 200),
        retry_after_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(check("botocore", &rows) >= 29);
}
