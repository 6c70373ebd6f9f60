//! `cargo xtask bench`: the plain (harness = false) benches of `policy` and
//! `flaky`, then the 10,000-client storm as wasm in headless Chromium.

use crate::{proc, Ctx, Result};
use std::fs;
use std::path::Path;

const BENCH_PACKAGES: [(&str, &str); 2] = [("policy", "crates/policy"), ("flaky", "crates/flaky")];

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

pub fn bench(ctx: &Ctx) -> Result<()> {
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
    println!("bench: {ran} package(s) benchmarked, and the wasm storm");
    Ok(())
}
