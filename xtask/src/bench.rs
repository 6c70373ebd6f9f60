//! `cargo xtask bench`: the plain (harness = false) benches of `policy`,
//! `flaky` (the 1,000,000-call storms among them), `mock-server` and `cli`
//! (`playground sweep`), the README's million-call
//! command as a user runs it (wall time, peak memory), the 10,000-client storm as
//! wasm in headless Chromium, then the page's figures in headless Chromium
//! against the release build (`tests/e2e/bench/page.mjs`).
//! Every figure is printed, none asserted: the machine decides the numbers.

use crate::{proc, setup, Ctx, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The Cargo profile of the page's wasm (Cargo.toml, index.html's
/// `data-cargo-profile-release`): wasm built here is built as the web is.
pub const WEB_PROFILE: &str = "web";

const BENCH_PACKAGES: [(&str, &str); 4] = [
    ("policy", "crates/policy"),
    ("flaky", "crates/flaky"),
    ("mock-server", "crates/mock-server"),
    ("cli", "crates/cli"),
];

/// Whether a package declares or auto-discovers a bench target.
fn has_benches(package_dir: &Path) -> bool {
    let declared = fs::read_to_string(package_dir.join("Cargo.toml"))
        .is_ok_and(|toml| toml.lines().any(|l| l.trim() == "[[bench]]"));
    let discovered = fs::read_dir(package_dir.join("benches")).is_ok_and(|dir| {
        dir.filter_map(|e| e.ok()).any(|e| {
            let p = e.path();
            p.extension().is_some_and(|x| x == "rs") || p.join("main.rs").is_file()
        })
    });
    declared || discovered
}

/// The page figures' script; not a `node --test` file (no `.test.` in its name).
const PAGE_SCRIPT: &str = "tests/e2e/bench/page.mjs";

/// The Chromium the wasm storm and the page figures run in (as tests/e2e/browser.mjs finds it).
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH").map_or_else(|| PathBuf::from(setup::CHROMIUM), PathBuf::from)
}

pub fn bench(ctx: &Ctx) -> Result<()> {
    // Half the figures need a browser: say so now, not after minutes of native benches.
    let chromium = chromium();
    if !chromium.exists() {
        return Err(format!(
            "bench: Chromium not found at {}: the wasm storm and the page figures run in headless \
             Chromium. Install it with `cargo xtask setup`, or set CHROMIUM_PATH.",
            chromium.display()
        ));
    }
    let mut ran = 0;
    for (package, dir) in BENCH_PACKAGES {
        if !has_benches(&ctx.root.join(dir)) {
            println!("bench: {package}: no benches, skipped");
            continue;
        }
        println!("bench: {package}: cargo bench -p {package} --benches");
        let mut cmd = proc::command(&ctx.cargo, &ctx.root);
        cmd.args(["bench", "-p", package, "--benches"]);
        proc::run(&mut cmd)?;
        ran += 1;
    }
    readme_storm(ctx)?;
    // The 10,000-client storm as wasm in headless Chromium, built as the
    // web is (`release` is the native CLI's build, for speed).
    println!("bench: storm in headless Chromium: PLAYGROUND_BENCH=1 cargo test --profile {WEB_PROFILE} --target wasm32-unknown-unknown -p flaky --test storm_wasm");
    let mut cmd = crate::test::wasm_test_command(ctx, "flaky")?;
    cmd.args([
        "--profile",
        WEB_PROFILE,
        "--test",
        "storm_wasm",
        "--",
        "--nocapture",
    ])
    .env("PLAYGROUND_BENCH", "1");
    proc::run(&mut cmd)?;
    page(ctx)?;
    println!("bench: {ran} package(s) benchmarked, the wasm storm and the page figures");
    Ok(())
}

/// The README's million-call command, `cargo run --release -p cli -- run ...`.
const STORM_ARGS: [&str; 7] = [
    "run",
    "--preset",
    "full-jitter",
    "--set",
    "sim.clients=100000",
    "--set",
    "sim.calls=10",
];

/// The README's storm as a user runs it: the CLI's release build, timed
/// from spawn to exit, its peak memory (`VmHWM`, which only grows) read
/// every 10 ms while it runs.
fn readme_storm(ctx: &Ctx) -> Result<()> {
    let line = STORM_ARGS.join(" ");
    println!("bench: the README's storm: cargo build --release -p cli, then playground {line}");
    let mut build = proc::command(&ctx.cargo, &ctx.root);
    build.args(["build", "--release", "-p", "cli", "--bin", "playground"]);
    proc::run(&mut build)?;
    let exe = crate::conformance::target_dir(ctx)
        .join("release")
        .join("playground");
    let started = Instant::now();
    let mut child = proc::command(&exe, &ctx.root)
        .args(STORM_ARGS)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let mut peak_kb = 0;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("waiting for {}: {e}", exe.display()))?
        {
            break status;
        }
        peak_kb = peak_kb.max(peak_kb_of(child.id()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall_s = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("playground {line} failed ({status})"));
    }
    println!(
        "storm (native CLI, the README's command): 1,000,000 calls in {wall_s:.1} s wall, peak memory {} MB (target ≤ 10 s, ≤ 300 MB)",
        (peak_kb * 1024).div_ceil(1_000_000)
    );
    Ok(())
}

/// A running process's peak resident set size (`VmHWM`), in KiB.
fn peak_kb_of(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The page's figures in headless Chromium, against a fresh release build.
fn page(ctx: &Ctx) -> Result<()> {
    setup::setup(ctx, setup::Scope::BuildTools)?;
    println!("bench: page figures: trunk build --release, then node {PAGE_SCRIPT}");
    let mut build = proc::command("trunk", &ctx.root);
    build.args(["build", "--release"]);
    proc::run(&mut build)?;
    let mut cmd = proc::command("node", &ctx.root);
    cmd.arg(PAGE_SCRIPT);
    proc::run(&mut cmd)
}
