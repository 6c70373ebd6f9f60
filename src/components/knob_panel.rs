//! A panel of knob controls in collapsible groups.

use std::rc::Rc;

use yew::prelude::*;

use flaky::sim::RunConfig;

use crate::components::knob_control::KnobControl;
use crate::view::KnobGroup;

#[derive(Properties)]
pub struct KnobPanelProps {
    pub title: AttrValue,
    pub groups: Rc<Vec<KnobGroup>>,
    /// How many groups start open.
    pub open_first: usize,
    pub config: RunConfig,
    /// Live mode: simulator-only knobs are dimmed and say so.
    #[prop_or_default]
    pub live: bool,
    /// Called with (knob name, new text).
    pub on_change: Callback<(String, String)>,
    /// Element id prefix of the controls (two panels of the same knobs differ in it).
    #[prop_or(AttrValue::from("knob-"))]
    pub id_prefix: AttrValue,
    /// Knobs to mark as differing (B's from A's).
    #[prop_or_default]
    pub differs: Rc<Vec<String>>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

impl PartialEq for KnobPanelProps {
    fn eq(&self, other: &Self) -> bool {
        // Groups are static (built from the knob lists); the config decides.
        self.title == other.title
            && self.open_first == other.open_first
            && self.groups.len() == other.groups.len()
            && self.config == other.config
            && self.live == other.live
            && self.on_change == other.on_change
            && self.id_prefix == other.id_prefix
            && self.differs == other.differs
            && self.testid == other.testid
    }
}

#[component(KnobPanel)]
pub fn knob_panel(props: &KnobPanelProps) -> Html {
    // Props, not the app context: a live run updates the state 20 times a
    // second, and these ~80 controls must not re-render unless the config changed.
    let config = &props.config;
    let on_change = &props.on_change;
    html! {
        <section class="panel knob-panel" data-testid={props.testid.clone()}>
            <h2>{ &props.title }</h2>
            { for props.groups.iter().enumerate().map(|(i, group)| html! {
                <details class="knob-group" open={i < props.open_first}>
                    <summary>{ group.title }</summary>
                    { for group.knobs.iter().map(|spec| {
                        let sim_only = props.live && spec.is_simulated_only();
                        let note = sim_only.then(|| AttrValue::from("(simulated mode only: live requests take the real path to the service worker)"));
                        html! {
                            <KnobControl spec={**spec} value={spec.get(config)}
                                active={!sim_only && spec.is_active(config)} {note} on_change={on_change.clone()}
                                id_prefix={props.id_prefix.clone()} differs={props.differs.iter().any(|d| d == spec.name)}
                                testid_prefix={if props.id_prefix == "knob-b-" { "b." } else { "" }} />
                        }
                    }) }
                </details>
            }) }
        </section>
    }
}
