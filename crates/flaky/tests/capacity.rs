//! The server with a capacity limit: its queue stays within `endpoint.queue.max`,
//! a shed or rejected request is never served, and without a rate nothing
//! changes. Also the list knobs (`endpoint.outages`, `sim.spike`): any list
//! round-trips, any garbage is an error naming the knob, never a panic.
//! (Native only: proptest does not build for wasm32.)
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::engine::EngineOptions;
use flaky::sim::{self, RunConfig};
use flaky::world::{Identity, Stage};
use flaky::{Capacity, EndpointConfig, Method, QueueOrder, Reply, Request, Server, Shed};
use proptest::prelude::*;

fn capacity() -> impl Strategy<Value = Capacity> {
    (
        1u32..300,
        1u32..30,
        prop_oneof![Just(QueueOrder::Fifo), Just(QueueOrder::Lifo)],
        prop_oneof![Just(Shed::None), Just(Shed::MaxAge), Just(Shed::Reject)],
        0u64..500,
        0u64..3,
    )
        .prop_map(
            |(rps, queue_max, order, shed, shed_max_age_ms, retry_after_s)| Capacity {
                rps,
                queue_max,
                order,
                shed,
                shed_max_age_ms,
                retry_after_s,
            },
        )
}

fn post(id: u64) -> Request {
    Request {
        id,
        method: Method::Post,
        path: "/items".into(),
        headers: vec![],
        body: format!("item-{id}"),
    }
}

/// A reply the queue gave instead of service: a 503 marked shed or
/// rejected, or the reset of a full queue.
fn turned_away(reply: &Reply) -> bool {
    match reply {
        Reply::Respond { headers, .. } => headers
            .iter()
            .any(|(n, v)| n == "X-Flaky-Fault" && (v == "shed" || v == "rejected")),
        Reply::Reset { .. } => true,
        Reply::Hang => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_queue_stays_within_its_max_and_turned_away_requests_are_never_served(
        capacity in capacity(),
        gaps in proptest::collection::vec(0u64..40, 1..200),
        latency_ms in 0u64..100,
    ) {
        let mut config = EndpointConfig::default();
        config.latency.fixed_ms = latency_ms;
        config.capacity = capacity.clone();
        let mut server = Server::new(config, 1);
        let mut replies: Vec<(u64, Reply)> = Vec::new();
        let mut now = 0u64;
        for (i, gap) in gaps.iter().enumerate() {
            now += gap;
            server.handle_timeout(now);
            while let Some(s) = server.poll_served() {
                replies.push((s.request_id, s.reply));
            }
            let id = i as u64 + 1;
            let identity = Identity { client: 0, ordinal: i as u32, attempt: 1, stage: Stage::Main };
            if let Some(reply) = server.arrive(now, post(id), Some(identity)) {
                replies.push((id, reply));
            }
            prop_assert!(server.queue_len() <= capacity.queue_max, "queue {} > max {}", server.queue_len(), capacity.queue_max);
        }
        while let Some(at) = server.poll_timeout() {
            server.handle_timeout(at);
            while let Some(s) = server.poll_served() {
                replies.push((s.request_id, s.reply));
            }
        }
        let n = gaps.len() as u64;
        prop_assert_eq!(replies.len() as u64, n, "one reply per request");
        let away = replies.iter().filter(|(_, r)| turned_away(r)).count() as u64;
        let c = server.counters();
        prop_assert_eq!(away, c.shed + c.rejected);
        // Every request created its own item, unless it was turned away.
        prop_assert_eq!(c.creates_applied, n - away);
        prop_assert!(c.queue_len_max <= capacity.queue_max);
        if capacity.shed != Shed::MaxAge {
            prop_assert_eq!(c.shed, 0);
        }
    }

    #[test]
    fn a_simulated_run_keeps_its_queue_within_the_max(
        capacity in capacity(),
        clients in 1u32..60,
        timeout_ms in prop_oneof![Just(0u64), 50u64..500],
        seed in any::<u64>(),
    ) {
        let mut config = RunConfig::default();
        config.endpoint.capacity = capacity.clone();
        for (k, v) in [
            ("sim.clients", clients.to_string()),
            ("sim.calls", "3".to_string()),
            ("attempts.max", "4".to_string()),
            ("attempts.timeout_ms", timeout_ms.to_string()),
            ("backoff.base_ms", "10".to_string()),
            ("endpoint.outages", "100+300".to_string()),
        ] {
            config.set(k, &v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let trace = sim::run_with(&config, seed, EngineOptions::lanes(0));
        let s = trace.summary();
        prop_assert!(trace.counters.queue_len_max <= capacity.queue_max, "seed {seed}");
        prop_assert!(trace.server_queue.iter().all(|q| q.queue_len_max <= capacity.queue_max), "seed {seed}");
        prop_assert_eq!(s.shed, trace.counters.shed + trace.counters.rejected);
        prop_assert!(s.succeeded + s.shed <= s.server_requests, "seed {seed}");
    }

    #[test]
    fn without_a_rate_the_queue_knobs_change_nothing(
        queue_max in 0u32..50,
        lifo in any::<bool>(),
        shed in 0usize..3,
        max_age in 0u64..1000,
        clients in 1u32..30,
        fault in 0.0f64..0.5,
        seed in any::<u64>(),
    ) {
        let mut plain = RunConfig::default();
        plain.set("sim.clients", &clients.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        plain.set("endpoint.fault.503", &fault.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        plain.set("attempts.timeout_ms", "80").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut queued = plain.clone();
        for (k, v) in [
            ("endpoint.queue.max", queue_max.to_string()),
            ("endpoint.queue.order", if lifo { "lifo" } else { "fifo" }.to_string()),
            ("endpoint.shed", ["none", "max_age", "reject"][shed].to_string()),
            ("endpoint.shed.max_age_ms", max_age.to_string()),
            ("endpoint.shed.retry_after_s", "1".to_string()),
        ] {
            queued.set(k, &v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        prop_assert_eq!(sim::run(&plain, seed), sim::run(&queued, seed), "seed {}", seed);
    }

    #[test]
    fn window_lists_round_trip(
        windows in proptest::collection::vec((0u64..=86_400_000, 0u64..=86_400_000), 0..8),
        spikes in proptest::collection::vec((0u64..=86_400_000, 0u64..=86_400_000, 0.001f64..1000.0), 0..8),
    ) {
        let text = if windows.is_empty() {
            "none".to_string()
        } else {
            windows.iter().map(|(s, d)| format!("{s}+{d}")).collect::<Vec<_>>().join(",")
        };
        let mut config = RunConfig::default();
        config.set("endpoint.outages", &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(config.get("endpoint.outages"), Some(text.clone()));
        prop_assert_eq!(config.endpoint.outages.len(), windows.len());
        let spike_text = if spikes.is_empty() {
            "none".to_string()
        } else {
            spikes.iter().map(|(s, d, f)| format!("{s}+{d}*{f}")).collect::<Vec<_>>().join(",")
        };
        config.set("sim.spike", &spike_text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(config.get("sim.spike"), Some(spike_text));
        // Setting what `get` reports changes nothing.
        let before = config.clone();
        for name in ["endpoint.outages", "sim.spike"] {
            let value = before.get(name).unwrap_or_default();
            config.set(name, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        prop_assert_eq!(config, before);
    }

    #[test]
    fn garbage_lists_are_errors_naming_the_knob(value in ".{0,60}") {
        let mut config = RunConfig::default();
        for name in ["endpoint.outages", "sim.spike"] {
            let before = config.clone();
            if let Err(e) = config.set(name, &value) {
                prop_assert!(e.to_string().contains(name), "{e}");
                prop_assert_eq!(&config, &before);
            }
        }
    }
}

#[test]
fn a_bad_list_names_the_bad_part() {
    let mut config = RunConfig::default();
    let err = config
        .set("endpoint.outages", "20000+30000,80000-10000")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("part 2 `80000-10000`"), "{err}");
    let err = config
        .set("sim.spike", "1000+500*x")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("FACTOR `x`"), "{err}");
}

#[test]
fn two_outages_fail_requests_in_both_windows_and_the_old_knobs_edit_the_first() {
    let mut config = RunConfig::default();
    config.set("endpoint.outages", "100+50,300+50").unwrap();
    config.set("endpoint.outage.status", "502").unwrap();
    let statuses: Vec<_> = config
        .endpoint
        .outages
        .iter()
        .map(|o| o.status.to_string())
        .collect();
    assert_eq!(statuses, ["502", "502"]);
    config.set("endpoint.outage.start_ms", "120").unwrap();
    assert_eq!(
        config.get("endpoint.outages").as_deref(),
        Some("120+50,300+50")
    );
    let mut server = Server::new(config.endpoint.clone(), 3);
    let status = |server: &mut Server, at: u64| match server.handle(at, &post(at)) {
        Reply::Respond { status, .. } => status,
        other => panic!("{other:?}"),
    };
    assert_eq!(status(&mut server, 130), 502);
    assert_eq!(status(&mut server, 200), 201);
    assert_eq!(status(&mut server, 320), 502);
    assert_eq!(status(&mut server, 400), 201);
}

#[test]
fn a_spike_brings_calls_closer_together() {
    let mut config = RunConfig::default();
    for (k, v) in [
        ("sim.clients", "1"),
        ("sim.calls", "100"),
        ("sim.call_gap_ms", "100"),
        ("sim.horizon_ms", "2000"),
        ("endpoint.latency.ms", "0"),
        ("sim.net_ms", "0"),
    ] {
        config.set(k, v).unwrap();
    }
    let calls = |config: &RunConfig| {
        sim::run(config, 1).summary().calls - sim::run(config, 1).summary().not_started
    };
    let plain = calls(&config);
    config.set("sim.spike", "500+1000*4").unwrap();
    let spiked = calls(&config);
    // 1,000 ms at 4× the rate: about 30 more calls than the plain 20.
    assert!(spiked >= plain + 25, "plain {plain}, spiked {spiked}");
}

#[test]
fn a_queue_makes_latency_queueing_plus_service() {
    let mut config = EndpointConfig::default();
    config.latency.fixed_ms = 10;
    config.capacity.rps = 100; // one start every 10 ms
    let mut server = Server::new(config, 1);
    for id in 1..=3 {
        assert_eq!(server.arrive(0, post(id), None), None);
    }
    assert_eq!(server.queue_len(), 3);
    let mut done = Vec::new();
    while let Some(at) = server.poll_timeout() {
        server.handle_timeout(at);
        while let Some(s) = server.poll_served() {
            if let Reply::Respond { at_ms, .. } = s.reply {
                done.push(at_ms);
            }
        }
    }
    assert_eq!(done, [10, 20, 30]);
    // Without timers (live mode), the same at arrival.
    let mut server = Server::new(server.config().clone(), 1);
    let at: Vec<u64> = (1..=3)
        .map(|id| match server.handle(0, &post(id)) {
            Reply::Respond { at_ms, .. } => at_ms,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(at, [10, 20, 30]);
}
