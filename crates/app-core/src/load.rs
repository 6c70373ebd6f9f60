//! The load chart's arithmetic: comparing, both sides' load series on the
//! same bins, so their rates compare whatever each run's own bucket width.

use flaky::sim::LoadSample;

/// Bins of the comparison curves.
pub const COMPARE_BINS: usize = 60;

/// A load series on [`COMPARE_BINS`] equal bins over `[0, end_ms]`: arrivals
/// spread over each sample's time in proportion (rounded per bin). The bins'
/// `in_flight_max` is 0: only arrivals are compared.
pub fn rebin(load: &[LoadSample], end_ms: f64) -> Vec<LoadSample> {
    let width = (end_ms / COMPARE_BINS as f64).max(1.0);
    let mut arrivals = vec![0.0f64; COMPARE_BINS];
    for l in load {
        let (from, until) = (l.from_ms as f64, (l.until_ms.max(l.from_ms + 1)) as f64);
        let first = ((from / width) as usize).min(COMPARE_BINS - 1);
        let last = (((until - 1e-9) / width) as usize).min(COMPARE_BINS - 1);
        for (bin, slot) in arrivals.iter_mut().enumerate().take(last + 1).skip(first) {
            let (b0, b1) = (bin as f64 * width, (bin + 1) as f64 * width);
            let overlap = (until.min(b1) - from.max(b0)).max(0.0);
            *slot += l.arrivals as f64 * overlap / (until - from);
        }
    }
    arrivals
        .iter()
        .enumerate()
        .map(|(i, a)| LoadSample {
            from_ms: (i as f64 * width) as u64,
            until_ms: ((i + 1) as f64 * width) as u64,
            arrivals: a.round() as u64,
            in_flight_max: 0,
        })
        .collect()
}
