//! The app's one state, changed only through verb-named [`Action`]s.

use std::rc::Rc;

use policy::PolicyConfig;
use yew::Reducible;

/// Seed used for the drawn delays until the user picks another.
pub const DEFAULT_SEED: u64 = 42;

/// Everything the page shows is derived from this.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub policy: PolicyConfig,
    pub seed: u64,
    /// The last knob change that was refused, with the reason; the config keeps its old value.
    pub error: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        State { policy: PolicyConfig::default(), seed: DEFAULT_SEED, error: None }
    }
}

/// What a user can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Set the knob with this dotted name from the text of its control.
    SetKnob { name: String, value: String },
    SetSeed(u64),
    DismissError,
}

impl State {
    /// Applies an action, returning the new state. A refused change keeps the old config.
    pub fn apply(&self, action: Action) -> State {
        let mut next = self.clone();
        match action {
            Action::SetKnob { name, value } => {
                let mut policy = self.policy.clone();
                match policy.set(&name, &value).map_err(|e| e.to_string()).and_then(|()| policy.validate()) {
                    Ok(()) => {
                        next.policy = policy;
                        next.error = None;
                    }
                    Err(message) => next.error = Some(message),
                }
            }
            Action::SetSeed(seed) => next.seed = seed,
            Action::DismissError => next.error = None,
        }
        next
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}
