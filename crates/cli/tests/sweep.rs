//! `playground sweep` and `playground profiles` end to end: a point equals
//! `compare` for the same value and seeds, `--log` spacing, a choice sweep,
//! the JSON shape, the profiles' fronts, and exit status 2 naming each bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use common::{bad, json, ok};
use serde_json::Value;

const WORLD: [&str; 8] = [
    "--preset",
    "no-jitter",
    "--clients",
    "10",
    "--calls",
    "3",
    "--set",
    "endpoint.fault.503=0.3",
];

/// The command (`rest[0]`), the world, then the rest.
fn with_world<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    let (command, rest) = rest.split_first().expect("a command");
    std::iter::once(*command)
        .chain(WORLD.iter().copied())
        .chain(rest.iter().copied())
        .collect()
}

fn values(v: &Value) -> Vec<f64> {
    v["values"]
        .as_array()
        .unwrap_or_else(|| panic!("no values in {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("{x} is not a number")))
        .collect()
}

#[test]
fn a_point_equals_compare_for_that_value_and_seeds() {
    let measures = "latency_ms_p99,amplification,duplicates,recovered_ms,gave_up";
    let sweep = json(&with_world(&[
        "sweep",
        "--knob",
        "backoff.base_ms",
        "--values",
        "50,400",
        "--b-set",
        "jitter.kind=full",
        "--seeds",
        "6",
        "--seed",
        "3",
        "--measures",
        measures,
        "--format",
        "json",
    ]));
    assert_eq!(sweep["knob"], "backoff.base_ms");
    assert_eq!(sweep["seeds"].as_u64(), Some(6));
    assert_eq!(values(&sweep), [50.0, 400.0]);
    for (i, value) in ["50", "400"].iter().enumerate() {
        let set = format!("backoff.base_ms={value}");
        let compare = json(&with_world(&[
            "compare",
            "--set",
            &set,
            "--b-set",
            "jitter.kind=full",
            "--seeds",
            "6",
            "--seed",
            "3",
            "--format",
            "json",
        ]));
        let point = &sweep["points"][i];
        assert_eq!(point["value"].as_f64(), value.parse().ok());
        for measure in measures.split(',') {
            for side in ["a", "b", "diff"] {
                assert_eq!(
                    point[side][measure], compare[side][measure],
                    "{side}.{measure} at {value}: sweep {point} vs compare {compare}"
                );
            }
        }
        // A real difference somewhere, so the equality is not of two nulls.
        assert!(
            point["a"]["latency_ms_p99"]["mean"].as_f64().is_some(),
            "{point}"
        );
    }
}

#[test]
fn log_spacing_has_a_constant_ratio_and_linear_a_constant_step() {
    let args = |log: bool| {
        let mut a = with_world(&[
            "sweep",
            "--knob",
            "backoff.base_ms",
            "--from",
            "10",
            "--to",
            "10000",
            "--steps",
            "4",
            "--seeds",
            "1",
            "--format",
            "json",
        ]);
        if log {
            a.push("--log");
        }
        a
    };
    assert_eq!(values(&json(&args(true))), [10.0, 100.0, 1000.0, 10000.0]);
    assert_eq!(values(&json(&args(false))), [10.0, 3340.0, 6670.0, 10000.0]);
    let real = json(&with_world(&[
        "sweep",
        "--knob",
        "endpoint.fault.503",
        "--from",
        "0.01",
        "--to",
        "0.64",
        "--steps",
        "4",
        "--log",
        "--seeds",
        "1",
        "--format",
        "json",
    ]));
    let v = values(&real);
    assert_eq!(v.len(), 4, "{real}");
    for w in v.windows(2) {
        assert!((w[1] / w[0] - 4.0).abs() < 1e-3, "{v:?}");
    }
}

#[test]
fn a_choice_knob_sweeps_every_choice_and_a_alone_has_no_b() {
    let v = json(&with_world(&[
        "sweep",
        "--knob",
        "jitter.kind",
        "--seeds",
        "2",
        "--format",
        "json",
    ]));
    let names: Vec<&str> = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"none"), "{v}");
    assert!(
        names.contains(&"full") && names.contains(&"decorrelated_v2"),
        "{names:?}"
    );
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), names.len());
    let keys: Vec<&String> = points[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "value"], "{v}");
    assert!(
        points[0]["a"]["success_rate"]["mean"].as_f64().is_some(),
        "{v}"
    );
    // Full jitter spreads the retries: its p99 differs from none's on the same world.
    let listed = json(&with_world(&[
        "sweep",
        "--knob",
        "jitter.kind",
        "--values",
        "none,full",
        "--seeds",
        "2",
        "--format",
        "json",
    ]));
    assert_eq!(listed["points"][0], points[0]);
    let csv = ok(&with_world(&[
        "sweep",
        "--knob",
        "jitter.kind",
        "--values",
        "none,full",
        "--seeds",
        "2",
        "--format",
        "csv",
    ]));
    assert!(csv.starts_with("value,measure,a_mean,a_lo,a_hi\n"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 2 * 3, "{csv}");
}

#[test]
fn each_bad_input_exits_2_and_names_it() {
    let run = |rest: &[&str], needles: &[&str]| {
        let mut args = vec!["sweep", "--preset", "no-jitter", "--seeds", "1"];
        args.extend_from_slice(rest);
        bad(&args, needles);
    };
    run(
        &[
            "--knob",
            "backoff.nope",
            "--from",
            "1",
            "--to",
            "2",
            "--steps",
            "2",
        ],
        &["unknown knob `backoff.nope`"],
    );
    run(
        &[
            "--knob",
            "backoff.base_ms",
            "--from",
            "200",
            "--to",
            "10",
            "--steps",
            "2",
        ],
        &["from 200 is above to 10"],
    );
    run(
        &[
            "--knob",
            "backoff.base_ms",
            "--from",
            "1",
            "--to",
            "10",
            "--steps",
            "0",
        ],
        &["steps 0"],
    );
    run(
        &[
            "--knob",
            "backoff.base_ms",
            "--from",
            "1",
            "--to",
            "10",
            "--steps",
            "201",
        ],
        &["steps 201", "200"],
    );
    run(
        &[
            "--knob",
            "backoff.base_ms",
            "--from",
            "0",
            "--to",
            "10",
            "--steps",
            "3",
            "--log",
        ],
        &["log", "from > 0"],
    );
    run(
        &[
            "--knob",
            "backoff.base_ms",
            "--from",
            "1",
            "--to",
            "9999999",
            "--steps",
            "3",
        ],
        &["backoff.base_ms", "out of the knob's range", "0..=3600000"],
    );
    run(
        &["--knob", "backoff.base_ms", "--values", "10,-5"],
        &["backoff.base_ms", "-5"],
    );
    run(
        &["--knob", "jitter.kind", "--values", "full,wobbly"],
        &["wobbly"],
    );
    run(
        &["--knob", "backoff.base_ms"],
        &["backoff.base_ms", "not a choice"],
    );
    run(
        &["--knob", "backoff.base_ms", "--from", "1", "--to", "10"],
        &["--steps"],
    );
    run(
        &["--knob", "jitter.kind", "--measures", "p99ish"],
        &["unknown measure `p99ish`"],
    );
}

#[test]
fn profiles_run_every_library_on_one_world_and_mark_the_fronts() {
    let v = json(&with_world(&[
        "profiles", "--seeds", "2", "--format", "json",
    ]));
    let profiles = v["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 12, "{v}"); // every lib-* profile in presets.json
    assert!(profiles
        .iter()
        .all(|p| p["id"].as_str().unwrap().starts_with("lib-")));
    for front in ["front_p99", "front_success"] {
        assert!(
            profiles.iter().any(|p| p[front] == true),
            "no profile on {front}: {v}"
        );
    }
    // On the front of (p99, amplification): no other profile is at least as good on both.
    let xy = |p: &Value| {
        (
            p["measures"]["latency_ms_p99"]["mean"].as_f64().unwrap(),
            p["measures"]["amplification"]["mean"].as_f64().unwrap(),
        )
    };
    for p in profiles.iter().filter(|p| p["front_p99"] == true) {
        let (x, y) = xy(p);
        for q in profiles {
            let (qx, qy) = xy(q);
            assert!(
                !(qx <= x && qy <= y && (qx < x || qy < y)),
                "{} dominated by {}",
                p["id"],
                q["id"]
            );
        }
    }
    bad(
        &["profiles", "--preset", "nope"],
        &["unknown preset `nope`"],
    );
}
