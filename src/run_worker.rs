//! The page's handle on its workers (`crates/run-worker`), so the page stays
//! responsive and its rendering never delays a timer; a newer run replaces
//! an older one at once.
//! - A run worker (`www/run-worker-loader.js`, a module worker running the
//!   page's own wasm, which the page hands it compiled: no download) computes
//!   simulated runs, in slices, sweep points and trace downloads, and keeps
//!   live runs' fetches and timers.
//! - The config worker (`www/config-worker-loader.js`, its own wasm, loaded
//!   after the first result) writes and reads configs.

use std::rc::Rc;

use flaky::sim::RunConfig;
use run_worker::{FromWorker, ToWorker};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::Callback;

/// Which worker: both speak `ToWorker` and `FromWorker`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerKind {
    /// Runs, sweep points, trace downloads: the page's own wasm.
    Run,
    /// Export and import: the config worker's wasm.
    Config,
}

impl WorkerKind {
    /// The loader script, next to the page.
    pub fn loader_url(self) -> &'static str {
        match self {
            WorkerKind::Run => "./run-worker-loader.js",
            WorkerKind::Config => "./config-worker-loader.js",
        }
    }
}

/// Lanes a simulated run keeps in detail for the timeline.
pub const LANES_MAX: u32 = 200;

/// A running worker; dropping it stops the worker.
pub struct RunWorker {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for RunWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

impl RunWorker {
    /// Starts a worker of `kind`; every message it sends goes to `on_message`.
    pub fn spawn(
        kind: WorkerKind,
        on_message: Callback<FromWorker>,
    ) -> Result<Rc<RunWorker>, String> {
        let loader = kind.loader_url();
        let options = WorkerOptions::new();
        if kind == WorkerKind::Run {
            options.set_type(WorkerType::Module);
        }
        let worker = Worker::new_with_options(loader, &options)
            .map_err(|e| format!("the run worker could not start: {}", js_text(&e)))?;
        // A worker whose script fails to load (or that throws) would leave a
        // run "running" for ever: it fails the run in progress instead.
        let on_error = {
            let on_message = on_message.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                let detail = js_sys::Reflect::get(&event, &JsValue::from_str("message"))
                    .ok()
                    .and_then(|m| m.as_string())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| format!("{loader} could not be loaded"));
                on_message.emit(FromWorker::Broken {
                    message: format!("the run worker failed: {detail}"),
                });
            })
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let message = match event.data().as_string() {
                Some(text) => serde_json::from_str::<FromWorker>(&text).unwrap_or_else(|e| {
                    FromWorker::Failed {
                        run_id: 0,
                        message: format!("the run worker sent something unreadable: {e}"),
                    }
                }),
                None => return,
            };
            on_message.emit(message);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The loader's first message: the wasm to instantiate (the page's
        // own module, compiled already), or null to fetch its own.
        let wasm = match kind {
            WorkerKind::Run => wasm_bindgen::module(),
            WorkerKind::Config => JsValue::NULL,
        };
        worker
            .post_message(&wasm)
            .map_err(|e| format!("the run worker could not start: {}", js_text(&e)))?;
        Ok(Rc::new(RunWorker {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        }))
    }

    fn post(&self, message: &ToWorker) -> Result<(), String> {
        let text = serde_json::to_string(message).map_err(|e| e.to_string())?;
        self.worker
            .post_message(&JsValue::from_str(&text))
            .map_err(|e| format!("the run worker is gone: {}", js_text(&e)))
    }

    /// Runs `config` on `seed` as run `run_id`; any older run stops.
    pub fn run(&self, run_id: u64, config: &RunConfig, seed: u64) -> Result<(), String> {
        self.post(&ToWorker::Run {
            run_id,
            config: Box::new(config.clone()),
            seed,
            lanes_max: LANES_MAX,
        })
    }

    /// Fires `config` live on `seed` as run `run_id`, through the transport
    /// the page found; any older run stops.
    pub fn live(
        &self,
        run_id: u64,
        config: &RunConfig,
        seed: u64,
        transport: live::TransportKind,
    ) -> Result<(), String> {
        self.post(&ToWorker::Live {
            run_id,
            config: Box::new(config.clone()),
            seed,
            transport,
        })
    }

    /// Stops run `run_id`.
    pub fn cancel(&self, run_id: u64) {
        let _ = self.post(&ToWorker::Cancel { run_id });
    }

    /// Reads a pasted config (answered as `Imported` with the same `request_id`).
    pub fn import(&self, request_id: u64, format: &str, text: &str) -> Result<(), String> {
        self.post(&ToWorker::Import {
            request_id,
            format: format.to_string(),
            text: text.to_string(),
        })
    }

    /// Writes `policy` for `target` (answered as `Exported` with the same `request_id`).
    pub fn export(
        &self,
        request_id: u64,
        target: &str,
        policy: &policy::PolicyConfig,
    ) -> Result<(), String> {
        self.post(&ToWorker::Export {
            request_id,
            target: target.to_string(),
            policy: Box::new(policy.clone()),
        })
    }

    /// Computes one sweep or profile point (answered as `Point`).
    pub fn point(&self, job: &flaky::sweep::PointJob) -> Result<(), String> {
        self.post(&ToWorker::Point(Box::new(job.clone())))
    }

    /// Asks for the full trace of run `run_id` (answered as `FullTrace`): a
    /// simulated run of `config` on `seed` is rerun in full; a live run's
    /// trace is the one the worker kept.
    pub fn full_trace(
        &self,
        run_id: u64,
        config: &RunConfig,
        seed: u64,
        live: bool,
    ) -> Result<(), String> {
        self.post(&ToWorker::FullTrace {
            run_id,
            config: Box::new(config.clone()),
            seed,
            live,
        })
    }
}

fn js_text(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{value:?}"))
}

/// Saves `text` as a file named `name` (a download).
pub fn download(name: &str, text: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("the download failed: {}", js_text(&e));
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
