//! "Use this policy": the exact CLI command for this run, and the client
//! policy as Python (requests + tenacity), each with a copy button.

use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use crate::components::app::AppContext;
use crate::export;

#[component(ExportPanel)]
pub fn export_panel() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let copied = use_state(|| None::<&'static str>);
    let s = &ctx.state.settings;
    let cli = export::cli_command(&s.config, s.seed);
    let python = ::export::export(::export::Target::Tenacity, &s.config.policy).text;
    let copy = |what: &'static str, text: String| {
        let copied = copied.clone();
        Callback::from(move |_| {
            let Some(window) = web_sys::window() else {
                return;
            };
            let (copied, promise) = (
                copied.clone(),
                window.navigator().clipboard().write_text(&text),
            );
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(JsFuture::from(promise).await.ok().map(|_| what));
            });
        })
    };
    html! {
        <details class="panel export">
            <summary><h2>{ "Use this policy" }</h2><span class="sub">{ " the same run from the command line, or the policy as Python" }</span></summary>
            <h3>{ "Command line (same config, same seed, same trace)" }
                <button onclick={copy("cli", cli.clone())}>{ if *copied == Some("cli") { "Copied" } else { "Copy" } }</button></h3>
            <pre data-testid="export-cli"><code>{ cli }</code></pre>
            <h3>{ "Python: requests + tenacity" }
                <button onclick={copy("python", python.clone())}>{ if *copied == Some("python") { "Copied" } else { "Copy" } }</button></h3>
            <pre data-testid="export-python"><code>{ python }</code></pre>
        </details>
    }
}
