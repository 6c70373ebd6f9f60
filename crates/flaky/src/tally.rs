//! The summary's running totals ([`Tally`]), fed by the run engine as calls
//! start and end, and the exact percentiles they need ([`Histogram`]): a run
//! of a million calls keeps counts, not samples.

use std::collections::BTreeMap;

use policy::{ClientEventKind, Done};

use crate::recovery::Recovery;
use crate::trace::{gave_up_name, Summary};
use crate::Counters;

/// Counts of integer values, for exact nearest-rank percentiles in memory
/// that grows with the distinct values, not the samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    counts: BTreeMap<u64, u64>,
    total: u64,
}

impl Histogram {
    pub fn add(&mut self, value: u64) {
        *self.counts.entry(value).or_insert(0) += 1;
        self.total += 1;
    }

    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Nearest-rank percentile; 0 when empty.
    pub fn percentile(&self, p: u64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = (p.saturating_mul(self.total)).div_ceil(100).max(1);
        let mut seen = 0;
        for (&value, &count) in &self.counts {
            seen += count;
            if seen >= rank {
                return value;
            }
        }
        self.counts.keys().next_back().copied().unwrap_or(0)
    }

    pub fn max(&self) -> u64 {
        self.counts.keys().next_back().copied().unwrap_or(0)
    }
}

/// The summary's running totals, fed as calls end.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// `sim.clients × sim.calls`.
    calls_total: u64,
    calls: u64,
    succeeded: u64,
    gave_up: BTreeMap<String, u64>,
    attempts: u64,
    latencies: Histogram,
    lateness: Histogram,
    drain_ms: u64,
    /// client → (opened at, open until) for breakers open now.
    open: BTreeMap<u32, (u64, u64)>,
    breaker_open_ms: u64,
    recovery: Recovery,
    hedged_attempts: u64,
    throttled_locally: u64,
    /// Calls into layers 2.. (attempts sent by the layer above), when `sim.layers > 1`.
    layer_calls: Vec<u64>,
}

impl Tally {
    /// A tally of a run of `calls_total` logical calls.
    pub fn new(calls_total: u64) -> Tally {
        Tally {
            calls_total,
            ..Tally::default()
        }
    }

    /// Measures `recovered_ms` from `from_ms` (the last trigger's end).
    pub fn recovering_from(mut self, from_ms: u64) -> Tally {
        self.recovery = Recovery::from(from_ms);
        self
    }

    /// A call started at `at_ms`.
    pub fn call_started(&mut self, at_ms: u64) {
        self.calls += 1;
        self.recovery.call_started(at_ms);
    }

    /// An attempt was sent `lateness_ms` after it was planned.
    pub fn attempt_sent(&mut self, lateness_ms: u64) {
        self.attempts += 1;
        self.lateness.add(lateness_ms);
    }

    /// The run has `layers` layers (1 to 4): count the calls into each.
    pub fn with_layers(mut self, layers: u32) -> Tally {
        self.layer_calls = vec![0; layers.saturating_sub(1) as usize];
        self
    }

    /// An attempt was sent while another of its call was in flight.
    pub fn hedged(&mut self) {
        self.hedged_attempts += 1;
    }

    /// The throttle rejected an attempt locally.
    pub fn throttled(&mut self) {
        self.throttled_locally += 1;
    }

    /// Layer `layer` (0 = the top) sent an attempt: a call into the layer below.
    pub fn layer_call(&mut self, layer: usize) {
        if let Some(n) = self.layer_calls.get_mut(layer) {
            *n += 1;
        }
    }

    /// A call ended at `end_ms`.
    pub fn call_done(&mut self, start_ms: u64, end_ms: u64, done: &Done) {
        self.latencies.add(end_ms.saturating_sub(start_ms));
        self.drain_ms = self.drain_ms.max(end_ms);
        match done {
            Done::Succeeded { .. } => {
                self.succeeded += 1;
                self.recovery.call_succeeded(end_ms);
            }
            Done::GaveUp { reason, .. } => {
                *self
                    .gave_up
                    .entry(gave_up_name(reason).to_string())
                    .or_insert(0) += 1
            }
        }
    }

    /// A client's breaker or budget changed. An open breaker becomes
    /// half-open when its open duration ends even if no call asks it (it
    /// changes lazily), so an open spell ends at the first of: the next
    /// transition, its `until_ms`, the end of the run.
    pub fn client_event(&mut self, client: u32, at_ms: u64, kind: &ClientEventKind) {
        if let ClientEventKind::Breaker(state) = kind {
            if let Some(spell) = self.open.remove(&client) {
                self.breaker_open_ms = self.breaker_open_ms.saturating_add(open_for(spell, at_ms));
            }
            if let policy::BreakerState::Open { until_ms } = state {
                self.open.insert(client, (at_ms, *until_ms));
            }
        }
    }

    /// The figures, with the server's counters, for a run that ended at `end_ms`.
    pub fn summary(&self, counters: &Counters, end_ms: u64, horizon_ms: u64) -> Summary {
        let finished = self.latencies.len();
        let calls = self.calls_total.max(self.calls);
        let not_started = calls - self.calls;
        let unfinished = calls.saturating_sub(finished);
        let breaker_open_ms = self
            .open
            .values()
            .fold(self.breaker_open_ms, |total, spell| {
                total.saturating_add(open_for(*spell, end_ms))
            });
        let server_requests = counters.requests_received;
        Summary {
            calls,
            succeeded: self.succeeded,
            gave_up: self.gave_up.clone(),
            unfinished,
            not_started,
            attempts: self.attempts,
            server_requests,
            amplification: if self.calls == 0 {
                0.0
            } else {
                server_requests as f64 / self.calls as f64
            },
            latency_ms_p50: self.latencies.percentile(50),
            latency_ms_p95: self.latencies.percentile(95),
            latency_ms_p99: self.latencies.percentile(99),
            creates_applied: counters.creates_applied,
            duplicates: counters.duplicates,
            // Unfinished calls: the run ended at the horizon, or was stopped (a cancel).
            time_to_drain_ms: if unfinished > 0 {
                end_ms.min(horizon_ms)
            } else {
                self.drain_ms
            },
            breaker_open_ms,
            server_in_flight_max: counters.in_flight_max,
            lateness_ms_p50: self.lateness.percentile(50),
            lateness_ms_p99: self.lateness.percentile(99),
            lateness_ms_max: self.lateness.max(),
            goodput: if end_ms == 0 {
                0.0
            } else {
                self.succeeded as f64 * 1000.0 / end_ms as f64
            },
            recovered_ms: self
                .recovery
                .recovered_ms(end_ms.min(horizon_ms), unfinished == 0),
            shed: counters.shed.saturating_add(counters.rejected),
            hedged_attempts: self.hedged_attempts,
            throttled_locally: self.throttled_locally,
            requests_per_layer: if self.layer_calls.is_empty() {
                Vec::new()
            } else {
                std::iter::once(self.calls)
                    .chain(self.layer_calls.iter().copied())
                    .chain(std::iter::once(server_requests))
                    .collect()
            },
        }
    }

    /// When the last finished call ended.
    pub fn drain_ms(&self) -> u64 {
        self.drain_ms
    }
}

fn open_for((since, until): (u64, u64), end: u64) -> u64 {
    end.min(until).saturating_sub(since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_percentiles_are_nearest_rank() {
        let mut h = Histogram::default();
        for v in [5, 1, 3, 2, 4] {
            h.add(v);
        }
        assert_eq!((h.percentile(50), h.percentile(99), h.max()), (3, 5, 5));
        assert_eq!(Histogram::default().percentile(50), 0);
    }
}
