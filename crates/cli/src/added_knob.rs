//! A knob added to a table shows in every consumer: the CLI's list, the
//! page's URL, validation and the page's knob groups. Each of them takes a
//! [`RunKnobs`], so a table with one more entry is all it takes.

use app_core::state::Settings;
use app_core::{url, view};
use flaky::scenario::RunKnobs;
use flaky::sim::ScenarioConfig;
use policy::knob::Knob;

use crate::output;

const ADDED: &str = "sim.think_ms";

/// The standard tables plus `sim.think_ms`: a second name for the pause
/// between a client's calls (`sim.call_gap_ms`), at most 100 ms, that
/// matters only with more than one call per client.
fn with_added_knob() -> RunKnobs {
    let added = Knob::<ScenarioConfig>::int(
        ADDED,
        0,
        100,
        "ms",
        "a client's pause between calls, for this test",
        |c| c.call_gap_ms,
        |c, v| c.call_gap_ms = v,
    )
    .active_when(|c| c.calls_per_client > 1);
    let scenario: Vec<Knob<ScenarioConfig>> = ScenarioConfig::KNOBS
        .iter()
        .copied()
        .chain([added])
        .collect();
    RunKnobs {
        scenario: Vec::leak(scenario),
        ..RunKnobs::STANDARD
    }
}

#[test]
fn the_cli_lists_it_with_its_range_unit_and_default() {
    let knobs = with_added_knob();
    let table = output::knobs_table_in(&knobs);
    let line = table
        .lines()
        .find(|l| l.starts_with(ADDED))
        .unwrap_or_else(|| panic!("{ADDED} not listed:\n{table}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[..4], [ADDED, "0..=100", "ms", "0"], "{line}");
    assert!(output::knobs_markdown_in(&knobs).contains("| `sim.think_ms` | 0..=100 | ms | 0 |"));
    assert!(
        !output::knobs_table().contains(ADDED),
        "only in the extended table"
    );
}

#[test]
fn the_url_writes_and_reads_it_and_names_a_bad_value() {
    let knobs = with_added_knob();
    let mut settings = Settings::default();
    settings.config.scenario.call_gap_ms = 42;
    let query = url::to_query_with(&settings, &knobs);
    assert!(query.contains("sim.think_ms=42"), "{query}");
    let (read, errors) = url::parse_with("?sim.think_ms=42", &knobs);
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(read.config.scenario.call_gap_ms, 42);
    let (round_trip, errors) = url::parse_with(&query, &knobs);
    assert_eq!((round_trip.config, errors), (settings.config, vec![]));

    let (_, errors) = url::parse_with("?sim.think_ms=101", &knobs);
    assert_eq!(
        errors,
        ["`sim.think_ms=101`: expected an integer from 0 to 100"]
    );
    let (_, errors) = url::parse("?sim.think_ms=42");
    assert_eq!(errors, ["`sim.think_ms`: unknown parameter"]);
}

#[test]
fn validation_checks_its_range() {
    let knobs = with_added_knob();
    let mut config = flaky::sim::RunConfig::default();
    config.scenario.call_gap_ms = 500;
    let problem = knobs.validate(&config).unwrap_err();
    assert!(
        problem.contains("sim.think_ms") && problem.contains("from 0 to 100"),
        "{problem}"
    );
    assert_eq!(
        RunKnobs::STANDARD.validate(&config),
        Ok(()),
        "sim.call_gap_ms allows 500"
    );
}

#[test]
fn the_page_shows_it_in_a_group_dimmed_until_it_matters() {
    let knobs = with_added_knob();
    let groups = view::scenario_groups_in(&knobs);
    let added = groups
        .iter()
        .flat_map(|g| &g.knobs)
        .find(|k| k.name == ADDED)
        .unwrap_or_else(|| panic!("{ADDED} in no group"));
    let mut config = flaky::sim::RunConfig::default();
    assert!(!added.is_active(&config), "one call per client: no pause");
    config.scenario.calls_per_client = 2;
    assert!(added.is_active(&config));
    config.scenario.call_gap_ms = 7;
    assert_eq!(added.get(&config), "7");
    assert!(!view::scenario_groups()
        .iter()
        .flat_map(|g| &g.knobs)
        .any(|k| k.name == ADDED));
}
