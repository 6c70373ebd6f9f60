//! `cargo xtask setup`: install every tool the workspace needs, idempotently,
//! printing one line per thing it did or skipped.

use crate::proc::{self, probe, show};
use crate::{Ctx, Result};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const TRUNK_VERSION: &str = "0.21.14";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const APT_PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];
/// A copy of package-lock.json as of the last successful `npm ci`.
const NPM_STAMP: &str = "node_modules/.xtask-package-lock.json";

#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything, the browser included.
    All,
    /// What building the app needs: target, Trunk, wasm-bindgen, wasm-opt.
    BuildTools,
}

pub fn setup(ctx: &Ctx, scope: Scope) -> Result<()> {
    let start = Instant::now();
    wasm_target(ctx)?;
    if scope == Scope::All {
        lint_tools(ctx)?;
    }
    trunk(ctx)?;
    wasm_bindgen(ctx)?;
    node_modules(ctx)?;
    if scope == Scope::All {
        browser(ctx)?;
        crate::conformance::python_venv(ctx)?;
    }
    println!("setup: done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn line(thing: &str, what: &str) {
    println!("setup: {thing}: {what}");
}

fn wasm_target(ctx: &Ctx) -> Result<()> {
    let thing = format!("{WASM_TARGET} target");
    let installed =
        probe(proc::command("rustup", &ctx.root).args(["target", "list", "--installed"]))
            .ok_or_else(|| {
                format!("{thing}: `rustup target list --installed` failed: is rustup on PATH?")
            })?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        line(&thing, "present, skipped");
        return Ok(());
    }
    line(&thing, "missing, installing (rustup target add)");
    let mut cmd = proc::command("rustup", &ctx.root);
    cmd.args(["target", "add", WASM_TARGET]);
    proc::run(&mut cmd).map_err(|e| format!("{thing}: cannot install: {e}"))?;
    line(&thing, "installed");
    Ok(())
}

/// rustfmt and clippy, which the lint layer of `cargo xtask test` runs.
fn lint_tools(ctx: &Ctx) -> Result<()> {
    for (component, probe_args) in [
        ("rustfmt", ["fmt", "--version"]),
        ("clippy", ["clippy", "--version"]),
    ] {
        let thing = format!("{component} (rustup component)");
        if probe(proc::command(&ctx.cargo, &ctx.root).args(probe_args)).is_some() {
            line(&thing, "present, skipped");
            continue;
        }
        line(&thing, "missing, installing (rustup component add)");
        let mut cmd = proc::command("rustup", &ctx.root);
        cmd.args(["component", "add", component]);
        proc::run(&mut cmd).map_err(|e| {
            format!(
                "{thing}: cannot install ({e}); install it with `rustup component add {component}`"
            )
        })?;
        line(&thing, "installed");
    }
    Ok(())
}

/// First whitespace-separated word of `--version` output that looks like a version.
fn version_word(output: &str) -> Option<&str> {
    output
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))
}

fn tool_version(ctx: &Ctx, program: &str) -> Option<String> {
    let out = probe(proc::command(program, &ctx.root).arg("--version"))?;
    version_word(&out).map(str::to_owned)
}

/// `cargo install` run outside the workspace, so that the project's
/// `.cargo/config.toml` does not apply to the tools.
fn cargo_install(ctx: &Ctx, args: &[&str]) -> Command {
    let mut cmd = proc::command(&ctx.cargo, &std::env::temp_dir());
    cmd.arg("install").args(args);
    cmd
}

fn trunk(ctx: &Ctx) -> Result<()> {
    let thing = format!("trunk {TRUNK_VERSION}");
    match tool_version(ctx, "trunk") {
        Some(v) if v == TRUNK_VERSION => {
            line(&thing, "present, skipped");
            return Ok(());
        }
        Some(v) => line(
            &thing,
            &format!("found trunk {v}, installing {TRUNK_VERSION}"),
        ),
        None => line(&thing, "missing, installing"),
    }
    let mut cmd = cargo_install(ctx, &["trunk", "--version", TRUNK_VERSION, "--locked"]);
    println!(
        "setup: {thing}: running `{}` (about 12 minutes on 2 cores)",
        show(&cmd)
    );
    let start = Instant::now();
    proc::run(&mut cmd).map_err(|e| format!("{thing}: cannot install: {e}"))?;
    match tool_version(ctx, "trunk") {
        Some(v) if v == TRUNK_VERSION => {
            line(
                &thing,
                &format!("installed in {:.0} s", start.elapsed().as_secs_f64()),
            );
            Ok(())
        }
        other => Err(format!(
            "{thing}: installed, but `trunk --version` on PATH answers {}; is another trunk \
             earlier on PATH, or CARGO_INSTALL_ROOT set?",
            other.as_deref().unwrap_or("nothing")
        )),
    }
}

/// The versions of the `wasm-bindgen` package recorded in a Cargo.lock.
pub fn lock_versions(lock: &str, package: &str) -> Vec<String> {
    let mut versions = Vec::new();
    let mut in_package = false;
    let name_line = format!("name = \"{package}\"");
    for l in lock.lines().map(str::trim) {
        if l.starts_with('[') {
            in_package = false;
        } else if l.starts_with("name = ") {
            in_package = l == name_line;
        } else if in_package {
            if let Some(v) = l.strip_prefix("version = \"") {
                if let Some(v) = v.strip_suffix('"') {
                    versions.push(v.to_owned());
                }
                in_package = false;
            }
        }
    }
    versions
}

pub fn locked_wasm_bindgen(ctx: &Ctx) -> Result<String> {
    let path = ctx.root.join("Cargo.lock");
    let lock = fs::read_to_string(&path)
        .map_err(|e| format!("wasm-bindgen-cli: cannot read {}: {e}", path.display()))?;
    let mut versions = lock_versions(&lock, "wasm-bindgen");
    match versions.len() {
        1 => Ok(versions.remove(0)),
        0 => Err(format!(
            "wasm-bindgen-cli: {} has no `wasm-bindgen` package; run `cargo generate-lockfile`",
            path.display()
        )),
        _ => Err(format!(
            "wasm-bindgen-cli: {} holds several wasm-bindgen versions ({}); pin one with \
             `wasm-bindgen = \"=X\"` so that the CLI can match it",
            path.display(),
            versions.join(", ")
        )),
    }
}

fn wasm_bindgen(ctx: &Ctx) -> Result<()> {
    let want = locked_wasm_bindgen(ctx)?;
    let thing = format!("wasm-bindgen-cli {want} (from Cargo.lock)");
    let have = tool_version(ctx, "wasm-bindgen");
    let runner = tool_version(ctx, "wasm-bindgen-test-runner");
    if have.as_deref() == Some(&want) && runner.as_deref() == Some(&want) {
        line(&thing, "present, skipped");
        return Ok(());
    }
    match have {
        Some(v) => line(
            &thing,
            &format!("found wasm-bindgen {v}, installing {want}"),
        ),
        None => line(&thing, "missing, installing"),
    }
    let exact = format!("={want}");
    let start = Instant::now();
    let mut locked = cargo_install(ctx, &["wasm-bindgen-cli", "--version", &exact, "--locked"]);
    println!("setup: {thing}: running `{}`", show(&locked));
    if let Err(e) = proc::run(&mut locked) {
        let mut unlocked = cargo_install(ctx, &["wasm-bindgen-cli", "--version", &exact]);
        println!(
            "setup: {thing}: {e}; retrying without --locked: `{}` (3-6 minutes)",
            show(&unlocked)
        );
        proc::run(&mut unlocked).map_err(|e| format!("{thing}: cannot install: {e}"))?;
    }
    let have = tool_version(ctx, "wasm-bindgen");
    let runner = tool_version(ctx, "wasm-bindgen-test-runner");
    if have.as_deref() != Some(&want) || runner.as_deref() != Some(&want) {
        return Err(format!(
            "{thing}: installed, but PATH answers wasm-bindgen {} and wasm-bindgen-test-runner {}",
            have.as_deref().unwrap_or("(none)"),
            runner.as_deref().unwrap_or("(none)")
        ));
    }
    line(
        &thing,
        &format!("installed in {:.0} s", start.elapsed().as_secs_f64()),
    );
    Ok(())
}

fn node_modules_current(root: &Path, lock: &[u8]) -> bool {
    let stamp_matches = fs::read(root.join(NPM_STAMP)).is_ok_and(|s| s == lock);
    stamp_matches
        && root.join("node_modules/.bin/wasm-opt").exists()
        && root
            .join("node_modules/playwright-core/package.json")
            .is_file()
        && root.join("node_modules/ky/package.json").is_file()
        && root.join("node_modules/axe-core/axe.min.js").is_file()
        && root.join("node_modules/terser/bin/terser").is_file()
}

fn node_modules(ctx: &Ctx) -> Result<()> {
    let thing = "node_modules (binaryen wasm-opt, terser, playwright-core, axe-core, ky)";
    let lock_path = ctx.root.join("package-lock.json");
    let lock = fs::read(&lock_path)
        .map_err(|e| format!("{thing}: cannot read {}: {e}", lock_path.display()))?;
    if node_modules_current(&ctx.root, &lock) {
        line(thing, "up to date with package-lock.json, skipped");
        return Ok(());
    }
    if probe(proc::command("npm", &ctx.root).arg("--version")).is_none() {
        return Err(format!(
            "{thing}: `npm --version` failed: npm is not installed. Install Node.js 20+ with npm \
             (Debian: `apt-get install -y nodejs npm`), then run `cargo xtask setup` again"
        ));
    }
    line(thing, "missing or out of date, running npm ci");
    let start = Instant::now();
    let mut cmd = proc::command("npm", &ctx.root);
    cmd.args(["ci", "--no-audit", "--no-fund"])
        // playwright-core never downloads a browser; be explicit anyway.
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    proc::run(&mut cmd).map_err(|e| format!("{thing}: cannot install: {e}"))?;
    let wasm_opt =
        probe(proc::command("wasm-opt", &ctx.root).arg("--version")).ok_or_else(|| {
            format!("{thing}: `npm ci` succeeded but `wasm-opt --version` does not run")
        })?;
    fs::write(ctx.root.join(NPM_STAMP), &lock)
        .map_err(|e| format!("{thing}: cannot write {NPM_STAMP}: {e}"))?;
    line(
        thing,
        &format!(
            "installed in {:.0} s ({})",
            start.elapsed().as_secs_f64(),
            wasm_opt.trim()
        ),
    );
    Ok(())
}

fn is_root() -> bool {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        if let Some(uid) = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().next())
        {
            return uid == "0";
        }
    }
    probe(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

fn browser_present(ctx: &Ctx) -> bool {
    [CHROMIUM, CHROMEDRIVER].iter().all(|bin| {
        Path::new(bin).exists() && probe(proc::command(bin, &ctx.root).arg("--version")).is_some()
    })
}

fn browser(ctx: &Ctx) -> Result<()> {
    let thing = "chromium + chromedriver";
    if browser_present(ctx) {
        line(thing, "present, skipped");
        return Ok(());
    }
    let install = format!(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y {}",
        APT_PACKAGES.join(" ")
    );
    if !is_root() {
        return Err(format!(
            "{thing}: missing, and installing needs root. Run:\n    sudo apt-get update && sudo {install}\nthen run `cargo xtask setup` again"
        ));
    }
    line(thing, "missing, installing (apt-get)");
    let start = Instant::now();
    let mut update = proc::command("apt-get", &ctx.root);
    update
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive");
    proc::run(&mut update).map_err(|e| format!("{thing}: cannot install: {e}"))?;
    let mut cmd = proc::command("apt-get", &ctx.root);
    cmd.args(["install", "-y"])
        .args(APT_PACKAGES)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(std::process::Stdio::null());
    proc::run(&mut cmd).map_err(|e| format!("{thing}: cannot install: {e}"))?;
    if !browser_present(ctx) {
        return Err(format!(
            "{thing}: `{install}` succeeded but {CHROMIUM} or {CHROMEDRIVER} does not answer --version"
        ));
    }
    line(
        thing,
        &format!("installed in {:.0} s", start.elapsed().as_secs_f64()),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_wasm_bindgen_version_in_a_lock() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "cfg-if",
]

[[package]]
name = "wasm-bindgen-test"
version = "0.3.50"
"#;
        assert_eq!(lock_versions(lock, "wasm-bindgen"), vec!["0.2.130"]);
        assert!(lock_versions(lock, "yew").is_empty());
    }

    #[test]
    fn reads_version_words() {
        assert_eq!(version_word("trunk 0.21.14\n"), Some("0.21.14"));
        assert_eq!(version_word("wasm-bindgen 0.2.130"), Some("0.2.130"));
        assert_eq!(version_word("garbage"), None);
    }
}
