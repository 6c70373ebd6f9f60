//! The conformance layer: `playground plan` against the real libraries.
//! `setup` makes `<repo>/.venv` with the pinned packages of
//! `tests/conformance/requirements.txt` (tenacity, urllib3, botocore, pytest);
//! the layer builds `playground`, sets `PLAYGROUND_BIN`, and runs
//! `.venv/bin/python -m pytest tests/conformance` (every `test_*.py`) and
//! `node --test tests/conformance/*.test.mjs` (ky from node_modules).
//! `test_mock_server.py` and `mock-server-ky.test.mjs` run the exported
//! documents against `playground mock-server` (the same binary).
//! A missing venv, package or node module is an error, never a skip.

use crate::proc::{self, probe, show};
use crate::test::{parse_node, Counts};
use crate::{Ctx, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

const REQUIREMENTS: &str = "tests/conformance/requirements.txt";
const TESTS: &str = "tests/conformance";

fn venv_python(root: &Path) -> PathBuf {
    root.join(".venv").join("bin").join("python")
}

/// `name==version` lines of a requirements file, lowercased (pip's names are case-insensitive).
pub fn pins(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

/// The pins `pip freeze` output lacks.
pub fn missing_pins(pins: &[String], freeze: &str) -> Vec<String> {
    let have: Vec<String> = freeze.lines().map(|l| l.trim().to_lowercase()).collect();
    pins.iter().filter(|p| !have.contains(p)).cloned().collect()
}

fn freeze(ctx: &Ctx) -> Option<String> {
    probe(proc::command(venv_python(&ctx.root), &ctx.root).args([
        "-m",
        "pip",
        "freeze",
        "--disable-pip-version-check",
    ]))
}

/// `cargo xtask setup`'s step: `.venv` with the pinned packages.
pub fn python_venv(ctx: &Ctx) -> Result<()> {
    let thing = "python .venv (tenacity, urllib3, botocore, pytest)";
    let path = ctx.root.join(REQUIREMENTS);
    let text = fs::read_to_string(&path)
        .map_err(|e| format!("{thing}: cannot read {}: {e}", path.display()))?;
    let pins = pins(&text);
    if venv_python(&ctx.root).exists() {
        if let Some(f) = freeze(ctx) {
            if missing_pins(&pins, &f).is_empty() {
                println!("setup: {thing}: pinned versions present, skipped");
                return Ok(());
            }
        }
    } else {
        println!("setup: {thing}: missing, creating (python3 -m venv .venv)");
        let mut venv = proc::command("python3", &ctx.root);
        venv.args(["-m", "venv", ".venv"]);
        proc::run(&mut venv).map_err(|e| {
            format!(
                "{thing}: cannot create the virtualenv: {e}. Install Python 3.9+ with venv \
                 (Debian: `apt-get install -y python3 python3-venv`), then run `cargo xtask setup` again"
            )
        })?;
    }
    let start = Instant::now();
    let mut pip = proc::command(venv_python(&ctx.root), &ctx.root);
    pip.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "-r",
        REQUIREMENTS,
    ]);
    println!("setup: {thing}: running `{}`", show(&pip));
    proc::run(&mut pip).map_err(|e| {
        format!("{thing}: cannot install the pinned packages from PyPI: {e}. Is https://pypi.org reachable?")
    })?;
    let missing = freeze(ctx).map(|f| missing_pins(&pins, &f)).unwrap_or(pins);
    if !missing.is_empty() {
        return Err(format!(
            "{thing}: pip succeeded but .venv lacks {}",
            missing.join(", ")
        ));
    }
    println!(
        "setup: {thing}: installed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The sum of pytest's closing line (`3 passed, 1 failed, 2 errors in 4.1s`).
pub fn parse_pytest(text: &str) -> Counts {
    let mut c = Counts::default();
    let Some(line) = text
        .lines()
        .rev()
        .find(|l| l.contains(" passed") || l.contains(" failed") || l.contains(" error"))
    else {
        return c;
    };
    for part in line
        .trim_matches(|ch: char| ch == '=' || ch.is_whitespace())
        .split(',')
    {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => c.passed += n,
            "failed" | "error" | "errors" => c.failed += n,
            _ => {}
        }
    }
    c
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the root), or `target/`.
pub fn target_dir(ctx: &Ctx) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ctx.root.join("target"));
    if target.is_absolute() {
        target
    } else {
        ctx.root.join(target)
    }
}

fn playground_bin(ctx: &Ctx) -> Result<PathBuf> {
    let mut build = proc::command(&ctx.cargo, &ctx.root);
    build.args(["build", "-p", "cli", "--bin", "playground"]);
    proc::run(&mut build)?;
    let bin = target_dir(ctx).join("debug").join("playground");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "built playground, but {} is not there",
            bin.display()
        ))
    }
}

/// The layer: Python tests, then JavaScript tests; `counts` sums both.
pub fn run(ctx: &Ctx, counts: &mut Counts) -> Result<()> {
    let bin = playground_bin(ctx)?;
    let python = venv_python(&ctx.root);
    if !python.exists() {
        return Err(format!(
            "{} is missing: run `cargo xtask setup` (it creates .venv with the pinned packages)",
            python.display()
        ));
    }
    println!(
        "--> python conformance tests (PLAYGROUND_BIN={})",
        bin.display()
    );
    let mut pytest = proc::command(&python, &ctx.root);
    pytest
        .args(["-m", "pytest", TESTS, "-q", "-p", "no:cacheprovider"])
        .env("PLAYGROUND_BIN", &bin)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let (status, text) = proc::run_tee(&mut pytest)?;
    let py = parse_pytest(&text);
    counts.passed += py.passed;
    counts.failed += py.failed;
    if !status.success() {
        return Err(format!("`{}` failed ({status})", show(&pytest)));
    }
    if py.passed == 0 {
        return Err(format!("`{}` ran no tests", show(&pytest)));
    }

    let dir = ctx.root.join(TESTS);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.mjs in {}", dir.display()));
    }
    println!("--> javascript conformance tests");
    let mut node = proc::command("node", &ctx.root);
    node.args(["--test", "--test-reporter=tap"])
        .args(&files)
        .env("PLAYGROUND_BIN", &bin);
    let (status, text) = proc::run_tee(&mut node)?;
    let js = parse_node(&text);
    counts.passed += js.passed;
    counts.failed += js.failed;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(&node)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pytest_summaries() {
        let ok = "....\n11 passed in 4.02s\n";
        assert_eq!(
            parse_pytest(ok),
            Counts {
                passed: 11,
                failed: 0
            }
        );
        let bad = "F.E\n==== 1 failed, 10 passed, 2 errors in 3.10s ====\n";
        assert_eq!(
            parse_pytest(bad),
            Counts {
                passed: 10,
                failed: 3
            }
        );
        assert_eq!(parse_pytest("ERROR: file not found"), Counts::default());
    }

    #[test]
    fn finds_missing_pins() {
        let pins = pins("# comment\nTenacity==9.2.1\n\nurllib3==2.8.0\n");
        assert_eq!(pins, ["tenacity==9.2.1", "urllib3==2.8.0"]);
        assert!(missing_pins(&pins, "tenacity==9.2.1\nurllib3==2.8.0\n").is_empty());
        assert_eq!(
            missing_pins(&pins, "tenacity==9.1.0\nurllib3==2.8.0"),
            ["tenacity==9.2.1"]
        );
    }
}
