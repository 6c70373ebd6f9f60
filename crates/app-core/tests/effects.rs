//! The reducer's effects: what starts, reruns and cancels a run in the run
//! workers, which worker answers count, and what the URL and `<html>` get.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::rc::Rc;

use app_core::effect::{
    Effect, ExportAnswer, ExportedDocument, ImportAnswer, ImportedKnobs, WorkerEvent,
};
use app_core::run::Fire;
use app_core::state::{Action, Mode, RunStatus, Side, State, Theme, TRANSPORT_STARTING};
use flaky::sim::Trace;

/// The runs effects start, as (side, run id, calls, mode).
fn runs(effects: &[Effect]) -> Vec<(Side, u64, u64, Mode)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Run {
                side,
                run_id,
                config,
                mode,
                ..
            } => Some((
                *side,
                *run_id,
                u64::from(config.scenario.clients) * u64::from(config.scenario.calls_per_client),
                *mode,
            )),
            _ => None,
        })
        .collect()
}

fn cancels(effects: &[Effect]) -> Vec<(Side, u64)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Cancel { side, run_id } => Some((*side, *run_id)),
            _ => None,
        })
        .collect()
}

/// Applies the actions in order; the effects of the last one.
fn after(state: &State, actions: impl IntoIterator<Item = Action>) -> (State, Vec<Effect>) {
    let mut state = state.clone();
    let mut effects = Vec::new();
    for action in actions {
        (state, effects) = state.update(action);
    }
    (state, effects)
}

fn knob(name: &str, value: &str) -> Action {
    Action::SetKnob {
        name: name.into(),
        value: value.into(),
    }
}

fn knob_b(name: &str, value: &str) -> Action {
    Action::SetKnobB {
        name: name.into(),
        value: value.into(),
    }
}

/// `side`'s worker says run `run_id` ended.
fn done(side: Side, run_id: u64) -> Action {
    Action::Worker {
        side,
        event: WorkerEvent::Trace {
            run_id,
            trace: Rc::new(Trace::default()),
            running: false,
            problem: None,
        },
    }
}

fn simulated() -> State {
    State::default().reduce(Action::SetMode(Mode::Simulated))
}

fn live_ready() -> State {
    State::default().reduce(Action::SetTransport {
        kind: "service worker".into(),
        detail: "ready".into(),
    })
}

/// Simulated, comparing, with A and B fired once and both finished.
fn compared() -> State {
    let (state, effects) = after(
        &simulated(),
        [Action::StartCompare, Action::Fire(Fire::Scenario)],
    );
    assert_eq!(
        runs(&effects).iter().map(|r| r.0).collect::<Vec<_>>(),
        [Side::A, Side::B],
        "the first fire runs both sides"
    );
    let run_id = state.run_id;
    let state = after(&state, [done(Side::A, run_id), done(Side::B, run_id)]).0;
    assert_eq!(state.status, RunStatus::Done);
    state
}

#[test]
fn b_reruns_only_when_its_inputs_change() {
    let state = compared();
    // Fired again unchanged: B's figures stand, only A runs.
    let (_, effects) = state.update(Action::Fire(Fire::Scenario));
    assert_eq!(runs(&effects).len(), 1);
    assert_eq!(runs(&effects)[0].0, Side::A);
    // A's policy is not B's input: the rerun is A's alone.
    let (_, effects) = state.update(knob("attempts.max", "5"));
    assert_eq!(
        runs(&effects).iter().map(|r| r.0).collect::<Vec<_>>(),
        [Side::A]
    );
    // B's policy, the world they share and the seed are B's inputs.
    for change in [
        knob_b("attempts.max", "5"),
        knob("endpoint.fault.503", "0.5"),
        Action::SetSeed("7".into()),
    ] {
        let (_, effects) = state.update(change.clone());
        assert_eq!(
            runs(&effects).iter().map(|r| r.0).collect::<Vec<_>>(),
            [Side::A, Side::B],
            "{change:?} reruns B"
        );
    }
}

#[test]
fn a_pinned_b_keeps_its_run_until_its_knobs_change() {
    let state = simulated().reduce(Action::Fire(Fire::Scenario));
    let state = after(&state, [done(Side::A, state.run_id), Action::PinAsB]).0;
    assert!(state.b_pinned);
    let (state, effects) = after(&state, [Action::Fire(Fire::Scenario)]);
    assert_eq!(
        runs(&effects).iter().map(|r| r.0).collect::<Vec<_>>(),
        [Side::A]
    );
    let state = state.reduce(done(Side::A, state.run_id));
    let (state, effects) = state.update(knob_b("attempts.max", "5"));
    assert!(!state.b_pinned);
    assert_eq!(
        runs(&effects).iter().map(|r| r.0).collect::<Vec<_>>(),
        [Side::A, Side::B]
    );
}

#[test]
fn a_newer_fire_cancels_the_older_live_run() {
    let (state, effects) = live_ready().update(Action::Fire(Fire::Scenario));
    assert_eq!(runs(&effects), [(Side::A, 1, 10, Mode::Live)]);
    assert!(cancels(&effects).is_empty(), "nothing to cancel yet");
    assert_eq!(state.live_run, Some(1));
    let (state, effects) = state.update(Action::Fire(Fire::One));
    assert_eq!(cancels(&effects), [(Side::A, 1), (Side::B, 1)]);
    assert_eq!(runs(&effects), [(Side::A, 2, 1, Mode::Live)]);
    // The cancels go before the new run; a late update of run 1 is ignored.
    assert!(matches!(effects.last(), Some(Effect::Run { .. })));
    let state = state.reduce(done(Side::A, 1));
    assert_eq!(state.status, RunStatus::Running);
    // A live run that ended is not cancelled again.
    let state = state.reduce(done(Side::A, 2));
    assert_eq!((state.status, state.live_run), (RunStatus::Done, None));
    let (_, effects) = state.update(Action::Fire(Fire::Scenario));
    assert!(cancels(&effects).is_empty());
}

#[test]
fn a_lesson_switch_or_a_reset_cancels_the_old_live_run_and_clears_figures() {
    let lessons = app_core::url::all_presets().expect("the presets");
    let (state, _) = live_ready().update(Action::Fire(Fire::Scenario));
    let state = state.reduce(Action::Worker {
        side: Side::A,
        event: WorkerEvent::Trace {
            run_id: 1,
            trace: Rc::new(Trace::default()),
            running: true,
            problem: None,
        },
    });
    assert!(state.trace.is_some());
    for change in [
        Action::PickPreset(Rc::new(lessons[1].clone())),
        Action::StepPreset(1),
        Action::PickLesson(2),
        Action::Reset,
    ] {
        let (next, effects) = state.update(change.clone());
        assert_eq!(
            cancels(&effects),
            [(Side::A, 1), (Side::B, 1)],
            "{change:?} cancels the live run"
        );
        assert!(runs(&effects).is_empty());
        assert_eq!((next.trace.as_ref(), next.status), (None, RunStatus::Idle));
        assert_eq!(next.live_run, None);
        // Its late updates are ignored.
        let late = next.reduce(done(Side::A, 1));
        assert_eq!(late.trace, None, "{change:?}");
    }
}

#[test]
fn simulated_mode_reruns_on_a_knob_change_only_after_a_fire() {
    let (_, effects) = simulated().update(knob("attempts.max", "5"));
    assert!(runs(&effects).is_empty(), "nothing fired yet");
    let state = simulated().reduce(Action::Fire(Fire::Scenario));
    let (next, effects) = state.update(knob("attempts.max", "5"));
    assert_eq!(runs(&effects), [(Side::A, 2, 10, Mode::Simulated)]);
    assert_eq!(next.fired.config.policy.attempts.max, 5);
    // A refused value changes nothing: no rerun.
    let (_, effects) = state.update(knob("attempts.max", "lots"));
    assert!(runs(&effects).is_empty());
    // A one-call fire reruns as one call.
    let state = simulated().reduce(Action::Fire(Fire::One));
    let (_, effects) = state.update(knob("sim.clients", "40"));
    assert_eq!(runs(&effects), [(Side::A, 2, 1, Mode::Simulated)]);
    // Live mode never reruns on its own (real fetches).
    let state = live_ready().reduce(Action::Fire(Fire::Scenario));
    let (_, effects) = state.update(knob("attempts.max", "5"));
    assert!(runs(&effects).is_empty());
    // Nor does a switch to simulated reuse a live run's figures.
    let (_, effects) = state.update(Action::SetMode(Mode::Simulated));
    assert!(runs(&effects).is_empty());
}

#[test]
fn a_fire_over_the_limit_or_before_the_transport_gives_no_run() {
    let state = after(
        &live_ready(),
        [knob("sim.clients", "1000"), knob("sim.calls", "3")],
    )
    .0;
    let (next, effects) = state.update(Action::Fire(Fire::Scenario));
    assert!(runs(&effects).is_empty(), "{effects:?}");
    let problem = next.run_problem.expect("the reason");
    assert!(problem.contains("over the limit"), "{problem}");
    assert_eq!(next.status, RunStatus::Idle);
    // One call is always under it.
    let (_, effects) = state.update(Action::Fire(Fire::One));
    assert_eq!(runs(&effects).len(), 1);
    // Live before the mock endpoints are up: refused, named.
    let (next, effects) = State::default().update(Action::Fire(Fire::One));
    assert!(runs(&effects).is_empty());
    assert_eq!(next.run_problem.as_deref(), Some(TRANSPORT_STARTING));
}

#[test]
fn a_broken_worker_ends_a_fire_at_once_with_its_reason() {
    let state = simulated().reduce(Action::Fire(Fire::Scenario));
    let broken = state.reduce(Action::Worker {
        side: Side::A,
        event: WorkerEvent::Broken {
            message: "the run worker failed: gone".into(),
        },
    });
    assert_eq!(broken.status, RunStatus::Done);
    let (next, effects) = broken.update(Action::Fire(Fire::Scenario));
    assert!(runs(&effects).is_empty());
    assert_eq!(next.status, RunStatus::Done);
    assert_eq!(
        next.run_problem.as_deref(),
        Some("the run worker failed: gone")
    );
    let (next, effects) = broken.update(Action::Import {
        format: "grpc".into(),
        text: "{}".into(),
    });
    assert!(effects.is_empty());
    assert!(next.imported.expect("an answer").result.is_err());
}

#[test]
fn import_answers_match_their_latest_request_by_id() {
    let paste = |text: &str| Action::Import {
        format: "grpc".into(),
        text: text.into(),
    };
    let (state, effects) = State::default().update(paste("first"));
    assert!(matches!(
        &effects[..],
        [Effect::Import { request_id: 1, .. }]
    ));
    let (state, effects) = state.update(paste("second"));
    assert!(matches!(
        &effects[..],
        [Effect::Import { request_id: 2, .. }]
    ));
    let answer = |request_id: u64, attempts: &str| Action::Worker {
        side: Side::A,
        event: WorkerEvent::Imported(ImportAnswer {
            request_id,
            result: Ok(ImportedKnobs {
                assignments: vec![("attempts.max".into(), attempts.into())],
                notes: Vec::new(),
            }),
        }),
    };
    // The first paste's answer is stale: ignored, knobs and all.
    let stale = state.reduce(answer(1, "7"));
    assert_eq!(stale.imported, None);
    assert_eq!(stale.settings.config.policy.attempts.max, 3);
    let latest = state.reduce(answer(2, "4"));
    assert_eq!(latest.settings.config.policy.attempts.max, 4);
    assert_eq!(latest.imported.expect("the answer").request_id, 2);
}

#[test]
fn export_answers_match_their_latest_request_by_id() {
    let ask = |target: &str| Action::Export {
        target: target.into(),
        policy: Box::default(),
    };
    let (state, _) = State::default().update(ask("tenacity"));
    let (state, effects) = state.update(ask("polly"));
    assert!(matches!(
        &effects[..],
        [Effect::Export { request_id: 2, target, .. }] if target == "polly"
    ));
    let answer = |request_id: u64| Action::Worker {
        side: Side::A,
        event: WorkerEvent::Exported(ExportAnswer {
            request_id,
            result: Ok(ExportedDocument {
                text: format!("document {request_id}"),
                notes: Vec::new(),
            }),
        }),
    };
    assert_eq!(state.reduce(answer(1)).exported, None);
    let latest = state.reduce(answer(2)).exported.expect("the answer");
    assert_eq!(
        latest.result.as_ref().map(|d| d.text.as_str()),
        Ok("document 2")
    );
}

#[test]
fn the_worker_events_reach_the_right_run() {
    let state = after(
        &simulated(),
        [Action::StartCompare, Action::Fire(Fire::Scenario)],
    )
    .0;
    let progress = |side| Action::Worker {
        side,
        event: WorkerEvent::Progress {
            run_id: 1,
            fraction: 0.5,
        },
    };
    assert_eq!(
        state.reduce(progress(Side::B)).progress,
        None,
        "A's progress only"
    );
    assert_eq!(state.reduce(progress(Side::A)).progress, Some(0.5));
    // A worker that failed as a whole (run 0) fails the run in progress.
    let failed = state.reduce(Action::Worker {
        side: Side::B,
        event: WorkerEvent::Failed {
            run_id: 0,
            message: "out of memory".into(),
        },
    });
    assert_eq!(failed.running, (true, false));
    assert_eq!(failed.run_problem.as_deref(), Some("B: out of memory"));
    // The full trace is saved under the fired seed's name.
    let (_, effects) = state.update(Action::Worker {
        side: Side::A,
        event: WorkerEvent::FullTrace { json: "{}".into() },
    });
    assert_eq!(
        effects,
        [Effect::Download {
            file_name: "playground-trace-seed-42.json".into(),
            json: "{}".into()
        }]
    );
}

#[test]
fn stop_compare_cancels_a_b_still_running() {
    let state = after(
        &simulated(),
        [Action::StartCompare, Action::Fire(Fire::Scenario)],
    )
    .0;
    let (next, effects) = state.update(Action::StopCompare);
    assert_eq!(cancels(&effects), [(Side::B, 1)]);
    assert_eq!(next.running, (true, false));
}

#[test]
fn a_download_asks_the_worker_for_the_whole_trace() {
    let state = simulated().reduce(Action::Fire(Fire::Scenario));
    let whole = state.reduce(done(Side::A, 1));
    let (_, effects) = whole.update(Action::Download);
    assert!(matches!(
        &effects[..],
        [Effect::FullTrace {
            run_id: 1,
            seed: 42,
            live: false,
            ..
        }]
    ));
    let mut cut = Trace::default();
    cut.summary.calls = 10;
    let cut = state.reduce(Action::Worker {
        side: Side::A,
        event: WorkerEvent::Trace {
            run_id: 1,
            trace: Rc::new(cut),
            running: false,
            problem: None,
        },
    });
    let (_, effects) = cut.update(Action::Download);
    assert!(matches!(
        &effects[..],
        [Effect::FullTrace { run_id: 1, seed: 42, live: false, config }] if config.scenario.clients == 10
    ));
    let (_, effects) = State::default().update(Action::Download);
    assert!(effects.is_empty(), "nothing shown, nothing saved");
}

#[test]
fn settings_write_the_url_and_the_root_attributes() {
    let (_, effects) = State::default().update(Action::Start);
    assert_eq!(
        effects,
        [
            Effect::WriteUrl(String::new()),
            Effect::SetRootAttrs {
                theme: Theme::Auto,
                talk: false
            },
            Effect::Connect,
        ]
    );
    let (_, effects) = State::default().update(knob("attempts.max", "5"));
    assert_eq!(effects, [Effect::WriteUrl("?attempts.max=5".into())]);
    let (_, effects) = State::default().update(Action::SetTheme(Theme::Dark));
    assert_eq!(
        effects,
        [
            Effect::WriteUrl("?theme=dark".into()),
            Effect::SetRootAttrs {
                theme: Theme::Dark,
                talk: false
            }
        ]
    );
    // What is not a setting writes nothing (a replay ticks every 40 ms).
    let (_, effects) = State::default().update(Action::ReplayTick(40.0));
    assert!(effects.is_empty());
}
