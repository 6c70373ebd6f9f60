//! The header: mode, preset picker, share link, talk mode, slow motion, theme.

use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::context::AppContext;
use crate::state::{Action, Mode, Theme};

#[component(Header)]
pub fn header() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let copied = use_state(|| None::<String>);
    let state = &ctx.state;
    let s = &state.settings;

    let on_mode = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            if let Some(mode) = Mode::parse(&el.value()) {
                state.dispatch(Action::SetMode(mode));
            }
        })
    };
    let on_preset = {
        let state = state.clone();
        let presets = ctx.presets.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            if let Some(p) = presets.iter().find(|p| p.id == el.value()) {
                state.dispatch(Action::PickPreset(p.clone()));
            }
        })
    };
    let on_theme = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            if let Some(theme) = Theme::parse(&el.value()) {
                state.dispatch(Action::SetTheme(theme));
            }
        })
    };
    let toggle = |make: fn(bool) -> Action| {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.dispatch(make(el.checked()));
        })
    };
    let on_share = {
        let copied = copied.clone();
        let state = state.clone();
        Callback::from(move |_| {
            let Some(window) = web_sys::window() else {
                return;
            };
            // From the settings, not the address bar, which says a change a
            // moment later (`Effect::WriteUrl`).
            let location = window.location();
            let href = format!(
                "{}{}{}",
                location.origin().unwrap_or_default(),
                location.pathname().unwrap_or_default(),
                app_core::url::to_query(&state.settings)
            );
            let copied = copied.clone();
            let clipboard = window.navigator().clipboard();
            wasm_bindgen_futures::spawn_local(async move {
                let result = JsFuture::from(clipboard.write_text(&href)).await;
                copied.set(Some(match result {
                    Ok(_) => "Link copied".to_string(),
                    Err(_) => "Copy the address bar: it holds every setting".to_string(),
                }));
            });
        })
    };
    let preset_value = s.preset.clone().unwrap_or_default();
    let on_compare = {
        let state = state.clone();
        let comparing = s.b.is_some();
        Callback::from(move |_| {
            state.dispatch(if comparing {
                Action::StopCompare
            } else {
                Action::StartCompare
            })
        })
    };
    let on_pin = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::PinAsB))
    };
    let can_pin = state.status == crate::state::RunStatus::Done && state.trace.is_some();
    let deck = crate::state::deck_ids(s);
    let key_of = |id: &str| match deck.iter().position(|d| d == id) {
        Some(i @ 0..=8) => format!("{} · ", i + 1),
        Some(9) => "0 · ".to_string(),
        _ => String::new(),
    };
    let groups = [
        (flaky::presets::Deck::Chapter, "The chapter's lessons"),
        (flaky::presets::Deck::Beyond, "Beyond the chapter"),
        (
            flaky::presets::Deck::Profile,
            "Library profiles (client policy only)",
        ),
    ];
    html! {
        <header class="masthead">
            <div class="brand">
                <h1>{ "Resilience Playground" }</h1>
                <p class="tagline">{ "Retries, backoff, jitter, timeouts, breakers, budgets and idempotency keys: real fetches, real timeouts, counted duplicates." }</p>
            </div>
            <div class="header-controls">
                <label class="field">
                    <span>{ "Mode" }</span>
                    <select data-testid="mode" onchange={on_mode} aria-label="Mode">
                        <option value="live" selected={s.mode == Mode::Live}>{ "Live fetch" }</option>
                        <option value="simulated" selected={s.mode == Mode::Simulated}>{ "Simulated" }</option>
                    </select>
                </label>
                <label class="field preset-field">
                    <span>{ "Preset" }</span>
                    <select data-testid="preset" onchange={on_preset} aria-label="Preset">
                        <option value="" selected={preset_value.is_empty()} disabled=true>{ "Pick a lesson…" }</option>
                        { for groups.iter().filter(|(d, _)| ctx.presets.iter().any(|p| p.deck == *d)).map(|(d, label)| html! {
                            <optgroup label={*label}>
                                { for ctx.presets.iter().filter(|p| p.deck == *d).map(|p| html! {
                                    <option value={p.id.clone()} selected={preset_value == p.id}>{ format!("{}{}", key_of(&p.id), p.title) }</option>
                                }) }
                            </optgroup>
                        }) }
                    </select>
                </label>
                <label class="toggle"><input type="checkbox" data-testid="talk" checked={s.talk} onchange={toggle(Action::SetTalk)} />{ "Talk mode" }</label>
                <label class="toggle"><input type="checkbox" data-testid="slow" checked={s.slow} onchange={toggle(Action::SetSlow)} />{ "Slow motion (replay each run at ¼×)" }</label>
                <button data-testid="compare" aria-pressed={s.b.is_some().to_string()} onclick={on_compare}
                    title="Compare a second client policy B with A on the same world (same seed, same faults)">
                    { if s.b.is_some() { "Stop comparing" } else { "Compare with B" } }
                </button>
                <button data-testid="pin-b" disabled={!can_pin} onclick={on_pin}
                    title="Keep this run as B and compare A's next runs with it">{ if state.b_pinned { "B: pinned run" } else { "Pin run as B" } }</button>
                <label class="field">
                    <span>{ "Theme" }</span>
                    <select data-testid="theme" onchange={on_theme} aria-label="Theme">
                        { for [Theme::Auto, Theme::Light, Theme::Dark].into_iter().map(|t| html! {
                            <option value={t.name()} selected={s.theme == t}>{ t.name() }</option>
                        }) }
                    </select>
                </label>
                <button data-testid="share" onclick={on_share} title="Copy a link that restores every setting">{ "Share link" }</button>
                if let Some(note) = &*copied { <span class="note" role="status">{ note }</span> }
            </div>
        </header>
    }
}
