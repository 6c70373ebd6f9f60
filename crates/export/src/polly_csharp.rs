//! C#: the policy as a resilience pipeline on an `IHttpClientBuilder`
//! (Microsoft.Extensions.Http.Resilience + Polly v8): total timeout, retry,
//! circuit breaker, attempt timeout, in the standard handler's order. The
//! retry's `ShouldHandle` is the exact classification and its
//! `DelayGenerator` the exact formula (the decorrelated one keeps its
//! previous delay in the call's `ResilienceContext`, so no two calls share it).

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::{BreakerKind, PolicyConfig};

use crate::common::{self, num};
use crate::formula::{self, CSHARP};
use crate::Notes;

fn delay_generator(p: &PolicyConfig, notes: &mut Notes) -> String {
    crate::common::formula_note(p, notes);
    if is_decorrelated(p) {
        let expr = formula::decorrelated(p, &CSHARP);
        return format!(
            "args =>\n            {{\n                \
             var previous = args.Context.Properties.GetValue(PreviousDelayMs, {base});\n                \
             var delay = {expr};\n                \
             args.Context.Properties.Set(PreviousDelayMs, delay);\n                \
             return ValueTask.FromResult<TimeSpan?>(TimeSpan.FromMilliseconds(delay));\n            \
             }}",
            base = formula::lit(p.backoff.base_ms as f64)
        );
    }
    let expr = formula::delay_ms(p, &CSHARP).unwrap_or_else(|| "0.0".to_string());
    format!(
        "args =>\n            {{\n                \
         double n = args.AttemptNumber + 1;  // Polly counts retries from 0\n                \
         return ValueTask.FromResult<TimeSpan?>(TimeSpan.FromMilliseconds({expr}));\n            \
         }}"
    )
}

/// Polly's own jitter when it is the knob (V2), else our formula.
fn delay(p: &PolicyConfig, notes: &mut Notes) -> String {
    if p.jitter.kind == policy::JitterKind::DecorrelatedV2 && !p.backoff.first_retry_immediate {
        return format!(
            "BackoffType = DelayBackoffType.Exponential,\n                UseJitter = true,  // Polly's decorrelated jitter V2\n                \
             Delay = TimeSpan.FromMilliseconds({}),\n                MaxDelay = TimeSpan.FromMilliseconds({})",
            p.backoff.base_ms, p.backoff.cap_ms
        );
    }
    format!("DelayGenerator = {}", delay_generator(p, notes))
}

pub fn csharp(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let r = &p.retry;
    let mut out = String::from(
        "using System;\nusing System.Net.Http;\nusing System.Threading.Tasks;\n\
         using Microsoft.Extensions.DependencyInjection;\nusing Microsoft.Extensions.Http.Resilience;\n\
         using Polly;\nusing Polly.Timeout;\n\n",
    );
    let statuses = common::retryable_statuses(p);
    out.push_str(
        "public static class PlaygroundResilience\n{\n    \
         static readonly ResiliencePropertyKey<double> PreviousDelayMs = new(\"playground.previous-delay-ms\");\n",
    );
    let _ = write!(
        out,
        "    /// <summary>The error statuses that are retried.</summary>\n    \
         static bool IsRetryableStatus(int s) => {};\n\n",
        common::c_condition(&statuses, "s")
    );
    out.push_str(
        "    /// <summary>services.AddHttpClient(\"api\").AddPlaygroundResilience();</summary>\n    \
         public static IHttpClientBuilder AddPlaygroundResilience(this IHttpClientBuilder builder)\n    {\n        \
         builder.AddResilienceHandler(\"playground\", pipeline =>\n        {\n",
    );
    if a.deadline_ms > 0 {
        let _ = writeln!(
            out,
            "            pipeline.AddTimeout(TimeSpan.FromMilliseconds({}));  // the whole call, retries included",
            a.deadline_ms
        );
    }
    let max = match a.max {
        0 => "int.MaxValue".to_string(),
        1 => String::new(),
        m => (m - 1).to_string(),
    };
    if !max.is_empty() {
        let key_rule = if r.require_key_for_unsafe {
            "                    if (args.Outcome.Result?.RequestMessage is { } request && request.Method != HttpMethod.Get && request.Method != HttpMethod.Head\n                        \
             && request.Method != HttpMethod.Put && request.Method != HttpMethod.Delete && !request.Headers.Contains(\"Idempotency-Key\")) return ValueTask.FromResult(false);\n"
        } else {
            ""
        };
        let _ = write!(
            out,
            "            pipeline.AddRetry(new HttpRetryStrategyOptions\n            {{\n                \
             MaxRetryAttempts = {max},  // retries: attempts.max - 1\n                \
             ShouldRetryAfterHeader = {},\n                \
             ShouldHandle = args =>\n                {{\n{key_rule}                    \
             return ValueTask.FromResult(args.Outcome switch\n                    {{\n                        \
             {{ Exception: TimeoutRejectedException }} => {},\n                        \
             {{ Exception: HttpRequestException }} => {},\n                        \
             {{ Result: {{ }} response }} => IsRetryableStatus((int)response.StatusCode),\n                        \
             _ => false,\n                    \
             }});\n                \
             }},\n                \
             {},\n            \
             }});\n",
            p.retry_after.honor,
            r.timeout,
            r.network_error,
            delay(p, notes)
        );
    }
    if r.require_key_for_unsafe {
        notes.add(
            "retry.require_key_for_unsafe=true",
            "a keyless non-idempotent request that failed without a response is still retried (the rule sees only responses)",
        );
    }
    if p.retry_after.honor && p.retry_after.cap_ms < 86_400_000 {
        notes.add(
            "retry_after.cap_ms",
            "Polly obeys Retry-After as sent, uncapped",
        );
    }
    breaker(p, &mut out, notes);
    if a.timeout_ms > 0 {
        let _ = writeln!(
            out,
            "            pipeline.AddTimeout(TimeSpan.FromMilliseconds({}));  // per attempt",
            a.timeout_ms
        );
    }
    out.push_str("        });\n        return builder;\n    }\n");
    if p.idempotency.key {
        out.push_str(
            "\n    /// <summary>One key per logical call, the same on every attempt: set it on the request before sending.</summary>\n    \
             public static HttpRequestMessage WithIdempotencyKey(this HttpRequestMessage request)\n    {\n        \
             request.Headers.Add(\"Idempotency-Key\", Guid.NewGuid().ToString(\"N\"));\n        \
             return request;\n    }\n",
        );
    }
    out.push_str("}\n");
    common::library_knobs(p, notes, "Polly", policy::RetryAfterKind::Capped);
    common::no_budget(p, notes, "Polly");
    out
}

fn breaker(p: &PolicyConfig, out: &mut String, notes: &mut Notes) {
    let br = &p.breaker;
    let (ratio, min, sampling_ms) = match br.kind {
        BreakerKind::None => return,
        BreakerKind::RatioTime => (br.failure_ratio, br.min_throughput, br.window_ms),
        BreakerKind::Consecutive => (1.0, br.threshold.saturating_add(1), 30_000),
        BreakerKind::RatioCount => (br.failure_ratio, br.min_throughput, 30_000),
    };
    if br.kind != BreakerKind::RatioTime {
        notes.add(
            &format!("breaker.kind={}", p.get("breaker.kind").unwrap_or_default()),
            "Polly's breaker judges a failure ratio over a time window (SamplingDuration 30 s here), not a count of attempts",
        );
    }
    let _ = write!(
        out,
        "            pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions\n            {{\n                \
         FailureRatio = {},\n                \
         MinimumThroughput = {},\n                \
         SamplingDuration = TimeSpan.FromMilliseconds({}),\n                \
         BreakDuration = TimeSpan.FromMilliseconds({}),\n            \
         }});\n",
        num(ratio.max(0.001)),
        min.max(2),
        sampling_ms.max(500),
        br.open_ms.max(500)
    );
}
