//! urllib3's own `Retry` cases, ported: `urllib3/urllib3` `test/test_retry.py`
//! (at 6a8536b6; the conformance layer pins urllib3 2.8.0, the same code).
//!
//! `Retry(total=t, backoff_factor=f, backoff_max=m, backoff_jitter=j)` is the
//! `lib-urllib3` profile with `attempts.max = t + 1`, `backoff.base_ms = f`,
//! `backoff.cap_ms = m`, additive jitter `j`; `get_backoff_time()` after `n`
//! increments (n consecutive errors) is our delay before retry `n`.
//! `is_retry`/`increment` become a call of our [`policy::Call`] driven by a
//! script of outcomes. `cargo test -p policy --test libcases_urllib3 -- --nocapture`
//! prints the table.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
mod libcase;

use libcase::{
    attempt, call, check, delay, edges, profile, retries_after, status, with, Expect, Got, Row,
};
use policy::retry_after::parse;
use policy::{Done, Outcome, PolicyConfig, RequestKind};

const FILE: &str = "test/test_retry.py";

fn source(test: &str) -> &'static str {
    Box::leak(format!("{FILE}::TestRetry::{test}").into_boxed_str())
}

/// `Retry(total, backoff_factor, backoff_max, backoff_jitter)`, times in ms.
fn retry(total: u32, factor_ms: u64, max_ms: u64, jitter_ms: u64) -> PolicyConfig {
    let mut c = with(
        profile("lib-urllib3"),
        &[
            ("attempts.max", &(total + 1).to_string()),
            ("backoff.base_ms", &factor_ms.to_string()),
            ("backoff.cap_ms", &max_ms.to_string()),
        ],
    );
    if jitter_ms > 0 {
        c = with(
            c,
            &[
                ("jitter.kind", "additive"),
                ("jitter.additive_ms", &jitter_ms.to_string()),
            ],
        );
    }
    c
}

/// The sequence of `get_backoff_time()` a test asserts after 1, 2, ...
/// increments (the `None` entries are increments it does not check).
fn backoff_rows(
    rows: &mut Vec<Row>,
    test: &str,
    c: &PolicyConfig,
    label: &str,
    expected: &[(u32, Expect)],
) {
    // "First request": before any error urllib3 sleeps nothing; we never sleep
    // before attempt 1 (a call that succeeds at once sleeps 0 ms in all).
    let (_, sleeps) = call(c, RequestKind::Idempotent, &[]);
    rows.push(Row::new(
        source(test),
        format!("{label}, first request"),
        Expect::Ms(0),
        Got::Ms(sleeps.iter().sum()),
    ));
    for (n, expect) in expected {
        let got = match expect {
            Expect::Between(..) => edges(c, *n),
            _ => Got::Ms(delay(c, *n, 0.5)),
        };
        rows.push(Row::new(
            source(test),
            format!("{label}, after {n} increments"),
            expect.clone(),
            got,
        ));
    }
}

fn backoff_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let ms = Expect::Ms;
    backoff_rows(
        &mut rows,
        "test_backoff",
        &retry(100, 200, 120_000, 0),
        "Retry(total=100, backoff_factor=0.2)",
        &[
            (1, ms(0)),
            (2, ms(400)),
            (3, ms(800)),
            (4, ms(1600)),
            (14, ms(120_000)),
        ],
    );
    backoff_rows(
        &mut rows,
        "test_configurable_backoff_max",
        &retry(100, 200, 1000, 0),
        "Retry(total=100, backoff_factor=0.2, backoff_max=1)",
        &[
            (1, ms(0)),
            (2, ms(400)),
            (3, ms(800)),
            (4, ms(1000)),
            (5, ms(1000)),
        ],
    );
    backoff_rows(
        &mut rows,
        "test_backoff_jitter",
        &retry(100, 200, 1000, 400),
        "Retry(total=100, backoff_factor=0.2, backoff_max=1, backoff_jitter=0.4), random 0 and ~1",
        &[
            (1, ms(0)),
            (2, Expect::Between(400, 800)),
            (3, Expect::Between(800, 1000)),
            (4, Expect::Between(1000, 1000)),
            (5, Expect::Between(1000, 1000)),
        ],
    );
    backoff_rows(
        &mut rows,
        "test_zero_backoff",
        &retry(10, 0, 120_000, 0),
        "Retry()",
        &[(2, ms(0))],
    );
    // test_backoff_reset_after_redirect: a redirect is followed by our
    // transport, never an attempt, so the errors after it count from 1 again.
    let c = retry(100, 200, 120_000, 0);
    for what in ["two errors", "a redirect, then two errors"] {
        rows.push(Row::new(
            source("test_backoff_reset_after_redirect"),
            format!("Retry(total=100, redirect=5, backoff_factor=0.2), {what}"),
            ms(400),
            Got::Ms(delay(&c, 2, 0.5)),
        ));
    }
    rows
}

/// 2019-06-03 11:00:00 UTC, the test's mocked `time.time()`, in Unix ms.
const NOW_MS: u64 = 1_559_559_600_000;

/// The sleep before the retry of a 503 carrying `header`, under `c`.
fn sleep_for(c: &PolicyConfig, header: &str) -> u64 {
    let outcome = Outcome::Response {
        status: 503,
        retry_after_ms: parse(header, NOW_MS).ok(),
    };
    let (_, sleeps) = call(c, RequestKind::Idempotent, &[attempt(1, outcome)]);
    sleeps.first().copied().unwrap_or(0)
}

fn retry_after_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    // test_configurable_retry_after_max: parse_retry_after caps at retry_after_max.
    let default = retry(10, 0, 120_000, 0);
    let max_1s = with(default.clone(), &[("retry_after.cap_ms", "1000")]);
    for (c, label, header, expected) in [
        (&default, "Retry()", "21600", 21_600_000),
        (&default, "Retry()", "21601", 21_600_000),
        (&max_1s, "Retry(retry_after_max=1)", "1", 1000),
        (&max_1s, "Retry(retry_after_max=1)", "2", 1000),
    ] {
        rows.push(Row::new(
            source("test_configurable_retry_after_max"),
            format!("{label}, Retry-After: {header}"),
            Expect::Ms(expected),
            Got::Ms(sleep_for(c, header)),
        ));
    }
    for value in ["-1", "+1", "1.0", "\u{b2}"] {
        rows.push(Row::new(
            source("test_parse_retry_after_invalid"),
            format!("Retry-After: {value:?} accepted"),
            Expect::Is(false),
            Got::Is(parse(value, NOW_MS).is_ok()),
        ));
    }
    for (value, seconds) in [("0", 0u64), ("1000", 1000), ("\t42 ", 42)] {
        rows.push(Row::new(
            source("test_parse_retry_after"),
            format!("Retry-After: {value:?}"),
            Expect::Ms(seconds * 1000),
            Got::Ms(parse(value, NOW_MS).unwrap_or(u64::MAX)),
        ));
    }
    // test_respect_retry_after_header_sleep (each row holds for the three
    // stub time zones: we take the time as Unix ms, no zone). "Not called"
    // is no sleep: Retry()'s backoff factor is 0.
    for (header, respect, seconds) in [
        ("3600", true, Some(3600)),
        ("3600", false, None),
        ("Mon, 3 Jun 2019 12:00:00 UTC", true, Some(3600)),
        ("Mon, 3 Jun 2019 12:00:00 UTC", false, None),
        ("Mon, 3 Jun 2019 11:00:00 UTC", true, None),
        ("Mon, 3 Jun 2019 11:00:00 UTC", false, None),
        ("Mon, 03 Jun 2019 11:30:12 GMT", true, Some(1812)),
        ("Monday, 03-Jun-19 11:30:12 GMT", true, Some(1812)),
        ("Mon Jun  3 11:30:12 2019", true, Some(1812)),
    ] {
        let c = with(
            default.clone(),
            &[("retry_after.honor", if respect { "true" } else { "false" })],
        );
        rows.push(Row::new(
            source("test_respect_retry_after_header_sleep"),
            format!("503, Retry-After: {header:?}, respect {respect}"),
            Expect::Ms(seconds.map_or(0, |s: u64| s * 1000)),
            Got::Ms(sleep_for(&c, header)),
        ));
    }
    rows
}

fn classify_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let get = RequestKind::Idempotent;
    let post = RequestKind::NonIdempotent;
    let forcelist_5xx = with(retry(10, 0, 120_000, 0), &[("retry.status_5xx", "true")]);
    for (code, expected) in [(200, false), (400, false), (500, true)] {
        rows.push(Row::new(
            source("test_status_forcelist"),
            format!("status_forcelist=range(500, 600), GET {code}"),
            Expect::Is(expected),
            Got::Is(retries_after(&forcelist_5xx, get, status(code))),
        ));
    }
    let forcelist_418 = with(retry(1, 0, 120_000, 0), &[("retry.status.418", "true")]);
    for (code, expected) in [(400, false), (418, true)] {
        rows.push(Row::new(
            source("test_status_forcelist"),
            format!("total=1, status_forcelist=[418], GET {code}"),
            Expect::Is(expected),
            Got::Is(retries_after(&forcelist_418, get, status(code))),
        ));
    }
    // allowed_methods=None: any method; our rule: no key needed for POST.
    let any_method = with(
        retry(10, 0, 120_000, 0),
        &[
            ("retry.status.500", "true"),
            ("retry.require_key_for_unsafe", "false"),
        ],
    );
    for (method, kind) in [("GET", get), ("POST", post)] {
        rows.push(Row::new(
            source("test_allowed_methods_with_status_forcelist"),
            format!("status_forcelist=[500], allowed_methods=None, {method} 500"),
            Expect::Is(true),
            Got::Is(retries_after(&any_method, kind, status(500))),
        ));
    }
    rows.push(Row::new(
        source("test_allowed_methods_with_status_forcelist"),
        "status_forcelist=[500], allowed_methods=[\"POST\"], POST 500",
        Expect::Is(true),
        Got::Is(retries_after(&any_method, post, status(500))),
    ));
    rows.push(
        Row::new(
            source("test_allowed_methods_with_status_forcelist"),
            "status_forcelist=[500], allowed_methods=[\"POST\"], GET 500",
            Expect::Is(false),
            Got::Is(retries_after(&any_method, get, status(500))),
        )
        .differs(
            Expect::Is(true),
            "we decide by idempotency (an idempotent request is always retryable), not by a list of method names",
        ),
    );
    rows.push(Row::new(
        source("test_retry_method_not_allowed"),
        "Retry(), POST read timeout",
        Expect::Is(false),
        Got::Is(retries_after(
            &retry(10, 0, 120_000, 0),
            post,
            Outcome::TimedOut,
        )),
    ));
    rows
}

/// How many attempts a call makes when every attempt meets `outcome`.
fn attempts_until_exhausted(c: &PolicyConfig, outcome: Outcome) -> (u64, bool) {
    let script = vec![attempt(1, outcome); 20];
    match call(c, RequestKind::Idempotent, &script).0 {
        Done::Succeeded { attempts } => (u64::from(attempts), false),
        Done::GaveUp { attempts, .. } => (u64::from(attempts), true),
    }
}

fn count_cases() -> Vec<Row> {
    let mut rows = Vec::new();
    let read_timeout = Outcome::TimedOut;
    let connect = Outcome::NetworkError;
    // `Retry(connect=c, total=t)`: the lower count wins; ours is one count,
    // attempts.max = min(c, t) + 1. "Raises on the k-th increment" is k attempts.
    for (test, label, retries, outcome, raises_at) in [
        (
            "test_retry_both_specified",
            "connect=3, total=2, connect timeouts",
            2u32,
            connect,
            3u64,
        ),
        (
            "test_retry_higher_total_loses",
            "connect=2, total=3, connect timeouts",
            2,
            connect,
            3,
        ),
        (
            "test_retry_higher_total_loses_vs_read",
            "read=2, total=3, read timeouts",
            2,
            read_timeout,
            3,
        ),
        (
            "test_retry_total_none",
            "connect=2, total=None, connect timeouts",
            2,
            connect,
            3,
        ),
        (
            "test_retry_default",
            "connect=1, connect timeouts",
            1,
            connect,
            2,
        ),
        ("test_retry_other", "other=1, SSL errors", 1, connect, 2),
        (
            "test_status_counter",
            "status=2, 400 responses",
            2,
            status(400),
            3,
        ),
        ("test_disabled", "Retry(0).increment", 0, status(500), 1),
    ] {
        let mut c = with(
            retry(retries, 0, 120_000, 0),
            &[("retry.status.500", "true")],
        );
        if test == "test_status_counter" {
            // urllib3 counts any response passed to increment; ours needs 400 retried.
            c = with(c, &[("retry.status.400", "true")]);
        }
        let (attempts, gave_up) = attempts_until_exhausted(&c, outcome);
        rows.push(Row::new(
            source(test),
            format!("{label}: attempts until MaxRetryError"),
            Expect::Count(raises_at),
            Got::Count(if gave_up { attempts } else { 0 }),
        ));
    }
    let no_read = with(retry(10, 0, 120_000, 0), &[("retry.timeout", "false")]);
    rows.push(Row::new(
        source("test_retry_read_zero"),
        "Retry(read=0), read timeout: attempts until MaxRetryError",
        Expect::Count(1),
        Got::Count(attempts_until_exhausted(&no_read, read_timeout).0),
    ));
    // test_retry_total_none, second part: connect=2 does not limit read errors.
    let (attempts, _) = attempts_until_exhausted(&retry(2, 0, 120_000, 0), read_timeout);
    rows.push(
        Row::new(
            source("test_retry_total_none"),
            "connect=2, total=None, three read timeouts: not exhausted (a 4th attempt)",
            Expect::Is(true),
            Got::Is(attempts > 3),
        )
        .differs(
            Expect::Is(false),
            "one count (attempts.max) for every kind of failure; urllib3 counts connect, read, status, other apart",
        ),
    );
    rows.push(Row::new(
        source("test_exhausted"),
        "Retry(0): not exhausted before the first request (one attempt is sent)",
        Expect::Is(true),
        Got::Is(attempts_until_exhausted(&retry(0, 0, 120_000, 0), connect).0 == 1),
    ));
    rows
}

#[test]
fn urllib3_retry_cases() {
    let rows: Vec<Row> = [
        backoff_cases(),
        retry_after_cases(),
        classify_cases(),
        count_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(check("urllib3", &rows) >= 50);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 2000, ..Default::default() })]

    /// The lenient dates (urllib3's parsedate_tz reads them) never panic and
    /// read as their IMF-fixdate.
    #[test]
    fn lenient_dates_read_as_imf_fixdate(
        noise in ".{0,40}",
        day in 1u32..=9,
        zone in proptest::sample::select(vec!["GMT", "UTC", "+0000"]),
    ) {
        let _ = parse(&noise, NOW_MS);
        let weekday = ["Sat", "Sun", "Mon", "Tue", "Wed", "Thu", "Fri"][((day - 1) % 7) as usize];
        let lenient = format!("{weekday}, {day} Jun 2019 12:00:00 {zone}");
        let strict = format!("{weekday}, 0{day} Jun 2019 12:00:00 GMT");
        proptest::prop_assert_eq!(parse(&lenient, NOW_MS), parse(&strict, NOW_MS));
        proptest::prop_assert!(parse(&strict, NOW_MS).is_ok(), "{}", strict);
    }
}
