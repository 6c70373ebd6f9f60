//! Every target's document, for every preset and every kind of every knob,
//! is one document its own parser or compiler takes: JSON parses
//! (serde_json), YAML parses (yaml-rust2), Python compiles (python3),
//! Rust compiles (rustc, against a stub of backon's one trait), Java
//! compiles (javac, against stubs of the resilience4j API the document
//! uses: the stubs check our syntax and types, not resilience4j's
//! signatures), JavaScript parses (node --check); C# and Go (no compiler
//! here) are checked for balanced brackets and their opening lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use export::{export, Language, Target};

fn all_documents(target: Target) -> Vec<(String, export::Document)> {
    common::configs()
        .into_iter()
        .map(|(name, p)| (name, export(target, &p)))
        .collect()
}

/// Runs `program args` with `stdin`, failing loudly when it is missing or refuses.
fn run(program: &str, args: &[&str], dir: &Path, stdin: &str) {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is needed to check the exports: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("ran");
    assert!(
        out.status.success(),
        "{program} {args:?} refused:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn every_document_opens_with_its_notes_in_its_comment_syntax() {
    for target in Target::ALL {
        for (name, doc) in all_documents(target) {
            let prefix = match target.language() {
                Language::Json => "{",
                Language::Python | Language::Yaml | Language::Ini => "# Resilience Playground",
                _ => "// Resilience Playground",
            };
            assert!(
                doc.text.starts_with(prefix),
                "{} {name}:\n{}",
                target.name(),
                doc.text
            );
            for note in &doc.notes {
                assert!(
                    doc.text.contains(note.as_str()),
                    "{} {name}: note `{note}` missing",
                    target.name()
                );
            }
            assert!(
                !doc.text.contains("NaN") && !doc.text.contains("inf"),
                "{} {name}",
                target.name()
            );
        }
    }
}

#[test]
fn json_documents_parse() {
    for target in [Target::Grpc, Target::Polly] {
        for (name, doc) in all_documents(target) {
            let json: serde_json::Value = serde_json::from_str(&doc.text)
                .unwrap_or_else(|e| panic!("{} {name}: {e}\n{}", target.name(), doc.text));
            let notes = json
                .get(export::NOTES_FIELD)
                .and_then(|n| n.as_array())
                .map_or(0, Vec::len);
            assert_eq!(
                notes,
                if doc.notes.is_empty() {
                    0
                } else {
                    doc.notes.len() + 1
                },
                "{name}"
            );
        }
    }
}

#[test]
fn yaml_documents_parse() {
    for target in [Target::Envoy, Target::Resilience4j] {
        for (name, doc) in all_documents(target) {
            let docs = yaml_rust2::YamlLoader::load_from_str(&doc.text)
                .unwrap_or_else(|e| panic!("{} {name}: {e}\n{}", target.name(), doc.text));
            assert_eq!(docs.len(), 1, "{} {name}: one document", target.name());
            assert!(
                docs[0].as_hash().is_some(),
                "{} {name}: a mapping",
                target.name()
            );
        }
    }
}

#[test]
fn python_documents_compile() {
    let mut script = String::from("import sys\n");
    let mut sources = Vec::new();
    for target in [Target::Tenacity, Target::Urllib3] {
        for (name, doc) in all_documents(target) {
            sources.push((format!("{} {name}", target.name()), doc.text));
        }
    }
    let json = serde_json::to_string(&sources).expect("json");
    script.push_str(
        "import json\nfor name, text in json.loads(sys.stdin.read()):\n    \
         try:\n        compile(text, name, 'exec')\n    \
         except SyntaxError as e:\n        sys.exit(f'{name}: {e}\\n{text}')\n",
    );
    let dir = temp_dir("python");
    run("python3", &["-c", &script], &dir, &json);
}

#[test]
fn aws_documents_are_ini() {
    for (name, doc) in all_documents(Target::Aws) {
        let mut section = false;
        for line in doc.text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line == "[default]" {
                section = true;
                continue;
            }
            let (key, value) = line
                .split_once(" = ")
                .unwrap_or_else(|| panic!("{name}: `{line}`"));
            assert!(section, "{name}: `{line}` before [default]");
            assert!(
                ["retry_mode", "max_attempts"].contains(&key),
                "{name}: {key}"
            );
            if key == "max_attempts" {
                let n: u32 = value
                    .parse()
                    .unwrap_or_else(|e| panic!("{name}: {value}: {e}"));
                assert!(n >= 1, "{name}");
            }
        }
        assert!(section, "{name}");
    }
}

/// The one piece of backon the document uses (backon 1.x `BackoffBuilder`).
const BACKON_STUB: &str = "#[allow(dead_code)]\nmod backon {\n    pub trait BackoffBuilder {\n        type Backoff: Iterator<Item = std::time::Duration>;\n        fn build(self) -> Self::Backoff;\n    }\n}\n#[allow(dead_code)]\nmod fastrand {\n    pub fn f64() -> f64 { 0.5 }\n}\n";

#[test]
fn rust_documents_compile() {
    let dir = temp_dir("rust");
    let mut lib = String::from(BACKON_STUB);
    for (i, (name, doc)) in all_documents(Target::Backon).into_iter().enumerate() {
        let code = doc.text.replace(
            "use backon::BackoffBuilder;",
            "use crate::backon::BackoffBuilder;",
        );
        let code = code.replace("fastrand::", "crate::fastrand::");
        lib.push_str(&format!("// {name}\npub mod m{i} {{\n{code}\n}}\n"));
    }
    std::fs::write(dir.join("lib.rs"), &lib).expect("write");
    let out = dir.join("out");
    run(
        "rustc",
        &[
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "-D",
            "warnings",
            "--emit",
            "metadata",
            "-o",
            out.to_str().expect("path"),
            "lib.rs",
        ],
        &dir,
        "",
    );
}

/// Stubs of the resilience4j 2.x API the document calls (names as in
/// `resilience4j-retry`, `-core`, `-circuitbreaker`, `-timelimiter`).
const JAVA_STUBS: [(&str, &str); 4] = [
    ("io/github/resilience4j/core/IntervalFunction.java", "package io.github.resilience4j.core;\nimport java.time.Duration;\n@FunctionalInterface\npublic interface IntervalFunction {\n  Long apply(Integer numOfAttempts);\n  static IntervalFunction of(Duration interval) { return a -> 0L; }\n  static IntervalFunction ofRandomized(Duration interval, double factor) { return a -> 0L; }\n  static IntervalFunction ofExponentialBackoff(Duration initial, double multiplier, Duration max) { return a -> 0L; }\n  static IntervalFunction ofExponentialRandomBackoff(Duration initial, double multiplier, double factor, Duration max) { return a -> 0L; }\n}\n"),
    ("io/github/resilience4j/retry/RetryConfig.java", "package io.github.resilience4j.retry;\nimport io.github.resilience4j.core.IntervalFunction;\nimport java.util.function.Predicate;\npublic class RetryConfig {\n  public static Builder custom() { return new Builder(); }\n  public static class Builder {\n    public Builder maxAttempts(int n) { return this; }\n    public Builder intervalFunction(IntervalFunction f) { return this; }\n    public Builder retryOnException(Predicate<Throwable> p) { return this; }\n    public RetryConfig build() { return new RetryConfig(); }\n  }\n}\n"),
    ("io/github/resilience4j/circuitbreaker/CircuitBreakerConfig.java", "package io.github.resilience4j.circuitbreaker;\nimport java.time.Duration;\nimport java.util.function.Predicate;\npublic class CircuitBreakerConfig {\n  public enum SlidingWindowType { COUNT_BASED, TIME_BASED }\n  public static Builder custom() { return new Builder(); }\n  public static class Builder {\n    public Builder slidingWindowType(SlidingWindowType t) { return this; }\n    public Builder slidingWindowSize(int n) { return this; }\n    public Builder minimumNumberOfCalls(int n) { return this; }\n    public Builder failureRateThreshold(float f) { return this; }\n    public Builder waitDurationInOpenState(Duration d) { return this; }\n    public Builder permittedNumberOfCallsInHalfOpenState(int n) { return this; }\n    public Builder recordException(Predicate<Throwable> p) { return this; }\n    public CircuitBreakerConfig build() { return new CircuitBreakerConfig(); }\n  }\n}\n"),
    ("io/github/resilience4j/timelimiter/TimeLimiterConfig.java", "package io.github.resilience4j.timelimiter;\nimport java.time.Duration;\npublic class TimeLimiterConfig {\n  public static Builder custom() { return new Builder(); }\n  public static class Builder {\n    public Builder timeoutDuration(Duration d) { return this; }\n    public Builder cancelRunningFuture(boolean b) { return this; }\n    public TimeLimiterConfig build() { return new TimeLimiterConfig(); }\n  }\n}\n"),
];

#[test]
fn java_documents_compile() {
    let dir = temp_dir("java");
    let mut files = Vec::new();
    for (path, source) in JAVA_STUBS {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dirs");
        std::fs::write(&file, source).expect("write");
        files.push(path.to_string());
    }
    for (i, (name, doc)) in all_documents(Target::Resilience4jJava)
        .into_iter()
        .enumerate()
    {
        let path = format!("p{i}/PlaygroundPolicy.java");
        std::fs::create_dir_all(dir.join(format!("p{i}"))).expect("dir");
        std::fs::write(
            dir.join(&path),
            format!("// {name}\npackage p{i};\n{}", doc.text),
        )
        .expect("write");
        files.push(path);
    }
    let mut args = vec!["-d", "classes", "-Xlint:all", "-Werror"];
    args.extend(files.iter().map(String::as_str));
    run("javac", &args, &dir, "");
}

#[test]
fn javascript_documents_parse() {
    let dir = temp_dir("js");
    for (i, (name, doc)) in all_documents(Target::Ky).into_iter().enumerate() {
        let file = format!("m{i}.mjs");
        std::fs::write(dir.join(&file), &doc.text).expect("write");
        run("node", &["--check", &file], &dir, "");
        let _ = name;
    }
}

/// Brackets balance, outside strings and comments (C-like syntax).
fn balanced(text: &str) -> bool {
    let mut stack = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut in_string = false;
        for c in code.chars() {
            match c {
                '"' => in_string = !in_string,
                _ if in_string => {}
                '(' | '[' | '{' => stack.push(c),
                ')' | ']' | '}' => {
                    let open = stack.pop();
                    let want = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if open != Some(want) {
                        return false;
                    }
                }
                _ => {}
            }
        }
    }
    stack.is_empty()
}

#[test]
fn csharp_and_go_documents_are_well_formed() {
    for (name, doc) in all_documents(Target::PollyCsharp) {
        assert!(balanced(&doc.text), "C# {name}:\n{}", doc.text);
        assert!(
            doc.text
                .contains("public static class PlaygroundResilience"),
            "{name}"
        );
        assert!(!doc.text.contains(";;"), "{name}");
    }
    for (name, doc) in all_documents(Target::GoCenkalti) {
        assert!(balanced(&doc.text), "Go {name}:\n{}", doc.text);
        assert!(doc.text.contains("\npackage playground\n"), "{name}");
        // Go refuses unused imports: each one is used.
        for (import, used) in [
            ("\"math\"", "math."),
            ("\"math/rand/v2\"", "rand."),
            ("\"fmt\"", "fmt."),
            ("\"errors\"", "errors."),
        ] {
            let body = doc.text.split_once(")\n").map_or("", |(_, b)| b);
            assert_eq!(
                doc.text.contains(import),
                body.contains(used),
                "Go {name}: {import}\n{}",
                doc.text
            );
        }
    }
}

#[test]
fn targets_parse_by_name_and_refuse_others() {
    for t in Target::ALL {
        assert_eq!(Target::parse(t.name()), Ok(t));
    }
    let err = Target::parse("cobol").unwrap_err();
    assert!(err.contains("cobol") && err.contains("tenacity"), "{err}");
}
