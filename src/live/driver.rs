//! The live driver: executes `policy::Call` for every logical call with real
//! sleeps and real requests, and records the run as a `flaky::sim::Trace`.
//!
//! Shape: one task per client (its calls one after another, as in the
//! simulator), one horizon task, and a ticker (50–250 ms, by the number of calls) that sends updates. All
//! state sits in one `RefCell`, never borrowed across an `await` nor while
//! the UI's callback runs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use flaky::client::{self, Next, Stage};
use flaky::sim::{
    AttemptOutcome, AttemptTrace, CallTrace, ClientEventTrace, RunConfig, SleepTrace, Trace,
};
use flaky::Counters;
use gloo_timers::callback::Interval;
use policy::rand_chacha::rand_core::SeedableRng;
use policy::rand_chacha::ChaCha8Rng;
use policy::{Call, ClientState, PolicyConfig, Step};
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

use super::time::{perf_now, race, since, sleep_until, Raced, Signal};
use super::transport::{SendError, Transport};
use super::{LiveUpdate, LIVE_CALLS_MAX};

/// How often a running run sends an update, ms: 2 ms per call, from 50 to
/// 250. Each update re-renders the page on the thread whose timers drive the
/// sleeps; with many calls, fewer updates keep those timers on time.
fn update_every_ms(calls: u64) -> u32 {
    calls.saturating_mul(2).clamp(50, 250) as u32
}

thread_local! {
    static RUNS: Cell<u64> = const { Cell::new(0) };
}

/// Why a run stops.
pub(crate) enum Stop {
    /// Every call finished.
    Done,
    /// `RunHandle::cancel`.
    Cancelled,
    /// `scenario.horizon_ms` came.
    Horizon,
    /// It cannot go on (the worker lost the run, a foreign answer...).
    Problem(String),
    /// A new run on the same transport: no more updates from this one.
    Superseded,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Starting,
    Running,
    Finishing,
    Finished,
}

/// A run: immutable parts, the stop signal and the mutable state.
pub(crate) struct Shared {
    pub run_id: String,
    config: RunConfig,
    policy: Arc<PolicyConfig>,
    seed: u64,
    transport: Transport,
    on_update: Callback<LiveUpdate>,
    stop: Signal,
    state: RefCell<State>,
}

struct State {
    phase: Phase,
    /// The server was told to start the run (its counters can be read).
    started: bool,
    /// `perf_now()` at the run's 0 ms.
    origin: f64,
    rng: ChaCha8Rng,
    clients: Vec<ClientState>,
    calls: Vec<Call>,
    trace: Vec<CallTrace>,
    client_events: Vec<ClientEventTrace>,
    /// (sent, answered or `None`) of every request, ms: the server-load series' input.
    requests: Vec<(u64, Option<u64>)>,
    clients_running: u32,
    end_ms: Option<u64>,
    counters: Counters,
    problem: Option<String>,
    quiet: bool,
    dirty: bool,
    ticker: Option<Interval>,
}

impl Shared {
    pub(crate) fn new(
        transport: Transport,
        config: RunConfig,
        seed: u64,
        on_update: Callback<LiveUpdate>,
    ) -> Rc<Shared> {
        let n = RUNS.with(|c| {
            c.set(c.get().wrapping_add(1));
            c.get()
        });
        let clients = (0..config.scenario.clients.min(LIVE_CALLS_MAX as u32))
            .map(|_| ClientState::new(&config.policy))
            .collect();
        Rc::new(Shared {
            run_id: format!("run-{}-{n}-{seed:x}", js_sys::Date::now() as u64),
            policy: Arc::new(config.policy.clone()),
            config,
            seed,
            transport,
            on_update,
            stop: Signal::default(),
            state: RefCell::new(State {
                phase: Phase::Starting,
                started: false,
                origin: perf_now(),
                rng: ChaCha8Rng::seed_from_u64(seed),
                clients,
                calls: Vec::new(),
                trace: Vec::new(),
                client_events: Vec::new(),
                requests: Vec::new(),
                clients_running: 0,
                end_ms: None,
                counters: Counters::default(),
                problem: None,
                quiet: false,
                dirty: false,
                ticker: None,
            }),
        })
    }

    fn origin(&self) -> f64 {
        self.state
            .try_borrow()
            .map(|s| s.origin)
            .unwrap_or_else(|_| perf_now())
    }
}

pub(crate) fn is_running(shared: &Shared) -> bool {
    shared
        .state
        .try_borrow()
        .map(|s| matches!(s.phase, Phase::Starting | Phase::Running))
        .unwrap_or(true)
}

/// Checks what a live run can do.
fn check(config: &RunConfig) -> Result<(), String> {
    config
        .validate()
        .map_err(|e| format!("the config is invalid: {e}"))?;
    let calls = u64::from(config.scenario.clients) * u64::from(config.scenario.calls_per_client);
    if calls > LIVE_CALLS_MAX {
        return Err(format!(
            "a live run makes at most {LIVE_CALLS_MAX} calls (this one: {} clients × {} calls = {calls}); \
             use the simulator for storms this big",
            config.scenario.clients, config.scenario.calls_per_client
        ));
    }
    Ok(())
}

/// Starts the run in the background.
pub(crate) fn start(shared: Rc<Shared>) {
    spawn_local(begin(shared));
}

async fn begin(shared: Rc<Shared>) {
    if let Err(problem) = check(&shared.config) {
        stop(&shared, Stop::Problem(problem));
        return;
    }
    emit(&shared);
    let started = shared
        .transport
        .start_run(
            &shared.run_id,
            shared.seed,
            &shared.config.endpoint,
            &shared.stop,
        )
        .await;
    if shared.stop.fired() {
        return;
    }
    if let Err(e) = started {
        stop(
            &shared,
            Stop::Problem(format!("could not start the run: {e}")),
        );
        return;
    }
    let starts = {
        let Ok(mut s) = shared.state.try_borrow_mut() else {
            return;
        };
        let s = &mut *s;
        s.started = true;
        s.phase = Phase::Running;
        s.origin = perf_now();
        let starts = client::client_starts(&shared.config.scenario, &mut s.rng);
        s.clients_running = starts.len() as u32;
        starts
    };
    if starts.is_empty() {
        stop(&shared, Stop::Done);
        return;
    }
    for (client, start_ms) in starts.into_iter().enumerate() {
        spawn_local(client_task(shared.clone(), client as u32, start_ms));
    }
    spawn_local(horizon_task(shared.clone()));
    spawn_local(counters_task(shared.clone()));
    let weak = Rc::downgrade(&shared);
    let calls = u64::from(shared.config.scenario.clients)
        * u64::from(shared.config.scenario.calls_per_client);
    let ticker = Interval::new(update_every_ms(calls), move || {
        if let Some(shared) = weak.upgrade() {
            let due = shared
                .state
                .try_borrow()
                .map(|s| s.dirty && s.phase == Phase::Running)
                .unwrap_or(false);
            if due {
                emit(&shared);
            }
        }
    });
    match shared.state.try_borrow_mut() {
        Ok(mut s) if s.phase == Phase::Running => s.ticker = Some(ticker),
        _ => drop(ticker),
    }
}

async fn horizon_task(shared: Rc<Shared>) {
    let horizon = shared.config.scenario.horizon_ms;
    if sleep_until(shared.origin(), horizon, &shared.stop).await {
        stop(&shared, Stop::Horizon);
    }
}

/// How often a running run reads the server's counters, ms.
const COUNTERS_EVERY_MS: u64 = 400;

/// Reads the server's counters while the run goes on, so duplicates and
/// requests climb on screen as they happen (the last read is at the end, in
/// [`finish`]). A failed read changes nothing: a lost run is caught by the
/// requests themselves.
async fn counters_task(shared: Rc<Shared>) {
    let origin = shared.origin();
    let mut next = COUNTERS_EVERY_MS;
    while sleep_until(origin, next, &shared.stop).await {
        if let Ok(counters) = shared
            .transport
            .counters(&shared.run_id, &shared.stop)
            .await
        {
            if let Ok(mut s) = shared.state.try_borrow_mut() {
                if s.phase == Phase::Running {
                    s.counters = counters;
                    s.dirty = true;
                }
            }
        }
        next = since(origin).saturating_add(COUNTERS_EVERY_MS);
    }
}

/// One client: its calls one after another, `call_gap_ms` apart.
async fn client_task(shared: Rc<Shared>, client: u32, start_ms: u64) {
    let origin = shared.origin();
    let scenario = &shared.config.scenario;
    if sleep_until(origin, start_ms, &shared.stop).await {
        for index in 0..scenario.calls_per_client {
            let Some(id) = new_call(&shared, client, index) else {
                break;
            };
            if !run_call(&shared, id).await {
                break;
            }
            if index + 1 < scenario.calls_per_client {
                let at = since(origin).saturating_add(scenario.call_gap_ms);
                if !sleep_until(origin, at, &shared.stop).await {
                    break;
                }
            }
        }
    }
    let last = match shared.state.try_borrow_mut() {
        Ok(mut s) => {
            s.clients_running = s.clients_running.saturating_sub(1);
            s.clients_running == 0
        }
        Err(_) => false,
    };
    if last {
        stop(&shared, Stop::Done);
    }
}

/// Makes call number `index` of `client`; its id.
fn new_call(shared: &Shared, client: u32, index: u32) -> Option<usize> {
    if shared.stop.fired() {
        return None;
    }
    let mut s = shared.state.try_borrow_mut().ok()?;
    let s = &mut *s;
    let now = since(s.origin);
    let id = s.calls.len();
    let (call, trace) = client::start_call(
        &shared.config,
        &shared.policy,
        now,
        id as u32,
        client,
        index,
        &mut s.rng,
    );
    s.trace.push(trace);
    s.calls.push(call);
    s.dirty = true;
    Some(id)
}

fn collect_events(s: &mut State, client: usize) {
    let Some(state) = s.clients.get_mut(client) else {
        return;
    };
    for e in state.take_events() {
        s.client_events.push(ClientEventTrace {
            client: client as u32,
            at_ms: e.at_ms,
            kind: e.kind,
        });
    }
}

/// What the call's next poll said, at what time.
fn poll(shared: &Shared, id: usize) -> Option<(Step, u64)> {
    let mut s = shared.state.try_borrow_mut().ok()?;
    let s = &mut *s;
    let now = since(s.origin);
    let client = s.trace.get(id)?.client as usize;
    let (call, state) = (s.calls.get_mut(id)?, s.clients.get_mut(client)?);
    let step = call.poll(now, state, &mut s.rng);
    collect_events(s, client);
    Some((step, now))
}

/// Drives call `id` to its end: `true` when done, `false` when the run stopped.
async fn run_call(shared: &Rc<Shared>, id: usize) -> bool {
    let origin = shared.origin();
    loop {
        if shared.stop.fired() {
            return false;
        }
        let Some((step, now)) = poll(shared, id) else {
            return false;
        };
        match step {
            Step::Send {
                attempt,
                timeout_ms,
                probe,
                ..
            } => {
                if let Ok(mut s) = shared.state.try_borrow_mut() {
                    if let Some(t) = s.trace.get_mut(id) {
                        t.attempts
                            .push(AttemptTrace::started(attempt, now, timeout_ms, probe));
                    }
                    s.dirty = true;
                }
                let Some((outcome, retry_after_ms)) = run_attempt(shared, id, timeout_ms).await
                else {
                    return false;
                };
                let Ok(mut s) = shared.state.try_borrow_mut() else {
                    return false;
                };
                let s = &mut *s;
                let now = since(s.origin);
                let Some(trace) = s.trace.get_mut(id) else {
                    return false;
                };
                if let Some(a) = trace.attempts.last_mut() {
                    a.end_ms = Some(now);
                    a.outcome = Some(outcome);
                }
                let client = trace.client as usize;
                if let (Some(call), Some(state)) = (s.calls.get_mut(id), s.clients.get_mut(client))
                {
                    call.on_outcome(
                        now,
                        attempt,
                        client::policy_outcome(outcome, retry_after_ms),
                        state,
                    );
                }
                collect_events(s, client);
                s.dirty = true;
            }
            Step::Sleep { until_ms, reason } => {
                if let Ok(mut s) = shared.state.try_borrow_mut() {
                    if let Some(t) = s.trace.get_mut(id) {
                        t.sleeps.push(SleepTrace {
                            from_ms: now,
                            until_ms,
                            reason,
                        });
                    }
                    s.dirty = true;
                }
                if !sleep_until(origin, until_ms, &shared.stop).await {
                    return false;
                }
            }
            Step::AwaitOutcome => {
                stop(
                    shared,
                    Stop::Problem(
                        "internal error: a call awaits an outcome no one will report".into(),
                    ),
                );
                return false;
            }
            Step::Done(done) => {
                if let Ok(mut s) = shared.state.try_borrow_mut() {
                    if let Some(t) = s.trace.get_mut(id) {
                        t.end_ms = Some(now);
                        t.result = Some(done);
                    }
                    s.dirty = true;
                }
                return true;
            }
        }
    }
}

/// One attempt: its request(s) (check-then-create's GET, then its POST),
/// raced against the attempt's timeout. `None` when the run stopped.
async fn run_attempt(
    shared: &Rc<Shared>,
    id: usize,
    timeout_ms: Option<u64>,
) -> Option<(AttemptOutcome, Option<u64>)> {
    let (target, key) = {
        let s = shared.state.try_borrow().ok()?;
        let t = s.trace.get(id)?;
        (t.target.clone(), t.idempotency_key.clone())
    };
    let requests = async {
        let mut stage = client::first_stage(&shared.config);
        loop {
            let request = client::request(&shared.config, &target, key.as_deref(), stage);
            let index = {
                let mut s = shared
                    .state
                    .try_borrow_mut()
                    .map_err(|_| "internal error: state busy".to_string())?;
                let s = &mut *s;
                let now = since(s.origin);
                if let Some(a) = s.trace.get_mut(id).and_then(|t| t.attempts.last_mut()) {
                    a.requests += 1;
                }
                s.requests.push((now, None));
                s.requests.len() - 1
            };
            let result = shared.transport.send(&shared.run_id, &request).await;
            if let (Ok(_) | Err(SendError::Network), Ok(mut s)) =
                (&result, shared.state.try_borrow_mut())
            {
                let now = since(s.origin);
                if let Some(r) = s.requests.get_mut(index) {
                    r.1 = Some(now);
                }
            }
            let (outcome, retry_after_ms) = match result {
                Ok(r) => (
                    AttemptOutcome::Status(r.status),
                    r.retry_after.and_then(|v| {
                        policy::retry_after::parse(&v, js_sys::Date::now() as u64).ok()
                    }),
                ),
                Err(SendError::Network) => (AttemptOutcome::NetworkError, None),
                Err(SendError::RunLost(m) | SendError::Problem(m)) => return Err(m),
            };
            match client::after(stage, outcome) {
                Next::SendMain => stage = Stage::Main,
                Next::End(outcome) => return Ok((outcome, retry_after_ms)),
            }
        }
    };
    match race(requests, timeout_ms, &shared.stop).await {
        Raced::Done(Ok(ended)) => Some(ended),
        Raced::Done(Err(problem)) => {
            stop(shared, Stop::Problem(problem));
            None
        }
        Raced::TimedOut => Some((AttemptOutcome::TimedOut, None)),
        Raced::Stopped => None,
    }
}

/// Stops the run (once): no more scheduling, in-flight requests abort (their
/// futures are dropped), then the counters are read and the last update sent.
pub(crate) fn stop(shared: &Rc<Shared>, why: Stop) {
    let (ticker, quiet) = {
        let Ok(mut s) = shared.state.try_borrow_mut() else {
            // Called while the state is borrowed: try again right after.
            let shared = shared.clone();
            spawn_local(async move { stop(&shared, why) });
            return;
        };
        if matches!(s.phase, Phase::Finishing | Phase::Finished) {
            return;
        }
        let now = since(s.origin);
        s.end_ms = Some(match why {
            Stop::Horizon => shared.config.scenario.horizon_ms,
            _ => now,
        });
        if let Stop::Problem(p) = &why {
            s.problem.get_or_insert_with(|| p.clone());
        }
        s.quiet = matches!(why, Stop::Superseded);
        s.phase = if s.quiet {
            Phase::Finished
        } else {
            Phase::Finishing
        };
        (s.ticker.take(), s.quiet)
    };
    shared.stop.fire();
    if let Some(ticker) = ticker {
        // Not dropped here: this may run inside the ticker's own callback.
        spawn_local(async move { drop(ticker) });
    }
    if !quiet {
        spawn_local(finish(shared.clone()));
    }
}

async fn finish(shared: Rc<Shared>) {
    let started = shared
        .state
        .try_borrow()
        .map(|s| s.started)
        .unwrap_or(false);
    if started {
        // The run's own stop signal has fired: read the counters without it.
        let counters = shared
            .transport
            .counters(&shared.run_id, &Signal::default())
            .await;
        if let Ok(mut s) = shared.state.try_borrow_mut() {
            match counters {
                Ok(c) => s.counters = c,
                Err((_, message)) => {
                    s.problem.get_or_insert(message);
                }
            }
        }
    }
    if let Ok(mut s) = shared.state.try_borrow_mut() {
        s.phase = Phase::Finished;
    }
    emit(&shared);
}

/// Sends the trace so far to the UI (never while the state is borrowed).
fn emit(shared: &Shared) {
    let update = {
        let Ok(mut s) = shared.state.try_borrow_mut() else {
            return;
        };
        s.dirty = false;
        if s.quiet {
            return;
        }
        let end_ms = s.end_ms.unwrap_or_else(|| since(s.origin));
        LiveUpdate {
            trace: Trace {
                seed: shared.seed,
                horizon_ms: shared.config.scenario.horizon_ms,
                end_ms,
                calls: s.trace.clone(),
                client_events: s.client_events.clone(),
                server_load: flaky::sim::load_samples(&s.requests, end_ms),
                counters: s.counters.clone(),
            },
            running: s.phase != Phase::Finished,
            problem: s.problem.clone(),
        }
    };
    shared.on_update.emit(update);
}
