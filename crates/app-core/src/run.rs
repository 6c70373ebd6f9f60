//! A run as the page starts it: what a fire runs ([`Fire`], [`fire_config`]),
//! the time a trace covers ([`span_ms`]), the trace download's file name.

use flaky::sim::{RunConfig, Trace};

/// What a fire runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fire {
    /// A single call on client 0.
    One,
    /// `sim.clients × sim.calls`: the whole scenario.
    #[default]
    Scenario,
}

/// The config a fire runs: the whole scenario, or one call on one client.
pub fn fire_config(config: &RunConfig, what: Fire) -> RunConfig {
    let mut config = config.clone();
    if what == Fire::One {
        config.scenario.clients = 1;
        config.scenario.calls_per_client = 1;
    }
    config
}

/// The time span a trace covers, ms: its end, or the latest thing in it
/// while a live run is still going. At least 1.
pub fn span_ms(trace: &Trace) -> u64 {
    let latest = trace
        .calls
        .iter()
        .flat_map(|c| {
            let attempts = c.attempts.iter().map(|a| a.end_ms.unwrap_or(a.start_ms));
            let sleeps = c.sleeps.iter().map(|s| s.until_ms);
            attempts.chain(sleeps).chain(c.end_ms)
        })
        .max()
        .unwrap_or(0);
    trace.end_ms.max(latest).max(1)
}

/// The trace download's file name.
pub fn trace_file_name(seed: u64) -> String {
    format!("playground-trace-seed-{seed}.json")
}

/// The backoff plan the charts draw: `policy::schedule` with its jitter
/// drawn from `seed` (compute it when the policy or the seed changes).
pub fn backoff_plan(policy: &policy::PolicyConfig, seed: u64) -> Vec<policy::PlannedRetry> {
    use policy::rand_chacha::rand_core::SeedableRng;
    let mut rng = policy::rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    policy::schedule(policy, &mut rng)
}
