//! Python: urllib3's `Retry` (urllib3 2.x, `src/urllib3/util/retry.py`).
//!
//! urllib3's own backoff is `backoff_factor·2^(n−1)` (+ `U(0, backoff_jitter)`),
//! capped at `backoff_max`, and **0 before the first retry**; it honours
//! `Retry-After` only on 413/429/503 and caps it at `retry_after_max` (6 h
//! since 2.8). So the export is a
//! subclass of `Retry` that overrides `get_backoff_time` with our exact
//! formula (`len(self.history)` is the retry number `n` when urllib3 sleeps),
//! caps `get_retry_after` at our cap, and reads `Retry-After` on every retried status.
//! Counts: `total` is retries (attempts − 1); `connect` and `read` are
//! switched off (0) when network errors or timeouts are not retried.

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::PolicyConfig;

use crate::common::{self, runs, secs};
use crate::formula::{self, PYTHON};
use crate::Notes;

/// The status set as a Python expression: `{429} | set(range(500, 600))`.
fn status_set(statuses: &[u16]) -> String {
    let mut singles = Vec::new();
    let mut parts = Vec::new();
    for (lo, hi) in runs(statuses) {
        if hi - lo >= 3 {
            parts.push(format!("set(range({lo}, {}))", hi + 1));
        } else {
            singles.extend(lo..=hi);
        }
    }
    if !singles.is_empty() {
        let s: Vec<String> = singles.iter().map(u16::to_string).collect();
        parts.insert(0, format!("{{{}}}", s.join(", ")));
    }
    if parts.is_empty() {
        "frozenset()".to_string()
    } else {
        format!("frozenset({})", parts.join(" | "))
    }
}

pub(crate) fn write(p: &PolicyConfig, notes: &mut Notes) -> String {
    let mut out = String::new();
    let a = &p.attempts;
    let base = p.backoff.base_ms as f64;
    out.push_str("class PlaygroundRetry(Retry):\n");
    if p.retry_after.honor {
        out.push_str(
            "    # Retry-After is read on every retried status (urllib3 alone: 413, 429, 503 only).\n    \
             RETRY_AFTER_STATUS_CODES = frozenset()\n\n",
        );
    }
    if is_decorrelated(p) {
        // The previous sleep rides on the Retry object, which urllib3 copies
        // (new()) at every increment of one request: per call, never shared.
        let _ = write!(
            out,
            "    def new(self, **kw):\n        \
             retry = super().new(**kw)\n        \
             retry.previous_ms = getattr(self, 'previous_ms', {b})\n        \
             return retry\n\n    \
             def get_backoff_time(self):  # AWS decorrelated: min(cap, U(base, 3 * previous)), per call\n        \
             if not self.history:\n            \
             return 0.0\n        \
             previous = getattr(self, 'previous_ms', {b})\n        \
             self.previous_ms = {expr}\n        \
             return self.previous_ms / 1000\n",
            b = formula::lit(base),
            expr = formula::decorrelated(p, &PYTHON),
        );
    } else if let Some(expr) = formula::delay_ms(p, &PYTHON) {
        let _ = write!(
            out,
            "    def get_backoff_time(self):  # {}; n = 1 before the second attempt\n        \
             n = len(self.history)\n        \
             if n == 0:\n            \
             return 0.0\n        \
             return {expr} / 1000\n",
            policy::plan::formula(p)
        );
    }
    if p.retry_after.honor {
        let _ = write!(
            out,
            "\n    def get_retry_after(self, response):\n        \
             seconds = super().get_retry_after(response)\n        \
             return None if seconds is None else min(seconds, {})\n",
            secs(p.retry_after.cap_ms)
        );
    }
    let total = match a.max {
        0 => "None".to_string(),
        max => (max - 1).to_string(),
    };
    if a.max == 0 {
        notes.add(
            "attempts.max=0",
            "total=None with no other limit: urllib3 retries forever too",
        );
    }
    let on = |retry: bool| if retry { "None" } else { "0" };
    if p.retry.network_error != p.retry.timeout {
        notes.add(
            "retry.network_error",
            "a connection reset after the request was sent is a read error in urllib3, counted with timeouts (retry.timeout)",
        );
    }
    let methods = if p.retry.require_key_for_unsafe {
        notes.add(
            "retry.require_key_for_unsafe=true",
            "urllib3 decides by method only: POST and PATCH are never retried, even with an Idempotency-Key",
        );
        ("Retry.DEFAULT_ALLOWED_METHODS", "idempotent methods only")
    } else {
        ("None", "every method, POST included")
    };
    let statuses = common::retryable_statuses(p);
    let _ = write!(
        out,
        "\n\nRETRY = PlaygroundRetry(\n    \
         total={total},  # retries: attempts.max - 1\n    \
         connect={},  # connection errors\n    \
         read={},  # timeouts and resets after sending\n    \
         status=None,\n    \
         status_forcelist={},\n    \
         allowed_methods={},  # {}\n    \
         respect_retry_after_header={},\n\
         )\n",
        on(p.retry.network_error),
        on(p.retry.timeout),
        status_set(&statuses),
        methods.0,
        methods.1,
        if p.retry_after.honor { "True" } else { "False" },
    );
    if a.timeout_ms > 0 {
        let _ = writeln!(
            out,
            "TIMEOUT = Timeout(total={})  # per attempt",
            secs(a.timeout_ms)
        );
    } else {
        out.push_str(
            "TIMEOUT = Timeout(total=None)  # no timeout: a hung server hangs this call\n",
        );
    }
    out.push_str("http = urllib3.PoolManager(retries=RETRY, timeout=TIMEOUT)\n\n");
    let _ = write!(
        out,
        "def call(method, url, **kwargs):\n    \
         headers = dict(kwargs.pop('headers', None) or {{}})\n{}    \
         return http.request(method, url, headers=headers, **kwargs)\n",
        if p.idempotency.key {
            "    headers['Idempotency-Key'] = uuid.uuid4().hex  # one key per logical call, the same on every attempt\n"
        } else {
            ""
        }
    );
    if a.deadline_ms > 0 {
        notes.add(
            "attempts.deadline_ms",
            "urllib3 has no overall deadline: only the retry count and each attempt's timeout bound a call",
        );
    }
    common::formula_note(p, notes);
    common::library_knobs(p, notes, "urllib3", policy::RetryAfterKind::Capped);
    common::no_budget(p, notes, "urllib3");
    common::no_breaker(p, notes, "urllib3");
    let modules: Vec<&str> = ["math", "random", "uuid"]
        .into_iter()
        .filter(|m| out.contains(&format!("{m}.")))
        .chain(["urllib3"])
        .collect();
    format!(
        "import {}\nfrom urllib3.util import Retry, Timeout\n\n\n{out}",
        modules.join(", ")
    )
}
