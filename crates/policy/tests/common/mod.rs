//! Helpers shared by the integration tests: a scripted driver and a
//! generator that replays fixed numbers.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::convert::Infallible;
use std::sync::Arc;

use policy::rand_chacha::rand_core::TryRng;
use policy::{Call, ClientState, Outcome, PolicyConfig, RequestKind, Rng, Step};

/// A generator that returns the given `u64`s in turn (then repeats them).
pub struct SeqRng {
    values: Vec<u64>,
    next: usize,
}

impl SeqRng {
    pub fn new(values: &[u64]) -> SeqRng {
        SeqRng {
            values: values.to_vec(),
            next: 0,
        }
    }

    /// A draw that [`policy::unit_f64`] turns into exactly `u` (for u = k / 2^m).
    pub fn unit(u: f64) -> u64 {
        ((u * (1u64 << 53) as f64) as u64) << 11
    }
}

impl TryRng for SeqRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|v| (v >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let v = self
            .values
            .get(self.next % self.values.len().max(1))
            .copied()
            .unwrap_or(0);
        self.next += 1;
        Ok(v)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

/// What one attempt does in a script: after `latency_ms` the outcome arrives
/// (a `TimedOut` arrives when the attempt's timeout fires, if it has one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scripted {
    pub latency_ms: u64,
    pub outcome: Outcome,
}

pub const OK: Outcome = Outcome::Response {
    status: 200,
    retry_after_ms: None,
};

/// Drives `call` to its end; attempt k gets `script[k-1]` (200 after the
/// script runs out). Returns every step with the time it was returned at.
pub fn drive(
    call: &mut Call,
    start_ms: u64,
    client: &mut ClientState,
    rng: &mut impl Rng,
    script: &[Scripted],
) -> Vec<(u64, Step)> {
    let mut now = start_ms;
    let mut steps = Vec::new();
    for _ in 0..100_000 {
        let step = call.poll(now, client, rng);
        steps.push((now, step.clone()));
        match step {
            Step::Send {
                attempt,
                timeout_ms,
                ..
            } => {
                let s = script
                    .get(attempt as usize - 1)
                    .copied()
                    .unwrap_or(Scripted {
                        latency_ms: 1,
                        outcome: OK,
                    });
                let (latency, outcome) = match (s.outcome, timeout_ms) {
                    (Outcome::TimedOut, Some(t)) => (t, Outcome::TimedOut),
                    (_, Some(t)) if s.latency_ms >= t => (t, Outcome::TimedOut),
                    (o, _) => (s.latency_ms, o),
                };
                now += latency;
                call.on_outcome(now, attempt, outcome, client);
            }
            Step::Sleep { until_ms, .. } => now = now.max(until_ms),
            Step::AwaitOutcome => panic!("outcome was reported, yet the call awaits one"),
            Step::Throttled { .. } => {}
            Step::Done(_) => return steps,
        }
    }
    panic!("call did not finish in 100000 steps");
}

/// A new call of `config` started at `start_ms`, driven by `script`.
pub fn run(
    config: &Arc<PolicyConfig>,
    start_ms: u64,
    request: RequestKind,
    client: &mut ClientState,
    rng: &mut impl Rng,
    script: &[Scripted],
) -> (Call, Vec<(u64, Step)>) {
    let mut call = Call::new(Arc::clone(config), start_ms, request, rng);
    let steps = drive(&mut call, start_ms, client, rng, script);
    (call, steps)
}
