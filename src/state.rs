//! The app's state as Yew holds it: [`app_core::state::State`] in a newtype,
//! because Yew's `Reducible` and the core state are both foreign here. The
//! reducer itself is [`app_core::state::State::update`], tested natively; the
//! effects it returns wait in an outbox until `crate::effects` carries them
//! out, after the render (never inside a dispatch).

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use app_core::effect::Effect;
use yew::Reducible;

pub use app_core::state::{
    deck_ids, Action, LaneOrder, Mode, Replay, RunStatus, Settings, Side, Theme, DEFAULT_SEED,
    REPLAY_SPEEDS,
};

/// The core state, reducible by Yew. Derefs to [`app_core::state::State`].
#[derive(Clone, Debug, Default)]
pub struct State {
    core: app_core::state::State,
    /// Effects not yet carried out, in order; shared by every state of one page.
    outbox: Rc<RefCell<Vec<Effect>>>,
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.core == other.core
    }
}

impl State {
    /// A state from settings read from the URL, with the URL's problems.
    pub fn from_url(settings: Settings, url_errors: Vec<String>) -> State {
        State {
            core: app_core::state::State::from_url(settings, url_errors),
            outbox: Rc::default(),
        }
    }

    /// The effects waiting, oldest first; they leave the outbox.
    pub fn take_effects(&self) -> Vec<Effect> {
        std::mem::take(&mut *self.outbox.borrow_mut())
    }
}

impl Deref for State {
    type Target = app_core::state::State;

    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let (core, effects) = self.core.update(action);
        self.outbox.borrow_mut().extend(effects);
        Rc::new(State {
            core,
            outbox: self.outbox.clone(),
        })
    }
}
