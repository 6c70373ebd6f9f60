//! Plain timing, no harness: how many simulated attempts per second the
//! simulator runs, and the wall time of a 10,000-client storm with the full
//! policy stack. Run with `cargo bench -p flaky --bench sim`.
//! (The contention sweep is timed in `benches/contention.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use flaky::{presets, sim};

include!("storm/config.rs");

/// Each rate is measured over at least this long.
const MEASURE: Duration = Duration::from_millis(500);

fn main() {
    for id in ["full-jitter", "infinite-retries"] {
        match presets::find(id) {
            Ok(preset) => attempts_per_second(id, &preset.config),
            Err(e) => eprintln!("{e}"),
        }
    }
    storm(10_000);
}

/// Runs the preset over seeds 0, 1, 2... until `MEASURE` has passed.
fn attempts_per_second(id: &str, config: &sim::RunConfig) {
    let start = Instant::now();
    let (mut attempts, mut runs) = (0u64, 0u64);
    while start.elapsed() < MEASURE {
        attempts += sim::run(config, runs).summary().attempts;
        runs += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "sim: {:.0} attempts/s (preset {id}; {runs} runs, {attempts} attempts in {elapsed:.2} s)",
        attempts as f64 / elapsed
    );
}

fn storm(clients: u32) {
    let config = storm_config(clients);
    let start = Instant::now();
    let trace = sim::run(&config, 1);
    let run_s = start.elapsed().as_secs_f64();
    let summary = trace.summary();
    let total_s = start.elapsed().as_secs_f64();
    println!(
        "storm (native): {clients} clients, {} attempts in {:.0} ms ({:.0} ms with the summary)",
        summary.attempts,
        run_s * 1e3,
        total_s * 1e3
    );
    println!("storm summary: {}", storm_line(&summary));
}
