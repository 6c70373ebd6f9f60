//! What every component can reach: the state and the page's verbs. Each verb
//! is an action on the state; what it sets off (a run in the run worker, a
//! download) the reducer decides and `crate::effects` carries out.

use std::rc::Rc;

use flaky::presets::Preset;
use yew::prelude::*;

use crate::live::Fire;
use crate::state::{Action, State};

/// What every component can reach.
#[derive(Clone, PartialEq)]
pub struct AppContext {
    pub state: UseReducerHandle<State>,
    /// Fire one call or the whole scenario, in the current mode.
    pub fire: Callback<Fire>,
    /// Clear the trace (and cancel a live run).
    pub reset: Callback<()>,
    /// Every preset, in the chapter's order.
    pub presets: Rc<Vec<Rc<Preset>>>,
    /// Download the shown run's trace as JSON (as `playground run --trace` writes it).
    pub download: Callback<()>,
    /// Read a pasted config (format name, text) in the run worker; its knobs
    /// apply. The answer to the latest paste is `state.imported`.
    pub import: Callback<(String, String)>,
    /// Write the policy for a target (its name) in the run worker. The
    /// latest document is `state.exported`.
    pub export: Callback<(String, policy::PolicyConfig)>,
}

impl AppContext {
    pub fn new(state: UseReducerHandle<State>, presets: Rc<Vec<Rc<Preset>>>) -> AppContext {
        let d = state.dispatcher();
        AppContext {
            fire: on(&d, |what: Fire| {
                Action::Fire(match what {
                    Fire::One => app_core::run::Fire::One,
                    Fire::Scenario => app_core::run::Fire::Scenario,
                })
            }),
            reset: on(&d, |()| Action::Reset),
            download: on(&d, |()| Action::Download),
            import: on(&d, |(format, text)| Action::Import { format, text }),
            export: on(&d, |(target, policy)| Action::Export {
                target,
                policy: Box::new(policy),
            }),
            state,
            presets,
        }
    }
}

/// A callback that dispatches the action `f` makes of its input.
fn on<I: 'static>(
    d: &UseReducerDispatcher<State>,
    f: impl Fn(I) -> Action + 'static,
) -> Callback<I> {
    let d = d.clone();
    Callback::from(move |input| d.dispatch(f(input)))
}
