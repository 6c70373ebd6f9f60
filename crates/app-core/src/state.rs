//! The app's one state, changed only through verb-named [`Action`]s.
//!
//! Everything a user changes (knobs, seed, mode, preset, talk mode, theme,
//! slow motion) lives in [`Settings`] and is mirrored into the URL query by
//! [`crate::url`]. [`State::update`] is the whole reducer: the next state and
//! the [`Effect`]s the shell carries out (start or cancel a run in a run
//! worker, write the URL, ask for a document). So the page's decisions
//! (which side reruns, which run a cancel stops, which answer counts) are
//! tested here, natively; the shell only executes effects and renders.

use std::rc::Rc;

use flaky::presets::Preset;
use flaky::sim::{RunConfig, Trace};

use crate::effect::{Effect, ExportAnswer, ImportAnswer, WorkerEvent};
use crate::run::Fire;

mod kinds;
mod replay;
mod runs;
mod sweep;

pub use crate::settings::{
    calls_limit, deck_ids, default_deck, LaneOrder, Mode, Settings, Side, Theme, DEFAULT_SEED,
    LIVE_CALLS_MAX, SIMULATED_CALLS_MAX,
};
pub use kinds::{Replay, RunStatus, REPLAY_SPEEDS};
pub use runs::TRANSPORT_STARTING;
pub use sweep::PointsRun;

/// What the last fires ran: a simulated rerun fires the same way, an
/// unchanged B is not rerun, and the trace download reruns A in full when
/// the page kept only the first lanes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Fired {
    pub run_id: u64,
    pub what: Fire,
    /// A's config as fired (one call: one client, one call).
    pub config: RunConfig,
    pub seed: u64,
    /// What side B last ran (config, seed, mode).
    pub b: Option<(RunConfig, u64, Mode)>,
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
    /// A run's problem (e.g. the mock worker restarted mid-run), or why a fire was refused.
    pub run_problem: Option<String>,
    /// What serves the mock endpoints, as shown in `sw-status` (`None`: still connecting).
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
    /// What the last fires ran.
    pub fired: Fired,
    /// The live run still going, by run id: a newer fire, a reset or another
    /// lesson cancels it.
    pub live_run: Option<u64>,
    /// Why the run worker cannot run anything, once it broke: a fire ends at
    /// once with this reason.
    pub worker_problem: Option<String>,
    /// The latest paste's request id; only its answer counts.
    pub import_id: u64,
    /// The answer to the latest paste.
    pub imported: Option<Rc<ImportAnswer>>,
    /// The latest document's request id; only its answer counts.
    pub export_id: u64,
    /// The latest document written.
    pub exported: Option<Rc<ExportAnswer>>,
    /// The sweep's points (values of `settings.sweep`), as they come in.
    pub sweep_run: Option<PointsRun>,
    /// The library profiles' points, once asked for.
    pub profiles_run: Option<PointsRun>,
    /// Bumped by every batch of points, so a late point of an older one is ignored.
    pub batch_id: u64,
}

/// What a user (or a run) can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The page is up: write its URL and `<html>` attributes, find the mock endpoints.
    Start,
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
    /// Stop comparing: B and its trace go (a B still running is cancelled).
    StopCompare,
    /// Pin the shown run as B: B takes A's policy and keeps this run's
    /// figures (a live run is not fetched again) until B's knobs change.
    PinAsB,
    SetSeed(String),
    SetMode(Mode),
    /// Open a lesson: its config, its B (if it has one) and its mode; the old
    /// run's figures go (they belong to another lesson), a live run stops.
    PickPreset(Rc<Preset>),
    /// Open the deck's lesson at this index (a digit key).
    PickLesson(usize),
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
    /// Fire one call or the whole scenario, in the current mode.
    Fire(Fire),
    /// A run started; `with_b`: side B runs too (otherwise B's trace, still
    /// of B's config on this world, stays). [`Action::Fire`] starts runs.
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
    /// Clear the trace and the counters (and cancel a live run).
    Reset,
    /// What the watched native server served so far (`server=`): shown as
    /// a live run's trace (a fire or a lesson replaces it until the next event).
    ShowServer {
        trace: Rc<Trace>,
        problem: Option<String>,
    },
    SetTransport {
        kind: String,
        detail: String,
    },
    /// `side`'s run worker said something.
    Worker {
        side: Side,
        event: WorkerEvent,
    },
    /// Download the shown run's trace as JSON (as `playground run --trace` writes it).
    Download,
    /// Read a pasted config (a format name, the text); its knobs apply.
    Import {
        format: String,
        text: String,
    },
    /// Write the policy for a target (its name).
    Export {
        target: String,
        policy: Box<policy::PolicyConfig>,
    },
    /// Sweep a knob (or stop sweeping): its points are computed at once, and
    /// again whenever what they depend on changes.
    SetSweep(Option<crate::settings::Sweep>),
    /// The profiles chart's two measures (no rerun: every measure is in).
    SetProfileAxes(crate::settings::ProfileAxes),
    /// A click on a sweep point: `side`'s knob takes the value at `index`.
    PickSweepPoint {
        side: Side,
        index: usize,
    },
    /// Compute every library profile on A's world.
    RunProfiles,
    /// A click on a profile: B takes its client policy.
    PickProfile(String),
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

    /// The time the shown run(s) cover, ms (what a replay walks).
    pub fn run_span_ms(&self) -> f64 {
        [&self.trace, &self.trace_b]
            .iter()
            .filter_map(|t| t.as_ref())
            .map(|t| crate::run::span_ms(t))
            .max()
            .unwrap_or(0) as f64
    }

    /// Whether the shown traces are whole runs': a run is done, or they are
    /// simulated (a simulated trace arrives whole; a rerun keeps the last
    /// one on screen until the new one is in). Only a live run's trace grows.
    /// The timeline draws a whole run on its final axis, so a rerun does not
    /// redraw every lane twice (once on a growing axis, once when done).
    pub fn traces_whole(&self) -> bool {
        self.status == RunStatus::Done || self.trace_mode == Some(Mode::Simulated)
    }

    /// The reducer: the state after `action`, and what the shell must do, in
    /// order. A refused change keeps the old config.
    pub fn update(&self, action: Action) -> (State, Vec<Effect>) {
        let mut next = self.clone();
        let mut effects = Vec::new();
        next.apply(action, &mut effects);
        next.follow_settings(&self.settings, &mut effects);
        (next, effects)
    }

    /// The state after `action`, its effects dropped (for a look at the state alone).
    pub fn reduce(&self, action: Action) -> State {
        self.update(action).0
    }

    /// What changed settings set off: a simulated rerun, the URL, `<html>`.
    fn follow_settings(&mut self, before: &Settings, fx: &mut Vec<Effect>) {
        if self.settings == *before {
            return;
        }
        self.follow_sweep(before, fx);
        let s = &self.settings;
        let run_inputs_changed = (&s.config, &s.b, s.seed, s.mode)
            != (&before.config, &before.b, before.seed, before.mode);
        // Simulated mode recomputes as the user moves a control, once something
        // was fired; a change while a run computes replaces that run.
        if run_inputs_changed
            && s.mode == Mode::Simulated
            && self.status != RunStatus::Idle
            && self.trace_mode == Some(Mode::Simulated)
        {
            self.fire(self.fired.what, fx);
        }
        fx.push(Effect::WriteUrl(crate::url::to_query(&self.settings)));
        if (before.theme, before.talk) != (self.settings.theme, self.settings.talk) {
            fx.push(self.root_attrs());
        }
    }

    fn root_attrs(&self) -> Effect {
        Effect::SetRootAttrs {
            theme: self.settings.theme,
            talk: self.settings.talk,
        }
    }

    /// Opens a lesson: its config, its B, its mode; the old figures go. A
    /// library profile sets only the client policy: the endpoint, the
    /// scenario, the mode and B stay, so the library meets the world on screen.
    fn open_lesson(&mut self, preset: &Preset, fx: &mut Vec<Effect>) {
        if preset.deck == flaky::presets::Deck::Profile {
            self.settings.config.policy = preset.config.policy.clone();
        } else {
            self.settings.config = preset.config.clone();
            self.settings.b = preset.config_b.clone();
            self.settings.mode = preset.mode.into();
            self.settings.lanes = LaneOrder::for_lesson(&preset.headline);
        }
        self.settings.preset = Some(preset.id.clone());
        self.knob_error = None;
        self.clear_results(fx);
    }

    /// The lesson `by` steps from the current one in the deck (it stops at
    /// either end), if that is another lesson.
    fn step_lesson(&self, by: i32) -> Option<&'static Preset> {
        let deck = crate::settings::deck(&self.settings);
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
        // At either end of the deck the lesson (and its figures) stays.
        to.filter(|_| at != to).and_then(|i| deck.get(i).copied())
    }

    fn set_knob(&mut self, name: &str, value: &str) {
        let mut config = self.settings.config.clone();
        match config
            .set(name, value)
            .map_err(|e| e.to_string())
            .and_then(|()| config.validate())
        {
            Ok(()) => {
                self.settings.config = config;
                self.knob_error = None;
            }
            Err(message) => self.knob_error = Some(message),
        }
    }

    fn set_knob_b(&mut self, name: &str, value: &str) {
        let Some(mut config) = self.settings.config_b() else {
            return;
        };
        let outcome = if !policy::PolicyConfig::knobs().iter().any(|k| k.name == name)
            && !name.starts_with("retry.status.")
        {
            Err(format!(
                "`{name}`: B differs from A only in the client policy"
            ))
        } else {
            config
                .set(name, value)
                .map_err(|e| e.to_string())
                .and_then(|()| config.validate())
        };
        match outcome {
            Ok(()) => {
                self.settings.b = Some(config.policy);
                self.knob_error = None;
                self.b_pinned = false;
            }
            Err(message) => self.knob_error = Some(format!("B: {message}")),
        }
    }

    fn set_seed(&mut self, text: &str) {
        match text.trim().parse::<u64>() {
            Ok(seed) => {
                self.settings.seed = seed;
                self.knob_error = None;
            }
            Err(_) => {
                self.knob_error = Some(format!(
                    "bad value `{text}` for `seed`: expected a whole number from 0 to {}",
                    u64::MAX
                ))
            }
        }
    }

    /// Applies one action in place, queueing its effects.
    fn apply(&mut self, action: Action, fx: &mut Vec<Effect>) {
        match action {
            Action::Start => {
                fx.push(Effect::WriteUrl(crate::url::to_query(&self.settings)));
                fx.push(self.root_attrs());
                fx.push(Effect::Connect);
                if let Some(origin) = &self.settings.server {
                    fx.push(Effect::WatchServer(origin.clone()));
                }
                self.start_sweep(fx);
            }
            Action::SetKnob { name, value } => self.set_knob(&name, &value),
            Action::SetKnobB { name, value } => self.set_knob_b(&name, &value),
            Action::StartCompare => {
                if self.settings.b.is_none() {
                    self.settings.b = Some(self.settings.config.policy.clone());
                    self.trace_b = None;
                }
            }
            Action::PinAsB => {
                if let (Some(trace), RunStatus::Done) = (&self.trace, self.status) {
                    self.trace_b = Some(trace.clone());
                    self.settings.b = Some(self.settings.config.policy.clone());
                    self.b_pinned = true;
                }
            }
            Action::StopCompare => self.stop_compare(fx),
            Action::SetSeed(text) => self.set_seed(&text),
            Action::SetMode(mode) => self.settings.mode = mode,
            Action::PickPreset(preset) => self.open_lesson(&preset, fx),
            Action::PickLesson(index) => {
                if let Some(preset) = crate::settings::deck(&self.settings).get(index) {
                    self.open_lesson(preset, fx);
                }
            }
            Action::StepPreset(by) => {
                if let Some(preset) = self.step_lesson(by) {
                    self.open_lesson(preset, fx);
                }
            }
            replay @ (Action::ReplayRestart
            | Action::ReplayToggle
            | Action::ReplaySpeed(_)
            | Action::ReplayTo(_)
            | Action::ReplayTick(_)
            | Action::ReplayStop) => self.apply_replay(replay),
            Action::SetTalk(on) => self.settings.talk = on,
            Action::ToggleTalk => self.settings.talk = !self.settings.talk,
            Action::SetSlow(on) => self.settings.slow = on,
            Action::SetTheme(theme) => self.settings.theme = theme,
            Action::SetLaneOrder(order) => self.settings.lanes = order,
            Action::DismissKnobError => self.knob_error = None,
            Action::DismissUrlErrors => self.url_errors.clear(),
            Action::Fire(what) => self.fire(what, fx),
            Action::StartRun { run_id, with_b } => self.start_run(run_id, with_b),
            Action::UpdateRun {
                run_id,
                side,
                trace,
                running,
                problem,
            } => self.update_run(run_id, side, trace, running, problem),
            Action::RefuseRun { problem } => self.run_problem = Some(problem),
            Action::Progress { run_id, fraction } => {
                if run_id == self.run_id && self.status == RunStatus::Running {
                    self.progress = Some(fraction.clamp(0.0, 1.0));
                }
            }
            Action::Reset => self.clear_results(fx),
            Action::ShowServer { trace, problem } => {
                self.trace = Some(trace);
                self.trace_mode = Some(Mode::Live);
                self.status = RunStatus::Running;
                self.running.0 = true;
                self.run_problem = problem;
            }
            Action::SetTransport { kind, detail } => self.transport = Some((kind, detail)),
            Action::Worker { side, event } => self.on_worker(side, event, fx),
            Action::Download => self.download(fx),
            Action::Import { format, text } => self.import(format, text, fx),
            Action::Export { target, policy } => self.export(target, policy, fx),
            Action::SetSweep(sweep) => self.settings.sweep = sweep,
            Action::SetProfileAxes(axes) => self.settings.profile_axes = axes,
            Action::PickSweepPoint { side, index } => self.pick_sweep_point(side, index),
            Action::RunProfiles => self.start_profiles(fx),
            Action::PickProfile(id) => self.pick_profile(&id),
        }
    }
}
