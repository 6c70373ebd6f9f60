//! The run engine over random configs and seeds: every call is accounted
//! for, the trace agrees with the server, one seed gives one trace, and two
//! policies on one seed meet the same world (common random numbers).
//! Every failure message carries the seed and the knobs to reproduce it.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::collections::BTreeMap;

use flaky::engine::{Engine, EngineOptions};
use flaky::server::Reply;
use flaky::sim::{self, AttemptOutcome, CallTrace, RunConfig, Trace};
use flaky::world::{Direction, World};
use flaky::Server;
use proptest::prelude::*;

/// Knob assignments for the endpoint and the workload (no overload: with it,
/// a request's fate depends on what else is in flight).
fn world_knobs() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (
        (1u32..12, 1u32..4, 0usize..3, 0u64..200),
        (0usize..3, 1u64..400, 0u64..40),
        (
            0.0f64..0.3,
            0.0f64..0.2,
            0.0f64..0.1,
            0.0f64..0.1,
            0.0f64..0.1,
        ),
        (0usize..2, 0usize..4, any::<bool>()),
    )
        .prop_map(
            |(
                (clients, calls, arrival, interval),
                (latency, latency_ms, net_jitter),
                (p503, p429, reset, hang, lose),
                (operation, create, idem),
            )| {
                let arrival = ["all_at_once", "interval", "poisson"][arrival];
                let latency_kind = ["fixed", "uniform", "long_tail"][latency];
                let operation = ["read", "create"][operation];
                let create = [
                    "naive_post",
                    "check_then_create",
                    "idempotency_key",
                    "put_with_id",
                ][create];
                vec![
                    ("sim.clients", clients.to_string()),
                    ("sim.calls", calls.to_string()),
                    ("sim.arrival", arrival.to_string()),
                    ("sim.interval_ms", interval.to_string()),
                    ("sim.net_jitter_ms", net_jitter.to_string()),
                    ("sim.horizon_ms", "20000".to_string()),
                    ("sim.operation", operation.to_string()),
                    ("endpoint.create", create.to_string()),
                    ("idempotency.key", idem.to_string()),
                    ("endpoint.latency.kind", latency_kind.to_string()),
                    ("endpoint.latency.ms", latency_ms.to_string()),
                    ("endpoint.latency.max_ms", (latency_ms * 2).to_string()),
                    ("endpoint.latency.p50_ms", latency_ms.to_string()),
                    ("endpoint.latency.p99_ms", (latency_ms * 5).to_string()),
                    ("endpoint.fault.503", format!("{p503:.3}")),
                    ("endpoint.fault.429", format!("{p429:.3}")),
                    ("endpoint.fault.reset", format!("{reset:.3}")),
                    ("endpoint.fault.hang", format!("{hang:.3}")),
                    ("endpoint.fault.commit_lose", format!("{lose:.3}")),
                ]
            },
        )
}

/// Knob assignments for the client policy that never change a call's first
/// attempt (no breaker: an open breaker fails a first attempt fast).
fn retry_knobs() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (1u32..6, 0usize..4, 0usize..4, 1u64..300, 0usize..3).prop_map(
        |(attempts, backoff, jitter, base, budget)| {
            vec![
                ("attempts.max", attempts.to_string()),
                ("attempts.timeout_ms", "800".to_string()),
                (
                    "backoff.kind",
                    ["constant", "linear", "exponential", "decorrelated"][backoff].to_string(),
                ),
                ("backoff.base_ms", base.to_string()),
                (
                    "jitter.kind",
                    ["none", "full", "equal", "decorrelated"][jitter].to_string(),
                ),
                (
                    "budget.kind",
                    ["none", "token_bucket", "ratio"][budget].to_string(),
                ),
            ]
        },
    )
}

fn config(knobs: &[(&'static str, String)]) -> Result<RunConfig, TestCaseError> {
    let mut config = RunConfig::default();
    for (k, v) in knobs {
        config
            .set(k, v)
            .map_err(|e| TestCaseError::fail(format!("{k}={v}: {e}")))?;
    }
    Ok(config)
}

/// The lanes by (client, the call's ordinal in its client).
fn by_identity(trace: &Trace) -> BTreeMap<(u32, u32), &CallTrace> {
    let mut ordinals: BTreeMap<u32, u32> = BTreeMap::new();
    let mut calls: Vec<&CallTrace> = trace.calls.iter().collect();
    calls.sort_by_key(|c| (c.client, c.start_ms, c.id));
    calls
        .into_iter()
        .map(|c| {
            let ordinal = ordinals.entry(c.client).or_insert(0);
            *ordinal += 1;
            ((c.client, *ordinal - 1), c)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_call_is_accounted_for_and_the_trace_agrees_with_the_server(
        world in world_knobs(), policy in retry_knobs(), seed in any::<u64>()
    ) {
        let knobs: Vec<_> = world.iter().chain(policy.iter()).cloned().collect();
        let config = config(&knobs)?;
        let trace = sim::run(&config, seed);
        let s = trace.summary();
        let why = format!("seed {seed}, knobs {knobs:?}");
        prop_assert_eq!(s.calls - s.not_started, trace.calls.len() as u64, "{}", why);
        prop_assert_eq!(s.calls, u64::from(config.scenario.clients * config.scenario.calls_per_client), "{}", why);
        prop_assert_eq!(s.succeeded + s.gave_up.values().sum::<u64>() + s.unfinished, s.calls, "{}", why);
        let unfinished = trace.calls.iter().filter(|c| c.end_ms.is_none()).count() as u64;
        prop_assert_eq!(unfinished + s.not_started, s.unfinished, "{}", why);
        for call in &trace.calls {
            prop_assert!(call.end_ms.is_none_or(|e| e <= config.scenario.horizon_ms), "{}", why);
            prop_assert_eq!(call.end_ms.is_some(), call.result.is_some(), "{}", why);
        }
        let requests: u64 = trace.calls.iter().flat_map(|c| &c.attempts).map(|a| u64::from(a.requests)).sum();
        prop_assert_eq!(requests, trace.counters.requests_received, "{}", why);
        let attempts: u64 = trace.calls.iter().map(|c| c.attempts.len() as u64).sum();
        prop_assert_eq!(attempts, s.attempts, "{}", why);
        let density: u64 = trace.density.buckets.iter().flat_map(|b| b.iter()).sum();
        prop_assert_eq!(density, s.attempts, "{}", why);
        // The same seed gives the same trace; fewer lanes keep the same figures.
        prop_assert_eq!(&sim::run(&config, seed), &trace, "{}", why);
        let lean = sim::run_with(&config, seed, EngineOptions::lanes(2));
        prop_assert_eq!(lean.summary(), s, "{}", why);
        prop_assert!(lean.calls.len() <= 2);
    }

    #[test]
    fn two_policies_on_one_seed_meet_the_same_world(
        world in world_knobs(), a in retry_knobs(), b in retry_knobs(), seed in any::<u64>()
    ) {
        let run = |policy: &[(&'static str, String)]| -> Result<Trace, TestCaseError> {
            let knobs: Vec<_> = world.iter().chain(policy.iter()).cloned().collect();
            Ok(sim::run(&config(&knobs)?, seed))
        };
        let (ta, tb) = (run(&a)?, run(&b)?);
        let why = format!("seed {seed}, world {world:?}, A {a:?}, B {b:?}");
        let (la, lb) = (by_identity(&ta), by_identity(&tb));
        for (id, ca) in &la {
            let Some(cb) = lb.get(id) else { continue };
            // Arrivals are the world's: a client's first call starts at the same time.
            if id.1 == 0 {
                prop_assert_eq!(ca.start_ms, cb.start_ms, "{} call {:?}", why, id);
            }
            // The first attempt meets the same fault and latency. Creates
            // depend on earlier calls' items and keys, so compare reads only.
            if ta.calls.first().is_some_and(|c| c.target == "/flaky") {
                let (fa, fb) = (ca.attempts.first(), cb.attempts.first());
                if let (Some(fa), Some(fb)) = (fa, fb) {
                    prop_assert_eq!(fa.outcome, fb.outcome, "{} call {:?}", why, id);
                    let d = |x: &flaky::sim::AttemptTrace| x.end_ms.map(|e| e - x.start_ms);
                    prop_assert_eq!(d(fa), d(fb), "{} call {:?}", why, id);
                }
            }
        }
    }
}

/// The live driver's loop, natively: the engine driven by a clock whose
/// timers fire late (as a busy browser's do), requests answered by the
/// server after its latency. Everything but `fetch` and `setTimeout`.
fn drive_like_a_browser(config: &RunConfig, seed: u64, late_ms: u64) -> Trace {
    let mut engine = Engine::new(config, seed, EngineOptions::FULL);
    let mut server = Server::new(config.endpoint.clone(), seed ^ sim::SERVER_SEED_XOR);
    let world = World::new(seed);
    // (when the reply arrives, request id, outcome)
    let mut replies: Vec<(u64, u64, AttemptOutcome)> = Vec::new();
    let mut now = 0u64;
    let mut guard = 0u32;
    while let Some(timer) = engine.poll_timeout() {
        guard += 1;
        assert!(guard < 1_000_000, "seed {seed}: the loop does not end");
        replies.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
        match replies.last().copied() {
            Some((at, id, outcome)) if at < timer + late_ms => {
                replies.pop();
                now = now.max(at);
                engine.handle_reply(now, id, outcome, None);
            }
            _ => {
                now = now.max(timer + late_ms);
                engine.handle_timeout(now);
            }
        }
        while let Some(t) = engine.poll_transmit() {
            let net = config.scenario.net_ms;
            let arrive = now + net;
            let _ = world.network_unit(&t.identity, Direction::ToServer);
            match server.handle_from(arrive, &t.request, Some(&t.identity)) {
                Reply::Respond { at_ms, status, .. } => {
                    replies.push((at_ms + net, t.request_id, AttemptOutcome::Status(status)))
                }
                Reply::Reset { at_ms } => {
                    replies.push((at_ms + net, t.request_id, AttemptOutcome::NetworkError))
                }
                Reply::Hang => {}
            }
        }
        while let Some(id) = engine.poll_abort() {
            server.cancel(now, id);
            replies.retain(|r| r.1 != id);
        }
    }
    engine.trace(server.counters())
}

#[test]
fn the_live_loop_records_late_timers_as_lateness_and_keeps_the_books() {
    let mut config = RunConfig::default();
    for (k, v) in [
        ("sim.clients", "40"),
        ("sim.calls", "3"),
        ("sim.arrival", "interval"),
        ("sim.interval_ms", "7"),
        ("endpoint.fault.503", "0.4"),
        ("attempts.max", "4"),
        ("backoff.base_ms", "20"),
        ("jitter.kind", "full"),
    ] {
        config.set(k, v).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
    let on_time = drive_like_a_browser(&config, 9, 0);
    let late = drive_like_a_browser(&config, 9, 12);
    let (s0, s1) = (on_time.summary(), late.summary());
    assert_eq!((s0.calls, s1.calls), (120, 120));
    assert_eq!(s0.lateness_ms_max, 0);
    // Attempts that follow a timer (a call's start, a backoff) are 12 ms late;
    // none is later than that.
    assert_eq!(s1.lateness_ms_max, 12, "{s1:?}");
    assert!(s1.lateness_ms_p50 > 0 || s1.lateness_ms_p99 == 12, "{s1:?}");
    for trace in [&on_time, &late] {
        let requests: u64 = trace
            .calls
            .iter()
            .flat_map(|c| &c.attempts)
            .map(|a| u64::from(a.requests))
            .sum();
        assert_eq!(requests, trace.counters.requests_received);
        for attempt in trace.calls.iter().flat_map(|c| &c.attempts) {
            assert!(attempt.start_ms >= attempt.planned_ms);
        }
    }
}
