//! The simulation worker's wasm glue. `www/sim-worker-loader.js` loads this
//! (wasm-bindgen `no-modules` output) and hands every message to
//! [`on_message`]. A run computes in slices; between slices it posts its
//! progress and yields to the event loop, so a newer message (a newer run, a
//! cancel) is read within one slice and the older run stops there.

use std::cell::Cell;

use gloo_timers::future::TimeoutFuture;
use sim_worker::{FromWorker, Job, Slice, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

fn main() {}

thread_local! {
    /// The run that may go on; any other stops at its next slice.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = postMessage)]
    fn post_message(message: &JsValue);
}

fn post(message: &FromWorker) {
    if let Ok(text) = serde_json::to_string(message) {
        post_message(&JsValue::from_str(&text));
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Tells the page the worker is ready.
#[wasm_bindgen]
pub fn start() {
    post(&FromWorker::Ready);
}

/// One message from the page (JSON text). Bad input is answered, never a panic.
#[wasm_bindgen]
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
            CURRENT.with(|c| c.set(run_id));
            spawn_local(run(run_id, *config, seed, lanes_max));
        }
        Ok(ToWorker::Cancel { run_id }) => CURRENT.with(|c| {
            if c.get() == run_id {
                c.set(0);
            }
        }),
        Ok(ToWorker::FullTrace {
            run_id,
            config,
            seed,
        }) => post(&match sim_worker::full_trace_json(&config, seed) {
            Ok(json) => FromWorker::FullTrace { run_id, json },
            Err(message) => FromWorker::Failed { run_id, message },
        }),
        Err(e) => post(&FromWorker::Failed {
            run_id: 0,
            message: format!("the simulation worker could not read a message: {e}"),
        }),
    }
}

fn is_current(run_id: u64) -> bool {
    CURRENT.with(|c| c.get() == run_id)
}

async fn run(run_id: u64, config: flaky::sim::RunConfig, seed: u64, lanes_max: u32) {
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
                post(&FromWorker::Progress { run_id, progress });
                TimeoutFuture::new(0).await;
                if !is_current(run_id) {
                    return;
                }
            }
        }
    }
}
