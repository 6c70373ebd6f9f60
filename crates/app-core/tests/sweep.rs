//! The sweep in the page's core: the URL, which points are computed (and
//! again when), which answers count, what a click sets, and the charts'
//! scales, log axis, bands and the profiles' front.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::rc::Rc;

use app_core::effect::{Batch, Effect, WorkerEvent};
use app_core::settings::{ProfileAxes, Sweep, SWEEP_MEASURES};
use app_core::state::{Action, Side, State};
use app_core::url;
use app_core::view::sweep::{measure_label, profiles_chart, sweep_chart, Linear, FRAME};
use flaky::compare::Row;
use flaky::scenario::RunKnobs;
use flaky::stats::Interval;
use flaky::sweep::{Point, PointJob};

fn state_of(query: &str) -> (State, Vec<Effect>) {
    let (settings, errors) = url::parse(query);
    assert!(errors.is_empty(), "{query}: {errors:?}");
    State::from_url(settings, errors).update(Action::Start)
}

fn jobs(effects: &[Effect]) -> Vec<PointJob> {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Points {
                kind: Batch::Sweep,
                jobs,
            } => Some(jobs.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no sweep points in {effects:?}"))
}

fn point(value: &str, measure: &str, a: (f64, f64, f64), b: Option<(f64, f64, f64)>) -> Point {
    let i = |(mean, lo, hi)| Interval { mean, lo, hi };
    Point {
        value: value.into(),
        rows: vec![Row {
            name: measure.into(),
            a: Some(i(a)),
            b: b.map(i),
            diff: None,
        }],
    }
}

#[test]
fn the_url_sweep_reads_and_writes_back() {
    let q = "?preset=no-jitter&sweep=backoff.base_ms%3A10..2000%3Alog%3A20&sweep.seeds=7";
    let (settings, errors) = url::parse(q);
    assert!(errors.is_empty(), "{errors:?}");
    let sweep = settings.sweep.clone().unwrap();
    assert_eq!((sweep.knob.as_str(), sweep.seeds), ("backoff.base_ms", 7));
    assert_eq!(url::parse(&url::to_query(&settings)).0, settings);
    let (_, errors) = url::parse("?sweep.seeds=5");
    assert!(errors[0].starts_with("`sweep.seeds=5`"), "{errors:?}");
    let (_, errors) = url::parse("?sweep=backoff.base_ms:0..10:log:5");
    assert!(errors[0].contains("from > 0"), "{errors:?}");
}

#[test]
fn a_sweep_runs_each_value_on_both_sides_and_only_its_latest_batch_counts() {
    let (state, effects) =
        state_of("?preset=no-jitter&compare=1&sweep=backoff.base_ms:10..1000:log:8&sweep.seeds=3");
    let jobs = jobs(&effects);
    assert_eq!(jobs.len(), 8);
    assert_eq!(jobs[0].seeds, jobs[7].seeds);
    assert_eq!(jobs[0].seeds.len(), 3);
    assert_eq!(jobs[7].a.get("backoff.base_ms").as_deref(), Some("1000"));
    assert_eq!(
        jobs[7]
            .b
            .as_ref()
            .unwrap()
            .get("backoff.base_ms")
            .as_deref(),
        Some("1000")
    );
    let batch = jobs[0].batch_id;
    let answer = |batch_id, index| Action::Worker {
        side: Side::A,
        event: WorkerEvent::Point {
            batch_id,
            index,
            result: Rc::new(Ok(point(
                "10",
                "latency_ms_p99",
                (1.0, 0.5, 1.5),
                Some((2.0, 1.0, 3.0)),
            ))),
        },
    };
    let state = state.reduce(answer(batch, 0));
    assert_eq!(state.sweep_run.as_ref().unwrap().progress(), (1, 8));
    // A newer sweep (more seeds) replaces the batch: the old one's answers are dropped.
    let mut newer = state.settings.sweep.clone().unwrap();
    newer.seeds = 4;
    let (state, effects) = state.update(Action::SetSweep(Some(newer)));
    let new_batch = jobs_of(&effects)[0].batch_id;
    assert_ne!(new_batch, batch);
    let state = state.reduce(answer(batch, 1));
    assert_eq!(state.sweep_run.as_ref().unwrap().progress(), (0, 8));
    // The measure shown is not an input: no new batch.
    let mut other_measure = state.settings.sweep.clone().unwrap();
    other_measure.measure = "amplification".into();
    let (_, effects) = state.update(Action::SetSweep(Some(other_measure)));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Points { .. })),
        "{effects:?}"
    );
    // Closing the sweep cancels its queue.
    let (state, effects) = state.update(Action::SetSweep(None));
    assert!(effects.contains(&Effect::Points {
        kind: Batch::Sweep,
        jobs: vec![]
    }));
    assert_eq!(state.sweep_run, None);
}

fn jobs_of(effects: &[Effect]) -> Vec<PointJob> {
    jobs(effects)
}

#[test]
fn a_click_on_a_point_sets_that_sides_knob_without_a_new_sweep() {
    let (state, _) = state_of("?preset=no-jitter&compare=1&sweep=backoff.base_ms:10..1000:log:3");
    let values = state.sweep_run.as_ref().unwrap().values.clone();
    assert_eq!(values, ["10", "100", "1000"]);
    let (state, effects) = state.update(Action::PickSweepPoint {
        side: Side::A,
        index: 1,
    });
    assert_eq!(
        state.settings.config.get("backoff.base_ms").as_deref(),
        Some("100")
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Points { .. })),
        "{effects:?}"
    );
    let state = state.reduce(Action::PickSweepPoint {
        side: Side::B,
        index: 2,
    });
    assert_eq!(
        state
            .settings
            .config_b()
            .unwrap()
            .get("backoff.base_ms")
            .as_deref(),
        Some("1000")
    );
    assert_eq!(
        state.settings.config.get("backoff.base_ms").as_deref(),
        Some("100")
    );
    // Another world is another sweep.
    let (_, effects) = state.update(Action::SetKnob {
        name: "endpoint.fault.503".into(),
        value: "0.5".into(),
    });
    assert_eq!(jobs(&effects).len(), 3);
}

#[test]
fn profiles_run_on_a_world_and_a_click_loads_one_as_b() {
    let (state, _) = state_of("?preset=no-jitter");
    let (state, effects) = state.update(Action::RunProfiles);
    let jobs: Vec<PointJob> = effects
        .iter()
        .find_map(|e| match e {
            Effect::Points {
                kind: Batch::Profiles,
                jobs,
            } => Some(jobs.clone()),
            _ => None,
        })
        .unwrap();
    // Every library profile: 11 when the sweep came, 12 since lib-aws-adaptive.
    assert_eq!(jobs.len(), flaky::sweep::profiles().unwrap().len());
    assert_eq!(jobs.len(), 12);
    assert!(jobs
        .iter()
        .all(|j| j.a.endpoint == state.settings.config.endpoint && j.b.is_none()));
    let state = state.reduce(Action::PickProfile("lib-grpc".into()));
    let grpc = flaky::presets::find("lib-grpc").unwrap();
    assert_eq!(state.settings.b.as_ref(), Some(&grpc.config.policy));
}

#[test]
fn nice_scales_cover_the_data_with_round_steps() {
    let s = Linear::nice(3.0, 97.0);
    assert_eq!((s.lo, s.hi, s.step), (0.0, 100.0, 50.0));
    let s = Linear::nice(0.91, 0.99);
    assert!(s.lo <= 0.91 && s.hi >= 0.99 && s.step <= 0.05, "{s:?}");
    let flat = Linear::nice(5.0, 5.0);
    assert!(flat.lo < 5.0 && flat.hi > 5.0);
    let ticks = s.ticks(200.0, 0.0);
    assert_eq!(ticks.first().unwrap().at, 200.0);
    assert_eq!(ticks.last().unwrap().at, 0.0);
}

#[test]
fn the_chart_places_log_values_evenly_and_bands_around_the_means() {
    let sweep = Sweep::parse("backoff.base_ms:10..1000:log:3", &RunKnobs::STANDARD).unwrap();
    let values: Vec<String> = ["10", "100", "1000"].map(String::from).to_vec();
    let points = vec![
        Some(Rc::new(point(
            "10",
            "latency_ms_p99",
            (100.0, 80.0, 120.0),
            Some((50.0, 40.0, 60.0)),
        ))),
        None,
        Some(Rc::new(point(
            "1000",
            "latency_ms_p99",
            (300.0, 250.0, 350.0),
            Some((60.0, 50.0, 70.0)),
        ))),
    ];
    let chart = sweep_chart(&sweep, &values, &points, true);
    assert_eq!(chart.curves.len(), 2);
    let a = &chart.curves[0];
    assert_eq!(a.points.len(), 2, "only the points in so far");
    assert_eq!(a.points[0].x, FRAME.left);
    assert_eq!(a.points[1].x, FRAME.plot_right());
    // Log ticks at each decade: 100 is exactly halfway.
    let mid = chart.x_ticks.iter().find(|t| t.label == "100").unwrap();
    assert!(
        (mid.at - (FRAME.left + FRAME.plot_right()) / 2.0).abs() < 1e-9,
        "{:?}",
        chart.x_ticks
    );
    for p in chart.curves.iter().flat_map(|c| &c.points) {
        assert!(p.y_hi <= p.y && p.y <= p.y_lo, "{p:?}");
        assert!(
            p.y_hi >= FRAME.top - 1e-9 && p.y_lo <= FRAME.plot_bottom() + 1e-9,
            "{p:?}"
        );
    }
    // A's mean at 1000 is above (smaller y) A's at 10; the band closes its path.
    assert!(a.points[1].y < a.points[0].y);
    assert!(a.band.starts_with('M') && a.band.ends_with('Z'));
    assert_eq!(chart.y_label, "p99 latency (ms)");
    let only_a = sweep_chart(&sweep, &values, &points, false);
    assert_eq!(only_a.curves.len(), 1);
}

#[test]
fn choices_sit_in_even_slots_and_profiles_mark_their_front() {
    let sweep = Sweep::parse("jitter.kind", &RunKnobs::STANDARD).unwrap();
    let values = sweep.values(&RunKnobs::STANDARD).unwrap();
    let points: Vec<_> = values
        .iter()
        .map(|v| Some(Rc::new(point(v, "latency_ms_p99", (1.0, 1.0, 1.0), None))))
        .collect();
    let chart = sweep_chart(&sweep, &values, &points, false);
    let xs: Vec<f64> = chart.curves[0].points.iter().map(|p| p.x).collect();
    let gap = xs[1] - xs[0];
    assert!(
        xs.windows(2).all(|w| (w[1] - w[0] - gap).abs() < 1e-9),
        "{xs:?}"
    );
    assert_eq!(chart.x_ticks.len(), values.len());

    let two = |p99, amp| {
        let mut p = point("x", "latency_ms_p99", (p99, p99, p99), None);
        p.rows.push(Row {
            name: "amplification".into(),
            a: Some(Interval {
                mean: amp,
                lo: amp,
                hi: amp,
            }),
            b: None,
            diff: None,
        });
        Some(Rc::new(p))
    };
    let ids: Vec<String> = ["lib-a", "lib-b", "lib-c"].map(String::from).to_vec();
    let chart = profiles_chart(
        &ids,
        &[two(100.0, 2.0), two(200.0, 3.0), two(300.0, 1.0)],
        "amplification",
        "latency_ms_p99",
    );
    let front: Vec<bool> = chart.dots.iter().map(|d| d.on_front).collect();
    assert_eq!(front, [true, false, true]);
    assert_eq!(chart.dots[0].label, "a");
}

#[test]
fn many_choices_alternate_rows_and_close_profile_labels_do_not_overlap() {
    let sweep = Sweep::parse("jitter.kind", &RunKnobs::STANDARD).unwrap();
    let values = sweep.values(&RunKnobs::STANDARD).unwrap();
    let chart = sweep_chart(&sweep, &values, &vec![None; values.len()], false);
    let rows: Vec<u32> = chart.x_ticks.iter().map(|t| t.row).collect();
    assert_eq!(rows[..4], [0, 1, 0, 1]);
    let dot = |p99: f64| {
        let mut p = point("x", "latency_ms_p99", (p99, p99, p99), None);
        p.rows.push(Row {
            name: "amplification".into(),
            a: Some(Interval {
                mean: 2.0,
                lo: 2.0,
                hi: 2.0,
            }),
            b: None,
            diff: None,
        });
        Some(Rc::new(p))
    };
    let ids: Vec<String> = ["lib-a", "lib-b", "lib-c"].map(String::from).to_vec();
    let chart = profiles_chart(
        &ids,
        &[dot(1000.0), dot(1001.0), dot(5000.0)],
        "amplification",
        "latency_ms_p99",
    );
    let (a, b) = (chart.dots[0].label_y, chart.dots[1].label_y);
    assert!((a - b).abs() >= 13.0, "labels at {a} and {b} overlap");
}

/// A profile's point with every measure the page computes: (p99, success
/// rate, amplification, duplicates, goodput, recovery time).
fn profile(m: [f64; 6]) -> Option<Rc<Point>> {
    let rows = SWEEP_MEASURES
        .iter()
        .zip(m)
        .map(|(&(name, _), mean)| Row {
            name: name.into(),
            a: Some(Interval {
                mean,
                lo: mean,
                hi: mean,
            }),
            b: None,
            diff: None,
        })
        .collect();
    Some(Rc::new(Point {
        value: "x".into(),
        rows,
    }))
}

#[test]
fn the_front_follows_the_picked_pair_and_each_measures_direction() {
    let ids: Vec<String> = ["lib-a", "lib-b", "lib-c", "lib-d"]
        .map(String::from)
        .to_vec();
    let points = [
        profile([100.0, 0.90, 2.0, 0.0, 50.0, 1000.0]),
        profile([200.0, 0.99, 3.0, 5.0, 80.0, 3000.0]),
        profile([300.0, 0.95, 1.0, 1.0, 40.0, 2000.0]),
        profile([400.0, 0.80, 4.0, 9.0, 30.0, 4000.0]),
    ];
    let default = ProfileAxes::default();
    assert_eq!((default.x, default.y), ("amplification", "latency_ms_p99"));
    for ((x, y), expected) in [
        // Both lower: a beats b and d; c has the least amplification.
        (
            ("amplification", "latency_ms_p99"),
            [true, false, true, false],
        ),
        // Success rate higher: c beats a; b has the highest success rate.
        (
            ("amplification", "success_rate"),
            [false, true, true, false],
        ),
        (
            ("success_rate", "amplification"),
            [false, true, true, false],
        ),
        // Goodput higher: b has the most; c is slower and does less than a.
        (("latency_ms_p99", "goodput"), [true, true, false, false]),
        (("duplicates", "recovered_ms"), [true, false, false, false]),
        (("success_rate", "goodput"), [false, true, false, false]),
    ] {
        let chart = profiles_chart(&ids, &points, x, y);
        let front: Vec<bool> = chart.dots.iter().map(|d| d.on_front).collect();
        assert_eq!(front, expected, "front of ({x}, {y})");
        assert_eq!(
            (chart.x_label.as_str(), chart.y_label.as_str()),
            (measure_label(x), measure_label(y))
        );
        // Higher values sit higher up (smaller y) whatever the measure's goal.
        let ys: Vec<f64> = chart.dots.iter().map(|d| d.y).collect();
        let means: Vec<f64> = points
            .iter()
            .map(|p| flaky::sweep::mean_of(&p.as_ref().unwrap().rows, y))
            .collect();
        for i in 0..4 {
            for j in 0..4 {
                if means[i] > means[j] {
                    assert!(ys[i] < ys[j], "({x}, {y}): {ys:?}");
                }
            }
        }
    }
}

#[test]
fn the_profiles_pair_is_in_the_url_and_a_pick_reruns_nothing() {
    let (state, _) = state_of("?preset=no-jitter");
    assert_eq!(state.settings.profile_axes, ProfileAxes::default());
    assert_eq!(url::to_query(&state.settings), "?preset=no-jitter");
    let (_, effects) = state.update(Action::SetProfileAxes(ProfileAxes {
        x: "amplification",
        y: "success_rate",
    }));
    let written = effects.iter().find_map(|e| match e {
        Effect::WriteUrl(q) => Some(q.clone()),
        _ => None,
    });
    assert_eq!(
        written.as_deref(),
        Some("?preset=no-jitter&profiles.y=success_rate")
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Points { .. })),
        "{effects:?}"
    );
    let (back, errors) = url::parse("?preset=no-jitter&profiles.x=goodput&profiles.y=success_rate");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        (back.profile_axes.x, back.profile_axes.y),
        ("goodput", "success_rate")
    );
    let (bad, errors) = url::parse("?profiles.x=speed&profiles.y=goodput");
    assert_eq!(bad.profile_axes.x, ProfileAxes::default().x);
    assert_eq!(bad.profile_axes.y, "goodput");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("`profiles.x=speed`"), "{errors:?}");
    assert!(errors[0].contains("success_rate"), "{errors:?}");
}
