//! Python (requests + tenacity): the fixes a user would otherwise copy
//! (per-call decorrelated wait, only the enabled rules, named imports).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use export::{export, Target};
use policy::PolicyConfig;

/// The document, and its code without the notes' comment block.
fn python(policy: &PolicyConfig) -> String {
    export(Target::Tenacity, policy).text
}

fn body(policy: &PolicyConfig) -> String {
    let text = python(policy);
    let (_, code) = text
        .split_once("\n\n")
        .expect("a comment block, then the code");
    code.to_string()
}

#[test]
fn python_states_the_policy() {
    let preset = flaky::presets::find("circuit-breaker").expect("the preset");
    let mut policy = preset.config.policy.clone();
    policy.set("jitter.kind", "full").expect("set");
    let python = python(&policy);
    assert!(python.contains("stop_after_attempt(2)"), "{python}");
    assert!(
        python.contains("wait_random_exponential(multiplier=0.1, exp_base=2, max=60)"),
        "{python}"
    );
    assert!(
        python.contains("pybreaker.CircuitBreaker(fail_max=4, reset_timeout=2)"),
        "{python}"
    );
    let default = self::python(&PolicyConfig::default());
    assert!(
        default.contains("wait_exponential(multiplier=1, exp_base=2, max=60)"),
        "the seed's 2 ** attempt: {default}"
    );
    assert!(default.contains("timeout=5,"), "{default}");
}

#[test]
fn every_preset_exports_a_retry() {
    for preset in flaky::presets::all().expect("the presets") {
        let python = python(&preset.config.policy);
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
    let python = python(&policy);
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
    let python = python(&policy);
    // The previous sleep is per call (on tenacity's RetryCallState), never
    // one object shared by every call.
    assert!(python.contains("def decorrelated(base, cap):"), "{python}");
    assert!(
        python.contains("getattr(rs, 'decorrelated_previous', base)"),
        "{python}"
    );
    assert!(
        python.contains("decorrelated(base=1, cap=60)),"),
        "{python}"
    );
    assert!(!python.contains("class Decorrelated"), "{python}");
}

#[test]
fn python_writes_only_the_rules_the_config_turns_on_and_imports_by_name() {
    let default = body(&PolicyConfig::default());
    assert!(!default.contains("import *"), "{default}");
    assert!(
        default.starts_with("import requests\nfrom tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential\n"),
        "{default}"
    );
    for leftover in ["and True", "and False", "OVERRIDES", "random", "uuid"] {
        assert!(!default.contains(leftover), "`{leftover}` in {default}");
    }
    assert!(
        default.contains("return 500 <= status <= 599\n"),
        "{default}"
    );
    assert!(
        default.contains("if status == 409 and 'Idempotency-Key'"),
        "{default}"
    );

    let mut policy = PolicyConfig::default();
    for (k, v) in [
        ("retry.in_flight_409", "false"),
        ("retry.status_5xx", "false"),
        ("retry.status.503", "true"),
        ("idempotency.key", "true"),
    ] {
        policy.set(k, v).expect("set");
    }
    let python = body(&policy);
    assert!(!python.contains("status == 409"), "{python}");
    assert!(python.contains("OVERRIDES = {503: True}"), "{python}");
    assert!(python.contains("return False\n"), "{python}");
    assert!(python.starts_with("import uuid, requests\n"), "{python}");
}

/// Every preset's export is Python that parses (python3 is on every machine
/// of this project's kind; its absence fails the test, loudly).
#[test]
fn every_presets_python_parses() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    for preset in flaky::presets::all().expect("the presets") {
        let python = python(&preset.config.policy);
        let mut child = Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(sys.stdin.read())"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 is needed to check the export: {e}"));
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(python.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("python3 ran");
        assert!(
            out.status.success(),
            "{}: {}\n{python}",
            preset.id,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
