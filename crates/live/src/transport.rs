//! Where a live attempt's requests go: the mock service worker (real
//! `fetch()` to `/mock/...`) or, when no worker controls the page, the
//! worker's own request handling ([`mock_sw::Mock`]) running in the page.
//! Both speak [`flaky::protocol`]: the worker gets the protocol's headers,
//! the in-page server the same facts typed, and both serve them with
//! [`mock_sw::Mock::serve`].

use std::cell::RefCell;
use std::rc::Rc;

use flaky::protocol::{self, header, RunStart, MOCK_PREFIX};
use flaky::world::Identity;
use flaky::{Counters, EndpointConfig, Request};
use js_sys::Reflect;
use mock_sw::Mock;
use wasm_bindgen::{JsCast, JsValue};

use super::time::Signal;
use super::RunHandle;

mod in_page;
mod worker;

/// The worker script, next to the page, registered with the page's own
/// directory as its scope ([`WORKER_SCOPE`]): `/` at the site root, or the
/// sub-path a build is hosted under (`trunk build --public-url /playground/`).
/// Both resolve against the page's URL.
pub const WORKER_URL: &str = "./service-worker.js";
/// The scope the worker is registered with: the page's directory.
pub const WORKER_SCOPE: &str = "./";
/// How long [`Transport::connect`] waits for the worker to control the page, ms.
pub const CONNECT_WAIT_MS: u64 = 4_000;

const IN_PAGE_PREFIX: &str = "in-page mock server: ";

fn sw_detail() -> String {
    format!("real fetch() to {MOCK_PREFIX}/… answered by the mock service worker")
}

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
    /// The worker's logic, in the page.
    InPage(Rc<RefCell<Mock>>),
}

/// A response as the live driver needs it.
pub(crate) struct Received {
    pub status: u16,
    /// The raw `Retry-After` header.
    pub retry_after: Option<String>,
    /// `x-amz-retry-after`, `grpc-retry-pushback-ms` and the error code.
    pub hints: policy::hints::ReplyHints,
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

/// Where the mock endpoints are, as the page found them: what the run worker
/// is told, so its live runs use the same transport.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// The mock service worker controls the page (and so its workers).
    ServiceWorker,
    /// No service worker: the mock's own logic runs beside the driver.
    InPage { reason: String },
}

impl Transport {
    /// What [`Transport::from_kind`] rebuilds this transport from.
    pub fn kind(&self) -> TransportKind {
        match &self.inner.kind {
            Kind::ServiceWorker => TransportKind::ServiceWorker,
            Kind::InPage(_) => TransportKind::InPage {
                reason: self
                    .inner
                    .detail
                    .strip_prefix(IN_PAGE_PREFIX)
                    .unwrap_or(&self.inner.detail)
                    .to_string(),
            },
        }
    }

    /// The transport the page found, in another context of the page (its
    /// run worker): the service worker (already registered and in control)
    /// or a fresh in-page mock.
    pub fn from_kind(kind: &TransportKind) -> Transport {
        match kind {
            TransportKind::ServiceWorker => Transport::new(Kind::ServiceWorker, sw_detail()),
            TransportKind::InPage { reason } => Transport::in_page(reason.clone()),
        }
    }

    /// Registers the mock service worker and waits (at most [`CONNECT_WAIT_MS`])
    /// until it controls the page; otherwise (no service workers, not a secure
    /// context, a hard reload, a registration error) the in-page server, with
    /// the reason in [`Transport::status`].
    pub async fn connect() -> Transport {
        match worker::connect().await {
            Ok(()) => Transport::new(Kind::ServiceWorker, sw_detail()),
            Err(reason) => Transport::in_page(reason),
        }
    }

    /// The in-page server (the worker's own logic, real timers), with the
    /// reason it is used.
    pub fn in_page(reason: impl Into<String>) -> Transport {
        Transport::new(
            Kind::InPage(Rc::new(RefCell::new(Mock::default()))),
            format!("{IN_PAGE_PREFIX}{}", reason.into()),
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

    /// Makes the in-page server forget its runs, as a browser that stops an
    /// idle service worker does: a run's next request gets "run lost".
    /// (Tests use it; no effect on the service-worker transport.)
    #[doc(hidden)]
    pub fn simulate_restart(&self) {
        if let Kind::InPage(mock) = &self.inner.kind {
            mock.borrow_mut().forget_all();
        }
    }

    /// Makes `run` the current run; returns the one it supersedes.
    pub(crate) fn replace_current(&self, run: RunHandle) -> Option<RunHandle> {
        self.inner.current.borrow_mut().replace(run)
    }

    /// Starts run `run_id`: a fresh server with `endpoint`, seeded from `seed`
    /// like the simulator's, its clock at 0 now. Other runs are untouched.
    pub(crate) async fn start_run(
        &self,
        run_id: &str,
        seed: u64,
        endpoint: &EndpointConfig,
        stop: &Signal,
    ) -> Result<(), String> {
        let start = RunStart {
            run_id: run_id.to_string(),
            seed,
            endpoint: endpoint.clone(),
        };
        match &self.inner.kind {
            Kind::InPage(mock) => in_page::start_run(mock, start),
            Kind::ServiceWorker => worker::start_run(&start, stop).await,
        }
    }

    /// The server's counters for run `run_id`. `Err((lost, message))`.
    pub(crate) async fn counters(
        &self,
        run_id: &str,
        stop: &Signal,
    ) -> Result<Counters, (bool, String)> {
        match &self.inner.kind {
            Kind::InPage(mock) => in_page::counters(mock, run_id),
            Kind::ServiceWorker => worker::counters(run_id, stop).await,
        }
    }

    /// Sends one request of run `run_id`, sent by `identity`, and waits for
    /// its response. Dropping the future aborts the request (the fetch's
    /// `AbortController` and `_control/cancel`; in the page, `Mock::cancel`):
    /// that is how timeouts and stops end it.
    pub(crate) async fn send(
        &self,
        run_id: &str,
        request: &Request,
        identity: &Identity,
    ) -> Result<Received, SendError> {
        let outgoing = Outgoing::new(run_id, request, identity);
        match &self.inner.kind {
            Kind::InPage(mock) => in_page::send(mock, &outgoing).await,
            Kind::ServiceWorker => worker::send(&outgoing).await,
        }
    }
}

/// A mock request as both transports carry it: the protocol's headers set once.
pub(crate) struct Outgoing<'a> {
    pub run_id: &'a str,
    pub request: &'a Request,
    /// `X-Mock-Request`: unique in the page, hence in the run.
    pub request_id: u64,
    /// `X-Mock-Call`.
    pub identity: Identity,
    /// `X-Mock-Sent`: epoch ms.
    pub sent_epoch_ms: u64,
}

thread_local! {
    /// The next `X-Mock-Request` id (unique in the page, hence in every run).
    static NEXT_REQUEST_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

impl<'a> Outgoing<'a> {
    fn new(run_id: &'a str, request: &'a Request, identity: &Identity) -> Outgoing<'a> {
        let request_id = NEXT_REQUEST_ID.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1) % protocol::REQUEST_IDS_END);
            id
        });
        Outgoing {
            run_id,
            request,
            request_id,
            identity: *identity,
            sent_epoch_ms: js_sys::Date::now() as u64,
        }
    }

    /// `/mock/items`: the protocol's name (fetched relative to the page's or
    /// the run worker's URL, so under the app's sub-path, if any).
    pub fn path(&self) -> String {
        format!("{MOCK_PREFIX}{}", self.request.path)
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&str> {
        (!self.request.body.is_empty()).then_some(self.request.body.as_str())
    }
}

/// A new run's id, from 128 random bits (`crypto.getRandomValues`, or
/// `Math.random` where there is no `crypto`): two tabs starting a run in the
/// same millisecond still get two runs.
pub(crate) fn new_run_id() -> String {
    let array = js_sys::Uint32Array::new_with_length(4);
    let filled = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .filter(|c| c.is_object())
        .and_then(|crypto| {
            let fill = Reflect::get(&crypto, &JsValue::from_str("getRandomValues")).ok()?;
            let fill = fill.dyn_into::<js_sys::Function>().ok()?;
            fill.call1(&crypto, &array).ok()
        })
        .is_some();
    let word = |i: u32| {
        if filled {
            array.get_index(i)
        } else {
            (js_sys::Math::random() * 4_294_967_296.0) as u32
        }
    };
    protocol::run_id_from([word(0), word(1), word(2), word(3)])
}

/// The idempotency key a request carries.
pub(crate) fn idempotency_key(request: &Request) -> Option<&str> {
    request.header(header::IDEMPOTENCY_KEY)
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
