//! The run worker, in the page's own wasm: `www/run-worker-loader.js` (a
//! module worker) instantiates the module the page hands it, compiled, and
//! calls [`start`], then [`on_message`] for every message (the page's
//! `src/main.rs` exports both). One wasm for the page, its run workers and
//! the mock service worker: a first visit downloads it once, and a run
//! worker starts without a download or a compile.
//! - A simulated run computes in slices; between slices it yields to the
//!   event loop (and posts its progress, at most every
//!   [`crate::PROGRESS_EVERY_MS`]), so a newer message (a newer run,
//!   a cancel) is read within one slice and the older run stops there.
//! - A live run is [`live::fire`] with its fetches and timers here, away from
//!   the page's rendering; its updates go to the page, its full trace stays
//!   here for a download.
//! - Export and import are not here: the config worker (this crate's bin,
//!   its own wasm, loaded after the first result) writes and reads configs,
//!   so the page's wasm carries no writers or parsers.

use std::cell::{Cell, RefCell};

use crate::{FromWorker, Job, Slice, ToWorker};
use gloo_timers::future::TimeoutFuture;
use live::{Fire, LiveUpdate, RunHandle, Transport, TransportKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

/// Export and import are the config worker's.
const NOT_HERE: &str = "the run worker does not write or read configs (the config worker does)";

thread_local! {
    /// The run that may go on; any other stops at its next slice.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    /// The live run going on, by the page's run id.
    static LIVE: RefCell<Option<(u64, RunHandle)>> = const { RefCell::new(None) };
    /// The transport of live runs, built once from what the page found.
    static TRANSPORT: RefCell<Option<(TransportKind, Transport)>> = const { RefCell::new(None) };
    /// The last live run's full trace (page run id, trace).
    static LIVE_TRACE: RefCell<Option<(u64, flaky::sim::Trace)>> = const { RefCell::new(None) };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = postMessage)]
    fn post_message(message: &JsValue);
}

/// Posts `message` to the page (JSON text).
pub fn post(message: &FromWorker) {
    if let Ok(text) = serde_json::to_string(message) {
        post_text(&text);
    }
}

/// Posts a message already written (the config worker's answers go this way).
pub fn post_text(text: &str) {
    post_message(&JsValue::from_str(text));
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Tells the page the worker is ready.
pub fn start() {
    post(&FromWorker::Ready);
}

/// One message from the page (JSON text). Bad input is answered, never a panic.
pub fn on_message(data: JsValue) {
    let Some(text) = data.as_string() else {
        return;
    };
    match serde_json::from_str::<ToWorker>(&text) {
        Ok(ToWorker::Run {
            run_id,
            config,
            seed,
            lanes_max,
        }) => {
            stop_live();
            CURRENT.with(|c| c.set(run_id));
            spawn_local(simulate(run_id, *config, seed, lanes_max));
        }
        Ok(ToWorker::Live {
            run_id,
            config,
            seed,
            transport,
        }) => {
            CURRENT.with(|c| c.set(run_id));
            fire_live(run_id, &config, seed, transport);
        }
        Ok(ToWorker::Cancel { run_id }) => {
            CURRENT.with(|c| {
                if c.get() == run_id {
                    c.set(0);
                }
            });
            LIVE.with(|l| {
                if let Some((id, handle)) = l.borrow().as_ref() {
                    if *id == run_id {
                        handle.cancel();
                    }
                }
            });
        }
        Ok(ToWorker::FullTrace {
            run_id,
            config,
            seed,
            live,
        }) => post(&full_trace(run_id, &config, seed, live)),
        Ok(ToWorker::Import { request_id, .. }) => post(&FromWorker::Imported {
            request_id,
            result: Err(NOT_HERE.into()),
        }),
        Ok(ToWorker::Export { request_id, .. }) => post(&FromWorker::Exported {
            request_id,
            result: Err(NOT_HERE.into()),
        }),
        Ok(ToWorker::Point(job)) => post(&FromWorker::Point {
            batch_id: job.batch_id,
            index: job.index,
            result: crate::point(&job),
        }),
        Err(e) => post(&FromWorker::Failed {
            run_id: 0,
            message: format!("the run worker could not read a message: {e}"),
        }),
    }
}

fn full_trace(run_id: u64, config: &flaky::sim::RunConfig, seed: u64, live: bool) -> FromWorker {
    if !live {
        return match crate::full_trace_json(config, seed) {
            Ok(json) => FromWorker::FullTrace { run_id, json },
            Err(message) => FromWorker::Failed { run_id, message },
        };
    }
    LIVE_TRACE.with(|t| match t.borrow().as_ref() {
        Some((id, trace)) if *id == run_id => match serde_json::to_string(trace) {
            Ok(json) => FromWorker::FullTrace { run_id, json },
            Err(e) => FromWorker::Failed {
                run_id,
                message: format!("the trace could not be written: {e}"),
            },
        },
        _ => FromWorker::Failed {
            run_id,
            message: "no trace download: this live run is no longer kept (only the last one is)"
                .into(),
        },
    })
}

/// Stops the live run going on, if any (its last update still goes out).
fn stop_live() {
    LIVE.with(|l| {
        if let Some((_, handle)) = l.borrow_mut().take() {
            handle.cancel();
        }
    });
}

fn transport_for(kind: TransportKind) -> Transport {
    TRANSPORT.with(|t| {
        let mut t = t.borrow_mut();
        match t.as_ref() {
            Some((k, transport)) if *k == kind => transport.clone(),
            _ => {
                let transport = Transport::from_kind(&kind);
                *t = Some((kind, transport.clone()));
                transport
            }
        }
    })
}

fn fire_live(run_id: u64, config: &flaky::sim::RunConfig, seed: u64, kind: TransportKind) {
    stop_live();
    let transport = transport_for(kind);
    let on_update = move |update: LiveUpdate| {
        let LiveUpdate {
            trace,
            running,
            problem,
        } = update;
        let for_page = crate::for_the_page(&trace);
        if !running {
            LIVE_TRACE.with(|t| *t.borrow_mut() = Some((run_id, trace)));
        }
        post(&FromWorker::LiveUpdate {
            run_id,
            trace: Box::new(for_page),
            running,
            problem,
        });
    };
    let handle = live::fire(&transport, config, seed, Fire::Scenario, on_update);
    LIVE.with(|l| *l.borrow_mut() = Some((run_id, handle)));
}

fn is_current(run_id: u64) -> bool {
    CURRENT.with(|c| c.get() == run_id)
}

async fn simulate(run_id: u64, config: flaky::sim::RunConfig, seed: u64, lanes_max: u32) {
    // Let a message already queued behind this one (a newer run) win first.
    TimeoutFuture::new(0).await;
    if !is_current(run_id) {
        return;
    }
    let mut job = match Job::new(&config, seed, lanes_max) {
        Ok(job) => job,
        Err(message) => {
            post(&FromWorker::Failed { run_id, message });
            return;
        }
    };
    let started = now_ms();
    let mut progress_gate = crate::ProgressGate::default();
    loop {
        match job.slice(now_ms) {
            Slice::Done(trace) => {
                post(&FromWorker::Done {
                    run_id,
                    trace,
                    compute_ms: now_ms() - started,
                });
                return;
            }
            Slice::More(progress) => {
                if progress_gate.due(now_ms()) {
                    post(&FromWorker::Progress { run_id, progress });
                }
                crate::next_task::next_task().await;
                if !is_current(run_id) {
                    return;
                }
            }
        }
    }
}
