//! The view model: every knob has a panel, labels read as words, scales are round.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::collections::BTreeSet;

use app_core::view::{self, KnobGroup};
use flaky::scenario::RunKnobs;
use flaky::sim::{AttemptOutcome, RunConfig, Trace};
use policy::{Done, GaveUp, SleepReason};

fn names(groups: &[KnobGroup]) -> Vec<&'static str> {
    groups
        .iter()
        .flat_map(|g| g.knobs.iter().map(|k| k.name))
        .collect()
}

#[test]
fn every_knob_is_in_exactly_one_group() {
    let groups: Vec<KnobGroup> = [
        view::policy_groups(),
        view::endpoint_groups(),
        view::scenario_groups(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let shown = names(&groups);
    let unique: BTreeSet<_> = shown.iter().copied().collect();
    assert_eq!(
        unique.len(),
        shown.len(),
        "a knob is shown twice: {shown:?}"
    );
    let all: BTreeSet<_> = RunConfig::knobs().map(|k| k.name).collect();
    assert_eq!(unique, all, "every knob has a control");
    assert!(groups
        .iter()
        .all(|g| !g.knobs.is_empty() && !g.title.is_empty()));
}

#[test]
fn groups_come_in_teaching_order() {
    let titles: Vec<_> = view::policy_groups().iter().map(|g| g.title).collect();
    assert_eq!(titles.first(), Some(&"Attempts and timeouts"));
    let endpoint = view::endpoint_groups();
    assert_eq!(endpoint[0].title, "Latency");
    assert!(
        names(&endpoint).contains(&"endpoint.create"),
        "the catch-all group"
    );
}

#[test]
fn a_knob_is_active_only_where_the_config_uses_it() {
    let mut config = RunConfig::default();
    config.set("jitter.kind", "none").expect("set");
    assert!(!view::knob_active(&config, "jitter.ratio"));
    config.set("jitter.kind", "ratio").expect("set");
    assert!(view::knob_active(&config, "jitter.ratio"));
    assert!(!view::knob_active(&config, "jitter.additive_ms"));
    config.set("breaker.kind", "none").expect("set");
    assert!(!view::knob_active(&config, "breaker.open_ms"));
    config.set("breaker.kind", "ratio_time").expect("set");
    for name in [
        "breaker.window_ms",
        "breaker.failure_ratio",
        "breaker.open_ms",
    ] {
        assert!(view::knob_active(&config, name), "{name}");
    }
    assert!(!view::knob_active(&config, "breaker.window_count"));
    assert!(view::knob_active(&config, "attempts.max"), "always matters");
    assert!(
        view::knob_active(&config, "no.such.knob"),
        "unknown: not dimmed"
    );
}

#[test]
fn only_network_knobs_are_simulated_only() {
    let simulated_only: Vec<&str> = RunKnobs::STANDARD
        .iter()
        .filter(|k| k.is_simulated_only())
        .map(|k| k.name)
        .collect();
    assert_eq!(simulated_only, ["sim.net_ms", "sim.net_jitter_ms"]);
}

#[test]
fn outcomes_read_as_words() {
    assert_eq!(view::outcome_class(None), "pending");
    assert_eq!(view::outcome_words(None), "no answer yet");
    assert_eq!(
        view::outcome_words(Some(AttemptOutcome::Status(503))),
        "HTTP 503 Service Unavailable"
    );
    assert_eq!(
        view::outcome_words(Some(AttemptOutcome::TimedOut)),
        "timed out"
    );
    assert!(view::outcome_words(Some(AttemptOutcome::NetworkError)).contains("network error"));
}

#[test]
fn sleeps_say_how_long_and_why() {
    let backoff = SleepReason::Backoff {
        retry: 1,
        planned_ms: 200,
        envelope_ms: (0, 400),
    };
    assert_eq!(view::sleep_label(&backoff), "200 ms backoff");
    let capped = SleepReason::RetryAfter {
        server_ms: 5000,
        capped_ms: 2000,
    };
    assert_eq!(
        view::sleep_label(&capped),
        "2000 ms Retry-After (server said 5000)"
    );
    let honoured = SleepReason::RetryAfter {
        server_ms: 1000,
        capped_ms: 1000,
    };
    assert_eq!(view::sleep_label(&honoured), "1000 ms Retry-After");
}

#[test]
fn a_call_s_end_reads_as_a_sentence() {
    assert_eq!(view::done_words(None), "still running");
    assert_eq!(
        view::done_words(Some(&Done::Succeeded { attempts: 1 })),
        "succeeded after 1 attempt"
    );
    let gave_up = Done::GaveUp {
        attempts: 3,
        reason: GaveUp::AttemptsExhausted,
    };
    assert_eq!(
        view::done_words(Some(&gave_up)),
        "gave up after 3 attempts: attempts exhausted"
    );
    assert_eq!(
        view::gave_up_words(&GaveUp::NonRetryable { status: 404 }),
        "404 is not retryable"
    );
    assert!(!view::gave_up_words(&GaveUp::BreakerOpen).contains("BreakerOpen"));
}

#[test]
fn an_empty_trace_spans_at_least_one_ms() {
    assert_eq!(view::span_ms(&Trace::default()), 1);
    let trace = Trace {
        end_ms: 1234,
        ..Trace::default()
    };
    assert_eq!(view::span_ms(&trace), 1234);
}

#[test]
fn a_simulated_trace_spans_everything_in_it() {
    let mut config = RunConfig::default();
    config.set("endpoint.fault.503", "0.5").expect("set");
    let trace = flaky::sim::run(&config, 7);
    let span = view::span_ms(&trace);
    for call in &trace.calls {
        for attempt in &call.attempts {
            assert!(attempt.end_ms.unwrap_or(attempt.start_ms) <= span);
        }
        assert!(call.end_ms.unwrap_or(0) <= span);
    }
}

#[test]
fn nice_ceilings_are_1_2_2_5_or_5_times_a_power_of_ten() {
    let cases = [
        (0, 1),
        (1, 1),
        (2, 2),
        (3, 5),
        (7, 10),
        (11, 20),
        (21, 25),
        (26, 50),
        (101, 200),
        (2400, 2500),
        (2600, 5000),
    ];
    for (value, nice) in cases {
        assert_eq!(view::nice_ceiling(value), nice, "{value}");
    }
    assert_eq!(view::nice_ceiling(u64::MAX), u64::MAX, "no overflow");
}

#[test]
fn tick_steps_are_round_and_never_zero() {
    assert_eq!(view::tick_step(1000, 8), 100);
    assert_eq!(view::tick_step(2000, 8), 200);
    assert_eq!(view::tick_step(6000, 8), 500);
    assert_eq!(view::tick_step(0, 0), 1);
    assert_eq!(view::tick_step(5, 10), 1);
}

#[test]
fn durations_are_labelled_compactly() {
    assert_eq!(view::ms_label(0), "0 ms");
    assert_eq!(view::ms_label(850), "850 ms");
    assert_eq!(view::ms_label(2000), "2 s");
    assert_eq!(view::ms_label(2500), "2.5 s");
    assert_eq!(view::ms_label(180_000), "3 min");
    assert_eq!(view::ms_label(90_000), "1.5 min");
}

#[test]
fn a_late_live_run_says_the_browser_limited_it_and_by_how_much() {
    let mut summary = flaky::sim::Summary {
        lateness_ms_p99: 25,
        ..Default::default()
    };
    assert_eq!(app_core::view::browser_limit_note(&summary), None);
    summary.lateness_ms_p50 = 12;
    summary.lateness_ms_p99 = 140;
    summary.lateness_ms_max = 2_400;
    let note = app_core::view::browser_limit_note(&summary).unwrap_or_default();
    assert!(
        note.contains("12 ms late at p50 and 140 ms at p99"),
        "{note}"
    );
    assert!(note.contains("2.4 s"), "{note}");
}

#[test]
fn the_density_view_counts_every_attempt_of_a_big_run() {
    let mut config = flaky::sim::RunConfig::default();
    for (k, v) in [("sim.clients", "3000"), ("endpoint.fault.503", "0.3")] {
        config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    let trace = flaky::sim::run_with(&config, 1, flaky::engine::EngineOptions::lanes(50));
    let (columns, tallest) = app_core::view::density_columns(&trace.density);
    let total: u64 = columns.iter().map(|c| c.total).sum();
    assert_eq!(total, trace.summary.attempts);
    assert!(columns.len() <= 128 && !columns.is_empty());
    assert_eq!(tallest, columns.iter().map(|c| c.total).max().unwrap_or(0));
    assert!(columns
        .iter()
        .any(|c| c.segments.iter().any(|(class, _)| *class == "5xx")));
    assert_eq!(trace.calls.len(), 50);
}

#[test]
fn a_change_says_its_direction_in_words_and_its_verdict() {
    let c = view::change("latency_ms_p99", 2000.0, 500.0);
    assert_eq!(c.class, "better");
    assert_eq!(c.words, "75% lower than A, better");
    let c = view::change("succeeded", 100.0, 90.0);
    assert_eq!(c.class, "worse");
    assert!(c.words.contains("10% lower"), "{}", c.words);
    assert_eq!(view::change("duplicates", 3.0, 3.0).class, "same");
    assert_eq!(
        view::change("duplicates", 0.0, 4.0).words,
        "4 higher than A, worse"
    );
    assert_eq!(
        view::change("gave_up.BreakerOpen", 1.0, 9.0).class,
        "changed"
    );
}

#[test]
fn figures_read_as_words_and_give_ups_as_shares() {
    assert_eq!(
        view::figure_words("gave_up.BreakerOpen"),
        "calls failed fast (circuit open)"
    );
    assert_eq!(view::figure_text("amplification", 1.234), "1.23×");
    assert_eq!(view::figure_text("latency_ms_p99", 2500.0), "2.5 s");
    assert_eq!(view::figure_text("attempts", 10608.0), "10,608");
    let summary = flaky::sim::Summary {
        calls: 100,
        succeeded: 60,
        unfinished: 10,
        gave_up: [("AttemptsExhausted".to_string(), 30)]
            .into_iter()
            .collect(),
        breaker_open_ms: 24_000,
        ..Default::default()
    };
    assert_eq!(
        view::gave_up_shares(&summary),
        [("attempts exhausted".to_string(), 30, 0.3)]
    );
    assert_eq!(
        view::latency_scope(&summary),
        "of the 90 finished calls (succeeded or gave up); 10 unfinished not included: they last at least until the horizon"
    );
    assert_eq!(
        view::breaker_open_words(&summary, 4),
        "summed over 4 clients (6 s each on average)"
    );
}

#[test]
fn log_sliders_span_decades_and_come_back_to_their_value() {
    assert_eq!(view::slider_scale(1.0, 100_000.0), view::SliderScale::Log);
    assert_eq!(view::slider_scale(0.0, 1000.0), view::SliderScale::Log);
    assert_eq!(view::slider_scale(0.0, 1.0), view::SliderScale::Linear);
    assert_eq!(view::log_value(0.0, 1000.0, 0, true), 0.0);
    assert_eq!(
        view::log_value(1.0, 100_000.0, view::LOG_STEPS, true),
        100_000.0
    );
    for v in [1.0, 10.0, 250.0, 5000.0, 100_000.0] {
        let back = view::log_value(1.0, 100_000.0, view::log_position(1.0, 100_000.0, v), true);
        assert!((back - v).abs() / v < 0.02, "{v} -> {back}");
    }
}

#[test]
fn figures_at_a_cursor_follow_the_run_over_every_call() {
    let mut config = flaky::sim::RunConfig::default();
    config.set("sim.clients", "300").expect("set");
    config.set("endpoint.fault.503", "0.3").expect("set");
    let trace = flaky::sim::run_with(&config, 3, flaky::engine::EngineOptions::lanes(10));
    let s = trace.summary();
    let end = view::at_cursor(&trace, trace.end_ms as f64 + 1.0);
    assert_eq!(end.succeeded, s.succeeded);
    assert_eq!(end.gave_up, s.gave_up.values().sum::<u64>());
    assert_eq!(end.attempts, s.attempts);
    assert_eq!(end.server_requests, s.server_requests);
    let start = view::at_cursor(&trace, 0.0);
    assert_eq!((start.succeeded, start.attempts), (0, 0));
    let mid = view::at_cursor(&trace, trace.end_ms as f64 / 2.0);
    assert!(mid.succeeded <= s.succeeded && mid.attempts <= s.attempts);
}

#[test]
fn recovery_figures_read_as_words_and_a_storm_that_never_ends_says_never() {
    let mut config = RunConfig::default();
    assert!(!view::recovery_relevant(&config));
    config.set("endpoint.outages", "1000+500").unwrap();
    assert!(view::recovery_relevant(&config));
    let mut config = RunConfig::default();
    config.set("endpoint.capacity.rps", "50").unwrap();
    assert!(view::recovery_relevant(&config));
    let storm = flaky::sim::Summary {
        goodput: 6.5,
        recovered_ms: None,
        shed: 1234,
        ..Default::default()
    };
    assert_eq!(view::summary_figure_text(&storm, "recovered_ms"), "never");
    assert_eq!(view::summary_figure_text(&storm, "goodput"), "6.5/s");
    assert_eq!(view::summary_figure_text(&storm, "shed"), "1,234");
    assert_eq!(view::summary_figure_text(&storm, "nope"), "–");
    let healed = flaky::sim::Summary {
        recovered_ms: Some(3000),
        ..storm
    };
    assert_eq!(
        view::summary_figure_text(&healed, "recovered_ms"),
        view::ms_label(3000)
    );
    assert_eq!(view::figure_better("goodput"), view::Better::Higher);
    assert_eq!(view::figure_better("recovered_ms"), view::Better::Lower);
    assert!(view::figure_words("recovered_ms").contains("recover"));
    let groups = view::endpoint_groups();
    let capacity = groups
        .iter()
        .find(|g| g.title.starts_with("Capacity"))
        .map(|g| g.knobs.iter().map(|k| k.name).collect::<Vec<_>>())
        .unwrap_or_default();
    assert_eq!(
        capacity,
        [
            "endpoint.capacity.rps",
            "endpoint.queue.max",
            "endpoint.queue.order",
            "endpoint.shed",
            "endpoint.shed.max_age_ms",
            "endpoint.shed.retry_after_s"
        ]
    );
}

#[test]
fn the_queue_chart_scales_to_its_peak_and_counts_what_was_shed() {
    let preset = flaky::presets::find("metastable-shedding").unwrap();
    let trace = flaky::sim::run_with(&preset.config, 1, flaky::engine::EngineOptions::lanes(0));
    let chart = view::queue_chart(&trace.server_queue).expect("a queue");
    assert_eq!(chart.peak, trace.counters.queue_len_max);
    assert_eq!(chart.shed_total, trace.summary.shed);
    assert!(chart.shed_rate_max > 0.0);
    assert!(chart.key.contains("shed"), "{}", chart.key);
    // Without a capacity limit there is no queue to draw.
    let plain = flaky::sim::run(&RunConfig::default(), 1);
    assert_eq!(view::queue_chart(&plain.server_queue), None);
}

#[test]
fn a_run_that_recovers_is_better_than_one_that_never_does() {
    let never = flaky::sim::Summary::default();
    let soon = flaky::sim::Summary {
        recovered_ms: Some(3000),
        ..Default::default()
    };
    let later = flaky::sim::Summary {
        recovered_ms: Some(9000),
        ..Default::default()
    };
    let class = |a: &flaky::sim::Summary, b: &flaky::sim::Summary| {
        view::recovery_change(a, b).map(|c| c.class)
    };
    assert_eq!(class(&never, &soon), Some("better"));
    assert_eq!(class(&soon, &never), Some("worse"));
    assert_eq!(class(&later, &soon), Some("better"));
    assert_eq!(class(&soon, &later), Some("worse"));
    assert_eq!(class(&never, &never), Some("same"));
    let words = view::recovery_change(&never, &soon).map(|c| c.words);
    assert_eq!(words.as_deref(), Some("A never recovered, better"));
}

/// The no-jitter lesson's tail is in calls past the first 50: start order
/// misses it, slowest-first shows it, and each caption says which it is
/// (50 lanes: as many as the talk stage draws; the dashboard draws all 100).
#[test]
fn slowest_first_lanes_show_the_tail_that_start_order_misses() {
    use app_core::state::LaneOrder;
    let preset = flaky::presets::find("no-jitter").unwrap_or_else(|e| panic!("{e}"));
    let trace = flaky::sim::run(&preset.config, 1);
    let took =
        |c: &flaky::sim::CallTrace| c.end_ms.unwrap_or(trace.end_ms).saturating_sub(c.start_ms);
    let slowest_of_all = trace.calls.iter().map(took).max().unwrap_or(0);

    const SHOWN: usize = 50;
    assert_eq!(view::detail_lanes(&trace, LaneOrder::Start).len(), 100);
    let first = view::lanes::detail_lanes_up_to(&trace, LaneOrder::Start, SHOWN);
    assert_eq!(first.len(), SHOWN);
    assert!(first.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        view::detail_lanes_caption(&trace, LaneOrder::Start, first.len()),
        "the first 50 in detail"
    );

    let slowest = view::lanes::detail_lanes_up_to(&trace, LaneOrder::Slowest, SHOWN);
    assert_eq!(slowest.len(), SHOWN);
    assert_eq!(took(slowest[0]), slowest_of_all);
    assert!(slowest.windows(2).all(|w| took(w[0]) >= took(w[1])));
    // Every call left out is no slower than the last one shown.
    let last = took(slowest[slowest.len() - 1]);
    let shown: BTreeSet<u32> = slowest.iter().map(|c| c.id).collect();
    assert!(trace
        .calls
        .iter()
        .filter(|c| !shown.contains(&c.id))
        .all(|c| took(c) <= last));
    assert_eq!(
        view::detail_lanes_caption(&trace, LaneOrder::Slowest, slowest.len()),
        "the slowest 50 in detail"
    );
    // The lesson's point: its p99 is in lanes start order does not draw.
    let p99 = trace.summary.latency_ms_p99;
    assert!(took(slowest[0]) >= p99, "{} < p99 {p99}", took(slowest[0]));
}

#[test]
fn a_trace_of_the_first_calls_says_its_slowest_are_of_those() {
    use app_core::state::LaneOrder;
    let mut config = flaky::sim::RunConfig::default();
    for (k, v) in [("sim.clients", "300"), ("endpoint.fault.503", "0.3")] {
        config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    let trace = flaky::sim::run_with(&config, 1, flaky::engine::EngineOptions::lanes(200));
    let lanes = view::detail_lanes(&trace, LaneOrder::Slowest);
    assert_eq!(
        view::detail_lanes_caption(&trace, LaneOrder::Slowest, lanes.len()),
        "the slowest 200 of the first 200 in detail"
    );
    let small = flaky::sim::run(&RunConfig::default(), 1);
    let all = view::detail_lanes(&small, LaneOrder::Slowest);
    assert_eq!(all.len(), small.calls.len());
    assert_eq!(
        view::detail_lanes_caption(&small, LaneOrder::Start, all.len()),
        ""
    );
}

/// What the page dimmed before the knob tables said when a knob matters:
/// string comparisons on the config's values, kept as the oracle.
fn knob_active_by_strings(config: &RunConfig, name: &str) -> bool {
    let get = |n: &str| config.get(n).unwrap_or_default();
    match name {
        "jitter.ratio" => matches!(
            get("jitter.kind").as_str(),
            "ratio" | "ratio_after_cap" | "randomized"
        ),
        "jitter.additive_ms" => get("jitter.kind") == "additive",
        "backoff.multiplier" => get("backoff.kind").starts_with("exponential"),
        "budget.capacity" | "budget.initial" => {
            get("budget.kind").starts_with("token_bucket")
                || get("budget.kind") == "grpc_throttling"
        }
        "budget.token_ratio" => get("budget.kind") == "grpc_throttling",
        "budget.retry_cost" | "budget.timeout_cost" | "budget.success_refill" => {
            get("budget.kind").starts_with("token_bucket")
        }
        "budget.throttle_cost" => get("budget.kind") == "token_bucket_refund",
        "budget.ratio" | "budget.min_retries" | "budget.window_ms" => get("budget.kind") == "ratio",
        "breaker.threshold" => get("breaker.kind") == "consecutive",
        "breaker.window_count" => get("breaker.kind") == "ratio_count",
        "breaker.window_ms" => get("breaker.kind") == "ratio_time",
        "breaker.failure_ratio" | "breaker.min_throughput" => {
            get("breaker.kind").starts_with("ratio")
        }
        "breaker.open_ms" | "breaker.half_open_probes" => get("breaker.kind") != "none",
        "retry_after.cap_ms" | "retry_after.kind" => get("retry_after.honor") == "true",
        "throttle.k" | "throttle.window_ms" | "throttle.scope" => get("throttle.kind") != "none",
        "hedge.max_extra" => get("hedge.delay_ms") != "0",
        "client.when_full" => get("client.max_in_flight") != "0",
        "endpoint.latency.ms" => get("endpoint.latency.kind") == "fixed",
        "endpoint.latency.min_ms" | "endpoint.latency.max_ms" => {
            get("endpoint.latency.kind") == "uniform"
        }
        "endpoint.latency.p50_ms" | "endpoint.latency.p99_ms" => {
            get("endpoint.latency.kind") == "long_tail"
        }
        "sim.interval_ms" => get("sim.arrival") != "all_at_once",
        "endpoint.script_after" | "endpoint.script_scope" => get("endpoint.script") != "none",
        _ => true,
    }
}

#[test]
fn the_tables_dim_every_knob_as_the_string_rules_did() {
    // Every value of every choice and boolean, and the numbers that switch
    // a mechanism on or off, one knob at a time from the defaults.
    let mut settings: Vec<(&str, String)> = Vec::new();
    for knob in RunKnobs::STANDARD.iter() {
        match knob.kind {
            policy::knob::KnobKind::Choice(names) => {
                settings.extend(names.iter().map(|n| (knob.name, n.to_string())))
            }
            policy::knob::KnobKind::Bool => {
                settings.extend(["true", "false"].map(|v| (knob.name, v.to_string())))
            }
            _ => {}
        }
    }
    for name in ["hedge.delay_ms", "client.max_in_flight"] {
        settings.extend(["0", "4"].map(|v| (name, v.to_string())));
    }
    let mut checked = 0;
    for (name, value) in &settings {
        let mut config = RunConfig::default();
        config.set(name, value).expect("a listed value");
        for knob in RunKnobs::STANDARD.iter() {
            assert_eq!(
                knob.is_active(&config),
                knob_active_by_strings(&config, knob.name),
                "{} with {name}={value}",
                knob.name
            );
            checked += usize::from(!knob.is_active(&config));
        }
    }
    assert!(checked > 100, "the sweep dims knobs: {checked}");
}
