//! The config worker's wasm glue: `www/config-worker-loader.js` loads this
//! (wasm-bindgen `no-modules` output) and hands every message to
//! [`on_message`]: the page's export ("Use this policy": a config for a
//! library) and import (a pasted config read into knobs), which need the
//! writers and parsers the page's own wasm leaves out. It is not in a first
//! visit's download: the page starts it after its first result.
//!
//! Runs are not here: the run worker is the page's own wasm
//! (`run_worker::host`), as is the mock service worker.

use run_worker::config::{answer, Answer};
use wasm_bindgen::prelude::*;

fn main() {}

fn post(message: &Answer) {
    if let Ok(text) = serde_json::to_string(message) {
        run_worker::host::post_text(&text);
    }
}

/// Tells the page the worker is ready.
#[wasm_bindgen]
pub fn start() {
    post(&Answer::Ready);
}

/// One message from the page (JSON text). Bad input is answered, never a panic.
#[wasm_bindgen]
pub fn on_message(data: JsValue) {
    if let Some(text) = data.as_string() {
        post(&answer(&text));
    }
}
