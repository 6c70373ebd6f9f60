//! Polly's own delay cases, ported: `App-vNext/Polly`
//! `test/Polly.Core.Tests/Retry/RetryHelperTests.cs` (at 173d6d1d), which
//! calls `RetryHelper.GetRetryDelay(type, jitter, attempt, baseDelay,
//! maxDelay, ref state, randomizer)`. Polly's `attempt` is 0-based: our
//! retry `n = attempt + 1`. Constant and linear jitter is our `ratio` with
//! r = 0.25 (`ApplyJitter`: `d + d·0.5·u − d·0.25`), exponential jitter our
//! `decorrelated_v2`; `MaxDelay` is `backoff.cap_ms`. Polly works in ticks
//! (100 ns), we in whole ms, floored. `cargo test -p policy --test libcases_polly -- --nocapture`
//! prints the table.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
mod libcase;

use libcase::{check, delay, draw_at, edges, profile, with, Expect, Got, Row};
use policy::backoff::delay_ms;
use policy::jitter::DrawState;
use policy::PolicyConfig;

const FILE: &str = "test/Polly.Core.Tests/Retry/RetryHelperTests.cs";
const DAY_MS: &str = "86400000";

/// Polly's `GetRetryDelay` settings: `kind` constant|linear|exponential,
/// `jitter`, base and `MaxDelay` in ms (`None`: no MaxDelay, our largest cap).
fn polly(kind: &str, jitter: bool, base_ms: u64, max_ms: Option<u64>) -> PolicyConfig {
    let jitter_kind = match (jitter, kind) {
        (false, _) => "none",
        (true, "exponential") => "decorrelated_v2",
        (true, _) => "ratio",
    };
    let base = base_ms.to_string();
    let cap = max_ms.map_or(DAY_MS.to_string(), |m| m.to_string());
    with(
        PolicyConfig::default(),
        &[
            ("backoff.kind", kind),
            ("backoff.base_ms", &base),
            ("backoff.cap_ms", &cap),
            ("backoff.multiplier", "2"),
            ("jitter.kind", jitter_kind),
            ("jitter.ratio", "0.25"),
        ],
    )
}

fn source(test: &'static str) -> &'static str {
    // Leaked once per row: the table wants `file::test` as one static string.
    Box::leak(format!("{FILE}::{test}").into_boxed_str())
}

/// `GetRetryDelay(kind, jitter, attempt, base, max)` with the randomizer
/// returning `u` and a fresh state, against Polly's expected ms.
fn row(
    test: &'static str,
    (kind, jitter): (&str, bool),
    attempt: u32,
    base_ms: u64,
    max_ms: Option<u64>,
    u: f64,
    expected_ms: u64,
) -> Row {
    let c = polly(kind, jitter, base_ms, max_ms);
    Row::new(
        source(test),
        format!("{kind}, jitter {jitter}, attempt {attempt}, base {base_ms} ms, max {max_ms:?}, random {u}"),
        Expect::Ms(expected_ms),
        Got::Ms(delay(&c, attempt + 1, u)),
    )
}

fn fixed_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    for (test, kind) in [
        ("Constant_Ok", "constant"),
        ("Linear_Ok", "linear"),
        ("Exponential_Ok", "exponential"),
    ] {
        for attempt in 0..3 {
            rows.push(row(test, (kind, false), attempt, 0, None, 0.5, 0));
        }
        for (attempt, expected) in (0..3).zip(match kind {
            "constant" => [1000, 1000, 1000],
            "linear" => [1000, 2000, 3000],
            _ => [1000, 2000, 4000],
        }) {
            rows.push(row(test, (kind, false), attempt, 1000, None, 0.5, expected));
        }
    }
    rows
}

fn jitter_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    for (test, kind) in [
        ("Constant_Jitter_Ok", "constant"),
        ("Linear_Jitter_Ok", "linear"),
    ] {
        for attempt in 0..3 {
            rows.push(row(test, (kind, true), attempt, 0, None, 0.5, 0));
        }
    }
    // randomizer () => 0.0, 0.4, 0.6, 1.0 (1.0 is the envelope's top edge).
    for (attempt, u, expected) in [(0, 0.0, 750), (0, 0.4, 950), (1, 0.6, 1050), (0, 1.0, 1250)] {
        rows.push(row(
            "Constant_Jitter_Ok",
            ("constant", true),
            attempt,
            1000,
            None,
            u,
            expected,
        ));
    }
    for (u, expected) in [
        (0.0, 2250),
        (0.4, 2850),
        (0.5, 3000),
        (0.6, 3150),
        (1.0, 3750),
    ] {
        rows.push(row(
            "Linear_Jitter_Ok",
            ("linear", true),
            2,
            1000,
            None,
            u,
            expected,
        ));
    }
    rows
}

fn max_delay_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    for kind in ["linear", "exponential", "constant"] {
        for jitter in [false, true] {
            rows.push(row(
                "MaxDelay_Ok",
                (kind, jitter),
                2,
                10_000,
                Some(1000),
                0.5,
                1000,
            ));
        }
    }
    rows.push(row(
        "MaxDelay_DelayLessThanMaxDelay_Respected",
        ("constant", false),
        2,
        1000,
        Some(2000),
        0.5,
        1000,
    ));
    // Exponential, attempt 1000, base 1 day: 2^1000 days overflows. Our
    // knobs stop the cap at one day; the model's function takes any cap.
    let mut b = polly("exponential", false, 0, None).backoff;
    b.base_ms = 86_400_000;
    b.cap_ms = 2 * 86_400_000;
    rows.push(Row::new(
        source("GetRetryDelay_OverflowWithMaxDelay_ReturnsMaxDelay"),
        "exponential, attempt 1000, base 1 day, max 2 days",
        Expect::Ms(2 * 86_400_000),
        Got::Ms(delay_ms(&b, 1001)),
    ));
    b.cap_ms = u64::MAX;
    rows.push(
        Row::new(
            source("GetRetryDelay_Overflow_ReturnsMaxTimeSpan"),
            "exponential, attempt 1000, base 1 day, no max",
            Expect::Ms(922_337_203_685_477), // TimeSpan.MaxValue in whole ms
            Got::Ms(delay_ms(&b, 1001)),
        )
        .differs(
            Expect::Ms(u64::MAX),
            "an overflow gives the cap, and our largest delay is u64::MAX ms, not TimeSpan.MaxValue",
        ),
    );
    rows
}

/// Polly's `Attempts()` theory data.
const ATTEMPTS: [u32; 9] = [1, 2, 3, 4, 10, 100, 1_000, 1_024, 1_025];
/// `new Random(0).NextDouble()`'s first two values (.NET's seeded generator).
const RANDOM_0: [f64; 2] = [0.726_243_269_967_959_8, 0.817_325_359_590_968_7];

/// Two delays of the same attempt, the second continuing the first's state,
/// as the theories call `GetRetryDelay` twice with one `ref state`.
fn two_draws(c: &PolicyConfig, attempt: u32) -> Got {
    let mut state = DrawState::new(c);
    Got::All(
        RANDOM_0
            .iter()
            .map(|&u| draw_at(c, attempt + 1, u, &mut state))
            .collect(),
    )
}

fn theory_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    // No MaxDelay: the HTTP profile's 2 s base and our largest cap (one day).
    let unbounded = profile("lib-polly-http");
    let capped = with(profile("lib-polly-http"), &[("backoff.cap_ms", "30000")]);
    for attempt in ATTEMPTS {
        rows.push(Row::new(
            source("GetRetryDelay_Exponential_Is_Positive_When_No_Maximum_Delay"),
            format!("exponential + jitter, attempt {attempt}, base 2 s, Random(0)"),
            Expect::Between(1, 86_400_000),
            two_draws(&unbounded, attempt),
        ));
        rows.push(Row::new(
            source("GetRetryDelay_Exponential_Does_Not_Exceed_MaxDelay"),
            format!("exponential + jitter, attempt {attempt}, base 2 s, max 30 s, Random(0)"),
            Expect::Between(1, 30_000),
            two_draws(&capped, attempt),
        ));
    }
    rows
}

fn specification_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    // ApplyJitter_Meets_Specification: value ± value/4, any random in [0, 1].
    for value_ms in [4u64, 1000, 7800, 3_600_000] {
        let c = polly("constant", true, value_ms, None);
        rows.push(Row::new(
            source("ApplyJitter_Meets_Specification"),
            format!("value {value_ms} ms, random 0 and 1"),
            Expect::Between(value_ms - value_ms / 4, value_ms + value_ms / 4),
            edges(&c, 1),
        ));
    }
    let c = polly("constant", true, 1, None);
    rows.push(
        Row::new(
            source("ApplyJitter_Meets_Specification"),
            "value 1 ms, random 0 and 1",
            Expect::Between(1, 1), // [0.75, 1.25] ms holds one whole ms
            edges(&c, 1),
        )
        .differs(
            Expect::Between(0, 1),
            "we floor to whole ms: 0.75 ms is 0 (Polly keeps 100 ns ticks)",
        ),
    );
    // DecorrelatedJitterBackoffV2_Meets_Specification: from a fresh state,
    // 0 ≤ delay ≤ value·2^attempt·4 − 1 tick (at most TimeSpan.MaxValue).
    for (value_ms, attempt) in [
        (1u64, 1u32),
        (2000, 1),
        (2000, 5),
        (3_600_000, 2),
        (1, 2048),
    ] {
        let c = polly("exponential", true, value_ms, None);
        let raw = value_ms as f64 * libm::pow(2.0, f64::from(attempt)) * 4.0;
        let ceiling = raw.min(922_337_203_685_477.0) as u64 - 1;
        let top = 1.0 - 1.0 / (1u64 << 30) as f64;
        rows.push(Row::new(
            source("DecorrelatedJitterBackoffV2_Meets_Specification"),
            format!("value {value_ms} ms, attempt {attempt}, random 0 and ~1"),
            Expect::Between(0, ceiling),
            Got::All(vec![
                delay(&c, attempt + 1, 0.0),
                delay(&c, attempt + 1, top),
            ]),
        ));
    }
    rows
}

#[test]
fn polly_retry_helper_cases() {
    let rows: Vec<Row> = [
        fixed_cases(),
        jitter_cases(),
        max_delay_cases(),
        theory_cases(),
        specification_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(check("Polly", &rows) >= 60);
}
