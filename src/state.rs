//! The app's state as Yew holds it: [`app_core::state::State`] in a newtype,
//! because Yew's `Reducible` and the core state are both foreign here. The
//! reducer itself is [`app_core::state::State::reduce`], tested natively.

use std::ops::Deref;
use std::rc::Rc;

use yew::Reducible;

pub use app_core::state::{
    deck_ids, Action, LaneOrder, Mode, Replay, RunStatus, Settings, Side, Theme, DEFAULT_SEED,
    REPLAY_SPEEDS,
};

/// The core state, reducible by Yew. Derefs to [`app_core::state::State`].
#[derive(Clone, Debug, PartialEq, Default)]
pub struct State(pub app_core::state::State);

impl State {
    /// A state from settings read from the URL, with the URL's problems.
    pub fn from_url(settings: Settings, url_errors: Vec<String>) -> State {
        State(app_core::state::State::from_url(settings, url_errors))
    }
}

impl Deref for State {
    type Target = app_core::state::State;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(State(self.0.reduce(action)))
    }
}
