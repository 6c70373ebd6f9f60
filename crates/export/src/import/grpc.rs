//! gRPC service config JSON: the first `methodConfig`'s `timeout` and
//! `retryPolicy`, and `retryThrottling` (see `crate::grpc` for the mapping).

use super::tree::{Doc, Node};
use super::{proto_ms, ImportError, Knobs};
use crate::grpc::{CODES, TOKEN_SCALE};

/// gRPC's status code names by number (`grpc/status.h`).
const NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

const DURATION: &str = "a duration like \"0.1s\"";

fn duration(node: &Node) -> Result<u64, ImportError> {
    node.duration_ms(proto_ms, DURATION)
}

pub(crate) fn read(doc: &Doc, out: &mut Knobs) -> Result<(), ImportError> {
    let root = doc.root();
    if !root.is_object() {
        return Err(root.error("expected a service config: a JSON object with methodConfig"));
    }
    let methods = root
        .get("methodConfig")
        .ok_or_else(|| root.error("no methodConfig: nothing to import"))?;
    let items = methods.items();
    let Some(method) = items.first() else {
        return Err(methods.error("an empty list: nothing to import"));
    };
    if items.len() > 1 {
        out.note(format!(
            "methodConfig: only the first of {} entries is read",
            items.len()
        ));
    }
    let deadline = match method.get("timeout") {
        Some(t) => Some(duration(&t)?),
        None => None,
    };
    out.set(
        "attempts.deadline_ms",
        deadline.unwrap_or(0),
        method.get("timeout").as_ref(),
    )?;
    match method.get("retryPolicy") {
        None => {
            out.set("attempts.max", 1, None)?;
            out.note("no retryPolicy: one attempt, no retries");
        }
        Some(policy) => retry_policy(&policy, out)?,
    }
    // gRPC reads server pushback, not Retry-After.
    out.set("retry_after.honor", false, None)?;
    out.set("breaker.kind", "none", None)?;
    match root.get("retryThrottling") {
        None => out.set("budget.kind", "none", None)?,
        Some(t) => {
            let max = t
                .get("maxTokens")
                .ok_or_else(|| t.error("maxTokens is required"))?;
            let ratio = t
                .get("tokenRatio")
                .ok_or_else(|| t.error("tokenRatio is required"))?;
            let (m, r) = (max.number()?, ratio.number()?);
            if !(m > 0.0 && m <= 1000.0) {
                return Err(max.error("expected a number in (0, 1000]"));
            }
            if r <= 0.0 {
                return Err(ratio.error("expected a number > 0"));
            }
            out.set("budget.kind", "token_bucket", Some(&t))?;
            out.set(
                "budget.capacity",
                (m / 2.0 * TOKEN_SCALE as f64).round() as u64,
                Some(&max),
            )?;
            out.set("budget.retry_cost", TOKEN_SCALE, Some(&t))?;
            out.set("budget.timeout_cost", TOKEN_SCALE, Some(&t))?;
            out.set(
                "budget.success_refill",
                (r * TOKEN_SCALE as f64).round() as u64,
                Some(&ratio),
            )?;
            out.note("retryThrottling: read as our token bucket in thousandths of a token (1 token per failed attempt in gRPC, per retry here)");
        }
    }
    Ok(())
}

fn retry_policy(policy: &Node, out: &mut Knobs) -> Result<(), ImportError> {
    let field = |name: &str| {
        policy
            .get(name)
            .ok_or_else(|| policy.error(format!("{name} is required")))
    };
    let max = field("maxAttempts")?;
    let attempts = max.count()?;
    if attempts < 2 {
        return Err(max.error("gRPC requires maxAttempts ≥ 2"));
    }
    out.set("attempts.max", attempts, Some(&max))?;
    if attempts > 5 {
        out.note("maxAttempts above 5: gRPC itself treats it as 5");
    }
    let initial = field("initialBackoff")?;
    let cap = field("maxBackoff")?;
    let multiplier = field("backoffMultiplier")?;
    out.set("backoff.kind", "exponential", None)?;
    out.set("backoff.base_ms", duration(&initial)?, Some(&initial))?;
    out.set("backoff.cap_ms", duration(&cap)?, Some(&cap))?;
    out.set(
        "backoff.multiplier",
        crate::common::num(multiplier.number()?),
        Some(&multiplier),
    )?;
    out.set("jitter.kind", "ratio_after_cap", None)?;
    out.set("jitter.ratio", 0.2, None)?;
    match policy.get("perAttemptRecvTimeout") {
        Some(t) => out.set("attempts.timeout_ms", duration(&t)?, Some(&t))?,
        None => out.set("attempts.timeout_ms", 0, None)?,
    }
    let codes = field("retryableStatusCodes")?;
    let mut knobs: Vec<String> = Vec::new();
    for item in codes.items() {
        let name = match item.value {
            serde_json::Value::Number(_) => {
                let n = item.count()?;
                NAMES
                    .get(n as usize)
                    .copied()
                    .ok_or_else(|| item.error("expected a status code from 0 to 16"))?
                    .to_string()
            }
            _ => item.text()?.trim().to_ascii_uppercase(),
        };
        if !NAMES.contains(&name.as_str()) {
            return Err(item.error(format!(
                "unknown status code `{}`",
                crate::common::quoted(&name)
            )));
        }
        match CODES.iter().find(|(code, _)| *code == name) {
            Some((_, knob)) => knobs.push(knob.to_string()),
            None => out.note(format!(
                "retryableStatusCodes: {name} has no playground outcome; ignored"
            )),
        }
    }
    if codes.items().is_empty() {
        return Err(codes.error("gRPC requires at least one retryable status code"));
    }
    let has = |k: &str| knobs.iter().any(|x| x == k);
    out.set(
        "retry.network_error",
        has("retry.network_error"),
        Some(&codes),
    )?;
    out.set("retry.timeout", has("retry.timeout"), Some(&codes))?;
    let mut statuses: Vec<u16> = Vec::new();
    if has("retry.status_429") {
        statuses.push(429);
    }
    if has("retry.status_4xx") {
        statuses.extend((400..=499).filter(|&s| s != 429 && s != 409));
    }
    if has("retry.status.409") {
        statuses.push(409);
    }
    if has("retry.status_5xx") {
        statuses.extend(500..=599);
    }
    if has("retry.network_error") {
        statuses.push(503);
    }
    statuses.sort_unstable();
    statuses.dedup();
    out.statuses(&statuses, Some(&codes))
}
