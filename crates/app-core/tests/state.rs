//! The reducer: one test per action, and what a refused change keeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::rc::Rc;

use app_core::state::{
    Action, LaneOrder, Mode, RunStatus, Settings, Side, State, Theme, DEFAULT_SEED,
};
use flaky::presets;
use flaky::sim::Trace;

fn set_knob(state: &State, name: &str, value: &str) -> State {
    state.reduce(Action::SetKnob {
        name: name.into(),
        value: value.into(),
    })
}

/// A trace that can be told apart from the default one.
fn trace(end_ms: u64) -> Rc<Trace> {
    Rc::new(Trace {
        end_ms,
        ..Trace::default()
    })
}

fn update(run_id: u64, end_ms: u64, running: bool, problem: Option<&str>) -> Action {
    Action::UpdateRun {
        run_id,
        side: Side::A,
        trace: trace(end_ms),
        running,
        problem: problem.map(str::to_string),
    }
}

#[test]
fn from_url_keeps_the_settings_and_the_url_problems() {
    let settings = Settings {
        seed: 7,
        ..Settings::default()
    };
    let state = State::from_url(settings.clone(), vec!["`mode=warp`: bad".into()]);
    assert_eq!(state.settings, settings);
    assert_eq!(state.url_errors, ["`mode=warp`: bad"]);
    assert_eq!(state.status, RunStatus::Idle);
    assert_eq!(state.trace, None);
}

#[test]
fn set_knob_changes_the_config_and_clears_an_old_error() {
    let state = State {
        knob_error: Some("old".into()),
        ..State::default()
    };
    let next = set_knob(&state, "attempts.max", "5");
    assert_eq!(
        next.settings.config.get("attempts.max").as_deref(),
        Some("5")
    );
    assert_eq!(next.knob_error, None);
}

#[test]
fn a_bad_knob_value_is_refused_with_a_message_and_keeps_the_config() {
    let state = State::default();
    let next = set_knob(&state, "attempts.max", "lots");
    assert_eq!(next.settings.config, state.settings.config);
    let message = next.knob_error.expect("an error message");
    assert!(message.contains("attempts.max"), "{message}");
}

#[test]
fn an_unknown_knob_is_refused_and_named() {
    let next = set_knob(&State::default(), "attempts.maximum", "5");
    assert_eq!(next.settings.config, State::default().settings.config);
    let message = next.knob_error.expect("an error message");
    assert!(message.contains("attempts.maximum"), "{message}");
}

#[test]
fn a_knob_that_breaks_a_cross_knob_rule_is_refused_and_the_config_kept() {
    let state = set_knob(&State::default(), "endpoint.fault.500", "0.7");
    assert_eq!(state.knob_error, None);
    let next = set_knob(&state, "endpoint.fault.503", "0.7");
    assert_eq!(next.settings.config, state.settings.config, "0.7 + 0.7 > 1");
    assert!(next.knob_error.is_some());
}

#[test]
fn set_seed_takes_a_whole_number_and_refuses_anything_else() {
    let next = State::default().reduce(Action::SetSeed(" 123 ".into()));
    assert_eq!(next.settings.seed, 123);
    assert_eq!(next.knob_error, None);
    let refused = next.reduce(Action::SetSeed("-1".into()));
    assert_eq!(refused.settings.seed, 123, "the old seed is kept");
    let message = refused.knob_error.expect("an error message");
    assert!(
        message.contains("seed") && message.contains("-1"),
        "{message}"
    );
}

#[test]
fn set_mode_talk_slow_and_theme_change_only_their_setting() {
    let state = State::default();
    let next = state
        .reduce(Action::SetMode(Mode::Simulated))
        .reduce(Action::SetTalk(true))
        .reduce(Action::SetSlow(true))
        .reduce(Action::SetTheme(Theme::Dark));
    let expected = Settings {
        mode: Mode::Simulated,
        talk: true,
        slow: true,
        theme: Theme::Dark,
        ..Settings::default()
    };
    assert_eq!(next.settings, expected);
    assert_eq!(next.settings.seed, DEFAULT_SEED);
}

#[test]
fn toggle_talk_flips_it() {
    let on = State::default().reduce(Action::ToggleTalk);
    assert!(on.settings.talk);
    assert!(!on.reduce(Action::ToggleTalk).settings.talk);
}

#[test]
fn pick_preset_loads_its_config_and_remembers_its_id() {
    let preset = Rc::new(presets::find("circuit-breaker").expect("a preset"));
    let state = State {
        knob_error: Some("old".into()),
        ..set_knob(&State::default(), "attempts.max", "9")
    };
    let next = state.reduce(Action::PickPreset(preset.clone()));
    assert_eq!(next.settings.config, preset.config);
    assert_eq!(next.settings.preset.as_deref(), Some("circuit-breaker"));
    assert_eq!(next.knob_error, None);
}

/// Lessons set the lane order their headline needs; a profile keeps the
/// one on screen (as it keeps the mode); the picker changes it.
#[test]
fn a_lesson_sets_its_lane_order_and_a_profile_keeps_the_one_shown() {
    let open = |state: &State, id: &str| {
        let preset = Rc::new(presets::find(id).unwrap_or_else(|e| panic!("{e}")));
        state.reduce(Action::PickPreset(preset))
    };
    let jitter = open(&State::default(), "no-jitter");
    assert_eq!(jitter.settings.lanes, LaneOrder::Slowest);
    assert_eq!(open(&jitter, "lib-grpc").settings.lanes, LaneOrder::Slowest);
    let breaker = open(&jitter, "circuit-breaker");
    assert_eq!(breaker.settings.lanes, LaneOrder::Start);
    let picked = breaker.reduce(Action::SetLaneOrder(LaneOrder::Slowest));
    assert_eq!(picked.settings.lanes, LaneOrder::Slowest);
}

#[test]
fn dismissing_clears_the_knob_error_or_the_url_errors() {
    let state = State {
        knob_error: Some("bad knob".into()),
        url_errors: vec!["bad url".into()],
        ..State::default()
    };
    let next = state.reduce(Action::DismissKnobError);
    assert_eq!(next.knob_error, None);
    assert_eq!(next.url_errors.len(), 1);
    let next = next.reduce(Action::DismissUrlErrors);
    assert!(next.url_errors.is_empty());
}

#[test]
fn start_run_clears_the_old_trace_and_remembers_the_mode() {
    let state = State {
        trace: Some(trace(5)),
        run_problem: Some("old".into()),
        ..State::default()
    }
    .reduce(Action::SetMode(Mode::Simulated));
    let next = state.reduce(Action::StartRun {
        run_id: 3,
        with_b: false,
    });
    assert_eq!(next.run_id, 3);
    assert_eq!(next.status, RunStatus::Running);
    assert_eq!(next.trace, None);
    assert_eq!(next.trace_mode, Some(Mode::Simulated));
    assert_eq!(next.run_problem, None);
}

#[test]
fn update_run_shows_the_trace_and_ends_the_run_when_not_running() {
    let running = State::default().reduce(Action::StartRun {
        run_id: 1,
        with_b: false,
    });
    let mid = running.reduce(update(1, 10, true, None));
    assert_eq!(mid.status, RunStatus::Running);
    assert_eq!(mid.trace.as_deref().map(|t| t.end_ms), Some(10));
    let done = mid.reduce(update(1, 20, false, Some("worker restarted")));
    assert_eq!(done.status, RunStatus::Done);
    assert_eq!(done.trace.as_deref().map(|t| t.end_ms), Some(20));
    assert_eq!(done.run_problem.as_deref(), Some("worker restarted"));
}

#[test]
fn update_run_without_a_problem_keeps_an_earlier_one() {
    let state = State::default()
        .reduce(Action::StartRun {
            run_id: 1,
            with_b: false,
        })
        .reduce(update(1, 10, true, Some("slow worker")))
        .reduce(update(1, 20, true, None));
    assert_eq!(state.run_problem.as_deref(), Some("slow worker"));
}

#[test]
fn a_late_update_of_an_older_or_finished_run_is_ignored() {
    let state = State::default().reduce(Action::StartRun {
        run_id: 2,
        with_b: false,
    });
    assert_eq!(state.reduce(update(1, 10, false, None)), state, "older run");
    let done = state.reduce(update(2, 10, false, None));
    assert_eq!(done.reduce(update(2, 99, true, None)), done, "finished run");
}

#[test]
fn reset_clears_the_run_and_retires_its_id() {
    let state = State::default()
        .reduce(Action::StartRun {
            run_id: 4,
            with_b: false,
        })
        .reduce(update(4, 10, true, Some("problem")));
    let next = state.reduce(Action::Reset);
    assert_eq!(next.trace, None);
    assert_eq!(next.status, RunStatus::Idle);
    assert_eq!(next.run_problem, None);
    assert_eq!(next.run_id, 5);
    assert_eq!(
        next.reduce(update(4, 20, true, None)),
        next,
        "the old run's updates are ignored"
    );
    let last = State {
        run_id: u64::MAX,
        ..State::default()
    };
    assert_eq!(last.reduce(Action::Reset).run_id, 0, "wraps, never panics");
}

#[test]
fn set_transport_shows_what_serves_the_mock_endpoints() {
    let next = State::default().reduce(Action::SetTransport {
        kind: "worker".into(),
        detail: "service worker ready".into(),
    });
    assert_eq!(
        next.transport,
        Some(("worker".to_string(), "service worker ready".to_string()))
    );
}

#[test]
fn step_preset_walks_the_chapter_in_order_and_stops_at_the_ends() {
    let all = app_core::url::all_presets().expect("the presets");
    let state = State::default();
    let first = state.reduce(Action::StepPreset(1));
    assert_eq!(first.settings.preset.as_deref(), Some(all[0].id.as_str()));
    assert_eq!(first.settings.config, all[0].config);
    let second = first.reduce(Action::StepPreset(1));
    assert_eq!(second.settings.preset.as_deref(), Some(all[1].id.as_str()));
    let back = second.reduce(Action::StepPreset(-1));
    assert_eq!(back.settings.preset.as_deref(), Some(all[0].id.as_str()));
    assert_eq!(
        back.reduce(Action::StepPreset(-1)).settings.preset,
        back.settings.preset
    );
    let mut last = back;
    for _ in 0..all.len() + 3 {
        last = last.reduce(Action::StepPreset(1));
    }
    // The deck ends with its last lesson (library profiles are not in the default deck).
    let deck = app_core::state::default_deck(all);
    assert_eq!(
        last.settings.preset.as_deref(),
        deck.last().map(String::as_str)
    );
}

#[test]
fn compare_starts_as_a_copy_of_a_and_b_knobs_change_only_b() {
    let state = State::default().reduce(Action::StartCompare);
    assert_eq!(
        state.settings.b.as_ref(),
        Some(&state.settings.config.policy)
    );
    let state = state.reduce(Action::SetKnobB {
        name: "jitter.kind".into(),
        value: "full".into(),
    });
    assert_eq!(state.settings.b_differs(), ["jitter.kind"]);
    assert_eq!(
        state.settings.config.get("jitter.kind").as_deref(),
        Some("none")
    );
    let refused = state.reduce(Action::SetKnobB {
        name: "endpoint.fault.503".into(),
        value: "0.5".into(),
    });
    assert!(refused
        .knob_error
        .as_deref()
        .unwrap_or("")
        .contains("client policy"));
    assert_eq!(refused.settings.b, state.settings.b);
    let off = state.reduce(Action::StopCompare);
    assert_eq!(off.settings.b, None);
}

#[test]
fn a_run_with_b_is_done_when_both_sides_are() {
    let state = State::default()
        .reduce(Action::StartCompare)
        .reduce(Action::StartRun {
            run_id: 1,
            with_b: true,
        });
    let a_done = state.reduce(update(1, 10, false, None));
    assert_eq!(a_done.status, RunStatus::Running, "B still runs");
    let both = a_done.reduce(Action::UpdateRun {
        run_id: 1,
        side: Side::B,
        trace: trace(20),
        running: false,
        problem: None,
    });
    assert_eq!(both.status, RunStatus::Done);
    assert_eq!(both.trace.as_ref().map(|t| t.end_ms), Some(10));
    assert_eq!(both.trace_b.as_ref().map(|t| t.end_ms), Some(20));
}

#[test]
fn opening_a_lesson_clears_the_old_figures_and_takes_its_mode() {
    let done = State::default()
        .reduce(Action::StartRun {
            run_id: 1,
            with_b: false,
        })
        .reduce(update(1, 10, false, None));
    assert!(done.trace.is_some());
    let preset = Rc::new(presets::find("no-jitter").expect("preset"));
    let next = done.reduce(Action::PickPreset(preset.clone()));
    assert_eq!(next.trace, None);
    assert_eq!(next.status, RunStatus::Idle);
    assert_eq!(next.settings.mode, Mode::Simulated);
    assert_eq!(next.settings.b, preset.config_b);
    // A late update of the retired run is ignored.
    assert_eq!(next.reduce(update(1, 30, false, None)).trace, None);
}

#[test]
fn the_clicker_walks_the_deck_and_stops_at_its_ends() {
    let state = State {
        settings: Settings {
            deck: Some(vec!["full-jitter".into(), "no-jitter".into()]),
            ..Settings::default()
        },
        ..State::default()
    };
    let first = state.reduce(Action::StepPreset(1));
    assert_eq!(first.settings.preset.as_deref(), Some("full-jitter"));
    let second = first.reduce(Action::StepPreset(1));
    assert_eq!(second.settings.preset.as_deref(), Some("no-jitter"));
    assert_eq!(
        second
            .reduce(Action::StepPreset(1))
            .settings
            .preset
            .as_deref(),
        Some("no-jitter")
    );
    assert_eq!(
        second
            .reduce(Action::StepPreset(-1))
            .settings
            .preset
            .as_deref(),
        Some("full-jitter")
    );
}

#[test]
fn the_replay_plays_pauses_and_stops_at_the_end_of_the_run() {
    let done = State::default()
        .reduce(Action::StartRun {
            run_id: 1,
            with_b: false,
        })
        .reduce(update(1, 1000, false, None));
    let playing = done.reduce(Action::ReplayRestart);
    let r = playing.replay.expect("a replay");
    assert!(r.playing);
    assert_eq!(r.cursor_ms, 0.0);
    let paused = playing.reduce(Action::ReplayToggle);
    assert!(!paused.replay.expect("replay").playing);
    let at_end = playing
        .reduce(Action::ReplayTo(5000.0))
        .replay
        .expect("replay");
    assert_eq!(at_end.cursor_ms, 1000.0);
    assert!(!at_end.playing, "the replay pauses at the run's end");
    assert_eq!(
        playing
            .reduce(Action::ReplaySpeed(4.0))
            .replay
            .map(|r| r.speed),
        Some(4.0)
    );
    assert_eq!(playing.reduce(Action::ReplayStop).replay, None);
    let fast = playing.reduce(Action::ReplaySpeed(4.0));
    let moved = fast
        .reduce(Action::ReplayTick(100.0))
        .replay
        .expect("replay");
    assert_eq!(moved.cursor_ms, 400.0);
    let ended = fast
        .reduce(Action::ReplayTick(1000.0))
        .replay
        .expect("replay");
    assert_eq!((ended.cursor_ms, ended.playing), (1000.0, false));
    let paused = playing
        .reduce(Action::ReplayToggle)
        .reduce(Action::ReplayTick(100.0));
    assert_eq!(
        paused.replay.map(|r| r.cursor_ms),
        Some(0.0),
        "a paused replay stays"
    );
}

#[test]
fn a_pinned_run_becomes_b_and_stays_until_b_changes() {
    let done = State::default()
        .reduce(Action::StartRun {
            run_id: 1,
            with_b: false,
        })
        .reduce(update(1, 10, false, None));
    let pinned = done.reduce(Action::PinAsB);
    assert!(pinned.b_pinned);
    assert_eq!(
        pinned.settings.b.as_ref(),
        Some(&done.settings.config.policy)
    );
    assert_eq!(pinned.trace_b.as_ref().map(|t| t.end_ms), Some(10));
    // A changes and reruns; the pinned B stays.
    let a_changed = set_knob(&pinned, "attempts.max", "6")
        .reduce(Action::StartRun {
            run_id: 2,
            with_b: false,
        })
        .reduce(update(2, 30, false, None));
    assert_eq!(a_changed.trace_b.as_ref().map(|t| t.end_ms), Some(10));
    assert!(a_changed.b_pinned);
    let edited = a_changed.reduce(Action::SetKnobB {
        name: "attempts.max".into(),
        value: "2".into(),
    });
    assert!(!edited.b_pinned, "an edited B is no longer the pinned run");
}

#[test]
fn a_library_profile_sets_only_the_client_policy() {
    let storm = Rc::new(presets::find("no-jitter").expect("preset"));
    let state = State::default().reduce(Action::PickPreset(storm.clone()));
    let profile = Rc::new(presets::find("lib-aws-standard-2026").expect("profile"));
    let next = state.reduce(Action::PickPreset(profile.clone()));
    assert_eq!(next.settings.config.policy, profile.config.policy);
    assert_eq!(
        next.settings.config.endpoint, storm.config.endpoint,
        "the world stays"
    );
    assert_eq!(next.settings.config.scenario, storm.config.scenario);
    assert_eq!(next.settings.mode, state.settings.mode);
    assert_eq!(next.settings.b, state.settings.b, "B stays");
    // The link reproduces it: the profile, then the storm's world as knobs.
    let query = app_core::url::to_query(&next.settings);
    let (back, errors) = app_core::url::parse(&query);
    assert!(errors.is_empty(), "{query}: {errors:?}");
    assert_eq!(back.config, next.settings.config, "{query}");
}

#[test]
fn slow_motion_replays_each_run_at_a_quarter_speed_once_it_is_in() {
    let slow = State {
        settings: Settings {
            slow: true,
            ..Settings::default()
        },
        ..State::default()
    };
    // A replay sped up before does not change what slow motion means.
    let sped = slow.reduce(Action::ReplaySpeed(4.0));
    let started = sped.reduce(Action::StartRun {
        run_id: 1,
        with_b: false,
    });
    let r = started.replay.expect("a replay waits for the run");
    assert_eq!((r.speed, r.playing), (0.25, false));
    let done = started.reduce(update(1, 100, false, None));
    let r = done.replay.expect("the replay");
    assert_eq!((r.cursor_ms, r.playing, r.speed), (0.0, true, 0.25));
}

#[test]
fn a_simulated_rerun_shows_its_last_trace_whole_and_a_live_run_grows() {
    let simulated = |s: State| State {
        settings: Settings {
            mode: Mode::Simulated,
            ..s.settings.clone()
        },
        ..s
    };
    let start = |s: &State, run_id| {
        s.reduce(Action::StartRun {
            run_id,
            with_b: false,
        })
    };
    let done = start(&simulated(State::default()), 1).reduce(update(1, 10, false, None));
    assert!(done.traces_whole());
    // A knob moved: the rerun keeps the last trace on screen, still whole.
    let rerun = start(&set_knob(&done, "attempts.max", "6"), 2);
    assert_eq!(rerun.status, RunStatus::Running);
    assert_eq!(rerun.trace.as_ref().map(|t| t.end_ms), Some(10));
    assert!(rerun.traces_whole());
    // A live run's trace grows until it is done.
    let live = State {
        settings: Settings {
            mode: Mode::Live,
            ..done.settings.clone()
        },
        ..done
    };
    let growing = start(&live, 3).reduce(update(3, 5, true, None));
    assert_eq!(growing.trace.as_ref().map(|t| t.end_ms), Some(5));
    assert!(!growing.traces_whole());
    assert!(growing.reduce(update(3, 9, false, None)).traces_whole());
}

#[test]
fn a_watched_server_is_opened_at_start_and_its_trace_shown_live() {
    use app_core::effect::Effect;
    use app_core::state::Action;
    let settings = Settings {
        server: Some("http://127.0.0.1:8080".into()),
        ..Settings::default()
    };
    let (state, fx) = State::from_url(settings, vec![]).update(Action::Start);
    assert!(
        fx.contains(&Effect::WatchServer("http://127.0.0.1:8080".into())),
        "{fx:?}"
    );
    let (_, fx) = State::default().update(Action::Start);
    assert!(!fx.iter().any(|e| matches!(e, Effect::WatchServer(_))));
    let trace = Rc::new(Trace {
        end_ms: 9,
        ..Trace::default()
    });
    let shown = state.reduce(Action::ShowServer {
        trace: trace.clone(),
        problem: None,
    });
    assert_eq!(shown.trace, Some(trace));
    assert_eq!(shown.trace_mode, Some(Mode::Live));
}

#[test]
fn each_side_has_its_own_slot() {
    use app_core::state::Side;
    assert_eq!((Side::A.index(), Side::B.index()), (0, 1));
}
