//! Plain timing, no harness: the blog's full contention sweep, then the
//! server's request rate. Run with `cargo bench -p flaky`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::hint::black_box;
use std::time::Instant;

use flaky::contention::{self, Algorithm, ContentionConfig};
use flaky::{EndpointConfig, Method, Request, Server};

fn main() {
    let clients = contention::blog_client_counts();
    let config = ContentionConfig {
        runs: 100,
        ..ContentionConfig::default()
    };
    let start = Instant::now();
    let results = contention::sweep(&clients, &config);
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "contention sweep ({} client counts × {} algorithms × {} runs): {elapsed:.2} s",
        clients.len(),
        Algorithm::ALL.len(),
        config.runs
    );
    println!(
        "{:>8} {:>12} {:>10} {:>12}",
        "clients", "algorithm", "calls", "time_ms"
    );
    for r in results
        .iter()
        .filter(|r| r.clients % 50 == 0 || r.clients == 10 || r.clients == 190)
    {
        println!(
            "{:>8} {:>12} {:>10.1} {:>12.1}",
            r.clients,
            r.algorithm.to_string(),
            r.calls,
            r.time_ms
        );
    }
    for algorithm in Algorithm::ALL {
        let cell = ContentionConfig {
            clients: 190,
            ..config.clone()
        };
        let start = Instant::now();
        black_box(contention::run(&cell, algorithm));
        println!(
            "  190 clients, {algorithm}: {:.3} s",
            start.elapsed().as_secs_f64()
        );
    }

    server_rate();
}

fn server_rate() {
    let mut endpoint = EndpointConfig::default();
    let settings = [
        ("endpoint.latency.kind", "long_tail"),
        ("endpoint.fault.503", "0.1"),
        ("endpoint.fault.429", "0.05"),
        ("endpoint.fault.commit_lose", "0.05"),
        ("endpoint.fault.hang", "0.01"),
        ("endpoint.overload.limit", "50"),
        ("endpoint.create", "idempotency_key"),
    ];
    for (name, value) in settings {
        if let Err(e) = endpoint.set(name, value) {
            eprintln!("{e}");
            return;
        }
    }
    let mut server = Server::new(endpoint, 1);
    let requests: Vec<Request> = (0..1000u64)
        .map(|i| match i % 3 {
            0 => Request {
                id: i,
                method: Method::Get,
                path: "/flaky".into(),
                headers: vec![],
                body: String::new(),
            },
            1 => Request {
                id: i,
                method: Method::Post,
                path: "/items".into(),
                headers: vec![("Idempotency-Key".into(), format!("key-{}", i % 97))],
                body: format!("item-{}", i % 97),
            },
            _ => Request {
                id: i,
                method: Method::Get,
                path: format!("/items/item-{}", i % 97),
                headers: vec![],
                body: String::new(),
            },
        })
        .collect();
    let total = 1_000_000u64;
    let start = Instant::now();
    let mut now_ms = 0u64;
    for n in 0..total {
        let mut request = requests[(n % 1000) as usize].clone();
        request.id = n;
        now_ms += 1;
        black_box(server.handle(now_ms, &request));
        // Clients time out after 1 s: hangs and slow replies stop counting.
        if n >= 1000 {
            server.cancel(now_ms, n - 1000);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "server: {total} requests in {elapsed:.2} s = {:.0} requests/s (in flight max {})",
        total as f64 / elapsed,
        server.counters().in_flight_max
    );
}
