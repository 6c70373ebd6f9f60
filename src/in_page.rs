//! Small simulated runs computed in the page itself while its run worker
//! has not started: a first visit's first result does not wait for a second
//! wasm download (the worker's loads after it, never beside the page's).
//! The same `run_worker::Job` the worker runs, in the same slices, with a
//! yield to the event loop between them, so no task is long.

use std::cell::Cell;
use std::rc::Rc;

use app_core::effect::WorkerEvent;
use flaky::sim::RunConfig;
use gloo_timers::future::TimeoutFuture;
use run_worker::{Job, Slice};
use yew::UseReducerDispatcher;

use crate::run_worker::LANES_MAX;
use crate::state::{Action, Side, State};

/// The largest run computed in the page: a few slices on a slow laptop.
pub const CALLS_MAX: u64 = 5_000;

/// Whether a simulated run of `config` may be computed in the page.
pub fn fits(config: &RunConfig) -> bool {
    run_worker::calls_of(config) <= CALLS_MAX
}

/// The runs in the page: the current run of each side (a newer run or a
/// cancel makes an older one stop at its next slice).
#[derive(Default)]
pub struct InPage {
    current: [Cell<u64>; 2],
}

impl InPage {
    /// Computes run `run_id` of `config` on `seed` for `side`; its progress
    /// and its trace reach the reducer as a run worker's would, then `then`
    /// is called (unless a newer run or a cancel stopped it).
    pub fn run(
        self: &Rc<Self>,
        dispatcher: UseReducerDispatcher<State>,
        side: Side,
        run_id: u64,
        config: RunConfig,
        seed: u64,
        then: impl FnOnce() + 'static,
    ) {
        let slot = &self.current[side.index()];
        slot.set(run_id);
        let runs = self.clone();
        let report = move |event| dispatcher.dispatch(Action::Worker { side, event });
        wasm_bindgen_futures::spawn_local(async move {
            let is_current = || runs.current[side.index()].get() == run_id;
            // Let the render of the click and an input queued behind it go first.
            TimeoutFuture::new(0).await;
            if !is_current() {
                return;
            }
            let mut job = match Job::new(&config, seed, LANES_MAX) {
                Ok(job) => job,
                Err(message) => return report(WorkerEvent::Failed { run_id, message }),
            };
            loop {
                match job.slice(now_ms) {
                    Slice::Done(trace) => {
                        report(WorkerEvent::Trace {
                            run_id,
                            trace: Rc::new(*trace),
                            running: false,
                            problem: None,
                        });
                        return then();
                    }
                    Slice::More(progress) => {
                        report(WorkerEvent::Progress {
                            run_id,
                            fraction: progress.fraction(),
                        });
                        TimeoutFuture::new(0).await;
                        if !is_current() {
                            return;
                        }
                    }
                }
            }
        });
    }

    /// Stops `side`'s run in the page, if one is computing.
    pub fn cancel(&self, side: Side) {
        self.current[side.index()].set(0);
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
