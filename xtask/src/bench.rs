//! `cargo xtask bench`: the plain (harness = false) benches of `policy`,
//! `flaky` (the 1,000,000-call storms among them) and `cli` (`playground sweep`), the 10,000-client storm as
//! wasm in headless Chromium, then the page's figures in headless Chromium
//! against the release build (`tests/e2e/bench/page.mjs`).
//! Every figure is printed, none asserted: the machine decides the numbers.

use crate::{proc, setup, Ctx, Result};
use std::fs;
use std::path::{Path, PathBuf};

const BENCH_PACKAGES: [(&str, &str); 3] = [
    ("policy", "crates/policy"),
    ("flaky", "crates/flaky"),
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
    // The 10,000-client storm as wasm in headless Chromium (release build).
    println!("bench: storm in headless Chromium: PLAYGROUND_BENCH=1 cargo test --release --target wasm32-unknown-unknown -p flaky --test storm_wasm");
    let mut cmd = crate::test::wasm_test_command(ctx, "flaky")?;
    cmd.args(["--release", "--test", "storm_wasm", "--", "--nocapture"])
        .env("PLAYGROUND_BENCH", "1");
    proc::run(&mut cmd)?;
    page(ctx)?;
    println!("bench: {ran} package(s) benchmarked, the wasm storm and the page figures");
    Ok(())
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
