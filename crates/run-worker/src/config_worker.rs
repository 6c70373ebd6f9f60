//! The config worker's wasm glue: `www/config-worker-loader.js` loads this
//! (wasm-bindgen `no-modules` output) and hands every message to
//! [`on_message`]: the page's export ("Use this policy": a config for a
//! library) and import (a pasted config read into knobs), which need the
//! writers and parsers the page's own wasm leaves out. It is not in a first
//! visit's download: the page starts it after its first result.
//!
//! Runs are not here: the run worker is the page's own wasm
//! (`run_worker::host`), as is the mock service worker.

use run_worker::host::post;
use run_worker::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;

fn main() {}

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
    let answer = match serde_json::from_str::<ToWorker>(&text) {
        Ok(ToWorker::Import {
            request_id,
            format,
            text,
        }) => FromWorker::Imported {
            request_id,
            result: run_worker::import(&format, &text),
        },
        Ok(ToWorker::Export {
            request_id,
            target,
            policy,
        }) => FromWorker::Exported {
            request_id,
            result: run_worker::export(&target, &policy),
        },
        Ok(_) => FromWorker::Failed {
            run_id: 0,
            message: "the config worker only writes and reads configs (runs are the run worker's)"
                .into(),
        },
        Err(e) => FromWorker::Failed {
            run_id: 0,
            message: format!("the config worker could not read a message: {e}"),
        },
    };
    post(&answer);
}
