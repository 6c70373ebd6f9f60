//! The AWS SDKs' own retry sequences, stepped through `playground steps`:
//! one client, one reply per attempt, the decision, the delay and the retry
//! quota after each. Each case names the file and test it is ported from.
//! `--draw 1` stands for the tests' `exponentialBase: 1` / `random=lambda: 1`
//! (every jitter draw at the top of its envelope).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use serde_json::Value;

const GO_2026: &str = "aws-sdk-go-v2 aws/retry/retry2026_test.go TestRetry2026StandardMode";
const BOTO_2026: &str = "botocore tests/unit/retries/test_standard.py (NEW_RETRIES_ENABLED)";
const BOTO_LEGACY: &str = "botocore tests/unit/retries/test_standard.py (before 2026)";

/// One expected attempt: reply, decision, delay (ms), quota after.
type Expect = (&'static str, &'static str, Option<u64>, Option<u64>);

struct Case {
    source: &'static str,
    name: &'static str,
    preset: &'static str,
    sets: &'static [&'static str],
    draw: Option<&'static str>,
    script: &'static str,
    steps: &'static [Expect],
}

const R: &str = "retry";
const OK: &str = "success";
const MAX: &str = "attempts_exhausted";
const QUOTA: &str = "budget_exhausted";

fn run(case: &Case) {
    let mut args = vec!["steps", "--preset", case.preset, "--script", case.script];
    for set in case.sets {
        args.extend(["--set", set]);
    }
    if let Some(u) = case.draw {
        args.extend(["--draw", u]);
    }
    let json: Value = common::json(&args);
    let steps = json["steps"].as_array().unwrap();
    let got: Vec<(String, String, Option<u64>, Option<u64>)> = steps
        .iter()
        .map(|s| {
            (
                s["reply"].as_str().unwrap_or("-").to_string(),
                s["decision"].as_str().unwrap().to_string(),
                s["delay_ms"].as_u64(),
                s["budget_tokens"].as_u64(),
            )
        })
        .collect();
    let want: Vec<(String, String, Option<u64>, Option<u64>)> = case
        .steps
        .iter()
        .map(|(r, d, ms, q)| (r.to_string(), d.to_string(), *ms, *q))
        .collect();
    assert_eq!(got, want, "{}: {} ({args:?})", case.source, case.name);
}

const AWS_2026: &str = "lib-aws-standard-2026";
const CODES: &str = "retry.error_codes=true";

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { source: GO_2026, name: "retry eventually succeeds", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500,500,200", steps: &[("500", R, Some(50), Some(486)), ("500", R, Some(100), Some(472)), ("200", OK, None, Some(486))] },
    Case { source: GO_2026, name: "fail due to max attempts reached", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "502,502,502", steps: &[("502", R, Some(50), Some(486)), ("502", R, Some(100), Some(472)), ("502", MAX, None, Some(472))] },
    Case { source: GO_2026, name: "retry quota reached after a single retry", preset: AWS_2026, sets: &[CODES, "budget.initial=14"], draw: Some("1"),
        script: "500,500", steps: &[("500", R, Some(50), Some(0)), ("500", QUOTA, None, Some(0))] },
    Case { source: GO_2026, name: "no retries at all if retry quota is 0", preset: AWS_2026, sets: &[CODES, "budget.initial=0"], draw: Some("1"),
        script: "500", steps: &[("500", QUOTA, None, Some(0))] },
    Case { source: GO_2026, name: "verifying exponential backoff timing", preset: AWS_2026, sets: &[CODES, "attempts.max=5"], draw: Some("1"),
        script: "500,500,500,500,500", steps: &[("500", R, Some(50), Some(486)), ("500", R, Some(100), Some(472)), ("500", R, Some(200), Some(458)), ("500", R, Some(400), Some(444)), ("500", MAX, None, Some(444))] },
    Case { source: GO_2026, name: "verify max backoff time", preset: AWS_2026, sets: &[CODES, "attempts.max=5", "backoff.cap_ms=200"], draw: Some("1"),
        script: "500,500,500,500,500", steps: &[("500", R, Some(50), Some(486)), ("500", R, Some(100), Some(472)), ("500", R, Some(200), Some(458)), ("500", R, Some(200), Some(444)), ("500", MAX, None, Some(444))] },
    Case { source: GO_2026, name: "retry stops after retry quota exhaustion", preset: AWS_2026, sets: &[CODES, "attempts.max=5", "budget.initial=20"], draw: Some("1"),
        script: "500,502", steps: &[("500", R, Some(50), Some(6)), ("502", QUOTA, None, Some(6))] },
    Case { source: GO_2026, name: "retry quota recovery after successful responses", preset: AWS_2026, sets: &[CODES, "attempts.max=5", "budget.initial=30"], draw: Some("1"),
        script: "500,502,200;500,200", steps: &[("500", R, Some(50), Some(16)), ("502", R, Some(100), Some(2)), ("200", OK, None, Some(16)), ("500", R, Some(50), Some(2)), ("200", OK, None, Some(16))] },
    Case { source: GO_2026, name: "throttling error token bucket drain and backoff duration", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "400+code=Throttling,200", steps: &[("400", R, Some(1000), Some(495)), ("200", OK, None, Some(500))] },
    Case { source: GO_2026, name: "dynamodb base backoff and increased retries", preset: AWS_2026, sets: &[CODES, "backoff.base_ms=25", "attempts.max=4"], draw: Some("1"),
        script: "500,500,500,500", steps: &[("500", R, Some(25), Some(486)), ("500", R, Some(50), Some(472)), ("500", R, Some(100), Some(458)), ("500", MAX, None, Some(458))] },
    // The long-polling cases' sequences; the sleep a long-polling operation
    // takes before giving up on an empty quota is not modelled (we have no
    // long-polling operations), so "long-polling backoff when token bucket
    // empty" and "... after throttling error ..." are not ported.
    Case { source: GO_2026, name: "long-polling max attempts exceeded must not delay", preset: AWS_2026, sets: &[CODES, "attempts.max=2"], draw: Some("1"),
        script: "500,500", steps: &[("500", R, Some(50), Some(486)), ("500", MAX, None, Some(486))] },
    Case { source: GO_2026, name: "long-polling success must not delay", preset: AWS_2026, sets: &[CODES, "attempts.max=2"], draw: Some("1"),
        script: "500,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: GO_2026, name: "long-polling non-retriable errors must not delay", preset: AWS_2026, sets: &[CODES, "attempts.max=2"], draw: Some("1"),
        script: "404", steps: &[("404", "not_retryable", None, Some(500))] },
    // No exponentialBase here: any draw gives 1500 (t ≤ 50 < 1500 ≤ t + 5000).
    Case { source: GO_2026, name: "honor x-amz-retry-after header", preset: AWS_2026, sets: &[CODES], draw: None,
        script: "500+x-amz-retry-after=1500,200", steps: &[("500", R, Some(1500), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: GO_2026, name: "x-amz-retry-after minimum is exponential backoff duration", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=0,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: GO_2026, name: "x-amz-retry-after maximum is 5+exponential backoff duration", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=10000,200", steps: &[("500", R, Some(5050), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: GO_2026, name: "invalid x-amz-retry-after falls back to exponential backoff", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=invalid,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    // botocore, the same behaviour read from Python.
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_can_acquire_quota_for_throttling_error", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "400+code=Throttling,200", steps: &[("400", R, Some(1000), Some(495)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_can_acquire_quota_non_timeout_error", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_can_acquire_quota_for_timeout_error", preset: AWS_2026, sets: &[CODES, "attempts.timeout_ms=1000"], draw: Some("1"),
        script: "hang,200", steps: &[("hang", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_can_release_quota_based_on_context_value_on_success", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_can_release_quota_when_succeed_after_throttling_error", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "400+code=Throttling,200", steps: &[("400", R, Some(1000), Some(495)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_dont_release_quota_if_all_retries_failed", preset: AWS_2026, sets: &[CODES, "attempts.max=2"], draw: Some("1"),
        script: "500,500", steps: &[("500", R, Some(50), Some(486)), ("500", MAX, None, Some(486))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_can_release_default_quota_if_not_in_context", preset: AWS_2026, sets: &[CODES, "budget.initial=486"], draw: Some("1"),
        script: "200", steps: &[("200", OK, None, Some(487))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_acquire_quota_fails", preset: AWS_2026, sets: &[CODES, "budget.initial=14"], draw: Some("1"),
        script: "500,500", steps: &[("500", R, Some(50), Some(0)), ("500", QUOTA, None, Some(0))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_quota_reached_adds_retry_metadata", preset: AWS_2026, sets: &[CODES, "budget.initial=0"], draw: Some("1"),
        script: "500", steps: &[("500", QUOTA, None, Some(0))] },
    Case { source: BOTO_2026, name: "TestRetryQuotaChecker.test_single_failed_request_does_not_give_back_quota", preset: AWS_2026, sets: &[CODES, "budget.initial=450"], draw: Some("1"),
        script: "400", steps: &[("400", "not_retryable", None, Some(450))] },
    Case { source: BOTO_2026, name: "TestServiceSpecificRetries.test_dynamodb_base_backoff_and_increased_retries", preset: AWS_2026, sets: &[CODES, "backoff.base_ms=25", "attempts.max=4"], draw: Some("1"),
        script: "500,500,500,500", steps: &[("500", R, Some(25), Some(486)), ("500", R, Some(50), Some(472)), ("500", R, Some(100), Some(458)), ("500", MAX, None, Some(458))] },
    Case { source: BOTO_2026, name: "TestRetryAfterHeaderInRetries 1500", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=1500,200", steps: &[("500", R, Some(1500), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryAfterHeaderInRetries 0", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=0,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryAfterHeaderInRetries 10000", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=10000,200", steps: &[("500", R, Some(5050), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryAfterHeaderInRetries invalid", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=invalid,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_2026, name: "TestRetryAfterHeaderInRetries -100", preset: AWS_2026, sets: &[CODES], draw: Some("1"),
        script: "500+x-amz-retry-after=-100,200", steps: &[("500", R, Some(50), Some(486)), ("200", OK, None, Some(500))] },
    // Before 2026: cost 5, 10 after a timeout, base 1 s (botocore _BASE 2 with rand·2^(n−1) s: the first retry ≤ 1 s).
    Case { source: BOTO_LEGACY, name: "TestRetryQuotaChecker.test_can_acquire_quota_non_timeout_error", preset: "lib-aws-standard", sets: &[CODES], draw: Some("1"),
        script: "500,200", steps: &[("500", R, Some(1000), Some(495)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_LEGACY, name: "TestRetryQuotaChecker.test_can_acquire_quota_for_timeout_error", preset: "lib-aws-standard", sets: &[CODES, "attempts.timeout_ms=1000"], draw: Some("1"),
        script: "hang,200", steps: &[("hang", R, Some(1000), Some(490)), ("200", OK, None, Some(500))] },
    Case { source: BOTO_LEGACY, name: "TestRetryQuotaChecker.test_can_release_quota_based_on_context_value_on_success", preset: "lib-aws-standard", sets: &[CODES], draw: Some("1"),
        script: "500,200", steps: &[("500", R, Some(1000), Some(495)), ("200", OK, None, Some(500))] },
    Case { source: "aws-sdk-go-v2 aws/retry/standard_test.go", name: "TestStandard_MaxAttempts defaults (3)", preset: "lib-aws-standard", sets: &[CODES], draw: Some("0"),
        script: "503,503,503", steps: &[("503", R, Some(0), Some(495)), ("503", R, Some(0), Some(490)), ("503", MAX, None, Some(490))] },
];

#[test]
fn the_aws_sdks_sequences() {
    assert!(CASES.len() >= 35, "{} cases", CASES.len());
    for case in CASES {
        run(case);
    }
}

/// botocore `tests/unit/retries/test_quota.py` `TestRetryQuota`, on our
/// bucket directly (`RetryQuota(50)`: capacity 50; `acquire(n)` is a retry
/// costing n, `release(n)` a call that succeeded after a retry that cost n).
#[test]
fn botocore_retry_quota() {
    use policy::budget::{Budget, RetryCause};
    use policy::{BudgetConfig, BudgetKind};
    let quota = |cost: u64| {
        Budget::new(&BudgetConfig {
            kind: BudgetKind::TokenBucketRefund,
            capacity: 50,
            retry_cost: cost,
            ..BudgetConfig::default()
        })
    };
    const SRC: &str = "botocore tests/unit/retries/test_quota.py TestRetryQuota";
    // test_can_acquire_amount
    let mut q = quota(5);
    assert_eq!(
        q.charge(0, RetryCause::Failure),
        Some(5),
        "{SRC}.test_can_acquire_amount"
    );
    assert_eq!(q.tokens(), Some(45), "{SRC}.test_can_acquire_amount");
    // test_can_release_amount
    q.on_call_success(0, Some(5));
    assert_eq!(q.tokens(), Some(50), "{SRC}.test_can_release_amount");
    // test_cant_exceed_max_capacity
    let mut q = quota(5);
    q.charge(0, RetryCause::Failure);
    q.on_call_success(0, Some(10));
    assert_eq!(q.tokens(), Some(50), "{SRC}.test_cant_exceed_max_capacity");
    // test_noop_if_at_max_capacity
    let mut q = quota(5);
    q.on_call_success(0, Some(10));
    assert_eq!(q.tokens(), Some(50), "{SRC}.test_noop_if_at_max_capacity");
    // test_cant_go_below_zero: acquire(49), then acquire(10) is refused and takes nothing.
    let mut q = quota(49);
    assert_eq!(q.charge(0, RetryCause::Failure), Some(49));
    assert_eq!(q.tokens(), Some(1), "{SRC}.test_cant_go_below_zero");
    let mut q10 = Budget::new(&BudgetConfig {
        kind: BudgetKind::TokenBucketRefund,
        capacity: 50,
        initial: Some(1),
        retry_cost: 10,
        ..BudgetConfig::default()
    });
    assert_eq!(
        q10.charge(0, RetryCause::Failure),
        None,
        "{SRC}.test_cant_go_below_zero"
    );
    assert_eq!(q10.tokens(), Some(1), "{SRC}.test_cant_go_below_zero");
}

/// A bad script or draw is refused with its bad part named, never a panic.
#[test]
fn steps_names_a_bad_script() {
    let bad = |script: &str, needles: &[&str]| {
        common::bad(
            &["steps", "--preset", AWS_2026, "--script", script],
            needles,
        )
    };
    bad(
        "500,600",
        &["--script", "call 1 reply 2 `600`", "out of range 200..599"],
    );
    bad("500+wait=2", &["unknown `+wait`"]);
    bad("500;", &["call 2 is empty (a stray `;`?)"]);
    common::bad(
        &["steps", "--script", "500", "--draw", "2"],
        &["--draw", "jitter.draw"],
    );
    let table = common::ok(&[
        "steps", "--preset", AWS_2026, "--script", "500,200", "--draw", "0", "--format", "table",
    ]);
    assert!(table.starts_with("call attempt reply"), "{table}");
    assert!(table.contains("success"), "{table}");
}

const GO_ADAPTIVE: &str = "aws-sdk-go-v2 aws/retry/adaptive_ratelimit_test.go";

/// `TestAdaptiveRateLimit_cubic`: the curve from `lastMaxRate` 10 at 5 s,
/// a success or a throttle each second ("success" and "mixed").
#[test]
fn aws_adaptive_cubic() {
    use policy::adaptive::RateLimiter;
    let success: &[(bool, u64, f64)] = &[
        (false, 5, 7.0),
        (false, 6, 9.64893600966),
        (false, 7, 10.000030849917364),
        (false, 8, 10.453284520772092),
        (false, 9, 13.408697022224185),
        (false, 10, 21.26626835427364),
        (false, 11, 36.425998516920465),
    ];
    let mixed: &[(bool, u64, f64)] = &[
        (false, 5, 7.0),
        (false, 6, 9.64893600966),
        (true, 7, 6.754255206761999),
        (true, 8, 4.727978644733399),
        (false, 9, 4.670125557970046),
        (false, 10, 4.770870456867401),
        (false, 11, 6.011819748005445),
        (false, 12, 10.792973431384178),
    ];
    for (name, attempts) in [("success", success), ("mixed", mixed)] {
        let mut limiter = RateLimiter::new(0);
        limiter.set_last_max(10.0, 5_000);
        let mut rate = 0.0;
        for &(throttled, at_s, want) in attempts {
            limiter.calculate_time_window();
            if throttled {
                rate = limiter.cubic_throttle(rate);
                limiter.set_last_max(rate, at_s * 1000);
            } else {
                rate = limiter.cubic_success(at_s * 1000);
            }
            assert!(
                (rate - want).abs() < 1e-9,
                "{GO_ADAPTIVE} TestAdaptiveRateLimit_cubic/{name} at {at_s} s: {rate} != {want}"
            );
        }
    }
}

/// `TestAdaptiveRateLimit_Update` "base": a reply every 200 ms, throttled at
/// 2 s and 3.2 s: the measured rate (0.5 s buckets) and the fill rate.
#[test]
fn aws_adaptive_update() {
    use policy::adaptive::RateLimiter;
    let steps: &[(bool, u64, f64, f64)] = &[
        (false, 200, 0.0, 0.5),
        (false, 400, 0.0, 0.5),
        (false, 600, 4.8, 0.5),
        (false, 800, 4.8, 0.5),
        (false, 1000, 4.16, 0.5),
        (false, 1200, 4.16, 0.6912),
        (false, 1400, 4.16, 1.0976),
        (false, 1600, 5.632, 1.6384),
        (false, 1800, 5.632, 2.3328),
        (true, 2000, 4.3264, 3.02848),
        (false, 2200, 4.3264, 3.4866391734702598),
        (false, 2400, 4.3264, 3.8218744160402554),
        (false, 2600, 5.665280, 4.053385727709987),
        (false, 2800, 5.665280, 4.200373108479455),
        (false, 3000, 4.333056, 4.282036558348658),
        (true, 3200, 4.333056, 2.99742559084406),
        (false, 3400, 4.333056, 3.4522263943863463),
    ];
    let mut limiter = RateLimiter::new(0);
    for &(throttled, at_ms, measured, fill) in steps {
        limiter.update(at_ms, throttled);
        assert!(
            (limiter.measured_rate() - measured).abs() < 1e-9,
            "{GO_ADAPTIVE} TestAdaptiveRateLimit_Update/base/{at_ms}: measured {} != {measured}",
            limiter.measured_rate()
        );
        assert!(
            (limiter.fill_rate() - fill).abs() < 1e-9,
            "{GO_ADAPTIVE} TestAdaptiveRateLimit_Update/base/{at_ms}: fill {} != {fill}",
            limiter.fill_rate()
        );
    }
}

const SMITHY_LIMITER: &str =
    "smithy-rs rust-runtime/aws-smithy-runtime/src/client/retries/client_rate_limiter.rs tests";

/// smithy-rs's client rate limiter tests. Its `test_calculated_rate_with_successes`,
/// `test_calculated_rate_with_throttles` and `test_client_sending_rates` are the Go
/// tables above (ported from Go, it says); these are its own.
#[test]
fn smithy_rs_client_rate_limiter() {
    use policy::adaptive::RateLimiter;
    // should_match_beta_decrease
    let mut limiter = RateLimiter::new(0);
    assert!(
        (limiter.cubic_throttle(10.0) - 7.0).abs() < 1e-12,
        "{SMITHY_LIMITER}::should_match_beta_decrease"
    );
    limiter.set_last_max(10.0, 1_000);
    limiter.calculate_time_window();
    assert!(
        (limiter.cubic_success(1_000) - 7.0).abs() < 1e-9,
        "{SMITHY_LIMITER}::should_match_beta_decrease"
    );
    // throttling_is_enabled_once_throttling_error_is_received
    let mut limiter = RateLimiter::new(0);
    assert!(
        !limiter.is_enabled(),
        "{SMITHY_LIMITER}::throttling_is_enabled_once_throttling_error_is_received"
    );
    limiter.update(0, true);
    assert!(
        limiter.is_enabled(),
        "{SMITHY_LIMITER}::throttling_is_enabled_once_throttling_error_is_received"
    );
    // test_when_throttling_is_enabled_requests_can_still_be_sent: after a
    // throttle, 100 requests at steps of up to 1 s (here a fixed
    // pseudo-random sequence), each waiting when told: every one is sent.
    let mut limiter = RateLimiter::new(0);
    limiter.update(0, true);
    let mut now_ms = 0u64;
    let mut x = 7u64;
    for i in 0..100 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        now_ms += (x >> 33) % 1001;
        if let Err(wait_ms) = limiter.acquire(now_ms) {
            now_ms += wait_ms;
            assert_eq!(limiter.acquire(now_ms), Ok(()), "{SMITHY_LIMITER}::test_when_throttling_is_enabled_requests_can_still_be_sent, request {i}");
        }
        limiter.update(now_ms, false);
    }
    assert!(limiter.is_enabled(), "{SMITHY_LIMITER}: still enabled");
}
