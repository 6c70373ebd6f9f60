//! What the server decides for a request it serves, in the order of the
//! [module docs](super): an outage window, fail-first-N, overload, then the
//! fault mix (a status, a reset, a hang, or commit-then-lose); otherwise the
//! route answers. Also the latency draw, and the injected failures' replies.

use super::*;
use crate::script::ScriptedKind;

/// Why a request failed before handling; sent as `X-Flaky-Fault`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    Outage,
    FailFirst,
    Overload,
    Fault,
}

impl Cause {
    fn name(self) -> &'static str {
        match self {
            Cause::Outage => "outage",
            Cause::FailFirst => "fail_first",
            Cause::Overload => "overload",
            Cause::Fault => "fault",
        }
    }
}

/// What the fault-mix draw picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drawn {
    Fail(FailWith),
    CommitLose,
    Nothing,
}

impl Server {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide(
        &mut self,
        now_ms: u64,
        at_ms: u64,
        nth: u64,
        excess: u64,
        u_overload: f64,
        u_fault: f64,
        request: &Request,
    ) -> Reply {
        if let Some(outage) = self.config.outages.iter().find(|o| o.covers(now_ms)) {
            return self.fail(at_ms, outage.status, Cause::Outage);
        }
        if nth <= self.config.fail_first_n {
            return self.fail(at_ms, self.config.fail_first_status, Cause::FailFirst);
        }
        if excess > 0 && u_overload < excess as f64 * self.config.overload.error_per_excess {
            return self.fail(at_ms, FailWith::Status(503), Cause::Overload);
        }
        match self.draw_fault(u_fault) {
            Drawn::Fail(how) => self.fail(at_ms, how, Cause::Fault),
            Drawn::CommitLose => {
                self.route(now_ms, at_ms, request);
                self.counters.replies_lost = self.counters.replies_lost.saturating_add(1);
                match self.config.commit_lose_as {
                    CommitLoseAs::Hang => Reply::Hang,
                    CommitLoseAs::Reset => Reply::Reset { at_ms },
                }
            }
            Drawn::Nothing => {
                let Response {
                    status,
                    headers,
                    body,
                } = self.route(now_ms, at_ms, request);
                Reply::Respond {
                    at_ms,
                    status,
                    headers,
                    body,
                }
            }
        }
    }

    /// A scripted reply: 2xx/3xx is served normally; anything else fails
    /// before handling, with the headers the script gives.
    pub(super) fn play(
        &mut self,
        now_ms: u64,
        at_ms: u64,
        scripted: &ScriptedReply,
        request: &Request,
    ) -> Reply {
        let status = match scripted.kind {
            ScriptedKind::Reset => return Reply::Reset { at_ms },
            ScriptedKind::Hang => return Reply::Hang,
            ScriptedKind::Status(s) if s < 400 => {
                let Response {
                    status,
                    headers,
                    body,
                } = self.route(now_ms, at_ms, request);
                return Reply::Respond {
                    at_ms,
                    status,
                    headers,
                    body,
                };
            }
            ScriptedKind::Status(s) => s,
        };
        let headers: Vec<(String, String)> = scripted
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        if !self.fault_details {
            return Reply::Respond {
                at_ms,
                status,
                headers,
                body: String::new(),
            };
        }
        let message = format!("scripted: {status} {}", reason_phrase(status));
        let mut response = Response::json(
            status,
            Body {
                error: Some(&message),
                cause: Some("script"),
                ..Body::default()
            },
        )
        .with_header("X-Flaky-Fault", "script");
        for (name, value) in scripted.headers() {
            response = response.with_header(name, value);
        }
        Reply::Respond {
            at_ms,
            status: response.status,
            headers: response.headers,
            body: response.body,
        }
    }

    /// A request failed before handling.
    fn fail(&self, at_ms: u64, how: FailWith, cause: Cause) -> Reply {
        match how {
            FailWith::Reset => Reply::Reset { at_ms },
            FailWith::Hang => Reply::Hang,
            FailWith::Status(status) => {
                // Only a deserialized config can hold another status: answer 500 then.
                let status = if (400..=599).contains(&status) {
                    status
                } else {
                    500
                };
                let retry_after =
                    status == 429 || (status == 503 && self.config.retry_after_on_503);
                if !self.fault_details {
                    let headers = if retry_after {
                        vec![(
                            "Retry-After".to_string(),
                            self.config.retry_after_s.to_string(),
                        )]
                    } else {
                        Vec::new()
                    };
                    return Reply::Respond {
                        at_ms,
                        status,
                        headers,
                        body: String::new(),
                    };
                }
                let message = format!(
                    "injected {}: {status} {}",
                    cause.name(),
                    reason_phrase(status)
                );
                let mut response = Response::json(
                    status,
                    Body {
                        error: Some(&message),
                        cause: Some(cause.name()),
                        ..Body::default()
                    },
                )
                .with_header("X-Flaky-Fault", cause.name());
                if retry_after {
                    response =
                        response.with_header("Retry-After", &self.config.retry_after_s.to_string());
                }
                Reply::Respond {
                    at_ms,
                    status: response.status,
                    headers: response.headers,
                    body: response.body,
                }
            }
        }
    }

    fn draw_fault(&self, u: f64) -> Drawn {
        let f = &self.config.faults;
        let table = [
            (f.status_500, Drawn::Fail(FailWith::Status(500))),
            (f.status_502, Drawn::Fail(FailWith::Status(502))),
            (f.status_503, Drawn::Fail(FailWith::Status(503))),
            (f.status_504, Drawn::Fail(FailWith::Status(504))),
            (f.status_429, Drawn::Fail(FailWith::Status(429))),
            (f.status_400, Drawn::Fail(FailWith::Status(400))),
            (f.status_401, Drawn::Fail(FailWith::Status(401))),
            (f.status_403, Drawn::Fail(FailWith::Status(403))),
            (f.status_404, Drawn::Fail(FailWith::Status(404))),
            (f.reset, Drawn::Fail(FailWith::Reset)),
            (f.hang, Drawn::Fail(FailWith::Hang)),
            (f.commit_lose, Drawn::CommitLose),
        ];
        let mut cumulative = 0.0;
        for (p, drawn) in table {
            // NaN or negative probabilities (an unvalidated config) add nothing.
            if p > 0.0 {
                cumulative += p;
            }
            if u < cumulative {
                return drawn;
            }
        }
        Drawn::Nothing
    }

    pub(super) fn draw_latency(&self, u1: f64, u2: f64) -> u64 {
        let l = &self.config.latency;
        let ms = match l.kind {
            LatencyKind::Fixed => l.fixed_ms,
            LatencyKind::Uniform => {
                let (low, high) = (l.min_ms.min(l.max_ms), l.min_ms.max(l.max_ms));
                let span = high - low;
                low.saturating_add(((u1 * (span as f64 + 1.0)) as u64).min(span))
            }
            LatencyKind::LongTail => {
                if l.p50_ms == 0 {
                    0
                } else {
                    let mu = libm::log(l.p50_ms as f64);
                    let sigma = (libm::log(l.p99_ms.max(l.p50_ms) as f64) - mu) / 2.326;
                    // `as` saturates (and maps NaN to 0): no overflow from a wild draw.
                    libm::round(libm::exp(mu + sigma * rng::box_muller(u1, u2))) as u64
                }
            }
        };
        ms.min(LATENCY_MS_DRAW_MAX)
    }
}
