//! What the reducer asks the shell to do ([`Effect`]), and what comes back
//! from the run workers ([`WorkerEvent`]). The reducer decides; the shell
//! (`src/effects.rs`) only carries an effect out: it posts to a run worker,
//! writes the URL, saves a file.

use std::rc::Rc;

use flaky::sim::{RunConfig, Trace};
use flaky::sweep::{Point, PointJob};
use policy::PolicyConfig;

use crate::settings::{Mode, Side, Theme};

/// One thing for the shell to do, in the order the reducer emitted them.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Find the mock endpoints (the service worker, or the in-page model),
    /// then answer with `Action::SetTransport` and start side A's run worker.
    Connect,
    /// Start run `run_id` of `config` on `seed` in `side`'s run worker
    /// (side B runs in a second one, at the same time as A); a live run
    /// goes through the transport the shell found. Any older run there stops.
    Run {
        side: Side,
        run_id: u64,
        config: Box<RunConfig>,
        seed: u64,
        mode: Mode,
    },
    /// Stop run `run_id` in `side`'s run worker, if that worker was started.
    Cancel { side: Side, run_id: u64 },
    /// Ask side A's worker for the whole trace of run `run_id` (a simulated
    /// run is rerun in full; a live run's is the one the worker kept).
    FullTrace {
        run_id: u64,
        config: Box<RunConfig>,
        seed: u64,
        live: bool,
    },
    /// Save JSON text the worker wrote.
    Download { file_name: String, json: String },
    /// Read a pasted config in the run worker (answered by `Imported`).
    Import {
        request_id: u64,
        format: String,
        text: String,
    },
    /// Write `policy` for `target` in the run worker (answered by `Exported`).
    Export {
        request_id: u64,
        target: String,
        policy: Box<PolicyConfig>,
    },
    /// Compute these points in the sweep's run workers (up to four), in
    /// order; they replace the queued points of the same batch kind, so a
    /// newer sweep cancels the older (empty: just cancel).
    Points { kind: Batch, jobs: Vec<PointJob> },
    /// Replace the page's URL query (history, no navigation).
    WriteUrl(String),
    /// Watch the native mock server at this origin: read its event stream
    /// into [`crate::server::ServerFeed`], each new trace an `Action::ShowServer`.
    WatchServer(String),
    /// Put the theme and talk mode on `<html>`, so the whole page follows.
    SetRootAttrs { theme: Theme, talk: bool },
}

/// Which chart a batch of points is for: each has its own queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batch {
    Sweep,
    Profiles,
}

/// What a run worker said, as the page reads it (the shell maps the
/// worker's messages here one to one).
#[derive(Clone, Debug, PartialEq)]
pub enum WorkerEvent {
    /// The worker's wasm is loaded.
    Ready,
    /// Run `run_id` is this far along, 0 to 1.
    Progress { run_id: u64, fraction: f64 },
    /// Run `run_id`'s trace so far (live) or in full; `running: false` ends it.
    Trace {
        run_id: u64,
        trace: Rc<Trace>,
        running: bool,
        problem: Option<String>,
    },
    /// The whole trace asked for by `Effect::FullTrace`, as JSON.
    FullTrace { json: String },
    /// The worker cannot run anything (its script did not load, or it threw).
    Broken { message: String },
    /// Run `run_id` could not be done (0: the worker itself failed).
    Failed { run_id: u64, message: String },
    /// The answer to `Effect::Import`.
    Imported(ImportAnswer),
    /// One point of batch `batch_id` (`Effect::Points`), or why it could not be computed.
    Point {
        batch_id: u64,
        index: u32,
        result: Rc<Result<Point, String>>,
    },
    /// The answer to `Effect::Export`.
    Exported(ExportAnswer),
}

/// A pasted config, read as knobs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportedKnobs {
    /// `(knob, value)`, applied in order.
    pub assignments: Vec<(String, String)>,
    /// What was read only approximately.
    pub notes: Vec<String>,
}

/// A policy written for a library: the document and its notes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportedDocument {
    pub text: String,
    /// What the target cannot express.
    pub notes: Vec<String>,
}

/// The run worker's answer to a paste.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportAnswer {
    pub request_id: u64,
    pub result: Result<ImportedKnobs, String>,
}

/// The run worker's answer to a document asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportAnswer {
    pub request_id: u64,
    pub result: Result<ExportedDocument, String>,
}
