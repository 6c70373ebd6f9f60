//! The replay's actions: restart, play or pause, speed, move the cursor,
//! the wall clock's ticks, stop.

use super::{Action, Replay, State, REPLAY_SPEEDS};

impl State {
    /// Applies one of the replay's actions (any other action is left alone).
    pub(super) fn apply_replay(&mut self, action: Action) {
        match action {
            Action::ReplayRestart => {
                self.replay = Some(Replay {
                    cursor_ms: 0.0,
                    playing: true,
                    speed: self.replay.map_or(REPLAY_SPEEDS[0], |r| r.speed),
                })
            }
            Action::ReplayToggle => {
                self.replay = Some(match self.replay {
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
                self.replay = Some(match self.replay {
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
                    self.replay = Some(Replay {
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
                    self.replay = Some(Replay {
                        cursor_ms,
                        playing: cursor_ms < end,
                        ..r
                    });
                }
            }
            Action::ReplayStop => self.replay = None,
            _ => {}
        }
    }
}
