//! The queue of a server with a capacity limit (see [`crate::capacity`] for
//! the model and its formulas).
//!
//! Two ways to drive it:
//! - with timers (the simulator): [`Server::arrive`] queues a request (or
//!   turns it away at once); [`Server::poll_timeout`] says when the next
//!   service slot comes; [`Server::handle_timeout`] starts what is due (or
//!   sheds it); [`Server::poll_served`] hands out the replies decided.
//! - without timers (the mock service worker): [`Server::handle_from`]
//!   decides at arrival against a virtual FIFO queue: a request's slot is
//!   known when it arrives, as long as nobody can jump ahead of it.

use std::collections::VecDeque;

use super::routes::{Body, Response};
use super::{Reply, Request, Server};
use crate::capacity::{QueueOrder, Shed};
use crate::series::QueueSeries;
use crate::trace::QueueSample;
use crate::world::Identity;

/// A reply the queue decided: for `request_id`, sent by `identity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub request_id: u64,
    pub identity: Option<Identity>,
    pub reply: Reply,
}

#[derive(Clone, Debug)]
struct Waiting {
    request: Request,
    identity: Option<Identity>,
    nth: u64,
    arrived_ms: u64,
}

/// The queue's state: who waits, when the next slot is free, what was decided.
#[derive(Clone, Debug, Default)]
pub(super) struct Queue {
    waiting: VecDeque<Waiting>,
    /// When the next service slot is free, µs.
    next_free_us: u64,
    /// The virtual FIFO queue of [`Server::handle_from`]: service starts
    /// (ms) still to come, in order.
    starts_ms: VecDeque<u64>,
    served: VecDeque<Served>,
    series: QueueSeries,
}

/// Why a request was not served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Away {
    /// The queue was full.
    Rejected,
    /// Too old at the head.
    Shed,
}

impl Server {
    /// A request arrives at `now_ms`. Without a capacity limit it is decided
    /// at once, as by [`Server::handle_from`]; with one it is queued (`None`:
    /// its reply comes from [`Server::poll_served`]) or, if the queue is
    /// full, turned away at once.
    pub fn arrive(
        &mut self,
        now_ms: u64,
        request: Request,
        identity: Option<Identity>,
    ) -> Option<Reply> {
        if !self.config.capacity.is_limited() {
            return Some(self.handle_from(now_ms, &request, identity.as_ref()));
        }
        self.forget_ended(now_ms);
        let nth = self.receive();
        let max = self.config.capacity.queue_max;
        if max > 0 && self.queue.waiting.len() >= max as usize {
            self.queue.series.shed(now_ms);
            return Some(self.turn_away(now_ms, Away::Rejected));
        }
        if self.queue.waiting.is_empty() {
            // An idle server starts the request now; a busy one at its next slot.
            self.queue.next_free_us = self.queue.next_free_us.max(now_ms.saturating_mul(1000));
        }
        self.queue.waiting.push_back(Waiting {
            request,
            identity,
            nth,
            arrived_ms: now_ms,
        });
        self.record_length(now_ms);
        None
    }

    /// When the queue next needs [`Server::handle_timeout`]: the next slot,
    /// if anyone waits.
    pub fn poll_timeout(&self) -> Option<u64> {
        (!self.queue.waiting.is_empty()).then(|| self.queue.next_free_us.div_ceil(1000))
    }

    /// Time passed to `now_ms`: every slot due by then starts its request
    /// (the head, by `endpoint.queue.order`), or sheds a request too old.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        let capacity = self.config.capacity.clone();
        while let Some(slot_ms) = self.poll_timeout().filter(|&slot| slot <= now_ms) {
            let next = match capacity.order {
                QueueOrder::Fifo => self.queue.waiting.pop_front(),
                QueueOrder::Lifo => self.queue.waiting.pop_back(),
            };
            let Some(waiting) = next else {
                break;
            };
            self.record_length(slot_ms);
            let age_ms = slot_ms.saturating_sub(waiting.arrived_ms);
            let reply = if capacity.shed == Shed::MaxAge && age_ms > capacity.shed_max_age_ms {
                // Dropped at the head: no work done, the slot stays free.
                self.queue.series.shed(slot_ms);
                self.turn_away(slot_ms, Away::Shed)
            } else {
                self.forget_ended(slot_ms);
                self.queue.next_free_us =
                    self.queue.next_free_us.saturating_add(capacity.period_us());
                self.serve(
                    slot_ms,
                    waiting.nth,
                    &waiting.request,
                    waiting.identity.as_ref(),
                )
            };
            self.queue.served.push_back(Served {
                request_id: waiting.request.id,
                identity: waiting.identity,
                reply,
            });
        }
    }

    /// The next reply the queue decided, if any.
    pub fn poll_served(&mut self) -> Option<Served> {
        self.queue.served.pop_front()
    }

    /// Requests waiting now.
    pub fn queue_len(&self) -> u32 {
        u32::try_from(self.queue.waiting.len()).unwrap_or(u32::MAX)
    }

    /// The queue's length and shed requests over `[0, end_ms]` (empty
    /// without a capacity limit).
    pub fn queue_samples(&self, end_ms: u64) -> Vec<QueueSample> {
        if self.config.capacity.is_limited() {
            self.queue.series.samples(end_ms)
        } else {
            Vec::new()
        }
    }

    /// [`Server::handle_from`] with a capacity limit: the request's slot is
    /// the next free one after those already promised (a virtual FIFO queue).
    pub(super) fn decide_at_arrival(
        &mut self,
        now_ms: u64,
        nth: u64,
        request: &Request,
        identity: Option<&Identity>,
    ) -> Reply {
        let capacity = self.config.capacity.clone();
        while self.queue.starts_ms.front().is_some_and(|&s| s <= now_ms) {
            self.queue.starts_ms.pop_front();
        }
        let waiting = self.queue.starts_ms.len();
        if capacity.queue_max > 0 && waiting >= capacity.queue_max as usize {
            return self.turn_away(now_ms, Away::Rejected);
        }
        let slot_us = self.queue.next_free_us.max(now_ms.saturating_mul(1000));
        let start_ms = slot_us.div_ceil(1000);
        if capacity.shed == Shed::MaxAge && start_ms - now_ms > capacity.shed_max_age_ms {
            let at_ms = now_ms.saturating_add(capacity.shed_max_age_ms);
            return self.turn_away(at_ms, Away::Shed);
        }
        self.queue.next_free_us = slot_us.saturating_add(capacity.period_us());
        if start_ms > now_ms {
            self.queue.starts_ms.push_back(start_ms);
        }
        // No series here: the mock worker keeps none (and the page's bundle stays smaller).
        self.note_length();
        self.serve(start_ms, nth, request, identity)
    }

    /// Counts the queue's length now toward its maximum; returns it.
    fn note_length(&mut self) -> u32 {
        let len = u32::try_from(self.queue.waiting.len().max(self.queue.starts_ms.len()))
            .unwrap_or(u32::MAX);
        self.counters.queue_len_max = self.counters.queue_len_max.max(len);
        len
    }

    /// [`Server::note_length`], and the series of the timed queue.
    fn record_length(&mut self, t_ms: u64) {
        let len = self.note_length();
        self.queue.series.length(t_ms, len);
    }

    /// A request not served: rejected (the queue was full) or shed. A 503
    /// saying so (with `Retry-After` if configured), except that a full queue
    /// without `endpoint.shed=reject` resets the connection.
    fn turn_away(&mut self, at_ms: u64, why: Away) -> Reply {
        let capacity = &self.config.capacity;
        let (cause, message) = match why {
            Away::Rejected => ("rejected", "the queue is full; retry later"),
            Away::Shed => ("shed", "waited too long in the queue; dropped unserved"),
        };
        let reply = if why == Away::Rejected && capacity.shed != Shed::Reject {
            Reply::Reset { at_ms }
        } else {
            let mut response = Response::json(
                503,
                Body {
                    error: Some(message),
                    cause: Some(cause),
                    ..Body::default()
                },
            )
            .with_header("X-Flaky-Fault", cause);
            if capacity.retry_after_s > 0 {
                response = response.with_header("Retry-After", &capacity.retry_after_s.to_string());
            }
            Reply::Respond {
                at_ms,
                status: response.status,
                headers: response.headers,
                body: response.body,
            }
        };
        match why {
            Away::Rejected => self.counters.rejected = self.counters.rejected.saturating_add(1),
            Away::Shed => self.counters.shed = self.counters.shed.saturating_add(1),
        }
        self.count_status(&reply);
        reply
    }
}
