//! One logical call as a state machine, and the per-client state it shares
//! with the other calls of its client.
//!
//! The driver loops on [`Call::poll`] and carries out each [`Step`]:
//!
//! - [`Step::Send`]: send attempt `attempt` now, with `timeout_ms` (the driver
//!   enforces it and reports [`Outcome::TimedOut`]) and the idempotency key;
//!   then report with [`Call::on_outcome`]. Until then `poll` says
//!   [`Step::AwaitOutcome`].
//! - [`Step::Sleep`]: poll again at `until_ms` (polling earlier repeats the
//!   same step). Every retry goes through a sleep, even of 0 ms, so the trace
//!   always says why it waited.
//! - [`Step::Done`]: finished; `poll` keeps returning the same step.
//! - [`Step::Throttled`]: the adaptive throttle ([`crate::throttle`])
//!   rejected attempt `attempt` locally: nothing is sent; poll again now.
//!
//! With hedging on ([`crate::hedge`]) several attempts of one call can be in
//! flight: while waiting, [`Call::hedge_at_ms`] says when to poll again, and
//! that poll may say [`Step::Send`] for a hedge. Report each attempt's
//! outcome; once the call is done the driver cancels the attempts
//! [`Call::in_flight`] still lists (their outcomes are no longer wanted).
//!
//! Decisions, in order. Before every attempt: the deadline (an attempt never
//! starts at or after `start + attempts.deadline_ms`), `attempts.max`, the
//! client rate limiter (no token: sleep [`SleepReason::RateLimited`], then
//! ask again; [`crate::adaptive`]), the
//! adaptive throttle (a local rejection fails the call fast, like an open
//! breaker: [`GaveUp::ThrottledLocally`]), then the breaker (fail fast).
//! A hedge the throttle rejects is simply not sent. A hedge is only
//! sent while the breaker is closed, and asks the budget first. After an attempt, in `on_outcome`: success, then the
//! classification (non-retryable → give up), then the idempotency guard
//! (`retry.require_key_for_unsafe`), then `attempts.max`. In the next `poll`:
//! the delay (Retry-After if honoured, as `retry_after.kind` says: `capped`
//! draws nothing, `envoy` one jitter draw unless the hint is above the cap,
//! `aws` the backoff it compares the hint with; else a backoff draw, with
//! `backoff.throttle_base_ms` after a throttling failure), then the
//! deadline (if the sleep would end at or after it, give up with
//! [`GaveUp::DeadlineExceeded`] at once instead of sleeping in vain), then
//! the budget (charged now, before the sleep; the price depends on whether the
//! failure was a timeout, throttling or else, see [`crate::budget::RetryCause`]).

use smallvec::SmallVec;
use std::sync::Arc;

use crate::breaker::{BreakerState, Permit};
use crate::budget::RetryCause;
use crate::classify::{classify, is_breaker_failure, is_throttling, Outcome, RequestKind, Verdict};
pub use crate::client::{ClientConfig, ClientEvent, ClientEventKind, ClientState};
use crate::config::{PolicyConfig, RetryAfterKind};
use crate::hints::{CodeClass, Pushback, ReplyHints};
use crate::{jitter, retry_after, unit_f64, Rng};

mod step;
pub use step::{Done, GaveUp, SleepReason, Step};

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    /// The next attempt may be sent.
    Ready,
    /// The attempts in `Call::flights` are in flight; the latest was sent
    /// (or rejected by the throttle) at `last_sent_ms`.
    InFlight {
        last_sent_ms: u64,
    },
    /// The last attempt failed retryably; the retry is decided in `poll`.
    Failed {
        timed_out: bool,
        throttled: bool,
        retry_after_ms: Option<u64>,
    },
    Sleeping {
        until_ms: u64,
        reason: SleepReason,
    },
    Done(Done),
}

/// An attempt in flight and its breaker permit, in 16 bytes (a
/// `(u32, Permit)` pads to 24).
#[derive(Clone, Copy, Debug)]
struct Flight {
    epoch: u64,
    attempt: u32,
    probe: bool,
}

/// One logical call. Create it with [`Call::new`], then drive it with
/// [`Call::poll`] and [`Call::on_outcome`] (see the module docs).
#[derive(Clone, Debug)]
pub struct Call {
    config: Arc<PolicyConfig>,
    request: RequestKind,
    deadline_ms: Option<u64>,
    key: Option<String>,
    attempts_sent: u32,
    /// What the delay draws remember (decorrelated backoffs).
    draws: jitter::DrawState,
    /// Tokens the last retry took from the budget (`token_bucket_refund` gives them back).
    last_retry_cost: Option<u64>,
    phase: Phase,
    /// Attempts in flight and their breaker permits (more than one only
    /// when hedging): one inline, so a plain call allocates no list.
    flights: SmallVec<[Flight; 1]>,
    /// Hedges sent (or refused by the budget, which ends hedging).
    hedges: u32,
    /// Retries before the last gRPC pushback: the backoff counts from there.
    backoff_from: u32,
}

/// 32 lowercase hex digits from two `u64` draws.
fn draw_key(rng: &mut impl Rng) -> String {
    format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

impl Call {
    /// A call starting at `now_ms`. Draws its idempotency key from `rng` (two
    /// `u64`s) if `idempotency.key` is on.
    pub fn new(
        config: Arc<PolicyConfig>,
        now_ms: u64,
        request: RequestKind,
        rng: &mut impl Rng,
    ) -> Call {
        let key = config.idempotency.key.then(|| draw_key(rng));
        let deadline_ms = match config.attempts.deadline_ms {
            0 => None,
            d => Some(now_ms.saturating_add(d)),
        };
        let draws = jitter::DrawState::new(&config);
        Call {
            config,
            request,
            deadline_ms,
            key,
            attempts_sent: 0,
            draws,
            last_retry_cost: None,
            phase: Phase::Ready,
            flights: SmallVec::new(),
            hedges: 0,
            backoff_from: 0,
        }
    }

    /// The call's idempotency key, if it has one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Attempts sent so far.
    pub fn attempts_sent(&self) -> u32 {
        self.attempts_sent
    }

    /// The absolute deadline, if any.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.deadline_ms
    }

    /// The request kind given to [`Call::new`].
    pub fn request(&self) -> RequestKind {
        self.request
    }

    /// The config the call runs with.
    pub fn config(&self) -> &Arc<PolicyConfig> {
        &self.config
    }

    /// The attempts in flight (the driver cancels these once the call is done).
    pub fn in_flight(&self) -> impl Iterator<Item = u32> + '_ {
        self.flights.iter().map(|f| f.attempt)
    }

    /// When to poll again to maybe send a hedge: `hedge.delay_ms` after the
    /// latest attempt was sent, while attempts are in flight and hedges are
    /// left. `None` otherwise, and always for a non-idempotent call without
    /// an idempotency key under `retry.require_key_for_unsafe`.
    pub fn hedge_at_ms(&self) -> Option<u64> {
        let hedge = &self.config.hedge;
        // A second copy of an unkeyed POST is a duplicate, as a retry would be.
        let unsafe_copy = self.config.retry.require_key_for_unsafe
            && self.request == RequestKind::NonIdempotent
            && self.key.is_none();
        match self.phase {
            Phase::InFlight { last_sent_ms, .. }
                if hedge.is_on() && self.hedges < hedge.max_extra && !unsafe_copy =>
            {
                Some(last_sent_ms.saturating_add(hedge.delay_ms))
            }
            _ => None,
        }
    }

    /// How it ended, once it has.
    pub fn done(&self) -> Option<&Done> {
        match &self.phase {
            Phase::Done(done) => Some(done),
            _ => None,
        }
    }

    fn finish(&mut self, reason: GaveUp) -> Step {
        let done = Done::GaveUp {
            attempts: self.attempts_sent,
            reason,
        };
        self.phase = Phase::Done(done.clone());
        Step::Done(done)
    }

    /// What to do at `now_ms`. May ask the breaker for leave to send, charge
    /// the budget and draw a delay from `rng`.
    pub fn poll(&mut self, now_ms: u64, client: &mut ClientState, rng: &mut impl Rng) -> Step {
        let step = self.decide(now_ms, client, rng);
        client.collect();
        step
    }

    fn decide(&mut self, now_ms: u64, client: &mut ClientState, rng: &mut impl Rng) -> Step {
        match self.phase.clone() {
            Phase::Done(done) => Step::Done(done),
            Phase::InFlight { .. } => self.maybe_hedge(now_ms, client, rng),
            Phase::Sleeping { until_ms, reason } if now_ms < until_ms => {
                Step::Sleep { until_ms, reason }
            }
            Phase::Sleeping { .. } | Phase::Ready => self.send(now_ms, client, rng),
            Phase::Failed {
                timed_out,
                throttled,
                retry_after_ms,
            } => {
                let cause = match (timed_out, throttled) {
                    (true, _) => RetryCause::Timeout,
                    (false, true) => RetryCause::Throttling,
                    (false, false) => RetryCause::Failure,
                };
                self.schedule_retry(now_ms, cause, retry_after_ms, client, rng)
            }
        }
    }

    /// A hedge if one is due (see [`Call::hedge_at_ms`]), else keep waiting.
    fn maybe_hedge(&mut self, now_ms: u64, client: &mut ClientState, rng: &mut impl Rng) -> Step {
        if self.hedge_at_ms().is_none_or(|at| now_ms < at)
            || self.deadline_ms.is_some_and(|d| now_ms >= d)
            || client.breaker.peek(now_ms) != BreakerState::Closed
        {
            return Step::AwaitOutcome;
        }
        self.hedges = self.hedges.saturating_add(1);
        if !client.budget.try_retry(now_ms, false) {
            self.hedges = self.config.hedge.max_extra;
            return Step::AwaitOutcome;
        }
        if !self.admit(now_ms, client, rng) {
            if let Phase::InFlight { last_sent_ms } = &mut self.phase {
                *last_sent_ms = now_ms;
            }
            return Step::Throttled {
                attempt: self.attempts_sent,
            };
        }
        match client.breaker.permit(now_ms) {
            Some(permit) => self.launch(now_ms, permit),
            None => Step::AwaitOutcome,
        }
    }

    /// Asks the adaptive throttle (one draw from `rng`, only when it is on);
    /// a rejected attempt is counted as sent.
    fn admit(&mut self, now_ms: u64, client: &mut ClientState, rng: &mut impl Rng) -> bool {
        if !client.throttle.is_on() {
            return true;
        }
        let u = unit_f64(rng);
        if client.throttle.admit(now_ms, u) {
            return true;
        }
        self.attempts_sent = self.attempts_sent.saturating_add(1);
        false
    }

    fn send(&mut self, now_ms: u64, client: &mut ClientState, rng: &mut impl Rng) -> Step {
        let attempts = &self.config.attempts;
        if self.deadline_ms.is_some_and(|d| now_ms >= d) {
            return self.finish(GaveUp::DeadlineExceeded);
        }
        if attempts.max != 0 && self.attempts_sent >= attempts.max {
            return self.finish(GaveUp::AttemptsExhausted);
        }
        if let Some(step) = self.rate_limit(now_ms, client) {
            return step;
        }
        if !self.admit(now_ms, client, rng) {
            if self.attempts_sent == 1 {
                client.budget.on_call(now_ms);
            }
            let attempt = self.attempts_sent;
            self.phase = Phase::Done(Done::GaveUp {
                attempts: attempt,
                reason: GaveUp::ThrottledLocally,
            });
            return Step::Throttled { attempt };
        }
        let Some(permit) = client.breaker.permit(now_ms) else {
            return self.finish(GaveUp::BreakerOpen);
        };
        if self.attempts_sent == 0 {
            client.budget.on_call(now_ms);
        }
        self.launch(now_ms, permit)
    }

    /// The client rate limiter's wait before this attempt, if it has no token.
    fn rate_limit(&mut self, now_ms: u64, client: &mut ClientState) -> Option<Step> {
        let wait_ms = client.limiter.as_mut()?.acquire(now_ms).err()?;
        let until_ms = now_ms.saturating_add(wait_ms);
        if self.deadline_ms.is_some_and(|d| until_ms >= d) {
            return Some(self.finish(GaveUp::DeadlineExceeded));
        }
        let reason = SleepReason::RateLimited { wait_ms };
        self.phase = Phase::Sleeping {
            until_ms,
            reason: reason.clone(),
        };
        Some(Step::Sleep { until_ms, reason })
    }

    /// Sends the next attempt with `permit`.
    fn launch(&mut self, now_ms: u64, permit: Permit) -> Step {
        let attempts = &self.config.attempts;
        self.attempts_sent = self.attempts_sent.saturating_add(1);
        let per_attempt = (attempts.timeout_ms != 0).then_some(attempts.timeout_ms);
        let left = self.deadline_ms.map(|d| d.saturating_sub(now_ms));
        let timeout_ms = match (per_attempt, left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.flights.push(Flight {
            epoch: permit.epoch,
            attempt: self.attempts_sent,
            probe: permit.probe,
        });
        self.phase = Phase::InFlight {
            last_sent_ms: now_ms,
        };
        Step::Send {
            attempt: self.attempts_sent,
            timeout_ms,
            idempotency_key: self.key.clone(),
            probe: permit.probe,
        }
    }

    /// The backoff draw for `retry` and its sleep reason (the call's
    /// `config` and `draws`, borrowed apart).
    fn draw_backoff(
        config: &PolicyConfig,
        draws: &mut jitter::DrawState,
        retry: u32,
        throttled: bool,
        rng: &mut impl Rng,
    ) -> (u64, SleepReason) {
        let planned_ms = jitter::draw(config, retry, throttled, draws, rng);
        let envelope_ms = jitter::envelope_for(config, retry, throttled);
        (
            planned_ms,
            SleepReason::Backoff {
                retry,
                planned_ms,
                envelope_ms,
            },
        )
    }

    fn schedule_retry(
        &mut self,
        now_ms: u64,
        cause: RetryCause,
        retry_after_ms: Option<u64>,
        client: &mut ClientState,
        rng: &mut impl Rng,
    ) -> Step {
        let config = &*self.config;
        let ra = &config.retry_after;
        let retry = self.attempts_sent.saturating_sub(self.backoff_from);
        let throttled = cause == RetryCause::Throttling;
        let hint = retry_after_ms.filter(|_| ra.honor);
        // `capped` draws nothing for a hint (the goldens' draws stay as they were);
        // `envoy` draws its jitter, `aws` the backoff it compares the hint with.
        let (delay_ms, reason) = match (hint, ra.kind) {
            (Some(server_ms), RetryAfterKind::Grpc) => {
                // gRPC's pushback: exactly the hint, and the backoff starts over.
                self.backoff_from = self.attempts_sent;
                let reason = SleepReason::RetryAfter {
                    server_ms,
                    capped_ms: server_ms,
                };
                (server_ms, reason)
            }
            (Some(server_ms), RetryAfterKind::Capped) => {
                let capped_ms = server_ms.min(ra.cap_ms);
                let reason = SleepReason::RetryAfter {
                    server_ms,
                    capped_ms,
                };
                (capped_ms, reason)
            }
            (Some(server_ms), RetryAfterKind::Envoy) if server_ms <= ra.cap_ms => {
                let u = unit_f64(rng);
                let capped_ms = retry_after::sleep_ms(ra, server_ms, 0, u).unwrap_or(server_ms);
                let reason = SleepReason::RetryAfter {
                    server_ms,
                    capped_ms,
                };
                (capped_ms, reason)
            }
            (Some(server_ms), RetryAfterKind::Aws) => {
                let (t, _) = Self::draw_backoff(config, &mut self.draws, retry, throttled, rng);
                let capped_ms = retry_after::sleep_ms(ra, server_ms, t, 0.0).unwrap_or(t);
                let reason = SleepReason::RetryAfter {
                    server_ms,
                    capped_ms,
                };
                (capped_ms, reason)
            }
            _ => Self::draw_backoff(config, &mut self.draws, retry, throttled, rng),
        };
        let until_ms = now_ms.saturating_add(delay_ms);
        if self.deadline_ms.is_some_and(|d| until_ms >= d) {
            return self.finish(GaveUp::DeadlineExceeded);
        }
        match client.budget.charge(now_ms, cause) {
            Some(cost) => self.last_retry_cost = Some(cost),
            None => return self.finish(GaveUp::BudgetExhausted),
        }
        self.phase = Phase::Sleeping {
            until_ms,
            reason: reason.clone(),
        };
        Step::Sleep { until_ms, reason }
    }

    /// Reports how attempt `attempt` ended at `now_ms`. Reports for an
    /// attempt that is not in flight (stale, duplicate, or after the call
    /// ended) are ignored.
    pub fn on_outcome(
        &mut self,
        now_ms: u64,
        attempt: u32,
        outcome: Outcome,
        client: &mut ClientState,
    ) {
        self.on_outcome_hinted(now_ms, attempt, outcome, ReplyHints::default(), client);
    }

    /// [`Call::on_outcome`] with the reply's [`ReplyHints`] (`x-amz-retry-after`,
    /// gRPC's pushback, the error code), read as the config says.
    pub fn on_outcome_hinted(
        &mut self,
        now_ms: u64,
        attempt: u32,
        outcome: Outcome,
        hints: ReplyHints,
        client: &mut ClientState,
    ) {
        let Phase::InFlight { last_sent_ms } = self.phase else {
            return;
        };
        let Some(index) = self.flights.iter().position(|f| f.attempt == attempt) else {
            return;
        };
        let flight = self.flights.remove(index);
        let permit = Permit {
            probe: flight.probe,
            epoch: flight.epoch,
        };
        client
            .breaker
            .on_outcome(now_ms, permit, is_breaker_failure(&outcome));
        if !matches!(
            outcome,
            Outcome::Response {
                status: 429 | 503,
                ..
            } | Outcome::TimedOut
                | Outcome::NetworkError
        ) {
            client.throttle.on_accept(now_ms);
        }
        // Borrowed, not cloned: an atomic increment per outcome waits for every store before it.
        let config = &*self.config;
        let rules = &config.retry;
        let coded = rules.error_codes && hints.code != CodeClass::None;
        let verdict = match classify(rules, &outcome, self.key.is_some()) {
            // The SDKs retry a throttling or transient code whatever its status.
            Verdict::Fatal
                if coded && matches!(outcome, Outcome::Response { status: 400.., .. }) =>
            {
                Verdict::Retryable
            }
            verdict => verdict,
        };
        let attempts = self.attempts_sent;
        let gave_up = |reason| Phase::Done(Done::GaveUp { attempts, reason });
        // A hedged attempt failed retryably while another is still out: wait for that one.
        let waiting = !self.flights.is_empty() && verdict == Verdict::Retryable;
        let throttled =
            is_throttling(&outcome) || (rules.error_codes && hints.code == CodeClass::Throttling);
        if let Some(limiter) = client.limiter.as_mut() {
            limiter.update(now_ms, throttled);
        }
        let ra = &config.retry_after;
        let grpc = ra.honor && ra.kind == RetryAfterKind::Grpc;
        let stop = grpc && hints.pushback == Pushback::Stop && verdict != Verdict::Success;
        // gRPC: a failed attempt with a retryable status (or a pushback that
        // says stop) takes a token, checked before attempts.max; a failed
        // hedge too while another is out (grpc-java `makeHedgingDecision`).
        let throttled_out = match verdict {
            Verdict::Retryable => !client.budget.on_failed_attempt(now_ms),
            _ if stop => !client.budget.on_failed_attempt(now_ms),
            _ => false,
        };
        let hint_ms = |retry_after_ms: Option<u64>| match (ra.kind, hints.pushback) {
            (RetryAfterKind::Grpc, Pushback::Ms(ms)) => Some(ms),
            (RetryAfterKind::Grpc, _) => None,
            (RetryAfterKind::Aws, _) => hints.amz_retry_after_ms.or(retry_after_ms),
            _ => retry_after_ms,
        };
        self.phase = match (verdict, outcome) {
            (Verdict::Retryable, _) if waiting => Phase::InFlight { last_sent_ms },
            (Verdict::Retryable | Verdict::Fatal, Outcome::Response { status, .. }) if stop => {
                gave_up(GaveUp::NonRetryable { status })
            }
            (Verdict::Retryable, _) if throttled_out => gave_up(GaveUp::BudgetExhausted),
            (Verdict::Success, _) => {
                client.budget.on_call_success(now_ms, self.last_retry_cost);
                Phase::Done(Done::Succeeded { attempts })
            }
            (Verdict::Fatal, Outcome::Response { status, .. }) => {
                gave_up(GaveUp::NonRetryable { status })
            }
            (Verdict::Fatal, Outcome::NetworkError) => gave_up(GaveUp::NetworkErrorNotRetried),
            (Verdict::Fatal, Outcome::TimedOut) => gave_up(GaveUp::TimeoutNotRetried),
            (Verdict::Retryable, _)
                if rules.require_key_for_unsafe
                    && self.request == RequestKind::NonIdempotent
                    && self.key.is_none() =>
            {
                gave_up(GaveUp::UnkeyedNonIdempotent)
            }
            (Verdict::Retryable, _)
                if self.config.attempts.max != 0 && attempts >= self.config.attempts.max =>
            {
                gave_up(GaveUp::AttemptsExhausted)
            }
            (Verdict::Retryable, Outcome::Response { retry_after_ms, .. }) => Phase::Failed {
                timed_out: false,
                throttled,
                retry_after_ms: hint_ms(retry_after_ms),
            },
            (Verdict::Retryable, Outcome::TimedOut) => Phase::Failed {
                timed_out: true,
                throttled: false,
                retry_after_ms: None,
            },
            (Verdict::Retryable, Outcome::NetworkError) => Phase::Failed {
                timed_out: false,
                throttled: false,
                retry_after_ms: None,
            },
        };
        client.collect();
    }
}
