//! Time series a run records as it goes, in memory that does not grow with
//! the run: cells of equal width from 0 ms that halve their resolution to stay
//! under `CELLS_MAX` cells. [`LoadSeries`]: requests in flight over time.
//! [`Density`]: attempts over time by outcome, for every call.
//! [`QueueSeries`]: the server's queue length and shed requests over time.

use serde::{Deserialize, Serialize};

use crate::trace::{AttemptOutcome, LoadSample, QueueSample};

/// Most cells a series keeps while it records; it halves its resolution
/// (doubles the cell width) to stay under this, whatever the run's length.
const CELLS_MAX: u64 = 256;
/// Most buckets a series reports.
const BUCKETS_OUT_MAX: u64 = 128;

/// Cells of equal width from 0 ms that coarsen as time grows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Cells<T> {
    width_ms: u64,
    cells: Vec<T>,
}

impl<T: Clone + Default> Cells<T> {
    fn new() -> Self {
        Cells {
            width_ms: 1,
            cells: Vec::new(),
        }
    }

    /// The cell that holds `t_ms`, coarsening first if needed.
    fn at(&mut self, t_ms: u64, merge: fn(&T, &T) -> T) -> &mut T {
        while t_ms / self.width_ms >= CELLS_MAX {
            self.coarsen(merge);
        }
        let i = (t_ms / self.width_ms) as usize;
        if self.cells.len() <= i {
            self.cells.resize(i + 1, T::default());
        }
        &mut self.cells[i]
    }

    fn coarsen(&mut self, merge: fn(&T, &T) -> T) {
        self.width_ms = self.width_ms.saturating_mul(2);
        self.cells = self
            .cells
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => merge(a, b),
                [a] => a.clone(),
                _ => T::default(),
            })
            .collect();
    }

    /// The cells covering `[0, end_ms]`, at most [`BUCKETS_OUT_MAX`] of them.
    fn report(&self, end_ms: u64, merge: fn(&T, &T) -> T) -> (u64, Vec<T>) {
        let mut out = self.clone();
        while end_ms / out.width_ms + 1 > BUCKETS_OUT_MAX {
            out.coarsen(merge);
        }
        let n = (end_ms / out.width_ms + 1) as usize;
        out.cells.resize(n, T::default());
        (out.width_ms, out.cells)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct LoadCell {
    arrivals: u64,
    in_flight_max: u32,
    /// Whether any change happened in the cell (otherwise the level carried over).
    touched: bool,
}

fn merge_load(a: &LoadCell, b: &LoadCell) -> LoadCell {
    LoadCell {
        arrivals: a.arrivals + b.arrivals,
        in_flight_max: a.in_flight_max.max(b.in_flight_max),
        touched: a.touched || b.touched,
    }
}

/// Requests in flight over time, fed in time order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadSeries {
    cells: Cells<LoadCell>,
    level: u32,
    last_ms: u64,
}

impl Default for LoadSeries {
    fn default() -> Self {
        LoadSeries {
            cells: Cells::new(),
            level: 0,
            last_ms: 0,
        }
    }
}

impl LoadSeries {
    /// Cells between the last change and `t_ms` held the level unchanged.
    fn carry_to(&mut self, t_ms: u64) {
        let t_ms = t_ms.max(self.last_ms);
        let level = self.level;
        let mut t = self.last_ms;
        while t / self.cells.width_ms < t_ms / self.cells.width_ms {
            t = (t / self.cells.width_ms + 1) * self.cells.width_ms;
            let cell = self.cells.at(t, merge_load);
            if !cell.touched {
                cell.in_flight_max = cell.in_flight_max.max(level);
                cell.touched = true;
            }
        }
        self.last_ms = t_ms;
    }

    /// A request arrived (was sent) at `t_ms`.
    pub fn up(&mut self, t_ms: u64) {
        self.carry_to(t_ms);
        self.level = self.level.saturating_add(1);
        let level = self.level;
        let cell = self.cells.at(self.last_ms, merge_load);
        cell.arrivals += 1;
        cell.in_flight_max = cell.in_flight_max.max(level);
        cell.touched = true;
    }

    /// A request left (was answered, timed out, aborted) at `t_ms`.
    pub fn down(&mut self, t_ms: u64) {
        self.carry_to(t_ms);
        // carry_to left this cell touched with the level before the change.
        self.level = self.level.saturating_sub(1);
        self.cells.at(self.last_ms, merge_load).touched = true;
    }

    /// The series over `[0, end_ms]`.
    pub fn samples(&self, end_ms: u64) -> Vec<LoadSample> {
        let mut series = self.clone();
        series.carry_to(end_ms);
        let (width, cells) = series.cells.report(end_ms, merge_load);
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| LoadSample {
                from_ms: i as u64 * width,
                until_ms: (i as u64 + 1) * width,
                arrivals: c.arrivals,
                in_flight_max: c.in_flight_max,
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct QueueCell {
    queue_len_max: u32,
    shed: u64,
    touched: bool,
}

fn merge_queue(a: &QueueCell, b: &QueueCell) -> QueueCell {
    QueueCell {
        queue_len_max: a.queue_len_max.max(b.queue_len_max),
        shed: a.shed + b.shed,
        touched: a.touched || b.touched,
    }
}

/// The server's queue length and the requests it shed or rejected over
/// time, fed in time order (only a server with `endpoint.capacity.rps` set
/// has a queue).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueSeries {
    cells: Cells<QueueCell>,
    level: u32,
    last_ms: u64,
}

impl Default for QueueSeries {
    fn default() -> Self {
        QueueSeries {
            cells: Cells::new(),
            level: 0,
            last_ms: 0,
        }
    }
}

impl QueueSeries {
    /// Cells between the last change and `t_ms` held the length unchanged.
    fn carry_to(&mut self, t_ms: u64) {
        let t_ms = t_ms.max(self.last_ms);
        let level = self.level;
        let mut t = self.last_ms;
        while t / self.cells.width_ms < t_ms / self.cells.width_ms {
            t = (t / self.cells.width_ms + 1) * self.cells.width_ms;
            let cell = self.cells.at(t, merge_queue);
            if !cell.touched {
                cell.queue_len_max = cell.queue_len_max.max(level);
                cell.touched = true;
            }
        }
        self.last_ms = t_ms;
    }

    /// The queue holds `len` requests from `t_ms`.
    pub fn length(&mut self, t_ms: u64, len: u32) {
        self.carry_to(t_ms);
        self.level = len;
        let cell = self.cells.at(self.last_ms, merge_queue);
        cell.queue_len_max = cell.queue_len_max.max(len);
        cell.touched = true;
    }

    /// A request was shed or rejected at `t_ms`.
    pub fn shed(&mut self, t_ms: u64) {
        self.carry_to(t_ms);
        let cell = self.cells.at(self.last_ms, merge_queue);
        cell.shed += 1;
        cell.touched = true;
    }

    /// The series over `[0, end_ms]`.
    pub fn samples(&self, end_ms: u64) -> Vec<QueueSample> {
        let mut series = self.clone();
        series.carry_to(end_ms);
        let (width, cells) = series.cells.report(end_ms, merge_queue);
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| QueueSample {
                from_ms: i as u64 * width,
                until_ms: (i as u64 + 1) * width,
                queue_len_max: c.queue_len_max,
                shed: c.shed,
            })
            .collect()
    }
}

/// Outcome classes of the density view, in drawing order.
pub const DENSITY_CLASSES: [&str; 8] = [
    "2xx",
    "409",
    "429",
    "4xx",
    "5xx",
    "network_error",
    "timed_out",
    "unfinished",
];

/// Where an outcome goes in [`DENSITY_CLASSES`].
pub fn density_class(outcome: Option<AttemptOutcome>) -> usize {
    let name = outcome.map_or("unfinished", |o| o.class());
    DENSITY_CLASSES
        .iter()
        .position(|c| *c == name)
        .unwrap_or(DENSITY_CLASSES.len() - 1)
}

fn merge_counts<const N: usize>(a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    std::array::from_fn(|i| a[i] + b[i])
}

/// Attempts over time (by when they started) and by outcome, for every call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Density {
    /// Bucket width, ms.
    pub width_ms: u64,
    /// Per bucket from 0 ms, counts in the order of [`DENSITY_CLASSES`].
    pub buckets: Vec<[u64; 8]>,
}

impl Default for Density {
    fn default() -> Self {
        Density {
            width_ms: 1,
            buckets: Vec::new(),
        }
    }
}

/// Records the density as attempts end (in any order of start times).
#[derive(Clone, Debug, PartialEq)]
pub struct DensityRecorder {
    cells: Cells<[u64; 8]>,
}

impl Default for DensityRecorder {
    fn default() -> Self {
        DensityRecorder {
            cells: Cells::new(),
        }
    }
}

impl DensityRecorder {
    /// An attempt that started at `start_ms` ended with `outcome` (`None`: unfinished).
    pub fn add(&mut self, start_ms: u64, outcome: Option<AttemptOutcome>) {
        self.cells.at(start_ms, merge_counts)[density_class(outcome)] += 1;
    }

    /// The density over `[0, end_ms]`.
    pub fn report(&self, end_ms: u64) -> Density {
        let (width_ms, buckets) = self.cells.report(end_ms, merge_counts);
        Density { width_ms, buckets }
    }
}

/// Calls that ended over time, by how: `[succeeded, gave up]` per bucket, so
/// a replay's counters can follow its cursor for every call of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallEnds {
    /// Bucket width, ms.
    pub width_ms: u64,
    /// Per bucket from 0 ms: calls that succeeded, calls that gave up.
    pub buckets: Vec<[u64; 2]>,
}

impl Default for CallEnds {
    fn default() -> Self {
        CallEnds {
            width_ms: 1,
            buckets: Vec::new(),
        }
    }
}

impl CallEnds {
    /// Calls that ended before `t_ms` (`[succeeded, gave up]`), counting a
    /// bucket when its end is at or before `t_ms`, and in proportion otherwise.
    pub fn until(&self, t_ms: f64) -> [f64; 2] {
        let width = self.width_ms.max(1) as f64;
        let mut out = [0.0; 2];
        for (i, b) in self.buckets.iter().enumerate() {
            let from = i as f64 * width;
            let share = ((t_ms - from) / width).clamp(0.0, 1.0);
            if share <= 0.0 {
                break;
            }
            out[0] += b[0] as f64 * share;
            out[1] += b[1] as f64 * share;
        }
        out
    }
}

/// Records call ends as they happen.
#[derive(Clone, Debug, PartialEq)]
pub struct CallEndsRecorder {
    cells: Cells<[u64; 2]>,
}

impl Default for CallEndsRecorder {
    fn default() -> Self {
        CallEndsRecorder {
            cells: Cells::new(),
        }
    }
}

impl CallEndsRecorder {
    /// A call ended at `t_ms`, successfully or not.
    pub fn add(&mut self, t_ms: u64, succeeded: bool) {
        self.cells.at(t_ms, merge_counts)[usize::from(!succeeded)] += 1;
    }

    /// The ends over `[0, end_ms]`.
    pub fn report(&self, end_ms: u64) -> CallEnds {
        let (width_ms, buckets) = self.cells.report(end_ms, merge_counts);
        CallEnds { width_ms, buckets }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_series_counts_arrivals_and_carries_the_level() {
        let mut s = LoadSeries::default();
        s.up(0);
        s.up(10);
        s.down(500);
        s.down(900);
        let samples = s.samples(1000);
        assert_eq!(samples.iter().map(|x| x.arrivals).sum::<u64>(), 2);
        let at = |t: u64| {
            samples
                .iter()
                .find(|x| x.from_ms <= t && t < x.until_ms)
                .map(|x| x.in_flight_max)
        };
        assert_eq!(at(300), Some(2));
        assert_eq!(at(700), Some(1));
        assert!(samples.len() as u64 <= BUCKETS_OUT_MAX);
    }

    #[test]
    fn queue_series_keeps_the_longest_queue_and_every_shed_request() {
        let mut q = QueueSeries::default();
        q.length(0, 3);
        q.length(100, 7);
        q.shed(150);
        q.length(200, 1);
        for t in 0..1000u64 {
            q.shed(1000 + t * 50);
        }
        let samples = q.samples(60_000);
        assert!(samples.len() as u64 <= BUCKETS_OUT_MAX);
        assert_eq!(samples.iter().map(|x| x.shed).sum::<u64>(), 1001);
        assert_eq!(samples.iter().map(|x| x.queue_len_max).max(), Some(7));
        assert_eq!(samples.last().map(|x| x.queue_len_max), Some(1));
    }

    #[test]
    fn call_ends_count_every_call_and_follow_a_cursor() {
        let mut e = CallEndsRecorder::default();
        for t in 0..10_000u64 {
            e.add(t * 3, t % 4 != 0);
        }
        let r = e.report(30_000);
        let [ok, failed] = r.until(f64::MAX);
        assert_eq!((ok, failed), (7500.0, 2500.0));
        let [half_ok, _] = r.until(15_000.0);
        assert!((half_ok - 3750.0).abs() < 100.0, "{half_ok}");
        assert_eq!(r.until(0.0), [0.0, 0.0]);
    }

    #[test]
    fn density_keeps_every_attempt_while_coarsening() {
        let mut d = DensityRecorder::default();
        for t in 0..100_000u64 {
            d.add(t * 7, Some(AttemptOutcome::Status(200)));
        }
        d.add(3, None);
        let r = d.report(700_000);
        let total: u64 = r.buckets.iter().flat_map(|b| b.iter()).sum();
        assert_eq!(total, 100_001);
        assert!(r.buckets.len() as u64 <= BUCKETS_OUT_MAX);
    }
}
