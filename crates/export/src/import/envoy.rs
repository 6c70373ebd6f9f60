//! Envoy YAML: a `route:` (RouteAction: `timeout`, `retry_policy`) and a
//! `cluster:` (`circuit_breakers.thresholds[].retry_budget`,
//! `outlier_detection`), as `crate::envoy` writes them; a bare RouteAction
//! or a bare `retry_policy` mapping is read too. Envoy's defaults fill what
//! is missing (route timeout 15 s, `num_retries` 1, backoff 25 ms to 10×).

use super::tree::{Doc, Node};
use super::{proto_ms, ImportError, Knobs};
use crate::envoy::UNLIMITED_RETRIES;

const DURATION: &str = "a duration like \"0.25s\"";

fn duration(node: &Node) -> Result<u64, ImportError> {
    node.duration_ms(proto_ms, DURATION)
}

pub(crate) fn read(doc: &Doc, out: &mut Knobs) -> Result<(), ImportError> {
    let root = doc.root();
    if !root.is_object() {
        return Err(root.error("expected a mapping with route: (and cluster:), or a retry_policy"));
    }
    let route = root.get("route");
    let (route, policy) = match (&route, root.get("retry_policy"), root.get("retry_on")) {
        (Some(r), _, _) => (Some(r.clone()), r.get("retry_policy")),
        (None, Some(p), _) => (Some(root.clone()), Some(p)),
        (None, None, Some(_)) => (None, Some(root.clone())),
        _ => {
            return Err(
                root.error("no route.retry_policy, retry_policy or retry_on: nothing to import")
            )
        }
    };
    if let Some(route) = &route {
        match route.get("timeout") {
            Some(t) => out.set("attempts.deadline_ms", duration(&t)?, Some(&t))?,
            None => {
                out.set("attempts.deadline_ms", 15_000, None)?;
                out.note("route.timeout: not set, Envoy's default 15s");
            }
        }
    }
    match policy {
        None => {
            out.set("attempts.max", 1, None)?;
            out.note("no retry_policy: one attempt, no retries");
        }
        Some(policy) => retry_policy(&policy, out)?,
    }
    let cluster = root.get("cluster");
    budget(cluster.as_ref(), out)?;
    breaker(cluster.as_ref(), out)
}

fn retry_policy(policy: &Node, out: &mut Knobs) -> Result<(), ImportError> {
    let retries = match policy.get("num_retries") {
        Some(n) => n.count()?,
        None => 1,
    };
    let max = if retries >= 1000 || retries == UNLIMITED_RETRIES {
        0
    } else {
        retries + 1
    };
    out.set("attempts.max", max, policy.get("num_retries").as_ref())?;
    match policy.get("per_try_timeout") {
        Some(t) => out.set("attempts.timeout_ms", duration(&t)?, Some(&t))?,
        None => out.set("attempts.timeout_ms", 0, None)?,
    }
    let on = policy
        .get("retry_on")
        .ok_or_else(|| policy.error("retry_on is required"))?;
    let mut network = false;
    let mut timeout = false;
    let mut statuses: Vec<u16> = Vec::new();
    let mut listed = false;
    for token in on
        .text()?
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match token {
            "5xx" => {
                network = true;
                timeout = true;
                statuses.extend(500..=599);
            }
            "gateway-error" => {
                timeout = true;
                statuses.extend([502, 503, 504]);
            }
            "reset" | "connect-failure" | "refused-stream" | "reset-before-request" => {
                network = true
            }
            "retriable-4xx" => statuses.push(409),
            "retriable-status-codes" => listed = true,
            "retriable-headers"
            | "envoy-ratelimited"
            | "http3-post-connect-failure"
            | "cancelled"
            | "deadline-exceeded"
            | "internal"
            | "resource-exhausted"
            | "unavailable" => out.note(format!(
                "retry_on: {token} has no playground outcome; ignored"
            )),
            other => {
                return Err(on.error(format!(
                    "unknown retry_on condition `{}`",
                    crate::common::quoted(other)
                )))
            }
        }
    }
    if let Some(codes) = policy.get("retriable_status_codes") {
        if !listed {
            out.note("retriable_status_codes without retriable-status-codes in retry_on: Envoy ignores them");
        } else {
            for item in codes.items() {
                let code = item.count()?;
                match u16::try_from(code) {
                    Ok(s) if (400..=599).contains(&s) => statuses.push(s),
                    Ok(s) if (100..=399).contains(&s) => out.note(format!(
                        "retriable_status_codes: {s} is a success here; ignored"
                    )),
                    _ => return Err(item.error("expected an HTTP status from 100 to 599")),
                }
            }
        }
    }
    statuses.sort_unstable();
    statuses.dedup();
    out.set("retry.network_error", network, Some(&on))?;
    out.set("retry.timeout", timeout, Some(&on))?;
    out.statuses(&statuses, Some(&on))?;
    let (base, cap) = match policy.get("retry_back_off") {
        Some(b) => {
            let base_node = b
                .get("base_interval")
                .ok_or_else(|| b.error("base_interval is required"))?;
            let base = duration(&base_node)?;
            let cap = match b.get("max_interval") {
                Some(m) => duration(&m)?,
                None => base.saturating_mul(10),
            };
            (base, cap)
        }
        None => (25, 250),
    };
    out.set("backoff.kind", "exponential", None)?;
    out.set("backoff.multiplier", 2, None)?;
    out.set("jitter.kind", "full", None)?;
    out.set(
        "backoff.base_ms",
        base,
        policy.get("retry_back_off").as_ref(),
    )?;
    out.set("backoff.cap_ms", cap, policy.get("retry_back_off").as_ref())?;
    match policy.get("rate_limited_retry_back_off") {
        Some(r) => {
            out.set("retry_after.honor", true, Some(&r))?;
            out.set("retry_after.kind", "envoy", Some(&r))?;
            let cap = match r.get("max_interval") {
                Some(m) => duration(&m)?,
                None => 300_000,
            };
            out.set("retry_after.cap_ms", cap, Some(&r))?;
        }
        None => out.set("retry_after.honor", false, None)?,
    }
    Ok(())
}

fn budget(cluster: Option<&Node>, out: &mut Knobs) -> Result<(), ImportError> {
    let budget = cluster
        .and_then(|c| c.get("circuit_breakers"))
        .and_then(|c| c.get("thresholds"))
        .and_then(|t| t.items().into_iter().find_map(|t| t.get("retry_budget")));
    let Some(budget) = budget else {
        return out.set("budget.kind", "none", None);
    };
    let percent = match budget.get("budget_percent") {
        Some(p) => match p.get("value") {
            Some(v) => v.number()?,
            None => p.number()?,
        },
        None => 20.0,
    };
    let min = match budget.get("min_retry_concurrency") {
        Some(m) => m.count()?,
        None => 3,
    };
    out.set("budget.kind", "ratio", Some(&budget))?;
    out.set(
        "budget.ratio",
        crate::common::num(percent / 100.0),
        budget.get("budget_percent").as_ref(),
    )?;
    out.set(
        "budget.min_retries",
        min,
        budget.get("min_retry_concurrency").as_ref(),
    )?;
    out.note("retry_budget: Envoy counts retries in flight against requests in flight; read as a ratio budget per window");
    Ok(())
}

fn breaker(cluster: Option<&Node>, out: &mut Knobs) -> Result<(), ImportError> {
    let Some(od) = cluster.and_then(|c| c.get("outlier_detection")) else {
        return out.set("breaker.kind", "none", None);
    };
    let open = match od.get("base_ejection_time") {
        Some(t) => duration(&t)?,
        None => 30_000,
    };
    if let Some(c) = od.get("consecutive_5xx") {
        let n = c.count()?;
        if n == 0 {
            return Err(c.error("expected at least 1"));
        }
        out.set("breaker.kind", "consecutive", Some(&od))?;
        out.set("breaker.threshold", n - 1, Some(&c))?;
    } else if let Some(t) = od.get("failure_percentage_threshold") {
        out.set("breaker.kind", "ratio_time", Some(&od))?;
        out.set(
            "breaker.failure_ratio",
            crate::common::num(t.number()? / 100.0),
            Some(&t),
        )?;
        let volume = match od.get("failure_percentage_request_volume") {
            Some(v) => v.count()?,
            None => 50,
        };
        out.set(
            "breaker.min_throughput",
            volume,
            od.get("failure_percentage_request_volume").as_ref(),
        )?;
        let interval = match od.get("interval") {
            Some(i) => duration(&i)?,
            None => 10_000,
        };
        out.set("breaker.window_ms", interval, od.get("interval").as_ref())?;
    } else {
        out.note("outlier_detection without consecutive_5xx or failure_percentage_threshold: no breaker read");
        return out.set("breaker.kind", "none", None);
    }
    out.set(
        "breaker.open_ms",
        open,
        od.get("base_ejection_time").as_ref(),
    )?;
    out.note("outlier_detection: read as a breaker (Envoy ejects a host rather than failing fast)");
    Ok(())
}
