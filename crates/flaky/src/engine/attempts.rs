//! The engine's inside, part two: requests and their ends (send, reply,
//! timeout, cancel), a lower layer's call reporting to the one above, a
//! logical call's end (the bulkhead's next waiting call, the client's next
//! call) and the run's end.

use policy::hints::ReplyHints;
use policy::{Done, Outcome};

use super::steps::with_throttle;
use super::{ClientEventTrace, Engine, InFlight, Pending, TimerKind, CLIENT_BITS};
use crate::client;
use crate::server::Method;
use crate::trace::AttemptOutcome;
use crate::windows::spiked_gap_ms;
use crate::world::{Identity, Stage};

impl Engine {
    /// The call and request in flight of `client` with this id, if any.
    pub(super) fn flight(&self, client: u32, request_id: u64) -> Option<(u32, InFlight)> {
        let calls = &self.clients.get(client as usize)?.calls;
        calls.iter().find_map(|run| {
            run.flights
                .iter()
                .find(|f| f.request_id == request_id && request_id != 0)
                .map(|f| (run.ordinal, *f))
        })
    }

    pub(super) fn abandon(&mut self, now_ms: u64, request_id: u64) {
        self.load.down(now_ms);
        self.aborts.push_back(request_id);
    }

    /// Sends the request of `stage` for the call's request `wire` in flight.
    pub(super) fn transmit(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        wire: u32,
        stage: Stage,
    ) {
        let request_id = ((self.requests_sent + 1) << CLIENT_BITS) | u64::from(client);
        let config = &self.config;
        let Some(run) = self
            .clients
            .get_mut(client as usize)
            .and_then(|s| s.calls.iter_mut().find(|c| c.ordinal == ordinal))
        else {
            return;
        };
        let key = run
            .stack
            .last()
            .and_then(|l| l.call.idempotency_key())
            .map(Box::from);
        let Some(flight) = run.flights.iter_mut().find(|f| f.wire == wire) else {
            return;
        };
        self.requests_sent += 1;
        flight.request_id = request_id;
        flight.stage = stage;
        let identity = Identity {
            client,
            ordinal,
            attempt: wire,
            stage,
        };
        let (id, bar) = (run.id, flight.bar);
        if let Some(bar) = bar.and_then(|b| {
            self.lanes
                .get_mut(id as usize)?
                .attempts
                .get_mut(b as usize)
        }) {
            bar.requests += 1;
        }
        // Only a create can make a duplicate: reads are not remembered.
        let creates = matches!(client::method(config, stage), Method::Post | Method::Put);
        if let (Some(bar), true) = (bar, creates) {
            self.lane_requests.push(super::LaneRequest {
                request_id,
                client,
                ordinal,
                wire,
                call: id,
                bar,
            });
        }
        self.load.up(now_ms);
        self.transmits.push_back(Pending {
            request_id,
            identity,
            key,
        });
    }

    /// Request `wire` of the call ended with `outcome`: the bottom layer's
    /// call hears of it, then the call goes on.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn end_attempt(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        wire: u32,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
        hints: ReplyHints,
    ) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let Some(run) = slot.calls.iter_mut().find(|c| c.ordinal == ordinal) else {
            return;
        };
        let Some(index) = run.flights.iter().position(|f| f.wire == wire) else {
            return;
        };
        let flight = run.flights.remove(index);
        if let Some(n) = self.flights_of.get_mut(client as usize) {
            *n -= 1;
        }
        let depth = run.stack.len() - 1;
        let policy_outcome = client::policy_outcome(outcome, retry_after_ms);
        if let (Some(layer), Some(state)) = (run.stack.last_mut(), slot.states.get_mut(depth)) {
            layer.last_outcome = Some(policy_outcome);
            let shared = self
                .shared_throttles
                .get_mut(depth)
                .and_then(Option::as_mut);
            with_throttle(state, shared, |state| {
                layer
                    .call
                    .on_outcome_hinted(now_ms, flight.attempt, policy_outcome, hints, state)
            });
        }
        let id = run.id;
        self.close_bar(id, flight, now_ms, outcome);
        self.collect_client_events(client);
        self.drive(now_ms, now_ms, client, ordinal);
    }

    fn close_bar(&mut self, call_id: u32, flight: InFlight, now_ms: u64, outcome: AttemptOutcome) {
        let bar = flight.bar.and_then(|b| {
            self.lanes
                .get_mut(call_id as usize)?
                .attempts
                .get_mut(b as usize)
        });
        if let Some(bar) = bar {
            bar.end_ms = Some(now_ms);
            bar.outcome = Some(outcome);
        }
        self.density.add(flight.start_ms, Some(outcome));
    }

    /// Abandons every request of the call still in flight (a hedge lost, or
    /// an upper layer's attempt timed out), ending each with `outcome`.
    pub(super) fn cut_flights(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        outcome: AttemptOutcome,
    ) {
        let Some(run) = self.call_mut(client, ordinal) else {
            return;
        };
        let flights = std::mem::take(&mut run.flights);
        let id = run.id;
        if let Some(n) = self.flights_of.get_mut(client as usize) {
            *n -= flights.len() as u32;
        }
        for flight in flights {
            if flight.request_id != 0 {
                self.abandon(now_ms, flight.request_id);
            }
            self.close_bar(id, flight, now_ms, outcome);
        }
    }

    /// Drops the call's layers below `layer` (their requests abandoned).
    pub(super) fn cut_below(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        layer: usize,
        outcome: AttemptOutcome,
    ) {
        self.cut_flights(now_ms, client, ordinal, outcome);
        let Some(run) = self.call_mut(client, ordinal) else {
            return;
        };
        run.stack.truncate(layer + 1);
        // Only the deepest layer sleeps: a sleep still going is its, and ends here.
        let id = run.id;
        if let Some(sleep) = self.lane_mut(id).and_then(|l| l.sleeps.last_mut()) {
            sleep.until_ms = sleep.until_ms.min(now_ms.max(sleep.from_ms));
        }
    }

    /// Layer `layer`'s attempt `attempt` (a call below) ended with `outcome`.
    pub(super) fn report_up(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        layer: usize,
        attempt: u32,
        outcome: Outcome,
    ) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let Some(run) = slot.calls.iter_mut().find(|c| c.ordinal == ordinal) else {
            return;
        };
        if let (Some(above), Some(state)) = (run.stack.get_mut(layer), slot.states.get_mut(layer)) {
            above.waiting_on = None;
            above.last_outcome = Some(outcome);
            let shared = self
                .shared_throttles
                .get_mut(layer)
                .and_then(Option::as_mut);
            with_throttle(state, shared, |state| {
                above.call.on_outcome(now_ms, attempt, outcome, state)
            });
        }
    }

    /// The call of layer `depth` (> 0) ended: the layer above hears a 200 if
    /// it succeeded, else the last outcome it met (a 503 if it sent nothing).
    pub(super) fn sub_call_done(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        depth: usize,
        done: &Done,
    ) {
        if depth == self.bottom() {
            self.cut_flights(now_ms, client, ordinal, AttemptOutcome::Cancelled);
        }
        let Some(run) = self.call_mut(client, ordinal) else {
            return;
        };
        let Some(ended) = run.stack.pop() else {
            return;
        };
        let outcome = match done {
            Done::Succeeded { .. } => Outcome::Response {
                status: 200,
                retry_after_ms: None,
            },
            Done::GaveUp { .. } => ended.last_outcome.unwrap_or(Outcome::Response {
                status: 503,
                retry_after_ms: None,
            }),
        };
        let Some((attempt, _)) = run.stack.get(depth - 1).and_then(|l| l.waiting_on) else {
            return;
        };
        self.report_up(now_ms, client, ordinal, depth - 1, attempt, outcome);
    }

    /// The logical call ended at `now_ms`: record it; a call waiting for
    /// the bulkhead starts, or (one after another) the client's next is due.
    pub(super) fn call_done(&mut self, now_ms: u64, client: u32, ordinal: u32, done: Done) {
        let scenario = &self.config.scenario;
        let (calls, gap, every) = (
            scenario.calls_per_client,
            scenario.call_gap_ms,
            scenario.call_every_ms,
        );
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let Some(index) = slot.calls.iter().position(|c| c.ordinal == ordinal) else {
            return;
        };
        let run = slot.calls.remove(index);
        let waiting = slot.calls.iter_mut().find(|c| !c.started).map(|c| {
            c.started = true;
            c.ordinal
        });
        let more = slot.next_ordinal < calls;
        let client_done = !more && slot.calls.is_empty();
        if let Some(lane) = self.lane_mut(run.id) {
            lane.end_ms = Some(now_ms);
            lane.result = Some(done.clone());
        }
        self.tally.call_done(run.start_ms, now_ms, &done);
        self.call_ends
            .add(now_ms, matches!(done, policy::Done::Succeeded { .. }));
        if let Some(next) = waiting {
            self.drive(now_ms, now_ms, client, next);
        }
        if every == 0 && more {
            let gap = spiked_gap_ms(&self.config.scenario.spikes, now_ms, gap);
            self.set_timer(now_ms.saturating_add(gap), TimerKind::Start { client });
        }
        if client_done {
            self.clients_running = self.clients_running.saturating_sub(1);
            if self.clients_running == 0 {
                self.finish(now_ms);
            }
        }
    }

    /// The client's top-layer breaker and budget events go to the trace;
    /// the lower layers' are dropped (kept only as their state).
    pub(super) fn collect_client_events(&mut self, client: u32) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        for state in slot.states.iter_mut().skip(1) {
            state.take_events();
        }
        let Some(top) = slot.states.first_mut() else {
            return;
        };
        for e in top.take_events() {
            self.tally.client_event(client, e.at_ms, &e.kind);
            if client < self.options.lanes_max {
                self.client_events.push(ClientEventTrace {
                    client,
                    at_ms: e.at_ms,
                    kind: e.kind,
                });
            }
        }
    }

    /// Ends the run at `end_ms`: calls still going are unfinished and their
    /// requests are abandoned.
    pub(super) fn finish(&mut self, end_ms: u64) {
        let mut flights = Vec::new();
        for run in self.clients.iter().flat_map(|c| &c.calls) {
            flights.extend(run.flights.iter().copied());
        }
        for flight in flights {
            self.density.add(flight.start_ms, None);
            if flight.request_id != 0 {
                self.abandon(end_ms, flight.request_id);
            }
        }
        let unfinished = self.clients.iter().any(|c| !c.calls.is_empty());
        self.end_ms = Some(if unfinished {
            end_ms
        } else {
            self.tally.drain_ms()
        });
        self.timers.clear();
    }
}
