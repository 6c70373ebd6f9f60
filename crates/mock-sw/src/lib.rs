//! The mock service worker's logic, without the browser: the runs it keeps,
//! routing under `/mock/`, and the control endpoints. Names and bodies are
//! [`flaky::protocol`]'s, the one definition the page uses too.
//!
//! - [`Mock`] (`runs.rs`): many runs at once, each with its own
//!   [`flaky::Server`], counters and clock, under a random run id. Starting a
//!   run never resets another; the least recently used beyond
//!   [`RUNS_MAX`] is forgotten, and its requests get the run-lost answer.
//!   The typed methods ([`Mock::start_run`], [`Mock::counters`],
//!   [`Mock::cancel`]) are what the page's in-page fallback calls.
//!   [`Mock::serve`] is the run's server answering an [`EndpointRequest`]
//!   (mock headers read): the one request handling, which the worker and
//!   the page's in-page fallback share.
//! - [`Mock::handle`] (`http.rs`): the HTTP face the worker serves: reads
//!   the mock headers (a 400 naming a bad one) and routes to [`Mock::serve`]
//!   or a control endpoint.
//! - `glue` (the `glue` feature, on by default) turns a `FetchEvent`'s
//!   request into an [`Incoming`] and an [`Answer`] into a real `Response`
//!   (with real waits, hangs and resets). The run worker's wasm exports it
//!   as `handle`, and the service worker loads that same wasm (one file for
//!   both workers); the live driver uses this crate without the feature.
//!
//! # Endpoints (paths under `/mock`)
//! | request | answer |
//! |---|---|
//! | `GET /mock/flaky`, `POST /mock/items`, `GET\|PUT /mock/items/{name}` | the run's [`flaky::Server`] (needs `X-Mock-Run`) |
//! | any other method | 405 with `Allow: GET, POST, PUT` |
//! | a control endpoint ([`flaky::protocol::Control`]) | see there |
//!
//! A mock request for a run the worker does not keep gets 503 with
//! `X-Mock-Error: run-lost`; a malformed mock header (`X-Mock-Call`,
//! `X-Mock-Sent`, `X-Mock-Request`) gets 400 with `X-Mock-Error: bad-request`
//! and a message naming the bad part. Every answer carries
//! `X-Mock-Served-By: mock-sw` (the glue adds it), so the page can tell the
//! worker answered.
//!
//! # Time
//! [`Now`] is two readings of the worker's clocks: monotonic (a run's clock
//! is monotonic ms since its start) and epoch (to compare with the page's
//! `X-Mock-Sent`). A request that says when it was sent arrives, on the run's
//! clock, at its send time (never in the future, never before the run
//! started): the browser's own queueing inside the fetch path then does not
//! inflate the modelled latency, until the queue is longer than the latency.
//!
//! # Aborts
//! Chromium does not abort a `FetchEvent`'s `request.signal` when the page
//! aborts its fetch, so the page names each request (`X-Mock-Request: <n>`,
//! unique within the run) and, when it gives up on one (timeout, stop),
//! posts `/mock/_control/cancel`: the server stops counting it in flight
//! and the worker settles the hung response. (The signal is still listened
//! to, for browsers that do abort it.)

#[cfg(feature = "glue")]
pub mod glue;
mod http;
mod runs;
#[cfg(test)]
mod tests;

use flaky::Reply;

pub use flaky::protocol;
pub use flaky::sim::SERVER_SEED_XOR;
pub use runs::{EndpointRequest, Mock, Served, RUNS_MAX};

/// Two readings of the worker's clocks, taken together.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Now {
    /// Monotonic ms (`performance.now()`): runs' clocks.
    pub mono_ms: f64,
    /// Epoch ms (`Date.now()`): compared with the page's `X-Mock-Sent`.
    pub epoch_ms: f64,
}

/// An answer given at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plain {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Plain {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The worker-level error this answer reports, if any.
    pub fn error_kind(&self) -> Option<protocol::ErrorKind> {
        self.header(protocol::header::ERROR)
            .and_then(protocol::ErrorKind::parse)
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

/// A request as the worker saw it: headers as sent (unparsed: the worker
/// names a malformed one in its 400).
#[derive(Clone, Debug, Default)]
pub struct Incoming<'a> {
    pub method: &'a str,
    /// The URL's path (see [`path_of`]).
    pub path: &'a str,
    /// `X-Mock-Run`.
    pub run_id: Option<&'a str>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
    /// `X-Mock-Request`: the page's id for this request.
    pub request_id: Option<&'a str>,
    /// `X-Mock-Call`: the sender's identity, `client.ordinal.attempt.stage`.
    pub call: Option<&'a str>,
    /// `X-Mock-Sent`: when the page sent it, epoch ms.
    pub sent: Option<&'a str>,
    pub body: &'a str,
}

/// The path of a request URL as [`flaky::protocol`] names it, relative to
/// the worker's `scope` (`self.registration.scope`): a build hosted under
/// `/playground/` registers the worker there, and its page asks for
/// `/playground/mock/items`, which is the protocol's `/mock/items`. A URL
/// outside the scope keeps its whole path (and so matches no mock endpoint
/// unless the scope is the site root).
///
/// ```
/// use mock_sw::path_in_scope;
/// let scope = "http://127.0.0.1:8080/playground/";
/// assert_eq!(path_in_scope("http://127.0.0.1:8080/playground/mock/items?x=1", scope), "/mock/items");
/// assert_eq!(path_in_scope("http://127.0.0.1:8080/mock/items", "http://127.0.0.1:8080/"), "/mock/items");
/// ```
pub fn path_in_scope(url: &str, scope: &str) -> String {
    let path = path_of(url);
    let base = path_of(scope);
    // The scope is a directory: `/playground/`. Its trailing `/` starts the protocol's path.
    let base = base.strip_suffix('/').unwrap_or(base);
    match path.strip_prefix(base) {
        Some(rest) if rest.starts_with('/') => rest.to_string(),
        _ => path.to_string(),
    }
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
