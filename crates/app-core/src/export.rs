//! The run, copied out: the exact `playground` command that reproduces it.
//! (The policy for libraries is the `export` crate's.)

use std::fmt::Write;

use flaky::sim::RunConfig;

/// `playground run …` with every knob that differs from the defaults: the
/// same config, the same seed, the same trace (simulated).
pub fn cli_command(config: &RunConfig, seed: u64) -> String {
    let mut out = format!("cargo run -p cli -- run --seed {seed}");
    for (name, value) in config.changed_knobs() {
        let _ = write!(out, " \\\n  --set {name}={value}");
    }
    out
}
