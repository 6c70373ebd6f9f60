//! resilience4j (Java), as Spring Boot `application.yml`
//! (`resilience4j-spring-boot3`'s `RetryConfigurationProperties`,
//! `CircuitBreakerConfigurationProperties`, `TimeLimiterConfigurationProperties`)
//! and as builders ([`java`], in `resilience4j_java.rs`).
//!
//! - `maxAttempts` counts the first attempt, like `attempts.max`.
//! - Backoff (`IntervalFunction`): `waitDuration`, and with
//!   `enableExponentialBackoff` `waitDuration·multiplier^(n−1)` capped at
//!   `exponentialMaxWaitDuration`; `enableRandomizedWait` randomizes by
//!   `randomizedWaitFactor` f as `max(1, I·(1−f) + U·(2f·I + 1))`.
//! - Classification by exception class: Spring's `HttpServerErrorException`
//!   (5xx), `HttpClientErrorException` (4xx) and their per-status subclasses
//!   ([`SPRING_STATUS_CLASSES`]); `ignoreExceptions` win over `retryExceptions`.
//! - The breaker: `consecutive` t is a count window of t+1 calls that opens
//!   at 100% failures (exactly t+1 failures in a row).
//! - TimeLimiter inside Retry (Spring's aspect order) is the per-attempt timeout.

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::{BackoffKind, BreakerKind, JitterKind, PolicyConfig};

use crate::common::{self, num};
use crate::Notes;

pub use crate::resilience4j_java::java;

/// The instance name the documents configure.
pub const INSTANCE: &str = "backend";

pub const NETWORK: &str = "java.io.IOException";
pub const TIMEOUT: &str = "java.util.concurrent.TimeoutException";
pub const SERVER: &str = "org.springframework.web.client.HttpServerErrorException";
pub const CLIENT: &str = "org.springframework.web.client.HttpClientErrorException";
/// `ignoreExceptions` with this alone: nothing is retried.
pub const NOTHING: &str = "java.lang.Throwable";

/// Spring's exception subclass per status (`HttpClientErrorException$NotFound`, ...).
pub const SPRING_STATUS_CLASSES: [(u16, &str); 16] = [
    (400, "HttpClientErrorException$BadRequest"),
    (401, "HttpClientErrorException$Unauthorized"),
    (403, "HttpClientErrorException$Forbidden"),
    (404, "HttpClientErrorException$NotFound"),
    (405, "HttpClientErrorException$MethodNotAllowed"),
    (406, "HttpClientErrorException$NotAcceptable"),
    (409, "HttpClientErrorException$Conflict"),
    (410, "HttpClientErrorException$Gone"),
    (415, "HttpClientErrorException$UnsupportedMediaType"),
    (422, "HttpClientErrorException$UnprocessableEntity"),
    (429, "HttpClientErrorException$TooManyRequests"),
    (500, "HttpServerErrorException$InternalServerError"),
    (501, "HttpServerErrorException$NotImplemented"),
    (502, "HttpServerErrorException$BadGateway"),
    (503, "HttpServerErrorException$ServiceUnavailable"),
    (504, "HttpServerErrorException$GatewayTimeout"),
];

/// The full class name for a status, if Spring has one.
pub fn status_class(status: u16) -> Option<String> {
    SPRING_STATUS_CLASSES
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, c)| format!("org.springframework.web.client.{c}"))
}

/// `retryExceptions` and `ignoreExceptions` for the classification.
pub fn exceptions(p: &PolicyConfig, notes: &mut Notes) -> (Vec<String>, Vec<String>) {
    let r = &p.retry;
    let statuses = common::retryable_statuses(p);
    let mut retry = Vec::new();
    let mut ignore = Vec::new();
    if r.network_error {
        retry.push(NETWORK.to_string());
    }
    if r.timeout {
        retry.push(TIMEOUT.to_string());
    }
    if r.status_5xx {
        retry.push(SERVER.to_string());
    }
    if r.status_4xx {
        retry.push(CLIENT.to_string());
    }
    let mut missing = Vec::new();
    for status in 400..=599u16 {
        let rule = if status >= 500 {
            r.status_5xx
        } else {
            r.status_4xx
        };
        let wanted = statuses.contains(&status);
        if wanted == rule {
            continue;
        }
        match status_class(status) {
            Some(class) if wanted => retry.push(class),
            Some(class) => ignore.push(class),
            None => missing.push(status.to_string()),
        }
    }
    if retry.is_empty() {
        // Without retryExceptions resilience4j retries everything; ignoring every Throwable retries nothing.
        ignore = vec![NOTHING.to_string()];
    }
    if !missing.is_empty() {
        notes.add(
            "retry.status.NNN",
            format!(
                "Spring has no exception class for {}: they follow the 4xx/5xx rule",
                missing.join(", ")
            ),
        );
    }
    (retry, ignore)
}

/// A duration the way Spring Boot binds it: `1500ms`.
pub fn duration(ms: u64) -> String {
    format!("{ms}ms")
}

pub(crate) fn yaml(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let b = &p.backoff;
    let mut out = format!("resilience4j:\n  retry:\n    instances:\n      {INSTANCE}:\n");
    let max = match a.max {
        0 => {
            notes.add(
                "attempts.max=0",
                "resilience4j needs a limit: maxAttempts 2147483647",
            );
            i32::MAX as u64
        }
        m => u64::from(m),
    };
    let _ = writeln!(out, "        maxAttempts: {max}");
    let _ = writeln!(out, "        waitDuration: {}", duration(b.base_ms.max(1)));
    if b.base_ms == 0 {
        notes.add(
            "backoff.base_ms=0",
            "resilience4j requires waitDuration > 0: 1ms",
        );
    }
    let exponential = matches!(
        b.kind,
        BackoffKind::Exponential | BackoffKind::ExponentialFloor
    );
    if exponential && !is_decorrelated(p) {
        if b.kind == BackoffKind::Exponential && b.multiplier.fract() != 0.0 {
            notes.add(
                "backoff.kind=exponential",
                "resilience4j floors each step, (long)(I·multiplier) (backoff.kind=exponential_floor): a delay may be a few ms shorter",
            );
        }
        let _ = write!(
            out,
            "        enableExponentialBackoff: true\n        exponentialBackoffMultiplier: {}\n        exponentialMaxWaitDuration: {}\n",
            num(b.multiplier),
            duration(b.cap_ms.max(1))
        );
    } else if b.kind == BackoffKind::Linear || is_decorrelated(p) {
        notes.add(
            "backoff.kind",
            format!("Spring's properties have only fixed and exponential waits: waitDuration {} ms every time", b.base_ms),
        );
    } else if b.base_ms > b.cap_ms {
        notes.add(
            "backoff.cap_ms",
            "a fixed wait is not capped: waitDuration is base_ms",
        );
    }
    match p.jitter.kind {
        JitterKind::None | JitterKind::Decorrelated => {}
        JitterKind::Ratio | JitterKind::Randomized | JitterKind::RatioAfterCap => {
            // Spring refuses factors ≥ 1.
            let f = p.jitter.ratio.clamp(0.0, 0.999);
            let _ = write!(
                out,
                "        enableRandomizedWait: true\n        randomizedWaitFactor: {}\n",
                num(f)
            );
            if p.jitter.kind != JitterKind::Randomized {
                notes.add(
                    &format!("jitter.kind={}", p.get("jitter.kind").unwrap_or_default()),
                    "resilience4j randomizes the uncapped interval as max(1, I·(1−f) + U·(2f·I + 1)) ms, then caps it (jitter.kind=randomized)",
                );
            }
        }
        kind => notes.add(
            &format!("jitter.kind={}", p.get("jitter.kind").unwrap_or_default()),
            format!(
                "Spring's properties randomize only by a factor: no jitter written ({} needs the builder: --target resilience4j-java)",
                policy::jitter::formula(kind)
            ),
        ),
    }
    let (retry, ignore) = exceptions(p, notes);
    list(&mut out, "retryExceptions", &retry);
    list(&mut out, "ignoreExceptions", &ignore);
    breaker(p, &mut out, notes);
    if a.timeout_ms > 0 {
        let _ = write!(
            out,
            "  timelimiter:\n    instances:\n      {INSTANCE}:\n        timeoutDuration: {}\n        cancelRunningFuture: true\n",
            duration(a.timeout_ms)
        );
    }
    rest(p, notes);
    common::library_knobs(p, notes, "resilience4j", policy::RetryAfterKind::Capped);
    out
}

fn list(out: &mut String, name: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "        {name}:");
    for item in items {
        let _ = writeln!(out, "        - {item}");
    }
}

fn breaker(p: &PolicyConfig, out: &mut String, notes: &mut Notes) {
    let br = &p.breaker;
    let (window_type, size, min_calls, percent) = match br.kind {
        BreakerKind::None => return,
        BreakerKind::Consecutive => {
            let n = br.threshold.saturating_add(1);
            ("COUNT_BASED", u64::from(n), n, 100.0)
        }
        BreakerKind::RatioCount => (
            "COUNT_BASED",
            u64::from(br.window_count),
            br.min_throughput,
            br.failure_ratio * 100.0,
        ),
        BreakerKind::RatioTime => {
            if br.window_ms % 1000 != 0 {
                notes.add(
                    "breaker.window_ms",
                    "resilience4j's time window is whole seconds: rounded up",
                );
            }
            (
                "TIME_BASED",
                br.window_ms.div_ceil(1000).max(1),
                br.min_throughput,
                br.failure_ratio * 100.0,
            )
        }
    };
    let _ = write!(
        out,
        "  circuitbreaker:\n    instances:\n      {INSTANCE}:\n        slidingWindowType: {window_type}\n        slidingWindowSize: {size}\n        minimumNumberOfCalls: {min_calls}\n        failureRateThreshold: {}\n        waitDurationInOpenState: {}\n        permittedNumberOfCallsInHalfOpenState: {}\n        recordExceptions:\n        - {NETWORK}\n        - {TIMEOUT}\n        - {SERVER}\n        - {}\n",
        num(percent.clamp(1.0, 100.0)),
        duration(br.open_ms.max(1)),
        br.half_open_probes,
        status_class(429).unwrap_or_default()
    );
    if br.half_open_probes > 1 {
        notes.add(
            "breaker.half_open_probes",
            "resilience4j closes when the probes' failure rate is under the threshold, not only when all of them succeed",
        );
    }
}

fn rest(p: &PolicyConfig, notes: &mut Notes) {
    if p.attempts.deadline_ms > 0 {
        notes.add(
            "attempts.deadline_ms",
            "resilience4j's Retry has no overall deadline: wrap the call in a TimeLimiter outside the Retry yourself",
        );
    }
    if p.retry_after.honor {
        notes.add(
            "retry_after.honor=true",
            "Spring's properties cannot read Retry-After: the backoff is used (the builder can: --target resilience4j-java)",
        );
    }
    common::no_budget(p, notes, "resilience4j");
    common::code_only(p, notes, "Spring's properties");
}
