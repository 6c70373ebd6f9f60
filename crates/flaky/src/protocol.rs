//! The page ↔ mock worker protocol, defined once. The page (`src/live`) and
//! the mock service worker (`crates/mock-sw`) use only these names and
//! bodies, so neither side can drift from the other.
//!
//! # Mock requests
//! A flaky endpoint request is `{method} {MOCK_PREFIX}{path}` (`GET /mock/flaky`,
//! `POST /mock/items`, `GET|PUT /mock/items/{name}`) with these headers.
//! Every path here is relative to where the app is hosted (the worker's
//! scope): a build hosted under `/playground/` sends `/playground/mock/flaky`,
//! which the worker reads as `/mock/flaky`.
//!
//! | header | value | |
//! |---|---|---|
//! | [`header::RUN`] | the run's id ([`run_id_from`]) | required |
//! | [`header::REQUEST`] | the page's id for the request, a `u64` below 2^53, unique in the run | for `_control/cancel` |
//! | [`header::CALL`] | the sender, [`Identity`] in its wire form `client.ordinal.attempt.stage` | draws by identity (common random numbers) |
//! | [`header::SENT`] | when the page sent it, epoch ms (`Date.now()`) | the reply is scheduled from then |
//! | [`header::IDEMPOTENCY_KEY`] | the call's key | as the policy sends it |
//!
//! Every answer of the worker carries [`header::SERVED_BY`]` = `[`SERVED_BY`];
//! a worker-level failure (not the endpoint's doing) also carries
//! [`header::ERROR`] with an [`ErrorKind`] and an [`ErrorReply`] body.
//!
//! # Control requests
//! [`Control`] is the one table of control endpoints (path, method, bodies).
//!
//! ```
//! use flaky::protocol::{self, Control, header};
//! use flaky::world::{Identity, Stage};
//!
//! let run_id = protocol::run_id_from([1, 2, 3, 0xdead_beef]);
//! assert_eq!(run_id, "run-000000010000000200000003deadbeef");
//! assert!(protocol::check_run_id(&run_id).is_ok());
//! assert_eq!(Control::from_path("/mock/_control/run"), Some(Control::Run));
//! let call = Identity { client: 3, ordinal: 0, attempt: 2, stage: Stage::Main };
//! assert_eq!(protocol::parse_call(&call.to_string()), Ok(call));
//! assert!(protocol::parse_call("3.0.x.main").unwrap_err().starts_with(header::CALL));
//! ```

use serde::{Deserialize, Serialize};

use crate::world::Identity;
use crate::{Counters, EndpointConfig};

/// The path prefix the worker answers; everything else goes to the network.
pub const MOCK_PREFIX: &str = "/mock";
/// The prefix of the control endpoints (see [`Control`]).
pub const CONTROL_PREFIX: &str = "/mock/_control/";
/// The value of [`header::SERVED_BY`].
pub const SERVED_BY: &str = "mock-sw";
/// Bumped when a name or a body changes; [`Health::protocol`] carries it, so
/// a page can tell an old worker (still controlling it after an update) apart.
pub const PROTOCOL_VERSION: u32 = 2;
/// Longest accepted run id, bytes.
pub const RUN_ID_BYTES_MAX: usize = 128;
/// Request ids the page names ([`header::REQUEST`]) are below this; the
/// worker numbers requests that carry none from here up.
pub const REQUEST_IDS_END: u64 = 1 << 53;

/// Header names (compared case-insensitively, as HTTP does).
pub mod header {
    /// Request: the run a mock request belongs to (also names the run of a counters read).
    pub const RUN: &str = "X-Mock-Run";
    /// Request: the page's id for a request, for `_control/cancel`.
    pub const REQUEST: &str = "X-Mock-Request";
    /// Request: who sent it, `client.ordinal.attempt.stage` ([`crate::world::Identity`]).
    pub const CALL: &str = "X-Mock-Call";
    /// Request: when the page sent it, epoch ms.
    pub const SENT: &str = "X-Mock-Sent";
    /// Request: the call's idempotency key (read by [`crate::Server`]).
    pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
    /// Response: on every answer of the worker, [`super::SERVED_BY`].
    pub const SERVED_BY: &str = "X-Mock-Served-By";
    /// Response: a worker-level failure, an [`super::ErrorKind`].
    pub const ERROR: &str = "X-Mock-Error";
}

/// What [`header::ERROR`] says went wrong (not the endpoint's doing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// 503: the worker does not keep this run (the browser restarted it and
    /// its memory went with it, or newer runs pushed it out). The run must stop.
    RunLost,
    /// 400: a mock header or a control body is malformed; the message names the part.
    BadRequest,
    /// 503: the worker's wasm failed to load (sent by `www/service-worker.js`).
    WorkerBroken,
}

impl ErrorKind {
    const ALL: [ErrorKind; 3] = [
        ErrorKind::RunLost,
        ErrorKind::BadRequest,
        ErrorKind::WorkerBroken,
    ];

    /// The header value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::RunLost => "run-lost",
            ErrorKind::BadRequest => "bad-request",
            ErrorKind::WorkerBroken => "worker-broken",
        }
    }

    /// The HTTP status it comes with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorKind::RunLost | ErrorKind::WorkerBroken => 503,
            ErrorKind::BadRequest => 400,
        }
    }

    /// Reads a header value; `None` for anything else.
    pub fn parse(value: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == value.trim())
    }
}

/// The control endpoints: one table of paths, methods and bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// `POST` [`RunStart`] → [`RunStarted`]: a fresh server for the run, its
    /// clock at 0 now. Other runs are untouched.
    Run,
    /// `GET` with [`header::RUN`] → [`CountersReply`] (without the header:
    /// the run started last, for tests and debugging).
    Counters,
    /// `POST` [`Cancel`] → [`CancelReply`]: the page gave up on a request.
    Cancel,
    /// `GET` → [`Health`], always 200: the page's start-up check.
    Health,
    /// `POST` with [`header::RUN`]: forgets that run; without it, every run
    /// (what a browser restarting the worker does; for tests).
    Reset,
}

impl Control {
    /// Every control endpoint.
    pub const ALL: [Control; 5] = [
        Control::Run,
        Control::Counters,
        Control::Cancel,
        Control::Health,
        Control::Reset,
    ];

    /// The last path segment.
    pub const fn name(self) -> &'static str {
        match self {
            Control::Run => "run",
            Control::Counters => "counters",
            Control::Cancel => "cancel",
            Control::Health => "health",
            Control::Reset => "reset",
        }
    }

    /// The full path, e.g. `/mock/_control/run`.
    pub const fn path(self) -> &'static str {
        match self {
            Control::Run => "/mock/_control/run",
            Control::Counters => "/mock/_control/counters",
            Control::Cancel => "/mock/_control/cancel",
            Control::Health => "/mock/_control/health",
            Control::Reset => "/mock/_control/reset",
        }
    }

    /// The one method it answers.
    pub const fn method(self) -> &'static str {
        match self {
            Control::Run | Control::Cancel | Control::Reset => "POST",
            Control::Counters | Control::Health => "GET",
        }
    }

    /// The endpoint at `path` (a full path), if any.
    pub fn from_path(path: &str) -> Option<Control> {
        Self::ALL.into_iter().find(|c| c.path() == path)
    }

    /// `POST /mock/_control/run, GET /mock/_control/counters, ...`: for messages.
    pub fn list() -> String {
        Self::ALL
            .iter()
            .map(|c| format!("{} {}", c.method(), c.path()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `POST /mock/_control/run`'s body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStart {
    /// A random id ([`run_id_from`]); see [`check_run_id`].
    pub run_id: String,
    /// The run's seed; the server is seeded `seed ^ sim::SERVER_SEED_XOR`, as in the simulator.
    pub seed: u64,
    #[serde(default)]
    pub endpoint: EndpointConfig,
}

/// `POST /mock/_control/run`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStarted {
    pub run_id: String,
    pub server_seed: u64,
    /// How many runs the worker keeps now (this one included).
    pub runs: u32,
}

/// `GET /mock/_control/counters`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersReply {
    pub run_id: String,
    pub counters: Counters,
}

/// `POST /mock/_control/cancel`'s body: the page gave up on request
/// `request_id` (its [`header::REQUEST`]) of run `run_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub run_id: String,
    pub request_id: u64,
}

/// `POST /mock/_control/cancel`'s answer: `false` when the worker does not keep the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelReply {
    pub cancelled: bool,
}

/// `GET /mock/_control/health`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The worker's [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Runs kept now.
    pub runs: u32,
    /// Runs kept at most (the least recently used is forgotten beyond).
    pub runs_max: u32,
}

/// The body of every answer with [`header::ERROR`] (and of other 4xx the
/// worker gives itself): one sentence naming the bad part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: String,
}

/// The run-lost message: the worker's [`ErrorReply`] for `run_id`.
pub fn run_lost_message(run_id: &str) -> String {
    format!(
        "the mock worker does not keep run `{run_id}`: the browser restarted the worker (its memory \
         went with it), or newer runs made it forget this one"
    )
}

/// What the page shows when a run is lost (whoever lost it).
pub const RUN_LOST_TEXT: &str = "the mock server lost this run's state (the browser stopped and \
     restarted the service worker, or newer runs made it forget this one); the run was stopped: fire again";

/// A run id from 128 random bits: `run-` and 32 hex digits. The page draws
/// them (`crypto.getRandomValues`, or `Math.random` without it), so two tabs
/// starting a run in the same millisecond still get two runs.
pub fn run_id_from(random: [u32; 4]) -> String {
    let [a, b, c, d] = random;
    format!("run-{a:08x}{b:08x}{c:08x}{d:08x}")
}

/// Checks a run id: 1 to [`RUN_ID_BYTES_MAX`] printable ASCII characters, no spaces.
pub fn check_run_id(run_id: &str) -> Result<(), String> {
    if run_id.is_empty()
        || run_id.len() > RUN_ID_BYTES_MAX
        || !run_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(format!(
            "bad run_id: 1 to {RUN_ID_BYTES_MAX} printable ASCII characters, no spaces"
        ));
    }
    Ok(())
}

/// Reads [`header::CALL`]; the message names the header and the bad part.
pub fn parse_call(value: &str) -> Result<Identity, String> {
    Identity::parse(value).map_err(|e| format!("{}: {e}", header::CALL))
}

/// Reads [`header::SENT`]: epoch ms, a whole number.
pub fn parse_sent(value: &str) -> Result<u64, String> {
    value.trim().parse::<u64>().map_err(|_| {
        format!(
            "{}: `{value}` is not a send time in whole epoch ms (e.g. 1767225600000)",
            header::SENT
        )
    })
}

/// Reads [`header::REQUEST`]: a whole number below [`REQUEST_IDS_END`].
pub fn parse_request_id(value: &str) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(id) if id < REQUEST_IDS_END => Ok(id),
        _ => Err(format!(
            "{}: `{value}` is not a request id (a whole number below 2^53)",
            header::REQUEST
        )),
    }
}

/// The native server (`crates/mock-server`, `playground mock-server`): the
/// same endpoints for real clients outside the page, one world (a preset and a
/// seed) for every client, plus a trace of what it served.
///
/// A request without [`header::CALL`] draws as
/// `Identity { client, ordinal, attempt: 0, stage: Main }`: `client` numbers
/// its [`native::CLIENT_ID`] (else its peer address) in order of first
/// appearance, `ordinal` is its order of arrival from that client.
pub mod native {
    use serde::{Deserialize, Serialize};

    use crate::world::Identity;
    use crate::Method;

    /// The value of [`super::header::SERVED_BY`] on the native server's answers.
    pub const SERVED_BY: &str = "mock-server";
    /// Request: who the client is (printable ASCII, at most [`CLIENT_ID_BYTES_MAX`]).
    pub const CLIENT_ID: &str = "X-Client-Id";
    /// Longest accepted [`CLIENT_ID`], bytes.
    pub const CLIENT_ID_BYTES_MAX: usize = 128;
    /// `GET`: the last requests served, a [`TraceReply`].
    pub const TRACE_PATH: &str = "/mock/_control/trace";
    /// `GET`: Server-Sent Events: [`EVENT_SERVED`] with a [`ServedRequest`]
    /// per request (the kept trace first), [`EVENT_RESET`] after a reset.
    pub const EVENTS_PATH: &str = "/mock/_control/events";
    /// The SSE event of one request served; its data is a [`ServedRequest`].
    pub const EVENT_SERVED: &str = "served";
    /// The SSE event of a reset (`POST /mock/_control/reset`): forget what was shown.
    pub const EVENT_RESET: &str = "reset";

    /// One request the native server served, as its trace keeps it and its
    /// event stream sends it. Times are on the server's clock: ms since it
    /// started or was last reset.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ServedRequest {
        /// Its number since the start or the last reset, from 1.
        pub seq: u64,
        pub arrived_ms: u64,
        pub method: Method,
        /// Relative to the mock prefix, e.g. `/items`.
        pub path: String,
        /// Its [`CLIENT_ID`], else its peer's IP address.
        pub client: String,
        /// Whom its draws were keyed by: its `X-Mock-Call`, else its client's
        /// number and its order of arrival from that client.
        pub call: Identity,
        /// Whether `call` came from `X-Mock-Call`.
        #[serde(default, skip_serializing_if = "is_false")]
        pub named: bool,
        /// Its `Idempotency-Key`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub key: Option<String>,
        /// `POST /items`: the item's name (the body).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub item: Option<String>,
        /// The status (`"201"`), `"reset"` or `"hang"`.
        pub reply: String,
        /// When the reply leaves (or the connection resets); `None`: a hang.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reply_at_ms: Option<u64>,
        /// Whether it created an item that already existed.
        #[serde(default, skip_serializing_if = "is_false")]
        pub duplicate: bool,
        /// The server's duplicate creates so far, this one included.
        pub duplicates: u64,
    }

    fn is_false(b: &bool) -> bool {
        !*b
    }

    /// `GET /mock/_control/trace`'s answer.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TraceReply {
        /// Requests served since the start or the last reset.
        pub served: u64,
        /// The most it keeps (`--trace-keep`).
        pub keep: u64,
        /// The last ones, oldest first.
        pub requests: Vec<ServedRequest>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Stage;

    #[test]
    fn control_paths_round_trip_and_are_under_the_prefix() {
        for c in Control::ALL {
            assert_eq!(Control::from_path(c.path()), Some(c));
            assert_eq!(c.path(), format!("{CONTROL_PREFIX}{}", c.name()));
            assert!(c.path().starts_with(MOCK_PREFIX));
        }
        assert_eq!(Control::from_path("/mock/_control/nope"), None);
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ErrorKind::parse("other"), None);
    }

    #[test]
    fn run_ids_are_the_random_bits_in_hex() {
        let id = run_id_from([0, 1, 0xffff_ffff, 0x1234_5678]);
        assert_eq!(id, "run-0000000000000001ffffffff12345678");
        assert_eq!(check_run_id(&id), Ok(()));
        assert_ne!(id, run_id_from([0, 1, 0xffff_ffff, 0x1234_5679]));
        for bad in ["", "a b", "é", &"x".repeat(RUN_ID_BYTES_MAX + 1)] {
            assert!(check_run_id(bad).unwrap_err().contains("run_id"), "{bad}");
        }
    }

    #[test]
    fn headers_parse_or_name_the_bad_part() {
        let id = Identity {
            client: 7,
            ordinal: 2,
            attempt: 3,
            stage: Stage::Check,
        };
        assert_eq!(parse_call(" 7.2.3.check "), Ok(id));
        let e = parse_call("7.2.3.post").unwrap_err();
        assert!(
            e.contains("X-Mock-Call") && e.contains("stage `post`"),
            "{e}"
        );
        assert_eq!(parse_sent("1767225600000"), Ok(1_767_225_600_000));
        for bad in ["", "-1", "1.5", "soon"] {
            let e = parse_sent(bad).unwrap_err();
            assert!(
                e.contains("X-Mock-Sent") && e.contains(&format!("`{bad}`")),
                "{e}"
            );
        }
        assert_eq!(parse_request_id("42"), Ok(42));
        for bad in ["x", "9007199254740992", "-3"] {
            assert!(parse_request_id(bad)
                .unwrap_err()
                .contains("X-Mock-Request"));
        }
    }

    #[test]
    fn bodies_have_their_wire_names() {
        let start: RunStart =
            serde_json::from_str(r#"{"run_id":"r","seed":3}"#).expect("a minimal start");
        assert_eq!(start.endpoint, EndpointConfig::default());
        assert!(serde_json::from_str::<RunStart>(r#"{"run_id":"r","seed":3,"x":1}"#).is_err());
        let cancel = serde_json::to_string(&Cancel {
            run_id: "r".into(),
            request_id: 9,
        })
        .expect("encodes");
        assert_eq!(cancel, r#"{"run_id":"r","request_id":9}"#);
    }
}
