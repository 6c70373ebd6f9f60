//! A control for one knob, shaped by its [`KnobSpec`]: a slider with a number
//! field for bounded numbers, a checkbox for booleans, a select for choices,
//! a text field for lists of windows (`endpoint.outages`, `sim.spike`).
//! Its `data-testid` is the knob's dotted name.

use policy::knob::{KnobKind, KnobSpec};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KnobControlProps {
    pub spec: KnobSpec,
    /// The knob's current value as text.
    pub value: AttrValue,
    /// Whether the knob matters under the current config (dimmed if not).
    #[prop_or(true)]
    pub active: bool,
    /// Said after the help text (e.g. why the knob does nothing now).
    #[prop_or_default]
    pub note: Option<AttrValue>,
    /// Called with (knob name, new text) when the user commits a change.
    pub on_change: Callback<(String, String)>,
    /// Prefix of the control's element id (`knob-`, or `knob-b-` for side B).
    #[prop_or(AttrValue::from("knob-"))]
    pub id_prefix: AttrValue,
    /// B's value differs from A's: marked.
    #[prop_or_default]
    pub differs: bool,
    /// Prefix of the `data-testid` (`b.` for side B, as in the URL).
    #[prop_or_default]
    pub testid_prefix: AttrValue,
}

/// Linear sliders only for ranges a hand can cover (log sliders cover decades).
const SLIDER_RANGE_MAX: f64 = 120_000.0;

#[component(KnobControl)]
pub fn knob_control(props: &KnobControlProps) -> Html {
    let spec = props.spec;
    let id = format!("{}{}", props.id_prefix, spec.name.replace('.', "-"));
    let name = spec.name.to_string();
    let testid = format!("{}{}", props.testid_prefix, spec.name);
    let emit = {
        let on_change = props.on_change.clone();
        let name = name.clone();
        move |value: String| on_change.emit((name.clone(), value))
    };
    let input = match spec.kind {
        KnobKind::Int { min, max } => number(
            &id,
            &testid,
            &props.value,
            min as f64,
            max as f64,
            "1",
            emit,
        ),
        KnobKind::Float { min, max } => number(&id, &testid, &props.value, min, max, "0.01", emit),
        KnobKind::Bool => {
            let onchange = Callback::from(move |e: Event| {
                let el: HtmlInputElement = e.target_unchecked_into();
                emit(el.checked().to_string());
            });
            html! { <input id={id.clone()} class="switch" data-testid={testid.clone()} type="checkbox" checked={props.value == "true"} {onchange} /> }
        }
        KnobKind::List { syntax } | KnobKind::Text { syntax } => {
            let onchange = Callback::from(move |e: Event| {
                let el: HtmlInputElement = e.target_unchecked_into();
                emit(el.value());
            });
            html! { <input id={id.clone()} data-testid={testid.clone()} type="text" title={syntax} placeholder="none" value={props.value.clone()} {onchange} /> }
        }
        KnobKind::Choice(choices) => {
            let onchange = Callback::from(move |e: Event| {
                let el: HtmlSelectElement = e.target_unchecked_into();
                emit(el.value());
            });
            html! {
                <select id={id.clone()} data-testid={testid.clone()} {onchange}>
                    { for choices.iter().map(|c| html! { <option value={*c} selected={props.value == *c}>{ crate::view::choice_words(spec.name, c) }</option> }) }
                </select>
            }
        }
    };
    let unit = if spec.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", spec.unit)
    };
    html! {
        <div class={classes!("knob", (!props.active).then_some("inactive"), matches!(spec.kind, KnobKind::Bool).then_some("knob-bool"), props.differs.then_some("differs"))}
            data-differs={props.differs.then_some("1")}>
            <label for={id}>{ spec.name }{ unit }
                if props.differs { <span class="differs-mark">{ " ≠ A" }</span> }
            </label>
            { input }
            <p class="help">{ spec.help }{ for props.note.iter().map(|n| html! { <em>{ " " }{ n }</em> }) }</p>
        </div>
    }
}

fn number(
    id: &str,
    name: &str,
    value: &AttrValue,
    min: f64,
    max: f64,
    step: &str,
    emit: impl Fn(String) + Clone + 'static,
) -> Html {
    // `change` fires when the user commits (Enter, blur, slider release), not on every keystroke.
    let on_number = {
        let emit = emit.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            emit(el.value());
        })
    };
    let integer = step == "1";
    let slider = match crate::view::slider_scale(min, max) {
        // Ranges over decades (0–1000 attempts, 1–100,000 clients) move by
        // factors: each position is a ratio, not a step.
        crate::view::SliderScale::Log => {
            let on_slide = Callback::from(move |e: InputEvent| {
                let el: HtmlInputElement = e.target_unchecked_into();
                let position = el.value().parse::<u32>().unwrap_or(0);
                let v = crate::view::log_value(min, max, position, integer);
                emit(if integer { format!("{v:.0}") } else { format!("{v}") });
            });
            let current = value.parse::<f64>().unwrap_or(min);
            let position = crate::view::log_position(min, max, current);
            Some(html! {
                <input class="slider log" type="range" aria-label={format!("{name} slider (logarithmic)")} tabindex="-1"
                    min="0" max={crate::view::LOG_STEPS.to_string()} step="1" value={position.to_string()} oninput={on_slide} />
            })
        }
        crate::view::SliderScale::Linear => (max - min <= SLIDER_RANGE_MAX).then(|| {
            let on_slide = Callback::from(move |e: InputEvent| {
                let el: HtmlInputElement = e.target_unchecked_into();
                emit(el.value());
            });
            html! {
                <input class="slider" type="range" aria-label={format!("{name} slider")} tabindex="-1"
                    min={min.to_string()} max={max.to_string()} step={step.to_string()} value={value.clone()} oninput={on_slide} />
            }
        }),
    };
    html! {
        <div class="number-row">
            { for slider }
            <input id={id.to_string()} data-testid={name.to_string()} type="number" inputmode="decimal"
                min={min.to_string()} max={max.to_string()} step={if step == "1" { "1".to_string() } else { "any".to_string() }}
                value={value.clone()} onchange={on_number} />
        </div>
    }
}
