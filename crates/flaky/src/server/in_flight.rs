//! The server's requests in flight: when each one's reply leaves, by id,
//! and the same ends by time, so that the ended ones are forgotten in order.
//! A storm has about a hundred thousand in flight and sends millions: the
//! ends are a timing wheel ([`TimeQueue`]), and a cancelled request's end is
//! left in it and skipped when it comes up, rather than searched for.

use std::collections::BTreeMap;

use crate::queue::TimeQueue;

#[derive(Clone, Debug, Default)]
pub(super) struct InFlight {
    /// When each request's reply leaves, by id (`u64::MAX`: a hang).
    until: BTreeMap<u64, u64>,
    /// `(until, id)` by time, hangs left out; an entry whose id no longer
    /// ends then (cancelled) is skipped.
    ends: TimeQueue<u64>,
}

impl InFlight {
    /// Requests in flight (ended ones included until [`InFlight::forget_ended`]).
    pub(super) fn len(&self) -> usize {
        self.until.len()
    }

    /// Of those, the ones whose reply has not left by `now_ms`.
    pub(super) fn after(&self, now_ms: u64) -> usize {
        self.until.values().filter(|&&until| until > now_ms).count()
    }

    /// Request `id` is in flight until `until_ms`.
    pub(super) fn insert(&mut self, id: u64, until_ms: u64) {
        self.until.insert(id, until_ms);
        if until_ms != u64::MAX {
            self.ends.push(until_ms, id);
        }
    }

    /// Request `id` is no longer in flight (if it was).
    pub(super) fn remove(&mut self, id: u64) {
        // Ids mostly grow: a new one is past every id in flight, no search needed.
        if self
            .until
            .last_key_value()
            .is_some_and(|(&last, _)| id <= last)
        {
            self.until.remove(&id);
        }
    }

    /// Forgets the requests whose reply left by `now_ms`.
    pub(super) fn forget_ended(&mut self, now_ms: u64) {
        while let Some((until_ms, id)) = self.ends.pop_due(now_ms) {
            if self.until.get(&id) == Some(&until_ms) {
                self.until.remove(&id);
            }
        }
    }
}
