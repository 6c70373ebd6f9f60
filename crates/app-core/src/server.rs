//! The page as a viewer of a native mock server (`?server=http://127.0.0.1:8080`):
//! which servers it may watch, and the server's event stream read into a
//! [`Trace`] the timelines, counters and stage draw as they draw a run.
//!
//! Lanes are calls as far as the server can tell them apart: by a request's
//! `X-Mock-Call` (client and ordinal), else by its client and its
//! `Idempotency-Key`, else by the item a `POST /items` creates, else by its
//! path for a `PUT`; any other request is a call of its own. The last
//! [`CALLS_KEPT`] calls are kept, their times from the first one's start.

use flaky::protocol::native;
use flaky::sim::Trace;
use flaky::trace::{AttemptOutcome, AttemptTrace, CallTrace};
use policy::Done;
use serde::Deserialize;

/// Calls kept for the lanes (the timeline draws at most 200).
pub const CALLS_KEPT: usize = 200;

/// Reads `server=`: an `http://` origin on this machine (`127.0.0.1` or
/// `localhost`, any port), which is all the page's
/// Content-Security-Policy lets it connect to. Returns it without a trailing `/`.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let origin = text.trim().trim_end_matches('/');
    let expected = "expected a server on this machine, e.g. http://127.0.0.1:8080";
    let rest = origin
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// origin; {expected}"))?;
    let port = ["127.0.0.1", "localhost"]
        .iter()
        .find_map(|host| rest.strip_prefix(host))
        .ok_or_else(|| format!("not a loopback host; {expected}"))?;
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
        });
    if !port_ok {
        return Err(format!("bad port `{port}`; {expected}"));
    }
    Ok(origin.to_string())
}

/// The event stream of the server at `origin`.
pub fn events_url(origin: &str) -> String {
    format!("{origin}{}", native::EVENTS_PATH)
}

/// What the page reads of a [`native::ServedRequest`] (its other fields
/// are skipped: fewer fields to decode keep the page's wasm small).
#[derive(Deserialize)]
struct Served {
    seq: u64,
    arrived_ms: u64,
    method: String,
    path: String,
    client: String,
    key: Option<String>,
    item: Option<String>,
    reply: String,
    reply_at_ms: Option<u64>,
    #[serde(default)]
    duplicate: bool,
    duplicates: u64,
}

/// Who a request belongs to, for its lane.
#[derive(Clone, Debug, PartialEq, Eq)]
enum CallKey {
    Keyed(String, String),
    Item(String, String),
    Own(u64),
}

fn call_key(r: &Served) -> CallKey {
    match (&r.key, &r.item) {
        (Some(key), _) => CallKey::Keyed(r.client.clone(), key.clone()),
        (None, Some(item)) => CallKey::Item(r.client.clone(), item.clone()),
        (None, None) if r.method == "PUT" => CallKey::Item(r.client.clone(), r.path.clone()),
        _ => CallKey::Own(r.seq),
    }
}

/// The server's stream read so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerFeed {
    calls: Vec<(CallKey, CallTrace)>,
    calls_seen: u64,
    succeeded: u64,
    requests: u64,
    duplicates: u64,
    /// Clients by name, numbered in order of first appearance (for lanes).
    clients: Vec<String>,
}

impl ServerFeed {
    /// One event of the stream (its `event:` name and `data:`); an unknown
    /// event is ignored, a bad body named.
    pub fn apply(&mut self, event: &str, data: &str) -> Result<(), String> {
        match event {
            native::EVENT_RESET => {
                *self = ServerFeed::default();
                Ok(())
            }
            native::EVENT_SERVED => {
                let served: Served = serde_json::from_str(data)
                    .map_err(|e| format!("the server sent a request the page cannot read: {e}"))?;
                self.served(served);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn client_number(&mut self, name: &str) -> u32 {
        let at = match self.clients.iter().position(|c| c == name) {
            Some(at) => at,
            None => {
                self.clients.push(name.to_string());
                self.clients.len() - 1
            }
        };
        u32::try_from(at).unwrap_or(u32::MAX)
    }

    fn served(&mut self, r: Served) {
        self.requests = self.requests.max(r.seq);
        self.duplicates = self.duplicates.max(r.duplicates);
        let status = r.reply.parse::<u16>().ok();
        let outcome = match (status, r.reply_at_ms) {
            (Some(code), _) => Some(AttemptOutcome::Status(code)),
            (None, Some(_)) => Some(AttemptOutcome::NetworkError),
            (None, None) => None,
        };
        let key = call_key(&r);
        let client = self.client_number(&r.client);
        let index = self.calls.iter().rposition(|(k, _)| *k == key);
        let call = match index {
            Some(i) => &mut self.calls[i].1,
            None => {
                if self.calls.len() >= CALLS_KEPT {
                    self.calls.remove(0);
                }
                self.calls_seen += 1;
                let target = format!("{} {}", r.method, r.path);
                self.calls.push((
                    key,
                    CallTrace {
                        id: u32::try_from(self.calls_seen).unwrap_or(u32::MAX),
                        client,
                        target,
                        start_ms: r.arrived_ms,
                        end_ms: None,
                        result: None,
                        idempotency_key: r.key.clone(),
                        attempts: Vec::new(),
                        sleeps: Vec::new(),
                    },
                ));
                match self.calls.last_mut() {
                    Some((_, call)) => call,
                    None => return,
                }
            }
        };
        let attempt = u32::try_from(call.attempts.len() + 1).unwrap_or(u32::MAX);
        call.attempts.push(AttemptTrace {
            end_ms: r.reply_at_ms,
            requests: 1,
            outcome,
            duplicate: r.duplicate,
            ..AttemptTrace::started(attempt, r.arrived_ms, r.arrived_ms, None, false)
        });
        call.end_ms = r.reply_at_ms.max(call.end_ms);
        if status.is_some_and(|s| (200..300).contains(&s)) && call.result.is_none() {
            call.result = Some(Done::Succeeded { attempts: attempt });
            self.succeeded += 1;
        }
    }

    /// Requests the server served since its start or last reset.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// What the stream said so far, as a trace: the kept calls from the
    /// first one's start, the server's counts in its counters and summary.
    pub fn trace(&self) -> Trace {
        let zero = self.calls.first().map_or(0, |(_, c)| c.start_ms);
        let calls: Vec<CallTrace> = self
            .calls
            .iter()
            .map(|(_, c)| {
                let mut c = c.clone();
                c.start_ms -= zero.min(c.start_ms);
                c.end_ms = c.end_ms.map(|e| e.saturating_sub(zero));
                for a in &mut c.attempts {
                    a.planned_ms = a.planned_ms.saturating_sub(zero);
                    a.start_ms = a.start_ms.saturating_sub(zero);
                    a.end_ms = a.end_ms.map(|e| e.saturating_sub(zero));
                }
                c
            })
            .collect();
        let end_ms = calls
            .iter()
            .flat_map(|c| c.attempts.iter())
            .map(|a| a.end_ms.unwrap_or(a.start_ms))
            .max()
            .unwrap_or(0);
        let mut trace = Trace {
            horizon_ms: end_ms,
            end_ms,
            calls,
            ..Trace::default()
        };
        let counters = &mut trace.counters;
        counters.requests_received = self.requests;
        counters.duplicates = self.duplicates;
        let summary = &mut trace.summary;
        summary.calls = self.calls_seen;
        summary.succeeded = self.succeeded;
        summary.unfinished = self.calls_seen - self.succeeded;
        summary.attempts = self.requests;
        summary.server_requests = self.requests;
        summary.duplicates = self.duplicates;
        summary.time_to_drain_ms = end_ms;
        if self.calls_seen > 0 {
            summary.amplification = self.requests as f64 / self.calls_seen as f64;
        }
        trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flaky::protocol::native::ServedRequest;
    use flaky::world::{Identity, Stage};
    use flaky::Method;

    fn served(seq: u64, client: &str, item: Option<&str>, reply: &str, at: u64) -> String {
        let r = ServedRequest {
            seq,
            arrived_ms: at,
            method: if item.is_some() {
                Method::Post
            } else {
                Method::Get
            },
            path: if item.is_some() { "/items" } else { "/flaky" }.into(),
            client: client.into(),
            call: Identity {
                client: 0,
                ordinal: u32::try_from(seq).unwrap(),
                attempt: 0,
                stage: Stage::Main,
            },
            named: false,
            key: None,
            item: item.map(str::to_string),
            reply: reply.into(),
            reply_at_ms: (reply != "hang").then_some(at + 50),
            duplicate: seq == 2 && item.is_some(),
            duplicates: u64::from(seq >= 2 && item.is_some()),
        };
        serde_json::to_string(&r).unwrap()
    }

    #[test]
    fn retries_of_one_item_are_one_lane_with_the_servers_duplicates() {
        let mut feed = ServerFeed::default();
        feed.apply("served", &served(1, "py", Some("a"), "reset", 1000))
            .unwrap();
        feed.apply("served", &served(2, "py", Some("a"), "201", 1300))
            .unwrap();
        feed.apply("served", &served(3, "js", None, "hang", 1400))
            .unwrap();
        let trace = feed.trace();
        assert_eq!(trace.calls.len(), 2);
        let lane = &trace.calls[0];
        assert_eq!((lane.client, lane.start_ms, lane.end_ms), (0, 0, Some(350)));
        assert_eq!(lane.attempts.len(), 2);
        assert_eq!(lane.attempts[0].outcome, Some(AttemptOutcome::NetworkError));
        assert!(lane.attempts[1].duplicate);
        assert_eq!(lane.result, Some(Done::Succeeded { attempts: 2 }));
        let hung = &trace.calls[1];
        assert_eq!((hung.client, hung.attempts[0].outcome), (1, None));
        assert_eq!(trace.counters.duplicates, 1);
        assert_eq!(trace.summary.server_requests, 3);
        assert_eq!((trace.summary.calls, trace.summary.succeeded), (2, 1));
    }

    #[test]
    fn a_reset_forgets_and_bad_events_are_named() {
        let mut feed = ServerFeed::default();
        feed.apply("served", &served(1, "py", None, "200", 5))
            .unwrap();
        feed.apply("reset", "{}").unwrap();
        assert_eq!(feed, ServerFeed::default());
        let e = feed.apply("served", "{nope").unwrap_err();
        assert!(e.contains("cannot read"), "{e}");
        feed.apply("ping", "whatever").unwrap();
    }

    #[test]
    fn only_the_last_calls_are_kept() {
        let mut feed = ServerFeed::default();
        for seq in 1..=(CALLS_KEPT as u64 + 50) {
            feed.apply("served", &served(seq, "c", None, "200", seq * 10))
                .unwrap();
        }
        let trace = feed.trace();
        assert_eq!(trace.calls.len(), CALLS_KEPT);
        assert_eq!(trace.calls[0].start_ms, 0);
        assert_eq!(trace.summary.calls, CALLS_KEPT as u64 + 50);
        assert_eq!(feed.requests(), CALLS_KEPT as u64 + 50);
    }

    #[test]
    fn only_loopback_http_origins_are_watched() {
        assert_eq!(
            parse_origin("http://127.0.0.1:8080/").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        assert!(parse_origin("http://localhost").is_ok());
        assert!(parse_origin("http://[::1]:9").is_err(), "not in the CSP");
        for bad in [
            "https://example.org",
            "http://127.0.0.1.example.org",
            "http://127.0.0.1:80/x",
            "http://localhost:123456",
            "javascript:alert(1)",
            "",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
        assert_eq!(
            events_url("http://127.0.0.1:1"),
            "http://127.0.0.1:1/mock/_control/events"
        );
    }
}
