//! Property tests: the policy's invariants under random configs and random
//! outcome scripts. Fixed seeds (no OS entropy), so they run the same on
//! native and in the browser; set `PROPTEST_CASES` to run more.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{run, Scripted};
use policy::breaker::{Breaker, BreakerState};
use policy::budget::Budget;
use policy::classify::{classify, Verdict};
use policy::rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
use policy::{
    jitter, BackoffKind, BreakerKind, BudgetKind, ClientState, Done, GaveUp, JitterKind, Outcome,
    PolicyConfig, RequestKind, SleepReason, Step,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

fn cases(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x5EED_2020),
        ..ProptestConfig::default()
    };
    if cfg!(target_arch = "wasm32") {
        config.failure_persistence = None; // no file system in the browser
    }
    config
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        3 => prop_oneof![Just(200u16), Just(201), Just(204), Just(400), Just(401), Just(403), Just(404), Just(409), Just(429), Just(500), Just(502), Just(503), Just(504), 0u16..700]
            .prop_flat_map(|status| (Just(status), proptest::option::weighted(0.3, 0u64..20_000)))
            .prop_map(|(status, retry_after_ms)| Outcome::Response { status, retry_after_ms }),
        1 => Just(Outcome::NetworkError),
        1 => Just(Outcome::TimedOut),
    ]
}

fn scripted() -> impl Strategy<Value = Scripted> {
    (0u64..8000, outcome()).prop_map(|(latency_ms, outcome)| Scripted {
        latency_ms,
        outcome,
    })
}

fn script() -> impl Strategy<Value = Vec<Scripted>> {
    proptest::collection::vec(scripted(), 0..25)
}

fn backoff_kind() -> impl Strategy<Value = BackoffKind> {
    prop_oneof![
        Just(BackoffKind::Constant),
        Just(BackoffKind::Linear),
        Just(BackoffKind::Exponential),
        Just(BackoffKind::Decorrelated)
    ]
}

fn jitter_kind() -> impl Strategy<Value = JitterKind> {
    prop_oneof![
        Just(JitterKind::None),
        Just(JitterKind::Full),
        Just(JitterKind::Equal),
        Just(JitterKind::Decorrelated),
        Just(JitterKind::Ratio),
        Just(JitterKind::Additive)
    ]
}

prop_compose! {
    fn delays()(
        kind in backoff_kind(), base in 0u64..5000, cap in 0u64..100_000, multiplier in 1.0f64..4.0,
        jitter in jitter_kind(), ratio in 0.0f64..=1.0, additive in 0u64..3000,
    ) -> PolicyConfig {
        let mut c = PolicyConfig::default();
        c.backoff.kind = kind;
        c.backoff.base_ms = base;
        c.backoff.cap_ms = cap;
        c.backoff.multiplier = multiplier;
        c.jitter.kind = jitter;
        c.jitter.ratio = ratio;
        c.jitter.additive_ms = additive;
        c
    }
}

prop_compose! {
    fn policy()(
        mut c in delays(),
        max in 0u32..8, deadline in prop_oneof![Just(0u64), 1u64..60_000], timeout in prop_oneof![Just(0u64), 1u64..10_000],
        flags in proptest::array::uniform7(any::<bool>()),
        honor in any::<bool>(), ra_cap in 0u64..30_000,
        budget in prop_oneof![Just(BudgetKind::None), Just(BudgetKind::TokenBucket), Just(BudgetKind::Ratio)],
        capacity in 0u64..60, retry_cost in 0u64..10, timeout_cost in 0u64..20,
        breaker in prop_oneof![Just(BreakerKind::None), Just(BreakerKind::Consecutive), Just(BreakerKind::RatioCount), Just(BreakerKind::RatioTime)],
        threshold in 0u32..5, open_ms in 0u64..20_000, probes in 1u32..4,
        key in any::<bool>(),
        overrides in proptest::collection::btree_map(400u16..600, any::<bool>(), 0..3),
    ) -> PolicyConfig {
        c.attempts.max = max;
        c.attempts.deadline_ms = deadline;
        c.attempts.timeout_ms = timeout;
        let [a, b, d, e, f, g, h] = flags;
        c.retry.network_error = a;
        c.retry.timeout = b;
        c.retry.status_429 = d;
        c.retry.status_5xx = e;
        c.retry.status_4xx = f;
        c.retry.in_flight_409 = g;
        c.retry.require_key_for_unsafe = h;
        c.retry.status_overrides = overrides;
        c.retry_after.honor = honor;
        c.retry_after.cap_ms = ra_cap;
        c.budget.kind = budget;
        c.budget.capacity = capacity;
        c.budget.retry_cost = retry_cost;
        c.budget.timeout_cost = timeout_cost;
        c.budget.min_retries = u64::from(threshold);
        c.budget.window_ms = open_ms;
        c.breaker.kind = breaker;
        c.breaker.threshold = threshold;
        c.breaker.window_count = threshold + 1;
        c.breaker.min_throughput = threshold.max(1);
        c.breaker.window_ms = open_ms.max(1);
        c.breaker.open_ms = open_ms;
        c.breaker.half_open_probes = probes;
        c.idempotency.key = key;
        c
    }
}

fn request() -> impl Strategy<Value = RequestKind> {
    prop_oneof![
        Just(RequestKind::Idempotent),
        Just(RequestKind::NonIdempotent)
    ]
}

/// Runs `calls` calls one after the other on one client; checks `check` on
/// each call's steps.
fn run_calls(
    config: &PolicyConfig,
    seed: u64,
    request: RequestKind,
    scripts: &[Vec<Scripted>],
    mut check: impl FnMut(&policy::Call, &[(u64, Step)]) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let config = Arc::new(config.clone());
    let mut client = ClientState::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut start = 0;
    for script in scripts {
        let (call, steps) = run(&config, start, request, &mut client, &mut rng, script);
        check(&call, &steps)?;
        start = steps.last().map_or(start, |s| s.0) + 1;
    }
    Ok(())
}

fn sends(steps: &[(u64, Step)]) -> Vec<(u64, u32, Option<u64>, Option<String>)> {
    steps
        .iter()
        .filter_map(|(now, s)| match s {
            Step::Send {
                attempt,
                timeout_ms,
                idempotency_key,
                ..
            } => Some((*now, *attempt, *timeout_ms, idempotency_key.clone())),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(cases(2000))]

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn attempts_never_exceed_the_maximum(config in policy(), seed in any::<u64>(), request in request(), scripts in proptest::collection::vec(script(), 1..4)) {
        run_calls(&config, seed, request, &scripts, |call, steps| {
            let sent = sends(steps);
            let numbers: Vec<u32> = sent.iter().map(|s| s.1).collect();
            let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
            prop_assert_eq!(&numbers, &expected, "attempts are numbered 1, 2, ...");
            prop_assert_eq!(call.attempts_sent() as usize, sent.len());
            if config.attempts.max > 0 {
                prop_assert!(call.attempts_sent() <= config.attempts.max, "{} > {}", call.attempts_sent(), config.attempts.max);
            }
            let done = steps.last().map(|s| &s.1);
            prop_assert!(matches!(done, Some(Step::Done(_))));
            if let Some(Step::Done(Done::GaveUp { reason: GaveUp::AttemptsExhausted, attempts })) = done {
                prop_assert_eq!(*attempts, config.attempts.max);
            }
            Ok(())
        })?;
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn no_attempt_starts_at_or_after_the_deadline(config in policy(), seed in any::<u64>(), request in request(), scripts in proptest::collection::vec(script(), 1..3)) {
        run_calls(&config, seed, request, &scripts, |call, steps| {
            let Some(deadline) = call.deadline_ms() else { return Ok(()) };
            for (now, attempt, timeout, _) in sends(steps) {
                prop_assert!(now < deadline, "attempt {} at {} ≥ deadline {}", attempt, now, deadline);
                prop_assert!(timeout.is_some_and(|t| t >= 1 && now + t <= deadline), "timeout {:?} runs past the deadline", timeout);
            }
            for (now, step) in steps {
                if let Step::Sleep { until_ms, .. } = step {
                    prop_assert!(*until_ms < deadline && *until_ms >= *now);
                }
            }
            Ok(())
        })?;
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_delay_lies_in_its_envelope(config in policy(), seed in any::<u64>(), request in request(), script in script()) {
        run_calls(&config, seed, request, &[script], |_, steps| {
            for (now, step) in steps {
                if let Step::Sleep { until_ms, reason } = step {
                    match reason {
                        SleepReason::Backoff { retry, planned_ms, envelope_ms } => {
                            prop_assert_eq!(*envelope_ms, jitter::envelope_ms(&config, *retry));
                            prop_assert!(envelope_ms.0 <= *planned_ms && *planned_ms <= envelope_ms.1, "{} outside {:?}", planned_ms, envelope_ms);
                            prop_assert!(*planned_ms <= config.backoff.cap_ms);
                            prop_assert_eq!(until_ms - now, *planned_ms);
                        }
                        SleepReason::RetryAfter { server_ms, capped_ms } => {
                            prop_assert!(config.retry_after.honor);
                            prop_assert_eq!(*capped_ms, (*server_ms).min(config.retry_after.cap_ms));
                            prop_assert_eq!(until_ms - now, *capped_ms);
                        }
                        SleepReason::RateLimited { wait_ms } => {
                            prop_assert_eq!(config.rate_limiter, policy::RateLimiterKind::AwsAdaptive);
                            prop_assert!(*wait_ms >= 1);
                            prop_assert_eq!(until_ms - now, *wait_ms);
                        }
                    }
                }
            }
            Ok(())
        })?;
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn drawn_delays_lie_in_envelopes(config in delays(), seed in any::<u64>(), retries in 1u32..40) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut previous = config.backoff.base_ms;
        for n in 1..=retries {
            let (lo, hi) = jitter::envelope_ms(&config, n);
            prop_assert!(lo <= hi && hi <= config.backoff.cap_ms, "bad envelope {:?} for {}", (lo, hi), n);
            let d = jitter::draw_ms(&config, n, previous, &mut rng);
            prop_assert!(lo <= d && d <= hi, "retry {}: {} outside [{}, {}]", n, d, lo, hi);
            previous = d;
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_non_retryable_outcome_is_never_retried(config in policy(), seed in any::<u64>(), request in request(), script in script()) {
        run_calls(&config, seed, request, std::slice::from_ref(&script), |call, steps| {
            // Replay: find each attempt's reported outcome, then what followed.
            let sent = sends(steps);
            for (i, (_, attempt, timeout, _)) in sent.iter().enumerate() {
                let s = script.get(*attempt as usize - 1).copied().unwrap_or(Scripted { latency_ms: 1, outcome: common::OK });
                let outcome = match (s.outcome, timeout) {
                    (Outcome::TimedOut, Some(_)) => Outcome::TimedOut,
                    (_, Some(t)) if s.latency_ms >= *t => Outcome::TimedOut,
                    (o, _) => o,
                };
                let verdict = classify(&config.retry, &outcome, call.idempotency_key().is_some());
                if verdict != Verdict::Retryable {
                    prop_assert_eq!(i + 1, sent.len(), "attempt {} ended {:?} ({:?}) yet was retried", attempt, outcome, verdict);
                }
                if verdict == Verdict::Fatal {
                    let reason = match outcome {
                        Outcome::Response { status, .. } => GaveUp::NonRetryable { status },
                        Outcome::NetworkError => GaveUp::NetworkErrorNotRetried,
                        Outcome::TimedOut => GaveUp::TimeoutNotRetried,
                    };
                    prop_assert_eq!(call.done(), Some(&Done::GaveUp { attempts: *attempt, reason }));
                }
                if verdict == Verdict::Retryable && config.retry.require_key_for_unsafe && request == RequestKind::NonIdempotent && !config.idempotency.key {
                    prop_assert_eq!(call.done(), Some(&Done::GaveUp { attempts: *attempt, reason: GaveUp::UnkeyedNonIdempotent }));
                }
            }
            Ok(())
        })?;
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn all_attempts_of_a_call_carry_one_key(config in policy(), seed in any::<u64>(), request in request(), scripts in proptest::collection::vec(script(), 1..6)) {
        let mut keys = BTreeSet::new();
        let mut calls = 0;
        run_calls(&config, seed, request, &scripts, |call, steps| {
            calls += 1;
            let key = call.idempotency_key().map(str::to_string);
            prop_assert_eq!(key.is_some(), config.idempotency.key);
            if let Some(k) = &key {
                prop_assert!(k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()), "key {}", k);
                keys.insert(k.clone());
            }
            for (_, _, _, sent_key) in sends(steps) {
                prop_assert_eq!(&sent_key, &key);
            }
            Ok(())
        })?;
        if config.idempotency.key {
            prop_assert_eq!(keys.len(), calls, "two calls shared a key");
        }
    }

    /// Random permits and outcomes at random times against the breaker alone.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_open_breaker_permits_nothing_and_half_open_at_most_its_probes(
        config in policy(),
        ops in proptest::collection::vec((0u64..3000, any::<bool>(), any::<bool>()), 1..200),
    ) {
        let mut c = config.breaker.clone();
        if c.kind == BreakerKind::None {
            c.kind = BreakerKind::Consecutive;
        }
        let mut breaker = Breaker::new(&c);
        let mut now = 0u64;
        let mut in_flight = Vec::new();
        let mut open_until = 0u64;
        let mut probes = 0u32;
        for (dt, send, failed) in ops {
            now += dt;
            if send || in_flight.is_empty() {
                let permit = breaker.permit(now);
                for (at, state) in breaker.take_changes() {
                    match state {
                        BreakerState::HalfOpen { .. } => {
                            prop_assert!(at == open_until && at <= now, "half-open at {} but open until {}", at, open_until);
                            probes = 0;
                        }
                        other => prop_assert!(false, "permit changed the state to {:?}", other),
                    }
                }
                if now < open_until {
                    prop_assert!(permit.is_none(), "permitted at {} while open until {}", now, open_until);
                }
                if let Some(p) = permit {
                    if p.probe {
                        probes += 1;
                        prop_assert!(probes <= c.half_open_probes, "{} probes > {}", probes, c.half_open_probes);
                    }
                    in_flight.push(p);
                }
            } else {
                let p = in_flight.remove(0);
                breaker.on_outcome(now, p, failed);
                for (at, state) in breaker.take_changes() {
                    match state {
                        BreakerState::Open { until_ms } => {
                            prop_assert_eq!(until_ms, at + c.open_ms);
                            prop_assert_eq!(at, now);
                            open_until = until_ms;
                        }
                        BreakerState::HalfOpen { .. } => probes = 0,
                        BreakerState::Closed => {
                            prop_assert!(p.probe && !failed, "closed by {:?} failed={}", p, failed);
                            prop_assert_eq!(probes, c.half_open_probes, "closed before every probe succeeded");
                        }
                    }
                }
            }
        }
    }

    /// Whole calls: while the client's breaker is open no call sends.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn calls_fail_fast_while_the_breaker_is_open(config in policy(), seed in any::<u64>(), scripts in proptest::collection::vec(script(), 1..8)) {
        let config = Arc::new(config);
        let mut client = ClientState::new(&config);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut start = 0;
        for script in &scripts {
            let open_at_start = client.breaker_state(start);
            let (_, steps) = run(&config, start, RequestKind::Idempotent, &mut client, &mut rng, script);
            if let BreakerState::Open { until_ms } = open_at_start {
                prop_assert!(start < until_ms);
                prop_assert_eq!(&steps[0].1, &Step::Done(Done::GaveUp { attempts: 0, reason: GaveUp::BreakerOpen }));
            }
            for (_, step) in &steps {
                if let Step::Send { probe, .. } = step {
                    prop_assert!(config.breaker.kind != BreakerKind::None || !probe);
                }
            }
            let events = client.take_events();
            for w in events.windows(2) {
                prop_assert!(w[0].at_ms <= w[1].at_ms, "events out of order: {:?}", events);
            }
            start = steps.last().map_or(start, |s| s.0) + 1;
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_token_bucket_never_goes_negative_and_refuses_when_empty(
        capacity in 0u64..200, retry_cost in 0u64..20, timeout_cost in 0u64..40, refill in 0u64..5,
        ops in proptest::collection::vec(0u8..3, 1..500),
    ) {
        let mut c = PolicyConfig::default().budget;
        c.kind = BudgetKind::TokenBucket;
        c.capacity = capacity;
        c.retry_cost = retry_cost;
        c.timeout_cost = timeout_cost;
        c.success_refill = refill;
        let mut budget = Budget::new(&c);
        let mut model = capacity;
        for (t, op) in ops.into_iter().enumerate() {
            let t = t as u64;
            match op {
                0 => { budget.on_success(t); model = (model + refill).min(capacity); }
                _ => {
                    let after_timeout = op == 2;
                    let cost = if after_timeout { timeout_cost } else { retry_cost };
                    let allowed = budget.try_retry(t, after_timeout);
                    prop_assert_eq!(allowed, model >= cost, "tokens {} cost {}", model, cost);
                    if allowed { model -= cost; }
                }
            }
            prop_assert_eq!(budget.tokens(), Some(model));
            let level = budget.level().unwrap_or(-1.0);
            prop_assert!((0.0..=1.0).contains(&level));
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_ratio_budget_keeps_retries_under_its_ratio(
        ratio in 0.0f64..1.0, min_retries in 0u64..5, window_ms in prop_oneof![Just(0u64), 10u64..10_000],
        ops in proptest::collection::vec((0u64..500, any::<bool>()), 1..400),
    ) {
        let mut c = PolicyConfig::default().budget;
        c.kind = BudgetKind::Ratio;
        c.ratio = ratio;
        c.min_retries = min_retries;
        c.window_ms = window_ms;
        let mut budget = Budget::new(&c);
        let mut now = 0;
        let (mut calls, mut retries) = (0u64, 0u64);
        for (dt, is_call) in ops {
            now += dt;
            if is_call {
                budget.on_call(now);
                calls += 1;
            } else if budget.try_retry(now, false) {
                retries += 1;
            }
            if window_ms == 0 {
                prop_assert!(retries as f64 <= min_retries as f64 + ratio * calls as f64);
            }
            let level = budget.level().unwrap_or(-1.0);
            prop_assert!((0.0..=1.0).contains(&level));
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn calls_are_refused_retries_when_the_bucket_is_empty(config in policy(), seed in any::<u64>(), scripts in proptest::collection::vec(script(), 1..6)) {
        let mut config = config;
        config.budget.kind = BudgetKind::TokenBucket;
        let config = Arc::new(config);
        let mut client = ClientState::new(&config);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut start = 0;
        for script in &scripts {
            let mut call = policy::Call::new(Arc::clone(&config), start, RequestKind::Idempotent, &mut rng);
            let mut now = start;
            let mut last = Outcome::NetworkError;
            loop {
                let before = client.budget_tokens().unwrap_or(0);
                prop_assert!(before <= config.budget.capacity);
                let cost = if last == Outcome::TimedOut { config.budget.timeout_cost } else { config.budget.retry_cost };
                match call.poll(now, &mut client, &mut rng) {
                    Step::Send { attempt, timeout_ms, .. } => {
                        let s = script.get(attempt as usize - 1).copied().unwrap_or(Scripted { latency_ms: 1, outcome: common::OK });
                        last = if timeout_ms.is_some_and(|t| s.latency_ms >= t) { Outcome::TimedOut } else { s.outcome };
                        now += s.latency_ms.min(timeout_ms.unwrap_or(u64::MAX));
                        call.on_outcome(now, attempt, last, &mut client);
                    }
                    Step::Sleep { until_ms, .. } => {
                        if now < until_ms {
                            prop_assert_eq!(client.budget_tokens(), Some(before - cost), "a retry is charged its cost");
                        }
                        now = now.max(until_ms);
                    }
                    Step::Done(Done::GaveUp { reason: GaveUp::BudgetExhausted, .. }) => {
                        prop_assert!(before < cost, "refused with {} tokens, cost {}", before, cost);
                        prop_assert_eq!(client.budget_tokens(), Some(before));
                        break;
                    }
                    Step::Done(_) => break,
                    Step::AwaitOutcome => prop_assert!(false, "awaiting"),
                    Step::Throttled { .. } => prop_assert!(false, "the throttle is off"),
                }
            }
            start = now + 1;
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn knobs_and_headers_never_panic(name in "[a-z_.0-9]{0,30}", value in "\\PC{0,20}", header in "\\PC{0,40}", now in any::<u64>()) {
        let mut config = PolicyConfig::default();
        let knob = PolicyConfig::knobs()[name.len() % PolicyConfig::knobs().len()].name;
        let _ = config.set(knob, &value);
        let _ = config.set(&name, &value);
        let _ = config.set(&format!("retry.status.{}", name.len() * 37), &value);
        let _ = policy::retry_after::parse(&header, now);
        let _ = policy::retry_after::parse(&value, now);
    }
}
