//! The policy, copied out: the command rebuilds the config; Python states the policy.

use app_core::{export, url};
use flaky::sim::RunConfig;
use policy::PolicyConfig;

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
fn the_cli_export_reproduces_the_config_and_python_states_the_policy() {
    let (mut settings, _) = url::parse("?preset=circuit-breaker");
    settings.config.set("jitter.kind", "full").expect("set");
    let cli = export::cli_command(&settings.config, 9);
    assert!(cli.contains("--seed 9"), "{cli}");
    assert_eq!(
        rebuild(&cli),
        settings.config,
        "the command's --set list rebuilds the config"
    );

    let python = export::python(&settings.config.policy);
    assert!(python.contains("stop_after_attempt(2)"), "{python}");
    assert!(
        python.contains("wait_random_exponential(multiplier=0.1, exp_base=2, max=60)"),
        "{python}"
    );
    assert!(
        python.contains("pybreaker.CircuitBreaker(fail_max=4, reset_timeout=2)"),
        "{python}"
    );
    let default = export::python(&PolicyConfig::default());
    assert!(
        default.contains("wait_exponential(multiplier=1, exp_base=2, max=60)"),
        "the seed's 2 ** attempt: {default}"
    );
    assert!(default.contains("timeout=5,"), "{default}");
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
        let python = export::python(&preset.config.policy);
        assert!(python.contains("@retry("), "{}: {python}", preset.id);
    }
}

#[test]
fn python_names_what_tenacity_cannot_do() {
    let mut policy = PolicyConfig::default();
    policy.set("attempts.max", "0").expect("set");
    policy.set("attempts.deadline_ms", "0").expect("set");
    policy.set("attempts.timeout_ms", "0").expect("set");
    policy.set("budget.kind", "token_bucket").expect("set");
    policy.set("idempotency.key", "true").expect("set");
    let python = export::python(&policy);
    assert!(python.contains("stop=stop_never"), "{python}");
    assert!(python.contains("storm anti-pattern"), "{python}");
    assert!(python.contains("timeout=None"), "{python}");
    assert!(python.contains("Retry budget (token bucket)"), "{python}");
    assert!(python.contains("uuid.uuid4().hex"), "{python}");
}

#[test]
fn decorrelated_jitter_exports_its_own_wait() {
    let mut policy = PolicyConfig::default();
    policy.set("jitter.kind", "decorrelated").expect("set");
    let python = export::python(&policy);
    assert!(python.contains("class Decorrelated"), "{python}");
    assert!(python.contains("Decorrelated(base=1, cap=60)"), "{python}");
}
