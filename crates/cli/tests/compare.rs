//! `playground compare` end to end: A and B over the same seeds, the JSON
//! shape, exact zeros for identical configs, a real difference, the CSV and
//! table, and exit status 2 naming the bad part.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use common::{bad, json, ok};
use serde_json::Value;

/// Every summary figure `compare` reports besides the `gave_up.<Reason>` ones.
const MEASURES: [&str; 19] = [
    "calls",
    "succeeded",
    "gave_up",
    "unfinished",
    "not_started",
    "attempts",
    "server_requests",
    "amplification",
    "latency_ms_p50",
    "latency_ms_p95",
    "latency_ms_p99",
    "creates_applied",
    "duplicates",
    "time_to_drain_ms",
    "breaker_open_ms",
    "server_in_flight_max",
    "lateness_ms_p50",
    "lateness_ms_p99",
    "lateness_ms_max",
];

/// `(mean, lo, hi)` of a measure on one side (`a`, `b` or `diff`).
fn interval(v: &Value, side: &str, measure: &str) -> (f64, f64, f64) {
    let m = &v[side][measure];
    let get = |k: &str| {
        m[k].as_f64()
            .unwrap_or_else(|| panic!("no number {side}.{measure}.{k} in {v}"))
    };
    (get("mean"), get("lo"), get("hi"))
}

#[test]
fn compare_json_has_a_b_diff_and_seeds_with_mean_lo_hi() {
    let v = json(&[
        "compare",
        "--preset",
        "full-jitter",
        "--clients",
        "20",
        "--calls",
        "2",
        "--set",
        "endpoint.fault.503=0.3",
        "--b-set",
        "attempts.max=2",
        "--seeds",
        "5",
        "--format",
        "json",
    ]);
    let Value::Object(top) = &v else {
        panic!("{v}")
    };
    let mut keys: Vec<&str> = top.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["a", "b", "diff", "seeds"], "{v}");
    assert_eq!(v["seeds"].as_u64(), Some(5), "{v}");
    let names = |side: &str| -> Vec<String> {
        v[side]
            .as_object()
            .unwrap_or_else(|| panic!("`{side}` is not an object: {v}"))
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(names("a"), names("b"), "{v}");
    assert_eq!(names("a"), names("diff"), "{v}");
    for measure in MEASURES {
        assert!(names("a").iter().any(|n| n == measure), "{measure}: {v}");
    }
    assert!(
        names("a").iter().any(|n| n == "gave_up.AttemptsExhausted"),
        "a reason seen (in B only) is a measure of both: {v}"
    );
    for side in ["a", "b", "diff"] {
        for measure in names(side) {
            let m = &v[side][&measure];
            if m.is_null() {
                // No value on any seed (a run that never recovered): counted in `.missing`.
                assert!(
                    names(side).contains(&format!("{measure}.missing")),
                    "{side}.{measure}: {v}"
                );
                continue;
            }
            assert_eq!(
                m.as_object().map(|o| o.len()),
                Some(3),
                "{side}.{measure}: {m}"
            );
            let (mean, lo, hi) = interval(&v, side, &measure);
            assert!(lo <= mean && mean <= hi, "{side}.{measure}: {m}");
        }
    }
    // --clients and --calls are run's shortcuts: 20 clients × 2 calls on both sides.
    assert_eq!(interval(&v, "a", "calls"), (40.0, 40.0, 40.0), "{v}");
    assert_eq!(interval(&v, "b", "calls"), (40.0, 40.0, 40.0), "{v}");
}

#[test]
fn compare_identical_a_and_b_differ_by_exactly_zero() {
    for b_set in [&[][..], &["--b-set", "jitter.kind=none"][..]] {
        let args = [
            &[
                "compare",
                "--preset",
                "retry-everything",
                "--seeds",
                "5",
                "--format",
                "json",
            ][..],
            b_set,
        ]
        .concat();
        let v = json(&args);
        let diff = v["diff"]
            .as_object()
            .unwrap_or_else(|| panic!("{args:?}: {v}"));
        assert!(diff.len() > MEASURES.len(), "{args:?}: a reason seen: {v}");
        for (measure, m) in diff {
            for k in ["mean", "lo", "hi"] {
                assert_eq!(m[k].as_f64(), Some(0.0), "{args:?}: diff.{measure}: {m}");
            }
            assert_eq!(v["a"][measure], v["b"][measure], "{args:?}: {measure}");
        }
    }
}

#[test]
fn compare_full_jitter_beats_no_jitter_beyond_the_noise() {
    let v = json(&[
        "compare",
        "--preset",
        "no-jitter",
        "--b-set",
        "jitter.kind=full",
        "--seeds",
        "5",
        "--format",
        "json",
    ]);
    // Seeds 0..=4: p99 −2587 ms [−3486, −1687], attempts −105 [−120, −90].
    for measure in ["latency_ms_p99", "attempts"] {
        let (mean, _, hi) = interval(&v, "diff", measure);
        assert!(hi < 0.0, "full jitter should lower {measure}: {v}");
        let (a, b) = (interval(&v, "a", measure).0, interval(&v, "b", measure).0);
        assert!(
            (b - a - mean).abs() < 1e-6 * a.abs().max(1.0),
            "{measure}: {v}"
        );
    }
    assert_eq!(interval(&v, "diff", "calls"), (0.0, 0.0, 0.0), "{v}");
}

#[test]
fn compare_csv_is_a_header_and_a_row_per_measure() {
    let args = [
        "compare",
        "--preset",
        "no-jitter",
        "--clients",
        "20",
        "--b-set",
        "jitter.kind=equal",
        "--seeds",
        "5",
        "--seed",
        "7",
    ];
    let text = ok(&[&args[..], &["--format", "csv"]].concat());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "measure,a_mean,a_lo,a_hi,b_mean,b_lo,b_hi,diff_mean,diff_lo,diff_hi"
    );
    let v = json(&[&args[..], &["--format", "json"]].concat());
    let measures = v["a"].as_object().map_or(0, |o| o.len());
    assert_eq!(lines.len(), 1 + measures, "{text}");
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 10, "{line}");
        if cells[1..].iter().all(|c| c.is_empty()) {
            // No value on any seed: empty cells, JSON null.
            assert!(v["diff"][cells[0]].is_null(), "{line}");
            continue;
        }
        let numbers: Vec<f64> = cells[1..]
            .iter()
            .map(|c| c.parse().unwrap_or_else(|e| panic!("{line}: {e}")))
            .collect();
        let (mean, lo, hi) = interval(&v, "diff", cells[0]);
        // serde_json's default parser may read a float one ulp off.
        for (csv, json) in numbers[6..].iter().zip([mean, lo, hi]) {
            assert!(
                (csv - json).abs() <= 1e-12 * json.abs().max(1.0),
                "{line}: {json}"
            );
        }
    }
}

#[test]
fn compare_table_lists_b_knobs_and_marks_the_difference() {
    let text = ok(&[
        "compare",
        "--preset",
        "no-jitter",
        "--b-set",
        "jitter.kind=full",
        "--seeds",
        "5",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("A: preset no-jitter"), "{text}");
    assert_eq!(lines[1], "B: A with jitter.kind=full", "{text}");
    assert!(lines[2].starts_with("5 seeds (0..=4)"), "{text}");
    let row = |name: &str| {
        *lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} row: {text}"))
    };
    assert!(row("measure").ends_with("B − A"), "{text}");
    let p99 = row("latency_ms_p99");
    assert!(p99.contains(" -") && p99.ends_with(" *"), "{p99}");
    assert!(row("calls").ends_with("same"), "{text}");
    let same = ok(&["compare", "--seeds", "2"]);
    assert!(same.lines().nth(1) == Some("B: the same as A"), "{same}");
    assert!(!same.contains('*'), "nothing to mark: {same}");
}

#[test]
fn compare_bad_input_exits_2_naming_the_bad_part() {
    bad(
        &["compare", "--b-set", "foo.bar=1"],
        &["--b-set", "foo.bar", "backoff.base_ms"],
    );
    bad(
        &["compare", "--b-set", "jitter.kind"],
        &["--b-set", "jitter.kind", "KEY=VALUE"],
    );
    bad(
        &["compare", "--b-set", "backoff.base_ms=-5"],
        &["--b-set", "backoff.base_ms", "-5"],
    );
    bad(
        &["compare", "--set", "nope.knob=1"],
        &["--set", "nope.knob"],
    );
    bad(&["compare", "--preset", "nope"], &["nope", "no-jitter"]);
    bad(&["compare", "--seeds", "0"], &["--seeds", "0"]);
    bad(&["compare", "--seeds", "10001"], &["--seeds", "10001"]);
    bad(&["compare", "--seeds", "many"], &["--seeds", "many"]);
    bad(
        &["compare", "--clients", "0"],
        &["--clients", "sim.clients"],
    );
    bad(
        &["compare", "--seed", "18446744073709551615", "--seeds", "2"],
        &["--seed", "--seeds"],
    );
    bad(
        &["compare", "--format", "xml"],
        &["xml", "json", "csv", "table"],
    );
}
