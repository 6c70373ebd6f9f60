//! The page: header, policy controls, the planned schedule and its chart.

use policy::rand_chacha::rand_core::SeedableRng;
use policy::rand_chacha::ChaCha8Rng;
use policy::PolicyConfig;
use yew::prelude::*;

use crate::components::backoff_chart::BackoffChart;
use crate::components::knob_control::KnobControl;
use crate::components::schedule::Schedule;
use crate::state::{Action, State};

/// Knobs shown on the first page, in order.
const FIRST_PAGE_KNOBS: &[&str] =
    &["attempts.max", "backoff.kind", "backoff.base_ms", "backoff.cap_ms", "backoff.multiplier", "jitter.kind", "jitter.ratio", "jitter.additive_ms"];

#[component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    let plan = {
        let mut rng = ChaCha8Rng::seed_from_u64(state.seed);
        policy::schedule(&state.policy, &mut rng)
    };
    let on_change = {
        let state = state.clone();
        Callback::from(move |(name, value): (String, String)| state.dispatch(Action::SetKnob { name, value }))
    };
    let on_seed = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            match input.value().trim().parse::<u64>() {
                Ok(seed) => state.dispatch(Action::SetSeed(seed)),
                Err(_) => state.dispatch(Action::SetKnob { name: "seed".into(), value: input.value() }),
            }
        })
    };
    let on_dismiss = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::DismissError))
    };
    let specs = PolicyConfig::knobs();
    let controls = FIRST_PAGE_KNOBS.iter().filter_map(|name| specs.iter().find(|s| s.name == *name)).map(|spec| {
        let value = state.policy.get(spec.name).unwrap_or_default();
        html! { <KnobControl spec={*spec} value={value} on_change={on_change.clone()} /> }
    });
    html! {
        <main class="page">
            <header class="masthead">
                <h1>{ "Resilience Playground" }</h1>
                <p class="tagline">{ "What retries, backoff and jitter really do. Move a control: the plan below is computed by the same policy code that drives every call." }</p>
            </header>
            if let Some(message) = &state.error {
                <div class="banner error" role="alert" data-testid="error-banner">
                    <span>{ message }</span>
                    <button onclick={on_dismiss}>{ "Dismiss" }</button>
                </div>
            }
            <div class="columns">
                <section class="panel" aria-labelledby="policy-title">
                    <h2 id="policy-title">{ "Client policy" }</h2>
                    { for controls }
                    <div class="knob">
                        <label for="seed">{ "seed" }</label>
                        <input id="seed" data-testid="seed" type="number" min="0" value={state.seed.to_string()} onchange={on_seed} />
                        <p class="help">{ "Seed of the random draws: same seed, same delays." }</p>
                    </div>
                </section>
                <section class="panel wide" aria-labelledby="plan-title">
                    <h2 id="plan-title">{ "Planned backoff" }</h2>
                    <p class="help">{ "If every attempt fails with a retryable error, the call sleeps like this before each retry." }</p>
                    <p class="formula" data-testid="formula"><code>{ policy::backoff::formula(&state.policy) }</code></p>
                    <BackoffChart plan={plan.clone()} />
                    <Schedule plan={plan} />
                </section>
            </div>
        </main>
    }
}
