//! Fire controls: one call, or the scenario's clients × calls; reset; what
//! is running and what serves the mock endpoints.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::context::AppContext;
use crate::live::Fire;
use crate::state::{Action, Mode, RunStatus};

#[component(FireBar)]
pub fn fire_bar() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let state = &ctx.state;
    let s = &state.settings;
    let scenario = &s.config.scenario;
    let fire = |what: Fire| {
        let fire = ctx.fire.clone();
        Callback::from(move |_| fire.emit(what))
    };
    let on_reset = {
        let reset = ctx.reset.clone();
        Callback::from(move |_| reset.emit(()))
    };
    let on_count = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.dispatch(Action::SetKnob {
                name: "sim.clients".into(),
                value: el.value(),
            });
        })
    };
    let on_seed = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.dispatch(Action::SetSeed(el.value()));
        })
    };
    let live_waiting = s.mode == Mode::Live && state.transport.is_none();
    let (sw_kind, sw_detail) = state
        .transport
        .clone()
        .unwrap_or_else(|| ("connecting".into(), "starting the mock endpoints…".into()));
    let calls = s.calls();
    let over_limit = s.over_limit();
    let on_download = {
        let download = ctx.download.clone();
        Callback::from(move |_| download.emit(()))
    };
    let can_download = state.status == RunStatus::Done
        && state.trace.as_ref().is_some_and(|t| t.summary.calls > 0);

    html! {
        <section class="fire-bar panel" aria-label="Run controls" id="run-controls" tabindex="-1">
            <button class="fire primary" data-testid="fire" disabled={live_waiting} onclick={fire(Fire::One)}
                title="One logical call">{ "Fire 1 call" }</button>
            <label class="count">
                <input data-testid="calls-count" type="number" min="1" max="100000" aria-label="Clients"
                    value={scenario.clients.to_string()} onchange={on_count} />
                <span>{ format!("clients × {} call{}", scenario.calls_per_client, if scenario.calls_per_client == 1 { "" } else { "s" }) }</span>
            </label>
            if over_limit.is_none() {
                <button class="fire primary" data-testid="fire-many" disabled={live_waiting} onclick={fire(Fire::Scenario)}
                    title="Space: every client runs its calls">{ format!("Fire {calls} calls") }</button>
            } else {
                <button class="fire primary" data-testid="fire-many" disabled=true
                    title="Over the limit: lower clients or calls">{ "Fire (over the limit)" }</button>
            }
            <label class="count" title="Seed of every random draw: same seed and config, same run">
                <span>{ "seed" }</span>
                <input data-testid="seed" type="number" min="0" aria-label="Seed" value={s.seed.to_string()} onchange={on_seed} />
            </label>
            <button data-testid="reset" onclick={on_reset} title="R">{ "Reset" }</button>
            <button data-testid="download-trace" disabled={!can_download} onclick={on_download}
                title="The run's trace as JSON: every call and attempt, planned and actual start (as playground run --trace writes it)">{ "Download trace" }</button>
            <span class={classes!("run-status", state.status.name())} data-testid="run-status" data-status={state.status.name()} aria-live="polite">{ state.status.name() }</span>
            if let Some(p) = state.progress {
                <progress data-testid="run-progress" max="1" value={format!("{p:.3}")} aria-label="Simulation progress"></progress>
                <span class="run-progress">{ format!("{:.0}%", p * 100.0) }</span>
            }
            <span class={classes!("sw-status", sw_kind.clone())} data-testid="sw-status" data-kind={sw_kind.clone()} title={sw_detail.clone()}>
                { match (s.mode, sw_kind.as_str()) {
                    (Mode::Simulated, _) => "simulated: virtual clock".to_string(),
                    (_, "service-worker") => "live: service worker".to_string(),
                    (_, "in-page") => format!("live: in-page model ({sw_detail})"),
                    _ => sw_detail.clone(),
                } }
            </span>
            if let Some(message) = over_limit {
                <p class="fire-limit" data-testid="fire-limit" role="note">{ message }</p>
            }
        </section>
    }
}
