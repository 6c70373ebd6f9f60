//! The state's own small kinds: the replay and the run status.

/// How fast a replay moves through the run's time.
pub const REPLAY_SPEEDS: [f64; 3] = [0.25, 1.0, 4.0];

/// The replay of a finished run: a time cursor that plays, pauses and restarts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Replay {
    /// Where the cursor is, in the run's time (ms).
    pub cursor_ms: f64,
    pub playing: bool,
    /// Run time per wall-clock time (one of [`REPLAY_SPEEDS`]).
    pub speed: f64,
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
