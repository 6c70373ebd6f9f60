//! Runs: firing (what A and B run, and whether B reruns), a run's updates
//! and its end, cancels, the worker's answers (pastes and documents by their
//! latest request id), and the trace download.

use std::rc::Rc;

use flaky::sim::Trace;

use super::{Action, Mode, RunStatus, Side, State};
use crate::effect::{Effect, ExportAnswer, ImportAnswer, WorkerEvent};
use crate::run::{fire_config, trace_file_name, Fire};

/// Why a live fire waits: the transport is found once, at start.
pub const TRANSPORT_STARTING: &str =
    "The mock endpoints are still starting; try again in a moment.";

impl State {
    /// Fires `what` in the current mode: refused (no run) over the limit or
    /// before the mock endpoints are up; otherwise a newer run replaces a
    /// live one still going, A runs, and B runs unless its last run stands.
    pub(super) fn fire(&mut self, what: Fire, fx: &mut Vec<Effect>) {
        // Refused before anything starts: the last run's figures stay as they were.
        if what == Fire::Scenario {
            if let Some(problem) = self.settings.over_limit() {
                self.run_problem = Some(problem);
                return;
            }
        }
        let mode = self.settings.mode;
        if mode == Mode::Live && self.transport.is_none() {
            self.run_problem = Some(TRANSPORT_STARTING.to_string());
            return;
        }
        self.cancel_live(fx);
        let (run_id, seed) = (self.run_id.wrapping_add(1), self.settings.seed);
        let config = fire_config(&self.settings.config, what);
        let b_key = (self.settings.config_b()).map(|b| (fire_config(&b, what), seed, mode));
        // B unchanged on an unchanged world (same config, seed, mode, and its
        // trace still shown): its figures stand, only A reruns. A pinned B
        // keeps its run (live included) until B's knobs change.
        let with_b = b_key.is_some()
            && !self.b_pinned
            && (self.fired.b != b_key || self.trace_b.is_none() || mode == Mode::Live);
        self.fired.run_id = run_id;
        self.fired.what = what;
        self.fired.config = config.clone();
        self.fired.seed = seed;
        if with_b {
            self.fired.b = b_key;
        }
        let config_b = self.fired.b.as_ref().map(|(c, _, _)| c.clone());
        self.start_run(run_id, with_b);
        let sides = [
            (Side::A, Some(config)),
            (Side::B, config_b.filter(|_| with_b)),
        ];
        for (side, config) in sides {
            let Some(config) = config else {
                continue;
            };
            if let Some(problem) = self.worker_problem.clone() {
                self.update_run(run_id, side, empty_trace(seed), false, Some(problem));
                continue;
            }
            if mode == Mode::Live {
                self.live_run = Some(run_id);
            }
            fx.push(Effect::Run {
                side,
                run_id,
                config: Box::new(config),
                seed,
                mode,
            });
        }
    }

    /// Stops a live run still going (a newer fire, a reset, another lesson).
    pub(super) fn cancel_live(&mut self, fx: &mut Vec<Effect>) {
        if let Some(run_id) = self.live_run.take() {
            fx.push(Effect::Cancel {
                side: Side::A,
                run_id,
            });
            fx.push(Effect::Cancel {
                side: Side::B,
                run_id,
            });
        }
    }

    /// The old run's figures go: a new lesson, or Reset. A run still going
    /// is retired (its late updates are ignored); a live one is cancelled.
    pub(super) fn clear_results(&mut self, fx: &mut Vec<Effect>) {
        self.cancel_live(fx);
        self.b_pinned = false;
        self.trace = None;
        self.trace_b = None;
        self.progress = None;
        self.status = RunStatus::Idle;
        self.running = (false, false);
        self.run_problem = None;
        self.replay = None;
        // Wrapping: an id only has to differ from the run it retires.
        self.run_id = self.run_id.wrapping_add(1);
    }

    pub(super) fn stop_compare(&mut self, fx: &mut Vec<Effect>) {
        if self.running.1 && self.status == RunStatus::Running {
            fx.push(Effect::Cancel {
                side: Side::B,
                run_id: self.run_id,
            });
        }
        self.b_pinned = false;
        self.settings.b = None;
        self.trace_b = None;
        self.running.1 = false;
        if !self.running.0 && self.status == RunStatus::Running {
            self.status = RunStatus::Done;
        }
    }

    pub(super) fn start_run(&mut self, run_id: u64, with_b: bool) {
        self.run_id = run_id;
        self.status = RunStatus::Running;
        // A simulated rerun keeps the last figures on screen (shown as
        // recomputing) until the new ones arrive, so a slider drag does not flash.
        let rerun =
            self.settings.mode == Mode::Simulated && self.trace_mode == Some(Mode::Simulated);
        if !rerun {
            self.trace = None;
            if with_b {
                self.trace_b = None;
            }
        }
        if self.settings.b.is_none() {
            self.trace_b = None;
        }
        self.running = (true, with_b);
        self.trace_mode = Some(self.settings.mode);
        self.run_problem = None;
        self.progress = None;
        // Slow motion is what its label says: a replay at a quarter speed.
        self.replay = self.settings.slow.then_some(super::Replay {
            cursor_ms: 0.0,
            playing: false,
            speed: super::REPLAY_SPEEDS[0],
        });
    }

    pub(super) fn update_run(
        &mut self,
        run_id: u64,
        side: Side,
        trace: Rc<Trace>,
        running: bool,
        problem: Option<String>,
    ) {
        let side_running = match side {
            Side::A => self.running.0,
            Side::B => self.running.1,
        };
        if run_id != self.run_id || self.status != RunStatus::Running || !side_running {
            return;
        }
        match side {
            Side::A => {
                self.trace = Some(trace);
                self.running.0 = running;
            }
            Side::B => {
                self.trace_b = Some(trace);
                self.running.1 = running;
            }
        }
        if !self.running.0 && !self.running.1 {
            self.progress = None;
            self.status = RunStatus::Done;
            if self.live_run == Some(run_id) {
                self.live_run = None;
            }
            // A slow-motion replay starts once the whole run is in.
            if let Some(r) = self.replay.filter(|_| self.settings.slow) {
                self.replay = Some(super::Replay {
                    cursor_ms: 0.0,
                    playing: true,
                    ..r
                });
            }
        }
        if let Some(problem) = problem {
            self.run_problem = Some(match side {
                Side::B => format!("B: {problem}"),
                Side::A => problem,
            });
        }
    }

    /// What `side`'s run worker said: progress (A's), a trace, the full
    /// trace to save, a failure (which ends the run in progress with its
    /// reason), or the answer to the latest paste or document asked for (an
    /// older answer is ignored).
    pub(super) fn on_worker(&mut self, side: Side, event: WorkerEvent, fx: &mut Vec<Effect>) {
        let failed = |state: &mut State, run_id: u64, message: String| {
            let seed = state.fired.seed;
            state.update_run(run_id, side, empty_trace(seed), false, Some(message));
        };
        match event {
            WorkerEvent::Ready => {}
            WorkerEvent::Point {
                batch_id,
                index,
                result,
            } => self.point_done(batch_id, index, result),
            WorkerEvent::Progress { run_id, fraction } => {
                if side == Side::A {
                    self.apply(Action::Progress { run_id, fraction }, fx);
                }
            }
            WorkerEvent::Trace {
                run_id,
                trace,
                running,
                problem,
            } => self.update_run(run_id, side, trace, running, problem),
            WorkerEvent::FullTrace { json } => fx.push(Effect::Download {
                file_name: trace_file_name(self.fired.seed),
                json,
            }),
            WorkerEvent::Broken { message } => {
                self.worker_problem = Some(message.clone());
                failed(self, self.fired.run_id, message);
            }
            // 0: the worker itself failed; it concerns the run in progress.
            WorkerEvent::Failed { run_id, message } => {
                let run_id = if run_id == 0 {
                    self.fired.run_id
                } else {
                    run_id
                };
                failed(self, run_id, message);
            }
            WorkerEvent::Imported(answer) => {
                if answer.request_id != self.import_id {
                    return;
                }
                // A paste's knobs apply in order, as SetKnob.
                if let Ok(knobs) = &answer.result {
                    for (name, value) in &knobs.assignments {
                        self.set_knob(name, value);
                    }
                }
                self.imported = Some(Rc::new(answer));
            }
            WorkerEvent::Exported(answer) => {
                if answer.request_id == self.export_id {
                    self.exported = Some(Rc::new(answer));
                }
            }
        }
    }

    /// The shown trace as a file, written by side A's run worker (a
    /// simulated run rerun in full, a live run's as the worker kept it):
    /// the page never serializes a trace, so that code is not in its wasm.
    pub(super) fn download(&mut self, fx: &mut Vec<Effect>) {
        if self.trace.is_none() {
            return;
        }
        fx.push(Effect::FullTrace {
            run_id: self.fired.run_id,
            config: Box::new(self.fired.config.clone()),
            seed: self.fired.seed,
            live: self.trace_mode == Some(Mode::Live),
        });
    }

    pub(super) fn import(&mut self, format: String, text: String, fx: &mut Vec<Effect>) {
        self.import_id += 1;
        let request_id = self.import_id;
        match self.worker_problem.clone() {
            Some(problem) => {
                self.imported = Some(Rc::new(ImportAnswer {
                    request_id,
                    result: Err(problem),
                }))
            }
            None => fx.push(Effect::Import {
                request_id,
                format,
                text,
            }),
        }
    }

    pub(super) fn export(
        &mut self,
        target: String,
        policy: Box<policy::PolicyConfig>,
        fx: &mut Vec<Effect>,
    ) {
        self.export_id += 1;
        let request_id = self.export_id;
        match self.worker_problem.clone() {
            Some(problem) => {
                self.exported = Some(Rc::new(ExportAnswer {
                    request_id,
                    result: Err(problem),
                }))
            }
            None => fx.push(Effect::Export {
                request_id,
                target,
                policy,
            }),
        }
    }
}

/// The trace of a run that did nothing (it failed before it started).
fn empty_trace(seed: u64) -> Rc<Trace> {
    Rc::new(Trace {
        seed,
        ..Default::default()
    })
}
