//! What every test file runs the built `playground` with.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::process::{Command, Output};

use serde_json::Value;

pub fn playground(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_playground"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start playground {args:?}: {e}"))
}

/// Runs and expects success; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = playground(args);
    assert!(
        out.status.success(),
        "playground {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{args:?}: stdout not UTF-8: {e}"))
}

/// Runs and expects exit status 2 with every `needles` in stderr.
pub fn bad(args: &[&str], needles: &[&str]) {
    let out = playground(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "playground {args:?}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "playground {args:?} printed to stdout"
    );
    assert!(
        !stderr.contains("panicked"),
        "playground {args:?} panicked: {stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "playground {args:?}: `{needle}` not in: {stderr}"
        );
    }
}

pub fn json(args: &[&str]) -> Value {
    let text = ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
}
