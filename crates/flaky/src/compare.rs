//! A and B compared over seeds: every summary figure as A's mean, B's mean
//! and the paired difference B − A, each with a 95% interval over the seeds
//! ([`crate::stats`]). `playground compare` prints these rows; `playground
//! sweep`, `playground profiles` and the page's sweep compute theirs with
//! the same functions, so a sweep point equals `compare` exactly.
//!
//! Pairing is what makes few seeds enough: on one seed A and B meet the same
//! world (common random numbers), so B − A per seed holds the policy's
//! effect, not the world's luck. Identical A and B give B − A = 0 exactly.
//!
//! A measure can have no value on some seeds (`recovered_ms` is null when a
//! run never recovered). Then A's and B's means are over the seeds where it
//! has one, B − A over the seeds where both have one, and a row
//! `<measure>.missing` follows it: the fraction of seeds without a value.

use serde::{Deserialize, Serialize};

use crate::engine::EngineOptions;
use crate::sim::{self, RunConfig, Summary};
use crate::stats::{interval, Interval};

/// One measure compared: A's mean, B's and the paired difference B − A.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The summary figure's name as `run --format json` has it (`gave_up.<Reason>` for a reason).
    pub name: String,
    /// `None`: the measure had no value on any seed.
    pub a: Option<Interval>,
    pub b: Option<Interval>,
    pub diff: Option<Interval>,
}

/// The interval of `values`, `None` if there are none.
fn interval_of(values: &[f64]) -> Option<Interval> {
    (!values.is_empty()).then(|| interval(values))
}

/// One run's summary, as `compare` runs it: summary only (memory per
/// client, not per call).
pub fn summary_of(config: &RunConfig, seed: u64) -> Summary {
    sim::run_with(config, seed, EngineOptions::lanes(0)).summary()
}

/// A summary's measures as `(name, value)`, in a fixed order (`None`: no value).
type Measures = Vec<(String, Option<f64>)>;

/// A summary's measures: every figure of [`Summary::figures`], with one
/// `gave_up.<Reason>` after the `gave_up` total for each of `reasons`.
fn measures(s: &Summary, reasons: &[&str]) -> Measures {
    let mut out = Vec::new();
    for (name, figure) in s.figures() {
        out.push((name.to_string(), figure.value()));
        if name == "gave_up" {
            for reason in reasons {
                let n = s.gave_up.get(*reason).copied().unwrap_or(0);
                out.push((format!("gave_up.{reason}"), Some(n as f64)));
            }
        }
    }
    out
}

/// The row of one measure from its value per seed on each side (the same
/// seeds, in order), then its `.missing` row when some seed has no value.
pub fn rows_of(name: &str, a: &[Option<f64>], b: &[Option<f64>]) -> Vec<Row> {
    let present = |v: &[Option<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
    // Per seed, so identical runs give exactly 0.0 (x − x), never a rounding residue.
    let diff: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(a, b)| Some((*b)? - (*a)?))
        .collect();
    let mut out = vec![Row {
        name: name.to_string(),
        a: interval_of(&present(a)),
        b: interval_of(&present(b)),
        diff: interval_of(&diff),
    }];
    if a.iter().chain(b).any(Option::is_none) {
        let missing = |v: &[Option<f64>]| -> Vec<f64> {
            v.iter()
                .map(|x| if x.is_none() { 1.0 } else { 0.0 })
                .collect()
        };
        let (ma, mb) = (missing(a), missing(b));
        let md: Vec<f64> = ma.iter().zip(&mb).map(|(a, b)| b - a).collect();
        out.push(Row {
            name: format!("{name}.missing"),
            a: interval_of(&ma),
            b: interval_of(&mb),
            diff: interval_of(&md),
        });
    }
    out
}

/// Every measure compared over the pairs (A's and B's summary per seed);
/// the give-up reasons are those seen in any run of A or B.
pub fn rows(pairs: &[(Summary, Summary)]) -> Vec<Row> {
    let mut reasons: Vec<&str> = pairs
        .iter()
        .flat_map(|(a, b)| a.gave_up.keys().chain(b.gave_up.keys()))
        .map(String::as_str)
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    let per_seed: Vec<(Measures, Measures)> = pairs
        .iter()
        .map(|(a, b)| (measures(a, &reasons), measures(b, &reasons)))
        .collect();
    // Every measure of any run, in first-seen order: runs with more layers
    // have more `requests_per_layer.N`; a layer a run does not have counts 0.
    let mut names: Vec<&str> = Vec::new();
    for (a, b) in &per_seed {
        for (name, _) in a.iter().chain(b) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let value = |m: &Measures, name: &str| {
        m.iter()
            .find(|(n, _)| n == name)
            .map_or(Some(0.0), |(_, v)| *v)
    };
    let mut out = Vec::new();
    for name in names {
        let a: Vec<Option<f64>> = per_seed.iter().map(|(a, _)| value(a, name)).collect();
        let b: Vec<Option<f64>> = per_seed.iter().map(|(_, b)| value(b, name)).collect();
        out.extend(rows_of(name, &a, &b));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(recovered_ms: Option<u64>) -> Summary {
        Summary {
            recovered_ms,
            ..Summary::default()
        }
    }

    #[test]
    fn a_measure_missing_on_some_seeds_is_averaged_where_present_and_counted() {
        let pairs = [
            (summary(Some(1000)), summary(Some(3000))),
            (summary(None), summary(Some(5000))),
            (summary(Some(2000)), summary(None)),
            (summary(None), summary(None)),
        ];
        let rows = rows(&pairs);
        let row = |name: &str| {
            rows.iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("no row {name} in {rows:?}"))
        };
        let mean = |i: Option<Interval>| i.map(|i| i.mean);
        let r = row("recovered_ms");
        assert_eq!((mean(r.a), mean(r.b)), (Some(1500.0), Some(4000.0)));
        // Only the first seed has both.
        assert_eq!(mean(r.diff), Some(2000.0));
        let m = row("recovered_ms.missing");
        assert_eq!(
            (mean(m.a), mean(m.b), mean(m.diff)),
            (Some(0.5), Some(0.5), Some(0.0))
        );
        assert!(rows.iter().all(|r| r.name != "goodput.missing"));
    }
}
