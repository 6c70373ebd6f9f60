//! The mock service worker's logic, without the browser: routing under
//! `/mock/`, the control endpoints, and the run the server state belongs to.
//! `main.rs` is the thin wasm-bindgen glue that turns a `FetchEvent`'s
//! request into an [`Incoming`] and an [`Answer`] into a real `Response`
//! (with real waits, hangs and resets).
//!
//! # Endpoints (paths under `/mock`)
//! | request | answer |
//! |---|---|
//! | `GET /mock/flaky`, `POST /mock/items`, `GET\|PUT /mock/items/{name}` | the run's [`flaky::Server`] (needs `X-Mock-Run`) |
//! | any other method | 405 with `Allow: GET, POST, PUT` |
//! | `POST /mock/_control/run` `{"run_id","seed","endpoint"}` | starts a run: a fresh server, its clock at 0 now |
//! | `GET /mock/_control/counters` | `{"run_id","counters"}` |
//! | `GET /mock/_control/health` | always 200 `{"run_id"}` (`null` before any run): the page's start-up check |
//! | `POST /mock/_control/reset` | forgets the run |
//! | `POST /mock/_control/cancel` `{"run_id","request_id"}` | the page gave up on a request (see below) |
//!
//! A mock request whose `X-Mock-Run` is not the worker's run (the browser
//! stopped the worker and its memory went with it, or another tab started a
//! run) gets 503 with `X-Mock-Error: run-lost`. Every answer carries
//! `X-Mock-Served-By: mock-sw`, so the page can tell the worker answered.
//!
//! # Aborts
//! Chromium does not abort a `FetchEvent`'s `request.signal` when the page
//! aborts its fetch, so the page names each request (`X-Mock-Request: <n>`,
//! unique within the run) and, when it gives up on one (timeout, stop),
//! posts `/mock/_control/cancel`: the server stops counting it in flight
//! and the worker settles the hung response. (The signal is still listened
//! to, for browsers that do abort it.)

use std::collections::BTreeSet;

use flaky::{EndpointConfig, Method, Reply, Request, Server};
use serde::Deserialize;
use serde_json::json;

/// The path prefix the worker answers.
pub const MOCK_PREFIX: &str = "/mock";
/// The request header naming the run a mock request belongs to.
pub const RUN_HEADER: &str = "X-Mock-Run";
/// The response header naming a worker-level error (`run-lost`).
pub const ERROR_HEADER: &str = "X-Mock-Error";
/// `X-Mock-Error` when the worker has no run or another one.
pub const RUN_LOST: &str = "run-lost";
/// The response header on every answer of the worker.
pub const SERVED_BY_HEADER: &str = "X-Mock-Served-By";
pub use flaky::sim::SERVER_SEED_XOR;
/// The request header with the page's id for a request (a `u64`, unique in the run).
pub const REQUEST_HEADER: &str = "X-Mock-Request";
/// Ids the worker gives requests that carry no `X-Mock-Request` start here.
const OWN_IDS_FROM: u64 = 1 << 53;
/// How many early cancels (a cancel before its request) a run remembers.
const EARLY_CANCELS_MAX: usize = 4_096;
/// Longest accepted run id, bytes.
pub const RUN_ID_BYTES_MAX: usize = 128;

/// An answer given at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plain {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Plain {
    fn json(status: u16, body: serde_json::Value) -> Plain {
        Plain {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    fn error(status: u16, message: &str) -> Plain {
        Plain::json(status, json!({ "error": message }))
    }

    fn with_header(mut self, name: &str, value: &str) -> Plain {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// What to do with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Answer now.
    Now(Plain),
    /// `POST /mock/_control/cancel` for request `request_id` of run `run_id`:
    /// already applied to the server; the glue settles the request's
    /// pending response (if any) and answers `reply`.
    Cancelled {
        run_id: String,
        request_id: u64,
        reply: Plain,
    },
    /// The flaky server's reply to request `request_id` of run `run_id`:
    /// wait `delay_ms` then respond (or reset); a hang waits for the page to
    /// abort, and then [`Mock::cancel`] is due.
    Server {
        run_id: String,
        request_id: u64,
        delay_ms: u64,
        reply: Reply,
    },
}

/// A request as the worker saw it.
#[derive(Clone, Debug, Default)]
pub struct Incoming<'a> {
    pub method: &'a str,
    /// The URL's path (see [`path_of`]).
    pub path: &'a str,
    /// `X-Mock-Run`.
    pub run_id: Option<&'a str>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
    /// `X-Mock-Request` (the page's id for this request), parsed.
    pub request_id: Option<u64>,
    pub body: &'a str,
}

/// `POST /mock/_control/run`'s body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStart {
    pub run_id: String,
    /// The run's seed; the server's generator is seeded with `seed ^ SERVER_SEED_XOR`.
    pub seed: u64,
    #[serde(default)]
    pub endpoint: EndpointConfig,
}

/// `POST /mock/_control/cancel`'s body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub run_id: String,
    pub request_id: u64,
}

struct Run {
    id: String,
    server: Server,
    /// The worker's clock (ms) when the run started.
    started_ms: f64,
    next_request_id: u64,
    /// Cancels that came before their request.
    early_cancels: BTreeSet<u64>,
    /// The largest `X-Mock-Request` id seen (a cancel above it came early).
    max_page_id: u64,
}

impl Run {
    fn clock(&self, now_ms: f64) -> u64 {
        let t = now_ms - self.started_ms;
        if t.is_finite() && t > 0.0 {
            t as u64
        } else {
            0
        }
    }
}

/// The worker's state: at most one run.
#[derive(Default)]
pub struct Mock {
    run: Option<Run>,
}

/// The path of a URL (`http://h:1/mock/items?x` → `/mock/items`); a bare path is returned as is.
pub fn path_of(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            match after.find('/') {
                Some(j) => &after[j..],
                None => "/",
            }
        }
        None => url,
    };
    rest.split(['?', '#']).next().unwrap_or("/")
}

impl Mock {
    /// The current run's id.
    pub fn run_id(&self) -> Option<&str> {
        self.run.as_ref().map(|r| r.id.as_str())
    }

    /// Decides the answer to a request arriving at `now_ms` (the worker's
    /// clock). The glue adds `X-Mock-Served-By` to every response.
    pub fn handle(&mut self, now_ms: f64, req: &Incoming<'_>) -> Answer {
        let Some(path) = req
            .path
            .strip_prefix(MOCK_PREFIX)
            .filter(|p| p.starts_with('/'))
        else {
            return Answer::Now(Plain::error(
                404,
                "the mock worker answers only paths under /mock/",
            ));
        };
        if let Some(control) = path.strip_prefix("/_control/") {
            if control == "cancel" && req.method.trim().eq_ignore_ascii_case("POST") {
                return match serde_json::from_str::<CancelRequest>(req.body) {
                    Ok(c) => {
                        let known = self.cancel(now_ms, &c.run_id, c.request_id);
                        Answer::Cancelled {
                            reply: Plain::json(200, json!({ "cancelled": known })),
                            run_id: c.run_id,
                            request_id: c.request_id,
                        }
                    }
                    Err(e) => Answer::Now(Plain::error(
                        400,
                        &format!("bad cancel body: {e}; expected {{\"run_id\": \"...\", \"request_id\": N}}"),
                    )),
                };
            }
            return Answer::Now(self.control(now_ms, req, control));
        }
        let Some(method) = Method::from_name(req.method) else {
            return Answer::Now(
                Plain::error(
                    405,
                    &format!(
                        "{} is not allowed; allowed: GET, POST, PUT",
                        req.method.trim()
                    ),
                )
                .with_header("Allow", "GET, POST, PUT"),
            );
        };
        let run = match (&mut self.run, req.run_id) {
            (Some(run), Some(id)) if run.id == id => run,
            (run, asked) => {
                return Answer::Now(run_lost(run.as_ref().map(|r| r.id.as_str()), asked))
            }
        };
        let now = run.clock(now_ms);
        let id = match req.request_id {
            Some(id) if id < OWN_IDS_FROM => {
                run.max_page_id = run.max_page_id.max(id);
                id
            }
            _ => {
                run.next_request_id = run.next_request_id.saturating_add(1);
                run.next_request_id
            }
        };
        let request = Request {
            id,
            method,
            path: path.to_string(),
            headers: req
                .idempotency_key
                .map(|k| vec![("Idempotency-Key".to_string(), k.to_string())])
                .unwrap_or_default(),
            body: req.body.to_string(),
        };
        let reply = run.server.handle(now, &request);
        if run.early_cancels.remove(&id) {
            run.server.cancel(now, id);
        }
        let delay_ms = match &reply {
            Reply::Respond { at_ms, .. } | Reply::Reset { at_ms } => at_ms.saturating_sub(now),
            Reply::Hang => 0,
        };
        Answer::Server {
            run_id: run.id.clone(),
            request_id: request.id,
            delay_ms,
            reply,
        }
    }

    /// The page gave up on request `request_id` of run `run_id` (it aborted
    /// the fetch): it stops counting as in flight. `false` for another run.
    pub fn cancel(&mut self, now_ms: f64, run_id: &str, request_id: u64) -> bool {
        let Some(run) = self.run.as_mut().filter(|r| r.id == run_id) else {
            return false;
        };
        let now = run.clock(now_ms);
        run.server.cancel(now, request_id);
        if request_id < OWN_IDS_FROM
            && request_id > run.max_page_id
            && run.early_cancels.len() < EARLY_CANCELS_MAX
        {
            run.early_cancels.insert(request_id);
        }
        true
    }

    fn control(&mut self, now_ms: f64, req: &Incoming<'_>, what: &str) -> Plain {
        let method = req.method.trim().to_ascii_uppercase();
        match (what, method.as_str()) {
            ("run", "POST") => match parse_run_start(req.body) {
                Ok(start) => {
                    let server_seed = start.seed ^ SERVER_SEED_XOR;
                    let body = json!({ "run_id": start.run_id, "server_seed": server_seed });
                    self.run = Some(Run {
                        id: start.run_id,
                        server: Server::new(start.endpoint, server_seed),
                        started_ms: now_ms,
                        next_request_id: OWN_IDS_FROM,
                        early_cancels: BTreeSet::new(),
                        max_page_id: 0,
                    });
                    Plain::json(200, body)
                }
                Err(message) => Plain::error(400, &message),
            },
            ("counters", "GET") => match &self.run {
                Some(run) if req.run_id.is_none_or(|id| id == run.id) => Plain::json(
                    200,
                    json!({ "run_id": run.id, "counters": run.server.counters() }),
                ),
                run => run_lost(run.as_ref().map(|r| r.id.as_str()), req.run_id),
            },
            // Always 200: the page's health check at start-up (no run yet is not an error).
            ("health", "GET") => Plain::json(200, json!({ "run_id": self.run.as_ref().map(|r| r.id.as_str()) })),
            ("reset", "POST") => {
                self.run = None;
                Plain::json(200, json!({ "ok": true }))
            }
            ("run" | "reset", _) => Plain::error(405, "use POST").with_header("Allow", "POST"),
            ("counters" | "health", _) => Plain::error(405, "use GET").with_header("Allow", "GET"),
            _ => Plain::error(
                404,
                "no such control endpoint; try POST /mock/_control/run, GET /mock/_control/counters, GET /mock/_control/health or POST /mock/_control/reset",
            ),
        }
    }
}

/// Parses and checks a run's start. The endpoint's cross-knob rules
/// (`EndpointConfig::validate`) are the page's to check before it starts a
/// run (the server never panics on an unchecked config); leaving them out
/// keeps the worker a third smaller.
fn parse_run_start(body: &str) -> Result<RunStart, String> {
    let start: RunStart =
        serde_json::from_str(body).map_err(|e| format!("bad run body: {e}; expected {{\"run_id\": \"...\", \"seed\": N, \"endpoint\": {{...}}}}"))?;
    if start.run_id.is_empty()
        || start.run_id.len() > RUN_ID_BYTES_MAX
        || !start.run_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(format!(
            "bad run_id: 1 to {RUN_ID_BYTES_MAX} printable ASCII characters, no spaces"
        ));
    }
    Ok(start)
}

fn run_lost(have: Option<&str>, asked: Option<&str>) -> Plain {
    let message = match (have, asked) {
        (None, _) => "the mock worker has no run (the browser restarted it and its memory was lost); start a new run".to_string(),
        (Some(_), None) => format!("the request has no {RUN_HEADER} header"),
        (Some(have), Some(asked)) => format!("run `{asked}` is gone: the worker now serves run `{have}`"),
    };
    Plain::error(503, &message).with_header(ERROR_HEADER, RUN_LOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(mock: &mut Mock, method: &str, what: &str, body: &str) -> Plain {
        let path = format!("/mock/_control/{what}");
        match mock.handle(
            0.0,
            &Incoming {
                method,
                path: &path,
                body,
                ..Default::default()
            },
        ) {
            Answer::Now(p) => p,
            other => panic!("unexpected {other:?}"),
        }
    }

    fn header<'a>(p: &'a Plain, name: &str) -> Option<&'a str> {
        p.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn paths_of_urls() {
        assert_eq!(
            path_of("http://127.0.0.1:8080/mock/items?x=1#y"),
            "/mock/items"
        );
        assert_eq!(path_of("https://h"), "/");
        assert_eq!(path_of("/mock/flaky"), "/mock/flaky");
    }

    #[test]
    fn a_run_serves_the_flaky_server_and_counts() {
        let mut mock = Mock::default();
        let ok = control(
            &mut mock,
            "POST",
            "run",
            r#"{"run_id":"r1","seed":7,"endpoint":{"latency":{"kind":"fixed","fixed_ms":20}}}"#,
        );
        assert_eq!(ok.status, 200, "{}", ok.body);
        let req = Incoming {
            method: "POST",
            path: "/mock/items",
            run_id: Some("r1"),
            body: "a",
            ..Default::default()
        };
        match mock.handle(1000.0, &req) {
            Answer::Server {
                run_id,
                request_id,
                delay_ms,
                reply: Reply::Respond { status, .. },
            } => {
                assert_eq!((run_id.as_str(), delay_ms, status), ("r1", 20, 201));
                assert!(
                    request_id > OWN_IDS_FROM,
                    "no X-Mock-Request: the worker's own id"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let health = control(&mut mock, "GET", "health", "");
        assert_eq!(health.status, 200, "{}", health.body);
        let counters = control(&mut mock, "GET", "counters", "");
        let v: serde_json::Value = serde_json::from_str(&counters.body).unwrap();
        assert_eq!(v["run_id"], "r1");
        assert_eq!(v["counters"]["creates_applied"], 1);
    }

    #[test]
    fn the_same_seed_gives_the_simulators_server() {
        let mut mock = Mock::default();
        control(&mut mock, "POST", "run", r#"{"run_id":"r","seed":42}"#);
        let ok = control(&mut mock, "POST", "run", r#"{"run_id":"r","seed":42}"#);
        let v: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
        assert_eq!(v["server_seed"], 42 ^ SERVER_SEED_XOR);
    }

    #[test]
    fn a_lost_or_other_run_is_reported() {
        let mut mock = Mock::default();
        let req = Incoming {
            method: "GET",
            path: "/mock/flaky",
            run_id: Some("r1"),
            ..Default::default()
        };
        let Answer::Now(p) = mock.handle(0.0, &req) else {
            panic!()
        };
        assert_eq!((p.status, header(&p, ERROR_HEADER)), (503, Some(RUN_LOST)));
        control(&mut mock, "POST", "run", r#"{"run_id":"r2","seed":1}"#);
        let Answer::Now(p) = mock.handle(0.0, &req) else {
            panic!()
        };
        assert_eq!((p.status, header(&p, ERROR_HEADER)), (503, Some(RUN_LOST)));
        assert!(p.body.contains("r2"), "{}", p.body);
        control(&mut mock, "POST", "reset", "");
        assert_eq!(mock.run_id(), None);
        let c = control(&mut mock, "GET", "counters", "");
        assert_eq!((c.status, header(&c, ERROR_HEADER)), (503, Some(RUN_LOST)));
    }

    #[test]
    fn bad_input_is_a_clear_400_or_405() {
        let mut mock = Mock::default();
        for body in [
            "",
            "{",
            "[]",
            r#"{"run_id":"","seed":1}"#,
            r#"{"run_id":"a b","seed":1}"#,
            r#"{"run_id":"a","seed":-1}"#,
            r#"{"run_id":"a","seed":1,"endpoint":{"faults":{"status_500":"x"}}}"#,
            r#"{"run_id":"a","seed":1,"extra":1}"#,
        ] {
            let p = control(&mut mock, "POST", "run", body);
            assert_eq!(p.status, 400, "{body}: {}", p.body);
            assert!(p.body.contains("bad"), "{}", p.body);
        }
        assert_eq!(control(&mut mock, "GET", "run", "").status, 405);
        assert_eq!(control(&mut mock, "POST", "nope", "").status, 404);
        control(&mut mock, "POST", "run", r#"{"run_id":"r","seed":1}"#);
        for method in ["DELETE", "PATCH", "", "\u{0}"] {
            let req = Incoming {
                method,
                path: "/mock/items",
                run_id: Some("r"),
                ..Default::default()
            };
            let Answer::Now(p) = mock.handle(0.0, &req) else {
                panic!()
            };
            assert_eq!(
                (p.status, header(&p, "Allow")),
                (405, Some("GET, POST, PUT"))
            );
        }
        let req = Incoming {
            method: "GET",
            path: "/app.js",
            run_id: Some("r"),
            ..Default::default()
        };
        assert!(matches!(
            mock.handle(0.0, &req),
            Answer::Now(Plain { status: 404, .. })
        ));
    }

    #[test]
    fn cancel_ends_a_hang_in_flight() {
        let mut mock = Mock::default();
        control(
            &mut mock,
            "POST",
            "run",
            r#"{"run_id":"r","seed":1,"endpoint":{"faults":{"hang":1.0}}}"#,
        );
        let req = Incoming {
            method: "GET",
            path: "/mock/flaky",
            run_id: Some("r"),
            ..Default::default()
        };
        let Answer::Server {
            request_id,
            reply: Reply::Hang,
            ..
        } = mock.handle(0.0, &req)
        else {
            panic!()
        };
        mock.cancel(200.0, "r", request_id);
        mock.cancel(200.0, "other", request_id);
        let Answer::Server { .. } = mock.handle(300.0, &req) else {
            panic!()
        };
        let c = control(&mut mock, "GET", "counters", "");
        let v: serde_json::Value = serde_json::from_str(&c.body).unwrap();
        assert_eq!(v["counters"]["in_flight_max"], 1, "{}", c.body);
    }

    #[test]
    fn the_cancel_endpoint_ends_a_page_named_request() {
        let mut mock = Mock::default();
        control(
            &mut mock,
            "POST",
            "run",
            r#"{"run_id":"r","seed":1,"endpoint":{"faults":{"hang":1.0}}}"#,
        );
        let hang = |id| Incoming {
            method: "GET",
            path: "/mock/flaky",
            run_id: Some("r"),
            request_id: Some(id),
            ..Default::default()
        };
        let Answer::Server {
            request_id: 5,
            reply: Reply::Hang,
            ..
        } = mock.handle(0.0, &hang(5))
        else {
            panic!()
        };
        let cancel = |mock: &mut Mock, body: &str| {
            mock.handle(
                10.0,
                &Incoming {
                    method: "POST",
                    path: "/mock/_control/cancel",
                    body,
                    ..Default::default()
                },
            )
        };
        match cancel(&mut mock, r#"{"run_id":"r","request_id":5}"#) {
            Answer::Cancelled {
                run_id,
                request_id: 5,
                reply,
            } => assert_eq!((run_id.as_str(), reply.status), ("r", 200)),
            other => panic!("unexpected {other:?}"),
        }
        // A cancel that overtook its request is applied when the request comes.
        cancel(&mut mock, r#"{"run_id":"r","request_id":6}"#);
        mock.handle(20.0, &hang(6));
        mock.handle(30.0, &hang(7));
        let c = control(&mut mock, "GET", "counters", "");
        let v: serde_json::Value = serde_json::from_str(&c.body).unwrap();
        assert_eq!(v["counters"]["in_flight_max"], 1, "{}", c.body);
        assert!(matches!(
            cancel(&mut mock, "{}"),
            Answer::Now(Plain { status: 400, .. })
        ));
        assert!(matches!(
            cancel(&mut mock, r#"{"run_id":"other","request_id":1}"#),
            Answer::Cancelled { .. }
        ));
    }
}
