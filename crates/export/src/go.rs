//! Go: github.com/cenkalti/backoff/v5 (`retry.go`, `exponential.go`).
//!
//! `Retry(ctx, op, WithBackOff(b), WithMaxTries(n), WithMaxElapsedTime(d))`:
//! `WithMaxTries` counts every attempt (the first included), 0 = unlimited;
//! `MaxElapsedTime` defaults to 15 minutes and is switched off here (the
//! deadline is the context's). The library's `ExponentialBackOff` draws
//! `I·U(1−f, 1+f)` after capping `I` (so it may exceed `MaxInterval`); the
//! export is a `BackOff` of its own with our exact formula instead, its
//! state reset by `Retry` at the start of every call.

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::PolicyConfig;

use crate::common::{self, secs};
use crate::formula::{self, GO};
use crate::Notes;

pub(crate) fn write(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let r = &p.retry;
    let base = formula::lit(p.backoff.base_ms as f64);
    let next = if is_decorrelated(p) {
        format!(
            "previous := b.previous\n\tb.previous = {}\n\treturn time.Duration(b.previous * float64(time.Millisecond))",
            formula::decorrelated(p, &GO)
        )
    } else {
        format!(
            "b.n++\n\tn := b.n\n\treturn time.Duration(({}) * float64(time.Millisecond))",
            formula::delay_ms(p, &GO).unwrap_or_else(|| "0.0".to_string())
        )
    };
    let statuses = common::c_condition(&common::retryable_statuses(p), "s");
    let mut body = String::new();
    let _ = write!(
        body,
        "// PlaygroundBackOff is the playground's delay formula as a backoff.BackOff:\n\
         // {}; n = 1 before the second attempt.\n\
         type PlaygroundBackOff struct {{\n\tn        float64\n\tprevious float64\n}}\n\n\
         func (b *PlaygroundBackOff) Reset() {{ b.n = 0; b.previous = {base} }}\n\n\
         func (b *PlaygroundBackOff) NextBackOff() time.Duration {{\n\t{next}\n}}\n\n\
         // StatusError is what an operation returns for an error response.\n\
         type StatusError struct {{\n\tStatus     int\n\tRetryAfter time.Duration // 0 when the response has none\n}}\n\n\
         func (e *StatusError) Error() string {{ return fmt.Sprintf(\"HTTP %d\", e.Status) }}\n\n\
         func isRetryableStatus(s int) bool {{ return {statuses} }}\n\n\
         func isRetryable(err error) bool {{\n\t\
         var status *StatusError\n\t\
         if errors.As(err, &status) {{\n\t\treturn isRetryableStatus(status.Status)\n\t}}\n\t\
         if errors.Is(err, context.DeadlineExceeded) {{\n\t\treturn {}\n\t}}\n\t\
         return {} // a network error\n}}\n\n",
        policy::plan::formula(p),
        r.timeout,
        r.network_error,
    );
    let max_tries = a.max;
    let _ = write!(
        body,
        "// Do runs op until it succeeds, fails for good, or runs out of attempts{}.\n\
         func Do[T any](ctx context.Context, op func(ctx context.Context) (T, error)) (T, error) {{\n",
        if a.deadline_ms > 0 { " or time" } else { "" }
    );
    if a.deadline_ms > 0 {
        let _ = write!(
            body,
            "\tctx, cancel := context.WithTimeout(ctx, {}*time.Millisecond) // the whole call\n\tdefer cancel()\n",
            a.deadline_ms
        );
    }
    body.push_str("\treturn backoff.Retry(ctx, func() (T, error) {\n");
    if a.timeout_ms > 0 {
        let _ = write!(
            body,
            "\t\tattemptCtx, cancel := context.WithTimeout(ctx, {}*time.Millisecond) // per attempt\n\t\tdefer cancel()\n\t\tv, err := op(attemptCtx)\n",
            a.timeout_ms
        );
    } else {
        body.push_str("\t\tv, err := op(ctx)\n");
    }
    body.push_str(
        "\t\tif err != nil && !isRetryable(err) {\n\t\t\treturn v, backoff.Permanent(err)\n\t\t}\n",
    );
    if p.retry_after.honor {
        let _ = write!(
            body,
            "\t\tvar status *StatusError\n\t\t\
             if errors.As(err, &status) && status.RetryAfter > 0 {{\n\t\t\t\
             return v, backoff.RetryAfter(int(min(status.RetryAfter, {}*time.Millisecond).Seconds())) // capped\n\t\t}}\n",
            p.retry_after.cap_ms
        );
        notes.add(
            "retry_after.honor=true",
            format!("cenkalti waits whole seconds of Retry-After (capped at {} s) and resets the backoff after it", secs(p.retry_after.cap_ms)),
        );
    }
    let _ = write!(
        body,
        "\t\treturn v, err\n\t}}, backoff.WithBackOff(&PlaygroundBackOff{{}}), backoff.WithMaxTries({max_tries}), backoff.WithMaxElapsedTime(0))\n}}\n"
    );
    if p.idempotency.key {
        notes.add(
            "idempotency.key=true",
            "draw one Idempotency-Key before Do and send it from op on every attempt",
        );
    }
    if r.require_key_for_unsafe {
        notes.add(
            "retry.require_key_for_unsafe=true",
            "return backoff.Permanent from op for a keyless non-idempotent request",
        );
    }
    common::formula_note(p, notes);
    common::library_knobs(p, notes, "cenkalti/backoff", policy::RetryAfterKind::Capped);
    common::no_budget(p, notes, "cenkalti/backoff");
    common::no_breaker(p, notes, "cenkalti/backoff");
    let mut imports = vec!["\"context\"", "\"errors\"", "\"fmt\""];
    if body.contains("math.") {
        imports.push("\"math\"");
    }
    if body.contains("rand.") {
        imports.push("\"math/rand/v2\"");
    }
    imports.push("\"time\"");
    let imports: Vec<String> = imports.iter().map(|i| format!("\t{i}")).collect();
    format!(
        "package playground\n\nimport (\n{}\n\n\t\"github.com/cenkalti/backoff/v5\"\n)\n\n{body}",
        imports.join("\n")
    )
}
