//! The timing wheel: a FIFO per millisecond of the next [`WHEEL_MS`],
//! found by index rather than by search, and a sorted map only for what is
//! due further ahead (or, for a caller going back in time, behind).

use std::collections::{BTreeMap, VecDeque};

/// Milliseconds the wheel covers: a power of two above the usual sleeps and
/// timeouts (5 s by default), so that they never go through the map.
const WHEEL_MS: u64 = 8192;
const WORD_BITS: u64 = u64::BITS as u64;

#[derive(Clone, Debug)]
pub(crate) struct Wheel<T> {
    /// Slot `ms % WHEEL_MS` holds what is due at `ms`, for `ms` in
    /// `base_ms..base_ms + WHEEL_MS` (allocated at the first push).
    wheel: Vec<VecDeque<T>>,
    /// One bit per slot of `wheel`: set while the slot holds something.
    occupied: Vec<u64>,
    /// Nothing in the wheel is due before it: the latest time popped from it.
    base_ms: u64,
    /// The earliest time in the wheel (kept, not searched for at every look).
    wheel_next_ms: Option<u64>,
    /// What is due outside the wheel's window, by time. A time enters the
    /// wheel with all its items when the window reaches it.
    far: BTreeMap<u64, VecDeque<T>>,
    /// Emptied slots, kept for reuse: a run fills a slot for most milliseconds.
    spare: Vec<VecDeque<T>>,
    len: usize,
}

/// Emptied slots kept for reuse.
const SPARE_MAX: usize = 64;

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Wheel {
            wheel: Vec::new(),
            occupied: Vec::new(),
            base_ms: 0,
            wheel_next_ms: None,
            far: BTreeMap::new(),
            spare: Vec::new(),
            len: 0,
        }
    }
}

fn slot_of(at_ms: u64) -> usize {
    (at_ms % WHEEL_MS) as usize
}

impl<T> Wheel<T> {
    pub(crate) fn push(&mut self, at_ms: u64, item: T) {
        self.len += 1;
        if !self.in_window(at_ms) {
            let spare = &mut self.spare;
            self.far
                .entry(at_ms)
                .or_insert_with(|| spare.pop().unwrap_or_default())
                .push_back(item);
            return;
        }
        self.allocate();
        let slot = slot_of(at_ms);
        if let Some(deque) = self.wheel.get_mut(slot) {
            if deque.is_empty() {
                if deque.capacity() == 0 {
                    *deque = self.spare.pop().unwrap_or_default();
                }
                if let Some(word) = self.occupied.get_mut(slot / WORD_BITS as usize) {
                    *word |= 1 << (slot as u64 % WORD_BITS);
                }
            }
            deque.push_back(item);
        }
        self.note_in_wheel(at_ms);
    }

    fn note_in_wheel(&mut self, at_ms: u64) {
        self.wheel_next_ms = Some(self.wheel_next_ms.map_or(at_ms, |next| next.min(at_ms)));
    }

    fn allocate(&mut self) {
        if self.wheel.is_empty() {
            self.wheel.resize_with(WHEEL_MS as usize, VecDeque::new);
            self.occupied = vec![0; (WHEEL_MS / WORD_BITS) as usize];
        }
    }

    fn in_window(&self, at_ms: u64) -> bool {
        at_ms >= self.base_ms && at_ms - self.base_ms < WHEEL_MS
    }

    /// The earliest time in the wheel, scanning its bits from `base_ms`.
    fn scan_wheel(&self) -> Option<u64> {
        let words = self.occupied.len();
        let start = slot_of(self.base_ms);
        let first = start / WORD_BITS as usize;
        // The first word from `start`'s bit on, the others whole, and the
        // first word's bits before `start` last (they are the window's end).
        for i in 0..=words {
            let index = (first + i) % words.max(1);
            let mut word = self.occupied.get(index).copied().unwrap_or(0);
            if i == 0 {
                word &= u64::MAX << (start as u64 % WORD_BITS);
            } else if i == words {
                word &= !(u64::MAX << (start as u64 % WORD_BITS));
            }
            if word != 0 {
                let slot = index as u64 * WORD_BITS + u64::from(word.trailing_zeros());
                let ahead = (slot + WHEEL_MS - start as u64) % WHEEL_MS;
                return Some(self.base_ms + ahead);
            }
        }
        None
    }

    /// When the earliest item is due.
    pub(crate) fn next_ms(&self) -> Option<u64> {
        let far = self.far.first_key_value().map(|(at, _)| *at);
        match far {
            Some(at) if at < self.base_ms => Some(at),
            _ => self.wheel_next_ms.or(far),
        }
    }

    /// The item `k` places after the earliest, if due at the same time (and
    /// in the wheel): what comes soon, to prefetch for.
    pub(crate) fn peek_next(&self, k: usize) -> Option<&T> {
        let at_ms = self.wheel_next_ms?;
        if self
            .far
            .first_key_value()
            .is_some_and(|(&far, _)| far < at_ms)
        {
            return None;
        }
        self.wheel.get(slot_of(at_ms))?.get(k)
    }

    /// The earliest item, if it is due by `due_ms`.
    pub(crate) fn pop_due(&mut self, due_ms: u64) -> Option<(u64, T)> {
        let at_ms = self.next_ms()?;
        if at_ms > due_ms {
            return None;
        }
        if at_ms < self.base_ms {
            // Pushed behind the window (a caller gone back in time): never in the wheel.
            let mut entry = self.far.first_entry()?;
            let item = entry.get_mut().pop_front();
            if entry.get().is_empty() {
                let deque = entry.remove();
                self.keep(deque);
            }
            self.len -= usize::from(item.is_some());
            return item.map(|item| (at_ms, item));
        }
        self.advance_to(at_ms);
        let slot = slot_of(at_ms);
        let deque = self.wheel.get_mut(slot)?;
        let item = deque.pop_front();
        if deque.is_empty() {
            let deque = std::mem::take(deque);
            if let Some(word) = self.occupied.get_mut(slot / WORD_BITS as usize) {
                *word &= !(1 << (slot as u64 % WORD_BITS));
            }
            self.keep(deque);
            self.wheel_next_ms = self.scan_wheel();
        }
        self.len -= usize::from(item.is_some());
        item.map(|item| (at_ms, item))
    }

    /// Moves the window to start at `at_ms` (nothing in the wheel is due
    /// before it): the far times it now covers enter the wheel.
    fn advance_to(&mut self, at_ms: u64) {
        if at_ms == self.base_ms {
            return;
        }
        self.allocate();
        let old_end = self.base_ms.saturating_add(WHEEL_MS);
        self.base_ms = at_ms;
        let new_end = at_ms.saturating_add(WHEEL_MS);
        while let Some(entry) = self.far.range(old_end..new_end).next() {
            let at = *entry.0;
            let Some(deque) = self.far.remove(&at) else {
                break;
            };
            let slot = slot_of(at);
            // Its slot was last used by `at - WHEEL_MS`, before the window: empty.
            if let Some(old) = self.wheel.get_mut(slot) {
                let old = std::mem::replace(old, deque);
                self.keep(old);
            }
            if let Some(word) = self.occupied.get_mut(slot / WORD_BITS as usize) {
                *word |= 1 << (slot as u64 % WORD_BITS);
            }
            self.note_in_wheel(at);
        }
    }

    fn keep(&mut self, deque: VecDeque<T>) {
        if self.spare.len() < SPARE_MAX && deque.capacity() > 0 {
            self.spare.push(deque);
        }
    }

    pub(crate) fn clear(&mut self) {
        for deque in &mut self.wheel {
            deque.clear();
        }
        self.occupied.fill(0);
        self.wheel_next_ms = None;
        self.far.clear();
        self.len = 0;
    }

    #[allow(dead_code)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_times_enter_the_wheel_behind_what_was_queued_for_them() {
        let mut q = Wheel::default();
        let far = WHEEL_MS * 3 + 7;
        q.push(far, 1);
        q.push(10, 2);
        assert_eq!(q.pop_due(10), Some((10, 2)));
        q.push(far, 3); // still beyond the window: after 1 in the map
        assert_eq!(q.pop_due(far - 1), None);
        q.push(far, 4);
        assert_eq!(q.pop_due(u64::MAX), Some((far, 1)));
        q.push(far, 5); // now in the wheel, after what came from the map
        let rest: Vec<_> = std::iter::from_fn(|| q.pop_due(u64::MAX)).collect();
        assert_eq!(rest, vec![(far, 3), (far, 4), (far, 5)]);
        // Behind the window: still earliest first.
        q.push(far + 2, 6);
        q.push(3, 7);
        assert_eq!(q.next_ms(), Some(3));
        assert_eq!(q.pop_due(u64::MAX), Some((3, 7)));
        assert_eq!(q.pop_due(u64::MAX), Some((far + 2, 6)));
        assert_eq!(q.len(), 0);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::queue::sorted::SortedQueue;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        /// Push at the current time plus this (often within the wheel, sometimes far).
        Push(u64),
        /// Push this far behind the current time.
        PushBehind(u64),
        /// Pop what is due this long after the current time (which moves there).
        Pop(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => prop_oneof![0..50u64, 0..3 * WHEEL_MS].prop_map(Op::Push),
            1 => (0..100u64).prop_map(Op::PushBehind),
            4 => prop_oneof![0..20u64, 0..4 * WHEEL_MS].prop_map(Op::Pop),
        ]
    }

    proptest! {
        #[test]
        fn same_order_as_a_sorted_map(ops in proptest::collection::vec(op(), 1..400)) {
            let (mut q, mut model) = (Wheel::default(), SortedQueue::default());
            let mut now = 0u64;
            for (n, op) in ops.into_iter().enumerate() {
                let n = n as u32;
                match op {
                    Op::Push(ahead) => {
                        q.push(now + ahead, n);
                        model.push(now + ahead, n);
                    }
                    Op::PushBehind(behind) => {
                        q.push(now.saturating_sub(behind), n);
                        model.push(now.saturating_sub(behind), n);
                    }
                    Op::Pop(ahead) => {
                        now += ahead;
                        loop {
                            let got = q.pop_due(now);
                            prop_assert_eq!(got, model.pop_due(now));
                            if got.is_none() {
                                break;
                            }
                        }
                    }
                }
                prop_assert_eq!(q.next_ms(), model.next_ms());
                // What it shows ahead (when it can) is what comes.
                for k in 0..3 {
                    if let Some(&item) = q.peek_next(k) {
                        prop_assert_eq!(Some(&item), model.peek_next(k));
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            let rest: Vec<_> = std::iter::from_fn(|| q.pop_due(u64::MAX)).collect();
            let expected: Vec<_> = std::iter::from_fn(|| model.pop_due(u64::MAX)).collect();
            prop_assert_eq!(rest, expected);
            q.push(now, 0);
            model.push(now, 0);
            q.clear();
            model.clear();
            prop_assert_eq!((q.next_ms(), q.len()), (model.next_ms(), model.len()));
        }
    }
}
