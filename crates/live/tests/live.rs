//! Browser tests of the live driver (`crates/live`) on the in-page transport:
//! the real `flaky::Server` in the page, real timers, real aborts. (The
//! service-worker transport is checked end to end against the built app.)
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::cell::RefCell;
use std::rc::Rc;

use flaky::sim::{self, AttemptOutcome, RunConfig};
use live::{Fire, LiveUpdate, RunHandle, Transport};
use policy::{Done, GaveUp, SleepReason};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn config(sets: &[(&str, &str)]) -> RunConfig {
    let mut config = RunConfig::default();
    for (name, value) in sets {
        if let Err(e) = config.set(name, value) {
            panic!("{name}={value}: {e}");
        }
    }
    config
}

type Updates = Rc<RefCell<Vec<LiveUpdate>>>;

fn start(transport: &Transport, config: &RunConfig, seed: u64, what: Fire) -> (RunHandle, Updates) {
    let updates: Updates = Rc::default();
    let sink = updates.clone();
    let handle = live::fire(transport, config, seed, what, move |u: LiveUpdate| {
        sink.borrow_mut().push(u)
    });
    (handle, updates)
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Waits for the final update (`running == false`).
async fn finished(updates: &Updates, within_ms: u32) -> LiveUpdate {
    let mut waited = 0;
    loop {
        if let Some(last) = updates.borrow().last().filter(|u| !u.running) {
            return last.clone();
        }
        assert!(
            waited < within_ms,
            "the run did not finish within {within_ms} ms"
        );
        sleep(20).await;
        waited += 20;
    }
}

async fn run(config: &RunConfig, seed: u64, what: Fire) -> (LiveUpdate, usize) {
    let transport = Transport::in_page("test");
    let (_handle, updates) = start(&transport, config, seed, what);
    let last = finished(&updates, 30_000).await;
    let count = updates.borrow().len();
    (last, count)
}

#[wasm_bindgen_test]
async fn the_in_page_transport_says_what_it_is() {
    let status = Transport::in_page("no service workers here").status();
    assert_eq!(status.kind, "in-page");
    assert!(
        status.detail.contains("no service workers here"),
        "{}",
        status.detail
    );
}

#[wasm_bindgen_test]
async fn lost_replies_make_duplicates_equal_to_the_servers_counter() {
    // "No idempotency", smaller and faster: every POST is applied, 30% lose their reply.
    let config = config(&[
        ("attempts.max", "3"),
        ("backoff.base_ms", "20"),
        ("endpoint.create", "naive_post"),
        ("endpoint.fault.commit_lose", "0.3"),
        ("endpoint.commit_lose_as", "reset"),
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "10"),
        ("sim.operation", "create"),
        ("sim.clients", "5"),
        ("sim.calls", "3"),
    ]);
    let (last, updates) = run(&config, 7, Fire::Scenario).await;
    assert_eq!(last.problem, None);
    assert!(updates >= 2, "an update while running and the final one");
    let trace = &last.trace;
    assert_eq!(trace.calls.len(), 15);
    assert!(trace.calls.iter().all(|c| c.end_ms.is_some()));
    let requests: u64 = trace
        .calls
        .iter()
        .flat_map(|c| &c.attempts)
        .map(|a| u64::from(a.requests))
        .sum();
    let lost = trace
        .calls
        .iter()
        .flat_map(|c| &c.attempts)
        .filter(|a| a.outcome == Some(AttemptOutcome::NetworkError))
        .count() as u64;
    // Each call creates its own item: every attempt beyond a call's first is a duplicate.
    let duplicates: u64 = trace
        .calls
        .iter()
        .map(|c| c.attempts.len() as u64 - 1)
        .sum();
    assert_eq!(trace.counters.requests_received, requests);
    assert_eq!(trace.counters.creates_applied, requests);
    assert_eq!(trace.counters.replies_lost, lost);
    assert_eq!(trace.counters.duplicates, duplicates);
    assert!(
        duplicates > 0,
        "seed 7 loses some replies: {:?}",
        trace.counters
    );
}

#[wasm_bindgen_test]
async fn a_hang_ends_at_its_200_ms_timeout() {
    let config = config(&[
        ("attempts.max", "1"),
        ("attempts.timeout_ms", "200"),
        ("endpoint.fault.hang", "1"),
    ]);
    let (last, _) = run(&config, 1, Fire::One).await;
    assert_eq!(last.problem, None);
    let call = &last.trace.calls[0];
    let attempt = &call.attempts[0];
    assert_eq!(attempt.outcome, Some(AttemptOutcome::TimedOut));
    assert_eq!(attempt.timeout_ms, Some(200));
    let took = attempt.end_ms.unwrap_or(u64::MAX) - attempt.start_ms;
    assert!((200..=330).contains(&took), "the attempt took {took} ms");
    assert!(
        matches!(call.result, Some(Done::GaveUp { attempts: 1, .. })),
        "{:?}",
        call.result
    );
    assert_eq!(last.trace.counters.by_status.get("hang"), Some(&1));
}

#[wasm_bindgen_test]
async fn a_deterministic_config_matches_the_simulator() {
    // No faults, fixed latency, no jitter: the same counters, keys and results.
    let config = config(&[
        ("jitter.kind", "none"),
        ("idempotency.key", "true"),
        ("endpoint.create", "idempotency_key"),
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "20"),
        ("sim.operation", "create"),
        ("sim.clients", "4"),
        ("sim.calls", "3"),
    ]);
    let seed = 99;
    let (last, _) = run(&config, seed, Fire::Scenario).await;
    let simulated = sim::run(&config, seed);
    assert_eq!(last.problem, None);
    // The most requests in flight at once is timing: the mock worker dates a
    // request by the page's send time and its end by its own clock, so a
    // client's next call may overlap its last reply by a millisecond or two.
    let live_in_flight = last.trace.counters.in_flight_max;
    assert!(
        (1..=simulated.counters.in_flight_max + 1).contains(&live_in_flight),
        "live in flight at most {live_in_flight}, simulated {}",
        simulated.counters.in_flight_max
    );
    let counters = flaky::Counters {
        in_flight_max: simulated.counters.in_flight_max,
        ..last.trace.counters.clone()
    };
    assert_eq!(counters, simulated.counters);
    assert_eq!(last.trace.seed, seed);
    let view = |t: &sim::Trace| -> Vec<_> {
        let mut calls: Vec<_> = t
            .calls
            .iter()
            .map(|c| {
                // Ids follow the start order, which real timing may change;
                // a call's item is named by its identity (client, ordinal).
                (
                    c.target.clone(),
                    c.client,
                    c.idempotency_key.clone(),
                    c.result.clone(),
                    c.attempts.len(),
                )
            })
            .collect();
        calls.sort_by(|a, b| a.0.cmp(&b.0));
        calls
    };
    assert_eq!(view(&last.trace), view(&simulated));
}

#[wasm_bindgen_test]
async fn check_then_create_sends_two_requests_per_attempt() {
    let config = config(&[
        ("endpoint.create", "check_then_create"),
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "5"),
        ("sim.operation", "create"),
    ]);
    let (last, _) = run(&config, 3, Fire::One).await;
    let attempt = &last.trace.calls[0].attempts[0];
    assert_eq!(
        (attempt.requests, attempt.outcome),
        (2, Some(AttemptOutcome::Status(201)))
    );
    assert_eq!(last.trace.counters.by_status.get("404"), Some(&1));
    assert_eq!(last.trace.counters.creates_applied, 1);
}

#[wasm_bindgen_test]
async fn retry_after_is_read_from_the_reply() {
    let config = config(&[
        ("attempts.max", "2"),
        ("retry_after.honor", "true"),
        ("retry_after.cap_ms", "150"),
        ("endpoint.fault.429", "1"),
        ("endpoint.retry_after_s", "2"),
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "5"),
    ]);
    let (last, _) = run(&config, 5, Fire::One).await;
    let call = &last.trace.calls[0];
    assert_eq!(call.attempts.len(), 2);
    assert_eq!(
        call.sleeps[0].reason,
        SleepReason::RetryAfter {
            server_ms: 2000,
            capped_ms: 150
        }
    );
    let slept = call.attempts[1].start_ms - call.attempts[0].end_ms.unwrap_or(0);
    assert!((150..=280).contains(&slept), "slept {slept} ms");
    assert_eq!(
        call.result,
        Some(Done::GaveUp {
            attempts: 2,
            reason: GaveUp::AttemptsExhausted
        })
    );
}

#[wasm_bindgen_test]
async fn cancel_aborts_a_hung_call() {
    let config = config(&[("attempts.timeout_ms", "0"), ("endpoint.fault.hang", "1")]);
    let transport = Transport::in_page("test");
    let (handle, updates) = start(&transport, &config, 1, Fire::One);
    sleep(250).await;
    assert!(handle.is_running());
    handle.cancel();
    let last = finished(&updates, 2_000).await;
    assert!(!handle.is_running());
    assert_eq!(last.problem, None);
    let call = &last.trace.calls[0];
    assert_eq!(
        (
            call.end_ms,
            call.attempts[0].end_ms,
            call.attempts[0].outcome
        ),
        (None, None, None)
    );
    // The run ends at the cancel, after the 250 ms sleep; a browser's timer
    // may fire a few ms early against the engine's `performance.now()` clock
    // (248 ms was seen once), so allow 10 ms.
    assert!(last.trace.end_ms >= 240, "{}", last.trace.end_ms);
    assert_eq!(last.trace.counters.by_status.get("hang"), Some(&1));
}

#[wasm_bindgen_test]
async fn a_lost_run_is_a_problem_not_an_outcome() {
    let config = config(&[
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "100"),
        ("sim.clients", "1"),
        ("sim.calls", "5"),
    ]);
    let transport = Transport::in_page("test");
    let (_handle, updates) = start(&transport, &config, 1, Fire::Scenario);
    sleep(150).await;
    transport.simulate_restart(); // as a browser stopping the worker would
    let last = finished(&updates, 5_000).await;
    let problem = last.problem.unwrap_or_default();
    assert!(problem.contains("lost this run"), "{problem}");
    let calls = &last.trace.calls;
    // Calls before the restart (and one whose reply was already decided) finished;
    // the next one hit the lost run, and that is not an attempt outcome.
    let (lost, done) = calls.split_last().expect("calls");
    assert!((1..=2).contains(&done.len()), "{} calls", calls.len());
    assert!(done
        .iter()
        .all(|c| c.attempts[0].outcome == Some(AttemptOutcome::Status(200))));
    assert_eq!((lost.attempts[0].outcome, lost.end_ms), (None, None));
}

#[wasm_bindgen_test]
async fn a_new_run_supersedes_the_old_one() {
    let transport = Transport::in_page("test");
    let hang = config(&[("attempts.timeout_ms", "0"), ("endpoint.fault.hang", "1")]);
    let (old, old_updates) = start(&transport, &hang, 1, Fire::One);
    sleep(100).await;
    let quick = config(&[("endpoint.latency.ms", "5")]);
    let (_new, new_updates) = start(&transport, &quick, 1, Fire::One);
    let last = finished(&new_updates, 5_000).await;
    assert_eq!(last.problem, None);
    assert_eq!(last.trace.counters.requests_received, 1);
    assert!(!old.is_running());
    assert!(
        old_updates.borrow().iter().all(|u| u.running),
        "no final update from a superseded run"
    );
}

#[wasm_bindgen_test]
async fn a_bad_config_is_a_problem() {
    let mut bad = RunConfig::default();
    bad.endpoint.faults.status_500 = 0.8;
    bad.endpoint.faults.status_503 = 0.8;
    let (last, _) = run(&bad, 1, Fire::One).await;
    assert!(last.problem.unwrap_or_default().contains("invalid"));
    let mut huge = RunConfig::default();
    huge.scenario.clients = 100_000;
    let (last, _) = run(&huge, 1, Fire::Scenario).await;
    assert!(last.problem.unwrap_or_default().contains("simulator"));
    assert!(last.trace.calls.is_empty());
}

#[wasm_bindgen_test]
async fn a_live_run_cancelled_while_a_reply_is_pending_ends_never_stays_running() {
    // Every reply takes 60 ms: the cancels land before, at and after replies.
    let config = config(&[
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "60"),
        ("sim.clients", "3"),
        ("sim.calls", "5"),
    ]);
    let transport = Transport::in_page("test");
    for cancel_after_ms in [0, 1, 30, 58, 60, 62, 90, 125, 185] {
        let (handle, updates) = start(&transport, &config, 1, Fire::Scenario);
        sleep(cancel_after_ms).await;
        handle.cancel();
        let last = finished(&updates, 2_000).await;
        assert!(
            !handle.is_running(),
            "cancelled after {cancel_after_ms} ms: still running"
        );
        assert_eq!(last.problem, None, "cancelled after {cancel_after_ms} ms");
        let count = updates.borrow().len();
        sleep(150).await;
        assert_eq!(
            updates.borrow().len(),
            count,
            "cancelled after {cancel_after_ms} ms: an update after the final one"
        );
    }
}

#[wasm_bindgen_test]
async fn a_run_cancelled_from_its_own_update_ends() {
    let config = config(&[
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "40"),
        ("sim.clients", "2"),
        ("sim.calls", "20"),
    ]);
    let transport = Transport::in_page("test");
    let updates: Updates = Rc::default();
    let handle: Rc<RefCell<Option<RunHandle>>> = Rc::default();
    let (sink, own) = (updates.clone(), handle.clone());
    let fired = live::fire(&transport, &config, 1, Fire::Scenario, move |u| {
        let ended = u.trace.calls.iter().any(|c| c.end_ms.is_some());
        sink.borrow_mut().push(u);
        if ended {
            if let Some(h) = own.borrow().as_ref() {
                h.cancel();
            }
        }
    });
    *handle.borrow_mut() = Some(fired.clone());
    let last = finished(&updates, 3_000).await;
    assert!(!fired.is_running());
    assert!(
        last.trace.end_ms < 800,
        "cancelled early: {}",
        last.trace.end_ms
    );
}

#[wasm_bindgen_test]
async fn attempts_appear_as_they_happen_ten_times_a_second() {
    // 10 clients × 20 calls of 50 ms each: about a second of replies, and
    // enough calls that updates once came only every 250 ms.
    let config = config(&[
        ("endpoint.latency.kind", "fixed"),
        ("endpoint.latency.ms", "50"),
        ("sim.clients", "10"),
        ("sim.calls", "20"),
    ]);
    let transport = Transport::in_page("test");
    let (_handle, updates) = start(&transport, &config, 1, Fire::Scenario);
    let last = finished(&updates, 30_000).await;
    assert_eq!(last.problem, None);
    let ended = |u: &LiveUpdate| u.trace.calls.iter().filter(|c| c.end_ms.is_some()).count();
    assert_eq!(ended(&last), 200);
    let seconds = last.trace.end_ms as f64 / 1000.0;
    assert!(seconds >= 1.0, "{} ms", last.trace.end_ms);
    let updates = updates.borrow();
    let running: Vec<usize> = updates.iter().filter(|u| u.running).map(ended).collect();
    let per_second = running.len() as f64 / seconds;
    wasm_bindgen_test::console_log!(
        "{} updates while running in {} ms: {per_second:.1} a second",
        running.len(),
        last.trace.end_ms
    );
    assert!(
        per_second >= 10.0,
        "{} updates while running in {} ms",
        running.len(),
        last.trace.end_ms
    );
    // Calls show up as they end, not all at the end.
    let midway = running.iter().filter(|&&n| n > 0 && n < 200).count();
    assert!(midway >= 8, "calls ended per update: {running:?}");
    assert!(running.windows(2).all(|w| w[0] <= w[1]), "{running:?}");
}
