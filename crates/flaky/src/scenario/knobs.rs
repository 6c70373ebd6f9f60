//! The `sim.*` knobs ([`ScenarioConfig::KNOBS`]), and the knobs of a whole
//! run ([`RunKnobs`]): the tables of its three parts, read, written, compared
//! and checked by name.

use std::ops::Deref;

use policy::choice_knob;
use policy::knob::{self, to_u32, Knob, KnobError, KnobKind, KnobSpec};
use policy::PolicyConfig;

use super::{Arrival, Operation, RunConfig, ScenarioConfig};
use crate::layers::LAYERS_MAX;
use crate::windows;
use crate::EndpointConfig;

type K = Knob<ScenarioConfig>;

const GAP_MS_MAX: u64 = 3_600_000;
const NET_MS_MAX: u64 = 60_000;

#[rustfmt::skip]
// An array, not a slice: `&KNOBS` then points at this one static, where a
// const reading a slice static would copy its entries into every user.
static KNOBS: [K; 13] = [
    K::int("sim.clients", 1, 100_000, "", "Concurrent clients, each with its own breaker and budget.",
        |c| c.clients.into(), |c, v| c.clients = to_u32(v)),
    K::int("sim.calls", 1, 10_000, "", "Logical calls per client, one after another.",
        |c| c.calls_per_client.into(), |c, v| c.calls_per_client = to_u32(v)),
    choice_knob!(K, "sim.arrival", "When clients start: all at 0 ms, every interval_ms, or Poisson with mean gap interval_ms.",
        Arrival, |c| c.arrival),
    K::int("sim.interval_ms", 0, GAP_MS_MAX, "ms", "Gap between client starts (interval) or its mean (poisson).",
        |c| c.interval_ms, |c, v| c.interval_ms = v)
        .active_when(|c| c.arrival != Arrival::AllAtOnce),
    K::int("sim.call_gap_ms", 0, GAP_MS_MAX, "ms", "A client's pause between one call's end and its next call.",
        |c| c.call_gap_ms, |c, v| c.call_gap_ms = v),
    K::int("sim.net_ms", 0, NET_MS_MAX, "ms", "One-way network delay.",
        |c| c.net_ms, |c, v| c.net_ms = v)
        .simulated_only(),
    K::int("sim.net_jitter_ms", 0, NET_MS_MAX, "ms", "Extra one-way delay, uniform in [0, net_jitter_ms].",
        |c| c.net_jitter_ms, |c, v| c.net_jitter_ms = v)
        .simulated_only(),
    K::int("sim.horizon_ms", 1, 86_400_000, "ms", "The run stops here; calls still going count as unfinished.",
        |c| c.horizon_ms, |c, v| c.horizon_ms = v),
    choice_knob!(K, "sim.operation", "read: GET /flaky. create: create an item as endpoint.create says.",
        Operation, |c| c.operation),
    K::boolean("sim.shared_names", "All clients create the same item names: concurrent check-then-create races.",
        |c| c.shared_names, |c, v| c.shared_names = v),
    K::int("sim.layers", 1, LAYERS_MAX as u64, "", "Services stacked between clients and endpoint, each retrying with its own policy (layer.N.*); a call into layer N is served by calls into layer N+1.",
        |c| c.layers.into(), |c, v| c.layers = to_u32(v)),
    K::int("sim.call_every_ms", 0, GAP_MS_MAX, "ms", "Open loop: a client starts a call this often whether or not earlier ones ended (client.max_in_flight bounds them); 0 = one call after another.",
        |c| c.call_every_ms, |c, v| c.call_every_ms = v),
    K::text("sim.spike", KnobKind::List { syntax: windows::SPIKE_SYNTAX }, "", "Arrival-rate spikes START+DURATION*FACTOR, comma-separated: a gap (sim.interval_ms, sim.call_gap_ms) that begins in the window is divided by FACTOR.",
        |c| windows::format_spikes(&c.spikes),
        |c, spec, v| { c.spikes = windows::parse_spikes(spec.name, v)?; Ok(()) }),
];

impl ScenarioConfig {
    /// The scenario's knobs (`sim.*`).
    pub const KNOBS: &'static [Knob<ScenarioConfig>] = &KNOBS;

    /// [`ScenarioConfig::KNOBS`].
    pub fn knobs() -> &'static [Knob<ScenarioConfig>] {
        &KNOBS
    }

    /// A knob's value as text, `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<String> {
        knob::get(&KNOBS, self, name)
    }

    /// Sets a knob from text; the config is unchanged on error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        knob::set(&KNOBS, self, name, value)
    }
}

/// One knob of a run: an entry of one of its parts' tables.
#[derive(Clone, Copy, Debug)]
pub enum RunKnob {
    Policy(&'static Knob<PolicyConfig>),
    Endpoint(&'static Knob<EndpointConfig>),
    Scenario(&'static Knob<ScenarioConfig>),
}

impl Deref for RunKnob {
    type Target = KnobSpec;
    fn deref(&self) -> &KnobSpec {
        self.spec()
    }
}

impl RunKnob {
    /// Name, kind and range, unit, help.
    pub fn spec(&self) -> &'static KnobSpec {
        match *self {
            RunKnob::Policy(k) => &k.spec,
            RunKnob::Endpoint(k) => &k.spec,
            RunKnob::Scenario(k) => &k.spec,
        }
    }

    /// Its value in `config`, as text [`RunKnob::set`] accepts.
    pub fn get(&self, config: &RunConfig) -> String {
        match *self {
            RunKnob::Policy(k) => k.get(&config.policy),
            RunKnob::Endpoint(k) => k.get(&config.endpoint),
            RunKnob::Scenario(k) => k.get(&config.scenario),
        }
    }

    /// Sets it from text; unchanged on error.
    pub fn set(&self, config: &mut RunConfig, value: &str) -> Result<(), KnobError> {
        match *self {
            RunKnob::Policy(k) => k.set(&mut config.policy, value),
            RunKnob::Endpoint(k) => k.set(&mut config.endpoint, value),
            RunKnob::Scenario(k) => k.set(&mut config.scenario, value),
        }
    }

    /// Whether it matters under `config` (the page dims it otherwise).
    pub fn is_active(&self, config: &RunConfig) -> bool {
        match *self {
            RunKnob::Policy(k) => k.is_active(&config.policy),
            RunKnob::Endpoint(k) => k.is_active(&config.endpoint),
            RunKnob::Scenario(k) => k.is_active(&config.scenario),
        }
    }

    /// Only the simulator reads it.
    pub fn is_simulated_only(&self) -> bool {
        match *self {
            RunKnob::Policy(k) => k.simulated_only,
            RunKnob::Endpoint(k) => k.simulated_only,
            RunKnob::Scenario(k) => k.simulated_only,
        }
    }
}

/// The knob tables of a run: the client policy's (also used by every
/// `layer.N.*`), the endpoint's and the scenario's. [`RunKnobs::STANDARD`]
/// is what [`RunConfig::get`]/[`RunConfig::set`] use; the CLI's list, the
/// page's URL and controls take a `RunKnobs`, so a table with one more knob
/// shows everywhere.
#[derive(Clone, Copy, Debug)]
pub struct RunKnobs {
    pub policy: &'static [Knob<PolicyConfig>],
    pub endpoint: &'static [Knob<EndpointConfig>],
    pub scenario: &'static [Knob<ScenarioConfig>],
}

const STATUS_PREFIX: &str = "retry.status.";

impl RunKnobs {
    /// Every knob the playground has.
    pub const STANDARD: RunKnobs = RunKnobs {
        policy: PolicyConfig::KNOBS,
        endpoint: EndpointConfig::KNOBS,
        scenario: ScenarioConfig::KNOBS,
    };

    /// Every knob: the policy's, the endpoint's, then the scenario's.
    pub fn iter(&self) -> impl Iterator<Item = RunKnob> {
        let policy = self.policy.iter().map(RunKnob::Policy);
        let endpoint = self.endpoint.iter().map(RunKnob::Endpoint);
        let scenario = self.scenario.iter().map(RunKnob::Scenario);
        policy.chain(endpoint).chain(scenario)
    }

    /// The knob with this name (the dynamic `retry.status.NNN` and
    /// `layer.N.*` are not entries).
    pub fn find(&self, name: &str) -> Option<RunKnob> {
        self.iter().find(|k| k.name == name)
    }

    /// A client-policy knob: an entry of the policy's table, or `retry.status.NNN`.
    pub fn is_policy_knob(&self, name: &str) -> bool {
        self.policy.iter().any(|k| k.name == name) || name.starts_with(STATUS_PREFIX)
    }

    /// A knob's value in `config` as text, `None` for an unknown name.
    pub fn get(&self, config: &RunConfig, name: &str) -> Option<String> {
        if let Some(k) = self.find(name) {
            Some(k.get(config))
        } else if name.starts_with("layer.") {
            config.layers.get_in(self.policy, name)
        } else if name.starts_with(STATUS_PREFIX) {
            config.policy.get_in(self.policy, name)
        } else {
            None
        }
    }

    /// Sets a knob from text. An unknown name's error lists every valid
    /// name. The config is unchanged on error.
    pub fn set(&self, config: &mut RunConfig, name: &str, value: &str) -> Result<(), KnobError> {
        if let Some(k) = self.find(name) {
            k.set(config, value)
        } else if name.starts_with("layer.") {
            config.layers.set_in(self.policy, name, value)
        } else if name.starts_with(STATUS_PREFIX) {
            config.policy.set_in(self.policy, name, value)
        } else {
            Err(KnobError::UnknownName {
                name: name.to_string(),
                valid: self.iter().map(|k| k.name).collect(),
            })
        }
    }

    /// Every knob whose value in `config` differs from `base`'s, as
    /// `(name, value)`: applied to `base` with [`RunKnobs::set`], they give
    /// `config` (the per-status overrides and `layer.N.*` included).
    pub fn differing(&self, config: &RunConfig, base: &RunConfig) -> Vec<(String, String)> {
        let mut changed: Vec<(String, String)> = self
            .iter()
            .filter_map(|k| {
                let value = k.get(config);
                (k.get(base) != value).then(|| (k.name.to_string(), value))
            })
            .collect();
        let mine = config.policy.status_override_values();
        let theirs = base.policy.status_override_values();
        for (k, v) in &mine {
            if !theirs.iter().any(|(bk, bv)| bk == k && bv == v) {
                changed.push((k.clone(), v.clone()));
            }
        }
        for (k, _) in &theirs {
            if !mine.iter().any(|(mk, _)| mk == k) {
                changed.push((k.clone(), "default".to_string()));
            }
        }
        changed.extend(config.layers.differing_from_in(self.policy, &base.layers));
        changed
    }

    /// Checks every part against its table and the cross-knob rules (e.g.
    /// fault probabilities summing past 1); the message names the knob.
    pub fn validate(&self, config: &RunConfig) -> Result<(), String> {
        config.policy.validate_in(self.policy)?;
        config.layers.validate_in(self.policy)?;
        config
            .endpoint
            .validate_in(self.endpoint)
            .map_err(|e| e.to_string())?;
        match knob::out_of_range(self.scenario, &config.scenario).first() {
            Some(problem) => Err(problem.to_string()),
            None => Ok(()),
        }
    }
}
