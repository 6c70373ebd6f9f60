//! The key map and the load chart's rebinning.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::keys::{is_navigation_key, preset_index_for_key, shortcut};
use app_core::load::{rebin, COMPARE_BINS};
use app_core::run::{fire_config, Fire};
use app_core::state::Action;
use flaky::sim::{LoadSample, RunConfig};

#[test]
fn keys_map_to_actions() {
    let action = |key: &str| shortcut(key).map(|s| (s.action, s.prevent_default));
    assert_eq!(action(" "), Some((Action::Fire(Fire::Scenario), true)));
    assert_eq!(action("r"), Some((Action::Reset, false)));
    assert_eq!(action("R"), Some((Action::Reset, false)));
    assert_eq!(action("T"), Some((Action::ToggleTalk, false)));
    assert_eq!(action("p"), Some((Action::ReplayToggle, false)));
    assert_eq!(action("PageDown"), Some((Action::StepPreset(1), true)));
    assert_eq!(action("ArrowRight"), Some((Action::StepPreset(1), true)));
    assert_eq!(action("PageUp"), Some((Action::StepPreset(-1), true)));
    assert_eq!(action("ArrowLeft"), Some((Action::StepPreset(-1), true)));
    assert_eq!(action("1"), Some((Action::PickLesson(0), false)));
    assert_eq!(action("0"), Some((Action::PickLesson(9), false)));
    for key in ["x", "Enter", "ArrowUp", "Tab", "10"] {
        assert_eq!(action(key), None, "{key}");
    }
    assert_eq!(preset_index_for_key("9"), Some(8));
    assert!(is_navigation_key("ArrowUp") && is_navigation_key("PageDown"));
    assert!(!is_navigation_key(" ") && !is_navigation_key("r"));
}

#[test]
fn firing_one_call_runs_one_client_once() {
    let mut config = RunConfig::default();
    config.set("sim.clients", "40").expect("set");
    let one = fire_config(&config, Fire::One);
    assert_eq!(
        (one.scenario.clients, one.scenario.calls_per_client),
        (1, 1)
    );
    assert_eq!(fire_config(&config, Fire::Scenario), config);
}

fn sample(from_ms: u64, until_ms: u64, arrivals: u64) -> LoadSample {
    LoadSample {
        from_ms,
        until_ms,
        arrivals,
        in_flight_max: 3,
    }
}

#[test]
fn rebinning_keeps_the_arrivals_on_equal_bins() {
    // 100 ms buckets over 6 s onto 60 bins of 100 ms: the same series.
    let load: Vec<LoadSample> = (0..60).map(|i| sample(i * 100, (i + 1) * 100, i)).collect();
    let binned = rebin(&load, 6000.0);
    assert_eq!(binned.len(), COMPARE_BINS);
    for (b, l) in binned.iter().zip(&load) {
        assert_eq!(
            (b.from_ms, b.until_ms, b.arrivals),
            (l.from_ms, l.until_ms, l.arrivals)
        );
        assert_eq!(b.in_flight_max, 0);
    }
    // One 1.2 s bucket of 120 arrivals spreads over the 12 bins it covers.
    let binned = rebin(&[sample(600, 1800, 120)], 6000.0);
    let arrivals: Vec<u64> = binned.iter().map(|b| b.arrivals).collect();
    assert_eq!(arrivals[..6], [0; 6]);
    assert_eq!(arrivals[6..18], [10; 12]);
    assert_eq!(arrivals[18..].iter().sum::<u64>(), 0);
}

#[test]
fn rebinning_drops_what_lies_beyond_the_end() {
    // The chart's end is its latest sample's; a sample past it is not drawn,
    // a zero-length one counts as 1 ms.
    let binned = rebin(
        &[sample(9000, 9000, 5), sample(590, 610, 4), sample(0, 0, 2)],
        600.0,
    );
    assert_eq!(binned.len(), COMPARE_BINS);
    assert_eq!(binned[COMPARE_BINS - 1].arrivals, 2, "half of 590..610");
    assert_eq!(binned[0].arrivals, 2);
    assert_eq!(binned.iter().map(|b| b.arrivals).sum::<u64>(), 4);
    // A tiny span keeps bins at least 1 ms wide.
    let binned = rebin(&[sample(0, 10, 10)], 10.0);
    assert!(binned.iter().all(|b| b.until_ms > b.from_ms));
}

#[test]
fn a_lesson_about_a_tail_hanging_calls_or_shed_requests_opens_slowest_first() {
    use app_core::settings::LaneOrder;
    for headline in ["latency_ms_p99", "unfinished", "shed"] {
        assert_eq!(
            LaneOrder::for_lesson(headline),
            LaneOrder::Slowest,
            "{headline}"
        );
    }
    for headline in ["duplicates", "amplification", "recovered_ms"] {
        assert_eq!(
            LaneOrder::for_lesson(headline),
            LaneOrder::Start,
            "{headline}"
        );
    }
}
