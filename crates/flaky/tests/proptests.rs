//! No input panics the server or the knobs (native only: proptest does not
//! build for wasm32).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::endpoint::{Latency, LatencyKind, Outage, Overload};
use flaky::{
    Capacity, CommitLoseAs, CreateMode, EndpointConfig, FailWith, FaultMix, Method, QueueOrder,
    Reply, Request, Server, Shed,
};
use proptest::prelude::*;

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![Just(Method::Get), Just(Method::Post), Just(Method::Put)]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/flaky".to_string()),
        Just("/items".to_string()),
        "[a-z0-9-]{0,12}".prop_map(|name| format!("/items/{name}")),
        "\\PC{0,24}",
        ".{0,40}",
    ]
}

fn header() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![
            Just("Idempotency-Key".to_string()),
            Just("idempotency-key".to_string()),
            ".{0,12}"
        ],
        ".{0,16}",
    )
}

fn request() -> impl Strategy<Value = (u64, Request)> {
    (
        0u64..5_000,
        0u64..50,
        method(),
        path(),
        proptest::collection::vec(header(), 0..3),
        ".{0,300}",
    )
        .prop_map(|(now_ms, id, method, path, headers, body)| {
            (
                now_ms,
                Request {
                    id,
                    method,
                    path,
                    headers,
                    body,
                },
            )
        })
}

/// Any probability, including nonsense a deserialized config might carry.
fn any_probability() -> impl Strategy<Value = f64> {
    prop_oneof![
        0.0..=1.0,
        Just(f64::NAN),
        Just(-1.0),
        Just(2.0),
        Just(f64::INFINITY),
        any::<f64>()
    ]
}

fn fail_with() -> impl Strategy<Value = FailWith> {
    prop_oneof![
        any::<u16>().prop_map(FailWith::Status),
        Just(FailWith::Reset),
        Just(FailWith::Hang)
    ]
}

fn config() -> impl Strategy<Value = EndpointConfig> {
    let latency = (
        prop_oneof![
            Just(LatencyKind::Fixed),
            Just(LatencyKind::Uniform),
            Just(LatencyKind::LongTail)
        ],
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop_oneof![Just(0u64), any::<u64>(), 1u64..1000],
        prop_oneof![Just(0u64), any::<u64>(), 1u64..10_000],
    )
        .prop_map(|(kind, fixed_ms, min_ms, max_ms, p50_ms, p99_ms)| Latency {
            kind,
            fixed_ms,
            min_ms,
            max_ms,
            p50_ms,
            p99_ms,
        });
    let faults = proptest::collection::vec(any_probability(), 12).prop_map(|p| FaultMix {
        status_500: p[0] / 12.0,
        status_502: p[1] / 12.0,
        status_503: p[2],
        status_504: p[3] / 12.0,
        status_429: p[4] / 12.0,
        status_400: p[5] / 12.0,
        status_401: p[6] / 12.0,
        status_403: p[7] / 12.0,
        status_404: p[8] / 12.0,
        reset: p[9] / 12.0,
        hang: p[10] / 12.0,
        commit_lose: p[11],
    });
    let outage =
        (any::<u64>(), any::<u64>(), fail_with()).prop_map(|(start_ms, duration_ms, status)| {
            Outage {
                start_ms: start_ms % 6_000,
                duration_ms,
                status,
            }
        });
    let overload = (
        0u32..10,
        any_probability(),
        prop_oneof![0u64..100, any::<u64>()],
    )
        .prop_map(
            |(limit, error_per_excess, latency_ms_per_excess)| Overload {
                limit,
                error_per_excess,
                latency_ms_per_excess,
            },
        );
    (
        latency,
        faults,
        any::<u64>(),
        any::<bool>(),
        prop_oneof![Just(CommitLoseAs::Hang), Just(CommitLoseAs::Reset)],
        prop_oneof![Just(0u64), 0u64..5, any::<u64>()],
        fail_with(),
        proptest::collection::vec(outage, 0..3),
        overload,
        prop_oneof![
            Just(CreateMode::NaivePost),
            Just(CreateMode::CheckThenCreate),
            Just(CreateMode::IdempotencyKey),
            Just(CreateMode::PutWithId)
        ],
        capacity(),
    )
        .prop_map(
            |(
                latency,
                faults,
                retry_after_s,
                retry_after_on_503,
                commit_lose_as,
                fail_first_n,
                fail_first_status,
                outages,
                overload,
                create,
                capacity,
            )| EndpointConfig {
                latency,
                faults,
                retry_after_s,
                retry_after_on_503,
                commit_lose_as,
                fail_first_n,
                fail_first_status,
                outages,
                overload,
                create,
                capacity,
                ..EndpointConfig::default()
            },
        )
}

/// A capacity model: off, or a rate with any queue, order and shedding.
fn capacity() -> impl Strategy<Value = Capacity> {
    (
        prop_oneof![Just(0u32), 1u32..200, any::<u32>()],
        prop_oneof![Just(0u32), 1u32..20],
        prop_oneof![Just(QueueOrder::Fifo), Just(QueueOrder::Lifo)],
        prop_oneof![Just(Shed::None), Just(Shed::MaxAge), Just(Shed::Reject)],
        prop_oneof![0u64..1000, any::<u64>()],
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

proptest! {
    #[test]
    fn random_requests_and_configs_never_panic(
        config in config(),
        seed in any::<u64>(),
        mut requests in proptest::collection::vec(request(), 1..40),
        cancels in proptest::collection::vec(0u64..50, 0..10),
    ) {
        let _ = config.validate();
        requests.sort_by_key(|(now_ms, _)| *now_ms);
        let mut server = Server::new(config, seed);
        for (i, (now_ms, request)) in requests.iter().enumerate() {
            let reply = server.handle(*now_ms, request);
            match reply {
                Reply::Respond { at_ms, status, .. } => {
                    prop_assert!(at_ms >= *now_ms);
                    prop_assert!((100..=599).contains(&status), "status {status}");
                }
                Reply::Reset { at_ms } => prop_assert!(at_ms >= *now_ms),
                Reply::Hang => {}
            }
            if let Some(id) = cancels.get(i) {
                server.cancel(*now_ms, *id);
            }
            let _ = server.in_flight(*now_ms);
        }
        let counters = server.counters().clone();
        prop_assert_eq!(counters.requests_received, requests.len() as u64);
        prop_assert_eq!(counters.by_status.values().sum::<u64>(), requests.len() as u64);
        prop_assert!(counters.duplicates <= counters.creates_applied);
        prop_assert!(serde_json::to_string(&counters).is_ok());
    }

    #[test]
    fn same_seed_same_replies(config in config(), seed in any::<u64>(), requests in proptest::collection::vec(request(), 1..20)) {
        let run = || {
            let mut server = Server::new(config.clone(), seed);
            requests.iter().map(|(now_ms, r)| server.handle(*now_ms, r)).collect::<Vec<_>>()
        };
        prop_assert_eq!(run(), run());
    }

    /// The simulator's server leaves out what only a reader of bodies sees;
    /// every decision, time, status, `Retry-After` and counter is the same.
    #[test]
    fn without_fault_details_same_decisions(config in config(), seed in any::<u64>(), mut requests in proptest::collection::vec(request(), 1..30)) {
        requests.sort_by_key(|(now_ms, _)| *now_ms);
        let gist = |reply: &Reply| match reply {
            Reply::Respond { at_ms, status, headers, .. } => {
                let retry_after = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
                    .map(|(_, v)| v.clone());
                format!("respond {at_ms} {status} {retry_after:?}")
            }
            other => format!("{other:?}"),
        };
        let mut full = Server::new(config.clone(), seed);
        let mut lean = Server::new(config.clone(), seed).without_fault_details();
        for (now_ms, request) in &requests {
            prop_assert_eq!(gist(&full.handle(*now_ms, request)), gist(&lean.handle(*now_ms, request)));
        }
        prop_assert_eq!(full.counters(), lean.counters());
    }

    #[test]
    fn random_knob_strings_never_panic(name in ".{0,40}", value in ".{0,40}") {
        let mut config = EndpointConfig::default();
        let _ = config.set(&name, &value);
        let _ = config.get(&name);
    }

    #[test]
    fn known_knobs_with_random_values_never_panic_and_keep_the_config_valid(
        index in 0usize..64,
        values in proptest::collection::vec(prop_oneof![".{0,12}", "-?[0-9]{0,8}(\\.[0-9]{0,4})?", "0\\.[0-9]{1,3}"], 1..20),
    ) {
        let knobs = EndpointConfig::knobs();
        let mut config = EndpointConfig::default();
        for (i, value) in values.iter().enumerate() {
            let spec = &knobs[(index + i * 7) % knobs.len()];
            let before = config.clone();
            match config.set(spec.name, value) {
                Ok(()) => {
                    let shown = config.get(spec.name).unwrap_or_default();
                    let mut again = config.clone();
                    prop_assert!(again.set(spec.name, &shown).is_ok(), "{} = {shown}", spec.name);
                    prop_assert_eq!(&again, &config);
                }
                Err(e) => {
                    prop_assert_eq!(&config, &before);
                    prop_assert!(e.to_string().contains(spec.name));
                }
            }
            prop_assert!(config.validate().is_ok(), "{:?}", config.validate());
        }
    }
}
