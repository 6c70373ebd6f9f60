//! `export` and `import` through the binary: one document on stdout, notes
//! on stderr; the import's `--set` lines and URL rebuild the policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use common::{bad, json, ok, playground};

#[test]
fn export_prints_one_document_and_warns_on_stderr() {
    let out = playground(&["export", "--target", "grpc", "--preset", "circuit-breaker"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let grpc: serde_json::Value = serde_json::from_str(&text).expect("stdout is one JSON document");
    assert_eq!(grpc["methodConfig"][0]["retryPolicy"]["maxAttempts"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: grpc cannot express breaker.kind=consecutive"),
        "{stderr}"
    );
    let polly = json(&["export", "--target", "polly", "--set", "attempts.max=5"]);
    assert_eq!(
        polly["Resilience"]["Retry"]["MaxRetryAttempts"], 4,
        "retries, not attempts"
    );
}

#[test]
fn import_prints_the_sets_and_the_url_that_rebuild_the_export() {
    let dir = std::env::temp_dir().join(format!("cli-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (target, sets) in [
        ("grpc", vec!["attempts.max=4", "backoff.base_ms=250"]),
        ("envoy", vec!["attempts.max=5", "budget.kind=ratio"]),
        (
            "resilience4j",
            vec!["breaker.kind=consecutive", "jitter.kind=ratio"],
        ),
        (
            "polly",
            vec!["attempts.deadline_ms=9000", "breaker.kind=ratio_time"],
        ),
    ] {
        let mut args = vec!["export", "--target", target];
        for s in &sets {
            args.extend(["--set", s]);
        }
        let document = ok(&args);
        let file = dir.join(format!("{target}.txt"));
        std::fs::write(&file, &document).expect("write");
        let printed = ok(&["import", "--from", target, file.to_str().expect("path")]);
        let lines: Vec<&str> = printed.lines().collect();
        let (url, sets_back) = lines.split_last().expect("lines");
        assert!(url.starts_with('?'), "{target}: the URL last: {printed}");
        for s in &sets {
            let (k, _) = s.split_once('=').expect("k=v");
            assert!(
                sets_back
                    .iter()
                    .any(|l| l.starts_with(&format!("--set {k}="))),
                "{target}: {k} in {printed}"
            );
        }
        // The printed --set lines export the same document again.
        let mut again = vec![
            "export".to_string(),
            "--target".to_string(),
            target.to_string(),
        ];
        for l in sets_back {
            again.push("--set".into());
            again.push(l.trim_start_matches("--set ").to_string());
        }
        let again: Vec<&str> = again.iter().map(String::as_str).collect();
        let strip = |t: &str| {
            t.lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let notes = |t: &str| -> String {
            match serde_json::from_str::<serde_json::Value>(t) {
                Ok(mut v) => {
                    v.as_object_mut().map(|o| o.remove("_playground_notes"));
                    v.to_string()
                }
                Err(_) => strip(t),
            }
        };
        assert_eq!(notes(&ok(&again)), notes(&document), "{target}");
    }
}

#[test]
fn import_names_the_bad_line_and_field_and_exits_2() {
    let dir = std::env::temp_dir().join(format!("cli-import-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("envoy.yaml");
    std::fs::write(
        &file,
        "route:\n  retry_policy:\n    retry_on: 5xx\n    per_try_timeout: soon\n",
    )
    .expect("write");
    bad(
        &["import", "--from", "envoy", file.to_str().expect("path")],
        &["line 4", "route.retry_policy.per_try_timeout", "soon"],
    );
    bad(
        &["import", "--from", "yaml", file.to_str().expect("path")],
        &["--from", "grpc, envoy, resilience4j, polly"],
    );
    bad(
        &["import", "--from", "grpc", "/nonexistent/file.json"],
        &["cannot read"],
    );
    bad(&["export", "--target", "cobol"], &["--target", "tenacity"]);
    bad(
        &["export", "--target", "ky", "--set", "attempts.max=x"],
        &["attempts.max"],
    );
}
