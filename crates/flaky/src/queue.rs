//! A queue of things due at whole milliseconds: earliest first, and in
//! insertion order within one millisecond. A run has many things due at each
//! millisecond (a herd of clients), so a map of per-millisecond FIFOs beats a
//! binary heap of hundreds of thousands of entries (fewer cache misses, no
//! sequence numbers to compare).

use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug)]
pub(crate) struct TimeQueue<T> {
    slots: BTreeMap<u64, VecDeque<T>>,
    /// Emptied slots, kept for reuse: a run opens a slot for most milliseconds.
    spare: Vec<VecDeque<T>>,
    len: usize,
}

/// Emptied slots kept for reuse.
const SPARE_MAX: usize = 64;

impl<T> Default for TimeQueue<T> {
    fn default() -> Self {
        TimeQueue {
            slots: BTreeMap::new(),
            spare: Vec::new(),
            len: 0,
        }
    }
}

impl<T> TimeQueue<T> {
    pub(crate) fn push(&mut self, at_ms: u64, item: T) {
        match self.slots.get_mut(&at_ms) {
            Some(slot) => slot.push_back(item),
            None => {
                let mut slot = self.spare.pop().unwrap_or_default();
                slot.push_back(item);
                self.slots.insert(at_ms, slot);
            }
        }
        self.len += 1;
    }

    /// When the earliest item is due.
    pub(crate) fn next_ms(&self) -> Option<u64> {
        self.slots.first_key_value().map(|(at, _)| *at)
    }

    /// The earliest item, if it is due by `due_ms`.
    pub(crate) fn pop_due(&mut self, due_ms: u64) -> Option<(u64, T)> {
        let mut entry = self.slots.first_entry()?;
        let at_ms = *entry.key();
        if at_ms > due_ms {
            return None;
        }
        let item = entry.get_mut().pop_front();
        if entry.get().is_empty() {
            let slot = entry.remove();
            if self.spare.len() < SPARE_MAX {
                self.spare.push(slot);
            }
        }
        if item.is_some() {
            self.len -= 1;
        }
        item.map(|item| (at_ms, item))
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
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
    fn earliest_first_then_insertion_order() {
        let mut q = TimeQueue::default();
        q.push(5, 'a');
        q.push(3, 'b');
        q.push(5, 'c');
        q.push(3, 'd');
        assert_eq!(q.next_ms(), Some(3));
        assert_eq!(q.pop_due(2), None);
        let order: Vec<_> = std::iter::from_fn(|| q.pop_due(10)).collect();
        assert_eq!(order, vec![(3, 'b'), (3, 'd'), (5, 'a'), (5, 'c')]);
        assert_eq!(q.len(), 0);
    }
}
