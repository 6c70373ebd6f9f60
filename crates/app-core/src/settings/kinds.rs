//! The settings' small kinds: the mode, the side of a comparison, the theme,
//! the timeline's lane order.

use flaky::presets::PresetMode;

/// Where requests go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Real `fetch` calls, real timeouts and sleeps, answered by the mock service worker.
    #[default]
    Live,
    /// The same config through the deterministic simulator, instantly.
    Simulated,
}

impl From<PresetMode> for Mode {
    fn from(mode: PresetMode) -> Mode {
        match mode {
            PresetMode::Live => Mode::Live,
            PresetMode::Simulated => Mode::Simulated,
        }
    }
}

/// One side of a comparison: A (the config) or B (A with another client policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Side {
    #[default]
    A,
    B,
}

impl Side {
    /// A's 0, B's 1: where a side's slot is in a pair (its run worker, its run).
    pub fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
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

/// Which calls the timeline draws in detail, and in what order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LaneOrder {
    /// The first calls, in the order they started.
    #[default]
    Start,
    /// The slowest calls first (an unfinished call counts to the run's end),
    /// so a run's tail is on screen whatever its size.
    Slowest,
}

impl LaneOrder {
    pub fn name(self) -> &'static str {
        match self {
            LaneOrder::Start => "start",
            LaneOrder::Slowest => "slowest",
        }
    }

    /// The order a lesson opens with: slowest first when its headline is a
    /// tail (a latency percentile, calls left unfinished, or requests shed), so the calls
    /// that make the figure are the lanes on screen; start order otherwise.
    pub fn for_lesson(headline: &str) -> LaneOrder {
        // A tail, calls left hanging, or requests shed in a storm: the first
        // calls to start are the lucky ones, so the slowest show the lesson.
        if headline.starts_with("latency_ms") || matches!(headline, "unfinished" | "shed") {
            LaneOrder::Slowest
        } else {
            LaneOrder::Start
        }
    }

    pub fn parse(value: &str) -> Option<LaneOrder> {
        match value {
            "start" => Some(LaneOrder::Start),
            "slowest" => Some(LaneOrder::Slowest),
            _ => None,
        }
    }
}
