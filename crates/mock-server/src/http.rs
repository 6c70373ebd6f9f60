//! The routes: the flaky endpoints under `/mock/`, the control endpoints,
//! the event stream; CORS for the page's origin (`cors.rs`).

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header as h, HeaderMap, HeaderName, HeaderValue, Method as HttpMethod};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Json, Router};
use flaky::protocol::native::{self, ServedRequest};
use flaky::protocol::{self, header, Control, CountersReply, ErrorKind, ErrorReply, Health};
use flaky::{Counters, Method, Reply};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt as _;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::conn::ConnInfo;
pub use crate::cors::AllowedOrigins;
use crate::world::{Incoming, World};
use crate::Options;

/// Longest request body read, bytes (an item's name is at most 256).
const BODY_BYTES_MAX: usize = 64 * 1024;
/// Longest `Idempotency-Key` accepted, bytes.
const KEY_BYTES_MAX: usize = 256;
/// A hang ends after this long by resetting its connection (memory stays bounded).
const HANG_MAX: Duration = Duration::from_secs(600);
/// Events a slow viewer may fall behind by before it misses some.
const EVENTS_BUFFERED: usize = 4_096;

/// What the event stream sends.
#[derive(Clone, Debug)]
enum Told {
    Served(Arc<ServedRequest>),
    Reset,
}

/// The world, its clock, and who listens.
struct Clocked {
    world: World,
    /// The clock's zero: the start or the last reset.
    zero: Instant,
}

impl Clocked {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.zero.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

pub struct Shared {
    clocked: Mutex<Clocked>,
    events: broadcast::Sender<Told>,
    served_total: AtomicU64,
    allowed: AllowedOrigins,
}

impl Shared {
    pub fn new(options: Options) -> Shared {
        Shared {
            clocked: Mutex::new(Clocked {
                world: World::new(options.endpoint, options.seed, options.trace_keep),
                zero: Instant::now(),
            }),
            events: broadcast::channel(EVENTS_BUFFERED).0,
            served_total: AtomicU64::new(0),
            allowed: options.allowed_origins,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Clocked> {
        // Nothing panics while holding it; a poisoned lock still holds a consistent world.
        self.clocked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests served since the start, and the counters since the last reset.
    pub fn totals(&self) -> (u64, Counters) {
        (
            self.served_total.load(Ordering::Relaxed),
            self.lock().world.counters().clone(),
        )
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    let allowed = shared.allowed.clone();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            allowed.allows(origin)
        }))
        .allow_methods([HttpMethod::GET, HttpMethod::POST, HttpMethod::PUT])
        .allow_headers([
            h::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-client-id"),
            HeaderName::from_static("x-mock-call"),
            HeaderName::from_static("x-mock-run"),
            HeaderName::from_static("x-mock-request"),
            HeaderName::from_static("x-mock-sent"),
        ])
        .expose_headers([
            h::RETRY_AFTER,
            HeaderName::from_static("x-mock-served-by"),
            HeaderName::from_static("x-mock-error"),
            HeaderName::from_static("x-flaky-fault"),
        ]);
    Router::new()
        .route(
            Control::Counters.path(),
            get(counters).fallback(wrong_method),
        )
        .route(Control::Health.path(), get(health).fallback(wrong_method))
        .route(Control::Reset.path(), post(reset).fallback(wrong_method))
        .route(native::TRACE_PATH, get(trace).fallback(wrong_method))
        .route(native::EVENTS_PATH, get(events).fallback(wrong_method))
        .route("/mock/_control/{*rest}", any(no_such_control))
        .route("/mock/{*rest}", any(endpoint))
        .fallback(not_mock)
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(cors)
        .with_state(shared)
}

fn served_by(mut response: Response) -> Response {
    response.headers_mut().insert(
        HeaderName::from_static("x-mock-served-by"),
        HeaderValue::from_static(native::SERVED_BY),
    );
    response
}

fn error(status: StatusCode, message: String) -> Response {
    served_by((status, Json(ErrorReply { error: message })).into_response())
}

fn bad_request(message: String) -> Response {
    let mut response = error(StatusCode::BAD_REQUEST, message);
    response.headers_mut().insert(
        HeaderName::from_static("x-mock-error"),
        HeaderValue::from_static(ErrorKind::BadRequest.as_str()),
    );
    response
}

fn control_list() -> String {
    format!(
        "GET {}, GET {}, POST {}, GET {}, GET {}",
        Control::Counters.path(),
        Control::Health.path(),
        Control::Reset.path(),
        native::TRACE_PATH,
        native::EVENTS_PATH
    )
}

async fn wrong_method(method: HttpMethod, uri: Uri) -> Response {
    let allow = if uri.path() == Control::Reset.path() {
        "POST"
    } else {
        "GET"
    };
    let mut response = error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed; use {allow} for {}", uri.path()),
    );
    response
        .headers_mut()
        .insert(h::ALLOW, HeaderValue::from_static(allow));
    response
}

async fn no_such_control(uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "{} is not a control endpoint of the native server; try {}",
            uri.path(),
            control_list()
        ),
    )
}

async fn not_mock(uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "{} is not served here: the endpoints are GET /mock/flaky, POST /mock/items, \
             GET|PUT /mock/items/{{name}}, and {}",
            uri.path(),
            control_list()
        ),
    )
}

async fn counters(State(shared): State<Arc<Shared>>) -> Response {
    let counters = shared.lock().world.counters().clone();
    served_by(
        Json(CountersReply {
            run_id: native::SERVED_BY.to_string(),
            counters,
        })
        .into_response(),
    )
}

fn health_now() -> Health {
    Health {
        protocol: protocol::PROTOCOL_VERSION,
        runs: 1,
        runs_max: 1,
    }
}

async fn health() -> Response {
    served_by(Json(health_now()).into_response())
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut clocked = shared.lock();
        clocked.world.reset();
        clocked.zero = Instant::now();
    }
    let _ = shared.events.send(Told::Reset);
    served_by(Json(health_now()).into_response())
}

async fn trace(State(shared): State<Arc<Shared>>) -> Response {
    let reply = shared.lock().world.trace_reply();
    served_by(Json(reply).into_response())
}

fn served_event(entry: &ServedRequest) -> Event {
    Event::default()
        .event(native::EVENT_SERVED)
        .data(serde_json::to_string(entry).unwrap_or_default())
}

/// The kept trace, then each request as it is served; a viewer that falls
/// more than [`EVENTS_BUFFERED`] behind misses some (it never holds the server up).
async fn events(State(shared): State<Arc<Shared>>) -> Response {
    let live = shared.events.subscribe();
    let (kept, last_kept) = {
        let clocked = shared.lock();
        let kept: Vec<Event> = clocked.world.trace().map(served_event).collect();
        (kept, clocked.world.served())
    };
    let mut after_reset = false;
    let live = BroadcastStream::new(live).filter_map(move |told| match told {
        Ok(Told::Served(entry)) if after_reset || entry.seq > last_kept => {
            Some(served_event(&entry))
        }
        Ok(Told::Served(_)) | Err(_) => None,
        Ok(Told::Reset) => {
            after_reset = true;
            Some(Event::default().event(native::EVENT_RESET).data("{}"))
        }
    });
    let stream = tokio_stream::iter(kept)
        .chain(live)
        .map(Ok::<Event, Infallible>);
    served_by(
        Sse::new(stream)
            .keep_alive(KeepAlive::default())
            .into_response(),
    )
}

/// A header's value as text; the message names it.
fn text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| format!("{name}: the value is not visible ASCII"))
        })
        .transpose()
}

/// Reads and checks a flaky endpoint request; the message names the bad part.
fn read_request(
    method: &HttpMethod,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    conn: Option<&ConnInfo>,
) -> Result<Incoming, Response> {
    let Some(method) = Method::from_name(method.as_str()) else {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed; allowed: GET, POST, PUT"),
        );
        response
            .headers_mut()
            .insert(h::ALLOW, HeaderValue::from_static("GET, POST, PUT"));
        return Err(response);
    };
    let path = uri
        .path()
        .strip_prefix(protocol::MOCK_PREFIX)
        .unwrap_or(uri.path());
    let read = || -> Result<Incoming, String> {
        let call = text(headers, header::CALL)?
            .map(protocol::parse_call)
            .transpose()?;
        text(headers, header::SENT)?
            .map(protocol::parse_sent)
            .transpose()?;
        text(headers, header::REQUEST)?
            .map(protocol::parse_request_id)
            .transpose()?;
        if let Some(run) = text(headers, header::RUN)? {
            protocol::check_run_id(run).map_err(|e| format!("{}: {e}", header::RUN))?;
        }
        let idempotency_key = text(headers, header::IDEMPOTENCY_KEY)?.map(str::to_string);
        if idempotency_key
            .as_ref()
            .is_some_and(|k| k.is_empty() || k.len() > KEY_BYTES_MAX)
        {
            return Err(format!(
                "{}: 1 to {KEY_BYTES_MAX} bytes",
                header::IDEMPOTENCY_KEY
            ));
        }
        let client = match text(headers, native::CLIENT_ID)? {
            Some(id) => check_client_id(id)?,
            None => conn.map_or_else(|| "unknown".to_string(), |c| c.peer.ip().to_string()),
        };
        let body = std::str::from_utf8(body)
            .map_err(|_| "the body is not UTF-8 text".to_string())?
            .to_string();
        Ok(Incoming {
            method,
            path: path.to_string(),
            client,
            call,
            idempotency_key,
            body,
        })
    };
    read().map_err(bad_request)
}

fn check_client_id(id: &str) -> Result<String, String> {
    let id = id.trim();
    if id.is_empty() || id.len() > native::CLIENT_ID_BYTES_MAX {
        return Err(format!(
            "{}: 1 to {} printable ASCII characters",
            native::CLIENT_ID,
            native::CLIENT_ID_BYTES_MAX
        ));
    }
    Ok(id.to_string())
}

/// Tells the server a request's client is gone when its answer is dropped
/// unsent (the connection closed, or a hang ended).
struct InFlight {
    shared: Arc<Shared>,
    request_id: u64,
    answered: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.answered {
            let mut clocked = self.shared.lock();
            let now_ms = clocked.now_ms();
            clocked.world.cancel(now_ms, self.request_id);
        }
    }
}

async fn endpoint(
    State(shared): State<Arc<Shared>>,
    conn: Option<Extension<ConnInfo>>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let conn = conn.map(|Extension(c)| c);
    let incoming = match read_request(&method, &uri, &headers, &body, conn.as_ref()) {
        Ok(incoming) => incoming,
        Err(response) => return response,
    };
    let decision = {
        let mut clocked = shared.lock();
        let now_ms = clocked.now_ms();
        clocked.world.decide(now_ms, incoming)
    };
    shared.served_total.fetch_add(1, Ordering::Relaxed);
    let _ = shared.events.send(Told::Served(Arc::new(decision.entry)));
    let mut in_flight = InFlight {
        shared: shared.clone(),
        request_id: decision.request_id,
        answered: false,
    };
    let wait = |at_ms: u64| Duration::from_millis(at_ms.saturating_sub(decision.now_ms));
    match decision.reply {
        Reply::Respond {
            at_ms,
            status,
            headers,
            body,
        } => {
            tokio::time::sleep(wait(at_ms)).await;
            in_flight.answered = true;
            respond(status, &headers, body)
        }
        Reply::Reset { at_ms } => {
            tokio::time::sleep(wait(at_ms)).await;
            in_flight.answered = true;
            reset_connection(conn).await
        }
        Reply::Hang => {
            tokio::time::sleep(HANG_MAX).await;
            reset_connection(conn).await
        }
    }
}

/// Closes the request's connection unanswered; without one (a test calling
/// the router directly), a 502 saying so.
async fn reset_connection(conn: Option<ConnInfo>) -> Response {
    match conn {
        Some(conn) => {
            conn.reset.notify_one();
            std::future::pending().await
        }
        None => error(
            StatusCode::BAD_GATEWAY,
            "the connection was reset".to_string(),
        ),
    }
}

fn respond(status: u16, headers: &[(String, String)], body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    served_by(response)
}
