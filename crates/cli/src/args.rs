//! The command line, as clap derives it. Values clap cannot check alone
//! (knob names and ranges) are checked by the commands, with exit status 2.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run the resilience simulator and the backoff contention study headless.
#[derive(Debug, Parser)]
#[command(name = "playground", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the presets: id and title.
    Presets,
    /// List every knob `--set` accepts: name, values, unit and help.
    Knobs(KnobsArgs),
    /// Run the simulator once and print its summary.
    Run(RunArgs),
    /// Run two configs, A and B, over many seeds and compare their summaries.
    Compare(CompareArgs),
    /// Run the AWS "Exponential Backoff And Jitter" contention study.
    Contention(ContentionArgs),
    /// Write the client policy as code or config for a library (one document
    /// on stdout; what the target cannot express goes to stderr too).
    Export(ExportArgs),
    /// Read a gRPC, Envoy, resilience4j or Polly config back into knobs: one
    /// `--set KEY=VALUE` per line, then the page URL.
    Import(ImportArgs),
    /// The delays per retry: each retry's envelope and N seeded draws.
    Plan(PlanArgs),
    /// Serve the flaky endpoints to real clients over HTTP/1.1 (`/mock/...`),
    /// with counters, a trace and a live event stream for the page's `?server=`.
    MockServer(MockServerArgs),
    /// One client runs a script's calls one after another, as the libraries'
    /// tests step a retryer: one line per attempt with the decision after it.
    Steps(StepsArgs),
    /// Sweep one knob: at each value, A (and B) over the same seeds, as `compare`.
    Sweep(SweepArgs),
    /// Every library profile's client policy on the same world, and which are
    /// on the front of (p99, amplification) and of (success rate, amplification).
    Profiles(ProfilesArgs),
}

/// `mock-server`: one world (a preset's endpoint and a seed) for every client.
#[derive(Debug, Args)]
pub struct MockServerArgs {
    /// The endpoint: a preset and knobs, as `run` builds it.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Seed of the world: the server draws as a simulated run of this seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The address to listen on; anything but loopback lets other machines in.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// The port to listen on (0: any free port, printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// How many of the last requests `/mock/_control/trace` keeps.
    #[arg(long, value_name = "N", default_value_t = mock_server::TRACE_KEEP_DEFAULT,
          value_parser = parse_trace_keep)]
    pub trace_keep: usize,
    /// The origin of a page allowed to read the server (CORS), e.g.
    /// https://example.org; repeatable [default: any loopback origin,
    /// http://127.0.0.1:PORT or http://localhost:PORT, as `cargo xtask serve`].
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
}

fn parse_trace_keep(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n <= mock_server::TRACE_KEEP_MAX => Ok(n),
        _ => Err(format!(
            "bad trace length `{text}`; expected 0 to {}",
            mock_server::TRACE_KEEP_MAX
        )),
    }
}

/// `steps`: a script of replies through one client.
#[derive(Debug, Args)]
pub struct StepsArgs {
    /// The policy and endpoint: a preset and knobs, as `run` builds them.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The replies, call by call (sets `endpoint.script`), e.g. `500,500,200;200`.
    #[arg(long, value_name = "SCRIPT")]
    pub script: String,
    /// Fix every jitter draw at U in [0, 1] (sets `jitter.draw`; 0 and 1 are the envelope's edges).
    #[arg(long, value_name = "U")]
    pub draw: Option<String>,
    /// Seed of the draws (and of the model's replies beyond the script).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StepsFormat::Json)]
    pub format: StepsFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StepsFormat {
    /// `{"steps": [{"call", "attempt", "reply", "decision", "delay_ms", "budget_tokens"}, ...]}`.
    Json,
    /// One row per attempt.
    Table,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// tenacity, urllib3, polly, polly-csharp, resilience4j, resilience4j-java,
    /// grpc, envoy, aws, ky, go-cenkalti or backon.
    #[arg(long, value_name = "TARGET")]
    pub target: String,
    /// The policy: a preset and knobs, as `run` builds it.
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// grpc, envoy, resilience4j or polly.
    #[arg(long, value_name = "FORMAT")]
    pub from: String,
    /// The file to read (`-` for stdin).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The most samples `plan` draws per retry.
pub const PLAN_SAMPLES_MAX: u32 = 1_000_000;

/// `plan`: the backoff schedule of a config (Retry-After and budgets aside).
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Start from this preset (see `playground presets`); without it, the defaults.
    #[arg(long, value_name = "ID")]
    pub preset: Option<String>,
    /// Set a knob by its dotted name, after the preset; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Draws per retry; sample k of retry n follows sample k of retry n-1, as in one call.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(PLAN_SAMPLES_MAX)))]
    pub samples: u32,
    /// Seed of the draws: the same seed gives the same plan.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Retries to plan [default: attempts.max - 1, or 50 when unlimited].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub retries: Option<u32>,
    /// Draw as after throttling failures (429, or 503 with Retry-After):
    /// `backoff.throttle_base_ms` replaces the base.
    #[arg(long)]
    pub throttled: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Json)]
    pub format: PlanFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// `{"formula": ..., "retries": [{"retry", "envelope_ms", "samples_ms"}, ...]}`.
    Json,
    /// `retry,sample,delay_ms,envelope_lo_ms,envelope_hi_ms`, one row per draw.
    Csv,
}

#[derive(Debug, Args)]
pub struct KnobsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = KnobsFormat::Table)]
    pub format: KnobsFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KnobsFormat {
    Table,
    /// A Markdown table (the one in crates/cli/README.md).
    Markdown,
}

/// How a run's config is built: `run`'s options, and `compare`'s for A.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Start from this preset (see `playground presets`); without it, the defaults.
    #[arg(long, value_name = "ID")]
    pub preset: Option<String>,
    /// Logical calls per client (sets `sim.calls`).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub calls: Option<String>,
    /// Concurrent clients (sets `sim.clients`).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub clients: Option<String>,
    /// Set a knob by its dotted name, after the preset, --calls and --clients;
    /// repeatable. `playground knobs` lists them.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Seed of the run: the same seed gives the same output.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write the full trace as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// How `run` prints a summary and `compare` a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Table,
}

/// The most seeds `compare` runs.
pub const COMPARE_SEEDS_MAX: u32 = 10_000;

/// `compare`: A is built like `run`'s config; B is a copy of A, then `--b-set`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A's config (B starts as a copy of it).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Set a knob of B only, after A's settings; repeatable.
    #[arg(long = "b-set", value_name = "KEY=VALUE")]
    pub b_set: Vec<String>,
    /// How many seeds: each runs A and B on the same world.
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(COMPARE_SEEDS_MAX)))]
    pub seeds: u32,
    /// The first seed; the seeds are S, S+1, ..., S+N-1.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Output format of the comparison.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `sweep`: A as `run` builds it (B: A then `--b-set`), the knob set at each value on both.
#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Set a knob of B only, after A's settings and the swept value; repeatable.
    #[arg(long = "b-set", value_name = "KEY=VALUE")]
    pub b_set: Vec<String>,
    /// The knob to sweep (`playground knobs` lists them).
    #[arg(long, value_name = "KEY")]
    pub knob: String,
    /// The first value of a numeric range.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub from: Option<f64>,
    /// The last value of a numeric range.
    #[arg(long, value_name = "Y", allow_negative_numbers = true)]
    pub to: Option<f64>,
    /// How many values from --from to --to (1 to 200).
    #[arg(long, value_name = "N")]
    pub steps: Option<u32>,
    /// Space the range's values by ratio, not difference.
    #[arg(long)]
    pub log: bool,
    /// The values, comma-separated, instead of a range (a choice knob without
    /// a range or values takes every choice).
    #[arg(long, value_name = "A,B,C")]
    pub values: Option<String>,
    /// How many seeds per value (the same seeds at every value).
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(COMPARE_SEEDS_MAX)))]
    pub seeds: u32,
    /// The first seed; the seeds are S, S+1, ..., S+N-1.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// The measures, comma-separated: summary figures or success_rate
    /// [default: latency_ms_p99,success_rate,amplification].
    #[arg(long, value_name = "M1,M2")]
    pub measures: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `profiles`: the world of `--preset` and `--set`, with each profile's client policy.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// How many seeds per profile (the same seeds for all).
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(COMPARE_SEEDS_MAX)))]
    pub seeds: u32,
    /// The first seed; the seeds are S, S+1, ..., S+N-1.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ContentionArgs {
    /// Comma-separated client counts [default: 10,20,...,190, the blog's].
    #[arg(long, value_name = "LIST", value_parser = parse_client_counts)]
    pub clients: Option<ClientCounts>,
    /// Runs averaged per client count and algorithm.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Backoff base, ms.
    #[arg(long, default_value_t = 5.0, value_parser = parse_ms, allow_negative_numbers = true)]
    pub base_ms: f64,
    /// Backoff cap, ms.
    #[arg(long, default_value_t = 2000.0, value_parser = parse_ms, allow_negative_numbers = true)]
    pub cap_ms: f64,
    /// Mean one-way network delay, ms.
    #[arg(long, default_value_t = 10.0, value_parser = parse_ms, allow_negative_numbers = true)]
    pub net_mean_ms: f64,
    /// Standard deviation of the one-way network delay, ms.
    #[arg(long, default_value_t = 2.0, value_parser = parse_ms, allow_negative_numbers = true)]
    pub net_sd_ms: f64,
    /// Seed of the study's generator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ContentionFormat::Csv)]
    pub format: ContentionFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ContentionFormat {
    Csv,
    Table,
}

/// A non-empty list of client counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCounts(pub Vec<u32>);

/// The most clients one contention cell may have.
pub const CONTENTION_CLIENTS_MAX: u32 = 100_000;

fn parse_client_counts(text: &str) -> Result<ClientCounts, String> {
    let expected = format!(
        "expected comma-separated client counts from 1 to {CONTENTION_CLIENTS_MAX}, e.g. 10,20,30"
    );
    if text.trim().is_empty() {
        return Err(format!("empty list; {expected}"));
    }
    text.split(',')
        .map(|part| match part.trim().parse::<u32>() {
            Ok(n) if (1..=CONTENTION_CLIENTS_MAX).contains(&n) => Ok(n),
            _ => Err(format!("bad client count `{part}`; {expected}")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(ClientCounts)
}

fn parse_ms(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("bad value `{text}`; expected a number of ms ≥ 0")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_counts_parse_and_refuse_bad_parts() {
        assert_eq!(
            parse_client_counts("10, 20,30"),
            Ok(ClientCounts(vec![10, 20, 30]))
        );
        for bad in ["", " ", "10,,20", "0", "x", "-5", "100001", "10,20,"] {
            assert!(parse_client_counts(bad).is_err(), "{bad:?}");
        }
        let err = parse_client_counts("10,abc").unwrap_err();
        assert!(err.contains("`abc`"), "{err}");
    }

    #[test]
    fn ms_values_are_finite_and_non_negative() {
        assert_eq!(parse_ms("2.5"), Ok(2.5));
        for bad in ["-1", "nan", "inf", "x", ""] {
            assert!(parse_ms(bad).is_err(), "{bad:?}");
        }
    }
}
