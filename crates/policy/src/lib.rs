//! Sans-IO client policies: retries, backoff, jitter, timeouts, circuit
//! breaker, retry budget, `Retry-After` and idempotency keys.
//!
//! # Contract
//!
//! This crate is **deterministic** and does **no I/O**, in the manner of
//! `quinn-proto`:
//!
//! - it never reads a clock: time is a `now_ms: u64` argument (milliseconds on
//!   any monotonic scale the caller chooses, the same for every call and
//!   client);
//! - it never reads OS entropy: randomness comes from a generator passed in
//!   (`rng: &mut impl Rng`, usually [`rand_chacha::ChaCha8Rng`]), and only
//!   `u64` draws are used, so one seed gives one result on native and on
//!   `wasm32`;
//! - it never touches the network: the caller carries out each [`Step`] and
//!   reports what happened with [`Call::on_outcome`];
//! - no input reachable from a knob, a deserialized config or an outcome
//!   panics; arithmetic on milliseconds saturates.
//!
//! # Driving a call
//!
//! A logical request is a [`Call`]. Its driver (the browser's `fetch` shell or
//! the simulator) loops: [`Call::poll`] says what to do next, the driver does
//! it, and reports outcomes with [`Call::on_outcome`]. Shared per-client state
//! (the circuit breaker and the retry budget) lives in a [`ClientState`] that
//! is passed in, never global.
//!
//! ```
//! use std::sync::Arc;
//! use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
//! use policy::{Call, ClientState, Done, GaveUp, Outcome, PolicyConfig, RequestKind, Step};
//!
//! let config = Arc::new(PolicyConfig::default()); // 3 attempts, sleeps 1 s, 2 s
//! let mut client = ClientState::new(&config);
//! let mut rng = ChaCha8Rng::seed_from_u64(7);
//! let mut now = 0;
//! let mut call = Call::new(config, now, RequestKind::Idempotent, &mut rng);
//! let mut sleeps = Vec::new();
//! let done = loop {
//!     match call.poll(now, &mut client, &mut rng) {
//!         Step::Send { attempt, .. } => {
//!             now += 10; // the server answers 503 after 10 ms
//!             let outcome = Outcome::Response { status: 503, retry_after_ms: None };
//!             call.on_outcome(now, attempt, outcome, &mut client);
//!         }
//!         Step::Sleep { until_ms, .. } => {
//!             sleeps.push(until_ms - now);
//!             now = until_ms;
//!         }
//!         Step::AwaitOutcome => unreachable!("outcomes are reported at once here"),
//!         Step::Throttled { .. } => unreachable!("no adaptive throttle here"),
//!         Step::Done(done) => break done,
//!     }
//! };
//! assert_eq!(sleeps, [1000, 2000]);
//! assert_eq!(done, Done::GaveUp { attempts: 3, reason: GaveUp::AttemptsExhausted });
//! ```
//!
//! # Order of decisions
//!
//! - Before every attempt (the first too) the deadline is checked (an attempt
//!   never starts at or after it), then the breaker is asked (fail fast while
//!   open).
//! - After a failed attempt: classification ([`classify`]), the idempotency
//!   guard, the attempt limit; then in the next `poll` the delay is drawn (or
//!   taken from `Retry-After`), the deadline is checked against the end of the
//!   sleep, and last the budget is charged.
//!
//! # Modules
//!
//! [`config`] (every knob, with [`knob`] names), [`classify`], [`backoff`]
//! (the curve), [`jitter`] (its randomization, and Polly's
//! [`decorrelated_v2`]), [`plan`] (a call's planned retries and formulas, over
//! both), [`retry_after`], [`breaker`],
//! [`budget`], [`throttle`] (adaptive client throttling), [`hedge`] (hedged
//! requests), [`bulkhead`] (a limit of calls in flight), [`client`] (a
//! client's shared state), [`call`].

pub mod adaptive;
pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod bulkhead;
pub mod call;
pub mod classify;
pub mod client;
pub mod config;
pub mod decorrelated_v2;
pub mod hedge;
pub mod hints;
pub mod jitter;
pub mod knob;
pub mod plan;
pub mod retry_after;
pub mod throttle;

pub use rand_chacha;
/// The generator trait every function here takes (`rand_core` 0.10's name for
/// what older versions called `RngCore`; every `RngCore` is an `Rng`).
pub use rand_chacha::rand_core::Rng;

pub use breaker::BreakerState;
pub use call::{
    Call, ClientConfig, ClientEvent, ClientEventKind, ClientState, Done, GaveUp, SleepReason, Step,
};
pub use classify::{Outcome, RequestKind, Verdict};
pub use config::{
    AttemptsConfig, BackoffConfig, BackoffKind, BreakerConfig, BreakerKind, BudgetConfig,
    BudgetKind, ClassifyConfig, IdempotencyConfig, JitterConfig, JitterKind, PolicyConfig,
    RateLimiterKind, RetryAfterConfig, RetryAfterKind,
};
pub use plan::{schedule, PlannedRetry};

/// A uniform `f64` in `[0, 1)` from one `u64` draw (53 random bits), the
/// project-wide formula so native and wasm agree bit for bit.
pub fn unit_f64(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
