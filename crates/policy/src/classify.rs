//! Classification: which outcomes are successes, which are retried, and
//! which count as failures for the circuit breaker.
//!
//! For a response with status `s`, first match wins:
//!
//! 1. `s` in 100..=399: success (the transport follows redirects).
//! 2. a per-status override `retry.status.s` decides.
//! 3. `429`: `retry.status_429`.
//! 4. `409` to a request carrying an idempotency key: `retry.in_flight_409`
//!    (the server's idempotency store says the first attempt is still in
//!    flight). A 409 without a key is a plain 4xx.
//! 5. 500..=599: `retry.status_5xx`.
//! 6. 400..=499: `retry.status_4xx` (false by default: never retry 400, 401,
//!    403, 404, the seed chapter's rule).
//! 7. anything else (0, ≥ 600): not retried.
//!
//! A network error is retried if `retry.network_error`, a timeout if
//! `retry.timeout`.
//!
//! **The breaker counts as failures**: network errors, timeouts, 5xx and 429
//! (the server is unwell or overloaded), whatever the retry rules say. Every
//! other outcome, a 404 included, shows a healthy server and counts as a
//! success for the breaker.
//!
//! ```
//! use policy::{classify::classify, Outcome, PolicyConfig, Verdict};
//!
//! let config = PolicyConfig::default();
//! let status = |status| Outcome::Response { status, retry_after_ms: None };
//! assert_eq!(classify(&config.retry, &status(200), false), Verdict::Success);
//! assert_eq!(classify(&config.retry, &status(503), false), Verdict::Retryable);
//! assert_eq!(classify(&config.retry, &status(404), false), Verdict::Fatal);
//! assert_eq!(classify(&config.retry, &status(409), true), Verdict::Retryable);
//! assert_eq!(classify(&config.retry, &Outcome::NetworkError, false), Verdict::Retryable);
//! ```

use serde::{Deserialize, Serialize};

use crate::config::ClassifyConfig;

/// What a logical call does to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RequestKind {
    /// Safe to repeat (GET, PUT with a client-chosen id, DELETE).
    Idempotent,
    /// Each applied attempt may create something (a plain POST).
    NonIdempotent,
}

/// What one attempt ended with, as seen by the client.
///
/// JSON: `{"Response":{"status":503,"retry_after_ms":2000}}`,
/// `"NetworkError"`, `"TimedOut"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// A response arrived. `retry_after_ms` is its `Retry-After` header
    /// already turned into a delay (see [`crate::retry_after::parse`]).
    Response {
        status: u16,
        retry_after_ms: Option<u64>,
    },
    /// No response: connection refused or reset, DNS, offline (`fetch` rejected).
    NetworkError,
    /// The attempt's timeout fired first.
    TimedOut,
}

/// The class of an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// The call is done.
    Success,
    /// Another attempt may help.
    Retryable,
    /// Another attempt would not help (or retries of it are turned off).
    Fatal,
}

/// Classifies `outcome` for a call that carries an idempotency key or not.
pub fn classify(rules: &ClassifyConfig, outcome: &Outcome, keyed: bool) -> Verdict {
    let yes = |retry: bool| {
        if retry {
            Verdict::Retryable
        } else {
            Verdict::Fatal
        }
    };
    match *outcome {
        Outcome::NetworkError => yes(rules.network_error),
        Outcome::TimedOut => yes(rules.timeout),
        Outcome::Response { status, .. } => {
            if (100..=399).contains(&status) {
                return Verdict::Success;
            }
            if let Some(&retry) = rules.status_overrides.get(&status) {
                return yes(retry);
            }
            match status {
                429 => yes(rules.status_429),
                409 if keyed => yes(rules.in_flight_409),
                500..=599 => yes(rules.status_5xx),
                400..=499 => yes(rules.status_4xx),
                _ => Verdict::Fatal,
            }
        }
    }
}

/// Whether the circuit breaker counts `outcome` as a failure: network error,
/// timeout, 5xx, 429.
pub fn is_breaker_failure(outcome: &Outcome) -> bool {
    match *outcome {
        Outcome::NetworkError | Outcome::TimedOut => true,
        Outcome::Response { status, .. } => status == 429 || (500..=599).contains(&status),
    }
}

/// Whether a failure is **throttling**: a 429, or a 503 that carries a
/// `Retry-After` (the server's own "slow down", like S3's `SlowDown`). The
/// AWS SDKs recognise throttling by error codes (`Throttling`,
/// `TooManyRequestsException`, `SlowDown`, ... in botocore's
/// `ThrottledRetryableChecker`); an HTTP model has only statuses and headers,
/// so this is our approximation. Throttling picks `backoff.throttle_base_ms`
/// and `budget.throttle_cost`.
///
/// ```
/// use policy::{classify::is_throttling, Outcome};
///
/// let r = |status, retry_after_ms| Outcome::Response { status, retry_after_ms };
/// assert!(is_throttling(&r(429, None)));
/// assert!(is_throttling(&r(503, Some(1000))));
/// assert!(!is_throttling(&r(503, None)));
/// assert!(!is_throttling(&Outcome::TimedOut));
/// ```
pub fn is_throttling(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Response { status: 429, .. } => true,
        Outcome::Response {
            status: 503,
            retry_after_ms,
        } => retry_after_ms.is_some(),
        _ => false,
    }
}
