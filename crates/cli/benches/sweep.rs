//! `playground sweep` as a user runs it (the release binary, every core):
//! 20 values × 5 seeds × 1,000 calls, A alone and A with B; and
//! `playground profiles` (11 profiles × 5 seeds × 1,000 calls). Printed,
//! not asserted: the machine decides the numbers (issue 16's target: the
//! sweep within 1 s on 2 cores).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench may fail loudly

use std::process::Command;
use std::time::Instant;

/// 1,000 calls a run: 100 clients × 10 calls on the no-jitter lesson's endpoint.
const WORLD: [&str; 6] = ["--preset", "no-jitter", "--clients", "100", "--calls", "10"];

fn time(what: &str, args: &[&str]) {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_playground"))
            .args(args)
            .args(WORLD)
            .args(["--format", "json"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run playground: {e}"));
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        best = best.min(started.elapsed().as_secs_f64());
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "sweep bench: {what}: {:.3} s (best of 3, {cores} cores, process included)",
        best
    );
}

fn main() {
    let sweep = [
        "sweep",
        "--knob",
        "backoff.base_ms",
        "--from",
        "10",
        "--to",
        "2000",
        "--steps",
        "20",
        "--log",
        "--seeds",
        "5",
    ];
    time("sweep 20 values × 5 seeds × 1,000 calls, A", &sweep);
    let with_b: Vec<&str> = sweep
        .iter()
        .copied()
        .chain(["--b-set", "jitter.kind=full"])
        .collect();
    time("sweep 20 values × 5 seeds × 1,000 calls, A and B", &with_b);
    time(
        "profiles 11 × 5 seeds × 1,000 calls",
        &["profiles", "--seeds", "5"],
    );
}
