//! `playground steps`: one client runs the script's calls one after another,
//! sharing its breaker and budget, as the libraries' own tests step a
//! retryer: one entry per attempt, with the decision taken after it.
//!
//! The client is the policy ([`policy::Call`], one [`ClientState`]); the
//! replies come from a [`flaky::Server`] playing `endpoint.script` (by
//! client, call n of the client = call n of the script), so an attempt
//! beyond the script meets the endpoint's model. Time is virtual: an
//! attempt ends when its reply leaves the server (its latency) or its
//! timeout fires, a retry sleeps its delay. Jitter draws come from `--seed`,
//! or are all fixed at `--draw U` (`jitter.draw`).
//!
//! | decision | after the attempt |
//! | --- | --- |
//! | `retry` | a retry is scheduled in `delay_ms` |
//! | `success` | the call succeeded |
//! | `attempts_exhausted`, `budget_exhausted`, `deadline` | it gave up |
//! | `not_retryable` | the reply is not retried (a 4xx, a pushback that says stop, ...) |
//! | `breaker_open`, `throttled` | refused at the client: nothing sent (`reply` null) |
//! | `unfinished` | a hang with no timeout: the call never ends, nor do the steps |
//!
//! `budget_tokens` is what the bucket holds after the decision (null
//! without a bucket; gRPC's tokens may be fractions).

use std::fmt::Write as _;
use std::sync::Arc;

use flaky::client::{self, Stage};
use flaky::scenario::RunConfig;
use flaky::world::Identity;
use flaky::{Reply, Server};
use policy::hints::ReplyHints;
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{Call, ClientState, Done, GaveUp, Outcome, Step};
use serde_json::{json, Value};

/// Most attempts one `steps` run makes (a script of `repeat_last` with
/// unlimited attempts would never end).
pub const STEPS_MAX: usize = 100_000;

/// What was decided after an attempt (or instead of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Retry,
    Success,
    AttemptsExhausted,
    BudgetExhausted,
    NotRetryable,
    Deadline,
    BreakerOpen,
    Throttled,
    Unfinished,
}

impl Decision {
    pub const fn name(self) -> &'static str {
        match self {
            Decision::Retry => "retry",
            Decision::Success => "success",
            Decision::AttemptsExhausted => "attempts_exhausted",
            Decision::BudgetExhausted => "budget_exhausted",
            Decision::NotRetryable => "not_retryable",
            Decision::Deadline => "deadline",
            Decision::BreakerOpen => "breaker_open",
            Decision::Throttled => "throttled",
            Decision::Unfinished => "unfinished",
        }
    }

    fn of(done: &Done) -> Decision {
        match done {
            Done::Succeeded { .. } => Decision::Success,
            Done::GaveUp { reason, .. } => match reason {
                GaveUp::AttemptsExhausted => Decision::AttemptsExhausted,
                GaveUp::BudgetExhausted => Decision::BudgetExhausted,
                GaveUp::DeadlineExceeded => Decision::Deadline,
                GaveUp::BreakerOpen => Decision::BreakerOpen,
                GaveUp::ThrottledLocally | GaveUp::BulkheadFull => Decision::Throttled,
                GaveUp::NonRetryable { .. }
                | GaveUp::NetworkErrorNotRetried
                | GaveUp::TimeoutNotRetried
                | GaveUp::UnkeyedNonIdempotent => Decision::NotRetryable,
            },
        }
    }
}

/// One attempt (or a refusal in its place).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// 1-based.
    pub call: u32,
    /// 1-based.
    pub attempt: u32,
    /// The reply's status key (`500`, `reset`, `hang`), `timeout` for a slow
    /// reply cut by the timeout, `None` when nothing was sent.
    pub reply: Option<String>,
    pub decision: Decision,
    pub delay_ms: Option<u64>,
    pub budget_tokens: Option<f64>,
}

/// How an attempt ended: when (`u64::MAX`: never), what the policy hears,
/// and how it reads.
fn attempt_end(
    now_ms: u64,
    timeout_ms: Option<u64>,
    reply: Reply,
) -> (u64, Outcome, ReplyHints, String) {
    let deadline_ms = timeout_ms.map(|t| now_ms.saturating_add(t));
    let cut = |label: &str| {
        let at_ms = deadline_ms.unwrap_or(u64::MAX);
        (
            at_ms,
            Outcome::TimedOut,
            ReplyHints::default(),
            label.to_string(),
        )
    };
    match reply {
        Reply::Respond { at_ms, .. } | Reply::Reset { at_ms }
            if deadline_ms.is_some_and(|d| at_ms > d) =>
        {
            cut("timeout")
        }
        Reply::Respond {
            at_ms,
            status,
            headers,
            ..
        } => {
            let retry_after_ms = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
                .and_then(|(_, v)| policy::retry_after::parse(v, 0).ok());
            let hints =
                ReplyHints::from_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let outcome = Outcome::Response {
                status,
                retry_after_ms,
            };
            (at_ms, outcome, hints, status.to_string())
        }
        Reply::Reset { at_ms } => (
            at_ms,
            Outcome::NetworkError,
            ReplyHints::default(),
            "reset".to_string(),
        ),
        Reply::Hang => cut("hang"),
    }
}

/// Runs the script's calls (at least one) through one client.
pub fn steps(config: &RunConfig, seed: u64) -> Vec<Entry> {
    let policy = Arc::new(config.policy.clone());
    let mut client = ClientState::new(&policy);
    let mut server = Server::new(config.endpoint.clone(), seed).without_fault_details();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let calls = config.endpoint.script.calls().len().max(1);
    let kind = client::request_kind(config);
    let mut entries = Vec::new();
    let mut now_ms = 0u64;
    let mut request_id = 0u64;
    let tokens = |client: &ClientState| client.budget_token_count();
    for ordinal in 0..calls {
        let call_no = u32::try_from(ordinal + 1).unwrap_or(u32::MAX);
        let ordinal = u32::try_from(ordinal).unwrap_or(u32::MAX);
        let mut call = Call::new(Arc::clone(&policy), now_ms, kind, &mut rng);
        loop {
            if entries.len() >= STEPS_MAX {
                return entries;
            }
            let step = call.poll(now_ms, &mut client, &mut rng);
            let refused = |decision, attempt| Entry {
                call: call_no,
                attempt,
                reply: None,
                decision,
                delay_ms: None,
                budget_tokens: tokens(&client),
            };
            let (attempt, timeout_ms) = match step {
                Step::Send {
                    attempt,
                    timeout_ms,
                    ..
                } => (attempt, timeout_ms),
                Step::Throttled { attempt } => {
                    entries.push(refused(Decision::Throttled, attempt));
                    break;
                }
                Step::Done(done) => {
                    entries.push(refused(
                        Decision::of(&done),
                        call.attempts_sent().saturating_add(1),
                    ));
                    break;
                }
                Step::Sleep { until_ms, .. } => {
                    now_ms = now_ms.max(until_ms);
                    continue;
                }
                Step::AwaitOutcome => break,
            };
            request_id = request_id.saturating_add(1);
            let mut request =
                client::request(config, (0, ordinal), call.idempotency_key(), Stage::Main);
            request.id = request_id;
            let identity = Identity {
                client: 0,
                ordinal,
                attempt,
                stage: Stage::Main,
            };
            let reply = server.handle_from(now_ms, &request, Some(&identity));
            let (end_ms, outcome, hints, label) = attempt_end(now_ms, timeout_ms, reply);
            if end_ms == u64::MAX {
                entries.push(Entry {
                    call: call_no,
                    attempt,
                    reply: Some(label),
                    decision: Decision::Unfinished,
                    delay_ms: None,
                    budget_tokens: tokens(&client),
                });
                return entries;
            }
            server.cancel(end_ms, request_id);
            now_ms = end_ms;
            call.on_outcome_hinted(now_ms, attempt, outcome, hints, &mut client);
            let (decision, delay_ms) = match call.poll(now_ms, &mut client, &mut rng) {
                Step::Sleep { until_ms, .. } => {
                    (Decision::Retry, Some(until_ms.saturating_sub(now_ms)))
                }
                Step::Done(done) => (Decision::of(&done), None),
                Step::Throttled { .. } => (Decision::Throttled, None),
                Step::Send { .. } | Step::AwaitOutcome => (Decision::Retry, Some(0)),
            };
            entries.push(Entry {
                call: call_no,
                attempt,
                reply: Some(label),
                decision,
                delay_ms,
                budget_tokens: tokens(&client),
            });
            match (decision, delay_ms) {
                (Decision::Retry, Some(d)) => now_ms = now_ms.saturating_add(d),
                _ => break,
            }
        }
    }
    entries
}

/// Whole tokens as integers (`486`, not `486.0`), fractions as they are.
fn tokens_json(tokens: Option<f64>) -> Value {
    match tokens {
        Some(t) if t.fract() == 0.0 && t >= 0.0 && t < u64::MAX as f64 => json!(t as u64),
        Some(t) => json!(t),
        None => Value::Null,
    }
}

/// `{"steps": [...]}`.
pub fn to_json(entries: &[Entry]) -> String {
    let steps: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "call": e.call,
                "attempt": e.attempt,
                "reply": e.reply,
                "decision": e.decision.name(),
                "delay_ms": e.delay_ms,
                "budget_tokens": tokens_json(e.budget_tokens),
            })
        })
        .collect();
    let mut text = json!({ "steps": steps }).to_string();
    text.push('\n');
    text
}

/// One row per attempt.
pub fn to_table(entries: &[Entry]) -> String {
    let mut out = format!(
        "{:>4} {:>7} {:<8} {:<18} {:>9} {:>13}\n",
        "call", "attempt", "reply", "decision", "delay_ms", "budget_tokens"
    );
    let dash = || "-".to_string();
    for e in entries {
        let _ = writeln!(
            out,
            "{:>4} {:>7} {:<8} {:<18} {:>9} {:>13}",
            e.call,
            e.attempt,
            e.reply.clone().unwrap_or_else(dash),
            e.decision.name(),
            e.delay_ms.map_or_else(dash, |d| d.to_string()),
            e.budget_tokens
                .map_or_else(dash, |t| tokens_json(Some(t)).to_string()),
        );
    }
    out
}
