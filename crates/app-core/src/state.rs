//! The app's one state, changed only through verb-named [`Action`]s.
//!
//! Everything a user changes (knobs, seed, mode, preset, talk mode, theme,
//! slow motion) lives here and is mirrored into the URL query by
//! [`crate::url`]. Runs produce a [`Trace`]; the view renders the state, it
//! never decides a retry. The shell wraps [`State`] for Yew's `Reducible`;
//! [`State::reduce`] is the whole reducer, so it is tested here, natively.

use std::rc::Rc;

use flaky::presets::Preset;
use flaky::sim::{RunConfig, Trace};

/// Seed used for draws until the user picks another.
pub const DEFAULT_SEED: u64 = 42;

/// Where requests go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Real `fetch` calls, real timeouts and sleeps, answered by the mock service worker.
    #[default]
    Live,
    /// The same config through the deterministic simulator, instantly.
    Simulated,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Simulated => "simulated",
        }
    }

    pub fn parse(value: &str) -> Option<Mode> {
        match value {
            "live" => Some(Mode::Live),
            "simulated" | "sim" => Some(Mode::Simulated),
            _ => None,
        }
    }
}

/// Colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow the system's preference.
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(value: &str) -> Option<Theme> {
        match value {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
}

/// Whether a run is going on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RunStatus {
    #[default]
    Idle,
    Running,
    Done,
}

impl RunStatus {
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Idle => "idle",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
        }
    }
}

/// What the user has chosen: the part of the state that goes into the URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub config: RunConfig,
    pub seed: u64,
    pub mode: Mode,
    /// The preset last picked (the config may have been changed since).
    pub preset: Option<String>,
    pub talk: bool,
    pub slow: bool,
    pub theme: Theme,
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
        }
    }
}

/// Everything the page shows is derived from this.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct State {
    pub settings: Settings,
    /// The last run's trace (live: growing while it runs).
    pub trace: Option<Rc<Trace>>,
    pub status: RunStatus,
    /// The mode the shown trace was made in.
    pub trace_mode: Option<Mode>,
    /// Bumped by every fire, so a late update of an older run is ignored.
    pub run_id: u64,
    /// The last refused knob change, with the reason; the config kept its old value.
    pub knob_error: Option<String>,
    /// Problems of the page's URL: each bad parameter, named.
    pub url_errors: Vec<String>,
    /// A live run's problem (e.g. the mock worker restarted mid-run).
    pub run_problem: Option<String>,
    /// What serves the mock endpoints, as shown in `sw-status`.
    pub transport: Option<(String, String)>,
    /// How far a running simulated run is, 0 to 1 (`None`: no progress reported).
    pub progress: Option<f64>,
}

pub use flaky::scenario::{LIVE_CALLS_MAX, SIMULATED_CALLS_MAX};

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

/// What a user (or a run) can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Set the knob with this dotted name from the text of its control.
    SetKnob {
        name: String,
        value: String,
    },
    SetSeed(String),
    SetMode(Mode),
    PickPreset(Rc<Preset>),
    /// The next (`1`) or previous (`-1`) preset in the chapter's order, as a
    /// presentation clicker walks a deck; it stops at either end.
    StepPreset(i32),
    SetTalk(bool),
    ToggleTalk,
    SetSlow(bool),
    SetTheme(Theme),
    DismissKnobError,
    DismissUrlErrors,
    /// A run started; its trace so far (empty for live, complete for simulated).
    StartRun {
        run_id: u64,
    },
    /// New trace for run `run_id`; `running: false` ends it.
    UpdateRun {
        run_id: u64,
        trace: Rc<Trace>,
        running: bool,
        problem: Option<String>,
    },
    /// A fire was refused before it started (over the limit, no transport
    /// yet): the message shows, the last run's figures stay as they were.
    RefuseRun {
        problem: String,
    },
    /// Run `run_id` is this far along (0 to 1).
    Progress {
        run_id: u64,
        fraction: f64,
    },
    /// Clear the trace and the counters.
    Reset,
    SetTransport {
        kind: String,
        detail: String,
    },
}

impl State {
    /// A state from settings read from the URL, with the URL's problems.
    pub fn from_url(settings: Settings, url_errors: Vec<String>) -> State {
        State {
            settings,
            url_errors,
            ..State::default()
        }
    }

    /// Applies an action, returning the new state. A refused change keeps the old config.
    pub fn reduce(&self, action: Action) -> State {
        let mut next = self.clone();
        match action {
            Action::SetKnob { name, value } => {
                let mut config = self.settings.config.clone();
                match config
                    .set(&name, &value)
                    .map_err(|e| e.to_string())
                    .and_then(|()| config.validate())
                {
                    Ok(()) => {
                        next.settings.config = config;
                        next.knob_error = None;
                    }
                    Err(message) => next.knob_error = Some(message),
                }
            }
            Action::SetSeed(text) => match text.trim().parse::<u64>() {
                Ok(seed) => {
                    next.settings.seed = seed;
                    next.knob_error = None;
                }
                Err(_) => {
                    next.knob_error = Some(format!(
                        "bad value `{text}` for `seed`: expected a whole number from 0 to {}",
                        u64::MAX
                    ))
                }
            },
            Action::SetMode(mode) => next.settings.mode = mode,
            Action::PickPreset(preset) => {
                next.settings.config = preset.config.clone();
                next.settings.preset = Some(preset.id.clone());
                next.knob_error = None;
            }
            Action::StepPreset(by) => {
                if let Ok(all) = crate::url::all_presets() {
                    let at = self
                        .settings
                        .preset
                        .as_deref()
                        .and_then(|id| all.iter().position(|p| p.id == id));
                    let to = match (at, by.signum()) {
                        (None, 1) => Some(0),
                        (None, _) => all.len().checked_sub(1),
                        (Some(i), 1) => Some((i + 1).min(all.len().saturating_sub(1))),
                        (Some(i), -1) => Some(i.saturating_sub(1)),
                        (Some(i), _) => Some(i),
                    };
                    if let Some(preset) = to.and_then(|i| all.get(i)) {
                        next.settings.config = preset.config.clone();
                        next.settings.preset = Some(preset.id.clone());
                        next.knob_error = None;
                    }
                }
            }
            Action::SetTalk(on) => next.settings.talk = on,
            Action::ToggleTalk => next.settings.talk = !self.settings.talk,
            Action::SetSlow(on) => next.settings.slow = on,
            Action::SetTheme(theme) => next.settings.theme = theme,
            Action::DismissKnobError => next.knob_error = None,
            Action::DismissUrlErrors => next.url_errors.clear(),
            Action::StartRun { run_id } => {
                next.run_id = run_id;
                next.status = RunStatus::Running;
                // A simulated rerun keeps the last figures on screen (shown as
                // recomputing) until the new ones arrive, so a slider drag does not flash.
                let rerun = self.settings.mode == Mode::Simulated
                    && self.trace_mode == Some(Mode::Simulated);
                if !rerun {
                    next.trace = None;
                }
                next.trace_mode = Some(self.settings.mode);
                next.run_problem = None;
                next.progress = None;
            }
            Action::RefuseRun { problem } => next.run_problem = Some(problem),
            Action::Progress { run_id, fraction } => {
                if run_id == self.run_id && self.status == RunStatus::Running {
                    next.progress = Some(fraction.clamp(0.0, 1.0));
                }
            }
            Action::UpdateRun {
                run_id,
                trace,
                running,
                problem,
            } => {
                if run_id == self.run_id && self.status == RunStatus::Running {
                    next.trace = Some(trace);
                    if !running {
                        next.progress = None;
                    }
                    next.status = if running {
                        RunStatus::Running
                    } else {
                        RunStatus::Done
                    };
                    if problem.is_some() {
                        next.run_problem = problem;
                    }
                }
            }
            Action::Reset => {
                next.trace = None;
                next.progress = None;
                next.status = RunStatus::Idle;
                next.run_problem = None;
                // Wrapping: an id only has to differ from the run it retires.
                next.run_id = self.run_id.wrapping_add(1);
            }
            Action::SetTransport { kind, detail } => next.transport = Some((kind, detail)),
        }
        next
    }
}
