//! The view model of the mechanisms beyond the chapter: overlapping hedged
//! attempts get their own row in a lane, layered runs list their per-layer
//! request counts, and the new outcomes have words.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::view;
use flaky::sim::{self, AttemptOutcome, AttemptTrace, RunConfig};

fn bar(start_ms: u64, end_ms: Option<u64>) -> AttemptTrace {
    let mut a = AttemptTrace::started(1, start_ms, start_ms, None, false);
    a.end_ms = end_ms;
    a
}

#[test]
fn overlapping_attempts_take_the_next_free_row() {
    // One after another: one row.
    let seq = [bar(0, Some(10)), bar(10, Some(20)), bar(30, Some(40))];
    assert_eq!(view::attempt_rows(&seq), [0, 0, 0]);
    // A hedge at 5 while the first is out until 50; a retry at 60 reuses row 0.
    let hedged = [
        bar(0, Some(50)),
        bar(5, Some(20)),
        bar(60, None),
        bar(70, Some(80)),
    ];
    assert_eq!(view::attempt_rows(&hedged), [0, 1, 0, 1]);
    assert!(view::attempt_rows(&[]).is_empty());
}

#[test]
fn a_hedged_run_draws_its_hedges_on_a_second_row() {
    let preset = flaky::presets::find("hedging").unwrap_or_else(|e| panic!("{e}"));
    let mut config = preset.config;
    config
        .set("sim.clients", "40")
        .unwrap_or_else(|e| panic!("{e}"));
    let trace = sim::run(&config, 2);
    let hedged: Vec<_> = trace
        .calls
        .iter()
        .filter(|c| c.attempts.iter().any(|a| a.hedge))
        .collect();
    assert!(!hedged.is_empty());
    for call in hedged {
        let rows = view::attempt_rows(&call.attempts);
        for (a, row) in call.attempts.iter().zip(&rows) {
            assert_eq!(*row, u32::from(a.hedge), "{call:?}");
        }
    }
}

#[test]
fn layered_runs_list_each_layers_calls() {
    let mut config = RunConfig::default();
    config
        .set("sim.clients", "4")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view::layer_counts(&sim::run(&config, 1).summary()), None);
    config
        .set("sim.layers", "3")
        .unwrap_or_else(|e| panic!("{e}"));
    config
        .set("endpoint.fault.503", "1")
        .unwrap_or_else(|e| panic!("{e}"));
    config
        .set("backoff.base_ms", "1")
        .unwrap_or_else(|e| panic!("{e}"));
    for n in 2..=3 {
        config
            .set(&format!("layer.{n}.backoff.base_ms"), "1")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let counts = view::layer_counts(&sim::run(&config, 1).summary());
    let expected: Vec<(String, u64)> = [
        ("layer 1 (top)", 4),
        ("layer 2", 12),
        ("layer 3", 36),
        ("endpoint", 108),
    ]
    .iter()
    .map(|(w, n)| (w.to_string(), *n))
    .collect();
    assert_eq!(counts, Some(expected));
}

#[test]
fn the_new_outcomes_and_reasons_have_words_not_identifiers() {
    for outcome in [AttemptOutcome::ThrottledLocally, AttemptOutcome::Cancelled] {
        let words = view::outcome_words(Some(outcome));
        assert!(!words.contains('_') && words.len() > 10, "{words}");
    }
    for reason in [
        policy::GaveUp::ThrottledLocally,
        policy::GaveUp::BulkheadFull,
    ] {
        let words = view::gave_up_words(&reason);
        assert!(
            !words.contains("Throttled") && !words.contains("Bulkhead"),
            "{words}"
        );
    }
}

#[test]
fn a_link_keeps_the_lower_layers_policies_and_the_new_knobs() {
    let (mut settings, errors) = app_core::url::parse("?preset=layered-retries");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        settings.config.get("layer.2.backoff.base_ms").as_deref(),
        Some("100")
    );
    for (k, v) in [
        ("layer.3.attempts.max", "5"),
        ("layer.2.retry.status.503", "false"),
        ("hedge.delay_ms", "250"),
        ("throttle.kind", "adaptive"),
        ("throttle.scope", "shared"),
        ("client.max_in_flight", "3"),
        ("sim.call_every_ms", "20"),
    ] {
        settings.config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    let query = app_core::url::to_query(&settings);
    assert!(query.contains("layer.3.attempts.max=5"), "{query}");
    let (back, errors) = app_core::url::parse(&query);
    assert!(errors.is_empty(), "{query}: {errors:?}");
    assert_eq!(back.config, settings.config, "{query}");
}
