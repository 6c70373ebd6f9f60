//! AWS SDKs: the shared config file (`~/.aws/config`), with the same
//! settings as environment variables in its comments. The file carries only
//! `retry_mode` and `max_attempts` (the first attempt included); the backoff,
//! the retry quota and the classification are the SDK's own: standard mode
//! (botocore `retries/standard.py`, the SDKs' "retry behavior" reference) is
//! full jitter `U(0, 1)·min(20 s, 1 s·2^(n−1))`, a quota of 500 tokens
//! (5 per retry, 10 after a timeout, refunded on success), and retries
//! throttling errors, 5xx, timeouts and connection errors.

use std::fmt::Write;

use policy::{BudgetKind, PolicyConfig};

use crate::common;
use crate::Notes;

pub(crate) fn ini(p: &PolicyConfig, notes: &mut Notes) -> String {
    let a = &p.attempts;
    let max = match a.max {
        0 => {
            notes.add("attempts.max=0", "the SDKs need a limit: max_attempts 1000");
            1000
        }
        m => m,
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "# The same in the environment:\n#   AWS_RETRY_MODE=standard\n#   AWS_MAX_ATTEMPTS={max}\n\
         [default]\nretry_mode = standard\nmax_attempts = {max}\n"
    );
    let bo = &p.backoff;
    let sdk_backoff = bo.kind == policy::BackoffKind::Exponential
        && bo.multiplier == 2.0
        && bo.cap_ms == 20_000
        && p.jitter.kind == policy::JitterKind::Full
        && ((bo.base_ms == 1000 && bo.throttle_base_ms == 0)
            || (bo.base_ms == 50 && bo.throttle_base_ms == 1000));
    if !sdk_backoff {
        notes.add(
            "backoff.*, jitter.*",
            "the SDK's own backoff: U(0, 1)·min(20 s, 1 s·2^(n-1)) in standard mode (base 50 ms, 1 s after throttling, since the 2026 change)",
        );
    }
    let b = &p.budget;
    // Standard mode's quota: before 2026 5 per retry, 10 after a timeout; since, 14 and 5 after throttling.
    let quota = |cost: u64, timeout: u64| {
        b.kind == BudgetKind::TokenBucketRefund
            && b.capacity == 500
            && b.retry_cost == cost
            && b.timeout_cost == timeout
    };
    if !(quota(5, 10) || quota(14, 14)) {
        notes.add(
            "budget.*",
            "standard mode always has its retry quota, refunded on success: 500 tokens, 5 per retry and 10 after a timeout (14 per retry, 5 after throttling since 2026)",
        );
    }
    notes.add(
        "retry.*",
        "the SDK decides what is retried: throttling errors, 5xx, timeouts and connection errors",
    );
    if a.timeout_ms > 0 || a.deadline_ms > 0 {
        notes.add(
            "attempts.timeout_ms, attempts.deadline_ms",
            "timeouts are client options in code (botocore Config(connect_timeout, read_timeout)), not in the config file",
        );
    }
    if p.retry_after.honor && p.retry_after.kind != policy::RetryAfterKind::Aws {
        notes.add(
            "retry_after.honor=true",
            "standard mode reads only x-amz-retry-after, and only since 2026 (retry_after.kind=aws)",
        );
    }
    common::no_breaker(p, notes, "The AWS SDK");
    common::code_only(p, notes, "The config file");
    out
}
