//! Carries out the reducer's effects (`app_core::effect::Effect`): the page's
//! handle on its two run workers (side B runs in the second, at the same
//! time as A) and the transport the page found, the URL, `<html>`'s
//! attributes, downloads. It decides nothing: a failure goes back to the
//! reducer as a worker event. Until a side's run worker is ready, its small
//! simulated runs are computed in the page (`in_page`). The config worker
//! (export, import: its own wasm) and the offline cache fill wait for the
//! first result or a few idle seconds: a first visit downloads one wasm
//! before its first result.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ::run_worker::FromWorker;
use app_core::effect::{
    Effect, ExportAnswer, ExportedDocument, ImportAnswer, ImportedKnobs, WorkerEvent,
};
use flaky::sim::RunConfig;
use policy::PolicyConfig;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::in_page::{self, InPage};
use crate::live::{Transport, TransportKind};
use crate::run_worker::{self, RunWorker, WorkerKind};
use crate::state::{Action, Mode, Side, State, Theme};
use crate::sweep_pool::SweepPool;

/// The shell's side of the effects: run workers (started on first use) and
/// the transport.
pub struct Executor {
    dispatcher: UseReducerDispatcher<State>,
    /// Side A's and side B's run workers.
    workers: RefCell<[Option<Rc<RunWorker>>; 2]>,
    /// Whether each side's worker has said it is ready.
    ready: Rc<[Cell<bool>; 2]>,
    /// Simulated runs computed in the page until their side's worker is ready.
    in_page: Rc<InPage>,
    /// The config worker (export, import), started on first use.
    config_worker: RefCell<Option<Rc<RunWorker>>>,
    /// Whether the first result is in (or the page has been idle a while):
    /// until then an export waits in `pending_export` (the panel asks at
    /// once) and the offline cache is not filled.
    warm: Cell<bool>,
    pending_export: RefCell<Option<PendingExport>>,
    /// Where the mock endpoints are (known once the service worker answered).
    transport: RefCell<Option<TransportKind>>,
    /// The native mock server's stream the page watches (`?server=`).
    server: RefCell<Option<crate::server_view::Watch>>,
    /// The sweep's and the profiles' run workers.
    sweep_pool: Rc<SweepPool>,
}

thread_local! {
    /// The URL query to write [`URL_WRITE_AFTER_MS`] after the first
    /// change of a burst (`Effect::WriteUrl`): the burst's last query.
    static PENDING_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Writes the URL query still waiting, if any: the panic overlay's "Reload
/// with the same settings" reloads the address bar, which must say them.
pub fn write_pending_url() {
    let pending = PENDING_URL.with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take()));
    if let Some(query) = pending {
        write_url(&query);
    }
}

impl Executor {
    pub fn new(dispatcher: UseReducerDispatcher<State>) -> Executor {
        Executor {
            sweep_pool: SweepPool::new(dispatcher.clone()),
            dispatcher,
            workers: RefCell::default(),
            ready: Rc::default(),
            in_page: Rc::default(),
            config_worker: RefCell::default(),
            warm: Cell::new(false),
            pending_export: RefCell::default(),
            transport: RefCell::default(),
            server: RefCell::default(),
        }
    }

    /// `side`'s run worker, started if it was not; its messages become actions.
    fn worker(&self, side: Side) -> Result<Rc<RunWorker>, String> {
        let slot = side.index();
        if let Some(w) = &self.workers.borrow()[slot] {
            return Ok(w.clone());
        }
        let dispatcher = self.dispatcher.clone();
        let ready = self.ready.clone();
        let spawned = RunWorker::spawn(
            WorkerKind::Run,
            Callback::from(move |message| {
                if matches!(message, FromWorker::Ready) {
                    ready[slot].set(true);
                }
                dispatcher.dispatch(Action::Worker {
                    side,
                    event: worker_event(message),
                })
            }),
        )?;
        self.workers.borrow_mut()[slot] = Some(spawned.clone());
        Ok(spawned)
    }

    /// The config worker, started if it was not; its answers go to side A.
    fn config_worker(&self) -> Result<Rc<RunWorker>, String> {
        if let Some(w) = &*self.config_worker.borrow() {
            return Ok(w.clone());
        }
        let dispatcher = self.dispatcher.clone();
        let spawned = RunWorker::spawn(
            WorkerKind::Config,
            Callback::from(move |message| {
                dispatcher.dispatch(Action::Worker {
                    side: Side::A,
                    event: worker_event(message),
                })
            }),
        )?;
        *self.config_worker.borrow_mut() = Some(spawned.clone());
        Ok(spawned)
    }

    /// After the first result (or a few idle seconds): what a first visit
    /// did not need starts loading (the config worker for a waiting export,
    /// the offline cache fill).
    fn warm_up(&self) {
        if self.warm.replace(true) {
            return;
        }
        if let Some((request_id, target, policy)) = self.pending_export.take() {
            self.export(request_id, &target, &policy);
        }
        fill_offline_cache();
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
                if mode == Mode::Simulated
                    && !self.ready[side.index()].get()
                    && in_page::fits(&config)
                {
                    return self.run_in_page(side, run_id, config, seed);
                }
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
                self.in_page.cancel(side);
                if let Some(w) = &self.workers.borrow()[side.index()] {
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
                    .config_worker()
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
                if self.warm.get() {
                    self.export(request_id, &target, &policy);
                } else {
                    *self.pending_export.borrow_mut() = Some((request_id, target, policy));
                }
            }
            Effect::Points { kind, jobs } => self.sweep_pool.submit(kind, jobs),
            Effect::WriteUrl(query) => {
                if PENDING_URL
                    .with(|p| p.borrow_mut().replace(query))
                    .is_none()
                {
                    gloo_timers::callback::Timeout::new(URL_WRITE_AFTER_MS, write_pending_url)
                        .forget();
                }
            }
            Effect::WatchServer(origin) => {
                match crate::server_view::watch(&origin, self.dispatcher.clone()) {
                    Ok(watch) => *self.server.borrow_mut() = Some(watch),
                    Err(problem) => self.dispatcher.dispatch(Action::RefuseRun { problem }),
                }
            }
            Effect::SetRootAttrs { theme, talk } => set_root_attrs(theme, talk),
        }
    }

    /// Asks the config worker to write `policy` for `target`; a failure to ask is the answer.
    fn export(&self, request_id: u64, target: &str, policy: &PolicyConfig) {
        if let Err(problem) = self
            .config_worker()
            .and_then(|w| w.export(request_id, target, policy))
        {
            let result = Err(problem);
            self.report(
                Side::A,
                WorkerEvent::Exported(ExportAnswer { request_id, result }),
            );
        }
    }

    /// Computes a small simulated run in the page (its run worker is not
    /// ready yet); after the result, `side`'s run worker is started (side
    /// B's is not started anywhere else) and what waited for the first
    /// result warms up.
    fn run_in_page(self: &Rc<Self>, side: Side, run_id: u64, config: Box<RunConfig>, seed: u64) {
        let executor = self.clone();
        // After the result's first render, not beside it.
        let then = move || {
            wasm_bindgen_futures::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(WARM_UP_AFTER_RESULT_MS).await;
                log(executor.worker(side).map(drop));
                executor.warm_up();
            })
        };
        self.in_page
            .run(self.dispatcher.clone(), side, run_id, *config, seed, then);
    }

    /// Connects to the mock service worker (or falls back to the in-page
    /// model), then starts side A's run worker (the page's own wasm: no
    /// download) and, with no result a few seconds later, warms up. Fire is
    /// enabled before the worker is ready (a run meanwhile is computed in
    /// the page, or waits in the worker's loader).
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
            gloo_timers::future::TimeoutFuture::new(WARM_UP_LATEST_MS).await;
            executor.warm_up();
        });
    }
}

/// An export's request id, target and policy.
type PendingExport = (u64, String, Box<PolicyConfig>);

/// How long after a change the URL says it, ms. A history write takes 2 to
/// 15 ms of the main thread; written in the next task, it came between a
/// knob change and its run's result (a 1,000-call run's result comes about
/// 10 ms after the change), so the counters waited for it. Later, it comes
/// after them, and a slider's drag writes about 7 times a second, under
/// the browsers' limits on history writes.
const URL_WRITE_AFTER_MS: u32 = 150;

/// How long after connecting the page warms up when no result did it first.
const WARM_UP_LATEST_MS: u32 = 4_000;
/// How long after the first result (computed in the page) it warms up.
const WARM_UP_AFTER_RESULT_MS: u32 = 500;

/// Asks the mock service worker to cache the app's files for offline use
/// (`www/service-worker.js`, message `fill`), once it is active.
fn fill_offline_cache() {
    let Some(container) = web_sys::window().map(|w| w.navigator().service_worker()) else {
        return;
    };
    let Ok(ready) = container.ready() else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(registration) = wasm_bindgen_futures::JsFuture::from(ready).await else {
            return;
        };
        let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
        if let Some(active) = registration.active() {
            let _ = active.post_message(&"fill".into());
        }
    });
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
