//! The view model of an overloaded server: whether a run's recovery figures
//! (goodput, recovered_ms, shed) matter, how they read, and the queue on the
//! load chart.

use flaky::sim::{RunConfig, Summary};
use flaky::trace::QueueSample;

use super::{change, figure_text, group_thousands, Change};

/// Whether the recovery figures say something about this config: its server
/// has a capacity limit, or the run has a trigger (an outage window or an
/// arrival spike) to recover from.
pub fn recovery_relevant(config: &RunConfig) -> bool {
    config.endpoint.capacity.is_limited() || config.last_trigger_end_ms() > 0
}

/// A figure of a run as shown: its value's text; `never` for a run that
/// never recovered (`recovered_ms` is null); `–` for a name that is not a
/// figure.
pub fn summary_figure_text(summary: &Summary, name: &str) -> String {
    match summary.figure(name) {
        Some(value) => figure_text(name, value),
        None if summary.has_figure(name) => "never".to_string(),
        None => "–".to_string(),
    }
}

/// B's recovery against A's, when either may never have recovered: a run
/// that recovers is better than one that never does. `None` when neither
/// summary has the figure.
pub fn recovery_change(a: &Summary, b: &Summary) -> Option<Change> {
    let name = "recovered_ms";
    let words = |class: &'static str, words: &str| Change {
        class,
        words: words.to_string(),
    };
    match (a.figure(name), b.figure(name)) {
        (Some(av), Some(bv)) => Some(change(name, av, bv)),
        (None, Some(_)) => Some(words("better", "A never recovered, better")),
        (Some(_), None) => Some(words("worse", "never recovers, A did; worse")),
        (None, None) => a
            .has_figure(name)
            .then(|| words("same", "same as A (never)")),
    }
}

/// What the load chart draws of the server's queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueChart {
    /// The longest the queue was: the top of the queue line's scale.
    pub peak: u32,
    /// Requests shed or rejected over the run.
    pub shed_total: u64,
    /// The most requests shed per second in one bucket: the top of the shed bars' scale.
    pub shed_rate_max: f64,
    /// The key's words, e.g. `queue (peak 1,234) · 56 shed`.
    pub key: String,
}

/// Requests shed per second in one bucket.
pub fn shed_rate(sample: &QueueSample) -> f64 {
    let seconds = sample.until_ms.saturating_sub(sample.from_ms).max(1) as f64 / 1000.0;
    sample.shed as f64 / seconds
}

/// The queue's part of the load chart; `None` without a queue (no
/// `endpoint.capacity.rps`, or a live run).
pub fn queue_chart(samples: &[QueueSample]) -> Option<QueueChart> {
    if samples.is_empty() {
        return None;
    }
    let peak = samples.iter().map(|q| q.queue_len_max).max().unwrap_or(0);
    let shed_total = samples.iter().map(|q| q.shed).sum();
    let shed_rate_max = samples.iter().map(shed_rate).fold(0.0, f64::max);
    let mut key = format!("queue (peak {})", group_thousands(u64::from(peak)));
    if shed_total > 0 {
        key.push_str(&format!(" · ▮ {} shed", group_thousands(shed_total)));
    }
    Some(QueueChart {
        peak,
        shed_total,
        shed_rate_max,
        key,
    })
}
