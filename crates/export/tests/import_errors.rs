//! A file that cannot be read gives an error naming its line and field;
//! garbage never panics; hand-written files get the library's defaults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use export::import::{import, Format};
use proptest::prelude::*;

fn error(format: Format, text: &str) -> String {
    match import(format, text) {
        Ok(i) => panic!("{} read {text:?} as {:?}", format.name(), i.assignments),
        Err(e) => e.to_string(),
    }
}

fn has(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "`{part}` missing from: {text}");
    }
}

#[test]
fn grpc_errors_name_the_line_and_field() {
    let bad = "{\n  \"methodConfig\": [{\n    \"name\": [{}],\n    \"retryPolicy\": {\n      \"maxAttempts\": 3,\n      \"initialBackoff\": \"soon\",\n      \"maxBackoff\": \"1s\",\n      \"backoffMultiplier\": 2,\n      \"retryableStatusCodes\": [\"UNAVAILABLE\"]\n    }\n  }]\n}\n";
    has(
        &error(Format::Grpc, bad),
        &[
            "line 6",
            "methodConfig[0].retryPolicy.initialBackoff",
            "soon",
        ],
    );
    let bad = bad
        .replace("\"soon\"", "\"0.1s\"")
        .replace("UNAVAILABLE", "SOMETIMES");
    has(
        &error(Format::Grpc, &bad),
        &["line 9", "retryableStatusCodes[0]", "SOMETIMES"],
    );
    has(
        &error(Format::Grpc, "{\"methodConfig\": [}"),
        &["line 1", "not JSON"],
    );
    has(&error(Format::Grpc, "[]"), &["methodConfig"]);
    has(
        &error(
            Format::Grpc,
            "{\"methodConfig\": [{\"retryPolicy\": {\"maxAttempts\": 1}}]}",
        ),
        &["maxAttempts", "≥ 2"],
    );
    // A value the playground refuses is named with the knob it would set.
    let slow = "{\"methodConfig\": [{\"retryPolicy\": {\"maxAttempts\": 3, \"initialBackoff\": \"0.1s\", \"maxBackoff\": \"1s\", \"backoffMultiplier\": 0.5, \"retryableStatusCodes\": [14]}}]}";
    has(
        &error(Format::Grpc, slow),
        &["backoffMultiplier", "backoff.multiplier"],
    );
}

#[test]
fn envoy_errors_name_the_line_and_field() {
    let bad = "route:\n  timeout: 10s\n  retry_policy:\n    retry_on: \"5xx,sometimes\"\n    num_retries: 2\n";
    has(
        &error(Format::Envoy, bad),
        &["line 4", "route.retry_policy.retry_on", "sometimes"],
    );
    let bad = "route:\n  retry_policy:\n    retry_on: 5xx\n    num_retries: -2\n";
    has(&error(Format::Envoy, bad), &["line 4", "num_retries"]);
    has(
        &error(Format::Envoy, "route: [unclosed\n"),
        &["line", "not YAML"],
    );
    let defaults =
        import(Format::Envoy, "retry_on: connect-failure\n").expect("a bare retry policy");
    assert!(
        defaults
            .assignments
            .contains(&("attempts.max".into(), "2".into())),
        "Envoy's default num_retries 1"
    );
    assert!(
        defaults
            .assignments
            .contains(&("backoff.base_ms".into(), "25".into())),
        "Envoy's default 25 ms"
    );
}

#[test]
fn resilience4j_errors_name_the_line_and_field() {
    let bad = "resilience4j:\n  retry:\n    instances:\n      backend:\n        maxAttempts: 3\n        waitDuration: fast\n";
    has(
        &error(Format::Resilience4j, bad),
        &[
            "line 6",
            "resilience4j.retry.instances.backend.waitDuration",
            "fast",
        ],
    );
    has(
        &error(Format::Resilience4j, "spring:\n  x: 1\n"),
        &["resilience4j"],
    );
    let ok = import(
        Format::Resilience4j,
        "resilience4j:\n  retry:\n    configs:\n      default:\n        waitDuration: PT2S\n",
    )
    .expect("defaults");
    assert!(ok
        .assignments
        .contains(&("backoff.base_ms".into(), "2000".into())));
    assert!(
        ok.assignments
            .contains(&("attempts.max".into(), "3".into())),
        "resilience4j's default 3"
    );
}

#[test]
fn polly_errors_name_the_line_and_field() {
    let bad =
        "{\n  \"Resilience\": {\n    \"Retry\": {\n      \"Delay\": \"2 seconds\"\n    }\n  }\n}\n";
    has(
        &error(Format::Polly, bad),
        &["line 4", "Resilience.Retry.Delay", "TimeSpan"],
    );
    let bad = "{\"Retry\": {\"BackoffType\": \"Fibonacci\"}}";
    has(
        &error(Format::Polly, bad),
        &["Retry.BackoffType", "Constant, Linear or Exponential"],
    );
    let defaults =
        import(Format::Polly, "{\"Retry\": {}}").expect("the standard handler's defaults");
    assert!(
        defaults
            .assignments
            .contains(&("attempts.max".into(), "4".into())),
        "3 retries"
    );
    assert!(defaults
        .assignments
        .contains(&("backoff.base_ms".into(), "2000".into())));
    assert!(defaults
        .assignments
        .contains(&("attempts.deadline_ms".into(), "30000".into())));
}

#[test]
fn a_huge_file_is_refused_before_parsing() {
    let huge = " ".repeat(export::import::INPUT_CHARS_MAX + 1);
    has(&error(Format::Grpc, &huge), &["at most"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_never_panics(text in "\\PC{0,300}") {
        for format in Format::ALL {
            if let Err(e) = import(format, &text) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn mangled_exports_never_panic(cut in 0usize..2000, junk in "[{}\\[\\]:,\"a-z0-9 \\n-]{0,20}") {
        let policy = policy::PolicyConfig::default();
        for format in Format::ALL {
            let target = export::Target::parse(format.name()).expect("a target per format");
            let text = export::export(target, &policy).text;
            let at = text.char_indices().map(|(i, _)| i).nth(cut % text.chars().count().max(1)).unwrap_or(0);
            let mangled = format!("{}{junk}{}", &text[..at], &text[at..]);
            if let Err(e) = import(format, &mangled) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
