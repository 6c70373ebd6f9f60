//! Rendering: summaries, knobs and contention results as text. Pure functions
//! from data to `String`, so every format is deterministic.

use std::fmt::Write as _;

use flaky::contention::ContentionResult;
use flaky::layers::LAYER_KNOB;
use flaky::scenario::RunKnobs;
use flaky::sim::{self, RunConfig, Summary};
pub use flaky::trace::Figure;
use policy::config::STATUS_OVERRIDE_KNOB;
use policy::knob::{KnobKind, KnobSpec};
use policy::GaveUp;

/// Every give-up reason, so the CSV has the same columns whatever happened.
const GAVE_UP_REASONS: [GaveUp; 10] = [
    GaveUp::AttemptsExhausted,
    GaveUp::DeadlineExceeded,
    GaveUp::BudgetExhausted,
    GaveUp::BreakerOpen,
    GaveUp::NonRetryable { status: 0 },
    GaveUp::NetworkErrorNotRetried,
    GaveUp::TimeoutNotRetried,
    GaveUp::UnkeyedNonIdempotent,
    GaveUp::ThrottledLocally,
    GaveUp::BulkheadFull,
];

/// Every figure of a summary in `Summary`'s field order (see [`Summary::figures`]).
pub fn summary_figures(s: &Summary) -> Vec<(&'static str, Figure)> {
    s.figures()
}

/// The summary as `(name, value)` rows in `Summary`'s field order; `gave_up`
/// becomes one `gave_up.<Reason>` row per reason, every reason always there.
pub fn summary_rows(s: &Summary) -> Vec<(String, String)> {
    let mut reasons: Vec<&str> = GAVE_UP_REASONS.iter().map(sim::gave_up_name).collect();
    for extra in s.gave_up.keys() {
        if !reasons.contains(&extra.as_str()) {
            reasons.push(extra);
        }
    }
    let mut rows = Vec::new();
    for (name, figure) in summary_figures(s) {
        if name != "gave_up" {
            rows.push((name.to_string(), figure.to_string()));
            continue;
        }
        for reason in &reasons {
            let n = s.gave_up.get(*reason).copied().unwrap_or(0);
            rows.push((format!("gave_up.{reason}"), n.to_string()));
        }
    }
    rows
}

/// Two lines: the header and the values.
pub fn summary_csv(s: &Summary) -> String {
    let rows = summary_rows(s);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    let values: Vec<&str> = rows.iter().map(|(_, v)| v.as_str()).collect();
    format!("{}\n{}\n", names.join(","), values.join(","))
}

/// A title line, then one aligned `name value` line per figure.
pub fn summary_table(title: &str, s: &Summary) -> String {
    let rows = summary_rows(s);
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = format!("{title}\n");
    for (name, value) in rows {
        let value = if name == "amplification" {
            format!("{:.2}", s.amplification)
        } else {
            value
        };
        let _ = writeln!(out, "  {name:<width$}  {value}");
    }
    out
}

/// A knob's values in words: `0..=1000`, `0..=1 (real)`, `true|false`, `a|b|c`.
pub fn knob_values(spec: &KnobSpec) -> String {
    match spec.kind {
        KnobKind::Int { min, max } => format!("{min}..={max}"),
        KnobKind::Float { min, max } => format!("{min}..={max} (real)"),
        KnobKind::Bool => "true|false".to_string(),
        KnobKind::Choice(names) => names.join("|"),
        KnobKind::List { syntax } => format!("list of {syntax}, or none"),
        KnobKind::Text { syntax } => format!("{syntax}, or none"),
    }
}

/// Every knob `--set` accepts, with its default value as text: the knobs of
/// `knobs`, with the dynamic `retry.status.NNN` after the policy's and the
/// dynamic `layer.N.*` family last (both `default`).
pub fn knob_rows(knobs: &RunKnobs) -> Vec<(&'static KnobSpec, String)> {
    let defaults = RunConfig::default();
    let mut rows: Vec<(&'static KnobSpec, String)> =
        knobs.iter().map(|k| (k.spec(), k.get(&defaults))).collect();
    let dynamic_default = || "default".to_string();
    rows.insert(
        knobs.policy.len(),
        (&STATUS_OVERRIDE_KNOB, dynamic_default()),
    );
    rows.push((&LAYER_KNOB, dynamic_default()));
    rows
}

/// Every knob, one aligned line each, with its default value.
pub fn knobs_table() -> String {
    knobs_table_in(&RunKnobs::STANDARD)
}

/// [`knobs_table`] of the knobs of `knobs`.
pub fn knobs_table_in(knobs: &RunKnobs) -> String {
    let rows: Vec<[String; 5]> = knob_rows(knobs)
        .into_iter()
        .map(|(k, default)| {
            [
                k.name.to_string(),
                knob_values(k),
                k.unit.to_string(),
                default,
                k.help.to_string(),
            ]
        })
        .collect();
    let header = ["knob", "values", "unit", "default", "help"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter().zip(row) {
            let pad = w - cell.chars().count();
            let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
        }
        let _ = writeln!(out, "{}", row[4]);
    }
    out
}

/// Every knob as a Markdown table.
pub fn knobs_markdown() -> String {
    knobs_markdown_in(&RunKnobs::STANDARD)
}

/// [`knobs_markdown`] of the knobs of `knobs`.
pub fn knobs_markdown_in(knobs: &RunKnobs) -> String {
    let mut out =
        String::from("| knob | values | unit | default | help |\n|---|---|---|---|---|\n");
    for (k, default) in knob_rows(knobs) {
        let cell = |s: &str| s.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            k.name,
            cell(&knob_values(k)),
            cell(k.unit),
            cell(&default),
            cell(k.help)
        );
    }
    out
}

/// The study's CSV: `clients,time_ms,calls,algorithm`.
pub fn contention_csv(results: &[ContentionResult]) -> String {
    let mut out = String::from("clients,time_ms,calls,algorithm\n");
    for r in results {
        let _ = writeln!(
            out,
            "{},{},{},{}",
            r.clients, r.time_ms, r.calls, r.algorithm
        );
    }
    out
}

/// The study as an aligned table.
pub fn contention_table(results: &[ContentionResult]) -> String {
    let mut out = format!(
        "{:>8}  {:<12}  {:>12}  {:>12}\n",
        "clients", "algorithm", "calls", "time_ms"
    );
    for r in results {
        let _ = writeln!(
            out,
            "{:>8}  {:<12}  {:>12.1}  {:>12.1}",
            r.clients,
            r.algorithm.name(),
            r.calls,
            r.time_ms
        );
    }
    out
}
