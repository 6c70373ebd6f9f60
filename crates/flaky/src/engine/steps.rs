//! The engine's inside, part one: what a timer sets off (a call's start, a
//! wake, a timeout) and how a call's active layer is polled and its step
//! carried out. Part two ([`super::attempts`]) sends requests and ends
//! attempts, calls and the run. The driving API is in the [parent module](super).

use policy::bulkhead::Admission;
use policy::hints::ReplyHints;
use policy::throttle::Throttle;
use policy::{Call, ClientState, Done, GaveUp, Outcome, Step};

use super::{CallRun, Engine, InFlight, Layer, TimerKind};
use crate::client;
use crate::trace::{AttemptOutcome, AttemptTrace, CallTrace, SleepTrace};
use crate::windows::spiked_gap_ms;
use smallvec::{smallvec, SmallVec};

/// Runs `f` on a client's state with the shared throttle swapped in, if any.
pub(super) fn with_throttle<T>(
    state: &mut ClientState,
    shared: Option<&mut Throttle>,
    f: impl FnOnce(&mut ClientState) -> T,
) -> T {
    match shared {
        Some(throttle) => {
            state.swap_throttle(throttle);
            let out = f(state);
            state.swap_throttle(throttle);
            out
        }
        None => f(state),
    }
}

impl Engine {
    pub(super) fn set_timer(&mut self, at_ms: u64, kind: TimerKind) {
        self.timers.push(at_ms, kind);
    }

    pub(super) fn call(&self, client: u32, ordinal: u32) -> Option<&CallRun> {
        let calls = &self.clients.get(client as usize)?.calls;
        calls.iter().find(|c| c.ordinal == ordinal)
    }

    pub(super) fn call_mut(&mut self, client: u32, ordinal: u32) -> Option<&mut CallRun> {
        let calls = &mut self.clients.get_mut(client as usize)?.calls;
        calls.iter_mut().find(|c| c.ordinal == ordinal)
    }

    pub(super) fn lane_mut(&mut self, call_id: u32) -> Option<&mut CallTrace> {
        self.lanes.get_mut(call_id as usize)
    }

    /// The index of the bottom layer.
    pub(super) fn bottom(&self) -> usize {
        self.policies.len().saturating_sub(1)
    }

    pub(super) fn fire(&mut self, now_ms: u64, at_ms: u64, timer: TimerKind) {
        match timer {
            TimerKind::Start { client } => self.start_call(now_ms, at_ms, client),
            TimerKind::Wake {
                client,
                ordinal,
                seq,
            } => {
                if self
                    .call(client, ordinal)
                    .is_some_and(|c| c.wake_seq == seq && c.started)
                {
                    self.drive(now_ms, at_ms, client, ordinal);
                }
            }
            TimerKind::AttemptTimeout {
                client,
                ordinal,
                layer,
                key,
            } => self.attempt_timed_out(now_ms, client, ordinal, layer as usize, key),
        }
    }

    fn attempt_timed_out(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        layer: usize,
        key: u32,
    ) {
        let bottom = self.bottom();
        if layer == bottom && self.flights_of.get(client as usize) == Some(&0) {
            debug_assert!(self.clients[client as usize]
                .calls
                .iter()
                .all(|c| c.flights.is_empty()));
            return;
        }
        let Some(run) = self.call(client, ordinal) else {
            return;
        };
        if layer == bottom {
            let Some(flight) = run.flights.iter().find(|f| f.wire == key).copied() else {
                return;
            };
            if run.stack.len() != bottom + 1 {
                return;
            }
            self.abandon(now_ms, flight.request_id);
            self.end_attempt(
                now_ms,
                client,
                ordinal,
                key,
                AttemptOutcome::TimedOut,
                None,
                ReplyHints::default(),
            );
            return;
        }
        // An upper layer's attempt: its call below (and everything under it) is abandoned.
        let waiting = run
            .stack
            .get(layer)
            .and_then(|l| l.waiting_on)
            .filter(|(_, sub)| *sub == key && run.stack.len() > layer + 1);
        let Some((attempt, _)) = waiting else {
            return;
        };
        self.cut_below(now_ms, client, ordinal, layer, AttemptOutcome::TimedOut);
        self.report_up(now_ms, client, ordinal, layer, attempt, Outcome::TimedOut);
        self.drive(now_ms, now_ms, client, ordinal);
    }

    /// A client's next call is due at `planned_ms`: it starts, waits for
    /// the bulkhead, or fails fast.
    pub(super) fn start_call(&mut self, now_ms: u64, planned_ms: u64, client: u32) {
        let every = self.config.scenario.call_every_ms;
        let calls = self.config.scenario.calls_per_client;
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let ordinal = slot.next_ordinal;
        slot.next_ordinal += 1;
        let admission = self.policies[0].client.admit(slot.running());
        if every > 0 && slot.next_ordinal < calls {
            let every = spiked_gap_ms(&self.config.scenario.spikes, planned_ms, every);
            let next = planned_ms.saturating_add(every);
            self.set_timer(next, TimerKind::Start { client });
        }
        let id = self.next_call_id;
        self.next_call_id = self.next_call_id.saturating_add(1);
        let mut draws = self.world.client_draws(client, ordinal);
        let kind = client::request_kind(&self.config);
        let call = Call::new(self.policies[0].clone(), now_ms, kind, &mut draws);
        if id < self.options.lanes_max {
            self.lanes.push(CallTrace {
                id,
                client,
                target: client::target(&self.config.scenario, client, ordinal),
                start_ms: now_ms,
                end_ms: None,
                result: None,
                idempotency_key: call.idempotency_key().map(str::to_string),
                attempts: Vec::new(),
                sleeps: Vec::new(),
            });
        }
        self.tally.call_started(now_ms);
        let run = CallRun {
            id,
            ordinal,
            start_ms: now_ms,
            stack: smallvec![Layer {
                call,
                draws,
                waiting_on: None,
                last_outcome: None,
            }],
            flights: SmallVec::new(),
            wires: 0,
            sub_calls: 0,
            wake_seq: 0,
            started: admission == Admission::Go,
        };
        if let Some(slot) = self.clients.get_mut(client as usize) {
            slot.calls.push(run);
        }
        match admission {
            Admission::Go => self.drive(now_ms, planned_ms, client, ordinal),
            Admission::Wait => {}
            Admission::Fail => {
                let done = Done::GaveUp {
                    attempts: 0,
                    reason: GaveUp::BulkheadFull,
                };
                self.call_done(now_ms, client, ordinal, done);
            }
        }
    }

    /// Polls the call's active (deepest) layer and carries out its step,
    /// until it has to wait for time or a reply.
    pub(super) fn drive(&mut self, now_ms: u64, planned_ms: u64, client: u32, ordinal: u32) {
        let bottom = self.bottom();
        loop {
            let Some(slot) = self.clients.get_mut(client as usize) else {
                return;
            };
            let Some(run) = slot.calls.iter_mut().find(|c| c.ordinal == ordinal) else {
                return;
            };
            let depth = run.stack.len() - 1;
            let (Some(layer), Some(state)) = (run.stack.last_mut(), slot.states.get_mut(depth))
            else {
                return;
            };
            let shared = self
                .shared_throttles
                .get_mut(depth)
                .and_then(Option::as_mut);
            let step = with_throttle(state, shared, |state| {
                layer.call.poll(now_ms, state, &mut layer.draws)
            });
            let id = run.id;
            self.collect_client_events(client);
            match step {
                Step::Send {
                    attempt,
                    timeout_ms,
                    ..
                } if depth < bottom => {
                    self.call_below(now_ms, client, ordinal, depth, attempt, timeout_ms);
                }
                Step::Send {
                    attempt,
                    timeout_ms,
                    probe,
                    ..
                } => {
                    self.send(
                        now_ms, planned_ms, client, ordinal, attempt, timeout_ms, probe,
                    );
                    self.arm_hedge(client, ordinal);
                    return;
                }
                Step::Throttled { attempt } => {
                    self.tally.throttled();
                    if depth == bottom {
                        let hedge = self
                            .call(client, ordinal)
                            .is_some_and(|c| !c.flights.is_empty());
                        if let Some(lane) = self.lane_mut(id) {
                            let mut bar =
                                AttemptTrace::started(attempt, now_ms, now_ms, None, false);
                            bar.end_ms = Some(now_ms);
                            bar.outcome = Some(AttemptOutcome::ThrottledLocally);
                            bar.hedge = hedge;
                            lane.attempts.push(bar);
                        }
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
                    self.wake_at(until_ms, client, ordinal);
                    return;
                }
                Step::AwaitOutcome => {
                    if depth == bottom {
                        self.arm_hedge(client, ordinal);
                    }
                    return;
                }
                Step::Done(done) if depth > 0 => {
                    self.sub_call_done(now_ms, client, ordinal, depth, &done);
                }
                Step::Done(done) => {
                    if depth == bottom {
                        self.cut_flights(now_ms, client, ordinal, AttemptOutcome::Cancelled);
                    }
                    self.call_done(now_ms, client, ordinal, done);
                    return;
                }
            }
        }
    }

    /// Sets the call's one live wake-up at `at_ms` (older ones go stale).
    pub(super) fn wake_at(&mut self, at_ms: u64, client: u32, ordinal: u32) {
        let Some(run) = self.call_mut(client, ordinal) else {
            return;
        };
        run.wake_seq = run.wake_seq.wrapping_add(1);
        let seq = run.wake_seq;
        self.set_timer(
            at_ms,
            TimerKind::Wake {
                client,
                ordinal,
                seq,
            },
        );
    }

    /// A wake-up for the next hedge, if the bottom layer's call has one due.
    fn arm_hedge(&mut self, client: u32, ordinal: u32) {
        let at = self
            .call(client, ordinal)
            .and_then(|r| r.stack.last())
            .and_then(|l| l.call.hedge_at_ms());
        if let Some(at_ms) = at {
            self.wake_at(at_ms, client, ordinal);
        }
    }

    /// Layer `depth`'s attempt `attempt` is a call into the layer below.
    fn call_below(
        &mut self,
        now_ms: u64,
        client: u32,
        ordinal: u32,
        depth: usize,
        attempt: u32,
        timeout_ms: Option<u64>,
    ) {
        self.tally.layer_call(depth);
        let kind = client::request_kind(&self.config);
        let Some(policy) = self.policies.get(depth + 1).cloned() else {
            return;
        };
        let world = self.world;
        let Some(run) = self.call_mut(client, ordinal) else {
            return;
        };
        run.sub_calls = run.sub_calls.wrapping_add(1);
        let sub = run.sub_calls;
        if let Some(layer) = run.stack.last_mut() {
            layer.waiting_on = Some((attempt, sub));
        }
        let mut draws = world.layer_draws(client, ordinal, depth as u32 + 1, sub);
        let call = Call::new(policy, now_ms, kind, &mut draws);
        run.stack.push(Layer {
            call,
            draws,
            waiting_on: None,
            last_outcome: None,
        });
        if let Some(t) = timeout_ms {
            let timer = TimerKind::AttemptTimeout {
                client,
                ordinal,
                layer: depth as u8,
                key: sub,
            };
            self.set_timer(now_ms.saturating_add(t), timer);
        }
    }

    /// The bottom layer sends attempt `attempt`.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        now_ms: u64,
        planned_ms: u64,
        client: u32,
        ordinal: u32,
        attempt: u32,
        timeout_ms: Option<u64>,
        probe: bool,
    ) {
        let stage = client::first_stage(&self.config);
        let bottom = self.bottom() as u8;
        let kept = self.lanes.len();
        let Some(run) = self.call_mut(client, ordinal) else {
            return;
        };
        let hedge = !run.flights.is_empty();
        // The attempt each layer above is on: the bracket this request sits under.
        let layers: Vec<u32> = match run.stack.split_last() {
            Some((_, above)) if (run.id as usize) < kept => above
                .iter()
                .filter_map(|l| l.waiting_on.map(|(attempt, _)| attempt))
                .collect(),
            _ => Vec::new(),
        };
        run.wires = run.wires.saturating_add(1);
        let wire = run.wires;
        let id = run.id;
        // A hedge is planned by the hedge delay, not by a sleep.
        let planned = if hedge {
            now_ms
        } else {
            planned_ms.min(now_ms)
        };
        let bar = self.lane_mut(id).map(|lane| {
            let mut bar = AttemptTrace::started(attempt, planned, now_ms, timeout_ms, probe);
            bar.hedge = hedge;
            bar.layers = layers;
            lane.attempts.push(bar);
            lane.attempts.len() as u32 - 1
        });
        if hedge {
            self.tally.hedged();
        }
        self.tally.attempt_sent(now_ms.saturating_sub(planned));
        if let Some(run) = self.call_mut(client, ordinal) {
            run.flights.push(InFlight {
                attempt,
                wire,
                stage,
                request_id: 0,
                start_ms: now_ms,
                bar,
            });
            if let Some(n) = self.flights_of.get_mut(client as usize) {
                *n += 1;
            }
        }
        self.transmit(now_ms, client, ordinal, wire, stage);
        if let Some(t) = timeout_ms {
            let timer = TimerKind::AttemptTimeout {
                client,
                ordinal,
                layer: bottom,
                key: wire,
            };
            self.set_timer(now_ms.saturating_add(t), timer);
        }
    }
}
