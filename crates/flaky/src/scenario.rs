//! What a run is: the client policy, the endpoint and the workload, with the
//! `sim.*` knobs of the workload. Knob names are the one vocabulary of the
//! CLI, the URL and the UI.

use policy::knob::{KnobError, KnobSpec};
use policy::PolicyConfig;
use serde::{Deserialize, Serialize};

use crate::layers::LayersConfig;
use crate::windows::Spike;
use crate::EndpointConfig;

mod knobs;

pub use knobs::{RunKnob, RunKnobs};

/// The most logical calls (`sim.clients × sim.calls`) one live run in the
/// page may make: beyond that the browser, not the policy, shapes the result.
pub const LIVE_CALLS_MAX: u64 = 2_000;

/// The most logical calls one simulated run in the page may make (it
/// computes in a worker, in seconds; the command line runs more).
pub const SIMULATED_CALLS_MAX: u64 = 1_000_000;

policy::choices! {
    /// When clients start.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Arrival {
        /// Every client starts at 0 ms: a thundering herd.
        #[default]
        AllAtOnce = "all_at_once",
        /// Client `i` starts at `i · sim.interval_ms`.
        Interval = "interval",
        /// Gaps between client starts are exponential with mean `sim.interval_ms`.
        Poisson = "poisson",
    }
}

policy::choices! {
    /// What each logical call does.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Operation {
        /// `GET /flaky`: a read, idempotent.
        #[default]
        Read = "read",
        /// Create an item the way `endpoint.create` says (POST, GET-then-POST,
        /// keyed POST or PUT).
        Create = "create",
    }
}

/// The workload: how many clients, when they start, what they do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioConfig {
    /// Number of clients, each with its own breaker and budget.
    pub clients: u32,
    /// Logical calls per client, one after another.
    pub calls_per_client: u32,
    pub arrival: Arrival,
    /// Gap between client starts (interval), or its mean (poisson), ms.
    pub interval_ms: u64,
    /// A client's pause between the end of one call and the start of its next, ms.
    pub call_gap_ms: u64,
    /// One-way network delay, ms.
    pub net_ms: u64,
    /// Extra one-way delay drawn uniformly from `[0, net_jitter_ms]`, ms.
    pub net_jitter_ms: u64,
    /// The run stops here; calls still going are reported as unfinished, ms.
    pub horizon_ms: u64,
    pub operation: Operation,
    /// Every client creates the same item names (`item-<call number>`), so
    /// concurrent check-then-create calls race on one name.
    pub shared_names: bool,
    /// Services between the clients and the endpoint, each retrying with its
    /// own policy (see [`crate::layers`]); 1 = the clients call the endpoint.
    pub layers: u32,
    /// Open loop: a client starts a call every `call_every_ms`, whether or
    /// not its earlier calls have ended (so a slow endpoint piles them up);
    /// 0 = closed loop (the next call starts `call_gap_ms` after one ends).
    pub call_every_ms: u64,
    /// Arrival-rate spikes (`sim.spike`): gaps between arrivals shrink.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spikes: Vec<Spike>,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        ScenarioConfig {
            clients: 10,
            calls_per_client: 1,
            arrival: Arrival::AllAtOnce,
            interval_ms: 100,
            call_gap_ms: 0,
            net_ms: 5,
            net_jitter_ms: 0,
            horizon_ms: 60_000,
            operation: Operation::Read,
            shared_names: false,
            layers: 1,
            call_every_ms: 0,
            spikes: Vec::new(),
        }
    }
}

/// Typed builders, backon-style: `ScenarioConfig::default().with_clients(20).with_calls(5)`.
impl ScenarioConfig {
    /// `sim.clients`.
    pub fn with_clients(self, clients: u32) -> Self {
        ScenarioConfig { clients, ..self }
    }

    /// `sim.calls`: calls per client.
    pub fn with_calls(self, calls_per_client: u32) -> Self {
        ScenarioConfig {
            calls_per_client,
            ..self
        }
    }

    /// `sim.arrival`, and `sim.interval_ms` (its gap or mean gap).
    pub fn with_arrival(self, arrival: Arrival, interval_ms: u64) -> Self {
        ScenarioConfig {
            arrival,
            interval_ms,
            ..self
        }
    }

    /// `sim.operation`.
    pub fn with_operation(self, operation: Operation) -> Self {
        ScenarioConfig { operation, ..self }
    }

    /// `sim.horizon_ms`.
    pub fn with_horizon_ms(self, horizon_ms: u64) -> Self {
        ScenarioConfig { horizon_ms, ..self }
    }

    /// `sim.layers`.
    pub fn with_layers(self, layers: u32) -> Self {
        ScenarioConfig { layers, ..self }
    }

    /// `sim.call_every_ms`: an open loop.
    pub fn with_call_every_ms(self, call_every_ms: u64) -> Self {
        ScenarioConfig {
            call_every_ms,
            ..self
        }
    }
}

/// Everything a run needs: the client policy, the endpoint, the workload.
/// Knob names are dispatched by prefix: `sim.*` to the scenario, `endpoint.*`
/// to the endpoint, everything else to the policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    pub policy: PolicyConfig,
    pub endpoint: EndpointConfig,
    pub scenario: ScenarioConfig,
    /// The policies of layers 2..=4 (`layer.N.*`), used when `sim.layers > 1`.
    #[serde(skip_serializing_if = "is_default_layers")]
    pub layers: LayersConfig,
}

fn is_default_layers(layers: &LayersConfig) -> bool {
    *layers == LayersConfig::default()
}

impl RunConfig {
    /// Every knob of the three parts: policy, endpoint, scenario (see [`RunKnobs`]).
    pub fn knobs() -> impl Iterator<Item = &'static KnobSpec> {
        RunKnobs::STANDARD.iter().map(|k| k.spec())
    }

    /// The policy of layer `index` (0 = the top, the plain policy; 1..=3 =
    /// `layer.2.*`..`layer.4.*`).
    pub fn layer_policy(&self, index: usize) -> &PolicyConfig {
        match index.checked_sub(1) {
            None => &self.policy,
            Some(i) => self.layers.below.get(i).unwrap_or(&self.policy),
        }
    }

    /// A knob's value as text, `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<String> {
        RunKnobs::STANDARD.get(self, name)
    }

    /// Sets a knob from text. An unknown name's error lists every valid name
    /// of all three parts. The config is unchanged on error. Rust code sets
    /// fields instead (`ScenarioConfig::default().with_clients(2)`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        RunKnobs::STANDARD.set(self, name, value)
    }

    /// Every knob whose value differs from the default, as `(name, value)`:
    /// what a share link or a `--set` list needs to reproduce this config.
    pub fn changed_knobs(&self) -> Vec<(String, String)> {
        self.knobs_differing_from(&RunConfig::default())
    }

    /// Every knob whose value differs from `base`'s, as `(name, value)`:
    /// applied to `base` with [`RunConfig::set`], they give this config.
    pub fn knobs_differing_from(&self, base: &RunConfig) -> Vec<(String, String)> {
        RunKnobs::STANDARD.differing(self, base)
    }

    /// This config with another client policy (layer 1's).
    pub fn with_policy(self, policy: PolicyConfig) -> Self {
        RunConfig { policy, ..self }
    }

    /// This config with another endpoint.
    pub fn with_endpoint(self, endpoint: EndpointConfig) -> Self {
        RunConfig { endpoint, ..self }
    }

    /// This config with another workload.
    pub fn with_scenario(self, scenario: ScenarioConfig) -> Self {
        RunConfig { scenario, ..self }
    }

    /// When the last trigger ends: the end of the last outage window or
    /// spike, ms (0 without any). `recovered_ms` counts from here.
    pub fn last_trigger_end_ms(&self) -> u64 {
        let outages = self
            .endpoint
            .outages
            .iter()
            .filter(|o| o.duration_ms > 0)
            .map(|o| o.start_ms.saturating_add(o.duration_ms));
        let spikes = self
            .scenario
            .spikes
            .iter()
            .filter(|s| s.duration_ms > 0)
            .map(Spike::end_ms);
        outages.chain(spikes).max().unwrap_or(0)
    }

    /// Checks every knob's range and the cross-knob rules (e.g. fault
    /// probabilities summing past 1).
    pub fn validate(&self) -> Result<(), String> {
        RunKnobs::STANDARD.validate(self)
    }
}
