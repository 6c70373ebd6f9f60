//! `cargo xtask test`: setup, then the native, wasm and end-to-end layers.

use crate::proc::{self, show};
use crate::setup::{self, CHROMEDRIVER};
use crate::{Ctx, Layer, Result};
use std::time::Instant;

/// Packages whose tests also run on wasm32 in headless Chromium.
const WASM_PACKAGES: [&str; 4] = ["policy", "flaky", "live", "resilience-playground"];
/// The root package is the wasm app: it has no native test layer.
const APP_PACKAGE: &str = "resilience-playground";

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

pub fn test(ctx: &Ctx, only: &[Layer]) -> Result<()> {
    let start = Instant::now();
    setup::setup(ctx, setup::Scope::All)?;
    let layers: Vec<Layer> = Layer::ALL
        .into_iter()
        .filter(|l| only.is_empty() || only.contains(l))
        .collect();
    let mut done: Vec<(Layer, Counts)> = Vec::new();
    let mut failure = None;
    for layer in layers {
        println!("\n==> test layer: {}", layer.name());
        let layer_start = Instant::now();
        let mut counts = Counts::default();
        let outcome = match layer {
            Layer::Lint => lint(ctx, &mut counts),
            Layer::Native => native(ctx, &mut counts),
            Layer::Conformance => crate::conformance::run(ctx, &mut counts),
            Layer::Wasm => wasm(ctx, &mut counts),
            Layer::E2e => e2e(ctx, &mut counts),
        }
        .and_then(|()| {
            if counts.failed > 0 {
                Err(format!("{} test(s) failed", counts.failed))
            } else if counts.passed == 0 {
                Err("ran no tests at all (a layer that runs nothing fails)".to_owned())
            } else {
                Ok(())
            }
        });
        println!(
            "==> test layer {}: {} in {:.1} s",
            layer.name(),
            if outcome.is_ok() { "ok" } else { "FAILED" },
            layer_start.elapsed().as_secs_f64()
        );
        done.push((layer, counts));
        if let Err(e) = outcome {
            failure = Some(format!("{} layer: {e}", layer.name()));
            break;
        }
    }
    println!();
    if let Some(f) = &failure {
        eprintln!("xtask test: FAILED: {f}");
    } else {
        println!(
            "xtask test: all layers passed in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
    // The closing lines: exactly one per layer that ran.
    for (layer, c) in &done {
        println!("{}: {} passed, {} failed", layer.name(), c.passed, c.failed);
    }
    match failure {
        Some(_) => Err(String::new()),
        None => Ok(()),
    }
}

/// Packages built only for the browser: clippy checks them for wasm32 too.
const BROWSER_PACKAGES: [&str; 4] = [APP_PACKAGE, "live", "run-worker", "mock-sw"];

/// The lint layer: each check is one "test" (formatting; clippy on the
/// native workspace; clippy on the browser crates for wasm32), all run,
/// each named when it fails.
fn lint(ctx: &Ctx, counts: &mut Counts) -> Result<()> {
    let mut checks: Vec<(&str, std::process::Command)> = Vec::new();
    let mut fmt = proc::command(&ctx.cargo, &ctx.root);
    fmt.args(["fmt", "--all", "--check"]);
    checks.push(("cargo fmt --check", fmt));
    let mut native = proc::command(&ctx.cargo, &ctx.root);
    native.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    checks.push(("clippy (native, all targets)", native));
    let mut wasm = proc::command(&ctx.cargo, &ctx.root);
    wasm.args(["clippy", "--target", setup::WASM_TARGET]);
    for package in BROWSER_PACKAGES {
        wasm.args(["-p", package]);
    }
    wasm.args(["--all-targets", "--", "-D", "warnings"]);
    checks.push(("clippy (wasm32, browser crates)", wasm));
    let mut failed = Vec::new();
    for (name, mut cmd) in checks {
        println!("--> {name}: {}", show(&cmd));
        match proc::run(&mut cmd) {
            Ok(()) => counts.passed += 1,
            Err(e) => {
                counts.failed += 1;
                failed.push(format!("{name}: {e}"));
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

fn native(ctx: &Ctx, counts: &mut Counts) -> Result<()> {
    let mut cmd = proc::command(&ctx.cargo, &ctx.root);
    cmd.args(["test", "--workspace", "--exclude", APP_PACKAGE]);
    run_cargo_test(&mut cmd, counts)
}

/// `cargo test --target wasm32-unknown-unknown -p PACKAGE` set up to run in
/// headless Chromium (also used by `cargo xtask bench` for the wasm storm).
pub fn wasm_test_command(ctx: &Ctx, package: &str) -> Result<std::process::Command> {
    let webdriver_json = ctx.root.join("webdriver.json");
    if !webdriver_json.is_file() {
        return Err(format!("{} is missing", webdriver_json.display()));
    }
    let chromedriver = std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| CHROMEDRIVER.into());
    let mut cmd = proc::command(&ctx.cargo, &ctx.root);
    cmd.args(["test", "--target", setup::WASM_TARGET, "-p", package])
        .env("CHROMEDRIVER", &chromedriver)
        // Cargo runs each test binary from its package directory; an absolute
        // path lets the runner find the root webdriver.json from every package.
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &webdriver_json)
        // Tests that do not ask for a browser would otherwise run in Node.js.
        .env("WASM_BINDGEN_USE_BROWSER", "1")
        // The property tests run thousands of cases in the browser.
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300");
    Ok(cmd)
}

fn wasm(ctx: &Ctx, counts: &mut Counts) -> Result<()> {
    for package in WASM_PACKAGES {
        println!("--> wasm tests of {package}");
        let mut cmd = wasm_test_command(ctx, package)?;
        cmd.arg("--tests");
        let mut package_counts = Counts::default();
        let result = run_cargo_test(&mut cmd, &mut package_counts);
        counts.add(package_counts);
        result?;
        if package_counts.passed == 0 {
            println!("--> {package}: no wasm tests (yet)");
        }
    }
    Ok(())
}

pub fn run_cargo_test(cmd: &mut std::process::Command, counts: &mut Counts) -> Result<()> {
    let (status, text) = proc::run_tee(cmd)?;
    *counts = parse_cargo(&text);
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(cmd)))
    }
}

fn e2e(ctx: &Ctx, counts: &mut Counts) -> Result<()> {
    let mut build = proc::command("trunk", &ctx.root);
    build.args(["build", "--release"]);
    proc::run(&mut build)?;
    // The size budgets hold for what the tests load.
    crate::dist::report(&ctx.root.join("dist"))?;
    let mut cmd = proc::command("node", &ctx.root);
    cmd.args([
        "--test",
        "--test-concurrency=1",
        "--test-reporter=spec",
        "tests/e2e/",
    ]);
    let (status, text) = proc::run_tee(&mut cmd)?;
    *counts = parse_node(&text);
    let todo = node_todo(&text);
    if todo > 0 {
        // Marked `todo`: they run and print what fails, but do not fail the layer.
        println!(
            "==> e2e: {todo} test(s) marked todo ran and were not counted; see their output above"
        );
    }
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(&cmd)))
    }
}

/// The number written just before `word` in `line` ("5 passed" -> 5).
fn number_before(line: &str, word: &str) -> Option<u64> {
    let at = line.find(word)?;
    let head = line[..at].trim_end();
    let digits_from = head
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    head[digits_from..].parse().ok()
}

/// Sum of cargo's (and wasm-bindgen-test-runner's) `test result:` lines.
pub fn parse_cargo(text: &str) -> Counts {
    let mut c = Counts::default();
    for line in text.lines().filter(|l| l.contains("test result:")) {
        c.passed += number_before(line, " passed").unwrap_or(0);
        c.failed += number_before(line, " failed").unwrap_or(0);
    }
    c
}

/// The summary of node's test runner: `# pass N` (TAP) or `ℹ pass N` (spec).
pub fn parse_node(text: &str) -> Counts {
    let mut c = Counts::default();
    for line in text.lines() {
        let l = line.trim();
        let l = l
            .strip_prefix("# ")
            .or_else(|| l.strip_prefix("ℹ "))
            .unwrap_or("");
        if let Some(n) = l.strip_prefix("pass ").and_then(|n| n.trim().parse().ok()) {
            c.passed = n;
        } else if let Some(n) = l.strip_prefix("fail ").and_then(|n| n.trim().parse().ok()) {
            c.failed = n;
        }
    }
    c
}

/// The `todo` count of node's test runner summary (`# todo N` or `ℹ todo N`).
pub fn node_todo(text: &str) -> u64 {
    // The summary comes last: read from the end.
    text.lines()
        .rev()
        .find_map(|line| {
            let l = line.trim();
            let l = l.strip_prefix("# ").or_else(|| l.strip_prefix("ℹ "))?;
            l.strip_prefix("todo ")?.trim().parse().ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargo_test_results() {
        let text = "\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

test result: FAILED. 10 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out
no tests to run!
   Doc-tests policy
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        assert_eq!(
            parse_cargo(text),
            Counts {
                passed: 13,
                failed: 2
            }
        );
        assert_eq!(parse_cargo("error: could not compile"), Counts::default());
    }

    #[test]
    fn parses_node_summaries() {
        let spec = "✔ a (1ms)\nℹ tests 3\nℹ pass 2\nℹ fail 1\nℹ cancelled 0\n";
        assert_eq!(
            parse_node(spec),
            Counts {
                passed: 2,
                failed: 1
            }
        );
        let tap = "TAP version 13\nok 1 - a\n1..1\n# tests 1\n# pass 1\n# fail 0\n";
        assert_eq!(
            parse_node(tap),
            Counts {
                passed: 1,
                failed: 0
            }
        );
    }

    #[test]
    fn reads_the_todo_count() {
        assert_eq!(node_todo("ℹ pass 2\nℹ fail 0\nℹ todo 5\n"), 5);
        assert_eq!(node_todo("# pass 1\n# todo 0\n"), 0);
        assert_eq!(node_todo("# axe todo list\n# todo x\n"), 0);
        assert_eq!(node_todo(""), 0);
    }

    #[test]
    fn number_before_needs_digits() {
        assert_eq!(number_before("ok. 42 passed;", " passed"), Some(42));
        assert_eq!(number_before("nothing passed", " passed"), None);
    }
}
