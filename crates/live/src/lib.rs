//! The live half: real `fetch()` calls at flaky mock endpoints, driven by the
//! run engine ([`flaky::engine::Engine`]) the simulator drives, recorded as
//! the same [`flaky::sim::Trace`]. It runs in the run worker (`crates/run-worker`),
//! off the page's main thread, so rendering never delays its timers; every
//! browser call here works in a page and in a worker alike.
//!
//! - [`Transport`]: where requests go. [`Transport::connect`] registers the
//!   mock service worker (`crates/mock-sw`, loaded by `www/service-worker.js`;
//!   the worker script, its scope and every mock URL are relative to the
//!   page, so a build hosted under a sub-path works the same) and falls back to the in-page server (the same `flaky::Server`, real
//!   timers) when the worker cannot control the page.
//! - [`fire`]: starts a run (a fresh server for `config.endpoint` and `seed`),
//!   executes every logical call with real sleeps and per-attempt
//!   `AbortController` timeouts, and reports the growing trace to a callback.
//!
//! Every draw is the run's world's (`flaky::world`), keyed by who makes it,
//! and the mock worker draws by the identity each request carries: a live
//! run meets the faults of the simulated run of the same seed; only real
//! timing differs.
//!
//! Nothing here panics on network data or JS values: failures become the
//! update's `problem`.

mod cadence;
mod driver;
mod live_run;
mod time;
mod transport;

use std::rc::Rc;

use flaky::sim::{RunConfig, Trace};

/// Header names, control paths and bodies shared with the mock worker.
pub use flaky::protocol;
pub use flaky::sim::SERVER_SEED_XOR;
pub use transport::{
    Transport, TransportKind, TransportStatus, CONNECT_WAIT_MS, WORKER_SCOPE, WORKER_URL,
};

/// What to fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Fire {
    /// A single call on client 0.
    One,
    /// `config.scenario.clients` clients × `calls_per_client` calls, started
    /// as `flaky::client::client_starts` says.
    Scenario,
}

/// A live run's progress: sent every 80 ms while it runs (12.5 a second,
/// however many replies come in between: the attempts so far and the time),
/// and once at the end with `running == false` and the server's counters
/// filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveUpdate {
    pub trace: Trace,
    pub running: bool,
    /// Why the run could not go on (it was stopped), e.g. the service worker
    /// lost the run's state. `None` for a normal end or a cancel.
    pub problem: Option<String>,
}

/// The most logical calls one live run may make (clients × calls); beyond
/// that, use the simulator.
pub use flaky::scenario::LIVE_CALLS_MAX;

/// Every call of a live run is kept in detail (the trace download has them
/// all); the page draws only the first lanes.
pub const LIVE_LANES_MAX: u32 = LIVE_CALLS_MAX as u32;

/// A handle on a live run.
#[derive(Clone)]
pub struct RunHandle {
    shared: Rc<driver::Shared>,
}

impl RunHandle {
    /// Stops the run: nothing more is scheduled and in-flight fetches are
    /// aborted. A final update (`running: false`, counters) follows.
    pub fn cancel(&self) {
        self.shared.stop(live_run::Stop::Cancelled);
    }

    /// Whether the run is still going.
    pub fn is_running(&self) -> bool {
        self.shared.is_running()
    }

    /// The run's id (sent as `X-Mock-Run`).
    pub fn run_id(&self) -> String {
        self.shared.run_id.clone()
    }
}

/// Starts a NEW live run on `transport`: resets the server with
/// `config.endpoint` and `seed`, then fires `what`. A run still going on the
/// same transport is stopped first, silently (no further updates from it).
pub fn fire(
    transport: &Transport,
    config: &RunConfig,
    seed: u64,
    what: Fire,
    on_update: impl Fn(LiveUpdate) + 'static,
) -> RunHandle {
    let mut config = config.clone();
    if what == Fire::One {
        config.scenario.clients = 1;
        config.scenario.calls_per_client = 1;
    }
    let handle = RunHandle {
        shared: driver::start(transport.clone(), config, seed, Rc::new(on_update)),
    };
    if let Some(previous) = transport.replace_current(handle.clone()) {
        previous.shared.stop(live_run::Stop::Superseded);
    }
    handle
}
