//! The run, copied out: the command rebuilds the config.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use app_core::{export, url};
use flaky::sim::RunConfig;

/// The config a `cli_command`'s `--set` list gives when applied to the defaults.
fn rebuild(cli: &str) -> RunConfig {
    let mut rebuilt = RunConfig::default();
    for line in cli.split("--set ").skip(1) {
        let pair = line.trim_end_matches([' ', '\\', '\n']);
        let (k, v) = pair.split_once('=').expect("k=v");
        rebuilt.set(k, v).expect("a valid knob");
    }
    rebuilt
}

#[test]
fn the_cli_export_reproduces_the_config() {
    let (mut settings, _) = url::parse("?preset=circuit-breaker");
    settings.config.set("jitter.kind", "full").expect("set");
    let cli = export::cli_command(&settings.config, 9);
    assert!(cli.contains("--seed 9"), "{cli}");
    assert_eq!(
        rebuild(&cli),
        settings.config,
        "the command's --set list rebuilds the config"
    );
}

#[test]
fn the_default_config_exports_as_a_bare_command() {
    assert_eq!(
        export::cli_command(&RunConfig::default(), 42),
        "cargo run -p cli -- run --seed 42"
    );
}

#[test]
fn every_preset_exports_to_a_command_that_rebuilds_it() {
    for preset in flaky::presets::all().expect("the presets") {
        let cli = export::cli_command(&preset.config, 1);
        assert_eq!(rebuild(&cli), preset.config, "{}: {cli}", preset.id);
    }
}
