//! Messages that need the user's attention: bad URL parameters, a refused
//! knob value, a broken live run. Each says what was wrong and what was kept.

use yew::prelude::*;

use crate::context::AppContext;
use crate::state::{Action, Mode};

#[component(Banners)]
pub fn banners() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let state = &ctx.state;
    let dismiss = |action: Action| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(action.clone()))
    };
    let browser_limit = state
        .trace
        .as_ref()
        .filter(|_| state.trace_mode == Some(Mode::Live))
        .and_then(|t| crate::view::browser_limit_note(&t.summary));
    let has_any =
        !state.url_errors.is_empty() || state.knob_error.is_some() || state.run_problem.is_some();
    let limit_note = html! {
        if let Some(note) = browser_limit {
            <div class="banners"><div class="banner warn" data-testid="browser-limit" role="note"><span>{ note }</span></div></div>
        }
    };
    if !has_any {
        return limit_note;
    }
    html! {
        <>
        { limit_note }
        <div class="banners" data-testid="error-banner" role="alert">
            if !state.url_errors.is_empty() {
                <div class="banner error">
                    <div>
                        <strong>{ "Some settings in the link could not be used; defaults stand in for them, the rest is kept:" }</strong>
                        <ul>{ for state.url_errors.iter().map(|e| html! { <li>{ e }</li> }) }</ul>
                    </div>
                    <button onclick={dismiss(Action::DismissUrlErrors)}>{ "Dismiss" }</button>
                </div>
            }
            if let Some(message) = &state.knob_error {
                <div class="banner error">
                    <span>{ message }{ " — the previous value is kept." }</span>
                    <button onclick={dismiss(Action::DismissKnobError)}>{ "Dismiss" }</button>
                </div>
            }
            if let Some(problem) = &state.run_problem {
                <div class="banner warn"><span>{ problem }</span></div>
            }
        </div>
        </>
    }
}
