//! The Sweep panel: a knob (any number or choice), its range and scale (the
//! slider's by default), the measure and the seeds; A's and B's curves as
//! their points come in; then "which defaults win here": every library
//! profile on this world.

use app_core::settings::{sweep_measure, ProfileAxes, Sweep, SWEEP_MEASURES, SWEEP_SEEDS_MAX};
use flaky::scenario::RunKnobs;
use flaky::sweep::Scale;
use policy::knob::KnobKind;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::sweep_chart::{ProfilesChart, SweepChart};
use crate::context::AppContext;
use crate::state::{Action, Side};

/// The knobs a sweep can take: numbers and choices.
fn sweepable() -> Vec<&'static str> {
    RunKnobs::STANDARD
        .iter()
        .filter(|k| !matches!(k.spec().kind, KnobKind::List { .. } | KnobKind::Text { .. }))
        .map(|k| k.spec().name)
        .collect()
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

/// `done of total` and a progress bar while points are computing.
fn progress(done: usize, total: usize, testid: &'static str) -> Html {
    html! {
        <p class="sweep-progress" data-testid={testid} aria-live="polite">
            if done < total {
                <progress max={total.to_string()} value={done.to_string()} aria-label="points computed"></progress>
            }
            { format!(" {done} of {total} computed") }
        </p>
    }
}

/// A select of the measures, `current` picked.
fn measure_select(testid: &'static str, current: &str, onchange: Callback<Event>) -> Html {
    html! {
        <select data-testid={testid} {onchange}>
            { for SWEEP_MEASURES.iter().map(|(m, label)| html! { <option value={*m} selected={*m == current}>{ *label }</option> }) }
        </select>
    }
}

#[component(SweepPanel)]
pub fn sweep_panel() -> Html {
    let ctx = use_context::<AppContext>();
    let Some(ctx) = ctx else {
        return html! {};
    };
    let state = &ctx.state;
    let sweep = state.settings.sweep.clone();
    let set = {
        let d = state.dispatcher();
        move |s: Option<Sweep>| d.dispatch(Action::SetSweep(s))
    };
    let on_knob = {
        let (set, current) = (set.clone(), sweep.clone());
        Callback::from(move |e: Event| {
            let name = select_value(&e);
            let next = Sweep::of_knob(&RunKnobs::STANDARD, &name).map(|mut s| {
                if let Some(c) = &current {
                    (s.seeds, s.measure) = (c.seeds, c.measure.clone());
                }
                s
            });
            set(next);
        })
    };
    let edit = |f: fn(&mut Sweep, String)| {
        let (set, current) = (set.clone(), sweep.clone());
        Callback::from(move |e: Event| {
            let text = e
                .target_dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_else(|| input_value(&e));
            if let Some(mut s) = current.clone() {
                f(&mut s, text);
                set(Some(s));
            }
        })
    };
    let knob_name = sweep.as_ref().map(|s| s.knob.clone()).unwrap_or_default();
    let pick_point = {
        let d = state.dispatcher();
        Callback::from(move |(side, index): (Side, usize)| {
            d.dispatch(Action::PickSweepPoint { side, index })
        })
    };
    let pick_profile = {
        let d = state.dispatcher();
        Callback::from(move |id: String| d.dispatch(Action::PickProfile(id)))
    };
    let axes = state.settings.profile_axes.clone();
    let set_axis = |f: fn(&mut ProfileAxes, &'static str)| {
        let (d, axes) = (state.dispatcher(), axes.clone());
        Callback::from(move |e: Event| {
            if let Ok(m) = sweep_measure(&select_value(&e)) {
                let mut next = axes.clone();
                f(&mut next, m);
                d.dispatch(Action::SetProfileAxes(next));
            }
        })
    };
    let run_profiles = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::RunProfiles))
    };
    html! {
        <section class="panel sweep-panel" aria-labelledby="sweep-title" data-testid="sweep-panel">
            <h2 id="sweep-title">{ "Sweep a knob" }</h2>
            <p class="hint">{ "The whole curve: each value over the same seeds, A and B on the same world; mean and 95% band. Click a point to set that knob on that side." }</p>
            <div class="sweep-controls">
                <label class="field">{ "Knob" }
                    <select data-testid="sweep-knob" onchange={on_knob}>
                        <option value="" selected={sweep.is_none()}>{ "— no sweep —" }</option>
                        { for sweepable().into_iter().map(|n| html! { <option value={n} selected={n == knob_name}>{ n }</option> }) }
                    </select>
                </label>
                if let Some(s) = &sweep {
                    if let Some(r) = s.range {
                        <label class="field">{ "From" }
                            <input type="number" data-testid="sweep-from" value={r.from.to_string()} step="any"
                                onchange={edit(|s, t| if let (Some(r), Ok(v)) = (s.range.as_mut(), t.parse()) { r.from = v })} />
                        </label>
                        <label class="field">{ "To" }
                            <input type="number" data-testid="sweep-to" value={r.to.to_string()} step="any"
                                onchange={edit(|s, t| if let (Some(r), Ok(v)) = (s.range.as_mut(), t.parse()) { r.to = v })} />
                        </label>
                        <label class="field">{ "Values" }
                            <input type="number" data-testid="sweep-steps" value={r.steps.to_string()} min="1" max="200"
                                onchange={edit(|s, t| if let (Some(r), Ok(v)) = (s.range.as_mut(), t.parse()) { r.steps = v })} />
                        </label>
                        <label class="field">{ "Scale" }
                            <select data-testid="sweep-scale" onchange={edit(|s, t| if let Some(r) = s.range.as_mut() { r.scale = if t == "log" { Scale::Log } else { Scale::Linear } })}>
                                <option value="lin" selected={r.scale == Scale::Linear}>{ "linear" }</option>
                                <option value="log" selected={r.scale == Scale::Log}>{ "log" }</option>
                            </select>
                        </label>
                    }
                    <label class="field">{ "Measure" }
                        { measure_select("sweep-measure", &s.measure, edit(|s, t| s.measure = t)) }
                    </label>
                    <label class="field">{ "Seeds" }
                        <input type="number" data-testid="sweep-seeds" value={s.seeds.to_string()} min="1" max={SWEEP_SEEDS_MAX.to_string()}
                            onchange={edit(|s, t| if let Ok(n) = t.parse::<u32>() { s.seeds = n.clamp(1, SWEEP_SEEDS_MAX) })} />
                    </label>
                }
            </div>
            if let (Some(s), Some(run)) = (&sweep, &state.sweep_run) {
                { progress(run.progress().0, run.progress().1, "sweep-progress") }
                if let Some(problem) = &run.problem {
                    <p class="error" role="alert">{ problem.clone() }</p>
                }
                <SweepChart sweep={s.clone()} run={run.clone()} on_pick={pick_point} />
                <ul class="legend sweep-legend">
                    <li><span class="swatch side-a"></span>{ "A" }</li>
                    if run.with_b {
                        <li><span class="swatch side-b"></span>{ "B" }</li>
                    }
                    <li>{ "band: 95% interval over the seeds" }</li>
                </ul>
            }
            <h3>{ "Which defaults win here?" }</h3>
            <p class="hint">{ "Every library profile's client policy on this world (endpoint and scenario), the same seeds. Ringed: on the front of the two measures (nothing else is better at both). Click one to load it as B." }</p>
            <div class="sweep-controls">
                <label class="field">{ "Across" }{ measure_select("profiles-x", axes.x, set_axis(|a, m| a.x = m)) }</label>
                <label class="field">{ "Up" }{ measure_select("profiles-y", axes.y, set_axis(|a, m| a.y = m)) }</label>
            </div>
            <button data-testid="profiles-run" onclick={run_profiles}>{ "Run the library profiles" }</button>
            if let Some(run) = &state.profiles_run {
                { progress(run.progress().0, run.progress().1, "profiles-progress") }
                if let Some(problem) = &run.problem {
                    <p class="error" role="alert">{ problem.clone() }</p>
                }
                <ProfilesChart run={run.clone()} x={axes.x} y={axes.y} on_pick={pick_profile} />
            }
        </section>
    }
}
