//! `cargo bench -p mock-server` (and `cargo xtask bench`): requests per
//! second the native server answers at zero latency, and the process's
//! memory after 100,000 requests. The server runs on a 2-worker tokio
//! runtime, the load (64 keep-alive connections, reqwest) on another, all
//! in this one process on however many cores the machine has (the figures
//! in the docs are of a 2-core machine, load generator included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use flaky::EndpointConfig;
use mock_server::{AllowedOrigins, MockServer, Options, TRACE_KEEP_DEFAULT};

const CONNECTIONS: usize = 64;
const REQUESTS: usize = 100_000;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// `total` GETs of /mock/flaky over CONNECTIONS connections; how long they took.
async fn load(base: &str, total: usize) -> Duration {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let started = Instant::now();
    let per = total / CONNECTIONS;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let (http, url) = (http.clone(), format!("{base}/mock/flaky"));
            tokio::spawn(async move {
                for _ in 0..per {
                    let r = http
                        .get(&url)
                        .header("X-Client-Id", format!("bench-{c}"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

fn main() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut endpoint = EndpointConfig::default();
    endpoint.set("endpoint.latency.kind", "fixed").unwrap();
    endpoint.set("endpoint.latency.ms", "0").unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = server_rt.spawn(
        MockServer::new(Options {
            endpoint,
            seed: 1,
            trace_keep: TRACE_KEEP_DEFAULT,
            allowed_origins: AllowedOrigins::Loopback,
        })
        .serve(listener, async {
            let _ = stopped.await;
        }),
    );
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(load(&base, 6_400));
    let warm_kib = rss_kib();
    let took = client_rt.block_on(load(&base, REQUESTS));
    let after_kib = rss_kib();
    let rps = REQUESTS as f64 / took.as_secs_f64();
    println!(
        "mock-server: {REQUESTS} requests at zero latency over {CONNECTIONS} connections in {:.2} s: {rps:.0} requests/s",
        took.as_secs_f64()
    );
    println!(
        "mock-server: memory (VmRSS, server and load client): {:.1} MiB after warm-up, {:.1} MiB after {} more requests (trace keeps {TRACE_KEEP_DEFAULT})",
        warm_kib as f64 / 1024.0,
        after_kib as f64 / 1024.0,
        REQUESTS
    );
    stop.send(()).unwrap();
    let report = server_rt.block_on(served).unwrap();
    println!("mock-server: {report}");
}
