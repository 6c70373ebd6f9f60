//! Export, then import: the same knobs for everything the format expresses.
//!
//! For every import format and every config of `common::configs()` (and
//! random ones): the exported document imports; exporting what was imported
//! writes the same document (notes aside), so nothing the format expresses
//! is lost or changed; and the knobs each format expresses exactly come
//! back equal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use export::import::{import, Format};
use export::{export, Target};
use policy::{BackoffKind, BreakerKind, BudgetKind, JitterKind, PolicyConfig};
use proptest::prelude::*;

fn target(format: Format) -> Target {
    match format {
        Format::Grpc => Target::Grpc,
        Format::Envoy => Target::Envoy,
        Format::Resilience4j => Target::Resilience4j,
        Format::Polly => Target::Polly,
    }
}

/// Imports `p`'s export and checks the fixpoint; returns the imported policy.
fn round_trip(format: Format, name: &str, p: &PolicyConfig) -> PolicyConfig {
    let first = export(target(format), p);
    let imported = import(format, &first.text)
        .unwrap_or_else(|e| panic!("{} {name}: {e}\n{}", format.name(), first.text));
    let second = export(target(format), &imported.policy);
    assert_eq!(
        common::without_notes(&second.text),
        common::without_notes(&first.text),
        "{} {name}: export ∘ import changed the document\nimported: {:?}",
        format.name(),
        imported.assignments
    );
    imported.policy
}

#[test]
fn every_format_is_a_fixpoint_of_export_then_import() {
    for format in Format::ALL {
        for (name, p) in common::configs() {
            round_trip(format, &name, &p);
        }
    }
}

/// The knobs every format carries exactly, when the config is in the format's range.
fn assert_same(format: Format, name: &str, p: &PolicyConfig, back: &PolicyConfig, knobs: &[&str]) {
    for knob in knobs {
        assert_eq!(
            back.get(knob),
            p.get(knob),
            "{} {name}: {knob}",
            format.name()
        );
    }
}

#[test]
fn grpc_carries_attempts_backoff_deadline_and_throttling_exactly() {
    for (name, p) in common::configs() {
        let back = round_trip(Format::Grpc, &name, &p);
        let retries_something =
            p.retry.network_error || p.retry.timeout || !export::retryable_statuses(&p).is_empty();
        if retries_something
            && p.attempts.max >= 2
            && p.backoff.kind == BackoffKind::Exponential
            && !policy::backoff::is_decorrelated(&p)
        {
            assert_same(
                Format::Grpc,
                &name,
                &p,
                &back,
                &[
                    "attempts.max",
                    "backoff.multiplier",
                    "attempts.deadline_ms",
                    "retry.timeout",
                ],
            );
            // UNAVAILABLE stands for network errors and 503 alike.
            let unavailable =
                p.retry.network_error || export::retryable_statuses(&p).contains(&503);
            assert_eq!(back.retry.network_error, unavailable, "{name}");
            if p.backoff.base_ms > 0 && p.backoff.cap_ms > 0 {
                assert_same(
                    Format::Grpc,
                    &name,
                    &p,
                    &back,
                    &["backoff.base_ms", "backoff.cap_ms"],
                );
            }
        }
        if p.budget.kind == BudgetKind::TokenBucket {
            // The ratios survive: capacity per retry cost, refill per retry cost.
            let ratio = |c: &PolicyConfig| c.budget.capacity as f64 / c.budget.retry_cost as f64;
            assert!((ratio(&back) - ratio(&p)).abs() < 0.5, "{name}");
        }
    }
}

#[test]
fn envoy_carries_retries_timeouts_statuses_and_budget_exactly() {
    for (name, p) in common::configs() {
        let back = round_trip(Format::Envoy, &name, &p);
        assert_same(
            Format::Envoy,
            &name,
            &p,
            &back,
            &[
                "attempts.max",
                "attempts.timeout_ms",
                "attempts.deadline_ms",
                "retry.network_error",
            ],
        );
        // A timeout is retried in Envoy only with 502-504 (noted); otherwise the statuses are exact.
        let statuses = export::retryable_statuses(&p);
        if !p.retry.timeout || [502, 503, 504].iter().all(|s| statuses.contains(s)) {
            assert_eq!(
                export::retryable_statuses(&back),
                statuses,
                "{name}: the retried statuses"
            );
        }
        if p.backoff.base_ms > 0 {
            assert_same(Format::Envoy, &name, &p, &back, &["backoff.base_ms"]);
        }
        if p.budget.kind == BudgetKind::Ratio {
            assert_same(
                Format::Envoy,
                &name,
                &p,
                &back,
                &["budget.kind", "budget.ratio", "budget.min_retries"],
            );
        }
        if p.breaker.kind == BreakerKind::Consecutive {
            assert_same(
                Format::Envoy,
                &name,
                &p,
                &back,
                &["breaker.kind", "breaker.threshold", "breaker.open_ms"],
            );
        }
    }
}

#[test]
fn resilience4j_carries_attempts_backoff_classification_and_breaker_exactly() {
    for (name, p) in common::configs() {
        let back = round_trip(Format::Resilience4j, &name, &p);
        assert_same(
            Format::Resilience4j,
            &name,
            &p,
            &back,
            &[
                "attempts.timeout_ms",
                "retry.network_error",
                "retry.timeout",
            ],
        );
        if p.attempts.max > 0 {
            assert_same(Format::Resilience4j, &name, &p, &back, &["attempts.max"]);
        }
        // Statuses Spring has no exception class for follow the 4xx/5xx rule (noted).
        let doc = export(Target::Resilience4j, &p);
        if !doc.notes.iter().any(|n| n.starts_with("retry.status.NNN")) {
            assert_eq!(
                export::retryable_statuses(&back),
                export::retryable_statuses(&p),
                "{name}: the retried statuses"
            );
        }
        if p.backoff.kind == BackoffKind::Exponential
            && !policy::backoff::is_decorrelated(&p)
            && p.backoff.base_ms > 0
        {
            assert_same(
                Format::Resilience4j,
                &name,
                &p,
                &back,
                &["backoff.base_ms", "backoff.multiplier"],
            );
        }
        if p.jitter.kind == JitterKind::Randomized && p.jitter.ratio < 1.0 {
            assert_same(
                Format::Resilience4j,
                &name,
                &p,
                &back,
                &["jitter.kind", "jitter.ratio"],
            );
        }
        if matches!(
            p.breaker.kind,
            BreakerKind::Consecutive | BreakerKind::RatioCount
        ) {
            assert_same(
                Format::Resilience4j,
                &name,
                &p,
                &back,
                &[
                    "breaker.kind",
                    "breaker.open_ms",
                    "breaker.half_open_probes",
                ],
            );
        }
    }
}

#[test]
fn polly_carries_retries_delays_timeouts_and_a_time_breaker_exactly() {
    for (name, p) in common::configs() {
        let back = round_trip(Format::Polly, &name, &p);
        if p.attempts.max >= 2 {
            assert_same(Format::Polly, &name, &p, &back, &["attempts.max"]);
        }
        assert_same(
            Format::Polly,
            &name,
            &p,
            &back,
            &[
                "backoff.base_ms",
                "backoff.cap_ms",
                "retry_after.honor",
                "attempts.timeout_ms",
                "attempts.deadline_ms",
            ],
        );
        if p.breaker.kind == BreakerKind::RatioTime
            && p.breaker.window_ms >= 500
            && p.breaker.open_ms >= 500
        {
            assert_same(
                Format::Polly,
                &name,
                &p,
                &back,
                &[
                    "breaker.kind",
                    "breaker.failure_ratio",
                    "breaker.min_throughput",
                    "breaker.window_ms",
                    "breaker.open_ms",
                ],
            );
        }
        if p.breaker.kind == BreakerKind::None {
            assert_same(Format::Polly, &name, &p, &back, &["breaker.kind"]);
        }
    }
}

/// A random policy through the knobs (so every value is one the knobs allow).
fn policy_strategy() -> impl Strategy<Value = PolicyConfig> {
    (
        0u32..12,
        0u64..200_000,
        0u64..300_000,
        prop::sample::select(vec![
            "constant",
            "linear",
            "exponential",
            "decorrelated",
            "exponential_floor",
        ]),
        prop::sample::select(vec![
            "none",
            "full",
            "equal",
            "decorrelated",
            "ratio",
            "additive",
            "ratio_after_cap",
            "randomized",
            "decorrelated_v2",
        ]),
        (0u64..30_000, 0u64..100_000),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        prop::sample::select(vec!["none", "token_bucket", "ratio", "token_bucket_refund"]),
        prop::sample::select(vec!["none", "consecutive", "ratio_count", "ratio_time"]),
        (1u32..20, 1u64..120_000, 0.01f64..1.0),
    )
        .prop_map(
            |(
                max,
                base,
                cap,
                backoff,
                jitter,
                (timeout, deadline),
                flags,
                budget,
                breaker,
                (n, ms, ratio),
            )| {
                let mut p = PolicyConfig::default();
                let sets = [
                    ("attempts.max", max.to_string()),
                    ("backoff.base_ms", base.to_string()),
                    ("backoff.cap_ms", cap.to_string()),
                    ("backoff.kind", backoff.to_string()),
                    ("jitter.kind", jitter.to_string()),
                    ("jitter.ratio", format!("{:.2}", ratio)),
                    ("attempts.timeout_ms", timeout.to_string()),
                    ("attempts.deadline_ms", deadline.to_string()),
                    ("retry.network_error", flags.0.to_string()),
                    ("retry.timeout", flags.1.to_string()),
                    ("retry.status_5xx", flags.2.to_string()),
                    ("retry.status_4xx", flags.3.to_string()),
                    ("idempotency.key", flags.4.to_string()),
                    ("budget.kind", budget.to_string()),
                    ("breaker.kind", breaker.to_string()),
                    ("breaker.threshold", n.to_string()),
                    ("breaker.window_ms", ms.to_string()),
                    ("breaker.open_ms", ms.to_string()),
                    ("breaker.failure_ratio", format!("{:.2}", ratio)),
                ];
                for (k, v) in sets {
                    p.set(k, &v).expect("a valid knob");
                }
                p
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_policies_survive_every_format(p in policy_strategy()) {
        for format in Format::ALL {
            round_trip(format, "random", &p);
        }
    }
}
