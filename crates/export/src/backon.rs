//! Rust: backon 1.x. A `BackoffBuilder` of our own whose backoff (an
//! `Iterator<Item = Duration>`, new for every call) yields our exact delays,
//! `attempts.max − 1` of them (backon's `max_times` counts retries too);
//! the classification is the `when` predicate.

use std::fmt::Write;

use policy::backoff::is_decorrelated;
use policy::PolicyConfig;

use crate::common;
use crate::formula::{self, RUST};
use crate::Notes;

pub(crate) fn write(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let r = &p.retry;
    let base = formula::lit(p.backoff.base_ms as f64);
    let next = if is_decorrelated(p) {
        format!(
            "let previous = self.previous;\n        self.previous = {};\n        Some(Duration::from_secs_f64(self.previous / 1000.0))",
            formula::decorrelated(p, &RUST)
        )
    } else {
        let expr = formula::delay_ms(p, &RUST).unwrap_or_else(|| "0.0".to_string());
        format!(
            "{}Some(Duration::from_secs_f64(({expr}) / 1000.0))",
            if formula::uses_n(&expr) {
                "let n = self.retry as f64;\n        "
            } else {
                ""
            }
        )
    };
    let retries = match a.max {
        0 => "None".to_string(),
        m => format!("Some({})", m - 1),
    };
    let patterns: Vec<String> = common::runs(&common::retryable_statuses(p))
        .into_iter()
        .map(|(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}..={hi}")
            }
        })
        .collect();
    let status_rule = if patterns.is_empty() {
        "Failure::Status(_) => false".to_string()
    } else {
        format!(
            "Failure::Status(status) => matches!(status, {})",
            patterns.join(" | ")
        )
    };
    let mut out = String::new();
    if next.contains("fastrand::") {
        out.push_str("// Cargo.toml: backon = \"1\", fastrand = \"2\"\n");
    } else {
        out.push_str("// Cargo.toml: backon = \"1\"\n");
    }
    let _ = write!(
        out,
        "use std::time::Duration;\n\nuse backon::BackoffBuilder;\n\n\
         /// Retries `attempts.max - 1` times with the playground's delays:\n\
         /// `op.retry(PlaygroundBackoff).when(is_retryable).await`.\n\
         #[derive(Clone, Copy, Debug, Default)]\n\
         pub struct PlaygroundBackoff;\n\n\
         impl BackoffBuilder for PlaygroundBackoff {{\n    \
         type Backoff = PlaygroundDelays;\n\n    \
         fn build(self) -> PlaygroundDelays {{\n        \
         PlaygroundDelays {{ retry: 0, previous: {base} }}\n    \
         }}\n}}\n\n\
         /// One call's delays: {}; n = 1 before the second attempt.\n\
         #[derive(Clone, Debug)]\n\
         #[allow(dead_code)] // `previous` is read by the decorrelated formula only\n\
         pub struct PlaygroundDelays {{\n    retry: u32,\n    previous: f64,\n}}\n\n\
         impl Iterator for PlaygroundDelays {{\n    \
         type Item = Duration;\n\n    \
         fn next(&mut self) -> Option<Duration> {{\n        \
         const RETRIES: Option<u32> = {retries};\n        \
         if RETRIES.is_some_and(|max| self.retry >= max) {{\n            return None;\n        }}\n        \
         self.retry += 1;\n        \
         {next}\n    \
         }}\n}}\n\n\
         /// How an attempt failed.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq)]\n\
         pub enum Failure {{\n    Network,\n    Timeout,\n    Status(u16),\n}}\n\n\
         pub fn is_retryable(failure: &Failure) -> bool {{\n    \
         match failure {{\n        \
         Failure::Network => {},\n        \
         Failure::Timeout => {},\n        \
         {status_rule},\n    \
         }}\n}}\n",
        policy::plan::formula(p),
        r.network_error,
        r.timeout,
    );
    if a.timeout_ms > 0 {
        notes.add(
            "attempts.timeout_ms",
            format!("backon has no timeout: wrap each attempt in tokio::time::timeout(Duration::from_millis({}), ..)", a.timeout_ms),
        );
    }
    if a.deadline_ms > 0 {
        notes.add(
            "attempts.deadline_ms",
            format!("backon has no deadline: wrap the retried call in tokio::time::timeout(Duration::from_millis({}), ..)", a.deadline_ms),
        );
    }
    if p.retry_after.honor {
        notes.add(
            "retry_after.honor=true",
            "not read: the backoff is used (backon's `adjust` could read it from your error)",
        );
    }
    if p.idempotency.key {
        notes.add(
            "idempotency.key=true",
            "draw one Idempotency-Key before retrying and send it on every attempt",
        );
    }
    if r.require_key_for_unsafe {
        notes.add(
            "retry.require_key_for_unsafe=true",
            "do not retry a keyless non-idempotent request (leave it out of `when`)",
        );
    }
    common::formula_note(p, notes);
    common::library_knobs(p, notes, "backon", policy::RetryAfterKind::Capped);
    common::no_budget(p, notes, "backon");
    common::no_breaker(p, notes, "backon");
    out
}
