use flaky::protocol::{header, CountersReply, ErrorKind, Health, RunStarted};
use flaky::world::{Identity, Stage};
use flaky::{EndpointConfig, Reply, Request, Server};

use super::*;
use flaky::Counters;

/// Worker time: monotonic `ms`, the epoch 1 000 000 ms ahead.
fn at(ms: f64) -> Now {
    Now {
        mono_ms: ms,
        epoch_ms: 1_000_000.0 + ms,
    }
}

fn control_at(
    mock: &mut Mock,
    now: Now,
    method: &str,
    what: &str,
    run: Option<&str>,
    body: &str,
) -> Plain {
    let path = format!("/mock/_control/{what}");
    match mock.handle(
        now,
        &Incoming {
            method,
            path: &path,
            run_id: run,
            body,
            ..Default::default()
        },
    ) {
        Answer::Now(p) => p,
        other => panic!("unexpected {other:?}"),
    }
}

fn control(mock: &mut Mock, method: &str, what: &str, body: &str) -> Plain {
    control_at(mock, at(0.0), method, what, None, body)
}

fn start(mock: &mut Mock, now: Now, run_id: &str, seed: u64, endpoint: &str) -> Plain {
    let body = format!(r#"{{"run_id":"{run_id}","seed":{seed},"endpoint":{endpoint}}}"#);
    control_at(mock, now, "POST", "run", None, &body)
}

fn counters(mock: &mut Mock, run_id: &str) -> Counters {
    let p = control_at(mock, at(0.0), "GET", "counters", Some(run_id), "");
    assert_eq!(p.status, 200, "{}", p.body);
    let reply: CountersReply = serde_json::from_str(&p.body).expect("a counters reply");
    assert_eq!(reply.run_id, run_id);
    reply.counters
}

fn get(run_id: &str) -> Incoming<'_> {
    Incoming {
        method: "GET",
        path: "/mock/flaky",
        run_id: Some(run_id),
        ..Default::default()
    }
}

fn now_plain(answer: Answer) -> Plain {
    match answer {
        Answer::Now(p) => p,
        other => panic!("expected an answer now, got {other:?}"),
    }
}

const FIXED_20: &str = r#"{"latency":{"kind":"fixed","fixed_ms":20}}"#;

#[test]
fn paths_of_urls() {
    assert_eq!(
        path_of("http://127.0.0.1:8080/mock/items?x=1#y"),
        "/mock/items"
    );
    assert_eq!(path_of("https://h"), "/");
    assert_eq!(path_of("/mock/flaky"), "/mock/flaky");
}

#[test]
fn paths_are_relative_to_the_workers_scope() {
    let root = "http://127.0.0.1:8080/";
    let sub = "http://127.0.0.1:8080/some/path/";
    for (url, scope, want) in [
        ("http://127.0.0.1:8080/mock/items?x=1", root, "/mock/items"),
        (
            "http://127.0.0.1:8080/some/path/mock/items/a-1",
            sub,
            "/mock/items/a-1",
        ),
        (
            "http://127.0.0.1:8080/some/path/mock/_control/run",
            sub,
            "/mock/_control/run",
        ),
        // Outside the scope, or a sibling that only shares a prefix: the whole path.
        ("http://127.0.0.1:8080/mock/flaky", sub, "/mock/flaky"),
        (
            "http://127.0.0.1:8080/some/pathx/mock/flaky",
            sub,
            "/some/pathx/mock/flaky",
        ),
    ] {
        assert_eq!(path_in_scope(url, scope), want, "{url} in {scope}");
    }
    // Under a sub-path the worker answers the control endpoints as at the root.
    let mut mock = Mock::default();
    let path = path_in_scope("http://127.0.0.1:8080/some/path/mock/_control/health", sub);
    let health = now_plain(mock.handle(
        at(0.0),
        &Incoming {
            method: "GET",
            path: &path,
            ..Incoming::default()
        },
    ));
    assert_eq!(health.status, 200, "{}", health.body);
    let unscoped = path_in_scope("http://127.0.0.1:8080/other/mock/_control/health", sub);
    let missed = now_plain(mock.handle(
        at(0.0),
        &Incoming {
            method: "GET",
            path: &unscoped,
            ..Incoming::default()
        },
    ));
    assert_eq!(missed.status, 404, "{}", missed.body);
}

#[test]
fn a_run_serves_the_flaky_server_and_counts() {
    let mut mock = Mock::default();
    let ok = start(&mut mock, at(0.0), "r1", 7, FIXED_20);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let started: RunStarted = serde_json::from_str(&ok.body).expect("a start reply");
    assert_eq!(
        started.server_seed,
        7 ^ SERVER_SEED_XOR,
        "the simulator's server seed"
    );
    let req = Incoming {
        method: "POST",
        path: "/mock/items",
        run_id: Some("r1"),
        body: "a",
        ..Default::default()
    };
    match mock.handle(at(1000.0), &req) {
        Answer::Server {
            run_id,
            request_id,
            delay_ms,
            reply: Reply::Respond { status, .. },
        } => {
            assert_eq!((run_id.as_str(), delay_ms, status), ("r1", 20, 201));
            assert!(
                request_id > protocol::REQUEST_IDS_END,
                "no X-Mock-Request: the worker's own id"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let health: Health = serde_json::from_str(&control(&mut mock, "GET", "health", "").body)
        .expect("a health reply");
    assert_eq!(
        (health.protocol, health.runs, health.runs_max),
        (protocol::PROTOCOL_VERSION, 1, 64)
    );
    assert_eq!(counters(&mut mock, "r1").creates_applied, 1);
    // Without X-Mock-Run, a counters read names the run started last.
    let latest = control(&mut mock, "GET", "counters", "");
    assert!(latest.body.contains(r#""run_id":"r1""#), "{}", latest.body);
}

#[test]
fn two_runs_interleaved_keep_separate_counters() {
    let mut mock = Mock::default();
    start(&mut mock, at(0.0), "a", 1, FIXED_20);
    start(&mut mock, at(0.0), "b", 1, FIXED_20);
    for i in 0..10 {
        let run = if i % 3 == 0 { "b" } else { "a" };
        let answer = mock.handle(at(f64::from(i)), &get(run));
        assert!(
            matches!(answer, Answer::Server { ref run_id, .. } if run_id == run),
            "{answer:?}"
        );
    }
    assert_eq!(counters(&mut mock, "a").requests_received, 6);
    assert_eq!(counters(&mut mock, "b").requests_received, 4);
}

#[test]
fn starting_a_run_does_not_reset_another() {
    let mut mock = Mock::default();
    start(&mut mock, at(0.0), "a", 1, FIXED_20);
    mock.handle(at(5.0), &get("a"));
    mock.handle(at(6.0), &get("a"));
    start(&mut mock, at(10.0), "b", 2, FIXED_20);
    mock.handle(at(11.0), &get("b"));
    assert_eq!(counters(&mut mock, "a").requests_received, 2);
    assert_eq!(counters(&mut mock, "b").requests_received, 1);
    // The same id starts over; the other run keeps its counts.
    start(&mut mock, at(20.0), "b", 2, FIXED_20);
    assert_eq!(counters(&mut mock, "b").requests_received, 0);
    assert_eq!(counters(&mut mock, "a").requests_received, 2);
}

#[test]
fn each_run_has_its_own_clock() {
    // An outage in each run's first 5 ms: run b, started 10 ms after a, is in
    // it when a is long past it.
    let endpoint = r#"{"outages":[{"start_ms":0,"duration_ms":5,"status":"503"}]}"#;
    let mut mock = Mock::default();
    start(&mut mock, at(0.0), "a", 1, endpoint);
    start(&mut mock, at(10.0), "b", 1, endpoint);
    let status = |mock: &mut Mock, run: &str| match mock.handle(at(12.0), &get(run)) {
        Answer::Server {
            reply: Reply::Respond { status, .. },
            ..
        } => status,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(status(&mut mock, "a"), 200);
    assert_eq!(status(&mut mock, "b"), 503);
}

#[test]
fn the_least_recently_used_run_is_evicted_and_reported_lost() {
    let mut mock = Mock::with_runs_max(3);
    for id in ["r0", "r1", "r2"] {
        start(&mut mock, at(0.0), id, 1, FIXED_20);
    }
    mock.handle(at(1.0), &get("r0")); // r0 used: r1 is now the least recently used
    start(&mut mock, at(2.0), "r3", 1, FIXED_20);
    assert_eq!(mock.runs(), 3);
    assert!(mock.has_run("r0") && !mock.has_run("r1"));
    let lost = now_plain(mock.handle(at(3.0), &get("r1")));
    assert_eq!(
        (lost.status, lost.error_kind()),
        (503, Some(ErrorKind::RunLost))
    );
    assert!(lost.body.contains("`r1`"), "names the run: {}", lost.body);
    let c = control_at(&mut mock, at(3.0), "GET", "counters", Some("r1"), "");
    assert_eq!((c.status, c.error_kind()), (503, Some(ErrorKind::RunLost)));
    assert_eq!(Mock::default().runs_max(), RUNS_MAX);
}

#[test]
fn a_lost_run_after_a_restart_or_reset_is_reported() {
    let mut mock = Mock::default();
    let p = now_plain(mock.handle(at(0.0), &get("r1")));
    assert_eq!((p.status, p.error_kind()), (503, Some(ErrorKind::RunLost)));
    start(&mut mock, at(0.0), "r1", 1, "{}");
    start(&mut mock, at(0.0), "r2", 1, "{}");
    control_at(&mut mock, at(0.0), "POST", "reset", Some("r1"), "");
    assert!(
        !mock.has_run("r1") && mock.has_run("r2"),
        "reset with a run forgets only it"
    );
    control(&mut mock, "POST", "reset", "");
    assert_eq!(mock.runs(), 0, "reset without a run forgets every run");
    let c = control(&mut mock, "GET", "counters", "");
    assert_eq!((c.status, c.error_kind()), (503, Some(ErrorKind::RunLost)));
}

#[test]
fn the_same_seed_and_identity_give_the_servers_own_reply() {
    let endpoint = r#"{"latency":{"kind":"long_tail","p50_ms":40,"p99_ms":400},"faults":{"status_503":0.3,"reset":0.1}}"#;
    let config: EndpointConfig = serde_json::from_str(endpoint).expect("an endpoint");
    let mut direct = Server::new(config, 99 ^ SERVER_SEED_XOR);
    let mut mock = Mock::default();
    start(&mut mock, at(500.0), "r", 99, endpoint);
    let ids: Vec<Identity> = (0..40)
        .map(|i| Identity {
            client: i % 5,
            ordinal: i / 5,
            attempt: 1 + i % 3,
            stage: Stage::Main,
        })
        .collect();
    // The mock meets them in reverse order: draws by identity do not care.
    let mut from_mock = Vec::new();
    for (n, id) in ids.iter().enumerate().rev() {
        let call = id.to_string();
        let request_id = (n + 1).to_string();
        let req = Incoming {
            call: Some(&call),
            request_id: Some(&request_id),
            ..get("r")
        };
        let Answer::Server { reply, .. } = mock.handle(at(500.0 + 100.0), &req) else {
            panic!("served")
        };
        from_mock.push((n, reply));
    }
    for (n, reply) in from_mock {
        let request = Request {
            id: n as u64 + 1,
            method: flaky::Method::Get,
            path: "/flaky".into(),
            headers: vec![],
            body: String::new(),
        };
        let expected = direct.handle_from(100, &request, Some(&ids[n]));
        assert_eq!(reply, expected, "seed 99, identity {}", ids[n]);
    }
}

#[test]
fn a_sent_time_schedules_the_reply_from_when_the_page_sent_it() {
    let mut mock = Mock::default();
    start(
        &mut mock,
        at(1_000.0),
        "r",
        1,
        r#"{"latency":{"kind":"fixed","fixed_ms":100}}"#,
    );
    let delay = |mock: &mut Mock, now: f64, sent: &str| {
        let req = Incoming {
            sent: Some(sent),
            ..get("r")
        };
        match mock.handle(at(now), &req) {
            Answer::Server { delay_ms, .. } => delay_ms,
            other => panic!("unexpected {other:?}"),
        }
    };
    // Epoch = mono + 1 000 000: sent at mono 1 200, seen at mono 1 230 (30 ms in the browser's queue).
    assert_eq!(
        delay(&mut mock, 1_230.0, "1001200"),
        70,
        "the queueing comes off the latency"
    );
    assert_eq!(
        delay(&mut mock, 1_350.0, "1001200"),
        0,
        "a queue longer than the latency: at once"
    );
    assert_eq!(
        delay(&mut mock, 1_230.0, "1001300"),
        100,
        "never in the future"
    );
    assert_eq!(
        delay(&mut mock, 1_030.0, "0"),
        70,
        "never before the run started"
    );
    assert_eq!(delay(&mut mock, 1_230.0, "1001230"), 100);
    // The server sees the request at its send time (its outages and load count from then).
    let req = get("r");
    let Answer::Server { delay_ms, .. } = mock.handle(at(1_230.0), &req) else {
        panic!("served")
    };
    assert_eq!(delay_ms, 100, "no X-Mock-Sent: it arrived now");
}

#[test]
fn bad_headers_give_a_400_naming_the_bad_part() {
    let mut mock = Mock::default();
    start(&mut mock, at(0.0), "r", 1, "{}");
    let cases: [(Incoming<'_>, &str); 5] = [
        (
            Incoming {
                call: Some("1.2.3"),
                ..get("r")
            },
            "X-Mock-Call",
        ),
        (
            Incoming {
                call: Some("1.2.x.main"),
                ..get("r")
            },
            "attempt `x`",
        ),
        (
            Incoming {
                sent: Some("yesterday"),
                ..get("r")
            },
            "X-Mock-Sent: `yesterday`",
        ),
        (
            Incoming {
                request_id: Some("-1"),
                ..get("r")
            },
            "X-Mock-Request: `-1`",
        ),
        (
            Incoming {
                run_id: None,
                ..get("r")
            },
            "no X-Mock-Run header",
        ),
    ];
    for (req, named) in cases {
        let p = now_plain(mock.handle(at(1.0), &req));
        assert_eq!(
            (p.status, p.error_kind()),
            (400, Some(ErrorKind::BadRequest)),
            "{}",
            p.body
        );
        assert!(p.body.contains(named), "expected {named:?} in {}", p.body);
    }
    assert_eq!(
        counters(&mut mock, "r").requests_received,
        0,
        "refused requests never reach the server"
    );
}

#[test]
fn bad_control_input_is_a_clear_400_404_or_405() {
    let mut mock = Mock::default();
    for body in [
        "",
        "{",
        "[]",
        r#"{"run_id":"","seed":1}"#,
        r#"{"run_id":"a b","seed":1}"#,
        r#"{"run_id":"a","seed":-1}"#,
        r#"{"run_id":"a","seed":1,"endpoint":{"faults":{"status_500":"x"}}}"#,
        r#"{"run_id":"a","seed":1,"extra":1}"#,
    ] {
        let p = control(&mut mock, "POST", "run", body);
        assert_eq!(
            (p.status, p.error_kind()),
            (400, Some(ErrorKind::BadRequest)),
            "{body}: {}",
            p.body
        );
        assert!(p.body.contains("bad"), "{}", p.body);
    }
    let p = control(&mut mock, "GET", "run", "");
    assert_eq!((p.status, p.header("Allow")), (405, Some("POST")));
    let p = control(&mut mock, "POST", "nope", "");
    assert_eq!(p.status, 404);
    assert!(p.body.contains("GET /mock/_control/health"), "{}", p.body);
    start(&mut mock, at(0.0), "r", 1, "{}");
    for method in ["DELETE", "PATCH", "", "\u{0}"] {
        let req = Incoming {
            method,
            path: "/mock/items",
            run_id: Some("r"),
            ..Default::default()
        };
        let p = now_plain(mock.handle(at(0.0), &req));
        assert_eq!((p.status, p.header("Allow")), (405, Some("GET, POST, PUT")));
    }
    let req = Incoming {
        path: "/app.js",
        ..get("r")
    };
    assert_eq!(now_plain(mock.handle(at(0.0), &req)).status, 404);
    let req = Incoming {
        path: "/mock/_control/health",
        ..get("r")
    };
    assert_eq!(
        now_plain(mock.handle_endpoint(at(0.0), &req)).status,
        404,
        "a control path is no endpoint"
    );
    let p = now_plain(mock.handle(
        at(0.0),
        &Incoming {
            method: "POST",
            path: "/mock/_control/cancel",
            body: "{}",
            ..Default::default()
        },
    ));
    assert_eq!(
        (p.status, p.error_kind()),
        (400, Some(ErrorKind::BadRequest))
    );
    assert!(p.body.contains("bad cancel body"), "{}", p.body);
}

#[test]
fn cancel_ends_a_hang_in_flight() {
    let mut mock = Mock::default();
    start(&mut mock, at(0.0), "r", 1, r#"{"faults":{"hang":1.0}}"#);
    let Answer::Server {
        request_id,
        reply: Reply::Hang,
        ..
    } = mock.handle(at(0.0), &get("r"))
    else {
        panic!()
    };
    assert!(mock.cancel(at(200.0), "r", request_id));
    assert!(!mock.cancel(at(200.0), "other", request_id));
    let Answer::Server { .. } = mock.handle(at(300.0), &get("r")) else {
        panic!()
    };
    assert_eq!(counters(&mut mock, "r").in_flight_max, 1);
}

#[test]
fn the_cancel_endpoint_ends_a_page_named_request() {
    let mut mock = Mock::default();
    start(&mut mock, at(0.0), "r", 1, r#"{"faults":{"hang":1.0}}"#);
    let ids = ["5", "6", "7"];
    let hang = |id| Incoming {
        request_id: Some(id),
        ..get("r")
    };
    let Answer::Server {
        request_id: 5,
        reply: Reply::Hang,
        ..
    } = mock.handle(at(0.0), &hang(ids[0]))
    else {
        panic!()
    };
    let cancel = |mock: &mut Mock, body: &str| {
        mock.handle(
            at(10.0),
            &Incoming {
                method: "POST",
                path: "/mock/_control/cancel",
                body,
                ..Default::default()
            },
        )
    };
    match cancel(&mut mock, r#"{"run_id":"r","request_id":5}"#) {
        Answer::Cancelled {
            run_id,
            request_id: 5,
            reply,
        } => {
            assert_eq!((run_id.as_str(), reply.status), ("r", 200));
            assert_eq!(reply.body, r#"{"cancelled":true}"#);
        }
        other => panic!("unexpected {other:?}"),
    }
    // A cancel that overtook its request is applied when the request comes.
    cancel(&mut mock, r#"{"run_id":"r","request_id":6}"#);
    mock.handle(at(20.0), &hang(ids[1]));
    mock.handle(at(30.0), &hang(ids[2]));
    assert_eq!(counters(&mut mock, "r").in_flight_max, 1);
    match cancel(&mut mock, r#"{"run_id":"other","request_id":1}"#) {
        Answer::Cancelled { reply, .. } => assert_eq!(reply.body, r#"{"cancelled":false}"#),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn every_worker_failure_names_its_kind_in_the_header() {
    let mut mock = Mock::default();
    let p = now_plain(mock.handle(at(0.0), &get("gone")));
    assert_eq!(p.header(header::ERROR), Some("run-lost"));
    let body: protocol::ErrorReply = serde_json::from_str(&p.body).expect("an error body");
    assert_eq!(body.error, protocol::run_lost_message("gone"));
}

#[test]
fn the_service_worker_shim_uses_the_protocols_names() {
    // The shim must route before the wasm loads, so it spells the names itself
    // (the prefix relative to its scope: `new URL('mock/', scope)`).
    let shim = include_str!("../../../www/service-worker.js");
    for name in [
        format!("'{}/'", protocol::MOCK_PREFIX.trim_start_matches('/')),
        format!("'{}'", header::ERROR),
        format!("'{}'", ErrorKind::WorkerBroken.as_str()),
        format!("'{}'", header::SERVED_BY),
        format!("'{}'", protocol::SERVED_BY),
    ] {
        assert!(shim.contains(&name), "www/service-worker.js lacks {name}");
    }
}
