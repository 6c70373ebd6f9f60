//! The flaky endpoint model (server side) and the backoff contention study.
//!
//! **Contract: deterministic and sans-IO.** Nothing in this crate reads a clock,
//! touches the network or draws OS entropy. Time comes in as `now_ms: u64`
//! arguments, randomness from a `rand_chacha::ChaCha8Rng` seeded by the caller's
//! `u64` seed, transcendental math from `libm`. One seed, one config and one
//! sequence of calls give the same replies, byte for byte, on native and on
//! `wasm32-unknown-unknown`.
//!
//! - [`server`]: a mock HTTP server with latency, a fault mix, outages, an
//!   overload model and four create semantics. Its interface is request and
//!   reply shaped, so the simulator and a service worker drive the same code.
//! - [`endpoint`]: the server's configuration and its `endpoint.*` knobs;
//!   [`capacity`]: its service rate, queue and load shedding; [`windows`]:
//!   the list syntax of outage windows and arrival spikes; [`script`]:
//!   scripted replies, call by call (`endpoint.script`).
//! - [`contention`]: the AWS "Exponential Backoff And Jitter" (2015) study of
//!   clients contending on one row with optimistic concurrency.
//!
//! ```
//! use flaky::{EndpointConfig, Method, Reply, Request, Server};
//!
//! let mut config = EndpointConfig::default();
//! config.latency.fixed_ms = 20;
//! let mut server = Server::new(config, 7);
//! let request = Request { id: 1, method: Method::Post, path: "/items".into(), headers: vec![], body: "alice-17".into() };
//! match server.handle(1_000, &request) {
//!     Reply::Respond { at_ms, status, .. } => assert_eq!((at_ms, status), (1_020, 201)),
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert_eq!(server.counters().creates_applied, 1);
//! ```

pub mod capacity;
pub mod client;
pub mod compare;
pub mod contention;
pub mod endpoint;
pub mod engine;
pub mod layers;
mod prefetch;
pub mod presets;
pub mod protocol;
mod queue;
pub mod recovery;
mod rng;
pub mod scenario;
pub mod script;
pub mod series;
pub mod server;
pub mod sim;
pub mod stats;
pub mod sweep;
pub mod tally;
pub mod trace;
pub mod windows;
pub mod world;

pub use capacity::{Capacity, QueueOrder, Shed};
pub use contention::{Algorithm, ContentionConfig, ContentionResult};
pub use endpoint::{
    CommitLoseAs, CreateMode, EndpointConfig, FailWith, FaultMix, Latency, LatencyKind, Outage,
    Overload,
};
pub use server::{Counters, Method, Reply, Request, Served, Server};

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
