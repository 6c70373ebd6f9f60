//! What the user has chosen ([`Settings`]: knobs, seed, mode, lesson, talk
//! mode, theme, policy B, the deck, the lane order) and the lessons it draws
//! on. The one module the reducer ([`crate::state`]), the URL codec
//! ([`crate::url`]) and the view model ([`crate::view`]) all read, so none of
//! them imports another for a shared type.

use std::sync::OnceLock;

use flaky::presets::{self, Preset};
use flaky::sim::RunConfig;
use policy::PolicyConfig;

mod kinds;
mod sweep;

pub use flaky::scenario::{LIVE_CALLS_MAX, SIMULATED_CALLS_MAX};
pub use kinds::{LaneOrder, Mode, Side, Theme};
pub use sweep::{
    sweep_measure, ProfileAxes, Sweep, SweepRange, SWEEP_MEASURES, SWEEP_SEEDS_DEFAULT,
    SWEEP_SEEDS_MAX,
};

/// Seed used for draws until the user picks another.
pub const DEFAULT_SEED: u64 = 42;

/// What the user has chosen: the part of the state that goes into the URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub config: RunConfig,
    pub seed: u64,
    pub mode: Mode,
    /// The preset last picked (the config may have been changed since).
    pub preset: Option<String>,
    pub talk: bool,
    /// Replay every run from its start at a quarter of its speed.
    pub slow: bool,
    pub theme: Theme,
    /// Policy B, compared with A's (`config.policy`) on the same world.
    pub b: Option<PolicyConfig>,
    /// The lessons ←/→ walk, by id (`None`: the default deck, see [`deck_ids`]).
    pub deck: Option<Vec<String>>,
    /// Which calls the timelines draw in detail (`lanes=` in the URL).
    pub lanes: LaneOrder,
    /// The native mock server the page watches (`server=`, a loopback
    /// origin, see [`crate::server::parse_origin`]); `None`: none.
    pub server: Option<String>,
    /// The knob swept on both sides (`sweep=` in the URL), if any.
    pub sweep: Option<Sweep>,
    /// The profiles chart's two measures (`profiles.x=`, `profiles.y=`).
    pub profile_axes: ProfileAxes,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            config: RunConfig::default(),
            seed: DEFAULT_SEED,
            mode: Mode::default(),
            preset: None,
            talk: false,
            slow: false,
            theme: Theme::default(),
            b: None,
            deck: None,
            lanes: LaneOrder::default(),
            server: None,
            sweep: None,
            profile_axes: ProfileAxes::default(),
        }
    }
}

/// Every preset, in the chapter's order, parsed once.
pub fn all_presets() -> Result<&'static [Preset], String> {
    static PRESETS: OnceLock<Result<Vec<Preset>, String>> = OnceLock::new();
    PRESETS
        .get_or_init(presets::all)
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The default deck: the chapter's lessons in order, then the lessons beyond it.
pub fn default_deck(all: &[Preset]) -> Vec<String> {
    use flaky::presets::Deck;
    [Deck::Chapter, Deck::Beyond]
        .iter()
        .flat_map(|d| all.iter().filter(move |p| p.deck == *d))
        .map(|p| p.id.clone())
        .collect()
}

/// The ids of the deck the settings walk.
pub fn deck_ids(settings: &Settings) -> Vec<String> {
    match &settings.deck {
        Some(ids) => ids.clone(),
        None => all_presets().map(default_deck).unwrap_or_default(),
    }
}

/// The lessons of the deck the settings walk, in order (unknown ids skipped).
pub fn deck(settings: &Settings) -> Vec<&'static Preset> {
    let Ok(all) = all_presets() else {
        return Vec::new();
    };
    deck_ids(settings)
        .iter()
        .filter_map(|id| all.iter().find(|p| &p.id == id))
        .collect()
}

/// The most calls a run of `mode` may make, and why, for the fire bar.
pub fn calls_limit(mode: Mode) -> (u64, &'static str) {
    match mode {
        Mode::Live => (
            LIVE_CALLS_MAX,
            "a live run makes real fetches in this tab; beyond this the browser's own queue, not the policy, shapes the result: simulate storms this big",
        ),
        Mode::Simulated => (
            SIMULATED_CALLS_MAX,
            "the page simulates at most a million calls; the command line (playground run) runs more",
        ),
    }
}

impl Settings {
    /// B's whole config: A's world (endpoint, scenario) with B's client policy.
    pub fn config_b(&self) -> Option<RunConfig> {
        self.b.as_ref().map(|policy| RunConfig {
            policy: policy.clone(),
            ..self.config.clone()
        })
    }

    /// The policy knobs where B differs from A, by name.
    pub fn b_differs(&self) -> Vec<String> {
        self.config_b()
            .map(|b| {
                b.knobs_differing_from(&self.config)
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `sim.clients × sim.calls`.
    pub fn calls(&self) -> u64 {
        u64::from(self.config.scenario.clients) * u64::from(self.config.scenario.calls_per_client)
    }

    /// Why the scenario cannot be fired in the current mode, if it cannot.
    pub fn over_limit(&self) -> Option<String> {
        let (max, why) = calls_limit(self.mode);
        let calls = self.calls();
        (calls > max).then(|| {
            format!(
                "{} clients × {} calls = {calls} calls is over the limit of {max}: {why}.",
                self.config.scenario.clients, self.config.scenario.calls_per_client
            )
        })
    }
}
