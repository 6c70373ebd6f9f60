//! What a reply says beyond its status and `Retry-After`: the hints some
//! libraries read, taken from its headers by the transport.
//!
//! | header | read by | meaning |
//! | --- | --- | --- |
//! | `x-amz-retry-after` | `retry_after.kind = aws` | the AWS 2026 retry hint, whole ms; anything else is ignored (aws-sdk-go-v2 `retry2026_test.go`: "invalid x-amz-retry-after falls back to exponential backoff") |
//! | `grpc-retry-pushback-ms` | `retry_after.kind = grpc` | gRPC's pushback: retry after exactly this many ms; a negative or unreadable value means "do not retry" (grpc-go `stream.go` `shouldRetry`) |
//! | `X-Amzn-ErrorType` | `retry.error_codes` | the service's error code: a throttling code (aws-sdk-go-v2 `DefaultThrottleErrorCodes`) or a transient one (`RequestTimeout`, `RequestTimeoutException`) is retried |
//!
//! ```
//! use policy::hints::{CodeClass, Pushback, ReplyHints};
//!
//! let h = ReplyHints::from_headers([("x-amz-retry-after", "1500"), ("X-Amzn-ErrorType", "SlowDown")]);
//! assert_eq!(h.amz_retry_after_ms, Some(1500));
//! assert_eq!(h.code, CodeClass::Throttling);
//! let h = ReplyHints::from_headers([("grpc-retry-pushback-ms", "-1"), ("x-amz-retry-after", "soon")]);
//! assert_eq!(h.pushback, Pushback::Stop);
//! assert_eq!(h.amz_retry_after_ms, None);
//! ```

/// The AWS 2026 retry hint header, ms.
pub const AMZ_RETRY_AFTER: &str = "x-amz-retry-after";
/// gRPC's retry pushback header (a trailer in gRPC), ms.
pub const GRPC_PUSHBACK: &str = "grpc-retry-pushback-ms";
/// The error code of an AWS JSON protocol's error.
pub const ERROR_CODE: &str = "X-Amzn-ErrorType";

/// aws-sdk-go-v2 `aws/retry/standard.go` `DefaultThrottleErrorCodes` (botocore's
/// `ThrottledRetryableChecker` has the same list).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// aws-sdk-go-v2 `DefaultRetryableErrorCodes`: transient, retried.
pub const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException"];

/// What an error code says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CodeClass {
    /// No code, or one that says nothing about retrying.
    #[default]
    None,
    /// A throttling code: retried, at throttling's price and base delay.
    Throttling,
    /// A transient code: retried.
    Transient,
}

/// gRPC's pushback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pushback {
    /// No pushback header.
    #[default]
    None,
    /// Retry after exactly this many ms.
    Ms(u64),
    /// Negative or unreadable: do not retry.
    Stop,
}

/// The hints of one reply. All absent by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyHints {
    /// `x-amz-retry-after`, whole ms, when it reads as one.
    pub amz_retry_after_ms: Option<u64>,
    /// `grpc-retry-pushback-ms`.
    pub pushback: Pushback,
    /// The error code's class.
    pub code: CodeClass,
}

impl ReplyHints {
    /// Reads the hints from a reply's headers (names compare
    /// case-insensitively; the first of a name counts). Never fails: a value
    /// that does not read is what the libraries make of it.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> ReplyHints {
        let mut hints = ReplyHints::default();
        let (mut amz, mut pushback, mut code) = (false, false, false);
        for (name, value) in headers {
            let value = value.trim();
            if !amz && name.eq_ignore_ascii_case(AMZ_RETRY_AFTER) {
                amz = true;
                hints.amz_retry_after_ms = value.parse::<u64>().ok();
            } else if !pushback && name.eq_ignore_ascii_case(GRPC_PUSHBACK) {
                pushback = true;
                hints.pushback = match value.parse::<u64>() {
                    Ok(ms) => Pushback::Ms(ms),
                    Err(_) => Pushback::Stop,
                };
            } else if !code && name.eq_ignore_ascii_case(ERROR_CODE) {
                code = true;
                // AWS JSON 1.0 may send `Code:http://...`: the code is before the colon.
                let value = value.split(':').next().unwrap_or("");
                hints.code = if THROTTLING_CODES.contains(&value) {
                    CodeClass::Throttling
                } else if TRANSIENT_CODES.contains(&value) {
                    CodeClass::Transient
                } else {
                    CodeClass::None
                };
            }
        }
        hints
    }

    /// Whether every hint is absent.
    pub fn is_empty(&self) -> bool {
        *self == ReplyHints::default()
    }
}
