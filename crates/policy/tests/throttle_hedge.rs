//! Adaptive throttling (`policy::throttle`) and hedged requests
//! (`policy::hedge`) in the call state machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::sync::Arc;

use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::throttle::{reject_probability, Throttle, ThrottleConfig, ThrottleKind};
use policy::{Call, ClientState, Done, GaveUp, Outcome, PolicyConfig, RequestKind, Step};
use proptest::prelude::*;

const OK: Outcome = Outcome::Response {
    status: 200,
    retry_after_ms: None,
};
const UNAVAILABLE: Outcome = Outcome::Response {
    status: 503,
    retry_after_ms: None,
};

fn adaptive(k: f64, window_ms: u64) -> ThrottleConfig {
    ThrottleConfig {
        kind: ThrottleKind::Adaptive,
        k,
        window_ms,
        ..ThrottleConfig::default()
    }
}

#[test]
fn the_formula_matches_the_sre_book() {
    // max(0, (requests − K·accepts) / (requests + 1))
    assert_eq!(reject_probability(0, 0, 2.0), 0.0);
    assert_eq!(reject_probability(100, 50, 2.0), 0.0);
    assert_eq!(reject_probability(100, 40, 2.0), 20.0 / 101.0);
    assert_eq!(reject_probability(100, 0, 2.0), 100.0 / 101.0);
    assert_eq!(reject_probability(3, 1, 1.0), 0.5);
    assert_eq!(reject_probability(3, 1, f64::NAN), 0.75);
}

proptest! {
    #[test]
    fn the_probability_follows_the_formula(requests in 0u64..1_000_000, accepts in 0u64..1_000_000, k in 1.0f64..10.0) {
        let p = reject_probability(requests, accepts, k);
        let expected = ((requests as f64 - k * accepts as f64) / (requests as f64 + 1.0)).max(0.0);
        prop_assert_eq!(p, expected);
        prop_assert!((0.0..1.0).contains(&p));
        // More accepts never raise it; more requests never lower it.
        prop_assert!(reject_probability(requests, accepts + 1, k) <= p);
        prop_assert!(reject_probability(requests + 1, accepts, k) >= p);
    }

    #[test]
    fn the_throttle_uses_its_windowed_counts(requests in 0u32..200, accepts in 0u32..200, u in 0.0f64..1.0) {
        let mut t = Throttle::new(&adaptive(2.0, 0));
        for _ in 0..requests {
            t.admit(5, 1.0 - f64::EPSILON);
        }
        for _ in 0..accepts {
            t.on_accept(5);
        }
        let p = reject_probability(u64::from(requests), u64::from(accepts), 2.0);
        prop_assert_eq!(t.reject_probability(5), p);
        prop_assert_eq!(t.admit(5, u), u >= p);
    }
}

#[test]
fn local_rejections_happen_at_the_formulas_rate() {
    // Statistical check: a client whose backend accepts nothing. Each
    // request's rejection probability is known beforehand from the counts,
    // so the expected number of rejections is the sum of the probabilities.
    let config = adaptive(2.0, 0);
    let mut t = Throttle::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut expected, mut rejected, mut accepts) = (0.0, 0u32, 0u64);
    for i in 0..20_000u64 {
        let p = t.reject_probability(i);
        expected += p;
        if !t.admit(i, policy::unit_f64(&mut rng)) {
            rejected += 1;
        } else if i % 3 == 0 {
            // One in three sent requests is accepted.
            t.on_accept(i);
            accepts += 1;
        }
    }
    let sd = (expected * 0.25).sqrt(); // a loose upper bound of the spread
    assert!(
        (f64::from(rejected) - expected).abs() < 5.0 * sd,
        "rejected {rejected}, expected {expected:.0} ± {sd:.0} (accepts {accepts})"
    );
    assert!(
        rejected > 1000,
        "a failing backend is throttled: {rejected}"
    );
}

#[test]
fn a_rejected_attempt_sends_nothing_and_fails_the_call() {
    let config = Arc::new(PolicyConfig {
        throttle: adaptive(2.0, 0),
        ..PolicyConfig::default()
    });
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // Teach the throttle that nothing is accepted: every request gets a 503.
    let mut now = 0;
    let mut throttled = 0;
    for _ in 0..40 {
        let mut call = Call::new(Arc::clone(&config), now, RequestKind::Idempotent, &mut rng);
        loop {
            match call.poll(now, &mut client, &mut rng) {
                Step::Send { attempt, .. } => {
                    call.on_outcome(now + 1, attempt, UNAVAILABLE, &mut client)
                }
                Step::Throttled { attempt } => {
                    throttled += 1;
                    assert!(
                        call.in_flight().next().is_none(),
                        "attempt {attempt}: nothing in flight"
                    );
                    assert_eq!(
                        call.poll(now, &mut client, &mut rng),
                        Step::Done(Done::GaveUp {
                            attempts: attempt,
                            reason: GaveUp::ThrottledLocally
                        })
                    );
                    break;
                }
                Step::Sleep { until_ms, .. } => now = until_ms,
                Step::AwaitOutcome => panic!("nothing in flight"),
                Step::Done(_) => break,
            }
        }
        now += 1;
    }
    assert!(throttled > 10, "throttled {throttled} of 40 calls");
    assert!(client.throttle_probability(now) > 0.5);
}

#[test]
fn a_rejected_hedge_is_not_sent_and_the_call_waits() {
    let mut config = PolicyConfig {
        throttle: adaptive(2.0, 0),
        ..PolicyConfig::default()
    };
    config.hedge.delay_ms = 10;
    let config = Arc::new(config);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    // Fill the throttle with requests nobody accepted: p = 1000/1001.
    let mut throttle = policy::throttle::Throttle::new(&adaptive(2.0, 0));
    for _ in 0..1000 {
        throttle.admit(0, 0.9999);
    }
    client.swap_throttle(&mut throttle);
    let mut call = Call::new(Arc::clone(&config), 0, RequestKind::Idempotent, &mut rng);
    let first = loop {
        match call.poll(0, &mut client, &mut rng) {
            Step::Send { attempt, .. } => break attempt,
            Step::Done(done) => {
                // The first attempt itself was rejected: nothing to hedge.
                assert!(matches!(
                    done,
                    Done::GaveUp {
                        reason: GaveUp::ThrottledLocally,
                        ..
                    }
                ));
                return;
            }
            _ => {}
        }
    };
    let mut now = 10;
    for _ in 0..20 {
        match call.poll(now, &mut client, &mut rng) {
            Step::Throttled { .. } | Step::AwaitOutcome => {}
            other => panic!("a hedge got through p ≈ 1: {other:?}"),
        }
        now += 10;
    }
    assert_eq!(call.in_flight().collect::<Vec<_>>(), [first]);
    call.on_outcome(now, first, OK, &mut client);
    assert!(matches!(call.done(), Some(Done::Succeeded { .. })));
}

fn hedging(delay_ms: u64, max_extra: u32) -> Arc<PolicyConfig> {
    let mut config = PolicyConfig::default();
    config.hedge.delay_ms = delay_ms;
    config.hedge.max_extra = max_extra;
    Arc::new(config)
}

#[test]
fn a_hedge_is_sent_after_the_delay_and_the_first_success_wins() {
    let config = hedging(100, 2);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut call = Call::new(Arc::clone(&config), 0, RequestKind::Idempotent, &mut rng);
    assert!(matches!(
        call.poll(0, &mut client, &mut rng),
        Step::Send { attempt: 1, .. }
    ));
    assert_eq!(call.hedge_at_ms(), Some(100));
    assert_eq!(call.poll(99, &mut client, &mut rng), Step::AwaitOutcome);
    assert!(matches!(
        call.poll(100, &mut client, &mut rng),
        Step::Send { attempt: 2, .. }
    ));
    assert_eq!(call.hedge_at_ms(), Some(200));
    assert!(matches!(
        call.poll(200, &mut client, &mut rng),
        Step::Send { attempt: 3, .. }
    ));
    assert_eq!(call.hedge_at_ms(), None, "max_extra 2 reached");
    assert_eq!(call.in_flight().collect::<Vec<_>>(), [1, 2, 3]);
    call.on_outcome(250, 2, OK, &mut client);
    assert_eq!(call.done(), Some(&Done::Succeeded { attempts: 3 }));
    assert_eq!(
        call.in_flight().collect::<Vec<_>>(),
        [1, 3],
        "the driver cancels these"
    );
    call.on_outcome(260, 1, UNAVAILABLE, &mut client); // too late: ignored
    assert_eq!(call.done(), Some(&Done::Succeeded { attempts: 3 }));
}

#[test]
fn a_failed_hedge_waits_for_the_attempt_still_out() {
    let config = hedging(100, 1);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut call = Call::new(Arc::clone(&config), 0, RequestKind::Idempotent, &mut rng);
    call.poll(0, &mut client, &mut rng);
    call.poll(100, &mut client, &mut rng);
    call.on_outcome(120, 2, UNAVAILABLE, &mut client);
    assert_eq!(call.poll(120, &mut client, &mut rng), Step::AwaitOutcome);
    call.on_outcome(150, 1, OK, &mut client);
    assert_eq!(call.done(), Some(&Done::Succeeded { attempts: 2 }));
}

#[test]
fn without_hedging_a_call_never_has_two_attempts_out() {
    let config = hedging(0, 3);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut call = Call::new(Arc::clone(&config), 0, RequestKind::Idempotent, &mut rng);
    call.poll(0, &mut client, &mut rng);
    assert_eq!(call.hedge_at_ms(), None);
    assert_eq!(call.poll(10_000, &mut client, &mut rng), Step::AwaitOutcome);
}

#[test]
fn an_unkeyed_post_is_never_hedged_when_unsafe_retries_need_a_key() {
    let mut config = PolicyConfig::default();
    config.hedge.delay_ms = 10;
    config.retry.require_key_for_unsafe = true;
    let config = Arc::new(config);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut call = Call::new(Arc::clone(&config), 0, RequestKind::NonIdempotent, &mut rng);
    assert!(matches!(
        call.poll(0, &mut client, &mut rng),
        Step::Send { .. }
    ));
    assert_eq!(call.hedge_at_ms(), None);
    assert_eq!(call.poll(1000, &mut client, &mut rng), Step::AwaitOutcome);
    // With a key the copy is safe, and it is hedged.
    let mut keyed = (*config).clone();
    keyed.idempotency.key = true;
    let keyed = Arc::new(keyed);
    let mut call = Call::new(Arc::clone(&keyed), 0, RequestKind::NonIdempotent, &mut rng);
    call.poll(0, &mut client, &mut rng);
    assert_eq!(call.hedge_at_ms(), Some(10));
}
