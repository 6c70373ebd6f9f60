//! Carries out the reducer's effects (`app_core::effect::Effect`): the page's
//! handle on its two run workers (side B runs in the second, at the same
//! time as A) and the transport the page found, the URL, `<html>`'s
//! attributes, downloads. It decides nothing: a failure goes back to the
//! reducer as a worker event.

use std::cell::RefCell;
use std::rc::Rc;

use ::run_worker::FromWorker;
use app_core::effect::{
    Effect, ExportAnswer, ExportedDocument, ImportAnswer, ImportedKnobs, WorkerEvent,
};
use yew::prelude::*;

use crate::live::{Transport, TransportKind};
use crate::run_worker::{self, RunWorker};
use crate::state::{Action, Mode, Side, State, Theme};
use crate::sweep_pool::SweepPool;

/// The shell's side of the effects: run workers (started on first use) and
/// the transport.
pub struct Executor {
    dispatcher: UseReducerDispatcher<State>,
    /// Side A's and side B's run workers.
    workers: RefCell<[Option<Rc<RunWorker>>; 2]>,
    /// Where the mock endpoints are (known once the service worker answered).
    transport: RefCell<Option<TransportKind>>,
    /// The native mock server's stream the page watches (`?server=`).
    server: RefCell<Option<crate::server_view::Watch>>,
    /// The sweep's and the profiles' run workers.
    sweep_pool: Rc<SweepPool>,
}

impl Executor {
    pub fn new(dispatcher: UseReducerDispatcher<State>) -> Executor {
        Executor {
            sweep_pool: SweepPool::new(dispatcher.clone()),
            dispatcher,
            workers: RefCell::default(),
            transport: RefCell::default(),
            server: RefCell::default(),
        }
    }

    /// `side`'s run worker, started if it was not; its messages become actions.
    fn worker(&self, side: Side) -> Result<Rc<RunWorker>, String> {
        let slot = side_index(side);
        if let Some(w) = &self.workers.borrow()[slot] {
            return Ok(w.clone());
        }
        let dispatcher = self.dispatcher.clone();
        let spawned = RunWorker::spawn(Callback::from(move |message| {
            dispatcher.dispatch(Action::Worker {
                side,
                event: worker_event(message),
            })
        }))?;
        self.workers.borrow_mut()[slot] = Some(spawned.clone());
        Ok(spawned)
    }

    fn report(&self, side: Side, event: WorkerEvent) {
        self.dispatcher.dispatch(Action::Worker { side, event });
    }

    /// Does what `effect` says.
    pub fn execute(self: &Rc<Self>, effect: Effect) {
        match effect {
            Effect::Connect => self.connect(),
            Effect::Run {
                side,
                run_id,
                config,
                seed,
                mode,
            } => {
                let transport = self.transport.borrow().clone();
                let started = self.worker(side).and_then(|w| match (mode, transport) {
                    (Mode::Simulated, _) => w.run(run_id, &config, seed),
                    (Mode::Live, Some(t)) => w.live(run_id, &config, seed, t),
                    (Mode::Live, None) => Err(app_core::state::TRANSPORT_STARTING.to_string()),
                });
                if let Err(message) = started {
                    self.report(side, WorkerEvent::Failed { run_id, message });
                }
            }
            Effect::Cancel { side, run_id } => {
                if let Some(w) = &self.workers.borrow()[side_index(side)] {
                    w.cancel(run_id);
                }
            }
            Effect::FullTrace {
                run_id,
                config,
                seed,
                live,
            } => log(self
                .worker(Side::A)
                .and_then(|w| w.full_trace(run_id, &config, seed, live))),
            Effect::Download { file_name, json } => log(run_worker::download(&file_name, &json)),
            Effect::Import {
                request_id,
                format,
                text,
            } => {
                if let Err(problem) = self
                    .worker(Side::A)
                    .and_then(|w| w.import(request_id, &format, &text))
                {
                    let result = Err(problem);
                    self.report(
                        Side::A,
                        WorkerEvent::Imported(ImportAnswer { request_id, result }),
                    );
                }
            }
            Effect::Export {
                request_id,
                target,
                policy,
            } => {
                if let Err(problem) = self
                    .worker(Side::A)
                    .and_then(|w| w.export(request_id, &target, &policy))
                {
                    let result = Err(problem);
                    self.report(
                        Side::A,
                        WorkerEvent::Exported(ExportAnswer { request_id, result }),
                    );
                }
            }
            Effect::Points { kind, jobs } => self.sweep_pool.submit(kind, jobs),
            Effect::WriteUrl(query) => write_url(&query),
            Effect::WatchServer(origin) => {
                match crate::server_view::watch(&origin, self.dispatcher.clone()) {
                    Ok(watch) => *self.server.borrow_mut() = Some(watch),
                    Err(problem) => self.dispatcher.dispatch(Action::RefuseRun { problem }),
                }
            }
            Effect::SetRootAttrs { theme, talk } => set_root_attrs(theme, talk),
        }
    }

    /// Connects to the mock service worker (or falls back to the in-page
    /// model), then starts side A's run worker in the background: Fire is
    /// enabled before it loads (a message sent meanwhile waits in its loader).
    fn connect(self: &Rc<Self>) {
        let executor = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let connected = Transport::connect().await;
            let status = connected.status();
            *executor.transport.borrow_mut() = Some(connected.kind());
            executor.dispatcher.dispatch(Action::SetTransport {
                kind: status.kind.to_string(),
                detail: status.detail,
            });
            log(executor.worker(Side::A).map(drop));
        });
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

fn log(result: Result<(), String>) {
    if let Err(problem) = result {
        web_sys::console::error_1(&problem.into());
    }
}

/// A run worker's message as the reducer reads it, one to one.
fn worker_event(message: FromWorker) -> WorkerEvent {
    match message {
        FromWorker::Ready => WorkerEvent::Ready,
        FromWorker::Progress { run_id, progress } => WorkerEvent::Progress {
            run_id,
            fraction: progress.fraction(),
        },
        FromWorker::LiveUpdate {
            run_id,
            trace,
            running,
            problem,
        } => WorkerEvent::Trace {
            run_id,
            trace: Rc::new(*trace),
            running,
            problem,
        },
        FromWorker::Done { run_id, trace, .. } => WorkerEvent::Trace {
            run_id,
            trace: Rc::new(*trace),
            running: false,
            problem: None,
        },
        FromWorker::FullTrace { json, .. } => WorkerEvent::FullTrace { json },
        FromWorker::Broken { message } => WorkerEvent::Broken { message },
        FromWorker::Failed { run_id, message } => WorkerEvent::Failed { run_id, message },
        FromWorker::Imported { request_id, result } => WorkerEvent::Imported(ImportAnswer {
            request_id,
            result: result.map(|k| ImportedKnobs {
                assignments: k.assignments,
                notes: k.notes,
            }),
        }),
        FromWorker::Point {
            batch_id,
            index,
            result,
        } => WorkerEvent::Point {
            batch_id,
            index,
            result: Rc::new(result),
        },
        FromWorker::Exported { request_id, result } => WorkerEvent::Exported(ExportAnswer {
            request_id,
            result: result.map(|d| ExportedDocument {
                text: d.text,
                notes: d.notes,
            }),
        }),
    }
}

fn write_url(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        );
    }
}

fn set_root_attrs(theme: Theme, talk: bool) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", theme.name());
        let _ = root.set_attribute("data-talk", if talk { "1" } else { "0" });
    }
}
