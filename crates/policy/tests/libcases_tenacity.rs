//! tenacity's own wait and stop cases, ported: `jd/tenacity`
//! `tests/test_tenacity.py` (at c650fb45; the conformance layer pins
//! tenacity 9.2.1), classes `TestWaitConditions` and `TestStopConditions`.
//!
//! `r.wait(make_retry_state(n, ...))` is our delay before retry `n` (n = the
//! attempt that failed). `wait_fixed(s)` is `constant`, `wait_exponential(multiplier,
//! max, exp_base)` is `exponential` (base = multiplier, multiplier = exp_base,
//! cap = max), `wait_random(a, b)` a constant `a` plus additive jitter `b − a`,
//! sums of fixed and random waits the same, `wait_random_exponential` full
//! jitter, `wait_exponential_jitter` additive jitter. tenacity's default max
//! (`sys.maxsize / 2` s) is set directly as `u64::MAX` ms (the knob stops at
//! one day). `stop_after_attempt(k)` is `attempts.max = k`; `stop_before_delay(d)`
//! is `attempts.deadline_ms` (no attempt starts at or after it, so a retry
//! whose sleep would end there is not made), which equals `stop_after_delay`
//! when the upcoming sleep is 0, as in its test. Not modelled: `min` (a floor
//! under the curve), `wait_incrementing` (start ≠ increment), `wait_chain`,
//! `stop_all`/`&`; their rows say so.
//! `cargo test -p policy --test libcases_tenacity -- --nocapture` prints the table.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
mod libcase;

use libcase::{
    attempt, call, check, delay, edges, near_edges, profile, with, Expect, Got, Row, TOP,
};
use policy::jitter::{self, DrawState};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{Done, Outcome, PolicyConfig, RequestKind};

const FILE: &str = "tests/test_tenacity.py";

fn source(class: &str, test: &str) -> &'static str {
    Box::leak(format!("{FILE}::{class}::{test}").into_boxed_str())
}

fn wait_source(test: &str) -> &'static str {
    source("TestWaitConditions", test)
}

fn stop_source(test: &str) -> &'static str {
    source("TestStopConditions", test)
}

/// The tenacity profile with `sets`, its cap set to `max_ms` (`None`: no max).
fn tenacity(sets: &[(&str, &str)], max_ms: Option<u64>) -> PolicyConfig {
    let mut c = with(profile("lib-tenacity-exponential-jitter"), sets);
    c.backoff.cap_ms = max_ms.unwrap_or(u64::MAX);
    c
}

/// `wait_exponential(multiplier, max, exp_base)`, seconds as ms.
fn wait_exponential(multiplier_ms: u64, max_ms: Option<u64>) -> PolicyConfig {
    let base = multiplier_ms.to_string();
    tenacity(
        &[
            ("backoff.kind", "exponential"),
            ("backoff.base_ms", &base),
            ("jitter.kind", "none"),
        ],
        max_ms,
    )
}

/// A constant `fixed_ms` plus a random `U(0, random_ms)`.
fn fixed_plus_random(fixed_ms: u64, random_ms: u64) -> PolicyConfig {
    let (fixed, random) = (fixed_ms.to_string(), random_ms.to_string());
    let jitter = if random_ms > 0 { "additive" } else { "none" };
    tenacity(
        &[
            ("backoff.kind", "constant"),
            ("backoff.base_ms", &fixed),
            ("jitter.kind", jitter),
            ("jitter.additive_ms", &random),
        ],
        None,
    )
}

const MIN_WHY: &str = "no floor under the curve (tenacity's min) in our model: the curve itself";

/// Rows of `r.wait(make_retry_state(n, 0)) == expected` over `(n, expected s)`;
/// where the floor `floor_s` lifts the curve, we assert the curve
/// `min(cap, base·2^(n−1))` instead (the floor is not modelled).
fn exact_rows(
    rows: &mut Vec<Row>,
    test: &str,
    label: &str,
    c: &PolicyConfig,
    cases: &[(u32, u64)],
    floor_s: u64,
) {
    for &(n, seconds) in cases {
        let curve_ms = (c.backoff.base_ms << (n - 1)).min(c.backoff.cap_ms);
        let row = Row::new(
            wait_source(test),
            format!("{label}, attempt {n}"),
            Expect::Ms(seconds * 1000),
            Got::Ms(delay(c, n, 0.5)),
        );
        rows.push(if seconds == floor_s && curve_ms < floor_s * 1000 {
            row.differs(Expect::Ms(curve_ms), MIN_WHY)
        } else {
            row
        });
    }
}

fn exponential_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let doubling: Vec<(u32, u64)> = (1..=8).map(|n| (n, 1u64 << (n - 1))).collect();
    exact_rows(
        &mut rows,
        "test_exponential",
        "wait_exponential()",
        &wait_exponential(1000, None),
        &doubling,
        0,
    );
    let mut capped: Vec<(u32, u64)> = doubling[..6].to_vec();
    capped.extend([(7, 40), (8, 40), (50, 40)]);
    exact_rows(
        &mut rows,
        "test_exponential_with_max_wait",
        "wait_exponential(max=40)",
        &wait_exponential(1000, Some(40_000)),
        &capped,
        0,
    );
    exact_rows(
        &mut rows,
        "test_exponential_skips_power_after_reaching_max",
        "wait_exponential(max=40)",
        &wait_exponential(1000, Some(40_000)),
        &[(50, 40)],
        0,
    );
    let mut capped_50: Vec<(u32, u64)> = doubling[..6].to_vec();
    capped_50.extend([(7, 50), (8, 50), (50, 50)]);
    exact_rows(
        &mut rows,
        "test_exponential_with_max_wait_and_multiplier",
        "wait_exponential(max=50, multiplier=1)",
        &wait_exponential(1000, Some(50_000)),
        &capped_50,
        0,
    );
    exact_rows(
        &mut rows,
        "test_exponential_with_min_wait",
        "wait_exponential(min=20)",
        &wait_exponential(1000, None),
        &[
            (1, 20),
            (2, 20),
            (3, 20),
            (4, 20),
            (5, 20),
            (6, 32),
            (7, 64),
            (8, 128),
            (20, 524_288),
        ],
        20,
    );
    exact_rows(
        &mut rows,
        "test_exponential_with_min_wait_and_multiplier",
        "wait_exponential(min=20, multiplier=2)",
        &wait_exponential(2000, None),
        &[
            (1, 20),
            (2, 20),
            (3, 20),
            (4, 20),
            (5, 32),
            (6, 64),
            (7, 128),
            (8, 256),
            (20, 1_048_576),
        ],
        20,
    );
    exact_rows(
        &mut rows,
        "test_exponential_with_min_wait_andmax__wait",
        "wait_exponential(min=10, max=100)",
        &wait_exponential(1000, Some(100_000)),
        &[
            (1, 10),
            (2, 10),
            (3, 10),
            (4, 10),
            (5, 16),
            (6, 32),
            (7, 64),
            (8, 100),
            (9, 100),
            (20, 100),
        ],
        10,
    );
    // multiplier=1e300, max=1e-100: the max wins; in whole ms it is 0.
    let tiny = with(
        wait_exponential(3_600_000, None),
        &[("backoff.cap_ms", "0")],
    );
    rows.push(Row::new(
        wait_source("test_exponential_caps_when_max_multiplier_ratio_underflows"),
        "wait_exponential(multiplier=1e300, max=1e-100) as base 1 h, cap 0 ms, attempt 1",
        Expect::Ms(0),
        Got::Ms(delay(&tiny, 1, 0.5)),
    ));
    rows
}

fn fixed_and_random_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    rows.push(Row::new(
        wait_source("test_no_sleep"),
        "Retrying(), attempt 18",
        Expect::Ms(0),
        Got::Ms(delay(&fixed_plus_random(0, 0), 18, 0.5)),
    ));
    rows.push(Row::new(
        wait_source("test_fixed_sleep"),
        "wait_fixed(1) and wait_fixed(timedelta(seconds=1)), attempt 12",
        Expect::Ms(1000),
        Got::Ms(delay(&fixed_plus_random(1000, 0), 12, 0.5)),
    ));
    // Ranges: tenacity asserts `lo <= w < hi` (or `<= hi`); our draws at 0
    // and near 1 (at the last double below 1 the sums round up to `hi`, in
    // tenacity's floats too: a row below shows it).
    for (test, label, fixed, random, lo, hi) in [
        (
            "test_random_sleep",
            "wait_random(min=1, max=20)",
            1000,
            19_000,
            1000,
            19_999,
        ),
        (
            "test_random_sleep_withoutmin_",
            "wait_random(max=2)",
            0,
            2000,
            0,
            2000,
        ),
        (
            "test_wait_combine",
            "wait_combine(wait_random(0, 3), wait_fixed(5))",
            5000,
            3000,
            5000,
            7999,
        ),
        (
            "test_wait_double_sum",
            "wait_random(0, 3) + wait_fixed(5)",
            5000,
            3000,
            5000,
            7999,
        ),
        (
            "test_wait_triple_sum",
            "wait_fixed(1) + wait_random(0, 3) + wait_fixed(5)",
            6000,
            3000,
            6000,
            8999,
        ),
        (
            "test_wait_arbitrary_sum",
            "sum([wait_fixed(1), wait_random(0, 3), wait_fixed(5), wait_none()])",
            6000,
            3000,
            6000,
            8999,
        ),
    ] {
        rows.push(Row::new(
            wait_source(test),
            format!("{label}, random 0 and ~1"),
            Expect::Between(lo, hi),
            near_edges(&fixed_plus_random(fixed, random), 1),
        ));
    }
    // Python: 5 + 3·(1 − 2^-53) == 8.0, so the test's `w < 8` misses this draw.
    rows.push(Row::new(
        wait_source("test_wait_double_sum"),
        "wait_random(0, 3) + wait_fixed(5), random 1 − 2^-53: the sum's own value (8.0 s in Python)",
        Expect::Ms(8000),
        Got::Ms(delay(&fixed_plus_random(5000, 3000), 1, TOP)),
    ));
    // wait_incrementing(start=500, increment=100): 500, 600, 700 s. Our
    // linear is base·n (Polly's): start = increment only.
    let linear = tenacity(
        &[
            ("backoff.kind", "linear"),
            ("backoff.base_ms", "500000"),
            ("jitter.kind", "none"),
        ],
        None,
    );
    for (n, seconds) in [(1u32, 500u64), (2, 600), (3, 700)] {
        let row = Row::new(
            wait_source("test_incrementing_sleep"),
            format!("wait_incrementing(start=500, increment=100), attempt {n}"),
            Expect::Ms(seconds * 1000),
            Got::Ms(delay(&linear, n, 0.5)),
        );
        rows.push(if n == 1 {
            row
        } else {
            row.differs(
                Expect::Ms(500_000 * u64::from(n)),
                "our linear is base·n; start + increment·(n−1) with start ≠ increment is not modelled",
            )
        });
    }
    rows
}

fn random_exponential_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let full = |base: &str, max_ms| {
        tenacity(
            &[("backoff.base_ms", base), ("jitter.kind", "full")],
            Some(max_ms),
        )
    };
    let c = full("500", 60_000);
    for (n, hi_ms) in (1..=9).zip([500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]) {
        rows.push(Row::new(
            wait_source("test_wait_random_exponential"),
            format!("wait_random_exponential(0.5, 60.0), attempt {n}, random 0 and ~1"),
            Expect::Between(0, hi_ms),
            edges(&c, n),
        ));
    }
    rows.push(Row::new(
        wait_source("test_wait_random_exponential"),
        "wait_random_exponential(10, 5), attempt 1, random 0 and ~1",
        Expect::Between(0, 5000),
        edges(&full("10000", 5000), 1),
    ));
    let min_5 = edges(&full("1000", u64::MAX), 1);
    rows.push(
        Row::new(
            wait_source("test_wait_random_exponential"),
            "wait_random_exponential(min=5), attempt 1, random 0 and ~1",
            Expect::Between(5000, 5000),
            min_5.clone(),
        )
        .differs(Expect::Between(0, 1000), MIN_WHY),
    );
    // test_wait_random_exponential_statistically: the mean of 4000 draws per
    // attempt within tenacity's epsilon (our draws from a fixed seed).
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    for (n, (mean_s, eps_s)) in (1..=9).zip([
        (0.25, 0.02),
        (0.5, 0.04),
        (1.0, 0.08),
        (2.0, 0.16),
        (4.0, 0.32),
        (8.0, 0.64),
        (16.0, 1.28),
        (30.0, 2.56),
        (30.0, 2.56),
    ]) {
        let sum: u64 = (0..4000)
            .map(|_| jitter::draw(&c, n, false, &mut DrawState::new(&c), &mut rng))
            .sum();
        rows.push(Row::new(
            wait_source("test_wait_random_exponential_statistically"),
            format!("wait_random_exponential(0.5, 60.0), attempt {n}, mean of 4000 draws (s)"),
            Expect::Near(mean_s, eps_s),
            Got::Real(sum as f64 / 4000.0 / 1000.0),
        ));
    }
    rows
}

fn exponential_jitter_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let jittered = |initial: &str, jitter: &str, max_ms| {
        let kind = if jitter == "0" { "none" } else { "additive" };
        tenacity(
            &[
                ("backoff.base_ms", initial),
                ("jitter.kind", kind),
                ("jitter.additive_ms", jitter),
            ],
            Some(max_ms),
        )
    };
    let c = jittered("1000", "1000", 60_000);
    for n in 1..=9u32 {
        let lo = (1u64 << (n - 1)) * 1000;
        let expect = if n <= 6 {
            Expect::Between(lo, lo + 1000)
        } else {
            Expect::Between(60_000, 60_000)
        };
        rows.push(Row::new(
            wait_source("test_wait_exponential_jitter"),
            format!("wait_exponential_jitter(max=60), attempt {n}, random 0 and ~1"),
            expect,
            edges(&c, n),
        ));
    }
    rows.push(Row::new(
        wait_source("test_wait_exponential_jitter"),
        "wait_exponential_jitter(10, 5) (initial 10, max 5), attempt 1, random 0 and ~1",
        Expect::Between(5000, 5000),
        edges(&jittered("10000", "1000", 5000), 1),
    ));
    for (test, label, n, expect) in [
        (
            "test_wait_exponential_jitter_min",
            "(initial=1, max=60, jitter=1, min=5)",
            1,
            Expect::Between(5000, 5000),
        ),
        (
            "test_wait_exponential_jitter_min",
            "(initial=1, max=60, jitter=1, min=5)",
            2,
            Expect::Between(5000, 5000),
        ),
        (
            "test_wait_exponential_jitter_min",
            "(initial=1, max=60, jitter=1, min=5)",
            3,
            Expect::Between(5000, 5000),
        ),
        (
            "test_wait_exponential_jitter_min",
            "(initial=1, max=60, jitter=1, min=5)",
            4,
            Expect::Between(8000, 9000),
        ),
        (
            "test_wait_exponential_jitter_timedelta",
            "(max=60 s, jitter=1 s, min=5 s) as timedelta",
            1,
            Expect::Between(5000, 5000),
        ),
        (
            "test_wait_exponential_jitter_timedelta",
            "(max=60 s, jitter=1 s, min=5 s) as timedelta",
            5,
            Expect::Between(16_000, 17_000),
        ),
        (
            "test_wait_exponential_jitter_timedelta",
            "(max=60 s, jitter=1 s, min=5 s) as timedelta",
            7,
            Expect::Between(60_000, 60_000),
        ),
    ] {
        let ours = edges(&c, n);
        let row = Row::new(
            wait_source(test),
            format!("wait_exponential_jitter{label}, attempt {n}, random 0 and ~1"),
            expect.clone(),
            ours.clone(),
        );
        rows.push(if expect == Expect::Between(5000, 5000) {
            let lo = (1u64 << (n - 1)) * 1000;
            row.differs(Expect::Between(lo, lo + 1000), MIN_WHY)
        } else {
            row
        });
    }
    let multiplied = jittered("10000", "0", 60_000);
    for (n, seconds) in [(1u32, 10u64), (2, 20), (3, 40), (4, 60)] {
        rows.push(Row::new(
            wait_source("test_wait_exponential_jitter_multiplier"),
            format!("wait_exponential_jitter(multiplier=10, max=60, jitter=0), attempt {n}"),
            Expect::Ms(seconds * 1000),
            Got::Ms(delay(&multiplied, n, 0.5)),
        ));
    }
    for (n, seconds) in [(1u32, 10u64), (2, 20)] {
        rows.push(Row::new(
            wait_source("test_wait_exponential_jitter_initial_deprecated"),
            format!("wait_exponential_jitter(initial=10, max=60, jitter=0), attempt {n}"),
            Expect::Ms(seconds * 1000),
            Got::Ms(delay(&multiplied, n, 0.5)),
        ));
    }
    rows
}

/// Whether a call stops after attempt `k` fails at `elapsed_ms` from its
/// start: attempts before `k` fail at once, every wait is `sleep_ms` (the
/// rows with an upcoming sleep use `k = 1`: the attempt number does not
/// enter a delay stop). Stopping is not sending attempt `k + 1`.
fn stops(c: &PolicyConfig, k: u32, elapsed_ms: u64, sleep_ms: u64) -> bool {
    let sleep = sleep_ms.to_string();
    let c = with(
        c.clone(),
        &[
            ("backoff.kind", "constant"),
            ("backoff.base_ms", &sleep),
            ("jitter.kind", "none"),
        ],
    );
    let mut script = vec![attempt(0, Outcome::NetworkError); k as usize - 1];
    script.push(attempt(elapsed_ms, Outcome::NetworkError));
    script.push(attempt(0, Outcome::NetworkError));
    match call(&c, RequestKind::Idempotent, &script).0 {
        Done::Succeeded { attempts } | Done::GaveUp { attempts, .. } => attempts <= k,
    }
}

fn stop_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let never = profile("lib-tenacity-exponential-jitter");
    rows.push(Row::new(
        stop_source("test_never_stop"),
        "Retrying() (stop_never), attempt 3 at 6546 s",
        Expect::Is(false),
        Got::Is(stops(&never, 3, 6_546_000, 0)),
    ));
    let after_3 = with(never.clone(), &[("attempts.max", "3")]);
    for (k, expected) in [(2u32, false), (3, true), (4, true)] {
        rows.push(Row::new(
            stop_source("test_stop_after_attempt"),
            format!("stop_after_attempt(3), attempt {k} (we never send a 4th: stopped after 3)"),
            Expect::Is(expected),
            Got::Is(stops(&after_3, k.min(3), 0, 0)),
        ));
    }
    let delay_1s = with(never.clone(), &[("attempts.deadline_ms", "1000")]);
    for (elapsed, expected) in [(999u64, false), (1000, true), (1001, true)] {
        rows.push(Row::new(
            stop_source("test_stop_after_delay"),
            format!(
                "stop_after_delay(1) (and timedelta), attempt 2 at {elapsed} ms, no upcoming sleep"
            ),
            Expect::Is(expected),
            Got::Is(stops(&delay_1s, 1, elapsed, 0)),
        ));
    }
    // upcoming_sleep=0.0001 s is under our whole ms: 0 here.
    for (elapsed, sleep, expected) in [
        (999u64, 0u64, false),
        (1000, 1, true),
        (1000, 1000, true),
        (999, 0, false),
        (1000, 0, true),
        (1001, 0, true),
    ] {
        rows.push(Row::new(
            stop_source("test_stop_before_delay"),
            format!("stop_before_delay(1), attempt 2 at {elapsed} ms, upcoming sleep {sleep} ms"),
            Expect::Is(expected),
            Got::Is(stops(&delay_1s, 1, elapsed, sleep)),
        ));
    }
    // stop_after_delay(1) with stop_after_attempt(4): any (|) or all (&).
    let both = with(
        never,
        &[("attempts.deadline_ms", "1000"), ("attempts.max", "4")],
    );
    let states = [
        (1u32, 100u64),
        (2, 200),
        (2, 800),
        (4, 800),
        (3, 1800),
        (4, 1800),
    ];
    let any = [false, false, false, true, true, true];
    let all = [false, false, false, false, false, true];
    for test in [
        "test_stop_any",
        "test_stop_or",
        "test_stop_all",
        "test_stop_and",
    ] {
        let expected = if test.ends_with("any") || test.ends_with("or") {
            any
        } else {
            all
        };
        for ((k, elapsed), e) in states.iter().zip(expected) {
            let ours = stops(&both, *k, *elapsed, 0);
            let first_limit = *k >= 4 || *elapsed >= 1000;
            let row = Row::new(
                stop_source(test),
                format!("stop_after_delay(1), stop_after_attempt(4), attempt {k} at {elapsed} ms"),
                Expect::Is(e),
                Got::Is(ours),
            );
            rows.push(if e != ours {
                row.differs(
                    Expect::Is(first_limit),
                    "a call stops at its first limit (attempts.max or the deadline): stop_any",
                )
            } else {
                row
            });
        }
    }
    rows
}

#[test]
fn tenacity_wait_and_stop_cases() {
    let rows: Vec<Row> = [
        exponential_cases(),
        fixed_and_random_cases(),
        random_exponential_cases(),
        exponential_jitter_cases(),
        stop_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(check("tenacity", &rows) >= 80);
}
