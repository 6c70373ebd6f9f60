//! What a run is: the client policy, the endpoint and the workload, with the
//! `sim.*` knobs of the workload. Knob names are the one vocabulary of the
//! CLI, the URL and the UI.

use policy::knob::{self, KnobError, KnobKind, KnobSpec};
use policy::PolicyConfig;
use serde::{Deserialize, Serialize};

use crate::layers::LayersConfig;
use crate::windows::{self, Spike};
use crate::EndpointConfig;

/// The most logical calls (`sim.clients × sim.calls`) one live run in the
/// page may make: beyond that the browser, not the policy, shapes the result.
pub const LIVE_CALLS_MAX: u64 = 2_000;

/// The most logical calls one simulated run in the page may make (it
/// computes in a worker, in seconds; the command line runs more).
pub const SIMULATED_CALLS_MAX: u64 = 1_000_000;

/// When clients start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Every client starts at 0 ms: a thundering herd.
    #[default]
    AllAtOnce,
    /// Client `i` starts at `i · sim.interval_ms`.
    Interval,
    /// Gaps between client starts are exponential with mean `sim.interval_ms`.
    Poisson,
}

impl Arrival {
    const NAMES: &'static [&'static str] = &["all_at_once", "interval", "poisson"];
    const ALL: [Arrival; 3] = [Arrival::AllAtOnce, Arrival::Interval, Arrival::Poisson];
}

/// What each logical call does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `GET /flaky`: a read, idempotent.
    #[default]
    Read,
    /// Create an item the way `endpoint.create` says (POST, GET-then-POST,
    /// keyed POST or PUT).
    Create,
}

impl Operation {
    const NAMES: &'static [&'static str] = &["read", "create"];
    const ALL: [Operation; 2] = [Operation::Read, Operation::Create];
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

/// The knob name of a choice value (`names` and `all` are in the same order).
fn name_of<T: PartialEq>(names: &[&str], all: &[T], value: T) -> String {
    all.iter()
        .position(|v| *v == value)
        .and_then(|i| names.get(i))
        .unwrap_or(&"")
        .to_string()
}

static SCENARIO_KNOBS: &[KnobSpec] = &[
    KnobSpec { name: "sim.clients", kind: KnobKind::Int { min: 1, max: 100_000 }, unit: "", help: "Concurrent clients, each with its own breaker and budget." },
    KnobSpec { name: "sim.calls", kind: KnobKind::Int { min: 1, max: 10_000 }, unit: "", help: "Logical calls per client, one after another." },
    KnobSpec { name: "sim.arrival", kind: KnobKind::Choice(Arrival::NAMES), unit: "", help: "When clients start: all at 0 ms, every interval_ms, or Poisson with mean gap interval_ms." },
    KnobSpec { name: "sim.interval_ms", kind: KnobKind::Int { min: 0, max: 3_600_000 }, unit: "ms", help: "Gap between client starts (interval) or its mean (poisson)." },
    KnobSpec { name: "sim.call_gap_ms", kind: KnobKind::Int { min: 0, max: 3_600_000 }, unit: "ms", help: "A client's pause between one call's end and its next call." },
    KnobSpec { name: "sim.net_ms", kind: KnobKind::Int { min: 0, max: 60_000 }, unit: "ms", help: "One-way network delay." },
    KnobSpec { name: "sim.net_jitter_ms", kind: KnobKind::Int { min: 0, max: 60_000 }, unit: "ms", help: "Extra one-way delay, uniform in [0, net_jitter_ms]." },
    KnobSpec { name: "sim.horizon_ms", kind: KnobKind::Int { min: 1, max: 86_400_000 }, unit: "ms", help: "The run stops here; calls still going count as unfinished." },
    KnobSpec { name: "sim.operation", kind: KnobKind::Choice(Operation::NAMES), unit: "", help: "read: GET /flaky. create: create an item as endpoint.create says." },
    KnobSpec { name: "sim.shared_names", kind: KnobKind::Bool, unit: "", help: "All clients create the same item names: concurrent check-then-create races." },
    KnobSpec { name: "sim.layers", kind: KnobKind::Int { min: 1, max: crate::layers::LAYERS_MAX as u64 }, unit: "", help: "Services stacked between clients and endpoint, each retrying with its own policy (layer.N.*); a call into layer N is served by calls into layer N+1." },
    KnobSpec { name: "sim.call_every_ms", kind: KnobKind::Int { min: 0, max: 3_600_000 }, unit: "ms", help: "Open loop: a client starts a call this often whether or not earlier ones ended (client.max_in_flight bounds them); 0 = one call after another." },
    KnobSpec { name: "sim.spike", kind: KnobKind::List { syntax: windows::SPIKE_SYNTAX }, unit: "", help: "Arrival-rate spikes START+DURATION*FACTOR, comma-separated: a gap (sim.interval_ms, sim.call_gap_ms) that begins in the window is divided by FACTOR." },
];

impl ScenarioConfig {
    /// The scenario's knobs (`sim.*`).
    pub fn knobs() -> &'static [KnobSpec] {
        SCENARIO_KNOBS
    }

    /// A knob's value as text, `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "sim.clients" => self.clients.to_string(),
            "sim.calls" => self.calls_per_client.to_string(),
            "sim.arrival" => name_of(Arrival::NAMES, &Arrival::ALL, self.arrival),
            "sim.interval_ms" => self.interval_ms.to_string(),
            "sim.call_gap_ms" => self.call_gap_ms.to_string(),
            "sim.net_ms" => self.net_ms.to_string(),
            "sim.net_jitter_ms" => self.net_jitter_ms.to_string(),
            "sim.horizon_ms" => self.horizon_ms.to_string(),
            "sim.operation" => name_of(Operation::NAMES, &Operation::ALL, self.operation),
            "sim.shared_names" => self.shared_names.to_string(),
            "sim.layers" => self.layers.to_string(),
            "sim.call_every_ms" => self.call_every_ms.to_string(),
            "sim.spike" => windows::format_spikes(&self.spikes),
            _ => return None,
        })
    }

    /// Sets a knob from text; the config is unchanged on error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let spec = knob::find(SCENARIO_KNOBS, name)?;
        let int = |v: &str| spec.parse_int(v);
        match name {
            "sim.clients" => self.clients = int(value)? as u32,
            "sim.calls" => self.calls_per_client = int(value)? as u32,
            "sim.arrival" => self.arrival = Arrival::ALL[spec.parse_choice(value)?],
            "sim.interval_ms" => self.interval_ms = int(value)?,
            "sim.call_gap_ms" => self.call_gap_ms = int(value)?,
            "sim.net_ms" => self.net_ms = int(value)?,
            "sim.net_jitter_ms" => self.net_jitter_ms = int(value)?,
            "sim.horizon_ms" => self.horizon_ms = int(value)?,
            "sim.operation" => self.operation = Operation::ALL[spec.parse_choice(value)?],
            "sim.shared_names" => self.shared_names = spec.parse_bool(value)?,
            "sim.layers" => self.layers = int(value)? as u32,
            "sim.call_every_ms" => self.call_every_ms = int(value)?,
            "sim.spike" => self.spikes = windows::parse_spikes(name, value)?,
            _ => {
                return Err(KnobError::UnknownName {
                    name: name.into(),
                    valid: SCENARIO_KNOBS.iter().map(|k| k.name).collect(),
                })
            }
        }
        Ok(())
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
    /// Every knob of the three parts: policy, endpoint, scenario.
    pub fn knobs() -> impl Iterator<Item = &'static KnobSpec> {
        PolicyConfig::knobs()
            .iter()
            .chain(EndpointConfig::knobs())
            .chain(ScenarioConfig::knobs())
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
        if name.starts_with("layer.") {
            self.layers.get(name)
        } else if name.starts_with("sim.") {
            self.scenario.get(name)
        } else if name.starts_with("endpoint.") {
            self.endpoint.get(name)
        } else {
            self.policy.get(name)
        }
    }

    /// Sets a knob from text. An unknown name's error lists every valid name
    /// of all three parts. The config is unchanged on error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        if name.starts_with("layer.") {
            return self.layers.set(name, value);
        }
        let result = if name.starts_with("sim.") {
            self.scenario.set(name, value)
        } else if name.starts_with("endpoint.") {
            self.endpoint.set(name, value)
        } else {
            self.policy.set(name, value)
        };
        result.map_err(|e| match e {
            KnobError::UnknownName { name, .. } => KnobError::UnknownName {
                name,
                valid: Self::knobs().map(|k| k.name).collect(),
            },
            other => other,
        })
    }

    /// Every knob whose value differs from the default, as `(name, value)`:
    /// what a share link or a `--set` list needs to reproduce this config.
    pub fn changed_knobs(&self) -> Vec<(String, String)> {
        self.knobs_differing_from(&RunConfig::default())
    }

    /// Every knob whose value differs from `base`'s, as `(name, value)`:
    /// applied to `base` with [`RunConfig::set`], they give this config.
    pub fn knobs_differing_from(&self, base: &RunConfig) -> Vec<(String, String)> {
        let mut changed: Vec<(String, String)> = Self::knobs()
            .filter_map(|k| {
                let value = self.get(k.name)?;
                (base.get(k.name).as_deref() != Some(value.as_str()))
                    .then(|| (k.name.to_string(), value))
            })
            .collect();
        // Per-status overrides (`retry.status.NNN`) are not in the static knob list.
        let (mine, theirs) = (self.policy.knob_values(), base.policy.knob_values());
        let is_status = |k: &str| k.starts_with("retry.status.");
        for (k, v) in mine.iter().filter(|(k, _)| is_status(k)) {
            if !theirs.iter().any(|(bk, bv)| bk == k && bv == v) {
                changed.push((k.clone(), v.clone()));
            }
        }
        for (k, _) in theirs.iter().filter(|(k, _)| is_status(k)) {
            if !mine.iter().any(|(mk, _)| mk == k) {
                changed.push((k.clone(), "default".to_string()));
            }
        }
        changed.extend(self.layers.differing_from(&base.layers));
        changed
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

    /// Checks cross-knob rules (e.g. fault probabilities summing past 1).
    pub fn validate(&self) -> Result<(), String> {
        self.policy.validate()?;
        self.layers.validate()?;
        self.endpoint.validate().map_err(|e| e.to_string())
    }
}
