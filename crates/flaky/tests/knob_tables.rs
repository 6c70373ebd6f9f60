//! The run's knob tables (policy, endpoint, `sim.*`, `layer.N.*`): every
//! knob reads back what it was set to, and every choice's name parses back
//! to its variant and is serde's spelling.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::scenario::RunKnobs;
use flaky::script::{ScriptAfter, ScriptScope};
use flaky::sim::{Arrival, Operation, RunConfig};
use flaky::{CommitLoseAs, CreateMode, LatencyKind, QueueOrder, Shed};
use policy::knob::{Choice, KnobKind, KnobSpec};
use proptest::prelude::*;
use serde::Serialize;

fn value_for(spec: &KnobSpec, draw: u64, fraction: f64) -> String {
    match spec.kind {
        KnobKind::Int { min, max } => (min + draw % (max - min + 1)).to_string(),
        // Small probabilities, so the fault mix can take several.
        KnobKind::Float { min, max } => (min + (max - min) * fraction * 0.1).to_string(),
        KnobKind::Bool => draw.is_multiple_of(2).to_string(),
        KnobKind::Choice(names) => names[(draw % names.len() as u64) as usize].to_string(),
        KnobKind::Text { .. } if spec.name == "jitter.draw" => "0.25".to_string(),
        KnobKind::Text { .. } if spec.name == "budget.initial" => (draw % 500).to_string(),
        KnobKind::List { .. } | KnobKind::Text { .. } if draw.is_multiple_of(2) => {
            "none".to_string()
        }
        KnobKind::Text { .. } => "500,200;reset+code=X,hang".to_string(),
        KnobKind::List { .. } if spec.name == "sim.spike" => "1000+2000*3".to_string(),
        KnobKind::List { .. } => "1000+2000,5000+100".to_string(),
    }
}

fn check_choice<T: Choice + Serialize + std::fmt::Debug>() {
    let names: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(names, T::NAMES);
    for v in T::ALL {
        assert_eq!(T::from_name(v.name()), Some(*v), "{v:?}");
        let json = serde_json::to_string(v).unwrap_or_default();
        assert_eq!(
            json,
            format!("\"{}\"", v.name()),
            "serde spells {v:?} the same"
        );
    }
}

#[test]
fn every_choice_name_parses_back_to_its_variant() {
    check_choice::<LatencyKind>();
    check_choice::<CreateMode>();
    check_choice::<CommitLoseAs>();
    check_choice::<QueueOrder>();
    check_choice::<Shed>();
    check_choice::<Arrival>();
    check_choice::<Operation>();
    check_choice::<ScriptAfter>();
    check_choice::<ScriptScope>();
}

#[test]
fn choice_knobs_list_their_enums_names() {
    let kind = |name: &str| RunKnobs::STANDARD.find(name).map(|k| k.kind);
    let choice = |names| Some(KnobKind::Choice(names));
    assert_eq!(kind("endpoint.latency.kind"), choice(LatencyKind::NAMES));
    assert_eq!(kind("endpoint.create"), choice(CreateMode::NAMES));
    assert_eq!(kind("endpoint.queue.order"), choice(QueueOrder::NAMES));
    assert_eq!(kind("endpoint.shed"), choice(Shed::NAMES));
    assert_eq!(kind("sim.arrival"), choice(Arrival::NAMES));
    assert_eq!(kind("sim.operation"), choice(Operation::NAMES));
    assert_eq!(kind("endpoint.script_after"), choice(ScriptAfter::NAMES));
    assert_eq!(kind("endpoint.script_scope"), choice(ScriptScope::NAMES));
    assert_eq!(RunKnobs::STANDARD.iter().count(), 53 + 40 + 13);
}

proptest! {
    #[test]
    fn set_then_get_round_trips_for_every_knob(
        sets in proptest::collection::vec((0usize..1000, any::<u64>(), 0.0f64..=1.0, 0u8..4), 1..40),
    ) {
        let knobs: Vec<_> = RunKnobs::STANDARD.iter().collect();
        let mut config = RunConfig::default();
        for (i, draw, fraction, layer) in sets {
            let knob = knobs[i % knobs.len()];
            let value = value_for(&knob, draw, fraction);
            // Layers 2..=4 take every policy knob under `layer.N.`.
            let name = match layer {
                2..=4 if RunKnobs::STANDARD.is_policy_knob(knob.name) => format!("layer.{layer}.{}", knob.name),
                _ => knob.name.to_string(),
            };
            match config.set(&name, &value) {
                Ok(()) => prop_assert_eq!(config.get(&name), Some(value.clone()), "{}", name),
                // The fault mix may sum to at most 1; nothing else is refused.
                Err(e) => prop_assert!(name.starts_with("endpoint.fault."), "{}", e),
            }
        }
        prop_assert_eq!(config.validate(), Ok(()));
        for knob in &knobs {
            let before = config.clone();
            let value = knob.get(&config);
            prop_assert_eq!(config.get(knob.name), Some(value.clone()));
            config.set(knob.name, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&config, &before, "{}", knob.name);
        }
        // The knobs that differ from the defaults rebuild the config.
        let mut rebuilt = RunConfig::default();
        for (name, value) in config.changed_knobs() {
            rebuilt.set(&name, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        prop_assert_eq!(rebuilt, config);
    }
}
