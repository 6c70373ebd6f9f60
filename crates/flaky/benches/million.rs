//! Plain timing, no harness: a 1,000,000-call storm (100,000 clients × 10
//! calls), summary only (`EngineOptions::lanes(0)`: memory per client, not
//! per attempt), with its wall time and peak memory. Run with
//! `cargo bench -p flaky --bench million`.
//!
//! Each run is a child process of its own (this binary started again with
//! `--run <id>`), so the peak memory it reads (`VmHWM` in
//! `/proc/self/status`) is that run's alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::process::{Command, ExitCode};
use std::time::Instant;

use flaky::engine::EngineOptions;
use flaky::{presets, sim};

/// One storm: a preset at 100,000 clients × 10 calls (its own horizon), with
/// what it is held to.
struct Storm {
    preset: &'static str,
    target: &'static str,
}

const STORMS: [Storm; 2] = [
    Storm {
        preset: "full-jitter",
        target: "target ≤ 10 s, ≤ 300 MB",
    },
    // Unlimited attempts with no pause through a 5 s outage: every client
    // retries every ~10 ms until it ends (~18 attempts per call). Its whole
    // 20 s horizon ends well within a minute, so it is not cut.
    Storm {
        preset: "infinite-retries",
        target: "no target: the storm the playground warns about",
    },
];

const CLIENTS: u64 = 100_000;
const CALLS: u64 = 10;
const SEED: u64 = 1;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; only `--run <preset>` is ours.
    if let Some(at) = args.iter().position(|a| a == "--run") {
        return match args
            .get(at + 1)
            .and_then(|id| STORMS.iter().find(|s| s.preset == id))
        {
            Some(storm) => run(storm),
            None => {
                eprintln!("million: --run needs one of the storms' presets");
                ExitCode::FAILURE
            }
        };
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("million: cannot find this binary to start a run: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut code = ExitCode::SUCCESS;
    for storm in &STORMS {
        match Command::new(&exe).args(["--run", storm.preset]).status() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("million ({}): the run failed ({status})", storm.preset);
                code = ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("million ({}): cannot start the run: {e}", storm.preset);
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}

/// The run itself, in a process of its own; prints one line.
fn run(storm: &Storm) -> ExitCode {
    let mut config = match presets::find(storm.preset) {
        Ok(preset) => preset.config,
        Err(e) => {
            eprintln!("million: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (name, value) in [("sim.clients", CLIENTS), ("sim.calls", CALLS)] {
        if let Err(e) = config.set(name, &value.to_string()) {
            eprintln!("million ({}): {e}", storm.preset);
            return ExitCode::FAILURE;
        }
    }
    let start = Instant::now();
    let summary = sim::run_with(&config, SEED, EngineOptions::lanes(0)).summary();
    let elapsed_s = start.elapsed().as_secs_f64();
    let peak = match peak_memory_bytes() {
        Some(bytes) => format!("{} MB", bytes.div_ceil(1_000_000)),
        None => "unknown (no VmHWM in /proc/self/status)".to_string(),
    };
    // A client's next call starts when its last one ends: near the horizon
    // some calls never start, and those going at the horizon are unfinished.
    println!(
        "million (native, {}): {} × {} calls ({} started, {} unfinished at the {} s horizon), {} attempts in {elapsed_s:.1} s, peak memory {peak} ({})",
        storm.preset,
        grouped(CLIENTS),
        CALLS,
        grouped(summary.calls),
        grouped(summary.unfinished),
        config.scenario.horizon_ms / 1000,
        grouped(summary.attempts),
        storm.target
    );
    ExitCode::SUCCESS
}

/// This process's peak resident set size (`VmHWM`), in bytes.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `7844849` → `7,844,849`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or("?"))
        .collect();
    groups.join(",")
}
