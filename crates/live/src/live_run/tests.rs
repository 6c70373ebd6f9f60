//! A live run's state driven natively, with the time as an argument and a
//! fake server: what the browser tests (`tests/live.rs`) check with real
//! timers, here step by step.

use std::collections::BTreeMap;

use super::*;
use crate::cadence::UPDATE_EVERY_MS;

fn config(sets: &[(&str, &str)]) -> RunConfig {
    let mut config = RunConfig::default();
    for (name, value) in sets {
        if let Err(e) = config.set(name, value) {
            panic!("{name}={value}: {e}");
        }
    }
    config
}

/// One client, one call.
fn one_call() -> RunConfig {
    config(&[("sim.clients", "1"), ("sim.calls", "1")])
}

fn drain(run: &mut LiveRun) -> Vec<Effect> {
    std::iter::from_fn(|| run.poll_effect()).collect()
}

fn updates(effects: &[Effect]) -> Vec<&LiveUpdate> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Update(u) => Some(&**u),
            _ => None,
        })
        .collect()
}

fn sent(effects: &[Effect]) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(t) => Some(t.request_id),
            _ => None,
        })
        .collect()
}

/// A run the server has started, and its first effects after that.
fn started(config: RunConfig) -> (LiveRun, Vec<Effect>) {
    let mut run = LiveRun::new(config, 1);
    let first = drain(&mut run);
    assert!(
        matches!(
            first.as_slice(),
            [Effect::Update(u), Effect::StartServer] if u.running
        ),
        "{first:?}"
    );
    run.handle(0, Input::Started(Ok(())));
    let effects = drain(&mut run);
    assert!(matches!(effects.first(), Some(Effect::WatchCounters)));
    (run, effects)
}

fn ok_reply(request_id: u64) -> Input {
    Input::Reply {
        request_id,
        outcome: AttemptOutcome::Status(200),
        retry_after_ms: None,
        hints: policy::hints::ReplyHints::default(),
    }
}

#[test]
fn a_run_cancelled_while_a_reply_is_pending_ends() {
    let (mut run, effects) = started(one_call());
    let pending = sent(&effects);
    assert_eq!(pending.len(), 1, "{effects:?}");
    run.handle(30, Input::Stop(Stop::Cancelled));
    assert!(!run.is_running());
    let effects = drain(&mut run);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::AbortAll, Effect::ReadFinalCounters]
        ),
        "{effects:?}"
    );
    // The reply was on its way, the counters come in late: nothing changes.
    run.handle(40, ok_reply(pending[0]));
    run.handle(41, Input::Counters(Counters::default()));
    run.handle(42, Input::Stop(Stop::Cancelled));
    assert!(drain(&mut run).is_empty());
    let counters = Counters {
        requests_received: 1,
        ..Counters::default()
    };
    run.handle(45, Input::FinalCounters(Ok(counters.clone())));
    assert!(run.is_finished());
    let effects = drain(&mut run);
    let last = updates(&effects);
    assert_eq!(last.len(), 1, "{effects:?}");
    assert!(!last[0].running && last[0].problem.is_none());
    assert_eq!(last[0].trace.counters, counters);
    let call = &last[0].trace.calls[0];
    assert_eq!((call.end_ms, call.attempts[0].end_ms), (None, None));
    assert_eq!(last[0].trace.end_ms, 30, "the trace ends at the cancel");
    run.handle(50, Input::Stop(Stop::Done));
    run.handle(51, Input::FinalCounters(Err("late".into())));
    assert!(drain(&mut run).is_empty(), "nothing after the final update");
}

#[test]
fn a_finished_run_reads_the_counters_then_says_so_once() {
    let (mut run, effects) = started(one_call());
    let request = sent(&effects)[0];
    run.handle(10, ok_reply(request));
    let effects = drain(&mut run);
    assert!(!run.is_running());
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::AbortAll, Effect::ReadFinalCounters]
        ),
        "{effects:?}"
    );
    run.handle(
        12,
        Input::FinalCounters(Err("the service worker lost this run".into())),
    );
    let effects = drain(&mut run);
    let last = updates(&effects);
    assert_eq!(last.len(), 1);
    assert!(!last[0].running);
    assert_eq!(
        last[0].problem.as_deref(),
        Some("the service worker lost this run")
    );
    assert!(last[0].trace.calls[0].end_ms.is_some());
}

#[test]
fn a_superseded_run_says_nothing_more() {
    let (mut run, _) = started(one_call());
    run.handle(5, Input::Stop(Stop::Superseded));
    assert!(run.is_finished() && !run.is_running());
    let effects = drain(&mut run);
    assert!(
        matches!(effects.as_slice(), [Effect::AbortAll]),
        "{effects:?}"
    );
}

#[test]
fn a_run_that_cannot_start_ends_with_its_problem() {
    let huge = config(&[("sim.clients", "100"), ("sim.calls", "100")]);
    let mut run = LiveRun::new(huge, 1);
    assert!(run.is_finished());
    let effects = drain(&mut run);
    let last = updates(&effects);
    assert_eq!(last.len(), 1, "{effects:?}");
    assert!(!last[0].running);
    assert!(last[0]
        .problem
        .as_deref()
        .is_some_and(|p| p.contains("simulator")));

    let mut refused = LiveRun::new(one_call(), 1);
    drain(&mut refused);
    refused.handle(0, Input::Started(Err("no worker".into())));
    let effects = drain(&mut refused);
    let last = updates(&effects);
    assert!(
        refused.is_finished(),
        "no counters to read: it never started"
    );
    assert!(last[0]
        .problem
        .as_deref()
        .is_some_and(|p| p.contains("could not start the run: no worker")));
}

#[test]
fn a_cancel_before_the_server_started_ends_at_once() {
    let mut run = LiveRun::new(one_call(), 1);
    drain(&mut run);
    run.handle(3, Input::Stop(Stop::Cancelled));
    assert!(run.is_finished());
    let effects = drain(&mut run);
    assert_eq!(updates(&effects).len(), 1, "{effects:?}");
    // The start lost its race with the cancel.
    run.handle(4, Input::Started(Ok(())));
    assert!(drain(&mut run).is_empty());
}

#[test]
#[should_panic(expected = "a driver bug")]
fn a_reply_before_the_start_is_a_driver_bug() {
    let mut run = LiveRun::new(one_call(), 1);
    run.handle(1, ok_reply(1));
}

/// 50 clients × 40 calls, every reply 25 ms after its request: about 2,000
/// replies a second, 1 s long.
#[test]
fn updates_come_every_80_ms_with_the_new_attempts_and_once_at_the_end() {
    let (mut run, first) = started(config(&[
        ("jitter.kind", "none"),
        ("sim.clients", "50"),
        ("sim.calls", "40"),
    ]));
    let mut pending: BTreeMap<(u64, u64), u64> = BTreeMap::new(); // (due, id) → id
    let mut seen: Vec<(u64, LiveUpdate)> = Vec::new();
    let mut now = 0;
    let mut effects = first;
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Send(t) => {
                    pending.insert((now + 25, t.request_id), t.request_id);
                }
                Effect::Update(u) => seen.push((now, *u)),
                Effect::ReadFinalCounters => {
                    run.handle(now, Input::FinalCounters(Ok(Counters::default())))
                }
                _ => {}
            }
        }
        effects = drain(&mut run);
        if !effects.is_empty() {
            continue;
        }
        if run.is_finished() {
            break;
        }
        let reply = pending.keys().next().copied();
        let timeout = run.poll_timeout();
        match (reply, timeout) {
            (Some((due, id)), t) if t.is_none_or(|t| due <= t) => {
                pending.remove(&(due, id));
                now = due;
                run.handle(now, ok_reply(id));
            }
            (_, Some(t)) => {
                now = t.max(now);
                run.handle(now, Input::Timeout);
            }
            _ => panic!("the run waits for nothing at {now} ms"),
        }
        effects = drain(&mut run);
    }
    let (finals, running): (Vec<_>, Vec<_>) = seen.iter().partition(|(_, u)| !u.running);
    assert_eq!(finals.len(), 1, "one final update");
    assert!(
        !seen.last().is_some_and(|(_, u)| u.running),
        "the final one is last"
    );
    let end_ms = finals[0].1.trace.end_ms;
    assert!((1000..1200).contains(&end_ms), "{end_ms} ms");
    let per_second = running.len() as f64 * 1000.0 / end_ms as f64;
    assert!(
        (10.0..=1000.0 / UPDATE_EVERY_MS as f64 + 1.0).contains(&per_second),
        "{} updates in {end_ms} ms",
        running.len()
    );
    for pair in running.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= UPDATE_EVERY_MS,
            "updates at {pair:?}"
        );
    }
    // The attempts appear as they happen: each update has more ended ones.
    let ended = |u: &LiveUpdate| {
        u.trace
            .calls
            .iter()
            .flat_map(|c| &c.attempts)
            .filter(|a| a.end_ms.is_some())
            .count()
    };
    let counts: Vec<usize> = running.iter().map(|(_, u)| ended(u)).collect();
    assert!(
        counts.windows(2).all(|w| w[0] < w[1]) || counts.len() < 3,
        "{counts:?}"
    );
    assert!(counts.iter().any(|&n| n > 0 && n < 2000), "{counts:?}");
    assert_eq!(ended(&finals[0].1), 2000);
}
