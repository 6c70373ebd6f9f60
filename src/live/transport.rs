//! Where a live attempt's requests go: the mock service worker (real
//! `fetch()` to `/mock/...`) or the same `flaky::Server` running in the page.

use std::cell::RefCell;
use std::rc::Rc;

use flaky::{Counters, EndpointConfig, Reply, Request, Server};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RegistrationOptions, RequestInit, Response};

use super::time::{perf_now, race, since, sleep_ms, Raced, Signal};
use super::RunHandle;

/// The path prefix the worker answers.
pub const MOCK_PREFIX: &str = "/mock";
/// The request header naming the run a mock request belongs to.
pub const RUN_HEADER: &str = "X-Mock-Run";
/// The request header with the page's id for a mock request (for `_control/cancel`).
pub const REQUEST_HEADER: &str = "X-Mock-Request";
/// The response header naming a worker-level error (`run-lost`).
pub const ERROR_HEADER: &str = "X-Mock-Error";
/// `X-Mock-Error` when the worker has no run or another one.
pub const RUN_LOST: &str = "run-lost";
/// The response header on every answer of the worker (`mock-sw`).
pub const SERVED_BY_HEADER: &str = "X-Mock-Served-By";
pub use flaky::sim::SERVER_SEED_XOR;
/// The worker script, registered with scope `/`.
pub const WORKER_URL: &str = "/service-worker.js";
/// How long [`Transport::connect`] waits for the worker to control the page, ms.
pub const CONNECT_WAIT_MS: u64 = 4_000;
/// How long a control request (start a run, read counters) may take, ms.
const CONTROL_TIMEOUT_MS: u64 = 5_000;

/// What the UI shows in its `sw-status` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportStatus {
    /// `"service-worker"` or `"in-page"`.
    pub kind: &'static str,
    /// One line: which transport and, for the in-page one, why.
    pub detail: String,
}

/// Where live requests go. Cheap to clone (shared state behind an `Rc`).
#[derive(Clone)]
pub struct Transport {
    inner: Rc<Inner>,
}

struct Inner {
    kind: Kind,
    detail: String,
    /// The run in progress on this transport: a new run supersedes it.
    current: RefCell<Option<RunHandle>>,
}

enum Kind {
    ServiceWorker,
    InPage(Rc<RefCell<Option<InPageRun>>>),
}

/// The in-page server's run.
struct InPageRun {
    id: String,
    server: Server,
    origin: f64,
    next_request_id: u64,
}

/// A response as the live driver needs it.
pub(crate) struct Received {
    pub status: u16,
    /// The raw `Retry-After` header.
    pub retry_after: Option<String>,
}

/// Why a request got no response.
pub(crate) enum SendError {
    /// The fetch rejected (a reset, or the worker lost the reply): an attempt outcome.
    Network,
    /// The worker has no run or another one: the run is broken.
    RunLost(String),
    /// Anything else that is not the endpoint's doing (no window, a foreign answer).
    Problem(String),
}

impl Transport {
    /// Registers the mock service worker and waits (at most [`CONNECT_WAIT_MS`])
    /// until it controls the page; otherwise (no service workers, not a secure
    /// context, a hard reload, a registration error) the in-page server, with
    /// the reason in [`Transport::status`].
    pub async fn connect() -> Transport {
        match connect_worker().await {
            Ok(()) => Transport::new(
                Kind::ServiceWorker,
                format!("real fetch() to {MOCK_PREFIX}/… answered by the mock service worker"),
            ),
            Err(reason) => Transport::in_page(reason),
        }
    }

    /// The in-page server (same `flaky::Server`, real timers), with the reason
    /// it is used.
    pub fn in_page(reason: impl Into<String>) -> Transport {
        Transport::new(
            Kind::InPage(Rc::new(RefCell::new(None))),
            format!("in-page mock server: {}", reason.into()),
        )
    }

    fn new(kind: Kind, detail: String) -> Transport {
        Transport {
            inner: Rc::new(Inner {
                kind,
                detail,
                current: RefCell::new(None),
            }),
        }
    }

    /// For the UI's `sw-status` element.
    pub fn status(&self) -> TransportStatus {
        TransportStatus {
            kind: match self.inner.kind {
                Kind::ServiceWorker => "service-worker",
                Kind::InPage(_) => "in-page",
            },
            detail: self.inner.detail.clone(),
        }
    }

    /// Whether requests go through the mock service worker.
    pub fn is_service_worker(&self) -> bool {
        matches!(self.inner.kind, Kind::ServiceWorker)
    }

    /// Makes the in-page server forget its run, as a browser that stops an
    /// idle service worker does: the run's next request gets "run lost".
    /// (Tests use it; no effect on the service-worker transport.)
    #[doc(hidden)]
    pub fn simulate_restart(&self) {
        if let Kind::InPage(state) = &self.inner.kind {
            if let Ok(mut s) = state.try_borrow_mut() {
                *s = None;
            }
        }
    }

    /// Makes `run` the current run; returns the one it supersedes.
    pub(crate) fn replace_current(&self, run: RunHandle) -> Option<RunHandle> {
        self.inner.current.try_borrow_mut().ok()?.replace(run)
    }

    /// Starts run `run_id`: a fresh server with `endpoint`, seeded from `seed`
    /// like the simulator's, its clock at 0 now.
    pub(crate) async fn start_run(
        &self,
        run_id: &str,
        seed: u64,
        endpoint: &EndpointConfig,
        stop: &Signal,
    ) -> Result<(), String> {
        match &self.inner.kind {
            Kind::InPage(state) => {
                let run = InPageRun {
                    id: run_id.to_string(),
                    server: Server::new(endpoint.clone(), seed ^ SERVER_SEED_XOR),
                    origin: perf_now(),
                    next_request_id: 0,
                };
                *state
                    .try_borrow_mut()
                    .map_err(|_| "the in-page server is busy".to_string())? = Some(run);
                Ok(())
            }
            Kind::ServiceWorker => {
                let body = serde_json::to_string(&RunStart {
                    run_id,
                    seed,
                    endpoint,
                })
                .map_err(|e| format!("cannot encode the run's config: {e}"))?;
                let path = format!("{MOCK_PREFIX}/_control/run");
                let response = control(&path, "POST", None, Some(&body), stop).await?;
                if response.status() == 200 {
                    Ok(())
                } else {
                    let text = body_text(&response).await;
                    Err(format!(
                        "the mock worker refused to start the run ({}): {text}",
                        response.status()
                    ))
                }
            }
        }
    }

    /// The server's counters for run `run_id`. `Err((lost, message))`.
    pub(crate) async fn counters(
        &self,
        run_id: &str,
        stop: &Signal,
    ) -> Result<Counters, (bool, String)> {
        match &self.inner.kind {
            Kind::InPage(state) => match &*state
                .try_borrow()
                .map_err(|_| (false, "the in-page server is busy".to_string()))?
            {
                Some(run) if run.id == run_id => Ok(run.server.counters().clone()),
                _ => Err((true, run_lost_text())),
            },
            Kind::ServiceWorker => {
                let path = format!("{MOCK_PREFIX}/_control/counters");
                let response = control(&path, "GET", Some(run_id), None, stop)
                    .await
                    .map_err(|e| (false, e))?;
                if is_run_lost(&response) {
                    return Err((true, run_lost_text()));
                }
                let status = response.status();
                let text = body_text(&response).await;
                if status != 200 {
                    return Err((
                        false,
                        format!("reading the mock worker's counters failed ({status}): {text}"),
                    ));
                }
                // Typed, not `serde_json::Value`: keeps the app's wasm smaller.
                let reply: CountersReply = serde_json::from_str(&text).map_err(|e| {
                    (
                        false,
                        format!("the mock worker's counters are malformed: {e}"),
                    )
                })?;
                if reply.run_id.as_deref() != Some(run_id) {
                    return Err((true, run_lost_text()));
                }
                Ok(reply.counters)
            }
        }
    }

    /// Sends one request of run `run_id` and waits for its response. Dropping
    /// the future aborts the request (the fetch's `AbortController`; in the
    /// page, `Server::cancel`): that is how timeouts and stops end it.
    pub(crate) async fn send(
        &self,
        run_id: &str,
        request: &Request,
    ) -> Result<Received, SendError> {
        match &self.inner.kind {
            Kind::InPage(state) => send_in_page(state, run_id, request).await,
            Kind::ServiceWorker => send_fetch(run_id, request).await,
        }
    }
}

fn run_lost_text() -> String {
    "the mock server lost this run's state (the browser stopped and restarted the service worker, \
     or another tab started a run); the run was stopped: fire again"
        .to_string()
}

async fn send_in_page(
    state: &Rc<RefCell<Option<InPageRun>>>,
    run_id: &str,
    request: &Request,
) -> Result<Received, SendError> {
    let (reply, request_id, origin) = {
        let mut guard = state
            .try_borrow_mut()
            .map_err(|_| SendError::Problem("the in-page server is busy".into()))?;
        let Some(run) = guard.as_mut().filter(|r| r.id == run_id) else {
            return Err(SendError::RunLost(run_lost_text()));
        };
        run.next_request_id = run.next_request_id.saturating_add(1);
        let mut request = request.clone();
        request.id = run.next_request_id;
        let now = since(run.origin);
        (run.server.handle(now, &request), request.id, run.origin)
    };
    let mut cancel = CancelOnDrop {
        state: state.clone(),
        run_id: run_id.to_string(),
        request_id,
        armed: true,
    };
    let wait_until = |at_ms: u64| async move {
        loop {
            let now = since(origin);
            if now >= at_ms {
                break;
            }
            sleep_ms(at_ms - now).await;
        }
    };
    match reply {
        Reply::Respond {
            at_ms,
            status,
            headers,
            ..
        } => {
            wait_until(at_ms).await;
            cancel.armed = false;
            let retry_after = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
                .map(|(_, v)| v.clone());
            Ok(Received {
                status,
                retry_after,
            })
        }
        Reply::Reset { at_ms } => {
            wait_until(at_ms).await;
            cancel.armed = false;
            Err(SendError::Network)
        }
        // Never answers: only the driver's timeout (or a stop) drops this future.
        Reply::Hang => futures::future::pending().await,
    }
}

/// Tells the in-page server the client gave up on a request (timeout, stop).
struct CancelOnDrop {
    state: Rc<RefCell<Option<InPageRun>>>,
    run_id: String,
    request_id: u64,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(mut state) = self.state.try_borrow_mut() {
            if let Some(run) = state.as_mut().filter(|r| r.id == self.run_id) {
                let now = since(run.origin);
                run.server.cancel(now, self.request_id);
            }
        }
    }
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
            let body = serde_json::to_string(&Cancel {
                run_id: &run_id,
                request_id,
            })
            .unwrap_or_default();
            wasm_bindgen_futures::spawn_local(async move {
                let path = format!("{MOCK_PREFIX}/_control/cancel");
                let headers = [("Content-Type", "application/json")];
                // Best effort: a worker that missed it only counts the request in flight longer.
                let _ = fetch(&path, "POST", &headers, Some(&body), None).await;
            });
        }
    }
}

thread_local! {
    /// The next `X-Mock-Request` id (unique in the page, hence in every run).
    static NEXT_REQUEST_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

/// A real `fetch()`; the response (any status) or why there is none.
async fn fetch(
    path: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    cancel: Option<(String, u64)>,
) -> Result<Response, SendError> {
    let window = web_sys::window().ok_or_else(|| SendError::Problem("no window".into()))?;
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
    let promise = window.fetch_with_str_and_init(path, &init);
    let result = JsFuture::from(promise).await;
    guard.controller = None; // finished: nothing to abort
    let value = result.map_err(|_| SendError::Network)?;
    value
        .dyn_into::<Response>()
        .map_err(|_| SendError::Problem("fetch() gave something that is not a Response".into()))
}

fn is_run_lost(response: &Response) -> bool {
    header(response, ERROR_HEADER).as_deref() == Some(RUN_LOST)
}

fn header(response: &Response, name: &str) -> Option<String> {
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

async fn send_fetch(run_id: &str, request: &Request) -> Result<Received, SendError> {
    let path = format!("{MOCK_PREFIX}{}", request.path);
    let mut headers: Vec<(&str, &str)> = vec![(RUN_HEADER, run_id)];
    headers.extend(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
    );
    let body = (!request.body.is_empty()).then_some(request.body.as_str());
    if body.is_some() {
        headers.push(("Content-Type", "text/plain"));
    }
    let id = NEXT_REQUEST_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    let id_text = id.to_string();
    headers.push((REQUEST_HEADER, &id_text));
    let cancel = Some((run_id.to_string(), id));
    let response = fetch(&path, request.method.as_str(), &headers, body, cancel).await?;
    if header(&response, SERVED_BY_HEADER).is_none() {
        return Err(SendError::Problem(not_the_worker(&path)));
    }
    match header(&response, ERROR_HEADER).as_deref() {
        Some(RUN_LOST) => return Err(SendError::RunLost(run_lost_text())),
        Some(other) => {
            let text = body_text(&response).await;
            return Err(SendError::Problem(format!(
                "the mock worker failed ({other}): {text}"
            )));
        }
        None => {}
    }
    Ok(Received {
        status: response.status(),
        retry_after: header(&response, "Retry-After"),
    })
}

/// A control request to the worker, bounded by [`CONTROL_TIMEOUT_MS`].
async fn control(
    path: &str,
    method: &str,
    run_id: Option<&str>,
    body: Option<&str>,
    stop: &Signal,
) -> Result<Response, String> {
    let mut headers = Vec::new();
    if let Some(id) = run_id {
        headers.push((RUN_HEADER, id));
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
    if header(&response, SERVED_BY_HEADER).is_none() {
        return Err(not_the_worker(path));
    }
    Ok(response)
}

/// Registers the worker and waits until it controls the page.
async fn connect_worker() -> Result<(), String> {
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
    options.set_scope("/");
    JsFuture::from(container.register_with_options(WORKER_URL, &options))
        .await
        .map_err(|e| format!("registering {WORKER_URL} failed: {}", js_text(&e)))?;
    let start = perf_now();
    while container.controller().is_none() {
        if since(start) >= CONNECT_WAIT_MS {
            return Err(format!(
                "the mock service worker did not take control of this page within {} s \
                 (a hard reload bypasses service workers: reload normally)",
                CONNECT_WAIT_MS / 1000
            ));
        }
        sleep_ms(50).await;
    }
    // A health check: the worker answers its control endpoint.
    let path = format!("{MOCK_PREFIX}/_control/health");
    control(&path, "GET", None, None, &Signal::default()).await?;
    Ok(())
}

/// The body of `POST /mock/_control/run`.
#[derive(serde::Serialize)]
struct RunStart<'a> {
    run_id: &'a str,
    seed: u64,
    endpoint: &'a flaky::EndpointConfig,
}

/// The body of `POST /mock/_control/cancel`.
#[derive(serde::Serialize)]
struct Cancel<'a> {
    run_id: &'a str,
    request_id: u64,
}

/// The answer of `GET /mock/_control/counters`.
#[derive(serde::Deserialize)]
struct CountersReply {
    run_id: Option<String>,
    counters: Counters,
}

/// A JS error's message, or its debug form.
pub(crate) fn js_text(value: &JsValue) -> String {
    if let Some(s) = value.as_string() {
        return s;
    }
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    format!("{value:?}")
}
