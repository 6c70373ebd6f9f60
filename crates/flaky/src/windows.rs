//! Lists of time windows in one knob value: outages
//! (`endpoint.outages=20000+30000,80000+10000`, each `START+DURATION` in ms)
//! and arrival-rate spikes (`sim.spike=10000+5000*3`, each
//! `START+DURATION*FACTOR`).
//!
//! | text | meaning |
//! |---|---|
//! | `none` or empty | no window |
//! | `20000+30000` | from 20,000 ms for 30,000 ms: `[20000, 50000)` |
//! | `20000+30000,80000+10000` | two windows (any order; they may overlap) |
//! | `10000+5000*3` | a spike: gaps between arrivals divided by 3 during `[10000, 15000)` |
//!
//! A bad list is refused whole, and the error names the bad part
//! (`part 2 "8000x"`) and why. Written back, a list reads the same way
//! ([`format_outages`], [`format_spikes`]), so `get` then `set` changes nothing.

use policy::knob::KnobError;
use serde::{Deserialize, Serialize};

/// The latest a window may start or last, ms (a day).
pub const WINDOW_MS_MAX: u64 = 86_400_000;
/// Most windows one list may hold.
pub const WINDOWS_MAX: usize = 64;
/// Largest spike factor.
pub const SPIKE_FACTOR_MAX: f64 = 1000.0;

/// The syntax of one outage window, for help and errors.
pub const OUTAGE_SYNTAX: &str = "START+DURATION in ms (e.g. 20000+30000,80000+10000)";
/// The syntax of one spike, for help and errors.
pub const SPIKE_SYNTAX: &str = "START+DURATION*FACTOR, ms and a factor above 0 (e.g. 10000+5000*3)";

/// An arrival-rate spike: during `[start_ms, start_ms + duration_ms)` the
/// gaps between arrivals (`sim.interval_ms` between client starts and
/// `sim.call_gap_ms` between a client's calls) are divided by `factor`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    pub start_ms: u64,
    pub duration_ms: u64,
    /// How many times more frequent arrivals are (a factor below 1 is a lull).
    pub factor: f64,
}

impl Spike {
    /// Whether `t_ms` falls in `[start_ms, start_ms + duration_ms)`.
    pub fn covers(&self, t_ms: u64) -> bool {
        t_ms >= self.start_ms && t_ms < self.start_ms.saturating_add(self.duration_ms)
    }

    /// When the spike ends, ms.
    pub fn end_ms(&self) -> u64 {
        self.start_ms.saturating_add(self.duration_ms)
    }
}

/// A gap of `gap_ms` that begins at `t_ms`, shortened by the spike (if any)
/// covering `t_ms` (the first one listed, if several overlap).
pub fn spiked_gap_ms(spikes: &[Spike], t_ms: u64, gap_ms: u64) -> u64 {
    match spikes.iter().find(|s| s.covers(t_ms)) {
        // `as` saturates; a factor is finite and above 0 when set by a knob.
        Some(spike) if spike.factor > 0.0 => libm::round(gap_ms as f64 / spike.factor) as u64,
        _ => gap_ms,
    }
}

/// Most characters of a bad part quoted in an error (a pasted novel stays readable).
const QUOTED_MAX: usize = 32;

/// `text`, cut to [`QUOTED_MAX`] characters with `…` if longer.
fn quoted(text: &str) -> String {
    if text.chars().count() <= QUOTED_MAX {
        text.to_string()
    } else {
        text.chars().take(QUOTED_MAX).chain(['…']).collect()
    }
}

fn bad(name: &str, part: &str, index: usize, why: &str, syntax: &str) -> KnobError {
    KnobError::BadValue {
        name: name.to_string(),
        value: quoted(part),
        expected: format!(
            "part {} `{}`: {why}; the list is {syntax}",
            index + 1,
            quoted(part)
        ),
    }
}

/// The parts of a list, `none` or empty giving none; at most [`WINDOWS_MAX`].
fn parts<'a>(name: &str, value: &'a str, syntax: &str) -> Result<Vec<&'a str>, KnobError> {
    let value = value.trim();
    if value.is_empty() || value == "none" {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    if parts.len() > WINDOWS_MAX {
        return Err(KnobError::BadValue {
            name: name.to_string(),
            value: quoted(value),
            expected: format!("at most {WINDOWS_MAX} windows; the list is {syntax}"),
        });
    }
    Ok(parts)
}

/// `START+DURATION` (ms each, at most [`WINDOW_MS_MAX`]).
fn start_duration(part: &str) -> Result<(u64, u64), String> {
    let Some((start, duration)) = part.split_once('+') else {
        return Err("no `+` between START and DURATION".to_string());
    };
    let ms = |what: &str, text: &str| match text.trim().parse::<u64>() {
        Ok(v) if v <= WINDOW_MS_MAX => Ok(v),
        _ => Err(format!(
            "{what} `{}` is not a whole number of ms from 0 to {WINDOW_MS_MAX}",
            quoted(text.trim())
        )),
    };
    Ok((ms("START", start)?, ms("DURATION", duration)?))
}

/// Parses an outage list into `(start_ms, duration_ms)` windows, in order.
pub fn parse_outages(name: &str, value: &str) -> Result<Vec<(u64, u64)>, KnobError> {
    parts(name, value, OUTAGE_SYNTAX)?
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            start_duration(part).map_err(|why| bad(name, part, i, &why, OUTAGE_SYNTAX))
        })
        .collect()
}

/// Parses a spike list, in order.
pub fn parse_spikes(name: &str, value: &str) -> Result<Vec<Spike>, KnobError> {
    parts(name, value, SPIKE_SYNTAX)?
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let spike = || -> Result<Spike, String> {
                let Some((window, factor)) = part.split_once('*') else {
                    return Err("no `*` before FACTOR".to_string());
                };
                let (start_ms, duration_ms) = start_duration(window)?;
                let factor = match factor.trim().parse::<f64>() {
                    Ok(f) if f.is_finite() && f > 0.0 && f <= SPIKE_FACTOR_MAX => f,
                    _ => {
                        return Err(format!(
                            "FACTOR `{}` is not a number above 0 and at most {SPIKE_FACTOR_MAX}",
                            quoted(factor.trim())
                        ))
                    }
                };
                Ok(Spike {
                    start_ms,
                    duration_ms,
                    factor,
                })
            };
            spike().map_err(|why| bad(name, part, i, &why, SPIKE_SYNTAX))
        })
        .collect()
}

/// Writes windows as [`parse_outages`] reads them (`none` for no window).
pub fn format_outages(windows: impl IntoIterator<Item = (u64, u64)>) -> String {
    let parts: Vec<String> = windows
        .into_iter()
        .map(|(start, duration)| format!("{start}+{duration}"))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(",")
    }
}

/// Writes spikes as [`parse_spikes`] reads them (`none` for no spike).
pub fn format_spikes(spikes: &[Spike]) -> String {
    if spikes.is_empty() {
        return "none".to_string();
    }
    spikes
        .iter()
        .map(|s| format!("{}+{}*{}", s.start_ms, s.duration_ms, s.factor))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_bad_parts_are_named() {
        assert_eq!(
            parse_outages("o", "20000+30000, 80000+10000"),
            Ok(vec![(20000, 30000), (80000, 10000)])
        );
        assert_eq!(parse_outages("o", "none"), Ok(vec![]));
        let err = parse_outages("o", "1+2,8000x").unwrap_err().to_string();
        assert!(err.contains("part 2 `8000x`"), "{err}");
        let err = parse_spikes("s", "1000+500*0").unwrap_err().to_string();
        assert!(err.contains("FACTOR `0`"), "{err}");
        let spikes = parse_spikes("s", "1000+500*2.5").unwrap();
        assert_eq!(format_spikes(&spikes), "1000+500*2.5");
        assert_eq!(spiked_gap_ms(&spikes, 1200, 100), 40);
        assert_eq!(spiked_gap_ms(&spikes, 1500, 100), 100);
    }
}
