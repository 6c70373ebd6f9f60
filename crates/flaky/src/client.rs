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
        Operation::Create => {
            let mut name = String::new();
            write_item(&mut name, scenario, client, ordinal);
            name
        }
    }
}

/// Appends the name of the item call `ordinal` of `client` creates.
fn write_item(out: &mut String, scenario: &ScenarioConfig, client: u32, ordinal: u32) {
    let mut digits = itoa::Buffer::new();
    out.push_str("item-");
    if !scenario.shared_names {
        out.push_str(digits.format(client));
        out.push('-');
    }
    out.push_str(digits.format(ordinal));
}

/// The method of the request of stage `stage`.
pub fn method(config: &RunConfig, stage: Stage) -> Method {
    match (config.scenario.operation, config.endpoint.create, stage) {
        (Operation::Read, _, _) => Method::Get,
        (Operation::Create, CreateMode::CheckThenCreate, Stage::Check) => Method::Get,
        (Operation::Create, CreateMode::PutWithId, _) => Method::Put,
        (Operation::Create, _, _) => Method::Post,
    }
}

/// The request of stage `stage` for call `ordinal` of `client`, with the call's
/// idempotency key (if any) on every attempt. `id` is left 0 for the transport.
pub fn request(
    config: &RunConfig,
    call: (u32, u32),
    idempotency_key: Option<&str>,
    stage: Stage,
) -> Request {
    let mut request = Request {
        id: 0,
        method: Method::Get,
        path: String::new(),
        headers: Vec::new(),
        body: String::new(),
    };
    write_request(&mut request, config, call, idempotency_key, stage);
    request
}

/// [`request`], written over `request`, whose buffers are reused: a
/// simulated storm sends millions and allocates for none of them.
pub fn write_request(
    request: &mut Request,
    config: &RunConfig,
    (client, ordinal): (u32, u32),
    idempotency_key: Option<&str>,
    stage: Stage,
) {
    let scenario = &config.scenario;
    let method = method(config, stage);
    request.id = 0;
    request.method = method;
    request.path.clear();
    request.body.clear();
    request.headers.clear();
    match (scenario.operation, method) {
        (Operation::Read, _) => request.path.push_str("/flaky"),
        (Operation::Create, Method::Get | Method::Put) => {
            request.path.push_str("/items/");
            write_item(&mut request.path, scenario, client, ordinal);
        }
        (Operation::Create, Method::Post) => request.path.push_str("/items"),
    }
    if matches!(method, Method::Post | Method::Put) {
        write_item(&mut request.body, scenario, client, ordinal);
    }
    if let Some(key) = idempotency_key {
        request
            .headers
            .push(("Idempotency-Key".to_string(), key.to_string()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScenarioConfig;

    fn config(operation: Operation, create: CreateMode, shared_names: bool) -> RunConfig {
        let mut config = RunConfig::default().with_scenario(ScenarioConfig::default());
        config.scenario.operation = operation;
        config.scenario.shared_names = shared_names;
        config.endpoint.create = create;
        config
    }

    #[test]
    fn each_operation_sends_its_method_path_and_body() {
        let cases = [
            (
                Operation::Read,
                CreateMode::NaivePost,
                Stage::Main,
                "GET /flaky ",
            ),
            (
                Operation::Create,
                CreateMode::NaivePost,
                Stage::Main,
                "POST /items item-3-17",
            ),
            (
                Operation::Create,
                CreateMode::CheckThenCreate,
                Stage::Check,
                "GET /items/item-3-17 ",
            ),
            (
                Operation::Create,
                CreateMode::CheckThenCreate,
                Stage::Main,
                "POST /items item-3-17",
            ),
            (
                Operation::Create,
                CreateMode::PutWithId,
                Stage::Main,
                "PUT /items/item-3-17 item-3-17",
            ),
        ];
        // One request written over and over, as the simulator does.
        let mut reused = request(
            &config(Operation::Create, CreateMode::PutWithId, false),
            (9, 9),
            Some("k"),
            Stage::Main,
        );
        for (operation, create, stage, expected) in cases {
            let config = config(operation, create, false);
            let r = request(&config, (3, 17), Some("key-1"), stage);
            assert_eq!(format!("{} {} {}", r.method, r.path, r.body), expected);
            assert_eq!(r.header("idempotency-key"), Some("key-1"));
            write_request(&mut reused, &config, (3, 17), None, stage);
            assert_eq!(
                reused,
                Request {
                    headers: Vec::new(),
                    ..r
                }
            );
        }
        let shared = config(Operation::Create, CreateMode::PutWithId, true);
        assert_eq!(
            request(&shared, (3, 17), None, Stage::Main).path,
            "/items/item-17"
        );
        assert_eq!(target(&shared.scenario, 3, 17), "item-17");
    }
}
