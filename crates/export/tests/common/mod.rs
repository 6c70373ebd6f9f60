//! Configs every test of the documents runs over: the presets, and every
//! kind of every knob that changes what a target writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(dead_code)]

use policy::PolicyConfig;

/// `(name, policy)`: every preset, then one variant per kind and edge.
pub fn configs() -> Vec<(String, PolicyConfig)> {
    let mut out: Vec<(String, PolicyConfig)> = flaky::presets::all()
        .expect("the presets")
        .into_iter()
        .map(|p| (format!("preset {}", p.id), p.config.policy))
        .collect();
    let variants: &[&[(&str, &str)]] = &[
        &[],
        &[("backoff.kind", "constant")],
        &[("backoff.kind", "linear"), ("jitter.kind", "equal")],
        &[
            ("backoff.kind", "decorrelated"),
            ("backoff.base_ms", "50"),
            ("backoff.cap_ms", "20000"),
        ],
        &[("jitter.kind", "decorrelated")],
        &[("jitter.kind", "full"), ("backoff.multiplier", "1.5")],
        &[("jitter.kind", "ratio"), ("jitter.ratio", "0.2")],
        &[
            ("jitter.kind", "ratio"),
            ("jitter.ratio", "0.25"),
            ("backoff.kind", "constant"),
        ],
        &[("jitter.kind", "additive"), ("jitter.additive_ms", "250")],
        &[("attempts.max", "0"), ("attempts.timeout_ms", "0")],
        &[("attempts.max", "1")],
        &[
            ("attempts.max", "7"),
            ("attempts.deadline_ms", "12500"),
            ("attempts.timeout_ms", "1500"),
        ],
        &[("backoff.base_ms", "0"), ("backoff.cap_ms", "0")],
        &[("retry.network_error", "false"), ("retry.timeout", "false")],
        &[
            ("retry.status_5xx", "false"),
            ("retry.status.503", "true"),
            ("retry.status_429", "false"),
        ],
        &[
            ("retry.status_4xx", "true"),
            ("retry.status.404", "false"),
            ("retry.status.418", "false"),
        ],
        &[
            ("retry.status_5xx", "false"),
            ("retry.status_429", "false"),
            ("retry.network_error", "false"),
            ("retry.timeout", "false"),
            ("retry.in_flight_409", "false"),
        ],
        &[
            ("idempotency.key", "true"),
            ("retry.require_key_for_unsafe", "true"),
        ],
        &[("retry_after.honor", "false")],
        &[("budget.kind", "token_bucket")],
        &[
            ("budget.kind", "token_bucket"),
            ("budget.capacity", "7"),
            ("budget.retry_cost", "3"),
            ("budget.success_refill", "2"),
        ],
        &[
            ("budget.kind", "ratio"),
            ("budget.ratio", "0.2"),
            ("budget.min_retries", "3"),
        ],
        &[
            ("breaker.kind", "consecutive"),
            ("breaker.threshold", "4"),
            ("breaker.half_open_probes", "3"),
        ],
        &[
            ("breaker.kind", "ratio_count"),
            ("breaker.window_count", "50"),
            ("breaker.min_throughput", "20"),
        ],
        &[
            ("breaker.kind", "ratio_time"),
            ("breaker.window_ms", "30000"),
            ("breaker.failure_ratio", "0.25"),
            ("breaker.open_ms", "15000"),
        ],
        &[
            ("breaker.kind", "ratio_time"),
            ("breaker.window_ms", "2500"),
        ],
    ];
    for (i, sets) in variants.iter().enumerate() {
        let mut p = PolicyConfig::default();
        for (k, v) in sets.iter() {
            p.set(k, v)
                .unwrap_or_else(|e| panic!("variant {i}: {k}={v}: {e}"));
        }
        let name = sets
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        out.push((format!("variant {i} [{name}]"), p));
    }
    out
}

/// A document without its notes: the comment block (up to the first blank
/// line), or the JSON notes field.
pub fn without_notes(text: &str) -> String {
    if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(text) {
        if let Some(o) = json.as_object_mut() {
            o.remove(export::NOTES_FIELD);
        }
        return json.to_string();
    }
    match text.split_once("\n\n") {
        Some((_, rest)) => rest.to_string(),
        None => text.to_string(),
    }
}
