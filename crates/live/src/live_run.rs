//! A live run's state, sans-IO: the engine, the run's phase, the server's
//! counters and when the page hears of it. The driver ([`crate::driver`])
//! owns one [`LiveRun`] in one task, feeds it what happened
//! ([`LiveRun::handle`]) with the time, and carries out what it asks
//! ([`LiveRun::poll_effect`]); nothing else touches it, so nothing can find
//! it busy.
//!
//! | phase | on | goes to |
//! | --- | --- | --- |
//! | starting | the server started the run | running (counters watched) |
//! | starting, running | a stop (done, cancel, problem) | finishing (final counters read), or finished if the server never started |
//! | starting, running | superseded | finished, silently |
//! | finishing | the final counters | finished (the final update) |
//!
//! Inputs a phase cannot get (a reply before any request, a second start)
//! panic: they are the driver's bugs. Late inputs of a run that is stopping
//! (a counters read, a start that lost its race with a cancel) are dropped.

use std::collections::VecDeque;

use flaky::engine::{Engine, EngineOptions, Transmit};
use flaky::sim::{AttemptOutcome, RunConfig};
use flaky::Counters;

use super::cadence::Cadence;
use super::{LiveUpdate, LIVE_CALLS_MAX, LIVE_LANES_MAX};

/// Why a run stops.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// What happened, for [`LiveRun::handle`].
#[derive(Debug)]
pub(crate) enum Input {
    /// The server started the run (its clock and the run's are at 0), or could not.
    Started(Result<(), String>),
    /// A request's reply.
    Reply {
        request_id: u64,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
        /// The reply's other hints (`x-amz-retry-after`, pushback, error code).
        hints: policy::hints::ReplyHints,
    },
    /// The server's counters, read while the run goes.
    Counters(Counters),
    /// The server's counters at the end (asked by [`Effect::ReadFinalCounters`]).
    FinalCounters(Result<Counters, String>),
    Stop(Stop),
    /// [`LiveRun::poll_timeout`] came.
    Timeout,
}

/// What the driver must do, from [`LiveRun::poll_effect`].
#[derive(Debug)]
pub(crate) enum Effect {
    /// Ask the server to start the run.
    StartServer,
    /// Read the server's counters now and then until the run stops.
    WatchCounters,
    Send(Transmit),
    /// Abandon a request in flight.
    Abort(u64),
    /// Abandon every request in flight and every read of the server.
    AbortAll,
    ReadFinalCounters,
    /// Tell the page.
    Update(Box<LiveUpdate>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Starting,
    Running,
    Finishing,
    Finished,
}

/// One live run's state (see the module's table).
pub(crate) struct LiveRun {
    config: RunConfig,
    engine: Engine,
    phase: Phase,
    counters: Counters,
    problem: Option<String>,
    cadence: Cadence,
    effects: VecDeque<Effect>,
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

impl LiveRun {
    /// The server's counters as read; the engine hears of the duplicate
    /// creates it has not heard of yet (their attempts get marked).
    fn take_counters(&mut self, counters: Counters) {
        let told = self.counters.duplicate_calls.len();
        for identity in counters.duplicate_calls.iter().skip(told) {
            self.engine.handle_duplicate_create_of(identity);
        }
        self.counters = counters;
    }

    /// A run of `config` on `seed`: its first effects are a first update and
    /// [`Effect::StartServer`], or the final update if it cannot run.
    pub(crate) fn new(config: RunConfig, seed: u64) -> LiveRun {
        let engine = Engine::new(&config, seed, EngineOptions::lanes(LIVE_LANES_MAX));
        let mut run = LiveRun {
            config,
            engine,
            phase: Phase::Starting,
            counters: Counters::default(),
            problem: None,
            cadence: Cadence::default(),
            effects: VecDeque::new(),
        };
        match check(&run.config) {
            Ok(()) => {
                run.update();
                run.effects.push_back(Effect::StartServer);
            }
            Err(problem) => run.stop(0, Stop::Problem(problem)),
        }
        run
    }

    /// The run's config.
    pub(crate) fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Starting or running (not stopping, not over).
    pub(crate) fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Starting | Phase::Running)
    }

    /// Over: no input changes it any more.
    pub(crate) fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// When [`Input::Timeout`] is due (ms on the run's clock): the engine's
    /// next timer or the next update, while running.
    pub(crate) fn poll_timeout(&self) -> Option<u64> {
        if self.phase != Phase::Running {
            return None;
        }
        let update_ms = self.cadence.poll_timeout();
        Some(
            self.engine
                .poll_timeout()
                .map_or(update_ms, |t| t.min(update_ms)),
        )
    }

    pub(crate) fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// `input` happened at `now_ms` (the run's clock: 0 when the server started it).
    pub(crate) fn handle(&mut self, now_ms: u64, input: Input) {
        match (self.phase, input) {
            (Phase::Starting | Phase::Running, Input::Stop(why)) => self.stop(now_ms, why),
            (Phase::Starting, Input::Started(Ok(()))) => {
                self.phase = Phase::Running;
                self.effects.push_back(Effect::WatchCounters);
                self.pump(now_ms);
            }
            (Phase::Starting, Input::Started(Err(e))) => {
                self.stop(
                    now_ms,
                    Stop::Problem(format!("could not start the run: {e}")),
                );
            }
            (Phase::Starting, Input::Timeout) => {}
            (
                Phase::Running,
                Input::Reply {
                    request_id,
                    outcome,
                    retry_after_ms,
                    hints,
                },
            ) => {
                self.engine
                    .handle_reply_hinted(now_ms, request_id, outcome, retry_after_ms, hints);
                self.pump(now_ms);
            }
            (Phase::Running, Input::Counters(counters)) => self.take_counters(counters),
            (Phase::Running, Input::Timeout) => self.pump(now_ms),
            (Phase::Finishing, Input::FinalCounters(read)) => {
                match read {
                    Ok(counters) => self.take_counters(counters),
                    Err(message) => {
                        self.problem.get_or_insert(message);
                    }
                }
                self.phase = Phase::Finished;
                self.update();
            }
            // A stopping run's late news: a start or a read that lost its
            // race with the stop, a second stop.
            (Phase::Finishing | Phase::Finished, _) => {}
            // Cannot happen: the driver feeds inputs in order. A bug shows
            // (the page's panic overlay reports it) rather than a run that
            // quietly stays "running".
            (phase, _) => {
                unreachable!(
                    "the live driver fed a {phase:?} run an input out of its order: a driver bug"
                )
            }
        }
        if self.phase == Phase::Running && self.cadence.poll_update(now_ms) {
            self.update();
        }
    }

    /// Gives the engine the time and takes what it asks (sends, aborts).
    fn pump(&mut self, now_ms: u64) {
        self.engine.handle_timeout(now_ms);
        while let Some(transmit) = self.engine.poll_transmit() {
            self.effects.push_back(Effect::Send(transmit));
        }
        while let Some(request_id) = self.engine.poll_abort() {
            self.effects.push_back(Effect::Abort(request_id));
        }
        if self.engine.is_finished() {
            self.stop(now_ms, Stop::Done);
        }
    }

    /// Stops the run (once): the trace ends now, every request is abandoned,
    /// then the final counters are read and the last update sent.
    fn stop(&mut self, now_ms: u64, why: Stop) {
        if !self.is_running() {
            return;
        }
        let started = self.phase == Phase::Running;
        self.engine.stop(now_ms);
        self.effects.push_back(Effect::AbortAll);
        match why {
            Stop::Superseded => {
                self.phase = Phase::Finished;
                return;
            }
            Stop::Problem(p) => {
                self.problem.get_or_insert(p);
            }
            Stop::Done | Stop::Cancelled => {}
        }
        if started {
            self.phase = Phase::Finishing;
            self.effects.push_back(Effect::ReadFinalCounters);
        } else {
            self.phase = Phase::Finished;
            self.update();
        }
    }

    /// The trace so far, to the page.
    fn update(&mut self) {
        self.effects.push_back(Effect::Update(Box::new(LiveUpdate {
            trace: self.engine.trace(&self.counters),
            running: self.phase != Phase::Finished,
            problem: self.problem.clone(),
        })));
    }
}

#[cfg(test)]
mod tests;
