//! A knob swept: its values, and at each value what `playground compare`
//! computes for A (and B) over the same seeds. `playground sweep`, `playground
//! profiles` and the page's sweep chart share this module, so a point is
//! `compare`'s figures for that value exactly ([`crate::compare::rows_of`]).
//!
//! | values | formula (i = 0..n−1) |
//! |---|---|
//! | linear | from + (to − from) · i / (n − 1) |
//! | log | from · (to / from)^(i / (n − 1)), from > 0 |
//! | choice | every choice of the knob, in its table's order |
//!
//! An integer knob's values are rounded and repeats dropped (a log sweep of
//! 1..10 in 20 steps has fewer than 20 values). Every value is checked
//! against the knob's declared range ([`policy::knob::KnobKind`]).
//!
//! ```
//! use flaky::scenario::RunKnobs;
//! use flaky::sweep::{values, Scale, Values};
//! let v = values(&RunKnobs::STANDARD, "backoff.base_ms",
//!     &Values::Range { from: 10.0, to: 1000.0, steps: 3, scale: Scale::Log }).unwrap();
//! assert_eq!(v, ["10", "100", "1000"]);
//! ```

use std::fmt;

use policy::knob::KnobKind;
use serde::{Deserialize, Serialize};

use crate::compare::{rows_of, summary_of, Row};
use crate::presets::{self, Deck, Preset};
use crate::scenario::RunKnobs;
use crate::sim::{RunConfig, Summary};

/// The most values one sweep may have.
pub const STEPS_MAX: u32 = 200;

/// Calls that succeeded per call, a measure besides the summary's figures.
pub const SUCCESS_RATE: &str = "success_rate";

/// The measures a sweep shows unless told otherwise.
pub const DEFAULT_MEASURES: [&str; 3] = ["latency_ms_p99", SUCCESS_RATE, "amplification"];

/// How a range's values are spaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    #[default]
    Linear,
    Log,
}

/// Which values a sweep takes.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// `steps` values from `from` to `to`, both included.
    Range {
        from: f64,
        to: f64,
        steps: u32,
        scale: Scale,
    },
    /// These values, as text, in order.
    List(Vec<String>),
    /// Every choice of a choice knob (`true`, `false` of a switch).
    Choices,
}

/// Why a sweep cannot be made; the message names the bad part.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepError {
    UnknownKnob(String),
    /// A range of a knob that is not a number, or choices of one that has none.
    WrongKind {
        knob: String,
        kind: &'static str,
    },
    FromAboveTo {
        from: f64,
        to: f64,
    },
    Steps(u32),
    LogFrom(f64),
    OutOfRange {
        knob: String,
        value: String,
        range: String,
    },
    BadValue(String),
    UnknownMeasure(String),
}

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SweepError::UnknownKnob(k) => write!(f, "unknown knob `{k}` (`playground knobs` lists them)"),
            SweepError::WrongKind { knob, kind } => write!(f, "`{knob}` is {kind}"),
            SweepError::FromAboveTo { from, to } => write!(f, "from {from} is above to {to}"),
            SweepError::Steps(n) => write!(f, "steps {n}: expected 1 to {STEPS_MAX}"),
            SweepError::LogFrom(from) => write!(f, "a log scale needs from > 0, not {from}"),
            SweepError::OutOfRange { knob, value, range } => {
                write!(f, "`{knob}` = {value} is out of the knob's range {range}")
            }
            SweepError::BadValue(e) => write!(f, "{e}"),
            SweepError::UnknownMeasure(m) => write!(
                f,
                "unknown measure `{m}`: expected {SUCCESS_RATE} or a summary figure (latency_ms_p99, amplification, duplicates, goodput, recovered_ms, ...)"
            ),
        }
    }
}

/// `(min, max, integer)` of a numeric knob.
fn numeric_range(kind: KnobKind) -> Option<(f64, f64, bool)> {
    match kind {
        KnobKind::Int { min, max } => Some((min as f64, max as f64, true)),
        KnobKind::Float { min, max } => Some((min, max, false)),
        _ => None,
    }
}

/// A real value as knob text: at most six decimals, no trailing zeros.
fn real_text(v: f64) -> String {
    let rounded = (v * 1e6).round() / 1e6;
    format!("{rounded}")
}

/// The values of `knob` a sweep takes, as knob text, each checked against
/// the knob's range (and parsed by its setter).
pub fn values(knobs: &RunKnobs, knob: &str, values: &Values) -> Result<Vec<String>, SweepError> {
    let entry = knobs
        .find(knob)
        .ok_or_else(|| SweepError::UnknownKnob(knob.to_string()))?;
    let kind = entry.spec().kind;
    let out = match values {
        Values::List(list) => list.clone(),
        Values::Choices => match kind {
            KnobKind::Choice(names) => names.iter().map(|n| n.to_string()).collect(),
            KnobKind::Bool => vec!["false".into(), "true".into()],
            _ => {
                return Err(SweepError::WrongKind {
                    knob: knob.into(),
                    kind: "not a choice: give a range (from, to, steps) or values",
                })
            }
        },
        &Values::Range {
            from,
            to,
            steps,
            scale,
        } => {
            let Some((min, max, integer)) = numeric_range(kind) else {
                return Err(SweepError::WrongKind {
                    knob: knob.into(),
                    kind: "not a number: sweep its choices or give values",
                });
            };
            range_values(knob, (min, max, integer), from, to, steps, scale)?
        }
    };
    if out.is_empty() {
        return Err(SweepError::Steps(0));
    }
    if out.len() > STEPS_MAX as usize {
        return Err(SweepError::Steps(
            u32::try_from(out.len()).unwrap_or(u32::MAX),
        ));
    }
    let mut probe = RunConfig::default();
    for value in &out {
        if let Some((min, max, _)) = numeric_range(kind) {
            let v: f64 = value.trim().parse().map_err(|_| {
                SweepError::BadValue(format!("`{knob}` = `{value}`: expected a number"))
            })?;
            if !(min..=max).contains(&v) {
                return Err(SweepError::OutOfRange {
                    knob: knob.into(),
                    value: value.clone(),
                    range: format!("{min}..={max}"),
                });
            }
        }
        knobs
            .set(&mut probe, knob, value)
            .map_err(|e| SweepError::BadValue(e.to_string()))?;
    }
    Ok(out)
}

/// The values of a numeric range (see the module's formulas).
fn range_values(
    knob: &str,
    (min, max, integer): (f64, f64, bool),
    from: f64,
    to: f64,
    steps: u32,
    scale: Scale,
) -> Result<Vec<String>, SweepError> {
    if steps == 0 || steps > STEPS_MAX {
        return Err(SweepError::Steps(steps));
    }
    if !from.is_finite() || !to.is_finite() {
        return Err(SweepError::BadValue(format!(
            "from {from} and to {to} must be numbers"
        )));
    }
    if from > to {
        return Err(SweepError::FromAboveTo { from, to });
    }
    if scale == Scale::Log && from <= 0.0 {
        return Err(SweepError::LogFrom(from));
    }
    for v in [from, to] {
        if !(min..=max).contains(&v) {
            return Err(SweepError::OutOfRange {
                knob: knob.into(),
                value: real_text(v),
                range: format!("{min}..={max}"),
            });
        }
    }
    let last = f64::from(steps.saturating_sub(1).max(1));
    let mut out: Vec<String> = Vec::new();
    for i in 0..steps {
        let f = f64::from(i) / last;
        let v = match scale {
            _ if i + 1 == steps && steps > 1 => to,
            Scale::Linear => from + (to - from) * f,
            Scale::Log => from * libm::pow(to / from, f),
        };
        let text = if integer {
            format!("{}", v.round() as u64)
        } else {
            real_text(v)
        };
        if out.last() != Some(&text) {
            out.push(text);
        }
    }
    Ok(out)
}

/// Checks measure names: [`SUCCESS_RATE`] or a summary figure.
pub fn check_measures(measures: &[String]) -> Result<(), SweepError> {
    let summary = Summary::default();
    match measures
        .iter()
        .find(|m| m.as_str() != SUCCESS_RATE && !summary.has_figure(m))
    {
        Some(bad) => Err(SweepError::UnknownMeasure(bad.clone())),
        None => Ok(()),
    }
}

/// A measure's value in one run, as `compare` reads it (`None`: no value).
pub fn measure_value(s: &Summary, name: &str) -> Option<f64> {
    if name == SUCCESS_RATE {
        return (s.calls > 0).then(|| s.succeeded as f64 / s.calls as f64);
    }
    if let Some(reason) = name.strip_prefix("gave_up.") {
        return Some(s.gave_up.get(reason).copied().unwrap_or(0) as f64);
    }
    s.figures()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map_or(Some(0.0), |(_, f)| f.value())
}

/// `config` with `knob` set to `value`, validated.
pub fn config_at(config: &RunConfig, knob: &str, value: &str) -> Result<RunConfig, String> {
    let mut out = config.clone();
    out.set(knob, value).map_err(|e| e.to_string())?;
    out.validate()?;
    Ok(out)
}

/// One point of a sweep: the value and, per measure, A's (and B's, and
/// B − A's) mean and 95% interval over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub value: String,
    pub rows: Vec<Row>,
}

/// The rows of `measures` over the summaries per seed (B's `None`: A alone,
/// and the rows have no `b` or `diff`).
pub fn point_rows(a: &[Summary], b: Option<&[Summary]>, measures: &[String]) -> Vec<Row> {
    measures
        .iter()
        .map(|name| {
            let of = |runs: &[Summary]| -> Vec<Option<f64>> {
                runs.iter().map(|s| measure_value(s, name)).collect()
            };
            let va = of(a);
            let vb = b.map_or_else(|| va.clone(), of);
            let mut row = rows_of(name, &va, &vb).swap_remove(0);
            if b.is_none() {
                row.b = None;
                row.diff = None;
            }
            row
        })
        .collect()
}

/// One point computed here, run after run (the page's run worker computes
/// one; `playground sweep` spreads the runs over cores).
pub fn run_point(
    value: &str,
    a: &RunConfig,
    b: Option<&RunConfig>,
    seeds: &[u64],
    measures: &[String],
) -> Point {
    let runs_a: Vec<Summary> = seeds.iter().map(|&s| summary_of(a, s)).collect();
    let runs_b: Option<Vec<Summary>> = b.map(|b| seeds.iter().map(|&s| summary_of(b, s)).collect());
    Point {
        value: value.to_string(),
        rows: point_rows(&runs_a, runs_b.as_deref(), measures),
    }
}

/// One point to compute elsewhere (the page's run workers): its batch and
/// index, A's and B's configs at the value, the seeds and the measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointJob {
    pub batch_id: u64,
    pub index: u32,
    pub value: String,
    pub a: RunConfig,
    pub b: Option<RunConfig>,
    pub seeds: Vec<u64>,
    pub measures: Vec<String>,
}

impl PointJob {
    /// The point, as [`run_point`] computes it.
    pub fn run(&self) -> Point {
        run_point(
            &self.value,
            &self.a,
            self.b.as_ref(),
            &self.seeds,
            &self.measures,
        )
    }
}

/// Which way a measure is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    Lower,
    Higher,
}

/// Which way `measure` is better: success rate and goodput higher, the rest
/// (latency, amplification, duplicates, recovery time, ...) lower.
pub fn goal_of(measure: &str) -> Goal {
    if measure == SUCCESS_RATE || measure == "goodput" {
        Goal::Higher
    } else {
        Goal::Lower
    }
}

/// Whether each point is on the Pareto front of `(x, y)` with these goals:
/// no other point is at least as good on both and better on one.
pub fn front(points: &[(f64, f64)], goals: (Goal, Goal)) -> Vec<bool> {
    let better = |goal: Goal, p: f64, q: f64| match goal {
        Goal::Lower => p < q,
        Goal::Higher => p > q,
    };
    let no_worse = |goal: Goal, p: f64, q: f64| p == q || better(goal, p, q);
    points
        .iter()
        .map(|&(x, y)| {
            !points.iter().any(|&(qx, qy)| {
                no_worse(goals.0, qx, x)
                    && no_worse(goals.1, qy, y)
                    && (better(goals.0, qx, x) || better(goals.1, qy, y))
            })
        })
        .collect()
}

/// The two fronts `playground profiles` and the page mark: (p99, amplification), both lower.
pub const FRONT_P99: (&str, &str) = ("latency_ms_p99", "amplification");
/// (success rate higher, amplification lower).
pub const FRONT_SUCCESS: (&str, &str) = (SUCCESS_RATE, "amplification");

/// The library profiles (the `profile` deck), in order.
pub fn profiles() -> Result<Vec<Preset>, String> {
    presets::deck(Deck::Profile)
}

/// `world` (endpoint, scenario, layers) with the profile's client policy.
pub fn with_profile(world: &RunConfig, profile: &Preset) -> RunConfig {
    RunConfig {
        policy: profile.config.policy.clone(),
        ..world.clone()
    }
}

/// The mean of `measure` in a point's rows (A's side), `NaN` when missing.
pub fn mean_of(rows: &[Row], measure: &str) -> f64 {
    rows.iter()
        .find(|r| r.name == measure)
        .and_then(|r| r.a)
        .map_or(f64::NAN, |i| i.mean)
}

/// Whether each profile (its rows) is on the front of the two measures.
pub fn front_of(points: &[Vec<Row>], (x, y): (&str, &str)) -> Vec<bool> {
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|rows| (mean_of(rows, x), mean_of(rows, y)))
        .collect();
    front(&xy, (goal_of(x), goal_of(y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: f64, to: f64, steps: u32, scale: Scale) -> Values {
        Values::Range {
            from,
            to,
            steps,
            scale,
        }
    }

    fn sweep(knob: &str, v: &Values) -> Result<Vec<String>, SweepError> {
        values(&RunKnobs::STANDARD, knob, v)
    }

    #[test]
    fn ranges_are_spaced_linearly_or_by_ratio() {
        let lin = sweep("backoff.base_ms", &range(0.0, 100.0, 5, Scale::Linear));
        assert_eq!(
            lin,
            Ok(vec!["0", "25", "50", "75", "100"]
                .into_iter()
                .map(String::from)
                .collect())
        );
        let log = sweep("backoff.base_ms", &range(10.0, 1000.0, 5, Scale::Log)).unwrap();
        assert_eq!(log, ["10", "32", "100", "316", "1000"]);
        let one = sweep("backoff.base_ms", &range(7.0, 7.0, 1, Scale::Linear)).unwrap();
        assert_eq!(one, ["7"]);
        // Rounded integers repeat on a narrow log range: repeats go.
        let narrow = sweep("backoff.base_ms", &range(1.0, 3.0, 10, Scale::Log)).unwrap();
        assert_eq!(narrow, ["1", "2", "3"]);
    }

    #[test]
    fn choices_and_lists_are_checked() {
        let kinds = sweep("jitter.kind", &Values::Choices).unwrap();
        assert!(
            kinds.len() >= 3 && kinds.contains(&"full".to_string()),
            "{kinds:?}"
        );
        assert!(matches!(
            sweep("backoff.base_ms", &Values::Choices),
            Err(SweepError::WrongKind { .. })
        ));
        assert!(matches!(
            sweep("jitter.kind", &range(0.0, 1.0, 2, Scale::Linear)),
            Err(SweepError::WrongKind { .. })
        ));
        let bad = sweep(
            "jitter.kind",
            &Values::List(vec!["full".into(), "nope".into()]),
        );
        assert!(
            matches!(&bad, Err(SweepError::BadValue(m)) if m.contains("nope")),
            "{bad:?}"
        );
    }

    #[test]
    fn bad_ranges_name_the_problem() {
        let err = |k: &str, v: Values| sweep(k, &v).unwrap_err().to_string();
        assert!(err("nope.knob", Values::Choices).contains("`nope.knob`"));
        assert!(err("backoff.base_ms", range(20.0, 10.0, 3, Scale::Linear))
            .contains("from 20 is above to 10"));
        assert!(err("backoff.base_ms", range(1.0, 10.0, 0, Scale::Linear)).contains("steps 0"));
        assert!(err("backoff.base_ms", range(1.0, 10.0, 201, Scale::Linear)).contains("steps 201"));
        assert!(err("backoff.base_ms", range(0.0, 10.0, 3, Scale::Log)).contains("from > 0"));
        let out = err("endpoint.fault.503", range(0.0, 2.0, 3, Scale::Linear));
        assert!(
            out.contains("out of the knob's range") && out.contains("2"),
            "{out}"
        );
    }

    #[test]
    fn the_front_keeps_the_undominated() {
        let points = [(1.0, 5.0), (2.0, 2.0), (3.0, 3.0), (5.0, 1.0), (1.0, 5.0)];
        assert_eq!(
            front(&points, (Goal::Lower, Goal::Lower)),
            [true, true, false, true, true]
        );
        assert_eq!(
            front(
                &[(0.9, 1.0), (0.95, 1.2), (0.8, 1.1)],
                (Goal::Higher, Goal::Lower)
            ),
            [true, true, false]
        );
    }

    #[test]
    fn a_point_alone_has_no_b() {
        let mut config = RunConfig::default();
        config.set("endpoint.fault.503", "0.3").unwrap();
        let measures: Vec<String> = DEFAULT_MEASURES.iter().map(|m| m.to_string()).collect();
        let p = run_point("x", &config, None, &[1, 2, 3], &measures);
        assert_eq!(p.rows.len(), 3);
        assert!(p
            .rows
            .iter()
            .all(|r| r.a.is_some() && r.b.is_none() && r.diff.is_none()));
        let with_b = run_point("x", &config, Some(&config), &[1, 2, 3], &measures);
        assert!(with_b
            .rows
            .iter()
            .all(|r| r.diff.map(|d| d.mean) == Some(0.0)));
        assert_eq!(with_b.rows[0].a, p.rows[0].a);
        // 11 library profiles when the sweep came, 12 since lib-aws-adaptive.
        assert_eq!(profiles().unwrap().len(), 12);
    }

    #[test]
    fn success_rate_and_goodput_are_better_higher_the_rest_lower() {
        for m in [SUCCESS_RATE, "goodput"] {
            assert_eq!(goal_of(m), Goal::Higher, "{m}");
        }
        for m in [
            "latency_ms_p99",
            "amplification",
            "duplicates",
            "recovered_ms",
        ] {
            assert_eq!(goal_of(m), Goal::Lower, "{m}");
        }
    }
}
