//! The mock service worker's wasm glue (the `glue` feature). It has no wasm
//! file of its own: the page's wasm exports [`handle`] as `mock_handle`
//! (the root package's `src/main.rs`), and `www/service-worker.js` imports
//! the page's glue and, for every fetch under its scope's `mock/`, answers
//! with `mock_handle(event.request)`: one wasm for the page, its run workers
//! and the service worker, which all link the flaky server model.
//!
//! Every fault is real: latency is a `setTimeout`, a hang is a promise that
//! settles only when the page gives up on the request (its
//! `_control/cancel`, or the request's `signal` where the browser aborts it),
//! a reset is `Response.error()` (the page's `fetch` rejects).

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::protocol::{header, SERVED_BY};
use crate::{Answer, Incoming, Mock, Now, Plain};
use flaky::Reply;
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, Response, ResponseInit, WorkerGlobalScope};

thread_local! {
    static MOCK: RefCell<Mock> = RefCell::new(Mock::default());
    /// Settles the pending response of (run id, request id): called on `_control/cancel`.
    static PENDING: RefCell<BTreeMap<(String, u64), Function>> = const { RefCell::new(BTreeMap::new()) };
}

fn global() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// The worker's clocks: monotonic (runs' clocks) and epoch (the page's `X-Mock-Sent`).
fn now() -> Now {
    let epoch_ms = js_sys::Date::now();
    Now {
        mono_ms: global().performance().map_or(epoch_ms, |p| p.now()),
        epoch_ms,
    }
}

/// The worker's scope (`self.registration.scope`, e.g.
/// `https://host/playground/`): mock paths are relative to it. `/` where
/// there is none (not running as a registered service worker).
fn scope() -> String {
    Reflect::get(&js_sys::global(), &JsValue::from_str("registration"))
        .ok()
        .and_then(|r| Reflect::get(&r, &JsValue::from_str("scope")).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "/".to_string())
}

/// Answers one request under `<scope>mock/`. Never rejects: a failure to build a
/// response becomes `Response.error()` (the page's fetch rejects).
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
    let get = |name: &str| headers.get(name).ok().flatten();
    let run_id = get(header::RUN);
    let key = get(header::IDEMPOTENCY_KEY);
    let request_id = get(header::REQUEST);
    let call = get(header::CALL);
    let sent = get(header::SENT);
    let path = crate::path_in_scope(&url, &scope());
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
        path: &path,
        run_id: run_id.as_deref(),
        idempotency_key: key.as_deref(),
        request_id: request_id.as_deref(),
        call: call.as_deref(),
        sent: sent.as_deref(),
        body: &body,
    };
    let answer = MOCK.with(|m| m.borrow_mut().handle(now(), &incoming));
    let (run_id, request_id, delay_ms, reply) = match answer {
        Answer::Now(plain) => return respond(&plain),
        Answer::Cancelled {
            run_id,
            request_id,
            reply,
        } => {
            let settle = PENDING.with(|p| p.borrow_mut().remove(&(run_id, request_id)));
            if let Some(settle) = settle {
                let _ = settle.call1(&JsValue::NULL, &JsValue::TRUE);
            }
            return respond(&reply);
        }
        Answer::Server {
            run_id,
            request_id,
            delay_ms,
            reply,
        } => (run_id, request_id, delay_ms, reply),
    };
    let key = (run_id.clone(), request_id);
    let gave_up = aborted(signal_of(request).as_ref(), &key);
    let aborted = match reply {
        Reply::Hang => JsFuture::from(gave_up).await.map(|_| true),
        _ => wait(delay_ms, gave_up).await,
    };
    PENDING.with(|p| p.borrow_mut().remove(&key));
    let aborted = aborted?;
    if aborted {
        MOCK.with(|m| m.borrow_mut().cancel(now(), &run_id, request_id));
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

/// Settles (with a non-undefined value) when the page gives up on request
/// `key`: its `_control/cancel`, or `signal` aborting where browsers do that.
fn aborted(signal: Option<&AbortSignal>, key: &(String, u64)) -> Promise {
    Promise::new(&mut |resolve: Function, _reject| {
        if let Some(signal) = signal {
            if signal.aborted() {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::TRUE);
                return;
            }
            let _ = signal.add_event_listener_with_callback("abort", &resolve);
        }
        PENDING.with(|p| p.borrow_mut().insert(key.clone(), resolve));
    })
}

/// Waits `ms`; `true` if the page gave up first (`gave_up` settled).
async fn wait(ms: u64, gave_up: Promise) -> Result<bool, JsValue> {
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    let sleep = Promise::new(&mut |resolve: Function, _reject| {
        let _ = global().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let first = JsFuture::from(Promise::race(&Array::of2(&sleep, &gave_up))).await?;
    Ok(!first.is_undefined())
}

fn respond(plain: &Plain) -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &plain.headers {
        headers.append(name, value)?;
    }
    headers.append(header::SERVED_BY, SERVED_BY)?;
    let init = ResponseInit::new();
    init.set_status(plain.status);
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(&plain.body), &init)
}
