//! The app's state as Yew holds it: [`app_core::state::State`] in a newtype,
//! because Yew's `Reducible` and the core state are both foreign here. The
//! reducer itself is [`app_core::state::State::update`], tested natively; the
//! effects it returns wait in an outbox until `crate::effects` carries them
//! out: in a microtask queued by the dispatch, before Yew's render of it
//! (never inside the dispatch itself), so a knob change's run is on its way
//! to the run worker while the page draws the change.

use std::cell::{Cell, RefCell};
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
    outbox: Rc<Outbox>,
    /// How many actions made this state: two states are equal when one
    /// action history made both. (Comparing the cores walked both runs'
    /// traces, call by call, on every render of the context's consumers.)
    version: u64,
}

/// What carries the effects out (`crate::effects::Executor::execute`).
pub type Carrier = Rc<dyn Fn(Effect)>;

/// The effects waiting, and who carries them out once the page has an executor.
#[derive(Default)]
struct Outbox {
    effects: RefCell<Vec<Effect>>,
    carrier: RefCell<Option<Carrier>>,
    /// Whether a microtask to carry them out is queued.
    queued: Cell<bool>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("effects", &self.effects)
            .field("queued", &self.queued)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Carries out the effects waiting, oldest first (those an effect's own
    /// dispatch adds too); without a carrier yet they wait for `set_carrier`.
    fn flush(&self) {
        let Some(carrier) = self.carrier.borrow().clone() else {
            return;
        };
        loop {
            let effects = std::mem::take(&mut *self.effects.borrow_mut());
            if effects.is_empty() {
                return;
            }
            for effect in effects {
                carrier(effect);
            }
        }
    }
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

impl State {
    /// A state from settings read from the URL, with the URL's problems.
    pub fn from_url(settings: Settings, url_errors: Vec<String>) -> State {
        State {
            core: app_core::state::State::from_url(settings, url_errors),
            outbox: Rc::default(),
            version: 0,
        }
    }

    /// From now on, `carrier` carries out each effect, in a microtask after
    /// the dispatch that asked for it; the effects already waiting go now.
    pub fn set_carrier(&self, carrier: Carrier) {
        *self.outbox.carrier.borrow_mut() = Some(carrier);
        self.outbox.flush();
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
        if !effects.is_empty() {
            self.outbox.effects.borrow_mut().extend(effects);
            // Queued before the dispatch asks Yew to render: this microtask
            // runs first. Yew's `dispatch` holds the state borrowed here, so
            // the effects (which may dispatch) cannot be carried out inline.
            if !self.outbox.queued.replace(true) {
                let outbox = self.outbox.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    outbox.queued.set(false);
                    outbox.flush();
                });
            }
        }
        Rc::new(State {
            core,
            outbox: self.outbox.clone(),
            version: self.version + 1,
        })
    }
}
