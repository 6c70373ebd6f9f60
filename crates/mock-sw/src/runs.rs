//! The runs the worker keeps: each with its own server, counters and clock.

use std::collections::BTreeSet;

use flaky::protocol::{self, RunStart, RunStarted, REQUEST_IDS_END};
use flaky::world::Identity;
use flaky::{Counters, Method, Reply, Request, Server};

use crate::{Now, SERVER_SEED_XOR};

/// How many runs the worker keeps; starting one more forgets the least
/// recently used (a run is used when it starts, serves or is read).
pub const RUNS_MAX: usize = 64;
/// How many early cancels (a cancel before its request) a run remembers.
const EARLY_CANCELS_MAX: usize = 4_096;

struct Run {
    id: String,
    server: Server,
    /// The worker's monotonic clock (ms) when the run started.
    started_mono_ms: f64,
    /// When it was last used, in [`Mock::uses`] ticks (for eviction).
    last_used: u64,
    /// When it started, in ticks (the latest is the default of a counters read).
    started: u64,
    next_request_id: u64,
    /// Cancels that came before their request.
    early_cancels: BTreeSet<u64>,
    /// The largest `X-Mock-Request` id seen (a cancel above it came early).
    max_page_id: u64,
}

impl Run {
    /// The run's clock at `mono_ms`: whole ms since it started, never negative.
    fn clock(&self, mono_ms: f64) -> u64 {
        whole_ms(mono_ms - self.started_mono_ms)
    }

    /// When a request sent at `sent_epoch_ms` arrived, on the run's clock:
    /// its send time, never in the future, never before the run started.
    fn arrival(&self, now: Now, sent_epoch_ms: Option<u64>) -> u64 {
        let now_ms = self.clock(now.mono_ms);
        match sent_epoch_ms {
            None => now_ms,
            Some(sent) => now_ms.saturating_sub(whole_ms(now.epoch_ms - sent as f64)),
        }
    }
}

/// `ms` as whole ms; negative, NaN or infinite values are 0.
fn whole_ms(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

/// A flaky endpoint request, its mock headers read (see
/// [`Mock::handle_endpoint`] for the same from raw headers).
#[derive(Clone, Debug)]
pub struct EndpointRequest<'a> {
    pub method: Method,
    /// The path relative to the mock prefix (`/items`).
    pub path: &'a str,
    /// `X-Mock-Run`.
    pub run_id: &'a str,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
    /// `X-Mock-Request`: the page's id for it; `None`: the worker numbers it.
    pub request_id: Option<u64>,
    /// `X-Mock-Call`: who sent it; `None`: sequential draws.
    pub call: Option<Identity>,
    /// `X-Mock-Sent`: when the page sent it, epoch ms; `None`: now.
    pub sent_epoch_ms: Option<u64>,
    pub body: &'a str,
}

/// The run's server's decision on an [`EndpointRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    /// The request's id in the run (its `X-Mock-Request`, or the worker's own).
    pub request_id: u64,
    /// Wait this long, then respond (or reset); a hang waits for a cancel.
    pub delay_ms: u64,
    pub reply: Reply,
}

/// The worker's state: the runs it keeps (a short list: at most
/// [`RUNS_MAX`], so a scan is as quick as a map and keeps the wasm small).
pub struct Mock {
    runs: Vec<Run>,
    runs_max: usize,
    /// A tick per use of a run.
    uses: u64,
}

impl Default for Mock {
    fn default() -> Mock {
        Mock::with_runs_max(RUNS_MAX)
    }
}

impl Mock {
    /// A worker that keeps at most `runs_max` runs (at least 1).
    pub fn with_runs_max(runs_max: usize) -> Mock {
        Mock {
            runs: Vec::new(),
            runs_max: runs_max.max(1),
            uses: 0,
        }
    }

    /// How many runs it keeps now.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// How many runs it keeps at most.
    pub fn runs_max(&self) -> usize {
        self.runs_max
    }

    /// Whether it keeps run `run_id`.
    pub fn has_run(&self, run_id: &str) -> bool {
        self.runs.iter().any(|r| r.id == run_id)
    }

    fn tick(&mut self) -> u64 {
        self.uses = self.uses.saturating_add(1);
        self.uses
    }

    fn run_mut(&mut self, run_id: &str) -> Option<&mut Run> {
        let tick = self.tick();
        let run = self.runs.iter_mut().find(|r| r.id == run_id)?;
        run.last_used = tick;
        Some(run)
    }

    /// Starts run `start.run_id` at `now`: a fresh server seeded like the
    /// simulator's, its clock at 0. A run of the same id starts over; other
    /// runs are untouched, except that the least recently used is forgotten
    /// when [`Mock::runs_max`] are kept. `Err` names a bad run id.
    ///
    /// The endpoint's cross-knob rules (`EndpointConfig::validate`) are the
    /// page's to check before it starts a run (the server never panics on an
    /// unchecked config); leaving them out keeps the worker smaller.
    pub fn start_run(&mut self, now: Now, start: RunStart) -> Result<RunStarted, String> {
        protocol::check_run_id(&start.run_id)?;
        let tick = self.tick();
        let server_seed = start.seed ^ SERVER_SEED_XOR;
        let run = Run {
            id: start.run_id.clone(),
            server: Server::new(start.endpoint, server_seed).listing_duplicates(),
            started_mono_ms: now.mono_ms,
            last_used: tick,
            started: tick,
            next_request_id: REQUEST_IDS_END,
            early_cancels: BTreeSet::new(),
            max_page_id: 0,
        };
        if let Some(same) = self.runs.iter_mut().find(|r| r.id == start.run_id) {
            *same = run;
        } else {
            if self.runs.len() >= self.runs_max {
                if let Some(oldest) = (0..self.runs.len()).min_by_key(|&i| self.runs[i].last_used) {
                    self.runs.swap_remove(oldest);
                }
            }
            self.runs.push(run);
        }
        Ok(RunStarted {
            run_id: start.run_id,
            server_seed,
            runs: u32::try_from(self.runs.len()).unwrap_or(u32::MAX),
        })
    }

    /// Run `run_id`'s counters; `None` when it is not kept.
    pub fn counters(&mut self, run_id: &str) -> Option<Counters> {
        self.run_mut(run_id).map(|r| r.server.counters().clone())
    }

    /// The id of the run started last.
    pub fn latest_run(&self) -> Option<&str> {
        self.runs
            .iter()
            .max_by_key(|r| r.started)
            .map(|r| r.id.as_str())
    }

    /// The page gave up on request `request_id` of run `run_id` (it aborted
    /// the fetch): it stops counting as in flight. `false` when the run is not kept.
    pub fn cancel(&mut self, now: Now, run_id: &str, request_id: u64) -> bool {
        let Some(run) = self.run_mut(run_id) else {
            return false;
        };
        let now_ms = run.clock(now.mono_ms);
        run.server.cancel(now_ms, request_id);
        if request_id < REQUEST_IDS_END
            && request_id > run.max_page_id
            && run.early_cancels.len() < EARLY_CANCELS_MAX
        {
            run.early_cancels.insert(request_id);
        }
        true
    }

    /// Forgets run `run_id`; `false` when it was not kept.
    pub fn forget(&mut self, run_id: &str) -> bool {
        let before = self.runs.len();
        self.runs.retain(|r| r.id != run_id);
        self.runs.len() < before
    }

    /// Forgets every run, as a browser that restarts the worker does.
    pub fn forget_all(&mut self) {
        self.runs.clear();
    }

    /// Serves a flaky endpoint request of a kept run; `None` when the run is
    /// not kept (the run-lost answer is due).
    pub fn serve(&mut self, now: Now, req: &EndpointRequest<'_>) -> Option<Served> {
        let run = self.run_mut(req.run_id)?;
        let arrived_ms = run.arrival(now, req.sent_epoch_ms);
        let now_ms = run.clock(now.mono_ms);
        let id = match req.request_id {
            Some(id) => {
                run.max_page_id = run.max_page_id.max(id);
                id
            }
            None => {
                run.next_request_id = run.next_request_id.saturating_add(1);
                run.next_request_id
            }
        };
        let request = Request {
            id,
            method: req.method,
            path: req.path.to_string(),
            headers: req
                .idempotency_key
                .map(|k| vec![(protocol::header::IDEMPOTENCY_KEY.to_string(), k.to_string())])
                .unwrap_or_default(),
            body: req.body.to_string(),
        };
        let reply = run
            .server
            .handle_from(arrived_ms, &request, req.call.as_ref());
        if run.early_cancels.remove(&id) {
            run.server.cancel(now_ms, id);
        }
        let delay_ms = match &reply {
            Reply::Respond { at_ms, .. } | Reply::Reset { at_ms } => at_ms.saturating_sub(now_ms),
            Reply::Hang => 0,
        };
        Some(Served {
            request_id: id,
            delay_ms,
            reply,
        })
    }
}
