//! The `endpoint.*` knobs: names, round trips and error messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::EndpointConfig;
use policy::knob::{KnobError, KnobKind};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_knob_is_named_documented_and_readable() {
    let config = EndpointConfig::default();
    let mut names: Vec<&str> = EndpointConfig::knobs().iter().map(|k| k.name).collect();
    for spec in EndpointConfig::knobs() {
        assert!(spec.name.starts_with("endpoint."), "{}", spec.name);
        assert!(!spec.help.is_empty(), "{} has no help", spec.name);
        assert!(
            config.get(spec.name).is_some(),
            "{} cannot be read",
            spec.name
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        EndpointConfig::knobs().len(),
        "duplicate knob names"
    );
    assert_eq!(config.get("endpoint.nope"), None);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn set_then_get_round_trips_every_knob() {
    for spec in EndpointConfig::knobs() {
        let values: Vec<String> = match spec.kind {
            KnobKind::Int { min, max } => vec![
                min.to_string(),
                max.to_string(),
                ((min + max) / 2).to_string(),
            ],
            KnobKind::Float { min, max } => {
                vec![min.to_string(), max.to_string(), "0.125".to_string()]
            }
            KnobKind::Bool => vec!["true".to_string(), "false".to_string()],
            KnobKind::Choice(names) => names.iter().map(|n| n.to_string()).collect(),
            KnobKind::Text { .. } => vec![
                "none".to_string(),
                "500,500,200".to_string(),
                "429+retry-after=2,200;reset;503+x-amz-retry-after=1500+code=SlowDown".to_string(),
            ],
            KnobKind::List { .. } => vec![
                "none".to_string(),
                "20000+30000".to_string(),
                "20000+30000,80000+10000".to_string(),
            ],
        };
        for value in values {
            let mut config = EndpointConfig::default();
            config
                .set(spec.name, &value)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                config.get(spec.name).as_deref(),
                Some(value.as_str()),
                "{}",
                spec.name
            );
            // Setting what `get` reports changes nothing.
            let before = config.clone();
            config
                .set(spec.name, &before.get(spec.name).unwrap())
                .unwrap();
            assert_eq!(config, before, "{}", spec.name);
            assert_eq!(config.validate(), Ok(()), "{} = {value}", spec.name);
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn unknown_name_lists_the_valid_ones() {
    let mut config = EndpointConfig::default();
    let err = config.set("endpoint.latency", "5").unwrap_err();
    assert!(matches!(err, KnobError::UnknownName { .. }));
    let message = err.to_string();
    for spec in EndpointConfig::knobs() {
        assert!(message.contains(spec.name), "{message}");
    }
    assert!(message.contains("`endpoint.latency`"), "{message}");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn out_of_range_names_the_range() {
    let mut config = EndpointConfig::default();
    let message = config
        .set("endpoint.latency.ms", "600001")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("endpoint.latency.ms") && message.contains("from 0 to 600000"),
        "{message}"
    );
    let message = config
        .set("endpoint.fault.503", "1.5")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("endpoint.fault.503") && message.contains("from 0 to 1"),
        "{message}"
    );
    let message = config
        .set("endpoint.create", "post")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("naive_post, check_then_create, idempotency_key, put_with_id"),
        "{message}"
    );
    assert_eq!(
        config,
        EndpointConfig::default(),
        "a failed set changes nothing"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn malformed_numbers_are_refused() {
    let mut config = EndpointConfig::default();
    for (name, value) in [
        ("endpoint.latency.ms", "fast"),
        ("endpoint.latency.ms", "-1"),
        ("endpoint.latency.ms", "1.5"),
        ("endpoint.fault.500", "NaN"),
        ("endpoint.fault.500", "inf"),
        ("endpoint.fault.500", ""),
        ("endpoint.retry_after_on_503", "maybe"),
        ("endpoint.outage.status", "200"),
    ] {
        let err = config.set(name, value).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(name) && message.contains(&format!("`{value}`")),
            "{message}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn fault_probabilities_must_sum_to_at_most_one() {
    let mut config = EndpointConfig::default();
    config.set("endpoint.fault.500", "0.6").unwrap();
    config.set("endpoint.fault.hang", "0.4").unwrap();
    let before = config.clone();
    let message = config
        .set("endpoint.fault.503", "0.1")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("sum to at most 1") && message.contains("endpoint.fault.503"),
        "{message}"
    );
    assert_eq!(config, before);
    // Lowering one makes room for another.
    config.set("endpoint.fault.500", "0.5").unwrap();
    config.set("endpoint.fault.503", "0.1").unwrap();
    assert_eq!(config.validate(), Ok(()));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn outage_knobs_edit_the_first_outage() {
    let mut config = EndpointConfig::default();
    assert_eq!(config.get("endpoint.outage.status").as_deref(), Some("503"));
    config.set("endpoint.outage.duration_ms", "2000").unwrap();
    config.set("endpoint.outage.status", "hang").unwrap();
    assert_eq!(config.outages.len(), 1);
    assert_eq!(config.outages[0].duration_ms, 2000);
    assert_eq!(config.outages[0].status, flaky::FailWith::Hang);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn config_json_round_trip_and_validate() {
    let mut config = EndpointConfig::default();
    config.set("endpoint.latency.kind", "long_tail").unwrap();
    config.set("endpoint.outage.status", "reset").unwrap();
    config.set("endpoint.create", "put_with_id").unwrap();
    let json = serde_json::to_string(&config).unwrap();
    assert!(
        json.contains("\"long_tail\"")
            && json.contains("\"reset\"")
            && json.contains("\"put_with_id\""),
        "{json}"
    );
    let back: EndpointConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, config);
    // Missing fields take their defaults.
    let partial: EndpointConfig = serde_json::from_str(r#"{"faults":{"status_503":0.5}}"#).unwrap();
    assert_eq!(partial.faults.status_503, 0.5);
    assert_eq!(partial.latency, EndpointConfig::default().latency);
    // A config built without `set` is checked by `validate`.
    let bad: EndpointConfig =
        serde_json::from_str(r#"{"faults":{"status_503":0.7,"hang":0.7}}"#).unwrap();
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("at most 1"));
    let bad: EndpointConfig =
        serde_json::from_str(r#"{"overload":{"error_per_excess":-1}}"#).unwrap();
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("endpoint.overload.error_per_excess"));
    assert!(serde_json::from_str::<EndpointConfig>(r#"{"fail_first_status":"200"}"#).is_err());
}
