//! Runs off the page's main thread: the messages between the page and its
//! workers, the sliced simulation job the run worker runs, and (on wasm) the
//! run worker itself ([`host`], in the page's own wasm).
//!
//! The page posts [`ToWorker`] messages (JSON text); the worker answers with
//! [`FromWorker`] (JSON text).
//! - A simulated run computes in slices of about [`SLICE_MS`] of work; between
//!   slices the worker reads its messages (and reports progress, at most every
//!   [`PROGRESS_EVERY_MS`]), so a newer run
//!   (a knob moved) or a cancel drops the old one at once instead of queueing
//!   behind it.
//! - A live run ([`live::fire`]) keeps its timers and fetches in the worker,
//!   where the page's rendering cannot delay them; its updates (every 80 ms
//!   while it runs, and a final one, as `live` sends them) carry the first
//!   [`UPDATE_LANES_MAX`] lanes, and the full trace stays in the worker for a
//!   download.
//!
//! ```
//! use run_worker::{Job, Slice};
//! use flaky::sim::RunConfig;
//! let mut job = Job::new(&RunConfig::default(), 42, 50).unwrap();
//! let mut clock = 0.0;
//! let trace = loop {
//!     match job.slice(|| { clock += 1.0; clock }) {
//!         Slice::More(_) => continue,
//!         Slice::Done(trace) => break trace,
//!     }
//! };
//! assert_eq!(trace.summary().calls, 10);
//! ```

pub mod config;
pub mod host;
pub mod next_task;

use flaky::engine::EngineOptions;
use flaky::sim::{RunConfig, Simulation, Trace};
use flaky::sweep::{Point, PointJob};
use serde::{Deserialize, Serialize};

pub use flaky::scenario::SIMULATED_CALLS_MAX;

/// The most calls a trace download holds (a full trace is about 300 bytes
/// a call as JSON).
pub const TRACE_CALLS_MAX: u64 = 100_000;

/// Lanes a live run's updates carry to the page (the worker keeps them all).
pub const UPDATE_LANES_MAX: usize = 200;

/// Work per slice, ms: the longest a newer run waits for the worker.
pub const SLICE_MS: f64 = 25.0;

/// The least time between two progress reports of a run, ms: every fourth
/// slice or so. Each report re-renders the page; one per slice kept its main
/// thread busy 40 times a second through a long run, on the cores the
/// worker computes on.
pub const PROGRESS_EVERY_MS: f64 = 100.0;

/// When a run's progress is reported: at its first slice, then at most
/// every [`PROGRESS_EVERY_MS`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ProgressGate {
    last_ms: Option<f64>,
}

impl ProgressGate {
    /// Whether to report progress at `now_ms` (and if so, it counts as reported).
    pub fn due(&mut self, now_ms: f64) -> bool {
        let due = self
            .last_ms
            .is_none_or(|last| now_ms - last >= PROGRESS_EVERY_MS);
        if due {
            self.last_ms = Some(now_ms);
        }
        due
    }
}

/// Events handled between two looks at the clock.
const EVENTS_PER_CHECK: u32 = 256;

/// What the page asks. Externally tagged (`{"run": {...}}`), as are the
/// worker's answers: an internally tagged enum makes serde buffer every
/// message and generate a second deserializer for all it holds, which cost
/// the page and the worker several KB of wasm each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWorker {
    /// Run `config` on `seed`, keeping `lanes_max` lanes; drops any older run.
    Run {
        run_id: u64,
        config: Box<RunConfig>,
        seed: u64,
        lanes_max: u32,
    },
    /// Fire `config` live on `seed` through `transport`; drops any older run.
    Live {
        run_id: u64,
        config: Box<RunConfig>,
        seed: u64,
        transport: live::TransportKind,
    },
    /// Stop run `run_id` (simulated or live) if it is still going.
    Cancel { run_id: u64 },
    /// The full trace of `config` on `seed`, as `playground run --trace`
    /// writes it: a simulated run is rerun in full; a live run's is the one
    /// the worker kept (`live: true`).
    FullTrace {
        run_id: u64,
        config: Box<RunConfig>,
        seed: u64,
        live: bool,
    },
    /// Read a pasted config (`format`: `grpc`, `envoy`, `resilience4j`,
    /// `polly`) into knobs; answered by `Imported`. Parsers live here, not
    /// in the page's first load.
    Import {
        request_id: u64,
        format: String,
        text: String,
    },
    /// Write `policy` for `target` (an `export::Target` name); answered by
    /// `Exported`. The writers live here too, out of the page's first load.
    Export {
        request_id: u64,
        target: String,
        policy: Box<policy::PolicyConfig>,
    },
    /// Compute one sweep or profile point (summaries only); answered by `Point`.
    Point(Box<PointJob>),
}

/// Where a run is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Virtual time reached, ms.
    pub now_ms: u64,
    pub horizon_ms: u64,
    pub calls_started: u64,
    /// `sim.clients × sim.calls`.
    pub calls_total: u64,
}

impl Progress {
    /// How far the run is, 0 to 1: the further of virtual time and calls started.
    pub fn fraction(&self) -> f64 {
        let time = self.now_ms as f64 / self.horizon_ms.max(1) as f64;
        let calls = self.calls_started as f64 / self.calls_total.max(1) as f64;
        time.max(calls).clamp(0.0, 1.0)
    }
}

/// What the worker says (externally tagged, see [`ToWorker`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker's wasm is loaded.
    Ready,
    Progress {
        run_id: u64,
        progress: Progress,
    },
    /// The run ended; `compute_ms` is the worker's time on it.
    Done {
        run_id: u64,
        trace: Box<Trace>,
        compute_ms: f64,
    },
    /// A live run's trace so far (its first [`UPDATE_LANES_MAX`] lanes);
    /// `running: false` ends it.
    LiveUpdate {
        run_id: u64,
        trace: Box<Trace>,
        running: bool,
        problem: Option<String>,
    },
    /// The full trace, as JSON text.
    FullTrace {
        run_id: u64,
        json: String,
    },
    /// The worker itself failed (its script did not load, or it threw): no
    /// run can be done. Raised by the page's handle on the worker.
    Broken {
        message: String,
    },
    /// The run could not be done; the message says why, in words.
    Failed {
        run_id: u64,
        message: String,
    },
    /// What `Import` read: the knob assignments and notes, or the error
    /// naming the line and field.
    Imported {
        request_id: u64,
        result: Result<ImportedKnobs, String>,
    },
    /// What `Export` wrote.
    Exported {
        request_id: u64,
        result: Result<ExportedDocument, String>,
    },
    /// One point of a sweep or of the profiles, or why it could not be computed.
    Point {
        batch_id: u64,
        index: u32,
        result: Result<Point, String>,
    },
}

/// Computes a point ([`PointJob::run`]) once both configs pass [`check`].
pub fn point(job: &PointJob) -> Result<Point, String> {
    check(&job.a, SIMULATED_CALLS_MAX)?;
    if let Some(b) = &job.b {
        check(b, SIMULATED_CALLS_MAX)?;
    }
    Ok(job.run())
}

/// A policy written for a library: the document and its notes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportedDocument {
    pub text: String,
    /// What the target cannot express (the document's comment block).
    pub notes: Vec<String>,
}

/// Writes `policy` for the target named `target` (see [`export::export`]).
pub fn export(target: &str, policy: &policy::PolicyConfig) -> Result<ExportedDocument, String> {
    let target = export::Target::parse(target)?;
    let doc = export::export(target, policy);
    Ok(ExportedDocument {
        text: doc.text,
        notes: doc.notes,
    })
}

/// A pasted config, as knobs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportedKnobs {
    /// `(knob, value)`, to apply in order.
    pub assignments: Vec<(String, String)>,
    /// What was read only approximately.
    pub notes: Vec<String>,
}

/// Reads `text` as `format` (see [`export::import`]).
///
/// ```
/// let read = run_worker::import("grpc", r#"{"methodConfig": [{"retryPolicy": {"maxAttempts": 4,
///     "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2,
///     "retryableStatusCodes": ["UNAVAILABLE"]}}]}"#).unwrap();
/// assert!(read.assignments.contains(&("attempts.max".to_string(), "4".to_string())));
/// assert!(run_worker::import("grpc", "{").unwrap_err().contains("line 1"));
/// ```
pub fn import(format: &str, text: &str) -> Result<ImportedKnobs, String> {
    let format = export::import::Format::parse(format)?;
    let imported = export::import::import(format, text).map_err(|e| e.to_string())?;
    Ok(ImportedKnobs {
        assignments: imported.assignments,
        notes: imported.notes,
    })
}

/// Checks a simulated run before it starts.
pub fn check(config: &RunConfig, calls_max: u64) -> Result<(), String> {
    config
        .validate()
        .map_err(|e| format!("the config is invalid: {e}"))?;
    let calls = calls_of(config);
    if calls > calls_max {
        return Err(format!(
            "{} clients × {} calls = {calls} calls; the page simulates at most {calls_max} \
             (the command line runs more: playground run --set sim.clients=… --set sim.calls=…)",
            config.scenario.clients, config.scenario.calls_per_client
        ));
    }
    Ok(())
}

/// `sim.clients × sim.calls`.
pub fn calls_of(config: &RunConfig) -> u64 {
    u64::from(config.scenario.clients) * u64::from(config.scenario.calls_per_client)
}

/// What one slice ended with.
pub enum Slice {
    More(Progress),
    Done(Box<Trace>),
}

/// A simulation computed in slices.
pub struct Job {
    sim: Simulation,
    horizon_ms: u64,
    calls_total: u64,
}

impl Job {
    /// A job for a checked config (see [`check`]).
    pub fn new(config: &RunConfig, seed: u64, lanes_max: u32) -> Result<Job, String> {
        check(config, SIMULATED_CALLS_MAX)?;
        Ok(Job {
            sim: Simulation::new(config, seed, EngineOptions::lanes(lanes_max)),
            horizon_ms: config.scenario.horizon_ms,
            calls_total: calls_of(config),
        })
    }

    /// Computes until `clock()` (ms) has moved [`SLICE_MS`] or the run ends.
    pub fn slice(&mut self, mut clock: impl FnMut() -> f64) -> Slice {
        let start = clock();
        loop {
            if !self.sim.advance(EVENTS_PER_CHECK) {
                return Slice::Done(Box::new(self.sim.trace()));
            }
            if clock() - start >= SLICE_MS {
                return Slice::More(self.progress());
            }
        }
    }

    pub fn progress(&self) -> Progress {
        Progress {
            now_ms: self.sim.now_ms(),
            horizon_ms: self.horizon_ms,
            calls_started: self.sim.calls_started(),
            calls_total: self.calls_total,
        }
    }
}

/// What a live update carries to the page: the first lanes (and their
/// clients' events); the summary and series cover every call.
pub fn for_the_page(trace: &Trace) -> Trace {
    let lanes = trace.calls.len().min(UPDATE_LANES_MAX);
    // Field by field: `..trace.clone()` would copy every call (up to 2,000)
    // 12.5 times a second only to drop them.
    Trace {
        seed: trace.seed,
        horizon_ms: trace.horizon_ms,
        end_ms: trace.end_ms,
        calls: trace.calls[..lanes].to_vec(),
        client_events: trace
            .client_events
            .iter()
            .filter(|e| (e.client as usize) < UPDATE_LANES_MAX)
            .cloned()
            .collect(),
        server_load: trace.server_load.clone(),
        density: trace.density.clone(),
        server_queue: trace.server_queue.clone(),
        call_ends: trace.call_ends.clone(),
        counters: trace.counters.clone(),
        summary: trace.summary.clone(),
        windows: trace.windows.clone(),
        capacity_rps: trace.capacity_rps,
    }
}

/// The full trace of a run, as JSON text, for a download.
pub fn full_trace_json(config: &RunConfig, seed: u64) -> Result<String, String> {
    check(config, TRACE_CALLS_MAX).map_err(|e| format!("no trace download: {e}"))?;
    let trace = flaky::sim::run(config, seed);
    serde_json::to_string(&trace).map_err(|e| format!("the trace could not be written: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_reported_at_the_first_slice_then_at_most_every_100_ms() {
        let mut gate = ProgressGate::default();
        let reported: Vec<f64> = [
            1_000.0, 1_025.0, 1_050.0, 1_099.0, 1_100.0, 1_125.0, 1_230.0, 1_240.0,
        ]
        .into_iter()
        .filter(|&now| gate.due(now))
        .collect();
        assert_eq!(reported, [1_000.0, 1_100.0, 1_230.0]);
    }

    #[test]
    fn messages_round_trip_as_json() {
        let run = ToWorker::Run {
            run_id: 3,
            config: Box::default(),
            seed: 9,
            lanes_max: 100,
        };
        let text = serde_json::to_string(&run).unwrap_or_default();
        assert!(text.starts_with("{\"run\":{"), "{text}");
        assert_eq!(serde_json::from_str::<ToWorker>(&text).ok(), Some(run));
    }

    #[test]
    fn a_point_round_trips_and_equals_the_sweeps_own() {
        let mut a = RunConfig::default();
        a.set("endpoint.fault.503", "0.3")
            .unwrap_or_else(|e| panic!("{e}"));
        let job = PointJob {
            batch_id: 4,
            index: 2,
            value: "1000".into(),
            a: a.clone(),
            b: Some(a.clone()),
            seeds: vec![1, 2, 3],
            measures: vec!["latency_ms_p99".into(), "success_rate".into()],
        };
        let message = ToWorker::Point(Box::new(job.clone()));
        let text = serde_json::to_string(&message).unwrap_or_default();
        assert_eq!(serde_json::from_str::<ToWorker>(&text).ok(), Some(message));
        let computed = point(&job);
        assert_eq!(
            computed,
            Ok(flaky::sweep::run_point(
                "1000",
                &a,
                Some(&a),
                &[1, 2, 3],
                &job.measures
            ))
        );
        let answer = FromWorker::Point {
            batch_id: 4,
            index: 2,
            result: computed,
        };
        let text = serde_json::to_string(&answer).unwrap_or_default();
        assert_eq!(serde_json::from_str::<FromWorker>(&text).ok(), Some(answer));
        let mut huge = job;
        huge.a
            .set("sim.clients", "100000")
            .unwrap_or_else(|e| panic!("{e}"));
        huge.a
            .set("sim.calls", "100")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(point(&huge).is_err_and(|e| e.contains("at most")));
    }

    /// `www/run-worker-loader.js` and `www/config-worker-loader.js` write
    /// this message by hand when the wasm cannot load; the page must read it
    /// as a failure.
    #[test]
    fn the_loaders_failure_message_reads_as_failed() {
        for loader in [
            include_str!("../../../www/run-worker-loader.js"),
            include_str!("../../../www/config-worker-loader.js"),
        ] {
            assert!(
                loader.contains("JSON.stringify({ failed: { run_id: 0, message: "),
                "a loader's failure message changed shape"
            );
        }
        let text = r#"{"failed":{"run_id":0,"message":"the run worker failed to load: x"}}"#;
        assert_eq!(
            serde_json::from_str::<FromWorker>(text).ok(),
            Some(FromWorker::Failed {
                run_id: 0,
                message: "the run worker failed to load: x".into()
            })
        );
    }

    #[test]
    fn an_import_round_trips_and_a_bad_paste_is_named() {
        let ask = ToWorker::Import {
            request_id: 7,
            format: "envoy".into(),
            text: "retry_on: 5xx\nnum_retries: 3\n".into(),
        };
        let text = serde_json::to_string(&ask).unwrap_or_default();
        assert_eq!(serde_json::from_str::<ToWorker>(&text).ok(), Some(ask));
        let read = import("envoy", "retry_on: 5xx\nnum_retries: 3\n");
        let answer = FromWorker::Imported {
            request_id: 7,
            result: read.clone(),
        };
        let text = serde_json::to_string(&answer).unwrap_or_default();
        assert_eq!(serde_json::from_str::<FromWorker>(&text).ok(), Some(answer));
        let knobs = read.unwrap_or_default();
        assert!(
            knobs
                .assignments
                .contains(&("attempts.max".into(), "4".into())),
            "{knobs:?}"
        );
        let bad = import("envoy", "retry_on: sometimes\n").unwrap_err();
        assert!(bad.contains("line 1") && bad.contains("retry_on"), "{bad}");
        assert!(import("xml", "").unwrap_err().contains("grpc, envoy"));
        let ask = ToWorker::Export {
            request_id: 8,
            target: "grpc".into(),
            policy: Box::default(),
        };
        let text = serde_json::to_string(&ask).unwrap_or_default();
        assert_eq!(serde_json::from_str::<ToWorker>(&text).ok(), Some(ask));
        let doc = export("grpc", &policy::PolicyConfig::default()).unwrap_or_default();
        assert!(doc.text.contains("\"maxAttempts\": 3"), "{}", doc.text);
        assert!(export("cobol", &policy::PolicyConfig::default()).is_err());
    }

    #[test]
    fn a_sliced_run_equals_a_whole_run() {
        let mut config = RunConfig::default();
        for (k, v) in [("sim.clients", "300"), ("endpoint.fault.503", "0.3")] {
            config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut job = Job::new(&config, 5, 40).unwrap_or_else(|e| panic!("{e}"));
        let mut clock = 0.0;
        let mut slices = 0;
        let trace = loop {
            // Every look at the clock is 10 ms later: a slice every few events.
            match job.slice(|| {
                clock += 10.0;
                clock
            }) {
                Slice::More(p) => {
                    slices += 1;
                    assert!(p.fraction() <= 1.0);
                }
                Slice::Done(trace) => break trace,
            }
        };
        assert!(slices > 0);
        let whole = flaky::sim::run_with(&config, 5, EngineOptions::lanes(40));
        assert_eq!(*trace, whole);
        assert_eq!(trace.calls.len(), 40);
        assert_eq!(trace.summary().calls, 300);
    }

    #[test]
    fn the_page_gets_the_first_lanes_and_every_figure() {
        let mut config = RunConfig::default();
        for (k, v) in [("sim.clients", "300"), ("endpoint.fault.503", "0.3")] {
            config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
        }
        let trace = flaky::sim::run_with(&config, 3, EngineOptions::lanes(300));
        assert_eq!(trace.calls.len(), 300);
        let page = for_the_page(&trace);
        assert_eq!(page.calls[..], trace.calls[..UPDATE_LANES_MAX]);
        assert!(page
            .client_events
            .iter()
            .all(|e| (e.client as usize) < UPDATE_LANES_MAX));
        let rest = |t: &Trace| Trace {
            calls: Vec::new(),
            client_events: Vec::new(),
            ..t.clone()
        };
        assert_eq!(rest(&page), rest(&trace));
    }

    #[test]
    fn runs_over_the_limit_are_refused_with_the_numbers() {
        let mut config = RunConfig::default();
        for (k, v) in [("sim.clients", "100000"), ("sim.calls", "11")] {
            config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
        }
        let Err(message) = Job::new(&config, 1, 10) else {
            panic!("a run of 1,100,000 calls was accepted");
        };
        assert!(message.contains("1100000 calls"), "{message}");
        assert!(full_trace_json(&config, 1).is_err());
    }
}
