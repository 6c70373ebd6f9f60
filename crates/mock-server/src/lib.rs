//! The flaky mock endpoints as a native HTTP/1.1 server, for real clients
//! outside the page (`playground mock-server`): the same routes as the mock
//! service worker, answered by one [`flaky::Server`] (a preset's endpoint and
//! a seed) with names and bodies from [`flaky::protocol`].
//!
//! - `world.rs`: the one world: the server, the clients it tells apart, the
//!   last requests served (the trace). Synchronous; one lock per decision.
//! - `http.rs`: axum routes: `/mock/...` (the endpoints), `/mock/_control/`
//!   `counters`, `trace`, `reset`, `health` and `events` (Server-Sent Events:
//!   each request as it is served, for the page's `?server=` viewer); CORS.
//! - `conn.rs`: the accept loop over hyper: a connection limit, a header read
//!   timeout, a reset that drops the connection unanswered, a graceful stop.
//!
//! Latency and hangs are tokio timers: a request waiting for its reply costs
//! a timer and its connection, never a thread, and a slow or vanished client
//! holds only its own connection.

mod conn;
mod cors;
mod http;
mod world;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use flaky::{Counters, EndpointConfig};
use tokio::net::TcpListener;

pub use cors::AllowedOrigins;
pub use world::CLIENTS_MAX;

/// The trace's default length (`--trace-keep`).
pub const TRACE_KEEP_DEFAULT: usize = 10_000;
/// The longest trace `--trace-keep` may ask for.
pub const TRACE_KEEP_MAX: usize = 1_000_000;

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// The flaky endpoint every client meets.
    pub endpoint: EndpointConfig,
    /// The world's seed (the server draws as a simulated run of this seed).
    pub seed: u64,
    /// How many of the last requests the trace keeps.
    pub trace_keep: usize,
    /// Which pages may read it (CORS).
    pub allowed_origins: AllowedOrigins,
}

/// What the server served, said when it stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Requests served since it started (resets included).
    pub served_total: u64,
    /// Connections accepted.
    pub connections: u64,
    /// The counters since the last reset.
    pub counters: Counters,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counters;
        write!(
            f,
            "served {} requests over {} connections; since the last reset: {} requests, \
             {} creates, {} duplicate creates, {} idempotent replays, {} replies lost",
            self.served_total,
            self.connections,
            c.requests_received,
            c.creates_applied,
            c.duplicates,
            c.replays,
            c.replies_lost
        )
    }
}

/// A server ready to serve on a listener.
pub struct MockServer {
    shared: Arc<http::Shared>,
}

impl MockServer {
    pub fn new(options: Options) -> MockServer {
        MockServer {
            shared: Arc::new(http::Shared::new(options)),
        }
    }

    /// Serves `listener` until `stop` completes, then lets each connection
    /// finish its request for a moment and says what it served.
    pub async fn serve(self, listener: TcpListener, stop: impl Future<Output = ()>) -> Report {
        let router = http::router(self.shared.clone());
        let connections = conn::accept_loop(listener, router, stop).await;
        let (served_total, counters) = self.shared.totals();
        Report {
            served_total,
            connections,
            counters,
        }
    }
}
