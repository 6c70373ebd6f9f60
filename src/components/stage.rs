//! The talk stage (talk mode): what a speaker shows at 1280×720 without
//! scrolling. The lesson's title in one line, its headline figure for A and
//! B in numbers the back row reads, the timeline(s) and the load chart; the
//! knobs wait in a drawer.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::banners::Banners;
use crate::components::knob_panel::KnobPanel;
use crate::components::load_chart::LoadChart;
use crate::components::replay_bar::ReplayBar;
use crate::components::sweep_chart::SweepChart;
use crate::components::timeline::Timeline;
use crate::context::AppContext;
use crate::live::Fire;
use crate::state::{Action, Mode, RunStatus, Side};
use crate::view;

/// The figure a stage shows when no lesson names one.
const HEADLINE_DEFAULT: &str = "amplification";

#[derive(Properties, PartialEq)]
pub struct StageProps {
    pub on_knob: Callback<(String, String)>,
    pub on_knob_b: Callback<(String, String)>,
}

#[component(Stage)]
pub fn stage(props: &StageProps) -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let drawer = use_state(|| false);
    // The timelines' room in their user units, measured after each render
    // (the stage's size is the screen's: a projector is not 1280×720); a
    // resize renders the stage again, and so measures again.
    let charts = use_node_ref();
    let room = use_state(|| None::<f64>);
    let resized = use_force_update();
    {
        let (charts, room) = (charts.clone(), room.clone());
        use_effect(move || {
            let measured = charts
                .cast::<web_sys::Element>()
                .and_then(|el| crate::components::timeline::fit_room(&el));
            if let Some(units) = measured {
                if room.is_none_or(|r| (r - units).abs() > 2.0) {
                    room.set(Some(units));
                }
            }
        });
    }
    // While the stage is shown; it leaves with it.
    use_effect_with((), move |_| {
        let window = web_sys::window();
        let on_resize =
            wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || resized.force_update());
        if let Some(window) = &window {
            window.set_onresize(Some(on_resize.as_ref().unchecked_ref()));
        }
        move || {
            if let Some(window) = window {
                window.set_onresize(None);
            }
            drop(on_resize);
        }
    });
    let state = &ctx.state;
    let s = &state.settings;
    let preset = s
        .preset
        .as_ref()
        .and_then(|id| ctx.presets.iter().find(|p| &p.id == id))
        .cloned();
    let deck = crate::state::deck_ids(s);
    let position = s
        .preset
        .as_ref()
        .and_then(|id| deck.iter().position(|d| d == id));
    let headline = preset
        .as_ref()
        .map(|p| p.headline.clone())
        .unwrap_or_else(|| HEADLINE_DEFAULT.to_string());
    let title = preset
        .as_ref()
        .map(|p| p.title.clone())
        .unwrap_or_else(|| "Resilience Playground".to_string());
    let changed = preset.as_ref().is_some_and(|p| p.config != s.config);
    let a = state.trace.as_ref().map(|t| t.summary());
    let b = state.trace_b.as_ref().map(|t| t.summary());
    let value = |summary: &Option<flaky::sim::Summary>| {
        summary
            .as_ref()
            .map(|x| view::summary_figure_text(x, &headline))
            .unwrap_or_else(|| "–".into())
    };
    let change = match (&a, &b) {
        (Some(a), Some(b)) => a
            .figure(&headline)
            .zip(b.figure(&headline))
            .map(|(av, bv)| view::change(&headline, av, bv)),
        _ => None,
    };
    let running = state.status == RunStatus::Running;
    // What was still hanging when a side's run stopped: a B without a
    // timeout must say so, since p99 leaves unfinished calls out.
    let hanging = |trace: &Option<std::rc::Rc<flaky::sim::Trace>>, side: Option<Side>| {
        trace
            .as_ref()
            .filter(|_| !running)
            .and_then(|t| view::hanging_line(side, t))
    };
    let fire = {
        let fire = ctx.fire.clone();
        Callback::from(move |_| fire.emit(Fire::Scenario))
    };
    let toggle_drawer = {
        let drawer = drawer.clone();
        Callback::from(move |_| drawer.set(!*drawer))
    };
    let exit = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::SetTalk(false)))
    };
    let step = |by: i32| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::StepPreset(by)))
    };
    let comparing = s.b.is_some();
    let hanging_a = hanging(&state.trace, comparing.then_some(Side::A));
    let hanging_b = hanging(&state.trace_b, Some(Side::B));
    let b_knobs = match s.config_b() {
        Some(b) => {
            let differs = b.knobs_differing_from(&s.config);
            if differs.is_empty() {
                "same policy as A".to_string()
            } else {
                differs
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", view::choice_words(k, v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
        None => String::new(),
    };
    let lane_height = room.unwrap_or(if comparing { 230.0 } else { 520.0 });
    // Both sides share one axis: it ends just past the later last event of
    // the lanes each draws.
    let axis = [&state.trace, &state.trace_b]
        .iter()
        .filter_map(|t| {
            let t = t.as_ref()?;
            let lanes = view::lanes::stage_lanes(t, state.settings.lanes, lane_height);
            Some(view::axis::last_shown_ms(lanes, &t.windows, t.end_ms))
        })
        .max();
    let cursor = state.replay.map(|r| r.cursor_ms);
    let finished = state.traces_whole();
    let live = s.mode == Mode::Live;
    let pick_point = {
        let d = state.dispatcher();
        Callback::from(move |(side, index): (Side, usize)| {
            d.dispatch(crate::state::Action::PickSweepPoint { side, index })
        })
    };
    html! {
        <main class="talk-stage" data-testid="stage">
            <header class="stage-bar">
                <h1 class="stage-title" data-testid="stage-title" title={title.clone()}>
                    { title }{ if changed { " (changed)" } else { "" } }
                </h1>
                <span class="deck-position" data-testid="deck-position">
                    { position.map(|i| format!("{} / {}", i + 1, deck.len())).unwrap_or_default() }
                </span>
                <button onclick={step(-1)} aria-label="Previous lesson (←)" title="Previous lesson (← or PageUp)">{ "←" }</button>
                <button onclick={step(1)} aria-label="Next lesson (→)" title="Next lesson (→ or PageDown)">{ "→" }</button>
                <button class="fire primary" data-testid="fire-many" id="run-controls" onclick={fire} disabled={live && state.transport.is_none()}
                    title="Space">{ if running { "Running…" } else { "Fire (Space)" } }</button>
                <span class={classes!("run-status", state.status.name())} data-testid="run-status" data-status={state.status.name()}>{ state.status.name() }</span>
                <button data-testid="drawer-toggle" aria-expanded={drawer.to_string()} aria-controls="stage-drawer" onclick={toggle_drawer.clone()}>{ "Settings" }</button>
                <button data-testid="talk-exit" onclick={exit} title="Leave the stage (T)">{ "Exit (T)" }</button>
            </header>
            <div class="stage-toasts"><Banners /></div>
            <section class={classes!("headline", comparing.then_some("comparing"))} data-testid="headline" aria-label="Headline figure">
                <div class="headline-side" data-testid="side-a">
                    if comparing { <span class="headline-tag">{ "A" }</span> }
                    <span class="headline-value" data-testid="headline-a">{ value(&a) }</span>
                    <span class="headline-label">{ view::figure_words(&headline) }</span>
                    if let Some(line) = hanging_a {
                        <span class="headline-hanging" data-testid="hanging-line">{ line }</span>
                    }
                </div>
                if comparing {
                    <div class="headline-side" data-testid="side-b">
                        <span class="headline-tag">{ "B" }</span>
                        <span class="headline-value" data-testid="headline-b">{ value(&b) }</span>
                        <span class="headline-label">
                            <span class="b-knobs">{ b_knobs }</span>
                            if let Some(c) = &change {
                                <span class={classes!("change", c.class)} data-testid="headline-change">{ c.words.clone() }</span>
                            }
                        </span>
                        if let Some(line) = hanging_b {
                            <span class="headline-hanging" data-testid="hanging-line">{ line }</span>
                        }
                    </div>
                }
            </section>
            <div class="stage-replay"><ReplayBar /></div>
            <div class={classes!("stage-charts", comparing.then_some("comparing"))} ref={charts}>
                if let (Some(sweep), Some(run)) = (&state.settings.sweep, &state.sweep_run) {
                    // A sweep on the stage: its curves in place of the timelines.
                    <section class="panel stage-sweep" aria-label="Sweep">
                        <SweepChart sweep={sweep.clone()} run={run.clone()} on_pick={pick_point} />
                    </section>
                } else {
                    <div class="stage-timelines">
                        <Timeline trace={state.trace.clone()} {cursor} axis_ms={axis} side={comparing.then_some(Side::A)} {finished} order={state.settings.lanes} height_max={Some(lane_height)} />
                        if comparing {
                            <Timeline trace={state.trace_b.clone()} {cursor} axis_ms={axis} side={Some(Side::B)} {finished} order={state.settings.lanes} height_max={Some(lane_height)} />
                        }
                    </div>
                }
                <section class="panel stage-load" aria-labelledby="stage-load-title">
                    <h2 id="stage-load-title">{ "Server load" }</h2>
                    <LoadChart trace={state.trace.clone()} trace_b={state.trace_b.clone()} {cursor} width={440.0} height={400.0} text={20.0} />
                </section>
            </div>
            if *drawer {
                <div class="drawer" id="stage-drawer" role="dialog" aria-label="Settings" data-testid="drawer">
                    <button class="drawer-close" data-testid="drawer-close" onclick={toggle_drawer}>{ "Close settings" }</button>
                    <KnobPanel title="Client policy (A)" groups={Rc::new(view::policy_groups())} open_first={2} config={s.config.clone()} {live} on_change={props.on_knob.clone()} />
                    if let Some(b) = s.config_b() {
                        <KnobPanel title="Client policy B" groups={Rc::new(view::policy_groups())} open_first={2} config={b} {live} on_change={props.on_knob_b.clone()}
                            id_prefix="knob-b-" differs={Rc::new(s.b_differs())} testid={Some(AttrValue::from("side-b-knobs"))} />
                    }
                    <KnobPanel title="Endpoint (server)" groups={Rc::new(view::endpoint_groups())} open_first={1} config={s.config.clone()} {live} on_change={props.on_knob.clone()} />
                    <KnobPanel title="Scenario" groups={Rc::new(view::scenario_groups())} open_first={1} config={s.config.clone()} {live} on_change={props.on_knob.clone()} />
                </div>
            }
        </main>
    }
}
