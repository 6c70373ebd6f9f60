//! The picked preset's lesson: what it shows and what to try next.

use yew::prelude::*;

use crate::context::AppContext;

#[component(PresetNote)]
pub fn preset_note() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let Some(id) = &ctx.state.settings.preset else {
        return html! {};
    };
    let Some(preset) = ctx.presets.iter().find(|p| &p.id == id) else {
        return html! {};
    };
    let modified = ctx.state.settings.config != preset.config;
    html! {
        <section class="preset-note" data-testid="preset-note" aria-live="polite">
            <h2>{ &preset.title }{ if modified { " (changed)" } else { "" } }</h2>
            <p class="chapter">{ &preset.chapter }</p>
            <p>{ &preset.explanation }</p>
        </section>
    }
}
