//! The sorted map of FIFOs: little code, for the wasm builds (sized for a
//! page, not for a million-call storm), and the model the wheel is tested
//! against.

use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug)]
pub(crate) struct SortedQueue<T> {
    slots: BTreeMap<u64, VecDeque<T>>,
    /// Emptied slots, kept for reuse: a run opens a slot for most milliseconds.
    spare: Vec<VecDeque<T>>,
    len: usize,
}

/// Emptied slots kept for reuse.
const SPARE_MAX: usize = 64;

impl<T> Default for SortedQueue<T> {
    fn default() -> Self {
        SortedQueue {
            slots: BTreeMap::new(),
            spare: Vec::new(),
            len: 0,
        }
    }
}

impl<T> SortedQueue<T> {
    pub(crate) fn push(&mut self, at_ms: u64, item: T) {
        let spare = &mut self.spare;
        self.slots
            .entry(at_ms)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back(item);
        self.len += 1;
    }

    /// When the earliest item is due.
    pub(crate) fn next_ms(&self) -> Option<u64> {
        self.slots.first_key_value().map(|(at, _)| *at)
    }

    /// The item `k` places after the earliest, due at the same time.
    pub(crate) fn peek_next(&self, k: usize) -> Option<&T> {
        self.slots.first_key_value()?.1.get(k)
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
        self.len -= usize::from(item.is_some());
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
