//! `playground`: the simulator and the contention study, headless.
//!
//! Exit status: 0 on success, 2 on bad input (clap's usage errors and ours:
//! unknown preset or knob, a value out of range), 1 when writing output fails.
//! Nothing here panics on any input: every user value goes through a parser
//! that returns an error naming it and what would have been valid.

mod args;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use flaky::contention::{self, ContentionConfig};
use flaky::engine::EngineOptions;
use flaky::presets;
use flaky::sim::{self, RunConfig};

use args::{Cli, Command, ContentionArgs, ContentionFormat, KnobsFormat, RunArgs, RunFormat};

/// The most logical calls (`sim.clients × sim.calls`) a run with `--trace`
/// may have: a trace of more would not fit in memory (a summary needs memory
/// only per client, so a run without `--trace` may have as many as the knobs allow).
const TRACE_CALLS_MAX: u64 = 1_000_000;

/// Why a command failed.
#[derive(Debug)]
enum Failure {
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
        Command::Contention(a) => run_contention(&a),
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

/// The config `run` would use: defaults or the preset, then `--calls`,
/// `--clients` and every `--set` in order.
fn run_config(a: &RunArgs) -> Result<(RunConfig, String), Failure> {
    let (mut config, title) = match &a.preset {
        Some(id) => {
            let preset = presets::find(id).map_err(Failure::Input)?;
            let title = format!("preset {} ({}), seed {}", preset.id, preset.title, a.seed);
            (preset.config, title)
        }
        None => (RunConfig::default(), format!("defaults, seed {}", a.seed)),
    };
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
    for assignment in &a.set {
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(Failure::Input(format!(
                "--set `{assignment}`: expected KEY=VALUE, e.g. --set backoff.base_ms=200 (`playground knobs` lists the keys)"
            )));
        };
        config
            .set(name.trim(), value)
            .map_err(|e| Failure::Input(format!("--set `{assignment}`: {e}")))?;
    }
    config
        .validate()
        .map_err(|e| Failure::Input(format!("invalid configuration: {e}")))?;
    Ok((config, title))
}

fn run(a: &RunArgs) -> Result<String, Failure> {
    let (config, title) = run_config(a)?;
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
        RunFormat::Json => {
            let mut json = serde_json::to_string_pretty(&summary)
                .map_err(|e| Failure::Io(format!("cannot serialise the summary: {e}")))?;
            json.push('\n');
            json
        }
        RunFormat::Csv => output::summary_csv(&summary),
        RunFormat::Table => output::summary_table(&title, &summary),
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
