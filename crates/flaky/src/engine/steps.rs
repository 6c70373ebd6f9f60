//! The engine's inside: what a timer or a reply sets off in one client's
//! call (start, poll and carry out its step, send, end an attempt), and the
//! end of the run. The driving API is in the [parent module](super).

use policy::{Call, Step};

use super::{CallRun, ClientEventTrace, Engine, InFlight, TimerKind, Transmit, CLIENT_BITS};
use crate::client;
use crate::trace::{AttemptOutcome, AttemptTrace, CallTrace, SleepTrace};
use crate::windows::spiked_gap_ms;
use crate::world::{Identity, Stage};

impl Engine {
    pub(super) fn set_timer(&mut self, at_ms: u64, kind: TimerKind) {
        self.timers.push(at_ms, kind);
    }

    pub(super) fn call(&self, client: u32) -> Option<&CallRun> {
        self.clients.get(client as usize)?.call.as_ref()
    }

    pub(super) fn call_mut(&mut self, client: u32) -> Option<&mut CallRun> {
        self.clients.get_mut(client as usize)?.call.as_mut()
    }

    pub(super) fn lane_mut(&mut self, call_id: u32) -> Option<&mut CallTrace> {
        self.lanes.get_mut(call_id as usize)
    }

    pub(super) fn fire(&mut self, now_ms: u64, at_ms: u64, timer: TimerKind) {
        match timer {
            TimerKind::Start { client } => self.start_call(now_ms, at_ms, client),
            TimerKind::Wake { client, ordinal } => {
                if self.call(client).is_some_and(|c| c.ordinal == ordinal) {
                    self.drive(now_ms, at_ms, client);
                }
            }
            TimerKind::AttemptTimeout {
                client,
                ordinal,
                attempt,
            } => {
                let flight = self
                    .call(client)
                    .filter(|c| c.ordinal == ordinal)
                    .and_then(|c| c.in_flight)
                    .filter(|f| f.attempt == attempt);
                if let Some(flight) = flight {
                    self.abandon(now_ms, flight.request_id);
                    self.end_attempt(now_ms, client, AttemptOutcome::TimedOut, None);
                }
            }
        }
    }

    /// The request in flight of `client`'s call, if any.
    pub(super) fn flight(&self, client: u32) -> Option<InFlight> {
        self.call(client)?.in_flight.filter(|f| f.request_id != 0)
    }

    pub(super) fn abandon(&mut self, now_ms: u64, request_id: u64) {
        self.load.down(now_ms);
        self.aborts.push_back(request_id);
    }

    pub(super) fn start_call(&mut self, now_ms: u64, planned_ms: u64, client: u32) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let ordinal = slot.next_ordinal;
        slot.next_ordinal += 1;
        let id = self.next_call_id;
        self.next_call_id = self.next_call_id.saturating_add(1);
        let mut draws = self.world.client_draws(client, ordinal);
        let kind = client::request_kind(&self.config);
        let call = Call::new(self.policy.clone(), now_ms, kind, &mut draws);
        let target = client::target(&self.config.scenario, client, ordinal);
        if id < self.options.lanes_max {
            self.lanes.push(CallTrace {
                id,
                client,
                target: target.clone(),
                start_ms: now_ms,
                end_ms: None,
                result: None,
                idempotency_key: call.idempotency_key().map(str::to_string),
                attempts: Vec::new(),
                sleeps: Vec::new(),
            });
        }
        self.tally.call_started(now_ms);
        slot.call = Some(CallRun {
            id,
            ordinal,
            call,
            draws,
            start_ms: now_ms,
            target,
            in_flight: None,
        });
        self.drive(now_ms, planned_ms, client);
    }

    /// Polls the client's call and carries out its step.
    pub(super) fn drive(&mut self, now_ms: u64, planned_ms: u64, client: u32) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let Some(run) = slot.call.as_mut() else {
            return;
        };
        let step = run.call.poll(now_ms, &mut slot.state, &mut run.draws);
        let (id, ordinal, start_ms) = (run.id, run.ordinal, run.start_ms);
        self.collect_client_events(client);
        match step {
            Step::Send {
                attempt,
                timeout_ms,
                probe,
                ..
            } => {
                let stage = client::first_stage(&self.config);
                if let Some(run) = self.call_mut(client) {
                    run.in_flight = Some(InFlight {
                        attempt,
                        stage,
                        request_id: 0,
                        start_ms: now_ms,
                    });
                }
                if let Some(lane) = self.lane_mut(id) {
                    let planned = planned_ms.min(now_ms);
                    lane.attempts.push(AttemptTrace::started(
                        attempt, planned, now_ms, timeout_ms, probe,
                    ));
                }
                self.tally.attempt_sent(now_ms.saturating_sub(planned_ms));
                self.transmit(now_ms, client, stage);
                if let Some(t) = timeout_ms {
                    let kind = TimerKind::AttemptTimeout {
                        client,
                        ordinal,
                        attempt,
                    };
                    self.set_timer(now_ms.saturating_add(t), kind);
                }
            }
            Step::Sleep { until_ms, reason } => {
                if let Some(lane) = self.lane_mut(id) {
                    lane.sleeps.push(SleepTrace {
                        from_ms: now_ms,
                        until_ms,
                        reason,
                    });
                }
                self.set_timer(until_ms, TimerKind::Wake { client, ordinal });
            }
            Step::AwaitOutcome => {}
            Step::Done(done) => {
                if let Some(lane) = self.lane_mut(id) {
                    lane.end_ms = Some(now_ms);
                    lane.result = Some(done.clone());
                }
                self.tally.call_done(start_ms, now_ms, &done);
                self.call_ends
                    .add(now_ms, matches!(done, policy::Done::Succeeded { .. }));
                let calls = self.config.scenario.calls_per_client;
                let scenario = &self.config.scenario;
                let gap = spiked_gap_ms(&scenario.spikes, now_ms, scenario.call_gap_ms);
                if let Some(slot) = self.clients.get_mut(client as usize) {
                    slot.call = None;
                    if slot.next_ordinal < calls {
                        self.set_timer(now_ms.saturating_add(gap), TimerKind::Start { client });
                        return;
                    }
                }
                self.clients_running = self.clients_running.saturating_sub(1);
                if self.clients_running == 0 {
                    self.finish(now_ms);
                }
            }
        }
    }

    /// Sends the request of `stage` for the client's attempt in flight.
    pub(super) fn transmit(&mut self, now_ms: u64, client: u32, stage: Stage) {
        let request_id = ((self.requests_sent + 1) << CLIENT_BITS) | u64::from(client);
        let Some(run) = self
            .clients
            .get_mut(client as usize)
            .and_then(|s| s.call.as_mut())
        else {
            return;
        };
        let Some(flight) = run.in_flight.as_mut() else {
            return;
        };
        self.requests_sent += 1;
        flight.request_id = request_id;
        flight.stage = stage;
        let identity = Identity {
            client,
            ordinal: run.ordinal,
            attempt: flight.attempt,
            stage,
        };
        let mut request =
            client::request(&self.config, &run.target, run.call.idempotency_key(), stage);
        request.id = request_id;
        let id = run.id;
        if let Some(attempt) = self.lane_mut(id).and_then(|l| l.attempts.last_mut()) {
            attempt.requests += 1;
        }
        self.load.up(now_ms);
        self.transmits.push_back(Transmit {
            request_id,
            identity,
            request,
        });
    }

    pub(super) fn end_attempt(
        &mut self,
        now_ms: u64,
        client: u32,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
    ) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let Some(run) = slot.call.as_mut() else {
            return;
        };
        let Some(flight) = run.in_flight.take() else {
            return;
        };
        let id = run.id;
        let policy_outcome = client::policy_outcome(outcome, retry_after_ms);
        run.call
            .on_outcome(now_ms, flight.attempt, policy_outcome, &mut slot.state);
        if let Some(attempt) = self.lane_mut(id).and_then(|l| l.attempts.last_mut()) {
            attempt.end_ms = Some(now_ms);
            attempt.outcome = Some(outcome);
        }
        self.density.add(flight.start_ms, Some(outcome));
        self.collect_client_events(client);
        self.drive(now_ms, now_ms, client);
    }

    pub(super) fn collect_client_events(&mut self, client: u32) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        for e in slot.state.take_events() {
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
        for run in self.clients.iter().filter_map(|c| c.call.as_ref()) {
            if let Some(flight) = run.in_flight {
                flights.push(flight);
            }
        }
        for flight in flights {
            self.density.add(flight.start_ms, None);
            self.abandon(end_ms, flight.request_id);
        }
        let unfinished = self.clients.iter().any(|c| c.call.is_some());
        self.end_ms = Some(if unfinished {
            end_ms
        } else {
            self.tally.drain_ms()
        });
        self.timers.clear();
    }
}
