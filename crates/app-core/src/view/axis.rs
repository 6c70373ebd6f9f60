//! The timeline's time axis: it ends just past the last thing drawn, so the
//! lanes use the width (a run whose calls end by 1.3 s is not drawn on 5 s).

use flaky::sim::CallTrace;

/// How far past the last event the axis may end: a tenth.
pub const AXIS_SLACK_DIVISOR: u64 = 10;

/// The latest time anything on these lanes happens (an attempt's end or
/// start, a sleep's end, a call's end), ms; 0 for no lanes.
pub fn last_event_ms<'a>(calls: impl IntoIterator<Item = &'a CallTrace>) -> u64 {
    calls
        .into_iter()
        .flat_map(|c| {
            let attempts = c.attempts.iter().map(|a| a.end_ms.unwrap_or(a.start_ms));
            let sleeps = c.sleeps.iter().map(|s| s.until_ms);
            attempts
                .chain(sleeps)
                .chain(c.end_ms)
                .chain(std::iter::once(c.start_ms))
        })
        .max()
        .unwrap_or(0)
}

/// The axis end for a last event at `last_ms`: the roundest multiple of a
/// 1-2-5 step that is at least `last_ms` and at most a tenth past it
/// (`last_ms` itself when none is); at least 1.
pub fn axis_end_ms(last_ms: u64) -> u64 {
    let last = last_ms.max(1);
    let limit = last.saturating_add(last / AXIS_SLACK_DIVISOR);
    let mut step = 1u64;
    while step <= last / 10 {
        step = step.saturating_mul(10);
    }
    // From the coarsest step down: 10^k, 5·10^(k-1), 2·10^(k-1), 10^(k-1), ...
    while step > 0 {
        for s in [step, step / 2, step / 5] {
            if s == 0 {
                continue;
            }
            let end = last.div_ceil(s).saturating_mul(s);
            if end <= limit {
                return end;
            }
        }
        step /= 10;
    }
    last
}

/// The last event the timeline's axis covers: the lanes' last event, the
/// run's end when a drawn call is still unfinished (its hung bar lasts until
/// then: a lesson about hanging calls shows where they were cut), or the end
/// of an outage or spike of the run (cut at the run's end), if later, so that
/// a band the lesson is about is on the picture.
pub fn last_shown_ms<'a>(
    calls: impl IntoIterator<Item = &'a CallTrace>,
    windows: &[flaky::sim::WindowTrace],
    end_ms: u64,
) -> u64 {
    let calls: Vec<&CallTrace> = calls.into_iter().collect();
    let hung = calls.iter().any(|c| c.end_ms.is_none());
    let windows = windows
        .iter()
        .filter(|w| w.from_ms < end_ms)
        .map(|w| w.until_ms.min(end_ms));
    let lanes = last_event_ms(calls.iter().copied());
    let lanes = if hung { lanes.max(end_ms) } else { lanes };
    windows.fold(lanes, u64::max)
}
