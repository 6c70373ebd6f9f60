//! The server's one world: a [`flaky::Server`], its clock, the clients it
//! has seen, and the trace of the last requests. Everything here is
//! synchronous and quick; callers hold the lock for one decision, never
//! across a wait.

use std::collections::{HashMap, VecDeque};

use flaky::protocol::native::{ServedRequest, TraceReply};
use flaky::world::{Identity, Stage};
use flaky::{Counters, EndpointConfig, Method, Reply, Request, Server};

/// How many clients it tells apart at once; beyond, the least recently seen
/// is forgotten (its next request numbers it anew).
pub const CLIENTS_MAX: usize = 10_000;

/// Longest item name kept in a trace entry, bytes (the server refuses longer anyway).
const ITEM_BYTES_MAX: usize = flaky::server::ITEM_NAME_BYTES_MAX;

/// One client's numbering.
struct Seen {
    index: u32,
    arrivals: u32,
    last_seen: u64,
}

/// The clients seen since the start or the last reset.
#[derive(Default)]
struct Clients {
    by_name: HashMap<String, Seen>,
    next_index: u32,
    ticks: u64,
}

impl Clients {
    /// The identity of the next request from `name`: its number and its order of arrival.
    fn next_identity(&mut self, name: &str) -> Identity {
        self.ticks = self.ticks.saturating_add(1);
        if !self.by_name.contains_key(name) && self.by_name.len() >= CLIENTS_MAX {
            let oldest = self
                .by_name
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(n, _)| n.clone());
            if let Some(oldest) = oldest {
                self.by_name.remove(&oldest);
            }
        }
        let next_index = &mut self.next_index;
        let seen = self.by_name.entry(name.to_string()).or_insert_with(|| {
            let index = *next_index;
            *next_index = next_index.saturating_add(1);
            Seen {
                index,
                arrivals: 0,
                last_seen: 0,
            }
        });
        seen.last_seen = self.ticks;
        let ordinal = seen.arrivals;
        seen.arrivals = seen.arrivals.saturating_add(1);
        Identity {
            client: seen.index,
            ordinal,
            attempt: 0,
            stage: Stage::Main,
        }
    }
}

/// A flaky endpoint request, its headers read and checked.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub method: Method,
    /// Relative to the mock prefix (`/items`).
    pub path: String,
    /// `X-Client-Id`, else the peer's IP address.
    pub client: String,
    /// `X-Mock-Call`, when it came with one.
    pub call: Option<Identity>,
    pub idempotency_key: Option<String>,
    pub body: String,
}

/// What to do with a request: wait `reply`'s time, then answer it.
#[derive(Clone, Debug)]
pub struct Decision {
    /// The server's id for it (for a cancel when its client goes away).
    pub request_id: u64,
    /// The server's clock when it arrived, ms.
    pub now_ms: u64,
    pub reply: Reply,
    /// What the trace keeps of it.
    pub entry: ServedRequest,
}

/// The server's state.
pub struct World {
    server: Server,
    clients: Clients,
    trace: VecDeque<ServedRequest>,
    trace_keep: usize,
    /// Requests served since the start or the last reset.
    served: u64,
    next_request_id: u64,
}

impl World {
    /// A fresh world: the endpoint seeded `seed ^ SERVER_SEED_XOR`, as the
    /// simulator seeds its server, keeping the last `trace_keep` requests.
    pub fn new(endpoint: EndpointConfig, seed: u64, trace_keep: usize) -> World {
        World {
            server: Server::new(endpoint, seed ^ flaky::sim::SERVER_SEED_XOR).listing_duplicates(),
            clients: Clients::default(),
            trace: VecDeque::new(),
            trace_keep,
            served: 0,
            next_request_id: 0,
        }
    }

    /// Decides the reply to `req`, arriving at `now_ms` on the server's clock.
    pub fn decide(&mut self, now_ms: u64, req: Incoming) -> Decision {
        let (call, named) = match req.call {
            Some(call) => (call, true),
            None => (self.clients.next_identity(&req.client), false),
        };
        self.next_request_id = self.next_request_id.wrapping_add(1);
        let request_id = self.next_request_id;
        let item = (req.method == Method::Post).then(|| truncated(&req.body, ITEM_BYTES_MAX));
        let request = Request {
            id: request_id,
            method: req.method,
            path: req.path,
            headers: req
                .idempotency_key
                .iter()
                .map(|k| {
                    (
                        flaky::protocol::header::IDEMPOTENCY_KEY.to_string(),
                        k.clone(),
                    )
                })
                .collect(),
            body: req.body,
        };
        let duplicates_before = self.server.counters().duplicates;
        let reply = self.server.handle_from(now_ms, &request, Some(&call));
        let duplicates = self.server.counters().duplicates;
        self.served = self.served.saturating_add(1);
        let entry = ServedRequest {
            seq: self.served,
            arrived_ms: now_ms,
            method: request.method,
            path: request.path,
            client: req.client,
            call,
            named,
            key: req.idempotency_key,
            item,
            reply: reply.status_key(),
            reply_at_ms: match reply {
                Reply::Respond { at_ms, .. } | Reply::Reset { at_ms } => Some(at_ms),
                Reply::Hang => None,
            },
            duplicate: duplicates > duplicates_before,
            duplicates,
        };
        if self.trace_keep > 0 {
            if self.trace.len() >= self.trace_keep {
                self.trace.pop_front();
            }
            self.trace.push_back(entry.clone());
        }
        Decision {
            request_id,
            now_ms,
            reply,
            entry,
        }
    }

    /// The client of request `request_id` went away (or its hang ended).
    pub fn cancel(&mut self, now_ms: u64, request_id: u64) {
        self.server.cancel(now_ms, request_id);
    }

    pub fn counters(&self) -> &Counters {
        self.server.counters()
    }

    /// Requests served since the start or the last reset.
    pub fn served(&self) -> u64 {
        self.served
    }

    /// The kept trace, oldest first.
    pub fn trace(&self) -> impl ExactSizeIterator<Item = &ServedRequest> {
        self.trace.iter()
    }

    pub fn trace_reply(&self) -> TraceReply {
        TraceReply {
            served: self.served,
            keep: u64::try_from(self.trace_keep).unwrap_or(u64::MAX),
            requests: self.trace.iter().cloned().collect(),
        }
    }

    /// Forgets items, keys, counters, clients and the trace; the same seed draws anew.
    pub fn reset(&mut self) {
        self.server.reset();
        self.clients = Clients::default();
        self.trace.clear();
        self.served = 0;
    }
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(client: &str, item: &str) -> Incoming {
        Incoming {
            method: Method::Post,
            path: "/items".into(),
            client: client.into(),
            call: None,
            idempotency_key: None,
            body: item.into(),
        }
    }

    #[test]
    fn clients_are_numbered_by_first_appearance_and_arrivals_by_order() {
        let mut world = World::new(EndpointConfig::default(), 1, 10);
        let a0 = world.decide(0, post("a", "x")).entry.call;
        let b0 = world.decide(1, post("b", "y")).entry.call;
        let a1 = world.decide(2, post("a", "x")).entry.call;
        assert_eq!((a0.client, a0.ordinal), (0, 0));
        assert_eq!((b0.client, b0.ordinal), (1, 0));
        assert_eq!((a1.client, a1.ordinal), (0, 1));
        assert_eq!(world.counters().duplicates, 1);
        let last = world.trace().last().cloned().unwrap();
        assert!(last.duplicate && last.duplicates == 1 && last.seq == 3);
    }

    #[test]
    fn the_trace_keeps_the_last_n_and_a_reset_forgets() {
        let mut world = World::new(EndpointConfig::default(), 1, 3);
        for i in 0..10 {
            world.decide(i, post("a", &format!("i{i}")));
        }
        let seqs: Vec<u64> = world.trace().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![8, 9, 10]);
        world.reset();
        assert_eq!(world.trace().len(), 0);
        assert_eq!(world.counters().requests_received, 0);
        assert_eq!(world.decide(0, post("z", "q")).entry.call.client, 0);
    }

    #[test]
    fn clients_beyond_the_limit_forget_the_least_recently_seen() {
        let mut clients = Clients::default();
        for i in 0..CLIENTS_MAX + 5 {
            clients.next_identity(&format!("c{i}"));
        }
        assert_eq!(clients.by_name.len(), CLIENTS_MAX);
        assert!(!clients.by_name.contains_key("c0"));
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncated("héllo", 2), "h");
        assert_eq!(truncated("abc", 10), "abc");
    }
}
