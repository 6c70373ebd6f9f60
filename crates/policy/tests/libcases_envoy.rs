//! Envoy's own backoff cases, ported: `envoyproxy/envoy`
//! `test/common/common/backoff_strategy_test.cc` (at 040783c8).
//!
//! `JitteredExponentialBackOffStrategy(base, max)` returns
//! `random() % interval` with `interval` = base, then doubled up to max: our
//! `exponential` ×2 with `full` jitter, `⌊u·d⌋`. The tests mock `random()`
//! with a fixed integer `R`; `R % d` and `⌊u·d⌋` are two ways of picking one
//! whole number in `[0, d − 1]`, so a row feeds the unit draw that picks the
//! same number, `u = (R mod d + ½)/d`, `d` being our interval: a wrong
//! interval gives a different number. `reset()` is a new call; `reset(b)` a
//! new call with base `b`. `JitteredLowerBoundBackOffStrategy(v)` is our
//! `retry_after.kind = envoy` (`v + random() % (v/2)`), `FixedBackOffStrategy`
//! our `constant`. `cargo test -p policy --test libcases_envoy -- --nocapture`
//! prints the table.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
mod libcase;

use libcase::{check, draw_at, profile, with, Expect, Got, Row};
use policy::backoff::delay_ms;
use policy::jitter::DrawState;
use policy::retry_after::sleep_ms;
use policy::{PolicyConfig, RetryAfterKind};

const FILE: &str = "test/common/common/backoff_strategy_test.cc";

fn source(test: &str) -> &'static str {
    Box::leak(format!("{FILE}::{test}").into_boxed_str())
}

/// The Envoy profile (×2, full jitter) with `base` and `max` in ms.
fn jittered(base_ms: u64, max_ms: u64) -> PolicyConfig {
    let mut c = with(
        profile("lib-envoy"),
        &[("backoff.kind", "exponential"), ("backoff.multiplier", "2")],
    );
    // Set directly: the DoesntOverflow case goes past the knobs' one-day cap.
    c.backoff.base_ms = base_ms;
    c.backoff.cap_ms = max_ms;
    c
}

/// The unit draw that makes `⌊u·d⌋` the number Envoy's `R % d` picks.
fn unit_for(random: u64, d: u64) -> f64 {
    if d == 0 {
        return 0.0;
    }
    // Below 1 (our draws are in [0, 1)), even where d is too large for f64.
    (((random % d) as f64 + 0.5) / d as f64).min(1.0 - f64::EPSILON / 2.0)
}

/// One strategy's successive `nextBackOffMs()` with `random()` returning `R`,
/// from retry `first` of a call (1 after a `reset()`).
fn next_backoffs(c: &PolicyConfig, random: u64, count: usize) -> Vec<u64> {
    let mut state = DrawState::new(c);
    (1..=count as u32)
        .map(|n| {
            let u = unit_for(random, delay_ms(&c.backoff, n));
            draw_at(c, n, u, &mut state)
        })
        .collect()
}

/// Rows for one test's expectations over a sequence of calls: `(base, calls)`.
fn sequence(rows: &mut Vec<Row>, test: &str, max_ms: u64, random: u64, runs: &[(u64, &[u64])]) {
    for (run, (base_ms, expected)) in runs.iter().enumerate() {
        let c = jittered(*base_ms, max_ms);
        let got = next_backoffs(&c, random, expected.len());
        let what = if run == 0 { "start" } else { "after reset" };
        for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
            rows.push(Row::new(
                source(test),
                format!(
                    "({base_ms}, {max_ms}), random() = {random}, {what}, call {}",
                    i + 1
                ),
                Expect::Ms(*e),
                Got::Ms(*g),
            ));
        }
    }
}

fn exponential_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    sequence(
        &mut rows,
        "ExponentialBackOffStrategyTest.JitteredBackOffBasicFlow",
        30,
        27,
        &[(25, &[2, 27])],
    );
    sequence(
        &mut rows,
        "ExponentialBackOffStrategyTest.JitteredBackOffBasicReset",
        30,
        27,
        &[(25, &[2, 27]), (25, &[2, 27]), (26, &[1])],
    );
    let max_flow: &[u64] = &[4, 9, 19, 39, 79, 99, 99];
    sequence(
        &mut rows,
        "ExponentialBackOffStrategyTest.JitteredBackOffWithMaxInterval",
        100,
        9999,
        &[(5, max_flow)],
    );
    sequence(
        &mut rows,
        "ExponentialBackOffStrategyTest.JitteredBackOffWithMaxIntervalReset",
        100,
        9999,
        &[(5, max_flow), (5, max_flow), (4, &[3])],
    );
    rows
}

fn overflow_cases() -> Vec<Row> {
    // (1, u64::MAX) with random() = u64::MAX − 1: 100 calls never above the
    // max, then the 101st is u64::MAX − 1 (the interval saturated at the max).
    let c = jittered(1, u64::MAX);
    let random = u64::MAX - 1;
    let got = next_backoffs(&c, random, 101);
    let test = source("ExponentialBackOffStrategyTest.JitteredBackOffDoesntOverflow");
    vec![
        Row::new(
            test,
            "(1, u64::MAX), random() = u64::MAX − 1, calls 1..=100 ≤ max",
            Expect::Between(0, u64::MAX),
            Got::All(got[..100].to_vec()),
        ),
        Row::new(
            test,
            "(1, u64::MAX), random() = u64::MAX − 1, call 101",
            Expect::Ms(u64::MAX - 1),
            Got::Ms(got[100]),
        )
        .differs(
            Expect::Between(u64::MAX - 4096, u64::MAX - 1),
            "our draw is ⌊u·d⌋ in f64, exact to the ms below 2^53 ms (285,000 years); at 2^64 it is within 2^12",
        ),
    ]
}

fn lower_bound_cases() -> Vec<Row> {
    // JitteredLowerBoundBackOffStrategy(500): random() % (500 >> 1) + 500.
    let mut ra = profile("lib-envoy").retry_after;
    assert_eq!(ra.kind, RetryAfterKind::Envoy);
    ra.cap_ms = 300_000;
    [
        ("JitteredBackOffWithLowRandomValue", 22u64, 522u64),
        ("JitteredBackOffWithHighRandomValue", 9999, 749),
    ]
    .into_iter()
    .map(|(test, random, expected)| {
        let u = unit_for(random, 250);
        Row::new(
            source(&format!("LowerBoundBackOffStrategyTest.{test}")),
            format!("lower bound 500 ms, random() = {random}"),
            Expect::Ms(expected),
            Got::Ms(sleep_ms(&ra, 500, 0, u).unwrap_or(0)),
        )
    })
    .collect()
}

fn fixed_cases() -> Vec<Row> {
    let fixed = |base: &str| {
        with(
            profile("lib-envoy"),
            &[
                ("backoff.kind", "constant"),
                ("backoff.base_ms", base),
                ("jitter.kind", "none"),
            ],
        )
    };
    let test = source("FixedBackOffStrategyTest.FixedBackOffBasicReset");
    let mut rows = Vec::new();
    for (what, base, retry, expected) in [
        ("call 1", "30", 1, 30),
        ("call 2", "30", 2, 30),
        ("after reset(), call 1", "30", 1, 30),
        ("after reset(20), call 1", "20", 1, 20),
    ] {
        let c = fixed(base);
        let mut state = DrawState::new(&c);
        rows.push(Row::new(
            test,
            format!("FixedBackOffStrategy(30), {what}"),
            Expect::Ms(expected),
            Got::Ms(draw_at(&c, retry, 0.5, &mut state)),
        ));
    }
    rows
}

fn config_cases() -> Vec<Row> {
    // BackOffStrategyUtilsTest.InvalidConfig: a max below the base is refused.
    let valid = |base: &str, max: &str| {
        let mut c = profile("lib-envoy");
        c.set("backoff.base_ms", base).is_ok()
            && c.set("backoff.cap_ms", max).is_ok()
            && c.validate().is_ok()
    };
    let test = source("BackOffStrategyUtilsTest.InvalidConfig");
    vec![
        Row::new(test, "base 2 s, max 3 s", Expect::Is(true), Got::Is(valid("2000", "3000"))),
        Row::new(test, "base 3 s, max 2 s", Expect::Is(false), Got::Is(valid("3000", "2000"))).differs(
            Expect::Is(true),
            "a cap below the base is a valid playground config: every delay is the cap (a knob to explore)",
        ),
    ]
}

#[test]
fn envoy_backoff_strategy_cases() {
    let rows: Vec<Row> = [
        exponential_cases(),
        overflow_cases(),
        lower_bound_cases(),
        fixed_cases(),
        config_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(check("Envoy", &rows) >= 30);
}
