//! The mock service worker's wasm glue. `www/service-worker.js` loads this
//! (wasm-bindgen `no-modules` output) and, for every fetch under `/mock/`,
//! answers with `wasm_bindgen.handle(event.request)`.
//!
//! Every fault is real: latency is a `setTimeout`, a hang is a promise that
//! settles only when the page aborts the fetch (the request's `signal`), a
//! reset is `Response.error()` (the page's `fetch` rejects).

use std::cell::RefCell;

use flaky::Reply;
use js_sys::{Array, Function, Promise, Reflect};
use mock_sw::{Answer, Incoming, Mock, Plain, SERVED_BY_HEADER};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, Response, ResponseInit, WorkerGlobalScope};

thread_local! {
    static MOCK: RefCell<Mock> = RefCell::new(Mock::default());
}

fn main() {}

fn global() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// The worker's monotonic clock, ms.
fn now_ms() -> f64 {
    global()
        .performance()
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Answers one request under `/mock/`. Never rejects: a failure to build a
/// response becomes `Response.error()` (the page's fetch rejects).
#[wasm_bindgen]
pub async fn handle(request: Request) -> Response {
    match answer(&request).await {
        Ok(response) => response,
        Err(_) => Response::error(),
    }
}

async fn answer(request: &Request) -> Result<Response, JsValue> {
    let url = request.url();
    let method = request.method();
    let headers = request.headers();
    let run_id = headers.get(mock_sw::RUN_HEADER).ok().flatten();
    let key = headers.get("Idempotency-Key").ok().flatten();
    let body = match request.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let incoming = Incoming {
        method: &method,
        path: mock_sw::path_of(&url),
        run_id: run_id.as_deref(),
        idempotency_key: key.as_deref(),
        body: &body,
    };
    let answer = MOCK.with(|m| m.borrow_mut().handle(now_ms(), &incoming));
    let (run_id, request_id, delay_ms, reply) = match answer {
        Answer::Now(plain) => return respond(&plain),
        Answer::Server {
            run_id,
            request_id,
            delay_ms,
            reply,
        } => (run_id, request_id, delay_ms, reply),
    };
    let signal = signal_of(request);
    let aborted = match reply {
        Reply::Hang => {
            JsFuture::from(aborted(signal.as_ref())).await?;
            true
        }
        _ => wait(delay_ms, signal.as_ref()).await?,
    };
    if aborted {
        MOCK.with(|m| m.borrow_mut().cancel(now_ms(), &run_id, request_id));
        return Ok(Response::error());
    }
    match reply {
        Reply::Respond {
            status,
            headers,
            body,
            ..
        } => respond(&Plain {
            status,
            headers,
            body,
        }),
        Reply::Reset { .. } | Reply::Hang => Ok(Response::error()),
    }
}

/// The request's `AbortSignal`, where the browser gives one to the worker.
fn signal_of(request: &Request) -> Option<AbortSignal> {
    Reflect::get(request, &JsValue::from_str("signal"))
        .ok()
        .and_then(|s| s.dyn_into::<AbortSignal>().ok())
}

/// Settles when `signal` aborts; never without one.
fn aborted(signal: Option<&AbortSignal>) -> Promise {
    Promise::new(&mut |resolve: Function, _reject| {
        if let Some(signal) = signal {
            if signal.aborted() {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::TRUE);
            } else {
                let _ = signal.add_event_listener_with_callback("abort", &resolve);
            }
        }
    })
}

/// Waits `ms`; `true` if the page aborted first.
async fn wait(ms: u64, signal: Option<&AbortSignal>) -> Result<bool, JsValue> {
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    let sleep = Promise::new(&mut |resolve: Function, _reject| {
        let _ = global().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let first = JsFuture::from(Promise::race(&Array::of2(&sleep, &aborted(signal)))).await?;
    Ok(!first.is_undefined())
}

fn respond(plain: &Plain) -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &plain.headers {
        headers.append(name, value)?;
    }
    headers.append(SERVED_BY_HEADER, "mock-sw")?;
    let init = ResponseInit::new();
    init.set_status(plain.status);
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(&plain.body), &init)
}
