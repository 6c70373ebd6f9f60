//! `playground sweep`: one knob over a range, a list or its choices; at each
//! value A (and B: A with `--b-set`) over the same seeds, each point what
//! `compare --set KNOB=VALUE` computes ([`flaky::sweep`]). The runs of every
//! value and seed spread over all cores (rayon).

use std::fmt::Write as _;

use flaky::compare::{summary_of, Row};
use flaky::scenario::RunKnobs;
use flaky::sim::{RunConfig, Summary};
use flaky::stats::Interval;
use flaky::sweep::{self, Point, Scale, Values, DEFAULT_MEASURES};
use rayon::prelude::*;
use serde_json::{json, Map, Value};

use crate::args::{Format, SweepArgs};
use crate::compare::{decimals, show, NO_VALUE};
use crate::{apply_sets, run_config, seed_list, Failure};

/// The values `--from/--to/--steps/--log` or `--values` ask for (every
/// choice when neither is given).
fn asked_values(a: &SweepArgs) -> Result<Values, Failure> {
    if let Some(list) = &a.values {
        if a.from.is_some() || a.to.is_some() || a.steps.is_some() {
            return Err(Failure::Input(
                "--values with --from/--to/--steps: give one or the other".into(),
            ));
        }
        return Ok(Values::List(
            list.split(',').map(|v| v.trim().to_string()).collect(),
        ));
    }
    match (a.from, a.to, a.steps) {
        (None, None, None) if !a.log => Ok(Values::Choices),
        (Some(from), Some(to), Some(steps)) => Ok(Values::Range {
            from,
            to,
            steps,
            scale: if a.log { Scale::Log } else { Scale::Linear },
        }),
        _ => Err(Failure::Input(
            "a range needs --from, --to and --steps (or give --values)".into(),
        )),
    }
}

/// The measures `--measures` names, checked.
pub(crate) fn asked_measures(list: Option<&str>) -> Result<Vec<String>, Failure> {
    let measures: Vec<String> = match list {
        Some(list) => list.split(',').map(|m| m.trim().to_string()).collect(),
        None => DEFAULT_MEASURES.iter().map(|m| m.to_string()).collect(),
    };
    sweep::check_measures(&measures).map_err(|e| Failure::Input(format!("--measures: {e}")))?;
    Ok(measures)
}

/// A's (and B's) config at each value.
fn configs(
    a: &SweepArgs,
    base: &RunConfig,
    values: &[String],
) -> Result<Vec<(RunConfig, Option<RunConfig>)>, Failure> {
    values
        .iter()
        .map(|value| {
            let at = sweep::config_at(base, &a.knob, value)
                .map_err(|e| Failure::Input(format!("--knob {} at {value}: {e}", a.knob)))?;
            let b = if a.b_set.is_empty() {
                None
            } else {
                let mut b = at.clone();
                apply_sets(&mut b, "--b-set", &a.b_set)?;
                b.validate().map_err(|e| {
                    Failure::Input(format!("B at {} = {value} (after --b-set): {e}", a.knob))
                })?;
                Some(b)
            };
            Ok((at, b))
        })
        .collect()
}

/// Every point: the runs of all values and seeds in parallel, then each
/// value's rows as `compare` computes them.
pub(crate) fn points(
    values: &[String],
    configs: &[(RunConfig, Option<RunConfig>)],
    seeds: &[u64],
    measures: &[String],
) -> Vec<Point> {
    let jobs: Vec<(usize, u64)> = (0..configs.len())
        .flat_map(|i| seeds.iter().map(move |&s| (i, s)))
        .collect();
    let runs: Vec<(Summary, Option<Summary>)> = jobs
        .par_iter()
        .map(|&(i, seed)| {
            let (a, b) = &configs[i];
            (summary_of(a, seed), b.as_ref().map(|b| summary_of(b, seed)))
        })
        .collect();
    values
        .iter()
        .zip(runs.chunks(seeds.len().max(1)))
        .map(|(value, chunk)| {
            let a: Vec<Summary> = chunk.iter().map(|(a, _)| a.clone()).collect();
            let b: Option<Vec<Summary>> = chunk.iter().map(|(_, b)| b.clone()).collect();
            Point {
                value: value.clone(),
                rows: sweep::point_rows(&a, b.as_deref(), measures),
            }
        })
        .collect()
}

pub fn sweep(a: &SweepArgs) -> Result<String, Failure> {
    let built = run_config(&a.config)?;
    let values = sweep::values(&RunKnobs::STANDARD, &a.knob, &asked_values(a)?)
        .map_err(|e| Failure::Input(format!("--knob {}: {e}", a.knob)))?;
    let measures = asked_measures(a.measures.as_deref())?;
    let seeds = seed_list(a.seed, a.seeds)?;
    let configs = configs(a, &built.config, &values)?;
    let points = points(&values, &configs, &seeds, &measures);
    let with_b = !a.b_set.is_empty();
    Ok(match a.format {
        Format::Json => json(&a.knob, &points, a.seeds, with_b),
        Format::Csv => csv(&points, with_b),
        Format::Table => table(&a.knob, &points, &measures, a.seeds, with_b),
    })
}

/// A value as JSON: a number when it reads as one, else its text.
pub(crate) fn value_json(value: &str) -> Value {
    if let Ok(n) = value.parse::<u64>() {
        return json!(n);
    }
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() => json!(x),
        _ => json!(value),
    }
}

/// `{measure: {"mean", "lo", "hi"} | null}` of one side.
pub(crate) fn side_json(rows: &[Row], pick: fn(&Row) -> Option<Interval>) -> Value {
    let map: Map<String, Value> = rows
        .iter()
        .map(|r| {
            let v = pick(r).map_or(
                Value::Null,
                |i| json!({"mean": i.mean, "lo": i.lo, "hi": i.hi}),
            );
            (r.name.clone(), v)
        })
        .collect();
    Value::Object(map)
}

fn json(knob: &str, points: &[Point], seeds: u32, with_b: bool) -> String {
    let values: Vec<Value> = points.iter().map(|p| value_json(&p.value)).collect();
    let points: Vec<Value> = points
        .iter()
        .map(|p| {
            let mut point =
                json!({"value": value_json(&p.value), "a": side_json(&p.rows, |r| r.a)});
            if with_b {
                point["b"] = side_json(&p.rows, |r| r.b);
                point["diff"] = side_json(&p.rows, |r| r.diff);
            }
            point
        })
        .collect();
    let value = json!({"knob": knob, "values": values, "seeds": seeds, "points": points});
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// `value,measure,a_mean,a_lo,a_hi` (and B's and B − A's with `--b-set`), a row per value and measure.
fn csv(points: &[Point], with_b: bool) -> String {
    let mut out = String::from("value,measure,a_mean,a_lo,a_hi");
    if with_b {
        out.push_str(",b_mean,b_lo,b_hi,diff_mean,diff_lo,diff_hi");
    }
    out.push('\n');
    for p in points {
        for r in &p.rows {
            let _ = write!(out, "{},{}", p.value, r.name);
            let sides = if with_b {
                vec![r.a, r.b, r.diff]
            } else {
                vec![r.a]
            };
            for i in sides {
                match i {
                    Some(i) => {
                        let _ = write!(out, ",{},{},{}", i.mean, i.lo, i.hi);
                    }
                    None => out.push_str(",,,"),
                }
            }
            out.push('\n');
        }
    }
    out
}

/// An aligned table: the value, then each measure's A (and B) as `mean [lo, hi]`.
fn table(knob: &str, points: &[Point], measures: &[String], seeds: u32, with_b: bool) -> String {
    let mut header = vec![knob.to_string()];
    for m in measures {
        header.push(format!("{m} A"));
        if with_b {
            header.push(format!("{m} B"));
        }
    }
    let cell = |i: Option<Interval>, name: &str| {
        i.map_or(NO_VALUE.into(), |i| show(i, decimals(name), false))
    };
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            let mut row = vec![p.value.clone()];
            for r in &p.rows {
                row.push(cell(r.a, &r.name));
                if with_b {
                    row.push(cell(r.b, &r.name));
                }
            }
            row
        })
        .collect();
    let mut widths = vec![0usize; header.len()];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out =
        format!("{seeds} seeds per value, the same at every value; mean [95% interval]\n\n");
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = widths
            .iter()
            .zip(row)
            .map(|(w, c)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
