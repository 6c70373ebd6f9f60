//! Where the timeline marks a mechanism, from real runs of the lessons and
//! from hand-made traces: duplicate creates, fail-fasts, breaker intervals,
//! layer brackets, the axis end and how many stage lanes fit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::view::axis::{axis_end_ms, last_event_ms};
use app_core::view::lanes::{lane_rows, stage_lane_count, STAGE_LANE_MIN, TIMELINE_CHROME};
use app_core::view::marks::{
    breaker_intervals, breaker_opened_ms, duplicate_marks, fail_fast_marks, layer_brackets,
    layer_count, BreakerInterval, BreakerPhase, FailFast,
};
use flaky::engine::EngineOptions;
use flaky::sim::{AttemptOutcome, ClientEventTrace, Trace};
use policy::{BreakerState, ClientEventKind, Done, GaveUp};

fn lesson(id: &str, seed: u64) -> Trace {
    let preset = flaky::presets::find(id).unwrap_or_else(|e| panic!("{e}"));
    flaky::sim::run_with(&preset.config, seed, EngineOptions::FULL)
}

#[test]
fn every_duplicate_create_is_marked_on_the_attempt_that_made_it() {
    for seed in 1..=5 {
        let trace = lesson("blind-retries", seed);
        let marks: Vec<_> = trace.calls.iter().flat_map(duplicate_marks).collect();
        // The full trace holds every call: one mark per duplicate the server counted.
        assert_eq!(marks.len() as u64, trace.summary.duplicates, "seed {seed}");
        assert!(
            !marks.is_empty(),
            "seed {seed}: the lesson makes duplicates"
        );
        for call in &trace.calls {
            for m in duplicate_marks(call) {
                let bar = &call.attempts[m.bar];
                assert!(bar.duplicate && bar.attempt == m.attempt, "seed {seed}");
                assert_eq!(m.item, call.target);
                // A duplicate is never the call's first create.
                assert!(
                    m.attempt > 1,
                    "seed {seed}: call {} attempt {}",
                    call.id,
                    m.attempt
                );
                assert!(m.at_ms >= bar.start_ms);
            }
        }
    }
    // With an idempotency key the server makes none, and nothing is marked.
    let keyed = lesson("idempotency-key", 1);
    assert_eq!(keyed.summary.duplicates, 0);
    assert!(keyed.calls.iter().all(|c| duplicate_marks(c).is_empty()));
}

#[test]
fn a_trace_of_the_first_lanes_marks_the_duplicates_among_them() {
    let preset = flaky::presets::find("blind-retries").unwrap_or_else(|e| panic!("{e}"));
    let full = flaky::sim::run_with(&preset.config, 3, EngineOptions::FULL);
    let first = flaky::sim::run_with(&preset.config, 3, EngineOptions::lanes(30));
    assert_eq!(first.calls.len(), 30);
    let marks = |t: &Trace, n: usize| -> Vec<(u32, u32)> {
        t.calls[..n]
            .iter()
            .flat_map(|c| {
                duplicate_marks(c)
                    .into_iter()
                    .map(move |m| (c.id, m.attempt))
            })
            .collect()
    };
    assert_eq!(marks(&first, 30), marks(&full, 30));
}

#[test]
fn breaker_lesson_fails_fast_while_the_breaker_is_open() {
    let trace = lesson("circuit-breaker", 1);
    let intervals = breaker_intervals(&trace.client_events, trace.end_ms);
    let open: Vec<&BreakerInterval> = intervals
        .iter()
        .filter(|i| i.phase == BreakerPhase::Open)
        .collect();
    assert!(!open.is_empty());
    assert!(intervals.iter().any(|i| i.phase == BreakerPhase::HalfOpen));
    assert!(intervals.iter().all(|i| i.from_ms <= i.until_ms));
    // Open for the breaker's 2 s (until a call asks again), never overlapping its client's next.
    assert!(
        open.iter().all(|i| i.until_ms - i.from_ms >= 2000),
        "{open:?}"
    );
    for w in intervals.windows(2) {
        if w[0].client == w[1].client {
            assert!(w[0].until_ms <= w[1].from_ms, "{w:?}");
        }
    }
    let fast: Vec<_> = trace
        .calls
        .iter()
        .flat_map(|c| fail_fast_marks(c).into_iter().map(move |m| (c, m)))
        .collect();
    let breaker_open = trace
        .summary
        .gave_up
        .get("BreakerOpen")
        .copied()
        .unwrap_or(0);
    assert_eq!(fast.len() as u64, breaker_open);
    for (call, mark) in &fast {
        assert_eq!(mark.why, FailFast::BreakerOpen);
        // Each one falls inside an open interval of its own client.
        assert!(
            open.iter().any(|i| i.client == call.client
                && i.from_ms <= mark.at_ms
                && mark.at_ms <= i.until_ms),
            "call {} at {} ms",
            call.id,
            mark.at_ms
        );
    }
    let opened = breaker_opened_ms(&intervals);
    assert!(opened.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        opened.first(),
        open.iter().map(|i| i.from_ms).min().as_ref()
    );
}

#[test]
fn breaker_intervals_merge_a_phase_and_close_at_the_end() {
    let ev = |client, at_ms, state| ClientEventTrace {
        client,
        at_ms,
        kind: ClientEventKind::Breaker(state),
    };
    let events = vec![
        ev(0, 100, BreakerState::Open { until_ms: 300 }),
        ev(0, 300, BreakerState::HalfOpen { probes_left: 2 }),
        ev(0, 310, BreakerState::HalfOpen { probes_left: 1 }),
        ev(0, 350, BreakerState::Closed),
        ev(1, 200, BreakerState::Open { until_ms: 900 }),
        ClientEventTrace {
            client: 1,
            at_ms: 250,
            kind: ClientEventKind::BudgetLevel(0.5),
        },
    ];
    let got = breaker_intervals(&events, 1000);
    let want = [
        (0, 100, 300, BreakerPhase::Open),
        (0, 300, 350, BreakerPhase::HalfOpen),
        (1, 200, 1000, BreakerPhase::Open),
    ]
    .map(|(client, from_ms, until_ms, phase)| BreakerInterval {
        client,
        from_ms,
        until_ms,
        phase,
    });
    assert_eq!(got, want);
    assert_eq!(breaker_opened_ms(&got), vec![100, 200]);
}

#[test]
fn throttled_hedged_and_bulkhead_calls_are_marked_with_their_reason() {
    let mut call = lesson("circuit-breaker", 1).calls[0].clone();
    call.attempts.truncate(1);
    let mut a = call.attempts[0].clone();
    a.outcome = Some(AttemptOutcome::Cancelled);
    a.end_ms = Some(a.start_ms + 40);
    let mut t = a.clone();
    t.outcome = Some(AttemptOutcome::ThrottledLocally);
    t.start_ms += 100;
    t.end_ms = Some(t.start_ms);
    call.attempts = vec![a.clone(), t.clone()];
    call.result = Some(Done::GaveUp {
        reason: GaveUp::ThrottledLocally,
        attempts: 2,
    });
    call.end_ms = Some(t.start_ms);
    let whys: Vec<FailFast> = fail_fast_marks(&call).iter().map(|m| m.why).collect();
    // The throttled give-up is marked once, at its attempt.
    assert_eq!(whys, vec![FailFast::HedgeCancelled, FailFast::Throttled]);
    call.attempts.clear();
    call.result = Some(Done::GaveUp {
        reason: GaveUp::BulkheadFull,
        attempts: 0,
    });
    let marks = fail_fast_marks(&call);
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].why, FailFast::BulkheadFull);
    call.result = Some(Done::GaveUp {
        reason: GaveUp::AttemptsExhausted,
        attempts: 3,
    });
    assert!(
        fail_fast_marks(&call).is_empty(),
        "a plain give-up is not fast"
    );
}

#[test]
fn layered_calls_bracket_three_by_three_by_three() {
    let trace = lesson("layered-retries", 1);
    let call = &trace.calls[0];
    assert_eq!(layer_count(call), 3);
    assert_eq!(call.attempts.len(), 27);
    let brackets = layer_brackets(call);
    let at = |d: u32| brackets.iter().filter(move |b| b.depth == d);
    assert_eq!(at(0).count(), 3);
    assert!(at(0).all(|b| b.requests == 9));
    assert_eq!(at(1).count(), 9);
    assert!(at(1).all(|b| b.requests == 3));
    assert_eq!(at(0).map(|b| b.attempt).collect::<Vec<_>>(), vec![1, 2, 3]);
    // Each middle bracket lies inside a top one.
    for b in at(1) {
        assert!(at(0).any(|t| t.from_ms <= b.from_ms && b.until_ms <= t.until_ms));
    }
    // One layer: no brackets.
    let plain = lesson("blind-retries", 1);
    assert!(plain
        .calls
        .iter()
        .all(|c| layer_count(c) == 1 && layer_brackets(c).is_empty()));
}

#[test]
fn the_axis_ends_at_most_a_tenth_past_the_last_event() {
    for last in [1u64, 7, 99, 1234, 1300, 1999, 6100, 59_999, 60_000, 123_457] {
        let end = axis_end_ms(last);
        assert!(end >= last && end <= last + last / 10, "{last} -> {end}");
    }
    assert_eq!(axis_end_ms(1300), 1400);
    assert_eq!(axis_end_ms(1234), 1300);
    assert_eq!(axis_end_ms(60_000), 60_000);
    assert_eq!(axis_end_ms(0), 1);
    let trace = lesson("blind-retries", 1);
    let last = last_event_ms(&trace.calls);
    assert_eq!(last, app_core::view::span_ms(&trace));
    assert_eq!(last_event_ms(&[]), 0);
}

#[test]
fn the_stage_draws_as_many_lanes_as_fit_at_least_the_minimum_height() {
    for height in [230.0, 520.0, 1000.0] {
        for layers in 1..=3 {
            let rows = lane_rows(layers);
            let n = stage_lane_count(height, rows);
            let lane = (height - TIMELINE_CHROME) / n as f64;
            assert!(lane >= STAGE_LANE_MIN * rows, "{height} {layers}: {n}");
            // One more would not fit.
            assert!((height - TIMELINE_CHROME) / ((n + 1) as f64) < STAGE_LANE_MIN * rows);
        }
    }
    assert_eq!(stage_lane_count(10.0, 1.0), 1);
}

#[test]
fn chart_keys_wrap_into_rows_that_fit_the_chart() {
    use app_core::view::keys::{key_rows, row_count, CHAR_EM};
    let keys = [
        "▮ requests/s",
        "— in flight (peak 1,234)",
        "··· queue, A and B (peak 9,999)",
    ];
    for (width, text) in [(440.0, 20.0), (560.0, 12.0), (300.0, 15.0)] {
        let places = key_rows(&keys, 8.0, width, text);
        for (k, p) in keys.iter().zip(&places) {
            let right = p.x + text * CHAR_EM * k.chars().count() as f64;
            // A key alone on its row may only overflow if it is wider than the chart.
            assert!(right <= width || p.x == 8.0, "{width}: {k} ends at {right}");
        }
        for w in places.windows(2) {
            assert!(w[1].row > w[0].row || w[1].x > w[0].x);
        }
        assert!(row_count(&places) >= 1);
    }
    // The stage's narrow, large-type chart needs more rows than the dashboard's.
    assert!(
        row_count(&key_rows(&keys, 8.0, 440.0, 20.0))
            > row_count(&key_rows(&keys, 8.0, 560.0, 12.0))
    );
}

#[test]
fn a_listing_server_names_who_created_twice_and_the_engine_marks_it() {
    use flaky::engine::Engine;
    use flaky::{Reply, Server};
    // A driver like the live one: replies at once, the server lists its
    // duplicates by sender, and the engine hears of them only at the end.
    let preset = flaky::presets::find("blind-retries").unwrap_or_else(|e| panic!("{e}"));
    let config = &preset.config;
    let mut engine = Engine::new(config, 5, EngineOptions::FULL);
    let mut server = Server::new(config.endpoint.clone(), 5).listing_duplicates();
    let mut plain = Server::new(config.endpoint.clone(), 5);
    while let Some(now) = engine.poll_timeout() {
        engine.handle_timeout(now);
        while let Some(t) = engine.poll_transmit() {
            plain.handle_from(now, &t.request, Some(&t.identity));
            match server.handle_from(now, &t.request, Some(&t.identity)) {
                Reply::Respond { status, .. } => {
                    engine.handle_reply(now, t.request_id, AttemptOutcome::Status(status), None)
                }
                Reply::Reset { .. } => {
                    engine.handle_reply(now, t.request_id, AttemptOutcome::NetworkError, None)
                }
                Reply::Hang => {}
            }
        }
        if engine.is_finished() {
            break;
        }
    }
    let counters = server.counters().clone();
    assert!(counters.duplicates > 0);
    assert_eq!(counters.duplicate_calls.len() as u64, counters.duplicates);
    // The simulator's server keeps no list (the goldens' counters stay as they were).
    assert!(plain.counters().duplicate_calls.is_empty());
    for identity in &counters.duplicate_calls {
        engine.handle_duplicate_create_of(identity);
    }
    let trace = engine.trace(&counters);
    let marks: Vec<_> = trace.calls.iter().flat_map(duplicate_marks).collect();
    assert_eq!(marks.len() as u64, counters.duplicates);
    for (call, identity) in counters.duplicate_calls.iter().map(|i| (&trace.calls, i)) {
        let lane = call
            .iter()
            .find(|c| c.client == identity.client && c.attempts.iter().any(|a| a.duplicate))
            .unwrap_or_else(|| panic!("a marked lane of client {}", identity.client));
        assert!(lane
            .attempts
            .iter()
            .filter(|a| a.duplicate)
            .all(|a| a.attempt > 1));
    }
}

#[test]
fn an_outage_the_lesson_is_about_stays_on_the_axis() {
    use app_core::view::axis::last_shown_ms;
    use flaky::sim::{WindowKind, WindowTrace};
    let trace = lesson("circuit-breaker", 1);
    let first: Vec<_> = trace.calls.iter().take(5).collect();
    let lanes_only = last_event_ms(first.iter().copied());
    assert!(
        lanes_only < 6000,
        "the first calls end inside the 6 s outage"
    );
    assert_eq!(trace.windows.len(), 1);
    assert_eq!(
        last_shown_ms(first.iter().copied(), &trace.windows, trace.end_ms),
        6000
    );
    // A window after the run's end is left out; one running past it is cut there.
    let late = [WindowTrace {
        from_ms: 50_000,
        until_ms: 60_000,
        kind: WindowKind::Spike,
    }];
    assert_eq!(
        last_shown_ms(first.iter().copied(), &late, 40_000),
        lanes_only
    );
    assert_eq!(last_shown_ms(first.iter().copied(), &late, 55_000), 55_000);
}

#[test]
fn a_hung_call_keeps_the_run_end_on_the_axis() {
    use app_core::view::axis::last_shown_ms;
    // Assignment 1's B has no timeout: some of its calls still hang when the
    // run stops at its 8 s horizon, and their bars last until then.
    let lesson = flaky::presets::find("assignment-1-timeout").unwrap_or_else(|e| panic!("{e}"));
    let mut config = lesson.config.clone();
    config.policy = lesson.config_b.clone().expect("the lesson has a B");
    let trace = flaky::sim::run_with(&config, 42, EngineOptions::FULL);
    let hung: Vec<_> = trace.calls.iter().filter(|c| c.end_ms.is_none()).collect();
    assert!(!hung.is_empty(), "B leaves calls hanging (seed 42)");
    let ended = last_event_ms(hung.iter().copied());
    assert!(
        ended < trace.end_ms,
        "a hung call's last event is before the run's end"
    );
    assert_eq!(
        last_shown_ms(hung.iter().copied(), &[], trace.end_ms),
        trace.end_ms
    );
    // Finished calls alone: their last event, not the run's end.
    let done: Vec<_> = trace
        .calls
        .iter()
        .filter(|c| c.end_ms.is_some())
        .take(5)
        .collect();
    assert_eq!(
        last_shown_ms(done.iter().copied(), &[], trace.end_ms),
        last_event_ms(done.iter().copied())
    );
}
