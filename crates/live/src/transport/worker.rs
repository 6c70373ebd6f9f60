//! The service-worker side: registration, real `fetch()` with aborts, and
//! the control endpoints ([`Control`]), all in [`flaky::protocol`]'s terms.

use flaky::protocol::{
    self, header, Cancel, Control, CountersReply, ErrorKind, ErrorReply, Health, RunStart,
    PROTOCOL_VERSION, SERVED_BY,
};
use flaky::Counters;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RegistrationOptions, RequestInit, Response};

use super::{
    idempotency_key, js_text, Outgoing, Received, SendError, CONNECT_WAIT_MS, WORKER_SCOPE,
    WORKER_URL,
};
use crate::time::{perf_now, race, since, sleep_ms, Raced, Signal};

/// How long a control request (start a run, read counters) may take, ms.
const CONTROL_TIMEOUT_MS: u64 = 5_000;

pub(super) async fn start_run(start: &RunStart, stop: &Signal) -> Result<(), String> {
    let body =
        serde_json::to_string(start).map_err(|e| format!("cannot encode the run's config: {e}"))?;
    let response = control(Control::Run, None, Some(&body), stop).await?;
    if response.status() == 200 {
        Ok(())
    } else {
        let status = response.status();
        let text = error_text(&body_text(&response).await);
        Err(format!(
            "the mock worker refused to start the run ({status}): {text}"
        ))
    }
}

pub(super) async fn counters(run_id: &str, stop: &Signal) -> Result<Counters, (bool, String)> {
    let response = control(Control::Counters, Some(run_id), None, stop)
        .await
        .map_err(|e| (false, e))?;
    if is_run_lost(&response) {
        return Err((true, protocol::RUN_LOST_TEXT.to_string()));
    }
    let status = response.status();
    let text = body_text(&response).await;
    if status != 200 {
        return Err((
            false,
            format!(
                "reading the mock worker's counters failed ({status}): {}",
                error_text(&text)
            ),
        ));
    }
    // Typed, not `serde_json::Value`: keeps the app's wasm smaller.
    let reply: CountersReply = serde_json::from_str(&text).map_err(|e| {
        (
            false,
            format!("the mock worker's counters are malformed: {e}"),
        )
    })?;
    if reply.run_id != run_id {
        return Err((true, protocol::RUN_LOST_TEXT.to_string()));
    }
    Ok(reply.counters)
}

pub(super) async fn send(out: &Outgoing<'_>) -> Result<Received, SendError> {
    let path = out.path();
    let request_id = out.request_id.to_string();
    let call = out.identity.to_string();
    let sent = out.sent_epoch_ms.to_string();
    let mut headers: Vec<(&str, &str)> = vec![
        (header::RUN, out.run_id),
        (header::REQUEST, &request_id),
        (header::CALL, &call),
        (header::SENT, &sent),
    ];
    if let Some(key) = idempotency_key(out.request) {
        headers.push((header::IDEMPOTENCY_KEY, key));
    }
    let body = out.body();
    if body.is_some() {
        headers.push(("Content-Type", "text/plain"));
    }
    let cancel = Some((out.run_id.to_string(), out.request_id));
    let method = out.request.method.as_str();
    let response = fetch(&path, method, &headers, body, cancel).await?;
    if !served_by_worker(&response) {
        return Err(SendError::Problem(not_the_worker(&path)));
    }
    received(&response).await
}

/// What the worker's answer to a mock request means for the driver: a
/// worker-level failure (`X-Mock-Error`) stops the run with the worker's
/// message; anything else is the endpoint's answer.
async fn received(response: &Response) -> Result<Received, SendError> {
    let status = response.status();
    let Some(error) = header_of(response, header::ERROR) else {
        let hint_headers: Vec<(&str, String)> = [
            policy::hints::AMZ_RETRY_AFTER,
            policy::hints::GRPC_PUSHBACK,
            policy::hints::ERROR_CODE,
        ]
        .into_iter()
        .filter_map(|name| header_of(response, name).map(|v| (name, v)))
        .collect();
        return Ok(Received {
            status,
            retry_after: header_of(response, "Retry-After"),
            hints: policy::hints::ReplyHints::from_headers(
                hint_headers.iter().map(|(n, v)| (*n, v.as_str())),
            ),
        });
    };
    if ErrorKind::parse(&error) == Some(ErrorKind::RunLost) {
        return Err(SendError::RunLost(protocol::RUN_LOST_TEXT.to_string()));
    }
    Err(SendError::Problem(format!(
        "the mock worker refused a request ({status}, {error}): {}",
        error_text(&body_text(response).await)
    )))
}

/// The message of an [`ErrorReply`] body, or the body as it is.
fn error_text(body: &str) -> String {
    serde_json::from_str::<ErrorReply>(body)
        .map(|e| e.error)
        .unwrap_or_else(|_| body.to_string())
}

/// Aborts a fetch that is dropped before it finished, and tells the worker
/// (`_control/cancel`: Chromium does not abort the worker's copy of the request).
struct AbortOnDrop {
    controller: Option<AbortController>,
    /// (run id, `X-Mock-Request` id) of a mock request.
    cancel: Option<(String, u64)>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(c) = self.controller.take() else {
            return;
        };
        c.abort();
        if let Some((run_id, request_id)) = self.cancel.take() {
            let body = serde_json::to_string(&Cancel { run_id, request_id }).unwrap_or_default();
            wasm_bindgen_futures::spawn_local(async move {
                let control = Control::Cancel;
                let headers = [("Content-Type", "application/json")];
                // Best effort: a worker that missed it only counts the request in flight longer.
                let _ = fetch(
                    control.path(),
                    control.method(),
                    &headers,
                    Some(&body),
                    None,
                )
                .await;
            });
        }
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `fetch()`: the page's, or the worker's (a dedicated worker
    /// of a page the mock service worker controls is controlled by it too).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &str, init: &RequestInit) -> js_sys::Promise;
}

/// The URL a protocol path is fetched at: relative (`mock/items`), so it
/// resolves against the page's URL (or, in the run worker, the worker
/// script's, which sits next to the page): `<where the app is hosted>/mock/items`,
/// inside the service worker's scope, also when the app is hosted under a
/// sub-path.
fn url_of(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

/// A real `fetch()` of a protocol path (see [`url_of`]); the response (any
/// status) or why there is none.
async fn fetch(
    path: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    cancel: Option<(String, u64)>,
) -> Result<Response, SendError> {
    let controller = AbortController::new().map_err(|e| SendError::Problem(js_text(&e)))?;
    let h = Headers::new().map_err(|e| SendError::Problem(js_text(&e)))?;
    for (name, value) in headers {
        h.set(name, value)
            .map_err(|e| SendError::Problem(format!("header {name}: {}", js_text(&e))))?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&h);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_signal(Some(&controller.signal()));
    let mut guard = AbortOnDrop {
        controller: Some(controller),
        cancel,
    };
    let promise = global_fetch(url_of(path), &init);
    let result = JsFuture::from(promise).await;
    guard.controller = None; // finished: nothing to abort
    let value = result.map_err(|_| SendError::Network)?;
    value
        .dyn_into::<Response>()
        .map_err(|_| SendError::Problem("fetch() gave something that is not a Response".into()))
}

fn is_run_lost(response: &Response) -> bool {
    header_of(response, header::ERROR)
        .and_then(|v| ErrorKind::parse(&v))
        .is_some_and(|k| k == ErrorKind::RunLost)
}

fn served_by_worker(response: &Response) -> bool {
    header_of(response, header::SERVED_BY).as_deref() == Some(SERVED_BY)
}

fn header_of(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

async fn body_text(response: &Response) -> String {
    match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn not_the_worker(path: &str) -> String {
    format!(
        "{path} was not answered by the mock service worker (the page is no longer controlled by it, \
         e.g. after a hard reload): reload the page normally"
    )
}

/// A control request to the worker, bounded by [`CONTROL_TIMEOUT_MS`].
async fn control(
    control: Control,
    run_id: Option<&str>,
    body: Option<&str>,
    stop: &Signal,
) -> Result<Response, String> {
    let (path, method) = (control.path(), control.method());
    let mut headers = Vec::new();
    if let Some(id) = run_id {
        headers.push((header::RUN, id));
    }
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let response = match race(
        fetch(path, method, &headers, body, None),
        Some(CONTROL_TIMEOUT_MS),
        stop,
    )
    .await
    {
        Raced::Done(Ok(r)) => r,
        Raced::Done(Err(SendError::Network)) => {
            return Err(format!(
                "{method} {path} failed: the mock worker did not answer"
            ))
        }
        Raced::Done(Err(SendError::Problem(m) | SendError::RunLost(m))) => return Err(m),
        Raced::TimedOut => {
            return Err(format!(
                "{method} {path}: no answer from the mock worker in {CONTROL_TIMEOUT_MS} ms"
            ))
        }
        Raced::Stopped => return Err("stopped".into()),
    };
    if !served_by_worker(&response) {
        return Err(not_the_worker(path));
    }
    Ok(response)
}

/// Registers the worker and waits until it controls the page and speaks
/// this page's protocol.
pub(super) async fn connect() -> Result<(), String> {
    let window = web_sys::window().ok_or("no window (not running in a page)")?;
    if !window.is_secure_context() {
        return Err("service workers need a secure context (https, localhost or 127.0.0.1)".into());
    }
    let navigator = window.navigator();
    let has_sw = Reflect::get(&navigator, &JsValue::from_str("serviceWorker"))
        .map(|v| !v.is_undefined() && !v.is_null())
        .unwrap_or(false);
    if !has_sw {
        return Err("this browser has no service workers here".into());
    }
    let container = navigator.service_worker();
    let options = RegistrationOptions::new();
    options.set_scope(WORKER_SCOPE);
    // A module worker: it imports the page's own wasm glue (one wasm).
    options.set_type("module");
    JsFuture::from(container.register_with_options(WORKER_URL, &options))
        .await
        .map_err(|e| format!("registering {WORKER_URL} failed: {}", js_text(&e)))?;
    let start = perf_now();
    let out_of_time = |why: String| {
        format!(
            "{why} within {} s (a hard reload bypasses service workers: reload normally)",
            CONNECT_WAIT_MS / 1000
        )
    };
    while container.controller().is_none() {
        if since(start) >= CONNECT_WAIT_MS {
            return Err(out_of_time(
                "the mock service worker did not take control of this page".into(),
            ));
        }
        sleep_ms(50).await;
    }
    // A health check: the worker answers its control endpoint, in this page's
    // protocol (an older worker may control the page until the new one claims it).
    loop {
        let response = control(Control::Health, None, None, &Signal::default()).await?;
        let text = body_text(&response).await;
        let spoken = serde_json::from_str::<Health>(&text).map_or(0, |h| h.protocol);
        if spoken == PROTOCOL_VERSION {
            return Ok(());
        }
        if since(start) >= CONNECT_WAIT_MS {
            return Err(out_of_time(format!(
                "the mock service worker speaks protocol {spoken}, this page {PROTOCOL_VERSION}, \
                 and no newer worker took over"
            )));
        }
        sleep_ms(100).await;
    }
}
