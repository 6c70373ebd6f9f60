//! The state one client shares across its calls: the circuit breaker, the
//! retry budget and the adaptive throttle, and the events their changes
//! make for the UI. The calls themselves are in [`crate::call`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::adaptive::RateLimiter;
use crate::breaker::{Breaker, BreakerState};
use crate::budget::Budget;
use crate::config::{BreakerConfig, BudgetConfig, PolicyConfig, RateLimiterKind};
use crate::throttle::Throttle;
use crate::throttle::ThrottleConfig;

/// What changed in a client's shared state, for the UI's breaker band and
/// budget level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientEvent {
    pub at_ms: u64,
    pub kind: ClientEventKind,
}

/// See [`ClientEvent`]. JSON: `{"Breaker":{"Open":{"until_ms":9000}}}`, `{"BudgetLevel":0.98}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ClientEventKind {
    /// The breaker moved to this state.
    Breaker(BreakerState),
    /// The budget's level (fraction left, see [`ClientState::budget_level`]) changed.
    BudgetLevel(f64),
}

/// The settings of a client's breaker, budget and throttle, made once and
/// shared by many clients' states ([`ClientState::shared`]): a run of
/// 100,000 clients holds one copy, and each state only pointers to it.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    breaker: Arc<BreakerConfig>,
    budget: Arc<BudgetConfig>,
    throttle: Arc<ThrottleConfig>,
    rate_limiter: RateLimiterKind,
}

impl ClientConfig {
    pub fn new(config: &PolicyConfig) -> ClientConfig {
        ClientConfig {
            breaker: Arc::new(config.breaker.clone()),
            budget: Arc::new(config.budget.clone()),
            throttle: Arc::new(config.throttle.clone()),
            rate_limiter: config.rate_limiter,
        }
    }
}

/// Per-client state shared by all its calls: the circuit breaker and the
/// retry budget. Their settings come from the config given to
/// [`ClientState::new`], not from each call's config.
#[derive(Clone, Debug)]
pub struct ClientState {
    pub(crate) breaker: Breaker,
    pub(crate) budget: Budget,
    pub(crate) throttle: Throttle,
    /// `rate_limiter.kind = aws_adaptive`.
    /// Boxed: rarely on, and a million clients' records stay small.
    pub(crate) limiter: Option<Box<RateLimiter>>,
    events: Vec<ClientEvent>,
}

impl ClientState {
    /// A closed breaker and a full budget.
    pub fn new(config: &PolicyConfig) -> ClientState {
        ClientState::shared(&ClientConfig::new(config))
    }

    /// The same, pointing at `config` rather than copying it.
    pub fn shared(config: &ClientConfig) -> ClientState {
        ClientState {
            breaker: Breaker::shared(Arc::clone(&config.breaker)),
            budget: Budget::shared(Arc::clone(&config.budget)),
            throttle: Throttle::shared(Arc::clone(&config.throttle)),
            limiter: (config.rate_limiter == RateLimiterKind::AwsAdaptive)
                .then(|| Box::new(RateLimiter::new(0))),
            events: Vec::new(),
        }
    }

    /// The breaker's state at `now_ms` (an open breaker whose time is up reads
    /// as half-open).
    pub fn breaker_state(&self, now_ms: u64) -> BreakerState {
        self.breaker.peek(now_ms)
    }

    /// The fraction of the retry budget left, in `[0, 1]`; `None` without a budget.
    pub fn budget_level(&self) -> Option<f64> {
        self.budget.level()
    }

    /// Tokens left in a `token_bucket` budget.
    pub fn budget_tokens(&self) -> Option<u64> {
        self.budget.tokens()
    }

    /// Tokens left in any bucket, `grpc_throttling`'s fractions included.
    pub fn budget_token_count(&self) -> Option<f64> {
        self.budget.token_count()
    }

    /// Takes the events since the last call, oldest first (breaker changes
    /// come before budget changes of the same instant).
    pub fn take_events(&mut self) -> Vec<ClientEvent> {
        self.collect();
        std::mem::take(&mut self.events)
    }

    /// Called at every poll and outcome; most change nothing.
    #[inline]
    pub(crate) fn collect(&mut self) {
        if self.breaker.has_changes() || self.budget.has_changes() {
            self.collect_changes();
        }
    }

    #[cold]
    fn collect_changes(&mut self) {
        let breaker = self.breaker.take_changes().into_iter();
        let budget = self.budget.take_changes().into_iter();
        let mut new: Vec<ClientEvent> = breaker
            .map(|(at_ms, s)| ClientEvent {
                at_ms,
                kind: ClientEventKind::Breaker(s),
            })
            .chain(budget.map(|(at_ms, l)| ClientEvent {
                at_ms,
                kind: ClientEventKind::BudgetLevel(l),
            }))
            .collect();
        new.sort_by_key(|e| e.at_ms); // stable: keeps breaker first within an instant
        self.events.append(&mut new);
    }

    /// Direct access for tests and the simulator's detailed views.
    pub fn breaker_mut(&mut self) -> &mut Breaker {
        &mut self.breaker
    }

    /// The adaptive throttle's probability of a local rejection at `now_ms`.
    pub fn throttle_probability(&self, now_ms: u64) -> f64 {
        self.throttle.reject_probability(now_ms)
    }

    /// Exchanges this client's throttle with `other`: a driver with one
    /// throttle for all clients (`throttle.scope = shared`) swaps it in
    /// before a call of this client is polled or told an outcome, and out
    /// after.
    pub fn swap_throttle(&mut self, other: &mut Throttle) {
        std::mem::swap(&mut self.throttle, other);
    }

    /// The client rate limiter, when `rate_limiter.kind` has one.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_deref()
    }

    /// Direct access for tests and the simulator's detailed views.
    pub fn budget_mut(&mut self) -> &mut Budget {
        &mut self.budget
    }
}
