//! The live driver: the run engine ([`flaky::engine::Engine`]) plus real
//! `fetch` calls, per-request aborts and timers. The engine decides every
//! attempt, sleep and timeout and records the trace; this file only moves
//! time (one `setTimeout` for the engine's next timer) and bytes (one task
//! per request in flight).
//!
//! All state sits in one `RefCell`, never borrowed across an `await` nor while
//! the UI's callback runs.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use flaky::engine::{Engine, EngineOptions, Transmit};
use flaky::sim::{AttemptOutcome, RunConfig};
use flaky::Counters;
use gloo_timers::callback::{Interval, Timeout};
use wasm_bindgen_futures::spawn_local;

use super::time::{perf_now, race, since, sleep_until, Raced, Signal};
use super::transport::{SendError, Transport};
use super::{LiveUpdate, LIVE_CALLS_MAX, LIVE_LANES_MAX};

/// How often a running run sends an update, ms: 2 ms per call, from 50 to
/// 250. Each update re-renders the page on the thread whose timers drive the
/// sleeps; with many calls, fewer updates keep those timers on time.
fn update_every_ms(calls: u64) -> u32 {
    calls.saturating_mul(2).clamp(50, 250) as u32
}

/// Why a run stops.
pub(crate) enum Stop {
    /// Every call finished, or the horizon came.
    Done,
    /// `RunHandle::cancel`.
    Cancelled,
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
    transport: Transport,
    on_update: Rc<dyn Fn(LiveUpdate)>,
    stop: Signal,
    state: RefCell<State>,
}

struct State {
    phase: Phase,
    /// The server was told to start the run (its counters can be read).
    started: bool,
    /// `perf_now()` at the run's 0 ms.
    origin: f64,
    engine: Engine,
    /// Requests in flight → the signal that abandons them.
    aborts: BTreeMap<u64, Signal>,
    /// The engine's next timer.
    timer: Option<Timeout>,
    counters: Counters,
    problem: Option<String>,
    quiet: bool,
    dirty: bool,
    ticker: Option<Interval>,
}

impl State {
    /// The server's counters as read; the engine hears of the duplicate
    /// creates it has not heard of yet (their attempts get marked).
    fn take_counters(&mut self, counters: Counters) {
        let told = self.counters.duplicate_calls.len();
        for identity in counters.duplicate_calls.iter().skip(told) {
            self.engine.handle_duplicate_create_of(identity);
        }
        self.counters = counters;
    }
}

impl Shared {
    pub(crate) fn new(
        transport: Transport,
        config: RunConfig,
        seed: u64,
        on_update: Rc<dyn Fn(LiveUpdate)>,
    ) -> Rc<Shared> {
        let engine = Engine::new(&config, seed, EngineOptions::lanes(LIVE_LANES_MAX));
        Rc::new(Shared {
            run_id: super::transport::new_run_id(),
            config,
            transport,
            on_update,
            stop: Signal::default(),
            state: RefCell::new(State {
                phase: Phase::Starting,
                started: false,
                origin: perf_now(),
                engine,
                aborts: BTreeMap::new(),
                timer: None,
                counters: Counters::default(),
                problem: None,
                quiet: false,
                dirty: false,
                ticker: None,
            }),
        })
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
    let seed = match shared.state.try_borrow() {
        Ok(s) => s.engine.seed(),
        Err(_) => return,
    };
    let started = shared
        .transport
        .start_run(&shared.run_id, seed, &shared.config.endpoint, &shared.stop)
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
    match shared.state.try_borrow_mut() {
        Ok(mut s) => {
            s.started = true;
            s.phase = Phase::Running;
            s.origin = perf_now();
        }
        Err(_) => return,
    }
    pump(&shared);
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

/// Gives the engine the time, carries out what it asks (sends, aborts), and
/// sets one timer for its next deadline.
fn pump(shared: &Rc<Shared>) {
    let (transmits, finished) = {
        let Ok(mut s) = shared.state.try_borrow_mut() else {
            // Called while the state is borrowed: try again right after.
            let shared = shared.clone();
            spawn_local(async move { pump(&shared) });
            return;
        };
        if s.phase != Phase::Running {
            return;
        }
        let s = &mut *s;
        let now = since(s.origin);
        s.engine.handle_timeout(now);
        let transmits: Vec<Transmit> = std::iter::from_fn(|| s.engine.poll_transmit()).collect();
        while let Some(request_id) = s.engine.poll_abort() {
            if let Some(signal) = s.aborts.remove(&request_id) {
                signal.fire();
            }
        }
        for t in &transmits {
            s.aborts.insert(t.request_id, Signal::default());
        }
        s.dirty = true;
        s.timer = s.engine.poll_timeout().map(|at| {
            let weak = Rc::downgrade(shared);
            let delay = at.saturating_sub(now).min(u64::from(u32::MAX)) as u32;
            Timeout::new(delay, move || {
                if let Some(shared) = weak.upgrade() {
                    pump(&shared);
                }
            })
        });
        (transmits, s.engine.is_finished())
    };
    for transmit in transmits {
        spawn_local(send_task(shared.clone(), transmit));
    }
    if finished {
        stop(shared, Stop::Done);
    }
}

/// One request: sent, raced against its abort signal, its reply given to the engine.
async fn send_task(shared: Rc<Shared>, transmit: Transmit) {
    let Some(abort) = shared
        .state
        .try_borrow()
        .ok()
        .and_then(|s| s.aborts.get(&transmit.request_id).cloned())
    else {
        return;
    };
    let send = shared
        .transport
        .send(&shared.run_id, &transmit.request, &transmit.identity);
    let result = match race(send, None, &abort).await {
        Raced::Done(result) => result,
        Raced::TimedOut | Raced::Stopped => return,
    };
    let (outcome, retry_after_ms) = match result {
        Ok(r) => (
            AttemptOutcome::Status(r.status),
            r.retry_after
                .and_then(|v| policy::retry_after::parse(&v, js_sys::Date::now() as u64).ok()),
        ),
        Err(SendError::Network) => (AttemptOutcome::NetworkError, None),
        Err(SendError::RunLost(m) | SendError::Problem(m)) => {
            stop(&shared, Stop::Problem(m));
            return;
        }
    };
    match shared.state.try_borrow_mut() {
        Ok(mut s) => {
            let s = &mut *s;
            s.aborts.remove(&transmit.request_id);
            let now = since(s.origin);
            s.engine
                .handle_reply(now, transmit.request_id, outcome, retry_after_ms);
        }
        Err(_) => return,
    }
    pump(&shared);
}

/// How often a running run reads the server's counters, ms.
const COUNTERS_EVERY_MS: u64 = 400;

/// Reads the server's counters while the run goes on, so duplicates and
/// requests climb on screen as they happen (the last read is at the end, in
/// [`finish`]). A failed read changes nothing: a lost run is caught by the
/// requests themselves.
async fn counters_task(shared: Rc<Shared>) {
    let Ok(origin) = shared.state.try_borrow().map(|s| s.origin) else {
        return;
    };
    let mut next = COUNTERS_EVERY_MS;
    while sleep_until(origin, next, &shared.stop).await {
        if let Ok(counters) = shared
            .transport
            .counters(&shared.run_id, &shared.stop)
            .await
        {
            if let Ok(mut s) = shared.state.try_borrow_mut() {
                if s.phase == Phase::Running {
                    s.take_counters(counters);
                    s.dirty = true;
                }
            }
        }
        next = since(origin).saturating_add(COUNTERS_EVERY_MS);
    }
}

/// Stops the run (once): no more scheduling, in-flight requests abort, then
/// the counters are read and the last update sent.
pub(crate) fn stop(shared: &Rc<Shared>, why: Stop) {
    let (ticker, timer, quiet) = {
        let Ok(mut s) = shared.state.try_borrow_mut() else {
            let shared = shared.clone();
            spawn_local(async move { stop(&shared, why) });
            return;
        };
        if matches!(s.phase, Phase::Finishing | Phase::Finished) {
            return;
        }
        if let Stop::Problem(p) = &why {
            s.problem.get_or_insert_with(|| p.clone());
        }
        s.quiet = matches!(why, Stop::Superseded);
        // The engine hears the time of the stop: the trace ends now, calls
        // still going are unfinished.
        let now = since(s.origin);
        s.engine.stop(now);
        s.phase = if s.quiet {
            Phase::Finished
        } else {
            Phase::Finishing
        };
        for (_, signal) in std::mem::take(&mut s.aborts) {
            signal.fire();
        }
        (s.ticker.take(), s.timer.take(), s.quiet)
    };
    shared.stop.fire();
    // Not dropped here: this may run inside the ticker's or the timer's own callback.
    spawn_local(async move {
        drop(ticker);
        drop(timer);
    });
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
                Ok(c) => s.take_counters(c),
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
        LiveUpdate {
            trace: s.engine.trace(&s.counters),
            running: s.phase != Phase::Finished,
            problem: s.problem.clone(),
        }
    };
    (shared.on_update)(update);
}
