//! The server model: each fault, each create semantic, overload, outages,
//! fail-first-N, Retry-After, determinism.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::{EndpointConfig, Method, Reply, Request, Server};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn config(knobs: &[(&str, &str)]) -> EndpointConfig {
    let mut config = EndpointConfig::default();
    for (name, value) in knobs {
        if let Err(e) = config.set(name, value) {
            panic!("{e}");
        }
    }
    config
}

fn request(id: u64, method: Method, path: &str, body: &str) -> Request {
    Request {
        id,
        method,
        path: path.to_string(),
        headers: vec![],
        body: body.to_string(),
    }
}

fn post(id: u64, name: &str) -> Request {
    request(id, Method::Post, "/items", name)
}

fn keyed(id: u64, name: &str, key: &str) -> Request {
    Request {
        headers: vec![("idempotency-key".to_string(), key.to_string())],
        ..post(id, name)
    }
}

/// `(at_ms, status, headers, body)` of a `Respond`, or a panic naming the reply.
fn respond(reply: &Reply) -> (u64, u16, &[(String, String)], &str) {
    match reply {
        Reply::Respond {
            at_ms,
            status,
            headers,
            body,
        } => (*at_ms, *status, headers, body),
        other => panic!("expected a response, got {other:?}"),
    }
}

fn status(reply: &Reply) -> u16 {
    respond(reply).1
}

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    respond(reply)
        .2
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn flaky_read_answers_after_the_fixed_latency() {
    let mut server = Server::new(config(&[("endpoint.latency.ms", "30")]), 1);
    let reply = server.handle(1_000, &request(1, Method::Get, "/flaky", ""));
    let (at_ms, status, _, body) = respond(&reply);
    assert_eq!((at_ms, status), (1_030, 200));
    assert!(body.contains("\"ok\":true"), "{body}");
    assert_eq!(server.counters().requests_received, 1);
    assert_eq!(server.counters().by_status.get("200"), Some(&1));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn each_status_fault_answers_its_status_and_commits_nothing() {
    for code in [
        "500", "502", "503", "504", "429", "400", "401", "403", "404",
    ] {
        let mut server = Server::new(config(&[(&format!("endpoint.fault.{code}"), "1")]), 2);
        let reply = server.handle(0, &post(1, "alice-17"));
        assert_eq!(status(&reply).to_string(), code);
        assert_eq!(header(&reply, "X-Flaky-Fault"), Some("fault"));
        assert_eq!(
            server.counters().creates_applied,
            0,
            "fault {code} must come before the commit"
        );
        assert_eq!(server.counters().by_status.get(code), Some(&1));
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn reset_and_hang_faults() {
    let mut server = Server::new(
        config(&[("endpoint.fault.reset", "1"), ("endpoint.latency.ms", "5")]),
        3,
    );
    assert_eq!(server.handle(10, &post(1, "a")), Reply::Reset { at_ms: 15 });
    assert_eq!(server.counters().by_status.get("reset"), Some(&1));
    assert_eq!(server.counters().creates_applied, 0);

    let mut server = Server::new(config(&[("endpoint.fault.hang", "1")]), 3);
    assert_eq!(server.handle(10, &post(1, "a")), Reply::Hang);
    assert_eq!(server.counters().by_status.get("hang"), Some(&1));
    assert_eq!(server.counters().creates_applied, 0);
    assert_eq!(
        server.in_flight(1_000_000),
        1,
        "a hang stays in flight until cancelled"
    );
    server.cancel(1_000_000, 1);
    assert_eq!(server.in_flight(1_000_000), 0);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn retry_after_on_429_and_optionally_on_503() {
    let mut server = Server::new(
        config(&[("endpoint.fault.429", "1"), ("endpoint.retry_after_s", "7")]),
        4,
    );
    let reply = server.handle(0, &request(1, Method::Get, "/flaky", ""));
    assert_eq!(
        (status(&reply), header(&reply, "Retry-After")),
        (429, Some("7"))
    );

    let mut server = Server::new(
        config(&[("endpoint.fault.503", "1"), ("endpoint.retry_after_s", "7")]),
        4,
    );
    let reply = server.handle(0, &request(1, Method::Get, "/flaky", ""));
    assert_eq!((status(&reply), header(&reply, "Retry-After")), (503, None));

    let knobs = [
        ("endpoint.fault.503", "1"),
        ("endpoint.retry_after_s", "3"),
        ("endpoint.retry_after_on_503", "true"),
    ];
    let mut server = Server::new(config(&knobs), 4);
    let reply = server.handle(0, &request(1, Method::Get, "/flaky", ""));
    assert_eq!(
        (status(&reply), header(&reply, "Retry-After")),
        (503, Some("3"))
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn commit_then_lose_applies_the_create_then_loses_the_reply() {
    let mut server = Server::new(config(&[("endpoint.fault.commit_lose", "1")]), 5);
    assert_eq!(server.handle(0, &post(1, "alice-17")), Reply::Hang);
    assert_eq!(server.counters().creates_applied, 1);
    assert_eq!(server.counters().replies_lost, 1);
    // The naive client retries the lost create: a duplicate.
    server.set_config(EndpointConfig::default());
    assert_eq!(status(&server.handle(5_000, &post(2, "alice-17"))), 201);
    assert_eq!(
        (
            server.counters().creates_applied,
            server.counters().duplicates
        ),
        (2, 1)
    );

    let knobs = [
        ("endpoint.fault.commit_lose", "1"),
        ("endpoint.commit_lose_as", "reset"),
    ];
    let mut server = Server::new(config(&knobs), 5);
    assert_eq!(
        server.handle(0, &post(1, "bob")),
        Reply::Reset { at_ms: 50 }
    );
    assert_eq!(server.counters().creates_applied, 1);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn idempotency_key_in_flight_409_then_replay() {
    let mut server = Server::new(
        config(&[
            ("endpoint.create", "idempotency_key"),
            ("endpoint.latency.ms", "100"),
        ]),
        6,
    );
    let first = server.handle(0, &keyed(1, "alice-17", "k1"));
    let (at_ms, status_first, _, body_first) = respond(&first);
    assert_eq!((at_ms, status_first), (100, 201));

    let during = server.handle(50, &keyed(2, "alice-17", "k1"));
    assert_eq!(status(&during), 409);
    assert!(respond(&during).3.contains("in flight"), "{during:?}");

    let after = server.handle(100, &keyed(3, "alice-17", "k1"));
    let (_, status_after, _, body_after) = respond(&after);
    assert_eq!(
        (status_after, body_after),
        (201, body_first),
        "a replay repeats the stored status and body"
    );
    assert_eq!(header(&after, "Idempotent-Replayed"), Some("true"));
    assert_eq!(header(&first, "Idempotent-Replayed"), None);
    let c = server.counters();
    assert_eq!((c.creates_applied, c.duplicates, c.replays), (1, 0, 1));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn idempotency_key_reused_with_another_body_is_422() {
    let mut server = Server::new(config(&[("endpoint.create", "idempotency_key")]), 7);
    assert_eq!(status(&server.handle(0, &keyed(1, "alice-17", "k1"))), 201);
    let reply = server.handle(1_000, &keyed(2, "bob-3", "k1"));
    assert_eq!(status(&reply), 422);
    assert_eq!(server.counters().creates_applied, 1);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_5xx_before_the_commit_releases_the_key() {
    let mut server = Server::new(
        config(&[
            ("endpoint.create", "idempotency_key"),
            ("endpoint.fault.503", "1"),
        ]),
        8,
    );
    assert_eq!(status(&server.handle(0, &keyed(1, "alice-17", "k1"))), 503);
    server.set_config(config(&[("endpoint.create", "idempotency_key")]));
    // Even while the failed attempt's reply would still be travelling, the key is free.
    let retry = server.handle(10, &keyed(2, "alice-17", "k1"));
    assert_eq!(status(&retry), 201);
    assert_eq!(header(&retry, "Idempotent-Replayed"), None);
    assert_eq!(
        (server.counters().creates_applied, server.counters().replays),
        (1, 0)
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn commit_then_lose_stores_the_response_for_the_retry() {
    let knobs = [
        ("endpoint.create", "idempotency_key"),
        ("endpoint.fault.commit_lose", "1"),
    ];
    let mut server = Server::new(config(&knobs), 9);
    assert_eq!(server.handle(0, &keyed(1, "alice-17", "k1")), Reply::Hang);
    server.set_config(config(&[("endpoint.create", "idempotency_key")]));
    assert_eq!(
        status(&server.handle(20, &keyed(2, "alice-17", "k1"))),
        409,
        "still in flight at 20 ms"
    );
    let retry = server.handle(1_000, &keyed(3, "alice-17", "k1"));
    assert_eq!(
        (status(&retry), header(&retry, "Idempotent-Replayed")),
        (201, Some("true"))
    );
    let c = server.counters();
    assert_eq!((c.creates_applied, c.duplicates, c.replays), (1, 0, 1));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn keys_are_ignored_unless_the_mode_is_idempotency_key() {
    let mut server = Server::new(EndpointConfig::default(), 10);
    assert_eq!(status(&server.handle(0, &keyed(1, "alice-17", "k1"))), 201);
    assert_eq!(
        status(&server.handle(1_000, &keyed(2, "alice-17", "k1"))),
        201
    );
    assert_eq!(server.counters().duplicates, 1);
    // A POST without a key in idempotency_key mode is naive too.
    let mut server = Server::new(config(&[("endpoint.create", "idempotency_key")]), 10);
    assert_eq!(status(&server.handle(0, &post(1, "alice-17"))), 201);
    assert_eq!(status(&server.handle(1_000, &post(2, "alice-17"))), 201);
    assert_eq!(server.counters().duplicates, 1);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn put_with_id_never_duplicates() {
    let mut server = Server::new(config(&[("endpoint.create", "put_with_id")]), 11);
    assert_eq!(
        status(&server.handle(0, &request(1, Method::Put, "/items/alice-17", "alice-17"))),
        201
    );
    assert_eq!(
        status(&server.handle(10, &request(2, Method::Put, "/items/alice-17", "alice-17"))),
        200
    );
    assert_eq!(
        status(&server.handle(
            1_000,
            &request(3, Method::Put, "/items/alice-17", "alice-17")
        )),
        200
    );
    let c = server.counters();
    assert_eq!((c.creates_applied, c.duplicates), (1, 0));
    assert_eq!(
        status(&server.handle(2_000, &request(4, Method::Get, "/items/alice-17", ""))),
        200
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn check_then_create_races_between_two_clients() {
    let mut server = Server::new(config(&[("endpoint.create", "check_then_create")]), 12);
    // Both clients check before either creates, so both see 404 and both create.
    assert_eq!(
        status(&server.handle(0, &request(1, Method::Get, "/items/alice-17", ""))),
        404
    );
    assert_eq!(
        status(&server.handle(5, &request(2, Method::Get, "/items/alice-17", ""))),
        404
    );
    assert_eq!(status(&server.handle(60, &post(3, "alice-17"))), 201);
    // The first create is not yet visible (its reply leaves at 110 ms).
    assert_eq!(
        status(&server.handle(70, &request(4, Method::Get, "/items/alice-17", ""))),
        404
    );
    assert_eq!(status(&server.handle(70, &post(5, "alice-17"))), 201);
    assert_eq!(server.counters().duplicates, 1);
    // A third client checking later sees the item and does not create.
    assert_eq!(
        status(&server.handle(200, &request(6, Method::Get, "/items/alice-17", ""))),
        200
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn unknown_paths_404_and_bad_methods_405() {
    let mut server = Server::new(EndpointConfig::default(), 13);
    let reply = server.handle(0, &request(1, Method::Get, "/nope", ""));
    assert_eq!(status(&reply), 404);
    assert!(respond(&reply).3.contains("no such path") && respond(&reply).3.contains("/flaky"));
    for (method, path, allow) in [
        (Method::Post, "/flaky", "GET"),
        (Method::Put, "/flaky", "GET"),
        (Method::Get, "/items", "POST"),
        (Method::Post, "/items/alice", "GET, PUT"),
    ] {
        let reply = server.handle(0, &request(2, method, path, "x"));
        assert_eq!(
            (status(&reply), header(&reply, "Allow")),
            (405, Some(allow)),
            "{method} {path}"
        );
    }
    assert_eq!(
        status(&server.handle(0, &request(3, Method::Get, "/items/a/b", ""))),
        404
    );
    assert_eq!(
        status(&server.handle(0, &request(4, Method::Get, "/flaky?x=1", ""))),
        200,
        "query ignored"
    );
    assert_eq!(
        status(&server.handle(0, &post(5, "   "))),
        400,
        "an empty name"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn overload_beyond_the_limit_adds_latency_and_503s() {
    let knobs = [
        ("endpoint.overload.limit", "2"),
        ("endpoint.overload.error_per_excess", "0"),
        ("endpoint.overload.latency_ms_per_excess", "10"),
    ];
    let mut server = Server::new(config(&knobs), 14);
    let at: Vec<u64> = (0..4)
        .map(|id| respond(&server.handle(0, &request(id, Method::Get, "/flaky", ""))).0)
        .collect();
    assert_eq!(
        at,
        [50, 50, 60, 70],
        "1 and 2 excess requests add 10 and 20 ms"
    );
    assert_eq!(server.in_flight(0), 4);
    assert_eq!(server.counters().in_flight_max, 4);
    // Once they have answered, a new request is within the limit again.
    assert_eq!(
        respond(&server.handle(100, &request(9, Method::Get, "/flaky", ""))).0,
        150
    );

    let knobs = [
        ("endpoint.overload.limit", "2"),
        ("endpoint.overload.error_per_excess", "1"),
    ];
    let mut server = Server::new(config(&knobs), 14);
    let statuses: Vec<u16> = (0..4)
        .map(|id| status(&server.handle(0, &request(id, Method::Get, "/flaky", ""))))
        .collect();
    assert_eq!(statuses, [200, 200, 503, 503]);
    let reply = server.handle(0, &request(5, Method::Get, "/flaky", ""));
    assert_eq!(header(&reply, "X-Flaky-Fault"), Some("overload"));
    // Cancelling frees the slots.
    for id in 0..6 {
        server.cancel(1, id);
    }
    assert_eq!(server.in_flight(1), 0);
    assert_eq!(
        status(&server.handle(1, &request(7, Method::Get, "/flaky", ""))),
        200
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn outage_windows() {
    let knobs = [
        ("endpoint.outage.start_ms", "1000"),
        ("endpoint.outage.duration_ms", "500"),
    ];
    let mut server = Server::new(config(&knobs), 15);
    let get =
        |server: &mut Server, now| server.handle(now, &request(now, Method::Get, "/flaky", ""));
    assert_eq!(status(&get(&mut server, 999)), 200);
    let inside = get(&mut server, 1000);
    assert_eq!(
        (status(&inside), header(&inside, "X-Flaky-Fault")),
        (503, Some("outage"))
    );
    assert_eq!(status(&get(&mut server, 1499)), 503);
    assert_eq!(status(&get(&mut server, 1500)), 200);

    let mut with_reset = config(&knobs);
    with_reset.set("endpoint.outage.status", "reset").unwrap();
    let mut second = with_reset.outages[0].clone();
    second.start_ms = 5_000;
    second.status = flaky::FailWith::Hang;
    with_reset.outages.push(second);
    let mut server = Server::new(with_reset, 15);
    assert_eq!(get(&mut server, 1200), Reply::Reset { at_ms: 1250 });
    assert_eq!(get(&mut server, 5_100), Reply::Hang);
    assert_eq!(status(&get(&mut server, 6_000)), 200);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn fail_first_n_then_normal() {
    let mut server = Server::new(config(&[("endpoint.fail_first_n", "2")]), 16);
    let statuses: Vec<u16> = (0..4)
        .map(|id| status(&server.handle(id * 100, &request(id, Method::Get, "/flaky", ""))))
        .collect();
    assert_eq!(statuses, [503, 503, 200, 200]);

    let mut server = Server::new(
        config(&[
            ("endpoint.fail_first_n", "1"),
            ("endpoint.fail_first_status", "reset"),
        ]),
        16,
    );
    assert_eq!(server.handle(0, &post(1, "a")), Reply::Reset { at_ms: 50 });
    assert_eq!(status(&server.handle(100, &post(2, "a"))), 201);
    assert_eq!(server.counters().creates_applied, 1);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn fault_mix_frequencies_follow_the_probabilities() {
    let knobs = [
        ("endpoint.fault.503", "0.3"),
        ("endpoint.fault.reset", "0.1"),
    ];
    let mut server = Server::new(config(&knobs), 17);
    for id in 0..10_000 {
        server.handle(id, &request(id, Method::Get, "/flaky", ""));
    }
    let by = &server.counters().by_status;
    let share = |key: &str| *by.get(key).unwrap_or(&0) as f64 / 10_000.0;
    assert!((share("503") - 0.3).abs() < 0.02, "{by:?}");
    assert!((share("reset") - 0.1).abs() < 0.015, "{by:?}");
    assert!((share("200") - 0.6).abs() < 0.02, "{by:?}");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn latency_distributions() {
    let draw = |knobs: &[(&str, &str)]| -> Vec<u64> {
        let mut server = Server::new(config(knobs), 18);
        let mut latencies: Vec<u64> = (0..20_000)
            .map(|id| {
                let reply = server.handle(0, &request(id, Method::Get, "/flaky", ""));
                server.cancel(0, id);
                respond(&reply).0
            })
            .collect();
        latencies.sort_unstable();
        latencies
    };
    let uniform = draw(&[
        ("endpoint.latency.kind", "uniform"),
        ("endpoint.latency.min_ms", "10"),
        ("endpoint.latency.max_ms", "20"),
    ]);
    assert_eq!((uniform[0], uniform[uniform.len() - 1]), (10, 20));
    let tail = draw(&[
        ("endpoint.latency.kind", "long_tail"),
        ("endpoint.latency.p50_ms", "100"),
        ("endpoint.latency.p99_ms", "1000"),
    ]);
    let (p50, p99) = (tail[10_000], tail[19_800]);
    assert!((90..=110).contains(&p50), "p50 {p50}");
    assert!((850..=1150).contains(&p99), "p99 {p99}");
}

/// A config with a bit of everything, for determinism checks.
fn busy_config() -> EndpointConfig {
    config(&[
        ("endpoint.latency.kind", "long_tail"),
        ("endpoint.fault.503", "0.2"),
        ("endpoint.fault.429", "0.1"),
        ("endpoint.fault.reset", "0.05"),
        ("endpoint.fault.commit_lose", "0.1"),
        ("endpoint.overload.limit", "5"),
        ("endpoint.overload.error_per_excess", "0.1"),
        ("endpoint.create", "idempotency_key"),
    ])
}

fn busy_run(seed: u64) -> (Vec<Reply>, String) {
    let mut server = Server::new(busy_config(), seed);
    let replies = (0..300u64)
        .map(|id| {
            let request = match id % 3 {
                0 => request(id, Method::Get, "/flaky", ""),
                1 => keyed(id, &format!("item-{}", id % 7), &format!("key-{}", id % 7)),
                _ => request(id, Method::Get, &format!("/items/item-{}", id % 7), ""),
            };
            server.handle(id * 13, &request)
        })
        .collect();
    (replies, serde_json::to_string(server.counters()).unwrap())
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn same_seed_same_replies_other_seed_other_replies() {
    for seed in [0, 1, 42, u64::MAX] {
        assert_eq!(busy_run(seed), busy_run(seed), "seed {seed}");
        assert_ne!(busy_run(seed).0, busy_run(seed ^ 1).0, "seed {seed}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn reset_starts_a_new_identical_run() {
    let mut server = Server::new(busy_config(), 5);
    let first: Vec<Reply> = (0..50)
        .map(|id| server.handle(id, &post(id, "x")))
        .collect();
    server.reset();
    assert_eq!(server.counters(), &flaky::Counters::default());
    assert_eq!(server.in_flight(0), 0);
    let second: Vec<Reply> = (0..50)
        .map(|id| server.handle(id, &post(id, "x")))
        .collect();
    assert_eq!(first, second);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn counters_json_shape() {
    let mut server = Server::new(EndpointConfig::default(), 19);
    server.handle(0, &post(1, "a"));
    server.handle(1, &post(2, "a"));
    let json = serde_json::to_value(server.counters()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "requests_received": 2,
            "by_status": { "201": 2 },
            "creates_applied": 2,
            "duplicates": 1,
            "replays": 0,
            "replies_lost": 0,
            "in_flight_max": 2
        })
    );
}
