//! Layered retries: a stack of `sim.layers` services (1 to 4) between the
//! caller and the flaky endpoint, each with its own retry policy. A call
//! into layer N is served by calls into layer N+1, one per attempt of layer
//! N's policy; the bottom layer's attempts are the endpoint's requests. So
//! with 3 attempts at each of 3 layers an endpoint that fails receives up to
//! 3 × 3 × 3 = 27 requests per call into the top.
//!
//! | layer | its policy |
//! |---|---|
//! | 1 (the top, called by the clients) | the plain knobs (`attempts.max`, ...) |
//! | N = 2..=4 | the same knobs under `layer.N.` (`layer.2.attempts.max`, ...); each starts at the policy defaults (3 attempts, 5 s timeout), not at layer 1's settings |
//!
//! A layer's attempt that times out cancels the calls below it. Hedging
//! (`hedge.*`) applies at the bottom layer only: an upper layer waits for
//! one call below at a time. Each client keeps one breaker, budget and
//! throttle per layer.
//!
//! ```
//! use flaky::sim::{RunConfig, ScenarioConfig};
//! let mut config = RunConfig::default().with_scenario(ScenarioConfig::default().with_layers(3));
//! config.layers.below[0].attempts.max = 2;
//! assert_eq!(config.layer_policy(1).attempts.max, 2);
//! // Its knob name, for the CLI and the URL:
//! assert_eq!(config.get("layer.2.attempts.max").as_deref(), Some("2"));
//! assert!(config.set("layer.5.attempts.max", "2").unwrap_err().to_string().contains("layer.5"));
//! ```

use policy::knob::{self, Knob, KnobError, KnobKind, KnobSpec};
use policy::PolicyConfig;
use serde::{Deserialize, Serialize};

/// The most layers a stack has.
pub const LAYERS_MAX: u32 = 4;

/// The policies of layers 2..=4 (layer 1 is the run's plain policy).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LayersConfig {
    /// Layers 2, 3 and 4, in order.
    pub below: [PolicyConfig; 3],
}

/// The dynamic knob family `layer.N.<policy knob>`, listed by `playground
/// knobs` next to `sim.layers` (like `retry.status.NNN`).
pub static LAYER_KNOB: KnobSpec = KnobSpec {
    name: "layer.N.<policy knob>",
    kind: KnobKind::Choice(&["<as the plain knob>"]),
    unit: "",
    help: "the policy of layer N = 2..=4 of sim.layers (layer 1, the top, uses the plain knobs), e.g. layer.2.attempts.max=1",
};

/// `(N, policy knob)` of a `layer.N.` name, N from 2 to 4.
fn split(name: &str) -> Result<(usize, &str), KnobError> {
    let bad = || {
        KnobError::BadValue {
        name: name.to_string(),
        value: String::new(),
        expected: "a knob layer.N.<policy knob> with N from 2 to 4 (layer 1, the top, uses the plain knobs)".to_string(),
    }
    };
    let rest = name.strip_prefix("layer.").ok_or_else(bad)?;
    let (n, knob) = rest.split_once('.').ok_or_else(bad)?;
    match n {
        "2" => Ok((0, knob)),
        "3" => Ok((1, knob)),
        "4" => Ok((2, knob)),
        _ => Err(bad()),
    }
}

impl LayersConfig {
    /// A `layer.N.*` knob's value as text, `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_in(PolicyConfig::KNOBS, name)
    }

    /// [`LayersConfig::get`] with the policy knobs of `table`.
    pub fn get_in(&self, table: &[Knob<PolicyConfig>], name: &str) -> Option<String> {
        let (i, knob) = split(name).ok()?;
        self.below.get(i)?.get_in(table, knob)
    }

    /// Sets a `layer.N.*` knob; unchanged on error. An unknown policy knob's
    /// error names the whole `layer.N.` name.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        self.set_in(PolicyConfig::KNOBS, name, value)
    }

    /// [`LayersConfig::set`] with the policy knobs of `table`.
    pub fn set_in(
        &mut self,
        table: &[Knob<PolicyConfig>],
        name: &str,
        value: &str,
    ) -> Result<(), KnobError> {
        let (i, knob) = split(name)?;
        let Some(policy) = self.below.get_mut(i) else {
            return Err(KnobError::UnknownName {
                name: name.to_string(),
                valid: vec![LAYER_KNOB.name],
            });
        };
        policy.set_in(table, knob, value).map_err(|e| match e {
            KnobError::UnknownName { .. } => KnobError::UnknownName {
                name: name.to_string(),
                valid: knob::names(table),
            },
            KnobError::BadValue {
                value, expected, ..
            } => KnobError::BadValue {
                name: name.to_string(),
                value,
                expected,
            },
        })
    }

    /// Every `layer.N.*` knob whose value differs from `base`'s.
    pub fn differing_from(&self, base: &LayersConfig) -> Vec<(String, String)> {
        self.differing_from_in(PolicyConfig::KNOBS, base)
    }

    /// [`LayersConfig::differing_from`] with the policy knobs of `table`.
    pub fn differing_from_in(
        &self,
        table: &[Knob<PolicyConfig>],
        base: &LayersConfig,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, (mine, theirs)) in self.below.iter().zip(&base.below).enumerate() {
            let theirs = theirs.knob_values_in(table);
            for (k, v) in mine.knob_values_in(table) {
                if !theirs.iter().any(|(bk, bv)| *bk == k && *bv == v) {
                    out.push((format!("layer.{}.{k}", i + 2), v));
                }
            }
            for (k, _) in theirs
                .iter()
                .filter(|(k, _)| k.starts_with("retry.status."))
            {
                if mine.get_in(table, k).as_deref() == Some("default") {
                    out.push((format!("layer.{}.{k}", i + 2), "default".to_string()));
                }
            }
        }
        out
    }

    /// Checks every layer's policy; the message names the layer.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_in(PolicyConfig::KNOBS)
    }

    /// [`LayersConfig::validate`] with the policy knobs of `table`.
    pub fn validate_in(&self, table: &[Knob<PolicyConfig>]) -> Result<(), String> {
        for (i, policy) in self.below.iter().enumerate() {
            policy
                .validate_in(table)
                .map_err(|e| format!("layer {}: {e}", i + 2))?;
        }
        Ok(())
    }
}
