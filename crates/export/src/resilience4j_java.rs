//! resilience4j's builders (Java 17, resilience4j 2.x): `RetryConfig`,
//! `CircuitBreakerConfig`, `TimeLimiterConfig`. Every backoff kind but the
//! decorrelated one is exact: an `IntervalFunction` lambda of the attempt
//! number (1 before the second attempt) with our formula. The
//! classification is a predicate over a small `HttpStatusException` the
//! caller throws for an error status (so the file compiles on its own).

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::{BackoffKind, BreakerKind, JitterKind, PolicyConfig};

use crate::common::{self, num};
use crate::formula::{self, JAVA};
use crate::Notes;

fn interval(p: &PolicyConfig, notes: &mut Notes) -> String {
    let b = &p.backoff;
    if is_decorrelated(p) {
        notes.add(
            "backoff.kind=decorrelated",
            "an IntervalFunction sees only the attempt number, not the previous delay: U(base, min(cap, base·3^n)) instead",
        );
        let (base, cap) = (
            formula::lit(b.base_ms as f64),
            formula::lit(b.cap_ms as f64),
        );
        return format!(
            "attempt -> (long) Math.min({cap}, Math.floor({base} + ThreadLocalRandom.current().nextDouble() * (Math.min({cap}, {base} * Math.pow(3.0, attempt)) - {base})))"
        );
    }
    // resilience4j's own functions (IntervalFunction.java), where they are exactly the knobs.
    let integral = b.multiplier.fract() == 0.0;
    let exponential =
        b.kind == BackoffKind::ExponentialFloor || (b.kind == BackoffKind::Exponential && integral);
    let (base, mult, cap) = (
        b.base_ms.max(1),
        formula::lit(b.multiplier),
        b.cap_ms.max(1),
    );
    let factor = formula::lit(p.jitter.ratio.clamp(0.0, 0.999));
    if !b.first_retry_immediate && b.base_ms > 0 {
        match (exponential, b.kind, p.jitter.kind) {
            (true, _, JitterKind::None) => {
                return format!("IntervalFunction.ofExponentialBackoff(Duration.ofMillis({base}), {mult}, Duration.ofMillis({cap}))")
            }
            (true, _, JitterKind::Randomized) => {
                return format!("IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis({base}), {mult}, {factor}, Duration.ofMillis({cap}))")
            }
            (_, BackoffKind::Constant, JitterKind::None) if b.base_ms <= b.cap_ms => {
                return format!("IntervalFunction.of(Duration.ofMillis({base}))")
            }
            (_, BackoffKind::Constant, JitterKind::Randomized) if b.base_ms <= b.cap_ms => {
                return format!("IntervalFunction.ofRandomized(Duration.ofMillis({base}), {factor})")
            }
            _ => {}
        }
    }
    common::formula_note(p, notes);
    let expr = formula::delay_ms(p, &JAVA).unwrap_or_else(|| "0.0".to_string());
    format!("attempt -> {{ double n = attempt; return (long) ({expr}); }}")
}

pub fn java(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let r = &p.retry;
    let mut out = String::from(
        "import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;\n\
         import io.github.resilience4j.core.IntervalFunction;\n\
         import io.github.resilience4j.retry.RetryConfig;\n\
         import io.github.resilience4j.timelimiter.TimeLimiterConfig;\n\
         import java.io.IOException;\n\
         import java.time.Duration;\n\
         import java.util.concurrent.ThreadLocalRandom;\n\
         import java.util.concurrent.TimeoutException;\n\n",
    );
    out.push_str(
        "/** The playground's policy for resilience4j: decorate a call with Retry(CircuitBreaker(TimeLimiter(call))). */\n\
         public final class PlaygroundPolicy {\n    \
         private PlaygroundPolicy() {}\n\n    \
         /** Throw this for an error response so the rules below can see its status. */\n    \
         public static final class HttpStatusException extends RuntimeException {\n        \
         private static final long serialVersionUID = 1L;\n        \
         public final int status;\n\n        \
         public HttpStatusException(int status) {\n            \
         super(\"HTTP \" + status);\n            \
         this.status = status;\n        \
         }\n    \
         }\n\n",
    );
    let statuses = common::retryable_statuses(p);
    let _ = write!(
        out,
        "    /** The error statuses that are retried. */\n    \
         static boolean isRetryableStatus(int s) {{\n        \
         return {};\n    \
         }}\n\n    \
         static boolean isRetryable(Throwable e) {{\n        \
         if (e instanceof TimeoutException) return {};\n        \
         if (e instanceof IOException) return {};\n        \
         return e instanceof HttpStatusException h && isRetryableStatus(h.status);\n    \
         }}\n\n",
        common::c_condition(&statuses, "s"),
        r.timeout,
        r.network_error
    );
    let max = match a.max {
        0 => {
            notes.add(
                "attempts.max=0",
                "resilience4j needs a limit: maxAttempts Integer.MAX_VALUE",
            );
            "Integer.MAX_VALUE".to_string()
        }
        m => m.to_string(),
    };
    let _ = write!(
        out,
        "    public static RetryConfig retryConfig() {{\n        \
         return RetryConfig.custom()\n            \
         .maxAttempts({max})  // the first attempt included\n            \
         .intervalFunction({})\n            \
         .retryOnException(PlaygroundPolicy::isRetryable)\n            \
         .build();\n    \
         }}\n",
        interval(p, notes)
    );
    breaker(p, &mut out, notes);
    if a.timeout_ms > 0 {
        let _ = write!(
            out,
            "\n    /** Per attempt: put the TimeLimiter inside the Retry. */\n    \
             public static TimeLimiterConfig timeLimiterConfig() {{\n        \
             return TimeLimiterConfig.custom().timeoutDuration(Duration.ofMillis({})).cancelRunningFuture(true).build();\n    \
             }}\n",
            a.timeout_ms
        );
    }
    out.push_str("}\n");
    if a.deadline_ms > 0 {
        notes.add(
            "attempts.deadline_ms",
            "resilience4j's Retry has no overall deadline: wrap the decorated call in a second TimeLimiter outside the Retry",
        );
    }
    if p.retry_after.honor {
        notes.add(
            "retry_after.honor=true",
            "not read: the backoff is used (an intervalBiFunction could read it from your exception)",
        );
    }
    if p.idempotency.key {
        notes.add(
            "idempotency.key=true",
            "send one Idempotency-Key per logical call yourself (the same on every attempt): resilience4j never sees the request",
        );
    }
    if r.require_key_for_unsafe {
        notes.add(
            "retry.require_key_for_unsafe=true",
            "resilience4j never sees the request: decorate only idempotent or keyed calls with the Retry",
        );
    }
    common::library_knobs(p, notes, "resilience4j", policy::RetryAfterKind::Capped);
    common::no_budget(p, notes, "resilience4j");
    out
}

fn breaker(p: &PolicyConfig, out: &mut String, notes: &mut Notes) {
    let br = &p.breaker;
    let (window, size, min_calls, percent) = match br.kind {
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
        BreakerKind::RatioTime => (
            "TIME_BASED",
            br.window_ms.div_ceil(1000).max(1),
            br.min_throughput,
            br.failure_ratio * 100.0,
        ),
    };
    let _ = write!(
        out,
        "\n    /** Failures: network errors, timeouts, 5xx and 429, like the playground's breaker. */\n    \
         public static CircuitBreakerConfig circuitBreakerConfig() {{\n        \
         return CircuitBreakerConfig.custom()\n            \
         .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.{window})\n            \
         .slidingWindowSize({size})\n            \
         .minimumNumberOfCalls({min_calls})\n            \
         .failureRateThreshold({}f)\n            \
         .waitDurationInOpenState(Duration.ofMillis({}))\n            \
         .permittedNumberOfCallsInHalfOpenState({})\n            \
         .recordException(e -> e instanceof IOException || e instanceof TimeoutException\n                \
         || (e instanceof HttpStatusException h && (h.status == 429 || h.status >= 500)))\n            \
         .build();\n    \
         }}\n",
        num(percent.clamp(1.0, 100.0)),
        br.open_ms.max(1),
        br.half_open_probes
    );
    if br.kind == BreakerKind::RatioTime && br.window_ms % 1000 != 0 {
        notes.add(
            "breaker.window_ms",
            "resilience4j's time window is whole seconds: rounded up",
        );
    }
    if br.half_open_probes > 1 {
        notes.add(
            "breaker.half_open_probes",
            "resilience4j closes when the probes' failure rate is under the threshold, not only when all of them succeed",
        );
    }
}
