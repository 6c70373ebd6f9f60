//! `playground`: the simulator (one run, or two configs compared over many
//! seeds) and the contention study, headless.
//!
//! Exit status: 0 on success, 2 on bad input (clap's usage errors and ours:
//! unknown preset or knob, a value out of range), 1 when writing output fails.
//! Nothing here panics on any input: every user value goes through a parser
//! that returns an error naming it and what would have been valid.

#[cfg(test)]
mod added_knob;
mod args;
mod compare;
mod mock_server;
mod output;
mod plan;
mod profiles;
mod steps;
mod sweep;
mod take_home;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use flaky::contention::{self, ContentionConfig};
use flaky::engine::EngineOptions;
use flaky::presets;
use flaky::sim::{self, RunConfig};

use args::{
    Cli, Command, CompareArgs, ConfigArgs, ContentionArgs, ContentionFormat, Format, KnobsFormat,
    PlanArgs, PlanFormat, RunArgs,
};

/// The most logical calls (`sim.clients × sim.calls`) a run with `--trace`
/// may have: a trace of more would not fit in memory (a summary needs memory
/// only per client, so a run without `--trace` may have as many as the knobs allow).
const TRACE_CALLS_MAX: u64 = 1_000_000;

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input: exit status 2.
    Input(String),
    /// Output could not be written: exit status 1.
    Io(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Presets => list_presets(),
        Command::Knobs(a) => Ok(match a.format {
            KnobsFormat::Table => output::knobs_table(),
            KnobsFormat::Markdown => output::knobs_markdown(),
        }),
        Command::Run(a) => run(&a),
        Command::Compare(a) => run_compare(&a),
        Command::Contention(a) => run_contention(&a),
        Command::Export(a) => take_home::export(&a),
        Command::Import(a) => take_home::import(&a),
        Command::Plan(a) => run_plan(&a),
        Command::MockServer(a) => mock_server::serve(&a),
        Command::Steps(a) => run_steps(&a),
        Command::Sweep(a) => sweep::sweep(&a),
        Command::Profiles(a) => profiles::profiles(&a),
    };
    match result.and_then(|text| print(&text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Io(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Writes to stdout; a closed pipe (`playground knobs | head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Io(format!("cannot write to stdout: {e}"))),
    }
}

fn list_presets() -> Result<String, Failure> {
    let all = presets::all().map_err(Failure::Io)?;
    let width = all.iter().map(|p| p.id.len()).max().unwrap_or(0);
    Ok(all
        .iter()
        .map(|p| format!("{:<width$}  {}\n", p.id, p.title))
        .collect())
}

/// A config as `run` builds it, with what it started from (for titles).
pub(crate) struct Built {
    pub config: RunConfig,
    /// The preset's config, or the defaults.
    start: RunConfig,
    /// `preset ID (title)` or `defaults`.
    origin: String,
}

/// The config `run` would use: defaults or the preset, then `--calls`,
/// `--clients` and every `--set` in order; validated.
pub(crate) fn run_config(a: &ConfigArgs) -> Result<Built, Failure> {
    let (start, origin) = match &a.preset {
        Some(id) => {
            let preset = presets::find(id).map_err(Failure::Input)?;
            let origin = format!("preset {} ({})", preset.id, preset.title);
            (preset.config, origin)
        }
        None => (RunConfig::default(), "defaults".to_string()),
    };
    let mut config = start.clone();
    let shortcuts = [
        ("--calls", "sim.calls", &a.calls),
        ("--clients", "sim.clients", &a.clients),
    ];
    for (flag, knob, value) in shortcuts {
        if let Some(value) = value {
            config
                .set(knob, value)
                .map_err(|e| Failure::Input(format!("{flag}: {e}")))?;
        }
    }
    apply_sets(&mut config, "--set", &a.set)?;
    config
        .validate()
        .map_err(|e| Failure::Input(format!("invalid configuration: {e}")))?;
    Ok(Built {
        config,
        start,
        origin,
    })
}

/// The seeds `first`, `first + 1`, ..., `count` of them.
pub(crate) fn seed_list(first: u64, count: u32) -> Result<Vec<u64>, Failure> {
    let last = first
        .checked_add(u64::from(count).saturating_sub(1))
        .ok_or_else(|| {
            Failure::Input(format!(
                "--seed {first} with --seeds {count}: the last seed would pass {}",
                u64::MAX
            ))
        })?;
    Ok((first..=last).collect())
}

/// Applies `KEY=VALUE` assignments in order; `flag` names the option in errors.
pub(crate) fn apply_sets(
    config: &mut RunConfig,
    flag: &str,
    assignments: &[String],
) -> Result<(), Failure> {
    for assignment in assignments {
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(Failure::Input(format!(
                "{flag} `{assignment}`: expected KEY=VALUE, e.g. {flag} backoff.base_ms=200 (`playground knobs` lists the keys)"
            )));
        };
        config
            .set(name.trim(), value)
            .map_err(|e| Failure::Input(format!("{flag} `{assignment}`: {e}")))?;
    }
    Ok(())
}

/// `name=value, ...`.
fn knob_list(knobs: &[(String, String)]) -> String {
    let parts: Vec<String> = knobs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(", ")
}

fn run(a: &RunArgs) -> Result<String, Failure> {
    let Built { config, origin, .. } = run_config(&a.config)?;
    let title = format!("{origin}, seed {}", a.seed);
    let calls = u64::from(config.scenario.clients) * u64::from(config.scenario.calls_per_client);
    if a.trace.is_some() && calls > TRACE_CALLS_MAX {
        return Err(Failure::Input(format!(
            "sim.clients × sim.calls = {calls} calls; --trace writes at most {TRACE_CALLS_MAX} \
             (without --trace, any number runs: the summary needs memory per client only)"
        )));
    }
    let options = match a.trace {
        Some(_) => EngineOptions::FULL,
        None => EngineOptions::lanes(0),
    };
    let trace = sim::run_with(&config, a.seed, options);
    if let Some(path) = &a.trace {
        let shown = path.display();
        let file = std::fs::File::create(path)
            .map_err(|e| Failure::Io(format!("cannot create trace file `{shown}`: {e}")))?;
        let mut writer = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut writer, &trace)
            .map_err(|e| Failure::Io(format!("cannot write trace file `{shown}`: {e}")))?;
        writer
            .flush()
            .map_err(|e| Failure::Io(format!("cannot write trace file `{shown}`: {e}")))?;
    }
    let summary = trace.summary();
    Ok(match a.format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&summary)
                .map_err(|e| Failure::Io(format!("cannot serialise the summary: {e}")))?;
            json.push('\n');
            json
        }
        Format::Csv => output::summary_csv(&summary),
        Format::Table => output::summary_table(&title, &summary),
    })
}

/// A and B over `--seeds` seeds: A as `run` builds it, B a copy of A with
/// every `--b-set` applied.
fn run_compare(a: &CompareArgs) -> Result<String, Failure> {
    let Built {
        config: config_a,
        start,
        origin,
    } = run_config(&a.config)?;
    let mut config_b = config_a.clone();
    apply_sets(&mut config_b, "--b-set", &a.b_set)?;
    config_b
        .validate()
        .map_err(|e| Failure::Input(format!("invalid configuration of B (after --b-set): {e}")))?;
    let seeds = seed_list(a.seed, a.seeds)?;
    let last = seeds.last().copied().unwrap_or(a.seed);
    let rows = compare::rows(&compare::run_pairs(&config_a, &config_b, &seeds));
    Ok(match a.format {
        Format::Json => compare::json(&rows, a.seeds),
        Format::Csv => compare::csv(&rows),
        Format::Table => {
            let a_knobs = config_a.knobs_differing_from(&start);
            let b_knobs = config_b.knobs_differing_from(&config_a);
            let heading = [
                if a_knobs.is_empty() {
                    format!("A: {origin}")
                } else {
                    format!("A: {origin} with {}", knob_list(&a_knobs))
                },
                if b_knobs.is_empty() {
                    "B: the same as A".to_string()
                } else {
                    format!("B: A with {}", knob_list(&b_knobs))
                },
                format!(
                    "{} seeds ({}..={last}), A and B on the same world per seed; mean [95% interval]",
                    a.seeds, a.seed
                ),
            ];
            compare::table(&heading, &rows)
        }
    })
}

fn run_plan(a: &PlanArgs) -> Result<String, Failure> {
    let built = run_config(&ConfigArgs {
        preset: a.preset.clone(),
        calls: None,
        clients: None,
        set: a.set.clone(),
    })?;
    let policy = &built.config.policy;
    let retries = a.retries.unwrap_or_else(|| plan::default_retries(policy));
    if u64::from(retries) * u64::from(a.samples) > plan::DRAWS_MAX {
        return Err(Failure::Input(format!(
            "--samples {} × {retries} retries = {} draws; a plan draws at most {} (lower --samples or --retries)",
            a.samples,
            u64::from(retries) * u64::from(a.samples),
            plan::DRAWS_MAX
        )));
    }
    let planned = plan::plan(policy, retries, a.samples, a.seed, a.throttled);
    Ok(match a.format {
        PlanFormat::Json => plan::json(policy, &planned),
        PlanFormat::Csv => plan::csv(&planned),
    })
}

fn run_contention(a: &ContentionArgs) -> Result<String, Failure> {
    let clients = match &a.clients {
        Some(list) => list.0.clone(),
        None => contention::blog_client_counts(),
    };
    let config = ContentionConfig {
        clients: 0,
        runs: a.runs,
        base_ms: a.base_ms,
        cap_ms: a.cap_ms,
        net_mean_ms: a.net_mean_ms,
        net_sd_ms: a.net_sd_ms,
        seed: a.seed,
    };
    let results = contention::sweep(&clients, &config);
    Ok(match a.format {
        ContentionFormat::Csv => output::contention_csv(&results),
        ContentionFormat::Table => output::contention_table(&results),
    })
}

/// `playground steps`: `--script` and `--draw` are set after the preset and every `--set`.
fn run_steps(a: &args::StepsArgs) -> Result<String, Failure> {
    let mut config = run_config(&a.config)?.config;
    config
        .set("endpoint.script", &a.script)
        .map_err(|e| Failure::Input(format!("--script: {e}")))?;
    if let Some(u) = &a.draw {
        config
            .set("jitter.draw", u)
            .map_err(|e| Failure::Input(format!("--draw: {e}")))?;
    }
    let entries = steps::steps(&config, a.seed);
    Ok(match a.format {
        args::StepsFormat::Json => steps::to_json(&entries),
        args::StepsFormat::Table => steps::to_table(&entries),
    })
}
