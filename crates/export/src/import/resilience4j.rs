//! resilience4j Spring Boot YAML: the first instance (or the `default`
//! config) of `resilience4j.retry`, `.circuitbreaker` and `.timelimiter`,
//! with resilience4j's defaults for what is missing (`maxAttempts` 3,
//! `waitDuration` 500 ms, multiplier 1.5, factor 0.5; breaker window 100,
//! 50%, 60 s open, 10 half-open calls; time limit 1 s). Without
//! `retryExceptions` resilience4j retries every exception.

use super::tree::{Doc, Node};
use super::{spring_ms, ImportError, Knobs};
use crate::resilience4j::{status_class, CLIENT, NETWORK, NOTHING, SERVER, TIMEOUT};

const DURATION: &str = "a duration like 500ms, 5s or PT5S";

fn duration(node: &Node) -> Result<u64, ImportError> {
    node.duration_ms(spring_ms, DURATION)
}

/// The first instance (or the default config) of `resilience4j.<module>`.
fn instance<'d>(r4j: &Node<'d>, module: &str, out: &mut Knobs) -> Option<Node<'d>> {
    let m = r4j.get(module)?;
    for group in ["instances", "configs"] {
        if let Some(g) = m.get(group) {
            let keys = g.keys();
            if let Some(first) = keys.first() {
                if keys.len() > 1 {
                    out.note(format!(
                        "resilience4j.{module}.{group}: only `{first}` of {} is read",
                        keys.len()
                    ));
                }
                return g.get(first);
            }
        }
    }
    None
}

fn number_or(node: &Node, key: &str, default: f64) -> Result<f64, ImportError> {
    node.get(key).map_or(Ok(default), |n| n.number())
}

fn flag(node: &Node, key: &str) -> Result<bool, ImportError> {
    node.get(key).map_or(Ok(false), |n| n.boolean())
}

pub(crate) fn read(doc: &Doc, out: &mut Knobs) -> Result<(), ImportError> {
    let root = doc.root();
    let r4j = root
        .get("resilience4j")
        .ok_or_else(|| root.error("no resilience4j: section: nothing to import"))?;
    let retry = instance(&r4j, "retry", out)
        .ok_or_else(|| r4j.error("no retry.instances or retry.configs: nothing to import"))?;
    let max = number_or(&retry, "maxAttempts", 3.0)?;
    let max_node = retry.get("maxAttempts");
    if max < 1.0 || max.fract() != 0.0 {
        return Err(max_node.map_or_else(
            || retry.error("maxAttempts"),
            |n| n.error("expected a whole number ≥ 1"),
        ));
    }
    out.set(
        "attempts.max",
        if max >= i32::MAX as f64 {
            0
        } else {
            max as u64
        },
        max_node.as_ref(),
    )?;
    let wait = match retry.get("waitDuration") {
        Some(w) => duration(&w)?,
        None => 500,
    };
    out.set("backoff.base_ms", wait, retry.get("waitDuration").as_ref())?;
    if flag(&retry, "enableExponentialBackoff")? {
        out.set("backoff.kind", "exponential_floor", None)?;
        let m = number_or(&retry, "exponentialBackoffMultiplier", 1.5)?;
        out.set(
            "backoff.multiplier",
            crate::common::num(m),
            retry.get("exponentialBackoffMultiplier").as_ref(),
        )?;
        let cap = match retry.get("exponentialMaxWaitDuration") {
            Some(c) => duration(&c)?,
            None => 86_400_000,
        };
        out.set(
            "backoff.cap_ms",
            cap,
            retry.get("exponentialMaxWaitDuration").as_ref(),
        )?;
    } else {
        out.set("backoff.kind", "constant", None)?;
        out.set("backoff.cap_ms", 86_400_000u64.max(wait), None)?;
    }
    if flag(&retry, "enableRandomizedWait")? {
        let f = number_or(&retry, "randomizedWaitFactor", 0.5)?;
        out.set("jitter.kind", "randomized", None)?;
        out.set(
            "jitter.ratio",
            crate::common::num(f),
            retry.get("randomizedWaitFactor").as_ref(),
        )?;
    } else {
        out.set("jitter.kind", "none", None)?;
    }
    exceptions(&retry, out)?;
    out.set("retry_after.honor", false, None)?;
    out.set("budget.kind", "none", None)?;
    match instance(&r4j, "circuitbreaker", out) {
        Some(cb) => breaker(&cb, out)?,
        None => out.set("breaker.kind", "none", None)?,
    }
    match instance(&r4j, "timelimiter", out) {
        Some(tl) => {
            let t = match tl.get("timeoutDuration") {
                Some(t) => duration(&t)?,
                None => 1000,
            };
            out.set("attempts.timeout_ms", t, tl.get("timeoutDuration").as_ref())?;
        }
        None => out.set("attempts.timeout_ms", 0, None)?,
    }
    out.set("attempts.deadline_ms", 0, None)
}

fn classes(node: Option<Node>) -> Result<Vec<String>, ImportError> {
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    node.items()
        .iter()
        .map(|i| i.text().map(|t| t.trim().to_string()))
        .collect()
}

fn exceptions(retry: &Node, out: &mut Knobs) -> Result<(), ImportError> {
    let node = retry.get("retryExceptions");
    let retried = classes(node.clone())?;
    let ignored = classes(retry.get("ignoreExceptions"))?;
    let all = node.is_none();
    if all {
        out.note("no retryExceptions: resilience4j retries every exception");
    }
    let known = |c: &str| {
        [NETWORK, TIMEOUT, SERVER, CLIENT, NOTHING].contains(&c)
            || (400..=599).any(|s| status_class(s).as_deref() == Some(c))
    };
    for c in retried.iter().chain(&ignored) {
        if !known(c) {
            out.note(format!("{c}: not an outcome the playground has; ignored"));
        }
    }
    let has = |c: &str| retried.iter().any(|x| x == c);
    let everything = ignored
        .iter()
        .any(|x| x == NOTHING || x == "java.lang.Exception");
    let ignores = |c: &str| everything || ignored.iter().any(|x| x == c);
    out.set(
        "retry.network_error",
        (all || has(NETWORK)) && !ignores(NETWORK),
        node.as_ref(),
    )?;
    out.set(
        "retry.timeout",
        (all || has(TIMEOUT)) && !ignores(TIMEOUT),
        node.as_ref(),
    )?;
    let statuses: Vec<u16> = (400..=599)
        .filter(|&s| {
            let class = status_class(s);
            let family = if s >= 500 { SERVER } else { CLIENT };
            if ignores(family) || class.as_deref().is_some_and(ignores) {
                return false;
            }
            all || has(family) || class.as_deref().is_some_and(has)
        })
        .collect();
    out.statuses(&statuses, node.as_ref())
}

fn breaker(cb: &Node, out: &mut Knobs) -> Result<(), ImportError> {
    let kind = match cb.get("slidingWindowType") {
        Some(t) => t.text()?.trim().to_ascii_uppercase(),
        None => "COUNT_BASED".to_string(),
    };
    let size = cb.get("slidingWindowSize").map_or(Ok(100), |n| n.count())?;
    let min = cb
        .get("minimumNumberOfCalls")
        .map_or(Ok(100), |n| n.count())?;
    let percent = number_or(cb, "failureRateThreshold", 50.0)?;
    let open = match cb.get("waitDurationInOpenState") {
        Some(w) => duration(&w)?,
        None => 60_000,
    };
    let probes = cb
        .get("permittedNumberOfCallsInHalfOpenState")
        .map_or(Ok(10), |n| n.count())?;
    match kind.as_str() {
        "COUNT_BASED" if percent >= 100.0 && size == min && size >= 1 => {
            out.set("breaker.kind", "consecutive", Some(cb))?;
            out.set(
                "breaker.threshold",
                size - 1,
                cb.get("slidingWindowSize").as_ref(),
            )?;
        }
        "COUNT_BASED" => {
            out.set("breaker.kind", "ratio_count", Some(cb))?;
            out.set(
                "breaker.window_count",
                size,
                cb.get("slidingWindowSize").as_ref(),
            )?;
        }
        "TIME_BASED" => {
            out.set("breaker.kind", "ratio_time", Some(cb))?;
            out.set(
                "breaker.window_ms",
                size.saturating_mul(1000),
                cb.get("slidingWindowSize").as_ref(),
            )?;
        }
        _ => {
            let node = cb.get("slidingWindowType");
            return Err(node.map_or_else(
                || cb.error("slidingWindowType"),
                |n| n.error("expected COUNT_BASED or TIME_BASED"),
            ));
        }
    }
    if kind != "COUNT_BASED" || percent < 100.0 || size != min {
        out.set(
            "breaker.failure_ratio",
            crate::common::num(percent / 100.0),
            cb.get("failureRateThreshold").as_ref(),
        )?;
        out.set(
            "breaker.min_throughput",
            min,
            cb.get("minimumNumberOfCalls").as_ref(),
        )?;
    }
    out.set(
        "breaker.open_ms",
        open,
        cb.get("waitDurationInOpenState").as_ref(),
    )?;
    out.set(
        "breaker.half_open_probes",
        probes,
        cb.get("permittedNumberOfCallsInHalfOpenState").as_ref(),
    )
}
