//! gRPC's own retry-throttling cases, ported: grpc-java (at 5fda0c7c)
//! `core/src/test/java/io/grpc/internal/RetriableStreamTest.java` (the
//! `Throttle` class and the throttled streams) and `RetryPolicyTest.java`
//! (`getThrottle`, the `Throttle`'s equality on its thousandths), and grpc
//! core's `test/core/client_channel/retry_throttle_test.cc` (`RetryThrottler`,
//! called `ServerRetryThrottleData`/`ServerRetryThrottleMap` before the move
//! to `src/core/client_channel/`). Each step of a library's test is a row:
//! the answer it asserts (`RecordFailure`, `onQualifiedFailureThenCheckIsAboveThreshold`,
//! `isAboveThreshold`) and the tokens gRPC's arithmetic gives, against
//! [`Budget`] with `budget.kind = grpc_throttling`. The streams' cases run a
//! `lib-grpc` call through [`Call`], another call's failure taken from the
//! same client's budget. grpc-go's `TestRetryThrottling` is in
//! `crates/cli/tests/libcases_grpc.rs`. `cargo test -p policy --test
//! libcases_grpc_throttle -- --nocapture` prints the table.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
mod libcase;

use std::sync::Arc;

use common::SeqRng;
use libcase::{check, profile, status, with, Expect, Got, Row};
use policy::budget::Budget;
use policy::hints::ReplyHints;
use policy::{BudgetKind, Call, ClientState, Done, GaveUp, PolicyConfig, RequestKind, Step};

const JAVA_STREAM: &str = "core/src/test/java/io/grpc/internal/RetriableStreamTest.java";
const CORE: &str = "test/core/client_channel/retry_throttle_test.cc";

fn source(file: &str, test: &str) -> &'static str {
    Box::leak(format!("{file}::{test}").into_boxed_str())
}

/// A token count as gRPC keeps it: to the thousandth.
fn tokens(t: f64) -> Expect {
    Expect::Near(t, 1e-9)
}

/// A throttle of `max_tokens` (`maxTokens`) and `token_ratio` (`tokenRatio`).
fn throttle(max_tokens: &str, token_ratio: &str) -> Budget {
    let c = with(
        PolicyConfig::default(),
        &[
            ("budget.kind", "grpc_throttling"),
            ("budget.capacity", max_tokens),
            ("budget.token_ratio", token_ratio),
        ],
    );
    assert_eq!(c.budget.kind, BudgetKind::GrpcThrottling);
    Budget::new(&c.budget)
}

/// `isAboveThreshold`: tokens > maxTokens / 2.
fn is_above(budget: &Budget, max_tokens: f64) -> bool {
    budget.token_count().unwrap() > max_tokens / 2.0
}

/// One step of a library's throttle test.
#[derive(Clone, Copy)]
enum Op {
    /// A qualified failure; the library's answer (retries still allowed)
    /// and the tokens after it.
    Failure(bool, f64),
    /// A successful call; the tokens after it.
    Success(f64),
    /// `isAboveThreshold` asked without a change.
    Above(bool),
}

/// Runs `ops` on `budget`, a row per answer and per token count.
fn steps(source: &'static str, max_tokens: f64, budget: &mut Budget, ops: &[Op]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (k, op) in (1..).zip(ops) {
        match *op {
            Op::Failure(answer, after) => {
                let got = budget.on_failed_attempt(0);
                let left = budget.token_count().unwrap();
                let step = format!("step {k}: failure");
                rows.push(Row::new(
                    source,
                    format!("{step}, retry allowed?"),
                    Expect::Is(answer),
                    Got::Is(got),
                ));
                rows.push(Row::new(
                    source,
                    format!("{step}, tokens"),
                    tokens(after),
                    Got::Real(left),
                ));
            }
            Op::Success(after) => {
                budget.on_success(0);
                rows.push(Row::new(
                    source,
                    format!("step {k}: success, tokens"),
                    tokens(after),
                    Got::Real(budget.token_count().unwrap()),
                ));
            }
            Op::Above(answer) => rows.push(Row::new(
                source,
                format!("step {k}: isAboveThreshold"),
                Expect::Is(answer),
                Got::Is(is_above(budget, max_tokens)),
            )),
        }
    }
    rows
}

/// `RetriableStreamTest::throttle`: `new Throttle(4f, 0.8f)`. The test's
/// comments after the successes skip a step (they say 3.2, 4 where the
/// arithmetic gives 2.4, 3.2); the token column is the arithmetic's, the
/// answers are the test's asserts.
fn java_throttle() -> Vec<Row> {
    use Op::{Above, Failure, Success};
    #[rustfmt::skip]
    let ops = [
        Above(true), Failure(true, 3.0), Above(true), Failure(false, 2.0), Above(false),
        Failure(false, 1.0), Failure(false, 0.0), Failure(false, 0.0), Failure(false, 0.0),
        Above(false), Success(0.8), Above(false), Success(1.6), Above(false), Success(2.4),
        Above(true), Success(3.2), Above(true), Success(4.0), Above(true), Success(4.0),
        Above(true), Above(true), Failure(true, 3.0), Above(true), Failure(false, 2.0),
        Above(false),
    ];
    let mut budget = throttle("4", "0.8");
    steps(source(JAVA_STREAM, "throttle"), 4.0, &mut budget, &ops)
}

/// grpc core `RetryThrottler::Basic`: `Create(4000, 1600)`, milli-tokens.
fn core_basic() -> Vec<Row> {
    use Op::{Failure, Success};
    #[rustfmt::skip]
    let ops = [
        Failure(true, 3.0), Success(4.0), Failure(true, 3.0), Failure(false, 2.0),
        Failure(false, 1.0), Failure(false, 0.0), Failure(false, 0.0), Success(1.6),
        Success(3.2), Failure(true, 2.2), Failure(false, 1.2), Success(2.8), Failure(false, 1.8),
        Success(3.4), Failure(true, 2.4),
    ];
    let mut budget = throttle("4", "1.6");
    steps(
        source(CORE, "RetryThrottler::Basic"),
        4.0,
        &mut budget,
        &ops,
    )
}

/// grpc core `RetryThrottler::Replacement` (and `ServerRetryThrottleMap::Replacement`
/// before): the old throttler's part is ported; the replacement is not ours.
fn core_replacement() -> Vec<Row> {
    let test = source(CORE, "RetryThrottler::Replacement");
    let mut budget = throttle("4", "1");
    let mut rows = vec![Row::new(
        test,
        "Create(4000, 1000): milli_tokens",
        Expect::Count(4000),
        Got::Count((budget.token_count().unwrap() * 1000.0).round() as u64),
    )];
    rows.extend(steps(test, 4.0, &mut budget, &[Op::Failure(true, 3.0)]));
    // A new service config with other settings: core carries the count over
    // scaled (3/4 of 10 = 7.5); a run's policy never changes mid-run, and a
    // new policy is a new run whose bucket starts at budget.initial (full).
    let fresh = throttle("10", "3");
    rows.push(
        Row::new(
            test,
            "Create(10000, 3000, old_throttler at 3 of 4): milli_tokens",
            Expect::Count(7500),
            Got::Count((fresh.token_count().unwrap() * 1000.0).round() as u64),
        )
        .differs(
            Expect::Count(10_000),
            "no service-config replacement: a run's policy is fixed, a new one starts full (its steps after the 7.5 are not ported)",
        ),
    );
    rows
}

/// `RetryPolicyTest::getThrottle`: the service config's `retryThrottling`
/// `{maxTokens: 10, tokenRatio: 0.1}` equals `new Throttle(10f, 0.1f)`, an
/// equality on `maxTokens` and `tokenRatio` in thousandths: `lib-grpc`'s.
fn java_get_throttle() -> Vec<Row> {
    let test = source(
        "core/src/test/java/io/grpc/internal/RetryPolicyTest.java",
        "getThrottle",
    );
    let c = profile("lib-grpc");
    let mut budget = Budget::new(&c.budget);
    let max_milli = (budget.token_count().unwrap() * 1000.0).round() as u64;
    budget.on_failed_attempt(0);
    let failed = budget.token_count().unwrap();
    budget.on_success(0);
    let ratio_milli = ((budget.token_count().unwrap() - failed) * 1000.0).round() as u64;
    vec![
        Row::new(
            test,
            "lib-grpc: maxTokens × 1000",
            Expect::Count(10_000),
            Got::Count(max_milli),
        ),
        Row::new(
            test,
            "lib-grpc: tokenRatio × 1000 (what a success gives back)",
            Expect::Count(100),
            Got::Count(ratio_milli),
        ),
    ]
}

/// What another call does after the stream's reply, and the test's answer.
#[derive(Clone, Copy)]
enum Then {
    Nothing,
    /// A qualified failure: retry allowed?
    Failure(bool),
    /// A success: isAboveThreshold, and the tokens.
    Success(bool, f64),
}

/// A throttled stream's test: other calls' qualified failures first (their
/// answers), then the stream's reply (`None`: `headersRead`, a success;
/// else its status and `grpc-retry-pushback-ms`), whether it retries
/// (`never().postCommit()`), `isAboveThreshold` and the tokens after, then
/// another call's turn.
struct StreamCase {
    test: &'static str,
    others: &'static [bool],
    reply: Option<(u16, Option<&'static str>)>,
    retries: bool,
    above: bool,
    tokens: f64,
    then: Then,
}

/// A `lib-grpc` client with `Throttle(4f, 0.8f)` and `MAX_ATTEMPTS` 6;
/// `UNAVAILABLE` is our 503, `INTERNAL` (not retried) our 500.
fn stream_config() -> Arc<PolicyConfig> {
    Arc::new(with(
        profile("lib-grpc"),
        &[
            ("budget.capacity", "4"),
            ("budget.token_ratio", "0.8"),
            ("attempts.max", "6"),
        ],
    ))
}

/// Runs one stream case through a [`Call`] and the client's budget.
fn stream_rows(case: &StreamCase) -> Vec<Row> {
    let test = source(JAVA_STREAM, case.test);
    let config = stream_config();
    let mut client = ClientState::new(&config);
    let mut rng = SeqRng::new(&[SeqRng::unit(0.5)]);
    let mut call = Call::new(Arc::clone(&config), 0, RequestKind::Idempotent, &mut rng);
    let Step::Send { attempt, .. } = call.poll(0, &mut client, &mut rng) else {
        panic!("the first attempt is sent at once");
    };
    let mut rows = Vec::new();
    for (k, &want) in (1..).zip(case.others) {
        let got = client.budget_mut().on_failed_attempt(1);
        let inputs = format!("another call's failure {k}: retry allowed?");
        rows.push(Row::new(test, inputs, Expect::Is(want), Got::Is(got)));
    }
    let (outcome, hints) = match case.reply {
        None => (status(200), ReplyHints::default()),
        Some((code, pushback)) => {
            let headers = pushback.map(|v| ("grpc-retry-pushback-ms", v));
            (status(code), ReplyHints::from_headers(headers))
        }
    };
    call.on_outcome_hinted(2, attempt, outcome, hints, &mut client);
    let retried = matches!(call.poll(2, &mut client, &mut rng), Step::Sleep { .. });
    let retries = Row::new(
        test,
        "the stream retries?",
        Expect::Is(case.retries),
        Got::Is(retried),
    );
    // grpc-java retries a non-retryable status after a valid pushback;
    // grpc-go's shouldRetry (and ours) reads the status first.
    rows.push(if case.retries && !retried {
        retries.differs(
            Expect::Is(false),
            "a pushback does not make a non-retryable status retryable, as in grpc-go's shouldRetry",
        )
    } else {
        retries
    });
    let left = client.budget_token_count().unwrap();
    rows.push(Row::new(
        test,
        "then isAboveThreshold",
        Expect::Is(case.above),
        Got::Is(left > 2.0),
    ));
    rows.push(Row::new(
        test,
        "then tokens",
        tokens(case.tokens),
        Got::Real(left),
    ));
    match case.then {
        Then::Nothing => {}
        Then::Failure(want) => {
            let got = client.budget_mut().on_failed_attempt(3);
            let inputs = "then another call's failure: retry allowed?";
            rows.push(Row::new(test, inputs, Expect::Is(want), Got::Is(got)));
        }
        Then::Success(above, after) => {
            client.budget_mut().on_success(3);
            let left = client.budget_token_count().unwrap();
            let inputs = "then another call's success: isAboveThreshold";
            rows.push(Row::new(
                test,
                inputs,
                Expect::Is(above),
                Got::Is(left > 2.0),
            ));
            rows.push(Row::new(
                test,
                "then tokens",
                tokens(after),
                Got::Real(left),
            ));
        }
    }
    rows
}

/// The throttled streams: `RETRIABLE_STATUS_CODE_1` (UNAVAILABLE, 503),
/// `NON_RETRIABLE_STATUS_CODE` (INTERNAL, 500), a pushback of 123 ms
/// (retriable) or `""` (unreadable: do not retry, a qualified failure).
fn java_streams() -> Vec<Row> {
    let case = |test, reply, retries, above, tokens, then| StreamCase {
        test,
        others: &[true],
        reply: Some(reply),
        retries,
        above,
        tokens,
        then,
    };
    // (test, reply, retries, isAboveThreshold after, tokens after, then)
    #[rustfmt::skip]
    let cases = [
        case("throttledStream_FailWithRetriableStatusCode_WithoutPushback", (503, None), false, false, 2.0, Then::Nothing),
        case("throttledStream_FailWithNonRetriableStatusCode_WithoutPushback", (500, None), false, true, 3.0, Then::Failure(false)),
        case("throttledStream_FailWithRetriableStatusCode_WithRetriablePushback", (503, Some("123")), false, false, 2.0, Then::Nothing),
        case("throttledStream_FailWithNonRetriableStatusCode_WithRetriablePushback", (500, Some("123")), true, true, 3.0, Then::Failure(false)),
        case("throttledStream_FailWithRetriableStatusCode_WithNonRetriablePushback", (503, Some("")), false, false, 2.0, Then::Nothing),
        case("throttledStream_FailWithNonRetriableStatusCode_WithNonRetriablePushback", (500, Some("")), false, false, 2.0, Then::Nothing),
        StreamCase {
            test: "throttleStream_Succeed",
            others: &[true, false, false],
            reply: None,
            retries: false,
            above: false,
            tokens: 1.8,
            then: Then::Success(true, 2.6),
        },
    ];
    cases.iter().flat_map(stream_rows).collect()
}

#[test]
fn grpc_java_throttle() {
    let mut rows = java_throttle();
    rows.extend(java_get_throttle());
    check("grpc-java Throttle", &rows);
}

#[test]
fn grpc_java_throttled_streams() {
    check("grpc-java throttled streams", &java_streams());
}

#[test]
fn grpc_core_retry_throttler() {
    let mut rows = core_basic();
    rows.extend(core_replacement());
    check("grpc core RetryThrottler", &rows);
}

/// A `lib-grpc` client hedging as `HEDGING_POLICY`: `MAX_ATTEMPTS` 6,
/// `HEDGING_DELAY_IN_SECONDS` 100, `Throttle(4f, 0.8f)`.
fn hedging_config() -> Arc<PolicyConfig> {
    Arc::new(with(
        (*stream_config()).clone(),
        &[("hedge.delay_ms", "100000"), ("hedge.max_extra", "5")],
    ))
}

/// A hedged call with its first hedge out (attempts 1 and 2 in flight),
/// and attempt 1 failed with UNAVAILABLE.
fn hedged_call(client: &mut ClientState, rng: &mut SeqRng) -> Call {
    let config = hedging_config();
    let mut call = Call::new(Arc::clone(&config), 0, RequestKind::Idempotent, rng);
    assert!(matches!(
        call.poll(0, client, rng),
        Step::Send { attempt: 1, .. }
    ));
    let at = call.hedge_at_ms().unwrap();
    assert!(matches!(
        call.poll(at, client, rng),
        Step::Send { attempt: 2, .. }
    ));
    call.on_outcome(at + 1, 1, status(503), client);
    call
}

/// `hedging_throttledByOtherCall` and `hedging_throttledByHedgingStreams`:
/// every failed hedge takes a token, and no hedge goes out at or below the threshold.
fn java_hedging() -> Vec<Row> {
    let mut rows = Vec::new();
    let mut rng = SeqRng::new(&[SeqRng::unit(0.5)]);

    let test = source(JAVA_STREAM, "hedging_throttledByOtherCall");
    let mut client = ClientState::new(&hedging_config());
    let mut call = hedged_call(&mut client, &mut rng);
    let left = client.budget_token_count().unwrap();
    rows.push(Row::new(
        test,
        "hedge 1 fails: isAboveThreshold",
        Expect::Is(true),
        Got::Is(left > 2.0),
    ));
    rows.push(Row::new(
        test,
        "hedge 1 fails: tokens",
        tokens(3.0),
        Got::Real(left),
    ));
    let other = client.budget_mut().on_failed_attempt(1);
    rows.push(Row::new(
        test,
        "another call's failure: retry allowed?",
        Expect::Is(false),
        Got::Is(other),
    ));
    let at = call.hedge_at_ms().unwrap();
    let sent = matches!(call.poll(at, &mut client, &mut rng), Step::Send { .. });
    rows.push(
        Row::new(test, "the hedge due next (scheduled at 4 tokens) is sent at 2?", Expect::Is(true), Got::Is(sent))
            .differs(
                Expect::Is(false),
                "we ask when the hedge is due, as A6 words it (sent only if token_count > threshold); grpc-java asks when it schedules it",
            ),
    );
    rows.push(Row::new(
        test,
        "no hedge pending after",
        Expect::Is(true),
        Got::Is(call.hedge_at_ms().is_none()),
    ));

    let test = source(JAVA_STREAM, "hedging_throttledByHedgingStreams");
    let mut client = ClientState::new(&hedging_config());
    let mut call = hedged_call(&mut client, &mut rng);
    let left = client.budget_token_count().unwrap();
    rows.push(Row::new(
        test,
        "hedge 1 fails: isAboveThreshold",
        Expect::Is(true),
        Got::Is(left > 2.0),
    ));
    call.on_outcome(100_002, 2, status(503), &mut client);
    let left = client.budget_token_count().unwrap();
    rows.push(Row::new(
        test,
        "hedge 2 fails: isAboveThreshold",
        Expect::Is(false),
        Got::Is(left > 2.0),
    ));
    rows.push(Row::new(
        test,
        "hedge 2 fails: tokens",
        tokens(2.0),
        Got::Real(left),
    ));
    let step = call.poll(100_002, &mut client, &mut rng);
    let closed = matches!(
        step,
        Step::Done(Done::GaveUp {
            reason: GaveUp::BudgetExhausted,
            ..
        })
    );
    rows.push(Row::new(
        test,
        "the call closes, throttled (no third hedge)",
        Expect::Is(true),
        Got::Is(closed),
    ));
    rows
}

#[test]
fn grpc_java_throttled_hedging() {
    check("grpc-java throttled hedging", &java_hedging());
}
