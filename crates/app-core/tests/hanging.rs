//! Figures a lesson reads in words: what a run left unfinished, in one line
//! per side (a lesson whose B would hang forever stops at a shorter horizon
//! and says what was still hanging), and give-ups that are fail-fast by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::state::{Side, DEFAULT_SEED};
use app_core::view;
use flaky::sim::{self, RunConfig, Trace};

fn trace(unfinished: u64, not_started: u64, end_ms: u64, horizon_ms: u64) -> Trace {
    let mut t = Trace {
        end_ms,
        horizon_ms,
        ..Trace::default()
    };
    t.summary.calls = 100;
    t.summary.unfinished = unfinished;
    t.summary.not_started = not_started;
    t
}

#[test]
fn every_call_finished_says_nothing() {
    assert_eq!(
        view::hanging_line(Some(Side::B), &trace(0, 0, 4_083, 8_000)),
        None
    );
}

#[test]
fn calls_still_going_and_never_started_are_told_apart() {
    assert_eq!(
        view::hanging_line(Some(Side::B), &trace(12, 0, 8_000, 8_000)).as_deref(),
        Some("B: 12 calls still hanging at 8 s")
    );
    assert_eq!(
        view::hanging_line(Some(Side::A), &trace(1, 0, 8_000, 8_000)).as_deref(),
        Some("A: 1 call still hanging at 8 s")
    );
    assert_eq!(
        view::hanging_line(Some(Side::B), &trace(22, 14, 8_000, 8_000)).as_deref(),
        Some("B: 8 calls still hanging at 8 s; 14 more never started")
    );
    assert_eq!(
        view::hanging_line(None, &trace(18_185, 18_120, 60_000, 60_000)).as_deref(),
        Some("65 calls still hanging at 1 min; 18,120 more never started")
    );
    assert_eq!(
        view::hanging_line(None, &trace(3, 3, 30_000, 30_000)).as_deref(),
        Some("3 calls never started by 30 s")
    );
}

#[test]
fn a_run_stopped_before_its_horizon_says_when() {
    assert_eq!(
        view::hanging_line(Some(Side::A), &trace(5, 0, 2_500, 60_000)).as_deref(),
        Some("A: 5 calls still hanging at 2.5 s")
    );
}

/// Assignment 1's B (no timeout) on the page's seed: its hung calls are
/// still hanging when the lesson's 8 s horizon stops the run; A's all end.
#[test]
fn assignment_1s_b_says_its_calls_still_hang_at_8_s() {
    let p = flaky::presets::find("assignment-1-timeout").unwrap_or_else(|e| panic!("{e}"));
    let b_policy = p.config_b.clone().unwrap_or_else(|| panic!("a B"));
    let b = RunConfig {
        policy: b_policy,
        ..p.config.clone()
    };
    let a = sim::run(&p.config, DEFAULT_SEED);
    assert_eq!(view::hanging_line(Some(Side::A), &a), None);
    let b = sim::run(&b, DEFAULT_SEED);
    let s = &b.summary;
    assert!(s.unfinished > s.not_started, "{s:?}");
    let want = format!(
        "B: {} calls still hanging at 8 s",
        s.unfinished - s.not_started
    );
    let line = view::hanging_line(Some(Side::B), &b).unwrap_or_default();
    assert!(line.starts_with(&want), "{line:?} starts with {want:?}");
}

/// The bulkhead lesson's headline: its give-ups are fail-fast by design, named
/// as such (not "other"), and B's fewer are a change, not "better".
#[test]
fn bulkhead_give_ups_read_as_failing_fast() {
    assert_eq!(
        view::figure_words("gave_up.BulkheadFull"),
        "calls failed fast (bulkhead full)"
    );
    assert_eq!(
        view::reason_words("BulkheadFull"),
        "bulkhead full (failed fast)"
    );
    assert_eq!(
        view::reason_words("ThrottledLocally"),
        "throttled at the client (failed fast)"
    );
    assert_eq!(
        view::change("gave_up.BulkheadFull", 880.0, 0.0).class,
        "changed"
    );
}
