//! The built `playground` binary, end to end: outputs, formats, determinism,
//! and exit status 2 with a message naming the bad part for every bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use common::{bad, json, ok};
use serde_json::Value;

fn field(v: &Value, name: &str) -> u64 {
    v[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no integer `{name}` in {v}"))
}

#[test]
fn presets_lists_every_id_with_its_title() {
    let text = ok(&["presets"]);
    let lines: Vec<&str> = text.lines().collect();
    let all = flaky::presets::all().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines.len(), all.len(), "{text}");
    for id in [
        "no-idempotency",
        "idempotency-key",
        "full-jitter",
        "combined-fetch",
        "layered-retries",
        "hedging",
        "bulkhead",
        "metastable-storm",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().next() == Some(id)),
            "{id} missing: {text}"
        );
    }
    assert!(
        text.contains("Exponential backoff with full jitter"),
        "{text}"
    );
}

#[test]
fn json_summary_has_the_summary_fields() {
    let s = json(&["run", "--format", "json"]);
    for name in [
        "calls",
        "succeeded",
        "gave_up",
        "unfinished",
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
    ] {
        assert!(s.get(name).is_some(), "`{name}` missing from {s}");
    }
    assert!(s["gave_up"].is_object(), "{s}");
    assert_eq!(
        field(&s, "calls"),
        10,
        "the default run has 10 clients × 1 call: {s}"
    );
}

#[test]
fn idempotency_keys_prevent_the_duplicates() {
    let naive = json(&["run", "--preset", "no-idempotency", "--format", "json"]);
    assert!(field(&naive, "duplicates") > 0, "{naive}");
    let keyed = json(&["run", "--preset", "idempotency-key", "--format", "json"]);
    assert_eq!(field(&keyed, "duplicates"), 0, "{keyed}");
}

#[test]
fn set_calls_and_clients_change_the_run() {
    let base = json(&["run", "--preset", "no-idempotency", "--format", "json"]);
    let keyed = json(&[
        "run",
        "--preset",
        "no-idempotency",
        "--format",
        "json",
        "--set",
        "idempotency.key=true",
        "--set",
        "endpoint.create=idempotency_key",
    ]);
    assert!(
        field(&base, "duplicates") > 0 && field(&keyed, "duplicates") == 0,
        "{base}\n{keyed}"
    );
    let sized = json(&["run", "--clients", "7", "--calls", "3", "--format", "json"]);
    assert_eq!(field(&sized, "calls"), 21, "{sized}");
    // --set comes after --clients, so it wins.
    let overridden = json(&[
        "run",
        "--clients",
        "7",
        "--set",
        "sim.clients=4",
        "--format",
        "json",
    ]);
    assert_eq!(field(&overridden, "calls"), 4, "{overridden}");
}

#[test]
fn csv_is_a_header_and_one_row_matching_the_json() {
    let args = ["run", "--preset", "circuit-breaker", "--seed", "3"];
    let text = ok(&[&args[..], &["--format", "csv"]].concat());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let values: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(header.len(), values.len(), "{text}");
    let summary = json(&[&args[..], &["--format", "json"]].concat());
    let Value::Object(fields) = &summary else {
        panic!("{summary}")
    };
    for (name, value) in fields {
        if name == "gave_up" {
            assert!(header.iter().any(|h| h.starts_with("gave_up.")), "{text}");
            continue;
        }
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("summary field `{name}` is not a CSV column: {text}"));
        let parsed: f64 = values[i].parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(Some(parsed), value.as_f64(), "{name}");
    }
}

#[test]
fn table_names_the_preset_and_every_figure() {
    let text = ok(&["run", "--preset", "full-jitter"]);
    assert!(text.starts_with("preset full-jitter"), "{text}");
    for name in [
        "calls",
        "succeeded",
        "amplification",
        "latency_ms_p99",
        "duplicates",
        "breaker_open_ms",
    ] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(name)),
            "{name} missing: {text}"
        );
    }
}

#[test]
fn trace_file_is_json_with_every_call() {
    let dir = std::env::temp_dir().join(format!("playground-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("trace.json");
    let path_text = path.to_string_lossy().to_string();
    let summary = json(&[
        "run",
        "--preset",
        "blind-retries",
        "--format",
        "json",
        "--trace",
        &path_text,
    ]);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path_text}: {e}"));
    let trace: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path_text}: {e}"));
    let calls = trace["calls"].as_array().map(Vec::len).unwrap_or(0) as u64;
    assert_eq!(calls, field(&summary, "calls"));
    assert_eq!(trace["seed"].as_u64(), Some(42));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn contention_csv_has_five_rows_per_client_count() {
    let text = ok(&["contention", "--clients", "10,20,30", "--runs", "5"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "clients,time_ms,calls,algorithm");
    assert_eq!(lines.len(), 1 + 3 * 5, "{text}");
    for clients in ["10", "20", "30"] {
        let mut algorithms: Vec<&str> = lines[1..]
            .iter()
            .filter(|l| l.split(',').next() == Some(clients))
            .filter_map(|l| l.split(',').nth(3))
            .collect();
        algorithms.sort_unstable();
        assert_eq!(
            algorithms,
            ["Decorr", "EqualJitter", "Exponential", "FullJitter", "None"]
        );
    }
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 4, "{line}");
        let calls: f64 = cells[2].parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        let clients: f64 = cells[0].parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(
            calls >= clients,
            "every client writes at least once: {line}"
        );
    }
    let table = ok(&[
        "contention",
        "--clients",
        "10",
        "--runs",
        "2",
        "--format",
        "table",
    ]);
    assert_eq!(table.lines().count(), 1 + 5, "{table}");
}

#[test]
fn same_seed_same_output() {
    let args = [
        "run",
        "--preset",
        "full-jitter",
        "--seed",
        "9",
        "--format",
        "json",
    ];
    assert_eq!(ok(&args), ok(&args));
    let other = ok(&[
        "run",
        "--preset",
        "full-jitter",
        "--seed",
        "10",
        "--format",
        "json",
    ]);
    assert_ne!(ok(&args), other, "the seed should matter");
    let study = [
        "contention",
        "--clients",
        "20",
        "--runs",
        "3",
        "--seed",
        "5",
    ];
    assert_eq!(ok(&study), ok(&study));
}

#[test]
fn bad_input_exits_2_naming_the_bad_part() {
    bad(
        &["run", "--preset", "nope"],
        &["nope", "no-idempotency", "full-jitter"],
    );
    bad(
        &["run", "--set", "foo.bar=1"],
        &["foo.bar", "backoff.base_ms", "sim.clients"],
    );
    bad(
        &["run", "--set", "backoff.base_ms=-1"],
        &["backoff.base_ms", "-1", "0 to 3600000"],
    );
    bad(&["run", "--set", "jitter.kind=purple"], &["purple", "full"]);
    bad(
        &["run", "--set", "backoff.base_ms"],
        &["backoff.base_ms", "KEY=VALUE"],
    );
    bad(&["run", "--seed", "abc"], &["abc", "--seed"]);
    bad(
        &["run", "--calls", "0"],
        &["--calls", "sim.calls", "1 to 10000"],
    );
    bad(&["run", "--clients", "many"], &["--clients", "many"]);
    bad(
        &["run", "--format", "xml"],
        &["xml", "json", "csv", "table"],
    );
    // A summary needs memory per client only; a trace of ten million calls is refused.
    let never_written = std::env::temp_dir().join("playground-never-written.json");
    let never_written = never_written.to_string_lossy();
    bad(
        &[
            "run",
            "--clients",
            "100000",
            "--calls",
            "100",
            "--trace",
            &never_written,
        ],
        &["sim.calls", "--trace"],
    );
    bad(&["contention", "--clients", ""], &["--clients", "empty"]);
    bad(&["contention", "--clients", "10,x"], &["--clients", "`x`"]);
    bad(&["contention", "--runs", "0"], &["--runs", "0"]);
    bad(&["contention", "--base-ms", "-3"], &["--base-ms", "-3"]);
    bad(
        &["contention", "--net-sd-ms", "inf"],
        &["--net-sd-ms", "inf"],
    );
    bad(&["run", "--calls", "-1"], &["--calls", "-1"]);
    bad(
        &["contention", "--format", "json"],
        &["json", "csv", "table"],
    );
    bad(&["frobnicate"], &["frobnicate"]);
}

#[test]
fn run_takes_every_knob_beyond_the_chapter() {
    let json = json(&[
        "run",
        "--clients",
        "4",
        "--calls",
        "3",
        "--set",
        "throttle.kind=adaptive",
        "--set",
        "throttle.k=1.5",
        "--set",
        "throttle.window_ms=10000",
        "--set",
        "hedge.delay_ms=40",
        "--set",
        "hedge.max_extra=2",
        "--set",
        "client.max_in_flight=1",
        "--set",
        "client.when_full=fail",
        "--set",
        "sim.call_every_ms=10",
        "--set",
        "sim.layers=3",
        "--set",
        "layer.2.attempts.max=2",
        "--set",
        "layer.3.backoff.base_ms=10",
        "--set",
        "endpoint.latency.kind=long_tail",
        "--format",
        "json",
    ]);
    let v = json;
    let layers = v["requests_per_layer"].as_array().map(Vec::len);
    assert_eq!(layers, Some(4), "3 layers and the endpoint: {v}");
    assert!(
        v["gave_up"]["BulkheadFull"].as_u64().is_some_and(|n| n > 0),
        "{v}"
    );
    let csv = ok(&["run", "--set", "sim.layers=2", "--format", "csv"]);
    let header = csv.lines().next().unwrap_or_default();
    for name in [
        "hedged_attempts",
        "throttled_locally",
        "requests_per_layer.0",
        "requests_per_layer.2",
        "gave_up.BulkheadFull",
    ] {
        assert!(header.split(',').any(|h| h == name), "{name}: {header}");
    }
    let listing = ok(&["knobs"]);
    for knob in [
        "throttle.kind",
        "throttle.k",
        "throttle.window_ms",
        "hedge.delay_ms",
        "hedge.max_extra",
        "client.max_in_flight",
        "client.when_full",
        "sim.layers",
        "sim.call_every_ms",
        "layer.N.<policy knob>",
    ] {
        assert!(listing.contains(knob), "{knob}: {listing}");
    }
    bad(
        &["run", "--set", "layer.7.attempts.max=2"],
        &["layer.7", "2 to 4"],
    );
    bad(
        &["run", "--set", "layer.2.attempts.nope=2"],
        &["layer.2.attempts.nope"],
    );
    bad(&["run", "--set", "throttle.k=0.5"], &["throttle.k"]);
}

#[test]
fn readme_knob_table_is_current() {
    let readme = include_str!("../README.md");
    let table = ok(&["knobs", "--format", "markdown"]);
    assert!(
        readme.contains(&table),
        "crates/cli/README.md is stale: regenerate its knob table with `playground knobs --format markdown`"
    );
    let listing = ok(&["knobs"]);
    assert!(
        listing.contains("backoff.base_ms") && listing.contains("retry.status.NNN"),
        "{listing}"
    );
}

#[test]
fn run_and_knobs_cover_the_capacity_outage_and_spike_knobs() {
    let knobs = [
        ("endpoint.capacity.rps", "50"),
        ("endpoint.queue.max", "5"),
        ("endpoint.queue.order", "lifo"),
        ("endpoint.shed", "reject"),
        ("endpoint.shed.max_age_ms", "200"),
        ("endpoint.shed.retry_after_s", "1"),
        ("endpoint.outages", "100+200,600+100"),
        ("sim.spike", "0+500*2"),
    ];
    let mut args = vec![
        "run".to_string(),
        "--format".into(),
        "json".into(),
        "--clients".into(),
        "20".into(),
    ];
    for (k, v) in knobs {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = json(&args);
    for name in ["goodput", "recovered_ms", "shed"] {
        assert!(s.get(name).is_some(), "`{name}` missing from {s}");
    }
    // 20 clients at once into a queue of 5: some are rejected.
    assert!(field(&s, "shed") > 0, "{s}");
    let listing = ok(&["knobs"]);
    for (k, _) in knobs {
        assert!(listing.contains(k), "{k} missing from the knob list");
    }
    bad(
        &["run", "--set", "endpoint.outages=1+2,x"],
        &["endpoint.outages", "part 2 `x`"],
    );
    bad(&["run", "--set", "sim.spike=1+2"], &["sim.spike", "part 1"]);
}
