//! The native server against a real HTTP client (reqwest), on 127.0.0.1 port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use flaky::protocol::native::TraceReply;
use flaky::protocol::{CountersReply, ErrorReply};
use flaky::EndpointConfig;
use mock_server::{AllowedOrigins, MockServer, Options, Report};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::oneshot;

struct Running {
    base: String,
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<Report>,
}

impl Running {
    async fn stop(self) -> Report {
        self.stop.send(()).unwrap();
        self.done.await.unwrap()
    }
}

async fn start(endpoint: EndpointConfig, trace_keep: usize) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = MockServer::new(Options {
        endpoint,
        seed: 7,
        trace_keep,
        allowed_origins: AllowedOrigins::Loopback,
    });
    let done = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));
    Running {
        base: format!("http://{addr}"),
        stop,
        done,
    }
}

fn preset_endpoint(id: &str) -> EndpointConfig {
    flaky::presets::find(id).unwrap().config.endpoint
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn counters(http: &reqwest::Client, base: &str) -> flaky::Counters {
    let reply: CountersReply = http
        .get(format!("{base}/mock/_control/counters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply.counters
}

/// A naive client: POST until a 2xx, at most `tries` times, a reset or a
/// 5xx retried at once; with `keyed`, every try of a call sends its key.
async fn naive_creates(base: &str, calls: u32, tries: u32, keyed: bool) -> flaky::Counters {
    let http = client();
    for call in 0..calls {
        for _ in 0..tries {
            let mut req = http
                .post(format!("{base}/mock/items"))
                .header("X-Client-Id", "naive")
                .body(format!("item-{call}"));
            if keyed {
                req = req.header("Idempotency-Key", format!("key-{call}"));
            }
            match req.send().await {
                Ok(r) if r.status().is_success() => break,
                _ => continue,
            }
        }
    }
    counters(&http, base).await
}

#[tokio::test]
async fn a_naive_retry_loop_duplicates_creates_and_a_key_stops_it() {
    let endpoint = preset_endpoint("no-idempotency");
    let naive = start(endpoint.clone(), 100).await;
    let c = naive_creates(&naive.base, 40, 5, false).await;
    assert!(c.replies_lost > 0, "{c:?}");
    assert!(
        c.duplicates > 0,
        "a lost reply retried creates twice: {c:?}"
    );
    assert_eq!(c.duplicates, c.creates_applied - 40, "{c:?}");
    naive.stop().await;

    let mut keyed_endpoint = endpoint;
    keyed_endpoint
        .set("endpoint.create", "idempotency_key")
        .unwrap();
    let keyed = start(keyed_endpoint, 100).await;
    let c = naive_creates(&keyed.base, 40, 5, true).await;
    assert!(c.replies_lost > 0, "the same faults: {c:?}");
    assert_eq!(c.duplicates, 0, "{c:?}");
    assert_eq!(c.creates_applied, 40, "{c:?}");
    assert!(c.replays > 0, "{c:?}");
    keyed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_are_all_answered() {
    let mut endpoint = EndpointConfig::default();
    endpoint.set("endpoint.latency.kind", "fixed").unwrap();
    endpoint.set("endpoint.latency.ms", "200").unwrap();
    let server = start(endpoint, 100).await;
    let http = client();
    let requests = (0..1_000).map(|i| {
        let http = http.clone();
        let url = format!("{}/mock/flaky", server.base);
        async move {
            http.get(url)
                .header("X-Client-Id", format!("c{}", i % 37))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    let statuses = futures::future::join_all(requests).await;
    let ok = statuses.iter().filter(|s| matches!(s, Ok(200))).count();
    assert_eq!(
        ok,
        1_000,
        "{:?}",
        statuses.iter().find(|s| !matches!(s, Ok(200)))
    );
    let c = counters(&http, &server.base).await;
    assert_eq!(c.requests_received, 1_000);
    assert!(c.in_flight_max > 100, "they were in flight together: {c:?}");
    let report = server.stop().await;
    assert_eq!(report.served_total, 1_000);
}

#[tokio::test]
async fn malformed_headers_get_a_400_naming_them() {
    let server = start(EndpointConfig::default(), 10).await;
    let http = client();
    let url = format!("{}/mock/flaky", server.base);
    let cases: Vec<(reqwest::RequestBuilder, &str)> = vec![
        (http.get(&url).header("X-Mock-Call", "1.x"), "X-Mock-Call"),
        (http.get(&url).header("X-Mock-Sent", "soon"), "X-Mock-Sent"),
        (
            http.get(&url).header("X-Client-Id", "x".repeat(500)),
            "X-Client-Id",
        ),
        (
            http.get(&url).header(
                "Idempotency-Key",
                reqwest::header::HeaderValue::from_bytes(b"k\xff").unwrap(),
            ),
            "Idempotency-Key",
        ),
        (
            http.post(format!("{}/mock/items", server.base))
                .body(vec![0xffu8, 0xfe]),
            "UTF-8",
        ),
    ];
    for (req, named) in cases {
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 400, "{named}");
        assert_eq!(r.headers()["x-mock-error"], "bad-request");
        let body: ErrorReply = r.json().await.unwrap();
        assert!(body.error.contains(named), "{named}: {}", body.error);
    }
    let r = http.delete(&url).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, POST, PUT");
    let r = http
        .get(format!("{}/mock/_control/nope", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("/mock/_control/trace"));
    let c = counters(&http, &server.base).await;
    assert_eq!(c.requests_received, 0, "refused requests are not served");
    server.stop().await;
}

#[tokio::test]
async fn the_trace_keeps_the_last_n_and_a_reset_clears_it() {
    let server = start(EndpointConfig::default(), 50).await;
    let http = client();
    for i in 0..200 {
        http.get(format!("{}/mock/flaky", server.base))
            .header("X-Client-Id", format!("c{}", i % 3))
            .send()
            .await
            .unwrap();
    }
    let trace: TraceReply = http
        .get(format!("{}/mock/_control/trace", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((trace.served, trace.keep), (200, 50));
    let seqs: Vec<u64> = trace.requests.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (151..=200).collect::<Vec<u64>>());
    let last = trace.requests.last().unwrap();
    assert_eq!((last.call.client, last.call.ordinal), (1, 66));
    assert_eq!(last.client, "c1");
    let r = http
        .post(format!("{}/mock/_control/reset", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let trace: TraceReply = http
        .get(format!("{}/mock/_control/trace", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((trace.served, trace.requests.len()), (0, 0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_vanished_clients_stall_no_one() {
    let mut endpoint = EndpointConfig::default();
    endpoint.set("endpoint.fault.hang", "1").unwrap();
    let server = start(endpoint, 10).await;
    let addr = server.base.trim_start_matches("http://").to_string();
    // Half-sent heads that never finish, and hung requests whose clients leave.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /mock/flaky HTTP/1.1\r\nHost: x\r\nX-Cli")
            .await
            .unwrap();
        slow.push(s);
    }
    for _ in 0..50 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /mock/flaky HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        drop(s);
    }
    let http = client();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        let r = http
            .get(format!("{}/mock/_control/health", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let report = tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("the server stops despite hung and half-open connections");
    assert!(report.connections >= 101, "{report}");
    assert!(report.served_total <= 50, "{report}");
    assert!(report.to_string().starts_with("served "), "{report}");
    drop(slow);
}

/// Reads the event stream until `text` has come `times` times in all.
async fn read_until(stream: &mut reqwest::Response, seen: &mut String, text: &str, times: usize) {
    while seen.matches(text).count() < times {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("the stream goes on")
            .unwrap()
            .expect("the stream is open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn the_event_stream_sends_the_kept_trace_then_each_request_and_resets() {
    let server = start(EndpointConfig::default(), 10).await;
    let http = client();
    let get = |client: &'static str| {
        http.get(format!("{}/mock/flaky", server.base))
            .header("X-Client-Id", client)
            .send()
    };
    get("a").await.unwrap();
    get("b").await.unwrap();
    let mut stream = reqwest::Client::new()
        .get(format!("{}/mock/_control/events", server.base))
        .header("Origin", "http://127.0.0.1:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(
        stream.headers()["access-control-allow-origin"],
        "http://127.0.0.1:8080"
    );
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "event: served", 2).await;
    assert!(seen.contains(r#""client":"b""#), "{seen}");
    get("c").await.unwrap();
    read_until(&mut stream, &mut seen, "event: served", 3).await;
    assert!(
        seen.contains(r#""seq":3"#) && seen.contains(r#""client":"c""#),
        "{seen}"
    );
    http.post(format!("{}/mock/_control/reset", server.base))
        .send()
        .await
        .unwrap();
    read_until(&mut stream, &mut seen, "event: reset", 1).await;
    let other = reqwest::Client::new()
        .get(format!("{}/mock/_control/trace", server.base))
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert!(
        !other.headers().contains_key("access-control-allow-origin"),
        "a page elsewhere may not read it"
    );
    drop(stream);
    server.stop().await;
}
