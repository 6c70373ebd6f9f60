//! Fire controls: one call, or the scenario's clients × calls; reset; what
//! is running and what serves the mock endpoints.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::app::AppContext;
use crate::live::Fire;
use crate::state::{Action, Mode};

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
    let calls = u64::from(scenario.clients) * u64::from(scenario.calls_per_client);
    html! {
        <section class="fire-bar panel" aria-label="Fire">
            <button class="fire primary" data-testid="fire" disabled={live_waiting} onclick={fire(Fire::One)}
                title="One logical call">{ "Fire 1 call" }</button>
            <label class="count">
                <input data-testid="calls-count" type="number" min="1" max="100000" aria-label="Clients"
                    value={scenario.clients.to_string()} onchange={on_count} />
                <span>{ format!("clients × {} call{}", scenario.calls_per_client, if scenario.calls_per_client == 1 { "" } else { "s" }) }</span>
            </label>
            <button class="fire primary" data-testid="fire-many" disabled={live_waiting} onclick={fire(Fire::Scenario)}
                title="Space: every client runs its calls">{ format!("Fire {calls} calls") }</button>
            <label class="count" title="Seed of every random draw: same seed and config, same run">
                <span>{ "seed" }</span>
                <input data-testid="seed" type="number" min="0" aria-label="Seed" value={s.seed.to_string()} onchange={on_seed} />
            </label>
            <button data-testid="reset" onclick={on_reset} title="R">{ "Reset" }</button>
            <span class={classes!("run-status", state.status.name())} data-testid="run-status" aria-live="polite">{ state.status.name() }</span>
            <span class={classes!("sw-status", sw_kind.clone())} data-testid="sw-status" data-kind={sw_kind.clone()} title={sw_detail.clone()}>
                { match (s.mode, sw_kind.as_str()) {
                    (Mode::Simulated, _) => "simulated: virtual clock".to_string(),
                    (_, "service-worker") => "live: service worker".to_string(),
                    (_, "in-page") => format!("live: in-page model ({sw_detail})"),
                    _ => sw_detail.clone(),
                } }
            </span>
        </section>
    }
}
