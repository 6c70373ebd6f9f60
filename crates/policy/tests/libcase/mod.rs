//! The table shape of the `libcases_*` tests: one row per case ported from a
//! library's own test suite, naming its file and test, what the library
//! expects and what our model computes. A row that differs on purpose says
//! why and asserts our documented behaviour instead.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::fmt;
use std::sync::Arc;

use policy::jitter::{self, DrawState};
use policy::{ClientState, Done, Outcome, PolicyConfig, RequestKind, Step};

use crate::common::{run, Scripted, SeqRng};

/// What a library's test asserts (times in whole ms unless said otherwise).
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Exactly this many ms.
    Ms(u64),
    /// Within `[lo, hi]` ms, both included.
    Between(u64, u64),
    /// Within `target ± tolerance` (the library's own tolerance).
    Near(f64, f64),
    /// A yes/no answer (retry or not, stop or not, accepted or not).
    Is(bool),
    /// A count (attempts).
    Count(u64),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ms(v) => write!(f, "{v} ms"),
            Expect::Between(lo, hi) => write!(f, "[{lo}, {hi}] ms"),
            Expect::Near(t, e) => write!(f, "{t} ± {e}"),
            Expect::Is(b) => write!(f, "{b}"),
            Expect::Count(n) => write!(f, "{n}"),
        }
    }
}

/// What our model computed for a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Got {
    /// One value in ms.
    Ms(u64),
    /// Several values (e.g. the draws at both edges of the envelope): each must pass.
    All(Vec<u64>),
    /// A real number (a mean, in the library's unit).
    Real(f64),
    /// A yes/no answer.
    Is(bool),
    /// A count (attempts).
    Count(u64),
}

impl fmt::Display for Got {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Got::Ms(v) => write!(f, "{v} ms"),
            Got::All(v) => write!(f, "{v:?} ms"),
            Got::Real(v) => write!(f, "{v:.4}"),
            Got::Is(b) => write!(f, "{b}"),
            Got::Count(n) => write!(f, "{n}"),
        }
    }
}

fn passes(expect: &Expect, got: &Got) -> bool {
    match (expect, got) {
        (Expect::Ms(e), Got::Ms(g)) => e == g,
        (Expect::Ms(e), Got::All(gs)) => !gs.is_empty() && gs.iter().all(|g| g == e),
        (Expect::Between(lo, hi), Got::Ms(g)) => lo <= g && g <= hi,
        (Expect::Between(lo, hi), Got::All(gs)) => {
            !gs.is_empty() && gs.iter().all(|g| lo <= g && g <= hi)
        }
        (Expect::Near(t, e), Got::Real(g)) => (g - t).abs() <= *e,
        (Expect::Near(t, e), Got::Ms(g)) => (*g as f64 - t).abs() <= *e,
        (Expect::Is(e), Got::Is(g)) => e == g,
        (Expect::Count(e), Got::Count(g)) => e == g,
        _ => false,
    }
}

/// One ported case.
pub struct Row {
    /// `file::test_name` in the library's repository.
    pub source: &'static str,
    /// The inputs, in the library's terms and ours.
    pub inputs: String,
    /// What the library's test asserts.
    pub library: Expect,
    /// What our model computes.
    pub ours: Got,
    /// `Some((our documented behaviour, why))` where we differ on purpose.
    pub differs: Option<(Expect, &'static str)>,
}

impl Row {
    pub fn new(source: &'static str, inputs: impl Into<String>, library: Expect, ours: Got) -> Row {
        Row {
            source,
            inputs: inputs.into(),
            library,
            ours,
            differs: None,
        }
    }

    /// We differ from the library on purpose: assert `documented` instead, for `why`.
    pub fn differs(mut self, documented: Expect, why: &'static str) -> Row {
        self.differs = Some((documented, why));
        self
    }
}

/// Checks every row, prints the table (`--nocapture` shows it) and fails
/// naming every row that does not pass. Returns how many rows there were.
pub fn check(library: &str, rows: &[Row]) -> usize {
    let mut failures = Vec::new();
    println!("{library}: {} cases", rows.len());
    for row in rows {
        let (expect, note) = match &row.differs {
            Some((documented, why)) => (documented, format!("differs on purpose: {why}")),
            None => (&row.library, String::new()),
        };
        let ok = passes(expect, &row.ours);
        // A row that says it differs must really differ, or its note is stale.
        let stale = row.differs.is_some() && passes(&row.library, &row.ours);
        println!(
            "{} | {} | {} | library {} | ours {} {}",
            if ok && !stale { "ok  " } else { "FAIL" },
            row.source,
            row.inputs,
            row.library,
            row.ours,
            note
        );
        if !ok {
            failures.push(format!(
                "{} ({}): library {}, expected {}, ours {}",
                row.source, row.inputs, row.library, expect, row.ours
            ));
        } else if stale {
            failures.push(format!(
                "{} ({}): marked as differing, yet ours {} matches the library's {}",
                row.source, row.inputs, row.ours, row.library
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{library}: {} of {} cases fail:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    rows.len()
}

/// A library profile of `crates/flaky/presets.json` (`lib-*`) as a policy:
/// the defaults with the profile's `set` applied.
pub fn profile(id: &str) -> PolicyConfig {
    let presets: serde_json::Value =
        serde_json::from_str(include_str!("../../../flaky/presets.json")).unwrap();
    let preset = presets
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no preset {id}"));
    let mut c = PolicyConfig::default();
    for (k, v) in preset["set"].as_object().unwrap() {
        // A profile may set run knobs too; only the policy's apply here.
        if PolicyConfig::KNOBS
            .iter()
            .any(|knob| knob.name == k.as_str())
            || k.starts_with("retry.status.")
        {
            c.set(k, v.as_str().unwrap())
                .unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }
    c
}

/// `c` with `sets` applied through the knobs (so each value is in range).
pub fn with(mut c: PolicyConfig, sets: &[(&str, &str)]) -> PolicyConfig {
    for (k, v) in sets {
        c.set(k, v).unwrap_or_else(|e| panic!("{e}"));
    }
    c
}

/// The delays of retries 1, 2, ... of one call when the unit draws are
/// `units` in turn. `u ≥ 1` (a library's mock returning 1.0, outside our
/// `[0, 1)`) is the envelope's top edge: the limit of our draws as `u → 1`.
pub fn draws(c: &PolicyConfig, units: &[f64]) -> Vec<u64> {
    let mut state = DrawState::new(c);
    (1..=units.len() as u32)
        .zip(units)
        .map(|(n, &u)| draw_at(c, n, u, &mut state))
        .collect()
}

/// The delay of retry `n` at the unit draw `u`, continuing `state`.
pub fn draw_at(c: &PolicyConfig, retry: u32, u: f64, state: &mut DrawState) -> u64 {
    if u >= 1.0 {
        let top = jitter::envelope_ms(c, retry).1;
        state.previous_ms = top;
        return top;
    }
    let mut rng = SeqRng::new(&[SeqRng::unit(u)]);
    jitter::draw(c, retry, false, state, &mut rng)
}

/// The delay of retry `n` at the unit draw `u`, from a fresh call state (as
/// the libraries' tests call their delay function with a fresh state).
pub fn delay(c: &PolicyConfig, retry: u32, u: f64) -> u64 {
    draw_at(c, retry, u, &mut DrawState::new(c))
}

/// The largest unit draw below 1.
pub const TOP: f64 = 1.0 - f64::EPSILON / 2.0;

/// Near the top of `[0, 1)`, short of its last few doubles: there
/// `lo + u·(hi − lo)` may round up to `hi` (in the libraries' own formulas too).
pub const NEAR_TOP: f64 = 1.0 - 1.0 / (1u64 << 30) as f64;

/// The draws of retry `n` at 0 and at [`NEAR_TOP`].
pub fn near_edges(c: &PolicyConfig, retry: u32) -> Got {
    Got::All(vec![delay(c, retry, 0.0), delay(c, retry, NEAR_TOP)])
}

/// The draws of retry `n` at both ends of our unit interval `[0, 1)`: 0 and
/// the largest draw below 1.
pub fn edges(c: &PolicyConfig, retry: u32) -> Got {
    Got::All(vec![delay(c, retry, 0.0), delay(c, retry, TOP)])
}

/// How a call of `c` ends when attempt k meets `script[k-1]` (200 after the
/// script), and the delays it slept before each retry.
pub fn call(c: &PolicyConfig, request: RequestKind, script: &[Scripted]) -> (Done, Vec<u64>) {
    let config = Arc::new(c.clone());
    let mut client = ClientState::new(&config);
    let mut rng = SeqRng::new(&[SeqRng::unit(0.5)]);
    let (_, steps) = run(&config, 0, request, &mut client, &mut rng, script);
    let mut sleeps = Vec::new();
    let mut done = None;
    for (now, step) in &steps {
        match step {
            Step::Sleep { until_ms, .. } => sleeps.push(until_ms - now),
            Step::Done(d) => done = Some(d.clone()),
            _ => {}
        }
    }
    (done.unwrap(), sleeps)
}

/// An attempt that ends after `latency_ms` with `outcome`.
pub fn attempt(latency_ms: u64, outcome: Outcome) -> Scripted {
    Scripted {
        latency_ms,
        outcome,
    }
}

/// A response with `status` and no Retry-After.
pub fn status(status: u16) -> Outcome {
    Outcome::Response {
        status,
        retry_after_ms: None,
    }
}

/// Whether a call retries after its first attempt meets `outcome`.
pub fn retries_after(c: &PolicyConfig, request: RequestKind, outcome: Outcome) -> bool {
    let (done, _) = call(c, request, &[attempt(1, outcome)]);
    let attempts = match done {
        Done::Succeeded { attempts } | Done::GaveUp { attempts, .. } => attempts,
    };
    attempts > 1
}
