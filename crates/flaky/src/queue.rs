//! A queue of things due at whole milliseconds: earliest first, and in
//! insertion order within one millisecond. A run has many things due at each
//! millisecond (a herd of clients), and nearly all of them within a few
//! seconds of now (a sleep, a timeout, a network delay): natively the queue
//! is a timing wheel ([`wheel`]), which a million-call storm needs; the wasm
//! builds, sized for a page, keep the smaller sorted map ([`sorted`]), which
//! orders the same (a proptest holds the wheel to it).

#[cfg(any(test, target_arch = "wasm32"))]
mod sorted;
#[cfg(not(target_arch = "wasm32"))]
mod wheel;

#[cfg(target_arch = "wasm32")]
pub(crate) use sorted::SortedQueue as TimeQueue;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use wheel::Wheel as TimeQueue;

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
