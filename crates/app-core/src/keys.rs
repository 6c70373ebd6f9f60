//! The page's shortcuts, as a key map: Space fires, R resets, P plays the
//! replay, T the talk stage, digits pick the deck's lessons, →/← and a
//! clicker's PageDown/PageUp walk the deck. The shell listens for keys and
//! decides only whether a key is for text entry or a focused control.

use crate::run::Fire;
use crate::state::Action;

/// What a key does.
#[derive(Clone, Debug, PartialEq)]
pub struct Shortcut {
    pub action: Action,
    /// The browser's own use of the key (Space scrolls, arrows scroll) is
    /// cancelled.
    pub prevent_default: bool,
}

/// The shortcut for a `KeyboardEvent.key`, if the key has one.
pub fn shortcut(key: &str) -> Option<Shortcut> {
    let (action, prevent_default) = match key {
        " " => (Action::Fire(Fire::Scenario), true),
        "r" | "R" => (Action::Reset, false),
        "t" | "T" => (Action::ToggleTalk, false),
        "p" | "P" => (Action::ReplayToggle, false),
        // A presentation clicker sends PageDown/PageUp (or arrows).
        "PageDown" | "ArrowRight" => (Action::StepPreset(1), true),
        "PageUp" | "ArrowLeft" => (Action::StepPreset(-1), true),
        key => (Action::PickLesson(preset_index_for_key(key)?), false),
    };
    Some(Shortcut {
        action,
        prevent_default,
    })
}

/// Keys a focused select or slider keeps for itself (they change its value).
pub fn is_navigation_key(key: &str) -> bool {
    matches!(
        key,
        "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "PageUp" | "PageDown"
    )
}

/// Digits 1–9 pick the deck's lessons 1–9; 0 picks the tenth.
pub fn preset_index_for_key(key: &str) -> Option<usize> {
    match key {
        "0" => Some(9),
        k if k.len() == 1 => k.parse::<usize>().ok().filter(|d| *d >= 1).map(|d| d - 1),
        _ => None,
    }
}
