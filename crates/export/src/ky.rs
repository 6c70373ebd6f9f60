//! JavaScript: ky ≥ 1.14 (`source/core/constants.ts`, `source/utils/normalize.ts`,
//! `distribution/types/retry.d.ts`). `retry.limit` counts retries
//! (attempts − 1); `retry.delay(n)` (n = 1 before the second attempt) is
//! our formula; `backoffLimit` caps it; `timeout` is the whole call, retries
//! included; `retryOnTimeout` and `shouldRetry` (network errors) carry the
//! classification; a `Retry-After` above `maxRetryAfter` cancels the retry
//! instead of being capped.

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::PolicyConfig;

use crate::common;
use crate::formula::{self, JAVASCRIPT};
use crate::Notes;

pub(crate) fn write(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let r = &p.retry;
    let limit = match a.max {
        0 => "Infinity".to_string(),
        m => (m - 1).to_string(),
    };
    let delay = if is_decorrelated(p) {
        notes.add(
            "backoff.kind=decorrelated",
            "ky's delay sees only the attempt number: U(base, min(cap, base·3^n)) instead",
        );
        let (base, cap) = (
            formula::lit(p.backoff.base_ms as f64),
            formula::lit(p.backoff.cap_ms as f64),
        );
        format!("Math.min({cap}, Math.floor({base} + Math.random() * (Math.min({cap}, {base} * Math.pow(3.0, n)) - {base})))")
    } else {
        formula::delay_ms(p, &JAVASCRIPT).unwrap_or_else(|| "0".to_string())
    };
    let statuses: Vec<String> = common::runs(&common::retryable_statuses(p))
        .into_iter()
        .map(|(lo, hi)| match hi - lo {
            0 => lo.to_string(),
            1 | 2 => (lo..=hi)
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            _ => format!("...range({lo}, {hi})"),
        })
        .collect();
    let methods = if r.require_key_for_unsafe {
        notes.add(
            "retry.require_key_for_unsafe=true",
            "ky decides by method only: POST and PATCH are never retried, even with an Idempotency-Key",
        );
        "'get', 'put', 'head', 'delete', 'options', 'trace'"
    } else {
        "'get', 'put', 'head', 'delete', 'options', 'trace', 'post', 'patch'"
    };
    let mut out = String::from(if r.network_error {
        "import ky from 'ky';\n\n"
    } else {
        "import ky, {HTTPError} from 'ky';\n\n"
    });
    if statuses.iter().any(|s| s.starts_with("...range")) {
        out.push_str(
            "const range = (lo, hi) => Array.from({length: hi - lo + 1}, (_, i) => lo + i);\n",
        );
    }
    let _ = write!(
        out,
        "// The error statuses that are retried.\nconst statuses = [{}];\n\n",
        statuses.join(", ")
    );
    let _ = write!(
        out,
        "export const api = ky.create({{\n  \
         timeout: {},  // the whole call, retries included\n  \
         retry: {{\n    \
         limit: {limit},  // retries: attempts.max - 1\n    \
         methods: [{methods}],\n    \
         statusCodes: statuses,\n    \
         afterStatusCodes: {},  // these wait for Retry-After when it is sent\n    \
         maxRetryAfter: {},\n    \
         backoffLimit: {},\n    \
         // {}; n = 1 before the second attempt\n    \
         delay: (n) => {delay},\n    \
         retryOnTimeout: {},{}\n  \
         }},\n}});\n",
        if a.deadline_ms > 0 {
            a.deadline_ms.to_string()
        } else {
            "false".to_string()
        },
        if p.retry_after.honor {
            "statuses"
        } else {
            "[]"
        },
        p.retry_after.cap_ms,
        p.backoff.cap_ms,
        policy::plan::formula(p),
        r.timeout,
        if r.network_error {
            ""
        } else {
            // ky retries every error that is neither an HTTP status nor a timeout: not these.
            "\n    shouldRetry: ({error}) => (error instanceof HTTPError || error.name === 'TimeoutError' ? undefined : false),"
        },
    );
    if p.idempotency.key {
        out.push_str(
            "\n// One key per logical call, the same on every attempt.\n\
             export const call = (url, options = {}) =>\n  \
             api(url, {...options, headers: {...options.headers, 'Idempotency-Key': crypto.randomUUID()}});\n",
        );
    }
    if p.retry_after.honor {
        notes.add(
            "retry_after.cap_ms",
            "ky gives up when Retry-After is above maxRetryAfter instead of waiting the cap",
        );
    }
    if a.timeout_ms > 0 {
        notes.add(
            "attempts.timeout_ms",
            "ky has no per-attempt timeout: its timeout covers the whole call (attempts.deadline_ms)",
        );
    }
    if r.timeout {
        notes.add(
            "retry.timeout=true",
            "ky's timeout covers the whole call: retryOnTimeout retries within what is left of it",
        );
    }
    common::formula_note(p, notes);
    common::library_knobs(p, notes, "ky", policy::RetryAfterKind::Capped);
    common::no_budget(p, notes, "ky");
    common::no_breaker(p, notes, "ky");
    out
}
