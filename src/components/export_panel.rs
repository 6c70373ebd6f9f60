//! "Use this policy": the exact CLI command for this run; the client policy
//! written for a library (pick the target, copy the document); and a pasted
//! gRPC, Envoy, resilience4j or Polly config read back into the knobs. Both
//! the writing and the reading happen in the run worker (`export` crate), so
//! neither the writers nor the YAML parser are in the page's first load.

use ::export::import::Format;
use ::export::Target;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use app_core::effect::{ExportAnswer, ImportAnswer};

use crate::context::AppContext;
use crate::export;

/// How a copy went.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Copied {
    Cli,
    Document,
    /// No clipboard: the text is selected for Ctrl+C.
    Selected,
}

/// Copies `text`; without a clipboard (or when it refuses), selects `node`'s text.
fn copy(text: String, node: NodeRef, what: Copied, copied: UseStateHandle<Option<Copied>>) {
    let select = {
        let copied = copied.clone();
        move || {
            let selected = node
                .get()
                .zip(web_sys::window().and_then(|w| w.get_selection().ok().flatten()));
            if let Some((node, selection)) = selected {
                let _ = selection.select_all_children(&node);
                copied.set(Some(Copied::Selected));
            }
        }
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // `navigator.clipboard` is missing outside secure contexts: look before calling.
    let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .map(|c| c.is_object())
        .unwrap_or(false);
    if !has_clipboard {
        select();
        return;
    }
    let promise = navigator.clipboard().write_text(&text);
    wasm_bindgen_futures::spawn_local(async move {
        match JsFuture::from(promise).await {
            Ok(_) => copied.set(Some(what)),
            Err(_) => select(),
        }
    });
}

fn label(copied: Option<Copied>, what: Copied) -> &'static str {
    match copied {
        Some(c) if c == what => "Copied",
        Some(Copied::Selected) => "Copy",
        _ => "Copy",
    }
}

#[component(ExportPanel)]
pub fn export_panel() -> Html {
    let target = use_state(|| Target::Tenacity);
    let format = use_state(|| Format::Grpc);
    let copied = use_state(|| None::<Copied>);
    let cli_ref = use_node_ref();
    let doc_ref = use_node_ref();
    let paste_ref = use_node_ref();
    let ctx = use_context::<AppContext>();
    let policy = ctx
        .as_ref()
        .map(|c| c.state.settings.config.policy.clone())
        .unwrap_or_default();
    // The worker writes the document whenever the target or the policy changes.
    {
        let export = ctx.as_ref().map(|c| c.export.clone());
        use_effect_with((*target, policy), move |(t, p)| {
            if let Some(export) = export {
                export.emit((t.name().to_string(), p.clone()));
            }
        });
    }
    let Some(ctx) = ctx else {
        return html! {};
    };
    let (text, notes) = match ctx.state.exported.as_deref() {
        Some(ExportAnswer {
            result: Ok(doc), ..
        }) => (doc.text.clone(), doc.notes.len()),
        Some(ExportAnswer { result: Err(e), .. }) => (format!("Not written: {e}"), 0),
        None => ("Writing…".to_string(), 0),
    };
    let s = &ctx.state.settings;
    let cli = export::cli_command(&s.config, s.seed);
    let on_target = {
        let target = target.clone();
        let copied = copied.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Ok(t) = Target::parse(&value) {
                target.set(t);
                copied.set(None);
            }
        })
    };
    let on_format = {
        let format = format.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Ok(f) = Format::parse(&value) {
                format.set(f);
            }
        })
    };
    let on_import = {
        let import = ctx.import.clone();
        let format = *format;
        let paste_ref = paste_ref.clone();
        Callback::from(move |_| {
            if let Some(area) = paste_ref.cast::<HtmlTextAreaElement>() {
                import.emit((format.name().to_string(), area.value()));
            }
        })
    };
    let copy_cli = {
        let (cli, node, copied) = (cli.clone(), cli_ref.clone(), copied.clone());
        Callback::from(move |_| copy(cli.clone(), node.clone(), Copied::Cli, copied.clone()))
    };
    let copy_doc = {
        let (text, node, copied) = (text.clone(), doc_ref.clone(), copied.clone());
        Callback::from(move |_| copy(text.clone(), node.clone(), Copied::Document, copied.clone()))
    };
    let answer = match ctx.state.imported.as_deref() {
        None => html! {},
        Some(ImportAnswer {
            result: Ok(knobs), ..
        }) => html! {
            <div class="import-result ok" data-testid="import-result" role="status">
                { format!("Imported {} settings.", knobs.assignments.len()) }
                { for knobs.notes.iter().map(|n| html! { <p class="note">{ n.clone() }</p> }) }
            </div>
        },
        Some(ImportAnswer { result: Err(e), .. }) => html! {
            <div class="import-result error" data-testid="import-result" role="alert">{ format!("Not imported: {e}") }</div>
        },
    };
    let selected_hint = (*copied == Some(Copied::Selected))
        .then(|| html! { <span class="sub">{ " selected: press Ctrl+C (⌘C) to copy" }</span> });
    html! {
        <details class="panel export">
            <summary><h2>{ "Use this policy" }</h2><span class="sub">{ " the same run from the command line, the policy for your library, or your library's config read back" }</span></summary>
            <h3>{ "Command line (same config, same seed, same trace)" }
                <button onclick={copy_cli}>{ label(*copied, Copied::Cli) }</button></h3>
            <pre data-testid="export-cli" ref={cli_ref}><code>{ cli }</code></pre>
            <h3>
                <label for="export-target">{ "Export for " }</label>
                <select id="export-target" data-testid="export-target" onchange={on_target}>
                    { for Target::ALL.iter().map(|t| html! {
                        <option value={t.name()} selected={*t == *target}>{ t.title() }</option>
                    }) }
                </select>
                <button data-testid="export-copy" onclick={copy_doc}>{ label(*copied, Copied::Document) }</button>
                { selected_hint }
            </h3>
            if notes > 0 {
                <p class="sub">{ format!("{notes} setting(s) this target cannot express are listed at the top, with what it does instead.") }</p>
            }
            <pre data-testid="export-document" ref={doc_ref}><code>{ text }</code></pre>
            <h3>
                <label for="import-format">{ "Import from " }</label>
                <select id="import-format" data-testid="import-format" onchange={on_format}>
                    { for Format::ALL.iter().map(|f| html! {
                        <option value={f.name()} selected={*f == *format}>{ f.title() }</option>
                    }) }
                </select>
            </h3>
            <textarea data-testid="import-text" ref={paste_ref} rows="8" spellcheck="false"
                aria-label="The config to import" placeholder="Paste the config here" />
            <button data-testid="import-apply" onclick={on_import}>{ "Apply to the knobs" }</button>
            { answer }
        </details>
    }
}
