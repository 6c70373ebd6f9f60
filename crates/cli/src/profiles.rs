//! `playground profiles`: every library profile's client policy on the same
//! world (the preset's endpoint and scenario, and `--set`) over the same
//! seeds, and which profiles are on the front of (p99, amplification) and of
//! (success rate, amplification) ([`flaky::sweep::front_of`]).

use std::fmt::Write as _;

use flaky::sweep::{self, FRONT_P99, FRONT_SUCCESS};
use serde_json::{json, Value};

use crate::args::{Format, ProfilesArgs};
use crate::compare::{decimals, show, NO_VALUE};
use crate::sweep::{points, side_json};
use crate::{run_config, seed_list, Failure};

/// The measures each profile shows.
const MEASURES: [&str; 4] = [
    "latency_ms_p99",
    sweep::SUCCESS_RATE,
    "amplification",
    "duplicates",
];

pub fn profiles(a: &ProfilesArgs) -> Result<String, Failure> {
    let world = run_config(&a.config)?.config;
    let profiles = sweep::profiles().map_err(Failure::Io)?;
    let seeds = seed_list(a.seed, a.seeds)?;
    let measures: Vec<String> = MEASURES.iter().map(|m| m.to_string()).collect();
    let ids: Vec<String> = profiles.iter().map(|p| p.id.clone()).collect();
    let configs: Vec<_> = profiles
        .iter()
        .map(|p| (sweep::with_profile(&world, p), None))
        .collect();
    let points = points(&ids, &configs, &seeds, &measures);
    let rows: Vec<_> = points.iter().map(|p| p.rows.clone()).collect();
    let front_p99 = sweep::front_of(&rows, FRONT_P99);
    let front_success = sweep::front_of(&rows, FRONT_SUCCESS);
    let on = |front: &[bool]| -> Vec<&str> {
        ids.iter()
            .zip(front)
            .filter(|(_, &on)| on)
            .map(|(id, _)| id.as_str())
            .collect()
    };
    Ok(match a.format {
        Format::Json => {
            let list: Vec<Value> = profiles
                .iter()
                .zip(&points)
                .enumerate()
                .map(|(i, (p, point))| {
                    json!({
                        "id": p.id, "title": p.title,
                        "measures": side_json(&point.rows, |r| r.a),
                        "front_p99": front_p99[i], "front_success": front_success[i],
                    })
                })
                .collect();
            let value = json!({
                "seeds": a.seeds,
                "profiles": list,
                "fronts": {
                    "latency_ms_p99,amplification": on(&front_p99),
                    "success_rate,amplification": on(&front_success),
                },
            });
            let mut text =
                serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
            text.push('\n');
            text
        }
        Format::Csv => {
            let mut out = String::from("profile,measure,mean,lo,hi,front_p99,front_success\n");
            for (i, point) in points.iter().enumerate() {
                for r in &point.rows {
                    let (m, lo, hi) =
                        r.a.map_or((String::new(), String::new(), String::new()), |x| {
                            (x.mean.to_string(), x.lo.to_string(), x.hi.to_string())
                        });
                    let _ = writeln!(
                        out,
                        "{},{},{m},{lo},{hi},{},{}",
                        point.value, r.name, front_p99[i], front_success[i]
                    );
                }
            }
            out
        }
        Format::Table => {
            let mut out = format!(
                "{} seeds, every profile on the same world; mean [95% interval]; \
                 front: * of (p99, amplification), + of (success rate, amplification)\n\n",
                a.seeds
            );
            let width = ids.iter().map(String::len).max().unwrap_or(0);
            for (i, point) in points.iter().enumerate() {
                let mark = format!(
                    "{}{}",
                    if front_p99[i] { "*" } else { " " },
                    if front_success[i] { "+" } else { " " }
                );
                let cells: Vec<String> = point
                    .rows
                    .iter()
                    .map(|r| {
                        let v =
                            r.a.map_or(NO_VALUE.into(), |x| show(x, decimals(&r.name), false));
                        format!("{} {v}", r.name)
                    })
                    .collect();
                let _ = writeln!(out, "{mark} {:<width$}  {}", point.value, cells.join("  "));
            }
            out
        }
    })
}
