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
use policy::PolicyConfig;

/// Seed used for draws until the user picks another.
pub const DEFAULT_SEED: u64 = 42;

mod kinds;

pub use kinds::{LaneOrder, Mode, Replay, RunStatus, Side, Theme, REPLAY_SPEEDS};

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
        }
    }
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
        None => crate::url::all_presets()
            .map(default_deck)
            .unwrap_or_default(),
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
    /// Side B's trace, when comparing.
    pub trace_b: Option<Rc<Trace>>,
    /// Whether each side of the run is still going (A, B).
    pub running: (bool, bool),
    /// The replay's cursor, once a finished run is replayed.
    pub replay: Option<Replay>,
    /// B is a pinned earlier run: its figures stay while A is rerun.
    pub b_pinned: bool,
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

/// What a user (or a run) can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Set the knob with this dotted name from the text of its control.
    SetKnob {
        name: String,
        value: String,
    },
    /// Set one of B's policy knobs.
    SetKnobB {
        name: String,
        value: String,
    },
    /// Compare: B starts as a copy of A's policy.
    StartCompare,
    /// Stop comparing: B and its trace go.
    StopCompare,
    /// Pin the shown run as B: B takes A's policy and keeps this run's
    /// figures (a live run is not fetched again) until B's knobs change.
    PinAsB,
    SetSeed(String),
    SetMode(Mode),
    /// Open a lesson: its config, its B (if it has one) and its mode; the old
    /// run's figures go (they belong to another lesson).
    PickPreset(Rc<Preset>),
    /// The next (`1`) or previous (`-1`) lesson of the deck, as a
    /// presentation clicker walks it; it stops at either end.
    StepPreset(i32),
    /// Replay the shown run from its start (playing).
    ReplayRestart,
    /// Play or pause the replay.
    ReplayToggle,
    /// Replay speed, run time per wall time.
    ReplaySpeed(f64),
    /// Move the replay's cursor (ms of run time); the replay pauses at its end.
    ReplayTo(f64),
    /// Wall-clock time passed (ms): a playing replay moves by it times its speed.
    ReplayTick(f64),
    /// End the replay: everything shows the whole run again.
    ReplayStop,
    SetTalk(bool),
    ToggleTalk,
    SetSlow(bool),
    SetTheme(Theme),
    SetLaneOrder(LaneOrder),
    DismissKnobError,
    DismissUrlErrors,
    /// A run started; `with_b`: side B runs too (otherwise B's trace, still
    /// of B's config on this world, stays).
    StartRun {
        run_id: u64,
        with_b: bool,
    },
    /// New trace for one side of run `run_id`; `running: false` ends that side.
    UpdateRun {
        run_id: u64,
        side: Side,
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

    /// The old run's figures go: a new lesson, or Reset. A run still going
    /// is retired (its late updates are ignored).
    fn clear_results(&mut self) {
        self.b_pinned = false;
        self.trace = None;
        self.trace_b = None;
        self.progress = None;
        self.status = RunStatus::Idle;
        self.running = (false, false);
        self.run_problem = None;
        self.replay = None;
        // Wrapping: an id only has to differ from the run it retires.
        self.run_id = self.run_id.wrapping_add(1);
    }

    /// Opens a lesson: its config, its B, its mode; the old figures go. A
    /// library profile sets only the client policy: the endpoint, the
    /// scenario, the mode and B stay, so the library meets the world on screen.
    fn open_lesson(&mut self, preset: &Preset) {
        if preset.deck == flaky::presets::Deck::Profile {
            self.settings.config.policy = preset.config.policy.clone();
            self.settings.preset = Some(preset.id.clone());
            self.knob_error = None;
            self.clear_results();
            return;
        }
        self.settings.config = preset.config.clone();
        self.settings.b = preset.config_b.clone();
        self.settings.preset = Some(preset.id.clone());
        self.settings.mode = preset.mode.into();
        self.settings.lanes = LaneOrder::for_lesson(&preset.headline);
        self.knob_error = None;
        self.clear_results();
    }

    /// The time the shown run(s) cover, ms (what a replay walks).
    pub fn run_span_ms(&self) -> f64 {
        [&self.trace, &self.trace_b]
            .iter()
            .filter_map(|t| t.as_ref())
            .map(|t| crate::view::span_ms(t))
            .max()
            .unwrap_or(0) as f64
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
            Action::SetKnobB { name, value } => {
                let Some(b) = self.settings.config_b() else {
                    return next;
                };
                let mut config = b;
                let outcome = if !policy::PolicyConfig::knobs().iter().any(|k| k.name == name)
                    && !name.starts_with("retry.status.")
                {
                    Err(format!(
                        "`{name}`: B differs from A only in the client policy"
                    ))
                } else {
                    config
                        .set(&name, &value)
                        .map_err(|e| e.to_string())
                        .and_then(|()| config.validate())
                };
                match outcome {
                    Ok(()) => {
                        next.settings.b = Some(config.policy);
                        next.knob_error = None;
                        next.b_pinned = false;
                    }
                    Err(message) => next.knob_error = Some(format!("B: {message}")),
                }
            }
            Action::StartCompare => {
                if self.settings.b.is_none() {
                    next.settings.b = Some(self.settings.config.policy.clone());
                    next.trace_b = None;
                }
            }
            Action::PinAsB => {
                if let (Some(trace), RunStatus::Done) = (&self.trace, self.status) {
                    next.settings.b = Some(self.settings.config.policy.clone());
                    next.trace_b = Some(trace.clone());
                    next.b_pinned = true;
                }
            }
            Action::StopCompare => {
                next.b_pinned = false;
                next.settings.b = None;
                next.trace_b = None;
                next.running.1 = false;
                if !self.running.0 && self.status == RunStatus::Running {
                    next.status = RunStatus::Done;
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
            Action::PickPreset(preset) => next.open_lesson(&preset),
            Action::StepPreset(by) => {
                if let Ok(all) = crate::url::all_presets() {
                    let deck: Vec<&Preset> = deck_ids(&self.settings)
                        .iter()
                        .filter_map(|id| all.iter().find(|p| &p.id == id))
                        .collect();
                    let at = self
                        .settings
                        .preset
                        .as_deref()
                        .and_then(|id| deck.iter().position(|p| p.id == id));
                    let to = match (at, by.signum()) {
                        (None, 1) => Some(0),
                        (None, _) => deck.len().checked_sub(1),
                        (Some(i), 1) => Some((i + 1).min(deck.len().saturating_sub(1))),
                        (Some(i), -1) => Some(i.saturating_sub(1)),
                        (Some(i), _) => Some(i),
                    };
                    if let Some(preset) = to.and_then(|i| deck.get(i)) {
                        // At either end of the deck the lesson (and its figures) stays.
                        if at != to {
                            next.open_lesson(preset);
                        }
                    }
                }
            }
            Action::ReplayRestart => {
                next.replay = Some(Replay {
                    cursor_ms: 0.0,
                    playing: true,
                    speed: self.replay.map_or(REPLAY_SPEEDS[0], |r| r.speed),
                })
            }
            Action::ReplayToggle => {
                next.replay = Some(match self.replay {
                    Some(r) if r.cursor_ms >= self.run_span_ms() => Replay {
                        cursor_ms: 0.0,
                        playing: true,
                        ..r
                    },
                    Some(r) => Replay {
                        playing: !r.playing,
                        ..r
                    },
                    None => Replay {
                        cursor_ms: 0.0,
                        playing: true,
                        speed: REPLAY_SPEEDS[0],
                    },
                })
            }
            Action::ReplaySpeed(speed) => {
                let speed = if REPLAY_SPEEDS.contains(&speed) {
                    speed
                } else {
                    REPLAY_SPEEDS[0]
                };
                next.replay = Some(match self.replay {
                    Some(r) => Replay { speed, ..r },
                    None => Replay {
                        cursor_ms: 0.0,
                        playing: false,
                        speed,
                    },
                })
            }
            Action::ReplayTo(at) => {
                if let Some(r) = self.replay {
                    let end = self.run_span_ms();
                    let cursor_ms = if at.is_finite() {
                        at.clamp(0.0, end)
                    } else {
                        end
                    };
                    next.replay = Some(Replay {
                        cursor_ms,
                        playing: r.playing && cursor_ms < end,
                        ..r
                    });
                }
            }
            Action::ReplayTick(wall_ms) => {
                if let Some(r) = self.replay.filter(|r| r.playing) {
                    let end = self.run_span_ms();
                    let cursor_ms = (r.cursor_ms + wall_ms.max(0.0) * r.speed).min(end);
                    next.replay = Some(Replay {
                        cursor_ms,
                        playing: cursor_ms < end,
                        ..r
                    });
                }
            }
            Action::ReplayStop => next.replay = None,
            Action::SetTalk(on) => next.settings.talk = on,
            Action::ToggleTalk => next.settings.talk = !self.settings.talk,
            Action::SetSlow(on) => next.settings.slow = on,
            Action::SetTheme(theme) => next.settings.theme = theme,
            Action::SetLaneOrder(order) => next.settings.lanes = order,
            Action::DismissKnobError => next.knob_error = None,
            Action::DismissUrlErrors => next.url_errors.clear(),
            Action::StartRun { run_id, with_b } => {
                next.run_id = run_id;
                next.status = RunStatus::Running;
                // A simulated rerun keeps the last figures on screen (shown as
                // recomputing) until the new ones arrive, so a slider drag does not flash.
                let rerun = self.settings.mode == Mode::Simulated
                    && self.trace_mode == Some(Mode::Simulated);
                if !rerun {
                    next.trace = None;
                    if with_b {
                        next.trace_b = None;
                    }
                }
                if self.settings.b.is_none() {
                    next.trace_b = None;
                }
                next.running = (true, with_b);
                next.trace_mode = Some(self.settings.mode);
                next.run_problem = None;
                next.progress = None;
                // Slow motion is what its label says: a replay at a quarter speed.
                next.replay = self.settings.slow.then_some(Replay {
                    cursor_ms: 0.0,
                    playing: false,
                    speed: REPLAY_SPEEDS[0],
                });
            }
            Action::RefuseRun { problem } => next.run_problem = Some(problem),
            Action::Progress { run_id, fraction } => {
                if run_id == self.run_id && self.status == RunStatus::Running {
                    next.progress = Some(fraction.clamp(0.0, 1.0));
                }
            }
            Action::UpdateRun {
                run_id,
                side,
                trace,
                running,
                problem,
            } => {
                let side_running = match side {
                    Side::A => self.running.0,
                    Side::B => self.running.1,
                };
                if run_id == self.run_id && self.status == RunStatus::Running && side_running {
                    match side {
                        Side::A => {
                            next.trace = Some(trace);
                            next.running.0 = running;
                        }
                        Side::B => {
                            next.trace_b = Some(trace);
                            next.running.1 = running;
                        }
                    }
                    if !next.running.0 && !next.running.1 {
                        next.progress = None;
                        next.status = RunStatus::Done;
                        // A slow-motion replay starts once the whole run is in.
                        if let Some(r) = next.replay.filter(|_| self.settings.slow) {
                            next.replay = Some(Replay {
                                cursor_ms: 0.0,
                                playing: true,
                                ..r
                            });
                        }
                    }
                    if let Some(problem) = problem {
                        next.run_problem = Some(match (side, self.settings.b.is_some()) {
                            (Side::B, _) => format!("B: {problem}"),
                            _ => problem,
                        });
                    }
                }
            }
            Action::Reset => next.clear_results(),
            Action::SetTransport { kind, detail } => next.transport = Some((kind, detail)),
        }
        next
    }
}
