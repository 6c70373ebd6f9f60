//! The sweep the user asked for: a knob, its range and scale (or every
//! choice), the seeds per value and the measure the chart shows. In the URL:
//! `sweep=backoff.base_ms:10..2000:log:20`, `sweep.seeds=5`,
//! `sweep.measure=amplification` (see [`Sweep::parse`]).

use flaky::scenario::RunKnobs;
use flaky::sweep::{self, Scale, SweepError, Values};
use policy::knob::KnobKind;

/// Seeds per value unless told otherwise.
pub const SWEEP_SEEDS_DEFAULT: u32 = 5;
/// The most seeds per value the page runs.
pub const SWEEP_SEEDS_MAX: u32 = 100;

/// The measures the page's sweep computes and can show, with their labels.
pub const SWEEP_MEASURES: [(&str, &str); 6] = [
    ("latency_ms_p99", "p99 latency (ms)"),
    (sweep::SUCCESS_RATE, "success rate"),
    ("amplification", "amplification (requests per call)"),
    ("duplicates", "duplicate creates"),
    ("goodput", "goodput (calls/s)"),
    ("recovered_ms", "recovery time (ms)"),
];

/// The profiles chart's two measures, each one of [`SWEEP_MEASURES`]
/// (`profiles.x=`, `profiles.y=` in the URL): amplification across and p99
/// up unless told.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileAxes {
    pub x: &'static str,
    pub y: &'static str,
}

impl Default for ProfileAxes {
    fn default() -> Self {
        ProfileAxes {
            x: SWEEP_MEASURES[2].0,
            y: SWEEP_MEASURES[0].0,
        }
    }
}

/// `name` as one of [`SWEEP_MEASURES`], or a message listing them.
pub fn sweep_measure(name: &str) -> Result<&'static str, String> {
    SWEEP_MEASURES
        .iter()
        .find(|(m, _)| *m == name)
        .map(|(m, _)| *m)
        .ok_or_else(|| {
            let names: Vec<&str> = SWEEP_MEASURES.iter().map(|(m, _)| *m).collect();
            format!("expected one of {}", names.join(", "))
        })
}

/// A numeric sweep's range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepRange {
    pub from: f64,
    pub to: f64,
    pub steps: u32,
    pub scale: Scale,
}

/// A sweep of one knob, on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub knob: String,
    /// `None`: every choice of a choice knob.
    pub range: Option<SweepRange>,
    pub seeds: u32,
    /// One of [`SWEEP_MEASURES`].
    pub measure: String,
}

impl Sweep {
    /// A sweep of `knob` over its slider's range and scale (20 values), or
    /// its choices; `None` for a knob that is neither a number nor a choice.
    pub fn of_knob(knobs: &RunKnobs, knob: &str) -> Option<Sweep> {
        let kind = knobs.find(knob)?.spec().kind;
        let range = match kind {
            KnobKind::Int { min, max } => Some(default_range(min as f64, max as f64)),
            KnobKind::Float { min, max } => Some(default_range(min, max)),
            KnobKind::Choice(_) | KnobKind::Bool => None,
            KnobKind::List { .. } | KnobKind::Text { .. } => return None,
        };
        Some(Sweep {
            knob: knob.to_string(),
            range,
            seeds: SWEEP_SEEDS_DEFAULT,
            measure: SWEEP_MEASURES[0].0.to_string(),
        })
    }

    /// Reads `KNOB[:FROM..TO[:log|lin][:STEPS]]` (steps default 20, scale linear).
    pub fn parse(text: &str, knobs: &RunKnobs) -> Result<Sweep, String> {
        let mut parts = text.split(':');
        let knob = parts.next().unwrap_or("").trim().to_string();
        let mut sweep = Sweep::of_knob(knobs, &knob).ok_or_else(|| {
            format!(
                "`{}` is not a knob with a number or choices to sweep",
                cut(&knob)
            )
        })?;
        sweep.range = match parts.next() {
            None => None,
            Some(span) => {
                let (from, to) = span
                    .split_once("..")
                    .ok_or_else(|| format!("`{}`: expected FROM..TO", cut(span)))?;
                let number = |t: &str| {
                    t.trim()
                        .parse::<f64>()
                        .map_err(|_| format!("`{}`: expected a number", cut(t)))
                };
                let mut range = SweepRange {
                    from: number(from)?,
                    to: number(to)?,
                    steps: DEFAULT_STEPS,
                    scale: Scale::Linear,
                };
                for part in parts {
                    match part {
                        "log" => range.scale = Scale::Log,
                        "lin" => range.scale = Scale::Linear,
                        n => {
                            range.steps = n.trim().parse().map_err(|_| {
                                format!("`{}`: expected log, lin or a number of steps", cut(n))
                            })?
                        }
                    }
                }
                Some(range)
            }
        };
        sweep.values(knobs).map_err(|e| e.to_string())?;
        Ok(sweep)
    }

    /// The text [`Sweep::parse`] reads.
    pub fn text(&self) -> String {
        match self.range {
            None => self.knob.clone(),
            Some(r) => {
                let scale = match r.scale {
                    Scale::Log => "log",
                    Scale::Linear => "lin",
                };
                format!("{}:{}..{}:{scale}:{}", self.knob, r.from, r.to, r.steps)
            }
        }
    }

    /// The values swept, as knob text (checked against the knob's range).
    pub fn values(&self, knobs: &RunKnobs) -> Result<Vec<String>, SweepError> {
        let values = match self.range {
            None => Values::Choices,
            Some(r) => Values::Range {
                from: r.from,
                to: r.to,
                steps: r.steps,
                scale: r.scale,
            },
        };
        sweep::values(knobs, &self.knob, &values)
    }

    /// The seeds of every value: `first`, `first + 1`, ...
    pub fn seed_list(&self, first: u64) -> Vec<u64> {
        (0..u64::from(self.seeds.clamp(1, SWEEP_SEEDS_MAX)))
            .map(|i| first.wrapping_add(i))
            .collect()
    }
}

/// The first 60 characters of a part of the user's text, `…` if cut.
fn cut(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Values a sweep takes unless told otherwise.
pub const DEFAULT_STEPS: u32 = 20;

/// The slider's own range and scale ([`crate::settings`] mirrors the view's
/// rule: log where the range spans three decades, from 1 then).
fn default_range(min: f64, max: f64) -> SweepRange {
    let log = max / min.max(1.0) >= 1000.0;
    SweepRange {
        from: if log { min.max(1.0) } else { min },
        to: max,
        steps: DEFAULT_STEPS,
        scale: if log { Scale::Log } else { Scale::Linear },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_text_reads_back() {
        let k = &RunKnobs::STANDARD;
        let s = Sweep::parse("backoff.base_ms:10..2000:log:20", k).unwrap();
        assert_eq!(
            s.range.map(|r| (r.from, r.to, r.steps, r.scale)),
            Some((10.0, 2000.0, 20, Scale::Log))
        );
        assert_eq!(Sweep::parse(&s.text(), k), Ok(s));
        let choices = Sweep::parse("jitter.kind", k).unwrap();
        assert_eq!(choices.range, None);
        assert!(choices.values(k).unwrap().len() > 3);
        for bad in [
            "nope",
            "backoff.base_ms:10",
            "backoff.base_ms:x..5",
            "backoff.base_ms:0..10:log",
            "backoff.base_ms:1..10:0",
            "endpoint.outages",
        ] {
            assert!(Sweep::parse(bad, k).is_err(), "{bad}");
        }
        let slider = Sweep::of_knob(k, "backoff.base_ms").unwrap();
        assert_eq!(slider.range.map(|r| r.scale), Some(Scale::Log));
    }
}
