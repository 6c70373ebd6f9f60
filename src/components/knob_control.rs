//! A control for one knob, shaped by its [`KnobSpec`]: a number field for
//! integers and reals, a checkbox for booleans, a select for choices.

use policy::knob::{KnobKind, KnobSpec};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KnobControlProps {
    pub spec: KnobSpec,
    /// The knob's current value as text.
    pub value: AttrValue,
    /// Called with (knob name, new text) when the user commits a change.
    pub on_change: Callback<(String, String)>,
}

#[component(KnobControl)]
pub fn knob_control(props: &KnobControlProps) -> Html {
    let spec = props.spec;
    let id = format!("knob-{}", spec.name.replace('.', "-"));
    let name = spec.name.to_string();
    let input = match spec.kind {
        KnobKind::Int { min, max } => number_input(&id, &name, &props.value, &min.to_string(), &max.to_string(), "1", &props.on_change),
        KnobKind::Float { min, max } => number_input(&id, &name, &props.value, &min.to_string(), &max.to_string(), "any", &props.on_change),
        KnobKind::Bool => {
            let on_change = props.on_change.clone();
            let name = name.clone();
            let onchange = Callback::from(move |e: Event| {
                let el: HtmlInputElement = e.target_unchecked_into();
                on_change.emit((name.clone(), el.checked().to_string()));
            });
            html! { <input id={id.clone()} data-testid={spec.name} type="checkbox" checked={props.value == "true"} {onchange} /> }
        }
        KnobKind::Choice(choices) => {
            let on_change = props.on_change.clone();
            let name = name.clone();
            let onchange = Callback::from(move |e: Event| {
                let el: HtmlSelectElement = e.target_unchecked_into();
                on_change.emit((name.clone(), el.value()));
            });
            html! {
                <select id={id.clone()} data-testid={spec.name} {onchange}>
                    { for choices.iter().map(|c| html! { <option value={*c} selected={props.value == *c}>{ *c }</option> }) }
                </select>
            }
        }
    };
    html! {
        <div class="knob">
            <label for={id}>{ spec.name }{ if spec.unit.is_empty() { String::new() } else { format!(" ({})", spec.unit) } }</label>
            { input }
            <p class="help">{ spec.help }</p>
        </div>
    }
}

fn number_input(id: &str, name: &str, value: &AttrValue, min: &str, max: &str, step: &str, on_change: &Callback<(String, String)>) -> Html {
    let on_change = on_change.clone();
    let knob = name.to_string();
    // `change` fires when the user commits (Enter, blur, a spinner click), not on every keystroke.
    let onchange = Callback::from(move |e: Event| {
        let el: HtmlInputElement = e.target_unchecked_into();
        on_change.emit((knob.clone(), el.value()));
    });
    html! {
        <input id={id.to_string()} data-testid={name.to_string()} type="number" inputmode="decimal"
            min={min.to_string()} max={max.to_string()} step={step.to_string()} value={value.clone()} {onchange} />
    }
}
