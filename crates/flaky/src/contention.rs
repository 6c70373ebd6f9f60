//! The contention study of the AWS Architecture Blog post "Exponential Backoff
//! And Jitter" (Marc Brooker, 2015), as a deterministic scenario.
//!
//! `N` clients each want to update one shared row once, with optimistic
//! concurrency control:
//!
//! 1. a client sends a read; the server answers with the row's version *as of
//!    the moment the read arrives*;
//! 2. on the answer the client sends a write carrying that version; the server
//!    applies it if the version still matches (and increments the version),
//!    else rejects it. Every write counts as a call;
//! 3. on a rejection the client counts an attempt `n` (1 for the first retry)
//!    and sends its next read after the network delay plus `backoff(n)`.
//!
//! The delays are the policy crate's formulas (`policy::backoff::exponential`,
//! `policy::jitter::spread`, `policy::jitter::decorrelated_bounds`) in real
//! ms, as the blog's are; only the study's retry count starts one lower.
//!
//! Every message takes `|Normal(net_mean_ms, net_sd_ms)|` ms. A run ends when
//! every client has written; its time is the time the last message (the last
//! write's acknowledgement) is delivered. [`run`] averages time and calls over
//! `runs` runs.
//!
//! Only arrivals at the server touch shared state, so a client's receipt of a
//! reply and its next send are folded into one scheduled arrival: each client
//! has exactly one pending event, and a run costs two heap operations per call.
//! Events are ordered by `(time, sequence number)`, so ties are deterministic.

use std::cmp::Ordering;
use std::collections::binary_heap::PeekMut;
use std::collections::BinaryHeap;
use std::fmt;
use std::str::FromStr;

use policy::{backoff, jitter, JitterConfig, JitterKind};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::rng::{self, Normals};

/// A backoff algorithm of the study. `Display` gives the blog's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Algorithm {
    /// `min(cap, base · 2^n)`.
    Exponential,
    /// `U(0, min(cap, base · 2^n))`.
    FullJitter,
    /// `v/2 + U(0, v/2)` with `v = min(cap, base · 2^n)`.
    EqualJitter,
    /// `sleep = min(cap, U(base, 3 · sleep))`, `sleep` starting at `base`, per client.
    Decorr,
    /// No backoff: retry after the network delay only.
    None,
}

impl Algorithm {
    /// All algorithms, in the blog's order of its charts' legend.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Exponential,
        Algorithm::Decorr,
        Algorithm::EqualJitter,
        Algorithm::FullJitter,
        Algorithm::None,
    ];

    /// The blog's name: `Exponential`, `FullJitter`, `EqualJitter`, `Decorr`, `None`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Exponential => "Exponential",
            Algorithm::FullJitter => "FullJitter",
            Algorithm::EqualJitter => "EqualJitter",
            Algorithm::Decorr => "Decorr",
            Algorithm::None => "None",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL.into_iter().find(|a| a.name() == s.trim()).ok_or_else(|| {
            format!("unknown algorithm `{s}`; expected one of Exponential, Decorr, EqualJitter, FullJitter, None")
        })
    }
}

/// The parameters of the study. The defaults are the blog's: base 5 ms,
/// cap 2000 ms, network `N(10, 2)` ms, 100 runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentionConfig {
    /// Number of clients, each writing the row once.
    pub clients: u32,
    /// Number of runs averaged.
    pub runs: u32,
    /// Backoff base, ms.
    pub base_ms: f64,
    /// Backoff cap, ms.
    pub cap_ms: f64,
    /// Mean one-way network delay, ms.
    pub net_mean_ms: f64,
    /// Standard deviation of the one-way network delay, ms.
    pub net_sd_ms: f64,
    /// Seed of the run's `ChaCha8Rng`.
    pub seed: u64,
}

impl Default for ContentionConfig {
    fn default() -> Self {
        ContentionConfig {
            clients: 50,
            runs: 100,
            base_ms: 5.0,
            cap_ms: 2000.0,
            net_mean_ms: 10.0,
            net_sd_ms: 2.0,
            seed: 0,
        }
    }
}

/// Averages over the runs of one `(clients, algorithm)` cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentionResult {
    /// Number of clients.
    pub clients: u32,
    /// Mean time until every client has written, ms.
    pub time_ms: f64,
    /// Mean number of writes (calls) per run.
    pub calls: f64,
    /// The backoff algorithm.
    pub algorithm: Algorithm,
}

/// Runs the study for one algorithm: `config.runs` runs of `config.clients`
/// clients, from one generator seeded with `config.seed`.
pub fn run(config: &ContentionConfig, algorithm: Algorithm) -> ContentionResult {
    let mut sim = Sim::new(config, algorithm);
    let mut rng = rng::seeded(config.seed);
    let (mut time_sum, mut calls_sum) = (0.0, 0u64);
    for _ in 0..config.runs {
        let outcome = sim.run_once(&mut rng);
        time_sum += outcome.time_ms;
        calls_sum = calls_sum.saturating_add(outcome.calls);
    }
    let runs = f64::from(config.runs.max(1));
    ContentionResult {
        clients: config.clients,
        time_ms: time_sum / runs,
        calls: calls_sum as f64 / runs,
        algorithm,
    }
}

/// Runs the study for every client count in `clients` and every algorithm in
/// [`Algorithm::ALL`] (`config.clients` is ignored). Results come client count
/// by client count, algorithms in `ALL` order.
pub fn sweep(clients: &[u32], config: &ContentionConfig) -> Vec<ContentionResult> {
    let mut results = Vec::with_capacity(clients.len() * Algorithm::ALL.len());
    for &n in clients {
        let cell = ContentionConfig {
            clients: n,
            ..config.clone()
        };
        for algorithm in Algorithm::ALL {
            results.push(run(&cell, algorithm));
        }
    }
    results
}

/// The blog's client counts: 10 to 190 in steps of 10.
pub fn blog_client_counts() -> Vec<u32> {
    (1..=19).map(|i| i * 10).collect()
}

/// What one run produced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RunOutcome {
    pub(crate) time_ms: f64,
    pub(crate) calls: u64,
    /// Writes applied: the row's final version.
    pub(crate) applied: u64,
}

/// `Event::version` of a read (writes carry versions below the client count).
const READ: u32 = u32::MAX;

/// An arrival at the server: 24 bytes, compared as integers.
#[derive(Clone, Copy, Debug)]
struct Event {
    /// `at_ms.to_bits()`: times are finite and non-negative, so their bit
    /// patterns order like the times themselves.
    at_bits: u64,
    seq: u64,
    client: u32,
    /// The version a write carries, or [`READ`].
    version: u32,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    // Reversed: `BinaryHeap` is a max-heap and the earliest event comes first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_bits, other.seq).cmp(&(self.at_bits, self.seq))
    }
}

/// Per-client state: the attempt counter and Decorr's previous sleep.
#[derive(Clone, Copy, Debug)]
struct Client {
    attempt: u32,
    sleep_ms: f64,
    writes_applied: u32,
}

/// The sanitised parameters of a simulation.
#[derive(Clone, Debug)]
struct Params {
    algorithm: Algorithm,
    clients: u32,
    base_ms: f64,
    cap_ms: f64,
    net_mean_ms: f64,
    net_sd_ms: f64,
    /// The policy's jitter for `FullJitter` and `EqualJitter`.
    jitter: JitterConfig,
}

/// A finite, non-negative copy of `x` (0 otherwise), so odd configs cannot
/// poison the event order.
fn sane(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

impl Params {
    /// One message's delay: `|Normal(mean, sd)|`.
    #[inline]
    fn delay(&self, normals: &Normals, rng: &mut ChaCha8Rng) -> f64 {
        (self.net_mean_ms + self.net_sd_ms * normals.next(rng)).abs()
    }

    /// `min(cap, base · 2^n)`: the policy's exponential curve (×2) at its
    /// retry `n + 1`, since the study's first retry waits `base · 2`.
    #[inline]
    fn expo(&self, attempt: u32) -> f64 {
        backoff::exponential(self.base_ms, 2.0, attempt.min(2000) + 1).min(self.cap_ms)
    }

    /// The sleep before the client's retry number `client.attempt`, in real
    /// ms from the policy's formulas (its `draw` rounds to whole ms; the
    /// study's delays are real).
    #[inline]
    fn backoff(&self, client: &mut Client, rng: &mut ChaCha8Rng) -> f64 {
        let n = client.attempt;
        match self.algorithm {
            Algorithm::None => 0.0,
            Algorithm::Exponential => self.expo(n),
            Algorithm::FullJitter | Algorithm::EqualJitter => {
                let (lo, hi) = jitter::spread(&self.jitter, self.expo(n));
                jitter::uniform_between(lo, hi, rng::unit(rng))
            }
            Algorithm::Decorr => {
                let (lo, hi) = jitter::decorrelated_bounds(self.base_ms, client.sleep_ms * 3.0);
                let sleep = jitter::uniform_between(lo, hi, rng::unit(rng)).min(self.cap_ms);
                client.sleep_ms = sleep;
                sleep
            }
        }
    }
}

/// The policy's jitter kind of an algorithm (`None` for those that do not
/// jitter a curve).
fn jitter_kind(algorithm: Algorithm) -> JitterKind {
    match algorithm {
        Algorithm::FullJitter => JitterKind::Full,
        Algorithm::EqualJitter => JitterKind::Equal,
        Algorithm::Decorr => JitterKind::Decorrelated,
        Algorithm::Exponential | Algorithm::None => JitterKind::None,
    }
}

/// One simulation, its buffers reused from run to run.
pub(crate) struct Sim {
    params: Params,
    heap: BinaryHeap<Event>,
    state: Vec<Client>,
    normals: Normals,
}

impl Sim {
    pub(crate) fn new(config: &ContentionConfig, algorithm: Algorithm) -> Sim {
        Sim {
            params: Params {
                algorithm,
                clients: config.clients,
                base_ms: sane(config.base_ms),
                cap_ms: sane(config.cap_ms),
                net_mean_ms: sane(config.net_mean_ms),
                net_sd_ms: sane(config.net_sd_ms),
                jitter: JitterConfig {
                    kind: jitter_kind(algorithm),
                    ..JitterConfig::default()
                },
            },
            heap: BinaryHeap::with_capacity(config.clients as usize),
            state: Vec::with_capacity(config.clients as usize),
            normals: Normals::default(),
        }
    }

    /// How many writes each client got applied in the last run.
    #[cfg(test)]
    pub(crate) fn writes_applied(&self) -> impl Iterator<Item = u32> + '_ {
        self.state.iter().map(|c| c.writes_applied)
    }

    /// Runs until every client has written once.
    pub(crate) fn run_once(&mut self, rng: &mut ChaCha8Rng) -> RunOutcome {
        let Sim {
            params,
            heap,
            state,
            normals,
        } = self;
        let params = &*params;
        heap.clear();
        state.clear();
        let mut seq = 0u64;
        for client in 0..params.clients {
            state.push(Client {
                attempt: 0,
                sleep_ms: params.base_ms,
                writes_applied: 0,
            });
            let at_ms = params.delay(normals, rng);
            heap.push(Event {
                at_bits: at_ms.to_bits(),
                seq,
                client,
                version: READ,
            });
            seq += 1;
        }
        let (mut version, mut calls, mut end_ms) = (0u32, 0u64, 0.0f64);
        while let Some(mut top) = heap.peek_mut() {
            let event = *top;
            let Some(client) = state.get_mut(event.client as usize) else {
                PeekMut::pop(top);
                continue;
            };
            let now_ms = f64::from_bits(event.at_bits);
            if event.version == READ {
                // The reply travels back, then the write travels out.
                let at_ms = now_ms + params.delay(normals, rng) + params.delay(normals, rng);
                *top = Event {
                    at_bits: at_ms.to_bits(),
                    seq,
                    client: event.client,
                    version,
                };
                seq += 1;
                continue;
            }
            calls += 1;
            let reply_ms = now_ms + params.delay(normals, rng);
            if event.version == version {
                version += 1;
                client.writes_applied += 1;
                end_ms = end_ms.max(reply_ms);
                PeekMut::pop(top);
            } else {
                client.attempt = client.attempt.saturating_add(1);
                let sleep_ms = params.backoff(client, rng);
                let at_ms = reply_ms + sleep_ms + params.delay(normals, rng);
                *top = Event {
                    at_bits: at_ms.to_bits(),
                    seq,
                    client: event.client,
                    version: READ,
                };
                seq += 1;
            }
        }
        RunOutcome {
            time_ms: end_ms,
            calls,
            applied: u64::from(version),
        }
    }
}

#[cfg(test)]
mod tests;
