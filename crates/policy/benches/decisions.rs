//! Policy decisions per second: one poll + on_outcome cycle is one decision.
//! Plain harness (no criterion): `cargo bench -p policy`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{Call, ClientState, Outcome, PolicyConfig, RequestKind, Step};

/// Runs calls whose attempts fail with 503 two times in three, counting
/// poll+on_outcome cycles, for at least `min` of wall time.
fn cycles_per_second(config: PolicyConfig, min: Duration) -> f64 {
    let config = Arc::new(config);
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut now = 0u64;
    let mut cycles = 0u64;
    let mut n = 0u64;
    let start = Instant::now();
    while start.elapsed() < min {
        for _ in 0..1000 {
            let mut call = Call::new(
                Arc::clone(&config),
                now,
                RequestKind::NonIdempotent,
                &mut rng,
            );
            loop {
                match call.poll(now, &mut client, &mut rng) {
                    Step::Send { attempt, .. } => {
                        n = (n + 1) % 3;
                        now += 3;
                        let status = if n == 0 { 200 } else { 503 };
                        call.on_outcome(
                            now,
                            attempt,
                            Outcome::Response {
                                status,
                                retry_after_ms: None,
                            },
                            &mut client,
                        );
                        cycles += 1;
                    }
                    Step::Sleep { until_ms, .. } => now = until_ms,
                    Step::AwaitOutcome | Step::Throttled { .. } => unreachable!(),
                    Step::Done(done) => {
                        black_box(done);
                        break;
                    }
                }
            }
            now += 1;
            black_box(client.take_events());
        }
    }
    cycles as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let min = Duration::from_millis(700);
    let mut full = PolicyConfig::default();
    for (k, v) in [
        ("attempts.max", "5"),
        ("jitter.kind", "full"),
        ("breaker.kind", "ratio_count"),
        ("breaker.failure_ratio", "0.9"),
        ("budget.kind", "token_bucket"),
        ("idempotency.key", "true"),
    ] {
        if let Err(e) = full.set(k, v) {
            eprintln!("{e}");
            return;
        }
    }
    let mut decorrelated = full.clone();
    decorrelated.jitter.kind = policy::JitterKind::Decorrelated;
    decorrelated.breaker.kind = policy::BreakerKind::Consecutive;
    decorrelated.budget.kind = policy::BudgetKind::Ratio;
    for (name, config) in [
        ("default config", PolicyConfig::default()),
        (
            "full jitter + ratio_count breaker + token bucket + key",
            full,
        ),
        (
            "decorrelated + consecutive breaker + ratio budget + key",
            decorrelated,
        ),
    ] {
        let rate = cycles_per_second(config, min);
        println!(
            "policy: poll+on_outcome cycles: {:.1} M/s ({name})",
            rate / 1e6
        );
    }
}
