//! resilience4j's own interval cases, ported: `resilience4j/resilience4j`
//! `resilience4j-core/src/test/java/io/github/resilience4j/core/IntervalFunctionTest.java`
//! (at af9e7c97, unchanged since 01be4a16), against `IntervalFunction.java`
//! there. `ofExponentialBackoff` is our `exponential_floor`
//! (`I(n) = (long)(I(n−1)·multiplier)`), `ofRandomized` / `ofExponentialRandomBackoff`
//! add our `randomized` jitter (`max(1, I − f·I + random·(2f·I + 1))`,
//! truncated), a max interval is `backoff.cap_ms`, applied after the jitter.
//! resilience4j's `attempt` is our retry `n`. The tests draw `Math.random()`;
//! a row draws at 0 and at `1 − 2^-30`: at the very last double below 1,
//! resilience4j's own `randomize` rounds up past its test's bound (a row shows it).
//! Without a max interval resilience4j has none: the rows set our cap to
//! `u64::MAX` directly (the `backoff.cap_ms` knob stops at one day).
//! `cargo test -p policy --test libcases_resilience4j -- --nocapture` prints the table.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
mod libcase;

use libcase::{check, delay, near_edges as edges, profile, with, Expect, Got, Row, NEAR_TOP, TOP};
use policy::backoff::delay_ms;
use policy::PolicyConfig;

const FILE: &str =
    "resilience4j-core/src/test/java/io/github/resilience4j/core/IntervalFunctionTest.java";

fn source(test: &str) -> &'static str {
    Box::leak(format!("{FILE}::{test}").into_boxed_str())
}

/// An interval function: `exponential_floor` from `initial` by `multiplier`,
/// `randomized` jitter with `factor` (none when `None`), capped at `max`.
fn interval(
    initial_ms: u64,
    multiplier: f64,
    factor: Option<f64>,
    max_ms: Option<u64>,
) -> PolicyConfig {
    let mut c = with(
        profile("lib-resilience4j"),
        &[
            ("backoff.kind", "exponential_floor"),
            ("jitter.kind", "randomized"),
        ],
    );
    c.backoff.base_ms = initial_ms;
    c.backoff.multiplier = multiplier;
    c.backoff.cap_ms = max_ms.unwrap_or(u64::MAX);
    match factor {
        Some(f) => c.jitter.ratio = f,
        None => c.set("jitter.kind", "none").unwrap(),
    }
    c
}

fn increasing(c: &PolicyConfig, attempts: std::ops::Range<u32>) -> bool {
    attempts
        .clone()
        .all(|n| delay_ms(&c.backoff, n) > delay_ms(&c.backoff, n - 1))
}

fn sequence_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let randomized = interval(100, 1.0, Some(0.5), None);
    rows.push(Row::new(
        source("generatesRandomizedIntervals"),
        "ofRandomized(100, 0.5), attempts 1..50, random 0 and ~1",
        Expect::Between(50, 150),
        Got::All(
            (1..50)
                .flat_map(|n| [delay(&randomized, n, 0.0), delay(&randomized, n, NEAR_TOP)])
                .collect(),
        ),
    ));
    // Java's doubles: 50 + (1 − 2^-53)·101 rounds to 151.0, so `(long)` gives 151.
    rows.push(Row::new(
        source("generatesRandomizedIntervals"),
        "ofRandomized(100, 0.5), random 1 − 2^-53: randomize's own value (the test's ≤ 150 misses this draw)",
        Expect::Ms(151),
        Got::Ms(delay(&randomized, 1, TOP)),
    ));
    let exp = interval(100, 1.5, None, None);
    rows.push(Row::new(
        source("generatesExponentialIntervals"),
        "ofExponentialBackoff(100, 1.5), attempts 2..50 each above the one before",
        Expect::Is(true),
        Got::Is(increasing(&exp, 2..50)),
    ));
    let capped = interval(100, 2.0, None, Some(100_000));
    let test = source("generatesCappedExponentialIntervals");
    rows.push(Row::new(
        test,
        "ofExponentialBackoff(100, 2, 100_000), attempts 2..12 each above the one before",
        Expect::Is(true),
        Got::Is(increasing(&capped, 2..12)),
    ));
    for n in [12, 13] {
        rows.push(Row::new(
            test,
            format!("ofExponentialBackoff(100, 2, 100_000), attempt {n}"),
            Expect::Ms(100_000),
            Got::Ms(delay(&capped, n, 0.5)),
        ));
    }
    rows
}

/// The test's bounds for attempt `i`: `(long)(E·0.5) − 1 ..= (long)(E·1.5) + 1`,
/// `E` iterated `(long)(E·1.5)` from 100; with a max, "or equal to the max".
fn random_bounds(expected_v: u64, max_ms: Option<u64>) -> Expect {
    let lo = ((expected_v as f64 * 0.5) as u64).saturating_sub(1);
    let hi = (expected_v as f64 * 1.5) as u64 + 1;
    match max_ms {
        None => Expect::Between(lo, hi),
        Some(max) if lo > max => Expect::Ms(max),
        Some(max) => Expect::Between(lo, hi.min(max)),
    }
}

fn exponential_random_cases(test: &'static str, max_ms: Option<u64>) -> Vec<Row> {
    let c = interval(100, 1.5, Some(0.5), max_ms);
    let mut rows = Vec::new();
    let mut expected_v = 100u64;
    let mut late: Vec<(Expect, Got)> = Vec::new();
    for i in 1..50u32 {
        let expect = random_bounds(expected_v, max_ms);
        let got = edges(&c, i);
        if i <= 12 {
            rows.push(Row::new(
                source(test),
                format!("(100, 1.5, 0.5, max {max_ms:?}), attempt {i}, E = {expected_v}, random 0 and ~1"),
                expect,
                got,
            ));
        } else {
            late.push((expect, got));
        }
        expected_v = (expected_v as f64 * 1.5) as u64;
    }
    // Attempts 13..50 in one row: each attempt's two draws against its own bounds.
    let all_pass = late.iter().all(|(e, g)| match (e, g) {
        (Expect::Between(lo, hi), Got::All(gs)) => gs.iter().all(|g| lo <= g && g <= hi),
        (Expect::Ms(m), Got::All(gs)) => gs.iter().all(|g| g == m),
        _ => false,
    });
    rows.push(Row::new(
        source(test),
        format!(
            "(100, 1.5, 0.5, max {max_ms:?}), attempts 13..50, random 0 and ~1, each in its bounds"
        ),
        Expect::Is(true),
        Got::Is(all_pass),
    ));
    rows
}

fn attempt_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    // The four functions of shouldRejectAttemptLessThenOne / shouldPassAttemptGreaterThenZero,
    // with the values resilience4j's formulas give for attempts 1 and 2.
    let functions: [(&str, PolicyConfig, [Expect; 2]); 4] = [
        (
            "ofDefaults()",
            interval(500, 1.0, None, None),
            [Expect::Ms(500), Expect::Ms(500)],
        ),
        (
            "ofRandomized()",
            interval(500, 1.0, Some(0.5), None),
            [Expect::Between(250, 750), Expect::Between(250, 750)],
        ),
        (
            "ofExponentialBackoff()",
            interval(500, 1.5, None, None),
            [Expect::Ms(500), Expect::Ms(750)],
        ),
        (
            "ofExponentialRandomBackoff()",
            profile("lib-resilience4j"),
            [Expect::Between(250, 750), Expect::Between(375, 1125)],
        ),
    ];
    for (name, c, expects) in functions {
        for (n, expect) in (1..=2).zip(expects) {
            rows.push(Row::new(
                source("shouldPassAttemptGreaterThenZero"),
                format!("{name}.apply({n}), random 0 and ~1"),
                expect,
                edges(&c, n),
            ));
        }
        rows.push(
            Row::new(
                source("shouldRejectAttemptLessThenOne"),
                format!("{name}.apply(0) accepted"),
                Expect::Is(false),
                Got::Is(delay(&c, 0, 0.5) == delay(&c, 1, 0.5)),
            )
            .differs(
                Expect::Is(true),
                "retries are numbered from 1 by the call itself; a 0 is read as 1, never an error",
            ),
        );
    }
    rows
}

/// Whether our knobs accept `value` for `knob`.
fn accepts(knob: &str, value: &str) -> bool {
    PolicyConfig::default().set(knob, value).is_ok()
}

fn argument_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let zero_why =
        "0 ms is a valid playground setting: no wait (urllib3's default backoff_factor is 0)";
    for (test, inputs, knob, value, library, differs) in [
        (
            "shouldRejectNonPositiveDuration",
            "of(-1)",
            "backoff.base_ms",
            "-1",
            false,
            None,
        ),
        (
            "shouldRejectNonPositiveDuration",
            "of(0)",
            "backoff.base_ms",
            "0",
            false,
            Some(zero_why),
        ),
        (
            "shouldRejectNonPositiveDuration",
            "ofExponentialBackoff(100, 1, -1)",
            "backoff.cap_ms",
            "-1",
            false,
            None,
        ),
        (
            "shouldRejectNonPositiveDuration",
            "ofExponentialBackoff(100, 1, 0)",
            "backoff.cap_ms",
            "0",
            false,
            Some(zero_why),
        ),
        (
            "shouldPassPositiveDuration",
            "of(10)",
            "backoff.base_ms",
            "10",
            true,
            None,
        ),
        (
            "shouldPassPositiveDuration",
            "of(99)",
            "backoff.base_ms",
            "99",
            true,
            None,
        ),
        (
            "shouldPassPositiveDuration",
            "of(981)",
            "backoff.base_ms",
            "981",
            true,
            None,
        ),
        (
            "shouldRejectOutOfBoundsRandomizationFactor",
            "ofRandomized(100, -0.0001)",
            "jitter.ratio",
            "-0.0001",
            false,
            None,
        ),
        (
            "shouldRejectOutOfBoundsRandomizationFactor",
            "ofRandomized(100, 1.0001)",
            "jitter.ratio",
            "1.0001",
            false,
            None,
        ),
        (
            "shouldPassPositiveRandomizationFactor",
            "factor 0.0",
            "jitter.ratio",
            "0.0",
            true,
            None,
        ),
        (
            "shouldPassPositiveRandomizationFactor",
            "factor 0.1",
            "jitter.ratio",
            "0.1",
            true,
            None,
        ),
        (
            "shouldPassPositiveRandomizationFactor",
            "factor 0.25",
            "jitter.ratio",
            "0.25",
            true,
            None,
        ),
        (
            "shouldPassPositiveRandomizationFactor",
            "factor 0.5",
            "jitter.ratio",
            "0.5",
            true,
            None,
        ),
        (
            "shouldPassPositiveRandomizationFactor",
            "factor 0.75",
            "jitter.ratio",
            "0.75",
            true,
            None,
        ),
        (
            "shouldPassPositiveRandomizationFactor",
            "factor 1.0",
            "jitter.ratio",
            "1.0",
            true,
            None,
        ),
        (
            "shouldPassPositiveMultiplier",
            "multiplier 1.0001",
            "backoff.multiplier",
            "1.0001",
            true,
            None,
        ),
    ] {
        let row = Row::new(
            source(test),
            format!("{inputs}: {knob}={value} accepted"),
            Expect::Is(library),
            Got::Is(accepts(knob, value)),
        );
        rows.push(match differs {
            Some(why) => row.differs(Expect::Is(!library), why),
            None => row,
        });
    }
    rows
}

#[test]
fn resilience4j_interval_function_cases() {
    let rows: Vec<Row> = [
        sequence_cases(),
        exponential_random_cases("generatesExponentialRandomIntervals", None),
        exponential_random_cases("generatesCappedExponentialRandomIntervals", Some(100_000)),
        attempt_cases(),
        argument_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(check("resilience4j", &rows) >= 50);
}
