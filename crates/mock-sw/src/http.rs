//! The worker's HTTP face: a request under `/mock/` to a run's server or to
//! a control endpoint ([`Control`]), and every answer's status and body.

use flaky::protocol::{
    self, header, Cancel, CancelReply, Control, CountersReply, ErrorKind, ErrorReply, Health,
    RunStart, MOCK_PREFIX, PROTOCOL_VERSION,
};
use flaky::Method;
use serde::Serialize;

use crate::runs::{EndpointRequest, Served};
use crate::{Answer, Incoming, Mock, Now, Plain};

impl Plain {
    fn json<T: Serialize>(status: u16, body: &T) -> Plain {
        Plain {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            // These bodies are plain structs of strings and numbers: encoding cannot fail.
            body: serde_json::to_string(body).unwrap_or_default(),
        }
    }

    /// An error the worker gives itself (404, 405, ...), not a worker-level failure.
    fn error(status: u16, message: &str) -> Plain {
        Plain::json(
            status,
            &ErrorReply {
                error: message.to_string(),
            },
        )
    }

    /// A worker-level failure: its status, `X-Mock-Error` and the message.
    fn failure(kind: ErrorKind, message: &str) -> Plain {
        Plain::error(kind.status(), message).with_header(header::ERROR, kind.as_str())
    }
}

/// The run-lost answer for a request of run `run_id`.
pub(crate) fn run_lost(run_id: &str) -> Plain {
    Plain::failure(ErrorKind::RunLost, &protocol::run_lost_message(run_id))
}

impl Mock {
    /// Decides the answer to a request arriving at `now`: a control endpoint,
    /// or a flaky endpoint's (its mock headers read, then [`Mock::serve`]).
    /// The glue adds `X-Mock-Served-By` to every response.
    pub fn handle(&mut self, now: Now, req: &Incoming<'_>) -> Answer {
        if req.path.starts_with(protocol::CONTROL_PREFIX) {
            return self.control(now, req);
        }
        self.handle_endpoint(now, req)
    }

    /// A flaky endpoint's request: a malformed mock header is a 400 naming
    /// it, a run not kept the run-lost answer.
    pub(crate) fn handle_endpoint(&mut self, now: Now, req: &Incoming<'_>) -> Answer {
        let Some(path) = req
            .path
            .strip_prefix(MOCK_PREFIX)
            .filter(|p| p.starts_with('/') && !req.path.starts_with(protocol::CONTROL_PREFIX))
        else {
            return Answer::Now(Plain::error(
                404,
                "the mock endpoints are the paths under /mock/ but /mock/_control/",
            ));
        };
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
        let served = match read_headers(method, path, req) {
            Ok(served) => served,
            Err(message) => return Answer::Now(Plain::failure(ErrorKind::BadRequest, &message)),
        };
        match self.serve(now, &served) {
            Some(Served {
                request_id,
                delay_ms,
                reply,
            }) => Answer::Server {
                run_id: served.run_id.to_string(),
                request_id,
                delay_ms,
                reply,
            },
            None => Answer::Now(run_lost(served.run_id)),
        }
    }

    fn control(&mut self, now: Now, req: &Incoming<'_>) -> Answer {
        let Some(control) = Control::from_path(req.path) else {
            return Answer::Now(Plain::error(
                404,
                &format!("no such control endpoint; try {}", Control::list()),
            ));
        };
        if !req.method.trim().eq_ignore_ascii_case(control.method()) {
            let method = control.method();
            return Answer::Now(
                Plain::error(405, &format!("use {method} for {}", control.path()))
                    .with_header("Allow", method),
            );
        }
        let plain = match control {
            Control::Run => match parse_body::<RunStart>(control, req.body)
                .and_then(|start| self.start_run(now, start))
            {
                Ok(started) => Plain::json(200, &started),
                Err(message) => Plain::failure(ErrorKind::BadRequest, &message),
            },
            Control::Counters => {
                let run_id = req
                    .run_id
                    .map(str::to_string)
                    .or_else(|| self.latest_run().map(str::to_string));
                match run_id {
                    Some(run_id) => match self.counters(&run_id) {
                        Some(counters) => Plain::json(200, &CountersReply { run_id, counters }),
                        None => run_lost(&run_id),
                    },
                    None => Plain::failure(
                        ErrorKind::RunLost,
                        "the mock worker keeps no run (none started, or the browser restarted \
                         the worker and its memory went with it)",
                    ),
                }
            }
            Control::Cancel => {
                return match parse_body::<Cancel>(control, req.body) {
                    Ok(c) => {
                        let cancelled = self.cancel(now, &c.run_id, c.request_id);
                        Answer::Cancelled {
                            reply: Plain::json(200, &CancelReply { cancelled }),
                            run_id: c.run_id,
                            request_id: c.request_id,
                        }
                    }
                    Err(message) => Answer::Now(Plain::failure(ErrorKind::BadRequest, &message)),
                };
            }
            Control::Health => Plain::json(200, &self.health()),
            Control::Reset => {
                match req.run_id {
                    Some(run_id) => {
                        self.forget(run_id);
                    }
                    None => self.forget_all(),
                }
                Plain::json(200, &self.health())
            }
        };
        Answer::Now(plain)
    }

    fn health(&self) -> Health {
        Health {
            protocol: PROTOCOL_VERSION,
            runs: u32::try_from(self.runs()).unwrap_or(u32::MAX),
            runs_max: u32::try_from(self.runs_max()).unwrap_or(u32::MAX),
        }
    }
}

/// Reads the mock headers of an endpoint request; the message names the bad one.
fn read_headers<'a>(
    method: Method,
    path: &'a str,
    req: &Incoming<'a>,
) -> Result<EndpointRequest<'a>, String> {
    let run_id = req
        .run_id
        .ok_or_else(|| format!("the request has no {} header", header::RUN))?;
    Ok(EndpointRequest {
        method,
        path,
        run_id,
        idempotency_key: req.idempotency_key,
        request_id: req.request_id.map(protocol::parse_request_id).transpose()?,
        call: req.call.map(protocol::parse_call).transpose()?,
        sent_epoch_ms: req.sent.map(protocol::parse_sent).transpose()?,
        body: req.body,
    })
}

/// Parses a control body; the message says what was expected.
fn parse_body<T: serde::de::DeserializeOwned>(control: Control, body: &str) -> Result<T, String> {
    serde_json::from_str(body).map_err(|e| {
        let expected = match control {
            Control::Run => r#"{"run_id": "...", "seed": N, "endpoint": {...}}"#,
            Control::Cancel => r#"{"run_id": "...", "request_id": N}"#,
            _ => "no body",
        };
        format!("bad {} body: {e}; expected {expected}", control.name())
    })
}
