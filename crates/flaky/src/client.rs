//! What a client sends for one attempt of a logical call, shared by the
//! run engine, so the simulator and the browser speak to the endpoint the
//! same way: which requests an attempt makes (check-then-create's GET before
//! its POST), their method, path, headers and body, and when clients start.

use policy::{Outcome, RequestKind};

use crate::scenario::{Operation, RunConfig, ScenarioConfig};
use crate::trace::AttemptOutcome;
use crate::{CreateMode, Method, Request};

pub use crate::world::Stage;

/// The first request of every attempt.
pub fn first_stage(config: &RunConfig) -> Stage {
    match (config.scenario.operation, config.endpoint.create) {
        (Operation::Create, CreateMode::CheckThenCreate) => Stage::Check,
        _ => Stage::Main,
    }
}

/// What happens after a request of stage `stage` ended with `outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send the main request now, in the same attempt (the check found nothing).
    SendMain,
    /// The attempt ended with this outcome.
    End(AttemptOutcome),
}

/// Check-then-create: a 404 means "create it now"; a 200 means "it exists:
/// the guard is done" (the attempt succeeds); anything else ends the attempt.
pub fn after(stage: Stage, outcome: AttemptOutcome) -> Next {
    match (stage, outcome) {
        (Stage::Check, AttemptOutcome::Status(404)) => Next::SendMain,
        _ => Next::End(outcome),
    }
}

/// Whether the call may be repeated safely (GET, PUT) or not (POST).
pub fn request_kind(config: &RunConfig) -> RequestKind {
    match (config.scenario.operation, config.endpoint.create) {
        (Operation::Read, _) | (Operation::Create, CreateMode::PutWithId) => {
            RequestKind::Idempotent
        }
        (Operation::Create, _) => RequestKind::NonIdempotent,
    }
}

/// The item a call creates (`item-<client>-<ordinal>`, or `item-<ordinal>`
/// when clients share names), or the path it reads. Named by the call's
/// identity, not by when it started, so every run of a seed, simulated or
/// live, creates the same items.
pub fn target(scenario: &ScenarioConfig, client: u32, ordinal: u32) -> String {
    match scenario.operation {
        Operation::Read => "/flaky".to_string(),
        Operation::Create if scenario.shared_names => format!("item-{ordinal}"),
        Operation::Create => format!("item-{client}-{ordinal}"),
    }
}

/// The request of stage `stage` for call `ordinal` of `client`, with the call's
/// idempotency key (if any) on every attempt. `id` is left 0 for the transport.
pub fn request(
    config: &RunConfig,
    (client, ordinal): (u32, u32),
    idempotency_key: Option<&str>,
    stage: Stage,
) -> Request {
    // Named here, not kept per call: a read names no item (and allocates none).
    let target = &match config.scenario.operation {
        Operation::Read => String::new(),
        Operation::Create => target(&config.scenario, client, ordinal),
    };
    let (method, path, body) = match (config.scenario.operation, config.endpoint.create, stage) {
        (Operation::Read, _, _) => (Method::Get, "/flaky".to_string(), String::new()),
        (Operation::Create, CreateMode::CheckThenCreate, Stage::Check) => {
            (Method::Get, format!("/items/{target}"), String::new())
        }
        (Operation::Create, CreateMode::PutWithId, _) => {
            (Method::Put, format!("/items/{target}"), target.to_string())
        }
        (Operation::Create, _, _) => (Method::Post, "/items".to_string(), target.to_string()),
    };
    let headers = idempotency_key
        .map(|k| vec![("Idempotency-Key".to_string(), k.to_string())])
        .unwrap_or_default();
    Request {
        id: 0,
        method,
        path,
        headers,
        body,
    }
}

/// The policy's view of an attempt's outcome.
pub fn policy_outcome(outcome: AttemptOutcome, retry_after_ms: Option<u64>) -> Outcome {
    match outcome {
        AttemptOutcome::Status(status) => Outcome::Response {
            status,
            retry_after_ms,
        },
        AttemptOutcome::NetworkError => Outcome::NetworkError,
        AttemptOutcome::TimedOut => Outcome::TimedOut,
        // The engine never reports these two to the policy (the policy made
        // the first itself; the second ends an attempt no one waits for):
        // the nearest meanings, for completeness.
        AttemptOutcome::ThrottledLocally => Outcome::Response {
            status: 503,
            retry_after_ms: None,
        },
        AttemptOutcome::Cancelled => Outcome::TimedOut,
    }
}
