//! AWS adaptive retry mode's client rate limiter (`rate_limiter.kind =
//! aws_adaptive`), as the SDKs implement it: aws-sdk-go-v2
//! `aws/retry/adaptive_ratelimit.go` and `adaptive_token_bucket.go`,
//! botocore `botocore/retries/adaptive.py` and `bucket.py`.
//!
//! Every attempt, the first included, takes one token from a bucket that
//! fills at `fill_rate` tokens/s; with too few, the attempt waits
//! `(1 − available) / fill_rate` s and asks again. The bucket is off until
//! the first throttling reply. After every reply:
//!
//! | step | formula |
//! | --- | --- |
//! | measured rate, per 0.5 s bucket | `measured = 0.8 · count / (bucket − last_bucket) + 0.2 · measured` |
//! | on throttling | `last_max = min(measured, fill_rate)`, `rate = 0.7 · last_max`, the bucket turns on |
//! | else (cubic growth) | `rate = 0.4 · (t − last_throttle − W)³ + last_max`, `W = ∛(last_max · 0.3 / 0.4)` |
//! | then | `fill_rate = max(min(rate, 2 · measured), 0.5)`, capacity `max(min(rate, 2 · measured), 1)` |
//!
//! Time is passed in (ms); transcendental math goes through `libm`.
//!
//! ```
//! use policy::adaptive::RateLimiter;
//!
//! let mut limiter = RateLimiter::new(0);
//! assert_eq!(limiter.acquire(0), Ok(())); // off until throttled
//! limiter.update(1_000, true);
//! assert!(limiter.acquire(1_000).is_err()); // on, and empty: wait
//! ```

/// The smoothing of the measured rate.
const SMOOTH: f64 = 0.8;
/// The rate kept on throttling.
const BETA: f64 = 0.7;
/// The cubic's scale.
const SCALE: f64 = 0.4;
/// The slowest fill rate, tokens/s.
const MIN_FILL_RATE: f64 = 0.5;
/// The smallest bucket, tokens.
const MIN_CAPACITY: f64 = 1.0;

/// The client rate limiter of AWS adaptive retry mode. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimiter {
    enabled: bool,
    fill_rate: f64,
    calculated_rate: f64,
    last_refilled_ms: Option<u64>,
    measured_rate: f64,
    last_bucket_s: f64,
    request_count: u64,
    last_max_rate: f64,
    last_throttle_ms: u64,
    time_window: f64,
    tokens: f64,
    capacity: f64,
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl RateLimiter {
    /// A limiter made at `now_ms` (its first 0.5 s bucket starts at the whole second).
    pub fn new(now_ms: u64) -> RateLimiter {
        RateLimiter {
            enabled: false,
            fill_rate: 0.0,
            calculated_rate: 0.0,
            last_refilled_ms: None,
            measured_rate: 0.0,
            last_bucket_s: libm::floor(seconds(now_ms)),
            request_count: 0,
            last_max_rate: 0.0,
            last_throttle_ms: now_ms,
            time_window: 0.0,
            tokens: 0.0,
            capacity: 0.0,
        }
    }

    /// Takes one token for an attempt at `now_ms`; `Err(wait_ms)` when the
    /// bucket has too few (ask again then).
    pub fn acquire(&mut self, now_ms: u64) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        self.refill(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait_s = (1.0 - self.tokens) / self.fill_rate.max(MIN_FILL_RATE);
        // At least 1 ms, so a driver that polls again makes progress.
        Err((libm::ceil(wait_s * 1000.0) as u64).max(1))
    }

    /// A reply arrived at `now_ms`, throttling or not.
    pub fn update(&mut self, now_ms: u64, throttled: bool) {
        self.update_measured_rate(now_ms);
        if throttled {
            let rate = if self.enabled {
                self.measured_rate.min(self.fill_rate)
            } else {
                self.measured_rate
            };
            self.last_max_rate = rate;
            self.calculate_time_window();
            self.last_throttle_ms = now_ms;
            self.calculated_rate = self.cubic_throttle(rate);
            self.enabled = true;
        } else {
            self.calculate_time_window();
            self.calculated_rate = self.cubic_success(now_ms);
        }
        let new_rate = self.calculated_rate.min(2.0 * self.measured_rate);
        self.refill(now_ms);
        self.fill_rate = new_rate.max(MIN_FILL_RATE);
        // The bucket holds at least one token (Go's minCapacity, smithy-rs's MIN_CAPACITY).
        self.capacity = new_rate.max(MIN_CAPACITY);
        self.tokens = self.tokens.min(self.capacity);
    }

    /// Tokens/s the bucket fills at.
    pub fn fill_rate(&self) -> f64 {
        self.fill_rate
    }

    /// The smoothed request rate measured, requests/s.
    pub fn measured_rate(&self) -> f64 {
        self.measured_rate
    }

    /// Whether the bucket limits attempts (after the first throttling).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The cubic's rate at `now_ms` after a success.
    pub fn cubic_success(&self, now_ms: u64) -> f64 {
        let dt = seconds(now_ms) - seconds(self.last_throttle_ms);
        SCALE * libm::pow(dt - self.time_window, 3.0) + self.last_max_rate
    }

    /// The rate after throttling at `rate`.
    pub fn cubic_throttle(&self, rate: f64) -> f64 {
        rate * BETA
    }

    /// `W = ∛(last_max · (1 − β) / scale)`.
    pub fn calculate_time_window(&mut self) {
        self.time_window = libm::pow(self.last_max_rate * (1.0 - BETA) / SCALE, 1.0 / 3.0);
    }

    /// Sets the rate the cubic last fell from, and when (for tests of the curve).
    pub fn set_last_max(&mut self, rate: f64, at_ms: u64) {
        self.last_max_rate = rate;
        self.last_throttle_ms = at_ms;
    }

    fn update_measured_rate(&mut self, now_ms: u64) {
        let bucket = libm::floor(seconds(now_ms) * 2.0) / 2.0;
        self.request_count = self.request_count.saturating_add(1);
        if bucket > self.last_bucket_s {
            let current = self.request_count as f64 / (bucket - self.last_bucket_s);
            self.measured_rate = current * SMOOTH + self.measured_rate * (1.0 - SMOOTH);
            self.request_count = 0;
            self.last_bucket_s = bucket;
        }
    }

    fn refill(&mut self, now_ms: u64) {
        let Some(last) = self.last_refilled_ms else {
            self.last_refilled_ms = Some(now_ms);
            return;
        };
        let fill = seconds(now_ms.saturating_sub(last)) * self.fill_rate;
        self.tokens = (self.tokens + fill).min(self.capacity);
        self.last_refilled_ms = Some(now_ms);
    }
}
