//! A panel of knob controls in collapsible groups.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::app::AppContext;
use crate::components::knob_control::KnobControl;
use crate::state::Action;
use crate::view::{self, KnobGroup};

#[derive(Properties)]
pub struct KnobPanelProps {
    pub title: AttrValue,
    pub groups: Rc<Vec<KnobGroup>>,
    /// How many groups start open.
    pub open_first: usize,
}

impl PartialEq for KnobPanelProps {
    fn eq(&self, other: &Self) -> bool {
        self.title == other.title
            && self.open_first == other.open_first
            && self.groups.len() == other.groups.len()
    }
}

#[component(KnobPanel)]
pub fn knob_panel(props: &KnobPanelProps) -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let config = &ctx.state.settings.config;
    let on_change = {
        let state = ctx.state.clone();
        Callback::from(move |(name, value): (String, String)| {
            state.dispatch(Action::SetKnob { name, value })
        })
    };
    html! {
        <section class="panel knob-panel">
            <h2>{ &props.title }</h2>
            { for props.groups.iter().enumerate().map(|(i, group)| html! {
                <details class="knob-group" open={i < props.open_first}>
                    <summary>{ group.title }</summary>
                    { for group.knobs.iter().map(|spec| html! {
                        <KnobControl spec={**spec} value={config.get(spec.name).unwrap_or_default()}
                            active={view::knob_active(config, spec.name)} on_change={on_change.clone()} />
                    }) }
                </details>
            }) }
        </section>
    }
}
