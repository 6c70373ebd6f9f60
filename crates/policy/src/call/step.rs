//! What a [`super::Call`] tells its driver: the next step, why it sleeps,
//! and how it ended.

use serde::{Deserialize, Serialize};

/// What the driver should do next.
///
/// JSON (serde's external tagging):
/// `{"Send":{"attempt":1,"timeout_ms":5000,"idempotency_key":null,"probe":false}}`,
/// `{"Sleep":{"until_ms":1010,"reason":{"Backoff":{"retry":1,"planned_ms":1000,"envelope_ms":[1000,1000]}}}}`,
/// `"AwaitOutcome"`,
/// `{"Done":{"GaveUp":{"attempts":3,"reason":"AttemptsExhausted"}}}`,
/// `{"Throttled":{"attempt":1}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Send attempt `attempt` (1-based) now.
    Send {
        attempt: u32,
        /// `min(attempts.timeout_ms, time left to the deadline)`; `None` when
        /// neither is set (the attempt may hang forever).
        timeout_ms: Option<u64>,
        /// The call's key, the same on every attempt (`idempotency.key`).
        idempotency_key: Option<String>,
        /// The breaker is half-open and this attempt is one of its probes.
        probe: bool,
    },
    /// Wait until `until_ms`, then poll again.
    Sleep { until_ms: u64, reason: SleepReason },
    /// An attempt is in flight: report it with [`super::Call::on_outcome`].
    AwaitOutcome,
    /// Finished.
    Done(Done),
    /// The adaptive throttle rejected attempt `attempt` locally: nothing is
    /// sent. Poll again now: the call has given up
    /// ([`GaveUp::ThrottledLocally`]), or, for a hedge, keeps waiting for
    /// the attempts still in flight.
    Throttled { attempt: u32 },
}

/// Why a call sleeps before a retry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SleepReason {
    /// A backoff draw: `planned_ms` for retry `retry`, from `envelope_ms`
    /// (see [`crate::jitter::envelope_ms`]).
    Backoff {
        retry: u32,
        planned_ms: u64,
        envelope_ms: (u64, u64),
    },
    /// The client rate limiter (`rate_limiter.kind`) had no token for the
    /// attempt: it waits `wait_ms` and asks again.
    RateLimited { wait_ms: u64 },
    /// The server's `Retry-After` of `server_ms`, obeyed as `capped_ms`
    /// (`min(server_ms, retry_after.cap_ms)`; under `retry_after.kind` `envoy`
    /// or `aws`, the sleep [`crate::retry_after::sleep_ms`] gives).
    RetryAfter { server_ms: u64, capped_ms: u64 },
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Done {
    /// An attempt succeeded; `attempts` were sent.
    Succeeded { attempts: u32 },
    /// The call failed after sending `attempts` (0 if refused before the first).
    GaveUp { attempts: u32, reason: GaveUp },
}

/// Why a call gave up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GaveUp {
    /// `attempts.max` attempts failed retryably.
    AttemptsExhausted,
    /// The deadline came, or the next sleep would have ended at or after it.
    DeadlineExceeded,
    /// The retry budget refused the retry.
    BudgetExhausted,
    /// The circuit breaker refused the attempt (fail fast, nothing sent).
    BreakerOpen,
    /// A response whose status is not retried (e.g. 400, 401, 403, 404).
    NonRetryable { status: u16 },
    /// A network error, with `retry.network_error = false`.
    NetworkErrorNotRetried,
    /// A timeout, with `retry.timeout = false`.
    TimeoutNotRetried,
    /// A non-idempotent request without an idempotency key failed, and
    /// `retry.require_key_for_unsafe` forbids retrying it.
    UnkeyedNonIdempotent,
    /// The adaptive throttle rejected the attempt at the client: the call
    /// fails fast, like an open breaker (retrying what the throttle just
    /// refused would only ask it again).
    ThrottledLocally,
    /// The client's bulkhead was full (`client.max_in_flight` calls in
    /// flight) and `client.when_full = fail`: nothing was sent.
    BulkheadFull,
}
