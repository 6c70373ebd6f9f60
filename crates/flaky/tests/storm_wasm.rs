//! The 10,000-client storm of `benches/sim.rs`, timed in headless Chromium.
//! It asserts behaviour only; the time is printed, never checked. Skipped
//! unless built with `PLAYGROUND_BENCH=1` (so `cargo xtask bench` runs it):
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300 PLAYGROUND_BENCH=1 \
//!   cargo test --profile web --target wasm32-unknown-unknown -p flaky --test storm_wasm -- --nocapture
//! ```
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::sim;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

include!("../benches/storm/config.rs");

const CLIENTS: u32 = 10_000;

#[wasm_bindgen_test]
fn storm_of_10000_clients() {
    if option_env!("PLAYGROUND_BENCH").is_none() {
        return;
    }
    let config = storm_config(CLIENTS);
    let start = js_sys::Date::now();
    let trace = sim::run(&config, 1);
    let elapsed_ms = js_sys::Date::now() - start;
    let summary = trace.summary();
    console_log!(
        "storm (wasm, Chromium): {CLIENTS} clients, {} attempts in {elapsed_ms:.0} ms",
        summary.attempts
    );
    console_log!("storm summary: {}", storm_line(&summary));

    let gave_up: u64 = summary.gave_up.values().sum();
    assert_eq!(summary.calls, u64::from(CLIENTS));
    assert_eq!(
        summary.succeeded + gave_up + summary.unfinished,
        summary.calls,
        "every call accounted for: {}",
        storm_line(&summary)
    );
    assert!(summary.succeeded > 0, "{}", storm_line(&summary));
    assert_eq!(
        summary.duplicates,
        0,
        "keyed creates never duplicate: {}",
        storm_line(&summary)
    );
    assert!(
        summary.attempts >= summary.calls,
        "{}",
        storm_line(&summary)
    );
}
