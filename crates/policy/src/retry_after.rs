//! The `Retry-After` header (RFC 9110 §10.2.3): a number of seconds, or an
//! HTTP-date.
//!
//! The transport parses the header with [`parse`] and reports the delay in
//! [`crate::Outcome::Response`]'s `retry_after_ms`; the call then sleeps
//! `min(retry_after_ms, retry_after.cap_ms)` instead of its drawn delay (if
//! `retry_after.honor`).
//!
//! How an honoured hint `v` becomes a sleep is `retry_after.kind`:
//!
//! | kind | sleep | whose |
//! | --- | --- | --- |
//! | `capped` | `min(v, cap)` | urllib3, ky (`maxRetryAfter`), Polly HTTP |
//! | `envoy` | `v > cap`: the hint is ignored and the backoff draw used; else `v + U{0..⌊v/2⌋−1}`, i.e. `[v, 1.5·v)` | Envoy `rate_limited_retry_back_off` |
//! | `aws` | `max(t, min(v, t + cap))`, `t` the backoff draw | AWS SDKs 2026 `x-amz-retry-after` (cap 5 s) |
//! | `grpc` | exactly `v` (no cap); negative: no retry; the next backoff starts again | gRPC `grpc-retry-pushback-ms` |
//!
//! `aws` reads `x-amz-retry-after` when the reply has one (else
//! `Retry-After`), `grpc` only `grpc-retry-pushback-ms` (see [`crate::hints`]).
//!
//! Envoy: `source/common/router/retry_state_impl.cc` (`parseResetInterval`
//! keeps an interval only if `<= reset_max_interval_`) and
//! `source/common/common/backoff_strategy.cc`
//! (`JitteredLowerBoundBackOffStrategy`: `random() % (v >> 1) + v`).
//! AWS: botocore `botocore/retries/standard.py`, `ExponentialBackoff.delay_amount`
//! (`max(t_i, min(retry_after, 5 + t_i))`, the header in ms).
//!
//! ```
//! use policy::retry_after::parse;
//!
//! let now = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT, in Unix ms
//! assert_eq!(parse("120", now), Ok(120_000));
//! assert_eq!(parse("Wed, 21 Oct 2015 07:28:30 GMT", now), Ok(30_000));
//! assert_eq!(parse("Wednesday, 21-Oct-15 07:28:30 GMT", now), Ok(30_000)); // RFC 850
//! assert_eq!(parse("Wed Oct 21 07:28:30 2015", now), Ok(30_000)); // asctime
//! assert_eq!(parse("Tue, 20 Oct 2015 07:28:00 GMT", now), Ok(0)); // in the past
//! assert_eq!(parse("Wed, 21 Oct 2015 07:28:30 UTC", now), Ok(30_000)); // as urllib3 and ky read it
//! assert!(parse("soon", now).is_err());
//! ```

use std::fmt;

use crate::config::{RetryAfterConfig, RetryAfterKind};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a `Retry-After` value was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryAfterError {
    /// The header is empty (or only whitespace).
    Empty,
    /// Neither delta-seconds nor an HTTP-date.
    Invalid { value: String },
}

impl fmt::Display for RetryAfterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryAfterError::Empty => write!(f, "empty Retry-After header"),
            RetryAfterError::Invalid { value } => write!(
                f,
                "bad Retry-After `{value}`: expected seconds (e.g. `120`) or an HTTP-date (e.g. `Wed, 21 Oct 2015 07:28:00 GMT`)"
            ),
        }
    }
}

impl std::error::Error for RetryAfterError {}

/// Parses a `Retry-After` value into a delay in ms from `now_unix_ms` (the
/// current time as Unix milliseconds, passed in: this crate reads no clock).
///
/// Accepts delta-seconds (ASCII digits; huge values saturate) and the three
/// HTTP-date forms (IMF-fixdate, RFC 850, asctime; IMF-fixdate also with a
/// one-digit day or a `UTC` zone, as urllib3 and ky read it). A date in the past gives
/// 0. Anything else is an error, never a panic.
pub fn parse(header: &str, now_unix_ms: u64) -> Result<u64, RetryAfterError> {
    let value = header.trim();
    if value.is_empty() {
        return Err(RetryAfterError::Empty);
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.bytes().fold(0u64, |acc, b| {
            acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        });
        return Ok(seconds.saturating_mul(1000));
    }
    let invalid = || RetryAfterError::Invalid {
        value: value.to_string(),
    };
    // Only std's time arithmetic is used (no clock): it works on wasm32 too.
    let fixed = imf_fixdate(value);
    let at: SystemTime =
        httpdate::parse_http_date(fixed.as_deref().unwrap_or(value)).map_err(|_| invalid())?;
    let at_ms = at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| invalid())?
        .as_millis();
    let at_ms = u64::try_from(at_ms).unwrap_or(u64::MAX);
    Ok(at_ms.saturating_sub(now_unix_ms))
}

/// An IMF-fixdate with a one-digit day or a `UTC`/`+0000` zone, written
/// as IMF-fixdate: dates the libraries accept (urllib3's
/// `email.utils.parsedate_tz`, ky's `Date.parse`) and strict `httpdate` refuses.
fn imf_fixdate(value: &str) -> Option<String> {
    let mut parts = value.split_ascii_whitespace();
    let (weekday, day) = (parts.next()?, parts.next()?);
    let (month, year, time, zone) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let utc = matches!(zone, "GMT" | "UTC" | "UT" | "Z" | "+0000" | "-0000");
    let day_ok = (1..=2).contains(&day.len()) && day.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !utc || !day_ok || !weekday.ends_with(',') {
        return None;
    }
    let pad = if day.len() == 1 { "0" } else { "" };
    Some(
        [
            weekday, " ", pad, day, " ", month, " ", year, " ", time, " GMT",
        ]
        .concat(),
    )
}

/// The sleep for an honoured hint of `server_ms` under `retry_after.kind`,
/// given the backoff draw `backoff_ms` (used by `envoy` above the cap and by
/// `aws`) and a unit draw `u` in `[0, 1)` (used by `envoy`). `None` means the
/// hint is ignored: sleep the backoff draw.
///
/// ```
/// use policy::{retry_after::sleep_ms, PolicyConfig, RetryAfterKind};
///
/// let mut ra = PolicyConfig::default().retry_after; // cap 60 s
/// assert_eq!(sleep_ms(&ra, 90_000, 700, 0.5), Some(60_000));
/// ra.kind = RetryAfterKind::Envoy;
/// assert_eq!(sleep_ms(&ra, 90_000, 700, 0.5), None); // above the cap: ignored
/// assert_eq!(sleep_ms(&ra, 2_000, 700, 0.5), Some(2_500)); // 2000 + ⌊0.5·1000⌋
/// ra.kind = RetryAfterKind::Aws;
/// ra.cap_ms = 5_000;
/// assert_eq!(sleep_ms(&ra, 9_000, 700, 0.5), Some(5_700)); // min(v, t + 5 s)
/// assert_eq!(sleep_ms(&ra, 100, 700, 0.5), Some(700)); // never below t
/// ```
pub fn sleep_ms(config: &RetryAfterConfig, server_ms: u64, backoff_ms: u64, u: f64) -> Option<u64> {
    match config.kind {
        RetryAfterKind::Capped => Some(server_ms.min(config.cap_ms)),
        RetryAfterKind::Envoy if server_ms > config.cap_ms => None,
        RetryAfterKind::Envoy => {
            let half = server_ms / 2;
            // u < 1: the offset is at most half − 1, like `random() % half`.
            let offset = ((u * half as f64).floor() as u64).min(half.saturating_sub(1));
            Some(server_ms.saturating_add(offset))
        }
        RetryAfterKind::Grpc => Some(server_ms),
        RetryAfterKind::Aws => {
            Some(backoff_ms.max(server_ms.min(backoff_ms.saturating_add(config.cap_ms))))
        }
    }
}
