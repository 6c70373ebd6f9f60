//! `playground compare`: configs A and B run on the same seeds, every summary
//! figure as A's mean, B's mean and the paired difference B − A, each with a
//! 95% interval over the seeds (the rows are [`flaky::compare`]'s, shared
//! with `sweep` and `profiles`; this module runs and prints them).
//!
//! Pairing is what makes few seeds enough: on one seed A and B meet the same
//! world (common random numbers: the engine keys every draw by the call's
//! identity), so B − A per seed holds the policy's effect, not the world's
//! luck. Identical A and B give B − A = 0 exactly on every seed, so the
//! difference's mean and interval are exactly 0.
//!
//! A measure can have no value on some seeds (`recovered_ms` is null when a
//! run never recovered). Then A's and B's means are over the seeds where it
//! has one, B − A over the seeds where both have one, and a row
//! `<measure>.missing` follows it: the fraction of seeds without a value
//! (1 or 0 per seed, so its mean is that fraction, with its interval).

use std::fmt::Write as _;

use flaky::compare::summary_of;
pub use flaky::compare::{rows, Row};
use flaky::sim::{RunConfig, Summary};
use flaky::stats::Interval;
use rayon::prelude::*;
use serde_json::{json, Map, Value};

/// A's and B's summaries on each seed, in the seeds' order. Seeds run in
/// parallel; every run is summary only (memory per client, not per call).
pub fn run_pairs(a: &RunConfig, b: &RunConfig, seeds: &[u64]) -> Vec<(Summary, Summary)> {
    seeds
        .par_iter()
        .map(|&seed| (summary_of(a, seed), summary_of(b, seed)))
        .collect()
}

/// `{"a": {measure: {"mean", "lo", "hi"}}, "b": {...}, "diff": {...}, "seeds": N}`.
pub fn json(rows: &[Row], seeds: u32) -> String {
    let side = |pick: fn(&Row) -> Option<Interval>| -> Value {
        let map: Map<String, Value> = rows
            .iter()
            .map(|r| {
                let value = match pick(r) {
                    Some(i) => json!({"mean": i.mean, "lo": i.lo, "hi": i.hi}),
                    None => Value::Null,
                };
                (r.name.clone(), value)
            })
            .collect();
        Value::Object(map)
    };
    let value = json!({
        "a": side(|r| r.a),
        "b": side(|r| r.b),
        "diff": side(|r| r.diff),
        "seeds": seeds,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// The CSV header of [`csv`].
pub const CSV_HEADER: &str = "measure,a_mean,a_lo,a_hi,b_mean,b_lo,b_hi,diff_mean,diff_lo,diff_hi";

/// A header line, then one row per measure.
pub fn csv(rows: &[Row]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for r in rows {
        let _ = write!(out, "{}", r.name);
        for i in [r.a, r.b, r.diff] {
            match i {
                Some(i) => {
                    let _ = write!(out, ",{},{},{}", i.mean, i.lo, i.hi);
                }
                None => out.push_str(",,,"),
            }
        }
        out.push('\n');
    }
    out
}

/// Decimals shown for a measure: amplification is a ratio near 1, and a
/// `.missing` row a fraction; the rest are counts and ms.
pub(crate) fn decimals(name: &str) -> usize {
    if name == "amplification" || name == "success_rate" || name.ends_with(".missing") {
        3
    } else {
        1
    }
}

/// A measure with no value on any seed, in the table.
pub(crate) const NO_VALUE: &str = "—";

/// `mean [lo, hi]`; the mean alone when the interval has no width, whole
/// when it is a whole number (a count the same on every seed).
pub(crate) fn show(i: Interval, places: usize, signed: bool) -> String {
    let f = |x: f64, places: usize| {
        if signed {
            format!("{x:+.places$}")
        } else {
            format!("{x:.places$}")
        }
    };
    if i.lo == i.hi {
        let places = if i.mean.fract() == 0.0 { 0 } else { places };
        f(i.mean, places)
    } else {
        format!(
            "{} [{}, {}]",
            f(i.mean, places),
            f(i.lo, places),
            f(i.hi, places)
        )
    }
}

/// The difference column: `same` when B − A was 0 on every seed, a trailing
/// `*` when the interval excludes 0.
fn show_diff(i: Interval, places: usize) -> String {
    if i.mean == 0.0 && i.lo == 0.0 && i.hi == 0.0 {
        return "same".to_string();
    }
    let text = show(i, places, true);
    if i.lo > 0.0 || i.hi < 0.0 {
        format!("{text} *")
    } else {
        text
    }
}

/// `heading` lines, then an aligned table: measure, A, B, B − A (and a
/// footnote for `*` when a row has it).
pub fn table(heading: &[String], rows: &[Row]) -> String {
    let header = ["measure", "A", "B", "B − A"].map(String::from);
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            let places = decimals(&r.name);
            [
                r.name.clone(),
                r.a.map_or(NO_VALUE.into(), |i| show(i, places, false)),
                r.b.map_or(NO_VALUE.into(), |i| show(i, places, false)),
                r.diff.map_or(NO_VALUE.into(), |i| show_diff(i, places)),
            ]
        })
        .collect();
    let mut widths = [0usize; 3];
    for row in std::iter::once(&header).chain(&cells) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in heading {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    for row in std::iter::once(&header).chain(&cells) {
        for (w, cell) in widths.iter().zip(row) {
            let pad = w - cell.chars().count();
            let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
        }
        let _ = writeln!(out, "{}", row[3]);
    }
    if cells.iter().any(|row| row[3].ends_with(" *")) {
        out.push_str("\n* the 95% interval of B − A excludes 0\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> RunConfig {
        let mut config = RunConfig::default();
        config
            .set("endpoint.fault.503", "0.3")
            .unwrap_or_else(|e| panic!("{e}"));
        config
    }

    #[test]
    fn identical_configs_differ_by_exactly_zero() {
        let config = small();
        let rows = rows(&run_pairs(&config, &config, &[0, 1, 2, 3]));
        assert!(rows.iter().any(|r| r.name == "gave_up"), "{rows:?}");
        for r in &rows {
            // No difference at all only for a measure with no value on any seed.
            match r.diff {
                Some(d) => assert_eq!((d.mean, d.lo, d.hi), (0.0, 0.0, 0.0), "{r:?}"),
                None => assert_eq!((r.a, r.b), (None, None), "{r:?}"),
            }
            assert_eq!(r.a, r.b, "{r:?}");
        }
    }

    #[test]
    fn pairs_keep_the_seeds_order() {
        let config = small();
        let seeds: Vec<u64> = (10..27).collect();
        let pairs = run_pairs(&config, &config, &seeds);
        assert_eq!(pairs.len(), seeds.len());
        for (&seed, (a, _)) in seeds.iter().zip(&pairs) {
            let alone = summary_of(&config, seed);
            assert_eq!(a, &alone, "seed {seed}");
        }
    }

    #[test]
    fn diffs_are_signed_and_marked_when_they_exclude_zero() {
        let i = |mean, lo, hi| Interval { mean, lo, hi };
        assert_eq!(show_diff(i(0.0, 0.0, 0.0), 1), "same");
        assert_eq!(show_diff(i(12.3, 8.1, 16.5), 1), "+12.3 [+8.1, +16.5] *");
        assert_eq!(show_diff(i(-1.0, -3.0, 1.0), 1), "-1.0 [-3.0, +1.0]");
        assert_eq!(show_diff(i(2.0, 2.0, 2.0), 1), "+2 *");
        assert_eq!(show(i(2.5, 2.5, 2.5), 1, false), "2.5");
        assert_eq!(show(i(1.25, 1.0, 1.5), 3, false), "1.250 [1.000, 1.500]");
    }

    #[test]
    fn a_measure_missing_on_every_seed_has_no_value_and_its_missing_row_shows() {
        // How a measure missing on some seeds is averaged: flaky::compare's tests.
        let summary = |recovered_ms| Summary {
            recovered_ms,
            ..Summary::default()
        };
        // Missing on every seed: no value at all, shown as a dash.
        let never = super::rows(&[(summary(None), summary(None))]);
        assert_eq!(
            never
                .iter()
                .find(|r| r.name == "recovered_ms")
                .and_then(|r| r.a),
            None
        );
        assert!(table(&[], &never).contains("recovered_ms.missing"));
    }
}
