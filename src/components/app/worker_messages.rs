//! A run worker's messages, as actions on the app's state: progress, a run's
//! trace (live updates, the end), the full trace to download, and a worker
//! that broke or failed (which ends the run in progress with its reason).

use std::rc::Rc;

use ::run_worker::FromWorker;
use flaky::sim::Trace;
use yew::prelude::*;

use super::{trace_file_name, Fired};
use crate::run_worker;
use crate::state::{Action, Side, State};

/// What `side`'s worker said, dispatched (pastes and exports are answered
/// where the messages arrive).
pub(super) fn on_worker_message(
    dispatcher: &UseReducerDispatcher<State>,
    fired: &Fired,
    side: Side,
    message: FromWorker,
) {
    match message {
        FromWorker::Ready => {}
        FromWorker::Progress { run_id, progress } => {
            if side == Side::A {
                dispatcher.dispatch(Action::Progress {
                    run_id,
                    fraction: progress.fraction(),
                })
            }
        }
        FromWorker::LiveUpdate {
            run_id,
            trace,
            running,
            problem,
        } => dispatcher.dispatch(Action::UpdateRun {
            run_id,
            side,
            trace: Rc::new(*trace),
            running,
            problem,
        }),
        FromWorker::Done { run_id, trace, .. } => dispatcher.dispatch(Action::UpdateRun {
            run_id,
            side,
            trace: Rc::new(*trace),
            running: false,
            problem: None,
        }),
        FromWorker::FullTrace { json, .. } => {
            if let Err(problem) = run_worker::download(&trace_file_name(fired.seed), &json) {
                web_sys::console::error_1(&problem.into());
            }
        }
        FromWorker::Broken { message } => dispatcher.dispatch(Action::UpdateRun {
            run_id: fired.run_id,
            side,
            trace: Rc::new(Trace {
                seed: fired.seed,
                ..Default::default()
            }),
            running: false,
            problem: Some(message),
        }),
        // Handled where the worker's messages arrive (only side A's worker reads pastes).
        FromWorker::Imported { .. } | FromWorker::Exported { .. } => {}
        FromWorker::Failed { run_id, message } => dispatcher.dispatch(Action::UpdateRun {
            // 0: the worker itself failed; it concerns the run in progress.
            run_id: if run_id == 0 { fired.run_id } else { run_id },
            side,
            trace: Rc::new(Trace {
                seed: fired.seed,
                ..Default::default()
            }),
            running: false,
            problem: Some(message),
        }),
    }
}
