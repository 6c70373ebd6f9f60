//! Where the timeline marks a mechanism, read from the engine's trace (never
//! guessed here): the attempt that created a duplicate item, the calls that
//! failed fast and why, the intervals a client's breaker was open or
//! half-open, and an upper layer's attempts as brackets over the requests
//! they caused.

use flaky::sim::{AttemptOutcome, CallTrace, ClientEventTrace};
use policy::{BreakerState, ClientEventKind, Done, GaveUp};

/// An attempt whose create made another copy of the call's item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DupMark {
    /// Index of the attempt in `CallTrace::attempts`.
    pub bar: usize,
    /// The attempt's number in the call.
    pub attempt: u32,
    /// Where the mark sits: the middle of the attempt's bar, ms.
    pub at_ms: u64,
    /// The item created twice (the call's target).
    pub item: String,
}

/// The call's duplicate creates, one per attempt that made one.
pub fn duplicate_marks(call: &CallTrace) -> Vec<DupMark> {
    call.attempts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.duplicate)
        .map(|(bar, a)| DupMark {
            bar,
            attempt: a.attempt,
            at_ms: (a.start_ms + a.end_ms.unwrap_or(a.start_ms)) / 2,
            item: call.target.clone(),
        })
        .collect()
}

/// Why a call (or one of its attempts) failed at the client, without
/// waiting on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailFast {
    /// The circuit breaker was open: the call gave up without sending.
    BreakerOpen,
    /// The retry budget refused the next retry.
    BudgetExhausted,
    /// The adaptive throttle rejected an attempt at the client.
    Throttled,
    /// The bulkhead was full: the call was refused at once.
    BulkheadFull,
    /// Another attempt (a hedge) won; this one was cancelled.
    HedgeCancelled,
}

impl FailFast {
    /// Words for a tooltip and an aria-label.
    pub fn words(self) -> &'static str {
        match self {
            FailFast::BreakerOpen => "failed fast: circuit breaker open",
            FailFast::BudgetExhausted => "failed fast: retry budget exhausted",
            FailFast::Throttled => "rejected at the client by the adaptive throttle",
            FailFast::BulkheadFull => "failed fast: bulkhead full",
            FailFast::HedgeCancelled => "cancelled: a hedge won",
        }
    }

    /// A stable name for a `data-` attribute.
    pub fn name(self) -> &'static str {
        match self {
            FailFast::BreakerOpen => "breaker_open",
            FailFast::BudgetExhausted => "budget_exhausted",
            FailFast::Throttled => "throttled",
            FailFast::BulkheadFull => "bulkhead_full",
            FailFast::HedgeCancelled => "hedge_cancelled",
        }
    }
}

/// A fail-fast on a call's lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailFastMark {
    pub at_ms: u64,
    pub why: FailFast,
}

/// The call's fail-fasts in time order: each attempt the throttle rejected
/// or a hedge cancelled, and a give-up by the breaker, the budget, the
/// bulkhead (at the call's end; a throttled give-up is already marked at
/// its attempt).
pub fn fail_fast_marks(call: &CallTrace) -> Vec<FailFastMark> {
    let mut marks: Vec<FailFastMark> = call
        .attempts
        .iter()
        .filter_map(|a| {
            let why = match a.outcome? {
                AttemptOutcome::ThrottledLocally => FailFast::Throttled,
                AttemptOutcome::Cancelled => FailFast::HedgeCancelled,
                _ => return None,
            };
            Some(FailFastMark {
                at_ms: a.end_ms.unwrap_or(a.start_ms),
                why,
            })
        })
        .collect();
    let given_up = match &call.result {
        Some(Done::GaveUp { reason, .. }) => match reason {
            GaveUp::BreakerOpen => Some(FailFast::BreakerOpen),
            GaveUp::BudgetExhausted => Some(FailFast::BudgetExhausted),
            GaveUp::BulkheadFull => Some(FailFast::BulkheadFull),
            GaveUp::ThrottledLocally if marks.is_empty() => Some(FailFast::Throttled),
            _ => None,
        },
        _ => None,
    };
    if let (Some(why), Some(at_ms)) = (given_up, call.end_ms) {
        marks.push(FailFastMark { at_ms, why });
    }
    marks.sort_by_key(|m| m.at_ms);
    marks
}

/// A breaker state other than closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerPhase {
    Open,
    HalfOpen,
}

impl BreakerPhase {
    pub fn name(self) -> &'static str {
        match self {
            BreakerPhase::Open => "open",
            BreakerPhase::HalfOpen => "half-open",
        }
    }
}

/// An interval a client's breaker spent open or half-open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerInterval {
    pub client: u32,
    pub from_ms: u64,
    pub until_ms: u64,
    pub phase: BreakerPhase,
}

/// The intervals each client's breaker was open or half-open, from its
/// breaker events, by client then time; one still open at the end lasts
/// until `end_ms`. Consecutive events of one phase (a half-open breaker
/// counting its probes down) make one interval.
pub fn breaker_intervals(events: &[ClientEventTrace], end_ms: u64) -> Vec<BreakerInterval> {
    let mut by_client: Vec<&ClientEventTrace> = events
        .iter()
        .filter(|e| matches!(e.kind, ClientEventKind::Breaker(_)))
        .collect();
    by_client.sort_by_key(|e| (e.client, e.at_ms));
    let mut out = Vec::new();
    let mut open: Option<BreakerInterval> = None;
    let close = |open: &mut Option<BreakerInterval>, out: &mut Vec<BreakerInterval>, at: u64| {
        if let Some(mut i) = open.take() {
            i.until_ms = at.max(i.from_ms);
            out.push(i);
        }
    };
    for e in by_client {
        if open.is_some_and(|i| i.client != e.client) {
            close(&mut open, &mut out, end_ms);
        }
        let phase = match e.kind {
            ClientEventKind::Breaker(BreakerState::Open { .. }) => Some(BreakerPhase::Open),
            ClientEventKind::Breaker(BreakerState::HalfOpen { .. }) => Some(BreakerPhase::HalfOpen),
            _ => None,
        };
        if open.map(|i| i.phase) == phase {
            continue;
        }
        close(&mut open, &mut out, e.at_ms);
        open = phase.map(|phase| BreakerInterval {
            client: e.client,
            from_ms: e.at_ms,
            until_ms: e.at_ms,
            phase,
        });
    }
    close(&mut open, &mut out, end_ms);
    out
}

/// When any drawn client's breaker opened, for the load chart's labels:
/// the start of each open interval, in time order, without repeats.
pub fn breaker_opened_ms(intervals: &[BreakerInterval]) -> Vec<u64> {
    let mut at: Vec<u64> = intervals
        .iter()
        .filter(|i| i.phase == BreakerPhase::Open)
        .map(|i| i.from_ms)
        .collect();
    at.sort_unstable();
    at.dedup();
    at
}

/// An upper layer's attempt over the requests it caused below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bracket {
    /// 0 = the top layer.
    pub depth: u32,
    /// The attempt's number in its layer's call.
    pub attempt: u32,
    pub from_ms: u64,
    pub until_ms: u64,
    /// Requests (bottom attempts) under it.
    pub requests: u32,
}

/// The number of layers a call's requests went through (1 without layers).
pub fn layer_count(call: &CallTrace) -> u32 {
    call.attempts
        .iter()
        .map(|a| a.layers.len() as u32 + 1)
        .max()
        .unwrap_or(1)
}

/// The call's brackets, layer by layer from the top: consecutive requests
/// that served the same attempt of a layer (and of every layer above it)
/// make one bracket, from the first one's start to the last one's end.
pub fn layer_brackets(call: &CallTrace) -> Vec<Bracket> {
    let mut out: Vec<Bracket> = Vec::new();
    for depth in 0..layer_count(call).saturating_sub(1) as usize {
        let mut current: Option<(&[u32], Bracket)> = None;
        for a in &call.attempts {
            let Some(path) = a.layers.get(..=depth) else {
                continue;
            };
            let end = a.end_ms.unwrap_or(a.start_ms);
            match &mut current {
                Some((p, b)) if *p == path => {
                    b.until_ms = b.until_ms.max(end);
                    b.requests += 1;
                }
                _ => {
                    out.extend(current.take().map(|(_, b)| b));
                    current = Some((
                        path,
                        Bracket {
                            depth: depth as u32,
                            attempt: path[depth],
                            from_ms: a.start_ms,
                            until_ms: end,
                            requests: 1,
                        },
                    ));
                }
            }
        }
        out.extend(current.map(|(_, b)| b));
    }
    out
}
