//! Knobs, Retry-After parsing, and call behaviours by example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::sync::Arc;

use common::{run, Scripted};
use policy::knob::{KnobError, KnobKind};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::retry_after::{parse, RetryAfterError};
use policy::{Call, ClientState, Done, GaveUp, Outcome, PolicyConfig, RequestKind, Step};

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_knob_round_trips() {
    let defaults = PolicyConfig::default();
    assert_eq!(defaults.validate(), Ok(()));
    for spec in PolicyConfig::knobs() {
        let value = defaults
            .get(spec.name)
            .unwrap_or_else(|| panic!("no value for {}", spec.name));
        let mut c = defaults.clone();
        c.set(spec.name, &value).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, defaults, "{}", spec.name);
        // The extremes of each range are accepted, one past is refused with the name.
        match spec.kind {
            KnobKind::Int { min, max } => {
                c.set(spec.name, &max.to_string())
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(c.get(spec.name), Some(max.to_string()));
                c.set(spec.name, &min.to_string())
                    .unwrap_or_else(|e| panic!("{e}"));
                let err = c
                    .set(spec.name, &(max + 1).to_string())
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                assert!(err.contains(spec.name), "{err}");
            }
            KnobKind::Choice(names) => {
                for name in names {
                    c.set(spec.name, name).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(c.get(spec.name).as_deref(), Some(*name));
                }
            }
            KnobKind::Float { max, .. } => {
                assert!(c.set(spec.name, "NaN").is_err());
                assert!(c.set(spec.name, &(max * 2.0 + 1.0).to_string()).is_err());
            }
            KnobKind::Bool => {
                c.set(spec.name, "off").unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(c.get(spec.name).as_deref(), Some("false"));
            }
            KnobKind::List { .. } => panic!("{}: the policy has no list knobs", spec.name),
            KnobKind::Text { syntax } => {
                c.set(spec.name, "none").unwrap_or_else(|e| panic!("{e}"));
                let err = c.set(spec.name, "%%").unwrap_err().to_string();
                assert!(
                    err.contains(spec.name),
                    "{err} names neither {} nor {syntax}",
                    spec.name
                );
            }
        }
        assert!(!spec.help.is_empty());
    }
    let names: Vec<&str> = PolicyConfig::knobs().iter().map(|s| s.name).collect();
    for prefix in [
        "attempts.",
        "retry.",
        "backoff.",
        "jitter.",
        "retry_after.",
        "budget.",
        "breaker.",
        "idempotency.",
    ] {
        assert!(names.iter().any(|n| n.starts_with(prefix)), "{prefix}");
    }
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "duplicate knob names");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn status_overrides_and_errors() {
    let mut c = PolicyConfig::default();
    assert_eq!(c.get("retry.status.503").as_deref(), Some("default"));
    c.set("retry.status.503", "false")
        .unwrap_or_else(|e| panic!("{e}"));
    c.set("retry.status.404", "true")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.retry.status_overrides.get(&503), Some(&false));
    let values = c.knob_values();
    assert!(values.contains(&("retry.status.404".to_string(), "true".to_string())));
    let mut rebuilt = PolicyConfig::default();
    for (k, v) in &values {
        rebuilt.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(rebuilt, c);
    c.set("retry.status.503", "default")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!c.retry.status_overrides.contains_key(&503));
    for bad in [
        "retry.status.99",
        "retry.status.600",
        "retry.status.abc",
        "retry.status.",
    ] {
        assert!(c.set(bad, "true").is_err(), "{bad}");
    }
    assert!(c.set("retry.status.503", "maybe").is_err());
    match c.set("backoff.nope", "1") {
        Err(KnobError::UnknownName { valid, .. }) => assert!(valid.contains(&"backoff.base_ms")),
        other => panic!("{other:?}"),
    }
    let mut bad = PolicyConfig::default();
    bad.jitter.ratio = f64::NAN;
    bad.breaker.window_count = 0;
    bad.retry.status_overrides.insert(42, true);
    let err = bad.validate().err().unwrap_or_default();
    assert!(
        err.contains("jitter.ratio")
            && err.contains("breaker.window_count")
            && err.contains("retry.status.42"),
        "{err}"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn retry_after_forms() {
    let now = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT
    assert_eq!(parse("0", now), Ok(0));
    assert_eq!(parse(" 5 ", now), Ok(5000));
    assert_eq!(parse("99999999999999999999999", now), Ok(u64::MAX));
    assert_eq!(parse("Wed, 21 Oct 2015 07:29:00 GMT", now), Ok(60_000));
    assert_eq!(parse("Wednesday, 21-Oct-15 07:29:00 GMT", now), Ok(60_000));
    assert_eq!(parse("Wed Oct 21 07:29:00 2015", now), Ok(60_000));
    assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT", now), Ok(0));
    assert_eq!(parse("", now), Err(RetryAfterError::Empty));
    for bad in [
        "-1",
        "1.5",
        "soon",
        "Wed, 32 Oct 2015 07:29:00 GMT",
        "Wed, 21 Oct 2015 25:29:00 GMT",
        "\u{0}",
        "１２",
    ] {
        assert!(parse(bad, now).is_err(), "{bad}");
    }
    assert!(parse("soon", now)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("soon"));
}

fn status(status: u16) -> Scripted {
    Scripted {
        latency_ms: 10,
        outcome: Outcome::Response {
            status,
            retry_after_ms: None,
        },
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn idempotency_rules() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    // urllib3-like: a POST without a key is not retried.
    let mut c = PolicyConfig::default();
    c.retry.require_key_for_unsafe = true;
    let config = Arc::new(c.clone());
    let mut client = ClientState::new(&config);
    let (_, steps) = run(
        &config,
        0,
        RequestKind::NonIdempotent,
        &mut client,
        &mut rng,
        &[status(503)],
    );
    assert_eq!(
        steps.last().map(|s| &s.1),
        Some(&Step::Done(Done::GaveUp {
            attempts: 1,
            reason: GaveUp::UnkeyedNonIdempotent
        }))
    );
    let (_, steps) = run(
        &config,
        0,
        RequestKind::Idempotent,
        &mut client,
        &mut rng,
        &[status(503)],
    );
    assert_eq!(
        steps.last().map(|s| &s.1),
        Some(&Step::Done(Done::Succeeded { attempts: 2 }))
    );
    // With a key it is retried, the same key every time; 409 = in flight.
    c.idempotency.key = true;
    let config = Arc::new(c);
    let (call, steps) = run(
        &config,
        0,
        RequestKind::NonIdempotent,
        &mut client,
        &mut rng,
        &[status(503), status(409)],
    );
    assert_eq!(
        steps.last().map(|s| &s.1),
        Some(&Step::Done(Done::Succeeded { attempts: 3 }))
    );
    let key = call.idempotency_key().map(str::to_string);
    assert!(key.as_ref().is_some_and(|k| k.len() == 32));
    for (_, s) in &steps {
        if let Step::Send {
            idempotency_key, ..
        } = s
        {
            assert_eq!(idempotency_key, &key);
        }
    }
    // A 409 without a key is a plain 4xx.
    let config = Arc::new(PolicyConfig::default());
    let (_, steps) = run(
        &config,
        0,
        RequestKind::NonIdempotent,
        &mut client,
        &mut rng,
        &[status(409)],
    );
    assert_eq!(
        steps.last().map(|s| &s.1),
        Some(&Step::Done(Done::GaveUp {
            attempts: 1,
            reason: GaveUp::NonRetryable { status: 409 }
        }))
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn deadlines_timeouts_and_stale_reports() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut c = PolicyConfig::default();
    c.attempts.deadline_ms = 2500;
    c.attempts.max = 0;
    let config = Arc::new(c);
    let mut client = ClientState::new(&config);
    let mut call = Call::new(Arc::clone(&config), 100, RequestKind::Idempotent, &mut rng);
    assert_eq!(
        call.poll(100, &mut client, &mut rng),
        Step::Send {
            attempt: 1,
            timeout_ms: Some(2500),
            idempotency_key: None,
            probe: false
        }
    );
    assert_eq!(call.poll(150, &mut client, &mut rng), Step::AwaitOutcome);
    call.on_outcome(200, 7, Outcome::NetworkError, &mut client); // not in flight: ignored
    assert_eq!(call.poll(200, &mut client, &mut rng), Step::AwaitOutcome);
    call.on_outcome(200, 1, Outcome::NetworkError, &mut client);
    let Step::Sleep { until_ms: 1200, .. } = call.poll(200, &mut client, &mut rng) else {
        panic!("expected a 1 s sleep")
    };
    assert!(
        matches!(
            call.poll(700, &mut client, &mut rng),
            Step::Sleep { until_ms: 1200, .. }
        ),
        "early polls repeat the sleep"
    );
    assert_eq!(
        call.poll(1200, &mut client, &mut rng),
        Step::Send {
            attempt: 2,
            timeout_ms: Some(1400),
            idempotency_key: None,
            probe: false
        }
    );
    call.on_outcome(
        1300,
        2,
        Outcome::Response {
            status: 500,
            retry_after_ms: None,
        },
        &mut client,
    );
    // The next sleep (2 s) would end at 3300 ≥ deadline 2600: give up now.
    let done = Step::Done(Done::GaveUp {
        attempts: 2,
        reason: GaveUp::DeadlineExceeded,
    });
    assert_eq!(call.poll(1300, &mut client, &mut rng), done);
    assert_eq!(call.poll(9999, &mut client, &mut rng), done);
    call.on_outcome(
        1400,
        2,
        Outcome::Response {
            status: 200,
            retry_after_ms: None,
        },
        &mut client,
    );
    assert_eq!(call.poll(1400, &mut client, &mut rng), done);

    // No timeout and no deadline: the attempt may hang forever.
    let mut c = PolicyConfig::default();
    c.attempts.timeout_ms = 0;
    let config = Arc::new(c);
    let mut call = Call::new(config, 0, RequestKind::Idempotent, &mut rng);
    assert!(matches!(
        call.poll(0, &mut client, &mut rng),
        Step::Send {
            timeout_ms: None,
            ..
        }
    ));
    assert_eq!(
        call.poll(u64::MAX, &mut client, &mut rng),
        Step::AwaitOutcome
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn hostile_configs_do_not_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut c = PolicyConfig {
        attempts: policy::AttemptsConfig {
            max: u32::MAX,
            deadline_ms: u64::MAX,
            timeout_ms: u64::MAX,
        },
        backoff: policy::BackoffConfig {
            kind: policy::BackoffKind::Exponential,
            base_ms: u64::MAX,
            cap_ms: u64::MAX,
            multiplier: f64::INFINITY,
            ..policy::BackoffConfig::default()
        },
        jitter: policy::JitterConfig {
            kind: policy::JitterKind::Ratio,
            ratio: f64::NAN,
            additive_ms: u64::MAX,
            draw: Some(f64::NAN),
        },
        budget: policy::BudgetConfig {
            kind: policy::BudgetKind::Ratio,
            ratio: f64::NEG_INFINITY,
            window_ms: 1,
            ..Default::default()
        },
        breaker: policy::BreakerConfig {
            kind: policy::BreakerKind::RatioTime,
            window_count: 0,
            min_throughput: 0,
            half_open_probes: 0,
            failure_ratio: f64::NAN,
            open_ms: u64::MAX,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(c.validate().is_err());
    for kind in [
        policy::JitterKind::Full,
        policy::JitterKind::Additive,
        policy::JitterKind::Decorrelated,
        policy::JitterKind::Equal,
    ] {
        c.jitter.kind = kind;
        let config = Arc::new(c.clone());
        let mut client = ClientState::new(&config);
        let (_, steps) = run(
            &config,
            u64::MAX - 10,
            RequestKind::NonIdempotent,
            &mut client,
            &mut rng,
            &[status(503); 3],
        );
        assert!(matches!(steps.last(), Some((_, Step::Done(_)))));
        let _ = policy::schedule(&config, &mut rng);
        let _ = client.budget_level();
    }
}
