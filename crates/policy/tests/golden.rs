//! Golden trace: one seed, one config, one outcome script give one sequence
//! of steps, byte for byte, on native and in the browser.
//!
//! Regenerate (native only): `UPDATE_GOLDEN=1 cargo test -p policy --test golden`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::sync::Arc;

use common::{drive, Scripted};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{schedule, Call, ClientEvent, ClientState, Outcome, PolicyConfig, RequestKind, Step};
use serde::Serialize;

const GOLDEN: &str = include_str!("golden/steps.json");

#[derive(Serialize)]
struct Trace {
    seed: u64,
    config: PolicyConfig,
    calls: Vec<CallTrace>,
    events: Vec<ClientEvent>,
    schedule: Vec<policy::PlannedRetry>,
}

#[derive(Serialize)]
struct CallTrace {
    key: Option<String>,
    steps: Vec<(u64, Step)>,
}

fn config() -> PolicyConfig {
    let mut c = PolicyConfig::default();
    for (k, v) in [
        ("attempts.max", "4"),
        ("attempts.deadline_ms", "20000"),
        ("jitter.kind", "full"),
        ("breaker.kind", "consecutive"),
        ("breaker.threshold", "3"),
        ("breaker.open_ms", "5000"),
        ("budget.kind", "token_bucket"),
        ("budget.capacity", "60"),
        ("idempotency.key", "true"),
    ] {
        c.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    c
}

fn trace() -> Trace {
    let seed = 2020;
    let config = Arc::new(config());
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = |latency_ms, status| Scripted {
        latency_ms,
        outcome: Outcome::Response {
            status,
            retry_after_ms: None,
        },
    };
    let net = Scripted {
        latency_ms: 30,
        outcome: Outcome::NetworkError,
    };
    let hang = Scripted {
        latency_ms: 60_000,
        outcome: Outcome::TimedOut,
    };
    let throttled = Scripted {
        latency_ms: 20,
        outcome: Outcome::Response {
            status: 429,
            retry_after_ms: Some(1500),
        },
    };
    let scripts: Vec<(u64, RequestKind, Vec<Scripted>)> = vec![
        (
            0,
            RequestKind::NonIdempotent,
            vec![s(40, 503), net, s(35, 201)],
        ),
        (100, RequestKind::Idempotent, vec![s(10, 404)]),
        (
            200,
            RequestKind::NonIdempotent,
            vec![hang, throttled, s(50, 500), s(50, 502)],
        ),
        // The breaker opened at the 4th consecutive failure: fail fast.
        (14_000, RequestKind::Idempotent, vec![s(5, 200)]),
        // Half-open: one probe, it succeeds, closed again.
        (40_000, RequestKind::Idempotent, vec![s(5, 200)]),
        // Hung attempts run into the deadline.
        (
            41_000,
            RequestKind::Idempotent,
            vec![hang, hang, hang, hang],
        ),
        // Failures until the bucket is empty.
        (
            70_000,
            RequestKind::NonIdempotent,
            vec![s(5, 503), s(5, 503), s(5, 503), s(5, 503)],
        ),
        (
            80_000,
            RequestKind::NonIdempotent,
            vec![s(5, 503), s(5, 503), s(5, 503), s(5, 503)],
        ),
        (86_000, RequestKind::Idempotent, vec![s(5, 200)]),
        (87_000, RequestKind::Idempotent, vec![s(5, 503), s(5, 503)]),
    ];
    let mut calls = Vec::new();
    let mut events = Vec::new();
    for (start, request, script) in scripts {
        let mut call = Call::new(Arc::clone(&config), start, request, &mut rng);
        let steps = drive(&mut call, start, &mut client, &mut rng, &script);
        calls.push(CallTrace {
            key: call.idempotency_key().map(str::to_string),
            steps,
        });
        events.extend(client.take_events());
    }
    let schedule = schedule(&config, &mut rng);
    Trace {
        seed,
        config: (*config).clone(),
        calls,
        events,
        schedule,
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn golden_steps() {
    let json = serde_json::to_string_pretty(&trace()).unwrap_or_else(|e| panic!("{e}")) + "\n";
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/steps.json");
        std::fs::write(path, &json).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        return;
    }
    if json != GOLDEN {
        let line = json
            .lines()
            .zip(GOLDEN.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "golden trace differs (seed 2020) at line {}:\n got: {}\nwant: {}\nregenerate with UPDATE_GOLDEN=1 cargo test -p policy --test golden",
            line + 1,
            json.lines().nth(line).unwrap_or(""),
            GOLDEN.lines().nth(line).unwrap_or("")
        );
    }
}

/// The JSON shapes other crates rely on.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn json_shapes() {
    let send = Step::Send {
        attempt: 1,
        timeout_ms: Some(5000),
        idempotency_key: None,
        probe: false,
    };
    let json = |v: &dyn erased::Ser| v.json();
    assert_eq!(
        json(&send),
        r#"{"Send":{"attempt":1,"timeout_ms":5000,"idempotency_key":null,"probe":false}}"#
    );
    assert_eq!(json(&Step::AwaitOutcome), r#""AwaitOutcome""#);
    let out = Outcome::Response {
        status: 503,
        retry_after_ms: Some(2000),
    };
    assert_eq!(
        json(&out),
        r#"{"Response":{"status":503,"retry_after_ms":2000}}"#
    );
    assert_eq!(json(&Outcome::TimedOut), r#""TimedOut""#);
    let back: Outcome =
        serde_json::from_str(r#"{"Response":{"status":200,"retry_after_ms":null}}"#)
            .unwrap_or(Outcome::TimedOut);
    assert_eq!(
        back,
        Outcome::Response {
            status: 200,
            retry_after_ms: None
        }
    );
    let done = Step::Done(policy::Done::GaveUp {
        attempts: 3,
        reason: policy::GaveUp::NonRetryable { status: 404 },
    });
    assert_eq!(
        json(&done),
        r#"{"Done":{"GaveUp":{"attempts":3,"reason":{"NonRetryable":{"status":404}}}}}"#
    );
    // A config round-trips, and a partial one takes defaults.
    let c = config();
    let text = serde_json::to_string(&c).unwrap_or_default();
    assert_eq!(serde_json::from_str::<PolicyConfig>(&text).ok(), Some(c));
    let partial: PolicyConfig =
        serde_json::from_str(r#"{"backoff":{"base_ms":50}}"#).unwrap_or_default();
    assert_eq!(partial.backoff.base_ms, 50);
    assert_eq!(partial.attempts.max, 3);
}

mod erased {
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}
