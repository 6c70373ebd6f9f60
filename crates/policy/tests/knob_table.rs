//! The policy's knob table: every knob reads back what it was set to, and
//! every choice's name parses back to its variant and is serde's spelling.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use policy::bulkhead::WhenFull;
use policy::knob::{Choice, Knob, KnobKind};
use policy::throttle::{ThrottleKind, ThrottleScope};
use policy::{BackoffKind, BreakerKind, BudgetKind, JitterKind, PolicyConfig, RetryAfterKind};
use proptest::prelude::*;
use serde::Serialize;

/// A value in the knob's range, as text in the spelling `get` gives.
fn value_for<C>(knob: &Knob<C>, draw: u64, fraction: f64) -> String {
    match knob.kind {
        KnobKind::Int { min, max } => (min + draw % (max - min + 1)).to_string(),
        KnobKind::Float { min, max } => (min + (max - min) * fraction).clamp(min, max).to_string(),
        KnobKind::Bool => draw.is_multiple_of(2).to_string(),
        KnobKind::Choice(names) => names[(draw % names.len() as u64) as usize].to_string(),
        KnobKind::Text { .. } if knob.name == "jitter.draw" && draw.is_multiple_of(2) => {
            "random".to_string()
        }
        KnobKind::Text { .. } if knob.name == "jitter.draw" => "0.75".to_string(),
        KnobKind::Text { .. } if knob.name == "budget.initial" && draw.is_multiple_of(2) => {
            "full".to_string()
        }
        KnobKind::Text { .. } => (draw % 1000).to_string(),
        KnobKind::List { .. } => "none".to_string(),
    }
}

fn check_choice<T: Choice + Serialize + std::fmt::Debug>() {
    let names: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(names, T::NAMES, "NAMES lists ALL's names in order");
    for v in T::ALL {
        assert_eq!(T::from_name(v.name()), Some(*v), "{v:?}");
        let json = serde_json::to_string(v).unwrap_or_default();
        assert_eq!(
            json,
            format!("\"{}\"", v.name()),
            "serde spells {v:?} the same"
        );
    }
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a name is used twice");
    assert_eq!(T::from_name("no_such_choice"), None);
}

#[test]
fn every_choice_name_parses_back_to_its_variant() {
    check_choice::<BackoffKind>();
    check_choice::<JitterKind>();
    check_choice::<RetryAfterKind>();
    check_choice::<BudgetKind>();
    check_choice::<BreakerKind>();
    check_choice::<ThrottleKind>();
    check_choice::<ThrottleScope>();
    check_choice::<WhenFull>();
    check_choice::<policy::RateLimiterKind>();
}

#[test]
fn the_table_keeps_every_name_kind_and_default() {
    // The names, in order, that URLs, presets and docs depend on.
    let names: Vec<&str> = PolicyConfig::KNOBS.iter().map(|k| k.name).collect();
    assert_eq!(names.len(), 53);
    assert_eq!(
        names[..3],
        [
            "attempts.max",
            "attempts.deadline_ms",
            "attempts.timeout_ms"
        ]
    );
    assert_eq!(names[51], "client.when_full");
    let kind = |name: &str| {
        PolicyConfig::KNOBS
            .iter()
            .find(|k| k.name == name)
            .map(|k| k.kind)
    };
    assert_eq!(
        kind("jitter.kind"),
        Some(KnobKind::Choice(JitterKind::NAMES))
    );
    assert_eq!(
        kind("breaker.window_ms"),
        Some(KnobKind::Int {
            min: 1,
            max: 86_400_000
        })
    );
    assert_eq!(
        kind("throttle.k"),
        Some(KnobKind::Float {
            min: 1.0,
            max: 100.0
        })
    );
    let defaults: Vec<String> = PolicyConfig::KNOBS
        .iter()
        .map(|k| k.default_value())
        .collect();
    assert_eq!(defaults[..3], ["3", "0", "5000"]);
}

proptest! {
    #[test]
    fn set_then_get_round_trips(
        sets in proptest::collection::vec((0usize..1000, any::<u64>(), 0.0f64..=1.0), 1..30),
    ) {
        let knobs = PolicyConfig::KNOBS;
        let mut config = PolicyConfig::default();
        for (i, draw, fraction) in sets {
            let knob = &knobs[i % knobs.len()];
            let value = value_for(knob, draw, fraction);
            config.set(knob.name, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(config.get(knob.name), Some(value.clone()), "{}", knob.name);
        }
        prop_assert_eq!(config.validate(), Ok(()));
        // Setting what `get` reports changes nothing, for every knob.
        for knob in knobs {
            let before = config.clone();
            let value = knob.get(&config);
            prop_assert_eq!(config.get(knob.name), Some(value.clone()));
            config.set(knob.name, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&config, &before, "{}", knob.name);
        }
    }
}
