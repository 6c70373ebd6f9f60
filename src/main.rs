//! The page's wasm, which is also its run workers' (`www/run-worker-loader.js`
//! instantiates this module in a module worker and calls the two exports
//! below) and the mock service worker's (`www/service-worker.js` calls
//! [`mock_handle`]): the app mounts only where there is a window.

use wasm_bindgen::prelude::*;

fn main() {
    if web_sys::window().is_some() {
        resilience_playground::run();
    }
}

/// In a run worker: tells the page the worker is ready.
#[wasm_bindgen]
pub fn run_worker_start() {
    run_worker::host::start();
}

/// In a run worker: one message from the page.
#[wasm_bindgen]
pub fn run_worker_message(data: JsValue) {
    run_worker::host::on_message(data);
}

/// In the mock service worker: the answer to a request under its scope's
/// `mock/` (see `mock_sw::glue`).
#[wasm_bindgen]
pub async fn mock_handle(request: web_sys::Request) -> web_sys::Response {
    mock_sw::glue::handle(request).await
}
