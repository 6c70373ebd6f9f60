//! A hint to the CPU to bring a value's memory into cache before it is
//! read. A million-call run reads a client's record at every event, from
//! 100,000 records that no cache holds: the next events are known (the
//! time queues hold them in order), so their records are asked for a few
//! events ahead and no longer waited for. It changes no result: off
//! x86-64 (wasm) it does nothing.

/// Asks for every cache line of `value` (its last byte's too: a value
/// need not start a line).
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let start = (value as *const T).cast::<i8>();
        let size = size_of::<T>();
        let last = std::iter::once(size.saturating_sub(1));
        for offset in (0..size).step_by(64).chain(last) {
            // SAFETY: a prefetch reads nothing architecturally and never
            // faults; the address is inside `value` anyway.
            #[allow(unsafe_code)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
